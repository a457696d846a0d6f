"""Keras layers as torch modules. Each module lists its public classes in `__all__`."""
from keraslite.layers.layer import Layer, Variable
from keraslite.layers.keras_tensor import KerasTensor
from keraslite.layers.input_layer import *  # noqa: F401,F403
from keraslite.layers.core import *  # noqa: F401,F403
