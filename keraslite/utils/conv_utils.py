"""Keras 2's `keras.utils.conv_utils`, which hand-written layers and model definitions import:
argument normalization and the output-length arithmetic of convolutions."""
import numpy as np

from keraslite import backend

__all__ = ["normalize_tuple", "normalize_data_format", "normalize_padding", "convert_kernel", "conv_output_length",
           "conv_input_length", "deconv_output_length"]


def normalize_tuple(value, n, name):
    """`value` as a tuple of `n` ints: an int is repeated, a sequence must have `n` ints."""
    if isinstance(value, (int, np.integer)):
        return (int(value),) * n
    try:
        values = tuple(value)
    except TypeError:
        raise ValueError(f"The `{name}` argument must be a tuple of {n} integers; received {value!r}.") from None
    if len(values) != n or not all(isinstance(v, (int, np.integer)) for v in values):
        raise ValueError(f"The `{name}` argument must be a tuple of {n} integers; received {value!r}.")
    return tuple(int(v) for v in values)


def normalize_data_format(value):
    return backend.standardize_data_format(value)


def normalize_padding(value):
    padding = value.lower() if isinstance(value, str) else value
    if padding not in ("valid", "same", "causal"):
        raise ValueError(f"The `padding` argument must be one of 'valid', 'same' (or 'causal' for 1D convolutions); "
                         f"received {value!r}.")
    return padding


def convert_kernel(kernel):
    """A numpy kernel with its spatial axes reversed (Theano's convolution <-> TensorFlow's
    correlation); the last two axes (input, output channels) stay."""
    kernel = np.asarray(kernel)
    flip = (slice(None, None, -1),) * (kernel.ndim - 2) + (slice(None), slice(None))
    return np.copy(kernel[flip])


def conv_output_length(input_length, filter_size, padding, stride, dilation=1):
    """Steps out of a convolution over `input_length` steps (None stays None)."""
    if input_length is None:
        return None
    span = filter_size + (filter_size - 1) * (dilation - 1)
    length = {"same": input_length, "causal": input_length, "valid": input_length - span + 1,
              "full": input_length + span - 1}[padding]
    return (length + stride - 1) // stride


def conv_input_length(output_length, filter_size, padding, stride):
    """The input length a convolution needs to give `output_length` steps (None stays None)."""
    if output_length is None:
        return None
    pad = {"same": filter_size // 2, "valid": 0, "full": filter_size - 1}[padding]
    return (output_length - 1) * stride - 2 * pad + filter_size


def deconv_output_length(input_length, filter_size, padding, output_padding=None, stride=0, dilation=1):
    """Steps out of a transposed convolution (Conv2DTranspose's arithmetic)."""
    if input_length is None:
        return None
    filter_size = filter_size + (filter_size - 1) * (dilation - 1)
    if output_padding is None:
        return {"valid": input_length * stride + max(filter_size - stride, 0),
                "full": input_length * stride - (stride + filter_size - 2),
                "same": input_length * stride}[padding]
    pad = {"same": filter_size // 2, "valid": 0, "full": filter_size - 1}[padding]
    return (input_length - 1) * stride + filter_size - 2 * pad + output_padding
