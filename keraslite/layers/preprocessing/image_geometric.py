"""Geometric and mixing image layers: RandomShear, RandomPerspective, RandomElasticTransform,
MixUp, CutMix, and MaxNumBoundingBoxes.

They reuse the per-image base of `image_color` (`_PixelLayer`: rank check, batch axis for
single images, random parameters drawn only in training) and the scipy-style sampler of
`image.py` (`affine_transform`, `_map_coordinates`), which is what Keras's torch backend uses.
Keras's geometric layers cast to the compute dtype in training and inference alike.
"""
import torch

from keraslite.layers.preprocessing.image import _FILL_MODES, _is_fake, _map_coordinates, affine_transform
from keraslite.layers.preprocessing.image_color import _factor_pair, _PixelLayer, gaussian_blur

__all__ = ["RandomShear", "RandomPerspective", "RandomElasticTransform", "MixUp", "CutMix", "MaxNumBoundingBoxes",
           "RandAugment", "AugMix"]

_INTERPOLATION_ORDERS = {"nearest": 0, "bilinear": 1}


def _check_interpolation(interpolation):
    if interpolation not in _INTERPOLATION_ORDERS:
        raise NotImplementedError(f"Unknown `interpolation` {interpolation}. Expected of one "
                                  f"{tuple(_INTERPOLATION_ORDERS)}.")


class _RandomLayer(_PixelLayer):
    """Adds the draws the colour layers do not need: permutations, normals and Beta samples,
    from the layer's seeded generator when it has a seed."""

    _cast_always = True

    def _generator_or_none(self):
        if self.seed is not None and self._generator is None:
            self._rand(())  # creates the seeded generator
        return self._generator if self.seed is not None else None

    def _permutation(self, n, device):
        return torch.randperm(n, generator=self._generator_or_none()).to(device)

    def _normal(self, shape, device, dtype):
        return torch.randn(shape, generator=self._generator_or_none(), dtype=torch.float32).to(device, dtype)

    def _gamma(self, n, alpha, device):
        """n Gamma(alpha, 1) samples."""
        concentration = torch.full((n,), float(alpha), dtype=torch.float32)
        generator = self._generator_or_none()
        if generator is None:
            return torch._standard_gamma(concentration).to(device)
        with torch.random.fork_rng(devices=[]):  # torch's Gamma sampler only reads the global generator
            torch.manual_seed(int(torch.randint(0, 2 ** 62, (), generator=generator)))
            return torch._standard_gamma(concentration).to(device)

    def _beta(self, n, alpha, device):
        """n Beta(alpha, alpha) samples (as the ratio of two Gamma draws)."""
        a, b = self._gamma(n, alpha, device), self._gamma(n, alpha, device)
        return a / (a + b)

    def _apply_probability(self, n, device):
        probability = self._per_image(n, self.factor[0], self.factor[1], device)
        return self._per_image(n, 0.0, 1.0, device) < probability


# ----------------------------------------------------------------------------- geometric

class RandomShear(_RandomLayer):
    """Shear each image along x and y by amounts drawn from `x_factor` and `y_factor` (a
    number f means [-f, f]), with one random sign per image for both."""

    _FACTOR_ERROR = "The `factor` argument should be a number (or a list of two numbers) in the range [0, 1.0]. "

    def __init__(self, x_factor=0.0, y_factor=0.0, interpolation="bilinear", fill_mode="reflect", fill_value=0.0,
                 data_format=None, seed=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.x_factor = self._shear_factor(x_factor, "x_factor")
        self.y_factor = self._shear_factor(y_factor, "y_factor")
        if fill_mode not in ("reflect", "wrap", "constant", "nearest"):
            raise NotImplementedError(f"Unknown `fill_mode` {fill_mode}. Expected of one "
                                      "('reflect', 'wrap', 'constant', 'nearest').")
        _check_interpolation(interpolation)
        self.fill_mode = fill_mode
        self.fill_value = fill_value
        self.interpolation = interpolation

    def _shear_factor(self, factor, name):
        if isinstance(factor, (tuple, list)):
            if len(factor) != 2:
                raise ValueError(self._FACTOR_ERROR + f"Received: {name}={factor}")
            # A pair may go down to -1: a number f is stored as (-f, f), which Keras writes into its
            # config and then refuses when reading it back; keraslite reads such files.
            values, pair = [abs(v) for v in factor], tuple(sorted(factor))
        elif isinstance(factor, (int, float)) and not isinstance(factor, bool):
            values, pair = (factor,), (-abs(factor), abs(factor))
        else:
            raise ValueError(self._FACTOR_ERROR + f"Received: {name}={factor}")
        for v in values:
            if v > 1.0 or v < 0.0:
                raise ValueError(self._FACTOR_ERROR + f"Received: input_number={v}")
        return pair

    def _draw(self, n, images):
        sign = torch.where(self._rand((n, 1)) > 0.5, -1.0, 1.0)
        shear_y = self._rand((n, 1)) * (self.y_factor[1] - self.y_factor[0]) + self.y_factor[0]
        shear_x = self._rand((n, 1)) * (self.x_factor[1] - self.x_factor[0]) + self.x_factor[0]
        return torch.cat([shear_x, shear_y], dim=1) * sign

    def _apply(self, images, shear):
        n = shear.shape[0]
        ones, zeros = torch.ones(n), torch.zeros(n)
        transform = torch.stack([ones, shear[:, 0], zeros, shear[:, 1], ones, zeros, zeros, zeros], dim=1)
        return affine_transform(images, transform.to(images.device), interpolation=self.interpolation,
                                fill_mode=self.fill_mode, fill_value=self.fill_value, data_format=self.data_format)

    def get_config(self):
        config = super().get_config()
        config.update(x_factor=self.x_factor, y_factor=self.y_factor, fill_mode=self.fill_mode,
                      interpolation=self.interpolation, seed=self.seed, fill_value=self.fill_value)
        return config


def _homography(start, end):
    """Per image, the 8 projective coefficients mapping `end` corner points onto `start` ones
    (so output pixels at `end` positions read the input at `start` positions)."""
    rows, rhs = [], []
    zeros, ones = torch.zeros_like(start[:, 0, 0]), torch.ones_like(start[:, 0, 0])
    for i in range(4):
        sx, sy, ex, ey = start[:, i, 0], start[:, i, 1], end[:, i, 0], end[:, i, 1]
        rows.append(torch.stack([ex, ey, ones, zeros, zeros, zeros, -sx * ex, -sx * ey], dim=-1))
        rows.append(torch.stack([zeros, zeros, zeros, ex, ey, ones, -sy * ex, -sy * ey], dim=-1))
        rhs += [sx, sy]
    matrix = torch.stack(rows, dim=1)
    target = torch.stack(rhs, dim=1).unsqueeze(-1)
    return torch.linalg.solve(matrix.to(torch.float32), target.to(torch.float32)).squeeze(-1)


def perspective_transform(images, start_points, end_points, interpolation="bilinear", fill_value=0,
                          data_format="channels_last"):
    """Warp images so that the four `start_points` corners land on `end_points` (constant fill)."""
    squeeze = images.ndim == 3
    x = images.unsqueeze(0) if squeeze else images
    if data_format == "channels_first":
        x = x.permute(0, 2, 3, 1)
    n, h, w, _ = x.shape
    coeffs = _homography(start_points, end_points).to(x.dtype if x.dtype.is_floating_point else torch.float32)
    coeffs = coeffs.expand(n, 8) if coeffs.shape[0] == 1 else coeffs
    xs = torch.arange(w, dtype=coeffs.dtype, device=x.device).view(1, 1, w)
    ys = torch.arange(h, dtype=coeffs.dtype, device=x.device).view(1, h, 1)
    a = [coeffs[:, i].view(n, 1, 1) for i in range(8)]
    denom = a[6] * xs + a[7] * ys + 1.0
    x_in = (a[0] * xs + a[1] * ys + a[2]) / denom
    y_in = (a[3] * xs + a[4] * ys + a[5]) / denom
    out = _map_coordinates(x, y_in, x_in, _INTERPOLATION_ORDERS[interpolation], "constant", fill_value)
    if data_format == "channels_first":
        out = out.permute(0, 3, 1, 2)
    return out.squeeze(0) if squeeze else out


class RandomPerspective(_RandomLayer):
    """With probability drawn from `factor`, move each image corner by up to `scale / 2` of its
    own coordinates and warp the image accordingly (constant `fill_value` outside)."""

    def __init__(self, factor=1.0, scale=1.0, interpolation="bilinear", fill_value=0.0, seed=None, data_format=None,
                 **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.factor = _factor_pair(factor, (0, 1), "factor")
        if isinstance(scale, bool) or not isinstance(scale, (int, float)) or scale < 0.0 or scale > 1.0:
            raise ValueError(f"The `scale` argument should be a number in the range [0,1]. Received: scale={scale}")
        _check_interpolation(interpolation)
        self.scale = scale
        self.fill_value = fill_value
        self.interpolation = interpolation

    def _draw(self, n, images):
        apply = self._apply_probability(n, images.device)
        h, w = self._image_hw(images)
        jitter = self._uniform((n, 4, 2), -0.5 * self.scale, 0.5 * self.scale, images.device)
        start = torch.tensor([[[0.0, 0.0], [w - 1, 0.0], [0.0, h - 1], [w - 1, h - 1]]], device=images.device)
        start = start.expand(n, 4, 2)
        return apply, start, start + start * jitter

    def _apply(self, images, params):
        apply, start, end = params
        warped = perspective_transform(images, start, end, interpolation=self.interpolation,
                                       fill_value=self.fill_value, data_format=self.data_format)
        return torch.where(apply, warped, images)

    def get_config(self):
        config = super().get_config()
        config.update(factor=self.factor, scale=self.scale, interpolation=self.interpolation,
                      fill_value=self.fill_value, seed=self.seed)
        return config


class RandomElasticTransform(_RandomLayer):
    """With probability drawn from `factor`, displace pixels by smoothed Gaussian noise: one
    strength s per batch drawn from `scale`, alpha = 0.1 s max(H, W), sigma = 0.05 s min(H, W);
    clipped to `value_range`."""

    def __init__(self, factor=1.0, scale=1.0, interpolation="bilinear", fill_mode="reflect", fill_value=0.0,
                 value_range=(0, 255), seed=None, data_format=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.factor = _factor_pair(factor, (0, 1), "factor")
        self.scale = _factor_pair(scale, (0, 1), "scale")
        _check_interpolation(interpolation)
        if fill_mode not in _FILL_MODES:
            raise NotImplementedError(f"Unknown `fill_mode` {fill_mode}. Expected of one {set(_FILL_MODES)}.")
        self.interpolation = interpolation
        self.fill_mode = fill_mode
        self.fill_value = fill_value
        self.value_range = value_range

    def _draw(self, n, images):
        if self.scale[1] == 0 or self.factor[1] == 0:
            return None
        apply = self._apply_probability(n, images.device)
        strength = float(self._uniform((), self.scale[0], self.scale[1], "cpu"))
        h, w = self._image_hw(images)
        alpha, sigma = max(h, w) * 0.1 * strength, min(h, w) * 0.05 * strength
        size = int(6 * sigma) | 1
        noise = [self._normal((n, h, w, 1), images.device, images.dtype) * sigma for _ in range(2)]
        dx, dy = (gaussian_blur(d, (size, size), (sigma, sigma), data_format="channels_last")[..., 0] for d in noise)
        return apply, alpha * dx, alpha * dy

    def _apply(self, images, params):
        if params is None:
            return images
        apply, dx, dy = params
        x = images if self.data_format == "channels_last" else images.permute(0, 2, 3, 1)
        h, w = x.shape[1], x.shape[2]
        xs = torch.arange(w, dtype=dx.dtype, device=x.device).view(1, 1, w)
        ys = torch.arange(h, dtype=dx.dtype, device=x.device).view(1, h, 1)
        out = _map_coordinates(x, ys + dy, xs + dx, _INTERPOLATION_ORDERS[self.interpolation], self.fill_mode,
                               self.fill_value)
        if self.data_format == "channels_first":
            out = out.permute(0, 3, 1, 2)
        out = torch.where(apply, out, images)
        return torch.clip(out, self.value_range[0], self.value_range[1]).to(self._variable_dtype)

    def get_config(self):
        config = super().get_config()
        config.update(factor=self.factor, scale=self.scale, interpolation=self.interpolation,
                      fill_mode=self.fill_mode, fill_value=self.fill_value, value_range=self.value_range,
                      seed=self.seed)
        return config


# ----------------------------------------------------------------------------- mixing

class _MixingLayer(_RandomLayer):
    """MixUp and CutMix: `_draw` also gives each image's mixing weight (the share of its own
    pixels) and the permutation it mixes with. A dict {"images": ..., "labels": ...} (Keras 3's
    form for these layers) gets its one-hot labels mixed with the same weights."""

    def call(self, inputs, training=None):
        if not isinstance(inputs, dict):
            return self._call_images(inputs, training)
        unknown = set(inputs) - {"images", "labels"}
        if "images" not in inputs or unknown:
            raise NotImplementedError(f"{type(self).__name__}: a dict input takes 'images' and 'labels'; keraslite "
                                      f"does not mix {sorted(unknown) or 'inputs without images'} (bounding boxes and "
                                      "segmentation masks are not supported). Received keys: "
                                      f"{sorted(inputs)}.")
        images = torch.as_tensor(inputs["images"])
        self._check_rank(images)
        images = self._autocast(images)
        out = dict(inputs)
        if not self._is_training(training) or images.ndim == 3 or _is_fake(images):
            out["images"] = self._to_compute(images)
            return out
        images = self._to_compute(images)
        params = self._draw(images.shape[0], images)
        out["images"] = self._apply(images, params)
        if "labels" in inputs:
            labels = torch.as_tensor(inputs["labels"], device=images.device)
            labels = labels.to(images.dtype) if not labels.is_floating_point() else labels
            order, weight = params[-2], params[-1].reshape(-1, 1).to(labels.dtype)
            out["labels"] = weight * labels + (1.0 - weight) * labels[order]
        return out

    def _call_images(self, inputs, training):
        return super().call(inputs, training=training)


class MixUp(_MixingLayer):
    """Blend each image with another image of the batch (a random permutation), weight drawn
    from Beta(alpha, alpha); labels given in a dict are blended with the same weights."""

    _cast_always = False

    def __init__(self, alpha=0.2, data_format=None, seed=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.alpha = alpha

    def _draw(self, n, images):
        return self._permutation(n, images.device), self._beta(n, self.alpha, images.device)

    def _apply(self, images, params):
        order, weight = params
        weight = weight.view(-1, 1, 1, 1).to(images.dtype)
        return weight * images + (1.0 - weight) * images[order]

    def get_config(self):
        config = super().get_config()
        config.update(alpha=self.alpha, seed=self.seed)
        return config


class CutMix(_MixingLayer):
    """Paste into each image a random rectangle from another image of the batch; the area is
    1 - w, with w drawn from Beta(a, a) and a drawn from `factor`. Single images pass unchanged.
    Labels given in a dict are mixed by area: w of the image's own, 1 - w of the other's."""

    def __init__(self, factor=1.0, seed=None, data_format=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.factor = _factor_pair(factor, (0, 1), "factor")

    def _call_images(self, inputs, training):
        self._check_rank(inputs)
        if inputs.ndim == 3:
            return self._to_compute(self._autocast(torch.as_tensor(inputs)))
        return super()._call_images(inputs, training)

    def _draw(self, n, images):
        device = images.device
        h, w = self._image_hw(images)
        alpha = float(self._uniform((), self.factor[0], self.factor[1], "cpu")) + 1e-6
        ratio = torch.sqrt(1.0 - self._beta(n, alpha, device))
        bounds = []
        for length in (w, h):
            crop = ratio * length
            start = self._uniform((n,), 0.0, 1.0, device) * (length - crop)
            bounds.append((start.view(n, 1, 1), (start + crop).view(n, 1, 1)))
        (x0, x1), (y0, y1) = bounds
        ys = torch.arange(h, dtype=torch.float32, device=device).view(1, h, 1)
        xs = torch.arange(w, dtype=torch.float32, device=device).view(1, 1, w)
        inside = (xs >= x0) & (xs < x1) & (ys >= y0) & (ys < y1)
        inside = inside.unsqueeze(-1 if self.data_format == "channels_last" else 1)
        own = 1.0 - ((x1 - x0) * (y1 - y0)).view(n) / (w * h)  # the share of the image kept, as Keras computes it
        return inside, self._permutation(n, device), own

    def _apply(self, images, params):
        inside, order, _ = params
        return torch.where(inside, images[order], images)

    def get_config(self):
        config = super().get_config()
        config.update(factor=self.factor, seed=self.seed)
        return config


class MaxNumBoundingBoxes(_PixelLayer):
    """Pads or truncates bounding boxes to `max_number` per image (with `fill_value`). Images
    pass through unchanged; a dict input {"images", "bounding_boxes": {"boxes", "labels"}}
    gets its boxes (N, M, 4) and labels (N, M) resized to M = max_number."""

    _draws_seed = False

    def __init__(self, max_number, fill_value=-1, **kwargs):
        super().__init__(**kwargs)
        self.max_number = int(max_number)
        self.fill_value = int(fill_value)

    def _fit(self, values, trailing):
        values = torch.as_tensor(values)
        values = values[:, :self.max_number]
        missing = self.max_number - values.shape[1]
        if missing > 0:
            pad = torch.full((values.shape[0], missing) + trailing, self.fill_value, dtype=values.dtype,
                             device=values.device)
            values = torch.cat([values, pad], dim=1)
        return values

    def call(self, inputs, training=None):
        if isinstance(inputs, dict):
            out = dict(inputs)
            boxes = inputs.get("bounding_boxes")
            if boxes is not None:
                extra = set(boxes) - {"boxes", "labels"}
                if extra:
                    raise KeyError(f"MaxNumBoundingBoxes: unsupported keys in `bounding_boxes`: {sorted(extra)}. "
                                   "Only `boxes` and `labels` are supported.")
                out["bounding_boxes"] = {"boxes": self._fit(boxes["boxes"], (4,)),
                                         "labels": self._fit(boxes["labels"], ())}
            return out
        self._check_rank(inputs)
        return inputs

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update(max_number=self.max_number)
        return config


# ----------------------------------------------------------------------------- augmentation policies

_ALL_OPS = ("random_shear", "random_translation", "random_rotation", "random_posterization", "solarization",
            "auto_contrast", "equalization", "random_brightness", "random_color_degeneration", "random_contrast",
            "random_sharpness")
_GEOMETRY_AND_TONE_OPS = _ALL_OPS[:7]
_RAND_AUGMENT_OPS = ("random_shear", "random_translation", "random_rotation", "random_brightness",
                     "random_color_degeneration", "random_contrast", "random_sharpness", "random_posterization",
                     "solarization", "auto_contrast", "equalization")


class _AugmentPolicy(_RandomLayer):
    """Holds one sublayer per operation, all with the policy's strength `factor`, as Keras does."""

    def _make_ops(self, names, value_range, interpolation, seed, data_format):
        from keraslite.layers.preprocessing import image as image_layers
        from keraslite.layers.preprocessing import image_color as color_layers

        factor = self.factor
        common = dict(seed=seed, data_format=data_format)
        makers = {
            "random_shear": lambda: RandomShear(x_factor=factor, y_factor=factor, interpolation=interpolation,
                                                **common),
            "random_translation": lambda: image_layers.RandomTranslation(
                height_factor=factor, width_factor=factor, interpolation=interpolation, **common),
            "random_rotation": lambda: image_layers.RandomRotation(factor=factor, interpolation=interpolation,
                                                                   **common),
            "random_brightness": lambda: image_layers.RandomBrightness(factor=factor, value_range=value_range,
                                                                       **common),
            "random_color_degeneration": lambda: color_layers.RandomColorDegeneration(
                factor=factor, value_range=value_range, **common),
            "random_contrast": lambda: image_layers.RandomContrast(factor=factor, value_range=value_range, **common),
            "random_sharpness": lambda: color_layers.RandomSharpness(factor=factor, value_range=value_range,
                                                                     **common),
            "solarization": lambda: color_layers.Solarization(addition_factor=factor, threshold_factor=factor,
                                                              value_range=value_range, **common),
            "random_posterization": lambda: color_layers.RandomPosterization(
                factor=max(1, int(8 * factor[1])), value_range=value_range, **common),
            "auto_contrast": lambda: color_layers.AutoContrast(value_range=value_range, data_format=data_format),
            "equalization": lambda: color_layers.Equalization(value_range=value_range, data_format=data_format),
        }
        self._op_names = tuple(names)
        for name in names:
            setattr(self, name, makers[name]())

    def _run_op(self, name, images):
        return getattr(self, name)(images, training=True).to(self._variable_dtype)


class RandAugment(_AugmentPolicy):
    """Apply `num_ops` operations chosen at random (one choice per batch) among shear,
    translation, rotation, brightness, colour degeneration, contrast, sharpness, posterization,
    solarization, auto-contrast and equalization, each of strength `factor`."""

    def __init__(self, value_range=(0, 255), num_ops=2, factor=0.5, interpolation="bilinear", seed=None,
                 data_format=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.value_range = value_range
        self.num_ops = num_ops
        self.factor = _factor_pair(factor, (0, 1), "factor")
        self.interpolation = interpolation
        self._make_ops(_RAND_AUGMENT_OPS, value_range, interpolation, seed, data_format)

    def _draw(self, n, images):
        return (self._rand((self.num_ops,)) * len(self._op_names)).floor().to(torch.int64).tolist()

    def _apply(self, images, choices):
        for index in choices:
            images = self._run_op(self._op_names[index], images)
        return images

    def get_config(self):
        config = super().get_config()
        config.update(value_range=self.value_range, num_ops=self.num_ops, factor=self.factor,
                      interpolation=self.interpolation, seed=self.seed)
        return config


class AugMix(_AugmentPolicy):
    """AugMix: `num_chains` chains of up to `chain_depth` random operations (each step may also
    be skipped), mixed with Dirichlet(alpha) weights, then blended with the original image with
    a Beta(alpha, alpha) weight and clipped to `value_range`. `all_ops=False` keeps to the
    geometric and tone operations."""

    def __init__(self, value_range=(0, 255), num_chains=3, chain_depth=3, factor=0.3, alpha=1.0, all_ops=True,
                 interpolation="bilinear", seed=None, data_format=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.value_range = value_range
        self.num_chains = num_chains
        self.chain_depth = chain_depth
        self.factor = _factor_pair(factor, (0, 1), "factor")
        self.alpha = alpha
        self.all_ops = all_ops
        self.interpolation = interpolation
        self._make_ops(_ALL_OPS if all_ops else _GEOMETRY_AND_TONE_OPS, value_range, interpolation, seed,
                       data_format)

    def _draw(self, n, images):
        gammas = self._gamma(self.num_chains, self.alpha, "cpu")
        weights = gammas / gammas.sum()  # Dirichlet(alpha, ..., alpha)
        blend = self._beta(1, self.alpha, "cpu")[0]
        count = len(self._op_names) + 1  # the last choice skips the step
        chains = [[int(i) for i in (self._rand((self.chain_depth,)) * count).floor().tolist() if i < count - 1]
                  for _ in range(self.num_chains)]
        return weights.to(images.device), blend.to(images.device), chains

    def _apply(self, images, params):
        weights, blend, chains = params
        mixed = torch.zeros_like(images)
        for chain, weight in zip(chains, weights.to(images.dtype)):
            augmented = images
            for index in chain:
                augmented = self._run_op(self._op_names[index], augmented)
            mixed = mixed + augmented * weight
        blend = blend.to(images.dtype)
        out = blend * images + (1 - blend) * mixed
        return torch.clip(out, self.value_range[0], self.value_range[1])

    def get_config(self):
        config = super().get_config()
        config.update(value_range=self.value_range, num_chains=self.num_chains, chain_depth=self.chain_depth,
                      factor=self.factor, alpha=self.alpha, all_ops=self.all_ops, interpolation=self.interpolation,
                      seed=self.seed)
        return config
