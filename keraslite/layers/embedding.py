"""Embedding: integer indices -> rows of a (input_dim, output_dim) table.

Owns the lookup, its index checks, `mask_zero` masks and the Keras 1/2 constructor forms
(input_length=, init=, W_regularizer=, W_constraint=, weights=, dropout=). Leaves weight
bookkeeping and files to the Layer base.

`input_dim` here is the vocabulary size, not an input shape: it is this layer's own argument
and never reaches Layer.__init__ (which would read `input_dim` as a 1-D input shape).

Gradients into a kept buffer (`grads_into_buffers`): a lookup's gradient touches only the rows it
read, yet torch's embedding backward allocates and zero-fills a whole table-sized gradient every
step; on a CPU a 20000 x 128 table's fresh 10 MB costs more in page faults than the rest of its
backward. While the fit loop's built-in step runs its forward pass inside `grads_into_buffers()`,
lookups on a trainable table add their gradient straight into the table's `.grad`, which the loop
keeps from step to step and zeroes in place (`zero_kept_grads`). The numbers are those of the
dense path: the same rows receive the same sums. Zeroing a kept buffer touches only the rows the
lookups wrote since the last zeroing, when nothing else wrote into it meanwhile (its version
counter says so); otherwise, or when those rows are a large part of the table, the whole buffer.
Other gradient paths into the table (a regularizer, a tied weight) still accumulate into the
same `.grad` as usual. Outside that block (user loops, `torch.autograd.grad`, GradientTape)
lookups are plain `F.embedding`.
"""
import contextlib

import numpy as np
import torch
import torch.nn.functional as F
from torch._subclasses.fake_tensor import FakeTensor

from keraslite import backend, constraints, initializers, quantizers, regularizers
from keraslite.layers.layer import Layer

__all__ = ["Embedding", "ReversibleEmbedding"]

_INTO_BUFFERS = [False]


@contextlib.contextmanager
def grads_into_buffers():
    """Within this block, lookups on trainable tables send their gradient into `.grad` directly."""
    _INTO_BUFFERS[0] = True
    try:
        yield
    finally:
        _INTO_BUFFERS[0] = False


class _WrittenRows:
    """The rows of one table's kept gradient that lookups have written since it was last zeroed.
    Valid while `buffer` is still the table's `.grad` and its version counter is the one seen
    after the last write, i.e. nothing but those lookups has written into it since."""

    __slots__ = ("buffer", "version", "rows", "count")

    def __init__(self, buffer):
        self.buffer, self.version, self.rows, self.count = buffer, buffer._version, [], 0

    def valid_for(self, buffer):
        return self.buffer is buffer and self.version == buffer._version


def zero_kept_grads(tables):
    """Zero, in place, the gradient buffers kept on `tables` (those that have one): only the rows
    the lookups wrote when that is all that was written (a batch reads a few thousand rows of a
    table that may have tens of thousands), the whole buffer otherwise."""
    for table in tables:
        buffer = table.grad
        if buffer is None:
            continue
        written = getattr(table, "_keraslite_written_rows", None)
        if written is not None and written.valid_for(buffer) and written.rows is not None:
            if written.rows:
                buffer.index_fill_(0, torch.cat(written.rows) if len(written.rows) > 1 else written.rows[0], 0)
        else:
            buffer.zero_()
        table._keraslite_written_rows = _WrittenRows(buffer)


def _note_written(table, buffer, before, rows):
    """Record that a lookup's backward added into `rows` of `buffer` (whose version was `before`
    just ahead of the add); an unexplained write since the last record makes the next zeroing whole."""
    written = getattr(table, "_keraslite_written_rows", None)
    if written is None or written.buffer is not buffer or written.version != before:
        written = _WrittenRows(buffer)
        written.rows = None  # something else wrote into it: zero it whole next time
    elif written.rows is not None:
        written.count += rows.numel()
        if written.count * 3 > buffer.shape[0]:
            written.rows = None  # beyond about a third of the rows a whole zeroing is cheaper
        else:
            written.rows.append(rows)
    written.version = buffer._version
    table._keraslite_written_rows = written


class _LookupIntoGrad(torch.autograd.Function):
    """`F.embedding(indices, table)` whose backward adds the rows' gradients into `table.grad`
    (allocating it once) and hands the engine nothing for the table."""

    @staticmethod
    def forward(ctx, table, indices):
        ctx.save_for_backward(indices)
        ctx.table = table
        return F.embedding(indices, table)

    @staticmethod
    def backward(ctx, grad):
        (indices,) = ctx.saved_tensors
        table = ctx.table
        buffer = table.grad
        if buffer is None:
            buffer = table.grad = torch.zeros_like(table)
            table._keraslite_written_rows = _WrittenRows(buffer)
        before = buffer._version
        if not grad.is_contiguous() and grad.dim() > 2:
            # A fused RNN's input gradient comes time-major (strides of a (time, batch, dim)
            # tensor): walking the leading dimensions in memory order reads it without the
            # copy a reshape would make; the indices (a few KB) are reordered to match.
            order = sorted(range(grad.dim() - 1), key=grad.stride, reverse=True)
            permuted = grad.permute(*order, grad.dim() - 1)
            if permuted.is_contiguous():
                grad, indices = permuted, indices.permute(*order)
        rows = indices.reshape(-1)
        buffer.index_add_(0, rows, grad.reshape(-1, grad.shape[-1]).to(buffer.dtype))
        _note_written(table, buffer, before, rows)
        return None, None


def _positive_int(name, value):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0:
        raise ValueError(f"Embedding: `{name}` must be a positive integer; received {name}={value!r} "
                         f"(of type {type(value).__name__}).")
    return int(value)


class Embedding(Layer):
    """`embeddings[inputs]`: output shape is the input shape + (output_dim,).

    Inputs of any integer or float dtype are cast to int64. Indices outside [0, input_dim)
    raise a ValueError. On CPU that costs nothing (torch's own IndexError is translated). On
    an accelerator a per-call check would force a host sync every step, so the range is checked
    on the first call only; later bad indices surface as the device's own index assertion.

    `quantize("int8")` makes the table int8 with a per-row `embeddings_scale`, as Keras does.
    """

    _int8 = False  # the int8 lookup

    def __init__(self, input_dim, output_dim, embeddings_initializer="uniform", embeddings_regularizer=None,
                 embeddings_constraint=None, mask_zero=False, weights=None, input_length=None, lora_rank=None,
                 lora_alpha=None, quantization_config=None, **kwargs):
        # Keras 1 spellings of this layer's arguments.
        if "init" in kwargs:
            embeddings_initializer = kwargs.pop("init")
        if "W_regularizer" in kwargs:
            embeddings_regularizer = kwargs.pop("W_regularizer")
        if "W_constraint" in kwargs:
            embeddings_constraint = kwargs.pop("W_constraint")
        dropout = float(kwargs.pop("dropout", 0.0) or 0.0)  # Keras 1: drops whole rows while training
        for key, value in (("lora_rank", lora_rank), ("quantization_config", quantization_config)):
            if value is not None:
                raise NotImplementedError(f"Embedding: `{key}` (LoRA / quantization) is not supported; "
                                          f"received {key}={value!r}. Remove it.")
        # Keras 2: input_length fixes the sequence length of a first layer's input.
        if input_length is not None and not any(kwargs.get(k) is not None for k in
                                                ("input_shape", "batch_input_shape", "batch_shape")):
            length = input_length if isinstance(input_length, (list, tuple)) else (input_length,)
            kwargs["input_shape"] = tuple(length)
        if weights is not None and not (isinstance(weights, (list, tuple)) and len(weights) == 1):
            weights = [weights]  # Keras also takes the bare (input_dim, output_dim) array
        super().__init__(weights=weights, **kwargs)
        self.input_dim = _positive_int("input_dim", input_dim)
        self.output_dim = _positive_int("output_dim", output_dim)
        self.embeddings_initializer = initializers.get(embeddings_initializer)
        self.embeddings_regularizer = regularizers.get(embeddings_regularizer)
        self.embeddings_constraint = constraints.get(embeddings_constraint)
        self.mask_zero = bool(mask_zero)
        self.supports_masking = self.mask_zero
        if not 0 <= dropout < 1:
            raise ValueError(f"Embedding '{self.name}': dropout must be in [0, 1); received dropout={dropout}.")
        self.dropout = dropout
        self._range_checked = False

    def build(self, input_shape=None):
        if self.quantization_mode == "int8":  # a quantized layer being loaded
            self.embeddings = self.add_weight("embeddings", (self.input_dim, self.output_dim), "zeros",
                                              dtype="int8", trainable=False)
            self.embeddings_scale = self.add_weight("embeddings_scale", (self.input_dim,), "ones", trainable=False)
            self._int8 = True
            return
        self.embeddings = self.add_weight("embeddings", (self.input_dim, self.output_dim),
                                          self.embeddings_initializer, regularizer=self.embeddings_regularizer,
                                          constraint=self.embeddings_constraint)

    def call(self, inputs, training=None):
        indices = inputs if inputs.dtype == torch.int64 else inputs.long()
        if indices.device.type != "cpu" and not self._range_checked and not isinstance(indices, FakeTensor):
            self._check_range(indices)
            self._range_checked = True
        try:
            if self._int8:
                return self._int8_lookup(indices)
            table = self.embeddings
            if self.dropout and (self.training if training is None else bool(training)):
                keep = torch.empty(self.input_dim, 1, device=table.device, dtype=table.dtype)
                keep.bernoulli_(1 - self.dropout)
                table = table * keep / (1 - self.dropout)
            if _INTO_BUFFERS[0] and table is self.embeddings and table.requires_grad and torch.is_grad_enabled():
                return _LookupIntoGrad.apply(table, indices)
            return F.embedding(indices, table)  # (*input_shape, output_dim)
        except IndexError:
            self._check_range(indices)
            raise

    def _int8_lookup(self, indices):
        rows = F.embedding(indices, self.embeddings)
        scale = F.embedding(indices, self.embeddings_scale.unsqueeze(-1))
        return rows.to(scale.dtype) / scale

    def quantize(self, mode=None, type_check=True, config=None):
        """Keras's `quantize("int8")`: the table becomes int8, scaled per row."""
        quantizers.check_quantize(self, mode, config)
        if type_check and type(self) is not Embedding:
            raise quantizers.not_implemented(self)
        values, scale = quantizers.abs_max_quantize(self.embeddings.detach(), -1)
        self.embeddings, self.embeddings_scale = quantizers.swap_in_int8(self, "embeddings", values,
                                                                         "embeddings_scale", scale.squeeze(-1))
        self._int8 = True

    def _check_range(self, indices):
        if indices.numel() == 0:
            return
        low, high = int(indices.min()), int(indices.max())
        bad = low if low < 0 else high if high >= self.input_dim else None
        if bad is not None:
            raise ValueError(f"Embedding '{self.name}': input index {bad} is out of range for a vocabulary of "
                             f"input_dim={self.input_dim} (valid indices are 0 to {self.input_dim - 1}); received "
                             f"indices in [{low}, {high}] with input shape {tuple(indices.shape)}. Increase "
                             "input_dim to cover the largest index, or re-encode the inputs.")

    def _mask_from_nothing(self):
        return self.mask_zero

    def compute_mask(self, inputs, mask=None):
        if not self.mask_zero:
            return None
        if isinstance(inputs, np.ndarray):  # called directly on data: a tensor mask, as Keras gives
            inputs = torch.as_tensor(inputs)
        return inputs != 0

    def compute_output_shape(self, input_shape):
        return tuple(input_shape) + (self.output_dim,)

    def get_config(self):
        config = super().get_config()
        config.update(
            input_dim=self.input_dim,
            output_dim=self.output_dim,
            embeddings_initializer=initializers.serialize(self.embeddings_initializer),
            embeddings_regularizer=regularizers.serialize(self.embeddings_regularizer),
            activity_regularizer=regularizers.serialize(self.activity_regularizer),
            embeddings_constraint=constraints.serialize(self.embeddings_constraint),
            mask_zero=self.mask_zero,
            quantization_config=quantizers.INT8_CONFIG if self._int8 else None,
        )
        if self.dropout:
            config["dropout"] = self.dropout
        return config


class ReversibleEmbedding(Embedding):
    """An Embedding that can also map hidden vectors back to vocabulary logits.

    `layer(ids)` is the usual lookup. `layer(hidden, reverse=True)` computes
    `hidden @ embeddings.T` (tied weights, the default) or `hidden @ reverse_embeddings`
    (`tie_weights=False`, a separate `(output_dim, input_dim)` weight created next to the
    table), optionally in `reverse_dtype`, then `tanh(logits / cap) * cap` when
    `logit_soft_cap` is set. No bias.
    """

    def __init__(self, input_dim, output_dim, tie_weights=True, embeddings_initializer="uniform",
                 embeddings_regularizer=None, embeddings_constraint=None, mask_zero=False, reverse_dtype=None,
                 logit_soft_cap=None, **kwargs):
        super().__init__(input_dim, output_dim, embeddings_initializer=embeddings_initializer,
                         embeddings_regularizer=embeddings_regularizer, embeddings_constraint=embeddings_constraint,
                         mask_zero=mask_zero, **kwargs)
        self.tie_weights = bool(tie_weights)
        self.reverse_dtype = reverse_dtype
        self.logit_soft_cap = logit_soft_cap

    def build(self, input_shape=None):
        super().build(input_shape)
        if not self.tie_weights:
            self.reverse_embeddings = self.add_weight("reverse_embeddings", (self.output_dim, self.input_dim),
                                                      self.embeddings_initializer)

    def call(self, inputs, reverse=False):
        if not reverse:
            out = super().call(inputs)
            if self.mask_zero:
                out._keras_mask = inputs != 0
            return out
        if not inputs.dtype.is_floating_point:
            raise ValueError(f"ReversibleEmbedding '{self.name}': `reverse=True` expects float hidden states of "
                             f"shape (..., {self.output_dim}); received dtype {inputs.dtype} with shape "
                             f"{tuple(inputs.shape)}.")
        if inputs.shape[-1] != self.output_dim:
            raise ValueError(f"ReversibleEmbedding '{self.name}': `reverse=True` expects inputs whose last "
                             f"dimension is output_dim={self.output_dim}; received shape {tuple(inputs.shape)}.")
        kernel = self.embeddings.t() if self.tie_weights else self.reverse_embeddings
        if self.reverse_dtype is not None:
            dtype = backend.torch_dtype(self.reverse_dtype)
            if dtype == torch.float64:
                # Keras 3's dtype promotion on torch makes a float64 x float64 matmul float32
                # (inputs and result), so float64 there means the default float dtype.
                dtype = backend.torch_dtype(backend.floatx())
            inputs, kernel = inputs.to(dtype), kernel.to(dtype)
        elif inputs.dtype != self._variable_dtype:
            inputs = inputs.to(self._variable_dtype)  # Keras autocasts float inputs to the compute dtype
        logits = torch.matmul(inputs, kernel)
        if self.logit_soft_cap is not None:
            cap = self.logit_soft_cap
            logits = torch.tanh(logits / cap) * cap
        return logits

    def compute_mask(self, inputs, mask=None):
        return None  # the lookup attaches its own mask in call

    def compute_output_shape(self, input_shape, reverse=False):
        if reverse:
            return tuple(input_shape[:-1]) + (self.input_dim,)
        return tuple(input_shape) + (self.output_dim,)

    def get_config(self):
        config = super().get_config()
        config.update(tie_weights=self.tie_weights, reverse_dtype=self.reverse_dtype,
                      logit_soft_cap=self.logit_soft_cap)
        return config
