"""`tensorflow.python.*`: the TensorFlow internals that published programs import by path
(`from tensorflow.python.framework.ops import EagerTensor`, `from tensorflow.python.client
import device_lib`, `from tensorflow.python.ops import math_ops`). Each is a namespace over the
shim's public API, which is where those names live in TF as well; keraslite's eager tensors are
torch tensors, so `EagerTensor` is `torch.Tensor`."""
import collections

import torch

from keraslite.compat import tensorflow_shim as _tf
from keraslite.compat.tf_namespace import TFNamespace

_SHIM = _tf.__name__


def _ns(path, fallback, **attrs):
    return TFNamespace(f"tensorflow.python.{path}", _fallback=fallback, **attrs)


# ----------------------------------------------------------------------------- framework

framework = _ns("framework", _SHIM)
framework.ops = _ns("framework.ops", _tf.compat.v1, EagerTensor=torch.Tensor, Tensor=torch.Tensor)
framework.dtypes = _ns("framework.dtypes", _SHIM)
framework.tensor_shape = _ns("framework.tensor_shape", _SHIM)
framework.constant_op = _ns("framework.constant_op", _SHIM)
framework.random_seed = _ns("framework.random_seed", _SHIM, set_seed=_tf.random.set_seed,
                            set_random_seed=_tf.random.set_seed)

# ----------------------------------------------------------------------------- ops

ops = _ns("ops", _SHIM)
ops.math_ops = _ns("ops.math_ops", _tf.math)
ops.array_ops = _ns("ops.array_ops", _SHIM)
ops.nn = _ns("ops.nn", _tf.nn)
ops.nn_ops = _ns("ops.nn_ops", _tf.nn)
ops.random_ops = _ns("ops.random_ops", _tf.random)
ops.variables = _ns("ops.variables", _SHIM)
ops.numpy_ops = _ns("ops.numpy_ops", None)
# tf.experimental.numpy's switch for numpy-style tensor methods (x.reshape, x.T): torch
# tensors have them already.
ops.numpy_ops.np_config = _ns("ops.numpy_ops.np_config", None, enable_numpy_behavior=lambda *a, **k: None)

# ----------------------------------------------------------------------------- client

_DeviceAttributes = collections.namedtuple("DeviceAttributes",
                                           ["name", "device_type", "memory_limit", "physical_device_desc"])


def list_local_devices(session_config=None):
    """The devices torch sees, as `device_lib.list_local_devices()` lists them: the CPU, then
    one entry per CUDA device, with names such as '/device:GPU:0'."""
    found = [_DeviceAttributes("/device:CPU:0", "CPU", 268435456, "")]
    for i in range(torch.cuda.device_count() if torch.cuda.is_available() else 0):
        props = torch.cuda.get_device_properties(i)
        found.append(_DeviceAttributes(f"/device:GPU:{i}", "GPU", props.total_memory,
                                       f"device: {i}, name: {props.name}"))
    return found


client = _ns("client", None)
client.device_lib = _ns("client.device_lib", None, list_local_devices=list_local_devices)

# ----------------------------------------------------------------------------- eager

eager = _ns("eager", None)
eager.context = _ns("eager.context", None, executing_eagerly=lambda: True)
