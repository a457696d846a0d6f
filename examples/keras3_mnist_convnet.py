"""Keras 3 (2023+) dialect: a small MNIST-style convnet in the keras.io "simple convnet" style.

Exercises `keras.Input` inside `keras.Sequential`, `layers.Conv2D`, `layers.MaxPooling2D`,
`layers.Flatten`, `layers.Dropout`, `keras.utils.to_categorical`, `model.summary()`,
`fit(..., validation_split=0.1)` and the `[loss, accuracy]` list that `model.evaluate` returns.
The digits are synthetic: each class is a bright bar at its own position on a noisy 28x28 image.

Run: python -m keraslite examples/keras3_mnist_convnet.py
"""
import numpy as np
import keras
from keras import layers

keras.utils.set_random_seed(7)

# Model / data parameters
num_classes = 10
input_shape = (28, 28, 1)


def make_digits(n, rng):
    """Noisy 28x28 images whose class decides which horizontal band is bright."""
    labels = rng.integers(0, num_classes, size=n)
    images = rng.integers(0, 60, size=(n, 28, 28)).astype("uint8")
    for i, label in enumerate(labels):
        row = 2 + 2 * label
        images[i, row:row + 3, 4:24] = 255
    return images, labels


rng = np.random.default_rng(7)
x_train, y_train = make_digits(600, rng)
x_test, y_test = make_digits(100, rng)

# Scale images to the [0, 1] range and give them a channel axis
x_train = x_train.astype("float32") / 255
x_test = x_test.astype("float32") / 255
x_train = np.expand_dims(x_train, -1)
x_test = np.expand_dims(x_test, -1)
print("x_train shape:", x_train.shape)
print(x_train.shape[0], "train samples")
print(x_test.shape[0], "test samples")

# Convert class vectors to binary class matrices
y_train = keras.utils.to_categorical(y_train, num_classes)
y_test = keras.utils.to_categorical(y_test, num_classes)
print("y_train shape:", y_train.shape)

model = keras.Sequential(
    [
        keras.Input(shape=input_shape),
        layers.Conv2D(16, kernel_size=(3, 3), activation="relu"),
        layers.MaxPooling2D(pool_size=(2, 2)),
        layers.Conv2D(32, kernel_size=(3, 3), activation="relu"),
        layers.MaxPooling2D(pool_size=(2, 2)),
        layers.Flatten(),
        layers.Dropout(0.5),
        layers.Dense(num_classes, activation="softmax"),
    ]
)
model.summary()

batch_size = 64
epochs = 3
model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
history = model.fit(x_train, y_train, batch_size=batch_size, epochs=epochs, validation_split=0.1, verbose=2)
print("history keys:", sorted(history.history))

score = model.evaluate(x_test, y_test, verbose=0)
print("Test loss:", score[0])
print("Test accuracy:", score[1])

predictions = model.predict(x_test[:4], verbose=0)
print("predictions:", predictions.shape, "rows sum to 1:", bool(np.allclose(predictions.sum(axis=1), 1, atol=1e-5)))
