"""Building models three ways in Keras 3: a Sequential stack grown with add() and inspected with
summary(), functional graphs (multiple inputs and outputs, shared layers, nested models,
residual connections, feature extraction), and a custom layer that serializes.

Synthetic data stands in for a ticket-routing data set: a title and a body (word ids) and
tags (binary) predict a priority score and a department.
"""
import numpy as np

import keras
from keras import layers, ops

keras.utils.set_random_seed(7)

# --- Sequential: weights appear on first call, input shape given up front, add / pop -------
probe = layers.Dense(3)
print("weights before the first call:", probe.weights)
probe(ops.ones((1, 4)))
print("weight shapes after it:", [tuple(w.shape) for w in probe.weights])

stack = keras.Sequential(name="stack")
stack.add(keras.Input(shape=(64, 64, 3)))
stack.add(layers.Conv2D(8, 5, strides=2, activation="relu"))
stack.add(layers.Conv2D(8, 3, activation="relu"))
stack.add(layers.MaxPooling2D(3))
stack.summary()
stack.add(layers.Conv2D(8, 3, activation="relu"))
stack.add(layers.GlobalMaxPooling2D())
stack.add(layers.Dense(5))
print("output shape after more add():", stack.output_shape)
popped = stack.pop()
print("popped:", popped.name, "layers left:", len(stack.layers))

# Every layer of a built Sequential model has an output: extract all of them at once.
features = keras.Model(inputs=stack.inputs, outputs=[layer.output for layer in stack.layers])
maps = features(np.ones((2, 64, 64, 3), "float32"))
print("feature shapes:", [tuple(m.shape) for m in maps])

# --- Functional: three inputs, two named outputs --------------------------------------------
num_words, num_tags, num_departments = 500, 6, 3
title = keras.Input(shape=(None,), name="title")
body = keras.Input(shape=(None,), name="body")
tags = keras.Input(shape=(num_tags,), name="tags")
shared_embedding = layers.Embedding(num_words, 16)  # one vocabulary for title and body
title_features = layers.LSTM(8)(shared_embedding(title))
body_features = layers.GlobalAveragePooling1D()(shared_embedding(body))
x = layers.concatenate([title_features, body_features, tags])
priority = layers.Dense(1, name="priority")(x)
department = layers.Dense(num_departments, name="department")(x)
router = keras.Model(inputs=[title, body, tags], outputs={"priority": priority, "department": department})
router.summary()

n = 256
rng = np.random.default_rng(0)
title_data = rng.integers(num_words, size=(n, 8))
body_data = rng.integers(num_words, size=(n, 20))
tags_data = rng.integers(2, size=(n, num_tags)).astype("float32")
# Learnable targets: the tags decide both the priority and the department.
priority_targets = (tags_data[:, :1] + tags_data[:, 1:2]) / 2
dept_targets = keras.utils.to_categorical(tags_data[:, 2] + tags_data[:, 3], num_departments)

router.compile(
    optimizer=keras.optimizers.Adam(5e-3),
    loss={"priority": keras.losses.BinaryCrossentropy(from_logits=True),
          "department": keras.losses.CategoricalCrossentropy(from_logits=True)},
    loss_weights={"priority": 1.0, "department": 0.5},
    metrics={"department": ["accuracy"]},
)
history = router.fit({"title": title_data, "body": body_data, "tags": tags_data},
                     {"priority": priority_targets, "department": dept_targets},
                     epochs=10, batch_size=32, validation_split=0.25, verbose=2)
print("history keys:", sorted(history.history))
scores = router.evaluate({"title": title_data, "body": body_data, "tags": tags_data},
                         {"priority": priority_targets, "department": dept_targets}, verbose=0, return_dict=True)
print("evaluate keys:", sorted(scores))
print("department accuracy > 0.8:", scores["department_accuracy"] > 0.8)
predicted = router.predict([title_data[:5], body_data[:5], tags_data[:5]], verbose=0)
print("prediction shapes:", {k: v.shape for k, v in sorted(predicted.items())})

# --- Nested models: an encoder and a decoder chained into an autoencoder ---------------------
encoder_input = keras.Input(shape=(16, 16, 1), name="original_img")
x = layers.Conv2D(8, 3, activation="relu")(encoder_input)
x = layers.MaxPooling2D(2)(x)
x = layers.Conv2D(4, 3, activation="relu")(x)
encoder_output = layers.GlobalMaxPooling2D()(x)
encoder = keras.Model(encoder_input, encoder_output, name="encoder")

decoder_input = keras.Input(shape=(4,), name="encoded_img")
x = layers.Dense(64, activation="relu")(decoder_input)
x = layers.Reshape((4, 4, 4))(x)
x = layers.Conv2DTranspose(8, 3, activation="relu")(x)
x = layers.UpSampling2D(2)(x)
decoder_output = layers.Conv2DTranspose(1, 5, activation="sigmoid")(x)
decoder = keras.Model(decoder_input, decoder_output, name="decoder")

image = keras.Input(shape=(16, 16, 1), name="img")
autoencoder = keras.Model(image, decoder(encoder(image)), name="autoencoder")
autoencoder.summary()
print("autoencoder output:", autoencoder.output_shape, "sub-models:",
      [layer.name for layer in autoencoder.layers[1:]])

# --- Ensembling: one input, three small models, their average ------------------------------
def small_model():
    inputs = keras.Input(shape=(10,))
    return keras.Model(inputs, layers.Dense(1)(inputs))


members = [small_model() for _ in range(3)]
ens_in = keras.Input(shape=(10,))
ensemble = keras.Model(ens_in, layers.average([m(ens_in) for m in members]))
probe_x = rng.standard_normal((4, 10)).astype("float32")
mean_of_members = np.mean([m.predict(probe_x, verbose=0) for m in members], axis=0)
print("ensemble is the mean of its members:",
      np.allclose(ensemble.predict(probe_x, verbose=0), mean_of_members, atol=1e-6))

# --- A toy ResNet: residual additions need a non-linear topology ---------------------------
inputs = keras.Input(shape=(16, 16, 3), name="img")
x = layers.Conv2D(8, 3, activation="relu")(inputs)
block_1 = layers.MaxPooling2D(2)(x)
x = layers.Conv2D(8, 3, activation="relu", padding="same")(block_1)
x = layers.Conv2D(8, 3, activation="relu", padding="same")(x)
block_2 = layers.add([x, block_1])
x = layers.GlobalAveragePooling2D()(block_2)
x = layers.Dropout(0.5)(x)
resnet = keras.Model(inputs, layers.Dense(4)(x), name="toy_resnet")
add_layer = next(layer for layer in resnet.layers if isinstance(layer, layers.Add))
print("toy_resnet params:", resnet.count_params(), "add layer inputs:", [tuple(t.shape) for t in add_layer.input])


# --- A custom layer in a functional model, rebuilt from its config -------------------------
class ScaledDense(layers.Layer):
    def __init__(self, units=8, scale=1.0, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.scale = scale

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1], self.units), initializer="random_normal")
        self.b = self.add_weight(shape=(self.units,), initializer="zeros")

    def call(self, inputs):
        return self.scale * (ops.matmul(inputs, self.w) + self.b)

    def get_config(self):
        return {**super().get_config(), "units": self.units, "scale": self.scale}


inputs = keras.Input((4,))
custom = keras.Model(inputs, ScaledDense(3, scale=0.5, name="scaled")(inputs))
rebuilt = keras.Model.from_config(custom.get_config(), custom_objects={"ScaledDense": ScaledDense})
rebuilt.set_weights(custom.get_weights())
x4 = rng.standard_normal((2, 4)).astype("float32")
print("rebuilt layer config:", {k: rebuilt.get_layer("scaled").get_config()[k] for k in ("units", "scale")})
print("rebuilt model gives the same outputs:",
      np.allclose(ops.convert_to_numpy(rebuilt(x4)), ops.convert_to_numpy(custom(x4))))
