"""Keras 1 (2016) dialect, in the style of the Keras 1.x `mnist_mlp.py` example: a 784-512-512-10
perceptron on flattened 28x28 "digits", with `Dense(512, input_shape=(784,))`, separate
`Activation` and `Dropout` layers, `RMSprop()`, `np_utils.to_categorical`,
`model.fit(..., nb_epoch=, verbose=1, validation_data=(X_test, Y_test))`, the Keras 0.3 holdover
`show_accuracy=True` (Keras 1.0 still accepted it with a deprecation warning), and
`model.evaluate(..., verbose=0)` returning a list read as `score[0]` / `score[1]`, and Keras 1's
own `MaxoutDense(nb_feature=)` and `Highway` layers.
The digits are synthetic: each class is a noisy copy of its own random template.

Run: python -m keraslite examples/keras1_mnist_mlp.py
"""
from __future__ import print_function
import numpy as np
np.random.seed(1337)  # for reproducibility

from keras.models import Sequential
from keras.layers.core import Dense, Dropout, Activation, MaxoutDense, Highway
from keras.optimizers import RMSprop
from keras.utils import np_utils

batch_size = 128
nb_classes = 10
nb_epoch = 3

# the data, shuffled and split between train and test sets
templates = np.random.rand(nb_classes, 28, 28)
y_train = np.random.randint(0, nb_classes, 1000)
y_test = np.random.randint(0, nb_classes, 200)
X_train = templates[y_train] + 1.5 * np.random.rand(1000, 28, 28)
X_test = templates[y_test] + 1.5 * np.random.rand(200, 28, 28)

X_train = X_train.reshape(1000, 784)
X_test = X_test.reshape(200, 784)
X_train = X_train.astype('float32')
X_test = X_test.astype('float32')
X_train /= 2.5
X_test /= 2.5
print(X_train.shape[0], 'train samples')
print(X_test.shape[0], 'test samples')

# convert class vectors to binary class matrices
Y_train = np_utils.to_categorical(y_train, nb_classes)
Y_test = np_utils.to_categorical(y_test, nb_classes)

model = Sequential()
model.add(Dense(512, input_shape=(784,)))
model.add(Activation('relu'))
model.add(Dropout(0.2))
model.add(Dense(512))
model.add(Activation('relu'))
model.add(Dropout(0.2))
model.add(Dense(10))
model.add(Activation('softmax'))

model.summary()

model.compile(loss='categorical_crossentropy',
              optimizer=RMSprop(),
              metrics=['accuracy'])

history = model.fit(X_train, Y_train,
                    batch_size=batch_size, nb_epoch=nb_epoch,
                    verbose=1, validation_data=(X_test, Y_test))
print('history keys:', sorted(history.history.keys()))
score = model.evaluate(X_test, Y_test, verbose=0)
print('Test score:', score[0])
print('Test accuracy:', score[1])

# Keras 0.3 code passed show_accuracy=True to fit/evaluate; Keras 1.0 accepted and ignored it.
model.fit(X_train, Y_train, batch_size=batch_size, nb_epoch=1, show_accuracy=True, verbose=2)
score = model.evaluate(X_test, Y_test, show_accuracy=True, verbose=0)
print('score after one more epoch: loss %.4f, acc %.4f' % (score[0], score[1]))

# Keras 1's own dense variants: maxout units, then a highway layer
model = Sequential()
model.add(MaxoutDense(64, nb_feature=4, input_shape=(784,)))
model.add(Highway(activation='relu'))
model.add(Dropout(0.2))
model.add(Dense(10, activation='softmax'))
model.compile(loss='categorical_crossentropy', optimizer=RMSprop(), metrics=['accuracy'])
model.fit(X_train, Y_train, batch_size=batch_size, nb_epoch=2, verbose=2, validation_data=(X_test, Y_test))
print('maxout + highway weights:', [w.shape for w in model.get_weights()[:6]])
print('maxout + highway test accuracy: %.4f' % model.evaluate(X_test, Y_test, verbose=0)[1])
