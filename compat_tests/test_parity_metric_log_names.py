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


def _two_outputs_renamed(lib):
    """The same model with each output passed through a differently named identity layer."""
    inputs = lib.Input((5, 3))
    out, _, cell = lib.layers.LSTM(4, return_state=True, name="enc")(inputs)
    return lib.Model(inputs, [lib.layers.Activation("linear", name="first")(out),
                              lib.layers.Activation("linear", name="second")(cell)])


def test_same_metric_on_two_outputs_named_after_one_layer():
    rng = np.random.default_rng(0)
    x = rng.random((8, 5, 3)).astype("float32")
    y = [rng.random((8, 4)).astype("float32"), rng.random((8, 4)).astype("float32")]
    ref = _two_outputs_of_one_layer(keras)
    ours = _two_outputs_of_one_layer(keraslite)
    kwargs = dict(loss=["mse", "mse"], metrics=[["mae"], ["mae"]])
    weights = ref.get_weights()  # before training: both start from the same point
    theirs, mine = _fit(keras, ref, weights, kwargs, x, y), _fit(keraslite, ours, weights, kwargs, x, y)
    # Keras 3 logs the metrics as enc_mae / enc_mae_1, but both per-output losses under one name
    # 'enc_loss', which then holds the second output's loss. keraslite keeps each: the second
    # output's is 'enc_loss_1' (Keras's suffix for repeated names).
    assert sorted(mine) == sorted(list(theirs) + ["enc_loss_1"])
    np.testing.assert_allclose(mine["enc_loss_1"], theirs["enc_loss"], rtol=2e-5, atol=1e-6)
    for key in ("loss", "enc_mae", "enc_mae_1"):
        np.testing.assert_allclose(mine[key], theirs[key], rtol=2e-5, atol=1e-6, err_msg=key)
    # the first output's own loss: what Keras logs when the outputs have their own names
    named = _fit(keras, _two_outputs_renamed(keras), weights, kwargs, x, y)
    np.testing.assert_allclose(mine["enc_loss"], named["first_loss"], rtol=2e-5, atol=1e-6)
    np.testing.assert_allclose(mine["enc_loss_1"], named["second_loss"], rtol=2e-5, atol=1e-6)


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


def test_list_results_of_a_repeated_metric():
    """Keras 3 lists the compiled metrics by their own names: a metric in both `metrics` and
    `weighted_metrics` (or twice in `metrics`) gives the first one's value again, then its
    renamed log follows."""
    rng = np.random.default_rng(2)
    x = rng.random((8, 3)).astype("float32")
    y = rng.integers(0, 2, 8)
    sw = rng.uniform(0.1, 2, 8).astype("float32")
    for compile_kwargs in (dict(metrics=["accuracy"], weighted_metrics=["accuracy"]),
                           dict(metrics=["accuracy", "accuracy"],
                                weighted_metrics=["accuracy", "sparse_categorical_crossentropy"])):
        results = []
        for lib in (keras, keraslite):
            model = lib.Sequential([lib.Input((3,)), lib.layers.Dense(2, activation="softmax")])
            if lib is keraslite:
                model.set_weights(weights)
            weights = model.get_weights()
            model.compile("sgd", "sparse_categorical_crossentropy", **compile_kwargs)
            results.append([model.train_on_batch(x, y, sample_weight=sw), model.test_on_batch(x, y, sample_weight=sw),
                            model.evaluate(x, y, sample_weight=sw, verbose=0),
                            sorted(model.fit(x, y, sample_weight=sw, verbose=0).history)])
        theirs, ours = results
        assert len(ours[0]) == len(theirs[0]) > 3
        for mine, ref in zip(ours[:3], theirs[:3]):
            np.testing.assert_allclose(mine, ref, rtol=2e-5, atol=1e-6)
        assert ours[3] == theirs[3]


def test_unnamed_metrics_take_process_wide_numbered_names():
    """A metric made without a name is numbered across the process, as Keras names it: a
    recompile with new AUC objects logs 'auc_1', two outputs with one AUC each log 'o0_auc' and
    'o1_auc_N'; metrics with a fixed default name are not numbered. clear_session() restarts the
    count in both."""
    rng = np.random.default_rng(2)
    x = rng.standard_normal((16, 3)).astype("float32")
    y = (x[:, :1] > 0).astype("float32")
    keys = {}
    for lib in (keras, keraslite):
        lib.utils.clear_session()
        single = lib.Sequential([lib.Input((3,)), lib.layers.Dense(1, activation="sigmoid")])
        weights = [np.full(w.shape, 0.1, "float32") for w in single.get_weights()]
        runs = [sorted(_fit(lib, single, weights, dict(loss="binary_crossentropy", metrics=metrics), x, y))
                for metrics in ([lib.metrics.AUC()], [lib.metrics.AUC(), lib.metrics.Precision(), "mse"])]
        inputs = lib.Input((3,))
        double = lib.Model(inputs, [lib.layers.Dense(1, activation="sigmoid", name=n)(inputs) for n in ("o0", "o1")])
        metrics = [[lib.metrics.AUC()], [lib.metrics.AUC(), lib.metrics.Recall()]]
        runs.append(sorted(_fit(lib, double, weights * 2, dict(loss="binary_crossentropy", metrics=metrics),
                                x, [y, y])))
        runs.append([lib.metrics.TruePositives().name, lib.metrics.MeanSquaredError().name])
        lib.utils.clear_session()
        runs.append([lib.metrics.AUC().name])
        keys[lib] = runs
    assert keys[keraslite] == keys[keras]
