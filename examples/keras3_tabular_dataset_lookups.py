"""Structured-data classification from a tf.data pipeline of feature dicts (keras.io
"structured data classification from scratch", backend-agnostic version, Keras 3).

A table of numeric and categorical columns becomes `Dataset.from_tensor_slices((dict, labels))`.
A map function one-hot encodes each categorical column with StringLookup or IntegerLookup,
choosing by the element's dtype (`features[name].dtype == "string"`), numeric columns get
Normalization layers adapted on the dataset, integer inputs are cast with keras.ops inside
the functional model, and a prediction is made for one new row.

Run with: python -m keraslite examples/keras3_tabular_dataset_lookups.py
"""
import numpy as np
import tensorflow as tf
import keras
from keras import layers

keras.utils.set_random_seed(5)
rng = np.random.RandomState(5)

n = 240
columns = {
    "age": rng.randint(25, 80, n),
    "chol": rng.randint(150, 320, n),
    "cp": rng.randint(0, 4, n),
    "thal": rng.choice(["fixed", "normal", "reversible"], n),
}
risk = (columns["age"] - 50) / 15 + (columns["chol"] - 230) / 50 + (columns["thal"] == "reversible") * 1.5
labels = (risk + 0.3 * rng.randn(n) > 0.5).astype("int64")
print("positives:", int(labels.sum()), "of", n)

NUMERIC = ["age", "chol"]
VOCABULARIES = {"cp": sorted(int(v) for v in np.unique(columns["cp"])),
                "thal": sorted(str(v) for v in np.unique(columns["thal"]))}


def encode_categorical(features, target):
    for name in features:
        if name in VOCABULARIES:
            lookup_class = layers.StringLookup if features[name].dtype == "string" else layers.IntegerLookup
            lookup = lookup_class(vocabulary=VOCABULARIES[name], mask_token=None, num_oov_indices=0,
                                  output_mode="binary")
            features[name] = lookup(features[name])
    return dict(features), target


order = rng.permutation(n)
train_idx, val_idx = order[:200], order[200:]
make = lambda idx: tf.data.Dataset.from_tensor_slices(  # noqa: E731
    ({k: v[idx] for k, v in columns.items()}, labels[idx])).map(encode_categorical)
train_ds, val_ds = make(train_idx).shuffle(200).batch(32), make(val_idx).batch(32)
features, target = next(iter(make(train_idx)))
print("one element:", {k: np.asarray(v).tolist() for k, v in features.items()}, "label", int(target))

inputs, encoded = {}, []
for name in NUMERIC:
    inputs[name] = keras.Input(shape=(1,), name=name, dtype="int64")
    normalizer = layers.Normalization()
    normalizer.adapt(train_ds.map(lambda x, y: tf.expand_dims(x[name], -1)))
    encoded.append(normalizer(keras.ops.cast(inputs[name], "float32")))
    print(f"{name}: mean {float(np.asarray(normalizer.mean).ravel()[0]):.1f}")
for name, vocabulary in VOCABULARIES.items():
    inputs[name] = keras.Input(shape=(len(vocabulary),), name=name, dtype="int64")
    encoded.append(keras.ops.cast(inputs[name], "float32"))
all_features = layers.concatenate(encoded)
x = layers.Dropout(0.2)(layers.Dense(16, activation="relu")(all_features))
model = keras.Model(inputs, layers.Dense(1, activation="sigmoid")(x))
print("encoded features:", all_features.shape)
model.compile("adam", "binary_crossentropy", metrics=["accuracy"])
model.fit(train_ds, epochs=15, validation_data=val_ds, verbose=0)
loss, accuracy = model.evaluate(val_ds, verbose=0)
print(f"validation loss {loss:.3f} accuracy {accuracy:.3f}")

row = {"age": 68, "chol": 290, "cp": 2, "thal": "reversible"}
for name, vocabulary in VOCABULARIES.items():
    row[name] = [int(v == row[name]) for v in vocabulary]
prediction = model.predict({name: keras.ops.convert_to_tensor([value]) for name, value in row.items()}, verbose=0)
print(f"this row has a {100 * prediction[0][0]:.1f} percent probability of the positive class")
