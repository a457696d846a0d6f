"""Parity of Bidirectional and TimeDistributed with real Keras 3 on the same weights."""
import numpy as np
import pytest
import torch

import keraslite
from compat_tests.parity import assert_close, layer_parity, to_numpy

keras = pytest.importorskip("keras")

ATOL = 1e-5
X = np.random.default_rng(2).standard_normal((2, 4, 3)).astype("float32")  # (batch, time, features)
MASK = np.array([[True, True, True, False], [True, False, False, False]])


def _pair(inner, merge_mode="concat", **kwargs):
    k = keras.layers.Bidirectional(getattr(keras.layers, inner)(3, **kwargs), merge_mode=merge_mode)
    lite = keraslite.layers.Bidirectional(getattr(keraslite.layers, inner)(3, **kwargs), merge_mode=merge_mode)
    return k, lite


@pytest.mark.parametrize("merge_mode", ["concat", "sum", "mul", "ave", None])
@pytest.mark.parametrize("inner", ["LSTM", "GRU", "SimpleRNN"])
def test_bidirectional_merge_modes(inner, merge_mode):
    layer_parity(*_pair(inner, merge_mode, return_sequences=True), X, atol=ATOL)
    layer_parity(*_pair(inner, merge_mode), X, atol=ATOL)


@pytest.mark.parametrize("merge_mode", ["concat", None])
@pytest.mark.parametrize("return_sequences", [False, True])
def test_bidirectional_return_state(merge_mode, return_sequences):
    k, lite = _pair("LSTM", merge_mode, return_state=True, return_sequences=return_sequences)
    k_out, l_out = layer_parity(k, lite, X, atol=ATOL)
    n_out = 2 if merge_mode is None else 1
    assert len(l_out) == n_out + 4  # outputs, then forward h, c and backward h, c


@pytest.mark.parametrize("inner", ["LSTM", "GRU"])
@pytest.mark.parametrize("return_sequences", [False, True])
def test_bidirectional_masked(inner, return_sequences):
    layer_parity(*_pair(inner, "concat", return_sequences=return_sequences), X, atol=ATOL,
                 call_kwargs={"mask": torch.as_tensor(MASK)})


def test_bidirectional_weights_and_names_follow_keras():
    k, lite = _pair("GRU")
    k(torch.as_tensor(X))
    lite(torch.as_tensor(X))
    assert [w.shape for w in lite.get_weights()] == [w.shape for w in k.get_weights()]
    assert lite.forward_layer.name.startswith("forward_") and lite.backward_layer.name.startswith("backward_")
    assert lite.backward_layer.go_backwards and not lite.forward_layer.go_backwards
    k_cfg, l_cfg = k.get_config(), lite.get_config()
    assert set(k_cfg) - {"dtype"} <= set(l_cfg)
    assert l_cfg["layer"]["class_name"] == k_cfg["layer"]["class_name"] == "GRU"
    assert l_cfg["backward_layer"]["config"]["go_backwards"] is True


def test_bidirectional_custom_backward_layer():
    k = keras.layers.Bidirectional(keras.layers.LSTM(3, return_sequences=True),
                                   backward_layer=keras.layers.GRU(3, return_sequences=True, go_backwards=True),
                                   merge_mode="sum")
    lite = keraslite.layers.Bidirectional(keraslite.layers.LSTM(3, return_sequences=True),
                                          backward_layer=keraslite.layers.GRU(3, return_sequences=True,
                                                                              go_backwards=True),
                                          merge_mode="sum")
    layer_parity(k, lite, X, atol=ATOL)


@pytest.mark.parametrize("units", [2, 5])
def test_time_distributed_dense(units):
    layer_parity(keras.layers.TimeDistributed(keras.layers.Dense(units, activation="tanh")),
                 keraslite.layers.TimeDistributed(keraslite.layers.Dense(units, activation="tanh")), X, atol=ATOL)


def test_time_distributed_then_lstm_sgd_step():
    """A small sequence model; one SGD step gives the same weights as Keras's gradients."""
    k_td, k_rnn = keras.layers.TimeDistributed(keras.layers.Dense(4)), keras.layers.Bidirectional(
        keras.layers.LSTM(3))
    l_td, l_rnn = keraslite.layers.TimeDistributed(keraslite.layers.Dense(4)), keraslite.layers.Bidirectional(
        keraslite.layers.LSTM(3))
    x = torch.as_tensor(X)
    k_rnn(k_td(x))
    l_rnn(l_td(x))
    rng = np.random.default_rng(4)
    for kl, ll in ((k_td, l_td), (k_rnn, l_rnn)):
        kl.set_weights([(rng.standard_normal(w.shape) * 0.5).astype("float32") for w in kl.get_weights()])
        ll.set_weights(kl.get_weights())
    target = torch.as_tensor(rng.standard_normal((2, 6)).astype("float32"))

    k_params = [v.value for v in k_td.trainable_weights + k_rnn.trainable_weights]
    loss = ((k_rnn(k_td(x)) - target) ** 2).mean()
    expected = [(p.detach() - 0.1 * g).numpy() for p, g in zip(k_params, torch.autograd.grad(loss, k_params))]

    loss = ((l_rnn(l_td(x)) - target) ** 2).mean()
    loss.backward()
    params = l_td.trainable_weights + l_rnn.trainable_weights
    with torch.no_grad():
        for w in params:
            w.sub_(0.1 * w.grad)
    got = [w.numpy() for w in params]
    assert len(got) == len(expected)
    assert_close(got, expected, atol=ATOL)


# ----------------------------------------------------------------------------- SpectralNormalization

SN_CASES = {
    "dense": (lambda m: m.layers.Dense(5), (4, 6)),
    "conv2d": (lambda m: m.layers.Conv2D(3, 3), (2, 6, 6, 2)),
    "conv1d_no_bias": (lambda m: m.layers.Conv1D(4, 2, use_bias=False), (2, 7, 3)),
    "embedding": (lambda m: m.layers.Embedding(10, 4), None),
}


def _sn_input(shape):
    if shape is None:
        return np.random.default_rng(1).integers(0, 10, (3, 5))
    return np.random.default_rng(1).standard_normal(shape).astype("float32")


def _sn_pair(case, power_iterations):
    make, shape = SN_CASES[case]
    k = keras.layers.SpectralNormalization(make(keras), power_iterations=power_iterations)
    lite = keraslite.layers.SpectralNormalization(make(keraslite), power_iterations=power_iterations)
    x = _sn_input(shape)
    k(torch.as_tensor(x))
    lite(torch.as_tensor(x))
    rng = np.random.default_rng(3)
    weights = [rng.standard_normal(w.shape).astype("float32") for w in k.get_weights()]
    k.set_weights(weights)
    lite.set_weights(weights)
    return k, lite, x


@pytest.mark.parametrize("power_iterations", [1, 3])
@pytest.mark.parametrize("case", sorted(SN_CASES))
def test_spectral_normalization_matches_keras_over_steps(case, power_iterations):
    k, lite, x = _sn_pair(case, power_iterations)
    assert [w.path for w in lite.weights] == [w.path for w in k.weights]
    for step, training in enumerate([False, True, True, False, True]):
        k_out = to_numpy(k(torch.as_tensor(x), training=training))
        l_out = to_numpy(lite(torch.as_tensor(x), training=training))
        if case == "embedding":
            # Keras casts the output to the inputs' dtype: integer ids give truncated vectors.
            l_out = l_out.astype(k_out.dtype)
        assert_close(l_out, k_out, ATOL, ATOL, f"{case} step {step} (training={training})")
        for a, b, w in zip(lite.get_weights(), k.get_weights(), k.weights):
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6, err_msg=f"{w.path} after step {step}")


@pytest.mark.parametrize("case", ["dense", "conv2d", "conv1d_no_bias"])
def test_spectral_normalization_gradients_match_keras(case):
    k, lite, x = _sn_pair(case, 2)
    k_out = k(torch.as_tensor(x), training=True)
    l_out = lite(torch.as_tensor(x), training=True)
    k_grads = torch.autograd.grad((k_out ** 2).sum(), [w.value for w in k.trainable_weights])
    l_grads = torch.autograd.grad((l_out ** 2).sum(), list(lite.trainable_weights))
    for w, kg, lg in zip(lite.trainable_weights, k_grads, l_grads):
        np.testing.assert_allclose(w.keras_layout.to_keras(lg).numpy(), kg.numpy(), rtol=1e-4, atol=1e-5,
                                   err_msg=w.path)


@pytest.mark.parametrize("seed", [0, 4])
def test_spectral_normalization_seeded_weights_match_keras(seed):
    keras.utils.set_random_seed(seed)
    k = keras.layers.SpectralNormalization(keras.layers.Conv2D(3, 3))
    k.build((None, 6, 6, 2))
    keraslite.utils.set_random_seed(seed)
    lite = keraslite.layers.SpectralNormalization(keraslite.layers.Conv2D(3, 3))
    lite.build((None, 6, 6, 2))
    for a, b in zip(lite.get_weights(), k.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)


def test_spectral_normalization_config_matches_keras():
    k_config = keras.layers.SpectralNormalization(keras.layers.Dense(3), power_iterations=2).get_config()
    l_config = keraslite.layers.SpectralNormalization(keraslite.layers.Dense(3), power_iterations=2).get_config()
    assert set(l_config) - {"batch_input_shape"} == set(k_config)
    assert l_config["power_iterations"] == k_config["power_iterations"] == 2
    assert l_config["layer"]["class_name"] == k_config["layer"]["class_name"] == "Dense"
    keraslite.layers.SpectralNormalization.from_config(k_config)


def _sn_model(lib):
    inputs = lib.Input((6,))
    x = lib.layers.SpectralNormalization(lib.layers.Dense(5, activation="relu"))(inputs)
    return lib.Model(inputs, lib.layers.SpectralNormalization(lib.layers.Dense(2), power_iterations=2)(x))


def test_spectral_normalization_fit_matches_keras():
    km, lm = _sn_model(keras), _sn_model(keraslite)
    rng = np.random.default_rng(5)
    weights = [rng.standard_normal(w.shape).astype("float32") for w in km.get_weights()]
    km.set_weights(weights)
    lm.set_weights(weights)
    x = rng.standard_normal((32, 6)).astype("float32")
    y = rng.standard_normal((32, 2)).astype("float32")
    km.compile(optimizer=keras.optimizers.SGD(0.05), loss="mse")
    lm.compile(optimizer=keraslite.optimizers.SGD(0.05), loss="mse")
    k_hist = km.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0).history["loss"]
    l_hist = lm.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0).history["loss"]
    np.testing.assert_allclose(l_hist, k_hist, rtol=1e-4)
    for a, b in zip(lm.get_weights(), km.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(lm.predict(x, verbose=0), km.predict(x, verbose=0), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("ext", [".keras", ".h5"])
def test_spectral_normalization_files_both_ways(ext, tmp_path):
    km, lm = _sn_model(keras), _sn_model(keraslite)
    rng = np.random.default_rng(6)
    km.set_weights([rng.standard_normal(w.shape).astype("float32") for w in km.get_weights()])
    lm.set_weights([rng.standard_normal(w.shape).astype("float32") for w in lm.get_weights()])
    x = rng.standard_normal((4, 6)).astype("float32")
    km.save(str(tmp_path / f"k{ext}"))
    lm.save(str(tmp_path / f"l{ext}"))
    lm2 = keraslite.saving.load_model(str(tmp_path / f"k{ext}"), compile=False)
    km2 = keras.saving.load_model(str(tmp_path / f"l{ext}"), compile=False)
    assert [w.path for w in lm2.weights] == [w.path for w in km.weights]
    assert_close(lm2.predict(x, verbose=0), km.predict(x, verbose=0), what="Keras file in keraslite")
    assert_close(km2.predict(x, verbose=0), lm.predict(x, verbose=0), what="keraslite file in Keras")
    for a, b in zip(lm2.get_weights(), km.get_weights()):
        np.testing.assert_array_equal(a, b)
