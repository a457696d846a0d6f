"""Model configs: `model_to_json`, `model_from_json`, Keras 1/2's `model_to_yaml` /
`model_from_yaml`, `model_from_config`, and the compile
arguments stored in files (`training_config` in `.h5`, `compile_config` in `.keras`).

Owns turning a whole-model config (Keras 2 or 3) into a model and a saved compile config into
a `model.compile(...)` call. Layer-level translation is keraslite.saving.serialization;
the training loop and optimizers (keraslite.training, keraslite.optimizers) are used only
through `model.compile`, `model._compile_config`, `optimizer.get_config()` and
`keraslite.optimizers.get`.
"""
import contextlib
import inspect
import json
import warnings

from keraslite.saving import registry, serialization


def model_to_json(model, **kwargs):
    """Keras 3's `to_json()`: the model's object dict with its `build_config` and, once compiled,
    its `compile_config` (which `model_from_json` compiles from), plus the `keras_version` and
    `backend` keys of Keras 2's `to_json()`."""
    from keraslite.saving.hdf5 import to_json

    config = serialization.serialize_layer(model)
    compile_config = saved_compile_config(model)
    if compile_config is not None:
        config["compile_config"] = compile_config
    config.update(keras_version=_version(), backend="torch")
    return to_json(config, **kwargs)


def _version():
    from keraslite.saving.weights import keras_version

    return keras_version()


def model_from_json(json_string, custom_objects=None, safe_mode=True):
    try:
        config = json.loads(json_string)
    except (TypeError, ValueError, RecursionError) as e:
        raise ValueError(f"model_from_json: the argument is not valid JSON ({e}).") from e
    # Keras 1/2's to_json() records its version: names then mean what they meant there.
    with names_of_version(config.get("keras_version") if isinstance(config, dict) else None):
        return model_from_config(config, custom_objects=custom_objects, safe_mode=safe_mode)


def names_of_version(version):
    """A context in which the names in configs mean what they meant in the Keras `version` that
    wrote them (a file's or to_json()'s `keras_version`): Keras 1/2's 'hard_sigmoid' is theirs."""
    from keraslite import activations

    if isinstance(version, bytes):
        version = version.decode("utf8", "replace")
    keras2 = isinstance(version, str) and version.split(".", 1)[0] in ("1", "2")
    return activations.keras2_names() if keras2 else contextlib.nullcontext()


def _yaml(what):
    try:
        import yaml
    except ImportError:
        raise ImportError(f"{what} needs PyYAML, which is not installed: `pip install pyyaml`, or use "
                          "model.to_json() / model_from_json() instead.") from None
    return yaml


def model_to_yaml(model, **kwargs):
    """Keras 1/2 `model.to_yaml()`: the `to_json` config written as YAML (PyYAML's safe dumper)."""
    yaml = _yaml("model.to_yaml()")
    return yaml.safe_dump(json.loads(model_to_json(model)), **kwargs)


def model_from_yaml(yaml_string, custom_objects=None):
    """Keras 1/2 `model_from_yaml`. Read with `yaml.safe_load`: a model config is plain data, and
    the unsafe loader Keras used (why tf.keras 2.6 removed YAML) is never needed."""
    yaml = _yaml("model_from_yaml()")
    try:
        config = yaml.safe_load(yaml_string)
    except yaml.YAMLError as e:
        raise ValueError(f"model_from_yaml: the argument is not valid YAML, or not plain data ({e}).") from e
    return model_from_config(config, custom_objects=custom_objects)


def model_from_config(config, custom_objects=None, safe_mode=True):
    """A model (or layer) from {"class_name", "config"} in any Keras dialect."""
    if isinstance(config, list):
        raise ValueError(f"model_from_config expects a dict with 'class_name' and 'config', not a list. Received: "
                         f"{str(config)[:200]}. For a list of layer configs use Sequential.from_config.")
    if not isinstance(config, dict) or "config" not in config or "class_name" not in config:
        raise ValueError("The provided configuration is not a valid Keras configuration: expected a dict with "
                         f"'class_name' and 'config' keys. Received: {str(config)[:200]}")
    return serialization.deserialize_layer(config, custom_objects=custom_objects, safe_mode=safe_mode)


# ----------------------------------------------------------------------------- compile configs

def _compile_args(model):
    args = getattr(model, "_compile_config", None)
    if not args or getattr(model, "optimizer", None) is None:
        return None
    return dict(args)


def _serialize(value, keras3=False):
    """`keras3`: the `.keras` compile_config form, where Keras writes a plain function (custom or
    built-in) as {"module": "builtins", "class_name": "function", "config": its name, ...}.
    `.h5` training configs take Keras's legacy form, the one Keras reads them with: a function
    as its registered name ('pkg>fn'), a loss or metric object as {"class_name": its class's
    registered name, "config": ...}."""
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, (list, tuple)):
        return [_serialize(v, keras3) for v in value]
    if isinstance(value, dict):
        return {k: _serialize(v, keras3) for k, v in value.items()}
    if callable(value) and not keras3:
        from keraslite.utils import legacy

        return legacy.serialize_keras_object(value)
    if isinstance(value, type):
        return value.__name__
    if callable(value) and not hasattr(value, "get_config"):
        # A function registered with a package is written under its registered name ('pkg>fn').
        return {"module": "builtins", "class_name": "function", "config": registry.get_registered_name(value),
                "registered_name": "function"}
    return serialization.serialize_keras_object(value)


def _optimizer_entry(model, legacy):
    optimizer = model.optimizer
    if legacy:
        return {"class_name": type(optimizer).__name__, "config": optimizer.get_config()}
    return serialization.serialize_keras_object(optimizer)


def training_config_of(model):
    """What `.h5` files store as `training_config` (both Keras loaders read `loss_weights` and
    `optimizer_config` unconditionally, so they are always present), or None if not compiled."""
    args = _compile_args(model)
    if args is None:
        return None
    return {
        "loss": _full_loss_names(_serialize(args.get("loss"))),
        "metrics": _serialize(args.get("metrics")),
        "weighted_metrics": _serialize(args.get("weighted_metrics")),
        "loss_weights": _serialize(args.get("loss_weights")),
        "optimizer_config": _optimizer_entry(model, legacy=True),
    }


# Short loss names written out in `.h5` training configs: Keras 3's `.h5` loader cannot rebuild
# them (it looks 'mse' up among the metrics and fails), Keras 2 and 3 both read the full names.
_FULL_LOSS_NAMES = {"mse": "mean_squared_error", "MSE": "mean_squared_error", "mae": "mean_absolute_error",
                    "MAE": "mean_absolute_error", "mape": "mean_absolute_percentage_error",
                    "MAPE": "mean_absolute_percentage_error", "msle": "mean_squared_logarithmic_error",
                    "MSLE": "mean_squared_logarithmic_error", "kld": "kl_divergence", "KLD": "kl_divergence",
                    "logcosh": "log_cosh"}


def _full_loss_names(loss):
    if isinstance(loss, str):
        return _FULL_LOSS_NAMES.get(loss, loss)
    if isinstance(loss, list):
        return [_full_loss_names(v) for v in loss]
    if isinstance(loss, dict) and "class_name" not in loss:
        return {k: _full_loss_names(v) for k, v in loss.items()}
    return loss


def saved_compile_config(model):
    """The `compile_config` Keras 3 writes beside a compiled model's config (`.keras` files,
    `to_json()`): what the model class's own `get_compile_config()` returns when it defines one,
    else `compile_config_of(model)`. None if the model is not compiled."""
    from keraslite.saving.keras_format import _user_hook

    if _compile_args(model) is None:
        return None
    if _user_hook(model, "get_compile_config"):
        return serialization.serialize_keras_object(model.get_compile_config())
    return compile_config_of(model)


def compile_config_of(model):
    """What `.keras` files store as `compile_config`, or None if not compiled."""
    args = _compile_args(model)
    if args is None:
        return None
    return {
        "optimizer": _optimizer_entry(model, legacy=False),
        "loss": _serialize(args.get("loss"), keras3=True),
        "loss_weights": _serialize(args.get("loss_weights")),
        "metrics": _serialize(args.get("metrics"), keras3=True),
        "weighted_metrics": _serialize(args.get("weighted_metrics"), keras3=True),
        "run_eagerly": False,
        "steps_per_execution": 1,
        "jit_compile": False,
    }


# Optimizer config keys Keras 2 wrote that Keras 3 / keraslite optimizers may not take.
_K2_OPTIMIZER_KEYS = {"is_legacy_optimizer", "jit_compile", "decay", "use_ema", "ema_momentum",
                      "ema_overwrite_frequency", "global_clipnorm", "clipnorm", "clipvalue", "weight_decay"}


def _optimizer_from(entry, custom_objects=None):
    from keraslite import optimizers

    if isinstance(entry, str):
        return optimizers.get(entry)
    if not isinstance(entry, dict):
        raise ValueError(f"Unrecognized optimizer entry {entry!r}.")
    class_name = str(entry.get("class_name", ""))
    short = class_name.split(">")[-1]  # 'Custom>Adam' (tf.keras >= 2.11) -> 'Adam'
    config = dict(entry.get("config") or {})
    from keraslite.saving.registry import get_registered_object

    custom = get_registered_object(entry.get("registered_name") or class_name, custom_objects)
    if custom is not None:
        return custom.from_config(config) if hasattr(custom, "from_config") else custom(**config)
    for key, value in list(config.items()):  # learning-rate values stored as {"class_name": ...}
        if key == "learning_rate" and isinstance(value, dict) and "config" not in value:
            config[key] = value.get("value", value)
    cls = getattr(optimizers, short, None)
    if isinstance(cls, type):
        accepted = _accepted(cls)
        if accepted is not None:
            for key in list(config):
                if key not in accepted and (key in _K2_OPTIMIZER_KEYS or key == "name"):
                    config.pop(key)
        if config.get("decay") in (0, 0.0):
            config.pop("decay")
    try:
        return optimizers.deserialize({"class_name": short, "config": config}, custom_objects=custom_objects)
    except (TypeError, ValueError):
        cleaned = {k: v for k, v in config.items() if k not in _K2_OPTIMIZER_KEYS}
        return optimizers.deserialize({"class_name": short, "config": cleaned}, custom_objects=custom_objects)


def _accepted(cls):
    try:
        params = inspect.signature(cls.__init__).parameters.values()
    except (TypeError, ValueError):
        return None
    if any(p.kind == p.VAR_KEYWORD for p in params):
        return None
    return {p.name for p in params}


def _metric_entry(value):
    """Keras 2 wrote metrics as nested lists of MeanMetricWrapper dicts; a name is what compile takes."""
    if isinstance(value, dict) and "class_name" in value:
        cfg = value.get("config") or {}
        if value["class_name"] in ("MeanMetricWrapper",) and isinstance(cfg.get("fn"), str):
            return cfg.get("name") if cfg.get("name") in ("accuracy", "acc", "crossentropy", "ce") else cfg["fn"]
        return value
    if isinstance(value, list):
        return [_metric_entry(v) for v in value]
    if isinstance(value, dict):
        return {k: _metric_entry(v) for k, v in value.items()}
    return value


def _unwrap_metrics(metrics):
    metrics = _metric_entry(metrics)
    # Keras 2: one list per output, [[m1, m2]] for a single-output model.
    if isinstance(metrics, list) and len(metrics) == 1 and isinstance(metrics[0], list):
        metrics = metrics[0]
    return metrics


def _objects(value, custom_objects, namespace):
    """Serialized loss / metric objects back into objects; built-in names and per-output dicts
    stay. A bare name that `custom_objects` (or an open scope / the registry) defines is resolved
    now, as Keras does while loading: a custom loss function is saved as just its name, and the
    scope that knows it is gone by the time the model is first evaluated. An object saved
    without a "module" (`{"class_name": "MeanSquaredError", "config": ...}` in the training
    config of a legacy .h5 file, from Keras 2 and Keras 3 alike) is looked up in `namespace`
    (keraslite.losses or keraslite.metrics)."""
    if isinstance(value, str):
        from keraslite.saving.registry import get_registered_object
        found = get_registered_object(value, custom_objects)
        return value if found is None else found
    if isinstance(value, dict) and "class_name" in value:
        if "module" not in value:
            return namespace.deserialize(value, custom_objects=custom_objects)
        return serialization.deserialize_keras_object(value, custom_objects=custom_objects)
    if isinstance(value, list):
        return [_objects(v, custom_objects, namespace) for v in value]
    if isinstance(value, dict):
        return {k: _objects(v, custom_objects, namespace) for k, v in value.items()}
    return value


def compile_from_config(model, config, filepath="", custom_objects=None, raise_errors=False):
    """Compile `model` from a saved training_config / compile_config. Returns True on success;
    on failure warns (the model is still usable for inference) and returns False."""
    try:
        entry = config.get("optimizer_config", config.get("optimizer"))
        optimizer = _optimizer_from(entry, custom_objects) if entry is not None else "rmsprop"
        from keraslite import losses, metrics

        kwargs = {
            "optimizer": optimizer,
            "loss": _objects(config.get("loss"), custom_objects, losses),
            "metrics": _objects(_unwrap_metrics(config.get("metrics")), custom_objects, metrics),
            "weighted_metrics": _objects(_unwrap_metrics(config.get("weighted_metrics")), custom_objects, metrics),
            "loss_weights": config.get("loss_weights"),
        }
        kwargs = {k: v for k, v in kwargs.items() if v is not None or k == "loss"}
        model.compile(**kwargs)
        return True
    except Exception as e:
        if raise_errors:
            raise
        warnings.warn(f"Loaded the model from '{filepath}' but could not compile it from the saved training "
                      f"configuration ({type(e).__name__}: {e}). The model is not compiled; call "
                      "model.compile(...) yourself.", stacklevel=3)
        return False
