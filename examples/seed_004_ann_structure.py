# Tutorial: "[딥러닝] 01. 인공 신경망의 구조 ... (keras), 가중치 행렬" (2022, tf.keras): a binary
# classifier Dense(64) -> Dense(32) -> Dense(1, sigmoid) written two ways, trained with SGD,
# evaluated, saved to HDF5 and loaded back.
#
# The Keras code below is the tutorial's. Added to make it a runnable script:
#   - `import tensorflow as tf` and synthetic data for the post's undefined x_train_scaled,
#     y_train, x_test_scaled, y_test (100 scaled features, as the post's input_shape=100 says),
#   - model.summary() and prints of the results.
# Fixed typo: `Dense(1. activation='sigmoid')` -> `Dense(1, activation='sigmoid')` in "ver 1".
# Run: python -m keraslite examples/seed_004_ann_structure.py
import numpy as np
import tensorflow as tf

rng = np.random.default_rng(0)
x_train_scaled = rng.standard_normal((64, 100)).astype("float32")
y_train = (x_train_scaled[:, :10].sum(axis=1) > 0).astype("float32")
x_test_scaled = rng.standard_normal((32, 100)).astype("float32")
y_test = (x_test_scaled[:, :10].sum(axis=1) > 0).astype("float32")

# ver 1.
from tensorflow.keras.layers import Dense
model = tf.keras.models.Sequential()
model.add(Dense(64, activation='relu', input_shape=100)) # [입력층]
model.add(Dense(32, activation='relu')) # [은닉층 2]
model.add(Dense(1, activation='sigmoid')) # [출력층]  (typo fixed: was `Dense(1. activation=...`)

# ver 2.
model = tf.keras.models.Sequential([
tf.keras.layers.Dense(64, activation='relu', input_shape=100), # [입력층, 은닉층1]
tf.keras.layers.Dense(32, activation='relu'), # [은닉층 2]
tf.keras.layers.Dense(1, activation='sigmoid') # [출력층]
])

model.summary()

model.compile(optimizer='sgd',
loss='binary_crossentropy',
metrics=['accuracy'])
history = model.fit(x_train_scaled, y_train, epochs=200)
model.evaluate(x_test_scaled, y_test)
model.save("model_name.h5")
from tensorflow.keras.models import load_model
model = load_model("model_name.h5")

print("reloaded:", [tuple(w.shape) for w in model.get_weights()])
print("test loss, accuracy:", model.evaluate(x_test_scaled, y_test, verbose=0))
