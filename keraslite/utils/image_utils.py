"""Image files <-> arrays: `load_img`, `img_to_array`, `array_to_img`, `save_img`
(`keras.utils.*`, `keras.preprocessing.image.*`) and `smart_resize`.

Files are read and written with Pillow, an optional dependency imported on first use: without
it these functions raise an ImportError that says `pip install pillow`. Conversions, channel
order and rescaling follow Keras's `keras.src.utils.image_utils`. Array resizing (`resize_array`,
`smart_resize`, and `image_dataset_from_directory`'s resizing) uses torch's interpolate with the
same settings as Keras's torch backend (`keras.ops.image.resize`).
"""
import io
import pathlib
import warnings

import numpy as np

from keraslite import backend

__all__ = ["load_img", "img_to_array", "array_to_img", "save_img", "smart_resize", "pil_image"]

# Pillow resampling filter per Keras interpolation name (load_img, flow_from_directory).
_PIL_METHODS = ("nearest", "bilinear", "bicubic", "hamming", "box", "lanczos")
# torch.nn.functional.interpolate mode per name (Keras's torch backend; "area" added).
_TORCH_MODES = {"bilinear": "bilinear", "nearest": "nearest-exact", "bicubic": "bicubic", "area": "area"}


def pil_image():
    """The `PIL.Image` module, or an ImportError that says how to install Pillow."""
    try:
        from PIL import Image
    except ImportError:
        raise ImportError("Loading and saving images needs Pillow, which is not installed. Install it with "
                          "`pip install pillow` (or `pip install keraslite[image]`).") from None
    return Image


def _resampling(name):
    image = pil_image()
    resampling = getattr(image, "Resampling", image)
    if name not in _PIL_METHODS:
        raise ValueError(f"Invalid interpolation method {name} specified. Supported methods are "
                         f"{', '.join(_PIL_METHODS)}")
    return getattr(resampling, name.upper())


def array_to_img(x, data_format=None, scale=True, dtype=None):
    """A 3D array (H, W, C) or (C, H, W) -> PIL Image. `scale` maps [min, max] to [0, 255]."""
    data_format = backend.standardize_data_format(data_format)
    dtype = dtype or backend.floatx()
    image = pil_image()
    if hasattr(x, "detach"):
        x = x.detach().cpu().numpy()
    x = np.asarray(x, dtype=dtype)
    if x.ndim != 3:
        raise ValueError(f"Expected image array to have rank 3 (single image). Got array with shape: {x.shape}")
    if data_format == "channels_first":
        x = x.transpose(1, 2, 0)
    if scale:
        x = x - np.min(x)
        x_max = np.max(x)
        if x_max != 0:
            x /= x_max
        x *= 255
    channels = x.shape[2]
    if channels == 4:
        return image.fromarray(x.astype("uint8"), "RGBA")
    if channels == 3:
        return image.fromarray(x.astype("uint8"), "RGB")
    if channels == 1:
        if np.max(x) > 255:  # 32-bit signed integer grayscale: PIL mode "I"
            return image.fromarray(x[:, :, 0].astype("int32"), "I")
        return image.fromarray(x[:, :, 0].astype("uint8"), "L")
    raise ValueError(f"Unsupported channel number: {channels}")


def img_to_array(img, data_format=None, dtype=None):
    """PIL Image -> 3D numpy array ((H, W, C) for channels_last), dtype floatx by default."""
    data_format = backend.standardize_data_format(data_format)
    x = np.asarray(img, dtype=dtype or backend.floatx())
    if x.ndim == 3:
        if data_format == "channels_first":
            x = x.transpose(2, 0, 1)
    elif x.ndim == 2:
        x = x.reshape((1,) + x.shape) if data_format == "channels_first" else x.reshape(x.shape + (1,))
    else:
        raise ValueError(f"Unsupported image shape: {x.shape}")
    return x


def save_img(path, x, data_format=None, file_format=None, scale=True, **kwargs):
    """Writes a 3D array as an image file; the format comes from the extension unless given."""
    data_format = backend.standardize_data_format(data_format)
    if file_format is None and isinstance(path, (str, pathlib.Path)):
        file_format = pathlib.Path(path).suffix[1:].lower()
    if file_format and file_format.lower() == "jpg":
        file_format = "jpeg"
    img = array_to_img(x, data_format=data_format, scale=scale)
    if img.mode == "RGBA" and file_format == "jpeg":
        warnings.warn("The JPEG format does not support RGBA images, converting to RGB.", stacklevel=2)
        img = img.convert("RGB")
    img.save(path, format=file_format or None, **kwargs)


def load_img(path, color_mode="rgb", target_size=None, interpolation="nearest", keep_aspect_ratio=False):
    """Reads an image file into a PIL Image, converted to `color_mode` ('rgb', 'rgba' or
    'grayscale') and resized to `target_size` = (height, width) when given. With
    `keep_aspect_ratio`, the largest centered crop of the target's aspect ratio is resized."""
    image = pil_image()
    if isinstance(path, io.BytesIO):
        img = image.open(path)
    elif isinstance(path, (pathlib.Path, bytes, str)):
        if isinstance(path, pathlib.Path):
            path = str(path.resolve())
        with open(path, "rb") as f:
            img = image.open(io.BytesIO(f.read()))
    else:
        raise TypeError(f"path should be path-like or io.BytesIO, not {type(path)}")
    if color_mode == "grayscale":
        if img.mode not in ("L", "I;16", "I"):  # keep 8/16/32-bit grayscale as is
            img = img.convert("L")
    elif color_mode == "rgba":
        if img.mode != "RGBA":
            img = img.convert("RGBA")
    elif color_mode == "rgb":
        if img.mode != "RGB":
            img = img.convert("RGB")
    else:
        raise ValueError('color_mode must be "grayscale", "rgb", or "rgba"')
    if target_size is not None:
        width_height = (int(target_size[1]), int(target_size[0]))
        if img.size != width_height:
            resample = _resampling(interpolation)
            if keep_aspect_ratio:
                width, height = img.size
                target_width, target_height = width_height
                crop_height = min(height, (width * target_height) // target_width)
                crop_width = min(width, (height * target_width) // target_height)
                top = (height - crop_height) // 2
                left = (width - crop_width) // 2
                img = img.resize(width_height, resample, box=[left, top, left + crop_width, top + crop_height])
            else:
                img = img.resize(width_height, resample)
    return img


def resize_array(images, size, interpolation="bilinear", crop_to_aspect_ratio=False, pad_to_aspect_ratio=False,
                 fill_value=0.0, data_format="channels_last"):
    """(H, W, C) or (N, H, W, C) array (channels_first: C before H, W) -> float32 numpy array
    resized to `size` = (height, width), as `keras.ops.image.resize` does on the torch backend:
    half-pixel centers, no antialiasing; optionally center-cropped or padded to the target's
    aspect ratio first."""
    import torch
    import torch.nn.functional as F

    if interpolation not in _TORCH_MODES:
        raise ValueError(f"Resizing with interpolation={interpolation!r} is not supported by keraslite; use one "
                         f"of {sorted(_TORCH_MODES)}.")
    if crop_to_aspect_ratio and pad_to_aspect_ratio:
        raise ValueError("Only one of `pad_to_aspect_ratio`, `crop_to_aspect_ratio` can be set to `True`.")
    x = images.detach().cpu() if isinstance(images, torch.Tensor) else torch.from_numpy(np.asarray(images))
    x = x.to(torch.float32)
    squeeze = x.ndim == 3
    if x.ndim not in (3, 4):
        raise ValueError(f"Expected an image array with shape (height, width, channels) or (batch_size, height, "
                         f"width, channels), but got input of shape {tuple(x.shape)}.")
    if squeeze:
        x = x[None]
    if data_format == "channels_last":
        x = x.permute(0, 3, 1, 2)
    height, width = x.shape[-2], x.shape[-1]
    target_height, target_width = int(size[0]), int(size[1])
    if crop_to_aspect_ratio:
        crop_height = max(min(height, int(float(width * target_height) / target_width)), 1)
        crop_width = max(min(width, int(float(height * target_width) / target_height)), 1)
        top, left = int(float(height - crop_height) / 2), int(float(width - crop_width) / 2)
        x = x[:, :, top:top + crop_height, left:left + crop_width]
    elif pad_to_aspect_ratio:
        pad_height = max(height, int(float(width * target_height) / target_width))
        pad_width = max(width, int(float(height * target_width) / target_height))
        top, left = int(float(pad_height - height) / 2), int(float(pad_width - width) / 2)
        x = F.pad(x, (left, left, top, top), value=float(fill_value))
    mode = _TORCH_MODES[interpolation]
    if tuple(x.shape[-2:]) != (target_height, target_width):
        x = F.interpolate(x, size=(target_height, target_width), mode=mode,
                          align_corners=False if mode in ("bilinear", "bicubic") else None)
    if data_format == "channels_last":
        x = x.permute(0, 2, 3, 1)
    x = x.contiguous().numpy()
    return x[0] if squeeze else x


def smart_resize(x, size, interpolation="bilinear", data_format="channels_last", **kwargs):
    """Resize images to `size` without distorting them: the largest centered crop with the
    target's aspect ratio is taken, then resized. Numpy in, numpy out; a torch tensor gives a
    torch tensor."""
    kwargs.pop("backend_module", None)
    if kwargs:
        raise TypeError(f"smart_resize() got unexpected keyword arguments: {list(kwargs)}")
    if len(size) != 2:
        raise ValueError(f"Expected `size` to be a tuple of 2 integers, but got: {size}.")
    out = resize_array(x, size, interpolation=interpolation, crop_to_aspect_ratio=True, data_format=data_format)
    if hasattr(x, "detach"):
        import torch

        return torch.from_numpy(out).to(x.device)
    return out
