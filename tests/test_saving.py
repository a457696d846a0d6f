"""keraslite.saving: round trips through every file format, config translation from Keras 1/2
dialects, weight matching (topological, by name, skip_mismatch), error messages, and training
that continues exactly across a save/load."""
import json
import os
import warnings

import h5py
import numpy as np
import pytest
import torch

import keraslite
from keraslite import layers
from keraslite.saving import serialization


def mlp(name=None):
    return keraslite.Sequential([keraslite.Input((4,)), layers.Dense(3, activation="relu"), layers.Dropout(0.5),
                                 layers.Dense(2)], name=name)


X = np.random.default_rng(0).standard_normal((5, 4)).astype("float32")


def predict(model, x=X):
    model.eval()
    with torch.no_grad():
        return model(torch.as_tensor(x)).numpy()


def randomized(model, seed=0):
    rng = np.random.default_rng(seed)
    model.set_weights([rng.standard_normal(w.shape).astype(w.dtype) for w in model.get_weights()])
    return model


# ----------------------------------------------------------------------------- round trips

@pytest.mark.parametrize("ext", ["h5", "hdf5", "keras"])
def test_model_round_trip(tmp_path, ext):
    model = randomized(mlp())
    path = tmp_path / f"m.{ext}"
    model.save(path)
    loaded = keraslite.saving.load_model(path)
    assert type(loaded) is keraslite.Sequential
    assert [type(l).__name__ for l in loaded.layers] == ["Dense", "Dropout", "Dense"]
    np.testing.assert_array_equal(predict(loaded), predict(model))


def test_keras_archive_to_and_from_a_file_object(tmp_path):
    """Keras's saving_lib writes and reads the `.keras` archive through an open binary file
    object (libraries pickle models this way); the compiled state and optimizer come back too."""
    import io

    from keraslite.saving import keras_format

    model = randomized(mlp())
    model.compile(optimizer=keraslite.optimizers.Adam(0.01), loss="mse", metrics=["mae"])
    model.fit(X, np.zeros((5, 2), "float32"), epochs=1, verbose=0)
    buffer = io.BytesIO()
    keras_format.save_model(model, buffer)
    assert not buffer.closed and buffer.getvalue()[:2] == b"PK"
    loaded = keras_format.load_model(io.BytesIO(buffer.getvalue()), compile=True)
    np.testing.assert_array_equal(predict(loaded), predict(model))
    assert type(loaded.optimizer).__name__ == "Adam"
    np.testing.assert_allclose(float(loaded.optimizer.learning_rate), 0.01)
    assert int(loaded.optimizer.iterations) == int(model.optimizer.iterations) == 1
    # A real file opened for writing works the same, and the archive reads back by path.
    with open(tmp_path / "m.keras", "wb") as fh:
        keras_format.save_model(model, fh)
    np.testing.assert_array_equal(predict(keraslite.saving.load_model(tmp_path / "m.keras")), predict(model))
    with pytest.raises(keraslite.saving.KerasFileError):
        keras_format.load_model(io.BytesIO(b"not a zip"))


# "w.keras" and "ckpt": tf.keras 2 checkpoint prefixes (ModelCheckpoint('x.keras', save_weights_only=True)).
@pytest.mark.parametrize("name", ["w.weights.h5", "w.h5", "w.keras", "ckpt"])
def test_weights_round_trip(tmp_path, name):
    model = randomized(mlp())
    model.save_weights(tmp_path / name)
    other = mlp()
    assert not np.allclose(predict(other), predict(model))
    other.load_weights(tmp_path / name)
    np.testing.assert_array_equal(predict(other), predict(model))


def test_load_weights_from_full_model_files(tmp_path):
    model = randomized(mlp())
    model.save(tmp_path / "m.h5")
    model.save(tmp_path / "m.keras")
    for name in ("m.h5", "m.keras"):
        other = mlp()
        other.load_weights(tmp_path / name)
        np.testing.assert_array_equal(predict(other), predict(model))


def test_legacy_weights_file_layout(tmp_path):
    """save_weights('x.h5') writes the Keras 2 layout at the file root."""
    model = mlp()
    model.save_weights(tmp_path / "w.h5")
    with h5py.File(tmp_path / "w.h5", "r") as f:
        names = [n.decode() for n in f.attrs["layer_names"]]
        assert names == [l.name for l in model.layers]
        dense = model.layers[0]
        wnames = [n.decode() for n in f[dense.name].attrs["weight_names"]]
        assert len(wnames) == 2
        np.testing.assert_array_equal(f[dense.name][wnames[0]][()], dense.kernel.numpy())


def test_keras3_weights_layout(tmp_path):
    model = mlp()
    model.save_weights(tmp_path / "w.weights.h5")
    with h5py.File(tmp_path / "w.weights.h5", "r") as f:
        assert set(f["layers"].keys()) == {"dense", "dropout", "dense_1"}
        np.testing.assert_array_equal(f["layers/dense/vars/0"][()], model.layers[0].kernel.numpy())
        assert len(f["layers/dropout/vars"]) == 0
        assert "vars" in f


def test_nested_layers_by_attribute_name(tmp_path):
    model = keraslite.Sequential([keraslite.Input((3, 2)), layers.Bidirectional(layers.LSTM(2)), layers.Dense(1)])
    randomized(model)
    model.save_weights(tmp_path / "w.weights.h5")
    with h5py.File(tmp_path / "w.weights.h5", "r") as f:
        keys = []
        f.visit(keys.append)
    assert any(k.startswith("layers/bidirectional/forward_layer/") for k in keys), keys
    other = keraslite.Sequential([keraslite.Input((3, 2)), layers.Bidirectional(layers.LSTM(2)), layers.Dense(1)])
    other.load_weights(tmp_path / "w.weights.h5")
    x = np.random.default_rng(1).standard_normal((2, 3, 2)).astype("float32")
    np.testing.assert_array_equal(predict(other, x), predict(model, x))


def test_json_round_trip():
    model = mlp()
    text = model.to_json()
    config = json.loads(text)
    assert config["class_name"] == "Sequential" and config["module"] == "keras"
    clone = keraslite.saving.model_from_json(text)
    assert clone.get_config() == model.get_config()


def test_json_of_compiled_model_carries_compile_config_and_compiles_back():
    model = mlp()
    assert "compile_config" not in json.loads(model.to_json())
    model.compile(optimizer=keraslite.optimizers.SGD(0.05), loss="mae", metrics=["mse"])
    config = json.loads(model.to_json())
    assert config["build_config"] == {"input_shape": [None, 4]}
    assert config["compile_config"]["loss"] == "mae" and config["compile_config"]["metrics"] == ["mse"]
    clone = keraslite.saving.model_from_json(model.to_json())
    assert clone.compiled and clone.loss == "mae"
    assert type(clone.optimizer).__name__ == "SGD" and float(clone.optimizer.learning_rate) == pytest.approx(0.05)
    clone.set_weights(model.get_weights())
    y = np.zeros((5, 2), "float32")
    assert clone.evaluate(X, y, verbose=0) == pytest.approx(model.evaluate(X, y, verbose=0))


def test_model_from_json_compiles_with_a_custom_loss_from_custom_objects():
    def my_loss(y_true, y_pred):
        return keraslite.ops.mean(y_pred - y_true)

    model = mlp()
    model.compile(optimizer="sgd", loss=my_loss)
    clone = keraslite.saving.model_from_json(model.to_json(), custom_objects={"my_loss": my_loss})
    assert clone.loss is my_loss


def test_yaml_round_trip_with_pyyaml():
    pytest.importorskip("yaml")
    model = mlp()
    text = model.to_yaml()
    assert "class_name: Sequential" in text
    clone = keraslite.saving.model_from_yaml(text)
    assert clone.get_config() == model.get_config()


def test_yaml_uses_the_safe_dumper_and_loader(monkeypatch):
    """to_yaml/model_from_yaml go through PyYAML's safe_dump/safe_load only (a stand-in here)."""
    import sys
    import types

    calls = []
    fake = types.ModuleType("yaml")
    fake.YAMLError = ValueError
    fake.safe_dump = lambda data, **kw: calls.append(("dump", kw)) or json.dumps(data)
    fake.safe_load = lambda text: calls.append(("load", {})) or json.loads(text)
    monkeypatch.setitem(sys.modules, "yaml", fake)
    model = mlp()
    text = model.to_yaml(default_flow_style=False)
    clone = keraslite.saving.model_from_yaml(text)
    assert clone.get_config() == model.get_config()
    assert calls == [("dump", {"default_flow_style": False}), ("load", {})]


def test_yaml_without_pyyaml_says_what_to_install(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "yaml", None)  # import yaml -> ImportError
    with pytest.raises(ImportError, match=r"model\.to_yaml\(\) needs PyYAML.*pip install pyyaml.*to_json"):
        mlp().to_yaml()
    with pytest.raises(ImportError, match=r"model_from_yaml\(\) needs PyYAML"):
        keraslite.saving.model_from_yaml("class_name: Sequential")


def test_overwrite_false(tmp_path):
    model = mlp()
    model.save(tmp_path / "m.keras")
    with pytest.raises(FileExistsError):
        model.save(tmp_path / "m.keras", overwrite=False)


# ----------------------------------------------------------------------------- serialization

def test_serialize_layer_is_keras3_object():
    dense = layers.Dense(3)
    dense(torch.zeros(2, 4))
    out = serialization.serialize_layer(dense)
    assert out["module"] == "keras.layers" and out["class_name"] == "Dense" and out["registered_name"] is None
    assert out["build_config"] == {"input_shape": [2, 4]}
    rebuilt = serialization.deserialize_layer(out)
    assert rebuilt.built and rebuilt.get_config() == dense.get_config()


def test_deserialize_keras2_dict_and_k1_alias_and_bare_name():
    dense = serialization.deserialize_layer({"class_name": "Dense", "config": {"units": 2, "name": "d"}})
    assert isinstance(dense, layers.Dense) and dense.units == 2
    conv = serialization.deserialize_layer({"class_name": "Convolution2D", "config": {"filters": 2, "kernel_size": 3}})
    assert isinstance(conv, layers.Conv2D)
    assert isinstance(serialization.deserialize_layer("Identity"), layers.Identity)


def test_translate_keras2_keys():
    lstm = serialization.deserialize_layer({"class_name": "LSTM", "config": {
        "units": 3, "time_major": False, "implementation": 2, "dtype": {"class_name": "Policy",
                                                                         "config": {"name": "mixed_float16"}}}})
    assert lstm.units == 3 and lstm.dtype == "float32"
    bn = serialization.deserialize_layer({"class_name": "BatchNormalization", "config": {"axis": [3]}})
    assert bn.axis == 3 or bn.axis == [3] or tuple(np.atleast_1d(bn.axis)) == (3,)
    inp = serialization.deserialize_layer({"class_name": "InputLayer", "config": {"batch_input_shape": [None, 7],
                                                                                  "ragged": False, "sparse": False}})
    assert tuple(inp.batch_shape) == (None, 7)
    dense = serialization.deserialize_layer({"class_name": "Dense", "config": {
        "units": 2, "quantization_config": None, "kernel_initializer": {
            "module": "keras.initializers", "class_name": "GlorotUniform",
            "config": {"seed": None, "input_axes": None, "output_axes": None}, "registered_name": None}}})
    assert dense.units == 2


def test_unknown_keys_with_meaning_still_raise():
    with pytest.raises(ValueError, match="quantization_config"):
        serialization.deserialize_layer({"class_name": "Dense", "config": {"units": 2,
                                                                           "quantization_config": {"mode": "int8"}}})


def test_unknown_class_names_the_fix():
    with pytest.raises(ValueError, match="custom_objects"):
        serialization.deserialize_layer({"class_name": "MyLayer", "config": {}})


def test_custom_objects_and_registry(tmp_path):
    class Scale(layers.Layer):
        def __init__(self, factor=2.0, **kwargs):
            super().__init__(**kwargs)
            self.factor = factor

        def call(self, x):
            return x * self.factor

        def get_config(self):
            return dict(super().get_config(), factor=self.factor)

    model = keraslite.Sequential([keraslite.Input((4,)), Scale(3.0), layers.Dense(2)])
    model.save(tmp_path / "m.keras")
    with pytest.raises(ValueError, match="Scale"):
        keraslite.saving.load_model(tmp_path / "m.keras")
    loaded = keraslite.saving.load_model(tmp_path / "m.keras", custom_objects={"Scale": Scale})
    np.testing.assert_allclose(predict(loaded), predict(model))
    keraslite.saving.register_keras_serializable(package="test")(Scale)
    try:
        model.save(tmp_path / "m2.h5")
        np.testing.assert_allclose(predict(keraslite.saving.load_model(tmp_path / "m2.h5")), predict(model))
    finally:
        from keraslite.saving import registry

        registry._GLOBAL.pop("test>Scale", None)
        registry._NAMES.pop(Scale, None)


def test_lambda_needs_safe_mode_false(tmp_path):
    model = keraslite.Sequential([keraslite.Input((4,)), layers.Lambda(lambda x: x * 2.0), layers.Dense(2)])
    for ext in ("keras", "h5"):
        path = tmp_path / f"lam.{ext}"
        model.save(path)
        with pytest.raises(ValueError, match="safe_mode"):
            keraslite.saving.load_model(path)
        loaded = keraslite.saving.load_model(path, safe_mode=False)
        np.testing.assert_allclose(predict(loaded), predict(model))


# ----------------------------------------------------------------------------- matching and errors

def test_layer_count_mismatch_names_both_counts(tmp_path):
    mlp().save_weights(tmp_path / "w.h5")
    small = keraslite.Sequential([keraslite.Input((4,)), layers.Dense(2)])
    with pytest.raises(ValueError, match=r"file has 2 layers.*has 1"):
        small.load_weights(tmp_path / "w.h5")


def test_shape_mismatch_names_layer_and_shapes(tmp_path):
    mlp().save_weights(tmp_path / "w.h5")
    other = keraslite.Sequential([keraslite.Input((4,)), layers.Dense(5), layers.Dense(2)])
    with pytest.raises(ValueError, match=r"dense.*\(4, 5\).*\(4, 3\)"):
        other.load_weights(tmp_path / "w.h5")
    with pytest.raises(ValueError, match=r"\(4, 5\)"):
        other.load_weights(tmp_path / "w.h5".replace(".h5", ".h5"))
    mlp().save_weights(tmp_path / "w.weights.h5")
    with pytest.raises(ValueError, match=r"shape \(4, 5\).*\(4, 3\)"):
        other.load_weights(tmp_path / "w.weights.h5")


def test_skip_mismatch_and_by_name(tmp_path):
    source = randomized(mlp())
    source.save_weights(tmp_path / "w.h5")
    other = keraslite.Sequential([keraslite.Input((4,)), layers.Dense(3, name=source.layers[0].name),
                                  layers.Dense(7, name=source.layers[2].name)])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        other.load_weights(tmp_path / "w.h5", by_name=True, skip_mismatch=True)
    assert any("Skipped" in str(w.message) for w in caught)
    np.testing.assert_array_equal(other.layers[0].kernel.numpy(), source.layers[0].kernel.numpy())


def test_load_model_on_weights_only_file(tmp_path):
    mlp().save_weights(tmp_path / "w.h5")
    with pytest.raises(ValueError, match="load_weights"):
        keraslite.saving.load_model(tmp_path / "w.h5")


def test_missing_file():
    # a ValueError as Keras 3 raises it, an OSError as tf.keras 2 did
    for error in (ValueError, FileNotFoundError):
        with pytest.raises(error, match="No such file"):
            keraslite.saving.load_model("/nonexistent/m.keras")
        with pytest.raises(error, match="No such file"):
            mlp().load_weights("/nonexistent/w.weights.h5")


# ----------------------------------------------------------------------------- training continues

def _trainable():
    try:
        model = mlp()
        model.compile(optimizer="adam", loss="mse")
        model.fit(X, np.zeros((5, 2), "float32"), epochs=1, verbose=0)
    except Exception as e:  # training modules still being written
        pytest.skip(f"training loop not usable yet: {e}")


@pytest.mark.parametrize("ext", ["h5", "keras"])
def test_train_save_load_continue_equals_uninterrupted(tmp_path, ext):
    _trainable()
    rng = np.random.default_rng(0)
    x = rng.standard_normal((16, 4)).astype("float32")
    y = rng.standard_normal((16, 2)).astype("float32")

    def make():
        keraslite.backend.clear_session()
        keraslite.utils.set_random_seed(0)
        model = keraslite.Sequential([keraslite.Input((4,)), layers.Dense(3, activation="relu"), layers.Dense(2)])
        model.compile(optimizer=keraslite.optimizers.Adam(0.01), loss="mse")
        return model

    straight = make()
    straight.fit(x, y, epochs=4, batch_size=8, shuffle=False, verbose=0)
    first = make()
    first.fit(x, y, epochs=2, batch_size=8, shuffle=False, verbose=0)
    first.save(tmp_path / f"c.{ext}")
    resumed = keraslite.saving.load_model(tmp_path / f"c.{ext}")
    assert int(resumed.optimizer.iterations) == 4
    resumed.fit(x, y, epochs=2, batch_size=8, shuffle=False, verbose=0)
    # On CUDA the uninterrupted run replays a CUDA graph from its fifth step, whose Adam update
    # is Keras's formula term by term while eager steps use torch's fused kernel: both equal
    # Keras to float32 rounding, not bit for bit.
    cuda = keraslite.backend.get_device().type == "cuda"
    for a, b in zip(resumed.get_weights(), straight.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5 if cuda else 1e-6, atol=1e-6 if cuda else 1e-7)
    # Without the optimizer state the continuation differs: the test can tell.
    fresh = keraslite.saving.load_model(tmp_path / f"c.{ext}", compile=False)
    fresh.compile(optimizer=keraslite.optimizers.Adam(0.01), loss="mse")
    fresh.fit(x, y, epochs=2, batch_size=8, shuffle=False, verbose=0)
    assert not all(np.allclose(a, b) for a, b in zip(fresh.get_weights(), straight.get_weights()))


def test_training_config_always_has_loss_weights_and_optimizer_config(tmp_path):
    _trainable()
    model = mlp()
    model.compile(optimizer="sgd", loss="mse")
    model.save(tmp_path / "m.h5")
    with h5py.File(tmp_path / "m.h5", "r") as f:
        config = json.loads(f.attrs["training_config"])
    assert "loss_weights" in config and config["optimizer_config"]["class_name"] == "SGD"


def test_training_config_names_registered_losses_and_metrics_as_keras_does(tmp_path):
    # Keras's legacy form: a function by its registered name, an object as {"class_name", "config"}.
    _trainable()
    register = keraslite.saving.register_keras_serializable(package="h5cfg")

    @register
    def abs_err(y_true, y_pred):
        return keraslite.ops.mean(keraslite.ops.abs(y_true - y_pred), axis=-1)

    @register
    class Halved(keraslite.losses.Loss):
        def call(self, y_true, y_pred):
            return abs_err(y_true, y_pred) / 2.0

    model = mlp()
    model.compile(optimizer="sgd", loss=Halved(name="halved"), metrics=[abs_err, keraslite.metrics.AUC(name="auc")])
    model.save(tmp_path / "m.h5")
    with h5py.File(tmp_path / "m.h5", "r") as f:
        config = json.loads(f.attrs["training_config"])
    assert config["loss"] == {"class_name": "h5cfg>Halved",
                              "config": {"name": "halved", "reduction": "sum_over_batch_size"}}
    assert config["metrics"][0] == "h5cfg>abs_err"
    assert config["metrics"][1]["class_name"] == "AUC" and "module" not in config["metrics"][1]
    loaded = keraslite.saving.load_model(tmp_path / "m.h5")
    assert isinstance(loaded.loss, Halved) and loaded.compiled


def test_large_name_attributes_are_split(tmp_path):
    """Name lists over HDF5's 64 KB header limit go to name0, name1, ... as Keras writes them."""
    from keraslite.saving import weights as W

    names = [f"layer_with_a_long_name_{i:05d}" for i in range(4000)]
    with h5py.File(tmp_path / "a.h5", "w") as f:
        W.save_attributes(f, "layer_names", names)
        assert "layer_names" not in f.attrs and "layer_names0" in f.attrs and "layer_names1" in f.attrs
    with h5py.File(tmp_path / "a.h5", "r") as f:
        assert W.load_attributes(f, "layer_names") == names


def test_time_major_true_is_not_silently_dropped():
    layer = serialization.deserialize_layer({"class_name": "LSTM", "config": {"units": 2, "time_major": True}})
    assert layer.time_major and layer.get_config()["time_major"] is True


@pytest.mark.parametrize("ext", ["h5", "keras"])
def test_loss_and_metric_objects_survive(tmp_path, ext):
    _trainable()
    if not hasattr(keraslite.losses, "CategoricalCrossentropy"):
        pytest.skip("losses not available yet")
    model = keraslite.Sequential([keraslite.Input((4,)), layers.Dense(3, activation="softmax")])
    model.compile(optimizer=keraslite.optimizers.SGD(0.1, momentum=0.9),
                  loss=keraslite.losses.CategoricalCrossentropy(label_smoothing=0.1), metrics=["accuracy"])
    model.save(tmp_path / f"m.{ext}")
    loaded = keraslite.saving.load_model(tmp_path / f"m.{ext}")
    assert loaded.optimizer.get_config()["momentum"] == 0.9
    assert loaded.loss.get_config()["label_smoothing"] == 0.1
    assert loaded._compile_config["metrics"] == ["accuracy"]


def _mlp(head_units, with_head=True):
    inputs = keraslite.Input((12,))
    x = keraslite.layers.Dense(8, activation="relu", name="dense_1")(inputs)
    x = keraslite.layers.Dense(6, activation="relu", name="dense_2")(x)
    if with_head:
        x = keraslite.layers.Dense(head_units, name="predictions")(x)
    return keraslite.Model(inputs, x)


def test_checkpoint_style_path_pairs_layers_in_order_and_returns_a_status(tmp_path):
    # tf.keras 2 wrote a TensorFlow checkpoint to a name without '.h5'; restoring it paired the
    # layers with weights in order as far as both models go, and returned a load status.
    base = _mlp(0, with_head=False)
    path = str(tmp_path / "pretrained_ckpt")
    base.save_weights(path)

    same = _mlp(0, with_head=False)
    status = same.load_weights(path)
    assert status.assert_consumed() is status
    for a, b in zip(base.get_weights(), same.get_weights()):
        np.testing.assert_array_equal(a, b)

    bigger = _mlp(5)
    head_before = bigger.get_layer("predictions").get_weights()
    status = bigger.load_weights(path)
    for a, b in zip(base.get_weights(), bigger.get_weights()[:4]):
        np.testing.assert_array_equal(a, b)
    for a, b in zip(head_before, bigger.get_layer("predictions").get_weights()):
        np.testing.assert_array_equal(a, b)
    status.expect_partial()
    with pytest.raises(AssertionError, match=r"\['predictions'\]"):
        status.assert_consumed()

    # A full model's checkpoint into the headless one: the head's values stay unused.
    full_path = str(tmp_path / "full_ckpt")
    bigger.save_weights(full_path)
    status = _mlp(0, with_head=False).load_weights(full_path)
    status.assert_existing_objects_matched()
    with pytest.raises(AssertionError, match="fewer layers with weights"):
        status.assert_consumed()


def test_checkpoint_style_path_still_checks_shapes_and_h5_stays_strict(tmp_path):
    path = str(tmp_path / "ckpt")
    _mlp(5).save_weights(path)
    other = keraslite.Sequential([keraslite.Input((12,)), keraslite.layers.Dense(7)])
    with pytest.raises(ValueError, match="dense"):
        other.load_weights(path)
    h5 = str(tmp_path / "weights.h5")
    _mlp(0, with_head=False).save_weights(h5)
    with pytest.raises(ValueError, match="Layer count mismatch"):
        _mlp(5).load_weights(h5)


def test_subclassed_model_h5_round_trip_builds_before_reading_weights(tmp_path):
    # A subclassed model's config says nothing of its input; the file keeps the shape it was
    # built on, so loading (with the class given) builds it and restores its weights.
    class Stack(keraslite.Model):
        def __init__(self, hidden_units, **kwargs):
            super().__init__(**kwargs)
            self.hidden_units = hidden_units
            self.dense_layers = [keraslite.layers.Dense(u) for u in hidden_units]

        def call(self, inputs):
            for layer in self.dense_layers:
                inputs = layer(inputs)
            return inputs

        def get_config(self):
            return {"hidden_units": self.hidden_units}

    model = Stack([6, 3])
    x = np.random.default_rng(0).standard_normal((2, 5)).astype("float32")
    expected = model(x).detach().numpy()
    path = str(tmp_path / "stack_model")
    model.save(path)
    loaded = keraslite.saving.load_model(path, custom_objects={"Stack": Stack})
    assert loaded.built
    np.testing.assert_allclose(loaded(x).detach().numpy(), expected, rtol=1e-6)


def test_checkpoint_names_keep_tf_keras_state_file_for_latest_checkpoint(tmp_path):
    """tf.keras 2 kept a `checkpoint` file next to weights saved under names without '.h5';
    tf.train.latest_checkpoint(dir) reads it (the 'Save and load models' tutorial)."""
    from keraslite.compat import tensorflow_shim as tf

    assert tf.train.latest_checkpoint(str(tmp_path)) is None  # nothing saved yet
    x = np.random.default_rng(0).standard_normal((32, 3)).astype("float32")
    model = keraslite.Sequential([keraslite.Input((3,)), keraslite.layers.Dense(2)])
    model.compile("sgd", "mse")
    folder = tmp_path / "training_2"
    model.save_weights(str(folder / "cp-0000.ckpt"))
    model.fit(x, x[:, :2], epochs=2, batch_size=8, verbose=0, callbacks=[
        keraslite.callbacks.ModelCheckpoint(str(folder / "cp-{epoch:04d}.ckpt"), save_weights_only=True)])
    model.save_weights(str(folder / "other.weights.h5"))  # Keras 3 names do not take part
    assert sorted(os.listdir(folder)) == ["checkpoint", "cp-0000.ckpt", "cp-0001.ckpt", "cp-0002.ckpt",
                                          "other.weights.h5"]
    assert (folder / "checkpoint").read_text() == (
        'model_checkpoint_path: "cp-0002.ckpt"\n'
        'all_model_checkpoint_paths: "cp-0000.ckpt"\n'
        'all_model_checkpoint_paths: "cp-0001.ckpt"\n'
        'all_model_checkpoint_paths: "cp-0002.ckpt"\n')
    latest = tf.train.latest_checkpoint(str(folder))
    assert latest == os.path.join(str(folder), "cp-0002.ckpt")
    restored = keraslite.Sequential([keraslite.Input((3,)), keraslite.layers.Dense(2)])
    restored.load_weights(latest)
    np.testing.assert_array_equal(restored.get_weights()[0], model.get_weights()[0])
    os.remove(latest)
    assert tf.train.latest_checkpoint(str(folder)) is None  # the state names a file that is gone


@pytest.mark.parametrize("ext", ["keras", "h5"])
def test_model_with_preprocess_input_on_its_input_saves_and_loads(tmp_path, ext):
    # DLwP's fine-tuning listing: keras.applications.vgg16.preprocess_input(inputs) in a
    # functional model checkpointed to '.keras'; its graph holds ops with constant tensors.
    inputs = keraslite.Input(shape=(8, 8, 3))
    x = keraslite.applications.vgg16.preprocess_input(inputs)
    model = keraslite.Model(inputs, keraslite.layers.Dense(1)(keraslite.layers.Flatten()(x)))
    path = str(tmp_path / f"m.{ext}")
    model.save(path)
    loaded = keraslite.saving.load_model(path)
    images = np.random.default_rng(0).uniform(0, 255, (2, 8, 8, 3)).astype("float32")
    expected = model.predict(images, verbose=0)
    np.testing.assert_allclose(loaded.predict(images, verbose=0), expected, rtol=1e-6)
    flipped_centered = images[..., ::-1] - np.array([103.939, 116.779, 123.68], dtype="float32")
    w, b = model.layers[-1].get_weights()
    np.testing.assert_allclose(expected, flipped_centered.reshape(2, -1) @ w + b, rtol=1e-4)


def test_compiled_and_trained_model_pickles():
    # Generative Deep Learning's GAN wrappers pickle themselves, models included (Keras 3 pickles too).
    import copy
    import pickle

    import keraslite as kl

    rng = np.random.default_rng(0)
    x, y = rng.random((8, 4)).astype("float32"), np.ones((8, 1), "float32")
    inputs = kl.Input((4,))
    model = kl.Model(inputs, kl.layers.Dense(1)(inputs))
    model.compile("rmsprop", "mse", metrics=["mae"])
    model.fit(x, y, verbose=0)
    for clone in (pickle.loads(pickle.dumps(model)), copy.deepcopy(model)):
        np.testing.assert_allclose(clone.predict(x, verbose=0), model.predict(x, verbose=0))
        clone.fit(x, y, verbose=0)  # its optimizer knows its own (new) variables
        assert len(clone.evaluate(x, y, verbose=0)) == 2
        assert int(clone.optimizer.iterations) == 2


@pytest.mark.parametrize("name", ["checkpoint.ckpt", "weights.h5"])
def test_sublayers_sharing_a_name_save_and_load(tmp_path, name):
    # GDL's diffusion model: self.ema_network = clone_model(self.network) keeps the name "unet".
    def make():
        inp = keraslite.Input((4,))
        net = keraslite.Model(inp, keraslite.layers.Dense(2)(inp), name="unet")

        class Diffusion(keraslite.Model):
            def __init__(self):
                super().__init__()
                self.network = net
                self.ema_network = keraslite.models.clone_model(net)

            def call(self, x):
                return self.network(x) + self.ema_network(x)

        model = Diffusion()
        model(np.zeros((1, 4), "float32"))
        return model

    a, b = make(), make()
    a.ema_network.set_weights([w + 1.0 for w in a.network.get_weights()])
    assert a.network.name == a.ema_network.name
    path = str(tmp_path / name)
    a.save_weights(path)
    b.load_weights(path)
    for x, y in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_array_equal(x, y)
    assert not np.allclose(b.network.get_weights()[0], b.ema_network.get_weights()[0])


def test_saving_under_one_name_as_a_file_then_as_a_directory_and_back(tmp_path):
    # The tf.keras save guide: model.save("my_model") and later model.save("my_model", save_format="tf").
    model = mlp()
    for first, second in ((None, "tf"), ("tf", None)):
        path = tmp_path / f"model_{first}"
        model.save(path, save_format=first)
        model.save(f"{path}{os.sep}" if second == "tf" else path, save_format=second)  # 'my_model/' too
        assert os.path.isdir(path) == (second == "tf")
        np.testing.assert_allclose(predict(keraslite.saving.load_model(path)), predict(model), rtol=1e-6)
    assert not [name for name in os.listdir(tmp_path) if name.startswith(".")]  # nothing left behind


def test_keras2_hdf5_group_helpers_load_an_open_file_into_a_list_of_layers(tmp_path):
    # Keras 2's keras.engine.saving / keras.engine.topology helpers (Mask R-CNN's load_weights):
    # the program opens the .h5 file itself and passes its layers.
    from keraslite.compat import keras2_engine as saving

    source = mlp()
    path = str(tmp_path / "w.h5")
    source.save_weights(path)
    expected = source.predict(X, verbose=0)
    target = mlp()
    with h5py.File(path, "r") as f:
        saving.load_weights_from_hdf5_group(f, target.layers)
    np.testing.assert_allclose(target.predict(X, verbose=0), expected, rtol=1e-6)

    by_name = mlp()
    dense = [l for l in by_name.layers if isinstance(l, layers.Dense)]
    untouched = dense[1].get_weights()
    for layer, file_layer in zip(dense, [l for l in source.layers if isinstance(l, layers.Dense)]):
        layer.name = file_layer.name  # Keras matches by name: only the first Dense is passed
    with h5py.File(path, "r") as f:
        saving.load_weights_from_hdf5_group_by_name(f, dense[:1])
    for got, want in zip(dense[0].get_weights(), source.layers[0].get_weights()):
        np.testing.assert_array_equal(got, want)
    for got, want in zip(dense[1].get_weights(), untouched):
        np.testing.assert_array_equal(got, want)

    # A model is accepted for `layers` (tf.keras 2.5+, Keras 3); save_weights_to_hdf5_group writes
    # the same layout into a group of a file the program owns.
    other = str(tmp_path / "group.h5")
    with h5py.File(other, "w") as f:
        saving.save_weights_to_hdf5_group(f.create_group("model_weights"), source)
    reloaded = mlp()
    with h5py.File(other, "r") as f:
        saving.load_weights_from_hdf5_group(f["model_weights"], reloaded)
        with pytest.raises(keraslite.saving.KerasFileError, match=r"pass f\['model_weights'\]"):
            saving.load_weights_from_hdf5_group(f, reloaded.layers)
    np.testing.assert_allclose(reloaded.predict(X, verbose=0), expected, rtol=1e-6)

    wider = keraslite.Sequential([keraslite.Input((4,)), layers.Dense(5), layers.Dense(2)])
    with h5py.File(path, "r") as f:
        with pytest.raises(ValueError, match="shape"):
            saving.load_weights_from_hdf5_group(f, wider.layers)
        with pytest.warns(UserWarning, match="skip_mismatch"):
            saving.load_weights_from_hdf5_group(f, wider.layers, skip_mismatch=True)
    with pytest.raises(TypeError, match="open h5py File or Group"):
        saving.load_weights_from_hdf5_group(path, target.layers)
