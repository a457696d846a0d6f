"""Preprocessing layers that live inside models: Rescaling and Normalization (with adapt).

Normalization keeps Keras's weights (mean, variance, count; all non-trainable) so its
state goes through get_weights/set_weights and files like any other layer's.
"""
import numpy as np
import torch

from keraslite import backend
from keraslite.layers.layer import Layer

__all__ = ["Rescaling", "Normalization"]


class Rescaling(Layer):
    """`inputs * scale + offset` (e.g. Rescaling(1./255) for image pixels)."""

    def __init__(self, scale, offset=0.0, **kwargs):
        super().__init__(**kwargs)
        self.scale = scale
        self.offset = offset
        self.supports_masking = True

    def call(self, inputs):
        dtype = self._variable_dtype
        inputs = inputs.to(dtype)
        scale = torch.as_tensor(np.asarray(self.scale), dtype=dtype, device=inputs.device)
        offset = torch.as_tensor(np.asarray(self.offset), dtype=dtype, device=inputs.device)
        if scale.ndim > 0 and backend.image_data_format() == "channels_first":
            scale = scale.reshape(tuple(scale.shape) + (1,) * (3 - scale.ndim))
        if offset.ndim > 0 and backend.image_data_format() == "channels_first":
            offset = offset.reshape(tuple(offset.shape) + (1,) * (3 - offset.ndim))
        return inputs * scale + offset

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update(scale=_plain(self.scale), offset=_plain(self.offset))
        return config


class Normalization(Layer):
    """`(inputs - mean) / max(sqrt(variance), epsilon)` per position of `axis` (kept axes);
    mean and variance come from `mean=`/`variance=` or from `adapt(data)`."""

    def __init__(self, axis=-1, mean=None, variance=None, invert=False, **kwargs):
        super().__init__(**kwargs)
        if axis is None:
            axis = ()
        elif isinstance(axis, int):
            axis = (axis,)
        self.axis = tuple(axis)
        self.input_mean = mean
        self.input_variance = variance
        self.invert = invert
        self.supports_masking = True
        if (mean is None) != (variance is None):
            raise ValueError(f"Normalization '{self.name}': pass both `mean` and `variance`, or neither; received "
                             f"mean={mean} and variance={variance}.")
        if mean is not None and np.shape(mean) != np.shape(variance):
            raise ValueError(f"Normalization '{self.name}': `mean` and `variance` must have the same shape; received "
                             f"{np.shape(mean)} and {np.shape(variance)}.")

    def build(self, input_shape):
        ndim = len(input_shape)
        if any(a < -ndim or a >= ndim for a in self.axis):
            raise ValueError(f"Normalization '{self.name}': every axis must be in [-{ndim}, {ndim}); received "
                             f"axis={self.axis} for inputs of shape {tuple(input_shape)}.")
        self._keep_axis = tuple(sorted(a % ndim for a in self.axis))
        for a in self._keep_axis:
            if input_shape[a] is None:
                raise ValueError(f"Normalization '{self.name}': kept axis {a} must have a known size; received input "
                                 f"shape {tuple(input_shape)}.")
        self._reduce_axis = tuple(d for d in range(ndim) if d not in self._keep_axis)
        self._broadcast_shape = [input_shape[d] if d in self._keep_axis else 1 for d in range(ndim)]
        stat_shape = tuple(input_shape[d] for d in self._keep_axis)
        if self.input_mean is None:
            self.adapt_mean = self.add_weight("mean", stat_shape, "zeros", trainable=False)
            self.adapt_variance = self.add_weight("variance", stat_shape, "ones", trainable=False)
            self.count = self.add_weight("count", (), "zeros", dtype="int32", trainable=False)
        else:
            self._fixed = [self._broadcast(np.asarray(v, dtype="float32")) for v in
                           (self.input_mean, self.input_variance)]

    @property
    def mean(self):
        """Keras's `layer.mean`: the mean broadcast to the inputs' rank (e.g. (1, 1, 1, 3) for
        images), in the compute dtype; None before the layer is built."""
        return self._statistic(0)

    @property
    def variance(self):
        return self._statistic(1)

    def _statistic(self, index):
        if not self.built or not hasattr(self, "_broadcast_shape"):
            return None
        if self.input_mean is None:
            value = (self.adapt_mean, self.adapt_variance)[index].detach().reshape(self._broadcast_shape)
        else:
            value = self._fixed[index]
        return value.to(self._variable_dtype)

    def _broadcast(self, value):
        # Keras aligns a lower-rank mean with the trailing kept axes, then broadcasts.
        value = torch.as_tensor(value)
        if value.ndim == 0:
            return value.expand(self._broadcast_shape).clone()
        shape = [1] * len(self._broadcast_shape)
        for i in range(1, value.ndim + 1):
            shape[self._keep_axis[-i]] = value.shape[-i]
        return value.reshape(shape).expand(self._broadcast_shape).clone()

    def adapt(self, data):
        """Compute mean and variance over `data` (an array, tensor, or iterable of batches)."""
        from keraslite.training.data import from_pandas

        data = from_pandas(data)
        batches = [data] if isinstance(data, (np.ndarray, torch.Tensor)) else list(data)
        if not batches:
            raise ValueError(f"Normalization '{self.name}': adapt() received no data.")
        batches = [np.asarray(b[0] if isinstance(b, tuple) else b, dtype="float64") for b in batches]
        if not self.built:
            self._maybe_build((None,) + tuple(batches[0].shape[1:]))
        if self.input_mean is not None:
            raise ValueError(f"Normalization '{self.name}' was given mean and variance; it cannot adapt().")
        values = np.concatenate(batches, axis=0)
        mean = values.mean(axis=self._reduce_axis)
        var = values.var(axis=self._reduce_axis)
        self.adapt_mean.assign(mean.astype("float32"))
        self.adapt_variance.assign(var.astype("float32"))

    def call(self, inputs):
        if not isinstance(inputs, torch.Tensor):  # np.array(data_frame) with bool columns is an object array
            inputs = torch.as_tensor(np.asarray(inputs, dtype=np.float32), device=self.adapt_mean.device
                                     if self.input_mean is None else None)
        inputs = inputs.to(self._variable_dtype)
        if self.input_mean is None:
            mean = self.adapt_mean.reshape(self._broadcast_shape)
            variance = self.adapt_variance.reshape(self._broadcast_shape)
        else:
            mean, variance = (v.to(inputs.device) for v in self._fixed)
        std = torch.clamp(torch.sqrt(variance), min=backend.epsilon())
        if self.invert:
            return mean + inputs * std
        return (inputs - mean) / std

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update(axis=self.axis, invert=self.invert,
                      mean=_plain(self.input_mean), variance=_plain(self.input_variance))
        return config


def _plain(value):
    if isinstance(value, (np.ndarray, torch.Tensor)):
        return np.asarray(value).tolist()
    return value
