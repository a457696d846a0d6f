"""tf.keras 2's RNN over nested inputs: `RNN(cell)((seq_a, seq_b))` with a tuple of sequences
that share (batch, time), a cell whose `state_size` / `output_size` hold `tf.TensorShape`s
(multi-dimensional states), and a nested output. Keras 3 dropped this; the checks compare with
the same recurrence written out in numpy."""
import numpy as np
import pytest
import torch

import keraslite as keras
from keraslite.compat import tf_ops


class PairCell(keras.layers.Layer):
    """A linear accumulator over two inputs: (batch, i1) and (batch, i2, i3)."""

    def __init__(self, u1, u2, u3, **kwargs):
        self.u1, self.u2, self.u3 = u1, u2, u3
        self.state_size = [tf_ops.TensorShape([u1]), tf_ops.TensorShape([u2, u3])]
        self.output_size = [tf_ops.TensorShape([u1]), tf_ops.TensorShape([u2, u3])]
        super().__init__(**kwargs)

    def build(self, input_shapes):
        self.k1 = self.add_weight(shape=(input_shapes[0][1], self.u1), initializer="uniform", name="k1")
        self.k23 = self.add_weight(shape=(input_shapes[1][1], input_shapes[1][2], self.u2, self.u3),
                                   initializer="uniform", name="k23")

    def call(self, inputs, states):
        a, b = inputs
        s1, s2 = states
        o1 = torch.tanh(a @ self.k1 + s1)
        o2 = torch.einsum("bij,ijkl->bkl", b, self.k23) + 0.5 * s2
        return (o1, o2), (o1, o2)


def _numpy_run(cell, a, b):
    k1, k23 = (w.detach().numpy() for w in (cell.k1, cell.k23))
    s1 = np.zeros((a.shape[0], cell.u1), "float32")
    s2 = np.zeros((a.shape[0], cell.u2, cell.u3), "float32")
    seq1, seq2 = [], []
    for t in range(a.shape[1]):
        s1 = np.tanh(a[:, t] @ k1 + s1)
        s2 = np.einsum("bij,ijkl->bkl", b[:, t], k23) + 0.5 * s2
        seq1.append(s1)
        seq2.append(s2)
    return np.stack(seq1, 1), np.stack(seq2, 1)


def _data():
    rng = np.random.default_rng(0)
    return rng.random((4, 6, 3)).astype("float32"), rng.random((4, 6, 2, 5)).astype("float32")


def test_functional_nested_rnn_matches_the_recurrence_and_trains():
    a, b = _data()
    cell = PairCell(7, 3, 4)
    in_a, in_b = keras.Input((None, 3)), keras.Input((None, 2, 5))
    rnn = keras.layers.RNN(cell, return_sequences=True)
    outs = rnn((in_a, in_b))
    assert [tuple(o.shape) for o in outs] == [(None, None, 7), (None, None, 3, 4)]
    model = keras.Model([in_a, in_b], outs)
    got = model.predict([a, b], verbose=0)
    want = _numpy_run(cell, a, b)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-6)

    last = keras.Model([in_a, in_b], keras.layers.RNN(cell)((in_a, in_b)))
    got_last = last.predict([a, b], verbose=0)
    for g, w in zip(got_last, want):
        np.testing.assert_allclose(g, w[:, -1], rtol=1e-5, atol=1e-6)

    last.compile("adam", "mse")
    history = last.fit([a, b], [want[0][:, -1] * 0, want[1][:, -1] * 0], epochs=2, verbose=0)
    assert history.history["loss"][1] < history.history["loss"][0]


def test_nested_rnn_states_go_backwards_and_bad_time_axes():
    a, b = _data()
    cell = PairCell(7, 3, 4)
    rnn = keras.layers.RNN(cell, return_state=True, go_backwards=True)
    output, s1, s2 = rnn((torch.as_tensor(a), torch.as_tensor(b)))
    want = _numpy_run(cell, a[:, ::-1].copy(), b[:, ::-1].copy())
    np.testing.assert_allclose(s1.detach().numpy(), want[0][:, -1], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(s2.detach().numpy(), want[1][:, -1], rtol=1e-5, atol=1e-6)
    assert tuple(output[1].shape) == (4, 3, 4)
    with pytest.raises(ValueError, match="same"):
        rnn((torch.as_tensor(a), torch.as_tensor(b[:, :5])))


def test_a_list_still_means_sequences_then_initial_states():
    x = np.random.default_rng(1).random((2, 5, 3)).astype("float32")
    lstm = keras.layers.LSTM(4)
    h0, c0 = np.ones((2, 4), "float32"), np.zeros((2, 4), "float32")
    as_list = lstm([torch.as_tensor(x), torch.as_tensor(h0), torch.as_tensor(c0)])
    as_kwarg = lstm(torch.as_tensor(x), initial_state=[torch.as_tensor(h0), torch.as_tensor(c0)])
    np.testing.assert_allclose(as_list.detach().numpy(), as_kwarg.detach().numpy(), rtol=1e-6)
