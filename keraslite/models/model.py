"""Model: a Layer that holds layers and can be compiled, trained, evaluated, saved.

Owns: layer tracking (`layers`, `get_layer`), `summary`, and the public training / saving
methods, each a thin call into the module that does the work:
  compile/fit/evaluate/predict/*_on_batch -> keraslite.training.loop
  train_step/test_step/predict_step       -> defaults here; the one override point
  save/save_weights/load_weights/to_json  -> keraslite.saving
`Model(inputs, outputs)` builds a functional graph (keraslite.models.functional);
subclasses write `call`.
"""
from keraslite.layers.layer import Layer


class Model(Layer):
    def __new__(cls, *args, **kwargs):
        if cls is Model and (len(args) >= 2 or "inputs" in kwargs or "outputs" in kwargs):
            from keraslite.models.functional import Functional

            return Functional.__new__(Functional)
        return super().__new__(cls)

    def __init__(self, *args, **kwargs):
        if len(args) >= 2 or "inputs" in kwargs or "outputs" in kwargs:
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

    # ------------------------------------------------------------------ layers

    @property
    def layers(self):
        """Direct sublayers in the order they were assigned (each once)."""
        out, seen = [], set()
        for module in self.children():
            for layer in _layers_in(module):
                if id(layer) not in seen:
                    seen.add(id(layer))
                    out.append(layer)
        return out

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

    def summary(self, line_length=None, positions=None, print_fn=None, expand_nested=False, show_trainable=False,
                layer_range=None):
        from keraslite.utils.summary import print_summary

        print_summary(self, line_length=line_length, positions=positions, print_fn=print_fn,
                      expand_nested=expand_nested, show_trainable=show_trainable, layer_range=layer_range)

    # ------------------------------------------------------------------ training (keraslite.training)

    def compile(self, *args, **kwargs):
        from keraslite.training import loop

        return loop.compile(self, *args, **kwargs)

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

    def train_step(self, data):
        from keraslite.training import loop

        return loop.default_train_step(self, data)

    def test_step(self, data):
        from keraslite.training import loop

        return loop.default_test_step(self, data)

    def predict_step(self, data):
        from keraslite.training import loop

        return loop.default_predict_step(self, data)

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

    def get_config(self):
        return {"name": self.name, "trainable": self.trainable}


def _layers_in(module):
    """Layers reachable from a child module without passing through another Layer."""
    if isinstance(module, Layer):
        return [module]
    out = []
    for child in module.children():  # nn.ModuleList / nn.ModuleDict / plain nn.Module containers
        out.extend(_layers_in(child))
    return out
