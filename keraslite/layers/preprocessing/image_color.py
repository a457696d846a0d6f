"""Colour and pixel-value image layers: AutoContrast, Equalization, Solarization, RandomInvert,
RandomGrayscale, RandomPosterization, RandomColorDegeneration, RandomSaturation, RandomHue,
RandomSharpness, RandomColorJitter, RandomGaussianBlur, RandomErasing and
ContrastLimitedAdaptiveHistogramEqualization.

They share `image.py`'s conventions (batched or single images, `data_format`, Keras's autocast
of float inputs, `training=None` meaning training, random numbers from the layer's own seeded
generator or torch's global one). One base class, `_PixelLayer`, does the common work: it
checks the rank, adds a batch axis to single images, draws the per-image random parameters
(`_draw`) only in training, applies `_apply` and removes the batch axis again. What happens
outside training follows Keras per layer (`_always`: applied in inference too; `_cast_always`:
cast to the compute dtype even when nothing is applied).

The colour-space conversions are keraslite.ops.image's (the formulas of Keras 3's `ops.image`
on the torch backend); `gaussian_blur` here builds the kernel as Keras's blur layer does.
"""
import torch
import torch.nn.functional as F

from keraslite import backend
from keraslite.layers.preprocessing.image import (RandomBrightness, RandomContrast, _is_fake, _RandomImageLayer)

__all__ = ["AutoContrast", "Equalization", "Solarization", "RandomInvert", "RandomGrayscale", "RandomPosterization",
           "RandomColorDegeneration", "RandomSaturation", "RandomHue", "RandomSharpness", "RandomColorJitter",
           "RandomGaussianBlur", "RandomErasing", "ContrastLimitedAdaptiveHistogramEqualization"]

_VALUE_RANGE_ERROR = "The `value_range` argument should be a list of two numbers. "


# ----------------------------------------------------------------------------- functional helpers

def _image_ops():
    """keraslite.ops.image, imported on first use (keraslite.ops imports the layers package)."""
    from keraslite.ops import image

    return image


def _channel_axis(data_format):
    return -1 if backend.standardize_data_format(data_format) == "channels_last" else -3


def gaussian_blur(images, kernel_size=(3, 3), sigma=(1.0, 1.0), data_format=None):
    """Depthwise convolution with a normalised Gaussian kernel, zero padding, same size out."""
    data_format = backend.standardize_data_format(data_format)
    squeeze = images.ndim == 3
    x = images.unsqueeze(0) if squeeze else images
    if data_format == "channels_last":
        x = x.permute(0, 3, 1, 2)
    sigma = torch.as_tensor(sigma, dtype=x.dtype, device=x.device)
    kh, kw = int(kernel_size[0]), int(kernel_size[1])
    # Keras's layer reshapes the (kw, kh) outer product to (kh, kw): equal to ops.image.gaussian_blur
    # for square kernels, not for others, so the layer keeps its own kernel.
    kernel = torch.outer(_image_ops()._gaussian_1d(kw, sigma[1], x.dtype, x.device),
                         _image_ops()._gaussian_1d(kh, sigma[0], x.dtype, x.device)).reshape(1, 1, kh, kw)
    channels = x.shape[1]
    out = F.conv2d(x, kernel.expand(channels, 1, kh, kw), padding=kh // 2, groups=channels)
    if data_format == "channels_last":
        out = out.permute(0, 2, 3, 1)
    return out.squeeze(0) if squeeze else out


def _rescale(images, source, target):
    """Map values linearly from the `source` range to the `target` range (float32 out)."""
    if source[0] == target[0] and source[1] == target[1]:
        return images
    images = images.to(torch.float32) if not images.dtype.is_floating_point else images
    return (images - source[0]) / (source[1] - source[0]) * (target[1] - target[0]) + target[0]


def _value_range(value_range):
    if not isinstance(value_range, (tuple, list)) or len(value_range) != 2:
        raise ValueError(_VALUE_RANGE_ERROR + f"Received: value_range={value_range}")
    return sorted(value_range)


def _factor_pair(factor, bounds, what, error=None):
    """Keras's factor convention: a pair (sorted) or a number f -> [max(-f, low), f]."""
    msg = (error or f"The `{what}` argument should be a number (or a list of two numbers) in the range "
                    f"[{bounds[0]}, {bounds[1]}]. ") + f"Received: {what}={factor}"
    if isinstance(factor, (tuple, list)):
        if len(factor) != 2 or factor[0] > bounds[1] or factor[1] < bounds[0]:
            raise ValueError(msg)
        return tuple(sorted(factor))
    if isinstance(factor, (int, float)) and not isinstance(factor, bool):
        if factor < bounds[0] or factor > bounds[1]:
            raise ValueError(msg)
        return (max(-abs(factor), bounds[0]), abs(factor))
    raise ValueError(msg)


# ----------------------------------------------------------------------------- base

class _PixelLayer(_RandomImageLayer):
    """Per-image parameters from `_draw(n, images)`, pixels from `_apply(images, params)`;
    `images` is always a batch here (N, H, W, C) or (N, C, H, W)."""

    _always = False  # applied outside training as well (AutoContrast)
    _cast_always = False  # cast to the compute dtype outside training too
    _cast_input = True  # cast to the compute dtype before `_apply`

    def call(self, inputs, training=None):
        self._check_rank(inputs)
        images = self._autocast(torch.as_tensor(inputs))
        training = self._is_training(training) or self._always
        if not training or _is_fake(images):
            return self._to_compute(images) if (self._cast_always or (training and self._cast_input)) else images
        squeeze = images.ndim == 3
        x = images.unsqueeze(0) if squeeze else images
        if self._cast_input:
            x = self._to_compute(x)
        out = self._apply(x, self._draw(x.shape[0], x))
        return out.squeeze(0) if squeeze else out

    def _draw(self, n, images):
        return None

    def _per_image(self, n, low, high, device, shape=(1, 1, 1)):
        """n uniform draws in [low, high), shaped to broadcast over a batch of images."""
        return self._uniform((n,) + tuple(shape), low, high, device)

    def _check_rank(self, images):
        if isinstance(images, dict):
            raise NotImplementedError(f"{type(self).__name__}: dict inputs (images with bounding boxes, labels or "
                                      "segmentation masks) are not supported by keraslite; pass the images tensor.")
        if images.ndim not in (3, 4):
            raise ValueError(f"{type(self).__name__}: expected an image tensor of rank 3 (single image) or 4 (batch "
                             f"of images). Received: data.shape={tuple(images.shape)}")

    def _channel_count(self, images):
        return images.shape[_channel_axis(self.data_format)]

    def _require_rgb(self, images, allow_grey=False):
        if self._channel_count(images) not in ((1, 3) if allow_grey else (3,)):
            raise ValueError(f"{type(self).__name__}: expected {'1 or 3' if allow_grey else '3'} channels on the "
                             f"{'last' if self.data_format == 'channels_last' else 'first'} axis "
                             f"(data_format={self.data_format!r}); received shape {tuple(images.shape)}.")

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)


def _round_cast(results, dtype):
    """Back to an integer dtype: round, then saturate to the dtype's range."""
    if results.dtype == dtype:
        return results
    if not dtype.is_floating_point:
        info = torch.iinfo(dtype)
        results = torch.round(results).clamp(info.min, info.max)
    return results.to(dtype)


# ----------------------------------------------------------------------------- deterministic value maps

class AutoContrast(_PixelLayer):
    """Stretch each image's channels to the full `value_range` (min -> low, max -> high),
    in training and inference alike; a constant channel is left as it was."""

    _always = True
    _draws_seed = False

    def __init__(self, value_range=(0, 255), **kwargs):
        super().__init__(**kwargs)
        self.value_range = _value_range(value_range)

    def _apply(self, images, params):
        original = images
        x = _rescale(images, self.value_range, (0, 255)).to(self._variable_dtype)
        low = x.amin(dim=(1, 2), keepdim=True)
        high = x.amax(dim=(1, 2), keepdim=True)
        scale = 255.0 / (high - low)
        out = torch.clip(x * scale + (-low * scale), 0.0, 255.0)
        out = _rescale(out, (0, 255), self.value_range).to(self._variable_dtype)
        return torch.where(torch.isnan(out), original.to(out.dtype), out)

    def get_config(self):
        config = super().get_config()
        config.update(value_range=self.value_range)
        return config


class Equalization(_PixelLayer):
    """Histogram equalisation per channel (the histogram counts the whole batch, as in Keras),
    in training only."""

    _draws_seed = False

    def __init__(self, value_range=(0, 255), bins=256, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.bins = int(bins)
        self.value_range = _value_range(value_range)

    @staticmethod
    def _linear(values, source, target):
        scale = (target[1] - target[0]) / (source[1] - source[0])
        return values * scale + (target[0] - source[0] * scale)

    def _equalize(self, channel):
        # Keras rescales to and from 0-255 even when value_range is already (0, 255) (scale 1).
        channel = self._linear(channel, self.value_range, (0, 255))
        nbins = self.bins
        index = torch.clip((channel.to(torch.float32) * (nbins - 1) / 255.0).to(torch.int32), 0, nbins - 1)
        hist = torch.bincount(index.reshape(-1).to(torch.int64), minlength=nbins)
        if int(torch.count_nonzero(hist)) <= 1:
            equalized = channel
        else:
            cdf = torch.cumsum(hist, 0)
            cdf_min = cdf[torch.nonzero(cdf)[0][0]]
            denominator = cdf[-1] - cdf_min
            denominator = torch.where(denominator == 0, torch.ones_like(denominator), denominator)
            table = torch.clip(torch.round((cdf - cdf_min) * 255 / denominator), 0, 255)
            lookup = torch.clip(channel / 255.0 * (nbins - 1), 0, nbins - 1).to(torch.int32)
            equalized = table[lookup.to(torch.int64)]
        return self._linear(equalized, (0, 255), self.value_range)

    def _apply(self, images, params):
        axis = _channel_axis(self.data_format)
        channels = [self._equalize(c) for c in images.unbind(dim=axis)]
        return torch.stack(channels, dim=axis).to(self._variable_dtype)

    def get_config(self):
        config = super().get_config()
        config.update(bins=self.bins, value_range=self.value_range)
        return config


class Solarization(_PixelLayer):
    """Add a random amount (`addition_factor` * 255), then invert (255 - x) the pixels at or
    above a random threshold (`threshold_factor` * 255), on the 0-255 scale of `value_range`."""

    _cast_always = True
    _FACTOR_ERROR = ("The `addition_factor` and `threshold_factor` arguments should be a number (or a list of two "
                     "numbers) in the range [0, 1]. ")

    def __init__(self, addition_factor=0.0, threshold_factor=0.0, value_range=(0, 255), seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.addition_factor = self._solar_factor(addition_factor, "addition_factor")
        self.threshold_factor = self._solar_factor(threshold_factor, "threshold_factor")
        self.value_range = _value_range(value_range)

    def _solar_factor(self, factor, name):
        if isinstance(factor, (tuple, list)):
            if len(factor) != 2:
                raise ValueError(self._FACTOR_ERROR + f"Received: {name}={factor}")
            values = factor
        elif isinstance(factor, (int, float)) and not isinstance(factor, bool):
            values = (factor,)
        else:
            raise ValueError(self._FACTOR_ERROR + f"Received: {name}={factor}")
        for v in values:
            if v > 1.0 or v < 0:
                raise ValueError(self._FACTOR_ERROR + f"Received: input_number={v}")
        return tuple(sorted(factor)) if isinstance(factor, (tuple, list)) else (0, factor)

    def _draw(self, n, images):
        # Keras's bounds: [low, high * 255] for both numbers.
        add = self._per_image(n, self.addition_factor[0], self.addition_factor[1] * 255, images.device)
        threshold = self._per_image(n, self.threshold_factor[0], self.threshold_factor[1] * 255, images.device)
        return add.to(images.dtype), threshold.to(images.dtype)

    def _apply(self, images, params):
        add, threshold = params
        x = _rescale(images, self.value_range, (0, 255))
        out = torch.clip(x + add, 0, 255)
        out = torch.where(out < threshold, out, 255 - out)
        return _rescale(out, (0, 255), self.value_range).to(self._variable_dtype)

    def get_config(self):
        config = super().get_config()
        config.update(value_range=self.value_range, addition_factor=self.addition_factor,
                      threshold_factor=self.threshold_factor, seed=self.seed)
        return config


class RandomInvert(_PixelLayer):
    """Replace an image by `value_range[1] - image` with a probability drawn from `factor`
    (1.0: every image, 0: none)."""

    def __init__(self, factor=1.0, value_range=(0, 255), seed=None, data_format=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.factor = _factor_pair(factor, (0, 1), "factor")
        self.value_range = value_range

    def _draw(self, n, images):
        probability = self._per_image(n, self.factor[0], self.factor[1], images.device)
        return self._per_image(n, 0.0, 1.0, images.device) < probability

    def _apply(self, images, invert):
        return torch.where(invert, self.value_range[1] - images, images)

    def get_config(self):
        config = super().get_config()
        config.update(factor=self.factor, value_range=self.value_range, seed=self.seed)
        return config


class RandomGrayscale(_PixelLayer):
    """Turn an image to grey (its luma repeated over the channels) with probability `factor`.
    Keeps the input dtype, as Keras does."""

    _cast_input = False

    def __init__(self, factor=0.5, data_format=None, seed=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        if isinstance(factor, bool) or not isinstance(factor, (int, float)) or factor < 0 or factor > 1:
            raise ValueError(f"`factor` should be between 0 and 1. Received: factor={factor}")
        self.factor = factor

    def _draw(self, n, images):
        return self._per_image(n, 0.0, 1.0, images.device) < self.factor

    def _apply(self, images, apply):
        self._require_rgb(images, allow_grey=True)
        grey = _image_ops().rgb_to_grayscale(images, data_format=self.data_format)
        return torch.where(apply, grey, images)

    def get_config(self):
        config = super().get_config()
        config.update(factor=self.factor)
        return config


class RandomPosterization(_PixelLayer):
    """Keep only the top `bits` bits of each 8-bit pixel value, `bits` drawn as an integer in
    [factor[0], factor[1]) (or exactly factor[0] when both are equal), factor within [1, 8]."""

    def __init__(self, factor, value_range=(0, 255), data_format=None, seed=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.factor = _factor_pair(factor, (1, 8), "factor")
        self.value_range = _value_range(value_range)

    def _draw(self, n, images):
        low, high = int(self.factor[0]), int(self.factor[1])
        if low != high:
            bits = (self._rand((n,)) * (high - low)).floor().to(torch.int64) + low
        else:
            bits = torch.full((n,), low, dtype=torch.int64)
        return (8 - bits).to(torch.uint8).view(n, 1, 1, 1).to(images.device)

    def _apply(self, images, shift):
        x = _rescale(images, self.value_range, (0, 255)).to(self._variable_dtype).to(torch.uint8)
        x = torch.bitwise_left_shift(torch.bitwise_right_shift(x, shift), shift)
        return _rescale(x.to(self._variable_dtype), (0, 255), self.value_range).to(self._variable_dtype)

    def get_config(self):
        config = super().get_config()
        config.update(factor=self.factor, value_range=self.value_range, seed=self.seed)
        return config


# ----------------------------------------------------------------------------- random colour changes

class _FactorLayer(_PixelLayer):
    """Layers taking (factor, value_range, data_format, seed) with factor in `_BOUNDS`."""

    _BOUNDS = (-1, 1)

    def __init__(self, factor, value_range=(0, 255), data_format=None, seed=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.factor = _factor_pair(factor, self._BOUNDS, "factor")
        self.value_range = _value_range(value_range)

    def get_config(self):
        config = super().get_config()
        config.update(factor=self.factor, value_range=self.value_range, seed=self.seed)
        return config


class RandomColorDegeneration(_FactorLayer):
    """Blend each image towards its greyscale version by a fraction drawn from `factor`
    (0: unchanged, 1: grey), clipped to `value_range`."""

    def _draw(self, n, images):
        return self._per_image(n, self.factor[0], self.factor[1], images.device).to(images.dtype)

    def _apply(self, images, amount):
        self._require_rgb(images, allow_grey=True)
        grey = _image_ops().rgb_to_grayscale(images, data_format=self.data_format)
        out = images + amount * (grey - images)
        return torch.clip(out, self.value_range[0], self.value_range[1]).to(self._variable_dtype)


class RandomSaturation(_FactorLayer):
    """Scale the HSV saturation by u / (1 - u), u drawn from `factor` in [0, 1] (0.5 keeps the
    image, 0 makes it grey, 1 saturates it fully). Float images only, as in Keras."""

    _cast_input = False

    def _draw(self, n, images):
        u = self._per_image(n, self.factor[0], self.factor[1], images.device, shape=(1, 1))
        return u / (1 - u + backend.epsilon())

    def _apply(self, images, scale):
        self._require_rgb(images)
        if not images.dtype.is_floating_point:
            raise ValueError(f"RandomSaturation: expected float images. Received: images.dtype="
                             f"{backend.dtype_name(images.dtype)} with shape {tuple(images.shape)}.")
        hsv = _image_ops().rgb_to_hsv(images, data_format=self.data_format)
        axis = _channel_axis(self.data_format)
        h, s, v = hsv.unbind(dim=axis)
        s = torch.clip(s * scale.to(s.dtype), self.value_range[0], self.value_range[1])
        return _image_ops().hsv_to_rgb(torch.stack((h, s, v), dim=axis), data_format=self.data_format)


class RandomHue(_FactorLayer):
    """Rotate the hue by +/- half of an amount drawn from `factor` in [0, 1] (sign at random)."""

    _BOUNDS = (0, 1)

    def __init__(self, factor, value_range=(0, 255), data_format=None, seed=None, **kwargs):
        super().__init__(factor, value_range=value_range, data_format=data_format, seed=seed, **kwargs)
        self.value_range = value_range  # Keras keeps it as given

    def _draw(self, n, images):
        sign = torch.where(self._rand((n,)) > 0.5, -1.0, 1.0)
        amount = self._rand((n,)) * (self.factor[1] - self.factor[0]) + self.factor[0]
        return (sign * amount * 0.5).view(n, 1, 1).to(images.device)

    def _apply(self, images, shift):
        self._require_rgb(images)
        x = _rescale(images, self.value_range, (0, 1))
        hsv = _image_ops().rgb_to_hsv(x, data_format=self.data_format)
        axis = _channel_axis(self.data_format)
        h, s, v = hsv.unbind(dim=axis)
        h = h + shift.to(h.dtype)
        h = torch.where(h > 1.0, h - 1.0, h)
        h = torch.where(h < 0.0, h + 1.0, h)
        out = torch.clip(_image_ops().hsv_to_rgb(torch.stack((h, s, v), dim=axis), data_format=self.data_format), 0, 1)
        return _rescale(out, (0, 1), self.value_range).to(self._variable_dtype)


class RandomSharpness(_FactorLayer):
    """Blend each image with a 3x3 smoothed copy: amount 2u - 1 of sharpening, u drawn from
    `factor` in [0, 1] (0.5 keeps the image), clipped to `value_range`."""

    _BOUNDS = (0, 1)
    _cast_always = True

    def _draw(self, n, images):
        return (self._per_image(n, self.factor[0], self.factor[1], images.device) * 2).to(images.dtype)

    def _apply(self, images, sharpness):
        x = images if self.data_format == "channels_first" else images.permute(0, 3, 1, 2)
        a, b = 1.0 / 13.0, 5.0 / 13.0
        kernel = torch.tensor([[a, a, a], [a, b, a], [a, a, a]], dtype=x.dtype, device=x.device)
        channels = x.shape[1]
        smooth = F.conv2d(x, kernel.expand(channels, 1, 3, 3), padding=1, groups=channels)
        if self.data_format == "channels_last":
            smooth = smooth.permute(0, 2, 3, 1)
        out = images + (1.0 - sharpness) * (smooth - images)
        return torch.clip(out, self.value_range[0], self.value_range[1])


class RandomColorJitter(_PixelLayer):
    """Brightness, contrast, saturation and hue changes in that order, each only when its
    factor is given (each as the layer of that name would do it)."""

    def __init__(self, value_range=(0, 255), brightness_factor=None, contrast_factor=None, saturation_factor=None,
                 hue_factor=None, seed=None, data_format=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.value_range = value_range
        self.brightness_factor = brightness_factor
        self.contrast_factor = contrast_factor
        self.saturation_factor = saturation_factor
        self.hue_factor = hue_factor
        steps = []
        if brightness_factor is not None:
            steps.append(RandomBrightness(brightness_factor, value_range=value_range, seed=seed))
        if contrast_factor is not None:
            steps.append(RandomContrast(contrast_factor, value_range=value_range, seed=seed))
        if saturation_factor is not None:
            steps.append(RandomSaturation(saturation_factor, value_range=value_range, seed=seed,
                                          data_format=data_format))
        if hue_factor is not None:
            steps.append(RandomHue(hue_factor, value_range=value_range, seed=seed, data_format=data_format))
        self._steps = steps  # a plain list: no weights, nothing to save

    def _apply(self, images, params):
        for step in self._steps:
            images = step(images, training=True)
        return images.to(self._variable_dtype)

    def get_config(self):
        config = super().get_config()
        config.update(value_range=self.value_range, brightness_factor=self.brightness_factor,
                      contrast_factor=self.contrast_factor, saturation_factor=self.saturation_factor,
                      hue_factor=self.hue_factor, seed=self.seed)
        return config


class RandomGaussianBlur(_PixelLayer):
    """Blur an image with probability drawn from `factor`; one sigma per batch, drawn from
    `sigma`; `kernel_size` odd; clipped to `value_range`."""

    _cast_always = True

    def __init__(self, factor=1.0, kernel_size=3, sigma=1.0, value_range=(0, 255), data_format=None, seed=None,
                 **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.factor = _factor_pair(factor, (0, 1), "factor")
        self.kernel_size = self._kernel_size(kernel_size)
        self.sigma = _factor_pair(sigma, (0, 1), "sigma")
        self.value_range = value_range

    @staticmethod
    def _kernel_size(size):
        msg = f"kernel_size must be an odd number. Received: kernel_size={size}"
        if isinstance(size, (tuple, list)):
            if len(size) != 2:
                raise ValueError("The `kernel_size` argument should be a number (or a list of two numbers) "
                                 f"Received: kernel_size={size}")
            if size[0] % 2 == 0 or size[1] % 2 == 0:
                raise ValueError(msg)
            return tuple(size)
        if isinstance(size, (int, float)) and not isinstance(size, bool):
            if size % 2 == 0:
                raise ValueError(msg)
            return (size, size)
        raise ValueError(msg)

    def _draw(self, n, images):
        probability = self._per_image(n, self.factor[0], self.factor[1], images.device)
        apply = self._per_image(n, 0.0, 1.0, images.device) < probability
        sigma = self._uniform((2,), self.sigma[0], self.sigma[1], images.device) + 1e-6
        return apply, sigma.to(images.dtype)

    def _apply(self, images, params):
        apply, sigma = params
        blurred = gaussian_blur(images, self.kernel_size, sigma, data_format=self.data_format)
        out = torch.where(apply, blurred, images)
        return torch.clip(out, self.value_range[0], self.value_range[1]).to(self._variable_dtype)

    def get_config(self):
        config = super().get_config()
        config.update(factor=self.factor, kernel_size=self.kernel_size, sigma=self.sigma,
                      value_range=self.value_range, seed=self.seed)
        return config


class RandomErasing(_PixelLayer):
    """With probability drawn from `factor`, fill a random rectangle (area fraction drawn from
    `scale`, per side its square root) with `fill_value` (a number, three channel values, or
    Gaussian noise * value_range[1] when None), clipped to `value_range`."""

    _cast_always = True

    def __init__(self, factor=1.0, scale=(0.02, 0.33), fill_value=None, value_range=(0, 255), seed=None,
                 data_format=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.factor = _factor_pair(factor, (0, 1), "factor")
        self.scale = _factor_pair(scale, (0, 1), "scale")
        if fill_value is not None and not (isinstance(fill_value, (int, float)) or (
                isinstance(fill_value, (tuple, list)) and len(fill_value) == 3)):
            raise ValueError("The `fill_value` argument should be a number (or a list of three numbers) "
                             f"Received: fill_value={fill_value}")
        self.fill_value = fill_value
        self.value_range = value_range

    def _draw(self, n, images):
        h, w = self._image_hw(images)
        device = images.device
        side = torch.sqrt(self._uniform((n, 2), self.scale[0], self.scale[1], device))
        width, height = side[:, 0] * w, side[:, 1] * h
        x0 = self._uniform((n,), 0.0, 1.0, device) * (w - width)
        y0 = self._uniform((n,), 0.0, 1.0, device) * (h - height)
        ys = torch.arange(h, dtype=torch.float32, device=device).view(1, h, 1)
        xs = torch.arange(w, dtype=torch.float32, device=device).view(1, 1, w)
        inside = ((xs >= x0.view(n, 1, 1)) & (xs < (x0 + width).view(n, 1, 1))
                  & (ys >= y0.view(n, 1, 1)) & (ys < (y0 + height).view(n, 1, 1)))
        inside = inside.unsqueeze(-1 if self.data_format == "channels_last" else 1)
        probability = self._per_image(n, self.factor[0], self.factor[1], device)
        apply = self._per_image(n, 0.0, 1.0, device) < probability
        if self.fill_value is None:
            fill = torch.randn(images.shape, generator=self._generator if self.seed is not None else None)
            fill = fill.to(device) * self.value_range[1]
        elif isinstance(fill_value := self.fill_value, (tuple, list)):
            shape = (1, 1, 1, 3) if self.data_format == "channels_last" else (1, 3, 1, 1)
            fill = torch.tensor(fill_value, dtype=torch.float32, device=device).view(shape).expand(images.shape)
        else:
            fill = torch.full(images.shape, float(fill_value), device=device)
        fill = torch.clip(fill, self.value_range[0], self.value_range[1]).to(images.dtype)
        return inside & apply, fill

    def _apply(self, images, params):
        erase, fill = params
        return torch.where(erase, fill, images)

    def get_config(self):
        config = super().get_config()
        config.update(factor=self.factor, scale=self.scale, fill_value=self.fill_value,
                      value_range=self.value_range, seed=self.seed)
        return config


def _symmetric_index(size, padded):
    """Indices of numpy's 'symmetric' padding at the end: n..padded-1 mirror back onto n-1, n-2, ..."""
    index = torch.arange(padded)
    return torch.where(index < size, index, 2 * size - 1 - index).clamp(0, size - 1)


class ContrastLimitedAdaptiveHistogramEqualization(_PixelLayer):
    """CLAHE: histogram equalisation per tile of a `tile_grid_size` grid, with each tile's
    histogram clipped at `clip_limit` times the mean bin count (the excess spread evenly) and the
    tile mappings blended bilinearly between tile centres. Applied in training and inference;
    keeps the input dtype."""

    _always = True
    _cast_input = False
    _draws_seed = False

    def __init__(self, value_range=(0, 255), clip_limit=4.0, tile_grid_size=(8, 8), data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.value_range = value_range
        self.clip_limit = clip_limit
        self.tile_grid_size = tile_grid_size

    def call(self, inputs, training=None):
        self._check_rank(inputs)
        images = self._autocast(torch.as_tensor(inputs))
        if _is_fake(images):
            return images
        return super().call(images, training=True)

    def _apply(self, images, params):
        dtype = images.dtype
        x = images if self.data_format == "channels_last" else images.permute(0, 2, 3, 1)
        x = _rescale(x.to(torch.float32), self.value_range, (0, 255))
        out = self._equalize(x)
        out = _rescale(out, (0, 255), self.value_range).to(dtype)
        return out if self.data_format == "channels_last" else out.permute(0, 3, 1, 2)

    def _equalize(self, images):
        n, h, w, c = images.shape
        grid_h, grid_w = self.tile_grid_size
        tile_h, tile_w = -(-h // grid_h), -(-w // grid_w)
        ph, pw = tile_h * grid_h, tile_w * grid_w
        device = images.device
        padded = images[:, _symmetric_index(h, ph).to(device)][:, :, _symmetric_index(w, pw).to(device)]
        levels = padded.to(torch.int32).clamp(0, 255).to(torch.int64)
        tiles = levels.reshape(n, grid_h, tile_h, grid_w, tile_w, c).permute(0, 1, 3, 5, 2, 4)
        tiles = tiles.reshape(n, grid_h, grid_w, c, tile_h * tile_w)
        hists = torch.zeros(n, grid_h, grid_w, c, 256, dtype=torch.float32, device=device).scatter_add_(
            -1, tiles, torch.ones(tiles.shape, dtype=torch.float32, device=device))
        area = tile_h * tile_w
        if self.clip_limit > 0:
            # Keras's histogram counts are integers, so its limit is truncated to an integer.
            limit = float(int(self.clip_limit * area / 256.0))
            clipped = hists.clamp(0, limit)
            hists = clipped + (hists - clipped).sum(-1, keepdim=True) / 256.0
        cdf = torch.cumsum(hists, -1)
        cdf_min = cdf.amin(-1, keepdim=True)
        denominator = area - cdf_min
        denominator = torch.where(denominator == 0, torch.ones_like(denominator), denominator)
        table = torch.clip((cdf - cdf_min) * 255.0 / denominator, 0, 255)
        table = torch.cat([table[:, :1], table, table[:, -1:]], dim=1)
        table = torch.cat([table[:, :, :1], table, table[:, :, -1:]], dim=2)  # (n, gh+2, gw+2, c, 256)

        def corners(length, tile, grid):
            pos = (torch.arange(length, dtype=torch.float32, device=device) - tile / 2.0) / tile + 1.0
            low = torch.floor(pos)
            weight = pos - low
            return low.clamp(0, grid + 1).long(), (low + 1).clamp(0, grid + 1).long(), weight

        y0, y1, wy = corners(ph, tile_h, grid_h)
        x0, x1, wx = corners(pw, tile_w, grid_w)
        b = torch.arange(n, device=device).view(n, 1, 1, 1)
        ch = torch.arange(c, device=device).view(1, 1, 1, c)
        y0, y1, wy = y0.view(1, ph, 1, 1), y1.view(1, ph, 1, 1), wy.view(1, ph, 1, 1)
        x0, x1, wx = x0.view(1, 1, pw, 1), x1.view(1, 1, pw, 1), wx.view(1, 1, pw, 1)

        def look(yy, xx):
            return table[b, yy, xx, ch, levels]

        top = look(y0, x0) * (1.0 - wx) + look(y0, x1) * wx
        bottom = look(y1, x0) * (1.0 - wx) + look(y1, x1) * wx
        return (top * (1.0 - wy) + bottom * wy)[:, :h, :w, :]

    def get_config(self):
        config = super().get_config()
        config.update(value_range=self.value_range, clip_limit=self.clip_limit, tile_grid_size=self.tile_grid_size,
                      data_format=self.data_format)
        return config
