"""Keras 1 (2016) dialect, in the style of the Keras 1.x `imdb_lstm.py`,
`imdb_bidirectional_lstm.py` and `addition_rnn.py` examples: recurrent sentiment classifiers
on padded word-index sequences. Exercises `Embedding(max_features, 32, dropout=0.2)` without an
input length, `LSTM(32, dropout_W=0.2, dropout_U=0.2)`, `GRU(..., return_sequences=True,
consume_less='gpu')`, `SimpleRNN(..., input_dim=, input_length=)`, the
`keras.layers.wrappers.Bidirectional` wrapper, the older hand-made bidirectional LSTM
(`go_backwards=True` + `merge(mode='concat')` in a functional `Model(input=, output=)`), and
Sequential's `predict_classes` / `predict_proba`. The "reviews" are synthetic.

Run: python -m keraslite examples/keras1_imdb_rnn.py
"""
from __future__ import print_function
import numpy as np
np.random.seed(1337)  # for reproducibility

from keras.preprocessing import sequence
from keras.models import Sequential, Model
from keras.layers import Input, Dense, Dropout, Activation, Embedding, merge
from keras.layers import LSTM, GRU, SimpleRNN
from keras.layers.wrappers import Bidirectional

max_features = 300
maxlen = 20  # cut texts after this number of words
batch_size = 32


def make_reviews(n):
    X, y = [], []
    for _ in range(n):
        length = np.random.randint(5, 30)
        label = np.random.randint(0, 2)
        words = np.random.randint(20, max_features, length)
        marked = np.random.rand(length) < 0.3
        words[marked] = np.random.randint(1, 10, marked.sum()) + (0 if label else 10)
        X.append(list(words))
        y.append(label)
    return X, np.array(y)


print('Loading data...')
X_train, y_train = make_reviews(320)
X_test, y_test = make_reviews(64)
X_train = sequence.pad_sequences(X_train, maxlen=maxlen)
X_test = sequence.pad_sequences(X_test, maxlen=maxlen)
print('X_train shape:', X_train.shape)

print('Build model...')
model = Sequential()
model.add(Embedding(max_features, 32, dropout=0.2))
model.add(LSTM(32, dropout_W=0.2, dropout_U=0.2))  # try using a GRU instead, for fun
model.add(Dense(1))
model.add(Activation('sigmoid'))

# try using different optimizers and different optimizer configs
model.compile(loss='binary_crossentropy',
              optimizer='adam',
              metrics=['accuracy'])

print('Train...')
model.fit(X_train, y_train, batch_size=batch_size, nb_epoch=3,
          validation_data=(X_test, y_test))
score, acc = model.evaluate(X_test, y_test,
                            batch_size=batch_size)
print('LSTM test score: %.4f, test accuracy: %.4f' % (score, acc))
classes = model.predict_classes(X_test[:8], verbose=0)
proba = model.predict_proba(X_test[:8], verbose=0)
print('predict_classes:', classes.shape, classes.ravel())
print('predict_proba:', proba.shape, 'in [0, 1]:', bool(((proba >= 0) & (proba <= 1)).all()))

# Stacked GRUs, then a SimpleRNN that declares its input the Keras 1 way.
gru = Sequential()
gru.add(Embedding(max_features, 16, input_length=maxlen))
gru.add(GRU(16, return_sequences=True, consume_less='gpu'))
gru.add(GRU(16, return_sequences=True, dropout_W=0.1, dropout_U=0.1))
gru.add(SimpleRNN(8))
gru.add(Dense(1, activation='sigmoid'))
gru.compile('rmsprop', 'binary_crossentropy', metrics=['accuracy'])
gru.fit(X_train, y_train, batch_size=batch_size, nb_epoch=2, verbose=2)
print('stacked GRU output shapes:', [layer.output_shape for layer in gru.layers])

rnn = Sequential()
rnn.add(SimpleRNN(8, input_dim=4, input_length=6))
rnn.add(Dense(1))
rnn.compile(loss='mse', optimizer='sgd')
print('SimpleRNN(input_dim=4, input_length=6) input shape:', rnn.input_shape)

# Bidirectional wrapper (Keras 1.2)
bi = Sequential()
bi.add(Embedding(max_features, 16, input_length=maxlen))
bi.add(Bidirectional(LSTM(16)))
bi.add(Dropout(0.5))
bi.add(Dense(1, activation='sigmoid'))
bi.compile('adam', 'binary_crossentropy', metrics=['accuracy'])
bi.fit(X_train, y_train, batch_size=batch_size, nb_epoch=2, verbose=2,
       validation_data=[X_test, y_test])
print('Bidirectional output shape:', bi.layers[1].output_shape)

# The Keras 1.0 way: two LSTMs, one reading backwards, merged by concatenation
sequence_input = Input(shape=(maxlen,), dtype='int32')
embedded = Embedding(max_features, 16, input_length=maxlen)(sequence_input)
forwards = LSTM(16)(embedded)
backwards = LSTM(16, go_backwards=True)(embedded)
merged = merge([forwards, backwards], mode='concat', concat_axis=-1)
after_dp = Dropout(0.5)(merged)
output = Dense(1, activation='sigmoid')(after_dp)
model = Model(input=sequence_input, output=output)
model.compile('adam', 'binary_crossentropy', metrics=['accuracy'])
model.fit(X_train, y_train, batch_size=batch_size, nb_epoch=2, verbose=2,
          validation_data=[X_test, y_test])
print('functional bidirectional: [loss, acc] =', model.evaluate(X_test, y_test, verbose=0))
