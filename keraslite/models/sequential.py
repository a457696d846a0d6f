"""Sequential: a plain stack of layers, each feeding the next.

Owns the stack (`add`, `pop`, constructor list), building it from the first layer's input
shape (or an InputLayer, or `build(input_shape)`), and a forward pass that is just a loop.
"""
import weakref

import numpy as np
import torch
from torch import nn

from keraslite import backend
from keraslite.layers.input_layer import InputLayer
from keraslite.layers.keras_tensor import KerasTensor
from keraslite.layers.layer import Layer
from keraslite.models.model import Model, _GraphLayerList

__all__ = ["Sequential"]


class _ContainerRef:
    """A weak reference from a layer to the Sequential holding it, so that `layer.input` /
    `layer.output` can build the model's symbolic graph on first use (Keras builds it on
    `add`). Pickles as a dead reference (Sequential.__setstate__ attaches anew)."""

    def __init__(self, model=None):
        self._ref = None if model is None else weakref.ref(model)

    def __call__(self):
        return None if self._ref is None else self._ref()

    def __reduce__(self):
        return (_ContainerRef, ())

    def __deepcopy__(self, memo):  # a copied model's layers point at the copy, a lone layer at nothing
        model = self()
        return _ContainerRef(None if model is None else memo.get(id(model)))


def _attach(layer, model):
    ref = layer.__dict__.get("_sequential_ref")
    if ref is None or ref() is None:
        layer.__dict__["_sequential_ref"] = _ContainerRef(model)


class Sequential(Model):
    def __init__(self, layers=None, name=None, trainable=True, **kwargs):
        super().__init__(name=name or backend.get_uid("sequential"), trainable=trainable, **kwargs)
        self._stack = nn.ModuleList()
        self._input_layer = None
        self._input_name = None  # the default name Keras's implicit InputLayer took, once it has one
        for layer in layers or []:
            self.add(layer, rebuild=False)
        self._maybe_rebuild()

    @property
    def layers(self):
        popped = self.__dict__.get("_popped_layers", ())
        return _GraphLayerList(self, [layer for layer in self._stack if layer not in popped])

    def __setstate__(self, state):  # pickle / deepcopy: the layers' references point here again
        super().__setstate__(state)
        for layer in self._stack:
            _attach(layer, self)

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
        # The same layer object may come again (Hands-On ML's `[block1] * 3`: one layer applied
        # several times, its weights shared), as Keras allows; another layer of the same name may not.
        names = {l.name for l in self._stack if l is not layer}
        if getattr(layer, "name", None) in names:
            raise ValueError(f"All layers added to a Sequential model should have unique names. Name "
                             f"'{layer.name}' is already the name of a layer in this model. Update the `name` "
                             "argument to pass a unique name.")
        first_shape = getattr(layer, "_batch_input_shape", None)
        if first_shape is None and getattr(layer, "_graph", None) is not None and len(layer.inputs) == 1:
            first_shape = tuple(layer.inputs[0].shape)  # a functional model (a pretrained base) knows its input
        if not self._stack and self._input_layer is None and first_shape is not None:
            self._batch_input_shape = first_shape
            if self._input_name is None:  # Keras puts an InputLayer for `input_shape=` in front
                self._input_name = backend.get_uid("input_layer")
        self._stack.append(layer)
        _attach(layer, self)
        self.built = False
        if rebuild:
            self._maybe_rebuild()

    def _maybe_rebuild(self):
        """Keras rebuilds a Sequential whose input shape is known each time its stack changes."""
        if self._stack and self._batch_input_shape is not None:
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
        if self._input_layer is None and self._input_name is None:
            self._input_name = backend.get_uid("input_layer")  # Keras inserts InputLayer(batch_shape)
        for layer in self._stack:
            if not layer.built:
                layer._maybe_build(shape)
            shape = layer.compute_output_shape(shape)
        self._build_input_shape = tuple(input_shape)
        self.built = True
        # Keras runs the built stack as a Functional model, which takes the next default
        # "functional" name: models made afterwards are numbered as in Keras.
        backend.get_uid("functional")

    def _adjust_input_rank(self, x):
        """As Keras's functional models do: with a known input shape ending in 1, a tensor one
        rank short gets that axis (a 1-D column of values for `input_shape=[1]`); one rank
        too many, ending in 1, loses it."""
        ref = self._batch_input_shape
        ndim = getattr(x, "ndim", None)
        if ref is None or ndim is None or ndim == len(ref) or not isinstance(x, (torch.Tensor, np.ndarray)):
            return x
        if ndim == len(ref) - 1 and ref[-1] == 1:
            return x.reshape(tuple(x.shape) + (1,))
        if ndim == len(ref) + 1 and x.shape[-1] == 1:
            return x.reshape(tuple(x.shape[:-1]))
        return x

    def _maybe_build(self, input_shape):
        if not self.built:
            self.build(input_shape)

    def __call__(self, inputs=None, *args, **kwargs):
        if type(inputs) is dict and len(inputs) == 1 and not (
                self._stack and getattr(self._stack[0], "_takes_feature_dict", False)):
            # `{input_name: x}` (tf.keras estimator-style input functions): its one array, as
            # Keras unpacks it for a model of one input (DenseFeatures reads the dict itself).
            inputs = next(iter(inputs.values()))
        elif type(inputs) in (list, tuple) and len(inputs) == 1 and hasattr(inputs[0], "shape"):
            inputs = inputs[0]  # `model.predict([x])`: the one input in a list, as Keras takes it
        return super().__call__(inputs, *args, **kwargs)

    def call(self, inputs, training=None, mask=None):
        x = self._adjust_input_rank(inputs)
        for layer in self._stack:
            if layer._call_accepts_training:
                x = layer(x, training=training)
            else:
                x = layer(x)
        return x

    def _inference_runner(self, first_batch):
        """A function computing `self(x, training=False)` for later batches shaped like
        `first_batch` (which went through the full call, input checks included) by running
        the layers' `call`s directly (see layer.run_nested), or None when some layer needs
        Layer.__call__'s per-call work or the stack is not a plain one."""
        from keraslite.layers import layer as layer_mod

        ref = self._batch_input_shape
        if (type(self).call is not Sequential.call or type(first_batch) is not torch.Tensor
                or getattr(first_batch, "_keras_mask", None) is not None
                or (ref is not None and first_batch.ndim != len(ref))
                or not layer_mod.calls_directly(self, Sequential.__call__)  # adds only device moves / dict unwrap
                or not all(layer_mod.calls_directly(layer) for layer in self._stack)):
            return None
        steps = [(layer.call, layer._call_accepts_training) for layer in self._stack]
        shape = first_batch.shape[1:]

        def run(x):
            if layer_mod._CALLS.depth or type(x) is not torch.Tensor or x.shape[1:] != shape:
                return None  # inside another layer's call, or another shape: the caller makes the full call
            return layer_mod.run_nested(self, steps, x, False)

        return run

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
        by_name = {}
        for layer_config in layer_configs:
            name = (layer_config.get("config") or {}).get("name") if isinstance(layer_config, dict) else None
            if name is not None and name in by_name and layer_config == by_name[name][0]:
                model.add(by_name[name][1])  # one layer used several times: the same object again
                continue
            layer = deserialize_layer(layer_config, custom_objects=custom_objects)
            if name is not None:
                by_name[name] = (layer_config, layer)
            model.add(layer)
        if not model.built and (model._batch_input_shape or build_shape):
            model.build(model._batch_input_shape or tuple(build_shape))
        return model
