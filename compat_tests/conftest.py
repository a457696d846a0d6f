"""Parity tests: real Keras 3 (torch backend) is the reference. Skipped when it is absent."""
import os

os.environ.setdefault("KERAS_BACKEND", "torch")

import numpy as np
import pytest
import torch

import keraslite

keras = pytest.importorskip("keras")


@pytest.fixture(autouse=True)
def _fresh_session():
    keraslite.backend.clear_session(free_memory=False)
    keras.backend.clear_session()
    keraslite.utils.set_random_seed(0)  # Python random too: unseeded initializers draw their seeds there
    yield
