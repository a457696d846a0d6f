"""`TFNamespace`: the shim's `tf.math`, `tf.signal`, `tf.io`, ... -- attribute bags whose missing
names raise an AttributeError that names the full `tf.<namespace>.<name>` and says the shim
does not provide it, instead of a bare SimpleNamespace error."""
import types


class TFNamespace(types.SimpleNamespace):
    def __init__(self, _path, **attrs):
        super().__init__(**attrs)
        object.__setattr__(self, "_path", _path)

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        if name == "keras" and self._path.startswith("tensorflow.compat."):
            # tf.compat.v1.keras (the TF 1 GPU-memory boilerplate's backend.set_session) is tf.keras.
            import importlib

            return importlib.import_module("tensorflow.keras")
        short = self._path.replace("tensorflow.", "tf.", 1)
        raise AttributeError(
            f"module '{self._path}' has no attribute '{name}': keraslite's tensorflow shim does not provide "
            f"{short}.{name}. Use torch or keraslite.ops for it, or run the program with TensorFlow installed "
            "and without `python -m keraslite`.")

    def __repr__(self):
        return f"<module '{self._path}' (keraslite's tensorflow shim)>"
