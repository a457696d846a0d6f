"""Parity of ConvLSTM1D/2D/3D with real Keras 3 (torch backend): outputs and returned states on
the same weights (every rank, padding, strides, dilation, channels_first, go_backwards,
masks), one SGD step's gradients, seeded construction, seeded fits with dropout, and model
files written by one library and read by the other."""
import numpy as np
import pytest
import torch

import keraslite
from compat_tests.parity import assert_close, layer_parity, random_input, to_numpy

keras = pytest.importorskip("keras")

ATOL = 1e-5

# (layer, kwargs, input shape (batch, time, *frame))
CASES = [
    ("ConvLSTM2D", {"filters": 3, "kernel_size": 3, "padding": "same", "return_sequences": True}, (2, 4, 6, 6, 2)),
    ("ConvLSTM2D", {"filters": 3, "kernel_size": 3}, (2, 4, 6, 5, 2)),
    ("ConvLSTM2D", {"filters": 3, "kernel_size": (2, 3), "strides": 2, "return_state": True}, (2, 3, 7, 6, 2)),
    ("ConvLSTM2D", {"filters": 2, "kernel_size": 2, "padding": "same", "strides": (2, 1),
                    "return_sequences": True, "return_state": True}, (2, 3, 5, 6, 3)),
    ("ConvLSTM2D", {"filters": 3, "kernel_size": 3, "dilation_rate": 2, "padding": "same"}, (2, 4, 7, 7, 2)),
    ("ConvLSTM2D", {"filters": 3, "kernel_size": 3, "go_backwards": True, "return_sequences": True},
     (2, 4, 6, 6, 2)),
    ("ConvLSTM2D", {"filters": 3, "kernel_size": 3, "data_format": "channels_first", "return_sequences": True},
     (2, 4, 2, 6, 5)),
    ("ConvLSTM2D", {"filters": 2, "kernel_size": 3, "use_bias": False, "activation": "relu",
                    "recurrent_activation": "hard_sigmoid"}, (2, 3, 5, 5, 1)),
    ("ConvLSTM1D", {"filters": 3, "kernel_size": 3, "padding": "same", "return_sequences": True}, (2, 4, 8, 2)),
    ("ConvLSTM1D", {"filters": 3, "kernel_size": 2, "strides": 2, "go_backwards": True, "return_state": True},
     (2, 4, 9, 2)),
    ("ConvLSTM1D", {"filters": 2, "kernel_size": 3, "data_format": "channels_first"}, (2, 3, 2, 7)),
    ("ConvLSTM3D", {"filters": 2, "kernel_size": 2, "padding": "same", "return_sequences": True},
     (2, 3, 4, 5, 4, 2)),
    ("ConvLSTM3D", {"filters": 2, "kernel_size": 3, "strides": 2, "return_state": True}, (1, 3, 5, 5, 6, 1)),
]


def _id(case):
    name, kwargs, _ = case
    return name + "-" + "-".join(f"{k}={v}" for k, v in kwargs.items() if k not in ("filters", "kernel_size"))


@pytest.mark.parametrize("name,kwargs,shape", CASES, ids=[_id(c) for c in CASES])
def test_conv_lstm_parity(name, kwargs, shape):
    layer_parity(getattr(keras.layers, name)(**kwargs), getattr(keraslite.layers, name)(**kwargs),
                 random_input(shape, seed=1), atol=ATOL)


def test_initial_state_parity():
    x = random_input((2, 3, 5, 5, 2), seed=2)
    h0, c0 = random_input((2, 5, 5, 3), seed=3), random_input((2, 5, 5, 3), seed=4)
    kwargs = dict(filters=3, kernel_size=3, padding="same", return_sequences=True)
    layer_parity(keras.layers.ConvLSTM2D(**kwargs), keraslite.layers.ConvLSTM2D(**kwargs), x, atol=ATOL,
                 call_kwargs={"initial_state": [torch.as_tensor(h0), torch.as_tensor(c0)]})


MASK = np.array([[True, True, True, False], [True, False, True, True]])  # padding and a gap


@pytest.mark.parametrize("kwargs", [{"return_sequences": True, "return_state": True},
                                    {"go_backwards": True, "return_sequences": True},
                                    {"zero_output_for_mask": True, "return_sequences": True}, {}],
                         ids=["seq_state", "backwards", "zero_output", "last"])
def test_masked_parity(kwargs):
    x = random_input((2, 4, 5, 5, 2), seed=5)
    k = keras.layers.ConvLSTM2D(3, 3, padding="same", **kwargs)
    lite = keraslite.layers.ConvLSTM2D(3, 3, padding="same", **kwargs)
    layer_parity(k, lite, x, atol=ATOL, call_kwargs={"mask": torch.as_tensor(MASK)})


@pytest.mark.parametrize("name,kwargs,shape", [
    ("ConvLSTM2D", {"filters": 3, "kernel_size": 3, "padding": "same", "return_sequences": True}, (2, 4, 5, 5, 2)),
    ("ConvLSTM2D", {"filters": 2, "kernel_size": 2, "strides": 2, "go_backwards": True}, (2, 3, 6, 6, 2)),
    ("ConvLSTM1D", {"filters": 3, "kernel_size": 3, "data_format": "channels_first"}, (2, 4, 2, 7)),
    ("ConvLSTM3D", {"filters": 2, "kernel_size": 2, "padding": "same"}, (2, 3, 3, 4, 3, 1)),
])
def test_sgd_step_parity(name, kwargs, shape):
    """Gradients of every weight match Keras's: one SGD step moves them the same way."""
    x = torch.as_tensor(random_input(shape, seed=6))
    k = getattr(keras.layers, name)(**kwargs)
    lite = getattr(keraslite.layers, name)(**kwargs)
    k(x)
    rng = np.random.default_rng(5)
    k.set_weights([(rng.standard_normal(w.shape) * 0.3).astype("float32") for w in k.get_weights()])
    lite(x)
    lite.set_weights(k.get_weights())
    k_out = k(x)
    target = torch.as_tensor(rng.standard_normal(tuple(k_out.shape)).astype("float32"))
    k_params = [v.value for v in k.trainable_weights]
    grads = torch.autograd.grad(((k_out - target) ** 2).mean(), k_params)
    expected = [(p.detach() - 0.1 * g).numpy() for p, g in zip(k_params, grads)]
    ((lite(x) - target) ** 2).mean().backward()
    with torch.no_grad():
        for w in lite.trainable_weights:
            w.sub_(0.1 * w.grad)
    assert len(lite.trainable_weights) == len(expected)
    assert_close(lite.get_weights(), expected, atol=ATOL)


def test_stateful_parity_across_batches():
    x1 = torch.as_tensor(random_input((2, 3, 5, 5, 1), seed=7))
    x2 = torch.as_tensor(random_input((2, 3, 5, 5, 1), seed=8))
    k = keras.layers.ConvLSTM2D(2, 3, padding="same", stateful=True)
    lite = keraslite.layers.ConvLSTM2D(2, 3, padding="same", stateful=True)
    k(x1)
    lite(x1)
    lite.set_weights(k.get_weights())
    k.reset_state()
    lite.reset_state()
    for x in (x1, x2):
        assert_close(to_numpy(lite(x)), to_numpy(k(x)), atol=ATOL)


def test_config_matches_keras():
    k_cfg = keras.layers.ConvLSTM2D(4, (3, 2), strides=2, padding="same", dropout=0.1, seed=3).get_config()
    lite_cfg = keraslite.layers.ConvLSTM2D(4, (3, 2), strides=2, padding="same", dropout=0.1, seed=3).get_config()
    assert set(k_cfg) == set(lite_cfg)
    for key in k_cfg:
        if key not in ("dtype", "kernel_initializer", "recurrent_initializer", "bias_initializer", "name"):
            assert lite_cfg[key] == k_cfg[key], key
    # Keras's own config builds the keraslite layer.
    layer = keraslite.layers.ConvLSTM2D.from_config(k_cfg)
    assert layer.kernel_size == (3, 2) and layer.strides == (2, 2) and layer.dropout == 0.1


@pytest.mark.parametrize("name,shape", [("ConvLSTM1D", (None, 6, 2)), ("ConvLSTM2D", (None, 5, 6, 2)),
                                        ("ConvLSTM3D", (None, 3, 4, 5, 1))])
@pytest.mark.parametrize("seed", [0, 7])
def test_seeded_construction_matches_keras(name, shape, seed):
    def build(m, **kwargs):
        m.utils.set_random_seed(seed)
        return m.Sequential([m.Input(shape), getattr(m.layers, name)(3, 2, **kwargs), m.layers.Flatten(),
                             m.layers.Dense(2)])

    for kwargs in ({}, {"dropout": 0.2, "unit_forget_bias": False, "bias_initializer": "random_uniform"}):
        theirs, ours = build(keras, **kwargs).get_weights(), build(keraslite, **kwargs).get_weights()
        assert [w.shape for w in ours] == [w.shape for w in theirs]
        for a, b in zip(ours, theirs):
            np.testing.assert_array_equal(a, b)


def _fit(m, make, epochs=3):
    m.utils.set_random_seed(3)
    rs = np.random.RandomState(0)
    x = rs.randn(12, 3, 6, 6, 1).astype("float32")
    y = rs.randn(12, 1).astype("float32")
    model = m.Sequential([m.Input((3, 6, 6, 1)), make(m.layers), m.layers.Flatten(), m.layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    history = model.fit(x, y, batch_size=4, epochs=epochs, shuffle=False, verbose=0)
    return history.history["loss"], [np.asarray(w) for w in model.get_weights()]


FIT_CASES = {
    "plain": lambda L: L.ConvLSTM2D(2, 3, padding="same"),
    "sequences_strided": lambda L: L.ConvLSTM2D(2, 2, strides=2, return_sequences=True),
    "dropout": lambda L: L.ConvLSTM2D(2, 3, padding="same", dropout=0.3, recurrent_dropout=0.2),
    "dropout_seeded": lambda L: L.ConvLSTM2D(2, 3, dropout=0.2, recurrent_dropout=0.3, seed=11),
}


@pytest.mark.parametrize("kind", list(FIT_CASES))
def test_fit_matches_keras(kind):
    """Same seed -> same initial weights, then 3 epochs (shuffle=False): same per-epoch losses."""
    theirs, their_w = _fit(keras, FIT_CASES[kind])
    ours, our_w = _fit(keraslite, FIT_CASES[kind])
    np.testing.assert_allclose(ours, theirs, rtol=1e-5)
    for a, b in zip(our_w, their_w):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


# ----------------------------------------------------------------------------- files

def _frames_model(K):
    L = K.layers
    return K.Sequential([K.Input((3, 6, 6, 1)),
                         L.ConvLSTM2D(3, 3, padding="same", return_sequences=True),
                         L.BatchNormalization(),
                         L.ConvLSTM2D(2, (2, 2), strides=2, return_sequences=True),
                         L.Conv3D(1, (3, 3, 3), activation="sigmoid", padding="same")])


def _randomize(model, seed):
    rng = np.random.default_rng(seed)
    new = []
    for v in model.weights:
        w = np.asarray(v.numpy())
        path = getattr(v, "path", "") or getattr(v, "name", "")
        new.append(rng.uniform(0.5, 1.5, size=w.shape).astype(w.dtype) if "variance" in path
                   else (rng.standard_normal(w.shape) * 0.5).astype(w.dtype))
    model.set_weights(new)


X_FRAMES = random_input((2, 3, 6, 6, 1), seed=9)


def _lite_predict(model):
    model.eval()
    with torch.no_grad():
        return model(torch.as_tensor(X_FRAMES)).numpy()


@pytest.mark.parametrize("ext", ["keras", "h5"])
def test_keras_file_loads_in_keraslite(ext, tmp_path):
    kmodel = _frames_model(keras)
    _randomize(kmodel, 0)
    path = str(tmp_path / f"m.{ext}")
    kmodel.save(path)
    lmodel = keraslite.saving.load_model(path, compile=False)
    np.testing.assert_allclose(_lite_predict(lmodel), kmodel.predict(X_FRAMES, verbose=0), atol=ATOL, rtol=ATOL)


@pytest.mark.parametrize("ext", ["keras", "h5"])
def test_keraslite_file_loads_in_keras(ext, tmp_path):
    lmodel = _frames_model(keraslite)
    _randomize(lmodel, 1)
    path = str(tmp_path / f"m.{ext}")
    lmodel.save(path)
    kmodel = keras.saving.load_model(path, compile=False)
    np.testing.assert_allclose(kmodel.predict(X_FRAMES, verbose=0), _lite_predict(lmodel), atol=ATOL, rtol=ATOL)


def test_weights_files_both_ways(tmp_path):
    kmodel, lmodel = _frames_model(keras), _frames_model(keraslite)
    _randomize(kmodel, 2)
    kmodel.save_weights(str(tmp_path / "k.weights.h5"))
    lmodel.load_weights(str(tmp_path / "k.weights.h5"))
    np.testing.assert_allclose(_lite_predict(lmodel), kmodel.predict(X_FRAMES, verbose=0), atol=ATOL, rtol=ATOL)
    _randomize(lmodel, 3)
    lmodel.save_weights(str(tmp_path / "l.weights.h5"))
    kmodel.load_weights(str(tmp_path / "l.weights.h5"))
    np.testing.assert_allclose(kmodel.predict(X_FRAMES, verbose=0), _lite_predict(lmodel), atol=ATOL, rtol=ATOL)


def test_functional_bidirectional_and_states_parity():
    """Bidirectional(ConvLSTM2D) into a ConvLSTM2D that returns its states, inside functional models
    whose Input leaves the time axis open."""
    def build(m):
        L = m.layers
        inp = m.Input((None, 6, 6, 1))
        y = L.Bidirectional(L.ConvLSTM2D(2, 3, padding="same", return_sequences=True))(inp)
        y, h, c = L.ConvLSTM2D(2, 3, return_state=True)(y)
        return m.Model(inp, [y, h, c])

    kmodel, lmodel = build(keras), build(keraslite)
    assert [w.shape for w in lmodel.get_weights()] == [tuple(w.shape) for w in kmodel.get_weights()]
    _randomize(kmodel, 4)
    lmodel.set_weights(kmodel.get_weights())
    x = random_input((2, 3, 6, 6, 1), seed=10)
    assert_close(lmodel.predict(x, verbose=0), kmodel.predict(x, verbose=0), atol=ATOL)
    assert lmodel.count_params() == kmodel.count_params()
