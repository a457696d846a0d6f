"""Keras 3 (2023+) dialect: image classification from scratch with augmentation inside the
model, keras.io "image_classification_from_scratch" style.

A `keras.Sequential` of `layers.RandomFlip("horizontal")` and `layers.RandomRotation(0.1)` is the
model's first block (active in `fit`, an identity in `evaluate`/`predict`), followed by
`layers.Rescaling(1.0 / 255)`, a small Xception-like network (Conv2D, BatchNormalization,
Activation, SeparableConv2D, MaxPooling2D, residual `layers.add`), GlobalAveragePooling2D,
Dropout and a one-logit Dense. Training uses `BinaryCrossentropy(from_logits=True)`,
`keras.metrics.BinaryAccuracy(name="acc")` and `ModelCheckpoint("save_at_{epoch}.keras")`;
one image is then written and read back with `keras.utils.save_img` / `load_img` /
`img_to_array` and classified with `keras.ops.sigmoid`. Synthetic 32x32 RGB images: class 1
has a bright disc, class 0 a bright square.

Run: python -m keraslite examples/keras3_image_augmentation.py
"""
import os
import tempfile

import numpy as np
import keras
from keras import layers

keras.utils.set_random_seed(1337)

image_size = (32, 32)
rng = np.random.default_rng(1337)
yy, xx = np.mgrid[0:32, 0:32]


def make_images(n):
    labels = rng.integers(0, 2, size=n)
    images = rng.uniform(0, 80, size=(n, 32, 32, 3))
    for i, label in enumerate(labels):
        cy, cx = rng.uniform(10, 22, size=2)
        if label:
            mask = (yy - cy) ** 2 + (xx - cx) ** 2 < 36
        else:
            mask = (np.abs(yy - cy) < 5) & (np.abs(xx - cx) < 5)
        images[i][mask] = 230
    return images.astype("float32"), labels.astype("float32")


x_train, y_train = make_images(256)
x_val, y_val = make_images(64)
print("train images:", x_train.shape, "validation images:", x_val.shape)

data_augmentation_layers = [
    layers.RandomFlip("horizontal"),
    layers.RandomRotation(0.1),
]


def data_augmentation(images):
    for layer in data_augmentation_layers:
        images = layer(images)
    return images


augmented = data_augmentation(x_train[:9])
print("augmented batch:", tuple(augmented.shape), "changed:", not np.allclose(keras.ops.convert_to_numpy(augmented), x_train[:9]))


def make_model(input_shape, num_classes):
    inputs = keras.Input(shape=input_shape)

    # Augmentation as part of the model: active during fit only
    x = keras.Sequential(data_augmentation_layers, name="augmentation")(inputs)
    x = layers.Rescaling(1.0 / 255)(x)
    x = layers.Conv2D(16, 3, strides=2, padding="same")(x)
    x = layers.BatchNormalization()(x)
    x = layers.Activation("relu")(x)

    previous_block_activation = x  # Set aside residual

    for size in [16, 32]:
        x = layers.Activation("relu")(x)
        x = layers.SeparableConv2D(size, 3, padding="same")(x)
        x = layers.BatchNormalization()(x)

        x = layers.Activation("relu")(x)
        x = layers.SeparableConv2D(size, 3, padding="same")(x)
        x = layers.BatchNormalization()(x)

        x = layers.MaxPooling2D(3, strides=2, padding="same")(x)

        # Project residual
        residual = layers.Conv2D(size, 1, strides=2, padding="same")(previous_block_activation)
        x = layers.add([x, residual])  # Add back residual
        previous_block_activation = x  # Set aside next residual

    x = layers.SeparableConv2D(32, 3, padding="same")(x)
    x = layers.BatchNormalization()(x)
    x = layers.Activation("relu")(x)

    x = layers.GlobalAveragePooling2D()(x)
    if num_classes == 2:
        units = 1
    else:
        units = num_classes

    x = layers.Dropout(0.25)(x)
    # We specify activation=None so as to return logits
    outputs = layers.Dense(units, activation=None)(x)
    return keras.Model(inputs, outputs)


model = make_model(input_shape=image_size + (3,), num_classes=2)
model.summary()

epochs = 3
workdir = tempfile.mkdtemp()
callbacks = [
    keras.callbacks.ModelCheckpoint(os.path.join(workdir, "save_at_{epoch}.keras")),
]
model.compile(
    optimizer=keras.optimizers.Adam(3e-3),
    loss=keras.losses.BinaryCrossentropy(from_logits=True),
    metrics=[keras.metrics.BinaryAccuracy(name="acc")],
)
history = model.fit(
    x_train, y_train, epochs=epochs, batch_size=32, callbacks=callbacks, validation_data=(x_val, y_val), verbose=2
)
print("history keys:", sorted(history.history))
print("checkpoints:", sorted(os.listdir(workdir)))

# Augmentation is off in inference: two predictions of the same images agree
first = model.predict(x_val[:8], verbose=0)
second = model.predict(x_val[:8], verbose=0)
print("predict is deterministic:", bool(np.allclose(first, second)))
print("evaluate [loss, acc]:", model.evaluate(x_val, y_val, verbose=0))

# Run inference on one image file
path = os.path.join(workdir, "disc.png")
disc = make_images(16)
index = int(np.argmax(disc[1]))
keras.utils.save_img(path, disc[0][index])
img = keras.utils.load_img(path, target_size=image_size)
img_array = keras.utils.img_to_array(img)
print("loaded image:", img_array.shape, img_array.dtype)
img_array = keras.ops.expand_dims(img_array, 0)  # Create batch axis

predictions = model.predict(img_array, verbose=0)
score = float(keras.ops.sigmoid(predictions[0][0]))
print(f"This image is {100 * (1 - score):.2f}% square and {100 * score:.2f}% disc (label {disc[1][index]:.0f}).")

restored = keras.models.load_model(os.path.join(workdir, f"save_at_{epochs}.keras"))
print("last checkpoint gives the same predictions:", bool(np.allclose(restored.predict(x_val[:8], verbose=0), first, atol=1e-5)))
