"""Keras 2 (2017-2019) dialect, in the manner of the old `examples/image_ocr.py`: reading
variable-length "words" from images with a convolutional-recurrent network trained with CTC.
The network outputs per-column softmax probabilities; a `Lambda` named 'ctc' computes
`K.ctc_batch_cost(labels, y_pred, input_length, label_length)` from four named inputs, and the
model is compiled with the dummy loss `{'ctc': lambda y_true, y_pred: y_pred}` and fed dicts of
arrays. A `K.function([input_data], [y_pred])` reads the softmax output back, and
`K.ctc_decode` turns it into label sequences. The "font" is synthetic: each of four symbols is
a distinct vertical stripe pattern. Runs in seconds.

Run: python -m keraslite examples/keras2_ctc_ocr.py
"""
from __future__ import print_function

import numpy as np
from keras import backend as K
from keras.layers import Input, Dense, Activation, Reshape, Lambda
from keras.layers import Conv2D, MaxPooling2D
from keras.layers.recurrent import GRU
from keras.models import Model
from keras.optimizers import Adam
from keras.utils import set_random_seed

np.random.seed(11)
set_random_seed(11)  # also the weights' initial values (keras.utils.set_random_seed, tf.keras 2.7+)
alphabet = 'abcd'
img_w, img_h = 36, 8
glyph_w = 8
max_len = 3
absolute_max_string_len = max_len
pool_size = 2
output_steps = img_w // pool_size

patterns = np.array([[1, 1, 0, 0, 0, 0, 0, 0],
                     [0, 0, 1, 1, 1, 0, 0, 0],
                     [1, 0, 1, 0, 1, 0, 1, 0],
                     [0, 0, 0, 0, 0, 1, 1, 1]], dtype='float32')


def text_to_labels(text):
    return [alphabet.find(c) for c in text]


def labels_to_text(labels):
    return ''.join(alphabet[c] for c in labels if 0 <= c < len(alphabet))


def paint_text(text):
    img = np.random.uniform(0, 0.2, (img_w, img_h)).astype('float32')
    x = 4
    for c in text:
        img[x:x + glyph_w, :] += patterns[alphabet.find(c)][:, None] * 0.8
        x += glyph_w + 2
    return img[:, :, None]


def make_batch(n):
    words = [''.join(np.random.choice(list(alphabet), np.random.randint(1, max_len + 1)))
             for _ in range(n)]
    X_data = np.stack([paint_text(w) for w in words])
    labels = np.ones([n, absolute_max_string_len]) * -1
    label_length = np.zeros([n, 1])
    for i, w in enumerate(words):
        labels[i, :len(w)] = text_to_labels(w)
        label_length[i] = len(w)
    input_length = np.ones([n, 1]) * (output_steps - 2)
    inputs = {'the_input': X_data,
              'the_labels': labels,
              'input_length': input_length,
              'label_length': label_length,
              'source_str': words}
    outputs = {'ctc': np.zeros([n])}  # dummy data for dummy loss function
    return inputs, outputs


# the actual loss calc occurs here despite it not being
# an internal Keras loss function
def ctc_lambda_func(args):
    y_pred, labels, input_length, label_length = args
    # the 2 is critical here since the first couple outputs of the RNN
    # tend to be garbage:
    y_pred = y_pred[:, 2:, :]
    return K.ctc_batch_cost(labels, y_pred, input_length, label_length)


input_data = Input(name='the_input', shape=(img_w, img_h, 1), dtype='float32')
inner = Conv2D(8, (3, 3), padding='same', activation='relu', name='conv1')(input_data)
inner = MaxPooling2D(pool_size=(pool_size, pool_size), name='max1')(inner)
conv_to_rnn_dims = (img_w // pool_size, (img_h // pool_size) * 8)
inner = Reshape(target_shape=conv_to_rnn_dims, name='reshape')(inner)
inner = Dense(24, activation='relu', name='dense1')(inner)
gru = GRU(24, return_sequences=True, name='gru1')(inner)
inner = Dense(len(alphabet) + 1, name='dense2')(gru)
y_pred = Activation('softmax', name='softmax')(inner)
Model(inputs=input_data, outputs=y_pred).summary()

labels = Input(name='the_labels', shape=[absolute_max_string_len], dtype='float32')
input_length = Input(name='input_length', shape=[1], dtype='int64')
label_length = Input(name='label_length', shape=[1], dtype='int64')
loss_out = Lambda(ctc_lambda_func, output_shape=(1,), name='ctc')(
    [y_pred, labels, input_length, label_length])

model = Model(inputs=[input_data, labels, input_length, label_length], outputs=loss_out)
# the loss calc occurs elsewhere, so use a dummy lambda func for the loss
model.compile(loss={'ctc': lambda y_true, y_pred: y_pred}, optimizer=Adam(lr=0.02))

train_inputs, train_outputs = make_batch(320)
train_inputs.pop('source_str')
history = model.fit(train_inputs, train_outputs, batch_size=32, epochs=12, verbose=2)
print('ctc loss %.3f -> %.3f' % (history.history['loss'][0], history.history['loss'][-1]))

# captures output of softmax so we can decode the output during visualization
test_func = K.function([input_data], [y_pred])
test_inputs, _ = make_batch(64)
out = test_func([test_inputs['the_input']])[0]
print('softmax output:', out.shape)
decoded, log_prob = K.ctc_decode(out[:, 2:, :], np.ones(out.shape[0]) * (out.shape[1] - 2))
decoded = np.asarray(decoded[0])
print('decoded:', decoded.shape[0], 'sequences, log_prob', np.asarray(log_prob).shape)
texts = [labels_to_text(row) for row in decoded]
for truth, text in list(zip(test_inputs['source_str'], texts))[:5]:
    print('truth = %-6s decoded = %s' % (truth, text))
correct = sum(t == s for t, s in zip(texts, test_inputs['source_str']))
print('exact matches: %d / %d' % (correct, len(texts)))
