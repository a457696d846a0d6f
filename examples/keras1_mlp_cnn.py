"""Keras 1 (2016) dialect: an MLP and a small CNN written the way Keras 1.x tutorials did
(`init=`, `nb_epoch=`, `Convolution2D(32, 3, 3, border_mode='same')`, `keras.layers.core`,
`np_utils.to_categorical`, `SGD(lr=...)`), on synthetic data so it runs in seconds.

Run: python -m keraslite examples/keras1_mlp_cnn.py
"""
import numpy as np
from keras.models import Sequential
from keras.layers.core import Dense, Dropout, Activation, Flatten
from keras.layers.convolutional import Convolution2D, MaxPooling2D
from keras.optimizers import SGD
from keras.utils import np_utils

np.random.seed(7)

# --- MLP: 8 features -> 3 classes
X = np.random.rand(120, 8).astype("float32")
labels = (X[:, 0] * 3).astype("int64").clip(0, 2)
Y = np_utils.to_categorical(labels, 3)

model = Sequential()
model.add(Dense(16, input_dim=8, init='uniform'))
model.add(Activation('relu'))
model.add(Dropout(0.1))
model.add(Dense(3, init='uniform'))
model.add(Activation('softmax'))
model.compile(loss='categorical_crossentropy', optimizer=SGD(lr=0.1), metrics=['accuracy'])
model.fit(X, Y, nb_epoch=5, batch_size=16, verbose=2)
loss, acc = model.evaluate(X, Y, verbose=0)
print("mlp loss %.4f acc %.4f" % (loss, acc))

# --- CNN: 8x8 single-channel images -> 2 classes
images = np.random.rand(64, 8, 8, 1).astype("float32")
y = np_utils.to_categorical((images.mean(axis=(1, 2, 3)) > 0.5).astype("int64"), 2)

cnn = Sequential()
cnn.add(Convolution2D(32, 3, 3, border_mode='same', input_shape=(8, 8, 1)))
cnn.add(Activation('relu'))
cnn.add(MaxPooling2D(pool_size=(2, 2)))
cnn.add(Flatten())
cnn.add(Dense(2, init='normal'))
cnn.add(Activation('softmax'))
cnn.compile(loss='categorical_crossentropy', optimizer='adadelta', metrics=['accuracy'])
cnn.fit(images, y, nb_epoch=2, batch_size=16, verbose=2)
cnn.summary()
print("cnn predictions:", cnn.predict(images[:2]).shape)
