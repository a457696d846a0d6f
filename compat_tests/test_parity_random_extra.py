"""keras.random.gamma, binomial and beta: seeded draws equal real Keras 3's (torch backend)
number for number; they leave torch's global generator where it was; unseeded draws after
set_random_seed repeat Keras's; the sample moments fit the distributions."""
import numpy as np
import pytest
import torch

import keraslite
from compat_tests.conftest import keras
from compat_tests.parity import assert_close, to_numpy


def _draws(lib):
    r = lib.random
    gen = r.SeedGenerator(77)
    return [
        r.gamma((3, 4), alpha=2.5, seed=5),
        r.gamma((6,), alpha=np.array([0.5, 1.0, 2.0, 3.0, 4.0, 9.0], "float32"), seed=gen),
        r.gamma((2, 3), alpha=0.3, seed=gen, dtype="float64"),
        r.binomial((3, 4), counts=10, probabilities=0.3, seed=6),
        r.binomial((5,), counts=np.array([1.0, 5.0, 10.0, 20.0, 50.0], "float32"), probabilities=0.7, seed=gen),
        r.binomial((2, 2), counts=7, probabilities=np.array([0.1, 0.9], "float32"), seed=gen, dtype="int32"),
        r.beta((3, 4), alpha=2.0, beta=5.0, seed=7),
        r.beta((4,), alpha=np.array([0.5, 1.0, 2.0, 4.0], "float32"), beta=0.5, seed=gen),
    ]


def test_seeded_draws_equal_keras():
    expected, actual = _draws(keras), _draws(keraslite)
    for i, (a, e) in enumerate(zip(actual, expected)):
        assert str(a.dtype).replace("torch.", "") == str(keras.backend.standardize_dtype(e.dtype)), f"draw {i}"
        assert_close(to_numpy(a), to_numpy(e), atol=1e-6, what=f"draw {i}")


def test_unseeded_draws_after_set_random_seed_equal_keras():
    def draws(lib):
        lib.utils.set_random_seed(3)
        return [to_numpy(lib.random.gamma((4,), 2.0)), to_numpy(lib.random.beta((3,), 1.0, 2.0)),
                to_numpy(lib.random.binomial((3,), 4, 0.5))]

    for a, e in zip(draws(keraslite), draws(keras)):
        assert_close(a, e, atol=1e-6)


def test_global_generator_untouched():
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    keraslite.random.gamma((5,), 1.0, seed=1)
    keraslite.random.binomial((5,), 3, 0.5, seed=2)
    keraslite.random.beta((5,), 1.0, 1.0, seed=3)
    assert torch.equal(torch.rand(3), expected)


@pytest.mark.parametrize("fn,args,mean,var", [
    ("gamma", {"alpha": 3.0}, 3.0, 3.0),
    ("binomial", {"counts": 20, "probabilities": 0.25}, 5.0, 3.75),
    ("beta", {"alpha": 2.0, "beta": 3.0}, 0.4, 0.04),
])
def test_moments(fn, args, mean, var):
    x = to_numpy(getattr(keraslite.random, fn)((20000,), seed=4, **args)).astype("float64")
    assert abs(x.mean() - mean) < 4 * np.sqrt(var / x.size)
    assert abs(x.var() - var) < 0.05 * var


def test_bad_parameter_shape():
    with pytest.raises(ValueError, match="does not broadcast"):
        keraslite.random.gamma((3,), alpha=np.ones(4, "float32"), seed=1)


def test_seed_generator_state_and_next_match_keras():
    k, lite = keras.random.SeedGenerator(42), keraslite.random.SeedGenerator(42)
    assert tuple(lite.state.shape) == tuple(k.state.shape) == (2,)
    assert str(lite.state.dtype).replace("torch.", "") == keras.backend.standardize_dtype(k.state.dtype)
    for ordered in (True, True, False, True):
        np.testing.assert_array_equal(keraslite.ops.convert_to_numpy(lite.next(ordered=ordered)),
                                      keras.ops.convert_to_numpy(k.next(ordered=ordered)))
    np.testing.assert_array_equal(keraslite.ops.convert_to_numpy(lite.state), keras.ops.convert_to_numpy(k.state))
    # the numbers drawn from it afterwards are Keras's too
    np.testing.assert_allclose(keraslite.ops.convert_to_numpy(keraslite.random.normal((3,), seed=lite)),
                               keras.ops.convert_to_numpy(keras.random.normal((3,), seed=k)), rtol=1e-6)
