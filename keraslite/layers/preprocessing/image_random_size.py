"""tf.keras 2's RandomHeight and RandomWidth (`layers.experimental.preprocessing` in TF 2.3-2.5,
`layers` after), which Keras 3 dropped: in training, resize a batch of images along one axis by
a random factor drawn once per batch; in inference, return the inputs unchanged.

    RandomHeight(0.2)          # height * U[0.8, 1.2), width kept
    RandomWidth((-0.1, 0.3))   # width * U[0.9, 1.3)

As in tf.keras 2, the output's resized axis is unknown (None) in a functional graph, and the
output is the layer's compute dtype. The resampling is keraslite's `resize_images` (Keras 3's
ops.image.resize math), so pixels may differ slightly from TensorFlow's tf.image.resize.
Channels-last images only, as in tf.keras 2.
"""
import torch

from keraslite.layers.preprocessing.image import _RandomImageLayer, resize_images
from keraslite.utils import rng

__all__ = ["RandomHeight", "RandomWidth"]


class _RandomSize(_RandomImageLayer):
    _axis_name = ""  # "height" or "width"
    _draws_seed = False

    def __init__(self, factor, interpolation="bilinear", seed=None, **kwargs):
        kwargs.pop("data_format", None)
        super().__init__(seed=seed, data_format="channels_last", **kwargs)
        self.factor = factor
        if isinstance(factor, (tuple, list)):
            self.lower, self.upper = float(factor[0]), float(factor[1])
        else:
            self.lower, self.upper = -float(factor), float(factor)
        if self.upper < self.lower:
            raise ValueError("`factor` argument cannot have an upper bound lesser than the lower bound. "
                             f"Received: factor={factor}")
        if self.lower < -1.0 or self.upper < -1.0:
            raise ValueError(f"`factor` argument must have values larger than -1. Received: factor={factor}")
        self.interpolation = interpolation
        self._trace_calls = 0

    def _axis(self):
        return self.height_axis if self._axis_name == "height" else self.width_axis

    def _scale(self):
        """The batch's size factor in [1 + lower, 1 + upper). While a functional model traces
        the layer to learn its output shape, the two traces get the two bounds, so the resized
        axis comes out unknown (None) exactly when its size can vary."""
        if rng.is_tracing():
            self._trace_calls += 1
            return 1.0 + (self.lower if self._trace_calls % 2 else self.upper)
        return float(self._uniform((), 1.0 + self.lower, 1.0 + self.upper, "cpu"))

    def call(self, inputs, training=None):
        if not isinstance(inputs, torch.Tensor):
            inputs = torch.as_tensor(inputs)
        self._check_rank(inputs)
        if not self._is_training(training):
            return inputs
        size = list(self._image_hw(inputs))
        index = 0 if self._axis_name == "height" else 1
        size[index] = int(self._scale() * size[index])
        if size[index] < 1:
            raise ValueError(f"{type(self).__name__} '{self.name}': factor={self.factor} resized a {self._axis_name} of "
                             f"{self._image_hw(inputs)[index]} to {size[index]} pixels; use a factor above -1 that "
                             "keeps at least one pixel.")
        images = self._to_compute(inputs)
        return resize_images(images, tuple(size), interpolation=self.interpolation,
                             data_format=self.data_format).to(self._variable_dtype)

    def compute_output_shape(self, input_shape):
        shape = list(input_shape)
        shape[self._axis()] = None
        return tuple(shape)

    def get_config(self):
        config = super().get_config()
        config.pop("data_format", None)
        config.update(factor=self.factor, interpolation=self.interpolation, seed=self.seed)
        return config


class RandomHeight(_RandomSize):
    """Randomly varies the height of a batch of images during training (tf.keras 2)."""

    _axis_name = "height"


class RandomWidth(_RandomSize):
    """Randomly varies the width of a batch of images during training (tf.keras 2)."""

    _axis_name = "width"
