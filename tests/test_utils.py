"""keraslite.utils and keraslite.datasets: to_categorical, normalize, pad_sequences, Tokenizer,
set_random_seed, get_file (file:// URLs), model_to_dot / plot_model, and every dataset loader
on small files written in Keras's on-disk formats."""
import gzip
import hashlib
import io
import json
import os
import pickle
import random
import shutil
import sys
import tarfile
import zipfile

import numpy as np
import pytest
import torch

import keraslite
from keraslite import utils


# ---------------------------------------------------------------------------- arrays

def test_to_categorical_basic_and_trailing_one_squeezed():
    out = utils.to_categorical([0, 2, 1])
    np.testing.assert_array_equal(out, np.eye(3)[[0, 2, 1]])
    assert out.dtype == np.float32
    col = utils.to_categorical(np.array([[1], [0]]), num_classes=4)
    assert col.shape == (2, 4)
    np.testing.assert_array_equal(col, [[0, 1, 0, 0], [1, 0, 0, 0]])


def test_to_categorical_keeps_leading_dims_and_dtype():
    y = np.array([[0, 1, 2], [2, 2, 0]])
    out = utils.to_categorical(y, dtype="int64")
    assert out.shape == (2, 3, 3) and out.dtype == np.int64
    np.testing.assert_array_equal(out.argmax(-1), y)


def test_to_categorical_torch_and_range_error():
    out = utils.to_categorical(torch.tensor([[2], [0]]), num_classes=3)
    assert isinstance(out, torch.Tensor) and out.shape == (2, 3) and out.dtype == torch.float32
    assert out.tolist() == [[0, 0, 1], [1, 0, 0]]
    with pytest.raises(ValueError, match="num_classes"):
        utils.to_categorical([0, 5], num_classes=3)


def test_np_utils_module_path():
    from keraslite.utils import np_utils

    assert np_utils.to_categorical is utils.to_categorical


def test_normalize_unit_norm_and_zero_rows():
    x = np.array([[3.0, 4.0], [0.0, 0.0]])
    out = utils.normalize(x)
    np.testing.assert_allclose(out, [[0.6, 0.8], [0.0, 0.0]])
    np.testing.assert_allclose(utils.normalize(x, axis=0, order=1)[:, 0], [1.0, 0.0])
    t = utils.normalize(torch.tensor(x))
    np.testing.assert_allclose(t.numpy(), [[0.6, 0.8], [0.0, 0.0]])


def test_pad_sequences_padding_and_truncating():
    seqs = [[1, 2, 3], [4], []]
    np.testing.assert_array_equal(utils.pad_sequences(seqs), [[1, 2, 3], [0, 0, 4], [0, 0, 0]])
    np.testing.assert_array_equal(utils.pad_sequences(seqs, padding="post", value=9),
                                  [[1, 2, 3], [4, 9, 9], [9, 9, 9]])
    np.testing.assert_array_equal(utils.pad_sequences(seqs, maxlen=2), [[2, 3], [0, 4], [0, 0]])
    np.testing.assert_array_equal(utils.pad_sequences(seqs, maxlen=2, truncating="post"), [[1, 2], [0, 4], [0, 0]])
    assert utils.pad_sequences(seqs).dtype == np.int32
    out = utils.pad_sequences([[[1, 1]], [[2, 2], [3, 3]]], dtype="float32")
    assert out.shape == (2, 2, 2) and out[0].tolist() == [[0, 0], [1, 1]]
    with pytest.raises(ValueError, match="padding"):
        utils.pad_sequences(seqs, padding="middle")


def test_tokenizer_word_index_and_sequences():
    from keraslite.utils.preprocessing.text import Tokenizer

    tok = Tokenizer(num_words=3, oov_token="<unk>")
    tok.fit_on_texts(["The cat sat.", "the cat ran", "a dog"])
    assert tok.word_index["<unk>"] == 1 and tok.word_index["the"] == 2 and tok.word_index["cat"] == 3
    assert tok.texts_to_sequences(["the dog"]) == [[2, 1]]
    assert tok.texts_to_matrix(["the the"], mode="count").tolist() == [[0, 0, 2]]


def test_set_random_seed_repeats_python_numpy_torch():
    def draw():
        return random.random(), np.random.rand(), torch.rand(1).item()

    utils.set_random_seed(123)
    first = draw()
    utils.set_random_seed(123)
    assert draw() == first
    with pytest.raises(ValueError, match="integer"):
        utils.set_random_seed(1.5)


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_set_random_seed_repeats_cuda():
    utils.set_random_seed(7)
    first = torch.rand(4, device="cuda").cpu()
    utils.set_random_seed(7)
    assert torch.equal(torch.rand(4, device="cuda").cpu(), first)


# ---------------------------------------------------------------------------- get_file

def _url(path):
    return "file://" + os.path.abspath(path)


def test_get_file_downloads_once_into_cache(tmp_path):
    src = tmp_path / "src" / "data.bin"
    src.parent.mkdir()
    src.write_bytes(b"hello")
    cache = tmp_path / "cache"
    path = utils.get_file("data.bin", origin=_url(src), cache_dir=str(cache))
    assert path == str(cache / "datasets" / "data.bin")
    assert open(path, "rb").read() == b"hello"
    src.write_bytes(b"changed")  # the cached copy is used from now on
    assert open(utils.get_file("data.bin", origin=_url(src), cache_dir=str(cache)), "rb").read() == b"hello"
    fresh = utils.get_file("data.bin", origin=_url(src), cache_dir=str(cache), force_download=True)
    assert open(fresh, "rb").read() == b"changed"


def test_get_file_name_from_url_cache_subdir_and_keras_home(tmp_path, monkeypatch):
    src = tmp_path / "weights.h5"
    src.write_bytes(b"w")
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "home"))
    path = utils.get_file(origin=_url(src), cache_subdir="models")
    assert path == str(tmp_path / "home" / "models" / "weights.h5")


def test_get_file_hash_checks(tmp_path):
    src = tmp_path / "f.txt"
    src.write_bytes(b"abc")
    sha = hashlib.sha256(b"abc").hexdigest()
    md5 = hashlib.md5(b"abc").hexdigest()
    assert utils.get_file("a.txt", _url(src), file_hash=sha, cache_dir=str(tmp_path / "c"))
    assert utils.get_file("b.txt", _url(src), md5_hash=md5, cache_dir=str(tmp_path / "c"))
    with pytest.raises(ValueError, match="hash does not match"):
        utils.get_file("c.txt", _url(src), file_hash="0" * 64, cache_dir=str(tmp_path / "c"))
    assert not os.path.exists(tmp_path / "c" / "datasets" / "c.txt")  # a bad download is not kept
    # A cached file with a wrong hash is downloaded again.
    cached = tmp_path / "c" / "datasets" / "a.txt"
    cached.write_bytes(b"stale")
    utils.get_file("a.txt", _url(src), file_hash=sha, cache_dir=str(tmp_path / "c"))
    assert cached.read_bytes() == b"abc"


@pytest.mark.parametrize("kind", ["tar.gz", "zip"])
def test_get_file_extract(tmp_path, kind):
    archive = tmp_path / f"pack.{kind}"
    if kind == "zip":
        with zipfile.ZipFile(archive, "w") as z:
            z.writestr("pack/inner.txt", "inside")
    else:
        with tarfile.open(archive, "w:gz") as t:
            data = b"inside"
            info = tarfile.TarInfo("pack/inner.txt")
            info.size = len(data)
            t.addfile(info, io.BytesIO(data))
    folder = utils.get_file(f"pack.{kind}", _url(archive), extract=True, cache_dir=str(tmp_path / "c"))
    assert folder == str(tmp_path / "c" / "datasets" / "pack_extracted")
    assert open(os.path.join(folder, "pack", "inner.txt")).read() == "inside"
    named = utils.get_file("packdir", _url(archive), extract=True, cache_dir=str(tmp_path / "c"))
    assert os.path.isfile(os.path.join(named, "pack", "inner.txt"))


def test_get_file_takes_a_path_as_keras_2_did(tmp_path):
    # Keras 2 joined the cache folder and fname, so an absolute path named the file (the TF
    # course's `mnist.load_data(path=f"{os.getcwd()}/mnist.npz")`). A named file is never replaced.
    own = tmp_path / "mine" / "mnist.npz"
    own.parent.mkdir()
    np.savez(own, x_train=np.zeros((5, 28, 28), "uint8"), y_train=np.arange(5, dtype="uint8"),
             x_test=np.zeros((2, 28, 28), "uint8"), y_test=np.arange(2, dtype="uint8"))
    with pytest.warns(UserWarning, match="hash"):
        (x, y), (xt, yt) = keraslite.datasets.mnist.load_data(path=str(own))
    assert x.shape == (5, 28, 28) and y.tolist() == [0, 1, 2, 3, 4] and xt.shape == (2, 28, 28)
    src = tmp_path / "src.bin"
    src.write_bytes(b"data")
    path = utils.get_file("sub/f.bin", _url(src), cache_dir=str(tmp_path / "c"))  # relative: under the cache
    assert path == str(tmp_path / "c" / "datasets" / "sub" / "f.bin") and open(path, "rb").read() == b"data"


def test_get_file_missing_url_is_a_clear_error(tmp_path):
    with pytest.raises(OSError, match="URL fetch failure"):
        utils.get_file("x", _url(tmp_path / "missing"), cache_dir=str(tmp_path / "c"))


# ---------------------------------------------------------------------------- model_to_dot

def _mlp():
    model = keraslite.Sequential()
    model.add(keraslite.layers.Dense(8, input_dim=4, activation="relu"))
    model.add(keraslite.layers.Dense(1, activation="sigmoid"))
    return model


def test_model_to_dot_labels_and_edges():
    pytest.importorskip("pydot")
    if shutil.which("dot") is None:
        pytest.skip("graphviz `dot` is not installed")
    dot = utils.model_to_dot(_mlp(), show_shapes=True)
    labels = [n.get_label() for n in dot.get_nodes() if n.get_name() not in ("node", "edge", "graph")]
    assert len(labels) == 3 and len(dot.get_edges()) == 2
    assert "dense_input: InputLayer" in labels[0]
    assert "dense: Dense" in labels[1] and "(None, 4)" in labels[1] and "(None, 8)" in labels[1]
    assert "dense_1: Dense" in labels[2] and "(None, 1)" in labels[2]
    assert "input:" in labels[1] and "output:" in labels[1]
    plain = utils.model_to_dot(_mlp())
    assert all("output:" not in (n.get_label() or "") for n in plain.get_nodes())
    svg = dot.create(prog="dot", format="svg")
    assert b"<svg" in svg and b"dense_1: Dense" in svg


def test_model_to_dot_functional_graph():
    pytest.importorskip("pydot")
    if shutil.which("dot") is None:
        pytest.skip("graphviz `dot` is not installed")
    a = keraslite.Input(shape=(6,), name="numeric")
    b = keraslite.Input(shape=(3,), name="extra")
    merged = keraslite.layers.Concatenate(name="merge")([keraslite.layers.Dense(16, name="left")(a),
                                                           keraslite.layers.Dense(4, name="right")(b)])
    model = keraslite.Model([a, b], keraslite.layers.Dense(1, name="price")(merged))
    dot = utils.model_to_dot(model, show_shapes=True)
    names = {n.get_name(): n.get_label().strip('"{}').split("|")[0] for n in dot.get_nodes()
             if n.get_name() not in ("node", "edge", "graph")}
    edges = sorted((names[e.get_source()], names[e.get_destination()]) for e in dot.get_edges())
    assert edges == [("extra: InputLayer", "right: Dense"), ("left: Dense", "merge: Concatenate"),
                     ("merge: Concatenate", "price: Dense"), ("numeric: InputLayer", "left: Dense"),
                     ("right: Dense", "merge: Concatenate")]
    merge_label = [n.get_label() for n in dot.get_nodes() if "merge" in (n.get_label() or "")][0]
    assert "(None, 16), (None, 4)" in merge_label and "(None, 20)" in merge_label


def test_plot_model_writes_file(tmp_path):
    pytest.importorskip("pydot")
    if shutil.which("dot") is None:
        pytest.skip("graphviz `dot` is not installed")
    target = tmp_path / "model.png"
    utils.plot_model(_mlp(), to_file=str(target), show_shapes=True)
    assert target.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    utils.plot_model(_mlp(), to_file=str(tmp_path / "model.dot"))
    assert "digraph" in (tmp_path / "model.dot").read_text()


def test_model_to_dot_install_help(monkeypatch):
    monkeypatch.setitem(sys.modules, "pydot", None)
    with pytest.raises(ImportError, match=r"pip install pydot.*apt-get install graphviz"):
        utils.model_to_dot(_mlp())
    monkeypatch.delitem(sys.modules, "pydot")
    pytest.importorskip("pydot")
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(ImportError, match="graphviz"):
        utils.model_to_dot(_mlp())


def test_plot_model_without_graphviz_raises_in_scripts_prints_in_notebooks(tmp_path, monkeypatch, capsys):
    # Keras's plot_model: ImportError in a script; in IPython it prints the message and returns
    monkeypatch.setattr(shutil, "which", lambda name: None)
    monkeypatch.delitem(sys.modules, "IPython.core.magics.namespace", raising=False)
    target = tmp_path / "m.png"
    with pytest.raises(ImportError, match="graphviz"):
        utils.plot_model(_mlp(), to_file=str(target))
    monkeypatch.setitem(sys.modules, "IPython.core.magics.namespace", type(sys)("IPython.core.magics.namespace"))
    assert utils.plot_model(_mlp(), to_file=str(target), show_shapes=True) is None
    assert "graphviz" in capsys.readouterr().out
    assert not target.exists()
    with pytest.raises(ImportError):      # model_to_dot itself still raises, as in Keras
        utils.model_to_dot(_mlp())


def test_registry_reexports():
    assert utils.register_keras_serializable is keraslite.saving.register_keras_serializable
    scope = utils.custom_object_scope({"Thing": int})
    for _ in range(2):  # one scope object entered twice, and nested in itself
        with scope:
            with scope:
                assert keraslite.saving.get_registered_object("Thing") is int
            assert keraslite.saving.get_registered_object("Thing") is int
    assert keraslite.saving.get_registered_object("Thing") is None
    assert isinstance(utils.get_custom_objects(), dict)


def test_lazy_reexports_of_modules_owned_elsewhere():
    from keraslite.utils import summary

    assert utils.print_summary is summary.print_summary
    from keraslite.training import data

    assert utils.Sequence is data.Sequence and utils.PyDataset is data.PyDataset


def test_headless_display_prints_short_line(capsys, tmp_path):
    from keraslite.utils.ipython_display import SVG, Image, display

    display(SVG("<svg/>"))
    assert capsys.readouterr().out.strip() == "<SVG image/svg+xml: 6 bytes>"
    picture = tmp_path / "model.png"
    picture.write_bytes(b"\x89PNG0123")
    assert Image(str(picture)).data == b"\x89PNG0123"  # a file name is read, as IPython does


# ---------------------------------------------------------------------------- datasets

@pytest.fixture
def mirror(tmp_path, monkeypatch):
    """A file:// mirror holding the files the loaders download, and an empty Keras cache."""
    folder = tmp_path / "mirror"
    folder.mkdir()
    monkeypatch.setenv("KERASLITE_DATASETS_MIRROR", "file://" + str(folder))
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras_home"))
    return folder


def _object_array(lists):
    out = np.empty(len(lists), dtype=object)
    for i, item in enumerate(lists):
        out[i] = list(item)
    return out


def test_mnist(mirror):
    rng = np.random.default_rng(0)
    arrays = {"x_train": rng.integers(0, 255, (5, 28, 28), dtype=np.uint8), "y_train": np.arange(5, dtype=np.uint8),
              "x_test": rng.integers(0, 255, (2, 28, 28), dtype=np.uint8), "y_test": np.arange(2, dtype=np.uint8)}
    np.savez(mirror / "mnist.npz", **arrays)
    (x_train, y_train), (x_test, y_test) = keraslite.datasets.mnist.load_data()
    np.testing.assert_array_equal(x_train, arrays["x_train"])
    np.testing.assert_array_equal(y_test, arrays["y_test"])
    assert x_train.dtype == np.uint8 and x_test.shape == (2, 28, 28)
    assert os.path.exists(os.path.join(os.environ["KERAS_HOME"], "datasets", "mnist.npz"))


def _idx(path, magic, array):
    header = magic.to_bytes(4, "big") + b"".join(int(d).to_bytes(4, "big") for d in array.shape)
    with gzip.open(path, "wb") as f:
        f.write(header + array.astype(np.uint8).tobytes())


def test_fashion_mnist(mirror):
    rng = np.random.default_rng(1)
    x_train, y_train = rng.integers(0, 255, (3, 28, 28)), np.array([1, 2, 3])
    x_test, y_test = rng.integers(0, 255, (2, 28, 28)), np.array([9, 0])
    _idx(mirror / "train-labels-idx1-ubyte.gz", 2049, y_train)
    _idx(mirror / "train-images-idx3-ubyte.gz", 2051, x_train)
    _idx(mirror / "t10k-labels-idx1-ubyte.gz", 2049, y_test)
    _idx(mirror / "t10k-images-idx3-ubyte.gz", 2051, x_test)
    (a, b), (c, d) = keraslite.datasets.fashion_mnist.load_data()
    np.testing.assert_array_equal(a, x_train)
    np.testing.assert_array_equal(b, y_train)
    np.testing.assert_array_equal(c, x_test)
    np.testing.assert_array_equal(d, y_test)
    assert a.dtype == np.uint8 and a.shape == (3, 28, 28)
    assert os.path.isdir(os.path.join(os.environ["KERAS_HOME"], "datasets", "fashion-mnist"))


def _cifar_archive(folder, per_batch=2):
    rng = np.random.default_rng(2)
    batches = {}
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
            data = rng.integers(0, 255, (per_batch, 3072)).astype(np.uint8)
            labels = list(rng.integers(0, 10, per_batch).tolist())
            batches[name] = (data, labels)
            blob = pickle.dumps({b"data": data, b"labels": labels, b"batch_label": b"x"}, protocol=4)
            info = tarfile.TarInfo(f"cifar-10-batches-py/{name}")
            info.size = len(blob)
            tar.addfile(info, io.BytesIO(blob))
    (folder / "cifar-10-python.tar.gz").write_bytes(buf.getvalue())
    return batches


def test_cifar10_channels_last(mirror):
    batches = _cifar_archive(mirror)
    (x_train, y_train), (x_test, y_test) = keraslite.datasets.cifar10.load_data()
    assert x_train.shape == (10, 32, 32, 3) and x_train.dtype == np.uint8
    assert y_train.shape == (10, 1) and y_train.dtype == np.uint8 and x_test.shape == (2, 32, 32, 3)
    first = batches["data_batch_1"][0][0].reshape(3, 32, 32).transpose(1, 2, 0)
    np.testing.assert_array_equal(x_train[0], first)
    np.testing.assert_array_equal(y_test[:, 0], batches["test_batch"][1])


def test_cifar10_refuses_foreign_pickles(mirror, tmp_path):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        blob = pickle.dumps(os.getcwd)  # a callable: must not be loaded
        info = tarfile.TarInfo("cifar-10-batches-py/data_batch_1")
        info.size = len(blob)
        tar.addfile(info, io.BytesIO(blob))
    (mirror / "cifar-10-python.tar.gz").write_bytes(buf.getvalue())
    with pytest.raises(pickle.UnpicklingError, match="Refusing"):
        keraslite.datasets.cifar10.load_data()


@pytest.mark.parametrize("label_mode", ["fine", "coarse"])
def test_cifar100_label_modes(mirror, label_mode):
    rng = np.random.default_rng(3)
    parts = {}
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, n in (("train", 4), ("test", 2)):
            data = rng.integers(0, 255, (n, 3072)).astype(np.uint8)
            fine, coarse = rng.integers(0, 100, n).tolist(), rng.integers(0, 20, n).tolist()
            parts[name] = (data, {"fine": fine, "coarse": coarse})
            blob = pickle.dumps({b"data": data, b"fine_labels": fine, b"coarse_labels": coarse}, protocol=4)
            info = tarfile.TarInfo(f"cifar-100-python/{name}")
            info.size = len(blob)
            tar.addfile(info, io.BytesIO(blob))
    (mirror / "cifar-100-python.tar.gz").write_bytes(buf.getvalue())
    (x_train, y_train), (x_test, y_test) = keraslite.datasets.cifar100.load_data(label_mode=label_mode)
    assert x_train.shape == (4, 32, 32, 3) and x_test.shape == (2, 32, 32, 3) and x_train.dtype == np.uint8
    assert y_train.shape == (4, 1) and y_test.shape == (2, 1)
    np.testing.assert_array_equal(x_test[1], parts["test"][0][1].reshape(3, 32, 32).transpose(1, 2, 0))
    np.testing.assert_array_equal(y_train[:, 0], parts["train"][1][label_mode])
    with pytest.raises(ValueError, match="label_mode"):
        keraslite.datasets.cifar100.load_data(label_mode="medium")


def test_california_housing_versions(mirror):
    x = np.arange(1000 * 8, dtype=np.float32).reshape(1000, 8)
    y = np.arange(1000, dtype=np.float32) * 8
    np.savez(mirror / "california_housing.npz", x=x, y=y)
    (xtr, ytr), (xte, yte) = keraslite.datasets.california_housing.load_data()
    assert xtr.shape == (800, 8) and xte.shape == (200, 8)
    np.testing.assert_array_equal(xtr[:, 0], ytr)  # rows and targets shuffled together
    (xs, ys), (xst, yst) = keraslite.datasets.california_housing.load_data(version="small", test_split=0.5)
    assert len(xs) == 300 and len(xst) == 300 and max(ys.max(), yst.max()) < 600 * 8
    order = np.arange(600)
    np.random.RandomState(113).shuffle(order)  # Keras's documented split: RandomState(seed) shuffle
    np.testing.assert_array_equal(ys, y[order[:300]])
    with pytest.raises(ValueError, match="version"):
        keraslite.datasets.california_housing.load_data(version="medium")


def test_imdb_indexing_and_vocab_limit(mirror):
    x_train = _object_array([[1, 2, 3], [4, 5], [6, 7, 8, 9]])
    x_test = _object_array([[10, 1], [2]])
    np.savez(mirror / "imdb.npz", x_train=x_train, y_train=np.array([0, 1, 0]), x_test=x_test,
             y_test=np.array([1, 0]))
    (xtr, ytr), (xte, yte) = keraslite.datasets.imdb.load_data(num_words=8)
    assert xtr.dtype == object and len(xtr) == 3 and len(xte) == 2
    # Every review starts with start_char=1; words shift by index_from=3; >= num_words -> oov_char=2.
    for seq in list(xtr) + list(xte):
        assert seq[0] == 1 and all(w < 8 for w in seq)
    as_sets = sorted(tuple(s) for s in xtr)
    expected = sorted(tuple([1] + [w + 3 if w + 3 < 8 else 2 for w in s]) for s in x_train)
    assert as_sets == expected
    (short, _), _ = keraslite.datasets.imdb.load_data(maxlen=4)
    assert all(len(s) < 4 for s in short)


def test_reuters_split(mirror):
    xs = _object_array([[i, i + 1] for i in range(10)])
    np.savez(mirror / "reuters.npz", x=xs, y=np.arange(10))
    (xtr, ytr), (xte, yte) = keraslite.datasets.reuters.load_data(test_split=0.2)
    assert len(xtr) == 8 and len(xte) == 2
    assert sorted(np.concatenate([ytr, yte]).tolist()) == list(range(10))
    assert len(keraslite.datasets.reuters.get_label_names()) == 46


def test_boston_housing_split(mirror):
    x = np.arange(50 * 13, dtype=np.float64).reshape(50, 13)
    y = np.arange(50, dtype=np.float64)
    np.savez(mirror / "boston_housing.npz", x=x, y=y)
    (xtr, ytr), (xte, yte) = keraslite.datasets.boston_housing.load_data()
    assert xtr.shape == (40, 13) and xte.shape == (10, 13) and xtr.dtype == np.float64
    np.testing.assert_array_equal(xtr[:, 0] / 13, ytr)  # rows and targets shuffled together
    with pytest.raises(ValueError, match="test_split"):
        keraslite.datasets.boston_housing.load_data(test_split=1.0)


def test_keras1_probas_to_classes():
    from keraslite.utils import np_utils

    np.testing.assert_array_equal(np_utils.probas_to_classes(np.array([[0.1, 0.9], [0.8, 0.2]])), [1, 0])
    np.testing.assert_array_equal(np_utils.probas_to_classes(np.array([[0.7], [0.2], [0.5]])), [1, 0, 0])
    np.testing.assert_array_equal(np_utils.categorical_probas_to_classes(np.array([[0.2, 0.3, 0.5]])), [2])


def test_keras1_tokenizer_nb_words_and_one_hot():
    from keraslite.utils.preprocessing import text

    with pytest.warns(UserWarning, match="nb_words.*renamed `num_words`"):
        tok = text.Tokenizer(nb_words=3)
    assert tok.num_words == 3
    tok.fit_on_texts(["a a a b b c", "c d"])
    assert tok.texts_to_sequences(["a b c d"]) == [[1, 2]]
    with pytest.raises(TypeError, match="Unrecognized keyword arguments: \\{'nb_word': 3\\}"):
        text.Tokenizer(nb_word=3)
    dashed = text.Tokenizer(analyzer=lambda s: s.split("-"))
    dashed.fit_on_texts(["x-Y-x"])
    assert dashed.word_index == {"x": 1, "Y": 2}
    codes = text.one_hot("The cat sat on the mat.", 50)
    assert len(codes) == 6 and all(1 <= c < 50 for c in codes) and codes[0] == codes[4]  # 'the' twice
    stable = text.hashing_trick("cat sat", 10, hash_function="md5")
    assert stable == [int(__import__("hashlib").md5(w.encode()).hexdigest(), 16) % 9 + 1 for w in ["cat", "sat"]]


def test_warnings_point_at_the_users_line():
    # Raised several keraslite frames deep (a legacy-argument wrapper, fit's loop), they must
    # still name the line of the program that caused them.
    import warnings

    import numpy as np

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        from keraslite.utils.preprocessing.image import ImageDataGenerator

        ImageDataGenerator(zca_whitening=True)
        model = keraslite.Sequential([keraslite.Input((2,)), keraslite.layers.Dense(1)])
        model.compile(loss="mse")
        model.layers[0].trainable = False
        model.fit(np.ones((4, 2)), np.ones((4, 1)), verbose=0)
    relevant = [w for w in caught if "zca_whitening" in str(w.message) or "since compile()" in str(w.message)]
    assert len(relevant) == 2 and {w.filename for w in relevant} == {__file__}


def test_tokenizer_keras2_api_round_trips_through_json():
    from keraslite.utils.preprocessing.text import Tokenizer, tokenizer_from_json

    t = Tokenizer(num_words=3, oov_token="<OOV>")
    t.fit_on_texts(["a a a b b c", "b d"])
    assert t.word_index == {"<OOV>": 1, "a": 2, "b": 3, "c": 4, "d": 5}
    # indices past num_words, and unknown ones, read back as the OOV word (keras_preprocessing)
    assert t.sequences_to_texts([[2, 3, 4, 99]]) == ["a <OOV> <OOV> <OOV>"]
    assert t.texts_to_sequences(["a b z"]) == [[2, 1, 1]]
    assert list(t.texts_to_sequences_generator(["a"])) == [[2]]
    assert list(t.sequences_to_texts_generator([[2]])) == ["a"]
    assert t.index_docs == {2: 1, 3: 2, 4: 1, 5: 1}
    back = tokenizer_from_json(t.to_json())
    for name in ("word_index", "index_word", "word_counts", "word_docs", "index_docs", "document_count",
                 "num_words", "oov_token"):
        assert getattr(back, name) == getattr(t, name), name
    assert back.sequences_to_texts([[2, 4]]) == ["a <OOV>"]
    assert json.loads(t.to_json())["class_name"] == "Tokenizer"
    # token lists are lowercased as texts are; fit_on_sequences counts documents per index
    u = Tokenizer()
    u.fit_on_texts([["Hello", "World"], ["hello"]])
    assert u.word_index == {"hello": 1, "world": 2}
    u.fit_on_sequences([[1, 1, 2]])
    assert u.document_count == 3 and u.index_docs == {1: 3, 2: 2}
    np.testing.assert_allclose(u.sequences_to_matrix([[1, 1]], mode="tfidf")[0, 1],
                               (1 + np.log(2)) * np.log(1 + 3 / (1 + 3)))


def test_timeseries_generator_as_keras_2_documents_it():
    # Keras 2's docstring example, and the time-series book's fit_generator use.
    from keraslite.utils.preprocessing.sequence import TimeseriesGenerator

    data = np.array([[i] for i in range(50)])
    gen = TimeseriesGenerator(data, data, length=10, sampling_rate=2, batch_size=2)
    assert len(gen) == 20
    x, y = gen[0]
    np.testing.assert_array_equal(x, [[[0], [2], [4], [6], [8]], [[1], [3], [5], [7], [9]]])
    np.testing.assert_array_equal(y, [[10], [11]])
    x, y = TimeseriesGenerator(data, data, length=3, stride=2, batch_size=4, reverse=True, end_index=20)[0]
    np.testing.assert_array_equal(y[:, 0], [3, 5, 7, 9])
    np.testing.assert_array_equal(x[0, :, 0], [2, 1, 0])
    series = np.arange(1, 11, dtype="float32")
    gen = TimeseriesGenerator(series, series, length=2, batch_size=8)
    model = keraslite.Sequential([keraslite.Input((2,)), keraslite.layers.Dense(1)])
    model.compile("adam", "mse")
    model.fit(gen, epochs=1, verbose=0)
    assert model.predict(gen, verbose=0).shape == (8, 1)
    with pytest.raises(ValueError, match="same length"):
        TimeseriesGenerator(series, series[:3], length=2)


def test_tokenizer_word_docs_count_zero_for_unseen_and_matrix_needs_a_size():
    from keraslite.utils.preprocessing.text import Tokenizer

    tokenizer = Tokenizer()
    tokenizer.fit_on_texts(["the cat", "the dog"])
    assert tokenizer.word_docs["the"] == 2 and tokenizer.word_docs["unseen"] == 0  # Keras 2's defaultdict
    assert tokenizer.index_docs[99] == 0
    bare = Tokenizer()
    bare.fit_on_sequences([[1, 2], [2, 3]])
    with pytest.raises(ValueError, match="specify a dimension"):
        bare.sequences_to_matrix([[1, 2]], mode="tfidf")


def test_keras1_slice_x_and_to_categorical_nb_classes():
    """Keras 1's addition_rnn imports keras.engine.training.slice_X; its to_categorical took
    `nb_classes`. Keras 2 kept the slicing helper as generic_utils.slice_arrays."""
    import numpy as np

    from keraslite.compat.keras2_engine import slice_X
    from keraslite.utils import slice_arrays, to_categorical

    x, y = np.arange(10), np.arange(20).reshape(10, 2)
    np.testing.assert_array_equal(slice_X(x, 2, 5), x[2:5])
    np.testing.assert_array_equal(slice_X(x, 7), x[7:])
    first, second, none = slice_arrays([x, y, None], np.array([1, 3]))
    np.testing.assert_array_equal(first, [1, 3])
    np.testing.assert_array_equal(second, y[[1, 3]])
    assert none is None
    np.testing.assert_array_equal(to_categorical([0, 2], nb_classes=4), np.eye(4, dtype="float32")[[0, 2]])
    with pytest.raises(TypeError, match="disagree"):
        to_categorical([0, 2], num_classes=3, nb_classes=4)
