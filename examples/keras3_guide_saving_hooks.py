"""Keras 3 dialect: saving and serialization with custom objects (keras.io "Save, serialize, and
export models" and "Customizing Saving and Serialization" style).

A registered custom layer keeps an extra `keras.Variable` and stores it through its own
`save_own_variables` / `load_own_variables`; another writes a vocabulary file through
`save_assets` / `load_assets`; a third needs an extra `build()` argument and records it with
`get_build_config` / `build_from_config`. A subclassed model with its own `compile()` signature
saves and restores it with `get_compile_config` / `compile_from_config`. A registered custom
activation function, `serialize_keras_object`, `clone_model`, `to_json` / `model_from_json`
and `.weights.h5` files complete the tour. Each reload is checked against the original's
predictions, and the `.keras` archive's layout is listed.

Run: python -m keraslite examples/keras3_guide_saving_hooks.py
"""
import io
import json
import os
import tempfile
import zipfile

import h5py
import numpy as np
import keras
from keras import ops

keras.utils.set_random_seed(7)
workdir = tempfile.mkdtemp()
rng = np.random.default_rng(7)


@keras.saving.register_keras_serializable(package="guide_demo", name="cube_plus")
def cube_plus(x):
    return x * x * x + x


@keras.saving.register_keras_serializable(package="guide_demo")
class ShiftedDense(keras.layers.Dense):
    """A Dense layer plus a learned-elsewhere shift kept in a plain keras.Variable."""

    def __init__(self, units, **kwargs):
        super().__init__(units, **kwargs)
        self.shift = keras.Variable(np.zeros((units,)), name="shift", dtype="float32", trainable=False)

    def save_own_variables(self, store):
        super().save_own_variables(store)  # "0": kernel, "1": bias
        store["shift"] = self.shift.numpy()

    def load_own_variables(self, store):
        self.kernel.assign(store["0"])
        self.bias.assign(store["1"])
        self.shift.assign(store["shift"])

    def call(self, inputs):
        return super().call(inputs) + self.shift


inputs = keras.Input(shape=(6,))
hidden = ShiftedDense(5, activation=cube_plus, name="shifted")(inputs)
outputs = keras.layers.Dense(1, name="head")(hidden)
model = keras.Model(inputs, outputs, name="shifted_model")
model.get_layer("shifted").shift.assign(np.linspace(-1.0, 1.0, 5).astype("float32"))
model.compile(optimizer="adam", loss="mse")
x = rng.random((64, 6)).astype("float32")
y = rng.random((64, 1)).astype("float32")
model.fit(x, y, epochs=2, batch_size=16, verbose=0)

path = os.path.join(workdir, "shifted.keras")
model.save(path)
with zipfile.ZipFile(path) as archive:
    print("archive members:", sorted(archive.namelist()))
    config = json.loads(archive.read("config.json"))
    with h5py.File(io.BytesIO(archive.read("model.weights.h5")), "r") as weights_file:
        print("layer groups:", sorted(weights_file["layers"].keys()))
        print("shifted layer stores:", sorted(weights_file["layers/shifted_dense/vars"].keys()))
print("activation entry:", config["config"]["layers"][1]["config"]["activation"])
restored = keras.models.load_model(path)
print("shift restored:", np.allclose(restored.get_layer("shifted").shift.numpy(), np.linspace(-1, 1, 5)))
print("same predictions:", np.allclose(restored.predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-6))
print("optimizer step restored:", int(restored.optimizer.iterations) == int(model.optimizer.iterations))


@keras.saving.register_keras_serializable(package="guide_demo")
class VocabDense(keras.layers.Dense):
    def __init__(self, vocab=None, **kwargs):
        super().__init__(**kwargs)
        self.vocab = vocab

    def save_assets(self, inner_path):
        with open(os.path.join(inner_path, "vocab.txt"), "w") as f:
            f.write("\n".join(self.vocab))

    def load_assets(self, inner_path):
        with open(os.path.join(inner_path, "vocab.txt")) as f:
            self.vocab = f.read().split("\n")


vocab_model = keras.Sequential([keras.Input((3,)), VocabDense(vocab=["red", "green", "blue"], units=2)])
vocab_path = os.path.join(workdir, "vocab.keras")
vocab_model.save(vocab_path)
with zipfile.ZipFile(vocab_path) as archive:
    print("asset files:", [n for n in archive.namelist() if n.startswith("assets/")])
print("vocabulary back:", keras.models.load_model(vocab_path).layers[0].vocab)


@keras.saving.register_keras_serializable(package="guide_demo")
class ScaledProjection(keras.layers.Layer):
    def __init__(self, units=4, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def build(self, input_shape, scale):
        self.scale = scale
        self.w = self.add_weight(shape=(input_shape[-1], self.units), initializer="glorot_uniform")

    def call(self, inputs):
        return ops.matmul(inputs, self.w) * self.scale

    def get_config(self):
        return {**super().get_config(), "units": self.units}

    def get_build_config(self):
        return {"input_shape": (None, self.w.shape[0]), "scale": self.scale}

    def build_from_config(self, config):
        self.build(config["input_shape"], config["scale"])


projection = ScaledProjection(units=3)
projection.build((None, 6), scale=0.5)
proj_model = keras.Sequential([keras.Input((6,)), projection])
proj_path = os.path.join(workdir, "projection.keras")
proj_model.save(proj_path)
proj_back = keras.models.load_model(proj_path)
print("build config back:", proj_back.layers[0].scale, proj_back.built,
      np.allclose(proj_back.predict(x, verbose=0), proj_model.predict(x, verbose=0)))


@keras.saving.register_keras_serializable(package="guide_demo")
def halved_mse(y_true, y_pred):
    return ops.mean(ops.square(y_pred - y_true), axis=-1) / 2.0


@keras.saving.register_keras_serializable(package="guide_demo")
class TwoStepModel(keras.Model):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.hidden = keras.layers.Dense(8, activation="relu")
        self.out = keras.layers.Dense(1)

    def call(self, inputs):
        return self.out(self.hidden(inputs))

    def compile(self, optimizer, loss_fn):
        super().compile(optimizer=optimizer, loss=loss_fn)
        self.chosen_optimizer, self.chosen_loss = optimizer, loss_fn

    def get_compile_config(self):
        return {"optimizer": self.chosen_optimizer, "loss_fn": self.chosen_loss}

    def compile_from_config(self, config):
        self.compile(optimizer=keras.utils.deserialize_keras_object(config["optimizer"]),
                     loss_fn=keras.utils.deserialize_keras_object(config["loss_fn"]))


two_step = TwoStepModel()
two_step.compile(optimizer="sgd", loss_fn=halved_mse)
two_step.fit(x, y, epochs=1, verbose=0)
two_path = os.path.join(workdir, "two_step.keras")
two_step.save(two_path)
with zipfile.ZipFile(two_path) as archive:
    print("compile_config:", json.loads(archive.read("config.json"))["compile_config"])
two_back = keras.models.load_model(two_path)
print("compile hooks:", two_back.chosen_optimizer, two_back.chosen_loss is halved_mse,
      np.allclose(two_back.predict(x, verbose=0), two_step.predict(x, verbose=0)))

print("function:", keras.saving.serialize_keras_object(halved_mse))
print("regularizer:", keras.saving.serialize_keras_object(keras.regularizers.L2(0.01)))
clone = keras.models.clone_model(model)
print("clone layers:", [layer.name for layer in clone.layers[1:]])
from_json = keras.models.model_from_json(model.to_json())
print("from json:", from_json.name, from_json.count_params() == model.count_params())
weights_path = os.path.join(workdir, "shifted.weights.h5")
model.save_weights(weights_path)
clone.load_weights(weights_path)
print("weights file round trip:", np.allclose(clone.predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-6))
