"""Progress output: Keras 3's line formats; terminals redraw in place, files and pipes get one
clean line per epoch."""
import io
import re
import sys

import numpy as np

import keraslite
from keraslite import layers
from keraslite.training.progbar import Progbar, format_time


class FakeTTY(io.StringIO):
    def isatty(self):
        return True


def _fit(verbose, epochs=2, stream_cls=io.StringIO, monkeypatch=None, n=64, batch_size=16):
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((n, 4)).astype("float32"), rng.integers(0, 3, n)
    model = keraslite.Sequential([layers.Dense(3, activation="softmax", input_shape=(4,))])
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    stream = stream_cls()
    monkeypatch.setattr(sys, "stdout", stream)
    history = model.fit(x, y, batch_size=batch_size, epochs=epochs, verbose=verbose, validation_split=0.25)
    monkeypatch.undo()
    return stream.getvalue(), history


def test_non_tty_verbose1_is_one_clean_line_per_epoch(monkeypatch):
    out, history = _fit(1, monkeypatch=monkeypatch)
    assert "\r" not in out and "\b" not in out and "\x1b" not in out
    lines = out.splitlines()
    assert lines[0] == "Epoch 1/2" and lines[2] == "Epoch 2/2" and len(lines) == 4
    pattern = (r"^3/3 ━{20} \d+s \d+(us|ms|s)/step - accuracy: \d\.\d{4} - loss: \d\.\d{4} - "
               r"val_accuracy: \d\.\d{4} - val_loss: \d\.\d{4}$")
    assert re.match(pattern, lines[1]), lines[1]
    assert f"loss: {history.history['loss'][1]:.4f}" in lines[3]


def test_verbose2_line(monkeypatch):
    out, _ = _fit(2, monkeypatch=monkeypatch)
    lines = out.splitlines()
    assert len(lines) == 4
    assert re.match(r"^3/3 - \d+s - \d+(us|ms|s)/step - accuracy: \d\.\d{4} - loss: \d\.\d{4} - "
                    r"val_accuracy: \d\.\d{4} - val_loss: \d\.\d{4}$", lines[1]), lines[1]


def test_single_epoch_has_no_header(monkeypatch):
    out, _ = _fit(1, epochs=1, monkeypatch=monkeypatch)
    assert "Epoch" not in out and len(out.splitlines()) == 1


def test_verbose0_prints_nothing(monkeypatch):
    out, _ = _fit(0, monkeypatch=monkeypatch)
    assert out == ""


def test_tty_redraws_in_place_with_colours(monkeypatch):
    import keraslite.training.progbar as pb

    monkeypatch.setattr(pb.time, "time", _Clock())  # every update is 1 s later: all draw
    out, _ = _fit(1, epochs=1, stream_cls=FakeTTY, monkeypatch=monkeypatch)
    assert "\r" in out and "\x1b[32m" in out and out.endswith("\n")
    frames = [re.sub(r"\x1b\[[0-9;]*m", "", f) for f in out.replace("\b", "").split("\r") if f]
    assert frames[0].startswith("1/3 ━━━━━━") and " - loss: " in frames[0]
    assert frames[-1].startswith("3/3 ━━━━━━━━━━━━━━━━━━━━ ")


class _Clock:
    def __init__(self):
        self.t = 1000.0

    def __call__(self):
        self.t += 1.0
        return self.t


def test_time_formats():
    assert format_time(2.4) == " 2s/step"
    assert format_time(0.0123) == " 12ms/step"
    assert format_time(0.0000456) == " 46us/step"
    assert format_time(0) == " 0s/step"


def test_small_values_use_exponent():
    stream = io.StringIO()
    bar = Progbar(2, verbose=1, stream=stream, stateful_metrics=["loss", "neg"])
    bar.update(2, [("loss", 0.0001234), ("neg", -0.5)])
    line = stream.getvalue()
    assert "loss: 1.2340e-04" in line and "neg: -0.5000" in line


def test_verbose2_uses_signed_threshold():
    stream = io.StringIO()
    bar = Progbar(2, verbose=2, stream=stream, stateful_metrics=["neg"])
    bar.update(2, [("neg", -0.5)])
    assert "neg: -5.0000e-01" in stream.getvalue()  # Keras compares v > 1e-3 here, not |v|


def test_unknown_target():
    stream = FakeTTY()
    bar = Progbar(None, verbose=1, stream=stream, interval=0)
    bar.update(5, [("loss", 1.0)])
    assert "      5/Unknown" in stream.getvalue()
