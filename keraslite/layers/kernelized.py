"""tf.keras 2's `RandomFourierFeatures` (`tf.keras.layers.experimental.RandomFourierFeatures`),
which Keras 3 dropped: a fixed random projection `cos(x @ (kernel / scale) + bias)` whose dot
products approximate a shift-invariant kernel, so a Dense layer on top acts as a kernel machine
(with a hinge loss, a quasi-SVM).

    RandomFourierFeatures(output_dim=4096, scale=10.0, kernel_initializer="gaussian")

Owns the layer's weights in tf.keras 2's order and names (`unscaled_kernel` (input_dim,
output_dim) and `bias` (output_dim,), both frozen; `kernel_scale` (1,), trainable only when the
layer is, kept non-negative) and its math.
"""
import math

import numpy as np
import torch

from keraslite import constraints, initializers
from keraslite.layers.layer import Layer

__all__ = ["RandomFourierFeatures"]

_KERNELS = ("gaussian", "laplacian")


def _features_initializer(initializer, shape):
    """'gaussian' samples N(0, 1) (the RBF kernel), 'laplacian' standard Cauchy (the Laplacian
    kernel); anything else is an ordinary Keras initializer."""
    if not isinstance(initializer, str):
        return initializers.get(initializer)
    if initializer.lower() == "gaussian":
        return initializers.RandomNormal(stddev=1.0)
    probs = np.random.uniform(low=0.0, high=1.0, size=shape)
    return initializers.Constant(np.tan(np.pi * (probs - 0.5)))


class RandomFourierFeatures(Layer):
    """Random Fourier features of 2-D inputs (batch, input_dim) -> (batch, output_dim).

    `scale` defaults to sqrt(input_dim / 2) for the 'gaussian' kernel and 1.0 otherwise; the
    layer is built non-trainable (`trainable=False`), as in tf.keras 2."""

    def __init__(self, output_dim, kernel_initializer="gaussian", scale=None, trainable=False, name=None, **kwargs):
        if output_dim <= 0:
            raise ValueError(f"`output_dim` should be a positive integer. Received: {output_dim}")
        if isinstance(kernel_initializer, str) and kernel_initializer.lower() not in _KERNELS:
            raise ValueError(f"Unsupported `kernel_initializer`: {kernel_initializer} Expected one of: "
                             f"{list(_KERNELS)}")
        if scale is not None and scale <= 0.0:
            raise ValueError(f"When provided, `scale` should be a positive float. Received: {scale}")
        super().__init__(trainable=trainable, name=name, **kwargs)
        self.output_dim = int(output_dim)
        self.kernel_initializer = kernel_initializer
        self.scale = scale

    def build(self, input_shape):
        if len(input_shape) != 2 or input_shape[-1] is None:
            raise ValueError(f"RandomFourierFeatures '{self.name}' expects 2-D inputs (batch, features) with known "
                             f"features; received input shape {tuple(input_shape)}.")
        input_dim = int(input_shape[-1])
        shape = (input_dim, self.output_dim)
        self.unscaled_kernel = self.add_weight("unscaled_kernel", shape,
                                               _features_initializer(self.kernel_initializer, shape),
                                               dtype="float32", trainable=False)
        self.bias = self.add_weight("bias", (self.output_dim,),
                                    initializers.RandomUniform(minval=0.0, maxval=2 * np.pi),
                                    dtype="float32", trainable=False)
        if self.scale is None:
            gaussian = isinstance(self.kernel_initializer, str) and self.kernel_initializer.lower() == "gaussian"
            self.scale = math.sqrt(input_dim / 2.0) if gaussian else 1.0
        self.kernel_scale = self.add_weight("kernel_scale", (1,), initializers.Constant(float(self.scale)),
                                            dtype="float32", trainable=True, constraint=constraints.NonNeg())

    def call(self, inputs):
        inputs = inputs.to(torch.float32)
        kernel = self.unscaled_kernel / self.kernel_scale  # (input_dim, output_dim)
        return torch.cos(inputs @ kernel + self.bias)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.output_dim,)

    def get_config(self):
        config = super().get_config()
        kernel_initializer = self.kernel_initializer
        if not isinstance(kernel_initializer, str):
            kernel_initializer = initializers.serialize(initializers.get(kernel_initializer))
        config.update(output_dim=self.output_dim, kernel_initializer=kernel_initializer, scale=self.scale)
        return config
