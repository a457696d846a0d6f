"""The registry of custom objects: `register_keras_serializable`, `get_custom_objects`,
`custom_object_scope`, and name lookups used by every `get(identifier)` and by loading.

Owns only names -> objects; turning objects into configs is keraslite.saving.serialization.
"""
import threading

_GLOBAL = {}          # "package>Name" and plain "Name" -> object
_NAMES = {}           # object -> "package>Name"
_SCOPE = threading.local()


def register_keras_serializable(package="Custom", name=None):
    """Decorator: make a class or function loadable by name from configs and files."""
    def decorator(obj):
        registered = f"{package}>{name or obj.__name__}"
        _GLOBAL[registered] = obj
        _NAMES[obj] = registered
        return obj

    return decorator


def get_custom_objects():
    """The global dict of custom objects (Keras's `get_custom_objects`); it can be edited."""
    return _GLOBAL


class CustomObjectScope:
    """`with custom_object_scope({...}):` names resolve through the given dicts inside the block.
    One scope object can be entered again (and nested), as Keras's."""

    def __init__(self, *scopes):
        self.custom_objects = {}
        for scope in scopes:
            self.custom_objects.update(scope or {})
        self._outer = []

    def __enter__(self):
        stack = getattr(_SCOPE, "stack", [])
        self._outer.append(stack)
        _SCOPE.stack = stack + [self.custom_objects]
        return self

    def __exit__(self, *exc):
        _SCOPE.stack = self._outer.pop()


custom_object_scope = CustomObjectScope


def get_registered_object(name, custom_objects=None):
    """Look `name` up in explicit custom_objects, open scopes, then the global registry."""
    if name is None:
        return None
    for table in [custom_objects or {}] + list(reversed(getattr(_SCOPE, "stack", []))) + [_GLOBAL]:
        if name in table:
            return table[name]
    short = name.split(">")[-1]
    for table in [custom_objects or {}] + list(reversed(getattr(_SCOPE, "stack", []))) + [_GLOBAL]:
        if short in table:
            return table[short]
    return None


def get_registered_name(obj):
    if obj in _NAMES:
        return _NAMES[obj]
    return getattr(obj, "__name__", type(obj).__name__)


def class_for_config(config, classes, custom_objects=None):
    """The class a config dict names: a built-in from `classes`, else a registered or custom
    object (by `registered_name`, then `class_name`); None when nothing matches."""
    name = config.get("class_name")
    return classes.get(name) or get_registered_object(config.get("registered_name") or name, custom_objects)


def custom_function(config):
    """The function a Keras 3 config `{"class_name": "function", "config": "my_fn", ...}` names,
    found among the custom objects (custom_objects=, custom_object_scope, registered); None for
    other configs. Raises when it is such a config but the function is unknown."""
    if config.get("class_name") != "function":
        return None
    name = config.get("config")
    fn = get_registered_object(config.get("registered_name") or name) or get_registered_object(name)
    if not callable(fn):
        raise ValueError(f"Unknown function {name!r} in the config. Pass it to load_model in custom_objects="
                         f"{{'{name}': {name}}}, or register it with @keras.saving.register_keras_serializable().")
    return fn


def resolve(identifier, kind, base, classes, names, class_names):
    """The shared `get(identifier)` of small object families (regularizers, constraints):
    None, an instance or callable, a name in `classes`, or a config dict (built-in class or a
    registered custom one). `names`/`class_names` are listed in the errors."""
    if identifier is None:
        return None
    if isinstance(identifier, base) or (callable(identifier) and not isinstance(identifier, type)):
        return identifier
    if isinstance(identifier, str):
        cls = classes.get(identifier)
        if cls is None:
            custom = get_registered_object(identifier)  # a custom function saved by its name (Keras 2)
            if callable(custom):
                return custom
            raise ValueError(f"Unknown {kind} {identifier!r}. Valid names are: {names}.")
        return cls()
    if isinstance(identifier, dict):
        custom = custom_function(identifier)
        if custom is not None:
            return custom
        cls = class_for_config(identifier, classes)
        if cls is None:
            raise ValueError(f"Unknown {kind} class {identifier.get('class_name')!r}. Valid classes are: "
                             f"{class_names}.")
        return cls.from_config(identifier.get("config", {}))
    raise ValueError(f"Could not interpret {kind} {identifier!r}.")
