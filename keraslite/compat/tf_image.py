"""tf.image, tf.io, tf.signal, tf.summary and tf.strings.split for the tensorflow shim, on
torch tensors (images HWC or NHWC, channels last, as in TensorFlow).

- `resize` is keraslite's Resizing math (keras.ops.image.resize on the torch backend:
  half-pixel bilinear, 'nearest' as nearest-exact), returning float32 as tf.image.resize does
  (except 'nearest', which keeps the input dtype). 'bicubic' is torch's cubic (a=-0.75), where
  TensorFlow's Keys cubic uses a=-0.5; 'area', 'lanczos*', 'gaussian', 'mitchellcubic' and
  preserve_aspect_ratio raise.
- TF 1's `resize_bilinear` / `resize_nearest_neighbor` / `compat.v1.image.resize` keep TF 1's
  sampling (source = dst * in/out, or align_corners), and `crop_and_resize` samples each box
  as TensorFlow's kernel does.
- `convert_image_dtype` scales as TensorFlow: integers to [0, 1] floats by the dtype's max,
  floats to integers by max + 0.5 then a truncating cast.
- `decode_jpeg` / `decode_png` / `decode_image` decode with Pillow into uint8 HWC tensors;
  JPEG pixels may differ from TensorFlow's libjpeg settings by a level or so.
- Augmentation: `random_crop`, `random_contrast`, `resize_with_crop_or_pad` (centred, the odd
  pixel of padding after), `rot90` and the `stateless_random_*` functions, whose draws follow
  their two-integer seed deterministically but are torch's, not TensorFlow's Philox values.
  `adjust_saturation` and `adjust_hue` work in HSV (with `rgb_to_hsv` / `hsv_to_rgb`); the
  `random_*` adjustments draw one value for the whole batch, as TensorFlow's.
- `resize_with_pad`, `transpose`, `image_gradients`, `sobel_edges` (NHWC batches) and `ssim`
  follow TensorFlow's definitions.
- Non-max suppression (`non_max_suppression`, `_with_scores` (Soft-NMS too), `_padded`,
  `combined_non_max_suppression`) follows TensorFlow's CPU kernel's greedy selection, run on the
  CPU; the results come back on keraslite's device.
- `io.read_file` returns the file's bytes (a Python bytes object, where TensorFlow gives a
  scalar string tensor).

Leaves to others: tensor conversion (tensorflow_shim), the math ops (tf_ops).
"""
import builtins
import io as _io
import types
import warnings

import numpy as np
import torch

from keraslite.compat.tf_namespace import TFNamespace
from keraslite.compat.tf_ops import _floating, _tensor, _torch_dtype, _unsupported

__all__ = ["image", "io", "signal", "summary", "strings_split"]


# ------------------------------------------------------------------------------- dtypes

def _dtype_max(dtype):
    return torch.iinfo(dtype).max


def convert_image_dtype(image, dtype, saturate=False, name=None):
    """`image` as `dtype`, rescaled: integer images span [0, MAX], float images [0, 1]."""
    image = _tensor(image)
    target = _torch_dtype(dtype)
    if image.dtype == target:
        return image
    source_float, target_float = image.is_floating_point(), target.is_floating_point
    if source_float and target_float:
        return image.to(target)
    if not source_float and not target_float:
        # Integer to integer: scale by the ratio of the ranges, as TensorFlow does.
        src, dst = _dtype_max(image.dtype), _dtype_max(target)
        if src > dst:
            return torch.div(image.to(torch.int64), (src + 1) // (dst + 1), rounding_mode="floor").to(target)
        return (image.to(torch.int64) * ((dst + 1) // (src + 1))).to(target)
    if not source_float:
        return image.to(target) * (1.0 / _dtype_max(image.dtype))
    scaled = image.to(torch.float64 if image.dtype == torch.float64 else torch.float32) * (_dtype_max(target) + 0.5)
    if saturate:
        info = torch.iinfo(target)
        scaled = scaled.clamp(info.min, info.max)
    return scaled.to(target)


# ------------------------------------------------------------------------------- geometry

_METHODS = {"bilinear": "bilinear", "nearest": "nearest", "bicubic": "bicubic"}


def resize(images, size, method="bilinear", preserve_aspect_ratio=False, antialias=False, name=None):
    """HWC or NHWC images resized to size=(height, width); float32 out (the input dtype for
    'nearest')."""
    from keraslite.layers.preprocessing.image import resize_images

    method = str(getattr(method, "value", method)).lower()
    if method == "nearest_neighbor":
        method = "nearest"
    if method not in _METHODS:
        raise _unsupported("image.resize", "method", method, "'bilinear', 'nearest', 'bicubic'")
    if preserve_aspect_ratio:
        raise _unsupported("image.resize", "preserve_aspect_ratio", True, "False")
    images = _tensor(images)
    if images.ndim not in (3, 4):
        raise ValueError(f"tf.image.resize: images must be HWC or NHWC; got shape {tuple(images.shape)}.")
    height, width = (int(v) for v in (size.tolist() if isinstance(size, torch.Tensor) else size))
    if method != "nearest":
        images = images.to(torch.float32) if images.dtype != torch.float64 else images
    return resize_images(images, (height, width), interpolation=method, antialias=antialias,
                         data_format="channels_last")


def _legacy_sources(in_size, out_size, align_corners, half_pixel_centers, device):
    """TF 1's source coordinate of each output row / column: dst * in/out (the legacy rule,
    no half-pixel offset), dst * (in-1)/(out-1) with align_corners, or the half-pixel
    (dst + 0.5) * in/out - 0.5."""
    if align_corners and out_size > 1:
        scale = (in_size - 1) / (out_size - 1)
    else:
        scale = in_size / out_size
    dst = torch.arange(out_size, dtype=torch.float64, device=device)
    return (dst + 0.5) * scale - 0.5 if half_pixel_centers else dst * scale


def _legacy_resize(images, size, method, align_corners, half_pixel_centers, function):
    """TF 1's resize_bilinear / resize_nearest_neighbor on HWC or NHWC images."""
    if align_corners and half_pixel_centers:
        raise ValueError(f"tf.{function}: align_corners and half_pixel_centers cannot both be True.")
    images = _image_tensor(images, function)
    batched = images.ndim == 4
    x = images if batched else images[None]
    height, width = (int(v) for v in (size.tolist() if isinstance(size, torch.Tensor) else size))
    in_h, in_w = x.shape[1], x.shape[2]
    ys = _legacy_sources(in_h, height, align_corners, half_pixel_centers, x.device)
    xs = _legacy_sources(in_w, width, align_corners, half_pixel_centers, x.device)
    if method == "nearest":
        # TensorFlow's nearest neighbour: rounded with align_corners, else floored; the
        # half-pixel variant floors (dst + 0.5) * scale, without the -0.5.
        def nearest(src, in_size):
            if half_pixel_centers:
                src = src + 0.5
            index = torch.floor(src + 0.5) if align_corners else torch.floor(src)  # roundf: halves up
            return index.long().clamp(0, in_size - 1)

        out = x[:, nearest(ys, in_h)][:, :, nearest(xs, in_w)]
    else:
        def weights(src, in_size):
            low = torch.floor(src)
            lerp = (src - low).to(torch.float32)
            return low.long().clamp(0, in_size - 1), torch.ceil(src).long().clamp(0, in_size - 1), lerp

        top, bottom, y_lerp = weights(ys, in_h)
        left, right, x_lerp = weights(xs, in_w)
        x = x.to(torch.float32)
        x_lerp = x_lerp.reshape(1, 1, -1, 1)
        upper = x[:, top][:, :, left] + (x[:, top][:, :, right] - x[:, top][:, :, left]) * x_lerp
        lower = x[:, bottom][:, :, left] + (x[:, bottom][:, :, right] - x[:, bottom][:, :, left]) * x_lerp
        out = upper + (lower - upper) * y_lerp.reshape(1, -1, 1, 1)
    return out if batched else out[0]


def resize_bilinear(images, size, align_corners=False, name=None, half_pixel_centers=False):
    """TF 1's tf.image.resize_bilinear (tf.compat.v1.image.resize_bilinear): float32 out.
    Without align_corners the source of output pixel i is i * in/out, not TF 2's half-pixel
    centres, so the results differ from tf.image.resize's."""
    return _legacy_resize(images, size, "bilinear", align_corners, half_pixel_centers, "image.resize_bilinear")


def resize_nearest_neighbor(images, size, align_corners=False, name=None, half_pixel_centers=False):
    """TF 1's tf.image.resize_nearest_neighbor: the input dtype out."""
    return _legacy_resize(images, size, "nearest", align_corners, half_pixel_centers,
                          "image.resize_nearest_neighbor")


# TF 1's ResizeMethod values were integers.
_V1_METHODS = {0: "bilinear", 1: "nearest", 2: "bicubic", 3: "area"}


def resize_v1(images, size, method=0, align_corners=False, preserve_aspect_ratio=False, name=None):
    """tf.compat.v1.image.resize (TF 1's tf.image.resize_images): TF 1's bilinear and nearest
    neighbour rules (resize_bilinear / resize_nearest_neighbor)."""
    method = _V1_METHODS.get(method, method) if isinstance(method, int) else str(getattr(method, "value", method))
    method = {"nearest_neighbor": "nearest"}.get(method.lower(), method.lower())
    if method not in ("bilinear", "nearest"):
        raise _unsupported("compat.v1.image.resize", "method", method, "'bilinear', 'nearest' (TF 1's bicubic and "
                           "area rules are not implemented; tf.image.resize has TF 2's bicubic)")
    if preserve_aspect_ratio:
        raise _unsupported("compat.v1.image.resize", "preserve_aspect_ratio", True, "False")
    return _legacy_resize(images, size, method, align_corners, False, "compat.v1.image.resize")


def crop_and_resize(image, boxes, box_indices, crop_size, method="bilinear", extrapolation_value=0.0, name=None,
                    box_ind=None):
    """TensorFlow's crop_and_resize: for each normalized box [y1, x1, y2, x2] of image
    box_indices[i], a crop_size (ch, cw) grid sampled at y1*(h-1) + i*(y2-y1)*(h-1)/(ch-1)
    (the box centre when ch is 1), likewise in x, bilinearly or to the nearest pixel
    (rounded); samples outside the image are `extrapolation_value`. Float32 (N, ch, cw, C)."""
    if box_ind is not None:  # TF 1's name for box_indices
        box_indices = box_ind
    method = str(method).lower()
    if method not in ("bilinear", "nearest"):
        raise _unsupported("image.crop_and_resize", "method", method, "'bilinear', 'nearest'")
    image = _tensor(image)
    if image.ndim != 4:
        raise ValueError(f"tf.image.crop_and_resize: image must be NHWC; got shape {tuple(image.shape)}.")
    boxes = _tensor(boxes).to(device=image.device, dtype=torch.float32)
    if boxes.ndim != 2 or boxes.shape[-1] != 4:
        raise ValueError(f"tf.image.crop_and_resize: boxes must have shape (num_boxes, 4); got {tuple(boxes.shape)}.")
    box_indices = _tensor(box_indices).to(image.device).long().reshape(-1)
    if box_indices.shape[0] != boxes.shape[0]:
        raise ValueError(f"tf.image.crop_and_resize: box_indices has {box_indices.shape[0]} entries for "
                         f"{boxes.shape[0]} boxes; give one image index per box.")
    if box_indices.numel() and not bool(((box_indices >= 0) & (box_indices < image.shape[0])).all()):
        raise ValueError(f"tf.image.crop_and_resize: box_indices has values outside [0, {image.shape[0]}).")
    crop_h, crop_w = (int(v) for v in (crop_size.tolist() if isinstance(crop_size, torch.Tensor) else crop_size))
    if crop_h <= 0 or crop_w <= 0:
        raise ValueError(f"tf.image.crop_and_resize: crop_size must be positive; got {(crop_h, crop_w)}.")
    batch, height, width, channels = image.shape

    def sources(start, end, size, count):  # (num_boxes, count) source coordinates
        if count == 1:
            return (0.5 * (start + end) * (size - 1))[:, None]
        steps = torch.arange(count, dtype=torch.float32, device=image.device)
        return start[:, None] * (size - 1) + steps[None] * ((end - start) * (size - 1) / (count - 1))[:, None]

    ys = sources(boxes[:, 0], boxes[:, 2], height, crop_h)
    xs = sources(boxes[:, 1], boxes[:, 3], width, crop_w)
    inside = (((ys >= 0) & (ys <= height - 1))[:, :, None] & ((xs >= 0) & (xs <= width - 1))[:, None, :])
    flat = image.reshape(batch * height * width, channels).to(torch.float32)
    base = (box_indices * height * width)[:, None, None]

    def pick(y, x):  # pixels at integer (y, x) grids, (num_boxes, ch, cw, channels)
        y = y.clamp(0, height - 1)[:, :, None]
        x = x.clamp(0, width - 1)[:, None, :]
        return flat[(base + y * width + x).reshape(-1)].reshape(boxes.shape[0], crop_h, crop_w, channels)

    if method == "nearest":
        # std::round: halves away from zero
        out = pick((torch.sign(ys) * torch.floor(ys.abs() + 0.5)).long(),
                   (torch.sign(xs) * torch.floor(xs.abs() + 0.5)).long())
    else:
        top, left = torch.floor(ys), torch.floor(xs)
        y_lerp, x_lerp = (ys - top)[:, :, None, None], (xs - left)[:, None, :, None]
        top, left = top.long(), left.long()
        bottom, right = torch.ceil(ys).long(), torch.ceil(xs).long()
        upper = pick(top, left) + (pick(top, right) - pick(top, left)) * x_lerp
        lower = pick(bottom, left) + (pick(bottom, right) - pick(bottom, left)) * x_lerp
        out = upper + (lower - upper) * y_lerp
    fill = torch.as_tensor(float(extrapolation_value), dtype=torch.float32, device=image.device)
    return torch.where(inside[..., None], out, fill)


ResizeMethod = types.SimpleNamespace(BILINEAR="bilinear", NEAREST_NEIGHBOR="nearest", BICUBIC="bicubic",
                                     AREA="area", LANCZOS3="lanczos3", LANCZOS5="lanczos5", GAUSSIAN="gaussian",
                                     MITCHELLCUBIC="mitchellcubic")


def _image_tensor(image, function):
    image = _tensor(image)
    if image.ndim not in (3, 4):
        raise ValueError(f"tf.image.{function}: images must be HWC or NHWC; got shape {tuple(image.shape)}.")
    return image


def flip_left_right(image, name=None):
    return torch.flip(_image_tensor(image, "flip_left_right"), dims=[-2])


def flip_up_down(image, name=None):
    return torch.flip(_image_tensor(image, "flip_up_down"), dims=[-3])


def _random_flip(image, seed, dim, function):
    image = _image_tensor(image, function)
    gen = torch.Generator().manual_seed(int(seed)) if seed is not None else None
    if image.ndim == 3:
        return torch.flip(image, dims=[dim]) if torch.rand((), generator=gen).item() < 0.5 else image
    flip = (torch.rand(image.shape[0], generator=gen) < 0.5).to(image.device).reshape(-1, 1, 1, 1)
    return torch.where(flip, torch.flip(image, dims=[dim]), image)


def random_flip_left_right(image, seed=None):
    """Each image flipped left-right with probability 1/2 (each image of a batch on its own)."""
    return _random_flip(image, seed, -2, "random_flip_left_right")


def random_flip_up_down(image, seed=None):
    return _random_flip(image, seed, -3, "random_flip_up_down")


def rgb_to_grayscale(images, name=None):
    """Luma 0.2989 R + 0.5870 G + 0.1140 B, keeping a channel axis of size 1 and the dtype."""
    images = _tensor(images)
    weights = torch.tensor([0.2989, 0.5870, 0.1140], dtype=torch.float32, device=images.device)
    as_float = convert_image_dtype(images, "float32")
    gray = torch.sum(as_float * weights, dim=-1, keepdim=True)
    return convert_image_dtype(gray, str(images.dtype).replace("torch.", ""))


# TensorFlow's RGB -> YUV matrix (rows: R, G, B contributions to Y, U, V); YUV -> RGB is its inverse.
_RGB_TO_YUV = np.array([[0.299, -0.14714119, 0.61497538], [0.587, -0.28886916, -0.51496512],
                        [0.114, 0.43601035, -0.10001026]], dtype=np.float64)


def rgb_to_yuv(images):
    images = _tensor(images)
    return images @ torch.as_tensor(_RGB_TO_YUV, dtype=images.dtype, device=images.device)


def yuv_to_rgb(images):
    images = _tensor(images)
    return images @ torch.as_tensor(np.linalg.inv(_RGB_TO_YUV), dtype=images.dtype, device=images.device)


def psnr(a, b, max_val, name=None):
    """Peak signal-to-noise ratio per image: 10 log10(max_val^2 / MSE over the last three axes)."""
    a, b = convert_image_dtype(_tensor(a), "float32"), convert_image_dtype(_tensor(b), "float32")
    mse = torch.mean((a - b) ** 2, dim=(-3, -2, -1))
    return 20.0 * np.log10(float(max_val)) - 10.0 * torch.log10(mse)


def total_variation(images, name=None):
    """Sum of the absolute differences between neighbouring pixels (down the height and across
    the width, all channels): one value per image of an NHWC batch, a scalar for one HWC image.
    Used as a smoothness loss (style transfer)."""
    images = _image_tensor(images, "total_variation")
    if not images.is_floating_point():  # integer pixels: differences that do not wrap around (uint8)
        images = images.to(torch.int64)
    down = images[..., 1:, :, :] - images[..., :-1, :, :]
    across = images[..., :, 1:, :] - images[..., :, :-1, :]
    dims = (-3, -2, -1)
    return torch.sum(torch.abs(down), dim=dims) + torch.sum(torch.abs(across), dim=dims)


def grayscale_to_rgb(images, name=None):
    images = _tensor(images)
    return images.expand(images.shape[:-1] + (3,)).clone()


def per_image_standardization(image, name=None):
    """(x - mean) / max(stddev, 1/sqrt(N)) over each image's N = H*W*C entries; float32."""
    image = _image_tensor(image, "per_image_standardization")
    x = image.to(torch.float32) if not image.is_floating_point() else image
    dims = (-3, -2, -1)
    count = x.shape[-3] * x.shape[-2] * x.shape[-1]
    mean = x.mean(dim=dims, keepdim=True)
    std = torch.sqrt(torch.mean(torch.square(x - mean), dim=dims, keepdim=True))
    return (x - mean) / torch.clamp(std, min=1.0 / np.sqrt(count))


def adjust_brightness(image, delta):
    """image + delta, computed in [0, 1] floats for integer images and converted back."""
    image = _tensor(image)
    as_float = convert_image_dtype(image, "float32") if not image.is_floating_point() else image
    out = as_float + _tensor(delta, like=as_float)
    return convert_image_dtype(out, str(image.dtype).replace("torch.", ""), saturate=True)


def random_brightness(image, max_delta, seed=None):
    """adjust_brightness by one delta drawn uniformly from [-max_delta, max_delta)."""
    if max_delta < 0:
        raise ValueError("tf.image.random_brightness: max_delta must be non-negative.")
    gen = torch.Generator().manual_seed(int(seed)) if seed is not None else None
    delta = (torch.rand((), generator=gen).item() * 2 - 1) * float(max_delta)
    return adjust_brightness(image, delta)


def rgb_to_hsv(images, name=None):
    """Float RGB in [0, 1] -> HSV, each of hue, saturation and value in [0, 1]."""
    from keraslite.ops import image as ops_image

    return ops_image.rgb_to_hsv(_floating(_image_tensor(images, "rgb_to_hsv")), data_format="channels_last")


def hsv_to_rgb(images, name=None):
    from keraslite.ops import image as ops_image

    return ops_image.hsv_to_rgb(_floating(_image_tensor(images, "hsv_to_rgb")), data_format="channels_last")


def adjust_saturation(image, saturation_factor, name=None):
    """Saturation (of HSV) times `saturation_factor`, clipped to [0, 1]; integer images are
    converted to [0, 1] floats and back, as TensorFlow does."""
    image = _image_tensor(image, "adjust_saturation")
    if image.shape[-1] != 3:
        raise ValueError(f"tf.image.adjust_saturation: images must have 3 (RGB) channels; got shape "
                         f"{tuple(image.shape)}.")
    as_float = convert_image_dtype(image, "float32") if not image.is_floating_point() else image
    hsv = rgb_to_hsv(as_float)
    saturation = torch.clamp(hsv[..., 1:2] * float(saturation_factor), 0.0, 1.0)
    out = hsv_to_rgb(torch.cat([hsv[..., :1], saturation, hsv[..., 2:]], dim=-1)).to(as_float.dtype)
    return convert_image_dtype(out, str(image.dtype).replace("torch.", ""), saturate=True)


def _three_channels(image, function):
    image = _image_tensor(image, function)
    if image.shape[-1] != 3:
        raise ValueError(f"tf.image.{function}: images must have 3 (RGB) channels; got shape {tuple(image.shape)}.")
    return image


def adjust_hue(image, delta, name=None):
    """Hue (of HSV, in [0, 1)) rotated by `delta` in [-1, 1]: (hue + delta) mod 1. Integer images
    are converted to [0, 1] floats and back, as TensorFlow does."""
    image = _three_channels(image, "adjust_hue")
    delta = float(_tensor(delta).item()) if isinstance(delta, (torch.Tensor, np.ndarray)) else float(delta)
    hsv = rgb_to_hsv(convert_image_dtype(image, "float32"))
    hue = torch.remainder(hsv[..., :1] + (delta + 1.0), 1.0)
    out = hsv_to_rgb(torch.cat([hue, hsv[..., 1:]], dim=-1))
    return convert_image_dtype(out, str(image.dtype).replace("torch.", ""))


def _uniform(gen, low, high):
    return low + torch.rand((), generator=gen).item() * (high - low)


def _factor_range(lower, upper, function):
    if upper <= lower:
        raise ValueError(f"tf.image.{function}: upper must be > lower; got lower={lower}, upper={upper}.")
    if lower < 0:
        raise ValueError(f"tf.image.{function}: lower must be non-negative; got lower={lower}.")


def _hue_range(max_delta, function):
    if not 0 <= max_delta <= 0.5:
        raise ValueError(f"tf.image.{function}: max_delta must be in [0, 0.5]; got {max_delta}.")


def random_saturation(image, lower, upper, seed=None):
    """adjust_saturation by one factor drawn uniformly from [lower, upper) (one for the whole batch)."""
    _factor_range(lower, upper, "random_saturation")
    return adjust_saturation(image, _uniform(_generator(seed, "random_saturation"), lower, upper))


def stateless_random_saturation(image, lower, upper, seed):
    _factor_range(lower, upper, "stateless_random_saturation")
    gen = _generator(seed, "stateless_random_saturation", stateless=True)
    return adjust_saturation(image, _uniform(gen, lower, upper))


def random_hue(image, max_delta, seed=None):
    """adjust_hue by one delta drawn uniformly from [-max_delta, max_delta), max_delta in [0, 0.5]."""
    _hue_range(max_delta, "random_hue")
    return adjust_hue(image, _uniform(_generator(seed, "random_hue"), -max_delta, max_delta))


def stateless_random_hue(image, max_delta, seed):
    _hue_range(max_delta, "stateless_random_hue")
    gen = _generator(seed, "stateless_random_hue", stateless=True)
    return adjust_hue(image, _uniform(gen, -max_delta, max_delta))


def adjust_contrast(images, contrast_factor):
    """(x - mean) * factor + mean, the mean over each image's height and width per channel."""
    images = _tensor(images)
    x = _floating(images)
    mean = x.mean(dim=(-3, -2), keepdim=True)
    out = (x - mean) * float(contrast_factor) + mean
    if not images.is_floating_point():
        info = torch.iinfo(images.dtype)
        out = out.clamp(info.min, info.max).to(images.dtype)
    return out


def central_crop(image, central_fraction):
    image = _image_tensor(image, "central_crop")
    if not 0 < central_fraction <= 1:
        raise ValueError("tf.image.central_crop: central_fraction must be in (0, 1].")
    height, width = image.shape[-3], image.shape[-2]
    top = int((height - height * central_fraction) / 2)
    left = int((width - width * central_fraction) / 2)
    return image[..., top:height - top, left:width - left, :]


def crop_to_bounding_box(image, offset_height, offset_width, target_height, target_width):
    image = _image_tensor(image, "crop_to_bounding_box")
    return image[..., offset_height:offset_height + target_height, offset_width:offset_width + target_width, :]


def pad_to_bounding_box(image, offset_height, offset_width, target_height, target_width):
    """`image` placed at (offset_height, offset_width) of a zero image target_height x target_width."""
    image = _image_tensor(image, "pad_to_bounding_box")
    height, width = image.shape[-3], image.shape[-2]
    bottom = target_height - offset_height - height
    right = target_width - offset_width - width
    if min(offset_height, offset_width, bottom, right) < 0:
        raise ValueError(f"tf.image.pad_to_bounding_box: a {height}x{width} image at offset "
                         f"({offset_height}, {offset_width}) does not fit in {target_height}x{target_width}.")
    return torch.nn.functional.pad(image, (0, 0, offset_width, right, offset_height, bottom))


def resize_with_crop_or_pad(image, target_height, target_width):
    """Centre crop where the image is larger than the target, centred zero padding where it is
    smaller (the odd row / column goes to the bottom / right, as TensorFlow's)."""
    image = _image_tensor(image, "resize_with_crop_or_pad")
    height, width = image.shape[-3], image.shape[-2]
    cropped = crop_to_bounding_box(image, max((height - target_height) // 2, 0), max((width - target_width) // 2, 0),
                                   min(target_height, height), min(target_width, width))
    return pad_to_bounding_box(cropped, max((target_height - height) // 2, 0), max((target_width - width) // 2, 0),
                               target_height, target_width)


def resize_with_pad(image, target_height, target_width, method="bilinear", antialias=False):
    """Resized to fit target_height x target_width keeping its aspect ratio (sizes floored, as
    TensorFlow's float32 arithmetic gives them), then zero-padded to the target, centred (the odd
    row / column after). Float32 out, as tf.image.resize."""
    image = _image_tensor(image, "resize_with_pad")
    target_height, target_width = int(target_height), int(target_width)
    if target_height <= 0 or target_width <= 0:
        raise ValueError(f"tf.image.resize_with_pad: target_height and target_width must be > 0; got "
                         f"{target_height} and {target_width}.")
    height, width = (np.float32(v) for v in image.shape[-3:-1])
    ratio = builtins.max(width / np.float32(target_width), height / np.float32(target_height))
    new_height, new_width = height / ratio, width / ratio
    resized = resize(image, (int(np.floor(new_height)), int(np.floor(new_width))), method=method, antialias=antialias)
    top = builtins.max(0, int(np.floor((np.float32(target_height) - new_height) / 2)))
    left = builtins.max(0, int(np.floor((np.float32(target_width) - new_width) / 2)))
    return pad_to_bounding_box(resized, top, left, target_height, target_width)


def transpose(image, name=None):
    """Height and width swapped (HWC -> WHC, NHWC -> NWHC)."""
    return torch.transpose(_image_tensor(image, "transpose"), -3, -2)


def _batch_of_images(image, function):
    image = _tensor(image)
    if image.ndim != 4:
        raise ValueError(f"tf.image.{function} expects a 4-D tensor [batch_size, h, w, d]; got shape "
                         f"{tuple(image.shape)}. Add a batch axis (tf.expand_dims(image, 0)) for one image.")
    return image


def image_gradients(image):
    """(dy, dx): differences to the next pixel down and to the right, each the image's shape,
    with a zero last row (dy) / last column (dx)."""
    image = _batch_of_images(image, "image_gradients")
    dy = torch.nn.functional.pad(image[:, 1:] - image[:, :-1], (0, 0, 0, 0, 0, 1))
    dx = torch.nn.functional.pad(image[:, :, 1:] - image[:, :, :-1], (0, 0, 0, 1))
    return dy, dx


def sobel_edges(image):
    """[batch, h, w, d, 2]: the 3x3 Sobel responses of each channel, dy in [..., 0] and dx in
    [..., 1], on the image reflect-padded by one pixel (so the output keeps h and w)."""
    image = _batch_of_images(image, "sobel_edges")
    x = _floating(image).permute(0, 3, 1, 2)
    channels = x.shape[1]
    dy = torch.tensor([[-1, -2, -1], [0, 0, 0], [1, 2, 1]], dtype=x.dtype, device=x.device)
    kernels = torch.stack([dy, dy.T])  # (2, 3, 3): dy, dx
    weight = kernels.repeat(channels, 1, 1).unsqueeze(1)  # (channels * 2, 1, 3, 3), per channel dy then dx
    padded = torch.nn.functional.pad(x, (1, 1, 1, 1), mode="reflect")
    out = torch.nn.functional.conv2d(padded, weight, groups=channels)
    return out.reshape(x.shape[0], channels, 2, *x.shape[2:]).permute(0, 3, 4, 1, 2)


def ssim(img1, img2, max_val, filter_size=11, filter_sigma=1.5, k1=0.01, k2=0.03, return_index_map=False):
    """Structural similarity per image (TensorFlow's definition): luminance x contrast-structure
    over filter_size x filter_sigma Gaussian windows that fit inside the image (VALID), averaged
    over the window positions and then the channels (return_index_map: over the channels only).
    Integer images are compared as [0, 1] floats, max_val scaled with them."""
    img1, img2 = _tensor(img1), _tensor(img2)
    if img1.ndim < 3 or img2.ndim < 3 or img1.shape[-3:] != img2.shape[-3:]:
        raise ValueError(f"tf.image.ssim: both images need the same [height, width, channels] in their last three "
                         f"dimensions; got shapes {tuple(img1.shape)} and {tuple(img2.shape)}.")
    size = int(filter_size)
    if builtins.min(img1.shape[-3:-1]) < size:
        raise ValueError(f"tf.image.ssim: images of shape {tuple(img1.shape)} are smaller than the {size}x{size} "
                         "filter; pass a smaller filter_size.")
    max_val = float(convert_image_dtype(torch.tensor(max_val).to(img1.dtype), "float32"))
    x, y = convert_image_dtype(img1, "float32"), convert_image_dtype(img2, "float32")
    x, y = torch.broadcast_tensors(x, y)
    batch, channels = x.shape[:-3], x.shape[-1]
    coords = torch.arange(size, dtype=torch.float32) - (size - 1) / 2.0
    g = coords ** 2 * (-0.5 / float(filter_sigma) ** 2)
    window = torch.softmax((g[None, :] + g[:, None]).reshape(-1), dim=0).reshape(1, 1, size, size)
    weight = window.to(x.device).repeat(channels, 1, 1, 1)

    def blur(v):  # the Gaussian-weighted local mean of each channel, over windows inside the image
        v = v.reshape(-1, *v.shape[-3:]).permute(0, 3, 1, 2)
        out = torch.nn.functional.conv2d(v, weight, groups=channels).permute(0, 2, 3, 1)
        return out.reshape(*batch, *out.shape[1:])

    c1, c2 = (float(k1) * max_val) ** 2, (float(k2) * max_val) ** 2
    mean_x, mean_y = blur(x), blur(y)
    num0, den0 = mean_x * mean_y * 2.0, mean_x ** 2 + mean_y ** 2
    luminance = (num0 + c1) / (den0 + c1)
    cs = (blur(x * y) * 2.0 - num0 + c2) / (blur(x ** 2 + y ** 2) - den0 + c2)
    per_position = luminance * cs
    if return_index_map:
        return per_position.mean(dim=-1)
    return per_position.mean(dim=(-3, -2)).mean(dim=-1)


def rot90(image, k=1, name=None):
    """Rotated counter-clockwise by k * 90 degrees (np.rot90 over height and width)."""
    return torch.rot90(_image_tensor(image, "rot90"), int(k), dims=(-3, -2))


def _generator(seed, function, stateless=False):
    """A torch generator for `seed`; stateless: from a shape [2] seed (`function` names the
    caller, 'image.stateless_random_crop' or a bare image function name)."""
    if stateless:
        if isinstance(seed, (tuple, list)):  # (counter, counter) from Dataset.zip: scalar tensors
            seed = [int(v) for v in seed]
        values = np.asarray(_tensor(seed).cpu() if isinstance(seed, torch.Tensor) else seed).reshape(-1)
        if values.shape != (2,):
            where = function if "." in function else f"image.{function}"
            raise ValueError(f"tf.{where}: seed must be a shape [2] tensor of two integers; got {seed!r}.")
        return torch.Generator().manual_seed((int(values[0]) * 1000003 + int(values[1])) & 0x7FFFFFFFFFFFFFFF)
    return torch.Generator().manual_seed(int(seed)) if seed is not None else None


def random_crop(value, size, seed=None, name=None, _gen=None):
    """A `size` slice of `value` at a uniformly random offset (size has one entry per dimension)."""
    value = _tensor(value)
    size = [int(s) for s in (size.tolist() if hasattr(size, "tolist") else size)]
    if len(size) != value.ndim or any(s > d or s < 0 for s, d in zip(size, value.shape)):
        raise ValueError(f"tf.image.random_crop: size {size} must have one entry per dimension of the value's "
                         f"shape {tuple(value.shape)}, none larger.")
    gen = _gen if _gen is not None else _generator(seed, "random_crop")
    index = []
    for s, d in zip(size, value.shape):
        start = int(torch.randint(0, d - s + 1, (), generator=gen).item())
        index.append(slice(start, start + s))
    return value[tuple(index)]


def random_contrast(image, lower, upper, seed=None, _gen=None):
    """adjust_contrast by one factor drawn uniformly from [lower, upper)."""
    if not 0 <= lower < upper:
        raise ValueError("tf.image.random_contrast: need 0 <= lower < upper; got "
                         f"lower={lower}, upper={upper}.")
    gen = _gen if _gen is not None else _generator(seed, "random_contrast")
    factor = lower + torch.rand((), generator=gen).item() * (upper - lower)
    return adjust_contrast(image, factor)


def _stateless_flip(image, seed, dim, function):
    image = _image_tensor(image, function)
    gen = _generator(seed, function, stateless=True)
    if image.ndim == 3:
        return torch.flip(image, dims=[dim]) if torch.rand((), generator=gen).item() < 0.5 else image
    flip = (torch.rand(image.shape[0], generator=gen) < 0.5).to(image.device).reshape(-1, 1, 1, 1)
    return torch.where(flip, torch.flip(image, dims=[dim]), image)


def stateless_random_flip_left_right(image, seed):
    """random_flip_left_right drawn from `seed` (two integers): the same seed, the same flips.
    The draws are torch's, not TensorFlow's Philox stream."""
    return _stateless_flip(image, seed, -2, "stateless_random_flip_left_right")


def stateless_random_flip_up_down(image, seed):
    return _stateless_flip(image, seed, -3, "stateless_random_flip_up_down")


def stateless_random_brightness(image, max_delta, seed):
    if max_delta < 0:
        raise ValueError("tf.image.stateless_random_brightness: max_delta must be non-negative.")
    gen = _generator(seed, "stateless_random_brightness", stateless=True)
    return adjust_brightness(image, (torch.rand((), generator=gen).item() * 2 - 1) * float(max_delta))


def stateless_random_contrast(image, lower, upper, seed):
    return random_contrast(image, lower, upper, _gen=_generator(seed, "stateless_random_contrast", stateless=True))


def stateless_random_crop(value, size, seed, name=None):
    return random_crop(value, size, _gen=_generator(seed, "stateless_random_crop", stateless=True))


# ------------------------------------------------------------------------------- decoding

_CHANNEL_MODES = {1: "L", 3: "RGB", 4: "RGBA"}


def file_bytes(contents, function):
    """What tf.io.read_file gave (bytes, or a 0-d string array / str of them) as bytes;
    `function` ('image.decode_jpeg', 'audio.decode_wav') names the caller in the error."""
    if isinstance(contents, torch.Tensor):
        raise TypeError(f"tf.{function}: contents must be the file's bytes (tf.io.read_file).")
    if isinstance(contents, np.ndarray):
        contents = contents.item()
    if isinstance(contents, str):
        contents = contents.encode("latin-1")
    return bytes(contents)


def _decode(contents, channels, function, formats=None):
    from PIL import Image

    picture = Image.open(_io.BytesIO(file_bytes(contents, f"image.{function}")), formats=formats)
    channels = 0 if channels is None else int(channels)
    if channels == 0:
        if picture.mode in ("L", "RGB", "RGBA"):
            mode = picture.mode
        elif picture.mode == "LA":
            mode = "LA"
        elif picture.mode == "P":
            mode = "RGBA" if "transparency" in picture.info else "RGB"
        elif picture.mode in ("1", "I", "I;16", "F"):
            mode = "L"
        else:
            mode = "RGB"
    elif channels == 2:
        mode = "LA"
    elif channels in _CHANNEL_MODES:
        mode = _CHANNEL_MODES[channels]
    else:
        raise _unsupported(f"image.{function}", "channels", channels, "0, 1, 2, 3 or 4")
    array = np.asarray(picture.convert(mode), dtype=np.uint8)
    if array.ndim == 2:
        array = array[:, :, None]
    from keraslite.compat.tensorflow_shim import _device

    return torch.as_tensor(array.copy(), device=_device())


def decode_jpeg(contents, channels=0, ratio=1, fancy_upscaling=True, try_recover_truncated=False,
                acceptable_fraction=1, dct_method="", name=None):
    if ratio != 1:
        raise _unsupported("image.decode_jpeg", "ratio", ratio, "1")
    return _decode(contents, channels, "decode_jpeg", formats=["JPEG"])


def decode_png(contents, channels=0, dtype="uint8", name=None):
    if _torch_dtype(dtype) != torch.uint8:
        raise _unsupported("image.decode_png", "dtype", dtype, "uint8")
    return _decode(contents, channels, "decode_png", formats=["PNG"])


def decode_image(contents, channels=None, dtype="uint8", name=None, expand_animations=True):
    """JPEG, PNG, GIF (first frame) or BMP bytes -> HWC tensor of `dtype` (floats in [0, 1])."""
    return convert_image_dtype(_decode(contents, channels, "decode_image"), dtype)


def _encode(image, format_, **options):
    from PIL import Image

    array = _tensor(image).detach().cpu().numpy()
    if array.dtype != np.uint8:
        raise ValueError("tf.image.encode_*: image must be uint8.")
    picture = Image.fromarray(array[:, :, 0] if array.shape[-1] == 1 else array)
    buffer = _io.BytesIO()
    picture.save(buffer, format=format_, **options)
    return buffer.getvalue()


def extract_patches(images, sizes, strides, rates, padding, name=None):
    """tf.image.extract_patches on NHWC images: `sizes`, `strides` and `rates` are
    [1, rows, cols, 1]; each output pixel holds one patch flattened in (row, col, channel)
    order, (batch, out_rows, out_cols, rows * cols * channels), as keras.ops.image.extract_patches
    computes it."""
    from keraslite.ops import image as image_ops

    x = _tensor(images)
    if x.ndim != 4:
        raise ValueError(f"tf.image.extract_patches expects 4-D images (batch, height, width, channels); "
                         f"received shape {tuple(x.shape)}.")
    for arg, value in (("sizes", sizes), ("strides", strides), ("rates", rates)):
        value = [int(v) for v in value]
        if len(value) != 4 or value[0] != 1 or value[3] != 1:
            raise ValueError(f"tf.image.extract_patches: `{arg}` must be [1, rows, cols, 1]; received {value}.")
    if str(padding).upper() not in ("VALID", "SAME"):
        raise ValueError(f"tf.image.extract_patches: padding must be 'VALID' or 'SAME'; received {padding!r}.")
    return image_ops.extract_patches(x, size=(int(sizes[1]), int(sizes[2])),
                                     strides=(int(strides[1]), int(strides[2])),
                                     dilation_rate=(int(rates[1]), int(rates[2])), padding=str(padding).lower(),
                                     data_format="channels_last")


# ------------------------------------------------------------------------- non-max suppression

def _device():
    from keraslite.compat.tensorflow_shim import _device as device

    return device()


def _nms_boxes(boxes, scores, function):
    """(boxes, scores) on the CPU (selection is sequential, as in TensorFlow's CPU kernel):
    boxes float (n, 4) [y1, x1, y2, x2], scores (n,)."""
    boxes, scores = _floating(_tensor(boxes)), _floating(_tensor(scores))
    if boxes.ndim != 2 or boxes.shape[-1] != 4:
        raise ValueError(f"tf.image.{function}: boxes must have shape [num_boxes, 4]; got {tuple(boxes.shape)}.")
    if scores.shape != boxes.shape[:1]:
        raise ValueError(f"tf.image.{function}: scores must have shape [num_boxes] = [{boxes.shape[0]}] to match "
                         f"boxes; got {tuple(scores.shape)}.")
    return boxes.detach().cpu(), scores.detach().cpu()


def _nms_arguments(max_output_size, iou_threshold, soft_nms_sigma, function):
    size = int(_tensor(max_output_size).item())
    iou_threshold = float(_tensor(iou_threshold).item())
    if size < 0:
        raise ValueError(f"tf.image.{function}: max_output_size must be >= 0; got {size}.")
    if not 0.0 <= iou_threshold <= 1.0:
        raise ValueError(f"tf.image.{function}: iou_threshold must be in [0, 1]; got {iou_threshold}.")
    if float(soft_nms_sigma) < 0:
        raise ValueError(f"tf.image.{function}: soft_nms_sigma must be >= 0; got {soft_nms_sigma}.")
    return size, iou_threshold


def _greedy_nms(boxes, scores, max_output_size, iou_threshold, score_threshold, soft_nms_sigma=0.0):
    """TensorFlow's selection: candidates are the boxes scoring above score_threshold, taken by
    descending score (ties: the lower index first). Hard NMS drops a candidate whose IoU with a
    selected box exceeds iou_threshold; soft NMS (soft_nms_sigma > 0) instead scales its score by
    exp(-iou**2 / (2 * sigma)) per selected box and puts it back while it stays above the
    threshold. IoU takes the corners in either order and is 0 for an empty box.
    Returns (indices, scores) as Python lists."""
    import heapq

    y1, x1, y2, x2 = boxes.unbind(-1)
    ymin, ymax, xmin, xmax = torch.minimum(y1, y2), torch.maximum(y1, y2), torch.minimum(x1, x2), torch.maximum(x1, x2)
    area = (ymax - ymin) * (xmax - xmin)

    def iou(i, others):
        others = torch.as_tensor(others, dtype=torch.long)
        height = torch.clamp(torch.minimum(ymax[i], ymax[others]) - torch.maximum(ymin[i], ymin[others]), min=0)
        width = torch.clamp(torch.minimum(xmax[i], xmax[others]) - torch.maximum(xmin[i], xmin[others]), min=0)
        inter = height * width
        out = inter / (area[i] + area[others] - inter)
        return torch.where((area[i] <= 0) | (area[others] <= 0), torch.zeros_like(out), out)

    def in_dtype(value):  # thresholds compare in the scores' precision, as TensorFlow's kernel
        return float(torch.tensor(float(value), dtype=scores.dtype))

    score_threshold, iou_threshold = in_dtype(score_threshold), in_dtype(iou_threshold)
    values = scores.tolist()
    queue = [(-v, i, 0) for i, v in enumerate(values) if v > score_threshold]
    heapq.heapify(queue)
    scale = np.float32(-0.5 / float(soft_nms_sigma)) if soft_nms_sigma > 0 else 0.0
    selected, selected_scores = [], []
    while len(selected) < max_output_size and queue:
        negative, i, begin = heapq.heappop(queue)
        score = original = -negative
        if begin < len(selected):
            overlaps = iou(i, selected[begin:])
            if not scale:
                if builtins.bool((overlaps > iou_threshold).any()):
                    continue  # hard suppression
            else:
                for overlap in reversed(overlaps.tolist()):  # most recent first, as TensorFlow
                    overlap = np.float32(overlap)
                    score = float(np.float32(score) * np.exp(scale * overlap * overlap))
                    if score <= score_threshold:
                        break
        if score == original:
            selected.append(i)
            selected_scores.append(score)
        elif score > score_threshold:
            heapq.heappush(queue, (-score, i, len(selected)))
    return selected, selected_scores


def non_max_suppression(boxes, scores, max_output_size, iou_threshold=0.5, score_threshold=float("-inf"),
                        name=None):
    """Indices (int32) of the boxes greedy non-max suppression keeps, by descending score, at most
    `max_output_size`: a box overlapping a higher-scoring kept box by IoU > iou_threshold is
    dropped, as are boxes scoring <= score_threshold. Boxes are [y1, x1, y2, x2] rows."""
    boxes, scores = _nms_boxes(boxes, scores, "non_max_suppression")
    size, iou_threshold = _nms_arguments(max_output_size, iou_threshold, 0.0, "non_max_suppression")
    selected, _ = _greedy_nms(boxes, scores, size, iou_threshold, score_threshold)
    return torch.tensor(selected, dtype=torch.int32, device=_device())


def non_max_suppression_with_scores(boxes, scores, max_output_size, iou_threshold=0.5,
                                    score_threshold=float("-inf"), soft_nms_sigma=0.0, name=None):
    """(selected_indices, selected_scores): non_max_suppression's, or with soft_nms_sigma > 0
    Soft-NMS, whose kept scores are the decayed ones."""
    boxes, scores = _nms_boxes(boxes, scores, "non_max_suppression_with_scores")
    size, iou_threshold = _nms_arguments(max_output_size, iou_threshold, soft_nms_sigma,
                                         "non_max_suppression_with_scores")
    selected, kept = _greedy_nms(boxes, scores, size, iou_threshold, score_threshold, float(soft_nms_sigma))
    return (torch.tensor(selected, dtype=torch.int32, device=_device()),
            torch.tensor(kept, dtype=scores.dtype, device=_device()))


def non_max_suppression_padded(boxes, scores, max_output_size, iou_threshold=0.5, score_threshold=float("-inf"),
                               pad_to_max_output_size=False, name=None, sorted_input=False,
                               canonicalized_coordinates=False, tile_size=512):
    """(selected_indices, valid_outputs): non_max_suppression's indices, zero-padded to
    max_output_size when pad_to_max_output_size (required for a batch of boxes [..., n, 4]),
    and how many of them are real (int32)."""
    function = "non_max_suppression_padded"
    boxes, scores = _tensor(boxes), _tensor(scores)
    size, iou_threshold = _nms_arguments(max_output_size, iou_threshold, 0.0, function)
    if boxes.ndim < 2 or boxes.shape[-1] != 4 or scores.shape != boxes.shape[:-1]:
        raise ValueError(f"tf.image.{function}: boxes must have shape [..., num_boxes, 4] and scores "
                         f"[..., num_boxes]; got {tuple(boxes.shape)} and {tuple(scores.shape)}.")
    batch = boxes.shape[:-2]
    if batch and not pad_to_max_output_size:
        raise ValueError(f"tf.image.{function}: a batch of boxes (shape {tuple(boxes.shape)}) needs "
                         "pad_to_max_output_size=True.")
    indices, counts = [], []
    for b, s in zip(boxes.reshape(-1, *boxes.shape[-2:]), scores.reshape(-1, scores.shape[-1])):
        selected, _ = _greedy_nms(*_nms_boxes(b, s, function), size, iou_threshold, score_threshold)
        counts.append(len(selected))
        indices.append(selected + [0] * (size - len(selected)) if pad_to_max_output_size else selected)
    out = torch.tensor(indices, dtype=torch.int32, device=_device())
    valid = torch.tensor(counts, dtype=torch.int32, device=_device())
    if not batch:
        return out[0], valid[0]
    return out.reshape(*batch, -1), valid.reshape(batch)


def combined_non_max_suppression(boxes, scores, max_output_size_per_class, max_total_size, iou_threshold=0.5,
                                 score_threshold=float("-inf"), pad_per_class=False, clip_boxes=True, name=None):
    """Greedy non-max suppression per batch item and class, then the best `max_total_size`
    detections across classes. boxes [batch, num_boxes, q, 4] (q 1: shared by all classes, or
    num_classes), scores [batch, num_boxes, num_classes]. Returns (nmsed_boxes [batch, k, 4],
    nmsed_scores [batch, k], nmsed_classes [batch, k] (float), valid_detections [batch] int32),
    zero-padded to k = max_total_size (pad_per_class: at most max_output_size_per_class *
    num_classes); clip_boxes clips the boxes to [0, 1]."""
    function = "combined_non_max_suppression"
    boxes, scores = _floating(_tensor(boxes)).detach().cpu(), _floating(_tensor(scores)).detach().cpu()
    if boxes.ndim != 4 or boxes.shape[-1] != 4 or scores.ndim != 3 or scores.shape[:2] != boxes.shape[:2] or \
            boxes.shape[2] not in (1, scores.shape[2]):
        raise ValueError(f"tf.image.{function}: boxes must have shape [batch, num_boxes, q, 4] with q 1 or "
                         f"num_classes, and scores [batch, num_boxes, num_classes]; got {tuple(boxes.shape)} and "
                         f"{tuple(scores.shape)}.")
    per_class, _ = _nms_arguments(max_output_size_per_class, iou_threshold, 0.0, function)
    total, iou_threshold = _nms_arguments(max_total_size, iou_threshold, 0.0, function)
    num_classes = scores.shape[2]
    k = builtins.min(total, per_class * num_classes) if pad_per_class else total
    out_boxes = torch.zeros(boxes.shape[0], k, 4, dtype=boxes.dtype)
    out_scores = torch.zeros(boxes.shape[0], k, dtype=scores.dtype)
    out_classes = torch.zeros(boxes.shape[0], k, dtype=scores.dtype)
    valid = []
    for b in builtins.range(boxes.shape[0]):
        found = []  # (score, class, box index)
        for c in builtins.range(num_classes):
            class_boxes = boxes[b, :, c if boxes.shape[2] > 1 else 0]
            selected, kept = _greedy_nms(class_boxes, scores[b, :, c], per_class, iou_threshold, score_threshold)
            found += [(v, c, i) for i, v in zip(selected, kept)]
        found = sorted(found, key=lambda f: -f[0])[:k]
        valid.append(len(found))
        for j, (v, c, i) in enumerate(found):
            out_boxes[b, j] = boxes[b, i, c if boxes.shape[2] > 1 else 0]
            out_scores[b, j], out_classes[b, j] = v, c
    if clip_boxes:
        out_boxes = torch.clamp(out_boxes, 0.0, 1.0)
    device = _device()
    return (out_boxes.to(device), out_scores.to(device), out_classes.to(device),
            torch.tensor(valid, dtype=torch.int32, device=device))


image = TFNamespace("tensorflow.image",
    non_max_suppression=non_max_suppression, non_max_suppression_with_scores=non_max_suppression_with_scores,
    non_max_suppression_padded=non_max_suppression_padded,
    combined_non_max_suppression=combined_non_max_suppression,
    resize=resize, extract_patches=extract_patches, crop_and_resize=crop_and_resize,
    # TF 1's names
    resize_bilinear=resize_bilinear, resize_nearest_neighbor=resize_nearest_neighbor,
    resize_images=resize_v1, ResizeMethod=ResizeMethod, convert_image_dtype=convert_image_dtype,
    flip_left_right=flip_left_right, flip_up_down=flip_up_down, random_flip_left_right=random_flip_left_right,
    random_flip_up_down=random_flip_up_down, rgb_to_grayscale=rgb_to_grayscale, grayscale_to_rgb=grayscale_to_rgb,
    per_image_standardization=per_image_standardization, adjust_brightness=adjust_brightness,
    adjust_saturation=adjust_saturation, rgb_to_hsv=rgb_to_hsv, hsv_to_rgb=hsv_to_rgb,
    random_brightness=random_brightness, adjust_contrast=adjust_contrast, central_crop=central_crop,
    crop_to_bounding_box=crop_to_bounding_box, pad_to_bounding_box=pad_to_bounding_box,
    resize_with_crop_or_pad=resize_with_crop_or_pad, rot90=rot90, random_crop=random_crop,
    random_contrast=random_contrast, stateless_random_flip_left_right=stateless_random_flip_left_right,
    stateless_random_flip_up_down=stateless_random_flip_up_down,
    stateless_random_brightness=stateless_random_brightness, stateless_random_contrast=stateless_random_contrast,
    stateless_random_crop=stateless_random_crop, decode_jpeg=decode_jpeg, decode_png=decode_png,
    decode_image=decode_image, rgb_to_yuv=rgb_to_yuv, yuv_to_rgb=yuv_to_rgb, psnr=psnr,
    total_variation=total_variation, adjust_hue=adjust_hue, random_hue=random_hue,
    random_saturation=random_saturation, stateless_random_hue=stateless_random_hue,
    stateless_random_saturation=stateless_random_saturation, resize_with_pad=resize_with_pad, transpose=transpose,
    image_gradients=image_gradients, sobel_edges=sobel_edges, ssim=ssim,
    encode_png=lambda image, compression=-1, name=None: _encode(image, "PNG"),
    encode_jpeg=lambda image, quality=95, name=None, **kw: _encode(image, "JPEG", quality=quality),
)


# ------------------------------------------------------------------------------- tf.io

class FileContents(bytes):
    """A file's bytes, answering as TensorFlow's scalar string tensor does (`.numpy()`, `.dtype`)."""

    __slots__ = ()

    def numpy(self):
        return bytes(self)

    @property
    def dtype(self):
        from keraslite.compat.tensorflow_shim import string

        return string

    @property
    def shape(self):
        return ()


def read_file(filename, name=None):
    """The whole file as bytes (a FileContents)."""
    if isinstance(filename, np.ndarray):
        filename = filename.item()
    if isinstance(filename, bytes):
        filename = filename.decode("utf-8")
    with open(str(filename), "rb") as f:
        return FileContents(f.read())


def write_file(filename, contents, name=None):
    with open(str(filename), "wb") as f:
        f.write(contents if isinstance(contents, bytes) else str(contents).encode("utf-8"))


def _gfile():
    import glob as _glob
    import os
    import shutil

    return types.SimpleNamespace(
        exists=os.path.exists, glob=lambda pattern: sorted(_glob.glob(pattern)), listdir=os.listdir,
        isdir=os.path.isdir, makedirs=lambda path: os.makedirs(path, exist_ok=True), mkdir=os.mkdir,
        remove=os.remove, rmtree=shutil.rmtree, rename=lambda src, dst, overwrite=False: os.replace(src, dst)
        if overwrite else os.rename(src, dst), copy=lambda src, dst, overwrite=False: shutil.copy(src, dst),
        GFile=open, walk=os.walk)


io = TFNamespace("tensorflow.io", read_file=read_file, write_file=write_file, decode_jpeg=decode_jpeg,
                           decode_png=decode_png, decode_image=decode_image, gfile=_gfile())


# ------------------------------------------------------------------------------- tf.strings.split

def strings_split(input, sep=None, maxsplit=-1, name=None):  # noqa: A002
    """A scalar string -> 1-D numpy array of its parts; a vector -> a RaggedTensor of them, one
    row per string, as TensorFlow returns. sep None splits on runs of whitespace, as str.split."""
    def one(value):
        text = value.decode("utf-8") if isinstance(value, bytes) else str(value)
        return np.array(text.split(sep, maxsplit) if sep is not None else text.split(None, maxsplit), dtype=object)

    if isinstance(input, (str, bytes)) or (isinstance(input, np.ndarray) and input.ndim == 0):
        return one(input.item() if isinstance(input, np.ndarray) else input)
    values = np.asarray(input, dtype=object)
    if values.ndim != 1:
        raise _unsupported("strings.split", "input rank", values.ndim, "0 or 1")
    from keraslite.compat.tf_ragged import RaggedTensor

    return RaggedTensor.from_rows([one(v) for v in values.tolist()])


# ------------------------------------------------------------------------------- tf.signal

def hann_window(window_length, periodic=True, dtype="float32", name=None):
    return torch.hann_window(int(window_length), periodic=builtins.bool(periodic), dtype=_torch_dtype(dtype))


def hamming_window(window_length, periodic=True, dtype="float32", name=None):
    return torch.hamming_window(int(window_length), periodic=builtins.bool(periodic), dtype=_torch_dtype(dtype))


def frame(signal, frame_length, frame_step, pad_end=False, pad_value=0, axis=-1, name=None):
    signal = _tensor(signal)
    if axis != -1:
        signal = signal.movedim(axis, -1)
    if pad_end:
        length = signal.shape[-1]
        frames = -(-length // frame_step)
        extra = builtins.max((frames - 1) * frame_step + frame_length - length, 0)
        signal = torch.nn.functional.pad(signal, (0, extra), value=float(pad_value))
    out = signal.unfold(-1, int(frame_length), int(frame_step))
    return out.movedim(-2, axis - 1 if axis < 0 else axis) if axis != -1 else out


def stft(signals, frame_length, frame_step, fft_length=None, window_fn=hann_window, pad_end=False, name=None):
    """[..., frames, fft_length // 2 + 1] complex64: frames of frame_length every frame_step
    (no centering), multiplied by window_fn(frame_length), real FFT of fft_length (default
    the smallest power of two >= frame_length)."""
    signals = _floating(_tensor(signals))
    frame_length, frame_step = int(frame_length), int(frame_step)
    if fft_length is None:
        fft_length = 1 << (frame_length - 1).bit_length()
    frames = frame(signals, frame_length, frame_step, pad_end=pad_end)
    if window_fn is not None:
        frames = frames * window_fn(frame_length, dtype=str(signals.dtype).replace("torch.", "")).to(frames.device)
    return torch.fft.rfft(frames, n=int(fft_length), dim=-1)


def overlap_add(signal, frame_step, name=None):
    """tf.signal.overlap_add: frames [..., frames, frame_length] summed back into a signal of
    (frames - 1) * frame_step + frame_length samples."""
    signal = _tensor(signal)
    *outer, frames, length = signal.shape
    total = (frames - 1) * int(frame_step) + length
    flat = signal.reshape(-1, frames, length).transpose(1, 2)  # (batch, frame_length, frames) for fold
    out = torch.nn.functional.fold(flat, output_size=(1, total), kernel_size=(1, length), stride=(1, int(frame_step)))
    return out.reshape(*outer, total)


def inverse_stft(stfts, frame_length, frame_step, fft_length=None, window_fn=hann_window, name=None):
    """tf.signal.inverse_stft: inverse real FFT of each frame, cut to frame_length, windowed,
    overlap-added. With window_fn=inverse_stft_window_fn(frame_step) it inverts stft."""
    stfts = _tensor(stfts)
    frame_length = int(frame_length)
    if fft_length is None:
        fft_length = 1 << (frame_length - 1).bit_length()
    frames = torch.fft.irfft(stfts, n=int(fft_length), dim=-1)[..., :frame_length]
    if frames.shape[-1] < frame_length:
        frames = torch.nn.functional.pad(frames, (0, frame_length - frames.shape[-1]))
    if window_fn is not None:
        frames = frames * window_fn(frame_length, dtype=str(frames.dtype).replace("torch.", "")).to(frames.device)
    return overlap_add(frames, frame_step)


def inverse_stft_window_fn(frame_step, forward_window_fn=hann_window, name=None):
    """tf.signal.inverse_stft_window_fn: the window that makes inverse_stft undo a stft made with
    `forward_window_fn` (the forward window over the sum of its overlapping squares)."""
    def window(frame_length, dtype="float32"):
        forward = forward_window_fn(frame_length, dtype=dtype)
        overlaps = -(-int(frame_length) // int(frame_step))
        squares = torch.nn.functional.pad(forward ** 2, (0, overlaps * int(frame_step) - int(frame_length)))
        denominator = squares.reshape(overlaps, int(frame_step)).sum(0).repeat(overlaps)[:int(frame_length)]
        return forward / denominator

    return window


def linear_to_mel_weight_matrix(num_mel_bins=20, num_spectrogram_bins=129, sample_rate=8000, lower_edge_hertz=125.0,
                                upper_edge_hertz=3800.0, dtype="float32", name=None):
    """tf.signal.linear_to_mel_weight_matrix: the MelSpectrogram layer's filters, with TF's
    argument names (sample_rate) and its check of the edges."""
    from keraslite.layers.preprocessing import audio

    if not 0.0 <= lower_edge_hertz < upper_edge_hertz <= sample_rate / 2:
        raise ValueError("linear_to_mel_weight_matrix needs 0 <= lower_edge_hertz < upper_edge_hertz <= "
                         f"sample_rate / 2; received lower_edge_hertz={lower_edge_hertz}, upper_edge_hertz="
                         f"{upper_edge_hertz}, sample_rate={sample_rate}.")
    return audio.linear_to_mel_weight_matrix(int(num_mel_bins), int(num_spectrogram_bins), sample_rate,
                                             lower_edge_hertz, upper_edge_hertz, dtype=_torch_dtype(dtype))


def dct(input, type=2, n=None, axis=-1, norm=None, name=None):  # noqa: A002
    """tf.signal.dct of types 2 and 3 on the last axis (norm None or 'ortho'), as matrix products."""
    x = _floating(_tensor(input))
    if axis != -1 or type not in (2, 3) or norm not in (None, "ortho"):
        raise _unsupported("signal.dct", "type / axis / norm", (type, axis, norm), "type 2 or 3, axis -1, "
                           "norm None or 'ortho'")
    if n is not None:
        x = x[..., :int(n)] if x.shape[-1] >= int(n) else torch.nn.functional.pad(x, (0, int(n) - x.shape[-1]))
    size = x.shape[-1]
    k = torch.arange(size, dtype=torch.float64)
    basis = 2.0 * torch.cos(torch.pi * k[:, None] * (2 * k[None, :] + 1) / (2 * size))  # [k, n]
    if norm == "ortho":
        scale = torch.full((size,), (2.0 * size) ** -0.5, dtype=torch.float64)
        scale[0] = (4.0 * size) ** -0.5
        basis = basis * scale[:, None]
    if type == 3:  # DCT-III: type 2's transpose, its first term counted once when not normalized
        basis = basis.T.clone()
        if norm is None:
            basis[:, 0] /= 2.0
    return x @ basis.T.to(dtype=x.dtype, device=x.device)


def mfccs_from_log_mel_spectrograms(log_mel_spectrograms, name=None):
    """tf.signal.mfccs_from_log_mel_spectrograms: the orthonormal-scaled DCT-II of the log-mel
    spectrogram's last axis (to keep the first 13, slice the result)."""
    x = _floating(_tensor(log_mel_spectrograms))
    return dct(x, type=2) * (2.0 * x.shape[-1]) ** -0.5


def _fft_lengths(fft_length, dims):
    if fft_length is None:
        return None
    lengths = [int(n) for n in (fft_length.tolist() if hasattr(fft_length, "tolist") else fft_length)]
    if len(lengths) != dims:
        raise ValueError(f"fft_length must hold {dims} length(s), one per transformed axis; received {fft_length}.")
    return lengths


def _fft(kind, dims, real_input):
    """tf.signal's FFTs over the innermost `dims` axes (torch.fft underneath)."""
    def fn(input_tensor, fft_length=None, name=None):
        x = _tensor(input_tensor)
        x = _floating(x) if real_input else (x if x.is_complex() else x.to(torch.complex64))
        lengths = _fft_lengths(fft_length, dims)
        if dims == 1:
            return getattr(torch.fft, kind)(x, n=lengths[0] if lengths else None, dim=-1)
        return getattr(torch.fft, kind + "2")(x, s=lengths, dim=(-2, -1))
    fn.__name__ = kind + ("2d" if dims == 2 else "")
    return fn


signal = TFNamespace("tensorflow.signal", stft=stft, inverse_stft=inverse_stft,
                     inverse_stft_window_fn=inverse_stft_window_fn, overlap_add=overlap_add,
                     linear_to_mel_weight_matrix=linear_to_mel_weight_matrix, dct=dct,
                     mfccs_from_log_mel_spectrograms=mfccs_from_log_mel_spectrograms, frame=frame, hann_window=hann_window,
                     hamming_window=hamming_window, rfft=_fft("rfft", 1, True), irfft=_fft("irfft", 1, False),
                     fft=_fft("fft", 1, False), ifft=_fft("ifft", 1, False), rfft2d=_fft("rfft", 2, True),
                     irfft2d=_fft("irfft", 2, False), fft2d=_fft("fft", 2, False), ifft2d=_fft("ifft", 2, False))


# ------------------------------------------------------------------------------- tf.summary

class _FileWriter:
    """tf.summary.create_file_writer's writer over keraslite.utils.summary_writer.SummaryWriter."""

    _default = None

    def __init__(self, logdir, **kwargs):
        from keraslite.utils.summary_writer import SummaryWriter

        self._writer = SummaryWriter(log_dir=str(logdir))
        self._previous = []

    def as_default(self, step=None):
        writer = self

        class _Scope:
            def __enter__(self):
                writer._previous.append(_FileWriter._default)
                _FileWriter._default = writer
                return writer

            def __exit__(self, *exc):
                _FileWriter._default = writer._previous.pop()
                return False

        return _Scope()

    def set_as_default(self, step=None):
        _FileWriter._default = self

    def flush(self):
        self._writer.flush()

    def close(self):
        self._writer.close()


def create_file_writer(logdir, max_queue=None, flush_millis=None, filename_suffix=None, name=None,
                       experimental_trackable=False):
    return _FileWriter(logdir)


def _writer_for(function):
    if _FileWriter._default is None:
        warnings.warn(f"tf.summary.{function}: no default writer (use `with writer.as_default():`); "
                      "nothing is written.", stacklevel=3)
        return None
    return _FileWriter._default._writer


def _summary_value(data):
    return data.detach().cpu().numpy() if isinstance(data, torch.Tensor) else np.asarray(data)


def _scalar(name, data, step=None, description=None):
    writer = _writer_for("scalar")
    if writer is not None:
        writer.add_scalar(name, float(_summary_value(data)), global_step=None if step is None else int(step))
    return writer is not None


def _histogram(name, data, step=None, buckets=None, description=None):
    writer = _writer_for("histogram")
    if writer is not None:
        writer.add_histogram(name, _summary_value(data), global_step=None if step is None else int(step))
    return writer is not None


def _image(name, data, step=None, max_outputs=3, description=None):
    writer = _writer_for("image")
    if writer is not None:
        images = _summary_value(data)[:max_outputs]
        writer.add_images(name, images, global_step=None if step is None else int(step), dataformats="NHWC")
    return writer is not None


def _text(name, data, step=None, description=None):
    writer = _writer_for("text")
    if writer is not None:
        writer.add_text(name, str(data), global_step=None if step is None else int(step))
    return writer is not None


summary = TFNamespace("tensorflow.summary", create_file_writer=create_file_writer, scalar=_scalar, histogram=_histogram,
                                image=_image, text=_text)
