"""MNIST digits: (x_train (60000, 28, 28) uint8, y_train (60000,) uint8), (x_test, y_test)."""
import numpy as np

from keraslite.datasets._files import ORIGIN, fetch

__all__ = ["load_data"]


def load_data(path="mnist.npz"):
    path = fetch(path, f"{ORIGIN}mnist.npz",
                 file_hash="731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1")
    with np.load(path, allow_pickle=False) as f:
        return (f["x_train"], f["y_train"]), (f["x_test"], f["y_test"])
