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
