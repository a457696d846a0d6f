"""Metric unit tests: get() resolution and names, accumulation against numpy formulas,
reset, accumulators following the data's device, config round trips, and no device
synchronisation in update_state (CUDA only)."""
import numpy as np
import pytest
import torch

import keraslite
from keraslite import metrics

NAMES = {
    "accuracy": (metrics.Accuracy, "accuracy"), "binary_accuracy": (metrics.BinaryAccuracy, "binary_accuracy"),
    "categorical_accuracy": (metrics.CategoricalAccuracy, "categorical_accuracy"),
    "sparse_categorical_accuracy": (metrics.SparseCategoricalAccuracy, "sparse_categorical_accuracy"),
    "top_k_categorical_accuracy": (metrics.TopKCategoricalAccuracy, "top_k_categorical_accuracy"),
    "sparse_top_k_categorical_accuracy": (metrics.SparseTopKCategoricalAccuracy,
                                          "sparse_top_k_categorical_accuracy"),
    "mse": (metrics.MeanSquaredError, "mean_squared_error"), "MSE": (metrics.MeanSquaredError, "mean_squared_error"),
    "mae": (metrics.MeanAbsoluteError, "mean_absolute_error"),
    "mape": (metrics.MeanAbsolutePercentageError, "mean_absolute_percentage_error"),
    "msle": (metrics.MeanSquaredLogarithmicError, "mean_squared_logarithmic_error"),
    "root_mean_squared_error": (metrics.RootMeanSquaredError, "root_mean_squared_error"),
    "bce": (metrics.BinaryCrossentropy, "binary_crossentropy"),
    "binary_crossentropy": (metrics.BinaryCrossentropy, "binary_crossentropy"),
    "categorical_crossentropy": (metrics.CategoricalCrossentropy, "categorical_crossentropy"),
    "sparse_categorical_crossentropy": (metrics.SparseCategoricalCrossentropy, "sparse_categorical_crossentropy"),
    "kld": (metrics.KLDivergence, "kl_divergence"), "auc": (metrics.AUC, "auc"), "AUC": (metrics.AUC, "auc"),
    "precision": (metrics.Precision, "precision"), "recall": (metrics.Recall, "recall"),
    "hinge": (metrics.Hinge, "hinge"), "logcosh": (metrics.LogCoshError, "logcosh"),
    "cosine_similarity": (metrics.CosineSimilarity, "cosine_similarity"),
}


@pytest.mark.parametrize("name", list(NAMES))
def test_get_names(name):
    cls, metric_name = NAMES[name]
    m = metrics.get(name)
    assert type(m) is cls and m.name == metric_name


def test_get_other_identifiers():
    m = metrics.Precision(thresholds=0.3)
    assert metrics.get(m) is m
    assert isinstance(metrics.get(metrics.Recall), metrics.Recall)
    assert metrics.get(None) is None
    wrapped = metrics.get(metrics.binary_accuracy)
    assert isinstance(wrapped, metrics.MeanMetricWrapper) and wrapped.name == "binary_accuracy"
    with pytest.raises(ValueError, match="'acc'.*compile"):
        metrics.get("acc")
    with pytest.raises(ValueError, match="Could not interpret metric identifier: 'accuracyy'"):
        metrics.get("accuracyy")


def test_mean_accumulates_with_weights():
    m = metrics.Mean()
    m.update_state([1.0, 2.0, 3.0])
    m.update_state([10.0], sample_weight=[0.5])
    assert float(m.result()) == pytest.approx((1 + 2 + 3 + 5) / 3.5)
    m.reset_state()
    assert float(m.result()) == 0.0
    s = metrics.Sum()
    s.update_state(np.ones((2, 3)))
    assert float(s.result()) == 6.0


def test_binary_accuracy_and_precision_recall_against_numpy():
    rng = np.random.default_rng(0)
    y_true = rng.integers(0, 2, (20, 1)).astype("float32")
    y_pred = rng.uniform(size=(20, 1)).astype("float32")
    acc, prec, rec = metrics.BinaryAccuracy(), metrics.Precision(), metrics.Recall()
    for m in (acc, prec, rec):
        m.update_state(y_true[:10], y_pred[:10])
        m.update_state(y_true[10:], y_pred[10:])
    pred = y_pred > 0.5
    truth = y_true > 0.5
    assert float(acc.result()) == pytest.approx(np.mean(pred == truth))
    assert float(prec.result()) == pytest.approx((pred & truth).sum() / pred.sum())
    assert float(rec.result()) == pytest.approx((pred & truth).sum() / truth.sum())


def test_auc_of_perfect_and_inverted_ranking():
    y_true = np.array([0, 0, 1, 1], "float32")
    good = metrics.AUC()
    good.update_state(y_true, np.array([0.1, 0.2, 0.8, 0.9], "float32"))
    assert float(good.result()) == pytest.approx(1.0, abs=1e-3)
    bad = metrics.AUC()
    bad.update_state(y_true, np.array([0.9, 0.8, 0.2, 0.1], "float32"))
    assert float(bad.result()) == pytest.approx(0.0, abs=1e-3)


def test_categorical_and_sparse_accuracy_agree():
    rng = np.random.default_rng(1)
    labels = rng.integers(0, 5, 16)
    y_pred = rng.normal(size=(16, 5)).astype("float32")
    cat, sparse = metrics.CategoricalAccuracy(), metrics.SparseCategoricalAccuracy()
    cat.update_state(np.eye(5, dtype="float32")[labels], y_pred)
    sparse.update_state(labels[:, None], y_pred)
    expected = np.mean(y_pred.argmax(-1) == labels)
    assert float(cat.result()) == pytest.approx(expected)
    assert float(sparse.result()) == pytest.approx(expected)


@pytest.mark.parametrize("metric", [metrics.BinaryAccuracy(threshold=0.3), metrics.TopKCategoricalAccuracy(k=3),
                                    metrics.AUC(num_thresholds=50, curve="PR"), metrics.Precision(thresholds=[0.2, 0.7]),
                                    metrics.Recall(top_k=2, class_id=1), metrics.CategoricalCrossentropy(
                                        from_logits=True), metrics.MeanMetricWrapper(metrics.mean_squared_error)])
def test_config_round_trip(metric):
    config = metric.get_config()
    again = type(metric).from_config(config)
    assert again.get_config() == config
    assert metrics.get({"class_name": type(metric).__name__, "config": config}).get_config() == config


def test_result_is_a_tensor_and_call_updates():
    m = metrics.MeanSquaredError()
    out = m(np.zeros((2, 2), "float32"), np.ones((2, 2), "float32"))
    assert isinstance(out, torch.Tensor) and out.ndim == 0 and float(out) == 1.0


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
@pytest.mark.parametrize("factory,kind", [
    (metrics.BinaryAccuracy, "binary"), (metrics.CategoricalAccuracy, "categorical"), (metrics.AUC, "binary"),
    (lambda: metrics.AUC(curve="PR", multi_label=True), "categorical"), (metrics.Precision, "binary"),
    (lambda: metrics.Recall(top_k=2), "categorical"), (lambda: metrics.get("mse"), "categorical"),
    (lambda: metrics.TopKCategoricalAccuracy(k=2), "categorical"), (metrics.RootMeanSquaredError, "categorical"),
    (metrics.SparseCategoricalAccuracy, "sparse"), (lambda: metrics.get("binary_crossentropy"), "binary"),
    (lambda: metrics.get("categorical_crossentropy"), "categorical")])
def test_update_state_never_syncs_and_follows_device(factory, kind):
    dev = "cuda"
    if kind == "binary":
        y_true, y_pred = torch.randint(0, 2, (16, 1), device=dev).float(), torch.rand(16, 1, device=dev)
    elif kind == "sparse":
        y_true, y_pred = torch.randint(0, 4, (16, 1), device=dev), torch.softmax(torch.randn(16, 4, device=dev), -1)
    else:
        y_true = torch.eye(4, device=dev)[torch.randint(0, 4, (16,), device=dev)]
        y_pred = torch.softmax(torch.randn(16, 4, device=dev), -1)
    sw = torch.rand(16, device=dev)
    m = factory()
    m.update_state(y_true, y_pred)  # first update moves the accumulators
    torch.cuda.synchronize()
    torch.cuda.set_sync_debug_mode("error")
    try:
        m.update_state(y_true, y_pred, sample_weight=sw)
        m.update_state(y_true, y_pred)
        result = m.result()
    finally:
        torch.cuda.set_sync_debug_mode(0)
    assert result.device.type == "cuda"


def test_keras2_metric_configs_load():
    m = metrics.get({"class_name": "MeanMetricWrapper", "config": {"name": "accuracy", "dtype": "float32",
                                                                  "fn": "sparse_categorical_accuracy"}})
    assert isinstance(m, metrics.MeanMetricWrapper) and m.name == "accuracy"
    m.update_state(np.array([1, 0]), np.array([[0.1, 0.9], [0.2, 0.8]], "float32"))
    assert float(m.result()) == pytest.approx(0.5)
    auc = metrics.get({"class_name": "AUC", "config": {"name": "auc", "dtype": "float32", "num_thresholds": 200,
                                                       "curve": "ROC", "summation_method": "interpolation",
                                                       "thresholds": None, "multi_label": False,
                                                       "label_weights": None}})
    assert isinstance(auc, metrics.AUC) and auc.num_thresholds == 200


def test_mean_metric_wrapper_on_a_masked_output_with_weights_per_sequence():
    y_true = torch.zeros(2, 3, 1)
    y_pred = torch.tensor([[[1.0], [2.0], [9.0]], [[4.0], [9.0], [9.0]]])
    y_pred._keras_mask = torch.tensor([[True, True, False], [True, False, False]])
    weights = torch.tensor([1.0, 3.0])  # one per sequence, spread over its unmasked steps
    m = metrics.MeanMetricWrapper(lambda t, p: torch.abs(t - p).mean(-1), name="per_step")
    m.update_state(y_true, y_pred, sample_weight=weights)
    assert float(m.result()) == pytest.approx((1 + 2 + 3 * 4) / (1 + 1 + 3))
    # A function that already took the mean of the batch: tf.keras 2 weighs that one value.
    m = metrics.MeanMetricWrapper(lambda t, p: torch.abs(t - p).mean(), name="whole_batch")
    m.update_state(y_true, y_pred, sample_weight=weights)
    assert float(m.result()) == pytest.approx(float(y_pred.mean()))
    # One value per sequence cannot take the mask's per-step weights.
    m = metrics.MeanMetricWrapper(lambda t, p: torch.abs(t - p).mean((1, 2)), name="per_sequence")
    with pytest.raises(ValueError, match=r"values of shape \(2,\).*have shape \(2, 3\).*axis=-1"):
        m.update_state(y_true, y_pred, sample_weight=weights)
    with pytest.raises(ValueError, match=r"sample_weight of shape \(3, 1\) does not fit the mask of shape \(2, 3\)"):
        metrics.MeanMetricWrapper(lambda t, p: p[..., 0]).update_state(y_true, y_pred, torch.ones(3))


def test_model_metrics_container_answers_for_its_single_metric():
    """tf.keras 2 listed the compiled metric objects in `model.metrics` (Hands-On ML reads
    `model.metrics[-1].threshold`); Keras 3 lists a container there. With one compiled metric the
    container gives that metric's attributes; anything else stays an AttributeError."""
    class Thresholded(keraslite.metrics.MeanMetricWrapper):
        def __init__(self, threshold=1.0, **kwargs):
            super().__init__(lambda y, p: keraslite.ops.abs(y - p) < threshold, **kwargs)
            self.threshold = threshold

    model = keraslite.Sequential([keraslite.Input((3,)), keraslite.layers.Dense(1)])
    model.compile("adam", "mse", metrics=[Thresholded(2.0, name="close")])
    model.fit(np.ones((4, 3), "float32"), np.ones((4, 1), "float32"), verbose=0)
    assert repr(model.metrics[-1]) == "<CompileMetrics name=compile_metrics>"
    assert model.metrics[-1].threshold == 2.0
    with pytest.raises(AttributeError):
        model.metrics[-1].not_an_attribute
    two = keraslite.Sequential([keraslite.Input((3,)), keraslite.layers.Dense(1)])
    two.compile("adam", "mse", metrics=[Thresholded(2.0), "mae"])
    two.fit(np.ones((4, 3), "float32"), np.ones((4, 1), "float32"), verbose=0)
    with pytest.raises(AttributeError):
        two.metrics[-1].threshold  # which metric's? none is guessed
