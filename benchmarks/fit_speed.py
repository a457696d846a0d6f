"""Training and inference throughput, side by side in one run:

  keraslite fit/predict  vs  a typical hand-written torch loop  vs  a tuned torch loop
  vs  real Keras 3 on its torch backend (when installed; run in a subprocess).

Workloads (issue-defined):
  mlp   Dense 784-128-10, Adam, batch 32
  cnn   Conv2D(32,3) MaxPool Conv2D(64,3) MaxPool Flatten Dense(128) Dense(10) on 28x28x1
  lstm  Embedding(20000,128) LSTM(128) Dense(1, sigmoid) on length-80 sequences

Every contender trains the same architecture with the same batch size on the same synthetic
data; one warm-up epoch is run and not timed, then epochs are timed until both the workload's
epoch count and 1.5 s are reached (predict: back-to-back calls for 0.5 s). Throughput is
samples/second over the timed epochs; the contenders run in rounds, one after the other, and
the best run of each is printed with its ratio to the baseline (the tuned loop for fit, the
plain inference loop for predict). A second line gives the median, over rounds, of the ratio
keraslite / baseline within the same round: on a noisy machine the steadier figure.

keraslite's loops run with denormal floats flushed to zero (keraslite/training/denormals.py);
the torch loops run in torch's default mode, as a hand-written loop does, and once more (the
tuned one) with denormals flushed, so that the output separates the two effects.

Usage:
  python benchmarks/fit_speed.py                    # all workloads, auto device
  python benchmarks/fit_speed.py --workloads mlp --device cpu --repeats 3
  python benchmarks/fit_speed.py --json out.json    # also write raw numbers
"""
import argparse
import json
import os
import subprocess
import sys
import time

import numpy as np
import torch
from torch import nn

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

WORKLOADS = {
    # name: (samples on CPU, samples on GPU, timed epochs)
    "mlp": (16384, 65536, 2),
    "cnn": (2048, 32768, 1),
    "lstm": (1024, 16384, 1),
}
BATCH = 32


# ----------------------------------------------------------------------------- data

def make_data(name, n, seed=0):
    rng = np.random.default_rng(seed)
    if name == "mlp":
        x = rng.random((n, 784), dtype=np.float32)
        y = rng.integers(0, 10, size=(n,)).astype(np.int64)
    elif name == "cnn":
        x = rng.random((n, 28, 28, 1), dtype=np.float32)
        y = rng.integers(0, 10, size=(n,)).astype(np.int64)
    else:
        x = rng.integers(1, 20000, size=(n, 80)).astype(np.int64)
        y = rng.integers(0, 2, size=(n, 1)).astype(np.float32)
    return x, y


# ----------------------------------------------------------------------------- torch models

class _LSTMClassifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(20000, 128)
        self.lstm = nn.LSTM(128, 128, batch_first=True)
        self.out = nn.Linear(128, 1)

    def forward(self, x):
        h, _ = self.lstm(self.emb(x))
        return self.out(h[:, -1])  # logits; the loss applies the sigmoid


class _NHWCToNCHW(nn.Module):
    def forward(self, x):
        return x.permute(0, 3, 1, 2)


def torch_model(name):
    if name == "mlp":
        return nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 10))
    if name == "cnn":
        return nn.Sequential(_NHWCToNCHW(), nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(32, 64, 3),
                             nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(64 * 5 * 5, 128), nn.ReLU(),
                             nn.Linear(128, 10))
    return _LSTMClassifier()


def torch_loss(name):
    return nn.BCEWithLogitsLoss() if name == "lstm" else nn.CrossEntropyLoss()


def typical_torch_fit(name, x, y, epochs, device):
    """What a tutorial-style torch loop looks like: DataLoader, default Adam, .item() per step."""
    from torch.utils.data import DataLoader, TensorDataset

    model = torch_model(name).to(device)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = torch_loss(name)
    loader = DataLoader(TensorDataset(torch.from_numpy(x), torch.from_numpy(y)), batch_size=BATCH, shuffle=True)

    def epoch():
        model.train()
        total = 0.0
        for xb, yb in loader:
            xb, yb = xb.to(device), yb.to(device)
            opt.zero_grad()
            loss = loss_fn(model(xb), yb)
            loss.backward()
            opt.step()
            total += loss.item()
        return total

    return _time_epochs(epoch, epochs, device, len(x))


def tuned_torch_fit(name, x, y, epochs, device):
    """A careful hand-written loop: data moved once, on-device shuffling, fused Adam,
    zero_grad(set_to_none=True), loss accumulated on device (one sync per epoch)."""
    model = torch_model(name).to(device)
    if device.type == "cuda" and name == "cnn":
        model = model.to(memory_format=torch.channels_last)
    try:
        opt = torch.optim.Adam(model.parameters(), lr=1e-3, fused=True)
    except (RuntimeError, TypeError):
        opt = torch.optim.Adam(model.parameters(), lr=1e-3, foreach=True)
    loss_fn = torch_loss(name)
    xd, yd = torch.from_numpy(x).to(device), torch.from_numpy(y).to(device)
    n = len(x)

    def epoch():
        model.train()
        perm = torch.randperm(n, device=device)
        xs, ys = xd[perm], yd[perm]
        total = torch.zeros((), device=device)
        for i in range(0, n, BATCH):
            xb, yb = xs[i:i + BATCH], ys[i:i + BATCH]
            loss = loss_fn(model(xb), yb)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            total += loss.detach()
        return float(total)

    return _time_epochs(epoch, epochs, device, n)


def torch_predict(name, x, device):
    """Plain inference loop: eval mode, inference_mode, batches of 32, numpy out. The model
    ends in the same output activation as the Keras model (softmax / sigmoid), so both
    compute the same function."""
    model = nn.Sequential(torch_model(name), nn.Sigmoid() if name == "lstm" else nn.Softmax(-1)).to(device).eval()
    xd = torch.from_numpy(x)

    def run():
        outs = []
        with torch.inference_mode():
            for i in range(0, len(x), BATCH):
                outs.append(model(xd[i:i + BATCH].to(device)).cpu())
        return torch.cat(outs).numpy()

    return _time_calls(run, device, len(x))


# ----------------------------------------------------------------------------- keraslite

def keraslite_model(name, kl):
    L = kl.layers
    if name == "mlp":
        model = kl.Sequential([kl.Input((784,)), L.Dense(128, activation="relu"), L.Dense(10, activation="softmax")])
        loss = "sparse_categorical_crossentropy"
    elif name == "cnn":
        model = kl.Sequential([kl.Input((28, 28, 1)), L.Conv2D(32, 3, activation="relu"), L.MaxPooling2D(),
                               L.Conv2D(64, 3, activation="relu"), L.MaxPooling2D(), L.Flatten(),
                               L.Dense(128, activation="relu"), L.Dense(10, activation="softmax")])
        loss = "sparse_categorical_crossentropy"
    else:
        model = kl.Sequential([kl.Input((80,), dtype="int64"), L.Embedding(20000, 128), L.LSTM(128),
                               L.Dense(1, activation="sigmoid")])
        loss = "binary_crossentropy"
    model.compile(optimizer="adam", loss=loss)
    return model


def keraslite_fit(name, x, y, epochs, device):
    import keraslite as kl

    kl.backend.set_device(device)
    model = keraslite_model(name, kl)
    return _time_epochs(lambda: model.fit(x, y, batch_size=BATCH, epochs=1, verbose=0), epochs, device, len(x))


def keraslite_predict(name, x, device):
    import keraslite as kl

    kl.backend.set_device(device)
    model = keraslite_model(name, kl)
    return _time_calls(lambda: model.predict(x, batch_size=BATCH, verbose=0), device, len(x))


# ----------------------------------------------------------------------------- real Keras (subprocess)

_KERAS_SCRIPT = r"""
import json, os, sys, time
os.environ["KERAS_BACKEND"] = "torch"
sys.path.insert(0, {root!r})
import numpy as np, torch, keras
torch.set_num_threads({threads})
from benchmarks.fit_speed import make_data, keraslite_model, BATCH
x, y = make_data({name!r}, {n})
model = keraslite_model({name!r}, keras)
model.fit(x, y, batch_size=BATCH, epochs=1, verbose=0)
t = time.perf_counter()
model.fit(x, y, batch_size=BATCH, epochs={epochs}, verbose=0)
fit = {n} * {epochs} / (time.perf_counter() - t)
model.predict(x, batch_size=BATCH, verbose=0)
t = time.perf_counter()
model.predict(x, batch_size=BATCH, verbose=0)
pred = {n} / (time.perf_counter() - t)
print(json.dumps({{"fit": fit, "predict": pred}}))
"""


def real_keras(name, n, epochs, device):
    try:
        import importlib.util

        if importlib.util.find_spec("keras") is None:
            return None
    except Exception:
        return None
    env = dict(os.environ, KERAS_BACKEND="torch")
    if device.type == "cpu":
        env["CUDA_VISIBLE_DEVICES"] = ""
    script = _KERAS_SCRIPT.format(root=ROOT, name=name, n=n, epochs=epochs, threads=torch.get_num_threads())
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=3600)
    if proc.returncode != 0:
        print(f"  real Keras failed: {proc.stderr.strip().splitlines()[-1:]}", file=sys.stderr)
        return None
    return json.loads(proc.stdout.strip().splitlines()[-1])


# ----------------------------------------------------------------------------- timing

def as_torch_runs(loop, *args):
    """A hand-written loop in torch's default floating-point mode (denormals kept) in every
    thread: keraslite's loops leave torch's worker threads flushing denormals, which would
    otherwise carry over into the torch loops that run after them in the same process."""
    from keraslite.training import denormals

    denormals.set_all_threads(False)
    return loop(*args)


def flushed(loop, *args):
    """The same loop with denormals flushed to zero in every thread, as keraslite's fit runs:
    separates what flushing gains from the rest of keraslite's step."""
    from keraslite.training import denormals

    denormals.set_all_threads(True)
    try:
        return loop(*args)
    finally:
        denormals.set_all_threads(False)


def _sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize()


FIT_MIN_SECONDS = 1.5  # per measurement: a CNN epoch of 2048 samples takes ~0.4 s here


def _time_epochs(epoch_fn, epochs, device, n):
    """Samples/s of `epoch_fn` (one epoch over n samples): at least `epochs` epochs and at
    least FIT_MIN_SECONDS, after one untimed warm-up epoch. Over a short window one of this
    VM's stalls moves a single figure by 10-40%."""
    epoch_fn()  # warm-up: allocations, kernel selection, lazy builds
    _sync(device)
    done = 0
    t = time.perf_counter()
    while True:
        epoch_fn()
        done += 1
        _sync(device)
        elapsed = time.perf_counter() - t
        if done >= epochs and elapsed >= FIT_MIN_SECONDS:
            return n * done / elapsed


PREDICT_MIN_SECONDS = 0.5  # one predict of the MLP takes ~45 ms here: too short to time alone


def _time_calls(fn, device, n):
    """Samples/s of `fn` (one pass over n samples), called back to back until at least
    PREDICT_MIN_SECONDS have passed, after one untimed call."""
    fn()
    _sync(device)
    calls = 0
    t = time.perf_counter()
    while True:
        fn()
        calls += 1
        _sync(device)
        elapsed = time.perf_counter() - t
        if elapsed >= PREDICT_MIN_SECONDS:
            return n * calls / elapsed


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workloads", default="mlp,cnn,lstm")
    parser.add_argument("--device", default=None, help="cpu or cuda (default: cuda when available)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--samples", type=int, default=None, help="override the sample count")
    parser.add_argument("--no-keras", action="store_true", help="skip real Keras")
    parser.add_argument("--json", default=None)
    args = parser.parse_args()

    device = torch.device(args.device or ("cuda" if torch.cuda.is_available() else "cpu"))
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = True
    print(f"device={device} torch={torch.__version__} threads={torch.get_num_threads()} batch={BATCH}")
    results = {}
    for name in args.workloads.split(","):
        n_cpu, n_gpu, epochs = WORKLOADS[name]
        n = args.samples or (n_gpu if device.type == "cuda" else n_cpu)
        x, y = make_data(name, n)
        torch.manual_seed(0)
        contenders = {
            "typical_fit": lambda: as_torch_runs(typical_torch_fit, name, x, y, epochs, device),
            "tuned_fit": lambda: as_torch_runs(tuned_torch_fit, name, x, y, epochs, device),
            "tuned_flushed_fit": lambda: flushed(tuned_torch_fit, name, x, y, epochs, device),
            "keraslite_fit": lambda: keraslite_fit(name, x, y, epochs, device),
            "torch_predict": lambda: as_torch_runs(torch_predict, name, x, device),
            "keraslite_predict": lambda: keraslite_predict(name, x, device),
        }
        # Round-robin repeats, best of each: a noisy machine slows every contender alike
        # instead of whichever happened to run during the disturbance.
        r = {"samples": n, "epochs": epochs}
        rounds = {key: [] for key in contenders}
        for _ in range(args.repeats):
            for key, run in contenders.items():
                rounds[key].append(run())
                r[key] = max(r.get(key, 0.0), rounds[key][-1])
        # The same round's runs are neighbours in time, so their ratio cancels slow drifts of
        # the machine; the median over rounds is the figure least moved by one bad round.
        r["fit_ratio_median"] = _median([k / t for k, t in zip(rounds["keraslite_fit"], rounds["tuned_fit"])])
        r["fit_flushed_ratio_median"] = _median([k / t for k, t in zip(rounds["keraslite_fit"],
                                                                       rounds["tuned_flushed_fit"])])
        r["predict_ratio_median"] = _median([k / t for k, t in zip(rounds["keraslite_predict"],
                                                                   rounds["torch_predict"])])
        r["rounds"] = rounds
        keras_r = None if args.no_keras else real_keras(name, n, epochs, device)
        r["keras_fit"] = keras_r and keras_r["fit"]
        r["keras_predict"] = keras_r and keras_r["predict"]
        results[name] = r
        _print(name, r)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"device": str(device), "torch": torch.__version__, "results": results}, f, indent=2)


def _median(values):
    values = sorted(values)
    mid = len(values) // 2
    return values[mid] if len(values) % 2 else (values[mid - 1] + values[mid]) / 2


def _print(name, r):
    def fmt(v):
        return "n/a" if not v else f"{v:,.0f}"

    def ratio(a, b):
        return "n/a" if not a or not b else f"{a / b:.2f}x"

    print(f"\n[{name}] {r['samples']} samples, at least {r['epochs']} timed epoch(s) and {FIT_MIN_SECONDS} s, samples/s (ratio vs tuned loop)")
    print(f"  fit      typical torch {fmt(r['typical_fit'])} ({ratio(r['typical_fit'], r['tuned_fit'])})  "
          f"tuned torch {fmt(r['tuned_fit'])} (1.00x)  keraslite {fmt(r['keraslite_fit'])} "
          f"({ratio(r['keraslite_fit'], r['tuned_fit'])})  real Keras {fmt(r['keras_fit'])} "
          f"({ratio(r['keras_fit'], r['tuned_fit'])})")
    print(f"           tuned torch with denormals flushed {fmt(r['tuned_flushed_fit'])} "
          f"({ratio(r['tuned_flushed_fit'], r['tuned_fit'])}); keraslite against it "
          f"{ratio(r['keraslite_fit'], r['tuned_flushed_fit'])} (median {r['fit_flushed_ratio_median']:.2f}x)")
    print(f"  predict  torch loop {fmt(r['torch_predict'])} (1.00x)  keraslite {fmt(r['keraslite_predict'])} "
          f"({ratio(r['keraslite_predict'], r['torch_predict'])})  real Keras {fmt(r['keras_predict'])} "
          f"({ratio(r['keras_predict'], r['torch_predict'])})")
    print(f"  median over rounds of keraslite / baseline in the same round: fit {r['fit_ratio_median']:.2f}x, "
          f"predict {r['predict_ratio_median']:.2f}x")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
