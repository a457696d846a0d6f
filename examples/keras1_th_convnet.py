"""Keras 1 (2016) dialect, Theano-era image code: channels-first tensors selected with
`K.set_image_dim_ordering('th')` and checked with `K.image_dim_ordering()`, as in the Keras 1.x
`mnist_cnn.py` and `cifar10_cnn.py` examples and the VGG-style blog tutorials of the time.
Exercises `Convolution2D(32, 3, 3, border_mode='same', input_shape=(1, 28, 28))`, an explicit
`dim_ordering='th'`, `MaxPooling2D(pool_size=(2, 2))`, `ZeroPadding2D((1, 1))`,
`UpSampling2D`, `BatchNormalization(mode=0, axis=1)`, `W_regularizer=l2(0.01)`,
`b_regularizer=l2()`, `activity_regularizer=activity_l2()`, `W_constraint=maxnorm(2)`, the
advanced activations `LeakyReLU(alpha=0.3)`, `PReLU()` and `ELU()` from
`keras.layers.advanced_activations`, and a small convolutional autoencoder. The images are
synthetic 28x28 "digits".

Run: python -m keraslite examples/keras1_th_convnet.py
"""
from __future__ import print_function
import numpy as np
np.random.seed(1337)  # for reproducibility

from keras import backend as K
from keras.models import Sequential
from keras.layers import Dense, Dropout, Activation, Flatten
from keras.layers import Convolution2D, MaxPooling2D, ZeroPadding2D, UpSampling2D
from keras.layers.normalization import BatchNormalization
from keras.layers.advanced_activations import LeakyReLU, PReLU, ELU
from keras.regularizers import l2, activity_l2
from keras.constraints import maxnorm
from keras.optimizers import SGD
from keras.utils import np_utils

K.set_image_dim_ordering('th')
print('image_dim_ordering:', K.image_dim_ordering())

batch_size = 32
nb_classes = 4
nb_epoch = 3
# input image dimensions
img_rows, img_cols = 28, 28
# number of convolutional filters to use
nb_filters = 8
# size of pooling area for max pooling
nb_pool = 2
# convolution kernel size
nb_conv = 3

templates = np.random.rand(nb_classes, img_rows, img_cols)
y_train = np.random.randint(0, nb_classes, 256)
y_test = np.random.randint(0, nb_classes, 64)
X_train = templates[y_train] + 0.5 * np.random.rand(256, img_rows, img_cols)
X_test = templates[y_test] + 0.5 * np.random.rand(64, img_rows, img_cols)

if K.image_dim_ordering() == 'th':
    X_train = X_train.reshape(X_train.shape[0], 1, img_rows, img_cols)
    X_test = X_test.reshape(X_test.shape[0], 1, img_rows, img_cols)
    input_shape = (1, img_rows, img_cols)
else:
    X_train = X_train.reshape(X_train.shape[0], img_rows, img_cols, 1)
    X_test = X_test.reshape(X_test.shape[0], img_rows, img_cols, 1)
    input_shape = (img_rows, img_cols, 1)
X_train = X_train.astype('float32') / 2
X_test = X_test.astype('float32') / 2
print('X_train shape:', X_train.shape)

Y_train = np_utils.to_categorical(y_train, nb_classes)
Y_test = np_utils.to_categorical(y_test, nb_classes)

model = Sequential()
model.add(Convolution2D(nb_filters, nb_conv, nb_conv,
                        border_mode='same',
                        input_shape=input_shape))
model.add(BatchNormalization(mode=0, axis=1))
model.add(LeakyReLU(alpha=0.3))
model.add(Convolution2D(nb_filters, nb_conv, nb_conv, W_regularizer=l2(0.01), b_regularizer=l2(0.01)))
model.add(PReLU())
model.add(MaxPooling2D(pool_size=(nb_pool, nb_pool)))
model.add(Dropout(0.25))

model.add(ZeroPadding2D((1, 1)))
model.add(Convolution2D(nb_filters, nb_conv, nb_conv, activation='relu'))
model.add(MaxPooling2D(pool_size=(nb_pool, nb_pool), dim_ordering='th'))

model.add(Flatten())
model.add(Dense(32, W_constraint=maxnorm(2), activity_regularizer=activity_l2(0.001)))
model.add(ELU())
model.add(Dropout(0.5))
model.add(Dense(nb_classes))
model.add(Activation('softmax'))
model.summary()

sgd = SGD(lr=0.05, decay=1e-6, momentum=0.9, nesterov=True)
model.compile(loss='categorical_crossentropy', optimizer=sgd, metrics=['accuracy'])
model.fit(X_train, Y_train, batch_size=batch_size, nb_epoch=nb_epoch,
          verbose=1, validation_data=(X_test, Y_test))
score = model.evaluate(X_test, Y_test, verbose=0)
print('Test score:', score[0])
print('Test accuracy:', score[1])

bn = model.layers[1]
print('BatchNormalization(axis=1) keeps one gamma per channel:', bn.get_weights()[0].shape)
norms = np.sqrt((model.layers[11].get_weights()[0] ** 2).sum(axis=0))
print('maxnorm(2) holds after training:', bool((norms <= 2 + 1e-5).all()))

# A convolutional autoencoder with per-layer dim_ordering='th'
autoencoder = Sequential()
autoencoder.add(Convolution2D(4, 3, 3, activation='relu', border_mode='same',
                              dim_ordering='th', input_shape=(1, 28, 28)))
autoencoder.add(MaxPooling2D((2, 2), border_mode='same', dim_ordering='th'))
autoencoder.add(Convolution2D(4, 3, 3, activation='relu', border_mode='same', dim_ordering='th'))
autoencoder.add(UpSampling2D((2, 2), dim_ordering='th'))
autoencoder.add(Convolution2D(1, 3, 3, activation='sigmoid', border_mode='same', dim_ordering='th'))
autoencoder.compile(optimizer='adadelta', loss='binary_crossentropy')
autoencoder.fit(X_train / X_train.max(), X_train / X_train.max(), nb_epoch=2, batch_size=64,
                shuffle=True, verbose=2)
decoded = autoencoder.predict(X_test[:4] / X_train.max())
print('autoencoder output shape:', decoded.shape)
