"""A PyDataset's hooks and reads in fit / evaluate / predict, in Keras's order: the batch read to
build a compiled model, on_epoch_begin / on_epoch_end around every epoch, and the epoch end with
which Keras starts each fit and each evaluation (validation included). Datasets that reshuffle in
on_epoch_end therefore train on the same order of batches in both libraries."""
import numpy as np
import pytest

import keraslite

keras = pytest.importorskip("keras")


def _dataset_class(lib):
    class Logged(lib.utils.PyDataset):
        def __init__(self, seed, **kwargs):
            super().__init__(**kwargs)
            self.idx = np.arange(4)
            self.log = []
            self.rng = np.random.default_rng(seed)

        def __len__(self):
            return 4

        def __getitem__(self, i):
            self.log.append(int(self.idx[i]))
            return np.full((2, 1), self.idx[i], "float32"), np.full((2, 1), 0.5 * self.idx[i], "float32")

        def on_epoch_begin(self):
            self.log.append("begin")

        def on_epoch_end(self):
            self.log.append("end")
            self.rng.shuffle(self.idx)

    return Logged


def _run(lib):
    Logged = _dataset_class(lib)
    model = lib.Sequential([lib.Input((1,)), lib.layers.Dense(1, kernel_initializer="ones")])
    model.compile("sgd", "mse")
    train, val = Logged(0), Logged(1)
    history = model.fit(train, epochs=2, shuffle=False, verbose=0, validation_data=val).history
    evaluated = Logged(2)
    model.evaluate(evaluated, verbose=0)
    predicted = Logged(3)
    model.predict(predicted, verbose=0)
    return train.log, val.log, evaluated.log, predicted.log, history, model.get_weights()


def test_pydataset_hooks_and_reads_follow_keras():
    k, lite = _run(keras), _run(keraslite)
    for what, a, b in zip(("fit", "validation", "evaluate", "predict"), lite[:4], k[:4]):
        assert a == b, f"{what}: keraslite {a} != Keras {b}"
    np.testing.assert_allclose(lite[4]["loss"], k[4]["loss"], rtol=1e-5)
    np.testing.assert_allclose(lite[4]["val_loss"], k[4]["val_loss"], rtol=1e-5)
    for a, b in zip(lite[5], k[5]):
        np.testing.assert_allclose(a, b, rtol=1e-5)
