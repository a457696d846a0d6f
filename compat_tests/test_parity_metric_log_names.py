"""Log names of compiled metrics that would collide, against real Keras 3 (torch backend):
two outputs of one layer (both named after it) with the same metric, and a metric in both
`metrics` and `weighted_metrics`. Same weights, same data: same history keys and values."""
import numpy as np

import keraslite
from compat_tests.conftest import keras


def _two_outputs_of_one_layer(lib):
    inputs = lib.Input((5, 3))
    out, _, cell = lib.layers.LSTM(4, return_state=True, name="enc")(inputs)
    return lib.Model(inputs, [out, cell])


def _fit(lib, model, weights, compile_kwargs, x, y, **fit_kwargs):
    model.set_weights(weights)
    model.compile(optimizer=lib.optimizers.SGD(0.1), **compile_kwargs)
    return model.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0, **fit_kwargs).history


def _compare(theirs, ours):
    assert sorted(ours) == sorted(theirs)
    for key in theirs:
        np.testing.assert_allclose(ours[key], theirs[key], rtol=2e-5, atol=1e-6, err_msg=key)


def test_same_metric_on_two_outputs_named_after_one_layer():
    rng = np.random.default_rng(0)
    x = rng.random((8, 5, 3)).astype("float32")
    y = [rng.random((8, 4)).astype("float32"), rng.random((8, 4)).astype("float32")]
    ref = _two_outputs_of_one_layer(keras)
    ours = _two_outputs_of_one_layer(keraslite)
    kwargs = dict(loss=["mse", "mse"], metrics=[["mae"], ["mae"]])
    weights = ref.get_weights()  # before training: both start from the same point
    _compare(_fit(keras, ref, weights, kwargs, x, y), _fit(keraslite, ours, weights, kwargs, x, y))


def test_metric_in_both_metrics_and_weighted_metrics():
    rng = np.random.default_rng(1)
    x = rng.random((8, 3)).astype("float32")
    y = rng.random((8, 1)).astype("float32")
    sw = np.arange(8, dtype="float32")
    ref = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    ours = keraslite.Sequential([keraslite.Input((3,)), keraslite.layers.Dense(1)])
    kwargs = dict(loss="mse", metrics=["mae"], weighted_metrics=["mae"])
    weights = ref.get_weights()
    _compare(_fit(keras, ref, weights, kwargs, x, y, sample_weight=sw),
             _fit(keraslite, ours, weights, kwargs, x, y, sample_weight=sw))
