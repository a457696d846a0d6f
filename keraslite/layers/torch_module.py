"""TorchModuleWrapper: a plain `torch.nn.Module` as a Keras layer.

Its parameters become the layer's weights (torch's layout, the module's parameter order, as in
Keras), so fit trains them, `get_weights`/`set_weights` and weight files carry them, and the
summary counts them. A plain module assigned to an attribute of a layer or model is wrapped
automatically, as Keras does on its torch backend; without that its parameters would never be
trained.

Saving a whole model writes the module with `torch.save` into the config, as Keras does;
loading it needs `safe_mode=False`, because unpickling a module can run code from the file.
"""
import base64
import io

import torch
from torch import nn

from keraslite.layers.layer import Layer, Variable

__all__ = ["TorchModuleWrapper"]

_UNSAFE_LOAD = (
    "TorchModuleWrapper '{name}': the config holds a pickled torch module, and unpickling can run code "
    "from the file, so it is refused by default. If you trust the file, pass safe_mode=False (e.g. "
    "`load_model(path, safe_mode=False)`).")


class TorchModuleWrapper(Layer):
    """Wraps `module` (an initialized torch.nn.Module); `output_shape` optionally states what
    compute_output_shape returns instead of tracing the module."""

    _wraps_torch_modules = False  # `self.module` stays the module itself

    def __init__(self, module, name=None, output_shape=None, **kwargs):
        super().__init__(name=name, **kwargs)
        if not isinstance(module, nn.Module) or isinstance(module, Layer):
            raise TypeError(f"TorchModuleWrapper expects a torch.nn.Module that is not a Keras layer; received "
                            f"{type(module).__name__}. Keras layers need no wrapper.")
        if isinstance(module, nn.modules.lazy.LazyModuleMixin) and module.has_uninitialized_params():
            raise ValueError(f"TorchModuleWrapper: the lazy module {type(module).__name__} has uninitialized "
                             "parameters. Run it once on an example input (or use its non-lazy counterpart) "
                             "before wrapping it.")
        self.module = module
        self._declared_output_shape = output_shape
        self._track_module_parameters()
        self.built = True

    def _track_module_parameters(self):
        """Replace each parameter of the module by a keraslite Variable on the same storage, in
        `module.parameters()` order; a parameter shared by two submodules stays one Variable."""
        made = {}
        for owner_name, owner in self.module.named_modules():
            for pname, param in list(owner._parameters.items()):
                if param is None:
                    continue
                if id(param) not in made:
                    full = f"{owner_name}.{pname}" if owner_name else pname
                    var = param if isinstance(param, Variable) else Variable(
                        param.data, trainable=param.requires_grad, name=full, path=f"{self.name}/{full}")
                    var.requires_grad_(param.requires_grad)
                    made[id(param)] = var
                owner._parameters[pname] = made[id(param)]
        order = {id(v): i for i, v in enumerate(self.module.parameters())}
        self._variables.extend(sorted(made.values(), key=lambda v: order[id(v)]))

    _state_by_name = True  # .keras files hold the module's state_dict, as Keras writes it

    def save_own_variables(self, store):
        for key, value in self.module.state_dict().items():
            store[key] = value.detach().cpu().numpy()

    def load_own_variables(self, store):
        state = {(k.decode() if isinstance(k, bytes) else k): torch.as_tensor(v) for k, v in store.items()}
        self.module.load_state_dict(state)  # copies into the existing Variables

    def call(self, *args, training=None, **kwargs):
        if training is not None:
            self.module.train(bool(training))
        return self.module(*args, **kwargs)

    def compute_output_shape(self, input_shape):
        if self._declared_output_shape is not None:
            return tuple(self._declared_output_shape)
        return super().compute_output_shape(input_shape)

    def get_config(self):
        buffer = io.BytesIO()
        torch.save(self.module, buffer)
        config = super().get_config()
        config.update(module=base64.b64encode(buffer.getvalue()).decode("ascii"), output_shape=self._declared_output_shape)
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None, safe_mode=None):
        config = dict(config)
        if isinstance(config.get("module"), str):
            if safe_mode is None:
                from keraslite.saving import serialization

                safe_mode = getattr(serialization._STATE, "safe_mode", True)
            if safe_mode is not False:
                raise ValueError(_UNSAFE_LOAD.format(name=config.get("name")))
            raw = base64.b64decode(config["module"].encode("ascii"))
            config["module"] = torch.load(io.BytesIO(raw), weights_only=False)
        return cls(**config)
