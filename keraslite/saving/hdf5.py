"""The legacy HDF5 format (`.h5` / `.hdf5`): full models and weights-only files.

Owns the file layout of Keras 2 / Keras 3 `save_model_to_hdf5` and `save_weights('x.h5')`:
root attributes (`model_config`, `training_config`, `keras_version`, `backend`), the
`model_weights` group (or the file root for weights-only files), and `optimizer_weights`.
Reads files written by keraslite, Keras 3 and Keras 2 / tf.keras: their configs go through
keraslite.saving.serialization (which translates Keras 1/2 spellings), weights through
keraslite.saving.weights (topological or by-name matching, CuDNN conversion).
Compiling a loaded model is keraslite.saving.config's `compile_from_config`.
"""
import json

import h5py
import numpy as np

from keraslite.saving import weights as W
from keraslite.saving.weights import KerasFileError


def _json_default(obj):
    if isinstance(obj, tuple):
        return list(obj)
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if hasattr(obj, "get_config"):
        from keraslite.saving.serialization import serialize_keras_object

        return serialize_keras_object(obj)
    raise TypeError(f"Object of type {type(obj).__name__} is not JSON serializable")


def to_json(value, **kwargs):
    return json.dumps(value, default=_json_default, **kwargs)


def _optimizer_weight_names(optimizer, count):
    names = []
    for i, v in enumerate(list(getattr(optimizer, "variables", []))[:count]):
        name = getattr(v, "path", None) or getattr(v, "name", None)
        names.append(str(name) if isinstance(name, str) and name else f"optimizer/variable_{i}")
    names += [f"optimizer/variable_{i}" for i in range(len(names), count)]
    used, out = set(), []
    for n in names:
        base, k = n, 1
        while n in used:
            n, k = f"{base}_{k}", k + 1
        used.add(n)
        out.append(n)
    return out


# ----------------------------------------------------------------------------- save

def save_model(model, filepath, overwrite=True, include_optimizer=True):
    from keraslite.saving.config import training_config_of

    model_config = {"class_name": type(model).__name__, "config": model.get_config()}
    if "layers" not in model_config["config"]:
        # A subclassed model's config says nothing of its input: the shape it was built on lets
        # loading build it (Keras 3's build_config) before its weights are read.
        build_config = model.get_build_config()
        if build_config is not None:
            model_config["build_config"] = build_config
    model_config = _readable_by_keras2(model_config)
    if "input_layers" in model_config["config"]:
        model_config = _keras2_nodes(model_config) or model_config
    training_config = training_config_of(model) if include_optimizer else None
    if training_config is not None:
        training_config = _optimizer_readable_by_keras2(training_config)
    with W.atomic_write(filepath, overwrite) as tmp:
        with h5py.File(tmp, "w") as f:
            f.attrs["keras_version"] = W.keras_version()
            f.attrs["backend"] = "torch"
            f.attrs["model_config"] = to_json(model_config).encode("utf8")
            if training_config is not None:
                f.attrs["training_config"] = to_json(training_config).encode("utf8")
            W.write_legacy_group(f.create_group("model_weights"), list(model.layers))
            optimizer = getattr(model, "optimizer", None)
            if training_config is not None and optimizer is not None:
                values = W.optimizer_values(optimizer)
                if values:
                    group = f.create_group("optimizer_weights")
                    names = _optimizer_weight_names(optimizer, len(values))
                    W.save_attributes(group, "weight_names", names)
                    for name, value in zip(names, values):
                        W.write_dataset(group, name, value)


def save_weights(model, filepath, overwrite=True):
    """Weights only, legacy layout at the file root (what Keras 2 wrote for `x.h5`)."""
    with W.atomic_write(filepath, overwrite) as tmp:
        with h5py.File(tmp, "w") as f:
            W.write_legacy_group(f, list(model.layers))


# ----------------------------------------------------------------------------- open groups

# Keras 2's `keras.engine.saving` / `keras.engine.topology` and tf.keras's `hdf5_format` helpers
# work on an h5py File or Group the program opened itself, and take a list of layers (Keras 2)
# or a model (tf.keras 2.5+, Keras 3's legacy_h5_format).

def _layers_or_model(layers, what):
    if isinstance(layers, (list, tuple)) or hasattr(layers, "layers"):
        return layers
    raise TypeError(f"{what} takes a list of layers or a model; received {type(layers).__name__}.")


def _group_file_name(group):
    try:
        return group.file.filename
    except (AttributeError, ValueError):
        return repr(group)


def save_weights_to_hdf5_group(f, layers):
    """Write the layers' weights (or a model's) to the open h5py File or Group `f`, in the
    legacy layout `save_weights('x.h5')` writes."""
    layers = _layers_or_model(layers, "save_weights_to_hdf5_group")
    W.write_legacy_group(f, list(layers) if isinstance(layers, (list, tuple)) else list(layers.layers))


def _load_group(f, layers, by_name, skip_mismatch, what):
    if not isinstance(f, h5py.Group):
        raise TypeError(f"{what} takes an open h5py File or Group (h5py.File(path, 'r')); received "
                        f"{type(f).__name__}. To load from a path, use model.load_weights(path).")
    filepath = _group_file_name(f)
    if "layer_names" not in f.attrs and "layer_names0" not in f.attrs:
        hint = " It holds a full model: pass f['model_weights']." if "model_weights" in f else ""
        raise KerasFileError(f"{what}: the group '{f.name}' of '{filepath}' holds no Keras weights (no "
                             f"'layer_names' attribute).{hint}")
    layers = _layers_or_model(layers, what)
    with W.reading(filepath):
        W.read_legacy_group(f, layers, filepath, by_name=by_name, skip_mismatch=skip_mismatch)


def load_weights_from_hdf5_group(f, layers, skip_mismatch=False, reshape=False):
    """Load the open h5py File or Group `f` (legacy layout) into `layers` (a list, or a model),
    pairing the file's layers that have weights with those of `layers` in order. `reshape`
    (Keras 2) is accepted; weights of another shape are an error, or skipped with skip_mismatch."""
    _load_group(f, layers, False, skip_mismatch, "load_weights_from_hdf5_group")


def load_weights_from_hdf5_group_by_name(f, layers, skip_mismatch=False, reshape=False):
    """Load the open h5py File or Group `f` (legacy layout) into the layers of `layers` (a list,
    or a model) that have the name of a layer in the file; others are left as they are."""
    _load_group(f, layers, True, skip_mismatch, "load_weights_from_hdf5_group_by_name")


# ----------------------------------------------------------------------------- load

def _attr_json(f, name, filepath):
    value = f.attrs.get(name)
    if value is None:
        return None
    if isinstance(value, (bytes, np.bytes_)):
        value = bytes(value).decode("utf8")
    try:
        return json.loads(str(value))
    except (ValueError, RecursionError) as e:
        raise KerasFileError(f"'{filepath}': the '{name}' attribute is not valid JSON ({e}).") from e


def _keras2_nodes(model_config):
    """A functional model config with its inbound nodes in Keras 2's form
    (`[[layer, node_index, tensor_index, kwargs], ...]` per call, one entry per tensor of the first
    argument), which Keras 3's `.h5` loader reads as well; None when a node does not fit that
    form (a call with several positional arguments or constant operands) or a layer is itself a
    model (Keras 2 and 3 number a nested model's nodes differently)."""
    class Unfit(Exception):
        pass

    def triple(v):
        if isinstance(v, dict) and v.get("class_name") == "__keras_tensor__":
            return list(v["config"]["keras_history"])
        raise Unfit

    def plain(v):
        if isinstance(v, dict) and v.get("class_name") == "__keras_tensor__":
            return triple(v)
        if isinstance(v, dict) and str(v.get("class_name", "")).startswith("__"):
            raise Unfit
        if isinstance(v, (list, tuple)):
            return [plain(x) for x in v]
        if isinstance(v, dict):
            return {k: plain(x) for k, x in v.items()}
        return v

    def flat(v):
        return [x for item in v for x in flat(item)] if isinstance(v, (list, tuple)) else [v]

    layers = []
    try:
        for layer in model_config["config"]["layers"]:
            inner = layer.get("config")
            if isinstance(inner, dict) and "layers" in inner:
                raise Unfit
            nodes = []
            for node in layer.get("inbound_nodes", []):
                if not isinstance(node, dict) or len(node.get("args", [])) != 1:
                    raise Unfit
                kwargs = plain(node.get("kwargs", {}))
                nodes.append([triple(t) + [kwargs] for t in flat(node["args"][0])])
            layers.append({**layer, "inbound_nodes": nodes})
    except (Unfit, KeyError, TypeError):
        return None
    return {**model_config, "config": {**model_config["config"], "layers": layers}}


# Keras 3 optimizer arguments that tf.keras 2's optimizers do not take, at their defaults.
_KERAS3_OPTIMIZER_DEFAULTS = {"weight_decay": None, "use_ema": False, "ema_momentum": 0.99,
                              "ema_overwrite_frequency": None, "loss_scale_factor": None,
                              "gradient_accumulation_steps": None}


def _optimizer_readable_by_keras2(training_config):
    """The optimizer entry of an `.h5` training config without Keras 3's own arguments where they
    hold their defaults: tf.keras 2 rebuilds an unmarked `.h5` optimizer as its legacy optimizer,
    which refuses them, and Keras 3 fills them in again. (tf.keras's `is_legacy_optimizer` mark
    would do instead, but Keras 3 refuses that key.)"""
    entry = training_config.get("optimizer_config")
    if not isinstance(entry, dict) or not isinstance(entry.get("config"), dict):
        return training_config
    config = {k: v for k, v in entry["config"].items()
              if not (k in _KERAS3_OPTIMIZER_DEFAULTS and v == _KERAS3_OPTIMIZER_DEFAULTS[k]
                      and type(v) is type(_KERAS3_OPTIMIZER_DEFAULTS[k]))}
    return {**training_config, "optimizer_config": {**entry, "config": config}}


def _readable_by_keras2(config):
    """The model config for an `.h5` file, which tf.keras 2 reads too: Keras 3's InputLayer keys
    in their Keras 2 spelling (`batch_input_shape`, which Keras 3 also reads; `optional` only when
    True) and no `quantization_config: null` or `seed: null` (Keras 3 keys that Keras 2's layers
    refuse; null is their default)."""
    if isinstance(config, list):
        return [_readable_by_keras2(v) for v in config]
    if not isinstance(config, dict):
        return config
    out = {k: _readable_by_keras2(v) for k, v in config.items()}
    inner = out.get("config")
    if isinstance(inner, dict) and isinstance(out.get("class_name"), str):
        inner = dict(inner)
        for key in ("quantization_config", "seed"):
            # (Keras's own classes only: a user class may require the argument.)
            if key in inner and inner[key] is None and str(out.get("module") or "").startswith("keras"):
                del inner[key]
        if out["class_name"] == "InputLayer":
            if "batch_shape" in inner and "batch_input_shape" not in inner:
                inner["batch_input_shape"] = inner.pop("batch_shape")
            if inner.get("optional") is False:
                del inner["optional"]
        out["config"] = inner
    return out


def load_model(filepath, custom_objects=None, compile=True, safe_mode=True):
    from keraslite.saving.config import compile_from_config, model_from_config, names_of_version

    f = W.open_h5(filepath, "Keras .h5 model file")
    with f:
        with W.reading(filepath):
            model_config = _attr_json(f, "model_config", filepath)
            training_config = _attr_json(f, "training_config", filepath)
            if model_config is None:
                if "layer_names" in f.attrs:
                    raise KerasFileError(f"'{filepath}' holds only weights (it was written by save_weights), not "
                                         "a model. Build the model in code, then call model.load_weights(path).")
                raise KerasFileError(f"'{filepath}' is an HDF5 file but not a Keras model: it has no "
                                     "'model_config' attribute.")
            if "model_weights" not in f:
                raise KerasFileError(f"'{filepath}' has a model config but no 'model_weights' group.")
        with W.building(filepath), names_of_version(f.attrs.get("keras_version")):
            model = model_from_config(model_config, custom_objects=custom_objects, safe_mode=safe_mode)
        with W.reading(filepath):
            W.read_legacy_group(f["model_weights"], model, filepath)
        if compile and training_config is not None:
            if compile_from_config(model, training_config, filepath, custom_objects=custom_objects):
                with W.reading(filepath):
                    group = f.get("optimizer_weights")
                    values, names = [], []
                    if group is not None:
                        names = W.load_attributes(group, "weight_names")
                        values = [W.read_dataset(group[n], f"optimizer_weights/{n}") for n in names]
                if values:
                    W.set_optimizer_values(model, values, filepath, names=[str(n) for n in names])
    return model


def load_weights(model, filepath, by_name=False, skip_mismatch=False, partial=False):
    f = W.open_h5(filepath, "Keras .h5 weights file")
    with f, W.reading(filepath):
        if "layer_names" in f.attrs or "layer_names0" in f.attrs:
            group = f
        elif "model_weights" in f:
            group = f["model_weights"]
        elif "vars" in f or "layers" in f:
            from keraslite.saving import keras_format

            return keras_format.read_weights_file(f, model, filepath, skip_mismatch=skip_mismatch)
        else:
            raise KerasFileError(f"'{filepath}' is an HDF5 file but holds no Keras weights (no 'layer_names' "
                                 "attribute and no 'model_weights' group).")
        return W.read_legacy_group(group, model, filepath, by_name=by_name, skip_mismatch=skip_mismatch,
                                   partial=partial)

