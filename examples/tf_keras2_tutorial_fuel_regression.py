"""tf.keras (TensorFlow 2 docs tutorial) dialect: regression of fuel efficiency from car
measurements, without pandas. A `Normalization` layer adapted to one feature (`axis=None`)
and to all of them, a linear model and a small DNN trained with mean absolute error and a
validation split, a prediction curve over `tf.linspace`, the results compared, and the DNN
saved to a `.keras` file and reloaded. The cars are synthetic: fuel use grows with horsepower
and weight, plus noise.

Run: python -m keraslite examples/tf_keras2_tutorial_fuel_regression.py
"""
import os
import tempfile

import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

print(tf.__version__)
tf.random.set_seed(3)
np.set_printoptions(precision=3, suppress=True)

rng = np.random.default_rng(3)
n = 320
cylinders = rng.choice([4.0, 6.0, 8.0], size=n)
horsepower = 40 + 25 * cylinders + rng.normal(0, 15, n)
weight = 1500 + 300 * cylinders + rng.normal(0, 200, n)
year = rng.integers(70, 83, n).astype(float)
origin = rng.integers(1, 4, n)
one_hot_origin = np.eye(3)[origin - 1]  # Europe / Japan / USA columns, as get_dummies gives
mpg = 60 - 0.12 * horsepower - 0.004 * weight + 0.4 * (year - 70) + rng.normal(0, 1.5, n)
features = np.column_stack([cylinders, horsepower, weight, year, one_hot_origin]).astype("float32")
labels = mpg.astype("float32")

order = rng.permutation(n)
train_idx, test_idx = order[:256], order[256:]
train_features, test_features = features[train_idx], features[test_idx]
train_labels, test_labels = labels[train_idx], labels[test_idx]
print("train / test:", train_features.shape, test_features.shape)

normalizer = tf.keras.layers.Normalization(axis=-1)
normalizer.adapt(np.array(train_features))
print("adapted mean:", normalizer.mean.numpy())
first = np.array(train_features[:1])
print("first example normalized:", normalizer(first).numpy())

# One feature: horsepower.
hp_train = np.array(train_features[:, 1])
horsepower_normalizer = layers.Normalization(input_shape=[1, ], axis=None)
horsepower_normalizer.adapt(hp_train)
horsepower_model = tf.keras.Sequential([horsepower_normalizer, layers.Dense(units=1)])
horsepower_model.summary()
print("untrained predictions:", horsepower_model.predict(hp_train[:3], verbose=0).shape)
horsepower_model.compile(optimizer=tf.optimizers.Adam(learning_rate=0.1), loss='mean_absolute_error')
history = horsepower_model.fit(hp_train, train_labels, epochs=40, verbose=0, validation_split=0.2)
print("horsepower model history:", sorted(history.history), len(history.history['loss']), "epochs")

test_results = {}
test_results['horsepower_model'] = horsepower_model.evaluate(test_features[:, 1], test_labels, verbose=0)

x = tf.linspace(0.0, 250, 251)
y = horsepower_model.predict(x, verbose=0)
print("prediction curve:", tuple(x.shape), "->", y.shape, "falls with horsepower:", bool(y[-1, 0] < y[0, 0]))

linear_model = tf.keras.Sequential([normalizer, layers.Dense(units=1)])
linear_model.compile(optimizer=tf.keras.optimizers.Adam(learning_rate=0.1), loss='mean_absolute_error')
linear_model.fit(train_features, train_labels, epochs=40, verbose=0, validation_split=0.2)
print("linear kernel shape:", tuple(linear_model.layers[1].kernel.shape))
test_results['linear_model'] = linear_model.evaluate(test_features, test_labels, verbose=0)


def build_and_compile_model(norm):
    model = keras.Sequential([
        norm,
        layers.Dense(32, activation='relu'),
        layers.Dense(32, activation='relu'),
        layers.Dense(1)
    ])
    model.compile(loss='mean_absolute_error', optimizer=tf.keras.optimizers.Adam(0.001))
    return model


dnn_model = build_and_compile_model(normalizer)
dnn_model.fit(train_features, train_labels, validation_split=0.2, verbose=0, epochs=40)
test_results['dnn_model'] = dnn_model.evaluate(test_features, test_labels, verbose=0)

for name, mae in test_results.items():
    print(f"{name:>17}: mean absolute error {mae:.3f} [MPG]")
print("all beat predicting the mean:",
      all(v < np.abs(test_labels - train_labels.mean()).mean() for v in test_results.values()))

path = os.path.join(tempfile.mkdtemp(), 'dnn_model.keras')
dnn_model.save(path)
reloaded = tf.keras.models.load_model(path)
same = np.allclose(dnn_model.predict(test_features, verbose=0), reloaded.predict(test_features, verbose=0), atol=1e-5)
reloaded_mae = reloaded.evaluate(test_features, test_labels, verbose=0)
print("reloaded predictions equal:", same, "| same test MAE:",
      bool(np.isclose(reloaded_mae, test_results['dnn_model'])))
