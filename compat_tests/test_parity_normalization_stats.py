"""Normalization's `mean` / `variance` attributes and a Variable's repr, against real Keras 3
(torch backend), as Keras 3's preprocessing-layers guide prints them."""
import numpy as np
import pytest

from compat_tests.conftest import keras
from compat_tests.parity import to_numpy
import keraslite


@pytest.mark.parametrize("axis,shape", [(-1, (6, 3)), (None, (6, 3)), ((1, 2), (4, 2, 3)), (1, (4, 2, 3))])
def test_adapted_mean_and_variance_have_keras_broadcast_shape(axis, shape):
    data = np.random.default_rng(0).random(shape).astype("float32")
    k, lite = keras.layers.Normalization(axis=axis), keraslite.layers.Normalization(axis=axis)
    k.adapt(data)
    lite.adapt(data)
    for name in ("mean", "variance"):
        assert tuple(getattr(lite, name).shape) == tuple(getattr(k, name).shape)
        np.testing.assert_allclose(to_numpy(getattr(lite, name)), to_numpy(getattr(k, name)), rtol=1e-5, atol=1e-6)
    assert [tuple(w.shape) for w in lite.get_weights()] == [tuple(w.shape) for w in k.get_weights()]


def test_given_mean_and_variance_have_keras_broadcast_shape():
    k = keras.layers.Normalization(mean=[1.0, 2.0], variance=[1.0, 4.0])
    lite = keraslite.layers.Normalization(mean=[1.0, 2.0], variance=[1.0, 4.0])
    k.build((None, 2))
    lite.build((None, 2))
    np.testing.assert_array_equal(to_numpy(lite.mean), to_numpy(k.mean))
    np.testing.assert_array_equal(to_numpy(lite.variance), to_numpy(k.variance))


def test_variable_repr_shows_its_value_like_keras():
    k, lite = keras.layers.Normalization(), keraslite.layers.Normalization()
    data = np.arange(6.0, dtype="float32").reshape(3, 2)
    k.adapt(data)
    lite.adapt(data)
    assert repr(lite.adapt_mean).split("path=")[1] == repr(k.adapt_mean).split("path=")[1]
