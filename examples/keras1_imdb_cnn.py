"""Keras 1 (2016) dialect, in the style of the Keras 1.x `imdb_cnn.py` example: a 1D convnet
over word embeddings for binary sentiment. Exercises `sequence.pad_sequences`,
`Embedding(max_features, embedding_dims, input_length=maxlen, dropout=0.2)` (Keras 1's
word-level dropout argument), `Convolution1D(nb_filter=, filter_length=, border_mode='valid',
activation='relu', subsample_length=1)`, `MaxPooling1D(pool_length=)`, `GlobalMaxPooling1D`,
and `fit(..., nb_epoch=, validation_data=)`. The "reviews" are synthetic integer sequences of
varying length whose label depends on how many "positive" words they contain. A last part
follows the 2016 "pre-trained word embeddings" tutorial on raw text: `Tokenizer(nb_words=)`,
`texts_to_sequences`, `one_hot`, and a frozen `Embedding(weights=[embedding_matrix],
trainable=False)`.

Run: python -m keraslite examples/keras1_imdb_cnn.py
"""
from __future__ import print_function
import numpy as np
np.random.seed(1337)  # for reproducibility

from keras.preprocessing import sequence
from keras.preprocessing.text import Tokenizer, one_hot
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

# --- raw text: Tokenizer -> sequences -> a frozen, "pre-trained" embedding matrix
MAX_NB_WORDS = 30
good = ['great', 'fine', 'superb', 'lovely', 'good']
bad = ['awful', 'dull', 'boring', 'bad', 'poor']
filler = ['the', 'film', 'plot', 'was', 'and', 'a', 'story', 'acting', 'very', 'quite']
texts, labels = [], []
for i in range(200):
    label = i % 2
    words = list(np.random.choice(filler, 8)) + list(np.random.choice(good if label else bad, 2))
    np.random.shuffle(words)
    texts.append(' '.join(words))
    labels.append(label)
labels = np.array(labels)

tokenizer = Tokenizer(nb_words=MAX_NB_WORDS)
tokenizer.fit_on_texts(texts)
sequences = tokenizer.texts_to_sequences(texts)
word_index = tokenizer.word_index
print('Found %s unique tokens.' % len(word_index))
data = sequence.pad_sequences(sequences, maxlen=12)
print('Shape of data tensor:', data.shape)
print('one_hot("the film was great", 50):', len(one_hot('the film was great', 50)), 'indices')

embedding_matrix = np.zeros((len(word_index) + 1, 8))
for word, i in word_index.items():
    embedding_matrix[i] = np.random.RandomState(i).rand(8) * (1 if word in good else -1 if word in bad else 0.1)
model = Sequential()
model.add(Embedding(len(word_index) + 1, 8, weights=[embedding_matrix], input_length=12, trainable=False))
model.add(Convolution1D(16, 3, activation='relu'))
model.add(GlobalMaxPooling1D())
model.add(Dense(1, activation='sigmoid'))
model.compile(loss='binary_crossentropy', optimizer='rmsprop', metrics=['acc'])
model.fit(data, labels, nb_epoch=3, batch_size=32, verbose=2)
print('frozen embedding unchanged:', np.allclose(model.layers[0].get_weights()[0], embedding_matrix))
