"""Keras 2 (2017-2019) dialect, in the manner of the old `examples/lstm_text_generation.py`:
a character-level language model. The text is cut into overlapping `maxlen`-character
sentences, one-hot encoded into boolean arrays `x` (sentences, maxlen, chars) and `y`
(sentences, chars), and fit by `LSTM(128, input_shape=(maxlen, len(chars)))` + a softmax
`Dense` with `RMSprop(lr=0.01)`. After every epoch a `LambdaCallback(on_epoch_end=...)` generates
text by sampling `model.predict(x_pred, verbose=0)[0]` at several temperatures. The corpus is
a generated nursery rhyme instead of Nietzsche. Runs in seconds.

Run: python -m keraslite examples/keras2_lstm_text_generation.py
"""
from __future__ import print_function
from keras.callbacks import LambdaCallback
from keras.models import Sequential
from keras.layers import Dense
from keras.layers import LSTM
from keras.optimizers import RMSprop
import numpy as np
import random
import sys

random.seed(3)
np.random.seed(3)

# a small corpus with plenty of repetition, so that a few epochs learn something
words = ['the cat sat on the mat. ', 'the dog ran in the fog. ', 'a bird sang a song. ']
text = ''.join(random.choice(words) for _ in range(60)).lower()
print('corpus length:', len(text))

chars = sorted(list(set(text)))
print('total chars:', len(chars))
char_indices = dict((c, i) for i, c in enumerate(chars))
indices_char = dict((i, c) for i, c in enumerate(chars))

# cut the text in semi-redundant sequences of maxlen characters
maxlen = 20
step = 3
sentences = []
next_chars = []
for i in range(0, len(text) - maxlen, step):
    sentences.append(text[i: i + maxlen])
    next_chars.append(text[i + maxlen])
print('nb sequences:', len(sentences))

print('Vectorization...')
x = np.zeros((len(sentences), maxlen, len(chars)), dtype=np.bool_)
y = np.zeros((len(sentences), len(chars)), dtype=np.bool_)
for i, sentence in enumerate(sentences):
    for t, char in enumerate(sentence):
        x[i, t, char_indices[char]] = 1
    y[i, char_indices[next_chars[i]]] = 1
print('x:', x.shape, x.dtype, 'y:', y.shape, y.dtype)

# build the model: a single LSTM
print('Build model...')
model = Sequential()
model.add(LSTM(128, input_shape=(maxlen, len(chars))))
model.add(Dense(len(chars), activation='softmax'))

optimizer = RMSprop(lr=0.01)
model.compile(loss='categorical_crossentropy', optimizer=optimizer)


def sample(preds, temperature=1.0):
    # helper function to sample an index from a probability array
    preds = np.asarray(preds).astype('float64')
    preds = np.log(preds) / temperature
    exp_preds = np.exp(preds)
    preds = exp_preds / np.sum(exp_preds)
    probas = np.random.multinomial(1, preds, 1)
    return np.argmax(probas)


def on_epoch_end(epoch, _):
    # Function invoked at end of each epoch. Prints generated text.
    print()
    print('----- Generating text after Epoch: %d' % epoch)

    start_index = random.randint(0, len(text) - maxlen - 1)
    for diversity in [0.2, 1.0]:
        print('----- diversity:', diversity)

        generated = ''
        sentence = text[start_index: start_index + maxlen]
        generated += sentence
        print('----- Generating with seed: "' + sentence + '"')
        sys.stdout.write(generated)

        for i in range(30):
            x_pred = np.zeros((1, maxlen, len(chars)))
            for t, char in enumerate(sentence):
                x_pred[0, t, char_indices[char]] = 1.

            preds = model.predict(x_pred, verbose=0)[0]
            next_index = sample(preds, diversity)
            next_char = indices_char[next_index]

            sentence = sentence[1:] + next_char

            sys.stdout.write(next_char)
            sys.stdout.flush()
        print()


print_callback = LambdaCallback(on_epoch_end=on_epoch_end)

history = model.fit(x, y,
                    batch_size=64,
                    epochs=3,
                    callbacks=[print_callback])
print('loss per epoch:', ['%.3f' % v for v in history.history['loss']])
