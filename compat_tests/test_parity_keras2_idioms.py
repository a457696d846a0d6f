"""Parity for pieces of Keras 2 tutorials that Keras 3 shares: loss functions called on
symbolic tensors while a functional model is built, and accuracy metrics on boolean one-hot
targets (`np.zeros(..., dtype=np.bool_)` in the char-level examples)."""
import warnings

import numpy as np
import pytest
import torch

import keraslite
from compat_tests.conftest import keras
from compat_tests.parity import assert_close, to_numpy


@pytest.mark.parametrize("name", ["binary_crossentropy", "mean_squared_error", "categorical_crossentropy"])
def test_loss_function_on_symbolic_tensors(name):
    def build(lib):
        inputs = lib.Input((6,))
        outputs = lib.layers.Dense(6, activation="softmax" if "categorical" in name else "sigmoid")(inputs)
        per_sample = getattr(lib.losses, name)(inputs, outputs)
        return lib.Model(inputs, [outputs, per_sample])

    k_model, l_model = build(keras), build(keraslite)
    l_model.set_weights(k_model.get_weights())
    x = np.random.default_rng(0).uniform(0, 1, (5, 6)).astype("float32")
    x /= x.sum(-1, keepdims=True)
    k_out, l_out = k_model.predict(x, verbose=0), l_model.predict(x, verbose=0)
    assert l_out[1].shape == k_out[1].shape == (5,)
    assert_close(l_out[1], k_out[1], what=f"{name} on symbolic tensors")


@pytest.mark.parametrize("cls", ["CategoricalAccuracy", "TopKCategoricalAccuracy"])
def test_accuracy_of_boolean_one_hot_targets(cls):
    rng = np.random.default_rng(1)
    y_true = np.eye(4, dtype=np.bool_)[rng.integers(0, 4, 10)]
    y_pred = rng.uniform(0, 1, (10, 4)).astype("float32")
    kwargs = {"k": 2} if cls.startswith("TopK") else {}
    k_metric, l_metric = getattr(keras.metrics, cls)(**kwargs), getattr(keraslite.metrics, cls)(**kwargs)
    k_metric.update_state(y_true, y_pred)
    l_metric.update_state(y_true, y_pred)
    assert_close(to_numpy(l_metric.result()), to_numpy(k_metric.result()), what=cls)


@pytest.mark.parametrize("from_logits", [False, True])
@pytest.mark.parametrize("name", ["binary_crossentropy", "categorical_crossentropy", "sparse_categorical_crossentropy"])
def test_elementwise_crossentropy_ops(name, from_logits):
    rng = np.random.default_rng(2)
    if name == "binary_crossentropy":
        target = rng.integers(0, 2, (4, 3)).astype("float32")
        output = rng.uniform(0, 1, (4, 3)).astype("float32")
        output[0, 0], output[1, 1] = 0.0, 1.0  # the clipping at epsilon
    elif name == "categorical_crossentropy":
        target = np.eye(3, dtype="float32")[rng.integers(0, 3, 4)]
        output = rng.uniform(0, 1, (4, 3)).astype("float32")
    else:
        target = rng.integers(0, 3, (4,))
        output = rng.uniform(0, 1, (4, 3)).astype("float32")
    if from_logits:
        output = rng.normal(0, 2, output.shape).astype("float32")
    expected = to_numpy(getattr(keras.ops, name)(target, output, from_logits=from_logits))
    actual = to_numpy(getattr(keraslite.ops, name)(target, output, from_logits=from_logits))
    assert actual.shape == expected.shape
    assert_close(actual, expected, what=f"ops.{name}")


def test_outputs_of_sequential_layers_read_from_the_layers():
    def build(lib):
        model = lib.Sequential([lib.Input((4,)), lib.layers.Dense(3, activation="relu"), lib.layers.Dense(2)])
        outputs = [layer.output for layer in model.layers]  # read before model.inputs
        return model, lib.Model(model.inputs, outputs)

    (k_model, k_probe), (l_model, l_probe) = build(keras), build(keraslite)
    l_model.set_weights(k_model.get_weights())
    x = np.random.default_rng(3).normal(size=(5, 4)).astype("float32")
    for k_out, l_out in zip(k_probe.predict(x, verbose=0), l_probe.predict(x, verbose=0)):
        assert_close(l_out, k_out, what="layer output")


def _conv_feature_model(lib):
    inputs = lib.Input((9, 9, 3))
    hidden = lib.layers.Conv2D(4, 3, activation="relu", name="conv_a")(inputs)
    hidden = lib.layers.Conv2D(5, 3, activation="tanh", name="conv_b")(hidden)
    return lib.Model(inputs, hidden)


def _keras_input_gradient(model, x, fn):
    """The gradient real Keras's torch backend gives for d fn(model(x)) / dx."""
    import torch

    x_t = torch.tensor(x, requires_grad=True)
    value = fn(model(x_t))
    (grad,) = torch.autograd.grad(value.sum(), x_t)
    return to_numpy(value), grad.numpy()


def test_backend_gradients_of_a_filter_activation():
    """The filter-visualization recipe: loss = K.mean(layer.output[..., f]), grads =
    K.gradients(loss, model.input)[0] normalized by its RMS, K.function([input], [loss, grads])."""
    from keraslite import backend as K

    k_model, l_model = _conv_feature_model(keras), _conv_feature_model(keraslite)
    l_model.set_weights(k_model.get_weights())
    x = np.random.default_rng(3).normal(0, 1, (2, 9, 9, 3)).astype("float32")

    loss = K.mean(l_model.get_layer("conv_b").output[:, :, :, 2])
    grads = K.gradients(loss, l_model.input)[0]
    normalized = grads / (K.sqrt(K.mean(K.square(grads))) + K.epsilon())
    iterate = K.function([l_model.input], [loss, grads, normalized])
    loss_value, grads_value, normalized_value = iterate([x])

    k_loss, k_grads = _keras_input_gradient(k_model, x, lambda out: out[:, :, :, 2].mean())
    assert grads_value.shape == x.shape and grads_value.dtype == np.float32
    assert_close(loss_value, k_loss, what="K.function loss")
    assert_close(grads_value, k_grads, what="K.gradients wrt the model input")
    rms = np.sqrt(np.mean(np.square(k_grads)))
    assert_close(normalized_value, k_grads / (rms + 1e-7), what="normalized gradient")


def test_backend_gradients_of_a_non_scalar_and_of_an_intermediate_tensor():
    """tf.gradients sums a non-scalar loss; a gradient may be taken at a layer's output (Grad-CAM)."""
    import torch

    from keraslite import backend as K

    k_model, l_model = _conv_feature_model(keras), _conv_feature_model(keraslite)
    l_model.set_weights(k_model.get_weights())
    x = np.random.default_rng(4).normal(0, 1, (3, 9, 9, 3)).astype("float32")

    per_sample = K.sum(K.square(l_model.output), axis=(1, 2, 3))  # (batch,)
    hidden = l_model.get_layer("conv_a").output
    g_input, g_hidden = K.gradients(per_sample, [l_model.input, hidden])
    g_input_value, g_hidden_value = K.function([l_model.input], [g_input, g_hidden])([x])

    _, k_grads = _keras_input_gradient(k_model, x, lambda out: (out ** 2).sum(axis=(1, 2, 3)))
    assert_close(g_input_value, k_grads, what="gradient of a per-sample loss (summed)")

    k_hidden = k_model.get_layer("conv_a")(torch.tensor(x)).detach().requires_grad_(True)
    k_out = k_model.get_layer("conv_b")(k_hidden)
    (k_hidden_grad,) = torch.autograd.grad((k_out ** 2).sum(), k_hidden)
    assert g_hidden_value.shape == (3, 7, 7, 4)
    assert_close(g_hidden_value, k_hidden_grad.numpy(), what="gradient wrt a layer's output")


def test_comparison_and_logical_operators_on_symbolic_tensors():
    """`x > 0`, `x // 2`, `(x > 0) & (x < 1)` ... on a functional model's tensors, as Keras 3's KerasTensor."""
    def build(lib):
        x = lib.Input((5,))
        pos, small = x > 0.0, x <= 1.0
        outs = [lib.ops.cast(v, "float32") for v in
                (pos, x < -0.5, x >= 0.25, small, pos & small, pos | small, pos ^ small, ~pos)]
        return lib.Model(x, outs + [x // 0.5, x % 0.75, 2.0 // (x * x + 1.0)])

    k_model, l_model = build(keras), build(keraslite)
    x = np.random.default_rng(5).normal(0, 1.5, (6, 5)).astype("float32")
    for i, (l_out, k_out) in enumerate(zip(l_model.predict(x, verbose=0), k_model.predict(x, verbose=0))):
        assert_close(l_out, k_out, what=f"operator output {i}")


@pytest.mark.parametrize("padding", ["valid", "same", "causal"])
def test_backend_conv1d_and_conv2d(padding):
    """Keras 2's K.conv1d / K.conv2d (the capsule layer's shared-weight projection) compute
    keras.ops.conv; 'causal' is left padding, as Keras 2 and the Conv1D layer do."""
    from keraslite import backend as K

    rng = np.random.default_rng(6)
    x = rng.normal(0, 1, (2, 11, 3)).astype("float32")
    kernel = rng.normal(0, 1, (3, 3, 4)).astype("float32")
    if padding == "causal":
        layer = keras.layers.Conv1D(4, 3, padding="causal", dilation_rate=2, use_bias=False)
        layer.build(x.shape)
        layer.set_weights([kernel])
        expected = to_numpy(layer(x))
        actual = K.conv1d(x, kernel, padding="causal", dilation_rate=2)
    else:
        expected = to_numpy(keras.ops.conv(x, kernel, strides=2, padding=padding))
        actual = K.conv1d(x, kernel, strides=2, padding=padding)
    assert_close(to_numpy(actual), expected, what=f"K.conv1d {padding}")
    images = rng.normal(0, 1, (2, 7, 7, 3)).astype("float32")
    kernel2 = rng.normal(0, 1, (3, 3, 3, 2)).astype("float32")
    if padding != "causal":
        assert_close(to_numpy(K.conv2d(images, kernel2, padding=padding)),
                     to_numpy(keras.ops.conv(images, kernel2, padding=padding)), what=f"K.conv2d {padding}")


@pytest.mark.parametrize("optimizer", ["Adam", "RMSprop"])
def test_get_updates_step_matches_keras_applying_the_gradients(optimizer):
    """Keras 2's policy-gradient training (`opt.get_updates(loss, params)` run through
    K.function with an advantage placeholder) takes the step real Keras's optimizer takes on
    the gradients of the same loss."""
    from keraslite import backend as K

    def build(lib):
        inputs = lib.Input((4,))
        hidden = lib.layers.Dense(8, activation="tanh")(inputs)
        return lib.Model(inputs, lib.layers.Dense(3, activation="softmax")(hidden))

    k_model, l_model = build(keras), build(keraslite)
    l_model.set_weights(k_model.get_weights())
    rng = np.random.default_rng(4)
    states = rng.normal(size=(5, 4)).astype("float32")
    actions = np.eye(3, dtype="float32")[rng.integers(0, 3, 5)]
    advantages = rng.normal(size=(5,)).astype("float32")

    action, advantage = K.placeholder(shape=(None, 3)), K.placeholder(shape=(None,))
    loss = -K.sum(K.log(K.sum(l_model.output * action, axis=1) + 1e-10) * K.stop_gradient(advantage))
    updates = getattr(keraslite.optimizers, optimizer)(0.01).get_updates(l_model.trainable_weights, [], loss)
    train = K.function([l_model.input, action, advantage], [loss], updates=updates)

    k_optimizer = getattr(keras.optimizers, optimizer)(0.01)
    variables = k_model.trainable_weights
    for _ in range(3):
        l_loss = train([states, actions, advantages])[0]
        probs = k_model(torch.as_tensor(states))
        k_loss = -torch.sum(torch.log(torch.sum(probs * torch.as_tensor(actions), 1) + 1e-10)
                            * torch.as_tensor(advantages))
        grads = torch.autograd.grad(k_loss, [v.value for v in variables])
        k_optimizer.apply_gradients(zip(grads, variables))
        assert_close(l_loss, k_loss.item(), what="loss before the step")
    assert_close(l_model.get_weights(), k_model.get_weights(), atol=1e-5, what="weights after get_updates steps")


def test_keras2_backend_pooling_padding_resizing_and_depthwise_match_keras3_equivalents():
    # K.pool2d / spatial_2d_padding / resize_images / depthwise_conv2d (Keras 2 hand-written
    # models) against what real Keras 3 computes for the same thing with ops and layers.
    K = keraslite.backend
    x = np.random.default_rng(3).standard_normal((2, 5, 6, 3)).astype("float32")
    kernel = np.random.default_rng(4).standard_normal((3, 3, 3, 2)).astype("float32")
    pairs = [
        (K.pool2d(x, (2, 2)), keras.ops.max_pool(x, 2, strides=1)),
        (K.pool2d(x, (2, 2), strides=(2, 2), padding="same", pool_mode="avg"),
         keras.ops.average_pool(x, 2, strides=2, padding="same")),
        (K.spatial_2d_padding(x, ((1, 0), (2, 1))), keras.layers.ZeroPadding2D(((1, 0), (2, 1)))(x)),
        (K.temporal_padding(x[:, 0], (2, 1)), keras.layers.ZeroPadding1D((2, 1))(x[:, 0])),
        (K.resize_images(x, 2, 3, "channels_last"), keras.layers.UpSampling2D((2, 3))(x)),
        (K.resize_images(x, 2, 2, "channels_last", interpolation="bilinear"),
         keras.layers.UpSampling2D(2, interpolation="bilinear")(x)),
        (K.depthwise_conv2d(x, kernel, padding="same"), keras.ops.depthwise_conv(x, kernel, padding="same")),
    ]
    for i, (got, want) in enumerate(pairs):
        assert_close(to_numpy(got), to_numpy(want), what=f"case {i}")


def test_sequential_takes_its_one_input_in_a_list():
    # Sentdex's `model.predict([prepare(path)])`: Keras unpacks the one-entry list.
    def build(lib):
        return lib.Sequential([lib.Input((5,)), lib.layers.Dense(2)])

    k_model, l_model = build(keras), build(keraslite)
    l_model.set_weights(k_model.get_weights())
    x = np.random.default_rng(2).random((3, 5)).astype("float32")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # real Keras warns about the structure
        want = k_model.predict([x], verbose=0)
    assert_close(l_model.predict([x], verbose=0), want, what="predict([x])")
    assert_close(to_numpy(l_model([x])), want, what="model([x])")
    assert l_model.predict([[1.0, 2.0, 3.0, 4.0, 5.0]], verbose=0).shape == (1, 2)  # one sample as a nested list
