"""Keras 1 (2016) dialect: model wiring of the time. Exercises the `addition_rnn.py`-style
encoder-decoder (`LSTM` -> `RepeatVector` -> `LSTM(return_sequences=True)` ->
`TimeDistributed(Dense())`), Keras 1's own `TimeDistributedDense`, Sequential branches joined
by `Merge([left, right], mode='sum')`, the Keras 1 functional API guide's two-input,
two-output model (`Model(input=[...], output=[...])`, `merge([a, b], mode='concat')`,
`loss_weights`, `nb_epoch`), a shared layer, and reading hidden activations the two FAQ ways:
`K.function([model.layers[0].input, K.learning_phase()], [model.layers[3].output])` and
`Model(input=model.input, output=model.get_layer(name).output)`. Synthetic data throughout.

Run: python -m keraslite examples/keras1_seq2seq_functional.py
"""
from __future__ import print_function
import numpy as np
np.random.seed(1337)  # for reproducibility

from keras import backend as K
from keras.models import Sequential, Model
from keras.layers import Input, Embedding, LSTM, Dense, Dropout, Activation, merge, Merge
from keras.layers.core import RepeatVector, TimeDistributedDense
from keras.layers.wrappers import TimeDistributed

# --- addition_rnn style: reverse a sequence of one-hot digits
DIGITS, LEN, HIDDEN = 10, 5, 32
seqs = np.random.randint(0, DIGITS, (400, LEN))
X = np.eye(DIGITS)[seqs].astype('float32')          # (samples, LEN, DIGITS)
y = np.eye(DIGITS)[seqs[:, ::-1]].astype('float32')  # reversed

print('Build model...')
model = Sequential()
# "Encode" the input sequence using an RNN, producing an output of HIDDEN_SIZE
model.add(LSTM(HIDDEN, input_shape=(LEN, DIGITS)))
# For the decoder's input, we repeat the encoded input for each time step
model.add(RepeatVector(LEN))
# The decoder RNN could be multiple layers stacked or a single layer
model.add(LSTM(HIDDEN, return_sequences=True))
# For each step of the output sequence, decide which character should be chosen
model.add(TimeDistributed(Dense(DIGITS)))
model.add(Activation('softmax'))
model.compile(loss='categorical_crossentropy', optimizer='adam', metrics=['accuracy'])
model.fit(X, y, batch_size=32, nb_epoch=3, validation_split=0.1)
print('decoder output shape:', model.predict(X[:3], verbose=0).shape)

# The same decoder head with Keras 1's TimeDistributedDense
td = Sequential()
td.add(LSTM(HIDDEN, input_dim=DIGITS, input_length=LEN, return_sequences=True))
td.add(TimeDistributedDense(DIGITS, activation='softmax'))
td.compile(loss='categorical_crossentropy', optimizer='rmsprop')
td.fit(X, y, batch_size=32, nb_epoch=1, verbose=2)
print('TimeDistributedDense output shape:', td.output_shape)

# --- Merge of Sequential branches, summed
left = Sequential()
left.add(Dense(16, input_dim=8, activation='relu'))
right = Sequential()
right.add(Dense(16, input_dim=4, activation='relu'))
summed = Sequential()
summed.add(Merge([left, right], mode='sum'))
summed.add(Dense(1, activation='sigmoid'))
summed.compile(optimizer='rmsprop', loss='binary_crossentropy', metrics=['accuracy'])
a, b = np.random.rand(256, 8), np.random.rand(256, 4)
labels = (a.mean(axis=1) > b.mean(axis=1)).astype('int32')
summed.fit([a, b], labels, nb_epoch=3, batch_size=32, verbose=2)
print('Merge(mode="sum") output shape:', summed.layers[0].output_shape)

# --- the functional API guide's multi-input, multi-output model
main_input = Input(shape=(20,), dtype='int32', name='main_input')
x = Embedding(output_dim=16, input_dim=200, input_length=20)(main_input)
lstm_out = LSTM(16)(x)
auxiliary_output = Dense(1, activation='sigmoid', name='aux_output')(lstm_out)
auxiliary_input = Input(shape=(5,), name='aux_input')
x = merge([lstm_out, auxiliary_input], mode='concat')
x = Dense(32, activation='relu')(x)
x = Dense(32, activation='relu', name='hidden')(x)
main_output = Dense(1, activation='sigmoid', name='main_output')(x)
model = Model(input=[main_input, auxiliary_input], output=[main_output, auxiliary_output])
model.compile(optimizer='rmsprop', loss='binary_crossentropy', loss_weights=[1., 0.2])
headline_data = np.random.randint(1, 200, (256, 20))
additional_data = np.random.rand(256, 5)
labels = (additional_data.sum(axis=1) > 2.5).astype('float32')
model.fit([headline_data, additional_data], [labels, labels], nb_epoch=2, batch_size=32, verbose=2)
model.fit({'main_input': headline_data, 'aux_input': additional_data},
          {'main_output': labels, 'aux_output': labels}, nb_epoch=1, batch_size=32, verbose=2)
print('multi-output evaluate:', ['%.4f' % v for v in model.evaluate([headline_data, additional_data],
                                                                      [labels, labels], verbose=0)])

# intermediate output, the Keras 1 FAQ way
intermediate = Model(input=model.input, output=model.get_layer('hidden').output)
print('hidden layer output:', intermediate.predict([headline_data[:4], additional_data[:4]]).shape)

# --- a shared LSTM reading two "tweets"
tweet_a, tweet_b = Input(shape=(10, 8)), Input(shape=(10, 8))
shared_lstm = LSTM(12)
merged_vector = merge([shared_lstm(tweet_a), shared_lstm(tweet_b)], mode='concat', concat_axis=-1)
predictions = Dense(1, activation='sigmoid')(merged_vector)
siamese = Model(input=[tweet_a, tweet_b], output=predictions)
siamese.compile(optimizer='rmsprop', loss='binary_crossentropy', metrics=['accuracy'])
ta, tb = np.random.rand(128, 10, 8), np.random.rand(128, 10, 8)
siamese.fit([ta, tb], (ta.mean(axis=(1, 2)) > tb.mean(axis=(1, 2))).astype('int32'), nb_epoch=2, verbose=2)
print('shared LSTM weights counted once:', len(siamese.trainable_weights) == 3 + 2)

# --- K.function with the learning phase: 0 = test (dropout off), 1 = train (dropout on)
mlp = Sequential()
mlp.add(Dense(64, input_dim=20, activation='relu'))
mlp.add(Dropout(0.5))
mlp.add(Dense(32))
mlp.add(Activation('relu'))
mlp.add(Dense(1))
mlp.compile(loss='mse', optimizer='sgd')
get_3rd_layer_output = K.function([mlp.layers[0].input, K.learning_phase()],
                                  [mlp.layers[3].output])
data = np.random.rand(6, 20).astype('float32')
layer_output_test = get_3rd_layer_output([data, 0])[0]
layer_output_train = get_3rd_layer_output([data, 1])[0]
print('K.function output shape:', layer_output_test.shape)
print('test phase is deterministic:', np.allclose(layer_output_test, get_3rd_layer_output([data, 0])[0]))
print('train phase applies dropout:', not np.allclose(layer_output_test, layer_output_train))
