"""`keras.utils.np_utils` (Keras 1/2 module path): to_categorical, normalize, and Keras 1's
probas_to_classes / categorical_probas_to_classes."""
import numpy as np

from keraslite.utils.numerical import normalize, to_categorical

__all__ = ["to_categorical", "normalize", "probas_to_classes", "categorical_probas_to_classes"]


def categorical_probas_to_classes(p):
    """Keras 1: the class index of each row of probabilities."""
    return np.argmax(p, axis=1)


def probas_to_classes(y_pred):
    """Keras 1: argmax for several classes, `p > 0.5` for one sigmoid output."""
    y_pred = np.asarray(y_pred)
    if y_pred.ndim > 1 and y_pred.shape[1] > 1:
        return categorical_probas_to_classes(y_pred)
    return (y_pred.reshape(len(y_pred)) > 0.5).astype("int64")
