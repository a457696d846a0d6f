"""Denormal (subnormal) floats flushed to zero while keraslite trains, evaluates and predicts.

Owns: the CPU's flush-to-zero / denormals-are-zero mode for the loops in loop.py: on in the
calling thread for the duration of a loop call (restored afterwards), and on in torch's
OpenMP worker threads from the first loop call on.

Why: an optimizer slot that decays while its gradient stays zero (Adam's or RMSprop's moments
for a dead ReLU unit's weights, an input feature that is almost always 0, an embedding row not
looked up) shrinks by a constant factor each step into the subnormal range below ~1.2e-38 and,
rounded to nearest, stops there: 0.9 times the smallest subnormals rounds back to themselves.
From then on every step's arithmetic on those values takes the CPU's slow microcode path; a
784-128-10 MLP trained with Adam on this project's benchmark machine ran 2.2x slower per step
after its first epoch. TensorFlow runs its CPU kernels with denormals flushed, so Keras programs
were written and tuned without this stall; torch keeps denormals by default. Flushed values are
below 1.2e-38 in magnitude, far under any tolerance a training result is compared with.

The mode is a per-thread CPU flag (MXCSR on x86, FPCR on ARM) that `torch.set_flush_denormal`
sets for the calling thread only. torch's intra-op worker threads inherit the flag of the
thread that created them, which usually happened long before the first fit; here they are set
by running one OpenMP parallel region (libgomp's `GOMP_parallel`, the runtime torch's Linux
builds use) whose body sets the flag in each of its threads. Where that runtime is not found
(other platforms' builds) only the calling thread is set. Worker threads keep the flag after
the loop returns: restoring it would cost two parallel regions per `train_on_batch` call.

`KERASLITE_FLUSH_DENORMALS=0` turns it off (torch's default: denormals kept).
"""
import contextlib
import ctypes
import functools
import os
import threading

import torch

__all__ = ["flushing", "in_loop", "enabled", "set_all_threads"]

_local = threading.local()  # per thread: how deep in loop calls, and the flag to restore
_SUBNORMAL = 2.0 ** -130  # a float32 subnormal: computing with it gives 0 when flushing

_workers_set_for = 0  # torch's thread count when the worker threads were last set (0: never)
_parallel_region = None  # (GOMP_parallel, its callback) once looked up; False: not available
_worker_mode = [True]  # what the parallel region's body sets
_lock = threading.Lock()


def enabled():
    """Whether loops flush denormals (KERASLITE_FLUSH_DENORMALS=0 keeps them)."""
    return os.environ.get("KERASLITE_FLUSH_DENORMALS", "1").strip().lower() not in ("0", "false", "no", "off")


def thread_flushes():
    """Whether the calling thread flushes denormals now (computes with a subnormal and looks)."""
    return float(torch.tensor(_SUBNORMAL, dtype=torch.float32, device="cpu") * 1.0) == 0.0


def _loaded_libgomp():
    """Paths of the libgomp copies this process has loaded (Linux), torch's bundled one first:
    never load an OpenMP runtime that torch does not use."""
    try:
        with open("/proc/self/maps") as maps:
            paths = {line.split(None, 5)[-1].strip() for line in maps if "libgomp" in line}
    except OSError:
        return []
    torch_lib = os.path.join(os.path.dirname(torch.__file__), "lib")
    return sorted((p for p in paths if os.path.isfile(p)), key=lambda p: not p.startswith(torch_lib))


def _gomp():
    """libgomp's GOMP_parallel (the one torch is linked with) and a callback that sets the flag
    in the thread running it, or False where torch's OpenMP runtime is not libgomp."""
    global _parallel_region
    if _parallel_region is None:
        _parallel_region = False
        for name in _loaded_libgomp():
            try:
                parallel = ctypes.CDLL(name).GOMP_parallel
            except (OSError, AttributeError):
                continue
            body_type = ctypes.CFUNCTYPE(None, ctypes.c_void_p)
            parallel.argtypes = [body_type, ctypes.c_void_p, ctypes.c_uint, ctypes.c_uint]
            parallel.restype = None
            body = body_type(lambda _data: torch.set_flush_denormal(_worker_mode[0]))
            _parallel_region = (parallel, body)
            break
    return _parallel_region


def _run_in_worker_threads(flag, threads):
    region = _gomp()
    if region:
        parallel, body = region
        _worker_mode[0] = flag
        parallel(body, None, threads, 0)


def _set_worker_threads():
    """Flush in torch's intra-op threads: once, and again when torch was given more threads
    (libgomp starts the extra ones from the calling thread, which flushes by then)."""
    global _workers_set_for
    threads = torch.get_num_threads()
    if threads <= _workers_set_for or threads <= 1:
        return
    with _lock:
        _run_in_worker_threads(True, threads)
        _workers_set_for = threads


def set_all_threads(flag):
    """Set the mode of the calling thread and of torch's worker threads (benchmarks use it to
    time a plain torch loop as torch runs it, or with denormals flushed); the next loop call
    sets the workers again."""
    global _workers_set_for
    with _lock:
        _run_in_worker_threads(bool(flag), max(torch.get_num_threads(), 1))
        torch.set_flush_denormal(bool(flag))
        _workers_set_for = 0


@contextlib.contextmanager
def flushing():
    """Run the body with denormals flushed in this thread (restored after) and in torch's
    worker threads (kept)."""
    depth = getattr(_local, "depth", 0)
    if depth or not enabled():
        _local.depth = depth + 1
        try:
            yield
        finally:
            _local.depth = depth
        return
    before = thread_flushes()
    supported = torch.set_flush_denormal(True)
    _local.depth = 1
    try:
        if supported:
            _set_worker_threads()
        yield
    finally:
        _local.depth = 0
        if supported and not before:
            torch.set_flush_denormal(False)


def in_loop(function):
    """Decorator for a loop entry point (fit, evaluate, predict, *_on_batch)."""
    @functools.wraps(function)
    def run(*args, **kwargs):
        with flushing():
            return function(*args, **kwargs)

    return run
