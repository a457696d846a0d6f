"""The `tf.lookup` tables and `tf.errors` for the tensorflow shim.

Owns the error classes (each also a Python error) and the key -> value tables
(`StaticHashTable`, `StaticVocabularyTable` with out-of-vocabulary buckets, their
`KeyValueTensorInitializer` / `TextFileInitializer`), looked up elementwise on strings or
integers. Strings are numpy object arrays (tf_data.StringArray), numbers torch tensors.
"""
import zlib

import numpy as np
import torch

__all__ = ["errors", "KeyValueTensorInitializer", "TextFileInitializer", "TextFileIndex", "StaticHashTable",
           "StaticVocabularyTable"]


class OpError(Exception):
    """tf.errors.OpError and its kinds; each also derives from the Python error it corresponds to,
    so `except ValueError` catches an InvalidArgumentError too."""

    def __init__(self, *args):
        # TensorFlow's own form is (node_def, op, message): keep the message.
        super().__init__(args[-1] if len(args) == 3 else (args[0] if args else ""))
        self.message = str(self)


class InvalidArgumentError(OpError, ValueError):
    pass


class OutOfRangeError(OpError, IndexError):
    pass


class NotFoundError(OpError, FileNotFoundError):
    pass


class ResourceExhaustedError(OpError, MemoryError):
    pass


class UnimplementedError(OpError, NotImplementedError):
    pass


class FailedPreconditionError(OpError, RuntimeError):
    pass


def _namespace():
    from keraslite.compat.tf_namespace import TFNamespace

    return TFNamespace("tensorflow.errors", OpError=OpError, InvalidArgumentError=InvalidArgumentError,
                       OutOfRangeError=OutOfRangeError, NotFoundError=NotFoundError,
                       ResourceExhaustedError=ResourceExhaustedError, UnimplementedError=UnimplementedError,
                       FailedPreconditionError=FailedPreconditionError)


errors = _namespace()


# ----------------------------------------------------------------------------- lookup tables

def _key(value):
    if isinstance(value, bytes):
        return value.decode("utf-8")
    if isinstance(value, (np.integer, np.bool_)):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    return value


def _keys_of(values):
    if isinstance(values, torch.Tensor):
        return [_key(v) for v in values.reshape(-1).tolist()], tuple(values.shape)
    arr = np.asarray(values, dtype=object)
    return [_key(v) for v in arr.ravel().tolist()], arr.shape


class KeyValueTensorInitializer:
    def __init__(self, keys, values, key_dtype=None, value_dtype=None, name=None):
        self.keys, _ = _keys_of(keys)
        self.values, _ = _keys_of(values)
        if len(self.keys) != len(self.values):
            raise ValueError(f"KeyValueTensorInitializer: {len(self.keys)} keys but {len(self.values)} values.")
        self.value_dtype = value_dtype if value_dtype is not None else (
            values.dtype if isinstance(values, torch.Tensor) else None)

    def items(self):
        return dict(zip(self.keys, self.values))


class TextFileIndex:
    WHOLE_LINE = -2
    LINE_NUMBER = -1


class TextFileInitializer:
    """Keys and values from the lines of a text file (by default the line is the key and its
    number the value)."""

    def __init__(self, filename, key_dtype=None, key_index=TextFileIndex.WHOLE_LINE, value_dtype=None,
                 value_index=TextFileIndex.LINE_NUMBER, vocab_size=None, delimiter="\t", name=None):
        with open(filename, encoding="utf-8") as f:
            lines = f.read().splitlines()
        if vocab_size is not None:
            lines = lines[:vocab_size]

        def pick(line, number, index):
            if index == TextFileIndex.WHOLE_LINE:
                return line
            if index == TextFileIndex.LINE_NUMBER:
                return number
            return line.split(delimiter)[index]

        self.keys = [pick(line, i, key_index) for i, line in enumerate(lines)]
        self.values = [pick(line, i, value_index) for i, line in enumerate(lines)]
        self.value_dtype = value_dtype

    def items(self):
        return dict(zip(self.keys, self.values))


def _output(values, shape, like):
    if values and isinstance(values[0], str):
        from keraslite.compat.tf_data import strings

        return strings(np.array(values, dtype=object).reshape(shape))
    dtype = torch.int64
    if like is not None and isinstance(like, torch.dtype):
        dtype = like
    elif values and isinstance(values[0], float):
        dtype = torch.float32
    return torch.tensor(values, dtype=dtype).reshape(shape)


class StaticHashTable:
    """A fixed key -> value table; keys not in it give `default_value`."""

    def __init__(self, initializer, default_value, name=None):
        self._table = initializer.items()
        self.default_value = _key(default_value.item() if isinstance(default_value, torch.Tensor)
                                  else default_value)
        self._value_dtype = initializer.value_dtype

    def lookup(self, keys, name=None):
        flat, shape = _keys_of(keys)
        return _output([self._table.get(k, self.default_value) for k in flat], shape, self._value_dtype)

    def size(self, name=None):
        return torch.tensor(len(self._table), dtype=torch.int64)

    def export(self, name=None):
        return list(self._table), list(self._table.values())

    __getitem__ = lookup


class StaticVocabularyTable:
    """Keys in the vocabulary give their ids; others one of `num_oov_buckets` ids after them,
    chosen by a hash of the key (stable across runs, not TensorFlow's fingerprint)."""

    def __init__(self, initializer, num_oov_buckets, lookup_key_dtype=None, name=None, experimental_is_anonymous=False):
        self._table = {k: int(v) for k, v in initializer.items().items()}
        self.num_oov_buckets = int(num_oov_buckets)

    def _id(self, key):
        found = self._table.get(key)
        if found is not None:
            return found
        if self.num_oov_buckets <= 0:
            return -1
        return len(self._table) + zlib.crc32(str(key).encode("utf-8")) % self.num_oov_buckets

    def lookup(self, keys, name=None):
        flat, shape = _keys_of(keys)
        return torch.tensor([self._id(k) for k in flat], dtype=torch.int64).reshape(shape)

    def size(self, name=None):
        return torch.tensor(len(self._table) + self.num_oov_buckets, dtype=torch.int64)

    __getitem__ = lookup
