"""Keras 3 (2023+) dialect: `keras.Input`, a functional model with two inputs merged by
Concatenate, compile / fit / evaluate / predict, and a `.keras` file saved and loaded back.
Synthetic regression data; runs in seconds.

Run: python -m keraslite examples/keras3_functional.py
"""
import os
import tempfile

import numpy as np
import keras
from keras import layers

keras.utils.set_random_seed(3)

numeric = keras.Input(shape=(6,), name="numeric")
extra = keras.Input(shape=(3,), name="extra")
x = layers.Dense(16, activation="relu")(numeric)
y = layers.Dense(4, activation="relu")(extra)
z = layers.Concatenate()([x, y])
z = layers.Dense(8, activation="relu")(z)
output = layers.Dense(1, name="price")(z)
model = keras.Model(inputs=[numeric, extra], outputs=output, name="two_inputs")
model.summary()

rng = np.random.default_rng(3)
a = rng.standard_normal((96, 6)).astype("float32")
b = rng.standard_normal((96, 3)).astype("float32")
target = (a.sum(axis=1, keepdims=True) - b[:, :1]).astype("float32")

model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01), loss="mse", metrics=["mae"])
model.fit([a, b], target, epochs=3, batch_size=32, verbose=2)
print("evaluate [loss, mae]:", model.evaluate([a, b], target, verbose=0))

path = os.path.join(tempfile.mkdtemp(), "two_inputs.keras")
model.save(path)
restored = keras.models.load_model(path)
same = np.allclose(restored.predict([a[:5], b[:5]], verbose=0), model.predict([a[:5], b[:5]], verbose=0), atol=1e-6)
print("reloaded model gives the same predictions:", same)
