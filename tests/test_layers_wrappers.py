import numpy as np
import pytest
import torch

from keraslite import layers
from tests.contract import check_layer_contract, make_input

SHAPE = (2, 4, 3)  # (batch, time, features)

CASES = [
    ("bidi_lstm_concat", lambda: layers.Bidirectional(layers.LSTM(3)), SHAPE),
    ("bidi_gru_sum_seq", lambda: layers.Bidirectional(layers.GRU(3, return_sequences=True), merge_mode="sum"), SHAPE),
    ("bidi_rnn_mul", lambda: layers.Bidirectional(layers.SimpleRNN(2), merge_mode="mul"), SHAPE),
    ("bidi_lstm_ave_seq", lambda: layers.Bidirectional(layers.LSTM(2, return_sequences=True), merge_mode="ave"),
     SHAPE),
    ("bidi_none", lambda: layers.Bidirectional(layers.GRU(2), merge_mode=None), SHAPE),
    ("bidi_states", lambda: layers.Bidirectional(layers.LSTM(2, return_state=True)), SHAPE),
    ("bidi_none_states_seq", lambda: layers.Bidirectional(layers.GRU(2, return_state=True, return_sequences=True),
                                                          merge_mode=None), SHAPE),
    ("bidi_custom_backward", lambda: layers.Bidirectional(
        layers.LSTM(3, return_sequences=True),
        backward_layer=layers.GRU(2, return_sequences=True, go_backwards=True)), SHAPE),
    ("time_distributed_dense", lambda: layers.TimeDistributed(layers.Dense(5, activation="relu")), SHAPE),
    ("time_distributed_4d", lambda: layers.TimeDistributed(layers.Dense(2)), (2, 3, 4, 5)),
    ("spectral_norm_dense", lambda: layers.SpectralNormalization(layers.Dense(4)), (3, 5)),
    ("spectral_norm_conv2d", lambda: layers.SpectralNormalization(layers.Conv2D(2, 3), power_iterations=2),
     (2, 5, 5, 3)),
]


@pytest.mark.parametrize("name,factory,shape", CASES, ids=[c[0] for c in CASES])
def test_contract(name, factory, shape):
    check_layer_contract(factory, shape)


def test_bidirectional_is_forward_and_reversed_backward():
    layer = layers.Bidirectional(layers.GRU(3, return_sequences=True))
    x = make_input(SHAPE)
    out = layer(x).detach().numpy()
    fwd = layer.forward_layer(x).detach().numpy()
    bwd = layer.backward_layer(x).detach().numpy()[:, ::-1]  # backward outputs come in reversed time
    np.testing.assert_allclose(out, np.concatenate([fwd, bwd], axis=-1), atol=1e-6)
    # ... and the backward layer reads the sequence from the end.
    rev = layer.forward_layer.__class__.from_config({**layer.forward_layer.get_config(), "name": "probe"})
    rev(x)
    rev.set_weights(layer.backward_layer.get_weights())
    np.testing.assert_allclose(bwd[:, ::-1], rev(x.flip(1)).detach().numpy(), atol=1e-6)


def test_bidirectional_weights_order_and_names():
    inner = layers.LSTM(3, name="enc")
    layer = layers.Bidirectional(inner)
    layer(make_input(SHAPE))
    assert layer.forward_layer.name == "forward_enc" and layer.backward_layer.name == "backward_enc"
    assert layer.backward_layer.go_backwards and not layer.forward_layer.go_backwards
    names = [w.path for w in layer.weights]
    assert names[:3] == ["forward_enc/lstm_cell/kernel", "forward_enc/lstm_cell/recurrent_kernel",
                         "forward_enc/lstm_cell/bias"]
    assert names[3:] == ["backward_enc/lstm_cell/kernel", "backward_enc/lstm_cell/recurrent_kernel",
                         "backward_enc/lstm_cell/bias"]
    weights = [np.full(w.shape, i, dtype="float32") for i, w in enumerate(layer.get_weights())]
    layer.set_weights(weights)
    np.testing.assert_array_equal(layer.backward_layer.get_weights()[0], weights[3])


def test_bidirectional_initial_state_split_in_halves():
    layer = layers.Bidirectional(layers.GRU(3))
    x = make_input(SHAPE)
    h_f, h_b = make_input((2, 3), seed=1), make_input((2, 3), seed=2)
    out = layer(x, initial_state=[h_f, h_b]).detach().numpy()
    fwd = layer.forward_layer(x, initial_state=[h_f]).detach().numpy()
    bwd = layer.backward_layer(x, initial_state=[h_b]).detach().numpy()
    np.testing.assert_allclose(out, np.concatenate([fwd, bwd], -1), atol=1e-6)


def test_bidirectional_mask_and_output_mask():
    x = make_input(SHAPE)
    x._keras_mask = torch.tensor([[True, True, False, False], [True, True, True, True]])
    out = layers.Bidirectional(layers.LSTM(2, return_sequences=True))(x)
    assert torch.equal(out._keras_mask, x._keras_mask)
    out = out.detach().numpy()
    np.testing.assert_array_equal(out[0, 2:], np.zeros((2, 4)))  # Keras zeroes masked steps in Bidirectional
    assert getattr(layers.Bidirectional(layers.LSTM(2))(x), "_keras_mask", None) is None


def test_bidirectional_weights_argument():
    ref = layers.Bidirectional(layers.SimpleRNN(2))
    x = make_input(SHAPE)
    ref(x)
    copy = layers.Bidirectional(layers.SimpleRNN(2), weights=ref.get_weights())
    np.testing.assert_allclose(copy(x).detach().numpy(), ref(x).detach().numpy(), atol=1e-6)


def test_bidirectional_stateful_reset():
    layer = layers.Bidirectional(layers.LSTM(2, stateful=True))
    x = make_input(SHAPE)
    first = layer(x).detach().numpy()
    assert not np.allclose(layer(x).detach().numpy(), first)
    layer.reset_states()
    np.testing.assert_allclose(layer(x).detach().numpy(), first, atol=1e-6)
    with pytest.raises(AttributeError, match="must be stateful"):
        layers.Bidirectional(layers.LSTM(2)).reset_states()


def test_bidirectional_takes_inner_input_shape():
    layer = layers.Bidirectional(layers.LSTM(2, input_shape=(4, 3)))
    assert layer._batch_input_shape == (None, 4, 3)


def test_bidirectional_errors():
    with pytest.raises(ValueError, match="merge_mode"):
        layers.Bidirectional(layers.LSTM(2), merge_mode="max")
    with pytest.raises(ValueError, match="Layer instance"):
        layers.Bidirectional("lstm")
    with pytest.raises(ValueError, match="go_backwards"):
        layers.Bidirectional(layers.LSTM(2), backward_layer=layers.LSTM(2))
    with pytest.raises(ValueError, match="return_sequences"):
        layers.Bidirectional(layers.LSTM(2), backward_layer=layers.LSTM(2, go_backwards=True, return_sequences=True))
    with pytest.raises(ValueError, match=r"bidirectional.*ndim=3.*\(2, 3\)"):
        layers.Bidirectional(layers.LSTM(2))(torch.zeros(2, 3))


def test_time_distributed_equals_per_step_application():
    dense = layers.Dense(3)
    layer = layers.TimeDistributed(dense)
    x = make_input((2, 4, 5))
    out = layer(x).detach().numpy()
    for t in range(4):
        np.testing.assert_allclose(out[:, t], dense(x[:, t]).detach().numpy(), atol=1e-6)
    assert layer.compute_output_shape((None, 4, 5)) == (None, 4, 3)
    assert [w.path for w in layer.weights] == [w.path for w in dense.weights]


def test_time_distributed_passes_mask_through():
    x = make_input((2, 4, 5))
    x._keras_mask = torch.tensor([[True, False, True, True], [True, True, False, False]])
    out = layers.TimeDistributed(layers.Dense(2))(x)
    assert torch.equal(out._keras_mask, x._keras_mask)


def test_time_distributed_errors():
    with pytest.raises(ValueError, match="Layer instance"):
        layers.TimeDistributed(lambda x: x)
    with pytest.raises(ValueError, match=r"time_distributed.*at least 3 dimensions.*\(2, 5\)"):
        layers.TimeDistributed(layers.Dense(2))(torch.zeros(2, 5))


def test_keras1_time_distributed_dense():
    """TimeDistributedDense(output_dim, init=, W_regularizer=, input_dim=, input_length=) is a Dense at
    every timestep: Keras 1.1's own advice, TimeDistributed(Dense(...))."""
    import keraslite
    from keraslite import regularizers

    layer = layers.TimeDistributedDense(5, init="zeros", activation="relu", W_regularizer=regularizers.l2(0.1),
                                        input_dim=3, input_length=4, name="tdd")
    assert isinstance(layer, layers.TimeDistributed) and isinstance(layer.layer, layers.Dense)
    assert layer.name == "tdd" and layer.layer.units == 5
    model = keraslite.Sequential([layer])
    assert model.input_shape == (None, 4, 3) and model.output_shape == (None, 4, 5)
    rng = np.random.default_rng(0)
    kernel, bias = rng.standard_normal((3, 5)).astype("float32"), rng.standard_normal(5).astype("float32")
    layer.set_weights([kernel, bias])
    x = rng.standard_normal((2, 4, 3)).astype("float32")
    np.testing.assert_allclose(model.predict(x, verbose=0), np.maximum(x @ kernel + bias, 0), rtol=1e-5, atol=1e-6)
    assert layer.layer.kernel_regularizer.l2 == 0.1
    assert layers.TimeDistributedDense(2).layer.activation.__name__ == "linear"


# ----------------------------------------------------------------------------- SpectralNormalization

def test_spectral_normalization_weights_order_and_shapes():
    layer = layers.SpectralNormalization(layers.Dense(3, name="d"), name="sn")
    layer.build((None, 4))
    assert [w.path for w in layer.weights] == ["sn/d/kernel", "sn/vector_u", "sn/d/bias"]
    assert [tuple(w.shape) for w in layer.get_weights()] == [(4, 3), (1, 3), (3,)]
    assert [w.path for w in layer.trainable_weights] == ["sn/d/kernel", "sn/d/bias"]
    assert [w.path for w in layer.non_trainable_weights] == ["sn/vector_u"]
    assert layer.count_params() == 4 * 3 + 3 + 3


def test_spectral_normalization_training_divides_kernel_by_its_largest_singular_value():
    layer = layers.SpectralNormalization(layers.Dense(6), power_iterations=30)
    x = make_input((4, 5))
    inference = layer(x)
    kernel = layer.layer.kernel.keras_value().detach().clone()
    np.testing.assert_allclose(inference.detach().numpy(), layer.layer(x).detach().numpy())  # untouched
    assert torch.equal(layer.layer.kernel.keras_value(), kernel)
    out = layer(x, training=True)
    sigma = torch.linalg.matrix_norm(kernel, ord=2)
    np.testing.assert_allclose(layer.layer.kernel.keras_value().detach().numpy(), (kernel / sigma).numpy(),
                               rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(torch.linalg.matrix_norm(layer.layer.kernel.keras_value(), ord=2).item(), 1.0,
                               rtol=1e-4)
    np.testing.assert_allclose(out.detach().numpy(), layer.layer(x).detach().numpy(), rtol=1e-6)


def test_spectral_normalization_leaves_zero_kernel_and_embeddings():
    layer = layers.SpectralNormalization(layers.Dense(3, kernel_initializer="zeros"))
    x = make_input((2, 4))
    layer(x)
    u = layer.vector_u.detach().clone()
    layer(x, training=True)
    assert torch.equal(layer.vector_u, u) and torch.all(layer.layer.kernel == 0)
    emb = layers.SpectralNormalization(layers.Embedding(10, 4))
    out = emb(torch.tensor([[1, 2, 3]]), training=True)
    assert out.shape == (1, 3, 4) and out.is_floating_point()
    assert [w.name for w in emb.weights] == ["embeddings", "vector_u"]


def test_spectral_normalization_config_round_trip():
    layer = layers.SpectralNormalization(layers.Conv1D(2, 3, name="c"), power_iterations=3, name="sn")
    config = layer.get_config()
    assert config["power_iterations"] == 3 and config["layer"]["class_name"] == "Conv1D"
    clone = layers.SpectralNormalization.from_config(config)
    assert clone.power_iterations == 3 and clone.layer.filters == 2 and clone.name == "sn"
    x = make_input((2, 6, 4))
    layer(x)
    clone(x)
    clone.set_weights(layer.get_weights())
    np.testing.assert_allclose(clone(x).detach().numpy(), layer(x).detach().numpy())


def test_spectral_normalization_errors():
    with pytest.raises(ValueError, match="power_iterations.*greater than zero.*0"):
        layers.SpectralNormalization(layers.Dense(2), power_iterations=0)
    with pytest.raises(ValueError, match="Wrapper|Layer instance"):
        layers.SpectralNormalization("dense")
    with pytest.raises(ValueError, match=r"'sn'.*Flatten 'f' has no attribute 'kernel' nor 'embeddings'"):
        layers.SpectralNormalization(layers.Flatten(name="f"), name="sn").build((None, 3, 2))
    layer = layers.SpectralNormalization(layers.Dense(2), name="sn2")
    layer(make_input((2, 4)))
    with pytest.raises(ValueError, match=r"sn2.*expected axis -1 of input shape to have value 4.*\(2, 5\)"):
        layer(make_input((2, 5)))
