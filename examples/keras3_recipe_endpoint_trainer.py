"""keras.io "Keras recipes" family, written as those recipes are (tf.keras imports, run by
Keras 3 on keras.io):
- an "endpoint" layer that receives the targets and sample weights as inputs, adds the loss
  with `self.add_loss` and reports an accuracy with tf.keras 2's `self.add_metric`, trained
  by `fit` on a dict of arrays with no `loss=` in compile, plus a functional
  `model.add_metric(tensor, name=...)`; an inference-only twin without the
  target inputs takes the trained weights with `set_weights`;
- the "trainer" pattern: one `keras.Model` subclass whose `train_step` calls
  `self.compiled_loss(...)` / `self.compiled_metrics.update_state(...)`, wrapping two different
  models (Sequential and functional);
- a quasi-SVM: `layers.experimental.RandomFourierFeatures` under a linear layer, hinge loss;
- reproducibility: `keras.utils.set_random_seed` and
  `tf.config.experimental.enable_op_determinism()`, a tf.data pipeline with shuffle and map,
  and two runs that give the same history.
Synthetic data, runs in seconds.

Run: python -m keraslite examples/keras3_recipe_endpoint_trainer.py
"""
import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers
from tensorflow.keras.layers.experimental import RandomFourierFeatures

keras.utils.set_random_seed(7)
rng = np.random.default_rng(7)

# ----------------------------------------------------------------------------- endpoint layer


class ScoringHead(layers.Layer):
    """Turns logits into probabilities; when given the targets it also adds the loss and
    records the accuracy, so the model needs no compiled loss."""

    def __init__(self, name=None):
        super().__init__(name=name)
        self.bce = keras.losses.BinaryCrossentropy(from_logits=True)
        self.acc = keras.metrics.BinaryAccuracy(name="accuracy", threshold=0.0)

    def call(self, logits, targets=None, sample_weight=None):
        if targets is not None:
            self.add_loss(self.bce(targets, logits, sample_weight))
            self.add_metric(self.acc(targets, logits, sample_weight))
            self.add_metric(tf.reduce_mean(tf.nn.sigmoid(logits)), name="mean_score")
        return tf.nn.sigmoid(logits)


features = rng.normal(size=(600, 20)).astype("float32")
direction = rng.normal(size=(20, 1)).astype("float32")
labels = (features @ direction > 0).astype("float32")
weights = rng.uniform(0.5, 1.5, size=(600, 1)).astype("float32")

x_in = keras.Input((20,), name="features")
y_in = keras.Input((1,), name="targets")
w_in = keras.Input((1,), name="sample_weight")
logits = layers.Dense(1, name="linear")(x_in)
scores = ScoringHead(name="head")(logits, y_in, w_in)
trainable = keras.Model([x_in, y_in, w_in], scores)
trainable.add_metric(tf.reduce_mean(tf.abs(logits)), name="mean_abs_logit", aggregation="mean")
trainable.compile(keras.optimizers.Adam(0.05))
history = trainable.fit({"features": features, "targets": labels, "sample_weight": weights},
                        batch_size=64, epochs=4, verbose=2)
print("endpoint history keys:", sorted(history.history))
print("metrics:", [m.name for m in trainable.metrics])
print("endpoint accuracy > 0.9:", history.history["accuracy"][-1] > 0.9)

x_only = keras.Input((20,), name="features")
served = keras.Model(x_only, ScoringHead(name="head")(layers.Dense(1, name="linear")(x_only)))
served.set_weights(trainable.get_weights())
probs = served.predict(features[:100], verbose=0)
print("inference model agrees on labels:", float(np.mean((probs > 0.5) == labels[:100])) > 0.9)

# ----------------------------------------------------------------------------- trainer pattern


class SharedStepTrainer(keras.Model):
    """One training step shared by any wrapped model."""

    def __init__(self, inner):
        super().__init__()
        self.inner = inner

    def train_step(self, data):
        x, y = data
        with tf.GradientTape() as tape:
            y_pred = self.inner(x, training=True)
            loss = self.compiled_loss(y, y_pred, regularization_losses=self.losses)
        grads = tape.gradient(loss, self.trainable_variables)
        self.optimizer.apply_gradients(zip(grads, self.trainable_variables))
        self.compiled_metrics.update_state(y, y_pred)
        return {m.name: m.result() for m in self.metrics}

    def call(self, x):
        return self.inner(x)


images = rng.normal(size=(512, 8, 8)).astype("float32")
digits = (images[:, :4].sum(axis=(1, 2)) > 0).astype("int64") + 2 * (images[:, :, :4].sum(axis=(1, 2)) > 0)
sequential = keras.Sequential([layers.Flatten(input_shape=(8, 8)), layers.Dense(32, activation="relu"),
                               layers.Dense(4, activation="softmax")])
inp = keras.Input((8, 8))
functional = keras.Model(inp, layers.Dense(4, activation="softmax")(
    layers.Dense(48, activation="relu", kernel_regularizer="l2")(layers.Flatten()(inp))))
for name, inner, optimizer in (("sequential", sequential, keras.optimizers.SGD(0.1)),
                               ("functional", functional, keras.optimizers.Adam(0.01))):
    trainer = SharedStepTrainer(inner)
    trainer.compile(optimizer, loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    h = trainer.fit(images, digits, batch_size=64, epochs=5, verbose=0, validation_split=0.25)
    print(f"trainer[{name}] keys: {sorted(h.history)} loss fell: {h.history['loss'][-1] < h.history['loss'][0]}"
          f" accuracy: {h.history['accuracy'][-1]:.2f}")

# ----------------------------------------------------------------------------- quasi-SVM

svm = keras.Sequential([keras.Input((20,)),
                        RandomFourierFeatures(output_dim=512, scale=4.0, kernel_initializer="gaussian"),
                        layers.Dense(2)])
svm.compile(keras.optimizers.Adam(1e-2), loss=keras.losses.hinge,
            metrics=[keras.metrics.CategoricalAccuracy(name="acc")])
one_hot = keras.utils.to_categorical(labels.ravel().astype("int64"), 2)
svm_history = svm.fit(features, one_hot, batch_size=64, epochs=6, validation_split=0.2, verbose=0)
rff = svm.layers[0]
print("rff weights:", [(w.name, tuple(w.shape)) for w in rff.weights], "trainable:", len(rff.trainable_weights))
print(f"quasi-SVM train acc {svm_history.history['acc'][-1]:.2f} val acc {svm_history.history['val_acc'][-1]:.2f}")

# ----------------------------------------------------------------------------- reproducibility

keras.utils.set_random_seed(812)
tf.config.experimental.enable_op_determinism()
first = keras.initializers.GlorotNormal(seed=42)(shape=(3, 5))
second = keras.initializers.GlorotNormal(seed=42)(shape=(3, 5))
print("seeded initializers equal:", bool(np.allclose(first, second)))

pictures = rng.integers(0, 256, size=(256, 12, 12)).astype("uint8")
classes = (pictures[:, :6].mean(axis=(1, 2)) > pictures[:, 6:].mean(axis=(1, 2))).astype("int64")


def prepare(image, label):
    image = tf.cast(image, tf.float32) / 255.0
    image = tf.expand_dims(image, axis=-1)
    return tf.image.resize(image, (16, 16)), label


def run_once():
    keras.utils.set_random_seed(812)
    data = (tf.data.Dataset.from_tensor_slices((pictures, classes)).shuffle(len(pictures)).batch(32)
            .map(prepare, num_parallel_calls=tf.data.AUTOTUNE).prefetch(tf.data.AUTOTUNE))
    model = keras.Sequential([layers.Conv2D(8, 3, activation="relu"), layers.MaxPooling2D(),
                              layers.Dropout(0.2), layers.GlobalAveragePooling2D(),
                              layers.Dense(2, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"], jit_compile=False)
    return model.fit(data, epochs=2, verbose=0).history


run_a, run_b = run_once(), run_once()
print("same history twice:", all(np.allclose(run_a[k], run_b[k]) for k in run_a), sorted(run_a))
