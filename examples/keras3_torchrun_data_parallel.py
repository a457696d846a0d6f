"""A Keras 3 convnet trained data-parallel: the same program runs in one process or in several.

    python -m keraslite examples/keras3_torchrun_data_parallel.py
    torchrun --nproc_per_node=2 -m keraslite examples/keras3_torchrun_data_parallel.py

Under torchrun each process takes its part of every batch of 64 and the gradients are summed
across the processes before each update, so the run trains the model one process would train
(on as many GPUs or CPU processes as were started). Only process 0 prints progress and writes
the checkpoint. Synthetic data stands in for MNIST: the label is the quadrant holding the
brightest blob.
"""
import os

import numpy as np

import keras
from keras import layers

rank = int(os.environ.get("RANK", "0"))
world_size = int(os.environ.get("WORLD_SIZE", "1"))


def make_data(n, seed):
    rng = np.random.RandomState(seed)
    x = rng.rand(n, 28, 28, 1).astype("float32") * 0.3
    y = rng.randint(0, 4, size=n)
    for i, q in enumerate(y):
        r, c = divmod(int(q), 2)
        x[i, 4 + 14 * r:10 + 14 * r, 4 + 14 * c:10 + 14 * c, 0] += 0.7
    return x, y


x_train, y_train = make_data(1024, 0)
x_test, y_test = make_data(256, 1)

keras.utils.set_random_seed(1337)
model = keras.Sequential([
    keras.Input(shape=(28, 28, 1)),
    layers.Conv2D(16, kernel_size=(3, 3), activation="relu"),
    layers.MaxPooling2D(pool_size=(2, 2)),
    layers.Conv2D(32, kernel_size=(3, 3), activation="relu"),
    layers.MaxPooling2D(pool_size=(2, 2)),
    layers.Flatten(),
    layers.Dropout(0.25),
    layers.Dense(4, activation="softmax"),
])
model.compile(loss="sparse_categorical_crossentropy", optimizer=keras.optimizers.Adam(1e-3), metrics=["accuracy"])

callbacks = [keras.callbacks.ModelCheckpoint("quadrants.keras", monitor="val_accuracy", save_best_only=True)]
history = model.fit(x_train, y_train, batch_size=64, epochs=4, validation_split=0.2, callbacks=callbacks,
                    verbose=2)

score = model.evaluate(x_test, y_test, verbose=0)
if rank == 0:
    print(f"processes: {world_size}")
    print(f"history keys: {sorted(history.history)}")
    print(f"test loss: {score[0]:.4f} test accuracy: {score[1]:.4f}")
    print(f"checkpoint written: {os.path.exists('quadrants.keras')}")
    restored = keras.models.load_model("quadrants.keras")
    print(f"checkpoint predicts {restored.predict(x_test[:8], verbose=0).argmax(-1).tolist()}")
