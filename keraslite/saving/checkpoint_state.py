"""The `checkpoint` state file that tf.keras 2 kept next to weights saved under a name without
'.h5'/'.keras' (`model.save_weights("training_1/cp.ckpt")`, ModelCheckpoint on such names),
which `tf.train.latest_checkpoint(dir)` reads. keraslite writes HDF5 weights under those
names and keeps the same text file, so that programs restoring "the latest checkpoint" work:

    model_checkpoint_path: "cp-0005.ckpt"
    all_model_checkpoint_paths: "cp-0000.ckpt"
    all_model_checkpoint_paths: "cp-0005.ckpt"

Paths in the same folder are written relative to it, as TensorFlow writes them.
"""
import os
import re

from keraslite.saving.weights import atomic_write

__all__ = ["record", "latest", "every", "keep_only"]

STATE_FILE = "checkpoint"
_LINE = re.compile(r'^\s*(model_checkpoint_path|all_model_checkpoint_paths)\s*:\s*"((?:[^"\\]|\\.)*)"\s*$')


def _read(path):
    latest, every = None, []
    try:
        with open(path, encoding="utf-8") as f:
            for line in f:
                match = _LINE.match(line)
                if match:
                    value = match.group(2).encode("latin-1", "backslashreplace").decode("unicode_escape")
                    if match.group(1) == "model_checkpoint_path":
                        latest = value
                    else:
                        every.append(value)
    except (OSError, UnicodeDecodeError):
        return None, []
    return latest, every


def _quote(value):
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def record(filepath):
    """Note `filepath` (just written) as the latest checkpoint of its folder."""
    directory = os.path.dirname(os.path.abspath(filepath))
    name = os.path.basename(filepath)
    _, listed = _read(os.path.join(directory, STATE_FILE))
    _write(directory, name, [p for p in listed if p != name] + [name])


def keep_only(filepath, kept):
    """Note `filepath` as the latest and `kept` (paths in its folder) as all the checkpoints left."""
    directory = os.path.dirname(os.path.abspath(filepath))
    _write(directory, os.path.basename(filepath), [os.path.basename(p) for p in kept])


def every(checkpoint_dir):
    """The paths of all checkpoints the folder's state file lists, oldest first."""
    directory = os.fspath(checkpoint_dir)
    _, listed = _read(os.path.join(directory, STATE_FILE))
    return [p if os.path.isabs(p) else os.path.join(directory, p) for p in listed]


def _write(directory, name, every):
    state = os.path.join(directory, STATE_FILE)
    text = f"model_checkpoint_path: {_quote(name)}\n" + "".join(
        f"all_model_checkpoint_paths: {_quote(p)}\n" for p in every)
    with atomic_write(state) as tmp:
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(text)


def latest(checkpoint_dir, latest_filename=None):
    """tf.train.latest_checkpoint: the path of the folder's latest checkpoint, or None."""
    directory = os.fspath(checkpoint_dir)
    name, _ = _read(os.path.join(directory, latest_filename or STATE_FILE))
    if not name:
        return None
    path = name if os.path.isabs(name) else os.path.join(directory, name)
    return path if os.path.exists(path) or os.path.exists(path + ".index") else None
