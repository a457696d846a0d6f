"""Pooling layers: Max/AveragePooling1D/2D/3D, GlobalMax/GlobalAveragePooling1D/2D/3D and
AdaptiveMax/AdaptiveAveragePooling1D/2D/3D.

Owns: the pooling math as Keras 3 on the torch backend computes it, including its 'same'
padding: when the padding is the same on both sides it goes to torch (max pads with -inf,
average leaves the padding out of the count); when it is not (the odd pixel at the end, e.g.
pool 2 stride 2 on 7 rows) Keras replicates the edge values and the average counts them, and
so do we. GlobalAveragePooling1D honours a (batch, steps) mask.

Leaves to others: input checks and argument normalization (shared helpers in conv.py), masks
plumbing (layer.Layer.__call__).

Inputs stay channels-last: torch pools read the permuted (batch, c, *spatial) view (1-D data
as (batch, c, steps, 1), see conv.torch_view).
"""
import numpy as np
import torch
import torch.nn.functional as F

from keraslite import backend
from keraslite.layers.conv import (check_ndim, check_output_size, conv_output_length, keras_view, normalize_padding,
                                   normalize_tuple, same_padding, torch_args, torch_view)
from keraslite.layers.layer import Layer

__all__ = [
    "MaxPooling1D", "MaxPooling2D", "MaxPooling3D", "AveragePooling1D", "AveragePooling2D", "AveragePooling3D",
    "GlobalMaxPooling1D", "GlobalMaxPooling2D", "GlobalMaxPooling3D",
    "GlobalAveragePooling1D", "GlobalAveragePooling2D", "GlobalAveragePooling3D",
    "MaxPool1D", "MaxPool2D", "MaxPool3D", "AvgPool1D", "AvgPool2D", "AvgPool3D",
    "GlobalMaxPool1D", "GlobalMaxPool2D", "GlobalMaxPool3D", "GlobalAvgPool1D", "GlobalAvgPool2D", "GlobalAvgPool3D",
    "AdaptiveAveragePooling1D", "AdaptiveAveragePooling2D", "AdaptiveAveragePooling3D",
    "AdaptiveMaxPooling1D", "AdaptiveMaxPooling2D", "AdaptiveMaxPooling3D",
]

# 1-D pooling runs as 2-D over (batch, c, steps, 1) (see conv.torch_view).
_MAX = {2: F.max_pool2d, 3: F.max_pool3d}
_AVG = {2: F.avg_pool2d, 3: F.avg_pool3d}


class _Pooling(Layer):
    """Windowed max or average over the spatial axes; variants set `rank` and `mode`."""

    rank = None
    mode = None  # "max" or "average"

    def __init__(self, pool_size=2, strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.pool_size = normalize_tuple(pool_size, self.rank, "pool_size")
        self.strides = self.pool_size if strides is None else normalize_tuple(strides, self.rank, "strides")
        self.padding = normalize_padding(padding)
        self.data_format = backend.standardize_data_format(data_format)

    def build(self, input_shape):
        check_ndim(self, input_shape, self.rank + 2)

    def call(self, inputs):
        check_ndim(self, inputs.shape, self.rank + 2)
        x = torch_view(inputs, self.rank, self.data_format)  # (batch, c, *spatial)
        rank = max(self.rank, 2)
        pool, strides = torch_args(self.pool_size, self.rank, 1), torch_args(self.strides, self.rank, 1)
        padding = 0
        if self.padding == "same":
            pads = [same_padding(x.shape[2 + i], k, s) for i, (k, s) in enumerate(zip(pool, strides))]
            if all(a == b for a, b in pads):
                padding = tuple(a for a, _ in pads)
            else:
                flat = []
                for a, b in reversed(pads):  # F.pad lists the last dim first
                    flat.extend((a, b))
                x = F.pad(x, flat, mode="replicate")  # Keras (torch backend) replicates edges here
        if self.mode == "max":
            y = _MAX[rank](x, pool, strides, padding)
        else:
            if not x.is_floating_point():
                x = x.to(backend.torch_dtype(None))
            y = _AVG[rank](x, pool, strides, padding, count_include_pad=False)
        return keras_view(y, self.rank, self.data_format)

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        check_ndim(self, input_shape, self.rank + 2)
        first = 1 if self.data_format == "channels_last" else 2
        spatial = tuple(conv_output_length(n, k, s, self.padding)
                        for n, k, s in zip(input_shape[first:first + self.rank], self.pool_size, self.strides))
        check_output_size(self, input_shape, spatial, f"pool_size={self.pool_size}")
        if self.data_format == "channels_last":
            return (input_shape[0],) + spatial + (input_shape[-1],)
        return (input_shape[0], input_shape[1]) + spatial

    def get_config(self):
        config = super().get_config()
        config.update(pool_size=self.pool_size, padding=self.padding, strides=self.strides,
                      data_format=self.data_format)
        return config


class MaxPooling1D(_Pooling):
    rank, mode = 1, "max"

    def __init__(self, pool_size=2, strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)


class MaxPooling2D(_Pooling):
    rank, mode = 2, "max"

    def __init__(self, pool_size=(2, 2), strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)


class MaxPooling3D(_Pooling):
    rank, mode = 3, "max"

    def __init__(self, pool_size=(2, 2, 2), strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)


# Keras 3 makes pool_size required for average pooling; Keras 2's default of 2 is kept so
# older scripts run unchanged.
class AveragePooling1D(_Pooling):
    rank, mode = 1, "average"

    def __init__(self, pool_size=2, strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)


class AveragePooling2D(_Pooling):
    rank, mode = 2, "average"

    def __init__(self, pool_size=(2, 2), strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)


class AveragePooling3D(_Pooling):
    rank, mode = 3, "average"

    def __init__(self, pool_size=(2, 2, 2), strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)


# ----------------------------------------------------------------------------- global pooling

class _GlobalPooling(Layer):
    """Max or mean over every spatial axis; `keepdims` keeps them as size 1."""

    rank = None
    mode = None

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(**kwargs)
        self.data_format = backend.standardize_data_format(data_format)
        self.keepdims = bool(keepdims)

    @property
    def _spatial_axes(self):
        return tuple(range(1, self.rank + 1)) if self.data_format == "channels_last" else tuple(
            range(2, self.rank + 2))

    def build(self, input_shape):
        check_ndim(self, input_shape, self.rank + 2)

    def call(self, inputs):
        check_ndim(self, inputs.shape, self.rank + 2)
        if self.mode == "max":
            return torch.amax(inputs, dim=self._spatial_axes, keepdim=self.keepdims)
        if not inputs.is_floating_point():
            inputs = inputs.to(backend.torch_dtype(None))
        return torch.mean(inputs, dim=self._spatial_axes, keepdim=self.keepdims)

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        channels = input_shape[-1] if self.data_format == "channels_last" else input_shape[1]
        if not self.keepdims:
            return (input_shape[0], channels)
        if self.data_format == "channels_last":
            return (input_shape[0],) + (1,) * self.rank + (channels,)
        return (input_shape[0], channels) + (1,) * self.rank

    def get_config(self):
        config = super().get_config()
        config.update(data_format=self.data_format, keepdims=self.keepdims)
        return config


class GlobalMaxPooling1D(_GlobalPooling):
    rank, mode = 1, "max"

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(data_format, keepdims, **kwargs)


class GlobalMaxPooling2D(_GlobalPooling):
    rank, mode = 2, "max"

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(data_format, keepdims, **kwargs)


class GlobalMaxPooling3D(_GlobalPooling):
    rank, mode = 3, "max"

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(data_format, keepdims, **kwargs)


class GlobalAveragePooling1D(_GlobalPooling):
    """Mean over steps; with a (batch, steps) mask, the mean of the unmasked steps only."""

    rank, mode = 1, "average"

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(data_format, keepdims, **kwargs)
        self.supports_masking = True

    def call(self, inputs, mask=None):
        if mask is None:
            return super().call(inputs)
        check_ndim(self, inputs.shape, 3)
        if not inputs.is_floating_point():
            inputs = inputs.to(backend.torch_dtype(None))
        steps_axis = 1 if self.data_format == "channels_last" else 2
        weights = mask.to(torch.bool).unsqueeze(2 if self.data_format == "channels_last" else 1)  # broadcastable
        total = torch.where(weights, inputs, 0).sum(dim=steps_axis, keepdim=self.keepdims)
        return total / weights.to(inputs.dtype).sum(dim=steps_axis, keepdim=self.keepdims)

    def compute_mask(self, inputs, mask=None):
        return None

    def _mask_from_nothing(self):
        return False


class GlobalAveragePooling2D(_GlobalPooling):
    rank, mode = 2, "average"

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(data_format, keepdims, **kwargs)


class GlobalAveragePooling3D(_GlobalPooling):
    rank, mode = 3, "average"

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(data_format, keepdims, **kwargs)


MaxPool1D, MaxPool2D, MaxPool3D = MaxPooling1D, MaxPooling2D, MaxPooling3D
AvgPool1D, AvgPool2D, AvgPool3D = AveragePooling1D, AveragePooling2D, AveragePooling3D
GlobalMaxPool1D, GlobalMaxPool2D, GlobalMaxPool3D = GlobalMaxPooling1D, GlobalMaxPooling2D, GlobalMaxPooling3D
GlobalAvgPool1D, GlobalAvgPool2D, GlobalAvgPool3D = (GlobalAveragePooling1D, GlobalAveragePooling2D,
                                                     GlobalAveragePooling3D)


# ----------------------------------------------------------------------------- adaptive pooling

_ADAPTIVE = {"max": {2: F.adaptive_max_pool2d, 3: F.adaptive_max_pool3d},
             "average": {2: F.adaptive_avg_pool2d, 3: F.adaptive_avg_pool3d}}
_AXES = {1: "(length,)", 2: "(height, width)", 3: "(depth, height, width)"}


class _AdaptivePooling(Layer):
    """Max or average over `output_size` bins per spatial axis, whatever the input size.

    Bins are torch's (which Keras's torch backend calls): along an axis of length L pooled to
    n, bin i covers [floor(i*L/n), ceil((i+1)*L/n)), so when n does not divide L neighbouring
    bins overlap by one (L=10 -> 3: [0,4), [3,7), [6,10)). n may exceed L (values repeat).
    """

    rank = None
    mode = None

    def __init__(self, output_size, data_format=None, **kwargs):
        name = type(self).__name__
        if isinstance(output_size, (int, np.integer)) and not isinstance(output_size, bool):
            output_size = (int(output_size),) * self.rank
        elif isinstance(output_size, (tuple, list)) and len(output_size) == self.rank:
            output_size = tuple(output_size)
        else:
            raise TypeError(f"{name}: `output_size` must be an integer or a {_AXES[self.rank]} tuple of "
                            f"{self.rank} integer(s). Received: {output_size!r} of type {type(output_size).__name__}")
        if not all(isinstance(n, (int, np.integer)) and not isinstance(n, bool) and n > 0 for n in output_size):
            raise ValueError(f"{name}: every entry of `output_size` must be a positive integer. Received: "
                             f"output_size={output_size}")
        super().__init__(**kwargs)
        self.output_size = tuple(int(n) for n in output_size)
        self.data_format = backend.standardize_data_format(data_format)

    def _check(self, shape):
        if len(shape) != self.rank + 2:
            layout = ("(batch, " + _AXES[self.rank][1:-1].rstrip(",") + ", channels)"
                      if self.data_format == "channels_last" else
                      "(batch, channels, " + _AXES[self.rank][1:-1].rstrip(",") + ")")
            raise ValueError(f"Input 0 of layer '{self.name}' ({type(self).__name__}) is incompatible with the "
                             f"layer: expected ndim={self.rank + 2} {layout} with data_format='{self.data_format}', "
                             f"found ndim={len(shape)}. Full shape received: {tuple(shape)}")

    def build(self, input_shape):
        self._check(tuple(input_shape))

    def call(self, inputs):
        self._check(inputs.shape)
        x = torch_view(inputs, self.rank, self.data_format)  # (batch, c, *spatial)
        if self.mode == "average" and not x.is_floating_point():
            x = x.to(backend.torch_dtype(None))
        size = torch_args(self.output_size, self.rank, 1)
        y = _ADAPTIVE[self.mode][max(self.rank, 2)](x, size)
        return keras_view(y, self.rank, self.data_format)

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        self._check(input_shape)
        if self.data_format == "channels_last":
            return (input_shape[0],) + self.output_size + (input_shape[-1],)
        return (input_shape[0], input_shape[1]) + self.output_size

    def get_config(self):
        config = super().get_config()
        config.update(output_size=self.output_size, data_format=self.data_format)
        return config


class AdaptiveAveragePooling1D(_AdaptivePooling):
    rank, mode = 1, "average"

    def __init__(self, output_size, data_format=None, **kwargs):
        super().__init__(output_size, data_format, **kwargs)


class AdaptiveAveragePooling2D(_AdaptivePooling):
    rank, mode = 2, "average"

    def __init__(self, output_size, data_format=None, **kwargs):
        super().__init__(output_size, data_format, **kwargs)


class AdaptiveAveragePooling3D(_AdaptivePooling):
    rank, mode = 3, "average"

    def __init__(self, output_size, data_format=None, **kwargs):
        super().__init__(output_size, data_format, **kwargs)


class AdaptiveMaxPooling1D(_AdaptivePooling):
    rank, mode = 1, "max"

    def __init__(self, output_size, data_format=None, **kwargs):
        super().__init__(output_size, data_format, **kwargs)


class AdaptiveMaxPooling2D(_AdaptivePooling):
    rank, mode = 2, "max"

    def __init__(self, output_size, data_format=None, **kwargs):
        super().__init__(output_size, data_format, **kwargs)


class AdaptiveMaxPooling3D(_AdaptivePooling):
    rank, mode = 3, "max"

    def __init__(self, output_size, data_format=None, **kwargs):
        super().__init__(output_size, data_format, **kwargs)
