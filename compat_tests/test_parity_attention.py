"""Attention layers vs real Keras 3 (torch backend): MultiHeadAttention, Attention,
AdditiveAttention and EinsumDense with the same weights (Keras's, through set_weights) give
the same outputs within 1e-5; weight names, paths, order and configs match; a small
Transformer-block model trains to the same loss history; and model files written by either
library load in the other with the same predictions.
"""
import numpy as np
import pytest
import torch

import keraslite
from compat_tests.conftest import keras
from compat_tests.parity import assert_close, random_input, to_numpy

ATOL = 1e-5


def _randomize(layer, seed=0):
    rng = np.random.default_rng(seed)
    layer.set_weights([(rng.standard_normal(w.shape) * 0.5).astype(w.dtype) for w in layer.get_weights()])


def _tensors(arrays):
    return [None if a is None else torch.as_tensor(a) for a in arrays]


def mha_parity(kwargs, inputs, call_kwargs=None, seed=0):
    """Build keras.layers.MultiHeadAttention(**kwargs) and keraslite's on `inputs` (query,
    value[, key]), give keraslite Keras's randomized weights, compare outputs."""
    call_kwargs = call_kwargs or {}
    km = keras.layers.MultiHeadAttention(**kwargs)
    lm = keraslite.layers.MultiHeadAttention(**kwargs)
    km(*_tensors(inputs), **call_kwargs)
    _randomize(km, seed)
    k_out = to_numpy(km(*_tensors(inputs), **call_kwargs))
    lm(*_tensors(inputs), **call_kwargs)
    assert [w.path for w in lm.weights] == [w.path for w in km.weights]
    assert [w.name for w in lm.weights] == [w.name for w in km.weights]
    assert [tuple(w.shape) for w in lm.get_weights()] == [tuple(w.shape) for w in km.get_weights()]
    lm.set_weights(km.get_weights())
    l_out = to_numpy(lm(*_tensors(inputs), **call_kwargs))
    assert_close(l_out, k_out, ATOL, ATOL, "MultiHeadAttention output")
    return km, lm, k_out, l_out


Q = random_input((3, 5, 8), seed=1)
V = random_input((3, 7, 6), seed=2)
K = random_input((3, 7, 4), seed=3)


def test_mha_self_attention():
    mha_parity(dict(num_heads=2, key_dim=4), [Q, Q])


def test_mha_self_attention_one_argument_value():
    """`mha(x, x)` and `mha(query=x, value=x)` are the same call."""
    km = keras.layers.MultiHeadAttention(3, 2)
    lm = keraslite.layers.MultiHeadAttention(3, 2)
    km(torch.as_tensor(Q), torch.as_tensor(Q))
    _randomize(km)
    lm(query=torch.as_tensor(Q), value=torch.as_tensor(Q))
    lm.set_weights(km.get_weights())
    assert_close(to_numpy(lm(query=torch.as_tensor(Q), value=torch.as_tensor(Q))),
                 to_numpy(km(torch.as_tensor(Q), torch.as_tensor(Q))))


def test_mha_cross_attention_with_key_and_value_dims():
    mha_parity(dict(num_heads=3, key_dim=5, value_dim=2), [Q, V, K])


def test_mha_cross_attention_without_key():
    mha_parity(dict(num_heads=2, key_dim=3, use_bias=False), [Q, V])


@pytest.mark.parametrize("scores", [False, True], ids=["fused", "scores"])
def test_mha_attention_mask(scores):
    mask = np.random.default_rng(4).random((3, 5, 7)) > 0.4
    mask[0, 1] = False  # a query row with no key to attend to
    _, _, k_out, _ = mha_parity(dict(num_heads=2, key_dim=4), [Q, V],
                                dict(attention_mask=torch.as_tensor(mask), return_attention_scores=scores))
    if scores:
        assert k_out[1].shape == (3, 2, 5, 7)


def test_mha_broadcast_attention_mask():
    mask = np.random.default_rng(5).random((1, 5, 7)) > 0.3
    mha_parity(dict(num_heads=2, key_dim=4), [Q, V], dict(attention_mask=torch.as_tensor(mask)))


@pytest.mark.parametrize("scores", [False, True], ids=["fused", "scores"])
def test_mha_causal_mask(scores):
    mha_parity(dict(num_heads=2, key_dim=4), [Q, Q], dict(use_causal_mask=True, return_attention_scores=scores))


def test_mha_causal_and_attention_mask():
    mask = np.random.default_rng(6).random((3, 5, 5)) > 0.3
    mha_parity(dict(num_heads=2, key_dim=4), [Q, Q],
               dict(use_causal_mask=True, attention_mask=torch.as_tensor(mask)))


def test_mha_return_attention_scores_sum_to_one():
    _, _, _, (out, scores) = mha_parity(dict(num_heads=4, key_dim=2), [Q, V], dict(return_attention_scores=True))
    np.testing.assert_allclose(scores.sum(-1), 1.0, atol=1e-5)


@pytest.mark.parametrize("output_shape", [3, (4,), (2, 3)], ids=["int", "tuple", "2d"])
def test_mha_output_shape(output_shape):
    _, _, k_out, _ = mha_parity(dict(num_heads=2, key_dim=4, output_shape=output_shape), [Q, V])
    assert k_out.shape[:2] == (3, 5)


def test_mha_dropout_is_identity_in_inference():
    # dropout > 0 makes Keras take its explicit-scores path even in inference.
    mha_parity(dict(num_heads=2, key_dim=4, dropout=0.3), [Q, V])


@pytest.mark.parametrize("axes", [(1, 2), 2, (-2,)], ids=["both", "second", "negative"])
def test_mha_attention_axes_on_4d_inputs(axes):
    x = random_input((2, 3, 4, 6), seed=7)
    mha_parity(dict(num_heads=2, key_dim=3, attention_axes=axes), [x, x])
    mha_parity(dict(num_heads=2, key_dim=3, attention_axes=axes), [x, x], dict(return_attention_scores=True))


def test_mha_gate_and_sliding_window():
    mha_parity(dict(num_heads=2, key_dim=3, use_gate=True, sliding_window=2), [Q, Q])
    mha_parity(dict(num_heads=2, key_dim=3, sliding_window=3), [Q, Q], dict(use_causal_mask=True))


def _embedded(tokens, seed=0):
    """The same Embedding(mask_zero=True) in both libraries; returns (keras_out, keraslite_out)."""
    ke = keras.layers.Embedding(20, 8, mask_zero=True)
    le = keraslite.layers.Embedding(20, 8, mask_zero=True)
    ke.build((None, tokens.shape[1]))
    _randomize(ke, seed)
    le(torch.as_tensor(tokens))
    le.set_weights(ke.get_weights())
    return ke(torch.as_tensor(tokens)), le(torch.as_tensor(tokens))


TOKENS = np.array([[3, 5, 9, 0, 0], [7, 1, 0, 0, 0], [2, 4, 6, 8, 11]], dtype="int64")


@pytest.mark.parametrize("scores", [False, True], ids=["fused", "scores"])
def test_mha_masked_embedding_input(scores):
    """Keras combines the query's and value's masks (from Embedding(mask_zero=True)) into the
    attention mask; the output carries the query's mask. Padded query rows differ between
    the fused and explicit-scores paths in Keras itself (uniform vs zero weights)."""
    km, lm = keras.layers.MultiHeadAttention(2, 4), keraslite.layers.MultiHeadAttention(2, 4)
    kx, lx = _embedded(TOKENS)
    km(kx, kx)
    _randomize(km)
    lm(lx, lx)
    lm.set_weights(km.get_weights())
    # Keras clears the masks of the tensors it was called on (see keraslite.layers.attention):
    # embed again so that both calls below see masked inputs.
    kx, lx = _embedded(TOKENS)
    k_out = km(kx, kx, return_attention_scores=scores)
    l_out = lm(lx, lx, return_attention_scores=scores)
    assert_close(to_numpy(l_out), to_numpy(k_out), ATOL, ATOL, "masked MultiHeadAttention")
    k_first = k_out[0] if scores else k_out
    l_first = l_out[0] if scores else l_out
    np.testing.assert_array_equal(to_numpy(l_first._keras_mask), to_numpy(k_first._keras_mask))


def test_mha_masked_cross_attention():
    tokens_v = np.array([[1, 2, 0, 0, 0, 0], [4, 0, 0, 0, 0, 0], [5, 6, 7, 8, 9, 1]], dtype="int64")

    def inputs():
        return _embedded(TOKENS, seed=1), _embedded(tokens_v, seed=2)

    (kq, lq), (kv, lv) = inputs()
    km, lm = keras.layers.MultiHeadAttention(2, 4), keraslite.layers.MultiHeadAttention(2, 4)
    km(kq, kv)
    _randomize(km)
    lm(lq, lv)
    lm.set_weights(km.get_weights())
    mask = torch.as_tensor(np.random.default_rng(8).random((3, 5, 6)) > 0.2)
    for kwargs in ({}, {"attention_mask": mask}, {"return_attention_scores": True}):
        (kq, lq), (kv, lv) = inputs()
        assert_close(to_numpy(lm(lq, lv, **kwargs)), to_numpy(km(kq, kv, **kwargs)), ATOL, ATOL, str(kwargs))


def test_mha_config_matches_keras():
    kwargs = dict(num_heads=2, key_dim=4, value_dim=3, dropout=0.1, output_shape=(5,), use_bias=False,
                  kernel_initializer="he_normal", kernel_regularizer="l2", seed=3)
    km, lm = keras.layers.MultiHeadAttention(**kwargs), keraslite.layers.MultiHeadAttention(**kwargs)
    k_cfg, l_cfg = km.get_config(), lm.get_config()
    assert set(l_cfg) == set(k_cfg), set(l_cfg) ^ set(k_cfg)
    for key in ("num_heads", "key_dim", "value_dim", "dropout", "use_bias", "use_gate", "output_shape",
                "attention_axes", "sliding_window", "seed"):
        assert l_cfg[key] == k_cfg[key], key
    assert l_cfg["kernel_initializer"]["class_name"] == k_cfg["kernel_initializer"]["class_name"]
    km(torch.as_tensor(Q), torch.as_tensor(V))
    lm(torch.as_tensor(Q), torch.as_tensor(V))
    assert lm.get_config()["attention_axes"] == km.get_config()["attention_axes"] == (1,)
    # A keraslite layer rebuilt from Keras's config has Keras's weights layout.
    clone = keraslite.layers.MultiHeadAttention.from_config(km.get_config())
    clone(torch.as_tensor(Q), torch.as_tensor(V))
    clone.set_weights(km.get_weights())


def test_mha_glorot_kernels_have_keras_scale():
    """Keras draws EinsumDense kernels with fans from the equation's axes: for query
    (dim, heads, key_dim) fan_in = dim, fan_out = heads * key_dim."""
    km, lm = keras.layers.MultiHeadAttention(8, 16), keraslite.layers.MultiHeadAttention(8, 16)
    x = torch.zeros(1, 2, 64)
    km(x, x)
    lm(x, x)
    for kw, lw in zip(km.get_weights(), lm.get_weights()):
        if kw.ndim == 3:
            assert abs(lw.std() - kw.std()) < 0.1 * kw.std(), (lw.std(), kw.std())


# ----------------------------------------------------------------------------- EinsumDense

EINSUM_CASES = [
    ("ab,bc->ac", 5, "c", (4, 6)),
    ("abc,cd->abd", (None, 5), "d", (2, 3, 6)),
    ("abc,cde->abde", (None, 2, 3), "de", (2, 3, 6)),
    ("abc,cde->abde", (None, 2, 3), "e", (2, 3, 6)),
    ("...b,bc->...c", 4, "c", (2, 3, 5, 6)),
    ("ab...,bc->ac...", 4, "c", (2, 6, 3)),
    ("abcd,cde->abe", (None, 7), None, (2, 3, 4, 5)),
]


@pytest.mark.parametrize("equation,output_shape,bias_axes,shape", EINSUM_CASES,
                         ids=[f"{c[0]}|{c[2]}" for c in EINSUM_CASES])
def test_einsum_dense(equation, output_shape, bias_axes, shape):
    kl = keras.layers.EinsumDense(equation, output_shape, bias_axes=bias_axes, activation="tanh")
    ll = keraslite.layers.EinsumDense(equation, output_shape, bias_axes=bias_axes, activation="tanh")
    x = random_input(shape, seed=9)
    kl(torch.as_tensor(x))
    _randomize(kl)
    ll(torch.as_tensor(x))
    assert [w.path for w in ll.weights] == [w.path for w in kl.weights]
    ll.set_weights(kl.get_weights())
    assert_close(to_numpy(ll(torch.as_tensor(x))), to_numpy(kl(torch.as_tensor(x))))
    symbolic = (None,) + shape[1:]
    lite_shape, actual = ll.compute_output_shape(symbolic), (None,) + tuple(kl(torch.as_tensor(x)).shape[1:])
    assert all(d is None or d == a for d, a in zip(lite_shape, actual)) and len(lite_shape) == len(actual)
    if not (equation.startswith("...") and len(shape) - len(equation.split(",")[0].replace("...", "")) > 2):
        # Keras reverses the dims a left ellipsis stands for when there are two or more
        # besides the batch; keraslite keeps them in order (what both libraries compute).
        assert lite_shape == kl.compute_output_shape(symbolic)
    k_cfg, l_cfg = kl.get_config(), ll.get_config()
    assert set(l_cfg) == set(k_cfg), set(l_cfg) ^ set(k_cfg)
    for key in ("equation", "output_shape", "bias_axes", "activation"):
        assert l_cfg[key] == k_cfg[key], key


# ----------------------------------------------------------------------------- Attention / AdditiveAttention

def attention_parity(cls_name, kwargs, inputs, mask=None, call_kwargs=None, seed=0):
    call_kwargs = dict(call_kwargs or {})
    kl = getattr(keras.layers, cls_name)(**kwargs)
    ll = getattr(keraslite.layers, cls_name)(**kwargs)
    if mask is not None:
        call_kwargs["mask"] = [None if m is None else torch.as_tensor(m) for m in mask]
    kl(_tensors(inputs), **call_kwargs)
    _randomize(kl, seed)
    k_out = to_numpy(kl(_tensors(inputs), **call_kwargs))
    ll(_tensors(inputs), **call_kwargs)
    assert [w.path for w in ll.weights] == [w.path for w in kl.weights]
    ll.set_weights(kl.get_weights())
    l_out = to_numpy(ll(_tensors(inputs), **call_kwargs))
    assert_close(l_out, k_out, ATOL, ATOL, f"{cls_name} output")
    k_cfg, l_cfg = kl.get_config(), ll.get_config()
    assert set(l_cfg) == set(k_cfg), set(l_cfg) ^ set(k_cfg)
    return k_out, l_out


AQ = random_input((3, 4, 6), seed=10)
AV = random_input((3, 5, 6), seed=11)
AK = random_input((3, 5, 6), seed=12)
Q_MASK = np.array([[1, 1, 1, 0], [1, 1, 0, 0], [1, 1, 1, 1]], dtype=bool)
V_MASK = np.array([[1, 1, 0, 0, 0], [1, 1, 1, 1, 0], [1, 1, 1, 1, 1]], dtype=bool)

ATTENTION_CASES = [
    ("Attention", dict()),
    ("Attention", dict(use_scale=True)),
    ("Attention", dict(score_mode="concat")),
    ("Attention", dict(score_mode="concat", use_scale=True)),
    ("AdditiveAttention", dict()),
    ("AdditiveAttention", dict(use_scale=False)),
]


@pytest.mark.parametrize("cls_name,kwargs", ATTENTION_CASES, ids=[f"{c}-{k}" for c, k in ATTENTION_CASES])
@pytest.mark.parametrize("with_key", [False, True], ids=["qv", "qvk"])
def test_attention_layers(cls_name, kwargs, with_key):
    inputs = [AQ, AV, AK] if with_key else [AQ, AV]
    attention_parity(cls_name, kwargs, inputs)
    attention_parity(cls_name, kwargs, inputs, mask=[Q_MASK, V_MASK])
    attention_parity(cls_name, kwargs, inputs, mask=[None, V_MASK], call_kwargs=dict(return_attention_scores=True))


@pytest.mark.parametrize("cls_name", ["Attention", "AdditiveAttention"])
def test_attention_causal_and_scores(cls_name):
    attention_parity(cls_name, {}, [AQ, AQ], call_kwargs=dict(use_causal_mask=True, return_attention_scores=True))
    attention_parity(cls_name, {}, [AQ, AQ], mask=[Q_MASK, Q_MASK], call_kwargs=dict(use_causal_mask=True))


def test_attention_output_mask_is_query_mask():
    kl, ll = keras.layers.Attention(), keraslite.layers.Attention()
    mask = [torch.as_tensor(Q_MASK), torch.as_tensor(V_MASK)]
    k_out = kl([torch.as_tensor(AQ), torch.as_tensor(AV)], mask=mask)
    l_out = ll([torch.as_tensor(AQ), torch.as_tensor(AV)], mask=mask)
    np.testing.assert_array_equal(to_numpy(l_out._keras_mask), to_numpy(k_out._keras_mask))


def test_attention_with_embedding_masks_in_functional_models():
    def build(lib):
        L = lib.layers
        q_in, v_in = lib.Input((4,), dtype="int32"), lib.Input((5,), dtype="int32")
        q = L.Embedding(12, 6, mask_zero=True)(q_in)
        v = L.Embedding(12, 6, mask_zero=True)(v_in)
        a = L.Attention(use_scale=True)([q, v])
        b = L.AdditiveAttention()([q, v])
        pooled = L.GlobalAveragePooling1D()(L.Concatenate()([a, b]))
        return lib.Model([q_in, v_in], L.Dense(2)(pooled))

    km, lm = build(keras), build(keraslite)
    _randomize(km)
    lm.set_weights(km.get_weights())
    x = [np.array([[1, 2, 0, 0], [3, 4, 5, 0], [6, 7, 8, 9]], dtype="int32"),
         np.array([[1, 2, 3, 0, 0], [4, 0, 0, 0, 0], [5, 6, 7, 8, 9]], dtype="int32")]
    assert_close(lm.predict(x, verbose=0), km.predict(x, verbose=0))


# ----------------------------------------------------------------------------- models: training and files

def transformer_classifier(lib, vocab=40, length=9, dim=8, heads=2, mask_zero=True, scores=False):
    """A Keras-3-era Transformer encoder block text classifier (functional)."""
    L = lib.layers
    tokens = lib.Input((length,), dtype="int32", name="tokens")
    x = L.Embedding(vocab, dim, mask_zero=mask_zero, name="embed")(tokens)
    if scores:
        attn, _ = L.MultiHeadAttention(heads, dim // heads, name="mha")(x, x, return_attention_scores=True)
    else:
        attn = L.MultiHeadAttention(heads, dim // heads, name="mha")(x, x)
    x = L.LayerNormalization(epsilon=1e-6)(L.Add()([x, L.Dropout(0.1)(attn)]))
    ffn = L.Dense(dim, name="ffn_out")(L.Dense(16, activation="relu", name="ffn_in")(x))
    x = L.LayerNormalization(epsilon=1e-6)(L.Add()([x, ffn]))
    x = L.GlobalAveragePooling1D()(x)
    return lib.Model(tokens, L.Dense(3, activation="softmax", name="head")(x))


def cross_attention_model(lib):
    L = lib.layers
    q_in, v_in = lib.Input((5, 6), name="q"), lib.Input((7, 4), name="v")
    a = L.MultiHeadAttention(2, 3, value_dim=5, output_shape=(6,), name="cross")(q_in, v_in, use_causal_mask=False)
    e = L.EinsumDense("abc,cd->abd", (5, 4), bias_axes="d", activation="relu", name="einsum")(a)
    c = L.MultiHeadAttention(1, 4, name="causal")(e, e, use_causal_mask=True)
    return lib.Model([q_in, v_in], L.Dense(2)(L.Flatten()(c)))


def luong_bahdanau_model(lib):
    """Attention (scalar `scale` and `concat_score_weight`) and AdditiveAttention on masked
    embeddings, in one functional model."""
    L = lib.layers
    tokens = lib.Input((9,), dtype="int32", name="tokens")
    x = L.Embedding(40, 6, mask_zero=True)(tokens)
    a = L.Attention(use_scale=True, score_mode="concat")([x, x])
    b = L.AdditiveAttention()([x, a, x])
    c = L.Attention(use_scale=True)([a, b], use_causal_mask=True)
    return lib.Model(tokens, L.Dense(2)(L.GlobalAveragePooling1D()(c)))


def mask_input_model(lib):
    """The attention mask as a model input, passed by keyword (a tensor in the node's kwargs)."""
    L = lib.layers
    q, m = lib.Input((5, 6), name="q"), lib.Input((5, 5), dtype="bool", name="mask")
    return lib.Model([q, m], L.MultiHeadAttention(2, 3, name="masked")(q, q, attention_mask=m))


def _tokens(n=48, length=9, vocab=40, seed=0):
    rng = np.random.default_rng(seed)
    lengths = rng.integers(2, length + 1, (n, 1))
    return np.where(np.arange(length) < lengths, rng.integers(1, vocab, (n, length)), 0).astype("int32")


def _model_inputs(kind):
    if kind == "mask_input":
        return [random_input((4, 5, 6), seed=22), np.random.default_rng(23).random((4, 5, 5)) > 0.3]
    if kind == "cross":
        return [random_input((4, 5, 6), seed=20), random_input((4, 7, 4), seed=21)]
    return _tokens(6)


MODEL_BUILDERS = {"transformer": transformer_classifier, "cross": cross_attention_model,
                  "luong_bahdanau": luong_bahdanau_model, "mask_input": mask_input_model,
                  "transformer_scores": lambda lib: transformer_classifier(lib, scores=True)}


@pytest.mark.parametrize("mask_zero", [True, False], ids=["masked", "unmasked"])
def test_transformer_block_trains_like_keras(mask_zero):
    x = _tokens(48)
    y = np.random.default_rng(1).integers(0, 3, 48)
    km = transformer_classifier(keras, mask_zero=mask_zero)
    lm = transformer_classifier(keraslite, mask_zero=mask_zero)
    lm.set_weights(km.get_weights())
    for m, lib in ((km, keras), (lm, keraslite)):
        m.compile(optimizer=lib.optimizers.SGD(0.1), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    # Dropout draws differ between the libraries: switch it off for the comparison.
    for m in (km, lm):
        for layer in m.layers:
            if type(layer).__name__ == "Dropout":
                layer.rate = 0.0
    kh = km.fit(x, y, epochs=2, batch_size=8, shuffle=False, verbose=0).history
    lh = lm.fit(x, y, epochs=2, batch_size=8, shuffle=False, verbose=0).history
    assert list(lh) == list(kh)
    for key in kh:
        np.testing.assert_allclose(lh[key], kh[key], rtol=1e-5, atol=1e-6, err_msg=key)
    for a, b in zip(lm.get_weights(), km.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


def test_mha_gradients_match_keras():
    km, lm, _, _ = mha_parity(dict(num_heads=2, key_dim=4), [Q, V])
    mask = torch.as_tensor(np.random.default_rng(3).random((3, 5, 7)) > 0.3)
    for scores in (False, True):
        k_out = km(torch.as_tensor(Q), torch.as_tensor(V), attention_mask=mask, return_attention_scores=scores)
        l_out = lm(torch.as_tensor(Q), torch.as_tensor(V), attention_mask=mask, return_attention_scores=scores)
        k_out = k_out[0] if scores else k_out
        l_out = l_out[0] if scores else l_out
        k_grads = torch.autograd.grad((k_out ** 2).sum(), [w.value for w in km.trainable_weights])
        l_grads = torch.autograd.grad((l_out ** 2).sum(), list(lm.trainable_weights))
        for kg, lg in zip(k_grads, l_grads):
            np.testing.assert_allclose(lg.numpy(), kg.numpy(), rtol=1e-4, atol=1e-5)


def _predict(model, x):
    return np.asarray(model.predict(x, verbose=0))


@pytest.mark.parametrize("kind", sorted(MODEL_BUILDERS))
@pytest.mark.parametrize("ext", [".keras", ".h5"])
def test_keras_file_loads_in_keraslite(kind, ext, tmp_path):
    km = MODEL_BUILDERS[kind](keras)
    _randomize(km, 1)
    x = _model_inputs(kind)
    path = str(tmp_path / f"model{ext}")
    km.save(path)
    lm = keraslite.saving.load_model(path, compile=False)
    assert [w.path for w in lm.weights] == [w.path for w in km.weights]
    assert_close(_predict(lm, x), _predict(km, x), what=f"{kind}{ext} loaded by keraslite")


@pytest.mark.parametrize("kind", sorted(MODEL_BUILDERS))
@pytest.mark.parametrize("ext", [".keras", ".h5"])
def test_keraslite_file_loads_in_keras(kind, ext, tmp_path):
    lm = MODEL_BUILDERS[kind](keraslite)
    _randomize(lm, 2)
    x = _model_inputs(kind)
    path = str(tmp_path / f"model{ext}")
    lm.save(path)
    km = keras.saving.load_model(path, compile=False)
    assert_close(_predict(km, x), _predict(lm, x), what=f"{kind}{ext} loaded by Keras")


@pytest.mark.parametrize("kind", sorted(MODEL_BUILDERS))
def test_weights_files_both_ways(kind, tmp_path):
    km, lm = MODEL_BUILDERS[kind](keras), MODEL_BUILDERS[kind](keraslite)
    _randomize(km, 3)
    _randomize(lm, 4)
    x = _model_inputs(kind)
    km.save_weights(str(tmp_path / "k.weights.h5"))
    lm.save_weights(str(tmp_path / "l.weights.h5"))
    lm2, km2 = MODEL_BUILDERS[kind](keraslite), MODEL_BUILDERS[kind](keras)
    lm2.load_weights(str(tmp_path / "k.weights.h5"))
    km2.load_weights(str(tmp_path / "l.weights.h5"))
    assert_close(_predict(lm2, x), _predict(km, x), what="Keras weights in keraslite")
    assert_close(_predict(km2, x), _predict(lm, x), what="keraslite weights in Keras")


def test_keraslite_weights_file_has_keras_paths(tmp_path):
    import h5py

    km, lm = transformer_classifier(keras), transformer_classifier(keraslite)
    km.save_weights(str(tmp_path / "k.weights.h5"))
    lm.save_weights(str(tmp_path / "l.weights.h5"))

    def datasets(path):
        out = []
        with h5py.File(path, "r") as f:
            f.visititems(lambda name, obj: out.append((name, obj.shape)) if isinstance(obj, h5py.Dataset) else None)
        return sorted(out)

    assert datasets(str(tmp_path / "l.weights.h5")) == datasets(str(tmp_path / "k.weights.h5"))


# ----------------------------------------------------------------------------- GroupQueryAttention

def gqa_parity(kwargs, inputs, call_kwargs=None, seed=0):
    """keras.layers.GroupQueryAttention(**kwargs) and keraslite's, built on `inputs` (query,
    value[, key]); keraslite gets Keras's randomized weights; outputs (and scores) compared."""
    call_kwargs = call_kwargs or {}
    km = keras.layers.GroupQueryAttention(**kwargs)
    lm = keraslite.layers.GroupQueryAttention(**kwargs)
    km(*_tensors(inputs), **call_kwargs)
    _randomize(km, seed)
    k_out = to_numpy(km(*_tensors(inputs), **call_kwargs))
    lm(*_tensors(inputs), **call_kwargs)
    assert lm.name == km.name
    assert [w.path for w in lm.weights] == [w.path for w in km.weights]
    assert [tuple(w.shape) for w in lm.get_weights()] == [tuple(w.shape) for w in km.get_weights()]
    lm.set_weights(km.get_weights())
    l_out = to_numpy(lm(*_tensors(inputs), **call_kwargs))
    assert_close(l_out, k_out, ATOL, ATOL, "GroupQueryAttention output")
    return km, lm, k_out, l_out


QG = random_input((3, 5, 6), seed=4)
VG = random_input((3, 7, 6), seed=5)
KG = random_input((3, 7, 4), seed=6)
GQA_CASES = {
    "gqa": dict(head_dim=4, num_query_heads=4, num_key_value_heads=2),
    "mqa_gate": dict(head_dim=3, num_query_heads=6, num_key_value_heads=1, use_gate=True),
    "mha_like_no_bias": dict(head_dim=2, num_query_heads=3, num_key_value_heads=3, use_bias=False),
    "window": dict(head_dim=2, num_query_heads=4, num_key_value_heads=2, sliding_window=2),
}
GQA_MASK = np.random.default_rng(7).random((3, 5, 7)) > 0.3


@pytest.mark.parametrize("case", sorted(GQA_CASES))
@pytest.mark.parametrize("inputs", ["self", "cross", "cross_key"])
@pytest.mark.parametrize("call", ["plain", "mask", "causal", "scores", "mask_causal_scores"])
def test_gqa_output_parity(case, inputs, call):
    arrays = {"self": [QG, QG], "cross": [QG, VG], "cross_key": [QG, VG, KG]}[inputs]
    mask = torch.as_tensor(GQA_MASK if inputs != "self" else GQA_MASK[:, :, :5])
    call_kwargs = {"plain": {}, "mask": dict(attention_mask=mask), "causal": dict(use_causal_mask=True),
                   "scores": dict(return_attention_scores=True),
                   "mask_causal_scores": dict(attention_mask=mask, use_causal_mask=True,
                                              return_attention_scores=True)}[call]
    gqa_parity(GQA_CASES[case], arrays, call_kwargs)


def test_gqa_masks_from_embedding_match_keras():
    ids = np.array([[3, 4, 0, 0, 0], [5, 6, 7, 0, 0], [1, 2, 3, 4, 5]])
    k_emb, l_emb = keras.layers.Embedding(10, 6, mask_zero=True), keraslite.layers.Embedding(10, 6, mask_zero=True)
    k_emb.build((None, 5))
    l_emb.build((None, 5))
    l_emb.set_weights(k_emb.get_weights())
    km = keras.layers.GroupQueryAttention(3, 4, 2)
    lm = keraslite.layers.GroupQueryAttention(3, 4, 2)
    for scores in (False, True):
        k_e, l_e = k_emb(torch.as_tensor(ids)), l_emb(torch.as_tensor(ids))
        k_out = km(k_e, k_e, return_attention_scores=scores)
        if not lm.built:
            lm(l_e, l_e)
            _randomize(km, 3)
            lm.set_weights(km.get_weights())
            k_e = k_emb(torch.as_tensor(ids))
            k_out = km(k_e, k_e, return_attention_scores=scores)
        l_out = lm(l_e, l_e, return_attention_scores=scores)
        assert_close(to_numpy(l_out), to_numpy(k_out), ATOL, ATOL, f"masked GQA (scores={scores})")


def test_gqa_config_matches_keras():
    kwargs = dict(head_dim=3, num_query_heads=4, num_key_value_heads=2, dropout=0.1, use_bias=False, use_gate=True,
                  sliding_window=3, seed=4, kernel_initializer="he_normal", kernel_regularizer="l2")
    k_config = keras.layers.GroupQueryAttention(**kwargs).get_config()
    l_config = keraslite.layers.GroupQueryAttention(**kwargs).get_config()
    assert set(l_config) - {"batch_input_shape"} == set(k_config)
    for key in ("head_dim", "num_query_heads", "num_key_value_heads", "dropout", "use_bias", "use_gate",
                "sliding_window", "seed", "bias_constraint"):
        assert l_config[key] == k_config[key], key
    assert l_config["kernel_initializer"]["class_name"] == k_config["kernel_initializer"]["class_name"]
    assert l_config["kernel_regularizer"]["class_name"] == k_config["kernel_regularizer"]["class_name"]
    # Each library builds the other's layer from its config.
    keras.layers.GroupQueryAttention.from_config(l_config)
    keraslite.layers.GroupQueryAttention.from_config(k_config)


@pytest.mark.parametrize("seed", [0, 3])
@pytest.mark.parametrize("kwargs", [dict(head_dim=4, num_query_heads=4, num_key_value_heads=2),
                                    dict(head_dim=3, num_query_heads=6, num_key_value_heads=3, use_gate=True,
                                         dropout=0.2, bias_initializer="random_normal")])
def test_gqa_seeded_initial_weights_match_keras(seed, kwargs):
    # Same seed -> the same initial weights, and the same draws for the layers made after it.
    x = random_input((2, 5, 8), seed=1)
    keras.utils.set_random_seed(seed)
    km = keras.layers.GroupQueryAttention(**kwargs)
    km(x, x)
    k_next = keras.layers.Dense(3)
    k_next.build((None, 4))
    keraslite.utils.set_random_seed(seed)
    lm = keraslite.layers.GroupQueryAttention(**kwargs)
    lm(x, x)
    l_next = keraslite.layers.Dense(3)
    l_next.build((None, 4))
    for a, b in zip(lm.get_weights() + l_next.get_weights(), km.get_weights() + k_next.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)


def test_gqa_gradients_match_keras():
    km, lm, _, _ = gqa_parity(dict(head_dim=3, num_query_heads=4, num_key_value_heads=2, use_gate=True), [QG, VG])
    mask = torch.as_tensor(GQA_MASK)
    for scores in (False, True):
        k_out = km(torch.as_tensor(QG), torch.as_tensor(VG), attention_mask=mask, return_attention_scores=scores)
        l_out = lm(torch.as_tensor(QG), torch.as_tensor(VG), attention_mask=mask, return_attention_scores=scores)
        k_out = k_out[0] if scores else k_out
        l_out = l_out[0] if scores else l_out
        k_grads = torch.autograd.grad((k_out ** 2).sum(), [w.value for w in km.trainable_weights])
        l_grads = torch.autograd.grad((l_out ** 2).sum(), list(lm.trainable_weights))
        for w, kg, lg in zip(lm.trainable_weights, k_grads, l_grads):
            np.testing.assert_allclose(w.keras_layout.to_keras(lg).numpy(), kg.numpy(), rtol=1e-4, atol=1e-5)


def gqa_model(lib):
    inputs = lib.Input((9,), dtype="int32")
    x = lib.layers.Embedding(40, 8, mask_zero=True)(inputs)
    a = lib.layers.GroupQueryAttention(head_dim=4, num_query_heads=4, num_key_value_heads=2, use_gate=True)(
        x, x, use_causal_mask=True)
    x = lib.layers.LayerNormalization()(lib.layers.Add()([x, a]))
    x = lib.layers.GlobalAveragePooling1D()(x)
    return lib.Model(inputs, lib.layers.Dense(3, activation="softmax")(x))


@pytest.mark.parametrize("ext", [".keras", ".h5"])
def test_gqa_keras_file_loads_in_keraslite(ext, tmp_path):
    km = gqa_model(keras)
    _randomize(km, 1)
    x = _tokens()
    path = str(tmp_path / f"gqa{ext}")
    km.save(path)
    lm = keraslite.saving.load_model(path, compile=False)
    assert [w.path for w in lm.weights] == [w.path for w in km.weights]
    assert_close(_predict(lm, x), _predict(km, x), what=f"GroupQueryAttention model{ext} loaded by keraslite")


@pytest.mark.parametrize("ext", [".keras", ".h5"])
def test_gqa_keraslite_file_loads_in_keras(ext, tmp_path):
    lm = gqa_model(keraslite)
    _randomize(lm, 2)
    x = _tokens()
    path = str(tmp_path / f"gqa{ext}")
    lm.save(path)
    km = keras.saving.load_model(path, compile=False)
    assert_close(_predict(km, x), _predict(lm, x), what=f"GroupQueryAttention model{ext} loaded by Keras")


def test_gqa_seeded_dropout_matches_keras():
    # With `seed=`, training-mode dropout of the attention weights draws Keras's masks.
    kwargs = dict(head_dim=3, num_query_heads=4, num_key_value_heads=2, dropout=0.3, seed=3)
    km, lm, _, _ = gqa_parity(kwargs, [QG, VG])
    for _ in range(2):
        k_out = to_numpy(km(torch.as_tensor(QG), torch.as_tensor(VG), training=True))
        l_out = to_numpy(lm(torch.as_tensor(QG), torch.as_tensor(VG), training=True))
        assert_close(l_out, k_out, ATOL, ATOL, "GroupQueryAttention output with dropout")


def test_gqa_masked_cross_attention():
    # The query's and the value's Keras masks (and an explicit mask, and causality) combine as in Keras.
    tokens_v = np.array([[1, 2, 0, 0, 0, 0], [4, 0, 0, 0, 0, 0], [5, 6, 7, 8, 9, 1]], dtype="int64")

    def inputs():
        return _embedded(TOKENS, seed=1), _embedded(tokens_v, seed=2)

    (kq, lq), (kv, lv) = inputs()
    km = keras.layers.GroupQueryAttention(head_dim=2, num_query_heads=4, num_key_value_heads=2)
    lm = keraslite.layers.GroupQueryAttention(head_dim=2, num_query_heads=4, num_key_value_heads=2)
    km(kq, kv)
    _randomize(km)
    lm(lq, lv)
    lm.set_weights(km.get_weights())
    mask = torch.as_tensor(np.random.default_rng(8).random((3, 5, 6)) > 0.2)
    for kwargs in ({}, {"attention_mask": mask}, {"return_attention_scores": True}, {"use_causal_mask": True},
                   {"attention_mask": mask, "use_causal_mask": True, "return_attention_scores": True}):
        (kq, lq), (kv, lv) = inputs()
        assert_close(to_numpy(lm(lq, lv, **kwargs)), to_numpy(km(kq, kv, **kwargs)), ATOL, ATOL, str(kwargs))
