"""Attention layers: MultiHeadAttention, GroupQueryAttention, Attention (Luong) and
AdditiveAttention (Bahdanau).

Owns: the attention math with Keras 3's numbers, the masks (explicit `attention_mask`,
`use_causal_mask`, and the Keras masks of the inputs, e.g. from `Embedding(mask_zero=True)`),
MultiHeadAttention's sublayers and their weight names/paths, and these layers' configs.

GroupQueryAttention shares MultiHeadAttention's call preparation (`_prepare_attention_call`),
mask merging (`_merge_attention_masks`) and both computations below; its own sublayers are
described in its docstring.

MultiHeadAttention is built, as in Keras 3, from EinsumDense sublayers named `query`, `key`,
`value` and `attention_output` (plus `gate` with use_gate=True), held in the attributes
`query_dense`, `key_dense`, `value_dense`, `output_dense` (and `_gate_dense`), with a
Softmax `_softmax` and a Dropout `_dropout_layer`. So `weights` are
`<name>/query/kernel`, `<name>/query/bias`, ... in Keras's order, and `.keras`/`.h5` files
address them by the same paths.

Two computations, chosen as Keras 3 (torch backend) chooses them, because they differ for a
query row whose every key is masked (a padded query position):
- no dropout, no `return_attention_scores`, (batch, seq, dim) inputs: torch's
  `scaled_dot_product_attention` with masked positions at -0.7 * float32 max (the row's
  weights become uniform), or its `is_causal` kernel when causality is the only mask;
- otherwise the query is multiplied by 1/sqrt(key_dim), the scores by einsum, masked
  positions set to -1e9 before the softmax and to 0 after it (the row's weights are zeros).
On CUDA, torch's fused kernels return zeros for a fully masked row instead of the CPU's
uniform weights; Keras calls the same kernel the same way, so it does too. Such rows are
padding, which masked layers downstream (pooling, losses) leave out.

Leaves to others: the projections' weights and einsum (keraslite.layers.einsum_dense), weight
bookkeeping, files and functional graphs (the Layer base, keraslite.saving, keraslite.models).
"""
import math
import string

import numpy as np
import torch
import torch.nn.functional as F

from keraslite import backend, constraints, initializers, regularizers
from keraslite.layers.core import Dropout
from keraslite.layers.activation import Softmax
from keraslite.layers.einsum_dense import EinsumDense
from keraslite.layers.keras_tensor import KerasTensor
from keraslite.layers.layer import Layer
from keraslite.utils import rng

__all__ = ["MultiHeadAttention", "GroupQueryAttention", "GroupedQueryAttention", "Attention", "AdditiveAttention"]


def _shape(x):
    return None if x is None else tuple(x.shape)


def _keras_mask(x):
    return getattr(x, "_keras_mask", None) if x is not None else None


def _large_negative(dtype):
    """Keras's Softmax fill for masked positions."""
    return -3e4 if dtype == torch.float16 else -1e9


def _sdpa_large_negative(dtype):
    """What Keras's torch `dot_product_attention` adds at masked positions."""
    return (65500.0 if dtype == torch.float16 else 3.38953e38) * -0.7


def _causal_mask(q_len, v_len, device):
    """(1, T, S) boolean, True where query position >= key position."""
    return torch.ones((q_len, v_len), dtype=torch.bool, device=device).tril().unsqueeze(0)


def _prepare_attention_call(layer, args, kwargs):
    """Shared by the attention layers taking (query, value, key=None): keyword tensors become
    positional, numpy arrays tensors, and the layer is built from the three shapes (Keras's
    `build(query_shape, value_shape, key_shape)`) before the first call. Returns the args."""
    name = type(layer).__name__
    args = list(args)
    for i, arg_name in enumerate(("query", "value", "key")):
        if len(args) == i and arg_name in kwargs:
            args.append(kwargs.pop(arg_name))
    if not args:
        raise ValueError(f"{name} '{layer.name}' needs a `query` and a `value` tensor.")
    for i, x in enumerate(args[:3]):
        if isinstance(x, np.ndarray):
            args[i] = layer._array_to_tensor(x)
    if not layer.built:
        if len(args) < 2 or args[1] is None:
            raise ValueError(f"{name} '{layer.name}' must be called with both `query` and `value` "
                             f"(`layer(query, value)`; pass the same tensor twice for self-attention).")
        key = args[2] if len(args) > 2 else kwargs.get("key")
        layer.build(_shape(args[0]), _shape(args[1]), _shape(key))
        if isinstance(args[0], torch.Tensor) and not isinstance(args[0], KerasTensor):
            device = args[0].device
            if any(p.device != device for p in layer.parameters()):
                layer.to(device)
    return args


def _merge_attention_masks(query, value, query_mask=None, value_mask=None, key_mask=None, attention_mask=None,
                           use_causal_mask=False, sliding_window=None):
    """Explicit mask AND (query mask [B,T,1]) AND (value/key masks [B,1,S]) AND causal [1,T,S]
    AND the sliding-window band [1,T,S]; None when there is no mask at all."""
    auto_mask = None
    if query_mask is not None:
        auto_mask = query_mask.bool().unsqueeze(-1)
    for m in (value_mask, key_mask):
        if m is not None:
            m = m.bool().unsqueeze(-2)
            auto_mask = m if auto_mask is None else auto_mask & m
    if use_causal_mask:
        m = _causal_mask(query.shape[1], value.shape[1], query.device)
        auto_mask = m if auto_mask is None else auto_mask & m
    if sliding_window is not None:
        rows = torch.arange(query.shape[1], device=query.device).reshape(1, -1, 1)
        cols = torch.arange(value.shape[1], device=query.device).reshape(1, 1, -1)
        m = (rows - cols).abs() < sliding_window
        auto_mask = m if auto_mask is None else auto_mask & m
    if attention_mask is not None:
        attention_mask = torch.as_tensor(attention_mask, device=query.device)
        attention_mask = attention_mask.bool() if attention_mask.dtype != torch.bool else attention_mask
    if auto_mask is not None:
        attention_mask = auto_mask if attention_mask is None else attention_mask & auto_mask
    return attention_mask


def _sdpa(query, key, value, attention_mask, is_causal, scale):
    """Keras's torch `dot_product_attention` on (batch, seq, heads, dim) tensors: a boolean mask
    becomes an additive one (0 / -0.7 * dtype max), broadcast over heads."""
    mask = None
    if attention_mask is not None:
        mask = attention_mask
        while mask.dim() < 4:
            mask = mask.unsqueeze(-3)
        mask = torch.where(mask, torch.zeros((), dtype=query.dtype, device=query.device),
                           torch.full((), _sdpa_large_negative(query.dtype), dtype=query.dtype,
                                      device=query.device)).contiguous()
    output = F.scaled_dot_product_attention(
        query.transpose(1, 2).contiguous(), key.transpose(1, 2).contiguous(), value.transpose(1, 2).contiguous(),
        attn_mask=mask, is_causal=is_causal and mask is None, scale=scale)
    return output.transpose(2, 1)


def _attention_input_shapes(query_shape, value_shape=None, key_shape=None):
    """(query, value, key shapes as tuples, whether a key was given) from what an attention
    layer's build or compute_output_shape receives: separate shapes, or one list
    [query, value(, key)]; the value defaults to the query and the key to the value."""
    if value_shape is None:
        if isinstance(query_shape, list) and query_shape and isinstance(query_shape[0], (list, tuple)):
            shapes = [tuple(s) for s in query_shape]
            query_shape, value_shape = shapes[0], shapes[1] if len(shapes) > 1 else shapes[0]
            key_shape = shapes[2] if len(shapes) > 2 else None
        else:
            value_shape = query_shape
    query_shape, value_shape = tuple(query_shape), tuple(value_shape)
    key_given = key_shape is not None
    return query_shape, value_shape, (value_shape if key_shape is None else tuple(key_shape)), key_given


class MultiHeadAttention(Layer):
    """Multi-head attention of "Attention is all you need", with Keras 3's signature:
    `MultiHeadAttention(num_heads, key_dim)(query, value, key=None, attention_mask=None,
    return_attention_scores=False, training=None, use_causal_mask=False)`.
    """

    def __init__(self, num_heads, key_dim, value_dim=None, dropout=0.0, use_bias=True, output_shape=None,
                 attention_axes=None, sliding_window=None, flash_attention=None, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, bias_constraint=None, use_gate=False, seed=None,
                 **kwargs):
        if isinstance(num_heads, bool) or not isinstance(num_heads, (int, np.integer)) or num_heads <= 0:
            raise ValueError("Received an invalid value for argument `num_heads`, expected a positive integer. "
                             f"Received: num_heads={num_heads}")
        if isinstance(key_dim, bool) or not isinstance(key_dim, (int, np.integer)) or key_dim <= 0:
            raise ValueError("Received an invalid value for argument `key_dim`, expected a positive integer. "
                             f"Received: key_dim={key_dim}")
        if value_dim is not None and (isinstance(value_dim, bool) or not isinstance(value_dim, (int, np.integer))
                                      or value_dim <= 0):
            raise ValueError("Received an invalid value for argument `value_dim`, expected a positive integer or "
                             f"`None`. Received: value_dim={value_dim}")
        super().__init__(**kwargs)
        self.supports_masking = True
        self._num_heads = int(num_heads)
        self._key_dim = int(key_dim)
        self._value_dim = int(value_dim) if value_dim else self._key_dim
        self._dropout = float(dropout)
        self._use_bias = use_bias
        self._use_gate = bool(use_gate)
        if output_shape:
            if isinstance(output_shape, (int, np.integer)):
                output_shape = (int(output_shape),)
            try:
                output_shape = tuple(output_shape)
            except TypeError:
                raise ValueError(f"Invalid `output_shape`: {output_shape}. When specified, the `output_shape` "
                                 "should be of type tuple, list, or int.") from None
        self._output_shape = output_shape or None
        self._flash_attention = flash_attention
        self._kernel_initializer = initializers.get(kernel_initializer)
        self._bias_initializer = initializers.get(bias_initializer)
        self._kernel_regularizer = regularizers.get(kernel_regularizer)
        self._bias_regularizer = regularizers.get(bias_regularizer)
        self._activity_regularizer = regularizers.get(activity_regularizer)
        self._kernel_constraint = constraints.get(kernel_constraint)
        self._bias_constraint = constraints.get(bias_constraint)
        if isinstance(attention_axes, (int, np.integer)):
            attention_axes = (int(attention_axes),)
        elif attention_axes and not isinstance(attention_axes, (list, tuple)):
            raise ValueError(f"`attention_axes` must be an int, list, or tuple.Received: attention_axes="
                             f"{attention_axes}")
        self._attention_axes = tuple(attention_axes) if attention_axes else None
        if sliding_window is not None and (isinstance(sliding_window, bool) or not isinstance(
                sliding_window, (int, np.integer)) or sliding_window <= 0):
            raise ValueError(f"`sliding_window` must be `None` or a positive integer. Received: sliding_window="
                             f"{sliding_window}")
        self._sliding_window = None if sliding_window is None else int(sliding_window)
        self.seed = seed
        self._inverse_sqrt_key_dim = 1.0 / math.sqrt(float(self._key_dim))
        if self._flash_attention and self._dropout > 0.0:
            raise ValueError("Dropout is not supported when flash attention is enabled. Please set dropout to 0.0 "
                             "to use flash attention.")
        self._build_shapes = None

    # ------------------------------------------------------------------ Keras's read-only views

    @property
    def num_heads(self):
        return self._num_heads

    @property
    def key_dim(self):
        return self._key_dim

    @property
    def value_dim(self):
        return self._value_dim

    @property
    def dropout(self):
        return self._dropout

    @property
    def use_bias(self):
        return self._use_bias

    @property
    def attention_axes(self):
        return self._attention_axes

    # ------------------------------------------------------------------ build

    def _sublayer_kwargs(self):
        # Fresh initializer copies per sublayer, as Keras makes (an instance is never shared).
        return dict(kernel_regularizer=self._kernel_regularizer, bias_regularizer=self._bias_regularizer,
                    activity_regularizer=self._activity_regularizer, kernel_constraint=self._kernel_constraint,
                    bias_constraint=self._bias_constraint, dtype=self.dtype,
                    kernel_initializer=_clone(self._kernel_initializer),
                    bias_initializer=_clone(self._bias_initializer))

    def _projection(self, rank, name, last_dims, activation=None):
        equation, bias_axes, output_rank = _build_proj_equation(rank - 1, bound_dims=1, output_dims=2)
        return EinsumDense(equation, output_shape=_get_output_shape(output_rank - 1, last_dims),
                           bias_axes=bias_axes if self._use_bias else None, activation=activation, name=name,
                           **self._sublayer_kwargs())

    def build(self, query_shape, value_shape=None, key_shape=None):
        query_shape, value_shape, key_shape, key_given = _attention_input_shapes(query_shape, value_shape, key_shape)
        if value_shape[1:-1] != key_shape[1:-1]:
            raise ValueError("All dimensions of `value` and `key`, except the last one, must be equal. Received: "
                             f"value_shape={value_shape} and key_shape={key_shape}")
        self._build_input_shape = query_shape
        self._build_shapes = {"query_shape": query_shape, "value_shape": value_shape}
        if key_given:
            self._build_shapes["key_shape"] = key_shape

        query_rank = len(query_shape)
        self.query_dense = self._projection(query_rank, "query", [self._num_heads, self._key_dim])
        self.query_dense.build(query_shape)
        self.key_dense = self._projection(len(key_shape), "key", [self._num_heads, self._key_dim])
        self.key_dense.build(key_shape)
        if self._use_gate:
            self._gate_dense = self._projection(query_rank, "gate", [self._num_heads, self._value_dim],
                                                activation="sigmoid")
            self._gate_dense.build(query_shape)
        self.value_dense = self._projection(len(value_shape), "value", [self._num_heads, self._value_dim])
        self.value_dense.build(value_shape)

        output_rank = query_rank + 1  # the projected query's rank
        self._build_attention(output_rank)
        output_shape = self._output_shape if self._output_shape else [query_shape[-1]]
        equation, bias_axes, out_rank = _build_proj_equation(query_rank - 1, bound_dims=2,
                                                             output_dims=len(output_shape))
        self.output_dense = EinsumDense(equation, output_shape=_get_output_shape(out_rank - 1, output_shape),
                                        bias_axes=bias_axes if self._use_bias else None, name="attention_output",
                                        **self._sublayer_kwargs())
        dense_input = list(self.query_dense.compute_output_shape(query_shape))
        dense_input[-1] = self._value_dim
        self.output_dense.build(tuple(dense_input))

        # Keras variable paths: `<this layer>/<sublayer>/<variable>`.
        for sub in self._projections():
            for v in sub._variables:
                v._keras_path = f"{self.name}/{sub.name}/{v.name}"

    def _projections(self):
        subs = [self.query_dense, self.key_dense]
        if self._use_gate:
            subs.append(self._gate_dense)
        return subs + [self.value_dense, self.output_dense]

    def _build_attention(self, rank):
        if self._attention_axes is None:
            self._attention_axes = tuple(range(1, rank - 2))
        else:
            self._attention_axes = tuple(axis if axis >= 0 else (rank - 1) + axis for axis in self._attention_axes)
        self._dot_product_equation, self._combine_equation, scores_rank = _build_attention_equation(
            rank, attn_axes=self._attention_axes)
        self._norm_axes = tuple(range(scores_rank - len(self._attention_axes), scores_rank))
        self._softmax = Softmax(axis=self._norm_axes, dtype=self.dtype)
        self._dropout_layer = Dropout(rate=self._dropout, dtype=self.dtype, seed=self.seed)
        for sub in (self._softmax, self._dropout_layer):  # weightless: built, as Keras builds them at init
            sub.build(None)

    def get_build_config(self):
        if self._build_shapes is None:
            return None
        return {"shapes_dict": {k: list(v) for k, v in self._build_shapes.items()}}

    def build_from_config(self, config):
        if not config or self.built:
            return
        shapes = config.get("shapes_dict")
        if shapes:
            self.build(**{k: tuple(v) for k, v in shapes.items()})
        elif config.get("input_shape") is not None:
            self.build(tuple(config["input_shape"]))

    # ------------------------------------------------------------------ call

    def __call__(self, *args, **kwargs):
        return super().__call__(*_prepare_attention_call(self, args, kwargs), **kwargs)

    def call(self, query, value, key=None, query_mask=None, value_mask=None, key_mask=None, attention_mask=None,
             return_attention_scores=False, training=None, use_causal_mask=False):
        # The Keras masks of the inputs, read as Keras 3 reads them: an explicit query_mask is
        # ignored (the query's own mask counts), key's only when key was given. Keras then
        # clears the inputs' masks; that is not done here: in a Keras functional graph the
        # layers after this one get their masks from the graph, computed without that clearing,
        # and keraslite's graphs carry masks on the tensors, so clearing would drop masks that
        # Keras keeps (e.g. for GlobalAveragePooling1D after Add([x, attention(x, x)])).
        if key_mask is None and key is not None:
            key_mask = _keras_mask(key)
        if key is None:
            key = value
        if value_mask is None:
            value_mask = _keras_mask(value)
        query_mask = _keras_mask(query)

        causal_only = (use_causal_mask and query_mask is None and value_mask is None and key_mask is None
                       and attention_mask is None and self._sliding_window is None)
        if causal_only:
            attention_mask = None
        else:
            attention_mask = self._compute_attention_mask(query, value, query_mask, value_mask, key_mask,
                                                          attention_mask, use_causal_mask)
        gate = self._gate_dense(query) if self._use_gate else None
        query = self.query_dense(query)    # (B, T, N, key_dim)
        key = self.key_dense(key)          # (B, S, N, key_dim)
        value = self.value_dense(value)    # (B, S, N, value_dim)
        output, scores = self._compute_attention(query, key, value, attention_mask, training,
                                                 return_attention_scores, causal_only)
        output = self.output_dense(output * gate if gate is not None else output)
        if query_mask is not None:
            output._keras_mask = query_mask
        if return_attention_scores:
            return output, scores
        return output

    def _compute_attention_mask(self, query, value, query_mask=None, value_mask=None, key_mask=None,
                                attention_mask=None, use_causal_mask=False):
        return _merge_attention_masks(query, value, query_mask, value_mask, key_mask, attention_mask,
                                      use_causal_mask, self._sliding_window)

    def _expand_mask(self, mask, rank):
        axis = -len(self._attention_axes) * 2 - 1
        while mask.dim() < rank:
            mask = mask.unsqueeze(axis)
        return mask

    def _compute_attention(self, query, key, value, attention_mask=None, training=None,
                           return_attention_scores=False, use_causal_mask=False):
        if self._flash_attention and return_attention_scores:
            raise ValueError("Returning attention scores is not supported when flash attention is enabled. Please "
                             "disable flash attention to access attention scores.")
        if not (self._dropout > 0.0 or return_attention_scores or query.dim() != 4):
            # torch's fused kernel, called exactly as Keras's torch backend calls it.
            mask = None
            is_causal = use_causal_mask and attention_mask is None
            if attention_mask is not None:
                mask = self._expand_mask(attention_mask, 4)
                mask = torch.where(mask, torch.zeros((), dtype=query.dtype, device=query.device),
                                   torch.full((), _sdpa_large_negative(query.dtype), dtype=query.dtype,
                                              device=query.device)).contiguous()
            output = F.scaled_dot_product_attention(
                query.transpose(1, 2).contiguous(), key.transpose(1, 2).contiguous(),
                value.transpose(1, 2).contiguous(), attn_mask=mask, is_causal=is_causal,
                scale=self._inverse_sqrt_key_dim)
            return output.transpose(2, 1), None

        if use_causal_mask:
            causal = _causal_mask(query.shape[1], value.shape[1], query.device)
            attention_mask = causal if attention_mask is None else attention_mask.bool() & causal
        query = query * torch.tensor(self._inverse_sqrt_key_dim, dtype=query.dtype, device=query.device)
        scores = torch.einsum(self._dot_product_equation, key, query)
        scores = self._masked_softmax(scores, attention_mask)
        if self._dropout > 0.0:
            final = self._dropout_layer(scores, training=training)
        else:
            final = scores
        output = torch.einsum(self._combine_equation, final, value)
        return output, scores

    def _masked_softmax(self, scores, attention_mask=None):
        """Keras's Softmax(axis=norm_axes) with mask: masked scores -> -1e9, masked weights -> 0."""
        mask = None
        if attention_mask is not None:
            mask = self._expand_mask(attention_mask, scores.dim())
            scores = torch.where(mask, scores, torch.full((), _large_negative(scores.dtype), dtype=scores.dtype,
                                                          device=scores.device))
        axes = self._norm_axes
        if len(axes) > 1:
            weights = torch.exp(scores - torch.logsumexp(scores, dim=axes, keepdim=True))
        else:
            weights = torch.softmax(scores, dim=axes[0])
        if mask is not None:
            weights = torch.where(mask, weights, torch.zeros((), dtype=weights.dtype, device=weights.device))
        return weights

    # ------------------------------------------------------------------ shapes and config

    def compute_output_shape(self, query_shape, value_shape=None, key_shape=None):
        query_shape, value_shape, key_shape, _ = _attention_input_shapes(query_shape, value_shape, key_shape)
        if value_shape[1:-1] != key_shape[1:-1]:
            raise ValueError("All dimensions of `value` and `key`, except the last one, must be equal. Received: "
                             f"value_shape={value_shape} and key_shape={key_shape}")
        if self._output_shape:
            return query_shape[:-1] + tuple(self._output_shape)
        return query_shape

    def get_config(self):
        config = super().get_config()
        config.update({
            "num_heads": self._num_heads,
            "key_dim": self._key_dim,
            "value_dim": self._value_dim,
            "dropout": self._dropout,
            "use_bias": self._use_bias,
            "use_gate": self._use_gate,
            "output_shape": self._output_shape,
            "attention_axes": self._attention_axes,
            "sliding_window": self._sliding_window,
            "kernel_initializer": initializers.serialize(self._kernel_initializer),
            "bias_initializer": initializers.serialize(self._bias_initializer),
            "kernel_regularizer": regularizers.serialize(self._kernel_regularizer),
            "bias_regularizer": regularizers.serialize(self._bias_regularizer),
            "activity_regularizer": regularizers.serialize(self._activity_regularizer),
            "kernel_constraint": constraints.serialize(self._kernel_constraint),
            "bias_constraint": constraints.serialize(self._bias_constraint),
            "seed": self.seed,
        })
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        # tf.keras 2.x wrote the build shapes into the config.
        shapes = {k: config.pop(k) for k in ("query_shape", "value_shape", "key_shape") if k in config}
        for key in ("output_shape", "attention_axes"):
            if isinstance(config.get(key), list):
                config[key] = tuple(config[key])
        layer = cls(**config)
        if shapes.get("query_shape") is not None and shapes.get("value_shape") is not None:
            layer.build(**{k: tuple(v) for k, v in shapes.items() if v is not None})
        return layer


class GroupQueryAttention(Layer):
    """Grouped-query attention (Ainslie et al., 2023) with Keras 3's signature:
    `GroupQueryAttention(head_dim, num_query_heads, num_key_value_heads)(query, value, key=None,
    attention_mask=None, return_attention_scores=False, training=None, use_causal_mask=False)`.

    `num_key_value_heads` key/value heads are each shared by `num_query_heads //
    num_key_value_heads` query heads (1 is multi-query attention; equal counts are multi-head
    attention). Sublayers and weights are Keras's: EinsumDense `query` (features, Hq, head_dim),
    `key` and `value` (features, Hkv, head_dim), `gate` with use_gate, and `attention_output`
    (Hq, head_dim, features), held as `_query_dense`, `_key_dense`, `_gate_dense`, `_value_dense`,
    `_output_dense` (Keras's attribute names, which `.keras` files use as paths). The output has
    the query's shape; the scores are (batch, Hq, T, S). Like MultiHeadAttention, the fused
    kernel runs unless dropout is on or the scores are asked for (see the module docstring).
    """

    _keras_snake_name = "grouped_query_attention"  # Keras's class is GroupedQueryAttention

    def __init__(self, head_dim, num_query_heads, num_key_value_heads, dropout=0.0, use_bias=True,
                 sliding_window=None, flash_attention=None, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, use_gate=False, seed=None, **kwargs):
        for arg, value in (("head_dim", head_dim), ("num_query_heads", num_query_heads),
                           ("num_key_value_heads", num_key_value_heads)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0:
                raise ValueError(f"GroupQueryAttention: `{arg}` must be a positive integer. Received: "
                                 f"{arg}={value!r}")
        if num_query_heads % num_key_value_heads != 0:
            raise ValueError("GroupQueryAttention: `num_query_heads` must be divisible by `num_key_value_heads`, "
                             "so that each key/value head serves the same number of query heads. Received: "
                             f"num_query_heads={num_query_heads}, num_key_value_heads={num_key_value_heads}.")
        if sliding_window is not None and (isinstance(sliding_window, bool) or not isinstance(
                sliding_window, (int, np.integer)) or sliding_window <= 0):
            raise ValueError(f"`sliding_window` must be `None` or a positive integer. Received: sliding_window="
                             f"{sliding_window}")
        if kwargs.get("name") is None and type(self).__dict__.get("_keras_snake_name"):
            kwargs["name"] = backend.get_uid(type(self)._keras_snake_name)
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)  # Keras applies it to the output
        self.supports_masking = True
        self.head_dim = int(head_dim)
        self.num_query_heads = int(num_query_heads)
        self.num_key_value_heads = int(num_key_value_heads)
        self.num_repeats = self.num_query_heads // self.num_key_value_heads
        self.dropout = float(dropout)
        self.use_bias = use_bias
        self.use_gate = bool(use_gate)
        self.sliding_window = None if sliding_window is None else int(sliding_window)
        self._flash_attention = flash_attention
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.seed = seed
        self._inverse_sqrt_head_dim = 1.0 / math.sqrt(float(self.head_dim))
        if self._flash_attention and self.dropout > 0.0:
            raise ValueError("Dropout is not supported when flash attention is enabled. Please set dropout to 0.0 "
                             "to use flash attention.")
        self._build_shapes = None

    def _sublayer_kwargs(self):
        # Fresh initializer copies per sublayer, made in Keras's order (each unseeded copy draws a seed).
        return dict(kernel_regularizer=self.kernel_regularizer, bias_regularizer=self.bias_regularizer,
                    activity_regularizer=self.activity_regularizer,
                    kernel_constraint=self.kernel_constraint, bias_constraint=self.bias_constraint,
                    dtype=self.dtype, kernel_initializer=_clone(self.kernel_initializer),
                    bias_initializer=_clone(self.bias_initializer))

    def build(self, query_shape, value_shape=None, key_shape=None):
        query_shape, value_shape, key_shape, key_given = _attention_input_shapes(query_shape, value_shape, key_shape)
        for arg, shape in (("query", query_shape), ("value", value_shape), ("key", key_shape)):
            if len(shape) != 3:
                raise ValueError(f"GroupQueryAttention '{self.name}' takes 3-D (batch, seq_len, features) inputs; "
                                 f"received {arg} of shape {shape}. Reshape it to (batch, seq_len, features).")
        if value_shape[1] is not None and key_shape[1] is not None and value_shape[1] != key_shape[1]:
            raise ValueError(f"GroupQueryAttention '{self.name}': `value` and `key` must have the same sequence "
                             f"length; received value_shape={value_shape} and key_shape={key_shape}.")
        self._build_input_shape = query_shape
        self._build_shapes = {"query_shape": query_shape, "value_shape": value_shape}
        if key_given:
            self._build_shapes["key_shape"] = key_shape
        self.feature_dim = query_shape[-1]
        heads_q, heads_kv, dim = self.num_query_heads, self.num_key_value_heads, self.head_dim
        # b batch, q query length, k key length, m features, u query heads, v key/value heads, h head_dim.
        self._query_dense = EinsumDense("bqm,muh->bquh", output_shape=(None, heads_q, dim),
                                        bias_axes="uh" if self.use_bias else None, name="query",
                                        **self._sublayer_kwargs())
        self._query_dense.build(query_shape)
        self._key_dense = EinsumDense("bkm,mvh->bkvh", output_shape=(None, heads_kv, dim),
                                      bias_axes="vh" if self.use_bias else None, name="key",
                                      **self._sublayer_kwargs())
        self._key_dense.build(key_shape)
        if self.use_gate:
            self._gate_dense = EinsumDense("bqm,muh->bquh", output_shape=(None, heads_q, dim),
                                           bias_axes="uh" if self.use_bias else None, activation="sigmoid",
                                           name="gate", **self._sublayer_kwargs())
            self._gate_dense.build(query_shape)
        self._value_dense = EinsumDense("bkm,mvh->bkvh", output_shape=(None, heads_kv, dim),
                                        bias_axes="vh" if self.use_bias else None, name="value",
                                        **self._sublayer_kwargs())
        self._value_dense.build(value_shape)
        self._softmax = Softmax(axis=-1, dtype=self.dtype)
        self._dropout_layer = Dropout(rate=self.dropout, dtype=self.dtype, seed=self.seed)
        for sub in (self._softmax, self._dropout_layer):  # weightless: built, as Keras builds them
            sub.build(None)
        self._output_dense = EinsumDense("bquh,uhm->bqm", output_shape=(None, self.feature_dim),
                                         bias_axes="m" if self.use_bias else None, name="attention_output",
                                         **self._sublayer_kwargs())
        self._output_dense.build((None, None, heads_q, dim))
        # Keras variable paths: `<this layer>/<sublayer>/<variable>`.
        for sub in self._projections():
            for v in sub._variables:
                v._keras_path = f"{self.name}/{sub.name}/{v.name}"

    def _projections(self):
        subs = [self._query_dense, self._key_dense]
        if self.use_gate:
            subs.append(self._gate_dense)
        return subs + [self._value_dense, self._output_dense]

    get_build_config = MultiHeadAttention.get_build_config
    build_from_config = MultiHeadAttention.build_from_config

    def __call__(self, *args, **kwargs):
        args = _prepare_attention_call(self, args, kwargs)
        if isinstance(args[0], KerasTensor):
            # Keras checks shapes when building a functional graph (eager calls are not checked).
            self.compute_output_shape(*[_shape(a) for a in args[:3]])
        return super().__call__(*args, **kwargs)

    def call(self, query, value, key=None, query_mask=None, value_mask=None, key_mask=None, attention_mask=None,
             return_attention_scores=False, training=None, use_causal_mask=False):
        # Keras fills each `<name>_mask` left None from that input's Keras mask (key's only when
        # a key tensor is passed).
        if key_mask is None and key is not None:
            key_mask = _keras_mask(key)
        if key is None:
            key = value
        if value_mask is None:
            value_mask = _keras_mask(value)
        if query_mask is None:
            query_mask = _keras_mask(query)
        output_mask = _keras_mask(query)
        if self._flash_attention and return_attention_scores:
            raise ValueError("Returning attention scores is not supported when flash attention is enabled. Please "
                             "disable flash attention to access attention scores.")
        causal_only = (use_causal_mask and query_mask is None and value_mask is None and key_mask is None
                       and attention_mask is None and self.sliding_window is None)
        if not causal_only:
            attention_mask = _merge_attention_masks(query, value, query_mask, value_mask, key_mask, attention_mask,
                                                    use_causal_mask, self.sliding_window)
        gate = self._gate_dense(query) if self.use_gate else None
        query = self._query_dense(query)    # (B, T, Hq, head_dim)
        key = self._key_dense(key)          # (B, S, Hkv, head_dim)
        value = self._value_dense(value)    # (B, S, Hkv, head_dim)
        if self.num_repeats > 1:            # kv head j serves query heads j*r .. j*r + r-1
            key = key.repeat_interleave(self.num_repeats, dim=2)
            value = value.repeat_interleave(self.num_repeats, dim=2)
        scores = None
        if not (self.dropout > 0.0 or return_attention_scores):
            output = _sdpa(query, key, value, attention_mask, causal_only, self._inverse_sqrt_head_dim)
        else:
            if causal_only:
                attention_mask = _causal_mask(query.shape[1], value.shape[1], query.device)
            query = query * torch.tensor(self._inverse_sqrt_head_dim, dtype=query.dtype, device=query.device)
            scores = torch.einsum("bquh,bkuh->buqk", query, key)  # (B, Hq, T, S)
            mask = None if attention_mask is None else attention_mask.unsqueeze(-3) if \
                attention_mask.dim() < 4 else attention_mask
            scores = self._softmax(scores, mask=mask)
            weights = self._dropout_layer(scores, training=training) if self.dropout > 0.0 else scores
            output = torch.einsum("buqk,bkuh->bquh", weights, value)
        output = self._output_dense(output * gate if gate is not None else output)  # (B, T, features)
        if output_mask is not None:
            output._keras_mask = output_mask
        if return_attention_scores:
            return output, scores
        return output

    def compute_output_shape(self, query_shape, value_shape=None, key_shape=None):
        query_shape, value_shape, key_shape, _ = _attention_input_shapes(query_shape, value_shape, key_shape)
        if query_shape[-1] != value_shape[-1]:
            raise ValueError(f"GroupQueryAttention '{self.name}': the last dimension of `query` and `value` must be "
                             f"equal, but are {query_shape[-1]} and {value_shape[-1]}. Received: query_shape="
                             f"{query_shape}, value_shape={value_shape}. Project them to the same width first.")
        if value_shape[1:-1] != key_shape[1:-1]:
            raise ValueError("All dimensions of `value` and `key`, except the last one, must be equal. Received: "
                             f"value_shape={value_shape} and key_shape={key_shape}")
        return query_shape

    def get_config(self):
        config = super().get_config()
        config.update({
            "head_dim": self.head_dim,
            "num_query_heads": self.num_query_heads,
            "num_key_value_heads": self.num_key_value_heads,
            "use_bias": self.use_bias,
            "use_gate": self.use_gate,
            "sliding_window": self.sliding_window,
            "dropout": self.dropout,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "activity_regularizer": regularizers.serialize(self.activity_regularizer),
            "kernel_constraint": constraints.serialize(self.kernel_constraint),
            "bias_constraint": constraints.serialize(self.bias_constraint),
            "seed": self.seed,
        })
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        shapes = {k: config.pop(k) for k in ("query_shape", "value_shape", "key_shape") if k in config}
        layer = cls(**config)
        if shapes.get("query_shape") is not None and shapes.get("value_shape") is not None:
            layer.build(**{k: tuple(v) for k, v in shapes.items() if v is not None})
        return layer


GroupedQueryAttention = GroupQueryAttention  # Keras's class name (exported as GroupQueryAttention)


def _clone(obj):
    if obj is None or not hasattr(obj, "get_config"):
        return obj
    if hasattr(obj, "clone"):
        return obj.clone()
    return type(obj).from_config(obj.get_config())


# ----------------------------------------------------------------------------- equations (Keras's)

def _index_to_einsum_variable(i):
    return string.ascii_lowercase[i]


def _build_attention_equation(rank, attn_axes):
    """Einsum equations for the query-key dot product and the weighted sum of values, with
    (batch, <non-attention dims>, <attention dims>, heads, channels) projected tensors."""
    target_notation = "".join(_index_to_einsum_variable(i) for i in range(rank))
    batch_dims = tuple(np.delete(range(rank), attn_axes + (rank - 1,)))
    letter_offset = rank
    source_notation = ""
    for i in range(rank):
        if i in batch_dims or i == rank - 1:
            source_notation += target_notation[i]
        else:
            source_notation += _index_to_einsum_variable(letter_offset)
            letter_offset += 1
    product_notation = "".join([target_notation[i] for i in batch_dims] + [target_notation[i] for i in attn_axes]
                               + [source_notation[i] for i in attn_axes])
    dot_product_equation = f"{source_notation},{target_notation}->{product_notation}"
    combine_equation = f"{product_notation},{source_notation}->{target_notation}"
    return dot_product_equation, combine_equation, len(product_notation)


def _build_proj_equation(free_dims, bound_dims, output_dims):
    input_str = kernel_str = output_str = bias_axes = ""
    letter_offset = 0
    for i in range(free_dims):
        char = _index_to_einsum_variable(i + letter_offset)
        input_str += char
        output_str += char
    letter_offset += free_dims
    for i in range(bound_dims):
        char = _index_to_einsum_variable(i + letter_offset)
        input_str += char
        kernel_str += char
    letter_offset += bound_dims
    for i in range(output_dims):
        char = _index_to_einsum_variable(i + letter_offset)
        kernel_str += char
        output_str += char
        bias_axes += char
    return f"{input_str},{kernel_str}->{output_str}", bias_axes, len(output_str)


def _get_output_shape(output_rank, known_last_dims):
    return [None] * (output_rank - len(known_last_dims)) + list(known_last_dims)


# ----------------------------------------------------------------------------- Luong / Bahdanau

class Attention(Layer):
    """Dot-product (Luong) attention: `Attention()([query, value])` or `([query, value, key])`.

    score_mode "dot": scores = query @ key^T (times a learned scalar `scale` with use_scale);
    "concat": scores = concat_score_weight * sum(tanh(scale * (query + key)), -1).
    """

    def __init__(self, use_scale=False, score_mode="dot", dropout=0.0, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.use_scale = use_scale
        self.score_mode = score_mode
        self.dropout = dropout
        self.seed = seed
        self.seed_generator = rng.SeedGenerator(seed) if self.dropout > 0 else None  # where Keras makes it
        if self.score_mode not in ["dot", "concat"]:
            raise ValueError("Invalid value for argument score_mode. Expected one of {'dot', 'concat'}. "
                             f"Received: score_mode={score_mode}")
        self.scale = None
        self.concat_score_weight = None
        self.supports_masking = True

    def build(self, input_shape):
        self._validate_inputs(input_shape)
        self.scale = None
        self.concat_score_weight = None
        if self.use_scale:
            self.scale = self.add_weight("scale", (), "ones")
        if self.score_mode == "concat":
            self.concat_score_weight = self.add_weight("concat_score_weight", (), "ones")

    def _calculate_scores(self, query, key):
        if self.score_mode == "dot":
            scores = torch.matmul(query, key.transpose(-2, -1))
            if self.scale is not None:
                scores = scores * self.scale
            return scores
        q = query.unsqueeze(-2)
        k = key.unsqueeze(-3)
        if self.scale is not None:
            return self.concat_score_weight * torch.sum(torch.tanh(self.scale * (q + k)), dim=-1)
        return self.concat_score_weight * torch.sum(torch.tanh(q + k), dim=-1)

    def _apply_scores(self, scores, value, scores_mask=None, training=None):
        if scores_mask is not None:
            padding_mask = ~scores_mask.bool()
            max_value = 65504.0 if scores.dtype == torch.float16 else 1.0e9
            if padding_mask.dim() == 2:
                padding_mask = padding_mask.unsqueeze(-2)
            scores = torch.where(padding_mask, scores - max_value, scores)
        weights = torch.softmax(scores, dim=-1)
        training = self.training if training is None else bool(training)
        if training and self.dropout > 0:
            weights = rng.dropout(weights, self.dropout, self.seed_generator)
        return torch.matmul(weights, value), weights

    def _calculate_score_mask(self, scores, v_mask, use_causal_mask):
        if use_causal_mask:
            causal = _causal_mask(scores.shape[-2], scores.shape[-1], scores.device)
            if v_mask is not None:
                return v_mask.bool().unsqueeze(-2) & causal
            return causal
        return v_mask

    def call(self, inputs, mask=None, training=None, return_attention_scores=False, use_causal_mask=False):
        self._validate_inputs(inputs, mask)
        q, v = inputs[0], inputs[1]
        k = inputs[2] if len(inputs) > 2 else v
        mask = [torch.as_tensor(m) if isinstance(m, np.ndarray) else m for m in mask] if mask else mask
        q_mask = mask[0] if mask else None
        v_mask = mask[1] if mask else None
        scores = self._calculate_scores(q, k)
        scores_mask = self._calculate_score_mask(scores, v_mask, use_causal_mask)
        output, attention_scores = self._apply_scores(scores, v, scores_mask, training)
        if q_mask is not None:
            output = torch.where(q_mask.bool().unsqueeze(-1), output, torch.zeros((), dtype=output.dtype,
                                                                                  device=output.device))
        if return_attention_scores:
            if q_mask is not None:
                output._keras_mask = q_mask  # Keras masks the first output only
            return output, attention_scores
        return output

    def compute_mask(self, inputs, mask=None):
        self._validate_inputs(inputs, mask)
        if mask is None or mask[0] is None:
            return None
        return mask[0]

    def compute_output_shape(self, input_shape):
        query_shape, value_shape = tuple(input_shape[0]), tuple(input_shape[1])
        return query_shape[:-1] + (value_shape[-1],)

    def _validate_inputs(self, inputs, mask=None):
        class_name = type(self).__name__
        if not isinstance(inputs, (list, tuple)) or (inputs and isinstance(inputs[0], (int, type(None)))):
            raise ValueError(f"{class_name} layer must be called on a list of inputs, namely [query, value] or "
                             f"[query, value, key]. Received: inputs={inputs}.")
        if len(inputs) < 2 or len(inputs) > 3:
            raise ValueError(f"{class_name} layer accepts inputs list of length 2 or 3, namely [query, value] or "
                             f"[query, value, key]. Received length: {len(inputs)}.")
        if mask is not None:
            if not isinstance(mask, (list, tuple)):
                raise ValueError(f"{class_name} layer mask must be a list, namely [query_mask, value_mask]. "
                                 f"Received: mask={mask}.")
            if len(mask) < 2 or len(mask) > 3:
                raise ValueError(f"{class_name} layer accepts mask list of length 2 or 3. Received: mask={mask}.")

    def get_config(self):
        config = super().get_config()
        config.update(use_scale=self.use_scale, score_mode=self.score_mode, dropout=self.dropout, seed=self.seed)
        return config


class AdditiveAttention(Attention):
    """Additive (Bahdanau) attention: scores = sum(scale * tanh(query + key), -1), with a learned
    per-feature `scale` (shape (dim,)) when use_scale."""

    def __init__(self, use_scale=True, dropout=0.0, **kwargs):
        super().__init__(use_scale=use_scale, dropout=dropout, **kwargs)

    def build(self, input_shape):
        self._validate_inputs(input_shape)
        dim = input_shape[0][-1]
        self.scale = None
        if self.use_scale:
            self.scale = self.add_weight("scale", (dim,), "glorot_uniform")

    def _calculate_scores(self, query, key):
        q = query.unsqueeze(-2)
        k = key.unsqueeze(-3)
        scale = self.scale if self.use_scale else 1.0
        return torch.sum(scale * torch.tanh(q + k), dim=-1)

    def get_config(self):
        config = super().get_config()
        del config["score_mode"]
        return config
