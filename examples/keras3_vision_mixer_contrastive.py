"""keras.io computer-vision family (tf.keras imports, as the MLP-Mixer / gMLP and supervised
contrastive learning examples are written):
- patches cut with `tf.image.extract_patches`, an MLP-Mixer block that mixes tokens through
  `tf.linalg.matrix_transpose` and a gMLP spatial gating unit built on `tf.split`;
- an augmentation `Sequential` from `layers.experimental.preprocessing`: Normalization fitted
  with `adapt`, RandomFlip, RandomRotation, RandomZoom and tf.keras 2's RandomWidth /
  RandomHeight (the image size varies per batch, so the next block must accept any size);
- `SparseTopKCategoricalAccuracy`, `ReduceLROnPlateau` and
  `EarlyStopping(restore_best_weights=True)`;
- supervised contrastive pretraining: a backbone on (None, None, 3) images nested in an
  encoder, a `keras.losses.Loss` subclass overriding `__call__`, then a classifier on the
  frozen encoder (`layer.trainable = False` on the encoder's layers).
Synthetic 16x16 images of four classes (a bright band each), runs in seconds.

Run: python -m keraslite examples/keras3_vision_mixer_contrastive.py
"""
import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

keras.utils.set_random_seed(5)
NUM_CLASSES, SIZE, PATCH = 4, 16, 4
NUM_PATCHES = (SIZE // PATCH) ** 2


def make_images(n, seed):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, NUM_CLASSES, size=(n, 1))
    x = rng.integers(0, 90, size=(n, SIZE, SIZE, 3)).astype("uint8")
    band = SIZE // NUM_CLASSES
    for i, c in enumerate(y[:, 0]):
        x[i, int(c) * band:(int(c) + 1) * band] += 150  # a bright horizontal band: flips keep the class
    return x, y


x_train, y_train = make_images(320, 0)
x_test, y_test = make_images(80, 1)
print(f"x_train shape: {x_train.shape} - y_train shape: {y_train.shape}")

augment = keras.Sequential([
    layers.experimental.preprocessing.Normalization(),
    layers.experimental.preprocessing.RandomFlip("horizontal"),
    layers.experimental.preprocessing.RandomRotation(0.02),
    layers.experimental.preprocessing.RandomZoom(height_factor=0.1, width_factor=0.1),
], name="augment")
augment.layers[0].adapt(x_train)
print("normalization mean shape:", tuple(augment.layers[0].mean.shape))


class Patches(layers.Layer):
    def __init__(self, patch_size, **kwargs):
        super().__init__(**kwargs)
        self.patch_size = patch_size

    def call(self, images):
        batch_size = tf.shape(images)[0]
        patches = tf.image.extract_patches(images=images, sizes=[1, self.patch_size, self.patch_size, 1],
                                           strides=[1, self.patch_size, self.patch_size, 1], rates=[1, 1, 1, 1],
                                           padding="VALID")
        return tf.reshape(patches, [batch_size, -1, patches.shape[-1]])


class MixerBlock(layers.Layer):
    def __init__(self, num_patches, dim, **kwargs):
        super().__init__(**kwargs)
        self.token_mlp = keras.Sequential([layers.Dense(num_patches, activation="gelu"), layers.Dense(num_patches)])
        self.channel_mlp = keras.Sequential([layers.Dense(dim, activation="gelu"), layers.Dense(dim)])
        self.norm1 = layers.LayerNormalization(epsilon=1e-6)
        self.norm2 = layers.LayerNormalization(epsilon=1e-6)

    def call(self, inputs):
        tokens = tf.linalg.matrix_transpose(self.norm1(inputs))  # (batch, dim, patches)
        x = inputs + tf.linalg.matrix_transpose(self.token_mlp(tokens))
        return x + self.channel_mlp(self.norm2(x))


class GatingBlock(layers.Layer):
    def __init__(self, num_patches, dim, **kwargs):
        super().__init__(**kwargs)
        self.expand = layers.Dense(dim * 2, activation="gelu")
        self.spatial = layers.Dense(num_patches, bias_initializer="Ones")
        self.project = layers.Dense(dim)
        self.norm1 = layers.LayerNormalization(epsilon=1e-6)
        self.norm2 = layers.LayerNormalization(epsilon=1e-6)

    def call(self, inputs):
        u, v = tf.split(self.expand(self.norm1(inputs)), num_or_size_splits=2, axis=2)
        v = tf.linalg.matrix_transpose(self.spatial(tf.linalg.matrix_transpose(self.norm2(v))))
        return inputs + self.project(u * v)


print("patches of one image:", tuple(Patches(PATCH)(x_train[:1].astype("float32")).shape))


def classifier_with(block):
    inputs = keras.Input((SIZE, SIZE, 3))
    x = layers.Dense(24)(Patches(PATCH)(augment(inputs)))
    x = block(x)
    x = layers.GlobalAveragePooling1D()(x)
    return keras.Model(inputs, layers.Dense(NUM_CLASSES)(layers.Dropout(0.1)(x)))


for name, block in (("mlp-mixer", MixerBlock(NUM_PATCHES, 24)), ("gmlp", GatingBlock(NUM_PATCHES, 24))):
    model = classifier_with(block)
    model.compile(keras.optimizers.AdamW(learning_rate=0.01, weight_decay=1e-4),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=[keras.metrics.SparseCategoricalAccuracy(name="acc"),
                           keras.metrics.SparseTopKCategoricalAccuracy(2, name="top2-acc")])
    history = model.fit(x_train, y_train, batch_size=32, epochs=6, validation_split=0.1, verbose=0,
                        callbacks=[keras.callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=2),
                                   keras.callbacks.EarlyStopping(monitor="val_loss", patience=4,
                                                                 restore_best_weights=True)])
    _, accuracy, top2 = model.evaluate(x_test, y_test, verbose=0)
    print(f"{name}: history {sorted(history.history)}")
    print(f"{name}: test accuracy {accuracy:.2f} top-2 {top2:.2f} learned: {accuracy > 0.6}")

# ----------------------------------------------------------------------------- contrastive pretraining

random_size = keras.Sequential([layers.experimental.preprocessing.Normalization(),
                                layers.experimental.preprocessing.RandomWidth(0.25),
                                layers.experimental.preprocessing.RandomHeight(0.25)], name="random_size")
random_size.layers[0].adapt(x_train)
print("random_size output shape:", random_size.compute_output_shape((None, SIZE, SIZE, 3)))


def backbone():  # any image size in, one vector out
    images = keras.Input((None, None, 3))
    x = layers.Conv2D(16, 3, strides=2, activation="relu")(images)
    x = layers.Conv2D(32, 3, strides=2, activation="relu")(x)
    return keras.Model(images, layers.GlobalAveragePooling2D()(x), name="backbone")


def make_encoder():
    inputs = keras.Input((SIZE, SIZE, 3))
    return keras.Model(inputs, backbone()(random_size(inputs)), name="encoder")


class SupervisedContrastiveLoss(keras.losses.Loss):
    def __init__(self, temperature=1.0, name=None):
        super().__init__(name=name)
        self.temperature = temperature

    def __call__(self, labels, feature_vectors, sample_weight=None):
        normalized = tf.math.l2_normalize(feature_vectors, axis=1)
        logits = tf.divide(tf.matmul(normalized, tf.transpose(normalized)), self.temperature)
        labels = tf.reshape(labels, [-1, 1])
        same = tf.cast(tf.equal(labels, tf.transpose(labels)), logits.dtype)
        targets = same / tf.reduce_sum(same, axis=1, keepdims=True)
        return tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(labels=targets, logits=logits))


encoder = make_encoder()
projector_in = keras.Input((SIZE, SIZE, 3))
projector = keras.Model(projector_in, layers.Dense(16, activation="relu")(encoder(projector_in)))
projector.compile(keras.optimizers.Adam(0.01), loss=SupervisedContrastiveLoss(0.1))
pretrain = projector.fit(x_train, y_train, batch_size=64, epochs=5, verbose=0)
print("contrastive loss fell:", pretrain.history["loss"][-1] < pretrain.history["loss"][0])

for layer in encoder.layers:
    layer.trainable = False
head_in = keras.Input((SIZE, SIZE, 3))
features = layers.Dropout(0.2)(encoder(head_in))
head = keras.Model(head_in, layers.Dense(NUM_CLASSES, activation="softmax")(layers.Dense(32, activation="relu")(features)))
head.compile(keras.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy",
             metrics=[keras.metrics.SparseCategoricalAccuracy()])
frozen_before = [w.copy() for w in encoder.get_weights()]
head.fit(x_train, y_train, batch_size=32, epochs=5, verbose=0)
print("trainable weights:", len(head.trainable_weights), "frozen encoder unchanged:",
      all(np.array_equal(a, b) for a, b in zip(frozen_before, encoder.get_weights())))
print(f"frozen-encoder test accuracy: {head.evaluate(x_test, y_test, verbose=0)[1]:.2f}")
