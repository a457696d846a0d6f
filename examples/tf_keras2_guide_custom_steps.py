"""tf.keras 2 developer-guide dialect, training side: a Model subclass overriding train_step and
test_step with self.compiled_loss / self.compiled_metrics and sample weights; a model that
tracks its own Mean metrics through a `metrics` property; an endpoint layer that adds its loss
and reports an accuracy with add_metric (read back through layer.metrics); and a from-scratch
loop with @tf.function steps that adds the layers' add_loss terms to the main loss.

Run: python -m keraslite examples/tf_keras2_guide_custom_steps.py
"""
import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

tf.random.set_seed(11)
rng = np.random.default_rng(11)

# A noisy linear target on 16 features; the weights say which samples matter more.
FEATURES = 16
true_w = rng.normal(size=(FEATURES, 1)).astype("float32")
x = rng.normal(size=(600, FEATURES)).astype("float32")
y = (x @ true_w + 0.1 * rng.normal(size=(600, 1))).astype("float32")
sw = rng.uniform(0.5, 1.5, size=(600, 1)).astype("float32")


class WeightedStepModel(keras.Model):
    """fit() and evaluate() run these steps; loss and metrics come from compile()."""

    def train_step(self, data):
        if len(data) == 3:
            x, y, sample_weight = data
        else:
            (x, y), sample_weight = data, None
        with tf.GradientTape() as tape:
            y_pred = self(x, training=True)
            loss = self.compiled_loss(y, y_pred, sample_weight=sample_weight,
                                      regularization_losses=self.losses)
        grads = tape.gradient(loss, self.trainable_variables)
        self.optimizer.apply_gradients(zip(grads, self.trainable_variables))
        self.compiled_metrics.update_state(y, y_pred, sample_weight=sample_weight)
        return {m.name: m.result() for m in self.metrics}

    def test_step(self, data):
        x, y = data
        y_pred = self(x, training=False)
        self.compiled_loss(y, y_pred, regularization_losses=self.losses)
        self.compiled_metrics.update_state(y, y_pred)
        return {m.name: m.result() for m in self.metrics}


inputs = keras.Input(shape=(FEATURES,))
hidden = layers.Dense(32, activation="relu", kernel_regularizer=keras.regularizers.l2(1e-4))(inputs)
outputs = layers.Dense(1)(hidden)
model = WeightedStepModel(inputs, outputs)
model.compile(optimizer=keras.optimizers.Adam(0.01), loss="mse", metrics=["mae"])
history = model.fit(x, y, sample_weight=sw, batch_size=50, epochs=4, verbose=2)
first, last = history.history["loss"][0], history.history["loss"][-1]
print("custom train_step history keys:", sorted(history.history))
print("weighted loss went down:", last < first)
results = model.evaluate(x, y, batch_size=100, verbose=0, return_dict=True)
print("custom test_step evaluate keys:", sorted(results), "mae below 0.5:", results["mae"] < 0.5)

# The lower-level form: no loss in compile(), the step owns its metrics.
loss_tracker = keras.metrics.Mean(name="loss")
mae_metric = keras.metrics.MeanAbsoluteError(name="mae")


class OwnMetricsModel(keras.Model):
    def train_step(self, data):
        x, y = data
        with tf.GradientTape() as tape:
            y_pred = self(x, training=True)
            loss = keras.losses.mean_squared_error(y, y_pred)
        grads = tape.gradient(loss, self.trainable_variables)
        self.optimizer.apply_gradients(zip(grads, self.trainable_variables))
        loss_tracker.update_state(loss)
        mae_metric.update_state(y, y_pred)
        return {"loss": loss_tracker.result(), "mae": mae_metric.result()}

    @property
    def metrics(self):
        # listed here so that fit() resets them at the start of every epoch
        return [loss_tracker, mae_metric]


inputs = keras.Input(shape=(FEATURES,))
own = OwnMetricsModel(inputs, layers.Dense(1)(inputs))
own.compile(optimizer=keras.optimizers.Adam(0.05))
own_history = own.fit(x, y, batch_size=60, epochs=3, verbose=0)
print("own-metrics epochs:", len(own_history.history["mae"]),
      "reset per epoch:", own_history.history["loss"][-1] < own_history.history["loss"][0])


# An endpoint layer: sees the targets, adds its loss, reports an accuracy through add_metric.
class LogisticEndpoint(layers.Layer):
    def __init__(self, name=None):
        super(LogisticEndpoint, self).__init__(name=name)
        self.loss_fn = keras.losses.BinaryCrossentropy(from_logits=True)
        self.accuracy_fn = keras.metrics.BinaryAccuracy(threshold=0.0)

    def call(self, targets, logits, sample_weights=None):
        self.add_loss(self.loss_fn(targets, logits, sample_weights))
        self.add_metric(self.accuracy_fn(targets, logits, sample_weights))
        return tf.nn.sigmoid(logits)


probe = LogisticEndpoint()
probe(tf.ones((2, 1)), tf.constant([[2.0], [-1.0]]))
print("endpoint layer.metrics:", [m.name for m in probe.metrics],
      "accuracy after one call: %.2f" % float(probe.metrics[0].result()))

labels = (x[:, :1] > 0).astype("float32")
feature_in = keras.Input(shape=(FEATURES,), name="features")
target_in = keras.Input(shape=(1,), name="targets")
logits = layers.Dense(1)(feature_in)
predictions = LogisticEndpoint(name="predictions")(target_in, logits)
endpoint_model = keras.Model([feature_in, target_in], predictions)
endpoint_model.compile(optimizer=keras.optimizers.Adam(0.05))
endpoint_history = endpoint_model.fit({"features": x, "targets": labels}, batch_size=50, epochs=3, verbose=0)
print("endpoint model history keys:", sorted(endpoint_history.history),
      "final accuracy above 0.9:", endpoint_history.history["binary_accuracy"][-1] > 0.9)


# From scratch: @tf.function steps, a layer adding an activity penalty, metrics reset per epoch.
class ActivityRegularization(layers.Layer):
    def __init__(self, rate=1e-3, **kwargs):
        super().__init__(**kwargs)
        self.rate = rate

    def call(self, inputs):
        self.add_loss(self.rate * tf.reduce_sum(tf.square(inputs)))
        return inputs


inputs = keras.Input(shape=(FEATURES,))
h = layers.Dense(32, activation="relu")(inputs)
h = ActivityRegularization()(h)
loop_model = keras.Model(inputs, layers.Dense(1)(h))
optimizer = keras.optimizers.Adam(learning_rate=0.01)
loss_fn = keras.losses.MeanSquaredError()
train_mae = keras.metrics.MeanAbsoluteError()
val_mae = keras.metrics.MeanAbsoluteError()
train_ds = tf.data.Dataset.from_tensor_slices((x[:500], y[:500])).shuffle(500).batch(50)
val_ds = tf.data.Dataset.from_tensor_slices((x[500:], y[500:])).batch(50)


@tf.function
def train_step(xb, yb):
    with tf.GradientTape() as tape:
        pred = loop_model(xb, training=True)
        loss_value = loss_fn(yb, pred)
        loss_value += sum(loop_model.losses)
    grads = tape.gradient(loss_value, loop_model.trainable_weights)
    optimizer.apply_gradients(zip(grads, loop_model.trainable_weights))
    train_mae.update_state(yb, pred)
    return loss_value


@tf.function
def test_step(xb, yb):
    val_mae.update_state(yb, loop_model(xb, training=False))


for epoch in range(3):
    for step, (xb, yb) in enumerate(train_ds):
        loss_value = train_step(xb, yb)
    for xb, yb in val_ds:
        test_step(xb, yb)
    print("epoch %d: last batch loss %.4f, train mae %.4f, val mae %.4f"
          % (epoch, float(loss_value.numpy()), float(train_mae.result()), float(val_mae.result())))
    train_mae.reset_states()
    val_mae.reset_states()
print("penalty terms per forward pass:", len(loop_model.losses), "optimizer steps:", int(optimizer.iterations))
