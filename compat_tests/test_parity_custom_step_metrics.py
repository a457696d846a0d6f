"""A custom train_step that updates every entry of `model.metrics` with the batch's sample
weights (Keras 3's "Customizing what happens in fit() with PyTorch" guide does), against real
Keras 3 (torch backend): metrics given as `metrics=[...]` stay unweighted, as Keras's metrics
container keeps them; `weighted_metrics` use the weights."""
import numpy as np
import torch

from compat_tests.conftest import keras
from compat_tests.parity import fit_both
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
    assert list(actual) == list(expected)  # Keras 3's order: the compile_metrics entries, then loss


def _names(metrics):
    return [m.name for m in metrics]


def test_model_metrics_list_the_compiled_metrics_container_as_keras_3_does():
    # Keras 3: [loss tracker, compile_metrics container, per-output loss trackers]; the TF
    # time-series tutorial reads `model.metrics[1].metrics`.
    def build(lib):
        inputs = lib.Input((3,))
        a, b = lib.layers.Dense(1, name="a")(inputs), lib.layers.Dense(2, name="b")(inputs)
        model = lib.Model(inputs, [a, b])
        model.compile(optimizer="sgd", loss=["mse", "mse"], metrics=[["mae"], ["mse"]])
        return model

    rng = np.random.default_rng(0)
    x, ya, yb = rng.random((8, 3)), rng.random((8, 1)), rng.random((8, 2))
    k_model, l_model = build(keras), build(keraslite)
    l_model.set_weights(k_model.get_weights())
    assert _names(l_model.metrics) == _names(k_model.metrics) == ["loss", "compile_metrics"]
    for m in (k_model, l_model):
        m.fit(x, [ya, yb], epochs=1, verbose=0, shuffle=False)
    assert _names(l_model.metrics) == _names(k_model.metrics)
    assert repr(l_model.metrics[1]) == repr(k_model.metrics[1])
    assert _names(l_model.metrics[1].metrics) == _names(k_model.metrics[1].metrics) == ["mae", "mse"]
    k_res, l_res = k_model.metrics[1].result(), l_model.metrics[1].result()
    assert sorted(l_res) == sorted(k_res)
    for key in k_res:
        np.testing.assert_allclose(float(l_res[key]), float(k_res[key]), rtol=1e-5, err_msg=key)
    plain = keraslite.Sequential([keraslite.layers.Dense(1, input_shape=(3,))])
    plain.compile(loss="mse")
    assert _names(plain.metrics) == ["loss"]  # no metrics given: no container, as in Keras


def test_custom_step_that_only_updates_self_metrics_builds_the_compiled_ones():
    # No compute_loss call: the container's update_state must build the compiled metrics itself.
    def build(lib):
        class Step(lib.Model):
            def train_step(self, data):
                x, y = data
                y_pred = self(x)
                for metric in self.metrics:
                    if metric.name == "loss":
                        metric.update_state(lib.ops.mean((y - y_pred) ** 2))
                    else:
                        metric.update_state(y, y_pred)
                return {m.name: m.result() for m in self.metrics}

        inputs = lib.Input((3,))
        model = Step(inputs, lib.layers.Dense(1)(inputs))
        model.compile(loss="mse", metrics=["mae", "mse"])
        return model

    rng = np.random.default_rng(1)
    x, y = rng.random((12, 3)).astype("float32"), rng.random((12, 1)).astype("float32")
    _, _, kh, lh = fit_both(build, x, y, batch_size=4, epochs=2)
    assert list(lh) == list(kh) == ["mae", "mse", "loss"]
    for key in kh:
        np.testing.assert_allclose(lh[key], kh[key], rtol=1e-5, err_msg=key)
