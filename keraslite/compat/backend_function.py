"""Keras 1/2's graph functions on the backend: `K.function(inputs, outputs)`,
`K.gradients(loss, variables)`, `K.placeholder(shape)`, `K.learning_phase()` and
`K.set_learning_phase(value)`.

    get_3rd_layer_output = K.function([model.layers[0].input, K.learning_phase()],
                                      [model.layers[3].output])
    out = get_3rd_layer_output([x, 0])[0]   # 0 = test phase, 1 = train phase

Owns the learning-phase placeholder and the callable that feeds values to symbolic inputs
and returns numpy outputs. The graph between inputs and outputs is a functional Model
(keraslite.models). `updates=` takes what Keras 2 put there: an optimizer's
`get_updates(loss, params)` (a training step on a symbolic loss), `K.update` /
`K.update_add` / `K.moving_average_update` of a variable with a symbolic value, and
(variable, new_value) pairs. The same graph computes the outputs, the losses and the new
values; after the outputs are taken, each optimizer applies its step and each variable is
assigned, as TensorFlow ran the update ops after the outputs.
A symbolic gradient is a graph node too: it reruns the graph from the tensors it is taken with
respect to (and the other inputs the loss needs) under autograd, so that
`K.function([input_img], [loss, grads])` gives TensorFlow's `tf.gradients` numbers.
"""
import functools

import numpy as np
import torch

__all__ = ["function", "gradients", "placeholder", "learning_phase", "set_learning_phase", "KerasFunction",
           "OptimizerUpdate", "Assignment", "optimizer_updates", "assignment"]


class _LearningPhase:
    """The placeholder `K.learning_phase()` returns: an input of K.function fed 0 (test) or 1 (train)."""

    def __repr__(self):
        return "<learning_phase placeholder: feed 0 (test) or 1 (train)>"


LEARNING_PHASE = _LearningPhase()
_PHASE = None  # set by set_learning_phase; None means "fed, else test"


def learning_phase():
    """The learning phase: the value set with set_learning_phase, else a placeholder for K.function."""
    return LEARNING_PHASE if _PHASE is None else _PHASE


def set_learning_phase(value):
    global _PHASE
    if value not in (0, 1):
        raise ValueError(f"Expected learning phase to be 0 or 1; received {value!r}.")
    _PHASE = int(value)


def _is_phase(x):
    return x is LEARNING_PHASE


class KerasFunction:
    """Calls the graph from `inputs` to `outputs` on a list of values; returns a list of numpy arrays."""

    def __init__(self, inputs, outputs, updates=None, name=None):
        from keraslite.backend import is_keras_tensor
        from keraslite.models import Model

        self.name = name
        self._single_output = not isinstance(outputs, (list, tuple))
        inputs = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
        outputs = [outputs] if self._single_output else list(outputs)
        self._phase_index = next((i for i, x in enumerate(inputs) if _is_phase(x)), None)
        tensors = [x for x in inputs if not _is_phase(x)]
        for i, x in enumerate(list(tensors) + outputs):
            if not is_keras_tensor(x):
                raise TypeError(f"K.function: inputs and outputs must be symbolic tensors (a layer's or model's "
                                f".input / .output, or K.learning_phase() among the inputs); received "
                                f"{type(x).__name__} {x!r:.80}.")
        self._steps, self._assignments = _collect_updates(updates)
        # The losses and new values the updates need, computed by the same graph after the outputs.
        extra = [u.loss for u in self._steps] + [a.value for a in self._assignments if is_keras_tensor(a.value)]
        self._n_outputs = len(outputs)
        self._n_inputs = len(inputs)
        # Named, so that it takes no default "functional" uid from the models the script makes.
        self._model = Model(inputs=tensors, outputs=outputs + extra, name=name or "k_function")

    def __call__(self, values):
        from keraslite import backend
        from keraslite.backend import is_keras_tensor
        from keraslite.training.data import to_tensor

        values = list(values) if isinstance(values, (list, tuple)) else [values]
        if len(values) != self._n_inputs:
            raise ValueError(f"K.function expects {self._n_inputs} input value(s), one per input it was made with "
                             f"(the learning phase included); received {len(values)}.")
        phase = _PHASE if _PHASE is not None else 0
        if self._phase_index is not None:
            phase = values.pop(self._phase_index)
        param = next(iter(self._model.parameters()), None)
        device = param.device if param is not None else backend.get_device()
        tensors = [to_tensor(v, device) for v in values]
        training = bool(int(np.asarray(phase)))
        # Autograd on only for a training step (also under an enclosing inference mode).
        with torch.inference_mode(False), torch.set_grad_enabled(bool(self._steps)):
            outputs = self._model(tensors if len(tensors) != 1 else tensors[0], training=training)
            outputs = list(outputs) if isinstance(outputs, (list, tuple)) else [outputs]
            extra = outputs[self._n_outputs:]
            outputs = outputs[:self._n_outputs]
            grads = [u.gradients(loss) for u, loss in zip(self._steps, extra)]
        for u, g in zip(self._steps, grads):
            u.optimizer.apply_gradients(zip(g, u.params))
        values = iter(extra[len(self._steps):])
        for a in self._assignments:
            a.apply(next(values) if is_keras_tensor(a.value) else a.value)
        return [o.detach().cpu().numpy() if isinstance(o, torch.Tensor) else np.asarray(o) for o in outputs]


class OptimizerUpdate:
    """A training step for K.function's `updates`: what Keras 2's `optimizer.get_updates(loss,
    params)` returned. Each call of the function computes `loss` (a symbolic tensor) from its
    inputs, and `optimizer` applies the gradients with respect to `params`."""

    def __init__(self, optimizer, loss, params):
        self.optimizer, self.loss, self.params = optimizer, loss, params

    def gradients(self, value):
        """The gradients of `value` for each of `params` (None where it does not depend on one)."""
        from keraslite.optimizers.base import gradients_of

        return gradients_of(value, self.params, retain_graph=True)

    def __repr__(self):
        return f"<{type(self.optimizer).__name__} update of {len(self.params)} variable(s)>"


def optimizer_updates(optimizer, loss, params, constraints=None):
    """`optimizer.get_updates(loss, params)` (Keras 2): a list holding the OptimizerUpdate to pass
    to K.function(..., updates=...)."""
    from keraslite.backend import is_keras_tensor

    name = f"{type(optimizer).__name__}.get_updates"
    if isinstance(loss, torch.Tensor):
        raise TypeError(f"{name}: `loss` is a computed tensor, not a symbolic one, so there is no graph to run "
                        "again at each step. Build the loss from a model's .input / .output and K.placeholder "
                        "tensors, or compute gradients with tf.GradientTape and call optimizer.apply_gradients.")
    if not is_keras_tensor(loss):
        raise TypeError(f"{name} expects `loss` to be a symbolic tensor (built from a model's .input / .output "
                        f"and K.placeholder tensors); received {type(loss).__name__} {loss!r:.80}.")
    if params is None:
        raise ValueError(f"{name} needs `params`, the variables to train (e.g. model.trainable_weights).")
    params = list(params)
    for p in params:
        if not isinstance(p, torch.Tensor):
            raise TypeError(f"{name}: `params` must be variables (model.trainable_weights); received "
                            f"{type(p).__name__} {p!r:.80}.")
    if constraints:
        raise ValueError(f"{name}: `constraints` must be empty; give layers their constraints instead "
                         "(Dense(..., kernel_constraint=...)), which every optimizer step applies.")
    return [OptimizerUpdate(optimizer, loss, params)]


_COMBINE = {
    "assign": lambda old, value, momentum: value,
    "add": lambda old, value, momentum: old + value,
    "sub": lambda old, value, momentum: old - value,
    "moving_average": lambda old, value, momentum: old * momentum + value * (1 - momentum),
}


class Assignment:
    """A variable update for K.function's `updates`: `K.update(x, new_x)` and its kin on a
    symbolic value, or a (variable, new_value) pair. `value` is computed by the function's
    graph at each call; `apply` writes the result into the variable."""

    def __init__(self, variable, value, kind="assign", momentum=None):
        self.variable, self.value, self.kind, self.momentum = variable, value, kind, momentum

    def apply(self, value):
        x = self.variable
        with torch.no_grad():
            value = torch.as_tensor(value, device=x.device)
            new = _COMBINE[self.kind](x, value, self.momentum)
            if hasattr(x, "assign"):  # a keraslite Variable, whose value may be stored permuted
                x.assign(new)
            else:
                x.copy_(torch.broadcast_to(new, x.shape))

    def __repr__(self):
        return f"<{self.kind} update of {getattr(self.variable, 'path', tuple(self.variable.shape))}>"


def assignment(variable, value, kind, momentum=None):
    """K.update / update_add / update_sub / moving_average_update: done now on a computed value
    (returning the variable), or an Assignment for K.function when `value` is symbolic."""
    from keraslite.backend import is_keras_tensor

    if not isinstance(variable, torch.Tensor) or is_keras_tensor(variable):
        raise TypeError(f"K.update and its kin change a variable (K.variable, a layer's weight); received "
                        f"{type(variable).__name__} {variable!r:.80}.")
    update = Assignment(variable, value, kind, momentum)
    if is_keras_tensor(value):
        return update
    update.apply(value)
    return variable


def _collect_updates(updates):
    """K.function's `updates` as (OptimizerUpdate list, Assignment list)."""
    from keraslite.backend import is_keras_tensor

    if updates is None:
        return [], []
    if not isinstance(updates, (list, tuple)):
        raise TypeError(f"K.function: `updates` should be a list or tuple; received {type(updates).__name__}.")
    steps, assignments = [], []
    for u in updates:
        if isinstance(u, OptimizerUpdate):
            steps.append(u)
        elif isinstance(u, Assignment):
            assignments.append(u)
        elif isinstance(u, (list, tuple)) and len(u) == 2 and isinstance(u[0], torch.Tensor) \
                and not is_keras_tensor(u[0]):
            assignments.append(Assignment(u[0], u[1]))
        elif isinstance(u, (list, tuple)):  # a nested list, as `opt.get_updates(...) + other_updates`
            inner_steps, inner_assignments = _collect_updates(u)
            steps += inner_steps
            assignments += inner_assignments
        elif isinstance(u, torch.Tensor) and not is_keras_tensor(u):
            continue  # a variable K.update already changed (its value was not symbolic)
        else:
            raise TypeError(f"K.function: each of `updates` should be what optimizer.get_updates or K.update "
                            f"returns, or a (variable, new_value) pair; received {type(u).__name__} {u!r:.80}.")
    return steps, assignments


def function(inputs, outputs, updates=None, name=None, **kwargs):
    """Keras 1/2 `K.function`: a callable from a list of input values to a list of numpy outputs."""
    return KerasFunction(inputs, outputs, updates=updates, name=name)


def placeholder(shape=None, ndim=None, dtype=None, sparse=False, name=None):
    """Keras 2 `K.placeholder(shape=(1, h, w, 3))`: a symbolic input whose shape includes the
    batch dimension (None for an unknown size); `ndim=` alone gives all-unknown dimensions."""
    from keraslite import backend
    from keraslite.layers.input_layer import Input

    if shape is None:
        if ndim is None:
            raise ValueError("K.placeholder needs `shape` (with the batch dimension) or `ndim`.")
        shape = (None,) * int(ndim)
    return Input(batch_shape=tuple(shape), dtype=dtype or backend.floatx(), sparse=sparse or None, name=name)


def _graph_inputs(tensor, stop_ids):
    """The keras.Input tensors `tensor` is computed from, not looking past the tensors in stop_ids."""
    from keraslite.models.functional import producer_node

    found, seen, stack = [], set(), [tensor]
    while stack:
        t = stack.pop()
        if id(t) in seen or id(t) in stop_ids:
            continue
        seen.add(id(t))
        node = producer_node(t)
        if node.is_input:
            found.append(t)
        else:
            stack.extend(node.input_tensors)
    return found


@functools.lru_cache(maxsize=None)
def _gradient_layer():
    # Defined on first use: keraslite.layers imports this module's siblings at import time.
    from keraslite.layers.layer import Layer

    class Gradient(Layer):
        """d(sum of the loss)/d(inputs[0]): `loss_graph` (a Model from [variable, *others] to the
        loss) rerun under autograd on the values this node is given. With `weight`, the gradient
        is the weight's (in its Keras layout) and every input feeds the loss graph."""

        # The gradient has its variable's shape and dtype: say so instead of tracing the loss
        # graph on placeholder sizes (a deep convnet does not fit the small ones).
        _symbolic_by_spec = True

        def __init__(self, loss_graph, weight=None, **kwargs):
            super().__init__(trainable=False, **kwargs)
            # In plain lists, so that the loss graph's layers and the weight are not tracked here.
            self._loss_graph, self._weight = [loss_graph], [weight]

        def call(self, inputs, training=None):
            values = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
            weight = self._weight[0]
            # Autograd on, also under predict's inference mode (values copied out of it).
            with torch.inference_mode(False), torch.enable_grad():
                values = [v.clone() if isinstance(v, torch.Tensor) else v for v in values]
                x = weight if weight is not None else values[0].detach().requires_grad_(True)
                if weight is None:
                    values[0] = x
                value = self._loss_graph[0](values if len(values) > 1 else values[0], training=training)
                grad = None
                if value.requires_grad:
                    (grad,) = torch.autograd.grad(value, x, grad_outputs=torch.ones_like(value), allow_unused=True)
            if weight is not None:
                grad = torch.zeros_like(weight) if grad is None else grad
                return weight.keras_layout.to_keras(grad) if hasattr(weight, "keras_layout") else grad
            # A variable the loss does not depend on gets zeros (tf.gradients gives None there,
            # which K.function could not return).
            return torch.zeros_like(x) if grad is None else grad

        def compute_output_spec(self, inputs, **kwargs):
            from keraslite.layers.keras_tensor import KerasTensor

            weight = self._weight[0]
            if weight is not None:
                shape = weight.keras_shape if hasattr(weight, "keras_layout") else tuple(weight.shape)
                return KerasTensor(shape, dtype=weight.dtype)
            x = inputs[0] if isinstance(inputs, (list, tuple)) else inputs
            return KerasTensor(x.shape, dtype=x.dtype)

        def compute_output_shape(self, input_shape):
            return input_shape[0] if isinstance(input_shape, list) else input_shape

    return Gradient


class GradientsNeedAutograd(RuntimeError):
    """K.gradients was called, inside a layer, on tensors computed without autograd (predict,
    evaluate, torch.no_grad): the functional model that runs the layer catches this and runs
    its graph again with autograd on."""


def _eager_gradients(loss, variables):
    # K.gradients inside a layer's call (a Lambda on real tensors): torch.autograd on the graph
    # recorded while the tensors were computed.
    from torch._subclasses.fake_tensor import FakeTensor

    from keraslite.models import functional

    if any(not isinstance(v, torch.Tensor) for v in variables):
        # A loss written for Keras 2 takes gradients with respect to a tensor of the model
        # (WGAN-GP's penalty: K.gradients(y_pred, interpolated_samples)): its value in the
        # forward pass now being trained, recorded by live_graph_values.
        live = functional._live_operands(list(variables), {})
        if live is not None:
            variables = live[0]
    for v in variables:
        if not isinstance(v, torch.Tensor):
            raise TypeError(f"K.gradients on tensors: `variables` must be tensors as well; received "
                            f"{type(v).__name__}.")
    if loss.grad_fn is None:
        if isinstance(loss, FakeTensor):
            # Shape inference of the layer on placeholder tensors: only the shapes matter.
            return [torch.zeros_like(v) for v in variables]
        raise GradientsNeedAutograd(
            "K.gradients: `loss` was computed without autograd (inside torch.no_grad / inference mode, or "
            "from tensors that do not depend on the variables), so it has no gradient to take. Call it "
            "inside a functional model's layer, or compute the loss with autograd on.")
    wanted = [i for i, v in enumerate(variables) if v.requires_grad]
    # With autograd on (a training step), the gradients are differentiable in turn, as TF's
    # symbolic ones were: a gradient penalty then trains the weights it depends on.
    found = torch.autograd.grad(loss, [variables[i] for i in wanted], grad_outputs=torch.ones_like(loss),
                                retain_graph=True, allow_unused=True, create_graph=torch.is_grad_enabled())
    grads = [torch.zeros_like(v) for v in variables]
    for i, g in zip(wanted, found):
        if g is not None:
            grads[i] = g
    return grads


def gradients(loss, variables):
    """Keras 2 `K.gradients(loss, variables)`: symbolic gradients of `loss` (summed when it is not
    a scalar, as tf.gradients does) with respect to each symbolic tensor in `variables`, to be
    evaluated with K.function. Returns a list, one gradient per variable."""
    from keraslite import backend
    from keraslite.backend import is_keras_tensor
    from keraslite.models import Model

    single = not isinstance(variables, (list, tuple))
    variables = [variables] if single else list(variables)
    if isinstance(loss, torch.Tensor):
        return _eager_gradients(loss, variables)
    if not is_keras_tensor(loss):
        raise TypeError(f"K.gradients: `loss` must be a symbolic tensor computed from a model's tensors "
                        f"(a layer's .output, an Input, K.placeholder); received {type(loss).__name__}.")
    grads = []
    for v in variables:
        if isinstance(v, torch.Tensor) and v.requires_grad and not is_keras_tensor(v):
            # A weight (model.trainable_weights): the loss graph rerun on its inputs, under autograd.
            inputs = _graph_inputs(loss, set())
            if not inputs:
                raise ValueError("K.gradients: the loss depends on no input tensor, so there is nothing to feed "
                                 "K.function; compute it with tf.GradientTape instead.")
            name = backend.get_uid("gradients")
            graph = Model(inputs=inputs, outputs=loss, name=name + "_loss")
            grads.append(_gradient_layer()(graph, weight=v, name=name)(inputs if len(inputs) > 1 else inputs[0]))
            continue
        if not is_keras_tensor(v):
            raise TypeError(f"K.gradients differentiates with respect to symbolic tensors (an Input, "
                            f"K.placeholder, a layer's .output) and weights (model.trainable_weights); "
                            f"received {type(v).__name__} {v!r:.80}.")
        others = _graph_inputs(loss, {id(v)})
        name = backend.get_uid("gradients")
        graph = Model(inputs=[v, *others] if others else v, outputs=loss, name=name + "_loss")
        layer = _gradient_layer()(graph, name=name)
        grads.append(layer([v, *others]) if others else layer(v))
    return grads
