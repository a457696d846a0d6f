"""Model: a Layer that holds layers and can be compiled, trained, evaluated, saved.

Owns: layer tracking (`layers`, `get_layer`), `summary`, and the public training / saving
methods, each a thin call into the module that does the work:
  compile/fit/evaluate/predict/*_on_batch -> keraslite.training.loop
  train_step/test_step/predict_step       -> defaults here; the one override point
  save/save_weights/load_weights/to_json  -> keraslite.saving
`Model(inputs, outputs)` builds a functional graph (keraslite.models.functional);
subclasses write `call`.
"""
import warnings

import torch

from keraslite.backend import accelerator_present
from keraslite.layers.layer import Layer


class _GraphLayerList(list):
    """`model.layers` of a functional or Sequential model: a new list, whose `pop()` also leaves
    the layer out of later `model.layers` (Keras 2.0-2.2 handed out the model's own list, so
    tutorials cut a network with `model.layers.pop(); Model(model.inputs, model.layers[-1].output)`).
    The graph and its outputs are unchanged, as they were in Keras 2 (Sequential.pop() is what
    removes a Sequential's last layer)."""

    def __init__(self, model, layers):
        super().__init__(layers)
        self._model = model

    def pop(self, index=-1):
        layer = super().pop(index)
        self._model.__dict__.setdefault("_popped_layers", []).append(layer)
        return layer


class Model(Layer):
    _graph = None  # set by keraslite.models.functional.init_graph for Model(inputs, outputs)

    def __new__(cls, *args, **kwargs):
        if cls is Model and _graph_args(args, kwargs):
            from keraslite.models.functional import Functional

            return Functional.__new__(Functional)
        return super().__new__(cls, *args, **kwargs)

    def __init__(self, *args, **kwargs):
        if _graph_args(args, kwargs):
            # Model(inputs, outputs) or a subclass calling super().__init__(inputs, outputs).
            from keraslite.models.functional import init_graph

            init_graph(self, *args, **kwargs)
            return
        super().__init__(name=kwargs.pop("name", None), trainable=kwargs.pop("trainable", True),
                         dtype=kwargs.pop("dtype", None), **kwargs)
        self.compiled = False
        self.optimizer = None
        self.stop_training = False
        self.history = None

    def __call__(self, *args, **kwargs):
        # Inputs follow the weights (Keras puts both on its default device): a model trained
        # on a GPU takes CPU tensors from tf.data or numpy, and a model still on the CPU takes
        # tensors a script made on the GPU. With no accelerator everything is on the CPU.
        if args and accelerator_present() and isinstance(args[0], (torch.Tensor, list, tuple, dict)):
            param = next(self.parameters(), None)
            if param is not None:
                args = (_to_device(args[0], param.device),) + args[1:]
        if "_deferred_weights" not in self.__dict__:
            return super().__call__(*args, **kwargs)
        from keraslite.utils import rng

        if rng.is_tracing():  # a shape-only trace building the model: not yet
            return super().__call__(*args, **kwargs)
        if not self.weights and args:
            # Create the weights first (a shape-only run of call), so that this call already
            # computes with the restored ones.
            from keraslite.layers.layer import shape_of

            try:
                self._build_by_tracing(shape_of(args[0]))
            except (ValueError, TypeError, AttributeError):
                pass
        self._restore_deferred_weights()
        out = super().__call__(*args, **kwargs)
        self._restore_deferred_weights()  # when they could only be created by this call
        return out

    def _restore_deferred_weights(self):
        """Weights load_weights() read from a checkpoint path before this subclassed model had
        created any (tf.keras 2 restored them when the variables came into being)."""
        if "_deferred_weights" in self.__dict__ and self.weights:
            from keraslite.saving import load_weights

            path, skip_mismatch = self.__dict__.pop("_deferred_weights")
            load_weights(self, path, skip_mismatch=skip_mismatch)

    # ------------------------------------------------------------------ layers

    @property
    def layers(self):
        """Direct sublayers in the order they were assigned (each once); for graph models the
        Keras order (by depth from the inputs, InputLayers included)."""
        if self._graph is not None:
            popped = self.__dict__.get("_popped_layers", ())
            return _GraphLayerList(self, [layer for layer in self._graph.layers if layer not in popped])
        out, seen = [], set()
        for module in self.children():
            for layer in _layers_in(module):
                if id(layer) not in seen:
                    seen.add(id(layer))
                    out.append(layer)
        return out

    def reset_states(self):
        """Reset the states of every stateful layer (Keras: model.reset_states())."""
        for layer in self._flatten_layers(include_self=False):
            if getattr(layer, "stateful", False) and hasattr(layer, "reset_state"):
                layer.reset_state()

    reset_state = reset_states

    def get_layer(self, name=None, index=None):
        if index is not None:
            layers = self.layers
            if not -len(layers) <= index < len(layers):
                raise ValueError(f"Model '{self.name}' has {len(layers)} layers; index {index} is out of range.")
            return layers[index]
        if name is not None:
            for layer in self.layers:
                if layer.name == name:
                    return layer
            raise ValueError(f"No such layer: {name}. Existing layers are: {[l.name for l in self.layers]}.")
        raise ValueError("get_layer needs a `name` or an `index`.")

    def add_loss(self, loss, inputs=None):
        """As Layer.add_loss, and Keras 2's functional form: `model.add_loss(tensor)` with a
        symbolic tensor computed from the model's inputs (a VAE's KL term) makes the model
        compute that tensor on every call and add it to the loss."""
        from keraslite.models.functional import add_symbolic_loss, has_symbolic

        if has_symbolic(loss):
            if self._graph is None:
                raise ValueError(f"Model '{self.name}' ({type(self).__name__}) received a symbolic tensor in "
                                 "add_loss(), but only a model built as Model(inputs, outputs) can compute one. "
                                 "In a subclassed model, call self.add_loss(...) inside call() on its tensors.")
            add_symbolic_loss(self, loss)
            return
        super().add_loss(loss, inputs=inputs)

    def add_metric(self, value, name=None, **kwargs):
        """As Layer.add_metric, and Keras 2's functional form: `model.add_metric(tensor,
        name=..., aggregation="mean")` with a symbolic tensor computed from the model's inputs
        makes every call average that tensor into a Mean metric reported under `name`."""
        from keraslite.layers.layer import check_add_metric_kwargs
        from keraslite.models.functional import add_symbolic_loss, has_symbolic

        if not has_symbolic(value):
            return super().add_metric(value, name=name, **kwargs)
        check_add_metric_kwargs(f"Model '{self.name}'", kwargs)
        if self._graph is None:
            raise ValueError(f"Model '{self.name}' ({type(self).__name__}) received a symbolic tensor in "
                             "add_metric(), but only a model built as Model(inputs, outputs) can compute one. In a "
                             "subclassed model, call self.add_metric(...) inside call() on its tensors.")
        if name is None:
            raise ValueError(f"Model '{self.name}': please provide a name for your metric, like "
                             "`model.add_metric(tensor, name='mean_activation')`.")
        self._symbolic_metric(name)
        add_symbolic_loss(self, value, metric_name=name)

    def _symbolic_metric(self, name):
        """The Mean metric behind `model.add_metric(symbolic_tensor, name)`, made on first use."""
        from keraslite import metrics as metrics_module

        tracked = self.__dict__.setdefault("_added_metrics", [])
        for m in tracked:
            if m.name == name:
                return m
        metric = metrics_module.Mean(name=name)
        tracked.append(metric)
        return metric

    # ------------------------------------------------------------------ graph views (functional)

    def call(self, inputs, training=None, mask=None):
        if self._graph is not None:
            from keraslite.models.functional import run_graph

            return run_graph(self, inputs, training=training, mask=mask)
        raise NotImplementedError(f"Model '{self.name}' ({type(self).__name__}) has no `call` method. A subclassed "
                                  "Model must define `call(self, inputs, training=None)`, or be built with "
                                  "Model(inputs, outputs).")

    def build(self, input_shape=None):
        """A subclassed model without its own `build`: in a tf.keras program (one that imported
        tensorflow) or with checkpoint weights waiting to load, its call runs on shape-only
        inputs so its layers create their weights, as tf.keras 2 did; otherwise, as in Keras 3,
        it is only marked built and its layers build on the first call on data. Graph models
        are built at construction."""
        if self._graph is not None:
            self.built = True
            return
        if input_shape is not None:
            from keraslite.layers.layer import _from_list

            self._build_input_shape = _from_list(input_shape) if isinstance(input_shape, list) else tuple(input_shape)
        from keraslite.compat.aliases import tensorflow_program

        own_build = type(self).build is not Model.build
        unbuilt = not own_build and any(not l.built for l in self._flatten_layers(include_self=False))
        if unbuilt and input_shape is not None and (tensorflow_program() or "_deferred_weights" in self.__dict__):
            # tf.keras 2 built a subclassed model by running its call on the shape
            # (`model.build((None, 10)); model.load_weights(...)`); Keras 3 only marks it
            # built, and so does keraslite outside tf.keras programs.
            try:
                self._build_by_tracing(input_shape)
                self._restore_deferred_weights()
                return
            except ValueError:
                pass
        if unbuilt:
            warnings.warn(f"`build()` was called on model '{self.name}', which has no `build()` method of its own: "
                          "it is marked as built, and its layers create their weights on the first call on data. "
                          "Call the model on a batch (or on keras.Input) to create the weights now.", stacklevel=2)
        self.built = True

    def build_from_config(self, config):
        """Loading a subclassed model: run `call` on shape-only inputs so the weights exist
        before they are read (Keras builds by running the call symbolically here too)."""
        shape = (config or {}).get("input_shape")
        if shape is None or self._graph is not None:
            return super().build_from_config(config)
        if type(self).build is not Model.build:
            return super().build_from_config(config)
        self._build_by_tracing(shape)

    def _build_by_tracing(self, input_shape):
        from keraslite.layers.layer import _from_list
        from keraslite.models.functional import _forget_sentinel_batch, _unbuilt_sublayers, infer_output_shape

        input_shape = _from_list(input_shape) if isinstance(input_shape, list) else tuple(input_shape)
        fresh = _unbuilt_sublayers(self)
        self._build_input_shape = input_shape
        self.built = True
        try:
            infer_output_shape(self, input_shape)
            _forget_sentinel_batch([l for l in fresh if l is not self],
                                   batch_unknown=bool(input_shape) and not isinstance(input_shape, list)
                                   and input_shape[0] is None)
        except Exception as e:
            self.built = False
            raise ValueError(f"Model '{self.name}' could not be built for input shape {input_shape}: its call "
                             f"failed with {type(e).__name__}: {e}") from e

    def _maybe_build(self, input_shape):
        if self.built:
            return
        if type(self).build is Model.build:
            # First call on data: sublayers build themselves inside `call`.
            self._build_input_shape = input_shape
            self.built = True
            return
        super()._maybe_build(input_shape)

    @property
    def inputs(self):
        if self._graph is None:
            raise AttributeError(f"Model '{self.name}' is a subclassed model and has no symbolic `inputs`.")
        return list(self._graph.inputs)

    @property
    def outputs(self):
        if self._graph is None:
            raise AttributeError(f"Model '{self.name}' is a subclassed model and has no symbolic `outputs`.")
        return list(self._graph.outputs)

    @property
    def input(self):
        inputs = self.inputs
        return inputs[0] if len(inputs) == 1 else inputs

    @property
    def output(self):
        outputs = self.outputs
        return outputs[0] if len(outputs) == 1 else outputs

    @property
    def input_names(self):
        return [t._keras_history[0].name for t in self.inputs]

    @property
    def input_shape(self):
        if self._graph is not None:
            from keraslite.models.functional import graph_input_shape

            return graph_input_shape(self)
        return Layer.input_shape.fget(self)

    @property
    def output_shape(self):
        if self._graph is not None:
            from keraslite.models.functional import graph_output_shape

            return graph_output_shape(self)
        return Layer.output_shape.fget(self)

    def summary(self, line_length=None, positions=None, print_fn=None, expand_nested=False, show_trainable=False,
                layer_range=None):
        from keraslite.utils.summary import print_summary

        print_summary(self, line_length=line_length, positions=positions, print_fn=print_fn,
                      expand_nested=expand_nested, show_trainable=show_trainable, layer_range=layer_range)

    # ------------------------------------------------------------------ training (keraslite.training)

    def compile(self, *args, **kwargs):
        from keraslite.training import loop

        return loop.compile(self, *args, **kwargs)

    def get_compile_config(self):
        """Keras 3's hook: what `.keras` files store as `compile_config` (None until compiled).
        A subclass may override it, together with `compile_from_config`."""
        from keraslite.saving.config import compile_config_of

        return compile_config_of(self)

    def compile_from_config(self, config):
        """Keras 3's hook: compile from a saved `compile_config` when the model is loaded."""
        from keraslite.saving.config import compile_from_config

        if type(self).compile is not Model.compile:
            warnings.warn("`compile()` was not called as part of model loading because the model's `compile()` "
                          "method is custom. All subclassed Models that have `compile()` overridden should also "
                          "override `get_compile_config()` and `compile_from_config(config)`. Alternatively, you "
                          "can call `compile()` manually after loading.", stacklevel=2)
            return
        compile_from_config(self, config, raise_errors=True)

    def fit(self, *args, **kwargs):
        from keraslite.training import loop

        return loop.fit(self, *args, **kwargs)

    def evaluate(self, *args, **kwargs):
        from keraslite.training import loop

        return loop.evaluate(self, *args, **kwargs)

    def predict(self, *args, **kwargs):
        from keraslite.training import loop

        return loop.predict(self, *args, **kwargs)

    def train_on_batch(self, *args, **kwargs):
        from keraslite.training import loop

        return loop.train_on_batch(self, *args, **kwargs)

    def test_on_batch(self, *args, **kwargs):
        from keraslite.training import loop

        return loop.test_on_batch(self, *args, **kwargs)

    def predict_on_batch(self, *args, **kwargs):
        from keraslite.training import loop

        return loop.predict_on_batch(self, *args, **kwargs)

    def fit_generator(self, *args, **kwargs):
        """Keras 1/2 name: fit on a generator."""
        from keraslite.training import loop

        return loop.fit_generator(self, *args, **kwargs)

    def evaluate_generator(self, *args, **kwargs):
        from keraslite.training import loop

        return loop.evaluate_generator(self, *args, **kwargs)

    def predict_generator(self, *args, **kwargs):
        from keraslite.training import loop

        return loop.predict_generator(self, *args, **kwargs)

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        from keraslite.training import loop

        return loop.compute_loss(self, x, y, y_pred, sample_weight, training=training)

    def compute_metrics(self, x, y, y_pred, sample_weight=None):
        from keraslite.training import loop

        return loop.compute_metrics(self, y, y_pred, sample_weight)

    @property
    def metrics(self):
        from keraslite.training import loop

        return loop.metrics_list(self)

    @property
    def metrics_names(self):
        from keraslite.training import loop

        return loop.metrics_names(self)

    def reset_metrics(self):
        from keraslite.training import loop

        loop.reset_metrics(self)

    def get_metrics_result(self):
        from keraslite.training import loop

        return loop.get_metrics_result(self)

    def train_step(self, data):
        from keraslite.training import loop

        return loop.default_train_step(self, data)

    def test_step(self, data):
        from keraslite.training import loop

        return loop.default_test_step(self, data)

    def predict_step(self, data):
        from keraslite.training import loop

        return loop.default_predict_step(self, data)

    def make_train_function(self, force=False):
        """Keras's hook to build the step function ahead of time: fit builds its step on first
        use, so there is nothing to prepare (Keras 2's `_make_predict_function()`, called before
        sharing a model across threads, is the same no-op)."""
        return None

    make_test_function = make_predict_function = make_train_function
    _make_train_function = _make_test_function = _make_predict_function = make_train_function

    def quantize(self, mode=None, config=None, filters=None, **kwargs):
        """Quantize the weights of every layer that supports it (`quantize("int8")`: Dense,
        EinsumDense, including MultiHeadAttention's, and Embedding); others are left as they
        are, with a warning each, as Keras does. `filters` (a regex, a list of them or a
        callable taking the layer) selects layers by name."""
        from keraslite import quantizers

        type_check = kwargs.pop("type_check", True)
        if kwargs:
            raise ValueError(f"Unrecognized keyword arguments passed to {type(self).__name__}: {kwargs}")
        quantizers.quantize_model(self, mode, config=config, filters=filters, type_check=type_check)

    # ------------------------------------------------------------------ files (keraslite.saving)

    def save(self, filepath, overwrite=True, include_optimizer=True, **kwargs):
        from keraslite import saving

        return saving.save_model(self, filepath, overwrite=overwrite, include_optimizer=include_optimizer, **kwargs)

    def save_weights(self, filepath, overwrite=True, **kwargs):
        from keraslite import saving

        return saving.save_weights(self, filepath, overwrite=overwrite, **kwargs)

    def load_weights(self, filepath, skip_mismatch=False, by_name=False, **kwargs):
        from keraslite import saving

        return saving.load_weights(self, filepath, skip_mismatch=skip_mismatch, by_name=by_name, **kwargs)

    def to_json(self, **kwargs):
        from keraslite.saving.config import model_to_json

        return model_to_json(self, **kwargs)

    def to_yaml(self, **kwargs):
        from keraslite.saving.config import model_to_yaml

        return model_to_yaml(self, **kwargs)

    def get_config(self):
        if self._graph is not None and _functional_like(type(self)):
            from keraslite.models.functional import functional_config

            return functional_config(self)
        config = {"name": self.name, "trainable": self.trainable}
        if type(self).get_config is Model.get_config:
            from keraslite.layers.layer import with_auto_config

            return with_auto_config(self, config)
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        if "layers" in config and "input_layers" in config:
            from keraslite.models.functional import functional_from_config

            return functional_from_config(cls, config, custom_objects=custom_objects)
        return cls(**config)


def _graph_args(args, kwargs):
    """Model(inputs, outputs), Model(inputs=, outputs=) or Keras 1's Model(input=, output=)."""
    return len(args) >= 2 or any(k in kwargs for k in ("inputs", "outputs", "input", "output"))


def _functional_like(cls):
    """True when `cls(inputs=, outputs=, name=)` rebuilds the model (no custom __init__ arguments)."""
    import inspect

    init = cls.__init__
    if init is Model.__init__:
        return True
    spec = inspect.getfullargspec(init)
    args = spec.args[1:]
    return args[:2] == ["inputs", "outputs"] or (spec.varargs is not None and spec.varkw is not None)


def _layers_in(module):
    """Layers reachable from a child module without passing through another Layer."""
    if isinstance(module, Layer):
        return [module]
    out = []
    for child in module.children():  # nn.ModuleList / nn.ModuleDict / plain nn.Module containers
        out.extend(_layers_in(child))
    return out


def _to_device(x, device):
    if isinstance(x, torch.Tensor):
        return x if x.device == device else x.to(device)
    if isinstance(x, tuple) and hasattr(x, "_fields"):  # a namedtuple
        return type(x)(*(_to_device(v, device) for v in x))
    if isinstance(x, (list, tuple)):
        return type(x)(_to_device(v, device) for v in x)
    if isinstance(x, dict):
        return {k: _to_device(v, device) for k, v in x.items()}
    return x
