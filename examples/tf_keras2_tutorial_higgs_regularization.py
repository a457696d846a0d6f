"""tf.keras (TensorFlow 2 docs tutorial) dialect: a binary classifier read from a gzipped CSV
with `tf.data.experimental.CsvDataset`, records packed into feature vectors by a batched
`map`, an `InverseTimeDecay` learning-rate schedule (also evaluated over an array of steps,
as one does to plot it), and three model sizes compared with and without L2 weight penalties
and dropout. The penalty that `model.losses` holds is summed with `tf.add_n`. The data is
synthetic: 12 noisy features and a label that depends on two of them.

Run: python -m keraslite examples/tf_keras2_tutorial_higgs_regularization.py
"""
import gzip
import os
import tempfile

import numpy as np
import tensorflow as tf
from tensorflow.keras import layers, regularizers

print("TensorFlow version:", tf.version.VERSION)
tf.random.set_seed(7)

FEATURES = 12
rng = np.random.default_rng(7)
features = rng.normal(size=(1000, FEATURES))
labels = ((features[:, 0] + 0.5 * features[:, 3] + 0.3 * rng.normal(size=1000)) > 0).astype(float)
csv_path = os.path.join(tempfile.mkdtemp(), "events.csv.gz")
with gzip.open(csv_path, "wt") as f:
    for label, row in zip(labels, features):
        f.write(",".join(["%.1f" % label] + ["%.6f" % v for v in row]) + "\n")

# Every column is a float: the label first, then the features.
ds = tf.data.experimental.CsvDataset(csv_path, [float(), ] * (FEATURES + 1), compression_type="GZIP")


def pack_row(*row):
    label = row[0]
    features = tf.stack(row[1:], 1)
    return features, label


packed_ds = ds.batch(400).map(pack_row).unbatch()
for features_batch, label_batch in packed_ds.batch(200).take(1):
    print("first batch:", tuple(features_batch.shape), tuple(label_batch.shape), features_batch.dtype)

N_VALIDATION, N_TRAIN, BATCH_SIZE = 200, 800, 100
STEPS_PER_EPOCH = N_TRAIN // BATCH_SIZE
validate_ds = packed_ds.take(N_VALIDATION).cache().batch(BATCH_SIZE)
train_ds = packed_ds.skip(N_VALIDATION).take(N_TRAIN).cache().shuffle(N_TRAIN).repeat().batch(BATCH_SIZE)

lr_schedule = tf.keras.optimizers.schedules.InverseTimeDecay(
    0.005, decay_steps=STEPS_PER_EPOCH * 10, decay_rate=1, staircase=False)
steps = np.linspace(0, STEPS_PER_EPOCH * 20, 5)
rates = lr_schedule(steps)
print("schedule over", len(steps), "steps:", " ".join("%.5f" % r for r in np.asarray(rates)))
print("rate halves after 10 epochs:", bool(np.isclose(float(rates[2]), 0.0025)))


def compile_and_fit(model, max_epochs=6):
    model.compile(optimizer=tf.keras.optimizers.Adam(lr_schedule),
                  loss=tf.keras.losses.BinaryCrossentropy(from_logits=True),
                  metrics=[tf.keras.metrics.BinaryCrossentropy(from_logits=True, name="binary_crossentropy"),
                           "accuracy"])
    return model.fit(
        train_ds.map(lambda x, y: (x, tf.expand_dims(y, axis=-1))),
        steps_per_epoch=STEPS_PER_EPOCH,
        epochs=max_epochs,
        validation_data=validate_ds.map(lambda x, y: (x, tf.expand_dims(y, axis=-1))),
        callbacks=[tf.keras.callbacks.EarlyStopping(monitor="val_binary_crossentropy", patience=3)],
        verbose=0)


def dense_stack(width, depth, l2=None, dropout=None):
    stack = []
    for i in range(depth):
        kwargs = {"input_shape": (FEATURES,)} if i == 0 else {}
        if l2:
            kwargs["kernel_regularizer"] = regularizers.l2(l2)
        stack.append(layers.Dense(width, activation="elu", **kwargs))
        if dropout:
            stack.append(layers.Dropout(dropout))
    return tf.keras.Sequential(stack + [layers.Dense(1)])


histories = {}
for name, model in [("tiny", dense_stack(8, 1)), ("medium", dense_stack(32, 2)),
                    ("l2", dense_stack(64, 2, l2=0.001)), ("dropout", dense_stack(64, 2, dropout=0.3))]:
    histories[name] = compile_and_fit(model)
    h = histories[name].history
    print(f"{name}: params {model.count_params()}, epochs {len(h['loss'])}, "
          f"val_binary_crossentropy {h['val_binary_crossentropy'][-1]:.4f}, val_accuracy {h['val_accuracy'][-1]:.4f}")
    if name == "l2":
        l2_model = model

# The L2 penalty: one scalar per regularized kernel, summed.
result = l2_model(features_batch)
regularization_loss = tf.add_n(l2_model.losses)
by_hand = sum(0.001 * float(np.square(layer.get_weights()[0]).sum())
              for layer in l2_model.layers if getattr(layer, "kernel_regularizer", None) is not None)
print("l2 penalties:", len(l2_model.losses), "sum matches weights:",
      bool(np.isclose(regularization_loss.numpy(), by_hand, rtol=1e-5)))
print("history keys:", sorted(histories["tiny"].history))
print("best val accuracy: %.2f" % max(h.history["val_accuracy"][-1] for h in histories.values()))
