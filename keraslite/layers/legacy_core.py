"""Keras 1's dense variants that Keras 2 removed: MaxoutDense and Highway.

    model.add(MaxoutDense(64, nb_feature=4, input_dim=20))   # max over 4 linear pieces
    model.add(Highway(activation='relu'))                     # y = T * act(xW + b) + (1 - T) * x

Owns their weights (Keras 1 order: the kernels, then the biases) and math. Keras 1 argument
names (output_dim=, init=, W_regularizer=, bias=) reach them through
keraslite.compat.legacy_args, as for every layer.
"""
import torch

from keraslite import activations, constraints, initializers, regularizers
from keraslite.layers.layer import Layer

__all__ = ["MaxoutDense", "Highway"]


def _in_features(layer, input_shape):
    if len(input_shape) != 2 or input_shape[-1] is None:
        raise ValueError(f"{type(layer).__name__} '{layer.name}' expects 2-D inputs (batch, features) with known "
                         f"features; received input shape {tuple(input_shape)}.")
    return input_shape[-1]


class MaxoutDense(Layer):
    """`max_k(inputs @ kernel[k] + bias[k])`: kernel (nb_feature, in, units), bias (nb_feature, units)."""

    def __init__(self, units, nb_feature=4, kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None, kernel_constraint=None,
                 bias_constraint=None, use_bias=True, **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self.units, self.nb_feature, self.use_bias = int(units), int(nb_feature), bool(use_bias)
        if self.units <= 0 or self.nb_feature <= 0:
            raise ValueError(f"MaxoutDense '{self.name}': units and nb_feature must be positive integers; received "
                             f"units={units}, nb_feature={nb_feature}.")
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)

    def build(self, input_shape):
        in_features = _in_features(self, input_shape)
        self.kernel = self.add_weight("kernel", (self.nb_feature, in_features, self.units), self.kernel_initializer,
                                      regularizer=self.kernel_regularizer, constraint=self.kernel_constraint)
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight("bias", (self.nb_feature, self.units), self.bias_initializer,
                                        regularizer=self.bias_regularizer, constraint=self.bias_constraint)

    def call(self, inputs):
        pieces = torch.einsum("bi,kio->bko", inputs, self.kernel)  # (batch, nb_feature, units)
        if self.bias is not None:
            pieces = pieces + self.bias
        return pieces.amax(dim=1)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.units)

    def get_config(self):
        config = super().get_config()
        config.update(units=self.units, nb_feature=self.nb_feature, use_bias=self.use_bias,
                      kernel_initializer=initializers.serialize(self.kernel_initializer),
                      bias_initializer=initializers.serialize(self.bias_initializer),
                      kernel_regularizer=regularizers.serialize(self.kernel_regularizer),
                      bias_regularizer=regularizers.serialize(self.bias_regularizer),
                      kernel_constraint=constraints.serialize(self.kernel_constraint),
                      bias_constraint=constraints.serialize(self.bias_constraint))
        return config


class Highway(Layer):
    """`T * activation(x @ kernel + bias) + (1 - T) * x`, `T = sigmoid(x @ carry_kernel + carry_bias)`;
    the carry bias starts at `transform_bias` (Keras 1: -2), so the layer first mostly carries."""

    def __init__(self, activation="linear", transform_bias=-2, kernel_initializer="glorot_uniform",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None, kernel_constraint=None,
                 bias_constraint=None, use_bias=True, **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self.activation = activations.get(activation)
        self.transform_bias = float(transform_bias)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.supports_masking = True

    def build(self, input_shape):
        n = _in_features(self, input_shape)
        self.kernel = self.add_weight("kernel", (n, n), self.kernel_initializer,
                                      regularizer=self.kernel_regularizer, constraint=self.kernel_constraint)
        self.carry_kernel = self.add_weight("carry_kernel", (n, n), self.kernel_initializer)
        self.bias = self.carry_bias = None
        if self.use_bias:
            self.bias = self.add_weight("bias", (n,), "zeros", regularizer=self.bias_regularizer,
                                        constraint=self.bias_constraint)
            self.carry_bias = self.add_weight("carry_bias", (n,), initializers.Constant(self.transform_bias))

    def call(self, inputs):
        gate = inputs @ self.carry_kernel  # (batch, n)
        transformed = inputs @ self.kernel
        if self.use_bias:
            gate, transformed = gate + self.carry_bias, transformed + self.bias
        gate = torch.sigmoid(gate)
        return self.activation(transformed) * gate + (1 - gate) * inputs

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update(activation=activations.serialize(self.activation), transform_bias=self.transform_bias,
                      use_bias=self.use_bias, kernel_initializer=initializers.serialize(self.kernel_initializer),
                      kernel_regularizer=regularizers.serialize(self.kernel_regularizer),
                      bias_regularizer=regularizers.serialize(self.bias_regularizer),
                      kernel_constraint=constraints.serialize(self.kernel_constraint),
                      bias_constraint=constraints.serialize(self.bias_constraint))
        return config
