"""The Keras 2 GAN recipe (as in countless Keras 2 blog posts and the DCGAN/ACGAN examples):
compile the discriminator, set `discriminator.trainable = False`, build and compile the
combined model, then alternate `train_on_batch` calls. compile() fixes which weights train,
so the discriminator keeps learning in its own steps and stays fixed in the combined one.
The data are 2-D points on a ring instead of images."""
import numpy as np
from keras.layers import Dense, Input, LeakyReLU
from keras.models import Model, Sequential
from keras.optimizers import Adam

np.random.seed(0)
latent_dim = 4


def real_samples(n):
    angle = np.random.uniform(0, 2 * np.pi, n)
    return np.stack([np.cos(angle), np.sin(angle)], axis=1).astype("float32")


generator = Sequential([Dense(16, input_dim=latent_dim), LeakyReLU(0.2), Dense(2)])
discriminator = Sequential([Dense(16, input_dim=2), LeakyReLU(0.2), Dense(1, activation="sigmoid")])
discriminator.compile(loss="binary_crossentropy", optimizer=Adam(lr=0.002, beta_1=0.5), metrics=["accuracy"])

discriminator.trainable = False
gan_input = Input(shape=(latent_dim,))
gan = Model(inputs=gan_input, outputs=discriminator(generator(gan_input)))
gan.compile(loss="binary_crossentropy", optimizer=Adam(lr=0.002, beta_1=0.5))
gan.summary()

batch_size = 32
d_changed = g_changed = d_fixed_in_gan = 0
for step in range(60):
    noise = np.random.normal(0, 1, (batch_size, latent_dim))
    fake = generator.predict(noise, verbose=0)
    x = np.concatenate([real_samples(batch_size), fake])
    y = np.concatenate([np.ones((batch_size, 1)), np.zeros((batch_size, 1))])
    y[:batch_size] -= 0.05 * np.random.random((batch_size, 1))  # one-sided label smoothing
    before = discriminator.get_weights()[0].copy()
    d_loss, d_acc = discriminator.train_on_batch(x, y)
    d_changed += not np.allclose(before, discriminator.get_weights()[0])

    d_before, g_before = discriminator.get_weights()[0].copy(), generator.get_weights()[0].copy()
    g_loss = gan.train_on_batch(np.random.normal(0, 1, (batch_size, latent_dim)), np.ones((batch_size, 1)))
    d_fixed_in_gan += np.array_equal(d_before, discriminator.get_weights()[0])
    g_changed += not np.allclose(g_before, generator.get_weights()[0])
    if step % 20 == 0:
        print(f"step {step}: d_loss {d_loss:.4f} d_acc {d_acc:.2f} g_loss {float(g_loss):.4f}")

print(f"discriminator updated in its own steps: {d_changed}/60")
print(f"discriminator unchanged by the combined model's steps: {d_fixed_in_gan}/60")
print(f"generator updated by the combined model's steps: {g_changed}/60")
points = generator.predict(np.random.normal(0, 1, (256, latent_dim)), verbose=0)
print("generated points:", points.shape, "finite:", bool(np.isfinite(points).all()))
