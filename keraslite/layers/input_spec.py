"""Keras's InputSpec: what a layer accepts (rank, dtype, fixed axes), checked when it is called.

A layer sets `self.input_spec` (one spec, or a list with one per input; None entries accept
anything); every call, symbolic or eager, checks the inputs against it before `build` / `call`
and raises Keras's messages when they do not fit.
"""


class InputSpec:
    """Rank, dtype and shape constraints on one input of a layer."""

    def __init__(self, dtype=None, shape=None, ndim=None, max_ndim=None, min_ndim=None, axes=None,
                 allow_last_axis_squeeze=False, name=None, optional=False):
        self.dtype = str(dtype).replace("torch.", "") if dtype is not None else None
        self.shape = tuple(shape) if shape is not None else None
        self.ndim = len(self.shape) if self.shape is not None else ndim
        self.max_ndim = max_ndim
        self.min_ndim = min_ndim
        self.name = name
        self.optional = optional
        self.allow_last_axis_squeeze = allow_last_axis_squeeze
        axes = dict(axes or {})
        try:
            self.axes = {int(k): v for k, v in axes.items()}
        except (TypeError, ValueError) as e:
            raise TypeError(f"InputSpec: the keys of `axes` must be integers; received axes={axes}.") from e
        if self.axes and self.ndim is None and self.min_ndim is None:
            raise ValueError(f"InputSpec: `axes` ({self.axes}) needs `ndim` or `min_ndim` to be set.")
        rank = self.ndim if self.ndim is not None else self.min_ndim
        if self.axes and self.ndim is not None and max(self.axes) >= rank:
            raise ValueError(f"InputSpec: axis {max(self.axes)} is out of range for ndim={rank}.")

    def __repr__(self):
        parts = [f"{k}={v}" for k, v in (("dtype", self.dtype), ("shape", self.shape), ("ndim", self.ndim),
                                          ("max_ndim", self.max_ndim), ("min_ndim", self.min_ndim),
                                          ("axes", self.axes or None)) if v is not None]
        return f"InputSpec({', '.join(parts)})"

    def get_config(self):
        return {"dtype": self.dtype, "shape": self.shape, "ndim": self.ndim, "max_ndim": self.max_ndim,
                "min_ndim": self.min_ndim, "axes": self.axes}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def _shape_of(x):
    shape = getattr(x, "shape", None)
    if shape is None:
        return None
    return tuple(None if d is None else int(d) for d in shape)


def _dtype_of(x):
    dtype = getattr(x, "dtype", None)
    return None if dtype is None else str(dtype).replace("torch.", "")


def assert_input_compatibility(spec, inputs, layer_name):
    """Raise Keras's error when `inputs` (a tensor/KerasTensor or a list of them) do not fit
    `spec` (an InputSpec, a list of them, or None)."""
    if spec is None:
        return
    specs = list(spec) if isinstance(spec, (list, tuple)) else [spec]
    if isinstance(inputs, dict):
        inputs = list(inputs.values())
    values = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
    if len(specs) > 1 and len(values) != len(specs):
        if not (len(values) < len(specs) and all(s is None or s.optional for s in specs[len(values):])):
            raise ValueError(f"Layer '{layer_name}' expects {len(specs)} input(s), but it received {len(values)} "
                             "input tensors. Pass one tensor per InputSpec in `input_spec`.")
    if len(specs) == 1 and len(values) > 1:
        values = [inputs]  # a single spec describes the one (structured) input
    for index, (s, x) in enumerate(zip(specs, values)):
        if s is None:
            continue
        shape = _shape_of(x)
        if shape is None:
            continue
        ndim = len(shape)
        where = f"Input {index} of layer '{layer_name}' is incompatible with the layer:"
        if s.ndim is not None and not s.allow_last_axis_squeeze and ndim != s.ndim:
            raise ValueError(f"{where} expected ndim={s.ndim}, found ndim={ndim}. Full shape received: {shape}")
        if s.ndim is not None and s.allow_last_axis_squeeze:
            squeezed = shape[:-1] if shape and shape[-1] == 1 else shape
            wanted = s.ndim - 1 if s.shape and s.shape[-1] == 1 else s.ndim
            if len(squeezed) != wanted and ndim != s.ndim:
                raise ValueError(f"{where} expected ndim={s.ndim}, found ndim={ndim}. Full shape received: {shape}")
        if s.max_ndim is not None and ndim > s.max_ndim:
            raise ValueError(f"{where} expected max_ndim={s.max_ndim}, found ndim={ndim}. Full shape received: "
                             f"{shape}")
        if s.min_ndim is not None and ndim < s.min_ndim:
            raise ValueError(f"{where} expected min_ndim={s.min_ndim}, found ndim={ndim}. Full shape received: "
                             f"{shape}")
        if s.dtype is not None:
            dtype = _dtype_of(x)
            if dtype is not None and dtype != s.dtype:
                raise ValueError(f"{where} expected dtype={s.dtype}, found dtype={dtype}. Cast the input with "
                                 f"`keras.ops.cast(x, '{s.dtype}')`.")
        for axis, value in s.axes.items():
            if value is None or not -ndim <= axis < ndim:
                continue
            if shape[axis] is not None and shape[axis] not in (value,):
                raise ValueError(f"{where} expected axis {axis} of input shape to have value {value}, but received "
                                 f"input with shape {shape}")
        if s.shape is not None:
            for spec_dim, dim in zip(s.shape, shape):
                if spec_dim is not None and dim is not None and spec_dim != dim:
                    raise ValueError(f"{where} expected shape={s.shape}, found shape={shape}")


def serialize(layer):
    """`keras.layers.serialize`: a layer's `{"class_name", "config", ...}` dict."""
    from keraslite.saving.serialization import serialize_layer

    return serialize_layer(layer)


def deserialize(config, custom_objects=None):
    """`keras.layers.deserialize`: a new layer from what `serialize` returned."""
    from keraslite.saving.serialization import deserialize_layer

    return deserialize_layer(config, custom_objects=custom_objects)
