"""Loss parity: every keraslite loss against real keras.losses (torch backend) on the same
random inputs -- probabilities pushed to 0 and 1 (clipping), logits, label smoothing,
sample weights (1-D and per-timestep), integer labels of shape (n,) and (n, 1)."""
import numpy as np
import pytest
import torch

import keraslite
from compat_tests.conftest import keras

RNG = np.random.default_rng(0)
N, C = 6, 4


def _probs(shape, extreme=True):
    p = RNG.uniform(0.0, 1.0, shape).astype("float32")
    if extreme:
        p.flat[0], p.flat[1], p.flat[2] = 0.0, 1.0, 1e-9
    return p


def _softmax_probs(n=N, c=C):
    logits = RNG.normal(0, 3, (n, c)).astype("float32")
    p = np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)
    p[0] = [1.0, 0.0, 0.0, 0.0]  # exact 0 and 1: exercises clipping + renormalization
    return p.astype("float32")


def _onehot(n=N, c=C):
    return np.eye(c, dtype="float32")[RNG.integers(0, c, n)]


def _binary(shape):
    return RNG.integers(0, 2, shape).astype("float32")


REG_TRUE = RNG.normal(0, 2, (N, 3)).astype("float32")
REG_PRED = RNG.normal(0, 2, (N, 3)).astype("float32")
POS_TRUE = RNG.uniform(0, 3, (N, 3)).astype("float32")
POS_PRED = RNG.uniform(0, 3, (N, 3)).astype("float32")
ONEHOT = _onehot()
SOFT = _softmax_probs()
LOGITS = RNG.normal(0, 3, (N, C)).astype("float32")
SPARSE = RNG.integers(0, C, N)
BIN_TRUE = _binary((N, 1))
BIN_PRED = _probs((N, 1))
MULTI_TRUE = _binary((N, 3))
MULTI_PRED = _probs((N, 3))

# (class name, kwargs, y_true, y_pred)
CASES = [
    ("MeanSquaredError", {}, REG_TRUE, REG_PRED),
    ("MeanAbsoluteError", {}, REG_TRUE, REG_PRED),
    ("MeanAbsolutePercentageError", {}, REG_TRUE, REG_PRED),
    ("MeanSquaredLogarithmicError", {}, POS_TRUE, POS_PRED),
    ("CosineSimilarity", {}, REG_TRUE, REG_PRED),
    ("Huber", {}, REG_TRUE, REG_PRED),
    ("Huber", {"delta": 0.5}, REG_TRUE, REG_PRED),
    ("LogCosh", {}, REG_TRUE, REG_PRED),
    ("Hinge", {}, MULTI_TRUE, REG_PRED),
    ("Hinge", {}, 2 * MULTI_TRUE - 1, REG_PRED),
    ("SquaredHinge", {}, MULTI_TRUE, REG_PRED),
    ("CategoricalHinge", {}, ONEHOT, LOGITS),
    ("KLDivergence", {}, SOFT[::-1].copy(), SOFT),
    ("Poisson", {}, POS_TRUE, POS_PRED),
    ("BinaryCrossentropy", {}, BIN_TRUE, BIN_PRED),
    ("BinaryCrossentropy", {}, MULTI_TRUE, MULTI_PRED),
    ("BinaryCrossentropy", {"label_smoothing": 0.1}, MULTI_TRUE, MULTI_PRED),
    ("BinaryCrossentropy", {"from_logits": True}, MULTI_TRUE, REG_PRED),
    ("BinaryCrossentropy", {}, BIN_TRUE[:, 0], BIN_PRED),  # labels (n,) vs predictions (n, 1)
    ("BinaryFocalCrossentropy", {}, MULTI_TRUE, MULTI_PRED),
    ("BinaryFocalCrossentropy", {"apply_class_balancing": True, "from_logits": True, "label_smoothing": 0.1},
     MULTI_TRUE, REG_PRED),
    ("CategoricalCrossentropy", {}, ONEHOT, SOFT),
    ("CategoricalCrossentropy", {}, ONEHOT, SOFT * 3.0),  # not normalized: Keras renormalizes
    ("CategoricalCrossentropy", {"label_smoothing": 0.2}, ONEHOT, SOFT),
    ("CategoricalCrossentropy", {"from_logits": True}, ONEHOT, LOGITS),
    ("CategoricalFocalCrossentropy", {}, ONEHOT, SOFT),
    ("CategoricalFocalCrossentropy", {"from_logits": True, "gamma": 1.0, "label_smoothing": 0.1}, ONEHOT, LOGITS),
    ("SparseCategoricalCrossentropy", {}, SPARSE, SOFT),
    ("SparseCategoricalCrossentropy", {}, SPARSE[:, None], SOFT),
    ("SparseCategoricalCrossentropy", {"from_logits": True}, SPARSE, LOGITS),
    ("SparseCategoricalCrossentropy", {"from_logits": True, "ignore_class": 1}, SPARSE, LOGITS),
]
WEIGHTS = RNG.uniform(0, 2, N).astype("float32")


def _ids():
    return [f"{i}-{c[0]}-{'-'.join(c[1]) or 'default'}" for i, c in enumerate(CASES)]


def _keras_value(loss, y_true, y_pred, **kw):
    return keras.ops.convert_to_numpy(loss(torch.as_tensor(y_true), torch.as_tensor(y_pred), **kw))


@pytest.mark.parametrize("case", CASES, ids=_ids())
@pytest.mark.parametrize("weighted", [False, True])
def test_loss_class_parity(case, weighted):
    name, kwargs, y_true, y_pred = case
    k_loss = getattr(keras.losses, name)(**kwargs)
    l_loss = getattr(keraslite.losses, name)(**kwargs)
    kw = {"sample_weight": WEIGHTS} if weighted else {}
    expected = _keras_value(k_loss, y_true, y_pred, **kw)
    actual = l_loss(torch.as_tensor(y_true), torch.as_tensor(y_pred), **kw)
    assert isinstance(actual, torch.Tensor) and actual.ndim == 0
    np.testing.assert_allclose(actual.numpy(), expected, rtol=1e-6, atol=1e-6)
    assert l_loss.name == k_loss.name
    assert l_loss.get_config() == k_loss.get_config()
    # numpy inputs work too
    np.testing.assert_allclose(l_loss(y_true, y_pred, **kw).numpy(), expected, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("reduction", ["sum", "none", "mean_with_sample_weight", "sum_over_batch_size"])
def test_reductions(reduction):
    k = keras.losses.CategoricalCrossentropy(reduction=reduction)
    lite = keraslite.losses.CategoricalCrossentropy(reduction=reduction)
    expected = _keras_value(k, ONEHOT, SOFT, sample_weight=WEIGHTS)
    np.testing.assert_allclose(lite(ONEHOT, SOFT, sample_weight=WEIGHTS).numpy(), expected, rtol=1e-6)


def test_per_timestep_sample_weight_and_mask():
    y_true = RNG.normal(size=(3, 5, 2)).astype("float32")
    y_pred = RNG.normal(size=(3, 5, 2)).astype("float32")
    sw = RNG.uniform(0, 1, (3, 5)).astype("float32")
    k = keras.losses.MeanSquaredError()
    lite = keraslite.losses.MeanSquaredError()
    np.testing.assert_allclose(lite(y_true, y_pred, sample_weight=sw).numpy(),
                               _keras_value(k, y_true, y_pred, sample_weight=sw), rtol=1e-6)
    mask = np.array([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1], [1, 0, 0, 0, 0]], bool)
    k_pred, l_pred = torch.as_tensor(y_pred), torch.as_tensor(y_pred)
    k_pred._keras_mask = torch.as_tensor(mask)
    l_pred._keras_mask = torch.as_tensor(mask)
    expected = keras.ops.convert_to_numpy(k(torch.as_tensor(y_true), k_pred))
    np.testing.assert_allclose(lite(y_true, l_pred).numpy(), expected, rtol=1e-6)


FUNCTIONS = ["mean_squared_error", "mean_absolute_error", "mean_absolute_percentage_error",
             "mean_squared_logarithmic_error", "cosine_similarity", "huber", "log_cosh", "hinge", "squared_hinge",
             "categorical_hinge", "kl_divergence", "poisson", "binary_crossentropy", "categorical_crossentropy",
             "sparse_categorical_crossentropy", "binary_focal_crossentropy", "categorical_focal_crossentropy"]


@pytest.mark.parametrize("fn", FUNCTIONS)
def test_function_forms_per_sample(fn):
    if "sparse" in fn:
        y_true, y_pred = SPARSE, SOFT
    elif "categorical" in fn or fn == "kl_divergence":
        y_true, y_pred = ONEHOT, SOFT
    elif "binary" in fn:
        y_true, y_pred = MULTI_TRUE, MULTI_PRED
    else:
        y_true, y_pred = POS_TRUE, POS_PRED
    expected = keras.ops.convert_to_numpy(getattr(keras.losses, fn)(torch.as_tensor(y_true),
                                                                    torch.as_tensor(y_pred)))
    actual = getattr(keraslite.losses, fn)(torch.as_tensor(y_true), torch.as_tensor(y_pred))
    assert tuple(actual.shape) == expected.shape
    np.testing.assert_allclose(actual.numpy(), expected, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("name", ["mse", "MSE", "mae", "MAE", "mape", "MAPE", "msle", "MSLE", "kld", "KLD", "bce",
                                  "BCE", "categorical_crossentropy", "binary_crossentropy", "kl_divergence",
                                  "CategoricalCrossentropy", "Huber", "huber", "log_cosh", "poisson"])
def test_get_by_name_matches_keras(name):
    k = keras.losses.get(name)
    lite = keraslite.losses.get(name)
    y_true, y_pred = (ONEHOT, SOFT)
    # Keras gives the per-sample function for a function name and a Loss for a class name.
    assert isinstance(lite, keraslite.losses.Loss) == isinstance(k, keras.losses.Loss)
    np.testing.assert_allclose(lite(y_true, y_pred).numpy(), _keras_value(k, y_true, y_pred), rtol=1e-6, atol=1e-7)


def test_keras_config_loads():
    k = keras.losses.CategoricalCrossentropy(from_logits=True, label_smoothing=0.1)
    cfg = keras.losses.serialize(k)
    lite = keraslite.losses.get(cfg)
    assert isinstance(lite, keraslite.losses.CategoricalCrossentropy)
    assert lite.get_config() == k.get_config()
    fn_cfg = keras.losses.serialize(keras.losses.mean_squared_error)
    assert keras.losses.get(fn_cfg) is keras.losses.mean_squared_error
    assert keraslite.losses.get(fn_cfg) is keraslite.losses.mean_squared_error


@pytest.mark.parametrize("name", ["sparse_categorical_crossentropy", "categorical_crossentropy"])
@pytest.mark.parametrize("scale", [1.0, 30.0])  # 30: many probabilities hit Keras's clip bounds
def test_softmax_output_crossentropy_from_logits_equals_keras(name, scale):
    """keraslite computes crossentropy of a softmax output from its logits; values and
    gradients must still be Keras's (clipped probabilities)."""
    from keraslite import activations, losses

    rng = np.random.default_rng(1)
    logits = rng.standard_normal((32, 7)).astype("float32") * scale
    labels = rng.integers(0, 7, size=(32,))
    y_true = labels if name.startswith("sparse") else np.eye(7, dtype="float32")[labels]
    z_ours = torch.tensor(logits, requires_grad=True)
    probs = activations.softmax(z_ours)
    assert getattr(probs, "_keras_logits", None) is not None
    ours = losses.get(name)(torch.as_tensor(y_true), probs).mean()
    (g_ours,) = torch.autograd.grad(ours, z_ours)
    z_theirs = torch.tensor(logits, requires_grad=True)
    theirs = keras.losses.get(name)(torch.as_tensor(y_true), torch.softmax(z_theirs, -1)).mean()
    (g_theirs,) = torch.autograd.grad(theirs, z_theirs)
    np.testing.assert_allclose(ours.item(), theirs.item(), rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(g_ours.numpy(), g_theirs.numpy(), rtol=1e-5, atol=1e-7)


# The unweighted 'sum_over_batch_size' value of these losses is computed in one fused reduction
# (Loss._batch_mean); values and gradients must equal Keras's, clipping included.
BATCH_MEAN_CASES = [
    ("MeanSquaredError", {}, "linear", "regression"),
    ("MeanAbsoluteError", {}, "linear", "regression"),
    ("BinaryCrossentropy", {}, "sigmoid", "binary"),
    ("BinaryCrossentropy", {"label_smoothing": 0.1}, "sigmoid", "binary"),
    ("BinaryCrossentropy", {"from_logits": True}, "linear", "binary"),
    ("CategoricalCrossentropy", {}, "softmax", "onehot"),
    ("CategoricalCrossentropy", {"label_smoothing": 0.2}, "softmax", "onehot"),
    ("CategoricalCrossentropy", {"from_logits": True}, "linear", "onehot"),
    ("SparseCategoricalCrossentropy", {}, "softmax", "sparse"),
    ("SparseCategoricalCrossentropy", {"from_logits": True}, "linear", "sparse"),
]


@pytest.mark.parametrize("case", BATCH_MEAN_CASES, ids=[f"{c[0]}-{'-'.join(c[1]) or 'default'}" for c in
                                                         BATCH_MEAN_CASES])
@pytest.mark.parametrize("shape", [(16, 5), (4, 3, 5)])  # per sample, and per timestep
@pytest.mark.parametrize("scale", [1.0, 40.0])  # 40: outputs saturate into Keras's clip bounds
def test_unweighted_loss_value_and_gradient_equal_keras(case, shape, scale):
    from keraslite import activations

    name, kwargs, activation, labels = case
    rng = np.random.default_rng(2)
    z = (rng.standard_normal(shape) * scale).astype("float32")
    if labels == "regression":
        y_true = rng.standard_normal(shape).astype("float32")
    elif labels == "binary":
        y_true = rng.integers(0, 2, shape).astype("float32")
    elif labels == "onehot":
        y_true = np.eye(shape[-1], dtype="float32")[rng.integers(0, shape[-1], shape[:-1])]
    else:
        y_true = rng.integers(0, shape[-1], shape[:-1])

    def run(module, loss_cls, act):
        zt = torch.tensor(z, requires_grad=True)
        out = act(zt)
        value = loss_cls(**kwargs)(torch.as_tensor(y_true), out)
        (grad,) = torch.autograd.grad(value, zt)
        return value.detach().numpy(), grad.numpy()

    ours = run(keraslite, getattr(keraslite.losses, name), activations.get(activation))
    theirs = run(keras, getattr(keras.losses, name), keras.activations.get(activation))
    np.testing.assert_allclose(ours[0], theirs[0], rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(ours[1], theirs[1], rtol=1e-5, atol=1e-8)


@pytest.mark.parametrize("from_logits", [False, True])
def test_sparse_crossentropy_per_pixel_value_equals_keras_and_backward_runs(from_logits):
    # Segmentation: (batch, h, w, classes) predictions against (batch, h, w, 1) class ids. The
    # backward pass of the per-pixel loss failed on CPU ("grad_input must be contiguous"; Keras
    # 3.15's torch backend fails the same way), so the gradient is checked against the same
    # loss written out with gather on a contiguous tensor.
    rng = np.random.default_rng(0)
    logits = rng.standard_normal((2, 5, 4, 3)).astype("float32")
    preds = logits if from_logits else np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)
    labels = rng.integers(0, 3, (2, 5, 4, 1))
    weights = rng.uniform(0.5, 1.5, (2, 5, 4)).astype("float32")
    with torch.no_grad():
        expected = float(keras.losses.SparseCategoricalCrossentropy(from_logits=from_logits)(
            torch.as_tensor(labels), torch.as_tensor(preds), sample_weight=torch.as_tensor(weights)))
    p = torch.tensor(preds, requires_grad=True)
    loss = keraslite.losses.SparseCategoricalCrossentropy(from_logits=from_logits)(
        torch.as_tensor(labels), p, sample_weight=torch.as_tensor(weights))
    loss.backward()
    np.testing.assert_allclose(float(loss), expected, rtol=1e-5)
    q = torch.tensor(preds, requires_grad=True)
    log_probs = torch.log_softmax(q, -1) if from_logits else torch.log(q / q.sum(-1, keepdim=True))
    picked = log_probs.gather(-1, torch.as_tensor(labels)).squeeze(-1)
    (-(picked * torch.as_tensor(weights)).mean()).backward()
    np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=1e-4, atol=1e-7)


def test_read_only_arrays_give_keras_value_without_a_torch_warning():
    # pandas' .values is read-only: torch would warn that it cannot share such memory.
    import warnings

    y = np.array([0, 1, 1, 0])
    y.setflags(write=False)
    p = np.array([[.2], [.7], [.6], [.1]], "float32")
    p.setflags(write=False)
    expected = float(keras.losses.BinaryCrossentropy()(y, p))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        actual = float(keraslite.losses.BinaryCrossentropy()(y, p))
    np.testing.assert_allclose(actual, expected, rtol=1e-6)
