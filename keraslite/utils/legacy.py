"""`keras.utils.legacy`: the Keras 2 form of serialization,
`{"class_name": ..., "config": ...}`, that libraries built on Keras still use for their own
objects.

Unlike keraslite.saving.serialization (the Keras 3 form), nothing here knows the built-in
Keras classes: the caller names the classes a config may refer to in `module_objects`, and
custom ones come from `custom_objects`, an open `custom_object_scope` or the registry. The
positional order is Keras's: `deserialize_keras_object(identifier, module_objects,
custom_objects, printable_module_name)`.
"""
import inspect

from keraslite.saving import registry

__all__ = ["serialize_keras_object", "deserialize_keras_object"]

_PASSIVE = "__passive_serialization__"  # marks a nested object's config inside a config


def serialize_keras_object(instance):
    """`{"class_name": registered name, "config": get_config()}` for an object with
    `get_config`, its registered name for a function or class; None stays None. Nested
    objects in the config are serialized too (and marked, so that deserializing rebuilds them)."""
    instance = inspect.unwrap(instance) if callable(instance) else instance
    if instance is None:
        return None
    if hasattr(instance, "get_config") and not isinstance(instance, type):
        config = instance.get_config()
        serialized = {}
        for key, item in config.items():
            if isinstance(item, str):
                serialized[key] = item
                continue
            try:
                value = serialize_keras_object(item)
            except ValueError:  # a plain value (number, list, dict) is kept as it is
                value = item
            if isinstance(value, dict) and not isinstance(item, dict):
                value[_PASSIVE] = True
            serialized[key] = value
        return {"class_name": registry.get_registered_name(type(instance)), "config": serialized}
    if hasattr(instance, "__name__"):
        return registry.get_registered_name(instance)
    raise ValueError(f"Cannot serialize {instance} because it doesn't implement `get_config()`.")


def _lookup(name, module_objects, custom_objects):
    obj = registry.get_registered_object(name, custom_objects)
    if obj is None and module_objects:
        obj = module_objects.get(name)
    return obj


def _unknown(printable_module_name, name):
    return ValueError(f"Unknown {printable_module_name}: '{name}'. Please ensure you are using a "
                      "`keras.utils.custom_object_scope` and that this object is included in the scope, "
                      "or pass it in `custom_objects`.")


def _class_and_config(config, module_objects, custom_objects, printable_module_name):
    if not isinstance(config, dict) or "class_name" not in config or "config" not in config:
        raise ValueError(f"Improper config format for {config}. "
                         "Expecting python dict contains `class_name` and `config` as keys")
    class_name = config["class_name"]
    cls = _lookup(class_name, module_objects, custom_objects)
    if cls is None:
        raise _unknown(printable_module_name, class_name)
    cls_config = config["config"]
    if isinstance(cls_config, list):  # Keras 2.0's Sequential: a list of layer configs
        return cls, cls_config
    cls_config = dict(cls_config)
    for key, item in list(cls_config.items()):
        if key == "name":
            continue
        if isinstance(item, dict) and _PASSIVE in item:
            cls_config[key] = deserialize_keras_object(item, module_objects=module_objects,
                                                       custom_objects=custom_objects,
                                                       printable_module_name="config_item")
        elif isinstance(item, str) and inspect.isfunction(_lookup(item, module_objects, custom_objects)):
            cls_config[key] = _lookup(item, module_objects, custom_objects)  # a custom function saved by name
    return cls, cls_config


def deserialize_keras_object(identifier, module_objects=None, custom_objects=None, printable_module_name="object"):
    """The object `identifier` describes: a config dict is rebuilt with its class's
    `from_config` (or by calling it with the config), a name gives the object (a class named
    so is instantiated without arguments), a function is returned as it is."""
    if identifier is None:
        return None
    if isinstance(identifier, dict):
        cls, cls_config = _class_and_config(identifier, module_objects, custom_objects, printable_module_name)
        custom_objects = custom_objects or {}
        if hasattr(cls, "from_config"):
            try:
                takes_custom = "custom_objects" in inspect.signature(cls.from_config).parameters
            except (TypeError, ValueError):
                takes_custom = False
            if takes_custom:
                return cls.from_config(cls_config, custom_objects={**registry.get_custom_objects(), **custom_objects})
            with registry.custom_object_scope(custom_objects):
                return cls.from_config(cls_config)
        with registry.custom_object_scope(custom_objects):
            return cls(**cls_config)
    if isinstance(identifier, str):
        obj = _lookup(identifier, module_objects, custom_objects)
        if obj is None:
            raise _unknown(printable_module_name, identifier)
        return obj() if inspect.isclass(obj) else obj
    if inspect.isfunction(identifier):
        return identifier
    raise ValueError(f"Could not interpret serialized {printable_module_name}: {identifier}")
