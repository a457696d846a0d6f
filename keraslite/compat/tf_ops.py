"""The tensor functions TF2 code uses beyond the shim's core set, on torch tensors with
TensorFlow's argument names and semantics; keraslite.compat.tensorflow_shim publishes the
tables TOP_LEVEL (tf.*), MATH (tf.math.*), NN (tf.nn.*), RANDOM (tf.random.*) and LINALG
(tf.linalg.*).

- Custom training loops: comparisons, `tf.where`, `tf.clip_by_value`, `tf.clip_by_global_norm`, `tf.size`,
  `tf.gather`, `tf.print`, `tf.random.shuffle`, `tf.py_function` / `tf.numpy_function` (the
  Python function simply called: everything runs eagerly).
- Shapes and indexing: `split` (a count or a list of sizes), `pad` (CONSTANT, REFLECT,
  SYMMETRIC), `unstack`, `tile`, `fill`, `reverse`, `roll`, `repeat`, `broadcast_to`,
  `meshgrid`, `broadcast_dynamic_shape` / `broadcast_static_shape`, `ensure_shape`,
  `sequence_mask`, `gather_nd`, `boolean_mask`, `scatter_nd`, `tensor_scatter_nd_update`,
  `TensorShape`, `newaxis`.
- Math: `sort` / `argsort` / `unique` (first-occurrence order) / `top_k` / `in_top_k`,
  `cumsum` (exclusive / reverse), `einsum`, `tensordot`, `norm`, `linspace`, `eye`,
  `divide_no_nan`, `truediv`, `count_nonzero`, `confusion_matrix`, segment sums, `bincount`,
  `polyval`, `searchsorted`, `histogram_fixed_width`, more elementwise and reduce_* functions.
- tf.nn: `conv2d` / `conv1d` (NHWC input, HWIO filters), `depthwise_conv2d`,
  `separable_conv2d`, `atrous_conv2d`, `conv2d_transpose` / `conv1d_transpose` (the gradient
  of the convolution with respect to its input) and `max_pool2d` / `avg_pool2d`
  with TensorFlow's SAME padding (the odd pixel after; averages over the pixels inside the
  image only), `l2_normalize`, `moments` (population variance), `bias_add`,
  `batch_normalization`, `embedding_lookup`, activations, `sigmoid_cross_entropy_with_logits`.
- Control flow run eagerly: `cond`, `while_loop`, `case`, `switch_case`, `map_fn`,
  `vectorized_map` (one element at a time).

Each function takes torch tensors, numpy arrays or Python values (`_tensor`: numpy float64
becomes float32, as TF's conversion of Python floats). Called on a functional model's
KerasTensors, a function becomes a graph node (`symbolic_aware`), as tf.keras's automatic
op layers did. Unsupported argument values raise a ValueError naming the function, the
argument and what is supported.

Leaves to others: tensor conversion (tensorflow_shim.convert_to_tensor), dtypes, tf.image /
tf.io / tf.signal (keraslite.compat.tf_image).
"""
import builtins
import math
import sys

import numpy as np
import torch

from keraslite.layers.conv import same_padding
from keraslite.layers.keras_tensor import Dimension, dimension

__all__ = ["TOP_LEVEL", "MATH", "NN", "RANDOM", "LINALG", "symbolic_aware", "tf_keywords"]


def keras_view(x):
    """A layer weight as TensorFlow programs see it: in its Keras layout (a SimpleRNN kernel
    (input_dim, units), a Conv2D kernel (kh, kw, in, out)), not keraslite's storage layout."""
    layout = getattr(x, "keras_layout", None)
    if layout is None or type(layout).__name__ == "Layout":
        return x
    return x.keras_value()


def _tensor(x, like=None):
    from keraslite.compat.tensorflow_shim import convert_to_tensor

    if isinstance(x, torch.Tensor):
        if type(x) is not torch.Tensor:
            x = keras_view(x)
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


def _is_text(x):
    from keraslite.compat.tensorflow_shim import _is_text as is_text
    from keraslite.compat.tf_data import StringArray

    return isinstance(x, StringArray) or is_text(x)


def _utf8(x):
    """Text (a str, bytes, a StringArray or a numpy array of str / bytes) as an object array of
    UTF-8 bytes, which is how TensorFlow holds and compares strings."""
    encode = np.frompyfunc(lambda s: s.encode("utf-8") if isinstance(s, str) else s, 1, 1)
    return np.asarray(encode(np.asarray(x, dtype=object)), dtype=object)


def _equality(torch_fn, numpy_fn, name):
    """tf.equal / tf.not_equal: also elementwise on strings (a str, a StringArray), giving a bool
    tensor as TensorFlow does; torch has no string tensors, so strings compare in numpy."""
    numeric = _elementwise(torch_fn, name)

    def fn(x, y, name=None):
        if not (_is_text(x) or _is_text(y)):
            return numeric(x, y)
        if not (_is_text(x) and _is_text(y)):
            other = y if _is_text(x) else x
            raise TypeError(f"tf.{fn.__name__}: cannot compare a string with the non-string value {other!r}; TensorFlow "
                            "compares only tensors of one dtype. Convert one side first (tf.strings.as_string or "
                            "tf.strings.to_number).")
        from keraslite.compat.tensorflow_shim import _device

        a, b = _utf8(x), _utf8(y)
        try:
            result = numpy_fn(a, b)
        except ValueError:
            raise ValueError(f"tf.{fn.__name__}: the string operands' shapes {a.shape} and {b.shape} do not "
                             "broadcast.") from None
        return torch.as_tensor(np.asarray(result, dtype=bool), device=_device())

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

    count = np.size(x) if _is_text(x) else _tensor(x).numel()
    return torch.tensor(count, dtype=_torch_dtype(out_type))


def rank(x, name=None):
    return torch.tensor(np.ndim(x) if _is_text(x) else _tensor(x).ndim, dtype=torch.int32)


def _is_text(x):
    """A string tensor of the shim (a StringScalar str, a StringArray ndarray) or plain text."""
    return isinstance(x, (str, bytes)) or (isinstance(x, np.ndarray) and x.dtype.kind in "OSU")


def _text_params(params):
    """`params` as a StringArray when it holds strings (a StringArray, a numpy array or a
    (nested) list of str / bytes), else None."""
    from keraslite.compat.tf_data import strings

    first = params
    while isinstance(first, (list, tuple)) and first:
        first = first[0]
    return strings(params) if _is_text(params) or isinstance(first, (str, bytes)) else None


def _gather_text(params, indices, axis):
    from keraslite.compat.tf_data import StringScalar, strings

    indices = _tensor(indices).long().cpu().numpy()
    axis = 0 if axis is None else axis % builtins.max(params.ndim, 1)
    size = params.shape[axis] if params.ndim else 0
    bad = indices[(indices < 0) | (indices >= size)]
    if bad.size:
        raise IndexError(f"tf.gather: index {int(bad[0])} is out of range for axis {axis} of the strings' shape "
                         f"{params.shape}; indices must be in [0, {size}).")
    out = np.take(np.asarray(params), indices, axis=axis)
    if isinstance(out, np.ndarray):
        return strings(out)
    return StringScalar(out.decode("utf-8") if isinstance(out, bytes) else out)


def gather(params, indices, axis=None, batch_dims=0, name=None):
    """Entries of `params` along `axis` (default 0) at `indices`; indices may have any shape.
    Strings (a StringArray, a list of str) give a StringArray (one index: a string scalar)."""
    text = _text_params(params)
    if text is not None:
        return _gather_text(text, indices, axis)
    params = _tensor(params)
    indices = _tensor(indices).to(params.device).long()
    if batch_dims < 0:
        batch_dims += indices.ndim
    axis = batch_dims if axis is None else axis % params.ndim
    if batch_dims:
        return _batched_gather(params, indices, axis, batch_dims)
    out = torch.index_select(params, axis, indices.reshape(-1))
    return out.reshape(params.shape[:axis] + indices.shape + params.shape[axis + 1:])


def _batched_gather(params, indices, axis, batch_dims):
    """tf.gather with batch_dims: for each index into the leading `batch_dims` dimensions
    (shared by params and indices), gather that batch's params along `axis` at its indices."""
    batch = tuple(params.shape[:batch_dims])
    if not 0 < batch_dims <= indices.ndim or axis < batch_dims or tuple(indices.shape[:batch_dims]) != batch:
        raise ValueError(f"tf.gather: batch_dims={batch_dims} needs params and indices to share their first "
                         f"{batch_dims} dimensions and axis >= batch_dims; received params of shape "
                         f"{tuple(params.shape)}, indices of shape {tuple(indices.shape)} and axis={axis}.")
    middle, rest = tuple(params.shape[batch_dims:axis]), tuple(params.shape[axis + 1:])
    flat = params.reshape((-1,) + tuple(params.shape[batch_dims:])).movedim(1 + len(middle), 1)  # (B, P, M.., N..)
    picks = indices.reshape(flat.shape[0], -1)  # (B, K)
    rows = torch.arange(flat.shape[0], device=params.device).unsqueeze(1)
    out = flat[rows, picks].movedim(1, 1 + len(middle))  # (B, M.., K, N..)
    return out.reshape(batch + middle + tuple(indices.shape[batch_dims:]) + rest)


def _format(value, summarize=3):
    if isinstance(value, torch.Tensor):
        array = value.detach().cpu().numpy()
        if array.ndim == 0:
            return str(array.item())
        edge = summarize if summarize is not None and summarize >= 0 else 1000
        return np.array2string(array, separator=" ", threshold=2 * edge, edgeitems=edge)
    return str(value)


def _function_outputs(result, Tout, function):
    """`result` as tensors of the dtypes in `Tout` (one dtype: one tensor; a list: a list)."""
    if isinstance(Tout, (list, tuple)):
        results = list(result) if isinstance(result, (list, tuple)) else [result]
        if len(results) != len(Tout):
            raise ValueError(f"tf.{function}: the function returned {len(results)} values where Tout names "
                             f"{len(Tout)} dtypes.")
        return [_function_outputs(r, t, function) for r, t in zip(results, Tout)]
    if Tout is None:
        return None
    if isinstance(result, (list, tuple)) and len(result) == 1:
        result = result[0]
    from keraslite.compat.tensorflow_shim import _dtype_name, convert_to_tensor

    if _dtype_name(Tout) == "string":  # bytes or str: a string tensor (which torch has no form of)
        return convert_to_tensor(result, dtype=Tout)
    if not isinstance(result, torch.Tensor):
        array = np.asarray(result)  # (np.ascontiguousarray would make a scalar 1-D)
        result = torch.as_tensor(np.ascontiguousarray(array) if array.ndim else array)
    return result.to(_torch_dtype(Tout))


def py_function(func, inp, Tout, name=None):
    """func(*inp) run eagerly on tensors (everything here runs eagerly); its results
    converted to the dtype(s) in Tout."""
    inp = list(inp) if isinstance(inp, (list, tuple)) else [inp]
    return _function_outputs(func(*[_tensor(t) for t in inp]), Tout, "py_function")


def numpy_function(func, inp, Tout, stateful=True, name=None):
    """func(*inp) with numpy arrays for arguments; its results become tensors of Tout.

    As in TensorFlow, a scalar argument arrives as a numpy scalar, and strings as UTF-8 bytes:
    a scalar string is `bytes` (`name.decode("utf-8")`), a string array an object array of bytes."""
    inp = list(inp) if isinstance(inp, (list, tuple)) else [inp]
    args = []
    for t in inp:
        array = _utf8(t) if _is_text(t) or (isinstance(t, list) and _is_text(np.asarray(t))) else (
            t.detach().cpu().numpy() if isinstance(t, torch.Tensor) else np.asarray(t))
        args.append(array[()] if array.ndim == 0 else array)
    return _function_outputs(func(*args), Tout, "numpy_function")


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
    "greater": torch.gt, "greater_equal": torch.ge, "less": torch.lt,
    "less_equal": torch.le, "logical_and": torch.logical_and, "logical_or": torch.logical_or,
    "logical_not": torch.logical_not, "pow": torch.pow, "round": torch.round, "floor": torch.floor,
    "ceil": torch.ceil, "sign": torch.sign, "negative": torch.neg, "log1p": torch.log1p, "rsqrt": torch.rsqrt,
    "sin": torch.sin, "cos": torch.cos, "floormod": torch.remainder, "mod": torch.remainder,
    "floordiv": torch.floor_divide, "reciprocal": torch.reciprocal, "is_nan": torch.isnan,
    "is_finite": torch.isfinite, "softplus": torch.nn.functional.softplus, "identity": torch.clone,
}.items()}
_COMPARE.update(equal=_equality(torch.eq, np.equal, "equal"), not_equal=_equality(torch.ne, np.not_equal, "not_equal"))

_REDUCTIONS = {
    "reduce_prod": _reduce(torch.prod, "reduce_prod"),
    "reduce_any": _reduce(lambda x, dim, keepdim=False: torch.any(x.bool(), dim=dim, keepdim=keepdim), "reduce_any"),
    "reduce_all": _reduce(lambda x, dim, keepdim=False: torch.all(x.bool(), dim=dim, keepdim=keepdim), "reduce_all"),
    "reduce_std": _reduce_std, "reduce_variance": _reduce_variance,
}

# tf.<name>
TOP_LEVEL = dict(_COMPARE, **_REDUCTIONS, where=where, clip_by_value=clip_by_value, size=size, rank=rank,
                 gather=gather, print=tf_print, py_function=py_function, numpy_function=numpy_function)
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
def random_split(seed, num=2, alg="auto_select"):
    """tf.random.split: `num` new stateless seeds, an int64 tensor of shape (num, 2), drawn
    deterministically from the two-integer `seed` (torch's generator, not TensorFlow's
    Philox, so the values differ from TensorFlow's; the same seed gives the same seeds)."""
    values = _tensor(seed).reshape(-1).tolist()
    if len(values) != 2:
        raise ValueError(f"tf.random.split: seed must be a shape [2] tensor; got {len(values)} values.")
    gen = torch.Generator().manual_seed((int(values[0]) * 1000003 + int(values[1])) & 0x7FFFFFFFFFFFFFFF)
    return torch.randint(-2 ** 63, 2 ** 63 - 1, (int(num), 2), dtype=torch.int64, generator=gen)


def log_uniform_candidate_sampler(true_classes, num_true, num_sampled, unique, range_max, seed=None, name=None):
    """tf.random.log_uniform_candidate_sampler: `num_sampled` classes from [0, range_max) drawn with
    the log-uniform (Zipfian) probability P(k) = (log(k + 2) - log(k + 1)) / log(range_max + 1),
    without repeats when `unique`. Returns (sampled_candidates int64 (num_sampled,),
    true_expected_count float32 shaped as true_classes, sampled_expected_count float32
    (num_sampled,)): how often each class is expected among the draws, TensorFlow's
    num_sampled * P(k), or 1 - (1 - P(k)) ** tries for unique draws that needed more tries.
    Draws come from torch's generator (a `seed` gives a generator of its own), so they differ
    from TensorFlow's."""
    true = _tensor(true_classes)
    if true.is_floating_point() or true.is_complex() or true.dtype == torch.bool:
        raise TypeError(f"log_uniform_candidate_sampler: true_classes must hold integer class ids, got {true.dtype}.")
    if true.ndim != 2 or true.shape[1] != int(num_true):
        raise ValueError(f"log_uniform_candidate_sampler: true_classes must have shape (batch_size, num_true="
                         f"{num_true}); got {tuple(true.shape)}.")
    num_sampled, range_max = int(num_sampled), int(range_max)
    if range_max < 1 or num_sampled < 0:
        raise ValueError(f"log_uniform_candidate_sampler: needs range_max >= 1 and num_sampled >= 0; got "
                         f"range_max={range_max}, num_sampled={num_sampled}.")
    if unique and num_sampled > range_max:
        raise ValueError(f"log_uniform_candidate_sampler: cannot draw {num_sampled} unique classes out of "
                         f"range_max={range_max}. Lower num_sampled or pass unique=False.")
    gen = torch.Generator().manual_seed(int(seed) & 0x7FFFFFFFFFFFFFFF) if seed is not None else None
    log_range = math.log(range_max + 1)

    def draw(count):
        uniform = torch.rand(count, dtype=torch.float64, generator=gen)
        return (torch.exp(uniform * log_range) - 1.0).to(torch.int64).remainder(range_max).tolist()

    if unique:
        sampled, seen, tries = [], set(), 0
        while len(sampled) < num_sampled:
            for k in draw(2 * (num_sampled - len(sampled))):
                tries += 1
                if k not in seen:
                    seen.add(k)
                    sampled.append(k)
                    if len(sampled) == num_sampled:
                        break
    else:
        sampled, tries = draw(num_sampled), num_sampled

    def expected_count(classes):
        classes = classes.to(torch.float64)
        p = (torch.log(classes + 2.0) - torch.log(classes + 1.0)) / log_range
        count = p * num_sampled if tries == num_sampled else -torch.expm1(tries * torch.log1p(-p))
        return count.to(torch.float32)

    sampled = torch.tensor(sampled, dtype=torch.int64, device=true.device)
    return sampled, expected_count(true), expected_count(sampled)


RANDOM = {"shuffle": random_shuffle, "log_uniform_candidate_sampler": log_uniform_candidate_sampler}


# ============================================================================ tensor functions
# What tf.keras-era Lambda layers, custom layers and losses and tf.data pipelines reach for:
# shape manipulation, scatter/gather, sorting, control flow run eagerly, and the tf.nn
# convolutions with TensorFlow's layouts (NHWC input, HWIO filters) and SAME padding.

from collections import namedtuple  # noqa: E402

_builtin_range = builtins.range


def _torch_dtype(dtype):
    from keraslite.compat.tensorflow_shim import _torch_dtype as convert

    return convert(dtype)


def _ints(values):
    """A Python list of ints from a list, tuple, numpy array or tensor."""
    if isinstance(values, torch.Tensor):
        return [int(v) for v in values.reshape(-1).tolist()]
    if isinstance(values, (int, np.integer)):
        return [int(values)]
    return [int(v) for v in np.asarray(values).reshape(-1).tolist()]


def _axes_arg(axis, ndim):
    """An axis argument (int, list, tensor or None) as a tuple of non-negative ints, or None."""
    if axis is None:
        return None
    return tuple(a % ndim for a in _ints(axis))


def _floating(x):
    return x if x.is_floating_point() or x.is_complex() else x.to(torch.float32)


def _unsupported(function, argument, value, supported):
    return ValueError(f"tf.{function}: {argument}={value!r} is not supported by keraslite's tensorflow shim; "
                      f"supported: {supported}.")


def unstack(value, num=None, axis=0, name=None):
    value = _tensor(value)
    if num is not None and value.shape[axis] != num:
        raise ValueError(f"tf.unstack: num={num} does not match dimension {axis} of size {value.shape[axis]}.")
    return list(torch.unbind(value, dim=axis))


def fill(dims, value, name=None):
    value = _tensor(value)
    return torch.full(tuple(_ints(dims)), value.item(), dtype=value.dtype, device=value.device)


def tile(input, multiples, name=None):  # noqa: A002
    return _tensor(input).repeat(*_ints(multiples))


def clip_by_norm(t, clip_norm, axes=None, name=None):
    """t * clip_norm / max(l2norm(t, axes), clip_norm): unchanged where the norm is small."""
    t = _tensor(t)
    axes = _axes_arg(axes, t.ndim) if t.ndim else None
    norm_ = torch.sqrt(torch.sum(t * t, dim=axes, keepdim=True)) if axes is not None else torch.sqrt(torch.sum(t * t))
    clip = _tensor(clip_norm, like=t)
    return t * clip / torch.maximum(norm_, clip)


def compute_average_loss(per_example_loss, sample_weight=None, global_batch_size=None):
    """sum(per_example_loss * sample_weight) / global_batch_size, the batch size defaulting to
    the loss's first dimension (one replica: no tf.distribute here)."""
    loss = _tensor(per_example_loss)
    if not loss.is_floating_point():
        raise TypeError("tf.nn.compute_average_loss: per_example_loss must be a float tensor; got "
                        f"{loss.dtype}.")
    if sample_weight is not None:
        loss = loss * _tensor(sample_weight, like=loss).to(loss.dtype)
    if global_batch_size is None:
        global_batch_size = loss.shape[0] if loss.ndim else 1
    return torch.sum(loss) / float(global_batch_size)


def scale_regularization_loss(regularization_loss):
    """sum(regularization_loss) divided by the number of replicas (one here)."""
    if isinstance(regularization_loss, (list, tuple)):
        return torch.stack([_tensor(l).reshape(()) for l in regularization_loss]).sum()
    return torch.sum(_tensor(regularization_loss))


def add_n(inputs, name=None):
    """tf.add_n / tf.math.add_n: the elementwise sum of a list of tensors of one shape and
    dtype (the regularization losses of `model.losses`, say)."""
    if isinstance(inputs, (torch.Tensor, np.ndarray)) or not isinstance(inputs, (list, tuple)) or not inputs:
        raise ValueError("tf.add_n: inputs must be a list of at least one tensor, all of the same dtype and "
                         f"shape; got {type(inputs).__name__}{'' if inputs is None else ' ' + repr(inputs)[:60]}.")
    tensors = [_tensor(t) for t in inputs]
    first = tensors[0]
    for i, t in enumerate(tensors[1:], 1):
        if t.shape != first.shape or t.dtype != first.dtype:
            raise ValueError(f"tf.add_n: inputs[{i}] has shape {tuple(t.shape)} and dtype {t.dtype}, but inputs[0] "
                             f"has shape {tuple(first.shape)} and dtype {first.dtype}; all must match.")
    total = first.clone()
    for t in tensors[1:]:
        total = total + t.to(first.device)
    return total


def global_norm(t_list, name=None):
    """sqrt of the sum of squares of every entry of every tensor in `t_list` (None skipped)."""
    parts = [torch.sum(_tensor(t).float() ** 2) for t in t_list if t is not None]
    if not parts:
        raise ValueError("global_norm: t_list holds no tensors")
    return torch.sqrt(torch.stack(parts).sum())


def clip_by_global_norm(t_list, clip_norm, use_norm=None, name=None):
    """(list of t * clip_norm / max(global_norm, clip_norm), global_norm): every tensor scaled
    by the same factor so that the norm of the whole list is at most `clip_norm`; None
    entries stay None. The global norm returned is the one before clipping."""
    if isinstance(t_list, (str, bytes)) or not hasattr(t_list, "__iter__"):
        raise TypeError("clip_by_global_norm: t_list should be a sequence of tensors")
    t_list = list(t_list)
    gnorm = global_norm(t_list) if use_norm is None else _tensor(use_norm).float()
    clip = _tensor(clip_norm, like=gnorm)
    # TF: clip_norm * min(1 / global_norm, 1 / clip_norm); an infinite or NaN norm gives NaNs
    scale = clip * torch.minimum(1.0 / gnorm, 1.0 / clip)
    clipped = [None if t is None else _tensor(t) * scale.to(_tensor(t).dtype) for t in t_list]
    return clipped, gnorm


def gather_nd(params, indices, batch_dims=0, name=None):
    """Slices of `params` at the index tuples in the last dimension of `indices`; the first
    `batch_dims` dimensions of both are batch dimensions."""
    params = _tensor(params)
    indices = _tensor(indices).to(params.device).long()
    batch_shape = indices.shape[:batch_dims]
    index = []
    for d in _builtin_range(batch_dims):
        view = [1] * (indices.ndim - 1)
        view[d] = batch_shape[d]
        index.append(torch.arange(batch_shape[d], device=params.device).reshape(view).expand(indices.shape[:-1]))
    index += [indices[..., i] for i in _builtin_range(indices.shape[-1])]
    return params[tuple(index)]


def boolean_mask(tensor, mask, axis=None, name=None):
    """The entries (slices) of `tensor` where `mask` is True; the mask's dimensions, starting
    at `axis` (default 0), are flattened into one."""
    tensor = _tensor(tensor)
    mask = _tensor(mask).to(tensor.device).bool()
    axis = 0 if axis is None else axis % tensor.ndim
    if tuple(tensor.shape[axis:axis + mask.ndim]) != tuple(mask.shape):
        raise ValueError(f"tf.boolean_mask: mask shape {tuple(mask.shape)} does not match tensor dimensions "
                         f"{tuple(tensor.shape[axis:axis + mask.ndim])} starting at axis {axis}.")
    flat = tensor.reshape(tensor.shape[:axis] + (-1,) + tensor.shape[axis + mask.ndim:])
    keep = torch.nonzero(mask.reshape(-1)).reshape(-1)
    return torch.index_select(flat, axis, keep)


def split(value, num_or_size_splits, axis=0, num=None, name=None):
    """A count (equal parts; it must divide the dimension) or a list of part SIZES, one of
    which may be -1 for the rest."""
    value = _tensor(value)
    axis = _ints(axis)[0]
    length = value.shape[axis]
    if isinstance(num_or_size_splits, (int, np.integer)) or (
            isinstance(num_or_size_splits, torch.Tensor) and num_or_size_splits.ndim == 0):
        count = int(num_or_size_splits)
        if count <= 0 or length % count:
            raise ValueError(f"tf.split: dimension {axis} of size {length} cannot be split into {count} equal parts.")
        return list(torch.split(value, length // count, dim=axis))
    sizes = _ints(num_or_size_splits)
    if sizes.count(-1) > 1:
        raise ValueError("tf.split: at most one size may be -1.")
    if -1 in sizes:
        sizes[sizes.index(-1)] = length - (builtins.sum(sizes) + 1)
    if builtins.sum(sizes) != length or builtins.min(sizes) < 0:
        raise ValueError(f"tf.split: sizes {sizes} do not add up to dimension {axis} of size {length}.")
    return list(torch.split(value, sizes, dim=axis))


def _mirror_index(n, before, after, symmetric, device):
    """Source indices for REFLECT (edge not repeated) or SYMMETRIC (edge repeated) padding."""
    i = torch.arange(-before, n + after, device=device)
    if symmetric:
        i = torch.remainder(i, 2 * n)
        return torch.where(i < n, i, 2 * n - 1 - i)
    if n == 1:
        return torch.zeros_like(i)
    i = torch.remainder(i, 2 * n - 2)
    return torch.where(i < n, i, 2 * n - 2 - i)


def pad(tensor, paddings, mode="CONSTANT", constant_values=0, name=None):
    """`paddings` is [[before, after], ...] per dimension; mode 'CONSTANT', 'REFLECT' (edge not
    repeated, pads at most size-1) or 'SYMMETRIC' (edge repeated, pads at most size)."""
    tensor = _tensor(tensor)
    pairs = np.asarray(_ints(paddings)).reshape(-1, 2).tolist()
    if len(pairs) != tensor.ndim:
        raise ValueError(f"tf.pad: paddings has {len(pairs)} rows for a tensor of rank {tensor.ndim}.")
    mode = str(mode).upper()
    if mode == "CONSTANT":
        flat = [p for before, after in reversed(pairs) for p in (before, after)]
        value = constant_values.item() if isinstance(constant_values, torch.Tensor) else constant_values
        return torch.nn.functional.pad(tensor, flat, mode="constant", value=value)
    if mode not in ("REFLECT", "SYMMETRIC"):
        raise _unsupported("pad", "mode", mode, "'CONSTANT', 'REFLECT', 'SYMMETRIC'")
    out = tensor
    for dim, (before, after) in enumerate(pairs):
        n = tensor.shape[dim]
        limit = n if mode == "SYMMETRIC" else n - 1
        if before > limit or after > limit:
            raise ValueError(f"tf.pad: {mode} padding of dimension {dim} (size {n}) must be at most {limit}; "
                             f"got {[before, after]}.")
        if before or after:
            out = torch.index_select(out, dim, _mirror_index(n, before, after, mode == "SYMMETRIC", tensor.device))
    return out


def reverse(tensor, axis, name=None):
    tensor = _tensor(tensor)
    return torch.flip(tensor, dims=_axes_arg(axis, tensor.ndim))


def _direction(function, direction):
    direction = str(direction).upper()
    if direction not in ("ASCENDING", "DESCENDING"):
        raise _unsupported(function, "direction", direction, "'ASCENDING', 'DESCENDING'")
    return direction == "DESCENDING"


def sort(values, axis=-1, direction="ASCENDING", name=None):
    return torch.sort(_tensor(values), dim=axis, descending=_direction("sort", direction), stable=True).values


def argsort(values, axis=-1, direction="ASCENDING", stable=False, name=None):
    """int32 indices; ties keep their original order (TensorFlow's is stable too when asked)."""
    out = torch.sort(_tensor(values), dim=axis, descending=_direction("argsort", direction), stable=True).indices
    return out.to(torch.int32)


def einsum(equation, *inputs, **kwargs):
    kwargs.pop("name", None)
    if kwargs:
        raise _unsupported("einsum", "keyword", sorted(kwargs), "equation and tensors only")
    first = _tensor(inputs[0])
    return torch.einsum(equation, first, *[_tensor(t, like=first) for t in inputs[1:]])


def linspace(start, stop, num, name=None, axis=0):
    """`num` evenly spaced values from start to stop, both included; float32 unless the inputs
    are float64 tensors. Tensor start/stop of shape S give shape S with `num` inserted at axis."""
    start, stop = _floating(_tensor(start)), _floating(_tensor(stop))
    dtype = torch.promote_types(start.dtype, stop.dtype)
    num = int(_ints(num)[0])
    steps = torch.arange(num, dtype=dtype, device=start.device)
    delta = (stop - start) / builtins.max(num - 1, 1)
    shape = torch.broadcast_shapes(start.shape, stop.shape)
    view = [1] * len(shape)
    axis = axis % (len(shape) + 1)
    view.insert(axis, num)
    out = start.unsqueeze(axis) + delta.unsqueeze(axis) * steps.reshape(view)
    if num > 1:  # the end point exactly, as TensorFlow gives it
        out.select(axis, num - 1).copy_(stop.expand(shape))
    return out


def eye(num_rows, num_columns=None, batch_shape=None, dtype="float32", name=None):
    from keraslite.compat.tensorflow_shim import _device

    num_columns = num_rows if num_columns is None else num_columns
    out = torch.eye(int(num_rows), int(num_columns), dtype=_torch_dtype(dtype), device=_device())
    if batch_shape is not None:
        batch = tuple(_ints(batch_shape))
        out = out.expand(batch + out.shape).clone()
    return out


def norm(tensor, ord="euclidean", axis=None, keepdims=None, name=None):
    """ord 'euclidean' / 'fro' / p>0 / np.inf over all entries (axis None), one axis (a vector
    norm) or two axes (a matrix norm: 'euclidean'/'fro', 1, np.inf; 2 is the spectral norm)."""
    tensor = _floating(_tensor(tensor))
    keepdims = builtins.bool(keepdims)
    vector_ord = 2 if ord in ("euclidean", "fro") else ord
    if axis is None:
        out = torch.linalg.vector_norm(tensor.reshape(-1), ord=vector_ord)
        return out.reshape([1] * tensor.ndim) if keepdims else out
    axes = _axes_arg(axis, tensor.ndim)
    if len(axes) == 1:
        if ord == "fro":
            raise _unsupported("norm", "ord", ord, "'euclidean', a positive number or np.inf for a vector norm")
        return torch.linalg.vector_norm(tensor, ord=vector_ord, dim=axes[0], keepdim=keepdims)
    if len(axes) == 2:
        if ord in ("euclidean", "fro"):
            return torch.linalg.vector_norm(tensor, ord=2, dim=axes, keepdim=keepdims)
        if ord not in (1, 2, np.inf):
            raise _unsupported("norm", "ord", ord, "'euclidean', 'fro', 1, 2 or np.inf for a matrix norm")
        return torch.linalg.matrix_norm(tensor, ord=ord, dim=axes, keepdim=keepdims)
    raise _unsupported("norm", "axis", axis, "None, an int or a pair of ints")


def tensordot(a, b, axes, name=None):
    a = _tensor(a)
    b = _tensor(b, like=a)
    if isinstance(axes, (int, np.integer)):
        return torch.tensordot(a, b, dims=int(axes))
    axes = [[int(v) for v in np.atleast_1d(np.asarray(part))] for part in axes]
    return torch.tensordot(a, b, dims=axes)


Unique = namedtuple("Unique", ["y", "idx"])
UniqueWithCounts = namedtuple("UniqueWithCounts", ["y", "idx", "count"])


def _unique(x, out_idx):
    x = _tensor(x)
    if x.ndim != 1:
        raise ValueError(f"tf.unique: expects a 1-D tensor; got shape {tuple(x.shape)}.")
    values, inverse, counts = torch.unique(x, sorted=True, return_inverse=True, return_counts=True)
    positions = torch.arange(x.shape[0], device=x.device)
    first = torch.full((values.shape[0],), x.shape[0], dtype=torch.long, device=x.device)
    first = first.scatter_reduce(0, inverse, positions, reduce="amin")
    order = torch.argsort(first)  # unique values in order of first occurrence
    rank_ = torch.empty_like(order)
    rank_[order] = torch.arange(order.shape[0], device=x.device)
    return values[order], rank_[inverse].to(_torch_dtype(out_idx)), counts[order].to(_torch_dtype(out_idx))


def unique(x, out_idx="int32", name=None):
    """(y, idx): the distinct values in order of first occurrence, and x's index into y."""
    y, idx, _ = _unique(x, out_idx)
    return Unique(y, idx)


def unique_with_counts(x, out_idx="int32", name=None):
    return UniqueWithCounts(*_unique(x, out_idx))


class TensorShape:
    """tf.TensorShape: a list of dimensions (None when unknown) with .as_list(), .rank,
    indexing (a slice gives a TensorShape) and comparison with lists, tuples and torch.Size."""

    def __init__(self, dims):
        if isinstance(dims, TensorShape):
            dims = dims.dims
        if dims is None:
            self.dims = None
        elif isinstance(dims, (int, np.integer)):
            self.dims = [int(dims)]
        else:
            self.dims = [None if d is None else int(d) for d in dims]

    @property
    def rank(self):
        return None if self.dims is None else len(self.dims)

    ndims = rank

    def as_list(self):
        if self.dims is None:
            raise ValueError("as_list() is not defined on an unknown TensorShape.")
        return list(self.dims)

    def is_fully_defined(self):
        return self.dims is not None and builtins.all(d is not None for d in self.dims)

    def num_elements(self):
        return int(np.prod(self.dims)) if self.is_fully_defined() else None

    def concatenate(self, other):
        other = TensorShape(other)
        if self.dims is None or other.dims is None:
            return TensorShape(None)
        return TensorShape(self.dims + other.dims)

    def __getitem__(self, key):
        if isinstance(key, builtins.slice):
            return TensorShape(self.dims[key])
        return dimension(self.dims[key])

    def __len__(self):
        if self.dims is None:
            raise ValueError("Cannot take the length of a shape with unknown rank.")
        return len(self.dims)

    def __iter__(self):
        return iter(self.dims)

    def __eq__(self, other):
        try:
            return self.dims == TensorShape(other).dims
        except (TypeError, ValueError):
            return NotImplemented

    def __hash__(self):
        return hash(None if self.dims is None else tuple(self.dims))

    def __repr__(self):
        return "TensorShape(None)" if self.dims is None else f"TensorShape({self.dims})"

    def __str__(self):
        if self.dims is None:
            return "<unknown>"
        text = ", ".join("None" if d is None else str(d) for d in self.dims)
        return f"({text},)" if len(self.dims) == 1 else f"({text})"


def broadcast_to(input, shape, name=None):  # noqa: A002
    return _tensor(input).expand(tuple(_ints(shape))).clone()


def _broadcast_dims(x, y, describe):
    """NumPy's broadcasting of two dimension lists (None: unknown); `describe` gives the
    error's text for incompatible shapes."""
    x, y = list(x), list(y)
    width = builtins.max(len(x), len(y))
    x, y = [1] * (width - len(x)) + x, [1] * (width - len(y)) + y
    out = []
    for a, b in zip(x, y):
        if a == 1 or a == b:
            out.append(b)
        elif b == 1:
            out.append(a)
        elif a is None or b is None:
            out.append(b if a is None else a)
        else:
            raise describe()
    return out


def broadcast_dynamic_shape(shape_x, shape_y):
    """The shape two tensors of shapes shape_x and shape_y broadcast to, as a 1-D tensor of their
    dtype (int32 unless they are int64)."""
    from keraslite.compat.tf_lookup import InvalidArgumentError

    x, y = _tensor(shape_x), _tensor(shape_y)
    dims = _broadcast_dims(_ints(x), _ints(y), lambda: InvalidArgumentError(
        f"Incompatible shapes: {_ints(x)} vs. {_ints(y)}. Two shapes broadcast when, aligned from the last "
        "dimension, each pair of sizes is equal or one of them is 1."))
    dtype = torch.int64 if torch.int64 in (x.dtype, y.dtype) else torch.int32
    return torch.tensor(dims, dtype=dtype, device=x.device)


def broadcast_static_shape(shape_x, shape_y):
    """The TensorShape two TensorShapes broadcast to (unknown dimensions stay unknown unless the
    other shape fixes them)."""
    x, y = TensorShape(shape_x), TensorShape(shape_y)
    if x.dims is None or y.dims is None:
        return TensorShape(None)
    return TensorShape(_broadcast_dims(x.dims, y.dims, lambda: ValueError(
        f"Incompatible shapes for broadcasting. Two shapes are compatible if for each dimension pair they are "
        f"either equal or one of them is 1. Received: {x} and {y}.")))


def ensure_shape(x, shape, name=None):
    """x itself, once its shape is checked against `shape` (a list, tuple or TensorShape whose
    None dimensions match any size; None: any shape)."""
    from keraslite.compat.tf_lookup import InvalidArgumentError

    expected = TensorShape(shape)
    actual = list(np.shape(x)) if not isinstance(x, torch.Tensor) else list(x.shape)
    if expected.dims is not None and (len(actual) != len(expected.dims) or builtins.any(
            e is not None and e != a for e, a in zip(expected.dims, actual))):
        raise InvalidArgumentError(f"Shape of tensor x {actual} is not compatible with expected shape "
                                   f"{expected.dims}.")
    return x


def sequence_mask(lengths, maxlen=None, dtype="bool", name=None):
    """mask[..., j] = j < lengths[...]: shape lengths.shape + (maxlen,), maxlen defaulting to
    the largest length."""
    lengths = _tensor(lengths)
    if lengths.is_floating_point() or lengths.is_complex():
        raise TypeError(f"tf.sequence_mask: lengths must be integers; got {lengths.dtype}.")
    if maxlen is None:
        maxlen = int(lengths.max().item()) if lengths.numel() else 0
    else:
        maxlen = int(_tensor(maxlen).item())
    positions = torch.arange(builtins.max(maxlen, 0), device=lengths.device)
    return (positions < lengths.unsqueeze(-1)).to(_torch_dtype(dtype))


def meshgrid(*args, **kwargs):
    indexing = kwargs.pop("indexing", "xy")
    kwargs.pop("name", None)
    first = _tensor(args[0])
    return list(torch.meshgrid(first, *[_tensor(a, like=first) for a in args[1:]], indexing=indexing))


def cumprod(x, axis=0, exclusive=False, reverse=False, name=None):
    """Running products along `axis`; `exclusive` starts each from 1, `reverse` multiplies from the end."""
    x = _tensor(x)
    axis = _ints(axis)[0]
    if reverse:
        x = torch.flip(x, dims=[axis])
    if exclusive:
        ones = torch.ones_like(x.narrow(axis, 0, 1))
        x = torch.cat([ones, x.narrow(axis, 0, x.shape[axis] - 1)], dim=axis)
    out = torch.cumprod(x, dim=axis)
    return torch.flip(out, dims=[axis]) if reverse else out


def multiply_no_nan(x, y, name=None):
    """x * y, with 0 wherever y is 0 (even where x is inf or nan)."""
    x, y = _tensor(x), _tensor(y)
    return torch.where(y == 0, torch.zeros((), dtype=torch.result_type(x, y)), x * y)


def zero_fraction(value, name=None):
    """The fraction of entries equal to zero, as a float32 scalar."""
    value = _tensor(value)
    return (value == 0).float().mean() if value.numel() else torch.tensor(float("nan"))


def cumsum(x, axis=0, exclusive=False, reverse=False, name=None):
    """Running sums along `axis`; `exclusive` leaves out each entry itself, `reverse` sums from the end."""
    x = _tensor(x)
    axis = _ints(axis)[0]
    if reverse:
        x = torch.flip(x, dims=[axis])
    out = torch.cumsum(x, dim=axis)
    if exclusive:
        out = out - x
    return torch.flip(out, dims=[axis]) if reverse else out


def repeat(input, repeats, axis=None, name=None):  # noqa: A002
    """Each entry (slice along axis) repeated; axis None repeats the flattened tensor."""
    x = _tensor(input)
    reps = _tensor(repeats).to(x.device).long() if not isinstance(repeats, (int, np.integer)) else int(repeats)
    if axis is None:
        return torch.repeat_interleave(x.reshape(-1), reps)
    return torch.repeat_interleave(x, reps, dim=axis)


def roll(input, shift, axis, name=None):  # noqa: A002
    x = _tensor(input)
    shifts, axes = _ints(shift), _ints(axis)
    return torch.roll(x, shifts=tuple(shifts), dims=tuple(axes))


def _nd_index(indices, device):
    indices = _tensor(indices).to(device).long()
    return tuple(indices[..., i] for i in _builtin_range(indices.shape[-1]))


def scatter_nd(indices, updates, shape, name=None):
    """A zero tensor of `shape` with `updates` added at `indices` (duplicates add up)."""
    updates = _tensor(updates)
    out = torch.zeros(tuple(_ints(shape)), dtype=updates.dtype, device=updates.device)
    return out.index_put(_nd_index(indices, updates.device), updates, accumulate=True)


def tensor_scatter_nd_update(tensor, indices, updates, name=None):
    tensor = _tensor(tensor)
    return tensor.index_put(_nd_index(indices, tensor.device), _tensor(updates, like=tensor).to(tensor.dtype))


def tensor_scatter_nd_add(tensor, indices, updates, name=None):
    tensor = _tensor(tensor)
    return tensor.index_put(_nd_index(indices, tensor.device), _tensor(updates, like=tensor).to(tensor.dtype),
                            accumulate=True)


def searchsorted(sorted_sequence, values, side="left", out_type="int32", name=None):
    if side not in ("left", "right"):
        raise _unsupported("searchsorted", "side", side, "'left', 'right'")
    seq = _tensor(sorted_sequence)
    out = torch.searchsorted(seq, _tensor(values, like=seq).to(seq.dtype), right=side == "right")
    return out.to(_torch_dtype(out_type))


def histogram_fixed_width(values, value_range, nbins=100, dtype="int32", name=None):
    """Counts in `nbins` equal bins over value_range; values outside go to the end bins."""
    values = _floating(_tensor(values)).reshape(-1)
    low, high = (float(v) for v in (value_range.tolist() if isinstance(value_range, torch.Tensor) else value_range))
    nbins = int(nbins)
    bins = torch.floor((values - low) / (high - low) * nbins).clamp(0, nbins - 1).long()
    return torch.bincount(bins, minlength=nbins).to(_torch_dtype(dtype))


# ------------------------------------------------------------------ control flow, run eagerly

def _flat(structure):
    from keraslite import tree

    return tree.flatten(structure)


def _pack(structure, flat):
    from keraslite import tree

    return tree.pack_sequence_as(structure, flat)


def map_fn(fn, elems, dtype=None, parallel_iterations=None, back_prop=True, swap_memory=False, infer_shape=True,
           name=None, fn_output_signature=None):
    """fn applied to each slice along the first dimension of `elems` (a tensor or a nested
    structure of tensors, sliced together); results stacked, keeping fn's output structure."""
    leaves = [_tensor(e) for e in _flat(elems)]
    if not leaves:
        raise ValueError("tf.map_fn: elems is empty.")
    count = leaves[0].shape[0]
    if count == 0:
        return _map_nothing(fn, elems, leaves, fn_output_signature if fn_output_signature is not None else dtype)
    results = [fn(_pack(elems, [leaf[i] for leaf in leaves])) for i in _builtin_range(count)]
    out_leaves = [torch.stack([_tensor(r) for r in column]) for column in zip(*[_flat(r) for r in results])]
    return _pack(results[0], out_leaves)


def _map_nothing(fn, elems, leaves, signature):
    """map_fn over a first dimension of size 0: empty results of fn's output structure, dtypes
    (the signature's, else fn's) and element shapes, which fn shows when called on one zero
    element (TensorFlow traces fn for them). A fn that cannot take a zero element gives
    results of shape (0,) in the signature's dtypes (elems' structure and dtypes without one)."""
    from keraslite import tree

    try:
        with torch.no_grad():
            sample = fn(_pack(elems, [torch.zeros(leaf.shape[1:], dtype=leaf.dtype, device=leaf.device)
                                      for leaf in leaves]))
        flat = [_tensor(r) for r in _flat(sample)]
    except Exception:  # noqa: BLE001  (fn's own failure on a made-up element; the shape stays unknown)
        sample = None
    if sample is None:
        if signature is None:
            return _pack(elems, [leaf[:0] for leaf in leaves])
        sample = signature
        flat = [torch.zeros(tuple(getattr(s, "shape", None) or ()) if _known(s) else (),
                            dtype=_torch_dtype(getattr(s, "dtype", s)), device=leaves[0].device)
                for s in tree.flatten(signature)]
    if signature is not None:
        dtypes = [getattr(s, "dtype", s) for s in tree.flatten(signature)]
        if len(dtypes) == len(flat):
            flat = [f.to(_torch_dtype(d)) for f, d in zip(flat, dtypes)]
    return _pack(sample, [f.unsqueeze(0)[:0] for f in flat])


def _known(spec):
    shape = getattr(spec, "shape", None)
    return shape is not None and all(d is not None for d in tuple(shape))


def vectorized_map(fn, elems, fallback_to_while_loop=True, warn=True):
    """Same results as TensorFlow's vectorized_map, computed one element at a time (map_fn)."""
    return map_fn(fn, elems)


def cond(pred, true_fn=None, false_fn=None, name=None):
    """One branch, chosen by `pred` now (keraslite runs eagerly)."""
    if true_fn is None or false_fn is None:
        raise ValueError("tf.cond: both true_fn and false_fn are required.")
    return true_fn() if builtins.bool(_truth(pred)) else false_fn()


def _truth(pred):
    return pred.item() if isinstance(pred, torch.Tensor) else pred


def while_loop(cond, body, loop_vars, shape_invariants=None, parallel_iterations=10, back_prop=True,
               swap_memory=False, maximum_iterations=None, name=None):
    """Runs `body` while `cond` holds, eagerly; cond and body take the loop variables as
    positional arguments; the result has loop_vars' structure (a single variable stays single)."""
    is_sequence = isinstance(loop_vars, (list, tuple))
    count = len(loop_vars) if is_sequence else 1
    values = list(loop_vars) if is_sequence else [loop_vars]
    step = 0
    while (maximum_iterations is None or step < int(_truth(maximum_iterations))) and builtins.bool(
            _truth(cond(*values))):
        out = body(*values)
        values = list(out) if count > 1 or (is_sequence and isinstance(out, (list, tuple))) else [out]
        if len(values) != count:
            raise ValueError(f"tf.while_loop: body returned {len(values)} loop variables; expected {count}.")
        step += 1
    if not is_sequence:
        return values[0]
    if hasattr(loop_vars, "_fields"):
        return type(loop_vars)(*values)
    return type(loop_vars)(values)


def case(pred_fn_pairs, default=None, exclusive=False, strict=False, name=None):
    """The function of the first pair whose predicate is True (every one, when exclusive, is
    checked), else `default` (required when no predicate holds)."""
    pairs = list(pred_fn_pairs.items()) if isinstance(pred_fn_pairs, dict) else list(pred_fn_pairs)
    chosen = [fn for pred, fn in pairs if builtins.bool(_truth(pred))]
    if exclusive and len(chosen) > 1:
        raise ValueError("tf.case: more than one predicate is True with exclusive=True.")
    if chosen:
        return chosen[0]()
    if default is None:
        raise ValueError("tf.case: no predicate is True and no default was given.")
    return default()


def switch_case(branch_index, branch_fns, default=None, name=None):
    """branch_fns[branch_index]() (a list of callables, of (index, callable) pairs, or a dict);
    out of range: `default`, else the last branch (as TensorFlow)."""
    index = int(_truth(branch_index))
    if isinstance(branch_fns, dict):
        fns = {int(k): f for k, f in branch_fns.items()}
    elif builtins.all(isinstance(p, tuple) for p in branch_fns):
        fns = {int(k): f for k, f in branch_fns}
    else:
        fns = dict(enumerate(branch_fns))
    if index in fns:
        return fns[index]()
    return (default or fns[builtins.max(fns)])()


def is_tensor(x):
    """True for torch tensors and tf.Variable (numpy arrays and Python values are not tensors)."""
    from keraslite.compat.tf_autodiff import Variable

    return isinstance(x, (torch.Tensor, Variable))


# ------------------------------------------------------------------------------- tf.math

TopK = namedtuple("TopKV2", ["values", "indices"])


def top_k(input, k=1, sorted=True, name=None, index_type="int32"):  # noqa: A002
    """The k largest entries along the last axis, largest first, and their int32 indices."""
    values, indices = torch.topk(_tensor(input), int(_truth(k)), dim=-1, largest=True, sorted=True)
    return TopK(values, indices.to(_torch_dtype(index_type)))


def in_top_k(targets, predictions, k, name=None):
    """Whether each target's prediction is among the k largest of its row (ties count as in;
    a non-finite prediction never does)."""
    predictions = _tensor(predictions)
    targets = _tensor(targets).to(predictions.device).long()
    target_values = predictions.gather(1, targets.reshape(-1, 1))
    larger = (predictions > target_values).sum(dim=1)
    return (larger < int(k)) & torch.isfinite(target_values.reshape(-1))


def l2_normalize(x, axis=None, epsilon=1e-12, name=None, dim=None):
    """x / sqrt(max(sum(x**2, axis), epsilon)); axis None normalizes over all entries."""
    from keraslite import ops

    axis = dim if axis is None else axis
    x = _floating(_tensor(x))
    return ops.l2_normalize._raw(x, axis=_axes_arg(axis, x.ndim), epsilon=epsilon)


def divide_no_nan(x, y, name=None):
    """x / y, and 0 wherever y is 0."""
    x = _tensor(x)
    y = _tensor(y, like=x)
    zero = y == 0
    quotient = x / torch.where(zero, torch.ones_like(y), y)
    return torch.where(zero, torch.zeros((), dtype=quotient.dtype, device=x.device), quotient)


def count_nonzero(input, axis=None, keepdims=None, dtype="int64", name=None):  # noqa: A002
    x = _tensor(input)
    nonzero = (x != 0).to(torch.int64)
    axes = _axes_arg(axis, x.ndim)
    out = nonzero.sum(dim=axes, keepdim=builtins.bool(keepdims)) if axes is not None else nonzero.sum()
    if axes is None and keepdims:
        out = out.reshape([1] * x.ndim)
    return out.to(_torch_dtype(dtype))


def confusion_matrix(labels, predictions, num_classes=None, weights=None, dtype="int32", name=None):
    """[num_classes, num_classes]: rows are labels, columns predictions; entries count (or sum
    `weights`). num_classes defaults to the largest label or prediction plus one."""
    labels = _tensor(labels).reshape(-1).long()
    predictions = _tensor(predictions).to(labels.device).reshape(-1).long()
    if num_classes is None:
        num_classes = int(torch.maximum(labels.max(), predictions.max()).item()) + 1 if labels.numel() else 0
    num_classes = int(num_classes)
    if labels.numel() and (builtins.min(labels.min().item(), predictions.min().item()) < 0
                           or builtins.max(labels.max().item(), predictions.max().item()) >= num_classes):
        raise ValueError(f"tf.math.confusion_matrix: labels and predictions must lie in [0, {num_classes}).")
    flat = labels * num_classes + predictions
    counts = torch.bincount(flat, weights=None if weights is None else _tensor(weights).reshape(-1).double(),
                            minlength=num_classes * num_classes)
    return counts.reshape(num_classes, num_classes).to(_torch_dtype(dtype))


def truediv(x, y, name=None):
    """Division in floating point: int8/int16 (and uint8/uint16) give float32, int32/int64 float64."""
    x = _tensor(x)
    y = _tensor(y, like=x)
    if not x.is_floating_point():
        target = torch.float32 if x.dtype in (torch.int8, torch.int16, torch.uint8, torch.uint16) else torch.float64
        x, y = x.to(target), y.to(target)
    return x / y


# Empty segments hold TensorFlow's identity of each reduction: 0 for sums and means, the dtype's
# lowest / highest value for max / min, 1 for products.
_SEGMENT_REDUCTIONS = {"sum": "sum", "mean": "mean", "max": "amax", "min": "amin", "prod": "prod"}


def _empty_value(kind, dtype):
    if kind in ("max", "min"):
        info = torch.finfo(dtype) if dtype.is_floating_point else torch.iinfo(dtype)
        return info.min if kind == "max" else info.max
    return 1 if kind == "prod" else 0


def _segment(data, segment_ids, num_segments, kind="sum"):
    """The rows of `data` (the leading segment_ids.ndim axes) reduced by segment id into
    `num_segments` rows; negative ids are dropped, as TensorFlow does. `kind` "sqrt_n" is the
    sum over the square root of the segment's size."""
    data = _tensor(data)
    ids = _tensor(segment_ids).to(data.device).long()
    flat = data.reshape((-1,) + data.shape[ids.ndim:])
    keep = ids.reshape(-1) >= 0
    ids, flat = ids.reshape(-1)[keep], flat[keep]
    shape = (int(num_segments),) + data.shape[ids.ndim:]
    out = torch.full(shape, _empty_value(kind, data.dtype), dtype=data.dtype, device=data.device)
    if kind in ("sum", "sqrt_n"):
        sums = out.index_add(0, ids, flat)
        if kind == "sum":
            return sums
        counts = torch.zeros(shape[0], dtype=data.dtype, device=data.device).index_add(
            0, ids, torch.ones_like(ids, dtype=data.dtype))
        return sums / counts.clamp(min=1).sqrt().reshape((-1,) + (1,) * (sums.dim() - 1))
    index = ids.reshape((-1,) + (1,) * (flat.dim() - 1)).expand_as(flat)
    return out.scatter_reduce(0, index, flat, _SEGMENT_REDUCTIONS[kind], include_self=False)


def _sorted_segment(kind):
    def reduce(data, segment_ids, name=None):
        ids = _tensor(segment_ids)
        if ids.numel() > 1 and builtins.bool((ids[1:] < ids[:-1]).any()):
            raise ValueError(f"tf.math.segment_{kind}: segment_ids must be sorted (use unsorted_segment_{kind}).")
        return _segment(data, ids, int(ids.max().item()) + 1 if ids.numel() else 0, kind)

    reduce.__name__ = f"segment_{kind}"
    reduce.__doc__ = f"tf.math.segment_{kind}: max(id) + 1 segments of sorted ids."
    return reduce


def _unsorted_segment(kind):
    def reduce(data, segment_ids, num_segments, name=None):
        return _segment(data, segment_ids, int(_truth(num_segments)), kind)

    reduce.__name__ = f"unsorted_segment_{kind}"
    return reduce


_SEGMENT_FUNCTIONS = dict(
    {f"segment_{kind}": _sorted_segment(kind) for kind in ("sum", "mean", "max", "min", "prod")},
    **{f"unsorted_segment_{kind}": _unsorted_segment(kind) for kind in ("sum", "mean", "max", "min", "prod",
                                                                        "sqrt_n")})
segment_sum, unsorted_segment_sum = _SEGMENT_FUNCTIONS["segment_sum"], _SEGMENT_FUNCTIONS["unsorted_segment_sum"]


def bincount(arr, weights=None, minlength=None, maxlength=None, dtype="int32", name=None, axis=None,
             binary_output=False):
    """Counts of each non-negative int in `arr` (flattened), at least `minlength` and at most
    `maxlength` bins (larger values are dropped); with `weights`, their sums."""
    if axis not in (None, 0):
        raise _unsupported("math.bincount", "axis", axis, "None or 0")
    arr = _tensor(arr).reshape(-1).long()
    if arr.numel() and arr.min().item() < 0:
        raise ValueError("tf.math.bincount: arr must be non-negative.")
    size_ = int(arr.max().item()) + 1 if arr.numel() else 0
    if minlength is not None:
        size_ = builtins.max(size_, int(minlength))
    if maxlength is not None:
        size_ = builtins.min(size_, int(maxlength))
    keep = arr < size_
    w = None if weights is None else _tensor(weights).to(arr.device).reshape(-1)
    if binary_output:
        counts = torch.zeros(size_, dtype=torch.long, device=arr.device).index_fill(0, arr[keep], 1)
        return counts.to(_torch_dtype(dtype))
    if w is None:
        return torch.bincount(arr[keep], minlength=size_).to(_torch_dtype(dtype))
    return torch.zeros(size_, dtype=w.dtype, device=arr.device).index_add(0, arr[keep], w[keep])


def polyval(coeffs, x, name=None):
    """coeffs[0] * x**(n-1) + ... + coeffs[n-1], by Horner's rule."""
    x = _tensor(x)
    out = torch.zeros_like(x)
    for c in coeffs:
        out = out * x + _tensor(c, like=x)
    return out


def _euclidean_norm(x, dim, keepdim=False):
    return torch.sqrt(torch.sum(x * x, dim=dim, keepdim=keepdim))


def _logsumexp(x, dim, keepdim=False):
    return torch.logsumexp(_floating(x), dim=dim, keepdim=keepdim)


def _reduce_over(torch_fn, name):
    """A tf.reduce_* taking an int, a list of axes or None (all)."""
    def fn(input_tensor, axis=None, keepdims=False, name=None):
        x = _tensor(input_tensor)
        axes = _axes_arg(axis, x.ndim) if x.ndim else None
        if axes is None:
            out = torch_fn(x.reshape(-1), dim=0)
            return out.reshape([1] * x.ndim) if keepdims else out
        return torch_fn(x, dim=axes, keepdim=builtins.bool(keepdims))

    fn.__name__ = name
    return fn


def _squared_difference(x, y):
    return (x - y) * (x - y)


# ------------------------------------------------------------------------------- tf.nn

def _hw_pairs(function, argument, value, spatial, data_format):
    """TF's 1, `spatial` or 2+`spatial` ints (N and C entries must be 1) as `spatial` ints."""
    values = _ints(value)
    if len(values) == 1:
        return values * spatial
    if len(values) == spatial:
        return values
    if len(values) == spatial + 2:
        channels_last = data_format.endswith("C")
        outer = (values[0], values[-1]) if channels_last else (values[0], values[1])
        if outer != (1, 1):
            raise _unsupported(function, argument, value, "1 for the batch and channel dimensions")
        return values[1:-1] if channels_last else values[2:]
    raise _unsupported(function, argument, value, f"1, {spatial} or {spatial + 2} integers")


def _explicit_padding(function, padding, spatial, data_format):
    pairs = np.asarray(_ints(padding)).reshape(-1, 2).tolist()
    if len(pairs) != spatial + 2:
        raise _unsupported(function, "padding", padding, f"'SAME', 'VALID' or {spatial + 2} [before, after] pairs")
    return pairs[1:-1] if data_format.endswith("C") else pairs[2:]


_FORMATS = {1: ("NWC", "NCW"), 2: ("NHWC", "NCHW")}


def _to_channels_first(x, data_format, function):
    """x in `data_format` (checked against the input's rank) as channels-first."""
    channels_last, channels_first = _FORMATS[x.ndim - 2]
    if data_format == channels_last:
        return x.movedim(-1, 1)
    if data_format == channels_first:
        return x
    raise _unsupported(function, "data_format", data_format, f"'{channels_last}' or '{channels_first}'")


def _from_channels_first(x, data_format):
    return x.movedim(1, -1) if data_format.endswith("C") else x


def _spatial_pad(x, function, padding, kernel, strides, dilations, spatial, data_format, value=0.0):
    """x (channels first) padded as `padding` asks: 'VALID', 'SAME' or explicit pairs."""
    if isinstance(padding, str):
        mode = padding.upper()
        if mode == "VALID":
            return x
        if mode != "SAME":
            raise _unsupported(function, "padding", padding, "'SAME', 'VALID' or explicit [before, after] pairs")
        # TensorFlow's SAME rule, the one the conv layers use: the extra pixel goes after.
        pairs = [same_padding(x.shape[2 + i], kernel[i], strides[i], dilations[i]) for i in _builtin_range(spatial)]
    else:
        pairs = _explicit_padding(function, padding, spatial, data_format)
    flat = [p for before, after in reversed(pairs) for p in (before, after)]
    return torch.nn.functional.pad(x, flat, value=value) if builtins.any(flat) else x


def _conv_arguments(function, x, filters, strides, data_format, dilations, spatial):
    """Shared by the convolutions and their transposes: x and filters as tensors of x's dtype
    (ranks checked), strides and dilations per spatial axis, the filters' spatial size."""
    x = _tensor(x)
    filters = _tensor(filters, like=x).to(x.dtype)
    if x.ndim != spatial + 2 or filters.ndim != spatial + 2:
        raise ValueError(f"tf.{function}: expects a rank-{spatial + 2} input and filters; got {tuple(x.shape)} "
                         f"and {tuple(filters.shape)}.")
    strides = _hw_pairs(function, "strides", strides, spatial, data_format)
    dilations = _hw_pairs(function, "dilations", 1 if dilations is None else dilations, spatial, data_format)
    return x, filters, strides, dilations, list(filters.shape[:spatial])


def _conv(function, x, filters, strides, padding, data_format, dilations, spatial):
    x, filters, strides, dilations, kernel = _conv_arguments(function, x, filters, strides, data_format, dilations,
                                                             spatial)
    x = _to_channels_first(x, data_format, function)
    in_channels = filters.shape[-2]
    if x.shape[1] % in_channels:
        raise ValueError(f"tf.{function}: input has {x.shape[1]} channels, filters expect a multiple of {in_channels}.")
    weight = filters.permute(spatial + 1, spatial, *_builtin_range(spatial))  # HWIO -> OIHW
    x = _spatial_pad(x, function, padding, kernel, strides, dilations, spatial, data_format)
    conv = torch.nn.functional.conv2d if spatial == 2 else torch.nn.functional.conv1d
    out = conv(x, weight, stride=strides, dilation=dilations, groups=x.shape[1] // in_channels)
    return _from_channels_first(out, data_format)


def conv2d(input, filters, strides, padding, data_format="NHWC", dilations=None, name=None):  # noqa: A002
    """2-D convolution (cross-correlation) of NHWC (or NCHW) input with HWIO filters; padding
    'SAME' (TensorFlow's: the extra pixel goes after), 'VALID' or explicit pairs."""
    return _conv("nn.conv2d", input, filters, strides, padding, data_format, dilations, 2)


def conv1d(input, filters, stride, padding, data_format="NWC", dilations=None, name=None):  # noqa: A002
    return _conv("nn.conv1d", input, filters, stride, padding, data_format, dilations, 1)


def depthwise_conv2d(input, filter, strides, padding, data_format=None, dilations=None, name=None):  # noqa: A002
    """Each input channel convolved with its own `channel_multiplier` filters: filter (h, w,
    in_channels, channel_multiplier); output channel k * channel_multiplier + m is input channel
    k convolved with filter[:, :, k, m]."""
    x = _tensor(input)
    filter = _tensor(filter, like=x)  # noqa: A001
    data_format = data_format or "NHWC"
    channels = x.shape[-1 if data_format.endswith("C") else 1] if x.ndim == 4 else None
    if filter.ndim != 4 or x.ndim != 4 or filter.shape[2] != channels:
        raise ValueError(f"tf.nn.depthwise_conv2d: expects 4-D input and a filter (h, w, in_channels, "
                         f"channel_multiplier) with in_channels the input's channels; got input {tuple(x.shape)} "
                         f"({data_format}) and filter {tuple(filter.shape)}.")
    # As a grouped convolution: one group per input channel, HWIO filters with I = 1.
    grouped = filter.reshape(filter.shape[0], filter.shape[1], 1, -1)
    return _conv("nn.depthwise_conv2d", x, grouped, strides, padding, data_format, dilations, 2)


def separable_conv2d(input, depthwise_filter, pointwise_filter, strides, padding, data_format=None,  # noqa: A002
                     dilations=None, name=None):
    """depthwise_conv2d, then a 1x1 conv2d with pointwise_filter (1, 1, in_channels *
    channel_multiplier, out_channels)."""
    depthwise = depthwise_conv2d(input, depthwise_filter, strides, padding, data_format, dilations)
    return conv2d(depthwise, pointwise_filter, 1, "VALID", data_format or "NHWC")


def atrous_conv2d(value, filters, rate, padding, name=None):
    """conv2d of NHWC `value` with HWIO `filters` dilated by `rate` (stride 1)."""
    if str(padding).upper() not in ("SAME", "VALID"):
        raise _unsupported("nn.atrous_conv2d", "padding", padding, "'SAME' or 'VALID'")
    if int(rate) < 1:
        raise ValueError(f"tf.nn.atrous_conv2d: rate must be >= 1; got {rate}.")
    return _conv("nn.atrous_conv2d", value, filters, 1, padding, "NHWC", int(rate), 2)


def _conv_transpose(function, x, filters, output_shape, strides, padding, data_format, dilations, spatial):
    """The gradient of a convolution with `filters` (spatial..., out_channels, in_channels) and the
    same strides / padding / dilations, taken with respect to its input of `output_shape`, at `x`."""
    x, filters, strides, dilations, kernel = _conv_arguments(function, x, filters, strides, data_format, dilations,
                                                             spatial)
    shape = _ints(output_shape)
    x = _to_channels_first(x, data_format, function)
    channels_last = data_format.endswith("C")
    if len(shape) == spatial + 2:
        out_channels, out_size = (shape[-1], shape[1:-1]) if channels_last else (shape[1], shape[2:])
    elif len(shape) == spatial:
        out_channels, out_size = filters.shape[-2], shape
    else:
        raise _unsupported(function, "output_shape", output_shape, f"{spatial + 2} integers (or {spatial} sizes)")
    if x.shape[1] != filters.shape[-1] or out_channels != filters.shape[-2]:
        raise ValueError(f"tf.{function}: filters {tuple(filters.shape)} (spatial..., out_channels, in_channels) "
                         f"must match the input's {x.shape[1]} channels and output_shape's {out_channels}.")
    if isinstance(padding, str) and padding.upper() == "SAME":
        pairs = [same_padding(out_size[i], kernel[i], strides[i], dilations[i]) for i in _builtin_range(spatial)]
    elif isinstance(padding, str) and padding.upper() == "VALID":
        pairs = [(0, 0)] * spatial
    elif isinstance(padding, str):
        raise _unsupported(function, "padding", padding, "'SAME', 'VALID' or explicit [before, after] pairs")
    else:
        pairs = _explicit_padding(function, padding, spatial, data_format)
    for i in _builtin_range(spatial):
        padded = out_size[i] + sum(pairs[i])
        expected = (padded - (kernel[i] - 1) * dilations[i] - 1) // strides[i] + 1
        if expected != x.shape[2 + i]:
            raise ValueError(f"tf.{function}: output_shape {shape} does not fit the input {tuple(x.shape)}: a "
                             f"convolution of that output with these filters, strides and padding has spatial size "
                             f"{expected} where the input has {x.shape[2 + i]}.")
    weight = filters.permute(spatial + 1, spatial, *_builtin_range(spatial))  # (in, out, spatial...)
    transpose = torch.nn.functional.conv_transpose2d if spatial == 2 else torch.nn.functional.conv_transpose1d
    full = transpose(x, weight, stride=strides, dilation=dilations)
    # `full` covers the padded input the convolution read; rows it never reached get zeros.
    extra = [out_size[i] + sum(pairs[i]) - full.shape[2 + i] for i in _builtin_range(spatial)]
    full = torch.nn.functional.pad(full, [p for e in reversed(extra) for p in (0, e)])
    index = (slice(None), slice(None)) + tuple(slice(pairs[i][0], pairs[i][0] + out_size[i])
                                               for i in _builtin_range(spatial))
    return _from_channels_first(full[index], data_format)


def conv2d_transpose(input, filters, output_shape, strides, padding="SAME", data_format="NHWC",  # noqa: A002
                     dilations=None, name=None):
    """The transpose (gradient) of conv2d: filters (h, w, out_channels, in_channels), output of
    `output_shape` ([batch, height, width, out_channels] for NHWC)."""
    return _conv_transpose("nn.conv2d_transpose", input, filters, output_shape, strides, padding, data_format,
                           dilations, 2)


def conv1d_transpose(input, filters, output_shape, strides, padding="SAME", data_format="NWC",  # noqa: A002
                     dilations=None, name=None):
    return _conv_transpose("nn.conv1d_transpose", input, filters, output_shape, strides, padding, data_format,
                           dilations, 1)


def _pool(function, kind, x, ksize, strides, padding, data_format, spatial):
    x = _tensor(x)
    if x.ndim != spatial + 2:
        raise ValueError(f"tf.{function}: expects a rank-{spatial + 2} input; got shape {tuple(x.shape)}.")
    ksize = _hw_pairs(function, "ksize", ksize, spatial, data_format)
    strides = _hw_pairs(function, "strides", strides, spatial, data_format)
    x = _to_channels_first(x, data_format, function)
    ones = [1] * spatial
    F = torch.nn.functional
    if kind == "max":
        fill_value = -np.inf if x.is_floating_point() else torch.iinfo(x.dtype).min
        padded = _spatial_pad(x, function, padding, ksize, strides, ones, spatial, data_format, value=fill_value)
        pool = F.max_pool2d if spatial == 2 else F.max_pool1d
        out = pool(padded, ksize, strides)
    else:
        # The mean of the entries inside the image only: pooled sums over pooled counts.
        padded = _spatial_pad(x, function, padding, ksize, strides, ones, spatial, data_format)
        mask = _spatial_pad(torch.ones_like(x[:1, :1]), function, padding, ksize, strides, ones, spatial, data_format)
        pool = F.avg_pool2d if spatial == 2 else F.avg_pool1d
        out = pool(padded, ksize, strides) / pool(mask, ksize, strides)
    return _from_channels_first(out, data_format)


def max_pool2d(input, ksize, strides, padding, data_format="NHWC", name=None):  # noqa: A002
    return _pool("nn.max_pool2d", "max", input, ksize, strides, padding, data_format, 2)


def avg_pool2d(input, ksize, strides, padding, data_format="NHWC", name=None):  # noqa: A002
    """Average pooling; with 'SAME' padding each window averages only the entries inside the image."""
    return _pool("nn.avg_pool2d", "avg", input, ksize, strides, padding, data_format, 2)


def max_pool1d(input, ksize, strides, padding, data_format="NWC", name=None):  # noqa: A002
    return _pool("nn.max_pool1d", "max", input, ksize, strides, padding, data_format, 1)


def avg_pool1d(input, ksize, strides, padding, data_format="NWC", name=None):  # noqa: A002
    return _pool("nn.avg_pool1d", "avg", input, ksize, strides, padding, data_format, 1)


def _pool_nd(kind):
    def fn(input, ksize, strides, padding, data_format=None, name=None):  # noqa: A002
        x = _tensor(input)
        spatial = x.ndim - 2
        if spatial not in (1, 2):
            raise _unsupported(f"nn.{kind}_pool", "input rank", x.ndim, "3 (1-D pooling) or 4 (2-D pooling)")
        data_format = data_format or ("NWC" if spatial == 1 else "NHWC")
        return _pool(f"nn.{kind}_pool", kind, x, ksize, strides, padding, data_format, spatial)

    fn.__name__ = f"{kind}_pool"
    return fn


def embedding_lookup(params, ids, max_norm=None, name=None):
    """Rows of `params` at `ids` (any shape); `max_norm` rescales rows whose L2 norm exceeds it."""
    if isinstance(params, (list, tuple)):
        if len(params) != 1:
            raise _unsupported("nn.embedding_lookup", "params", f"a list of {len(params)} shards", "one tensor")
        params = params[0]
    out = gather(params, ids)
    if max_norm is not None:
        row_norm = torch.sqrt(torch.sum(out * out, dim=-1, keepdim=True))
        out = out * torch.clamp(float(max_norm) / torch.clamp(row_norm, min=1e-30), max=1.0)
    return out


def moments(x, axes, shift=None, keepdims=False, name=None):
    """(mean, variance) over `axes`, the population variance (as TensorFlow)."""
    from keraslite import ops

    x = _floating(_tensor(x))
    return ops.moments._raw(x, list(_axes_arg(axes, x.ndim)), keepdims=builtins.bool(keepdims))


def sigmoid_cross_entropy_with_logits(labels=None, logits=None, name=None):
    """Elementwise max(x, 0) - x * z + log(1 + exp(-|x|)), x the logits and z the labels."""
    if labels is None or logits is None:
        raise ValueError("tf.nn.sigmoid_cross_entropy_with_logits: pass both labels= and logits=.")
    logits = _tensor(logits)
    labels = _tensor(labels, like=logits).to(logits.dtype)
    return torch.clamp(logits, min=0) - logits * labels + torch.log1p(torch.exp(-torch.abs(logits)))


def weighted_cross_entropy_with_logits(labels, logits, pos_weight, name=None):
    logits = _tensor(logits)
    labels = _tensor(labels, like=logits).to(logits.dtype)
    log_weight = 1 + (_tensor(pos_weight, like=logits) - 1) * labels
    softplus_neg = torch.log1p(torch.exp(-torch.abs(logits))) + torch.clamp(-logits, min=0)  # log(1 + exp(-x))
    return (1 - labels) * logits + log_weight * softplus_neg


def bias_add(value, bias, data_format=None, name=None):
    """value + bias along the channel axis: the last one, or axis 1 for 'NC...' formats."""
    value = _tensor(value)
    bias = _tensor(bias, like=value)
    if data_format is not None and str(data_format).startswith("NC"):
        return value + bias.reshape((-1,) + (1,) * (value.ndim - 2))
    return value + bias


def batch_normalization(x, mean, variance, offset, scale, variance_epsilon, name=None):
    """(x - mean) / sqrt(variance + epsilon) * scale + offset; offset and scale may be None."""
    x = _tensor(x)
    inv = torch.rsqrt(_tensor(variance, like=x) + variance_epsilon)
    if scale is not None:
        inv = inv * _tensor(scale, like=x)
    out = (x - _tensor(mean, like=x)) * inv
    return out + _tensor(offset, like=x) if offset is not None else out


# ------------------------------------------------------------------------------- tf.random

def categorical(logits, num_samples, dtype=None, seed=None, name=None):
    """[batch, num_samples] class indices drawn from the softmax of each row of logits (int64)."""
    logits = _floating(_tensor(logits))
    gen = torch.Generator(device=logits.device).manual_seed(int(seed)) if seed is not None else None
    probs = torch.softmax(logits, dim=-1)
    out = torch.multinomial(probs, int(num_samples), replacement=True, generator=gen)
    return out.to(_torch_dtype(dtype or "int64"))


def truncated_normal(shape, mean=0.0, stddev=1.0, dtype="float32", seed=None, name=None):
    """Normal draws redrawn until within two standard deviations of the mean."""
    from keraslite.compat.tensorflow_shim import _device

    gen = torch.Generator(device="cpu").manual_seed(int(seed)) if seed is not None else None
    out = torch.randn(tuple(_ints(shape)), generator=gen, dtype=torch.float32)
    bad = out.abs() > 2
    while builtins.bool(bad.any()):
        out[bad] = torch.randn(int(bad.sum()), generator=gen, dtype=torch.float32)
        bad = out.abs() > 2
    return (out * float(stddev) + float(mean)).to(_torch_dtype(dtype)).to(_device())


_MORE_ELEMENTWISE = {name: _elementwise(fn, name) for name, fn in {
    "squared_difference": _squared_difference,
    "erf": torch.erf, "erfc": torch.erfc, "atan2": torch.atan2, "lgamma": torch.lgamma, "digamma": torch.digamma,
    "expm1": torch.expm1, "tan": torch.tan, "asin": torch.asin, "acos": torch.acos,
    "atan": torch.atan, "sinh": torch.sinh, "cosh": torch.cosh, "log_sigmoid": torch.nn.functional.logsigmoid,
    "is_inf": torch.isinf, "xlogy": torch.xlogy, "softsign": torch.nn.functional.softsign,
}.items()}
_MORE_REDUCTIONS = {
    "reduce_euclidean_norm": _reduce_over(_euclidean_norm, "reduce_euclidean_norm"),
    "reduce_logsumexp": _reduce_over(_logsumexp, "reduce_logsumexp"),
}
_NN_ACTIVATIONS = {
    "leaky_relu": lambda features, alpha=0.2, name=None: torch.nn.functional.leaky_relu(
        _floating(_tensor(features)), float(alpha)),
    "gelu": lambda features, approximate=False, name=None: torch.nn.functional.gelu(
        _floating(_tensor(features)), approximate="tanh" if approximate else "none"),
    "relu6": lambda features, name=None: torch.clamp(_tensor(features), 0, 6),
    "elu": lambda features, name=None: torch.nn.functional.elu(_floating(_tensor(features))),
    "selu": lambda features, name=None: torch.nn.functional.selu(_floating(_tensor(features))),
    "silu": lambda features, beta=1.0, name=None: _tensor(features) * torch.sigmoid(float(beta) * _tensor(features)),
    "softsign": _MORE_ELEMENTWISE["softsign"], "log_sigmoid": _MORE_ELEMENTWISE["log_sigmoid"],
}
_NN_ACTIVATIONS["swish"] = _NN_ACTIVATIONS["silu"]

TOP_LEVEL.update(_MORE_ELEMENTWISE, **_MORE_REDUCTIONS, unstack=unstack, fill=fill, tile=tile,
                 clip_by_norm=clip_by_norm, clip_by_global_norm=clip_by_global_norm,
                 global_norm=global_norm, gather_nd=gather_nd, boolean_mask=boolean_mask, split=split, pad=pad,
                 reverse=reverse, sort=sort, argsort=argsort, einsum=einsum, linspace=linspace, eye=eye, norm=norm,
                 tensordot=tensordot, unique=unique, unique_with_counts=unique_with_counts, TensorShape=TensorShape,
                 Dimension=Dimension,
                 newaxis=None, broadcast_to=broadcast_to, broadcast_dynamic_shape=broadcast_dynamic_shape,
                 broadcast_static_shape=broadcast_static_shape, ensure_shape=ensure_shape,
                 sequence_mask=sequence_mask, meshgrid=meshgrid, cumsum=cumsum, repeat=repeat, roll=roll,
                 scatter_nd=scatter_nd, tensor_scatter_nd_update=tensor_scatter_nd_update,
                 tensor_scatter_nd_add=tensor_scatter_nd_add, searchsorted=searchsorted,
                 histogram_fixed_width=histogram_fixed_width, map_fn=map_fn, vectorized_map=vectorized_map,
                 cond=cond, while_loop=while_loop, case=case, switch_case=switch_case, is_tensor=is_tensor,
                 truediv=truediv, add_n=add_n)
def complex(real, imag, name=None):  # noqa: A001  (tf.complex)
    """tf.complex: a complex tensor from real and imaginary parts (float32 -> complex64,
    float64 -> complex128)."""
    real, imag = _tensor(real), _tensor(imag)
    if not real.is_floating_point():
        real = real.float()
    return torch.complex(real, imag.to(device=real.device, dtype=real.dtype))


def _complex_part(fn):
    """tf.math.real / imag / angle: of a real tensor, TF gives the tensor itself (real), zeros
    (imag) or 0 / pi by sign (angle)."""
    def part(input, name=None):  # noqa: A002
        return fn(_tensor(input))

    return part


_COMPLEX = dict(complex=complex, real=_complex_part(torch.real),
                imag=_complex_part(lambda x: torch.imag(x) if x.is_complex() else torch.zeros_like(x)),
                angle=_complex_part(torch.angle),
                conj=_complex_part(lambda x: torch.conj(x).resolve_conj() if x.is_complex() else x))
TOP_LEVEL.update(_COMPLEX)
MATH.update(_COMPLEX)
MATH.update(_MORE_ELEMENTWISE, **_MORE_REDUCTIONS, top_k=top_k, in_top_k=in_top_k, cumsum=cumsum,
            l2_normalize=l2_normalize, divide_no_nan=divide_no_nan, count_nonzero=count_nonzero,
            confusion_matrix=confusion_matrix, truediv=truediv, **_SEGMENT_FUNCTIONS, bincount=bincount, polyval=polyval,
            unique=unique, add_n=add_n, cumprod=cumprod, multiply_no_nan=multiply_no_nan,
            zero_fraction=zero_fraction, scalar_mul=lambda scalar, x, name=None: _tensor(scalar) * _tensor(x),
            softmax=lambda logits, axis=-1, name=None: torch.softmax(_tensor(logits), dim=axis),
            log_softmax=lambda logits, axis=-1, name=None: torch.log_softmax(_tensor(logits), dim=axis))
NN.update(_NN_ACTIVATIONS, l2_normalize=l2_normalize,
          sigmoid_cross_entropy_with_logits=sigmoid_cross_entropy_with_logits,
          weighted_cross_entropy_with_logits=weighted_cross_entropy_with_logits, conv2d=conv2d, conv1d=conv1d,
          conv2d_transpose=conv2d_transpose, conv1d_transpose=conv1d_transpose, depthwise_conv2d=depthwise_conv2d,
          separable_conv2d=separable_conv2d, atrous_conv2d=atrous_conv2d,
          max_pool2d=max_pool2d, avg_pool2d=avg_pool2d, max_pool1d=max_pool1d, avg_pool1d=avg_pool1d,
          max_pool=_pool_nd("max"), avg_pool=_pool_nd("avg"), embedding_lookup=embedding_lookup, moments=moments,
          bias_add=bias_add, batch_normalization=batch_normalization, top_k=top_k,
          compute_average_loss=compute_average_loss, scale_regularization_loss=scale_regularization_loss,
          in_top_k=in_top_k)  # TF 2 order: (targets, predictions, k)
def _stateless(function):
    from keraslite.compat.tf_image import _generator

    return lambda seed: _generator(seed, f"random.{function}", stateless=True)


def stateless_uniform(shape, seed, minval=0, maxval=None, dtype="float32", name=None, alg="auto_select"):
    """Uniform numbers fixed by the two-integer `seed` (torch's generator: the same seed gives
    the same numbers, not TensorFlow's)."""
    from keraslite.compat.tensorflow_shim import _torch_dtype

    gen, torch_dtype, shape = _stateless("stateless_uniform")(seed), _torch_dtype(dtype), tuple(_ints(shape))
    if not torch_dtype.is_floating_point:
        if maxval is None:
            raise ValueError("tf.random.stateless_uniform: maxval must be given for integer dtypes.")
        return torch.randint(int(minval), int(maxval), shape, generator=gen, dtype=torch_dtype)
    maxval = 1.0 if maxval is None else maxval
    return torch.rand(shape, generator=gen, dtype=torch_dtype) * (maxval - minval) + minval


def stateless_normal(shape, seed, mean=0.0, stddev=1.0, dtype="float32", name=None, alg="auto_select"):
    from keraslite.compat.tensorflow_shim import _torch_dtype

    gen = _stateless("stateless_normal")(seed)
    return torch.randn(tuple(_ints(shape)), generator=gen, dtype=_torch_dtype(dtype)) * stddev + mean


def fold_in(seed, data, alg="auto_select"):
    """tf.random.fold_in: a new two-integer seed from `seed` and an integer `data`."""
    values = _tensor(seed).reshape(-1).tolist()
    return random_split([int(values[0]) ^ int(data), int(values[1]) + int(data)], 1)[0]


RANDOM.update(categorical=categorical, truncated_normal=truncated_normal, split=random_split,
              stateless_uniform=stateless_uniform, stateless_normal=stateless_normal, fold_in=fold_in)
def matrix_transpose(a, name="matrix_transpose", conjugate=False):
    """tf.linalg.matrix_transpose: swap the last two axes (batch axes kept)."""
    x = _tensor(a)
    if x.ndim < 2:
        raise ValueError(f"tf.linalg.matrix_transpose expects a tensor of rank >= 2; received shape {tuple(x.shape)}.")
    return x.mH if conjugate else x.mT


def band_part(input, num_lower, num_upper, name=None):  # noqa: A002
    """tf.linalg.band_part: keep, in each innermost matrix, the entries at most `num_lower`
    below and `num_upper` above the diagonal (a negative count keeps that whole triangle)."""
    x = _tensor(input)
    rows = torch.arange(x.shape[-2], device=x.device)[:, None]
    cols = torch.arange(x.shape[-1], device=x.device)[None, :]
    keep = torch.ones(x.shape[-2:], dtype=torch.bool, device=x.device)
    if int(num_lower) >= 0:
        keep &= rows - cols <= int(num_lower)
    if int(num_upper) >= 0:
        keep &= cols - rows <= int(num_upper)
    return torch.where(keep, x, torch.zeros((), dtype=x.dtype, device=x.device))


# tf.linalg.<name>
def svd(tensor, full_matrices=False, compute_uv=True, name=None):
    """tf.linalg.svd: (s, u, v) with `a = u @ diag(s) @ v^H` -- TensorFlow returns v, not v^H,
    and the singular values first; only s when compute_uv is False."""
    a = _tensor(tensor)
    if not compute_uv:
        return torch.linalg.svdvals(a)
    u, s, vh = torch.linalg.svd(a, full_matrices=full_matrices)
    return s, u, vh.mH


def tf_slice(input_, begin, size, name=None):
    """tf.slice: `size[i]` elements from `begin[i]` on each axis (-1: to the end)."""
    x = _tensor(input_)
    begin, size = _ints(begin), _ints(size)
    if len(begin) != x.dim() or len(size) != x.dim():
        raise ValueError(f"tf.slice: begin {begin} and size {size} need one entry per axis of the input of shape "
                         f"{tuple(x.shape)}.")
    index = tuple(slice(b, None if n == -1 else b + n) for b, n in zip(begin, size))
    return x[index]


TOP_LEVEL["slice"] = tf_slice
LINALG = {"svd": svd, "matrix_transpose": matrix_transpose, "transpose": matrix_transpose,
          "adjoint": lambda matrix, name=None: matrix_transpose(matrix, conjugate=True), "band_part": band_part,
          "norm": norm, "global_norm": global_norm, "l2_normalize": l2_normalize, "einsum": einsum, "tensordot": tensordot, "eye": eye,
          "matmul": lambda a, b, transpose_a=False, transpose_b=False, name=None: torch.matmul(
              _tensor(a).mT if transpose_a else _tensor(a), _tensor(b).mT if transpose_b else _tensor(b)),
          "inv": lambda input, adjoint=False, name=None: torch.linalg.inv(_tensor(input)),  # noqa: A002
          "det": lambda input, name=None: torch.linalg.det(_tensor(input)),  # noqa: A002
          "trace": lambda x, name=None: torch.diagonal(_tensor(x), dim1=-2, dim2=-1).sum(-1),
          "diag": lambda diagonal, name=None: torch.diag_embed(_tensor(diagonal)),
          "diag_part": lambda input, name=None: torch.diagonal(_tensor(input), dim1=-2, dim2=-1)}  # noqa: A002


# ------------------------------------------------------------------ symbolic (functional API) calls

def symbolic_aware(fn):
    """`fn`, which on KerasTensors (a functional model being built, as with tf.keras's automatic
    TFOpLambda layers) becomes a graph node calling `fn` on the real tensors."""
    import functools

    if getattr(fn, "_symbolic_aware", False):
        return fn

    from keraslite.ops import _is_symbolic

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        if _is_symbolic(args, kwargs):
            from keraslite.models.functional import symbolic_call

            return symbolic_call(fn, args, kwargs)
        return fn(*args, **kwargs)

    wrapper._symbolic_aware = True
    return wrapper


# TensorFlow's other spellings of common arguments: TF 2 calls the tensor `input` or
# `input_tensor` (what tf_upgrade_v2 writes), TF 1 the axis `reduction_indices`, `dim`,
# `dimension` or `squeeze_dims` and keepdims `keep_dims`; every op also takes an op `name`.
_INPUT_KEYWORDS = ("input", "input_tensor")
_KEYWORD_SPELLINGS = {"reduction_indices": "axis", "dim": "axis", "dimension": "axis", "squeeze_dims": "axis",
                      "keep_dims": "keepdims"}


def tf_keywords(fn):
    """`fn`, also called with TensorFlow's spellings of its arguments (above) where `fn` names
    them otherwise: `tf.reduce_mean(input_tensor=t, keep_dims=True)` is `reduce_mean(t,
    keepdims=True)`. A `name=` that `fn` does not take is dropped (op names mean nothing eagerly)."""
    import functools
    import inspect

    try:
        parameters = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return fn
    named = {n for n, p in parameters.items() if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)}
    any_keyword = any(p.kind == p.VAR_KEYWORD for p in parameters.values())
    spellings = {old: new for old, new in _KEYWORD_SPELLINGS.items()
                 if old not in named and (new in named or any_keyword)}
    inputs = [n for n in _INPUT_KEYWORDS if n not in named]
    if not named and not any(p.kind == p.VAR_POSITIONAL for p in parameters.values()):
        return fn  # takes no arguments
    drop_name = "name" not in named
    title = getattr(fn, "__name__", "function")

    @functools.wraps(fn)
    def call(*args, **kwargs):
        if kwargs:
            for keyword in inputs:
                if keyword in kwargs:
                    if args:
                        raise TypeError(f"{title}() got multiple values for argument '{keyword}'.")
                    args = (kwargs.pop(keyword),)
            for old, new in spellings.items():
                if old in kwargs:
                    if new in kwargs:
                        raise TypeError(f"{title}(): give only one of '{new}' and its deprecated spelling '{old}'.")
                    kwargs[new] = kwargs.pop(old)
            if drop_name:
                kwargs.pop("name", None)
        return fn(*args, **kwargs)

    return call


# Functions that run Python callables or build no tensor stay as they are.
_NOT_WRAPPED = {"map_fn", "vectorized_map", "cond", "while_loop", "case", "switch_case", "is_tensor", "print",
                "TensorShape", "Dimension", "newaxis"}


def _wrap_table(table):
    for key, value in table.items():
        if key not in _NOT_WRAPPED and callable(value) and not isinstance(value, type):
            table[key] = symbolic_aware(value)


for _table in (TOP_LEVEL, MATH, NN, LINALG):
    _wrap_table(_table)
