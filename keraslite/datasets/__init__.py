"""`keras.datasets`: the classic tutorial datasets, loaded like Keras does (same URLs, cache
files, shapes and dtypes) through keraslite.utils.get_file.

Each dataset is its own module with `load_data()`; shared file parsing lives in _files.py.
"""
from keraslite.datasets import (boston_housing, california_housing, cifar10, cifar100, fashion_mnist,  # noqa: F401
                                imdb, mnist, reuters)

__all__ = ["mnist", "fashion_mnist", "cifar10", "cifar100", "imdb", "boston_housing", "california_housing",
           "reuters"]
