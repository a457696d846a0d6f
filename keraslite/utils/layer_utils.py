"""Keras 2's `keras.utils.layer_utils`: parameter counts, the model summary, source inputs and
the Theano kernel conversion that old model definitions call."""
import numpy as np

from keraslite.utils import get_source_inputs  # noqa: F401  (Keras 2 kept it here too)
from keraslite.utils.conv_utils import convert_kernel

__all__ = ["count_params", "print_summary", "get_source_inputs", "convert_all_kernels_in_model"]


def count_params(weights):
    """The number of scalars in `weights` (a list of variables or arrays)."""
    return int(sum(np.prod(tuple(w.shape)) for w in weights))


def print_summary(model, line_length=None, positions=None, print_fn=None):
    return model.summary(line_length=line_length, positions=positions, print_fn=print_fn)


def convert_all_kernels_in_model(model):
    """Reverse the spatial axes of every convolution kernel of `model` (weights trained with
    Theano's convolution, used with TensorFlow's correlation, or the reverse)."""
    from keraslite.layers.conv import _BaseConv

    for layer in model._flatten_layers(include_self=False):
        if isinstance(layer, _BaseConv) and getattr(layer, "kernel", None) is not None:
            layer.kernel.assign(convert_kernel(layer.kernel.numpy()))
