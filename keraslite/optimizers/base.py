"""The Optimizer base class: Keras 3 semantics (argument names, update order, variable
naming and order in files) over torch `_foreach_*` kernels.

Owns: learning rate (float or schedule, settable, Keras 2 `lr`/`decay` accepted), the
iteration counter (a Python int: reading it never waits for the device), gradient clipping
(clipnorm / global_clipnorm / clipvalue), decoupled weight decay, loss scaling, gradient
accumulation, EMA of the model variables, constraints after the step, slot variables and
their Keras names, `variables`/`get_weights`/`set_weights` and config.

Leaves to each subclass (one module per family) only `_build_slots` and `_update`, the
update rule over lists of tensors. Leaves to keraslite.training calling `build`/`step`.

Per step, Keras 3 does (base_optimizer.py, torch backend): drop variables without a
gradient, divide by loss_scale_factor, clip, `w *= 1 - wd * lr`, the update rule, then each
variable's constraint, then EMA, then `iterations += 1`.
"""
import re
import warnings

import numpy as np
import torch

from keraslite import backend
from keraslite.layers.layer import IDENTITY, Variable
from keraslite.optimizers import schedules as schedules_mod
from keraslite.training import distributed


class LearningRate(float):
    """The current learning rate as a float that also answers Keras's variable API
    (`numpy()`, `assign()`), so `K.get_value(opt.lr)` and `opt.lr.assign(x)` work."""

    def __new__(cls, value, optimizer=None):
        self = super().__new__(cls, value)
        self._optimizer = optimizer
        return self

    def numpy(self):
        return np.float32(self)

    def assign(self, value):
        self._optimizer.learning_rate = float(value)
        return self._optimizer.learning_rate

    @property
    def dtype(self):
        return "float32"


class Iterations(int):
    """The iteration count as an int with Keras's variable API (`numpy()`, `assign()`)."""

    def __new__(cls, value, optimizer=None):
        self = super().__new__(cls, value)
        self._optimizer = optimizer
        return self

    def numpy(self):
        return np.int64(self)

    def assign(self, value):
        self._optimizer._iterations = int(value)

    @property
    def dtype(self):
        return "int64"


# Keras 2 / tf.keras spellings accepted and translated (or dropped) by every optimizer.
_LEGACY_DROPPED = ("is_legacy_optimizer", "jit_compile", "mesh")


def gradients_of(value, variables, retain_graph=False):
    """The gradient of `value` (summed when it is not a scalar) for each of `variables`: None
    for one it does not depend on or that takes no gradient, which apply_gradients skips."""
    wanted = [v for v in variables if v.requires_grad]
    found = iter(torch.autograd.grad(value, wanted, grad_outputs=torch.ones_like(value), retain_graph=retain_graph,
                                     allow_unused=True) if wanted and value.requires_grad else ())
    return [next(found, None) if v.requires_grad else None for v in variables]


class Optimizer:
    """Base class. Subclasses set `_slot_names` (Keras's slot names, in Keras's order) and
    implement `_update(params, grads, slots, lr, step)` on lists of tensors, under no_grad."""

    _slot_names = ()
    _slot_initial = {}      # slot name -> constant initial value (default 0)
    # The names tf.keras's OptimizerV2 (TF 2.0-2.10, tf.keras.optimizers.legacy) gave this
    # optimizer's slots in saved files -> keraslite's slot names.
    _optimizer_v2_slots = {}
    _grads_in_keras_layout = False  # set by step() while a subclass's apply() has fit's gradients

    def __init__(self, learning_rate=0.001, weight_decay=None, clipnorm=None, clipvalue=None, global_clipnorm=None,
                 use_ema=False, ema_momentum=0.99, ema_overwrite_frequency=None, loss_scale_factor=None,
                 gradient_accumulation_steps=None, name=None, **kwargs):
        if "lr" in kwargs:  # Keras 1/2 spelling
            learning_rate = kwargs.pop("lr")
        decay = kwargs.pop("decay", None)
        for key in _LEGACY_DROPPED:
            kwargs.pop(key, None)
        if kwargs:
            raise ValueError(f"{type(self).__name__} got unrecognized argument(s) {sorted(kwargs)}. Valid arguments "
                             "are the Keras 3 ones: learning_rate, weight_decay, clipnorm, clipvalue, global_clipnorm, "
                             "use_ema, ema_momentum, ema_overwrite_frequency, loss_scale_factor, "
                             "gradient_accumulation_steps, name, plus the optimizer's own.")
        if sum(a is not None for a in (clipnorm, clipvalue, global_clipnorm)) > 1:
            raise ValueError("Only one of `clipnorm`, `clipvalue` and `global_clipnorm` can be set. Received: "
                             f"clipnorm={clipnorm}, clipvalue={clipvalue}, global_clipnorm={global_clipnorm}.")
        if gradient_accumulation_steps is not None and gradient_accumulation_steps < 2:
            raise ValueError("`gradient_accumulation_steps` must be an integer >= 2. Received: "
                             f"gradient_accumulation_steps={gradient_accumulation_steps}")
        if use_ema and not 0 <= ema_momentum <= 1:
            raise ValueError(f"`ema_momentum` must be in the range [0, 1]. Received: ema_momentum={ema_momentum}")
        self.name = name or backend.get_uid(backend.to_snake_case(type(self).__name__))
        self.weight_decay = weight_decay
        self.clipnorm = clipnorm
        self.clipvalue = clipvalue
        self.global_clipnorm = global_clipnorm
        self.use_ema = use_ema
        self.ema_momentum = ema_momentum
        self.ema_overwrite_frequency = ema_overwrite_frequency
        self.loss_scale_factor = loss_scale_factor
        self.gradient_accumulation_steps = gradient_accumulation_steps
        # Keras 2 time-based decay: lr / (1 + decay * iterations) (OptimizerV2._decayed_lr).
        self.decay = float(decay) if decay else 0.0
        self._iterations = 0
        self._set_lr(learning_rate)
        self.built = False
        self._params = []
        self._slots = {}           # slot name -> list of Variables, one per parameter (Keras order)
        self._ema = []             # moving averages when use_ema
        self._accumulators = []    # gradient accumulators when gradient_accumulation_steps
        self._custom_variables = []  # a custom optimizer's add_variable / add_variable_from_reference
        self._index = {}           # id(param) -> position in self._params
        self._slot_cache = {}
        self._device = None
        self._exclude_ids = set()
        self._exclude_pattern = None

    # ------------------------------------------------------------------ learning rate / iterations

    def _set_lr(self, value):
        if isinstance(value, dict):
            value = schedules_mod.deserialize(value)
        if isinstance(value, torch.Tensor):
            value = float(value.detach().cpu())
        if isinstance(value, (int, float, np.floating, np.integer)):
            self._learning_rate = float(np.float32(value))  # Keras keeps the rate in a float32 variable
        elif callable(value):
            self._learning_rate = value
        else:
            raise ValueError("Argument `learning_rate` should be a float, a LearningRateSchedule, or a callable "
                             f"returning the learning rate. Received: learning_rate={value!r}")

    def _current_lr(self, step):
        """The learning rate the update at iteration `step` uses, as a Python float (no device
        sync): the scheduled rate, then Keras 2's time-based `decay`."""
        lr = self._scheduled_lr(step)
        if self.decay:
            lr = lr / (1.0 + self.decay * int(step))
        return lr

    def _scheduled_lr(self, step):
        lr = self._learning_rate
        if isinstance(lr, schedules_mod.LearningRateSchedule):
            lr = lr(int(step))
        elif callable(lr):
            lr = lr()
        if isinstance(lr, torch.Tensor):
            lr = float(lr.detach().cpu())
        return float(lr)

    @property
    def learning_rate(self):
        # Keras 2 applied `decay` inside the update only: `opt.lr` stayed the rate it was given
        # (or set to), so `K.set_value(opt.lr, K.get_value(opt.lr) * 0.5)` halves it once.
        return LearningRate(self._scheduled_lr(self._iterations), self)

    @learning_rate.setter
    def learning_rate(self, value):
        if isinstance(self._learning_rate, schedules_mod.LearningRateSchedule) and not (
                isinstance(value, schedules_mod.LearningRateSchedule) or callable(value)):
            raise TypeError("This optimizer was created with a LearningRateSchedule as its learning_rate, so its "
                            "learning rate is not settable. Create the optimizer with a float learning_rate if you "
                            "need to change it.")
        self._set_lr(value)

    lr = learning_rate

    @property
    def iterations(self):
        count = self._iterations
        if self.gradient_accumulation_steps:
            count //= self.gradient_accumulation_steps
        return Iterations(count, self)

    # ------------------------------------------------------------------ building

    def build(self, variables):
        """Create the slot variables for `variables` (a list of keraslite Variables /
        torch Parameters). Idempotent, as in Keras."""
        if self.built:
            return
        self._params = list(variables)
        self._index = {id(p): i for i, p in enumerate(self._params)}
        if self.use_ema:
            self._ema = self._add_slots("average", copy=True)
        if self.gradient_accumulation_steps:
            self._accumulators = self._add_slots("gradient_accumulator")
        self._build_slots(self._params)
        self._constrained = [p for p in self._params if getattr(p, "constraint", None) is not None]
        self._device = self._params[0].device if self._params else None
        self.built = True
        pending = self.__dict__.pop("_pending_weights", None)
        if pending is not None:  # restored from a tf.train.Checkpoint before the first step
            self.set_weights(pending)

    def _can_extend(self):
        # keraslite's own optimizers keep one slot per variable in each list; a Keras 3 style
        # subclass (build() / add_variable_from_reference) keeps its state its own way.
        return type(self).build is Optimizer.build and not self._custom_variables

    def _extend(self, new):
        """Take `new` variables on (tf.keras 2 created slots per variable as they came: the
        Keras 2 GAN recipe compiles the discriminator and the combined model with one
        optimizer). The existing variables keep their slot variables and values."""
        old = len(self._params)
        kept = {name: list(slots) for name, slots in self._slots.items()}
        kept_ema, kept_acc = list(self._ema), list(self._accumulators)
        self.built = False
        self.build(self._params + list(new))  # slots for all, then the old variables' own back
        for name, slots in kept.items():
            if len(slots) == old and len(self._slots.get(name, ())) == len(self._params):  # one per variable
                self._slots[name][:old] = slots
        if kept_ema:
            self._ema[:old] = kept_ema
        if kept_acc:
            self._accumulators[:old] = kept_acc
        self._slot_cache = {}

    def _build_slots(self, params):
        for slot in self._slot_names:
            self._slots[slot] = self._add_slots(slot, self._slot_initial.get(slot, 0.0))

    def _add_slots(self, slot, initial=0.0, copy=False):
        out = []
        for i, p in enumerate(self._params):
            with torch.no_grad():
                data = p.detach().clone() if copy else torch.full_like(p, initial, memory_format=torch.preserve_format)
            out.append(self._variable_like(p, slot, data, f"variable_{i}"))
        return out

    def _variable_like(self, reference, slot, data, fallback="variable"):
        """An optimizer variable `data` for `reference` (a weight), named `<its path>_<slot>` and
        in the weight's storage layout."""
        ref = getattr(reference, "path", None) or getattr(reference, "name", None) or fallback
        ref = str(ref).replace("/", "_").replace(":", "_")
        return Variable(data, trainable=False, name=f"{ref}_{slot}", path=f"{self.name}/{ref}_{slot}",
                        layout=getattr(reference, "keras_layout", IDENTITY))

    def exclude_from_weight_decay(self, var_list=None, var_names=None):
        if self.built:
            raise ValueError("`exclude_from_weight_decay()` can only be configured before the optimizer is built.")
        self._exclude_ids = {id(v) for v in (var_list or [])}
        self._exclude_pattern = re.compile("|".join(set(var_names))) if var_names else None

    def _use_weight_decay(self, p):
        if id(p) in self._exclude_ids:
            return False
        if self._exclude_pattern is not None and re.search(self._exclude_pattern, str(getattr(p, "name", ""))):
            return False
        return True

    # ------------------------------------------------------------------ stepping

    def step(self, variables=None):
        """Apply one update from each variable's `.grad` (variables without one are skipped)."""
        variables = self._params if variables is None else variables
        if type(self).apply is not Optimizer.apply:
            # A subclass that changes the gradients (gradient centralization: the mean over all
            # axes but the last) sees each in its weight's Keras layout, as in Keras; the base
            # apply takes them back into storage layout.
            grads = [p.grad if p.grad is None or not hasattr(p, "keras_layout") else p.keras_layout.to_keras(p.grad)
                     for p in variables]
            self._grads_in_keras_layout = True
            try:
                return self.apply(grads, list(variables))
            finally:
                self._grads_in_keras_layout = False
        pairs = [(p.grad, p) for p in variables]
        return self._apply(pairs)

    def apply_gradients(self, grads_and_vars):
        """Keras API: apply one update with explicit gradients. Returns `iterations`.

        As in Keras, fit's steps and apply_gradients go through `apply`, so a subclass that
        overrides it (gradient centralization) sees every update."""
        pairs = list(grads_and_vars)
        if type(self).apply is not Optimizer.apply:
            self.apply([g for g, _ in pairs], [v for _, v in pairs])
        else:
            self._apply(pairs)
        return self.iterations

    def minimize(self, loss, var_list, tape=None):
        """tf.keras 2's one-step training: the gradients of `loss` (a callable taking no
        arguments, or a tensor computed under `tape`) with respect to `var_list` (variables, or a
        callable returning them), applied. Returns `iterations`."""
        if not callable(loss) and tape is None:
            raise ValueError(f"`tape` is required when a `Tensor` loss is passed to {type(self).__name__}.minimize; "
                             "pass the tf.GradientTape it was computed under, or a callable taking no arguments "
                             "that returns the loss: `optimizer.minimize(lambda: loss_fn(model(x), y), var_list)`.")
        if callable(loss):
            with torch.enable_grad():
                value = loss()
        else:
            value = loss
        variables = list(var_list() if callable(var_list) else var_list)
        grads = tape.gradient(value, variables) if tape is not None else gradients_of(value, variables)
        return self.apply_gradients(zip(grads, variables))

    def get_updates(self, loss=None, params=None, constraints=None):
        """Keras 2's `get_updates(loss, params)` (Keras 2.0 and 2.1: `get_updates(params,
        constraints, loss)`) on a symbolic loss: the updates to pass to `K.function(inputs,
        outputs, updates=...)`, whose every call then takes one step of this optimizer."""
        from keraslite.compat import backend_function

        if isinstance(loss, (list, tuple)):  # Keras 2.0's positional order: (params, constraints, loss)
            loss, params, constraints = constraints, loss, params
        return backend_function.optimizer_updates(self, loss, params, constraints)

    def get_gradients(self, loss, params):
        """Keras 2's `optimizer.get_gradients(loss, params)`: K.gradients of a symbolic loss with
        respect to the weights, for K.function to evaluate."""
        from keraslite.compat import backend_function

        return backend_function.gradients(loss, list(params))

    def apply(self, grads, trainable_variables=None):
        if trainable_variables is None:
            if not self.built:
                raise ValueError("When passing `grads` without `variables`, the optimizer must already be built "
                                 "on a list of variables. Call `optimizer.build(trainable_variables)` first.")
            trainable_variables = self._params
        self._apply(list(zip(grads, trainable_variables)))

    @torch.no_grad()
    def _apply(self, pairs):
        if not self.built:
            self.build([v for _, v in pairs])
        grads, params = [], []
        keras_layout = self._grads_in_keras_layout
        index = self._index
        new = [p for g, p in pairs if g is not None and id(p) not in index]
        if new and self._can_extend():
            self._extend(new)
            index = self._index
        reducing = distributed.current()  # a step of a multi-process fit: the whole batch's gradients
        for g, p in pairs:
            if g is None:
                if reducing is not None:  # another process may have one
                    grads.append(None)
                    params.append(p)
                continue
            if id(p) not in index:
                raise ValueError(f"Unknown variable: {getattr(p, 'path', tuple(p.shape))}. This optimizer can only "
                                 "be called for the variables it was originally built with. When working with a "
                                 "new set of variables, create a new optimizer instance.")
            g = g if isinstance(g, torch.Tensor) else torch.as_tensor(np.asarray(g), device=p.device)
            if hasattr(p, "keras_layout") and (
                    keras_layout or (g.shape != p.shape and tuple(g.shape) == p.keras_shape)):
                g = p.keras_layout.from_keras(g)  # also a gradient a program made in the weight's Keras layout
            if g.stride() != p.stride() and g.shape == p.shape:
                # The fused Adam steps read a gradient as if laid out like its weight: a gradient
                # of other strides (contiguous, for a channels-last kernel) is copied into that layout.
                g = torch.empty_like(p).copy_(g)
            grads.append(g)
            params.append(p)
        if reducing is not None:
            grads = reducing.reduce_gradients(grads, params)
            params = [p for g, p in zip(grads, params) if g is not None]
            grads = [g for g in grads if g is not None]
        if pairs and not params:
            raise ValueError("No gradients provided for any variable.")
        if params:
            if params[0].device != self._device:
                self._move_slots(params[0].device)
            if self.loss_scale_factor is not None:
                grads = torch._foreach_div(grads, self.loss_scale_factor)
            if self.gradient_accumulation_steps:
                self._accumulate_and_maybe_update(grads, params)
            else:
                self._update_with(grads, params)
            if self.use_ema:  # every step, as Keras: also those that only accumulate gradients
                self._update_ema()
            for p in self._constrained:
                p.copy_(p.keras_layout.from_keras(p.constraint(p.keras_layout.to_keras(p))))
        self._iterations += 1

    def _update_with(self, grads, params):
        grads = self._clip(grads)
        step = int(self.iterations) + 1
        lr = self._current_lr(self._iterations)
        self._apply_weight_decay(params, lr)
        self._update(params, grads, self._slots_for(params), lr, step)

    def _apply_weight_decay(self, params, lr):
        """Decoupled weight decay before the update: `w *= 1 - wd * lr`."""
        if self.weight_decay is not None and self.weight_decay != 0:
            decayed = [p for p in params if self._use_weight_decay(p)]
            if decayed:
                torch._foreach_mul_(decayed, 1.0 - self.weight_decay * lr)

    def _move_slots(self, device):
        """The model moved (e.g. to a GPU after its optimizer state was loaded): follow it."""
        for var in [*self._ema, *self._accumulators, *(v for slot in self._slots.values() for v in slot),
                    *self._custom_variables]:
            var.data = var.data.to(device)
        self._device = device
        self._slot_cache = {}

    def _slots_for(self, params):
        """The slot lists matching `params` (cached: the same variables train every step)."""
        key = tuple(map(id, params))
        cached = self._slot_cache.get(key)
        if cached is None:
            idx = [self._index[k] for k in key]
            cached = {name: [var[i] for i in idx] for name, var in self._slots.items()}
            self._slot_cache[key] = cached
        return cached

    def _accumulate_and_maybe_update(self, grads, params):
        n = self.gradient_accumulation_steps
        accs = [self._accumulators[self._index[id(p)]] for p in params]
        if (self._iterations + 1) % n == 0:
            grads = torch._foreach_div(torch._foreach_add(grads, accs), float(n))
            self._update_with(grads, params)
            torch._foreach_zero_(accs)
        else:
            torch._foreach_add_(accs, grads)

    def _update_ema(self):
        momentum = self.ema_momentum if int(self.iterations) != 0 else 0.0
        torch._foreach_lerp_(self._ema, self._params, 1.0 - momentum)
        freq = self.ema_overwrite_frequency
        if freq and (int(self.iterations) + 1) % freq == 0:
            torch._foreach_copy_(self._params, self._ema)

    def finalize_variable_values(self, var_list):
        """Keras: at the end of fit, EMA optimizers copy the averages into the model."""
        if self.use_ema and self._ema:
            with torch.no_grad():
                torch._foreach_copy_(list(var_list), self._ema)

    def _clip(self, grads):
        if self.clipnorm and self.clipnorm > 0:
            norms = torch._foreach_norm(grads)
            # g * c / max(||g||, c), per tensor.
            scales = torch._foreach_div(torch._foreach_clamp_min(norms, self.clipnorm), self.clipnorm)
            return torch._foreach_div(grads, scales)
        if self.global_clipnorm and self.global_clipnorm > 0:
            # Every gradient times c / max(global_norm, c).
            total = torch.linalg.vector_norm(torch.stack(torch._foreach_norm(grads)))
            return torch._foreach_mul(grads, self.global_clipnorm / torch.clamp_min(total, self.global_clipnorm))
        if self.clipvalue and self.clipvalue > 0:
            v = self.clipvalue
            return torch._foreach_clamp_max(torch._foreach_clamp_min(grads, -v), v)
        return grads

    def _update(self, params, grads, slots, lr, step):
        if type(self).update_step is Optimizer.update_step:
            raise NotImplementedError(f"{type(self).__name__} defines no update rule: a subclass of "
                                      "keras.optimizers.Optimizer implements update_step(gradient, variable, "
                                      "learning_rate).")
        learning_rate = torch.tensor(lr, dtype=torch.float32, device=params[0].device if params else None)
        for p, g in zip(params, grads):
            self.update_step(g, p, learning_rate)

    # ------------------------------------------------------------------ Keras 3 custom-optimizer API
    # A subclass of keras.optimizers.Optimizer creates its state in build() with add_variable /
    # add_variable_from_reference and updates one variable per update_step() with assign*.

    def update_step(self, gradient, variable, learning_rate):
        raise NotImplementedError

    def add_variable(self, shape, initializer="zeros", dtype=None, aggregation="none", layout=None, name=None):
        from keraslite import initializers

        torch_dtype = backend.torch_dtype(dtype or backend.floatx())
        value = torch.as_tensor(initializers.get(initializer)(tuple(shape), dtype=torch_dtype), dtype=torch_dtype)
        name = name or f"variable_{len(self._custom_variables)}"
        var = Variable(value.to(self._device) if self._device is not None else value, trainable=False, name=name,
                       path=f"{self.name}/{name}")
        self._custom_variables.append(var)
        return var

    def add_variable_from_reference(self, reference_variable, name=None, initializer="zeros"):
        from keraslite import initializers

        layout = getattr(reference_variable, "keras_layout", IDENTITY)
        with torch.no_grad():
            value = layout.from_keras(torch.as_tensor(
                initializers.get(initializer)(tuple(layout.keras_shape(tuple(reference_variable.shape))),
                                              dtype=reference_variable.dtype), dtype=reference_variable.dtype))
        var = self._variable_like(reference_variable, name, value.to(reference_variable.device).contiguous())
        self._custom_variables.append(var)
        return var

    def __setstate__(self, state):
        # Unpickled: the variables are new objects, so the id-keyed lookups are rebuilt.
        self.__dict__.update(state)
        self._index = {id(p): i for i, p in enumerate(self.__dict__.get("_params") or [])}
        if "_slot_cache" in self.__dict__:
            self._slot_cache = {}

    def _get_variable_index(self, variable):
        return self._index[id(variable)]

    @staticmethod
    def _value_for(variable, value):
        return torch.as_tensor(value, dtype=variable.dtype, device=variable.device)

    def assign(self, variable, value):
        variable.data.copy_(self._value_for(variable, value))

    def assign_add(self, variable, value):
        variable.data.add_(self._value_for(variable, value))

    def assign_sub(self, variable, value):
        variable.data.sub_(self._value_for(variable, value))

    @property
    def _scales_loss(self):
        """Whether the training step must pass the loss through `scale_loss` before backward."""
        return self.loss_scale_factor is not None

    def scale_loss(self, loss):
        """The loss the training step differentiates: times `loss_scale_factor` when set (the
        update divides the gradients by it again)."""
        if self.loss_scale_factor is not None:
            return loss * self.loss_scale_factor
        return loss

    # ------------------------------------------------------------------ CUDA-graph stepping
    #
    # A captured graph replays the same kernels with the same arguments, so every number an
    # update takes that changes from step to step (the learning rate, Adam's bias-corrected
    # step size, the weight-decay factor) lives in a 0-d device tensor that the host fills
    # before each replay. Subclasses that support this implement `_graph_scalars` (host
    # floats for one step) and `_graph_update` (the update written with those tensors).

    _graph_scalars = None  # (lr, step) -> {name: float}; None where an optimizer has no graph form

    def _graph_capable(self):
        return (self._graph_scalars is not None and not self.use_ema and not self.gradient_accumulation_steps
                and not self._scales_loss and type(self).apply is Optimizer.apply)

    def _graph_prepare(self, device):
        """Create the per-step scalar tensors (once, outside capture)."""
        names = list(self._graph_scalars(self._current_lr(self._iterations), int(self._iterations) + 1))
        if self.weight_decay:
            names.append("decay")
        self._graph_tensors = {n: torch.zeros((), dtype=torch.float32, device=device) for n in names}
        self._graph_fill()

    def _graph_fill(self):
        """Host side of one graph step: this step's scalars into their tensors (no sync)."""
        lr = self._current_lr(self._iterations)
        values = self._graph_scalars(lr, int(self._iterations) + 1)
        if self.weight_decay:
            values["decay"] = 1.0 - self.weight_decay * lr
        for name, value in values.items():
            self._graph_tensors[name].fill_(value)

    @torch.no_grad()
    def _graph_apply(self, params, grads):
        """The update as recorded in the graph: the same order as `_apply`/`_update_with`."""
        if self.loss_scale_factor is not None:
            grads = torch._foreach_div(grads, self.loss_scale_factor)
        grads = self._clip(grads)
        scalars = self._graph_tensors
        if self.weight_decay:
            decayed = [p for p in params if self._use_weight_decay(p)]
            if decayed:
                torch._foreach_mul_(decayed, scalars["decay"])
        self._graph_update(params, grads, self._slots_for(params), scalars)
        for p in self._constrained:
            p.copy_(p.keras_layout.from_keras(p.constraint(p.keras_layout.to_keras(p))))

    def _graph_step_done(self):
        self._iterations += 1

    def _graph_update(self, params, grads, slots, scalars):
        raise NotImplementedError

    # ------------------------------------------------------------------ variables and weights

    @property
    def variables(self):
        """Keras 3 order: iteration, learning_rate (not for schedules), EMA averages,
        gradient accumulators, then the slots in the optimizer's own order. Each is a
        Variable whose `numpy()`/`assign()` speak the Keras layout."""
        out = [Variable(torch.tensor(int(self._iterations), dtype=torch.int32), trainable=False,
                        name="iteration", path=f"{self.name}/iteration")]
        out[0]._optimizer_role = "iteration"
        if not callable(self._learning_rate):
            lr = Variable(torch.tensor(self._learning_rate, dtype=torch.float32), trainable=False,
                          name="learning_rate", path=f"{self.name}/learning_rate")
            lr._optimizer_role = "learning_rate"
            out.append(lr)
        out.extend(self._ema)
        out.extend(self._accumulators)
        if self._slots:  # before build() an optimizer has no slots yet (as in Keras)
            out.extend(self._slot_variables())
        out.extend(self._custom_variables)
        return out

    def _slot_variables(self):
        """Slots as Keras lists them: all slot names interleaved per parameter."""
        out = []
        for i in range(len(self._params)):
            for name in self._slot_names:
                out.append(self._slots[name][i])
        return out

    def get_weights(self):
        return [v.numpy() for v in self.variables]

    def set_weights(self, weights):
        if not self.built:
            raise ValueError("You are calling `set_weights()` on an optimizer that has not yet been built. Call "
                             "`optimizer.build(trainable_variables)` first.")
        variables = self.variables
        weights = list(weights)
        if len(weights) != len(variables):
            raise ValueError(f"Optimizer '{self.name}' has {len(variables)} variables "
                             f"({[v.path for v in variables]}) but {len(weights)} arrays were given.")
        for v, w in zip(variables, weights):
            w = np.asarray(w)
            if tuple(w.shape) != tuple(v.keras_shape):
                raise ValueError(f"Optimizer variable '{v.path}' has shape {tuple(v.keras_shape)}, not compatible "
                                 f"with provided weight shape {tuple(w.shape)}.")
            role = getattr(v, "_optimizer_role", None)
            if role == "iteration":
                self._iterations = int(w)
            elif role == "learning_rate":
                self._learning_rate = float(w)
            else:
                v.assign(w)

    def _state_from_tf_keras(self, values):
        """A tf.keras 2.11+ file's optimizer state (iteration, then the slots) in this optimizer's
        variable layout: the configured learning rate put where Keras 3 keeps it (such files keep
        it in the optimizer config, not as a variable). State already in Keras 3's layout is
        returned as it is. SGD and Nadam adjust their different set of variables first."""
        values = list(values)
        if not callable(self._learning_rate) and len(values) == len(self.variables) - 1 and np.ndim(values[0]) == 0:
            values.insert(1, np.asarray(self._learning_rate, dtype="float32"))
        return values

    def _load_optimizer_v2_state(self, named_values):
        """Restore the state an OptimizerV2 file holds as (name, array) pairs: `<Opt>/iter:0`, then
        `<Opt>/<weight path>/<slot>:0` slot by slot, each over every weight in order (Keras 3
        interleaves them per weight instead). Scalars other than the iteration count (Nadam's
        `momentum_cache`) are rebuilt by the optimizer. Raises ValueError on a mismatch."""
        iterations, slots = None, {}
        for name, value in named_values:
            parts = name.rsplit(":", 1)[0].split("/")
            if parts[-1] in ("iter", "iterations") and np.ndim(value) == 0:
                iterations = int(value)
            elif len(parts) >= 3:
                slots.setdefault(parts[-1], []).append(value)
        unknown = sorted(set(slots) - set(self._optimizer_v2_slots))
        if iterations is None or unknown:
            raise ValueError(f"not the state of a tf.keras {type(self).__name__} (iteration count: {iterations}; "
                             f"unknown slots: {unknown})")
        for legacy, values in slots.items():
            targets = self._slots.get(self._optimizer_v2_slots[legacy])
            if targets is None or len(targets) != len(values):
                raise ValueError(f"slot '{legacy}' holds {len(values)} arrays for {len(self._params)} weights")
            for target, value in zip(targets, values):
                if tuple(np.shape(value)) != tuple(target.keras_shape):
                    raise ValueError(f"slot '{legacy}' of '{target.path}' has shape {np.shape(value)}, expected "
                                     f"{tuple(target.keras_shape)}")
        for legacy, values in slots.items():
            for target, value in zip(self._slots[self._optimizer_v2_slots[legacy]], values):
                target.assign(value)
        self._iterations = iterations
        self._state_restored(iterations)

    def _state_restored(self, iterations):
        """Called after state was restored from a file that lacks some of this optimizer's
        variables, to rebuild them from the iteration count."""

    def _tf_keras_variable_count(self):
        """How many variables a tf.keras 2.11+ file holds for this optimizer's own layout: all of
        `variables` but the learning rate."""
        return len(self.variables) - (0 if callable(self._learning_rate) else 1)

    def save_own_variables(self, store):
        for i, w in enumerate(self.get_weights()):
            store[str(i)] = w

    def load_own_variables(self, store):
        if len(store.keys()) != len(self.variables):
            warnings.warn(f"Skipping variable loading for optimizer '{self.name}', because it has "
                          f"{len(self.variables)} variables whereas the saved optimizer has {len(store.keys())} "
                          "variables.", stacklevel=2)
            return
        self.set_weights([np.asarray(store[str(i)]) for i in range(len(store.keys()))])

    # ------------------------------------------------------------------ config

    def get_config(self):
        lr = self._learning_rate
        if isinstance(lr, schedules_mod.LearningRateSchedule):
            lr = schedules_mod.serialize(lr)
        elif callable(lr):
            from keraslite.saving.serialization import serialize_keras_object

            lr = serialize_keras_object(lr)
        else:
            lr = float(np.float32(lr))  # Keras stores the rate in a float32 variable
        config = {
            "name": self.name,
            "learning_rate": lr,
            "weight_decay": self.weight_decay,
            "clipnorm": self.clipnorm,
            "global_clipnorm": self.global_clipnorm,
            "clipvalue": self.clipvalue,
            "use_ema": self.use_ema,
            "ema_momentum": self.ema_momentum,
            "ema_overwrite_frequency": self.ema_overwrite_frequency,
            "loss_scale_factor": self.loss_scale_factor,
            "gradient_accumulation_steps": self.gradient_accumulation_steps,
        }
        if self.decay:
            config["decay"] = self.decay
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        if isinstance(config.get("learning_rate"), dict):
            config["learning_rate"] = schedules_mod.deserialize(config["learning_rate"], custom_objects)
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}, learning_rate={self._learning_rate}>"
