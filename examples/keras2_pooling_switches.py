"""Keras 2 (2017-2019) functional dialect, in the manner of the old `examples/mnist_swwae.py`
and `cifar10_cnn_capsule.py`: an autoencoder that remembers where each max-pooling window had
its maximum. A `Lambda` layer takes `K.gradients(K.sum(pooled), prepool)` -- the gradient of
the pooled sum is 1 at each window's maximum and 0 elsewhere -- and the decoder multiplies the
upsampled features by that mask (`layers.multiply`). The mask is computed during `fit` and
again in `predict`. A custom layer in the capsule style projects a sequence with `K.conv1d`
(shared weights) or `K.local_conv1d` (one kernel per step) and is trained inside a
`Sequential` model. Synthetic images and sequences; runs in seconds.

Run: python -m keraslite examples/keras2_pooling_switches.py
"""
from __future__ import print_function

import numpy as np
from keras import backend as K
from keras import layers
from keras.layers import Input, Conv2D, MaxPooling2D, UpSampling2D, Activation
from keras.models import Model, Sequential
from keras.engine.topology import Layer

np.random.seed(3)


def getwhere(x):
    ''' The 'where' mask: which position of each pooling window held the maximum. '''
    y_prepool, y_postpool = x
    return K.gradients(K.sum(y_postpool), y_prepool)


img_rows = img_cols = 12
x_train = np.random.uniform(0, 1, (96, img_rows, img_cols, 1)).astype('float32')
x_train[:, 2:10, 5:7, :] = 1.0

img_input = Input(shape=(img_rows, img_cols, 1))
y_prepool = Conv2D(6, 3, padding='same', activation='relu')(img_input)
y = MaxPooling2D(pool_size=(2, 2))(y_prepool)
where = layers.Lambda(getwhere, output_shape=lambda x: x[0])([y_prepool, y])
y = UpSampling2D(size=(2, 2))(y)
y = layers.multiply([y, where])
y = Conv2D(1, 3, padding='same')(y)
y = Activation('hard_sigmoid')(y)

model = Model(img_input, y)
model.compile('adam', 'mse')
model.summary()
history = model.fit(x_train, x_train, batch_size=16, epochs=6, verbose=2)
print('reconstruction loss %.4f -> %.4f' % (history.history['loss'][0], history.history['loss'][-1]))

masks = Model(img_input, [y_prepool, where]).predict(x_train[:4])
prepool, mask = masks
print('mask shape:', mask.shape)
windows = prepool.reshape(4, 6, 2, 6, 2, 6)
is_max = (windows == windows.max(axis=(2, 4), keepdims=True)).reshape(prepool.shape)
print('every switch is at a window maximum:', bool(np.all(is_max[mask == 1])))
print('one switch per window:', int(mask.sum()) == 4 * 6 * 6 * 6)


class Projection(Layer):
    """Projects each step of a sequence to `units` features with shared weights (K.conv1d)
    or with separate weights per step (K.local_conv1d)."""

    def __init__(self, units, share_weights=True, **kwargs):
        super(Projection, self).__init__(**kwargs)
        self.units = units
        self.share_weights = share_weights

    def build(self, input_shape):
        if self.share_weights:
            shape = (1, input_shape[-1], self.units)
        else:
            shape = (input_shape[-2], input_shape[-1], self.units)
        self.kernel = self.add_weight(name='kernel', shape=shape,
                                      initializer='glorot_uniform', trainable=True)
        super(Projection, self).build(input_shape)

    def call(self, inputs):
        if self.share_weights:
            return K.conv1d(inputs, self.kernel)
        return K.local_conv1d(inputs, self.kernel, [1], [1])

    def compute_output_shape(self, input_shape):
        return input_shape[0], input_shape[1], self.units


seqs = np.random.normal(size=(128, 8, 4)).astype('float32')
labels = (seqs[:, :, 0].sum(axis=1) > 0).astype('float32')
for share in (True, False):
    seq_model = Sequential([Projection(6, share_weights=share, input_shape=(8, 4)),
                            layers.Flatten(),
                            layers.Dense(1, activation='sigmoid')])
    seq_model.compile('adam', 'binary_crossentropy', metrics=['accuracy'])
    h = seq_model.fit(seqs, labels, batch_size=32, epochs=8, verbose=0)
    print('projection share_weights=%s kernel %s: loss %.4f -> %.4f' % (
        share, K.int_shape(seq_model.layers[0].kernel), h.history['loss'][0], h.history['loss'][-1]))
