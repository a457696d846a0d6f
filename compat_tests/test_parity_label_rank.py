"""Labels one rank short of a single-unit output ((n,) against (n, 1)), the form most binary
classification tutorials pass. Real Keras 3 (torch backend) is the reference where it
rank-matches itself; where its metric wrapper does not (binary crossentropy fails, hinge and
poisson broadcast to (n, n)), keraslite gives what Keras 3 gives for the (n, 1) labels the
user meant, as tf.keras 2 did."""
import numpy as np
import pytest

import keraslite
from compat_tests.conftest import keras


def _evaluate(lib, weights, metrics, x, y):
    model = lib.Sequential([lib.Input((3,)), lib.layers.Dense(1, activation="sigmoid")])
    model.set_weights(weights)
    model.compile(optimizer="sgd", loss="binary_crossentropy", metrics=metrics)
    return model.evaluate(x, y, batch_size=8, verbose=0, return_dict=True)


def _data():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((20, 3)).astype("float32")
    y = (rng.random(20) > 0.5).astype("float32")
    weights = [rng.standard_normal((3, 1)).astype("float32"), np.array([0.1], "float32")]
    return x, y, weights


def _metrics(lib):
    return [lib.metrics.BinaryCrossentropy(name="ce"), lib.metrics.MeanSquaredError(name="brier"),
            lib.metrics.BinaryAccuracy(name="acc"), lib.metrics.AUC(name="prc", curve="PR"),
            lib.metrics.Hinge(name="hinge"), lib.metrics.Poisson(name="poisson")]


def test_rank_one_labels_give_keras_numbers_for_the_labels_meant():
    x, y, weights = _data()
    ours = _evaluate(keraslite, weights, _metrics(keraslite), x, y)
    theirs = _evaluate(keras, weights, _metrics(keras), x, y.reshape(-1, 1))
    assert sorted(ours) == sorted(theirs)
    for key in theirs:
        np.testing.assert_allclose(ours[key], theirs[key], rtol=1e-5, atol=1e-6, err_msg=key)


@pytest.mark.parametrize("name", ["brier", "acc", "prc", "loss"])
def test_keras_own_rank_matching_agrees(name):
    """Where Keras 3 itself matches ranks, it gives the same numbers for (n,) labels."""
    x, y, weights = _data()
    pick = {"brier": lambda lib: [lib.metrics.MeanSquaredError(name="brier")],
            "acc": lambda lib: [lib.metrics.BinaryAccuracy(name="acc")],
            "prc": lambda lib: [lib.metrics.AUC(name="prc", curve="PR")], "loss": lambda lib: []}[name]
    ours = _evaluate(keraslite, weights, pick(keraslite), x, y)
    theirs = _evaluate(keras, weights, pick(keras), x, y)
    np.testing.assert_allclose(ours[name], theirs[name], rtol=1e-5, atol=1e-6)


def test_rank_one_targets_broadcast_against_the_last_axis_like_keras():
    # keras.io's serialization guide fits a (4, 4)-output model on y of shape (4,) with mse:
    # Keras broadcasts; keraslite gives the same numbers (and a warning).
    import warnings

    rng = np.random.default_rng(0)
    x, y = rng.random((4, 8)).astype("float32"), rng.random((4,)).astype("float32")

    def build(lib):
        model = lib.Sequential([lib.Input((8,)), lib.layers.Dense(4)])
        model.compile(optimizer="sgd", loss="mean_squared_error")
        return model

    k_model, l_model = build(keras), build(keraslite)
    l_model.set_weights(k_model.get_weights())
    kh = k_model.fit(x, y, epochs=2, shuffle=False, verbose=0).history
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        lh = l_model.fit(x, y, epochs=2, shuffle=False, verbose=0).history
    np.testing.assert_allclose(lh["loss"], kh["loss"], rtol=1e-5)
    assert any("broadcast" in str(w.message) for w in caught) or keraslite.losses._BROADCAST_WARNED
    with pytest.raises(ValueError, match="must match"):
        keraslite.losses.mean_squared_error(np.zeros((5,)), np.zeros((4, 3)))
