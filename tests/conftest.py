import os

import numpy as np
import pytest
import torch

import keraslite


@pytest.fixture(autouse=True)
def _fresh_session():
    """Each test starts with fresh default names and a fixed seed."""
    keraslite.backend.clear_session(free_memory=False)
    torch.manual_seed(0)
    np.random.seed(0)
    yield
