"""The top-level `keras.ops` functions that belong to none of its sub-namespaces (nn, image,
linalg, numpy): control flow (cond, scan, fori_loop, while_loop, map, vectorized_map,
associative_scan, switch), scatter and slice updates, segment reductions, FFTs and STFTs,
and the remaining math and dtype helpers (erfinv, logdet, in_top_k, cdist, saturate_cast, dtype,
unstack, rearrange, view_as_complex/real, custom_gradient, ...).

Control flow runs eagerly in Python, as on Keras's torch backend: functions are called on
concrete tensors and loops are unrolled.
"""
import builtins
import functools
import math
import re

import numpy as np
import torch
from torch.utils import _pytree as pytree

from keraslite import backend
from keraslite.ops import _float, _op, _t
from keraslite.ops import switch as _k2_switch

__all__ = [
    "associative_scan", "cdist", "cond", "custom_gradient", "dtype", "erfc", "erfinv", "extract_sequences", "fft",
    "fft2", "fori_loop", "ifft2", "in_top_k", "irfft", "istft", "logdet", "map", "rearrange", "rfft",
    "saturate_cast", "scan", "scatter", "scatter_update", "segment_max", "segment_min", "segment_prod",
    "segment_sum", "slice_update", "stft", "switch", "unstack", "vectorized_map", "view_as_complex",
    "view_as_real", "while_loop",
]


def _tensors(tree):
    """Every leaf of a nested structure as a tensor (None stays None)."""
    return pytree.tree_map(lambda v: v if v is None else _t(v), tree)


def _leaves_sorted(tree):
    """Leaves in Keras's flattening order (dict entries by sorted key)."""
    if isinstance(tree, dict):
        return [v for k in sorted(tree) for v in _leaves_sorted(tree[k])]
    if isinstance(tree, (list, tuple)):
        return [v for item in tree for v in _leaves_sorted(item)]
    return [] if tree is None else [tree]


def _stack_trees(trees):
    leaves = [pytree.tree_flatten(t) for t in trees]
    spec = leaves[0][1]
    columns = zip(*[flat for flat, _ in leaves])
    return pytree.tree_unflatten([torch.stack(list(c)) for c in columns], spec)


# ----------------------------------------------------------------------------- control flow

def cond(pred, true_fn, false_fn):
    """true_fn() when `pred` holds, false_fn() otherwise."""
    return true_fn() if bool(pred) else false_fn()


def switch(index, branches, *operands):
    """Keras 3: branches[clip(index, 0, len(branches) - 1)](*operands).

    Keras 2's K.switch(condition, then_expression, else_expression) (an elementwise choice,
    or a branch for a Python bool) is kept when `branches` is not a list of callables."""
    if isinstance(branches, (list, tuple)) and branches and builtins.all(callable(b) for b in branches):
        i = int(_t(index))
        return branches[builtins.min(builtins.max(i, 0), len(branches) - 1)](*operands)
    if len(operands) != 1:
        raise TypeError("ops.switch(index, branches, *operands) takes a list of callables as `branches`; received "
                        f"branches={branches!r}.")
    return _k2_switch(index, branches, operands[0])


def fori_loop(lower, upper, body_fun, init_val):
    val = init_val
    for i in range(int(lower), int(upper)):
        val = body_fun(i, val)
    return val


def while_loop(cond, body, loop_vars, maximum_iterations=None):
    is_sequence = isinstance(loop_vars, (list, tuple))
    values = tuple(_tensors(list(loop_vars))) if is_sequence else (_tensors(loop_vars),)
    steps = 0
    while (maximum_iterations is None or steps < maximum_iterations) and bool(cond(*values)):
        values = body(*values)
        values = tuple(values) if isinstance(values, (list, tuple)) else (values,)
        steps += 1
    return values if is_sequence else values[0]


def scan(f, init, xs=None, length=None, reverse=False, unroll=1):
    """Loop `carry, y = f(carry, x)` over the leading axis of `xs`; returns (carry, stacked ys)."""
    if not callable(f):
        raise TypeError(f"ops.scan: `f` must be callable; received f={f!r}.")
    if isinstance(unroll, bool) is False and (not isinstance(unroll, int) or unroll < 1):
        raise ValueError(f"ops.scan: `unroll` must be a positive int or a bool; received unroll={unroll!r}.")
    if xs is None and length is None:
        raise ValueError("ops.scan needs `xs` to scan over or a `length`.")
    if xs is None:
        flat, spec, n = [], None, int(length)
    else:
        flat, spec = pytree.tree_flatten(_tensors(xs))
        n = int(length) if length is not None else flat[0].shape[0]
    carry = _tensors(init)
    # A step that yields None stacks zeros shaped like the flattened carry (a list), as in Keras.
    zeros = [torch.zeros_like(v) for v in _leaves_sorted(carry)]
    ys = []
    order = range(n - 1, -1, -1) if reverse else range(n)
    for i in order:
        x = pytree.tree_unflatten([v[i] for v in flat], spec) if flat else None
        carry, y = f(carry, x)
        ys.append(zeros if y is None else y)
    if reverse:
        ys.reverse()
    if not ys:
        return carry, pytree.tree_map(lambda z: z.unsqueeze(0)[:0], zeros)
    return carry, _stack_trees(ys)


def map(f, xs):
    """f applied to each slice of `xs` along its leading axis, results stacked."""
    return scan(lambda carry, x: (carry, f(x)), (), xs)[1]


def vectorized_map(function, elements):
    """`function` on each slice of `elements` (leading axis), results stacked."""
    try:
        return torch.vmap(function)(_tensors(elements))
    except Exception:  # functions torch.vmap cannot trace (data-dependent Python control flow)
        return map(function, elements)


def associative_scan(f, elems, reverse=False, axis=0):
    """Inclusive scan with the associative `f` along `axis` (f receives slices that keep the
    axis, of size 1)."""
    if not callable(f):
        raise TypeError(f"ops.associative_scan: `f` must be callable; received f={f!r}.")
    flat, spec = pytree.tree_flatten(_tensors(elems))
    n = flat[0].shape[axis]
    if builtins.any(v.shape[axis] != n for v in flat):
        raise ValueError("ops.associative_scan: every element must have the same size along axis "
                         f"{axis}; received shapes {[tuple(v.shape) for v in flat]}.")
    order = range(n - 1, -1, -1) if reverse else range(n)
    acc, outs = None, []
    for i in order:
        piece = pytree.tree_unflatten([v.narrow(axis, i, 1) for v in flat], spec)
        acc = piece if acc is None else f(acc, piece)
        outs.append(pytree.tree_flatten(acc)[0])
    if reverse:
        outs.reverse()
    return pytree.tree_unflatten([torch.cat(list(c), dim=axis) for c in zip(*outs)], spec)


def custom_gradient(f):
    """Decorator: `f(*args)` returns (output, grad_fn). In backpropagation, Keras's torch
    convention applies: grad_fn(*args, upstream=gradient of the output) returns the gradients
    of the tensor arguments."""

    class _CustomGradient(torch.autograd.Function):
        @staticmethod
        def forward(ctx, *args):
            ctx.save_for_backward(*[a for a in args if isinstance(a, torch.Tensor)])
            ctx.args = args
            output, ctx.grad_fn = f(*args)
            return output

        @staticmethod
        def backward(ctx, upstream):
            grads = ctx.grad_fn(*ctx.args, upstream=upstream)
            grads = list(grads) if isinstance(grads, (list, tuple)) else [grads]
            it = iter(grads)
            return tuple(next(it, None) if isinstance(a, torch.Tensor) else None for a in ctx.args)

    @functools.wraps(f)
    def wrapped(*args):
        return _CustomGradient.apply(*args)

    return wrapped


# ----------------------------------------------------------------------------- scatter / slices

@_op
def scatter(indices, values, shape):
    """zeros(shape) with `values` added at `indices` (repeated indices accumulate)."""
    indices = _t(indices).to(torch.int64)
    values = _t(values)
    indices = indices.to(values.device)
    shape = tuple(int(s) for s in shape)
    depth = indices.shape[-1]
    out = torch.zeros(shape, dtype=values.dtype, device=values.device)
    index = tuple(indices.reshape(-1, depth).T)
    out.index_put_(index, values.reshape((-1,) + shape[depth:]), accumulate=True)
    return out


@_op
def scatter_update(inputs, indices, updates, reduction=None):
    inputs = _t(inputs)
    indices = _t(indices).to(device=inputs.device, dtype=torch.int64)
    updates = _t(updates).to(device=inputs.device, dtype=inputs.dtype)
    index = tuple(indices.reshape(-1, indices.shape[-1]).T)
    out = inputs.clone()
    if reduction is None:
        out[index] = updates
    elif reduction == "add":
        out.index_put_(index, updates, accumulate=True)
    elif reduction in ("max", "min", "mul"):
        combine = {"max": torch.maximum, "min": torch.minimum, "mul": torch.mul}[reduction]
        for i, idx in enumerate(zip(*index)):
            out[idx] = combine(out[idx], updates[i])
    else:
        raise ValueError(f"ops.scatter_update: `reduction` must be None, 'add', 'max', 'min' or 'mul'; received "
                         f"{reduction!r}.")
    return out


@_op
def slice_update(inputs, start_indices, updates):
    inputs, updates = _t(inputs), _t(updates)
    if len(start_indices) != inputs.dim():
        raise ValueError(f"ops.slice_update: `start_indices` needs one entry per axis of the input ({inputs.dim()}); "
                         f"received {start_indices!r}.")
    starts = [int(s) for s in (start_indices.tolist() if isinstance(start_indices, torch.Tensor) else start_indices)]
    out = inputs.clone()
    out[tuple(builtins.slice(s, s + n) for s, n in zip(starts, updates.shape))] = updates.to(inputs.dtype)
    return out


@_op
def unstack(x, num=None, axis=0):
    x = _t(x)
    if num is not None and num != x.shape[axis]:
        raise ValueError(f"ops.unstack: num={num} does not match axis {axis} of shape {tuple(x.shape)}.")
    return list(x.unbind(axis))


def _segment(op, reduce, data, segment_ids, num_segments):
    data = _t(data)
    ids = _t(segment_ids).to(device=data.device, dtype=torch.int64)
    if ids.dim() != 1 or ids.shape[0] != data.shape[0]:
        raise ValueError(f"ops.{op}: `segment_ids` must be 1-D with one id per row of `data` ({data.shape[0]}); "
                         f"received shape {tuple(ids.shape)}.")
    n = int(num_segments) if num_segments is not None else (int(ids.max()) + 1 if ids.numel() else 0)
    ids = torch.where((ids >= 0) & (ids < n), ids, torch.full_like(ids, n))  # out-of-range rows are dropped
    start = {"sum": 0.0, "prod": 1.0, "amax": -math.inf, "amin": math.inf}[reduce]
    out = torch.full((n + 1,) + tuple(data.shape[1:]), start, dtype=torch.float32, device=data.device)
    index = ids.reshape((-1,) + (1,) * (data.dim() - 1)).expand(data.shape)
    out = out.scatter_reduce(0, index, data.to(torch.float32), reduce)
    return out[:-1].to(data.dtype)


@_op
def segment_sum(data, segment_ids, num_segments=None, sorted=False):
    return _segment("segment_sum", "sum", data, segment_ids, num_segments)


@_op
def segment_max(data, segment_ids, num_segments=None, sorted=False):
    return _segment("segment_max", "amax", data, segment_ids, num_segments)


@_op
def segment_min(data, segment_ids, num_segments=None, sorted=False):
    return _segment("segment_min", "amin", data, segment_ids, num_segments)


@_op
def segment_prod(data, segment_ids, num_segments=None, sorted=False):
    return _segment("segment_prod", "prod", data, segment_ids, num_segments)


# ----------------------------------------------------------------------------- math

@_op
def erfc(x):
    return torch.special.erfc(_float(_t(x)))


@_op
def erfinv(x):
    return torch.special.erfinv(_float(_t(x)))


@_op
def logdet(x):
    return torch.logdet(_float(_t(x)))


@_op
def in_top_k(targets, predictions, k):
    predictions = _t(predictions)
    targets = _t(targets).to(device=predictions.device, dtype=torch.int64)
    kth = torch.topk(predictions, k, dim=-1).values[..., -1:]
    target_value = torch.take_along_dim(predictions, targets[:, None], dim=-1)
    return (target_value >= kth).squeeze(-1)


@_op
def cdist(x, y):
    x, y = _float(_t(x)), _float(_t(y))
    if x.dim() < 2 or y.dim() < 2 or x.shape[-1] != y.shape[-1]:
        raise ValueError(f"ops.cdist expects inputs of rank >= 2 with the same last dimension; received shapes "
                         f"{tuple(x.shape)} and {tuple(y.shape)}.")
    diff = x.unsqueeze(-2) - y.unsqueeze(-3)
    return torch.sqrt(torch.sum(diff * diff, dim=-1))


def dtype(x):
    """The standardized Keras dtype name of a tensor ('float32', 'int32', ...)."""
    value = getattr(x, "dtype", None)
    if value is None:
        value = _t(x).dtype
    return backend.dtype_name(value) if isinstance(value, torch.dtype) else backend.dtype_name(
        backend.torch_dtype(value))


@_op
def saturate_cast(x, dtype):
    """Cast, clipping first to the target dtype's range (no integer wrap-around)."""
    x = _t(x)
    target = backend.torch_dtype(dtype)
    if target == torch.bool:
        return x.to(target)
    info = torch.finfo(target) if target.is_floating_point else torch.iinfo(target)
    if x.is_floating_point() or x.is_complex():
        source = torch.finfo(x.dtype)
    elif x.dtype == torch.bool:
        return x.to(target)
    else:
        source = torch.iinfo(x.dtype)
    low, high = builtins.max(info.min, source.min), builtins.min(info.max, source.max)
    if x.is_floating_point() and not target.is_floating_point:
        # The largest float that does not exceed the integer bound.
        high_t = torch.as_tensor(high, dtype=x.dtype)
        if int(high_t.item()) > high:
            high_t = torch.nextafter(high_t, torch.as_tensor(-math.inf, dtype=x.dtype))
        low_t = torch.as_tensor(low, dtype=x.dtype)
        if int(low_t.item()) < low:
            low_t = torch.nextafter(low_t, torch.as_tensor(math.inf, dtype=x.dtype))
        return torch.clamp(x, low_t.item(), high_t.item()).to(target)
    return torch.clamp(x, low, high).to(target)


@_op
def extract_sequences(x, sequence_length, sequence_stride):
    x = _t(x)
    if x.shape[-1] < sequence_length:
        raise ValueError(f"ops.extract_sequences: the last axis ({x.shape[-1]}) is shorter than "
                         f"sequence_length={sequence_length}.")
    return x.unfold(-1, sequence_length, sequence_stride).contiguous()


@_op
def view_as_complex(x):
    x = _t(x)
    if x.shape[-1:] != (2,):
        raise ValueError(f"ops.view_as_complex expects a last axis of size 2 (real, imaginary); received shape "
                         f"{tuple(x.shape)}.")
    return torch.complex(_float(x[..., 0]), _float(x[..., 1]))


@_op
def view_as_real(x):
    x = _t(x)
    if not x.is_complex():
        raise ValueError(f"ops.view_as_real expects a complex tensor; received dtype {x.dtype}.")
    return torch.stack([x.real, x.imag], dim=-1)


_TOKEN = re.compile(r"\(|\)|[A-Za-z_][A-Za-z0-9_]*|1")


def _parse_side(text):
    groups, current, depth = [], None, 0
    for tok in _TOKEN.findall(text):
        if tok == "(":
            current, depth = [], depth + 1
        elif tok == ")":
            groups.append(current)
            current, depth = None, depth - 1
        elif current is not None:
            current.append(tok)
        else:
            groups.append([tok])
    return groups


def rearrange(tensor, pattern, **axes_lengths):
    """einops-style axis rearrangement: 'b h w c -> b (h w) c', 'b (h p) w -> b h p w', ..."""
    x = _t(tensor)
    if "->" not in pattern:
        raise ValueError(f"ops.rearrange: the pattern must contain '->'; received {pattern!r}.")
    left, right = (_parse_side(s) for s in pattern.split("->"))
    if len(left) != x.dim():
        raise ValueError(f"ops.rearrange: the pattern {pattern!r} names {len(left)} axes but the input has shape "
                         f"{tuple(x.shape)}.")
    sizes = dict(axes_lengths)
    for group, n in zip(left, x.shape):
        unknown = [a for a in group if a not in sizes and a != "1"]
        known = int(np.prod([sizes[a] for a in group if a in sizes])) if group else 1
        if len(unknown) > 1:
            raise ValueError(f"ops.rearrange: cannot infer the sizes of {unknown} in {pattern!r}; pass them as "
                             "keyword arguments.")
        if unknown:
            sizes[unknown[0]] = n // known
    sizes["1"] = 1
    elementary = [a for g in left for a in g if a != "1"]
    x = x.reshape([sizes[a] for g in left for a in g if a != "1"])
    order = [elementary.index(a) for g in right for a in g if a != "1"]
    x = x.permute(order)
    return x.reshape([int(np.prod([sizes[a] for a in g])) for g in right])


# ----------------------------------------------------------------------------- FFT

def _complex_pair(x, op):
    if not isinstance(x, (list, tuple)) or len(x) != 2:
        raise ValueError(f"ops.{op} expects a tuple (real, imag) of two tensors; received {type(x).__name__}.")
    real, imag = _t(x[0]), _t(x[1])
    if real.shape != imag.shape:
        raise ValueError(f"ops.{op}: real and imaginary parts must have the same shape; received {tuple(real.shape)} "
                         f"and {tuple(imag.shape)}.")
    if not real.is_floating_point() or not imag.is_floating_point():
        raise ValueError(f"ops.{op}: real and imaginary parts must be float tensors; received {real.dtype} and "
                         f"{imag.dtype}.")
    return torch.complex(real, imag)


@_op
def fft(x):
    out = torch.fft.fft(_complex_pair(x, "fft"))
    return out.real, out.imag


@_op
def fft2(x):
    out = torch.fft.fft2(_complex_pair(x, "fft2"))
    return out.real, out.imag


@_op
def ifft2(x):
    out = torch.fft.ifft2(_complex_pair(x, "ifft2"))
    return out.real, out.imag


@_op
def rfft(x, fft_length=None):
    out = torch.fft.rfft(_float(_t(x)), n=fft_length)
    return out.real, out.imag


@_op
def irfft(x, fft_length=None):
    return torch.fft.irfft(_complex_pair(x, "irfft"), n=fft_length)


def _window(window, length, dtype, device, op):
    if window is None:
        return torch.ones(length, dtype=dtype, device=device)
    if isinstance(window, str):
        if window not in ("hann", "hamming"):
            raise ValueError(f"ops.{op}: a string `window` must be 'hann' or 'hamming'; received {window!r}.")
        make = torch.hann_window if window == "hann" else torch.hamming_window
        return make(length, periodic=True, dtype=dtype, device=device)
    win = _t(window).to(dtype)
    if win.shape != (length,):
        raise ValueError(f"ops.{op}: `window` must have shape ({length},); received {tuple(win.shape)}.")
    return win


@_op
def stft(x, sequence_length, sequence_stride, fft_length, window="hann", center=True):
    x = _t(x)
    if x.dtype not in (torch.float32, torch.float64):
        raise TypeError(f"ops.stft expects float32 or float64 input; received {backend.dtype_name(x.dtype)}.")
    if fft_length < sequence_length:
        raise ValueError(f"ops.stft: fft_length ({fft_length}) must be >= sequence_length ({sequence_length}).")
    win = _window(window, sequence_length, x.dtype, x.device, "stft")
    batch = x.shape[:-1]
    out = torch.stft(x.reshape(-1, x.shape[-1]), n_fft=fft_length, hop_length=sequence_stride,
                     win_length=sequence_length, window=win, center=center, return_complex=True)
    out = out.reshape(*batch, *out.shape[-2:]).transpose(-2, -1)
    return out.real, out.imag


def _overlap_add(frames, stride):
    """Sum frames (..., n, length) placed `stride` apart."""
    *batch, n, length = frames.shape
    total = stride * (n - 1) + length
    out = frames.new_zeros((*batch, total))
    for i in range(n):
        out[..., i * stride:i * stride + length] += frames[..., i, :]
    return out


@_op
def istft(x, sequence_length, sequence_stride, fft_length, length=None, window="hann", center=True):
    spectrum = _complex_pair(x, "istft")
    dtype = spectrum.real.dtype
    win = None if window is None else _window(window, sequence_length, dtype, spectrum.device, "istft")
    if sequence_length == fft_length and center and win is not None:
        batch = spectrum.shape[:-2]
        flat = spectrum.reshape(-1, *spectrum.shape[-2:]).transpose(-2, -1)
        out = torch.istft(flat, n_fft=fft_length, hop_length=sequence_stride, win_length=sequence_length,
                          window=win, center=center, length=length, return_complex=False)
        return out.reshape(*batch, out.shape[-1])
    frames = torch.fft.irfft(spectrum, n=fft_length)
    n = frames.shape[-2]
    if win is not None:
        left = (fft_length - sequence_length) // 2
        win = torch.nn.functional.pad(win, (left, fft_length - sequence_length - left))
        # Normalise by the summed squared window of the frames that overlap each position.
        sq = torch.square(win)
        periods = -(-fft_length // sequence_stride)
        sq = torch.nn.functional.pad(sq, (0, periods * sequence_stride - fft_length))
        norm = sq.reshape(periods, sequence_stride).sum(0).repeat(periods)[:fft_length]
        frames = frames * (win / norm)
    out = _overlap_add(frames, sequence_stride)
    start = fft_length // 2 if center else 0
    if length is not None:
        end = start + length
    elif center:
        end = -(fft_length // 2)
    else:
        end = fft_length + sequence_stride * (n - 1)
    return out[..., start:end]
