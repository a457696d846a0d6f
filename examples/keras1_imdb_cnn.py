"""Keras 1 (2016) dialect, in the style of the Keras 1.x `imdb_cnn.py` example: a 1D convnet
over word embeddings for binary sentiment. Exercises `sequence.pad_sequences`,
`Embedding(max_features, embedding_dims, input_length=maxlen, dropout=0.2)` (Keras 1's
word-level dropout argument), `Convolution1D(nb_filter=, filter_length=, border_mode='valid',
activation='relu', subsample_length=1)`, `MaxPooling1D(pool_length=)`, `GlobalMaxPooling1D`,
and `fit(..., nb_epoch=, validation_data=)`. The "reviews" are synthetic integer sequences of
varying length whose label depends on how many "positive" words they contain.

Run: python -m keraslite examples/keras1_imdb_cnn.py
"""
from __future__ import print_function
import numpy as np
np.random.seed(1337)  # for reproducibility

from keras.preprocessing import sequence
from keras.models import Sequential
from keras.layers import Dense, Dropout, Activation, Flatten
from keras.layers import Embedding
from keras.layers import Convolution1D, MaxPooling1D, GlobalMaxPooling1D

# set parameters:
max_features = 500
maxlen = 40
batch_size = 32
embedding_dims = 16
nb_filter = 32
filter_length = 3
hidden_dims = 32
nb_epoch = 3


def make_reviews(n):
    """Lists of word indices; words 1-49 are 'positive', 50-99 'negative'."""
    X, y = [], []
    for _ in range(n):
        length = np.random.randint(10, 60)
        label = np.random.randint(0, 2)
        words = np.random.randint(100, max_features, length)
        marked = np.random.rand(length) < 0.3
        words[marked] = np.random.randint(1, 50, marked.sum()) + (0 if label else 49)
        X.append(list(words))
        y.append(label)
    return X, np.array(y)


print('Loading data...')
X_train, y_train = make_reviews(400)
X_test, y_test = make_reviews(100)
print(len(X_train), 'train sequences')
print(len(X_test), 'test sequences')

print('Pad sequences (samples x time)')
X_train = sequence.pad_sequences(X_train, maxlen=maxlen)
X_test = sequence.pad_sequences(X_test, maxlen=maxlen)
print('X_train shape:', X_train.shape)
print('X_test shape:', X_test.shape)

print('Build model...')
model = Sequential()

# we start off with an efficient embedding layer which maps
# our vocab indices into embedding_dims dimensions
model.add(Embedding(max_features,
                    embedding_dims,
                    input_length=maxlen,
                    dropout=0.2))

# we add a Convolution1D, which will learn nb_filter
# word group filters of size filter_length:
model.add(Convolution1D(nb_filter=nb_filter,
                        filter_length=filter_length,
                        border_mode='valid',
                        activation='relu',
                        subsample_length=1))
# we use max pooling:
model.add(GlobalMaxPooling1D())

# We add a vanilla hidden layer:
model.add(Dense(hidden_dims))
model.add(Dropout(0.2))
model.add(Activation('relu'))

# We project onto a single unit output layer, and squash it with a sigmoid:
model.add(Dense(1))
model.add(Activation('sigmoid'))

model.compile(loss='binary_crossentropy',
              optimizer='adam',
              metrics=['accuracy'])
model.fit(X_train, y_train,
          batch_size=batch_size,
          nb_epoch=nb_epoch,
          validation_data=(X_test, y_test))
loss, acc = model.evaluate(X_test, y_test, verbose=0)
print('global max pooling: test loss %.4f, test accuracy %.4f' % (loss, acc))

# The older variant of the same example: local max pooling with pool_length, then Flatten.
model = Sequential()
model.add(Embedding(max_features, embedding_dims, input_length=maxlen, dropout=0.2))
model.add(Convolution1D(nb_filter=nb_filter, filter_length=filter_length,
                        border_mode='valid', activation='relu', subsample_length=1))
model.add(MaxPooling1D(pool_length=model.output_shape[1]))
print('after MaxPooling1D(pool_length=%d):' % (maxlen - filter_length + 1), model.output_shape)
model.add(Flatten())
model.add(Dense(hidden_dims))
model.add(Dropout(0.2))
model.add(Activation('relu'))
model.add(Dense(1))
model.add(Activation('sigmoid'))
model.compile(loss='binary_crossentropy', optimizer='rmsprop', metrics=['accuracy'])
model.fit(X_train, y_train, batch_size=batch_size, nb_epoch=2, verbose=2,
          validation_data=(X_test, y_test))
print('local max pooling: test [loss, acc] =', model.evaluate(X_test, y_test, verbose=0))
