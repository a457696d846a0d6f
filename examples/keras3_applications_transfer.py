"""Keras 3 (2023+) dialect: transfer learning and fine-tuning with a `keras.applications` base,
keras.io "transfer_learning" guide style.

A `keras.applications.MobileNetV2` without its classifier (`include_top=False`, `alpha=0.35`,
32x32 inputs) is the base model. In the guide it comes with `weights="imagenet"`; here
`weights=None` keeps the program offline (the pretrained file would be read from
~/.keras/models). The base is frozen (`base_model.trainable = False`) and called with
`training=False` so its BatchNormalization layers stay in inference mode; a new head
(GlobalAveragePooling2D, Dropout, one-logit Dense) is trained on top, with the images scaled by
`keras.applications.mobilenet_v2.preprocess_input` inside the model. Then the whole base is
unfrozen and fine-tuned end to end with a 100x lower learning rate. Synthetic 32x32 RGB
images: class 1 has a bright disc, class 0 a bright square.

Run: python -m keraslite examples/keras3_applications_transfer.py
"""
import numpy as np
import keras
from keras import layers

keras.utils.set_random_seed(42)

rng = np.random.default_rng(42)
yy, xx = np.mgrid[0:32, 0:32]


def make_images(n):
    labels = rng.integers(0, 2, size=n)
    images = rng.uniform(0, 90, size=(n, 32, 32, 3))
    for i, label in enumerate(labels):
        cy, cx = rng.uniform(10, 22, size=2)
        if label:
            mask = (yy - cy) ** 2 + (xx - cx) ** 2 < 40
        else:
            mask = (np.abs(yy - cy) < 6) & (np.abs(xx - cx) < 6)
        images[i][mask] = 240
    return images.astype("float32"), labels.astype("float32")


x_train, y_train = make_images(96)
x_val, y_val = make_images(32)
print("train:", x_train.shape, "validation:", x_val.shape)

base_model = keras.applications.MobileNetV2(
    weights=None,  # "imagenet" in the guide
    input_shape=(32, 32, 3),
    alpha=0.35,
    include_top=False,
)
print("base model:", base_model.name, "layers:", len(base_model.layers),
      "output:", base_model.output_shape, "params:", base_model.count_params())

# Freeze the base model.
base_model.trainable = False
print("frozen base trainable weights:", len(base_model.trainable_weights),
      "non-trainable:", len(base_model.non_trainable_weights))

inputs = keras.Input(shape=(32, 32, 3))
x = keras.applications.mobilenet_v2.preprocess_input(inputs)  # [0, 255] -> [-1, 1]
# training=False: the base's BatchNormalization layers keep their statistics, also later
# when the base is unfrozen for fine-tuning.
x = base_model(x, training=False)
x = layers.GlobalAveragePooling2D()(x)
x = layers.Dropout(0.2)(x)
outputs = layers.Dense(1)(x)
model = keras.Model(inputs, outputs)
print("model trainable weights:", len(model.trainable_weights),
      "trainable params:", sum(int(np.prod(w.shape)) for w in model.trainable_weights))

model.compile(
    optimizer=keras.optimizers.Adam(),
    loss=keras.losses.BinaryCrossentropy(from_logits=True),
    metrics=[keras.metrics.BinaryAccuracy()],
)
frozen_before = [np.array(w) for w in base_model.get_weights()]
model.fit(x_train, y_train, epochs=2, batch_size=32, validation_data=(x_val, y_val), verbose=2)
unchanged = all(np.array_equal(a, b) for a, b in zip(frozen_before, base_model.get_weights()))
print("base weights unchanged by training the head:", unchanged)

# Fine-tuning: unfreeze the base model and train everything with a low learning rate.
base_model.trainable = True
print("unfrozen model trainable weights:", len(model.trainable_weights))
model.compile(
    optimizer=keras.optimizers.Adam(1e-5),
    loss=keras.losses.BinaryCrossentropy(from_logits=True),
    metrics=[keras.metrics.BinaryAccuracy()],
)
history = model.fit(x_train, y_train, epochs=1, batch_size=32, validation_data=(x_val, y_val), verbose=2)
changed = any(not np.array_equal(a, b) for a, b in zip(frozen_before, base_model.get_weights()))
print("base weights changed by fine-tuning:", changed)
print("history keys:", sorted(history.history))

loss, acc = model.evaluate(x_val, y_val, verbose=0)
print(f"validation loss: {loss:.4f} accuracy: {acc:.4f}")
probs = keras.ops.convert_to_numpy(keras.ops.sigmoid(model.predict(x_val[:4], verbose=0)))
print("predicted probabilities:", probs.shape, "in [0, 1]:", bool(((probs >= 0) & (probs <= 1)).all()))
