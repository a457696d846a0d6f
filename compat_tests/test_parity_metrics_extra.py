"""Parity of the F-score, R2, IoU, *At* (thresholded confusion) and correlation metrics with
real keras.metrics (torch backend): several batches with and without sample weights, the
result after each, config, reset, string lookup, and use through compile/fit."""
import numpy as np
import pytest
import torch

import keraslite
from compat_tests.conftest import keras
from compat_tests.test_parity_metrics import _batches, _np

N = 8


def _extra_batches(kind, seed=0):
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(3):
        if kind == "segment":  # integer class maps, some labels out of range / ignored
            y_true = rng.integers(0, 4, (N, 5))
            y_pred = rng.integers(0, 4, (N, 5))
            y_true[0, 0] = 7
            y_pred[1, 1] = -1
            weights = rng.integers(0, 3, (N, 5)).astype("float32")  # Keras wants one weight per label here
        elif kind == "onehot":
            y_true = np.eye(3, dtype="float32")[rng.integers(0, 3, N)]
            y_pred = rng.uniform(0, 1, (N, 3)).astype("float32")
            weights = rng.integers(0, 3, N).astype("float32")
        elif kind == "binary_flat":
            y_true = rng.integers(0, 2, (N,)).astype("float32")
            y_pred = rng.uniform(0, 1, (N,)).astype("float32")
            weights = rng.integers(0, 3, N).astype("float32")
        elif kind == "r2":
            y_true = rng.normal(0, 2, (N, 3)).astype("float32")
            y_pred = (y_true + rng.normal(0, 1, (N, 3))).astype("float32")
            weights = rng.uniform(0, 2, N).astype("float32")
        elif kind == "r2_1col":
            y_true = rng.normal(0, 2, (N, 1)).astype("float32")
            y_pred = (y_true + rng.normal(0, 1, (N, 1))).astype("float32")
            weights = rng.uniform(0, 2, N).astype("float32")
        else:
            return _batches(kind, seed)
        out.append((y_true, y_pred, weights))
    return out


CASES = [
    ("F1Score", {}, "multilabel"),
    ("F1Score", {"average": "micro", "threshold": 0.5}, "multilabel"),
    ("F1Score", {"average": "macro", "threshold": 0.4}, "multilabel"),
    ("F1Score", {"average": "weighted"}, "categorical"),
    ("FBetaScore", {"beta": 2.0}, "categorical"),
    ("FBetaScore", {"beta": 0.5, "average": "macro", "threshold": 0.3}, "multilabel"),
    ("R2Score", {}, "r2"),
    ("R2Score", {"class_aggregation": None}, "r2"),
    ("R2Score", {"class_aggregation": "variance_weighted_average"}, "r2"),
    ("R2Score", {"num_regressors": 2}, "r2_1col"),
    ("IoU", {"num_classes": 4, "target_class_ids": [0, 2]}, "segment"),
    ("IoU", {"num_classes": 4, "target_class_ids": [1], "ignore_class": 3}, "segment"),
    ("MeanIoU", {"num_classes": 4}, "segment"),
    ("MeanIoU", {"num_classes": 4, "ignore_class": 0}, "segment"),
    ("MeanIoU", {"num_classes": 3, "sparse_y_true": False, "sparse_y_pred": False}, "onehot"),
    ("BinaryIoU", {}, "binary_flat"),
    ("BinaryIoU", {"target_class_ids": [1], "threshold": 0.3}, "binary_flat"),
    ("OneHotIoU", {"num_classes": 3, "target_class_ids": [0, 2]}, "onehot"),
    ("OneHotMeanIoU", {"num_classes": 3}, "onehot"),
    ("PrecisionAtRecall", {"recall": 0.6}, "binary"),
    ("PrecisionAtRecall", {"recall": 0.5, "num_thresholds": 7}, "multilabel"),
    ("RecallAtPrecision", {"precision": 0.5}, "binary"),
    ("RecallAtPrecision", {"precision": 0.7, "class_id": 1}, "categorical"),
    ("SensitivityAtSpecificity", {"specificity": 0.5}, "binary"),
    ("SensitivityAtSpecificity", {"specificity": 0.4, "num_thresholds": 1}, "multilabel"),
    ("SpecificityAtSensitivity", {"sensitivity": 0.6}, "binary"),
    ("SpecificityAtSensitivity", {"sensitivity": 0.3, "num_thresholds": 2, "class_id": 0}, "categorical"),
    # Evenly spaced thresholds without epsilon: a prediction of exactly 0 lies below every
    # bucket yet still counts as a false negative / true negative.
    ("Recall", {"thresholds": [0.0, 0.5, 1.0]}, "binary"),
    ("FalseNegatives", {"thresholds": [0.0, 0.25, 0.5, 0.75, 1.0]}, "binary"),
    ("TrueNegatives", {"thresholds": [0.0, 0.5, 1.0]}, "binary"),
    ("PearsonCorrelation", {}, "regression"),
    ("PearsonCorrelation", {"axis": 0}, "regression"),
    ("ConcordanceCorrelation", {}, "regression"),
]


def _t(x):
    return torch.as_tensor(x)


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("name,kwargs,kind", CASES, ids=[f"{i}-{c[0]}" for i, c in enumerate(CASES)])
def test_metric_accumulation_parity(name, kwargs, kind, weighted):
    k_metric = getattr(keras.metrics, name)(**kwargs)
    l_metric = getattr(keraslite.metrics, name)(**kwargs)
    for y_true, y_pred, w in _extra_batches(kind):
        if weighted and kwargs.get("axis") == 0:
            pytest.skip("per-sample weights do not fit a per-column result (Keras raises too)")
        kw = {"sample_weight": _t(w)} if weighted else {}
        k_metric.update_state(_t(y_true), _t(y_pred), **kw)
        l_metric.update_state(_t(y_true), _t(y_pred), **kw)
        result = l_metric.result()
        assert isinstance(result, torch.Tensor)
        np.testing.assert_allclose(result.numpy(), _np(k_metric.result()), rtol=1e-5, atol=1e-6,
                                   err_msg=f"{name}{kwargs}")
    assert l_metric.name == k_metric.name
    assert l_metric.get_config() == k_metric.get_config()
    again = type(l_metric).from_config(l_metric.get_config())
    assert again.get_config() == l_metric.get_config()
    l_metric.reset_state()
    k_metric.reset_state()
    y_true, y_pred, _ = _extra_batches(kind, seed=1)[0]
    k_metric.update_state(_t(y_true), _t(y_pred))
    l_metric.update_state(y_true, y_pred)  # numpy inputs too
    np.testing.assert_allclose(l_metric.result().numpy(), _np(k_metric.result()), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("fn", ["pearson_correlation", "concordance_correlation"])
@pytest.mark.parametrize("axis", [-1, 0])
def test_correlation_functions(fn, axis):
    y_true, y_pred, _ = _batches("regression")[0]
    expected = _np(getattr(keras.metrics, fn)(_t(y_true), _t(y_pred), axis=axis))
    actual = getattr(keraslite.metrics, fn)(_t(y_true), _t(y_pred), axis=axis)
    np.testing.assert_allclose(actual.numpy(), expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", ["f1_score", "r2_score", "binary_io_u", "pearson_correlation",
                                  "concordance_correlation", "F1Score", "BinaryIoU", "R2Score"])
def test_get_by_name(name):
    k, lite = keras.metrics.get(name), keraslite.metrics.get(name)
    assert type(lite).__name__ == type(k).__name__
    assert lite.name == k.name


@pytest.mark.parametrize("build,cls", [
    (lambda m: m.FBetaScore(beta=1), "FBetaScore"),
    (lambda m: m.FBetaScore(beta=-1.0), "FBetaScore"),
    (lambda m: m.F1Score(average="mean"), "F1Score"),
    (lambda m: m.F1Score(threshold=1.5), "F1Score"),
    (lambda m: m.R2Score(class_aggregation="median"), "R2Score"),
    (lambda m: m.R2Score(num_regressors=-1), "R2Score"),
    (lambda m: m.IoU(num_classes=2, target_class_ids=[2]), "IoU"),
    (lambda m: m.PrecisionAtRecall(recall=1.5), "PrecisionAtRecall"),
    (lambda m: m.SensitivityAtSpecificity(0.5, num_thresholds=0), "SensitivityAtSpecificity"),
])
def test_bad_arguments_raise_like_keras(build, cls):
    with pytest.raises(ValueError):
        build(keras.metrics)
    with pytest.raises(ValueError, match=cls):
        build(keraslite.metrics)


def test_rank_error_names_class():
    with pytest.raises(ValueError, match="F1Score expects 2D"):
        keraslite.metrics.F1Score().update_state(np.ones(3), np.ones(3))


def _pair(build, loss, out_units, activation):
    k_model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(out_units, activation=activation)])
    l_model = keraslite.Sequential([keraslite.Input((4,)), keraslite.layers.Dense(out_units, activation=activation)])
    l_model.set_weights(k_model.get_weights())
    k_model.compile(optimizer=keras.optimizers.SGD(0.1), loss=loss, metrics=build(keras.metrics))
    l_model.compile(optimizer=keraslite.optimizers.SGD(0.1), loss=loss, metrics=build(keraslite.metrics))
    return k_model, l_model


FIT_CASES = [
    ("categorical", "categorical_crossentropy", 3, "softmax",
     lambda m: [m.F1Score(average="macro"), m.OneHotMeanIoU(3), m.RecallAtPrecision(0.3, class_id=0)]),
    ("binary", "binary_crossentropy", 1, "sigmoid",
     lambda m: [m.BinaryIoU(), m.PrecisionAtRecall(0.5), m.SpecificityAtSensitivity(0.5),
                   m.SensitivityAtSpecificity(0.5)]),
    ("regression", "mse", 2, None,
     lambda m: [m.R2Score(), m.PearsonCorrelation(), m.ConcordanceCorrelation()]),
    ("regression", "mse", 2, None, lambda m: ["r2_score", "pearson_correlation"]),  # by name
]


@pytest.mark.parametrize("kind,loss,units,activation,build", FIT_CASES,
                         ids=[f"{i}-{c[0]}" for i, c in enumerate(FIT_CASES)])
def test_metrics_in_fit(kind, loss, units, activation, build):
    rng = np.random.default_rng(3)
    x = rng.normal(size=(32, 4)).astype("float32")
    if kind == "categorical":
        y = np.eye(3, dtype="float32")[rng.integers(0, 3, 32)]
    elif kind == "binary":
        y = rng.integers(0, 2, (32, 1)).astype("float32")
    else:
        y = rng.normal(size=(32, 2)).astype("float32")
    k_model, l_model = _pair(build, loss, units, activation)
    k_hist = k_model.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0).history
    l_hist = l_model.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0).history
    assert sorted(l_hist) == sorted(k_hist)
    for key in k_hist:
        np.testing.assert_allclose(l_hist[key], k_hist[key], rtol=1e-4, atol=1e-5, err_msg=key)
    k_eval = k_model.evaluate(x, y, batch_size=8, verbose=0, return_dict=True)
    l_eval = l_model.evaluate(x, y, batch_size=8, verbose=0, return_dict=True)
    for key in k_eval:
        np.testing.assert_allclose(l_eval[key], k_eval[key], rtol=1e-4, atol=1e-5, err_msg=key)


def test_keras_file_with_new_losses_and_metrics_loads_and_evaluates(tmp_path):
    rng = np.random.default_rng(8)
    x = rng.normal(size=(16, 4)).astype("float32")
    y = rng.integers(0, 2, (16, 3)).astype("float32")
    k_model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation="sigmoid")])
    k_model.compile(optimizer="adam", loss=keras.losses.Tversky(alpha=0.3, beta=0.7),
                    metrics=[keras.metrics.F1Score(average="micro", threshold=0.5), keras.metrics.BinaryIoU(),
                             keras.metrics.R2Score()])
    k_model.fit(x, y, epochs=1, batch_size=8, verbose=0, shuffle=False)
    path = str(tmp_path / "m.keras")
    k_model.save(path)
    loaded = keraslite.saving.load_model(path)
    k_eval = k_model.evaluate(x, y, batch_size=8, verbose=0, return_dict=True)
    l_eval = loaded.evaluate(x, y, batch_size=8, verbose=0, return_dict=True)
    assert sorted(l_eval) == sorted(k_eval)
    for key in k_eval:
        np.testing.assert_allclose(l_eval[key], k_eval[key], rtol=1e-5, atol=1e-6, err_msg=key)
    again_path = str(tmp_path / "again.keras")
    loaded.save(again_path)
    again = keraslite.saving.load_model(again_path)
    for key, value in again.evaluate(x, y, batch_size=8, verbose=0, return_dict=True).items():
        np.testing.assert_allclose(value, l_eval[key], rtol=1e-6, atol=1e-7, err_msg=key)


def test_stateless_metric_api():
    # Deep Learning with Python, 3rd ed., ch. 7: the metric's own state is untouched.
    def run(lib):
        metric = lib.metrics.SparseCategoricalAccuracy()
        targets = lib.ops.array([0, 1, 2])
        predictions = lib.ops.array([[1, 0, 0], [0, 1, 0], [0, 0.6, 0.4]])
        values = metric.stateless_update_state(metric.variables, targets, predictions)
        again = metric.stateless_update_state(values, targets, predictions)
        reset = metric.stateless_reset_state()
        own = [lib.ops.convert_to_numpy(v) for v in metric.variables]
        return (float(metric.stateless_result(values)), float(metric.stateless_result(again)),
                [lib.ops.convert_to_numpy(v).tolist() for v in reset], [o.tolist() for o in own])

    assert run(keraslite) == run(keras)


@pytest.mark.parametrize("name,kwargs", [("IoU", {"num_classes": 2, "target_class_ids": [0]}),
                                         ("MeanIoU", {"num_classes": 2}), ("BinaryIoU", {})])
def test_iou_update_state_returns_the_confusion_matrix(name, kwargs):
    k = getattr(keras.metrics, name)(**kwargs).update_state([0, 0, 1, 1], [0, 1, 0, 1])
    lite = getattr(keraslite.metrics, name)(**kwargs).update_state([0, 0, 1, 1], [0, 1, 0, 1])
    np.testing.assert_array_equal(keraslite.ops.convert_to_numpy(lite), keras.ops.convert_to_numpy(k))
