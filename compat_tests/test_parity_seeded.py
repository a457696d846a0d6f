"""Seeded parity with real Keras 3 (torch backend, CPU), with no weights copied between them:
after the same `set_random_seed`, initializers, freshly built models and shuffled fits give
Keras's numbers. Each test seeds both libraries itself, so test order does not matter."""
import numpy as np
import pytest

import keraslite
from compat_tests.conftest import keras

SEEDS = [0, 1, 1234]
INITIALIZERS = ["RandomUniform", "RandomNormal", "TruncatedNormal", "GlorotUniform", "GlorotNormal", "HeUniform",
                "HeNormal", "LecunUniform", "LecunNormal", "VarianceScaling", "Orthogonal"]
SHAPES = [(7, 5), (3, 3, 4, 8), (5, 12), (12, 5), (10,)]


def _np(value):
    return keras.ops.convert_to_numpy(value)


@pytest.mark.parametrize("explicit_seed", [None, 42])
@pytest.mark.parametrize("name", INITIALIZERS)
@pytest.mark.parametrize("seed", SEEDS)
def test_initializer_matches_keras(seed, name, explicit_seed):
    for shape in SHAPES:
        if name == "Orthogonal" and len(shape) < 2:
            continue
        keras.utils.set_random_seed(seed)
        theirs = _np(getattr(keras.initializers, name)(seed=explicit_seed)(shape, dtype="float32"))
        keraslite.utils.set_random_seed(seed)
        ours = getattr(keraslite.initializers, name)(seed=explicit_seed)(shape, dtype="float32").numpy()
        np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-7, err_msg=f"{name} {shape}")


def test_unseeded_initializers_draw_in_construction_order():
    # Two initializers made one after the other get different seeds; each repeats its own numbers.
    # (Both libraries draw from the same Python `random`, so each is seeded right before use.)
    keras.utils.set_random_seed(5)
    ka, kb = keras.initializers.GlorotUniform(), keras.initializers.RandomNormal()
    keraslite.utils.set_random_seed(5)
    la, lb = keraslite.initializers.GlorotUniform(), keraslite.initializers.RandomNormal()
    for k, lite in ((ka, la), (kb, lb)):
        first = lite((4, 3)).numpy()
        np.testing.assert_allclose(first, _np(k((4, 3), dtype="float32")), rtol=0, atol=1e-7)
        np.testing.assert_array_equal(first, lite((4, 3)).numpy())
    assert la.get_config()["seed"] is None


def test_initializers_get_by_name_draws_like_keras():
    names = ("glorot_uniform", "uniform", "orthogonal")
    keras.utils.set_random_seed(11)
    theirs = [_np(keras.initializers.get(n)((6, 4), dtype="float32")) for n in names]
    keraslite.utils.set_random_seed(11)
    ours = [keraslite.initializers.get(n)((6, 4), dtype="float32").numpy() for n in names]
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-7)


def _model_factories(m):
    L = m.layers
    return {
        "dense_mlp": lambda: m.Sequential([m.Input((10,)), L.Dense(16, activation="relu"), L.Dense(8), L.Dense(1)]),
        "conv2d_batchnorm": lambda: m.Sequential([m.Input((12, 12, 3)), L.Conv2D(4, 3), L.BatchNormalization(),
                                                  L.Flatten(), L.Dense(5)]),
        "conv1d_random_bias": lambda: m.Sequential([m.Input((20, 3)),
                                                    L.Conv1D(4, 3, bias_initializer="random_normal"),
                                                    L.GlobalAveragePooling1D(), L.Dense(2)]),
        "embedding_lstm": lambda: m.Sequential([m.Input((7,), dtype="int32"), L.Embedding(50, 8), L.LSTM(6),
                                                L.Dense(1)]),
        "gru": lambda: m.Sequential([m.Input((5, 4)), L.GRU(6, return_sequences=True), L.GRU(3), L.Dense(1)]),
        "simple_rnn": lambda: m.Sequential([m.Input((5, 4)), L.SimpleRNN(6), L.Dense(1)]),
        "dropout_between": lambda: m.Sequential([m.Input((10,)), L.Dense(16), L.Dropout(0.3), L.Dense(8),
                                                 L.Dropout(0.2, seed=3), L.GaussianNoise(0.1), L.Dense(1)]),
        "explicit_initializers": lambda: m.Sequential([
            m.Input((10,)), L.Dense(16, kernel_initializer="he_normal", bias_initializer=m.initializers.RandomUniform()),
            L.Dense(4, kernel_initializer=m.initializers.Orthogonal(seed=5))]),
        "bidirectional_lstm": lambda: m.Sequential([m.Input((5, 4)), L.Bidirectional(L.LSTM(3)), L.Dense(1)]),
        "separable_depthwise_transpose": lambda: m.Sequential([
            m.Input((8, 8, 3)), L.SeparableConv2D(4, 3), L.DepthwiseConv2D(3), L.Conv2DTranspose(2, 3),
            L.Flatten(), L.Dense(1)]),
    }


@pytest.mark.parametrize("seed", [0, 7])
@pytest.mark.parametrize("kind", list(_model_factories(keraslite)))
def test_seeded_model_weights_match_keras(kind, seed):
    keras.utils.set_random_seed(seed)
    theirs = [np.asarray(w) for w in _model_factories(keras)[kind]().get_weights()]
    keraslite.utils.set_random_seed(seed)
    ours = _model_factories(keraslite)[kind]().get_weights()
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs):
        assert a.shape == b.shape
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-7)


def _seeded_fit(m, seed, optimizer, shuffle, dropout, validation_split):
    m.utils.set_random_seed(seed)
    rs = np.random.RandomState(0)
    x = rs.randn(100, 6).astype("float32")
    y = rs.randn(100, 1).astype("float32")
    L = m.layers
    layers = [m.Input((6,)), L.Dense(12, activation="relu")]
    if dropout:
        layers.append(L.Dropout(0.3))
    model = m.Sequential(layers + [L.Dense(1)])
    model.compile(optimizer=optimizer, loss="mse")
    first = model.fit(x, y, batch_size=16, epochs=3, shuffle=shuffle, verbose=0, validation_split=validation_split)
    second = model.fit(x, y, batch_size=16, epochs=2, shuffle=shuffle, verbose=0)
    losses = first.history["loss"] + second.history["loss"]
    return losses, first.history.get("val_loss"), [np.asarray(w) for w in model.get_weights()]


@pytest.mark.parametrize("validation_split", [0.0, 0.2])
@pytest.mark.parametrize("dropout", [False, True], ids=["plain", "dropout"])
@pytest.mark.parametrize("shuffle", [True, "batch"], ids=["shuffle", "batch"])
@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_seeded_shuffled_fit_matches_keras(optimizer, shuffle, dropout, validation_split):
    # 100 samples in batches of 16: the last batch is partial; two fits in a row check that the
    # global generator stays in step across fits as well as epochs.
    theirs, their_val, their_w = _seeded_fit(keras, 3, optimizer, shuffle, dropout, validation_split)
    ours, our_val, our_w = _seeded_fit(keraslite, 3, optimizer, shuffle, dropout, validation_split)
    np.testing.assert_allclose(ours, theirs, rtol=1e-5)
    if validation_split:
        np.testing.assert_allclose(our_val, their_val, rtol=1e-5)
    for a, b in zip(our_w, their_w):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_shuffled_order_is_keras_order():
    # The samples each batch sees, epoch after epoch: record them through the loss's y_true.
    def order(m):
        m.utils.set_random_seed(21)
        x = np.zeros((37, 1), "float32")
        y = np.arange(37, dtype="float32")[:, None]
        seen = []

        def loss(y_true, y_pred):
            seen.append(np.asarray(keras.ops.convert_to_numpy(y_true)).ravel().astype(int).tolist()
                        if m is keras else y_true.detach().cpu().numpy().ravel().astype(int).tolist())
            return ((y_pred - y_true) ** 2).mean()

        model = m.Sequential([m.Input((1,)), m.layers.Dense(1)])
        model.compile(optimizer="sgd", loss=loss, run_eagerly=True)
        model.fit(x, y, batch_size=8, epochs=3, shuffle=True, verbose=0)
        return [b for b in seen if len(b) > 0]

    theirs = order(keras)
    ours = order(keraslite)
    assert sorted(sum(ours[-5:], [])) == list(range(37))
    assert ours[-15:] == theirs[-15:]


_RNN_DROPOUT_CASES = {
    "lstm_input": lambda L: L.LSTM(6, dropout=0.3),
    "lstm_recurrent": lambda L: L.LSTM(6, recurrent_dropout=0.3),
    "lstm_both": lambda L: L.LSTM(6, dropout=0.2, recurrent_dropout=0.3),
    "lstm_seeded": lambda L: L.LSTM(6, dropout=0.2, recurrent_dropout=0.2, seed=5),
    "gru_both": lambda L: L.GRU(6, dropout=0.2, recurrent_dropout=0.3),
    "gru_reset_before": lambda L: L.GRU(6, dropout=0.2, recurrent_dropout=0.3, reset_after=False),
    "gru_seeded_recurrent": lambda L: L.GRU(6, recurrent_dropout=0.3, seed=9),
    "simple_rnn_both": lambda L: L.SimpleRNN(6, dropout=0.2, recurrent_dropout=0.2),
    "stacked_cells": lambda L: L.RNN([L.LSTMCell(5, dropout=0.2, recurrent_dropout=0.2),
                                      L.GRUCell(4, dropout=0.3, recurrent_dropout=0.1),
                                      L.SimpleRNNCell(3, recurrent_dropout=0.2)]),
    "bidirectional": lambda L: L.Bidirectional(L.LSTM(4, dropout=0.2, recurrent_dropout=0.2)),
}


def _seeded_rnn_fit(m, make):
    m.utils.set_random_seed(3)
    rs = np.random.RandomState(0)
    x = rs.randn(40, 5, 4).astype("float32")
    y = rs.randn(40, 1).astype("float32")
    model = m.Sequential([m.Input((5, 4)), make(m.layers), m.layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    # validation runs the RNN in inference between epochs: Keras draws (unused) masks there too
    history = model.fit(x, y, batch_size=8, epochs=3, shuffle=True, verbose=0, validation_split=0.25)
    return history.history["loss"] + history.history["val_loss"], [np.asarray(w) for w in model.get_weights()]


@pytest.mark.parametrize("kind", list(_RNN_DROPOUT_CASES))
def test_seeded_rnn_dropout_fit_matches_keras(kind):
    # LSTM and GRU cells with recurrent dropout run Keras's implementation 1: one mask per gate
    # for the inputs and one per gate for the hidden state, drawn once per sequence.
    theirs, their_w = _seeded_rnn_fit(keras, _RNN_DROPOUT_CASES[kind])
    ours, our_w = _seeded_rnn_fit(keraslite, _RNN_DROPOUT_CASES[kind])
    np.testing.assert_allclose(ours, theirs, rtol=1e-5)
    for a, b in zip(our_w, their_w):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def _steps_fit(m, steps_per_epoch, shuffle, validation_steps, dropout):
    import warnings

    m.utils.set_random_seed(3)
    rs = np.random.RandomState(0)
    x = rs.randn(40, 4).astype("float32")
    y = rs.randn(40, 1).astype("float32")
    L = m.layers
    model = m.Sequential([m.Input((4,)), L.Dense(5)] + ([L.Dropout(0.3)] if dropout else []) + [L.Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        history = model.fit(x, y, batch_size=8, epochs=4, shuffle=shuffle, verbose=0, steps_per_epoch=steps_per_epoch,
                            validation_data=(x[:20], y[:20]) if validation_steps else None,
                            validation_steps=validation_steps)
        evaluated = model.evaluate(x, y, batch_size=8, steps=3, verbose=0)
    ran_out = sum("ran out of data" in str(w.message) for w in caught)
    return history.history["loss"] + history.history.get("val_loss", []) + [evaluated], ran_out


@pytest.mark.parametrize("dropout", [False, True], ids=["plain", "dropout"])
@pytest.mark.parametrize("validation_steps", [None, 2])
@pytest.mark.parametrize("shuffle", [True, False])
@pytest.mark.parametrize("steps_per_epoch", [3, 7])
def test_steps_per_epoch_fit_matches_keras(steps_per_epoch, shuffle, validation_steps, dropout):
    # 5 batches of data. Fewer steps: a pass over the data carries on into the next epoch, which
    # ends when the pass runs out. More steps: each epoch ends when the data runs out. Keras warns
    # each time; validation and evaluate start a new pass every time.
    theirs, their_warnings = _steps_fit(keras, steps_per_epoch, shuffle, validation_steps, dropout)
    ours, our_warnings = _steps_fit(keraslite, steps_per_epoch, shuffle, validation_steps, dropout)
    np.testing.assert_allclose(ours, theirs, rtol=1e-5)
    assert our_warnings == their_warnings


def _source_fit(m, kind):
    import warnings

    import torch

    rs = np.random.RandomState(0)
    x = rs.randn(40, 4).astype("float32")
    y = rs.randn(40, 1).astype("float32")

    def endless():
        while True:
            for i in range(0, 40, 8):
                yield x[i:i + 8], y[i:i + 8]

    class Batches(m.utils.PyDataset):
        def __len__(self):
            return 5

        def __getitem__(self, i):
            return x[i * 8:(i + 1) * 8], y[i * 8:(i + 1) * 8]

    m.utils.set_random_seed(3)
    L = m.layers
    model = m.Sequential([m.Input((4,)), L.Dense(5), L.Dropout(0.3), L.Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if kind == "generator_steps":
            history = model.fit(endless(), steps_per_epoch=5, epochs=3, verbose=0)
        elif kind == "finite_generator":
            history = model.fit(((x[i:i + 8], y[i:i + 8]) for i in range(0, 40, 8)), epochs=1, verbose=0)
        elif kind == "pydataset":
            history = model.fit(Batches(), epochs=3, verbose=0, validation_data=Batches())
        elif kind == "pydataset_steps":
            history = model.fit(Batches(), epochs=3, steps_per_epoch=3, verbose=0)
        else:
            loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(torch.from_numpy(x), torch.from_numpy(y)),
                                                 batch_size=8, shuffle=True)
            history = model.fit(loader, epochs=3, verbose=0, validation_data=Batches())
    return sum((history.history[k] for k in sorted(history.history)), []), [np.asarray(w) for w in model.get_weights()]


@pytest.mark.parametrize("kind", ["generator_steps", "finite_generator", "pydataset", "pydataset_steps",
                                  "dataloader"])
def test_seeded_fit_on_generators_and_datasets_matches_keras(kind):
    # Keras runs every source through torch DataLoaders (one base-seed draw from torch's global
    # generator per pass) and shuffles a PyDataset's batch order with Python's random; with
    # Dropout drawing from the same generator, any difference in those draws changes the losses.
    theirs, their_w = _source_fit(keras, kind)
    ours, our_w = _source_fit(keraslite, kind)
    np.testing.assert_allclose(ours, theirs, rtol=1e-5)
    for a, b in zip(our_w, their_w):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
