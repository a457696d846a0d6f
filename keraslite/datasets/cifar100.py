"""CIFAR-100: x (N, 32, 32, 3) uint8 (channels_first (N, 3, 32, 32) when that is the image data
format), y (N, 1) of the 100 fine labels or the 20 coarse superclasses; 50000 training and
10000 test images."""
import os

import numpy as np

from keraslite import backend
from keraslite.datasets._files import fetch
from keraslite.datasets.cifar10 import load_batch

__all__ = ["load_data"]

ORIGIN = "https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz"


def load_data(label_mode="fine"):
    if label_mode not in ("fine", "coarse"):
        raise ValueError(f'cifar100.load_data: `label_mode` must be "fine" or "coarse"; received '
                         f"label_mode={label_mode!r}.")
    path = fetch("cifar-100-python-target", ORIGIN, extract=True,
                 file_hash="85cd44d02ba6437773c5bbd22e183051d648de2e7d6b014e1ef29b855ba677a7")
    path = os.path.join(path, "cifar-100-python")
    key = f"{label_mode}_labels"
    x_train, y_train = load_batch(os.path.join(path, "train"), label_key=key)
    x_test, y_test = load_batch(os.path.join(path, "test"), label_key=key)
    y_train, y_test = np.reshape(y_train, (len(y_train), 1)), np.reshape(y_test, (len(y_test), 1))
    if backend.image_data_format() == "channels_last":
        x_train, x_test = x_train.transpose(0, 2, 3, 1), x_test.transpose(0, 2, 3, 1)
    return (x_train, y_train), (x_test, y_test)
