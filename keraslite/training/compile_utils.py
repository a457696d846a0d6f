"""What `compile()` turns into: the compiled loss, the compiled metrics and the loss tracker.

Owns: resolving the user's `loss` / `loss_weights` / `metrics` / `weighted_metrics` against the
model's outputs (one for all, a list in output order, a dict by output name), the shape-based
choice behind 'accuracy'/'acc' and 'crossentropy'/'ce' (made on the first batch, as Keras does),
display names (the string the user gave stays the name, so 'acc' logs as 'acc'), Keras's log
key names for multi-output models (`<output>_loss`, `<output>_<metric>`), and the running mean
of the loss kept on the device.

Leaves to others: the loss and metric math (keraslite.losses / keraslite.metrics `get()`), the
loops (loop.py).
"""

import torch

from keraslite import tree

__all__ = ["CompiledLoss", "CompiledMetrics", "LossTracker", "is_binary_or_sparse"]


def is_binary_or_sparse(y_true, y_pred):
    """Keras's rule: binary if y_pred's last dim is 1; sparse if y_true has lower rank than
    y_pred, or y_true's last dim is 1 while y_pred's is > 1; otherwise categorical."""
    pred_shape, true_shape = tuple(y_pred.shape), tuple(y_true.shape)
    is_binary = len(pred_shape) > 0 and pred_shape[-1] == 1
    is_sparse = len(true_shape) < len(pred_shape) or (
        len(true_shape) > 0 and len(pred_shape) > 0 and true_shape[-1] == 1 and pred_shape[-1] > 1)
    return is_binary, is_sparse


def _flatten(structure):
    if isinstance(structure, dict):
        return list(structure.values())
    if isinstance(structure, (list, tuple)):
        return list(structure)
    return [structure]


def _object_name(obj):
    name = getattr(obj, "name", None)
    if isinstance(name, str):
        return name
    return getattr(obj, "__name__", type(obj).__name__)


class LossTracker:
    """Running mean of the loss weighted by batch size, kept on the device (no host reads
    per step). Metric-like (`update_state`, `result`, `reset_state`, `name`) so a custom
    train_step can treat it as Keras's `loss` metric.

    The fast path (`add`) launches no kernel per step: it keeps the step's detached loss and
    batch size, and folds them into the total (one stack + dot) only when a result is read,
    which the loops do at the progress bar's redraw rate and at epoch end."""

    _direction = "down"

    def __init__(self, name="loss"):
        self.name = name
        self.total = None
        self.count = 0
        self._pending = []
        self._sizes = []

    def __repr__(self):
        return f"<Mean name={self.name}>"  # what Keras shows for model.metrics[0]

    def update_state(self, values, sample_weight=None):
        values = values.detach() if isinstance(values, torch.Tensor) else torch.as_tensor(float(values))
        if values.ndim:
            n = values.numel()
            values = values.sum() / n
        else:
            n = 1 if sample_weight is None else int(sample_weight)
        self.add(values, n)

    def add(self, value, n):
        """Fast path: `value` is a detached 0-d tensor (the batch mean), `n` the batch size."""
        self._pending.append(value)
        self._sizes.append(n)
        self.count += n
        if len(self._pending) >= 512:  # bound the memory held by pending 0-d tensors
            self._fold()

    def _fold(self):
        if not self._pending:
            return
        values = torch.stack([v.reshape(()).to(torch.float32) for v in self._pending])
        sizes = self._sizes
        if all(k == sizes[0] for k in sizes):
            folded = values.sum() * sizes[0]
        else:
            folded = torch.dot(values, torch.tensor(sizes, dtype=torch.float32).to(values.device, non_blocking=True))
        self.total = folded if self.total is None else self.total + folded
        self._pending, self._sizes = [], []

    def result(self):
        self._fold()
        if self.total is None or not self.count:
            return torch.tensor(0.0)
        return self.total / self.count

    def reset_state(self):
        self.total = None
        self.count = 0
        self._pending, self._sizes = [], []

    reset_states = reset_state


def _wrap_function(fn, name):
    """A plain `fn(y_true, y_pred)` -> per-sample values becomes a Keras-style reduced loss."""

    def loss(y_true, y_pred, sample_weight=None):
        values = fn(y_true, y_pred)
        if not isinstance(values, torch.Tensor):
            values = torch.as_tensor(values, dtype=y_pred.dtype, device=y_pred.device)
        if sample_weight is not None:
            sw = sample_weight.to(values.dtype)
            while sw.ndim < values.ndim:
                sw = sw.unsqueeze(-1)
            while sw.ndim > values.ndim and sw.shape[-1] == 1:
                sw = sw.squeeze(-1)
            values = values * sw
        if values.ndim == 0:
            return values
        return values.sum() / values.numel()

    loss.name = name
    loss.__name__ = name
    return loss


def _resolve_loss(identifier, y_true, y_pred):
    from keraslite import losses as losses_mod

    if identifier is None:
        return None
    if isinstance(identifier, str) and identifier.lower() in ("crossentropy", "ce"):
        is_binary, is_sparse = is_binary_or_sparse(y_true, y_pred)
        identifier = ("binary_crossentropy" if is_binary else
                      "sparse_categorical_crossentropy" if is_sparse else "categorical_crossentropy")
    obj = losses_mod.reducing_loss(identifier)
    loss_cls = getattr(losses_mod, "Loss", None)
    if loss_cls is not None and isinstance(obj, loss_cls):
        return obj
    if isinstance(identifier, str) or getattr(obj, "_keraslite_loss", False):
        return obj  # a built-in loss function: already reduces and takes sample_weight
    return _wrap_function(obj, identifier if isinstance(identifier, str) else _object_name(obj))


def _resolve_metric(identifier, y_true, y_pred):
    from keraslite import metrics as metrics_mod

    if identifier is None:
        raise ValueError("Expected a metric in `metrics`, received None.")
    name = identifier if isinstance(identifier, str) else None
    if isinstance(identifier, str) and identifier.lower() in ("accuracy", "acc"):
        is_binary, is_sparse = is_binary_or_sparse(y_true, y_pred)
        identifier = ("binary_accuracy" if is_binary else
                      "sparse_categorical_accuracy" if is_sparse else "categorical_accuracy")
    elif isinstance(identifier, str) and identifier.lower() in ("crossentropy", "ce"):
        is_binary, is_sparse = is_binary_or_sparse(y_true, y_pred)
        identifier = ("binary_crossentropy" if is_binary else
                      "sparse_categorical_crossentropy" if is_sparse else "categorical_crossentropy")
    metric = metrics_mod.get(identifier)
    if not hasattr(metric, "update_state"):  # a plain function: Keras wraps it in a running mean
        wrapper = getattr(metrics_mod, "MeanMetricWrapper", None)
        if wrapper is None:
            raise TypeError(f"Metric {identifier!r} is a function but keraslite.metrics has no MeanMetricWrapper.")
        metric = wrapper(metric, name=name or _object_name(metric))
    if name is not None:
        try:
            metric.name = name
        except AttributeError:
            pass
    return metric, name or _object_name(metric)


def _per_output(value, output_names, what):
    """Spread a compile argument over outputs: one for all, a list in order, a dict by name."""
    n = len(output_names)
    if isinstance(value, dict):
        unknown = set(value) - set(output_names)
        if unknown:
            raise ValueError(f"compile(): `{what}` has keys {sorted(unknown)} that are not output names. "
                             f"The model's outputs are {output_names}.")
        return [value.get(name) for name in output_names]
    if isinstance(value, (list, tuple)) and n > 1:
        if len(value) != n:
            raise ValueError(f"compile(): `{what}` is a list of {len(value)} entries but the model has {n} "
                             f"outputs {output_names}. Pass one entry per output, or a dict by output name.")
        return list(value)
    return [value] * n


def _only_output(y_pred):
    """A single output given as a one-entry dict or list (`outputs={'dense': x}`) is that tensor."""
    if isinstance(y_pred, dict) and len(y_pred) == 1:
        return next(iter(y_pred.values()))
    if isinstance(y_pred, (list, tuple)) and len(y_pred) == 1:
        return y_pred[0]
    return y_pred


class UnnamedOutputs(list):
    """Stand-in output names ('output_1', ...) for a model whose outputs have none (a subclassed
    model returning a tuple). Keras then names each loss after its loss function
    ('mean_squared_error_loss') and the metrics without an output prefix."""


def _display_name(loss, given):
    if isinstance(given, str):
        return given
    return getattr(loss, "name", None) or getattr(loss, "__name__", None) or type(loss).__name__


def _lazy_names(owner, y_pred):
    """Output names for a build on first use (a custom train_step calling compiled_loss /
    compiled_metrics itself): the model's, through the hook compile() sets, else generic."""
    if getattr(owner, "_names_for", None) is not None:
        return owner._names_for(y_pred)
    if isinstance(y_pred, dict):
        return list(y_pred)
    flat = _flatten(y_pred)
    return ["output"] if len(flat) == 1 else UnnamedOutputs(f"output_{i}" for i in range(len(flat)))


class CompiledLoss:
    """Sum over outputs of loss_weight * loss(y_true, y_pred, sample_weight)."""

    def __init__(self, loss, loss_weights=None, output_names=None):
        self._user_loss = loss
        self._user_loss_weights = loss_weights
        self.output_names = output_names
        self.built = False
        self.losses = []        # one resolved loss (or None) per output
        self.weights = []
        self.trackers = []      # per-output running means, only for multi-output models
        self.total_tracker = None  # the model's `loss` metric, fed by direct calls (see __call__)
        self._no_loss = []      # output names without a loss: their targets may be left out
        # A loss written by the user may close over the model's graph tensors (Keras 1's VAE
        # loss reads z_mean / z_log_var): the steps then run it under live_graph_values.
        self.reads_graph = user_functions(loss)

    def build(self, y_true, y_pred, output_names):
        flat_pred = _flatten(y_pred)
        self.output_names = list(output_names)
        per_loss = _per_output(self._user_loss, self.output_names, "loss")
        if isinstance(self._user_loss, (list, tuple)) and len(flat_pred) == 1 and len(self._user_loss) == 1:
            per_loss = list(self._user_loss)
        self._no_loss = [n for n, l in zip(self.output_names, per_loss) if l is None]
        flat_true = flatten_targets(y_true, y_pred, self.output_names, self._no_loss)
        if self._user_loss_weights is None:
            weights = [1.0] * len(flat_pred)
        else:
            weights = _per_output(self._user_loss_weights, self.output_names, "loss_weights")
            if isinstance(self._user_loss_weights, (list, tuple)) and len(flat_pred) == 1:
                weights = list(self._user_loss_weights)
            weights = [1.0 if w is None else float(w) for w in weights]
        self.losses = [_resolve_loss(l, t, p) for l, t, p in zip(per_loss, flat_true, flat_pred)]
        self.weights = weights
        if all(l is None for l in self.losses):
            raise ValueError("No loss to compute. Provide a `loss` argument in `compile()`.")
        multi = len([l for l in self.losses if l is not None]) > 1
        # Outputs that share a name (two outputs of one layer or nested model) get their own
        # tracker each, the later ones suffixed `_1`, `_2`, ... as Keras 3 names such metrics;
        # Keras 3 gives them one name and reports the last output's loss for all of them.
        if isinstance(output_names, UnnamedOutputs):
            # Keras's names by loss function; two outputs with the same loss share the name
            # (their History entry is the later one's), as in Keras.
            names = [f"{_display_name(l, g)}_loss" for l, g in zip(self.losses, per_loss)]
        else:
            names, seen = [], {}
            for name in self.output_names:
                seen[name] = seen.get(name, -1) + 1
                names.append(f"{name}_loss" + (f"_{seen[name]}" if seen[name] else ""))
        self.trackers = [LossTracker(name) if (multi and l is not None) else None
                         for name, l in zip(names, self.losses)]
        self.built = True

    def __call__(self, y_true, y_pred, sample_weight=None, regularization_losses=None):
        """tf.keras 2's `model.compiled_loss(...)` from a custom train_step: the weighted loss
        plus `regularization_losses` (e.g. `model.losses`). As in tf.keras 2, the call also feeds
        the model's `loss` metric (batch-size weighted), so `{m.name: m.result() for m in
        self.metrics}` reports the mean loss. The built-in steps call `compute` instead and
        track the loss themselves."""
        total = self.compute(y_true, y_pred, sample_weight, regularization_losses)
        if self.total_tracker is not None:
            flat = _flatten(y_pred)
            first = flat[0] if flat else None
            self.total_tracker.add(total.detach(), int(first.shape[0]) if getattr(first, "ndim", 0) else 1)
        return total

    def compute(self, y_true, y_pred, sample_weight=None, regularization_losses=None):
        """The weighted loss plus `regularization_losses`, tracking only the per-output losses."""
        if not self.built:
            self.build(y_true, y_pred, _lazy_names(self, y_pred))
        total = self._weighted(y_true, y_pred, sample_weight)
        if regularization_losses:
            extra = [torch.as_tensor(l, dtype=total.dtype, device=total.device).reshape(())
                     for l in regularization_losses]
            total = total + torch.stack(extra).sum()
        return total

    def _weighted(self, y_true, y_pred, sample_weight):
        if len(self.losses) == 1:
            y_true = single_target(y_true, y_pred, self.output_names)
            sample_weight = single_target(sample_weight, y_pred, self.output_names)
            loss = self.losses[0](y_true, _only_output(y_pred), sample_weight)
            return loss if self.weights[0] == 1.0 else loss * self.weights[0]
        flat_pred = _flatten(y_pred)
        flat_true = flatten_targets(y_true, y_pred, self.output_names, self._no_loss)
        flat_sw = flatten_targets(sample_weight, y_pred, self.output_names, self.output_names) if isinstance(
            sample_weight, (list, tuple, dict)) else [sample_weight] * len(flat_pred)
        total = None
        for fn, w, t, p, sw, tracker in zip(self.losses, self.weights, flat_true, flat_pred, flat_sw, self.trackers):
            if fn is None:
                continue
            value = fn(t, p, sw)
            if tracker is not None:
                tracker.add(value.detach(), p.shape[0])
            value = value * w if w != 1.0 else value
            total = value if total is None else total + value
        return total

    def reset_state(self):
        for t in self.trackers:
            if t is not None:
                t.reset_state()

    def results(self):
        return {t.name: t.result() for t in self.trackers if t is not None}


def single_target(y, y_pred, output_names):
    """The target of a one-output model: Keras 2 also took a dict keyed by the output's name
    (`{'ctc': zeros}` in the OCR recipe)."""
    if isinstance(y, dict) and not isinstance(y_pred, dict):
        (y,) = flatten_targets(y, y_pred, output_names)
    return y


def flatten_targets(y, y_pred, output_names, optional=()):
    """y as a flat list in output order (y may be a tensor, list/tuple, or dict by output name).

    Names in `optional` (outputs that nothing is computed against, e.g. no loss in a
    `compile(loss={...})` dict naming only some outputs) may be absent from a dict; their
    entry is None, as in tf.keras 2, which took targets only for the outputs that use them."""
    if isinstance(y, dict):
        missing = [n for n in output_names if n not in y]
        if isinstance(y_pred, dict) and not missing:
            return [y[k] for k in y_pred]
        if missing and len(y) == len(output_names):
            return list(y.values())
        if missing and all(n in optional for n in missing) and all(k in output_names for k in y):
            return [y.get(n) for n in output_names]
        if missing:
            raise ValueError(f"The targets dict has keys {sorted(y)} but the model's outputs are named "
                             f"{output_names}. Key the targets by output name.")
        return [y[n] for n in output_names]
    if isinstance(y, (list, tuple)):
        return list(y)
    needed = [i for i, n in enumerate(output_names) if n not in optional]
    if len(output_names) > 1 and len(needed) == 1:
        # One target for a model with several outputs of which only one has a loss
        # (`loss=[loss_fn, None]`, keras.io's miniature GPT): it is that output's target.
        return [y if i == needed[0] else None for i in range(len(output_names))]
    return [y]


def _unique_metric_names(entries, output_names):
    """Keras 3's log names when two metrics would share one (two outputs of one layer both named
    after it, or `mae` in both `metrics` and `weighted_metrics`): a repeated metric gets `_1`,
    `_2`, ...; a repeated weighted metric is `weighted_<name>` (then `_1`, ...). Without this
    the later metric overwrote the earlier one in the logs."""
    counters, renamed = {}, []
    for name, metric, i, weighted in entries:
        if name not in counters:
            counters[name] = 1
        elif not weighted:
            index, counters[name] = counters[name], counters[name] + 1
            name = f"{name}_{index}"
        else:
            prefix = f"{output_names[i]}_" if output_names is not None else ""
            name = f"{prefix}weighted_{name[len(prefix):]}"
            if name not in counters:
                counters[name] = 1
            else:
                index, counters[name] = counters[name], counters[name] + 1
                name = f"{name}_{index}"
        renamed.append((name, metric, i, weighted))
    return renamed


def _missing_metric_target(name, y_true):
    return ValueError(f"compile() gave output {name!r} metrics, but the targets dict has no entry "
                      f"for it (keys: {sorted(y_true)}). Add its targets, or drop its metrics.")


class _UpdateUnweighted:
    """`metric.update_state` that drops sample weights (a picklable stand-in for a bound method)."""

    def __init__(self, metric):
        self.metric = metric

    def __call__(self, y_true, y_pred, sample_weight=None):
        return type(self.metric).update_state(self.metric, y_true, y_pred)


def _ignore_sample_weight(metric):
    """A metric compile() made from `metrics=[...]` (a name or function) is unweighted: in Keras
    the model's metrics container updates it without sample weights even when a custom
    train_step passes them (`metric.update_state(y, y_pred, sample_weight=sw)` for each of
    `model.metrics`), so its update ignores them here too."""
    metric.update_state = _UpdateUnweighted(metric)


def user_functions(spec):
    """Whether a compile() loss/metrics spec holds functions written by the user, which may
    close over the model's graph tensors (Keras 1/2 VAE terms read z_mean / z_log_var)."""
    return any(callable(f) and not isinstance(f, type) and not type(f).__module__.startswith("keraslite")
               and not str(getattr(f, "__module__", "") or "").startswith("keraslite") for f in tree.flatten(spec))


class CompiledMetrics:
    """The user's metrics per output; `weighted_metrics` also receive sample weights.

    Also the metric-like container Keras 3 lists in `model.metrics` after the loss tracker
    (`<CompileMetrics name=compile_metrics>`): a custom train_step's
    `for m in self.metrics: m.update_state(y, y_pred)` updates (and, the first time, builds)
    every compiled metric through it, its `result()` is a dict of their results, and its
    `metrics` lists them."""

    name = "compile_metrics"

    def __init__(self, metrics=None, weighted_metrics=None):
        self._user_metrics = metrics
        self._user_weighted = weighted_metrics
        self.built = False
        # A metric function reading graph tensors runs where the loss does (live_graph_values).
        self.reads_graph = user_functions([metrics, weighted_metrics])
        self.entries = []  # (log name, metric, output index, weighted)

    def __repr__(self):
        return f"<CompileMetrics name={self.name}>"

    def __getattr__(self, name):
        # tf.keras 2 listed the compiled metric objects themselves in `model.metrics`, and its
        # programs read a metric's own attributes there (`model.metrics[-1].threshold`): with one
        # compiled metric, the container answers for it.
        entries = self.__dict__.get("entries") or []
        metrics = list({id(entry[1]): entry[1] for entry in entries}.values())
        if not name.startswith("_") and len(metrics) == 1 and hasattr(metrics[0], name):
            return getattr(metrics[0], name)
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    @property
    def listed(self):
        """Whether `model.metrics` shows this container: when compile() was given metrics."""
        return bool(self._user_metrics) or bool(self._user_weighted)

    def build(self, y_true, y_pred, output_names):
        flat_pred = _flatten(y_pred)
        # Outputs without a target (a targets dict naming only the outputs with a loss) may still
        # be absent here; one that has metrics but no target is an error below.
        flat_true = flatten_targets(y_true, y_pred, output_names, output_names)
        multi = len(flat_pred) > 1
        self.entries = []
        self.broadcast = False  # a flat list given to every output (Keras 2; Keras 3 raises)
        for weighted, user in ((False, self._user_metrics), (True, self._user_weighted)):
            if user is None:
                continue
            if multi and isinstance(user, (list, tuple)) and any(
                    isinstance(m, (list, tuple, dict)) for m in user):
                per_output = _per_output(list(user), output_names, "metrics")
            elif isinstance(user, dict):
                per_output = _per_output(user, output_names, "metrics")
            elif multi and isinstance(user, (list, tuple)) and len(user) == len(flat_pred):
                # Keras 3 reads a flat list as long as the outputs as one metric per output. (Keras 2
                # gave every output all of them; other lengths still do that, where Keras 3 raises.)
                per_output = list(user)
            else:
                per_output = [user] * len(flat_pred)
                self.broadcast = multi
            for i, (items, t, p) in enumerate(zip(per_output, flat_true, flat_pred)):
                if items is None:
                    continue
                if not isinstance(items, (list, tuple)):
                    items = [items]
                if t is None and items:
                    raise _missing_metric_target(output_names[i], y_true)
                for ident in items:
                    metric, name = _resolve_metric(ident, t, p)
                    if multi and not isinstance(output_names, UnnamedOutputs):
                        name = f"{output_names[i]}_{name}"
                    if not weighted and metric is not ident and hasattr(metric, "update_state"):
                        _ignore_sample_weight(metric)
                    self.entries.append((name, metric, i, weighted))
        prefixed = multi and not isinstance(output_names, UnnamedOutputs)
        self.unprefixed = not prefixed  # log names are the metrics' own (evaluate lists them in order)
        self.own_names = [n for n, _, _, _ in self.entries]  # before a repeated name is made unique
        self.entries = _unique_metric_names(self.entries, output_names if prefixed else None)
        # Metric objects may come from another model (a tutorial's shared METRICS list) still
        # holding its last evaluation; fit/evaluate reset their metrics before the first batch,
        # which is before this lazy build, so start these from zero here.
        for _, metric, _, _ in self.entries:
            if hasattr(metric, "reset_state"):
                metric.reset_state()
        self._single = not multi
        self.output_names = list(output_names)
        self.built = True

    @property
    def metrics(self):
        return [m for _, m, _, _ in self.entries]

    @property
    def names(self):
        return [n for n, _, _, _ in self.entries]

    def update_state(self, y_true, y_pred, sample_weight=None):
        if not self.built:
            self.build(y_true, y_pred, _lazy_names(self, y_pred))
        if not self.entries:
            return
        if self._single:
            y_true = single_target(y_true, y_pred, self.output_names)
            sample_weight = single_target(sample_weight, y_pred, self.output_names)
            y_pred = _only_output(y_pred)
            for _, metric, _, weighted in self.entries:
                metric.update_state(y_true, y_pred, sample_weight if weighted else None)
            return
        flat_pred = _flatten(y_pred)
        flat_true = flatten_targets(y_true, y_pred, self.output_names, self.output_names)
        flat_sw = flatten_targets(sample_weight, y_pred, self.output_names, self.output_names) if isinstance(
            sample_weight, (list, tuple, dict)) else [sample_weight] * len(flat_pred)
        for _, metric, i, weighted in self.entries:
            if flat_true[i] is None:
                raise _missing_metric_target(self.output_names[i], y_true)
            metric.update_state(flat_true[i], flat_pred[i], flat_sw[i] if weighted else None)

    def reset_state(self):
        for _, metric, _, _ in self.entries:
            metric.reset_state()

    reset_states = reset_state  # tf.keras 2's name

    def results(self):
        return {name: metric.result() for name, metric, _, _ in self.entries}

    result = results  # as a metric: {log name: result}

    @property
    def variables(self):
        return [v for m in self.metrics for v in getattr(m, "variables", [])]
