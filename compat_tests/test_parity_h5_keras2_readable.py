"""keraslite's `.h5` model files use the config forms that both Keras 3 and tf.keras 2 read:
InputLayer's `batch_input_shape`, Keras 2's inbound-node lists for functional models without
nested models, and no Keras-3-only keys at their null default. (tf.keras 2 itself is checked
by compat_tests/fixtures/check_h5_in_tf_keras.py, which needs TensorFlow.) Real Keras 3 loads
the same files and predicts the same."""
import json
import os

import h5py
import numpy as np
import pytest

os.environ.setdefault("KERAS_BACKEND", "torch")
keras = pytest.importorskip("keras")

import keraslite  # noqa: E402


def _flat_functional(lib):
    a, b = lib.Input((4,), name="a"), lib.Input((3,), name="b")
    shared = lib.layers.Dense(5)
    merged = lib.layers.Concatenate()([shared(a), b, shared(lib.layers.Dense(4)(b))])
    h = lib.layers.Dropout(0.3)(lib.layers.Dense(6, activation="tanh")(merged), training=False)
    tokens = lib.Input((5,), name="tokens")
    seq = lib.layers.Embedding(20, 4, mask_zero=True)(tokens)
    seq = lib.layers.Bidirectional(lib.layers.LSTM(3))(seq)
    both = lib.layers.Concatenate()([h, seq])
    return lib.Model([a, b, tokens], [lib.layers.Dense(2, name="o1")(both), lib.layers.Dense(1, name="o2")(h)])


def _nested(lib):
    inp = lib.Input((4,))
    inner = lib.Sequential([lib.Input((4,)), lib.layers.Dense(3)])
    return lib.Model(inp, lib.layers.Dense(2)(inner(inp)))


def _inputs():
    rng = np.random.default_rng(0)
    return [rng.standard_normal((6, 4)).astype("float32"), rng.standard_normal((6, 3)).astype("float32"),
            rng.integers(0, 20, (6, 5))]


def _config(path):
    with h5py.File(path, "r") as f:
        return json.loads(f.attrs["model_config"])


def test_flat_functional_h5_uses_keras2_forms_and_loads_in_keras(tmp_path):
    model = _flat_functional(keraslite)
    path = str(tmp_path / "flat.h5")
    model.save(path)
    config = _config(path)
    layers = {l["name"]: l for l in config["config"]["layers"]}
    assert layers["a"]["config"]["batch_input_shape"] == [None, 4] and "batch_shape" not in layers["a"]["config"]
    assert "optional" not in layers["a"]["config"]
    concat = layers[next(n for n in layers if n.startswith("concatenate"))]["inbound_nodes"]
    assert [entry[:3] for entry in concat[0]][1] == ["b", 0, 0]  # [layer, node, tensor, kwargs] per input tensor
    dropout = layers[next(n for n in layers if n.startswith("dropout"))]["inbound_nodes"]
    assert dropout[0][0][3] == {"training": False}
    assert all("quantization_config" not in l["config"] for l in config["config"]["layers"])
    x = _inputs()
    expected = model.predict(x, verbose=0)
    for loaded in (keras.models.load_model(path), keraslite.models.load_model(path)):
        for got, want in zip(loaded.predict(x, verbose=0), expected):
            np.testing.assert_allclose(np.asarray(got), np.asarray(want), rtol=1e-5, atol=1e-6)


def test_nested_model_h5_keeps_keras3_nodes_and_loads_in_keras(tmp_path):
    model = _nested(keraslite)
    path = str(tmp_path / "nested.h5")
    model.save(path)
    nodes = [l["inbound_nodes"] for l in _config(path)["config"]["layers"] if l["inbound_nodes"]]
    assert all(isinstance(n[0], dict) for n in nodes)  # Keras 3's {"args", "kwargs"} form
    x = _inputs()[0]
    np.testing.assert_allclose(keras.models.load_model(path).predict(x, verbose=0), model.predict(x, verbose=0),
                               rtol=1e-5, atol=1e-6)


def test_compiled_h5_training_config_reads_in_keras(tmp_path):
    """The optimizer entry leaves out Keras 3's own arguments at their defaults (tf.keras 2's
    optimizers refuse them) and short loss names are written in full (Keras 3's `.h5` loader
    cannot rebuild 'mse' and fails on its own files there)."""
    model = keraslite.Sequential([keraslite.Input((3,)), keraslite.layers.Dense(2)])
    model.compile(keraslite.optimizers.Adam(0.01, amsgrad=True), "mse", metrics=["mae"])
    path = str(tmp_path / "compiled.h5")
    model.save(path)
    with h5py.File(path, "r") as f:
        training = json.loads(f.attrs["training_config"])
    assert training["loss"] == "mean_squared_error" and training["metrics"] == ["mae"]
    optimizer = training["optimizer_config"]["config"]
    assert not {"use_ema", "ema_momentum", "weight_decay", "loss_scale_factor"} & set(optimizer)
    assert optimizer["amsgrad"] is True
    loaded = keras.models.load_model(path)
    assert type(loaded.optimizer).__name__ == "Adam" and loaded.optimizer.amsgrad
    assert float(loaded.optimizer.learning_rate) == pytest.approx(0.01)
    ours = keraslite.models.load_model(path)
    assert float(ours.optimizer.learning_rate) == pytest.approx(0.01) and not ours.optimizer.use_ema
