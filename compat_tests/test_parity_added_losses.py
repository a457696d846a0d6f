"""`layer.losses` after repeated eager calls, against real Keras 3 (torch backend): the
outermost call clears what add_loss() recorded in the previous call (no accumulation)."""
import numpy as np

from compat_tests.conftest import keras
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
