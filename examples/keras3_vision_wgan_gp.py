"""keras.io generative family (tf.keras imports, as "WGAN-GP overriding Model.train_step" and
"GAN overriding Model.train_step" are written):
- a critic that zero-pads 12x12 images to 16x16 (`ZeroPadding2D`) and a generator that
  upsamples to 16x16 and crops back (`Cropping2D`), built from small block functions;
- a `keras.Model` subclass whose `compile` takes its own optimizers and loss functions and
  whose `train_step` runs several critic steps per generator step;
- the gradient penalty: an inner `tf.GradientTape` that `watch`es the interpolated images,
  whose gradient norm then enters the outer tape's loss (a second-order gradient);
- a callback that turns generated images into PNG files with
  `keras.preprocessing.image.array_to_img`, shown with `IPython.display.Image`.
The "real" images are synthetic: a bright vertical bar at a random column. Runs in seconds.

Run: python -m keraslite examples/keras3_vision_wgan_gp.py
"""
import os

import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

tf.random.set_seed(3)
IMG_SHAPE = (12, 12, 1)
NOISE_DIM = 16

rng = np.random.default_rng(3)
real = np.full((96,) + IMG_SHAPE, -1.0, dtype="float32")
for i, col in enumerate(rng.integers(2, 10, size=96)):
    real[i, 2:10, col - 1:col + 1, 0] = 1.0  # images in [-1, 1]
print("real images:", real.shape, real.min(), real.max())


def critic_block(x, filters, dropout=None):
    x = layers.Conv2D(filters, 3, strides=2, padding="same")(x)
    x = layers.LeakyReLU(0.2)(x)
    return layers.Dropout(dropout)(x) if dropout else x


def build_critic():
    images = layers.Input(shape=IMG_SHAPE)
    x = layers.ZeroPadding2D((2, 2))(images)  # (16, 16, 1)
    x = critic_block(x, 8)
    x = critic_block(x, 16, dropout=0.2)
    x = layers.Flatten()(x)
    return keras.models.Model(images, layers.Dense(1)(x), name="critic")


def upsample_block(x, filters, activation, use_bn=True):
    x = layers.UpSampling2D((2, 2))(x)
    x = layers.Conv2D(filters, 3, padding="same", use_bias=False)(x)
    if use_bn:
        x = layers.BatchNormalization()(x)
    return activation(x)


def build_generator():
    noise = layers.Input(shape=(NOISE_DIM,))
    x = layers.Dense(4 * 4 * 16, use_bias=False)(noise)
    x = layers.LeakyReLU(0.2)(layers.BatchNormalization()(x))
    x = layers.Reshape((4, 4, 16))(x)
    x = upsample_block(x, 8, layers.LeakyReLU(0.2))
    x = upsample_block(x, 1, layers.Activation("tanh"), use_bn=False)  # (16, 16, 1)
    return keras.models.Model(noise, layers.Cropping2D((2, 2))(x), name="generator")


critic, generator = build_critic(), build_generator()
print("critic output:", critic.output_shape, "generator output:", generator.output_shape)


class WGANGP(keras.Model):
    def __init__(self, critic, generator, latent_dim, critic_steps=2, gp_weight=10.0):
        super().__init__()
        self.critic = critic
        self.generator = generator
        self.latent_dim = latent_dim
        self.critic_steps = critic_steps
        self.gp_weight = gp_weight

    def compile(self, c_optimizer, g_optimizer, c_loss_fn, g_loss_fn):
        super().compile()
        self.c_optimizer = c_optimizer
        self.g_optimizer = g_optimizer
        self.c_loss_fn = c_loss_fn
        self.g_loss_fn = g_loss_fn

    def gradient_penalty(self, batch_size, real_images, fake_images):
        alpha = tf.random.uniform([batch_size, 1, 1, 1], 0.0, 1.0)
        mixed = real_images + alpha * (fake_images - real_images)
        with tf.GradientTape() as gp_tape:
            gp_tape.watch(mixed)
            scores = self.critic(mixed, training=True)
        grads = gp_tape.gradient(scores, [mixed])[0]
        norm = tf.sqrt(tf.reduce_sum(tf.square(grads), axis=[1, 2, 3]) + 1e-12)
        return tf.reduce_mean((norm - 1.0) ** 2)

    def train_step(self, real_images):
        if isinstance(real_images, tuple):
            real_images = real_images[0]
        batch_size = tf.shape(real_images)[0]
        for _ in range(self.critic_steps):
            noise = tf.random.normal(shape=(batch_size, self.latent_dim))
            with tf.GradientTape() as tape:
                fake_images = self.generator(noise, training=True)
                c_cost = self.c_loss_fn(real=self.critic(real_images, training=True),
                                        fake=self.critic(fake_images, training=True))
                gp = self.gradient_penalty(batch_size, real_images, fake_images)
                c_loss = c_cost + self.gp_weight * gp
            grads = tape.gradient(c_loss, self.critic.trainable_variables)
            self.c_optimizer.apply_gradients(zip(grads, self.critic.trainable_variables))
        noise = tf.random.normal(shape=(batch_size, self.latent_dim))
        with tf.GradientTape() as tape:
            g_loss = self.g_loss_fn(self.critic(self.generator(noise, training=True), training=True))
        grads = tape.gradient(g_loss, self.generator.trainable_variables)
        self.g_optimizer.apply_gradients(zip(grads, self.generator.trainable_variables))
        return {"c_loss": c_loss, "g_loss": g_loss, "gp": gp}


class SaveSamples(keras.callbacks.Callback):
    def __init__(self, num_img=2, latent_dim=NOISE_DIM):
        super().__init__()
        self.num_img = num_img
        self.latent_dim = latent_dim

    def on_epoch_end(self, epoch, logs=None):
        images = self.model.generator(tf.random.normal(shape=(self.num_img, self.latent_dim)))
        images = images * 127.5 + 127.5
        for i in range(self.num_img):
            keras.preprocessing.image.array_to_img(images[i].numpy()).save(f"sample_{i}_{epoch}.png")


def critic_loss(real, fake):
    return tf.reduce_mean(fake) - tf.reduce_mean(real)


def generator_loss(fake):
    return -tf.reduce_mean(fake)


# The penalty's gradient flows through the critic's own input gradient.
probe = tf.Variable(tf.ones((2,) + IMG_SHAPE))
with tf.GradientTape() as outer:
    with tf.GradientTape() as inner:
        inner.watch(probe)
        score = tf.reduce_sum(critic(probe, training=False))
    input_grad = inner.gradient(score, probe)
    penalty = tf.reduce_sum(tf.square(input_grad))
second_order = outer.gradient(penalty, critic.trainable_variables)
print("second-order gradients:", sum(g is not None for g in second_order), "of", len(second_order))

critic_before = [w.copy() for w in critic.get_weights()]
generator_before = [w.copy() for w in generator.get_weights()]
wgan = WGANGP(critic, generator, latent_dim=NOISE_DIM, critic_steps=2)
wgan.compile(c_optimizer=keras.optimizers.Adam(learning_rate=2e-4, beta_1=0.5, beta_2=0.9),
             g_optimizer=keras.optimizers.Adam(learning_rate=2e-4, beta_1=0.5, beta_2=0.9),
             c_loss_fn=critic_loss, g_loss_fn=generator_loss)
history = wgan.fit(real, batch_size=32, epochs=3, callbacks=[SaveSamples()], verbose=2)
print("history keys:", sorted(history.history))
print("critic updated:", any(not np.array_equal(a, b) for a, b in zip(critic_before, critic.get_weights())))
print("generator updated:", any(not np.array_equal(a, b) for a, b in zip(generator_before, generator.get_weights())))
print("optimizer steps (critic, generator):", int(wgan.c_optimizer.iterations), int(wgan.g_optimizer.iterations))
print("samples written:", sorted(f for f in os.listdir(".") if f.startswith("sample_")))

from IPython.display import Image, display  # noqa: E402

display(Image("sample_0_2.png"))
