"""keraslite: Keras's API on PyTorch. Every layer is a torch.nn.Module.

Public names are re-exported here; the modules hold the logic.
"""
__version__ = "0.1.0"

from keraslite import (activations, applications, backend, callbacks, config, constraints, datasets, initializers, layers, losses,
                       metrics, mixed_precision, models, ops, optimizers, random, regularizers, saving, tree, utils)
from keraslite.layers import Input, InputLayer, InputSpec, Layer, Variable
from keraslite.models import Model, Sequential
from keraslite.compat.aliases import install_aliases, uninstall_aliases
from keraslite.backend import device, name_scope
from keraslite.initializers import Initializer
from keraslite.layers.keras_tensor import KerasTensor
from keraslite.losses import Loss
from keraslite.metrics import Metric
from keraslite.mixed_precision import DTypePolicy, FloatDTypePolicy
from keraslite.optimizers import Optimizer
from keraslite.regularizers import Regularizer

dtype_policies = mixed_precision  # keras.dtype_policies: the same policy objects


def version():
    """keraslite's version string (`keras.version()`)."""
    return __version__


def __getattr__(name):
    # keraslite.wrappers imports scikit-learn, an optional dependency: loaded on first use.
    if name == "wrappers":
        import importlib

        return importlib.import_module("keraslite.wrappers")
    raise AttributeError(f"module 'keraslite' has no attribute {name!r}")
