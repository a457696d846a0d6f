"""Objects <-> Keras config dicts: `serialize_keras_object` / `deserialize_keras_object`,
and for layers and models `serialize_layer` / `deserialize_layer`.

Writes the Keras 3 form {"module", "class_name", "config", "registered_name"} (+ "build_config"
for layers); reads that form and the Keras 2 form {"class_name", "config"}. Class lookup is
keraslite.saving.registry (custom objects) plus keraslite.layers / keraslite.models.

Keras 1 and Keras 2 layer configs are translated here, in one place (`translate_layer_config`):
`batch_input_shape` on InputLayer, keys Keras 2 wrote that Keras 3 dropped (`time_major`, ...),
one-element list `axis`, dtype-policy dicts, Keras 1 class names. Nothing read from a file is
ever executed or unpickled, except Lambda bytecode when the caller passes safe_mode=False
(and that decision belongs to Lambda.from_config).

Model-level functions (model_to_json, ...) are in keraslite.saving.config; file formats in
hdf5.py and keras_format.py.
"""
import functools
import inspect
import threading
import numpy as np

from keraslite.saving import registry

_UNSAFE_EVERYWHERE = False  # set by enable_unsafe_deserialization()


def enable_unsafe_deserialization():
    """`keras.config.enable_unsafe_deserialization`: allow every later load to rebuild Lambda
    layers from stored bytecode (and pickled torch modules), as `safe_mode=False` does for one
    call. Only for files you trust: loading such a file runs code from it."""
    global _UNSAFE_EVERYWHERE
    _UNSAFE_EVERYWHERE = True


_STATE = threading.local()  # safe_mode of the outermost deserialize_layer call in progress

_MODULE_OF = (
    ("keraslite.initializers", "keras.initializers"),
    ("keraslite.regularizers", "keras.regularizers"),
    ("keraslite.constraints", "keras.constraints"),
    ("keraslite.optimizers", "keras.optimizers"),
    ("keraslite.losses", "keras.losses"),
    ("keraslite.metrics", "keras.metrics"),
    ("keraslite.layers", "keras.layers"),
    ("keraslite.models", "keras"),
)


def _public_module(obj):
    # A class whose Keras home is not its public package (FeatureSpace's helper layers) names it.
    public = type(obj).__dict__.get("_keras_module")
    if public:
        return public
    module = type(obj).__module__
    for prefix, public in _MODULE_OF:
        if module.startswith(prefix):
            return public
    return module


def serialize_keras_object(obj):
    if obj is None or isinstance(obj, (str, int, float, bool)):
        return obj
    if isinstance(obj, (list, tuple)):
        return [serialize_keras_object(v) for v in obj]
    if isinstance(obj, dict):
        return {k: serialize_keras_object(v) for k, v in obj.items()}
    cls = type(obj)
    if callable(obj) and not hasattr(obj, "get_config") and not isinstance(obj, type):
        # A plain function, as Keras 3 writes one (under its registered name, 'pkg>fn').
        return {"module": "builtins", "class_name": "function", "config": registry.get_registered_name(obj),
                "registered_name": "function"}
    registered = registry._NAMES.get(cls)
    if hasattr(obj, "_keras_history") or _is_layer_class(cls):
        return serialize_layer(obj)
    custom = not _is_builtin(cls)
    config = obj.get_config()
    return {
        "module": _custom_module(cls) if custom else (_public_module(obj) if registered is None else cls.__module__),
        "class_name": cls.__name__,
        "config": serialize_config_values(config) if custom else config,
        "registered_name": registered if registered is not None or not custom else cls.__name__,
    }


def _custom_module(cls):
    """The module Keras writes for a user-defined class: none for one defined in the script."""
    return None if cls.__module__ == "__main__" else cls.__module__


def serialize_config_values(config):
    """A custom object's `get_config()` as Keras serializes it: Keras objects held in it (a
    layer, a regularizer, a function) become their serialized dicts; plain values stay."""
    import types

    if isinstance(config, dict):
        return {k: serialize_config_values(v) for k, v in config.items()}
    if isinstance(config, list):
        return [serialize_config_values(v) for v in config]
    if isinstance(config, tuple):
        return tuple(serialize_config_values(v) for v in config)
    if config is None or isinstance(config, (str, int, float, bool, np.generic, np.ndarray)):
        return config
    if isinstance(config, types.FunctionType) or (hasattr(config, "get_config") and not isinstance(config, type)):
        return serialize_keras_object(config)
    return config


# ----------------------------------------------------------------------------- layers

def _is_builtin(cls):
    return cls.__module__.startswith("keraslite.")


def serialize_layer(layer):
    """A layer or model as a Keras 3 object dict, with "build_config" once it is built.

    `batch_input_shape` is left out of non-input layers: Keras 3 layers do not accept it, and
    the model's InputLayer (or the layer's build_config) already carries the shape.
    """
    from keraslite.layers.input_layer import InputLayer

    cls = type(layer)
    config = dict(layer.get_config())
    if not isinstance(layer, InputLayer):
        config.pop("batch_input_shape", None)
    registered = registry._NAMES.get(cls)
    if hasattr(layer, "keras_identity"):  # a Keras operation node read from a Keras file
        module, class_name, registered = layer.keras_identity()
    elif cls.__name__ == "Functional" and _is_builtin(cls):
        module, class_name, registered = "keras.src.models.functional", "Functional", "Functional"
    elif registered is None and _is_builtin(cls):
        module, class_name = _public_module(layer), cls.__name__
        registered = cls.__dict__.get("_keras_registered_name")
    else:
        # A user-defined layer: its config's Keras objects (a nested layer, a regularizer
        # object) are serialized, as Keras does.
        module, class_name = _custom_module(cls), cls.__name__
        registered = registered or cls.__name__
        config = serialize_config_values(config)
    out = {"module": module, "class_name": class_name, "config": config, "registered_name": registered}
    build_config = None
    if hasattr(layer, "get_build_config") and not hasattr(layer, "keras_identity"):  # operations have none
        build_config = layer.get_build_config()
    if build_config is not None:
        out["build_config"] = build_config
    return out


# Keras 1 / Keras 2 class names that are spelled differently in keraslite (or in Keras 3).
CLASS_ALIASES = {
    "Convolution1D": "Conv1D", "Convolution2D": "Conv2D", "Convolution3D": "Conv3D",
    "AtrousConvolution1D": "Conv1D", "AtrousConvolution2D": "Conv2D",
    "Deconvolution2D": "Conv2DTranspose", "Deconvolution3D": "Conv3DTranspose",
    "SeparableConvolution2D": "SeparableConv2D", "SeparableConvolution1D": "SeparableConv1D",
    "DepthwiseConvolution2D": "DepthwiseConv2D",
    "MaxPool1D": "MaxPooling1D", "MaxPool2D": "MaxPooling2D", "MaxPool3D": "MaxPooling3D",
    "AvgPool1D": "AveragePooling1D", "AvgPool2D": "AveragePooling2D", "AvgPool3D": "AveragePooling3D",
    "GlobalMaxPool1D": "GlobalMaxPooling1D", "GlobalMaxPool2D": "GlobalMaxPooling2D",
    "GlobalAvgPool1D": "GlobalAveragePooling1D", "GlobalAvgPool2D": "GlobalAveragePooling2D",
    "CuDNNLSTM": "LSTM", "CuDNNGRU": "GRU",
    "BatchNormalizationV1": "BatchNormalization", "BatchNormalizationV2": "BatchNormalization",
    "LSTMV1": "LSTM", "GRUV1": "GRU", "LSTMCellV1": "LSTMCell", "GRUCellV1": "GRUCell",
}

# Keys that Keras 1/2 wrote (or newer Keras 3 versions write) which a keraslite class may not
# take. Each is dropped only when the target class does not accept it by name:
#   ALWAYS: an implementation choice with no effect on the numbers (BatchNormalization `fused`).
#   IF_DEFAULT: dropped only when it holds the value that means "off" (`time_major: false`, which
#           Keras 2 wrote on every RNN); any other value is left in, so the class raises a clear
#           error instead of silently computing something else (time_major=True data is
#           (time, batch, ...) and keraslite is batch-major).
# tf.keras SeparableConv/DepthwiseConv configs also carry Conv's kernel_* keys, which those
# layers never use (their kernels are depthwise_*/pointwise_*): no effect on the numbers either.
_DROP_ALWAYS = {"fused", "kernel_initializer", "kernel_regularizer", "kernel_constraint"}
_DROP_IF_DEFAULT = {
    "time_major": False, "ragged": False, "quantization_config": None, "lora_rank": None, "lora_alpha": None,
    "synchronized": False, "renorm": False, "renorm_clipping": None, "renorm_momentum": 0.99,
    "virtual_batch_size": None, "adjustment": None, "optional": False, "sparse": False,
    "zero_output_for_mask": False, "autocast": True, "input_length": None, "implementation": None,
    "groups": 1,  # tf.keras DepthwiseConv2D inherits Conv2D's config and writes groups=1
}
# CuDNN layers fixed these; their plain counterparts must use the same values to match.
_CUDNN_FIXED = {
    "CuDNNLSTM": {"activation": "tanh", "recurrent_activation": "sigmoid"},
    "CuDNNGRU": {"activation": "tanh", "recurrent_activation": "sigmoid", "reset_after": True},
}


def _dtype_from(value):
    """A dtype string from a string, a Keras 3 DTypePolicy dict or a Keras 2 Policy dict.

    A mixed policy keeps its name ('mixed_float16'): the layer takes it as its policy, with
    float32 variables (keraslite computes in float32 too)."""
    if isinstance(value, dict):
        inner = value.get("config") or {}
        if value.get("class_name") == "QuantizedDTypePolicy":  # a quantized layer: 'int8_from_float32'
            return f"{inner.get('mode')}_from_{inner.get('source_name')}"
        value = inner.get("name", value.get("name"))
    return value


def _accepted_keys(cls):
    """Keyword names `cls(...)` accepts by name, or None when it takes **kwargs it forwards
    to something other than Layer.__init__ (then every key is passed through)."""
    names = set()
    for klass in cls.__mro__:
        init = klass.__dict__.get("__init__")
        if init is None:
            continue
        try:
            params = inspect.signature(init).parameters.values()
        except (TypeError, ValueError):
            return None
        names.update(p.name for p in params if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY))
        if not any(p.kind == p.VAR_KEYWORD for p in params):
            return names
        if klass.__name__ == "Layer" and klass.__module__ == "keraslite.layers.layer":
            return names
    return names


def translate_layer_config(class_name, config, cls=None):
    """Return a copy of a layer's inner config with Keras 1/2 (and newer Keras 3) spellings
    rewritten to what keraslite's constructors take."""
    config = dict(config)
    if "batch_input_shape" in config and class_name == "InputLayer":
        config.setdefault("batch_shape", config.pop("batch_input_shape"))
    if "input_dtype" in config:  # Keras 1 spelling of the base-layer `dtype`
        value = config.pop("input_dtype")
        config.setdefault("dtype", value)
    if "dtype" in config:
        config["dtype"] = _dtype_from(config["dtype"])
    axis = config.get("axis")
    if isinstance(axis, list) and len(axis) == 1 and isinstance(axis[0], int):
        config["axis"] = int(axis[0])
    elif isinstance(axis, float):
        config["axis"] = int(axis)
    for key, value in _CUDNN_FIXED.get(class_name, {}).items():
        config.setdefault(key, value)
    if class_name == "Lambda":
        for key in ("module", "function_type", "output_shape_type", "output_shape_module"):
            config.pop(key, None)
    if isinstance(config.get("quantization_config"), dict):
        from keraslite import quantizers

        config["quantization_config"] = quantizers.read_quantization_config(config["quantization_config"],
                                                                            config.get("name"))
    for key, value in config.items():
        if isinstance(value, dict) and "class_name" in value:
            config[key] = _clean_object(value)
    accepted = _accepted_keys(cls) if cls is not None else None
    if accepted is not None:
        for key in list(config):
            if key in accepted:
                continue
            if key in _DROP_ALWAYS or (key in _DROP_IF_DEFAULT and config[key] == _DROP_IF_DEFAULT[key]):
                del config[key]
    return config


# Keys newer Keras 3 versions add to initializer / regularizer / constraint configs; dropped when
# they hold the value meaning "not used" and the keraslite class does not take them.
_OBJECT_DROP_IF_DEFAULT = {"input_axes": None, "output_axes": None}


def _clean_object(entry):
    """Drop newer-Keras keys with their "off" values from a nested initializer-style object dict."""
    from keraslite import constraints, initializers, regularizers

    inner = entry.get("config")
    if not isinstance(inner, dict):
        return entry
    name = entry["class_name"]
    cls = None
    for module in (initializers, regularizers, constraints):
        table = getattr(module, "_CLASSES", None) or {}
        cls = table.get(name) or getattr(module, name, None)
        if isinstance(cls, type):
            break
        cls = None
    if cls is None:
        return entry
    accepted = _accepted_keys(cls)
    if accepted is None:
        return entry
    inner = {k: v for k, v in inner.items()
             if k in accepted or k not in _OBJECT_DROP_IF_DEFAULT or v != _OBJECT_DROP_IF_DEFAULT[k]}
    return dict(entry, config=inner)


@functools.lru_cache(maxsize=None)
def _builtin_classes():
    from keraslite import layers, models

    table = {}
    for module in (layers, models):
        for name in getattr(module, "__all__", None) or dir(module):
            obj = getattr(module, name, None)
            if isinstance(obj, type):
                table.setdefault(name, obj)
        for name in dir(module):
            obj = getattr(module, name, None)
            if isinstance(obj, type) and not name.startswith("_"):
                table.setdefault(name, obj)
    # FeatureSpace's own helper layers (Keras writes them into models built from
    # `get_encoded_features()`), and FeatureSpace itself.
    from keraslite.utils import feature_space

    for name in ("FeatureSpace", "TFDConcat", "TFDIdentity"):
        table.setdefault(name, getattr(feature_space, name))
    # tf.keras 2's automatic op layers (TFOpLambda, SlicingOpLambda), in its model files.
    from keraslite.compat import tf_op_layers

    for name in tf_op_layers.__all__:
        table.setdefault(name, getattr(tf_op_layers, name))
    # ConvNeXt's layers, which Keras defines (and files name) in keras.src.applications.convnext.
    from keraslite.applications import convnext

    for name in ("LayerScale", "StochasticDepth"):
        table.setdefault(name, getattr(convnext, name))
    try:
        from keraslite.models.functional import Functional

        table["Functional"] = Functional
        table["Model"] = Functional
    except ImportError:
        pass
    return table


def get_layer_class(class_name, registered_name=None, custom_objects=None):
    """The keraslite class for a config's class name (custom objects first), or None."""
    for name in (registered_name, class_name):
        if name:
            obj = registry.get_registered_object(name, custom_objects)
            if obj is not None:
                return obj
    table = _builtin_classes()
    name = CLASS_ALIASES.get(class_name, class_name)
    return table.get(name)


def _class_of_loaded_module(module, class_name):
    """The layer class `class_name` of `module` (default "__main__", the running program) when
    that module is already imported, as tf.keras found a saved model's custom class without
    custom_objects. Nothing is imported, so nothing from the file runs."""
    import sys

    from torch import nn

    cls = getattr(sys.modules.get(module or "__main__"), class_name, None)  # Keras 2 files name no module
    return cls if isinstance(cls, type) and issubclass(cls, nn.Module) else None


def deserialize_layer(config, custom_objects=None, safe_mode=None):
    """A layer or model from a config: Keras 3 {"module","class_name","config",...}, Keras 2
    {"class_name","config"}, or a bare class name (useful
    for layers whose arguments all have defaults, such as 'Flatten').

    safe_mode=None inherits the setting of an enclosing call (True at the top level)."""
    from torch import nn

    if isinstance(config, nn.Module):
        return config
    if isinstance(config, str):
        config = {"class_name": config, "config": {}}
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(f"Cannot deserialize a layer from {config!r}: expected a dict with 'class_name' and "
                         "'config' keys (a Keras layer config) or a layer class name.")
    class_name = config["class_name"]
    inner = config.get("config") or {}
    if isinstance(inner, list) and class_name in ("Sequential", "Model"):
        inner = {"layers": inner}  # Keras 1 and early Keras 2 wrote a Sequential config as its layer list
        class_name = "Sequential"
    if not isinstance(inner, dict):
        raise ValueError(f"Layer config for class '{class_name}' has a 'config' of type {type(inner).__name__}; "
                         "expected a dict.")
    cls = get_layer_class(class_name, config.get("registered_name"), custom_objects) or \
        _class_of_loaded_module(config.get("module"), class_name)
    if cls is None:
        raise ValueError(
            f"Unknown layer class '{class_name}'"
            + (f" (registered name '{config['registered_name']}')" if config.get("registered_name") else "")
            + ". It is not a keraslite layer or model. If it is a custom class, pass it in "
              "`custom_objects={'" + class_name + "': " + class_name + "}` or decorate it with "
              "`@keraslite.saving.register_keras_serializable()`.")
    inner = translate_layer_config(class_name, inner, cls)
    if safe_mode is None:
        safe_mode = getattr(_STATE, "safe_mode", True)
    if _UNSAFE_EVERYWHERE:
        safe_mode = False  # keras.config.enable_unsafe_deserialization() overrides load_model's default
    previous = getattr(_STATE, "safe_mode", True)
    _STATE.safe_mode = bool(safe_mode)  # nested deserialize_layer calls (Sequential's layers) inherit it
    try:
        with registry.custom_object_scope(custom_objects or {}):
            if _is_builtin(cls) and class_name == "Lambda":
                layer = cls.from_config(inner, safe_mode=safe_mode, custom_objects=custom_objects)
            else:
                kwargs = {}
                if _takes(cls.from_config, "custom_objects"):
                    kwargs["custom_objects"] = custom_objects
                if _takes(cls.from_config, "safe_mode"):
                    kwargs["safe_mode"] = safe_mode
                try:
                    layer = cls.from_config(inner, **kwargs)
                except TypeError as e:
                    raise ValueError(f"Could not rebuild layer '{inner.get('name', class_name)}' of class "
                                    f"{class_name} from its config: {e}. Config keys: {sorted(inner)}.") from e
    finally:
        _STATE.safe_mode = previous
    build_config = config.get("build_config")
    if build_config and not getattr(layer, "built", True) and hasattr(layer, "build_from_config"):
        try:
            layer.build_from_config(build_config)
        except Exception as e:  # a layer that cannot build standalone is built later by its model
            raise ValueError(f"Layer '{getattr(layer, 'name', class_name)}' ({class_name}) could not be built "
                             f"from its build_config {build_config}: {e}") from e
    compile_config = config.get("compile_config")
    if compile_config and hasattr(layer, "compile_from_config"):
        # As Keras's deserialize_keras_object: a model saved compiled (`to_json()`, a nested model in
        # a Keras file) comes back compiled, through its own hook when its class defines one.
        with registry.custom_object_scope(custom_objects or {}):
            layer.compile_from_config(compile_config)
    return layer


def _takes(fn, name):
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False
    return name in params


_PUBLIC_MODULES = {
    "keras.initializers": "keraslite.initializers", "keras.regularizers": "keraslite.regularizers",
    "keras.constraints": "keraslite.constraints", "keras.optimizers": "keraslite.optimizers",
    "keras.losses": "keraslite.losses", "keras.metrics": "keraslite.metrics",
    "keras.activations": "keraslite.activations",
}


def deserialize_keras_object(config, custom_objects=None, safe_mode=None, module_objects=None):
    """The object a config describes: layers and models through `deserialize_layer`, other
    objects (initializers, losses, ...) through their module's `get`, custom ones through the registry."""
    import importlib

    if config is None or isinstance(config, (int, float, bool)):
        return config
    if isinstance(config, list):
        return [deserialize_keras_object(c, custom_objects, safe_mode, module_objects) for c in config]
    if isinstance(config, str):
        obj = registry.get_registered_object(config, custom_objects)
        if obj is None and module_objects:
            obj = module_objects.get(config)
        return obj if obj is not None else config
    if not isinstance(config, dict) or "class_name" not in config:
        return config
    module = config.get("module") or ""
    if config["class_name"] == "function" and isinstance(config.get("config"), str):
        # A plain function (a custom loss or metric): Keras stores its name under "config".
        name = config["config"]
        obj = registry.get_registered_object(name, custom_objects)
        if obj is None and module_objects:
            obj = module_objects.get(name)
        if obj is None and module in _PUBLIC_MODULES:
            obj = getattr(importlib.import_module(_PUBLIC_MODULES[module]), name, None)
        # A built-in loss or metric function ('mean_squared_error') stays a name for compile's `get`.
        return name if obj is None else obj
    if module in _PUBLIC_MODULES and registry.get_registered_object(
            config.get("registered_name") or config["class_name"], custom_objects) is None:
        target = importlib.import_module(_PUBLIC_MODULES[module])
        if hasattr(target, "get"):
            return target.get({"class_name": config["class_name"], "config": config.get("config") or {}})
    cls = registry.get_registered_object(config.get("registered_name") or config["class_name"], custom_objects)
    if cls is None and module_objects:
        cls = module_objects.get(config["class_name"])
    if cls is not None and not _is_layer_class(cls):
        inner = config.get("config") or {}
        return cls.from_config(inner) if hasattr(cls, "from_config") else cls(**inner)
    return deserialize_layer(config, custom_objects=custom_objects, safe_mode=safe_mode)


def _is_layer_class(cls):
    from torch import nn

    return isinstance(cls, type) and issubclass(cls, nn.Module)
