"""Wide & Deep and Deep & Cross models on CSV data (keras.io "structured data learning with
Wide, Deep, and Cross networks" style, Keras 3 with tf.data).

Rows are written to CSV files and read back with tf.data.experimental.make_csv_dataset
(typed by column_defaults, label split off). Categorical columns arrive as strings through
`Input(shape=(), dtype="string")`: one-hot through `ops.expand_dims` + StringLookup for the
wide part, ids + Embedding for the deep part; numeric columns are expanded with keras.ops. The
cross part multiplies the base features with a Dense projection (`x0 * x + cross`).

Run with: python -m keraslite examples/keras3_tabular_wide_deep_cross.py
"""
import csv
import math
import os
import tempfile

import numpy as np
from tensorflow import data as tf_data
import keras
from keras import layers

keras.utils.set_random_seed(2)
rng = np.random.RandomState(2)

HEADER = ["elevation", "slope", "area", "soil", "cover"]
AREAS = [f"area_{i}" for i in range(1, 5)]
SOILS = [f"soil_{i}" for i in range(1, 17)]
folder = tempfile.mkdtemp()


def write_csv(name, n):
    path = os.path.join(folder, name)
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(HEADER)
        for _ in range(n):
            area, soil = rng.randint(4), rng.randint(16)
            elevation = rng.uniform(-1, 1)
            cover = (area + (soil % 3) + int(elevation > 0)) % 4
            writer.writerow([f"{elevation:.3f}", f"{rng.uniform(0, 1):.3f}", AREAS[area], SOILS[soil], cover])
    return path


train_file, test_file = write_csv("train.csv", 600), write_csv("test.csv", 200)
COLUMN_DEFAULTS = [[0.0], [0.0], ["NA"], ["NA"], [0]]
VOCABULARIES = {"area": AREAS, "soil": SOILS}


def get_dataset(path, shuffle=False):
    return tf_data.experimental.make_csv_dataset(path, batch_size=64, column_names=HEADER,
                                                 column_defaults=COLUMN_DEFAULTS, label_name="cover",
                                                 num_epochs=1, header=True, shuffle=shuffle).cache()


features, labels = next(iter(get_dataset(test_file)))
print("columns:", list(features), "label dtype:", labels.dtype, "area sample:", features["area"].numpy()[:2])


def create_inputs():
    inputs = {name: layers.Input(name=name, shape=(), dtype="float32") for name in ("elevation", "slope")}
    inputs.update({name: layers.Input(name=name, shape=(), dtype="string") for name in VOCABULARIES})
    return inputs


def encode(inputs, use_embedding=False):
    encoded = []
    for name, value in inputs.items():
        if name in VOCABULARIES:
            lookup = layers.StringLookup(vocabulary=VOCABULARIES[name], mask_token=None, num_oov_indices=0,
                                         output_mode="int" if use_embedding else "binary")
            if use_embedding:
                dims = int(math.sqrt(len(VOCABULARIES[name])))
                encoded.append(layers.Embedding(len(VOCABULARIES[name]), dims)(lookup(value)))
            else:
                encoded.append(lookup(keras.ops.expand_dims(value, -1)))
        else:
            encoded.append(keras.ops.expand_dims(value, -1))
    return layers.concatenate(encoded)


def deep_tower(x):
    for units in (32, 32):
        x = layers.Dropout(0.1)(layers.ReLU()(layers.BatchNormalization()(layers.Dense(units)(x))))
    return x


def wide_and_deep():
    inputs = create_inputs()
    wide = layers.BatchNormalization()(encode(inputs))
    merged = layers.concatenate([wide, deep_tower(encode(inputs, use_embedding=True))])
    return keras.Model(inputs, layers.Dense(4, activation="softmax")(merged), name="wide_and_deep")


def deep_and_cross():
    inputs = create_inputs()
    x0 = encode(inputs, use_embedding=True)
    cross = x0
    for _ in range(2):
        cross = x0 * layers.Dense(cross.shape[-1])(cross) + cross
    merged = layers.concatenate([layers.BatchNormalization()(cross), deep_tower(x0)])
    return keras.Model(inputs, layers.Dense(4, activation="softmax")(merged), name="deep_and_cross")


for build in (wide_and_deep, deep_and_cross):
    model = build()
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss=keras.losses.SparseCategoricalCrossentropy(),
                  metrics=[keras.metrics.SparseCategoricalAccuracy()])
    print(f"{model.name}: {model.count_params()} parameters, inputs {[t.dtype for t in model.inputs]}")
    model.fit(get_dataset(train_file, shuffle=True), epochs=4, verbose=0)
    _, accuracy = model.evaluate(get_dataset(test_file), verbose=0)
    print(f"{model.name} test accuracy: {round(accuracy * 100, 2)}%")
