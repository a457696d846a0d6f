"""Model files both ways with real Keras 3 (torch backend): Keras writes `.h5` / `.keras` /
`.weights.h5`, keraslite loads them and predicts the same; keraslite writes, Keras loads and
predicts the same. Weights are randomized in the writer (moving statistics included) so a
file that loads nothing, or loads into the wrong place, fails the comparison.
"""
import json
import os
import warnings

import numpy as np
import pytest
import torch

import keraslite

keras = pytest.importorskip("keras")

ATOL = 1e-5


def _need(*names):
    for name in names:
        if not hasattr(keraslite.layers, name):
            pytest.skip(f"keraslite.layers.{name} is not available yet")


# Each builder takes the library (keras or keraslite) and returns (model, input array).
def dense_mlp(K):
    model = K.Sequential([K.Input((6,)), K.layers.Dense(5, activation="relu"), K.layers.Dropout(0.2),
                          K.layers.Dense(3, activation="softmax")])
    return model, np.random.default_rng(1).standard_normal((4, 6)).astype("float32")


def conv_bn(K):
    _need("Conv2D", "MaxPooling2D", "BatchNormalization", "GlobalAveragePooling2D")
    model = K.Sequential([K.Input((8, 8, 3)), K.layers.Conv2D(4, 3, activation="relu", padding="same"),
                          K.layers.BatchNormalization(), K.layers.MaxPooling2D(2),
                          K.layers.Conv2D(5, 3), K.layers.GlobalAveragePooling2D(), K.layers.Dense(2)])
    return model, np.random.default_rng(2).standard_normal((3, 8, 8, 3)).astype("float32")


def conv_flatten(K):
    _need("Conv2D", "Flatten")
    model = K.Sequential([K.Input((6, 6, 2)), K.layers.Conv2D(3, 3), K.layers.Flatten(), K.layers.Dense(2)])
    return model, np.random.default_rng(3).standard_normal((2, 6, 6, 2)).astype("float32")


def embedding_lstm(K):
    _need("Embedding", "LSTM")
    model = K.Sequential([K.Input((5,), dtype="int32"), K.layers.Embedding(10, 4), K.layers.LSTM(3),
                          K.layers.Dense(2)])
    return model, np.random.default_rng(4).integers(0, 10, size=(3, 5)).astype("int32")


def gru_simple_rnn(K):
    _need("GRU", "SimpleRNN")
    model = K.Sequential([K.Input((5, 3)), K.layers.GRU(4, return_sequences=True), K.layers.SimpleRNN(2)])
    return model, np.random.default_rng(5).standard_normal((2, 5, 3)).astype("float32")


def bidirectional_lstm(K):
    _need("Bidirectional", "LSTM")
    model = K.Sequential([K.Input((4, 3)), K.layers.Bidirectional(K.layers.LSTM(2)), K.layers.Dense(1)])
    return model, np.random.default_rng(6).standard_normal((2, 4, 3)).astype("float32")


def nested_sequential(K):
    _need("BatchNormalization")
    inner = K.Sequential([K.Input((4,)), K.layers.Dense(3), K.layers.BatchNormalization(),
                          K.layers.Dense(3, activation="tanh")], name="inner")
    model = K.Sequential([K.Input((4,)), inner, K.layers.Dense(2)])
    return model, np.random.default_rng(8).standard_normal((3, 4)).astype("float32")


def frozen_nested(K):
    """A frozen inner model changes the legacy weight order (all its weights become non-trainable)."""
    model, x = nested_sequential(K)
    model.layers[0].trainable = False
    return model, x


def functional_two_branch(K):
    try:
        from keraslite.models.functional import Functional  # noqa: F401
    except ImportError:
        pytest.skip("keraslite functional models are not available yet")
    inp = K.Input((6,), name="x")
    a = K.layers.Dense(4, activation="tanh", name="a")(inp)
    b = K.layers.Dense(4, name="b")(inp)
    merged = K.layers.Add(name="add")([a, b]) if hasattr(K.layers, "Add") else a
    out = K.layers.Dense(2, name="out")(merged)
    model = K.Model(inp, out)
    return model, np.random.default_rng(7).standard_normal((3, 6)).astype("float32")


def _need_training():
    from keraslite.training import loop

    if not hasattr(keraslite.optimizers, "Adam") or not hasattr(loop, "compile"):
        pytest.skip("keraslite training loop / optimizers are not available yet")


def functional_constant_ops(K):
    # Arithmetic on symbolic tensors with constants (preprocess_input's `x - mean` on an Input):
    # Keras writes operation nodes with the constants inline (`__tensor__`, `__numpy__`, floats).
    inputs = K.Input((3,))
    x = inputs * 2.0
    x = 1.0 - x
    x = x + K.ops.convert_to_tensor(np.array([1.0, -2.0, 0.5], dtype="float32"))
    x = K.ops.maximum(x, np.array([0.0, 0.1, -0.2], dtype="float32"))
    outputs = K.layers.Dense(2)(K.ops.square(x))
    return K.Model(inputs, outputs), np.random.default_rng(4).standard_normal((5, 3)).astype("float32")


BUILDERS = [dense_mlp, conv_bn, conv_flatten, embedding_lstm, gru_simple_rnn, bidirectional_lstm,
            nested_sequential, frozen_nested, functional_two_branch, functional_constant_ops]


def _randomize(model, seed=0):
    rng = np.random.default_rng(seed)
    new = []
    for v in model.weights:
        w = np.asarray(v.numpy())
        path = getattr(v, "path", "") or getattr(v, "name", "")
        if "variance" in path:
            new.append(rng.uniform(0.5, 1.5, size=w.shape).astype(w.dtype))
        else:
            new.append((rng.standard_normal(w.shape) * 0.5).astype(w.dtype))
    model.set_weights(new)


def _lite_predict(model, x):
    model.eval()
    with torch.no_grad():
        out = model(torch.as_tensor(x))
    return out.detach().cpu().numpy()


def _keras_predict(model, x):
    return np.asarray(model.predict(x, verbose=0))


def _build_keras(builder):
    model, x = builder(keras)
    _randomize(model)
    return model, x


def _build_lite(builder):
    model, x = builder(keraslite)
    _randomize(model, seed=1)
    return model, x


@pytest.mark.parametrize("builder", BUILDERS, ids=lambda b: b.__name__)
@pytest.mark.parametrize("ext", ["h5", "keras"])
def test_keras_model_file_loads_in_keraslite(builder, ext, tmp_path):
    kmodel, x = _build_keras(builder)
    path = str(tmp_path / f"m.{ext}")
    kmodel.save(path)
    lmodel = keraslite.saving.load_model(path, compile=False)
    np.testing.assert_allclose(_lite_predict(lmodel, x), _keras_predict(kmodel, x), atol=ATOL, rtol=ATOL)


@pytest.mark.parametrize("builder", BUILDERS, ids=lambda b: b.__name__)
def test_keras_weights_file_loads_in_keraslite(builder, tmp_path):
    kmodel, x = _build_keras(builder)
    path = str(tmp_path / "m.weights.h5")
    kmodel.save_weights(path)
    lmodel, _ = _build_lite(builder)
    before = _lite_predict(lmodel, x)
    lmodel.load_weights(path)
    expected = _keras_predict(kmodel, x)
    assert not np.allclose(before, expected, atol=ATOL), "the test model already matched before loading"
    np.testing.assert_allclose(_lite_predict(lmodel, x), expected, atol=ATOL, rtol=ATOL)


@pytest.mark.parametrize("builder", BUILDERS, ids=lambda b: b.__name__)
@pytest.mark.parametrize("ext", ["h5", "keras"])
def test_keraslite_model_file_loads_in_keras(builder, ext, tmp_path):
    if builder is functional_constant_ops and ext == "h5":
        pytest.skip("Keras 3 cannot read operation nodes from a legacy .h5 file, not even its own")
    lmodel, x = _build_lite(builder)
    path = str(tmp_path / f"m.{ext}")
    lmodel.save(path)
    kmodel = keras.saving.load_model(path, compile=False)
    np.testing.assert_allclose(_keras_predict(kmodel, x), _lite_predict(lmodel, x), atol=ATOL, rtol=ATOL)


@pytest.mark.parametrize("builder", BUILDERS, ids=lambda b: b.__name__)
def test_keraslite_weights_file_loads_in_keras(builder, tmp_path):
    lmodel, x = _build_lite(builder)
    path = str(tmp_path / "m.weights.h5")
    lmodel.save_weights(path)
    kmodel, _ = _build_keras(builder)
    kmodel.load_weights(path)
    np.testing.assert_allclose(_keras_predict(kmodel, x), _lite_predict(lmodel, x), atol=ATOL, rtol=ATOL)


def test_keraslite_legacy_weights_file_loads_in_keras(tmp_path):
    """keraslite writes the Keras 2 weights-only layout for `x.h5`; Keras 3 reads it with its legacy loader."""
    lmodel, x = _build_lite(dense_mlp)
    path = str(tmp_path / "w.h5")
    lmodel.save_weights(path)
    kmodel, _ = _build_keras(dense_mlp)
    kmodel.load_weights(path)
    np.testing.assert_allclose(_keras_predict(kmodel, x), _lite_predict(lmodel, x), atol=ATOL, rtol=ATOL)


def test_keras_full_h5_into_load_weights(tmp_path):
    kmodel, x = _build_keras(dense_mlp)
    path = str(tmp_path / "full.h5")
    kmodel.save(path)
    lmodel, _ = _build_lite(dense_mlp)
    lmodel.load_weights(path)
    np.testing.assert_allclose(_lite_predict(lmodel, x), _keras_predict(kmodel, x), atol=ATOL, rtol=ATOL)


def test_keras_compiled_file_keeps_compile_arguments(tmp_path):
    """A compiled Keras model's training_config / compile_config recompiles in keraslite."""
    _need_training()
    kmodel, x = _build_keras(dense_mlp)
    kmodel.compile(optimizer=keras.optimizers.Adam(learning_rate=0.0123), loss="categorical_crossentropy",
                   metrics=["accuracy"])
    kmodel.fit(x, np.eye(3)[[0, 1, 2, 0]].astype("float32"), epochs=1, verbose=0)
    # .keras first: Keras's own .h5 writer removes "optimizer" from the model's compile config.
    for ext in ("keras", "h5"):
        path = str(tmp_path / f"c.{ext}")
        kmodel.save(path)
        lmodel = keraslite.saving.load_model(path)
        assert lmodel.optimizer is not None, f"{ext}: not compiled"
        assert type(lmodel.optimizer).__name__ == "Adam"
        np.testing.assert_allclose(float(np.asarray(lmodel.optimizer.get_config()["learning_rate"])), 0.0123,
                                   rtol=1e-6)
        np.testing.assert_allclose(_lite_predict(lmodel, x), _keras_predict(kmodel, x), atol=ATOL, rtol=ATOL)


# ----------------------------------------------------------------------------- optimizer state

def _regression_data():
    rng = np.random.default_rng(0)
    return rng.standard_normal((16, 4)).astype("float32"), rng.standard_normal((16, 2)).astype("float32")


def _compiled(K):
    model = K.Sequential([K.Input((4,)), K.layers.Dense(3, activation="tanh"), K.layers.Dense(2)])
    # 'mean_squared_error', not 'mse': Keras 3.15 cannot reload its own .keras files compiled with 'mse'.
    model.compile(optimizer=K.optimizers.Adam(0.01), loss="mean_squared_error")
    return model


def _fit(model, x, y, epochs):
    model.fit(x, y, epochs=epochs, batch_size=8, shuffle=False, verbose=0)


@pytest.mark.parametrize("ext", ["keras", "h5"])
def test_keras_trained_file_continues_in_keraslite_as_in_keras(ext, tmp_path):
    """Keras trains 2 epochs and saves; keraslite loads (optimizer state included) and trains 2
    more epochs; the weights equal Keras continuing from its own in-memory model."""
    _need_training()
    x, y = _regression_data()
    kmodel = _compiled(keras)
    _fit(kmodel, x, y, 2)
    path = str(tmp_path / f"t.{ext}")
    kmodel.save(path)
    lmodel = keraslite.saving.load_model(path)
    assert int(lmodel.optimizer.iterations) == 4
    _fit(kmodel, x, y, 2)
    _fit(lmodel, x, y, 2)
    for a, b in zip(lmodel.get_weights(), kmodel.get_weights()):
        np.testing.assert_allclose(a, b, atol=ATOL, rtol=ATOL)


def test_keraslite_trained_keras_file_continues_in_keras(tmp_path):
    """The reverse for `.keras` (Keras 3.15 cannot resume training from any legacy .h5 after
    loading, its own included: its loader builds the optimizer for no variables)."""
    _need_training()
    x, y = _regression_data()
    kmodel = _compiled(keras)
    lmodel = _compiled(keraslite)
    lmodel.set_weights(kmodel.get_weights())
    _fit(kmodel, x, y, 2)
    _fit(lmodel, x, y, 2)
    path = str(tmp_path / "t.keras")
    lmodel.save(path)
    resumed = keras.saving.load_model(path)
    assert int(np.asarray(resumed.optimizer.iterations)) == 4
    _fit(kmodel, x, y, 2)
    _fit(resumed, x, y, 2)
    for a, b in zip(resumed.get_weights(), kmodel.get_weights()):
        np.testing.assert_allclose(a, b, atol=ATOL, rtol=ATOL)


# ----------------------------------------------------------------------------- subclassed models, JSON

def _subclassed(K):
    class Net(K.Model):
        def __init__(self):
            super().__init__()
            self.enc = K.layers.Dense(3, activation="tanh")
            self.blocks = [K.layers.Dense(3), K.layers.Dense(2)]

        def call(self, x):
            x = self.enc(x)
            for block in self.blocks:
                x = block(x)
            return x

    model = Net()
    model(torch.zeros(1, 4) if K is keraslite else np.zeros((1, 4), "float32"))
    return model


def _weights_both_ways(kmodel, lmodel, x, tmp_path, seed):
    """Keras's .weights.h5 loads into keraslite and keraslite's into Keras: same predictions."""
    _randomize(kmodel)
    kmodel.save_weights(str(tmp_path / "k.weights.h5"))
    lmodel.load_weights(str(tmp_path / "k.weights.h5"))
    np.testing.assert_allclose(_lite_predict(lmodel, x), _keras_predict(kmodel, x), atol=ATOL, rtol=ATOL)
    _randomize(lmodel, seed=seed)
    lmodel.save_weights(str(tmp_path / "l.weights.h5"))
    kmodel.load_weights(str(tmp_path / "l.weights.h5"))
    np.testing.assert_allclose(_keras_predict(kmodel, x), _lite_predict(lmodel, x), atol=ATOL, rtol=ATOL)


def test_subclassed_model_weights_both_ways(tmp_path):
    """Attribute-named groups (enc/vars, blocks/dense_1/vars) match Keras's for subclassed models."""
    x = np.random.default_rng(9).standard_normal((3, 4)).astype("float32")
    _weights_both_ways(_subclassed(keras), _subclassed(keraslite), x, tmp_path, seed=3)


def test_json_configs_both_ways():
    lmodel, _ = dense_mlp(keraslite)
    kmodel = keras.models.model_from_json(lmodel.to_json())
    assert [type(l).__name__ for l in kmodel.layers] == ["Dense", "Dropout", "Dense"]
    assert kmodel.layers[0].units == 5 and kmodel.layers[0].activation.__name__ == "relu"
    kmodel2, _ = dense_mlp(keras)
    lmodel2 = keraslite.saving.model_from_json(kmodel2.to_json())
    assert [type(l).__name__ for l in lmodel2.layers] == ["Dense", "Dropout", "Dense"]
    assert lmodel2.layers[1].rate == 0.2 and lmodel2.layers[2].units == 3


@pytest.mark.parametrize("writer", ["keras", "keraslite"])
def test_to_json_of_compiled_model_compiles_in_model_from_json(writer):
    # Keras 3's to_json() writes "build_config" and "compile_config" beside the model's config, and
    # model_from_json compiles the model from the latter; keraslite wrote neither and compiled nothing.
    write_lib = keras if writer == "keras" else keraslite
    inp = write_lib.Input((3,))
    model = write_lib.Model(inp, write_lib.layers.Dense(2)(inp))
    model.compile(optimizer=write_lib.optimizers.Adam(0.01), loss="mse", metrics=["mae"])
    text = model.to_json()
    saved = json.loads(text)
    assert {"build_config", "compile_config"} <= set(saved)
    assert {k: v for k, v in saved["compile_config"].items() if k != "optimizer"} == {
        "loss": "mse", "loss_weights": None, "metrics": ["mae"], "weighted_metrics": None,
        "run_eagerly": False, "steps_per_execution": 1, "jit_compile": False}
    x = np.random.default_rng(5).standard_normal((6, 3)).astype("float32")
    y = np.random.default_rng(6).standard_normal((6, 2)).astype("float32")
    ref = keras.models.model_from_json(text)
    ours = keraslite.models.model_from_json(text)
    assert ref.compiled and ours.compiled
    assert type(ours.optimizer).__name__ == type(ref.optimizer).__name__ == "Adam"
    assert float(ours.optimizer.learning_rate) == pytest.approx(float(ref.optimizer.learning_rate)) == 0.01
    ours.set_weights(ref.get_weights())
    np.testing.assert_allclose(ours.evaluate(x, y, verbose=0), ref.evaluate(x, y, verbose=0), rtol=1e-5, atol=1e-6)


def _functional_subclass(K):
    class Wide(K.Model):
        def __init__(self):
            inp = K.Input((4,))
            hidden = K.layers.Dense(3, activation="relu")(inp)
            super().__init__(inp, K.layers.Dense(2)(hidden))

    return Wide()


def test_functional_subclass_weights_both_ways(tmp_path):
    """A Model subclass built with super().__init__(inputs, outputs) is walked as a functional
    model (layers/input_layer, layers/dense, ...), as Keras does."""
    x = np.random.default_rng(10).standard_normal((3, 4)).astype("float32")
    _weights_both_ways(_functional_subclass(keras), _functional_subclass(keraslite), x, tmp_path, seed=4)


def test_bfloat16_weights_both_ways(tmp_path):
    """Keras stores bfloat16 as 2-byte opaque data tagged dtype=bfloat16; keraslite reads it, and
    writes bfloat16 as exact float32 values, which Keras reads back into bfloat16 variables."""
    kmodel = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, dtype="bfloat16")])
    _randomize(kmodel)
    kmodel.save_weights(str(tmp_path / "k.weights.h5"))
    lmodel = keraslite.Sequential([keraslite.Input((4,)), keraslite.layers.Dense(3, dtype="bfloat16")])
    lmodel.load_weights(str(tmp_path / "k.weights.h5"))
    expected = np.asarray(kmodel.layers[0].kernel.numpy()).astype("float32")
    np.testing.assert_array_equal(lmodel.layers[0].kernel.detach().float().numpy(), expected)
    lmodel2 = keraslite.Sequential([keraslite.Input((4,)), keraslite.layers.Dense(3, dtype="bfloat16")])
    lmodel2.save_weights(str(tmp_path / "l.weights.h5"))
    kmodel.load_weights(str(tmp_path / "l.weights.h5"))
    np.testing.assert_array_equal(np.asarray(kmodel.layers[0].kernel.numpy()).astype("float32"),
                                  lmodel2.layers[0].kernel.detach().float().numpy())


def test_unzipped_keras_directory_both_ways(tmp_path):
    kmodel, x = _build_keras(dense_mlp)
    keras.saving.save_model(kmodel, str(tmp_path / "kdir"), zipped=False)
    lmodel = keraslite.saving.load_model(str(tmp_path / "kdir"))
    np.testing.assert_allclose(_lite_predict(lmodel, x), _keras_predict(kmodel, x), atol=ATOL, rtol=ATOL)
    lmodel2, _ = _build_lite(dense_mlp)
    keraslite.saving.save_model(lmodel2, str(tmp_path / "ldir"), zipped=False)
    keraslite.saving.save_model(lmodel2, str(tmp_path / "ldir"), zipped=False)  # overwrite an existing one
    kmodel2 = keras.saving.load_model(str(tmp_path / "ldir"))
    np.testing.assert_allclose(_keras_predict(kmodel2, x), _lite_predict(lmodel2, x), atol=ATOL, rtol=ATOL)
    assert sorted(os.listdir(tmp_path)) == ["kdir", "ldir"]


def _multi_io(K):
    a, b = K.Input((4,), name="a"), K.Input((4,), name="b")
    shared = K.layers.Dense(3, activation="tanh", name="shared")
    ha, hb = shared(a), shared(b)
    out1 = K.layers.Dense(2, name="o1")(K.layers.Concatenate(name="cat")([ha, hb]))
    out2 = K.layers.Dense(1, name="o2")(hb)
    return K.Model([a, b], [out1, out2])


@pytest.mark.parametrize("ext", ["h5", "keras", "weights.h5"])
def test_multi_input_output_shared_layer_both_ways(ext, tmp_path):
    rng = np.random.default_rng(11)
    xa, xb = rng.standard_normal((3, 4)).astype("float32"), rng.standard_normal((3, 4)).astype("float32")

    def lite_out(model):
        model.eval()
        with torch.no_grad():
            return [o.numpy() for o in model([torch.as_tensor(xa), torch.as_tensor(xb)])]

    kmodel, lmodel = _multi_io(keras), _multi_io(keraslite)
    _randomize(kmodel)
    _randomize(lmodel, seed=5)
    kpath, lpath = str(tmp_path / f"k.{ext}"), str(tmp_path / f"l.{ext}")
    if ext == "weights.h5":
        kmodel.save_weights(kpath)
        lmodel.save_weights(lpath)
        from_keras, from_lite = _multi_io(keraslite), _multi_io(keras)
        from_keras.load_weights(kpath)
        from_lite.load_weights(lpath)
    else:
        kmodel.save(kpath)
        lmodel.save(lpath)
        from_keras = keraslite.saving.load_model(kpath, compile=False)
        from_lite = keras.saving.load_model(lpath, compile=False)
    for a, b in zip(lite_out(from_keras), kmodel.predict([xa, xb], verbose=0)):
        np.testing.assert_allclose(a, b, atol=ATOL, rtol=ATOL)
    for a, b in zip(from_lite.predict([xa, xb], verbose=0), lite_out(lmodel)):
        np.testing.assert_allclose(a, b, atol=ATOL, rtol=ATOL)


def test_keras_operation_nodes_survive_a_keraslite_round_trip(tmp_path):
    # A Keras graph with operation nodes (a padding mask built with ops.not_equal, ops.logical_or,
    # ops.sum): Keras -> keraslite -> Keras, each file giving the same predictions.
    inp = keras.Input((6,), dtype="int32")
    emb = keras.layers.Embedding(12, 4)(inp)
    mask = keras.ops.logical_or(keras.ops.not_equal(inp, 0), keras.ops.equal(inp, 3))
    attended = keras.layers.MultiHeadAttention(2, 2)(emb, emb, attention_mask=keras.ops.expand_dims(mask, 1))
    out = keras.layers.Dense(1)(keras.ops.sum(attended, axis=1))
    model = keras.Model(inp, out)
    x = np.random.RandomState(0).randint(0, 12, size=(5, 6)).astype("int32")
    x[:, -2:] = 0
    expected = np.asarray(model.predict(x, verbose=0))
    first = str(tmp_path / "keras.keras")
    model.save(first)
    ours = keraslite.saving.load_model(first)
    np.testing.assert_allclose(ours.predict(x, verbose=0), expected, rtol=1e-5, atol=1e-6)
    second = str(tmp_path / "keraslite.keras")
    ours.save(second)
    again = keras.saving.load_model(second)
    np.testing.assert_allclose(np.asarray(again.predict(x, verbose=0)), expected, rtol=1e-5, atol=1e-6)
    assert keraslite.saving.load_model(second).predict(x, verbose=0).shape == (5, 1)


def _scaled_abs_loss(y_true, y_pred):
    return 3.0 * (y_pred - y_true) ** 2 + abs(y_pred - y_true)


@pytest.mark.parametrize("writer, seed", [("keras", 7), ("keraslite", 9)])
def test_custom_function_loss_resolved_from_custom_objects_at_load(tmp_path, writer, seed):
    """A function loss is stored in compile_config as its bare name; load_model(custom_objects=...)
    must resolve it while loading, so evaluate() outside the call still finds it, whichever
    library wrote the file."""
    x = np.random.default_rng(seed).standard_normal((6, 4)).astype("float32")
    y = np.random.default_rng(seed + 1).standard_normal((6, 2)).astype("float32")
    lib = keras if writer == "keras" else keraslite
    model = lib.Sequential([lib.Input((4,)), lib.layers.Dense(2)])
    model.compile(optimizer="adam", loss=_scaled_abs_loss)
    path = str(tmp_path / f"custom_loss_{writer}.keras")
    model.save(path)
    custom = {"_scaled_abs_loss": _scaled_abs_loss}
    ref = keras.models.load_model(path, custom_objects=custom)
    ours = keraslite.saving.load_model(path, custom_objects=custom)
    assert ours.loss is _scaled_abs_loss
    np.testing.assert_allclose(ours.evaluate(x, y, verbose=0), ref.evaluate(x, y, verbose=0), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("writer", ["keras", "keraslite"])
def test_builtin_function_loss_and_metric_in_keras_file(writer, tmp_path):
    """Built-in loss / metric functions in a .keras compile_config load and compile both ways,
    and keraslite writes them the way Keras does."""
    K = keras if writer == "keras" else keraslite
    x = np.random.default_rng(11).standard_normal((6, 4)).astype("float32")
    y = np.random.default_rng(12).standard_normal((6, 2)).astype("float32")
    model = K.Sequential([K.Input((4,)), K.layers.Dense(2)])
    model.compile(optimizer="adam", loss=K.losses.mean_squared_error, metrics=[K.metrics.mean_absolute_error])
    path = str(tmp_path / f"builtin_{writer}.keras")
    model.save(path)
    import json
    import zipfile
    with zipfile.ZipFile(path) as z:
        saved = json.loads(z.read("config.json"))["compile_config"]
    assert saved["loss"] == {"module": "builtins", "class_name": "function", "config": "mean_squared_error",
                             "registered_name": "function"}
    ref = keras.models.load_model(path)
    ours = keraslite.saving.load_model(path)
    np.testing.assert_allclose(ours.evaluate(x, y, verbose=0), ref.evaluate(x, y, verbose=0), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("writer", ["keras", "keraslite"])
def test_custom_learning_rate_schedule_reloads_through_custom_objects(writer, tmp_path):
    # keras.io's warmup-cosine example: a LearningRateSchedule subclass inside the optimizer.
    def schedule_class(lib):
        class WarmUp(lib.optimizers.schedules.LearningRateSchedule):
            def __init__(self, base, warm_steps):
                super().__init__()
                self.base, self.warm_steps = base, warm_steps

            def __call__(self, step):
                step = lib.ops.cast(step, "float32")
                return self.base * lib.ops.minimum(1.0, (step + 1.0) / self.warm_steps)

            def get_config(self):
                return {"base": self.base, "warm_steps": self.warm_steps}

        return WarmUp

    write_lib, read_lib = (keras, keraslite) if writer == "keras" else (keraslite, keras)
    model = write_lib.Sequential([write_lib.Input((3,)), write_lib.layers.Dense(1)])
    model.compile(optimizer=write_lib.optimizers.AdamW(learning_rate=schedule_class(write_lib)(0.01, 10)),
                  loss="mse")
    model.fit(np.ones((12, 3), "float32"), np.ones((12, 1), "float32"), batch_size=4, verbose=0)
    path = str(tmp_path / "warm.keras")
    model.save(path)
    loaded = read_lib.saving.load_model(path, custom_objects={"WarmUp": schedule_class(read_lib)})
    assert int(loaded.optimizer.iterations) == int(model.optimizer.iterations) == 3
    assert float(loaded.optimizer.learning_rate) == pytest.approx(float(model.optimizer.learning_rate), rel=1e-6)


@pytest.mark.parametrize("writer", ["keras", "keraslite"])
@pytest.mark.parametrize("ext", ["h5", "keras"])
def test_custom_function_initializer_regularizer_constraint_through_custom_objects(writer, ext, tmp_path):
    # Hands-On ML ch12: plain functions as kernel_initializer / kernel_regularizer / kernel_constraint.
    def functions(lib):
        def my_init(shape, dtype=None):
            return lib.random.normal(shape, stddev=0.1, dtype=dtype)

        def my_l1(weights):
            return lib.ops.sum(lib.ops.abs(0.01 * weights))

        def my_pos(weights):
            return lib.ops.where(weights < 0.0, lib.ops.zeros_like(weights), weights)

        return {"my_init": my_init, "my_l1": my_l1, "my_pos": my_pos}

    write_lib, read_lib = (keras, keraslite) if writer == "keras" else (keraslite, keras)
    fns = functions(write_lib)
    model = write_lib.Sequential([write_lib.Input((8,)), write_lib.layers.Dense(
        2, kernel_initializer=fns["my_init"], kernel_regularizer=fns["my_l1"], kernel_constraint=fns["my_pos"])])
    path = str(tmp_path / f"m.{ext}")
    model.save(path)
    loaded = read_lib.saving.load_model(path, custom_objects=functions(read_lib), compile=False)
    x = np.random.default_rng(0).random((3, 8)).astype("float32")
    np.testing.assert_allclose(np.asarray(loaded.predict(x, verbose=0)), np.asarray(model.predict(x, verbose=0)),
                               rtol=1e-5)
    assert loaded.layers[0].kernel_regularizer.__name__ == "my_l1"


def test_keras_h5_with_loss_and_metric_objects_loads_compiled(tmp_path):
    # A legacy .h5 file's training config keeps loss and metric objects as {"class_name", "config"}
    # without a module; keraslite compiled nothing from it (it looked them up as layers).
    def build(lib):
        inp = lib.Input((3,))
        model = lib.Model(inp, [lib.layers.Dense(2, name="a")(inp),
                                lib.layers.Dense(1, activation="sigmoid", name="b")(inp)])
        model.compile(optimizer=lib.optimizers.Adam(0.01),
                      loss=[lib.losses.MeanSquaredError(), lib.losses.BinaryCrossentropy(label_smoothing=0.1)],
                      metrics=[[lib.metrics.MeanAbsoluteError()], [lib.metrics.AUC(name="auc"), "accuracy"]])
        return model

    rng = np.random.default_rng(3)
    x = rng.random((16, 3)).astype("float32")
    y = [rng.random((16, 2)).astype("float32"), (rng.random((16, 1)) > 0.5).astype("float32")]
    kmodel = build(keras)
    kmodel.fit(x, y, batch_size=4, epochs=1, shuffle=False, verbose=0)
    path = str(tmp_path / "m.h5")
    kmodel.save(path)
    lmodel = keraslite.saving.load_model(path)
    assert lmodel.compiled and type(lmodel.optimizer).__name__ == "Adam"
    assert int(lmodel.optimizer.iterations) == int(kmodel.optimizer.iterations) == 4
    # the next epoch from the file equals Keras's own next epoch in memory
    kh = kmodel.fit(x, y, batch_size=4, epochs=1, shuffle=False, verbose=0).history
    lh = lmodel.fit(x, y, batch_size=4, epochs=1, shuffle=False, verbose=0).history
    assert sorted(lh) == sorted(kh)
    for key in kh:
        np.testing.assert_allclose(lh[key], kh[key], rtol=1e-4, atol=1e-6, err_msg=key)


def _registered_loss_and_metric(lib, kind):
    """compile() arguments with a loss and a metric registered under package 'parity_h5': plain
    functions (kind "function") or Loss / MeanMetricWrapper subclasses (kind "class")."""
    register = lib.saving.register_keras_serializable(package="parity_h5")

    @register
    def abs_loss(y_true, y_pred):
        return lib.ops.mean(lib.ops.abs(y_true - y_pred), axis=-1)

    @register
    def sq_metric(y_true, y_pred):
        return lib.ops.mean(lib.ops.square(y_true - y_pred), axis=-1)

    if kind == "function":
        return {"loss": abs_loss, "metrics": [sq_metric], "weighted_metrics": [sq_metric]}

    @register
    class ScaledAbs(lib.losses.Loss):
        def __init__(self, scale=1.0, **kwargs):
            super().__init__(**kwargs)
            self.scale = scale

        def call(self, y_true, y_pred):
            return self.scale * abs_loss(y_true, y_pred)

        def get_config(self):
            return {**super().get_config(), "scale": self.scale}

    @register
    class SqMetric(lib.metrics.MeanMetricWrapper):
        def __init__(self, name="sq", dtype=None):
            super().__init__(sq_metric, name=name, dtype=dtype)

        def get_config(self):
            return {"name": self.name, "dtype": self.dtype}

    return {"loss": ScaledAbs(3.0), "metrics": [SqMetric()]}


@pytest.mark.parametrize("kind", ["function", "class"])
def test_h5_training_config_with_registered_loss_and_metric_both_ways(kind, tmp_path):
    # Keras writes a registered loss / metric in a legacy .h5 training config by its registered name
    # ('parity_h5>abs_loss', or {"class_name": 'parity_h5>ScaledAbs', ...}); keraslite wrote the bare
    # function name, which Keras's loader cannot read, and the Keras 3 object form for classes.
    import h5py

    x = np.random.default_rng(7).standard_normal((6, 3)).astype("float32")
    y = np.random.default_rng(8).standard_normal((6, 2)).astype("float32")
    paths, configs, results = {}, {}, {}
    for tag, lib in (("keras", keras), ("keraslite", keraslite)):
        inp = lib.Input((3,), name="x")
        model = lib.Model(inp, lib.layers.Dense(2, name="d")(inp))
        model.compile(optimizer="adam", **_registered_loss_and_metric(lib, kind))
        paths[tag] = str(tmp_path / f"{tag}.h5")
        model.save(paths[tag])
        with h5py.File(paths[tag], "r") as f:
            saved = json.loads(f.attrs["training_config"])
        configs[tag] = {k: saved[k] for k in ("loss", "metrics", "weighted_metrics")}
    assert configs["keraslite"] == configs["keras"]
    for writer, path in paths.items():
        ref = keras.models.load_model(path)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the never-trained optimizer's state is not in the file
            ours = keraslite.saving.load_model(path)
        assert ours.compiled and type(ours.loss).__name__ == type(ref.loss).__name__, writer
        ours.set_weights(ref.get_weights())
        expected = ref.evaluate(x, y, verbose=0, return_dict=True)
        got = ours.evaluate(x, y, verbose=0, return_dict=True)
        assert sorted(got) == sorted(expected), writer
        for key in expected:
            np.testing.assert_allclose(got[key], expected[key], rtol=1e-5, atol=1e-6, err_msg=f"{writer}: {key}")


@pytest.mark.parametrize("writer", ["keras", "keraslite"])
def test_by_name_skip_mismatch_skips_single_weights_like_keras(writer, tmp_path):
    # Keras skips a weight of another shape alone: the layer's other weights still load.
    def build(lib, width):
        inp = lib.Input((5,))
        h = lib.layers.Dense(width, name="d1")(inp)
        return lib.Model(inp, lib.layers.Dense(2, name="out")(h))

    source = build(keras if writer == "keras" else keraslite, 4)
    rng = np.random.default_rng(2)
    source.set_weights([rng.standard_normal(w.shape).astype("float32") for w in source.get_weights()])
    path = str(tmp_path / "m.h5")
    source.save(path)
    results = []
    for lib in (keras, keraslite):
        target = build(lib, 7)
        target.set_weights([np.zeros(w.shape, "float32") for w in target.get_weights()])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            target.load_weights(path, by_name=True, skip_mismatch=True)
        results.append(target.get_weights())
    for k, l in zip(*results):
        np.testing.assert_array_equal(l, k)
    assert np.any(results[1][3] != 0)  # out/bias came from the file


def test_keras_written_training_defaults_leave_predict_deterministic(tmp_path):
    """Keras 3 writes `training: true` into the nodes of random augmentation layers and `false`
    into Dropout's (their call defaults): predict must neither augment nor depend on them."""
    inp = keras.Input((6, 6, 1))
    x = keras.layers.RandomFlip("horizontal")(keras.layers.Rescaling(1.0)(inp))
    x = keras.layers.RandomRotation(0.3)(x)
    x = keras.layers.Dropout(0.5)(keras.layers.Flatten()(x))
    model = keras.Model(inp, keras.layers.Dense(3)(x))
    path = str(tmp_path / "augmented.keras")
    model.save(path)
    images = np.random.default_rng(0).random((4, 6, 6, 1)).astype("float32")
    loaded = keraslite.saving.load_model(path)
    expected = model.predict(images, verbose=0)
    for _ in range(3):
        np.testing.assert_allclose(loaded.predict(images, verbose=0), expected, rtol=1e-5, atol=1e-6)
    loaded.layers[-1].set_weights([np.ones((36, 3), "float32"), np.zeros(3, "float32")])
    trained = loaded(images, training=True)  # fit's flag still reaches Dropout and the augmentation
    assert not np.allclose(keraslite.ops.convert_to_numpy(trained), images.reshape(4, -1).sum(1, keepdims=True))
