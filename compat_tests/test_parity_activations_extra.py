"""threshold, sparse_sigmoid and sparsemax against real keras.activations (torch backend),
as functions, by name, and in a Dense layer's activation."""
import numpy as np
import pytest
import torch

import keraslite
from compat_tests.conftest import keras

RNG = np.random.default_rng(11)
X = RNG.normal(0, 2, (5, 7)).astype("float32")
X[0, :3] = [-1.0, 1.0, 0.0]  # the kinks of sparse_sigmoid


def _np(x):
    return keras.ops.convert_to_numpy(x)


@pytest.mark.parametrize("name,kwargs", [
    ("threshold", {"threshold": 0.3, "default_value": -2.0}),
    ("threshold", {"threshold": -1.0, "default_value": 0.0}),
    ("sparse_sigmoid", {}),
])
def test_elementwise_parity(name, kwargs):
    k_x = torch.tensor(X, requires_grad=True)
    l_x = torch.tensor(X, requires_grad=True)
    expected = getattr(keras.activations, name)(k_x, **kwargs)
    actual = getattr(keraslite.activations, name)(l_x, **kwargs)
    np.testing.assert_allclose(actual.detach().numpy(), _np(expected.detach()), rtol=1e-6, atol=1e-7)
    expected.sum().backward()
    actual.sum().backward()
    np.testing.assert_allclose(l_x.grad.numpy(), k_x.grad.numpy(), rtol=1e-6, atol=1e-7)


def _simplex_projection(v):
    """Reference: Euclidean projection of each row onto the simplex (Duchi et al. 2008)."""
    out = np.empty_like(v, dtype=np.float64)
    for i, row in enumerate(v.astype(np.float64)):
        u = np.sort(row)[::-1]
        css = np.cumsum(u)
        rho = np.nonzero(u * np.arange(1, len(u) + 1) > (css - 1))[0][-1]
        theta = (css[rho] - 1) / (rho + 1.0)
        out[i] = np.maximum(row - theta, 0)
    return out


@pytest.mark.parametrize("axis", [-1, 0, 1])
def test_sparsemax_is_the_simplex_projection(axis):
    moved = np.moveaxis(X, axis, -1)
    expected = np.moveaxis(_simplex_projection(moved.reshape(-1, moved.shape[-1])).reshape(moved.shape), -1, axis)
    actual = keraslite.activations.sparsemax(torch.as_tensor(X), axis=axis).numpy()
    np.testing.assert_allclose(actual, expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(actual.sum(axis=axis), 1.0, rtol=1e-5)


def test_sparsemax_equals_keras_with_one_winner():
    # One entry in the support per row: there Keras's torch backend computes the projection.
    x = np.linspace(1, 12, num=12, dtype="float32").reshape(3, 4) * 3
    x3 = np.linspace(1, 12, num=12, dtype="float32").reshape(-1, 1, 3)
    for data, axis in [(x, -1), (x, 0), (x3, -3), (x3, -1)]:
        expected = _np(keras.activations.sparsemax(torch.as_tensor(data), axis=axis))
        actual = keraslite.activations.sparsemax(torch.as_tensor(data), axis=axis).numpy()
        np.testing.assert_allclose(actual, expected, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("name", ["sparse_sigmoid", "sparsemax", "threshold"])
def test_get_by_name(name):
    assert keras.activations.get(name).__name__ == name
    assert keraslite.activations.get(name).__name__ == name
    assert keraslite.activations.serialize(keraslite.activations.get(name)) == name


def test_dense_with_sparse_sigmoid_matches_keras():
    k_layer = keras.layers.Dense(4, activation="sparse_sigmoid")
    l_layer = keraslite.layers.Dense(4, activation="sparse_sigmoid")
    k_layer.build((None, 7))
    l_layer.build((None, 7))
    l_layer.set_weights([_np(w) for w in k_layer.get_weights()])
    np.testing.assert_allclose(l_layer(torch.as_tensor(X)).detach().numpy(), _np(k_layer(torch.as_tensor(X))),
                               rtol=1e-6, atol=1e-6)
    assert l_layer.get_config()["activation"] == k_layer.get_config()["activation"]


def test_softmax_over_a_single_class_warns_as_keras():
    # Keras 3 warns that a softmax over an axis of size 1 always returns 1 (a Dense(1,
    # activation="softmax") that should be a sigmoid); larger axes stay silent.
    import warnings

    x = np.random.default_rng(0).standard_normal((4, 1)).astype("float32")
    for mod in (keras, keraslite):
        for fn in (mod.ops.softmax, mod.activations.softmax):
            with pytest.warns(UserWarning, match=r"softmax over axis -1 of a tensor of shape .*This axis has size 1"):
                out = fn(torch.as_tensor(x))
            np.testing.assert_allclose(np.asarray(out.detach().cpu() if hasattr(out, "detach") else out), 1.0)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            mod.ops.softmax(torch.as_tensor(np.ones((4, 3), "float32")))
    with pytest.warns(UserWarning, match="Did you mean to use a sigmoid instead"):
        keraslite.layers.Dense(1, activation="softmax")(torch.as_tensor(x))


@pytest.mark.parametrize("name", ["tanh", "sigmoid", "relu", "softsign", "softmax", "elu", "selu", "gelu",
                                  "exponential", "hard_sigmoid", "softplus", "swish", "linear"])
def test_activation_of_a_numpy_array(name):
    z = np.arange(-2, 2, 0.25)  # float64, as Python Machine Learning plots them
    expected = keras.ops.convert_to_numpy(getattr(keras.activations, name)(z))
    actual = keraslite.ops.convert_to_numpy(getattr(keraslite.activations, name)(z))
    assert actual.dtype == expected.dtype
    np.testing.assert_allclose(actual, expected, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("kwargs", [
    {"threshold": 5.0}, {"threshold": 5.0, "negative_slope": 0.1}, {"threshold": -2.0, "max_value": 3.0},
    {"threshold": -2.0, "max_value": 3.0, "negative_slope": 0.2}, {"max_value": 6.0}, {"negative_slope": 0.3},
    {"negative_slope": 0.3, "max_value": 2.0},
])
def test_relu_arguments_follow_keras(kwargs):
    # Values equal to the threshold are zeroed (Keras keeps x only where x > threshold).
    x = np.concatenate([X.ravel(), [-10.0, -5.0, -2.0, 0.0, 5.0, 10.0]]).astype("float32")
    expected = _np(keras.activations.relu(torch.tensor(x), **kwargs))
    actual = keraslite.activations.relu(torch.tensor(x), **kwargs).numpy()
    np.testing.assert_allclose(actual, expected, rtol=1e-6, atol=1e-7)
    if kwargs.get("threshold", 0.0) >= 0:  # the ReLU layer refuses a negative threshold, in both
        layer, k_layer = keraslite.layers.ReLU(**kwargs), keras.layers.ReLU(**kwargs)
        np.testing.assert_allclose(layer(torch.tensor(x)).numpy(), _np(k_layer(torch.tensor(x))), rtol=1e-6,
                                   atol=1e-7)
