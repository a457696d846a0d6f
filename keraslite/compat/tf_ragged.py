"""`tf.RaggedTensor` (rows of different lengths, as TensorFlow stores them: one flat value
array plus row splits), the string functions that produce and consume them
(`tf.strings.unicode_split`, `reduce_join`, `join`) and `tf.SparseTensor` / `tf.sparse.to_dense`.

Owns only these shapes of data. A layer that maps values one by one (the lookup layers) takes
a RaggedTensor by mapping its flat values (`map_flat_values`), as TensorFlow's layers do.
"""
import numpy as np
import torch

from keraslite.compat.tf_data import StringArray, StringScalar, strings

__all__ = ["RaggedTensor", "SparseTensor", "unicode_split", "bytes_split", "ngrams", "reduce_join", "join", "sparse_to_dense",
           "map_flat_values"]


def _text(value):
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


def _is_text_array(values):
    return isinstance(values, np.ndarray) and values.dtype == object


class RaggedTensor:
    """A 2-D ragged tensor: row i is `flat_values[row_splits[i]:row_splits[i + 1]]`.
    `flat_values` is a 1-D torch tensor or a StringArray."""

    def __init__(self, flat_values, row_splits):
        self.flat_values = flat_values
        self.row_splits = np.asarray(row_splits, dtype=np.int64)

    # --------------------------------------------------------------- constructors

    @staticmethod
    def from_row_splits(values, row_splits, name=None, validate=True):
        return RaggedTensor(_values(values), np.asarray(row_splits))

    @staticmethod
    def from_row_lengths(values, row_lengths, name=None, validate=True):
        return RaggedTensor(_values(values), np.concatenate([[0], np.cumsum(np.asarray(row_lengths))]))

    @staticmethod
    def from_rows(rows):
        rows = [list(r) for r in rows]
        splits = np.concatenate([[0], np.cumsum([len(r) for r in rows])]).astype(np.int64)
        flat = [v for r in rows for v in r]
        if flat and isinstance(flat[0], (str, bytes)):
            return RaggedTensor(strings([_text(v) for v in flat]), splits)
        return RaggedTensor(torch.as_tensor(np.asarray(flat)), splits)

    # --------------------------------------------------------------- views

    @property
    def shape(self):
        return (len(self.row_splits) - 1, None)

    @property
    def dtype(self):
        from keraslite.compat.tensorflow_shim import string

        return string if _is_text_array(self.flat_values) else self.flat_values.dtype

    def row_lengths(self):
        return torch.as_tensor(np.diff(self.row_splits))

    def __len__(self):
        return len(self.row_splits) - 1

    def __getitem__(self, index):
        if isinstance(index, (int, np.integer)):
            n = len(self)
            index = index + n if index < 0 else index
            if not 0 <= index < n:
                raise IndexError(f"RaggedTensor row {index} is out of range for {n} rows.")
            return self.flat_values[self.row_splits[index]:self.row_splits[index + 1]]
        raise TypeError("RaggedTensor supports indexing one row by an integer; use .to_tensor() for other slices.")

    def __iter__(self):
        return (self[i] for i in range(len(self)))

    def map_flat_values(self, fn):
        """The same rows with `fn` applied to the flat values."""
        return RaggedTensor(_values(fn(self.flat_values)), self.row_splits)

    def with_flat_values(self, values):
        return RaggedTensor(_values(values), self.row_splits)

    def to_list(self):
        def item(v):
            return v.encode("utf-8") if isinstance(v, str) else v
        flat = self.flat_values.tolist()
        return [[item(v) for v in flat[a:b]] for a, b in zip(self.row_splits[:-1], self.row_splits[1:])]

    def numpy(self):
        out = np.empty(len(self), dtype=object)
        for i, row in enumerate(self):
            out[i] = row.numpy() if hasattr(row, "numpy") else np.asarray(row)
        return out

    def to_tensor(self, default_value=None, name=None, shape=None):
        """Rows padded to the longest (or to `shape`) with `default_value` (0 / b"")."""
        lengths = np.diff(self.row_splits)
        width = int(lengths.max()) if len(lengths) else 0
        rows = len(self)
        if shape is not None:
            rows = rows if shape[0] is None else int(shape[0])
            width = width if shape[1] is None else int(shape[1])
        text = _is_text_array(self.flat_values)
        if text:
            out = np.full((rows, width), "" if default_value is None else _text(default_value), dtype=object)
        else:
            out = torch.full((rows, width), 0 if default_value is None else default_value,
                             dtype=self.flat_values.dtype, device=self.flat_values.device)
        for i in range(min(rows, len(self))):
            row = self[i][:width]
            out[i, :len(row)] = row
        return strings(out) if text else out

    def __repr__(self):
        return f"<tf.RaggedTensor {self.to_list()}>"


def _values(values):
    if isinstance(values, (torch.Tensor, StringArray)):
        return values
    array = np.asarray(values)
    if array.dtype.kind in "USO":
        return strings([_text(v) for v in array.ravel().tolist()])
    return torch.as_tensor(array)


def map_flat_values(op, *args, **kwargs):
    """tf.ragged.map_flat_values: `op` on the flat values of the (first) RaggedTensor argument."""
    ragged = next(a for a in list(args) + list(kwargs.values()) if isinstance(a, RaggedTensor))
    swap = lambda a: a.flat_values if isinstance(a, RaggedTensor) else a  # noqa: E731
    return ragged.with_flat_values(op(*[swap(a) for a in args], **{k: swap(v) for k, v in kwargs.items()}))


def unicode_split(input, input_encoding="UTF-8", errors="replace", replacement_char=65533, name=None):  # noqa: A002
    """A string -> its characters (1-D); a vector of strings -> a RaggedTensor of characters."""
    if isinstance(input, (str, bytes)) or (isinstance(input, np.ndarray) and input.ndim == 0):
        text = _text(input.item() if isinstance(input, np.ndarray) else input)
        return strings(list(text))
    values = np.asarray(input, dtype=object)
    if values.ndim != 1:
        raise ValueError(f"tf.strings.unicode_split: keraslite's shim takes a string or a vector of strings; "
                         f"received rank {values.ndim}.")
    return RaggedTensor.from_rows([list(_text(v)) for v in values.tolist()])


def bytes_split(input, name=None):  # noqa: A002
    """A string -> its bytes (1-D); a vector of strings -> a RaggedTensor of bytes."""
    def pieces(value):
        data = value if isinstance(value, bytes) else str(value).encode("utf-8")
        return [data[i:i + 1].decode("latin-1") if data[i] < 0x80 else data[i:i + 1] for i in range(len(data))]

    if isinstance(input, (str, bytes)) or (isinstance(input, np.ndarray) and input.ndim == 0):
        return strings(pieces(input.item() if isinstance(input, np.ndarray) else input))
    values = np.asarray(input, dtype=object)
    if values.ndim != 1:
        raise ValueError(f"tf.strings.bytes_split: keraslite's shim takes a string or a vector of strings; "
                         f"received rank {values.ndim}.")
    return RaggedTensor.from_rows([pieces(v) for v in values.tolist()])


def ngrams(data, ngram_width, separator=" ", pad_values=None, padding_width=None, preserve_short_sequences=False,
           name=None):
    """TensorFlow's tf.strings.ngrams: the joined windows of each sequence of strings (the last
    axis), for one width or several (in the order given); `pad_values` (one string or a
    (left, right) pair) pads each side by `padding_width` (default width - 1)."""
    widths = [ngram_width] if isinstance(ngram_width, int) else list(ngram_width)

    def of_row(row):
        row = [_text(v) for v in row]
        out = []
        for width in widths:
            if width < 1:
                raise ValueError(f"tf.strings.ngrams: ngram_width must be at least 1; received {width}.")
            padded = row
            if pad_values is not None:
                left, right = (pad_values, pad_values) if isinstance(pad_values, (str, bytes)) else pad_values
                pad = width - 1 if padding_width is None else min(padding_width, width - 1)
                padded = [_text(left)] * pad + row + [_text(right)] * pad
            grams = [separator.join(padded[i:i + width]) for i in range(len(padded) - width + 1)]
            if not grams and preserve_short_sequences and padded:
                grams = [separator.join(padded)]
            out.extend(grams)
        return out

    if isinstance(data, RaggedTensor):
        return RaggedTensor.from_rows([of_row(row.tolist()) for row in data])
    values = np.asarray(data, dtype=object)
    if values.ndim == 1:
        return strings(of_row(values.tolist()))
    if values.ndim == 2:
        rows = [of_row(row) for row in values.tolist()]
        return strings(rows) if len({len(r) for r in rows}) <= 1 else RaggedTensor.from_rows(rows)
    raise ValueError(f"tf.strings.ngrams: keraslite's shim takes a vector, a matrix or a RaggedTensor of strings; "
                     f"received rank {values.ndim}.")


def reduce_join(inputs, axis=None, keepdims=False, separator="", name=None):
    """Join strings along `axis` (all of them when None); a RaggedTensor joins each row."""
    if isinstance(inputs, RaggedTensor):
        if axis not in (-1, 1):
            inputs = inputs.to_tensor()
        else:
            out = strings([separator.join(_text(v) for v in row.tolist()) for row in inputs])
            return strings(out.reshape(-1, 1)) if keepdims else out
    array = np.asarray(inputs, dtype=object)
    array = np.vectorize(_text, otypes=[object])(array) if array.size else array
    if axis is None:
        return StringScalar(separator.join(array.ravel().tolist()))
    moved = np.moveaxis(array, axis, -1)
    out = np.empty(moved.shape[:-1], dtype=object)
    for index in np.ndindex(out.shape):
        out[index] = separator.join(moved[index].tolist())
    if keepdims:
        out = np.expand_dims(out, axis)
    return StringScalar(out.item()) if out.ndim == 0 else strings(out)


def join(inputs, separator="", name=None):
    """Element-wise concatenation of same-shaped string tensors (scalars broadcast)."""
    parts = [np.vectorize(_text, otypes=[object])(np.asarray(x, dtype=object)) for x in inputs]
    out = parts[0]
    for part in parts[1:]:
        out = out + separator + part
    return StringScalar(out.item()) if np.ndim(out) == 0 else strings(out)


class SparseTensor:
    """tf.SparseTensor(indices, values, dense_shape): the listed entries, zero elsewhere."""

    def __init__(self, indices, values, dense_shape):
        self.indices = torch.as_tensor(np.asarray(indices, dtype=np.int64)).reshape(-1, len(dense_shape))
        self.values = torch.as_tensor(np.asarray(values))
        if self.values.is_floating_point():
            self.values = self.values.to(torch.float32)
        self.dense_shape = tuple(int(d) for d in dense_shape)

    @property
    def shape(self):
        return self.dense_shape

    def __repr__(self):
        return (f"SparseTensor(indices={self.indices.tolist()}, values={self.values.tolist()}, "
                f"dense_shape={list(self.dense_shape)})")


def sparse_to_dense(sp_input, default_value=None, validate_indices=True, name=None):
    out = torch.full(sp_input.dense_shape, 0 if default_value is None else default_value, dtype=sp_input.values.dtype)
    if len(sp_input.indices):
        out[tuple(sp_input.indices.t())] = sp_input.values
    return out
