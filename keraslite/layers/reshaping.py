"""Reshaping layers: Flatten, Reshape, Permute, RepeatVector, UpSampling1D/2D/3D,
ZeroPadding1D/2D/3D, Cropping1D/2D/3D.

Owns: these shape manipulations with Keras 3 semantics: Flatten with channels_first data
moves channels last before flattening (so a following Dense sees Keras's order), UpSampling2D's
'bilinear'/'bicubic' are torch's interpolate with align_corners=False and no antialiasing
(what Keras 3 computes on the torch backend), and 'nearest' repeats pixels.

Leaves to others: input checks and argument normalization (shared helpers in conv.py).

Views where possible: Permute and Cropping return views; repeats and padding copy once.
"""
import math

import torch.nn.functional as F

from keraslite import backend
from keraslite.layers.conv import check_ndim, normalize_tuple
from keraslite.layers.layer import Layer

__all__ = ["Flatten", "Reshape", "Permute", "RepeatVector", "UpSampling1D", "UpSampling2D", "UpSampling3D",
           "ZeroPadding1D", "ZeroPadding2D", "ZeroPadding3D", "Cropping1D", "Cropping2D", "Cropping3D"]


def _spatial_axes(rank, data_format):
    return tuple(range(1, rank + 1)) if data_format == "channels_last" else tuple(range(2, rank + 2))


def _pairs(value, rank, name):
    """Keras's per-axis (before, after) pairs: an int, `rank` ints, or `rank` pairs."""
    if isinstance(value, int):
        return ((value, value),) * rank
    if not hasattr(value, "__len__") or len(value) != rank:
        raise ValueError(f"`{name}` should be an int, a tuple of {rank} ints or a tuple of {rank} tuples of 2 ints; "
                         f"received {name}={value!r}.")
    return tuple(normalize_tuple(v, 2, name, allow_zero=True) for v in value)


# ----------------------------------------------------------------------------- Flatten / Reshape / Permute

class Flatten(Layer):
    """(batch, ...) -> (batch, prod(...)), always in channels-last order."""

    def __init__(self, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = backend.standardize_data_format(data_format)

    def call(self, inputs):
        if inputs.ndim == 1:
            return inputs.reshape(inputs.shape[0], 1)
        if self.data_format == "channels_first" and inputs.ndim > 2:
            inputs = inputs.permute(0, *range(2, inputs.ndim), 1)
        return inputs.reshape(inputs.shape[0], -1)

    def compute_output_shape(self, input_shape):
        rest = tuple(input_shape[1:])
        return (input_shape[0], None if None in rest else math.prod(rest))

    def get_config(self):
        config = super().get_config()
        config["data_format"] = self.data_format
        return config


class Reshape(Layer):
    """(batch, ...) -> (batch, *target_shape); one entry of target_shape may be -1."""

    def __init__(self, target_shape, **kwargs):
        super().__init__(**kwargs)
        self.target_shape = tuple(int(d) for d in target_shape)
        if any(d < -1 for d in self.target_shape) or self.target_shape.count(-1) > 1:
            raise ValueError(f"Reshape '{self.name}': each entry of `target_shape` must be a non-negative integer, "
                             f"or -1 for at most one unknown dimension; received target_shape={target_shape}.")

    def _resolve(self, input_shape):
        rest = tuple(input_shape[1:])
        if None in rest:
            return tuple(None if d == -1 else d for d in self.target_shape)
        size = math.prod(rest)
        known = math.prod(d for d in self.target_shape if d != -1)
        if -1 in self.target_shape:
            if known == 0 or size % known:
                raise self._size_error(input_shape)
            return tuple(size // known if d == -1 else d for d in self.target_shape)
        if size != known:
            raise self._size_error(input_shape)
        return self.target_shape

    def _size_error(self, input_shape):
        return ValueError(f"Reshape '{self.name}': cannot reshape an input of shape {tuple(input_shape)} to "
                          f"target_shape={self.target_shape}; the number of values per sample must stay the same "
                          f"({math.prod(input_shape[1:])}). Choose a target_shape with that product, or use -1 for "
                          "one dimension.")

    def call(self, inputs):
        return inputs.reshape((inputs.shape[0],) + self._resolve(tuple(inputs.shape)))

    def compute_output_shape(self, input_shape):
        return (input_shape[0],) + self._resolve(tuple(input_shape))

    def get_config(self):
        config = super().get_config()
        config["target_shape"] = self.target_shape
        return config


class Permute(Layer):
    """Reorders the non-batch axes; `dims` is 1-based, e.g. (2, 1) swaps time and features."""

    def __init__(self, dims, **kwargs):
        super().__init__(**kwargs)
        self.dims = tuple(int(d) for d in dims)
        if sorted(self.dims) != list(range(1, len(self.dims) + 1)):
            raise ValueError(f"Permute '{self.name}': `dims` must be a permutation of 1..{len(self.dims)} (the batch "
                             f"axis 0 is never moved); received dims={dims}.")

    def build(self, input_shape):
        check_ndim(self, input_shape, len(self.dims) + 1)

    def call(self, inputs):
        check_ndim(self, inputs.shape, len(self.dims) + 1)
        return inputs.permute((0,) + self.dims)

    def compute_output_shape(self, input_shape):
        return (input_shape[0],) + tuple(input_shape[d] for d in self.dims)

    def get_config(self):
        config = super().get_config()
        config["dims"] = self.dims
        return config


class RepeatVector(Layer):
    """(batch, features) -> (batch, n, features)."""

    def __init__(self, n, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(n, int) or isinstance(n, bool) or n <= 0:
            raise ValueError(f"RepeatVector '{self.name}': `n` must be a positive integer; received n={n!r}.")
        self.n = n

    def build(self, input_shape):
        check_ndim(self, input_shape, 2)

    def call(self, inputs):
        check_ndim(self, inputs.shape, 2)
        return inputs.unsqueeze(1).repeat(1, self.n, 1)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.n, input_shape[1])

    def get_config(self):
        config = super().get_config()
        config["n"] = self.n
        return config


# ----------------------------------------------------------------------------- UpSampling

def _repeat_axes(x, axes, sizes):
    """Repeat each element `sizes[i]` times along `axes[i]` (nearest upsampling) in one copy."""
    view, expanded, final = [], [], list(x.shape)
    for axis, n in enumerate(x.shape):
        view.append(n)
        expanded.append(n)
        if axis in axes:
            factor = sizes[axes.index(axis)]
            view.append(1)
            expanded.append(factor)
            final[axis] = n * factor
    return x.reshape(view).expand(expanded).reshape(final)


class _UpSampling(Layer):
    """Nearest-neighbour upsampling of the spatial axes by integer factors `size`."""

    rank = None

    def __init__(self, size, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.size = normalize_tuple(size, self.rank, "size")
        self.data_format = backend.standardize_data_format(data_format)

    def build(self, input_shape):
        check_ndim(self, input_shape, self.rank + 2)

    def call(self, inputs):
        check_ndim(self, inputs.shape, self.rank + 2)
        return _repeat_axes(inputs, _spatial_axes(self.rank, self.data_format), self.size)

    def compute_output_shape(self, input_shape):
        out = list(input_shape)
        for axis, factor in zip(_spatial_axes(self.rank, self.data_format), self.size):
            out[axis] = None if out[axis] is None else out[axis] * factor
        return tuple(out)

    def get_config(self):
        config = super().get_config()
        config.update(size=self.size, data_format=self.data_format)
        return config


class UpSampling1D(_UpSampling):
    """(batch, steps, features) -> (batch, steps * size, features)."""

    rank = 1

    def __init__(self, size=2, **kwargs):
        if not isinstance(size, int) or isinstance(size, bool):
            raise TypeError(f"UpSampling1D: `size` must be an integer; received size={size!r}.")
        super().__init__(size, "channels_last", **kwargs)

    def get_config(self):
        config = super().get_config()
        config["size"] = self.size[0]
        del config["data_format"]
        return config


class UpSampling2D(_UpSampling):
    """Upsamples rows and columns; interpolation 'nearest' (repeat), 'bilinear' or 'bicubic'."""

    rank = 2
    _MODES = ("nearest", "bilinear", "bicubic")

    def __init__(self, size=(2, 2), data_format=None, interpolation="nearest", **kwargs):
        super().__init__(size, data_format, **kwargs)
        self.interpolation = str(interpolation).lower()
        if self.interpolation not in self._MODES:
            raise ValueError(f"UpSampling2D '{self.name}': interpolation must be one of {self._MODES}; received "
                             f"interpolation={interpolation!r}.")

    def call(self, inputs):
        if self.interpolation == "nearest":
            return super().call(inputs)
        check_ndim(self, inputs.shape, 4)
        x = inputs.permute(0, 3, 1, 2) if self.data_format == "channels_last" else inputs  # (batch, c, h, w)
        if not x.is_floating_point():
            x = x.to(backend.torch_dtype(None))
        size = (x.shape[2] * self.size[0], x.shape[3] * self.size[1])
        y = F.interpolate(x, size=size, mode=self.interpolation, align_corners=False)
        return y.permute(0, 2, 3, 1) if self.data_format == "channels_last" else y

    def get_config(self):
        config = super().get_config()
        config["interpolation"] = self.interpolation
        return config


class UpSampling3D(_UpSampling):
    rank = 3

    def __init__(self, size=(2, 2, 2), data_format=None, **kwargs):
        super().__init__(size, data_format, **kwargs)


# ----------------------------------------------------------------------------- ZeroPadding

class _ZeroPadding(Layer):
    """Zeros added before and after each spatial axis; `padding` is one (before, after) per axis."""

    rank = None

    def __init__(self, padding, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.padding = _pairs(padding, self.rank, "padding")
        self.data_format = backend.standardize_data_format(data_format)

    def build(self, input_shape):
        check_ndim(self, input_shape, self.rank + 2)

    def call(self, inputs):
        check_ndim(self, inputs.shape, self.rank + 2)
        pads = [] if self.data_format == "channels_first" else [0, 0]  # F.pad lists the last axis first
        for before, after in reversed(self.padding):
            pads.extend((before, after))
        return F.pad(inputs, pads)

    def compute_output_shape(self, input_shape):
        out = list(input_shape)
        for axis, (before, after) in zip(_spatial_axes(self.rank, self.data_format), self.padding):
            out[axis] = None if out[axis] is None else out[axis] + before + after
        return tuple(out)

    def get_config(self):
        config = super().get_config()
        config.update(padding=self.padding, data_format=self.data_format)
        return config


class ZeroPadding1D(_ZeroPadding):
    rank = 1

    def __init__(self, padding=1, data_format=None, **kwargs):
        super().__init__((normalize_tuple(padding, 2, "padding", allow_zero=True),), data_format, **kwargs)

    def get_config(self):
        config = super().get_config()
        config["padding"] = self.padding[0]
        return config


class ZeroPadding2D(_ZeroPadding):
    rank = 2

    def __init__(self, padding=(1, 1), data_format=None, **kwargs):
        super().__init__(padding, data_format, **kwargs)


class ZeroPadding3D(_ZeroPadding):
    rank = 3

    def __init__(self, padding=((1, 1), (1, 1), (1, 1)), data_format=None, **kwargs):
        super().__init__(padding, data_format, **kwargs)


# ----------------------------------------------------------------------------- Cropping

class _Cropping(Layer):
    """Removes `cropping` (before, after) from each spatial axis; returns a view."""

    rank = None

    def __init__(self, cropping, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.cropping = _pairs(cropping, self.rank, "cropping")
        self.data_format = backend.standardize_data_format(data_format)

    def _check_size(self, shape):
        check_ndim(self, shape, self.rank + 2)
        for axis, (before, after) in zip(_spatial_axes(self.rank, self.data_format), self.cropping):
            if shape[axis] is not None and before + after >= shape[axis]:
                raise ValueError(f"Layer '{self.name}': cropping {self.cropping} removes all of axis {axis} of an "
                                 f"input with shape {tuple(shape)}. Each pair of crops must sum to less than the "
                                 "axis length.")

    def build(self, input_shape):
        self._check_size(input_shape)

    def call(self, inputs):
        self._check_size(tuple(inputs.shape))
        index = [slice(None)] * inputs.ndim
        for axis, (before, after) in zip(_spatial_axes(self.rank, self.data_format), self.cropping):
            index[axis] = slice(before, inputs.shape[axis] - after)
        return inputs[tuple(index)]

    def compute_output_shape(self, input_shape):
        self._check_size(tuple(input_shape))
        out = list(input_shape)
        for axis, (before, after) in zip(_spatial_axes(self.rank, self.data_format), self.cropping):
            out[axis] = None if out[axis] is None else out[axis] - before - after
        return tuple(out)

    def get_config(self):
        config = super().get_config()
        config.update(cropping=self.cropping, data_format=self.data_format)
        return config


class Cropping1D(_Cropping):
    """Crops the steps axis of (batch, steps, features)."""

    rank = 1

    def __init__(self, cropping=(1, 1), **kwargs):
        super().__init__((normalize_tuple(cropping, 2, "cropping", allow_zero=True),), "channels_last", **kwargs)

    def get_config(self):
        config = super().get_config()
        config["cropping"] = self.cropping[0]
        del config["data_format"]
        return config


class Cropping2D(_Cropping):
    rank = 2

    def __init__(self, cropping=((0, 0), (0, 0)), data_format=None, **kwargs):
        super().__init__(cropping, data_format, **kwargs)


class Cropping3D(_Cropping):
    rank = 3

    def __init__(self, cropping=((1, 1), (1, 1), (1, 1)), data_format=None, **kwargs):
        super().__init__(cropping, data_format, **kwargs)
