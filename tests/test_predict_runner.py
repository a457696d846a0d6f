"""predict() on a Sequential runs later batches through the layers' `call`s directly when
Layer.__call__ has nothing else to do for them. These tests check that this quicker way gives
the full call's numbers and side effects, and that it steps aside whenever the full call would
do more (hooks, masks, activity regularizers, other shapes)."""
import numpy as np
import pytest
import torch

import keraslite
from keraslite import layers


def _x(n=70, features=6, seed=0):
    return np.random.default_rng(seed).standard_normal((n, features)).astype("float32")


def _reference(model, x, batch_size):
    """The full call, batch by batch, as predict made it before."""
    with torch.inference_mode():
        return np.concatenate([model(torch.from_numpy(x[i:i + batch_size]), training=False).numpy()
                               for i in range(0, len(x), batch_size)])


def _plain_model():
    model = keraslite.Sequential([keraslite.Input((6,)), layers.Dense(16, activation="relu"),
                                  layers.BatchNormalization(), layers.Dropout(0.5),
                                  layers.Dense(3, activation="softmax")])
    # BatchNormalization's moving statistics away from 0/1, so that a training-mode call differs.
    model.layers[1].moving_mean.data.uniform_(-1, 1)
    model.layers[1].moving_variance.data.uniform_(0.5, 2)
    return model


def test_plain_stack_uses_the_runner_and_matches_the_full_call():
    model = _plain_model()
    x = _x()
    first = torch.from_numpy(x[:16])
    model(first)  # built
    assert model._inference_runner(first) is not None
    np.testing.assert_allclose(model.predict(x, batch_size=16, verbose=0), _reference(model, x, 16), rtol=0,
                               atol=0)


def test_runner_declines_other_shapes_and_masked_inputs():
    model = keraslite.Sequential([layers.GlobalAveragePooling1D(), layers.Dense(2)])
    first = torch.ones(4, 5, 3)
    model(first)
    run = model._inference_runner(first)
    assert run is not None
    assert run(torch.ones(4, 7, 3)) is None  # another length: the full call (and its checks) runs
    masked = torch.ones(4, 5, 3)
    masked._keras_mask = torch.ones(4, 5, dtype=torch.bool)
    assert model._inference_runner(masked) is None


def test_varying_shapes_from_a_generator_match_the_full_call():
    model = keraslite.Sequential([keraslite.Input((None, 3)), layers.GlobalAveragePooling1D(), layers.Dense(2)])
    rng = np.random.default_rng(1)
    batches = [rng.standard_normal((4, t, 3)).astype("float32") for t in (5, 5, 8, 2)]
    out = model.predict((b for b in batches), steps=len(batches), verbose=0)
    with torch.inference_mode():
        expected = np.concatenate([model(torch.from_numpy(b)).numpy() for b in batches])
    np.testing.assert_allclose(out, expected, rtol=0, atol=0)


def test_forward_hook_is_honoured_for_every_batch():
    model = _plain_model()
    x = _x()
    model(torch.from_numpy(x[:16]))
    seen = []
    handle = model.layers[0].register_forward_hook(lambda mod, inp, out: seen.append(out.shape[0]))
    try:
        assert model._inference_runner(torch.from_numpy(x[:16])) is None
        model.predict(x, batch_size=16, verbose=0)
    finally:
        handle.remove()
    assert seen == [16, 16, 16, 16, 6]


@pytest.mark.parametrize("make", [
    lambda: layers.Dense(4, activity_regularizer="l2"),
    lambda: layers.Masking(),
    lambda: keraslite.Sequential([layers.Dense(4)]),  # a nested model: Model.__call__, not Layer's
])
def test_layers_needing_the_full_call_disable_the_runner(make):
    model = keraslite.Sequential([keraslite.Input((6,)), make(), layers.Dense(2)])
    first = torch.from_numpy(_x(8))
    model(first)
    assert model._inference_runner(first) is None


class _Noisy(layers.Layer):
    """A custom layer with a training branch, a sublayer and an add_loss in call."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.inner = layers.Dense(4)

    def call(self, x, training=None):
        y = self.inner(x)
        self.add_loss(y.abs().mean())
        return y + (100.0 if training else 0.0)


def test_custom_layer_sees_the_call_context_and_losses_of_the_full_call():
    model = keraslite.Sequential([keraslite.Input((6,)), _Noisy(), layers.Dense(2)])
    x = _x(40)
    model(torch.from_numpy(x[:8]))
    assert model._inference_runner(torch.from_numpy(x[:8])) is not None
    out = model.predict(x, batch_size=8, verbose=0)
    np.testing.assert_allclose(out, _reference(model, x, 8), rtol=0, atol=0)
    # As after the full calls: the losses of the last batch only, from the nested layer.
    assert len(model.losses) == 1
    with torch.inference_mode():
        expected = model.layers[0].inner(torch.from_numpy(x[32:40])).abs().mean()
    np.testing.assert_allclose(float(model.losses[0]), float(expected), rtol=1e-6)


@pytest.mark.parametrize("mask_zero", [False, True])
def test_embedding_declines_only_when_it_starts_a_mask(mask_zero):
    model = keraslite.Sequential([keraslite.Input((5,), dtype="int64"), layers.Embedding(10, 4, mask_zero=mask_zero),
                                  layers.GlobalAveragePooling1D(), layers.Dense(2)])
    x = np.random.default_rng(0).integers(0, 10, (12, 5))
    first = torch.from_numpy(x[:4])
    model(first)
    assert (model._inference_runner(first) is None) == mask_zero
    np.testing.assert_allclose(model.predict(x, batch_size=4, verbose=0), _reference(model, x, 4), rtol=0, atol=0)


def test_runner_steps_aside_inside_another_layer_call():
    """predict() called from inside a layer's call (a nested outermost call would clear that
    call's losses): the full call runs instead."""
    from keraslite.layers import layer as layer_mod

    model = _plain_model()
    first = torch.from_numpy(_x(8))
    model(first)
    run = model._inference_runner(first)
    layer_mod._CALLS.depth = 1
    try:
        assert run(first) is None
    finally:
        layer_mod._CALLS.depth = 0
    assert run(first) is not None
