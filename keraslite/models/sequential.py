"""Sequential: a plain stack of layers, each feeding the next.

Owns the stack (`add`, `pop`, constructor list), building it from the first layer's input
shape (or an InputLayer, or `build(input_shape)`), and a forward pass that is just a loop.
"""
import weakref

from torch import nn

from keraslite import backend
from keraslite.layers.input_layer import InputLayer
from keraslite.layers.keras_tensor import KerasTensor
from keraslite.layers.layer import Layer
from keraslite.models.model import Model

__all__ = ["Sequential"]


class Sequential(Model):
    def __init__(self, layers=None, name=None, trainable=True, **kwargs):
        super().__init__(name=name or backend.get_uid("sequential"), trainable=trainable, **kwargs)
        self._stack = nn.ModuleList()
        self._input_layer = None
        for layer in layers or []:
            self.add(layer)

    @property
    def layers(self):
        return list(self._stack)

    def add(self, layer, rebuild=True):
        if isinstance(layer, KerasTensor):  # Sequential([Input(shape), ...])
            layer = layer._keras_history[0]
        if not isinstance(layer, nn.Module):
            raise TypeError(f"Sequential.add expects a Layer instance; received {layer!r} of type "
                            f"{type(layer).__name__}.")
        if isinstance(layer, InputLayer):
            if self._stack or self._input_layer is not None:
                raise ValueError(f"Sequential '{self.name}': an InputLayer can only be the first layer.")
            self._input_layer = layer
            self._batch_input_shape = layer.batch_shape
            return
        if any(l is layer for l in self._stack):
            raise ValueError(f"Sequential '{self.name}': layer '{layer.name}' was already added.")
        names = {l.name for l in self._stack}
        if getattr(layer, "name", None) in names:
            raise ValueError(f"All layers added to a Sequential model should have unique names. Name "
                             f"'{layer.name}' is already the name of a layer in this model. Update the `name` "
                             "argument to pass a unique name.")
        if not self._stack and self._input_layer is None and getattr(layer, "_batch_input_shape", None) is not None:
            self._batch_input_shape = layer._batch_input_shape
        self._stack.append(layer)
        # `model.layers[i].output` before `model.input` (Keras 2's "output of every layer"
        # recipe) asks the layer; it builds the model's symbolic graph through this link.
        layer.__dict__["_sequential_parent"] = weakref.ref(self)
        self.built = False
        if rebuild and self._batch_input_shape is not None:
            self.build(self._batch_input_shape)

    def pop(self, rebuild=True):
        if not self._stack:
            raise TypeError("There are no layers in the model.")
        layer = self._stack[-1]
        del self._stack[-1]
        self.built = False
        if rebuild and self._stack and self._batch_input_shape is not None:
            self.build(self._batch_input_shape)
        return layer

    def build(self, input_shape=None):
        """Build every layer in turn from `input_shape` (batch dim included)."""
        if input_shape is None:
            input_shape = self._batch_input_shape
        if input_shape is None:
            raise ValueError(f"Sequential '{self.name}' cannot be built without an input shape. Give the first "
                             "layer `input_shape=...`, start with `keras.Input(shape)`, or call build(shape).")
        shape = tuple(input_shape)
        if self._batch_input_shape is None:
            self._batch_input_shape = shape
        for layer in self._stack:
            if not layer.built:
                layer._maybe_build(shape)
            shape = layer.compute_output_shape(shape)
        self._build_input_shape = tuple(input_shape)
        self.built = True

    def _maybe_build(self, input_shape):
        if not self.built:
            self.build(input_shape)

    def call(self, inputs, training=None, mask=None):
        x = inputs
        for layer in self._stack:
            if layer._call_accepts_training:
                x = layer(x, training=training)
            else:
                x = layer(x)
        return x

    # Keras 1/2 Sequential conveniences (removed in Keras 2.6, still in many tutorials).
    def predict_classes(self, x, batch_size=32, verbose=0):
        """Class indices: argmax over the last axis, or `proba > 0.5` for a single output unit."""
        proba = self.predict(x, batch_size=batch_size, verbose=verbose)
        if proba.shape[-1] > 1:
            return proba.argmax(axis=-1)
        return (proba > 0.5).astype("int32")

    def predict_proba(self, x, batch_size=32, verbose=0):
        return self.predict(x, batch_size=batch_size, verbose=verbose)

    def compute_output_shape(self, input_shape):
        shape = tuple(input_shape)
        for layer in self._stack:
            shape = layer.compute_output_shape(shape)
        return shape

    @property
    def input_shape(self):
        if self._batch_input_shape is None:
            raise AttributeError(f"Sequential '{self.name}' has no defined input shape yet.")
        return tuple(self._batch_input_shape)

    @property
    def output_shape(self):
        return self.compute_output_shape(self.input_shape)

    @property
    def inputs(self):
        from keraslite.models.functional import sequential_inputs

        return sequential_inputs(self)

    @property
    def outputs(self):
        from keraslite.models.functional import sequential_outputs

        return sequential_outputs(self)

    def get_config(self):
        from keraslite.saving.serialization import serialize_layer

        layers = []
        multi_input = self._batch_input_shape is not None and any(
            isinstance(d, (list, tuple)) for d in self._batch_input_shape)  # Keras 1 Merge branches
        if self._batch_input_shape is not None and not multi_input:
            inp = self._input_layer or InputLayer(batch_shape=self._batch_input_shape, name=f"{self.name}_input")
            layers.append(serialize_layer(inp))
        layers.extend(serialize_layer(layer) for layer in self._stack)
        config = {"name": self.name, "trainable": self.trainable, "dtype": self.dtype, "layers": layers}
        if self._build_input_shape is not None:
            config["build_input_shape"] = ([list(d) for d in self._build_input_shape] if multi_input
                                           else list(self._build_input_shape))
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        from keraslite.saving.serialization import deserialize_layer

        config = dict(config)
        layer_configs = config.pop("layers")
        build_shape = config.pop("build_input_shape", None)
        model = cls(name=config.get("name"), trainable=config.get("trainable", True))
        for layer_config in layer_configs:
            model.add(deserialize_layer(layer_config, custom_objects=custom_objects), rebuild=False)
        shape = model._batch_input_shape or (tuple(build_shape) if build_shape else None)
        if shape is not None:
            model.build(shape)
        return model
