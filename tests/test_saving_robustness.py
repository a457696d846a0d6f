"""Damaged and hostile files: truncated, bit-flipped and random-bytes `.h5` / `.keras` / `.zip`
files end in a keraslite error (ValueError or OSError), never a crash or a hang; writes are
atomic; Lambda bytecode is never run without safe_mode=False."""
import os
import subprocess
import sys
import textwrap
import zipfile

import numpy as np
import pytest
import torch

import keraslite
from keraslite import layers

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def small_model():
    return keraslite.Sequential([keraslite.Input((3,)), layers.Dense(2, activation="relu"), layers.Dense(1)])


@pytest.fixture
def files(tmp_path):
    model = small_model()
    paths = {"h5": tmp_path / "m.h5", "keras": tmp_path / "m.keras", "weights": tmp_path / "m.weights.h5",
             "legacy_weights": tmp_path / "w.h5"}
    model.save(paths["h5"])
    model.save(paths["keras"])
    model.save_weights(paths["weights"])
    model.save_weights(paths["legacy_weights"])
    return paths


def _load_any(path):
    if "weights" in os.path.basename(path) or os.path.basename(path) == "w.h5":
        small_model().load_weights(path)
    else:
        keraslite.saving.load_model(path)


@pytest.mark.parametrize("kind", ["h5", "keras", "weights", "legacy_weights"])
def test_truncated_files_raise_keraslite_errors(files, kind, tmp_path):
    data = open(files[kind], "rb").read()
    cuts = sorted(set([0, 1, 7, 8, 100, 512, 2048] + [int(len(data) * f) for f in (0.25, 0.5, 0.75, 0.9, 0.99)]))
    for cut in cuts:
        if cut >= len(data):
            continue
        path = tmp_path / ("cut_" + os.path.basename(files[kind]))
        path.write_bytes(data[:cut])
        with pytest.raises((ValueError, OSError)):
            _load_any(str(path))


@pytest.mark.parametrize("suffix", ["m.h5", "m.keras", "m.zip", "m.weights.h5", "m.hdf5"])
def test_random_bytes_raise_keraslite_errors(tmp_path, suffix):
    rng = np.random.default_rng(0)
    for i, size in enumerate([0, 10, 1000, 50000]):
        path = tmp_path / f"{i}{suffix}"
        path.write_bytes(rng.integers(0, 256, size=size, dtype=np.uint8).tobytes())
        with pytest.raises((ValueError, OSError)):
            keraslite.saving.load_model(str(path))
        with pytest.raises((ValueError, OSError)):
            small_model().load_weights(str(path))


def test_random_and_foreign_hdf5_and_zip(tmp_path):
    import h5py

    with h5py.File(tmp_path / "foreign.h5", "w") as f:
        f.create_dataset("x", data=np.arange(3))
    with pytest.raises(ValueError, match="not a Keras model"):
        keraslite.saving.load_model(str(tmp_path / "foreign.h5"))
    with pytest.raises(ValueError, match="no Keras weights"):
        small_model().load_weights(str(tmp_path / "foreign.h5"))
    with zipfile.ZipFile(tmp_path / "foreign.keras", "w") as z:
        z.writestr("hello.txt", "hi")
    with pytest.raises(ValueError, match="config.json"):
        keraslite.saving.load_model(str(tmp_path / "foreign.keras"))
    with zipfile.ZipFile(tmp_path / "badjson.keras", "w") as z:
        z.writestr("config.json", "{not json")
        z.writestr("model.weights.h5", b"")
    with pytest.raises(ValueError, match="JSON"):
        keraslite.saving.load_model(str(tmp_path / "badjson.keras"))


_FLIP_SCRIPT = textwrap.dedent("""
    import os, sys, warnings
    import numpy as np
    warnings.simplefilter("ignore")
    import keraslite
    from keraslite import layers

    def small_model():
        return keraslite.Sequential([keraslite.Input((3,)), layers.Dense(2, activation="relu"), layers.Dense(1)])

    src, kind, n, seed = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    data = bytearray(open(src, "rb").read())
    rng = np.random.default_rng(seed)
    target = src + ".flip" + os.path.splitext(src)[1]
    if src.endswith(".weights.h5"):
        target = src + ".flip.weights.h5"
    outcomes = {"ok": 0, "error": 0}
    for i in range(n):
        damaged = bytearray(data)
        for _ in range(int(rng.integers(1, 4))):
            pos = int(rng.integers(0, len(damaged)))
            damaged[pos] ^= 1 << int(rng.integers(0, 8))
        with open(target, "wb") as fh:
            fh.write(damaged)
        try:
            if kind == "weights":
                small_model().load_weights(target)
            else:
                keraslite.saving.load_model(target)
            outcomes["ok"] += 1
        except (ValueError, OSError):
            outcomes["error"] += 1
        except BaseException as e:
            print(f"UNEXPECTED {type(e).__name__}: {e} (flip run {i})")
            sys.exit(3)
    print("OUTCOMES", outcomes)
""")


@pytest.mark.parametrize("kind", ["h5", "keras", "weights"])
def test_bit_flips_never_crash_or_hang(files, kind, tmp_path):
    script = tmp_path / "flip.py"
    script.write_text(_FLIP_SCRIPT)
    env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONPATH=REPO + os.pathsep + os.environ.get("PYTHONPATH", ""))
    try:
        proc = subprocess.run([sys.executable, str(script), str(files[kind]),
                               "weights" if kind == "weights" else "model", "40", "1"],
                              capture_output=True, text=True, timeout=240, env=env)
    except subprocess.TimeoutExpired:
        pytest.fail(f"loading bit-flipped {kind} files hung (no result in 240 s)")
    assert proc.returncode == 0, f"exit {proc.returncode}\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}"
    assert "OUTCOMES" in proc.stdout


def test_atomic_write_keeps_previous_file_on_failure(tmp_path, monkeypatch):
    from keraslite.saving import weights as W

    model = small_model()
    path = tmp_path / "m.h5"
    model.save(path)
    before = path.read_bytes()

    def boom(*args, **kwargs):
        raise RuntimeError("disk full (simulated)")

    monkeypatch.setattr(W, "write_legacy_group", boom)
    with pytest.raises(RuntimeError, match="simulated"):
        small_model().save(path)
    with pytest.raises(RuntimeError, match="simulated"):
        small_model().save_weights(tmp_path / "m.h5")
    assert path.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["m.h5"], "temporary files were left behind"
    keraslite.saving.load_model(path)  # still a good file


def test_atomic_write_keras_zip(tmp_path, monkeypatch):
    model = small_model()
    path = tmp_path / "m.keras"
    model.save(path)
    before = path.read_bytes()
    real = zipfile.ZipFile.writestr

    def failing(self, name, data, *args, **kwargs):
        if str(getattr(name, "filename", name)).endswith(".h5"):
            raise OSError("write failed (simulated)")
        return real(self, name, data, *args, **kwargs)

    monkeypatch.setattr(zipfile.ZipFile, "writestr", failing)
    with pytest.raises(OSError, match="simulated"):
        small_model().save(path)
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["m.keras"]


def _lambda_model():
    return keraslite.Sequential([keraslite.Input((3,)), layers.Lambda(lambda x: x + 1.0), layers.Dense(1)])


@pytest.mark.parametrize("ext", ["keras", "h5"])
def test_lambda_bytecode_refused_without_safe_mode_false(tmp_path, ext, monkeypatch):
    model = _lambda_model()
    path = tmp_path / f"lam.{ext}"
    model.save(path)
    ran = []
    import marshal

    real_loads = marshal.loads
    def loads(*args, **kwargs):
        # Python's import system also unmarshals (.pyc files of modules imported lazily during
        # the load); only keraslite's own calls count.
        if sys._getframe(1).f_globals.get("__name__", "").startswith("keraslite"):
            ran.append(1)
        return real_loads(*args, **kwargs)

    monkeypatch.setattr(marshal, "loads", loads)
    with pytest.raises(ValueError, match="safe_mode"):
        keraslite.saving.load_model(path)
    assert not ran, "bytecode was decoded although safe_mode=True"
    monkeypatch.undo()
    loaded = keraslite.saving.load_model(path, safe_mode=False)
    x = torch.ones(2, 3)
    loaded.eval()
    model.eval()
    np.testing.assert_allclose(loaded(x).detach().numpy(), model(x).detach().numpy())


def test_no_pickle_on_load(tmp_path, monkeypatch):
    """Loading never unpickles: make pickle.loads explode and load every format."""
    import pickle

    model = small_model()
    model.save(tmp_path / "m.keras")
    model.save(tmp_path / "m.h5")

    def refuse(*args, **kwargs):
        raise AssertionError("pickle.loads called while loading a model file")

    monkeypatch.setattr(pickle, "loads", refuse)
    monkeypatch.setattr(pickle, "load", refuse)
    keraslite.saving.load_model(tmp_path / "m.keras")
    keraslite.saving.load_model(tmp_path / "m.h5")


@pytest.mark.parametrize("name", ["m.h5", "m.weights.h5", "w.h5"])
def test_flipped_weight_bytes_are_detected(tmp_path, name):
    """A flipped bit inside a weight array (not just in the file's structure) is caught by the
    datasets' checksums instead of loading wrong numbers."""
    import h5py

    model = small_model()
    path = tmp_path / name
    if name == "m.h5":
        model.save(path)
    else:
        model.save_weights(path)
    offsets = []
    with h5py.File(path, "r") as f:
        def visit(_, obj):
            if isinstance(obj, h5py.Dataset) and obj.chunks:
                info = obj.id.get_chunk_info(0)
                offsets.append(info.byte_offset)
        f.visititems(visit)
    assert offsets, "no checksummed datasets written"
    data = bytearray(path.read_bytes())
    data[offsets[0] + 1] ^= 0x10
    path.write_bytes(bytes(data))
    with pytest.raises((ValueError, OSError)):
        _load_any(str(path))


def test_deeply_nested_json_is_an_error_not_a_crash(tmp_path):
    deep = "[" * 100000 + "]" * 100000
    with zipfile.ZipFile(tmp_path / "deep.keras", "w") as z:
        z.writestr("config.json", deep)
        z.writestr("model.weights.h5", b"")
    with pytest.raises(ValueError):
        keraslite.saving.load_model(str(tmp_path / "deep.keras"))
    import h5py

    with h5py.File(tmp_path / "deep.h5", "w") as f:
        f.attrs["model_config"] = deep.encode()
        f.create_group("model_weights")
    with pytest.raises(ValueError):
        keraslite.saving.load_model(str(tmp_path / "deep.h5"))
    with pytest.raises(ValueError):
        keraslite.saving.model_from_json(deep)


def test_links_to_other_files_are_refused(tmp_path):
    import h5py

    model = small_model()
    model.save_weights(tmp_path / "w.h5")
    with h5py.File(tmp_path / "other.h5", "w") as f:
        f.create_dataset("k", data=np.ones((3, 2), "float32"))
    with h5py.File(tmp_path / "w.h5", "a") as f:
        first = [n.decode() for n in f.attrs["layer_names"]][0]
        name = [n.decode() for n in f[first].attrs["weight_names"]][0]
        del f[first][name]
        f[first][name] = h5py.ExternalLink(str(tmp_path / "other.h5"), "k")
    with pytest.raises(ValueError, match="link to another file"):
        small_model().load_weights(str(tmp_path / "w.h5"))


def test_saved_files_get_the_mode_a_plain_open_gives(tmp_path):
    # The temp file is private (0600) until it is renamed; the result must be readable by others
    # as Keras's own files are (0666 less the umask), and an existing file keeps its mode.
    old = os.umask(0o022)
    try:
        model = keraslite.Sequential([keraslite.layers.Dense(1, input_shape=(2,))])
        model.compile(loss="mse", optimizer="adam")
        paths = [tmp_path / "m.h5", tmp_path / "m.keras", tmp_path / "w.weights.h5"]
        model.save(paths[0])
        model.save(paths[1])
        model.save_weights(paths[2])
        assert [oct(os.stat(p).st_mode & 0o777) for p in paths] == [oct(0o644)] * 3
        model.save(tmp_path / "unzipped", zipped=False)
        assert os.stat(tmp_path / "unzipped").st_mode & 0o777 == 0o755
        os.chmod(paths[0], 0o600)
        model.save(paths[0])
        assert os.stat(paths[0]).st_mode & 0o777 == 0o600
    finally:
        os.umask(old)
