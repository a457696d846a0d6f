"""`TFNamespace`: the shim's `tf.math`, `tf.signal`, `tf.io`, ... -- attribute bags whose missing
names raise an AttributeError that names the full `tf.<namespace>.<name>` and says the shim
does not provide it, instead of a bare SimpleNamespace error."""
import importlib
import types


class TFNamespace(types.SimpleNamespace):
    """`_fallback`: a module (or its name) whose attributes this namespace also has (tf.compat.v1
    is the TF 2 API plus TF 1's own spellings, so it falls back to the shim's top level)."""

    def __init__(self, _path, _fallback=None, **attrs):
        super().__init__(**attrs)
        object.__setattr__(self, "_path", _path)
        object.__setattr__(self, "_fallback", _fallback)

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        if name == "keras" and self._path.startswith("tensorflow.compat."):
            # tf.compat.v1.keras (the TF 1 GPU-memory boilerplate's backend.set_session) is tf.keras.
            return importlib.import_module("tensorflow.keras")
        if self._fallback is not None:
            try:
                fallback = self._fallback
                return getattr(importlib.import_module(fallback) if isinstance(fallback, str) else fallback, name)
            except AttributeError:
                pass
        short = self._path.replace("tensorflow.", "tf.", 1)
        raise AttributeError(
            f"module '{self._path}' has no attribute '{name}': keraslite's tensorflow shim does not provide "
            f"{short}.{name}. Use torch or keraslite.ops for it, or run the program with TensorFlow installed "
            "and without `python -m keraslite`.")

    def __repr__(self):
        return f"<module '{self._path}' (keraslite's tensorflow shim)>"
