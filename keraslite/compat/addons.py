"""Layers of two Keras 2-era add-on packages that published programs import: `keras_contrib`
(standalone Keras 2) and `tensorflow_addons` (tf.keras), served under those names by the
aliases. Only what keraslite provides is there: InstanceNormalization, each with its own
package's arithmetic.

- tensorflow_addons' is a GroupNormalization with one group per channel:
  (x - mean) / sqrt(var + epsilon), then gamma and beta per channel.
- keras_contrib's divides by the standard deviation plus epsilon, (x - mean) / (std + epsilon),
  and with axis=None (its default) normalizes each sample over all its axes, with one gamma
  and one beta.
"""
import types

import torch

from keraslite.layers.normalization import GroupNormalization

__all__ = ["InstanceNormalization", "ContribInstanceNormalization", "keras_contrib", "tensorflow_addons"]


class InstanceNormalization(GroupNormalization):
    """tensorflow_addons.layers.InstanceNormalization: GroupNormalization(groups=-1)."""

    def __init__(self, **kwargs):
        kwargs["groups"] = -1  # as tensorflow_addons: whatever `groups` was given
        super().__init__(**kwargs)


class ContribInstanceNormalization(GroupNormalization):
    """keras_contrib.layers.InstanceNormalization(axis=None, epsilon=1e-3, ...)."""

    def __init__(self, axis=None, epsilon=1e-3, center=True, scale=True, beta_initializer="zeros",
                 gamma_initializer="ones", beta_regularizer=None, gamma_regularizer=None, beta_constraint=None,
                 gamma_constraint=None, **kwargs):
        kwargs.pop("groups", None)
        super().__init__(groups=-1, axis=-1 if axis is None else axis, epsilon=epsilon, center=center, scale=scale,
                         beta_initializer=beta_initializer, gamma_initializer=gamma_initializer,
                         beta_regularizer=beta_regularizer, gamma_regularizer=gamma_regularizer,
                         beta_constraint=beta_constraint, gamma_constraint=gamma_constraint, **kwargs)
        self.axis = axis

    def build(self, input_shape):
        if self.axis is None:
            self._axis = None
            self._make_gamma_beta((1,), self.scale, self.center)
        else:
            self._axis = self.axis % len(input_shape)
            self._make_gamma_beta((input_shape[self._axis],), self.scale, self.center)

    def call(self, inputs):
        ref = self.gamma if self.gamma is not None else self.beta
        x = inputs.to(ref.dtype) if ref is not None else inputs
        axes = [a for a in range(1, x.dim()) if a != self._axis]
        mean = x.mean(axes, keepdim=True)
        std = x.std(axes, keepdim=True, correction=0)
        out = (x - mean) / (std + self.epsilon)
        shape = [1] * x.dim()
        if self._axis is not None:
            shape[self._axis] = x.shape[self._axis]
        if self.gamma is not None:
            out = out * self.gamma.reshape(shape)
        if self.beta is not None:
            out = out + self.beta.reshape(shape)
        return out

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.pop("groups")
        config["axis"] = self.axis
        return config


# Files name the layer as keras_contrib did ("InstanceNormalization"), which is how programs
# pass it back in custom_objects.
ContribInstanceNormalization.__name__ = ContribInstanceNormalization.__qualname__ = "InstanceNormalization"

# The packages' namespaces, as the aliases serve them ("module:attribute" targets).
_contrib_layers = types.SimpleNamespace(InstanceNormalization=ContribInstanceNormalization)
keras_contrib = types.SimpleNamespace(layers=_contrib_layers)
_addons_layers = types.SimpleNamespace(InstanceNormalization=InstanceNormalization)
tensorflow_addons = types.SimpleNamespace(layers=_addons_layers)
