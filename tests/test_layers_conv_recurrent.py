"""ConvLSTM1D/2D/3D and their cells: the layer contract for every rank and option, shapes,
weight layouts, masks, states, input checks, and model files."""
import numpy as np
import pytest
import torch

import keraslite
from keraslite import layers
from tests.contract import check_layer_contract, make_input

CASES = [
    ("1d", lambda: layers.ConvLSTM1D(3, 3), (2, 4, 8, 2)),
    ("1d_same_seq", lambda: layers.ConvLSTM1D(3, 3, padding="same", return_sequences=True), (2, 4, 8, 2)),
    ("1d_strided_state", lambda: layers.ConvLSTM1D(2, 2, strides=2, return_state=True), (2, 3, 9, 1)),
    ("1d_channels_first", lambda: layers.ConvLSTM1D(2, 3, data_format="channels_first"), (2, 3, 2, 7)),
    ("2d", lambda: layers.ConvLSTM2D(3, 3), (2, 4, 6, 5, 2)),
    ("2d_same_seq", lambda: layers.ConvLSTM2D(3, (3, 3), padding="same", return_sequences=True), (2, 4, 6, 6, 1)),
    ("2d_strided_same", lambda: layers.ConvLSTM2D(2, 2, strides=2, padding="same"), (2, 3, 7, 6, 2)),
    ("2d_dilated", lambda: layers.ConvLSTM2D(2, 3, dilation_rate=2, return_sequences=True), (2, 3, 7, 7, 2)),
    ("2d_state_backwards", lambda: layers.ConvLSTM2D(2, 3, go_backwards=True, return_sequences=True,
                                                     return_state=True), (2, 3, 5, 5, 2)),
    ("2d_channels_first", lambda: layers.ConvLSTM2D(3, 3, padding="same", data_format="channels_first",
                                                    return_sequences=True), (2, 3, 2, 5, 6)),
    ("2d_no_bias_slow_acts", lambda: layers.ConvLSTM2D(2, 3, use_bias=False, activation="relu",
                                                       recurrent_activation="hard_sigmoid"), (2, 3, 5, 5, 1)),
    ("2d_dropout", lambda: layers.ConvLSTM2D(2, 3, dropout=0.3, recurrent_dropout=0.3, seed=1), (2, 3, 5, 5, 2)),
    ("2d_regularized", lambda: layers.ConvLSTM2D(2, 3, kernel_regularizer="l2", recurrent_constraint="max_norm",
                                                 activity_regularizer="l1"), (2, 3, 5, 5, 2)),
    ("3d", lambda: layers.ConvLSTM3D(2, 2), (2, 3, 4, 5, 4, 1)),
    ("3d_same_seq_state", lambda: layers.ConvLSTM3D(2, 3, padding="same", return_sequences=True,
                                                    return_state=True), (1, 2, 4, 4, 3, 2)),
    ("rnn_over_2d_cell", lambda: layers.RNN(layers.ConvLSTM2DCell(2, 3, strides=2), return_sequences=True,
                                            return_state=True), (2, 3, 7, 6, 2)),
    ("rnn_over_1d_cell", lambda: layers.RNN(layers.ConvLSTM1DCell(2, 3, padding="same"), go_backwards=True),
     (2, 3, 7, 2)),
]


@pytest.mark.parametrize("name,factory,shape", CASES, ids=[c[0] for c in CASES])
def test_contract(name, factory, shape):
    check_layer_contract(factory, shape)


@pytest.mark.parametrize("layer,shape,expected", [
    (lambda: layers.ConvLSTM1D(4, 3), (2, 5, 10, 3), (2, 8, 4)),
    (lambda: layers.ConvLSTM1D(4, 3, strides=2, padding="same", return_sequences=True), (2, 5, 10, 3),
     (2, 5, 5, 4)),
    (lambda: layers.ConvLSTM2D(4, (3, 2)), (2, 5, 8, 7, 3), (2, 6, 6, 4)),
    (lambda: layers.ConvLSTM2D(4, 3, strides=2, padding="same"), (2, 5, 9, 8, 3), (2, 5, 4, 4)),
    (lambda: layers.ConvLSTM2D(4, 3, strides=(2, 3), return_sequences=True), (2, 5, 9, 8, 3), (2, 5, 4, 2, 4)),
    (lambda: layers.ConvLSTM2D(4, 3, data_format="channels_first", return_sequences=True), (2, 5, 3, 9, 8),
     (2, 5, 4, 7, 6)),
    (lambda: layers.ConvLSTM3D(4, 2), (1, 2, 4, 5, 6, 1), (1, 3, 4, 5, 4)),
    (lambda: layers.ConvLSTM3D(4, 3, padding="same", return_sequences=True), (1, 2, 4, 5, 6, 1),
     (1, 2, 4, 5, 6, 4)),
])
def test_output_shapes(layer, shape, expected):
    layer = layer()
    out = layer(make_input(shape))
    assert tuple(out.shape) == expected
    assert tuple(layer.compute_output_shape((None,) + shape[1:]))[1:] == expected[1:]


def test_return_state_shapes_and_last_output():
    layer = layers.ConvLSTM2D(3, 3, padding="same", return_sequences=True, return_state=True)
    seq, h, c = layer(make_input((2, 4, 5, 6, 2)))
    assert tuple(seq.shape) == (2, 4, 5, 6, 3)
    assert tuple(h.shape) == tuple(c.shape) == (2, 5, 6, 3)
    torch.testing.assert_close(seq[:, -1], h)


def test_weights_in_keras_layout():
    layer = layers.ConvLSTM2D(5, (3, 2))
    layer(make_input((2, 3, 6, 6, 4)))
    kernel, recurrent, bias = layer.get_weights()
    assert kernel.shape == (3, 2, 4, 20) and recurrent.shape == (3, 2, 5, 20) and bias.shape == (20,)
    assert [w.path for w in layer.weights] == [f"{layer.name}/conv_lstm_cell/{n}"
                                               for n in ("kernel", "recurrent_kernel", "bias")]
    # unit_forget_bias: the forget block (second of i, f, c, o) starts at 1, the others at 0.
    np.testing.assert_array_equal(bias, np.r_[np.zeros(5), np.ones(5), np.zeros(10)])
    assert layer.cell.kernel.size() == (20, 4, 3, 2)  # stored as the torch conv weight
    layer1 = layers.ConvLSTM1D(2, 3)
    layer1(make_input((2, 3, 6, 4)))
    assert [w.shape for w in layer1.get_weights()] == [(3, 4, 8), (3, 2, 8), (8,)]


def test_matches_a_hand_written_step():
    """One timestep by hand with torch's conv2d and Keras's gate order (i, f, c, o)."""
    layer = layers.ConvLSTM2D(2, 3, padding="same", return_state=True)
    x = make_input((1, 1, 5, 5, 1))
    _, h, c = layer(x)
    kernel, _, bias = (torch.as_tensor(w) for w in layer.get_weights())
    z = torch.nn.functional.conv2d(x[:, 0].permute(0, 3, 1, 2), kernel.permute(3, 2, 0, 1), bias, padding=1)
    i, f, g, o = z.permute(0, 2, 3, 1).chunk(4, dim=-1)
    c_ref = torch.sigmoid(i) * torch.tanh(g)  # c0 = 0, h0 = 0
    torch.testing.assert_close(c, c_ref)
    torch.testing.assert_close(h, torch.sigmoid(o) * torch.tanh(c_ref))


def test_cell_in_generic_rnn_equals_the_layer():
    x = make_input((2, 4, 5, 5, 2))
    layer = layers.ConvLSTM2D(3, 3, padding="same", return_sequences=True, go_backwards=True)
    rnn = layers.RNN(layers.ConvLSTM2DCell(3, 3, padding="same"), return_sequences=True, go_backwards=True)
    out = layer(x)
    rnn(x)
    rnn.set_weights(layer.get_weights())
    torch.testing.assert_close(rnn(x), out)


def test_cell_called_alone():
    cell = layers.ConvLSTM2DCell(3, 3)
    x = make_input((2, 6, 6, 2))
    cell.build(tuple(x.shape))
    states = cell.get_initial_state(batch_size=2)
    assert [tuple(s.shape) for s in states] == [(2, 4, 4, 3)] * 2
    h, (h2, c) = cell(x, states)
    assert tuple(h.shape) == (2, 4, 4, 3) and h2 is h and tuple(c.shape) == (2, 4, 4, 3)


def test_masked_steps_keep_previous_output_and_state():
    x = make_input((2, 4, 5, 5, 1))
    mask = torch.tensor([[True, True, False, False], [True, False, True, True]])
    layer = layers.ConvLSTM2D(2, 3, return_sequences=True, return_state=True)
    seq, h, c = layer(x, mask=mask)
    torch.testing.assert_close(seq[0, 2], seq[0, 1])
    torch.testing.assert_close(seq[0, 3], seq[0, 1])
    torch.testing.assert_close(h[0], seq[0, 1])
    # sample 0 alone on its two valid steps gives the same final states
    short_seq, short_h, short_c = layer(x[:1, :2])
    torch.testing.assert_close(h[:1], short_h)
    torch.testing.assert_close(c[:1], short_c)
    # the mask passes on with return_sequences
    masked = x.clone()
    masked._keras_mask = mask
    sequences = layers.ConvLSTM2D(2, 3, return_sequences=True)
    assert torch.equal(sequences(masked)._keras_mask, mask)


def test_stateful_carries_and_resets_states():
    x = make_input((2, 3, 5, 5, 1))
    layer = layers.ConvLSTM2D(2, 3, padding="same", stateful=True)
    first = layer(x)
    second = layer(x)
    assert not torch.allclose(first, second)
    layer.reset_state()
    torch.testing.assert_close(layer(x), first)


def test_dropout_only_in_training_and_repeatable_with_seed():
    x = make_input((2, 3, 5, 5, 2))
    layer = layers.ConvLSTM2D(2, 3, dropout=0.5, recurrent_dropout=0.5, seed=3)
    clean = layer(x)
    torch.testing.assert_close(layer(x), clean)
    noisy = layer(x, training=True)
    assert not torch.allclose(noisy, clean)


@pytest.mark.parametrize("layer,shape,pattern", [
    (lambda: layers.ConvLSTM2D(2, 3), (2, 4, 6, 6),
     r"'conv_lstm2d.*' \(ConvLSTM2D\).*expected ndim=5 \(batch, time, rows, cols, channels\), found ndim=4\. "
     r"Full shape received: \(2, 4, 6, 6\).*ConvLSTM1D"),
    (lambda: layers.ConvLSTM1D(2, 3), (2, 4, 6, 6, 1), r"ConvLSTM1D.*expected ndim=4.*found ndim=5.*ConvLSTM2D"),
    (lambda: layers.ConvLSTM3D(2, 3), (2, 4, 6), r"ConvLSTM3D.*expected ndim=6.*found ndim=3.*Reshape"),
])
def test_wrong_input_rank_is_explained(layer, shape, pattern):
    with pytest.raises(ValueError, match=pattern):
        layer()(make_input(shape))


def test_wrong_frame_size_after_build_is_explained():
    layer = layers.ConvLSTM2D(2, 3)
    layer(make_input((2, 3, 6, 6, 1)))
    with pytest.raises(ValueError, match=r"built for frames of shape \(6, 6, 1\).*\(2, 3, 7, 6, 1\)"):
        layer(make_input((2, 3, 7, 6, 1)))


def test_argument_errors():
    with pytest.raises(ValueError, match="strides > 1.*dilation_rate > 1"):
        layers.ConvLSTM2D(2, 3, strides=2, dilation_rate=2)
    with pytest.raises(ValueError, match="padding"):
        layers.ConvLSTM2D(2, 3, padding="causal")
    with pytest.raises(ValueError, match="filters"):
        layers.ConvLSTM2D(0, 3)
    with pytest.raises(ValueError, match="smaller than the kernel"):
        layers.ConvLSTM2D(2, 5)(make_input((1, 2, 3, 3, 1)))
    with pytest.raises(ValueError, match="static spatial dimensions"):
        layers.ConvLSTM2D(2, 3).build((None, None, None, 8, 1))


def test_config_round_trip_keeps_every_argument():
    layer = layers.ConvLSTM3D(4, (3, 2, 1), strides=(1, 2, 1), padding="same", data_format="channels_first",
                              activation="relu", recurrent_activation="hard_sigmoid", use_bias=False,
                              unit_forget_bias=False, dropout=0.1, recurrent_dropout=0.2, seed=5,
                              return_sequences=True, return_state=True, go_backwards=True, stateful=True)
    config = layer.get_config()
    clone = layers.ConvLSTM3D.from_config(config)
    assert clone.get_config() == config
    assert clone.kernel_size == (3, 2, 1) and clone.strides == (1, 2, 1) and clone.filters == 4
    assert config["data_format"] == "channels_first" and config["seed"] == 5 and config["go_backwards"]
    serialized = keraslite.saving.serialize_keras_object(layer)
    assert serialized["class_name"] == "ConvLSTM3D" and serialized["module"] == "keras.layers"
    assert type(keraslite.saving.deserialize_keras_object(serialized)) is layers.ConvLSTM3D


def test_keras1_arguments():
    layer = layers.ConvLSTM2D(4, 3, 3, border_mode="same")
    assert layer.kernel_size == (3, 3) and layer.padding == "same"
    layer = layers.ConvLSTM2D(nb_filter=4, nb_row=3, nb_col=2, border_mode="same", dim_ordering="tf",
                              inner_activation="hard_sigmoid", forget_bias_init="one", dropout_W=0.1,
                              return_sequences=True, input_shape=(None, 8, 8, 1))
    assert (layer.filters, layer.kernel_size, layer.dropout) == (4, (3, 2), 0.1)
    assert layer.recurrent_activation is keraslite.activations.hard_sigmoid
    assert keraslite.Sequential([layer]).output_shape == (None, None, 8, 8, 4)


def test_old_module_paths_import_the_layers():
    import warnings

    from keraslite.compat import aliases

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # real keras, when imported earlier, is set aside
        aliases.install_aliases()
    try:
        from keras.layers.convolutional_recurrent import ConvLSTM2D
        from tensorflow.keras.layers import ConvLSTM1D, ConvLSTM3D

        assert ConvLSTM2D is layers.ConvLSTM2D
        assert ConvLSTM1D is layers.ConvLSTM1D and ConvLSTM3D is layers.ConvLSTM3D
    finally:
        aliases.uninstall_aliases()


def _frames_model():
    L = layers
    return keraslite.Sequential([keraslite.Input((3, 8, 8, 1)),
                                 L.ConvLSTM2D(4, 3, padding="same", return_sequences=True),
                                 L.BatchNormalization(),
                                 L.ConvLSTM2D(2, 3, padding="same", return_sequences=True),
                                 L.Conv3D(1, (3, 3, 3), activation="sigmoid", padding="same")])


@pytest.mark.parametrize("ext", ["keras", "h5"])
def test_model_file_round_trip(ext, tmp_path):
    model = _frames_model()
    model.compile(optimizer="adam", loss="binary_crossentropy")
    rng = np.random.default_rng(0)
    x = rng.uniform(size=(4, 3, 8, 8, 1)).astype("float32")
    model.fit(x, (x > 0.5).astype("float32"), epochs=1, batch_size=2, verbose=0)
    expected = model.predict(x, verbose=0)
    path = str(tmp_path / f"frames.{ext}")
    model.save(path)
    loaded = keraslite.saving.load_model(path)
    assert [type(l).__name__ for l in loaded.layers] == [type(l).__name__ for l in model.layers]
    np.testing.assert_allclose(loaded.predict(x, verbose=0), expected, atol=1e-6)
    assert loaded.layers[0].get_config() == model.layers[0].get_config()
