"""Structured-data classification with keras.utils.FeatureSpace (the keras.io "structured data
classification with FeatureSpace" program shape, Keras 3, synthetic heart-disease-like table).

A table of integer codes, a string column and numeric columns becomes a tf.data pipeline of
(feature dict, label) pairs. A FeatureSpace declares each column's treatment (integer and string
lookups, a discretized age, normalized numbers) plus two hashed feature crosses, learns its
vocabularies, means and bins with `adapt`, and encodes batches inside `Dataset.map`. A small
classifier trains on the encoded vectors (a model whose input is `get_encoded_features()`), and an
end-to-end model from `get_inputs()` takes raw rows, predicts one new patient and survives a
.keras save/load.

Run with: python -m keraslite examples/keras3_tabular_feature_space.py
"""
import os
import tempfile

import numpy as np
import tensorflow as tf
import keras
from keras.utils import FeatureSpace

keras.utils.set_random_seed(11)
rng = np.random.RandomState(11)

n = 320
table = {
    "sex": rng.randint(0, 2, n),
    "cp": rng.randint(0, 4, n),
    "fbs": rng.randint(0, 2, n),
    "restecg": rng.randint(0, 3, n),
    "exang": rng.randint(0, 2, n),
    "ca": rng.randint(0, 4, n),
    "thal": rng.choice(["fixed", "normal", "reversible"], n),
    "age": rng.randint(29, 78, n).astype("float64"),
    "trestbps": rng.normal(130, 15, n),
    "chol": rng.normal(245, 45, n),
    "thalach": rng.normal(150, 20, n),
    "oldpeak": np.abs(rng.normal(1.0, 1.0, n)),
    "slope": rng.randint(0, 3, n).astype("float64"),
}
score = ((table["age"] - 55) / 10 + (table["thal"] == "reversible") * 1.5 + table["exang"]
         + table["ca"] * 0.6 - (table["thalach"] - 150) / 25 + table["oldpeak"] * 0.5)
target = (score + 0.4 * rng.randn(n) > 1.2).astype("int64")
print("patients:", n, "with heart disease:", int(target.sum()))

val_rows = np.arange(n) % 5 == 0
train_table = {k: v[~val_rows] for k, v in table.items()}
val_table = {k: v[val_rows] for k, v in table.items()}


def dataframe_to_dataset(columns, labels):
    ds = tf.data.Dataset.from_tensor_slices((dict(columns), labels))
    return ds.shuffle(buffer_size=len(labels))


train_ds = dataframe_to_dataset(train_table, target[~val_rows])
val_ds = dataframe_to_dataset(val_table, target[val_rows])
for x, y in train_ds.take(1):
    print("one row: thal =", x["thal"], "age =", x["age"], "target =", y)

# The defaults by name, then a customised space with crosses.
quick_space = FeatureSpace(
    features={"sex": "integer_categorical", "thal": "string_categorical", "age": "float_discretized",
              "chol": "float_normalized"},
    output_mode="concat",
)
quick_space.adapt({k: train_table[k] for k in ("sex", "thal", "age", "chol")})
print("default space width:", quick_space.get_encoded_features().shape[-1])

feature_space = FeatureSpace(
    features={
        "sex": FeatureSpace.integer_categorical(num_oov_indices=0),
        "cp": FeatureSpace.integer_categorical(num_oov_indices=0),
        "fbs": FeatureSpace.integer_categorical(num_oov_indices=0),
        "restecg": FeatureSpace.integer_categorical(num_oov_indices=0),
        "exang": FeatureSpace.integer_categorical(num_oov_indices=0),
        "ca": FeatureSpace.integer_categorical(num_oov_indices=0),
        "thal": FeatureSpace.string_categorical(num_oov_indices=0),
        "age": FeatureSpace.float_discretized(num_bins=30),
        "trestbps": FeatureSpace.float_normalized(),
        "chol": FeatureSpace.float_normalized(),
        "thalach": FeatureSpace.float_normalized(),
        "oldpeak": FeatureSpace.float_normalized(),
        "slope": FeatureSpace.float_normalized(),
    },
    crosses=[
        FeatureSpace.cross(feature_names=("sex", "age"), crossing_dim=64),
        FeatureSpace.cross(feature_names=("thal", "ca"), crossing_dim=16),
    ],
    output_mode="concat",
)

train_ds = train_ds.batch(32)
val_ds = val_ds.batch(32)
train_ds_with_no_labels = train_ds.map(lambda x, _: x)
feature_space.adapt(train_ds_with_no_labels)
print("thal vocabulary:", feature_space.preprocessors["thal"].get_vocabulary())
print("crossers:", sorted(feature_space.crossers))

for x, _ in train_ds.take(1):
    preprocessed_x = feature_space(x)
    print("preprocessed_x.shape:", tuple(preprocessed_x.shape))
    print("preprocessed_x.dtype:", keras.utils.standardize_dtype(preprocessed_x.dtype))

preprocessed_train_ds = train_ds.map(lambda x, y: (feature_space(x), y), num_parallel_calls=tf.data.AUTOTUNE)
preprocessed_train_ds = preprocessed_train_ds.prefetch(tf.data.AUTOTUNE)
preprocessed_val_ds = val_ds.map(lambda x, y: (feature_space(x), y), num_parallel_calls=tf.data.AUTOTUNE)
preprocessed_val_ds = preprocessed_val_ds.prefetch(tf.data.AUTOTUNE)

dict_inputs = feature_space.get_inputs()
encoded_features = feature_space.get_encoded_features()
print("inputs:", sorted(dict_inputs), "encoded:", encoded_features.shape)

x = keras.layers.Dense(32, activation="relu")(encoded_features)
x = keras.layers.Dropout(0.5)(x)
predictions = keras.layers.Dense(1, activation="sigmoid")(x)

training_model = keras.Model(inputs=encoded_features, outputs=predictions)
training_model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
inference_model = keras.Model(inputs=dict_inputs, outputs=predictions)

history = training_model.fit(preprocessed_train_ds, epochs=12, validation_data=preprocessed_val_ds, verbose=2)
print("final val_accuracy: %.3f" % history.history["val_accuracy"][-1])

sample = {"age": 60, "sex": 1, "cp": 1, "trestbps": 145, "chol": 233, "fbs": 1, "restecg": 2, "thalach": 150,
          "exang": 0, "oldpeak": 2.3, "slope": 3, "ca": 0, "thal": "fixed"}
input_dict = {name: keras.ops.convert_to_tensor([value]) if name != "thal" else np.array([value])
              for name, value in sample.items()}
probability = inference_model.predict(input_dict, verbose=0)
print(f"This particular patient had a {100 * probability[0][0]:.1f}% probability of having a heart disease")

one_vector = feature_space({name: value for name, value in sample.items()})
print("one unbatched row encodes to:", tuple(one_vector.shape))

path = os.path.join(tempfile.mkdtemp(), "heart_inference.keras")
inference_model.save(path)
reloaded = keras.models.load_model(path)
same = np.allclose(reloaded.predict(input_dict, verbose=0), probability, atol=1e-6)
print("reloaded end-to-end model gives the same prediction:", same)
