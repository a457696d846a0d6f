"""keraslite: Keras's API on PyTorch. Every layer is a torch.nn.Module.

Public names are re-exported here; the modules hold the logic.
"""
__version__ = "0.1.0"

from keraslite import (activations, backend, callbacks, constraints, datasets, initializers, layers, losses,
                       metrics, models, ops, optimizers, random, regularizers, saving, utils)
from keraslite.layers import Input, InputLayer, InputSpec, Layer, Variable
from keraslite.models import Model, Sequential
from keraslite.compat.aliases import install_aliases, uninstall_aliases
