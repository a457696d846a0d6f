"""Activation layers: ReLU, LeakyReLU, PReLU, ELU, Softmax, and Keras 1/2's ThresholdedReLU.

The functions themselves live in keraslite.activations; these layers add Keras's layer
arguments (max_value, negative_slope, a learned PReLU slope, a masked softmax).
"""
import warnings

import torch
import torch.nn.functional as F

from keraslite import activations, constraints, initializers, regularizers
from keraslite.layers.layer import Layer

__all__ = ["ReLU", "LeakyReLU", "PReLU", "ELU", "ThresholdedReLU", "Softmax"]


class ReLU(Layer):
    def __init__(self, max_value=None, negative_slope=0.0, threshold=0.0, **kwargs):
        super().__init__(**kwargs)
        for arg, value in (("max_value", max_value), ("negative_slope", negative_slope), ("threshold", threshold)):
            if (value is None and arg != "max_value") or (value is not None and value < 0):
                raise ValueError(f"ReLU '{self.name}': {arg} must be a non-negative number; received {arg}={value}.")
        self.max_value = max_value
        self.negative_slope = negative_slope
        self.threshold = threshold
        self.supports_masking = True

    def call(self, inputs):
        return activations.relu(inputs, negative_slope=self.negative_slope, max_value=self.max_value,
                                threshold=self.threshold)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update(max_value=self.max_value, negative_slope=self.negative_slope, threshold=self.threshold)
        return config


class LeakyReLU(Layer):
    def __init__(self, negative_slope=0.3, **kwargs):
        if "alpha" in kwargs:  # Keras 2 spelling
            negative_slope = kwargs.pop("alpha")
        super().__init__(**kwargs)
        if negative_slope is None or negative_slope < 0:
            raise ValueError(f"LeakyReLU '{self.name}': negative_slope must be a non-negative number; received "
                             f"negative_slope={negative_slope}.")
        self.negative_slope = float(negative_slope)
        self.supports_masking = True

    def call(self, inputs):
        return F.leaky_relu(inputs, self.negative_slope)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config["negative_slope"] = self.negative_slope
        return config


class PReLU(Layer):
    """`max(x, 0) + alpha * min(x, 0)` with a learned `alpha` of shape input_shape[1:]
    (size 1 along `shared_axes`)."""

    def __init__(self, alpha_initializer="zeros", alpha_regularizer=None, alpha_constraint=None, shared_axes=None,
                 **kwargs):
        super().__init__(**kwargs)
        self.alpha_initializer = initializers.get(alpha_initializer)
        self.alpha_regularizer = regularizers.get(alpha_regularizer)
        self.alpha_constraint = constraints.get(alpha_constraint)
        if shared_axes is None:
            self.shared_axes = None
        elif isinstance(shared_axes, (list, tuple)):
            self.shared_axes = list(shared_axes)
        else:
            self.shared_axes = [shared_axes]
        self.supports_masking = True

    def build(self, input_shape):
        shape = list(input_shape[1:])
        for axis in self.shared_axes or []:
            shape[axis - 1] = 1
        if any(d is None for d in shape):
            raise ValueError(f"PReLU '{self.name}': every non-shared input dimension must be known; received input "
                             f"shape {tuple(input_shape)}. Pass shared_axes for the unknown ones.")
        self.alpha = self.add_weight("alpha", tuple(shape), self.alpha_initializer,
                                     regularizer=self.alpha_regularizer, constraint=self.alpha_constraint)

    def call(self, inputs):
        return torch.relu(inputs) - self.alpha * torch.relu(-inputs)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update(alpha_initializer=initializers.serialize(self.alpha_initializer),
                      alpha_regularizer=regularizers.serialize(self.alpha_regularizer),
                      alpha_constraint=constraints.serialize(self.alpha_constraint),
                      shared_axes=self.shared_axes)
        return config


class ELU(Layer):
    def __init__(self, alpha=1.0, **kwargs):
        super().__init__(**kwargs)
        self.alpha = alpha
        self.supports_masking = True

    def call(self, inputs):
        return F.elu(inputs, self.alpha)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config["alpha"] = self.alpha
        return config


class ThresholdedReLU(Layer):
    """Keras 1/2 (removed in Keras 3): f(x) = x where x > theta, else 0."""

    def __init__(self, theta=1.0, **kwargs):
        super().__init__(**kwargs)
        if theta is None or theta < 0:
            raise ValueError(f"ThresholdedReLU '{self.name}': theta must be a non-negative number; received "
                             f"theta={theta}.")
        self.theta = float(theta)
        self.supports_masking = True

    def call(self, inputs):
        return inputs * (inputs > self.theta).to(inputs.dtype)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config["theta"] = self.theta
        return config


class Softmax(Layer):
    """Softmax over `axis`; masked positions (mask False) get probability 0, as in Keras (a
    fully masked row is all zeros)."""

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = axis
        self.supports_masking = True

    def call(self, inputs, mask=None):
        if mask is not None:
            mask = mask if mask.dtype == torch.bool else mask > 0.5
            while mask.ndim < inputs.ndim:
                mask = mask.unsqueeze(-1)
            inputs = torch.where(mask, inputs, torch.full_like(inputs, _large_negative(inputs.dtype)))
        if isinstance(self.axis, (list, tuple)):
            if len(self.axis) > 1:
                outputs = torch.exp(inputs - torch.logsumexp(inputs, dim=tuple(self.axis), keepdim=True))
            else:
                outputs = activations.softmax(inputs, axis=self.axis[0])
        else:
            outputs = activations.softmax(inputs, axis=self.axis)
        if mask is not None:
            # Keras 3 zeroes masked positions afterwards: a fully masked row is all zeros, not uniform.
            outputs = torch.where(mask, outputs, torch.zeros((), dtype=outputs.dtype, device=outputs.device))
        return outputs

    def compute_output_shape(self, input_shape):
        return input_shape

    def compute_mask(self, inputs, mask=None):
        return mask

    def _mask_from_nothing(self):
        return False

    def get_config(self):
        config = super().get_config()
        config["axis"] = self.axis
        return config


def _large_negative(dtype):
    return -3e4 if dtype in (torch.float16, torch.bfloat16) else -1e9
