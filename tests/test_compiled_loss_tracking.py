"""tf.keras 2's `self.compiled_loss(...)` / `self.compiled_metrics.update_state(...)` in a
custom train_step or test_step: the `loss` shown by fit/evaluate is the compiled loss, as
with the built-in steps (tf.keras 2's compiled_loss updated the loss metric itself)."""
import numpy as np
import torch

import keraslite as keras


class TapeStepModel(keras.Model):
    def train_step(self, data):
        x, y = data
        y_pred = self(x, training=True)
        loss = self.compiled_loss(y, y_pred, regularization_losses=self.losses)
        grads = torch.autograd.grad(loss, self.trainable_variables)
        self.optimizer.apply_gradients(zip(grads, self.trainable_variables))
        self.compiled_metrics.update_state(y, y_pred)
        return {m.name: m.result() for m in self.metrics}

    def test_step(self, data):
        x, y = data
        y_pred = self(x, training=False)
        self.compiled_loss(y, y_pred, regularization_losses=self.losses)
        self.compiled_metrics.update_state(y, y_pred)
        return {m.name: m.result() for m in self.metrics}


def _data():
    rng = np.random.default_rng(0)
    return rng.random((96, 5)).astype("float32"), rng.random((96, 1)).astype("float32")


def _build(cls):
    keras.utils.set_random_seed(3)
    inputs = keras.Input((5,))
    outputs = keras.layers.Dense(1)(inputs)
    model = cls(inputs, outputs)
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse", metrics=["mae"])
    return model


def test_custom_steps_with_compiled_loss_report_the_same_loss_as_built_in_steps():
    x, y = _data()
    custom, plain = _build(TapeStepModel), _build(keras.Model)
    plain.set_weights(custom.get_weights())
    h_custom = custom.fit(x, y, epochs=2, batch_size=32, shuffle=False, verbose=0).history
    h_plain = plain.fit(x, y, epochs=2, batch_size=32, shuffle=False, verbose=0).history
    assert h_custom["loss"][0] > 0
    np.testing.assert_allclose(h_custom["loss"], h_plain["loss"], rtol=1e-5)
    np.testing.assert_allclose(h_custom["mae"], h_plain["mae"], rtol=1e-5)
    np.testing.assert_allclose(custom.evaluate(x, y, verbose=0), plain.evaluate(x, y, verbose=0), rtol=1e-5)
