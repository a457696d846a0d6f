"""Metrics (keras.metrics): stateful `Metric` objects, the per-sample metric functions, and
`get(identifier)`.

Owns: accumulation with Keras 3 semantics (how sample weights and masks enter a mean,
confusion-matrix counting with Keras's thresholds and AUC's bucketing and interpolation),
names, config. Accumulators are non-trainable `Variable`s (torch tensors with Keras's `assign`,
`assign_add`, `numpy()`) that move, in place, to the device of the first update;
`update_state` never waits for the device (no `.item()`, no Python branching on values).

Leaves to keraslite.training resolving 'accuracy'/'acc'/'crossentropy'/'ce' from shapes;
`get('accuracy')` here returns Keras's exact-match `Accuracy`, and `get('acc')` raises, as
keras.metrics.get does. The loss formulas themselves live in keraslite.losses.
"""
import warnings

import numpy as np

import torch
from torch._subclasses.fake_tensor import FakeTensor

from keraslite import backend, losses as losses_mod
from keraslite.layers.layer import Variable
from keraslite.losses import (EPSILON, _tensor, apply_mask, binary_crossentropy, binary_focal_crossentropy,
                              categorical_crossentropy, categorical_focal_crossentropy, categorical_hinge, hinge,
                              huber, kl_divergence, log_cosh, mean_absolute_error, mean_absolute_percentage_error,
                              mean_squared_error, mean_squared_logarithmic_error, poisson,
                              sparse_categorical_crossentropy, squared_hinge, squeeze_or_expand_to_same_rank)

__all__ = [
    "Metric", "Mean", "Sum", "MeanMetricWrapper", "Accuracy", "BinaryAccuracy", "CategoricalAccuracy",
    "SparseCategoricalAccuracy", "TopKCategoricalAccuracy", "SparseTopKCategoricalAccuracy", "AUC", "Precision",
    "Recall", "TruePositives", "TrueNegatives", "FalsePositives", "FalseNegatives", "MeanSquaredError",
    "MeanAbsoluteError", "MeanAbsolutePercentageError", "MeanSquaredLogarithmicError", "RootMeanSquaredError",
    "CosineSimilarity", "LogCoshError", "Hinge", "SquaredHinge", "CategoricalHinge", "KLDivergence", "Poisson",
    "BinaryCrossentropy", "CategoricalCrossentropy", "SparseCategoricalCrossentropy", "accuracy", "binary_accuracy",
    "categorical_accuracy", "sparse_categorical_accuracy", "top_k_categorical_accuracy",
    "sparse_top_k_categorical_accuracy", "cosine_similarity", "mean_squared_error", "mean_absolute_error",
    "mean_absolute_percentage_error", "mean_squared_logarithmic_error", "binary_crossentropy",
    "categorical_crossentropy", "sparse_categorical_crossentropy", "hinge", "squared_hinge", "categorical_hinge",
    "kl_divergence", "poisson", "log_cosh", "huber", "mse", "mae", "mape", "msle", "get", "serialize",
    "deserialize",
]

NEG_INF = -1e10
mse = MSE = mean_squared_error
mae = MAE = mean_absolute_error
mape = MAPE = mean_absolute_percentage_error
msle = MSLE = mean_squared_logarithmic_error


def _divide_no_nan(a, b):
    safe = torch.where(b == 0, torch.ones_like(b), b)
    return torch.where(b == 0, torch.zeros_like(a), a / safe)


# ----------------------------------------------------------------------------- per-sample functions

def accuracy(y_true, y_pred):
    y_pred = _tensor(y_pred)
    y_true = _tensor(y_true, y_pred.dtype, y_pred.device)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    return (y_true == y_pred).to(torch.float32)


def binary_accuracy(y_true, y_pred, threshold=0.5):
    y_pred = _tensor(y_pred)
    y_true = _tensor(y_true, device=y_pred.device)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    return (y_true == (y_pred > threshold).to(y_true.dtype)).to(torch.float32)


def _class_indices(one_hot):
    """argmax over the last axis; torch has no argmax of bool, and Keras 2 tutorials build
    one-hot targets as `np.zeros(..., dtype=np.bool_)`, so booleans go through uint8 (as in
    Keras's torch backend)."""
    if one_hot.dtype == torch.bool:
        one_hot = one_hot.to(torch.uint8)
    return torch.argmax(one_hot, dim=-1)


def categorical_accuracy(y_true, y_pred):
    y_pred = _tensor(y_pred)
    y_true = _class_indices(_tensor(y_true, device=y_pred.device))
    if y_true.ndim == y_pred.ndim:  # Keras squeezes a trailing 1 here (only reachable for odd inputs)
        y_true = y_true.squeeze(-1)
    return (y_true == torch.argmax(y_pred, dim=-1)).to(torch.float32)


def sparse_categorical_accuracy(y_true, y_pred):
    y_pred = _tensor(y_pred)
    y_true = _tensor(y_true, device=y_pred.device)
    original_shape = y_true.shape
    reshape = False
    if y_true.ndim == y_pred.ndim and y_true.shape[-1] == 1:
        y_true = y_true.squeeze(-1)
        reshape = True
    matches = (y_true.to(y_pred.dtype) == torch.argmax(y_pred, dim=-1).to(y_pred.dtype)).to(torch.float32)
    if reshape:
        matches = matches.reshape(original_shape)
    if matches.ndim > 1 and matches.shape[-1] == 1:
        matches = matches.squeeze(-1)
    return matches


def _in_top_k(targets, predictions, k):
    # Keras (torch backend): the target's score is >= the k-th largest score (ties count).
    topk = torch.topk(predictions, min(k, predictions.shape[-1]), dim=-1).values
    target_values = torch.take_along_dim(predictions, targets.long()[:, None], dim=-1)
    return torch.any(target_values >= topk, dim=-1)


def top_k_categorical_accuracy(y_true, y_pred, k=5):
    y_pred = _tensor(y_pred)
    y_true = _class_indices(_tensor(y_true, device=y_pred.device))
    shape = y_true.shape
    matches = _in_top_k(y_true.reshape(-1), y_pred.reshape(-1, y_pred.shape[-1]), k).to(torch.float32)
    return matches.reshape(shape)


def sparse_top_k_categorical_accuracy(y_true, y_pred, k=5, from_sorted_ids=False):
    y_pred = _tensor(y_pred)
    y_true = _tensor(y_true, device=y_pred.device)
    shape = y_true.shape
    y_true = y_true.reshape(-1)
    y_pred = y_pred.reshape(-1, y_pred.shape[-1])
    if from_sorted_ids:
        matches = torch.any(y_true.to(y_pred.dtype)[:, None] == y_pred[:, :k], dim=1)
    else:
        matches = _in_top_k(y_true, y_pred, k)
    return matches.to(torch.float32).reshape(shape)


def cosine_similarity(y_true, y_pred, axis=-1):
    """The metric form: the cosine similarity itself (the loss form is its negative)."""
    return -losses_mod.cosine_similarity(y_true, y_pred, axis=axis)


# ----------------------------------------------------------------------------- base classes

class Metric:
    """Base class. Subclasses create accumulators with `add_variable` in `__init__`, and
    implement `update_state(...)` and `result()`."""

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        # Metric states never take part in autograd: a custom loop that feeds its loss (which
        # requires grad) to `train_loss(loss)` must not chain every step's graph into the total.
        if "update_state" in cls.__dict__:
            cls.update_state = torch.no_grad()(cls.__dict__["update_state"])

    def __init__(self, name=None, dtype=None):
        # Unnamed, a metric takes Keras's process-wide numbered name ('auc', then 'auc_1', ...,
        # shared with layer names and reset by clear_session()): history keys follow it.
        self.name = name or backend.get_uid(backend.to_snake_case(type(self).__name__))
        self._dtype = backend.torch_dtype(dtype)
        self._variables = []
        self._device = None

    @property
    def dtype(self):
        return backend.dtype_name(self._dtype)

    @property
    def variables(self):
        return list(self._variables)

    def add_variable(self, shape=(), initializer="zeros", dtype=None, aggregation="sum", name=None):
        """A state of this metric: a non-trainable `Variable` (`assign`, `assign_add`, `numpy()`,
        torch arithmetic), reset to zeros by the default `reset_state`."""
        if isinstance(shape, str):  # Keras 2 (tf.keras) order: add_weight(name, shape=(), ...)
            shape, name = (), shape
        shape = tuple(shape) if isinstance(shape, (list, tuple)) else (() if shape is None else (int(shape),))
        dtype = backend.torch_dtype(dtype or self._dtype)
        value = torch.zeros(shape, dtype=dtype)
        if initializer not in ("zeros", None):
            from keraslite import initializers

            value = torch.as_tensor(initializers.get(initializer)(shape, dtype=dtype), dtype=dtype)
        if self._device is not None:
            value = value.to(self._device)
        name = name or backend.get_uid("variable")  # Keras's session-wide default name
        variable = Variable(value, trainable=False, name=name, path=f"{self.name}/{name}")
        variable.aggregation = aggregation  # how a multi-process run combines it (training/distributed.py)
        self._variables.append(variable)
        return variable

    def add_weight(self, shape=(), initializer="zeros", dtype=None, name=None, aggregation="sum", **kwargs):
        return self.add_variable(shape=shape, initializer=initializer, dtype=dtype, name=name, aggregation=aggregation)

    def _follow(self, tensor):
        """Move the accumulators to the device of the data (first update, or after a move), in
        place, so that references a subclass holds (`self.total`) stay valid. Not while a
        functional model traces a layer on placeholders: those are fake tensors, and the state
        must stay real."""
        device = tensor.device
        if device != self._device and not isinstance(tensor, FakeTensor) and device.type != "meta":
            for v in self._variables:
                v.data = v.data.to(device)
            self._device = device

    def reset_state(self):
        if type(self).reset_states is not Metric.reset_states and not getattr(self, "_legacy_resetting", False):
            # tf.keras 2.5+: a subclass that only overrides the older `reset_states()` still gets
            # it called between epochs (with this deprecation warning); zeroing every variable
            # would skip whatever else it resets, or the value it resets to.
            warnings.warn(f"Metric {type(self).__name__} implements a `reset_states()` method; rename it "
                          "to `reset_state()` (without the final \"s\"). The name `reset_states()` has "
                          "been deprecated to improve API consistency.", stacklevel=2)
            self._legacy_resetting = True  # its reset_states() may call super().reset_states()
            try:
                return self.reset_states()
            finally:
                self._legacy_resetting = False
        for v in self._variables:
            v.zero_()

    def reset_states(self):
        """Keras 2 name of reset_state()."""
        self.reset_state()

    def update_state(self, *args, **kwargs):
        raise NotImplementedError

    def result(self):
        raise NotImplementedError

    # Keras 3's stateless API: the same computations on state values passed in and handed back,
    # the metric's own variables left as they were.
    @torch.no_grad()
    def _with_values(self, values, compute):
        saved = [v.detach().clone() for v in self._variables]
        try:
            if values is not None:
                if len(values) != len(self._variables):
                    raise ValueError(f"Metric {self.name!r} has {len(self._variables)} variables; received "
                                     f"{len(values)} values.")
                for v, value in zip(self._variables, values):
                    v.copy_(torch.as_tensor(value, dtype=v.dtype, device=v.device))
            out = compute()
            return out, [v.detach().clone() for v in self._variables]
        finally:
            for v, value in zip(self._variables, saved):
                v.copy_(value)

    def stateless_update_state(self, metric_variables, *args, **kwargs):
        return self._with_values(metric_variables, lambda: self.update_state(*args, **kwargs))[1]

    def stateless_result(self, metric_variables):
        return self._with_values(metric_variables, self.result)[0]

    def stateless_reset_state(self):
        return self._with_values(None, self.reset_state)[1]

    def __call__(self, *args, **kwargs):
        self.update_state(*args, **kwargs)
        result = self.result()
        if isinstance(result, torch.Tensor):
            result._keras_metric = self  # so Layer.add_metric(result) reports this metric itself
        return result

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}>"


def reduce_to_samplewise_values(values, sample_weight, reduce_fn, dtype):
    """Keras 3 (reduction_metrics.py): weights reduce values to one per sample; returns
    (values, weights) ready to be summed."""
    mask = getattr(values, "_keras_mask", None)
    values = _tensor(values).to(dtype)
    if sample_weight is not None:
        sample_weight = _tensor(sample_weight, dtype, values.device)
        if mask is not None:
            sample_weight = apply_mask(sample_weight, mask, dtype=dtype, reduction="sum")
        values, sample_weight = squeeze_or_expand_to_same_rank(values, sample_weight)
        if values.ndim == 0:  # one value for the whole batch (a function that took the mean itself): tf.keras 2
            values = values.expand(sample_weight.shape)  # weighs it by the batch's total weight
        elif values.ndim < sample_weight.ndim:
            raise ValueError(f"A metric computed values of shape {tuple(values.shape)}, but its sample weights "
                             f"(sample_weight and the output's mask combined) have shape {tuple(sample_weight.shape)}, "
                             "one per entry of the output. Return one value per entry (reduce only the last axis, "
                             "e.g. ops.mean(..., axis=-1), as Keras's metric functions do).")
        weight_ndim, values_ndim = sample_weight.ndim, values.ndim
        if values_ndim > weight_ndim:
            values = reduce_fn(values, dim=list(range(weight_ndim, values_ndim)))
        sample_weight = torch.broadcast_to(sample_weight, values.shape)
        values = values * sample_weight
        if weight_ndim > 1:
            sample_weight = reduce_fn(sample_weight, dim=list(range(1, weight_ndim)))
    if values.ndim > 1:
        values = reduce_fn(values, dim=list(range(1, values.ndim)))
    return values, sample_weight


class Sum(Metric):
    def __init__(self, name="sum", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self._total = self.add_variable(name="total")

    def update_state(self, values, sample_weight=None):
        values, _ = reduce_to_samplewise_values(values, sample_weight, torch.sum, self._dtype)
        self._follow(values)
        self._total.add_(torch.sum(values))

    def result(self):
        return self._total.clone()


class Mean(Metric):
    def __init__(self, name="mean", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self._total = self.add_variable(name="total")
        self._count = self.add_variable(name="count")

    def update_state(self, values, sample_weight=None):
        values, sample_weight = reduce_to_samplewise_values(values, sample_weight, torch.mean, self._dtype)
        self._follow(values)
        self._total.add_(torch.sum(values))
        if sample_weight is not None:
            self._count.add_(torch.sum(sample_weight))
        else:
            self._count.add_(values.shape[0] if values.ndim >= 1 else 1)

    def result(self):
        return _divide_no_nan(self._total, self._count)


class MeanMetricWrapper(Mean):
    """The mean over samples of `fn(y_true, y_pred, **kwargs)` (Keras's wrapper for loss-like
    functions)."""

    def __init__(self, fn, name=None, dtype=None, **kwargs):
        super().__init__(name=name or getattr(fn, "__name__", None) or getattr(fn, "name", None), dtype=dtype)
        self._fn = fn
        self._fn_kwargs = kwargs

    def update_state(self, y_true, y_pred, sample_weight=None):
        mask = getattr(y_pred, "_keras_mask", None)
        # Labels one rank short of a single-unit output ((n,) against (n, 1)) get its last axis,
        # as tf.keras 2's wrapper and every Keras loss wrapper do. Keras 3's metric wrapper does
        # not: binary_crossentropy then fails on the torch backend, and hinge, poisson, KL
        # divergence and user functions such as `K.mean(K.equal(y_true, K.round(y_pred)))`
        # broadcast to an (n, n) comparison.
        ndim = getattr(y_pred, "ndim", None)
        if ndim and getattr(y_true, "ndim", None) == ndim - 1 and y_pred.shape[-1] == 1:
            y_true = y_true.reshape(tuple(y_true.shape) + (1,))
        values = self._fn(y_true, y_pred, **self._fn_kwargs)
        sample_weight = apply_mask(sample_weight, mask, dtype=self._dtype, reduction="sum")
        return super().update_state(values, sample_weight=sample_weight)

    def get_config(self):
        from keraslite.saving.serialization import serialize_keras_object

        config = super().get_config()
        config["fn"] = serialize_keras_object(self._fn)
        config.update(self._fn_kwargs)
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if isinstance(config.get("fn"), (str, dict)):
            config["fn"] = _function(config["fn"])
        return cls(**config)


def _wrapper(cls_name, fn, default_name, doc):
    """A fixed-function MeanMetricWrapper whose config is just name and dtype."""

    def __init__(self, name=default_name, dtype=None):
        MeanMetricWrapper.__init__(self, fn, name=name, dtype=dtype)

    def get_config(self):
        return Metric.get_config(self)

    return type(cls_name, (MeanMetricWrapper,), {"__init__": __init__, "get_config": get_config,
                                                 "from_config": classmethod(lambda c, cfg: c(**cfg)),
                                                 "__module__": __name__, "__doc__": doc})


Accuracy = _wrapper("Accuracy", accuracy, "accuracy", "How often predictions equal labels exactly.")
CategoricalAccuracy = _wrapper("CategoricalAccuracy", categorical_accuracy, "categorical_accuracy",
                               "How often the argmax of predictions equals the argmax of one-hot labels.")
SparseCategoricalAccuracy = _wrapper("SparseCategoricalAccuracy", sparse_categorical_accuracy,
                                     "sparse_categorical_accuracy",
                                     "How often the argmax of predictions equals integer labels.")
MeanSquaredError = _wrapper("MeanSquaredError", mean_squared_error, "mean_squared_error", "Mean squared error.")
MeanAbsoluteError = _wrapper("MeanAbsoluteError", mean_absolute_error, "mean_absolute_error",
                             "Mean absolute error.")
MeanAbsolutePercentageError = _wrapper("MeanAbsolutePercentageError", mean_absolute_percentage_error,
                                       "mean_absolute_percentage_error", "Mean absolute percentage error.")
MeanSquaredLogarithmicError = _wrapper("MeanSquaredLogarithmicError", mean_squared_logarithmic_error,
                                       "mean_squared_logarithmic_error", "Mean squared logarithmic error.")
LogCoshError = _wrapper("LogCoshError", log_cosh, "logcosh", "Mean of log(cosh(error)).")
Hinge = _wrapper("Hinge", hinge, "hinge", "Mean hinge loss.")
SquaredHinge = _wrapper("SquaredHinge", squared_hinge, "squared_hinge", "Mean squared hinge loss.")
CategoricalHinge = _wrapper("CategoricalHinge", categorical_hinge, "categorical_hinge", "Mean categorical hinge.")
KLDivergence = _wrapper("KLDivergence", kl_divergence, "kl_divergence", "Mean Kullback-Leibler divergence.")
Poisson = _wrapper("Poisson", poisson, "poisson", "Mean Poisson loss.")


class BinaryAccuracy(MeanMetricWrapper):
    def __init__(self, name="binary_accuracy", dtype=None, threshold=0.5):
        super().__init__(binary_accuracy, name=name, dtype=dtype, threshold=threshold)
        self.threshold = threshold

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype, "threshold": self.threshold}


class TopKCategoricalAccuracy(MeanMetricWrapper):
    def __init__(self, k=5, name="top_k_categorical_accuracy", dtype=None):
        super().__init__(top_k_categorical_accuracy, name=name, dtype=dtype, k=k)
        self.k = k

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype, "k": self.k}


class SparseTopKCategoricalAccuracy(MeanMetricWrapper):
    def __init__(self, k=5, name="sparse_top_k_categorical_accuracy", dtype=None, from_sorted_ids=False):
        super().__init__(sparse_top_k_categorical_accuracy, name=name, dtype=dtype, k=k,
                         from_sorted_ids=from_sorted_ids)
        self.k = k
        self.from_sorted_ids = from_sorted_ids

    def get_config(self):
        config = {"name": self.name, "dtype": self.dtype, "k": self.k}
        if self.from_sorted_ids:
            config["from_sorted_ids"] = True
        return config


class CosineSimilarity(MeanMetricWrapper):
    def __init__(self, name="cosine_similarity", dtype=None, axis=-1):
        super().__init__(cosine_similarity, name=name, dtype=dtype, axis=axis)

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}


class BinaryCrossentropy(MeanMetricWrapper):
    def __init__(self, name="binary_crossentropy", dtype=None, from_logits=False, label_smoothing=0):
        super().__init__(binary_crossentropy, name=name, dtype=dtype, from_logits=from_logits,
                         label_smoothing=label_smoothing)
        self.from_logits, self.label_smoothing = from_logits, label_smoothing

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype, "from_logits": self.from_logits,
                "label_smoothing": self.label_smoothing}


class CategoricalCrossentropy(MeanMetricWrapper):
    def __init__(self, name="categorical_crossentropy", dtype=None, from_logits=False, label_smoothing=0, axis=-1):
        super().__init__(categorical_crossentropy, name=name, dtype=dtype, from_logits=from_logits,
                         label_smoothing=label_smoothing, axis=axis)
        self.from_logits, self.label_smoothing, self.axis = from_logits, label_smoothing, axis

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype, "from_logits": self.from_logits,
                "label_smoothing": self.label_smoothing, "axis": self.axis}


class SparseCategoricalCrossentropy(MeanMetricWrapper):
    def __init__(self, name="sparse_categorical_crossentropy", dtype=None, from_logits=False, ignore_class=None,
                 axis=-1):
        super().__init__(sparse_categorical_crossentropy, name=name, dtype=dtype, from_logits=from_logits,
                         ignore_class=ignore_class, axis=axis)
        self.from_logits, self.ignore_class, self.axis = from_logits, ignore_class, axis

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype, "from_logits": self.from_logits,
                "ignore_class": self.ignore_class, "axis": self.axis}


class RootMeanSquaredError(Mean):
    def __init__(self, name="root_mean_squared_error", dtype=None):
        super().__init__(name=name, dtype=dtype)

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_pred = _tensor(y_pred, self._dtype)
        y_true = _tensor(y_true, self._dtype, y_pred.device)
        y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
        return super().update_state(torch.square(y_pred - y_true), sample_weight=sample_weight)

    def result(self):
        return torch.sqrt(super().result())


# ----------------------------------------------------------------------------- confusion matrices

def _filter_top_k(x, k):
    idx = torch.topk(x, k, dim=-1).indices
    keep = torch.zeros_like(x).scatter_(-1, idx, 1.0)
    return x * keep + NEG_INF * (1 - keep)


def _evenly_distributed(thresholds):
    n = len(thresholds)
    if n < 3:
        return False
    even = np.arange(n, dtype=np.float32) / (n - 1)
    return bool(np.allclose(thresholds, even, atol=EPSILON))


def _confusion_update(metric, which, y_true, y_pred, thresholds, top_k=None, class_id=None, sample_weight=None,
                      multi_label=False, label_weights=None, evenly=False):
    """Add this batch's counts to `which` = {'tp'|'fp'|'tn'|'fn': state index} of `metric`
    (Keras metrics_utils.update_confusion_matrix_variables)."""
    dtype = metric._dtype
    y_pred = _tensor(y_pred).to(dtype)
    y_true = _tensor(y_true, dtype, y_pred.device)
    metric._follow(y_pred)
    y_pred, y_true = squeeze_or_expand_to_same_rank(y_pred, y_true)
    if sample_weight is not None:
        sample_weight = _tensor(sample_weight, dtype, y_pred.device).unsqueeze(-1)
        _, sample_weight = squeeze_or_expand_to_same_rank(y_true, sample_weight, expand_rank_1=False)
    if top_k is not None:
        y_pred = _filter_top_k(y_pred, top_k)
    if class_id is not None:
        if y_pred.ndim == 1:
            raise ValueError("When class_id is provided, y_pred must be a 2D array with shape (num_samples, "
                             f"num_classes), found shape: {tuple(y_pred.shape)}")
        y_true = y_true[..., class_id, None]
        y_pred = y_pred[..., class_id, None]
    if label_weights is not None:
        label_weights = _thresholds_on(label_weights, y_pred)
    if evenly:
        counts = _confusion_bucketed(y_true, y_pred, len(thresholds), multi_label, sample_weight, label_weights,
                                     thresholds[0] < 0.0 or thresholds[-1] > 1.0, which)
    else:
        counts = _confusion_compared(y_true, y_pred, thresholds, multi_label, sample_weight, label_weights, which)
    for key, variable in which.items():
        variable.add_(counts[key])


_THRESHOLDS = {}


def _thresholds_on(thresholds, like):
    """Thresholds (or label weights) as a tensor on `like`'s device, made once: a
    host-to-device copy at every update would make the host wait for the device."""
    key = (tuple(thresholds), like.device, like.dtype)
    thr = _THRESHOLDS.get(key)
    if thr is None:
        thr = torch.as_tensor(np.asarray(thresholds, dtype=np.float32), dtype=like.dtype, device=like.device)
        if len(_THRESHOLDS) > 256:
            _THRESHOLDS.clear()
        _THRESHOLDS[key] = thr
    return thr


def _confusion_compared(y_true, y_pred, thresholds, multi_label, sample_weight, label_weights, which):
    thr = _thresholds_on(thresholds, y_pred)
    if multi_label:
        preds = y_pred.unsqueeze(0)                             # (1, N, L)
        labels = y_true.bool().unsqueeze(0)
        thr = thr.reshape(-1, 1, 1)                             # (T, 1, 1)
    else:
        preds = y_pred.reshape(1, -1)                           # (1, N*L)
        labels = y_true.bool().reshape(1, -1)
        thr = thr.reshape(-1, 1)                                # (T, 1)
    pred_pos = preds > thr                                      # (T, ...)
    weights = None
    if sample_weight is not None:
        weights = torch.broadcast_to(sample_weight, y_pred.shape).reshape(preds.shape)
    if label_weights is not None and not multi_label:
        lw = torch.broadcast_to(label_weights.unsqueeze(0), y_pred.shape).reshape(preds.shape)
        weights = lw if weights is None else weights * lw
    cases = {"tp": (labels, pred_pos), "fn": (labels, ~pred_pos), "fp": (~labels, pred_pos),
             "tn": (~labels, ~pred_pos)}
    out = {}
    for key in which:
        label, pred = cases[key]
        hit = (label & pred).to(y_pred.dtype)
        if weights is not None:
            hit = hit * weights
        out[key] = hit.sum(1)
    return out


def _confusion_bucketed(y_true, y_pred, num_thresholds, multi_label, sample_weight, label_weights,
                        with_epsilon, which):
    """Evenly spaced thresholds: each prediction falls into one bucket; counts above each
    threshold are reversed cumulative sums of the bucket totals."""
    weights = 1.0
    if sample_weight is not None:
        weights = torch.broadcast_to(sample_weight, y_pred.shape)
        if not multi_label:
            weights = weights.reshape(-1)
    if label_weights is not None:
        lw = torch.broadcast_to(label_weights.unsqueeze(0), y_pred.shape)
        if not multi_label:
            lw = lw.reshape(-1)
        weights = weights * lw
    y_pred = torch.clamp(y_pred, 0.0, 1.0)
    y_true = y_true.bool().to(y_pred.dtype)
    if not multi_label:
        y_true, y_pred = y_true.reshape(-1), y_pred.reshape(-1)
    true_labels = y_true * weights
    false_labels = (1.0 - y_true) * weights
    bucket = torch.ceil(y_pred * (num_thresholds - 1)) - 1
    if with_epsilon:
        bucket = torch.relu(bucket)
    bucket = bucket.long()
    valid = bucket >= 0   # a prediction of exactly 0 without epsilon thresholds counts nowhere
    bucket = torch.where(valid, bucket, torch.zeros_like(bucket))
    # ...but still counts in the totals, so it is a false negative (or true negative) everywhere.
    all_true_labels = true_labels
    true_labels = torch.where(valid, true_labels, torch.zeros_like(true_labels))
    false_labels_b = torch.where(valid, false_labels, torch.zeros_like(false_labels))
    if multi_label:
        num_labels = y_pred.shape[1]
        flat = (bucket * num_labels + torch.arange(num_labels, device=bucket.device)).reshape(-1)
        size = num_thresholds * num_labels

        def sums(v):
            return torch.zeros(size, dtype=v.dtype, device=v.device).index_add_(0, flat, v.reshape(-1)).reshape(
                num_thresholds, num_labels)
    else:
        def sums(v):
            return torch.zeros(num_thresholds, dtype=v.dtype, device=v.device).index_add_(0, bucket, v)
    tp = torch.flip(torch.cumsum(torch.flip(sums(true_labels), [0]), 0), [0])
    fp = torch.flip(torch.cumsum(torch.flip(sums(false_labels_b), [0]), 0), [0])
    out = {"tp": tp, "fp": fp}
    if "tn" in which or "fn" in which:
        total_true = all_true_labels.sum(0) if multi_label else all_true_labels.sum()
        total_false = false_labels.sum(0) if multi_label else false_labels.sum()
        out["tn"] = total_false - fp
        out["fn"] = total_true - tp
    return out


def _parse_thresholds(thresholds, default):
    if thresholds is None:
        return [default]
    values = list(thresholds) if isinstance(thresholds, (list, tuple, np.ndarray)) else [thresholds]
    for t in values:
        if t is None or t < 0 or t > 1:
            raise ValueError(f"Threshold values must be in [0, 1]. Received: {values}")
    return [float(t) for t in values]


class _ConfusionCounts(Metric):
    """Precision / Recall / TruePositives ...: counts per threshold."""

    _counts = ()

    def __init__(self, thresholds=None, top_k=None, class_id=None, name=None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.init_thresholds = thresholds
        self.top_k = top_k
        self.class_id = class_id
        self.thresholds = _parse_thresholds(thresholds, 0.5 if top_k is None else NEG_INF)
        self._evenly = _evenly_distributed(self.thresholds)
        self._which = {key: self.add_variable(shape=(len(self.thresholds),)) for key in self._counts}

    def update_state(self, y_true, y_pred, sample_weight=None):
        _confusion_update(self, self._which, y_true, y_pred, self.thresholds, top_k=self.top_k,
                          class_id=self.class_id, sample_weight=sample_weight, evenly=self._evenly)

    def _count(self, key):
        return self._which[key]

    def _single(self, value):
        return value[0] if len(self.thresholds) == 1 else value

    def get_config(self):
        return {**super().get_config(), "thresholds": self.init_thresholds, "top_k": self.top_k,
                "class_id": self.class_id}


class Precision(_ConfusionCounts):
    _counts = ("tp", "fp")

    def result(self):
        tp = self._count("tp")
        return self._single(_divide_no_nan(tp, tp + self._count("fp")))


class Recall(_ConfusionCounts):
    _counts = ("tp", "fn")

    def result(self):
        tp = self._count("tp")
        return self._single(_divide_no_nan(tp, tp + self._count("fn")))


class _SingleCount(Metric):
    _key = None

    def __init__(self, thresholds=None, name=None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.init_thresholds = thresholds
        self.thresholds = _parse_thresholds(thresholds, 0.5)
        self._evenly = _evenly_distributed(self.thresholds)
        self._which = {self._key: self.add_variable(shape=(len(self.thresholds),))}

    def update_state(self, y_true, y_pred, sample_weight=None):
        _confusion_update(self, self._which, y_true, y_pred, self.thresholds, sample_weight=sample_weight,
                          evenly=self._evenly)

    def result(self):
        value = self._which[self._key]
        return value[0] if len(self.thresholds) == 1 else value.clone()

    def get_config(self):
        return {**super().get_config(), "thresholds": self.init_thresholds}


class TruePositives(_SingleCount):
    _key = "tp"


class TrueNegatives(_SingleCount):
    _key = "tn"


class FalsePositives(_SingleCount):
    _key = "fp"


class FalseNegatives(_SingleCount):
    _key = "fn"


class AUC(Metric):
    """Area under the ROC or PR curve from counts at `num_thresholds` thresholds (Keras's
    Riemann sum with 'interpolation' by default; PR uses Davis & Goadrich interpolation)."""

    def __init__(self, num_thresholds=200, curve="ROC", summation_method="interpolation", name=None, dtype=None,
                 thresholds=None, multi_label=False, num_labels=None, label_weights=None, from_logits=False):
        curve = str(curve).upper()
        if curve not in ("ROC", "PR", "PRGAIN"):
            raise ValueError(f'Invalid AUC curve value: "{curve}". Expected values are ["PR", "ROC", "PRGAIN"]')
        summation_method = str(summation_method).lower()
        if summation_method not in ("interpolation", "majoring", "minoring"):
            raise ValueError(f'Invalid AUC summation method value: "{summation_method}". Expected values are '
                             '["interpolation", "majoring", "minoring"]')
        super().__init__(name=name, dtype=dtype)
        self._init_from_thresholds = thresholds is not None
        if thresholds is not None:
            self.num_thresholds = len(thresholds) + 2
            thresholds = sorted(thresholds)
            self._evenly = _evenly_distributed(np.array([0.0] + thresholds + [1.0]))
        else:
            if num_thresholds <= 1:
                raise ValueError(f"Argument `num_thresholds` must be an integer > 1. Received: "
                                 f"num_thresholds={num_thresholds}")
            self.num_thresholds = num_thresholds
            thresholds = [(i + 1) * 1.0 / (num_thresholds - 1) for i in range(num_thresholds - 2)]
            self._evenly = True
        self._thresholds = [0.0 - EPSILON] + list(thresholds) + [1.0 + EPSILON]
        self.curve = curve
        self.summation_method = summation_method
        self.multi_label = multi_label
        self.num_labels = num_labels
        self.label_weights = None if label_weights is None else [float(w) for w in np.asarray(label_weights).ravel()]
        self._from_logits = from_logits
        self._which = None
        if multi_label:
            if num_labels:
                self._build(num_labels)
        else:
            if num_labels:
                raise ValueError("`num_labels` is needed only when `multi_label` is True.")
            self._build(None)

    @property
    def thresholds(self):
        return list(self._thresholds)

    def _build(self, num_labels):
        shape = (self.num_thresholds,) if num_labels is None else (self.num_thresholds, num_labels)
        self._num_labels = num_labels
        self._which = {key: self.add_variable(shape=shape) for key in ("tp", "fp", "tn", "fn")}

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_pred = _tensor(y_pred)
        if self._which is None:
            if y_pred.ndim != 2:
                raise ValueError(f"`y_pred` must have rank 2 when `multi_label=True`. Found rank {y_pred.ndim}. "
                                 f"Full shape received for `y_pred`: {tuple(y_pred.shape)}")
            self._build(y_pred.shape[1])
        if self._from_logits:
            y_pred = torch.sigmoid(y_pred)
        _confusion_update(self, self._which, y_true, y_pred, self._thresholds, sample_weight=sample_weight,
                          multi_label=self.multi_label,
                          label_weights=None if self.multi_label else self.label_weights, evenly=self._evenly)

    def _combine(self, by_threshold):
        if not self.multi_label:
            return torch.sum(by_threshold)
        by_label = torch.sum(by_threshold, dim=0)
        if self.label_weights is None:
            return torch.mean(by_label)
        lw = _thresholds_on(self.label_weights, by_label)
        return _divide_no_nan(torch.sum(by_label * lw), torch.sum(lw))

    def _interpolate_pr_auc(self, tp, fp, fn):
        n = self.num_thresholds
        dtp = tp[:n - 1] - tp[1:]
        p = tp + fp
        dp = p[:n - 1] - p[1:]
        prec_slope = _divide_no_nan(dtp, torch.clamp(dp, min=0))
        intercept = tp[1:] - prec_slope * p[1:]
        safe_p_ratio = torch.where((p[:n - 1] > 0) & (p[1:] > 0), _divide_no_nan(p[:n - 1], torch.clamp(p[1:], min=0)),
                                   torch.ones_like(p[1:]))
        increment = _divide_no_nan(prec_slope * (dtp + intercept * torch.log(safe_p_ratio)),
                                   torch.clamp(tp[1:] + fn[1:], min=0))
        return self._combine(increment)

    def result(self):
        if self._which is None:
            return torch.zeros((), dtype=self._dtype)
        tp, fp, tn, fn = (self._which[k] for k in ("tp", "fp", "tn", "fn"))
        n = self.num_thresholds
        if self.curve == "PR" and self.summation_method == "interpolation":
            return self._interpolate_pr_auc(tp, fp, fn)
        recall = _divide_no_nan(tp, tp + fn)
        if self.curve == "ROC":
            x, y = _divide_no_nan(fp, fp + tn), recall
        elif self.curve == "PR":
            x, y = recall, _divide_no_nan(tp, tp + fp)
        else:  # PRGAIN
            scale = _divide_no_nan(tp + fn, tn + fp)
            recall_gain = 1.0 - scale * _divide_no_nan(fn, tp)
            precision_gain = 1.0 - scale * _divide_no_nan(fp, tp)
            recall_gain = torch.clamp(torch.where(tp == 0, torch.zeros_like(tp), recall_gain), min=0.0)
            precision_gain = torch.where(tp == 0, torch.ones_like(tp), precision_gain)
            x, y = recall_gain, precision_gain
        if self.summation_method == "interpolation":
            heights = (y[:n - 1] + y[1:]) / 2.0
        elif self.summation_method == "minoring":
            heights = torch.minimum(y[:n - 1], y[1:])
        else:
            heights = torch.maximum(y[:n - 1], y[1:])
        return self._combine((x[:n - 1] - x[1:]) * heights)

    def reset_state(self):
        super().reset_state()

    def get_config(self):
        config = {
            "num_thresholds": self.num_thresholds,
            "curve": self.curve,
            "summation_method": self.summation_method,
            "multi_label": self.multi_label,
            "num_labels": self.num_labels,
            "label_weights": self.label_weights,
            "from_logits": self._from_logits,
        }
        if self._init_from_thresholds:
            config["thresholds"] = self.thresholds[1:-1]
        return {**super().get_config(), **config}


# ----------------------------------------------------------------------------- lookup

_ALL = [Metric, Mean, Sum, MeanMetricWrapper, MeanSquaredError, RootMeanSquaredError, MeanAbsoluteError,
        MeanAbsolutePercentageError, MeanSquaredLogarithmicError, CosineSimilarity, LogCoshError, AUC, Precision,
        Recall, TruePositives, TrueNegatives, FalsePositives, FalseNegatives, Hinge, SquaredHinge, CategoricalHinge,
        KLDivergence, Poisson, BinaryCrossentropy, CategoricalCrossentropy, SparseCategoricalCrossentropy, Accuracy,
        BinaryAccuracy, CategoricalAccuracy, SparseCategoricalAccuracy, TopKCategoricalAccuracy,
        SparseTopKCategoricalAccuracy]
_CLASSES = {cls.__name__: cls for cls in _ALL}
_CLASSES.update({backend.to_snake_case(cls.__name__): cls for cls in _ALL})
_CLASSES.update({
    "bce": BinaryCrossentropy, "BCE": BinaryCrossentropy, "mse": MeanSquaredError, "MSE": MeanSquaredError,
    "mae": MeanAbsoluteError, "MAE": MeanAbsoluteError, "mape": MeanAbsolutePercentageError,
    "MAPE": MeanAbsolutePercentageError, "msle": MeanSquaredLogarithmicError, "MSLE": MeanSquaredLogarithmicError,
    # Keras 2 spellings that name the same computations.
    "kld": KLDivergence, "KLD": KLDivergence, "kullback_leibler_divergence": KLDivergence, "logcosh": LogCoshError,
    "log_cosh": LogCoshError, "cosine_proximity": CosineSimilarity, "cosine": CosineSimilarity,
})

_FUNCTIONS = {fn.__name__: fn for fn in (
    accuracy, binary_accuracy, categorical_accuracy, sparse_categorical_accuracy, top_k_categorical_accuracy,
    sparse_top_k_categorical_accuracy, cosine_similarity, mean_squared_error, mean_absolute_error,
    mean_absolute_percentage_error, mean_squared_logarithmic_error, binary_crossentropy, categorical_crossentropy,
    sparse_categorical_crossentropy, binary_focal_crossentropy, categorical_focal_crossentropy, hinge,
    squared_hinge, categorical_hinge, kl_divergence, poisson, log_cosh, huber)}
_FUNCTIONS.update({"mse": mse, "MSE": mse, "mae": mae, "MAE": mae, "mape": mape, "MAPE": mape, "msle": msle,
                   "MSLE": msle})


def _function(identifier):
    if isinstance(identifier, dict):
        identifier = identifier.get("config") if identifier.get("class_name") == "function" else identifier.get(
            "registered_name") or identifier.get("class_name")
    fn = _FUNCTIONS.get(identifier) or losses_mod._FUNCTIONS.get(identifier)
    if fn is None:
        from keraslite.saving.registry import get_registered_object

        fn = get_registered_object(identifier)
    if fn is None:
        raise ValueError(_unknown(identifier))
    return fn


def _unknown(identifier):
    hint = ""
    if identifier in ("acc", "crossentropy", "ce"):
        hint = (f" '{identifier}' is resolved by compile() from the shapes of the labels and outputs; pass it in "
                "compile(metrics=[...]) or use an explicit metric such as 'categorical_accuracy'.")
    return (f"Could not interpret metric identifier: {identifier!r}.{hint} Valid names are: "
            f"{', '.join(sorted(_CLASSES))}.")


def serialize(metric):
    from keraslite.saving.serialization import serialize_keras_object

    return serialize_keras_object(metric)


def deserialize(config, custom_objects=None):
    return get(config, custom_objects)


def get(identifier, custom_objects=None):
    """A Metric object from a name, class, instance, function or config dict (None stays None)."""
    if identifier is None:
        return None
    if isinstance(identifier, Metric):
        return identifier
    if isinstance(identifier, type) and issubclass(identifier, Metric):
        return identifier()
    if isinstance(identifier, dict):
        class_name = identifier.get("class_name")
        if class_name == "function":
            return get(identifier.get("config"), custom_objects)
        from keraslite.saving.registry import class_for_config

        cls = class_for_config(identifier, _CLASSES, custom_objects)
        if cls is None:
            raise ValueError(_unknown(class_name))
        if isinstance(cls, type):
            return cls.from_config(dict(identifier.get("config") or {}))
        return get(cls)
    if isinstance(identifier, str):
        cls = _CLASSES.get(identifier)
        if cls is None:
            from keraslite.saving.registry import get_registered_object

            obj = get_registered_object(identifier, custom_objects)
            if obj is None:
                raise ValueError(_unknown(identifier))
            return get(obj)
        return cls()
    if callable(identifier):
        return MeanMetricWrapper(identifier, name=getattr(identifier, "__name__", None) or getattr(
            identifier, "name", None))
    raise ValueError(_unknown(identifier))


# ----------------------------------------------------------------------------- F-scores, R2, IoU, ...
# These metrics size their accumulators from the first batch (the number of classes or
# outputs), as Keras does; until then they hold no state.

def _as_rank2(metric, y_true, y_pred):
    if y_pred.ndim != 2 or y_true.ndim != 2:
        raise ValueError(f"{type(metric).__name__} expects 2D inputs with shape (batch_size, output_dim). "
                         f"Received input shapes: y_pred.shape={tuple(y_pred.shape)} and "
                         f"y_true.shape={tuple(y_true.shape)}.")


class FBetaScore(Metric):
    """F-beta score per class (or averaged 'micro', 'macro', 'weighted') from thresholded
    predictions; with threshold=None the top-scoring class of each row counts as predicted."""

    _AVERAGES = (None, "micro", "macro", "weighted")

    def __init__(self, average=None, beta=1.0, threshold=None, name="fbeta_score", dtype=None):
        super().__init__(name=name, dtype=dtype)
        cls = type(self).__name__
        if average not in self._AVERAGES:
            raise ValueError(f"{cls}: invalid `average`. Expected one of {{None, 'micro', 'macro', 'weighted'}}. "
                             f"Received: average={average!r}")
        if not isinstance(beta, float):
            raise ValueError(f"{cls}: `beta` must be a Python float. Received: beta={beta!r} of type "
                             f"{type(beta).__name__}")
        if beta <= 0.0:
            raise ValueError(f"{cls}: `beta` must be > 0. Received: beta={beta}")
        if threshold is not None:
            if not isinstance(threshold, float):
                raise ValueError(f"{cls}: `threshold` must be a Python float or None. Received: "
                                 f"threshold={threshold!r} of type {type(threshold).__name__}")
            if not 0.0 < threshold <= 1.0:
                raise ValueError(f"{cls}: `threshold` must satisfy 0 < threshold <= 1. Received: "
                                 f"threshold={threshold}")
        self.average = average
        self.beta = beta
        self.threshold = threshold
        self.axis = None if average == "micro" else 0
        self._slots = None

    def _build(self, num_classes):
        shape = () if self.average == "micro" else (num_classes,)
        self._slots = [self.add_variable(shape=shape, name=n) for n in
                       ("true_positives", "false_positives", "false_negatives", "intermediate_weights")]

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_pred = _tensor(y_pred, self._dtype)
        y_true = _tensor(y_true, self._dtype, y_pred.device)
        if self._slots is None:
            _as_rank2(self, y_true, y_pred)
            self._build(y_pred.shape[-1])
        self._follow(y_pred)
        if self.threshold is None:
            top = torch.amax(y_pred, dim=-1, keepdim=True)
            predicted = (y_pred >= top) & (torch.abs(y_pred) > 1e-9)
        else:
            predicted = y_pred > self.threshold
        predicted = predicted.to(self._dtype)
        weight = None if sample_weight is None else _tensor(sample_weight, self._dtype, y_pred.device).unsqueeze(1)

        def total(v):
            if weight is not None:
                v = v * weight
            return torch.sum(v) if self.axis is None else torch.sum(v, dim=self.axis)

        tp, fp, fn, support = self._slots
        tp.add_(total(predicted * y_true))
        fp.add_(total(predicted * (1 - y_true)))
        fn.add_(total((1 - predicted) * y_true))
        support.add_(total(y_true))

    def result(self):
        if self._slots is None:
            return torch.zeros((), dtype=self._dtype)
        eps = backend.epsilon()
        tp, fp, fn, support = self._slots
        precision = tp / (tp + fp + eps)
        recall = tp / (tp + fn + eps)
        b2 = self.beta ** 2
        score = (precision * recall) / (b2 * precision + recall + eps) * (1 + b2)
        if self.average == "weighted":
            return torch.sum(score * (support / (torch.sum(support) + eps)))
        if self.average is not None:
            return torch.mean(score)
        return score

    def get_config(self):
        return {**super().get_config(), "average": self.average, "beta": self.beta, "threshold": self.threshold}


class F1Score(FBetaScore):
    """FBetaScore with beta = 1."""

    def __init__(self, average=None, threshold=None, name="f1_score", dtype=None):
        super().__init__(average=average, beta=1.0, threshold=threshold, name=name, dtype=dtype)

    def get_config(self):
        config = super().get_config()
        del config["beta"]
        return config


class R2Score(Metric):
    """Coefficient of determination over everything seen, per output column, then aggregated
    ('uniform_average', 'variance_weighted_average' or None); `num_regressors` > 0 gives the
    adjusted R2."""

    _AGGREGATIONS = (None, "uniform_average", "variance_weighted_average")

    def __init__(self, class_aggregation="uniform_average", num_regressors=0, name="r2_score", dtype=None):
        super().__init__(name=name, dtype=dtype)
        if class_aggregation not in self._AGGREGATIONS:
            raise ValueError(f"R2Score: invalid `class_aggregation`. Expected one of {self._AGGREGATIONS}. "
                             f"Received: class_aggregation={class_aggregation!r}")
        if num_regressors < 0:
            raise ValueError(f"R2Score: `num_regressors` must be >= 0. Received: num_regressors={num_regressors}")
        self.class_aggregation = class_aggregation
        self.num_regressors = num_regressors
        self._num_samples = self.add_variable(name="num_samples")
        self._slots = None

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_pred = _tensor(y_pred, self._dtype)
        y_true = _tensor(y_true, self._dtype, y_pred.device)
        y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
        if self._slots is None:
            _as_rank2(self, y_true, y_pred)
            shape = (y_pred.shape[-1],)
            self._slots = [self.add_variable(shape=shape, name=n) for n in ("squared_sum", "sum", "residual", "count")]
        self._follow(y_pred)
        weight = torch.ones((), dtype=self._dtype, device=y_pred.device) if sample_weight is None else \
            _tensor(sample_weight, self._dtype, y_pred.device)
        if weight.ndim == 1:
            weight = weight.unsqueeze(1)
        weight = torch.broadcast_to(weight, y_true.shape)
        squared_sum, total, residual, count = self._slots
        weighted = y_true * weight
        total.add_(torch.sum(weighted, dim=0))
        squared_sum.add_(torch.sum(y_true * weighted, dim=0))
        residual.add_(torch.sum(torch.square(y_true - y_pred) * weight, dim=0))
        count.add_(torch.sum(weight, dim=0))
        self._num_samples.add_(y_true.numel())

    def result(self):
        if self._slots is None:
            return torch.zeros((), dtype=self._dtype)
        squared_sum, total, residual, count = self._slots
        mean = total / count
        spread = squared_sum - total * mean
        raw = 1 - residual / spread
        raw = torch.where(torch.isinf(raw), torch.zeros_like(raw), raw)
        if self.class_aggregation == "uniform_average":
            score = torch.mean(raw)
        elif self.class_aggregation == "variance_weighted_average":
            score = torch.sum(spread * raw) / torch.sum(spread)
        else:
            score = raw
        if self.num_regressors:
            import warnings

            n = float(self._num_samples)
            p = float(self.num_regressors)
            if p > n - 1:
                warnings.warn("More independent predictors than datapoints in adjusted R2 score. Falling back "
                              "to standard R2 score.", stacklevel=2)
            elif p == n - 1:
                warnings.warn("Division by zero in adjusted R2 score. Falling back to standard R2 score.",
                              stacklevel=2)
            else:
                score = 1.0 - (1.0 - score) * (n - 1.0) / (n - p - 1.0)
        return score

    def get_config(self):
        return {**super().get_config(), "class_aggregation": self.class_aggregation,
                "num_regressors": self.num_regressors}


# IoU family: one accumulated (num_classes x num_classes) confusion matrix, rows = labels,
# columns = predictions; the result is the mean IoU over the target classes that occurred.

class IoU(Metric):
    """Intersection-over-union of `target_class_ids`, averaged over those that have any
    label or prediction."""

    def __init__(self, num_classes, target_class_ids, name=None, dtype=None, ignore_class=None, sparse_y_true=True,
                 sparse_y_pred=True, axis=-1):
        super().__init__(name=name, dtype=dtype or "int")
        target_class_ids = list(target_class_ids)
        if not target_class_ids:
            raise ValueError(f"{type(self).__name__}: `target_class_ids` must not be empty.")
        if max(target_class_ids) >= num_classes:
            raise ValueError(f"{type(self).__name__}: target class id {max(target_class_ids)} is out of range, "
                             f"which is [0, {num_classes}). Received: target_class_ids={target_class_ids}")
        self.num_classes = num_classes
        self.target_class_ids = target_class_ids
        self.ignore_class = ignore_class
        self.sparse_y_true = sparse_y_true
        self.sparse_y_pred = sparse_y_pred
        self.axis = axis
        self._matrix = self.add_variable(shape=(num_classes, num_classes), name="total_confusion_matrix")

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_pred = _tensor(y_pred)
        y_true = _tensor(y_true, device=y_pred.device)
        if not self.sparse_y_true:
            y_true = _class_indices(y_true) if self.axis == -1 else torch.argmax(y_true, dim=self.axis)
        if not self.sparse_y_pred:
            y_pred = torch.argmax(y_pred, dim=self.axis)
        y_true = y_true.to(self._dtype).reshape(-1)
        y_pred = y_pred.to(self._dtype).reshape(-1)
        self._follow(y_pred)
        if sample_weight is None:
            weight = torch.ones_like(y_true)
        else:
            weight = torch.broadcast_to(_tensor(sample_weight, self._dtype, y_pred.device).reshape(-1),
                                        y_true.shape)
        n = self.num_classes
        keep = (y_true >= 0) & (y_true < n) & (y_pred >= 0) & (y_pred < n)
        if self.ignore_class is not None:
            keep &= y_true != self.ignore_class
        zero = torch.zeros_like(y_true)
        y_true, y_pred = torch.where(keep, y_true, zero), torch.where(keep, y_pred, zero)
        weight = torch.where(keep, weight, torch.zeros_like(weight))
        flat = (y_true.long() * n + y_pred.long())
        counts = torch.zeros(n * n, dtype=self._dtype, device=y_pred.device).index_add_(0, flat, weight)
        self._matrix.add_(counts.reshape(n, n))
        return self._matrix  # Keras returns the accumulated confusion matrix

    def result(self):
        cm = self._matrix
        predicted = torch.sum(cm, dim=0).to(torch.float32)
        labelled = torch.sum(cm, dim=1).to(torch.float32)
        tp = torch.diagonal(cm).to(torch.float32)
        ids = torch.as_tensor(self.target_class_ids, dtype=torch.long, device=cm.device)
        union = (predicted + labelled - tp)[ids]
        tp = tp[ids]
        valid = union > 1e-9
        iou = torch.where(valid, tp / (union + backend.epsilon()), torch.zeros_like(tp))
        return torch.sum(iou, dim=self.axis) / (torch.sum(valid.to(torch.float32)) + backend.epsilon())

    def get_config(self):
        return {**super().get_config(), "num_classes": self.num_classes, "target_class_ids": self.target_class_ids,
                "ignore_class": self.ignore_class, "sparse_y_true": self.sparse_y_true,
                "sparse_y_pred": self.sparse_y_pred, "axis": self.axis}


def _pick(config, keys):
    return {k: config[k] for k in keys}


class BinaryIoU(IoU):
    """IoU for binary labels, a prediction counting as class 1 when >= `threshold`."""

    def __init__(self, target_class_ids=(0, 1), threshold=0.5, name=None, dtype=None):
        super().__init__(num_classes=2, target_class_ids=target_class_ids, name=name, dtype=dtype)
        self.threshold = threshold

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_pred = _tensor(y_pred, torch.float32)
        y_true = _tensor(y_true, self._dtype, y_pred.device)
        return super().update_state(y_true, (y_pred >= self.threshold).to(self._dtype), sample_weight)

    def get_config(self):
        return {"target_class_ids": self.target_class_ids, "threshold": self.threshold, "name": self.name,
                "dtype": self.dtype}


class MeanIoU(IoU):
    """IoU averaged over all `num_classes` classes."""

    def __init__(self, num_classes, name=None, dtype=None, ignore_class=None, sparse_y_true=True,
                 sparse_y_pred=True, axis=-1):
        super().__init__(num_classes=num_classes, target_class_ids=list(range(num_classes)), name=name, dtype=dtype,
                         ignore_class=ignore_class, sparse_y_true=sparse_y_true, sparse_y_pred=sparse_y_pred,
                         axis=axis)

    def get_config(self):
        return _pick(super().get_config(), ("num_classes", "name", "dtype", "ignore_class", "sparse_y_true",
                                            "sparse_y_pred", "axis"))


class OneHotIoU(IoU):
    """IoU with one-hot labels (and by default class scores as predictions)."""

    def __init__(self, num_classes, target_class_ids, name=None, dtype=None, ignore_class=None, sparse_y_pred=False,
                 axis=-1):
        super().__init__(num_classes=num_classes, target_class_ids=target_class_ids, name=name, dtype=dtype,
                         ignore_class=ignore_class, sparse_y_true=False, sparse_y_pred=sparse_y_pred, axis=axis)

    def get_config(self):
        return _pick(super().get_config(), ("num_classes", "target_class_ids", "name", "dtype", "ignore_class",
                                            "sparse_y_pred", "axis"))


class OneHotMeanIoU(MeanIoU):
    """MeanIoU with one-hot labels (and by default class scores as predictions)."""

    def __init__(self, num_classes, name=None, dtype=None, ignore_class=None, sparse_y_pred=False, axis=-1):
        super().__init__(num_classes=num_classes, name=name, dtype=dtype, ignore_class=ignore_class,
                         sparse_y_true=False, sparse_y_pred=sparse_y_pred, axis=axis)

    def get_config(self):
        return _pick(super().get_config(), ("num_classes", "name", "dtype", "ignore_class", "sparse_y_pred", "axis"))


# One quantity maximised subject to another reaching a target, read off confusion counts at
# `num_thresholds` evenly spaced thresholds in [0, 1].

def _rate(num, other):
    return _divide_no_nan(num, num + other)


_RATES = {
    "recall": lambda c: _rate(c["tp"], c["fn"]),
    "sensitivity": lambda c: _rate(c["tp"], c["fn"]),
    "precision": lambda c: _rate(c["tp"], c["fp"]),
    "specificity": lambda c: _rate(c["tn"], c["fp"]),
}


class _RateAtRate(Metric):
    _target = None      # the constrained rate, also the constructor argument's name
    _maximised = None   # the rate reported

    def __init__(self, value, num_thresholds=200, class_id=None, name=None, dtype=None):
        cls = type(self).__name__
        if value < 0 or value > 1:
            raise ValueError(f"{cls}: `{self._target}` must be in the range [0, 1]. Received: "
                             f"{self._target}={value}")
        if num_thresholds <= 0:
            raise ValueError(f"{cls}: `num_thresholds` must be an integer > 0. Received: "
                             f"num_thresholds={num_thresholds}")
        super().__init__(name=name, dtype=dtype)
        self.value = value
        setattr(self, self._target, value)
        self.num_thresholds = num_thresholds
        self.class_id = class_id
        if num_thresholds == 1:
            self.thresholds, self._evenly = [0.5], False
        else:
            self.thresholds = [0.0] + [(i + 1) / (num_thresholds - 1) for i in range(num_thresholds - 2)] + [1.0]
            self._evenly = True
        self._which = {key: self.add_variable(shape=(len(self.thresholds),))
                       for key in ("tp", "fp", "tn", "fn")}

    def update_state(self, y_true, y_pred, sample_weight=None):
        _confusion_update(self, self._which, y_true, y_pred, self.thresholds, class_id=self.class_id,
                          sample_weight=sample_weight, evenly=self._evenly)

    def result(self):
        counts = dict(self._which)
        constrained = _RATES[self._target](counts)
        reported = _RATES[self._maximised](counts)
        feasible = torch.where(constrained >= self.value, reported, torch.zeros_like(reported))
        return torch.clamp(torch.amax(feasible), min=0.0)

    def get_config(self):
        return {**super().get_config(), "class_id": self.class_id, "num_thresholds": self.num_thresholds,
                self._target: self.value}


class SensitivityAtSpecificity(_RateAtRate):
    """Best sensitivity among thresholds whose specificity is >= `specificity`."""
    _target, _maximised = "specificity", "sensitivity"

    def __init__(self, specificity, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(specificity, num_thresholds=num_thresholds, class_id=class_id, name=name, dtype=dtype)


class SpecificityAtSensitivity(_RateAtRate):
    """Best specificity among thresholds whose sensitivity is >= `sensitivity`."""
    _target, _maximised = "sensitivity", "specificity"

    def __init__(self, sensitivity, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(sensitivity, num_thresholds=num_thresholds, class_id=class_id, name=name, dtype=dtype)


class PrecisionAtRecall(_RateAtRate):
    """Best precision among thresholds whose recall is >= `recall`."""
    _target, _maximised = "recall", "precision"

    def __init__(self, recall, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(recall, num_thresholds=num_thresholds, class_id=class_id, name=name, dtype=dtype)


class RecallAtPrecision(_RateAtRate):
    """Best recall among thresholds whose precision is >= `precision`."""
    _target, _maximised = "precision", "recall"

    def __init__(self, precision, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(precision, num_thresholds=num_thresholds, class_id=class_id, name=name, dtype=dtype)


# ----------------------------------------------------------------------------- correlations

def _centered(x, axis):
    return x - torch.mean(x, dim=axis, keepdim=True)


def pearson_correlation(y_true, y_pred, axis=-1):
    """Pearson's r along `axis` (population standard deviations)."""
    y_pred = _tensor(y_pred)
    y_true = _tensor(y_true, y_pred.dtype, y_pred.device)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    t = _centered(y_true, axis)
    p = _centered(y_pred, axis)
    t = t / torch.std(t, dim=axis, keepdim=True, correction=0)
    p = p / torch.std(p, dim=axis, keepdim=True, correction=0)
    return torch.mean(t * p, dim=axis)


def concordance_correlation(y_true, y_pred, axis=-1):
    """Lin's concordance correlation along `axis`, in Keras's formulation (its covariance term
    centres both factors on the prediction mean)."""
    y_pred = _tensor(y_pred)
    y_true = _tensor(y_true, y_pred.dtype, y_pred.device)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    true_mean = torch.mean(y_true, dim=axis, keepdim=True)
    pred_mean = torch.mean(y_pred, dim=axis, keepdim=True)
    true_var = torch.var(y_true - true_mean, dim=axis, keepdim=True, correction=0)
    pred_var = torch.var(y_pred - pred_mean, dim=axis, keepdim=True, correction=0)
    covar = (y_true - pred_mean) * (y_pred - pred_mean)
    norm = true_var + pred_var + torch.square(true_mean - pred_mean)
    return torch.mean(2 * covar / (norm + backend.epsilon()), dim=axis)


class _AxisWrapper(MeanMetricWrapper):
    _function = None

    def __init__(self, name=None, dtype=None, axis=-1):
        super().__init__(type(self)._function, name=name or type(self)._function.__name__, dtype=dtype, axis=axis)
        self.axis = axis

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype, "axis": self.axis}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


class PearsonCorrelation(_AxisWrapper):
    """Mean over samples of `pearson_correlation`."""
    _function = staticmethod(pearson_correlation)

    def __init__(self, name="pearson_correlation", dtype=None, axis=-1):
        super().__init__(name=name, dtype=dtype, axis=axis)


class ConcordanceCorrelation(_AxisWrapper):
    """Mean over samples of `concordance_correlation`."""
    _function = staticmethod(concordance_correlation)

    def __init__(self, name="concordance_correlation", dtype=None, axis=-1):
        super().__init__(name=name, dtype=dtype, axis=axis)


_ALL.extend([R2Score, PrecisionAtRecall, RecallAtPrecision, SensitivityAtSpecificity, SpecificityAtSensitivity,
             ConcordanceCorrelation, PearsonCorrelation, F1Score, FBetaScore, IoU, BinaryIoU, MeanIoU, OneHotIoU,
             OneHotMeanIoU])
_CLASSES.update({cls.__name__: cls for cls in _ALL})
_CLASSES.update({backend.to_snake_case(cls.__name__): cls for cls in _ALL})
_FUNCTIONS.update({fn.__name__: fn for fn in (pearson_correlation, concordance_correlation)})
__all__ += ["FBetaScore", "F1Score", "R2Score", "IoU", "BinaryIoU", "MeanIoU", "OneHotIoU", "OneHotMeanIoU",
            "PrecisionAtRecall", "RecallAtPrecision", "SensitivityAtSpecificity", "SpecificityAtSensitivity",
            "PearsonCorrelation", "ConcordanceCorrelation", "pearson_correlation", "concordance_correlation"]
