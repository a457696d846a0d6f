"""`keras.ops.numpy`: the numpy-style functions of Keras 3, on torch tensors.

This module owns the numpy functions that `keraslite.ops` did not already have (trigonometry,
bitwise ops, nan-reductions, quantiles, windows, splits and stacks, set and index helpers, ...)
and re-exports the ones that live in `keraslite/ops/__init__.py` (add, sum, reshape, ...), so
that `keraslite.ops.numpy` is the whole Keras namespace. `keraslite.ops` re-exports everything
here, as Keras does.

Dtypes follow Keras on its torch backend: float functions of int or bool inputs give floatx,
binary functions promote their operands, index results are int32.
"""
import builtins
import math

import numpy as np
import torch

from keraslite import backend
from keraslite.ops import (  # noqa: F401  (re-exported: Keras's numpy functions already in ops)
    _axes, _float, _op, _pair, _promote, _reduce, _same, _t, _tensors,
    abs, absolute, add, all, amax, amin, any, arange, argmax, argmin, argsort, ceil, clip, concatenate,
    cumprod, cumsum, divide, dot, einsum, equal, exp, expand_dims, eye, flip, floor, floor_divide, full,
    full_like, greater, greater_equal, identity, isinf, isnan, less, less_equal, linspace, log, log1p,
    logical_and, logical_not, logical_or, matmul, max, maximum, mean, min, minimum, mod, multiply, ndim,
    negative, not_equal, ones, ones_like, pad, power, prod, repeat, reshape, roll, round, sign, sort, split,
    sqrt, square, squeeze, stack, std, subtract, sum, take, take_along_axis, tanh, tile, transpose,
    true_divide, var, where, zeros, zeros_like,
)

_INT_DTYPES = (torch.int8, torch.int16, torch.int32, torch.int64, torch.uint8, torch.uint16, torch.uint32,
               torch.uint64)


def _floatx():
    return backend.torch_dtype(backend.floatx())


def _fail(op, received, expected, error=ValueError):
    raise error(f"ops.{op}: expected {expected}; received {received}.")


def _float_dtype(dtype):
    """The dtype a float function of `dtype` computes in: ints and bools become floatx."""
    return dtype if dtype.is_floating_point or dtype.is_complex else _floatx()


def _float_tensors(*xs, weak=True):
    """As `_tensors`, in a floating dtype (ints and bools promote to floatx)."""
    xs, dtype = _promote(*xs, weak=weak)
    return _same(xs, _float_dtype(dtype))


# ----------------------------------------------------------------------------- elementwise

def _unary_float(name, fn, int64_to_float64=False):
    """An elementwise op computed in floating point (ints and bools become floatx; int64 becomes
    float64 where Keras does so)."""
    def op(x):
        x = _t(x)
        return fn(x.to(torch.float64) if int64_to_float64 and x.dtype == torch.int64 else _float(x))
    op.__name__ = op.__qualname__ = name
    op.__doc__ = f"Elementwise `{name}` (int and bool inputs give floatx)."
    return _op(op)


def _binary_float(name, fn):
    """An elementwise op of two broadcast operands, computed in their promoted float dtype
    (Python scalars count as int32 / floatx here, as in Keras)."""
    def op(x1, x2):
        return fn(*_float_tensors(x1, x2, weak=False))
    op.__name__ = op.__qualname__ = name
    op.__doc__ = f"Elementwise `{name}` of two broadcast tensors (promoted to a float dtype)."
    return _op(op)


def _binary(name, fn, bool_as=None):
    """An elementwise op of two broadcast operands, in their promoted dtype."""
    def op(x1, x2):
        a, b = _tensors(x1, x2)
        if bool_as is not None and a.dtype == torch.bool:
            a, b = a.to(bool_as), b.to(bool_as)
        return fn(a, b)
    op.__name__ = op.__qualname__ = name
    op.__doc__ = f"Elementwise `{name}` of two broadcast tensors (promoted dtype)."
    return _op(op)


def _cbrt(x):
    return torch.sign(x) * torch.abs(x) ** (1.0 / 3.0)


arccos = _unary_float("arccos", torch.acos)
arccosh = _unary_float("arccosh", torch.acosh)
arcsin = _unary_float("arcsin", torch.asin)
arcsinh = _unary_float("arcsinh", torch.asinh)
arctan = _unary_float("arctan", torch.atan)
arctanh = _unary_float("arctanh", torch.atanh)
cos = _unary_float("cos", torch.cos)
cosh = _unary_float("cosh", torch.cosh)
sin = _unary_float("sin", torch.sin)
sinh = _unary_float("sinh", torch.sinh)
tan = _unary_float("tan", torch.tan)
deg2rad = _unary_float("deg2rad", torch.deg2rad, int64_to_float64=True)
rad2deg = _unary_float("rad2deg", torch.rad2deg, int64_to_float64=True)
exp2 = _unary_float("exp2", torch.exp2)
expm1 = _unary_float("expm1", torch.expm1)
log10 = _unary_float("log10", torch.log10)
log2 = _unary_float("log2", torch.log2)
sinc = _unary_float("sinc", torch.sinc)
i0 = _unary_float("i0", torch.i0, int64_to_float64=True)
fabs = _unary_float("fabs", torch.abs)
cbrt = _unary_float("cbrt", _cbrt, int64_to_float64=True)
reciprocal = _unary_float("reciprocal", torch.reciprocal)
angle = _unary_float("angle", torch.angle)

arctan2 = _binary_float("arctan2", torch.atan2)
hypot = _binary_float("hypot", torch.hypot)
logaddexp = _binary_float("logaddexp", torch.logaddexp)
logaddexp2 = _binary_float("logaddexp2", torch.logaddexp2)
fmax = _binary("fmax", torch.fmax)
fmin = _binary("fmin", torch.fmin)
fmod = _binary("fmod", torch.fmod, bool_as=torch.int32)
gcd = _binary("gcd", torch.gcd)
lcm = _binary("lcm", torch.lcm)
logical_xor = _binary("logical_xor", torch.logical_xor)


def _bitwise(name, fn):
    def op(x, y):
        a, b = _tensors(x, y)
        if a.is_floating_point() or a.is_complex():
            _fail(name, f"operands of dtype {a.dtype}", "integer or bool tensors", TypeError)
        return fn(a, b)
    op.__name__ = op.__qualname__ = name
    op.__doc__ = f"Elementwise `{name}` of two broadcast integer (or bool) tensors."
    return _op(op)


bitwise_and = _bitwise("bitwise_and", torch.bitwise_and)
bitwise_or = _bitwise("bitwise_or", torch.bitwise_or)
bitwise_xor = _bitwise("bitwise_xor", torch.bitwise_xor)
bitwise_left_shift = _bitwise("bitwise_left_shift", torch.bitwise_left_shift)
bitwise_right_shift = _bitwise("bitwise_right_shift", torch.bitwise_right_shift)
left_shift = _bitwise("left_shift", torch.bitwise_left_shift)
right_shift = _bitwise("right_shift", torch.bitwise_right_shift)


@_op
def bitwise_invert(x):
    x = _t(x)
    if x.is_floating_point() or x.is_complex():
        _fail("bitwise_invert", f"a tensor of dtype {x.dtype}", "an integer or bool tensor", TypeError)
    return torch.bitwise_not(x)


@_op
def bitwise_not(x):
    return bitwise_invert._raw(x)


@_op
def heaviside(x1, x2):
    a, b = _tensors(x1, x2, weak=False)
    if a.dtype in _INT_DTYPES:  # ints compute in floating point; bools stay bools
        dtype = torch.float64 if a.dtype == torch.int64 else _floatx()
        a, b = a.to(dtype), b.to(dtype)
    return torch.heaviside(a, b)


@_op
def trunc(x):
    x = _t(x)
    return x if x.dtype == torch.bool or x.dtype in _INT_DTYPES else torch.trunc(x)


@_op
def signbit(x):
    return torch.signbit(_t(x))


@_op
def isfinite(x):
    return torch.isfinite(_t(x))


@_op
def isneginf(x):
    return torch.isneginf(_t(x))


@_op
def isposinf(x):
    return torch.isposinf(_t(x))


@_op
def isreal(x):
    return torch.isreal(_t(x))


@_op
def conj(x):
    return torch.conj(_t(x)).resolve_conj()


conjugate = conj


@_op
def real(x):
    return torch.real(_t(x))


@_op
def imag(x):
    x = _t(x)
    return torch.imag(x) if x.is_complex() else torch.zeros_like(x)


@_op
def copy(x):
    return torch.clone(_t(x))


@_op
def nan_to_num(x, nan=0.0, posinf=None, neginf=None):
    return torch.nan_to_num(_t(x), nan=nan, posinf=posinf, neginf=neginf)


@_op
def divide_no_nan(x1, x2):
    """x1 / x2, with 0 where x2 is 0."""
    a, b = _float_tensors(x1, x2)
    zero = b == 0
    return torch.where(zero, torch.zeros((), dtype=a.dtype), a / torch.where(zero, torch.ones_like(b), b))


@_op
def ldexp(x1, x2):
    x2 = _t(x2)
    if x2.dtype not in _INT_DTYPES:
        _fail("ldexp", f"an exponent `x2` of dtype {x2.dtype}", "an integer exponent", TypeError)
    a, b = _float_tensors(x1, x2)
    return torch.ldexp(a, b).to(a.dtype)


@_op
def nextafter(x1, x2):
    a, b = _float_tensors(x1, x2, weak=False)
    return torch.nextafter(a.double(), b.double()).to(a.dtype)


@_op
def isclose(x1, x2, rtol=1e-05, atol=1e-08, equal_nan=False):
    a, b = _tensors(x1, x2)
    if a.is_floating_point() or a.is_complex():
        return torch.isclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan)
    return torch.eq(a, b)


@_op
def allclose(x1, x2, rtol=1e-05, atol=1e-08, equal_nan=False):
    return torch.all(isclose._raw(x1, x2, rtol=rtol, atol=atol, equal_nan=equal_nan))


@_op
def isin(x1, x2, assume_unique=False, invert=False):
    a, b = _tensors(x1, x2)
    if a.dtype == torch.bool:
        a, b = a.to(torch.int32), b.to(torch.int32)
    return torch.isin(a, b, assume_unique=assume_unique, invert=invert)


@_op
def select(condlist, choicelist, default=0):
    """Elementwise: the value of the first choice whose condition holds, else `default`."""
    if len(condlist) != len(choicelist):
        _fail("select", f"{len(condlist)} conditions and {len(choicelist)} choices",
              "as many conditions as choices")
    if not condlist:
        _fail("select", "an empty `condlist`", "at least one condition")
    conds = [_t(c).to(torch.bool) for c in condlist]
    choices = _tensors(*choicelist, default)
    out = choices[-1]
    for c, v in reversed(list(zip(conds, choices[:-1]))):
        out = torch.where(c, v, out)
    return out


# ----------------------------------------------------------------------------- products

@_op
def outer(x1, x2):
    a, b = _tensors(x1, x2, weak=False)
    return torch.outer(a.reshape(-1), b.reshape(-1))


@_op
def inner(x1, x2):
    a, b = _tensors(x1, x2, weak=False)
    dtype = a.dtype
    if a.dim() == 0 or b.dim() == 0:
        return a * b
    return torch.inner(a.to(_float_dtype(dtype)), b.to(_float_dtype(dtype))).to(dtype)


@_op
def vdot(x1, x2):
    a, b = _tensors(x1, x2)
    dtype = a.dtype
    fd = _float_dtype(dtype)
    return torch.vdot(a.reshape(-1).to(fd), b.reshape(-1).to(fd)).to(dtype)


@_op
def tensordot(x1, x2, axes=2):
    a, b = _tensors(x1, x2)
    dtype = a.dtype
    if isinstance(axes, (list, tuple)):
        first, second = axes
        axes = (tuple(first) if isinstance(first, (list, tuple)) else (first,),
                tuple(second) if isinstance(second, (list, tuple)) else (second,))
    fd = _float_dtype(dtype)
    return torch.tensordot(a.to(fd), b.to(fd), dims=axes).to(dtype)


@_op
def kron(x1, x2):
    return torch.kron(*_tensors(x1, x2, weak=False))


@_op
def cross(x1, x2, axisa=-1, axisb=-1, axisc=-1, axis=None):
    a, b = _tensors(x1, x2)
    if axis is not None:
        axisa = axisb = axisc = axis
    a, b = torch.movedim(a, axisa, -1), torch.movedim(b, axisb, -1)
    if a.shape[-1] not in (2, 3) or b.shape[-1] not in (2, 3):
        _fail("cross", f"vectors of sizes {a.shape[-1]} and {b.shape[-1]}", "vectors of size 2 or 3")
    if a.shape[-1] == 2 and b.shape[-1] == 2:
        return a[..., 0] * b[..., 1] - a[..., 1] * b[..., 0]
    pad3 = lambda v: torch.nn.functional.pad(v, (0, 3 - v.shape[-1])) if v.shape[-1] == 2 else v  # noqa: E731
    a, b = torch.broadcast_tensors(pad3(a), pad3(b))
    dtype = a.dtype
    compute = torch.float32 if dtype in (torch.float16, torch.bfloat16) else dtype
    out = torch.linalg.cross(a.to(compute), b.to(compute), dim=-1).to(dtype)
    return torch.movedim(out, -1, axisc)


@_op
def correlate(x1, x2, mode="valid"):
    """Cross-correlation of two 1-D sequences (numpy.correlate)."""
    a, b = _tensors(x1, x2)
    if a.dim() != 1 or b.dim() != 1:
        _fail("correlate", f"shapes {tuple(a.shape)} and {tuple(b.shape)}", "two 1-D tensors")
    if mode not in ("valid", "same", "full"):
        _fail("correlate", f"mode={mode!r}", "mode 'valid', 'same' or 'full'")
    dtype = a.dtype
    dtype = torch.float64 if dtype == torch.int64 else \
        dtype if dtype in (torch.float16, torch.bfloat16, torch.float64) else torch.float32
    a, b = a.to(dtype), b.to(dtype)
    n, m = a.shape[0], b.shape[0]
    compute = torch.float32 if dtype in (torch.float16, torch.bfloat16) else dtype
    full = torch.nn.functional.conv1d(a.to(compute)[None, None], b.to(compute)[None, None], padding=m - 1)
    full = full.reshape(-1).to(dtype)
    if mode == "full":
        return full
    if mode == "valid":
        length = builtins.max(n, m) - builtins.min(n, m) + 1
        start = (full.shape[0] - length) // 2
    else:  # "same": as long as the longer input, centred as numpy centres it
        length = builtins.max(n, m)
        start = (m - 1) // 2 if n >= m else n // 2
    return full[start:start + length]


# ----------------------------------------------------------------------------- reductions

@_op
def count_nonzero(x, axis=None):
    x = _t(x)
    if axis == () or axis == []:
        return torch.ne(x, 0).to(torch.int32)
    return torch.count_nonzero(x, dim=_axes(axis, x.dim())).to(torch.int32)


@_op
def ptp(x, axis=None, keepdims=False):
    x = _t(x)
    return _reduce(torch.amax, x, axis, keepdims) - _reduce(torch.amin, x, axis, keepdims)


@_op
def average(x, axis=None, weights=None):
    x = _t(x)
    if weights is None:
        return torch.mean(x.to(_float_dtype(x.dtype)), dim=_axes(axis, x.dim()))
    x, w = _float_tensors(x, weights)
    if w.shape != x.shape:
        if axis is None or w.dim() != 1:
            _fail("average", f"weights of shape {tuple(w.shape)} for x of shape {tuple(x.shape)}",
                  "weights of the shape of x, or 1-D weights along `axis`")
        ax = int(axis) % x.dim()
        if w.shape[0] != x.shape[ax]:
            _fail("average", f"1-D weights of length {w.shape[0]} for axis {axis} of size {x.shape[ax]}",
                  "weights as long as that axis")
        w = w.reshape([-1 if i == ax else 1 for i in range(x.dim())])
    dims = _axes(axis, x.dim())
    if dims is None:
        return torch.sum(x * w) / torch.sum(torch.broadcast_to(w, x.shape))
    return torch.sum(x * w, dim=dims) / torch.sum(torch.broadcast_to(w, x.shape), dim=dims)


@_op
def trace(x, offset=0, axis1=0, axis2=1):
    x = _t(x)
    dtype = torch.int32 if x.dtype in (torch.bool, torch.int8, torch.int16, torch.uint8) else x.dtype
    return torch.sum(torch.diagonal(x, offset, axis1, axis2), dim=-1, dtype=dtype)


@_op
def trapezoid(y, x=None, dx=1.0, axis=-1):
    y = _t(y)
    if y.dtype == torch.bool:
        y = y.to(_floatx())
    if x is not None:
        return torch.trapezoid(y, x=_t(x), dim=axis)
    return torch.trapezoid(y, dx=dx, dim=axis)


def _nan_fill(x, value):
    return torch.where(torch.isnan(x), torch.as_tensor(value, dtype=x.dtype), x) if x.is_floating_point() else x


@_op
def nansum(x, axis=None, keepdims=False):
    return sum._raw(_nan_fill(_t(x), 0), axis=axis, keepdims=keepdims)


@_op
def nanprod(x, axis=None, keepdims=False):
    return prod._raw(_nan_fill(_t(x), 1), axis=axis, keepdims=keepdims)


@_op
def nanmean(x, axis=None, keepdims=False):
    x = _float(_t(x))
    return torch.nanmean(x, dim=_axes(axis, x.dim()), keepdim=keepdims)


@_op
def nanvar(x, axis=None, keepdims=False):
    x = _float(_t(x))
    dims = _axes(axis, x.dim())
    valid = ~torch.isnan(x)
    centered = torch.where(valid, x - torch.nanmean(x, dim=dims, keepdim=True), torch.zeros((), dtype=x.dtype))
    sq = centered.real ** 2 + centered.imag ** 2 if x.is_complex() else centered ** 2
    return torch.sum(sq, dim=dims, keepdim=keepdims) / torch.sum(valid, dim=dims, keepdim=keepdims)


@_op
def nanstd(x, axis=None, keepdims=False):
    return torch.sqrt(nanvar._raw(x, axis=axis, keepdims=keepdims))


def _nan_extreme(x, axis, keepdims, largest):
    x = _t(x)
    if not x.is_floating_point():
        return _reduce(torch.amax if largest else torch.amin, x, axis, keepdims)
    nan = torch.isnan(x)
    filled = torch.where(nan, torch.as_tensor(-math.inf if largest else math.inf, dtype=x.dtype), x)
    out = _reduce(torch.amax if largest else torch.amin, filled, axis, keepdims)
    return torch.where(_reduce(torch.all, nan, axis, keepdims), torch.as_tensor(math.nan, dtype=x.dtype), out)


@_op
def nanmax(x, axis=None, keepdims=False):
    return _nan_extreme(x, axis, keepdims, largest=True)


@_op
def nanmin(x, axis=None, keepdims=False):
    return _nan_extreme(x, axis, keepdims, largest=False)


def _nan_arg(x, axis, keepdims, largest):
    x = _t(x)
    pick = argmax._raw if largest else argmin._raw
    if not x.is_floating_point():
        return pick(x, axis=axis, keepdims=keepdims)
    nan = torch.isnan(x)
    filled = torch.where(nan, torch.as_tensor(-math.inf if largest else math.inf, dtype=x.dtype), x)
    out = pick(filled, axis=axis, keepdims=keepdims)
    all_nan = _reduce(torch.all, nan, None if axis is None else (axis,), keepdims)
    return torch.where(all_nan, torch.as_tensor(-1, dtype=torch.int32), out)


@_op
def nanargmax(x, axis=None, keepdims=False):
    return _nan_arg(x, axis, keepdims, largest=True)


@_op
def nanargmin(x, axis=None, keepdims=False):
    return _nan_arg(x, axis, keepdims, largest=False)


@_op
def nancumsum(x, axis=None, dtype=None):
    return cumsum._raw(_nan_fill(_t(x), 0), axis=axis, dtype=dtype)


@_op
def nancumprod(x, axis=None, dtype=None):
    return cumprod._raw(_nan_fill(_t(x), 1), axis=axis, dtype=dtype)


_QUANTILE_METHODS = ("linear", "lower", "higher", "midpoint", "nearest")


def _quantile(op, x, q, axis, method, keepdims, ignore_nan, scale=1):
    """Quantiles `q / scale` (scale 100 for percentiles) over `axis`, torch's interpolation methods."""
    if method not in _QUANTILE_METHODS:
        _fail(op, f"method={method!r}", f"one of {_QUANTILE_METHODS}")
    x = _t(x)
    result_dtype = _float_dtype(x.dtype)
    compute = torch.float64 if x.dtype == torch.float64 or x.dtype == torch.int64 else torch.float32
    x = x.to(compute)
    q = _t(q).to(torch.float64)
    if q.numel() and (bool((q < 0).any()) or bool((q > scale).any())):
        _fail(op, f"q={q.tolist()}", f"values of q in [0, {scale}]")
    q = (q / scale).to(compute)
    dims = _axes(axis, x.dim())
    if dims is None:
        y = x.reshape(-1)
    else:
        rest = [i for i in range(x.dim()) if i not in dims]
        y = x.permute(rest + list(dims)).reshape([x.shape[i] for i in rest] + [-1])
    fn = torch.nanquantile if ignore_nan else torch.quantile
    y = fn(y, q, dim=-1, interpolation=method)
    if keepdims:
        kept = range(x.dim()) if dims is None else sorted(dims)
        for i in kept:
            y = y.unsqueeze(i + (1 if q.dim() > 0 else 0) if dims is not None else -1)
    return y.to(result_dtype)


@_op
def quantile(x, q, axis=None, method="linear", keepdims=False):
    return _quantile("quantile", x, q, axis, method, keepdims, ignore_nan=False)


@_op
def nanquantile(x, q, axis=None, method="linear", keepdims=False):
    return _quantile("nanquantile", x, q, axis, method, keepdims, ignore_nan=True)


@_op
def percentile(x, q, axis=None, method="linear", keepdims=False):
    return _quantile("percentile", x, q, axis, method, keepdims, ignore_nan=False, scale=100)


@_op
def nanpercentile(x, q, axis=None, method="linear", keepdims=False):
    return _quantile("nanpercentile", x, q, axis, method, keepdims, ignore_nan=True, scale=100)


@_op
def median(x, axis=None, keepdims=False):
    return _quantile("median", x, 0.5, axis, "linear", keepdims, ignore_nan=False)


@_op
def nanmedian(x, axis=None, keepdims=False):
    return _quantile("nanmedian", x, 0.5, axis, "linear", keepdims, ignore_nan=True)


@_op
def corrcoef(x):
    x = _t(x)
    if x.dtype == torch.int64:
        x = x.to(torch.float64)
    return torch.corrcoef(_float(x))


# ----------------------------------------------------------------------------- shapes and indexing

@_op
def append(x1, x2, axis=None):
    a, b = _tensors(x1, x2, weak=False)
    if axis is None:
        return torch.cat([a.reshape(-1), b.reshape(-1)])
    return torch.cat([a, b], dim=axis)


@_op
def array(x, dtype=None):
    return _t(x, dtype)


@_op
def broadcast_to(x, shape):
    x = _t(x)
    shape = (int(shape),) if isinstance(shape, (int, np.integer)) else tuple(int(d) for d in shape)
    try:
        return torch.broadcast_to(x, shape)
    except RuntimeError:
        _fail("broadcast_to", f"x of shape {tuple(x.shape)} and shape={shape}", "a shape x can broadcast to")


@_op
def ravel(x):
    return torch.reshape(_t(x), (-1,))


@_op
def moveaxis(x, source, destination):
    return torch.movedim(_t(x), source, destination)


@_op
def swapaxes(x, axis1, axis2):
    return torch.swapaxes(_t(x), axis1, axis2)


@_op
def fliplr(x):
    x = _t(x)
    if x.dim() < 2:
        _fail("fliplr", f"a tensor of shape {tuple(x.shape)}", "a tensor of rank 2 or more")
    return torch.flip(x, (1,))


@_op
def flipud(x):
    x = _t(x)
    if x.dim() < 1:
        _fail("flipud", "a scalar", "a tensor of rank 1 or more")
    return torch.flip(x, (0,))


@_op
def rot90(array, k=1, axes=(0, 1)):
    x = _t(array)
    if x.dim() < 2:
        _fail("rot90", f"a tensor of shape {tuple(x.shape)}", "a tensor of rank 2 or more")
    if len(axes) != 2 or axes[0] % x.dim() == axes[1] % x.dim():
        _fail("rot90", f"axes={axes}", "two different axes")
    return torch.rot90(x, k, tuple(axes))


@_op
def diag(x, k=0):
    x = _t(x)
    if x.dim() not in (1, 2):
        _fail("diag", f"a tensor of shape {tuple(x.shape)}", "a 1-D or 2-D tensor")
    return torch.diag(x, k)


@_op
def diagflat(x, k=0):
    return torch.diagflat(_t(x), k)


@_op
def diagonal(x, offset=0, axis1=0, axis2=1):
    return torch.diagonal(_t(x), offset, axis1, axis2)


@_op
def diff(a, n=1, axis=-1):
    return torch.diff(_t(a), n=n, dim=axis)


@_op
def tril(x, k=0):
    return torch.tril(_t(x), k)


@_op
def triu(x, k=0):
    return torch.triu(_t(x), k)


def tri(N, M=None, k=0, dtype=None):
    dtype = backend.torch_dtype(dtype or backend.floatx())
    return torch.tril(torch.ones((N, N if M is None else M), dtype=dtype), k)


@_op
def array_split(x, indices_or_sections, axis=0):
    x = _t(x)
    if isinstance(indices_or_sections, int):
        if indices_or_sections <= 0:
            _fail("array_split", f"indices_or_sections={indices_or_sections}", "a positive number of sections")
        return list(torch.tensor_split(x, indices_or_sections, dim=axis))
    return list(torch.tensor_split(x, [int(i) for i in indices_or_sections], dim=axis))


def _split_along(op, x, indices_or_sections, axis, min_rank):
    x = _t(x)
    if x.dim() < min_rank:
        _fail(op, f"a tensor of shape {tuple(x.shape)}", f"a tensor of rank {min_rank} or more")
    return split._raw(x, indices_or_sections, axis=axis)


@_op
def vsplit(x, indices_or_sections):
    return _split_along("vsplit", x, indices_or_sections, 0, 2)


@_op
def hsplit(x, indices_or_sections):
    x = _t(x)
    return _split_along("hsplit", x, indices_or_sections, 1 if x.dim() > 1 else 0, 1)


@_op
def dsplit(x, indices_or_sections):
    return _split_along("dsplit", x, indices_or_sections, 2, 3)


@_op
def vstack(xs):
    return torch.vstack(_tensors(*xs))


@_op
def hstack(xs):
    return torch.hstack(_tensors(*xs))


@_op
def dstack(xs):
    return torch.dstack(_tensors(*xs))


@_op
def get_item(x, key):
    return _t(x)[key]


@_op
def meshgrid(*x, indexing="xy"):
    if indexing not in ("xy", "ij"):
        _fail("meshgrid", f"indexing={indexing!r}", "'xy' or 'ij'")
    return list(torch.meshgrid(*[_t(v) for v in x], indexing=indexing))


@_op
def nonzero(x):
    """Indices of the non-zero elements, one int32 tensor per dimension."""
    x = _t(x)
    return tuple(i.to(torch.int32) for i in torch.nonzero(x, as_tuple=True))


@_op
def argpartition(x, kth, axis=-1):
    """Indices that partition `x` around its `kth` smallest element along `axis`."""
    x = _t(x)
    if axis is None:
        x, axis = x.reshape(-1), 0
    n = x.shape[axis]
    if not -n <= kth < n:
        _fail("argpartition", f"kth={kth} for an axis of size {n}", f"kth in [{-n}, {n})")
    if x.dtype == torch.bool:
        x = x.to(torch.uint8)
    return torch.argsort(x, dim=axis, stable=True).to(torch.int32)


@_op
def searchsorted(sorted_sequence, values, side="left"):
    seq = _t(sorted_sequence)
    if seq.dim() != 1:
        _fail("searchsorted", f"sorted_sequence of shape {tuple(seq.shape)}", "a 1-D sorted sequence")
    if side not in ("left", "right"):
        _fail("searchsorted", f"side={side!r}", "'left' or 'right'")
    a, b = _tensors(seq, values)
    return torch.searchsorted(a, b, side=side, out_int32=True)


@_op
def digitize(x, bins):
    x, bins = _t(x), _t(bins)
    if bins.dim() != 1:
        _fail("digitize", f"bins of shape {tuple(bins.shape)}", "1-D bins")
    if x.dtype == torch.bool:
        x = x.to(torch.uint8)
    x, bins = _tensors(x, bins)
    return torch.bucketize(x, bins, right=True).to(torch.int32)


@_op
def bincount(x, weights=None, minlength=0, sparse=False):
    if sparse:
        _fail("bincount", "sparse=True", "sparse=False (sparse outputs are not supported)")
    x = _t(x)
    if x.dtype not in _INT_DTYPES or x.dim() not in (1, 2):
        _fail("bincount", f"a tensor of dtype {x.dtype} and shape {tuple(x.shape)}",
              "a 1-D or 2-D tensor of non-negative integers")
    if x.numel() and bool((x < 0).any()):
        _fail("bincount", "negative values", "non-negative integers")
    if weights is None:
        dtype, w = torch.int32, None
    else:  # weighted counts are summed in float64, then given the promoted dtype of x and weights
        w = _t(weights)
        if w.shape != x.shape:
            _fail("bincount", f"weights of shape {tuple(w.shape)} for x of shape {tuple(x.shape)}",
                  "weights of the shape of x")
        _, dtype = _promote(x, w)
        w = w.to(torch.float64)
    length = builtins.max(int(x.max()) + 1 if x.numel() else 0, int(minlength))
    x = x.to(torch.int64)
    if x.dim() == 1:
        return torch.bincount(x, w, minlength=length).to(dtype)
    rows = [torch.bincount(x[i], None if w is None else w[i], minlength=length) for i in range(x.shape[0])]
    return torch.stack(rows).to(dtype)


@_op
def histogram(x, bins=10, range=None):
    x = _float(_t(x))
    if x.dim() != 1:
        _fail("histogram", f"x of shape {tuple(x.shape)}", "a 1-D tensor")
    if not isinstance(bins, int) or bins < 1:
        _fail("histogram", f"bins={bins!r}", "a positive integer")
    if range is not None:
        range = (float(range[0]), float(range[1]))
    out = torch.histogram(x, bins=bins, range=range)
    return out.hist, out.bin_edges


@_op
def unique(x, sorted=True, return_index=False, return_inverse=False, return_counts=False, axis=None, size=None,
           fill_value=None):
    x = _t(x)
    if axis is None:
        flat, dim = x.reshape(-1), 0
    else:
        flat, dim = x, int(axis) % x.dim()
    values, inverse, counts = torch.unique(flat, sorted=True, return_inverse=True, return_counts=True, dim=dim)
    index = None
    if return_index:
        positions = torch.arange(inverse.shape[0], dtype=torch.int64, device=x.device)
        index = torch.full((values.shape[dim],), inverse.shape[0], dtype=torch.int64, device=x.device)
        index = index.scatter_reduce(0, inverse, positions, reduce="amin", include_self=True)
    if size is not None:
        have = values.shape[dim]
        if have < size:
            pad_shape = list(values.shape)
            pad_shape[dim] = size - have
            pad = torch.full(pad_shape, 0 if fill_value is None else fill_value, dtype=values.dtype,
                             device=x.device)
            values = torch.cat([values, pad], dim=dim)
            counts = torch.cat([counts, counts.new_zeros(size - have)])
            if index is not None:
                index = torch.cat([index, index.new_zeros(size - have)])
        else:
            values, counts = values.narrow(dim, 0, size), counts[:size]
            index = None if index is None else index[:size]
    out = [values]
    if return_index:
        out.append(index)
    if return_inverse:
        out.append(inverse.reshape(x.shape) if axis is None else inverse)
    if return_counts:
        out.append(counts)
    return out[0] if len(out) == 1 else tuple(out)


@_op
def unravel_index(indices, shape):
    indices = _t(indices)
    if indices.dtype not in _INT_DTYPES:
        _fail("unravel_index", f"indices of dtype {indices.dtype}", "integer indices", TypeError)
    return tuple(i.to(indices.dtype) for i in torch.unravel_index(indices, tuple(int(d) for d in shape)))


@_op
def vander(x, N=None, increasing=False):
    x = _t(x)
    if x.dim() != 1:
        _fail("vander", f"x of shape {tuple(x.shape)}", "a 1-D tensor")
    return torch.vander(x, N=N, increasing=increasing).to(x.dtype)


@_op
def size(x):
    """The number of elements, as a scalar int64 tensor (as Keras's torch backend gives it)."""
    if isinstance(x, (list, tuple, int, float, bool)):
        x = np.asarray(x)
    return torch.as_tensor(math.prod(tuple(int(d) for d in x.shape)), dtype=torch.int64)


@_op
def view(x, dtype=None):
    x = _t(x)
    return x if dtype is None else x.view(backend.torch_dtype(dtype))


@_op
def slogdet(x):
    x = _float(_t(x))
    if x.dim() < 2 or x.shape[-1] != x.shape[-2]:
        _fail("slogdet", f"a tensor of shape {tuple(x.shape)}", "a (batch of) square matrix")
    return tuple(torch.linalg.slogdet(x))


# ----------------------------------------------------------------------------- creation and windows

def empty(shape, dtype=None):
    """An uninitialized tensor (zeros here, which is one valid content)."""
    return zeros(shape, dtype=dtype)


@_op
def empty_like(x, dtype=None):
    return zeros_like._raw(x, dtype=dtype)


def _window(name, fn):
    def window(x):
        if isinstance(x, torch.Tensor):
            x = int(x)
        if not isinstance(x, (int, np.integer)) or x < 0:
            _fail(name, f"{x!r}", "a non-negative integer window length")
        return fn(int(x))
    window.__name__ = window.__qualname__ = name
    window.__doc__ = f"The symmetric {name} window of length `x`."
    return window


bartlett = _window("bartlett", lambda m: torch.signal.windows.bartlett(m, dtype=_floatx()))
blackman = _window("blackman", lambda m: torch.signal.windows.blackman(m, dtype=_floatx()))
hamming = _window("hamming", lambda m: torch.signal.windows.hamming(m, dtype=_floatx()))
hanning = _window("hanning", lambda m: torch.signal.windows.hann(m, dtype=_floatx()))


def kaiser(x, beta):
    return _window("kaiser", lambda m: torch.signal.windows.kaiser(m, beta=float(beta), dtype=_floatx()))(x)


def _space_dtype(start, stop, dtype):
    if dtype is not None:
        return backend.torch_dtype(dtype)
    ds = [v.dtype for v in (start, stop) if isinstance(v, torch.Tensor)]
    d = _floatx()
    for v in ds:
        d = torch.promote_types(d, v) if v.is_floating_point() else d
    return d


def logspace(start, stop, num=50, endpoint=True, base=10, dtype=None, axis=0):
    """`num` powers of `base`, exponents evenly spaced; array `start`/`stop` give a grid whose
    samples run along `axis` (numpy's semantics; Keras's torch backend supports only axis=0)."""
    dtype = _space_dtype(start, stop, dtype)
    start, stop = torch.as_tensor(start, dtype=torch.float64), torch.as_tensor(stop, dtype=torch.float64)
    div = (num - 1) if endpoint else num
    steps = torch.arange(num, dtype=torch.float64, device=start.device) / builtins.max(div, 1)
    steps = steps.reshape((num,) + (1,) * start.dim())
    exponents = start + steps * (stop - start)
    out = torch.pow(torch.as_tensor(float(base), dtype=torch.float64), exponents).to(dtype)
    return torch.movedim(out, 0, axis) if axis != 0 else out


def geomspace(start, stop, num=50, endpoint=True, dtype=None, axis=0):
    """A geometric progression from `start` to `stop` (both non-zero, of one sign)."""
    dtype = _space_dtype(start, stop, dtype)
    s, e = torch.as_tensor(start, dtype=torch.float64), torch.as_tensor(stop, dtype=torch.float64)
    if bool((s == 0).any()) or bool((e == 0).any()):
        _fail("geomspace", f"start={start}, stop={stop}", "non-zero start and stop")
    out = logspace(torch.log10(torch.abs(s)), torch.log10(torch.abs(e)), num=num, endpoint=endpoint,
                   dtype=torch.float64) * torch.sign(s)
    return torch.movedim(out, 0, axis).to(dtype) if axis != 0 else out.to(dtype)


# ----------------------------------------------------------------------------- vectorize

def _parse_signature(signature):
    def dims(part):
        return [tuple(d.strip() for d in group.split(",") if d.strip())
                for group in part.strip()[1:-1].split("),(")] if part.strip() else []
    try:
        ins, outs = signature.replace(" ", "").split("->")
        return dims(ins), dims(outs)
    except ValueError:
        _fail("vectorize", f"signature={signature!r}", "a signature like '(n),(n)->()'")


def vectorize(pyfunc, *, excluded=None, signature=None):
    """numpy.vectorize: `pyfunc` mapped over the broadcast leading (loop) dimensions of its
    tensor arguments; `signature` names the core dimensions each call sees."""
    excluded = set(excluded or ())

    def wrapped(*args, **kwargs):
        positions = [i for i, a in enumerate(args) if i not in excluded]
        tensors = [_t(args[i]) for i in positions]
        core = [0] * len(tensors)
        if signature is not None:
            in_dims, _ = _parse_signature(signature)
            if len(in_dims) != len(tensors):
                _fail("vectorize", f"{len(tensors)} tensor arguments", f"{len(in_dims)} as in {signature!r}")
            core = [len(d) for d in in_dims]
        loop_shapes = [t.shape[:t.dim() - c] for t, c in zip(tensors, core)]
        loop = torch.broadcast_shapes(*loop_shapes) if loop_shapes else ()
        tensors = [t.expand(tuple(loop) + tuple(t.shape[t.dim() - c:])) for t, c in zip(tensors, core)]

        def call(*ts):
            full = list(args)
            for i, t in zip(positions, ts):
                full[i] = t
            return pyfunc(*full, **kwargs)

        fn = call
        for _ in range(len(loop)):
            fn = torch.vmap(fn)
        return fn(*tensors)

    return wrapped


__all__ = [
    "abs", "absolute", "add", "all", "allclose", "amax", "amin", "angle", "any", "append", "arange", "arccos",
    "arccosh", "arcsin", "arcsinh", "arctan", "arctan2", "arctanh", "argmax", "argmin", "argpartition",
    "argsort", "array", "array_split", "average", "bartlett", "bincount", "bitwise_and", "bitwise_invert",
    "bitwise_left_shift", "bitwise_not", "bitwise_or", "bitwise_right_shift", "bitwise_xor", "blackman",
    "broadcast_to", "cbrt", "ceil", "clip", "concatenate", "conj", "conjugate", "copy", "corrcoef", "correlate",
    "cos", "cosh", "count_nonzero", "cross", "cumprod", "cumsum", "deg2rad", "diag", "diagflat", "diagonal",
    "diff", "digitize", "divide", "divide_no_nan", "dot", "dsplit", "dstack", "einsum", "empty", "empty_like",
    "equal", "exp", "exp2", "expand_dims", "expm1", "eye", "fabs", "flip", "fliplr", "flipud", "floor",
    "floor_divide", "fmax", "fmin", "fmod", "full", "full_like", "gcd", "geomspace", "get_item", "greater",
    "greater_equal", "hamming", "hanning", "heaviside", "histogram", "hsplit", "hstack", "hypot", "i0",
    "identity", "imag", "inner", "isclose", "isfinite", "isin", "isinf", "isnan", "isneginf", "isposinf",
    "isreal", "kaiser", "kron", "lcm", "ldexp", "left_shift", "less", "less_equal", "linspace", "log", "log10",
    "log1p", "log2", "logaddexp", "logaddexp2", "logical_and", "logical_not", "logical_or", "logical_xor",
    "logspace", "matmul", "max", "maximum", "mean", "median", "meshgrid", "min", "minimum", "mod", "moveaxis",
    "multiply", "nan_to_num", "nanargmax", "nanargmin", "nancumprod", "nancumsum", "nanmax", "nanmean",
    "nanmedian", "nanmin", "nanpercentile", "nanprod", "nanquantile", "nanstd", "nansum", "nanvar", "ndim",
    "negative", "nextafter", "nonzero", "not_equal", "ones", "ones_like", "outer", "pad", "percentile",
    "power", "prod", "ptp", "quantile", "rad2deg", "ravel", "real", "reciprocal", "repeat", "reshape",
    "right_shift", "roll", "rot90", "round", "searchsorted", "select", "sign", "signbit", "sin", "sinc",
    "sinh", "size", "slogdet", "sort", "split", "sqrt", "square", "squeeze", "stack", "std", "subtract", "sum",
    "swapaxes", "take", "take_along_axis", "tan", "tanh", "tensordot", "tile", "trace", "transpose",
    "trapezoid", "tri", "tril", "triu", "true_divide", "trunc", "unique", "unravel_index", "vander", "var",
    "vdot", "vectorize", "view", "vsplit", "vstack", "where", "zeros", "zeros_like",
]
