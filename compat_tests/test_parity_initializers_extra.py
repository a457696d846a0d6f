"""STFT and the Keras 3 alias names (OrthogonalInitializer, IdentityInitializer,
STFTInitializer, stft) against real keras.initializers (torch backend)."""
import numpy as np
import pytest

import keraslite
from compat_tests.conftest import keras


def _np(x):
    return keras.ops.convert_to_numpy(x)


@pytest.mark.parametrize("kwargs", [
    {}, {"side": "imag"}, {"window": "hamming", "scaling": "spectrum"}, {"window": None},
    {"window": "hann", "periodic": True, "scaling": None}, {"window": "blackman", "side": "imag"},
    {"window": "boxcar"}, {"window": np.linspace(0.1, 1.0, 16).astype("float32").tolist()},
])
@pytest.mark.parametrize("shape", [(16, 1, 9), (16, 2, 5)])
def test_stft_values(kwargs, shape):
    expected = _np(keras.initializers.STFT(**kwargs)(shape))
    actual = keraslite.initializers.STFT(**kwargs)(shape)
    assert tuple(actual.shape) == expected.shape
    np.testing.assert_allclose(actual.numpy(), expected, rtol=1e-5, atol=1e-6)
    assert keraslite.initializers.STFT(**kwargs).get_config() == keras.initializers.STFT(**kwargs).get_config()


def test_stft_float64():
    expected = _np(keras.initializers.STFT()((8, 1, 5), dtype="float64"))
    actual = keraslite.initializers.STFT()((8, 1, 5), dtype="float64")
    assert str(actual.dtype) == "torch.float64"
    np.testing.assert_allclose(actual.numpy(), expected, rtol=1e-12, atol=1e-12)


def test_stft_bad_arguments():
    for kwargs in ({"side": "both"}, {"scaling": "power"}, {"window": "no_such_window"}):
        with pytest.raises(ValueError):
            keras.initializers.STFT(**kwargs)
        with pytest.raises(ValueError):
            keraslite.initializers.STFT(**kwargs)
    with pytest.raises(ValueError, match="STFT"):
        keraslite.initializers.STFT(window=[1.0, 2.0])((16, 1, 9))


@pytest.mark.parametrize("alias,target", [("OrthogonalInitializer", "Orthogonal"),
                                          ("IdentityInitializer", "Identity"),
                                          ("STFTInitializer", "STFT"), ("stft", "STFT")])
def test_aliases(alias, target):
    assert (getattr(keras.initializers, alias) is getattr(keras.initializers, target))
    assert getattr(keraslite.initializers, alias) is getattr(keraslite.initializers, target)
    for identifier in (alias, {"class_name": alias, "config": {}}):
        try:
            k = keras.initializers.get(identifier)
        except ValueError:
            continue
        assert type(keraslite.initializers.get(identifier)).__name__ == type(k).__name__


def test_conv1d_with_stft_kernel_matches_keras():
    x = np.random.default_rng(0).normal(size=(2, 64, 1)).astype("float32")
    k_layer = keras.layers.Conv1D(9, 16, strides=4, kernel_initializer="stft", use_bias=False)
    l_layer = keraslite.layers.Conv1D(9, 16, strides=4, kernel_initializer="stft", use_bias=False)
    np.testing.assert_allclose(l_layer(x).detach().numpy(), _np(k_layer(x)), rtol=1e-5, atol=1e-5)
    assert l_layer.get_config()["kernel_initializer"] == k_layer.get_config()["kernel_initializer"]


def test_a_tensor_is_an_initializer_of_its_own_value():
    value = np.arange(6, dtype="float32").reshape(2, 3)
    k_init = keras.initializers.get(keras.ops.convert_to_tensor(value))
    l_init = keraslite.initializers.get(keraslite.ops.convert_to_tensor(value))
    np.testing.assert_array_equal(keraslite.ops.convert_to_numpy(l_init((2, 3), dtype="float32")),
                                  keras.ops.convert_to_numpy(k_init((2, 3), dtype="float32")))
    dense = keraslite.layers.Dense(3, kernel_initializer=keraslite.ops.convert_to_tensor(value))
    dense.build((None, 2))
    np.testing.assert_array_equal(dense.get_weights()[0], value)
