"""tf.keras (Keras 2, 2019-2023) dialect, after the old `examples/antirectifier.py` and the
TF2 guides on custom layers and models:
- a custom `Layer` subclass (`Antirectifier`) with `compute_output_shape`, a `call` written
  with the backend (`K.mean`, `K.l2_normalize`, `K.concatenate`, `K.relu`) and `get_config`;
- a multi-input, multi-output functional model compiled with a loss dict, `loss_weights`
  and per-output metrics, trained on a `tf.keras.utils.Sequence` subclass;
- `model.save('m.h5')` and `tf.keras.models.load_model(..., custom_objects=...)`, checked
  by comparing predictions;
- a `tf.keras.Model` subclass with its own `train_step` / `test_step` and
  `tf.keras.metrics.Mean` trackers listed in its `metrics` property, trained by `fit`.
Synthetic data, runs in seconds.

Run: python -m keraslite examples/tf_keras2_antirectifier.py
"""
import math
import os
import tempfile

import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import backend as K
from tensorflow.keras import layers

tf.random.set_seed(1)
np.random.seed(1)


class Antirectifier(layers.Layer):
    '''This is the combination of a sample-wise
    L2 normalization with the concatenation of the
    positive part of the input with the negative part
    of the input. The result is a tensor of samples that are
    twice as large as the input samples.

    # Input shape
        2D tensor of shape (samples, n)

    # Output shape
        2D tensor of shape (samples, 2*n)
    '''

    def compute_output_shape(self, input_shape):
        shape = list(input_shape)
        assert len(shape) == 2  # only valid for 2D tensors
        shape[-1] *= 2
        return tuple(shape)

    def call(self, inputs):
        inputs -= K.mean(inputs, axis=1, keepdims=True)
        inputs = K.l2_normalize(inputs, axis=1)
        pos = K.relu(inputs)
        neg = K.relu(-inputs)
        return K.concatenate([pos, neg], axis=1)


# --- 1. Data: a "reading" and a "metadata" input; a class and a score to predict.
num_classes = 4
n_train, n_test = 512, 128


def make_data(n):
    readings = np.random.normal(size=(n, 20)).astype('float32')
    metadata = np.random.randint(0, 2, size=(n, 3)).astype('float32')
    label = (np.argmax(readings[:, :num_classes], axis=1) + metadata[:, 0].astype(int)) % num_classes
    score = (readings[:, :5].sum(axis=1, keepdims=True) + metadata[:, 1:2]).astype('float32')
    return readings, metadata, keras.utils.to_categorical(label, num_classes), score


r_train, m_train, c_train, s_train = make_data(n_train)
r_test, m_test, c_test, s_test = make_data(n_test)


class PairSequence(keras.utils.Sequence):
    """Batches of ({'reading', 'metadata'}, {'category', 'score'}) for fit()."""

    def __init__(self, readings, metadata, categories, scores, batch_size):
        self.readings, self.metadata = readings, metadata
        self.categories, self.scores = categories, scores
        self.batch_size = batch_size

    def __len__(self):
        return math.ceil(len(self.readings) / self.batch_size)

    def __getitem__(self, idx):
        batch = slice(idx * self.batch_size, (idx + 1) * self.batch_size)
        return ({'reading': self.readings[batch], 'metadata': self.metadata[batch]},
                {'category': self.categories[batch], 'score': self.scores[batch]})


train_seq = PairSequence(r_train, m_train, c_train, s_train, batch_size=64)
print('Sequence: %d batches, first batch %s' % (len(train_seq), train_seq[0][0]['reading'].shape))

# --- 2. A two-input, two-output functional model around the custom layer.
reading_input = keras.Input(shape=(20,), name='reading')
metadata_input = keras.Input(shape=(3,), name='metadata')
x = layers.Dense(32)(reading_input)
x = Antirectifier()(x)
x = layers.Dropout(0.1)(x)
x = layers.concatenate([x, metadata_input])
x = layers.Dense(32)(x)
x = Antirectifier()(x)
category = layers.Dense(num_classes, activation='softmax', name='category')(x)
score = layers.Dense(1, name='score')(x)
model = keras.Model(inputs=[reading_input, metadata_input], outputs=[category, score])
model.summary()

model.compile(optimizer=keras.optimizers.Adam(learning_rate=3e-3),
              loss={'category': 'categorical_crossentropy', 'score': 'mse'},
              loss_weights={'category': 1.0, 'score': 0.2},
              metrics={'category': ['accuracy'], 'score': ['mae']})
history = model.fit(train_seq, epochs=3, verbose=2,
                    validation_data=({'reading': r_test, 'metadata': m_test},
                                     {'category': c_test, 'score': s_test}))
print('history keys:', sorted(history.history))
results = model.evaluate([r_test, m_test], [c_test, s_test], verbose=0)
print('evaluate:', dict(zip(model.metrics_names, [round(float(r), 4) for r in results])))

# --- 3. HDF5 round trip with the custom layer.
path = os.path.join(tempfile.mkdtemp(), 'm.h5')
model.save(path)
restored = keras.models.load_model(path, custom_objects={'Antirectifier': Antirectifier})
before = model.predict([r_test, m_test], verbose=0)
after = restored.predict([r_test, m_test], verbose=0)
print('reloaded from h5:', [type(l).__name__ for l in restored.layers if isinstance(l, Antirectifier)],
      'same predictions:', all(np.allclose(a, b, atol=1e-6) for a, b in zip(before, after)))


# --- 4. A Model subclass with its own train_step and Mean trackers.
class RegressionModel(keras.Model):
    def __init__(self, **kwargs):
        super(RegressionModel, self).__init__(**kwargs)
        self.hidden = layers.Dense(32, activation='relu')
        self.anti = Antirectifier()
        self.out = layers.Dense(1)
        self.loss_tracker = keras.metrics.Mean(name='loss')
        self.mae_tracker = keras.metrics.Mean(name='mae')

    def call(self, inputs, training=False):
        return self.out(self.anti(self.hidden(inputs)))

    @property
    def metrics(self):
        # listed here so that fit() resets them at the start of each epoch
        return [self.loss_tracker, self.mae_tracker]

    def train_step(self, data):
        x, y = data
        with tf.GradientTape() as tape:
            y_pred = self(x, training=True)
            loss = tf.reduce_mean(tf.square(y - y_pred))
        grads = tape.gradient(loss, self.trainable_variables)
        self.optimizer.apply_gradients(zip(grads, self.trainable_variables))
        self.loss_tracker.update_state(loss)
        self.mae_tracker.update_state(tf.reduce_mean(tf.abs(y - y_pred)))
        return {m.name: m.result() for m in self.metrics}

    def test_step(self, data):
        x, y = data
        y_pred = self(x, training=False)
        self.loss_tracker.update_state(tf.reduce_mean(tf.square(y - y_pred)))
        self.mae_tracker.update_state(tf.reduce_mean(tf.abs(y - y_pred)))
        return {m.name: m.result() for m in self.metrics}


regressor = RegressionModel()
regressor.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01))
reg_history = regressor.fit(r_train, s_train, epochs=3, batch_size=64, validation_split=0.25, verbose=2)
print('subclassed model history keys:', sorted(reg_history.history))
print('subclassed evaluate:', regressor.evaluate(r_test, s_test, verbose=0, return_dict=True))
