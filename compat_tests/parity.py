"""Shared parity helpers: run the same layer in real Keras 3 (torch backend) and keraslite
with the same weights and inputs, and compare outputs.

Weights always travel Keras -> keraslite through `set_weights` in Keras layout, so every
parity test also checks keraslite's layout conversion.
"""
import numpy as np
import torch

import keraslite


def random_input(shape, seed=0):
    """A float32 standard-normal numpy array: the input the parity tests feed both libraries."""
    return np.random.default_rng(seed).standard_normal(shape).astype("float32")


def to_numpy(x):
    if isinstance(x, (list, tuple)):
        return [to_numpy(v) for v in x]
    if isinstance(x, dict):
        return {k: to_numpy(v) for k, v in x.items()}
    if isinstance(x, torch.Tensor):
        return x.detach().cpu().numpy()
    if hasattr(x, "numpy"):
        return np.asarray(x.numpy()) if not hasattr(x, "detach") else x.detach().cpu().numpy()
    return np.asarray(x)


def assert_close(actual, expected, atol=1e-5, rtol=1e-5, what="output"):
    if isinstance(expected, (list, tuple)):
        assert isinstance(actual, (list, tuple)) and len(actual) == len(expected), (
            f"{what}: structure differs: {type(actual).__name__} of {len(actual) if hasattr(actual, '__len__') else '?'}"
            f" vs {type(expected).__name__} of {len(expected)}")
        for i, (a, e) in enumerate(zip(actual, expected)):
            assert_close(a, e, atol, rtol, f"{what}[{i}]")
        return
    actual, expected = np.asarray(actual), np.asarray(expected)
    assert actual.shape == expected.shape, f"{what}: shape {actual.shape} != Keras {expected.shape}"
    np.testing.assert_allclose(actual, expected, atol=atol, rtol=rtol, err_msg=what)


def layer_parity(keras_layer, lite_layer, inputs, atol=1e-5, call_kwargs=None, randomize=True, seed=0):
    """Build both layers on `inputs` (numpy, or a list of numpy arrays), give keraslite Keras's
    weights (randomized first so biases and BN statistics are non-trivial), compare outputs.
    Returns (keras_output, keraslite_output) as numpy."""
    call_kwargs = call_kwargs or {}
    k_in = [torch.as_tensor(x) for x in inputs] if isinstance(inputs, list) else torch.as_tensor(inputs)
    l_in = [torch.as_tensor(x) for x in inputs] if isinstance(inputs, list) else torch.as_tensor(inputs)
    k_out = keras_layer(k_in, **call_kwargs)  # builds
    if randomize:
        rng = np.random.default_rng(seed)
        weights = []
        for w in keras_layer.get_weights():
            if "variance" in _name_of(keras_layer, len(weights)):
                weights.append(rng.uniform(0.5, 1.5, size=w.shape).astype(w.dtype))
            else:
                weights.append((rng.standard_normal(w.shape) * 0.5).astype(w.dtype))
        keras_layer.set_weights(weights)
        k_out = keras_layer(k_in, **call_kwargs)
    lite_layer(l_in, **call_kwargs)  # builds
    lite_layer.set_weights(keras_layer.get_weights())
    l_out = lite_layer(l_in, **call_kwargs)
    k_np, l_np = to_numpy(k_out), to_numpy(l_out)
    assert_close(l_np, k_np, atol=atol, rtol=atol, what=f"{type(lite_layer).__name__} output")
    # Weights read back from keraslite equal what was set.
    for a, b in zip(lite_layer.get_weights(), keras_layer.get_weights()):
        np.testing.assert_array_equal(a, b)
    return k_np, l_np


def _name_of(layer, index):
    try:
        return layer.weights[index].path
    except Exception:
        return ""


def fit_both(build, x, y=None, **fit_kwargs):
    """`build(lib)` for real Keras and for keraslite, keraslite given Keras's initial weights,
    then the same `fit(x, y, shuffle=False, verbose=0, **fit_kwargs)` on both.
    Returns (keras_model, keraslite_model, keras_history, keraslite_history)."""
    from compat_tests.conftest import keras

    k_model, l_model = build(keras), build(keraslite)
    l_model.set_weights(k_model.get_weights())
    fit_kwargs = {"shuffle": False, "verbose": 0, **fit_kwargs}
    kh = k_model.fit(x, y, **fit_kwargs).history
    lh = l_model.fit(x, y, **fit_kwargs).history
    return k_model, l_model, kh, lh


def assert_same_weights(l_model, k_model, rtol=1e-5, atol=1e-6):
    for i, (lw, kw) in enumerate(zip(l_model.get_weights(), k_model.get_weights())):
        np.testing.assert_allclose(lw, kw, rtol=rtol, atol=atol, err_msg=f"weight {i}")
