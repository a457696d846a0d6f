"""Parity of Dice, Tversky, Circle, CategoricalGeneralizedCrossEntropy and CTC (classes and
functions) with real keras.losses (torch backend): values with and without sample weights,
several reductions, gradients, config, string lookup and training through compile/fit."""
import numpy as np
import pytest
import torch

import keraslite
from compat_tests.conftest import keras

RNG = np.random.default_rng(7)
N = 6

SEG_TRUE = RNG.integers(0, 2, (N, 5, 5, 1)).astype("float32")
SEG_PRED = RNG.uniform(0, 1, (N, 5, 5, 1)).astype("float32")
_emb = RNG.normal(size=(N, 8)).astype("float32")
EMBED = (_emb / np.linalg.norm(_emb, axis=1, keepdims=True)).astype("float32")
EMBED_LABELS = np.array([0, 1, 0, 2, 1, 0])
_logits = RNG.normal(0, 2, (N, 4))
PROBS = (np.exp(_logits) / np.exp(_logits).sum(-1, keepdims=True)).astype("float32")
SPARSE = RNG.integers(0, 4, N)
CTC_TRUE = np.array([[1, 2, 2, 0], [3, 1, 0, 0], [2, 0, 0, 0], [1, 1, 3, 2], [4, 0, 0, 0], [2, 3, 0, 0]])
CTC_PRED = RNG.normal(size=(N, 9, 5)).astype("float32")

CASES = [
    ("Dice", {}, SEG_TRUE, SEG_PRED),
    ("Dice", {"axis": [1, 2, 3]}, SEG_TRUE, SEG_PRED),
    ("Tversky", {}, SEG_TRUE, SEG_PRED),
    ("Tversky", {"alpha": 0.3, "beta": 0.7, "axis": [1, 2]}, SEG_TRUE, SEG_PRED),
    ("Circle", {}, EMBED_LABELS, EMBED),
    ("Circle", {"gamma": 10.0, "margin": 0.25, "remove_diagonal": False}, EMBED_LABELS, EMBED),
    ("CategoricalGeneralizedCrossEntropy", {}, SPARSE, PROBS),
    ("CategoricalGeneralizedCrossEntropy", {"q": 0.8}, SPARSE.reshape(-1, 1), PROBS),
    ("CTC", {}, CTC_TRUE, CTC_PRED),
]
IDS = [f"{i}-{c[0]}" for i, c in enumerate(CASES)]


def _np(x):
    return keras.ops.convert_to_numpy(x)


@pytest.mark.parametrize("reduction", ["sum_over_batch_size", "sum", "none", "mean_with_sample_weight"])
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_loss_class_parity(case, weighted, reduction):
    name, kwargs, y_true, y_pred = case
    k_loss = getattr(keras.losses, name)(reduction=reduction, **kwargs)
    l_loss = getattr(keraslite.losses, name)(reduction=reduction, **kwargs)
    weights = RNG.uniform(0.2, 2, N).astype("float32") if weighted else None
    if weighted and "axis" not in kwargs and name in ("Dice", "Tversky"):
        weights = np.float32(0.7)  # one value for the whole batch: a scalar weight
    # Separate copies: Keras scales a masked loss's sample weights in place.
    k_kw = {} if weights is None else {"sample_weight": torch.tensor(weights)}
    l_kw = {} if weights is None else {"sample_weight": torch.tensor(weights)}
    expected = _np(k_loss(torch.as_tensor(y_true), torch.as_tensor(y_pred), **k_kw))
    actual = l_loss(torch.as_tensor(y_true), torch.as_tensor(y_pred), **l_kw)
    assert tuple(actual.shape) == expected.shape
    np.testing.assert_allclose(actual.detach().numpy(), expected, rtol=1e-5, atol=1e-6)
    assert l_loss.get_config() == k_loss.get_config()
    assert type(l_loss).from_config(l_loss.get_config()).get_config() == l_loss.get_config()


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_gradient_parity(case):
    name, kwargs, y_true, y_pred = case
    k_pred = torch.tensor(y_pred, requires_grad=True)
    l_pred = torch.tensor(y_pred, requires_grad=True)
    getattr(keras.losses, name)(**kwargs)(torch.as_tensor(y_true), k_pred).backward()
    getattr(keraslite.losses, name)(**kwargs)(torch.as_tensor(y_true), l_pred).backward()
    np.testing.assert_allclose(l_pred.grad.numpy(), k_pred.grad.numpy(), rtol=1e-4, atol=1e-6)


FUNCTIONS = [
    ("dice", {}, SEG_TRUE, SEG_PRED),
    ("dice", {"axis": (1, 2)}, SEG_TRUE, SEG_PRED),
    ("tversky", {"alpha": 0.2, "beta": 0.8, "axis": -1}, SEG_TRUE, SEG_PRED),
    ("circle", {}, EMBED_LABELS, EMBED),
    ("circle", {"ref_labels": EMBED_LABELS[:4], "ref_embeddings": EMBED[:4], "remove_diagonal": False},
     EMBED_LABELS, EMBED),
    ("categorical_generalized_cross_entropy", {"q": 0.3}, SPARSE, PROBS),
    ("ctc", {}, CTC_TRUE, CTC_PRED),
]


@pytest.mark.parametrize("fn,kwargs,y_true,y_pred", FUNCTIONS, ids=[f"{i}-{c[0]}" for i, c in enumerate(FUNCTIONS)])
def test_function_forms(fn, kwargs, y_true, y_pred):
    expected = _np(getattr(keras.losses, fn)(torch.as_tensor(y_true), torch.as_tensor(y_pred), **kwargs))
    actual = getattr(keraslite.losses, fn)(torch.as_tensor(y_true), torch.as_tensor(y_pred), **kwargs)
    assert tuple(actual.shape) == expected.shape
    np.testing.assert_allclose(actual.numpy(), expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", ["dice", "tversky", "circle", "ctc", "Dice", "Tversky", "Circle", "CTC",
                                  "categorical_generalized_cross_entropy"])
def test_get_by_name(name):
    try:
        k = keras.losses.get(name)
    except ValueError:
        with pytest.raises(ValueError):
            keraslite.losses.get(name)
        return
    lite = keraslite.losses.get(name)
    # A function name gives the per-sample function, a class name a Loss, in both.
    assert isinstance(lite, keraslite.losses.Loss) == isinstance(k, keras.losses.Loss)
    y_true, y_pred = {"dice": (SEG_TRUE, SEG_PRED), "tversky": (SEG_TRUE, SEG_PRED), "circle": (EMBED_LABELS, EMBED),
                      "ctc": (CTC_TRUE, CTC_PRED)}[name.lower()]
    expected = _np(k(torch.as_tensor(y_true), torch.as_tensor(y_pred)))
    np.testing.assert_allclose(lite(torch.as_tensor(y_true), torch.as_tensor(y_pred)).numpy(), expected, rtol=1e-5)


def test_bad_arguments():
    for q in (0.0, 1.0, 2):
        with pytest.raises(ValueError):
            keras.losses.CategoricalGeneralizedCrossEntropy(q=q)
        with pytest.raises(ValueError, match="CategoricalGeneralizedCrossEntropy"):
            keraslite.losses.CategoricalGeneralizedCrossEntropy(q=q)
    with pytest.raises(ValueError, match=r"ctc.*\(batch_size, max_length\)"):
        keraslite.losses.ctc(np.zeros((2, 3, 1)), CTC_PRED[:2])
    with pytest.raises(ValueError, match=r"ctc.*num_classes"):
        keraslite.losses.ctc(CTC_TRUE[:2], CTC_PRED[:2, 0])


@pytest.mark.parametrize("loss", ["dice", "tversky", "categorical_generalized_cross_entropy"])
def test_training_with_new_losses(loss):
    rng = np.random.default_rng(1)
    x = rng.normal(size=(24, 5)).astype("float32")
    if loss == "categorical_generalized_cross_entropy":
        y = rng.integers(0, 3, (24, 1))
        units, act = 3, "softmax"
        k_loss, l_loss = keras.losses.CategoricalGeneralizedCrossEntropy(q=0.7), \
            keraslite.losses.CategoricalGeneralizedCrossEntropy(q=0.7)
    else:
        y = rng.integers(0, 2, (24, 3)).astype("float32")
        units, act = 3, "sigmoid"
        k_loss, l_loss = loss, loss
    k_model = keras.Sequential([keras.Input((5,)), keras.layers.Dense(units, activation=act)])
    l_model = keraslite.Sequential([keraslite.Input((5,)), keraslite.layers.Dense(units, activation=act)])
    l_model.set_weights(k_model.get_weights())
    k_model.compile(optimizer=keras.optimizers.SGD(0.5), loss=k_loss)
    l_model.compile(optimizer=keraslite.optimizers.SGD(0.5), loss=l_loss)
    k_hist = k_model.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0).history
    l_hist = l_model.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0).history
    np.testing.assert_allclose(l_hist["loss"], k_hist["loss"], rtol=1e-4, atol=1e-6)
    for k_w, l_w in zip(k_model.get_weights(), l_model.get_weights()):
        np.testing.assert_allclose(l_w, k_w, rtol=1e-4, atol=1e-5)


def test_training_with_ctc_matches_keras():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(12, 9, 4)).astype("float32")
    lengths = rng.integers(1, 4, 12)
    y = np.zeros((12, 3), "int64")
    for i, n in enumerate(lengths):
        y[i, :n] = rng.integers(1, 5, n)
    k_model = keras.Sequential([keras.Input((9, 4)), keras.layers.Dense(5)])
    l_model = keraslite.Sequential([keraslite.Input((9, 4)), keraslite.layers.Dense(5)])
    l_model.set_weights(k_model.get_weights())
    k_model.compile(optimizer=keras.optimizers.Adam(0.05), loss=keras.losses.CTC())
    l_model.compile(optimizer=keraslite.optimizers.Adam(0.05), loss="ctc")
    k_hist = k_model.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0).history
    l_hist = l_model.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0).history
    np.testing.assert_allclose(l_hist["loss"], k_hist["loss"], rtol=1e-4, atol=1e-5)
    for k_w, l_w in zip(k_model.get_weights(), l_model.get_weights()):
        np.testing.assert_allclose(l_w, k_w, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("name", ["MeanSquaredError", "Huber", "CategoricalCrossentropy", "CosineSimilarity"])
def test_losses_and_metrics_take_reversed_numpy_views(name):
    # a[::-1] has negative strides, which torch.as_tensor refuses; Keras takes such arrays.
    a = np.random.default_rng(0).random((4, 3)).astype("float32")
    expected = float(getattr(keras.losses, name)()(a, a[::-1]))
    np.testing.assert_allclose(float(getattr(keraslite.losses, name)()(a, a[::-1])), expected, rtol=1e-5)
    for metric in ("PearsonCorrelation", "MeanAbsoluteError"):
        k, lite = getattr(keras.metrics, metric)(), getattr(keraslite.metrics, metric)()
        np.testing.assert_allclose(float(lite(a[::-1], a)), float(k(a[::-1], a)), rtol=1e-5)
