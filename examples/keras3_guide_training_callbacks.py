"""Training with the built-in loops, Keras 3 style: validation data, history, evaluate and
predict; custom losses and metrics; class and sample weights; PyDataset and torch DataLoader
inputs; a two-output model with per-output losses and metrics; and callbacks (a hook logger,
EarlyStopping, ModelCheckpoint, a learning-rate schedule, a callback reading self.model).

Synthetic 8x8 "digits" stand in for MNIST: the class decides which pixels are bright.
"""
import os

import numpy as np
import torch

import keras
from keras import layers, ops

keras.utils.set_random_seed(11)
rng = np.random.default_rng(11)

num_classes = 5
prototypes = rng.uniform(0, 1, (num_classes, 64)).astype("float32")


def make_digits(n):
    labels = rng.integers(0, num_classes, n)
    images = prototypes[labels] + rng.normal(0, 0.3, (n, 64)).astype("float32")
    return images, labels.astype("float32")


x_train, y_train = make_digits(1200)
x_val, y_val = x_train[-200:], y_train[-200:]
x_train, y_train = x_train[:-200], y_train[:-200]
x_test, y_test = make_digits(200)


def get_uncompiled_model():
    inputs = keras.Input(shape=(64,), name="digits")
    x = layers.Dense(32, activation="relu", name="dense_1")(inputs)
    outputs = layers.Dense(num_classes, activation="softmax", name="predictions")(x)
    return keras.Model(inputs=inputs, outputs=outputs)


def get_compiled_model():
    model = get_uncompiled_model()
    model.compile(optimizer=keras.optimizers.RMSprop(learning_rate=1e-3),
                  loss="sparse_categorical_crossentropy", metrics=["sparse_categorical_accuracy"])
    return model


# --- fit / evaluate / predict ---------------------------------------------------------------
model = get_compiled_model()
history = model.fit(x_train, y_train, batch_size=64, epochs=3, validation_data=(x_val, y_val), verbose=2)
print("history keys:", list(history.history))
results = model.evaluate(x_test, y_test, batch_size=128, verbose=0)
print("test loss, test acc:", [round(float(r), 4) for r in results])
print("predictions shape:", model.predict(x_test[:3], verbose=0).shape)


# --- a loss function, a Loss subclass, a Metric subclass --------------------------------------
def custom_mean_squared_error(y_true, y_pred):
    return ops.mean(ops.square(y_true - y_pred), axis=-1)


class CustomMSE(keras.losses.Loss):
    def __init__(self, regularization_factor=0.1, name="custom_mse"):
        super().__init__(name=name)
        self.regularization_factor = regularization_factor

    def call(self, y_true, y_pred):
        mse = ops.mean(ops.square(y_true - y_pred), axis=-1)
        reg = ops.mean(ops.square(0.5 - y_pred), axis=-1)
        return mse + reg * self.regularization_factor


class CategoricalTruePositives(keras.metrics.Metric):
    def __init__(self, name="categorical_true_positives", **kwargs):
        super().__init__(name=name, **kwargs)
        self.true_positives = self.add_variable(shape=(), name="ctp", initializer="zeros")

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_pred = ops.argmax(y_pred, axis=1)
        values = ops.cast(ops.cast(y_true, "int32") == ops.cast(y_pred, "int32"), "float32")
        if sample_weight is not None:
            values = ops.multiply(values, ops.cast(sample_weight, "float32"))
        self.true_positives.assign_add(ops.sum(values))

    def result(self):
        return ops.copy(self.true_positives)

    def reset_state(self):
        self.true_positives.assign(0)


y_train_one_hot = ops.one_hot(y_train, num_classes=num_classes)
for loss in (custom_mean_squared_error, CustomMSE()):
    model = get_uncompiled_model()
    model.compile(optimizer=keras.optimizers.Adam(), loss=loss)
    h = model.fit(x_train, y_train_one_hot, batch_size=64, epochs=1, verbose=0)
    print(f"{getattr(loss, 'name', getattr(loss, '__name__', ''))}: loss {h.history['loss'][0]:.4f}")

model = get_uncompiled_model()
model.compile(optimizer=keras.optimizers.RMSprop(1e-3), loss="sparse_categorical_crossentropy",
              metrics=[CategoricalTruePositives()])
h = model.fit(x_train, y_train, batch_size=64, epochs=2, verbose=0)
print("true positives per epoch:", h.history["categorical_true_positives"],
      "at most", len(x_train), ":", max(h.history["categorical_true_positives"]) <= len(x_train))

# --- class weights and sample weights ------------------------------------------------------
class_weight = {i: 1.0 for i in range(num_classes)}
class_weight[3] = 2.0
model = get_compiled_model()
h_class = model.fit(x_train, y_train, class_weight=class_weight, batch_size=64, epochs=1, verbose=0)
sample_weight = np.where(y_train == 3, 2.0, 1.0)
model = get_compiled_model()
h_sample = model.fit(x_train, y_train, sample_weight=sample_weight, batch_size=64, epochs=1, verbose=0)
print("class_weight and sample_weight runs logged:", sorted(h_class.history) == sorted(h_sample.history))


# --- PyDataset and torch DataLoader ---------------------------------------------------------
class DigitsPyDataset(keras.utils.PyDataset):
    def __init__(self, x, y, batch_size, **kwargs):
        super().__init__(**kwargs)
        self.x, self.y, self.batch_size = x, y, batch_size

    def __len__(self):
        return int(np.ceil(len(self.x) / float(self.batch_size)))

    def __getitem__(self, idx):
        sl = slice(idx * self.batch_size, (idx + 1) * self.batch_size)
        return self.x[sl], self.y[sl]


model = get_compiled_model()
model.fit(DigitsPyDataset(x_train, y_train, 32), validation_data=DigitsPyDataset(x_val, y_val, 32),
          epochs=1, verbose=2)
print("PyDataset evaluate:", len(model.evaluate(DigitsPyDataset(x_val, y_val, 32), verbose=0)), "values")

loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(torch.from_numpy(x_train),
                                                                    torch.from_numpy(y_train)),
                                     batch_size=32, shuffle=True)
model = get_compiled_model()
model.fit(loader, epochs=1, verbose=2)
print("DataLoader steps per epoch:", model.history.params["steps"])

# --- two inputs, two outputs, losses and metrics per output -------------------------------
image_input = keras.Input(shape=(8, 8, 1), name="img_input")
timeseries_input = keras.Input(shape=(None, 3), name="ts_input")
x1 = layers.GlobalMaxPooling2D()(layers.Conv2D(3, 3)(image_input))
x2 = layers.GlobalMaxPooling1D()(layers.Conv1D(3, 3)(timeseries_input))
x = layers.concatenate([x1, x2])
score_output = layers.Dense(1, name="score_output")(x)
class_output = layers.Dense(5, activation="softmax", name="class_output")(x)
multi = keras.Model(inputs=[image_input, timeseries_input], outputs=[score_output, class_output])
multi.compile(
    optimizer=keras.optimizers.RMSprop(1e-3),
    loss={"score_output": keras.losses.MeanSquaredError(), "class_output": keras.losses.CategoricalCrossentropy()},
    metrics={"score_output": [keras.metrics.MeanAbsoluteError()],
             "class_output": [keras.metrics.CategoricalAccuracy()]},
    loss_weights={"score_output": 2.0, "class_output": 1.0},
)
img_data = rng.random((64, 8, 8, 1)).astype("float32")
ts_data = rng.random((64, 12, 3)).astype("float32")
score_targets = rng.random((64, 1)).astype("float32")
class_targets = keras.utils.to_categorical(rng.integers(0, 5, 64), 5)
h = multi.fit({"img_input": img_data, "ts_input": ts_data},
              {"score_output": score_targets, "class_output": class_targets}, batch_size=32, epochs=1, verbose=0)
print("two-output history keys:", sorted(h.history))


# --- callbacks ------------------------------------------------------------------------------
class HookLogger(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.calls = []

    def _log(self, name, logs):
        self.calls.append(f"{name}{sorted(logs.keys())}")

    def on_train_begin(self, logs=None):
        self._log("train_begin", logs)

    def on_epoch_end(self, epoch, logs=None):
        self._log("epoch_end", logs)

    def on_test_begin(self, logs=None):
        self._log("test_begin", logs)

    def on_predict_batch_end(self, batch, logs=None):
        self._log("predict_batch_end", logs)

    def on_train_end(self, logs=None):
        self._log("train_end", logs)


logger = HookLogger()
model = get_compiled_model()
model.fit(x_train, y_train, batch_size=256, epochs=1, validation_split=0.5, verbose=0, callbacks=[logger])
model.predict(x_test[:8], batch_size=8, verbose=0, callbacks=[logger])
print("hooks:", " ".join(logger.calls))

model = get_compiled_model()
stopper = keras.callbacks.EarlyStopping(monitor="val_loss", min_delta=10.0, patience=1, verbose=1)
h = model.fit(x_train, y_train, epochs=10, batch_size=64, validation_split=0.2, callbacks=[stopper], verbose=0)
print("epochs run before stopping:", len(h.epoch))

model = get_compiled_model()
checkpoint = keras.callbacks.ModelCheckpoint(filepath="digits_{epoch}.keras", save_best_only=True,
                                             monitor="val_loss", verbose=1)
model.fit(x_train, y_train, epochs=2, batch_size=64, validation_split=0.2, callbacks=[checkpoint], verbose=0)
restored = keras.models.load_model("digits_2.keras")
print("checkpoint files:", sorted(f for f in os.listdir(".") if f.startswith("digits_")),
      "restored predictions equal:", np.allclose(restored.predict(x_test, verbose=0), model.predict(x_test, verbose=0),
                                                 atol=1e-6))


class HalvingScheduler(keras.callbacks.Callback):
    """Sets the learning rate at the start of each epoch, as the guide's scheduler does."""

    def on_epoch_begin(self, epoch, logs=None):
        lr = float(ops.convert_to_numpy(self.model.optimizer.learning_rate))
        new_lr = lr if epoch == 0 else lr / 2
        self.model.optimizer.learning_rate = new_lr
        print(f"Epoch {epoch}: learning rate is {new_lr:.4f}")


model = get_uncompiled_model()
model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.1), loss="sparse_categorical_crossentropy")
model.fit(x_train, y_train, epochs=3, batch_size=128, verbose=0, callbacks=[HalvingScheduler()])

schedule = keras.optimizers.schedules.ExponentialDecay(0.1, decay_steps=4, decay_rate=0.5, staircase=True)
model = get_uncompiled_model()
model.compile(optimizer=keras.optimizers.RMSprop(learning_rate=schedule), loss="sparse_categorical_crossentropy")
model.fit(x_train, y_train, epochs=1, batch_size=125, verbose=0)  # 8 steps: two halvings
print("scheduled learning rate after 8 steps:", round(float(ops.convert_to_numpy(model.optimizer.learning_rate)), 4))
