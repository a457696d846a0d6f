"""tf.keras 2 guide dialect for RNNs and masking: pad_sequences and an Embedding with
mask_zero feeding an LSTM (the mask travels through a custom supports_masking layer), a
layer that splits its input and its mask in two (compute_mask), a mask-consuming temporal
softmax, a stateful LSTM whose states seed another LSTM, and a custom RNN cell over nested
inputs: a tuple of two sequences (pen position per step, and a small pressure grid per step),
tf.TensorShape state sizes and a nested output, trained with fit.

Run: python -m keraslite examples/tf_keras2_guide_rnn_masking.py
"""
import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

tf.random.set_seed(5)
rng = np.random.default_rng(5)

# ---- padding and masks
raw = [[rng.integers(1, 50) for _ in range(n)] for n in (3, 5, 6, 2)]
padded = tf.keras.preprocessing.sequence.pad_sequences(raw, padding="post")
print("padded batch shape:", padded.shape)
embedded = layers.Embedding(input_dim=50, output_dim=8, mask_zero=True)(padded)
print("mask row sums:", [int(v) for v in tf.reduce_sum(tf.cast(embedded._keras_mask, "int32"), axis=1)])


class HalfSplit(layers.Layer):
    """Splits (batch, time, features) into two halves along time, masks included."""

    def call(self, inputs):
        return tf.split(inputs, 2, axis=1)

    def compute_mask(self, inputs, mask=None):
        if mask is None:
            return None
        return tf.split(mask, 2, axis=1)


first, second = HalfSplit()(embedded)
print("first half mask:", first._keras_mask.numpy().astype(int).tolist())
print("second half mask:", second._keras_mask.numpy().astype(int).tolist())


class Swish(layers.Layer):
    def __init__(self, **kwargs):
        super(Swish, self).__init__(**kwargs)
        self.supports_masking = True  # pass the mask on unchanged

    def call(self, inputs):
        return inputs * tf.nn.sigmoid(inputs)


class MaskedTimeSoftmax(layers.Layer):
    """Softmax over the time axis that gives masked steps zero weight."""

    def call(self, inputs, mask=None):
        weights = tf.expand_dims(tf.cast(mask, "float32"), -1)
        exp = tf.exp(inputs - tf.reduce_max(inputs, axis=1, keepdims=True)) * weights
        return exp / tf.reduce_sum(exp, axis=1, keepdims=True)


tokens = keras.Input(shape=(None,), dtype="int32")
x = layers.Embedding(input_dim=50, output_dim=8, mask_zero=True)(tokens)
x = Swish()(x)
print("mask reaches the LSTM:", x._keras_mask is not None)
summary = layers.LSTM(6)(x)
attention = MaskedTimeSoftmax()(layers.Dense(1)(x))
model = keras.Model(tokens, [summary, attention])
summary_value, attention_value = model.predict(padded, verbose=0)
print("attention on padding:", float(attention_value[0, 3:].sum()),
      "attention sums:", np.round(attention_value.sum(axis=1).ravel(), 4).tolist())

# ---- stateful LSTM, its states reused as another layer's initial state
chunks = [rng.random((4, 5, 3)).astype("float32") for _ in range(3)]
stateful = layers.LSTM(6, stateful=True)
for chunk in chunks[:2]:
    stateful(chunk)
carried = stateful.states
print("carried state shapes:", [tuple(s.shape) for s in carried])
follower = layers.LSTM(6)
print("follower output:", tuple(follower(chunks[2], initial_state=carried).shape))
stateful.reset_states()
print("states zero after reset:", float(tf.reduce_sum(tf.abs(stateful.states[0]))) == 0.0)


# ---- a cell over nested inputs
class PenCell(layers.Layer):
    """Per step: a position (batch, 2) and a pressure grid (batch, 3, 3). Keeps a running
    position summary (units,) and a running pressure map (3, 3)."""

    def __init__(self, units, **kwargs):
        self.units = units
        self.state_size = [tf.TensorShape([units]), tf.TensorShape([3, 3])]
        self.output_size = [tf.TensorShape([units]), tf.TensorShape([3, 3])]
        super(PenCell, self).__init__(**kwargs)

    def build(self, input_shapes):
        self.kernel = self.add_weight(shape=(input_shapes[0][1], self.units), initializer="glorot_uniform",
                                      name="kernel")
        self.recurrent = self.add_weight(shape=(self.units, self.units), initializer="orthogonal",
                                         name="recurrent")
        self.mix = self.add_weight(shape=(3, 3), initializer="ones", name="mix")

    def call(self, inputs, states):
        position, pressure = tf.nest.flatten(inputs)
        h, grid = states
        h = tf.tanh(tf.matmul(position, self.kernel) + tf.matmul(h, self.recurrent))
        grid = 0.8 * grid + pressure * self.mix
        return (h, grid), (h, grid)

    def get_config(self):
        return {"units": self.units}


STEPS, N = 8, 48
positions = rng.normal(size=(N, STEPS, 2)).astype("float32")
pressures = rng.random((N, STEPS, 3, 3)).astype("float32")
pos_in = keras.Input((None, 2), name="position")
pressure_in = keras.Input((None, 3, 3), name="pressure")
h, grid = layers.RNN(PenCell(8), name="pen_rnn")((pos_in, pressure_in))
direction = layers.Dense(1, name="direction")(h)
total = layers.Dense(1, name="total")(layers.Flatten()(grid))
pen_model = keras.Model([pos_in, pressure_in], [direction, total])
print("nested RNN outputs:", [tuple(t.shape) for t in (h, grid)])
pen_model.compile(optimizer="adam", loss={"direction": "mse", "total": "mse"})
direction_targets = np.sign(positions[:, -1, :1])
total_targets = pressures.sum(axis=(1, 2, 3))[:, None] / 10.0
history = pen_model.fit({"position": positions, "pressure": pressures},
                        {"direction": direction_targets, "total": total_targets},
                        batch_size=16, epochs=3, verbose=0)
losses = history.history["loss"]
print("pen model loss: %.4f -> %.4f" % (losses[0], losses[-1]))
print("pen model predicts:", [tuple(p.shape) for p in pen_model.predict([positions[:4], pressures[:4]], verbose=0)])
