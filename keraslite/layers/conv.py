"""Convolution layers: Conv1D/2D/3D, their transposes, SeparableConv1D/2D, DepthwiseConv1D/2D.

Owns: the conv families (one private base per family; rank variants only normalize
arguments), Keras 'same'/'causal' padding as Keras 3 computes it, the kernel layouts between
Keras (spatial..., in, out) and torch (out, in, spatial...), and the input checks shared with
pooling.py and reshaping.py (`check_ndim`, `check_channels`, `normalize_tuple`).

Leaves to others: weight creation and the Keras view of weights (layer.Layer.add_weight and
the Variable's Layout), activations (keraslite.activations) and files (keraslite.saving).

Activations stay channels-last: `x.permute(0, 3, 1, 2)` of a contiguous (batch, h, w, c)
tensor is a channels_last-strided NCHW view that torch convolutions read without a copy,
and their channels_last output permuted back is a contiguous (batch, h', w', filters) tensor.
1-D layers run as 2-D ops over (batch, c, steps, 1) for the same reason (torch's 1-D convs
would copy the permuted input). Kernels are stored in torch layout (in channels_last memory
format to match the activations) so no call transposes a weight.
"""
import warnings

import torch
import torch.nn.functional as F

from keraslite import activations, backend, constraints, initializers, regularizers
from keraslite.layers.layer import Layout, Permute, Layer

__all__ = [
    "Conv1D", "Conv2D", "Conv3D", "Conv1DTranspose", "Conv2DTranspose", "Conv3DTranspose",
    "SeparableConv1D", "SeparableConv2D", "DepthwiseConv1D", "DepthwiseConv2D",
    "Convolution1D", "Convolution2D", "Convolution3D", "Convolution1DTranspose", "Convolution2DTranspose",
    "Convolution3DTranspose", "Deconvolution2D", "Deconvolution3D", "SeparableConvolution1D",
    "SeparableConvolution2D", "AtrousConvolution1D", "AtrousConvolution2D",
]

# 1-D layers run the 2-D ops over (batch, c, steps, 1); see `torch_view`.
_CONV = {2: F.conv2d, 3: F.conv3d}
_CONV_T = {2: F.conv_transpose2d, 3: F.conv_transpose3d}


# ----------------------------------------------------------------------------- shared helpers

def normalize_tuple(value, n, name, allow_zero=False):
    """An int or an n-sequence of ints -> n-tuple of ints (Keras `standardize_tuple`)."""
    if isinstance(value, int):
        values = (value,) * n
    else:
        try:
            values = tuple(int(v) for v in value)
        except TypeError:
            raise ValueError(f"The `{name}` argument must be an int or a tuple of {n} ints; received "
                             f"{name}={value!r}.") from None
        if len(values) != n:
            raise ValueError(f"The `{name}` argument must be a tuple of {n} integers; received {name}={value!r}.")
    low = 0 if allow_zero else 1
    if any(v < low for v in values):
        raise ValueError(f"The `{name}` argument must hold integers >= {low}; received {name}={value!r}.")
    return values


def normalize_padding(padding, allow_causal=False):
    value = str(padding).lower()
    allowed = ("valid", "same", "causal") if allow_causal else ("valid", "same")
    if value not in allowed:
        raise ValueError(f"The `padding` argument must be one of {allowed}; received padding={padding!r}.")
    return value


def check_ndim(layer, shape, ndim):
    """Raise Keras's InputSpec error when an input of rank len(shape) reaches a layer wanting `ndim`."""
    if len(shape) != ndim:
        raise ValueError(f"Input 0 of layer '{layer.name}' is incompatible with the layer: expected ndim={ndim}, "
                         f"found ndim={len(shape)}. Full shape received: {tuple(shape)}")


def check_channels(layer, shape, axis, expected):
    if shape[axis] is not None and expected is not None and shape[axis] != expected:
        raise ValueError(f"Input 0 of layer '{layer.name}' is incompatible with the layer: expected axis {axis} of "
                         f"input shape to have value {expected}, but received input with shape {tuple(shape)}")


def same_padding(size, kernel, stride, dilation=1):
    """(before, after) padding of Keras/TF 'same': the odd pixel goes at the end."""
    effective = (kernel - 1) * dilation + 1
    if stride == 1:
        total = effective - 1
    else:
        out = (size + stride - 1) // stride
        total = max(0, (out - 1) * stride + effective - size)
    return total // 2, total - total // 2


def conv_output_length(size, kernel, stride, padding, dilation=1):
    if size is None:
        return None
    effective = (kernel - 1) * dilation + 1
    if padding == "valid":
        return (size - effective) // stride + 1
    return (size + stride - 1) // stride  # 'same' and 'causal'


def check_output_size(layer, input_shape, spatial_out, window):
    """Keras's error for a window larger than its (padded) input: any output size <= 0."""
    if not any(n is not None and n <= 0 for n in spatial_out):
        return
    message = (f"Computed output size would be zero or negative. Layer '{layer.name}' ({type(layer).__name__}) "
               f"received input shape {tuple(input_shape)} with {window}, strides={tuple(layer.strides)}, "
               f"padding={layer.padding!r}, data_format={layer.data_format!r}: spatial output size "
               f"{tuple(spatial_out)}.")
    rows, channels = input_shape[1], input_shape[-1]
    if (layer.rank >= 2 and layer.data_format == "channels_last" and rows is not None and channels is not None
            and rows <= 4 < channels):
        # Keras 1.0's default ordering was Theano's: input_shape=(1, 28, 28) meant 1 channel of 28x28.
        message += (f" The input shape {tuple(input_shape[1:])} looks channels-first (channels, rows, cols), the "
                    "'th' ordering Keras 1 used by default: call keras.backend.set_image_dim_ordering('th') "
                    "(or set_image_data_format('channels_first')) before building the model, or pass "
                    "dim_ordering='th' / data_format='channels_first' to the layer.")
    else:
        message += " Use padding='same', a smaller kernel or pool size, or a larger input."
    raise ValueError(message)


def to_channels_first(x, rank):
    """(batch, *spatial, c) -> (batch, c, *spatial) as a view."""
    return x.permute(0, rank + 1, *range(1, rank + 1))


def to_channels_last(x, rank):
    """(batch, c, *spatial) -> (batch, *spatial, c) as a view."""
    return x.permute(0, *range(2, rank + 2), 1)


def torch_view(x, rank, data_format):
    """The Keras-layout input as the (batch, c, *spatial) view a torch op takes, without a copy.

    1-D data becomes (batch, c, steps, 1) for the 2-D op: of a contiguous (batch, steps, c)
    tensor that is a channels_last-strided view, which torch's 1-D ops would copy instead."""
    if rank == 1:
        return x.unsqueeze(2).permute(0, 3, 1, 2) if data_format == "channels_last" else x.unsqueeze(-1)
    return to_channels_first(x, rank) if data_format == "channels_last" else x


def keras_view(y, rank, data_format):
    """Inverse of `torch_view` for an op's (batch, c, *spatial) output."""
    if rank == 1:
        return y.permute(0, 2, 3, 1).squeeze(2) if data_format == "channels_last" else y.squeeze(-1)
    return to_channels_last(y, rank) if data_format == "channels_last" else y


def torch_args(values, rank, fill):
    """A per-axis argument for the op `torch_view` feeds: 1-D gets the unit axis, (k,) -> (k, fill)."""
    return tuple(values) + (fill,) if rank == 1 else tuple(values)


def pad_same(x, kernel, strides, dilation):
    """For a channels-first x: the `padding=` argument torch can take, and x padded if it cannot.

    Symmetric 'same' padding (stride 1 with an odd kernel, and many strided cases) goes to
    the conv itself; only asymmetric padding costs an F.pad copy.
    """
    pads = [same_padding(x.shape[2 + i], kernel[i], strides[i], dilation[i]) for i in range(len(kernel))]
    if all(a == b for a, b in pads):
        return x, tuple(a for a, _ in pads)
    flat = []
    for a, b in reversed(pads):  # F.pad lists the last dim first
        flat.extend((a, b))
    return F.pad(x, flat), 0


def _kernel_memory_format(rank, data_format):
    """How a 4-D/5-D kernel is laid out in memory: channels_last with channels-last activations
    (which the convolution then reads without a copy), else contiguous.

    `add_weight` sets the strides exactly, as torch.empty(memory_format=...) lays them out: with
    one input channel torch counts the plain contiguous strides as channels_last too, but the
    convolution's weight gradient comes back with the exact ones, and DistributedDataParallel
    warns about the mismatch."""
    if data_format != "channels_last" or rank not in (2, 3):
        return torch.contiguous_format
    return torch.channels_last if rank == 2 else torch.channels_last_3d


class KernelLayout(Permute):
    """Keras (*spatial, in, out) <-> torch (out, in, *spatial); also ConvTranspose's
    Keras (*spatial, out, in) <-> torch (in, out, *spatial).

    1-D kernels get a trailing unit axis, (out, in, k, 1): 1-D layers run as 2-D convs over
    (batch, c, steps, 1), which is how a channels-last (batch, steps, c) tensor can be read
    without a copy (torch's conv1d would copy it to contiguous)."""

    def __init__(self, rank):
        super().__init__((rank + 1, rank) + tuple(range(rank)))
        self.unit_axis = rank == 1

    def to_keras(self, t):
        return super().to_keras(t.squeeze(-1) if self.unit_axis else t)

    def from_keras(self, t):
        t = super().from_keras(t)
        return t.unsqueeze(-1) if self.unit_axis else t

    def keras_shape(self, shape):
        return super().keras_shape(tuple(shape)[:3] if self.unit_axis else shape)



class DepthwiseLayout(Layout):
    """Keras (*spatial, in, mult) <-> torch grouped-conv weight (in*mult, 1, *spatial).

    Output channel c*mult + m of the grouped conv is Keras's channel (c, m). 1-D kernels
    carry a trailing unit axis, as in KernelLayout."""

    def __init__(self, rank, in_channels, multiplier):
        self.rank, self.in_channels, self.multiplier = rank, in_channels, multiplier
        self._permute = KernelLayout(rank)

    def to_keras(self, t):
        k = self._permute.to_keras(t)  # (*spatial, 1, in*mult)
        return k.reshape(tuple(k.shape[:self.rank]) + (self.in_channels, self.multiplier))

    def from_keras(self, t):
        flat = t.reshape(tuple(t.shape[:self.rank]) + (1, self.in_channels * self.multiplier))
        return self._permute.from_keras(flat)

    def keras_shape(self, shape):
        return tuple(shape[2:2 + self.rank]) + (self.in_channels, self.multiplier)


# ----------------------------------------------------------------------------- base

class _BaseConv(Layer):
    """Shared argument handling, input checks and the channels-last <-> torch plumbing."""

    rank = None
    allow_causal = False

    def __init__(self, kernel_size, strides=1, padding="valid", data_format=None, dilation_rate=1,
                 activation=None, use_bias=True, bias_initializer="zeros", bias_regularizer=None,
                 bias_constraint=None, activity_regularizer=None, **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        rank = self.rank
        self.kernel_size = normalize_tuple(kernel_size, rank, "kernel_size")
        self.strides = normalize_tuple(strides, rank, "strides")
        self.dilation_rate = normalize_tuple(dilation_rate, rank, "dilation_rate")
        self.padding = normalize_padding(padding, allow_causal=self.allow_causal)
        self.data_format = backend.standardize_data_format(data_format)
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        # Resolved after the kernel initializers (`_resolve_bias_initializer`), in Keras's order,
        # so an unseeded random bias initializer draws its seed after theirs.
        self.bias_initializer = bias_initializer
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.bias_constraint = constraints.get(bias_constraint)
        self.bias = None
        # What the torch op sees: 1-D layers run as 2-D ops over (batch, c, steps, 1).
        self._torch_rank = max(rank, 2)
        self._t_kernel = torch_args(self.kernel_size, rank, 1)
        self._t_strides = torch_args(self.strides, rank, 1)
        self._t_dilation = torch_args(self.dilation_rate, rank, 1)

    def _resolve_bias_initializer(self):
        self.bias_initializer = initializers.get(self.bias_initializer)

    @property
    def _channel_axis(self):
        return -1 if self.data_format == "channels_last" else 1

    def _input_channels(self, input_shape):
        check_ndim(self, input_shape, self.rank + 2)
        channels = input_shape[self._channel_axis]
        if channels is None:
            raise ValueError(f"Layer '{self.name}': the channel dimension (axis {self._channel_axis}) of the input "
                             f"must be known; received input shape {tuple(input_shape)}.")
        return channels

    def _add_bias(self, size):
        if self.use_bias:
            self.bias = self.add_weight("bias", (size,), self.bias_initializer,
                                        regularizer=self.bias_regularizer, constraint=self.bias_constraint)

    def _add_kernel(self, name, shape, initializer, regularizer, constraint, layout):
        return self.add_weight(name, shape, initializer, regularizer=regularizer, constraint=constraint,
                               layout=layout, memory_format=_kernel_memory_format(self._torch_rank, self.data_format))

    def _to_torch(self, inputs, channels):
        """Check, cast and view the input as (batch, c, *spatial)."""
        check_ndim(self, inputs.shape, self.rank + 2)
        check_channels(self, inputs.shape, self._channel_axis, channels)
        if inputs.dtype != self._dtype_ref.dtype:
            inputs = inputs.to(self._dtype_ref.dtype)
        return torch_view(inputs, self.rank, self.data_format)

    def _from_torch(self, outputs):
        """Keras's view of a torch output that this layer has just computed, activated."""
        if self.activation is activations.relu:  # elementwise: before the permuted view, in place
            return keras_view(activations.apply_to_own(self.activation, outputs), self.rank, self.data_format)
        outputs = keras_view(outputs, self.rank, self.data_format)
        return outputs if self.activation is None else self.activation(outputs)  # None: set after construction

    def _spatial_output_shape(self, input_shape, channels_out):
        spatial = input_shape[1:-1] if self.data_format == "channels_last" else input_shape[2:]
        out = tuple(conv_output_length(s, k, st, self.padding, d)
                    for s, k, st, d in zip(spatial, self.kernel_size, self.strides, self.dilation_rate))
        check_output_size(self, input_shape, out, f"kernel_size={self.kernel_size}, "
                                                  f"dilation_rate={self.dilation_rate}")
        if self.data_format == "channels_last":
            return (input_shape[0],) + out + (channels_out,)
        return (input_shape[0], channels_out) + out

    def get_config(self):
        config = super().get_config()
        config.update(
            kernel_size=self.kernel_size,
            strides=self.strides,
            padding=self.padding,
            data_format=self.data_format,
            dilation_rate=self.dilation_rate,
            activation=activations.serialize(self.activation),
            use_bias=self.use_bias,
            bias_initializer=initializers.serialize(self.bias_initializer),
            bias_regularizer=regularizers.serialize(self.bias_regularizer),
            bias_constraint=constraints.serialize(self.bias_constraint),
            activity_regularizer=regularizers.serialize(self.activity_regularizer),  # Keras always writes it
        )
        return config


# ----------------------------------------------------------------------------- Conv

class _Conv(_BaseConv):
    """`activation(conv(inputs, kernel) + bias)`; kernel Keras (*k, in/groups, filters)."""

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None, dilation_rate=1,
                 groups=1, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(kernel_size, strides, padding, data_format, dilation_rate, activation, use_bias,
                         bias_initializer, bias_regularizer, bias_constraint, activity_regularizer, **kwargs)
        self.filters = int(filters)
        self.groups = int(groups)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self._resolve_bias_initializer()
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        if self.filters <= 0:
            raise ValueError(f"{type(self).__name__} '{self.name}': `filters` must be a positive integer; "
                             f"received filters={filters}.")
        if self.groups <= 0 or self.filters % self.groups:
            raise ValueError(f"{type(self).__name__} '{self.name}': `filters` ({self.filters}) must be divisible by "
                             f"a positive `groups`; received groups={groups}.")
        if max(self.strides) > 1 and max(self.dilation_rate) > 1:
            raise ValueError(f"{type(self).__name__} '{self.name}': `strides > 1` is not supported together with "
                             f"`dilation_rate > 1`; received strides={self.strides} and "
                             f"dilation_rate={self.dilation_rate}.")

    def build(self, input_shape):
        channels = self._input_channels(input_shape)
        if channels % self.groups:
            raise ValueError(f"{type(self).__name__} '{self.name}': the number of input channels ({channels}) must "
                             f"be divisible by groups={self.groups}; full input shape {tuple(input_shape)}.")
        self.kernel = self._add_kernel("kernel", self.kernel_size + (channels // self.groups, self.filters),
                                       self.kernel_initializer, self.kernel_regularizer, self.kernel_constraint,
                                       KernelLayout(self.rank))
        self._add_bias(self.filters)
        self._dtype_ref = self.kernel

    def call(self, inputs):
        if type(self).convolution_op is not _Conv.convolution_op and self.rank > 1:
            # A subclass changes the convolution (keras.io's weight-standardized Conv2D): it
            # gets the kernel in Keras's layout, as Keras hands it over, and the bias and the
            # activation follow. (Keras's Conv1D.call convolves directly, without the hook.)
            outputs = self.convolution_op(inputs, self.kernel.keras_value())
            if self.bias is not None:
                shape = [1] * outputs.dim()
                shape[self._channel_axis] = -1
                outputs = outputs + self.bias.reshape(shape)
            return outputs if self.activation is None else self.activation(outputs)
        return self._from_torch(self._convolve(inputs, self.kernel, self.bias))

    def _convolve(self, inputs, kernel, bias):
        """(batch, filters, *spatial) from Keras-shaped `inputs` and a storage-layout `kernel`."""
        x = self._to_torch(inputs, kernel.shape[1] * self.groups)  # (batch, in, *spatial)
        padding = 0
        if self.padding == "same":
            x, padding = pad_same(x, self._t_kernel, self._t_strides, self._t_dilation)
        elif self.padding == "causal":
            # x is (batch, c, steps, 1): zeros before the first step only.
            x = F.pad(x, (0, 0, (self.kernel_size[0] - 1) * self.dilation_rate[0], 0))
        return _CONV[self._torch_rank](x, kernel, bias, self._t_strides, padding, self._t_dilation, self.groups)

    def convolution_op(self, inputs, kernel):
        """Keras's hook: `inputs` convolved with `kernel` (Keras layout, as `self.kernel` shows
        in get_weights), without bias or activation. Subclasses override it or call it."""
        kernel = torch.as_tensor(kernel).to(self.kernel.dtype)
        keras_shape = self.kernel.keras_shape
        if tuple(kernel.shape) == tuple(self.kernel.shape) and tuple(kernel.shape) != keras_shape:
            stored = kernel  # the weight itself (`self.convolution_op(inputs, self.kernel)`)
        else:
            stored = self.kernel.keras_layout.from_keras(kernel)
        return keras_view(self._convolve(inputs, stored, None), self.rank, self.data_format)

    def compute_output_shape(self, input_shape):
        return self._spatial_output_shape(tuple(input_shape), self.filters)

    def get_config(self):
        config = super().get_config()
        config.update(
            filters=self.filters,
            groups=self.groups,
            kernel_initializer=initializers.serialize(self.kernel_initializer),
            kernel_regularizer=regularizers.serialize(self.kernel_regularizer),
            kernel_constraint=constraints.serialize(self.kernel_constraint),
        )
        return config


class Conv1D(_Conv):
    """1-D convolution over (batch, steps, channels); padding may also be 'causal'."""

    rank = 1
    allow_causal = True

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None, dilation_rate=1,
                 groups=1, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(filters, kernel_size, strides, padding, data_format, dilation_rate, groups, activation,
                         use_bias, kernel_initializer, bias_initializer, kernel_regularizer, bias_regularizer,
                         activity_regularizer, kernel_constraint, bias_constraint, **kwargs)


class Conv2D(_Conv):
    """2-D convolution over (batch, rows, cols, channels)."""

    rank = 2

    def __init__(self, filters, kernel_size, strides=(1, 1), padding="valid", data_format=None,
                 dilation_rate=(1, 1), groups=1, activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros", kernel_regularizer=None,
                 bias_regularizer=None, activity_regularizer=None, kernel_constraint=None, bias_constraint=None,
                 **kwargs):
        super().__init__(filters, kernel_size, strides, padding, data_format, dilation_rate, groups, activation,
                         use_bias, kernel_initializer, bias_initializer, kernel_regularizer, bias_regularizer,
                         activity_regularizer, kernel_constraint, bias_constraint, **kwargs)


class Conv3D(_Conv):
    """3-D convolution over (batch, d1, d2, d3, channels)."""

    rank = 3

    def __init__(self, filters, kernel_size, strides=(1, 1, 1), padding="valid", data_format=None,
                 dilation_rate=(1, 1, 1), groups=1, activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros", kernel_regularizer=None,
                 bias_regularizer=None, activity_regularizer=None, kernel_constraint=None, bias_constraint=None,
                 **kwargs):
        super().__init__(filters, kernel_size, strides, padding, data_format, dilation_rate, groups, activation,
                         use_bias, kernel_initializer, bias_initializer, kernel_regularizer, bias_regularizer,
                         activity_regularizer, kernel_constraint, bias_constraint, **kwargs)


# ----------------------------------------------------------------------------- ConvTranspose

def transpose_crops(kernel, stride, dilation, padding, output_padding):
    """(crop_before, crop_after) to take from torch's full transposed output, length
    (in - 1) * stride + effective_kernel, to get Keras's; a negative crop means zeros to add."""
    effective = (kernel - 1) * dilation + 1
    if padding == "valid":
        extra = max(effective, stride) - effective if output_padding is None else output_padding
        return 0, -extra
    if output_padding is None:
        total = stride + effective - 2
    else:
        total = effective + effective % 2 - 2 + output_padding
    before = min(total // 2 + total % 2, effective - 1)
    return effective - 1 - before, effective - 1 - (total - before)


def transpose_output_length(size, kernel, stride, dilation, padding, output_padding):
    if size is None:
        return None
    effective = (kernel - 1) * dilation + 1
    if padding == "valid":
        extra = max(effective, stride) - effective if output_padding is None else output_padding
        return (size - 1) * stride + effective + extra
    if output_padding is None:
        return size * stride
    return (size - 1) * stride + effective % 2 + output_padding


class _ConvTranspose(_BaseConv):
    """Transposed convolution; kernel Keras (*k, filters, in) = torch (in, filters, *k) permuted."""

    def __init__(self, filters, kernel_size, strides=1, padding="valid", output_padding=None, data_format=None,
                 dilation_rate=1, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(kernel_size, strides, padding, data_format, dilation_rate, activation, use_bias,
                         bias_initializer, bias_regularizer, bias_constraint, activity_regularizer, **kwargs)
        self.filters = int(filters)
        if self.filters <= 0:
            raise ValueError(f"{type(self).__name__} '{self.name}': `filters` must be a positive integer; "
                             f"received filters={filters}.")
        self.output_padding = (None if output_padding is None
                               else normalize_tuple(output_padding, self.rank, "output_padding", allow_zero=True))
        self.kernel_initializer = initializers.get(kernel_initializer)
        self._resolve_bias_initializer()
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        if self.output_padding is not None and any(p >= s for p, s in zip(self.output_padding, self.strides)):
            raise ValueError(f"{type(self).__name__} '{self.name}': each `output_padding` value must be strictly "
                             f"less than the matching `strides` value; received output_padding="
                             f"{self.output_padding}, strides={self.strides}.")
        if max(self.strides) > 1 and max(self.dilation_rate) > 1:
            raise ValueError(f"{type(self).__name__} '{self.name}': `strides > 1` is not supported together with "
                             f"`dilation_rate > 1`; received strides={self.strides} and "
                             f"dilation_rate={self.dilation_rate}.")
        self._set_crops()

    def _set_crops(self):
        ops = self.output_padding or (None,) * self.rank
        crops = [transpose_crops(k, s, d, self.padding, p)
                 for k, s, d, p in zip(self.kernel_size, self.strides, self.dilation_rate, ops)]
        # Torch takes a symmetric crop `padding` plus `output_padding` (< max(stride, dilation))
        # at the end; Keras crops that do not fit that form are applied to torch's full output.
        if self.rank == 1:
            crops.append((0, 0))  # the unit axis of the 2-D op
        if all(b >= 0 and 0 <= b - a < max(s, d)
               for (b, a), s, d in zip(crops, self._t_strides, self._t_dilation)):
            self._torch_padding = tuple(b for b, _ in crops)
            self._torch_output_padding = tuple(b - a for b, a in crops)
            self._crops = None
        else:
            self._torch_padding, self._torch_output_padding = 0, 0
            self._crops = crops

    def _apply_requested_output_shape(self, input_shape):
        """Keras 1's Deconvolution2D(output_shape=...): the output_padding that gives that size."""
        requested = getattr(self, "_keras1_output_shape", None)
        if requested is None or self.output_padding is not None:
            return
        requested = tuple(requested)
        spatial_in = input_shape[1:-1] if self.data_format == "channels_last" else input_shape[2:]
        spatial_out = requested[1:-1] if self.data_format == "channels_last" else requested[2:]
        padding = []
        for n, want, k, st, d in zip(spatial_in, spatial_out, self.kernel_size, self.strides, self.dilation_rate):
            base = None if n is None else transpose_output_length(n, k, st, d, self.padding, 0)
            extra = None if base is None or want is None else int(want) - base
            if extra is None or not 0 <= extra < st:
                warnings.warn(f"{type(self).__name__} '{self.name}': output_shape={requested} cannot be reached from "
                              f"input shape {tuple(input_shape)} (sizes {base} to {None if base is None else base + st - 1}"
                              " are); the computed output shape is used.", stacklevel=3)
                return
            padding.append(extra)
        self.output_padding = tuple(padding)
        self._set_crops()

    def build(self, input_shape):
        self._apply_requested_output_shape(tuple(input_shape))
        channels = self._input_channels(input_shape)
        self.kernel = self._add_kernel("kernel", self.kernel_size + (self.filters, channels),
                                       self.kernel_initializer, self.kernel_regularizer, self.kernel_constraint,
                                       KernelLayout(self.rank))
        self._add_bias(self.filters)
        self._dtype_ref = self.kernel

    def call(self, inputs):
        x = self._to_torch(inputs, self.kernel.shape[0])  # (batch, in, *spatial)
        if self._crops is None:
            y = _CONV_T[self._torch_rank](x, self.kernel, self.bias, self._t_strides, self._torch_padding,
                                          self._torch_output_padding, 1, self._t_dilation)
            return self._from_torch(y)
        # Full output (batch, filters, (in - 1) * stride + effective_kernel, ...), then Keras's window.
        y = _CONV_T[self._torch_rank](x, self.kernel, None, self._t_strides, 0, 0, 1, self._t_dilation)
        index, pads = [slice(None), slice(None)], []
        for before, after in self._crops:
            index.append(slice(max(before, 0), -after if after > 0 else None))
        for before, after in reversed(self._crops):  # F.pad lists the last dim first
            pads.extend((max(-before, 0), max(-after, 0)))
        y = y[tuple(index)]
        if any(pads):
            y = F.pad(y, pads)  # positions no input reaches are zeros (before the bias), as in Keras
        if self.bias is not None:
            y = y + self.bias.view((1, -1) + (1,) * self._torch_rank)
        return self._from_torch(y)

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        spatial = input_shape[1:-1] if self.data_format == "channels_last" else input_shape[2:]
        ops = self.output_padding or (None,) * self.rank
        out = tuple(transpose_output_length(n, k, s, d, self.padding, p) for n, k, s, d, p in
                    zip(spatial, self.kernel_size, self.strides, self.dilation_rate, ops))
        if self.data_format == "channels_last":
            return (input_shape[0],) + out + (self.filters,)
        return (input_shape[0], self.filters) + out

    def get_config(self):
        config = super().get_config()
        config.update(
            filters=self.filters,
            output_padding=self.output_padding,
            kernel_initializer=initializers.serialize(self.kernel_initializer),
            kernel_regularizer=regularizers.serialize(self.kernel_regularizer),
            kernel_constraint=constraints.serialize(self.kernel_constraint),
        )
        return config


class Conv1DTranspose(_ConvTranspose):
    rank = 1

    def __init__(self, filters, kernel_size, strides=1, padding="valid", output_padding=None, data_format=None,
                 dilation_rate=1, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(filters, kernel_size, strides, padding, output_padding, data_format, dilation_rate,
                         activation, use_bias, kernel_initializer, bias_initializer, kernel_regularizer,
                         bias_regularizer, activity_regularizer, kernel_constraint, bias_constraint, **kwargs)


class Conv2DTranspose(_ConvTranspose):
    rank = 2

    def __init__(self, filters, kernel_size, strides=(1, 1), padding="valid", output_padding=None,
                 data_format=None, dilation_rate=(1, 1), activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros", kernel_regularizer=None,
                 bias_regularizer=None, activity_regularizer=None, kernel_constraint=None, bias_constraint=None,
                 **kwargs):
        super().__init__(filters, kernel_size, strides, padding, output_padding, data_format, dilation_rate,
                         activation, use_bias, kernel_initializer, bias_initializer, kernel_regularizer,
                         bias_regularizer, activity_regularizer, kernel_constraint, bias_constraint, **kwargs)


class Conv3DTranspose(_ConvTranspose):
    rank = 3

    def __init__(self, filters, kernel_size, strides=(1, 1, 1), padding="valid", output_padding=None,
                 data_format=None, dilation_rate=(1, 1, 1), activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros", kernel_regularizer=None,
                 bias_regularizer=None, activity_regularizer=None, kernel_constraint=None, bias_constraint=None,
                 **kwargs):
        super().__init__(filters, kernel_size, strides, padding, output_padding, data_format, dilation_rate,
                         activation, use_bias, kernel_initializer, bias_initializer, kernel_regularizer,
                         bias_regularizer, activity_regularizer, kernel_constraint, bias_constraint, **kwargs)


# ----------------------------------------------------------------------------- Depthwise

class _DepthwiseConv(_BaseConv):
    """Per-channel convolution, `depth_multiplier` outputs per input channel: a torch conv with
    groups=in; weight named `kernel` (Keras 3), Keras shape (*k, in, depth_multiplier)."""

    def __init__(self, kernel_size, strides=1, padding="valid", depth_multiplier=1, data_format=None,
                 dilation_rate=1, activation=None, use_bias=True, depthwise_initializer="glorot_uniform",
                 bias_initializer="zeros", depthwise_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, depthwise_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(kernel_size, strides, padding, data_format, dilation_rate, activation, use_bias,
                         bias_initializer, bias_regularizer, bias_constraint, activity_regularizer, **kwargs)
        self.depth_multiplier = int(depth_multiplier)
        if self.depth_multiplier <= 0:
            raise ValueError(f"{type(self).__name__} '{self.name}': `depth_multiplier` must be a positive integer; "
                             f"received depth_multiplier={depth_multiplier}.")
        self.depthwise_initializer = initializers.get(depthwise_initializer)
        self._resolve_bias_initializer()
        self.depthwise_regularizer = regularizers.get(depthwise_regularizer)
        self.depthwise_constraint = constraints.get(depthwise_constraint)

    def build(self, input_shape):
        channels = self._input_channels(input_shape)
        self._in_channels = channels
        self.kernel = self._add_kernel("kernel", self.kernel_size + (channels, self.depth_multiplier),
                                       self.depthwise_initializer, self.depthwise_regularizer,
                                       self.depthwise_constraint,
                                       DepthwiseLayout(self.rank, channels, self.depth_multiplier))
        self._add_bias(channels * self.depth_multiplier)
        self._dtype_ref = self.kernel

    def call(self, inputs):
        x = self._to_torch(inputs, self._in_channels)  # (batch, in, *spatial)
        padding = 0
        if self.padding == "same":
            x, padding = pad_same(x, self._t_kernel, self._t_strides, self._t_dilation)
        y = _CONV[self._torch_rank](x, self.kernel, self.bias, self._t_strides, padding, self._t_dilation,
                                    self._in_channels)
        return self._from_torch(y)

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        channels = input_shape[self._channel_axis]
        return self._spatial_output_shape(input_shape, None if channels is None else channels * self.depth_multiplier)

    def get_config(self):
        config = super().get_config()
        config.update(
            depth_multiplier=self.depth_multiplier,
            depthwise_initializer=initializers.serialize(self.depthwise_initializer),
            depthwise_regularizer=regularizers.serialize(self.depthwise_regularizer),
            depthwise_constraint=constraints.serialize(self.depthwise_constraint),
        )
        return config


class DepthwiseConv1D(_DepthwiseConv):
    rank = 1

    def __init__(self, kernel_size, strides=1, padding="valid", depth_multiplier=1, data_format=None,
                 dilation_rate=1, activation=None, use_bias=True, depthwise_initializer="glorot_uniform",
                 bias_initializer="zeros", depthwise_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, depthwise_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(kernel_size, strides, padding, depth_multiplier, data_format, dilation_rate, activation,
                         use_bias, depthwise_initializer, bias_initializer, depthwise_regularizer, bias_regularizer,
                         activity_regularizer, depthwise_constraint, bias_constraint, **kwargs)


class DepthwiseConv2D(_DepthwiseConv):
    rank = 2

    def __init__(self, kernel_size, strides=(1, 1), padding="valid", depth_multiplier=1, data_format=None,
                 dilation_rate=(1, 1), activation=None, use_bias=True, depthwise_initializer="glorot_uniform",
                 bias_initializer="zeros", depthwise_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, depthwise_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(kernel_size, strides, padding, depth_multiplier, data_format, dilation_rate, activation,
                         use_bias, depthwise_initializer, bias_initializer, depthwise_regularizer, bias_regularizer,
                         activity_regularizer, depthwise_constraint, bias_constraint, **kwargs)


# ----------------------------------------------------------------------------- Separable

class _SeparableConv(_BaseConv):
    """Depthwise conv (no bias) then a 1x1 conv to `filters` (a matmul) with the bias fused.

    Weights (Keras order): depthwise_kernel (*k, in, mult), pointwise_kernel (1.., in*mult,
    filters), bias (filters,)."""

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None, dilation_rate=1,
                 depth_multiplier=1, activation=None, use_bias=True, depthwise_initializer="glorot_uniform",
                 pointwise_initializer="glorot_uniform", bias_initializer="zeros", depthwise_regularizer=None,
                 pointwise_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 depthwise_constraint=None, pointwise_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(kernel_size, strides, padding, data_format, dilation_rate, activation, use_bias,
                         bias_initializer, bias_regularizer, bias_constraint, activity_regularizer, **kwargs)
        self.filters = int(filters)
        self.depth_multiplier = int(depth_multiplier)
        if self.filters <= 0 or self.depth_multiplier <= 0:
            raise ValueError(f"{type(self).__name__} '{self.name}': `filters` and `depth_multiplier` must be "
                             f"positive integers; received filters={filters}, depth_multiplier={depth_multiplier}.")
        self.depthwise_initializer = initializers.get(depthwise_initializer)
        self.pointwise_initializer = initializers.get(pointwise_initializer)
        self._resolve_bias_initializer()
        self.depthwise_regularizer = regularizers.get(depthwise_regularizer)
        self.pointwise_regularizer = regularizers.get(pointwise_regularizer)
        self.depthwise_constraint = constraints.get(depthwise_constraint)
        self.pointwise_constraint = constraints.get(pointwise_constraint)

    def build(self, input_shape):
        channels = self._input_channels(input_shape)
        self._in_channels = channels
        middle = channels * self.depth_multiplier
        self.depthwise_kernel = self._add_kernel(
            "depthwise_kernel", self.kernel_size + (channels, self.depth_multiplier), self.depthwise_initializer,
            self.depthwise_regularizer, self.depthwise_constraint,
            DepthwiseLayout(self.rank, channels, self.depth_multiplier))
        self.pointwise_kernel = self._add_kernel(
            "pointwise_kernel", (1,) * self.rank + (middle, self.filters), self.pointwise_initializer,
            self.pointwise_regularizer, self.pointwise_constraint, KernelLayout(self.rank))
        self._add_bias(self.filters)
        self._dtype_ref = self.depthwise_kernel

    def call(self, inputs):
        x = self._to_torch(inputs, self._in_channels)  # (batch, in, *spatial)
        padding = 0
        if self.padding == "same":
            x, padding = pad_same(x, self._t_kernel, self._t_strides, self._t_dilation)
        x = _CONV[self._torch_rank](x, self.depthwise_kernel, None, self._t_strides, padding, self._t_dilation,
                                    self._in_channels)  # (batch, in*mult, *spatial'), channels_last memory
        # The 1x1 pointwise conv is a matmul over channels: run it as one on the channels-last view.
        rank = self._torch_rank
        y = F.linear(to_channels_last(x, rank), self.pointwise_kernel.view(self.filters, -1), self.bias)
        return self._from_torch(to_channels_first(y, rank))  # (batch, filters, *spatial') view

    def compute_output_shape(self, input_shape):
        return self._spatial_output_shape(tuple(input_shape), self.filters)

    def get_config(self):
        config = super().get_config()
        config.update(
            filters=self.filters,
            depth_multiplier=self.depth_multiplier,
            depthwise_initializer=initializers.serialize(self.depthwise_initializer),
            pointwise_initializer=initializers.serialize(self.pointwise_initializer),
            depthwise_regularizer=regularizers.serialize(self.depthwise_regularizer),
            pointwise_regularizer=regularizers.serialize(self.pointwise_regularizer),
            depthwise_constraint=constraints.serialize(self.depthwise_constraint),
            pointwise_constraint=constraints.serialize(self.pointwise_constraint),
        )
        return config


class SeparableConv1D(_SeparableConv):
    rank = 1

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None, dilation_rate=1,
                 depth_multiplier=1, activation=None, use_bias=True, depthwise_initializer="glorot_uniform",
                 pointwise_initializer="glorot_uniform", bias_initializer="zeros", depthwise_regularizer=None,
                 pointwise_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 depthwise_constraint=None, pointwise_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(filters, kernel_size, strides, padding, data_format, dilation_rate, depth_multiplier,
                         activation, use_bias, depthwise_initializer, pointwise_initializer, bias_initializer,
                         depthwise_regularizer, pointwise_regularizer, bias_regularizer, activity_regularizer,
                         depthwise_constraint, pointwise_constraint, bias_constraint, **kwargs)


class SeparableConv2D(_SeparableConv):
    rank = 2

    def __init__(self, filters, kernel_size, strides=(1, 1), padding="valid", data_format=None,
                 dilation_rate=(1, 1), depth_multiplier=1, activation=None, use_bias=True,
                 depthwise_initializer="glorot_uniform", pointwise_initializer="glorot_uniform",
                 bias_initializer="zeros", depthwise_regularizer=None, pointwise_regularizer=None,
                 bias_regularizer=None, activity_regularizer=None, depthwise_constraint=None,
                 pointwise_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(filters, kernel_size, strides, padding, data_format, dilation_rate, depth_multiplier,
                         activation, use_bias, depthwise_initializer, pointwise_initializer, bias_initializer,
                         depthwise_regularizer, pointwise_regularizer, bias_regularizer, activity_regularizer,
                         depthwise_constraint, pointwise_constraint, bias_constraint, **kwargs)


# Keras aliases (same classes, so configs name the canonical class as Keras does).
Convolution1D, Convolution2D, Convolution3D = Conv1D, Conv2D, Conv3D
Convolution1DTranspose, Convolution2DTranspose, Convolution3DTranspose = (
    Conv1DTranspose, Conv2DTranspose, Conv3DTranspose)
Deconvolution2D, Deconvolution3D = Conv2DTranspose, Conv3DTranspose
SeparableConvolution1D, SeparableConvolution2D = SeparableConv1D, SeparableConv2D
# Keras 1: AtrousConvolution2D(nb_filter, nb_row, nb_col, atrous_rate=(2, 2)) is a dilated Conv2D.
AtrousConvolution1D, AtrousConvolution2D = Conv1D, Conv2D
