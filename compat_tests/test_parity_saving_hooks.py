"""Keras 3's customization hooks for `.keras` saving, against real Keras 3 (torch backend):
`keras.Variable(...)` as layers create extra state with it, `save_own_variables` /
`load_own_variables` overrides (what each layer's `vars` group holds), `get_compile_config` /
`compile_from_config` overrides, and how plain functions are serialized."""
import json
import zipfile

import h5py
import numpy as np
import pytest

from compat_tests.conftest import keras
import keraslite


def _vars_groups(path):
    """{group path: sorted dataset names} of the weights inside a `.keras` archive."""
    with zipfile.ZipFile(path) as z:
        data = z.read("model.weights.h5")
    out = {}
    import io
    with h5py.File(io.BytesIO(data), "r") as f:
        def visit(name, obj):
            if isinstance(obj, h5py.Group) and name.endswith("vars") and not name.startswith("optimizer"):
                out[name] = sorted((k, obj[k].shape) for k in obj.keys())
        f.visititems(visit)
    return out


def _compile_config(path):
    with zipfile.ZipFile(path) as z:
        return json.loads(z.read("config.json")).get("compile_config")


@pytest.mark.parametrize("kwargs", [
    {"initializer": np.arange(3.0)},
    {"initializer": [1.0, 2.0]},
    {"initializer": np.zeros((2, 2), "float64"), "dtype": "float32"},
    {"initializer": "ones", "shape": (2, 3)},
    {"initializer": 2.5, "trainable": False},
])
def test_variable_constructor_matches_keras(kwargs):
    k, lite = keras.Variable(**kwargs), keraslite.Variable(**kwargs)
    assert tuple(lite.shape) == tuple(k.shape)
    assert keraslite.backend.dtype_name(lite.dtype) == keras.backend.standardize_dtype(k.dtype)
    assert lite.trainable == k.trainable
    np.testing.assert_array_equal(lite.numpy(), keras.ops.convert_to_numpy(k))


def test_variable_from_initializer_needs_shape():
    with pytest.raises(ValueError, match="shape"):
        keraslite.Variable("ones")


def _offset_dense(lib, name):
    class OffsetDense(lib.layers.Dense):
        def __init__(self, units, **kwargs):
            super().__init__(units, **kwargs)
            self.offset = lib.Variable(np.full((units,), 0.25), name="offset", dtype="float32")

        def save_own_variables(self, store):
            super().save_own_variables(store)
            store["offset"] = self.offset.numpy()

        def load_own_variables(self, store):
            self.offset.assign(store["offset"])
            self.kernel.assign(store["0"])
            self.bias.assign(store["1"])

        def call(self, inputs):
            return super().call(inputs) + self.offset

    OffsetDense.__name__ = OffsetDense.__qualname__ = name
    return lib.saving.register_keras_serializable(package="hooks_test")(OffsetDense)


def test_save_own_variables_override_writes_what_keras_writes(tmp_path):
    x = np.random.default_rng(0).random((4, 5)).astype("float32")
    files = {}
    for tag, lib in (("keras", keras), ("lite", keraslite)):
        cls = _offset_dense(lib, "OffsetDense")
        model = lib.Sequential([lib.Input((5,)), cls(3)])
        model.layers[-1].offset.assign(np.array([1.0, 2.0, 3.0], "float32"))
        files[tag] = str(tmp_path / f"{tag}.keras")
        model.save(files[tag])
        files[tag + "_pred"] = model.predict(x, verbose=0)
    assert _vars_groups(files["lite"]) == _vars_groups(files["keras"])
    # Each library reads the other's file through the layer's own load_own_variables.
    for tag, lib in (("keras", keraslite), ("lite", keras)):
        cls = _offset_dense(lib, "OffsetDense")
        restored = lib.saving.load_model(files[tag], custom_objects={"hooks_test>OffsetDense": cls})
        np.testing.assert_allclose(keras.ops.convert_to_numpy(restored.layers[-1].offset), [1.0, 2.0, 3.0])
        np.testing.assert_allclose(np.asarray(restored.predict(x, verbose=0)), files[tag + "_pred"], rtol=1e-6)


def _custom_compile_model(lib):
    def half_mse(y_true, y_pred):
        return lib.ops.mean(lib.ops.square(y_pred - y_true), axis=-1) / 2.0

    half_mse = lib.saving.register_keras_serializable(package="hooks_test")(half_mse)

    class CompiledByHooks(lib.Model):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.dense = lib.layers.Dense(2)

        def call(self, inputs):
            return self.dense(inputs)

        def compile(self, optimizer, loss_fn):
            super().compile(optimizer=optimizer, loss=loss_fn)
            self.saved_optimizer, self.saved_loss = optimizer, loss_fn

        def get_compile_config(self):
            return {"opt": self.saved_optimizer, "loss_fn": self.saved_loss}

        def compile_from_config(self, config):
            self.compile(optimizer=lib.utils.deserialize_keras_object(config["opt"]),
                         loss_fn=lib.utils.deserialize_keras_object(config["loss_fn"]))

    cls = lib.saving.register_keras_serializable(package="hooks_test")(CompiledByHooks)
    return cls, half_mse


def test_compile_config_hooks_are_saved_and_called_at_load(tmp_path):
    x = np.random.default_rng(1).random((6, 3)).astype("float32")
    y = np.random.default_rng(2).random((6, 2)).astype("float32")
    configs = {}
    for tag, lib in (("keras", keras), ("lite", keraslite)):
        cls, loss = _custom_compile_model(lib)
        model = cls()
        model.compile(optimizer="sgd", loss_fn=loss)
        model.fit(x, y, epochs=1, verbose=0)
        path = str(tmp_path / f"{tag}.keras")
        model.save(path)
        configs[tag] = _compile_config(path)
        restored = lib.saving.load_model(path)
        assert restored.saved_loss is loss
        assert restored.saved_optimizer == "sgd"
        assert restored.optimizer is not None
    assert configs["lite"] == configs["keras"]


def test_plain_function_serializes_like_keras():
    def my_fn(a, b):
        return a

    for lib in (keras, keraslite):
        lib.saving.register_keras_serializable(package="hooks_test")(my_fn)
    assert keraslite.utils.serialize_keras_object(my_fn) == keras.utils.serialize_keras_object(my_fn)
    assert keraslite.utils.serialize_keras_object([my_fn, "sgd"]) == keras.utils.serialize_keras_object([my_fn, "sgd"])
    assert keraslite.utils.deserialize_keras_object(keraslite.utils.serialize_keras_object(my_fn)) is my_fn


def _holder(lib):
    class Holder(lib.layers.Layer):
        def __init__(self, inner=None, reg=None, fn=None, **kwargs):
            super().__init__(**kwargs)
            self.inner, self.reg, self.fn = inner, reg, fn

        def get_config(self):
            config = super().get_config()
            config.update(inner=self.inner, reg=self.reg, fn=self.fn, sizes=[1, 2])
            return config

    return Holder


def _drop_dtype(value):
    """Layer configs without their dtype entries (keraslite writes the plain dtype name)."""
    if isinstance(value, dict):
        return {k: _drop_dtype(v) for k, v in value.items() if k not in ("dtype", "quantization_config")}
    if isinstance(value, (list, tuple)):
        return type(value)(_drop_dtype(v) for v in value)
    return value


def test_custom_layer_config_holding_keras_objects_serializes_like_keras():
    def scale(x):
        return x

    results = []
    for lib in (keras, keraslite):
        holder = _holder(lib)(inner=_holder(lib)(name="inner_holder", reg=lib.regularizers.L1(0.5)),
                              reg=lib.regularizers.L2(0.25), fn=scale, name="outer")
        config = lib.layers.serialize(holder)
        json.dumps(config)  # what a custom layer's config holds must be serialized, JSON-ready
        results.append(_drop_dtype(config))
    assert results[1] == results[0]


def test_custom_activation_function_in_layer_config_and_keras_file(tmp_path):
    def cubed(x):
        return x * x * x

    for lib in (keras, keraslite):
        lib.saving.register_keras_serializable(package="hooks_test")(cubed)
    k_layer, lite_layer = keras.layers.Dense(2, activation=cubed), keraslite.layers.Dense(2, activation=cubed)
    assert lite_layer.get_config()["activation"] == k_layer.get_config()["activation"]
    assert keraslite.activations.serialize(cubed) == keras.activations.serialize(cubed)
    # A Keras file naming the function this way loads in keraslite with the function resolved.
    model = keras.Sequential([keras.Input((3,)), k_layer])
    path = str(tmp_path / "cubed.keras")
    model.save(path)
    restored = keraslite.saving.load_model(path)
    assert restored.layers[-1].activation is cubed
    x = np.random.default_rng(4).random((2, 3)).astype("float32")
    np.testing.assert_allclose(restored.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-5)
