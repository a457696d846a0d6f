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
