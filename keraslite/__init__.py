"""keraslite: Keras's API on PyTorch. Every layer is a torch.nn.Module."""
__version__ = "0.1.0"

from keraslite import activations, backend, constraints, initializers, layers, models, regularizers
from keraslite.layers import Input, InputLayer, Layer, Variable
from keraslite.models import Model, Sequential
