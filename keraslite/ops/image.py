"""`keras.ops.image`: resizing, cropping and padding, patches, colour-space conversions,
geometric transforms (affine, perspective, map_coordinates), blurs and image metrics.

Images are (height, width, channels) or batched (batch, height, width, channels) by default;
`data_format="channels_first"` (or `keras.config.image_data_format()`) moves channels ahead of
the spatial axes. As in Keras, these functions are not top-level `keraslite.ops` names: reach
them as `keraslite.ops.image.<name>`. Called on symbolic tensors, they become graph nodes
named "image.<name>", which saved models find again.
"""
import functools
import itertools
import math
import operator

import numpy as np
import torch
import torch.nn.functional as F

from keraslite import backend
from keraslite.ops import _float, _op, _t
from keraslite.ops import nn as _nn

__all__ = [
    "affine_transform", "crop_images", "elastic_transform", "extract_patches", "extract_patches_3d",
    "gaussian_blur", "hsv_to_rgb", "map_coordinates", "pad_images", "perspective_transform", "resize",
    "rgb_to_grayscale", "rgb_to_hsv", "scale_and_translate", "sobel_edges", "ssim",
]


def _image_op(fn):
    """Like keraslite.ops._op, with the node recorded as "image.<name>" (the function is not a
    top-level op, so saved models look it up in this module)."""
    return _op(fn, name="image." + fn.__name__)


def _images(images, op, ranks=(3, 4)):
    x = _t(images)
    if x.dim() not in ranks:
        raise ValueError(f"ops.image.{op} expects images of rank {' or '.join(map(str, ranks))} (a single image or a "
                         f"batch); received shape {tuple(x.shape)}.")
    return x


def _nchw(x, data_format):
    """Batched channels_first view of an image tensor; returns (tensor, was_unbatched)."""
    unbatched = x.dim() == 3
    if unbatched:
        x = x.unsqueeze(0)
    if data_format == "channels_last":
        x = x.permute(0, 3, 1, 2)
    return x, unbatched


def _from_nchw(x, data_format, unbatched):
    if data_format == "channels_last":
        x = x.permute(0, 2, 3, 1)
    return x.squeeze(0) if unbatched else x


def _hw_axes(x, data_format):
    """(height axis, width axis) of an image tensor."""
    return (x.dim() - 3, x.dim() - 2) if data_format == "channels_last" else (x.dim() - 2, x.dim() - 1)


# ----------------------------------------------------------------------------- resize

@_image_op
def resize(images, size, interpolation="bilinear", antialias=False, crop_to_aspect_ratio=False,
           pad_to_aspect_ratio=False, fill_mode="constant", fill_value=0.0, data_format=None):
    # The computation is the Resizing layer's (Keras's torch-backend resize); this op's own checks
    # name it in their messages.
    from keraslite.layers.preprocessing.image import _RESIZE_MODES, resize_images

    if interpolation not in _RESIZE_MODES:
        raise ValueError(f"ops.image.resize: `interpolation` must be one of {sorted(_RESIZE_MODES)} on the torch "
                         f"backend; received interpolation={interpolation!r}.")
    return resize_images(_images(images, "resize"), size, interpolation=interpolation, antialias=antialias,
                         crop_to_aspect_ratio=crop_to_aspect_ratio, pad_to_aspect_ratio=pad_to_aspect_ratio,
                         fill_mode=fill_mode, fill_value=fill_value, data_format=data_format)


# ----------------------------------------------------------------------------- crop / pad

def _edges(first, last, target, size, op, names):
    """Resolve two of (first, last, target) into (first, last) margins of a `size`-long axis."""
    if [first, last, target].count(None) != 1:
        raise ValueError(f"ops.image.{op}: give exactly two of `{names[0]}`, `{names[1]}` and `{names[2]}`; "
                         f"received {names[0]}={first}, {names[1]}={last}, {names[2]}={target}.")
    for name, v in zip(names, (first, last, target)):
        if v is not None and v < 0:
            raise ValueError(f"ops.image.{op}: `{name}` must be >= 0; received {v}.")
    sign = 1 if op == "pad_images" else -1
    if first is None:
        first = sign * (target - size) - last
    elif last is None:
        last = sign * (target - size) - first
    for name, v in zip(names[:2], (first, last)):
        if v < 0:
            raise ValueError(f"ops.image.{op}: the image axis of size {size} cannot reach the target; this gives "
                             f"{name}={v}.")
    return int(first), int(last)


@_image_op
def crop_images(images, top_cropping=None, left_cropping=None, bottom_cropping=None, right_cropping=None,
                target_height=None, target_width=None, data_format=None):
    data_format = backend.standardize_data_format(data_format)
    x = _images(images, "crop_images")
    ha, wa = _hw_axes(x, data_format)
    top, bottom = _edges(top_cropping, bottom_cropping, target_height, x.shape[ha], "crop_images",
                         ("top_cropping", "bottom_cropping", "target_height"))
    left, right = _edges(left_cropping, right_cropping, target_width, x.shape[wa], "crop_images",
                         ("left_cropping", "right_cropping", "target_width"))
    if top + bottom > x.shape[ha] or left + right > x.shape[wa]:
        raise ValueError(f"ops.image.crop_images: cropping ({top}, {bottom}) x ({left}, {right}) is larger than the "
                         f"image, of shape {tuple(x.shape)}.")
    x = x.narrow(ha, top, x.shape[ha] - top - bottom)
    return x.narrow(wa, left, x.shape[wa] - left - right)


@_image_op
def pad_images(images, top_padding=None, left_padding=None, bottom_padding=None, right_padding=None,
               target_height=None, target_width=None, data_format=None):
    data_format = backend.standardize_data_format(data_format)
    x = _images(images, "pad_images")
    ha, wa = _hw_axes(x, data_format)
    top, bottom = _edges(top_padding, bottom_padding, target_height, x.shape[ha], "pad_images",
                         ("top_padding", "bottom_padding", "target_height"))
    left, right = _edges(left_padding, right_padding, target_width, x.shape[wa], "pad_images",
                         ("left_padding", "right_padding", "target_width"))
    flat = [0, 0] * (x.dim() - 1 - wa) + [left, right, top, bottom]
    return F.pad(x, flat)


# ----------------------------------------------------------------------------- patches

def _patches(images, size, strides, dilation_rate, padding, data_format, n, op):
    data_format = backend.standardize_data_format(data_format)
    x = _images(images, op, (n + 1, n + 2))
    size = _nn._tuple(size, n, "size", op)
    strides = size if not strides else _nn._tuple(strides, n, "strides", op)
    channels = x.shape[-1] if data_format == "channels_last" else x.shape[-n - 1]
    out_dim = int(np.prod(size)) * channels
    # A convolution with an identity kernel copies each window to the channel axis in (patch
    # position, channel) order.
    kernel = torch.eye(out_dim, dtype=x.dtype, device=x.device).reshape(*size, channels, out_dim)
    unbatched = x.dim() == n + 1
    y = _nn.conv._raw(x.unsqueeze(0) if unbatched else x, kernel, strides, padding, data_format, dilation_rate)
    return y.squeeze(0) if unbatched else y


@_image_op
def extract_patches(images, size, strides=None, dilation_rate=1, padding="valid", data_format=None):
    if not isinstance(size, int) and len(size) == 3:
        return _patches(images, size, strides, dilation_rate, padding, data_format, 3, "extract_patches")
    return _patches(images, size, strides, dilation_rate, padding, data_format, 2, "extract_patches")


@_image_op
def extract_patches_3d(volumes, size, strides=None, dilation_rate=1, padding="valid", data_format=None):
    return _patches(volumes, size, strides, dilation_rate, padding, data_format, 3, "extract_patches_3d")


# ----------------------------------------------------------------------------- colour

def _channel_axis(x, data_format):
    return -1 if data_format == "channels_last" else -3


@_image_op
def rgb_to_grayscale(images, data_format=None):
    data_format = backend.standardize_data_format(data_format)
    x = _images(images, "rgb_to_grayscale")
    axis = _channel_axis(x, data_format)
    if x.shape[axis] not in (1, 3):
        raise ValueError(f"ops.image.rgb_to_grayscale expects 1 or 3 channels; received shape {tuple(x.shape)}.")
    if x.shape[axis] == 1:
        return x.clone()
    r, g, b = x.unbind(axis)
    return (0.2989 * r + 0.587 * g + 0.114 * b).to(x.dtype).unsqueeze(axis)


def _float_images(images, op):
    x = _images(images, op)
    if not x.is_floating_point():
        raise ValueError(f"ops.image.{op} expects float images; received dtype {backend.dtype_name(x.dtype)}.")
    return x


@_image_op
def rgb_to_hsv(images, data_format=None):
    data_format = backend.standardize_data_format(data_format)
    x = _float_images(images, "rgb_to_hsv")
    axis = _channel_axis(x, data_format)
    x = torch.where(torch.abs(x) < torch.finfo(x.dtype).eps, torch.zeros_like(x), x)
    r, g, b = x.unbind(axis)
    value = torch.maximum(torch.maximum(r, g), b)
    spread = value - torch.minimum(torch.minimum(r, g), b)
    one = torch.ones_like(value)
    saturation = torch.where(value > 0, spread / torch.where(value > 0, value, one), torch.zeros_like(value))
    scale = 1.0 / (6.0 * torch.where(spread > 0, spread, one))
    hue = torch.where(value == g, scale * (b - r) + 2.0 / 6.0, scale * (r - g) + 4.0 / 6.0)
    hue = torch.where(value == r, scale * (g - b), hue)
    hue = torch.where(spread > 0, hue, torch.zeros_like(hue)) + (hue < 0).to(hue.dtype)
    return torch.stack([hue, saturation, value], dim=axis)


@_image_op
def hsv_to_rgb(images, data_format=None):
    data_format = backend.standardize_data_format(data_format)
    x = _float_images(images, "hsv_to_rgb")
    axis = _channel_axis(x, data_format)
    hue, saturation, value = x.unbind(axis)
    sector = torch.remainder(hue, 1.0) * 6.0
    weights = [torch.clip(torch.abs(sector - 3.0) - 1.0, 0.0, 1.0),
               torch.clip(2.0 - torch.abs(sector - 2.0), 0.0, 1.0),
               torch.clip(2.0 - torch.abs(sector - 4.0), 0.0, 1.0)]
    return torch.stack([value * (1.0 - saturation + saturation * w) for w in weights], dim=axis)


# ----------------------------------------------------------------------------- sampling

def _reflect_triangle(index, period):
    """|((index + p) mod 2p) - p|: folds integer positions back into [0, p]."""
    return torch.abs(torch.remainder(index + period, 2 * period) - period)


_OUT_OF_BOUNDS = {
    "constant": lambda i, n: torch.clip(i, 0, n - 1),
    "nearest": lambda i, n: torch.clip(i, 0, n - 1),
    "wrap": lambda i, n: torch.remainder(i, n),
    "mirror": lambda i, n: _reflect_triangle(i, max(n - 1, 1)) if n > 1 else torch.zeros_like(i),
    "reflect": lambda i, n: torch.div(_reflect_triangle(2 * i + 1, 2 * n) - 1, 2, rounding_mode="floor"),
}


@_image_op
def map_coordinates(inputs, coordinates, order, fill_mode="constant", fill_value=0):
    x = _t(inputs)
    coords = [_t(c).to(x.device) for c in coordinates]
    if len(coords) != x.dim():
        raise ValueError(f"ops.image.map_coordinates: `coordinates` must have one array per input dimension "
                         f"({x.dim()}); received {len(coords)}.")
    if fill_mode not in _OUT_OF_BOUNDS:
        raise ValueError(f"ops.image.map_coordinates: `fill_mode` must be one of {sorted(_OUT_OF_BOUNDS)}; "
                         f"received {fill_mode!r}.")
    if order not in (0, 1):
        raise NotImplementedError(f"ops.image.map_coordinates supports order 0 or 1 on the torch backend; "
                                  f"received order={order}.")
    integer = not (x.is_floating_point() or x.is_complex())
    if integer and isinstance(fill_value, float):
        fill_value = int(fill_value)
    fix = _OUT_OF_BOUNDS[fill_mode]
    per_axis = []
    for c, n in zip(coords, x.shape):
        if order == 0:
            nodes = [((c if not c.is_floating_point() else torch.round(c)).to(torch.int64), 1)]
        else:
            low = torch.floor(c)
            frac = c - low
            nodes = [(low.to(torch.int64), 1 - frac), (low.to(torch.int64) + 1, frac)]
        per_axis.append([(fix(i, n), (i >= 0) & (i < n), w) for i, w in nodes])
    total = 0
    for combo in itertools.product(*per_axis):
        index, valid, weight = zip(*combo)
        value = x[tuple(index)]
        if fill_mode == "constant":
            value = torch.where(functools.reduce(operator.and_, valid), value,
                                torch.as_tensor(fill_value, dtype=value.dtype, device=value.device))
        total = total + functools.reduce(operator.mul, weight) * value
    if integer and torch.is_tensor(total) and total.is_floating_point():
        total = torch.round(total)
    return torch.as_tensor(total).to(x.dtype)


_AFFINE_ORDERS = {"nearest": 0, "bilinear": 1}


def _check_sampling(op, interpolation, fill_mode):
    if interpolation not in _AFFINE_ORDERS:
        raise ValueError(f"ops.image.{op}: `interpolation` must be 'nearest' or 'bilinear'; received "
                         f"{interpolation!r}.")
    if fill_mode not in _OUT_OF_BOUNDS:
        raise ValueError(f"ops.image.{op}: `fill_mode` must be one of {sorted(_OUT_OF_BOUNDS)}; received "
                         f"{fill_mode!r}.")


@_image_op
def affine_transform(images, transform, interpolation="bilinear", fill_mode="constant", fill_value=0,
                     data_format=None):
    """Each output pixel (y, x) reads the input at x' = a0*x + a1*y + a2, y' = b0*x + b1*y + b2
    for a transform [a0, a1, a2, b0, b1, b2, c0, c1] (c0, c1 weigh the channel index, as on
    Keras's torch backend; the projective division is not applied)."""
    data_format = backend.standardize_data_format(data_format)
    _check_sampling("affine_transform", interpolation, fill_mode)
    x = _images(images, "affine_transform")
    t = _t(transform)
    if t.dim() not in (1, 2) or t.shape[-1] != 8:
        raise ValueError(f"ops.image.affine_transform: `transform` must have shape (8,) or (batch, 8); received "
                         f"{tuple(t.shape)}.")
    unbatched = x.dim() == 3
    if unbatched:
        x = x.unsqueeze(0)
    if data_format == "channels_first":
        x = x.permute(0, 2, 3, 1)
    t = t.to(x.device).reshape(-1, 8).expand(x.shape[0], 8)
    coordinates = _affine_coordinates(t, x.shape[1:])
    y = torch.stack([map_coordinates._raw(x[b], list(coordinates[b]), _AFFINE_ORDERS[interpolation], fill_mode,
                                          fill_value) for b in range(x.shape[0])])
    if data_format == "channels_first":
        y = y.permute(0, 3, 1, 2)
    return y.squeeze(0) if unbatched else y


def _affine_coordinates(t, shape):
    """(batch, 3, h, w, c) source coordinates (y', x', channel) of every output position.
    Computed as Keras's torch backend computes them -- the (y, x, c) index rows times a 3x3
    matrix in one einsum, then the translation added -- so that a coordinate falling on a
    nearest-neighbour tie rounds the same way: another summation order (or a fused
    multiply-add where Keras's matmul kernel has none) moves it by an ulp to the other pixel."""
    a0, a1, a2, b0, b1, b2, c0, c1 = t.unbind(-1)
    zero, one = torch.zeros_like(a0), torch.ones_like(a0)
    matrix = torch.stack([b1, a1, zero, b0, a0, zero, c0, c1, one], -1).reshape(-1, 3, 3)
    grid = torch.meshgrid(*[torch.arange(n, dtype=t.dtype, device=t.device) for n in shape], indexing="ij")
    indices = torch.stack(grid, -1).expand(t.shape[0], *shape, 3).contiguous()  # (batch, h, w, c, 3)
    coordinates = torch.moveaxis(torch.einsum("Bhwij, Bjk -> Bhwik", indices, matrix), -1, 1)
    return coordinates + torch.stack([b2, a2, zero], -1).reshape(-1, 3, 1, 1, 1)


def _homographies(start_points, end_points):
    """Per batch item, the 8 coefficients mapping end (output) points to start (input) points."""
    start, end = _float(_t(start_points)).double(), _float(_t(end_points)).double()
    rows, rhs = [], []
    for s, e in zip(start.unbind(-2), end.unbind(-2)):
        sx, sy, ex, ey = s[..., 0], s[..., 1], e[..., 0], e[..., 1]
        zero, one = torch.zeros_like(sx), torch.ones_like(sx)
        rows.append(torch.stack([ex, ey, one, zero, zero, zero, -sx * ex, -sx * ey], -1))
        rows.append(torch.stack([zero, zero, zero, ex, ey, one, -sy * ex, -sy * ey], -1))
        rhs += [sx, sy]
    return torch.linalg.solve(torch.stack(rows, -2), torch.stack(rhs, -1))


@_image_op
def perspective_transform(images, start_points, end_points, interpolation="bilinear", fill_value=0,
                          data_format=None):
    data_format = backend.standardize_data_format(data_format)
    _check_sampling("perspective_transform", interpolation, "constant")
    x = _images(images, "perspective_transform")
    sp, ep = _t(start_points), _t(end_points)
    if sp.shape[-2:] != (4, 2) or ep.shape[-2:] != (4, 2):
        raise ValueError("ops.image.perspective_transform: `start_points` and `end_points` must have shape (4, 2) "
                         f"or (batch, 4, 2); received {tuple(sp.shape)} and {tuple(ep.shape)}.")
    unbatched = x.dim() == 3
    if unbatched:
        x = x.unsqueeze(0)
    if data_format == "channels_first":
        x = x.permute(0, 2, 3, 1)
    coef = _homographies(sp.reshape(-1, 4, 2), ep.reshape(-1, 4, 2)).to(x.device).expand(x.shape[0], 8)
    h, w, c = x.shape[1:]
    dtype = x.dtype if x.is_floating_point() else torch.float32
    yy, xx, cc = torch.meshgrid(*[torch.arange(n, dtype=torch.float64, device=x.device) for n in (h, w, c)],
                                indexing="ij")
    outputs = []
    for b in range(x.shape[0]):
        a0, a1, a2, b0, b1, b2, c0, c1 = coef[b]
        denom = c0 * xx + c1 * yy + 1
        src_x = ((a0 * xx + a1 * yy + a2) / denom).to(dtype)
        src_y = ((b0 * xx + b1 * yy + b2) / denom).to(dtype)
        outputs.append(map_coordinates._raw(x[b], [src_y, src_x, cc.to(dtype)], _AFFINE_ORDERS[interpolation],
                                            "constant", fill_value))
    y = torch.stack(outputs)
    if data_format == "channels_first":
        y = y.permute(0, 3, 1, 2)
    return y.squeeze(0) if unbatched else y


@_image_op
def elastic_transform(images, alpha=20.0, sigma=5.0, interpolation="bilinear", fill_mode="reflect",
                      fill_value=0.0, seed=None, data_format=None):
    """Random smooth displacement fields (Gaussian-blurred uniform noise scaled by `alpha`)."""
    data_format = backend.standardize_data_format(data_format)
    _check_sampling("elastic_transform", interpolation, fill_mode)
    x = _images(images, "elastic_transform")
    unbatched = x.dim() == 3
    if unbatched:
        x = x.unsqueeze(0)
    if data_format == "channels_first":
        x = x.permute(0, 2, 3, 1)
    dtype = x.dtype if x.is_floating_point() else torch.float32
    n, h, w, c = x.shape
    generator = torch.Generator(device="cpu")
    if isinstance(seed, int):
        generator.manual_seed(seed)
    else:
        generator.seed()
    noise = torch.rand((2, n, h, w), generator=generator, dtype=dtype) * 2 - 1
    size = int(2 * round(3 * sigma) + 1)
    blurred = gaussian_blur._raw(noise.reshape(2 * n, h, w, 1), (size, size), (sigma, sigma),
                                 "channels_last").reshape(2, n, h, w).to(x.device)
    dy, dx = blurred[0] * alpha, blurred[1] * alpha
    yy, xx, cc = torch.meshgrid(*[torch.arange(s, dtype=dtype, device=x.device) for s in (h, w, c)], indexing="ij")
    y = torch.stack([map_coordinates._raw(x[b], [yy + dy[b, :, :, None], xx + dx[b, :, :, None], cc],
                                          _AFFINE_ORDERS[interpolation], fill_mode, fill_value)
                     for b in range(n)])
    if data_format == "channels_first":
        y = y.permute(0, 3, 1, 2)
    return y.squeeze(0) if unbatched else y


# ----------------------------------------------------------------------------- filters and metrics

def _gaussian_1d(size, sigma, dtype, device):
    pos = torch.arange(size, dtype=dtype, device=device) - (size - 1) / 2
    g = torch.exp(-0.5 * (pos / sigma) ** 2)
    return g / g.sum()


@_image_op
def gaussian_blur(images, kernel_size=(3, 3), sigma=(1.0, 1.0), data_format=None):
    """Per-channel Gaussian blur with zero padding. As in every Keras backend, the kernel is
    outer(g(kernel_size[1], sigma[1]), g(kernel_size[0], sigma[0])): its rows (the vertical
    profile) come from the second entries."""
    data_format = backend.standardize_data_format(data_format)
    x = _images(images, "gaussian_blur")
    k0, k1 = _nn._tuple(kernel_size, 2, "kernel_size", "image.gaussian_blur")
    s0, s1 = (float(sigma),) * 2 if isinstance(sigma, (int, float)) else (float(sigma[0]), float(sigma[1]))
    x, unbatched = _nchw(x, data_format)
    dtype = x.dtype if x.is_floating_point() else torch.float32
    kernel = torch.outer(_gaussian_1d(k1, s1, dtype, x.device), _gaussian_1d(k0, s0, dtype, x.device))
    channels = x.shape[1]
    y = F.conv2d(x.to(dtype), kernel.expand(channels, 1, k1, k0), padding=(k1 // 2, k0 // 2), groups=channels)
    return _from_nchw(y.to(x.dtype), data_format, unbatched)


@_image_op
def sobel_edges(images, data_format=None):
    """(batch, height, width, channels, 2): vertical then horizontal Sobel gradients."""
    data_format = backend.standardize_data_format(data_format)
    x = _images(images, "sobel_edges", (4,))
    x, _ = _nchw(x, data_format)
    channels = x.shape[1]
    gx = torch.tensor([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], dtype=x.dtype, device=x.device)
    edges = [F.conv2d(x, k.expand(channels, 1, 3, 3), padding=1, groups=channels) for k in (gx.T, gx)]
    out = torch.stack(edges, dim=-1)
    return out.permute(0, 2, 3, 1, 4) if data_format == "channels_last" else out


@_image_op
def ssim(image1, image2, max_val=1.0, filter_size=11, filter_sigma=1.5, k1=0.01, k2=0.03, data_format=None):
    data_format = backend.standardize_data_format(data_format)
    a, b = _images(image1, "ssim"), _images(image2, "ssim")
    if a.shape != b.shape:
        raise ValueError(f"ops.image.ssim: both images must have the same shape; received {tuple(a.shape)} and "
                         f"{tuple(b.shape)}.")
    original = a.dtype
    a, b = _float(a), _float(b.to(device=a.device, dtype=_float(a).dtype))
    a, unbatched = _nchw(a, data_format)
    b, _ = _nchw(b, data_format)
    n, c, h, w = a.shape
    g = _gaussian_1d(filter_size, filter_sigma, a.dtype, a.device)
    kernel = torch.outer(g, g)[None, None]

    def blur(t):
        return F.conv2d(t.reshape(n * c, 1, h, w), kernel)

    mu_a, mu_b = blur(a), blur(b)
    var_a, var_b = blur(a * a) - mu_a ** 2, blur(b * b) - mu_b ** 2
    cov = blur(a * b) - mu_a * mu_b
    c1, c2 = (k1 * max_val) ** 2, (k2 * max_val) ** 2
    ssim_map = (2 * mu_a * mu_b + c1) * (2 * cov + c2) / ((mu_a ** 2 + mu_b ** 2 + c1) * (var_a + var_b + c2))
    out = ssim_map.mean(dim=(1, 2, 3)).reshape(n, c).mean(-1)
    return (out.squeeze(0) if unbatched else out).to(original)


_SCALE_KERNELS = {
    "linear": lambda d: torch.clamp(1 - torch.abs(d), min=0),
    "bilinear": lambda d: torch.clamp(1 - torch.abs(d), min=0),
    "trilinear": lambda d: torch.clamp(1 - torch.abs(d), min=0),
}


def _keys_cubic(d):
    d = torch.abs(d)
    out = ((1.5 * d - 2.5) * d) * d + 1
    out = torch.where(d >= 1, ((-0.5 * d + 2.5) * d - 4) * d + 2, out)
    return torch.where(d >= 2, torch.zeros_like(d), out)


def _lanczos(radius):
    def kernel(d):
        d = torch.abs(d)
        y = radius * torch.sin(math.pi * d) * torch.sin(math.pi * d / radius)
        out = torch.where(d > 1e-3, y / torch.where(d > 1e-3, math.pi ** 2 * d ** 2, torch.ones_like(d)),
                          torch.ones_like(d))
        return torch.where(torch.abs(d) > radius, torch.zeros_like(d), out)
    return kernel


for _name in ("cubic", "bicubic", "tricubic"):
    _SCALE_KERNELS[_name] = _keys_cubic
_SCALE_KERNELS["lanczos3"], _SCALE_KERNELS["lanczos5"] = _lanczos(3.0), _lanczos(5.0)


def _scale_weights(in_size, out_size, scale, translation, kernel, antialias, dtype, device):
    """(out_size, in_size) resampling matrix of one axis."""
    inv = 1.0 / scale
    kernel_scale = torch.clamp(inv, min=1.0) if antialias else torch.ones_like(inv)
    sample = (torch.arange(out_size, dtype=dtype, device=device) + 0.5 - translation) * inv - 0.5
    grid = torch.arange(in_size, dtype=dtype, device=device)
    weights = kernel((grid[None, :] - sample[:, None]) / kernel_scale)
    total = weights.sum(dim=1, keepdim=True)
    weights = torch.where(torch.abs(total) > 1000 * torch.finfo(dtype).eps,
                          weights / torch.where(total != 0, total, torch.ones_like(total)), torch.zeros_like(weights))
    inside = (sample >= -0.5) & (sample <= in_size - 0.5)
    return torch.where(inside[:, None], weights, torch.zeros_like(weights))


@_image_op
def scale_and_translate(images, output_shape, scale, translation, spatial_dims, method, antialias=True):
    if method not in _SCALE_KERNELS:
        raise ValueError(f"ops.image.scale_and_translate: `method` must be one of {sorted(_SCALE_KERNELS)}; "
                         f"received {method!r}.")
    x = _float(_t(images))
    scale, translation = _t(scale, x.dtype).to(x.device), _t(translation, x.dtype).to(x.device)
    out = x
    letters = "abcdefghijklmnopqrstuvwxyz"[:x.dim()]
    for i, dim in enumerate(spatial_dims):
        dim = dim % x.dim()
        m = _scale_weights(x.shape[dim], int(output_shape[dim]), scale[i], translation[i], _SCALE_KERNELS[method],
                           antialias, x.dtype, x.device)
        result = letters[:dim] + "Z" + letters[dim + 1:]
        out = torch.einsum(f"Z{letters[dim]},{letters}->{result}", m, out)
    return out
