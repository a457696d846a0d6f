"""Vocabulary layers: StringLookup, IntegerLookup and TextVectorization.

torch has no string tensors, so strings stay Python/numpy objects up to these layers: they
accept `str`, (nested) lists of `str`/`bytes` and numpy arrays of str/bytes/object, and turn
them into int64 (or float32, for the multi-hot/count/tf-idf modes) torch tensors on the CPU.
Internally tokens are UTF-8 `bytes`, as in TensorFlow, so ordering, lowercasing (ASCII only,
like `tf.strings.lower`), punctuation stripping and whitespace splitting (ASCII whitespace,
like `tf.strings.split`) behave as in Keras, which runs these layers on TensorFlow.

Vocabulary order after `adapt` is Keras's: by count, most frequent first; equal counts by
token in descending order (bytes order for strings, numeric for integers). `get_vocabulary()`
starts with the mask token (`''` for TextVectorization in "int" mode) and the OOV token(s)
(`'[UNK]'`). More than one OOV bucket hashes strings with FarmHash Fingerprint64 exactly as
`tf.strings.to_hash_bucket_fast`, and integers with floormod, as Keras does.

Not supported: `sparse=True` (Keras's torch backend rejects it too; `ragged=True` gives the TF shim's
RaggedTensor of int indices, as tf.keras programs expect),
`salt=` (Keras's keyed SipHash), and "one_hot" on split text.
"""
import collections
import os

import numpy as np
import torch

from keraslite.layers.layer import Layer
from keraslite.layers.preprocessing.farmhash import fingerprint64
from keraslite.utils import rng

__all__ = ["StringLookup", "IntegerLookup", "TextVectorization"]

_PUNCTUATION = b"!\"#$%&()*+,-./:;<=>?@[\\]^_`{|}~'"
_INT64_MAX = np.iinfo(np.int64).max


# ----------------------------------------------------------------------------- conversions

def to_bytes_array(x, encoding="utf-8"):
    """Strings in any accepted form -> numpy object array of bytes, same shape."""
    if isinstance(x, torch.Tensor):
        raise TypeError("torch tensors cannot hold strings; pass Python strings or a numpy array of str.")
    if isinstance(x, (str, bytes, np.str_, np.bytes_)):
        arr = np.array(x, dtype=object)
    else:
        arr = x if isinstance(x, np.ndarray) else np.asarray(x, dtype=object)
    if arr.dtype.kind in "US":
        flat = arr.ravel().tolist()
    elif arr.dtype.kind == "O":
        flat = arr.ravel().tolist()
    else:
        raise TypeError(f"Expected string inputs; received an array of dtype {arr.dtype}.")
    out = np.empty(len(flat), dtype=object)
    for i, v in enumerate(flat):
        if isinstance(v, bytes):
            out[i] = bytes(v)
        elif isinstance(v, str):
            out[i] = v.encode(encoding)
        else:
            raise TypeError(f"Expected string inputs; received {v!r} of type {type(v).__name__}.")
    return out.reshape(arr.shape)


def to_int_array(x):
    if isinstance(x, torch.Tensor):
        return x.detach().cpu().numpy().astype(np.int64)
    arr = np.asarray(x)
    if arr.dtype.kind not in "iub":
        if arr.dtype.kind == "f" and np.all(np.mod(arr, 1) == 0):
            return arr.astype(np.int64)
        raise TypeError(f"Expected integer inputs; received an array of dtype {arr.dtype}.")
    return arr.astype(np.int64)


def add_device_anchor(layer):
    """An empty buffer that follows `model.to(device)`, so that a layer that makes tensors from
    strings puts them where the rest of its model lives (the CPU for a standalone layer)."""
    layer.register_buffer("_device_anchor", torch.zeros(0), persistent=False)


def on_anchor_device(layer, tensor):
    anchor = layer.__dict__["_buffers"].get("_device_anchor")
    if anchor is None or not isinstance(tensor, torch.Tensor) or anchor.device == tensor.device:
        return tensor
    return tensor.to(anchor.device)


def _decode(b, encoding="utf-8"):
    return b.decode(encoding) if isinstance(b, bytes) else b


def _is_batch_iterable(data):
    return hasattr(data, "__iter__") and not isinstance(data, (list, tuple, np.ndarray, torch.Tensor, str, bytes))


# ----------------------------------------------------------------------------- encoding

def encode_lookups(indices, output_mode, depth, idf_weights=None):
    """Keras's encode_categorical_inputs as TensorFlow runs it for the lookup layers.

    `indices` is an int64 numpy array, or a list of 1-D arrays (rows of ragged tokens) with
    `lead` shape. Values outside [0, depth) (the mask) count for nothing. float32 torch tensor.
    """
    if isinstance(indices, _Ragged):
        if output_mode == "one_hot":
            raise NotImplementedError("output_mode='one_hot' on split text (ragged tokens) is not supported; use "
                                      "'multi_hot' or 'count', or split=None.")
        lead = indices.lead
        rows = indices.rows
        out = np.zeros((len(rows), depth), dtype=np.float32)
        for r, row in enumerate(rows):
            _bincount_into(out[r], row, depth, output_mode != "count" and output_mode != "tf_idf")
        out = out.reshape(tuple(lead) + (depth,)) if len(lead) else out.reshape((depth,))
    else:
        x = np.asarray(indices, dtype=np.int64)
        if output_mode == "one_hot":
            if x.ndim > 1 and x.shape[-1] == 1:
                x = x.reshape(x.shape[:-1])
            valid = (x >= 0) & (x < depth)
            out = np.zeros(x.shape + (depth,), dtype=np.float32)
            if x.ndim == 0:
                if valid:
                    out[int(x)] = 1.0
            else:
                out[np.nonzero(valid) + (x[valid],)] = 1.0
        else:
            if x.ndim == 0:
                x = x.reshape(1)
            binary = output_mode == "multi_hot"
            if x.ndim == 1:
                out = np.zeros((depth,), dtype=np.float32)
                _bincount_into(out, x, depth, binary)
            elif x.ndim == 2:
                out = np.zeros((x.shape[0], depth), dtype=np.float32)
                for r in range(x.shape[0]):
                    _bincount_into(out[r], x[r], depth, binary)
            else:  # Keras falls back to one_hot + reduction over axis 1 beyond rank 2
                valid = (x >= 0) & (x < depth)
                hot = np.zeros(x.shape + (depth,), dtype=np.float32)
                idx = np.nonzero(valid)
                hot[idx + (x[valid],)] = 1.0
                out = hot.max(axis=1) if binary else hot.sum(axis=1)
    if output_mode == "tf_idf":
        out = out * np.asarray(idf_weights, dtype=np.float32)
    return torch.from_numpy(np.ascontiguousarray(out, dtype=np.float32))


def _bincount_into(row_out, values, depth, binary):
    values = np.asarray(values, dtype=np.int64)
    values = values[(values >= 0) & (values < depth)]
    counts = np.bincount(values, minlength=depth)[:depth].astype(np.float32)
    row_out += np.minimum(counts, 1.0) if binary else counts


def _adapt(layer, data, steps, to_array):
    """Keras's adapt: reset, feed `data` (an iterable of batches, at most `steps` of them, or one
    array-like made an array by `to_array`, a column of samples if 1-D), then finalize."""
    from keraslite.training.data import from_pandas

    layer.reset_state()
    data = from_pandas(data)
    if _is_batch_iterable(data):
        for i, batch in enumerate(data):
            if steps is not None and i >= steps:
                break
            layer.update_state(batch)
    else:
        values = to_array(data)
        layer.update_state(values.reshape(-1, 1) if values.ndim == 1 else values)
    layer.finalize_state()


class _Ragged:
    """Rows of variable length (split text) with the leading shape they came from."""

    __slots__ = ("rows", "lead")

    def __init__(self, rows, lead):
        self.rows = rows
        self.lead = tuple(lead)


# ----------------------------------------------------------------------------- IndexLookup

class _IndexLookup(Layer):
    """The lookup machinery shared by StringLookup and IntegerLookup (Keras's IndexLookup)."""

    _strings = True
    _symbolic_by_spec = True  # functional graphs ask compute_output_spec instead of tracing (strings)

    def __init__(self, max_tokens, num_oov_indices, mask_token, oov_token, vocabulary_dtype, vocabulary=None,
                 idf_weights=None, invert=False, output_mode="int", sparse=False, pad_to_max_tokens=False,
                 oov_method="floormod", name=None, salt=None, vocabulary_size=None, has_input_vocabulary=None,
                 trainable=None, dtype=None, **kwargs):
        if kwargs:
            raise ValueError(f"Unrecognized keyword argument(s): {kwargs}")
        if max_tokens is not None and max_tokens <= 1:
            raise ValueError(f"If set, `max_tokens` must be greater than 1. Received: max_tokens={max_tokens}")
        if pad_to_max_tokens and max_tokens is None:
            raise ValueError(f"If pad_to_max_tokens is True, must set `max_tokens`. Received: max_tokens={max_tokens}")
        if num_oov_indices < 0:
            raise ValueError(f"`num_oov_indices` must be greater than or equal to 0. Received: "
                             f"num_oov_indices={num_oov_indices}")
        if oov_method not in ("floormod", "farmhash"):
            raise ValueError(f"The `oov_method` argument of {type(self).__name__} must be one of 'floormod', "
                             f"'farmhash'. Received: oov_method={oov_method}")
        if salt is not None:
            raise NotImplementedError(f"{type(self).__name__}: `salt` (keyed SipHash OOV buckets) is not supported "
                                      "by keraslite.")
        if output_mode == "binary":
            output_mode = "multi_hot"
        if output_mode == "tf-idf":
            output_mode = "tf_idf"
        if output_mode not in ("int", "one_hot", "multi_hot", "count", "tf_idf"):
            raise ValueError(f"The `output_mode` argument of {type(self).__name__} must be one of 'int', 'one_hot', "
                             f"'multi_hot', 'count', 'tf_idf'. Received: output_mode={output_mode}")
        if invert and output_mode != "int":
            raise ValueError(f"`output_mode` must be `'int'` when `invert` is true. Received: output_mode={output_mode}")
        if sparse:
            raise ValueError("`sparse=True` can only be used with the TensorFlow backend.")
        if idf_weights is not None and output_mode != "tf_idf":
            raise ValueError(f"`idf_weights` should only be set if `output_mode` is `'tf_idf'`. Received: "
                             f"idf_weights={idf_weights} and output_mode={output_mode}")
        super().__init__(name=name)
        add_device_anchor(self)
        self.invert = invert
        self.max_tokens = max_tokens
        self.num_oov_indices = num_oov_indices
        self.mask_token = mask_token
        self.oov_token = oov_token
        self.output_mode = output_mode
        self.sparse = sparse
        self.pad_to_max_tokens = pad_to_max_tokens
        self.vocabulary_dtype = vocabulary_dtype
        self.oov_method = oov_method
        self.salt = salt
        self._frozen_vocab_size = vocabulary_size
        self.input_vocabulary = vocabulary if not isinstance(vocabulary, str) else None
        self.input_idf_weights = idf_weights
        self._has_input_vocabulary = vocabulary is not None if has_input_vocabulary is None else has_input_vocabulary
        self._tokens = []
        self._index = {}
        self.idf_weights = None
        self.reset_state(force=True)
        if output_mode == "tf_idf" and self._has_input_vocabulary and idf_weights is None:
            raise ValueError("When specifying the `vocabulary` argument, in TF-IDF output mode, the `idf_weights` "
                             "argument must also be provided.")
        if output_mode == "tf_idf" and idf_weights is not None:
            self.idf_weights = np.asarray(idf_weights, dtype=np.float32)
        if vocabulary is not None:
            self.set_vocabulary(vocabulary, idf_weights)

    # -- keys ------------------------------------------------------------------------------
    def _key(self, token):
        if token is None:
            return None
        if self._strings:
            return token.encode(self.encoding) if isinstance(token, str) else bytes(token)
        return int(token)

    def _out_token(self, key):
        return _decode(key, self.encoding) if self._strings else key

    def _to_keys(self, data):
        return to_bytes_array(data, self.encoding) if self._strings else to_int_array(data)

    # -- indices ---------------------------------------------------------------------------
    def _oov_start_index(self):
        return 1 if self.mask_token is not None and self.output_mode == "int" else 0

    def _token_start_index(self):
        return self._oov_start_index() + self.num_oov_indices

    @property
    def _default_value(self):
        if self.num_oov_indices == 1:
            return self._oov_start_index()
        return -1

    # -- vocabulary ------------------------------------------------------------------------
    def vocabulary_size(self):
        return len(self._tokens) + self._token_start_index()

    def get_vocabulary(self, include_special_tokens=True):
        vocab = [self.oov_token] * self._token_start_index() + [self._out_token(t) for t in self._tokens]
        if self.mask_token is not None and self.output_mode == "int" and vocab:
            vocab[0] = self.mask_token
        if not include_special_tokens:
            vocab = vocab[self._token_start_index():]
        return vocab

    def set_vocabulary(self, vocabulary, idf_weights=None):
        if self.output_mode == "tf_idf":
            if idf_weights is None:
                raise ValueError("`idf_weights` must be set if output_mode is 'tf_idf'.")
        elif idf_weights is not None:
            raise ValueError(f"`idf_weights` should only be set if output_mode is `'tf_idf'`. Received: "
                             f"output_mode={self.output_mode} and idf_weights={idf_weights}")
        if isinstance(vocabulary, (str, os.PathLike)):
            if not os.path.exists(vocabulary):
                raise ValueError(f"Vocabulary file {vocabulary} does not exist.")
            if self.output_mode == "tf_idf":
                raise ValueError("output_mode `'tf_idf'` does not support loading a vocabulary from file.")
            with open(vocabulary, encoding="utf-8") as f:
                lines = f.read().splitlines()
            vocabulary = lines if self._strings else [int(v) for v in lines]
        if isinstance(vocabulary, torch.Tensor):
            vocabulary = vocabulary.cpu().numpy()
        keys = list(self._to_keys(np.asarray(vocabulary, dtype=object if self._strings else None)).ravel())
        if not keys:
            raise ValueError(f"Cannot set an empty vocabulary. Received: vocabulary={vocabulary}")
        oov_start, token_start = self._oov_start_index(), self._token_start_index()
        special = [self._key(self.mask_token)] * oov_start + [self._key(self.oov_token)] * self.num_oov_indices
        found_special = keys[:token_start] == special
        tokens = keys[token_start:] if found_special else keys
        repeated = [t for t, c in collections.Counter(tokens).items() if c > 1]
        if repeated:
            raise ValueError("The passed vocabulary has at least one repeated term. Please uniquify your dataset. The "
                             f"repeated terms are: {[self._out_token(t) for t in repeated]}")
        if self.mask_token is not None and self._key(self.mask_token) in tokens:
            raise ValueError("Found reserved mask token at unexpected location in `vocabulary`. Note that passed "
                             "`vocabulary` does not need to include the OOV and mask tokens. Either remove all mask "
                             "and OOV tokens, or include them only at the start of the vocabulary in precisely this "
                             f"order: {[self._out_token(t) for t in special]}. Received: mask_token={self.mask_token}")
        if self.oov_token is not None and self.invert and self._key(self.oov_token) in tokens:
            raise ValueError("Found reserved OOV token at unexpected location in `vocabulary`. Note that passed "
                             "`vocabulary` does not need to include the OOV and mask tokens. Either remove all mask "
                             "and OOV tokens, or include them only at the start of the vocabulary in precisely this "
                             f"order: {[self._out_token(t) for t in special]}. Received: oov_token={self.oov_token}")
        if self.max_tokens is not None and token_start + len(tokens) > self.max_tokens:
            raise ValueError("Attempted to set a vocabulary larger than the maximum vocab size. Received vocabulary size "
                             f"is {token_start + len(tokens)}; `max_tokens` is {self.max_tokens}.")
        self._set_tokens(tokens)
        if self.output_mode == "tf_idf" and idf_weights is not None:
            idf = np.asarray(idf_weights.cpu().numpy() if isinstance(idf_weights, torch.Tensor) else idf_weights)
            if len(keys) != len(idf):
                raise ValueError(f"`idf_weights` must be the same length as vocabulary. len(idf_weights) is {len(idf)}; "
                                 f"len(vocabulary) is {len(keys)}")
            if idf.ndim != 1:
                raise ValueError(f"TF-IDF data must be a 1-index array. Received: type(idf_weights)={type(idf)}")
            front, front_value = (0, 0) if found_special else (token_start, np.average(idf))
            back = self.max_tokens - front - len(idf) if self.pad_to_max_tokens and self.max_tokens else 0
            self.idf_weights = np.pad(idf, (front, back), "constant",
                                      constant_values=(front_value, 0)).astype(np.float32)

    def _set_tokens(self, tokens):
        self._ensure_vocab_size_unchanged(len(tokens) + self._token_start_index())
        self._tokens = list(tokens)
        start = self._token_start_index()
        self._index = {t: start + i for i, t in enumerate(self._tokens)}
        self._frozen_vocab_size = self.vocabulary_size()

    def _ensure_vocab_size_unchanged(self, new_size):
        if self.output_mode == "int" or self.pad_to_max_tokens:
            return
        if self._frozen_vocab_size is not None and new_size != self._frozen_vocab_size and self.built:
            raise RuntimeError(f"When using `output_mode={self.output_mode}` and `pad_to_max_tokens=False`, the "
                               "vocabulary size cannot be changed after the layer is called. Old vocab size is "
                               f"{self._frozen_vocab_size}, new vocab size is {new_size}")

    # -- adapt -----------------------------------------------------------------------------
    def reset_state(self, force=False):
        if self._has_input_vocabulary and not force:
            return
        self._token_counts = collections.Counter()
        self._doc_counts = collections.Counter()
        self._num_documents = 0

    def adapt(self, data, steps=None):
        """Build the vocabulary from `data`: an array/list of tokens, or an iterable of batches."""
        _adapt(self, data, steps, self._to_keys)

    def update_state(self, data):
        if self._has_input_vocabulary:
            raise ValueError(f"Cannot adapt layer '{self.name}' after setting a static vocabulary via `vocabulary` "
                             "argument or `set_vocabulary()` method.")
        if isinstance(data, _Ragged):
            rows = data.rows
        else:
            keys = self._to_keys(data)
            if keys.ndim == 0:
                keys = keys.reshape(1)
            if keys.ndim == 1:
                keys = keys.reshape(1, -1)
            rows = list(keys.reshape(keys.shape[0], -1))
        self._update_rows(rows)

    def _update_rows(self, rows):
        counts = self._token_counts
        for row in rows:
            counts.update(row.tolist() if isinstance(row, np.ndarray) else row)
        if self.output_mode == "tf_idf":
            for row in rows:
                self._doc_counts.update(set(row.tolist() if isinstance(row, np.ndarray) else row))
            self._num_documents += len(rows)

    def finalize_state(self):
        if self._has_input_vocabulary or not self._token_counts:
            self._frozen_vocab_size = self.vocabulary_size()
            return
        counts = self._token_counts
        for special in (self.mask_token, self.oov_token):
            if special is not None:
                counts.pop(self._key(special), None)
        # Keras: np.lexsort((tokens, counts))[::-1], i.e. count descending, then token descending.
        ordered = sorted(counts.items(), key=lambda kv: (kv[1], kv[0]), reverse=True)
        if self.max_tokens:
            ordered = ordered[:self.max_tokens - self._token_start_index()]
        tokens = [t for t, _ in ordered]
        self._frozen_vocab_size = None
        self._set_tokens(tokens)
        if self.output_mode == "tf_idf":
            doc_counts = np.array([self._doc_counts.get(t, 0) for t in tokens], dtype=np.float64)
            idf = np.log(1 + self._num_documents / (1 + doc_counts)).astype(np.float32)
            idf = np.concatenate([np.full(self._token_start_index(), np.mean(idf), dtype=np.float32), idf])
            if self.pad_to_max_tokens and self.max_tokens is not None:
                idf = np.concatenate([idf, np.zeros(self.max_tokens - idf.size, dtype=np.float32)])
            self.idf_weights = idf
        self.reset_state()

    # -- call ------------------------------------------------------------------------------
    def _array_to_tensor(self, array):
        return array  # strings cannot become tensors; `call` converts

    def _maybe_build(self, input_shape):
        if not self.built:
            self.built = True

    def _lookup_keys(self, keys):
        """Token keys (numpy array) -> int64 indices, with mask and OOV buckets, as Keras."""
        flat = keys.ravel().tolist()
        default = self._default_value
        index = self._index
        out = np.fromiter((index.get(t, default) for t in flat), dtype=np.int64, count=len(flat))
        if self.mask_token is not None:
            mask_key = self._key(self.mask_token)
            mask_value = 0 if self.output_mode == "int" else _INT64_MAX
            hits = [i for i, t in enumerate(flat) if t == mask_key]
            out[hits] = mask_value
        if self.num_oov_indices == 0:
            missing = out == -1
            if missing.any() and rng.is_tracing():
                # placeholder inputs of a symbolic call (this layer inside a Sequential or a
                # custom layer called on an Input): only the shape and dtype matter
                out[missing] = 0
            elif missing.any():
                bad = [self._out_token(flat[i]) for i in np.nonzero(missing)[0][:10]]
                raise ValueError(f"When `num_oov_indices=0` all inputs should be in vocabulary, found OOV values {bad}, "
                                 "consider setting `num_oov_indices=1`.")
        elif self.num_oov_indices > 1:
            missing = np.nonzero(out == default)[0]
            for i in missing:
                out[i] = self._oov_bucket(flat[i]) + self._oov_start_index()
        return out.reshape(keys.shape)

    def _oov_bucket(self, key):
        n = self.num_oov_indices
        if not self._strings and self.oov_method != "farmhash":
            return int(key) % n
        data = str(int(key)).encode() if not self._strings else key
        return fingerprint64(data) % n

    def _invert_indices(self, indices):
        flat = indices.ravel().tolist()
        start = self._token_start_index()
        tokens = self._tokens
        oov = self._key(self.oov_token)
        out = [tokens[i - start] if start <= i < start + len(tokens) else oov for i in flat]
        if self.mask_token is not None:
            mask = self._key(self.mask_token)
            out = [mask if i == 0 else t for i, t in zip(flat, out)]
        return out

    def _depth(self):
        return self.max_tokens if self.pad_to_max_tokens else self._frozen_vocab_size

    def _ensure_known_vocab_size(self):
        if self.output_mode == "int" or self.pad_to_max_tokens:
            return
        if self._frozen_vocab_size is None:
            raise RuntimeError(f"When using `output_mode={self.output_mode}` and `pad_to_max_tokens=False`, you must "
                               "set the layer's vocabulary before calling it. Either pass a `vocabulary` argument to "
                               "the layer, or call `adapt` with some sample data.")

    def _encode(self, lookups):
        if self.output_mode == "int":
            if isinstance(lookups, _Ragged):
                raise AssertionError("ragged int lookups are padded by the caller")
            # (np.ascontiguousarray alone would make a scalar's lookup 1-D)
            return torch.from_numpy(np.ascontiguousarray(lookups, dtype=np.int64).reshape(np.shape(lookups)))
        if self.output_mode == "tf_idf" and self.idf_weights is None:
            raise ValueError("When `output_mode` is `'tf_idf'`, `idf_weights` must be provided.")
        out = encode_lookups(lookups, self.output_mode, self._depth(), self.idf_weights)
        # Keras encodes with the lookup's int64 value dtype; only tf-idf comes out as floats.
        return out if self.output_mode == "tf_idf" else out.to(torch.int64)

    def __call__(self, inputs, *args, **kwargs):
        if hasattr(inputs, "map_flat_values") and hasattr(inputs, "row_splits"):
            # a ragged tensor (tf.strings.unicode_split of several strings, tf.ragged.constant)
            if self.output_mode == "int" or self.invert:  # look its values up, keep it ragged
                return inputs.map_flat_values(
                    lambda values: super(_IndexLookup, self).__call__(values, *args, **kwargs))
            # multi_hot / count / tf_idf / one_hot: one encoded row per ragged row
            rows = [np.asarray(row, dtype=object).reshape(-1) for row in inputs.to_list()]
            return super().__call__(_Ragged(rows, (len(rows),)), *args, **kwargs)
        return super().__call__(inputs, *args, **kwargs)

    def call(self, inputs):
        self._ensure_known_vocab_size()
        if isinstance(inputs, _Ragged):
            keys = [self._to_keys(row) for row in inputs.rows]
            flat = self._lookup_keys(np.concatenate(keys) if keys else np.empty(0, dtype=object))
            bounds = np.cumsum([0] + [len(k) for k in keys])
            rows = [flat[a:b] for a, b in zip(bounds[:-1], bounds[1:])]
            return on_anchor_device(self, self._encode(_Ragged(rows, inputs.lead)))
        if self.invert:
            indices = to_int_array(inputs)
            out = self._inverted_output(indices, self._invert_indices(indices))
            return on_anchor_device(self, out) if isinstance(out, torch.Tensor) else out
        lookups = self._lookup_keys(self._to_keys(inputs))
        return on_anchor_device(self, self._encode(lookups))

    def compute_output_shape(self, input_shape):
        if self.output_mode == "int":
            return tuple(input_shape)
        depth = self._depth()
        input_shape = tuple(input_shape)
        if self.output_mode == "one_hot":
            if len(input_shape) > 1 and input_shape[-1] == 1:
                return input_shape[:-1] + (depth,)
            return input_shape + (depth,)
        return input_shape[:-1] + (depth,)

    def compute_output_spec(self, inputs):
        from keraslite.layers.keras_tensor import KerasTensor

        dtype = "float32" if self.output_mode == "tf_idf" else "int64"
        if self.invert and self._strings:
            dtype = "string"
        return KerasTensor(self.compute_output_shape(inputs.shape), dtype=dtype)

    def get_build_config(self):
        return {}

    def build_from_config(self, config):
        self.built = True

    def get_config(self):
        config = super().get_config()
        config.update(invert=self.invert, max_tokens=self.max_tokens, num_oov_indices=self.num_oov_indices,
                      oov_token=self.oov_token, mask_token=self.mask_token, output_mode=self.output_mode,
                      sparse=self.sparse, pad_to_max_tokens=self.pad_to_max_tokens,
                      vocabulary_dtype=self.vocabulary_dtype, idf_weights=_listify(self.input_idf_weights),
                      vocabulary=_listify(self.input_vocabulary), vocabulary_size=self._frozen_vocab_size,
                      oov_method=self.oov_method, salt=self.salt)
        return config

    # -- .keras assets (Keras writes the adapted vocabulary to assets/.../vocabulary.txt) ----
    def save_assets(self, dir_path):
        if self.input_vocabulary is not None:
            return
        vocabulary = self.get_vocabulary(include_special_tokens=True)
        with open(os.path.join(dir_path, "vocabulary.txt"), "w", encoding="utf-8") as f:
            f.write("\n".join(str(w) for w in vocabulary))

    def load_assets(self, dir_path):
        if self.input_vocabulary is not None:
            return
        path = os.path.join(dir_path, "vocabulary.txt")
        if not os.path.exists(path):
            return
        with open(path, encoding="utf-8") as f:
            lines = f.read().splitlines()
        while lines and lines[-1] == "":
            lines.pop()
        values = lines if self._strings else [int(v) for v in lines]
        was = self._has_input_vocabulary
        self._frozen_vocab_size = None
        if self.output_mode == "tf_idf":
            self.set_vocabulary(values, idf_weights=self.idf_weights)
        else:
            self.set_vocabulary(values)
        self._has_input_vocabulary = was

    def save_own_variables(self, store):
        if self.output_mode == "tf_idf" and self.idf_weights is not None:
            store["idf_weights"] = np.asarray(self.idf_weights)

    def load_own_variables(self, store):
        if self.output_mode == "tf_idf" and "idf_weights" in store:
            self.idf_weights = np.asarray(store["idf_weights"], dtype=np.float32)


def _listify(x):
    if isinstance(x, torch.Tensor):
        x = x.detach().cpu().numpy()
    if isinstance(x, np.ndarray):
        x = x.tolist()
    if isinstance(x, (list, tuple)):
        return [_decode(v) if isinstance(v, bytes) else v for v in x]
    return x


class StringLookup(_IndexLookup):
    """Map strings to integer indices (or multi-hot/count/tf-idf vectors) through a vocabulary;
    `invert=True` maps indices back to strings (returned as a list of str, as Keras's torch
    backend does; the str and lists also give TF's bytes from `.numpy()`)."""

    _strings = True

    def __init__(self, max_tokens=None, num_oov_indices=1, mask_token=None, oov_token="[UNK]", vocabulary=None,
                 idf_weights=None, invert=False, output_mode="int", pad_to_max_tokens=False, sparse=False,
                 encoding="utf-8", name=None, salt=None, **kwargs):
        self.encoding = encoding
        kwargs.pop("vocabulary_dtype", None)
        super().__init__(max_tokens=max_tokens, num_oov_indices=num_oov_indices, mask_token=mask_token,
                         oov_token=oov_token, vocabulary=vocabulary, idf_weights=idf_weights, invert=invert,
                         output_mode=output_mode, pad_to_max_tokens=pad_to_max_tokens, sparse=sparse, name=name,
                         salt=salt, vocabulary_dtype="string", **kwargs)

    def _inverted_output(self, indices, tokens):
        from keraslite.compat.tf_data import string_values  # str / lists that also answer .numpy()

        words = [_decode(t, self.encoding) if t is not None else None for t in tokens]
        if indices.ndim == 0:
            return string_values(words[0])
        return string_values(np.array(words, dtype=object).reshape(indices.shape).tolist())

    def get_config(self):
        config = super().get_config()
        del config["vocabulary_dtype"]
        config["encoding"] = self.encoding
        return config


class IntegerLookup(_IndexLookup):
    """Map integers to contiguous indices through a vocabulary (OOV values to index 1, or to
    `num_oov_indices` buckets by floormod); `invert=True` maps indices back to the integers."""

    _strings = False
    encoding = "utf-8"

    def __init__(self, max_tokens=None, num_oov_indices=1, mask_token=None, oov_token=-1, vocabulary=None,
                 vocabulary_dtype="int64", idf_weights=None, invert=False, output_mode="int", sparse=False,
                 pad_to_max_tokens=False, oov_method="floormod", salt=None, name=None, **kwargs):
        if max_tokens is not None and max_tokens <= 1:
            raise ValueError(f"If `max_tokens` is set for `IntegerLookup`, it must be greater than 1. Received: "
                             f"max_tokens={max_tokens}")
        if num_oov_indices < 0:
            raise ValueError(f"The value of `num_oov_indices` argument for `IntegerLookup` must >= 0. Received: "
                             f"num_oov_indices={num_oov_indices}")
        if vocabulary_dtype != "int64":
            raise ValueError(f"Only `vocabulary_dtype='int64'` is supported at this time. Received: "
                             f"vocabulary_dtype={vocabulary_dtype}")
        super().__init__(max_tokens=max_tokens, num_oov_indices=num_oov_indices, mask_token=mask_token,
                         oov_token=oov_token, vocabulary=vocabulary, vocabulary_dtype=vocabulary_dtype,
                         idf_weights=idf_weights, invert=invert, output_mode=output_mode, sparse=sparse,
                         pad_to_max_tokens=pad_to_max_tokens, oov_method=oov_method, salt=salt, name=name, **kwargs)

    def _array_to_tensor(self, array):
        return array

    def _inverted_output(self, indices, tokens):
        return torch.as_tensor(np.array(tokens, dtype=np.int64).reshape(indices.shape))

    def get_config(self):
        config = super().get_config()
        for key in ("oov_token", "mask_token"):
            if config[key] is not None:
                config[key] = int(config[key])
        if config["vocabulary"] is not None:
            config["vocabulary"] = [int(v) for v in config["vocabulary"]]
        return config


# ----------------------------------------------------------------------------- TextVectorization

class TextVectorization(Layer):
    """Strings -> standardize -> split -> n-grams -> vocabulary indices (or multi-hot, count,
    tf-idf vectors). `adapt(texts)` learns the vocabulary; `vectorize(texts)` returns an int64
    tensor padded with 0 to the longest text (or to `output_sequence_length`)."""

    _symbolic_by_spec = True

    def __init__(self, max_tokens=None, standardize="lower_and_strip_punctuation", split="whitespace", ngrams=None,
                 output_mode="int", output_sequence_length=None, pad_to_max_tokens=False, vocabulary=None,
                 idf_weights=None, sparse=False, ragged=False, encoding="utf-8", name=None, **kwargs):
        if sparse:
            raise ValueError("`sparse=True` can only be used with the TensorFlow backend.")
        if ragged and (output_mode not in ("int", None) or output_sequence_length is not None):
            # tf.keras's rule: ragged rows of token indices, neither encoded nor padded.
            raise ValueError("`ragged=True` works with output_mode='int' and no output_sequence_length only; "
                             f"received output_mode={output_mode!r}, output_sequence_length={output_sequence_length}.")
        if not (standardize is None or callable(standardize) or
                standardize in ("lower_and_strip_punctuation", "lower", "strip_punctuation")):
            raise ValueError("The `standardize` argument of TextVectorization must be one of None, a callable, "
                             "'lower_and_strip_punctuation', 'lower', 'strip_punctuation'. Received: "
                             f"standardize={standardize}")
        if not (split is None or callable(split) or split in ("whitespace", "character")):
            raise ValueError("The `split` argument of TextVectorization must be one of None, a callable, "
                             f"'whitespace', 'character'. Received: split={split}")
        if output_mode == "binary":
            output_mode = "multi_hot"
        if output_mode == "tf-idf":
            output_mode = "tf_idf"
        if output_mode not in ("int", "one_hot", "multi_hot", "count", "tf_idf"):
            raise ValueError("The `output_mode` argument of TextVectorization must be one of 'int', 'one_hot', "
                             f"'multi_hot', 'count', 'tf_idf'. Received: output_mode={output_mode}")
        if isinstance(ngrams, list):
            ngrams = tuple(ngrams)
        if not (ngrams is None or isinstance(ngrams, int) or
                (isinstance(ngrams, tuple) and all(isinstance(i, int) for i in ngrams))):
            raise ValueError(f"`ngrams` must be None, an integer, or a tuple of integers. Received: ngrams={ngrams}")
        if output_mode == "int" and not (isinstance(output_sequence_length, int) or output_sequence_length is None):
            raise ValueError("`output_sequence_length` must be either None or an integer when `output_mode` is 'int'. "
                             f"Received: output_sequence_length={output_sequence_length}")
        if output_mode != "int" and output_sequence_length is not None:
            raise ValueError("`output_sequence_length` must not be set if `output_mode` is not 'int'. Received "
                             f"output_sequence_length={output_sequence_length}.")
        has_input_vocabulary = kwargs.pop("has_input_vocabulary", vocabulary is not None)
        vocabulary_size = kwargs.pop("vocabulary_size", None)
        kwargs.pop("dtype", None)
        super().__init__(name=name, **kwargs)
        self._max_tokens = max_tokens
        self._standardize = standardize
        self._split = split
        self._ngrams_arg = ngrams
        self._ngrams = tuple(range(1, ngrams + 1)) if isinstance(ngrams, int) else ngrams
        self._ragged = ragged
        self._output_mode = output_mode
        self._output_sequence_length = output_sequence_length
        self._encoding = encoding
        self._lookup_layer = StringLookup(max_tokens=max_tokens, vocabulary=vocabulary, idf_weights=idf_weights,
                                          pad_to_max_tokens=pad_to_max_tokens, mask_token="", output_mode=output_mode,
                                          sparse=sparse, has_input_vocabulary=has_input_vocabulary,
                                          encoding=encoding, vocabulary_size=vocabulary_size)

    # -- plumbing --------------------------------------------------------------------------
    def _array_to_tensor(self, array):
        return array

    def _maybe_build(self, input_shape):
        if not self.built:
            self.built = True
            self._lookup_layer.built = True

    def get_build_config(self):
        return None

    # -- vocabulary ------------------------------------------------------------------------
    def adapt(self, data, batch_size=None, steps=None):
        """Learn the vocabulary from texts: a list/array of strings, or an iterable of batches."""
        _adapt(self, data, steps, lambda d: to_bytes_array(d, self._encoding))

    def update_state(self, data):
        tokens = self._preprocess(data)
        if not isinstance(tokens, _Ragged):
            tokens = tokens if tokens.ndim >= 2 else tokens.reshape(1, -1) if tokens.ndim == 1 else tokens.reshape(1, 1)
        self._lookup_layer.update_state(tokens)

    def finalize_state(self):
        self._lookup_layer.finalize_state()

    def reset_state(self):
        self._lookup_layer.reset_state()

    def get_vocabulary(self, include_special_tokens=True):
        return self._lookup_layer.get_vocabulary(include_special_tokens)

    def vocabulary_size(self):
        return self._lookup_layer.vocabulary_size()

    def set_vocabulary(self, vocabulary, idf_weights=None):
        self._lookup_layer.set_vocabulary(vocabulary, idf_weights=idf_weights)

    # -- text processing -------------------------------------------------------------------
    def _standardize_bytes(self, texts):
        std = self._standardize
        if std is None:
            return texts
        if callable(std):
            strings = np.array([_decode(t, self._encoding) for t in texts.ravel().tolist()], dtype=object)
            strings = strings.reshape(texts.shape)
            try:
                result = std(strings.astype(str) if strings.size else strings)
            except TypeError:
                result = std(strings)
            return to_bytes_array(_to_numpy_strings(result), self._encoding).reshape(texts.shape)
        flat = texts.ravel().tolist()
        if std in ("lower", "lower_and_strip_punctuation"):
            flat = [t.lower() for t in flat]
        if std in ("strip_punctuation", "lower_and_strip_punctuation"):
            flat = [t.translate(None, _PUNCTUATION) for t in flat]
        out = np.empty(len(flat), dtype=object)
        out[:] = flat
        return out.reshape(texts.shape)

    def _split_bytes(self, texts):
        if texts.ndim > 1:
            if texts.shape[-1] != 1:
                raise ValueError("When using `TextVectorization` to tokenize strings, the input rank must be 1 or the "
                                 f"last shape dimension must be 1. Received: inputs.shape={texts.shape} with "
                                 f"rank={texts.ndim}")
            texts = texts.reshape(texts.shape[:-1])
        flat = texts.ravel().tolist()
        if self._split == "whitespace":
            rows = [t.split() for t in flat]  # bytes.split(): ASCII whitespace, as tf.strings.split
        elif self._split == "character":
            rows = [[c.encode("utf-8") for c in t.decode("utf-8")] for t in flat]
        else:
            strings = np.array([_decode(t, self._encoding) for t in flat], dtype=object).reshape(texts.shape)
            result = self._split(strings.astype(str) if strings.size else strings)
            result = result.tolist() if isinstance(result, np.ndarray) else result
            if texts.ndim == 0:
                result = [result]
            rows = [[v.encode(self._encoding) if isinstance(v, str) else bytes(v) for v in row] for row in result]
        return _Ragged(rows, texts.shape)

    def _ngram_rows(self, rows):
        out = []
        for row in rows:
            grams = []
            for n in self._ngrams:
                grams.extend(b" ".join(row[i:i + n]) for i in range(len(row) - n + 1))
            out.append(grams)
        return out

    def _preprocess(self, inputs):
        texts = to_bytes_array(inputs, self._encoding)
        texts = self._standardize_bytes(texts)
        if self._split is not None:
            tokens = self._split_bytes(texts)
            if self._ngrams is not None:
                tokens = _Ragged(self._ngram_rows(tokens.rows), tokens.lead)
            return tokens
        if self._ngrams is not None:
            if texts.ndim == 0:
                texts = texts.reshape(1)
            lead = texts.shape[:-1]
            rows = self._ngram_rows([list(r) for r in texts.reshape(-1, texts.shape[-1])])
            width = len(rows[0]) if rows else 0
            out = np.empty((len(rows), width), dtype=object)
            for i, r in enumerate(rows):
                out[i, :] = r
            return out.reshape(tuple(lead) + (width,))
        return texts

    # -- call ------------------------------------------------------------------------------
    def call(self, inputs):
        return on_anchor_device(self._lookup_layer, self._vectorize(inputs))

    def _vectorize(self, inputs):
        tokens = self._preprocess(inputs)
        lookup = self._lookup_layer
        lookup._ensure_known_vocab_size()
        if isinstance(tokens, _Ragged):
            flat = [t for row in tokens.rows for t in row]
            keys = np.empty(len(flat), dtype=object)
            keys[:] = flat
            indices = lookup._lookup_keys(keys)
            rows, pos = [], 0
            for row in tokens.rows:
                rows.append(indices[pos:pos + len(row)])
                pos += len(row)
            if self._output_mode != "int":
                return lookup._encode(_Ragged(rows, tokens.lead))
            if self._ragged and len(tokens.lead) == 1:
                # tf.keras's ragged=True: a RaggedTensor of each text's indices (the TF shim's type).
                from keraslite.compat.tf_ragged import RaggedTensor

                return RaggedTensor.from_row_lengths(
                    torch.from_numpy(np.concatenate(rows).astype(np.int64) if rows else np.zeros(0, np.int64)),
                    [len(r) for r in rows])
            length = self._output_sequence_length
            if length is None:
                length = max((len(r) for r in rows), default=0)
            out = np.zeros((len(rows), length), dtype=np.int64)
            for i, r in enumerate(rows):
                r = r[:length]
                out[i, :len(r)] = r
            return torch.from_numpy(out.reshape(tuple(tokens.lead) + (length,)))
        indices = lookup._lookup_keys(tokens)
        if self._output_mode != "int":
            return lookup._encode(indices)
        length = self._output_sequence_length
        if length is not None:
            if indices.ndim == 0:
                indices = indices.reshape(1)
            indices = indices[..., :length]
            pad = length - indices.shape[-1]
            if pad > 0:
                indices = np.concatenate([indices, np.zeros(indices.shape[:-1] + (pad,), dtype=np.int64)], axis=-1)
        return torch.from_numpy(np.ascontiguousarray(indices, dtype=np.int64))

    def compute_output_shape(self, input_shape):
        if self._output_mode == "int":
            return (input_shape[0], self._output_sequence_length)
        if self._split is None:
            if len(input_shape) <= 1:
                input_shape = tuple(input_shape) + (1,)
        else:
            input_shape = tuple(input_shape)
            if len(input_shape) > 1 and input_shape[-1] == 1:
                input_shape = input_shape[:-1]  # call() squeezes a (batch, 1) column of strings before splitting
            input_shape = input_shape + (None,)
        return self._lookup_layer.compute_output_shape(input_shape)

    def compute_output_spec(self, inputs):
        from keraslite.layers.keras_tensor import KerasTensor

        return KerasTensor(self.compute_output_shape(inputs.shape),
                           dtype="float32" if self._output_mode == "tf_idf" else "int64")

    # -- config / files --------------------------------------------------------------------
    def get_config(self):
        config = super().get_config()
        lookup = self._lookup_layer
        config.update(max_tokens=lookup.max_tokens, standardize=_serialize_fn(self._standardize),
                      split=_serialize_fn(self._split), ngrams=self._ngrams_arg, output_mode=self._output_mode,
                      output_sequence_length=self._output_sequence_length, pad_to_max_tokens=lookup.pad_to_max_tokens,
                      sparse=lookup.sparse, ragged=self._ragged, vocabulary=_listify(lookup.input_vocabulary),
                      idf_weights=_listify(lookup.input_idf_weights), encoding=self._encoding,
                      vocabulary_size=self.vocabulary_size())
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        for key in ("standardize", "split"):
            if isinstance(config.get(key), dict):
                from keraslite.saving.serialization import deserialize_keras_object

                config[key] = deserialize_keras_object(config[key])
        if isinstance(config.get("ngrams"), list):
            config["ngrams"] = tuple(config["ngrams"])
        return cls(**config)

    def save_assets(self, dir_path):
        self._lookup_layer.save_assets(dir_path)

    def load_assets(self, dir_path):
        self._lookup_layer.load_assets(dir_path)

    def save_own_variables(self, store):
        self._lookup_layer.save_own_variables(store)

    def load_own_variables(self, store):
        self._lookup_layer.load_own_variables(store)


def _serialize_fn(fn):
    if fn is None or isinstance(fn, str):
        return fn
    from keraslite.saving.serialization import serialize_keras_object

    return serialize_keras_object(fn)


def _to_numpy_strings(result):
    if isinstance(result, np.ndarray):
        return result
    if hasattr(result, "numpy") and not isinstance(result, torch.Tensor):
        return np.asarray(result.numpy())
    return np.asarray(result, dtype=object)
