"""Plain torch modules inside Keras models, vs real Keras 3 on its torch backend: assigned to a
model attribute they are wrapped in TorchModuleWrapper, their parameters are weights (torch's
layout, module order), fit trains them to Keras's numbers, and .keras files carry them both
ways (loading the pickled module needs safe_mode=False in both)."""
import numpy as np
import pytest
import torch

import keraslite
from compat_tests.conftest import keras


def _torch_block(seed):
    torch.manual_seed(seed)
    return torch.nn.Sequential(torch.nn.Linear(6, 8), torch.nn.Tanh(), torch.nn.Linear(8, 4))


def _subclassed(m, block):
    class Net(m.Model):
        def __init__(self):
            super().__init__()
            self.block = block
            self.head = m.layers.Dense(1)

        def call(self, x):
            return self.head(self.block(x))

    return Net()


def _data():
    rs = np.random.RandomState(0)
    return rs.randn(48, 6).astype("float32"), rs.randn(48, 1).astype("float32")


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_wrapped_module_trains_like_keras(optimizer):
    x, y = _data()
    theirs = _subclassed(keras, _torch_block(0))
    ours = _subclassed(keraslite, _torch_block(0))
    theirs(x[:2])
    ours(x[:2])
    assert type(ours.block).__name__ == "TorchModuleWrapper"
    ours.set_weights([np.asarray(w) for w in theirs.get_weights()])
    assert [w.shape for w in ours.get_weights()] == [tuple(w.shape) for w in theirs.get_weights()]
    for model in (theirs, ours):
        model.compile(optimizer=optimizer, loss="mse")
    their_h = theirs.fit(x, y, batch_size=16, epochs=3, shuffle=False, verbose=0).history["loss"]
    our_h = ours.fit(x, y, batch_size=16, epochs=3, shuffle=False, verbose=0).history["loss"]
    np.testing.assert_allclose(our_h, their_h, rtol=1e-5)
    for a, b in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(a, np.asarray(b), rtol=1e-5, atol=1e-6)
    assert len(ours.trainable_weights) == len(theirs.trainable_weights) == 6


def _functional(m, block):
    inp = m.Input((6,))
    out = m.layers.Dense(1)(m.layers.TorchModuleWrapper(block, output_shape=(None, 4))(inp))
    return m.Model(inp, out)


@pytest.mark.parametrize("direction", ["keras_to_keraslite", "keraslite_to_keras"])
def test_keras_files_with_a_wrapped_module_load_both_ways(tmp_path, direction):
    x, _ = _data()
    writer, reader = (keras, keraslite) if direction == "keras_to_keraslite" else (keraslite, keras)
    model = _functional(writer, _torch_block(1))
    expected = np.asarray(model.predict(x, verbose=0))
    path = str(tmp_path / "wrapped.keras")
    model.save(path)
    with pytest.raises(ValueError, match="safe_mode"):
        reader.saving.load_model(path)
    loaded = reader.saving.load_model(path, safe_mode=False)
    np.testing.assert_allclose(np.asarray(loaded.predict(x, verbose=0)), expected, rtol=1e-6, atol=1e-6)
