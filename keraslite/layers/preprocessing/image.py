"""Image preprocessing and augmentation layers: Resizing, CenterCrop and the Random* layers.

Inputs are batched `(N, H, W, C)` or single `(H, W, C)` images (channels-first with
`data_format="channels_first"`), as torch tensors or numpy arrays.

The math follows Keras 3's torch backend so that outputs match it:
- `resize_images` is Keras's `ops.image.resize` (`F.interpolate`, "nearest" meaning
  "nearest-exact", `align_corners=False`, optional crop/pad to the target aspect ratio);
- `affine_transform` is Keras's `ops.image.affine_transform`: Keras's 8-number transforms
  mapping output to input pixels, sampled with scipy-style `map_coordinates` (order 0 or 1)
  and its fill modes ("reflect", "wrap", "constant", "nearest", "mirror"), which
  `F.grid_sample` does not have, so it is done with index arithmetic and gathers.

Random layers draw their parameters on the CPU from their own `torch.Generator` when given a
`seed`, otherwise from torch's global generator (so `keraslite.utils.set_random_seed` makes
them repeatable); the numbers differ from Keras's, whose generator is another one.

Training flag, as in Keras 3: `training=False` (predict, evaluate, or passed explicitly)
makes every random layer an identity (after casting to the compute dtype, as Keras does);
`training=None`, as in a plain `layer(images)` or `augment(images)` call, means training,
which is Keras's default for these layers. Models pass the flag down (fit: True, predict and
evaluate: False). A subclassed model whose `call` does not pass `training` on gets
`training=None`, i.e. augmentation, where Keras would see its call context.
"""
import math

import numpy as np
import torch
import torch.nn.functional as F
from torch._subclasses.fake_tensor import FakeTensor

from keraslite import backend
from keraslite.layers.layer import Layer
from keraslite.utils import rng

__all__ = ["Resizing", "CenterCrop", "RandomFlip", "RandomRotation", "RandomZoom", "RandomTranslation",
           "RandomContrast", "RandomBrightness", "RandomCrop", "resize_images", "affine_transform"]

_RESIZE_MODES = {"bilinear": "bilinear", "nearest": "nearest-exact", "bicubic": "bicubic"}
_FILL_MODES = ("constant", "nearest", "wrap", "mirror", "reflect")
_INT_DTYPES = (torch.uint8, torch.int8, torch.int16, torch.int32, torch.int64)


# ----------------------------------------------------------------------------- functional ops

def resize_images(images, size, interpolation="bilinear", antialias=False, crop_to_aspect_ratio=False,
                  pad_to_aspect_ratio=False, fill_mode="constant", fill_value=0.0, data_format=None):
    """Keras 3's `ops.image.resize` on the torch backend, for 3D or 4D images."""
    data_format = backend.standardize_data_format(data_format)
    if interpolation in ("lanczos3", "lanczos5"):
        raise ValueError("Resizing with Lanczos interpolation is not supported by the PyTorch backend. "
                         f"Received: interpolation={interpolation}.")
    if interpolation not in _RESIZE_MODES:
        raise ValueError(f"Invalid value for argument `interpolation`. Expected one of {sorted(_RESIZE_MODES)}. "
                         f"Received: interpolation={interpolation}")
    if fill_mode != "constant":
        raise ValueError(f"Invalid value for argument `fill_mode`. Only `'constant'` is supported. Received: "
                         f"fill_mode={fill_mode}")
    if pad_to_aspect_ratio and crop_to_aspect_ratio:
        raise ValueError("Only one of `pad_to_aspect_ratio` & `crop_to_aspect_ratio` can be `True`.")
    if len(size) != 2:
        raise ValueError(f"Argument `size` must be a tuple of two elements (height, width). Received: size={size}")
    images = torch.as_tensor(images)
    if images.ndim not in (3, 4):
        raise ValueError("Invalid images rank: expected rank 3 (single image) or rank 4 (batch of images). "
                         f"Received input with shape: images.shape={tuple(images.shape)}")
    squeeze = images.ndim == 3
    x = images.unsqueeze(0) if squeeze else images
    out_dtype = x.dtype
    cast = out_dtype not in (torch.float32, torch.float64)
    if cast:
        x = x.to(torch.float32)
    if data_format == "channels_last":
        x = x.permute(0, 3, 1, 2)
    target_h, target_w = int(size[0]), int(size[1])
    height, width = x.shape[-2], x.shape[-1]
    if crop_to_aspect_ratio:
        crop_h = max(min(height, int(float(width * target_h) / target_w)), 1)
        crop_w = max(min(width, int(float(height * target_w) / target_h)), 1)
        h0 = int(float(height - crop_h) / 2)
        w0 = int(float(width - crop_w) / 2)
        x = x[:, :, h0:h0 + crop_h, w0:w0 + crop_w]
    elif pad_to_aspect_ratio:
        pad_h = max(height, int(float(width * target_h) / target_w))
        pad_w = max(width, int(float(height * target_w) / target_h))
        h0 = int(float(pad_h - height) / 2)
        w0 = int(float(pad_w - width) / 2)
        n, c = x.shape[0], x.shape[1]
        if h0 > 0:
            band = torch.full((n, c, h0, width), float(fill_value), dtype=x.dtype, device=x.device)
            x = torch.cat([band, x, band], dim=2)
        if w0 > 0:
            band = torch.full((n, c, height, w0), float(fill_value), dtype=x.dtype, device=x.device)
            x = torch.cat([band, x, band], dim=3)
    mode = _RESIZE_MODES[interpolation]
    smooth = interpolation in ("bilinear", "bicubic")
    out = F.interpolate(x, size=(target_h, target_w), mode=mode, align_corners=False if smooth else None,
                        antialias=bool(antialias) and smooth)
    if interpolation == "bicubic" and out_dtype == torch.uint8:
        out = out.clamp(0, 255)
    if data_format == "channels_last":
        out = out.permute(0, 2, 3, 1)
    if squeeze:
        out = out.squeeze(0)
    if cast:
        if out_dtype in _INT_DTYPES:
            out = torch.round(out)
        out = out.to(out_dtype)
    return out


def _fix_index(index, size, fill_mode):
    if fill_mode in ("constant", "nearest"):
        return index.clamp(0, size - 1)
    if fill_mode == "wrap":
        return torch.remainder(index, size)
    if fill_mode == "mirror":
        return _mirror(index, size)
    return torch.div(_mirror(2 * index + 1, 2 * size + 1) - 1, 2, rounding_mode="floor")  # reflect


def _mirror(index, size):
    s = size - 1
    if s == 0:
        return torch.zeros_like(index)
    return torch.abs(torch.remainder(index + s, 2 * s) - s)


def _nodes(coordinate, order):
    if order == 0:
        return [(torch.round(coordinate).to(torch.int64), None)]
    lower = torch.floor(coordinate)
    upper_weight = coordinate - lower
    index = lower.to(torch.int64)
    return [(index, 1 - upper_weight), (index + 1, upper_weight)]


def affine_transform(images, transform, interpolation="bilinear", fill_mode="constant", fill_value=0.0,
                     data_format=None):
    """Keras 3's `ops.image.affine_transform`: `transform` holds rows [a0, a1, a2, b0, b1, b2, c0, c1]
    mapping each output pixel (x, y) to the input point (a0 x + a1 y + a2, b0 x + b1 y + b2)
    (the projective c0, c1 are ignored, as Keras's torch backend ignores them)."""
    data_format = backend.standardize_data_format(data_format)
    orders = {"nearest": 0, "bilinear": 1}
    if interpolation not in orders:
        raise ValueError(f"Invalid value for argument `interpolation`. Expected one of {set(orders)}. Received: "
                         f"interpolation={interpolation}")
    if fill_mode not in _FILL_MODES:
        raise ValueError(f"Invalid value for argument `fill_mode`. Expected one of {set(_FILL_MODES)}. Received: "
                         f"fill_mode={fill_mode}")
    images = torch.as_tensor(images)
    transform = torch.as_tensor(transform)
    if images.ndim not in (3, 4):
        raise ValueError("Invalid images rank: expected rank 3 (single image) or rank 4 (batch of images). "
                         f"Received input with shape: images.shape={tuple(images.shape)}")
    squeeze = images.ndim == 3
    x = images.unsqueeze(0) if squeeze else images
    if transform.ndim == 1:
        transform = transform.unsqueeze(0)
    if data_format == "channels_first":
        x = x.permute(0, 2, 3, 1)
    n, h, w, _ = x.shape
    transform = transform.to(device=x.device, dtype=torch.float32 if not x.dtype.is_floating_point else x.dtype)
    transform = transform.expand(n, transform.shape[-1])
    ys = torch.arange(h, dtype=transform.dtype, device=x.device).view(1, h, 1)
    xs = torch.arange(w, dtype=transform.dtype, device=x.device).view(1, 1, w)
    a0, a1, a2, b0, b1, b2 = (transform[:, i].view(n, 1, 1) for i in range(6))
    # Same operation order as Keras (an einsum, then the offset) to keep float rounding alike.
    y_in = (ys * b1 + xs * b0) + b2
    x_in = (ys * a1 + xs * a0) + a2
    out = _map_coordinates(x, y_in, x_in, orders[interpolation], fill_mode, fill_value)
    if data_format == "channels_first":
        out = out.permute(0, 3, 1, 2)
    return out.squeeze(0) if squeeze else out


def _map_coordinates(images, y_in, x_in, order, fill_mode, fill_value):
    n, h, w, c = images.shape
    batch = torch.arange(n, device=images.device).view(n, 1, 1)
    fill = torch.as_tensor(fill_value, dtype=images.dtype, device=images.device)
    rows = [(_fix_index(i, h, fill_mode), (i >= 0) & (i < h), wt) for i, wt in _nodes(y_in, order)]
    cols = [(_fix_index(j, w, fill_mode), (j >= 0) & (j < w), wt) for j, wt in _nodes(x_in, order)]
    result = None
    for iy, vy, wy in rows:
        for ix, vx, wx in cols:
            values = images[batch, iy, ix]
            if fill_mode == "constant":
                values = torch.where((vy & vx).unsqueeze(-1), values, fill)
            if wy is not None:
                values = (wy * wx).unsqueeze(-1) * values
            result = values if result is None else result + values
    if not images.dtype.is_floating_point:
        result = torch.round(result) if result.dtype.is_floating_point else result
    return result.to(images.dtype)


# ----------------------------------------------------------------------------- base classes

def _is_fake(x):
    return isinstance(x, FakeTensor)


class _ImageLayer(Layer):
    """Shared input handling: rank check, Keras's autocast of float inputs, data_format axes."""

    _fixed_size = False  # outputs are (height, width) images: Resizing, CenterCrop, RandomCrop

    def __init__(self, data_format=None, bounding_box_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = backend.standardize_data_format(data_format)
        self.bounding_box_format = bounding_box_format
        self.height_axis, self.width_axis = (-3, -2) if self.data_format == "channels_last" else (-2, -1)

    def __call__(self, inputs, *args, **kwargs):
        if isinstance(inputs, (list, tuple)) and inputs and all(
                isinstance(v, (np.ndarray, torch.Tensor)) for v in inputs):
            # A list of equal-shape images (sklearn's load_sample_images()["images"]) is one
            # batch, as tf.keras took it.
            shapes = {tuple(v.shape) for v in inputs}
            if len(shapes) != 1:
                raise ValueError(f"{type(self).__name__} '{self.name}': a list of images must hold images of one "
                                 f"shape to form a batch; received shapes {sorted(shapes)}. Resize them first, "
                                 "or call the layer on each image.")
            inputs = np.stack(inputs) if all(isinstance(v, np.ndarray) for v in inputs) else \
                torch.stack([torch.as_tensor(v) for v in inputs])
        return super().__call__(inputs, *args, **kwargs)

    def _check_rank(self, images):
        if isinstance(images, dict):
            raise NotImplementedError(f"{type(self).__name__}: dict inputs (images with bounding boxes, labels or "
                                      "segmentation masks) are not supported by keraslite; pass the images tensor.")
        if images.ndim not in (3, 4):
            raise ValueError("Expected image tensor to have rank 3 (single image) or 4 (batch of images). Received: "
                             f"data.shape={tuple(images.shape)}")

    def _autocast(self, images):
        """Keras casts floating inputs to the compute dtype before `call`; integer inputs stay."""
        if images.dtype.is_floating_point and images.dtype != self._variable_dtype:
            return images.to(self._variable_dtype)
        return images

    def _to_compute(self, images):
        return images.to(self._variable_dtype) if images.dtype != self._variable_dtype else images

    def _image_hw(self, images):
        return images.shape[self.height_axis], images.shape[self.width_axis]

    def compute_output_shape(self, input_shape):
        shape = list(input_shape)
        if self._fixed_size:
            shape[self.height_axis], shape[self.width_axis] = self.height, self.width
        return tuple(shape)

    def get_config(self):
        config = super().get_config()
        config["data_format"] = self.data_format
        if self.bounding_box_format is not None:
            config["bounding_box_format"] = self.bounding_box_format
        return config


class _RandomImageLayer(_ImageLayer):
    """Adds the random source: a seeded CPU generator of the layer's own, or torch's global one."""

    _draws_seed = True  # False for layers that Keras gives no SeedGenerator
    _keras_training_default = True  # Keras's `call(..., training=True)`, written into its files

    def __init__(self, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.seed = seed
        self._generator = None
        # Keras makes each random preprocessing layer's SeedGenerator here, which draws a seed
        # from Python's random when none is given; drawing it too keeps the seeds of the layers
        # made after this one equal to Keras's.
        self._default_seed = rng.make_default_seed() if seed is None and self._draws_seed else None

    def _rand(self, shape):
        """Uniform [0, 1) float32 numbers on the CPU."""
        if self.seed is not None and self._generator is None:
            self._generator = torch.Generator().manual_seed(int(self.seed))
        return torch.rand(shape, generator=self._generator, dtype=torch.float32)

    def _uniform(self, shape, minval, maxval, device):
        return (self._rand(shape) * (maxval - minval) + minval).to(device)

    @staticmethod
    def _is_training(training):
        return True if training is None else bool(training)

    def _set_factor(self, factor, bounds=(-1, 1)):
        msg = (f"The `factor` argument should be a number (or a list of two numbers) in the range "
               f"[{bounds[0]}, {bounds[1]}]. Received: factor={factor}")
        if isinstance(factor, (tuple, list)):
            if len(factor) != 2 or factor[0] > bounds[1] or factor[1] < bounds[0]:
                raise ValueError(msg)
            lower, upper = sorted(factor)
        elif isinstance(factor, (int, float)) and not isinstance(factor, bool):
            if factor < bounds[0] or factor > bounds[1]:
                raise ValueError(msg)
            factor = abs(factor)
            lower, upper = [max(-factor, bounds[0]), factor]
        else:
            raise ValueError(msg)
        return lower, upper


def _check_choice(value, allowed, what):
    if value not in allowed:
        raise NotImplementedError(f"Unknown `{what}` {value}. Expected of one {allowed}.")


# ----------------------------------------------------------------------------- deterministic layers

class Resizing(_ImageLayer):
    """Resize images to `(height, width)`; integer images come back rounded in their dtype."""

    _fixed_size = True

    def __init__(self, height, width, interpolation="bilinear", crop_to_aspect_ratio=False, pad_to_aspect_ratio=False,
                 fill_mode="constant", fill_value=0.0, antialias=False, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.height = height
        self.width = width
        self.interpolation = interpolation
        self.crop_to_aspect_ratio = crop_to_aspect_ratio
        self.pad_to_aspect_ratio = pad_to_aspect_ratio
        self.fill_mode = fill_mode
        self.fill_value = fill_value
        self.antialias = bool(antialias)

    def call(self, inputs):
        self._check_rank(inputs)
        images = self._autocast(inputs)
        return resize_images(images, (self.height, self.width), interpolation=self.interpolation,
                             antialias=self.antialias, crop_to_aspect_ratio=self.crop_to_aspect_ratio,
                             pad_to_aspect_ratio=self.pad_to_aspect_ratio, fill_mode=self.fill_mode,
                             fill_value=self.fill_value, data_format=self.data_format)

    def get_config(self):
        config = super().get_config()
        config.update(height=self.height, width=self.width, interpolation=self.interpolation,
                      crop_to_aspect_ratio=self.crop_to_aspect_ratio, pad_to_aspect_ratio=self.pad_to_aspect_ratio,
                      fill_mode=self.fill_mode, fill_value=self.fill_value, antialias=self.antialias)
        return config


class CenterCrop(_ImageLayer):
    """The central `(height, width)` window; an image smaller than that is cropped to the target's
    aspect ratio and resized up (Keras's smart_resize). Output is the compute dtype."""

    _fixed_size = True

    def __init__(self, height, width, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.height = height
        self.width = width

    def call(self, inputs):
        self._check_rank(inputs)
        images = self._to_compute(inputs)
        h, w = self._image_hw(images)
        dh, dw = h - self.height, w - self.width
        if dh >= 0 and dw >= 0:
            h0, w0 = dh // 2, dw // 2
            if self.data_format == "channels_last":
                return images[..., h0:h0 + self.height, w0:w0 + self.width, :]
            return images[..., h0:h0 + self.height, w0:w0 + self.width]
        return resize_images(images, (self.height, self.width), crop_to_aspect_ratio=True,
                             data_format=self.data_format)

    def compute_output_shape(self, input_shape):
        if len(input_shape) not in (3, 4):
            raise ValueError("`input_shape` must be a non-nested tuple or list of rank-1 with size 3 (unbatched) or 4 "
                             "(batched).")
        return super().compute_output_shape(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update(height=self.height, width=self.width)
        return config


# ----------------------------------------------------------------------------- random layers

class RandomFlip(_RandomImageLayer):
    """Flip each image with probability 1/2: left-right ("horizontal"), up-down ("vertical"), or
    both together ("horizontal_and_vertical", one draw per image for both, as in Keras)."""

    def __init__(self, mode="horizontal_and_vertical", seed=None, data_format=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        if mode not in ("horizontal", "vertical", "horizontal_and_vertical"):
            raise ValueError(f"RandomFlip layer {self.name} received an unknown mode argument {mode}")
        self.mode = mode

    def call(self, inputs, training=None):
        self._check_rank(inputs)
        images = self._to_compute(inputs)
        if not self._is_training(training) or _is_fake(images):
            return images
        squeeze = images.ndim == 3
        x = images.unsqueeze(0) if squeeze else images
        flips = (self._rand((x.shape[0], 1, 1, 1)) <= 0.5).to(x.device)
        horizontal, vertical = (-2, -3) if self.data_format == "channels_last" else (-1, -2)
        if self.mode in ("horizontal", "horizontal_and_vertical"):
            x = torch.where(flips, torch.flip(x, dims=(horizontal,)), x)
        if self.mode in ("vertical", "horizontal_and_vertical"):
            x = torch.where(flips, torch.flip(x, dims=(vertical,)), x)
        return x.squeeze(0) if squeeze else x

    def get_config(self):
        config = super().get_config()
        config.update(seed=self.seed, mode=self.mode)
        return config


class _AffineLayer(_RandomImageLayer):
    """Rotation, zoom and translation: one random affine transform per image; subclasses hold
    their factors and write `_transform(n, h, w)`."""

    _SUPPORTED_FILL_MODE = ("reflect", "wrap", "constant", "nearest")
    _SUPPORTED_INTERPOLATION = ("nearest", "bilinear")

    def __init__(self, fill_mode="reflect", interpolation="bilinear", seed=None, fill_value=0.0, data_format=None,
                 **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        _check_choice(fill_mode, self._SUPPORTED_FILL_MODE, "fill_mode")
        _check_choice(interpolation, self._SUPPORTED_INTERPOLATION, "interpolation")
        self.fill_mode = fill_mode
        self.interpolation = interpolation
        self.fill_value = fill_value

    def get_config(self):
        config = super().get_config()
        config.update(fill_mode=self.fill_mode, fill_value=self.fill_value, interpolation=self.interpolation,
                      seed=self.seed)
        return config

    def call(self, inputs, training=None):
        self._check_rank(inputs)
        images = self._to_compute(inputs)
        if not self._is_training(training) or _is_fake(images):
            return images
        squeeze = images.ndim == 3
        x = images.unsqueeze(0) if squeeze else images
        h, w = self._image_hw(x)
        transform = self._transform(x.shape[0], h, w).to(x.device)
        out = affine_transform(x, transform, interpolation=self.interpolation, fill_mode=self.fill_mode,
                               fill_value=self.fill_value, data_format=self.data_format)
        return out.squeeze(0) if squeeze else out

    def _check_factor(self, value, low_inclusive):
        ok = -1.0 <= value <= 1.0 if low_inclusive else -1.0 < value <= 1.0
        if not ok:
            raise ValueError(self._FACTOR_VALIDATION_ERROR + f"Received: input_number={value}")

    def _pair(self, factor, name, low_inclusive):
        if isinstance(factor, (tuple, list)):
            if len(factor) != 2:
                raise ValueError(self._FACTOR_VALIDATION_ERROR + f"Received: {name}={factor}")
            self._check_factor(factor[0], low_inclusive)
            self._check_factor(factor[1], low_inclusive)
            return tuple(sorted(factor))
        if isinstance(factor, (int, float)) and not isinstance(factor, bool):
            self._check_factor(factor, low_inclusive)
            factor = abs(factor)
            return -factor, factor
        raise ValueError(self._FACTOR_VALIDATION_ERROR + f"Received: {name}={factor}")


def _affine_matrix(angle_degrees, height, width):
    """Keras's rotation about the image center (scale 1, no shear, no translation)."""
    angle = angle_degrees * torch.tensor(math.pi / 180.0, dtype=torch.float32)
    cx = 0.5 * (torch.tensor(float(width), dtype=torch.float32) - 1)
    cy = 0.5 * (torch.tensor(float(height), dtype=torch.float32) - 1)
    cos, sin = torch.cos(angle), torch.sin(angle)
    zero = torch.zeros_like(angle)
    a0 = cos + zero * sin
    a1 = -sin + zero * cos
    a2 = zero + cx - cx * a0 - cy * a1
    b0 = zero * cos + sin
    b1 = zero * -sin + cos
    b2 = zero + cy - cx * b0 - cy * b1
    return torch.stack([a0, a1, a2, b0, b1, b2, zero, zero], dim=1)


class RandomRotation(_AffineLayer):
    """Rotate each image by an angle drawn from `factor * 2pi` (a fraction of a full turn)."""

    def __init__(self, factor, fill_mode="reflect", interpolation="bilinear", seed=None, fill_value=0.0,
                 data_format=None, **kwargs):
        super().__init__(fill_mode=fill_mode, interpolation=interpolation, seed=seed, fill_value=fill_value,
                         data_format=data_format, **kwargs)
        self.factor = tuple(self._set_factor(factor))

    def _transform(self, n, h, w):
        lower, upper = self.factor[0] * 360.0, self.factor[1] * 360.0
        angle = self._rand((n,)) * (upper - lower) + lower
        return _affine_matrix(angle, h, w)

    def get_config(self):
        config = super().get_config()
        config.update(factor=self.factor)
        return config


class RandomZoom(_AffineLayer):
    """Zoom each image by `1 + height_factor` (and `1 + width_factor`, or the same factor when
    `width_factor` is None); positive values zoom out, negative values zoom in."""

    _FACTOR_VALIDATION_ERROR = ("The `height_factor` and `width_factor` arguments should be a number (or a list of "
                                "two numbers) in the range (-1.0, 1.0]. ")

    def __init__(self, height_factor, width_factor=None, fill_mode="reflect", interpolation="bilinear", seed=None,
                 fill_value=0.0, data_format=None, **kwargs):
        super().__init__(fill_mode=fill_mode, interpolation=interpolation, seed=seed, fill_value=fill_value,
                         data_format=data_format, **kwargs)
        self.height_factor = height_factor
        self.height_lower, self.height_upper = self._pair(height_factor, "height_factor", low_inclusive=False)
        self.width_factor = width_factor
        if width_factor is not None:
            self.width_lower, self.width_upper = self._pair(width_factor, "width_factor", low_inclusive=False)

    def _transform(self, n, h, w):
        zy = self._rand((n, 1)) * (self.height_upper - self.height_lower) + (1.0 + self.height_lower)
        if self.width_factor is not None:
            zx = self._rand((n, 1)) * (self.width_upper - self.width_lower) + (1.0 + self.width_lower)
        else:
            zx = zy
        x_offset = (float(w) - 1.0) / 2.0 * (1.0 - zx)
        y_offset = (float(h) - 1.0) / 2.0 * (1.0 - zy)
        zeros = torch.zeros((n, 1))
        return torch.cat([zx, zeros, x_offset, zeros, zy, y_offset, zeros, zeros], dim=1)

    def get_config(self):
        config = super().get_config()
        config.update(height_factor=self.height_factor, width_factor=self.width_factor)
        return config


class RandomTranslation(_AffineLayer):
    """Shift each image by fractions of its height and width drawn from the two factors."""

    _FACTOR_VALIDATION_ERROR = ("The `factor` argument should be a number (or a list of two numbers) in the range "
                                "[-1.0, 1.0]. ")

    def __init__(self, height_factor, width_factor, fill_mode="reflect", interpolation="bilinear", seed=None,
                 fill_value=0.0, data_format=None, **kwargs):
        super().__init__(fill_mode=fill_mode, interpolation=interpolation, seed=seed, fill_value=fill_value,
                         data_format=data_format, **kwargs)
        self.height_factor = height_factor
        self.height_lower, self.height_upper = self._pair(height_factor, "height_factor", low_inclusive=True)
        self.width_factor = width_factor
        self.width_lower, self.width_upper = self._pair(width_factor, "width_factor", low_inclusive=True)

    def _transform(self, n, h, w):
        ty = (self._rand((n, 1)) * (self.height_upper - self.height_lower) + self.height_lower) * h
        tx = (self._rand((n, 1)) * (self.width_upper - self.width_lower) + self.width_lower) * w
        ones, zeros = torch.ones((n, 1)), torch.zeros((n, 1))
        return torch.cat([ones, zeros, -tx, zeros, ones, -ty, zeros, zeros], dim=1)

    def get_config(self):
        config = super().get_config()
        config.update(height_factor=self.height_factor, width_factor=self.width_factor)
        return config


class RandomContrast(_RandomImageLayer):
    """`(x - mean) * c + mean` per image and channel, c drawn from [1 - factor[0], 1 + factor[1]]
    (Keras's bounds: a single number f gives [1, 1 + f]), clipped to `value_range`."""

    def __init__(self, factor, value_range=(0, 255), seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.factor = tuple(self._set_factor(factor, bounds=(0, 1)))
        self.value_range = value_range

    def call(self, inputs, training=None):
        self._check_rank(inputs)
        images = self._autocast(inputs)
        if not self._is_training(training) or _is_fake(images):
            return images
        shape = (1, 1, 1) if images.ndim == 3 else (images.shape[0], 1, 1, 1)
        factor = self._uniform(shape, 1.0 - self.factor[0], 1.0 + self.factor[1], images.device)
        x = images if images.dtype.is_floating_point else images.to(torch.float32)
        mean = x.mean(dim=self.height_axis, keepdim=True).mean(dim=self.width_axis, keepdim=True)
        out = (x - mean) * factor.to(x.dtype) + mean
        return out.clamp(self.value_range[0], self.value_range[1])

    def get_config(self):
        config = super().get_config()
        config.update(factor=self.factor, value_range=self.value_range, seed=self.seed)
        return config


class RandomBrightness(_RandomImageLayer):
    """Add `delta * (value_range[1] - value_range[0])` per image, delta drawn from `factor`, and
    clip to `value_range`. Integer images are computed in float32 and cast back to their dtype
    (Keras adds a delta cast to the integer dtype, which wraps around for uint8)."""

    _VALUE_RANGE_VALIDATION_ERROR = "The `value_range` argument should be a list of two numbers. "

    def __init__(self, factor, value_range=(0, 255), seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.factor = tuple(self._set_factor(factor))
        if not isinstance(value_range, (tuple, list)) or len(value_range) != 2:
            raise ValueError(self._VALUE_RANGE_VALIDATION_ERROR + f"Received: value_range={value_range}")
        self.value_range = sorted(value_range)

    def call(self, inputs, training=None):
        self._check_rank(inputs)
        images = self._autocast(inputs)
        if not self._is_training(training) or _is_fake(images):
            return images
        shape = (1, 1, 1) if images.ndim == 3 else (images.shape[0], 1, 1, 1)
        delta = self._uniform(shape, self.factor[0], self.factor[1], images.device)
        delta = delta * (self.value_range[1] - self.value_range[0])
        if images.dtype.is_floating_point:
            return (images + delta.to(images.dtype)).clamp(self.value_range[0], self.value_range[1])
        out = (images.to(torch.float32) + delta).clamp(self.value_range[0], self.value_range[1])
        return torch.round(out).to(images.dtype)

    def get_config(self):
        config = super().get_config()
        config.update(factor=self.factor, value_range=self.value_range, seed=self.seed)
        return config


class RandomCrop(_RandomImageLayer):
    """A random `(height, width)` window in training (an image not larger than that is cropped to
    the target's aspect ratio and resized); inputs pass through unchanged in inference, as in
    Keras 3."""

    _fixed_size = True

    def __init__(self, height, width, seed=None, data_format=None, name=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, name=name, **kwargs)
        self.height = height
        self.width = width
        # Keras draws a default seed for the config but samples from the global generator.
        self.seed = seed if seed is not None else self._default_seed
        self._seeded = seed is not None

    def _rand(self, shape):
        if self._seeded and self._generator is None:
            self._generator = torch.Generator().manual_seed(int(self.seed))
        return torch.rand(shape, generator=self._generator if self._seeded else None, dtype=torch.float32)

    def call(self, inputs, training=None):
        self._check_rank(inputs)
        if not self._is_training(training):
            return inputs
        images = self._to_compute(inputs)
        h, w = self._image_hw(images)
        if h > self.height and w > self.width and not _is_fake(images):
            h0 = int(self._rand(()) * float(h - self.height + 1))
            w0 = int(self._rand(()) * float(w - self.width + 1))
        else:
            crop_h = max(min(h, int(float(w * self.height) / self.width)), 1)
            crop_w = max(min(w, int(float(h * self.width) / self.height)), 1)
            h0, w0 = int(float(h - crop_h) / 2), int(float(w - crop_w) / 2)
        if self.data_format == "channels_last":
            out = images[..., h0:h0 + self.height, w0:w0 + self.width, :]
        else:
            out = images[..., h0:h0 + self.height, w0:w0 + self.width]
        if self._image_hw(out) != (self.height, self.width):
            out = resize_images(out, (self.height, self.width), data_format=self.data_format).to(self._variable_dtype)
        return out

    def get_config(self):
        config = super().get_config()
        config.update(height=self.height, width=self.width, seed=self.seed)
        return config
