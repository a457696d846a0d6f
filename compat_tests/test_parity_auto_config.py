"""Layer classes that do not define get_config(): Keras 3 records the arguments they were
constructed with and uses them as the config, so such a layer saves to `.keras` and loads back
(with custom_objects). Files go both ways between keraslite and real Keras 3."""
import os

import numpy as np
import pytest

os.environ.setdefault("KERAS_BACKEND", "torch")
keras = pytest.importorskip("keras")

import keraslite  # noqa: E402


def _scaled_dense(lib):
    class ScaledDense(lib.layers.Layer):
        """No get_config: its arguments (an int, a float, a string, a list) are the config."""

        def __init__(self, units, scale=1.0, activation="linear", taps=(1, 2), **kwargs):
            super().__init__(**kwargs)
            self.units, self.scale, self.taps = units, scale, list(taps)
            self.activation = lib.activations.get(activation)

        def build(self, input_shape):
            self.w = self.add_weight(shape=(input_shape[-1], self.units), initializer="glorot_uniform", name="w")

        def call(self, x):
            return self.activation(lib.ops.matmul(x, self.w) * self.scale * float(sum(self.taps)))

    return ScaledDense


def _model(lib, cls):
    inp = lib.Input((4,))
    return lib.Model(inp, cls(3, scale=0.5, activation="tanh", taps=[1, 3], name="scaled")(inp))


def test_config_holds_the_constructor_arguments():
    ours = _scaled_dense(keraslite)(3, scale=0.5, activation="tanh", taps=[1, 3]).get_config()
    theirs = _scaled_dense(keras)(3, scale=0.5, activation="tanh", taps=[1, 3]).get_config()
    for key in ("units", "scale", "activation", "taps"):
        assert ours[key] == theirs[key], key


@pytest.mark.parametrize("direction", ["keraslite->keras", "keras->keraslite"])
def test_auto_config_layer_file_loads_in_the_other_library(direction, tmp_path):
    x = np.random.default_rng(0).standard_normal((5, 4)).astype("float32")
    write_lib, read_lib = (keraslite, keras) if direction == "keraslite->keras" else (keras, keraslite)
    writer = _model(write_lib, _scaled_dense(write_lib))
    expected = np.asarray(writer.predict(x, verbose=0))
    path = str(tmp_path / "auto.keras")
    writer.save(path)
    reader_cls = _scaled_dense(read_lib)
    loaded = read_lib.models.load_model(path, custom_objects={"ScaledDense": reader_cls})
    layer = loaded.get_layer("scaled")
    assert (layer.units, layer.scale, layer.taps) == (3, 0.5, [1, 3])
    np.testing.assert_allclose(np.asarray(loaded.predict(x, verbose=0)), expected, rtol=1e-5, atol=1e-6)
