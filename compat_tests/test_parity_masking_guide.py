"""Mask propagation the way Keras 3's masking guide uses it, against real Keras 3 (torch
backend): masks on each output of a layer returning several tensors, and the mask a symbolic
tensor carries while a functional model is being built."""
import numpy as np
import torch

from compat_tests.conftest import keras
from compat_tests.parity import assert_close, to_numpy
import keraslite


def _splitter(lib):
    class Halves(lib.layers.Layer):
        def call(self, inputs):
            return lib.ops.split(inputs, 2, axis=1)

        def compute_mask(self, inputs, mask=None):
            if mask is None:
                return None
            return lib.ops.split(mask, 2, axis=1)

    return Halves()


def _tokens():
    x = np.random.default_rng(3).integers(1, 9, size=(3, 6))
    x[0, 4:] = 0
    x[1, 1:] = 0
    return x


def test_each_output_of_a_split_layer_carries_its_half_of_the_mask():
    x = _tokens()
    results = []
    for lib in (keras, keraslite):
        emb = lib.layers.Embedding(10, 4, mask_zero=True)
        halves = _splitter(lib)(emb(torch.as_tensor(x)))
        results.append([to_numpy(h._keras_mask) for h in halves])
    expected, actual = results
    assert len(actual) == len(expected) == 2
    for a, e in zip(actual, expected):
        np.testing.assert_array_equal(a, e)


def test_symbolic_tensor_shows_its_mask():
    seen = []
    for lib in (keras, keraslite):
        class PassThrough(lib.layers.Layer):
            def __init__(self, **kwargs):
                super().__init__(**kwargs)
                self.supports_masking = True

            def call(self, inputs):
                return lib.ops.relu(inputs)

        inputs = lib.Input(shape=(None,), dtype="int32")
        x = lib.layers.Embedding(input_dim=50, output_dim=4, mask_zero=True)(inputs)
        x = PassThrough()(x)
        mask = x._keras_mask
        plain = lib.layers.Dense(3)(inputs[:, :, None] * 1.0)
        seen.append((tuple(mask.shape), str(mask.dtype), getattr(plain, "_keras_mask", None)))
        assert "sparse=False, ragged=False" in repr(mask)
    assert seen[1] == seen[0]


def test_masks_computed_and_given_as_numpy_arrays():
    # The masking guide calls compute_mask on data and passes numpy masks to Attention.
    ids = np.array([[3, 5, 0, 0]])
    frames = np.ones((1, 3, 2), "float32")
    frames[0, 1] = 0.0
    for lib in (keras, keraslite):
        emb = lib.layers.Embedding(10, 2, mask_zero=True).compute_mask(ids)
        assert isinstance(emb, torch.Tensor) and emb.tolist() == [[True, True, False, False]]
        assert lib.layers.Masking().compute_mask(frames).tolist() == [[True, False, True]]
    q = np.random.default_rng(0).random((1, 3, 2)).astype("float32")
    mask = [None, np.array([[True, False, True]])]
    assert_close(to_numpy(keraslite.layers.Attention()([q, q], mask=mask)),
                 to_numpy(keras.layers.Attention()([q, q], mask=mask)), what="Attention with a numpy mask")


def _masked_sequence_model(lib):
    def per_step_error(y_true, y_pred):
        return lib.ops.mean(lib.ops.abs(y_true - y_pred), axis=-1)

    lib.utils.set_random_seed(0)
    model = lib.Sequential([lib.Input((5,)), lib.layers.Embedding(10, 4, mask_zero=True),
                            lib.layers.LSTM(3, return_sequences=True), lib.layers.TimeDistributed(lib.layers.Dense(2))])
    model.compile("sgd", "mse", metrics=["mae", per_step_error],
                  weighted_metrics=["mae", per_step_error])
    model.set_weights([np.random.default_rng(1).standard_normal(v.shape).astype("float32") * 0.3
                       for v in model.get_weights()])
    return model


def test_one_weight_per_sequence_on_a_masked_sequence_output():
    """tf.keras 2 accepted (batch,) sample weights for a masked (batch, steps) output: each
    weight covers its sequence's steps. Keras 3 takes the same weights given per step."""
    rng = np.random.default_rng(0)
    x = _tokens()[:, :5]
    y = rng.standard_normal((3, 5, 2)).astype("float32")
    sw = np.array([0.5, 2.0, 1.5], "float32")
    k_model, l_model = _masked_sequence_model(keras), _masked_sequence_model(keraslite)
    expected = k_model.evaluate(x, y, sample_weight=np.repeat(sw[:, None], 5, axis=1), verbose=0, return_dict=True)
    actual = l_model.evaluate(x, y, sample_weight=sw, verbose=0, return_dict=True)
    assert sorted(actual) == sorted(expected)
    for name in expected:
        assert_close(actual[name], expected[name], what=name)
    k_hist = k_model.fit(x, y, sample_weight=np.repeat(sw[:, None], 5, axis=1), verbose=0, shuffle=False).history
    l_hist = l_model.fit(x, y, sample_weight=sw, verbose=0, shuffle=False).history
    for name in k_hist:
        assert_close(l_hist[name], k_hist[name], what=f"fit {name}")


def test_weighted_metrics_on_a_masked_output_do_not_depend_on_the_batch_size():
    """A weighted metric over a masked output is sum(value * weight) / sum(weight) over the
    unmasked entries, whatever the batches. Keras 3.15 on torch gives that for one batch only:
    its loss rescales the batch's sample weights in place (by total / valid entries of the
    mask) before the metrics read them, which no other Keras backend does. keraslite follows
    the definition, so each batch size must give Keras's single-batch value."""
    rng = np.random.default_rng(5)
    x = rng.integers(1, 9, size=(12, 5))
    x[::3, -2:] = 0
    x[1::4, -1:] = 0
    y = rng.standard_normal((12, 5, 2)).astype("float32")
    sw = rng.uniform(0.2, 2.0, (12, 5)).astype("float32")
    models = []
    for lib in (keras, keraslite):
        model = _masked_sequence_model(lib)
        model.compile(optimizer="sgd", loss="mae", metrics=["mse"], weighted_metrics=["mae", "mse"])
        models.append(model)
    models[1].set_weights(models[0].get_weights())
    expected = models[0].evaluate(x, y, sample_weight=sw, batch_size=12, verbose=0, return_dict=True)
    for batch_size in (12, 5, 4):
        actual = models[1].evaluate(x, y, sample_weight=sw, batch_size=batch_size, verbose=0, return_dict=True)
        assert sorted(actual) == sorted(expected)
        for name in ("mae", "mse", "weighted_mse"):
            assert_close(actual[name], expected[name], what=f"{name} at batch size {batch_size}")
