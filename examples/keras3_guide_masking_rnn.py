"""Keras 3 dialect: masking, padding and recurrent layers (keras.io "Understanding masking &
padding" and "Working with RNNs" style).

Variable-length token sequences are padded with `keras.utils.pad_sequences`; an `Embedding`
with `mask_zero=True` makes the mask, a pass-through custom layer (`supports_masking = True`)
keeps it, a layer that splits the time axis splits the mask too (`compute_mask`), and the mask a
symbolic tensor will carry is visible while the model is built (`x._keras_mask`). An LSTM
classifier trains on the padded data and gives the same predictions whatever the padding
length. Then: an encoder-decoder wired through `return_state` / `initial_state`, a stateful
LSTM fed a long sequence in chunks (`reset_states`), `RNN(LSTMCell)` matching `LSTM` on the
same weights, and a `Bidirectional` stack.

Run: python -m keraslite examples/keras3_guide_masking_rnn.py
"""
import numpy as np
import keras
from keras import layers
from keras import ops

keras.utils.set_random_seed(11)
rng = np.random.default_rng(11)

# Sequences of tokens 1..19; the label says whether token 7 occurs.
lengths = rng.integers(3, 12, size=256)
raw = [list(rng.integers(1, 20, size=n)) for n in lengths]
labels = np.array([[float(7 in seq)] for seq in raw], dtype="float32")
padded = keras.utils.pad_sequences(raw, padding="post")
print("padded:", padded.shape, padded.dtype, "first row:", padded[0].tolist())


class Halves(layers.Layer):
    def call(self, inputs):
        return ops.split(inputs, 2, axis=1)

    def compute_mask(self, inputs, mask=None):
        return None if mask is None else ops.split(mask, 2, axis=1)


class ScaledRelu(layers.Layer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True

    def call(self, inputs):
        return ops.relu(inputs) * 2.0


embedding = layers.Embedding(input_dim=20, output_dim=8, mask_zero=True)
sample = padded[:2, :10]
embedded = embedding(sample)
print("embedding mask:", ops.convert_to_numpy(embedded._keras_mask).astype(int).tolist())
first, second = Halves()(embedded)
print("half masks:", tuple(first._keras_mask.shape), tuple(second._keras_mask.shape),
      bool(ops.all(ops.concatenate([first._keras_mask, second._keras_mask], axis=1) == embedded._keras_mask)))

inputs = keras.Input(shape=(None,), dtype="int32")
x = layers.Embedding(input_dim=20, output_dim=8, mask_zero=True)(inputs)
x = ScaledRelu()(x)
print("symbolic mask:", x._keras_mask.shape, x._keras_mask.dtype)
x = layers.LSTM(16)(x)
outputs = layers.Dense(1, activation="sigmoid")(x)
model = keras.Model(inputs, outputs, name="masked_lstm")
model.summary()
model.compile(optimizer=keras.optimizers.Adam(0.01), loss="binary_crossentropy", metrics=["accuracy"])
history = model.fit(padded, labels, epochs=6, batch_size=32, verbose=0)
print("accuracy went up:", history.history["accuracy"][-1] > history.history["accuracy"][0])
longer = keras.utils.pad_sequences(raw, padding="post", maxlen=20)
print("padding length does not matter:",
      np.allclose(model.predict(padded, verbose=0), model.predict(longer, verbose=0), atol=1e-5))

encoder_in = keras.Input(shape=(None,))
encoder_seq = layers.Embedding(input_dim=30, output_dim=8)(encoder_in)
_, state_h, state_c = layers.LSTM(12, return_state=True, name="encoder")(encoder_seq)
decoder_in = keras.Input(shape=(None,))
decoder_seq = layers.Embedding(input_dim=40, output_dim=8)(decoder_in)
decoded = layers.LSTM(12, name="decoder")(decoder_seq, initial_state=[state_h, state_c])
seq2seq = keras.Model([encoder_in, decoder_in], layers.Dense(5)(decoded), name="seq2seq")
print("seq2seq output:", seq2seq.output.shape, "states:", state_h.shape, state_c.shape)
print("seq2seq call:", tuple(seq2seq([rng.integers(0, 30, (3, 6)), rng.integers(0, 40, (3, 4))]).shape))

long_sequence = rng.random((4, 30, 5)).astype("float32")
stateful = layers.LSTM(6, stateful=True)
for chunk in np.split(long_sequence, 3, axis=1):
    chunked_out = stateful(chunk)
whole = layers.LSTM(6)
whole(long_sequence[:, :10])
whole.set_weights(stateful.get_weights())
print("chunks equal the whole sequence:",
      np.allclose(ops.convert_to_numpy(chunked_out), ops.convert_to_numpy(whole(long_sequence)), atol=1e-5))
carried = [ops.convert_to_numpy(s) for s in stateful.states]
stateful.reset_states()
print("states after reset:", [float(np.abs(ops.convert_to_numpy(s)).sum()) for s in stateful.states],
      "carried shapes:", [c.shape for c in carried])
follow_on = layers.LSTM(6)(long_sequence[:, :10], initial_state=[ops.convert_to_tensor(c) for c in carried])
print("new layer from carried states:", tuple(follow_on.shape))

fused = layers.LSTM(7, return_sequences=True)
generic = layers.RNN(layers.LSTMCell(7), return_sequences=True)
seq = rng.random((2, 9, 4)).astype("float32")
fused(seq)
generic(seq)
generic.set_weights(fused.get_weights())
print("RNN(LSTMCell) == LSTM:", np.allclose(ops.convert_to_numpy(fused(seq)), ops.convert_to_numpy(generic(seq)), atol=1e-5))

bidirectional = keras.Sequential([
    keras.Input(shape=(5, 10)),
    layers.Bidirectional(layers.LSTM(8, return_sequences=True)),
    layers.Bidirectional(layers.GRU(4), merge_mode="sum"),
    layers.Dense(3),
], name="bidirectional_stack")
bidirectional.summary()
print("bidirectional output:", tuple(bidirectional(rng.random((2, 5, 10)).astype("float32")).shape))
