import numpy as np
import pytest
import torch

from keraslite import layers
from tests.contract import check_layer_contract

CASES = [
    ("embedding", lambda: layers.Embedding(10, 3), (4, 5)),
    ("embedding_mask_zero", lambda: layers.Embedding(10, 3, mask_zero=True), (2, 6)),
    ("embedding_1d", lambda: layers.Embedding(7, 2, embeddings_regularizer="l2"), (5,)),
    ("embedding_3d", lambda: layers.Embedding(6, 4, embeddings_constraint="unit_norm"), (2, 3, 2)),
]


@pytest.mark.parametrize("name,factory,shape", CASES, ids=[c[0] for c in CASES])
def test_contract(name, factory, shape):
    high = factory().input_dim
    check_layer_contract(factory, shape, dtype="int64", high=high)


def test_lookup_equals_table_rows():
    layer = layers.Embedding(5, 2)
    idx = torch.tensor([[0, 4, 2]])
    out = layer(idx)
    table = layer.get_weights()[0]
    np.testing.assert_array_equal(out.detach().numpy(), table[[[0, 4, 2]]])


@pytest.mark.parametrize("dtype", [torch.int32, torch.int16, torch.uint8, torch.float32, torch.float64])
def test_any_integer_or_float_dtype_is_accepted(dtype):
    layer = layers.Embedding(5, 2)
    out = layer(torch.tensor([[1, 3]]).to(dtype))
    np.testing.assert_array_equal(out.detach().numpy(), layer.get_weights()[0][[[1, 3]]])


def test_default_initializer_is_uniform_005():
    layer = layers.Embedding(200, 50)
    layer(torch.zeros(1, 1, dtype=torch.long))
    w = layer.get_weights()[0]
    assert w.shape == (200, 50) and np.abs(w).max() <= 0.05 and np.abs(w).max() > 0.04
    assert layer.get_config()["embeddings_initializer"]["class_name"] == "RandomUniform"


def test_mask_zero():
    layer = layers.Embedding(5, 2, mask_zero=True)
    out = layer(torch.tensor([[0, 1, 0, 3]]))
    np.testing.assert_array_equal(out._keras_mask.numpy(), [[False, True, False, True]])
    assert layers.Embedding(5, 2).compute_mask(torch.tensor([[0, 1]])) is None


def test_out_of_range_index_is_a_clear_error():
    layer = layers.Embedding(5, 2)
    with pytest.raises(ValueError, match=r"embedding.*index 7 is out of range.*input_dim=5.*0 to 4"):
        layer(torch.tensor([[1, 7]]))
    with pytest.raises(ValueError, match=r"index -1 is out of range"):
        layer(torch.tensor([[-1, 2]]))


def test_input_dim_is_vocabulary_not_input_shape():
    layer = layers.Embedding(1000, 8)
    assert layer._batch_input_shape is None and layer.input_dim == 1000


def test_keras2_input_length_and_keras1_names():
    layer = layers.Embedding(100, 8, input_length=12)
    assert layer._batch_input_shape == (None, 12)
    old = layers.Embedding(input_dim=100, output_dim=4, init="normal", W_regularizer="l2", input_length=3)
    assert type(old.embeddings_initializer).__name__ == "RandomNormal"
    assert old.embeddings_regularizer is not None and old._batch_input_shape == (None, 3)


@pytest.mark.parametrize("as_list", [True, False])
def test_weights_argument(as_list):
    table = np.arange(6, dtype="float32").reshape(3, 2)
    layer = layers.Embedding(3, 2, weights=[table] if as_list else table)
    out = layer(torch.tensor([[2, 0]]))
    np.testing.assert_array_equal(out.detach().numpy(), [[[4, 5], [0, 1]]])


def test_keras1_dropout_drops_whole_rows_in_training_only():
    layer = layers.Embedding(4, 3, dropout=0.5, weights=[np.ones((4, 3), "float32")])
    out = layer(torch.tensor([[0, 1, 2, 3]]), training=True).detach().numpy()[0]
    for row in out:
        assert np.all(row == 0) or np.all(row == 2)
    np.testing.assert_array_equal(layer(torch.tensor([[0]]), training=False).detach().numpy(), np.ones((1, 1, 3)))


def test_bad_sizes():
    with pytest.raises(ValueError, match="input_dim` must be a positive integer"):
        layers.Embedding(0, 3)
    with pytest.raises(ValueError, match="output_dim` must be a positive integer"):
        layers.Embedding(3, 2.5)
