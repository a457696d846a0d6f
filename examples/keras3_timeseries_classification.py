"""Keras 3 (2023+) dialect: timeseries classification from scratch, keras.io style.

A fully convolutional network (three Conv1D + BatchNormalization + ReLU blocks, then
`GlobalAveragePooling1D` and a softmax Dense) classifies univariate series. Training uses the
callbacks the keras.io example uses: `ModelCheckpoint("best_model.keras", save_best_only=True,
monitor="val_loss")`, `ReduceLROnPlateau` and `EarlyStopping`; the best model is then read back
with `keras.models.load_model` and evaluated. The series are synthetic: class 1 carries a sine
wave, class 0 only noise.

Run: python -m keraslite examples/keras3_timeseries_classification.py
"""
import os
import tempfile

import numpy as np
import keras

keras.utils.set_random_seed(11)


def make_series(n, length, rng):
    labels = rng.integers(0, 2, size=n)
    t = np.linspace(0, 4 * np.pi, length)
    series = rng.normal(0, 0.6, size=(n, length))
    phase = rng.uniform(0, 2 * np.pi, size=(n, 1))
    series += labels[:, None] * np.sin(t[None, :] + phase)
    return series.astype("float32"), labels


rng = np.random.default_rng(11)
x_train, y_train = make_series(320, 64, rng)
x_test, y_test = make_series(80, 64, rng)

# The series are univariate: give them a channel axis, (samples, timesteps, 1)
x_train = x_train.reshape((x_train.shape[0], x_train.shape[1], 1))
x_test = x_test.reshape((x_test.shape[0], x_test.shape[1], 1))
num_classes = len(np.unique(y_train))
print("x_train:", x_train.shape, "classes:", num_classes)

# Shuffle the training set, as the keras.io example does before using validation_split
idx = np.random.permutation(len(x_train))
x_train = x_train[idx]
y_train = y_train[idx]


def make_model(input_shape):
    input_layer = keras.layers.Input(input_shape)

    conv1 = keras.layers.Conv1D(filters=16, kernel_size=3, padding="same")(input_layer)
    conv1 = keras.layers.BatchNormalization()(conv1)
    conv1 = keras.layers.ReLU()(conv1)

    conv2 = keras.layers.Conv1D(filters=16, kernel_size=3, padding="same")(conv1)
    conv2 = keras.layers.BatchNormalization()(conv2)
    conv2 = keras.layers.ReLU()(conv2)

    conv3 = keras.layers.Conv1D(filters=16, kernel_size=3, padding="same")(conv2)
    conv3 = keras.layers.BatchNormalization()(conv3)
    conv3 = keras.layers.ReLU()(conv3)

    gap = keras.layers.GlobalAveragePooling1D()(conv3)

    output_layer = keras.layers.Dense(num_classes, activation="softmax")(gap)

    return keras.models.Model(inputs=input_layer, outputs=output_layer)


model = make_model(input_shape=x_train.shape[1:])
model.summary()

epochs = 6
batch_size = 32
workdir = tempfile.mkdtemp()
checkpoint_path = os.path.join(workdir, "best_model.keras")

callbacks = [
    keras.callbacks.ModelCheckpoint(checkpoint_path, save_best_only=True, monitor="val_loss"),
    keras.callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=2, min_lr=0.0001),
    keras.callbacks.EarlyStopping(monitor="val_loss", patience=3, verbose=1),
]
model.compile(
    optimizer="adam",
    loss="sparse_categorical_crossentropy",
    metrics=["sparse_categorical_accuracy"],
)
history = model.fit(
    x_train,
    y_train,
    batch_size=batch_size,
    epochs=epochs,
    callbacks=callbacks,
    validation_split=0.2,
    verbose=2,
)
print("history keys:", sorted(history.history))
print("epochs run:", len(history.history["loss"]))
print("best checkpoint written:", os.path.exists(checkpoint_path))

model = keras.models.load_model(checkpoint_path)
test_loss, test_acc = model.evaluate(x_test, y_test, verbose=0)
print("Test accuracy", test_acc)
print("Test loss", test_loss)
best_epoch = int(np.argmin(history.history["val_loss"]))
reloaded_val = model.evaluate(x_train[-64:], y_train[-64:], verbose=0)[0]
print("reloaded model is the best epoch's:", bool(np.isclose(reloaded_val, history.history["val_loss"][best_epoch], rtol=1e-4)))
print("optimizer learning rate after training:", float(model.optimizer.learning_rate))
