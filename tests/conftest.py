import os

import numpy as np
import pytest
import torch

import keraslite


@pytest.fixture(autouse=True)
def _fresh_session():
    """Each test starts with fresh default names and a fixed seed."""
    keraslite.backend.clear_session(free_memory=False)
    keraslite.utils.set_random_seed(0)  # Python random too: unseeded initializers draw their seeds there
    yield
