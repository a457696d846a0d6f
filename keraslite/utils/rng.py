"""set_random_seed: one call that seeds Python's `random`, numpy and torch (CPU and every
CUDA device), so a keraslite script is repeatable. Owns nothing else."""
import contextlib
import os
import random

import numpy as np
import torch

__all__ = ["set_random_seed"]


def set_random_seed(seed):
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise ValueError(f"set_random_seed expects an integer seed; received {seed!r} of type "
                         f"{type(seed).__name__}.")
    seed = int(seed)
    os.environ["PYTHONHASHSEED"] = str(seed)  # for subprocesses; this process's hash seed is fixed
    random.seed(seed)
    np.random.seed(seed % (2 ** 32))
    torch.manual_seed(seed)  # also seeds every CUDA device
    if torch.cuda.is_available():
        torch.cuda.manual_seed_all(seed)
    # Keras drops its global SeedGenerator here; the next unseeded keras.random call makes a new
    # one, seeded from Python's `random` (just reseeded), so unseeded draws repeat too.
    global _global_seed_generator
    _global_seed_generator = None


# ----------------------------------------------------------------------------- Keras seeding
#
# Keras 3 (torch backend) draws every unseeded layer's or initializer's seed from Python's
# `random` when the object is constructed, and turns a seed into numbers with a fresh CPU
# `torch.Generator`. Doing the same, in the same order, gives the same weights and noise for
# the same `set_random_seed`.


def make_default_seed():
    """The seed an object gets when none is given: one draw from Python's `random`."""
    return random.randint(1, int(1e9))


def seeded_generator(seed, counter=0):
    """A CPU generator for `seed` (+ `counter`), seeded as Keras's torch backend seeds its own."""
    gen = torch.Generator()
    gen.manual_seed((int(seed) + int(counter)) & 0xFFFFFFFF)
    return gen


class SeedGenerator:
    """A seed plus a counter: each `next_generator()` returns a generator for the current state
    and then advances the counter, so successive draws differ (Keras's `SeedGenerator`, which is
    `keras.random.SeedGenerator`). `seed=None` draws the seed from Python's `random` now;
    `initial_seed` keeps what was given."""

    def __init__(self, seed=None, name=None):
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer))):
            raise ValueError(f"Argument `seed` must be an integer. Received: seed={seed!r}")
        self.initial_seed = seed
        self.seed = make_default_seed() if seed is None else int(seed)
        self.counter = 0
        self.name = name if name is not None else "seed_generator"

    @property
    def state(self):
        """Keras's seed state: an int32 tensor [seed, counter] (a snapshot; next() advances it)."""
        return torch.tensor([_int32(self.seed), _int32(self.counter)], dtype=torch.int32)

    def next(self, ordered=True):
        """Keras's `SeedGenerator.next`: the current state, then a step of the sequence."""
        state = self.state
        self.next_generator(ordered=ordered)
        return state

    def next_generator(self, ordered=True):
        """A generator for the current state. `ordered` advances the counter by one (a
        SeedGenerator the user made); otherwise both halves of the state are scrambled, as
        Keras advances its global generator."""
        if _tracing:
            return torch.Generator()  # shape inference: leave the sequence where it is
        gen = seeded_generator(self.seed, self.counter)
        if ordered:
            self.counter += 1
        else:
            self.seed = _int32((self.seed + 1) * 5387) % 933199  # Keras's state is int32 and wraps
            self.counter = _int32((self.counter + 1) * 5387) % 933199
        return gen

    def get_config(self):
        return {"seed": self.initial_seed, "name": self.name}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"SeedGenerator(seed={self.seed}, counter={self.counter})"


_global_seed_generator = None
_tracing = False


def _int32(value):
    """`value` wrapped to a signed 32-bit integer, as int32 tensor arithmetic wraps."""
    return (value + 2 ** 31) % 2 ** 32 - 2 ** 31


@contextlib.contextmanager
def tracing():
    """While a functional model runs a layer on placeholder inputs to learn its output shapes,
    random draws take no step of any SeedGenerator (Keras traces on the meta device, where its
    random ops use no generator), so the numbers a model draws later are the ones Keras draws."""
    global _tracing
    outer, _tracing = _tracing, True
    try:
        yield
    finally:
        _tracing = outer


def is_tracing():
    """True while a functional model runs a layer on placeholder inputs (see `tracing`)."""
    return _tracing


def generator_for(seed):
    """The torch generator for a Keras `seed` argument: an int gives the same numbers on every
    call, a SeedGenerator the next numbers of its sequence, None the next numbers of the global
    SeedGenerator (made on first use, dropped by `set_random_seed`)."""
    global _global_seed_generator
    if isinstance(seed, SeedGenerator):
        return seed.next_generator()
    if seed is None:
        if _global_seed_generator is None:
            _global_seed_generator = SeedGenerator()
        return _global_seed_generator.next_generator(ordered=False)
    if isinstance(seed, (int, np.integer)) and not isinstance(seed, bool):
        return seeded_generator(int(seed))
    raise ValueError("Argument `seed` must be either an integer or an instance of `SeedGenerator`. "
                     f"Received: seed={seed!r} (of type {type(seed)})")


def _draw_on(device, make):
    """Run `make()`, which draws on the CPU (where seeded generators live), and move the
    result to `device`."""
    out = make()
    return out if out.device == device else out.to(device, non_blocking=True)


def normal(shape, mean, stddev, seed_generator, dtype=torch.float32, device=None):
    """Keras's `random.normal` with a SeedGenerator: one counter step per call."""
    gen = seed_generator.next_generator()
    return _draw_on(device or torch.device("cpu"),
                    lambda: torch.normal(mean, stddev, size=tuple(shape), generator=gen, dtype=dtype))


def uniform(shape, seed_generator, minval=0.0, maxval=1.0, dtype=torch.float32, device=None):
    """Keras's `random.uniform` with a SeedGenerator: one counter step per call."""
    gen = seed_generator.next_generator()
    return _draw_on(device or torch.device("cpu"),
                    lambda: (maxval - minval) * torch.rand(tuple(shape), generator=gen, dtype=dtype) + minval)


def dropout(inputs, rate, seed_generator, noise_shape=None):
    """Keras's torch-backend dropout: an explicitly seeded layer, or one with a noise shape,
    draws its keep mask from its SeedGenerator; otherwise torch's own dropout runs, drawing from
    torch's global generator (as Keras's fast path does)."""
    if rate == 1.0:
        return torch.zeros_like(inputs)
    if rate == 0.0:
        return inputs
    if noise_shape is None and (seed_generator is None or seed_generator.initial_seed is None):
        return torch.nn.functional.dropout(inputs, p=rate, training=True)
    keep_prob = 1.0 - rate
    shape = inputs.shape if noise_shape is None else [
        inputs.shape[i] if d is None else d for i, d in enumerate(noise_shape)]
    gen = seed_generator.next_generator()
    mask = _draw_on(inputs.device,
                    lambda: torch.bernoulli(torch.full(tuple(shape), keep_prob), generator=gen)).bool()
    mask = torch.broadcast_to(mask, inputs.shape)
    return torch.where(mask, inputs / keep_prob, torch.zeros_like(inputs))
