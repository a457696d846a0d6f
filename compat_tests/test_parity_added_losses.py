"""`layer.losses` after repeated eager calls, against real Keras 3 (torch backend): the
outermost call clears what add_loss() recorded in the previous call (no accumulation)."""
import numpy as np

from compat_tests.conftest import keras
from compat_tests.parity import assert_same_weights, fit_both
import keraslite


def _sparse_block(lib):
    class Penalty(lib.layers.Layer):
        def call(self, inputs):
            self.add_loss(0.01 * lib.ops.sum(inputs))
            return inputs

    class Block(lib.layers.Layer):
        def __init__(self):
            super().__init__()
            self.dense = lib.layers.Dense(4)
            self.penalty = Penalty()

        def call(self, inputs):
            return self.penalty(self.dense(inputs))

    return Block()


def test_losses_hold_only_the_latest_forward_pass():
    x = np.ones((3, 5), "float32")
    counts = []
    for lib in (keras, keraslite):
        block = _sparse_block(lib)
        seen = []
        for _ in range(3):
            block(x)
            seen.append((len(block.losses), len(block.penalty.losses)))
        counts.append(seen)
    assert counts[1] == counts[0]


def test_a_non_scalar_added_loss_is_summed_like_keras():
    # keras.io's captcha OCR: a CTC endpoint layer adds a (batch, 1) loss.
    def build(lib):
        class PerSample(lib.layers.Layer):
            def call(self, x):
                self.add_loss(lib.ops.mean(lib.ops.square(x), axis=-1, keepdims=True))
                return x

        inputs = lib.Input((3,))
        model = lib.Model(inputs, PerSample()(lib.layers.Dense(3)(inputs)))
        model.compile(optimizer=lib.optimizers.SGD(0.01))
        return model

    x = np.random.default_rng(0).standard_normal((8, 3)).astype("float32")
    k_model, l_model, kh, lh = fit_both(build, x, epochs=2, batch_size=4)
    np.testing.assert_allclose(lh["loss"], kh["loss"], rtol=1e-5)
    assert_same_weights(l_model, k_model)
