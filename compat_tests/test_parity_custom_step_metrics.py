"""A custom train_step that updates every entry of `model.metrics` with the batch's sample
weights (Keras 3's "Customizing what happens in fit() with PyTorch" guide does), against real
Keras 3 (torch backend): metrics given as `metrics=[...]` stay unweighted, as Keras's metrics
container keeps them; `weighted_metrics` use the weights."""
import numpy as np
import torch

from compat_tests.conftest import keras
import keraslite


def _model(lib, weights):
    class WeightedStep(lib.Model):
        def train_step(self, data):
            x, y, sw = lib.utils.unpack_x_y_sample_weight(data)
            self.zero_grad()
            y_pred = self(x, training=True)
            loss = self.compute_loss(y=y, y_pred=y_pred, sample_weight=sw)
            loss.backward()
            trainable = list(self.trainable_weights)
            with torch.no_grad():
                self.optimizer.apply([v.value.grad for v in trainable], trainable)
            for metric in self.metrics:
                if metric.name == "loss":
                    metric.update_state(loss)
                else:
                    metric.update_state(y, y_pred, sample_weight=sw)
            return {m.name: m.result() for m in self.metrics}

    inputs = lib.Input((4,))
    model = WeightedStep(inputs, lib.layers.Dense(1)(inputs))
    model.compile(optimizer=lib.optimizers.SGD(0.05), loss="mse", metrics=["mae"], weighted_metrics=["mse"])
    model.set_weights(weights)
    return model


def test_custom_step_sample_weights_reach_only_weighted_metrics():
    rng = np.random.default_rng(2)
    x = rng.random((64, 4)).astype("float32")
    y = rng.random((64, 1)).astype("float32")
    sw = rng.uniform(0.1, 2.0, size=(64,)).astype("float32")
    weights = [rng.normal(size=(4, 1)).astype("float32"), np.zeros((1,), "float32")]
    histories = []
    for lib in (keras, keraslite):
        model = _model(lib, weights)
        histories.append(model.fit(x, y, sample_weight=sw, epochs=2, batch_size=16, shuffle=False, verbose=0).history)
    expected, actual = histories
    for key in ("loss", "mae", "mse"):
        np.testing.assert_allclose(actual[key], expected[key], rtol=1e-4, err_msg=key)
