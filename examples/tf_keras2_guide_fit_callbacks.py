"""tf.keras 2 guide dialect for training with fit(): a two-input, two-output functional model
(a sensor "image" and a variable-length reading series) trained on dicts, first on both heads
with a loss dict, loss_weights and per-output metrics, then on one head only (the other head
gets no loss, and its targets are left out of the targets dict). Around it: a custom Metric
subclass, an activity loss added with add_loss, sample weights from a tf.data.Dataset,
a Callback that schedules the learning rate through tf.keras.backend.get_value/set_value and
records per-batch losses, EarlyStopping, ModelCheckpoint with a formatted file name, and
restoring the newest checkpoint with load_model.

Run: python -m keraslite examples/tf_keras2_guide_fit_callbacks.py
"""
import os
import tempfile

import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

tf.random.set_seed(3)
rng = np.random.default_rng(3)

N, SIDE, STEPS, CHANNELS, CLASSES = 256, 12, 16, 4, 3
images = rng.random((N, SIDE, SIDE, 2)).astype("float32")
series = rng.normal(size=(N, STEPS, CHANNELS)).astype("float32")
# The class depends on the mean brightness; the score on the series' trend.
labels = np.digitize(images.mean(axis=(1, 2, 3)), [0.495, 0.505])
class_targets = keras.utils.to_categorical(labels, CLASSES)
score_targets = (series[:, -4:, 0].mean(axis=1) - series[:, :4, 0].mean(axis=1))[:, None]


class ActivityPenalty(layers.Layer):
    """Pass-through layer that adds a small L2 penalty on its input with add_loss."""

    def __init__(self, rate=1e-3, **kwargs):
        super(ActivityPenalty, self).__init__(**kwargs)
        self.rate = rate

    def call(self, inputs):
        self.add_loss(self.rate * tf.reduce_mean(tf.square(inputs)))
        return inputs

    def get_config(self):
        config = super(ActivityPenalty, self).get_config()
        config.update({"rate": self.rate})
        return config


class TopClassHits(keras.metrics.Metric):
    """How many samples had their true class ranked first (a running count)."""

    def __init__(self, name="top_class_hits", **kwargs):
        super(TopClassHits, self).__init__(name=name, **kwargs)
        self.hits = self.add_weight(name="hits", initializer="zeros")

    def update_state(self, y_true, y_pred, sample_weight=None):
        hit = tf.cast(tf.equal(tf.argmax(y_true, axis=1), tf.argmax(y_pred, axis=1)), "float32")
        if sample_weight is not None:
            hit = tf.multiply(hit, tf.cast(tf.reshape(sample_weight, (-1,)), "float32"))
        self.hits.assign_add(tf.reduce_sum(hit))

    def result(self):
        return self.hits

    def reset_state(self):
        self.hits.assign(0.0)


def build_model():
    image_input = keras.Input(shape=(SIDE, SIDE, 2), name="img_input")
    series_input = keras.Input(shape=(None, CHANNELS), name="ts_input")
    x1 = layers.Conv2D(8, 3, activation="relu")(image_input)
    x1 = layers.GlobalAveragePooling2D()(x1)
    x2 = layers.Conv1D(8, 3, activation="relu")(series_input)
    x2 = layers.GlobalMaxPooling1D()(x2)
    x = layers.concatenate([x1, x2])
    x = ActivityPenalty(name="penalty")(x)
    score_output = layers.Dense(1, name="score_output")(x)
    class_output = layers.Dense(CLASSES, activation="softmax", name="class_output")(x)
    return keras.Model(inputs=[image_input, series_input], outputs=[score_output, class_output])


class StepSchedule(keras.callbacks.Callback):
    """Sets the learning rate at the start of chosen epochs and keeps every batch's loss."""

    def __init__(self, schedule):
        super(StepSchedule, self).__init__()
        self.schedule = schedule
        self.batch_losses = []

    def on_epoch_begin(self, epoch, logs=None):
        lr = float(tf.keras.backend.get_value(self.model.optimizer.learning_rate))
        new_lr = self.schedule.get(epoch, lr)
        tf.keras.backend.set_value(self.model.optimizer.learning_rate, new_lr)
        print("epoch %d: learning rate %.4f" % (epoch, new_lr))

    def on_train_batch_end(self, batch, logs=None):
        self.batch_losses.append(logs["loss"])


model = build_model()
model.summary()
model.compile(
    optimizer=keras.optimizers.RMSprop(1e-3),
    loss={"score_output": keras.losses.MeanSquaredError(),
          "class_output": keras.losses.CategoricalCrossentropy()},
    loss_weights={"score_output": 2.0, "class_output": 1.0},
    metrics={"score_output": [keras.metrics.MeanAbsoluteError()],
             "class_output": [keras.metrics.CategoricalAccuracy(), TopClassHits()]},
)
inputs = {"img_input": images, "ts_input": series}
targets = {"score_output": score_targets, "class_output": class_targets}
schedule = StepSchedule({0: 3e-3, 2: 1e-3})
history = model.fit(inputs, targets, batch_size=32, epochs=3, validation_split=0.25,
                    callbacks=[schedule], verbose=2)
print("history keys:", sorted(history.history))
print("batches seen by the callback:", len(schedule.batch_losses))
print("final learning rate: %.4f" % float(tf.keras.backend.get_value(model.optimizer.learning_rate)))
hits = history.history["class_output_top_class_hits"][-1]
print("top-class hits in the last epoch: %d of %d" % (hits, int(N * 0.75)))

# Train the class head alone: no loss for the score head, so its targets can be left out.
model.compile(optimizer=keras.optimizers.RMSprop(1e-3),
              loss={"class_output": keras.losses.CategoricalCrossentropy()},
              metrics={"class_output": ["accuracy"]})
weights = np.where(labels == 1, 2.0, 1.0).astype("float32")  # the middle class counts double
dataset = tf.data.Dataset.from_tensor_slices((inputs, {"class_output": class_targets}, weights))
dataset = dataset.shuffle(buffer_size=N).batch(32)

workdir = tempfile.mkdtemp()
checkpoint_dir = os.path.join(workdir, "ckpt")
os.makedirs(checkpoint_dir)
callbacks = [
    keras.callbacks.EarlyStopping(monitor="loss", min_delta=1e-4, patience=2, verbose=1),
    keras.callbacks.ModelCheckpoint(filepath=os.path.join(checkpoint_dir, "model-{epoch:02d}-{loss:.3f}.h5"),
                                    save_freq="epoch"),
]
history = model.fit(dataset, epochs=4, callbacks=callbacks, verbose=2)
print("single-head history keys:", sorted(history.history))

checkpoints = [os.path.join(checkpoint_dir, name) for name in os.listdir(checkpoint_dir)]
latest = max(checkpoints, key=os.path.getmtime)
print("checkpoints written:", len(checkpoints))
restored = keras.models.load_model(latest, custom_objects={"ActivityPenalty": ActivityPenalty},
                                   compile=False)
same = np.allclose(restored.predict(inputs, verbose=0)[1], model.predict(inputs, verbose=0)[1], atol=1e-5)
print("restored", os.path.basename(latest), "predicts like the trained model:", same)
results = model.evaluate(inputs, {"class_output": class_targets}, verbose=0, return_dict=True)
print("evaluate on the class head: loss %.4f accuracy %.4f" % (results["loss"], results["class_output_accuracy"]))
