"""The Keras 3 native formats: the `.keras` zip and `.weights.h5` files.

Owns the archive (metadata.json, config.json, model.weights.h5, stored uncompressed as Keras
does) and the weights file's object layout (`layers/<snake_case class>[_n]/vars/<i>`,
sublayers by attribute name, `optimizer/vars/<i>`), whose walk is in
keraslite.saving.weights.walk_objects. Configs go through keraslite.saving.serialization,
compile configs through keraslite.saving.config.
"""
import datetime
import io
import json
import zipfile

import h5py

from keraslite.saving import weights as W
from keraslite.saving.weights import KerasFileError, current_umask, replace_path

CONFIG = "config.json"
METADATA = "metadata.json"
WEIGHTS = "model.weights.h5"
_MAX_JSON_BYTES = 256 * 1024 * 1024


def _weights_bytes(model, include_optimizer=True):
    buffer = io.BytesIO()
    with h5py.File(buffer, "w") as f:
        W.write_keras3_weights(f, model, include_optimizer=include_optimizer)
    return buffer.getvalue()


def _members(model, include_optimizer):
    """{member name: bytes} of a `.keras` archive."""
    from keraslite.saving.config import saved_compile_config
    from keraslite.saving.hdf5 import to_json
    from keraslite.saving.serialization import serialize_layer

    config = serialize_layer(model)
    compile_config = saved_compile_config(model) if include_optimizer else None
    if compile_config is not None:
        config["compile_config"] = compile_config
    metadata = {"keras_version": W.keras_version(),
                "date_saved": datetime.datetime.now().strftime("%Y-%m-%d@%H:%M:%S")}
    members = {METADATA: json.dumps(metadata).encode("utf8"), CONFIG: to_json(config).encode("utf8"),
               WEIGHTS: _weights_bytes(model, include_optimizer=include_optimizer)}
    members.update(_asset_members(model))
    return members


def _asset_members(model):
    """`assets/<object path>/<file>` members: what layers write with `save_assets(dir)` (the adapted
    vocabulary of StringLookup / IntegerLookup / TextVectorization), at Keras's paths."""
    import os
    import shutil
    import tempfile

    out = {}
    for path, obj in W.walk_objects(model):
        if not hasattr(obj, "save_assets"):
            continue
        tmp = tempfile.mkdtemp(prefix="keraslite-assets-")
        try:
            obj.save_assets(tmp)
            for name in sorted(os.listdir(tmp)):
                with open(os.path.join(tmp, name), "rb") as fh:
                    out[f"assets/{path}/{name}" if path else f"assets/{name}"] = fh.read()
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return out


def _load_assets(model, read_members):
    """Give each layer with `load_assets(dir)` the files stored under its `assets/<path>/`.
    `read_members(prefix)` returns {file name: bytes} for the files directly under prefix."""
    import os
    import shutil
    import tempfile

    for path, obj in W.walk_objects(model):
        if not hasattr(obj, "load_assets"):
            continue
        files = read_members(f"assets/{path}/" if path else "assets/")
        if not files:
            continue
        tmp = tempfile.mkdtemp(prefix="keraslite-assets-")
        try:
            for name, data in files.items():
                with open(os.path.join(tmp, name), "wb") as fh:
                    fh.write(data)
            obj.load_assets(tmp)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


def _dir_asset_reader(dirpath):
    import os

    def read(prefix):
        folder = os.path.join(dirpath, *prefix.strip("/").split("/"))
        if not os.path.isdir(folder):
            return {}
        out = {}
        for name in os.listdir(folder):
            full = os.path.join(folder, name)
            if os.path.isfile(full):
                with open(full, "rb") as fh:
                    out[name] = fh.read()
        return out
    return read


def save_model(model, filepath, overwrite=True, include_optimizer=True):
    """Write the `.keras` archive to a path, or into an open binary file object (`io.BytesIO`,
    a file opened with "wb"), as Keras's saving_lib does; a file object is left open."""
    members = _members(model, include_optimizer)
    if isinstance(filepath, io.IOBase):
        _write_zip(filepath, members)
        return
    with W.atomic_write(filepath, overwrite) as tmp:
        _write_zip(tmp, members)


def _write_zip(target, members):
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_STORED) as z:
        for name, data in members.items():
            z.writestr(name, data)


def save_model_dir(model, dirpath, overwrite=True, include_optimizer=True):
    """The unzipped variant (Keras's `zipped=False`): a directory holding the same members.
    Written to a temporary directory first, then swapped in."""
    import os
    import shutil
    import tempfile

    dirpath = os.fspath(dirpath)
    if os.path.exists(dirpath) and not overwrite:
        raise FileExistsError(f"'{dirpath}' already exists and overwrite=False.")
    members = _members(model, include_optimizer)
    parent = os.path.dirname(os.path.abspath(dirpath))
    os.makedirs(parent, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix=".tmp-" + os.path.basename(dirpath) + "-", dir=parent)
    os.chmod(tmp, 0o777 & ~current_umask())  # mkdtemp's directory is private (0700)
    try:
        for name, data in members.items():
            target = os.path.join(tmp, *name.split("/"))
            os.makedirs(os.path.dirname(target), exist_ok=True)
            with open(target, "wb") as fh:
                fh.write(data)
        replace_path(tmp, dirpath)  # an earlier save under this name (a directory or a file) goes
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _open_zip(filepath):
    try:
        z = zipfile.ZipFile(filepath, "r")
    except FileNotFoundError:
        raise
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as e:
        raise KerasFileError(f"Cannot read '{filepath}' as a .keras archive: it is truncated, corrupt or not a "
                             f"zip file ({e}).") from e
    return z


def _member(z, name, filepath):
    try:
        info = z.getinfo(name)
    except KeyError:
        raise KerasFileError(f"'{filepath}' is a zip file but not a .keras model: it has no '{name}' "
                             f"(members: {z.namelist()[:10]}).") from None
    if name.endswith(".json") and info.file_size > _MAX_JSON_BYTES:
        raise KerasFileError(f"'{filepath}': '{name}' is implausibly large ({info.file_size} bytes).")
    try:
        return z.read(name)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, RuntimeError, NotImplementedError) as e:
        raise KerasFileError(f"Cannot read '{name}' from '{filepath}': the archive is corrupt ({e}).") from e
    except Exception as e:  # zlib.error and friends from a damaged compressed member
        raise KerasFileError(f"Cannot read '{name}' from '{filepath}': the archive is corrupt ({e}).") from e


def _json(data, name, filepath):
    try:
        return json.loads(data.decode("utf8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as e:
        raise KerasFileError(f"'{filepath}': '{name}' is not valid JSON ({e}).") from e


def _read_dir(dirpath):
    import os

    out = []
    for name in (CONFIG, WEIGHTS):
        path = os.path.join(dirpath, name)
        if not os.path.isfile(path):
            raise KerasFileError(f"'{dirpath}' is a directory but not an unzipped Keras model: it has no '{name}'.")
        with open(path, "rb") as fh:
            out.append(fh.read())
    return _json(out[0], CONFIG, dirpath), out[1]


def _user_hook(obj, name):
    """Whether `obj`'s class defines the Keras hook `name` itself (outside keraslite)."""
    fn = getattr(type(obj), name, None)
    return fn is not None and not getattr(fn, "__module__", "").startswith("keraslite")


def _program_classes():
    """The layer and model classes the running program defined (its `__main__`). A directory
    save stands for tf.keras 2's SavedModel, which TensorFlow loaded back without
    `custom_objects`; the classes are looked up by name among those the program already has,
    so nothing from the file is run."""
    import sys

    from torch import nn

    main = sys.modules.get("__main__")
    return {name: obj for name, obj in vars(main).items()
            if isinstance(obj, type) and issubclass(obj, nn.Module) and obj.__module__ == "__main__"} if main else {}


def load_model(filepath, custom_objects=None, compile=True, safe_mode=True):
    """A model from a `.keras` archive (a path, or an open binary file object positioned at the
    archive, as Keras's saving_lib reads) or from an unzipped `.keras` directory."""
    from keraslite.saving.config import compile_from_config
    from keraslite.saving.serialization import deserialize_layer

    import os

    if not isinstance(filepath, io.IOBase):
        filepath = os.fspath(filepath)
    if not isinstance(filepath, io.IOBase) and os.path.isdir(filepath):  # the unzipped variant
        config, weights = _read_dir(filepath)
        assets = _dir_asset_reader(filepath)
        custom_objects = {**_program_classes(), **(custom_objects or {})}
    else:
        z = _open_zip(filepath)
        with z:
            config = _json(_member(z, CONFIG, filepath), CONFIG, filepath)
            weights = _member(z, WEIGHTS, filepath)
            asset_files = {n: z.read(n) for n in z.namelist() if n.startswith("assets/")}

        def assets(prefix):
            return {n[len(prefix):]: d for n, d in asset_files.items()
                    if n.startswith(prefix) and n[len(prefix):] and "/" not in n[len(prefix):]}
    if not isinstance(config, dict) or "class_name" not in config:
        raise KerasFileError(f"'{filepath}': config.json does not describe a Keras object (no 'class_name').")
    with W.building(filepath):
        # The model's own compile_config is read below (or not, with compile=False), as Keras does.
        model_config = {k: v for k, v in config.items() if k != "compile_config"}
        model = deserialize_layer(model_config, custom_objects=custom_objects, safe_mode=safe_mode)
    compiled = False
    if compile and config.get("compile_config"):
        if _user_hook(model, "compile_from_config"):
            # The model's own hook reads its compile_config (deserializing what it needs itself).
            from keraslite.saving.registry import custom_object_scope

            with custom_object_scope(custom_objects or {}):
                model.compile_from_config(config["compile_config"])
            compiled = getattr(model, "optimizer", None) is not None
        elif _user_hook(model, "compile"):
            # As Keras: a custom compile() cannot be called with the saved arguments.
            model.compile_from_config(config["compile_config"])
        else:
            compiled = compile_from_config(model, config["compile_config"], filepath, custom_objects=custom_objects)
    f = W.open_h5(io.BytesIO(weights), f"weights inside '{filepath}'")
    with f, W.reading(filepath):
        W.read_keras3_weights(f, model, filepath, load_optimizer=compiled)
    _load_assets(model, assets)
    return model


def save_weights(model, filepath, overwrite=True):
    with W.atomic_write(filepath, overwrite) as tmp:
        with h5py.File(tmp, "w") as f:
            W.write_keras3_weights(f, model)


def read_weights_file(f, model, filepath, skip_mismatch=False):
    with W.reading(filepath):
        W.read_keras3_weights(f, model, filepath, skip_mismatch=skip_mismatch)


def load_weights(model, filepath, skip_mismatch=False):
    """Weights from a `.weights.h5` file, or from inside a `.keras` archive."""
    if str(filepath).endswith(".keras"):
        z = _open_zip(filepath)
        with z:
            data = _member(z, WEIGHTS, filepath)
        f = W.open_h5(io.BytesIO(data), f"weights inside '{filepath}'")
    else:
        f = W.open_h5(filepath, "Keras .weights.h5 file")
    with f, W.reading(filepath):
        if "layer_names" in f.attrs or "model_weights" in f:  # legacy layout under a new name: still ours
            group = f if "layer_names" in f.attrs else f["model_weights"]
            W.read_legacy_group(group, model, filepath, skip_mismatch=skip_mismatch)
            return
        W.read_keras3_weights(f, model, filepath, skip_mismatch=skip_mismatch)
