"""Keras 2 (2018-2019) functional dialect, in the manner of the old
`examples/variational_autoencoder.py`: an encoder that outputs `z_mean` and `z_log_var`, the
reparameterization trick as `Lambda(sampling, output_shape=(latent_dim,))` written with
`K.random_normal`, `K.shape`, `K.int_shape` and `K.exp`, a decoder model, and the VAE model
whose loss (reconstruction + KL divergence, built with `K.sum`, `K.square`, `K.exp`, `K.mean`)
is attached with `vae.add_loss(...)`, then `vae.compile(optimizer='rmsprop')` with no loss and
`vae.fit(x_train, epochs=..., batch_size=..., validation_data=(x_test, None))`. The data is a
synthetic stand-in for MNIST: 14x14 pictures of bars at random positions. Runs in seconds.

Run: python -m keraslite examples/keras2_variational_autoencoder.py
"""
from __future__ import absolute_import
from __future__ import division
from __future__ import print_function

import numpy as np
from keras.layers import Lambda, Input, Dense
from keras.models import Model
from keras.losses import mse, binary_crossentropy
from keras import backend as K

np.random.seed(0)


# reparameterization trick
# instead of sampling from Q(z|X), sample epsilon = N(0,I)
# z = z_mean + sqrt(var) * epsilon
def sampling(args):
    """Reparameterization trick by sampling from an isotropic unit Gaussian.

    # Arguments
        args (tensor): mean and log of variance of Q(z|X)

    # Returns
        z (tensor): sampled latent vector
    """
    z_mean, z_log_var = args
    batch = K.shape(z_mean)[0]
    dim = K.int_shape(z_mean)[1]
    # by default, random_normal has mean = 0 and std = 1.0
    epsilon = K.random_normal(shape=(batch, dim))
    return z_mean + K.exp(0.5 * z_log_var) * epsilon


def make_bars(n, size=14):
    """Pictures with one bright horizontal or vertical bar, pixel values in [0, 1]."""
    images = np.zeros((n, size, size), dtype='float32')
    for i in range(n):
        pos = np.random.randint(2, size - 2)
        if np.random.rand() < 0.5:
            images[i, pos - 1:pos + 2, :] = 1.0
        else:
            images[i, :, pos - 1:pos + 2] = 1.0
    return np.clip(images + 0.05 * np.random.rand(n, size, size), 0, 1).astype('float32')


x_train, x_test = make_bars(512), make_bars(128)
image_size = x_train.shape[1]
original_dim = image_size * image_size
x_train = np.reshape(x_train, [-1, original_dim])
x_test = np.reshape(x_test, [-1, original_dim])
print('x_train:', x_train.shape, 'x_test:', x_test.shape)

# network parameters
input_shape = (original_dim, )
intermediate_dim = 64
batch_size = 32
latent_dim = 2
epochs = 5

# VAE model = encoder + decoder
# build encoder model
inputs = Input(shape=input_shape, name='encoder_input')
x = Dense(intermediate_dim, activation='relu')(inputs)
z_mean = Dense(latent_dim, name='z_mean')(x)
z_log_var = Dense(latent_dim, name='z_log_var')(x)

# use reparameterization trick to push the sampling out as input
# note that "output_shape" isn't necessary with the TensorFlow backend
z = Lambda(sampling, output_shape=(latent_dim,), name='z')([z_mean, z_log_var])

# instantiate encoder model
encoder = Model(inputs, [z_mean, z_log_var, z], name='encoder')
encoder.summary()

# build decoder model
latent_inputs = Input(shape=(latent_dim,), name='z_sampling')
x = Dense(intermediate_dim, activation='relu')(latent_inputs)
outputs = Dense(original_dim, activation='sigmoid')(x)

# instantiate decoder model
decoder = Model(latent_inputs, outputs, name='decoder')
decoder.summary()

# instantiate VAE model
outputs = decoder(encoder(inputs)[2])
vae = Model(inputs, outputs, name='vae_mlp')

use_mse = False
# VAE loss = mse_loss or xent_loss + kl_loss
if use_mse:
    reconstruction_loss = mse(inputs, outputs)
else:
    reconstruction_loss = binary_crossentropy(inputs, outputs)

reconstruction_loss *= original_dim
kl_loss = 1 + z_log_var - K.square(z_mean) - K.exp(z_log_var)
kl_loss = K.sum(kl_loss, axis=-1)
kl_loss *= -0.5
vae_loss = K.mean(reconstruction_loss + kl_loss)
vae.add_loss(vae_loss)
vae.compile(optimizer='rmsprop')
vae.summary()

# train the autoencoder
history = vae.fit(x_train,
                  epochs=epochs,
                  batch_size=batch_size,
                  validation_data=(x_test, None))
losses = history.history['loss']
print('loss went from %.2f to %.2f' % (losses[0], losses[-1]))
print('validation loss: %.2f' % history.history['val_loss'][-1])

# the 2D latent means of the test set, as the tutorial plots them
z_mean_test, _, _ = encoder.predict(x_test, batch_size=batch_size)
print('latent means:', z_mean_test.shape)

# decode a grid of latent points into pictures
n = 3
grid = np.array([[xi, yi] for yi in np.linspace(-2, 2, n) for xi in np.linspace(-2, 2, n)])
x_decoded = decoder.predict(grid)
digits = x_decoded.reshape(n * n, image_size, image_size)
print('decoded grid:', digits.shape, 'pixel range %.2f-%.2f' % (digits.min(), digits.max()))

vae.save_weights('vae_mlp_mnist.h5')
reloaded = Model(inputs, outputs, name='vae_mlp')
reloaded.load_weights('vae_mlp_mnist.h5')
print('weights reloaded:', all(np.array_equal(a, b) for a, b in zip(vae.get_weights(), reloaded.get_weights())))
