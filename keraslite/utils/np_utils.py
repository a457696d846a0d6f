"""`keras.utils.np_utils` (Keras 1/2 module path): to_categorical and normalize."""
from keraslite.utils.numerical import normalize, to_categorical

__all__ = ["to_categorical", "normalize"]
