"""Every layer of the core set in model files, both ways with real Keras 3.

One image model and one sequence model use (between them) every core layer; each is built in
one library, saved as `.keras`, `.h5` and `.weights.h5`, loaded by the other, and both must
predict the same within 1e-5.
"""
import numpy as np
import pytest

import keraslite
from compat_tests.conftest import keras


def image_model(lib):
    L = lib.layers
    inp = lib.Input((12, 12, 3), name="image")
    x = L.ZeroPadding2D(1)(inp)
    x = L.Conv2D(4, 3, strides=2, padding="same")(x)
    x = L.BatchNormalization()(x)
    x = L.Activation("relu")(x)
    x = L.DepthwiseConv2D(3, padding="same")(x)
    x = L.SeparableConv2D(5, 3, padding="same")(x)
    x = L.Conv2DTranspose(3, 3, strides=2, padding="same")(x)
    x = L.Cropping2D(1)(x)
    x = L.UpSampling2D(2)(x)
    x = L.AveragePooling2D(2)(x)
    x = L.MaxPooling2D(2)(x)
    x = L.SpatialDropout2D(0.1)(x)
    x = L.Dropout(0.2)(x)
    pooled = L.Concatenate()([L.GlobalAveragePooling2D()(x), L.GlobalMaxPooling2D()(x), L.Flatten()(x)])
    return lib.Model(inp, L.Dense(3, activation="softmax")(pooled))


def sequence_model(lib):
    L = lib.layers
    tokens = lib.Input((7,), dtype="int32", name="tokens")
    signal = lib.Input((8, 4), name="signal")
    e = L.Embedding(30, 6, mask_zero=True)(tokens)
    e = L.LSTM(4)(e)
    s = L.Conv1D(5, 3, padding="causal")(signal)
    s = L.MaxPooling1D(2)(s)
    s = L.AveragePooling1D(1)(s)
    s = L.LayerNormalization()(s)
    s = L.SpatialDropout1D(0.1)(s)
    s = L.Masking(0.0)(s)
    s = L.Bidirectional(L.LSTM(3, return_sequences=True))(s)
    s = L.TimeDistributed(L.Dense(2))(s)
    s = L.GRU(3, return_sequences=True)(s)
    g = L.Concatenate()([L.GlobalMaxPooling1D()(s), L.GlobalAveragePooling1D()(s)])
    s = L.SimpleRNN(2)(s)
    r = L.RepeatVector(3)(s)
    r = L.Permute((2, 1))(r)
    r = L.Reshape((6,))(r)
    merged = L.Concatenate()([e, g, r])
    return lib.Model([tokens, signal], L.Dense(2)(merged))


def _inputs(kind):
    rng = np.random.default_rng(0)
    if kind == "image":
        return rng.standard_normal((4, 12, 12, 3)).astype("float32")
    tokens = np.where(np.arange(7) < rng.integers(2, 8, (4, 1)), rng.integers(1, 30, (4, 7)), 0).astype("int32")
    return [tokens, rng.standard_normal((4, 8, 4)).astype("float32")]


BUILDERS = {"image": image_model, "sequence": sequence_model}


def _randomize(model, seed=1):
    rng = np.random.default_rng(seed)
    weights = [(rng.standard_normal(w.shape) * 0.3).astype(w.dtype) for w in model.get_weights()]
    for i, w in enumerate(model.weights):
        if "variance" in w.path:  # BatchNormalization moving variance must stay positive
            weights[i] = np.abs(weights[i]) + 0.5
    model.set_weights(weights)


def _predict(model, x):
    out = model.predict(x, verbose=0)
    return keras.ops.convert_to_numpy(out) if not isinstance(out, np.ndarray) else out


@pytest.mark.parametrize("kind", sorted(BUILDERS))
@pytest.mark.parametrize("ext", [".keras", ".h5"])
def test_keras_writes_keraslite_reads(kind, ext, tmp_path):
    km = BUILDERS[kind](keras)
    _randomize(km)
    x = _inputs(kind)
    path = str(tmp_path / f"model{ext}")
    km.save(path)
    lm = keraslite.saving.load_model(path, compile=False)
    np.testing.assert_allclose(_predict(lm, x), _predict(km, x), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("kind", sorted(BUILDERS))
@pytest.mark.parametrize("ext", [".keras", ".h5"])
def test_keraslite_writes_keras_reads(kind, ext, tmp_path):
    lm = BUILDERS[kind](keraslite)
    _randomize(lm)
    x = _inputs(kind)
    path = str(tmp_path / f"model{ext}")
    lm.save(path)
    km = keras.saving.load_model(path, compile=False)
    np.testing.assert_allclose(_predict(km, x), _predict(lm, x), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("kind", sorted(BUILDERS))
def test_weights_files_both_ways(kind, tmp_path):
    km, lm = BUILDERS[kind](keras), BUILDERS[kind](keraslite)
    _randomize(km, 1)
    _randomize(lm, 2)
    x = _inputs(kind)
    km.save_weights(str(tmp_path / "k.weights.h5"))
    lm.save_weights(str(tmp_path / "l.weights.h5"))
    lm2, km2 = BUILDERS[kind](keraslite), BUILDERS[kind](keras)
    lm2.load_weights(str(tmp_path / "k.weights.h5"))
    km2.load_weights(str(tmp_path / "l.weights.h5"))
    np.testing.assert_allclose(_predict(lm2, x), _predict(km, x), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(_predict(km2, x), _predict(lm, x), rtol=1e-5, atol=1e-5)
