"""The built-in train step recorded once as a CUDA graph and replayed for every full batch.

Owns: deciding whether a model's step may be graphed (`graph_train_step` returns None when
not), warm-up, capture, replay, and falling back to the eager step.

Leaves to others: the step's math (loop.py's eager step, the losses, the optimizers'
`_graph_*` methods), batching (data.py).

Why: at batch 32 a training step on a GPU is bound by the host launching ~50-100 small
kernels one by one from Python. A graph launches the whole step (forward, loss, backward,
optimizer update) with one call; only the batch copy-in, a few per-step scalars and the
metric updates are launched from Python.

What keeps results equal to the eager step:
- the graph computes exactly the eager step's ops on fixed "static" input tensors; each full
  batch is copied into them before a replay. Batches of another shape (the last, partial one)
  run the eager step on the same parameters and optimizer state;
- per-step numbers that change (learning rate, bias corrections, weight decay) are 0-d device
  tensors the optimizer fills before each replay (`Optimizer._graph_fill`);
- the loss tracker and the compiled metrics are updated eagerly after each replay from the
  graph's outputs, so logs, callbacks and History are the same;
- only models made of keraslite's own layers are graphed (a user's `call` may keep Python
  state between calls that a replay would not see), stateful RNNs and multi-output trackers
  are not; any error while capturing (an op that needs the host, say) turns graphs off for
  the rest of the fit and the step runs eagerly;
- if the parameters or optimizer slots are replaced by other tensors (not updated in place)
  between replays, the graph is recorded again.

`KERASLITE_CUDA_GRAPHS=0` turns it off.
"""
import os
import warnings

import torch

from keraslite.training import data as data_mod

__all__ = ["graph_train_step"]

_WARMUP_STEPS = 3


def graphs_enabled():
    return os.environ.get("KERASLITE_CUDA_GRAPHS", "1").strip().lower() not in ("0", "false", "no", "off")


def _graphable_model(model):
    if type(model).__module__.split(".")[0] != "keraslite":
        return False  # a subclassed model's call is user code
    for layer in model._flatten_layers():
        if type(layer).__module__.split(".")[0] != "keraslite":
            return False
        if getattr(layer, "stateful", False):
            return False  # its states are Python attributes carried from step to step
        if type(layer).__name__ == "Lambda":
            return False
        seeds = getattr(layer, "seed_generator", None)
        if seeds is not None and getattr(seeds, "counter", 0):
            # The eager first step drew from a counter kept in Python (seeded dropout, noise
            # layers, seeded RNN dropout): a replayed graph would repeat that one draw.
            return False
    return True


def graph_train_step(model, eager_step, params, device, first_batch):
    """A callable `step(x, y, sw)` that replays a CUDA graph, or None when the model's step
    cannot be graphed (then the caller keeps `eager_step`). `first_batch` (x, y, sw), the
    epoch's first batch, gives the shape of a full batch: only those are graphed."""
    if device.type != "cuda" or not graphs_enabled() or not params:
        return None
    opt = model.optimizer
    loss = model.compiled_loss
    if loss is None or not hasattr(opt, "_graph_capable") or not opt._graph_capable():
        return None
    if any(t is not None for t in loss.trackers):
        return None
    if not _graphable_model(model):
        return None
    return _GraphedStep(model, eager_step, params, _signature(*first_batch))


def _tensors(structure):
    return [t for t in data_mod.flatten(structure) if t is not None] if structure is not None else []


def _signature(x, y, sw):
    out = []
    for part in (x, y, sw):
        if part is None:
            out.append(None)
            continue
        leaves = data_mod.flatten(part)
        if not all(isinstance(t, torch.Tensor) for t in leaves):
            return None
        out.append(tuple((tuple(t.shape), t.dtype, t.device) for t in leaves))
    return tuple(out)


class _GraphedStep:
    def __init__(self, model, eager_step, params, sig):
        self.model = model
        self.eager = eager_step
        self.params = params
        self.opt = model.optimizer
        self.calls = 0
        self.graph = None
        self.sig = sig  # (shape, dtype, device) of each input of a full batch
        self.disabled = sig is None

    # ------------------------------------------------------------------ per step

    def __call__(self, x, y, sw):
        if self.disabled:
            return self.eager(x, y, sw)
        sig = _signature(x, y, sw)
        if sig != self.sig:
            return self.eager(x, y, sw)  # not tensors, or another shape (the last, smaller batch)
        if self.graph is not None:
            if self._same_storage():
                self._replay(x, y, sw)
                return None
            self.graph, self.calls = None, 0  # weights or slots were replaced: record again
        self.calls += 1
        if self.calls <= _WARMUP_STEPS:
            return self._warmup(x, y, sw)
        self._capture(x, y, sw)
        return None

    def _replay(self, x, y, sw):
        for dst, src in zip(self.static_in, _tensors((x, y, sw))):
            dst.copy_(src, non_blocking=True)
        self.opt._graph_fill()
        self.graph.replay()
        self.opt._graph_step_done()
        self._after(x)

    def _after(self, x):
        model = self.model
        model._loss_tracker.add(self.static_loss.clone(), x.shape[0] if isinstance(x, torch.Tensor)
                                else data_mod.flatten(x)[0].shape[0])
        metrics = model.compiled_metrics
        if metrics.entries:
            metrics.update_state(self.static_y, self.static_pred, self.static_sw)

    def _same_storage(self):
        return self.storage == self._storage_key()

    def _storage_key(self):
        slots = [v for slot in self.opt._slots.values() for v in slot]
        return tuple(t.data_ptr() for t in (*self.params, *slots))

    # ------------------------------------------------------------------ warm-up and capture

    def _warmup(self, x, y, sw):
        # Kernel selection, lazy allocations and autograd's stream bookkeeping happen on a
        # side stream before capture, as CUDA graph capture requires.
        side = torch.cuda.Stream()
        side.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(side):
            out = self.eager(x, y, sw)
        torch.cuda.current_stream().wait_stream(side)
        return out

    def _capture(self, x, y, sw):
        model, opt = self.model, self.opt
        static = data_mod.map_structure(lambda t: t.clone() if isinstance(t, torch.Tensor) else t, (x, y, sw))
        sx, sy, ssw = static
        for p in self.params:
            p.grad = None
        try:
            opt._graph_prepare(self.params[0].device)
            graph = torch.cuda.CUDAGraph()
            torch.cuda.synchronize()
            with torch.cuda.graph(graph):
                loss, y_pred = self._body(sx, sy, ssw)
        except Exception as e:  # noqa: BLE001 - any capture failure means: run eagerly
            for p in self.params:
                p.grad = None
            self.disabled = True
            torch.cuda.synchronize()
            if os.environ.get("KERASLITE_DEBUG"):
                warnings.warn(f"CUDA graph capture failed ({type(e).__name__}: {e}); training eagerly.",
                              stacklevel=2)
            return self.eager(x, y, sw)
        self.static_grads = [p.grad for p in self.params]  # graph-owned; kept alive with the graph
        for p in self.params:
            p.grad = None
        self.graph = graph
        self.static_x, self.static_y, self.static_sw = sx, sy, ssw
        self.static_in = _tensors(static)
        self.static_loss, self.static_pred = loss, y_pred
        self.storage = self._storage_key()
        # Capture records without running: the captured batch is trained by the first replay.
        self._replay(x, y, sw)
        return None

    def _body(self, x, y, sw):
        from keraslite.training.loop import forward_and_loss

        loss, y_pred = forward_and_loss(self.model, x, y, sw, True)
        loss.backward()
        self.opt._graph_apply(self.params, [p.grad for p in self.params])
        detached = y_pred.detach() if isinstance(y_pred, torch.Tensor) else data_mod.map_structure(
            lambda t: t.detach(), y_pred)
        return loss.detach(), detached
