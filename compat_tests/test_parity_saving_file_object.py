"""The `.keras` archive through an open binary file object (Keras's saving_lib.save_model /
load_model accept `io.BytesIO`), against real Keras 3 (torch backend): an archive either library
writes into memory loads in the other with the same predictions and compiled state."""
import io

import numpy as np

from compat_tests.conftest import keras
import keraslite
from keraslite.saving import keras_format


X = np.random.default_rng(0).standard_normal((6, 5)).astype("float32")
Y = np.random.default_rng(1).integers(0, 3, size=(6,))


def _fit(lib):
    model = lib.Sequential([lib.Input((5,)), lib.layers.Dense(8, activation="relu"),
                            lib.layers.Dense(3, activation="softmax")])
    model.compile(optimizer=lib.optimizers.SGD(0.05, momentum=0.9), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    model.fit(X, Y, epochs=2, batch_size=3, verbose=0)
    return model


def test_keras_archive_in_memory_loads_in_keraslite():
    from keras.src.saving import saving_lib

    model = _fit(keras)
    buffer = io.BytesIO()
    saving_lib.save_model(model, buffer)
    loaded = keras_format.load_model(io.BytesIO(buffer.getvalue()), compile=True)
    np.testing.assert_allclose(loaded.predict(X, verbose=0), model.predict(X, verbose=0), atol=1e-6)
    assert type(loaded.optimizer).__name__ == "SGD"
    np.testing.assert_allclose(float(loaded.optimizer.momentum), 0.9)
    assert int(loaded.optimizer.iterations) == int(model.optimizer.iterations)


def test_keraslite_archive_in_memory_loads_in_keras():
    from keras.src.saving import saving_lib

    model = _fit(keraslite)
    buffer = io.BytesIO()
    keras_format.save_model(model, buffer)
    loaded = saving_lib.load_model(io.BytesIO(buffer.getvalue()), compile=True)
    np.testing.assert_allclose(np.asarray(loaded.predict(X, verbose=0)), model.predict(X, verbose=0), atol=1e-6)
    assert type(loaded.optimizer).__name__ == "SGD"
    assert int(loaded.optimizer.iterations) == int(model.optimizer.iterations)
