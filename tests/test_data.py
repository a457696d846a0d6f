"""Data adapters: generators, Sequence/PyDataset, torch Dataset/DataLoader, dict and list inputs."""
import numpy as np
import pytest
import torch

import keraslite
from keraslite import layers
from keraslite.training import data as data_mod


def _xy(n=64):
    rng = np.random.default_rng(0)
    return rng.standard_normal((n, 4)).astype("float32"), rng.integers(0, 3, n)


def _model():
    model = keraslite.Sequential([layers.Dense(3, activation="softmax", input_shape=(4,))])
    model.compile(optimizer=keraslite.optimizers.SGD(0.1), loss="sparse_categorical_crossentropy")
    return model


def _reference_history(x, y, batch_size=16, epochs=2):
    keraslite.utils.set_random_seed(0)
    keraslite.backend.clear_session()
    return _model().fit(x, y, batch_size=batch_size, epochs=epochs, shuffle=False, verbose=0).history["loss"]


def _same_as_arrays(make_input, x, y, **kwargs):
    expected = _reference_history(x, y)
    keraslite.utils.set_random_seed(0)
    keraslite.backend.clear_session()
    got = _model().fit(make_input(), epochs=2, verbose=0, shuffle=False, **kwargs).history["loss"]
    np.testing.assert_allclose(got, expected, rtol=1e-6)


def test_python_generator_with_steps():
    x, y = _xy()

    def gen():
        while True:
            for i in range(0, 64, 16):
                yield x[i:i + 16], y[i:i + 16]

    _same_as_arrays(gen, x, y, steps_per_epoch=4)


class Batches(data_mod.PyDataset):
    def __init__(self, x, y, **kwargs):
        super().__init__(**kwargs)
        self.x, self.y = x, y
        self.epochs_ended = 0

    def __len__(self):
        return 4

    def __getitem__(self, i):
        return self.x[i * 16:(i + 1) * 16], self.y[i * 16:(i + 1) * 16]

    def on_epoch_end(self):
        self.epochs_ended += 1


def test_pydataset_and_epoch_end():
    x, y = _xy()
    ds = Batches(x, y, workers=1)
    _same_as_arrays(lambda: ds, x, y)
    assert ds.epochs_ended == 3  # Keras also ends an epoch when fit starts (its epoch iterator reset)
    assert data_mod.Sequence is data_mod.PyDataset


def test_torch_dataloader_and_dataset():
    x, y = _xy()
    tds = torch.utils.data.TensorDataset(torch.tensor(x), torch.tensor(y))
    _same_as_arrays(lambda: torch.utils.data.DataLoader(tds, batch_size=16), x, y)
    expected = _reference_history(x, y)
    keraslite.utils.set_random_seed(0)
    keraslite.backend.clear_session()
    got = _model().fit(tds, batch_size=16, epochs=2, shuffle=False, verbose=0).history["loss"]
    np.testing.assert_allclose(got, expected, rtol=1e-6)


def test_dict_and_list_inputs():
    x, y = _xy()
    a_in, b_in = keraslite.Input((2,), name="a"), keraslite.Input((2,), name="b")
    merged = layers.Concatenate()([a_in, b_in]) if hasattr(layers, "Concatenate") else None
    if merged is None:
        pytest.skip("Concatenate not available yet")
    out = layers.Dense(3, activation="softmax")(merged)
    model = keraslite.Model([a_in, b_in], out)
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    h1 = model.fit([x[:, :2], x[:, 2:]], y, epochs=1, verbose=0, shuffle=False).history["loss"]
    h2 = model.evaluate({"a": x[:, :2], "b": x[:, 2:]}, y, verbose=0)
    assert np.isfinite(h1[0]) and np.isfinite(h2)
    p = model.predict([x[:, :2], x[:, 2:]], verbose=0)
    assert p.shape == (64, 3)


def test_array_batches_keep_last_partial_batch_and_shuffle_permutes():
    x = np.arange(10, dtype="float32")[:, None]
    adapter = data_mod.ArrayData(x, x, batch_size=4, shuffle=False)
    sizes = [b[0].shape[0] for b in adapter.epoch()]
    assert sizes == [4, 4, 2]
    keraslite.utils.set_random_seed(0)
    adapter = data_mod.ArrayData(x, x, batch_size=4, shuffle=True)
    got = torch.cat([b[0] for b in adapter.epoch()])[:, 0].numpy()
    assert sorted(got.tolist()) == list(range(10)) and got.tolist() != list(range(10))
    pairs = [(a[:, 0] == b[:, 0]).all().item() for a, b, _ in adapter.epoch()]
    assert all(pairs)  # x and y stay aligned under shuffling


def test_batch_shuffle_stays_within_batches():
    x = np.arange(12, dtype="float32")[:, None]
    keraslite.utils.set_random_seed(0)
    adapter = data_mod.ArrayData(x, None, batch_size=4, shuffle="batch")
    for i, (b, _, _) in enumerate(adapter.epoch()):
        assert sorted(b[:, 0].tolist()) == list(range(i * 4, i * 4 + 4))


def test_validation_split_is_last_fraction():
    x = np.arange(10)[:, None]
    (tx, ty, _), (vx, vy, _) = data_mod.train_validation_split((x, x, None), 0.3)
    assert tx[:, 0].tolist() == list(range(7)) and vx[:, 0].tolist() == [7, 8, 9]
    with pytest.raises(ValueError, match="not sufficient"):
        data_mod.train_validation_split((x[:1], x[:1], None), 0.5)


def test_class_weight_to_sample_weight():
    sw = data_mod.class_weight_to_sample_weight(np.array([0, 2, 1]), {0: 0.5, 2: 3.0})
    assert sw.tolist() == [0.5, 3.0, 1.0]
    onehot = np.eye(3)[[2, 0]]
    assert data_mod.class_weight_to_sample_weight(onehot, {2: 4.0}).tolist() == [4.0, 1.0]


def test_generator_with_y_argument_errors():
    x, y = _xy()
    with pytest.raises(ValueError, match="must yield the targets itself"):
        data_mod.make_adapter(iter([(x, y)]), y=y)


def test_unknown_input_type_errors():
    with pytest.raises(TypeError, match="Unrecognized data type"):
        data_mod.make_adapter(object())


def test_keras1_and_2_generator_methods():
    x, y = _xy()

    def gen():
        while True:
            for i in range(0, 64, 16):
                yield x[i:i + 16], y[i:i + 16]

    expected = _reference_history(x, y)
    keraslite.utils.set_random_seed(0)
    keraslite.backend.clear_session()
    model = _model()
    got = model.fit_generator(gen(), samples_per_epoch=64, nb_epoch=2, verbose=0).history["loss"]
    np.testing.assert_allclose(got, expected, rtol=1e-6)
    assert np.isfinite(model.evaluate_generator(gen(), steps=4))
    assert model.predict_generator((x[i:i + 16] for i in range(0, 64, 16)), steps=4).shape == (64, 3)


def test_fit_on_a_dataloader_warns_that_shuffle_is_ignored(recwarn):
    import warnings as _warnings

    model = keraslite.Sequential([keraslite.Input((3,)), keraslite.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    data = torch.utils.data.TensorDataset(torch.ones(8, 3), torch.ones(8, 1))
    loader = torch.utils.data.DataLoader(data, batch_size=4)
    with pytest.warns(UserWarning, match="`shuffle=True` was passed, but will be ignored .* torch DataLoader"):
        model.fit(loader, epochs=1, verbose=0)
    with _warnings.catch_warnings():
        _warnings.simplefilter("error")
        model.evaluate(loader, verbose=0)
        model.fit(loader, epochs=1, verbose=0, shuffle=False)


def test_keras1_positional_sample_count_of_predict_and_evaluate_generator():
    """Keras 1's `predict_generator(generator, 2000)` (the small-data blog's bottleneck features)
    counted samples. On an iterator of known size a count above its batches but within its
    samples is read so (with a warning); a count within its batches stays Keras 2's steps."""
    from keraslite.utils.preprocessing.image import ImageDataGenerator

    x = np.random.default_rng(0).random((40, 4, 4, 3)).astype("float32")
    model = keraslite.Sequential([keraslite.Input((4, 4, 3)), layers.Flatten(), layers.Dense(2)])
    model.compile("sgd", "mse")

    def flow():
        return ImageDataGenerator().flow(x, np.zeros((40, 2), "float32"), batch_size=8, shuffle=False)

    with pytest.warns(UserWarning, match="taken as a number of samples"):
        out = model.predict_generator(flow(), 40)
    np.testing.assert_allclose(out, model.predict(x, verbose=0), rtol=1e-6, atol=1e-6)
    assert model.predict_generator(flow(), 3).shape == (24, 2)  # Keras 2: 3 batches
    with pytest.warns(UserWarning, match="5 batches"):
        model.evaluate_generator(flow(), 40)
