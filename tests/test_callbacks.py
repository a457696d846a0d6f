"""Callbacks: behaviour each one promises (Keras semantics), checked on tiny models."""
import csv
import os
import warnings

import numpy as np
import pytest
import torch

import keraslite
from keraslite import callbacks, layers


def _data(n=64):
    rng = np.random.default_rng(0)
    return rng.standard_normal((n, 4)).astype("float32"), rng.integers(0, 3, n)


def _model(lr=0.05):
    model = keraslite.Sequential([layers.Dense(8, activation="relu", input_shape=(4,)),
                                  layers.Dense(3, activation="softmax")])
    model.compile(optimizer=keraslite.optimizers.SGD(learning_rate=lr), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model


class Recorder(callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.events = []

    def on_train_begin(self, logs=None):
        self.events.append("train_begin")

    def on_epoch_begin(self, epoch, logs=None):
        self.events.append(f"epoch_begin{epoch}")

    def on_train_batch_end(self, batch, logs=None):
        self.events.append(("batch", batch, sorted(logs)))

    def on_test_begin(self, logs=None):
        self.events.append("test_begin")

    def on_epoch_end(self, epoch, logs=None):
        self.events.append((f"epoch_end{epoch}", sorted(logs)))

    def on_train_end(self, logs=None):
        self.events.append("train_end")


def test_hook_order_and_logs():
    x, y = _data()
    rec = Recorder()
    _model().fit(x, y, batch_size=32, epochs=2, validation_split=0.5, callbacks=[rec], verbose=0)
    keys = ["accuracy", "loss"]
    assert rec.events == [
        "train_begin",
        "epoch_begin0", ("batch", 0, keys), "test_begin", ("epoch_end0", keys + ["val_accuracy", "val_loss"]),
        "epoch_begin1", ("batch", 0, keys), "test_begin", ("epoch_end1", keys + ["val_accuracy", "val_loss"]),
        "train_end"]
    assert rec.params["epochs"] == 2 and rec.params["steps"] == 1


def test_batch_logs_are_running_means():
    x, y = _data()
    seen = []
    cb = callbacks.LambdaCallback(on_train_batch_end=lambda batch, logs: seen.append(logs["loss"]))
    model = _model()
    history = model.fit(x, y, batch_size=16, epochs=1, callbacks=[cb], verbose=0, shuffle=False)
    assert len(seen) == 4
    np.testing.assert_allclose(seen[-1], history.history["loss"][0], rtol=1e-6)


def test_early_stopping_restores_best_weights():
    x, y = _data()
    model = _model(lr=0.0)  # no progress: loss never improves after epoch 0
    snapshots = []
    record = callbacks.LambdaCallback(on_epoch_end=lambda e, logs: snapshots.append(model.get_weights()))
    stop = callbacks.EarlyStopping(monitor="loss", patience=2, restore_best_weights=True)
    history = model.fit(x, y, epochs=20, callbacks=[record, stop], verbose=0, shuffle=False)
    assert len(history.epoch) == 3 and stop.stopped_epoch == 2 and stop.best_epoch == 0
    for got, want in zip(model.get_weights(), snapshots[0]):
        np.testing.assert_array_equal(got, want)


def test_early_stopping_restores_a_different_epoch():
    x, y = _data()
    model = _model(lr=0.5)
    losses = []

    class Worsen(callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            if epoch == 2:  # make later epochs look worse by scrambling weights (before any callback
                # sees epoch 2: every epoch end then sees the weights its epoch trained)
                self.model.set_weights([w * 0 + 1 for w in self.model.get_weights()])

        def on_epoch_end(self, epoch, logs=None):
            losses.append(logs["loss"])

    snapshots = []
    rec = callbacks.LambdaCallback(on_epoch_end=lambda e, logs: snapshots.append(model.get_weights()))
    stop = callbacks.EarlyStopping(monitor="loss", patience=1, restore_best_weights=True, verbose=0)
    model.fit(x, y, epochs=10, callbacks=[rec, Worsen(), stop], verbose=0, shuffle=False)
    best = int(np.argmin(losses))
    assert best < len(losses) - 1, "the test needs a best epoch before the last one"
    for got, want in zip(model.get_weights(), snapshots[best]):
        np.testing.assert_array_equal(got, want)


def test_early_stopping_verbose_message(capsys):
    x, y = _data()
    stop = callbacks.EarlyStopping(monitor="loss", patience=0, verbose=1, mode="max")
    _model().fit(x, y, epochs=5, callbacks=[stop], verbose=0)
    assert "Epoch 2: early stopping" in capsys.readouterr().out


def test_model_checkpoint_names(tmp_path, monkeypatch):
    x, y = _data()
    model = _model()
    saved = []
    monkeypatch.setattr(type(model), "save", lambda self, path, overwrite=True, **k: saved.append(("model", path)))
    monkeypatch.setattr(type(model), "save_weights",
                        lambda self, path, overwrite=True, **k: saved.append(("weights", path)))
    template = str(tmp_path / "weights-{epoch:02d}-{val_loss:.2f}.weights.h5")
    cb = callbacks.ModelCheckpoint(template, save_weights_only=True)
    model.fit(x, y, epochs=2, validation_split=0.25, callbacks=[cb], verbose=0)
    names = [os.path.basename(p) for kind, p in saved]
    assert [k for k, _ in saved] == ["weights", "weights"]
    assert names[0].startswith("weights-01-") and names[1].startswith("weights-02-")
    val = model.history.history["val_loss"]
    assert names[1] == f"weights-02-{val[1]:.2f}.weights.h5"


def test_model_checkpoint_save_best_only(tmp_path, monkeypatch):
    x, y = _data()
    model = _model(lr=0.0)
    saved = []
    monkeypatch.setattr(type(model), "save", lambda self, path, overwrite=True, **k: saved.append(path))
    cb = callbacks.ModelCheckpoint(str(tmp_path / "m.keras"), monitor="loss", save_best_only=True)
    model.fit(x, y, epochs=3, callbacks=[cb], verbose=0, shuffle=False)
    assert len(saved) == 1  # lr=0: loss never improves after the first epoch


def test_model_checkpoint_save_freq_batches(tmp_path, monkeypatch):
    x, y = _data()
    model = _model()
    saved = []
    monkeypatch.setattr(type(model), "save", lambda self, path, overwrite=True, **k: saved.append(path))
    cb = callbacks.ModelCheckpoint(str(tmp_path / "m-{epoch}-{batch}.keras"), save_freq=2)
    model.fit(x, y, batch_size=16, epochs=1, callbacks=[cb], verbose=0)
    assert [os.path.basename(p) for p in saved] == ["m-1-2.keras", "m-1-4.keras"]


def test_csv_logger_append(tmp_path):
    x, y = _data()
    path = str(tmp_path / "log.csv")
    _model().fit(x, y, epochs=2, callbacks=[callbacks.CSVLogger(path)], verbose=0)
    _model().fit(x, y, epochs=1, callbacks=[callbacks.CSVLogger(path, append=True)], verbose=0)
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["epoch", "accuracy", "loss", "val_accuracy", "val_loss"]
    assert [r[0] for r in rows[1:]] == ["0", "1", "0"]
    assert rows[1][3] == "NA"
    _model().fit(x, y, epochs=1, callbacks=[callbacks.CSVLogger(path)], verbose=0)
    with open(path, newline="") as f:
        assert len(list(csv.reader(f))) == 2  # not appending: overwritten


def test_reduce_lr_on_plateau_changes_learning_rate():
    x, y = _data()
    model = _model(lr=0.1)
    model.trainable = False  # a frozen model: the loss is flat, so every epoch after the first is a plateau
    model.compile(optimizer=model.optimizer, loss=model.loss)  # compile() fixes which weights train
    cb = callbacks.ReduceLROnPlateau(monitor="loss", factor=0.5, patience=1, min_lr=0.0)
    history = model.fit(x, y, epochs=4, callbacks=[cb], verbose=0)
    np.testing.assert_allclose(float(model.optimizer.learning_rate), 0.1 * 0.5 ** 3, rtol=1e-6)
    np.testing.assert_allclose(history.history["learning_rate"], [0.1, 0.1, 0.05, 0.025], rtol=1e-6)  # logged before the cut


def test_learning_rate_scheduler():
    x, y = _data()
    model = _model()
    cb = callbacks.LearningRateScheduler(lambda epoch, lr: 0.1 / (epoch + 1))
    history = model.fit(x, y, epochs=3, callbacks=[cb], verbose=0)
    np.testing.assert_allclose(history.history["learning_rate"], [0.1, 0.05, 0.1 / 3], rtol=1e-6)
    cb1 = callbacks.LearningRateScheduler(lambda epoch: 0.01)  # Keras 1 style: epoch only
    model.fit(x, y, epochs=1, callbacks=[cb1], verbose=0)
    np.testing.assert_allclose(float(model.optimizer.learning_rate), 0.01, rtol=1e-6)


def test_lambda_callback_hooks():
    x, y = _data()
    seen = {"begin": 0, "end": 0, "batches": 0, "train_end": 0}
    cb = callbacks.LambdaCallback(
        on_epoch_begin=lambda e, logs: seen.__setitem__("begin", seen["begin"] + 1),
        on_epoch_end=lambda e, logs: seen.__setitem__("end", seen["end"] + 1),
        on_batch_end=lambda b, logs: seen.__setitem__("batches", seen["batches"] + 1),
        on_train_end=lambda logs: seen.__setitem__("train_end", seen["train_end"] + 1))
    _model().fit(x, y, batch_size=16, epochs=2, callbacks=[cb], verbose=0)
    assert seen == {"begin": 2, "end": 2, "batches": 8, "train_end": 1}


def test_terminate_on_nan(capsys):
    x, _ = _data()
    y = np.full((64, 3), np.nan, dtype="float32")
    model = keraslite.Sequential([layers.Dense(3, input_shape=(4,))])
    model.compile(optimizer="sgd", loss="mse")
    history = model.fit(x, y, batch_size=16, epochs=3, callbacks=[callbacks.TerminateOnNaN()], verbose=0)
    assert "Batch 0: Invalid loss, terminating training" in capsys.readouterr().out
    assert len(history.epoch) == 1


def test_batch_hooks_skipped_when_not_overridden():
    class EpochOnly(callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            pass

    cl = callbacks.CallbackList([EpochOnly()], add_history=True, add_progbar=False)
    assert all(not v for v in cl.batch_hooks.values())
    cl = callbacks.CallbackList([callbacks.TerminateOnNaN()])
    assert len(cl.batch_hooks["on_train_batch_end"]) == 1
    assert not cl.batch_hooks["on_test_batch_end"]


def test_backup_and_restore_resumes(tmp_path, monkeypatch):
    x, y = _data()
    model = _model()
    store = {}

    def save_weights(self, path, overwrite=True, **k):
        store[path] = self.get_weights()
        open(path, "w").close()

    def load_weights(self, path, **k):
        self.set_weights(store[path])

    monkeypatch.setattr(type(model), "save_weights", save_weights)
    monkeypatch.setattr(type(model), "load_weights", load_weights)
    backup = str(tmp_path / "backup")

    class Interrupt(callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 1:
                raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        model.fit(x, y, epochs=4, callbacks=[callbacks.BackupAndRestore(backup), Interrupt()], verbose=0)
    history = model.fit(x, y, epochs=4, callbacks=[callbacks.BackupAndRestore(backup)], verbose=0)
    assert history.epoch == [2, 3]  # epoch 1 was backed up before the interruption ran
    assert not os.path.exists(backup)


def _event_values(folder):
    """{tag: [(step, value)]} read back with TensorBoard's own event reader."""
    accumulator = pytest.importorskip("tensorboard.backend.event_processing.event_accumulator")
    acc = accumulator.EventAccumulator(str(folder), size_guidance={"scalars": 0, "histograms": 0, "images": 0,
                                                                   "tensors": 0})
    acc.Reload()
    tags = acc.Tags()
    out = {t: [(e.step, e.value) for e in acc.Scalars(t)] for t in tags["scalars"]}
    out.update({t: [(e.step, e.histogram_value) for e in acc.Histograms(t)] for t in tags["histograms"]})
    out.update({t: [(e.step, e) for e in acc.Images(t)] for t in tags["images"]})
    out.update({t: [(e.step, e.tensor_proto) for e in acc.Tensors(t)] for t in tags["tensors"]})
    return out


def test_tensorboard_logs_read_back_by_tensorboard(tmp_path):
    """The callback writes its own event files (no TensorFlow or tensorboard package needed);
    TensorBoard's reader finds Keras's tags and values in them."""
    x, y = _data()
    model = _model()
    log_dir = tmp_path / "logs"
    history = model.fit(x, y, epochs=3, batch_size=16, validation_split=0.25, verbose=0,
                        callbacks=[callbacks.TensorBoard(str(log_dir), histogram_freq=1)])
    assert sorted(os.listdir(log_dir)) == ["train", "validation"]
    train, val = _event_values(log_dir / "train"), _event_values(log_dir / "validation")
    for name in ("loss", "accuracy"):
        np.testing.assert_allclose([v for _, v in train[f"epoch_{name}"]], history.history[name], rtol=1e-6)
        np.testing.assert_allclose([v for _, v in val[f"epoch_{name}"]], history.history[f"val_{name}"], rtol=1e-6)
        assert [s for s, _ in train[f"epoch_{name}"]] == [0, 1, 2]
    # Keras also writes the optimizer's learning rate to train/ (epoch_learning_rate).
    np.testing.assert_allclose([v for _, v in train["epoch_learning_rate"]],
                               [float(model.optimizer.learning_rate)] * 3, rtol=1e-6)
    assert "epoch_learning_rate" not in val
    kernel = model.layers[0].kernel
    step, histo = train[kernel.path][-1]
    assert step == 2 and histo.num == kernel.numpy().size
    np.testing.assert_allclose([histo.min, histo.max, histo.sum], [kernel.numpy().min(), kernel.numpy().max(),
                                                                   kernel.numpy().sum()], rtol=1e-5)
    assert sum(histo.bucket) == kernel.numpy().size


def test_summary_writer_images_text_and_crc(tmp_path):
    from keraslite.utils.summary_writer import SummaryWriter, crc32c

    assert crc32c(b"123456789") == 0xE3069283  # the CRC-32C check value
    images = np.random.default_rng(0).random((2, 5, 4, 3)).astype("float32")
    with SummaryWriter(tmp_path) as writer:
        writer.add_images("pics", images, global_step=7, dataformats="NHWC")
        writer.add_text("note", "hello", global_step=1)
        writer.add_scalar("neg", -2.5, global_step=-1)
    values = _event_values(tmp_path)
    first = values["pics/image/0"][0][1]
    assert values["pics/image/0"][0][0] == 7 and (first.height, first.width) == (5, 4)
    pil = pytest.importorskip("PIL.Image")
    import io

    decoded = np.asarray(pil.open(io.BytesIO(first.encoded_image_string)))
    np.testing.assert_array_equal(decoded, (images[0] * 255 + 0.5).astype(np.uint8))
    assert values["note"][0][1].string_val == [b"hello"]
    assert values["neg"] == [(-1, -2.5)]


def test_keras22_acc_spelling_finds_the_accuracy_logs(tmp_path):
    """Keras 2.0-2.2 logged metrics=['accuracy'] as 'acc' / 'val_acc'; tutorials of that era read
    those names back from the history, monitor them and put them in checkpoint names."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((40, 4)).astype("float32")
    y = (x[:, 0] > 0).astype("float32")
    model = keraslite.Sequential([keraslite.Input((4,)), keraslite.layers.Dense(1, activation="sigmoid")])
    model.compile("adam", "binary_crossentropy", metrics=["accuracy"])
    seen = []
    path = str(tmp_path / "w-{epoch:02d}-{val_acc:.2f}.weights.h5")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a monitor that is not found warns
        history = model.fit(x, y, epochs=2, batch_size=8, validation_split=0.25, verbose=0, callbacks=[
            keraslite.callbacks.ModelCheckpoint(path, monitor="val_acc", save_weights_only=True),
            keraslite.callbacks.EarlyStopping(monitor="val_acc", patience=5),
            keraslite.callbacks.LambdaCallback(on_epoch_end=lambda e, logs: seen.append(
                (logs["acc"], logs.get("val_acc"), "val_acc" in logs)))])
    logged = history.history
    assert sorted(logged) == ["accuracy", "loss", "val_accuracy", "val_loss"]  # the names the user gave
    assert logged["acc"] == logged["accuracy"] and logged["val_acc"] == logged["val_accuracy"]
    assert seen == [(a, v, True) for a, v in zip(logged["accuracy"], logged["val_accuracy"])]
    names = sorted(os.listdir(tmp_path))
    assert names == [f"w-{i + 1:02d}-{v:.2f}.weights.h5" for i, v in enumerate(logged["val_accuracy"])]
    assert model.evaluate(x, y, verbose=0, return_dict=True)["acc"] == pytest.approx(
        model.evaluate(x, y, verbose=0, return_dict=True)["accuracy"])
    with pytest.raises(KeyError):
        logged["val_auc"]


def test_keras22_error_metric_spellings():
    """Keras 2.2 logged metrics=['mae'] as 'mean_absolute_error': the Boston housing listing of
    a well-known book reads history.history['val_mean_absolute_error']."""
    x, _ = _data(32)
    model = keraslite.Sequential([keraslite.Input((4,)), layers.Dense(1)])
    model.compile("rmsprop", "mse", metrics=["mae"])
    history = model.fit(x, x[:, :1], epochs=2, batch_size=8, validation_split=0.25, verbose=0)
    logged = history.history
    assert sorted(logged) == ["loss", "mae", "val_loss", "val_mae"]
    assert logged["val_mean_absolute_error"] == logged["val_mae"] and logged["mean_absolute_error"] == logged["mae"]
    assert "val_mean_squared_error" not in logged  # only names with a logged counterpart
    with pytest.raises(KeyError):
        logged["mean_squared_error"]


def test_keras2_base_logger_subclass_sees_the_usual_epoch_logs():
    # Keras 2 programs subclass BaseLogger (pyimagesearch's TrainingMonitor); the epoch logs it
    # and History get are the averages the loop reports without it.
    class Monitor(callbacks.BaseLogger):
        def __init__(self):
            super().__init__()

        def on_train_begin(self, logs=None):
            self.H = {}

        def on_epoch_end(self, epoch, logs=None):
            for k, v in logs.items():
                self.H.setdefault(k, []).append(v)

    x, y = _data()
    keraslite.utils.set_random_seed(0)
    plain = _model().fit(x, y, batch_size=16, epochs=2, validation_split=0.25, shuffle=False, verbose=0)
    keraslite.utils.set_random_seed(0)
    monitor, logger = Monitor(), callbacks.BaseLogger(stateful_metrics=["accuracy"])
    history = _model().fit(x, y, batch_size=16, epochs=2, validation_split=0.25, shuffle=False, verbose=0,
                           callbacks=[logger, monitor])
    assert logger.stateful_metrics == {"accuracy"}
    assert monitor.H == dict(history.history) == dict(plain.history)
    assert sorted(monitor.H) == ["accuracy", "loss", "val_accuracy", "val_loss"]


def test_tensorboard_update_freq_batch_writes_every_batch(tmp_path):
    """Keras: update_freq='batch' is update_freq=1 (a batch_<metric> scalar after each batch)."""
    x, y = _data()
    for freq, folder in (("batch", tmp_path / "a"), (1, tmp_path / "b"), ("epoch", tmp_path / "c")):
        _model().fit(x, y, epochs=1, batch_size=16, verbose=0,
                     callbacks=[callbacks.TensorBoard(str(folder), update_freq=freq)])
        train = _event_values(folder / "train")
        steps = len(x) // 16 + (len(x) % 16 > 0)
        if freq == "epoch":
            assert "batch_loss" not in train
        else:
            assert [s for s, _ in train["batch_loss"]] == list(range(1, steps + 1))


def test_tensorboard_embedding_arguments_warn_instead_of_vanishing(tmp_path):
    with pytest.warns(UserWarning, match="embeddings_freq, embeddings_layer_names"):
        callbacks.TensorBoard(str(tmp_path), embeddings_freq=1, embeddings_layer_names=["features"])
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        callbacks.TensorBoard(str(tmp_path), embeddings_freq=0, write_graph=True, batch_size=32)  # Keras 2 defaults
