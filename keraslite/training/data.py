"""Data for the loops: whatever the user passes to fit/evaluate/predict -> batches on the device.

Owns: the `Sequence` / `PyDataset` base classes (keraslite.utils re-exports them), unpacking
`(x, y, sample_weight)`, numpy/torch/list/dict conversion (float64 -> floatx, integer labels
stay integer), sample-count checks, `validation_split` (the last fraction, taken before any
shuffling, as Keras does), `class_weight` -> per-sample weights, and one adapter per kind of
input:

- ArrayData: numpy arrays / tensors / lists / dicts of them. Moved to the device once per
  fit (when they fit), shuffled once per epoch with one gather, then cut into batch *views*
  with torch.split, so a training step does no indexing or copying of its own.
- IteratorData: Python generators and iterators, torch DataLoaders and Datasets,
  Sequence/PyDataset. Each batch is converted and moved as it arrives.

Leaves to others: what happens with a batch (loop.py).
"""
import itertools
import math
import random
import warnings

import numpy as np
import torch

from keraslite import backend
from keraslite.training import distributed

__all__ = ["PyDataset", "Sequence", "unpack_x_y_sample_weight", "pack_x_y_sample_weight", "make_adapter",
           "train_validation_split"]


class PyDataset:
    """Base class for datasets made of batches: subclasses implement `__len__` (number of
    batches) and `__getitem__(index)` -> `(x, y)` or `(x, y, sample_weight)` or `x`.
    `on_epoch_end()` runs after each epoch. workers/use_multiprocessing/max_queue_size are
    accepted for Keras compatibility; batches are loaded in the training process."""

    def __init__(self, workers=1, use_multiprocessing=False, max_queue_size=10):
        self._workers = workers
        self._use_multiprocessing = use_multiprocessing
        self._max_queue_size = max_queue_size

    @property
    def workers(self):
        return getattr(self, "_workers", 1)

    @property
    def use_multiprocessing(self):
        return getattr(self, "_use_multiprocessing", False)

    @property
    def max_queue_size(self):
        return getattr(self, "_max_queue_size", 10)

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} must implement __getitem__(index).")

    def __len__(self):
        raise NotImplementedError(f"{type(self).__name__} must implement __len__().")

    @property
    def num_batches(self):
        try:
            return len(self)
        except (NotImplementedError, TypeError):
            return None

    def on_epoch_begin(self):
        pass

    def on_epoch_end(self):
        pass

    def __iter__(self):
        for i in range(len(self)):
            yield self[i]


Sequence = PyDataset  # Keras 2 name (keras.utils.Sequence)


# ----------------------------------------------------------------------------- structures

def unpack_x_y_sample_weight(data):
    if isinstance(data, list):
        data = tuple(data)
    if not isinstance(data, tuple):
        return data, None, None
    if len(data) == 1:
        return data[0], None, None
    if len(data) == 2:
        return data[0], data[1], None
    if len(data) == 3:
        return data[0], data[1], data[2]
    raise ValueError(f"Data is expected to be `x`, `(x,)`, `(x, y)` or `(x, y, sample_weight)`; received a tuple "
                     f"of {len(data)} elements.")


def pack_x_y_sample_weight(x, y=None, sample_weight=None):
    if y is None:
        return (x,) if isinstance(x, (list, tuple)) else x
    if sample_weight is None:
        return (x, y)
    return (x, y, sample_weight)


def map_structure(fn, s):
    if s is None:
        return None
    if isinstance(s, dict):
        return {k: map_structure(fn, v) for k, v in s.items()}
    if isinstance(s, (list, tuple)):
        return type(s)(map_structure(fn, v) for v in s) if not hasattr(s, "_fields") else type(s)(
            *[map_structure(fn, v) for v in s])
    return fn(s)


def flatten(s):
    if s is None:
        return []
    if isinstance(s, dict):
        return [t for v in s.values() for t in flatten(v)]
    if isinstance(s, (list, tuple)):
        return [t for v in s for t in flatten(v)]
    return [s]


def _is_array(v):
    """An array or tensor; a numpy scalar (np.int64(1), an item of `list(np_array)`) is a number."""
    return isinstance(v, (np.ndarray, torch.Tensor)) or (hasattr(v, "__array__") and hasattr(v, "shape")
                                                         and not isinstance(v, np.generic))


def _is_pandas(v):
    return type(v).__module__.startswith("pandas") and hasattr(v, "to_numpy") and hasattr(v, "shape")


def from_pandas(v):
    """A pandas DataFrame / Series as its numpy array (Keras takes them as arrays); anything else
    unchanged."""
    return v.to_numpy() if _is_pandas(v) else v


def standardize(s):
    """Lists of arrays stay structures (multi-input); lists of numbers become one array."""
    if s is None:
        return None
    s = from_pandas(s)  # a DataFrame / Series is one array, as Keras takes it
    if isinstance(s, dict):
        return {k: standardize(v) for k, v in s.items()}
    if isinstance(s, (list, tuple)):
        if s and all(_is_array(v) or isinstance(v, (dict, list, tuple)) and _is_nested_arrays(v) for v in s):
            return [standardize(v) for v in s]
        return np.asarray(s)
    return s


def _is_nested_arrays(v):
    if isinstance(v, dict):
        return all(_is_array(t) for t in v.values())
    return all(_is_array(t) for t in v) and len(v) > 0


def _numbers_of(a):
    """An object array holding only numbers (`df.values[:, 0:60]` of a frame with a text column)
    as float32, as Keras 2 on TensorFlow 1 fed it; otherwise `a` unchanged."""
    if a.size and all(isinstance(x, (int, float, np.number)) and not isinstance(x, (bool, np.bool_))
                      for x in a.flat):
        return a.astype(np.float32)
    return a


def to_tensor(v, device=None):
    """numpy / tensor / scalar -> torch tensor; float64 becomes floatx, integers stay integers."""
    if isinstance(v, torch.Tensor):
        # Data is never part of a graph: a layer's output computed eagerly and handed to fit
        # (`codes = encoder(X)`; `ae.fit(codes, codes)`) would otherwise take each step's
        # backward into the graph that computed it, already freed after the first step.
        t = v.detach() if v.requires_grad else v
    else:
        a = np.asarray(v)
        if a.dtype == object:
            a = _numbers_of(a)
        if a.dtype == object:
            raise TypeError(f"Cannot turn an array of Python objects (shape {a.shape}) into a tensor. Pass numeric "
                            "numpy arrays, tensors, or lists of numbers.")
        if a.dtype.kind == "U" or a.dtype.kind == "S":
            raise TypeError(f"Cannot train on string data (array of shape {a.shape}). Convert it to numbers first "
                            "(for example with a vocabulary lookup).")
        if not a.flags.writeable or not a.flags.c_contiguous:
            a = np.ascontiguousarray(a).copy()
        t = torch.from_numpy(a)
    if t.dtype == torch.float64:
        t = t.to(backend.torch_dtype(backend.floatx()))
    if t.dtype in (torch.uint8, torch.int8, torch.int16, torch.int32) and not t.is_floating_point():
        pass  # keep integer labels integer; losses cast as needed
    if device is not None and t.device != device:
        t = t.to(device, non_blocking=True)
    return t


def _num_samples(s, name):
    sizes = [int(t.shape[0]) if getattr(t, "ndim", 1) else None for t in flatten(s)]
    return sizes


def check_cardinality(x, y, sample_weight):
    sizes = {}
    for name, s in (("x", x), ("y", y), ("sample_weight", sample_weight)):
        if s is None:
            continue
        for t in flatten(s):
            if getattr(t, "ndim", 1) == 0:
                raise ValueError(f"`{name}` contains a scalar (0-d) array; every input needs a leading batch axis.")
        sizes[name] = sorted({int(t.shape[0]) for t in flatten(s)})
    all_sizes = {n for v in sizes.values() for n in v}
    if len(all_sizes) > 1:
        detail = "\n".join(f"'{k}' sizes: {', '.join(map(str, v))}" for k, v in sizes.items())
        raise ValueError("Data cardinality is ambiguous: x, y and sample_weight must contain the same number of "
                         f"samples (first dimension).\n{detail}\nMake sure all arrays have the same length.")
    return all_sizes.pop() if all_sizes else 0


def train_validation_split(arrays, validation_split):
    """Split (x, y, sample_weight) into the first floor(n*(1-split)) samples and the rest."""
    x, y, sw = arrays
    flat = flatten(arrays)
    if any(not _is_array(t) for t in flat):
        bad = sorted({type(t).__name__ for t in flat if not _is_array(t)})
        raise ValueError("`validation_split` is only supported for tensors or NumPy arrays; found "
                         f"{bad}. Pass `validation_data=` instead.")
    n = int(flat[0].shape[0])
    split_at = int(math.floor(n * (1.0 - validation_split)))
    if split_at == 0 or split_at == n:
        raise ValueError(f"Training data contains {n} samples, which is not sufficient to split it into a "
                         f"validation and training set as specified by `validation_split={validation_split}`. "
                         "Either provide more data, or a different value for `validation_split`.")
    train = tuple(map_structure(lambda t: t[:split_at], s) for s in (x, y, sw))
    val = tuple(map_structure(lambda t: t[split_at:], s) for s in (x, y, sw))
    return train, val


def standardize_class_weight(class_weight):
    """`class_weight` as a {class index: weight} dict, or None when empty. A list or 1-D array
    of per-class weights (Keras 2 programs computed `totals.max() / totals`) gives weight w[i]
    to class i; Keras itself takes only dicts."""
    if isinstance(class_weight, dict) and _per_output(class_weight):
        # Keras 2: {output name: {class: weight}} for a multi-output model's dict of targets.
        return {k: standardize_class_weight(v) for k, v in class_weight.items()}
    if class_weight is None or isinstance(class_weight, dict):
        return class_weight or None
    if isinstance(class_weight, (list, tuple)) and class_weight and all(
            v is None or isinstance(v, dict) for v in class_weight):
        # Keras 2: one {class: weight} dict (or None) per output of a multi-output model.
        return [standardize_class_weight(v) for v in class_weight]
    if isinstance(class_weight, (list, tuple, np.ndarray, torch.Tensor)):
        weights = np.asarray(class_weight.detach().cpu() if isinstance(class_weight, torch.Tensor) else class_weight)
        if weights.ndim == 1 and weights.dtype.kind in "biuf":
            return {i: float(w) for i, w in enumerate(weights)} or None
        raise ValueError(f"`class_weight` as a list or array must be 1-D numbers, one weight per class index; received "
                         f"an array of shape {weights.shape} and dtype {weights.dtype}. Pass a dict "
                         "{class index: weight} instead.")
    raise ValueError(f"`class_weight` must be a dict {{class index: weight}} (or a list / 1-D array of per-class "
                     f"weights); received {type(class_weight).__name__}: {class_weight!r}.")


def _per_output_class_weight(y, class_weight):
    """Keras 2's per-output class weights: a list in output order, or a dict by output name."""
    if isinstance(class_weight, dict):
        if not isinstance(y, dict) or set(class_weight) - set(y):
            raise ValueError(f"`class_weight` is keyed by output name ({sorted(class_weight)}) but the targets are "
                             + (f"a dict with keys {sorted(y)}" if isinstance(y, dict) else f"a {type(y).__name__}")
                             + ". Pass the targets as a dict by output name, or class_weight as a list of dicts "
                             "in output order.")
        return {k: None if class_weight.get(k) is None else class_weight_to_sample_weight(t, class_weight[k])
                for k, t in y.items()}
    if len(class_weight) == 1 and not isinstance(y, (list, tuple, dict)):
        return class_weight_to_sample_weight(y, class_weight[0] or {})
    if not isinstance(y, (list, tuple)) or len(y) != len(class_weight):
        got = f"{len(y)} targets" if isinstance(y, (list, tuple)) else "a single target array"
        raise ValueError(f"`class_weight` is a list of {len(class_weight)} per-output dicts but the model was given "
                         f"{got}. Pass one dict (or None) per output, or one dict for a single-output model.")
    return [None if cw is None else class_weight_to_sample_weight(t, cw) for t, cw in zip(y, class_weight)]


def apply_class_weight(y, sample_weight, class_weight):
    """`sample_weight` (None, a tensor, or one per output) times the class weights of `y`."""
    cw = class_weight_to_sample_weight(y, class_weight)
    if not isinstance(cw, (list, dict)):
        return _times(sample_weight, cw)
    per_output = isinstance(sample_weight, (list, tuple, dict))
    out = dict(cw) if isinstance(cw, dict) else list(cw)
    for k in (cw if isinstance(cw, dict) else range(len(cw))):
        sw = sample_weight[k] if per_output else sample_weight
        out[k] = sw if cw[k] is None else _times(sw, cw[k])
    return tuple(out) if isinstance(y, tuple) else out


def _times(sample_weight, class_weights):
    if sample_weight is None:
        return class_weights
    return sample_weight.to(torch.float32) * class_weights.to(sample_weight.device)


def _per_output(class_weight):
    """Keras 2's per-output class weights: a list (output order) or a dict by output name."""
    return isinstance(class_weight, (list, tuple)) or (
        isinstance(class_weight, dict) and bool(class_weight) and all(isinstance(k, str) for k in class_weight))


def class_weight_to_sample_weight(y, class_weight):
    """Per-sample weights from a {class: weight} dict; classes not listed weigh 1. Per-output
    class weights (a list, or a dict by output name) give one weight tensor per output."""
    if _per_output(class_weight):
        return _per_output_class_weight(y, class_weight)
    if isinstance(y, (list, tuple, dict)):
        raise ValueError("`class_weight` is only supported for models with a single output. Use "
                         "`sample_weight` for multi-output models.")
    y = y if isinstance(y, torch.Tensor) else torch.as_tensor(np.asarray(y))
    if y.ndim > 2:
        # As Keras: one weight per sample needs one class per sample. (TensorFlow's image
        # segmentation tutorial expects this error and weights pixels with sample_weight.)
        raise ValueError(f"`class_weight` not supported for 3+ dimensional targets (received targets of shape "
                         f"{tuple(y.shape)}). Weight each target position with `sample_weight` instead.")
    if y.ndim > 1:
        y = y.argmax(-1) if y.shape[-1] != 1 else y.squeeze(-1)
    labels = torch.round(y.float()).long() if y.is_floating_point() else y.long()
    n_classes = int(max(int(labels.max().item()) if labels.numel() else 0, max(int(k) for k in class_weight)) + 1)
    table = torch.ones(n_classes, dtype=torch.float32)
    for k, w in class_weight.items():
        table[int(k)] = float(w)
    return table.to(labels.device)[labels]


# ----------------------------------------------------------------------------- adapters

def _fits_on(device, leaves):
    if device.type != "cuda":
        return True
    nbytes = sum(t.numel() * t.element_size() for t in leaves)
    try:
        free, _ = torch.cuda.mem_get_info(device)
    except Exception:  # noqa: BLE001 - unknown memory: assume it fits
        return True
    return nbytes * 2 < free * 0.5  # room for the per-epoch shuffled copy and the model


RAN_OUT_OF_DATA = ("Your input ran out of data; interrupting training. Make sure that your dataset or generator "
                   "can generate at least `steps_per_epoch * epochs` batches. You may need to use the "
                   "`.repeat()` function when building your dataset.")
_NEW_PASS = object()  # a pass whose loader seed is drawn and whose order is not drawn yet


class ArrayData:
    """In-memory arrays, batched by slicing on the device."""

    _convert_input = staticmethod(lambda a: to_tensor(a))  # each input array -> what batches slice
    _movable = True  # whether the arrays may move to the device once, before the first epoch

    def __init__(self, x, y=None, sample_weight=None, batch_size=None, shuffle=False, class_weight=None,
                 steps=None, device=None):
        x, y, sample_weight = standardize(x), standardize(y), standardize(sample_weight)
        self.n = check_cardinality(x, y, sample_weight)
        self.batch_size = int(batch_size or 32)
        self.shuffle = shuffle
        self.device = device
        xs = map_structure(self._convert_input, x)
        ys = map_structure(to_tensor, y)
        sws = map_structure(to_tensor, sample_weight)
        if class_weight is not None and ys is not None:
            sws = apply_class_weight(ys, sws, class_weight)
        self.structure = (xs, ys, sws)
        leaves = flatten(self.structure)
        self.on_device = self._movable and (device is None or _fits_on(device, leaves))
        if device is not None and self.on_device:
            self.structure = map_structure(lambda t: t.to(device, non_blocking=True), self.structure)
        self.leaves = flatten(self.structure)
        self.num_batches = max(1, math.ceil(self.n / self.batch_size)) if self.n else 0
        self.steps = steps if steps is not None else self.num_batches
        self.carry_over = False  # see _steps_pass
        self._pass, self._seen = None, 0
        self._simple = (isinstance(xs, torch.Tensor) and (ys is None or isinstance(ys, torch.Tensor))
                        and (sws is None or isinstance(sws, torch.Tensor)))

    def _pack(self, leaves):
        it = iter(leaves)
        return map_structure(lambda _: next(it), self.structure)

    def epoch(self):
        """Batches for one epoch, each `(x, y, sample_weight)` with the user's structure.

        A full pass draws from torch's global generator exactly what Keras's torch trainer
        draws for the same arrays (it iterates a fresh torch DataLoader each epoch): the
        loader's seed when the pass starts, the order (below), and the next loader's seed once
        the last batch is taken. So after the same `set_random_seed` the epochs visit the
        samples in Keras's order, and dropout drawing from the same generator stays in step."""
        if self.steps == self.num_batches:
            loader_seed_draw()
            return itertools.chain(self._one_pass(), _call_then_stop(loader_seed_draw))
        return self._steps_pass()

    def first_batch_draws(self):
        """What Keras draws when it takes one batch to build a compiled model before the first
        fit/evaluate: a loader seed, then the first batch's order."""
        loader_seed_draw()
        if self.n and self.shuffle == "batch":
            torch.randperm(min(self.batch_size, self.n))
        elif self.n and self.shuffle:
            random_sampler_permutation(self.n)

    def _steps_pass(self):
        """`steps` differs from the number of batches. As in Keras, an epoch takes `steps`
        batches from the current pass over the data and ends early, with Keras's warning, when
        that pass runs out; a pass that ran out is replaced at once by a new one (a new torch
        DataLoader in Keras, whose seed is drawn then; its order is drawn at its first batch).
        With `carry_over` (fit's training data, whose iterator Keras keeps between epochs) a pass
        goes on into the next epoch; otherwise (evaluate, validation, predict) each call starts
        a new pass."""
        if self._pass is None or not self.carry_over:
            loader_seed_draw()
            self._pass, self._seen = _NEW_PASS, 0
        for _ in range(self.steps):
            if self._seen >= self.num_batches:
                warnings.warn(RAN_OUT_OF_DATA, stacklevel=2)
                break
            if self._pass is _NEW_PASS:
                self._pass = iter(self._one_pass())
            self._seen += 1
            yield next(self._pass)
        if self._seen >= self.num_batches:
            loader_seed_draw()
            self._pass, self._seen = _NEW_PASS, 0

    def _one_pass(self):
        leaves = self.leaves
        if self.shuffle == "batch" and self.n:
            return self._batch_shuffled_pass()
        if self.shuffle and self.n and leaves[0].device.type == "cpu":
            # Each batch gathered as it is taken: on the CPU ~3x faster over an epoch than one
            # permuted copy of the whole data (which is written, then read again cache-cold).
            perm = random_sampler_permutation(self.n).split(self.batch_size)
            splits = [_gather_batches(t, perm) for t in leaves]
        else:
            if self.shuffle and self.n:  # on an accelerator: one gather, not a launch per batch
                perm = random_sampler_permutation(self.n).to(leaves[0].device)
                leaves = [t.index_select(0, perm) for t in leaves]
            splits = [torch.split(t, self.batch_size) for t in leaves]
        move = self.device is not None and not self.on_device
        if self._simple:
            xs, ys, sws = self.structure
            parts = [iter(s) for s in splits]
            px = parts[0]
            py = parts[1] if ys is not None else None
            ps = parts[-1] if sws is not None else None
            batches = zip(px, py if py is not None else _nones(), ps if ps is not None else _nones())
            if move:
                dev = self.device
                batches = ((_move(a, dev), _move(b, dev), _move(c, dev)) for a, b, c in batches)
        else:
            batches = (self._pack([_move(t, self.device) if move else t for t in group]) for group in zip(*splits))
        return batches

    def _batch_shuffled_pass(self):
        # shuffle="batch": batches keep their samples, each batch's order is drawn (from torch's
        # global generator) as the batch is taken, as Keras's batch sampler does.
        move = self.device is not None and not self.on_device
        for start in range(0, self.n, self.batch_size):
            size = min(self.batch_size, self.n - start)
            idx = same_order(torch.randperm(size)) + start
            group = []
            for t in self.leaves:
                part = t.index_select(0, idx.to(t.device))
                group.append(_move(part, self.device) if move else part)
            yield self._pack(group)

    def on_epoch_end(self):
        pass

    def reset(self):
        pass


def _gather_batches(t, batch_indices):
    for idx in batch_indices:
        yield t.index_select(0, idx)


def loader_seed_draw():
    """The base seed a torch DataLoader draws from the global generator each time it is iterated."""
    torch.empty((), dtype=torch.int64).random_()


def random_sampler_permutation(n):
    """The order torch's RandomSampler gives: a seed from the global generator, then a
    permutation from a generator of its own."""
    seed = int(torch.empty((), dtype=torch.int64).random_().item())
    gen = torch.Generator()
    gen.manual_seed(seed)
    return same_order(torch.randperm(n, generator=gen))


def same_order(order):
    """A shuffled order (tensor or list), process 0's in a multi-process fit, so that every
    process cuts the same batches."""
    w = distributed.current()
    return order if w is None else w.same_on_all(order)


def _call_then_stop(fn):
    """An empty iterator that calls `fn` when asked for its (nonexistent) first item."""
    fn()
    return
    yield


def is_string_array(v):
    """A numpy array of text (str / bytes, or objects that are strings)."""
    if not isinstance(v, np.ndarray):
        return False
    if v.dtype.kind in "US":
        return True
    return v.dtype.kind == "O" and v.size > 0 and isinstance(v.flat[0], (str, bytes))


def _tensor_or_strings(v, device=None):
    return v if is_string_array(v) else to_tensor(v, device)


class StringArrayData(ArrayData):
    """In-memory arrays where some inputs are text, for models that start with
    TextVectorization / StringLookup / Hashing on `Input(dtype="string")`. Text stays numpy
    (sliced per batch; the string layers make tensors of it); the rest are tensors."""

    _convert_input = staticmethod(lambda a: _tensor_or_strings(a))
    _movable = False

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._simple = False

    def _one_pass(self):
        order = None
        if self.shuffle and self.shuffle != "batch" and self.n:
            order = random_sampler_permutation(self.n)
        for start in range(0, self.n, self.batch_size):
            if order is not None:
                idx = order[start:start + self.batch_size]
            elif self.shuffle == "batch":
                idx = same_order(torch.randperm(min(self.batch_size, self.n - start))) + start
            else:
                idx = torch.arange(start, min(start + self.batch_size, self.n))
            group = []
            for t in self.leaves:
                if isinstance(t, np.ndarray):
                    group.append(t[idx.numpy()])
                else:
                    part = t.index_select(0, idx.to(t.device))
                    group.append(_move(part, self.device) if self.device is not None else part)
            yield self._pack(group)


def _nones():
    while True:
        yield None


def _move(t, device):
    return t if t is None else t.to(device, non_blocking=True)


class IteratorData:
    """Generators, iterators, torch DataLoaders/Datasets and Sequence/PyDataset objects."""

    def __init__(self, data, steps=None, shuffle=False, class_weight=None, device=None, batch_size=None):
        self.device = device
        self.class_weight = class_weight
        self.shuffle = shuffle
        self.source = data
        if isinstance(data, torch.utils.data.DataLoader) and shuffle:
            warnings.warn("`shuffle=True` was passed, but will be ignored since the data `x` was provided as a torch "
                          "DataLoader. The DataLoader is expected to already be shuffled.", stacklevel=2)
        if isinstance(data, torch.utils.data.Dataset) and not isinstance(data, torch.utils.data.IterableDataset) \
                and not isinstance(data, PyDataset) and hasattr(data, "__getitem__") and hasattr(data, "__len__") \
                and not isinstance(data, torch.utils.data.DataLoader):
            data = torch.utils.data.DataLoader(data, batch_size=int(batch_size or 32), shuffle=bool(shuffle))
            self.source = data
        self._live = None  # the current pass
        if isinstance(data, PyDataset) or isinstance(data, torch.utils.data.DataLoader) or _is_reiterable(data):
            self.reiterable = True
            try:
                self.num_batches = data.num_batches if isinstance(data, PyDataset) else len(data)
            except TypeError:
                self.num_batches = None
            if steps is None and isinstance(data, PyDataset) and self.num_batches is None:
                raise ValueError(f"{type(data).__name__}.num_batches is None (an endless PyDataset), so an epoch "
                                 "would never end. Pass `steps_per_epoch` to fit (or `steps` to evaluate/predict).")
            if steps is None and _is_infinite(data):
                raise ValueError("The dataset repeats forever (its cardinality is infinite), so an epoch would "
                                 "never end. Pass `steps_per_epoch` to fit (or `steps` to evaluate/predict), or "
                                 "give .repeat() a count.")
        else:
            self.reiterable = False
            self.num_batches = None
            self._iterator = iter(data)
        self.steps = steps if steps is not None else self.num_batches
        self._exhausted_warned = False
        self.carry_over = False  # fit's training data: with steps_per_epoch, a pass spans epochs
        self._steps_given = steps is not None
        self._seen = 0  # batches taken from the current pass

    def _convert(self, batch):
        x, y, sw = unpack_x_y_sample_weight(batch)
        x, y, sw = standardize(x), standardize(y), standardize(sw)
        to = lambda t: _tensor_or_strings(t, self.device)  # noqa: E731
        x, y, sw = map_structure(to, x), map_structure(to, y), map_structure(to, sw)
        if self.class_weight is not None and y is not None:
            sw = apply_class_weight(y, sw, self.class_weight)
        return x, y, sw

    def _new_pass(self):
        """A fresh pass over the source, started as Keras's torch trainer starts one: through a
        new torch DataLoader, whose base seed comes from torch's global generator (a DataLoader
        given by the user draws it itself). A PyDataset's batch order is shuffled with Python's
        `random` when its first batch is taken, as Keras does. A one-shot iterator goes on."""
        src = self.source
        if isinstance(src, torch.utils.data.DataLoader):
            return iter(src)
        loader_seed_draw()
        if isinstance(src, PyDataset):
            return _pydataset_pass(src, self.shuffle)
        return iter(src) if self.reiterable else self._iterator

    def first_batch_draws(self):
        """What Keras draws when it takes one batch from a fresh loader to build a compiled model
        before the first fit/evaluate: a new pass and its first batch (a PyDataset's order)."""
        src = self.source
        if isinstance(src, torch.utils.data.DataLoader):
            next(iter(src), None)
        elif isinstance(src, PyDataset) and getattr(src, "_endless", False):
            loader_seed_draw()  # a Keras 2 image iterator: Keras 2 read nothing ahead
        elif isinstance(src, PyDataset):
            # The batch is really read: a dataset's __getitem__ may draw random numbers
            # (augmentation) or keep state, as it does under Keras.
            loader_seed_draw()
            src.on_epoch_begin()
            order = list(range(src.num_batches)) if src.num_batches is not None else [0]
            if self.shuffle and src.num_batches is not None:
                random.shuffle(order)
                order = same_order(order)
            src[order[0]]
        else:
            loader_seed_draw()

    def epoch(self):
        """One epoch, as Keras's epoch iterator runs it. A pass goes on into the next epoch only
        for fit's training data with steps_per_epoch; otherwise each epoch starts a new one. An
        epoch ends after `steps` batches, or early (with Keras's warning when steps were given)
        when the pass runs out. A pass of known length that ran to its end is replaced at once,
        as Keras replaces it (kept for the next epoch only in the carried-over case)."""
        known = self.num_batches
        carry = self.carry_over and self._steps_given
        if isinstance(self.source, PyDataset):
            self.source.on_epoch_begin()
        if self._live is None or not carry:
            self._live, self._seen = self._new_pass(), 0
        count = 0
        while self.steps is None or count < self.steps:
            if known and self._seen >= known:
                if self._steps_given and getattr(self.source, "_endless", False):
                    # A Keras 2 image iterator (ImageDataGenerator.flow*) never runs out: with
                    # steps past its length the next pass (reshuffled) goes on, as Keras 2 did.
                    self.source.on_epoch_end()
                    self._live, self._seen = self._new_pass(), 0
                    continue
                self._warn_ran_out()
                break
            try:
                batch = next(self._live)
            except StopIteration:
                self._live = None
                self._warn_ran_out()
                return
            self._seen += 1
            count += 1
            yield self._convert(batch)
        if known and self._seen >= known:
            replacement = self._new_pass()
            self._live, self._seen = (replacement, 0) if carry else (None, 0)

    def _warn_ran_out(self):
        if self._steps_given and not self._exhausted_warned:
            self._exhausted_warned = True
            warnings.warn(RAN_OUT_OF_DATA, stacklevel=4)


    def on_epoch_end(self):
        if isinstance(self.source, PyDataset):
            self.source.on_epoch_end()

    def reset(self):
        """The start of a fit or of an evaluation (validation included): Keras resets its epoch
        iterator there, which ends a PyDataset's epoch (`on_epoch_end()`, where datasets
        commonly reshuffle), so the first epoch already reads the reshuffled order. Not for a
        Keras 2 image iterator (ImageDataGenerator.flow*), which keeps Keras 2's passes."""
        if not getattr(self.source, "_endless", False):
            self.on_epoch_end()


def _pydataset_pass(dataset, shuffle):
    """One pass over a PyDataset: its batches in order (shuffled as Keras shuffles them), or
    batch 0, 1, 2 ... without end when its num_batches is None."""
    count = dataset.num_batches
    if count is None:
        for i in itertools.count():
            yield dataset[i]
        return
    order = list(range(count))
    if shuffle:
        random.shuffle(order)
        order = same_order(order)
    for i in order:
        yield dataset[i]


def _is_reiterable(x):
    """An iterable that is not itself an iterator (a tf.data.Dataset, a torch IterableDataset ...):
    each iter() starts a fresh pass, so it can serve every epoch."""
    return (hasattr(x, "__iter__") and not hasattr(x, "__next__")
            and not isinstance(x, (list, tuple, dict, str, bytes, np.ndarray, torch.Tensor)))


def _is_infinite(x):
    # tf.data.Dataset.cardinality(): -1 means it repeats forever.
    cardinality = getattr(x, "cardinality", None)
    try:
        return callable(cardinality) and int(cardinality()) == -1
    except (TypeError, ValueError):
        return False


def is_array_like(x):
    flat = flatten(standardize(x)) if isinstance(x, (list, tuple, dict)) else [x]
    return bool(flat) and all(_is_array(t) or isinstance(t, (int, float, np.number)) for t in flat)


def make_adapter(x, y=None, sample_weight=None, batch_size=None, shuffle=False, class_weight=None, steps=None,
                 device=None):
    """The adapter for `x` (and y / sample_weight, which only arrays accept separately)."""
    from keraslite import config

    if steps is not None and not isinstance(steps, (int, np.integer)):
        # `steps_per_epoch=len(x) / 32` (TF 2 courses): TF 2 ran batches while step < steps.
        if not isinstance(steps, (float, np.floating)) or not math.isfinite(steps):
            raise TypeError(f"steps must be a whole number of batches (or None); received {steps!r}.")
        steps = math.ceil(steps)
    cap = config.max_steps_per_epoch()  # keras.config.set_max_steps_per_epoch / KERAS_MAX_STEPS_PER_EPOCH
    if cap and (not steps or cap < steps):
        warnings.warn(f"Limiting steps_per_epoch to {cap}", stacklevel=3)
        steps = cap
    if x is None:
        raise ValueError("No input data: pass `x` (arrays, a generator, a Sequence/PyDataset or a DataLoader).")
    x, y, sample_weight = from_pandas(x), from_pandas(y), from_pandas(sample_weight)
    if isinstance(y, (list, tuple)) and not y:
        y = None  # Keras 2's `y=[]`: no targets (a model trained on its add_loss penalties alone)
    class_weight = standardize_class_weight(class_weight)
    if isinstance(x, (np.ndarray, torch.Tensor)) or (isinstance(x, (list, tuple, dict)) and is_array_like(x)):
        if any(is_string_array(t) for t in flatten(standardize(x))):
            return StringArrayData(x, y, sample_weight, batch_size=batch_size, shuffle=shuffle,
                                   class_weight=class_weight, steps=steps, device=device)
        return ArrayData(x, y, sample_weight, batch_size=batch_size, shuffle=shuffle, class_weight=class_weight,
                         steps=steps, device=device)
    if y is not None or sample_weight is not None:
        raise ValueError(f"When `x` is a {type(x).__name__}, it must yield the targets itself: pass `y` and "
                         "`sample_weight` inside the batches it yields, not as separate arguments.")
    if hasattr(x, "__iter__") or hasattr(x, "__next__") or \
            isinstance(x, (PyDataset, torch.utils.data.Dataset)):
        return IteratorData(x, steps=steps, shuffle=shuffle, class_weight=class_weight, device=device,
                            batch_size=batch_size)
    raise TypeError(f"Unrecognized data type: x={type(x).__name__}. Expected numpy arrays, torch tensors, lists or "
                    "dicts of them, a Python generator, a keras Sequence/PyDataset, or a torch Dataset/DataLoader.")
