"""Denormal floats are flushed to zero inside keraslite's loops (keraslite/training/denormals.py):
in the calling thread while a loop runs (restored after it), in torch's worker threads from
the first loop on; KERASLITE_FLUSH_DENORMALS=0 keeps torch's default."""
import numpy as np
import pytest
import torch

import keraslite as kl
from keraslite.training import denormals


class _Probe(kl.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.seen = []

    def on_train_batch_end(self, batch, logs=None):
        self.seen.append(denormals.thread_flushes())

    def on_epoch_end(self, epoch, logs=None):
        self.model.predict(np.zeros((4, 3), np.float32), verbose=0)  # a nested loop call


def _model():
    model = kl.Sequential([kl.Input((3,)), kl.layers.Dense(2, activation="relu"), kl.layers.Dense(1)])
    model.compile("adam", "mse")
    return model


@pytest.fixture
def kept_in_main_thread():
    torch.set_flush_denormal(False)
    yield
    torch.set_flush_denormal(False)


def test_fit_flushes_in_the_calling_and_worker_threads_then_restores(kept_in_main_thread, monkeypatch):
    monkeypatch.delenv("KERASLITE_FLUSH_DENORMALS", raising=False)
    assert not denormals.thread_flushes()
    probe = _Probe()
    x, y = np.ones((8, 3), np.float32), np.ones((8, 1), np.float32)
    _model().fit(x, y, batch_size=4, epochs=2, verbose=0, callbacks=[probe])
    assert len(probe.seen) == 4
    assert all(probe.seen)  # also after the nested predict of epoch 1
    assert not denormals.thread_flushes()  # the calling thread's mode is given back


_WORKERS_PROGRAM = """
import numpy as np, torch
out = torch.full((1 << 20,), 2.0 ** -130) * 1.0  # torch's worker threads start here, keeping denormals
before = float((out == 0).float().mean())
import keraslite as kl
model = kl.Sequential([kl.Input((3,)), kl.layers.Dense(1)])
model.compile("adam", "mse")
model.fit(np.ones((4, 3), np.float32), np.ones((4, 1), np.float32), verbose=0)
out = torch.full((1 << 20,), 2.0 ** -130) * 1.0
print(before, float((out == 0).float().mean()), torch.get_num_threads())
"""


@pytest.mark.skipif(not denormals._gomp(), reason="torch's OpenMP runtime here is not libgomp")
def test_worker_threads_started_before_the_first_fit_flush_after_it(tmp_path):
    import os
    import subprocess
    import sys

    env = dict(os.environ, OMP_NUM_THREADS="2")
    env.pop("KERASLITE_FLUSH_DENORMALS", None)
    result = subprocess.run([sys.executable, "-c", _WORKERS_PROGRAM], capture_output=True, text=True, env=env,
                            cwd=tmp_path, timeout=120)
    assert result.returncode == 0, result.stderr
    before, after, threads = result.stdout.split()[-3:]
    assert int(threads) == 2
    assert float(before) == 0.0  # nothing flushed yet
    # After fit: the worker thread's share of the op is flushed, the calling thread's is not.
    assert 0.0 < float(after) < 1.0


def test_other_loops_flush_too(kept_in_main_thread, monkeypatch):
    monkeypatch.delenv("KERASLITE_FLUSH_DENORMALS", raising=False)
    seen = []

    class Spy(kl.layers.Layer):
        def call(self, x):
            seen.append(denormals.thread_flushes())
            return x

    model = kl.Sequential([kl.Input((3,)), Spy(), kl.layers.Dense(1)])
    model.compile("sgd", "mse")
    x, y = np.ones((4, 3), np.float32), np.ones((4, 1), np.float32)
    del seen[:]  # the build's symbolic call
    model.evaluate(x, y, verbose=0)
    model.predict(x, verbose=0)
    model.train_on_batch(x, y)
    model.test_on_batch(x, y)
    model.predict_on_batch(x)
    assert seen and all(seen)
    assert not denormals.thread_flushes()


def _rare_feature_run():
    """Adam on a Dense whose first input is non-zero in the first sample only: that weight's
    gradient is 0 from the second step on and its first moment decays by 0.9 a step."""
    kl.utils.set_random_seed(0)
    x = np.zeros((1000, 2), np.float32)
    x[0, 0] = 1.0
    x[:, 1] = np.random.default_rng(0).random(1000)
    model = kl.Sequential([kl.Input((2,)), kl.layers.Dense(1)])
    model.compile("adam", "mse")
    model.fit(x, 2.0 * x[:, 1:], batch_size=1, epochs=1, shuffle=False, verbose=0)
    (momentum,) = [v for v in model.optimizer.variables if v.path.endswith("kernel_momentum")]
    return float(np.asarray(momentum)[0, 0])


def test_decayed_optimizer_slots_reach_zero_instead_of_sticking_subnormal(kept_in_main_thread, monkeypatch):
    tiny = float(np.finfo(np.float32).tiny)
    monkeypatch.setenv("KERASLITE_FLUSH_DENORMALS", "0")
    kept = _rare_feature_run()
    # torch's default: 0.9 x the smallest subnormals rounds back to them, so the slot never
    # leaves the slow range (the stall this module exists for).
    assert kept != 0.0 and abs(kept) < tiny
    monkeypatch.delenv("KERASLITE_FLUSH_DENORMALS")
    assert _rare_feature_run() == 0.0


def test_switched_off_by_the_environment(kept_in_main_thread, monkeypatch):
    monkeypatch.setenv("KERASLITE_FLUSH_DENORMALS", "0")
    probe = _Probe()
    _model().fit(np.ones((4, 3), np.float32), np.ones((4, 1), np.float32), batch_size=4, verbose=0,
                 callbacks=[probe])
    assert probe.seen and not any(probe.seen)


def _flushed_share():
    """The share of a large elementwise op (cut across torch's threads) that came out flushed."""
    return float((torch.full((1 << 20,), 2.0 ** -130) * 1.0 == 0).float().mean())


@pytest.mark.skipif(not denormals._gomp() or torch.get_num_threads() < 2,
                    reason="needs libgomp worker threads")
def test_set_all_threads_and_the_next_loop_sets_the_workers_again(kept_in_main_thread, monkeypatch):
    monkeypatch.delenv("KERASLITE_FLUSH_DENORMALS", raising=False)
    denormals.set_all_threads(True)
    assert _flushed_share() == 1.0
    denormals.set_all_threads(False)
    assert _flushed_share() == 0.0
    _model().fit(np.ones((4, 3), np.float32), np.ones((4, 1), np.float32), verbose=0)
    assert 0.0 < _flushed_share() < 1.0  # workers flush again, the calling thread was restored
