"""tf.nn functions used as layer activations (`Dense(..., activation=tf.nn.softmax)`, as the
TensorFlow tutorials write it) save under the Keras activation name they equal and reload."""
import numpy as np
import pytest

import keraslite as keras

NAMES = ["relu", "sigmoid", "tanh", "softplus", "softsign", "softmax", "elu", "selu", "relu6", "leaky_relu",
         "gelu", "swish", "silu", "log_softmax"]


@pytest.mark.parametrize("ext", ["h5", "keras"])
@pytest.mark.parametrize("name", NAMES)
def test_tf_nn_activation_round_trips(tf, tmp_path, name, ext):
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(4, activation=getattr(tf.nn, name))])
    saved = model.layers[0].get_config()["activation"]
    assert saved == ("silu" if name == "swish" else name)
    path = str(tmp_path / f"model.{ext}")
    model.save(path)
    loaded = keras.saving.load_model(path)
    x = np.random.default_rng(0).normal(size=(5, 3)).astype("float32")
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("name", ["softmax", "log_softmax", "sigmoid"])
def test_tf_math_activation_serializes_by_name(tf, name):
    assert keras.activations.serialize(getattr(tf.math, name)) == name
