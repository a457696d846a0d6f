"""Objects <-> Keras config dicts: `serialize_keras_object` / `deserialize_keras_object`.

Writes the Keras 3 form {"module", "class_name", "config", "registered_name"}; reads that
form and the Keras 2 form {"class_name", "config"}. Class lookup is keraslite.saving.registry
plus the built-in modules named by `module`.
"""
from keraslite.saving import registry

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
    if callable(obj) and not hasattr(obj, "get_config"):  # a plain function
        name = registry.get_registered_name(obj)
        return name
    registered = registry._NAMES.get(cls)
    return {
        "module": _public_module(obj) if registered is None else cls.__module__,
        "class_name": cls.__name__,
        "config": obj.get_config(),
        "registered_name": registered,
    }
