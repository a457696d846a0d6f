"""Keras 1/2's graph functions on the backend: `K.function(inputs, outputs)`,
`K.learning_phase()` and `K.set_learning_phase(value)`.

    get_3rd_layer_output = K.function([model.layers[0].input, K.learning_phase()],
                                      [model.layers[3].output])
    out = get_3rd_layer_output([x, 0])[0]   # 0 = test phase, 1 = train phase

Owns the learning-phase placeholder and the callable that feeds values to symbolic inputs
and returns numpy outputs. The graph between inputs and outputs is a functional Model
(keraslite.models); `updates=` (Keras 1's graph-level training ops) has no equivalent.
"""
import numpy as np
import torch

__all__ = ["function", "learning_phase", "set_learning_phase", "KerasFunction"]


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

        if updates:
            raise NotImplementedError(
                "K.function(..., updates=...) is not supported: keraslite runs eagerly on PyTorch, without "
                "graph-level update ops. Train with model.fit / train_on_batch, or write the step with "
                "tf.GradientTape.")
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
        self._n_inputs = len(inputs)
        # Named, so that it takes no default "functional" uid from the models the script makes.
        self._model = Model(inputs=tensors, outputs=outputs, name=name or "k_function")

    def __call__(self, values):
        from keraslite import backend
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
        with torch.no_grad():
            outputs = self._model(tensors if len(tensors) != 1 else tensors[0], training=training)
        outputs = outputs if isinstance(outputs, (list, tuple)) else [outputs]
        return [o.detach().cpu().numpy() if isinstance(o, torch.Tensor) else np.asarray(o) for o in outputs]


def function(inputs, outputs, updates=None, name=None, **kwargs):
    """Keras 1/2 `K.function`: a callable from a list of input values to a list of numpy outputs."""
    return KerasFunction(inputs, outputs, updates=updates, name=name)
