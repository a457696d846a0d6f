"""Activation and preprocessing layers against real Keras 3 with the same weights/inputs."""
import numpy as np
import pytest
import torch

import keraslite
from compat_tests.conftest import keras
from compat_tests.parity import assert_close, layer_parity

CASES = [
    ("ReLU", {}, (3, 6)),
    ("ReLU", {"max_value": 0.5, "negative_slope": 0.1, "threshold": 0.2}, (3, 6)),
    ("LeakyReLU", {}, (3, 6)),
    ("LeakyReLU", {"negative_slope": 0.05}, (3, 6)),
    ("PReLU", {}, (2, 4, 5)),
    ("PReLU", {"shared_axes": [1, 2]}, (2, 4, 4, 3)),
    ("ELU", {"alpha": 0.7}, (3, 6)),
    ("Softmax", {}, (3, 6)),
    ("Softmax", {"axis": 1}, (2, 3, 4)),
    ("Softmax", {"axis": [1, 2]}, (2, 3, 4)),
    ("Rescaling", {"scale": 1 / 255.0, "offset": -1.0}, (2, 4, 4, 3)),
    ("Normalization", {"mean": [1.0, 2.0, 3.0], "variance": [1.0, 4.0, 9.0]}, (4, 3)),
    ("Normalization", {"axis": None, "mean": 2.0, "variance": 3.0}, (4, 3)),
]


@pytest.mark.parametrize("cls,kwargs,shape", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_layer_parity(cls, kwargs, shape):
    x = np.random.default_rng(0).standard_normal(shape).astype("float32") * 3
    layer_parity(getattr(keras.layers, cls)(**kwargs), getattr(keraslite.layers, cls)(**kwargs), x)


def test_softmax_mask_parity():
    x = np.random.default_rng(1).standard_normal((3, 5)).astype("float32")
    mask = np.array([[1, 1, 0, 1, 0], [0, 1, 1, 1, 1], [0, 0, 0, 0, 0]], dtype=bool)  # a fully masked row
    ours = keraslite.layers.Softmax()(torch.as_tensor(x), mask=torch.as_tensor(mask))
    theirs = keras.layers.Softmax()(torch.as_tensor(x), mask=torch.as_tensor(mask))
    assert_close(ours.detach().numpy(), keras.ops.convert_to_numpy(theirs))


def test_normalization_adapt_parity():
    data = np.random.default_rng(2).standard_normal((40, 4, 3)).astype("float32") * 2 + 1
    for axis in (-1, (1, 2), None):
        ours, theirs = keraslite.layers.Normalization(axis=axis), keras.layers.Normalization(axis=axis)
        ours.adapt(data)
        theirs.adapt(data)
        assert_close(ours(torch.as_tensor(data)).detach().numpy(),
                     keras.ops.convert_to_numpy(theirs(torch.as_tensor(data))), atol=1e-5)
        for a, b in zip(ours.get_weights(), theirs.get_weights()):
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
        assert sorted(ours.get_config()) == sorted(theirs.get_config())


@pytest.mark.parametrize("cls", ["ReLU", "LeakyReLU", "PReLU", "ELU", "Softmax", "Rescaling"])
def test_config_keys_match_keras(cls):
    kwargs = {"scale": 0.5} if cls == "Rescaling" else {}
    assert sorted(getattr(keraslite.layers, cls)(**kwargs).get_config()) == sorted(
        getattr(keras.layers, cls)(**kwargs).get_config())
