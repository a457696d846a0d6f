"""Activation functions on torch tensors, under Keras's names, and `get(identifier)`.

`softmax` and `sigmoid` record their input as `_keras_logits` on the output so that
crossentropy losses (keraslite.losses) can be computed stably from logits, as Keras 3 does.
"""
import contextlib
import functools
import inspect
import math
import warnings

import torch
import torch.nn.functional as F

from keraslite.layers.keras_tensor import KerasTensor


def linear(x):
    return x


def relu(x, negative_slope=0.0, max_value=None, threshold=0.0):
    """Keras's rule: x where x > threshold, else 0 (or negative_slope * (x - threshold)); with
    max_value, the non-negative part is clipped to [0, max_value] before the slope is added."""
    if max_value is None and threshold == 0.0:
        return F.leaky_relu(x, negative_slope) if negative_slope else torch.relu(x)
    y = x * (x > threshold).to(x.dtype) if threshold != 0.0 else torch.relu(x)
    if max_value is not None:
        y = torch.clamp(y, 0, max_value)
    if negative_slope:
        y = y - negative_slope * torch.relu(threshold - x)
    return y


def leaky_relu(x, negative_slope=0.2):
    return F.leaky_relu(x, negative_slope)


def relu6(x):
    return F.relu6(x)


def elu(x, alpha=1.0):
    return F.elu(x, alpha)


def selu(x):
    return F.selu(x)


def celu(x, alpha=1.0):
    return F.celu(x, alpha)


def softplus(x):
    return F.softplus(x)


def softsign(x):
    return F.softsign(x)


def silu(x):
    return F.silu(x)


swish = silu


def gelu(x, approximate=False):
    return F.gelu(x, approximate="tanh" if approximate else "none")


def tanh(x):
    return torch.tanh(x)


def sigmoid(x):
    y = torch.sigmoid(x)
    _remember_logits(y, x)
    return y


def warn_if_single_class(x, axis):
    """Keras 3 warns when a softmax runs over an axis of size 1 (always 1.0: a
    `Dense(1, activation="softmax")` that should be a sigmoid)."""
    if isinstance(axis, int) and -x.ndim <= axis < x.ndim and x.shape[axis] == 1:
        warnings.warn(f"You are using a softmax over axis {axis} of a tensor of shape {tuple(x.shape)}. This axis "
                      "has size 1. The softmax operation will always return the value 1, which is likely not what "
                      "you intended. Did you mean to use a sigmoid instead?", stacklevel=3)


def softmax(x, axis=-1):
    if isinstance(axis, int) and x.shape[axis] == 1:
        warn_if_single_class(x, axis)
    y = torch.softmax(x, dim=axis)
    if axis == -1 or axis == x.ndim - 1:
        _remember_logits(y, x)
    return y


def log_softmax(x, axis=-1):
    return torch.log_softmax(x, dim=axis)


def exponential(x):
    return torch.exp(x)


def hard_sigmoid(x):
    # Keras 3: relu6(x + 3) / 6. (Keras 2 used clip(0.2x + 0.5); see hard_sigmoid_legacy.)
    return F.hardsigmoid(x)


def hard_sigmoid_legacy(x):
    return torch.clamp(0.2 * x + 0.5, 0.0, 1.0)


# Configs written by Keras 1 / 2 name Keras 2's hard_sigmoid "hard_sigmoid" (slope 0.2: the
# default recurrent activation of Keras 2.0-2.2's LSTM / GRU and of tf.keras 2's ConvLSTM);
# while such a config is rebuilt (`keras2_names()`), the name resolves to that function.
_KERAS2_NAMES = [False]


@contextlib.contextmanager
def keras2_names():
    saved, _KERAS2_NAMES[0] = _KERAS2_NAMES[0], True
    try:
        yield
    finally:
        _KERAS2_NAMES[0] = saved


def hard_silu(x):
    return F.hardswish(x)


hard_swish = hard_silu


def hard_tanh(x):
    return F.hardtanh(x)


def mish(x):
    return F.mish(x)


def log_sigmoid(x):
    return F.logsigmoid(x)


def tanh_shrink(x):
    return F.tanhshrink(x)


def soft_shrink(x, threshold=0.5):
    return F.softshrink(x, threshold)


def hard_shrink(x, threshold=0.5):
    return F.hardshrink(x, threshold)


def squareplus(x, b=4):
    return (x + torch.sqrt(x * x + b)) / 2


def sparse_plus(x):
    return torch.where(x <= -1, torch.zeros_like(x), torch.where(x >= 1, x, (x + 1) ** 2 / 4))


def glu(x, axis=-1):
    return F.glu(x, dim=axis)


def threshold(x, threshold, default_value):
    """x where x > threshold, else `default_value`."""
    return F.threshold(x, threshold, default_value)


def sparse_sigmoid(x):
    """Piecewise-linear sigmoid: 0 up to -1, 1 from 1 on, (x + 1) / 2 between (the kinks
    themselves get the flat pieces' zero gradient, as in Keras)."""
    return torch.where(x <= -1, torch.zeros_like(x), torch.where(x >= 1, torch.ones_like(x), 0.5 * (x + 1)))


def sparsemax(x, axis=-1):
    """Euclidean projection of `x` onto the probability simplex along `axis` (Martins &
    Astudillo 2016): max(x - tau, 0) with tau chosen so that the outputs sum to 1.

    Note: Keras 3.15's torch backend computes tau from the sum of the partial sums over the
    support, which only agrees with this when a single entry is in the support; the other Keras
    backends compute the projection, as here."""
    x = torch.as_tensor(x)
    ordered = torch.sort(x, dim=axis, descending=True).values
    partial = torch.cumsum(ordered, dim=axis)
    shape = [1] * x.ndim
    shape[axis] = -1
    rank = torch.arange(1, x.shape[axis] + 1, device=x.device, dtype=x.dtype).view(shape)
    in_support = ordered - (partial - 1) / rank > 0
    k = torch.sum(in_support, dim=axis, keepdim=True)
    partial_at_k = torch.gather(partial, axis if axis >= 0 else x.ndim + axis, (k - 1).clamp(min=0))
    tau = (partial_at_k - 1) / k.to(x.dtype)
    return torch.clamp(x - tau, min=0.0)


def _remember_logits(y, x):
    # Only losses read them, and no loss is computed from an inference-mode output (predict):
    # there the attribute would only cost time per batch.
    if torch.is_inference_mode_enabled():
        return
    if not torch.jit.is_scripting() and not torch.compiler.is_compiling():
        y._keras_logits = x


def _symbolic_aware(fn):
    """`fn` that also takes a KerasTensor, as Keras 3's activations do (`activations.relu(x)` in
    a functional model): the call becomes a graph node -- the keraslite.ops function of the same
    name where it takes these arguments (so the model saves), else `fn` itself."""
    ops_name = {"exponential": "exp"}.get(fn.__name__, fn.__name__)

    @functools.wraps(fn)
    def activation(x, *args, **kwargs):
        if not isinstance(x, KerasTensor):
            if not isinstance(x, torch.Tensor):  # a numpy array or list, as Keras takes them
                from keraslite import ops

                x = ops.convert_to_tensor(x)
            return fn(x, *args, **kwargs)
        from keraslite import ops
        from keraslite.models.functional import symbolic_call, symbolic_named_op

        op = getattr(ops, ops_name, None)
        try:
            inspect.signature(op).bind(x, *args, **kwargs)
        except (TypeError, ValueError):
            return symbolic_call(fn, (x,) + args, kwargs)
        return symbolic_named_op(ops_name, (x,) + args, kwargs)

    activation._raw = fn
    return activation


for _name, _fn in list(globals().items()):
    if inspect.isfunction(_fn) and _fn.__module__ == __name__ and not _name.startswith("_") and _name not in (
            "linear", "warn_if_single_class", "get", "serialize", "deserialize", "keras2_names"):
        globals()[_name] = _symbolic_aware(_fn)
swish, hard_swish = silu, hard_silu

_ALL = {
    f.__name__: f
    for f in (linear, relu, leaky_relu, relu6, elu, selu, celu, softplus, softsign, silu, gelu, tanh, sigmoid,
              softmax, log_softmax, exponential, hard_sigmoid, hard_silu, hard_tanh, mish, log_sigmoid,
              tanh_shrink, soft_shrink, hard_shrink, squareplus, sparse_plus, glu, threshold, sparse_sigmoid, sparsemax)
}
_ALL.update(swish=silu, hard_swish=hard_silu)
_NAMES = {f: n for n, f in _ALL.items() if n not in ("swish", "hard_swish")}


def apply_to_own(activation, x):
    """`activation(x)` for an `x` that the calling layer has just computed and nothing else
    holds (a convolution's or matmul's fresh output, not a view): a plain relu then runs in
    place, sparing the allocation and the cache misses of a second tensor of that size. The
    ops that made `x` keep their inputs for backward, not `x`, and relu's backward reads its
    result, so the gradients are unchanged (autograd raises if a saved tensor were modified)."""
    if activation is relu and x._base is None and x.is_floating_point():
        return torch.relu_(x)
    return activation(x)


def get(identifier):
    """Resolve None, a name ('relu'), a config dict or a callable to an activation function."""
    if identifier is None:
        return linear
    if isinstance(identifier, dict) and isinstance(identifier.get("config"), str):
        # Keras 3's form of a plain function: {"class_name": "function", "config": "pkg>name"}
        identifier = identifier["config"]
    elif isinstance(identifier, dict):
        identifier = identifier.get("config", {}).get("name", identifier.get("class_name"))
        if isinstance(identifier, dict):
            identifier = identifier.get("name")
    if isinstance(identifier, str):
        if _KERAS2_NAMES[0] and identifier == "hard_sigmoid":
            return hard_sigmoid_legacy
        fn = _ALL.get(identifier) or _ALL.get(identifier.lower())
        if fn is None:
            from keraslite.saving.registry import get_registered_object

            fn = get_registered_object(identifier)
        if fn is None:
            raise ValueError(f"Unknown activation {identifier!r}. Valid names are: {', '.join(sorted(_ALL))}. "
                             "Pass one of these or a callable.")
        return fn
    if callable(identifier):
        return identifier
    raise ValueError(f"Could not interpret activation {identifier!r}: expected a name, a dict or a callable.")


def serialize(fn):
    """A built-in activation serializes to its name; a custom one to Keras's function dict."""
    if fn is None:
        return "linear"
    if fn is hard_sigmoid_legacy:
        warnings.warn("Keras 2's hard_sigmoid (clip(0.2 x + 0.5), from a Keras 1/2 file) is written as "
                      "'hard_sigmoid', which Keras 3 reads as its own relu6(x + 3) / 6: a model saved now and "
                      "loaded again computes slightly different outputs.", stacklevel=2)
        return "hard_sigmoid"
    # (tf.nn.softmax and the other tf functions equal to a built-in one carry its name)
    name = _NAMES.get(fn) or getattr(fn, "_keras_activation", None)
    if name is not None:
        return name
    from keraslite.saving.serialization import serialize_keras_object

    # A custom function is written as Keras writes one: {"module": "builtins", "class_name":
    # "function", "config": its (registered) name, "registered_name": "function"}.
    return serialize_keras_object(fn)


def deserialize(config, custom_objects=None):
    return get(config)
