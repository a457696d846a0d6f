"""Keras 3 dialect with the torch backend: custom `train_step` / `test_step` and a training loop
written from scratch (keras.io "Customizing what happens in fit() with PyTorch", "Writing a
training loop from scratch in PyTorch" and "Introduction to Keras for researchers" style).

A regression model overrides `train_step` (zero_grad, `compute_loss`, `backward`,
`optimizer.apply`, metric updates, sample weights) and `test_step`; its history is compared with
the same model trained by the built-in step. Then a from-scratch loop over a torch `DataLoader`
trains a classifier whose hidden block adds an activity penalty with `add_loss` (the penalty is
recomputed on every forward pass, never accumulated), tracks `SparseCategoricalAccuracy` per
epoch, and validates. Small research-style layers finish the tour: a non-trainable running sum
held in a `keras.Variable`, and a `Normalization` layer adapted on data.

Run: python -m keraslite examples/keras3_guide_torch_training.py
"""
import numpy as np
import torch
import keras
from keras import layers
from keras import ops

keras.utils.set_random_seed(5)
rng = np.random.default_rng(5)

x = rng.random((320, 8)).astype("float32")
true_w = rng.normal(size=(8, 1)).astype("float32")
y = (x @ true_w + 0.1 * rng.normal(size=(320, 1))).astype("float32")
sample_weight = rng.uniform(0.5, 1.5, size=(320,)).astype("float32")


class StepModel(keras.Model):
    def train_step(self, data):
        x, y, sw = keras.utils.unpack_x_y_sample_weight(data)
        self.zero_grad()
        y_pred = self(x, training=True)
        loss = self.compute_loss(y=y, y_pred=y_pred, sample_weight=sw)
        loss.backward()
        trainable_weights = [v for v in self.trainable_weights]
        gradients = [v.value.grad for v in trainable_weights]
        with torch.no_grad():
            self.optimizer.apply(gradients, trainable_weights)
        for metric in self.metrics:
            if metric.name == "loss":
                metric.update_state(loss)
            else:
                metric.update_state(y, y_pred)  # compile(metrics=...) are unweighted
        return {m.name: m.result() for m in self.metrics}

    def test_step(self, data):
        x, y, sw = keras.utils.unpack_x_y_sample_weight(data)
        y_pred = self(x, training=False)
        loss = self.compute_loss(y=y, y_pred=y_pred, sample_weight=sw)
        for metric in self.metrics:
            if metric.name == "loss":
                metric.update_state(loss)
            else:
                metric.update_state(y, y_pred)
        return {m.name: m.result() for m in self.metrics}


def regression_model(cls):
    keras.utils.set_random_seed(9)
    inputs = keras.Input(shape=(8,))
    hidden = layers.Dense(16, activation="relu")(inputs)
    outputs = layers.Dense(1)(hidden)
    model = cls(inputs, outputs)
    model.compile(optimizer=keras.optimizers.SGD(0.05), loss="mse", metrics=["mae"])
    return model


custom, builtin = regression_model(StepModel), regression_model(keras.Model)
builtin.set_weights(custom.get_weights())
h_custom = custom.fit(x, y, sample_weight=sample_weight, epochs=3, batch_size=32, shuffle=False, verbose=0)
h_builtin = builtin.fit(x, y, sample_weight=sample_weight, epochs=3, batch_size=32, shuffle=False, verbose=0)
print("history keys:", sorted(h_custom.history))
print("custom step matches built-in:", np.allclose(h_custom.history["loss"], h_builtin.history["loss"], rtol=1e-4),
      np.allclose(h_custom.history["mae"], h_builtin.history["mae"], rtol=1e-4))
print("loss went down:", h_custom.history["loss"][-1] < h_custom.history["loss"][0])
print("custom test_step:", np.allclose(custom.evaluate(x, y, verbose=0), builtin.evaluate(x, y, verbose=0), rtol=1e-4))


class ActivityPenalty(layers.Layer):
    def __init__(self, rate, **kwargs):
        super().__init__(**kwargs)
        self.rate = rate

    def call(self, inputs):
        self.add_loss(self.rate * ops.mean(ops.abs(inputs)))
        return inputs


class Classifier(keras.Model):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.hidden = layers.Dense(32, activation="relu")
        self.penalty = ActivityPenalty(1e-2)
        self.out = layers.Dense(3)

    def call(self, inputs):
        return self.out(self.penalty(self.hidden(inputs)))


centers = rng.normal(0, 2.0, size=(3, 6))
classes = rng.integers(0, 3, size=600)
points = (centers[classes] + rng.normal(size=(600, 6))).astype("float32")
train = torch.utils.data.TensorDataset(torch.from_numpy(points[:480]), torch.from_numpy(classes[:480]))
val = torch.utils.data.TensorDataset(torch.from_numpy(points[480:]), torch.from_numpy(classes[480:]))
train_loader = torch.utils.data.DataLoader(train, batch_size=32, shuffle=True)
val_loader = torch.utils.data.DataLoader(val, batch_size=60)

classifier = Classifier()
loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
optimizer = keras.optimizers.Adam(learning_rate=5e-3)
train_acc = keras.metrics.SparseCategoricalAccuracy()
val_acc = keras.metrics.SparseCategoricalAccuracy()
for epoch in range(3):
    penalty_counts = set()
    for step, (batch_x, batch_y) in enumerate(train_loader):
        logits = classifier(batch_x, training=True)
        penalty_counts.add(len(classifier.losses))
        loss = loss_fn(batch_y, logits) + sum(classifier.losses)
        classifier.zero_grad()
        loss.backward()
        weights = classifier.trainable_weights
        with torch.no_grad():
            optimizer.apply([w.value.grad for w in weights], weights)
        train_acc.update_state(batch_y, logits)
    for batch_x, batch_y in val_loader:
        val_acc.update_state(batch_y, classifier(batch_x, training=False))
    print(f"epoch {epoch}: steps={step + 1} penalties per pass={sorted(penalty_counts)} "
          f"train_acc_ok={float(train_acc.result()) > 0.5} val_acc_ok={float(val_acc.result()) > 0.5}")
    train_acc.reset_state()
    val_acc.reset_state()
print("optimizer iterations:", int(optimizer.iterations))


class RunningSum(layers.Layer):
    def __init__(self, dim, **kwargs):
        super().__init__(**kwargs)
        self.total = keras.Variable(np.zeros((dim,), "float32"), trainable=False, name="total")

    def call(self, inputs):
        self.total.assign_add(ops.sum(inputs, axis=0))
        return self.total


running = RunningSum(2)
running(ops.ones((2, 2)))
print("running sum:", ops.convert_to_numpy(running(ops.ones((2, 2)))).tolist(),
      "trainable:", len(running.trainable_weights), "non-trainable:", len(running.non_trainable_weights))

norm = layers.Normalization()
norm.adapt(np.array([[0.1, 0.2, 0.3], [0.8, 0.9, 1.0], [1.5, 1.6, 1.7]], dtype="float32"))
normalized = ops.convert_to_numpy(norm(np.array([[0.8, 0.9, 1.0]], dtype="float32")))
print("normalization mean:", tuple(norm.mean.shape), np.round(ops.convert_to_numpy(norm.mean), 3).tolist(),
      "mean row maps to zero:", bool(np.allclose(normalized, 0.0, atol=1e-6)))
