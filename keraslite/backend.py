"""Process-wide settings and helpers: floatx, epsilon, image data format, the device,
default layer names (uids) and clear_session.

Owns nothing about layers or training; those modules ask here for the device and names.
Also serves as the `keras.backend` (K) namespace for Keras-2 code (`tf.keras.backend` too):
the ops it exposes come from `keraslite.ops`, except those whose Keras 2 signature or default
differs (K.argmax on the last axis, K.clip(x, min_value, max_value), ...), defined here;
Keras 1/2's `function` / `learning_phase` / `update` from keraslite.compat.backend_function.
"""
import contextlib
import importlib
import os
import re
import sys
import threading

import numpy as np
import torch

_FLOATX = "float32"
_EPSILON = 1e-7
_IMAGE_DATA_FORMAT = "channels_last"
_DEVICE = None
_UIDS = {}
_LOCK = threading.Lock()


def backend():
    """"torch"; "tensorflow" when the program asked for that backend (KERAS_BACKEND=tensorflow),
    so that its `if keras.backend.backend() == "tensorflow":` branch (tf.GradientTape steps,
    Keras 2 models that require TensorFlow) is the one that runs, on the tensorflow shim."""
    return "tensorflow" if os.environ.get("KERAS_BACKEND", "").lower() == "tensorflow" else "torch"


def floatx():
    return _FLOATX


def set_floatx(value):
    global _FLOATX
    if value not in ("float16", "bfloat16", "float32", "float64"):
        raise ValueError(f"Unknown floatx {value!r}; expected one of float16, bfloat16, float32, float64.")
    _FLOATX = str(value)


def epsilon():
    return _EPSILON


def set_epsilon(value):
    global _EPSILON
    _EPSILON = float(value)


def image_data_format():
    return _IMAGE_DATA_FORMAT


def set_image_data_format(value):
    global _IMAGE_DATA_FORMAT
    if value not in ("channels_last", "channels_first"):
        raise ValueError(f"Unknown data_format {value!r}; expected 'channels_last' or 'channels_first'.")
    _IMAGE_DATA_FORMAT = value


def _keras_config_path():
    """Keras's configuration file: $KERAS_HOME/keras.json, else ~/.keras/keras.json."""
    home = os.environ.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras")
    return os.path.join(home, "keras.json")


def _read_keras_config():
    """Take floatx, epsilon and the image data format from keras.json, as Keras does at import
    (Keras 1's `image_dim_ordering`: 'th' / 'tf' too). The file is only read, never written; a
    file that is not JSON is ignored as Keras ignores it, a bad value is a warning."""
    import json
    import warnings

    try:
        with open(_keras_config_path()) as f:
            config = json.load(f)
    except (OSError, ValueError):
        return
    if not isinstance(config, dict):
        return
    fmt = config.get("image_data_format")
    if fmt is None and config.get("image_dim_ordering") in ("th", "tf"):
        fmt = {"th": "channels_first", "tf": "channels_last"}[config["image_dim_ordering"]]
    for setter, value in ((set_floatx, config.get("floatx")), (set_epsilon, config.get("epsilon")),
                          (set_image_data_format, fmt)):
        if value is None:
            continue
        try:
            setter(value)
        except (TypeError, ValueError) as err:
            warnings.warn(f"{_keras_config_path()}: {err} The default is kept; fix or remove the entry.",
                          stacklevel=2)


def image_dim_ordering():
    """Keras 1/2 spelling: 'tf' (channels_last) or 'th' (channels_first)."""
    return "tf" if _IMAGE_DATA_FORMAT == "channels_last" else "th"


def set_image_dim_ordering(dim_ordering):
    """Keras 1/2 spelling of set_image_data_format: 'tf' -> channels_last, 'th' -> channels_first."""
    formats = {"tf": "channels_last", "th": "channels_first"}
    if dim_ordering not in formats:
        raise ValueError(f"Unknown dim_ordering {dim_ordering!r}; expected 'tf' or 'th'.")
    set_image_data_format(formats[dim_ordering])


_read_keras_config()


def standardize_data_format(data_format):
    if data_format is None:
        return _IMAGE_DATA_FORMAT
    value = str(data_format).lower()
    if value not in ("channels_last", "channels_first"):
        raise ValueError(f"Unknown data_format {data_format!r}; expected 'channels_last' or 'channels_first'.")
    return value


def standardize_dtype(dtype):
    """Keras's spelling of a dtype ('float32', 'int64', 'bool'), from a string, a numpy or torch
    dtype, a Python type, or None (floatx): `keras.backend.standardize_dtype`. (keraslite's own
    code wants the torch dtype: `torch_dtype`.)"""
    if isinstance(dtype, str) and dtype == "int":
        dtype = "int32"
    try:
        return dtype_name(_dtype_of(dtype))  # numpy scalar types and dtypes too
    except (ValueError, TypeError):
        raise ValueError(f"Invalid dtype: {dtype}") from None


# Python types as dtypes, as Keras maps them (`dtype=bool`, `dtype=int`, `dtype=float`).
_PYTHON_DTYPES = {bool: "bool", int: "int32", float: "float32"}


def torch_dtype(dtype):
    """Return a torch dtype for a Keras dtype spelling (str, numpy or torch dtype, a numpy
    scalar type such as np.float32, a Python type bool / int / float, or None)."""
    if dtype is None:
        dtype = _FLOATX
    if isinstance(dtype, torch.dtype):
        return dtype
    if isinstance(dtype, type):
        if dtype in _PYTHON_DTYPES:
            dtype = _PYTHON_DTYPES[dtype]
        elif issubclass(dtype, np.generic):
            dtype = np.dtype(dtype).name
    if isinstance(dtype, dict):  # Keras 3 DTypePolicy dict
        dtype = dtype.get("config", {}).get("name", _FLOATX)
    if hasattr(dtype, "name") and not isinstance(dtype, str):
        dtype = dtype.name
    name = str(dtype)
    if name.startswith("mixed_"):  # a mixed policy's variables (and keraslite's computations) are float32
        name = "float32"
    try:
        return getattr(torch, name) if name != "bool" else torch.bool
    except AttributeError:
        raise ValueError(f"Unknown dtype {dtype!r}.") from None


def dtype_name(dtype):
    """The Keras spelling ('float32') of a torch dtype."""
    return str(dtype).replace("torch.", "")


# ---------------------------------------------------------------------------- device

def _auto_device():
    requested = os.environ.get("KERASLITE_DEVICE")
    if requested:
        return torch.device(requested)
    if torch.cuda.is_available():
        if "LOCAL_RANK" in os.environ:  # a process of a torchrun launch: its own GPU
            return torch.device("cuda", int(os.environ["LOCAL_RANK"]) % torch.cuda.device_count())
        return torch.device("cuda")
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def get_device():
    """The device fit/evaluate/predict run on: KERASLITE_DEVICE, else CUDA, MPS, CPU."""
    global _DEVICE
    if _DEVICE is None:
        _DEVICE = _auto_device()
    return _DEVICE


def set_device(device):
    """Override the device used for training and inference ('cpu', 'cuda', 'cuda:1', ...)."""
    global _DEVICE
    _DEVICE = None if device is None else torch.device(device)


@contextlib.contextmanager
def device(device_name):
    """`keras.device`: run what the block builds and trains on `device_name` ('cpu', 'gpu',
    'gpu:1', 'cuda:0', ...); the previous device setting comes back afterwards."""
    global _DEVICE
    name = str(device_name).lower()
    if name.startswith("gpu"):
        name = "cuda" + name[3:]
    previous = _DEVICE
    try:
        _DEVICE = torch.device(name)
    except RuntimeError:
        raise ValueError(f"Invalid device name {device_name!r}: expected 'cpu', 'gpu', 'gpu:<index>', "
                         "'cuda:<index>' or 'mps'.") from None
    try:
        yield
    finally:
        _DEVICE = previous


_ACCELERATOR = []  # found once; a plain list read, which torch.compile traces without a warning


def accelerator_present():
    """Whether tensors can live anywhere but the CPU here (CUDA, MPS). Without one, every
    tensor and weight shares the CPU, and per-call device checks can be skipped."""
    if not _ACCELERATOR:
        mps = getattr(torch.backends, "mps", None)
        _ACCELERATOR.append(torch.cuda.is_available() or (mps is not None and mps.is_available()))
    return _ACCELERATOR[0]


# ---------------------------------------------------------------------------- names

def torch_ready(array):
    """`array` as torch.as_tensor takes it: a view with negative strides (`x[..., ::-1]`, what
    preprocess_input returns) or a read-only array is copied, as TensorFlow and Keras's torch
    backend copy them."""
    if isinstance(array, np.ndarray) and (any(s < 0 for s in array.strides) or not array.flags.writeable):
        return np.array(array)  # also a read-only array (pandas' to_numpy()), which torch warns about
    return array


def to_snake_case(name):
    name = re.sub(r"\W+", "", name)
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    name = re.sub(r"([a-z])([A-Z])", r"\1_\2", name)
    return name.lower()


def get_uid(prefix):
    """Keras's default-name counter: 'dense', then 'dense_1', 'dense_2', ..."""
    with _LOCK:
        count = _UIDS.get(prefix, 0)
        _UIDS[prefix] = count + 1
    return prefix if count == 0 else f"{prefix}_{count}"


def unique_name(prefix):
    return get_uid(prefix)


def clear_session(free_memory=True):
    """Reset default names and global settings made at run time, as Keras's global state is
    cleared (enable_unsafe_deserialization() no longer holds), and release cached GPU memory."""
    from keraslite.saving import serialization

    _UIDS.clear()
    serialization._UNSAFE_EVERYWHERE = False
    if free_memory and torch.cuda.is_available():
        torch.cuda.empty_cache()


def is_keras_tensor(x):
    from keraslite.layers.input_layer import KerasTensor

    return isinstance(x, KerasTensor)


def int_shape(x):
    if hasattr(x, "keras_layout"):
        return x.keras_shape  # a weight stored permuted: its Keras shape, as ops.shape gives
    shape = getattr(x, "shape", None)
    return None if shape is None else tuple(None if d is None else int(d) for d in shape)


def shape(x):
    """Keras 2's `K.shape`: the shape of `x` as an int32 tensor, known once data flows, so
    `K.shape(x)[0]` is the batch size. On a KerasTensor it is a graph node. `K.int_shape` is
    the tuple of static dimensions; keras.ops.shape (Keras 3) also returns a tuple."""
    if is_keras_tensor(x):
        from keraslite.models.functional import symbolic_call

        return symbolic_call(shape, (x,), {})
    if not isinstance(x, torch.Tensor):
        from keraslite import ops

        x = ops.convert_to_tensor(x)
    return torch.tensor(tuple(x.shape), dtype=torch.int32, device=x.device)


def get_value(x):
    if isinstance(x, torch.Tensor):
        return x.detach().cpu().numpy()
    if hasattr(x, "numpy"):
        return x.numpy()
    return np.asarray(x)


def set_value(x, value):
    if not isinstance(x, torch.Tensor) and hasattr(x, "assign"):  # e.g. K.set_value(model.optimizer.lr, 0.01)
        x.assign(value)
        return
    with torch.no_grad():
        x.copy_(torch.as_tensor(np.asarray(value), dtype=x.dtype, device=x.device))


def function(inputs, outputs, updates=None, name=None, **kwargs):
    """Keras 1/2 `K.function([inputs..., K.learning_phase()], [outputs...])` (keraslite.compat.backend_function)."""
    from keraslite.compat import backend_function

    return backend_function.function(inputs, outputs, updates=updates, name=name, **kwargs)


def gradients(loss, variables):
    """Keras 2 `K.gradients(loss, variables)`: symbolic gradients for K.function
    (keraslite.compat.backend_function)."""
    from keraslite.compat import backend_function

    return backend_function.gradients(loss, variables)


def placeholder(shape=None, ndim=None, dtype=None, sparse=False, name=None):
    """Keras 2 `K.placeholder(shape)`: a symbolic input, batch dimension included."""
    from keraslite.compat import backend_function

    return backend_function.placeholder(shape=shape, ndim=ndim, dtype=dtype, sparse=sparse, name=name)


def learning_phase():
    from keraslite.compat import backend_function

    return backend_function.learning_phase()


def set_learning_phase(value):
    from keraslite.compat import backend_function

    backend_function.set_learning_phase(value)


# Keras 2 backend functions whose signature or meaning differs from the keras.ops function of
# the same name (keras.ops, Keras 3, has no K namespace of its own to clash with).

def concatenate(tensors, axis=-1):
    """K.concatenate joins along the last axis unless told otherwise (ops.concatenate: axis 0)."""
    from keraslite import ops

    return ops.concatenate(tensors, axis=axis)


def argmax(x, axis=-1):
    """K.argmax: indices along the last axis (ops.argmax flattens by default), as int64."""
    from keraslite import ops

    return ops.cast(ops.argmax(x, axis=axis), "int64")


def argmin(x, axis=-1):
    """K.argmin: indices along the last axis (ops.argmin flattens by default), as int64."""
    from keraslite import ops

    return ops.cast(ops.argmin(x, axis=axis), "int64")


def cumsum(x, axis=0):
    """K.cumsum: along the first axis (ops.cumsum flattens by default)."""
    from keraslite import ops

    return ops.cumsum(x, axis=axis)


def cumprod(x, axis=0):
    """K.cumprod: along the first axis (ops.cumprod flattens by default)."""
    from keraslite import ops

    return ops.cumprod(x, axis=axis)


def clip(x, min_value, max_value):
    """K.clip(x, min_value, max_value): a bound of None is unbounded, and a max_value below
    min_value is raised to it."""
    from keraslite import ops

    if isinstance(min_value, (int, float)) and isinstance(max_value, (int, float)) and max_value < min_value:
        max_value = min_value
    return ops.clip(x, -np.inf if min_value is None else min_value, np.inf if max_value is None else max_value)


def one_hot(indices, num_classes):
    """K.one_hot(indices, num_classes): a new last axis of size num_classes."""
    from keraslite import ops

    return ops.one_hot(indices, num_classes)


def relu(x, alpha=0.0, max_value=None, threshold=0):
    """K.relu: `x` for threshold <= x < max_value, max_value above it, alpha * (x - threshold)
    below the threshold (with the defaults, max(x, 0))."""
    from keraslite import ops

    if alpha == 0 and max_value is None and threshold == 0:
        return ops.relu(x)
    out = ops.where(ops.greater(x, threshold), x, ops.zeros_like(x)) if threshold != 0 else ops.relu(x)
    if max_value is not None:
        out = ops.clip(out, 0, max_value)
    if alpha != 0:
        out = out - alpha * ops.relu(threshold - x)
    return out


def hard_sigmoid(x):
    """K.hard_sigmoid: clip(0.2 * x + 0.5, 0, 1) (ops.hard_sigmoid, Keras 3's, has slope 1/6)."""
    from keraslite import ops

    return ops.clip(x * 0.2 + 0.5, 0.0, 1.0)


def sqrt(x):
    """K.sqrt: negative values count as 0 (their root is 0, not NaN)."""
    from keraslite import ops

    return ops.sqrt(ops.maximum(x, 0.0))


def identity(x, name=None):
    """K.identity: a tensor with the contents of `x` (ops.identity is the identity matrix)."""
    from keraslite import ops

    return ops.copy(x)


def in_top_k(predictions, targets, k):
    """K.in_top_k(predictions, targets, k): predictions first (ops.in_top_k takes targets first)."""
    from keraslite import ops

    return ops.in_top_k(targets, predictions, k)


def batch_normalization(x, mean, var, beta, gamma, axis=-1, epsilon=1e-3):
    """K.batch_normalization(x, mean, var, beta, gamma): (x - mean) / sqrt(var + epsilon) * gamma
    + beta. One-dimensional statistics apply along `axis`; others broadcast against `x`."""
    from keraslite import ops

    if ops.ndim(mean) == 1:
        return ops.batch_normalization(x, mean, var, axis=axis, offset=beta, scale=gamma, epsilon=epsilon)
    out = (x - mean) / ops.sqrt(var + epsilon)
    out = out if gamma is None else out * gamma
    return out if beta is None else out + beta


def zeros(shape, dtype=None, name=None):
    """K.zeros: a variable of zeros."""
    from keraslite import ops

    return ops.variable(ops.zeros(shape, dtype=dtype or floatx()), dtype=dtype, name=name)


def ones(shape, dtype=None, name=None):
    """K.ones: a variable of ones."""
    from keraslite import ops

    return ops.variable(ops.ones(shape, dtype=dtype or floatx()), dtype=dtype, name=name)


def eye(size, dtype=None, name=None):
    """K.eye: an identity-matrix variable."""
    from keraslite import ops

    return ops.variable(ops.eye(size, dtype=dtype or floatx()), dtype=dtype, name=name)


def zeros_like(x, dtype=None, name=None):
    from keraslite import ops

    return ops.zeros_like(x, dtype=dtype)


def ones_like(x, dtype=None, name=None):
    from keraslite import ops

    return ops.ones_like(x, dtype=dtype)


def get_variable_shape(x):
    """Keras 2's K.get_variable_shape: the static shape of `x` (K.int_shape)."""
    return int_shape(x)


def cast_to_floatx(x):
    """K.cast_to_floatx: a numpy array (or a tensor) in the floatx dtype."""
    if isinstance(x, torch.Tensor):
        return x.to(torch_dtype(floatx()))
    return np.asarray(x, dtype=floatx())


def batch_get_value(tensors):
    return [get_value(x) for x in tensors]


def batch_set_value(tuples):
    for x, value in tuples:
        set_value(x, value)


def reverse(x, axes):
    """K.reverse: `x` reversed along one axis or each of a list of axes."""
    from keraslite import ops

    for axis in [axes] if isinstance(axes, int) else axes:
        x = ops.flip(x, axis=axis)
    return x


def stop_gradient(variables):
    """K.stop_gradient: a tensor, or each of a list of tensors, as a constant for gradients."""
    from keraslite import ops

    if isinstance(variables, (list, tuple)):
        return [ops.stop_gradient(v) for v in variables]
    return ops.stop_gradient(variables)


def bias_add(x, bias, data_format=None):
    """K.bias_add: `bias` (one value per channel, or of shape x.shape[1:] in channels_last
    order) added along the channel axis of `data_format`."""
    from keraslite import ops

    data_format = standardize_data_format(data_format)
    rank, bias_shape = len(int_shape(x)), int_shape(bias)
    if len(bias_shape) not in (1, rank - 1):
        raise ValueError(f"K.bias_add: unexpected bias of {len(bias_shape)} dimensions for an input of rank {rank}; "
                         f"expected 1 or {rank - 1} dimensions.")
    if data_format == "channels_last":
        shape = bias_shape if len(bias_shape) == 1 else (1,) + bias_shape
    elif len(bias_shape) == 1:
        shape = (1, bias_shape[0]) + (1,) * (rank - 2)
    else:
        shape = (1, bias_shape[-1]) + bias_shape[:-1]
    return ops.add(x, ops.reshape(bias, shape))


def map_fn(fn, elems, name=None, dtype=None):
    """K.map_fn: `fn` applied to each slice of `elems` along its first axis, results stacked."""
    from keraslite.compat import tf_ops

    return tf_ops.map_fn(fn, elems, dtype=dtype)


def foldl(fn, elems, initializer=None, name=None):
    """K.foldl: `fn(accumulator, element)` over the slices of `elems` along the first axis, from
    the first; the accumulator starts at `initializer` (else at the first slice)."""
    return _fold(fn, elems, initializer, reverse=False)


def foldr(fn, elems, initializer=None, name=None):
    """K.foldr: as K.foldl, from the last slice to the first."""
    return _fold(fn, elems, initializer, reverse=True)


def _fold(fn, elems, initializer, reverse):
    from keraslite import ops

    elems = ops.convert_to_tensor(elems)
    items = [elems[i] for i in range(int(elems.shape[0]))]
    items = items[::-1] if reverse else items
    if initializer is None:
        if not items:
            raise ValueError("K.foldl / K.foldr of an empty tensor needs an `initializer`.")
        initializer, items = items[0], items[1:]
    accumulator = initializer
    for item in items:
        accumulator = fn(accumulator, item)
    return accumulator


def rnn(step_function, inputs, initial_states, go_backwards=False, mask=None, constants=None, unroll=False,
        input_length=None, time_major=False, zero_output_for_mask=False, return_all_outputs=True):
    """K.rnn: runs `step_function(input_t, states + constants) -> (output_t, new_states)` over
    the time axis of `inputs` (axis 1, or 0 with `time_major`; `inputs` and the outputs may be
    nested). Returns `(last_output, outputs, new_states)`: `outputs` stacks each step's output
    along the time axis, in the order the steps ran (reversed with `go_backwards`), or holds only
    the last one when `return_all_outputs` is False. Where the (batch, time) `mask` is False a
    step keeps the previous states and repeats the previous output (zeros with
    `zero_output_for_mask`). A 1-D `input_length` (the valid length of each sequence) stands
    for a mask when none is given; an integer one, like `unroll`, changes nothing here."""
    kwargs = dict(go_backwards=go_backwards, mask=mask, constants=constants, input_length=input_length,
                  time_major=time_major, zero_output_for_mask=zero_output_for_mask,
                  return_all_outputs=return_all_outputs)
    return _eager_or_symbolic(_rnn, (step_function, inputs, initial_states), kwargs)


def _rnn(step_function, inputs, initial_states, go_backwards, mask, constants, input_length, time_major,
         zero_output_for_mask, return_all_outputs):
    from keraslite import ops, tree
    from keraslite.layers.recurrent import _keep_where as keep

    flat_inputs = [ops.convert_to_tensor(x) for x in tree.flatten(inputs)]
    if any(x.ndim < 2 for x in flat_inputs):
        raise ValueError("K.rnn: `inputs` must have a batch and a time axis (at least 2 dimensions); received "
                         f"shapes {[tuple(x.shape) for x in flat_inputs]}.")
    if not time_major:
        flat_inputs = [x.transpose(0, 1) for x in flat_inputs]
    steps, batch = flat_inputs[0].shape[:2]
    if mask is None and input_length is not None and np.ndim(input_length) == 1:
        lengths = ops.convert_to_tensor(input_length).to(flat_inputs[0].device)
        mask = torch.arange(steps, device=lengths.device)[:, None] < lengths[None, :]
    elif mask is not None:
        mask = ops.convert_to_tensor(mask).bool()
        mask = mask if time_major else mask.transpose(0, 1)
        if tuple(mask.shape[:2]) != (steps, batch):
            layout = "(time, batch)" if time_major else "(batch, time)"
            raise ValueError(f"K.rnn: `mask` must have the {layout} shape of the inputs, "
                             f"{(steps, batch) if time_major else (batch, steps)}; received {tuple(mask.shape)}.")
    if not steps:
        raise ValueError("K.rnn: `inputs` have no time steps; at least one step is needed.")

    states, constants = tuple(initial_states), tuple(constants or ())
    flat_states, outputs, previous = tree.flatten(states), [], None
    for t in (range(steps - 1, -1, -1) if go_backwards else range(steps)):
        step_input = tree.pack_sequence_as(inputs, [x[t] for x in flat_inputs])
        output, new_states = step_function(step_input, states + constants)
        flat_output, flat_new = tree.flatten(output), tree.flatten(new_states)
        if len(flat_new) != len(flat_states):
            raise ValueError(f"K.rnn: the step function returned {len(flat_new)} state tensors; expected "
                             f"{len(flat_states)}, as many as `initial_states` holds.")
        if mask is not None:
            if previous is None or zero_output_for_mask:
                previous = [torch.zeros_like(o) for o in flat_output]
            flat_output = [keep(mask[t], o, p) for o, p in zip(flat_output, previous)]
            flat_new = [keep(mask[t], s, p) for s, p in zip(flat_new, flat_states)]
        previous, flat_states = flat_output, flat_new
        states = tuple(tree.pack_sequence_as(list(initial_states), flat_new))
        if return_all_outputs:
            outputs.append(flat_output)
        else:
            outputs = [flat_output]
    stacked = [torch.stack(step_outputs, dim=0 if time_major else 1) for step_outputs in zip(*outputs)]
    last_output = tree.pack_sequence_as(output, list(outputs[-1]))
    return last_output, tree.pack_sequence_as(output, stacked), states


def _eager_or_symbolic(fn, args, kwargs):
    """fn(*args, **kwargs) now, or, when an argument is symbolic, a graph node that calls it."""
    from keraslite.ops import _is_symbolic

    if _is_symbolic(args, kwargs):
        from keraslite.models.functional import symbolic_call

        return symbolic_call(fn, args, kwargs)
    return fn(*args, **kwargs)


def dropout(x, level, noise_shape=None, seed=None):
    """K.dropout: zero entries of `x` with probability `level` (whatever the learning phase),
    scaling the rest by 1 / (1 - level)."""
    from keraslite import random

    return _eager_or_symbolic(random.dropout, (x, level), {"noise_shape": noise_shape, "seed": seed})


def print_tensor(x, message=""):
    """K.print_tensor: prints `message` and the value of `x` when it is computed (a symbolic
    `x` prints each time the graph runs); returns `x`."""
    def show(value, message=""):
        print(message, get_value(value) if isinstance(value, torch.Tensor) else value)
        return value

    return _eager_or_symbolic(show, (x,), {"message": message})


def random_bernoulli(shape, p=0.0, dtype=None, seed=None):
    """K.random_bernoulli: ones with probability `p`, zeros otherwise."""
    from keraslite import random

    dtype = dtype or floatx()
    draw = random.uniform(shape, dtype=dtype, seed=seed)
    return (draw <= p).to(torch_dtype(dtype))


def random_binomial(shape, p=0.0, dtype=None, seed=None):
    """Keras 2's K.random_binomial (one trial each): K.random_bernoulli."""
    return random_bernoulli(shape, p=p, dtype=dtype, seed=seed)


def truncated_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    from keraslite import random

    return random.truncated_normal(shape, mean=mean, stddev=stddev, dtype=dtype, seed=seed)


def random_normal_variable(shape, mean, scale, dtype=None, name=None, seed=None):
    """K.random_normal_variable: a variable drawn from a normal distribution (scale = stddev)."""
    from keraslite import ops, random

    return ops.variable(random.normal(shape, mean=mean, stddev=scale, dtype=dtype or floatx(), seed=seed),
                        dtype=dtype, name=name)


def random_uniform_variable(shape, low, high, dtype=None, name=None, seed=None):
    """K.random_uniform_variable: a variable drawn uniformly from [low, high)."""
    from keraslite import ops, random

    return ops.variable(random.uniform(shape, minval=low, maxval=high, dtype=dtype or floatx(), seed=seed),
                        dtype=dtype, name=name)


def in_train_phase(x, alt, training=None):
    """K.in_train_phase: `x` in the training phase, `alt` otherwise (either may be a callable
    returning it). `training` defaults to the phase of the layer call this runs in, else the
    learning phase (test unless set or fed)."""
    from keraslite.compat import backend_function
    from keraslite.layers import layer

    if training is None and layer._call_context is not None:
        training = layer._call_context.training
    if training is None:
        training = learning_phase()
        training = 0 if training is backend_function.LEARNING_PHASE else training
    if isinstance(training, torch.Tensor) or is_keras_tensor(training):
        from keraslite import ops

        return ops.where(ops.cast(training, "bool"), x() if callable(x) else x, alt() if callable(alt) else alt)
    chosen = x if training else alt
    return chosen() if callable(chosen) else chosen


def in_test_phase(x, alt, training=None):
    """K.in_test_phase: `x` in the test phase, `alt` in the training phase."""
    return in_train_phase(alt, x, training=training)


def update(x, new_x):
    """K.update: assigns `new_x` to the variable `x`. A symbolic `new_x` gives an update for
    K.function(..., updates=[...]), applied each time the function runs."""
    from keraslite.compat import backend_function

    return backend_function.assignment(x, new_x, "assign")


def update_add(x, increment):
    """K.update_add: adds `increment` to the variable `x` (symbolic: an update for K.function)."""
    from keraslite.compat import backend_function

    return backend_function.assignment(x, increment, "add")


def update_sub(x, decrement):
    """K.update_sub: subtracts `decrement` from the variable `x` (symbolic: an update for K.function)."""
    from keraslite.compat import backend_function

    return backend_function.assignment(x, decrement, "sub")


def moving_average_update(x, value, momentum):
    """K.moving_average_update: x = x * momentum + value * (1 - momentum) (symbolic `value`: an
    update for K.function)."""
    from keraslite.compat import backend_function

    return backend_function.assignment(x, value, "moving_average", momentum=momentum)


def repeat(x, n):
    """K.repeat: (batch, dim) -> (batch, n, dim), what RepeatVector does (ops.repeat is
    numpy's element repeat, K.repeat_elements here)."""
    from keraslite import ops

    if len(int_shape(x)) != 2:
        raise ValueError(f"K.repeat expects a 2D tensor (batch, dim); received shape {int_shape(x)}.")
    return ops.repeat(ops.expand_dims(x, 1), n, axis=1)


def repeat_elements(x, rep, axis):
    """K.repeat_elements: each slice along `axis` repeated `rep` times (np.repeat)."""
    from keraslite import ops

    return ops.repeat(x, rep, axis=axis)


def _conv_rank(x, kernel, rank, name):
    shape = int_shape(x)
    if shape is not None and len(shape) != rank + 2:
        raise ValueError(f"K.{name} expects an input of rank {rank + 2} (batch, {rank} spatial dim(s), channels); "
                         f"received shape {shape}.")
    kshape = int_shape(kernel)
    if kshape is not None and len(kshape) != rank + 2:
        raise ValueError(f"K.{name} expects a kernel of rank {rank + 2} (spatial dims, input channels, filters); "
                         f"received shape {kshape}.")


def conv1d(x, kernel, strides=1, padding="valid", data_format=None, dilation_rate=1):
    """Keras 2 `K.conv1d`: kernel (kernel_size, input_dim, filters); padding 'valid', 'same' or
    'causal' (left padding by dilation_rate * (kernel_size - 1))."""
    from keraslite import ops

    _conv_rank(x, kernel, 1, "conv1d")
    strides, dilation_rate = _single(strides), _single(dilation_rate)
    if padding == "causal":
        data_format = standardize_data_format(data_format)
        left = dilation_rate * (int_shape(kernel)[0] - 1)
        pad = [[0, 0], [left, 0], [0, 0]] if data_format == "channels_last" else [[0, 0], [0, 0], [left, 0]]
        x, padding = ops.pad(x, pad), "valid"
    return ops.conv(x, kernel, strides=strides, padding=padding, data_format=data_format,
                    dilation_rate=dilation_rate)


def conv2d(x, kernel, strides=(1, 1), padding="valid", data_format=None, dilation_rate=(1, 1)):
    """Keras 2 `K.conv2d`: kernel (rows, cols, input_depth, filters)."""
    from keraslite import ops

    _conv_rank(x, kernel, 2, "conv2d")
    return ops.conv(x, kernel, strides=strides, padding=padding, data_format=data_format,
                    dilation_rate=dilation_rate)


def conv3d(x, kernel, strides=(1, 1, 1), padding="valid", data_format=None, dilation_rate=(1, 1, 1)):
    """Keras 2 `K.conv3d`: kernel (depth, rows, cols, input_depth, filters)."""
    from keraslite import ops

    _conv_rank(x, kernel, 3, "conv3d")
    return ops.conv(x, kernel, strides=strides, padding=padding, data_format=data_format,
                    dilation_rate=dilation_rate)


def depthwise_conv2d(x, depthwise_kernel, strides=(1, 1), padding="valid", data_format=None, dilation_rate=(1, 1)):
    """Keras 2 `K.depthwise_conv2d`: kernel (rows, cols, input_depth, depth_multiplier)."""
    from keraslite import ops

    _conv_rank(x, depthwise_kernel, 2, "depthwise_conv2d")
    return ops.depthwise_conv(x, depthwise_kernel, strides=strides, padding=padding, data_format=data_format,
                              dilation_rate=dilation_rate)


def separable_conv2d(x, depthwise_kernel, pointwise_kernel, strides=(1, 1), padding="valid", data_format=None,
                     dilation_rate=(1, 1)):
    """Keras 2 `K.separable_conv2d`: a depthwise then a 1x1 pointwise convolution."""
    from keraslite import ops

    _conv_rank(x, depthwise_kernel, 2, "separable_conv2d")
    return ops.separable_conv(x, depthwise_kernel, pointwise_kernel, strides=strides, padding=padding,
                              data_format=data_format, dilation_rate=dilation_rate)


def _pool(x, pool_size, strides, padding, data_format, pool_mode, rank):
    from keraslite import ops

    if pool_mode not in ("max", "avg"):
        raise ValueError(f"K.pool{rank}d: pool_mode must be 'max' or 'avg'; received {pool_mode!r}.")
    pool = ops.max_pool if pool_mode == "max" else ops.average_pool
    return pool(x, pool_size, strides=strides, padding=padding, data_format=data_format)


def pool2d(x, pool_size, strides=(1, 1), padding="valid", data_format=None, pool_mode="max"):
    """Keras 2 `K.pool2d` (strides default to 1, not to the pool size as in the layers)."""
    return _pool(x, pool_size, strides, padding, data_format, pool_mode, 2)


def pool3d(x, pool_size, strides=(1, 1, 1), padding="valid", data_format=None, pool_mode="max"):
    """Keras 2 `K.pool3d`."""
    return _pool(x, pool_size, strides, padding, data_format, pool_mode, 3)


def _spatial_padding(x, padding, data_format):
    """Zero padding of the spatial axes: `padding` one (before, after) pair per spatial axis."""
    from keraslite import ops

    pairs = [[int(a), int(b)] for a, b in padding]
    if standardize_data_format(data_format) == "channels_last":
        return ops.pad(x, [[0, 0]] + pairs + [[0, 0]])
    return ops.pad(x, [[0, 0], [0, 0]] + pairs)


def temporal_padding(x, padding=(1, 1)):
    """Keras 2 `K.temporal_padding`: zeros before and after the steps of (batch, steps, features)."""
    return _spatial_padding(x, [padding], "channels_last")


def spatial_2d_padding(x, padding=((1, 1), (1, 1)), data_format=None):
    """Keras 2 `K.spatial_2d_padding`: zeros around the rows and columns of images."""
    return _spatial_padding(x, padding, data_format)


def spatial_3d_padding(x, padding=((1, 1), (1, 1), (1, 1)), data_format=None):
    """Keras 2 `K.spatial_3d_padding`."""
    return _spatial_padding(x, padding, data_format)


def resize_images(x, height_factor, width_factor, data_format, interpolation="nearest"):
    """Keras 2 `K.resize_images`: images scaled by integer factors ('nearest' repeats each pixel,
    as UpSampling2D does; 'bilinear' interpolates)."""
    from keraslite import ops

    channels_last = standardize_data_format(data_format) == "channels_last"
    rows, cols = (1, 2) if channels_last else (2, 3)
    if interpolation == "nearest":
        return repeat_elements(repeat_elements(x, int(height_factor), rows), int(width_factor), cols)
    shape = int_shape(x)
    size = (shape[rows] * int(height_factor), shape[cols] * int(width_factor))
    return ops.image.resize(x, size, interpolation=interpolation,
                            data_format="channels_last" if channels_last else "channels_first")


def _single(value):
    if isinstance(value, (list, tuple)):
        if len(value) != 1:
            raise ValueError(f"K.conv1d expects one stride / dilation rate; received {value!r}.")
        return int(value[0])
    return int(value)


def local_conv1d(inputs, kernel, kernel_size, strides, data_format=None):
    """Keras 2 `K.local_conv1d`: a 1D convolution with a separate kernel per output step.
    inputs (batch, steps, input_dim) (channels_last) or (batch, input_dim, steps); kernel
    (output_length, kernel_size * input_dim, filters); returns (batch, output_length, filters)
    (channels_first: (batch, filters, output_length))."""
    from keraslite import ops

    data_format = standardize_data_format(data_format)
    size, stride = _single(kernel_size), _single(strides)
    output_length, feature_dim, filters = int_shape(kernel)
    x = inputs if data_format == "channels_last" else ops.transpose(inputs, (0, 2, 1))
    steps, channels = int_shape(x)[1], int_shape(x)[2]
    if size * channels != feature_dim or (steps is not None and (steps - size) // stride + 1 != output_length):
        raise ValueError(f"K.local_conv1d: a kernel of shape {int_shape(kernel)} does not fit inputs of shape "
                         f"{int_shape(inputs)} with kernel_size={size}, strides={stride} (expected "
                         f"({(steps - size) // stride + 1 if steps else None}, {size * channels}, filters)).")
    # (output_length, batch, kernel_size * input_dim): each output step's input window.
    windows = ops.stack([ops.reshape(x[:, i * stride:i * stride + size, :], (-1, feature_dim))
                         for i in range(output_length)], axis=0)
    out = ops.transpose(ops.matmul(windows, kernel), (1, 0, 2))  # (batch, output_length, filters)
    return out if data_format == "channels_last" else ops.transpose(out, (0, 2, 1))


def ctc_batch_cost(y_true, y_pred, input_length, label_length):
    """Keras 2 `K.ctc_batch_cost`: the CTC loss of each sample, shape (batch, 1).

    y_true (batch, max_label_length) holds class ids, y_pred (batch, time, classes) softmax
    probabilities, input_length and label_length (batch, 1) the valid lengths. As in Keras 2,
    the blank is the last class and the probabilities enter as log(y_pred + epsilon)."""
    from keraslite import ops

    shape = int_shape(y_pred)
    if shape is None or len(shape) != 3:
        raise ValueError(f"K.ctc_batch_cost expects y_pred of shape (batch, time, classes); received {shape}.")
    input_length = ops.reshape(ops.cast(input_length, "int32"), (-1,))
    label_length = ops.reshape(ops.cast(label_length, "int32"), (-1,))
    loss = ops.ctc_loss(ops.cast(y_true, "int32"), ops.log(y_pred + epsilon()), label_length, input_length,
                        mask_index=shape[-1] - 1)
    return ops.expand_dims(loss, 1)


def ctc_decode(y_pred, input_length, greedy=True, beam_width=100, top_paths=1, merge_repeated=False):
    """Keras 2 `K.ctc_decode`: ([decoded], log_prob). Each decoded array is (batch, longest
    decoded sequence) padded with -1; the blank is the last class. Greedy decoding merges
    repeated labels (TensorFlow's greedy decoder) and gives log_prob (batch, 1); beam search
    gives `top_paths` sequences and log_prob (batch, top_paths)."""
    from keraslite import ops

    classes = int_shape(y_pred)[-1]
    logits = ops.log(y_pred + epsilon())
    lengths = ops.reshape(ops.cast(input_length, "int32"), (-1,))
    if greedy:
        decoded, log_prob = ops.ctc_decode(logits, lengths, strategy="greedy", merge_repeated=True,
                                           mask_index=classes - 1)
    else:
        decoded, log_prob = ops.ctc_decode(logits, lengths, strategy="beam_search", beam_width=beam_width,
                                           top_paths=top_paths, merge_repeated=merge_repeated,
                                           mask_index=classes - 1)
    paths = []
    for path in decoded:  # each path as wide as its longest sequence, as TensorFlow's dense form
        width = int(ops.max(ops.sum(ops.cast(path >= 0, "int32"), axis=-1))) if path.shape[-1] else 0
        paths.append(path[:, :width])
    return paths, log_prob


def name_scope(name, *args, **kwargs):
    """Keras 2's K.name_scope (tf.name_scope, as keras-tcn's blocks use it): keraslite's tensors
    carry no names, so the block just runs."""
    from keraslite.compat.tensorflow_shim import name_scope as scope

    return scope(name, *args, **kwargs)


def _control_flow_ops():
    """K.control_flow_ops: Keras 2's TensorFlow backend module imported tensorflow's
    control_flow_ops, and code reached `K.control_flow_ops.while_loop` through it; here it
    holds the tensorflow shim's eager control flow."""
    from keraslite.compat import tf_ops
    from keraslite.compat.tf_namespace import TFNamespace

    return TFNamespace("tensorflow.python.ops.control_flow_ops", **{
        name: tf_ops.TOP_LEVEL[name] for name in ("while_loop", "cond", "case", "switch_case")})


def __getattr__(name):
    # `keras.backend` as K: Keras-2 code calls K.sum, K.mean, K.square, ...
    from keraslite import ops

    if hasattr(ops, name):
        return getattr(ops, name)
    if name == "control_flow_ops":
        return _control_flow_ops()
    if name in ("common", "tensorflow_backend", "theano_backend", "cntk_backend"):
        # Keras 2's backend package imported its submodules: K.common.image_dim_ordering(),
        # K.tensorflow_backend._get_available_gpus() all name what K itself holds here.
        return sys.modules[__name__]
    if name == "tf":
        # Keras 2.0-2.2's TensorFlow backend imported tensorflow, and programs reached it as K.tf.
        from keraslite.compat import aliases

        if aliases.aliases_installed():
            return importlib.import_module("tensorflow")
        raise AttributeError("K.tf is the `tensorflow` module (Keras 2's TensorFlow backend imported it); keraslite "
                             "provides its TensorFlow shim as `tensorflow` only when the program runs under "
                             "`python -m keraslite prog.py` or after keraslite.install_aliases().")
    raise AttributeError(f"module 'keraslite.backend' has no attribute {name!r}")


def set_session(session):
    """Keras 2's K.set_session (the TensorFlow GPU-memory boilerplate): keraslite has no
    TensorFlow session, so any session (and its config) is accepted and ignored."""


def get_session():
    """Keras 2's K.get_session: a tf.Session object (keraslite runs eagerly; its `run` raises)."""
    from keraslite.compat.tf_v1 import Session

    return Session()


def _get_available_gpus():
    """Keras 2's TensorFlow-backend helper: the names of the GPUs torch can use."""
    return [f"/device:GPU:{i}" for i in range(torch.cuda.device_count())] if torch.cuda.is_available() else []

def dtype(x):
    """Keras 2's K.dtype: the dtype name of a tensor ('float32')."""
    value = getattr(x, "dtype", None)
    if value is None:
        raise TypeError(f"K.dtype expects a tensor; received {type(x).__name__}.")
    return value if isinstance(value, str) else dtype_name(value)


def is_float_dtype(dtype):
    """True for a floating dtype ('float16', 'bfloat16', 'float32', 'float64', in any spelling)."""
    return _dtype_of(dtype).is_floating_point


def is_int_dtype(dtype):
    """True for a signed or unsigned integer dtype (bool is not one)."""
    d = _dtype_of(dtype)
    return not d.is_floating_point and not d.is_complex and d != torch.bool


def _dtype_of(value):
    if isinstance(value, (torch.Tensor, np.ndarray)):
        value = value.dtype
    if isinstance(value, type) and issubclass(value, np.generic):
        value = np.dtype(value).name
    elif isinstance(value, np.dtype):
        value = value.name
    return torch_dtype(value)


def result_type(*dtypes):
    """The dtype Keras gives an operation on inputs of these dtypes. Python `int` / `float`
    (and 'int' / 'float') are weak: they only decide the result when no real dtype does, and
    then give int32 / floatx."""
    if not dtypes:
        return floatx()
    weak = {int: "int", float: "float", bool: "bool", "int": "int", "float": "float"}
    strong, kinds = [], set()
    for d in dtypes:
        if isinstance(d, (type, str)) and d in weak:
            kinds.add(weak[d])
        elif d is None:
            kinds.add("float")
        elif isinstance(d, (torch.Tensor, np.ndarray)):
            strong.append(_dtype_of(d.dtype))
        else:
            strong.append(_dtype_of(d))
    if strong:
        out = strong[0]
        for d in strong[1:]:
            try:
                out = torch.promote_types(out, d)
            except RuntimeError:  # unsigned types torch does not promote: numpy's lattice agrees here
                out = torch_dtype(np.promote_types(dtype_name(out), dtype_name(d)).name)
        if "float" in kinds and not out.is_floating_point:
            out = torch_dtype(floatx())
        elif "int" in kinds and out == torch.bool:
            out = torch.int32
        name = dtype_name(out)
        # Keras narrows 64-bit results to 32 bits outside TensorFlow (as JAX does by default).
        return _NARROW_64.get(name, name)
    if "float" in kinds:
        return floatx()
    return "int32" if "int" in kinds else "bool"


_NARROW_64 = {"int64": "int32", "uint64": "uint32", "float64": "float32", "complex128": "complex64"}
