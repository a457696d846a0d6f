"""The tensor functions TF2 custom training loops use beyond the shim's core set: comparisons,
`tf.where`, `tf.clip_by_value`, `tf.size`, `tf.gather`, `tf.print`, `tf.random.shuffle`, a few
more `tf.math` / `tf.nn` functions. Each is a torch function behind one argument-converting
wrapper (`_elementwise`); keraslite.compat.tensorflow_shim publishes them under tf.*.

Leaves to others: tensor conversion (tensorflow_shim.convert_to_tensor), dtypes.
"""
import builtins
import sys

import numpy as np
import torch

__all__ = ["TOP_LEVEL", "MATH", "NN", "RANDOM"]


def _tensor(x, like=None):
    from keraslite.compat.tensorflow_shim import convert_to_tensor

    if isinstance(x, torch.Tensor):
        # TF places operands itself; here the second operand follows the first's device.
        return x if like is None or x.device == like.device else x.to(like.device)
    if like is not None and isinstance(x, (builtins.bool, int, float)):
        return torch.tensor(x, dtype=like.dtype, device=like.device)
    t = convert_to_tensor(x)
    return t.to(like.device) if like is not None else t


def _elementwise(torch_fn, name):
    """A tf function from a torch one: array-like arguments become tensors on the device of
    the first, Python numbers take the first tensor's dtype (as TF's implicit constants do)."""
    def fn(x, *args, name=None, **kwargs):
        x = _tensor(x)
        return torch_fn(x, *[_tensor(a, like=x) if a is not None else a for a in args], **kwargs)

    fn.__name__ = name
    return fn


def _reduce(torch_fn, name):
    def fn(x, axis=None, keepdims=False, name=None):
        x = _tensor(x)
        if axis is None:
            out = torch_fn(x.reshape(-1), dim=0)
            return out.reshape([1] * x.ndim) if keepdims else out
        return torch_fn(x, dim=axis, keepdim=keepdims)

    fn.__name__ = name
    return fn


def where(condition, x=None, y=None, name=None):
    """Elementwise choice between x and y; with only `condition`, the indices of True entries
    as an (n, rank) int64 tensor."""
    condition = _tensor(condition).bool()
    if x is None and y is None:
        return torch.nonzero(condition)
    x = _tensor(x)
    return torch.where(condition, x, _tensor(y, like=x))


def clip_by_value(t, clip_value_min, clip_value_max, name=None):
    t = _tensor(t)
    return torch.clamp(t, _tensor(clip_value_min, like=t), _tensor(clip_value_max, like=t))


def size(x, out_type="int32", name=None):
    from keraslite.compat.tensorflow_shim import _torch_dtype

    return torch.tensor(_tensor(x).numel(), dtype=_torch_dtype(out_type))


def rank(x, name=None):
    return torch.tensor(_tensor(x).ndim, dtype=torch.int32)


def gather(params, indices, axis=None, batch_dims=0, name=None):
    """Entries of `params` along `axis` (default 0) at `indices`; indices may have any shape."""
    params = _tensor(params)
    indices = _tensor(indices).to(params.device).long()
    axis = 0 if axis is None else axis % params.ndim
    out = torch.index_select(params, axis, indices.reshape(-1))
    return out.reshape(params.shape[:axis] + indices.shape + params.shape[axis + 1:])


def _format(value, summarize=3):
    if isinstance(value, torch.Tensor):
        array = value.detach().cpu().numpy()
        if array.ndim == 0:
            return str(array.item())
        edge = summarize if summarize is not None and summarize >= 0 else 1000
        return np.array2string(array, separator=" ", threshold=2 * edge, edgeitems=edge)
    return str(value)


def tf_print(*inputs, output_stream=None, summarize=3, sep=" ", end="\n", name=None):
    """tf.print: tensors printed by value; writes to standard error unless output_stream says
    otherwise (as TensorFlow does)."""
    stream = sys.stderr if output_stream is None else output_stream
    if isinstance(stream, str):  # TF accepts "file://path"
        with open(stream.replace("file://", ""), "a", encoding="utf-8") as f:
            print(*[_format(v, summarize) for v in inputs], sep=sep, end=end, file=f)
        return
    print(*[_format(v, summarize) for v in inputs], sep=sep, end=end, file=stream)


def random_shuffle(value, seed=None, name=None):
    """A copy of `value` with its first dimension permuted."""
    value = _tensor(value)
    gen = torch.Generator().manual_seed(int(seed)) if seed is not None else None
    return value[torch.randperm(value.shape[0], generator=gen).to(value.device)]


def _sparse_softmax_cross_entropy_with_logits(labels=None, logits=None, name=None):
    logits = _tensor(logits)
    labels = _tensor(labels).to(logits.device).long()
    flat = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), labels.reshape(-1),
                                             reduction="none")
    return flat.reshape(labels.shape)


def _softmax_cross_entropy_with_logits(labels=None, logits=None, axis=-1, name=None):
    logits = _tensor(logits)
    return -(_tensor(labels).to(logits) * torch.log_softmax(logits, dim=axis)).sum(dim=axis)


def _reduce_std(x, axis=None, keepdims=False, name=None):
    return torch.sqrt(_reduce_variance(x, axis, keepdims))


def _reduce_variance(x, axis=None, keepdims=False, name=None):
    x = _tensor(x)
    if axis is None:
        out = torch.var(x.reshape(-1), unbiased=False)
        return out.reshape([1] * x.ndim) if keepdims else out
    return torch.var(x, dim=axis, keepdim=keepdims, unbiased=False)


_COMPARE = {name: _elementwise(fn, name) for name, fn in {
    "equal": torch.eq, "not_equal": torch.ne, "greater": torch.gt, "greater_equal": torch.ge, "less": torch.lt,
    "less_equal": torch.le, "logical_and": torch.logical_and, "logical_or": torch.logical_or,
    "logical_not": torch.logical_not, "pow": torch.pow, "round": torch.round, "floor": torch.floor,
    "ceil": torch.ceil, "sign": torch.sign, "negative": torch.neg, "log1p": torch.log1p, "rsqrt": torch.rsqrt,
    "sin": torch.sin, "cos": torch.cos, "floormod": torch.remainder, "mod": torch.remainder,
    "floordiv": torch.floor_divide, "reciprocal": torch.reciprocal, "is_nan": torch.isnan,
    "is_finite": torch.isfinite, "softplus": torch.nn.functional.softplus, "identity": torch.clone,
}.items()}

_REDUCTIONS = {
    "reduce_prod": _reduce(torch.prod, "reduce_prod"),
    "reduce_any": _reduce(lambda x, dim, keepdim=False: torch.any(x.bool(), dim=dim, keepdim=keepdim), "reduce_any"),
    "reduce_all": _reduce(lambda x, dim, keepdim=False: torch.all(x.bool(), dim=dim, keepdim=keepdim), "reduce_all"),
    "reduce_std": _reduce_std, "reduce_variance": _reduce_variance,
}

# tf.<name>
TOP_LEVEL = dict(_COMPARE, **_REDUCTIONS, where=where, clip_by_value=clip_by_value, size=size, rank=rank,
                 gather=gather, print=tf_print)
# tf.math.<name>
MATH = dict(_COMPARE, **_REDUCTIONS)
# tf.nn.<name>
NN = {
    "log_softmax": lambda logits, axis=-1, name=None: torch.log_softmax(_tensor(logits), dim=axis),
    "sparse_softmax_cross_entropy_with_logits": _sparse_softmax_cross_entropy_with_logits,
    "softmax_cross_entropy_with_logits": _softmax_cross_entropy_with_logits,
    "l2_loss": lambda t, name=None: (_tensor(t) ** 2).sum() / 2,
    "dropout": lambda x, rate, noise_shape=None, seed=None, name=None: torch.nn.functional.dropout(
        _tensor(x), p=float(rate), training=True),
}
# tf.random.<name>
RANDOM = {"shuffle": random_shuffle}
