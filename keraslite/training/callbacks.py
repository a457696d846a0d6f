"""Callbacks (`keras.callbacks`): the Callback base, CallbackList and the standard callbacks.

Owns: every Keras hook and its default (nothing), CallbackList (which also decides which
per-batch hooks anyone overrides, so that the training loop skips the rest at no cost),
History, BaseLogger, ProgbarLogger, EarlyStopping, ModelCheckpoint, ReduceLROnPlateau,
LearningRateScheduler, CSVLogger, LambdaCallback, TerminateOnNaN, BackupAndRestore, SwapEMAWeights,
TensorBoard, RemoteMonitor-free.

Leaves to others: the loops (loop.py decides when hooks run), the bar text (progbar.py),
file formats (model.save / save_weights / load_weights in keraslite.saving).

Logs: callbacks receive plain dicts of Python floats, sorted by name as Keras does. Per-batch
logs are only built (which reads values off the device) when a callback that takes them
overrides a batch hook; ProgbarLogger reads them only when it is about to draw.
"""
import collections
import csv
import json
import os
import shutil
import sys
import time
import warnings

import numpy as np
import torch

from keraslite.training import distributed
from keraslite.training.logs import Logs
from keraslite.training.progbar import Progbar

__all__ = ["BaseLogger", "Callback", "CallbackList", "History", "ProgbarLogger", "EarlyStopping", "ModelCheckpoint",
           "ReduceLROnPlateau", "LearningRateScheduler", "CSVLogger", "LambdaCallback", "TerminateOnNaN",
           "BackupAndRestore", "SwapEMAWeights", "TensorBoard", "RemoteMonitor"]

_BATCH_HOOKS = ("on_train_batch_begin", "on_train_batch_end", "on_test_batch_begin", "on_test_batch_end",
                "on_predict_batch_begin", "on_predict_batch_end")


def _print(msg):
    from keraslite.utils.io_utils import print_msg

    print_msg(msg)


class Callback:
    """Base class: every hook does nothing. Subclasses override the hooks they need."""

    _process_zero_only = False  # in a multi-process run, only process 0 runs it (it writes files)

    def __init__(self):
        self.validation_data = None
        self.model = None
        self.params = {}

    def set_params(self, params):
        self.params = params

    def set_model(self, model):
        self.model = model

    def on_batch_begin(self, batch, logs=None):
        """Keras 2 alias of on_train_batch_begin."""

    def on_batch_end(self, batch, logs=None):
        """Keras 2 alias of on_train_batch_end."""

    def on_epoch_begin(self, epoch, logs=None):
        pass

    def on_epoch_end(self, epoch, logs=None):
        pass

    def on_train_batch_begin(self, batch, logs=None):
        self.on_batch_begin(batch, logs=logs)

    def on_train_batch_end(self, batch, logs=None):
        self.on_batch_end(batch, logs=logs)

    def on_test_batch_begin(self, batch, logs=None):
        pass

    def on_test_batch_end(self, batch, logs=None):
        pass

    def on_predict_batch_begin(self, batch, logs=None):
        pass

    def on_predict_batch_end(self, batch, logs=None):
        pass

    def on_train_begin(self, logs=None):
        pass

    def on_train_end(self, logs=None):
        pass

    def on_test_begin(self, logs=None):
        pass

    def on_test_end(self, logs=None):
        pass

    def on_predict_begin(self, logs=None):
        pass

    def on_predict_end(self, logs=None):
        pass


def _overrides(cb, hook):
    """Whether `cb` does something in `hook` (class override or instance attribute)."""
    if hook in getattr(cb, "__dict__", {}):
        return True
    if not isinstance(cb, Callback):
        return hasattr(cb, hook)
    mine = getattr(type(cb), hook, None)
    if mine is not getattr(Callback, hook):
        return True
    alias = {"on_train_batch_begin": "on_batch_begin", "on_train_batch_end": "on_batch_end"}.get(hook)
    return alias is not None and (alias in cb.__dict__ or getattr(type(cb), alias) is not getattr(Callback, alias))


def _flat_callbacks(callbacks):
    """`callbacks=` as Keras takes it: one callback, or a list/tuple of them (nested lists,
    which Keras 3 rejects, are flattened)."""
    if not callbacks:
        return []
    if not isinstance(callbacks, (list, tuple)):
        return [callbacks]
    return [cb for item in callbacks for cb in _flat_callbacks(item)]


class CallbackList:
    """Calls a list of callbacks in order; adds History and ProgbarLogger as Keras does.

    `batch_hooks[name]` lists only the callbacks that override a per-batch hook, so the loop
    can test `if callbacks.batch_hooks[...]` and skip building logs when nobody listens.
    """

    def __init__(self, callbacks=None, add_history=False, add_progbar=False, model=None, **params):
        self.callbacks = distributed.own_callbacks(_flat_callbacks(callbacks))
        self._history = None
        self._progbar = None
        for cb in self.callbacks:
            if isinstance(cb, ProgbarLogger):
                self._progbar = cb
            elif isinstance(cb, History):
                self._history = cb
        if self._history is None and add_history:
            self._history = History()
            self.callbacks.append(self._history)
        if self._progbar is None and add_progbar:
            self._progbar = ProgbarLogger()
            self.callbacks.append(self._progbar)
        self.model = None
        self.params = {}
        if model is not None:
            self.set_model(model)
        if params:
            self.set_params(params)
        self._refresh_hooks()

    def _refresh_hooks(self):
        self.batch_hooks = {h: [cb for cb in self.callbacks if _overrides(cb, h)] for h in _BATCH_HOOKS}
        # ProgbarLogger only needs batch-end calls when it redraws a live bar.
        for h in ("on_train_batch_end", "on_test_batch_end", "on_predict_batch_end"):
            self.batch_hooks[h] = [cb for cb in self.batch_hooks[h]
                                   if not (isinstance(cb, ProgbarLogger) and not cb.wants_batches())]
        # Hooks whose callbacks all accept lazily built logs (only ProgbarLogger does).
        self.lazy_ok = {h: all(isinstance(cb, ProgbarLogger) for cb in self.batch_hooks[h]) for h in _BATCH_HOOKS}

    def append(self, callback):
        self.callbacks.append(callback)
        self._refresh_hooks()

    def set_params(self, params):
        self.params = params
        for cb in self.callbacks:
            cb.set_params(params)
        self._refresh_hooks()

    def set_model(self, model):
        self.model = model
        if self._history is not None:
            model.history = self._history
        for cb in self.callbacks:
            cb.set_model(model)

    def _call(self, hook, *args):
        # Keras hands every hook a dict: `{}` where the loop has no logs to give.
        *args, logs = args
        args.append({} if logs is None else logs)
        for cb in self.callbacks:
            getattr(cb, hook)(*args)

    def _call_batch(self, hook, batch, logs):
        """`logs` is a dict, or a zero-argument function building it (read only if needed)."""
        cbs = self.batch_hooks[hook]
        if not cbs:
            return
        if logs is None:
            logs = {}
        elif callable(logs):
            if self.lazy_ok[hook]:
                for cb in cbs:
                    cb._lazy_batch(hook, batch, logs)
                return
            logs = logs()
        for cb in cbs:
            getattr(cb, hook)(batch, logs)

    def on_train_begin(self, logs=None):
        self._call("on_train_begin", logs)

    def on_train_end(self, logs=None):
        self._call("on_train_end", logs)

    def on_epoch_begin(self, epoch, logs=None):
        self._call("on_epoch_begin", epoch, logs)

    def on_epoch_end(self, epoch, logs=None):
        self._call("on_epoch_end", epoch, logs)

    def on_test_begin(self, logs=None):
        self._call("on_test_begin", logs)

    def on_test_end(self, logs=None):
        self._call("on_test_end", logs)

    def on_predict_begin(self, logs=None):
        self._call("on_predict_begin", logs)

    def on_predict_end(self, logs=None):
        self._call("on_predict_end", logs)

    def on_train_batch_begin(self, batch, logs=None):
        self._call_batch("on_train_batch_begin", batch, logs)

    def on_train_batch_end(self, batch, logs=None):
        self._call_batch("on_train_batch_end", batch, logs)

    def on_test_batch_begin(self, batch, logs=None):
        self._call_batch("on_test_batch_begin", batch, logs)

    def on_test_batch_end(self, batch, logs=None):
        self._call_batch("on_test_batch_end", batch, logs)

    def on_predict_batch_begin(self, batch, logs=None):
        self._call_batch("on_predict_batch_begin", batch, logs)

    def on_predict_batch_end(self, batch, logs=None):
        self._call_batch("on_predict_batch_end", batch, logs)

    def __iter__(self):
        return iter(self.callbacks)


class History(Callback):
    """Records epoch logs into `history` (a dict of lists); fit() returns it."""

    def __init__(self):
        super().__init__()
        self.history = Logs()  # a dict; 'acc' also finds 'accuracy' and back (see training.logs)
        self.epoch = []

    def on_train_begin(self, logs=None):
        self.epoch = []

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        for k, v in (logs or {}).items():
            self.history.setdefault(k, []).append(v)
        if self.model is not None:
            self.model.history = self


class BaseLogger(Callback):
    """Keras 2's BaseLogger, which Keras 2's fit added to every run to average the batch logs
    into the epoch logs. Here the training loop already reports epoch averages (as Keras 3,
    which dropped this class, does), so a BaseLogger leaves the logs as they are: it exists to
    be subclassed (`class TrainingMonitor(BaseLogger)`) or listed in `callbacks=` unchanged.
    `stateful_metrics` names metrics reported as their last value, not averaged."""

    def __init__(self, stateful_metrics=None):
        super().__init__()
        self.stateful_metrics = set(stateful_metrics or [])


class ProgbarLogger(Callback):
    """Prints `Epoch i/N` (when epochs > 1) and a Progbar per epoch / evaluate / predict."""

    def __init__(self, count_mode=None, stateful_metrics=None):
        super().__init__()
        self.seen = 0
        self.progbar = None
        self.target = None
        self.verbose = 1
        self.epochs = 1
        self._called_in_fit = False

    def set_params(self, params):
        verbose = params.get("verbose", 1)
        self.verbose = 1 if verbose == "auto" else verbose
        self.epochs = params.get("epochs", 1)
        self.target = params.get("steps")

    def wants_batches(self):
        """Per-batch calls matter only for a live (terminal) verbose=1 bar."""
        from keraslite.training.progbar import _is_dynamic

        return self.verbose == 1 and _is_dynamic(sys.stdout)

    def _reset(self):
        self.seen = 0
        self.progbar = None

    def _maybe_init(self):
        if self.progbar is None:
            self.progbar = Progbar(target=self.target, verbose=self.verbose, unit_name="step",
                                   stateless_metrics=set())

    def on_train_begin(self, logs=None):
        self._called_in_fit = True

    def on_test_begin(self, logs=None):
        if not self._called_in_fit:
            self._reset()
            self._maybe_init()

    def on_predict_begin(self, logs=None):
        self._reset()
        self._maybe_init()

    def on_epoch_begin(self, epoch, logs=None):
        self._reset()
        self._maybe_init()
        if self.verbose and self.epochs > 1:
            _print(f"Epoch {epoch + 1}/{self.epochs}")

    def _update(self, batch, logs):
        self._maybe_init()
        self.seen = batch + 1
        if self.verbose == 1:
            self.progbar.update(self.seen, list((logs or {}).items()), finalize=False)

    def _lazy_batch(self, hook, batch, get_logs):
        if hook == "on_test_batch_end" and self._called_in_fit:
            return
        self._maybe_init()
        self.seen = batch + 1
        self.progbar.mark_step(self.seen)
        if self.verbose == 1 and self.progbar.should_draw():
            logs = get_logs() if hook != "on_predict_batch_end" else None
            self.progbar.update(self.seen, list((logs or {}).items()), finalize=False)

    def on_train_batch_end(self, batch, logs=None):
        self._update(batch, logs)

    def on_test_batch_end(self, batch, logs=None):
        if not self._called_in_fit:
            self._update(batch, logs)

    def on_predict_batch_end(self, batch, logs=None):
        self._update(batch, None)

    def on_epoch_end(self, epoch, logs=None):
        self._finalize(logs)

    def on_test_end(self, logs=None):
        if not self._called_in_fit:
            self._finalize(logs)

    def on_predict_end(self, logs=None):
        self._finalize(logs)

    def _finalize(self, logs):
        self._maybe_init()
        if self.target is None:
            self.target = self.seen
            self.progbar.target = self.target
        self.progbar.update(self.target, list((logs or {}).items()), finalize=True)


# ----------------------------------------------------------------------------- monitoring helpers

_MAX_WORDS = ("acc", "auc", "precision", "recall", "f1", "fmeasure", "iou", "r2", "true_positives",
              "true_negatives", "specificity", "sensitivity")


def _direction(model, monitor):
    """'min' or 'max' for a monitored quantity in mode='auto' (Keras's rules)."""
    name = monitor[4:] if monitor.startswith("val_") else monitor
    if name == "loss" or name.endswith("_loss"):
        return "min"
    for m in getattr(model, "metrics", None) or []:
        if getattr(m, "name", None) == name and getattr(m, "_direction", None) in ("up", "down"):
            return "max" if m._direction == "up" else "min"
    if any(w in name for w in _MAX_WORDS):
        return "max"
    return "min"


def _weights_of(model):
    return [np.array(w, copy=True) for w in model.get_weights()]


class EarlyStopping(Callback):
    """Stop training when `monitor` has stopped improving for `patience` epochs."""

    def __init__(self, monitor="val_loss", min_delta=0, patience=0, verbose=0, mode="auto", baseline=None,
                 restore_best_weights=False, start_from_epoch=0):
        super().__init__()
        if mode not in ("auto", "min", "max"):
            warnings.warn(f"EarlyStopping mode {mode} is unknown, fallback to auto mode.", stacklevel=2)
            mode = "auto"
        self.monitor = monitor
        self.patience = patience
        self.verbose = verbose
        self.baseline = baseline
        self.min_delta = abs(min_delta)
        self.mode = mode
        self.restore_best_weights = restore_best_weights
        self.start_from_epoch = start_from_epoch
        self.wait = 0
        self.stopped_epoch = 0
        self.best = None
        self.best_weights = None
        self.best_epoch = 0

    def on_train_begin(self, logs=None):
        self.wait = 0
        self.stopped_epoch = 0
        self.best = None
        self.best_weights = None
        self.best_epoch = 0
        self._mode = self.mode if self.mode != "auto" else _direction(self.model, self.monitor)

    def _improved(self, current, reference):
        if reference is None:
            return True
        if self._mode == "min":
            return current + self.min_delta < reference
        return current - self.min_delta > reference

    def on_epoch_end(self, epoch, logs=None):
        current = (logs or {}).get(self.monitor)
        if current is None:
            warnings.warn(f"Early stopping conditioned on metric `{self.monitor}` which is not available. "
                          f"Available metrics are: {','.join(logs or {})}", stacklevel=2)
            return
        if epoch < self.start_from_epoch:
            return
        if self.restore_best_weights and self.best_weights is None:
            self.best_weights = _weights_of(self.model)
        self.wait += 1
        if self._improved(current, self.best):
            self.best = current
            self.best_epoch = epoch
            if self.restore_best_weights:
                self.best_weights = _weights_of(self.model)
            if self.baseline is None or self._improved(current, self.baseline):
                self.wait = 0
            return
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def on_train_end(self, logs=None):
        if self.stopped_epoch > 0 and self.verbose > 0:
            _print(f"Epoch {self.stopped_epoch + 1}: early stopping")
        if self.restore_best_weights and self.best_weights is not None:
            if self.verbose > 0:
                _print(f"Restoring model weights from the end of the best epoch: {self.best_epoch + 1}.")
            self.model.set_weights(self.best_weights)

    def get_monitor_value(self, logs):
        return (logs or {}).get(self.monitor)


class ModelCheckpoint(Callback):
    """Save the model (or its weights) every epoch or every `save_freq` batches.

    `filepath` may hold format fields: `{epoch:02d}`, `{batch}`, and any log key such as
    `{val_loss:.2f}`.
    """

    _process_zero_only = True

    def __init__(self, filepath, monitor="val_loss", verbose=0, save_best_only=False, save_weights_only=False,
                 mode="auto", save_freq="epoch", initial_value_threshold=None, options=None, period=None):
        super().__init__()
        self.filepath = os.fspath(filepath)
        self.monitor = monitor
        self.verbose = verbose
        self.save_best_only = save_best_only
        self.save_weights_only = save_weights_only
        self.save_freq = save_freq
        self.period = period  # Keras 2: save every `period` epochs
        if save_freq != "epoch" and not isinstance(save_freq, int):
            raise ValueError(f"Unrecognized save_freq: {save_freq!r}. Expected 'epoch' or an integer number of "
                             "batches.")
        if mode not in ("auto", "min", "max"):
            warnings.warn(f"ModelCheckpoint mode '{mode}' is unknown, fallback to auto mode.", stacklevel=2)
            mode = "auto"
        self.mode = mode
        self.best = initial_value_threshold
        self._batches_seen = 0
        self._current_epoch = 0

    def on_train_begin(self, logs=None):
        # `best` stays None until the first monitored value (Keras prints "improved from None").
        self._mode = self.mode if self.mode != "auto" else _direction(self.model, self.monitor)

    def on_epoch_begin(self, epoch, logs=None):
        self._current_epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        if isinstance(self.save_freq, int):
            self._batches_seen += 1
            if self._batches_seen >= self.save_freq:
                self._batches_seen = 0
                self._save(self._current_epoch, batch, logs)

    def on_epoch_end(self, epoch, logs=None):
        if self.save_freq == "epoch":
            if self.period and (epoch + 1) % self.period:
                return
            self._save(epoch, None, logs)

    def _path(self, epoch, batch, logs):
        try:
            fields = Logs(logs or {}, epoch=epoch + 1)  # {val_acc} also finds val_accuracy
            if batch is not None and "batch" in self.filepath:
                fields["batch"] = batch + 1
            return self.filepath.format_map(fields)
        except KeyError as e:
            raise KeyError(f'Failed to format this callback filepath: "{self.filepath}". Reason: {e!r} is not '
                           f"in the logs; available keys are {sorted(logs or {})}.") from e

    def _write(self, path, epoch):
        directory = os.path.dirname(path)
        if directory:
            os.makedirs(directory, exist_ok=True)
        if self.save_weights_only:
            self.model.save_weights(path, overwrite=True)
        else:
            self.model.save(path, overwrite=True)
        if self.verbose > 0:
            _print(f"\nEpoch {epoch + 1}: finished saving model to {path}")

    def _save(self, epoch, batch, logs):
        logs = logs or {}
        path = self._path(epoch, batch, logs)
        if not self.save_best_only:
            if self.verbose > 0:
                _print(f"\nEpoch {epoch + 1}: saving model to {path}")
            self._write(path, epoch)
            return
        current = logs.get(self.monitor)
        if current is None:
            # Keras warns and saves anyway: there is nothing to compare.
            warnings.warn(f"Can save best model only with {self.monitor} available.", stacklevel=2)
            self._write(path, epoch)
            return
        if np.ndim(current) > 0:
            warnings.warn(f"Can save best model only when `monitor` is a scalar value. Received: {current}. "
                          "Falling back to `save_best_only=False`.", stacklevel=2)
            self._write(path, epoch)
            return
        best_str = "None" if self.best is None else f"{self.best:.5f}"
        better = self.best is None or (current < self.best if self._mode == "min" else current > self.best)
        if better:
            if self.verbose > 0:
                _print(f"\nEpoch {epoch + 1}: {self.monitor} improved from {best_str} to {current:.5f}, "
                       f"saving model to {path}")
            self.best = current
            self._write(path, epoch)
        elif self.verbose > 0:
            _print(f"\nEpoch {epoch + 1}: {self.monitor} did not improve from {best_str}")


def _get_lr(model):
    return float(np.asarray(_as_float(model.optimizer.learning_rate)))


def _as_float(value):
    if hasattr(value, "detach"):
        return value.detach().cpu().item()
    if hasattr(value, "numpy"):
        return value.numpy()
    return value


def _set_lr(model, value):
    model.optimizer.learning_rate = float(value)


class ReduceLROnPlateau(Callback):
    """Multiply the learning rate by `factor` when `monitor` stops improving for `patience` epochs."""

    def __init__(self, monitor="val_loss", factor=0.1, patience=10, verbose=0, mode="auto", min_delta=1e-4,
                 cooldown=0, min_lr=0.0, **kwargs):
        super().__init__()
        if "epsilon" in kwargs:  # Keras 2.0 name of min_delta
            min_delta = kwargs.pop("epsilon")
        if kwargs:
            raise TypeError(f"ReduceLROnPlateau got unexpected keyword argument(s) {sorted(kwargs)}.")
        if factor >= 1.0:
            raise ValueError(f"ReduceLROnPlateau does not support a factor >= 1.0. Received factor={factor}")
        self.monitor = monitor
        self.factor = factor
        self.min_lr = min_lr
        self.min_delta = min_delta
        self.patience = patience
        self.verbose = verbose
        self.cooldown = cooldown
        self.mode = mode if mode in ("auto", "min", "max") else "auto"
        self.cooldown_counter = 0
        self.wait = 0
        self._mode = self.mode if self.mode != "auto" else _direction(None, monitor)
        self._reset()

    def _reset(self):
        # As Keras 3: no best value until the first monitored one, which always counts as an
        # improvement (a NaN first loss included), so a reduction needs `patience` epochs after it.
        self.best = None
        self.cooldown_counter = 0
        self.wait = 0

    def _better(self, current):
        if self.best is None:
            return True
        if self._mode == "min":
            return current < self.best - self.min_delta
        return current > self.best + self.min_delta

    def on_train_begin(self, logs=None):
        self._reset()
        self._mode = self.mode if self.mode != "auto" else _direction(self.model, self.monitor)

    def on_epoch_end(self, epoch, logs=None):
        logs = logs if logs is not None else {}
        logs["learning_rate"] = _get_lr(self.model)
        current = logs.get(self.monitor)
        if current is None:
            warnings.warn(f"Learning rate reduction is conditioned on metric `{self.monitor}` which is not "
                          f"available. Available metrics are: {','.join(logs)}.", stacklevel=2)
            return
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.wait = 0
        if self._better(current):
            self.best = current
            self.wait = 0
        elif self.cooldown_counter <= 0:
            self.wait += 1
            if self.wait >= self.patience:
                old_lr = _get_lr(self.model)
                if old_lr > np.float32(self.min_lr):
                    new_lr = max(old_lr * self.factor, self.min_lr)
                    _set_lr(self.model, new_lr)
                    if self.verbose > 0:
                        _print(f"\nEpoch {epoch + 1}: ReduceLROnPlateau reducing learning rate to {new_lr}.")
                    self.cooldown_counter = self.cooldown
                    self.wait = 0

    def in_cooldown(self):
        return self.cooldown_counter > 0


class LearningRateScheduler(Callback):
    """Set the learning rate at each epoch start from `schedule(epoch, lr)` (or `schedule(epoch)`)."""

    def __init__(self, schedule, verbose=0):
        super().__init__()
        self.schedule = schedule
        self.verbose = verbose

    def on_epoch_begin(self, epoch, logs=None):
        lr = _get_lr(self.model)
        try:
            lr = self.schedule(epoch, lr)
        except TypeError:  # Keras 1/2 schedules take only the epoch
            lr = self.schedule(epoch)
        lr = _as_float(lr)
        if not isinstance(lr, (float, int, np.floating, np.integer)):
            raise ValueError(f'The output of the "schedule" function should be a float. Got: {lr}')
        _set_lr(self.model, float(lr))
        if self.verbose > 0:
            _print(f"\nEpoch {epoch + 1}: LearningRateScheduler setting learning rate to {lr}.")

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["learning_rate"] = _get_lr(self.model)


class CSVLogger(Callback):
    """Stream epoch results to a CSV file: `epoch` then the log keys in sorted order."""

    _process_zero_only = True

    def __init__(self, filename, separator=",", append=False):
        super().__init__()
        self.sep = separator
        self.filename = os.fspath(filename)
        self.append = append
        self.writer = None
        self.keys = None
        self.append_header = True
        self.csv_file = None

    def on_train_begin(self, logs=None):
        if self.append:
            if os.path.exists(self.filename):
                with open(self.filename) as f:
                    self.append_header = not bool(len(f.readline()))
            mode = "a"
        else:
            mode = "w"
        self.csv_file = open(self.filename, mode, newline="")
        self.writer = None
        self.keys = None

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}

        def handle_value(k):
            is_zero_dim = isinstance(k, np.ndarray) and k.ndim == 0
            if isinstance(k, str):
                return k
            if isinstance(k, collections.abc.Iterable) and not is_zero_dim:
                return f"\"[{', '.join(map(str, k))}]\""
            return k

        if self.keys is None:
            self.keys = sorted(logs.keys())
            # Keras adds val_ columns up front (validation_freq > 1 leaves them out of early epochs).
            if self.keys and not any(k.startswith("val_") for k in self.keys):
                self.keys.extend(["val_" + k for k in self.keys])
        if self.writer is None:
            sep = self.sep

            class Dialect(csv.excel):
                delimiter = sep

            self.writer = csv.DictWriter(self.csv_file, fieldnames=["epoch"] + self.keys, dialect=Dialect)
            if self.append_header:
                self.writer.writeheader()
        row = {"epoch": epoch}
        row.update((k, handle_value(logs.get(k, "NA"))) for k in self.keys)
        self.writer.writerow(row)
        self.csv_file.flush()

    def on_train_end(self, logs=None):
        if self.csv_file is not None:
            self.csv_file.close()
        self.writer = None


class LambdaCallback(Callback):
    """A callback from plain functions: on_epoch_begin(epoch, logs), on_batch_end(batch, logs), ..."""

    _NAMES = ("on_epoch_begin", "on_epoch_end", "on_batch_begin", "on_batch_end", "on_train_begin",
              "on_train_end", "on_train_batch_begin", "on_train_batch_end", "on_test_begin", "on_test_end",
              "on_test_batch_begin", "on_test_batch_end", "on_predict_begin", "on_predict_end",
              "on_predict_batch_begin", "on_predict_batch_end")

    def __init__(self, on_epoch_begin=None, on_epoch_end=None, on_train_begin=None, on_train_end=None,
                 on_train_batch_begin=None, on_train_batch_end=None, **kwargs):
        super().__init__()
        given = dict(on_epoch_begin=on_epoch_begin, on_epoch_end=on_epoch_end, on_train_begin=on_train_begin,
                     on_train_end=on_train_end, on_train_batch_begin=on_train_batch_begin,
                     on_train_batch_end=on_train_batch_end)
        for name, fn in kwargs.items():
            if name not in self._NAMES:
                raise TypeError(f"LambdaCallback got an unknown hook {name!r}; hooks are {list(self._NAMES)}.")
            given[name] = fn
        if given.get("on_batch_begin") is not None and given.get("on_train_batch_begin") is None:
            given["on_train_batch_begin"] = given.pop("on_batch_begin")
        if given.get("on_batch_end") is not None and given.get("on_train_batch_end") is None:
            given["on_train_batch_end"] = given.pop("on_batch_end")
        for name, fn in given.items():
            if fn is not None:
                setattr(self, name, fn)  # instance attributes: CallbackList sees only these as overridden


class TerminateOnNaN(Callback):
    """Stop training as soon as a batch loss is NaN or infinite."""

    def on_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is not None and (np.isnan(loss) or np.isinf(loss)):
            _print(f"Batch {batch}: Invalid loss, terminating training")
            self.model.stop_training = True


class BackupAndRestore(Callback):
    """Back up weights and the epoch counter each epoch; a re-run fit() resumes from them."""

    def __init__(self, backup_dir, save_freq="epoch", delete_checkpoint=True, double_checkpoint=False):
        super().__init__()
        if not backup_dir:
            raise ValueError("BackupAndRestore needs a `backup_dir` where it can write its files.")
        self.backup_dir = os.fspath(backup_dir)
        self.save_freq = save_freq
        self.delete_checkpoint = delete_checkpoint
        self._weights_path = os.path.join(self.backup_dir, "latest.weights.h5")
        self._meta_path = os.path.join(self.backup_dir, "training_metadata.json")

    def on_train_begin(self, logs=None):
        if os.path.exists(self._weights_path) and os.path.exists(self._meta_path):
            self.model.load_weights(self._weights_path)
            with open(self._meta_path) as f:
                meta = json.load(f)
            self.model._initial_epoch = int(meta.get("epoch", -1)) + 1

    def on_epoch_end(self, epoch, logs=None):
        os.makedirs(self.backup_dir, exist_ok=True)
        self.model.save_weights(self._weights_path, overwrite=True)
        with open(self._meta_path, "w") as f:
            json.dump({"epoch": epoch}, f)

    def on_train_end(self, logs=None):
        if self.delete_checkpoint and os.path.isdir(self.backup_dir):
            shutil.rmtree(self.backup_dir, ignore_errors=True)


class SwapEMAWeights(Callback):
    """Evaluate (and predict) with the optimizer's moving averages of the weights (an optimizer
    made with `use_ema=True`): the model's weights and the averages trade places for the
    evaluation and back after it. With `swap_on_epoch=True` they also trade places from each
    epoch's end to the next epoch's start, so that callbacks placed after this one (a
    ModelCheckpoint) see the averaged weights."""

    def __init__(self, swap_on_epoch=False):
        super().__init__()
        self.swap_on_epoch = swap_on_epoch
        self._ema_weights_in_model = False

    def _ema_optimizer(self):
        opt = self.model.optimizer
        opt = getattr(opt, "inner_optimizer", opt)  # a LossScaleOptimizer keeps the averages inside
        if not getattr(opt, "use_ema", False):
            raise ValueError("SwapEMAWeights needs an optimizer made with `use_ema=True`, which keeps "
                             f"moving averages of the weights. Received: use_ema={getattr(opt, 'use_ema', None)} "
                             f"on {type(opt).__name__}.")
        return opt

    def _swap(self):
        opt = self._ema_optimizer()
        if not opt._ema:  # not built yet: no step was taken, the averages are the weights
            return
        params = list(opt._params)
        with torch.no_grad():
            held = [p.detach().clone() for p in params]
            torch._foreach_copy_(params, opt._ema)
            torch._foreach_copy_(opt._ema, held)
        self._ema_weights_in_model = not self._ema_weights_in_model

    def on_epoch_begin(self, epoch, logs=None):
        if self.swap_on_epoch and self._ema_weights_in_model:
            self._swap()

    def on_epoch_end(self, epoch, logs=None):
        if self.swap_on_epoch and not self._ema_weights_in_model:
            self._swap()
            if epoch == self.params.get("epochs", 0) - 1:
                # fit ends by copying the averages into the model; the averages hold the trained
                # weights now, so make them equal to what the model already shows.
                opt = self._ema_optimizer()
                with torch.no_grad():
                    torch._foreach_copy_(opt._ema, list(opt._params))

    def on_test_begin(self, logs=None):
        if not self._ema_weights_in_model:
            self._swap()

    def on_test_end(self, logs=None):
        if self._ema_weights_in_model:
            self._swap()

    # Keras 3.15 leaves the averages in the model after predict (its on_predict_end tests the
    # wrong flag); here predict gives the weights back as evaluate does.
    on_predict_begin = on_test_begin
    on_predict_end = on_test_end


class TensorBoard(Callback):
    """Write epoch logs (and optionally weight histograms) for TensorBoard: event files under
    `log_dir`/train and `log_dir`/validation, written by keraslite.utils.summary_writer (no
    TensorFlow or `tensorboard` package needed to write them)."""

    _process_zero_only = True

    def __init__(self, log_dir="logs", histogram_freq=0, write_graph=True, write_images=False,
                 write_steps_per_second=False, update_freq="epoch", profile_batch=0, embeddings_freq=0,
                 embeddings_metadata=None, **kwargs):
        super().__init__()
        self.log_dir = os.fspath(log_dir)
        self.histogram_freq = histogram_freq
        self.update_freq = 1 if update_freq == "batch" else update_freq  # Keras: 'batch' means 1
        unsupported = [name for name, value in (("embeddings_freq", embeddings_freq),
                                                ("embeddings_metadata", embeddings_metadata),
                                                ("embeddings_layer_names", kwargs.get("embeddings_layer_names")),
                                                ("embeddings_data", kwargs.get("embeddings_data")))
                       if value is not None and not (isinstance(value, int) and not value)]  # 0 / False: off
        if unsupported:
            warnings.warn(f"TensorBoard: {', '.join(unsupported)} given, but keraslite writes no embedding "
                          "projector files (they are TensorFlow checkpoints); the scalar and histogram logs "
                          "are written as usual. Drop these arguments to silence this warning.", stacklevel=2)
        self._writers = {}
        self._step = 0

    def _writer(self, kind):
        if kind not in self._writers:
            from keraslite.utils.summary_writer import SummaryWriter

            self._writers[kind] = SummaryWriter(os.path.join(self.log_dir, kind))
        return self._writers[kind]

    def on_train_batch_end(self, batch, logs=None):
        self._step += 1
        if isinstance(self.update_freq, int) and self._step % self.update_freq == 0:
            for k, v in (logs or {}).items():
                self._writer("train").add_scalar(f"batch_{k}", v, self._step)

    def on_epoch_end(self, epoch, logs=None):
        logs = dict(logs or {})
        optimizer = getattr(self.model, "optimizer", None)
        if "learning_rate" not in logs and optimizer is not None and hasattr(optimizer, "learning_rate"):
            logs["learning_rate"] = float(optimizer.learning_rate)  # Keras writes it too (epoch_learning_rate)
        for k, v in logs.items():
            if isinstance(v, (int, float)):
                kind, name = ("validation", k[4:]) if k.startswith("val_") else ("train", k)
                self._writer(kind).add_scalar(f"epoch_{name}", v, epoch)
        if self.histogram_freq and epoch % self.histogram_freq == 0:
            for w in self.model.weights:
                self._writer("train").add_histogram(w.path, w.numpy(), epoch)
        for w in self._writers.values():
            w.flush()

    def on_train_end(self, logs=None):
        for w in self._writers.values():
            w.close()
        self._writers = {}


class RemoteMonitor(Callback):
    """Posts epoch logs as JSON to a server (best effort; errors are warnings)."""

    def __init__(self, root="http://localhost:9000", path="/publish/epoch/end/", field="data", headers=None,
                 send_as_json=False):
        super().__init__()
        self.root, self.path, self.field = root, path, field
        self.headers = headers or {}
        self.send_as_json = send_as_json

    def on_epoch_end(self, epoch, logs=None):
        import urllib.parse
        import urllib.request

        send = {"epoch": epoch, **{k: float(v) for k, v in (logs or {}).items()}}
        try:
            if self.send_as_json:
                data = json.dumps(send).encode()
                headers = {"Content-Type": "application/json", **self.headers}
            else:
                data = urllib.parse.urlencode({self.field: json.dumps(send)}).encode()
                headers = self.headers
            urllib.request.urlopen(urllib.request.Request(self.root + self.path, data=data, headers=headers),
                                   timeout=5)
        except Exception as e:  # noqa: BLE001 - monitoring must never stop training
            warnings.warn(f"RemoteMonitor could not reach {self.root}: {e}", stacklevel=2)
