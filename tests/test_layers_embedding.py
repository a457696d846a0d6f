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


# ------------------------------------------------------------------ gradients kept between fit steps

class _TiedOutput(layers.Layer):
    """Logits against the embedding table itself: a second, dense gradient path into it."""

    def __init__(self, table_layer, **kwargs):
        super().__init__(**kwargs)
        self.table_layer = table_layer

    def call(self, h):
        return torch.softmax(h @ self.table_layer.embeddings.T, dim=-1)


def _shared_embedding_model(regularizer, tied, vocab=100):
    import keraslite

    torch.manual_seed(0)
    a, b = keraslite.Input((5,), dtype="int64"), keraslite.Input((3,), dtype="int64")
    emb = layers.Embedding(vocab, 6, embeddings_regularizer=regularizer)
    pooled = layers.Add()([layers.GlobalAveragePooling1D()(emb(a)), layers.GlobalAveragePooling1D()(emb(b))])
    h = layers.Dense(6)(pooled)
    out = _TiedOutput(emb)(h) if tied else layers.Dense(100, activation="softmax")(h)
    model = keraslite.Model([a, b], out)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    return model


def _user_changes_grads(model):
    """Between fits, a change of the gradients in place, which no autograd hook sees."""
    for w in model.trainable_weights:
        if w.grad is not None:
            w.grad.add_(1.0)


@pytest.mark.parametrize("vocab", [100, 3000])
@pytest.mark.parametrize("regularizer", [None, "l2"])
@pytest.mark.parametrize("tied", [False, True])
def test_fit_with_kept_table_gradients_equals_the_dense_path(monkeypatch, regularizer, tied, vocab):
    """On the CPU fit keeps an Embedding table's gradient between steps and adds lookups into
    it; a shared layer (two lookups), a regularizer and a tied weight add dense gradients into
    the same buffer. The trained weights must equal those of torch's own embedding backward."""
    from keraslite.layers import embedding as embedding_mod
    from keraslite.training import loop

    rng = np.random.default_rng(0)
    xa, xb = rng.integers(0, 100, (48, 5)), rng.integers(0, 100, (48, 3))
    y = rng.integers(0, 100, 48)
    calls = []
    apply = embedding_mod._LookupIntoGrad.apply
    monkeypatch.setattr(embedding_mod._LookupIntoGrad, "apply", lambda *a: calls.append(1) or apply(*a))
    kept = _shared_embedding_model(regularizer, tied, vocab)
    initial = kept.get_weights()
    kept_history = kept.fit([xa, xb], y, batch_size=8, epochs=2, shuffle=False, verbose=0).history
    assert calls, "the kept-gradient lookup was not used"
    table = next(layer.embeddings for layer in kept._flatten_layers() if isinstance(layer, embedding_mod.Embedding))
    # A step's 64 lookups are a small part of 3000 rows: only they are zeroed, unless a dense
    # gradient (regularizer, tied weight) also wrote into the buffer.
    written = table._keraslite_written_rows
    partial = written.valid_for(table.grad) and written.rows is not None
    assert partial == (vocab == 3000 and not regularizer and not tied)
    tables = {id(layer.embeddings) for layer in kept._flatten_layers()
              if isinstance(layer, embedding_mod.Embedding)}
    assert all(p.grad is None for p in kept.trainable_weights if id(p) not in tables), \
        "fit must drop the gradients other than the tables' kept buffers"
    # The second fit reuses the fast step and the kept buffers, which the user may have changed
    # in between: it must clear them whole first.
    _user_changes_grads(kept)
    kept_history["loss"] += kept.fit([xa, xb], y, batch_size=8, epochs=1, shuffle=False, verbose=0).history["loss"]

    monkeypatch.setattr(loop, "_embedding_tables", lambda model, params: [])
    dense = _shared_embedding_model(regularizer, tied, vocab)
    dense.set_weights(initial)
    calls.clear()
    dense_history = dense.fit([xa, xb], y, batch_size=8, epochs=2, shuffle=False, verbose=0).history
    _user_changes_grads(dense)
    dense_history["loss"] += dense.fit([xa, xb], y, batch_size=8, epochs=1, shuffle=False, verbose=0).history["loss"]
    assert not calls
    np.testing.assert_allclose(kept_history["loss"], dense_history["loss"], rtol=1e-6)
    for k, d in zip(kept.get_weights(), dense.get_weights()):
        np.testing.assert_allclose(k, d, rtol=1e-5, atol=1e-7)


def test_lookups_outside_fit_give_autograd_the_table_gradient():
    """torch.autograd.grad (GradientTape, user loops) must see the table's gradient: the kept
    buffer path is only switched on inside fit's step."""
    layer = layers.Embedding(6, 3)
    idx = torch.tensor([[1, 1, 4]])
    out = layer(idx)
    (grad,) = torch.autograd.grad(out.sum(), [layer.embeddings])
    expected = np.zeros((6, 3), dtype="float32")
    expected[1], expected[4] = 2.0, 1.0
    np.testing.assert_array_equal(grad.numpy(), expected)
