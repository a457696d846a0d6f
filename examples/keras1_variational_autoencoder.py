"""Keras 1 (2016) dialect, in the style of the Keras 1.x `variational_autoencoder.py` example and
the 2016 "Building Autoencoders in Keras" post: a VAE whose loss function closes over the
model's own `z_mean` / `z_log_var` tensors (the KL term), compiled with `loss=vae_loss`. Also
`Input(batch_shape=)`, a `Lambda` sampling layer drawing `K.random_normal(..., std=)`, the
`keras.objectives` module, `nb_epoch=`, and encoder / generator models built from the trained
layers. The "digits" are synthetic: noisy copies of ten random templates.

Run: python -m keraslite examples/keras1_variational_autoencoder.py
"""
from __future__ import print_function
import numpy as np

from keras.layers import Input, Dense, Lambda
from keras.models import Model
from keras import backend as K
from keras import objectives

np.random.seed(7)
batch_size = 50
original_dim = 64
latent_dim = 2
intermediate_dim = 32
nb_epoch = 3
epsilon_std = 1.0

x = Input(batch_shape=(batch_size, original_dim))
h = Dense(intermediate_dim, activation='relu')(x)
z_mean = Dense(latent_dim)(h)
z_log_var = Dense(latent_dim)(h)


def sampling(args):
    z_mean, z_log_var = args
    epsilon = K.random_normal(shape=(batch_size, latent_dim), mean=0., std=epsilon_std)
    return z_mean + K.exp(z_log_var / 2) * epsilon


# note that "output_shape" isn't necessary with the TensorFlow backend
z = Lambda(sampling, output_shape=(latent_dim,))([z_mean, z_log_var])

# we instantiate these layers separately so as to reuse them later
decoder_h = Dense(intermediate_dim, activation='relu')
decoder_mean = Dense(original_dim, activation='sigmoid')
h_decoded = decoder_h(z)
x_decoded_mean = decoder_mean(h_decoded)


def vae_loss(x, x_decoded_mean):
    xent_loss = original_dim * objectives.binary_crossentropy(x, x_decoded_mean)
    kl_loss = - 0.5 * K.sum(1 + z_log_var - K.square(z_mean) - K.exp(z_log_var), axis=-1)
    return xent_loss + kl_loss


vae = Model(x, x_decoded_mean)
vae.compile(optimizer='rmsprop', loss=vae_loss)

templates = np.random.rand(10, original_dim) > 0.5
labels_train = np.random.randint(0, 10, 1000)
labels_test = np.random.randint(0, 10, 200)
x_train = np.clip(templates[labels_train] + 0.2 * np.random.randn(1000, original_dim), 0, 1).astype('float32')
x_test = np.clip(templates[labels_test] + 0.2 * np.random.randn(200, original_dim), 0, 1).astype('float32')

history = vae.fit(x_train, x_train, shuffle=True, nb_epoch=nb_epoch, batch_size=batch_size,
                  validation_data=(x_test, x_test), verbose=2)
print('loss went from %.2f to %.2f' % (history.history['loss'][0], history.history['loss'][-1]))

# build a model to project inputs on the latent space
encoder = Model(x, z_mean)
x_test_encoded = encoder.predict(x_test, batch_size=batch_size)
print('encoded test set:', x_test_encoded.shape)

# build a digit generator that can sample from the learned distribution
decoder_input = Input(shape=(latent_dim,))
_h_decoded = decoder_h(decoder_input)
_x_decoded_mean = decoder_mean(_h_decoded)
generator = Model(decoder_input, _x_decoded_mean)
grid = np.array([[xi, yi] for xi in np.linspace(-2, 2, 5) for yi in np.linspace(-2, 2, 5)])
x_decoded = generator.predict(grid)
print('generated:', x_decoded.shape, 'values in [%.2f, %.2f]' % (x_decoded.min(), x_decoded.max()))
