"""tf.keras (Keras 2, 2019-2023) dialect: `import tensorflow as tf`, `tf.keras.layers`,
`tf.random.set_seed`, a small CNN trained on synthetic 28x28 "digits" with a validation split,
then evaluate / predict. Runs in seconds.

Run: python -m keraslite examples/tf_keras2_cnn.py
"""
import numpy as np
import tensorflow as tf
from tensorflow.keras import layers, models

tf.random.set_seed(42)
print("TensorFlow", tf.__version__, "| GPUs:", len(tf.config.list_physical_devices('GPU')))

rng = np.random.default_rng(42)
x_train = rng.random((128, 28, 28, 1), dtype=np.float32)
y_train = rng.integers(0, 10, size=128)
x_test = rng.random((32, 28, 28, 1), dtype=np.float32)
y_test = rng.integers(0, 10, size=32)

model = models.Sequential([
    layers.Conv2D(8, (3, 3), activation='relu', input_shape=(28, 28, 1)),
    layers.MaxPooling2D((2, 2)),
    layers.Conv2D(16, (3, 3), activation='relu'),
    layers.MaxPooling2D((2, 2)),
    layers.Flatten(),
    layers.Dense(32, activation='relu'),
    layers.Dropout(0.2),
    layers.Dense(10, activation='softmax'),
])
model.summary()

model.compile(optimizer=tf.keras.optimizers.Adam(learning_rate=1e-3),
              loss='sparse_categorical_crossentropy',
              metrics=['accuracy'])
history = model.fit(x_train, y_train, epochs=2, batch_size=32, validation_split=0.25, verbose=2)
print("history keys:", sorted(history.history))

test_loss, test_acc = model.evaluate(x_test, y_test, verbose=0)
print(f"test loss {test_loss:.4f} accuracy {test_acc:.4f}")
probs = model.predict(x_test[:4], verbose=0)
print("predicted classes:", np.argmax(probs, axis=1))
