"""Parity with real Keras 3 for keras.utils helpers, the dataset loaders (same files parsed by
both), and the seed tutorials: every seed example run through `python -m keraslite` must print
a summary whose layers, output shapes and parameter counts equal real Keras's for the same
model."""
import glob
import gzip
import io
import os
import pickle
import re
import subprocess
import sys
import tarfile

import numpy as np
import pytest

import keraslite

keras = pytest.importorskip("keras")

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


# ---------------------------------------------------------------------------- utils

@pytest.mark.parametrize("labels, num_classes", [([0, 2, 1, 2], None), ([[1], [0], [3]], 5),
                                                 (np.array([[0, 1], [1, 1]]), None)])
def test_to_categorical(labels, num_classes):
    expected = keras.utils.to_categorical(labels, num_classes=num_classes)
    actual = keraslite.utils.to_categorical(labels, num_classes=num_classes)
    assert actual.shape == expected.shape
    np.testing.assert_array_equal(actual, expected)


# (Keras's numpy path turns axis=0 into -1 when expanding the norm, so only axes >= 1 compare.)
@pytest.mark.parametrize("axis, order", [(-1, 2), (1, 2), (-1, 1)])
def test_normalize(axis, order):
    x = np.random.default_rng(0).standard_normal((4, 3))
    x[1] = 0.0
    np.testing.assert_allclose(keraslite.utils.normalize(x, axis=axis, order=order),
                               np.asarray(keras.utils.normalize(x, axis=axis, order=order)), rtol=1e-12)


@pytest.mark.parametrize("kwargs", [{}, {"maxlen": 3}, {"maxlen": 3, "padding": "post", "truncating": "post"},
                                    {"maxlen": 5, "value": -1, "dtype": "float32"}])
def test_pad_sequences(kwargs):
    seqs = [[1, 2, 3, 4], [5], [], [6, 7]]
    expected = keras.utils.pad_sequences(seqs, **kwargs)
    actual = keraslite.utils.pad_sequences(seqs, **kwargs)
    assert actual.dtype == expected.dtype
    np.testing.assert_array_equal(actual, expected)


# ---------------------------------------------------------------------------- aliases

def test_aliases_set_real_keras_aside_and_restore_it():
    from keraslite.compat import aliases

    real = sys.modules["keras"]
    with pytest.warns(UserWarning, match="already imported"):
        aliases.install_aliases()
    try:
        import keras as aliased

        assert aliased is not real and aliased.layers.Dense is keraslite.layers.Dense
    finally:
        aliases.uninstall_aliases()
    import keras as again

    assert again is real and sys.modules["keras.layers"] is real.layers
    assert again.layers.Dense is not keraslite.layers.Dense


# ---------------------------------------------------------------------------- datasets

@pytest.fixture
def files(tmp_path, monkeypatch):
    """A file:// mirror for keraslite, and Keras's own loaders pointed at the same files."""
    import keras.src.utils.file_utils as keras_files

    mirror = tmp_path / "mirror"
    mirror.mkdir()
    monkeypatch.setenv("KERASLITE_DATASETS_MIRROR", "file://" + str(mirror))
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keraslite_home"))
    real_get_file = keras_files.get_file

    def keras_get_file(fname=None, origin=None, file_hash=None, **kwargs):
        local = "file://" + str(mirror / origin.rsplit("/", 1)[-1])
        return real_get_file(fname=fname, origin=local, cache_dir=str(tmp_path / "keras_home"), **kwargs)

    for name in ["mnist", "fashion_mnist", "cifar10", "imdb", "reuters", "boston_housing"]:
        module = __import__(f"keras.src.datasets.{name}", fromlist=["get_file"])
        monkeypatch.setattr(module, "get_file", keras_get_file)
    return mirror


def _assert_same(a, b, what):
    if isinstance(a, (tuple, list)):
        assert len(a) == len(b), what
        for i, (x, y) in enumerate(zip(a, b)):
            _assert_same(x, y, f"{what}[{i}]")
        return
    a, b = np.asarray(a), np.asarray(b)
    assert a.shape == b.shape and a.dtype == b.dtype, f"{what}: {a.shape} {a.dtype} vs Keras {b.shape} {b.dtype}"
    if a.dtype == object:
        assert [list(x) for x in a] == [list(x) for x in b], what
    else:
        np.testing.assert_array_equal(a, b, err_msg=what)


def _ragged(n, rng, high=30):
    out = np.empty(n, dtype=object)
    for i in range(n):
        out[i] = rng.integers(1, high, size=rng.integers(1, 9)).tolist()
    return out


def test_mnist_and_boston(files):
    rng = np.random.default_rng(0)
    np.savez(files / "mnist.npz", x_train=rng.integers(0, 255, (6, 28, 28), dtype=np.uint8),
             y_train=rng.integers(0, 10, 6, dtype=np.uint8), x_test=rng.integers(0, 255, (3, 28, 28), dtype=np.uint8),
             y_test=rng.integers(0, 10, 3, dtype=np.uint8))
    _assert_same(keraslite.datasets.mnist.load_data(), keras.datasets.mnist.load_data(), "mnist")
    np.savez(files / "boston_housing.npz", x=rng.standard_normal((31, 13)), y=rng.standard_normal(31))
    for split in (0.2, 0.5):
        _assert_same(keraslite.datasets.boston_housing.load_data(test_split=split),
                     keras.datasets.boston_housing.load_data(test_split=split), "boston_housing")


def test_fashion_mnist(files):
    rng = np.random.default_rng(1)
    for name, magic, shape in [("train-labels-idx1-ubyte.gz", 2049, (4,)), ("train-images-idx3-ubyte.gz", 2051, (4, 28, 28)),
                               ("t10k-labels-idx1-ubyte.gz", 2049, (2,)), ("t10k-images-idx3-ubyte.gz", 2051, (2, 28, 28))]:
        array = rng.integers(0, 255, shape).astype(np.uint8)
        header = magic.to_bytes(4, "big") + b"".join(d.to_bytes(4, "big") for d in shape)
        with gzip.open(files / name, "wb") as f:
            f.write(header + array.tobytes())
    _assert_same(keraslite.datasets.fashion_mnist.load_data(), keras.datasets.fashion_mnist.load_data(), "fashion")


def test_cifar10(files):
    rng = np.random.default_rng(2)
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
            n = 10000  # Keras's loader assumes full-size batches
            blob = pickle.dumps({b"data": rng.integers(0, 255, (n, 3072)).astype(np.uint8),
                                 b"labels": rng.integers(0, 10, n).tolist()}, protocol=4)
            info = tarfile.TarInfo(f"cifar-10-batches-py/{name}")
            info.size = len(blob)
            tar.addfile(info, io.BytesIO(blob))
    (files / "cifar-10-python.tar.gz").write_bytes(buf.getvalue())
    _assert_same(keraslite.datasets.cifar10.load_data(), keras.datasets.cifar10.load_data(), "cifar10")


@pytest.mark.parametrize("kwargs", [{}, {"num_words": 12}, {"num_words": 15, "skip_top": 4, "maxlen": 6},
                                    {"start_char": None, "oov_char": None, "num_words": 10}])
def test_imdb_and_reuters(files, kwargs):
    rng = np.random.default_rng(3)
    np.savez(files / "imdb.npz", x_train=_ragged(9, rng), y_train=rng.integers(0, 2, 9), x_test=_ragged(7, rng),
             y_test=rng.integers(0, 2, 7))
    np.savez(files / "reuters.npz", x=_ragged(20, rng), y=rng.integers(0, 46, 20))
    _assert_same(keraslite.datasets.imdb.load_data(**kwargs), keras.datasets.imdb.load_data(**kwargs), "imdb")
    _assert_same(keraslite.datasets.reuters.load_data(**kwargs), keras.datasets.reuters.load_data(**kwargs),
                 "reuters")


# ---------------------------------------------------------------------------- seeds: summaries

def _seed_models():
    L = keras.layers
    mlp4 = lambda: keras.Sequential([keras.Input((4,)), L.Dense(8, activation="relu"),  # noqa: E731
                                     L.Dense(6, activation="relu"), L.Dense(1, activation="sigmoid")])
    return {
        "seed_000_dense_class.py": mlp4,
        "seed_001_mlp_layer_talk.py": mlp4,
        "seed_002_fully_connected.py": lambda: keras.Sequential([
            keras.Input((28, 28)), L.Flatten(), L.Dense(128, activation="relu"), L.Dense(10, activation="softmax")]),
        "seed_003_layer_types.py": lambda: keras.Sequential([
            keras.Input((8, 8, 1)), L.Conv2D(2, (3, 3), padding="same", activation="relu"),
            L.MaxPooling2D(pool_size=(2, 2)), L.Conv2D(3, (2, 2), padding="same", activation="relu"),
            L.MaxPooling2D(pool_size=(2, 2)), L.Flatten(), L.Dense(8, activation="relu"),
            L.Dense(3, activation="softmax")]),
        "seed_004_ann_structure.py": lambda: keras.Sequential([
            keras.Input((100,)), L.Dense(64, activation="relu"), L.Dense(32, activation="relu"),
            L.Dense(1, activation="sigmoid")]),
    }


def test_every_seed_has_a_reference_model():
    seeds = sorted(os.path.basename(p) for p in glob.glob(os.path.join(ROOT, "examples", "seed_*.py")))
    assert seeds and seeds == sorted(_seed_models())


def _summary_rows(text):
    """(Class, output shape, params) for each row of the first summary table in `text`."""
    rows = []
    for line in text.splitlines():
        cells = [c.strip() for c in line.split("│")[1:-1]]
        if len(cells) >= 3 and re.fullmatch(r"[\d,]+", cells[2]) and "(" in cells[0]:
            cls = cells[0].rsplit("(", 1)[1].rstrip(")")
            rows.append((cls, cells[1], int(cells[2].replace(",", ""))))
    return rows


@pytest.mark.parametrize("script", sorted(_seed_models()))
def test_seed_summary_matches_keras(script, tmp_path):
    env = dict(os.environ, CI="true", OMP_NUM_THREADS="1",
               PYTHONPATH=os.pathsep.join([ROOT, os.environ.get("PYTHONPATH", "")]))
    out = subprocess.run([sys.executable, "-m", "keraslite", os.path.join(ROOT, "examples", script)],
                         capture_output=True, text=True, stdin=subprocess.DEVNULL, cwd=tmp_path, env=env, timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]
    model = _seed_models()[script]()
    total = re.search(r"Total params: ([\d,]+)", out.stdout)
    assert total, f"{script} printed no summary:\n{out.stdout[-2000:]}"
    assert int(total.group(1).replace(",", "")) == model.count_params()
    expected = [(type(l).__name__, str(tuple(l.output.shape)), l.count_params()) for l in model.layers]
    assert _summary_rows(out.stdout)[:len(expected)] == expected
