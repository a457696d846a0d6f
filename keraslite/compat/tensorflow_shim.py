"""A small stand-in for `import tensorflow as tf`, served by the import aliases.

Owns only what Keras tutorials commonly touch outside `tf.keras`: `tf.__version__`, dtypes
(`tf.float32` ...), `tf.random.set_seed`, `tf.config.list_physical_devices`, `tf.constant`,
`tf.convert_to_tensor`, `tf.cast`, a few math ops (mapped to keraslite.ops, torch
underneath), the logging switches tutorials flip (`tf.get_logger`,
`tf.compat.v1.logging.set_verbosity`, `tf.autograph.set_verbosity`) and no-op device and
memory settings, `tf.data` (keraslite.compat.tf_data), `tf.GradientTape` / `tf.Variable`
(keraslite.compat.tf_autodiff) and the tensor functions Lambda layers, custom layers and
losses and tf.data pipelines use (keraslite.compat.tf_ops: comparisons, clipping, printing,
split/pad/gather_nd/scatter_nd/unique/sort, tf.math reductions and segment sums, tf.nn
convolutions, pooling, activations and cross-entropies, tf.random.categorical /
truncated_normal, eager tf.cond / tf.while_loop / tf.map_fn, tf.TensorShape, tf.linalg).
`tf.image`, `tf.io`, `tf.signal`, `tf.summary` and `tf.strings.split` come from
keraslite.compat.tf_image; `tf.nest` is keraslite.tree; `tf.losses` / `tf.metrics` /
`tf.optimizers` are keraslite's losses / metrics / optimizers (TF 2 aliases them to tf.keras's).
`tf.compat.v1.disable_eager_execution()` is a no-op with a warning: keraslite always runs
eagerly, which gives Keras model code the same results; graph-only APIs (placeholder,
Session.run) raise where they are used. TF 1's names that mean something eagerly (tf.logging,
tf.train.*Optimizer, the session and config boilerplate) are keraslite.compat.tf_v1.
`tf.feature_column` (with tf.keras.layers.DenseFeatures) is keraslite.compat.tf_feature_column.

`tf.keras` is the alias root "tensorflow.keras" (keraslite itself), resolved by
keraslite.compat.aliases. Anything else raises an AttributeError that says the shim does
not provide it; nothing is faked silently.
"""
import contextlib
import functools
import numbers
import os
import sys
import types
from collections import namedtuple

import numpy as np
import torch

from keraslite import backend as _backend
from keraslite.compat import numpy_operands as _numpy_operands
from keraslite.compat import tf_feature_column as _tf_feature_column
from keraslite.compat.tf_namespace import TFNamespace

__version__ = "2.16.1"  # the tf.keras (Keras 2 API) era this shim answers for
VERSION = __version__
# tf.version: the same release, under the names TF's version module gives it
version = types.SimpleNamespace(VERSION=__version__, GIT_VERSION=f"v{__version__}")


class DType(str):
    """A dtype that is also its Keras name ('float32'), so numpy, torch-backed keraslite and
    string comparisons all accept it."""

    @property
    def name(self):
        return str(self)

    @property
    def as_numpy_dtype(self):
        return np.dtype(str(self)).type

    @property
    def is_floating(self):
        return self.startswith(("float", "bfloat"))

    def __repr__(self):
        return f"tf.{self}"

    def __eq__(self, other):  # tf.float32 == torch.float32 == np.float32 == "float32"
        if isinstance(other, (torch.dtype, np.dtype, type)):
            other = _dtype_name(other)
        return str.__eq__(self, other)

    def __ne__(self, other):
        return not self == other

    __hash__ = str.__hash__


float16, bfloat16, float32, float64 = (DType(n) for n in ("float16", "bfloat16", "float32", "float64"))
int8, int16, int32, int64, uint8 = (DType(n) for n in ("int8", "int16", "int32", "int64", "uint8"))
bool = DType("bool")  # noqa: A001  (tf.bool)
complex64, complex128 = DType("complex64"), DType("complex128")
half, double = float16, float64
dtypes = types.SimpleNamespace(float16=float16, bfloat16=bfloat16, float32=float32, float64=float64, int8=int8,
                               int16=int16, int32=int32, int64=int64, uint8=uint8, bool=bool,
                               complex64=complex64, complex128=complex128,
                               as_dtype=lambda d: DType(_dtype_name(d)))
as_dtype = dtypes.as_dtype
Tensor = torch.Tensor


# TensorFlow's DataType enum values (types.proto), which tf.as_dtype and every dtype argument accept:
# tf.zeros(1, 1) is a float32 vector, since DT_FLOAT == 1.
_TF_DATATYPE_ENUM = {1: "float32", 2: "float64", 3: "int32", 4: "uint8", 5: "int16", 6: "int8", 7: "string",
                     8: "complex64", 9: "int64", 10: "bool", 14: "bfloat16", 17: "uint16", 18: "complex128",
                     19: "float16", 22: "uint32", 23: "uint64"}


def _dtype_name(dtype):
    if isinstance(dtype, torch.dtype):
        return str(dtype).replace("torch.", "")
    if isinstance(dtype, (int, np.integer)) and not isinstance(dtype, (type(True), np.bool_)):
        if int(dtype) not in _TF_DATATYPE_ENUM:
            raise TypeError(f"Cannot convert the argument `type_value`: {dtype!r} to a TensorFlow DType.")
        return _TF_DATATYPE_ENUM[int(dtype)]
    return np.dtype(dtype).name if not isinstance(dtype, str) else str(dtype)


def _torch_dtype(dtype):
    from keraslite import backend

    return backend.torch_dtype(_dtype_name(dtype))


def _device():
    from keraslite import backend

    return backend.get_device()


def convert_to_tensor(value, dtype=None, dtype_hint=None, name=None):
    """A torch tensor on keraslite's device; float64 numpy input becomes float32 as in tf.keras."""
    if isinstance(value, torch.Tensor):
        if type(value) is not torch.Tensor:
            value = _more_ops.keras_view(value)  # a layer weight in its Keras layout
        return value.to(_torch_dtype(dtype)) if dtype is not None else value
    if isinstance(value, (list, tuple)) and _numpy_operands.holds_tensor(value):
        # `tf.reduce_sum([loss_a, loss_b])`: packed with torch.stack, so gradients flow through
        # (numpy would take the values only); a Python float next to float32 tensors stays float32.
        tensor = _numpy_operands.stack_nested(value, convert_to_tensor)
        return tensor.to(_torch_dtype(dtype)) if dtype is not None else tensor
    from keraslite.training.data import from_pandas

    value = from_pandas(value)  # a DataFrame / Series converts as its array (int64 stays int64)
    array = np.asarray(value)
    if (_is_text(value) or _is_text(array)) and (dtype is None or _dtype_name(dtype) == "string"):
        # Text has no torch tensor: a string tensor is a numpy array of str (what keraslite's
        # string layers and tf.data take), whose .numpy() gives bytes as TF's does.
        from keraslite.compat.tf_data import StringScalar, strings as _string_array

        if isinstance(value, (str, bytes)):  # a scalar string tensor: .numpy() gives bytes
            return StringScalar(value.decode("utf-8") if isinstance(value, bytes) else value)
        return _string_array(array)
    if dtype is None and array.dtype == np.float64:
        dtype = dtype_hint or float32
    if dtype is None and array.dtype == np.int64 and not isinstance(value, np.ndarray):
        dtype = int32
    tensor = torch.as_tensor(_backend.torch_ready(array), device=_device())
    return tensor.to(_torch_dtype(dtype)) if dtype is not None else tensor


def constant(value, dtype=None, shape=None, name=None):
    tensor = convert_to_tensor(value, dtype=dtype)
    if shape is not None:
        tensor = tensor.expand(tuple(shape)).clone() if tensor.ndim == 0 else tensor.reshape(tuple(shape))
    return tensor


def cast(x, dtype, name=None):
    if _dtype_name(dtype) == "string":
        if not (_is_text(x) or _is_text(np.asarray(x, dtype=object) if isinstance(x, (list, tuple)) else x)):
            raise TypeError(f"tf.cast: cannot cast {type(x).__name__} values to tf.string (TensorFlow cannot "
                            "either). Use tf.strings.as_string for numbers.")
        return convert_to_tensor(x, dtype=string)
    value = convert_to_tensor(x)
    if not isinstance(value, torch.Tensor):
        raise TypeError(f"tf.cast: cannot cast string values to {_dtype_name(dtype)} (TensorFlow cannot either). "
                        "Use tf.strings.to_number.")
    return value.to(_torch_dtype(dtype))


def _op(name, fallback):
    """A tf function backed by keraslite.ops.<name> when that exists, else by `fallback`."""
    def fn(*args, **kwargs):
        try:
            from keraslite import ops
            impl = getattr(ops, name)
        except (ImportError, AttributeError):
            impl = fallback
        args = [convert_to_tensor(a) if isinstance(a, (np.ndarray, list, float, int)) and i == 0 else a
                for i, a in enumerate(args)]
        return impl(*args, **kwargs)

    fn.__name__ = name
    return fn


def _reduce(torch_fn):
    def fn(x, axis=None, keepdims=False):
        x = convert_to_tensor(x)
        if axis is None:
            out = torch_fn(x)
            return out.reshape([1] * x.ndim) if keepdims else out
        return torch_fn(x, dim=axis, keepdim=keepdims)

    return fn


def _amax(x, dim=None, keepdim=False):
    from keraslite import ops

    return ops.max._raw(x, dim, keepdim)  # over no entries: -inf (the dtype's lowest), as TensorFlow


def _amin(x, dim=None, keepdim=False):
    from keraslite import ops

    return ops.min._raw(x, dim, keepdim)


def _mean(x, dim=None, keepdim=False):
    if x.is_floating_point() or x.is_complex():
        return torch.mean(x) if dim is None else torch.mean(x, dim=dim, keepdim=keepdim)
    # TensorFlow averages integers in their own dtype: the sum divided with truncation.
    total = torch.sum(x) if dim is None else torch.sum(x, dim=dim, keepdim=keepdim)
    count = x.numel() if dim is None else int(np.prod([x.shape[d] for d in ([dim] if isinstance(dim, int) else dim)]))
    return torch.div(total, max(count, 1), rounding_mode="trunc").to(x.dtype)


def _sum(x, dim=None, keepdim=False):
    out = torch.sum(x) if dim is None else torch.sum(x, dim=dim, keepdim=keepdim)
    return out.to(x.dtype) if out.dtype != x.dtype and not x.dtype == torch.bool else out  # int32 stays int32


reduce_mean = _reduce(_mean)
reduce_sum = _reduce(_sum)
reduce_max = _reduce(_amax)
reduce_min = _reduce(_amin)
add = _op("add", torch.add)
subtract = _op("subtract", torch.sub)
multiply = _op("multiply", torch.mul)
divide = _op("divide", torch.div)
maximum = _op("maximum", lambda a, b: torch.maximum(a, convert_to_tensor(b)))
minimum = _op("minimum", lambda a, b: torch.minimum(a, convert_to_tensor(b)))
square = _op("square", torch.square)
sqrt = _op("sqrt", torch.sqrt)
exp = _op("exp", torch.exp)
log = _op("log", torch.log)
abs = _op("abs", torch.abs)  # noqa: A001
matmul = _op("matmul", torch.matmul)
_reshape = _op("reshape", lambda x, shape: torch.reshape(x, tuple(shape)))
_transpose = _op("transpose", lambda x, perm=None: x.permute(*perm) if perm else x.T)


def reshape(tensor, shape, name=None):
    """tf.reshape, with TensorFlow's argument names (keras.ops calls the shape `newshape`)."""
    return _reshape(tensor, shape)


def transpose(a, perm=None, conjugate=False, name=None):
    """tf.transpose, with TensorFlow's argument names (keras.ops calls the order `axes`)."""
    out = _transpose(a, perm)
    return out.conj() if conjugate and isinstance(out, torch.Tensor) and out.is_complex() else out
def _keeps_strings(op, numpy_fn):
    """`op`, except that text (str, or numpy arrays of str as the dataset builders yield) stays
    numpy: torch has no string tensors, and keraslite's string layers take numpy text."""
    def fn(x, *args, **kwargs):
        if _is_text(x):
            kwargs.pop("name", None)
            return numpy_fn(np.asarray(x), *args, **kwargs)
        return op(x, *args, **kwargs)

    fn.__name__ = op.__name__
    return fn


def _is_text(x):
    if isinstance(x, (str, bytes)):
        return True
    if isinstance(x, np.ndarray):
        return x.dtype.kind in "US" or (x.dtype.kind == "O" and x.size > 0 and isinstance(x.flat[0], (str, bytes)))
    return False


expand_dims = _keeps_strings(_op("expand_dims", lambda x, axis: torch.unsqueeze(x, axis)), np.expand_dims)
squeeze = _keeps_strings(_op("squeeze", lambda x, axis=None: torch.squeeze(x) if axis is None else
                             torch.squeeze(x, axis)), lambda x, axis=None: np.squeeze(x, axis))
concat = lambda values, axis, name=None: torch.cat([convert_to_tensor(v) for v in values], dim=axis)  # noqa: E731
stack = lambda values, axis=0, name=None: torch.stack([convert_to_tensor(v) for v in values], dim=axis)  # noqa: E731


def _arg_extreme(fn):
    def arg(input, axis=None, output_type=int64, name=None):  # noqa: A002
        x = convert_to_tensor(input)
        if x.dtype == torch.bool:
            x = x.to(torch.uint8)  # `tf.argmax(parts[-2] == class_names)`: TF takes booleans
        return fn(x, dim=0 if axis is None else axis).to(_torch_dtype(output_type))

    return arg


argmax, argmin = _arg_extreme(torch.argmax), _arg_extreme(torch.argmin)


def one_hot(indices, depth, on_value=None, off_value=None, axis=None, dtype=None, name=None):
    """TF's one_hot: indices outside [0, depth) give a row of off_value (segmentation code marks
    pixels to ignore with 255); on/off values set the dtype unless `dtype` does (else float32)."""
    from keraslite import ops

    if dtype is None:
        given = next((v for v in (on_value, off_value) if v is not None), None)
        dtype = convert_to_tensor(given).dtype if given is not None else float32
    dtype = _torch_dtype(dtype)
    hot = ops.one_hot(convert_to_tensor(indices), int(depth), axis=-1 if axis is None else axis, dtype="bool")
    on = torch.as_tensor(1 if on_value is None else on_value, dtype=dtype, device=hot.device)
    off = torch.as_tensor(0 if off_value is None else off_value, dtype=dtype, device=hot.device)
    return torch.where(hot, on, off)


def _shape_tuple(shape):
    """A shape argument as a tuple of ints: a list, tuple, TensorShape, 1-D tensor or array, or
    a single int (tf.zeros(3) is a vector of three zeros)."""
    if isinstance(shape, (int, np.integer)):
        return (int(shape),)
    if isinstance(shape, (torch.Tensor, np.ndarray)):
        return tuple(int(v) for v in shape.reshape(-1).tolist())
    return tuple(int(v) for v in shape)


zeros = lambda shape, dtype=float32, name=None: torch.zeros(_shape_tuple(shape), dtype=_torch_dtype(dtype or float32), device=_device())  # noqa: E731,E501
ones = lambda shape, dtype=float32, name=None: torch.ones(_shape_tuple(shape), dtype=_torch_dtype(dtype or float32), device=_device())  # noqa: E731,E501
zeros_like = lambda x, dtype=None, name=None: torch.zeros_like(convert_to_tensor(x), dtype=None if dtype is None else _torch_dtype(dtype))  # noqa: E731,E501
ones_like = lambda x, dtype=None, name=None: torch.ones_like(convert_to_tensor(x), dtype=None if dtype is None else _torch_dtype(dtype))  # noqa: E731,E501
shape = lambda x, out_type=int32, name=None: torch.tensor(tuple(convert_to_tensor(x).shape), dtype=_torch_dtype(out_type))  # noqa: E731,E501


def range(start, limit=None, delta=1, dtype=None, name=None):  # noqa: A001
    if limit is None:
        start, limit = 0, start
    out = torch.arange(start, limit, delta, device=_device())
    return out.to(_torch_dtype(dtype)) if dtype is not None else out


math = TFNamespace("tensorflow.math",
    reduce_mean=reduce_mean, reduce_sum=reduce_sum, reduce_max=reduce_max, reduce_min=reduce_min, add=add,
    subtract=subtract, multiply=multiply, divide=divide, maximum=maximum, minimum=minimum, square=square,
    sqrt=sqrt, exp=exp, log=log, abs=abs, argmax=argmax, argmin=argmin,
    sigmoid=_op("sigmoid", torch.sigmoid), tanh=_op("tanh", torch.tanh))
nn = TFNamespace("tensorflow.nn",
    relu=_op("relu", torch.relu), sigmoid=_op("sigmoid", torch.sigmoid), tanh=_op("tanh", torch.tanh),
    softplus=_op("softplus", torch.nn.functional.softplus), elu=_op("elu", torch.nn.functional.elu),
    selu=_op("selu", torch.selu), softsign=_op("softsign", torch.nn.functional.softsign),
    relu6=_op("relu6", torch.nn.functional.relu6), leaky_relu=lambda features, alpha=0.2, name=None:
        torch.nn.functional.leaky_relu(convert_to_tensor(features), alpha),
    softmax=lambda logits, axis=-1, name=None: torch.softmax(convert_to_tensor(logits), dim=axis),
    depth_to_space=lambda input, block_size, data_format="NHWC", name=None: _space_depth(  # noqa: A002
        "depth_to_space", input, block_size, data_format),
    space_to_depth=lambda input, block_size, data_format="NHWC", name=None: _space_depth(  # noqa: A002
        "space_to_depth", input, block_size, data_format))


def _space_depth(op, x, block_size, data_format):
    from keraslite.ops import nn as nn_ops

    layout = "channels_first" if data_format == "NCHW" else "channels_last"
    return getattr(nn_ops, op)(convert_to_tensor(x), int(block_size), data_format=layout)


linalg = TFNamespace("tensorflow.linalg", matmul=matmul)


# tf.strings on numpy text (what TextVectorization's `standardize=` callables receive, and
# what the dataset builders yield), so Keras tutorials' custom standardizations run as written.
def _text_map(fn):
    def apply(x):
        arr = np.asarray(x)
        flat = [fn(v.decode("utf-8") if isinstance(v, bytes) else str(v)) for v in arr.ravel().tolist()]
        out = np.array(flat, dtype=object).reshape(arr.shape)
        return out.astype(str) if out.size else out
    return apply


def _regex_replace(input, pattern, rewrite, replace_global=True, name=None):  # noqa: A002
    import re

    pattern = pattern.decode("utf-8") if isinstance(pattern, bytes) else pattern  # bytes work as in TF
    rewrite = rewrite.decode("utf-8") if isinstance(rewrite, bytes) else rewrite
    regex = re.compile(pattern)
    rewrite = re.sub(r"\\(\d)", r"\\g<\1>", rewrite)  # RE2's \1 back-references
    return _text_map(lambda s: regex.sub(rewrite, s, count=0 if replace_global else 1))(input)


def _substr(input, pos, len, unit="BYTE", name=None):  # noqa: A002
    """tf.strings.substr: `len` bytes (or UTF-8 characters) from `pos` of each string."""
    def cut(text):
        if unit == "UTF8_CHAR":
            return text[pos:pos + len]
        return text.encode("utf-8")[pos:pos + len].decode("utf-8", errors="ignore")

    return _text_map(cut)(input)


def _strings_length(input, name=None, unit="BYTE"):  # noqa: A002
    arr = np.asarray(input)
    count = (lambda s: len(s)) if unit == "UTF8_CHAR" else (lambda s: len(s.encode("utf-8")))
    return torch.as_tensor(np.array([count(str(v)) for v in arr.ravel().tolist()], dtype=np.int32).reshape(arr.shape))


def _to_number(string_tensor, out_type="float32", name=None):
    """tf.strings.to_number: parse each string (str or bytes) as a number of `out_type`."""
    dtype = _torch_dtype(out_type)
    arr = np.asarray(string_tensor, dtype=object)
    parse = float if dtype.is_floating_point else int
    values = []
    for v in arr.ravel().tolist():
        text = (v.decode("utf-8") if isinstance(v, bytes) else str(v)).strip()
        try:
            values.append(parse(text))
        except ValueError:
            raise ValueError(f"tf.strings.to_number could not convert the string {text!r} to "
                             f"{_dtype_name(dtype)}.") from None
    return torch.tensor(values, dtype=dtype).reshape(arr.shape)


strings = TFNamespace("tensorflow.strings",
    to_number=_to_number,
    lower=lambda input, encoding="", name=None: _text_map(  # noqa: A002
        (lambda s: s.lower()) if encoding else (lambda s: "".join(c.lower() if c < "\x80" else c for c in s)))(input),
    upper=lambda input, encoding="", name=None: _text_map(  # noqa: A002
        (lambda s: s.upper()) if encoding else (lambda s: "".join(c.upper() if c < "\x80" else c for c in s)))(input),
    regex_replace=_regex_replace, substr=_substr,
    strip=lambda input, name=None: _text_map(lambda s: s.strip(" \t\n\r\v\f"))(input),  # noqa: A002
    length=_strings_length,
)
string = DType("string")


# ---------------------------------------------------------------------------- tf.random

def _set_seed(seed):
    from keraslite.utils import set_random_seed

    set_random_seed(seed)


def _normal(shape, mean=0.0, stddev=1.0, dtype=float32, seed=None, name=None):
    gen = torch.Generator(device="cpu").manual_seed(seed) if seed is not None else None
    out = torch.normal(mean, stddev, size=tuple(shape), generator=gen, dtype=_torch_dtype(dtype))
    return out.to(_device())


def _uniform(shape, minval=0, maxval=None, dtype=float32, seed=None, name=None):
    gen = torch.Generator(device="cpu").manual_seed(seed) if seed is not None else None
    torch_dtype = _torch_dtype(dtype)
    if not torch_dtype.is_floating_point:
        # TF: integers drawn uniformly from [minval, maxval), which must be given.
        if maxval is None:
            raise ValueError(f"Must specify maxval for integer dtype {_dtype_name(dtype)} in tf.random.uniform.")
        out = torch.randint(int(minval), int(maxval), tuple(shape), generator=gen, dtype=torch_dtype)
        return out.to(_device())
    maxval = 1.0 if maxval is None else maxval
    out = torch.rand(tuple(shape), generator=gen, dtype=torch_dtype) * (maxval - minval) + minval
    return out.to(_device())


class _RandomGenerator:
    """tf.random.Generator: a random stream of its own (a torch generator), seeded with
    `from_seed` or from fresh entropy. Its numbers are torch's, not TensorFlow's Philox
    values; the same seed gives the same stream."""

    def __init__(self, seed=None, alg="auto_select"):
        self._gen = torch.Generator(device="cpu")
        if seed is None:
            self._gen.seed()
        else:
            self._gen.manual_seed(int(seed) & 0x7FFFFFFFFFFFFFFF)
        self.algorithm = alg

    @classmethod
    def from_seed(cls, seed, alg=None):
        return cls(seed, alg or "auto_select")

    @classmethod
    def from_non_deterministic_state(cls, alg=None):
        return cls(None, alg or "auto_select")

    def reset_from_seed(self, seed):
        self._gen.manual_seed(int(seed) & 0x7FFFFFFFFFFFFFFF)

    def make_seeds(self, count=1):
        """Seeds for the stateless random functions: an int64 tensor of shape (2, count)."""
        return torch.randint(-2 ** 63, 2 ** 63 - 1, (2, int(count)), dtype=torch.int64, generator=self._gen)

    def split(self, count=1):
        return [type(self)(int(torch.randint(0, 2 ** 62, (), generator=self._gen))) for _ in _builtin_range(int(count))]

    def normal(self, shape, mean=0.0, stddev=1.0, dtype=float32, name=None):
        out = torch.normal(float(mean), float(stddev), size=_shape_tuple(shape), generator=self._gen,
                           dtype=_torch_dtype(dtype))
        return out.to(_device())

    def uniform(self, shape, minval=0, maxval=None, dtype=float32, name=None):
        torch_dtype = _torch_dtype(dtype)
        if not torch_dtype.is_floating_point:
            if maxval is None:
                raise ValueError(f"Must specify maxval for integer dtype {_dtype_name(dtype)} in "
                                 "tf.random.Generator.uniform.")
            return torch.randint(int(minval), int(maxval), _shape_tuple(shape), generator=self._gen,
                                 dtype=torch_dtype).to(_device())
        maxval = 1.0 if maxval is None else maxval
        out = torch.rand(_shape_tuple(shape), generator=self._gen, dtype=torch_dtype) * (maxval - minval) + minval
        return out.to(_device())


def _gamma(shape, alpha, beta=None, dtype=float32, seed=None, name=None):
    """tf.random.gamma: samples of shape `shape + broadcast(alpha, beta).shape`; beta is the rate."""
    torch_dtype = _torch_dtype(dtype)
    alpha = torch.as_tensor(convert_to_tensor(alpha), dtype=torch_dtype).cpu()
    beta = torch.ones_like(alpha) if beta is None else torch.as_tensor(convert_to_tensor(beta), dtype=torch_dtype).cpu()
    alpha, beta = torch.broadcast_tensors(alpha, beta)
    draw = lambda: torch.distributions.Gamma(alpha, beta).sample(tuple(_shape_tuple(shape)))  # noqa: E731
    if seed is None:
        out = draw()
    else:  # an op seed, as _normal's: the global generator is left as it was
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            out = draw()
    return out.to(torch_dtype).to(_device())


set_random_seed = _set_seed  # TensorFlow 1.x's name (Korean Keras books start with tf.set_random_seed(3))
random = TFNamespace("tensorflow.random", set_seed=_set_seed, normal=_normal, uniform=_uniform, gamma=_gamma,
                     Generator=_RandomGenerator)


# TF 2's initializer aliases (`tf.random_normal_initializer()`, `tf.zeros_initializer()`), with
# TF's defaults; each is a keraslite initializer, called as `init(shape, dtype)`.
def random_normal_initializer(mean=0.0, stddev=0.05, seed=None):
    from keraslite import initializers

    return initializers.RandomNormal(mean=mean, stddev=stddev, seed=seed)


def random_uniform_initializer(minval=-0.05, maxval=0.05, seed=None):
    from keraslite import initializers

    return initializers.RandomUniform(minval=minval, maxval=maxval, seed=seed)


def zeros_initializer():
    from keraslite import initializers

    return initializers.Zeros()


def ones_initializer():
    from keraslite import initializers

    return initializers.Ones()


def constant_initializer(value=0):
    from keraslite import initializers

    return initializers.Constant(value)


# ---------------------------------------------------------------------------- tf.config / devices

PhysicalDevice = namedtuple("PhysicalDevice", ["name", "device_type"])


def list_physical_devices(device_type=None):
    """CPU:0 plus one GPU per visible CUDA device (what torch sees)."""
    found = [PhysicalDevice("/physical_device:CPU:0", "CPU")]
    if torch.cuda.is_available():
        found += [PhysicalDevice(f"/physical_device:GPU:{i}", "GPU") for i in _builtin_range(torch.cuda.device_count())]
    if device_type is None:
        return found
    return [d for d in found if d.device_type == str(device_type).upper()]


def _builtin_range(n):
    import builtins

    return builtins.range(n)


def _noop(*args, **kwargs):
    return None


def enable_op_determinism():
    """tf.config.experimental.enable_op_determinism: torch's deterministic algorithms (with
    cuBLAS's fixed workspace on CUDA, and cuDNN's autotuner off). Ops torch has no deterministic
    version of warn rather than fail, so a tutorial that asks for determinism still runs."""
    import os

    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    torch.backends.cudnn.benchmark = False
    torch.use_deterministic_algorithms(True, warn_only=True)


config = TFNamespace("tensorflow.config",
    list_physical_devices=list_physical_devices,
    list_logical_devices=lambda device_type=None: [d._replace(name=d.name.replace("physical_device", "device"))
                                                   for d in list_physical_devices(device_type)],
    set_visible_devices=_noop,
    run_functions_eagerly=_noop,
    experimental=TFNamespace("tensorflow.config.experimental", list_physical_devices=list_physical_devices,
                             set_memory_growth=_noop, set_visible_devices=_noop,
                             enable_op_determinism=enable_op_determinism),
    threading=TFNamespace("tensorflow.config.threading",
                          set_intra_op_parallelism_threads=lambda n: torch.set_num_threads(n) if n else None,
                          get_intra_op_parallelism_threads=torch.get_num_threads,
                          set_inter_op_parallelism_threads=_noop,
                          get_inter_op_parallelism_threads=lambda: 0),  # 0: the system's choice, as in TF
    # Graph-compiler switches (XLA, grappler passes) have no meaning for eager torch execution.
    optimizer=TFNamespace("tensorflow.config.optimizer", set_jit=_noop, get_jit=lambda: "",
                          set_experimental_options=_noop, get_experimental_options=lambda: {}),
)
test = TFNamespace("tensorflow.test", is_gpu_available=lambda *a, **k: torch.cuda.is_available(),
                             gpu_device_name=lambda: "/device:GPU:0" if torch.cuda.is_available() else "",
                             is_built_with_cuda=lambda: torch.version.cuda is not None,
                             is_built_with_gpu_support=lambda: torch.version.cuda is not None)
sysconfig = TFNamespace("tensorflow.sysconfig", get_build_info=lambda: {
    "is_cuda_build": torch.version.cuda is not None, "cuda_version": torch.version.cuda,
    "cudnn_version": torch.backends.cudnn.version() if torch.version.cuda else None})


def get_logger():
    """The 'tensorflow' logger, so `tf.get_logger().setLevel('ERROR')` works."""
    import logging

    return logging.getLogger("tensorflow")


def _set_verbosity(level):
    get_logger().setLevel(level)


autograph = TFNamespace("tensorflow.autograph", set_verbosity=lambda level, alsologtostdout=False: None)
debugging = TFNamespace("tensorflow.debugging", set_log_device_placement=_noop)
def _disable_eager_execution():
    """A no-op: keraslite always runs eagerly. Keras models built, trained and evaluated after
    this call give the same results eagerly; graph-only APIs (tf.compat.v1.Session.run,
    placeholder) raise where a program uses them."""
    import warnings

    warnings.warn("tf.compat.v1.disable_eager_execution(): keraslite runs eagerly only; the call is ignored "
                  "(Keras model code gives the same results; Session.run and placeholders are not "
                  "available).", stacklevel=2)


def as_bytes(bytes_or_text, encoding="utf-8"):
    """tf.compat.as_bytes: str is encoded, bytes / bytearray come back as bytes."""
    if isinstance(bytes_or_text, bytearray):
        return bytes(bytes_or_text)
    if isinstance(bytes_or_text, str):
        return bytes_or_text.encode(encoding)
    if isinstance(bytes_or_text, bytes):
        return bytes_or_text
    raise TypeError(f"Expected binary or unicode string, got {bytes_or_text!r}")


def as_text(bytes_or_text, encoding="utf-8"):
    """tf.compat.as_text (and as_str): bytes are decoded, str comes back as is."""
    if isinstance(bytes_or_text, str):
        return bytes_or_text
    if isinstance(bytes_or_text, (bytes, bytearray)):
        return bytes(bytes_or_text).decode(encoding)
    raise TypeError(f"Expected binary or unicode string, got {bytes_or_text!r}")


compat = TFNamespace("tensorflow.compat", as_bytes=as_bytes, as_text=as_text, as_str=as_text,
                               path_to_str=lambda path: os.fspath(path) if hasattr(path, "__fspath__") else path,
                               dimension_value=lambda d: getattr(d, "value", d),
                               dimension_at_index=lambda shape, index: _more_ops.TensorShape(shape)[index],
                               v1=TFNamespace("tensorflow.compat.v1", _fallback=__name__,
    set_random_seed=lambda seed: _set_seed(seed),
    disable_eager_execution=_disable_eager_execution,
    enable_eager_execution=lambda *args, **kwargs: None,
    disable_v2_behavior=_disable_eager_execution,
    executing_eagerly=lambda: True,
    logging=types.SimpleNamespace(set_verbosity=_set_verbosity, DEBUG=10, INFO=20, WARN=30, ERROR=40, FATAL=50),
))


class _ReduceOp:
    SUM = "SUM"
    MEAN = "MEAN"


class _OneReplicaStrategy:
    """tf.distribute strategies (MirroredStrategy, OneDeviceStrategy, ...) as one replica: the
    model trains in this process on keraslite's device (backend.get_device()). In a program
    started by torchrun in N processes, `num_replicas_in_sync` is N (a program sizes its global
    batch with it) and fit() trains data-parallel across them (keraslite.training.distributed);
    datasets stay whole in each process, which fit() cuts."""

    def __init__(self, *args, **kwargs):
        pass

    @property
    def num_replicas_in_sync(self):
        from keraslite.training import distributed

        return distributed.world_size()

    def scope(self):
        return contextlib.nullcontext()

    def experimental_distribute_dataset(self, dataset, options=None):
        return dataset

    def distribute_datasets_from_function(self, dataset_fn, options=None):
        return dataset_fn(types.SimpleNamespace(num_input_pipelines=1, input_pipeline_id=0,
                                                num_replicas_in_sync=1,
                                                get_per_replica_batch_size=lambda global_batch_size: global_batch_size))

    def run(self, fn, args=(), kwargs=None, options=None):
        return fn(*args, **(kwargs or {}))

    def reduce(self, reduce_op, value, axis=None):
        if axis is None:
            return value
        value = convert_to_tensor(value)
        op = getattr(reduce_op, "value", reduce_op)
        return torch.sum(value, dim=axis) if str(op).upper().endswith("SUM") else torch.mean(value, dim=axis)

    def experimental_local_results(self, value):
        return (value,)


distribute = TFNamespace("tensorflow.distribute", MirroredStrategy=_OneReplicaStrategy,
                         OneDeviceStrategy=_OneReplicaStrategy, MultiWorkerMirroredStrategy=_OneReplicaStrategy,
                         Strategy=_OneReplicaStrategy, ReduceOp=_ReduceOp, get_strategy=lambda: _OneReplicaStrategy(),
                         has_strategy=lambda: False)


@contextlib.contextmanager
def name_scope(name, *args, **kwargs):
    """Names are not scoped (keraslite tensors carry no names); the block just runs."""
    yield name


class device:
    """`with tf.device('/GPU:0'):` placement is keraslite's (KERASLITE_DEVICE /
    keraslite.backend.set_device), so the block just runs. The object keeps the name as given
    in `_device_name`, as TensorFlow's does (`try_gpu()._device_name`)."""

    def __init__(self, device_name):
        self._device_name = device_name

    def __enter__(self):
        return None

    def __exit__(self, *exc):
        return False

    def __repr__(self):
        return f"tf.device({self._device_name!r})"


class IndexedSlices:
    """TensorFlow's sparse gradient (rows `values` at `indices` of a tensor of `dense_shape`).
    Gradients here are always dense tensors, so `isinstance(grad, tf.IndexedSlices)` is False;
    the class exists for code that checks."""

    def __init__(self, values, indices, dense_shape=None):
        self.values = values
        self.indices = indices
        self.dense_shape = dense_shape

    def __repr__(self):
        return f"IndexedSlices(indices={self.indices!r}, values={self.values!r}, dense_shape={self.dense_shape!r})"


def executing_eagerly():
    return True


def _signature_converter(func, input_signature):
    """For `tf.function(input_signature=...)`: a function (args, kwargs) -> (args, kwargs) with
    each argument the signature covers converted to a tensor of its TensorSpec's dtype and
    checked against its shape, as TensorFlow does (numpy arrays and numbers arrive as tensors).
    The `self` of a function defined in a class body is not part of the signature."""
    import inspect

    specs = list(input_signature)
    parameters = [p.name for p in inspect.signature(func).parameters.values()
                  if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    qualname = getattr(func, "__qualname__", "")
    in_class = "." in qualname and not qualname.rsplit(".", 1)[0].endswith("<locals>")
    skip = 1 if parameters and in_class and not inspect.ismethod(func) else 0
    names = parameters[skip:]
    if len(specs) > len(names):
        raise TypeError(f"tf.function: input_signature has {len(specs)} TensorSpecs but "
                        f"{getattr(func, '__name__', 'the function')} takes {len(names)} positional arguments"
                        f"{' besides self' if skip else ''}. Give one TensorSpec per argument.")

    def convert(args, kwargs):
        args, kwargs = list(args), dict(kwargs)
        for i, (name, spec) in enumerate(zip(names, specs)):
            if skip + i < len(args):
                args[skip + i] = _conform_to_spec(args[skip + i], spec, name)
            elif name in kwargs:
                kwargs[name] = _conform_to_spec(kwargs[name], spec, name)
        return tuple(args), kwargs

    return convert


def _conform_to_spec(value, spec, name):
    """`value` as a tensor of `spec`'s dtype (a list / tuple / dict of specs: a structure of them)."""
    if isinstance(spec, (list, tuple)):
        if not isinstance(value, (list, tuple)) or len(value) != len(spec):
            raise TypeError(f"tf.function: argument '{name}' should be a sequence of {len(spec)} values to match "
                            f"input_signature, got {type(value).__name__}.")
        return type(value)(_conform_to_spec(v, s, name) for v, s in zip(value, spec))
    if isinstance(spec, dict):
        if not isinstance(value, dict) or set(value) != set(spec):
            raise TypeError(f"tf.function: argument '{name}' should be a dict with keys {sorted(spec)} to match "
                            "input_signature.")
        return {k: _conform_to_spec(value[k], spec[k], name) for k in value}
    if not isinstance(spec, data.TensorSpec):
        return value
    tensor = convert_to_tensor(value, dtype=spec.dtype)
    if not spec.is_compatible_with(tensor):
        raise ValueError(f"tf.function: argument '{name}' has shape {tuple(np.shape(tensor))}, which does not match "
                         f"input_signature's {spec}. Pass a value of that shape or relax the TensorSpec's shape "
                         "(None for any size).")
    return tensor


def function(func=None, **kwargs):
    """@tf.function: keraslite runs eagerly, so the function runs as written; as in TensorFlow,
    a Python number it returns comes back as a tensor."""
    if func is None:
        return lambda f: function(f, **kwargs)
    if getattr(func, "_keraslite_tf_function", False):
        return func

    signature = kwargs.get("input_signature")
    convert = _signature_converter(func, signature) if signature is not None else None

    @functools.wraps(func)
    def traced(*args, **kw):
        if convert is not None:
            args, kw = convert(args, kw)
        out = func(*args, **kw)
        return convert_to_tensor(out) if isinstance(out, numbers.Number) else out

    traced._keraslite_tf_function = True
    traced.python_function = func
    traced.get_concrete_function = lambda *a, **k: traced
    return traced


# ---------------------------------------------------------------------------- tf.data, tapes, more ops

from keraslite.compat import tf_data as data  # noqa: E402
from keraslite.compat import tf_ops as _more_ops  # noqa: E402
from keraslite.compat.tf_autodiff import (GradientTape, Module, UnconnectedGradients, Variable,  # noqa: E402,F401
                                          custom_gradient,
                                          install_eager_numpy as _install_eager_numpy, stop_gradient)

TensorSpec = data.TensorSpec
globals().update(_more_ops.TOP_LEVEL)
math.__dict__.update(_more_ops.MATH)
nn.__dict__.update(_more_ops.NN)


# The tf.nn / tf.math functions that equal a Keras activation at their defaults carry its name,
# so a layer built with `activation=tf.nn.softmax` saves as 'softmax' (as TensorFlow writes it)
# and reloads as keraslite's softmax.
for _space, _names in ((nn, ("relu", "sigmoid", "tanh", "softplus", "softsign", "elu", "selu", "relu6",
                             "leaky_relu", "gelu", "swish", "silu", "softmax", "log_softmax", "log_sigmoid")),
                       (math, ("sigmoid", "tanh", "softplus", "softsign", "softmax", "log_softmax", "log_sigmoid"))):
    for _name in _names:
        _fn = _space.__dict__.get(_name)
        if _fn is not None:
            _fn._keras_activation = "silu" if _name == "swish" else _name
random.__dict__.update(_more_ops.RANDOM)
random.experimental = TFNamespace("tensorflow.random.experimental", stateless_split=_more_ops.random_split,
                                  stateless_fold_in=_more_ops.fold_in, Generator=_RandomGenerator)


class TensorArray:
    """tf.TensorArray, eagerly: a list of tensors. `write` returns the array (TensorFlow code
    rebinds it: `ta = ta.write(i, x)`); `stack` / `concat` / `gather` / `read` read it back.
    As TensorFlow's, the element shape comes from `element_shape` and every write (infer_shape),
    and slots never written read as zeros of that shape."""

    def __init__(self, dtype, size=None, dynamic_size=None, clear_after_read=None, tensor_array_name=None,
                 handle=None, flow=None, infer_shape=True, element_shape=None, colocate_with_first_write_call=True,
                 name=None):
        self.dtype = dtype
        self._dynamic = True if dynamic_size else False  # (`bool` is tf.bool here)
        self._infer_shape = True if infer_shape else False
        self._items = [None] * (int(size) if size is not None else 0)
        self._element_shape = _more_ops.TensorShape(element_shape)

    @property
    def element_shape(self):
        return self._element_shape

    def _index(self, index):
        i = int(index)
        if i >= len(self._items):
            if not self._dynamic and self._items:
                raise IndexError(f"tf.TensorArray: index {i} is out of range for an array of size "
                                 f"{len(self._items)}; create it with dynamic_size=True to let it grow.")
            self._items.extend([None] * (i + 1 - len(self._items)))
        return i

    def write(self, index, value, name=None):
        value = convert_to_tensor(value, dtype=self.dtype)
        known = self._element_shape.dims
        shape = list(value.shape)
        if known is not None and (len(known) != len(shape) or any(k is not None and k != d
                                                                  for k, d in zip(known, shape))):
            raise ValueError(f"Incompatible shape for value ({tuple(shape)}), expected ({self._element_shape}): "
                             "every element of a tf.TensorArray has the same shape.")
        if self._infer_shape:
            self._element_shape = _more_ops.TensorShape(shape)
        self._items[self._index(index)] = value
        return self

    def _maybe_zero(self, index):
        """Element `index`, or zeros of the element shape where it was never written."""
        value = self._items[index]
        if value is None:
            if not self._element_shape.is_fully_defined():
                raise ValueError(
                    f"tf.TensorArray: element {index} was never written and the element shape is "
                    f"{'unknown' if self._element_shape.dims is None else self._element_shape}, so it cannot be "
                    "filled with zeros. (Traced in a tf.function, TensorFlow takes the shape from the write calls "
                    "in the code even when they never run; keraslite runs the function eagerly.) Pass "
                    "element_shape= to tf.TensorArray.")
            value = self._items[index] = torch.zeros(tuple(self._element_shape.dims), dtype=_torch_dtype(self.dtype),
                                                     device=_device())
        return value

    def read(self, index, name=None):
        i = int(index)
        if not 0 <= i < len(self._items):
            raise IndexError(f"tf.TensorArray: tried to read from index {i} but the array size is {len(self._items)}.")
        return self._maybe_zero(i)

    def stack(self, name=None):
        if not self._items:
            known = self._element_shape.dims if self._element_shape.is_fully_defined() else []
            return torch.zeros((0, *known), dtype=_torch_dtype(self.dtype), device=_device())
        return torch.stack([self._maybe_zero(i) for i, _ in enumerate(self._items)])

    def concat(self, name=None):
        return torch.cat([self._maybe_zero(i) for i, _ in enumerate(self._items)])

    def gather(self, indices, name=None):
        return torch.stack([self.read(i) for i in _more_ops._ints(indices)])

    def unstack(self, value, name=None):
        self._items = list(torch.unbind(convert_to_tensor(value, dtype=self.dtype)))
        return self

    def scatter(self, indices, value, name=None):
        for i, v in zip(_more_ops._ints(indices), torch.unbind(convert_to_tensor(value, dtype=self.dtype))):
            self.write(i, v)
        return self

    def size(self, name=None):
        return torch.tensor(len(self._items), dtype=torch.int32)

    def close(self, name=None):
        self._items = []
linalg.__dict__.update(_more_ops.LINALG)
sigmoid, tanh = math.sigmoid, math.tanh  # keraslite.ops-backed, as tf.math's
# The core functions that convert their input themselves also accept KerasTensors (a node of
# the functional model being built); those mapped to keraslite.ops already do.
for _name in ("reduce_mean", "reduce_sum", "reduce_max", "reduce_min", "concat", "stack", "argmax", "argmin",
              "one_hot", "cast", "zeros_like", "ones_like", "shape"):
    globals()[_name].__name__ = _name
    globals()[_name] = _more_ops.symbolic_aware(globals()[_name])
    if _name in math.__dict__:
        setattr(math, _name, globals()[_name])
nn.softmax = _more_ops.symbolic_aware(nn.softmax)
dtypes.cast = cast
dtypes.DType = DType
dtypes.string = string
matmul = linalg.matmul  # TensorFlow's signature: transpose_a / transpose_b

from keraslite.compat import tf_image as _tf_image  # noqa: E402

image, io, signal, summary = _tf_image.image, _tf_image.io, _tf_image.signal, _tf_image.summary
from keraslite.compat.tf_audio import audio  # noqa: E402,F401

from keraslite.compat import tf_checkpoint as _tf_checkpoint  # noqa: E402
from keraslite.compat import tf_lookup as _tf_lookup  # noqa: E402
from keraslite.compat import tf_ragged as _tf_ragged  # noqa: E402
from keraslite.compat import tf_v1 as _tf_v1  # noqa: E402

RaggedTensor, SparseTensor = _tf_ragged.RaggedTensor, _tf_ragged.SparseTensor


def _ragged_constant(pylist, dtype=None, ragged_rank=None, inner_shape=None, name=None, row_splits_dtype=None):
    """tf.ragged.constant for one ragged dimension: rows of values, or (ragged_rank=1) rows of
    equal-shape items (`tf.ragged.constant(chorales, ragged_rank=1)`: each row (n_i, 4))."""
    if ragged_rank not in (None, 1):
        raise NotImplementedError(f"tf.ragged.constant(ragged_rank={ragged_rank}): only one ragged dimension "
                                  "(ragged_rank=1) is supported; pad the inner lists to equal lengths.")
    value = RaggedTensor.from_rows(pylist)
    if _tf_ragged._is_text_array(value.flat_values):
        return value
    if dtype is None:  # Python numbers as tf.constant takes them: int32 / float32
        dtype = {torch.int64: int32, torch.float64: float32}.get(value.flat_values.dtype)
    if dtype is not None:
        value = value.with_flat_values(value.flat_values.to(_torch_dtype(dtype)))
    return value


ragged = TFNamespace("tensorflow.ragged", constant=_ragged_constant, map_flat_values=_tf_ragged.map_flat_values)
sparse = TFNamespace("tensorflow.sparse", SparseTensor=SparseTensor, to_dense=_tf_ragged.sparse_to_dense)


def _elementwise_on_ragged(fn):
    """A tf.strings function of one string per element, applied to a RaggedTensor's flat values
    (TensorFlow's elementwise string ops keep the rows: `to_number(strings.split(...))`)."""
    @functools.wraps(fn)
    def apply(input, *args, **kwargs):  # noqa: A002
        if isinstance(input, RaggedTensor):
            return input.map_flat_values(lambda values: fn(values, *args, **kwargs))
        return fn(input, *args, **kwargs)

    return apply


for _name in ("to_number", "lower", "upper", "regex_replace", "substr", "strip", "length"):
    setattr(strings, _name, _elementwise_on_ragged(getattr(strings, _name)))
strings.unicode_split = _tf_ragged.unicode_split
strings.bytes_split = _tf_ragged.bytes_split
strings.ngrams = _tf_ragged.ngrams
strings.reduce_join = _tf_ragged.reduce_join
strings.join = _tf_ragged.join
strings.split = _tf_image.strings_split


def _latest_checkpoint(checkpoint_dir, latest_filename=None):
    from keraslite.saving import checkpoint_state

    return checkpoint_state.latest(checkpoint_dir, latest_filename)


def _load_checkpoint(ckpt_dir_or_file):
    from keraslite.saving import tf_bundle

    return tf_bundle.CheckpointReader(ckpt_dir_or_file)


def _list_variables(ckpt_dir_or_file):
    from keraslite.saving import tf_bundle

    return tf_bundle.list_variables(ckpt_dir_or_file)


# tf.train: the latest weights saved under a checkpoint name, Checkpoint(Manager) objects, and
# reading TensorFlow's own checkpoints (load_checkpoint / list_variables).
train = TFNamespace("tensorflow.train", latest_checkpoint=_latest_checkpoint, Checkpoint=_tf_checkpoint.Checkpoint,
                    CheckpointManager=_tf_checkpoint.CheckpointManager, load_checkpoint=_load_checkpoint,
                    list_variables=_list_variables, **_tf_v1.TRAIN)
io.decode_csv = data.decode_csv
errors = _tf_lookup.errors
lookup = TFNamespace("tensorflow.lookup", StaticHashTable=_tf_lookup.StaticHashTable,
                     StaticVocabularyTable=_tf_lookup.StaticVocabularyTable,
                     KeyValueTensorInitializer=_tf_lookup.KeyValueTensorInitializer,
                     TextFileInitializer=_tf_lookup.TextFileInitializer, TextFileIndex=_tf_lookup.TextFileIndex)
saved_model = TFNamespace("tensorflow.saved_model", save=_tf_checkpoint.saved_model_save,
                          load=_tf_checkpoint.saved_model_load)


def _nest():
    from keraslite import tree

    def flatten(structure, expand_composites=False):
        return tree.flatten(structure)

    def map_structure(func, *structure, check_types=True, expand_composites=False):
        return tree.map_structure(func, *structure)

    return types.SimpleNamespace(flatten=flatten, map_structure=map_structure,
                                 pack_sequence_as=tree.pack_sequence_as, is_nested=tree.is_nested,
                                 assert_same_structure=tree.assert_same_structure)


nest = _nest()


# tf.losses: keraslite.losses (TF 2's tf.losses is tf.keras.losses), plus TF 1's
# `sparse_softmax_cross_entropy(labels, logits)` / `softmax_cross_entropy(onehot_labels, logits)`,
# which Keras has no function of that name for.
losses = TFNamespace("tensorflow.losses", _fallback="keraslite.losses", **_tf_v1.LOSSES)


def _multinomial(logits, num_samples, seed=None, name=None, output_dtype=None):
    return random.categorical(logits, num_samples, dtype=output_dtype, seed=seed)


random.multinomial = _multinomial
# TF 1's spellings of the functions above, at the top level and under tf.compat.v1.
_TF1_NAMES = dict(
    _tf_v1.SESSIONS, logging=_tf_v1.logging, gfile=_tf_v1.gfile(io.gfile), multinomial=_multinomial,
    random_normal=random.normal, random_uniform=random.uniform, truncated_normal=random.truncated_normal,
    to_float=lambda x, name="ToFloat": cast(x, float32), to_int32=lambda x, name="ToInt32": cast(x, int32),
    to_int64=lambda x, name="ToInt64": cast(x, int64), to_double=lambda x, name="ToDouble": cast(x, float64),
    count_nonzero=_more_ops.count_nonzero, enable_eager_execution=lambda *args, **kwargs: None,
    enable_v2_behavior=lambda: None, executing_eagerly=lambda: True,
    # TF 1's top-level spellings of tf.linalg functions
    matrix_band_part=_more_ops.LINALG["band_part"], matrix_transpose=_more_ops.LINALG["matrix_transpose"],
    matrix_inverse=_more_ops.LINALG["inv"], matrix_determinant=_more_ops.LINALG["det"],
    matrix_diag=_more_ops.LINALG["diag"], matrix_diag_part=_more_ops.LINALG["diag_part"],
    trace=_more_ops.LINALG["trace"])
globals().update(_TF1_NAMES)
compat.v1.__dict__.update(_TF1_NAMES, train=TFNamespace("tensorflow.compat.v1.train", _fallback=train),
                          losses=TFNamespace("tensorflow.compat.v1.losses", _fallback="keraslite.losses",
                                             **_tf_v1.V1_LOSSES),
                          nn=TFNamespace("tensorflow.compat.v1.nn", _fallback=nn, dropout=_tf_v1.dropout),
                          image=TFNamespace("tensorflow.compat.v1.image", _fallback=image, resize=_tf_image.resize_v1))
compat.v2 = sys.modules[__name__]  # tf.compat.v2 is the TF 2 API: this module


# Eager checks: tf.Assert and the tf.debugging assertions raise tf.errors.InvalidArgumentError
# when they fail and return None otherwise; tf.control_dependencies only scopes its block.
def Assert(condition, data, summarize=None, name=None):  # noqa: N802
    if not np.all(np.asarray(_more_ops._tensor(condition).cpu())):
        shown = ", ".join(str(d.tolist() if isinstance(d, torch.Tensor) else d) for d in data)
        raise errors.InvalidArgumentError(f"assertion failed: [{shown}]")


def _comparison_assert(compare, relation):
    def check(x, y, message=None, summarize=None, name=None, data=None):
        x, y = _more_ops._tensor(x), _more_ops._tensor(y)
        if not torch.all(compare(x, y.to(x.device))).item():
            raise errors.InvalidArgumentError(
                f"{message + ' ' if message else ''}Condition x {relation} y did not hold. x = {x.tolist()}, "
                f"y = {y.tolist()}")

    return check


_ASSERTS = dict(assert_equal=_comparison_assert(torch.eq, "=="), assert_none_equal=_comparison_assert(torch.ne, "!="),
                assert_greater=_comparison_assert(torch.gt, ">"), assert_less=_comparison_assert(torch.lt, "<"),
                assert_greater_equal=_comparison_assert(torch.ge, ">="),
                assert_less_equal=_comparison_assert(torch.le, "<="))
globals().update(_ASSERTS)
debugging.__dict__.update(_ASSERTS, Assert=Assert)


@contextlib.contextmanager
def control_dependencies(control_inputs):
    """Eagerly the listed ops have already run; the block just runs."""
    yield


def _set_intersection(a, b, validate_indices=True):
    """tf.sets.intersection of two dense tensors: per row (all but the last axis), the sorted
    values found in both rows' last axes, as a SparseTensor of dense shape rows + (largest count,)."""
    a_values, b_values = np.asarray(_more_ops._tensor(a).cpu()), np.asarray(_more_ops._tensor(b).cpu())
    if a_values.ndim < 2 or a_values.shape[:-1] != b_values.shape[:-1]:
        raise ValueError(f"tf.sets.intersection: a and b need rank 2 or more and the same leading dimensions; got "
                         f"shapes {a_values.shape} and {b_values.shape}.")
    rows = a_values.shape[:-1]
    indices, values, width = [], [], 0
    for row in np.ndindex(*rows):
        common = np.intersect1d(a_values[row], b_values[row])
        width = max(width, len(common))
        indices += [(*row, k) for k in _builtin_range(len(common))]
        values += common.tolist()
    return SparseTensor(np.asarray(indices, np.int64).reshape(-1, len(rows) + 1),
                        np.asarray(values, dtype=a_values.dtype), (*rows, width))


sets = TFNamespace("tensorflow.sets", intersection=_set_intersection, set_intersection=_set_intersection)
sparse_tensor_to_dense = _tf_ragged.sparse_to_dense  # TF 1's name for tf.sparse.to_dense
random_shuffle = random.shuffle  # TF 1's name


# tf.feature_column (and tf.compat.v1.feature_column): keraslite.compat.tf_feature_column; its
# DenseFeatures layer is tf.keras.layers.DenseFeatures (see aliases.TF_KERAS_ONLY).
feature_column = TFNamespace("tensorflow.feature_column", **{
    name: getattr(_tf_feature_column, name) for name in _tf_feature_column.__all__ if name != "DenseFeatures"})


def _accept_tf_keywords(namespaces):
    """Every public function of the shim's top level and of tf.math / tf.nn / tf.linalg /
    tf.compat.v1 also takes TensorFlow's other spellings of its arguments (tf_ops.tf_keywords);
    a function published under several names stays one object."""
    done = {}
    for space in namespaces:
        for key, value in list(space.items()):
            if key.startswith("_") or not isinstance(value, types.FunctionType):
                continue
            if id(value) not in done:
                done[id(value)] = (value, _more_ops.tf_keywords(value))
            space[key] = done[id(value)][1]


_accept_tf_keywords([globals(), math.__dict__, nn.__dict__, linalg.__dict__, compat.v1.__dict__])
# TF 2's tf.metrics / tf.optimizers / tf.initializers are tf.keras's (tf.losses above); imported on first use.
_KERAS_MODULES = {"metrics": "keraslite.metrics", "optimizers": "keraslite.optimizers",
                  "initializers": "keraslite.initializers"}
_install_eager_numpy()


def __getattr__(name):
    if name in _KERAS_MODULES:
        import importlib

        return importlib.import_module(_KERAS_MODULES[name])
    raise AttributeError(
        f"module 'tensorflow' has no attribute '{name}': keraslite's tensorflow shim does not provide "
        f"tf.{name}. It covers tf.keras, dtypes, tf.random.set_seed, tf.config.list_physical_devices, "
        "tf.constant/convert_to_tensor/cast, tf.data, tf.GradientTape, tf.Variable, common tensor, math and nn "
        "ops, tf.image, tf.io, tf.signal.stft and eager control flow. Use torch or keraslite.ops for the rest.")
