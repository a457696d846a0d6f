"""The training loops: compile, fit, evaluate, predict, the *_on_batch calls and the default
train/test/predict steps (Model delegates all of these here).

Owns: compile state on the model (`_compile_config` as the user passed it, `optimizer`, `loss`,
`compiled_loss`, `compiled_metrics`, the loss tracker), the fit loop with every callback call
visible in one function, validation, and the step functions.

Leaves to others: turning inputs into device batches (data.py), resolving losses/metrics
(compile_utils.py), callbacks (callbacks.py), the bar text (progbar.py), the math of losses,
metrics and optimizers (keraslite.losses / metrics / optimizers).

Speed: a step of the built-in path is forward, loss, backward, optimizer step, grads set to
None, and an on-device add to the running loss; nothing reads values back to the host. Logs
are only built (one device->host read) when a callback that takes them asks: the progress
bar at its redraw rate, a user callback that overrides a batch hook, or the epoch end.
A model that overrides `train_step` gets Keras's contract instead (its returned dict is the
logs). On CUDA the built-in step is recorded as a graph and replayed (cuda_graph.py).
"""
import contextlib
import inspect
import warnings
import weakref

import numpy as np
import torch

from keraslite import backend, config
from keraslite.layers.layer import carry_mask
from keraslite.models import functional
from keraslite.training import data as data_mod
from keraslite.training import distributed
from keraslite.training.denormals import in_loop
from keraslite.training.callbacks import CallbackList, History, ProgbarLogger
from keraslite.training.compile_utils import CompiledLoss, CompiledMetrics, LossTracker
from keraslite.training.cuda_graph import graph_train_step
from keraslite.training.logs import Logs
from keraslite.utils.io_utils import warn_user

__all__ = ["compile", "fit", "evaluate", "predict", "train_on_batch", "test_on_batch", "predict_on_batch",
           "default_train_step", "default_test_step", "default_predict_step"]

_LEGACY_COMPILE_KWARGS = {"sample_weight_mode", "target_tensors", "distribute", "experimental_run_tf_function",
                          "options", "pss_evaluation_shards"}
_LEGACY_LOOP_KWARGS = {"workers", "use_multiprocessing", "max_queue_size"}


def _set_training_mode(model, training):
    """torch's train()/eval() of the model and its layers, called through nn.Module: programs
    set attributes named `train` on their models (image-segmentation-keras's `model.train =
    train`), as tf.keras allowed."""
    torch.nn.Module.train(model, training)


def _check_loop_kwargs(method, kwargs):
    """Drop the arguments old Keras versions accepted and ignored; reject anything else."""
    if kwargs.pop("show_accuracy", None) is not None:  # Keras 0.3; Keras 1 warned and ignored it
        warnings.warn('The "show_accuracy" argument is deprecated, instead you should pass the "accuracy" '
                      'metric to the model at compile time: `model.compile(optimizer, loss, '
                      'metrics=["accuracy"])`', stacklevel=4)
    unknown = set(kwargs) - _LEGACY_LOOP_KWARGS
    if unknown:
        raise TypeError(f"{method}() got unexpected keyword argument(s) {sorted(unknown)}.")


# ----------------------------------------------------------------------------- compile

def _looks_like_metrics(value):
    """True for what only `metrics` can hold: metric names, objects or functions (loss
    weights are numbers), alone, in a list or as the values of a dict."""
    def metric_like(v):
        return isinstance(v, str) or callable(v) or (isinstance(v, (list, tuple)) and any(metric_like(i) for i in v))

    if isinstance(value, dict):
        return any(metric_like(v) for v in value.values())
    return metric_like(value)


def compile(model, optimizer="rmsprop", loss=None, loss_weights=None, metrics=None, weighted_metrics=None,
            run_eagerly=False, steps_per_execution=1, jit_compile="auto", auto_scale_loss=True, **kwargs):
    """Configure training. Arguments keep Keras's names and defaults; `run_eagerly`,
    `steps_per_execution` and `jit_compile` are accepted and stored (every step runs eagerly)."""
    from keraslite import optimizers

    if loss_weights is not None and _looks_like_metrics(loss_weights) and (
            metrics is None or not _looks_like_metrics(metrics)):
        # Keras 1/2 order: compile(optimizer, loss, metrics, loss_weights). Loss weights are
        # numbers, never metric names or objects, so the positional form is unambiguous.
        loss_weights, metrics = metrics, loss_weights
    unknown = set(kwargs) - _LEGACY_COMPILE_KWARGS
    if unknown:
        raise TypeError(f"compile() got unexpected keyword argument(s) {sorted(unknown)}. Valid arguments are "
                        "optimizer, loss, loss_weights, metrics, weighted_metrics, run_eagerly, "
                        "steps_per_execution, jit_compile, auto_scale_loss.")
    model._compile_config = {"optimizer": optimizer, "loss": loss, "loss_weights": loss_weights,
                             "metrics": metrics, "weighted_metrics": weighted_metrics, "run_eagerly": run_eagerly,
                             "steps_per_execution": steps_per_execution, "jit_compile": jit_compile,
                             "auto_scale_loss": auto_scale_loss}
    model.optimizer = optimizers.get(optimizer)
    # As Keras 3 does, a recompile that gives no loss keeps the previous loss and metrics:
    # `compile(optimizer=Adam(1e-5))` changes only the optimizer. A recompile that gives a loss
    # but no metrics has none, as in Keras 2 (Keras 3 kept the old ones there, so that
    # evaluate() still returned a list where the program expects the loss alone).
    if loss is not None or getattr(model, "compiled_loss", None) is None:
        if loss is not None or not hasattr(model, "loss"):
            model.loss = loss  # as Keras: no loss given leaves a `self.loss` the model set itself
        # `loss=[None, None]` (tf.keras 2's spelling for a model that trains on its add_loss
        # penalties alone, as Mask R-CNN does) is no loss at all, like `loss=None`.
        given = list(loss.values()) if isinstance(loss, dict) else loss
        no_loss = isinstance(given, (list, tuple)) and all(entry is None for entry in given)
        model.compiled_loss = CompiledLoss(loss, loss_weights) if loss is not None and not no_loss else None
        if model.compiled_loss is not None:
            model.compiled_loss._names_for = _OutputNames(model)
    if (metrics is not None or weighted_metrics is not None or loss is not None
            or getattr(model, "compiled_metrics", None) is None):
        model.compiled_metrics = CompiledMetrics(metrics, weighted_metrics)
        model.compiled_metrics._names_for = _OutputNames(model)
    model._loss_tracker = LossTracker("loss")
    if model.compiled_loss is not None:
        model.compiled_loss.total_tracker = model._loss_tracker
    # Keras builds a freshly compiled loss / metrics from one batch of the first fit or evaluate,
    # which draws from torch's global generator (see `_keras_build_draws`).
    model._compiled_unbuilt = loss is not None or metrics is not None or weighted_metrics is not None
    # compile() fixes which weights train, as Keras documents ("the trainable attribute values at
    # the time the model is compiled should be preserved ... until compile is called again") and
    # Keras 2 did: the Keras 2 GAN recipe freezes its discriminator after compiling it, so that
    # it still trains on its own and stays fixed inside the combined model compiled next.
    st = _state(model)
    st.params = list(model.trainable_weights) if _all_built(model) else None
    st.params_checked = False
    model.run_eagerly = run_eagerly
    model.steps_per_execution = steps_per_execution
    model.jit_compile = jit_compile
    model.compiled = True
    model.stop_training = False


class NotCompiledError(ValueError, RuntimeError):
    """Training or evaluating a model before compile(): a ValueError as Keras 3 raises it, and a
    RuntimeError as tf.keras 2 and Keras 2 raised it, so either dialect's `except` catches it."""


def _check_compiled(model, what):
    if not getattr(model, "compiled", False):
        raise NotCompiledError(f"You must call `compile()` before using the model in `{what}()`: for example "
                           f"`model.compile(optimizer='adam', loss='mse')`, then `model.{what}(...)`.")


# ----------------------------------------------------------------------------- model helpers

def _device():
    return backend.get_device()


def _all_built(model):
    """Whether every layer that makes weights has made them. A weightless layer that was never
    called alone (a LeakyReLU passed as an activation, Activation(LeakyReLU(0.2))) does not
    count: compile() then fixes the trained weights as for any built model."""
    if not model.built:
        return False
    from keraslite.layers.layer import Layer

    return all(getattr(layer, "built", True) or type(layer).build is Layer.build
               for layer in model._flatten_layers())


def _expand_1d(model, x):
    """tf.keras 2 and Keras 2 took a 1-D array of numbers as one value per sample, (N,) as
    (N, 1): `Sequential([Dense(1)]).fit(xs, ys)` with xs = np.array([-1.0, 0.0, 1.0, ...]). A
    model not built yet learns that shape; a built model keeps its own (its inputs adjust)."""
    if isinstance(x, np.ndarray) and x.ndim == 1 and x.dtype.kind == "f" and not _all_built(model):
        return x.reshape(-1, 1)
    return x


def _prepare_model(model, first_x, device, build=False):
    """Build lazily-built weights and move the model to `device`.

    Weights are created on the CPU when a layer first sees data; on another device (or with
    `build`: a multi-process run, whose processes then take process 0's weights before the
    first step) the model is built first with a dry forward on two samples (no gradients,
    inference mode of layers), then moved, so the first real step already runs on the device.
    """
    if (build or device.type != "cpu") and first_x is not None and not _all_built(model):
        was_training = model.training
        _set_training_mode(model, False)
        with torch.no_grad():
            model(data_mod.map_structure(lambda t: t[:2].cpu(), first_x))
        model.train(was_training)
        if hasattr(model, "_clear_losses"):
            model._clear_losses()
    _to_device(model, device)


def _to_device(model, device):
    params = list(model.parameters())
    if params and params[0].device != device:
        model.to(device)
        opt = getattr(model, "optimizer", None)
        if opt is not None and getattr(opt, "built", False):
            for v in getattr(opt, "variables", []) or []:
                if isinstance(v, torch.Tensor) and v.device != device:
                    v.data = v.data.to(device)
    else:
        # Buffers or sublayers built later may still sit elsewhere; `.to` is cheap when in place.
        if any(b.device != device for b in model.buffers()):
            model.to(device)


def _call_model(model, x, training):
    if model._call_accepts_training:
        return model(x, training=training)
    return model(x)


class _OutputNames:
    """The compiled loss's / metrics' way to name a model's outputs: a weak reference to the
    model (no cycle keeping it alive) that survives pickling and deepcopy."""

    def __init__(self, model):
        self._ref = weakref.ref(model)

    def __call__(self, y_pred):
        return _output_names(self._ref(), y_pred)

    def __getstate__(self):
        return {"model": self._ref()}

    def __setstate__(self, state):
        self._ref = weakref.ref(state["model"])

    def __deepcopy__(self, memo):
        import copy

        return _OutputNames(copy.deepcopy(self._ref(), memo))


def _output_names(model, y_pred):
    if isinstance(y_pred, dict):
        return list(y_pred.keys())
    flat = y_pred if isinstance(y_pred, (list, tuple)) else [y_pred]
    if len(flat) == 1:
        return [(getattr(model, "output_names", None) or ["output"])[0]]  # never traces the model
    names = getattr(model, "output_names", None)
    if names and len(names) == len(flat):
        return list(names)
    outputs = None
    try:
        outputs = model.outputs
    except Exception:  # noqa: BLE001 - subclassed models have no symbolic outputs
        outputs = None
    if isinstance(outputs, (list, tuple)) and len(outputs) == len(flat):
        found = []
        for t in outputs:
            history = getattr(t, "_keras_history", None)
            layer = history[0] if isinstance(history, (list, tuple)) and history else getattr(history, "operation",
                                                                                              None)
            found.append(getattr(layer, "name", None))
        if all(found) and len(set(found)) == len(found):
            return found
    if len(flat) == 1:
        return ["output"]
    from keraslite.training.compile_utils import UnnamedOutputs

    return UnnamedOutputs(f"output_{i + 1}" for i in range(len(flat)))


def _batch_size_of(x):
    if isinstance(x, torch.Tensor):
        return x.shape[0]
    flat = data_mod.flatten(x)
    return flat[0].shape[0] if flat else 0


def _extra_losses_possible(model):
    """Whether the model can have regularization / add_loss penalties (checked once)."""
    graph = getattr(model, "_graph", None)
    if graph is not None and graph.with_losses is not None:  # model.add_loss(symbolic tensor)
        return True
    for layer in model._flatten_layers():
        if (getattr(layer, "activity_regularizer", None) is not None or layer._added_losses
                or getattr(layer, "_callable_losses", None)):
            return True
        for v in layer._variables:
            if getattr(v, "regularizer", None) is not None:
                return True
    return False


class _State:
    """Per-model loop state computed once (not per step)."""

    def __init__(self, model):
        self.model = model
        self.params = None  # the weights that train: those trainable at compile() (or at the first step)
        self.params_checked = False  # whether the first step compared them with the current ones
        self.extra_losses = None  # decided after the first forward
        self.graphed_step = None  # the CUDA-graph step of the last fit, if any
        self.fast_step = None  # the last fit's eager fast step, reused while _fast_step_key holds
        self.fast_key = None
        self.weights_shared = False  # train_on_batch in a multi-process run: process 0's weights taken
        self.ddp = None  # (key, DistributedDataParallel) of the last multi-process fit's built-in step

    def __getstate__(self):
        # A pickled or deep-copied model builds its own steps: these close over this model.
        return dict(self.__dict__, fast_step=None, fast_key=None, graphed_step=None, ddp=None)


def _fast_step_key(model):
    """What a fast train step closes over: when all of it is unchanged (no compile(), no
    weight frozen or thawed, same device), the next fit starts with that step directly
    instead of one slow Keras-semantics step and a rebuild."""
    st = _state(model)
    params = st.params or ()
    return (model.optimizer, model.compiled_loss, model.compiled_metrics, model._loss_tracker, _device(),
            st.extra_losses, tuple(map(id, params)), tuple(p.requires_grad for p in params))


def _keras_build_draws(model, adapter):
    """Keras's trainer takes one batch from a fresh data loader to build the model and the
    compiled loss/metrics the first time fit or evaluate meets them unbuilt; draw what that costs
    torch's global generator (and Python's, for a shuffled PyDataset), so later shuffles and
    dropout masks match Keras's."""
    unbuilt = getattr(model, "_compiled_unbuilt", False) or not _all_built(model)
    if unbuilt and hasattr(adapter, "first_batch_draws"):
        adapter.first_batch_draws()
    model._compiled_unbuilt = False


def _state(model):
    st = model.__dict__.get("_loop_state")
    if st is None:
        st = _State(model)
        model.__dict__["_loop_state"] = st
    return st


def _build_compiled(model, y, y_pred):
    """First batch: resolve 'accuracy'/'crossentropy' by shapes, names per output."""
    names = None
    if model.compiled_loss is not None and not model.compiled_loss.built:
        names = _output_names(model, y_pred)
        if y is None:
            raise ValueError("The model was compiled with a loss but no targets were given. Pass `y` to fit/"
                             "evaluate (or yield `(x, y)` batches).")
        model.compiled_loss.build(y, y_pred, names)
    if not model.compiled_metrics.built:
        names = names or _output_names(model, y_pred)
        if y is not None:
            model.compiled_metrics.build(y, y_pred, names)


def _first_loss_call(model, y, y_pred, sample_weight):
    """The loss on the first batch, with a clear error naming both shapes if it fails."""
    from keraslite.compat.backend_function import GradientsNeedAutograd

    try:
        return model.compiled_loss.compute(y, y_pred, sample_weight)
    except GradientsNeedAutograd:
        raise  # not a label problem: the caller runs the step again with autograd on
    except (RuntimeError, ValueError, IndexError) as e:
        def shapes(s):
            return data_mod.map_structure(lambda t: tuple(t.shape), s)

        loss_names = [getattr(l, "name", getattr(l, "__name__", type(l).__name__))
                      for l in model.compiled_loss.losses if l is not None]
        raise ValueError(f"Cannot compute the loss {loss_names} for targets of shape {shapes(y)} and model outputs "
                         f"of shape {shapes(y_pred)}: {str(e).rstrip('.')}. Check that the labels match the loss: sparse "
                         "categorical losses take integer class ids (batch,) or (batch, 1); categorical ones take "
                         "one-hot labels with the output's shape (use keras.utils.to_categorical); binary and "
                         "regression losses take labels shaped like the output.") from e


def _regularization(model, st):
    if st.extra_losses:
        losses = model.losses
        if losses:
            # Keras sums each added loss (a CTC layer's (batch, 1) losses included).
            return torch.stack([l.sum() if l.ndim else l for l in losses]).sum()
    return None


def compute_loss(model, x=None, y=None, y_pred=None, sample_weight=None, training=True):
    """Keras `Model.compute_loss`: compiled loss plus regularization / add_loss penalties."""
    st = _state(model)
    if model.compiled_loss is not None and not model.compiled_loss.built:
        _build_compiled(model, y, y_pred)
        total = _first_loss_call(model, y, y_pred, sample_weight)
    elif model.compiled_loss is not None:
        total = model.compiled_loss.compute(y, y_pred, sample_weight)
    else:
        total = None
    if st.extra_losses is None:
        st.extra_losses = _extra_losses_possible(model)
    reg = _regularization(model, st)
    if reg is not None:
        total = reg if total is None else total + reg
    if total is None:
        raise ValueError("No loss to compute: the model was compiled without a `loss` and has no `add_loss` "
                         "penalties. Pass `loss=` to compile().")
    return total


# ----------------------------------------------------------------------------- steps

def _zero_grads(params):
    for p in params:
        p.grad = None


def _ensure_optimizer(model, st):
    if st.params is None:  # compiled before it was built: the weights it has now
        st.params = [p for p in model.trainable_weights]
        st.params_checked = True
    if not model.optimizer.built:
        model.optimizer.build(st.params)


def _check_trainable(model, st):
    """Once per fit (and once after compile for train_on_batch): say so when the trainable
    weights are no longer those compile() fixed."""
    if st.params is not None and not st.params_checked:
        st.params_checked = True
        if {id(p) for p in model.trainable_weights} != {id(p) for p in st.params}:
            warn_user(f"Model '{model.name}': the trainable weights changed since compile() (a `trainable` "
                          "attribute was set afterwards); training keeps the weights that were trainable when "
                          "the model was compiled. Call compile() again to train the current ones.")


def _thaw(params):
    """Let the weights compile() chose take gradients for this step, also those whose layer
    was frozen after compile() (they train, as Keras 2 trained them); returns those thawed."""
    if not params:
        return ()
    thawed = [p for p in params if not p.requires_grad]
    for p in thawed:
        p.requires_grad_(True)
    return thawed


def _refreeze(thawed):
    for p in thawed:
        p.requires_grad_(False)


def _clear_added(model, st):
    if st.extra_losses and hasattr(model, "_clear_losses"):
        model._clear_losses()


def default_train_step(model, data):
    """Keras `train_step`: one optimizer update; returns the metric results (tensors)."""
    x, y, sw = data_mod.unpack_x_y_sample_weight(data)
    st = _state(model)
    _clear_added(model, st)
    _check_trainable(model, st)
    thawed = _thaw(st.params)
    try:
        with _graph_values_for_loss(model):
            y_pred = _call_model(model, x, True)
            loss = _model_loss(model, x, y, y_pred, sw, True)
            if _metrics_read_graph(model):  # with this forward pass's values (same numbers as after the update)
                with torch.no_grad():
                    _model_metrics(model, x, y, _detach(y_pred), sw)
        _ensure_optimizer(model, st)
        if st.params:  # a frozen model trains nothing (Keras allows it)
            _zero_grads(st.params)  # after the forward pass: see _make_fast_train_step
            (model.optimizer.scale_loss(loss) if getattr(model.optimizer, "_scales_loss", False) else loss).backward()
            model.optimizer.step(st.params)
        else:
            # Keras's words (a model frozen before compile() trains nothing).
            warnings.warn("The model does not have any trainable weights.", stacklevel=2)
    finally:
        _refreeze(thawed)
    model._loss_tracker.add(loss.detach(), _batch_size_of(x))
    if _metrics_read_graph(model):
        return get_metrics_result(model)  # the metrics were updated inside the forward's context
    return _model_metrics(model, x, y, _detach(y_pred), sw)


def default_test_step(model, data):
    x, y, sw = data_mod.unpack_x_y_sample_weight(data)
    st = _state(model)
    _clear_added(model, st)
    with _graph_values_for_loss(model):
        y_pred = _call_model(model, x, False)
        loss = _model_loss(model, x, y, y_pred, sw, False)
        model._loss_tracker.add(loss.detach(), _batch_size_of(x))
        return _model_metrics(model, x, y, y_pred, sw)


def _graph_values_for_loss(model, metrics=True):
    """live_graph_values() when the compiled loss (or, with `metrics`, the compiled metrics)
    may read the model's graph tensors."""
    compiled_loss = getattr(model, "compiled_loss", None)
    if (compiled_loss is not None and compiled_loss.reads_graph) or (metrics and _metrics_read_graph(model)):
        return functional.live_graph_values()
    return contextlib.nullcontext()


def _metrics_read_graph(model):
    return getattr(getattr(model, "compiled_metrics", None), "reads_graph", False)


def _model_loss(model, x, y, y_pred, sw, training):
    """The built-in steps' loss: the model's own `compute_loss` where a subclass overrides it
    (Keras 3.3 added its `training` argument; overrides written before take four)."""
    if _is_default(model, "compute_loss"):
        return compute_loss(model, x, y, y_pred, sw, training=training)
    if "training" in inspect.signature(model.compute_loss).parameters:
        return model.compute_loss(x, y, y_pred, sw, training=training)
    return model.compute_loss(x, y, y_pred, sw)


def _model_metrics(model, x, y, y_pred, sw):
    """The built-in steps' logs: `model.compute_metrics`, or the default's work done here."""
    if not _is_default(model, "compute_metrics"):
        return model.compute_metrics(x, y, y_pred, sw)
    return compute_metrics(model, y, y_pred, sw)


def compute_metrics(model, y, y_pred, sample_weight=None):
    """Keras `Model.compute_metrics`: update the compiled metrics, return every metric's result."""
    if y is not None and getattr(model, "compiled", False):
        _build_compiled(model, y, y_pred)
        model.compiled_metrics.update_state(y, y_pred, sample_weight)
    return get_metrics_result(model)


def _custom_step(model, name):
    """Whether fit/evaluate must call `model.<name>` batch by batch: a subclass overrides the
    step itself, or the `compute_loss` / `compute_metrics` the built-in step calls."""
    return not all(_is_default(model, n) for n in (name, "compute_loss", "compute_metrics"))


def default_predict_step(model, data):
    x, _, _ = data_mod.unpack_x_y_sample_weight(data)
    return _call_model(model, x, False)


def _detach(s):
    """Predictions for the metrics, detached; an output's mask still weighs them, as in the test step."""
    if isinstance(s, torch.Tensor):
        return carry_mask(s.detach(), s)
    return data_mod.map_structure(lambda t: carry_mask(t.detach(), t), s)


def forward_and_loss(model, x, y, sw, training, call=None):
    """The built-in step's forward pass and loss (compiled loss plus regularization and
    add_loss penalties); shared by the train and test steps and the recorded CUDA graph.
    `call` runs the model instead of calling it directly (a DistributedDataParallel wrapper)."""
    st = _state(model)
    if st.extra_losses:
        model._clear_losses()
    # Only the loss runs here: a model whose metrics read graph tensors trains and evaluates
    # with the default steps, which update them inside the same live_graph_values.
    with _graph_values_for_loss(model, metrics=False):
        call = call or model
        y_pred = call(x, training=training) if model._call_accepts_training else call(x)
        loss = model.compiled_loss.compute(y, y_pred, sw) if model.compiled_loss is not None else None
    if st.extra_losses:
        reg = _regularization(model, st)
        if reg is not None:
            loss = reg if loss is None else loss + reg
    return loss, y_pred


def _embedding_tables(model, params):
    """The trainable Embedding tables among `params` whose gradients may be kept between steps
    (CPU only: see keraslite.layers.embedding)."""
    from keraslite.layers.embedding import Embedding

    if _device().type != "cpu":
        return []
    ids = {id(p) for p in params}
    return [layer.embeddings for layer in model._flatten_layers()
            if isinstance(layer, Embedding) and layer.built and id(layer.embeddings) in ids]


def _make_fast_train_step(model):
    """The built-in train step as a closure over everything that does not change per step."""
    from keraslite.layers.embedding import grads_into_buffers, zero_kept_grads

    if _metrics_read_graph(model):
        # Metric functions reading graph tensors (Keras 2 VAE's KL term as a metric) run inside
        # the forward pass's live_graph_values, which the default step arranges. Never graphed:
        # a replay would update the metrics outside that context.
        def default_step(x, y, sw):
            default_train_step(model, data_mod.pack_x_y_sample_weight(x, y, sw))

        default_step.eager_only = True
        return default_step
    params = _state(model).params or []
    opt_step = model.optimizer.step
    # Loss scaling (loss_scale_factor, LossScaleOptimizer): backward runs on the scaled loss.
    scale_loss = model.optimizer.scale_loss if getattr(model.optimizer, "_scales_loss", False) else None
    tracker = model._loss_tracker
    metrics = model.compiled_metrics
    has_metrics = bool(metrics.entries)
    # In a multi-process fit: torch's DistributedDataParallel, which sums the gradients while
    # backward runs, when it can take this model's step (see distributed.data_parallel).
    # Not with weights frozen after compile() that still train (thawed per step below): DDP
    # only sums the gradients of the weights that took gradients when it was made.
    dist = distributed.current()
    ddp = dist.data_parallel(model) if dist is not None and params and all(p.requires_grad for p in params) else None
    tables = _embedding_tables(model, params) if ddp is None else []  # DDP reads gradients from autograd
    table_ids = {id(t) for t in tables}
    dropped = [p for p in params if id(p) not in table_ids]

    lookups_into_grads = grads_into_buffers if tables else contextlib.nullcontext

    def step(x, y, sw):
        with lookups_into_grads():  # Embedding lookups add into their tables' kept .grad
            loss, y_pred = forward_and_loss(model, x, y, sw, True, ddp)
        zero_kept_grads(tables)
        if params:
            # Last step's gradients are dropped here, after the forward pass, not right after
            # the update: the allocator then hands the freed gradient buffers straight to
            # backward's new gradients of the same sizes, instead of the forward pass splitting
            # them up and backward asking the OS for fresh (page-faulting) memory. fit() drops
            # the gradients at its end, the tables' kept ones included.
            for p in dropped:
                p.grad = None
            scaled = loss if scale_loss is None else scale_loss(loss)
            if ddp is None:
                scaled.backward()
                opt_step(params)
            else:
                # DDP averages the processes' gradients: weighting each process's loss by its
                # share of the batch times the number of processes makes that the sum by share.
                share = dist.weight * dist.size
                (scaled * share if share != 1.0 else scaled).backward()
                with distributed.training_in(None):  # already summed
                    opt_step(params)
        loss = loss.detach()
        tracker.add(loss, x.shape[0] if isinstance(x, torch.Tensor) else _batch_size_of(x))
        if has_metrics:
            metrics.update_state(y, _detach(y_pred), sw)

    if any(not p.requires_grad for p in params):
        eager_step = step

        def step(x, y, sw):  # noqa: F811 - weights frozen after compile() still train
            thawed = _thaw(params)
            try:
                eager_step(x, y, sw)
            finally:
                _refreeze(thawed)

        step.eager_only = True  # a graph replay would not thaw them
    return step


def _make_fast_test_step(model):
    if _metrics_read_graph(model):
        return lambda x, y, sw: default_test_step(model, data_mod.pack_x_y_sample_weight(x, y, sw))
    tracker = model._loss_tracker
    metrics = model.compiled_metrics
    has_metrics = bool(metrics.entries)

    def step(x, y, sw):
        loss, y_pred = forward_and_loss(model, x, y, sw, False)
        tracker.add(loss, x.shape[0] if isinstance(x, torch.Tensor) else _batch_size_of(x))
        if has_metrics:
            metrics.update_state(y, y_pred, sw)

    return step


# ----------------------------------------------------------------------------- metrics / logs

def metrics_list(model):
    """Keras 3's `model.metrics`: the loss tracker, the compiled metrics' container
    (`compile_metrics`, when compile() was given metrics), the per-output loss trackers, then
    the Metric objects assigned as attributes of the model or of its layers (a custom
    `train_step`'s `keras.metrics.Mean` trackers), each once. Nested models keep their own.
    (`metrics_names` stays flat, one name per logged value, as tf.keras 2 code indexes it.)"""
    out = []
    if getattr(model, "compiled", False):
        out.append(model._loss_tracker)
        if model.compiled_metrics.listed:
            out.append(model.compiled_metrics)
        if model.compiled_loss is not None:
            out.extend(t for t in model.compiled_loss.trackers if t is not None)
    return attribute_metrics(model, out, skip_nested_models=True)


def attribute_metrics(layer, out=None, skip_nested_models=False):
    """The Metric objects assigned as attributes of `layer` or of the layers below it, and those
    `add_metric` made, each once, appended to `out` (Keras's `Layer.metrics`)."""
    from keraslite import metrics as metrics_module
    from keraslite.models.model import Model

    out = [] if out is None else out
    seen = {id(m) for m in out}
    for sub in layer._flatten_layers():
        if skip_nested_models and sub is not layer and isinstance(sub, Model):
            continue
        for value in vars(sub).values():
            for m in (value if type(value) in (list, tuple) else (value,)):
                if isinstance(m, metrics_module.Metric) and id(m) not in seen:
                    seen.add(id(m))
                    out.append(m)
    return out


def metrics_names(model):
    """The names of the values evaluate()/train_on_batch() return, in the order they return them."""
    if not getattr(model, "compiled", False):
        return []
    names = ["loss"]
    if model.compiled_loss is not None:
        names.extend(t.name for t in model.compiled_loss.trackers if t is not None)
    names.extend(model.compiled_metrics.names)
    return _log_order(model, names)


def reset_metrics(model):
    """Keras resets every metric `model.metrics` lists (a subclass's own `metrics` property
    included) at the start of each epoch and of each evaluation."""
    if getattr(model, "compiled", False):
        model._loss_tracker.reset_state()
        if model.compiled_loss is not None:
            model.compiled_loss.reset_state()
        if model.compiled_metrics.built:
            model.compiled_metrics.reset_state()
    for m in model.metrics:
        m.reset_state()


def get_metrics_result(model):
    """Results as tensors, keyed by log name (no host read)."""
    out = {"loss": model._loss_tracker.result()}
    if model.compiled_loss is not None:
        out.update(model.compiled_loss.results())
    if model.compiled_metrics.built:
        out.update(model.compiled_metrics.results())
    # As Keras 3, every other metric in `model.metrics` too: those a layer updates in call()
    # (an endpoint layer's accuracy) or records with tf.keras 2's add_metric().
    compiled = {id(model._loss_tracker), id(model.compiled_metrics), *(id(m) for m in model.compiled_metrics.metrics)}
    if model.compiled_loss is not None:
        compiled.update(id(t) for t in model.compiled_loss.trackers if t is not None)
    for m in model.metrics:
        if id(m) not in compiled and m.name not in out:
            result = m.result()
            if isinstance(result, dict):
                out.update(result)
            else:
                out[m.name] = result
    return out


def pythonify(logs):
    """Tensors -> floats with one device->host read; keys sorted as Keras's callbacks see them."""
    logs = dict(logs or {})
    keys = sorted(logs)
    tensors = [(k, logs[k]) for k in keys if isinstance(logs[k], torch.Tensor) and logs[k].dim() == 0]
    values = {}
    if tensors:
        flat = torch.stack([v.detach().reshape(()).float().cpu() if v.device.type != "cpu" else
                            v.detach().reshape(()).float() for _, v in tensors]).tolist()
        values = {k: f for (k, _), f in zip(tensors, flat)}
    out = {}
    for k in keys:
        if k in values:
            out[k] = values[k]
        else:
            v = logs[k]
            if isinstance(v, dict):
                out.update(pythonify(v))
                continue
            if isinstance(v, torch.Tensor):  # a metric with one value per class (F1Score(average=None))
                v = v.detach().cpu().numpy()
            try:
                out[k] = float(v)  # as Keras: numbers and 0-d arrays become floats, other arrays stay
            except (TypeError, ValueError):
                out[k] = v
    return Logs(out)


def _logs_now(model):
    return pythonify(get_metrics_result(model))


def _log_order(model, keys):
    """evaluate()'s order of log names. Keras 3 puts 'loss' first, then the compiled metrics in
    compile order, then the per-output losses, then every other log in sorted order. With several
    named outputs the compiled metrics' log names carry the output prefix and so never match
    their own names: they land in the sorted remainder, after the per-output losses (outputs
    without names, a subclassed model's tuple, keep them unprefixed and in compile order).
    Metrics given to a multi-output model as one list for every output, which only Keras 2
    accepted, and any metrics of a tf.keras 2 program (one that imports tensorflow) come in
    Keras 2's order instead: losses, then each output's metrics in turn.
    Keras 3 looks the compiled metrics up by their own names, so a repeated metric ('mae' in both
    `metrics` and `weighted_metrics`, logged as 'mae' and 'weighted_mae') gives the first one's
    value twice, and its renamed log follows among the sorted rest; tf.keras 2 lists each log
    once."""
    from keraslite.compat.aliases import tensorflow_program

    names = ["loss"]
    compiled_loss = getattr(model, "compiled_loss", None)
    per_output = [t.name for t in compiled_loss.trackers if t is not None] if compiled_loss is not None else []
    metrics = model.compiled_metrics
    listed = list(metrics.names) if tensorflow_program() else list(getattr(metrics, "own_names", metrics.names))
    if per_output and (getattr(metrics, "broadcast", False) or tensorflow_program()):
        names += per_output + list(metrics.names)
    elif per_output:
        names += (listed if getattr(metrics, "unprefixed", False) else []) + per_output
    else:
        names += listed
    ordered = [n for n in names if n in keys]
    return ordered + sorted(k for k in keys if k not in names)


def _flatten_in_order(model, logs):
    """evaluate()'s list of values, in `_log_order`."""
    results = [logs[k] for k in _log_order(model, logs)]
    return results[0] if len(results) == 1 else results


# ----------------------------------------------------------------------------- fit

def _verbose(verbose):
    return 1 if verbose == "auto" else int(verbose)


def _is_default(model, name):
    from keraslite.models.model import Model

    return getattr(type(model), name) is getattr(Model, name)


@distributed.trains
@in_loop
def fit(model, x=None, y=None, batch_size=None, epochs=1, verbose="auto", callbacks=None, validation_split=0.0,
        validation_data=None, shuffle=True, class_weight=None, sample_weight=None, initial_epoch=0,
        steps_per_epoch=None, validation_steps=None, validation_batch_size=None, validation_freq=1, **kwargs):
    """Train for `epochs` epochs; returns the History callback (Keras semantics)."""
    if "nb_epoch" in kwargs:  # Keras 1
        epochs = kwargs.pop("nb_epoch")
    _check_loop_kwargs("fit", kwargs)
    _check_compiled(model, "fit")
    x = _expand_1d(model, x)
    cap = config.max_epochs()  # keras.config.set_max_epochs / KERAS_MAX_EPOCHS
    if cap and cap < epochs:
        warnings.warn(f"Limiting epochs to {cap}", stacklevel=2)
        epochs = cap
    device = _device()
    given_verbose = verbose  # History.params shows it as given ('auto'), as Keras's does
    verbose = _verbose(verbose)
    dist = distributed.current()  # a multi-process run (torchrun): see keraslite/training/distributed.py
    if dist is not None and dist.rank != 0:
        verbose = 0

    if validation_split and validation_data is None:
        (x, y, sample_weight), validation_data = data_mod.train_validation_split(
            (data_mod.standardize(x), data_mod.standardize(y), data_mod.standardize(sample_weight)),
            validation_split)
    train_data = data_mod.make_adapter(x, y, sample_weight, batch_size=batch_size, shuffle=shuffle,
                                       class_weight=class_weight, steps=steps_per_epoch, device=device)
    train_data.carry_over = True  # with steps_per_epoch, one pass over the data spans epochs, as in Keras
    train_data.presharded = distributed.presharded(x)
    val_data = None
    if validation_data is not None:
        if isinstance(validation_data, (tuple, list)) and len(validation_data) in (2, 3) and not (
                isinstance(validation_data, list) and data_mod.is_array_like(validation_data)
                and len(validation_data) != 2):
            vx, vy, vsw = data_mod.unpack_x_y_sample_weight(tuple(validation_data))
        elif isinstance(validation_data, tuple) and len(validation_data) == 1:
            vx, vy, vsw = validation_data[0], None, None  # (x,): inputs only, as Keras unpacks it
        else:
            vx, vy, vsw = validation_data, None, None
        val_data = data_mod.make_adapter(vx, vy, vsw, batch_size=validation_batch_size or batch_size,
                                         shuffle=False, steps=validation_steps, device=device)
        val_data.presharded = distributed.presharded(vx)

    if dist is not None:
        dist.check_same_data(train_data, "training data")
        if val_data is not None:
            dist.check_same_data(val_data, "validation data")
    _keras_build_draws(model, train_data)
    train_data.reset()
    callbacks = CallbackList(callbacks, add_history=True, add_progbar=verbose != 0, model=model,
                             verbose="auto" if given_verbose == "auto" else verbose, epochs=epochs,
                             steps=train_data.steps)
    custom_step = _custom_step(model, "train_step")
    st = _state(model)
    st.params_checked = False  # each fit compares the trainable weights with compile()'s once
    model.stop_training = False
    model._initial_epoch = None
    fast_step = None
    if not custom_step and st.fast_step is not None and st.fast_key == _fast_step_key(model):
        _check_trainable(model, st)  # the first step's once-per-fit check, which the slow step makes
        fast_step = st.fast_step
    prepared = False
    training_logs = {}
    callbacks.on_train_begin()
    initial_epoch = model._initial_epoch or initial_epoch
    epoch = initial_epoch
    end_hooks = callbacks.batch_hooks["on_train_batch_end"]
    begin_hooks = callbacks.batch_hooks["on_train_batch_begin"]
    get_logs = lambda: _logs_now(model)  # noqa: E731 - built only when a callback asks
    # Callbacks that every process runs, other than the progress bar, may stop training
    # mid-epoch: the processes of a multi-process run then agree on it after each batch.
    sync_stop = dist is not None and any(not isinstance(cb, (ProgbarLogger, History))
                                         and not getattr(cb, "_process_zero_only", False) for cb in end_hooks)
    for epoch in range(initial_epoch, epochs):
        reset_metrics(model)
        callbacks.on_epoch_begin(epoch)
        _set_training_mode(model, True)
        logs = None
        step = -1
        for step, batch in enumerate(train_data.epoch()):
            if not prepared:
                _prepare_model(model, batch[0], device, build=dist is not None)
                if dist is not None:
                    dist.broadcast_weights(model)
                prepared = True
            if dist is not None and not train_data.presharded:
                batch, dist.weight = dist.shard(batch)
                if dist.weight == 0 or (custom_step and dist.idle_somewhere):
                    _idle_train_step(model, dist, custom_step, step)
                    continue
            if begin_hooks:
                callbacks.on_train_batch_begin(step)
            if custom_step:
                logs = model.train_step(data_mod.pack_x_y_sample_weight(*batch))
                if end_hooks:
                    callbacks.on_train_batch_end(step, pythonify(logs))
            else:
                if dist is not None and dist.idle_somewhere:
                    # Some process has no part of this batch and so makes no DDP step: the
                    # step that sums gradients after backward, as that process's idle step does.
                    logs = default_train_step(model, data_mod.pack_x_y_sample_weight(*batch))
                elif fast_step is None:
                    logs = default_train_step(model, data_mod.pack_x_y_sample_weight(*batch))
                    fast_step = _make_fast_train_step(model)
                    graphed = None if getattr(fast_step, "eager_only", False) or dist is not None else \
                        graph_train_step(model, fast_step, st_params(model), device, batch)
                    st.graphed_step = graphed  # inspected by tests: was the step graphed?
                    if graphed is None:
                        st.fast_step, st.fast_key = fast_step, _fast_step_key(model)
                    fast_step = graphed or fast_step
                else:
                    fast_step(*batch)
                if end_hooks:
                    callbacks.on_train_batch_end(step, get_logs)
            if sync_stop:
                model.stop_training = dist.any(model.stop_training)
            if model.stop_training:
                break
        _count_steps(callbacks, step + 1)
        train_data.on_epoch_end()
        if dist is not None:
            dist.average_non_trainable(model)  # before the epoch's logs and its validation
        epoch_logs = _epoch_logs(model, logs if custom_step else None, dist)
        _set_training_mode(model, False)
        if val_data is not None and _should_validate(epoch, validation_freq):
            val_logs = _run_test(model, val_data, callbacks, in_fit=True)
            epoch_logs.update({f"val_{k}": v for k, v in val_logs.items()})
            epoch_logs = Logs(sorted(epoch_logs.items()))  # Keras hands callbacks the logs key-sorted
        callbacks.on_epoch_end(epoch, epoch_logs)
        training_logs = epoch_logs
        if dist is not None:
            model.stop_training = dist.any(model.stop_training)
        if model.stop_training:
            break
    opt = model.optimizer
    if st_params(model):
        # The last step's gradients: memory the user never sees. The Embedding tables' kept
        # gradient buffers stay while the fast step is reused by the next fit (which zeroes
        # them before use): allocating a large table's buffer again (fresh, page-faulting
        # memory) made each fit's first step markedly slower than the rest.
        kept = {id(t) for t in _embedding_tables(model, st.params)} if st.fast_step is not None else ()
        _zero_grads([p for p in st.params if id(p) not in kept])
    if epochs > initial_epoch and hasattr(opt, "finalize_variable_values") and st_params(model):
        opt.finalize_variable_values(st_params(model))
    callbacks.on_train_end(training_logs)
    return model.history


def _epoch_logs(model, custom_logs, dist):
    """The logs at the end of an epoch or an evaluation: what a custom step returned last, or
    the metrics' results. In a multi-process run they are read from the metric states of all
    processes; a custom step's logs then take the combined result of each metric they name."""
    def read():
        if custom_logs is None:
            return _logs_now(model)
        if dist is None:
            return pythonify(custom_logs)
        by_name = {m.name: m for m in model.metrics if hasattr(m, "result")}
        return pythonify({k: by_name[k].result() if k in by_name else v for k, v in custom_logs.items()})

    return read() if dist is None else dist.synced(model, read)


def _idle_train_step(model, dist, custom_step, step):
    """A step of a multi-process fit in which this process has no samples: the last batch has
    fewer samples than there are processes. The built-in step still takes part in the
    gradient sum (with nothing) and makes the same update as the others. Custom train_steps
    skip such a batch on every process (it cannot be split), with a warning."""
    if custom_step:
        if dist.rank == 0:
            warnings.warn(f"fit(): batch {step} has fewer samples than the {dist.size} processes of this run; "
                          "with a custom train_step it is skipped. Choose a batch size and data size that give "
                          "every process at least one sample of every batch.", stacklevel=3)
        return
    st = _state(model)
    _ensure_optimizer(model, st)
    if st.params:
        _zero_grads(st.params)
        model.optimizer.step(st.params)


def _count_steps(callbacks, steps):
    """Tell the progress bar how many steps ran: batch hooks are skipped when no live bar draws
    them, and a dataset of unknown length then ends on Keras's 'n/n' line only if told."""
    progbar = callbacks._progbar
    if progbar is not None and progbar.seen < steps:
        progbar.seen = steps


def st_params(model):
    return _state(model).params


def _should_validate(epoch, freq):
    epoch = epoch + 1
    if isinstance(freq, int):
        return epoch % freq == 0
    if isinstance(freq, (list, tuple, set)):
        return epoch in freq
    raise ValueError(f"Expected `validation_freq` to be an int or a list of epochs; received {freq!r}.")


# ----------------------------------------------------------------------------- evaluate

def _first_test_step(model, batch):
    """The first test batch; a loss that takes gradients itself (a Keras 2 gradient penalty:
    K.gradients(y_pred, interpolated)) needs autograd, so the model's test steps run with it
    from then on (no weights change in a test step either way)."""
    from keraslite.compat.backend_function import GradientsNeedAutograd

    data = data_mod.pack_x_y_sample_weight(*batch)
    if not model.__dict__.get("_loss_takes_gradients"):
        try:
            return default_test_step(model, data)
        except GradientsNeedAutograd:
            model.__dict__["_loss_takes_gradients"] = True
    with torch.enable_grad():
        return default_test_step(model, data)


def _with_autograd(step):
    def run(*args):
        with torch.enable_grad():
            return step(*args)

    return run


def _run_test(model, adapter, callbacks, in_fit=False):
    """One pass over `adapter` without updates; returns python logs."""
    adapter.reset()
    _set_training_mode(model, False)
    reset_metrics(model)
    callbacks.on_test_begin()
    custom_step = _custom_step(model, "test_step")
    end_hooks = callbacks.batch_hooks["on_test_batch_end"]
    begin_hooks = callbacks.batch_hooks["on_test_batch_begin"]
    get_logs = lambda: _logs_now(model)  # noqa: E731
    logs = None
    fast_step = None
    steps = 0
    # Validation in a multi-process fit is cut across the processes like training; evaluate()
    # on its own runs the whole data in each process that calls it (a program may evaluate on
    # one process only).
    dist = distributed.current() if in_fit else None
    shard = dist is not None and not getattr(adapter, "presharded", False)
    with torch.no_grad():
        for step, batch in enumerate(adapter.epoch()):
            if step == 0 and not in_fit:
                _prepare_model(model, batch[0], _device())
            if shard:
                batch, share = dist.shard(batch)
                if share == 0:  # fewer samples than processes in this (last) batch
                    steps += 1
                    continue
            if begin_hooks:
                callbacks.on_test_batch_begin(step)
            if custom_step:
                logs = model.test_step(data_mod.pack_x_y_sample_weight(*batch))
                if end_hooks:
                    callbacks.on_test_batch_end(step, pythonify(logs))
            else:
                if fast_step is None:
                    logs = _first_test_step(model, batch)
                    fast_step = _make_fast_test_step(model)
                    if model.__dict__.get("_loss_takes_gradients"):
                        fast_step = _with_autograd(fast_step)
                else:
                    fast_step(*batch)
                if end_hooks:
                    callbacks.on_test_batch_end(step, get_logs)
            steps += 1
    adapter.on_epoch_end()
    if steps == 0:
        raise ValueError("evaluate() received no data: the input yielded no batches. Check `x` / `steps`.")
    if not in_fit:
        _count_steps(callbacks, steps)
    logs = _epoch_logs(model, logs if custom_step else None, dist)
    callbacks.on_test_end(logs)
    return logs


@in_loop
def evaluate(model, x=None, y=None, batch_size=None, verbose="auto", sample_weight=None, steps=None,
             callbacks=None, return_dict=False, **kwargs):
    kwargs.pop("_use_cached_eval_dataset", None)
    _check_loop_kwargs("evaluate", kwargs)
    _check_compiled(model, "evaluate")
    verbose = _verbose(verbose) if distributed.rank() == 0 else 0
    adapter = data_mod.make_adapter(_expand_1d(model, x), y, sample_weight, batch_size=batch_size, shuffle=False,
                                    steps=steps, device=_device())
    _keras_build_draws(model, adapter)
    callbacks = CallbackList(callbacks, add_progbar=verbose != 0, model=model, verbose=verbose, epochs=1,
                             steps=adapter.steps)
    logs = _run_test(model, adapter, callbacks)
    if return_dict:
        return logs
    return _flatten_in_order(model, logs)


# ----------------------------------------------------------------------------- predict

def _concat(outputs):
    first = outputs[0]
    if isinstance(first, torch.Tensor):
        return torch.cat(outputs).cpu().numpy() if len(outputs) > 1 else first.cpu().numpy()
    if isinstance(first, dict):
        return {k: _concat([o[k] for o in outputs]) for k in first}
    if isinstance(first, (list, tuple)):
        return [_concat([o[i] for o in outputs]) for i in range(len(first))]
    return np.concatenate([np.asarray(o) for o in outputs])


def _model_inputs(model):
    try:
        return list(getattr(model, "inputs", None) or [])
    except (AttributeError, ValueError):  # a subclassed model not yet called has no inputs
        return []


@in_loop
def predict(model, x, batch_size=None, verbose="auto", steps=None, callbacks=None, **kwargs):
    """Outputs for `x` as numpy (a list/dict of arrays for multi-output models)."""
    _check_loop_kwargs("predict", kwargs)
    verbose = _verbose(verbose) if distributed.rank() == 0 else 0
    device = _device()
    if isinstance(x, tuple) and len(x) in (2, 3) and data_mod.is_array_like(x[0]) \
            and len(_model_inputs(model)) == 1:
        # A one-input model given predict((x, y)) takes x, as Keras does (with a warning); for
        # other models the tuple is the inputs (Hands-On ML's predict((X_new_A, X_new_B))).
        x = x[0]
    adapter = data_mod.make_adapter(_expand_1d(model, x), batch_size=batch_size, shuffle=False, steps=steps,
                                    device=device)
    callbacks = CallbackList(callbacks, add_progbar=verbose != 0, model=model, verbose=verbose, epochs=1,
                             steps=adapter.steps)
    custom_step = not _is_default(model, "predict_step")
    end_hooks = callbacks.batch_hooks["on_predict_batch_end"]
    begin_hooks = callbacks.batch_hooks["on_predict_batch_begin"]
    accepts_training = model._call_accepts_training
    _set_training_mode(model, False)
    outputs = []
    callbacks.on_predict_begin()
    if (device.type == "cuda" and not custom_step and not end_hooks and not begin_hooks
            and isinstance(adapter, data_mod.ArrayData) and adapter._simple and adapter.on_device
            and adapter.steps == adapter.num_batches and adapter.num_batches >= 2 * _GRAPH_BATCHES_MIN):
        with torch.inference_mode():
            first = adapter.leaves[0][:adapter.batch_size]
            _prepare_model(model, first, device)
            result = _graph_predict(model, adapter)
        if result is not None:
            data_mod.loader_seed_draw()  # what the pass's data loaders draw in epoch()
            data_mod.loader_seed_draw()
            _count_steps(callbacks, adapter.steps)
            callbacks.on_predict_end()
            return result
    runner = None  # after a first full call: the model's own quicker way for the same shapes, if any
    with torch.inference_mode():
        for step, batch in enumerate(adapter.epoch()):
            bx = batch[0]
            if step == 0:
                _prepare_model(model, bx, device)
            if begin_hooks:
                callbacks.on_predict_batch_begin(step)
            if custom_step:
                out = model.predict_step(data_mod.pack_x_y_sample_weight(*batch))
            else:
                out = None if runner is None else runner(bx)
                if out is None:
                    out = model(bx, training=False) if accepts_training else model(bx)
                    if step == 0 and hasattr(model, "_inference_runner"):
                        runner = model._inference_runner(bx)
            outputs.append(out)
            if end_hooks:
                callbacks.on_predict_batch_end(step, (lambda o=out: {"outputs": o}))
    adapter.on_epoch_end()
    if not outputs:
        raise ValueError("predict() received no data: the input yielded no batches. Check `x` / `steps`.")
    _count_steps(callbacks, len(outputs))
    result = _concat(outputs)
    callbacks.on_predict_end()
    return result


# ----------------------------------------------------------------------------- CUDA-graph predict

_GRAPH_BATCHES_MIN = 4   # below this many batches per replay, eager is as fast
_GRAPH_BATCHES_MAX = 64  # batches captured in one graph: (K * batch_size) inputs per replay
_GRAPHS = weakref.WeakKeyDictionary()  # model -> (key, graph, static input, static output); not on the
                                       # model itself so that it still pickles / deep-copies


def _graph_safe(model):
    for layer in model._flatten_layers():
        if getattr(layer, "stateful", False):
            return False  # states carry across batches: keep the eager order of updates
    return True


def _graph_predict(model, adapter):
    """Predict with CUDA graphs: one graph runs the model on K consecutive batches of
    `batch_size` (the same kernels on the same batch shapes as the eager loop, so the same
    numbers), launched with one replay instead of K Python forward passes. The last partial
    group runs eagerly. Returns the numpy result, or None when the model cannot be captured
    (then the caller runs the eager loop)."""
    if not _graph_safe(model):
        return None
    x_all = adapter.leaves[0]
    bs, n = adapter.batch_size, adapter.n
    full = n // bs
    k = min(_GRAPH_BATCHES_MAX, full)
    if k < _GRAPH_BATCHES_MIN:
        return None
    accepts_training = model._call_accepts_training

    def forward(xb):
        return model(xb, training=False) if accepts_training else model(xb)

    key = (tuple(x_all.shape[1:]), x_all.dtype, bs, k, tuple(p.data_ptr() for p in model.parameters()),
           tuple(b.data_ptr() for b in model.buffers()))
    cached = _GRAPHS.get(model)
    try:
        if cached is None or cached[0] != key:
            _GRAPHS.pop(model, None)
            static_x = x_all[:k * bs].clone()
            stream = torch.cuda.Stream()
            stream.wait_stream(torch.cuda.current_stream())
            with torch.cuda.stream(stream):
                for _ in range(2):  # warm up (lazy inits, cuDNN/cuBLAS handles) off the capture
                    probe = forward(static_x[:bs])
            torch.cuda.current_stream().wait_stream(stream)
            if not isinstance(probe, torch.Tensor):
                return None
            graph = torch.cuda.CUDAGraph()
            with torch.cuda.graph(graph):
                static_out = torch.cat([forward(static_x[i * bs:(i + 1) * bs]) for i in range(k)])
            cached = (key, graph, static_x, static_out)
            _GRAPHS[model] = cached
        _, graph, static_x, static_out = cached
        result = torch.empty((n,) + tuple(static_out.shape[1:]), dtype=static_out.dtype, device=static_out.device)
        group = k * bs
        start = 0
        while start + group <= n:
            static_x.copy_(x_all[start:start + group])
            graph.replay()
            result[start:start + group].copy_(static_out)
            start += group
        while start < n:  # the rest, batch by batch as the eager loop would
            out = forward(x_all[start:start + bs])
            result[start:start + out.shape[0]].copy_(out)
            start += bs
        return result.cpu().numpy()
    except Exception:  # noqa: BLE001 - a model that cannot be captured runs eagerly
        _GRAPHS.pop(model, None)
        torch.cuda.synchronize()
        return None


# ----------------------------------------------------------------------------- *_on_batch

def _one_batch(x, y, sample_weight, class_weight):
    adapter = data_mod.make_adapter(x, y, sample_weight, batch_size=None, shuffle=False, class_weight=class_weight,
                                    device=_device())
    n = adapter.n
    adapter.batch_size = max(n, 1)
    adapter.num_batches = adapter.steps = 1
    return next(iter(adapter._one_pass()))  # no data loader in Keras's *_on_batch: nothing drawn


@distributed.trains
@in_loop
def train_on_batch(model, x, y=None, sample_weight=None, class_weight=None, return_dict=False, reset_metrics=None):
    _check_compiled(model, "train_on_batch")
    model._compiled_unbuilt = False  # built from this batch, as Keras does
    batch = _one_batch(x, y, sample_weight, class_weight)
    dist = distributed.current()  # in a multi-process run each process trains on its own batch
    _prepare_model(model, batch[0], _device(), build=dist is not None)
    if dist is not None and not _state(model).weights_shared:
        dist.broadcast_weights(model)  # the first call: every process starts from process 0's weights
        _state(model).weights_shared = True
    if reset_metrics is not False:  # Keras resets before each call (Keras 2's reset_metrics=False keeps them)
        globals()["reset_metrics"](model)
    _set_training_mode(model, True)
    logs = model.train_step(data_mod.pack_x_y_sample_weight(*batch))
    logs = pythonify(logs)
    return logs if return_dict else _flatten_in_order(model, logs)


@in_loop
def test_on_batch(model, x, y=None, sample_weight=None, return_dict=False, reset_metrics=None):
    _check_compiled(model, "test_on_batch")
    model._compiled_unbuilt = False  # built from this batch, as Keras does
    batch = _one_batch(x, y, sample_weight, None)
    _prepare_model(model, batch[0], _device())
    if reset_metrics is not False:
        globals()["reset_metrics"](model)
    _set_training_mode(model, False)
    with torch.no_grad():
        if _custom_step(model, "test_step"):
            logs = model.test_step(data_mod.pack_x_y_sample_weight(*batch))
        else:
            logs = _first_test_step(model, batch)
    logs = pythonify(logs)
    return logs if return_dict else _flatten_in_order(model, logs)


@in_loop
def predict_on_batch(model, x):
    batch = _one_batch(x, None, None, None)
    _prepare_model(model, batch[0], _device())
    _set_training_mode(model, False)
    with torch.inference_mode():
        out = model.predict_step(data_mod.pack_x_y_sample_weight(*batch))
    return _concat([out])


# ----------------------------------------------------------------------------- Keras 1/2 *_generator

def _peek_steps(generator, samples):
    """Keras 1 counted `samples_per_epoch` in samples: turn it into batches from the first batch."""
    import itertools
    import math

    it = iter(generator)
    first = next(it)
    x = data_mod.unpack_x_y_sample_weight(first)[0]
    n = len(data_mod.flatten(data_mod.standardize(x))[0])
    return itertools.chain([first], it), max(1, math.ceil(samples / max(n, 1)))


def fit_generator(model, generator, steps_per_epoch=None, epochs=1, verbose=1, callbacks=None,
                  validation_data=None, validation_steps=None, validation_freq=1, class_weight=None,
                  max_queue_size=10, workers=1, use_multiprocessing=False, shuffle=True, initial_epoch=0,
                  samples_per_epoch=None, nb_epoch=None, nb_val_samples=None, **kwargs):
    """Keras 1/2 `fit_generator`: `fit` on a generator (Keras 1 names accepted)."""
    if nb_epoch is not None:
        epochs = nb_epoch
    if samples_per_epoch is not None and steps_per_epoch is None:
        generator, steps_per_epoch = _peek_steps(generator, samples_per_epoch)
    if nb_val_samples is not None and validation_steps is None and validation_data is not None and not isinstance(
            validation_data, (tuple, list)):
        validation_data, validation_steps = _peek_steps(validation_data, nb_val_samples)
    return fit(model, generator, steps_per_epoch=steps_per_epoch, epochs=epochs, verbose=verbose,
               callbacks=callbacks, validation_data=validation_data, validation_steps=validation_steps,
               validation_freq=validation_freq, class_weight=class_weight, shuffle=shuffle,
               initial_epoch=initial_epoch)


def _steps_or_keras1_samples(generator, steps, what):
    """Keras 1's `predict_generator(generator, val_samples)` / `evaluate_generator(...)` counted
    samples where Keras 2's second argument counts batches. For an iterator that knows its size
    (ImageDataGenerator's flows, Sequences with `n` and `batch_size`), a count above its number
    of batches but within its number of samples can only mean samples: as batches it would run
    past the end of the data and repeat it."""
    import math

    try:
        batches = len(generator)
    except TypeError:
        return steps
    samples, batch_size = getattr(generator, "n", None), getattr(generator, "batch_size", None)
    if isinstance(steps, int) and samples and batch_size and batches < steps <= samples:
        warn_user(f"{what}(generator, {steps}): the generator has {samples} samples in {batches} batches, so "
                  f"{steps} is taken as a number of samples (Keras 1's val_samples), {math.ceil(steps / batch_size)} "
                  f"batches. In Keras 2 and later the second argument counts batches (steps).")
        return math.ceil(steps / batch_size)
    return steps


def evaluate_generator(model, generator, steps=None, callbacks=None, max_queue_size=10, workers=1,
                       use_multiprocessing=False, verbose=0, val_samples=None, **kwargs):
    if val_samples is not None and steps is None:
        generator, steps = _peek_steps(generator, val_samples)
    steps = _steps_or_keras1_samples(generator, steps, "evaluate_generator")
    return evaluate(model, generator, steps=steps, callbacks=callbacks, verbose=verbose)


def predict_generator(model, generator, steps=None, callbacks=None, max_queue_size=10, workers=1,
                      use_multiprocessing=False, verbose=0, val_samples=None, **kwargs):
    if val_samples is not None and steps is None:
        generator, steps = _peek_steps(generator, val_samples)
    steps = _steps_or_keras1_samples(generator, steps, "predict_generator")
    return predict(model, generator, steps=steps, callbacks=callbacks, verbose=verbose)
