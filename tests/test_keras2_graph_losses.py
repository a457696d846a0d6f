"""Keras 2 functional idioms that build a loss or a metric out of tensors: `model.add_loss`
with a symbolic tensor (the VAE recipe), loss functions called on symbolic tensors, metric
functions that expect labels of the predictions' rank, and boolean one-hot targets."""
import numpy as np
import pytest
import torch

import keraslite
from keraslite import backend as K
from keraslite import layers, losses, metrics, ops


def _x(*shape, seed=0):
    return np.random.default_rng(seed).uniform(0, 1, shape).astype("float32")


def _autoencoder():
    inputs = keraslite.Input((6,))
    hidden = layers.Dense(3, activation="relu")(inputs)
    outputs = layers.Dense(6, activation="sigmoid")(hidden)
    return inputs, hidden, outputs, keraslite.Model(inputs, outputs)


def test_loss_function_on_symbolic_tensors_is_a_graph_node():
    inputs, _, outputs, _ = _autoencoder()
    per_sample = losses.binary_crossentropy(inputs, outputs)
    assert K.is_keras_tensor(per_sample)
    assert per_sample.shape == (None,)
    probe = keraslite.Model(inputs, [outputs, per_sample])
    x = _x(4, 6)
    y, values = probe.predict(x, verbose=0)
    np.testing.assert_allclose(values, losses.binary_crossentropy(x, y).numpy(), rtol=1e-5, atol=1e-6)


def test_symbolic_add_loss_is_recomputed_for_each_call_and_trained():
    inputs, hidden, outputs, model = _autoencoder()
    reconstruction = losses.mse(inputs, outputs) * 6
    penalty = 0.1 * K.sum(K.square(hidden), axis=-1)
    model.add_loss(K.mean(reconstruction + penalty))
    x = _x(8, 6)
    y = model(x)
    assert len(model.losses) == 1
    expected = (np.mean((x - y.detach().numpy()) ** 2, axis=-1) * 6).mean()
    hid = np.maximum(x @ model.layers[1].get_weights()[0] + model.layers[1].get_weights()[1], 0)
    expected += 0.1 * (hid ** 2).sum(-1).mean()
    np.testing.assert_allclose(float(model.losses[0]), expected, rtol=1e-5)
    # another call replaces the loss instead of appending to it
    model(x[:2])
    assert len(model.losses) == 1
    # compile() without a loss: the added loss is what fit minimises, with or without targets
    model.compile(optimizer="adam")
    before = model.evaluate(x, verbose=0)
    history = model.fit(x, epochs=3, batch_size=4, verbose=0, validation_data=(x, None))
    assert sorted(history.history) == ["loss", "val_loss"]
    after = model.evaluate(x, verbose=0)
    assert after < before
    # the model's own graph (layers, config) is not changed by add_loss
    assert [type(l).__name__ for l in model.layers] == ["InputLayer", "Dense", "Dense"]


def test_symbolic_add_loss_through_a_nested_model():
    inputs = keraslite.Input((5,))
    z_mean = layers.Dense(2, name="z_mean")(inputs)
    encoder = keraslite.Model(inputs, z_mean)
    decoder_in = keraslite.Input((2,))
    decoder = keraslite.Model(decoder_in, layers.Dense(5)(decoder_in))
    outputs = decoder(encoder(inputs))
    model = keraslite.Model(inputs, outputs)
    model.add_loss(K.mean(K.square(z_mean)))
    x = _x(3, 5)
    model(x)
    w, b = encoder.get_weights()
    np.testing.assert_allclose(float(model.losses[0]), np.mean((x @ w + b) ** 2), rtol=1e-5)


def test_symbolic_add_loss_errors():
    inputs, _, outputs, model = _autoencoder()
    other = keraslite.Input((6,))
    with pytest.raises(ValueError, match="cannot compute the tensor given to add_loss"):
        model.add_loss(K.mean(other))

    class Sub(keraslite.Model):
        def call(self, x):
            return x

    with pytest.raises(ValueError, match="only a model built as Model\\(inputs, outputs\\)"):
        Sub().add_loss(K.mean(inputs))


def test_metric_function_gets_labels_of_the_predictions_rank():
    seen = []

    def threshold_accuracy(y_true, y_pred):
        seen.append(tuple(y_true.shape))
        return K.mean(K.equal(y_true, K.cast(y_pred < 0.5, y_true.dtype)))

    inputs = keraslite.Input((3,))
    model = keraslite.Model(inputs, layers.Dense(1)(inputs))
    model.compile(optimizer="sgd", loss="mse", metrics=[threshold_accuracy])
    x = _x(8, 3)
    y = np.array([1, 0] * 4)
    _, acc = model.evaluate(x, y, batch_size=8, verbose=0)
    assert seen and all(s == (8, 1) for s in seen)
    pred = model.predict(x, verbose=0)[:, 0]
    assert acc == pytest.approx(np.mean((pred < 0.5).astype(int) == y))


def test_categorical_accuracy_of_boolean_one_hot_targets():
    y_true = np.array([[0, 1, 0], [1, 0, 0], [0, 0, 1]], dtype=np.bool_)
    y_pred = np.array([[0.1, 0.8, 0.1], [0.2, 0.7, 0.1], [0.3, 0.3, 0.4]], dtype="float32")
    np.testing.assert_array_equal(metrics.categorical_accuracy(y_true, y_pred).numpy(), [1, 0, 1])
    np.testing.assert_array_equal(metrics.top_k_categorical_accuracy(y_true, y_pred, k=2).numpy(), [1, 1, 1])
    assert int(ops.argmax(torch.tensor([False, True, False]))) == 1
    assert int(ops.argmin(torch.tensor([True, False, True]))) == 1


def test_keras2_custom_loss_layer_with_add_loss_inputs():
    # Keras 2's VAE variant: a layer that adds the loss, add_loss(loss, inputs=inputs)
    class CustomVariationalLayer(layers.Layer):
        def call(self, inputs):
            x, x_decoded = inputs
            self.add_loss(K.mean(losses.binary_crossentropy(x, x_decoded)), inputs=inputs)
            return x

    inputs, _, outputs, _ = _autoencoder()
    y = CustomVariationalLayer()([inputs, outputs])
    model = keraslite.Model(inputs, y)
    model.compile(optimizer="rmsprop", loss=None)
    x = _x(8, 6)
    history = model.fit(x, None, epochs=2, batch_size=4, verbose=0)
    assert len(history.history["loss"]) == 2 and history.history["loss"][0] > 0


def test_model_add_metric_with_a_symbolic_tensor_is_averaged_per_batch():
    # tf.keras 2: `model.add_metric(tensor_of_the_graph, name=..., aggregation="mean")` reports
    # the tensor's value averaged over the batches of each epoch / evaluation.
    inputs = keraslite.Input((5,))
    hidden = layers.Dense(3, activation="relu")(inputs)
    model = keraslite.Model(inputs, layers.Dense(1)(hidden))
    model.add_metric(ops.mean(hidden), name="mean_hidden", aggregation="mean")
    model.compile(keraslite.optimizers.SGD(0.0), "mse")
    x, y = _x(24, 5), _x(24, 1, seed=1)
    kernel, bias = model.layers[1].get_weights()
    h = np.maximum(x @ kernel + bias, 0)
    expected = np.mean([h[i:i + 8].mean() for i in range(0, 24, 8)])
    history = model.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
    assert sorted(history.history) == ["loss", "mean_hidden"]
    np.testing.assert_allclose(history.history["mean_hidden"], [expected] * 2, rtol=1e-5)
    logs = model.evaluate(x, y, batch_size=8, verbose=0, return_dict=True)
    np.testing.assert_allclose(logs["mean_hidden"], expected, rtol=1e-5)
    assert [m.name for m in model.metrics] == ["loss", "mean_hidden"]
    assert model.predict(x, verbose=0).shape == (24, 1)
    with pytest.raises(ValueError, match="provide a name for your metric"):
        model.add_metric(ops.sum(hidden))
    with pytest.raises(ValueError, match="aggregation='mean'"):
        model.add_metric(ops.sum(hidden), name="total", aggregation="sum")


def test_a_loss_function_closing_over_graph_tensors_uses_the_batchs_values():
    # Keras 1's VAE (and the 2016 Keras blog): vae_loss(x, x_decoded) adds a KL term computed
    # from the model's own z_mean / z_log_var KerasTensors; each batch must use its own values.
    from keraslite import backend as K

    keraslite.utils.set_random_seed(0)
    x = keraslite.Input(shape=(6,))
    h = keraslite.layers.Dense(5, activation="relu")(x)
    z_mean, z_log_var = keraslite.layers.Dense(2)(h), keraslite.layers.Dense(2)(h)
    z = keraslite.layers.Lambda(lambda a: a[0] + 0.0 * K.exp(a[1] / 2))([z_mean, z_log_var])  # sampling, std 0
    decoded = keraslite.layers.Dense(6, activation="sigmoid")(z)

    def vae_loss(y_true, y_pred):
        xent = 6 * keraslite.losses.binary_crossentropy(y_true, y_pred)
        kl = -0.5 * K.sum(1 + z_log_var - K.square(z_mean) - K.exp(z_log_var), axis=-1)
        return xent + kl

    vae = keraslite.Model(x, decoded)
    vae.compile(optimizer="sgd", loss=vae_loss)
    data = np.random.default_rng(0).random((12, 6)).astype("float32")
    got = vae.evaluate(data, data, batch_size=4, verbose=0)
    stats = keraslite.Model(x, [z_mean, z_log_var, decoded]).predict(data, verbose=0)
    mean, log_var, out = stats
    out = np.clip(out, 1e-7, 1 - 1e-7)
    xent = -6 * np.mean(data * np.log(out) + (1 - data) * np.log(1 - out), axis=-1)
    kl = -0.5 * np.sum(1 + log_var - mean ** 2 - np.exp(log_var), axis=-1)
    np.testing.assert_allclose(got, np.mean(xent + kl), rtol=1e-4)
    history = vae.fit(data, data, batch_size=4, epochs=2, verbose=0).history
    assert np.all(np.isfinite(history["loss"]))


def test_custom_loss_layer_closing_over_outer_graph_tensors_uses_this_passs_values():
    # Deep Learning with Python (1st ed.) 8.4's VAE: the loss layer's call reads z_mean /
    # z_log_var, KerasTensors made outside the layer and not among its inputs. Each forward pass
    # computes them first, and the layer's ops on them take those values (and their gradients).
    class CustomVariationalLayer(layers.Layer):
        def call(self, inputs):
            x, decoded = inputs
            xent = losses.binary_crossentropy(K.flatten(x), K.flatten(decoded))
            kl = -0.5 * K.mean(1 + z_log_var - K.square(z_mean) - K.exp(z_log_var), axis=-1)
            self.add_loss(K.mean(xent + kl), inputs=inputs)
            return x

    keraslite.utils.set_random_seed(0)
    inputs = keraslite.Input((6,))
    hidden = layers.Dense(5, activation="relu")(inputs)
    z_mean, z_log_var = layers.Dense(2)(hidden), layers.Dense(2)(hidden)
    z = layers.Lambda(lambda a: a[0] + 0.0 * K.exp(a[1] / 2))([z_mean, z_log_var])  # sampling, std 0
    decoded = layers.Dense(6, activation="sigmoid")(z)
    model = keraslite.Model(inputs, CustomVariationalLayer()([inputs, decoded]))
    model.compile(optimizer="rmsprop", loss=None)
    x = _x(16, 6)

    model(x)
    mean, log_var, out = keraslite.Model(inputs, [z_mean, z_log_var, decoded]).predict(x, verbose=0)
    out = np.clip(out, 1e-7, 1 - 1e-7)
    xent = -np.mean(x * np.log(out) + (1 - x) * np.log(1 - out))
    kl = -0.5 * np.mean(1 + log_var - mean ** 2 - np.exp(log_var), axis=-1)
    assert len(model.losses) == 1 and isinstance(model.losses[0], torch.Tensor)
    np.testing.assert_allclose(float(model.losses[0]), xent + kl.mean(), rtol=1e-5)

    log_var_kernel = model.layers[3].get_weights()[0]  # only the KL term reaches z_log_var's Dense
    history = model.fit(x, None, epochs=2, batch_size=4, shuffle=False, verbose=0)
    assert history.history["loss"][1] < history.history["loss"][0]
    assert not np.allclose(model.layers[3].get_weights()[0], log_var_kernel)
    np.testing.assert_allclose(model.predict(x, verbose=0), x)


def test_custom_loss_layer_reading_a_tensor_the_model_does_not_compute_says_how_to_fix_it():
    inputs = keraslite.Input((6,))
    z_mean, z_log_var = layers.Dense(2)(inputs), layers.Dense(2)(inputs)  # z_log_var feeds no output
    decoded = layers.Dense(6, activation="sigmoid")(z_mean)

    class KLOnly(layers.Layer):
        def call(self, inputs):
            self.add_loss(K.mean(K.exp(z_log_var)))
            return inputs[0]

    class Mixed(layers.Layer):
        def call(self, inputs):
            self.add_loss(K.mean(K.square(z_mean) - z_log_var))
            return inputs[0]

    x = _x(4, 6)
    with pytest.raises(ValueError, match=r"Layer 'kl_only' \(KLOnly\): add_loss\(\) received a symbolic tensor.*"
                                         r"KLOnly\(\)\(\[x, z_mean, z_log_var\]\)"):
        keraslite.Model(inputs, KLOnly()([inputs, decoded]))(x)
    with pytest.raises(ValueError, match=r"does not compute.*Pass the tensors the layer needs as its inputs"):
        keraslite.Model(inputs, Mixed()([inputs, decoded]))(x)


def test_keras2_merge_subclass_fixing_the_batch_builds_and_runs():
    # Generative Deep Learning / Keras-GAN's WGAN-GP: RandomWeightedAverage(_Merge) draws
    # alpha of shape (batch_size, 1, 1, 1); TensorFlow gave its output that static batch.
    import keraslite
    from keraslite import backend as K

    keraslite.install_aliases()
    try:
        from keras.layers.merge import _Merge
    finally:
        keraslite.uninstall_aliases()

    class RandomWeightedAverage(_Merge):
        def _merge_function(self, inputs):
            alpha = K.random_uniform((8, 1, 1, 1))
            return (alpha * inputs[0]) + ((1 - alpha) * inputs[1])

    a, b = keraslite.Input((4, 4, 3)), keraslite.Input((4, 4, 3))
    avg = RandomWeightedAverage()([a, b])
    assert K.int_shape(avg) == (8, 4, 4, 3)
    model = keraslite.Model([a, b], keraslite.layers.Dense(1)(keraslite.layers.Flatten()(avg)))
    out = model.predict([np.ones((8, 4, 4, 3)), np.ones((8, 4, 4, 3))], verbose=0)
    assert out.shape == (8, 1)


def test_metric_functions_reading_graph_tensors():
    # Generative Deep Learning's VAE: compile(loss=vae_loss, metrics=[vae_r_loss, vae_kl_loss]),
    # the KL term reading the encoder's tensors. Each is computed on the same forward pass, so
    # per batch (and, with one batch per epoch, per epoch) loss == r + kl.
    import keraslite
    from keraslite import backend as K

    inputs = keraslite.Input((4,))
    hidden = keraslite.layers.Dense(3)(inputs)
    model = keraslite.Model(inputs, keraslite.layers.Dense(4)(hidden))

    def kl(y_true, y_pred):
        return K.mean(K.square(hidden), axis=1)

    def r(y_true, y_pred):
        return K.mean(K.square(y_true - y_pred), axis=1)

    model.compile(optimizer="adam", loss=lambda t, p: r(t, p) + kl(t, p), metrics=[kl, r])
    x = np.random.default_rng(0).random((16, 4)).astype("float32")
    history = model.fit(x, x, epochs=2, batch_size=16, verbose=0).history
    np.testing.assert_allclose(history["loss"], np.add(history["kl"], history["r"]), rtol=1e-5)
    loss, kl_value, r_value = model.evaluate(x, x, verbose=0)
    np.testing.assert_allclose(loss, kl_value + r_value, rtol=1e-5)
    h = keraslite.Model(inputs, hidden).predict(x, verbose=0)
    np.testing.assert_allclose(kl_value, np.mean(np.square(h)), rtol=1e-5)


def test_gradient_penalty_loss_taking_gradients_of_a_model_tensor():
    # WGAN-GP in Keras 2 (Generative Deep Learning, Keras-GAN): a loss built with
    # partial(gradient_penalty_loss, interpolated_samples=<model tensor>) calls K.gradients on it.
    # It trains the weights the penalty depends on (double backward) and evaluates too.
    from functools import partial

    import torch

    import keraslite
    from keraslite import backend as K

    def penalty(y_true, y_pred, interpolated_samples):
        gradients = K.gradients(y_pred, interpolated_samples)[0]
        norms = K.sqrt(K.sum(K.square(gradients), axis=np.arange(1, len(gradients.shape))))
        return K.mean(K.square(1 - norms))

    inputs = keraslite.Input((4,))
    mid = keraslite.layers.Dense(4)(inputs)
    critic = keraslite.layers.Dense(8, activation="tanh")
    head = keraslite.layers.Dense(1)
    model = keraslite.Model(inputs, head(critic(mid)))
    loss = partial(penalty, interpolated_samples=mid)
    loss.__name__ = "gradient_penalty"
    model.compile(keraslite.optimizers.SGD(0.1), loss=loss)
    x = np.random.default_rng(0).random((8, 4)).astype("float32")

    def expected():  # the penalty by hand, with torch autograd on the same weights
        h = torch.tensor(keraslite.Model(inputs, mid).predict(x, verbose=0), requires_grad=True)
        w1, b1 = (torch.tensor(w) for w in critic.get_weights())
        w2, b2 = (torch.tensor(w) for w in head.get_weights())
        out = torch.tanh(h @ w1 + b1) @ w2 + b2
        (g,) = torch.autograd.grad(out.sum(), h)
        return float(((1 - g.norm(dim=1)) ** 2).mean())

    np.testing.assert_allclose(model.evaluate(x, np.zeros((8, 1)), verbose=0), expected(), rtol=1e-5)
    before = critic.get_weights()[0].copy()
    model.train_on_batch(x, np.zeros((8, 1)))
    assert not np.allclose(before, critic.get_weights()[0])  # the penalty reached the critic's weights
    np.testing.assert_allclose(model.test_on_batch(x, np.zeros((8, 1))), expected(), rtol=1e-5)


def test_callable_add_loss_is_kept_and_evaluated_when_losses_are_read():
    # tf.keras 2 (Hands-On CV with TF2's ConvWithRegularizers): add_loss(partial(reg, self.kernel))
    # in build(); the penalty follows the weight's current value and is trained.
    import functools

    def reg(w, coef=0.1):
        return coef * ops.sum(w ** 2)

    class Regularized(layers.Layer):
        def build(self, input_shape):
            self.k = self.add_weight(name="k", shape=(input_shape[-1], 2), initializer="ones")
            self.add_loss(functools.partial(reg, self.k))

        def call(self, x):
            return ops.matmul(x, self.k)

    model = keraslite.Sequential([keraslite.Input((3,)), Regularized()])
    model.compile(keraslite.optimizers.SGD(0.01), "mse")
    model(np.ones((2, 3), "float32"))  # a call does not clear it
    assert len(model.losses) == 1 and float(model.losses[0]) == pytest.approx(0.6)
    history = model.fit(np.zeros((4, 3), "float32"), np.zeros((4, 2), "float32"), epochs=2, verbose=0)
    # the only loss is the penalty: 0.1 * 6 * k^2, with k shrinking by lr * 0.2 * k per step
    assert history.history["loss"] == pytest.approx([0.6, 0.6 * 0.998 ** 2], rel=1e-5)
    assert float(model.losses[0]) == pytest.approx(0.6 * 0.998 ** 4, rel=1e-5)


def test_a_loss_of_none_for_every_output_trains_on_the_added_losses():
    # tf.keras 2 (Mask R-CNN): compile(loss=[None] * len(model.outputs)) with every loss added
    # by add_loss; targets are then left out (`[]`, None).
    inputs, target = keraslite.Input((4,)), keraslite.Input((1,))
    prediction = layers.Dense(1)(inputs)
    error = layers.Lambda(lambda t: K.mean(K.square(t[0] - t[1]), keepdims=True), name="error")([prediction, target])
    model = keraslite.Model([inputs, target], [prediction, error])
    model.add_loss(K.mean(model.get_layer("error").output))
    x, y = _x(8, 4), _x(8, 1, seed=1)
    for loss in ([None, None], (None, None), dict.fromkeys(model.output_names)):
        model.compile(optimizer="sgd", loss=loss)
        expected = float(np.mean((model.predict([x, y], verbose=0)[0] - y) ** 2))
        np.testing.assert_allclose(model.train_on_batch([x, y], []), expected, rtol=1e-5)
        history = model.fit([x, y], None, epochs=2, verbose=0)
        assert history.history["loss"][1] < expected
        model.fit(iter([([x, y], [])] * 2), steps_per_epoch=2, verbose=0)
        assert np.isfinite(model.evaluate([x, y], verbose=0))
