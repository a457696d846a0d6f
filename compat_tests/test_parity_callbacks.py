"""Callback parity with Keras 3: the same training with the same callback stops at the same
epoch, logs the same learning rates, writes the same CSV columns and checkpoint names."""
import csv
import os

import numpy as np
import pytest

import keraslite
from compat_tests.conftest import keras


def _pair(lr=0.1):
    km = keras.Sequential([keras.Input((4,)), keras.layers.Dense(6, activation="relu"),
                           keras.layers.Dense(3, activation="softmax")])
    lm = keraslite.Sequential([keraslite.layers.Dense(6, activation="relu", input_shape=(4,)),
                               keraslite.layers.Dense(3, activation="softmax")])
    lm.set_weights(km.get_weights())
    for m, mod in ((km, keras), (lm, keraslite)):
        m.compile(optimizer=mod.optimizers.SGD(lr), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return km, lm


def _data():
    rng = np.random.default_rng(0)
    return rng.standard_normal((64, 4)).astype("float32"), rng.integers(0, 3, 64)


def _fit(model, callbacks, **kw):
    x, y = _data()
    args = dict(epochs=12, batch_size=16, shuffle=False, verbose=0, validation_split=0.25)
    args.update(kw)
    return model.fit(x, y, callbacks=callbacks, **args)


def _assert_history(lh, kh):
    assert list(lh.history) == list(kh.history)
    for key in kh.history:
        np.testing.assert_allclose(lh.history[key], kh.history[key], rtol=1e-3, atol=1e-6, err_msg=key)


@pytest.mark.parametrize("kwargs", [
    dict(monitor="val_loss", patience=1, restore_best_weights=True),
    dict(monitor="val_accuracy", patience=2, min_delta=0.01),
    dict(monitor="loss", patience=0, baseline=0.1),
    dict(monitor="val_loss", patience=1, start_from_epoch=4),
])
def test_early_stopping(kwargs):
    km, lm = _pair(lr=0.5)
    kcb, lcb = keras.callbacks.EarlyStopping(**kwargs), keraslite.callbacks.EarlyStopping(**kwargs)
    kh, lh = _fit(km, [kcb]), _fit(lm, [lcb])
    _assert_history(lh, kh)
    assert lcb.stopped_epoch == kcb.stopped_epoch and lcb.best_epoch == kcb.best_epoch
    for a, b in zip(lm.get_weights(), km.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-3, atol=1e-4)


def test_reduce_lr_on_plateau_and_scheduler():
    km, lm = _pair(lr=0.5)
    kw = dict(monitor="val_loss", factor=0.5, patience=1, min_delta=1e-3, cooldown=1, min_lr=0.05)
    kh = _fit(km, [keras.callbacks.ReduceLROnPlateau(**kw)])
    lh = _fit(lm, [keraslite.callbacks.ReduceLROnPlateau(**kw)])
    _assert_history(lh, kh)
    km, lm = _pair()
    schedule = lambda epoch, lr: lr * 0.9 if epoch else lr  # noqa: E731
    kh = _fit(km, [keras.callbacks.LearningRateScheduler(schedule)], epochs=4)
    lh = _fit(lm, [keraslite.callbacks.LearningRateScheduler(schedule)], epochs=4)
    _assert_history(lh, kh)


def test_reduce_lr_on_plateau_counts_first_epoch_as_best():
    """The first monitored value is the best so far even when it is NaN (Keras 3 starts from no
    best value): the rate drops once after two NaN epochs, not after each."""
    km, lm = _pair(lr=0.5)
    x, y = _data()
    x = x.copy()
    x[0, 0] = np.nan  # every epoch's loss is NaN; the weights are never read back
    kw = dict(monitor="loss", factor=0.2, patience=1, min_lr=0.0)
    kopt, lopt = keras.optimizers.SGD(0.5), keraslite.optimizers.SGD(0.5)
    km.compile(optimizer=kopt, loss="sparse_categorical_crossentropy")
    lm.compile(optimizer=lopt, loss="sparse_categorical_crossentropy")
    args = dict(epochs=3, batch_size=64, shuffle=False, verbose=0)
    kh = km.fit(x, y, callbacks=[keras.callbacks.ReduceLROnPlateau(**kw)], **args)
    lh = lm.fit(x, y, callbacks=[keraslite.callbacks.ReduceLROnPlateau(**kw)], **args)
    assert lh.history["learning_rate"] == pytest.approx(kh.history["learning_rate"])
    assert float(lopt.learning_rate) == pytest.approx(float(np.asarray(kopt.learning_rate)))


def test_csv_logger(tmp_path):
    km, lm = _pair()
    kp, lp = str(tmp_path / "k.csv"), str(tmp_path / "l.csv")
    _fit(km, [keras.callbacks.CSVLogger(kp)], epochs=3, validation_split=0.0)
    _fit(lm, [keraslite.callbacks.CSVLogger(lp)], epochs=3, validation_split=0.0)
    with open(kp, newline="") as f:
        krows = list(csv.reader(f))
    with open(lp, newline="") as f:
        lrows = list(csv.reader(f))
    assert lrows[0] == krows[0]
    for kr, lr in zip(krows[1:], lrows[1:]):
        assert [c == "NA" for c in lr] == [c == "NA" for c in kr]
        nums = [(float(a), float(b)) for a, b in zip(lr, kr) if b != "NA"]
        np.testing.assert_allclose([a for a, _ in nums], [b for _, b in nums], rtol=1e-3)
    with open(kp, "rb") as f, open(lp, "rb") as g:
        assert f.read().count(b"\r\n") == g.read().count(b"\r\n")


def test_model_checkpoint_names(tmp_path, monkeypatch):
    km, lm = _pair(lr=0.5)
    template = "w-{epoch:02d}-{val_loss:.2f}.weights.h5"
    kdir, ldir = tmp_path / "k", tmp_path / "l"
    kdir.mkdir(), ldir.mkdir()
    saved = []
    monkeypatch.setattr(type(lm), "save_weights", lambda self, path, overwrite=True, **k: saved.append(path))
    kcb = keras.callbacks.ModelCheckpoint(str(kdir / template), save_weights_only=True, save_best_only=True)
    lcb = keraslite.callbacks.ModelCheckpoint(str(ldir / template), save_weights_only=True, save_best_only=True)
    _fit(km, [kcb], epochs=5)
    _fit(lm, [lcb], epochs=5)
    assert sorted(os.path.basename(p) for p in saved) == sorted(os.listdir(kdir))


def test_terminate_on_nan(capsys):
    x, _ = _data()
    y = np.full((64, 3), np.nan, dtype="float32")
    hist = []
    for mod in (keras, keraslite):
        m = mod.Sequential([mod.layers.Dense(3, input_shape=(4,))])
        m.compile(optimizer="sgd", loss="mse")
        h = m.fit(x, y, batch_size=16, epochs=3, verbose=0, callbacks=[mod.callbacks.TerminateOnNaN()])
        hist.append(len(h.epoch))
    out = capsys.readouterr().out
    assert out.count("Batch 0: Invalid loss, terminating training") == 2
    assert hist[0] == hist[1]


def test_model_checkpoint_messages_and_best(tmp_path, capsys):
    """save_best_only with verbose=1 prints Keras's lines ("improved from None" the first time)
    and `best` starts as None."""
    km, lm = _pair(lr=0.5)
    printed = {}
    for name, model, mod in (("keras", km, keras), ("lite", lm, keraslite)):
        cb = mod.callbacks.ModelCheckpoint(str(tmp_path / f"{name}-{{epoch}}.keras"), save_best_only=True, verbose=1)
        assert cb.best is None
        capsys.readouterr()
        _fit(model, [cb], epochs=4)
        printed[name] = [line.replace(f"{name}-", "") for line in capsys.readouterr().out.splitlines()
                         if line.startswith("Epoch")]
    assert printed["lite"] == printed["keras"]
    assert "improved from None to" in printed["keras"][0]


def test_model_checkpoint_without_the_monitored_value_saves(tmp_path):
    """Keras warns and saves every epoch when the monitored value is missing from the logs."""
    km, lm = _pair()
    for name, model, mod in (("keras", km, keras), ("lite", lm, keraslite)):
        cb = mod.callbacks.ModelCheckpoint(str(tmp_path / name / "m-{epoch}.keras"), save_best_only=True)
        with pytest.warns(UserWarning, match="Can save best model only with val_loss available"):
            _fit(model, [cb], epochs=2, validation_split=0.0)
    assert sorted(os.listdir(tmp_path / "lite")) == sorted(os.listdir(tmp_path / "keras"))


def _hook_recorder(mod):
    class Recorder(mod.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.seen = []

        def _record(self, hook, logs):
            self.seen.append((hook, sorted(logs.keys())))  # Keras hands every hook a dict

    for hook in ("on_train_begin", "on_train_end", "on_test_begin", "on_test_end", "on_predict_begin",
                 "on_predict_end"):
        setattr(Recorder, hook, lambda self, logs=None, _h=hook: self._record(_h, logs))
    for hook in ("on_epoch_begin", "on_epoch_end", "on_train_batch_begin", "on_train_batch_end",
                 "on_test_batch_begin", "on_test_batch_end", "on_predict_batch_begin", "on_predict_batch_end"):
        setattr(Recorder, hook, lambda self, i, logs=None, _h=hook: self._record(_h, logs))
    return Recorder()


def test_every_hook_gets_a_logs_dict():
    km, lm = _pair()
    x, y = _data()
    seen = []
    for model, mod in ((km, keras), (lm, keraslite)):
        rec = _hook_recorder(mod)
        model.fit(x, y, batch_size=32, epochs=1, verbose=0, validation_split=0.5, callbacks=[rec])
        model.evaluate(x, y, batch_size=32, verbose=0, callbacks=[rec])
        model.predict(x, batch_size=32, verbose=0, callbacks=[rec])
        seen.append(rec.seen)
    assert seen[1] == seen[0]


@pytest.mark.parametrize("verbose", ["auto", 0, 2])
def test_history_params_show_verbose_as_given(verbose):
    def run(lib):
        model = lib.Sequential([lib.Input((2,)), lib.layers.Dense(1)])
        model.compile("sgd", "mse")
        kwargs = {} if verbose == "auto" else {"verbose": verbose}
        return model.fit(np.ones((8, 2)), np.ones((8, 1)), epochs=1, **kwargs).params

    assert run(keraslite) == run(keras)


@pytest.mark.parametrize("wrap", [lambda cb: cb, lambda cb: (cb,)], ids=["one callback", "tuple"])
def test_callbacks_argument_takes_one_callback_or_a_tuple(wrap):
    # A single callback object is accepted, as TF's audio tutorial passes it.
    km, lm = _pair(lr=0.5)
    kw = dict(monitor="val_loss", patience=1)
    kcb, lcb = keras.callbacks.EarlyStopping(**kw), keraslite.callbacks.EarlyStopping(**kw)
    kh, lh = _fit(km, wrap(kcb)), _fit(lm, wrap(lcb))
    _assert_history(lh, kh)
    assert lcb.stopped_epoch == kcb.stopped_epoch


@pytest.mark.parametrize("swap_on_epoch", [False, True])
def test_swap_ema_weights(swap_on_epoch, tmp_path):
    """Validation runs on the averaged weights, the training continues from the raw ones, and
    checkpoints placed after the callback hold the averages when swap_on_epoch is set."""
    km, lm = _pair(lr=0.5)
    for m, mod in ((km, keras), (lm, keraslite)):
        m.compile(optimizer=mod.optimizers.SGD(0.5, use_ema=True, ema_momentum=0.8),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    saved = {}
    for m, mod, tag in ((km, keras, "k"), (lm, keraslite, "l")):
        path = str(tmp_path / f"{tag}.weights.h5")
        callbacks = [mod.callbacks.SwapEMAWeights(swap_on_epoch=swap_on_epoch),
                     mod.callbacks.ModelCheckpoint(path, save_weights_only=True)]
        saved[tag] = (_fit(m, callbacks, epochs=4), path)
    _assert_history(saved["l"][0], saved["k"][0])
    for a, b in zip(lm.get_weights(), km.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)
    km.load_weights(saved["k"][1])
    lm.load_weights(saved["l"][1])
    for a, b in zip(lm.get_weights(), km.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)
    x, y = _data()
    kcb, lcb = keras.callbacks.SwapEMAWeights(), keraslite.callbacks.SwapEMAWeights()
    np.testing.assert_allclose(lm.evaluate(x, y, verbose=0, callbacks=[lcb]),
                               km.evaluate(x, y, verbose=0, callbacks=[kcb]), rtol=1e-4)


def test_swap_ema_weights_needs_an_ema_optimizer():
    _, lm = _pair()
    x, y = _data()
    with pytest.raises(ValueError, match="use_ema=True"):
        _fit(lm, [keraslite.callbacks.SwapEMAWeights()], epochs=1)
