"""keras.io computer-vision family, the image-file side (tf.keras imports, as "Image
classification from scratch" and "Image segmentation with a U-Net-like architecture" are
written):
- a folder of JPEG files per class, where files that are not JFIF JPEGs are found with
  `tf.compat.as_bytes("JFIF") in f.peek(10)` and deleted;
- `tf.keras.preprocessing.image_dataset_from_directory(validation_split=0.2, subset="both")`
  feeding a Rescaling + SeparableConv2D classifier with in-pipeline augmentation
  (`train_ds.map(lambda x, y: (augment(x), y))`);
- a `keras.utils.Sequence` that reads images and grayscale trimap masks with `load_img`
  (labels 1..3 shifted to 0..2), a small U-Net-like model ending in a per-pixel softmax,
  trained with "sparse_categorical_crossentropy", the best epoch kept by
  `ModelCheckpoint("....h5", save_best_only=True)` and reloaded; a predicted mask is turned
  into an image with `array_to_img` and `PIL.ImageOps.autocontrast`.
All files are written by the program itself (synthetic pictures). Runs in seconds.

Run: python -m keraslite examples/keras3_vision_files_segmentation.py
"""
import os
import random

import numpy as np
import tensorflow as tf
from PIL import Image as PILImage
from PIL import ImageOps
from tensorflow import keras
from tensorflow.keras import layers
from tensorflow.keras.preprocessing.image import load_img

tf.random.set_seed(9)
rng = np.random.default_rng(9)
SIZE = (24, 24)

# ----------------------------------------------------------------------------- classify files

for label, folder in enumerate(("Plain", "Striped")):
    os.makedirs(os.path.join("Pictures", folder), exist_ok=True)
    for i in range(24):
        pixels = rng.integers(20, 90, size=(30 + i % 5, 28, 3)).astype("uint8")
        if label:
            pixels[::3] = 250  # bright horizontal stripes
        PILImage.fromarray(pixels).save(os.path.join("Pictures", folder, f"{i}.jpg"), "JPEG")
    PILImage.fromarray(pixels).save(os.path.join("Pictures", folder, "broken.jpg"), "PNG")  # not a JPEG

num_skipped = 0
for folder in ("Plain", "Striped"):
    for fname in os.listdir(os.path.join("Pictures", folder)):
        fpath = os.path.join("Pictures", folder, fname)
        with open(fpath, "rb") as fobj:
            is_jfif = tf.compat.as_bytes("JFIF") in fobj.peek(10)
        if not is_jfif:
            num_skipped += 1
            os.remove(fpath)
print("Deleted %d images" % num_skipped)

train_ds, val_ds = tf.keras.preprocessing.image_dataset_from_directory(
    "Pictures", validation_split=0.2, subset="both", seed=1337, image_size=SIZE, batch_size=8)
print("class names:", train_ds.class_names)
augment = keras.Sequential([layers.RandomFlip("horizontal"), layers.RandomRotation(0.05)])
train_ds = train_ds.map(lambda img, label: (augment(img), label), num_parallel_calls=tf.data.AUTOTUNE)
train_ds = train_ds.prefetch(tf.data.AUTOTUNE)

inputs = keras.Input(SIZE + (3,))
x = layers.Rescaling(1.0 / 255)(inputs)
x = layers.Conv2D(8, 3, strides=2, padding="same", activation="relu")(x)
residual = x
x = layers.SeparableConv2D(16, 3, padding="same", activation="relu")(x)
x = layers.BatchNormalization()(x)
x = layers.MaxPooling2D(3, strides=2, padding="same")(x)
x = layers.add([x, layers.Conv2D(16, 1, strides=2, padding="same")(residual)])
x = layers.GlobalAveragePooling2D()(x)
classifier = keras.Model(inputs, layers.Dense(1, activation="sigmoid")(layers.Dropout(0.2)(x)))
classifier.compile(keras.optimizers.Adam(3e-3), "binary_crossentropy", metrics=["accuracy"])
fit = classifier.fit(train_ds, validation_data=val_ds, epochs=8, verbose=0)
print(f"classifier: val accuracy {fit.history['val_accuracy'][-1]:.2f} keys {sorted(fit.history)}")
probe = keras.preprocessing.image.img_to_array(load_img(os.path.join("Pictures", "Striped", "3.jpg"),
                                                        target_size=SIZE))
score = float(classifier.predict(tf.expand_dims(probe, 0), verbose=0)[0][0])
print(f"striped probe: {100 * (1 - score):.2f}% plain and {100 * score:.2f}% striped")

# ----------------------------------------------------------------------------- segmentation files

os.makedirs("images", exist_ok=True)
os.makedirs(os.path.join("annotations", "trimaps"), exist_ok=True)
for i in range(40):
    trimap = np.full((32, 32), 2, dtype="uint8")  # 2: background
    top, left = rng.integers(4, 16, size=2)
    trimap[top:top + 12, left:left + 12] = 3  # 3: border
    trimap[top + 2:top + 10, left + 2:left + 10] = 1  # 1: the object
    picture = np.stack([trimap * 60, 255 - trimap * 40, rng.integers(0, 60, (32, 32))], -1).astype("uint8")
    PILImage.fromarray(picture).save(os.path.join("images", f"pet_{i:02d}.jpg"), quality=95)
    PILImage.fromarray(trimap).save(os.path.join("annotations", "trimaps", f"pet_{i:02d}.png"))

input_paths = sorted(os.path.join("images", f) for f in os.listdir("images") if f.endswith(".jpg"))
target_paths = sorted(os.path.join("annotations", "trimaps", f) for f in os.listdir(os.path.join("annotations", "trimaps"))
                      if f.endswith(".png") and not f.startswith("."))
print("Number of samples:", len(input_paths), "|", input_paths[0], "|", target_paths[0])


class Pets(keras.utils.Sequence):
    def __init__(self, batch_size, img_size, input_paths, target_paths):
        super().__init__()
        self.batch_size, self.img_size = batch_size, img_size
        self.input_paths, self.target_paths = input_paths, target_paths

    def __len__(self):
        return len(self.target_paths) // self.batch_size

    def __getitem__(self, idx):
        i = idx * self.batch_size
        x = np.zeros((self.batch_size,) + self.img_size + (3,), dtype="float32")
        for j, path in enumerate(self.input_paths[i:i + self.batch_size]):
            x[j] = load_img(path, target_size=self.img_size)
        y = np.zeros((self.batch_size,) + self.img_size + (1,), dtype="uint8")
        for j, path in enumerate(self.target_paths[i:i + self.batch_size]):
            y[j] = np.expand_dims(load_img(path, target_size=self.img_size, color_mode="grayscale"), 2)
            y[j] -= 1  # 1, 2, 3 -> 0, 1, 2
        return x, y


def unet_like(img_size, num_classes):
    inputs = keras.Input(shape=img_size + (3,))
    x = layers.Rescaling(1.0 / 255)(inputs)
    x = layers.Conv2D(8, 3, strides=2, padding="same")(x)
    x = layers.Activation("relu")(layers.BatchNormalization(momentum=0.8)(x))
    previous = x
    for filters in (16,):
        x = layers.SeparableConv2D(filters, 3, padding="same", activation="relu")(x)
        x = layers.BatchNormalization(momentum=0.8)(x)
        x = layers.MaxPooling2D(3, strides=2, padding="same")(x)
        x = layers.add([x, layers.Conv2D(filters, 1, strides=2, padding="same")(previous)])
        previous = x
    for filters in (16, 8):
        x = layers.Conv2DTranspose(filters, 3, padding="same", activation="relu")(x)
        x = layers.BatchNormalization(momentum=0.8)(x)
        x = layers.UpSampling2D(2)(x)
        x = layers.add([x, layers.Conv2D(filters, 1, padding="same")(layers.UpSampling2D(2)(previous))])
        previous = x
    return keras.Model(inputs, layers.Conv2D(num_classes, 3, activation="softmax", padding="same")(x))


keras.backend.clear_session()
segmenter = unet_like((32, 32), 3)
random.Random(1337).shuffle(input_paths)
random.Random(1337).shuffle(target_paths)
train_gen = Pets(8, (32, 32), input_paths[:-8], target_paths[:-8])
val_gen = Pets(8, (32, 32), input_paths[-8:], target_paths[-8:])
segmenter.compile(optimizer=keras.optimizers.RMSprop(1e-2), loss="sparse_categorical_crossentropy")
history = segmenter.fit(train_gen, epochs=20, validation_data=val_gen, verbose=0,
                        callbacks=[keras.callbacks.ModelCheckpoint("segmentation.h5", save_best_only=True)])
print("segmentation loss fell:", history.history["loss"][-1] < history.history["loss"][0],
      "checkpoint written:", os.path.exists("segmentation.h5"))
best = keras.models.load_model("segmentation.h5")
val_preds = best.predict(val_gen, verbose=0)
masks = np.argmax(val_preds, axis=-1)
truth = np.concatenate([val_gen[k][1][..., 0] for k in range(len(val_gen))])
print("val masks:", val_preds.shape, f"pixel accuracy {np.mean(masks == truth):.2f}",
      "better than the majority class:", np.mean(masks == truth) > np.mean(truth == 1))
shown = ImageOps.autocontrast(keras.preprocessing.image.array_to_img(np.expand_dims(masks[0], -1)))
print("mask image:", shown.mode, shown.size)
