"""TF2 (2019-2023) dialect: a tf.data input pipeline, a custom training loop with
tf.GradientTape and @tf.function, Keras metric objects, then the same model trained with
compile/fit on the Dataset. Synthetic data, runs in seconds.

Run: python -m keraslite examples/tf2_custom_training_loop.py
"""
import numpy as np
import tensorflow as tf
from tensorflow import keras

tf.random.set_seed(7)

# --- 1. Custom training basics: fit y = 3x + 2 with two tf.Variables.
w = tf.Variable(5.0)
b = tf.Variable(0.0)
xs = tf.random.normal(shape=[200])
ys = xs * 3.0 + 2.0 + tf.random.normal(shape=[200], stddev=0.1)

for step in range(100):
    with tf.GradientTape() as tape:
        current_loss = tf.reduce_mean(tf.square(ys - (w * xs + b)))
    dw, db = tape.gradient(current_loss, [w, b])
    w.assign_sub(0.1 * dw)
    b.assign_sub(0.1 * db)
print(f"linear fit: w={w.numpy():.2f} b={b.numpy():.2f} loss={current_loss.numpy():.4f}")

# --- 2. A classifier on 4 "blobs" in 16 dimensions, fed by tf.data.
rng = np.random.default_rng(0)
centers = rng.normal(0, 2.0, size=(4, 16))
labels = rng.integers(0, 4, size=1200)
features = (centers[labels] + rng.normal(0, 1.0, size=(1200, 16))).astype("float32")
x_train, y_train = features[:1000], labels[:1000]
x_test, y_test = features[1000:], labels[1000:]

train_ds = tf.data.Dataset.from_tensor_slices((x_train, y_train)).shuffle(1000).batch(32).prefetch(tf.data.AUTOTUNE)
test_ds = tf.data.Dataset.from_tensor_slices((x_test, y_test)).batch(32)
print("element_spec:", train_ds.element_spec)

model = keras.Sequential([
    keras.layers.Dense(64, activation="relu", input_shape=(16,)),
    keras.layers.Dropout(0.1),
    keras.layers.Dense(4),
])

loss_object = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
optimizer = keras.optimizers.Adam(learning_rate=1e-3)
train_loss = keras.metrics.Mean(name="train_loss")
train_accuracy = keras.metrics.SparseCategoricalAccuracy(name="train_accuracy")
test_loss = keras.metrics.Mean(name="test_loss")
test_accuracy = keras.metrics.SparseCategoricalAccuracy(name="test_accuracy")


@tf.function
def train_step(images, labels):
    with tf.GradientTape() as tape:
        predictions = model(images, training=True)
        loss = loss_object(labels, predictions)
    gradients = tape.gradient(loss, model.trainable_variables)
    optimizer.apply_gradients(zip(gradients, model.trainable_variables))
    train_loss(loss)
    train_accuracy(labels, predictions)


@tf.function
def test_step(images, labels):
    predictions = model(images, training=False)
    test_loss(loss_object(labels, predictions))
    test_accuracy(labels, predictions)


EPOCHS = 3
for epoch in range(EPOCHS):
    train_loss.reset_states()
    train_accuracy.reset_states()
    test_loss.reset_states()
    test_accuracy.reset_states()
    for images, labels in train_ds:
        train_step(images, labels)
    for test_images, test_labels in test_ds:
        test_step(test_images, test_labels)
    print(f"Epoch {epoch + 1}, Loss: {train_loss.result():.4f}, Accuracy: {train_accuracy.result() * 100:.2f}, "
          f"Test Loss: {test_loss.result():.4f}, Test Accuracy: {test_accuracy.result() * 100:.2f}")

# --- 3. The same model, now through compile / fit on the Datasets.
model.compile(optimizer=optimizer, loss=loss_object, metrics=["accuracy"])
history = model.fit(train_ds, epochs=2, validation_data=test_ds, verbose=2)
loss, acc = model.evaluate(test_ds, verbose=0)
print(f"evaluate on tf.data: loss {loss:.4f} accuracy {acc:.4f}")
logits = model.predict(test_ds.take(1), verbose=0)
probabilities = tf.nn.softmax(logits)
predicted = tf.argmax(probabilities, axis=1)
print("predicted classes:", predicted.numpy()[:8], "true:", y_test[:8])
tf.print("batches per epoch:", tf.data.experimental.cardinality(train_ds))
