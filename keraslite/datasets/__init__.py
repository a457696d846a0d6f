"""`keras.datasets`: the classic tutorial datasets, loaded like Keras does (same URLs, cache
files, shapes and dtypes) through keraslite.utils.get_file.

Each dataset is its own module with `load_data()`; shared file parsing lives in _files.py.
"""
from keraslite.datasets import boston_housing, cifar10, fashion_mnist, imdb, mnist, reuters  # noqa: F401

__all__ = ["mnist", "fashion_mnist", "cifar10", "imdb", "boston_housing", "reuters"]
