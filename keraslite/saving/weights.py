"""Weights <-> HDF5 groups, shared by the legacy `.h5` and the Keras 3 `.weights.h5` formats,
plus the safety helpers every writer and reader uses.

Owns:
- `atomic_write(path)`: every file is written to a temporary file in the same directory and
  moved over the target with os.replace, so a failure never destroys the previous file;
- `open_h5(path)`: opening a file for reading with a clear error for truncated, corrupt or
  non-HDF5 input (never an interpreter crash);
- the Keras 3 object walk (`walk_objects`): which object owns which `<path>/vars` group;
- the legacy layer-group layout (`write_legacy_group` / `read_legacy_group`), topological and
  by-name matching, and the CuDNN -> plain RNN weight conversion.

Variables always travel in Keras layout through `Variable.numpy()` / `Variable.assign`-style
copies (the Layout of each variable does the conversion). Optimizer variables are handed to
the optimizer's own get_weights/set_weights (keraslite.optimizers).
"""
import contextlib
import os
import shutil
import tempfile
import warnings

import numpy as np
import torch

from keraslite import backend

HDF5_OBJECT_HEADER_LIMIT = 64512


class KerasFileError(ValueError):
    """A model or weights file that cannot be read: truncated, corrupt, or not a Keras file."""


class MissingFileError(FileNotFoundError, ValueError):
    """No file at the path given to load a model or weights from: a ValueError as Keras 3 raises
    it, and an OSError (FileNotFoundError) as tf.keras 2 and Keras 2 raised it."""


# ----------------------------------------------------------------------------- safety

def _new_file_mode(filepath):
    """The mode `open(filepath, "w")` would leave: an existing file's own, else 0666 less the umask."""
    try:
        return os.stat(filepath).st_mode & 0o777
    except OSError:
        pass
    return 0o666 & ~current_umask()


def current_umask():
    try:
        with open("/proc/self/status", encoding="ascii") as f:  # reads the umask without changing it
            return next(int(line.split()[1], 8) for line in f if line.startswith("Umask:"))
    except (OSError, StopIteration, ValueError):
        mask = os.umask(0o022)
        os.umask(mask)
        return mask


def replace_path(new, target):
    """Move `new` (a file or a directory) to `target`. A file over a file is one atomic rename;
    where either is a directory (a model saved under one name as a file, then as a directory,
    or the reverse), the old `target` is moved aside first and removed once `new` is in place."""
    target = os.path.normpath(target)  # 'saved_model/' names the same entry as 'saved_model'
    if not (os.path.isdir(target) or (os.path.lexists(target) and os.path.isdir(new))):
        os.replace(new, target)
        return
    parent = os.path.dirname(os.path.abspath(target))
    old = tempfile.mkdtemp(prefix=".old-" + os.path.basename(target) + "-", dir=parent)
    os.rmdir(old)
    os.replace(target, old)
    os.replace(new, target)
    if os.path.isdir(old):
        shutil.rmtree(old, ignore_errors=True)
    else:
        with contextlib.suppress(OSError):
            os.remove(old)


@contextlib.contextmanager
def atomic_write(filepath, overwrite=True):
    """Yield a temporary path next to `filepath`; on success move it over `filepath`."""
    filepath = os.fspath(filepath)
    if not overwrite and os.path.exists(filepath):
        raise FileExistsError(f"File '{filepath}' already exists and overwrite=False.")
    directory = os.path.dirname(os.path.abspath(filepath))
    if not os.path.isdir(directory):
        os.makedirs(directory, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-" + os.path.basename(filepath) + "-", dir=directory)
    os.close(fd)
    # mkstemp makes the file private (0600); the renamed file gets the mode a plain open() would
    # give it, as Keras's files have.
    os.chmod(tmp, _new_file_mode(filepath))
    try:
        yield tmp
        replace_path(tmp, filepath)
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(tmp)
        raise


def open_h5(source, what="HDF5 file"):
    """Open `source` (a path or a file-like object) read-only, or raise KerasFileError."""
    import h5py

    name = source if isinstance(source, (str, os.PathLike)) else getattr(source, "name", "<in-memory file>")
    if isinstance(source, (str, os.PathLike)) and not os.path.exists(source):
        raise MissingFileError(f"No such file: '{os.fspath(source)}'.")
    try:
        f = h5py.File(source, "r")
    except (OSError, ValueError, RuntimeError) as e:
        raise KerasFileError(f"Cannot read {what} '{name}': it is truncated, corrupt or not an HDF5 file "
                             f"({e}).") from e
    try:
        _refuse_external_links(f, name)
    except BaseException:
        f.close()
        raise
    return f


def _refuse_external_links(f, name):
    """Keras files never link to other files; following such a link would open an arbitrary
    path (a FIFO would even block forever), so a file containing one is refused."""
    import h5py

    if not hasattr(f, "visititems_links"):
        return

    found = []

    def check(path, link):
        if isinstance(link, h5py.ExternalLink):
            found.append((path, link.filename))
            return True  # stops the visit (raising inside h5py's callback is not safe)
        return None

    try:
        f.visititems_links(check)
    except (OSError, RuntimeError, ValueError, KeyError, SystemError) as e:
        raise KerasFileError(f"Cannot read '{name}': its group structure is corrupt ({e}).") from e
    if found:
        path, target = found[0]
        raise KerasFileError(f"'{name}' contains a link to another file ('{path}' -> '{target}'); Keras files "
                             "never do, so it is refused.")


@contextlib.contextmanager
def reading(filepath):
    """Turn any low-level error while reading a file into a KerasFileError naming it."""
    try:
        yield
    except (KerasFileError, FileNotFoundError):
        raise
    except (KeyError, OSError, RuntimeError, TypeError, AttributeError, IndexError, UnicodeDecodeError) as e:
        raise KerasFileError(f"Cannot read '{filepath}': the file is corrupt or is not a Keras model/weights "
                             f"file ({type(e).__name__}: {e}).") from e


@contextlib.contextmanager
def building(filepath):
    """Rebuilding a model from a file's config: a config that does not fit the classes (a
    damaged or foreign file) surfaces as KerasFileError naming the file; ValueErrors that
    already explain themselves (unknown class, Lambda refused) pass through unchanged."""
    try:
        yield
    except (TypeError, KeyError, AttributeError, IndexError, RecursionError) as e:
        raise KerasFileError(f"Cannot rebuild the model stored in '{filepath}' from its config "
                             f"({type(e).__name__}: {e}). The file may be damaged, or was written by a Keras "
                             "version or with custom classes this loader does not know.") from e


def read_dataset(ds, where):
    """A dataset's value as a numpy array (h5py raises on corrupt chunks; we name the place)."""
    import h5py

    if not isinstance(ds, h5py.Dataset):
        raise KerasFileError(f"Expected a dataset at '{where}' but found a {type(ds).__name__}.")
    try:
        value = ds[()]
    except (OSError, ValueError, RuntimeError, TypeError) as e:
        raise KerasFileError(f"Cannot read weights dataset '{where}': {e}.") from e
    if "dtype" in ds.attrs and _text(ds.attrs["dtype"]) == "bfloat16":
        value = np.asarray(value).view(np.uint16)
        value = torch.from_numpy(value.astype(np.int32) << 16).view(torch.float32).numpy()
    return np.asarray(value)


def write_dataset(group, name, value):
    """A weights dataset. Arrays carry a Fletcher-32 checksum (a standard HDF5 filter every
    reader applies, Keras included), so silent corruption of the numbers is detected on load."""
    value = np.asarray(value)
    if value.ndim >= 1 and value.size > 0:
        return group.create_dataset(name, data=value, chunks=value.shape, fletcher32=True)
    return group.create_dataset(name, data=value)


def _text(value):
    if isinstance(value, bytes):
        return value.decode("utf8")
    if isinstance(value, np.bytes_):
        return bytes(value).decode("utf8")
    return str(value)


# ----------------------------------------------------------------------------- attributes

def save_attributes(group, name, data):
    """Write a list of strings as an attribute, split into name0, name1, ... when too large."""
    data = [d.encode("utf8") if isinstance(d, str) else d for d in data]
    array = np.asarray(data)
    if array.size == 0:
        group.attrs[name] = np.asarray([], dtype="S1")
        return
    chunks = 1
    while array.nbytes / chunks > HDF5_OBJECT_HEADER_LIMIT:
        chunks += 1
    if chunks == 1:
        group.attrs[name] = array
        return
    for i, part in enumerate(np.array_split(array, chunks)):
        group.attrs[f"{name}{i}"] = part


def load_attributes(group, name):
    """The list of strings stored by save_attributes (either form), or [] if absent."""
    if name in group.attrs:
        values = group.attrs[name]
    else:
        values, i = [], 0
        while f"{name}{i}" in group.attrs:
            values.extend(list(group.attrs[f"{name}{i}"]))
            i += 1
        if i == 0:
            return []
    if isinstance(values, (str, bytes)):
        values = [values]
    return [_text(v) for v in np.asarray(values).reshape(-1)]


# ----------------------------------------------------------------------------- variables

def own_variables(obj):
    """What Keras 3 stores in `<path>/vars` for an object: the variables it created itself,
    those created trainable first (Keras's `_trainable_variables + _non_trainable_variables`).
    A layer that Keras makes track another layer's variable as its own too (SpectralNormalization's
    kernel) lists them in `_own_keras_variables()`; one whose Keras order is neither (an int8
    Dense: kernel, bias, kernel_scale) gives it from `_keras_variable_order()`."""
    ordered = getattr(obj, "_keras_variable_order", None)
    ordered = ordered() if ordered is not None else None
    if ordered is not None:
        return list(ordered)
    hook = getattr(obj, "_own_keras_variables", None)
    variables = list(hook()) if hook is not None else list(getattr(obj, "_variables", []))
    return [v for v in variables if v._keras_trainable] + [v for v in variables if not v._keras_trainable]


def assign_keras(variable, value, where):
    from keraslite.layers.layer import copy_into

    value = np.asarray(value)
    if tuple(value.shape) != tuple(variable.keras_shape):
        raise ValueError(f"{where}: variable '{variable.path}' has shape {tuple(variable.keras_shape)} but the "
                         f"file holds shape {tuple(value.shape)}.")
    with torch.no_grad():
        # (np.ascontiguousarray makes 0-d arrays 1-d: Attention's scalar `scale` must stay 0-d)
        t = torch.as_tensor(np.array(value, order="C")).to(dtype=variable.dtype, device=variable.device)
        copy_into(variable, variable.keras_layout.from_keras(t))


def keras_array(variable):
    """A variable's value in Keras layout as numpy. bfloat16 (which numpy lacks) is written as
    float32, which holds every bfloat16 value exactly and loads back into any float variable."""
    if variable.dtype == torch.bfloat16:
        return variable.keras_layout.to_keras(variable.detach()).float().cpu().numpy().copy()
    return variable.numpy()


def to_numpy(value):
    if hasattr(value, "keras_layout"):
        return keras_array(value)
    if isinstance(value, torch.Tensor):
        return value.detach().cpu().numpy()
    return np.asarray(value)


# ----------------------------------------------------------------------------- Keras 3 object walk

def _is_input_layer(obj):
    from keraslite.layers.input_layer import InputLayer

    return isinstance(obj, InputLayer)


def _is_layer(obj):
    from keraslite.layers.layer import Layer

    return isinstance(obj, Layer)


def _model_kind(obj):
    from keraslite.models.sequential import Sequential

    if isinstance(obj, Sequential):
        return "Sequential"
    if getattr(obj, "_graph", None) is not None:  # Model(inputs, outputs), subclasses included
        return "Functional"
    return None


def _model_layers(obj, kind):
    from keraslite.layers.input_layer import InputLayer

    layers = list(obj.layers)
    if kind == "Sequential":
        return [l for l in layers if not isinstance(l, InputLayer)]
    if not any(isinstance(l, InputLayer) for l in layers):
        inputs = getattr(obj, "_input_layers", None) or [
            t._keras_history[0] for t in _flat(getattr(obj, "inputs", None) or []) if hasattr(t, "_keras_history")]
        layers = list(inputs) + layers
    return layers


def _flat(x):
    if isinstance(x, (list, tuple)):
        return [v for item in x for v in _flat(item)]
    if isinstance(x, dict):
        return [v for item in x.values() for v in _flat(item)]
    return [x]


def _snake(obj):
    # Keras names entries after the Python class, which for a few differs from the exported
    # name (keras.layers.GroupQueryAttention is class GroupedQueryAttention).
    return type(obj).__dict__.get("_keras_snake_name") or backend.to_snake_case(type(obj).__name__)


def _name_key(name):
    return "~" + name if name.startswith("_") else name


def _unique(name, used):
    if name in used:
        used[name] += 1
        return f"{name}_{used[name]}"
    used[name] = 0
    return name


def walk_objects(root, path="", visited=None):
    """Yield (path, layer) for `root` and every layer below it, in Keras 3's `.weights.h5`
    naming: a model's `layers` list first (entries named by snake_case class + counter), then
    sublayers held in attributes, by attribute name, private names last. Each object once."""
    from torch import nn

    if visited is None:
        visited = set()
    if id(root) in visited:
        return
    visited.add(id(root))
    yield path, root

    def join(name):
        return f"{path}/{name}" if path else name

    kind = _model_kind(root)
    if kind:
        used = {}
        for layer in _model_layers(root, kind):
            yield from walk_objects(layer, join("layers/" + _unique(_snake(layer), used)), visited)
    for attr, child in sorted(root._modules.items(), key=lambda kv: _name_key(kv[0])):
        if child is None or id(child) in visited:
            continue
        if _is_layer(child):
            if _is_input_layer(child):
                continue  # a Sequential's own InputLayer: stateless, and Keras writes no group for it
            yield from walk_objects(child, join(attr), visited)
        elif isinstance(child, nn.Module):  # ModuleList / ModuleDict / plain container
            yield from _walk_container(child, join(attr), visited)


def _walk_container(container, path, visited):
    from torch import nn

    used = {}
    items = container.values() if isinstance(container, nn.ModuleDict) else container.children()
    for child in items:
        if id(child) in visited:
            continue
        if _is_layer(child):
            yield from walk_objects(child, f"{path}/{_unique(_snake(child), used)}", visited)
        else:
            yield from _walk_container(child, f"{path}/{_unique('container', used)}", visited)


# ----------------------------------------------------------------------------- Keras 3 layout

def _user_state_hooks(obj):
    """Whether `obj`'s class overrides Keras's save_own_variables/load_own_variables outside
    keraslite (Keras calls them for every layer when saving and loading)."""
    for name in ("save_own_variables", "load_own_variables"):
        fn = getattr(type(obj), name, None)
        if fn is not None and not getattr(fn, "__module__", "").startswith("keraslite"):
            return True
    return False


def _state_by_name(obj, variables):
    """Whether `obj` stores its state through its save/load_own_variables instead of numbered
    variables: layers whose state is not Keras variables, those that ask to, and user classes
    that override the hooks."""
    if _user_state_hooks(obj):
        return True
    save = getattr(type(obj), "save_own_variables", None)
    if save is None or getattr(save, "_keraslite_default", False):
        return False
    return not variables or getattr(obj, "_state_by_name", False)


def write_keras3_weights(h5file, model, include_optimizer=True):
    """Write `model` (and its optimizer's state) in the Keras 3 `.weights.h5` layout."""
    for path, obj in walk_objects(model):
        group = h5file.require_group(f"{path}/vars" if path else "vars")
        group.attrs["name"] = obj.name
        variables = own_variables(obj)
        by_name = _state_by_name(obj, variables)
        for i, v in enumerate([] if by_name else variables):
            write_dataset(group, str(i), keras_array(v))
        if by_name:
            # State named as Keras names it: TextVectorization's tf-idf weights, a wrapped torch
            # module's state_dict.
            store = {}
            obj.save_own_variables(store)
            for name, value in store.items():
                write_dataset(group, name, to_numpy(value))
    optimizer = getattr(model, "optimizer", None)
    if include_optimizer and optimizer is not None:
        values = optimizer_values(optimizer)
        if not values:
            return
        group = h5file.require_group("optimizer/vars")
        group.attrs["name"] = str(getattr(optimizer, "name", type(optimizer).__name__.lower()))
        for i, value in enumerate(values):
            write_dataset(group, str(i), value)


def optimizer_values(optimizer):
    """The optimizer's state in Keras order, or [] while it has none (compiled, never trained)."""
    if getattr(optimizer, "built", True) is False:
        return []
    if hasattr(optimizer, "get_weights"):
        return [np.asarray(w) for w in optimizer.get_weights()]
    return [to_numpy(v) for v in optimizer.variables]


def read_keras3_weights(h5file, model, filepath, skip_mismatch=False, load_optimizer=True):
    """Load the Keras 3 layout into `model` by path (a missing group counts as empty)."""
    import h5py

    private = None
    for path, obj in walk_objects(model):
        variables = own_variables(obj)
        key = f"{path}/vars" if path else "vars"
        group = h5file.get(key)
        if group is None and path.startswith("layers") and "_layer_checkpoint_dependencies" in h5file:
            group = h5file.get(key.replace("layers", "_layer_checkpoint_dependencies", 1))
        if group is None:
            # tf.keras 2.13+'s `.keras` files name a layer's sublayers by their private attribute
            # (`multi_head_attention/_key_dense`) where Keras 3 drops the underscore.
            if private is None:
                private = _private_group_names(h5file)
            group = h5file.get(private.get(key, key))
        stored = [] if group is None else sorted((k for k in group.keys()), key=lambda k: (0, int(k), "") if k.isdigit() else (1, 0, k))
        if group is not None and not isinstance(group, h5py.Group):
            raise KerasFileError(f"'{filepath}': '{key}' is not a group.")
        if _state_by_name(obj, variables):
            obj.load_own_variables({k: read_dataset(group[k], f"{key}/{k}") for k in stored})
            continue
        if len(stored) != len(variables):
            msg = (f"Layer '{obj.name}' ({type(obj).__name__}) expected {len(variables)} variables, but "
                   f"'{filepath}' has {len(stored)} at '{key}'.")
            if skip_mismatch:
                warnings.warn(msg + " Skipped (skip_mismatch=True).", stacklevel=3)
                continue
            raise ValueError(msg + " The file was saved from a different architecture.")
        for i, v in enumerate(variables):
            value = read_dataset(group[str(i)], f"{key}/{i}")
            if tuple(value.shape) != tuple(v.keras_shape):
                msg = (f"Layer '{obj.name}' ({type(obj).__name__}): variable {i} ('{v.name}') has shape "
                       f"{tuple(v.keras_shape)} but '{filepath}' holds shape {tuple(value.shape)} at '{key}/{i}'.")
                if skip_mismatch:
                    warnings.warn(msg + " Skipped (skip_mismatch=True).", stacklevel=3)
                    continue
                raise ValueError(msg)
            assign_keras(v, value, f"Layer '{obj.name}'")
    if load_optimizer and "optimizer" in h5file and getattr(model, "optimizer", None) is not None:
        group = h5file["optimizer"].get("vars")
        if group is not None and len(group):
            values = [read_dataset(group[str(i)], f"optimizer/vars/{i}") for i in range(len(group))]
            set_optimizer_values(model, values, filepath)


def _private_group_names(h5file):
    """Every group path of the file keyed by the same path without leading underscores."""
    import h5py

    names = {}

    def visit(name, obj):
        if isinstance(obj, h5py.Group):
            names.setdefault("/".join(part.lstrip("_") or part for part in name.split("/")), name)

    h5file.visititems(visit)
    return names


def set_optimizer_values(model, values, filepath, names=None):
    """Restore optimizer state (iteration, learning_rate, slots, in Keras order; or, with the
    `names` of a tf.keras OptimizerV2 file, by slot name); a mismatch warns, as in Keras."""
    optimizer = model.optimizer
    optimizer_v2 = bool(names) and str(names[0]).rsplit(":", 1)[0].endswith("/iter")
    counter = getattr(optimizer, "iterations", None)
    if not optimizer_v2 and len(values) == 1 and np.ndim(values[0]) == 0 and hasattr(counter, "assign"):
        # Only the step counter: saved (tf.keras 2.11+) from an optimizer that was never built,
        # i.e. compiled but not trained. There are no slots to restore.
        counter.assign(int(values[0]))
        return
    try:
        if hasattr(optimizer, "build") and not getattr(optimizer, "built", False):
            optimizer.build(model.trainable_weights)
        if optimizer_v2:
            return optimizer._load_optimizer_v2_state(list(zip(names, values)))
        if hasattr(optimizer, "_state_from_tf_keras"):
            values = optimizer._state_from_tf_keras(values)
        else:
            values = _with_learning_rate(optimizer, values)
        if hasattr(optimizer, "set_weights"):
            optimizer.set_weights(values)
        else:
            targets = list(optimizer.variables)
            if len(targets) != len(values):
                raise ValueError(f"optimizer has {len(targets)} variables, file has {len(values)}")
            with torch.no_grad():
                for t, v in zip(targets, values):
                    t.copy_(torch.as_tensor(v, dtype=t.dtype).reshape(t.shape))
    except Exception as e:  # Keras too treats optimizer state as best effort
        warnings.warn(f"Could not restore the optimizer state from '{filepath}' ({e}); the optimizer starts "
                      "fresh.", stacklevel=3)


def _with_learning_rate(optimizer, values):
    """tf.keras >= 2.11 files hold [iteration, slots...]: the learning rate is not a variable
    there (it is in the optimizer config). Insert the configured rate where Keras 3 keeps it."""
    targets = list(getattr(optimizer, "variables", []))
    if (len(values) == len(targets) - 1 and len(targets) > 1 and np.ndim(values[0]) == 0
            and getattr(targets[1], "name", None) == "learning_rate"):
        return [values[0], to_numpy(targets[1])] + list(values[1:])
    return values


# ----------------------------------------------------------------------------- legacy layout

def legacy_weights(layer):
    """A layer's weights in the order legacy `.h5` files keep them: all trainable weights, then
    all non-trainable ones (Keras's `_legacy_weights`). For a nested model this differs from
    `layer.weights`, which groups by sublayer: every inner BatchNormalization's moving
    statistics go to the end."""
    trainable = list(layer.trainable_weights)
    ids = {id(v) for v in trainable}
    return trainable + [v for v in layer.non_trainable_weights if id(v) not in ids]


def legacy_weight_names(layer):
    """Dataset names for a layer's weights (Keras 3 convention: the variable path), unique."""
    names, used = [], set()
    for v in legacy_weights(layer):
        name = v.path or v.name
        if not name.startswith(layer.name + "/"):
            name = f"{layer.name}/{name}"
        base, i = name, 1
        while name in used:
            name = f"{base}_{i}"
            i += 1
        used.add(name)
        names.append(name)
    return names


def unique_layers(layers):
    """Each layer once, in first-use order (a Sequential may apply one layer several times)."""
    seen, out = set(), []
    for layer in layers:
        if id(layer) not in seen:
            seen.add(id(layer))
            out.append(layer)
    return out


def write_legacy_group(group, layers):
    """The legacy layout under `group`: one subgroup per layer, `layer_names`/`weight_names`."""
    layers = unique_layers(layers)
    names = _group_names(layers)
    save_attributes(group, "layer_names", names)
    group.attrs["backend"] = "torch".encode("utf8")
    group.attrs["keras_version"] = keras_version().encode("utf8")
    for name, layer in sorted(zip(names, layers), key=lambda pair: pair[0]):
        sub = group.create_group(name)
        names = legacy_weight_names(layer)
        save_attributes(sub, "weight_names", names)
        for name, v in zip(names, legacy_weights(layer)):
            write_dataset(sub, name, keras_array(v))
    sub = group.create_group("top_level_model_weights") if "top_level_model_weights" not in group else None
    if sub is not None:
        save_attributes(sub, "weight_names", [])


def _group_names(layers):
    """One group name per layer: its name, with '_1', '_2' ... added to a name already taken.
    Two layers may share a name (a subclassed model's `clone_model(net)` keeps net's name);
    readers pair the file's layers with a model's in `layer_names` order, which stays right."""
    taken = {layer.name for layer in layers}
    names, seen = [], set()
    for layer in layers:
        name, k = layer.name, 0
        while name in seen:  # a suffixed name also avoids every layer's own name
            k += 1
            name = f"{layer.name}_{k}"
            if name in taken:
                name = layer.name  # keep looking
        seen.add(name)
        names.append(name)
    return names


def keras_version():
    import keraslite

    return f"3.keraslite-{keraslite.__version__}"


def _layer_arrays(group, name, filepath):
    sub = group[name]
    names = load_attributes(sub, "weight_names")
    out = []
    for n in names:
        if n not in sub:
            raise KerasFileError(f"'{filepath}': layer '{name}' lists weight '{n}' but the dataset is missing.")
        out.append(read_dataset(sub[n], f"{name}/{n}"))
    return out


def read_legacy_group(group, model, filepath, by_name=False, skip_mismatch=False, partial=False):
    """Load legacy-layout weights into `model`'s layers (topological order, or by name).
    `model` may also be a list of layers (Keras 2's `load_weights_from_hdf5_group(f, layers)`).

    `partial`: pair the file's layers with the model's in order as far as both go, as
    tf.keras 2 restored a TensorFlow checkpoint (`layer_with_weights-0`, `-1`, ...); returns the
    names of the file's and of the model's layers left unpaired."""
    layer_names = load_attributes(group, "layer_names")
    for n in layer_names:
        if n not in group:
            raise KerasFileError(f"'{filepath}' lists layer '{n}' in layer_names but has no group for it.")
    file_layers = [(n, _layer_arrays(group, n, filepath)) for n in layer_names]
    if isinstance(model, (list, tuple)):
        model_layers, owner = unique_layers(model), "the layers given have"
    else:
        model_layers = unique_layers(model.layers) if hasattr(model, "layers") else [model]
        owner = f"the model '{model.name}' has"
    if by_name:
        by = {}
        for layer in model_layers:
            by.setdefault(layer.name, []).append(layer)
        for name, arrays in file_layers:
            for layer in by.get(name, []):
                _assign_layer(layer, arrays, name, filepath, skip_mismatch)
    else:
        file_layers = [(n, a) for n, a in file_layers if a]
        model_layers = [l for l in model_layers if legacy_weights(l)]
        if partial:
            n = min(len(file_layers), len(model_layers))
            unpaired = ([name for name, _ in file_layers[n:]], [l.name for l in model_layers[n:]])
            file_layers, model_layers = file_layers[:n], model_layers[:n]
        if len(file_layers) != len(model_layers):
            raise ValueError(
                f"Layer count mismatch when loading weights from '{filepath}': the file has {len(file_layers)} "
                f"layers with weights ({[n for n, _ in file_layers]}) but {owner} "
                f"{len(model_layers)} ({[l.name for l in model_layers]}). Build the same architecture, or load "
                "with by_name=True.")
        for layer, (name, arrays) in zip(model_layers, file_layers):
            _assign_layer(layer, arrays, name, filepath, skip_mismatch)
    if "top_level_model_weights" in group and not isinstance(model, (list, tuple)):
        arrays = _layer_arrays(group, "top_level_model_weights", filepath)
        own = own_variables(model)
        if arrays and len(arrays) == len(own):
            for v, a in zip(own, arrays):
                assign_keras(v, a, f"Model '{model.name}'")
    return unpaired if partial and not by_name else ([], [])


def _assign_layer(layer, arrays, file_name, filepath, skip_mismatch):
    """Set `layer`'s weights from the file's arrays for it. With skip_mismatch, as Keras does, a
    layer with another number of weights is skipped whole, and a weight of another shape alone
    (the layer's other weights still load)."""
    arrays = convert_legacy_arrays(layer, arrays)
    params = legacy_weights(layer)
    def mismatch(problem):
        if not skip_mismatch:
            raise ValueError(problem)
        warnings.warn(problem + " Skipped (skip_mismatch=True).", stacklevel=5)

    if len(arrays) != len(params):
        return mismatch(f"Layer '{layer.name}' ({type(layer).__name__}) expects {len(params)} weights "
                        f"{[tuple(v.keras_shape) for v in params]}, but '{filepath}' has {len(arrays)} for layer "
                        f"'{file_name}' {[a.shape for a in arrays]}.")
    pairs = []
    for v, a in zip(params, arrays):
        if tuple(v.keras_shape) != tuple(a.shape):
            mismatch(f"Layer '{layer.name}' ({type(layer).__name__}): weight '{v.name}' has shape "
                     f"{tuple(v.keras_shape)} but '{filepath}' holds shape {tuple(a.shape)} (layer '{file_name}').")
        else:
            pairs.append((v, a))
    for v, a in pairs:
        assign_keras(v, a, f"Layer '{layer.name}'")


# ----------------------------------------------------------------------------- old RNN layouts

def _blocks(matrix, n, fn):
    return np.hstack([fn(k) for k in np.hsplit(matrix, n)])


def _from_cudnn(arrays, n_gates, kind):
    """CuDNNLSTM/CuDNNGRU weights (cuDNN's canonical per-gate layout) -> the plain layer's."""
    kernel, recurrent, bias = arrays
    kernel = _blocks(kernel, n_gates, lambda k: k.T.reshape(k.shape, order="F"))
    recurrent = _blocks(recurrent, n_gates, lambda k: k.T)
    if kind == "LSTM":
        bias = np.sum(np.split(bias, 2, axis=0), axis=0)  # cuDNN keeps input and recurrent biases
    else:
        bias = bias.reshape((2, -1))
    return [kernel, recurrent, bias]


def _convert_rnn(class_name, arrays, layer):
    if len(arrays) != 3:
        return arrays
    units = arrays[1].shape[0]
    bias_shape = arrays[2].shape
    if class_name == "LSTM" and bias_shape == (8 * units,):
        return _from_cudnn(arrays, 4, "LSTM")
    if class_name == "GRU" and bias_shape == (6 * units,):
        if getattr(layer, "reset_after", True) is False:
            raise ValueError(f"Layer '{layer.name}': the file holds CuDNNGRU weights, which need "
                             "reset_after=True; rebuild the layer with GRU(..., reset_after=True).")
        return _from_cudnn(arrays, 3, "GRU")
    return arrays


def _rnn_class(layer):
    name = type(layer).__name__
    return name if name in ("LSTM", "GRU") else None


def convert_legacy_arrays(layer, arrays):
    """Old layouts Keras 2 converted on load: CuDNN RNN weights detected by bias shape."""
    name = _rnn_class(layer)
    if name:
        return _convert_rnn(name, arrays, layer)
    if type(layer).__name__ == "Bidirectional" and len(arrays) == 6:
        inner = getattr(layer, "forward_layer", None)
        name = _rnn_class(inner) if inner is not None else None
        if name:
            return _convert_rnn(name, arrays[:3], inner) + _convert_rnn(name, arrays[3:], inner)
    return arrays
