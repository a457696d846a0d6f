"""keras.random, Keras 3 custom train steps (torch style) and default names, against real
Keras 3 (torch backend) in the same process."""
import numpy as np
import pytest
import torch

import keraslite

from compat_tests.parity import assert_close, to_numpy

keras = pytest.importorskip("keras")


def _draws(lib):
    r = lib.random
    gen = r.SeedGenerator(1234)
    return [
        r.normal((3, 4), seed=5),
        r.normal((3, 4), mean=1.0, stddev=2.0, seed=gen),
        r.normal((3, 4), seed=gen),
        r.uniform((6,), minval=-1.0, maxval=2.0, seed=gen),
        r.uniform((), seed=7),
        r.truncated_normal((4, 5), stddev=0.3, seed=8),
        r.randint((10,), 0, 9, seed=gen),
        r.categorical(np.log(np.array([[0.2, 0.3, 0.5], [0.6, 0.3, 0.1]], "float32")), 8, seed=9),
        r.shuffle(np.arange(20).reshape(5, 4), seed=10),
        r.shuffle(np.arange(20).reshape(5, 4), axis=1, seed=11),
        r.dropout(torch.ones((4, 6)), 0.5, seed=gen),
        r.dropout(torch.ones((4, 6)), 0.5, noise_shape=(4, 1), seed=12),
    ]


def test_seeded_draws_equal_keras():
    expected, actual = _draws(keras), _draws(keraslite)
    for i, (a, e) in enumerate(zip(actual, expected)):
        assert_close(to_numpy(a), to_numpy(e), atol=1e-6, what=f"draw {i}")


def test_unseeded_draws_after_set_random_seed_equal_keras():
    # Both libraries draw the global generator's seed from Python's `random`: one after the other.
    def draws(lib):
        lib.utils.set_random_seed(21)
        return [to_numpy(f(s)) for _ in range(3) for f, s in ((lib.random.normal, (2, 3)), (lib.random.uniform, (4,)))]

    assert_close(draws(keraslite), draws(keras), atol=1e-6)


def _sampling_model(lib):
    class Sampling(lib.layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.seed_generator = lib.random.SeedGenerator(1337)

        def call(self, inputs):
            z_mean, z_log_var = inputs
            epsilon = lib.random.normal(shape=lib.ops.shape(z_mean), seed=self.seed_generator)
            return z_mean + lib.ops.exp(0.5 * z_log_var) * epsilon

    inp = lib.Input((4,))
    z_mean = lib.layers.Dense(2, name="z_mean")(inp)
    z_log_var = lib.layers.Dense(2, name="z_log_var")(inp)
    return lib.Model(inp, [z_mean, z_log_var, Sampling()([z_mean, z_log_var])])


def test_noise_layer_in_a_functional_model_draws_keras_numbers():
    k_model, l_model = _sampling_model(keras), _sampling_model(keraslite)
    l_model.set_weights(k_model.get_weights())
    x = np.random.default_rng(0).standard_normal((5, 4)).astype("float32")
    for _ in range(2):  # the second call continues the SeedGenerator's sequence
        assert_close(to_numpy(l_model(x)), to_numpy(k_model(x)), atol=1e-5)


def _vae(lib):
    encoder = _sampling_model(lib)
    z = lib.Input((2,))
    decoder = lib.Model(z, lib.layers.Dense(4, activation="sigmoid")(z))

    class VAE(lib.Model):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.encoder, self.decoder = encoder, decoder
            self.total_loss_tracker = lib.metrics.Mean(name="total_loss")
            self.kl_loss_tracker = lib.metrics.Mean(name="kl_loss")

        @property
        def metrics(self):
            return [self.total_loss_tracker, self.kl_loss_tracker]

        def call(self, x):
            return self.decoder(self.encoder(x)[2])

        def train_step(self, data):
            if isinstance(data, tuple):
                data = data[0]
            self.zero_grad()
            z_mean, z_log_var, z = self.encoder(data)
            reconstruction = self.decoder(z)
            rec = lib.ops.mean(lib.ops.sum(lib.ops.square(data - reconstruction), axis=1))
            kl = lib.ops.mean(lib.ops.sum(-0.5 * (1 + z_log_var - lib.ops.square(z_mean) - lib.ops.exp(z_log_var)),
                                          axis=1))
            total = rec + kl
            total.backward()
            trainable_weights = [v for v in self.trainable_weights]
            gradients = [v.value.grad for v in trainable_weights]
            with torch.no_grad():
                self.optimizer.apply(gradients, trainable_weights)
            self.total_loss_tracker.update_state(total)
            self.kl_loss_tracker.update_state(kl)
            return {"loss": self.total_loss_tracker.result(), "kl_loss": self.kl_loss_tracker.result()}

    return VAE()


def test_custom_torch_train_step_with_trackers_trains_like_keras():
    k_vae, l_vae = _vae(keras), _vae(keraslite)
    for k_part, l_part in ((k_vae.encoder, l_vae.encoder), (k_vae.decoder, l_vae.decoder)):
        l_part.set_weights(k_part.get_weights())
    x = np.random.default_rng(1).uniform(size=(32, 4)).astype("float32")
    k_vae.compile(optimizer=keras.optimizers.Adam(0.01))
    l_vae.compile(optimizer=keraslite.optimizers.Adam(0.01))
    k_hist = k_vae.fit(x, epochs=3, batch_size=8, shuffle=False, verbose=0).history
    l_hist = l_vae.fit(x, epochs=3, batch_size=8, shuffle=False, verbose=0).history
    assert sorted(l_hist) == sorted(k_hist)
    for key in k_hist:
        assert_close(l_hist[key], k_hist[key], atol=1e-4, what=key)


def _names(lib):
    L = lib.layers
    lib.Sequential([lib.Input((4,)), L.Dense(2)])
    aug = lib.Sequential([L.Dense(2)], name="aug")
    inp = lib.Input((4,))
    first = lib.Model(inp, aug(inp))
    legacy = lib.Sequential([L.Dense(2, input_shape=(3,)), L.Dense(1)])
    legacy.add(L.Dense(1))
    second = lib.Model(inp, L.Dense(1)(inp))
    return [first.name, [layer.name for layer in first.layers], second.name, legacy.name, lib.Input((2,)).name
            if lib is keraslite else None]


def test_default_names_after_sequential_models_equal_keras():
    k_names, l_names = _names(keras), _names(keraslite)
    assert l_names[:4] == k_names[:4]
    # Keras names the KerasTensor itself "keras_tensor_N"; the InputLayer behind it carries the name
    assert l_names[4] == keras.Input((2,))._keras_history[0].name


def test_normalization_weight_dtypes_equal_keras():
    k_layer, l_layer = keras.layers.Normalization(), keraslite.layers.Normalization()
    k_layer.build((None, 3))
    l_layer.build((None, 3))
    assert [w.dtype for w in l_layer.get_weights()] == [w.dtype for w in k_layer.get_weights()]
