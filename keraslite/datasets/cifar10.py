"""CIFAR-10: x (N, 32, 32, 3) uint8 (channels_first (N, 3, 32, 32) when that is the image data
format), y (N, 1) uint8; 50000 training and 10000 test images from the pickled batches."""
import os

import numpy as np

from keraslite import backend
from keraslite.datasets._files import fetch, load_pickle

__all__ = ["load_data", "load_batch"]

ORIGIN = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"


def load_batch(fpath, label_key="labels"):
    """(data (n, 3, 32, 32) uint8, labels list) of one pickled batch."""
    d = {k.decode("utf8") if isinstance(k, bytes) else k: v for k, v in load_pickle(fpath).items()}
    data = d["data"]
    return data.reshape(data.shape[0], 3, 32, 32), d[label_key]


def load_data():
    path = fetch("cifar-10-batches-py-target", ORIGIN, extract=True,
                 file_hash="6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce")
    path = os.path.join(path, "cifar-10-batches-py")
    xs, ys = [], []
    for i in range(1, 6):
        x, y = load_batch(os.path.join(path, f"data_batch_{i}"))
        xs.append(x)
        ys.append(np.asarray(y, dtype="uint8"))
    x_train, y_train = np.concatenate(xs).astype("uint8"), np.concatenate(ys)
    x_test, y_test = load_batch(os.path.join(path, "test_batch"))
    x_test, y_test = x_test.astype("uint8"), np.asarray(y_test, dtype="uint8")
    y_train, y_test = y_train.reshape(-1, 1), y_test.reshape(-1, 1)
    if backend.image_data_format() == "channels_last":
        x_train, x_test = x_train.transpose(0, 2, 3, 1), x_test.transpose(0, 2, 3, 1)
    return (x_train, y_train), (x_test, y_test)
