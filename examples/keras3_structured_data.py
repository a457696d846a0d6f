"""Keras 3 (2023+) dialect: structured data classification from scratch, keras.io style.

A table of patient records (synthetic, numpy) with numerical, integer-categorical and
string-categorical columns is fed to a functional model with one named `keras.Input` per
column, as a dict of arrays. Numerical columns go through `layers.Normalization()` adapted on
the training data; the string column through `layers.StringLookup(output_mode="one_hot")`
and the integer column through `layers.IntegerLookup(output_mode="one_hot")`, both adapted on
the training data; a small-integer column whose range is known through
`layers.CategoryEncoding(num_tokens=4, output_mode="one_hot")`. The encoded features are joined
with `layers.concatenate` and classified by Dense + Dropout layers. A new record, given as a
dict of Python values, is then scored.

Note: real Keras 3 needs TensorFlow installed for StringLookup and IntegerLookup (even with the
torch backend); keraslite does not.

Run: python -m keraslite examples/keras3_structured_data.py
"""
import numpy as np
import keras
from keras import layers

keras.utils.set_random_seed(42)

rng = np.random.default_rng(42)
n = 300
data = {
    "age": rng.integers(29, 78, size=n).astype("float32"),
    "trestbps": rng.normal(130, 17, size=n).round().astype("float32"),
    "chol": rng.normal(245, 50, size=n).round().astype("float32"),
    "thalach": rng.normal(150, 22, size=n).round().astype("float32"),
    "sex": rng.integers(0, 2, size=n),
    "cp": rng.integers(0, 4, size=n),
    "ca": rng.integers(0, 4, size=n),
    "thal": rng.choice(np.array(["normal", "fixed", "reversible"]), size=n),
}
risk = (0.04 * (data["age"] - 50) + 0.02 * (data["chol"] - 245) / 5 - 0.03 * (data["thalach"] - 150) / 2
        + 0.6 * (data["cp"] == 0) + 0.8 * (data["thal"] == "reversible") + 0.3 * data["ca"] - 0.4)
target = (risk + rng.normal(0, 0.3, size=n) > 0).astype("float32")

val_count = 60
train_data = {name: column[:-val_count] for name, column in data.items()}
val_data = {name: column[-val_count:] for name, column in data.items()}
train_target, val_target = target[:-val_count], target[-val_count:]
print("Using %d samples for training and %d for validation" % (len(train_target), len(val_target)))
print("positive fraction: %.2f" % train_target.mean())

# Categorical features encoded as integers
sex = keras.Input(shape=(1,), name="sex", dtype="int64")
cp = keras.Input(shape=(1,), name="cp", dtype="int64")
ca = keras.Input(shape=(1,), name="ca", dtype="int64")

# Categorical feature encoded as string
thal = keras.Input(shape=(1,), name="thal", dtype="string")

# Numerical features
age = keras.Input(shape=(1,), name="age")
trestbps = keras.Input(shape=(1,), name="trestbps")
chol = keras.Input(shape=(1,), name="chol")
thalach = keras.Input(shape=(1,), name="thalach")

all_inputs = [sex, cp, ca, thal, age, trestbps, chol, thalach]


def encode_numerical_feature(feature, name, dataset):
    # Create a Normalization layer for our feature and learn its statistics
    normalizer = layers.Normalization()
    normalizer.adapt(dataset[name].reshape(-1, 1))
    # Normalize the input feature
    return normalizer(feature)


def encode_categorical_feature(feature, name, dataset, is_string):
    lookup_class = layers.StringLookup if is_string else layers.IntegerLookup
    # Create a lookup layer which will turn values into one-hot vectors
    lookup = lookup_class(output_mode="one_hot")
    # Learn the set of possible values and assign them a fixed integer index
    lookup.adapt(dataset[name])
    print(f"{name} vocabulary:", lookup.get_vocabulary())
    # Turn the values into one-hot vectors
    return lookup(feature)


# Integer categorical features
sex_encoded = encode_categorical_feature(sex, "sex", train_data, False)
ca_encoded = encode_categorical_feature(ca, "ca", train_data, False)
# A small integer feature whose range is known needs no vocabulary
cp_encoded = layers.CategoryEncoding(num_tokens=4, output_mode="one_hot")(cp)

# String categorical features
thal_encoded = encode_categorical_feature(thal, "thal", train_data, True)

# Numerical features
age_encoded = encode_numerical_feature(age, "age", train_data)
trestbps_encoded = encode_numerical_feature(trestbps, "trestbps", train_data)
chol_encoded = encode_numerical_feature(chol, "chol", train_data)
thalach_encoded = encode_numerical_feature(thalach, "thalach", train_data)

all_features = layers.concatenate(
    [
        sex_encoded,
        cp_encoded,
        ca_encoded,
        thal_encoded,
        age_encoded,
        trestbps_encoded,
        chol_encoded,
        thalach_encoded,
    ]
)
print("encoded features:", all_features.shape)
x = layers.Dense(32, activation="relu")(all_features)
x = layers.Dropout(0.5)(x)
output = layers.Dense(1, activation="sigmoid")(x)
model = keras.Model(all_inputs, output)
model.compile("adam", "binary_crossentropy", metrics=["accuracy"])
model.summary()

history = model.fit(train_data, train_target, epochs=10, batch_size=32, validation_data=(val_data, val_target),
                    verbose=2)
print("history keys:", sorted(history.history))
loss, accuracy = model.evaluate(val_data, val_target, verbose=0)
print("validation loss %.4f accuracy %.4f" % (loss, accuracy))

sample = {
    "age": 60,
    "sex": 1,
    "cp": 0,
    "trestbps": 145,
    "chol": 233,
    "thalach": 120,
    "ca": 2,
    "thal": "reversible",
}
input_dict = {name: np.array([value]) for name, value in sample.items()}
predictions = model.predict(input_dict, verbose=0)
print("prediction shape:", predictions.shape)
print(
    f"This particular patient had a {100 * predictions[0][0]:.1f} "
    "percent probability of having a heart disease, "
    "as evaluated by our model."
)
