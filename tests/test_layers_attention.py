"""MultiHeadAttention, Attention, AdditiveAttention and EinsumDense without real Keras: the layer
contract, the math against a plain re-computation, masks, configs, errors, and model files.
(Numbers against Keras 3 are in compat_tests/test_parity_attention.py.)"""
import math

import numpy as np
import pytest
import torch

import keraslite
from keraslite import layers
from tests.contract import check_layer_contract, make_input


def _positional(layer, inputs):
    return layer(*inputs)


def _with_scores(layer, inputs):
    return list(layer(*inputs, return_attention_scores=True))


CASES = [
    ("mha_self", lambda: layers.MultiHeadAttention(2, 3), [(2, 5, 6), (2, 5, 6)], _positional),
    ("mha_cross_key", lambda: layers.MultiHeadAttention(3, 2, value_dim=4), [(2, 5, 6), (2, 7, 3), (2, 7, 5)],
     _positional),
    ("mha_output_shape", lambda: layers.MultiHeadAttention(2, 3, output_shape=(2, 4)), [(2, 5, 6), (2, 4, 6)],
     _positional),
    ("mha_no_bias", lambda: layers.MultiHeadAttention(2, 3, use_bias=False), [(2, 5, 6), (2, 5, 6)], _positional),
    ("mha_gate_window", lambda: layers.MultiHeadAttention(2, 3, use_gate=True, sliding_window=2),
     [(2, 5, 6), (2, 5, 6)], _positional),
    ("mha_dropout", lambda: layers.MultiHeadAttention(2, 3, dropout=0.2), [(2, 5, 6), (2, 5, 6)], _positional),
    ("mha_scores", lambda: layers.MultiHeadAttention(2, 3), [(2, 5, 6), (2, 4, 6)], _with_scores),
    ("mha_4d_axes", lambda: layers.MultiHeadAttention(2, 3, attention_axes=(1, 2)), [(2, 3, 4, 6), (2, 3, 4, 6)],
     _positional),
    ("gqa_self", lambda: layers.GroupQueryAttention(3, 4, 2), [(2, 5, 6), (2, 5, 6)], _positional),
    ("gqa_cross_key_mqa", lambda: layers.GroupQueryAttention(2, 3, 1), [(2, 5, 6), (2, 7, 6), (2, 7, 4)],
     _positional),
    ("gqa_gate_window_no_bias", lambda: layers.GroupQueryAttention(2, 4, 4, use_gate=True, sliding_window=2,
                                                                   use_bias=False), [(2, 5, 6), (2, 5, 6)],
     _positional),
    ("gqa_dropout", lambda: layers.GroupQueryAttention(3, 2, 1, dropout=0.2), [(2, 5, 6), (2, 5, 6)], _positional),
    ("gqa_scores", lambda: layers.GroupQueryAttention(3, 4, 2), [(2, 5, 6), (2, 4, 6)], _with_scores),
    ("einsum_dense", lambda: layers.EinsumDense("ab,bc->ac", 4, bias_axes="c"), (3, 5), None),
    ("einsum_seq", lambda: layers.EinsumDense("abc,cd->abd", (3, 4), bias_axes="d", activation="relu"),
     (2, 3, 5), None),
    ("einsum_heads", lambda: layers.EinsumDense("abc,cde->abde", (3, 2, 3), bias_axes="de"), (2, 3, 5), None),
    ("einsum_ellipsis", lambda: layers.EinsumDense("...b,bc->...c", 4), (2, 3, 4, 5), None),
    ("einsum_right_ellipsis", lambda: layers.EinsumDense("ab...,bc->ac...", 4, bias_axes="c"), (2, 5, 3), None),
    ("attention_dot", lambda: layers.Attention(), [(2, 4, 6), (2, 5, 6)], None),
    ("attention_scaled_key", lambda: layers.Attention(use_scale=True), [(2, 4, 6), (2, 5, 3), (2, 5, 6)], None),
    ("attention_concat", lambda: layers.Attention(use_scale=True, score_mode="concat"), [(2, 4, 6), (2, 5, 6)],
     None),
    ("additive_attention", lambda: layers.AdditiveAttention(), [(2, 4, 6), (2, 5, 6)], None),
]


@pytest.mark.parametrize("name,factory,shape,call", CASES, ids=[c[0] for c in CASES])
def test_contract(name, factory, shape, call):
    kwargs = {"call": call} if call is not None else {}
    # attention_concat's weights are two scalars; a mean-square step always moves them.
    check_layer_contract(factory, shape, atol=1e-5, **kwargs)


# ----------------------------------------------------------------------------- MultiHeadAttention math

def _reference_mha(layer, query, value, key=None, mask=None):
    """Plain re-computation from the layer's Keras-layout weights."""
    key = value if key is None else key
    w = {v.path.split("/", 1)[1]: torch.as_tensor(v.numpy()) for v in layer.weights}
    q = torch.einsum("btd,dnh->btnh", query, w["query/kernel"]) + w["query/bias"]
    k = torch.einsum("bsd,dnh->bsnh", key, w["key/kernel"]) + w["key/bias"]
    v = torch.einsum("bsd,dnh->bsnh", value, w["value/kernel"]) + w["value/bias"]
    scores = torch.einsum("btnh,bsnh->bnts", q / math.sqrt(layer.key_dim), k)
    if mask is not None:
        scores = scores.masked_fill(~mask[:, None], -1e9)
    weights = scores.softmax(-1)
    if mask is not None:
        weights = weights.masked_fill(~mask[:, None], 0.0)
    out = torch.einsum("bnts,bsnh->btnh", weights, v)
    return torch.einsum("btnh,nhd->btd", out, w["attention_output/kernel"]) + w["attention_output/bias"], weights


def test_mha_matches_reference_computation():
    layer = layers.MultiHeadAttention(2, 4, value_dim=3)
    q, v, k = make_input((2, 5, 6)), make_input((2, 7, 4), seed=1), make_input((2, 7, 5), seed=2)
    out, scores = layer(q, v, k, return_attention_scores=True)
    ref_out, ref_scores = _reference_mha(layer, q, v, k)
    np.testing.assert_allclose(out.detach().numpy(), ref_out.detach().numpy(), atol=1e-5)
    np.testing.assert_allclose(scores.detach().numpy(), ref_scores.detach().numpy(), atol=1e-6)
    # The fused path (no scores asked) gives the same numbers.
    np.testing.assert_allclose(layer(q, v, k).detach().numpy(), ref_out.detach().numpy(), atol=1e-5)


def test_mha_weights_names_order_and_shapes():
    layer = layers.MultiHeadAttention(2, 4, value_dim=3, output_shape=5, name="mha")
    layer(torch.zeros(1, 3, 6), torch.zeros(1, 4, 7))
    assert [v.path for v in layer.weights] == [
        "mha/query/kernel", "mha/query/bias", "mha/key/kernel", "mha/key/bias", "mha/value/kernel",
        "mha/value/bias", "mha/attention_output/kernel", "mha/attention_output/bias"]
    assert [v.name for v in layer.weights] == ["kernel", "bias"] * 4
    assert [tuple(w.shape) for w in layer.get_weights()] == [(6, 2, 4), (2, 4), (7, 2, 4), (2, 4), (7, 2, 3),
                                                               (2, 3), (2, 3, 5), (5,)]
    assert layer.count_params() == sum(w.size for w in layer.get_weights())
    assert [s.name for s in (layer.query_dense, layer.key_dense, layer.value_dense, layer.output_dense)] == [
        "query", "key", "value", "attention_output"]


def test_mha_attention_mask_and_causal_mask():
    layer = layers.MultiHeadAttention(2, 3)
    x = make_input((2, 4, 6))
    causal = torch.ones(4, 4, dtype=torch.bool).tril()
    _, scores = layer(x, x, use_causal_mask=True, return_attention_scores=True)
    assert torch.all(scores[:, :, ~causal] == 0)
    explicit = layer(x, x, attention_mask=causal.expand(2, 4, 4))
    np.testing.assert_allclose(layer(x, x, use_causal_mask=True).detach().numpy(), explicit.detach().numpy(),
                               atol=1e-6)
    # Integer 0/1 masks are accepted like booleans.
    np.testing.assert_allclose(layer(x, x, attention_mask=causal.int()[None]).detach().numpy(),
                               explicit.detach().numpy(), atol=1e-6)


def test_mha_masks_from_embedding():
    tokens = torch.tensor([[4, 2, 0, 0], [1, 3, 5, 0]])
    emb = layers.Embedding(8, 6, mask_zero=True)
    x = emb(tokens)
    layer = layers.MultiHeadAttention(2, 3)
    out, scores = layer(x, x, return_attention_scores=True)
    mask = tokens != 0
    np.testing.assert_array_equal(out._keras_mask.numpy(), mask.numpy())
    ref_out, _ = _reference_mha(layer, x, x, mask=mask[:, None, :] & mask[:, :, None])
    np.testing.assert_allclose(out.detach().numpy(), ref_out.detach().numpy(), atol=1e-5)
    assert torch.all(scores[0, :, :, 2:] == 0)  # padded keys get no weight
    assert torch.all(scores[0, :, 2:, :] == 0)  # padded queries attend to nothing (explicit-scores path)


def test_mha_numpy_inputs_and_keyword_call():
    layer = layers.MultiHeadAttention(1, 2)
    q = np.random.default_rng(0).standard_normal((2, 3, 4)).astype("float32")
    a = layer(q, q)
    b = layer(query=torch.as_tensor(q), value=torch.as_tensor(q))
    np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), atol=1e-6)


def test_mha_dropout_only_in_training():
    layer = layers.MultiHeadAttention(2, 3, dropout=0.5)
    x = make_input((2, 5, 6))
    np.testing.assert_allclose(layer(x, x).detach().numpy(), layer(x, x, training=False).detach().numpy())
    _, s1 = layer(x, x, training=True, return_attention_scores=True)
    _, s2 = layer(x, x, return_attention_scores=True)
    np.testing.assert_allclose(s1.detach().numpy(), s2.detach().numpy(), atol=1e-6)  # scores are pre-dropout
    assert not np.allclose(layer(x, x, training=True).detach().numpy(), layer(x, x).detach().numpy())


def test_mha_config_round_trip_and_build_config():
    layer = layers.MultiHeadAttention(2, 3, value_dim=4, output_shape=(5,), kernel_initializer="he_normal",
                                      kernel_regularizer="l2", bias_constraint="non_neg", dropout=0.1, seed=3)
    assert layer.get_config()["attention_axes"] is None
    layer(torch.zeros(1, 3, 6), torch.zeros(1, 4, 2))
    config = layer.get_config()
    assert config["attention_axes"] == (1,) and config["output_shape"] == (5,) and config["value_dim"] == 4
    assert config["kernel_initializer"]["class_name"] == "HeNormal"
    assert layer.get_build_config() == {"shapes_dict": {"query_shape": [1, 3, 6], "value_shape": [1, 4, 2]}}
    clone = layers.MultiHeadAttention.from_config(config)
    clone.build_from_config(layer.get_build_config())
    assert clone.built and clone.get_config() == config
    clone.set_weights(layer.get_weights())
    x, v = make_input((2, 3, 6)), make_input((2, 4, 2), seed=1)
    np.testing.assert_allclose(clone(x, v).detach().numpy(), layer(x, v).detach().numpy(), atol=1e-6)
    # Regularizers of the projections count as the layer's losses.
    assert len(layer.losses) == 4


def test_mha_tf_keras_config_with_build_shapes():
    """tf.keras 2.x wrote query/value/key shapes into MultiHeadAttention's config."""
    config = {"name": "mha", "num_heads": 2, "key_dim": 3, "value_dim": 3, "dropout": 0.0, "use_bias": True,
              "output_shape": None, "attention_axes": [1], "query_shape": [None, 4, 6],
              "key_shape": [None, 5, 6], "value_shape": [None, 5, 6]}
    layer = layers.MultiHeadAttention.from_config(config)
    assert layer.built and [tuple(w.shape) for w in layer.get_weights()][:2] == [(6, 2, 3), (2, 3)]


def test_mha_errors():
    with pytest.raises(ValueError, match="num_heads"):
        layers.MultiHeadAttention(0, 4)
    with pytest.raises(ValueError, match="key_dim"):
        layers.MultiHeadAttention(2, None)
    with pytest.raises(ValueError, match="attention_axes"):
        layers.MultiHeadAttention(2, 4, attention_axes="1")
    with pytest.raises(ValueError, match="both `query` and `value`"):
        layers.MultiHeadAttention(2, 4)(torch.zeros(1, 3, 4))
    with pytest.raises(ValueError, match="value` and `key`, except the last one"):
        layers.MultiHeadAttention(2, 4)(torch.zeros(1, 3, 4), torch.zeros(1, 5, 4), torch.zeros(1, 6, 4))


def test_mha_compute_output_shape_forms():
    layer = layers.MultiHeadAttention(2, 3, output_shape=7)
    assert layer.compute_output_shape((None, 5, 4), (None, 6, 2)) == (None, 5, 7)
    assert layer.compute_output_shape([(None, 5, 4), (None, 6, 2)]) == (None, 5, 7)
    assert layers.MultiHeadAttention(2, 3).compute_output_shape((None, 5, 4)) == (None, 5, 4)


# ----------------------------------------------------------------------------- EinsumDense

def test_einsum_dense_equals_dense():
    dense = layers.Dense(4)
    einsum = layers.EinsumDense("ab,bc->ac", output_shape=4, bias_axes="c")
    x = make_input((3, 5))
    dense(x)
    einsum(x)
    einsum.set_weights([w + 1 for w in dense.get_weights()])
    dense.set_weights(einsum.get_weights())
    np.testing.assert_allclose(einsum(x).detach().numpy(), dense(x).detach().numpy(), atol=1e-6)
    assert [v.name for v in einsum.weights] == ["kernel", "bias"]


@pytest.mark.parametrize("equation,output_shape,bias_axes,input_shape,kernel,bias,out", [
    ("abc,cde->abde", (None, 2, 3), "de", (None, 4, 5), (5, 2, 3), (2, 3), (None, None, 2, 3)),
    ("abc,cde->abde", (None, 2, 3), "e", (None, 4, 5), (5, 2, 3), (3,), (None, None, 2, 3)),
    ("abc,cde->abde", (None, 2, 3), "d", (None, 4, 5), (5, 2, 3), (2, 1), (None, None, 2, 3)),
    ("...b,bc->...c", 4, "c", (None, 3, 5), (5, 4), (4,), (None, 3, 4)),
    ("ab...,bc->ac...", 4, "c", (None, 5, 3), (5, 4), (4, 1), (None, 4, 3)),
    ("abcd,cde->abe", (None, 7), None, (None, 3, 4, 5), (4, 5, 7), None, (None, None, 7)),
])
def test_einsum_dense_shapes(equation, output_shape, bias_axes, input_shape, kernel, bias, out):
    layer = layers.EinsumDense(equation, output_shape, bias_axes=bias_axes)
    layer.build(input_shape)
    shapes = [tuple(w.shape) for w in layer.get_weights()]
    assert shapes == ([kernel] if bias is None else [kernel, bias])
    assert layer.compute_output_shape(input_shape) == out


def test_einsum_dense_glorot_uses_equation_fans():
    """fan_in = 64 (input axis), fan_out = 8 * 16 (output axes): limit sqrt(6 / 192)."""
    layer = layers.EinsumDense("abc,cde->abde", (None, 8, 16))
    layer.build((None, 4, 64))
    limit = math.sqrt(6 / (64 + 128))
    kernel = layer.get_weights()[0]
    assert kernel.max() <= limit and kernel.max() > 0.9 * limit


def test_einsum_dense_errors():
    with pytest.raises(ValueError, match="Invalid einsum equation"):
        layers.EinsumDense("ab->ac", 4).build((None, 3))
    with pytest.raises(ValueError, match="Bias dimension 'x'"):
        layers.EinsumDense("ab,bc->ac", 4, bias_axes="x").build((None, 3))
    with pytest.raises(ValueError, match="Weight dimension 'z'"):
        layers.EinsumDense("ab,bz->a", (), bias_axes=None).build((None, 3))


# ----------------------------------------------------------------------------- Attention / AdditiveAttention

def test_attention_math_and_masks():
    q, v = make_input((2, 3, 4)), make_input((2, 5, 4), seed=1)
    q_mask = torch.tensor([[True, True, False], [True, True, True]])
    v_mask = torch.tensor([[True, True, True, False, False], [True] * 5])
    layer = layers.Attention()
    out, weights = layer([q, v], mask=[q_mask, v_mask], return_attention_scores=True)
    scores = (q @ v.transpose(1, 2)).masked_fill(~v_mask[:, None], -1e9)
    ref = scores.softmax(-1) @ v
    ref = ref * q_mask[..., None]
    np.testing.assert_allclose(out.detach().numpy(), ref.numpy(), atol=1e-6)
    assert torch.all(weights[0, :, 3:] == 0)
    np.testing.assert_array_equal(out._keras_mask.numpy(), q_mask.numpy())


def test_additive_attention_math():
    q, v = make_input((2, 3, 4)), make_input((2, 5, 4), seed=1)
    layer = layers.AdditiveAttention()
    out = layer([q, v])
    scale = torch.as_tensor(layer.get_weights()[0])
    ref = (scale * torch.tanh(q[:, :, None] + v[:, None])).sum(-1).softmax(-1) @ v
    np.testing.assert_allclose(out.detach().numpy(), ref.detach().numpy(), atol=1e-6)
    assert [v.name for v in layer.weights] == ["scale"] and "score_mode" not in layer.get_config()


def test_attention_causal():
    x = make_input((1, 4, 3))
    _, weights = layers.Attention()([x, x], use_causal_mask=True, return_attention_scores=True)
    assert torch.all(weights[0][~torch.ones(4, 4, dtype=torch.bool).tril()] == 0)


def test_attention_errors():
    with pytest.raises(ValueError, match="score_mode"):
        layers.Attention(score_mode="add")
    with pytest.raises(ValueError, match="list of inputs"):
        layers.Attention()(torch.zeros(1, 2, 3))
    with pytest.raises(ValueError, match="length 2 or 3"):
        layers.Attention()([torch.zeros(1, 2, 3)])


# ----------------------------------------------------------------------------- models

def _transformer(lib=keraslite, scores=False):
    L = lib.layers
    tokens = lib.Input((6,), dtype="int32")
    x = L.Embedding(20, 8, mask_zero=True)(tokens)
    if scores:
        a, s = L.MultiHeadAttention(2, 4)(x, x, return_attention_scores=True)
    else:
        a = L.MultiHeadAttention(2, 4)(x, x)
    x = L.LayerNormalization()(L.Add()([x, a]))
    x = L.GlobalAveragePooling1D()(x)
    out = L.Dense(2, activation="softmax")(x)
    return lib.Model(tokens, [out, s] if scores else out)


def _tokens():
    return np.array([[1, 5, 7, 0, 0, 0], [3, 2, 9, 4, 11, 0], [6, 6, 6, 6, 6, 6]], dtype="int32")


def test_functional_model_shapes_and_summary(capsys):
    model = _transformer(scores=True)
    assert [tuple(t.shape) for t in model.outputs] == [(None, 2), (None, 2, 6, 6)]
    model.summary()
    text = capsys.readouterr().out
    assert "(MultiHeadAttentio" in text and "288" in text


@pytest.mark.parametrize("ext", [".keras", ".h5", ".weights.h5"])
def test_model_file_round_trip(ext, tmp_path):
    model = _transformer()
    path = str(tmp_path / f"m{ext}")
    model.save_weights(path) if ext == ".weights.h5" else model.save(path)
    if ext == ".weights.h5":
        loaded = _transformer()
        loaded.load_weights(path)
    else:
        loaded = keraslite.saving.load_model(path)
    x = _tokens()
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-6)
    mha = [l for l in loaded.layers if isinstance(l, layers.MultiHeadAttention)][0]
    assert mha.weights[0].path.endswith("/query/kernel")


def test_functional_model_trains():
    model = _transformer()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    x = np.tile(_tokens(), (8, 1))
    y = np.tile([0, 1, 1], 8)
    history = model.fit(x, y, epochs=5, batch_size=6, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]


def test_sequential_with_einsum_dense():
    model = keraslite.Sequential([keraslite.Input((4, 5)), layers.EinsumDense("abc,cd->abd", (4, 3), bias_axes="d"),
                                  layers.Flatten(), layers.Dense(1)])
    assert model.output_shape == (None, 1)
    assert model(np.zeros((2, 4, 5), "float32")).shape == (2, 1)


# ----------------------------------------------------------------------------- GroupQueryAttention

def _reference_gqa(layer, query, value, key=None, mask=None):
    """Plain-torch grouped-query attention from the layer's Keras-layout weights."""
    key = value if key is None else key
    w = [torch.as_tensor(a) for a in layer.get_weights()]
    wq, bq, wk, bk, wv, bv, wo, bo = w
    q = torch.einsum("bqm,muh->bquh", query, wq) + bq
    k = torch.einsum("bkm,mvh->bkvh", key, wk) + bk
    v = torch.einsum("bkm,mvh->bkvh", value, wv) + bv
    r = layer.num_query_heads // layer.num_key_value_heads
    k, v = k.repeat_interleave(r, dim=2), v.repeat_interleave(r, dim=2)
    scores = torch.einsum("bquh,bkuh->buqk", q, k) / math.sqrt(layer.head_dim)
    if mask is not None:
        scores = scores.masked_fill(~mask[:, None], -1e9)
    weights = scores.softmax(-1)
    if mask is not None:
        weights = weights * mask[:, None]
    out = torch.einsum("buqk,bkuh->bquh", weights, v)
    return torch.einsum("bquh,uhm->bqm", out, wo) + bo, weights


def test_gqa_matches_reference_computation_and_shares_kv_heads():
    layer = layers.GroupQueryAttention(head_dim=3, num_query_heads=4, num_key_value_heads=2)
    q, v, k = make_input((2, 5, 6), seed=1), make_input((2, 7, 6), seed=2), make_input((2, 7, 4), seed=3)
    layer(q, v, k)
    rng = np.random.default_rng(0)
    layer.set_weights([rng.standard_normal(w.shape).astype("float32") * 0.5 for w in layer.get_weights()])
    mask = torch.as_tensor(rng.random((2, 5, 7)) > 0.3)
    mask[:, :, 0] = True  # no fully masked rows: the fused and explicit paths agree there
    expected, expected_scores = _reference_gqa(layer, q, v, k, mask)
    for scores in (False, True):
        out = layer(q, v, k, attention_mask=mask, return_attention_scores=scores)
        if scores:
            out, got_scores = out
            assert tuple(got_scores.shape) == (2, 4, 5, 7)
            np.testing.assert_allclose(got_scores.detach().numpy(), expected_scores.detach().numpy(), atol=1e-5)
        np.testing.assert_allclose(out.detach().numpy(), expected.detach().numpy(), atol=1e-5)


def test_gqa_weights_names_order_and_shapes():
    layer = layers.GroupQueryAttention(head_dim=2, num_query_heads=6, num_key_value_heads=3, use_gate=True,
                                       name="gqa")
    layer(make_input((1, 4, 5)), make_input((1, 4, 5)))
    assert [w.path for w in layer.weights] == [f"gqa/{s}/{v}" for s in ("query", "key", "gate", "value",
                                                                        "attention_output")
                                               for v in ("kernel", "bias")]
    assert [tuple(w.shape) for w in layer.get_weights()] == [(5, 6, 2), (6, 2), (5, 3, 2), (3, 2), (5, 6, 2),
                                                             (6, 2), (5, 3, 2), (3, 2), (6, 2, 5), (5,)]
    assert layers.GroupQueryAttention(2, 2, 1).name.startswith("grouped_query_attention")
    assert layers.GroupedQueryAttention is layers.GroupQueryAttention


def test_gqa_causal_mask_and_masks_from_embedding():
    layer = layers.GroupQueryAttention(2, 2, 1)
    x = make_input((2, 4, 6))
    _, scores = layer(x, x, use_causal_mask=True, return_attention_scores=True)
    assert torch.all(scores.triu(1) == 0)
    ids = torch.tensor([[3, 4, 0, 0], [5, 6, 7, 0]])
    emb = layers.Embedding(10, 6, mask_zero=True)
    e = emb(ids)
    out, scores = layer(e, e, return_attention_scores=True)
    assert torch.equal(out._keras_mask, ids != 0)
    assert torch.all(scores[0, :, :, 2:] == 0) and torch.all(scores[1, :, 0, 3] == 0)


def test_gqa_dropout_only_in_training():
    layer = layers.GroupQueryAttention(2, 2, 1, dropout=0.5, seed=1)
    x = make_input((2, 6, 4))
    a, b = layer(x, x), layer(x, x)
    assert torch.equal(a, b)
    assert not torch.allclose(layer(x, x, training=True), a)


def test_gqa_config_round_trip_and_build_config():
    layer = layers.GroupQueryAttention(head_dim=3, num_query_heads=4, num_key_value_heads=2, dropout=0.1,
                                       use_bias=False, sliding_window=3, use_gate=True, seed=5, name="g")
    layer(make_input((2, 5, 6)), make_input((2, 7, 6)))
    config = layer.get_config()
    for key in ("head_dim", "num_query_heads", "num_key_value_heads", "dropout", "use_bias", "use_gate",
                "sliding_window", "kernel_initializer", "bias_initializer", "kernel_regularizer",
                "bias_regularizer", "activity_regularizer", "kernel_constraint", "bias_constraint", "seed"):
        assert key in config, key
    clone = layers.GroupQueryAttention.from_config(config)
    assert clone.get_config() == config
    assert layer.get_build_config() == {"shapes_dict": {"query_shape": [2, 5, 6], "value_shape": [2, 7, 6]}}
    clone.build_from_config(layer.get_build_config())
    clone.set_weights(layer.get_weights())
    q, v = make_input((2, 5, 6), seed=4), make_input((2, 7, 6), seed=5)
    np.testing.assert_allclose(clone(q, v).detach().numpy(), layer(q, v).detach().numpy(), atol=1e-6)


def test_gqa_errors_name_the_problem():
    with pytest.raises(ValueError, match="num_query_heads.*divisible by `num_key_value_heads`.*6.*4"):
        layers.GroupQueryAttention(2, 6, 4)
    with pytest.raises(ValueError, match="`head_dim` must be a positive integer.*0"):
        layers.GroupQueryAttention(0, 2, 1)
    with pytest.raises(ValueError, match="sliding_window"):
        layers.GroupQueryAttention(2, 2, 1, sliding_window=0)
    layer = layers.GroupQueryAttention(2, 2, 1, name="g")
    with pytest.raises(ValueError, match=r"GroupQueryAttention 'g' takes 3-D.*query of shape \(2, 3, 4, 5\)"):
        layer(make_input((2, 3, 4, 5)), make_input((2, 3, 4, 5)))
    with pytest.raises(ValueError, match="must be called with both `query` and `value`"):
        layers.GroupQueryAttention(2, 2, 1)(make_input((2, 3, 4)))
    with pytest.raises(ValueError, match=r"last dimension of `query` and `value` must be equal.*6 and 4"):
        layers.GroupQueryAttention(2, 2, 1).compute_output_shape((None, 5, 6), (None, 7, 4))
    with pytest.raises(ValueError, match=r"same sequence length.*\(2, 7, 6\).*\(2, 6, 6\)"):
        layers.GroupQueryAttention(2, 2, 1, name="g2")(make_input((2, 5, 6)), make_input((2, 7, 6)),
                                                       make_input((2, 6, 6)))


def test_gqa_functional_shapes_and_width_check():
    import keraslite

    q, v = keraslite.Input((5, 6)), keraslite.Input((7, 6))
    out, scores = layers.GroupQueryAttention(2, 4, 2)(q, v, return_attention_scores=True)
    assert tuple(out.shape) == (None, 5, 6) and tuple(scores.shape) == (None, 4, 5, 7)
    with pytest.raises(ValueError, match=r"last dimension of `query` and `value` must be equal, but are 6 and 4"):
        layers.GroupQueryAttention(2, 4, 2)(q, keraslite.Input((7, 4)))
