"""Metrics a layer owns and updates in its own call() (the "endpoint layer" pattern: a layer
that sees the targets, adds the loss and tracks an accuracy) are reported by fit and evaluate
as Keras 3 reports them, next to the loss."""
import numpy as np

import keraslite
from compat_tests.conftest import keras


def _endpoint_class(mod):
    class Endpoint(mod.layers.Layer):
        def __init__(self, name=None):
            super().__init__(name=name)
            self.loss_fn = mod.losses.BinaryCrossentropy(from_logits=True)
            self.accuracy_metric = mod.metrics.BinaryAccuracy(name="accuracy", threshold=0.0)

        def call(self, logits, targets=None, sample_weight=None):
            if targets is not None:
                self.add_loss(self.loss_fn(targets, logits, sample_weight))
                self.accuracy_metric.update_state(targets, logits, sample_weight)
            return mod.ops.sigmoid(logits)

    return Endpoint


def _model(mod):
    inputs = mod.Input((6,), name="inputs")
    targets = mod.Input((1,), name="targets")
    weights = mod.Input((1,), name="sample_weight")
    logits = mod.layers.Dense(1)(inputs)
    preds = _endpoint_class(mod)(name="endpoint")(logits, targets, weights)
    model = mod.Model([inputs, targets, weights], preds)
    model.compile(mod.optimizers.SGD(0.1))
    return model


def _data():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 6)).astype("float32")
    y = (x[:, :1] + 0.3 * rng.standard_normal((64, 1)) > 0).astype("float32")
    return {"inputs": x, "targets": y, "sample_weight": rng.uniform(0.2, 1.0, (64, 1)).astype("float32")}


def test_layer_owned_metric_is_in_fit_and_evaluate_logs():
    km, lm = _model(keras), _model(keraslite)
    lm.set_weights(km.get_weights())
    data = _data()
    kh = km.fit(data, epochs=3, batch_size=16, shuffle=False, verbose=0)
    lh = lm.fit(data, epochs=3, batch_size=16, shuffle=False, verbose=0)
    assert sorted(lh.history) == sorted(kh.history) == ["accuracy", "loss"]
    for key in kh.history:
        np.testing.assert_allclose(lh.history[key], kh.history[key], rtol=1e-4, atol=1e-6, err_msg=key)
    ke = km.evaluate(data, verbose=0, return_dict=True)
    le = lm.evaluate(data, verbose=0, return_dict=True)
    assert sorted(le) == sorted(ke)
    for key in ke:
        np.testing.assert_allclose(le[key], ke[key], rtol=1e-4, atol=1e-6, err_msg=key)
    assert [m.name for m in lm.metrics] == [m.name for m in km.metrics]


def _tracker_class(mod):
    class Inner(mod.layers.Layer):
        def __init__(self):
            super().__init__()
            self.mae = mod.metrics.MeanAbsoluteError(name="inner_mae")

        def call(self, x):
            return x

    class Outer(mod.layers.Layer):
        def __init__(self):
            super().__init__()
            self.acc = mod.metrics.BinaryAccuracy(name="outer_acc")
            self.inner = Inner()

        def call(self, x):
            return self.inner(x)

    return Outer


def test_layer_metrics_lists_own_then_sublayer_metrics():
    # Keras's Layer.metrics: the layer's own Metric attributes, then its sublayers'.
    k_layer, l_layer = _tracker_class(keras)(), _tracker_class(keraslite)()
    assert [m.name for m in l_layer.metrics] == [m.name for m in k_layer.metrics] == ["outer_acc", "inner_mae"]
    assert l_layer.metrics[0] is l_layer.acc
    assert keraslite.layers.Dense(2).metrics == list(keras.layers.Dense(2).metrics) == []
