"""Core layers: Dense, Activation, Dropout, Identity.

The reshaping family (Flatten, Reshape, Permute, RepeatVector, ...) lives in reshaping.py,
Lambda/Masking and other utility layers in misc.py.
"""
import torch

from keraslite import activations, constraints, initializers, quantizers, regularizers
from keraslite.layers.layer import Layer
from keraslite.utils import rng

__all__ = ["Dense", "Activation", "Dropout", "Identity"]


class Dense(Layer):
    """`activation(inputs @ kernel + bias)` on the last axis.

    kernel is stored in Keras layout (in, out): `torch.addmm`/`matmul` read it without a
    transpose, exactly as fast as nn.Linear's (out, in) weight.

    After `quantize("int8")` (or when built under an 'int8_from_*' policy) the kernel is int8
    with a per-unit `kernel_scale`, and calls take Keras's int8 path (keraslite.quantizers).
    """

    _int8 = False  # the int8 call path

    def __init__(self, units, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self.units = int(units)
        if self.units <= 0:
            raise ValueError(f"Dense '{self.name}': units must be a positive integer; received units={units}.")
        self.activation = activations.get(activation)
        self.use_bias = use_bias
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.supports_masking = True

    def _keras_saved_variables(self):
        # Keras's Dense saves exactly its kernel and bias, whatever else it tracks.
        if not self.built:
            return []
        return self._keras_variable_order() or [self.kernel] + ([self.bias] if self.bias is not None else [])

    def _keras_variable_order(self):
        """The order Keras stores an int8 Dense's variables in (None when not quantized)."""
        if not self._int8:
            return None
        return [self.kernel] + ([self.bias] if self.bias is not None else []) + [self.kernel_scale]

    def build(self, input_shape):
        if len(input_shape) < 2:
            raise ValueError(f"Input 0 of layer '{self.name}' is incompatible with the layer: expected min_ndim=2, "
                             f"found ndim={len(input_shape)}. Full shape received: {tuple(input_shape)}. Dense takes "
                             "(batch, features): give one value per sample as a column, x.reshape(-1, 1).")
        in_features = input_shape[-1]
        if in_features is None:
            raise ValueError(f"Dense '{self.name}': the last dimension of the input must be known; "
                             f"received input shape {input_shape}.")
        self.bias = None
        if self.quantization_mode == "int8":  # a quantized layer being loaded: Keras's variable order
            if self.use_bias:
                self.bias = self.add_weight("bias", (self.units,), self.bias_initializer,
                                            regularizer=self.bias_regularizer, constraint=self.bias_constraint)
            self.kernel = self.add_weight("kernel", (in_features, self.units), "zeros", dtype="int8", trainable=False)
            self.kernel_scale = self.add_weight("kernel_scale", (self.units,), "ones", trainable=False)
            self._int8 = True
            return
        self.kernel = self.add_weight("kernel", (in_features, self.units), self.kernel_initializer,
                                      regularizer=self.kernel_regularizer, constraint=self.kernel_constraint)
        if self.use_bias:
            self.bias = self.add_weight("bias", (self.units,), self.bias_initializer,
                                        regularizer=self.bias_regularizer, constraint=self.bias_constraint)

    def call(self, inputs):
        kernel, bias = self.kernel, self.bias  # (in, units), (units,)
        if inputs.shape[-1] != kernel.shape[0]:
            raise ValueError(f"Input 0 of layer '{self.name}' is incompatible with the layer: expected axis -1 "
                             f"of input shape to have value {kernel.shape[0]}, but received input with "
                             f"shape {tuple(inputs.shape)}.")
        if self._int8:
            return self._int8_call(inputs)
        if inputs.dtype != kernel.dtype:
            inputs = inputs.to(kernel.dtype)
        if inputs.ndim == 2 and bias is not None:
            x = torch.addmm(bias, inputs, kernel)  # (batch, units)
        else:
            x = torch.matmul(inputs, kernel)
            if bias is not None:
                x = x + bias
        # A model's classifier is often made linear afterwards (`layer.activation = None`, as
        # Grad-CAM does): Keras then skips the activation.
        return x if self.activation is None else activations.apply_to_own(self.activation, x)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.units,)

    def _int8_call(self, inputs):
        if inputs.dtype != self.kernel_scale.dtype:
            inputs = inputs.to(self.kernel_scale.dtype)
        x = quantizers.int8_matmul(inputs, self.kernel, self.kernel_scale)
        if self.bias is not None:
            x = x + self.bias
        return x if self.activation is None else self.activation(x)

    def quantize(self, mode=None, type_check=True, config=None):
        """Keras's `quantize("int8")`: the kernel becomes int8, scaled per unit."""
        quantizers.check_quantize(self, mode, config)
        if type_check and type(self) is not Dense:
            raise quantizers.not_implemented(self)
        values, scale = quantizers.abs_max_quantize(self.kernel.detach(), 0)
        self.kernel, self.kernel_scale = quantizers.swap_in_int8(self, "kernel", values, "kernel_scale",
                                                                 scale.squeeze(0))
        self._int8 = True

    def get_config(self):
        config = super().get_config()
        config.update(
            units=self.units,
            activation=activations.serialize(self.activation),
            use_bias=self.use_bias,
            kernel_initializer=initializers.serialize(self.kernel_initializer),
            bias_initializer=initializers.serialize(self.bias_initializer),
            kernel_regularizer=regularizers.serialize(self.kernel_regularizer),
            bias_regularizer=regularizers.serialize(self.bias_regularizer),
            kernel_constraint=constraints.serialize(self.kernel_constraint),
            bias_constraint=constraints.serialize(self.bias_constraint),
        )
        if self._int8:
            config["quantization_config"] = quantizers.INT8_CONFIG
        return config


class Activation(Layer):
    def __init__(self, activation, **kwargs):
        super().__init__(**kwargs)
        self.activation = activations.get(activation)
        self.supports_masking = True

    def call(self, inputs):
        return self.activation(inputs)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config["activation"] = activations.serialize(self.activation)
        return config


class Dropout(Layer):
    """Inverted dropout, active only in training (fit, or `training=True`)."""

    _keras_training_default = False  # Keras's `call(..., training=False)`, written into its files

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        if not 0 <= rate <= 1:
            raise ValueError(f"Dropout '{self.name}': rate must be in [0, 1]; received rate={rate}.")
        self.rate = float(rate)
        self.noise_shape = None if noise_shape is None else tuple(noise_shape)
        self.seed = seed
        # As in Keras: the seed is drawn (from Python's random when None) when the layer is made.
        self.seed_generator = rng.SeedGenerator(seed) if self.rate > 0 else None
        self.supports_masking = True

    def call(self, inputs, training=None):
        training = self.training if training is None else bool(training)
        if not training or self.rate == 0:
            return inputs
        return rng.dropout(inputs, self.rate, self.seed_generator, self.noise_shape)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update(rate=self.rate, noise_shape=None if self.noise_shape is None else list(self.noise_shape),
                      seed=self.seed)
        return config


class Identity(Layer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True

    def call(self, inputs):
        return inputs

    def compute_output_shape(self, input_shape):
        return input_shape
