"""Fashion-MNIST: same shapes and dtypes as MNIST, read from the four IDX .gz files."""
import gzip
import os

import numpy as np

from keraslite.datasets._files import ORIGIN, fetch

__all__ = ["load_data"]

FILES = ["train-labels-idx1-ubyte.gz", "train-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz",
         "t10k-images-idx3-ubyte.gz"]


def _read(path, offset):
    with gzip.open(path, "rb") as f:
        return np.frombuffer(f.read(), np.uint8, offset=offset)


def load_data():
    dirname = os.path.join("datasets", "fashion-mnist")
    paths = [fetch(name, ORIGIN + name, cache_subdir=dirname) for name in FILES]
    y_train = _read(paths[0], 8)
    x_train = _read(paths[1], 16).reshape(len(y_train), 28, 28)
    y_test = _read(paths[2], 8)
    x_test = _read(paths[3], 16).reshape(len(y_test), 28, 28)
    return (x_train, y_train), (x_test, y_test)
