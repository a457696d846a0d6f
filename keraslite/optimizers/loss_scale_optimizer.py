"""LossScaleOptimizer: dynamic loss scaling around another optimizer, with Keras 3's rules.
The training step multiplies the loss by `dynamic_scale` (`scale_loss`) before backward; each
update then checks the gradients: all finite -> divide them by the scale and let the inner
optimizer step, and after `dynamic_growth_steps` such steps in a row double the scale; any
inf/nan -> skip the update and halve the scale.

Variables, in Keras's order: this optimizer's own iteration and learning rate (never used:
the inner optimizer's are the real ones), step_counter, dynamic_scale, then the inner
optimizer's variables.
"""
import numpy as np
import torch

from keraslite.layers.layer import Variable
from keraslite.optimizers.base import Optimizer

_BASE_DEFAULTS = {"weight_decay": None, "clipnorm": None, "global_clipnorm": None, "clipvalue": None,
                  "use_ema": False, "ema_momentum": 0.99, "ema_overwrite_frequency": None, "loss_scale_factor": None,
                  "gradient_accumulation_steps": None}


class LossScaleOptimizer(Optimizer):
    def __init__(self, inner_optimizer, initial_scale=2.0 ** 15, dynamic_growth_steps=2000, name=None, **kwargs):
        if not kwargs.pop("dynamic", True):
            raise ValueError("LossScaleOptimizer does not support `dynamic=False`; set `loss_scale_factor` on the "
                             "inner optimizer for a fixed scale instead.")
        for key, default in _BASE_DEFAULTS.items():
            if key in kwargs and kwargs.pop(key) != default:
                raise ValueError(f"LossScaleOptimizer does not support `{key}`. Set `{key}` on the "
                                 "`inner_optimizer` instead.")
        if kwargs:
            raise ValueError(f"LossScaleOptimizer does not support arguments: {sorted(kwargs)}. Expected "
                             "inner_optimizer, initial_scale, dynamic_growth_steps, name.")
        from keraslite import optimizers

        inner = optimizers.get(inner_optimizer)
        if not isinstance(inner, Optimizer):
            raise ValueError(f"LossScaleOptimizer: `inner_optimizer` must be an optimizer. Received: "
                             f"inner_optimizer={inner_optimizer!r}")
        super().__init__(learning_rate=0.0, name=name)
        self.inner_optimizer = inner
        self.initial_scale = initial_scale
        self.dynamic_growth_steps = dynamic_growth_steps
        inner.loss_scale_factor = None
        self._step_counter = 0
        self._dynamic_scale = float(np.float32(initial_scale))

    _graph_scalars = None  # the finiteness check decides on the host each step

    @property
    def _scales_loss(self):
        return True

    # ------------------------------------------------------------------ state

    @property
    def dynamic_scale(self):
        return torch.tensor(self._dynamic_scale, dtype=torch.float32)

    @property
    def step_counter(self):
        return torch.tensor(self._step_counter, dtype=torch.int32)

    def build(self, variables):
        if self.built:
            return
        self.inner_optimizer.build(variables)
        self._params = list(self.inner_optimizer._params)
        self.built = True

    @property
    def learning_rate(self):
        return self.inner_optimizer.learning_rate

    @learning_rate.setter
    def learning_rate(self, value):
        if hasattr(self, "inner_optimizer"):
            self.inner_optimizer.learning_rate = value
        else:  # the base class's constructor sets its own (unused) rate
            self._set_lr(value)

    lr = learning_rate

    @property
    def iterations(self):
        return self.inner_optimizer.iterations

    def scale_loss(self, loss):
        return loss * (self._dynamic_scale if self.built else self.initial_scale)

    # tf.keras 2's custom-loop API: scaled loss -> tape.gradient -> unscaled gradients ->
    # apply_gradients (which then takes the gradients as already unscaled).
    def get_scaled_loss(self, loss):
        return self.scale_loss(loss)

    def get_unscaled_gradients(self, grads):
        scale = self._dynamic_scale if self.built else self.initial_scale
        self._given_unscaled = True
        return [None if g is None else g / scale for g in grads]

    @property
    def loss_scale(self):
        return self.dynamic_scale

    @property
    def dynamic(self):
        return True

    # ------------------------------------------------------------------ stepping

    @torch.no_grad()
    def _apply(self, pairs):
        pairs = list(pairs)
        if not self.built:
            self.build([v for _, v in pairs])
        grads = [g if g is None or isinstance(g, torch.Tensor) else torch.as_tensor(np.asarray(g)) for g, _ in pairs]
        present = [g for g in grads if g is not None]
        finite = bool(torch.stack([torch.isfinite(g).all() for g in present]).all()) if present else True
        if not finite:
            self.__dict__.pop("_given_unscaled", None)
            self._step_counter = 0
            self._dynamic_scale = float(np.float32(self._dynamic_scale * 0.5))
            return
        scale = 1.0 if self.__dict__.pop("_given_unscaled", False) else self._dynamic_scale
        self.inner_optimizer._apply([(None if g is None else g / scale, v) for g, (_, v) in zip(grads, pairs)])
        if self._step_counter == self.dynamic_growth_steps - 1:
            self._step_counter = 0
            self._dynamic_scale = float(np.float32(self._dynamic_scale * 2.0))
        else:
            self._step_counter += 1

    def step(self, variables=None):
        variables = self.inner_optimizer._params if variables is None else variables
        return self._apply([(p.grad, p) for p in variables])

    def finalize_variable_values(self, var_list):
        self.inner_optimizer.finalize_variable_values(var_list)

    # ------------------------------------------------------------------ variables and weights

    def _own_variables(self):
        out = []
        for name, value, dtype, role in (("iteration", 0, torch.int64, "own_iteration"),
                                         ("learning_rate", 0.0, torch.float32, "own_learning_rate"),
                                         ("step_counter", self._step_counter, torch.int32, "step_counter"),
                                         ("dynamic_scale", self._dynamic_scale, torch.float32, "dynamic_scale")):
            var = Variable(torch.tensor(value, dtype=dtype), trainable=False, name=name, path=f"{self.name}/{name}")
            var._optimizer_role = role
            out.append(var)
        return out

    @property
    def variables(self):
        if not self.built:
            return self._own_variables()[:2]
        return self._own_variables() + list(self.inner_optimizer.variables)

    def get_weights(self):
        return [v.numpy() for v in self.variables]

    def _state_from_tf_keras(self, values):
        # tf.keras 2's LossScaleOptimizerV3 saves its inner optimizer's state only (iteration
        # and slots, no loss scale): the scale restarts, as it did in tf.keras.
        inner = self.inner_optimizer
        if not self.built or len(values) != inner._tf_keras_variable_count():
            return values
        own = [v.numpy() for v in self._own_variables()]
        return [np.asarray(values[0])] + own[1:] + inner._state_from_tf_keras(values)

    def set_weights(self, weights):
        if not self.built:
            raise ValueError("You are calling `set_weights()` on an optimizer that has not yet been built. Call "
                             "`optimizer.build(trainable_variables)` first.")
        weights = list(weights)
        expected = len(self.variables)
        if len(weights) != expected:
            raise ValueError(f"Optimizer '{self.name}' has {expected} variables but {len(weights)} arrays were given.")
        self._step_counter = int(np.asarray(weights[2]))
        self._dynamic_scale = float(np.asarray(weights[3], dtype=np.float32))
        self.inner_optimizer.set_weights(weights[4:])

    # ------------------------------------------------------------------ config

    def get_config(self):
        from keraslite.saving.serialization import serialize_keras_object

        return {"name": self.name, "inner_optimizer": serialize_keras_object(self.inner_optimizer),
                "initial_scale": self.initial_scale, "dynamic_growth_steps": self.dynamic_growth_steps}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        from keraslite import optimizers

        config = dict(config)
        inner = optimizers.deserialize(config.pop("inner_optimizer"), custom_objects=custom_objects)
        return cls(inner, **config)
