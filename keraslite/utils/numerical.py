"""Array helpers Keras puts in `keras.utils`: to_categorical (one-hot), normalize and Keras 2's
slice_arrays (Keras 1's `keras.engine.training.slice_X`).

Owns only these numpy/torch conversions; pad_sequences is in keraslite.utils.preprocessing.sequence.
"""
import numpy as np
import torch

__all__ = ["to_categorical", "normalize", "slice_arrays"]


def to_categorical(y, num_classes=None, dtype="float32", *, nb_classes=None):
    """One-hot encode integer class labels: shape (..., ) -> (..., num_classes).
    (`nb_classes` is Keras 1's name of `num_classes`.)

    A trailing axis of size 1 is squeezed first ((n, 1) -> (n, num_classes)), as Keras does.
    `num_classes` defaults to max(y) + 1. Torch tensors stay torch tensors.
    """
    if nb_classes is not None:
        if num_classes is not None and int(num_classes) != int(nb_classes):
            raise TypeError(f"to_categorical: num_classes={num_classes} and Keras 1's nb_classes={nb_classes} "
                            "disagree; pass one of them.")
        num_classes = nb_classes
    if isinstance(y, torch.Tensor):
        if y.ndim > 1 and y.shape[-1] == 1:
            y = y.squeeze(-1)
        n = int(y.max()) + 1 if not num_classes else int(num_classes)
        out = torch.nn.functional.one_hot(y.long(), n)
        from keraslite import backend

        return out.to(backend.torch_dtype(dtype))
    y = np.array(y, dtype="int64")
    input_shape = y.shape
    if input_shape and input_shape[-1] == 1 and len(input_shape) > 1:
        input_shape = tuple(input_shape[:-1])
    y = y.reshape(-1)
    if not num_classes:
        num_classes = int(np.max(y)) + 1 if y.size else 0
    num_classes = int(num_classes)
    if y.size and (y.min() < 0 or y.max() >= num_classes):
        raise ValueError(f"to_categorical: labels must be integers in [0, {num_classes}); found values from "
                         f"{y.min()} to {y.max()}. Pass a larger `num_classes` or fix the labels.")
    out = np.zeros((y.shape[0], num_classes), dtype=dtype)
    out[np.arange(y.shape[0]), y] = 1
    return out.reshape(input_shape + (num_classes,))


def normalize(x, axis=-1, order=2):
    """Scale `x` to unit `order`-norm along `axis` (zero vectors are left as they are)."""
    if isinstance(x, torch.Tensor):
        norm = torch.linalg.vector_norm(x, ord=order, dim=axis, keepdim=True)
        return x / torch.where(norm == 0, torch.ones_like(norm), norm)
    x = np.asarray(x)
    norm = np.atleast_1d(np.linalg.norm(x, order, axis))
    norm[norm == 0] = 1
    return x / np.expand_dims(norm, axis if axis is not None else -1)


def slice_arrays(arrays, start=None, stop=None):
    """`arrays[start:stop]`, or `arrays[start]` when `start` is a list or array of indices; a
    list of arrays is sliced element by element (None entries stay None)."""
    if hasattr(start, "__len__"):
        index = start.tolist() if hasattr(start, "shape") else start
        take = lambda a: None if a is None else a[index]  # noqa: E731
    else:
        take = lambda a: None if a is None else a[start:stop]  # noqa: E731
    if isinstance(arrays, list):
        return [take(a) for a in arrays]
    return take(arrays)
