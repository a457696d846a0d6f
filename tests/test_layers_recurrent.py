import numpy as np
import pytest
import torch

import keraslite
from keraslite import layers
from keraslite.layers import recurrent
from tests.contract import check_layer_contract, make_input

SHAPE = (2, 4, 3)  # (batch, time, features)


class MinimalCell(layers.Layer):
    """A user cell: `state_size` and `call(inputs, states)` are all the RNN layer needs."""

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.state_size = units

    def build(self, input_shape):
        self.kernel = self.add_weight("kernel", (input_shape[-1], self.units))
        self.recurrent_kernel = self.add_weight("recurrent_kernel", (self.units, self.units))

    def call(self, inputs, states):
        h = torch.tanh(inputs @ self.kernel + states[0] @ self.recurrent_kernel)
        return h, [h]

    def get_config(self):
        return {**super().get_config(), "units": self.units}


CASES = [
    ("simple_rnn", lambda: layers.SimpleRNN(4), SHAPE),
    ("simple_rnn_relu_seq", lambda: layers.SimpleRNN(4, activation="relu", return_sequences=True), SHAPE),
    ("simple_rnn_slow_state", lambda: layers.SimpleRNN(4, activation="sigmoid", return_state=True), SHAPE),
    ("lstm", lambda: layers.LSTM(4), SHAPE),
    ("lstm_seq_state", lambda: layers.LSTM(4, return_sequences=True, return_state=True), SHAPE),
    ("lstm_backwards", lambda: layers.LSTM(3, go_backwards=True, return_sequences=True), SHAPE),
    ("lstm_no_bias", lambda: layers.LSTM(3, use_bias=False, unit_forget_bias=False), SHAPE),
    ("lstm_dropout", lambda: layers.LSTM(3, dropout=0.3, recurrent_dropout=0.3, seed=1), SHAPE),
    ("lstm_slow", lambda: layers.LSTM(3, activation="relu", recurrent_activation="hard_sigmoid"), SHAPE),
    ("lstm_regularized", lambda: layers.LSTM(3, kernel_regularizer="l2", recurrent_constraint="max_norm",
                                             activity_regularizer="l1"), SHAPE),
    ("gru", lambda: layers.GRU(4), SHAPE),
    ("gru_seq_state", lambda: layers.GRU(4, return_sequences=True, return_state=True), SHAPE),
    ("gru_reset_before", lambda: layers.GRU(3, reset_after=False, return_sequences=True), SHAPE),
    ("gru_reset_before_no_bias", lambda: layers.GRU(3, reset_after=False, use_bias=False), SHAPE),
    ("gru_dropout_backwards", lambda: layers.GRU(3, dropout=0.2, recurrent_dropout=0.2, go_backwards=True), SHAPE),
    ("rnn_lstm_cell", lambda: layers.RNN(layers.LSTMCell(3), return_sequences=True), SHAPE),
    ("rnn_gru_cell_state", lambda: layers.RNN(layers.GRUCell(3), return_state=True), SHAPE),
    ("rnn_simple_cell", lambda: layers.RNN(layers.SimpleRNNCell(3), go_backwards=True), SHAPE),
    ("rnn_stacked", lambda: layers.RNN([layers.LSTMCell(3), layers.GRUCell(2)], return_sequences=True), SHAPE),
    ("rnn_stacked_cells_object", lambda: layers.RNN(layers.StackedRNNCells([layers.SimpleRNNCell(2),
                                                                             layers.LSTMCell(3)])), SHAPE),
]


@pytest.mark.parametrize("name,factory,shape", CASES, ids=[c[0] for c in CASES])
def test_contract(name, factory, shape):
    check_layer_contract(factory, shape)


def test_contract_user_cell():
    from keraslite.saving.registry import register_keras_serializable

    register_keras_serializable("Tests")(MinimalCell)
    check_layer_contract(lambda: layers.RNN(MinimalCell(3), return_sequences=True), SHAPE)


@pytest.mark.parametrize("cell", [lambda: layers.LSTMCell(3), lambda: layers.GRUCell(3),
                                  lambda: layers.GRUCell(3, reset_after=False), lambda: layers.SimpleRNNCell(3)])
def test_cell_called_alone(cell):
    cell = cell()
    x = make_input((2, 5))
    sizes = cell.state_size if isinstance(cell.state_size, list) else [cell.state_size]
    states = [torch.zeros(2, s) for s in sizes]
    out, new_states = cell(x, states)
    assert tuple(out.shape) == (2, 3) and len(new_states) == len(sizes)
    # The same step inside an RNN over a length-1 sequence.
    rnn = layers.RNN(cell)
    np.testing.assert_allclose(rnn(x[:, None]).detach().numpy(), out.detach().numpy(), atol=1e-6)


# ----------------------------------------------------------------------------- fused vs loop

@pytest.mark.parametrize("factory", [
    lambda: layers.LSTM(3, return_sequences=True, return_state=True),
    lambda: layers.GRU(3, return_sequences=True, go_backwards=True),
    lambda: layers.SimpleRNN(3, return_state=True),
    lambda: layers.SimpleRNN(3, activation="relu", return_sequences=True),
    lambda: layers.LSTM(3, use_bias=False, return_sequences=True),
])
def test_fused_path_equals_python_loop(factory, monkeypatch):
    layer = factory()
    x = make_input(SHAPE)
    assert layer.cell._fused_op() is not None
    fused = layer(x)
    monkeypatch.setattr(type(layer.cell), "_fused_op", lambda self: None)
    looped = layer(x)
    for a, b in zip(fused if isinstance(fused, list) else [fused], looped if isinstance(looped, list) else [looped]):
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), atol=1e-6)


def test_fused_path_not_used_where_keras_math_differs():
    assert layers.GRU(3, reset_after=False).cell._fused_op() is None
    assert layers.LSTM(3, recurrent_activation="hard_sigmoid").cell._fused_op() is None
    assert layers.SimpleRNN(3, activation="sigmoid").cell._fused_op() is None


def test_weights_live_in_the_cell_with_one_bias():
    layer = layers.LSTM(3)
    layer(make_input(SHAPE))
    assert [w.path for w in layer.weights] == ["lstm/lstm_cell/kernel", "lstm/lstm_cell/recurrent_kernel",
                                               "lstm/lstm_cell/bias"]
    assert [tuple(w.shape) for w in layer.get_weights()] == [(3, 12), (3, 12), (12,)]
    assert tuple(layer.cell.kernel.size()) == (12, 3)  # stored as torch's weight_ih
    assert len(layer.trainable_weights) == 3 and not layer.non_trainable_weights
    assert layer.units == 3 and layer.cell.units == 3


def test_gru_layout_round_trip_and_gate_order():
    layer = layers.GRU(2)
    layer(make_input(SHAPE))
    rng = np.random.default_rng(0)
    weights = [rng.standard_normal(w.shape).astype("float32") for w in layer.get_weights()]
    assert [w.shape for w in weights] == [(3, 6), (2, 6), (2, 6)]
    layer.set_weights(weights)
    for a, b in zip(layer.get_weights(), weights):
        np.testing.assert_array_equal(a, b)
    # Keras z, r, h columns -> torch r, z, n rows.
    k = weights[0]
    np.testing.assert_array_equal(layer.cell.kernel.detach().numpy(),
                                  np.concatenate([k[:, 2:4], k[:, 0:2], k[:, 4:6]], axis=1).T)


# ----------------------------------------------------------------------------- initializers

def test_recurrent_kernel_is_orthogonal_over_all_gates():
    layer = layers.LSTM(4)
    layer(make_input((2, 3, 5)))
    rk = layer.get_weights()[1]  # (units, 4*units): orthonormal rows
    np.testing.assert_allclose(rk @ rk.T, np.eye(4), atol=1e-5)
    kernel = layer.get_weights()[0]
    limit = np.sqrt(6 / (5 + 16))  # glorot over the whole (in, 4u) kernel
    assert np.abs(kernel).max() <= limit + 1e-6 and np.abs(kernel).max() > limit / 2


def test_unit_forget_bias():
    layer = layers.LSTM(3)
    layer(make_input(SHAPE))
    bias = layer.get_weights()[2]
    np.testing.assert_array_equal(bias[3:6], np.ones(3))
    np.testing.assert_array_equal(np.delete(bias, range(3, 6)), np.zeros(9))
    off = layers.LSTM(3, unit_forget_bias=False)
    off(make_input(SHAPE))
    np.testing.assert_array_equal(off.get_weights()[2], np.zeros(12))


# ----------------------------------------------------------------------------- masks

def test_masked_steps_keep_previous_output_and_state():
    layer = layers.GRU(3, return_sequences=True, return_state=True)
    x = make_input((2, 5, 3))
    mask = torch.tensor([[True, True, False, True, False], [True, False, False, False, False]])
    seq, state = layer(x, mask=mask)
    seq = seq.detach().numpy()
    np.testing.assert_array_equal(seq[0, 2], seq[0, 1])
    np.testing.assert_array_equal(seq[0, 4], seq[0, 3])
    np.testing.assert_array_equal(seq[1, 1:], np.repeat(seq[1, :1], 4, axis=0))
    np.testing.assert_array_equal(state.detach().numpy(), seq[:, -1])
    # The unmasked prefix equals running the layer on the prefix alone.
    prefix = layer(x[1:, :1])[0].detach().numpy()
    np.testing.assert_allclose(prefix[:, -1], seq[1, 0:1], atol=1e-6)


def test_mask_from_tensor_and_propagation():
    x = make_input((2, 4, 3))
    x._keras_mask = torch.tensor([[True, True, True, False], [True, True, False, False]])
    seq = layers.LSTM(3, return_sequences=True)(x)
    assert torch.equal(seq._keras_mask, x._keras_mask)
    last = layers.LSTM(3)(x)
    assert getattr(last, "_keras_mask", None) is None


def test_all_true_mask_equals_no_mask():
    layer = layers.LSTM(3, return_sequences=True)
    x = make_input(SHAPE)
    np.testing.assert_allclose(layer(x, mask=torch.ones(2, 4, dtype=torch.bool)).detach().numpy(),
                               layer(x).detach().numpy(), atol=1e-6)


# ----------------------------------------------------------------------------- stateful

def test_stateful_carries_and_resets_states():
    layer = layers.LSTM(3, stateful=True, batch_input_shape=(2, 4, 3))
    ref = layers.LSTM(3, return_state=True)
    x = make_input(SHAPE)
    first = layer(x)
    ref(x)
    ref.set_weights(layer.get_weights())
    out, h, c = ref(x)
    np.testing.assert_allclose(first.detach().numpy(), out.detach().numpy(), atol=1e-6)
    second = layer(x)  # starts from the carried (h, c)
    expected = ref(x, initial_state=[h, c])[0]
    np.testing.assert_allclose(second.detach().numpy(), expected.detach().numpy(), atol=1e-6)
    layer.reset_states()
    np.testing.assert_allclose(layer(x).detach().numpy(), first.detach().numpy(), atol=1e-6)
    layer.reset_state([np.ones((2, 3)), np.zeros((2, 3))])
    expected = ref(x, initial_state=[torch.ones(2, 3), torch.zeros(2, 3)])[0]
    np.testing.assert_allclose(layer(x).detach().numpy(), expected.detach().numpy(), atol=1e-6)


@pytest.mark.parametrize("cls", [layers.LSTM, layers.GRU, layers.SimpleRNN])
def test_stateful_model_trains_after_predict(cls):
    # Brownlee's stateful LSTM: predict over the series to build up state, then keep training.
    model = keraslite.Sequential([cls(3, batch_input_shape=(1, 1, 1), stateful=True), layers.Dense(1)])
    model.compile(loss="mse", optimizer="adam")
    x, y = np.random.default_rng(0).random((4, 1, 1)), np.random.default_rng(1).random((4, 1))
    model.predict(x, batch_size=1, verbose=0)
    before = model.get_weights()
    model.train_on_batch(x[:1], y[:1])  # starts from the state predict left
    assert not all(np.array_equal(a, b) for a, b in zip(before, model.get_weights()))
    model.predict_on_batch(x[:1])
    model.fit(x, y, batch_size=1, shuffle=False, epochs=1, verbose=0)


def test_stateful_rejects_other_batch_size():
    layer = layers.GRU(3, stateful=True)
    layer(make_input(SHAPE))
    with pytest.raises(ValueError, match=r"gru.*stateful with batch size 2.*batch of 3"):
        layer(make_input((3, 4, 3)))


def test_stateful_needs_fixed_batch():
    with pytest.raises(ValueError, match="stateful.*batch size must be fixed"):
        layers.SimpleRNN(3, stateful=True).build((None, 4, 3))


def test_reset_state_of_stateless_layer_is_a_no_op():
    layer = layers.LSTM(3)  # Keras 3 lets Model.reset_states() visit every layer
    layer(make_input(SHAPE))
    layer.reset_states()
    assert layer.states is None


# ----------------------------------------------------------------------------- arguments, errors

def test_keras1_arguments():
    layer = layers.LSTM(3, input_dim=1, input_length=5)
    assert layer._batch_input_shape == (None, 5, 1)
    assert layers.GRU(2, input_dim=7)._batch_input_shape == (None, None, 7)
    old = layers.LSTM(output_dim=4, init="uniform", inner_init="orthogonal", inner_activation="hard_sigmoid",
                      dropout_W=0.1, dropout_U=0.2, consume_less="gpu", forget_bias_init="one")
    assert old.units == 4 and old.dropout == 0.1 and old.recurrent_dropout == 0.2
    assert old.recurrent_activation.__name__ == "hard_sigmoid"
    assert type(old.kernel_initializer).__name__ == "RandomUniform"


def test_keras2_arguments():
    layer = layers.GRU(3, time_major=False, implementation=1, reset_after=False, unroll=True)
    assert "time_major" not in layer.get_config() and "implementation" not in layer.get_config()


@pytest.mark.parametrize("cls", [layers.SimpleRNN, layers.LSTM, layers.GRU])
@pytest.mark.parametrize("kwargs", [{}, {"return_sequences": True, "return_state": True},
                                    {"go_backwards": True, "return_sequences": True},
                                    {"activation": "softsign", "return_sequences": True}])
def test_time_major(cls, kwargs):
    """tf.keras 2's time_major=True: (time, batch, features) in, sequences out time-major, states
    (batch, units); the same values as the batch-major layer on the transposed input."""
    x = make_input((5, 2, 3))  # (time, batch, features)
    tm, bm = cls(4, time_major=True, **kwargs), cls(4, **kwargs)
    got = tm(x)
    bm(x.transpose(0, 1))
    bm.set_weights(tm.get_weights())
    want = bm(x.transpose(0, 1))
    got, want = (got, want) if isinstance(got, list) else ([got], [want])
    if kwargs.get("return_sequences"):
        want[0] = want[0].transpose(0, 1)
    shapes = tm.compute_output_shape((5, 2, 3))
    assert [tuple(t.shape) for t in got] == (shapes if isinstance(shapes, list) else [shapes])
    for g, w in zip(got, want):
        np.testing.assert_allclose(g.detach().numpy(), w.detach().numpy(), atol=1e-6)
    config = tm.get_config()
    assert config["time_major"] is True and cls.from_config(config).time_major


def test_time_major_mask_bidirectional_and_stateful():
    ids = torch.tensor([[1, 2], [3, 0], [0, 0]])  # (time, batch), right-padded
    emb = layers.Embedding(10, 3, mask_zero=True)
    tm = layers.Bidirectional(layers.GRU(4, time_major=True, return_sequences=True))
    bm = layers.Bidirectional(layers.GRU(4, return_sequences=True))
    got = tm(emb(ids))
    bm(emb(ids.T))
    bm.set_weights(tm.get_weights())
    np.testing.assert_allclose(got.transpose(0, 1).detach().numpy(), bm(emb(ids.T)).detach().numpy(), atol=1e-6)
    model = keraslite.Sequential([layers.Input(batch_shape=(6, 2, 3)),
                                  layers.LSTM(3, time_major=True, stateful=True, return_sequences=True)])
    assert model.output_shape == (6, 2, 3) and [tuple(s.shape) for s in model.layers[0].states] == [(2, 3)] * 2


def test_wrong_rank_names_layer_and_shape():
    layer = layers.LSTM(3, name="encoder")
    with pytest.raises(ValueError, match=r"'encoder'.*expected ndim=3.*\(2, 5\)"):
        layer(torch.zeros(2, 5))


def test_wrong_feature_size_after_build():
    layer = layers.GRU(3)
    layer(torch.zeros(2, 4, 3))
    with pytest.raises(ValueError, match=r"gru.*value 3.*\(2, 4, 5\)"):
        layer(torch.zeros(2, 4, 5))


def test_bad_units_and_cell():
    with pytest.raises(ValueError, match="units must be a positive integer"):
        layers.LSTM(0)
    with pytest.raises(ValueError, match="state_size"):
        layers.RNN(object())


def test_initial_state_count_checked():
    with pytest.raises(ValueError, match="2 state.*1 initial"):
        layers.LSTM(3)(make_input(SHAPE), initial_state=[torch.zeros(2, 3)])


def test_keras2_list_input_with_states():
    layer = layers.LSTM(3)
    x, h, c = make_input(SHAPE), make_input((2, 3), seed=1), make_input((2, 3), seed=2)
    np.testing.assert_allclose(layer([x, h, c]).detach().numpy(),
                               layer(x, initial_state=[h, c]).detach().numpy(), atol=1e-6)


def test_gate_layout_is_inverse_of_itself():
    layout = recurrent.GateLayout(3, (1, 0, 2), transpose=True)
    k = torch.arange(24.0).reshape(2, 12)
    np.testing.assert_array_equal(layout.to_keras(layout.from_keras(k)).numpy(), k.numpy())
    assert layout.keras_shape((12, 2)) == (2, 12)


@pytest.mark.parametrize("kwargs", [{"return_sequences": True, "return_state": True},
                                    {"go_backwards": True, "return_sequences": True, "return_state": True},
                                    {"zero_output_for_mask": True, "return_sequences": True}])
@pytest.mark.parametrize("cls", [layers.LSTM, layers.GRU, layers.SimpleRNN])
def test_padded_fused_path_equals_masked_loop(cls, kwargs, monkeypatch):
    layer = cls(3, **kwargs)
    x = make_input((3, 5, 3))
    mask = torch.tensor([[True, True, True, False, False], [True] * 5, [True, False, False, False, False]])
    assert recurrent._padded_lengths(mask.flip(1) if layer.go_backwards else mask, layer.go_backwards) is not None
    fused = layer(x, mask=mask)
    monkeypatch.setattr(recurrent, "_padded_lengths", lambda *a: None)
    looped = layer(x, mask=mask)
    for a, b in zip(fused, looped):
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), atol=1e-6)


def test_padded_lengths_only_for_plain_padding():
    right = torch.tensor([[True, True, False], [True, False, False]])
    assert recurrent._padded_lengths(right, False).tolist() == [2, 1]
    assert recurrent._padded_lengths(right.flip(1), True).tolist() == [2, 1]
    assert recurrent._padded_lengths(right.flip(1), False) is None
    assert recurrent._padded_lengths(torch.tensor([[True, False, True]]), False) is None  # a gap
    assert recurrent._padded_lengths(torch.tensor([[False, False, False]]), False) is None  # empty sample


def test_stateful_inside_a_model_keeps_real_states():
    """Shape inference traces the layer on fake tensors; that must not replace its states."""
    from keraslite import Sequential

    lstm = layers.LSTM(3, stateful=True, return_sequences=True)
    model = Sequential([layers.Input(batch_shape=(2, 4, 3)), lstm, layers.Dense(1)])
    x = make_input(SHAPE).numpy()
    first = model.predict(x, verbose=0)
    assert not np.allclose(model.predict(x, verbose=0), first)
    lstm.reset_states()
    np.testing.assert_allclose(model.predict(x, verbose=0), first, atol=1e-6)


def test_stateful_functional_model_traced_at_construction_trains():
    """Model(inp, ...) traces the layer on fake tensors: the states it keeps must be real zeros."""
    inp = layers.Input(batch_shape=(1, 10, 1))
    lstm = layers.LSTM(10, stateful=True)
    model = keraslite.Model(inp, layers.Dense(1)(lstm(inp)))
    assert all(type(s) is torch.Tensor and not s.any() for s in lstm.states)
    model.compile(loss="mse", optimizer="adam")
    rng = np.random.default_rng(0)
    model.fit(rng.random((4, 10, 1)), rng.random(4), batch_size=1, epochs=1, shuffle=False, verbose=0)
    assert type(lstm.states[0]) is torch.Tensor and lstm.states[0].any()


def test_reset_state_with_values_before_build():
    with pytest.raises(ValueError, match="'gru'.*never been built"):
        layers.GRU(3, stateful=True).reset_state([np.zeros((2, 3))])


@pytest.mark.parametrize("kwargs", [{"dropout": 0.5}, {"recurrent_dropout": 0.5}])
def test_dropout_only_in_training(kwargs):
    layer = layers.GRU(4, return_sequences=True, **kwargs)
    x = make_input(SHAPE)
    inference = layer(x).detach().numpy()
    np.testing.assert_array_equal(layer(x, training=False).detach().numpy(), inference)
    assert not np.allclose(layer(x, training=True).detach().numpy(), inference)
    # one (batch, size) mask per sequence, only for the dropout that was asked for
    in_mask, rec_mask = layer.cell.dropout_masks(x[:, 0], True)
    assert (in_mask is None) == ("dropout" not in kwargs) and (rec_mask is None) == ("recurrent_dropout" not in kwargs)


@pytest.mark.parametrize("cell_class, gates", [(keraslite.layers.LSTMCell, 4), (keraslite.layers.GRUCell, 3)])
def test_implementation_1_masks_each_gate_block_separately(cell_class, gates):
    # implementation=1 (forced by recurrent dropout) draws one input mask per gate: gate block g
    # of the projection must equal the inputs under mask g times that block of the kernel.
    keraslite.utils.set_random_seed(0)
    cell = cell_class(3, dropout=0.5, recurrent_dropout=0.5)
    assert cell.implementation == 1
    x = torch.randn(6, 4)
    cell(x, cell.get_initial_state(6))  # builds
    in_masks, rec_masks = cell.dropout_masks(x, training=True)
    assert in_masks.shape == (gates, 6, 4) and rec_masks.shape == (gates, 6, 3)
    assert not torch.equal(in_masks[0], in_masks[1])
    projected = cell.project(x, in_masks)
    blocks = cell.kernel.view(gates, 3, 4)
    for g in range(gates):
        expected = (x * in_masks[g]) @ blocks[g].T + cell._input_bias()[3 * g:3 * g + 3]
        torch.testing.assert_close(projected[:, 3 * g:3 * g + 3], expected)
    h = torch.randn(6, 3)
    recurrent = cell.recurrent(h, rec_masks, cell.recurrent_kernel)
    rblocks = cell.recurrent_kernel.view(gates, 3, 3)
    for g in range(gates):
        torch.testing.assert_close(recurrent[:, 3 * g:3 * g + 3], (h * rec_masks[g]) @ rblocks[g].T)


def test_lstm_implementation_1_with_input_dropout_only_trains():
    # Real Keras 3 fails here on the CPU (its fast path broadcasts the list of four masks);
    # keraslite applies one mask per gate, as implementation 1 means.
    keraslite.utils.set_random_seed(0)
    model = keraslite.Sequential([keraslite.Input((5, 4)), keraslite.layers.LSTM(6, dropout=0.3, implementation=1),
                                  keraslite.layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    x, y = np.random.rand(16, 5, 4).astype("float32"), np.random.rand(16, 1).astype("float32")
    history = model.fit(x, y, epochs=2, batch_size=8, verbose=0)
    assert np.isfinite(history.history["loss"]).all()
    assert model.layers[0].cell.dropout_masks(torch.ones(2, 4), training=True)[0].shape == (4, 2, 4)


def test_get_initial_state_takes_the_inputs_as_tf_keras_2_did():
    import torch

    gru = keraslite.layers.GRU(8, return_sequences=True, return_state=True)
    x = torch.zeros(4, 5, 3)
    states = gru.get_initial_state(x)
    assert [tuple(s.shape) for s in states] == [(4, 8)]
    out, state = gru(x, initial_state=states)
    assert tuple(out.shape) == (4, 5, 8) and tuple(state.shape) == (4, 8)
    assert [tuple(s.shape) for s in keraslite.layers.LSTM(6).get_initial_state(2)] == [(2, 6), (2, 6)]


def test_cell_initial_states_are_lists_as_in_keras_3():
    """Keras 3 lists a cell's states even when there is one; tf.keras 2's keywords are accepted."""
    state = layers.SimpleRNNCell(8).get_initial_state(batch_size=4)
    assert isinstance(state, list) and [tuple(s.shape) for s in state] == [(4, 8)]
    state = layers.GRUCell(3).get_initial_state(batch_size=2, dtype="float64")
    assert isinstance(state, list) and state[0].dtype == torch.float64
    stacked = layers.StackedRNNCells([layers.GRUCell(3), layers.LSTMCell(2)])
    assert [[tuple(s.shape) for s in c] for c in stacked.get_initial_state(batch_size=2)] == [[(2, 3)], [(2, 2)] * 2]
    with pytest.raises(ValueError, match="get_initial_state needs the batch size"):
        layers.GRUCell(3).get_initial_state()


def test_stacked_cells_states_go_back_in_as_they_came_out():
    rnn = layers.RNN(layers.StackedRNNCells([layers.GRUCell(5), layers.LSTMCell(4)]), return_state=True)
    x = make_input((2, 7, 3))
    _, first, second = rnn(x[:, :3])
    assert [tuple(s.shape) for s in first] == [(2, 5)] and [tuple(s.shape) for s in second] == [(2, 4)] * 2
    rest, whole = rnn(x[:, 3:], initial_state=[first, second]), rnn(x)
    np.testing.assert_allclose(rest[0].detach().numpy(), whole[0].detach().numpy(), atol=1e-6)
    flat = rnn(x[:, 3:], initial_state=[first[0], second[0], second[1]])  # flat works too
    np.testing.assert_allclose(flat[0].detach().numpy(), whole[0].detach().numpy(), atol=1e-6)


def test_custom_cell_get_initial_state_gets_the_inputs_dtype():
    # Hands-On ML's LNSimpleRNNCell: get_initial_state(inputs=None, batch_size=None, dtype=None)
    # returns zeros of `dtype`; RNN must pass the inputs' float32, not leave it None (float64).


    class Cell(layers.Layer):
        def __init__(self, units, **kwargs):
            super().__init__(**kwargs)
            self.state_size = self.output_size = units
            self.inner = layers.SimpleRNNCell(units)

        def get_initial_state(self, inputs=None, batch_size=None, dtype=None):
            return [torch.zeros(batch_size, self.state_size, dtype=dtype)]

        def call(self, inputs, states):
            out, new = self.inner(inputs, states)
            return out, new

    out = layers.RNN(Cell(4), return_sequences=True)(np.random.default_rng(0).random((2, 5, 1)).astype("float32"))
    assert tuple(out.shape) == (2, 5, 4) and out.dtype == torch.float32


def _grad_fn_counts(out):
    import collections

    seen, counts, todo = set(), collections.Counter(), [out.grad_fn]
    while todo:
        fn = todo.pop()
        if fn is None or fn in seen:
            continue
        seen.add(fn)
        counts[type(fn).__name__] += 1
        todo.extend(n for n, _ in fn.next_functions)
    return counts


class _AccumulatingCell(layers.Layer):
    """A user cell (not one of keraslite's): the RNN layer calls it step by step."""

    state_size = 3

    def call(self, inputs, states):
        new = states[0] + inputs
        return new, [new]


@pytest.mark.parametrize("make", [
    lambda: layers.LSTM(4, recurrent_dropout=0.2, return_sequences=True),   # the Python loop over a Keras cell
    lambda: layers.RNN(_AccumulatingCell(), return_sequences=True),          # a user cell called step by step
])
def test_step_loop_splits_the_sequence_once(make):
    """The per-step loop (recurrent dropout, custom cells) takes its steps from one unbind: a
    `seq[:, t]` per step gives backward one sequence-sized zero gradient per step, quadratic in
    the length (an IMDB LSTM with recurrent_dropout took 55 s per batch of 500 steps)."""
    out = make()(torch.randn(2, 30, 3, requires_grad=True), training=True)
    counts = _grad_fn_counts(out)
    assert counts["SelectBackward0"] == 0 and counts["UnbindBackward0"] == 1, counts
