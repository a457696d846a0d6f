"""Keras layers as torch modules. Each module lists its public classes in `__all__`."""
from keraslite.layers.layer import Layer, Variable
from keraslite.layers.keras_tensor import KerasTensor
from keraslite.layers.input_spec import InputSpec, deserialize, serialize
from keraslite.layers.input_layer import *  # noqa: F401,F403
from keraslite.layers.core import *  # noqa: F401,F403
from keraslite.layers.conv import *  # noqa: F401,F403
from keraslite.layers.pooling import *  # noqa: F401,F403
from keraslite.layers.reshaping import *  # noqa: F401,F403
from keraslite.layers.recurrent import *  # noqa: F401,F403
from keraslite.layers.conv_recurrent import *  # noqa: F401,F403
from keraslite.layers.wrappers import *  # noqa: F401,F403
from keraslite.layers.normalization import *  # noqa: F401,F403
from keraslite.layers.embedding import *  # noqa: F401,F403
from keraslite.layers.misc import *  # noqa: F401,F403
from keraslite.layers.merging import *  # noqa: F401,F403
from keraslite.layers.merging import _Merge  # noqa: F401 - Keras 2 programs subclass it (keras.layers.merge._Merge)
from keraslite.layers.legacy_merge import *  # noqa: F401,F403
from keraslite.layers.legacy_core import *  # noqa: F401,F403
from keraslite.layers.kernelized import *  # noqa: F401,F403
from keraslite.layers.activation import *  # noqa: F401,F403
from keraslite.layers.preprocessing import *  # noqa: F401,F403
from keraslite.layers.einsum_dense import *  # noqa: F401,F403
from keraslite.layers.attention import *  # noqa: F401,F403
from keraslite.layers.torch_module import *  # noqa: F401,F403
from keraslite.layers.unavailable import *  # noqa: F401,F403

# What `from keras.layers import *` brings: the layers and functions, not this package's modules.
import types as _types  # noqa: E402

__all__ = [_name for _name, _value in list(globals().items())
           if not _name.startswith("_") and not isinstance(_value, _types.ModuleType)]
