"""Categorical encoding layers: CategoryEncoding, Discretization and Hashing.

CategoryEncoding and Discretization run on torch tensors (on the input's device) exactly as
Keras 3's torch backend runs them. Hashing, which Keras runs on TensorFlow, hashes with
FarmHash Fingerprint64 like `tf.strings.to_hash_bucket_fast`, so its bins equal Keras's;
its `salt=` variant (keyed SipHash) is not provided.
"""
import numpy as np
import torch
import torch.nn.functional as F

from keraslite import backend
from keraslite.layers.layer import Layer
from keraslite.layers.preprocessing.farmhash import fingerprint64, siphash24
from keraslite.layers.preprocessing.lookup import add_device_anchor, encode_lookups, on_anchor_device, to_bytes_array

__all__ = ["CategoryEncoding", "Discretization", "Hashing", "HashedCrossing"]


def _one_hot(x, depth, dtype):
    """Keras's torch `one_hot`: negative values give all-zero rows."""
    x = x.long()
    out = F.one_hot(torch.clamp(x, min=0), depth)
    out = torch.where(x.unsqueeze(-1) >= 0, out, torch.zeros((), dtype=out.dtype, device=out.device))
    return out.to(dtype)


def encode_categorical(inputs, output_mode, depth, dtype, count_weights=None):
    """Keras's `numerical_utils.encode_categorical_inputs` on the torch backend."""
    if output_mode == "int":
        return inputs.to(dtype)
    x = inputs
    if x.ndim == 0:
        x = x.unsqueeze(-1)
    if x.numel() and (x.max() >= depth):
        raise ValueError(f"Input values must be in the range 0 <= values < num_tokens with num_tokens={depth}; "
                         f"received a maximum of {int(x.max())}.")
    if output_mode == "multi_hot":
        return torch.amax(_one_hot(x.int(), depth, dtype), dim=1 if x.ndim > 1 else 0)
    if output_mode == "one_hot":
        if x.ndim > 1 and x.shape[-1] == 1:
            x = x.reshape(x.shape[:-1])
        return _one_hot(x, depth, dtype)
    # count
    if count_weights is not None:
        dtype = count_weights.dtype
    hot = _one_hot(x, depth, dtype)
    if count_weights is not None:
        hot = hot * count_weights.unsqueeze(-1)
    return hot.sum(dim=1 if x.ndim > 1 else 0)


class CategoryEncoding(Layer):
    """Integer category ids -> one-hot, multi-hot or count vectors of length `num_tokens`.

    TF 2.3's form is taken too: no `num_tokens` and then `adapt(data)`, which sets it to the
    largest id seen + 1 (its `max_tokens=` spelling is renamed in keraslite.compat.legacy_args)."""

    def __init__(self, num_tokens=None, output_mode="multi_hot", sparse=False, **kwargs):
        super().__init__(**kwargs)
        if output_mode == "binary":
            output_mode = "multi_hot"
        if output_mode not in ("count", "one_hot", "multi_hot"):
            raise ValueError(f"Unknown arg for output_mode: {output_mode}")
        if num_tokens is not None and num_tokens < 1:
            raise ValueError(f"`num_tokens` must be >= 1. Received: num_tokens={num_tokens}.")
        if sparse:
            raise ValueError("`sparse=True` is not supported by the torch backend.")
        self.num_tokens = num_tokens
        self.output_mode = output_mode
        self.sparse = sparse
        self._largest_id = -1

    def _check_size(self):
        if self.num_tokens is None:
            raise ValueError(f"CategoryEncoding '{self.name}': num_tokens must be set to use this layer. Pass "
                             "num_tokens=..., call adapt(data) first (TF 2.3's way: the largest id + 1), or, if the "
                             "number of tokens is not known beforehand, use the IntegerLookup layer instead.")

    def adapt(self, data, batch_size=None, steps=None):
        """TF 2.3: `num_tokens` becomes the largest id in `data` (an array or an iterable of batches) + 1."""
        from keraslite.layers.preprocessing.lookup import _adapt

        _adapt(self, data, steps, np.asarray)

    def reset_state(self):
        self._largest_id = -1

    def update_state(self, data):
        values = np.asarray(data.cpu() if isinstance(data, torch.Tensor) else data)
        if values.size:
            self._largest_id = max(self._largest_id, int(values.max()))

    def finalize_state(self):
        if self._largest_id < 0:
            raise ValueError(f"CategoryEncoding '{self.name}': adapt() found no ids in the data.")
        self.num_tokens = self._largest_id + 1

    def call(self, inputs, count_weights=None):
        self._check_size()
        inputs = torch.as_tensor(inputs)
        if count_weights is not None:
            if self.output_mode != "count":
                raise ValueError("`count_weights` is not used when `output_mode` is not `'count'`. Received "
                                 f"`count_weights={count_weights}`.")
            count_weights = torch.as_tensor(count_weights, dtype=self._variable_dtype, device=inputs.device)
        return encode_categorical(inputs, self.output_mode, self.num_tokens, self._variable_dtype, count_weights)

    def compute_output_shape(self, input_shape):
        self._check_size()
        if input_shape is not None and len(input_shape) == 0:
            return (self.num_tokens,)
        if self.output_mode == "one_hot":
            if input_shape[-1] != 1 or len(input_shape) == 1:
                return tuple(input_shape) + (self.num_tokens,)
            return tuple(input_shape[:-1]) + (self.num_tokens,)
        return tuple(input_shape[:-1]) + (self.num_tokens,)

    def get_config(self):
        config = super().get_config()
        config.update(num_tokens=self.num_tokens, output_mode=self.output_mode)
        return config


# ----------------------------------------------------------------------------- Discretization

def _summarize(values, epsilon):
    values = np.sort(np.reshape(values, [-1]))
    elements = np.size(values)
    num_buckets = 1.0 / epsilon
    increment = elements / num_buckets
    step = max(increment, 1)
    start = step - 1
    boundaries = values[int(start)::int(step)]
    weights = np.ones_like(boundaries) * step
    return np.stack([boundaries, weights])


def _merge_summaries(prev_summary, next_summary, epsilon):
    merged = np.concatenate((prev_summary, next_summary), axis=1)
    merged = np.take(merged, np.argsort(merged[0]), axis=1)
    return _compress_summary(merged, epsilon)


def _compress_summary(summary, epsilon):
    if summary.shape[1] * epsilon < 1:
        return summary
    percents = epsilon + np.arange(0.0, 1.0, epsilon)
    cum_weights = summary[1].cumsum()
    cum_weight_percents = cum_weights / cum_weights[-1]
    new_bins = np.interp(percents, cum_weight_percents, summary[0])
    cum_weights = np.interp(percents, cum_weight_percents, cum_weights)
    new_weights = cum_weights - np.concatenate((np.array([0]), cum_weights[:-1]))
    return np.stack((new_bins, new_weights)).astype("float32")


class Discretization(Layer):
    """Bucket numbers by `bin_boundaries` (or by `num_bins` quantiles learned with `adapt`):
    index i for boundaries[i-1] <= x < boundaries[i], int32; or one-hot/multi-hot/count."""

    def __init__(self, bin_boundaries=None, num_bins=None, epsilon=0.01, output_mode="int", sparse=False, dtype=None,
                 name=None, **kwargs):
        kwargs.pop("trainable", None)
        super().__init__(name=name, dtype=dtype, **kwargs)
        if sparse:
            raise ValueError("`sparse=True` cannot be used with backend torch")
        if output_mode not in ("int", "one_hot", "multi_hot", "count"):
            raise ValueError("The `output_mode` argument of Discretization must be one of 'int', 'one_hot', "
                             f"'multi_hot', 'count'. Received: output_mode={output_mode}")
        if num_bins is not None and num_bins < 0:
            raise ValueError(f"`num_bins` must be greater than or equal to 0. Received: `num_bins={num_bins}`")
        if num_bins is not None and bin_boundaries is not None:
            raise ValueError(f"Both `num_bins` and `bin_boundaries` should not be set. Received: `num_bins={num_bins}` "
                             f"and `bin_boundaries={bin_boundaries}`")
        if num_bins is None and bin_boundaries is None:
            raise ValueError("You need to set either `num_bins` or `bin_boundaries`.")
        self.bin_boundaries = list(bin_boundaries) if isinstance(bin_boundaries, (tuple, np.ndarray)) else bin_boundaries
        self.num_bins = num_bins
        self.epsilon = epsilon
        self.output_mode = output_mode
        self.sparse = sparse
        self.summary = None if self.bin_boundaries else np.array([[], []], dtype="float32")

    @property
    def output_dtype(self):
        return self.dtype if self.output_mode != "int" else "int32"

    def adapt(self, data, steps=None):
        """Learn `num_bins` quantile boundaries from `data` (array, tensor or iterable of batches)."""
        if self.num_bins is None:
            raise ValueError("Cannot adapt a Discretization layer that has been initialized with `bin_boundaries`, use "
                             "`num_bins` instead.")
        from keraslite.training.data import from_pandas

        self.reset_state()
        data = from_pandas(data)
        if hasattr(data, "__iter__") and not isinstance(data, (np.ndarray, torch.Tensor)) and \
                not (isinstance(data, (list, tuple)) and data and not hasattr(data[0], "__iter__")):
            for i, batch in enumerate(data):
                if steps is not None and i >= steps:
                    break
                self.update_state(batch)
        else:
            self.update_state(data)
        self.finalize_state()

    def update_state(self, data):
        if isinstance(data, torch.Tensor):
            data = data.detach().cpu().numpy()
        data = np.array(data).astype("float32")
        self.summary = _merge_summaries(_summarize(data, self.epsilon), self.summary, self.epsilon)

    def finalize_state(self):
        if self.num_bins is None:
            return
        self.bin_boundaries = _compress_summary(self.summary, 1.0 / self.num_bins)[0, :-1].tolist()

    def reset_state(self):
        if self.num_bins is None:
            return
        self.summary = np.array([[], []], dtype="float32")

    def call(self, inputs):
        if self.bin_boundaries is None:
            raise ValueError("You need to either pass the `bin_boundaries` argument at construction time or call "
                             "`adapt(dataset)` before you can start using the `Discretization` layer.")
        x = torch.as_tensor(inputs)
        # Floats are cast to a floating layer dtype only: the int64 dtype that tf.keras 2 writes
        # into its files is the output's, and casting inputs to it would truncate them.
        if x.dtype.is_floating_point and self._variable_dtype.is_floating_point and x.dtype != self._variable_dtype:
            x = x.to(self._variable_dtype)
        bins = torch.as_tensor(self.bin_boundaries, dtype=x.dtype if x.dtype.is_floating_point else torch.float32,
                               device=x.device)
        if x.dtype == torch.bool:
            x = x.to(torch.uint8)
        indices = torch.bucketize(x.contiguous(), bins, right=True).to(torch.int32)
        depth = len(self.bin_boundaries) + 1
        return encode_categorical(indices, self.output_mode, depth, backend.torch_dtype(self.output_dtype))

    def compute_output_shape(self, input_shape):
        if self.output_mode == "int":
            return tuple(input_shape)
        depth = len(self.bin_boundaries) + 1 if self.bin_boundaries is not None else self.num_bins
        if self.output_mode == "one_hot":
            if input_shape and input_shape[-1] == 1 and len(input_shape) > 1:
                return tuple(input_shape[:-1]) + (depth,)
            return tuple(input_shape) + (depth,)
        if input_shape and len(input_shape) >= 2:
            return (input_shape[0],) + tuple(input_shape[2:]) + (depth,)
        return (depth,)

    def get_config(self):
        return {"bin_boundaries": self.bin_boundaries, "num_bins": self.num_bins, "epsilon": self.epsilon,
                "output_mode": self.output_mode, "sparse": self.sparse, "name": self.name, "dtype": self.dtype}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        if config.get("bin_boundaries") is not None and config.get("num_bins") is not None:
            bin_boundaries = config.pop("bin_boundaries")
            layer = cls(**config)
            layer.bin_boundaries = bin_boundaries
            return layer
        return cls(**config)


# ----------------------------------------------------------------------------- Hashing

class Hashing(Layer):
    """Hash strings or integers into `num_bins` bins (FarmHash Fingerprint64, as Keras via
    TensorFlow; keyed SipHash-2-4 when a `salt` is given). With `mask_value`, that value maps to
    bin 0 and the rest to 1..num_bins-1."""

    _symbolic_by_spec = True

    def __init__(self, num_bins, mask_value=None, salt=None, output_mode="int", sparse=False, **kwargs):
        if kwargs.get("dtype") is None:
            kwargs["dtype"] = "int64" if output_mode == "int" else backend.floatx()
        super().__init__(**kwargs)
        if num_bins is None or num_bins <= 0:
            raise ValueError(f"The `num_bins` for `Hashing` cannot be `None` or non-positive values. Received: "
                             f"num_bins={num_bins}.")
        if output_mode == "int" and self.dtype not in ("int32", "int64"):
            raise ValueError(f"When `output_mode=\"int\"`, `dtype` should be an integer type, 'int32' or 'in64'. "
                             f"Received: dtype={kwargs['dtype']}")
        if output_mode not in ("int", "one_hot", "multi_hot", "count"):
            raise ValueError("Invalid value for argument `output_mode`. Expected one of ('int', 'one_hot', "
                             f"'multi_hot', 'count'). Received: output_mode={output_mode}")
        if sparse:
            raise ValueError("`sparse=True` is not supported by keraslite (Keras supports it on TensorFlow only).")
        # A salt switches to keyed SipHash-2-4 (TensorFlow's to_hash_bucket_strong), keyed by
        # [salt, salt] for one integer or by the two integers given.
        if salt is not None and not (isinstance(salt, int) or (isinstance(salt, (tuple, list)) and len(salt) == 2
                                                               and all(isinstance(s, int) for s in salt))):
            raise ValueError("The `salt` argument for `Hashing` can only be a tuple of size 2 integers, or a single "
                             f"integer. Received: salt={salt}.")
        add_device_anchor(self)
        self.num_bins = num_bins
        self.mask_value = mask_value
        self.strong_hash = salt is not None
        self.output_mode = output_mode
        self.sparse = sparse
        self.salt = None if salt is None else ([salt, salt] if isinstance(salt, int) else list(salt))

    def _array_to_tensor(self, array):
        return array

    def _values(self, inputs):
        """Inputs -> (flat list of bytes to hash, flat mask list or None, shape)."""
        if isinstance(inputs, torch.Tensor):
            arr = inputs.detach().cpu().numpy()
        elif isinstance(inputs, (str, bytes)):
            arr = np.array(inputs, dtype=object)
        else:
            arr = np.asarray(inputs) if not isinstance(inputs, np.ndarray) else inputs
            if arr.dtype.kind == "U" or (arr.dtype.kind == "O" and arr.size and isinstance(arr.flat[0], (str, bytes))):
                arr = to_bytes_array(arr)
        if arr.dtype.kind == "S":
            arr = to_bytes_array(arr)
        if self.output_mode == "one_hot" and arr.ndim and arr.shape[-1] == 1:
            arr = arr.reshape(arr.shape[:-1])
        flat = arr.ravel().tolist()
        mask = None
        if self.mask_value is not None and self.num_bins > 1:
            mv = self.mask_value.encode() if isinstance(self.mask_value, str) else self.mask_value
            mask = [v == mv for v in flat]
        if arr.dtype.kind == "f":
            flat = [int(v) for v in flat]
        keys = [v if isinstance(v, bytes) else str(int(v)).encode() for v in flat]
        return keys, mask, arr.shape

    def call(self, inputs):
        keys, mask, shape = self._values(inputs)
        bins = self.num_bins - 1 if mask is not None else self.num_bins
        cache = {}
        out = np.empty(len(keys), dtype=np.int64)
        for i, k in enumerate(keys):
            h = cache.get(k)
            if h is None:
                h = cache[k] = (siphash24(self.salt, k) if self.salt is not None else fingerprint64(k)) % bins
            out[i] = h
        if mask is not None:
            out = np.where(np.array(mask, dtype=bool), 0, out + 1)
        out = out.reshape(shape)
        if self.output_mode == "int":
            return on_anchor_device(self, torch.from_numpy(out).to(self._variable_dtype))
        return on_anchor_device(self, encode_lookups(out, self.output_mode, self.num_bins).to(self._variable_dtype))

    def compute_output_shape(self, input_shape):
        if self.output_mode == "int":
            return tuple(input_shape)
        if len(input_shape) == 0:
            return (self.num_bins,)
        return tuple(input_shape[:-1]) + (self.num_bins,)

    def compute_output_spec(self, inputs):
        from keraslite.layers.keras_tensor import KerasTensor

        return KerasTensor(self.compute_output_shape(inputs.shape), dtype=self.dtype)

    def get_config(self):
        config = super().get_config()
        config.update(num_bins=self.num_bins, salt=self.salt, mask_value=self.mask_value, output_mode=self.output_mode,
                      sparse=self.sparse)
        return config


_CROSS_HASH_KEY = 0xDECAFCAFFE  # TensorFlow's default key for `tf.sparse.cross_hashed`
_MASK64 = (1 << 64) - 1
_CAT_MUL = 0xC6A4A7935BD1E995


def _fingerprint_cat64(first, second):
    """Combine two 64-bit fingerprints (TensorFlow's FingerprintCat64)."""
    from keraslite.layers.preprocessing.farmhash import _shift_mix

    out = first ^ _CAT_MUL
    out ^= (_shift_mix((second * _CAT_MUL) & _MASK64) * _CAT_MUL) & _MASK64
    out = (out * _CAT_MUL) & _MASK64
    out = (_shift_mix(out) * _CAT_MUL) & _MASK64
    return _shift_mix(out)


def _feature_hash(value):
    from keraslite.layers.preprocessing.farmhash import fingerprint64

    if isinstance(value, (bytes, str)):
        return fingerprint64(value)
    return int(value) & _MASK64  # integers enter the cross as their own 64-bit pattern


class HashedCrossing(Layer):
    """Cross two or more categorical features and hash each combination into `num_bins` bins,
    with TensorFlow's `sparse.cross_hashed` hash (what Keras uses), so bins equal Keras's.

    Call on a list/tuple of equally shaped integer or string features of shape `()`,
    `(batch,)` or `(batch, 1)`; output has that shape (`output_mode="int"`, int64 by default)
    or one-hot rows of length `num_bins` (`output_mode="one_hot"`).
    """

    def __init__(self, num_bins, output_mode="int", sparse=False, name=None, dtype=None, **kwargs):
        if output_mode == "int" and dtype is None:
            dtype = "int64"
        super().__init__(name=name, dtype=dtype, **kwargs)
        if sparse:
            raise ValueError("`sparse=True` can only be used with the TensorFlow backend.")
        if output_mode not in ("int", "one_hot"):
            raise ValueError(f"The `output_mode` argument value of HashedCrossing must be one of ('int', 'one_hot'). "
                             f"Received: output_mode={output_mode!r}")
        self.num_bins = num_bins
        self.output_mode = output_mode
        self.sparse = sparse

    @staticmethod
    def _as_array(x):
        if isinstance(x, torch.Tensor):
            return x.detach().cpu().numpy()
        return np.asarray(x)

    def call(self, inputs):
        if not isinstance(inputs, (list, tuple)):
            raise ValueError(f"`HashedCrossing` should be called on a list or tuple of inputs. Received: "
                             f"inputs={inputs!r}")
        if len(inputs) < 2:
            raise ValueError(f"`HashedCrossing` should be called on at least two inputs. Received: inputs={inputs!r}")
        arrays = [self._as_array(x) for x in inputs]
        shape = arrays[0].shape
        if len(shape) > 2 or (len(shape) == 2 and shape[-1] != 1):
            raise ValueError("All `HashedCrossing` inputs should have shape `()`, `(batch_size)` or `(batch_size, 1)`. "
                             f"Received shapes: {[a.shape for a in arrays]}")
        if any(a.shape != shape for a in arrays[1:]):
            raise ValueError(f"All `HashedCrossing` inputs should have equal shape. Received shapes: "
                             f"{[a.shape for a in arrays]}")
        if not all(a.dtype.kind in "iuSUO" for a in arrays):
            raise ValueError("All `HashedCrossing` inputs should have an integer or string dtype. Received dtypes: "
                             f"{[str(a.dtype) for a in arrays]}")
        flat = [a.reshape(-1) for a in arrays]
        bins = []
        for row in zip(*flat):
            h = _CROSS_HASH_KEY
            for value in row:
                h = _fingerprint_cat64(h, _feature_hash(value.item() if hasattr(value, "item") else value))
            bins.append(h % self.num_bins)
        out = torch.tensor(bins, dtype=torch.int64).reshape(shape)
        device = next((x.device for x in inputs if isinstance(x, torch.Tensor)), None)
        if device is not None:
            out = out.to(device)
        dtype = backend.torch_dtype(self.dtype)
        return encode_categorical(out, self.output_mode, self.num_bins, dtype)

    def compute_output_shape(self, input_shape):
        shape = tuple(input_shape[0])
        if self.output_mode == "one_hot":
            if len(shape) == 2:
                shape = shape[:-1]
            return shape + (self.num_bins,)
        return shape

    def get_config(self):
        return {"num_bins": self.num_bins, "output_mode": self.output_mode, "sparse": self.sparse, "name": self.name,
                "dtype": self.dtype}
