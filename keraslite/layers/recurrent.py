"""Recurrent layers: the cells (SimpleRNNCell, LSTMCell, GRUCell, StackedRNNCells), the generic
`RNN(cell)` layer that runs any cell over time, and SimpleRNN / LSTM / GRU built on it.

Owns: the time loop (masking, go_backwards, stateful states, initial states, return_state),
the fused torch path (torch._VF.rnn_tanh / rnn_relu / lstm / gru) for the common configurations,
and the Keras <-> torch layout of recurrent weights (`GateLayout`).

Leaves to others: Bidirectional and TimeDistributed (keraslite.layers.wrappers), masks'
origin (Embedding / Masking), and files (keraslite.saving reads weights through get/set_weights).

Weights belong to the cell, as in Keras 3: `LSTM(...).cell.kernel`. They are stored as torch's
fused kernels want them: kernel (gates*units, in), recurrent_kernel (gates*units, units), gates
in torch order (LSTM i,f,g,o == Keras i,f,c,o; GRU r,z,n where Keras has z,r,h). Keras has a
single input bias where torch has two; the fused ops get a constant zero `bias_hh`, so training
moves exactly the weights Keras has. GRU(reset_after=True) keeps Keras's (2, 3*units) bias,
whose two rows are torch's bias_ih and bias_hh.
"""
import inspect

import torch
import torch.nn.functional as F
import torch.nn.utils.rnn as rnn_utils
from torch._subclasses.fake_tensor import FakeTensor

from keraslite import activations, constraints, initializers, regularizers
from keraslite.layers.layer import Layer, Layout
from keraslite.utils import rng

__all__ = ["RNN", "SimpleRNN", "LSTM", "GRU", "SimpleRNNCell", "LSTMCell", "GRUCell", "StackedRNNCells", "CuDNNLSTM",
           "CuDNNGRU"]


# ----------------------------------------------------------------------------- layout

class GateLayout(Layout):
    """Keras (..., gates*units) with Keras gate order <-> storage with torch gate order.

    `transpose=True` for kernels: Keras (rows, gates*units) is stored as (gates*units, rows).
    `perm` lists, for each torch gate block, the Keras block it comes from (GRU: (1, 0, 2)).
    """

    def __init__(self, gates, perm=None, transpose=False):
        self.gates = gates
        self.perm = None if perm is None or tuple(perm) == tuple(range(gates)) else tuple(perm)
        self.inverse = None if self.perm is None else tuple(self.perm.index(i) for i in range(gates))
        self.transpose = transpose

    def _reorder(self, t, order):
        if order is None:
            return t
        blocks = t.chunk(self.gates, dim=-1)
        return torch.cat([blocks[i] for i in order], dim=-1)

    def from_keras(self, t):
        t = self._reorder(t, self.perm)
        return (t.t() if self.transpose else t).contiguous()

    def to_keras(self, t):
        return self._reorder(t.t() if self.transpose else t, self.inverse)

    def keras_shape(self, shape):
        return tuple(reversed(shape)) if self.transpose else tuple(shape)


# ----------------------------------------------------------------------------- state structures

def _flatten(states):
    if not isinstance(states, (list, tuple)):  # a tensor (or an array given as a state)
        return [states]
    return [t for s in states for t in _flatten(s)]


def _pack(like, flat):
    """Arrange the tensors of `flat` in the nested list structure of `like`."""
    flat = list(flat)

    def take(node):
        if isinstance(node, (torch.Tensor, int, torch.Size)) or node is None:
            return flat.pop(0)
        return [take(n) for n in node]

    return take(like)


def _state_structure(state_size):
    """Keras's nesting of states for a cell's `state_size` (int -> one state in a list). A
    `tf.TensorShape` entry is one state of that per-sample shape (tf.keras 2), kept as a
    torch.Size leaf; a list is several states."""
    if isinstance(state_size, int) or _is_shape(state_size):
        return [_state_leaf(state_size)]
    return [_state_leaf(s) if isinstance(s, int) or _is_shape(s) else _state_structure(s) for s in state_size]


def _is_shape(size):
    return hasattr(size, "as_list") or isinstance(size, torch.Size)


def _state_leaf(size):
    return size if isinstance(size, int) else torch.Size(size)


def _sample_dims(size):
    """Per-sample dims of a state or output size: an int, a TensorShape or torch.Size."""
    return (size,) if isinstance(size, int) else tuple(size)


def _zeros_for(structure, batch, like):
    if isinstance(structure, int) or isinstance(structure, torch.Size):
        return torch.zeros((batch,) + _sample_dims(structure), dtype=like.dtype, device=like.device)
    return [_zeros_for(s, batch, like) for s in structure]


def _all_true(mask):
    try:
        return bool(mask.all())
    except Exception:  # shape-only tracing (fake tensors) has no values: keep the mask
        return False


def _begin_sequence(cell, first_input):
    """Draw the dropout masks of every built-in cell in `cell` (stacked cells included, in
    order, each with its own input width) for the sequence about to run."""
    if isinstance(cell, StackedRNNCells):
        for inner in cell.cells:
            _begin_sequence(inner, first_input)
            width = getattr(inner, "output_size", None) or _first_size(inner.state_size)
            first_input = first_input.new_empty(first_input.shape[0], width)
    elif _draws_sequence_masks(cell):
        cell.begin_sequence(first_input)


def _end_sequence(cell):
    if isinstance(cell, StackedRNNCells):
        for inner in cell.cells:
            _end_sequence(inner)
    elif _draws_sequence_masks(cell):
        cell.end_sequence()


def _draws_sequence_masks(cell):
    return isinstance(cell, SequenceDropoutCell)


class SequenceDropoutCell(Layer):
    """Base of the built-in cells (these and the ConvLSTM cells): Keras's dropout masks, drawn
    once per sequence. Subclasses set `dropout`, `recurrent_dropout`, `seed_generator` and write
    `_new_masks(inputs)` -> (input masks, recurrent masks), None for a rate of 0."""

    _sequence_masks = None  # (input, recurrent) masks of the sequence an RNN layer is running

    def begin_sequence(self, first_input):
        """Called by the RNN layer before it runs a sequence. As Keras does, the masks are drawn
        here in inference too (unused then), so seeded runs draw what Keras draws."""
        self._sequence_masks = self._new_masks(first_input)

    def end_sequence(self):
        self._sequence_masks = None

    def dropout_masks(self, inputs, training):
        """(input mask, recurrent mask) to apply in training, else (None, None): the running
        sequence's masks, or new ones for a cell called on its own. As in Keras, a rate of 0 or 1
        applies no mask."""
        if not training:
            return None, None
        masks = self._sequence_masks if self._sequence_masks is not None else self._new_masks(inputs)
        return (masks[0] if self.dropout < 1.0 else None), (masks[1] if self.recurrent_dropout < 1.0 else None)


def _keep_where(keep, new, old):
    """`new` where the timestep mask `keep` ((batch,), or (batch, ...) of lower rank than `new`)
    is set, else `old`, for states of any rank."""
    return torch.where(keep.reshape(keep.shape + (1,) * (new.dim() - keep.dim())), new, old)


def _first_size(state_size):
    return state_size[0] if isinstance(state_size, (list, tuple)) else state_size


def _initial_state_args(cell, batch_size, dtype, inputs):
    """(batch size, torch dtype, device) of a cell's zero states, from Keras 3's
    get_initial_state(batch_size) or tf.keras 2's (inputs=None, batch_size=None, dtype=None):
    `inputs` (also taken as the first positional argument) give the batch and dtype. The dtype
    defaults to the cell's weights' (floatx before they exist)."""
    from keraslite import backend

    if getattr(batch_size, "ndim", 0):  # tf.keras 2 called positionally: get_initial_state(inputs)
        inputs, batch_size = batch_size, None
    kernel = getattr(cell, "kernel", None) if getattr(cell, "built", False) else None
    device = None if kernel is None else kernel.device
    if inputs is not None:
        batch_size = inputs.shape[0]
        dtype = inputs.dtype if dtype is None and isinstance(inputs, torch.Tensor) else dtype
        device = inputs.device if isinstance(inputs, torch.Tensor) else device
    if batch_size is None:
        raise ValueError(f"{type(cell).__name__} '{cell.name}'.get_initial_state needs the batch size: pass "
                         "batch_size= (or the inputs, whose first axis is the batch).")
    if dtype is None:
        dtype = kernel.dtype if kernel is not None else None
    return int(batch_size), backend.torch_dtype(dtype), device


def _cell_states(state_size, states):
    """A cell's list of states as the program's Keras nests them: Keras 3 always lists them;
    tf.keras 2 (a program that imports tensorflow) gives the one state of a cell whose
    state_size is a single size bare."""
    from keraslite.compat.aliases import tensorflow_program

    if (isinstance(state_size, int) or _is_shape(state_size)) and tensorflow_program():
        return states[0]
    return states


def _is_fake(t):
    return isinstance(t, FakeTensor)


def _shape_list(shape):
    """The sequence shape when an RNN receives [sequences, *initial_states]."""
    if isinstance(shape, list) and shape and isinstance(shape[0], (tuple, list)):
        return tuple(shape[0])
    return tuple(shape)


# ----------------------------------------------------------------------------- cells

class _Cell(SequenceDropoutCell):
    """Shared base of the built-in cells: arguments, weights, config, and the pieces the RNN
    layer uses to run a whole sequence fast (`fused`, `project`, `step`).

    Subclasses set `_gates` (weight blocks), `_perm` (Keras -> torch gate order) and write
    `step(projected_t, states, recurrent_mask)`; `call(inputs, states)` is the Keras cell API.
    """

    _gates = 1
    _perm = None
    _seed_before_initializers = False

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", kernel_regularizer=None, recurrent_regularizer=None,
                 bias_regularizer=None, kernel_constraint=None, recurrent_constraint=None,
                 bias_constraint=None, dropout=0.0, recurrent_dropout=0.0, seed=None, **kwargs):
        # Keras's choice of kernel. The math is the same either way; it matters for dropout only:
        # implementation 1 (which recurrent dropout forces in LSTM and GRU cells) draws one mask
        # per gate.
        implementation = kwargs.pop("implementation", 2)
        super().__init__(**kwargs)
        if not isinstance(units, int) or isinstance(units, bool) or units <= 0:
            raise ValueError(f"{type(self).__name__} '{self.name}': units must be a positive integer; "
                             f"received units={units!r}.")
        self.units = units
        self.activation = activations.get(activation)
        self.recurrent_activation = activations.get(recurrent_activation)
        self.use_bias = bool(use_bias)
        # Keras makes each cell's dropout SeedGenerator (which draws its seed from Python's random
        # when none is given) before the initializers in SimpleRNNCell and after them in LSTMCell /
        # GRUCell; the same order here gives the same seeds.
        if self._seed_before_initializers:
            self.seed_generator = rng.SeedGenerator(seed)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.recurrent_initializer = initializers.get(recurrent_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        if not self._seed_before_initializers:
            self.seed_generator = rng.SeedGenerator(seed)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.recurrent_regularizer = regularizers.get(recurrent_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.recurrent_constraint = constraints.get(recurrent_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.dropout = min(1.0, max(0.0, float(dropout)))
        self.recurrent_dropout = min(1.0, max(0.0, float(recurrent_dropout)))
        self.implementation = 1 if self._gates > 1 and self.recurrent_dropout != 0.0 else implementation
        self.seed = seed
        self.state_size = self.units
        self.output_size = self.units

    # ------------------------------------------------------------------ weights

    def _bias_shape(self):
        return (self._gates * self.units,)

    def _bias_initializer(self):
        return self.bias_initializer

    def build(self, input_shape):
        input_dim = input_shape[-1]
        if input_dim is None:
            raise ValueError(f"{type(self).__name__} '{self.name}': the last dimension of the input must be "
                             f"known; received input shape {input_shape}.")
        g, u = self._gates, self.units
        self.kernel = self.add_weight("kernel", (input_dim, g * u), self.kernel_initializer,
                                      regularizer=self.kernel_regularizer, constraint=self.kernel_constraint,
                                      layout=GateLayout(g, self._perm, transpose=True))
        self.recurrent_kernel = self.add_weight("recurrent_kernel", (u, g * u), self.recurrent_initializer,
                                                regularizer=self.recurrent_regularizer,
                                                constraint=self.recurrent_constraint,
                                                layout=GateLayout(g, self._perm, transpose=True))
        if self.use_bias:
            self.bias = self.add_weight("bias", self._bias_shape(), self._bias_initializer(),
                                        regularizer=self.bias_regularizer, constraint=self.bias_constraint,
                                        layout=GateLayout(g, self._perm))
        else:
            self.bias = None
        # torch's fused ops take two biases; Keras has one, so the second is a constant zero.
        self.register_buffer("zero_bias", torch.zeros(g * u, dtype=self.kernel.dtype), persistent=False)

    # ------------------------------------------------------------------ sequence helpers

    def _new_masks(self, inputs):
        """Keras's dropout masks for one sequence, (input mask, recurrent mask): each is dropout
        applied to ones (torch's own dropout when unseeded, the cell's SeedGenerator when seeded),
        (batch, size), or (gates, batch, size) in torch's gate order under implementation 1;
        None for a rate of 0. Input masks are drawn first, as in Keras."""
        def draw(rate, size):
            if rate <= 0.0:
                return None
            ones = torch.ones(inputs.shape[0], size, dtype=inputs.dtype, device=inputs.device)
            if self._gates == 1 or self.implementation != 1:
                return rng.dropout(ones, rate, self.seed_generator)
            masks = torch.stack([rng.dropout(ones, rate, self.seed_generator) for _ in range(self._gates)])
            return masks if self._perm is None else masks[list(self._perm)]

        return draw(self.dropout, inputs.shape[-1]), draw(self.recurrent_dropout, self.units)

    def project(self, inputs, gate_masks=None):
        """Input part of every gate, for all timesteps at once: (..., gates*units). With
        `gate_masks` (gates, batch, features), each gate's block sees its own masked input."""
        if gate_masks is None:
            return F.linear(inputs, self.kernel, self._input_bias())
        g = self._gates
        masks = gate_masks.view(g, gate_masks.shape[1], *([1] * (inputs.dim() - 2)), gate_masks.shape[-1])
        out = torch.einsum("gb...i,gui->b...gu", inputs.unsqueeze(0) * masks,
                           self.kernel.view(g, self.units, -1)).flatten(-2)
        bias = self._input_bias()
        return out if bias is None else out + bias

    def recurrent(self, h, mask, kernel, bias=None):
        """`h @ kernel.T (+ bias)` with `h` under Keras's recurrent dropout mask: one for all of
        `kernel`'s gate blocks (batch, units), or one per block (blocks, batch, units)."""
        if mask is None:
            return F.linear(h, kernel, bias)
        if mask.dim() == 2:
            return F.linear(h * mask, kernel, bias)
        g = mask.shape[0]
        out = torch.einsum("gbu,gvu->bgv", h.unsqueeze(0) * mask, kernel.view(g, -1, kernel.shape[-1])).flatten(1)
        return out if bias is None else out + bias

    def _input_bias(self):
        return self.bias

    def _fused_params(self):
        if self.bias is None:
            return [self.kernel, self.recurrent_kernel]
        return [self.kernel, self.recurrent_kernel, self.bias, self.zero_bias]

    def _fused_op(self):
        """The torch fused op for this configuration, or None (then the Python loop runs)."""
        return None

    def fused(self, sequences, states, recurrent_mask, lengths=None):
        """Whole sequence through torch's fused kernel: (outputs (batch, time, units), new states),
        or None when this configuration has no fused equivalent.

        With `lengths` (a CPU int64 tensor, all >= 1) each sample runs over its first
        lengths[b] steps only (a packed sequence); outputs past that are zero and the states
        are those after the last valid step.
        """
        op = self._fused_op()
        if op is None or recurrent_mask is not None:
            return None
        if sequences.is_cuda:
            _flatten_for_cudnn(self, sequences.shape[-1])
        hx = [s.unsqueeze(0) for s in states]  # (layers=1, batch, units)
        params, has_bias, train = self._fused_params(), self.bias is not None, torch.is_grad_enabled()
        if lengths is None:
            result = op(sequences, tuple(hx) if len(hx) > 1 else hx[0], params, has_bias, 1, 0.0, train, False,
                        True)
            return result[0], [h.squeeze(0) for h in result[1:]]
        packed = rnn_utils.pack_padded_sequence(sequences, lengths, batch_first=True, enforce_sorted=False)
        hx = [h.index_select(1, packed.sorted_indices) for h in hx]
        result = op(packed.data, packed.batch_sizes, tuple(hx) if len(hx) > 1 else hx[0], params, has_bias, 1,
                    0.0, train, False)
        out = rnn_utils.PackedSequence(result[0], packed.batch_sizes, packed.sorted_indices,
                                       packed.unsorted_indices)
        outputs, _ = rnn_utils.pad_packed_sequence(out, batch_first=True, total_length=sequences.shape[1])
        return outputs, [h.index_select(1, packed.unsorted_indices).squeeze(0) for h in result[1:]]

    def _storage_tensors(self):
        """(tensor, number of fused params it holds), in fused-param order."""
        if self.bias is None:
            return [(self.kernel, 1), (self.recurrent_kernel, 1)]
        if self._fused_params()[2] is self.bias:
            return [(self.kernel, 1), (self.recurrent_kernel, 1), (self.bias, 1), (self.zero_bias, 1)]
        return [(self.kernel, 1), (self.recurrent_kernel, 1), (self.bias, 2)]  # GRU: one (2, 3u) bias

    # ------------------------------------------------------------------ Keras cell API

    def call(self, inputs, states, training=None):
        training = self.training if training is None else bool(training)
        states = list(states) if isinstance(states, (list, tuple)) else [states]
        in_mask, rec_mask = self.dropout_masks(inputs, training)
        if in_mask is not None and in_mask.dim() == 2:
            inputs, in_mask = inputs * in_mask, None
        return self.step(self.project(inputs, in_mask), states, rec_mask)

    def get_initial_state(self, batch_size=None, dtype=None, inputs=None):
        """Zero states, (batch, units) each: a list, as Keras 3 gives them; tf.keras 2's keywords
        (inputs, dtype) are accepted, and a tf.keras 2 program gets a single state bare."""
        batch_size, dtype, device = _initial_state_args(self, batch_size, dtype, inputs)
        sizes = self.state_size if isinstance(self.state_size, (list, tuple)) else [self.state_size]
        return _cell_states(self.state_size, [torch.zeros(batch_size, s, dtype=dtype, device=device) for s in sizes])

    def get_config(self):
        config = super().get_config()
        config.update(
            units=self.units,
            activation=activations.serialize(self.activation),
            recurrent_activation=activations.serialize(self.recurrent_activation),
            use_bias=self.use_bias,
            kernel_initializer=initializers.serialize(self.kernel_initializer),
            recurrent_initializer=initializers.serialize(self.recurrent_initializer),
            bias_initializer=initializers.serialize(self.bias_initializer),
            kernel_regularizer=regularizers.serialize(self.kernel_regularizer),
            recurrent_regularizer=regularizers.serialize(self.recurrent_regularizer),
            bias_regularizer=regularizers.serialize(self.bias_regularizer),
            kernel_constraint=constraints.serialize(self.kernel_constraint),
            recurrent_constraint=constraints.serialize(self.recurrent_constraint),
            bias_constraint=constraints.serialize(self.bias_constraint),
            dropout=self.dropout,
            recurrent_dropout=self.recurrent_dropout,
            seed=self.seed,
        )
        return config


def _flatten_for_cudnn(cell, input_size):
    """Put a cell's fused-op weights into one cuDNN-layout buffer, once per device move.

    The Variables stay the same Python objects (optimizers keep their references); only their
    storage becomes a view of the buffer, as nn.LSTM.flatten_parameters does. Without it cuDNN
    copies all weights into such a buffer on every call (and warns about it).
    """
    targets = cell._storage_tensors()
    ptrs = tuple(t.data_ptr() for t, _ in targets)
    if getattr(cell, "_cudnn_ptrs", None) == ptrs or not torch.backends.cudnn.is_acceptable(targets[0][0]):
        return
    params = cell._fused_params()
    mode = {LSTMCell: 2, GRUCell: 3}.get(type(cell), 0 if cell.activation is activations.relu else 1)
    with torch.no_grad():
        tmp = [p.detach().clone() for p in params]
        buf = torch._cudnn_rnn_flatten_weight(tmp, len(tmp), input_size, mode, cell.units, 0, 1, True, False)
        index = 0
        offsets = []
        for tensor, count in targets:
            pieces = tmp[index:index + count]
            start = pieces[0].storage_offset()
            expected = start
            for piece in pieces:  # pieces of one Variable must lie back to back in the buffer
                if piece.storage_offset() != expected:
                    return
                expected += piece.numel()
            offsets.append(start)
            index += count
        storage = buf.untyped_storage()
        for (tensor, _), start in zip(targets, offsets):
            tensor.set_(storage, start, tensor.shape, tensor.stride())
    cell._cudnn_ptrs = tuple(t.data_ptr() for t, _ in targets)


class SimpleRNNCell(_Cell):
    """`h = activation(x @ kernel + bias + h_prev @ recurrent_kernel)`."""

    _seed_before_initializers = True

    def __init__(self, units, activation="tanh", use_bias=True, kernel_initializer="glorot_uniform",
                 recurrent_initializer="orthogonal", bias_initializer="zeros", kernel_regularizer=None,
                 recurrent_regularizer=None, bias_regularizer=None, kernel_constraint=None,
                 recurrent_constraint=None, bias_constraint=None, dropout=0.0, recurrent_dropout=0.0,
                 seed=None, **kwargs):
        super().__init__(units, activation, None, use_bias, kernel_initializer, recurrent_initializer,
                         bias_initializer, kernel_regularizer, recurrent_regularizer, bias_regularizer,
                         kernel_constraint, recurrent_constraint, bias_constraint, dropout, recurrent_dropout,
                         seed, **kwargs)

    def _fused_op(self):
        if self.activation is activations.tanh:
            return torch._VF.rnn_tanh
        if self.activation is activations.relu:
            return torch._VF.rnn_relu
        return None

    def step(self, x_t, states, recurrent_mask=None):
        h = x_t + self.recurrent(states[0], recurrent_mask, self.recurrent_kernel)  # (batch, units)
        h = h if self.activation is None else self.activation(h)  # None: set after construction, as Keras allows
        return h, [h]

    def get_config(self):
        config = super().get_config()
        del config["recurrent_activation"]
        return config


class LSTMCell(_Cell):
    """Keras LSTM cell; gate blocks i, f, c, o (torch's i, f, g, o)."""

    _gates = 4

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", unit_forget_bias=True, kernel_regularizer=None,
                 recurrent_regularizer=None, bias_regularizer=None, kernel_constraint=None,
                 recurrent_constraint=None, bias_constraint=None, dropout=0.0, recurrent_dropout=0.0,
                 seed=None, **kwargs):
        super().__init__(units, activation, recurrent_activation, use_bias, kernel_initializer,
                         recurrent_initializer, bias_initializer, kernel_regularizer, recurrent_regularizer,
                         bias_regularizer, kernel_constraint, recurrent_constraint, bias_constraint, dropout,
                         recurrent_dropout, seed, **kwargs)
        self.unit_forget_bias = bool(unit_forget_bias)
        self.state_size = [self.units, self.units]

    def _bias_initializer(self):
        if not self.unit_forget_bias:
            return self.bias_initializer
        u, init = self.units, self.bias_initializer

        def forget_ones(shape, dtype=None):  # Keras: the forget-gate block starts at 1
            return torch.cat([torch.as_tensor(init((u,), dtype=dtype)), torch.ones(u, dtype=dtype),
                              torch.as_tensor(init((2 * u,), dtype=dtype))])

        return forget_ones

    def _fused_op(self):
        if self.activation is activations.tanh and self.recurrent_activation is activations.sigmoid:
            return torch._VF.lstm
        return None

    def step(self, x_t, states, recurrent_mask=None):
        h, c = states[0], states[1]
        z = x_t + self.recurrent(h, recurrent_mask, self.recurrent_kernel)  # (batch, 4*units)
        i, f, g, o = z.chunk(4, dim=-1)
        act, gate = self.activation, self.recurrent_activation
        c = gate(f) * c + gate(i) * act(g)
        h = gate(o) * act(c)
        return h, [h, c]

    def get_config(self):
        config = super().get_config()
        config["unit_forget_bias"] = self.unit_forget_bias
        return config


class GRUCell(_Cell):
    """Keras GRU cell; Keras gate blocks z, r, h are stored in torch's order r, z, n."""

    _gates = 3
    _perm = (1, 0, 2)

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", kernel_regularizer=None, recurrent_regularizer=None,
                 bias_regularizer=None, kernel_constraint=None, recurrent_constraint=None,
                 bias_constraint=None, dropout=0.0, recurrent_dropout=0.0, reset_after=True, seed=None,
                 **kwargs):
        super().__init__(units, activation, recurrent_activation, use_bias, kernel_initializer,
                         recurrent_initializer, bias_initializer, kernel_regularizer, recurrent_regularizer,
                         bias_regularizer, kernel_constraint, recurrent_constraint, bias_constraint, dropout,
                         recurrent_dropout, seed, **kwargs)
        self.reset_after = bool(reset_after)

    def _bias_shape(self):
        return (2, 3 * self.units) if self.reset_after else (3 * self.units,)

    def _input_bias(self):
        if self.bias is None:
            return None
        return self.bias[0] if self.reset_after else self.bias

    def _fused_params(self):
        if self.bias is None:
            return [self.kernel, self.recurrent_kernel]
        return [self.kernel, self.recurrent_kernel, self.bias[0], self.bias[1]]

    def _fused_op(self):
        if (self.reset_after and self.activation is activations.tanh
                and self.recurrent_activation is activations.sigmoid):
            return torch._VF.gru
        return None

    def step(self, x_t, states, recurrent_mask=None):
        h = states[0]
        u = self.units
        x_r, x_z, x_n = x_t.split(u, dim=-1)
        if self.reset_after:
            # reset gate applied after the recurrent matmul (torch's and cuDNN's convention)
            rec_bias = None if self.bias is None else self.bias[1]
            h_r, h_z, h_n = self.recurrent(h, recurrent_mask, self.recurrent_kernel, rec_bias).split(u, dim=-1)
            r = self.recurrent_activation(x_r + h_r)
            z = self.recurrent_activation(x_z + h_z)
            n = self.activation(x_n + r * h_n)
        else:
            per_gate = recurrent_mask is not None and recurrent_mask.dim() == 3
            rz_mask = recurrent_mask[:2] if per_gate else recurrent_mask
            h_r, h_z = self.recurrent(h, rz_mask, self.recurrent_kernel[:2 * u]).split(u, dim=-1)
            r = self.recurrent_activation(x_r + h_r)
            z = self.recurrent_activation(x_z + h_z)
            n_mask = recurrent_mask[2] if per_gate else recurrent_mask
            h_n = h if n_mask is None else h * n_mask
            n = self.activation(x_n + F.linear(r * h_n, self.recurrent_kernel[2 * u:]))
        h = z * h + (1 - z) * n
        return h, [h]

    def get_config(self):
        config = super().get_config()
        config["reset_after"] = self.reset_after
        return config


def _deserialize_layer(config):
    """A layer (or cell) from its serialized dict; the saving module's deserializer when present."""
    if not isinstance(config, dict):
        return config
    try:
        from keraslite.saving.serialization import deserialize_layer
    except ImportError:
        deserialize_layer = None
    if deserialize_layer is not None:
        return deserialize_layer(config)
    import keraslite.layers as layers_mod
    from keraslite.saving import registry

    name = config.get("class_name")
    cls = registry.get_registered_object(config.get("registered_name") or name) or getattr(layers_mod, name, None)
    if cls is None:
        raise ValueError(f"Unknown layer class {name!r} in config {config}. Register custom layers with "
                         "keraslite.saving.register_keras_serializable or pass custom_objects.")
    return cls.from_config(dict(config.get("config", {})))


def _serialize(obj):
    from keraslite.saving.serialization import serialize_keras_object

    return serialize_keras_object(obj)


class StackedRNNCells(Layer):
    """Cells run one after another at each timestep; the output of one is the input of the next."""

    def __init__(self, cells, **kwargs):
        super().__init__(**kwargs)
        for cell in cells:
            if not hasattr(cell, "call") or not hasattr(cell, "state_size"):
                raise ValueError(f"StackedRNNCells '{self.name}': every cell needs a `call` method and a "
                                 f"`state_size` attribute; received {cell!r}.")
        self.cells = list(cells)  # Layer tracks the cells inside the list (weights, .to(device))

    @property
    def state_size(self):
        return [c.state_size for c in self.cells]

    @property
    def output_size(self):
        last = self.cells[-1]
        if getattr(last, "output_size", None) is not None:
            return last.output_size
        return last.state_size[0] if isinstance(last.state_size, (list, tuple)) else last.state_size

    def build(self, input_shape):
        batch = input_shape[0]
        for cell in self.cells:
            if isinstance(cell, Layer) and not cell.built:
                cell._maybe_build(tuple(input_shape))
            size = getattr(cell, "output_size", None)
            if size is None:
                size = cell.state_size[0] if isinstance(cell.state_size, (list, tuple)) else cell.state_size
            input_shape = (batch, size)

    def get_initial_state(self, batch_size=None, dtype=None, inputs=None):
        """Each cell's zero states, nested per cell as in `call` (tf.keras 2's keywords accepted)."""
        batch_size, dtype, device = _initial_state_args(self, batch_size, dtype, inputs)
        like = torch.empty(0, dtype=dtype, device=device)
        return [_cell_states(c.state_size, _zeros_for(_state_structure(c.state_size), batch_size, like))
                for c in self.cells]

    def call(self, inputs, states, training=None):
        new_states = []
        for cell, cell_states in zip(self.cells, states):
            cell_states = list(cell_states) if isinstance(cell_states, (list, tuple)) else [cell_states]
            kwargs = {"training": training} if isinstance(cell, Layer) and cell._call_accepts_training else {}
            inputs, cell_states = cell(inputs, cell_states, **kwargs)
            cell_states = list(cell_states) if isinstance(cell_states, (list, tuple)) else [cell_states]
            new_states.append(_cell_states(cell.state_size, cell_states))
        return inputs, new_states

    def get_config(self):
        config = super().get_config()
        config["cells"] = [_serialize(c) for c in self.cells]
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        cells = [_deserialize_layer(c) for c in config.pop("cells")]
        return cls(cells, **config)


# ----------------------------------------------------------------------------- the RNN layer

class RNN(Layer):
    """Runs `cell` over the time axis of (batch, time, features) inputs ((time, batch, features)
    with tf.keras 2's `time_major=True`, which also gives sequence outputs time-major).

    Masked timesteps keep the previous output and states (Keras semantics); with
    `zero_output_for_mask` their output is zero instead. Built-in cells with default
    activations and no mask run through torch's fused kernel; everything else runs a Python
    loop over timesteps with the input projection done once for the whole sequence.
    """

    def __init__(self, cell, return_sequences=False, return_state=False, go_backwards=False, stateful=False,
                 unroll=False, zero_output_for_mask=False, **kwargs):
        kwargs = _legacy_rnn_kwargs(kwargs)
        time_major = kwargs.pop("time_major", False)
        if isinstance(cell, (list, tuple)):
            cell = StackedRNNCells(cell)
        if not hasattr(cell, "call") or getattr(cell, "state_size", None) is None:
            raise ValueError(f"{type(self).__name__}: `cell` needs a `call(inputs, states)` method and a "
                             f"`state_size` attribute (an int, or a list of ints, one per state); "
                             f"received cell={cell!r}.")
        state_size = cell.state_size
        if not isinstance(state_size, (int, list, tuple)):
            raise ValueError(f"{type(self).__name__}: cell.state_size must be an int or a list of ints; "
                             f"received {state_size!r}.")
        super().__init__(**kwargs)
        self.cell = cell
        self.return_sequences = bool(return_sequences)
        self.return_state = bool(return_state)
        self.go_backwards = bool(go_backwards)
        self.stateful = bool(stateful)
        self.unroll = bool(unroll)  # accepted for compatibility; the loop is the same either way
        self.zero_output_for_mask = bool(zero_output_for_mask)
        self.time_major = bool(time_major)
        self.supports_masking = True
        self.states = None

    @property
    def state_size(self):
        return _state_structure(self.cell.state_size)

    # ------------------------------------------------------------------ build

    def __call__(self, *args, **kwargs):
        if not self.built and args:
            # An eager call hands build() a list of shapes whether the inputs were a tuple
            # (nested) or a list ([sequences, *initial_states]); remember which it was.
            self._nested_build = self._nested(args[0])
        return super().__call__(*args, **kwargs)

    def build(self, input_shape):
        if self.time_major:
            input_shape = self._batch_major_shape(input_shape)
        if self._nested(input_shape) or (getattr(self, "_nested_build", False)
                                         and isinstance(input_shape, (list, tuple))):  # tf.keras 2: a tuple of sequences for a cell taking nested inputs
            shapes = [tuple(sh) for sh in input_shape]
            for sh in shapes:
                self._check_rank(sh)
            shape = shapes[0]
            step_shapes = [(sh[0],) + sh[2:] for sh in shapes]
        else:
            shape = _shape_list(input_shape)
            self._check_rank(shape)
            step_shapes = (shape[0],) + tuple(shape[2:])
        if isinstance(self.cell, Layer) and not self.cell.built:
            self.cell._maybe_build(step_shapes)
        if isinstance(self.cell, Layer):
            for layer in self.cell._flatten_layers():
                for v in layer._variables:
                    if not v._keras_path.startswith(self.name + "/"):
                        v._keras_path = f"{self.name}/{v._keras_path}"
        if self.stateful:
            if shape[0] is None:
                raise ValueError(f"{type(self).__name__} '{self.name}' is stateful, so its batch size must be "
                                 f"fixed; received input shape {shape}. Pass batch_size= to Input (or "
                                 "batch_input_shape= to the first layer).")
            self._stateful_batch = shape[0]
            if self._carried_states() is None:  # as Keras, a stateful layer has its (zero) states once built
                self.states = _flatten(self.get_initial_state(shape[0], self._state_like()))

    def _batch_major_shape(self, input_shape):
        """The shape(s) of time-major sequences, (time, batch, ...), as (batch, time, ...); the
        shapes of initial states given with them ([sequences, *states]) stay as they are."""
        def swap(shape):
            shape = tuple(shape)
            return (shape[1], shape[0]) + shape[2:] if len(shape) >= 2 else shape

        if not (isinstance(input_shape, (list, tuple)) and input_shape
                and isinstance(input_shape[0], (list, tuple, torch.Size))):
            return swap(input_shape)
        every = self._nested(input_shape) or getattr(self, "_nested_build", False)
        return [swap(sh) if i == 0 or every else tuple(sh) for i, sh in enumerate(input_shape)]

    def _nested(self, inputs):
        """True for tf.keras 2's nested input: a tuple (not a list, which is Keras 2's
        [sequences, *initial_states]) of (batch, time, ...) sequences or their shapes, for a
        cell of the user's own."""
        if not isinstance(inputs, tuple) or len(inputs) < 2 or isinstance(self.cell, (_Cell, StackedRNNCells)):
            return False
        if getattr(self.cell, "step_output_shape", None) is not None:
            return False
        ranks = [len(x) if isinstance(x, (tuple, list, torch.Size)) else getattr(x, "ndim", None) for x in inputs]
        return all(isinstance(r, int) and r >= 3 for r in ranks)

    def _check_rank(self, shape):
        if len(shape) < 3:
            raise ValueError(f"Input 0 of layer '{self.name}' ({type(self).__name__}) is incompatible with the "
                             f"layer: expected ndim=3 (batch, timesteps, features), found ndim={len(shape)}. "
                             f"Full shape received: {tuple(shape)}. Reshape the input to (batch, timesteps, "
                             "features), e.g. with Reshape or an Embedding layer.")

    # ------------------------------------------------------------------ states

    def get_initial_state(self, batch_size, like=None):
        if isinstance(batch_size, torch.Tensor) and batch_size.ndim >= 1:
            # tf.keras 2's form: get_initial_state(inputs) -- zeros for the inputs' batch
            like = batch_size if like is None and batch_size.is_floating_point() else like
            batch_size = int(batch_size.shape[0])
        like = like if like is not None else torch.empty(0)
        get = getattr(self.cell, "get_initial_state", None)
        if isinstance(self.cell, (_Cell, StackedRNNCells)) or get is None:
            return _zeros_for(self.state_size, batch_size, like)
        kwargs = {"batch_size": batch_size}
        if "dtype" in _parameters(get):  # tf.keras 2's get_initial_state(inputs=None, batch_size=None, dtype=None)
            kwargs["dtype"] = like.dtype if like.numel() or like.is_floating_point() else torch.float32
        states = get(**kwargs)
        return list(states) if isinstance(states, (list, tuple)) else [states]

    def _carried_states(self):
        """The states a stateful layer carries, or None before any real call. States of fake
        tensors (left by shape tracing) hold no values and count as none."""
        if self.states is None or any(_is_fake(s) for s in self.states):
            return None
        return self.states

    def reset_state(self, states=None):
        """Zero the carried states of a stateful layer, or set them to `states` (arrays)."""
        if not self.stateful:
            return  # Keras 3: nothing to reset on a stateless layer
        current = self._carried_states()
        if states is None:  # zeros; a layer not yet called starts from zeros anyway
            self.states = None if current is None else [torch.zeros_like(s) for s in current]
            return
        if current is None:
            raise ValueError(f"Layer '{self.name}' has no states to set yet: it has never been built. Call it "
                             "or build it (with a fixed batch size) first.")
        values = _flatten_values(states)
        if len(values) != len(current):
            raise ValueError(f"Layer '{self.name}' expects {len(current)} state arrays; received "
                             f"{len(values)}.")
        new = []
        for s, v in zip(current, values):
            v = torch.as_tensor(v, dtype=s.dtype, device=s.device)
            if tuple(v.shape) != tuple(s.shape):
                raise ValueError(f"Layer '{self.name}': state has shape {tuple(s.shape)}, but the value given "
                                 f"has shape {tuple(v.shape)}.")
            new.append(v)
        self.states = new

    def reset_states(self, states=None):
        self.reset_state(states)

    def _state_like(self):
        """An empty tensor of the dtype and device of the cell's weights (float32 on the CPU for
        a cell without weights), for states made without inputs."""
        weights = self.cell.weights if isinstance(self.cell, Layer) else []
        w = next((w for w in weights if w.is_floating_point()), None)
        return torch.empty(0) if w is None else torch.empty(0, dtype=w.dtype, device=w.device)

    def _initial_states(self, inputs, initial_state):
        batch = inputs.shape[0]
        structure = self.get_initial_state(batch, inputs)
        if initial_state is not None:
            flat = _flatten(initial_state if isinstance(initial_state, (list, tuple)) else [initial_state])
            n = len(_flatten(structure))
            if len(flat) != n:
                raise ValueError(f"Layer '{self.name}' has {n} state(s) but received {len(flat)} initial "
                                 f"state tensor(s).")
            return _pack(structure, [torch.as_tensor(s).to(inputs.dtype) for s in flat])
        if self.stateful:
            if batch != self._stateful_batch:
                raise ValueError(f"Layer '{self.name}' is stateful with batch size {self._stateful_batch}, "
                                 f"but received a batch of {batch} (input shape {tuple(inputs.shape)}). "
                                 "Feed batches of the fixed size (drop the remainder or pad it).")
            if self._carried_states() is None:  # first call, or after a build that only traced shapes
                if _is_fake(inputs):
                    return structure  # shape tracing: nothing to carry, and fake states must not stay
                self.states = _flatten(structure)
            elif self.states[0].device != inputs.device:  # the model moved to another device
                self.states = [s.to(inputs.device) for s in self.states]
            if not torch.is_inference_mode_enabled() and any(s.is_inference() for s in self.states):
                # States carried over from predict() (run under inference_mode) cannot enter a
                # graph that autograd records: a plain copy can (predict, then keep training).
                self.states = [s.clone() for s in self.states]
            return _pack(structure, self.states)
        return structure

    # ------------------------------------------------------------------ call

    def call(self, inputs, initial_state=None, mask=None, training=None):
        if not self.time_major:
            return self._call(inputs, initial_state, mask, training)
        # tf.keras 2's time_major: sequences (time, batch, ...) in and out, the mask (time, batch);
        # states stay (batch, ...). The time loop runs on (batch, time, ...) views.
        def swap(x):
            return _pack(x, [t.transpose(0, 1) for t in _flatten(x)])

        if self._nested(inputs):
            inputs = tuple(swap(x) for x in inputs)
        elif isinstance(inputs, (list, tuple)):  # Keras 2: [sequences, *initial_states]
            inputs = [swap(inputs[0])] + list(inputs[1:])
        else:
            inputs = swap(inputs)
        if isinstance(mask, (list, tuple)):
            mask = mask[0]
        result = self._call(inputs, initial_state, None if mask is None else swap(mask), training)
        if not self.return_sequences:
            return result
        return [swap(result[0])] + result[1:] if self.return_state else swap(result)

    def _call(self, inputs, initial_state, mask, training):
        if self._nested(inputs):
            return self._call_nested(inputs, initial_state, mask, training)
        if isinstance(inputs, (list, tuple)):  # Keras 2: [sequences, *initial_states]
            inputs, extra = inputs[0], list(inputs[1:])
            initial_state = extra or initial_state
        if isinstance(mask, (list, tuple)):
            mask = mask[0]
        self._check_rank(tuple(inputs.shape))
        training = self.training if training is None else bool(training)
        cell = self.cell
        if isinstance(cell, _Cell):
            if inputs.shape[-1] != cell.kernel.shape[1]:
                raise ValueError(f"Input 0 of layer '{self.name}' is incompatible with the layer: expected "
                                 f"axis -1 of input shape to have value {cell.kernel.shape[1]}, but received "
                                 f"input with shape {tuple(inputs.shape)}.")
            if inputs.dtype != cell.kernel.dtype:
                inputs = inputs.to(cell.kernel.dtype)
        states = self._initial_states(inputs, initial_state)

        if mask is not None:
            mask = mask.to(device=inputs.device, dtype=torch.bool)
            if _all_true(mask):
                mask = None
        sequences = inputs.flip(1) if self.go_backwards else inputs  # Keras returns outputs in this order
        if mask is not None and self.go_backwards:
            mask = mask.flip(1)

        outputs, last_output, new_states = self._run(sequences, states, mask, training)

        if self.stateful and not any(_is_fake(s) for s in _flatten(new_states)):  # not while tracing shapes
            self.states = [s.detach() for s in _flatten(new_states)]
        output = outputs if self.return_sequences else last_output
        if self.return_state:
            return [output] + list(new_states)
        return output

    def _call_nested(self, inputs, initial_state, mask, training):
        """A cell whose step takes a tuple of per-step inputs, (batch, ...) each, and may return
        a nested output; every sequence shares the time axis."""
        sequences = list(inputs)
        steps = sequences[0].shape[1]
        for i, seq in enumerate(sequences):
            if seq.shape[1] != steps or seq.shape[0] != sequences[0].shape[0]:
                raise ValueError(f"Layer '{self.name}' ({type(self).__name__}) received nested inputs whose "
                                 f"batch and time axes differ: input 0 has shape {tuple(sequences[0].shape)}, "
                                 f"input {i} has shape {tuple(seq.shape)}. Every sequence needs the same "
                                 "(batch, timesteps).")
        training = self.training if training is None else bool(training)
        if isinstance(mask, (list, tuple)):
            mask = mask[0]
        states = self._initial_states(sequences[0], initial_state)
        if self.go_backwards:
            sequences = [seq.flip(1) for seq in sequences]
        if mask is not None:
            mask = mask.to(device=sequences[0].device, dtype=torch.bool)
            mask = None if _all_true(mask) else (mask.flip(1) if self.go_backwards else mask)
        kwargs = {}
        if isinstance(self.cell, Layer) and self.cell._call_accepts_training:
            kwargs["training"] = training
        call = self.cell if callable(self.cell) else self.cell.call
        per_step, prev = [], None
        for t in range(steps):
            output, new_states = call(tuple(seq[:, t] for seq in sequences), states, **kwargs)
            new_states = list(new_states) if isinstance(new_states, (list, tuple)) else [new_states]
            if mask is not None:
                keep = mask[:, t]  # (batch,)
                flat_out = _flatten(output)
                if prev is None or self.zero_output_for_mask:
                    prev = [torch.zeros_like(o) for o in flat_out]
                output = _pack(output, [_keep_where(keep, o, p) for o, p in zip(flat_out, prev)])
                new_states = _pack(new_states, [_keep_where(keep, n, o) for n, o in
                                                zip(_flatten(new_states), _flatten(states))])
            states = new_states
            prev = _flatten(output)
            per_step.append(output)
        if self.stateful and not any(_is_fake(s) for s in _flatten(states)):
            self.states = [s.detach() for s in _flatten(states)]
        if self.return_sequences:  # each output stacked over time: (batch, time, ...)
            flat = [torch.stack([_flatten(o)[i] for o in per_step], dim=1) for i in range(len(prev))]
            output = _pack(per_step[-1], flat)
        else:
            output = per_step[-1]
        if isinstance(output, tuple):
            output = list(output)
        if self.return_state:
            return [output] + list(states)
        return output

    def _run(self, sequences, states, mask, training):
        """(outputs (batch, time, units), last output (batch, units), final states)."""
        _begin_sequence(self.cell, sequences[:, 0])
        try:
            return self._run_cell(sequences, states, mask, training)
        finally:
            _end_sequence(self.cell)

    def _run_cell(self, sequences, states, mask, training):
        cell = self.cell
        if isinstance(cell, _Cell):
            in_mask, rec_mask = cell.dropout_masks(sequences[:, 0], training)
            if in_mask is not None and in_mask.dim() == 2:
                sequences, in_mask = sequences * in_mask.unsqueeze(1), None  # same mask at every timestep
            if mask is None and in_mask is None:
                fused = cell.fused(sequences, states, rec_mask)
                if fused is not None:
                    outputs, new_states = fused
                    # The final hidden state is the last output, bit for bit; taking it from the
                    # states spares backward a sequence-sized zero gradient when only the last
                    # output is used (return_sequences=False).
                    return outputs, new_states[0], new_states
            elif mask is not None and cell._fused_op() is not None and rec_mask is None and in_mask is None:
                lengths = _padded_lengths(mask, self.go_backwards)
                if lengths is not None:
                    return self._run_padded(sequences, states, lengths)
            # (batch, time, gates*units), one matmul for all steps, split into steps once: the
            # backward of one `projected[:, t]` per step would build (and zero) a gradient of the
            # whole sequence per step, which is quadratic in the length.
            projected = cell.project(sequences, in_mask).unbind(1)

            def step(t, s):
                return cell.step(projected[t], s, rec_mask)
        else:
            kwargs = {}
            if isinstance(cell, Layer) and cell._call_accepts_training:
                kwargs["training"] = training
            call = cell if callable(cell) else cell.call
            inputs = sequences.unbind(1) if isinstance(sequences, torch.Tensor) else None

            def step(t, s):
                out, new = call(inputs[t] if inputs is not None else sequences[:, t], s, **kwargs)
                return out, (list(new) if isinstance(new, (list, tuple)) else [new])

        outputs = []
        prev_output = None
        for t in range(sequences.shape[1]):
            output, new_states = step(t, states)
            if mask is not None:
                keep = mask[:, t]  # (batch,)
                if prev_output is None or self.zero_output_for_mask:
                    prev_output = torch.zeros_like(output)
                output = _keep_where(keep, output, prev_output)
                flat = [_keep_where(keep, n, o) for n, o in zip(_flatten(new_states), _flatten(states))]
                new_states = _pack(new_states, flat)
            states = new_states
            prev_output = output
            outputs.append(output)
        return torch.stack(outputs, dim=1), outputs[-1], states

    def _run_padded(self, sequences, states, lengths):
        """Padded batches through the fused kernel, with Keras's masking results.

        `sequences` are in processing order. Forwards, each sample's valid steps come first
        (right padding); with go_backwards they come last, so they are gathered to the front in
        processing order, run, and put back behind the masked steps, whose outputs are zero.
        """
        cell = self.cell
        batch, time = sequences.shape[0], sequences.shape[1]
        lens = lengths.to(sequences.device)
        steps = torch.arange(time, device=sequences.device)
        if self.go_backwards:
            start = time - lens[:, None]  # (batch, 1): first valid step in processing order
            index = (start + steps).clamp(max=time - 1)  # (batch, time)
            sequences = sequences.gather(1, index.unsqueeze(-1).expand(-1, -1, sequences.shape[-1]))
        outputs, new_states = cell.fused(sequences, states, None, lengths)  # zeros past each length
        units = outputs.shape[-1]
        if self.go_backwards:
            shift = steps - start  # (batch, time): position within the valid run
            outputs = outputs.gather(1, shift.clamp(min=0).unsqueeze(-1).expand(-1, -1, units))
            outputs = torch.where((shift >= 0).unsqueeze(-1), outputs, torch.zeros_like(outputs))
        elif not self.zero_output_for_mask:
            # masked steps repeat the last valid output
            last = outputs.gather(1, (lens - 1).view(batch, 1, 1).expand(-1, 1, units))
            outputs = torch.where((steps < lens[:, None]).unsqueeze(-1), outputs, last)
        return outputs, outputs[:, -1], new_states

    # ------------------------------------------------------------------ shapes, masks, config

    def compute_output_shape(self, input_shape, initial_state_shape=None):
        shape = tuple(input_shape[0]) if self._nested(input_shape) else _shape_list(input_shape)
        batch, steps = (shape[1], shape[0]) if self.time_major else (shape[0], shape[1])
        sequence = (steps, batch) if self.time_major else (batch, steps)
        frame = getattr(self.cell, "step_output_shape", None)
        if frame is not None:  # cells over frames (ConvLSTM): output and every state share one shape
            step = tuple(frame((batch,) + tuple(shape[2:])))
            output = sequence + step[1:] if self.return_sequences else step
            return [output] + [step] * len(_flatten_sizes(self.state_size)) if self.return_state else output
        size = getattr(self.cell, "output_size", None)
        if size is None:
            first = _flatten_sizes(self.state_size)
            size = first[0]
        lead = sequence if self.return_sequences else (batch,)
        if isinstance(size, (list, tuple)) and not isinstance(size, torch.Size):  # a nested output
            output = [lead + _sample_dims(s) for s in _flatten_sizes(_state_structure(size))]
        else:
            output = lead + _sample_dims(size)
        if self.return_state:
            return [output] + [(batch,) + _sample_dims(s) for s in _flatten_sizes(self.state_size)]
        return output

    def compute_mask(self, inputs, mask=None):
        if isinstance(mask, (list, tuple)):
            mask = mask[0]
        output_mask = mask if self.return_sequences else None
        if self.return_state:
            return [output_mask] + [None] * len(_flatten_sizes(self.state_size))
        return output_mask

    def get_config(self):
        config = super().get_config()
        config.update(
            return_sequences=self.return_sequences,
            return_state=self.return_state,
            go_backwards=self.go_backwards,
            stateful=self.stateful,
            unroll=self.unroll,
            zero_output_for_mask=self.zero_output_for_mask,
        )
        if self.time_major:  # tf.keras 2's key; Keras 3 has no such argument
            config["time_major"] = True
        if type(self) is RNN:
            config["cell"] = _serialize(self.cell)
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if "cell" in config:
            cell = config.pop("cell")
            cell = [_deserialize_layer(c) for c in cell] if isinstance(cell, list) else _deserialize_layer(cell)
            return cls(cell, **config)
        return cls(**config)


def _padded_lengths(mask, reversed_padding):
    """Per-sample counts of valid steps (CPU int64) when `mask` (batch, time), in processing
    order, is plain padding: valid steps first (or last, for go_backwards) and at least one
    per sample. None otherwise (then the timestep loop handles the mask)."""
    try:
        lengths = mask.sum(dim=1)
        steps = torch.arange(mask.shape[1], device=mask.device)
        if reversed_padding:
            expected = steps[None] >= (mask.shape[1] - lengths)[:, None]
        else:
            expected = steps[None] < lengths[:, None]
        if not torch.equal(expected, mask) or int(lengths.min()) < 1:
            return None
        return lengths.to("cpu", torch.int64)
    except Exception:  # shape-only tracing (fake tensors) has no values
        return None


def _flatten_sizes(structure):
    if isinstance(structure, (int, torch.Size)):
        return [structure]
    return [s for x in structure for s in _flatten_sizes(x)]


def _flatten_values(states):
    if isinstance(states, (list, tuple)):
        return [v for s in states for v in _flatten_values(s)]
    return [states]


def _legacy_rnn_kwargs(kwargs):
    """Keras 1/2 arguments of recurrent layers: input_length/input_dim, forget_bias_init."""
    kwargs = dict(kwargs)
    kwargs.pop("forget_bias_init", None)  # Keras 1: the forget-gate bias init; unit_forget_bias covers it
    input_length = kwargs.pop("input_length", None)
    input_dim = kwargs.pop("input_dim", None)
    has_shape = any(kwargs.get(k) is not None for k in ("input_shape", "batch_input_shape", "batch_shape"))
    if (input_length is not None or input_dim is not None) and not has_shape:
        # Keras 1: LSTM(3, input_dim=1, input_length=5) reads (batch, 5, 1) sequences.
        kwargs["input_shape"] = (input_length, input_dim)
    return kwargs


class _KerasRNN(RNN):
    """SimpleRNN / LSTM / GRU: an RNN that makes its own cell; arguments forward to the cell."""

    _cell_class = None
    _cell_name = None
    _cell_args = ()

    def __init__(self, cell_kwargs, return_sequences=False, return_state=False, go_backwards=False,
                 stateful=False, unroll=False, activity_regularizer=None, use_cudnn="auto", **kwargs):
        if use_cudnn not in ("auto", True, False):
            raise ValueError(f"{type(self).__name__}: use_cudnn must be 'auto', True or False; received "
                             f"{use_cudnn!r}.")
        kwargs = _legacy_rnn_kwargs(kwargs)
        cell_kwargs["implementation"] = kwargs.pop("implementation", 2)
        cell = self._cell_class(dtype=kwargs.get("dtype"), trainable=kwargs.get("trainable", True),
                                name=self._cell_name, **cell_kwargs)
        super().__init__(cell, return_sequences=return_sequences, return_state=return_state,
                         go_backwards=go_backwards, stateful=stateful, unroll=unroll,
                         activity_regularizer=activity_regularizer, **kwargs)
        self.use_cudnn = use_cudnn

    def __getattr__(self, name):
        # units, activation, kernel_initializer, ... are the cell's (as in Keras).
        if name in type(self)._cell_args:
            return getattr(self._modules["cell"], name)
        return super().__getattr__(name)

    def get_config(self):
        config = super().get_config()
        cell_config = self.cell.get_config()
        for key in ("name", "trainable", "dtype", "batch_input_shape"):
            cell_config.pop(key, None)
        config.update(cell_config)
        config["activity_regularizer"] = regularizers.serialize(self.activity_regularizer)
        return config


_COMMON_ARGS = ("units", "activation", "use_bias", "kernel_initializer", "recurrent_initializer",
                "bias_initializer", "kernel_regularizer", "recurrent_regularizer", "bias_regularizer",
                "kernel_constraint", "recurrent_constraint", "bias_constraint", "dropout", "recurrent_dropout",
                "seed")


class SimpleRNN(_KerasRNN):
    """Fully-connected RNN where the output is fed back as the next input."""

    _cell_class = SimpleRNNCell
    _cell_name = "simple_rnn_cell"
    _cell_args = _COMMON_ARGS

    def __init__(self, units, activation="tanh", use_bias=True, kernel_initializer="glorot_uniform",
                 recurrent_initializer="orthogonal", bias_initializer="zeros", kernel_regularizer=None,
                 recurrent_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, recurrent_constraint=None, bias_constraint=None, dropout=0.0,
                 recurrent_dropout=0.0, return_sequences=False, return_state=False, go_backwards=False,
                 stateful=False, unroll=False, seed=None, **kwargs):
        cell_kwargs = dict(units=units, activation=activation, use_bias=use_bias,
                           kernel_initializer=kernel_initializer, recurrent_initializer=recurrent_initializer,
                           bias_initializer=bias_initializer, kernel_regularizer=kernel_regularizer,
                           recurrent_regularizer=recurrent_regularizer, bias_regularizer=bias_regularizer,
                           kernel_constraint=kernel_constraint, recurrent_constraint=recurrent_constraint,
                           bias_constraint=bias_constraint, dropout=dropout, recurrent_dropout=recurrent_dropout,
                           seed=seed)
        super().__init__(cell_kwargs, return_sequences=return_sequences, return_state=return_state,
                         go_backwards=go_backwards, stateful=stateful, unroll=unroll,
                         activity_regularizer=activity_regularizer, **kwargs)


class LSTM(_KerasRNN):
    """Long Short-Term Memory layer (Hochreiter 1997)."""

    _cell_class = LSTMCell
    _cell_name = "lstm_cell"
    _cell_args = _COMMON_ARGS + ("recurrent_activation", "unit_forget_bias")

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", unit_forget_bias=True, kernel_regularizer=None,
                 recurrent_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, recurrent_constraint=None, bias_constraint=None, dropout=0.0,
                 recurrent_dropout=0.0, seed=None, return_sequences=False, return_state=False,
                 go_backwards=False, stateful=False, unroll=False, use_cudnn="auto", implementation=2,
                 **kwargs):
        cell_kwargs = dict(units=units, activation=activation, recurrent_activation=recurrent_activation,
                           use_bias=use_bias, kernel_initializer=kernel_initializer,
                           recurrent_initializer=recurrent_initializer, bias_initializer=bias_initializer,
                           unit_forget_bias=unit_forget_bias, kernel_regularizer=kernel_regularizer,
                           recurrent_regularizer=recurrent_regularizer, bias_regularizer=bias_regularizer,
                           kernel_constraint=kernel_constraint, recurrent_constraint=recurrent_constraint,
                           bias_constraint=bias_constraint, dropout=dropout, recurrent_dropout=recurrent_dropout,
                           seed=seed)
        super().__init__(cell_kwargs, return_sequences=return_sequences, return_state=return_state,
                         go_backwards=go_backwards, stateful=stateful, unroll=unroll,
                         activity_regularizer=activity_regularizer, use_cudnn=use_cudnn,
                         implementation=implementation, **kwargs)


class GRU(_KerasRNN):
    """Gated Recurrent Unit (Cho et al. 2014); reset_after=True is the cuDNN-compatible variant."""

    _cell_class = GRUCell
    _cell_name = "gru_cell"
    _cell_args = _COMMON_ARGS + ("recurrent_activation", "reset_after")

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", kernel_regularizer=None, recurrent_regularizer=None,
                 bias_regularizer=None, activity_regularizer=None, kernel_constraint=None,
                 recurrent_constraint=None, bias_constraint=None, dropout=0.0, recurrent_dropout=0.0, seed=None,
                 return_sequences=False, return_state=False, go_backwards=False, stateful=False, unroll=False,
                 reset_after=True, use_cudnn="auto", implementation=2, **kwargs):
        cell_kwargs = dict(units=units, activation=activation, recurrent_activation=recurrent_activation,
                           use_bias=use_bias, kernel_initializer=kernel_initializer,
                           recurrent_initializer=recurrent_initializer, bias_initializer=bias_initializer,
                           kernel_regularizer=kernel_regularizer, recurrent_regularizer=recurrent_regularizer,
                           bias_regularizer=bias_regularizer, kernel_constraint=kernel_constraint,
                           recurrent_constraint=recurrent_constraint, bias_constraint=bias_constraint,
                           dropout=dropout, recurrent_dropout=recurrent_dropout, reset_after=reset_after,
                           seed=seed)
        super().__init__(cell_kwargs, return_sequences=return_sequences, return_state=return_state,
                         go_backwards=go_backwards, stateful=stateful, unroll=unroll,
                         activity_regularizer=activity_regularizer, use_cudnn=use_cudnn,
                         implementation=implementation, **kwargs)


# Keras 2.1-2.3's cuDNN-only layers. Their math is LSTM's and GRU's with the Keras 3 defaults
# (tanh, sigmoid gates; GRU with reset_after=True), which is what these compute on any device.
CuDNNLSTM, CuDNNGRU = LSTM, GRU


def _parameters(fn):
    try:
        return inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return {}
