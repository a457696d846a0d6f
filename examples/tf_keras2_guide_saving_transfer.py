"""tf.keras 2 developer-guide dialect, model side: layers written by subclassing (weights made
in build(), a non-trainable accumulator, get_config with **kwargs), a subclassed model saved and
reloaded with custom_objects, weights saved to a checkpoint-style path and restored into a model
with a new head (the load status checked), configs and JSON round trips, freezing and unfreezing
a base model for transfer learning, and preprocessing layers adapted on data (Normalization,
StringLookup, TextVectorization in a tf.data pipeline and inside an end-to-end string model).

Run: python -m keraslite examples/tf_keras2_guide_saving_transfer.py
"""
import os
import tempfile

import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

tf.random.set_seed(5)
rng = np.random.default_rng(5)
workdir = tempfile.mkdtemp()


class Affine(layers.Layer):
    def __init__(self, units=16, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1], self.units), initializer="random_normal",
                                 trainable=True, name="w")
        self.b = self.add_weight(shape=(self.units,), initializer="zeros", trainable=True, name="b")

    def call(self, inputs):
        return tf.matmul(inputs, self.w) + self.b

    def get_config(self):
        config = super().get_config()
        config.update({"units": self.units})
        return config


class RunningSum(layers.Layer):
    """Keeps a non-trainable total of everything it has seen."""

    def build(self, input_shape):
        self.total = self.add_weight(shape=(input_shape[-1],), initializer="zeros", trainable=False,
                                     name="total")

    def call(self, inputs):
        self.total.assign_add(tf.reduce_sum(inputs, axis=0))
        return inputs


counter = RunningSum()
counter(tf.ones((3, 2)))
counter(tf.ones((3, 2)))
print("running total:", counter.total.numpy().tolist(), "trainable weights:", len(counter.trainable_weights),
      "non-trainable:", len(counter.non_trainable_weights))

# A layer rebuilt from its config keeps its arguments and base-class ones.
affine = Affine(8, name="affine_probe")
clone = Affine.from_config(affine.get_config())
print("affine config round trip:", clone.units, clone.name)


class Regressor(keras.Model):
    """A subclassed model: a stack of Affine layers with a ReLU between them."""

    def __init__(self, hidden_units, **kwargs):
        super().__init__(**kwargs)
        self.hidden_units = list(hidden_units)
        self.blocks = [Affine(u) for u in self.hidden_units]

    def call(self, inputs):
        x = inputs
        for i, block in enumerate(self.blocks):
            x = block(x)
            if i < len(self.blocks) - 1:
                x = tf.nn.relu(x)
        return x

    def get_config(self):
        return {"hidden_units": self.hidden_units}


x = rng.normal(size=(256, 10)).astype("float32")
y = (np.sin(x[:, :1]) + 0.5 * x[:, 1:2]).astype("float32")
regressor = Regressor([32, 1])
regressor.compile(optimizer="adam", loss="mse")
regressor.fit(x, y, batch_size=32, epochs=2, verbose=0)
model_path = os.path.join(workdir, "regressor")
regressor.save(model_path)
restored = keras.models.load_model(model_path, custom_objects={"Regressor": Regressor, "Affine": Affine})
print("subclassed model reloaded, same predictions:",
      np.allclose(regressor.predict(x[:8], verbose=0), restored.predict(x[:8], verbose=0), atol=1e-6))


def mlp(head_units=None):
    inputs = keras.Input(shape=(10,), name="features")
    h = layers.Dense(24, activation="relu", name="dense_1")(inputs)
    h = layers.Dense(12, activation="relu", name="dense_2")(h)
    if head_units:
        h = layers.Dense(head_units, name="head")(h)
    return keras.Model(inputs, h)


# Weights saved to a checkpoint-style path, then restored into a model with a new head.
base = mlp()
ckpt = os.path.join(workdir, "base_ckpt")
base.save_weights(ckpt)
status = mlp().load_weights(ckpt)
status.assert_consumed()
with_head = mlp(head_units=3)
with_head.load_weights(ckpt).expect_partial()
same = all(np.array_equal(a, b) for a, b in zip(base.get_weights(), with_head.get_weights()[:4]))
print("checkpoint restored into the base layers of a model with a new head:", same)

# Architecture only: get_config / from_config and JSON.
seq = keras.Sequential([keras.Input((10,)), layers.Dense(4, activation="relu"), layers.Dense(1)])
from_config = keras.Sequential.from_config(seq.get_config())
from_json = keras.models.model_from_json(seq.to_json())
print("config and json rebuild:", [type(l).__name__ for l in from_config.layers],
      from_json.count_params() == seq.count_params())

# Transfer learning: freeze a base, train a head, then unfreeze and fine-tune slowly.
base_model = keras.Sequential([keras.Input((10,)), layers.Dense(16, activation="relu"),
                               layers.BatchNormalization(), layers.Dense(8, activation="relu")],
                              name="base_model")
base_model.trainable = False
inputs = keras.Input((10,))
features = base_model(inputs, training=False)
outputs = layers.Dense(1)(layers.Dropout(0.2)(features))
transfer = keras.Model(inputs, outputs)
frozen_before = [w.copy() for w in base_model.get_weights()]
transfer.compile(optimizer=keras.optimizers.Adam(), loss="mse")
transfer.fit(x, y, batch_size=32, epochs=2, verbose=0)
unchanged = all(np.array_equal(a, b) for a, b in zip(frozen_before, base_model.get_weights()))
print("frozen base: trainable weights", len(transfer.trainable_weights), "base unchanged:", unchanged)
base_model.trainable = True
transfer.compile(optimizer=keras.optimizers.Adam(1e-5), loss="mse")
transfer.fit(x, y, batch_size=32, epochs=1, verbose=0)
print("unfrozen: trainable weights", len(transfer.trainable_weights))

# Preprocessing layers adapted on data.
normalizer = layers.Normalization()
normalizer.adapt(x * 3.0 + 2.0)
normalized = normalizer(x * 3.0 + 2.0).numpy()
print("normalized mean %.2f std %.2f" % (normalized.mean(), normalized.std()))

lookup = layers.StringLookup(vocabulary=["red", "green", "blue"])
print("string lookup:", lookup(tf.constant([["blue", "pink", "red"]])).numpy().tolist())

texts = ["the quick brown fox", "the lazy dog sleeps", "a quick dog runs", "brown fox and lazy dog",
         "the fox runs", "a dog sleeps all day"]
labels = np.array([1, 0, 1, 1, 1, 0], dtype="float32")
vectorizer = layers.TextVectorization(max_tokens=32, output_mode="int", output_sequence_length=6)
vectorizer.adapt(texts)
print("vocabulary starts:", vectorizer.get_vocabulary()[:4])
text_ds = tf.data.Dataset.from_tensor_slices((texts, labels)).batch(3).map(lambda t, l: (vectorizer(t), l))
token_in = keras.Input(shape=(None,), dtype="int64")
e = layers.Embedding(input_dim=vectorizer.vocabulary_size(), output_dim=8)(token_in)
token_model = keras.Model(token_in, layers.Dense(1)(layers.GlobalAveragePooling1D()(e)))
token_model.compile(optimizer="rmsprop", loss="mse")
token_model.fit(text_ds, epochs=2, verbose=0)
string_in = keras.Input(shape=(1,), dtype="string")
end_to_end = keras.Model(string_in, token_model(vectorizer(string_in)))
print("end-to-end string model output shape:", tuple(end_to_end(tf.constant([["the dog runs"]])).shape))
