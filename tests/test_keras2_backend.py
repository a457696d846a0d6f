"""The Keras 2 backend namespace (`from keras import backend as K`, `tf.keras.backend`): Keras 2's
signatures and defaults where keras.ops differs, the functions only Keras 2 has, and the
training step of `optimizer.get_updates` run through `K.function(..., updates=...)`."""
import numpy as np
import pytest
import torch

import keraslite
from keraslite import backend as K
from keraslite import layers, ops

X = np.array([[0.1, 0.5, 2.0], [-1.0, 3.0, 0.9]], "float32")


def _np(x):
    return x.detach().cpu().numpy() if isinstance(x, torch.Tensor) else np.asarray(x)


def test_reductions_take_keras2_default_axes():
    assert _np(K.argmax(X)).tolist() == [2, 1] and K.argmax(X).dtype == torch.int64
    assert _np(K.argmin(X)).tolist() == [0, 0] and K.argmin(X).dtype == torch.int64
    np.testing.assert_allclose(_np(K.cumsum(X)), np.cumsum(X, axis=0))
    np.testing.assert_allclose(_np(K.cumprod(X)), np.cumprod(X, axis=0))
    np.testing.assert_allclose(_np(K.cumsum(X, axis=1)), np.cumsum(X, axis=1))
    # keras.ops keeps Keras 3's defaults (flattened).
    assert int(ops.argmax(X)) == 4 and tuple(ops.cumsum(X).shape) == (6,)


def test_argmax_on_symbolic_tensors():
    inputs = keraslite.Input((3,))
    model = keraslite.Model(inputs, K.argmax(inputs))
    assert _np(model(torch.as_tensor(X))).tolist() == [2, 1]


def test_keras2_keyword_names():
    np.testing.assert_allclose(_np(K.clip(X, min_value=0.0, max_value=1.0)), np.clip(X, 0, 1))
    np.testing.assert_allclose(_np(K.clip(X, 0.0, None)), np.clip(X, 0, None))
    np.testing.assert_allclose(_np(K.clip(X, 1.0, 0.5)), np.full_like(X, 1.0))  # max below min: raised to min
    np.testing.assert_array_equal(_np(K.one_hot(indices=np.array([0, 2]), num_classes=3)), np.eye(3)[[0, 2]])


@pytest.mark.parametrize("alpha,max_value,threshold", [(0.0, None, 0), (0.1, None, 0), (0.0, 1.0, 0),
                                                       (0.2, 1.5, 0.5), (0.0, None, 0.5)])
def test_relu_with_keras2_arguments(alpha, max_value, threshold):
    x = np.linspace(-3, 3, 13).astype("float32")
    expected = np.where(x > threshold, x, 0.0)
    if max_value is not None:
        expected = np.clip(expected, 0, max_value)
    expected = expected - alpha * np.maximum(threshold - x, 0)
    out = K.relu(x, alpha=alpha, max_value=max_value, threshold=threshold)
    np.testing.assert_allclose(_np(out), expected, rtol=1e-6, atol=1e-6)


def test_functions_whose_keras2_meaning_differs_from_keras_ops():
    x = np.array([-3.0, -1.0, 0.0, 1.0, 3.0], "float32")
    np.testing.assert_allclose(_np(K.hard_sigmoid(x)), np.clip(0.2 * x + 0.5, 0, 1), rtol=1e-6)
    np.testing.assert_allclose(_np(K.sqrt(x)), np.sqrt(np.maximum(x, 0)))  # no NaN below zero
    np.testing.assert_array_equal(_np(K.identity(X)), X)
    preds = np.array([[0.1, 0.7, 0.2], [0.5, 0.1, 0.4]], "float32")
    assert _np(K.in_top_k(preds, np.array([1, 1]), 1)).tolist() == [True, False]
    mean, var = X.mean(0), X.var(0)
    beta, gamma = np.full(3, 0.5, "float32"), np.full(3, 2.0, "float32")
    np.testing.assert_allclose(_np(K.batch_normalization(X, mean, var, beta, gamma, epsilon=1e-3)),
                               (X - mean) / np.sqrt(var + 1e-3) * gamma + beta, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(_np(K.reverse(X, axes=1)), X[:, ::-1])
    np.testing.assert_allclose(_np(K.reverse(X, axes=[0, 1])), X[::-1, ::-1])


def test_bias_add_stop_gradient_and_folds():
    x = np.arange(24, dtype="float32").reshape(2, 3, 4)
    bias = np.array([1.0, 2.0, 3.0, 4.0], "float32")
    np.testing.assert_allclose(_np(K.bias_add(x, bias, data_format="channels_last")), x + bias)
    np.testing.assert_allclose(_np(K.bias_add(x, bias[:3], data_format="channels_first")), x + bias[:3, None])
    full = np.ones((3, 4), "float32")
    np.testing.assert_allclose(_np(K.bias_add(x, full)), x + 1)
    with pytest.raises(ValueError, match="expected 1 or 2 dimensions"):
        K.bias_add(x, np.ones((1, 3, 4), "float32"))
    a, b = K.stop_gradient([torch.ones(2, requires_grad=True), torch.ones(1, requires_grad=True)])
    assert not a.requires_grad and not b.requires_grad
    elems = np.array([1.0, 2.0, 3.0], "float32")
    assert float(K.foldl(lambda acc, v: acc * 10 + v, elems)) == 123.0
    assert float(K.foldr(lambda acc, v: acc * 10 + v, elems, initializer=torch.tensor(0.0))) == 321.0
    np.testing.assert_allclose(_np(K.map_fn(lambda row: row * 2, X)), X * 2)


def test_constructors_take_names_and_give_variables():
    for v, expected in [(K.zeros((2, 3), name="z"), np.zeros((2, 3))), (K.ones((2,), name="o"), np.ones(2)),
                        (K.eye(3, name="e"), np.eye(3))]:
        assert isinstance(v, torch.nn.Parameter)
        np.testing.assert_array_equal(K.get_value(v), expected)
    assert K.get_variable_shape(K.zeros((2, 3))) == (2, 3)
    np.testing.assert_array_equal(_np(K.zeros_like(X, name="z")), np.zeros_like(X))
    np.testing.assert_array_equal(_np(K.ones_like(X, name="o")), np.ones_like(X))


def test_random_functions():
    draws = _np(K.random_binomial((1000,), p=0.3, seed=1))
    assert set(np.unique(draws)) <= {0.0, 1.0} and 0.2 < draws.mean() < 0.4
    assert set(np.unique(_np(K.random_bernoulli((10,), p=1.0)))) == {1.0}
    v = K.random_normal_variable((200, 5), 2.0, 0.5, seed=1)
    assert isinstance(v, torch.nn.Parameter) and abs(K.get_value(v).mean() - 2.0) < 0.1
    u = K.random_uniform_variable((100,), -1.0, -0.5, name="u")
    assert K.get_value(u).min() >= -1.0 and K.get_value(u).max() < -0.5
    t = _np(K.truncated_normal((500,), stddev=1.0))
    assert np.abs(t).max() <= 2.0
    dropped = _np(K.dropout(np.ones((100, 10), "float32"), 0.5))
    assert set(np.unique(dropped)) <= {0.0, 2.0} and 0 < (dropped == 0).mean() < 1


def test_in_train_phase_follows_training_and_learning_phase():
    assert K.in_train_phase(1.0, 0.0, training=True) == 1.0
    assert K.in_train_phase(lambda: "train", lambda: "test", training=0) == "test"
    assert K.in_train_phase("train", "test") == "test"  # the learning phase defaults to test
    assert K.in_test_phase("test", "train", training=1) == "train"
    flag = torch.tensor([True, False])
    np.testing.assert_array_equal(_np(K.in_train_phase(torch.ones(2), torch.zeros(2), training=flag)), [1.0, 0.0])

    class Noisy(layers.Layer):
        def call(self, x, training=None):
            return K.in_train_phase(x + 1.0, x)

    model = keraslite.Sequential([keraslite.Input((3,)), Noisy()])
    np.testing.assert_allclose(_np(model(torch.as_tensor(X), training=True)), X + 1)
    np.testing.assert_allclose(_np(model(torch.as_tensor(X))), X)


def test_print_tensor_prints_when_computed(capsys):
    assert K.print_tensor(torch.ones(2), message="x =") is not None
    assert "x = [1. 1.]" in capsys.readouterr().out
    inputs = keraslite.Input((2,))
    f = K.function([inputs], [K.print_tensor(inputs * 2.0, message="doubled:")])
    out = f([np.ones((1, 2), "float32")])[0]
    np.testing.assert_allclose(out, [[2.0, 2.0]])
    assert "doubled: [[2. 2.]]" in capsys.readouterr().out


def test_eager_updates_change_the_variable():
    v = K.variable(np.zeros(3))
    assert K.update_add(v, np.ones(3)) is v
    K.update_sub(v, np.full(3, 0.25))
    np.testing.assert_allclose(K.get_value(v), np.full(3, 0.75))
    K.update(v, np.arange(3.0))
    np.testing.assert_allclose(K.get_value(v), np.arange(3.0))
    K.moving_average_update(v, np.full(3, 10.0), 0.9)
    np.testing.assert_allclose(K.get_value(v), np.arange(3.0) * 0.9 + 1.0, rtol=1e-6)
    with pytest.raises(TypeError, match="change a variable"):
        K.update(np.zeros(3), np.ones(3))


def test_symbolic_updates_run_with_k_function():
    inputs = keraslite.Input((3,))
    mean = K.variable(np.zeros(3))
    total = K.variable(np.zeros(()))
    last = K.variable(np.zeros(3))
    batch_mean = K.mean(inputs, axis=0)
    f = K.function([inputs], [batch_mean], updates=[K.moving_average_update(mean, batch_mean, 0.5),
                                                   K.update_add(total, K.sum(inputs)), (last, batch_mean * 2.0)])
    out = f([X])[0]
    np.testing.assert_allclose(out, X.mean(0), rtol=1e-6)
    np.testing.assert_allclose(K.get_value(mean), X.mean(0) * 0.5, rtol=1e-6)
    f([X])
    np.testing.assert_allclose(K.get_value(mean), X.mean(0) * 0.75, rtol=1e-6)
    np.testing.assert_allclose(K.get_value(total), 2 * X.sum(), rtol=1e-6)
    np.testing.assert_allclose(K.get_value(last), X.mean(0) * 2.0, rtol=1e-6)


def _policy(seed=0):
    keraslite.utils.set_random_seed(seed)
    inputs = keraslite.Input((4,))
    hidden = layers.Dense(8, activation="relu")(inputs)
    return keraslite.Model(inputs, layers.Dense(3, activation="softmax")(hidden))


def _pg_batch():
    rng = np.random.default_rng(0)
    states = rng.normal(size=(6, 4)).astype("float32")
    actions = np.eye(3, dtype="float32")[rng.integers(0, 3, 6)]
    advantages = rng.normal(size=(6,)).astype("float32")
    return states, actions, advantages


@pytest.mark.parametrize("order", ["keras2.2", "keras2.0", "keras2.0-keywords"])
def test_get_updates_trains_through_k_function(order):
    """A policy-gradient step as Keras 2 programs write it gives the weights of the same loss
    computed by hand and applied with the same optimizer."""
    states, actions, advantages = _pg_batch()
    model, reference = _policy(), _policy()
    reference.set_weights(model.get_weights())

    action = K.placeholder(shape=(None, 3), name="action")
    advantage = K.placeholder(shape=(None,), name="advantage")
    loss = -K.mean(K.log(K.sum(model.output * action, axis=1)) * advantage)
    optimizer = keraslite.optimizers.Adam(0.01)
    if order == "keras2.2":
        updates = optimizer.get_updates(loss, model.trainable_weights)
    elif order == "keras2.0":
        updates = optimizer.get_updates(model.trainable_weights, [], loss)
    else:
        updates = optimizer.get_updates(params=model.trainable_weights, constraints=[], loss=loss)
    train = K.function([model.input, action, advantage], [loss], updates=updates)

    ref_optimizer = keraslite.optimizers.Adam(0.01)
    for _ in range(2):
        value = train([states, actions, advantages])[0]
        probs = reference(torch.as_tensor(states))
        ref_loss = -torch.mean(torch.log(torch.sum(probs * torch.as_tensor(actions), 1)) * torch.as_tensor(advantages))
        grads = torch.autograd.grad(ref_loss, reference.trainable_weights)
        ref_optimizer.apply_gradients(zip(grads, reference.trainable_weights))
        np.testing.assert_allclose(value, ref_loss.item(), rtol=1e-5)  # the loss before the step
    for a, b in zip(model.get_weights(), reference.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    assert int(optimizer.iterations) == 2


def test_get_updates_with_no_outputs_and_errors():
    states, actions, advantages = _pg_batch()
    model = _policy()
    before = model.get_weights()
    target = K.placeholder(shape=(None, 3))
    loss = K.mean(K.square(model.output - target))
    train = K.function([model.input, target], [], updates=keraslite.optimizers.SGD(0.1).get_updates(
        loss, model.trainable_weights))
    assert train([states, actions]) == []
    assert all(not np.allclose(a, b) for a, b in zip(before, model.get_weights()))
    with pytest.raises(TypeError, match="symbolic"):
        keraslite.optimizers.SGD().get_updates(torch.ones(()), model.trainable_weights)
    with pytest.raises(ValueError, match="constraints"):
        keraslite.optimizers.SGD().get_updates(model.trainable_weights, {model.trainable_weights[0]: abs}, loss)
    with pytest.raises(TypeError, match="updates"):
        K.function([model.input], [model.output], updates=["not an update"])


def test_minimize_with_a_callable_or_a_tape():
    from keraslite.compat.tf_autodiff import GradientTape

    x = torch.as_tensor(_pg_batch()[0])
    model, reference = _policy(), _policy()
    reference.set_weights(model.get_weights())
    optimizer, ref_optimizer = keraslite.optimizers.SGD(0.5), keraslite.optimizers.SGD(0.5)
    optimizer.minimize(lambda: torch.mean(model(x) ** 2), var_list=model.trainable_weights)
    with GradientTape() as tape:
        loss = torch.mean(reference(x) ** 2)
    ref_optimizer.minimize(loss, lambda: reference.trainable_weights, tape=tape)
    for a, b in zip(model.get_weights(), reference.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)
    assert int(optimizer.iterations) == 1
    with pytest.raises(ValueError, match="`tape` is required"):
        optimizer.minimize(torch.mean(model(x)), model.trainable_weights)


def test_switch_with_a_scalar_condition_evaluates_only_the_chosen_branch():
    # Keras 2 ran tf.cond for a scalar condition: a loss that is the mean of an empty selection
    # (NaN) in the branch not taken never reached the result (Mask R-CNN's losses on a batch
    # without positive ROIs); branches may be callables, called only when chosen.
    empty = torch.zeros((0, 4))
    loss = K.mean(K.switch(K.cast(ops.size(empty), "int32") > 0, K.mean(empty * 2), K.constant(0.0)))
    assert float(loss) == 0.0
    calls = []

    def branch(value):
        return lambda: calls.append(value) or torch.full((2,), float(value))

    assert K.switch(K.constant(True), branch(1), branch(2)).tolist() == [1.0, 1.0]
    assert K.switch(np.bool_(False), branch(1), branch(2)).tolist() == [2.0, 2.0]
    assert K.switch(False, 1.0, torch.ones(2)).tolist() == [1.0, 1.0]
    assert calls == [1, 2]


def test_switch_with_a_tensor_condition_chooses_elementwise():
    x = torch.tensor([[1.0, -2.0], [-3.0, 4.0], [5.0, 6.0]])
    np.testing.assert_array_equal(K.switch(x > 0, x, lambda: -x).numpy(), np.abs(x.numpy()))
    # A lower-rank condition applies along the leading axes: one choice per row.
    rows = K.switch(torch.tensor([True, False, True]), x, K.zeros_like(x))
    np.testing.assert_array_equal(rows.numpy(), [[1.0, -2.0], [0.0, 0.0], [5.0, 6.0]])
    with pytest.raises(ValueError, match="Rank of `condition`"):
        K.switch(torch.ones(2, 2, 2) > 0, torch.ones(2, 2), torch.zeros(2, 2))
    inputs = layers.Input((2,))
    model = keraslite.Model(inputs, K.switch(K.greater(inputs, 0.0), inputs, K.zeros_like(inputs)))
    np.testing.assert_array_equal(model.predict(x.numpy(), verbose=0), np.maximum(x.numpy(), 0))


def test_rnn_runs_a_step_function_over_time():
    x = torch.arange(12, dtype=torch.float32).reshape(2, 3, 2)

    def step(x_t, states):  # running sum; the constant is added to each output
        total = states[0] + x_t
        return total + states[1], [total]

    last, outputs, states = K.rnn(step, x, [torch.zeros(2, 2)], constants=[torch.tensor(100.0)])
    np.testing.assert_allclose(_np(outputs), np.cumsum(_np(x), axis=1) + 100)
    np.testing.assert_allclose(_np(last), _np(outputs)[:, -1])
    assert isinstance(states, tuple) and len(states) == 1
    np.testing.assert_allclose(_np(states[0]), _np(x).sum(1))
    # A 1-D input_length masks the steps past each length: outputs and states carry over.
    last, outputs, states = K.rnn(step, x, [torch.zeros(2, 2)], constants=[0.0], input_length=np.array([3, 1]))
    np.testing.assert_allclose(_np(outputs)[1], np.repeat(_np(x)[1, :1], 3, axis=0))
    np.testing.assert_allclose(_np(states[0]), [_np(x)[0].sum(0), _np(x)[1, 0]])
    with pytest.raises(ValueError, match="`mask` must have the \\(batch, time\\) shape"):
        K.rnn(step, x, [torch.zeros(2, 2)], constants=[0.0], mask=np.ones((3, 2), bool))
    with pytest.raises(ValueError, match="returned 2 state tensors; expected 1"):
        K.rnn(lambda x_t, s: (x_t, [x_t, x_t]), x, [torch.zeros(2, 2)])


def test_rnn_in_a_custom_layer_trains():
    class CumulativeDense(layers.Layer):
        def build(self, input_shape):
            self.kernel = self.add_weight(shape=(input_shape[-1], 3), name="kernel")

        def call(self, inputs):
            def step(x_t, states):
                h = ops.tanh(ops.matmul(x_t, self.kernel) + states[0])
                return h, [h]

            return K.rnn(step, inputs, [ops.zeros((ops.shape(inputs)[0], 3))])[1]

    model = keraslite.Sequential([keraslite.Input((4, 2)), CumulativeDense()])
    model.compile("sgd", "mse")
    before = model.get_weights()[0].copy()
    model.fit(np.ones((4, 4, 2), "float32"), np.zeros((4, 4, 3), "float32"), verbose=0)
    assert model.output_shape == (None, 4, 3) and not np.allclose(model.get_weights()[0], before)
