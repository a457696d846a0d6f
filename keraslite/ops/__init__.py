"""`keras.ops` on torch tensors, with Keras's argument names and semantics (axis / keepdims,
numpy-style broadcasting, population variance, ...). Also the functions Keras 2 code reaches
as `K.*` through `keraslite.backend` (K.sum, K.mean, K.square, K.epsilon, K.l2_normalize,
K.batch_dot, K.variable, K.constant, ...).

Inputs may be torch tensors, numpy arrays, Python lists or scalars: they are converted
(Python floats become floatx, Python ints int32, as in Keras). Called on symbolic tensors
(KerasTensor) while a functional model is built, an op becomes a node of the graph
(keraslite.models.functional.SymbolicOp).

Owns only these functions; layers, losses and metrics use torch directly.
"""
import builtins
import functools
import math

import numpy as np
import torch
import torch.nn.functional as F

from keraslite import backend
from keraslite.layers.keras_tensor import KerasTensor

_py_any, _py_all, _py_max, _py_min, _py_abs, _py_round, _py_slice, _py_sum = (
    builtins.any, builtins.all, builtins.max, builtins.min, builtins.abs, builtins.round, builtins.slice, builtins.sum)


# ----------------------------------------------------------------------------- conversion

def _holds_symbolic(value):
    if isinstance(value, KerasTensor):
        return True
    if isinstance(value, (list, tuple)):
        return _py_any(_holds_symbolic(v) for v in value)
    if isinstance(value, dict):
        return _py_any(_holds_symbolic(v) for v in value.values())
    return False


def _is_symbolic(args, kwargs):
    """Whether any argument is, or (at any depth of lists, tuples and dicts) holds, a KerasTensor."""
    for a in args:  # a plain loop: this runs on every eager op call
        if _holds_symbolic(a):
            return True
    for v in kwargs.values():
        if _holds_symbolic(v):
            return True
    return False


def _op(fn, name=None):
    """Route calls on KerasTensors to a graph node (recorded as `name`, default the function's
    own, so a saved model finds it again); plain tensors go straight to `fn`."""
    name = name or fn.__name__

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        if _is_symbolic(args, kwargs):
            from keraslite.models.functional import symbolic_named_op

            return symbolic_named_op(name, args, kwargs)
        return fn(*args, **kwargs)

    wrapper._raw = fn
    return wrapper


def _default_dtype(x):
    """The Keras dtype of a Python value: floats -> floatx, ints -> int32, bools -> bool."""
    if isinstance(x, bool):
        return torch.bool
    if isinstance(x, int):
        return torch.int32
    if isinstance(x, float):
        return backend.torch_dtype(backend.floatx())
    return None


def _t(x, dtype=None):
    """Any array-like -> torch tensor (numpy keeps its dtype; Python values as Keras). A weight
    stored permuted (a Conv2D kernel is kept (out, in, kh, kw)) is read in its Keras layout, as
    ops.shape reports it: `ops.sum(conv.kernel, axis=-1)` sums over the input channels."""
    if isinstance(x, torch.Tensor):
        if type(x) is not torch.Tensor and getattr(x, "keras_layout", None) is not None:
            x = x.keras_value()
        return x if dtype is None else x.to(backend.torch_dtype(dtype))
    if isinstance(x, KerasTensor):
        raise TypeError(f"A symbolic tensor {x} cannot be converted to a concrete tensor. Use it inside a "
                        "layer or a functional model instead.")
    torch_dtype = None if dtype is None else backend.torch_dtype(dtype)
    if isinstance(x, (np.ndarray, np.generic)):
        x = np.asarray(x)
        if x.dtype.name == "bfloat16":  # an ml_dtypes array (what convert_to_numpy gives for bfloat16)
            return torch.as_tensor(x.astype(np.float32)).to(torch_dtype or torch.bfloat16)
        return torch.as_tensor(backend.torch_ready(x), dtype=torch_dtype)
    if hasattr(x, "numpy") and not isinstance(x, (list, tuple)):
        return torch.as_tensor(np.asarray(x.numpy()), dtype=torch_dtype)
    if isinstance(x, (list, tuple)):
        if x and _py_all(isinstance(v, torch.Tensor) for v in x):
            out = torch.stack(list(x))
            return out if torch_dtype is None else out.to(torch_dtype)
        arr = np.asarray(x)
        if torch_dtype is None:
            if arr.dtype.kind == "f":
                torch_dtype = backend.torch_dtype(backend.floatx())
            elif arr.dtype.kind in "iu":
                torch_dtype = torch.int32
        return torch.as_tensor(arr, dtype=torch_dtype)
    if torch_dtype is None:
        torch_dtype = _default_dtype(x)
    return torch.as_tensor(x, dtype=torch_dtype)


def _layout_pair(a, b):
    from keraslite.layers.layer import IDENTITY, in_keras_layout

    if getattr(a, "keras_layout", IDENTITY) is not IDENTITY:
        a, b = in_keras_layout(a, _t(b) if isinstance(b, (list, tuple, np.ndarray)) else b)
    elif getattr(b, "keras_layout", IDENTITY) is not IDENTITY:
        b, a = in_keras_layout(b, _t(a) if isinstance(a, (list, tuple, np.ndarray)) else a)
    return a, b


def _pair(a, b):
    """Two operands as tensors; Python scalars stay scalars so torch's weak typing applies.
    A permuted weight meeting an operand of its Keras shape is taken in its Keras layout."""
    if hasattr(a, "keras_layout") or hasattr(b, "keras_layout"):
        a, b = _layout_pair(a, b)
    if not isinstance(a, torch.Tensor) and not isinstance(b, torch.Tensor):
        return _t(a), _t(b)
    if not isinstance(a, (int, float, bool)):
        a = _t(a)
    if not isinstance(b, (int, float, bool)):
        b = _t(b)
    return a, b


def _promote(*xs, weak=True):
    """Operands as tensors and the dtype they promote to. With `weak`, Python scalars don't widen
    the tensors' dtype (float16 + 2.5 is float16), else they count as int32 / floatx / bool."""
    scalar = (bool, int, float) if weak else ()
    xs = [x if isinstance(x, scalar + (torch.Tensor,)) else _t(x) for x in xs]
    if xs and not _py_any(isinstance(x, torch.Tensor) for x in xs):
        xs[0] = _t(xs[0])
    dtypes = [x.dtype for x in xs if isinstance(x, torch.Tensor)]
    dtype = dtypes[0]
    for d in dtypes[1:]:
        dtype = torch.promote_types(dtype, d)
    for x in xs:
        if not isinstance(x, torch.Tensor):
            promoted = torch.result_type(torch.empty((), dtype=dtype), x)
            dtype = torch.int32 if promoted == torch.int64 and dtype != torch.int64 else promoted
    return tuple(xs), dtype


def _same(xs, dtype):
    """All operands as tensors of `dtype` on the device of the first tensor among them."""
    device = next(x.device for x in xs if isinstance(x, torch.Tensor))
    return tuple(torch.as_tensor(x, dtype=dtype, device=device) for x in xs)


def _tensors(*xs, weak=True):
    """Promote operands and return them all as tensors of one dtype (and one device)."""
    return _same(*_promote(*xs, weak=weak))


def _is_bool(x):
    """Whether an operand is a bool tensor or a Python bool."""
    return x.dtype == torch.bool if isinstance(x, torch.Tensor) else isinstance(x, bool)


def _axes(axis, ndim):
    if axis is None:
        return None
    if isinstance(axis, (np.ndarray, torch.Tensor)) and axis.ndim == 1:
        axis = axis.tolist()  # `axis=np.arange(1, ndim)` (Keras 2 programs)
    return tuple(_axis_in_range(a, ndim) for a in (axis if isinstance(axis, (list, tuple)) else (axis,)))


def _axis_in_range(axis, ndim):
    """`axis` as a non-negative index (a 0-d tensor takes 0 and -1, as torch does); outside
    [-ndim, ndim) it is an error, as in Keras, not an axis counted round again."""
    axis, size = int(axis), _py_max(ndim, 1)
    if not -size <= axis < size:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-size}, {size - 1}], but got "
                         f"{axis}): the tensor has {ndim} dimension(s).")
    return axis % ndim if ndim else axis


def _float(x):
    return x if x.is_floating_point() or x.is_complex() else x.to(backend.torch_dtype(backend.floatx()))


# ----------------------------------------------------------------------------- settings (K.*)

def epsilon():
    return backend.epsilon()


def floatx():
    return backend.floatx()


def int_shape(x):
    shape = getattr(x, "shape", None)
    return None if shape is None else tuple(None if d is None else int(d) for d in shape)


def ndim(x):
    return len(x.shape)


def is_tensor(x):
    return isinstance(x, torch.Tensor)


def variable(value, dtype=None, name=None, constraint=None, trainable=True):
    """K.variable: a trainable Variable holding `value`."""
    from keraslite.layers.layer import Variable

    t = _t(value, dtype or backend.floatx()).clone()
    return Variable(t, trainable=trainable, name=name or "variable")


def constant(value, dtype=None, shape=None, name=None):
    t = _t(value, dtype or backend.floatx())
    if shape is not None:
        t = t.expand(tuple(shape)).clone() if t.dim() == 0 else t.reshape(tuple(shape))
    return t


def convert_to_tensor(x, dtype=None, sparse=None, ragged=None):
    if isinstance(x, KerasTensor):
        # In a functional model: the symbolic tensor itself, or a cast node for another dtype.
        same = dtype is None or backend.torch_dtype(dtype) == x.torch_dtype
        return x if same else cast(x, dtype)
    if _is_text(x) and (dtype is None or dtype == "string"):
        # torch has no string tensors: text stays numpy (a StringArray, as tf.data's strings).
        from keraslite.compat.tf_data import strings

        return strings(np.asarray(x, dtype=object))
    return _t(x, dtype)


def _text(array):
    from keraslite.compat.tf_data import strings

    return strings(array)


def _is_text(x):
    if isinstance(x, (str, bytes)):
        return True
    if isinstance(x, np.ndarray):
        return x.dtype.kind in "USO" and x.size > 0 and isinstance(x.flat[0], (str, bytes))
    if isinstance(x, (list, tuple)) and x:
        first = x[0]
        while isinstance(first, (list, tuple)) and first:
            first = first[0]
        return isinstance(first, (str, bytes))
    return False


def convert_to_numpy(x):
    """`x` as a numpy array. numpy has no bfloat16 of its own: a bfloat16 tensor gives an
    ml_dtypes bfloat16 array, as in Keras, or, where ml_dtypes is not installed, its values as
    float32 (every bfloat16 value is exactly a float32)."""
    if isinstance(x, torch.Tensor):
        if x.dtype == torch.bfloat16:
            if hasattr(x, "keras_layout"):
                x = x.keras_layout.to_keras(x.detach())
            return _bfloat16_array(x.detach().cpu().float().numpy())
        if hasattr(x, "keras_layout"):  # a weight: its Keras layout (a Conv2D kernel as (kh, kw, in, out))
            return x.numpy()
        return x.detach().cpu().numpy()
    if hasattr(x, "numpy") and not isinstance(x, np.generic):  # an optimizer's learning_rate: float32
        return np.asarray(x.numpy())
    return np.asarray(x)


def _bfloat16_array(values):
    try:
        import ml_dtypes
    except ImportError:
        return values
    return values.astype(ml_dtypes.bfloat16)


@_op
def cast(x, dtype):
    return _t(x).to(backend.torch_dtype(dtype))


def shape(x):
    if isinstance(x, torch.Tensor):
        return x.keras_shape if hasattr(x, "keras_layout") else tuple(x.shape)  # a weight: its Keras shape
    return tuple(np.shape(x))


@_op
def stop_gradient(variable):
    return _t(variable).detach()


# ----------------------------------------------------------------------------- arithmetic

@_op
def add(x1, x2):
    a, b = _pair(x1, x2)
    return torch.add(a, b)


@_op
def subtract(x1, x2):
    a, b = _pair(x1, x2)
    if _is_bool(a) or _is_bool(b):  # torch refuses a bool operand; Keras promotes it (float - bool is float)
        a, b = _tensors(a, b)
    return torch.sub(a, b)


@_op
def multiply(x1, x2):
    a, b = _pair(x1, x2)
    return torch.mul(a, b)


@_op
def divide(x1, x2):
    a, b = _pair(x1, x2)
    return torch.true_divide(a, b)


true_divide = divide


@_op
def floor_divide(x1, x2):
    a, b = _pair(x1, x2)
    return torch.floor_divide(a, b)


@_op
def negative(x):
    return torch.neg(_t(x))


@_op
def power(x1, x2):
    a, b = _pair(x1, x2)
    return torch.pow(a, b)


pow = power


@_op
def mod(x1, x2):
    a, b = _pair(x1, x2)
    if _is_bool(a) or _is_bool(b):  # torch has no bool remainder: Keras computes it in int32
        a, b = _tensors(a, b)
        if a.dtype == torch.bool:
            a, b = a.to(torch.int32), b.to(torch.int32)
    return torch.remainder(a, b)


def _product(fn, a, b, dtype):
    """`fn(a, b)`, a matrix product, of the operands cast to the result `dtype`. torch has no bool
    product (nor integer ones on CUDA): those are computed in floats and cast back."""
    compute = dtype
    if dtype == torch.bool:
        compute = backend.torch_dtype(backend.floatx())
    elif not dtype.is_floating_point and not dtype.is_complex and a.device.type == "cuda":
        compute = torch.float64  # exact for integers up to 2**53
    out = fn(a.to(compute), b.to(compute))
    return out if compute == dtype else out.to(dtype)


@_op
def matmul(x1, x2):
    """Matrix product of operands of any dtypes, in their promoted dtype (int8 @ int8 gives
    int32, as in Keras)."""
    a, b = _t(x1), _t(x2)
    if a.dtype == b.dtype and a.dtype.is_floating_point:
        return torch.matmul(a, b)
    _, dtype = _promote(a, b)
    if a.dtype == b.dtype == torch.int8:
        dtype = torch.int32
    return _product(torch.matmul, a, b, dtype)


@_op
def dot(x1, x2):
    """numpy.dot semantics (K2 K.dot: last axis of x1 with second-to-last of x2), in the
    operands' promoted dtype (a Python number counts as int32 / floatx)."""
    a, b = _t(x1), _t(x2)
    if a.dim() == 0 or b.dim() == 0:
        fn = torch.mul
    elif b.dim() == 1 or a.dim() == 1:
        fn = torch.matmul
    else:
        fn = functools.partial(torch.tensordot, dims=([a.dim() - 1], [b.dim() - 2]))
    if a.dtype == b.dtype and a.dtype.is_floating_point:
        return fn(a, b)
    return _product(fn, a, b, _promote(a, b)[1])


@_op
def einsum(subscripts, *operands):
    return torch.einsum(subscripts, *[_t(o) for o in operands])


@_op
def square(x):
    x = _t(x)
    if x.dtype == torch.bool:
        x = x.to(torch.int32)
    return x * x


@_op
def sqrt(x):
    return torch.sqrt(_float(_t(x)))


@_op
def rsqrt(x):
    return torch.rsqrt(_float(_t(x)))


@_op
def exp(x):
    return torch.exp(_float(_t(x)))


@_op
def log(x):
    return torch.log(_float(_t(x)))


@_op
def log1p(x):
    return torch.log1p(_float(_t(x)))


@_op
def abs(x):
    x = _t(x)
    return x if x.dtype == torch.bool else torch.abs(x)


absolute = abs


@_op
def sign(x):
    return torch.sign(_t(x))


@_op
def erf(x):
    return torch.erf(_float(_t(x)))


@_op
def floor(x):
    return torch.floor(_float(_t(x)))


@_op
def ceil(x):
    return torch.ceil(_float(_t(x)))


@_op
def round(x, decimals=0):
    """Round half to even to `decimals` places; integers keep their dtype (rounded to tens,
    hundreds, ... for negative `decimals`)."""
    x = _t(x)
    if x.is_floating_point() or x.is_complex() or x.dtype == torch.bool:
        return torch.round(x, decimals=decimals)
    if decimals >= 0:
        return x
    step = 10 ** -decimals
    if step > torch.iinfo(torch.int64).max:
        return torch.zeros_like(x)
    wide = x.to(torch.int64)
    quotient = torch.div(wide, step, rounding_mode="floor")
    rest = wide - quotient * step
    up = (rest > step - rest) | ((rest == step - rest) & (quotient % 2 != 0))
    return ((quotient + up.to(torch.int64)) * step).to(x.dtype)


@_op
def clip(x, x_min, x_max):
    x = _t(x)
    if x.dtype == torch.bool:  # as in Keras: clipped as int32
        x = x.to(torch.int32)
    if isinstance(x_min, torch.Tensor) or isinstance(x_max, torch.Tensor):
        return torch.clamp(x, _t(x_min).to(x.dtype), _t(x_max).to(x.dtype))
    if x.is_floating_point():
        # A bound past the dtype's range (K.clip(p, K.epsilon(), np.finfo(float).max) on float32)
        # rounds to infinity, as casting it to x's dtype does in Keras; torch would raise instead.
        top = torch.finfo(x.dtype).max
        x_min, x_max = (b if b is None or abs(float(b)) <= top else math.copysign(math.inf, float(b))
                        for b in (x_min, x_max))
    return torch.clamp(x, x_min, x_max)


def _promoted_pair(x1, x2):
    """`_pair` as two tensors of one dtype: the operands' promoted dtype (int32 with 1.5 is
    floatx, bool with 2 is int32), as for the ops.numpy binary functions."""
    a, b = _pair(x1, x2)
    if isinstance(a, torch.Tensor) and isinstance(b, torch.Tensor):
        if a.dtype == b.dtype:
            return a, b
    elif isinstance(a, torch.Tensor) and a.is_floating_point() and not isinstance(b, bool):
        return a, torch.as_tensor(b, dtype=a.dtype, device=a.device)  # float tensor, Python number: a's dtype
    return _tensors(a, b)


@_op
def maximum(x1, x2):
    return torch.maximum(*_promoted_pair(x1, x2))


@_op
def minimum(x1, x2):
    return torch.minimum(*_promoted_pair(x1, x2))


def _compare(fn):
    def compare(x1, x2):
        a, b = _pair(x1, x2)
        if not isinstance(a, torch.Tensor):
            a = torch.as_tensor(a)
        return fn(a, b)
    return compare


@_op
def equal(x1, x2):
    return _compare(torch.eq)(x1, x2)


@_op
def not_equal(x1, x2):
    return _compare(torch.ne)(x1, x2)


@_op
def greater(x1, x2):
    return _compare(torch.gt)(x1, x2)


@_op
def greater_equal(x1, x2):
    return _compare(torch.ge)(x1, x2)


@_op
def less(x1, x2):
    return _compare(torch.lt)(x1, x2)


@_op
def less_equal(x1, x2):
    return _compare(torch.le)(x1, x2)


@_op
def logical_and(x1, x2):
    return torch.logical_and(_t(x1), _t(x2))


@_op
def logical_or(x1, x2):
    return torch.logical_or(_t(x1), _t(x2))


@_op
def logical_not(x):
    return torch.logical_not(_t(x))


@_op
def isnan(x):
    return torch.isnan(_t(x))


@_op
def isinf(x):
    return torch.isinf(_t(x))


@_op
def where(condition, x1=None, x2=None):
    condition = _t(condition).to(torch.bool)
    if x1 is None and x2 is None:
        return torch.where(condition)
    if x1 is None or x2 is None:
        raise ValueError("ops.where needs both `x1` and `x2`, or neither (then it returns the indices where "
                         "`condition` is true).")
    a, b = _pair(x1, x2)
    return torch.where(condition, a, b)


# ----------------------------------------------------------------------------- activations

@_op
def relu(x):
    return torch.relu(_t(x))


@_op
def relu6(x):
    return F.relu6(_t(x))


@_op
def sigmoid(x):
    return torch.sigmoid(_float(_t(x)))


@_op
def tanh(x):
    return torch.tanh(_float(_t(x)))


@_op
def softmax(x, axis=-1):
    x = _float(_t(x))
    from keraslite.activations import warn_if_single_class

    warn_if_single_class(x, axis)
    if isinstance(axis, (list, tuple)):
        m = torch.amax(x, dim=tuple(axis), keepdim=True)
        e = torch.exp(x - m)
        return e / torch.sum(e, dim=tuple(axis), keepdim=True)
    return torch.softmax(x, dim=axis)


@_op
def log_softmax(x, axis=-1):
    x = _float(_t(x))
    if isinstance(axis, (list, tuple)):
        return x - torch.logsumexp(x, dim=tuple(axis), keepdim=True)
    return torch.log_softmax(x, dim=axis)


@_op
def gelu(x, approximate=True):
    return F.gelu(_float(_t(x)), approximate="tanh" if approximate else "none")


@_op
def silu(x):
    return F.silu(_float(_t(x)))


swish = silu


@_op
def elu(x, alpha=1.0):
    return F.elu(_float(_t(x)), alpha=alpha)


@_op
def selu(x):
    return F.selu(_float(_t(x)))


@_op
def softplus(x):
    return F.softplus(_float(_t(x)))


@_op
def leaky_relu(x, negative_slope=0.2):
    return F.leaky_relu(_float(_t(x)), negative_slope)


# ----------------------------------------------------------------------------- reductions

def _reduce(fn, x, axis, keepdims):
    axes = _axes(axis, x.dim())
    if axes is None:
        out = fn(x)
        if keepdims:
            out = out.reshape((1,) * x.dim())
        return out
    return fn(x, dim=axes, keepdim=keepdims)


@_op
def sum(x, axis=None, keepdims=False):
    x = _t(x)
    if x.dtype in (torch.bool, torch.int8, torch.int16, torch.uint8):  # Keras sums these in int32
        x = x.to(torch.int32)
    out = _reduce(torch.sum, x, axis, keepdims)
    return out.to(x.dtype) if x.dtype in (torch.int8, torch.int16, torch.int32, torch.uint8) else out


@_op
def mean(x, axis=None, keepdims=False):
    return _reduce(torch.mean, _float(_t(x)), axis, keepdims)


def _extreme(fn, x, axis, keepdims, highest):
    """max (fn torch.amax) or min (torch.amin) over `axis`. Over no entries at all it gives the
    reduction's identity, as TensorFlow (and so Keras 2's K.max / tf.reduce_max) does: -inf / +inf,
    for integers the dtype's lowest / highest value (an image with no boxes gives an empty IoU
    axis in YOLO losses); torch raises there."""
    axes = _axes(axis, x.dim())
    reduced = range(x.dim()) if axes is None else axes
    if not _py_any(x.shape[a] == 0 for a in reduced):
        return _reduce(fn, x, axis, keepdims)
    if x.is_floating_point():
        identity = -math.inf if not highest else math.inf
    elif x.dtype == torch.bool:
        identity = highest
    else:
        info = torch.iinfo(x.dtype)
        identity = info.max if highest else info.min
    shape = [1 if a in reduced else n for a, n in enumerate(x.shape) if keepdims or a not in reduced]
    return torch.full(shape, identity, dtype=x.dtype, device=x.device)


@_op
def max(x, axis=None, keepdims=False, initial=None):
    x = _t(x)
    out = _extreme(torch.amax, x, axis, keepdims, highest=False)
    return out if initial is None else torch.clamp(out, min=initial)


@_op
def min(x, axis=None, keepdims=False, initial=None):
    x = _t(x)
    out = _extreme(torch.amin, x, axis, keepdims, highest=True)
    return out if initial is None else torch.clamp(out, max=initial)


def _amax(x, axis=None, keepdims=False):
    return max._raw(x, axis, keepdims)


def _amin(x, axis=None, keepdims=False):
    return min._raw(x, axis, keepdims)


# Keras's amax / amin: max / min without `initial`, their own operations in a saved graph.
amax, amin = _op(_amax, "amax"), _op(_amin, "amin")


@_op
def prod(x, axis=None, keepdims=False, dtype=None):
    x = _t(x, dtype)
    # Keras gives int32 for bool and narrow ints (torch would widen them to int64)
    out_dtype = torch.int32 if x.dtype in (torch.bool, torch.int8, torch.int16, torch.int32, torch.uint8) else x.dtype
    axes = _axes(axis, x.dim())
    if axes is None:
        out = torch.prod(x).to(out_dtype)
        return out.reshape((1,) * x.dim()) if keepdims else out
    for a in sorted(axes, reverse=True):
        x = torch.prod(x, dim=a, keepdim=True)
    return (x if keepdims else x.squeeze(axes)).to(out_dtype)


@_op
def var(x, axis=None, keepdims=False):
    x = _float(_t(x))
    axes = _axes(axis, x.dim())
    return torch.var(x, dim=axes, correction=0, keepdim=keepdims)


@_op
def std(x, axis=None, keepdims=False):
    x = _float(_t(x))
    axes = _axes(axis, x.dim())
    return torch.std(x, dim=axes, correction=0, keepdim=keepdims)


@_op
def any(x, axis=None, keepdims=False):
    x = _t(x).to(torch.bool)
    axes = _axes(axis, x.dim())
    if axes is None:
        out = torch.any(x)
        return out.reshape((1,) * x.dim()) if keepdims else out
    return torch.any(x, dim=axes, keepdim=keepdims)


@_op
def all(x, axis=None, keepdims=False):
    x = _t(x).to(torch.bool)
    axes = _axes(axis, x.dim())
    if axes is None:
        out = torch.all(x)
        return out.reshape((1,) * x.dim()) if keepdims else out
    return torch.all(x, dim=axes, keepdim=keepdims)


@_op
def argmax(x, axis=None, keepdims=False):
    x = _t(x)
    if x.dtype == torch.bool:  # torch has no argmax of bool; Keras's torch backend goes through uint8
        x = x.to(torch.uint8)
    if axis is None:
        out = torch.argmax(x.reshape(-1))
        out = out.reshape((1,) * x.dim()) if keepdims else out
    else:
        out = torch.argmax(x, dim=axis, keepdim=keepdims)
    return out.to(torch.int32)


@_op
def argmin(x, axis=None, keepdims=False):
    x = _t(x)
    if x.dtype == torch.bool:  # torch has no argmin of bool; Keras's torch backend goes through uint8
        x = x.to(torch.uint8)
    if axis is None:
        out = torch.argmin(x.reshape(-1))
        out = out.reshape((1,) * x.dim()) if keepdims else out
    else:
        out = torch.argmin(x, dim=axis, keepdim=keepdims)
    return out.to(torch.int32)


@_op
def cumsum(x, axis=None, dtype=None):
    x = _t(x, dtype)
    out_dtype = torch.int32 if x.dtype == torch.bool else x.dtype  # ints keep their dtype, as in Keras
    if axis is None:
        return torch.cumsum(x.reshape(-1), dim=0).to(out_dtype)
    return torch.cumsum(x, dim=axis).to(out_dtype)


@_op
def cumprod(x, axis=None, dtype=None):
    x = _t(x, dtype)
    out_dtype = torch.int32 if x.dtype == torch.bool else x.dtype  # ints keep their dtype, as in Keras
    if axis is None:
        return torch.cumprod(x.reshape(-1), dim=0).to(out_dtype)
    return torch.cumprod(x, dim=axis).to(out_dtype)


@_op
def logsumexp(x, axis=None, keepdims=False):
    x = _float(_t(x))
    axes = tuple(range(x.dim())) if axis is None else _axes(axis, x.dim())
    return torch.logsumexp(x, dim=axes, keepdim=keepdims)


@_op
def norm(x, ord=None, axis=None, keepdims=False):
    x = _float(_t(x))
    if axis is None:
        if ord is None:
            out = torch.linalg.vector_norm(x.reshape(-1))
            return out.reshape((1,) * x.dim()) if keepdims else out
        axis = tuple(range(x.dim()))
    if isinstance(axis, (list, tuple)) and len(axis) == 1:
        axis = axis[0]
    if isinstance(axis, int):
        return torch.linalg.vector_norm(x, ord=2 if ord is None else ord, dim=axis, keepdim=keepdims)
    if ord is None:
        ord = "fro"
    return torch.linalg.matrix_norm(x, ord=ord, dim=tuple(axis), keepdim=keepdims)


@_op
def moments(x, axes, keepdims=False, synchronized=False):
    """(mean, variance) over `axes` (population variance)."""
    x = _float(_t(x))
    axes = _axes(axes, x.dim())
    m = torch.mean(x, dim=axes, keepdim=True)
    v = torch.mean(torch.square(x - m), dim=axes, keepdim=True)
    if not keepdims:
        m, v = m.squeeze(axes), v.squeeze(axes)
    return m, v


@_op
def l2_normalize(x, axis=None, epsilon=1e-12):
    """K2 K.l2_normalize: x / sqrt(max(sum(x**2, axis), epsilon)); axis None (Keras 2's
    default, as tf.nn.l2_normalize's) normalizes over all elements."""
    x = _float(_t(x))
    square_sum = torch.sum(x * x, dim=axis, keepdim=True)
    return x * torch.rsqrt(torch.clamp(square_sum, min=epsilon))


@_op
def normalize(x, axis=-1, order=2, epsilon=None):
    x = _float(_t(x))
    if order == 2:
        return l2_normalize._raw(x, axis=axis, epsilon=1e-12 if epsilon is None else epsilon)
    n = torch.linalg.vector_norm(x, ord=order, dim=axis, keepdim=True)
    return x / torch.clamp(n, min=backend.epsilon() if epsilon is None else epsilon)


# ----------------------------------------------------------------------------- shapes

@_op
def reshape(x, newshape):
    if isinstance(newshape, int):
        newshape = (newshape,)
    newshape = tuple(-1 if d is None else int(d) for d in newshape)
    if _is_text(x):
        return _text(np.reshape(np.asarray(x, dtype=object), newshape))
    return torch.reshape(_t(x), newshape)


@_op
def transpose(x, axes=None):
    x = _t(x)
    if axes is None:
        axes = tuple(reversed(range(x.dim())))
    return x.permute(tuple(axes))


def permute_dimensions(x, pattern):
    """K2 K.permute_dimensions."""
    return transpose(x, pattern)


@_op
def expand_dims(x, axis=-1):  # Keras 3 requires axis; K2's K.expand_dims defaulted to -1
    if _is_text(x):  # a string input of a functional model (StringLookup comes next)
        return _text(np.expand_dims(np.asarray(x, dtype=object), tuple(axis) if isinstance(axis, list) else axis))
    x = _t(x)
    if isinstance(axis, (list, tuple)):
        out_ndim = x.dim() + len(axis)
        for a in sorted(int(a) % out_ndim for a in axis):
            x = x.unsqueeze(a)
        return x
    return x.unsqueeze(axis)


@_op
def squeeze(x, axis=None):
    if _is_text(x):
        return _text(np.squeeze(np.asarray(x, dtype=object), tuple(axis) if isinstance(axis, list) else axis))
    x = _t(x)
    if axis is None:
        return x.squeeze()
    axes = _axes(axis, x.dim())
    for a in axes:
        if x.shape[a] != 1:
            raise ValueError(f"Cannot squeeze axis {a} of a tensor of shape {tuple(x.shape)}: its size is not 1.")
    return x.squeeze(axes)


@_op
def concatenate(xs, axis=0):
    return torch.cat([_t(x) for x in xs], dim=axis)


@_op
def stack(x, axis=0):
    return torch.stack([_t(v) for v in x], dim=axis)


@_op
def flatten(x):
    return torch.reshape(_t(x), (-1,))


@_op
def batch_flatten(x):
    """K2 K.batch_flatten: (batch, ...) -> (batch, prod(...))."""
    x = _t(x)
    return x.reshape(x.shape[0], -1)


@_op
def tile(x, repeats):
    x = _t(x)
    if isinstance(repeats, int):
        repeats = (repeats,)
    repeats = tuple(int(r) for r in repeats)
    if len(repeats) < x.dim():
        repeats = (1,) * (x.dim() - len(repeats)) + repeats
    return x.repeat(repeats) if len(repeats) >= x.dim() else x.tile(repeats)


@_op
def repeat(x, repeats, axis=None):
    x = _t(x)
    if axis is None:
        x = x.reshape(-1)
        axis = 0
    if not isinstance(repeats, int):
        repeats = _t(repeats).to(torch.int64)
    return torch.repeat_interleave(x, repeats, dim=axis)


@_op
def split(x, indices_or_sections, axis=0):
    x = _t(x)
    size = x.shape[axis]
    if isinstance(indices_or_sections, int):
        if size % indices_or_sections:
            raise ValueError(f"ops.split: axis {axis} of size {size} cannot be split into {indices_or_sections} "
                             "equal sections.")
        return list(torch.split(x, size // indices_or_sections, dim=axis))
    bounds = [0] + [int(i) for i in indices_or_sections] + [size]
    return [x.narrow(axis, a, _py_max(b - a, 0)) for a, b in zip(bounds[:-1], bounds[1:])]


@_op
def take(x, indices, axis=None):
    x = _t(x)
    indices = _t(indices).to(torch.int64)
    if axis is None:
        x = x.reshape(-1)
        axis = 0
    axis = axis % x.dim()
    indices = torch.where(indices < 0, indices + x.shape[axis], indices)
    out = torch.index_select(x, axis, indices.reshape(-1))
    return out.reshape(x.shape[:axis] + indices.shape + x.shape[axis + 1:])


@_op
def take_along_axis(x, indices, axis=None):
    x = _t(x)
    indices = _t(indices).to(torch.int64)
    if axis is None:
        return torch.take_along_dim(x.reshape(-1), indices.reshape(-1))
    axis = axis % x.dim()
    indices = torch.where(indices < 0, indices + x.shape[axis], indices)
    shape = list(torch.broadcast_shapes(tuple(s if i != axis else 1 for i, s in enumerate(x.shape)),
                                        tuple(s if i != axis else 1 for i, s in enumerate(indices.shape))))
    x_shape = list(shape)
    x_shape[axis] = x.shape[axis]
    i_shape = list(shape)
    i_shape[axis] = indices.shape[axis]
    return torch.gather(x.expand(x_shape), axis, indices.expand(i_shape))


@_op
def pad(x, pad_width, mode="constant", constant_values=None):
    x = _t(x)
    pad_width = np.broadcast_to(np.asarray(pad_width, dtype=np.int64), (x.dim(), 2)).tolist()
    flat = []
    for before, after in reversed(pad_width):
        flat.extend([int(before), int(after)])
    if mode == "constant":
        return F.pad(x, flat, mode="constant", value=0 if constant_values is None else constant_values)
    if constant_values is not None:
        raise ValueError(f"ops.pad: `constant_values` can only be used with mode='constant'; received mode={mode!r}.")
    torch_mode = {"reflect": "reflect", "symmetric": None, "edge": "replicate", "wrap": "circular"}.get(mode)
    if torch_mode is None:
        return torch.as_tensor(np.pad(x.detach().cpu().numpy(), pad_width, mode=mode), device=x.device)
    # torch pads the last one to three dims of a (batch, channels, *dims) tensor: the padded axes
    # go last, the others are folded into the channels, and everything goes back after.
    padded = [axis for axis, (before, after) in enumerate(pad_width) if before or after]
    if not padded:
        return x
    if len(padded) > 3:
        return torch.as_tensor(np.pad(x.detach().cpu().numpy(), pad_width, mode=mode), device=x.device)
    others = [axis for axis in range(x.dim()) if axis not in padded]
    moved = x.permute(others + padded)
    kept_shape = tuple(moved.shape[:len(others)])
    y = moved.reshape((1, math.prod(kept_shape)) + tuple(moved.shape[len(others):]))
    sizes = [int(v) for axis in reversed(padded) for v in pad_width[axis]]
    out = F.pad(_float(y), sizes, mode=torch_mode).to(x.dtype)
    out = out.reshape(kept_shape + tuple(out.shape[2:]))
    return out.permute([(others + padded).index(axis) for axis in range(x.dim())])


@_op
def flip(x, axis=None):
    x = _t(x)
    axes = tuple(range(x.dim())) if axis is None else _axes(axis, x.dim())
    return torch.flip(x, axes)


@_op
def roll(x, shift, axis=None):
    x = _t(x)
    if axis is None:
        return torch.roll(x.reshape(-1), shift).reshape(x.shape)
    return torch.roll(x, shift, dims=axis)


@_op
def slice(inputs, start_indices, shape):
    x = _t(inputs)
    index = tuple(_py_slice(int(s), int(s) + (x.shape[i] - int(s) if d in (None, -1) else int(d)))
                  for i, (s, d) in enumerate(zip(start_indices, shape)))
    return x[index]


@_op
def sort(x, axis=-1):
    return torch.sort(_t(x), dim=axis).values


@_op
def argsort(x, axis=-1):
    x = _t(x)
    if axis is None:
        x, axis = x.reshape(-1), 0
    return torch.argsort(x, dim=axis, stable=True).to(torch.int32)


@_op
def top_k(x, k, sorted=True):
    values, indices = torch.topk(_t(x), k, dim=-1, largest=True, sorted=sorted)
    return values, indices


@_op
def one_hot(x, num_classes, axis=-1, dtype=None, sparse=False):
    x = _t(x).to(torch.int64)
    valid = (x >= 0) & (x < num_classes)
    out = F.one_hot(torch.where(valid, x, torch.zeros_like(x)), num_classes) * valid.unsqueeze(-1)
    out = out.to(backend.torch_dtype(dtype))
    if axis != -1 and axis != out.dim() - 1:
        out = torch.movedim(out, -1, axis)
    return out


@_op
def batch_dot(x, y, axes=None):
    """K2 K.batch_dot: a dot product per sample of the batch (first) dimension."""
    x, y = _t(x), _t(y)
    if axes is None:
        axes = (x.dim() - 1, y.dim() - 2) if y.dim() >= 3 else (x.dim() - 1, y.dim() - 1)
    if isinstance(axes, int):
        axes = (axes, axes)
    ax, ay = axes[0] % x.dim(), axes[1] % y.dim()
    if ax == 0 or ay == 0:
        raise ValueError(f"batch_dot cannot contract over the batch axis; received axes={axes}.")
    if x.shape[ax] != y.shape[ay]:
        raise ValueError(f"Can not do batch_dot on inputs with shapes {tuple(x.shape)} and {tuple(y.shape)} with "
                         f"axes={list(axes)}. x.shape[{ax}] != y.shape[{ay}] ({x.shape[ax]} != {y.shape[ay]}).")
    x2 = torch.movedim(x, ax, -1)  # (batch, ..., k)
    y2 = torch.movedim(y, ay, 1)   # (batch, k, ...)
    xs, ys = x2.shape, y2.shape
    out = torch.bmm(x2.reshape(xs[0], -1, xs[-1]), y2.reshape(ys[0], ys[1], -1))
    out = out.reshape(tuple(xs[:-1]) + tuple(ys[2:]))
    if x.dim() == 2 and y.dim() == 2:
        out = out.reshape(xs[0], 1)
    return out


def gather(reference, indices):
    """K2 K.gather: rows of `reference` (axis 0) at `indices`."""
    return take(reference, indices, axis=0)


@_op
def switch(condition, then_expression, else_expression):
    """K2 K.switch. A scalar condition (a Python bool or a 0-d tensor) picks one branch, and only
    that branch is evaluated, as Keras 2's tf.cond did: either branch may be a callable, called
    only when chosen, and a branch not chosen (a NaN from the mean of an empty tensor) cannot
    reach the result. A tensor condition chooses elementwise; one of lower rank than the branches
    applies along their leading axes (Keras 2 expanded it at the end)."""
    condition = _t(condition)
    if condition.dim() == 0:
        chosen = then_expression if builtins.bool(condition) else else_expression
        return chosen() if callable(chosen) else chosen
    then_expression = then_expression() if callable(then_expression) else then_expression
    else_expression = else_expression() if callable(else_expression) else else_expression
    a, b = _pair(then_expression, else_expression)
    condition = condition.to(torch.bool)
    expr_ndim = _py_max(getattr(a, "ndim", 0), getattr(b, "ndim", 0))
    if condition.dim() > expr_ndim:
        raise ValueError("Rank of `condition` should be less than or equal to rank of `then_expression` and "
                         f"`else_expression`. ndim(condition)={condition.dim()}, ndim(then_expression)={expr_ndim}")
    if condition.dim() < expr_ndim:
        expanded = condition.reshape(tuple(condition.shape) + (1,) * (expr_ndim - condition.dim()))
        try:
            torch.broadcast_shapes(expanded.shape, *(tuple(v.shape) for v in (a, b) if isinstance(v, torch.Tensor)))
            condition = expanded
        except RuntimeError:  # broadcasts only from the trailing axes (tf.keras's where_v2)
            pass
    return torch.where(condition, a, b)


def eval(x):
    """K2 K.eval: the value as a numpy array."""
    return convert_to_numpy(x)


def count_params(x):
    """K2 K.count_params: number of elements."""
    return int(np.prod(shape(x)))


# ----------------------------------------------------------------------------- creation

def _dtype_or(dtype, default):
    return backend.torch_dtype(dtype if dtype is not None else default)


def _shape_arg(shape):
    if isinstance(shape, (int, np.integer)):
        return (int(shape),)
    return tuple(int(d) for d in shape)


def ones(shape, dtype=None):
    return torch.ones(_shape_arg(shape), dtype=_dtype_or(dtype, backend.floatx()))


def zeros(shape, dtype=None):
    return torch.zeros(_shape_arg(shape), dtype=_dtype_or(dtype, backend.floatx()))


def full(shape, fill_value, dtype=None):
    """A tensor of `shape` filled with `fill_value`, of `dtype` (default floatx, whatever the
    fill value's type, as in Keras)."""
    return torch.full(_shape_arg(shape), fill_value, dtype=_dtype_or(dtype, backend.floatx()))


@_op
def ones_like(x, dtype=None):
    x = _t(x)
    return torch.ones_like(x, dtype=None if dtype is None else backend.torch_dtype(dtype))


@_op
def zeros_like(x, dtype=None):
    x = _t(x)
    return torch.zeros_like(x, dtype=None if dtype is None else backend.torch_dtype(dtype))


@_op
def full_like(x, fill_value, dtype=None):
    x = _t(x)
    return torch.full_like(x, fill_value, dtype=None if dtype is None else backend.torch_dtype(dtype))


def eye(N, M=None, k=0, dtype=None):
    M = N if M is None else M
    dtype = _dtype_or(dtype, backend.floatx())
    if k == 0:
        return torch.eye(N, M, dtype=dtype)
    return torch.as_tensor(np.eye(N, M, k=k), dtype=dtype)


def identity(n, dtype=None):
    return eye(n, dtype=dtype)


def arange(start, stop=None, step=1, dtype=None):
    if stop is None:
        start, stop = 0, start
    if dtype is None:
        floats = _py_any(isinstance(v, float) for v in (start, stop, step))
        dtype = backend.floatx() if floats else "int32"
    return torch.arange(start, stop, step, dtype=backend.torch_dtype(dtype))


def linspace(start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0):
    """`num` evenly spaced values from `start` to `stop` (excluded with endpoint=False), computed
    in `dtype` as Keras's torch backend computes them (a DDIM embedding scales them by 1000s, so
    float32 rounding shows). Array-valued ends give one such sequence per element, along `axis`."""
    dtype = _dtype_or(dtype, backend.floatx())
    if not endpoint and num > 0:
        stop = stop - (stop - start) / num
    step = (stop - start) / _py_max(num - 1, 1)
    # Keras's torch backend: numbers through torch.linspace, tensors and arrays (0-d ones too) as
    # start + (arange(num) / (num - 1)) * (stop - start); the two round differently in float32.
    if not (hasattr(start, "__len__") and hasattr(stop, "__len__")):
        out = torch.linspace(float(start), float(stop), num, dtype=dtype, device=backend.get_device())
    else:
        first, last = _t(start, dtype), _t(stop, dtype)
        fractions = torch.arange(num, dtype=dtype, device=first.device) / _py_max(num - 1, 1)
        out = first[None] + fractions.reshape((num,) + (1,) * first.dim()) * (last - first)[None]
        out = torch.movedim(out, 0, axis)
    if endpoint is False and num == 1:
        step = stop - start
    return (out, step) if retstep else out


# Random tensors are made on the device models run on (as Keras makes them on its default
# device): `K.random_normal(shape=(batch, dim))` in a VAE's sampling Lambda meets z_mean there.

def random_uniform(shape, minval=0.0, maxval=1.0, dtype=None, seed=None, low=None, high=None):
    minval, maxval = (minval if low is None else low), (maxval if high is None else high)  # Keras 1 names
    return torch.rand(_shape_arg(shape), dtype=_dtype_or(dtype, backend.floatx()),
                      device=backend.get_device()) * (maxval - minval) + minval


def random_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None, std=None):
    stddev = stddev if std is None else std  # Keras 1's name
    return torch.randn(_shape_arg(shape), dtype=_dtype_or(dtype, backend.floatx()),
                       device=backend.get_device()) * stddev + mean


# ----------------------------------------------------------------------------- crossentropies
# keras.ops' element-wise forms (also Keras 2's K.binary_crossentropy / K.categorical_crossentropy,
# whose argument order, target first, they share): no reduction over the batch.

def _clip_probabilities(output):
    eps = backend.epsilon()
    return torch.clamp(output, eps, 1.0 - eps)


@_op
def binary_crossentropy(target, output, from_logits=False):
    output = _float(_t(output))
    target = _t(target).to(device=output.device, dtype=output.dtype)
    if target.shape != output.shape:
        raise ValueError("Arguments `target` and `output` must have the same shape. Received: "
                         f"target.shape={tuple(target.shape)}, output.shape={tuple(output.shape)}")
    if from_logits:
        return F.binary_cross_entropy_with_logits(output, target, reduction="none")
    return F.binary_cross_entropy(_clip_probabilities(output), target, reduction="none")


def _categorical_log_probabilities(output, from_logits, axis):
    if from_logits:
        return torch.log_softmax(output, dim=axis)
    output = output / torch.sum(output, dim=axis, keepdim=True)
    return torch.log(_clip_probabilities(output))


@_op
def categorical_crossentropy(target, output, from_logits=False, axis=-1):
    output = _float(_t(output))
    target = _t(target).to(device=output.device, dtype=output.dtype)
    if target.shape != output.shape:
        raise ValueError("Arguments `target` and `output` must have the same shape. Received: "
                         f"target.shape={tuple(target.shape)}, output.shape={tuple(output.shape)}")
    return -torch.sum(target * _categorical_log_probabilities(output, from_logits, axis), dim=axis)


@_op
def sparse_categorical_crossentropy(target, output, from_logits=False, axis=-1):
    output = _float(_t(output))
    target = _t(target).to(output.device).long()
    if target.ndim == output.ndim and target.shape[-1] == 1:
        target = target.squeeze(-1)
    one_hot_target = F.one_hot(target, output.shape[axis]).to(output.dtype)
    if axis not in (-1, output.ndim - 1):
        one_hot_target = one_hot_target.movedim(-1, axis)
    return -torch.sum(one_hot_target * _categorical_log_probabilities(output, from_logits, axis), dim=axis)


__all__ = [n for n in dir() if not n.startswith("_") and n not in (
    "builtins", "functools", "math", "np", "torch", "F", "backend", "KerasTensor", "eval")]

# keras.ops's sub-namespaces. As in Keras, the numpy, nn, linalg and core functions are also
# top-level names; the image functions are reached only as keraslite.ops.image.<name>.
from keraslite.ops import core, image, linalg, nn, numpy  # noqa: E402
from keraslite.ops.numpy import *  # noqa: E402,F401,F403
from keraslite.ops.core import *  # noqa: E402,F401,F403
from keraslite.ops.linalg import *  # noqa: E402,F401,F403
from keraslite.ops.nn import *  # noqa: E402,F401,F403

__all__ = sorted(set(__all__) | set(numpy.__all__) | set(core.__all__) | set(linalg.__all__) | set(nn.__all__))
