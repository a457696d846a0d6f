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
