"""Metric objects shared by several models (a tutorial's module-level METRICS list passed to
each compile): every fit starts them from zero, as real Keras 3 (torch backend) does."""
import numpy as np

import keraslite
from compat_tests.conftest import keras


def _history(lib, weights, x, y):
    shared = [lib.metrics.TruePositives(name="tp"), lib.metrics.BinaryCrossentropy(name="ce")]

    def make():
        model = lib.Sequential([lib.Input((4,)), lib.layers.Dense(1, activation="sigmoid")])
        model.set_weights(weights)
        model.compile(optimizer="sgd", loss="binary_crossentropy", metrics=shared)
        return model

    first = make()
    first.fit(x, y, epochs=1, batch_size=16, shuffle=False, verbose=0)
    first.evaluate(x[:30], y[:30], verbose=0)  # leaves the shared objects holding 30 samples
    return make().fit(x, y, epochs=2, batch_size=16, shuffle=False, verbose=0).history


def test_shared_metric_objects_start_each_fit_from_zero():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 4)).astype("float32")
    y = (x[:, :1] > 0).astype("float32")
    weights = [rng.standard_normal((4, 1)).astype("float32"), np.zeros(1, "float32")]
    ours, theirs = _history(keraslite, weights, x, y), _history(keras, weights, x, y)
    assert sorted(ours) == sorted(theirs)
    for key in theirs:
        np.testing.assert_allclose(ours[key], theirs[key], rtol=1e-5, atol=1e-6, err_msg=key)
