"""Parity for Keras 2's `K.rnn` (the loop custom attention decoders run a cell in) against the
time loop of Keras 3's torch backend, which keeps Keras 2's signature and results: masking,
go_backwards, constants, nested outputs, zero_output_for_mask and return_all_outputs."""
import importlib

import numpy as np
import pytest
import torch

import keraslite
from compat_tests.conftest import keras  # noqa: F401  (skips without Keras)
from compat_tests.parity import assert_close, to_numpy

RNG = np.random.default_rng(0)
X = torch.as_tensor(RNG.standard_normal((3, 5, 4)).astype("float32"))
H0 = torch.as_tensor(RNG.standard_normal((3, 6)).astype("float32"))
MEMORY = torch.as_tensor(RNG.standard_normal((3, 2, 6)).astype("float32"))
W = torch.as_tensor(RNG.standard_normal((4, 6)).astype("float32"))
U = torch.as_tensor(RNG.standard_normal((6, 6)).astype("float32") * 0.5)
MASK = torch.tensor([[True] * 5, [True, True, True, False, False], [False, True, True, False, True]])


def step(x_t, states):
    """A tanh cell with a carried memory state and a constant; two outputs."""
    h, memory, bias = states
    h = torch.tanh(x_t @ W + h @ U + memory.mean(1) + bias)
    return (h, h.sum(-1, keepdims=True)), [h, memory * 0.9]


@pytest.mark.parametrize("go_backwards", [False, True])
@pytest.mark.parametrize("masked", [False, True])
@pytest.mark.parametrize("zero_output_for_mask", [False, True])
@pytest.mark.parametrize("return_all_outputs", [True, False])
@pytest.mark.parametrize("time_major", [False, True])
def test_rnn_matches_keras(go_backwards, masked, zero_output_for_mask, return_all_outputs, time_major):
    k_rnn = importlib.import_module("keras.src.backend.torch.rnn").rnn
    kwargs = dict(go_backwards=go_backwards, constants=[torch.full((6,), 0.1)],
                  zero_output_for_mask=zero_output_for_mask, return_all_outputs=return_all_outputs)
    expected = k_rnn(step, X, [H0, MEMORY], mask=MASK if masked else None, **kwargs)
    if time_major:  # Keras's torch loop counts steps along axis 1 even then: compared batch-major
        actual = keraslite.backend.rnn(step, X.transpose(0, 1), [H0, MEMORY], mask=MASK.T if masked else None,
                                       time_major=True, **kwargs)
        actual = (actual[0], tuple(o.transpose(0, 1) for o in actual[1]), actual[2])
    else:
        actual = keraslite.backend.rnn(step, X, [H0, MEMORY], mask=MASK if masked else None, **kwargs)
    assert isinstance(actual[1], tuple) and len(actual[2]) == 2
    assert_close(to_numpy(actual[0]), to_numpy(expected[0]), what="last_output")
    assert_close(to_numpy(actual[1]), to_numpy(expected[1]), what="outputs")
    assert_close(to_numpy(list(actual[2])), to_numpy(list(expected[2])), what="new_states")
