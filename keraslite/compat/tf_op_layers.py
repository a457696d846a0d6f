"""tf.keras 2's automatic op layers, as its model files store them.

In a tf.keras 2 functional model every TensorFlow function or operator applied to a symbolic
tensor (`inputs / 255.0`, `tf.nn.relu(x)`, `tf.concat([a, b], -1)`, `x[:, 0]`) became a layer:
`TFOpLambda` (the function's name under `tf.`, e.g. "math.truediv", "__operators__.add") or
`SlicingOpLambda` (`x[...]`). The file's node holds the first argument as tensors and the rest as
keyword arguments. These classes rebuild such layers by looking the name up in keraslite's
TensorFlow shim and Python's operators: a file only ever names a function, no code from it runs.
"""
import operator

from keraslite.layers.layer import Layer

__all__ = ["TFOpLambda", "SlicingOpLambda"]

# `tf.__operators__.<name>`: Python's operators on tensors.
_OPERATORS = {name: getattr(operator, name) for name in (
    "add", "sub", "mul", "truediv", "floordiv", "mod", "pow", "neg", "pos", "abs", "matmul", "getitem",
    "eq", "ne", "lt", "le", "gt", "ge", "and_", "or_", "xor", "invert")}


# The shim namespaces an op layer may name: tensor math only (no tf.io, tf.data, tf.summary ...).
_NAMESPACES = {"", "math", "nn", "linalg", "image", "strings", "bitwise", "signal", "random", "sparse", "ragged"}


def _resolve(function):
    """The callable `tf.<function>` names, found through the shim's own namespaces only."""
    if function.startswith("__operators__."):
        fn = _OPERATORS.get(function.split(".", 1)[1])
        if fn is not None:
            return fn
    else:
        fn = _shim_function(function)
        if fn is not None:
            return fn
    raise ValueError(f"tf.keras 2 op layer: `tf.{function}` is not a tensor function of keraslite's TensorFlow shim, "
                     "so a model that applies it to symbolic tensors cannot be rebuilt from this file.")


def _shim_function(function):
    import inspect

    from keraslite.compat import tensorflow_shim
    from keraslite.compat.tf_namespace import TFNamespace

    parts = function.split(".")
    namespace = parts[:-1]
    while namespace[:1] == ["compat"] and namespace[1:2] in (["v1"], ["v2"]):
        namespace = namespace[2:]
    if ".".join(namespace) not in _NAMESPACES or any(p.startswith("_") or not p for p in parts):
        return None
    current = tensorflow_shim
    for part in parts[:-1]:
        current = getattr(current, part, None)
        if not isinstance(current, TFNamespace):  # never a plain module (os, sys, numpy ...)
            return None
    fn = getattr(current, parts[-1], None)
    if fn is None or not callable(fn) or inspect.ismodule(fn) or inspect.isclass(fn):
        return None
    if current is tensorflow_shim and not str(getattr(fn, "__module__", "")).startswith("keraslite"):
        return None  # the shim module's own imports
    return fn


class TFOpLambda(Layer):
    """`tf.<function>(inputs, **kwargs)` as a layer of a loaded tf.keras 2 model."""

    def __init__(self, function, **kwargs):
        super().__init__(**kwargs)
        self.function = function
        self._fn = _resolve(function)

    def call(self, inputs, **kwargs):
        for key in ("training", "mask"):
            kwargs.pop(key, None)
        if kwargs.get("name", "") is None:
            del kwargs["name"]  # TF's op name: nothing to name eagerly
        if "y" in kwargs:  # TF's binary ops, f(x, y): the second operand, by position
            return self._fn(inputs, kwargs.pop("y"), **kwargs)
        return self._fn(inputs, **kwargs)

    def get_config(self):
        config = super().get_config()
        config["function"] = self.function
        return config


def _slice_key(spec):
    if isinstance(spec, dict) and set(spec) <= {"start", "stop", "step"}:
        return slice(spec.get("start"), spec.get("stop"), spec.get("step"))
    if spec in ("...", "Ellipsis"):
        return Ellipsis
    if isinstance(spec, list):
        return tuple(_slice_key(s) for s in spec)
    return spec


class SlicingOpLambda(TFOpLambda):
    """`inputs[slice_spec]` as a layer of a loaded tf.keras 2 model (slices stored as dicts of
    start / stop / step)."""

    def __init__(self, function="__operators__.getitem", **kwargs):
        super().__init__(function, **kwargs)

    def call(self, inputs, slice_spec=None, **kwargs):
        return inputs[_slice_key(slice_spec)]
