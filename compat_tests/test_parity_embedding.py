"""Embedding vs real Keras 3 (torch backend) on the same table and indices."""
import numpy as np
import pytest
import torch

from compat_tests.conftest import keras
from compat_tests.parity import layer_parity, to_numpy
from keraslite import layers


def _idx(shape, high, seed=0, dtype="int64"):
    return np.random.default_rng(seed).integers(0, high, size=shape).astype(dtype)


@pytest.mark.parametrize("shape,dtype", [((3, 5), "int64"), ((4,), "int32"), ((2, 3, 2), "int64")])
def test_embedding_lookup(shape, dtype):
    layer_parity(keras.layers.Embedding(7, 3), layers.Embedding(7, 3), _idx(shape, 7, dtype=dtype))


def test_embedding_float_indices():
    x = _idx((2, 4), 6).astype("float32")
    layer_parity(keras.layers.Embedding(6, 2), layers.Embedding(6, 2), x)


def test_embedding_mask_zero_mask_matches_keras():
    x = _idx((3, 6), 5, seed=1)
    x[:, -2:] = 0
    k, lite = keras.layers.Embedding(5, 4, mask_zero=True), layers.Embedding(5, 4, mask_zero=True)
    layer_parity(k, lite, x)
    out = lite(torch.as_tensor(x))
    np.testing.assert_array_equal(to_numpy(out._keras_mask), to_numpy(k.compute_mask(torch.as_tensor(x))))
    np.testing.assert_array_equal(to_numpy(lite.compute_mask(torch.as_tensor(x))),
                                  to_numpy(k.compute_mask(torch.as_tensor(x))))


def test_embedding_weights_shape_name_and_config_keys():
    k, lite = keras.layers.Embedding(9, 2), layers.Embedding(9, 2)
    k.build((None, 3))
    lite(torch.zeros(1, 3, dtype=torch.long))
    assert [w.shape for w in lite.get_weights()] == [tuple(w.shape) for w in k.get_weights()]
    assert [w.name for w in lite.weights] == [w.name for w in k.weights] == ["embeddings"]
    k_cfg, l_cfg = k.get_config(), lite.get_config()
    assert set(k_cfg) <= set(l_cfg), set(k_cfg) - set(l_cfg)
    assert l_cfg["embeddings_initializer"]["config"] == k_cfg["embeddings_initializer"]["config"]
    assert l_cfg["embeddings_initializer"]["class_name"] == k_cfg["embeddings_initializer"]["class_name"]


def test_embedding_gradient_matches_keras():
    x = _idx((2, 4), 5, seed=2)
    k, lite = keras.layers.Embedding(5, 3), layers.Embedding(5, 3)
    layer_parity(k, lite, x)
    k_out = k(torch.as_tensor(x))
    (k_out * torch.arange(3.0)).sum().backward()
    l_out = lite(torch.as_tensor(x))
    (l_out * torch.arange(3.0)).sum().backward()
    np.testing.assert_allclose(lite.embeddings.grad.numpy(), k.embeddings.value.grad.numpy(), atol=1e-6)
