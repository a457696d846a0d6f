"""A TF2 custom training loop (tf.data + tf.GradientTape + optimizer.apply_gradients) on
keraslite against real Keras 3 (torch backend) on the same initial weights and data: Keras'
`fit` with shuffle=False, and Keras' own torch-backend custom loop (gradients from torch
autograd, `optimizer.apply`). Keras 3 has no GradientTape on torch, so `fit` is the reference
for the losses and weights a tape loop must reach."""
import numpy as np
import pytest
import torch

import keraslite
from compat_tests.conftest import keras
from keraslite.compat import tensorflow_shim as tf

RTOL = 1e-5
EPOCHS, BATCH = 3, 16


def _data(n=64, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, 4)).astype("float32"), rng.integers(0, 3, n)


def _models():
    km = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, activation="relu"), keras.layers.Dense(3)])
    lm = keraslite.Sequential([keraslite.layers.Dense(8, activation="relu", input_shape=(4,)),
                               keraslite.layers.Dense(3)])
    lm.set_weights(km.get_weights())
    return km, lm


def _tape_loop(model, optimizer, x, y):
    loss_fn = keraslite.losses.SparseCategoricalCrossentropy(from_logits=True)
    ds = tf.data.Dataset.from_tensor_slices((x, y)).batch(BATCH)
    epoch_losses = []
    for _ in range(EPOCHS):
        total, count = 0.0, 0
        for xb, yb in ds:
            with tf.GradientTape() as tape:
                loss = loss_fn(yb, model(xb, training=True))
            grads = tape.gradient(loss, model.trainable_variables)
            optimizer.apply_gradients(zip(grads, model.trainable_variables))
            total, count = total + float(loss.detach()) * len(xb), count + len(xb)
        epoch_losses.append(total / count)
    return epoch_losses


def _keras_torch_loop(model, optimizer, x, y):
    # Keras 3's own recipe for a custom loop on the torch backend.
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    epoch_losses = []
    for _ in range(EPOCHS):
        total = 0.0
        for start in range(0, len(x), BATCH):
            xb, yb = torch.tensor(x[start:start + BATCH]), torch.tensor(y[start:start + BATCH])
            model.zero_grad()
            loss = loss_fn(yb, model(xb, training=True))
            loss.backward()
            weights = model.trainable_weights
            with torch.no_grad():
                optimizer.apply([v.value.grad for v in weights], weights)
            total += float(loss.detach()) * len(xb)
        epoch_losses.append(total / len(x))
    return epoch_losses


@pytest.mark.parametrize("name,lr", [("SGD", 0.1), ("Adam", 0.01)])
def test_tape_loop_matches_keras_fit(name, lr):
    x, y = _data()
    km, lm = _models()
    km.compile(optimizer=getattr(keras.optimizers, name)(learning_rate=lr),
               loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    reference = km.fit(x, y, epochs=EPOCHS, batch_size=BATCH, shuffle=False, verbose=0).history["loss"]
    losses = _tape_loop(lm, getattr(keraslite.optimizers, name)(learning_rate=lr), x, y)
    np.testing.assert_allclose(losses, reference, rtol=RTOL)
    for a, b in zip(lm.get_weights(), km.get_weights()):
        np.testing.assert_allclose(a, b, rtol=RTOL, atol=1e-6)


@pytest.mark.parametrize("name,lr", [("SGD", 0.1), ("Adam", 0.01)])
def test_tape_loop_matches_keras_torch_custom_loop(name, lr):
    x, y = _data(seed=1)
    km, lm = _models()
    reference = _keras_torch_loop(km, getattr(keras.optimizers, name)(learning_rate=lr), x, y)
    losses = _tape_loop(lm, getattr(keraslite.optimizers, name)(learning_rate=lr), x, y)
    np.testing.assert_allclose(losses, reference, rtol=RTOL)
    for a, b in zip(lm.get_weights(), km.get_weights()):
        np.testing.assert_allclose(a, b, rtol=RTOL, atol=1e-6)


def test_fit_on_dataset_matches_keras_fit_on_arrays():
    x, y = _data()
    xv, yv = _data(24, seed=2)
    km, lm = _models()
    for model, lib in ((km, keras), (lm, keraslite)):
        model.compile(optimizer=lib.optimizers.Adam(learning_rate=0.01),
                      loss=lib.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    kh = km.fit(x, y, epochs=EPOCHS, batch_size=BATCH, shuffle=False, validation_data=(xv, yv), verbose=0).history
    ds = tf.data.Dataset.from_tensor_slices((x, y)).batch(BATCH).prefetch(tf.data.AUTOTUNE)
    val = tf.data.Dataset.from_tensor_slices((xv, yv)).batch(BATCH)
    lh = lm.fit(ds, epochs=EPOCHS, validation_data=val, verbose=0).history
    assert list(lh) == list(kh)
    for key in kh:
        np.testing.assert_allclose(lh[key], kh[key], rtol=RTOL, atol=1e-6, err_msg=key)
    np.testing.assert_allclose(lm.predict(val, verbose=0), km.predict(xv, batch_size=BATCH, verbose=0),
                               rtol=RTOL, atol=1e-6)
