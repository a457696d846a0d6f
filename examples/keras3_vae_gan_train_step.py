"""Keras 3 (2023+) dialect, torch backend style: two models that override `train_step`.

1. A variational autoencoder (keras.io "Variational AutoEncoder" style): a functional encoder
   with three outputs and a `Sampling` layer that draws `keras.random.normal` noise from its own
   `keras.random.SeedGenerator`, a functional decoder, and a subclassed `keras.Model` whose
   `train_step` computes the reconstruction and KL losses with `keras.ops`, tracks them with
   `keras.metrics.Mean` objects listed in the `metrics` property, and updates the weights the
   way the keras.io PyTorch guides do: `self.zero_grad()`, `loss.backward()`, then
   `self.optimizer.apply(gradients, trainable_weights)`.
2. A GAN (keras.io "Customizing what happens in fit() with PyTorch" style) with its own
   `compile(d_optimizer=..., g_optimizer=..., loss_fn=...)` and two optimizers updated in
   turn from one `train_step`.

The images are synthetic 12x12 "blobs". Runs in seconds.

Run: python -m keraslite examples/keras3_vae_gan_train_step.py
"""
import numpy as np
import torch
import keras
from keras import layers
from keras import ops

keras.utils.set_random_seed(5)

rng = np.random.default_rng(5)
size = 12
yy, xx = np.mgrid[0:size, 0:size]
centers = rng.uniform(3, size - 3, size=(256, 2))
images = np.exp(-((yy[None] - centers[:, :1, None]) ** 2 + (xx[None] - centers[:, 1:, None]) ** 2) / 6.0)
images = np.expand_dims(images, -1).astype("float32")  # (256, 12, 12, 1), values in [0, 1]
print("images:", images.shape, images.dtype)


# ---------------------------------------------------------------------------------------------
# Variational autoencoder
# ---------------------------------------------------------------------------------------------
class Sampling(layers.Layer):
    """Uses (z_mean, z_log_var) to sample z, the vector encoding a digit."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.seed_generator = keras.random.SeedGenerator(1337)

    def call(self, inputs):
        z_mean, z_log_var = inputs
        batch = ops.shape(z_mean)[0]
        dim = ops.shape(z_mean)[1]
        epsilon = keras.random.normal(shape=(batch, dim), seed=self.seed_generator)
        return z_mean + ops.exp(0.5 * z_log_var) * epsilon


latent_dim = 2

encoder_inputs = keras.Input(shape=(size, size, 1))
x = layers.Conv2D(8, 3, activation="relu", strides=2, padding="same")(encoder_inputs)
x = layers.Flatten()(x)
x = layers.Dense(16, activation="relu")(x)
z_mean = layers.Dense(latent_dim, name="z_mean")(x)
z_log_var = layers.Dense(latent_dim, name="z_log_var")(x)
z = Sampling()([z_mean, z_log_var])
encoder = keras.Model(encoder_inputs, [z_mean, z_log_var, z], name="encoder")
encoder.summary()

latent_inputs = keras.Input(shape=(latent_dim,))
x = layers.Dense(6 * 6 * 8, activation="relu")(latent_inputs)
x = layers.Reshape((6, 6, 8))(x)
x = layers.Conv2DTranspose(8, 3, activation="relu", strides=2, padding="same")(x)
decoder_outputs = layers.Conv2DTranspose(1, 3, activation="sigmoid", padding="same")(x)
decoder = keras.Model(latent_inputs, decoder_outputs, name="decoder")
decoder.summary()


class VAE(keras.Model):
    def __init__(self, encoder, decoder, **kwargs):
        super().__init__(**kwargs)
        self.encoder = encoder
        self.decoder = decoder
        self.total_loss_tracker = keras.metrics.Mean(name="total_loss")
        self.reconstruction_loss_tracker = keras.metrics.Mean(name="reconstruction_loss")
        self.kl_loss_tracker = keras.metrics.Mean(name="kl_loss")

    @property
    def metrics(self):
        return [
            self.total_loss_tracker,
            self.reconstruction_loss_tracker,
            self.kl_loss_tracker,
        ]

    def call(self, inputs):
        z_mean, z_log_var, z = self.encoder(inputs)
        return self.decoder(z)

    def train_step(self, data):
        if isinstance(data, tuple):
            data = data[0]
        self.zero_grad()
        z_mean, z_log_var, z = self.encoder(data)
        reconstruction = self.decoder(z)
        reconstruction_loss = ops.mean(
            ops.sum(keras.losses.binary_crossentropy(data, reconstruction), axis=(1, 2))
        )
        kl_loss = -0.5 * (1 + z_log_var - ops.square(z_mean) - ops.exp(z_log_var))
        kl_loss = ops.mean(ops.sum(kl_loss, axis=1))
        total_loss = reconstruction_loss + kl_loss
        total_loss.backward()

        trainable_weights = [v for v in self.trainable_weights]
        gradients = [v.value.grad for v in trainable_weights]
        with torch.no_grad():
            self.optimizer.apply(gradients, trainable_weights)

        self.total_loss_tracker.update_state(total_loss)
        self.reconstruction_loss_tracker.update_state(reconstruction_loss)
        self.kl_loss_tracker.update_state(kl_loss)
        return {
            "loss": self.total_loss_tracker.result(),
            "reconstruction_loss": self.reconstruction_loss_tracker.result(),
            "kl_loss": self.kl_loss_tracker.result(),
        }


vae = VAE(encoder, decoder)
vae.compile(optimizer=keras.optimizers.Adam())
history = vae.fit(images, epochs=3, batch_size=32, verbose=2)
print("VAE history keys:", sorted(history.history))
print("VAE loss went down:", history.history["loss"][-1] < history.history["loss"][0])
print("VAE metrics:", [m.name for m in vae.metrics])

z_mean_out, _, _ = encoder.predict(images[:8], verbose=0)
decoded = decoder.predict(z_mean_out, verbose=0)
print("latent means:", z_mean_out.shape, "decoded:", decoded.shape)
print("VAE trainable weights:", len(vae.trainable_weights))


# ---------------------------------------------------------------------------------------------
# GAN
# ---------------------------------------------------------------------------------------------
discriminator = keras.Sequential(
    [
        keras.Input(shape=(size, size, 1)),
        layers.Conv2D(16, (3, 3), strides=(2, 2), padding="same"),
        layers.LeakyReLU(negative_slope=0.2),
        layers.Conv2D(16, (3, 3), strides=(2, 2), padding="same"),
        layers.LeakyReLU(negative_slope=0.2),
        layers.GlobalMaxPooling2D(),
        layers.Dense(1),
    ],
    name="discriminator",
)

gan_latent_dim = 16
generator = keras.Sequential(
    [
        keras.Input(shape=(gan_latent_dim,)),
        layers.Dense(3 * 3 * 16),
        layers.LeakyReLU(negative_slope=0.2),
        layers.Reshape((3, 3, 16)),
        layers.Conv2DTranspose(16, (4, 4), strides=(2, 2), padding="same"),
        layers.LeakyReLU(negative_slope=0.2),
        layers.Conv2DTranspose(16, (4, 4), strides=(2, 2), padding="same"),
        layers.LeakyReLU(negative_slope=0.2),
        layers.Conv2D(1, (3, 3), padding="same", activation="sigmoid"),
    ],
    name="generator",
)
discriminator.summary()
generator.summary()


class GAN(keras.Model):
    def __init__(self, discriminator, generator, latent_dim):
        super().__init__()
        self.discriminator = discriminator
        self.generator = generator
        self.latent_dim = latent_dim
        self.d_loss_tracker = keras.metrics.Mean(name="d_loss")
        self.g_loss_tracker = keras.metrics.Mean(name="g_loss")
        self.seed_generator = keras.random.SeedGenerator(1337)
        self.built = True

    @property
    def metrics(self):
        return [self.d_loss_tracker, self.g_loss_tracker]

    def compile(self, d_optimizer, g_optimizer, loss_fn):
        super().compile()
        self.d_optimizer = d_optimizer
        self.g_optimizer = g_optimizer
        self.loss_fn = loss_fn

    def train_step(self, real_images):
        device = "cuda" if torch.cuda.is_available() else "cpu"
        if isinstance(real_images, tuple):
            real_images = real_images[0]
        batch_size = real_images.shape[0]

        # Train the discriminator on generated (label 1) and real (label 0) images
        random_latent_vectors = keras.random.normal(
            shape=(batch_size, self.latent_dim), seed=self.seed_generator
        )
        generated_images = self.generator(random_latent_vectors)
        real_images = torch.as_tensor(real_images, device=device)
        combined_images = torch.concat([generated_images, real_images], axis=0)
        labels = torch.concat(
            [torch.ones((batch_size, 1), device=device), torch.zeros((batch_size, 1), device=device)],
            axis=0,
        )
        labels += 0.05 * keras.random.uniform(labels.shape, seed=self.seed_generator)

        self.zero_grad()
        predictions = self.discriminator(combined_images)
        d_loss = self.loss_fn(labels, predictions)
        d_loss.backward()
        grads = [v.value.grad for v in self.discriminator.trainable_weights]
        with torch.no_grad():
            self.d_optimizer.apply(grads, self.discriminator.trainable_weights)

        # Train the generator through the discriminator without touching the discriminator
        random_latent_vectors = keras.random.normal(
            shape=(batch_size, self.latent_dim), seed=self.seed_generator
        )
        misleading_labels = torch.zeros((batch_size, 1), device=device)
        self.zero_grad()
        predictions = self.discriminator(self.generator(random_latent_vectors))
        g_loss = self.loss_fn(misleading_labels, predictions)
        g_loss.backward()
        grads = [v.value.grad for v in self.generator.trainable_weights]
        with torch.no_grad():
            self.g_optimizer.apply(grads, self.generator.trainable_weights)

        self.d_loss_tracker.update_state(d_loss)
        self.g_loss_tracker.update_state(g_loss)
        return {
            "d_loss": self.d_loss_tracker.result(),
            "g_loss": self.g_loss_tracker.result(),
        }


gan = GAN(discriminator=discriminator, generator=generator, latent_dim=gan_latent_dim)
gan.compile(
    d_optimizer=keras.optimizers.Adam(learning_rate=0.0003),
    g_optimizer=keras.optimizers.Adam(learning_rate=0.0003),
    loss_fn=keras.losses.BinaryCrossentropy(from_logits=True),
)
d_before = [w.copy() for w in discriminator.get_weights()]
g_before = [w.copy() for w in generator.get_weights()]
history = gan.fit(images, epochs=2, batch_size=64, verbose=2)
print("GAN history keys:", sorted(history.history))
print("discriminator updated:", any(not np.allclose(a, b) for a, b in zip(d_before, discriminator.get_weights())))
print("generator updated:", any(not np.allclose(a, b) for a, b in zip(g_before, generator.get_weights())))
print("optimizer steps (d, g):", int(gan.d_optimizer.iterations), int(gan.g_optimizer.iterations))
samples = generator.predict(np.random.normal(size=(3, gan_latent_dim)).astype("float32"), verbose=0)
print("generated samples:", samples.shape, "in [0, 1]:", bool(samples.min() >= 0 and samples.max() <= 1))
