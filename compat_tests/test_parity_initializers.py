"""Initializers: keraslite's samples follow the same distribution as real Keras's.

For each initializer and a few shapes (2-D dense kernels, conv kernels, stacked recurrent
kernels) both libraries draw a large sample; bounds must agree exactly for uniform families,
and mean/std must agree within sampling error (5 standard errors).
"""
import math

import numpy as np
import pytest

import keraslite
from keraslite import initializers as lite_init

keras = pytest.importorskip("keras")

SHAPES = [(64, 200), (3, 3, 16, 32), (30, 4 * 50)]
NAMES = ["uniform", "normal", "random_uniform", "random_normal", "truncated_normal", "glorot_uniform",
         "glorot_normal", "he_uniform", "he_normal", "lecun_uniform", "lecun_normal", "orthogonal",
         "variance_scaling", "zeros", "ones", "identity"]
KERAS_NAMES = {"uniform": "random_uniform", "normal": "random_normal"}


def _draw_keras(name, shape):
    init = keras.initializers.get(KERAS_NAMES.get(name, name))
    return keras.ops.convert_to_numpy(init(shape, dtype="float32"))


def _draw_lite(name, shape):
    return lite_init.get(name)(shape, dtype="float32").numpy()


@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("name", NAMES)
def test_same_distribution_as_keras(name, shape):
    if name == "identity" and len(shape) != 2:
        pytest.skip("identity is defined for 2-D shapes only")
    ours = _draw_lite(name, shape)
    theirs = _draw_keras(name, shape)
    assert ours.shape == theirs.shape == tuple(shape)
    assert ours.dtype == np.float32
    if name in ("zeros", "ones", "identity"):
        np.testing.assert_array_equal(ours, theirs)
        return
    n = ours.size
    # Uniform families: same bounds (the largest draw from each approaches the common limit).
    if "uniform" in name:
        lim_ours = np.abs(ours).max()
        lim_theirs = np.abs(theirs).max()
        assert abs(lim_ours - lim_theirs) / lim_theirs < 0.01, (lim_ours, lim_theirs)
    std = theirs.std()
    se_mean = std / math.sqrt(n)
    assert abs(ours.mean() - theirs.mean()) < 5 * se_mean * math.sqrt(2) + 1e-7
    # Standard error of a sample std is about std / sqrt(2n).
    se_std = std / math.sqrt(2 * n)
    assert abs(ours.std() - std) < 5 * se_std * math.sqrt(2) + 1e-7, (ours.std(), std)
    if name.startswith("truncated") or name in ("glorot_normal", "he_normal", "lecun_normal", "variance_scaling"):
        # Truncated at two standard deviations of the untruncated normal: same range. Keras's
        # torch backend keeps the first of four draws inside the range, so a value lies outside
        # only when all four miss (p ~ 4e-6): compare all but the few largest.
        assert np.quantile(np.abs(ours), 0.999) <= np.abs(theirs).max() * 1.02 + 1e-6


def test_orthogonal_over_whole_stacked_matrix():
    w = _draw_lite("orthogonal", (8, 32))  # (units, 4*units): rows orthonormal
    np.testing.assert_allclose(w @ w.T, np.eye(8), atol=1e-5)
    w = _draw_lite("orthogonal", (32, 8))  # more rows than columns: columns orthonormal
    np.testing.assert_allclose(w.T @ w, np.eye(8), atol=1e-5)


@pytest.mark.parametrize("factory,shape", [
    (lambda m: m.layers.Dense(50), (None, 300)),
    (lambda m: m.layers.Dense(50, kernel_initializer="uniform"), (None, 300)),
    (lambda m: m.layers.Conv2D(32, 3), (None, 16, 16, 24)),
    (lambda m: m.layers.Conv1D(40, 5), (None, 20, 30)),
    (lambda m: m.layers.Embedding(500, 64), (None, 10)),
    (lambda m: m.layers.LSTM(40), (None, 5, 60)),
    (lambda m: m.layers.GRU(40), (None, 5, 60)),
    (lambda m: m.layers.SimpleRNN(60), (None, 5, 80)),
    (lambda m: m.layers.BatchNormalization(), (None, 30)),
    (lambda m: m.layers.LayerNormalization(), (None, 30)),
], ids=["dense", "dense_uniform", "conv2d", "conv1d", "embedding", "lstm", "gru", "simple_rnn", "batch_norm",
        "layer_norm"])
def test_layer_default_initializers_match(factory, shape):
    """Each layer's default initializers give weights distributed as Keras's (per weight:
    exact for constant ones, same spread and bounds for random ones)."""
    k_layer = factory(keras)
    l_layer = factory(keraslite)
    k_layer.build(shape)
    l_layer.build(shape)
    assert len(k_layer.get_weights()) == len(l_layer.get_weights())
    for kw, lw in zip(k_layer.get_weights(), l_layer.get_weights()):
        kw, lw = np.asarray(kw), np.asarray(lw)
        assert kw.shape == lw.shape
        if kw.std() == 0:
            np.testing.assert_array_equal(kw, lw)
        else:
            se = kw.std() / math.sqrt(kw.size)
            assert abs(kw.std() - lw.std()) < 10 * se
            assert abs(kw.mean() - lw.mean()) < 10 * se
            if np.abs(kw).max() < 2.0 * kw.std():  # bounded (uniform, max ~1.73 std): same bounds
                assert abs(np.abs(kw).max() - np.abs(lw).max()) / np.abs(kw).max() < 0.02


@pytest.mark.parametrize("name", ["glorot_uniform", "he_normal", "orthogonal", "random_uniform",
                                  "truncated_normal", "variance_scaling", "Constant(2.0)", "identity"])
def test_config_names_and_keys_match_keras(name):
    if name.startswith("Constant"):
        ours = lite_init.serialize(lite_init.Constant(2.0))
        theirs = keras.initializers.serialize(keras.initializers.Constant(2.0))
    else:
        ours = lite_init.serialize(lite_init.get(name))
        theirs = keras.initializers.serialize(keras.initializers.get(name))
    assert ours["class_name"] == theirs["class_name"]
    assert ours["module"] == theirs["module"]
    if name == "identity":
        # Keras 3 forgets Identity's gain in its config ({}); keraslite keeps it, and Keras
        # reads it back fine (Identity(gain=...)).
        assert ours["config"] == {"gain": 1.0} and theirs["config"] == {}
        return
    assert set(ours["config"]) <= set(theirs["config"]), (ours["config"], theirs["config"])
    for key, value in ours["config"].items():
        assert theirs["config"][key] == value, (key, value, theirs["config"][key])
