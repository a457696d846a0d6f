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


@pytest.fixture
def tf():
    """The `tensorflow` module a program gets through the aliases (installed for the test)."""
    import warnings

    from keraslite.compat import aliases

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # the real keras, imported by parity tests, set aside
        aliases.install_aliases()
    try:
        import tensorflow

        yield tensorflow
    finally:
        aliases.uninstall_aliases()
