"""Data-parallel `fit` across processes, on torch.distributed.

A program started by `torchrun --nproc_per_node=N program.py` (or by any launcher that sets
torch's `WORLD_SIZE`, `RANK` and `MASTER_ADDR` / `MASTER_PORT`, or that calls
`torch.distributed.init_process_group` itself) trains one model replicated in N processes, the
way Keras's MirroredStrategy does:

- `batch_size` is the global batch. Each batch is cut into N contiguous parts, one per process
  (`shard`), so a step's update is the update one process would make on the whole batch: each
  process's gradients are weighted by its share of the batch and summed across processes before
  the optimizer applies them (`reduce_gradients`, called by the optimizer during `fit`).
- The weights start from process 0's (`broadcast_weights`), and every shuffled order is process
  0's (`same_on_all`), so the processes cut the same batches.
- Validation data is cut the same way. Logs read at the end of an epoch or of a validation come
  from the metric states summed across processes (each state's `aggregation`, 'sum' by
  default as in Keras); batch-level logs, which only the progress bar reads, are the process's
  own. Non-trainable weights (BatchNormalization's moving statistics) are averaged across
  processes at each epoch end, as MirroredStrategy averages their updates.
- Process 0 alone prints progress and writes files (ModelCheckpoint, CSVLogger, TensorBoard);
  `stop_training` set on any process stops all of them.

A torch DataLoader over a `DistributedSampler` already gives each process its own part: its
batches are used as they come, and gradients are averaged. `evaluate` and `predict` called on
their own run the whole input in each process that calls them (no collective operations, so a
program may call them on process 0 only). The backend is NCCL when the processes train on
CUDA, gloo otherwise; the group is created at the first `fit` when the program has not made it.
"""
import atexit
import contextlib
import functools
import gc
import os
import warnings
import weakref

import torch
import torch.distributed as dist

_CURRENT = None  # the _World a fit() / train_on_batch() is training in; read by Optimizer._apply
_WRAPPED = weakref.WeakSet()  # loop states holding a DistributedDataParallel wrapper (see _destroy)


def world():
    """The process group of a multi-process run, or None in a single process. A run launched
    by torchrun whose group does not exist yet gets it here (torch's env:// rendezvous).
    `KERASLITE_DISTRIBUTED=0` keeps every process on its own."""
    if not dist.is_available():
        return None
    if not dist.is_initialized():
        if not _launched() or "MASTER_ADDR" not in os.environ or "RANK" not in os.environ:
            return None
        _init_from_env()
    if dist.get_world_size() <= 1:
        return None
    if _World.instance is None or _World.instance.group_id != id(dist.group.WORLD):
        if _World.instance is None:
            # Leave the group before the interpreter exits, also one the program made: gloo's
            # threads alive at exit abort the process ("terminate called without an active
            # exception"), and NCCL warns.
            atexit.register(_destroy)
        _World.instance = _World()
    return _World.instance


def current():
    return _CURRENT


def rank():
    """This process's rank in a multi-process run (0 in a single process), without creating
    the process group: a program may call evaluate() or predict() on one process only."""
    if dist.is_available() and dist.is_initialized():
        return dist.get_rank()
    return _env_int("RANK", 0) if _launched() else 0


def world_size():
    """The number of processes of this run (1 in a single process), without creating the group."""
    if dist.is_available() and dist.is_initialized():
        return dist.get_world_size()
    return _env_int("WORLD_SIZE", 1) if _launched() else 1


@contextlib.contextmanager
def training_in(w):
    """Within this block, optimizer updates reduce their gradients across `w` (None: nothing)."""
    global _CURRENT
    previous, _CURRENT = _CURRENT, w
    if w is not None:
        w.weight = 1.0 / w.size
    try:
        yield
    finally:
        _CURRENT = previous


def _launched():
    """Whether a launcher started this process as one of several (and KERASLITE_DISTRIBUTED=0
    does not keep it on its own)."""
    return _env_int("WORLD_SIZE", 1) > 1 and os.environ.get("KERASLITE_DISTRIBUTED") != "0"


def _env_int(name, default):
    try:
        return int(os.environ.get(name, default))
    except ValueError:
        return default


def _init_from_env():
    from keraslite import backend

    device = backend.get_device()
    use_nccl = device.type == "cuda" and dist.is_nccl_available()
    if use_nccl:
        torch.cuda.set_device(device)
    dist.init_process_group(backend="nccl" if use_nccl else "gloo")


def _destroy():
    """At exit: the DDP wrappers go first (a wrapper outliving its group aborted the process in
    its destructor now and then), then every process waits for the others (one leaving while
    another still talks to it aborts the other), then the group goes."""
    for st in list(_WRAPPED):
        st.ddp = None
    gc.collect()
    if dist.is_initialized():
        try:
            dist.barrier()
        finally:
            dist.destroy_process_group()


def _flat(tensors, dtype, device):
    return torch.cat([t.detach().reshape(-1).to(device=device, dtype=dtype) for t in tensors]) if tensors else \
        torch.zeros(0, dtype=dtype, device=device)


def _split_into(flat, tensors):
    """Copy consecutive pieces of `flat` into `tensors`, in place."""
    offset = 0
    for t in tensors:
        n = t.numel()
        t.copy_(flat[offset:offset + n].reshape(t.shape))
        offset += n


class _World:
    instance = None

    def __init__(self):
        self.group_id = id(dist.group.WORLD)
        self.rank = dist.get_rank()
        self.size = dist.get_world_size()
        self.device = torch.device("cpu")
        if dist.get_backend() == "nccl":
            # The collectives run on this process's GPU, the one it trains on (LOCAL_RANK's),
            # also when the program made the group without choosing a current device.
            from keraslite import backend

            device = backend.get_device()
            self.device = device if device.type == "cuda" and device.index is not None else \
                torch.device("cuda", torch.cuda.current_device())
            torch.cuda.set_device(self.device)
        self.weight = 1.0 / self.size  # this process's share of the current step's batch
        self.idle_somewhere = False  # whether the last batch cut left a process without samples

    # ------------------------------------------------------------------ batches

    def bounds(self, n):
        """This process's rows [start, stop) of a global batch of `n` samples."""
        return n * self.rank // self.size, n * (self.rank + 1) // self.size

    def shard(self, batch):
        """This process's part of a global batch `(x, y, sample_weight)`, and its share of the
        batch's samples (0 when the batch has fewer samples than there are processes)."""
        from keraslite.training import data as data_mod

        leaves = [t for t in data_mod.flatten(batch) if t is not None]
        if not leaves:
            self.idle_somewhere = False
            return batch, 1.0 / self.size
        n = len(leaves[0])
        self.idle_somewhere = n < self.size
        start, stop = self.bounds(n)
        part = tuple(data_mod.map_structure(lambda t: t[start:stop], s) for s in batch)
        return part, (stop - start) / n if n else 0.0

    def same_on_all(self, value):
        """Process 0's `value` on every process: a permutation (tensor) or a list of ints."""
        if isinstance(value, torch.Tensor):
            t = value.to(self.device)
            dist.broadcast(t, 0)
            return t.to(value.device)
        t = torch.tensor(list(value), dtype=torch.int64, device=self.device)
        dist.broadcast(t, 0)
        return t.tolist()

    def check_same_data(self, adapter, what):
        """Raise, in every process, when the processes' data for `what` differ in size: each
        global batch is cut across the processes, so every process must hold the same data
        (with different sizes they would run different numbers of steps and wait on each
        other forever)."""
        if getattr(adapter, "presharded", False):
            what += " (batches per epoch)"
            size = adapter.steps
        else:
            size = getattr(adapter, "n", adapter.steps)
        size = -1 if size is None else int(size)
        t = torch.tensor([size, -size], dtype=torch.float64, device=self.device)
        dist.all_reduce(t, op=dist.ReduceOp.MAX)
        low, high = int(-t[1]), int(t[0])
        if low != high:
            raise ValueError(f"fit() in a run of {self.size} processes: the processes were given {what} of different "
                             f"sizes (from {low} to {high}; this process: {size}, -1 meaning unknown). keraslite cuts "
                             "each batch across the processes, so every process must pass the same whole data. "
                             "To give each process its own part instead, pass a torch DataLoader with a "
                             "DistributedSampler.")

    def any(self, flag):
        t = torch.tensor([1.0 if flag else 0.0], device=self.device)
        dist.all_reduce(t, op=dist.ReduceOp.MAX)
        return bool(t.item())

    # ------------------------------------------------------------------ weights

    @torch.no_grad()
    def broadcast_weights(self, model):
        """Every process takes process 0's weights (trainable or not) and buffers."""
        tensors = list(model.parameters()) + list(model.buffers())
        for dtype in dict.fromkeys(t.dtype for t in tensors):
            group = [t for t in tensors if t.dtype == dtype]
            flat = _flat(group, dtype, self.device)
            dist.broadcast(flat, 0)
            _split_into(flat, group)

    @torch.no_grad()
    def average_non_trainable(self, model):
        """Floating non-trainable weights and buffers become their mean across processes.
        Computed as process 0's value plus the mean difference from it, so a weight that is
        the same everywhere (a frozen layer's) stays exactly as it is."""
        tensors = [t for t in list(model.parameters()) + list(model.buffers())
                   if not t.requires_grad and t.dtype.is_floating_point]
        if not tensors:
            return
        local = _flat(tensors, torch.float64, self.device)
        first = local.clone()
        dist.broadcast(first, 0)
        diff = local - first
        dist.all_reduce(diff)
        _split_into(first + diff / self.size, tensors)

    @torch.no_grad()
    def reduce_gradients(self, grads, params):
        """The gradients of `params` (None where this process has none), each process's
        weighted by its share of the batch and summed across processes; None stays None only
        where no process has a gradient. One collective per gradient dtype: the gradients are
        copied once into a flat buffer (float32's with one flag per parameter saying whether
        this process has its gradient), reduced in place, and handed back as views of it."""
        k = len(grads)
        if not k:
            return []
        filled = [torch.zeros_like(p) if g is None else g for g, p in zip(grads, params)]
        out = list(filled)
        flags = None
        for dtype in dict.fromkeys([torch.float32] + [g.dtype for g in filled]):  # the flags travel as float32
            index = [i for i, g in enumerate(filled) if g.dtype == dtype]
            sizes = [filled[i].numel() for i in index]
            total = sum(sizes)
            buffer = torch.empty(total + (k if dtype == torch.float32 else 0), dtype=dtype, device=self.device)
            offset = 0
            for i, n in zip(index, sizes):
                view = buffer[offset:offset + n].view(filled[i].shape)
                view.copy_(filled[i])
                out[i] = view if view.device == filled[i].device else None
                offset += n
            if self.weight != 1.0:
                buffer[:total].mul_(self.weight)
            if dtype == torch.float32:
                flags = buffer[total:]
                flags.copy_(torch.tensor([0.0 if g is None else 1.0 for g in grads]))
            dist.all_reduce(buffer)
            offset = 0
            for i, n in zip(index, sizes):
                if out[i] is None:  # reduced on another device (NCCL for CPU gradients)
                    out[i] = buffer[offset:offset + n].view(filled[i].shape).to(filled[i].device)
                if out[i].stride() != params[i].stride() and out[i].shape == params[i].shape:
                    out[i] = torch.empty_like(params[i]).copy_(out[i])  # laid out like its weight (fused steps)
                offset += n
        missing = [i for i, g in enumerate(grads) if g is None]
        if not missing:  # the usual step: no host read
            return out
        present = flags.tolist()
        return [g if present[i] > 0 else None for i, g in enumerate(out)]

    def data_parallel(self, model):
        """torch's DistributedDataParallel over `model`, for the built-in training step: its
        buckets of gradients are summed while backward still runs, where `reduce_gradients`
        waits for the whole backward. Only when every weight that takes gradients got one in
        the step just run, on every process (DDP expects each of them in every step), and
        kept per model while its weights stay the same; None otherwise."""
        from torch.nn.parallel import DistributedDataParallel

        from keraslite.training.loop import _state

        st = _state(model)
        trainable = [p for p in model.parameters() if p.requires_grad]
        key = (id(dist.group.WORLD), tuple(id(p) for p in trainable))
        if st.ddp is not None and st.ddp[0] == key:
            return st.ddp[1]
        complete = bool(trainable) and all(p.grad is not None for p in trainable)
        if self.any(not complete):
            return None
        # No syncing of buffers (a layer's own state, such as a SeedGenerator's): non-trainable
        # weights are averaged at each epoch end instead (`average_non_trainable`).
        wrapper = DistributedDataParallel(model, device_ids=[self.device.index] if self.device.type == "cuda" else None,
                                          init_sync=False, forward_sync_buffers=False)
        st.ddp = (key, wrapper)
        _WRAPPED.add(st)
        return wrapper

    # ------------------------------------------------------------------ metrics

    def synced(self, model, read):
        """`read()` (the logs) with every metric state of `model` summed across processes;
        the states are this process's own again afterwards."""
        states = _metric_states(model)
        sizes = torch.tensor([float(len(states)), -float(len(states))], device=self.device)
        dist.all_reduce(sizes, op=dist.ReduceOp.MAX)
        if sizes[0] != -sizes[1]:
            raise RuntimeError(f"Model '{model.name}': the processes of this distributed run hold different "
                               f"numbers of metric states ({int(-sizes[1])} to {int(sizes[0])}), so their logs "
                               "cannot be combined. Every process must compile the model with the same metrics "
                               "and run the same steps.")
        if not states:
            return read()
        values = [get() for get, _, _ in states]
        scale = torch.cat([torch.full((v.numel(),), 1.0 / self.size if agg == "mean" else
                                      float(self.rank == 0) if agg == "only_first_replica" else 1.0,
                                      dtype=torch.float64) for v, (_, _, agg) in zip(values, states)])
        flat = _flat(values, torch.float64, self.device) * scale.to(self.device)
        dist.all_reduce(flat)
        offset = 0
        try:
            for v, (_, put, agg) in zip(values, states):
                n = v.numel()
                if agg != "none":
                    put(flat[offset:offset + n].reshape(v.shape))
                offset += n
            return read()
        finally:
            for v, (_, put, _) in zip(values, states):
                put(v)


def _metric_states(model):
    """(get, put, aggregation) for each state of the metrics `model.metrics` lists: `get()` a
    copy of the value, `put(value)` writes one back."""
    from keraslite.metrics import Metric
    from keraslite.training.compile_utils import CompiledMetrics, LossTracker

    out = []
    for m in model.metrics:
        inner = m.metrics if isinstance(m, CompiledMetrics) else [m]
        for metric in inner:
            if isinstance(metric, LossTracker):
                out += _tracker_states(metric)
            elif isinstance(metric, Metric):
                for v in metric.variables:
                    out.append((lambda v=v: v.detach().clone(),
                                lambda value, v=v: v.data.copy_(value.to(v.dtype)),
                                getattr(v, "aggregation", "sum")))
    return out


def _tracker_states(tracker):
    def get_total():
        tracker._fold()
        return torch.zeros(()) if tracker.total is None else tracker.total.detach().clone()

    def put_total(value):
        tracker.total = value.to(torch.float32)

    def put_count(value):
        tracker.count = int(round(float(value)))

    return [(get_total, put_total, "sum"), (lambda: torch.tensor(float(tracker.count)), put_count, "sum")]


def trains(fn):
    """Run `fn` (fit, train_on_batch) with the optimizer reducing gradients across the run's
    processes, when there are several."""
    @functools.wraps(fn)
    def run(*args, **kwargs):
        with training_in(world()):
            return fn(*args, **kwargs)

    return run


def presharded(x):
    """Whether `x` already gives each process its own part: a torch DataLoader whose sampler
    is a DistributedSampler."""
    from torch.utils.data import DataLoader
    from torch.utils.data.distributed import DistributedSampler

    if not isinstance(x, DataLoader):
        return False
    sampler = x.batch_sampler.sampler if x.batch_sampler is not None else x.sampler
    return isinstance(sampler, DistributedSampler) or isinstance(x.sampler, DistributedSampler)


def own_callbacks(callbacks):
    """The callbacks this process runs: on processes other than 0, those that only write
    files or draw (`_process_zero_only`) are left out."""
    if rank() == 0:
        return callbacks
    return [cb for cb in callbacks if not getattr(cb, "_process_zero_only", False)]


def multi_gpu_model(model, gpus=None, cpu_merge=True, cpu_relocation=False):
    """Keras 2's `keras.utils.multi_gpu_model` (Keras 2.0.9-2.3, tf.keras 2.0-2.3): a copy of
    `model` that splits each batch over `gpus` GPUs and shares the template's weights. keraslite
    runs one process on one device, so the parallel model is the template itself: compiling,
    fitting and saving it (or the template) behave as in Keras, on that device. Several GPUs
    are used by starting the program in several processes (torchrun), which a warning says."""
    from keraslite import backend

    count = len(gpus) if isinstance(gpus, (list, tuple)) else gpus
    if count is not None and count <= 1:  # Keras's own check
        which = "`len(gpus) >= 2`" if isinstance(gpus, (list, tuple)) else "`gpus >= 2`"
        raise ValueError(f"For multi-gpu usage to be effective, call `multi_gpu_model` with {which}. "
                         f"Received: `gpus={gpus}`")
    count = count or torch.cuda.device_count()
    warnings.warn(f"multi_gpu_model: keraslite trains '{model.name}' in this one process, on "
                  f"{backend.get_device()}; the model returned is the template itself. To train on {count} GPUs, "
                  f"start the program in {count} processes: `torchrun --nproc_per_node={count} -m keraslite "
                  "program.py`.", stacklevel=2)
    return model
