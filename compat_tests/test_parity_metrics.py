"""Metric parity: each keraslite metric and real keras.metrics (torch backend) see the same 3
batches (with and without sample weights); results after each batch must agree, and
reset_state must start over."""
import numpy as np
import pytest
import torch

import keraslite
from compat_tests.conftest import keras

N, C = 8, 4


def _batches(kind, seed=0):
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(3):
        if kind == "binary":
            y_true = rng.integers(0, 2, (N, 1)).astype("float32")
            y_pred = rng.uniform(0, 1, (N, 1)).astype("float32")
            y_pred[0, 0] = 0.0
            y_pred[1, 0] = 1.0
        elif kind == "multilabel":
            y_true = rng.integers(0, 2, (N, 3)).astype("float32")
            y_pred = rng.uniform(0, 1, (N, 3)).astype("float32")
        elif kind == "categorical":
            y_true = np.eye(C, dtype="float32")[rng.integers(0, C, N)]
            logits = rng.normal(0, 2, (N, C))
            y_pred = (np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)).astype("float32")
        elif kind == "sparse":
            y_true = rng.integers(0, C, (N, 1))
            logits = rng.normal(0, 2, (N, C))
            y_pred = (np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)).astype("float32")
        elif kind == "sparse1d":
            y_true = rng.integers(0, C, (N,))
            y_pred = rng.normal(0, 2, (N, C)).astype("float32")
        elif kind == "exact":
            y_true = rng.integers(0, 3, (N, 1)).astype("float32")
            y_pred = rng.integers(0, 3, (N, 1)).astype("float32")
        else:  # regression
            y_true = rng.uniform(0.1, 3, (N, 3)).astype("float32")
            y_pred = rng.uniform(0.1, 3, (N, 3)).astype("float32")
        weights = rng.uniform(0, 2, N).astype("float32")
        out.append((y_true, y_pred, weights))
    return out


CASES = [
    ("Accuracy", {}, "exact"),
    ("BinaryAccuracy", {}, "binary"),
    ("BinaryAccuracy", {"threshold": 0.7}, "multilabel"),
    ("CategoricalAccuracy", {}, "categorical"),
    ("SparseCategoricalAccuracy", {}, "sparse"),
    ("SparseCategoricalAccuracy", {}, "sparse1d"),
    ("TopKCategoricalAccuracy", {"k": 2}, "categorical"),
    ("SparseTopKCategoricalAccuracy", {"k": 2}, "sparse1d"),
    ("SparseTopKCategoricalAccuracy", {"k": 2}, "sparse"),
    ("AUC", {}, "binary"),
    ("AUC", {"curve": "PR"}, "binary"),
    ("AUC", {"num_thresholds": 7, "summation_method": "minoring"}, "binary"),
    ("AUC", {"curve": "PR", "summation_method": "majoring"}, "multilabel"),
    ("AUC", {"multi_label": True}, "multilabel"),
    ("AUC", {"multi_label": True, "curve": "PR", "label_weights": [0.2, 1.0, 0.5]}, "multilabel"),
    ("AUC", {"thresholds": [0.1, 0.35, 0.8]}, "binary"),
    ("AUC", {"from_logits": True}, "multilabel"),
    ("Precision", {}, "binary"),
    ("Precision", {"thresholds": [0.3, 0.6]}, "multilabel"),
    ("Precision", {"top_k": 2}, "categorical"),
    ("Precision", {"class_id": 1}, "categorical"),
    ("Recall", {}, "binary"),
    ("Recall", {"thresholds": [0.3, 0.6]}, "multilabel"),
    ("Recall", {"top_k": 1, "class_id": 2}, "categorical"),
    ("TruePositives", {}, "binary"),
    ("FalseNegatives", {"thresholds": [0.2, 0.5, 0.9]}, "multilabel"),
    ("MeanSquaredError", {}, "regression"),
    ("MeanAbsoluteError", {}, "regression"),
    ("MeanAbsolutePercentageError", {}, "regression"),
    ("MeanSquaredLogarithmicError", {}, "regression"),
    ("RootMeanSquaredError", {}, "regression"),
    ("CosineSimilarity", {}, "regression"),
    ("LogCoshError", {}, "regression"),
    ("Hinge", {}, "multilabel"),
    ("SquaredHinge", {}, "multilabel"),
    ("CategoricalHinge", {}, "categorical"),
    ("KLDivergence", {}, "categorical"),
    ("Poisson", {}, "regression"),
    ("BinaryCrossentropy", {}, "binary"),
    ("BinaryCrossentropy", {"label_smoothing": 0.1}, "multilabel"),
    ("CategoricalCrossentropy", {}, "categorical"),
    ("CategoricalCrossentropy", {"from_logits": True, "label_smoothing": 0.1}, "categorical"),
    ("SparseCategoricalCrossentropy", {}, "sparse"),
    ("SparseCategoricalCrossentropy", {"from_logits": True}, "sparse1d"),
]


def _np(x):
    return keras.ops.convert_to_numpy(x)


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("name,kwargs,kind", CASES, ids=[f"{i}-{c[0]}" for i, c in enumerate(CASES)])
def test_metric_accumulation_parity(name, kwargs, kind, weighted):
    k_metric = getattr(keras.metrics, name)(**kwargs)
    l_metric = getattr(keraslite.metrics, name)(**kwargs)
    for y_true, y_pred, w in _batches(kind):
        kw = {"sample_weight": w} if weighted else {}
        k_metric.update_state(torch.as_tensor(y_true), torch.as_tensor(y_pred), **{
            k: torch.as_tensor(v) for k, v in kw.items()})
        l_metric.update_state(torch.as_tensor(y_true), torch.as_tensor(y_pred), **{
            k: torch.as_tensor(v) for k, v in kw.items()})
        result = l_metric.result()
        assert isinstance(result, torch.Tensor)
        np.testing.assert_allclose(result.numpy(), _np(k_metric.result()), rtol=1e-5, atol=1e-6,
                                   err_msg=f"{name}{kwargs}")
    assert l_metric.name == k_metric.name
    l_cfg, k_cfg = l_metric.get_config(), k_metric.get_config()
    if k_cfg.get("label_weights") is not None:  # Keras puts a tensor there; compare values
        np.testing.assert_allclose(l_cfg.pop("label_weights"), _np(k_cfg.pop("label_weights")))
    assert l_cfg == k_cfg
    l_metric.reset_state()
    k_metric.reset_state()
    y_true, y_pred, _ = _batches(kind, seed=1)[0]
    k_metric.update_state(torch.as_tensor(y_true), torch.as_tensor(y_pred))
    l_metric.update_state(y_true, y_pred)  # numpy inputs too
    np.testing.assert_allclose(l_metric.result().numpy(), _np(k_metric.result()), rtol=1e-5, atol=1e-6)


FUNCTIONS = [("binary_accuracy", "binary"), ("categorical_accuracy", "categorical"),
             ("sparse_categorical_accuracy", "sparse"), ("sparse_categorical_accuracy", "sparse1d"),
             ("top_k_categorical_accuracy", "categorical"), ("sparse_top_k_categorical_accuracy", "sparse1d"),
             ("mean_squared_error", "regression"), ("binary_crossentropy", "binary"),
             ("categorical_crossentropy", "categorical")]


@pytest.mark.parametrize("fn,kind", FUNCTIONS)
def test_function_forms(fn, kind):
    y_true, y_pred, _ = _batches(kind)[0]
    kw = {"k": 2} if "top_k" in fn else {}
    expected = _np(getattr(keras.metrics, fn)(torch.as_tensor(y_true), torch.as_tensor(y_pred), **kw))
    actual = getattr(keraslite.metrics, fn)(torch.as_tensor(y_true), torch.as_tensor(y_pred), **kw)
    assert tuple(actual.shape) == expected.shape
    np.testing.assert_allclose(actual.numpy(), expected, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("name", ["accuracy", "binary_accuracy", "categorical_accuracy", "mse", "MSE", "mae",
                                  "mape", "msle", "bce", "auc", "precision", "recall", "AUC",
                                  "binary_crossentropy", "categorical_crossentropy", "kl_divergence",
                                  "root_mean_squared_error", "top_k_categorical_accuracy", "mean_squared_error",
                                  "log_cosh_error", "poisson", "hinge"])
def test_get_matches_keras_class_and_name(name):
    k = keras.metrics.get(name)
    lite = keraslite.metrics.get(name)
    assert type(lite).__name__ == type(k).__name__
    assert lite.name == k.name


def test_get_acc_raises_like_keras():
    with pytest.raises(ValueError):
        keras.metrics.get("acc")
    with pytest.raises(ValueError, match="compile"):
        keraslite.metrics.get("acc")


def test_masked_values():
    y_true = np.random.default_rng(0).normal(size=(2, 5, 3)).astype("float32")
    y_pred = np.random.default_rng(1).normal(size=(2, 5, 3)).astype("float32")
    mask = np.array([[1, 1, 0, 0, 0], [1, 1, 1, 1, 0]], bool)
    k_pred, l_pred = torch.as_tensor(y_pred), torch.as_tensor(y_pred)
    k_pred._keras_mask = torch.as_tensor(mask)
    l_pred._keras_mask = torch.as_tensor(mask)
    k_metric, l_metric = keras.metrics.MeanSquaredError(), keraslite.metrics.MeanSquaredError()
    k_metric.update_state(torch.as_tensor(y_true), k_pred)
    l_metric.update_state(torch.as_tensor(y_true), l_pred)
    np.testing.assert_allclose(l_metric.result().numpy(), _np(k_metric.result()), rtol=1e-6)


@pytest.mark.parametrize("name", ["Mean", "Sum"])
def test_mean_and_sum_with_weights(name):
    rng = np.random.default_rng(5)
    k_metric, l_metric = getattr(keras.metrics, name)(), getattr(keraslite.metrics, name)()
    for shape, w_shape in [((6,), (6,)), ((6, 3), (6,)), ((6, 3), (6, 3)), ((4, 2, 3), (4, 2))]:
        values = rng.normal(size=shape).astype("float32")
        weights = rng.uniform(0, 2, w_shape).astype("float32")
        k_metric.update_state(torch.as_tensor(values), sample_weight=torch.as_tensor(weights))
        l_metric.update_state(torch.as_tensor(values), sample_weight=torch.as_tensor(weights))
        k_metric.update_state(torch.as_tensor(values))
        l_metric.update_state(torch.as_tensor(values))
        np.testing.assert_allclose(l_metric.result().numpy(), _np(k_metric.result()), rtol=1e-5, atol=1e-6)


def test_training_metrics_are_weighted_by_the_output_mask():
    """The metrics of train_on_batch and fit see the mask of a masked output, as evaluate does."""
    r = np.random.RandomState(0)
    x = r.randint(1, 20, (8, 5)).astype("int32")
    x[0, -2:] = 0
    x[1, -1:] = 0
    y = r.uniform(-1, 1, (8, 5, 1)).astype("float32")
    results = []
    for mod in (keras, keraslite):
        inp = mod.Input((5,), dtype="int32")
        model = mod.Model(inp, mod.layers.Dense(1)(mod.layers.Embedding(20, 4, mask_zero=True)(inp)))
        model.set_weights([np.random.RandomState(1).uniform(-0.5, 0.5, w.shape) for w in model.get_weights()])
        model.compile(mod.optimizers.SGD(0.0), "mae", metrics=["mae"], weighted_metrics=["mse"])
        on_batch = model.train_on_batch(x, y, return_dict=True)
        history = model.fit(x, y, batch_size=4, epochs=1, shuffle=False, verbose=0).history
        results.append((on_batch, history))
    (k_batch, k_hist), (l_batch, l_hist) = results
    assert sorted(l_batch) == sorted(k_batch)
    for key in k_batch:
        np.testing.assert_allclose(l_batch[key], k_batch[key], rtol=1e-5, err_msg=key)
        np.testing.assert_allclose(l_hist[key], k_hist[key], rtol=1e-5, err_msg=key)
