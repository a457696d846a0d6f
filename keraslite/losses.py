"""Losses (keras.losses): per-sample loss functions, `Loss` classes that reduce them with
Keras 3's 'sum_over_batch_size' semantics, and `get(identifier)`.

Owns: the formulas (Keras 3 torch backend numbers, including the 1e-7 clipping and
renormalization of probabilities in crossentropies), label-shape handling (sparse labels
(n,) or (n, 1); ranks differing by a trailing 1 are squeezed/expanded as Keras does), how
`sample_weight` and masks (`y_pred._keras_mask`) enter the mean, and config.

Leaves to keraslite.training choosing 'crossentropy'/'ce' by shapes and summing several
outputs' losses; keraslite.metrics wraps these per-sample functions as metrics.

About `_keras_logits`: keraslite.activations.softmax records its input on the output. Keras 3's
torch backend computes categorical crossentropies from the renormalized probabilities clipped to
[1e-7, 1 - 1e-7]. When the logits are at hand we compute the same quantity from them:
log(clip(p, lo, hi)) == clamp(log_softmax(z), log lo, log hi) exactly (log is monotonic and a
softmax needs no renormalization), with the same zero gradient where Keras clips, in fewer
kernels and without the rounding of log(p) for tiny p. Sigmoid outputs keep Keras's
probability formula: log(1 - p) from a rounded p is part of Keras's numbers there.
"""
import functools
import math
import warnings

import numpy as np
import torch
import torch.nn.functional as F

from keraslite import backend
from keraslite.layers.keras_tensor import KerasTensor

EPSILON = 1e-7

__all__ = [
    "Loss", "LossFunctionWrapper", "Reduction", "MeanSquaredError", "MeanAbsoluteError", "MeanAbsolutePercentageError",
    "MeanSquaredLogarithmicError", "CosineSimilarity", "Huber", "LogCosh", "Hinge", "SquaredHinge",
    "CategoricalHinge", "KLDivergence", "Poisson", "BinaryCrossentropy", "BinaryFocalCrossentropy",
    "CategoricalCrossentropy", "CategoricalFocalCrossentropy", "SparseCategoricalCrossentropy",
    "mean_squared_error", "mean_absolute_error", "mean_absolute_percentage_error", "mean_squared_logarithmic_error",
    "cosine_similarity", "huber", "log_cosh", "hinge", "squared_hinge", "categorical_hinge", "kl_divergence",
    "poisson", "binary_crossentropy", "binary_focal_crossentropy", "categorical_crossentropy",
    "categorical_focal_crossentropy", "sparse_categorical_crossentropy", "mse", "mae", "mape", "msle", "MSE", "MAE",
    "MAPE", "MSLE", "kld", "KLD", "kullback_leibler_divergence", "logcosh", "bce", "BCE", "get", "serialize",
    "deserialize", "Dice", "Tversky", "Circle", "CategoricalGeneralizedCrossEntropy", "CTC", "dice", "tversky",
    "circle", "categorical_generalized_cross_entropy", "ctc",
]


# ----------------------------------------------------------------------------- helpers

def _graph_aware(fn):
    """Called on symbolic tensors (Keras 2's `vae.add_loss(K.mean(binary_crossentropy(inputs,
    outputs)))`), a loss function becomes a node of the functional graph, as keras.ops
    functions do; on tensors and arrays it is `fn` itself."""

    @functools.wraps(fn)
    def wrapper(y_true, y_pred, *args, **kwargs):
        if isinstance(y_pred, KerasTensor) or isinstance(y_true, KerasTensor):
            from keraslite.models.functional import symbolic_call

            return symbolic_call(fn, (y_true, y_pred) + args, kwargs)
        return fn(y_true, y_pred, *args, **kwargs)

    return wrapper


def _tensor(x, dtype=None, device=None):
    if isinstance(x, torch.Tensor):
        if (dtype is not None and x.dtype != dtype) or (device is not None and x.device != device):
            x = x.to(device=device or x.device, dtype=dtype or x.dtype)
        return x
    x = np.asarray(x)
    if dtype is None and x.dtype == np.float64:
        dtype = torch.float32
    # A reversed view (a[::-1]) or a read-only array (pandas' .values) is copied first.
    return torch.as_tensor(backend.torch_ready(x), dtype=dtype, device=device)


def _pred_and_true(y_true, y_pred, true_dtype="same"):
    """y_pred as a float tensor; y_true on its device, cast to its dtype (or `true_dtype`)."""
    y_pred = _tensor(y_pred)
    if not y_pred.is_floating_point():
        y_pred = y_pred.to(torch.float32)
    y_true = _tensor(y_true, y_pred.dtype if true_dtype == "same" else true_dtype, y_pred.device)
    return y_true, y_pred


def squeeze_or_expand_to_same_rank(x1, x2, expand_rank_1=True):
    """Keras's rule: when ranks differ by one and the longer one ends in 1, squeeze that 1
    (or expand a rank-1 partner)."""
    r1, r2 = x1.ndim, x2.ndim
    if r1 == r2 + 1 and x1.shape[-1] == 1:
        if r2 == 1 and expand_rank_1:
            x2 = x2.unsqueeze(-1)
        else:
            x1 = x1.squeeze(-1)
    elif r2 == r1 + 1 and x2.shape[-1] == 1:
        if r1 == 1 and expand_rank_1:
            x1 = x1.unsqueeze(-1)
        else:
            x2 = x2.squeeze(-1)
    return x1, x2


_BROADCAST_WARNED = set()


def _check_broadcast(fn_name, y_true, y_pred):
    """Labels and predictions of different ranks are never broadcast silently: Keras computes
    the broadcast result (so keraslite does too, for the same numbers), with a warning once per
    pair of shapes; shapes that do not broadcast are an error."""
    if tuple(y_true.shape) == tuple(y_pred.shape):
        return
    try:
        torch.broadcast_shapes(y_true.shape, y_pred.shape)
    except RuntimeError:
        raise ValueError(f"{fn_name}: y_true has shape {tuple(y_true.shape)} but y_pred has shape "
                         f"{tuple(y_pred.shape)}; they must match (a trailing dimension of 1 may differ). "
                         + _label_hint(y_true, y_pred)) from None
    key = (fn_name, tuple(y_true.shape[1:]), tuple(y_pred.shape[1:]), y_true.ndim)
    if y_true.ndim != y_pred.ndim and key not in _BROADCAST_WARNED:
        _BROADCAST_WARNED.add(key)
        from keraslite.utils.io_utils import warn_user

        warn_user(f"{fn_name}: y_true of shape {tuple(y_true.shape)} is broadcast against y_pred of shape "
                  f"{tuple(y_pred.shape)} (its last axis lines up with y_pred's last axis), as Keras does. "
                  + ("" if y_true.is_floating_point() else _label_hint(y_true, y_pred)))


def _label_hint(y_true, y_pred):
    classes = y_pred.shape[-1] if y_pred.ndim >= 1 else 1
    if classes > 1 and y_true.ndim >= 1 and y_true.shape[-1] == classes and y_true.ndim < y_pred.ndim:
        # One-hot labels against an output with extra axes: (batch, 1, 1, classes) after a pooling
        # layer without Flatten.
        return (f"The labels look one-hot for {classes} classes but the output has extra axes "
                f"{tuple(y_pred.shape[1:-1])}: add a Flatten (or GlobalAveragePooling) layer before the output "
                "layer so that it gives (batch, classes).")
    if classes > 1 and (y_true.ndim < y_pred.ndim or y_true.shape[-1] == 1) and _whole_numbers(y_true):
        return ("These look like integer class labels: use 'sparse_categorical_crossentropy' (or one-hot encode "
                "them with keras.utils.to_categorical).")
    return "Reshape the labels to the model's output shape."


def _whole_numbers(t):
    """True for integer labels, or float ones that hold whole numbers only (checked on an error path)."""
    if not t.is_floating_point():
        return t.dtype != torch.bool
    with torch.no_grad():
        return bool(torch.all(t == torch.round(t)))


def _same_shape(fn_name, y_true, y_pred):
    if tuple(y_true.shape) != tuple(y_pred.shape):
        raise ValueError(f"{fn_name}: y_true and y_pred must have the same shape, but y_true has shape "
                         f"{tuple(y_true.shape)} and y_pred has shape {tuple(y_pred.shape)}. " + _label_hint(
                             y_true, y_pred))


def _l2_normalize(x, axis):
    # Keras ops.normalize: x * min(rsqrt(sum(x^2)), 1/eps)
    inv = torch.rsqrt(torch.sum(x * x, dim=axis, keepdim=True))
    return x * torch.clamp(inv, max=1.0 / EPSILON)


# ----------------------------------------------------------------------------- per-sample functions

def _regression_pair(fn_name, y_true, y_pred):
    y_true, y_pred = _pred_and_true(y_true, y_pred)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    _check_broadcast(fn_name, y_true, y_pred)
    return y_true, y_pred


@_graph_aware
def mean_squared_error(y_true, y_pred):
    y_true, y_pred = _regression_pair("mean_squared_error", y_true, y_pred)
    return torch.mean(torch.square(y_true - y_pred), dim=-1)


@_graph_aware
def mean_absolute_error(y_true, y_pred):
    y_true, y_pred = _regression_pair("mean_absolute_error", y_true, y_pred)
    return torch.mean(torch.abs(y_true - y_pred), dim=-1)


@_graph_aware
def mean_absolute_percentage_error(y_true, y_pred):
    y_true, y_pred = _pred_and_true(y_true, y_pred)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    _check_broadcast("mean_absolute_percentage_error", y_true, y_pred)
    diff = torch.abs((y_true - y_pred) / torch.clamp(torch.abs(y_true), min=EPSILON))
    return 100.0 * torch.mean(diff, dim=-1)


@_graph_aware
def mean_squared_logarithmic_error(y_true, y_pred):
    y_true, y_pred = _pred_and_true(y_true, y_pred)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    _check_broadcast("mean_squared_logarithmic_error", y_true, y_pred)
    first = torch.log(torch.clamp(y_pred, min=EPSILON) + 1.0)
    second = torch.log(torch.clamp(y_true, min=EPSILON) + 1.0)
    return torch.mean(torch.square(first - second), dim=-1)


@_graph_aware
def cosine_similarity(y_true, y_pred, axis=-1):
    """The loss form: minus the cosine similarity (so that minimizing aligns the vectors)."""
    y_true, y_pred = _pred_and_true(y_true, y_pred)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    _check_broadcast("cosine_similarity", y_true, y_pred)
    return -torch.sum(_l2_normalize(y_true, axis) * _l2_normalize(y_pred, axis), dim=axis)


@_graph_aware
def huber(y_true, y_pred, delta=1.0):
    y_true, y_pred = _pred_and_true(y_true, y_pred)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    _check_broadcast("huber", y_true, y_pred)
    error = y_pred - y_true
    abs_error = torch.abs(error)
    quadratic = 0.5 * torch.square(error)
    linear = delta * abs_error - 0.5 * delta ** 2
    return torch.mean(torch.where(abs_error <= delta, quadratic, linear), dim=-1)


@_graph_aware
def log_cosh(y_true, y_pred):
    y_true, y_pred = _pred_and_true(y_true, y_pred)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    _check_broadcast("log_cosh", y_true, y_pred)
    x = y_pred - y_true
    # log(cosh(x)) = x + softplus(-2x) - log(2), stable for large |x|.
    return torch.mean(x + F.softplus(-2.0 * x) - float(np.log(np.float32(2.0))), dim=-1)


def _hinge_labels(y_true):
    # Keras: labels in {0, 1} become {-1, 1}; anything else is used as given.
    is_binary = torch.all((y_true == 0) | (y_true == 1))
    return torch.where(is_binary, 2.0 * y_true - 1.0, y_true)


@_graph_aware
def hinge(y_true, y_pred):
    y_true, y_pred = _pred_and_true(y_true, y_pred)
    _check_broadcast("hinge", y_true, y_pred)
    return torch.mean(torch.clamp(1.0 - _hinge_labels(y_true) * y_pred, min=0.0), dim=-1)


@_graph_aware
def squared_hinge(y_true, y_pred):
    y_true, y_pred = _pred_and_true(y_true, y_pred)
    _check_broadcast("squared_hinge", y_true, y_pred)
    return torch.mean(torch.square(torch.clamp(1.0 - _hinge_labels(y_true) * y_pred, min=0.0)), dim=-1)


@_graph_aware
def categorical_hinge(y_true, y_pred):
    y_true, y_pred = _pred_and_true(y_true, y_pred)
    _check_broadcast("categorical_hinge", y_true, y_pred)
    pos = torch.sum(y_true * y_pred, dim=-1)
    neg = torch.amax((1.0 - y_true) * y_pred, dim=-1)
    return torch.clamp(neg - pos + 1.0, min=0.0)


@_graph_aware
def kl_divergence(y_true, y_pred):
    y_true, y_pred = _pred_and_true(y_true, y_pred)
    _check_broadcast("kl_divergence", y_true, y_pred)
    y_true = torch.clamp(y_true, EPSILON, 1)
    y_pred = torch.clamp(y_pred, EPSILON, 1)
    return torch.sum(y_true * torch.log(y_true / y_pred), dim=-1)


@_graph_aware
def poisson(y_true, y_pred):
    y_true, y_pred = _pred_and_true(y_true, y_pred)
    _check_broadcast("poisson", y_true, y_pred)
    return torch.mean(y_pred - y_true * torch.log(y_pred + EPSILON), dim=-1)


# Bounds of Keras's clip as float32 rounds them, in log space.
_LOG_LO = float(np.log(np.float64(np.float32(EPSILON))))
_LOG_HI = float(np.log(np.float64(np.float32(1.0 - EPSILON))))


def _clipped_log_probs(output, axis):
    """log(clip(renormalized p, 1e-7, 1 - 1e-7)) along `axis`, from softmax logits when known."""
    logits = getattr(output, "_keras_logits", None)
    if logits is not None and logits.shape == output.shape and axis % output.ndim == output.ndim - 1:
        # hardtanh is clamp with a one-kernel backward (clamp's takes three); they differ only
        # for a log-probability exactly on a bound, where float32 values lie 1e-14 apart.
        return F.hardtanh(F.log_softmax(logits, dim=-1), _LOG_LO, _LOG_HI)
    output = output / torch.sum(output, dim=axis, keepdim=True)
    return torch.log(torch.clamp(output, EPSILON, 1.0 - EPSILON))


def _categorical_log_probs(output, from_logits, axis):
    # keras/src/backend/torch/nn.py: renormalize, clip to [eps, 1-eps], then the log.
    return F.log_softmax(output, dim=axis) if from_logits else _clipped_log_probs(output, axis)


def _categorical_ce(target, output, from_logits, axis):
    return -torch.sum(target * _categorical_log_probs(output, from_logits, axis), dim=axis)


@_graph_aware
def categorical_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    y_true, y_pred = _categorical_pair(y_true, y_pred, label_smoothing, axis)
    return _categorical_ce(y_true, y_pred, from_logits, axis)


def _categorical_pair(y_true, y_pred, label_smoothing, axis):
    if isinstance(axis, bool):
        raise ValueError(f"`axis` must be of type `int`. Received: axis={axis} of type {type(axis)}")
    y_true, y_pred = _pred_and_true(y_true, y_pred)
    if y_pred.shape[-1] == 1:
        warnings.warn("In loss categorical_crossentropy, expected y_pred.shape to be (batch_size, num_classes) with "
                      f"num_classes > 1. Received: y_pred.shape={tuple(y_pred.shape)}. Consider using "
                      "'binary_crossentropy' if you only have 2 classes.", SyntaxWarning, stacklevel=2)
    _same_shape("categorical_crossentropy", y_true, y_pred)
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + label_smoothing / y_true.shape[-1]
    return y_true, y_pred


@_graph_aware
def sparse_categorical_crossentropy(y_true, y_pred, from_logits=False, ignore_class=None, axis=-1):
    return _sparse_ce(y_true, y_pred, from_logits, ignore_class, axis, "none")


def _sparse_ce(y_true, y_pred, from_logits, ignore_class, axis, reduction):
    """Per-sample values (reduction 'none') or their mean ('mean', without ignore_class)."""
    y_pred = _tensor(y_pred)
    if not y_pred.is_floating_point():
        y_pred = y_pred.to(torch.float32)
    y_true = _tensor(y_true, device=y_pred.device)
    if y_true.ndim == y_pred.ndim and y_true.shape[axis] == 1:
        y_true = y_true.squeeze(axis)
    expected = list(y_pred.shape)
    del expected[axis]
    if list(y_true.shape) != expected and y_true.numel() == math.prod(expected) and y_true.ndim != y_pred.ndim:
        # One class index per position, in another arrangement (labels (4,) against outputs
        # (4, 1, 5)): tf.keras 2 flattened both; so are they taken here.
        y_true = y_true.reshape(expected)
    if list(y_true.shape) != expected:
        raise ValueError("sparse_categorical_crossentropy: y_true must hold one integer class index per sample, "
                         f"shape {tuple(expected)} (or {tuple(expected) + (1,)}), but it has shape "
                         f"{tuple(y_true.shape)} while y_pred has shape {tuple(y_pred.shape)}. If the labels are "
                         "one-hot encoded, use 'categorical_crossentropy'.")
    valid = None
    if ignore_class is not None:
        valid = y_true != ignore_class
        y_true = torch.where(valid, y_true, torch.zeros_like(y_true))
        y_pred = torch.where(valid.unsqueeze(axis), y_pred, torch.zeros_like(y_pred))
    target = y_true.long()
    output = y_pred
    if not from_logits and output.ndim >= 2:
        output = _clipped_log_probs(output, axis)  # log-probabilities from here on
        from_logits = None
    if output.ndim == 1:
        output, target = output.unsqueeze(0), target.unsqueeze(0)
    elif axis % output.ndim != 1:
        # torch wants classes on dim 1. The moved view is channels_last-strided, and CPU
        # nll_loss2d's backward rejects a gradient of that layout ("grad_input must be
        # contiguous"), so per-pixel losses (segmentation) take a contiguous copy.
        output = output.movedim(axis % output.ndim, 1)
        if output.ndim > 3 and not output.is_contiguous():
            output = output.contiguous()
    if from_logits is None:
        result = F.nll_loss(output, target, reduction=reduction)
    elif from_logits:
        result = F.cross_entropy(output, target, reduction=reduction)
    else:
        output = output / torch.sum(output, dim=1, keepdim=True)
        result = F.nll_loss(torch.log(torch.clamp(output, EPSILON, 1.0 - EPSILON)), target, reduction=reduction)
    if reduction == "mean":
        return result
    if y_pred.ndim == 1:
        result = result.squeeze(0)
    if valid is not None:
        result = torch.where(valid, result, torch.zeros_like(result))
        result._keras_mask = valid
    return result


def _binary_ce(target, output, from_logits, reduction="none"):
    if from_logits:
        return F.binary_cross_entropy_with_logits(output, target, reduction=reduction)
    output = torch.clamp(output, EPSILON, 1.0 - EPSILON)
    try:
        return F.binary_cross_entropy(output, target, reduction=reduction)
    except RuntimeError as e:
        if "between 0 and 1" not in str(e):
            raise
    # Targets outside [0, 1]: noisy GAN labels (`labels += 0.05 * random`), which torch's
    # kernel refuses. The cross-entropy formula itself is defined there, and TensorFlow's
    # Keras computed it; so does this.
    result = -(target * torch.log(output) + (1.0 - target) * torch.log1p(-output))
    return result if reduction == "none" else result.mean() if reduction == "mean" else result.sum()


@_graph_aware
def binary_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    y_true, y_pred = _binary_pair(y_true, y_pred, label_smoothing)
    return torch.mean(_binary_ce(y_true, y_pred, from_logits), dim=axis)


def _binary_pair(y_true, y_pred, label_smoothing):
    y_true, y_pred = _pred_and_true(y_true, y_pred)
    _same_shape("binary_crossentropy", y_true, y_pred)
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing
    return y_true, y_pred


@_graph_aware
def binary_focal_crossentropy(y_true, y_pred, apply_class_balancing=False, alpha=0.25, gamma=2.0, from_logits=False,
                              label_smoothing=0.0, axis=-1):
    y_true, y_pred = _pred_and_true(y_true, y_pred)
    _same_shape("binary_focal_crossentropy", y_true, y_pred)
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing
    if from_logits:
        y_pred = torch.sigmoid(y_pred)
    bce = _binary_ce(y_true, y_pred, False)
    p_t = y_true * y_pred + (1 - y_true) * (1 - y_pred)
    focal = torch.pow(1.0 - p_t, gamma) * bce
    if apply_class_balancing:
        focal = (y_true * alpha + (1 - y_true) * (1 - alpha)) * focal
    return torch.mean(focal, dim=axis)


@_graph_aware
def categorical_focal_crossentropy(y_true, y_pred, alpha=0.25, gamma=2.0, from_logits=False, label_smoothing=0.0,
                                   axis=-1):
    y_true, y_pred = _pred_and_true(y_true, y_pred)
    _same_shape("categorical_focal_crossentropy", y_true, y_pred)
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + label_smoothing / y_true.shape[-1]
    if from_logits:
        y_pred = torch.softmax(y_pred, dim=axis)
    output = y_pred / torch.sum(y_pred, dim=axis, keepdim=True)
    output = torch.clamp(output, EPSILON, 1.0 - EPSILON)
    cce = -y_true * torch.log(output)
    return torch.sum(torch.pow(1.0 - output, gamma) * alpha * cce, dim=axis)


# ----------------------------------------------------------------------------- segmentation, metric learning, CTC

def _overlap(y_true, y_pred, axis):
    y_pred = _tensor(y_pred)
    y_true = _tensor(y_true, y_pred.dtype, y_pred.device)
    dims = () if axis is None else axis

    def total(x):
        return torch.sum(x) if axis is None else torch.sum(x, dim=dims)

    return y_true, y_pred, total


@_graph_aware
def dice(y_true, y_pred, axis=None):
    """1 - Dice coefficient, 2|A.B| / (|A| + |B|), summed over `axis` (everything when None)."""
    y_true, y_pred, total = _overlap(y_true, y_pred, axis)
    score = 2.0 * total(y_true * y_pred) / (total(y_true) + total(y_pred) + backend.epsilon())
    return 1 - score


@_graph_aware
def tversky(y_true, y_pred, alpha=0.5, beta=0.5, axis=None):
    """1 - Tversky index: TP / (TP + alpha FP' + beta FN'), where Keras's FP' term is the
    predicted-negative mass on true positions and FN' the predicted-positive mass on negatives."""
    y_true, y_pred, total = _overlap(y_true, y_pred, axis)
    tp = total(y_true * y_pred)
    missed = total((1 - y_pred) * y_true)
    spurious = total(y_pred * (1 - y_true))
    return 1 - tp / (tp + missed * alpha + spurious * beta + backend.epsilon())


@_graph_aware
def circle(y_true, y_pred, ref_labels=None, ref_embeddings=None, remove_diagonal=True, gamma=80, margin=0.4):
    """Circle loss (Sun et al. 2020) per query embedding over cosine distances to the reference
    embeddings (the batch itself by default). Embeddings are expected to be L2-normalised.
    Queries with a zero loss are masked out of the mean."""
    y_pred = _tensor(y_pred)
    labels = _tensor(y_true, device=y_pred.device).to(torch.int32)
    refs = y_pred if ref_embeddings is None else _tensor(ref_embeddings, y_pred.dtype, y_pred.device)
    ref_labels = labels if ref_labels is None else _tensor(ref_labels, device=y_pred.device).to(torch.int32)
    if y_pred.ndim != 2:
        raise ValueError(f"circle: `y_pred` must be embeddings of shape (batch_size, dim). Received: "
                         f"y_pred.shape={tuple(y_pred.shape)}")
    distance = torch.clamp(1 - y_pred @ refs.T, min=0.0)
    positive = labels.reshape(-1, 1) == ref_labels.reshape(-1, 1).T
    negative = ~positive
    if remove_diagonal:
        positive = positive & ~torch.eye(positive.shape[0], positive.shape[1], dtype=torch.bool,
                                         device=positive.device)
    pos_weight = torch.clamp((margin + distance) * positive.to(distance.dtype), min=0.0)
    neg_weight = torch.clamp((1 + margin - distance) * negative.to(distance.dtype), min=0.0)
    pos_terms = -gamma * pos_weight * (margin - distance)
    neg_terms = gamma * neg_weight * ((1 - margin) - distance)
    minus_inf = torch.full_like(distance, float("-inf"))
    pos_loss = torch.logsumexp(torch.where(positive, pos_terms, minus_inf), dim=1)
    neg_loss = torch.logsumexp(torch.where(negative, neg_terms, minus_inf), dim=1)
    result = F.softplus(pos_loss + neg_loss)
    result._keras_mask = result > 0
    return result


@_graph_aware
def categorical_generalized_cross_entropy(y_true, y_pred, q):
    """Generalized cross entropy (Zhang & Sabuncu 2018) for integer labels: (1 - p_y^q) / q."""
    y_pred = _tensor(y_pred)
    labels = _tensor(y_true, device=y_pred.device).to(torch.int64)
    p = torch.sum(y_pred * F.one_hot(labels, y_pred.shape[-1]).to(y_pred.dtype), dim=-1)
    return (1 - torch.pow(p, q)) / q


@_graph_aware
def ctc(y_true, y_pred):
    """Connectionist temporal classification loss per sample. `y_true`: (batch, max_label_length)
    integer labels padded with 0, which is also the blank class; `y_pred`: (batch, time,
    classes) unnormalised scores, all time steps used."""
    y_pred = _tensor(y_pred)
    y_true = _tensor(y_true, device=y_pred.device)
    if y_true.ndim != 2:
        raise ValueError("ctc: targets `y_true` must have shape (batch_size, max_length) in integer format. "
                         f"Received: y_true.shape={tuple(y_true.shape)}")
    if y_pred.ndim != 3:
        raise ValueError("ctc: logits `y_pred` must have shape (batch_size, max_length, num_classes). "
                         f"Received: y_pred.shape={tuple(y_pred.shape)}")
    if y_pred.dtype in (torch.float16, torch.bfloat16):
        y_pred = y_pred.float()
    batch, steps = y_pred.shape[0], y_pred.shape[1]
    targets = y_true.to(torch.int64)
    label_length = torch.sum(targets != 0, dim=-1)
    input_length = torch.full((batch,), steps, dtype=torch.int64, device=y_pred.device)
    log_probs = F.log_softmax(y_pred.transpose(0, 1), dim=-1)
    return F.ctc_loss(log_probs, targets, input_length, label_length, blank=0, reduction="none")



# ----------------------------------------------------------------------------- one-pass batch means

# Under 'sum_over_batch_size' with neither sample weights nor a mask, Keras's loss is the sum of
# the per-sample values over their count. For a loss that gives one value per sample, or a mean
# over the last axis, that is the mean over every element, which torch computes in one fused
# reduction: two to four fewer autograd nodes per training step, and on a CPU at batch 32 each
# node costs about what a small kernel does. The numbers are the same up to the float32 rounding
# of the sum. Each function takes the targets and outputs as Loss.__call__ passes them, applies
# the same checks as its per-sample function, and returns None where its shortcut does not apply.

def _mse_batch_mean(y_true, y_pred):
    y_true, y_pred = _regression_pair("mean_squared_error", y_true, y_pred)
    return F.mse_loss(y_pred, y_true) if y_true.shape == y_pred.shape and y_pred.ndim else None


def _mae_batch_mean(y_true, y_pred):
    y_true, y_pred = _regression_pair("mean_absolute_error", y_true, y_pred)
    return F.l1_loss(y_pred, y_true) if y_true.shape == y_pred.shape and y_pred.ndim else None


def _binary_ce_batch_mean(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)  # as the wrapper's call does
    y_true, y_pred = _binary_pair(y_true, y_pred, label_smoothing)
    return _binary_ce(y_true, y_pred, from_logits, "mean") if y_pred.ndim else None


def _categorical_ce_batch_mean(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    y_true, y_pred = _categorical_pair(y_true, y_pred, label_smoothing, axis)
    if not y_pred.ndim:
        return None
    log_prob = _categorical_log_probs(y_pred, from_logits, axis)
    return torch.sum(y_true * log_prob) / -(y_pred.numel() // y_pred.shape[axis])


def _sparse_ce_batch_mean(y_true, y_pred, from_logits=False, ignore_class=None, axis=-1):
    if ignore_class is not None:
        return None  # a masked mean: the general path
    return _sparse_ce(y_true, y_pred, from_logits, None, axis, "mean")


_BATCH_MEANS = {
    mean_squared_error: _mse_batch_mean, mean_absolute_error: _mae_batch_mean,
    binary_crossentropy: _binary_ce_batch_mean, categorical_crossentropy: _categorical_ce_batch_mean,
    sparse_categorical_crossentropy: _sparse_ce_batch_mean,
}


# Keras 2 / Keras 1 aliases.
mse = MSE = mean_squared_error
mae = MAE = mean_absolute_error
mape = MAPE = mean_absolute_percentage_error
msle = MSLE = mean_squared_logarithmic_error
kld = KLD = kullback_leibler_divergence = kl_divergence
logcosh = log_cosh
bce = BCE = binary_crossentropy


# ----------------------------------------------------------------------------- reduction

REDUCTIONS = ("sum_over_batch_size", "sum", None, "none", "mean", "mean_with_sample_weight")


class Reduction:
    """tf.keras 2's `tf.keras.losses.Reduction` constants (Keras 3 takes the strings):
    `reduction=tf.keras.losses.Reduction.NONE` is `reduction="none"`."""
    AUTO = "auto"
    NONE = "none"
    SUM = "sum"
    SUM_OVER_BATCH_SIZE = "sum_over_batch_size"

    @classmethod
    def all(cls):
        return (cls.AUTO, cls.NONE, cls.SUM, cls.SUM_OVER_BATCH_SIZE)

    @classmethod
    def validate(cls, key):
        if key not in cls.all():
            raise ValueError(f'Invalid Reduction Key: {key}. Expected keys are "{cls.all()}"')


def standardize_reduction(reduction):
    if reduction == "auto":  # tf.keras configs; it meant 'sum_over_batch_size' outside tf.distribute
        return "sum_over_batch_size"
    if reduction not in REDUCTIONS:
        raise ValueError(f"Invalid value for argument `reduction`. Expected one of {REDUCTIONS}. Received: "
                         f"reduction={reduction!r}")
    return reduction


def apply_mask(sample_weight, mask, dtype, reduction):
    """Fold a mask into the sample weights. For the mean reductions Keras scales the kept
    entries by total/valid so that the mean runs over valid entries only. Weights of fewer
    dimensions than the mask (one per sequence against a (batch, steps) mask) apply to every
    entry of their sample, as tf.keras 2 took them."""
    if mask is None:
        return sample_weight
    mask = _tensor(mask)
    if reduction in ("mean", "sum_over_batch_size"):
        total = float(mask.numel())
        valid = torch.sum(mask.to(dtype))
        weight = torch.where(valid > 0, total / torch.clamp(valid, min=1.0), torch.zeros_like(valid))
        float_mask = torch.where(mask.bool(), weight, torch.zeros((), dtype=dtype, device=mask.device))
    else:
        float_mask = mask.to(dtype)
    if sample_weight is not None:
        sample_weight = _tensor(sample_weight, dtype, float_mask.device)
        float_mask, sample_weight = squeeze_or_expand_to_same_rank(float_mask, sample_weight)
        if 0 < sample_weight.ndim < float_mask.ndim:
            sample_weight = sample_weight.reshape(sample_weight.shape + (1,) * (float_mask.ndim - sample_weight.ndim))
        try:
            fits = torch.broadcast_shapes(sample_weight.shape, float_mask.shape) == float_mask.shape
        except RuntimeError:
            fits = False
        if not fits:
            raise ValueError(f"sample_weight of shape {tuple(sample_weight.shape)} does not fit the mask of shape "
                             f"{tuple(float_mask.shape)} that the model output carries: give one weight per sample "
                             "(batch,) or one per masked entry, of the mask's shape.")
        return sample_weight * float_mask
    return float_mask


def reduce_values(values, sample_weight=None, reduction="sum_over_batch_size"):
    if reduction is None or reduction == "none" or values.ndim == 0 or tuple(values.shape) == (0,):
        return values
    loss = torch.sum(values)
    if reduction in ("sum_over_batch_size", "mean", "mean_with_sample_weight"):
        if reduction == "mean_with_sample_weight" and sample_weight is not None:
            divisor = torch.sum(sample_weight).to(loss.dtype)
            loss = torch.where(divisor != 0, loss / torch.where(divisor != 0, divisor, torch.ones_like(divisor)),
                               torch.zeros_like(loss))
        else:
            count = values.numel()
            loss = loss / count if count else torch.zeros_like(loss)
    return loss


def reduce_weighted_values(values, sample_weight=None, mask=None, reduction="sum_over_batch_size", dtype=None):
    """Keras 3 (losses/loss.py): weights (mask folded in) multiply the per-sample values
    after matching ranks; 'sum_over_batch_size' divides the weighted sum by the number of
    values, not by the sum of weights."""
    reduction = standardize_reduction(reduction)
    values = _tensor(values, dtype)
    sample_weight = apply_mask(sample_weight, mask, values.dtype, reduction)
    if sample_weight is not None:
        sample_weight = _tensor(sample_weight, values.dtype, values.device)
        values, sample_weight = squeeze_or_expand_to_same_rank(values, sample_weight)
        values = values * sample_weight
    return reduce_values(values, sample_weight, reduction)


# ----------------------------------------------------------------------------- Loss classes

class Loss:
    """Base class: subclasses implement `call(y_true, y_pred)` returning per-sample values;
    `__call__` reduces them (default 'sum_over_batch_size')."""

    # Losses that read targets as class ids keep integer targets as they are. Keras casts them
    # to the loss dtype first and back to ints inside; the result is the same for any id below
    # 2**24, and skipping the round trip saves two copies per step.
    _integer_targets = False

    def __init__(self, name=None, reduction="sum_over_batch_size", dtype=None):
        self.name = name or backend.to_snake_case(type(self).__name__)
        self.reduction = standardize_reduction(reduction)
        self._dtype = backend.torch_dtype(dtype) if dtype is not None else backend.torch_dtype(None)

    @property
    def dtype(self):
        return backend.dtype_name(self._dtype)

    def __call__(self, y_true, y_pred, sample_weight=None):
        mask = getattr(y_pred, "_keras_mask", None)
        y_pred = _tensor(y_pred, self._dtype)
        if self._integer_targets and isinstance(y_true, torch.Tensor) and not y_true.is_floating_point():
            y_true = _tensor(y_true, device=y_pred.device)
        else:
            y_true = _tensor(y_true, self._dtype, y_pred.device)
        if sample_weight is None and mask is None and self.reduction in ("sum_over_batch_size", "mean") \
                and y_pred.numel():
            value = self._batch_mean(y_true, y_pred)
            if value is not None:
                return value
        losses = self.call(y_true, y_pred)
        out_mask = getattr(losses, "_keras_mask", None)
        if mask is not None and out_mask is not None:
            mask = mask & out_mask
        elif out_mask is not None:
            mask = out_mask
        return reduce_weighted_values(losses, sample_weight=sample_weight, mask=mask, reduction=self.reduction,
                                      dtype=self._dtype)

    def call(self, y_true, y_pred):
        raise NotImplementedError(f"Loss '{type(self).__name__}' must implement call(y_true, y_pred).")

    def _batch_mean(self, y_true, y_pred):
        """The unweighted, unmasked 'sum_over_batch_size' value in one pass, or None for the
        general path (per-sample values, then reduce_weighted_values)."""
        return None

    def get_config(self):
        return {"name": self.name, "reduction": self.reduction}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}>"


class LossFunctionWrapper(Loss):
    """A per-sample function `fn(y_true, y_pred, **kwargs)` as a reducing Loss."""

    def __init__(self, fn, reduction="sum_over_batch_size", name=None, dtype=None, **kwargs):
        super().__init__(name=name or getattr(fn, "__name__", None), reduction=reduction, dtype=dtype)
        self.fn = fn
        self._fn_kwargs = kwargs

    def _batch_mean(self, y_true, y_pred):
        mean_fn = _BATCH_MEANS.get(self.fn)
        # Only while the class computes its values with the built-in call: a subclass with a
        # call of its own gets that call.
        if mean_fn is None or type(self).call not in _BUILTIN_CALLS:
            return None
        return mean_fn(y_true, y_pred, **self._fn_kwargs)

    def call(self, y_true, y_pred):
        y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
        return self.fn(y_true, y_pred, **self._fn_kwargs)

    def get_config(self):
        from keraslite.saving.serialization import serialize_keras_object

        config = super().get_config()
        config["fn"] = serialize_keras_object(self.fn)
        config.update(self._fn_kwargs)
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if "fn" in config and isinstance(config["fn"], (str, dict)):
            config["fn"] = _function(config["fn"])
        return cls(**config)

    def __repr__(self):
        return f"<LossFunctionWrapper({getattr(self.fn, '__name__', self.fn)}, kwargs={self._fn_kwargs})>"


class _BuiltinLoss(LossFunctionWrapper):
    """A Keras built-in loss class: fixed function; config lists the constructor arguments."""

    _fn = None
    _default_name = None
    _arg_names = ()

    def __init__(self, reduction="sum_over_batch_size", name=None, dtype=None, **kwargs):
        super().__init__(type(self)._fn, reduction=reduction, name=name or self._default_name, dtype=dtype, **kwargs)
        for key, value in kwargs.items():
            setattr(self, key, value)

    def get_config(self):
        config = Loss.get_config(self)
        config.update({k: getattr(self, k) for k in self._arg_names})
        return config

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def _simple(cls_name, fn, default_name):
    def __init__(self, reduction="sum_over_batch_size", name=default_name, dtype=None):
        _BuiltinLoss.__init__(self, reduction=reduction, name=name, dtype=dtype)

    return type(cls_name, (_BuiltinLoss,), {"_fn": staticmethod(fn), "_default_name": default_name,
                                            "__init__": __init__, "__module__": __name__,
                                            "__doc__": f"`{default_name}` as a reducing Loss."})


MeanSquaredError = _simple("MeanSquaredError", mean_squared_error, "mean_squared_error")
MeanAbsoluteError = _simple("MeanAbsoluteError", mean_absolute_error, "mean_absolute_error")
MeanAbsolutePercentageError = _simple("MeanAbsolutePercentageError", mean_absolute_percentage_error,
                                      "mean_absolute_percentage_error")
MeanSquaredLogarithmicError = _simple("MeanSquaredLogarithmicError", mean_squared_logarithmic_error,
                                      "mean_squared_logarithmic_error")
LogCosh = _simple("LogCosh", log_cosh, "log_cosh")
Hinge = _simple("Hinge", hinge, "hinge")
SquaredHinge = _simple("SquaredHinge", squared_hinge, "squared_hinge")
CategoricalHinge = _simple("CategoricalHinge", categorical_hinge, "categorical_hinge")
KLDivergence = _simple("KLDivergence", kl_divergence, "kl_divergence")
Poisson = _simple("Poisson", poisson, "poisson")


class CosineSimilarity(_BuiltinLoss):
    _fn = staticmethod(cosine_similarity)

    def __init__(self, axis=-1, reduction="sum_over_batch_size", name="cosine_similarity", dtype=None):
        super().__init__(reduction=reduction, name=name, dtype=dtype, axis=axis)

    def get_config(self):
        return Loss.get_config(self)  # Keras 3 leaves axis out


class Huber(_BuiltinLoss):
    _fn = staticmethod(huber)

    def __init__(self, delta=1.0, reduction="sum_over_batch_size", name="huber_loss", dtype=None):
        super().__init__(reduction=reduction, name=name, dtype=dtype, delta=delta)

    def get_config(self):
        return Loss.get_config(self)  # Keras 3 leaves delta out


class BinaryCrossentropy(_BuiltinLoss):
    _fn = staticmethod(binary_crossentropy)
    _arg_names = ("from_logits", "label_smoothing", "axis")

    def __init__(self, from_logits=False, label_smoothing=0.0, axis=-1, reduction="sum_over_batch_size",
                 name="binary_crossentropy", dtype=None):
        super().__init__(reduction=reduction, name=name, dtype=dtype, from_logits=from_logits,
                         label_smoothing=label_smoothing, axis=axis)


class BinaryFocalCrossentropy(_BuiltinLoss):
    _fn = staticmethod(binary_focal_crossentropy)
    _arg_names = ("from_logits", "label_smoothing", "axis", "apply_class_balancing", "alpha", "gamma")

    def __init__(self, apply_class_balancing=False, alpha=0.25, gamma=2.0, from_logits=False, label_smoothing=0.0,
                 axis=-1, reduction="sum_over_batch_size", name="binary_focal_crossentropy", dtype=None):
        super().__init__(reduction=reduction, name=name, dtype=dtype, apply_class_balancing=apply_class_balancing,
                         alpha=alpha, gamma=gamma, from_logits=from_logits, label_smoothing=label_smoothing,
                         axis=axis)


class CategoricalCrossentropy(_BuiltinLoss):
    _fn = staticmethod(categorical_crossentropy)
    _arg_names = ("from_logits", "label_smoothing", "axis")

    def __init__(self, from_logits=False, label_smoothing=0.0, axis=-1, reduction="sum_over_batch_size",
                 name="categorical_crossentropy", dtype=None):
        super().__init__(reduction=reduction, name=name, dtype=dtype, from_logits=from_logits,
                         label_smoothing=label_smoothing, axis=axis)


class CategoricalFocalCrossentropy(_BuiltinLoss):
    _fn = staticmethod(categorical_focal_crossentropy)
    _arg_names = ("from_logits", "label_smoothing", "axis", "alpha", "gamma")

    def __init__(self, alpha=0.25, gamma=2.0, from_logits=False, label_smoothing=0.0, axis=-1,
                 reduction="sum_over_batch_size", name="categorical_focal_crossentropy", dtype=None):
        super().__init__(reduction=reduction, name=name, dtype=dtype, alpha=alpha, gamma=gamma,
                         from_logits=from_logits, label_smoothing=label_smoothing, axis=axis)


class SparseCategoricalCrossentropy(_BuiltinLoss):
    _fn = staticmethod(sparse_categorical_crossentropy)
    _arg_names = ("from_logits", "ignore_class")
    _integer_targets = True

    def __init__(self, from_logits=False, ignore_class=None, reduction="sum_over_batch_size", axis=-1,
                 name="sparse_categorical_crossentropy", dtype=None):
        super().__init__(reduction=reduction, name=name, dtype=dtype, from_logits=from_logits,
                         ignore_class=ignore_class, axis=axis)

    def call(self, y_true, y_pred):
        # Integer labels: no rank squeezing by the wrapper (the function handles (n,) and (n, 1)).
        return self.fn(y_true, y_pred, **self._fn_kwargs)


class Dice(_BuiltinLoss):
    _fn = staticmethod(dice)
    _arg_names = ("axis",)

    def __init__(self, reduction="sum_over_batch_size", name="dice", axis=None, dtype=None):
        super().__init__(reduction=reduction, name=name, dtype=dtype, axis=axis)


class Tversky(_BuiltinLoss):
    _fn = staticmethod(tversky)
    _arg_names = ("alpha", "beta", "axis")

    def __init__(self, alpha=0.5, beta=0.5, reduction="sum_over_batch_size", name="tversky", axis=None, dtype=None):
        super().__init__(reduction=reduction, name=name, dtype=dtype, alpha=alpha, beta=beta, axis=axis)


class Circle(_BuiltinLoss):
    _fn = staticmethod(circle)
    _arg_names = ("gamma", "margin", "remove_diagonal")
    _integer_targets = True

    def __init__(self, gamma=80.0, margin=0.4, remove_diagonal=True, reduction="sum_over_batch_size",
                 name="circle", dtype=None):
        super().__init__(reduction=reduction, name=name, dtype=dtype, gamma=gamma, margin=margin,
                         remove_diagonal=remove_diagonal)


class CategoricalGeneralizedCrossEntropy(_BuiltinLoss):
    _fn = staticmethod(categorical_generalized_cross_entropy)
    _arg_names = ("q",)
    _integer_targets = True

    def __init__(self, q=0.5, reduction="sum_over_batch_size", name="categorical_generalized_cross_entropy",
                 dtype=None):
        if not 0 < q < 1:
            raise ValueError(f"CategoricalGeneralizedCrossEntropy: `q` must be in the open interval (0, 1). "
                             f"Received: q={q!r}")
        super().__init__(reduction=reduction, name=name, dtype=dtype, q=q)


class CTC(_BuiltinLoss):
    _fn = staticmethod(ctc)
    _integer_targets = True

    def __init__(self, reduction="sum_over_batch_size", name="ctc", dtype=None):
        super().__init__(reduction=reduction, name=name, dtype=dtype)



_BUILTIN_CALLS = (LossFunctionWrapper.call, SparseCategoricalCrossentropy.call)


# ----------------------------------------------------------------------------- lookup

_CLASSES = {c.__name__: c for c in (
    Loss, LossFunctionWrapper, MeanSquaredError, MeanAbsoluteError, MeanAbsolutePercentageError,
    MeanSquaredLogarithmicError, CosineSimilarity, Huber, LogCosh, Hinge, SquaredHinge, CategoricalHinge,
    KLDivergence, Poisson, BinaryCrossentropy, BinaryFocalCrossentropy, CategoricalCrossentropy,
    CategoricalFocalCrossentropy, SparseCategoricalCrossentropy, Dice, Tversky, Circle, CTC,
    CategoricalGeneralizedCrossEntropy)}

# Function names and aliases -> the class that reduces them (Keras compiles a string loss
# into the matching reducing loss).
_BY_FUNCTION = {
    mean_squared_error: MeanSquaredError, mean_absolute_error: MeanAbsoluteError,
    mean_absolute_percentage_error: MeanAbsolutePercentageError,
    mean_squared_logarithmic_error: MeanSquaredLogarithmicError, cosine_similarity: CosineSimilarity,
    huber: Huber, log_cosh: LogCosh, hinge: Hinge, squared_hinge: SquaredHinge, categorical_hinge: CategoricalHinge,
    kl_divergence: KLDivergence, poisson: Poisson, binary_crossentropy: BinaryCrossentropy,
    binary_focal_crossentropy: BinaryFocalCrossentropy, categorical_crossentropy: CategoricalCrossentropy,
    categorical_focal_crossentropy: CategoricalFocalCrossentropy,
    sparse_categorical_crossentropy: SparseCategoricalCrossentropy, dice: Dice, tversky: Tversky, circle: Circle,
    ctc: CTC,
}
_FUNCTIONS = {fn.__name__: fn for fn in _BY_FUNCTION}
_FUNCTIONS.update({
    "mse": mse, "MSE": mse, "mae": mae, "MAE": mae, "mape": mape, "MAPE": mape, "msle": msle, "MSLE": msle,
    "kld": kld, "KLD": kld, "kullback_leibler_divergence": kld, "logcosh": log_cosh, "bce": bce, "BCE": bce,
    "huber_loss": huber, "cosine_proximity": cosine_similarity, "cosine": cosine_similarity,
})


def _function(identifier):
    """A per-sample loss function from a name or a serialized function."""
    if isinstance(identifier, dict):
        identifier = identifier.get("config") if identifier.get("class_name") == "function" else identifier.get(
            "registered_name") or identifier.get("class_name")
    fn = _FUNCTIONS.get(identifier)
    if fn is None:
        from keraslite.saving.registry import get_registered_object

        fn = get_registered_object(identifier)
    if fn is None:
        raise ValueError(_unknown(identifier))
    return fn


def _unknown(identifier):
    return (f"Unknown loss {identifier!r}. Valid names are: {', '.join(sorted(set(_FUNCTIONS) | set(_CLASSES)))}. "
            "Pass one of these, a Loss instance or class, or a function fn(y_true, y_pred) returning per-sample "
            "values.")


def serialize(loss):
    from keraslite.saving.serialization import serialize_keras_object

    if callable(loss) and not isinstance(loss, Loss) and getattr(loss, "__name__", None) in _FUNCTIONS:
        return {"module": "keras.losses", "class_name": "function", "config": loss.__name__,
                "registered_name": "function"}
    return serialize_keras_object(loss)


def deserialize(config, custom_objects=None):
    return get(config, custom_objects)


def get(identifier, custom_objects=None):
    """`keras.losses.get`, as Keras answers it: a function name ('mse',
    'categorical_crossentropy') gives the per-sample function itself, a class name or config a
    Loss instance, a callable comes back unchanged."""
    if identifier is None:
        return None
    if isinstance(identifier, str) and identifier not in _CLASSES and identifier in _FUNCTIONS:
        return _FUNCTIONS[identifier]
    if isinstance(identifier, dict) and identifier.get("class_name") == "function":
        return get(identifier.get("config"), custom_objects)
    if callable(identifier) and not isinstance(identifier, type):
        return identifier
    return reducing_loss(identifier, custom_objects)


def reducing_loss(identifier, custom_objects=None):
    """What `compile(loss=...)` trains with: a reducing loss `loss(y_true, y_pred,
    sample_weight=None)` -> 0-d tensor, from a name, a Loss class or instance, a per-sample
    function or a config dict (None stays None)."""
    if identifier is None:
        return None
    if isinstance(identifier, Loss):
        return identifier
    if isinstance(identifier, type) and issubclass(identifier, Loss):
        return identifier()
    if isinstance(identifier, dict):
        class_name = identifier.get("class_name")
        if class_name == "function":
            return reducing_loss(identifier.get("config"), custom_objects)
        from keraslite.saving.registry import class_for_config

        cls = class_for_config(identifier, _CLASSES, custom_objects)
        if cls is None:
            raise ValueError(_unknown(class_name))
        if isinstance(cls, type):
            return cls.from_config(dict(identifier.get("config") or {}))
        return reducing_loss(cls)
    if isinstance(identifier, str):
        if identifier in _CLASSES:
            return _CLASSES[identifier]()
        fn = _FUNCTIONS.get(identifier)
        if fn is None:
            from keraslite.saving.registry import get_registered_object

            obj = get_registered_object(identifier, custom_objects)
            if obj is None:
                raise ValueError(_unknown(identifier))
            return reducing_loss(obj)
        return _BY_FUNCTION[fn]()
    if callable(identifier):
        cls = _BY_FUNCTION.get(identifier)
        if cls is not None:
            return cls()
        return LossFunctionWrapper(identifier, name=getattr(identifier, "__name__", None))
    raise ValueError(f"Could not interpret loss identifier: {identifier!r}. " + _unknown(identifier))
