"""set_random_seed: one call that seeds Python's `random`, numpy and torch (CPU and every
CUDA device), so a keraslite script is repeatable. Owns nothing else."""
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
    and then advances the counter, so successive draws differ (Keras's `SeedGenerator`).
    `seed=None` draws the seed from Python's `random` now; `initial_seed` keeps what was given."""

    def __init__(self, seed=None):
        self.initial_seed = seed
        self.seed = make_default_seed() if seed is None else int(seed)
        self.counter = 0

    def next_generator(self):
        gen = seeded_generator(self.seed, self.counter)
        self.counter += 1
        return gen

    def __repr__(self):
        return f"SeedGenerator(seed={self.seed}, counter={self.counter})"


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
