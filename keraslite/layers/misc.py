"""Utility layers: Lambda, Masking, the spatial dropouts, the noise layers (GaussianNoise,
GaussianDropout, AlphaDropout) and ActivityRegularization.

Owns Lambda's function (de)serialization in the Keras 3 config form, including the refusal
to run stored Python bytecode unless the caller opts in with `safe_mode=False`. Leaves
Dropout/Activation to core.py and the generic layer-config machinery to keraslite.saving.

Random layers act only in training: `training=True`, or `training=None` with the module in
train mode (`fit` sets it). In inference they return their input unchanged.
"""
import base64
import builtins
import inspect
import math
import marshal
import sys
import types

import numpy as np
import torch

from keraslite import backend, regularizers
from keraslite.layers.layer import Layer
from keraslite.utils import rng

__all__ = ["Lambda", "Masking", "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D", "GaussianNoise",
           "GaussianDropout", "AlphaDropout", "ActivityRegularization"]


def _is_training(layer, training):
    return layer.training if training is None else bool(training)


def _check_rate(layer, rate):
    if not 0 <= rate <= 1:
        raise ValueError(f"{type(layer).__name__} '{layer.name}': rate must be in [0, 1]; received rate={rate}.")
    return float(rate)


# ----------------------------------------------------------------------------- Lambda

_UNSAFE_MESSAGE = (
    "Lambda '{name}': its config holds a Python lambda stored as bytecode. Loading it would run "
    "code from the file, so it is refused by default. If you trust the file, pass safe_mode=False "
    "(e.g. `load_model(path, safe_mode=False)` or `Lambda.from_config(config, safe_mode=False)`); "
    "better, rebuild the layer with a named function and pass it in custom_objects.")


def _function_to_config(fn):
    """Keras 3's form: bytecode for Python lambdas, a name for named functions."""
    if isinstance(fn, types.LambdaType) and fn.__name__ == "<lambda>":
        code = base64.encodebytes(marshal.dumps(fn.__code__)).decode("ascii")
        closure = None if not fn.__closure__ else tuple(c.cell_contents for c in fn.__closure__)
        return {"class_name": "__lambda__",
                "config": {"code": code, "defaults": fn.__defaults__, "closure": closure}}
    from keraslite.saving import registry

    name = registry.get_registered_name(fn)
    return {"module": "builtins", "class_name": "function", "config": name, "registered_name": "function"}


def _load_bytecode(layer_name, code, defaults=None, closure=None):
    try:
        raw = base64.decodebytes(code.encode("ascii"))
    except (UnicodeEncodeError, ValueError):
        raw = code.encode("raw_unicode_escape")
    try:
        code_obj = marshal.loads(raw)
    except (ValueError, EOFError, TypeError) as e:
        raise ValueError(f"Lambda '{layer_name}': its stored bytecode cannot be read by Python "
                         f"{sys.version_info.major}.{sys.version_info.minor} ({e}); bytecode only loads in the Python "
                         "version that wrote it. Rebuild the layer with the original function.") from None
    from keraslite import ops

    # Names a saved lambda usually refers to, then the running script's own globals.
    namespace = {"__builtins__": builtins, "np": np, "numpy": np, "torch": torch, "math": math, "K": backend,
                 "ops": ops}
    main = sys.modules.get("__main__")
    if main is not None:
        namespace.update(vars(main))
    cells = None if closure is None else tuple(types.CellType(v) for v in closure)
    return types.FunctionType(code_obj, namespace, code_obj.co_name,
                              tuple(defaults) if defaults is not None else None, cells)


def _function_by_name(layer_name, name, custom_objects):
    from keraslite import activations, ops
    from keraslite.saving import registry

    fn = registry.get_registered_object(name, custom_objects)
    if fn is not None:
        return fn
    short = name.split(">")[-1]
    for module in (activations, ops, sys.modules.get("__main__")):
        fn = getattr(module, short, None)
        if callable(fn):
            return fn
    raise ValueError(f"Lambda '{layer_name}': unknown function {name!r} in its config. Pass it when loading, "
                     f"e.g. custom_objects={{'{short}': {short}}}, or decorate it with "
                     "@keraslite.saving.register_keras_serializable().")


class Lambda(Layer):
    """Wrap an arbitrary function as a layer: `function(inputs, **arguments)`.

    `output_shape` (without the batch dimension, or a function of the input shape) is needed
    only when the function cannot be traced on fake tensors. `mask` is a fixed mask or a
    function `(inputs, mask) -> mask`.
    """

    def __init__(self, function, output_shape=None, mask=None, arguments=None, **kwargs):
        super().__init__(**kwargs)
        if not callable(function):
            raise TypeError(f"Lambda '{self.name}': `function` must be callable; received {function!r}.")
        self.function = function
        self.arguments = dict(arguments or {})
        self.mask = mask
        self.supports_masking = mask is not None
        if isinstance(output_shape, list) and all(d is None or isinstance(d, int) for d in output_shape):
            output_shape = tuple(output_shape)
        self._output_shape = output_shape
        try:
            params = inspect.signature(function).parameters
        except (TypeError, ValueError):
            params = {}
        self._fn_expects_mask = "mask" in params
        self._fn_expects_training = "training" in params

    def call(self, inputs, mask=None, training=None):
        kwargs = dict(self.arguments)
        if self._fn_expects_mask:
            kwargs["mask"] = mask
        if self._fn_expects_training:
            kwargs["training"] = _is_training(self, training)
        outputs = self.function(inputs, **kwargs)
        if isinstance(outputs, (list, tuple)) and len(outputs) == 1 and isinstance(outputs[0], torch.Tensor):
            # Keras 2 unpacked one-tensor lists from every layer call: a Lambda returning
            # `K.gradients(loss, x)` (a list) gave the tensor itself.
            return outputs[0]
        return outputs

    def compute_mask(self, inputs, mask=None):
        if callable(self.mask):
            return self.mask(inputs, mask)
        return self.mask

    def compute_output_shape(self, input_shape):
        if self._output_shape is None:
            try:
                return super().compute_output_shape(input_shape)
            except Exception as e:
                raise NotImplementedError(
                    f"Lambda '{self.name}': could not infer the output shape of its function for input shape "
                    f"{input_shape} ({type(e).__name__}: {e}). Pass `output_shape=` to the Lambda.") from e
        if callable(self._output_shape):
            return self._output_shape(input_shape)
        first = input_shape
        while isinstance(first, list):
            first = first[0]
        batch = first[0] if first else None

        def add_batch(shape):
            if isinstance(shape, list) and shape and not all(d is None or isinstance(d, int) for d in shape):
                return [add_batch(s) for s in shape]
            return (batch,) + tuple(shape)

        return add_batch(self._output_shape)

    def get_config(self):
        config = super().get_config()
        config["function"] = _function_to_config(self.function)
        if self._output_shape is not None:
            config["output_shape"] = (_function_to_config(self._output_shape) if callable(self._output_shape)
                                      else self._output_shape)
        if self.mask is not None:
            config["mask"] = _function_to_config(self.mask) if callable(self.mask) else self.mask
        config["arguments"] = dict(self.arguments)
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None, safe_mode=None):
        """Rebuild from a Keras 3 (or Keras 2) config. Stored bytecode is refused unless
        `safe_mode=False` (None follows the enclosing load call; True by default)."""
        if safe_mode is None:
            from keraslite.saving import serialization

            safe_mode = getattr(serialization._STATE, "safe_mode", True)
        config = dict(config)
        name = config.get("name", "lambda")
        for key in ("function_type", "module", "output_shape_type", "output_shape_module"):
            config.pop(key, None)  # Keras 2 bookkeeping keys
        for key in ("function", "output_shape", "mask"):
            if key in config and config[key] is not None:
                config[key] = _config_to_function(name, config[key], key, safe_mode, custom_objects)
        return cls(**config)


def _config_to_function(layer_name, value, key, safe_mode, custom_objects):
    def bytecode(code, defaults, closure):
        if safe_mode is not False:
            raise ValueError(_UNSAFE_MESSAGE.format(name=layer_name))
        return _load_bytecode(layer_name, code, defaults, closure)

    if isinstance(value, dict) and value.get("class_name") == "__lambda__":
        inner = value.get("config") or {}
        if "value" in inner:  # serialize_keras_object's form: {"value": [code, defaults, closure]}
            return bytecode(*inner["value"])
        return bytecode(inner["code"], inner.get("defaults"), inner.get("closure"))
    if isinstance(value, dict) and value.get("class_name") == "function":
        return _function_by_name(layer_name, value["config"], custom_objects)
    if key == "function" and isinstance(value, str):  # Keras 2: function_type "function"
        return _function_by_name(layer_name, value, custom_objects)
    if (key == "function" and isinstance(value, (list, tuple)) and len(value) == 3
            and isinstance(value[0], str)):  # Keras 2: function_type "lambda"
        return bytecode(*value)
    if key == "output_shape" and isinstance(value, (list, tuple)):
        if len(value) == 3 and isinstance(value[0], str):  # Keras 2 lambda output_shape
            return bytecode(*value)
        if all(d is None or isinstance(d, int) for d in value):
            return tuple(value)
        return [tuple(v) for v in value]
    return value


# ----------------------------------------------------------------------------- Masking

class Masking(Layer):
    """Mask timesteps whose features all equal `mask_value`; those steps are also zeroed.
    The mask has the input's shape minus the last axis, e.g. (batch, time)."""

    def __init__(self, mask_value=0.0, **kwargs):
        super().__init__(**kwargs)
        if isinstance(mask_value, dict) and "config" in mask_value:  # a serialized scalar
            mask_value = mask_value["config"].get("value", mask_value)
        self.mask_value = mask_value
        self.supports_masking = True

    def compute_mask(self, inputs, mask=None):
        if isinstance(inputs, np.ndarray):  # called directly on data, as the masking guide does
            inputs = torch.as_tensor(inputs)
        return (inputs != self.mask_value).any(dim=-1)  # (batch, time)

    def call(self, inputs):
        keep = (inputs != self.mask_value).any(dim=-1, keepdim=True)  # (batch, time, 1)
        return inputs * keep.to(inputs.dtype)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config["mask_value"] = self.mask_value
        return config


# ----------------------------------------------------------------------------- spatial dropout

class _SpatialDropout(Layer):
    """Dropout of whole feature maps: one keep/drop draw per (sample, channel)."""

    _keras_training_default = False  # Keras's `call(..., training=False)`, written into its files

    rank = None

    def __init__(self, rate, seed=None, data_format=None, **kwargs):
        # tf.keras 2 wrote Dropout's `noise_shape: null` into spatial dropouts' configs; the
        # shape is fixed by the layer (one draw per sample and channel), so any other value is an error.
        if kwargs.get("noise_shape", "absent") is None:
            kwargs.pop("noise_shape")
        super().__init__(**kwargs)
        self.rate = _check_rate(self, rate)
        self.seed = seed
        self.seed_generator = rng.SeedGenerator(seed) if self.rate > 0 else None  # made when Keras makes it
        self.data_format = backend.standardize_data_format(data_format)
        self.supports_masking = True

    def call(self, inputs, training=None):
        if inputs.ndim != self.rank + 2:
            raise ValueError(f"{type(self).__name__} '{self.name}': expected a {self.rank + 2}-D input; received "
                             f"input of shape {tuple(inputs.shape)}.")
        if not _is_training(self, training) or self.rate == 0:
            return inputs
        shape = [1] * inputs.ndim
        shape[0] = inputs.shape[0]
        channel = 1 if self.data_format == "channels_first" else -1
        shape[channel] = inputs.shape[channel]
        return rng.dropout(inputs, self.rate, self.seed_generator, shape)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update(rate=self.rate, seed=self.seed)
        if self.rank > 1:
            config["data_format"] = self.data_format
        config.pop("trainable", None)  # Keras 3's spatial dropouts neither write nor accept it
        return config


class SpatialDropout1D(_SpatialDropout):
    """Input (batch, steps, channels); drops whole channels."""

    rank = 1

    def __init__(self, rate, seed=None, **kwargs):
        kwargs.pop("data_format", None)
        super().__init__(rate, seed=seed, data_format="channels_last", **kwargs)


class SpatialDropout2D(_SpatialDropout):
    rank = 2

    def __init__(self, rate, data_format=None, seed=None, **kwargs):
        super().__init__(rate, seed=seed, data_format=data_format, **kwargs)


class SpatialDropout3D(_SpatialDropout):
    rank = 3

    def __init__(self, rate, data_format=None, seed=None, **kwargs):
        super().__init__(rate, seed=seed, data_format=data_format, **kwargs)


# ----------------------------------------------------------------------------- noise layers

class GaussianNoise(Layer):
    """Training only: inputs + N(0, stddev²) noise."""

    _keras_training_default = False  # Keras's `call(..., training=False)`, written into its files

    def __init__(self, stddev=None, seed=None, **kwargs):
        if "sigma" in kwargs:  # Keras 1 spelling
            sigma = kwargs.pop("sigma")
            stddev = sigma if stddev is None else stddev
        super().__init__(**kwargs)
        if stddev is None:
            raise TypeError(f"GaussianNoise '{self.name}': missing the required argument `stddev`.")
        if stddev < 0:
            raise ValueError(f"GaussianNoise '{self.name}': stddev must be >= 0; received stddev={stddev}.")
        self.stddev = float(stddev)
        self.seed = seed
        self.seed_generator = rng.SeedGenerator(seed) if self.stddev > 0 else None
        self.supports_masking = True

    def call(self, inputs, training=None):
        if not _is_training(self, training) or self.stddev == 0:
            return inputs
        return inputs + rng.normal(inputs.shape, 0.0, self.stddev, self.seed_generator, inputs.dtype, inputs.device)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update(stddev=self.stddev, seed=self.seed)
        return config


class GaussianDropout(Layer):
    """Training only: inputs * N(1, rate / (1 - rate)) noise."""

    _keras_training_default = False  # Keras's `call(..., training=False)`, written into its files

    def __init__(self, rate, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.rate = _check_rate(self, rate)
        self.seed = seed
        self.seed_generator = rng.SeedGenerator(seed) if self.rate > 0 else None
        self.supports_masking = True

    def call(self, inputs, training=None):
        if not _is_training(self, training) or self.rate == 0:
            return inputs
        stddev = math.sqrt(self.rate / (1.0 - self.rate))
        return inputs * rng.normal(inputs.shape, 1.0, stddev, self.seed_generator, inputs.dtype, inputs.device)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update(rate=self.rate, seed=self.seed)
        return config


class AlphaDropout(Layer):
    """Training only: dropout that keeps SELU's self-normalizing mean and variance. Dropped
    units are set to SELU's negative saturation, then an affine map restores the moments."""

    _keras_training_default = False  # Keras's `call(..., training=False)`, written into its files

    _ALPHA = 1.6732632423543772848170429916717
    _SCALE = 1.0507009873554804934193349852946

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.rate = _check_rate(self, rate)
        self.noise_shape = None if noise_shape is None else tuple(noise_shape)
        self.seed = seed
        self.seed_generator = rng.SeedGenerator(seed) if self.rate > 0 else None
        self.supports_masking = True

    def call(self, inputs, training=None):
        if not _is_training(self, training) or self.rate == 0:
            return inputs
        shape = inputs.shape if self.noise_shape is None else [
            inputs.shape[i] if d is None else d for i, d in enumerate(self.noise_shape)]
        alpha_p = -self._ALPHA * self._SCALE
        kept = (rng.uniform(shape, self.seed_generator, device=inputs.device) >= self.rate).to(inputs.dtype)
        a = ((1 - self.rate) * (1 + self.rate * alpha_p ** 2)) ** -0.5
        b = -a * alpha_p * self.rate
        return a * (inputs * kept + alpha_p * (1 - kept)) + b

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update(rate=self.rate, seed=self.seed,
                      noise_shape=None if self.noise_shape is None else list(self.noise_shape))
        return config


class ActivityRegularization(Layer):
    """Identity that adds `l1 * sum|x| + l2 * sum x²` (divided by the batch size, as Keras 3
    does for activity penalties) to the layer's losses."""

    def __init__(self, l1=0.0, l2=0.0, **kwargs):
        kwargs.pop("activity_regularizer", None)
        super().__init__(activity_regularizer=regularizers.L1L2(l1=l1, l2=l2), **kwargs)
        self.l1 = l1
        self.l2 = l2
        self.supports_masking = True

    def call(self, inputs):
        return inputs

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.pop("activity_regularizer", None)
        config.update(l1=self.l1, l2=self.l2)
        return config
