"""Functional graphs: symbolic calls on KerasTensors, shape inference, and the Functional model.

Owns: what happens when a layer is called on KerasTensors (`call_symbolic`: build the layer,
infer output shapes, record a `Node`), arithmetic on KerasTensors (`symbolic_op`), turning
(inputs, outputs) into a runnable graph (`init_graph`), running it (`run_graph`), the
Functional config (Keras 3 form written; Keras 2 and Keras 3 forms read), and the symbolic
inputs/outputs a Sequential model shows (`sequential_inputs` / `sequential_outputs`).

Leaves to others: the layers' math, training (keraslite.training), files (keraslite.saving),
the summary table (keraslite.utils.summary).

Shape inference runs a layer's real `call` on fake tensors (torch's FakeTensorMode: shapes
and dtypes only, no memory, no compute), so no layer needs a hand-written
compute_output_shape. Dimensions unknown before the data arrives (None) are found by tracing
at two different sizes: the output dimensions that change with them are None.

Execution walks a list of steps computed once when the graph is made: each step holds the
layer, where its inputs sit in a flat list of values, and where its outputs go. A call does
no graph analysis and builds no dicts.
"""
import collections
import contextlib
import functools
import inspect
import logging
import threading
import warnings

import numpy as np
import torch
from torch import nn
from torch._subclasses.fake_tensor import FakeTensorMode

from keraslite import backend
from keraslite.layers.input_layer import Input, InputLayer
from keraslite.layers.keras_tensor import KerasTensor
from keraslite.layers.layer import Layer
from keraslite.models.model import Model
from keraslite.utils import rng

__all__ = ["Functional"]

_SENTINELS = (5, 7)
# Unknown non-batch sizes (sequence lengths) traced again at these when the small sentinels fail:
# a stack of strided convolutions or poolings on `Input(shape=(None, ...))` needs long inputs.
_LONG_SENTINELS = (509, 613)


# ----------------------------------------------------------------------------- shape inference

_FAKE_MODE = threading.local()
# Traces one FakeTensorMode serves before a fresh one replaces it: a mode remembers the
# constants made in it, and a process may build models for as long as it runs.
_FAKE_MODE_TRACES = 1000


@contextlib.contextmanager
def _fake_tensors():
    """torch's FakeTensorMode, with its logger quiet: it logs a traceback for every operation
    it cannot run before raising, and keraslite turns those errors into its own messages.
    A thread's traces share one mode (making one records a stack trace)."""
    state = _FAKE_MODE
    if not getattr(state, "depth", 0) and getattr(state, "traces", _FAKE_MODE_TRACES) >= _FAKE_MODE_TRACES:
        state.mode, state.traces = FakeTensorMode(allow_non_fake_inputs=True), 0
    state.traces += 1
    state.depth = getattr(state, "depth", 0) + 1
    logger = logging.getLogger("torch._subclasses.fake_tensor")
    disabled, logger.disabled = logger.disabled, True
    try:
        with state.mode:
            yield
    finally:
        state.depth -= 1
        logger.disabled = disabled


def _shape_with(shape, fill, long_fill=None):
    """`shape` with None replaced: the batch dim (first) by `fill`, the others by `long_fill`
    (or `fill` when not given)."""
    other = fill if long_fill is None else long_fill
    return tuple((fill if i == 0 else other) if d is None else d for i, d in enumerate(shape))


def _unknown_beyond_batch(shapes):
    return any(_is_shape(s) and None in tuple(s)[1:] for s in shapes)


def _traced_twice(run, shapes, per_sample=False):
    """Two traced output specs of `run(fill, long_fill)` whose equal dims are the static ones.

    The batch and unknown dims are traced at two short sentinel sizes; with `per_sample` (only
    the batch dim unknown, and outputs whose batch dim follows it while their other dims do
    not depend on it, see _per_sample_call) the second spec is the first one at the second
    batch size, without a second trace. When a non-batch size
    (a sequence length) is unknown, it is traced at two long sizes too where the short traces
    fail (a strided Conv1D stack needs longer inputs) or leave an inner output dim the same in
    both (pooling can shrink both short lengths to one step, making an unknown length look
    static). Dims that differ between any of the traces come back unknown; the long traces
    are skipped when the layer cannot take them (a position embedding sized for short
    sequences)."""
    unknown = any(_is_shape(s) and None in tuple(s) for s in shapes)
    long_needed = _unknown_beyond_batch(shapes)
    try:
        first = run(_SENTINELS[0], None)
        second = first
        if unknown:
            second = _rebatched(first, _SENTINELS[0], _SENTINELS[1]) if per_sample else None
            if second is None:
                second = run(_SENTINELS[1], None)
    except Exception as short_error:
        if long_needed:
            try:
                return run(_SENTINELS[0], _LONG_SENTINELS[0]), run(_SENTINELS[1], _LONG_SENTINELS[1])
            except Exception:
                pass
        if unknown:
            # A call that fixes the batch itself (Keras 2 WGAN-GP's RandomWeightedAverage draws
            # K.random_uniform((batch_size, 1, 1, 1))) broadcasts against a batch of one; its
            # output then has that batch size statically, as TensorFlow's shape inference gave.
            try:
                only = run(1, None)
                return only, only
            except Exception:
                pass
        raise short_error
    if not long_needed or not _static_inner_dim(first, second):
        return first, second
    try:
        longs = [run(_SENTINELS[0], _LONG_SENTINELS[0]), run(_SENTINELS[1], _LONG_SENTINELS[1])]
        return first, _unknown_where_different(second, [first] + longs)
    except Exception:
        return first, second


def _rebatched(spec, fill, batch):
    """Traced output specs `spec` with the batch dim `fill` of every output (and mask) set to
    `batch`; None when an output's first dim is not `fill`."""
    def shape(s):
        if not s or s[0] != fill:
            raise LookupError
        return (batch,) + tuple(s[1:])

    def walk(s):
        if isinstance(s, _Spec):
            return _Spec((shape(s[0]), s[1], None if s[2] is None else (shape(s[2][0]), s[2][1])))
        if isinstance(s, dict):
            return {k: walk(v) for k, v in s.items()}
        if isinstance(s, (list, tuple)):
            return type(s)(walk(v) for v in s)
        return s

    try:
        return walk(spec)
    except LookupError:
        return None


def _static_inner_dim(first, second):
    """Whether an output of rank >= 3 kept a dim between batch and features (a length) the
    same in both short traces: with an unknown input length that may be a real static size,
    or two short lengths pooled down to the same one. Only then are long traces needed
    (layers that keep or drop the length, as RNNs do, are not traced again at long lengths,
    which would cost a Python loop over hundreds of steps)."""
    def shape_of(s):
        return s[0] if isinstance(s, _Spec) else s if isinstance(s, tuple) and _is_shape(s) else None

    def walk(a, b):
        sa, sb = shape_of(a), shape_of(b)
        if sa is not None and sb is not None:
            return len(sa) >= 3 and len(sa) == len(sb) and any(sa[i] == sb[i] for i in range(1, len(sa) - 1))
        if isinstance(a, dict):
            return any(walk(a[k], b[k]) for k in a)
        if isinstance(a, (list, tuple)):
            return any(walk(x, y) for x, y in zip(a, b))
        return False

    return walk(first, second)


def _unknown_where_different(spec, others):
    """`spec` with -1 in every dim where one of `others` (same structure) has another size."""
    def shape_of(s):
        return s[0] if isinstance(s, _Spec) else s

    def mark(shape, other_shapes):
        return tuple(-1 if any(len(o) != len(shape) or o[i] != d for o in other_shapes) else d
                     for i, d in enumerate(shape))

    if isinstance(spec, _Spec):
        mask = spec[2]
        if mask is not None and all(isinstance(o, _Spec) and o[2] is not None for o in others):
            mask = (mark(mask[0], [o[2][0] for o in others]), mask[1])
        return _Spec((mark(spec[0], [shape_of(o) for o in others]), spec[1], mask))
    if isinstance(spec, tuple) and _is_shape(spec):
        return mark(spec, others)
    if isinstance(spec, dict):
        return {k: _unknown_where_different(v, [o[k] for o in others]) for k, v in spec.items()}
    if isinstance(spec, (list, tuple)):
        return type(spec)(_unknown_where_different(v, [o[i] for o in others]) for i, v in enumerate(spec))
    return spec


def _is_shape(shape):
    return isinstance(shape, (tuple, list)) and all(d is None or isinstance(d, int) for d in shape)


def _fake_inputs(input_shape, fill, dtype, device=None, long_fill=None):
    if _is_shape(input_shape):
        return torch.zeros(_shape_with(input_shape, fill, long_fill), dtype=dtype, device=device)
    if isinstance(input_shape, dict):
        return {k: _fake_inputs(v, fill, dtype, device, long_fill) for k, v in input_shape.items()}
    return [_fake_inputs(s, fill, dtype, device, long_fill) for s in input_shape]


def _leaf_shapes(shape):
    if _is_shape(shape):
        return [tuple(shape)]
    if isinstance(shape, dict):
        return [s for v in shape.values() for s in _leaf_shapes(v)]
    return [s for v in shape for s in _leaf_shapes(v)]


def _weights_device(layer):
    """Where shape-only inputs must live to meet the layer's weights (a model trained on a GPU
    keeps them there); the CPU for a layer without weights yet (weights are built there)."""
    param = next(layer.parameters(), None)
    return param.device if param is not None else torch.device("cpu")


def _shapes_of(outputs):
    if isinstance(outputs, torch.Tensor):
        return tuple(outputs.shape)
    if isinstance(outputs, dict):
        return {k: _shapes_of(v) for k, v in outputs.items()}
    if isinstance(outputs, (list, tuple)):
        return [_shapes_of(o) for o in outputs]
    return None


def _merge(a, b, input_shape=None):
    """Dims equal in both traces are static; differing dims are None."""
    if isinstance(a, tuple):
        return tuple(x if x == y else None for x, y in zip(a, b))
    if isinstance(a, dict):
        return {k: _merge(a[k], b[k]) for k in a}
    if isinstance(a, list):
        return [_merge(x, y) for x, y in zip(a, b)]
    return a


def trace(layer, inputs_fn, **call_kwargs):
    """Run `layer` in inference mode under FakeTensorMode on inputs built by `inputs_fn()`;
    calls that cannot run on fake tensors (some torch versions reject Parameter subclasses
    in fake matmuls) run once on real zeros instead."""
    modes = [(m, m.training) for m in layer.modules()]
    layer.eval()
    try:
        with rng.tracing():
            try:
                with _fake_tensors():
                    return layer(inputs_fn(), **call_kwargs)
            except (TypeError, NotImplementedError, RuntimeError):
                with torch.no_grad():
                    return layer(inputs_fn(), **call_kwargs)
    finally:
        for m, mode in modes:
            m.training = mode
        _drop_traced_losses(layer)


def _drop_traced_losses(layer):
    """add_loss() results of a shape-only trace are not real losses; the next real call adds them."""
    for l in layer._flatten_layers():
        if l._added_losses:
            l._added_losses = []


def infer_output_shape(layer, input_shape, dtype=None, **call_kwargs):
    dtype = backend.torch_dtype(dtype)
    device = _weights_device(layer)

    def run(fill, long_fill):
        return _shapes_of(trace(layer, lambda: _fake_inputs(input_shape, fill, dtype, device, long_fill),
                                **call_kwargs))

    first, second = _traced_twice(run, _leaf_shapes(input_shape))
    return _merge(first, second)


# ----------------------------------------------------------------------------- structures

def flatten(x):
    """Leaves of a nested list/tuple/dict structure (dict values in sorted-key order, as Keras)."""
    if isinstance(x, (list, tuple)):
        out = []
        for v in x:
            out.extend(flatten(v))
        return out
    if isinstance(x, dict):
        out = []
        for k in sorted(x):
            out.extend(flatten(x[k]))
        return out
    return [x]


def map_structure(fn, x):
    if isinstance(x, list):
        return [map_structure(fn, v) for v in x]
    if isinstance(x, tuple):
        return tuple(map_structure(fn, v) for v in x)
    if isinstance(x, dict):
        return {k: map_structure(fn, v) for k, v in x.items()}
    return fn(x)


def pack_as(structure, flat):
    """Inverse of `flatten`: put `flat` values back into `structure`."""
    it = iter(flat)

    def _pack(s):
        if isinstance(s, list):
            return [_pack(v) for v in s]
        if isinstance(s, tuple):
            return tuple(_pack(v) for v in s)
        if isinstance(s, dict):
            return {k: _pack(s[k]) for k in sorted(s)}  # Keras returns dicts in sorted-key order
        return next(it)

    return _pack(structure)


def _unpack_singleton(x):
    if isinstance(x, (list, tuple)) and len(x) == 1:
        return x[0]
    return x


# ----------------------------------------------------------------------------- nodes

class KerasHistory(collections.namedtuple("KerasHistory", ["layer", "node_index", "tensor_index"])):
    """Where a KerasTensor came from: (layer, node_index, tensor_index). Indexable like a tuple."""

    @property
    def operation(self):
        return self.layer


class Node:
    """One call of a layer on symbolic inputs: the layer, the call's args/kwargs (KerasTensors
    inside), and the KerasTensors it produced. Appends itself to `layer._inbound_nodes`."""

    def __init__(self, layer, args, kwargs, outputs):
        self.layer = layer
        self.args = tuple(args)
        self.kwargs = dict(kwargs)
        self.outputs = outputs
        self.input_tensors = [t for t in flatten([list(self.args), self.kwargs]) if isinstance(t, KerasTensor)]
        self.output_tensors = flatten(outputs)
        self.is_input = isinstance(layer, InputLayer) and not self.input_tensors
        self.index = len(layer._inbound_nodes)
        layer._inbound_nodes.append(self)
        for i, t in enumerate(self.output_tensors):
            t._keras_history = KerasHistory(layer, self.index, i)

    @property
    def operation(self):
        return self.layer

    @property
    def parent_nodes(self):
        return [producer_node(t) for t in self.input_tensors]

    def __repr__(self):
        return f"<Node {self.layer.name}[{self.index}]>"


def producer_node(tensor):
    """The Node that produced a KerasTensor (an InputLayer gets its node on first use)."""
    history = tensor._keras_history
    if history is None:
        raise ValueError(f"The symbolic tensor {tensor} was not produced by a layer or `keras.Input()`; "
                         "graphs must start from `keras.Input(shape=...)`.")
    layer, node_index = history[0], history[1]
    if not layer._inbound_nodes and isinstance(layer, InputLayer):
        Node(layer, (), {}, layer.output)
    return layer._inbound_nodes[node_index]


# ----------------------------------------------------------------------------- symbolic calls

def _kt_shapes(x):
    return map_structure(lambda t: t.shape if isinstance(t, KerasTensor) else getattr(t, "shape", None), x)


def _run_on(layer, args, kwargs, make):
    """Call `layer` with every KerasTensor in args/kwargs replaced by `make(kt)`."""
    def swap(v):
        return make(v) if isinstance(v, KerasTensor) else v

    return layer(*map_structure(swap, list(args)), **map_structure(swap, kwargs))


def _trace_call(layer, args, kwargs, fill, long_fill=None):
    device = _weights_device(layer)

    def make(kt):
        if kt.dtype == "string":  # text stays numpy: ops that move it around (expand_dims) take it
            from keraslite.compat.tf_data import strings

            return strings(np.full(_shape_with(kt.shape, fill, long_fill), "", dtype=object))
        t = torch.zeros(_shape_with(kt.shape, fill, long_fill), dtype=kt.torch_dtype, device=device)
        mask = getattr(kt, "_keras_mask", None)
        if isinstance(mask, KerasTensor):
            # The producer computed a mask (Embedding(mask_zero=True), a custom compute_mask):
            # the traced call receives one too (all True: nothing masked), as Keras passes
            # `mask=` on symbolic calls, and the traced outputs carry theirs.
            t._keras_mask = torch.ones(_shape_with(mask.shape, fill, long_fill), dtype=mask.torch_dtype,
                                       device=device)
        return t

    modes = [(m, m.training) for m in layer.modules()]
    layer.eval()
    try:
        with rng.tracing():
            try:
                with _fake_tensors():
                    return _run_on(layer, args, kwargs, make)
            except Exception:
                # Some calls (data-dependent shapes, numpy inside call) cannot run on fake tensors:
                # run them once on small real zeros instead.
                with torch.no_grad():
                    return _run_on(layer, args, kwargs, make)
    finally:
        for m, mode in modes:
            m.training = mode
        _drop_traced_losses(layer)


# Built-in layers whose outputs keep the batch dim of their inputs while no other output dim
# depends on it, when they run in inference mode with a built-in activation (or none).
_PER_SAMPLE_LAYER_NAMES = (
    "Dense", "Activation", "Dropout", "Identity", "ReLU", "LeakyReLU", "PReLU", "ELU", "Softmax",
    "Conv1D", "Conv2D", "Conv3D", "Conv1DTranspose", "Conv2DTranspose", "Conv3DTranspose",
    "DepthwiseConv1D", "DepthwiseConv2D", "SeparableConv1D", "SeparableConv2D",
    "MaxPooling1D", "MaxPooling2D", "MaxPooling3D", "AveragePooling1D", "AveragePooling2D", "AveragePooling3D",
    "GlobalMaxPooling1D", "GlobalMaxPooling2D", "GlobalMaxPooling3D",
    "GlobalAveragePooling1D", "GlobalAveragePooling2D", "GlobalAveragePooling3D",
    "Flatten", "Reshape", "Permute", "RepeatVector", "UpSampling1D", "UpSampling2D", "UpSampling3D",
    "ZeroPadding1D", "ZeroPadding2D", "ZeroPadding3D", "Cropping1D", "Cropping2D", "Cropping3D",
    "Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum", "Concatenate",
    "BatchNormalization", "LayerNormalization", "Embedding",
    "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D", "GaussianNoise", "GaussianDropout", "AlphaDropout")
_per_sample_classes = None


def _per_sample_call(layer, args, kwargs, shapes):
    """Whether one trace tells this symbolic call's output shapes: a layer of exactly one of
    the classes above (a subclass may change what `call` does), called in inference mode on
    one input whose only unknown dim is the batch dim (`shapes`: those of all symbolic
    inputs; their masks too). Its outputs' batch dims are then unknown and their other dims are as traced."""
    global _per_sample_classes
    if _per_sample_classes is None:
        from keraslite import activations, layers

        _per_sample_classes = (frozenset(getattr(layers, name) for name in _PER_SAMPLE_LAYER_NAMES),
                               frozenset(activations._ALL.values()))
    classes, activations = _per_sample_classes
    training = kwargs.get("training")
    if type(layer) not in classes or len(args) != 1 or not set(kwargs) <= {"training", "mask"} \
            or not (training is None or training is False):
        return False
    activation = getattr(layer, "activation", None)
    if activation is not None and activation not in activations:
        return False  # a custom activation may reshape its input
    masks = [t._keras_mask.shape for t in flatten([args, kwargs])
             if isinstance(getattr(t, "_keras_mask", None), KerasTensor)]
    return all(s and s[0] is None and None not in s[1:] for s in list(shapes) + masks)


def _unbuilt_sublayers(layer):
    return [l for l in layer._flatten_layers() if not l.built]


def _forget_sentinel_batch(layers, batch_unknown=True):
    """Layers first built inside a trace saw the sentinel batch size; record None as Keras does."""
    if not batch_unknown:
        return
    for l in layers:
        shape = l._build_input_shape
        if isinstance(shape, tuple) and shape and shape[0] in _SENTINELS:
            l._build_input_shape = (None,) + shape[1:]
        elif isinstance(shape, list) and all(isinstance(s, tuple) and s and s[0] in _SENTINELS
                                             for s in shape):
            l._build_input_shape = [(None,) + s[1:] for s in shape]


class _Spec(tuple):
    """(shape, dtype, mask) of one traced output; mask is (shape, dtype) of its `_keras_mask` or None."""


def _output_specs(outputs):
    """_Spec leaves of a traced output structure."""
    def spec(t):
        mask = getattr(t, "_keras_mask", None)
        mask = (tuple(mask.shape), mask.dtype) if isinstance(mask, torch.Tensor) else None
        return _Spec((tuple(t.shape), t.dtype, mask))

    def text_spec(t):
        return _Spec((tuple(t.shape), "string", None))

    return map_structure(lambda t: spec(t) if isinstance(t, torch.Tensor) else
                         text_spec(t) if isinstance(t, np.ndarray) and t.dtype == object else t, outputs)


def _merged_shape(a, b):
    return tuple(x if x == y else None for x, y in zip(a, b))


def call_symbolic(layer, args, kwargs):
    """`layer(*args, **kwargs)` where the inputs are KerasTensors: build the layer, infer
    output shapes and dtypes, record a Node, return KerasTensor(s) with `_keras_history`."""
    args = list(args)
    if not args:
        args = [kwargs.pop("inputs")]
    inputs = args[0]
    for t in flatten([args, kwargs]):
        if isinstance(t, KerasTensor):
            producer_node(t)
    if not layer.built:
        try:
            layer._maybe_build(_kt_shapes(inputs))
        except Exception as e:
            raise type(e)(f"Could not build layer '{layer.name}' ({type(layer).__name__}) for input shape "
                          f"{_kt_shapes(inputs)}: {e}") from e
    if getattr(layer, "_symbolic_by_spec", False):
        # Layers that take strings (which torch cannot trace) say what they return themselves.
        outputs = layer.compute_output_spec(*args, **kwargs)
        Node(layer, args, kwargs, outputs)
        for i, t in enumerate(flatten(outputs)):
            if isinstance(t, KerasTensor):
                t.name = f"{layer.name}_output_{i}" if len(flatten(outputs)) > 1 else layer.name
        return outputs
    fresh = _unbuilt_sublayers(layer)
    shapes = [t.shape for t in flatten([args, kwargs]) if isinstance(t, KerasTensor)]
    try:
        first, second = _traced_twice(
            lambda fill, long_fill: _output_specs(_trace_call(layer, args, kwargs, fill, long_fill)),
            shapes, _per_sample_call(layer, args, kwargs, shapes))
    except Exception as e:
        outputs = _declared_outputs(layer, args, kwargs)
        if outputs is None:
            raise ValueError(f"Layer '{layer.name}' ({type(layer).__name__}) failed when called on symbolic "
                             f"inputs of shape {_kt_shapes(inputs)}: {type(e).__name__}: {e}") from e
        # The call cannot run on placeholder data (yolo3's loss Lambda reshapes an input of
        # unknown size to fixed dims), but the layer states what it returns, as Keras asks it.
        _forget_sentinel_batch(fresh)
        Node(layer, args, kwargs, outputs)
        _name_outputs(layer, outputs)
        return outputs

    def to_kt(a, b):
        kt = KerasTensor(_merged_shape(a[0], b[0]), dtype=a[1] if a[1] == "string" else backend.dtype_name(a[1]))
        if a[2] is not None and b[2] is not None and len(a[2][0]) == len(b[2][0]):
            # As in Keras, a symbolic output shows the mask it will carry (`x._keras_mask`).
            kt._keras_mask = KerasTensor(_merged_shape(a[2][0], b[2][0]), dtype=backend.dtype_name(a[2][1]))
        return kt

    def zip_map(a, b):
        if isinstance(a, _Spec):
            return to_kt(a, b)
        if isinstance(a, list):
            return [zip_map(x, y) for x, y in zip(a, b)]
        if isinstance(a, tuple):
            return tuple(zip_map(x, y) for x, y in zip(a, b))
        if isinstance(a, dict):
            return {k: zip_map(a[k], b[k]) for k in a}
        return a

    _forget_sentinel_batch(fresh, any(isinstance(t, KerasTensor) and t.shape and t.shape[0] is None
                                      for t in flatten([args, kwargs])))
    outputs = zip_map(first, second)
    Node(layer, args, kwargs, outputs)
    _name_outputs(layer, outputs)
    return outputs


def _name_outputs(layer, outputs):
    flat = flatten(outputs)
    for i, t in enumerate(flat):
        if isinstance(t, KerasTensor):
            t.name = f"{layer.name}_output_{i}" if len(flat) > 1 else layer.name
            if isinstance(getattr(t, "_keras_mask", None), KerasTensor):
                t._keras_mask.name = f"{t.name}_mask"


def _declared_outputs(layer, args, kwargs):
    """KerasTensors for what `layer` says it returns on these symbolic inputs, from its own
    `compute_output_spec` or `compute_output_shape` (a Lambda's `output_shape=`); None when
    it says nothing of its own or cannot say it for these shapes."""
    try:
        if callable(getattr(layer, "compute_output_spec", None)):
            outputs = layer.compute_output_spec(*args, **kwargs)
        elif type(layer).compute_output_shape is not Layer.compute_output_shape:
            outputs = _shapes_to_tensors(layer.compute_output_shape(_kt_shapes(args[0])), layer.compute_dtype)
        else:
            return None
    except Exception:
        return None
    leaves = flatten(outputs)
    return outputs if leaves and all(isinstance(t, KerasTensor) for t in leaves) else None


def _shapes_to_tensors(shapes, dtype):
    """A compute_output_shape result (a shape, or a list / dict of them) as KerasTensors."""
    if hasattr(shapes, "as_list") and not isinstance(shapes, tuple):  # a tf.TensorShape
        shapes = tuple(shapes.as_list())
    if _is_shape(shapes):
        return KerasTensor(tuple(shapes), dtype=dtype)
    if isinstance(shapes, dict):
        return {k: _shapes_to_tensors(v, dtype) for k, v in shapes.items()}
    if isinstance(shapes, (list, tuple)):
        return type(shapes)(_shapes_to_tensors(v, dtype) for v in shapes)
    raise TypeError(f"compute_output_shape returned {shapes!r}, which is not a shape.")


# `x / y` on KerasTensors is Keras's `ops.true_divide` (a "true_divide" node), not `ops.divide`.
_OP_NAMES = {torch.add: "add", torch.sub: "subtract", torch.mul: "multiply", torch.div: "true_divide",
             torch.matmul: "matmul", torch.pow: "power", torch.neg: "negative", torch.abs: "absolute"}


# KerasTensor's reflected operators (1 - x) arrive as lambdas with swapped operands.
_REFLECTED = {"__radd__": "add", "__rsub__": "subtract", "__rmul__": "multiply", "__rtruediv__": "true_divide"}


def _getitem(x, key):
    return x[tuple(key) if isinstance(key, list) else key]


def _encode(v):
    """Slices, Ellipsis and constant tensors / arrays in an op's arguments, in Keras's config
    markers (`__tensor__` holds a backend tensor's values and dtype, `__numpy__` an array's)."""
    if isinstance(v, torch.Tensor) and not isinstance(v, KerasTensor):
        return {"class_name": "__tensor__",
                "config": {"value": v.detach().cpu().tolist(), "dtype": backend.dtype_name(v.dtype)}}
    if isinstance(v, np.ndarray):
        return {"class_name": "__numpy__", "config": {"value": v.tolist(), "dtype": str(v.dtype)}}
    if isinstance(v, np.generic):
        return v.item()
    if isinstance(v, slice):
        return {"class_name": "__slice__", "config": {"start": v.start, "stop": v.stop, "step": v.step}}
    if v is Ellipsis:
        return {"class_name": "__ellipsis__", "config": {}}
    if isinstance(v, (list, tuple)):
        return [_encode(x) for x in v] if isinstance(v, list) else {"__tuple__": [_encode(x) for x in v]}
    if isinstance(v, dict):
        return {k: _encode(x) for k, x in v.items()}
    return v


def _decode(v):
    if isinstance(v, dict):
        if v.get("class_name") == "__slice__":
            c = v["config"]
            return slice(c.get("start"), c.get("stop"), c.get("step"))
        if v.get("class_name") == "__ellipsis__":
            return Ellipsis
        if v.get("class_name") in ("__tensor__", "__numpy__"):
            return _constant(v)
        if set(v) == {"__tuple__"}:
            return tuple(_decode(x) for x in v["__tuple__"])
        return {k: _decode(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_decode(x) for x in v]
    return v


def _constant(v):
    """A `__tensor__` (-> torch tensor) or `__numpy__` (-> ndarray) config marker's value."""
    value = np.asarray(v["config"]["value"], dtype=v["config"].get("dtype") or None)
    return torch.as_tensor(value) if v["class_name"] == "__tensor__" else value


def _slot_fill(template, values):
    if isinstance(template, dict):
        if len(template) == 1 and "__slot__" in template:
            return values[template["__slot__"]]
        return {k: _slot_fill(v, values) for k, v in template.items()}
    if isinstance(template, list):
        return [_slot_fill(v, values) for v in template]
    if isinstance(template, tuple):
        return tuple(_slot_fill(v, values) for v in template)
    return template


class SymbolicOp(Layer):
    """A tensor operation applied to KerasTensors kept as a layer of the graph, for the calls
    that are no Keras operation (see _as_keras_op: `x + y`, `x[:, 0]` and `ops.sum(x, axis=1)`
    become KerasOp nodes, written as Keras writes them). A saved SymbolicOp node is written under
    this class name, which only keraslite reads. `args`/`kwargs` are the call's operands with
    each symbolic tensor replaced by {"__slot__": i}, i its position in the layer's inputs."""

    def __init__(self, fn=None, args=(), kwargs=None, op=None, **layer_kwargs):
        super().__init__(**layer_kwargs)
        if fn is None:
            if op is None:
                raise ValueError("SymbolicOp needs a function or an `op` name from keraslite.ops.")
            fn = _getitem if op == "getitem" else ops_function(op)
        self.fn = fn
        self.op = op or _OP_NAMES.get(fn)
        self.op_args = _decode(list(args))
        self.op_kwargs = _decode(dict(kwargs or {}))

    @property
    def display_class_name(self):
        """The Keras operation class this node stands for ('add' -> 'Add'), for summaries."""
        if self.op == "getitem":
            return "GetItem"
        if not self.op:
            return type(self).__name__
        return "".join(part.title() for part in self.op.rsplit(".", 1)[-1].split("_"))

    def call(self, inputs):
        values = inputs if isinstance(inputs, (list, tuple)) else [inputs]
        return self.fn(*_slot_fill(self.op_args, values), **_slot_fill(self.op_kwargs, values))

    def get_config(self):
        def plain(v):
            if isinstance(v, (list, tuple)):
                return all(plain(x) for x in v)
            if isinstance(v, dict):
                return all(plain(x) for x in v.values())
            return v is None or isinstance(v, (bool, int, float, str))

        if self.op is None or not plain(_encode([self.op_args, self.op_kwargs])):
            raise NotImplementedError(
                f"Layer '{self.name}' is an anonymous tensor operation ({getattr(self.fn, '__name__', self.fn)}) "
                "and cannot be serialized. Use a named layer (e.g. layers.Add, layers.Lambda) or a keraslite.ops "
                "function with plain (non-array) arguments to make the model saveable.")
        config = super().get_config()
        config.update(op=self.op, args=_encode(self.op_args), kwargs=_encode(self.op_kwargs))
        return config


class KerasOp(Layer):
    """An operation node read from a Keras 3 config (`NotEqual` for a mask, `Sum`, `Add`, ...):
    calls keraslite.ops.<snake_case name>(*inputs, **op_kwargs), op_kwargs being the Keras
    operation's own config (e.g. axis, keepdims)."""

    def __init__(self, op, op_kwargs=None, keras_module=None, keras_class_name=None, **layer_kwargs):
        super().__init__(**layer_kwargs)
        from keraslite import ops as ops_mod

        # Where Keras defines the operation (written back when the model is saved, so that Keras
        # reads the file again).
        self.keras_module = keras_module or "keras.src.ops.numpy"
        self.keras_class_name = keras_class_name or "".join(part.title() for part in op.split("_"))

        own_name = _OPS_OF_KERAS_CLASSES.get(self.keras_class_name)
        if op == "get_item":
            fn = _getitem
        elif own_name is not None:
            fn = ops_function(own_name)
        elif callable(getattr(ops_mod, op, None)):
            fn = getattr(ops_mod, op)
        elif _keras_class_op(self.keras_module, self.keras_class_name) is not None:
            fn = _keras_class_op(self.keras_module, self.keras_class_name)
        else:
            raise ValueError(f"The model config uses the Keras operation '{op}', which keraslite.ops does not "
                             "provide.")
        self.op = op
        self.fn = fn
        self.op_kwargs = dict(op_kwargs or {})

    def __call__(self, *args, **kwargs):
        if kwargs:  # Keras passes some operands by name (Pad's `constant_values`)
            args, kwargs = _operands_in_order(self.fn, args, kwargs, self.op_kwargs), {}
        # Operations may take a constant first (`1.0 - x` is subtract(1.0, x)).
        if any(isinstance(t, KerasTensor) for t in flatten([list(args), kwargs])):
            return call_symbolic(self, args, kwargs)
        return super().__call__(*args, **kwargs)

    @property
    def display_class_name(self):
        return "".join(part.title() for part in self.op.split("_"))

    def call(self, *args):
        return _call_with_operands(self.fn, args, self.op_kwargs)

    def get_config(self):
        return {"name": self.name, **self.op_kwargs}  # the Keras operation's own config

    def keras_identity(self):
        """(module, class_name, registered_name) of the Keras operation, for serialization."""
        return self.keras_module, self.keras_class_name, self.keras_class_name


@functools.lru_cache(maxsize=None)
def _positional_names(fn):
    """The names of `fn`'s positional parameters (None if it has no signature); cached, as
    every forward pass of an operation node asks."""
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return None
    return tuple(n for n, p in params.items()
                 if p.kind in (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD))


def _call_with_operands(fn, operands, config):
    """fn(*operands, **config), the operands filling in order the parameters that the config
    leaves open (Keras's Pad takes `pad_width` as config and `constant_values` as an operand)."""
    positional = _positional_names(fn) if config else None
    if positional is None or not any(n in config for n in positional[:len(operands)]):
        return fn(*operands, **config)
    open_names = [n for n in positional if n not in config]
    if len(operands) <= len(open_names):
        return fn(**dict(zip(open_names, operands)), **config)
    if not open_names:
        # The config names every positional parameter (einsum's `subscripts`): the operands
        # follow them, into the function's *args.
        rest = dict(config)
        return fn(*[rest.pop(n) for n in positional], *operands, **rest)
    return fn(*operands, **config)


def _operands_in_order(fn, args, kwargs, config):
    """Operands given by name as positional ones, in the order of the parameters of `fn` that
    the config leaves open (the others at their defaults)."""
    params = inspect.signature(fn).parameters
    open_names = [n for n, p in params.items() if n not in config
                  and p.kind in (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)]
    unknown = set(kwargs) - set(open_names[len(args):])
    if unknown:
        raise TypeError(f"{getattr(fn, '__name__', fn)}() got unexpected operand(s) {sorted(unknown)}; it takes "
                        f"{open_names} as operands.")
    args, last = list(args), max(open_names.index(n) for n in kwargs)
    for name in open_names[len(args):last + 1]:
        args.append(kwargs[name] if name in kwargs else params[name].default)
    return args


def _keras_class_op(module, class_name):
    """The keraslite.ops function of a Keras operation class whose snake_case name is not a
    top-level op: image operations ("keras.src.ops.image", "Resize" -> ops.image.resize) and
    acronym class names ("RGBToGrayscale" -> rgb_to_grayscale)."""
    from keraslite import ops as ops_mod

    namespace = getattr(ops_mod, str(module).rsplit(".", 1)[-1], None)
    squashed = class_name.lower()
    for space in (namespace, ops_mod):
        for name in getattr(space, "__all__", ()):
            if name.replace("_", "") == squashed and callable(getattr(space, name, None)):
                return getattr(space, name)
    return None


def _module_of_keras_op(class_name):
    """The keras.src.ops module of the Keras operation class `class_name` that keraslite.ops
    provides (a top-level function counts as keras.src.ops.numpy), or None."""
    from keraslite import ops as ops_mod

    if callable(getattr(ops_mod, backend.to_snake_case(class_name), None)):
        return "keras.src.ops.numpy"
    for space in ("image", "nn", "linalg", "math", "core"):
        if _keras_class_op(f"keras.src.ops.{space}", class_name) is not None:
            return f"keras.src.ops.{space}"
    return None


def _keras_op_from_config(config):
    inner = dict(config.get("config") or {})
    name = inner.pop("name", None)
    inner.pop("trainable", None)
    layer_dtype = inner.pop("dtype", None)
    op = KerasOp(backend.to_snake_case(config["class_name"]), inner, keras_module=config.get("module"),
                 keras_class_name=config["class_name"], name=name)
    if layer_dtype is not None and _takes_argument(op.fn, "dtype"):
        op.op_kwargs["dtype"] = layer_dtype  # the operation's own argument (Cast, OneHot), not a layer dtype
    return op


def _takes_argument(fn, name):
    try:
        return name in inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False


def _register_symbolic_op():
    from keraslite.saving.registry import register_keras_serializable

    register_keras_serializable(package="keraslite")(SymbolicOp)
    register_keras_serializable(package="keraslite")(KerasOp)


_register_symbolic_op()


# keraslite.ops names whose Keras operation class (keras.src.ops.numpy) takes no arguments but
# its name: Keras 3's legacy .h5 configs write these nodes without their module.
_KERAS_NUMPY_OPS = frozenset({
    "add", "subtract", "multiply", "divide", "true_divide", "power", "maximum", "minimum", "equal", "not_equal",
    "less", "less_equal", "greater", "greater_equal", "negative", "absolute", "abs", "exp", "log", "sqrt", "square",
    "matmul", "floor_divide", "mod", "logical_and", "logical_or", "logical_not"})

# How a keraslite.ops call is written as the Keras operation that real Keras reads back: the
# class is the function's name in CamelCase (`expand_dims` -> ExpandDims) and lives in
# keras.src.ops.<the keraslite.ops submodule of the function> (numpy, nn, linalg, image, core),
# except for the names below. Slicing (`x[:, 0]`) is keras.src.ops.numpy's GetItem.
_KERAS_CLASS_NAMES = {
    "getitem": "GetItem", "abs": "Absolute", "allclose": "AllClose", "batch_normalization": "BatchNorm",
    "cdist": "CDist", "ctc_decode": "CTCDecode", "ctc_loss": "CTCLoss", "deg2rad": "Deg2rad", "rad2deg": "Rad2deg", "log1p": "Log1p",
    "fft": "FFT", "fft2": "FFT2", "ifft2": "IFFT2", "rfft": "RFFT", "irfft": "IRFFT", "stft": "STFT", "istft": "ISTFT",
    "isin": "IsIn", "jvp": "JVP", "layer_normalization": "LayerNorm", "rms_normalization": "RMSNorm", "psnr": "PSNR",
    "searchsorted": "SearchSorted", "svd": "SVD", "image.hsv_to_rgb": "HSVToRGB",
    "image.rgb_to_grayscale": "RGBToGrayscale", "image.rgb_to_hsv": "RGBToHSV", "image.ssim": "SSIM"}
_OPS_OF_KERAS_CLASSES = {class_name: op for op, class_name in _KERAS_CLASS_NAMES.items()}
_KERAS_OP_MODULES = {
    **dict.fromkeys(("cdist", "erf", "erfc", "erfinv", "extract_sequences", "fft", "fft2", "ifft2", "in_top_k",
                     "irfft", "istft", "logdet", "logsumexp", "rfft", "rsqrt", "segment_max", "segment_min",
                     "segment_prod", "segment_sum", "stft", "top_k", "view_as_complex", "view_as_real"), "math"),
    **dict.fromkeys(("cast", "slice", "stop_gradient"), "core"), "getitem": "numpy", "rearrange": "einops"}
# The function's parameters that the Keras operation takes when called (its operands); the
# others are the operation's config (constructor arguments: axis, keepdims, newshape, ...).
# The first parameter is always an operand; these names are, wherever they occur.
_KERAS_OPERAND_NAMES = frozenset({
    "x1", "x2", "x3", "y", "key", "condition", "indices", "values", "updates", "start_indices", "segment_ids", "q",
    "kernel", "depthwise_kernel", "pointwise_kernel", "mean", "variance", "scale", "gamma", "beta", "target",
    "output", "target_length", "output_length", "sequence_lengths", "query", "value", "bias", "mask", "predictions",
    "transform", "coordinates", "start_points", "end_points", "output_shape", "translation", "image2", "angle",
    "constant_values", "choicelist", "default"})
# The whole list of operands of the operations where that rule does not hold.
_KERAS_OP_OPERANDS = {
    "full_like": ("x", "fill_value"), "isclose": ("x1", "x2", "rtol", "atol"), "average": ("x", "weights"),
    "digitize": ("x", "bins"), "batch_normalization": ("x", "mean", "variance", "offset", "scale"),
    "solve": ("a", "b"), "solve_triangular": ("a", "b"), "lstsq": ("a", "b"), "einsum": ("operands",),
    "full": ("fill_value",), "arange": ("start", "stop", "step"), "linspace": ("start", "stop"),
    "geomspace": ("start", "stop"), "logspace": ("start", "stop"), "rearrange": ("tensor", "pattern")}


def _keras_identity(op):
    """(module, class_name) of the Keras operation that the keraslite.ops function `op` is, or
    None when Keras has no such operation (keraslite's own helpers, Keras 2 backend functions,
    extract_patches_3d, which Keras writes as its 2-D ExtractPatches)."""
    from keraslite import ops as ops_mod

    if op == "image.extract_patches_3d":
        return None
    module = _KERAS_OP_MODULES.get(op)
    if module is None:
        space, _, name = op.rpartition(".")
        for candidate in ([space] if space else ["numpy", "nn", "linalg", "core"]):
            if name in getattr(getattr(ops_mod, candidate, None), "__all__", ()):
                module = candidate
                break
    if module is None:
        return None
    class_name = _KERAS_CLASS_NAMES.get(op) or "".join(p[:1].upper() + p[1:] for p in op.rsplit(".", 1)[-1].split("_"))
    return f"keras.src.ops.{module}", class_name


def _plain(v):
    if isinstance(v, (list, tuple)):
        return all(_plain(x) for x in v)
    if isinstance(v, dict):
        return all(isinstance(k, str) and _plain(x) for k, x in v.items())
    return v is None or isinstance(v, (bool, int, float, str))


def _operand_leaf(v):
    return (_plain(v) or v is Ellipsis or isinstance(v, (KerasTensor, torch.Tensor, np.ndarray, np.generic, slice))
            or (isinstance(v, (list, tuple)) and all(_operand_leaf(x) for x in v)))


# Options whose None default the Keras function resolves before it makes the operation, so
# that Keras writes the resolved value (left None in the file, Keras reads pooling inputs as
# channels_first and one-hot values as int64); the image operations keep None.
_KERAS_RESOLVED_DEFAULTS = {
    **dict.fromkeys(("max_pool", "average_pool", "conv", "depthwise_conv", "separable_conv", "conv_transpose",
                     "extract_patches"), ("data_format", backend.image_data_format)),
    **dict.fromkeys(("one_hot", "multi_hot"), ("dtype", backend.floatx))}


def _resolve_defaults(op, config):
    option, resolve = _KERAS_RESOLVED_DEFAULTS.get(op.rsplit(".", 1)[-1], (None, None))
    if option in config and config[option] is None:
        config[option] = resolve()


def _as_keras_op(op, args, kwargs):
    """The node for `op(*args, **kwargs)` on KerasTensors as the Keras operation that real Keras
    writes for that call (class, module and config, the operands as the node's arguments), so
    that Keras loads keraslite's file. None when it cannot be one, and the node stays a
    SymbolicOp, which only keraslite reads: `op` is no Keras operation, an operand is a
    function (ops.cond, ops.map, ...), or a config argument holds a tensor (`ops.clip(x, lo, hi)`
    with tensor bounds) or another value JSON cannot hold."""
    identity = _keras_identity(op) if op else None
    if identity is None:
        return None
    try:
        fn = _getitem if op == "getitem" else ops_function(op)
        sig = inspect.signature(fn)
        bound = sig.bind(*args, **kwargs)
    except (TypeError, ValueError):
        return None
    given = set(bound.arguments)
    bound.apply_defaults()
    listed = _KERAS_OP_OPERANDS.get(op)
    operands, config = [], {}
    for i, (name, value) in enumerate(bound.arguments.items()):
        kind = sig.parameters[name].kind
        if kind == inspect.Parameter.VAR_POSITIONAL:
            operands.extend((v, True) for v in value)
        elif kind == inspect.Parameter.VAR_KEYWORD:
            if value:
                return None
        elif name in listed if listed is not None else (i == 0 or name in _KERAS_OPERAND_NAMES):
            operands.append((value, name in given))
        else:
            config[name] = value
    if not _plain(config) or not all(_operand_leaf(v) for v, _ in operands):
        return None
    _resolve_defaults(op, config)
    # Trailing operands left at their defaults are not passed, as Keras's functions do not.
    while len(operands) > 1 and not operands[-1][1]:
        operands.pop()
    module, class_name = identity
    snake = backend.to_snake_case(class_name)
    try:
        layer = KerasOp(snake, config, keras_module=module, keras_class_name=class_name, name=backend.get_uid(snake))
    except ValueError:
        return None
    if getattr(layer.fn, "_raw", layer.fn) is not getattr(fn, "_raw", fn):
        return None  # Keras's class of that name reads back as another function
    return layer, [value for value, _ in operands]


# Values of the graph tensors of the forward pass now being trained or evaluated (see
# live_graph_values): a loss function that closes over a model's intermediate KerasTensors
# (Keras 1's VAE: `kl = K.sum(1 + z_log_var - K.square(z_mean) ...)` inside `vae_loss`) computes
# with the current batch's values of those tensors.
_LIVE = threading.local()


@contextlib.contextmanager
def live_graph_values():
    """While active, every graph run records its tensors' values, and operations on those
    tensors' KerasTensors compute eagerly with them instead of building graph nodes."""
    previous = getattr(_LIVE, "frames", None)
    _LIVE.frames = []
    try:
        yield
    finally:
        _LIVE.frames = previous


def _running_passes():
    """The graph runs now in progress in this thread, innermost last: (slot_of, values) each,
    `values` filling in as the layers run."""
    running = getattr(_LIVE, "running", None)
    if running is None:
        running = _LIVE.running = []
    return running


def in_graph_run():
    """Whether a functional model's layers are running on data in this thread now."""
    return bool(getattr(_LIVE, "running", None))


def _live_operands(args, kwargs):
    """(args, kwargs) with every KerasTensor replaced by its value in the forward pass now
    running or recorded by live_graph_values, or None when one of them has no value there."""
    running = _running_passes()
    frames = (getattr(_LIVE, "frames", None) or []) + running
    if not frames:
        return None
    found, missing = [], []

    def value(v):
        if isinstance(v, torch.Tensor):
            found.append(v)
        if not isinstance(v, KerasTensor):
            return v
        for slot_of, values in reversed(frames):
            slot = slot_of.get(id(v))
            if slot is not None and values[slot] is not None:
                found.append(v)
                return values[slot]
        missing.append(v)
        return v

    live = (map_structure(value, list(args)), map_structure(value, dict(kwargs)))
    if missing and found and running:
        # A graph node mixing data of this pass with a tensor it cannot compute could only fail later.
        raise ValueError(
            f"An operation inside a layer's call mixes tensors of the forward pass now running with the "
            f"KerasTensor(s) {[t.name for t in missing]}, which the model being run does not compute before this "
            "layer (they are not on its path from the inputs to the outputs). Pass the tensors the layer needs as "
            "its inputs, e.g. `MyLayer()([x, z_mean, z_log_var])`, instead of reading them from outside its call.")
    return None if missing else live


def _detached(v):
    return v.detach() if isinstance(v, torch.Tensor) and v.grad_fn is not None else v


def _make_op_layer(fn, op, args, kwargs):
    live = _live_operands(args, kwargs)
    if live is not None:
        return (fn if fn is not None else ops_function(op))(*live[0], **live[1])
    # An eager tensor computed from weights while the graph is built (`positions =
    # Embedding(...)(ops.arange(n))`, then `inputs + positions`) is a constant of the graph,
    # as a TensorFlow constant is; kept with its autograd history, the second training step
    # would backpropagate into the first one's freed graph.
    args = map_structure(_detached, list(args))
    kwargs = map_structure(_detached, dict(kwargs))
    keras_op = _as_keras_op(op, args, kwargs)
    if keras_op is not None:
        layer, operands = keras_op
        return layer(*operands)
    tensors = []

    def slot(v):
        if isinstance(v, KerasTensor):
            tensors.append(v)
            return {"__slot__": len(tensors) - 1}
        return v

    t_args = map_structure(slot, list(args))
    t_kwargs = map_structure(slot, dict(kwargs))
    name = (op or getattr(fn, "__name__", "op")).rsplit(".", 1)[-1]
    if name == "<lambda>":
        name = "op"
    if name == "getitem":
        name = "get_item"  # Keras's name for the slicing operation
    layer = SymbolicOp(fn, t_args, t_kwargs, op=op, name=backend.get_uid(name))
    return layer(tensors if len(tensors) > 1 else tensors[0])


def symbolic_op(fn, *operands):
    """Apply `fn` to operands of which some are KerasTensors: a SymbolicOp node in the graph.
    KerasTensor's operator lambdas are recognised by name so the node stays serializable."""
    qualname = getattr(fn, "__qualname__", "")
    if qualname.startswith("KerasTensor.") and "<lambda>" in qualname:
        method = qualname.split(".")[1]
        if method in _REFLECTED and len(operands) == 2:
            return _make_op_layer(None, _REFLECTED[method], (operands[1], operands[0]), {})
        if method == "__getitem__" and fn.__closure__:
            key = fn.__closure__[0].cell_contents
            return _make_op_layer(_getitem, "getitem", (operands[0], key), {})
    return _make_op_layer(fn, _OP_NAMES.get(fn), operands, {})


def symbolic_call(fn, args, kwargs):
    """Any tensor function (a loss function, ...) called on KerasTensors: a graph node that
    calls `fn` with the same arguments on real tensors. Not serializable; models that need
    saving use layers or keraslite.ops functions."""
    return _make_op_layer(fn, None, args, kwargs)


def ops_function(name):
    """The keraslite.ops function called `name`; a dotted name ("image.resize") is looked up
    in the submodule it names."""
    from keraslite import ops as ops_mod

    fn = ops_mod
    for part in name.split("."):
        fn = getattr(fn, part, None)
    if not callable(fn):
        raise ValueError(f"keraslite.ops has no operation named '{name}'.")
    return fn


def symbolic_named_op(name, args, kwargs):
    """A keraslite.ops function called on KerasTensors: a serializable SymbolicOp node."""
    return _make_op_layer(ops_function(name), name, args, kwargs)


# ----------------------------------------------------------------------------- graph

class _Slot:
    """Marks where a KerasTensor sat in a node's args; execution swaps in values[index]."""
    __slots__ = ("index",)

    def __init__(self, index):
        self.index = index


def _fill(structure, values):
    if isinstance(structure, _Slot):
        return values[structure.index]
    if isinstance(structure, list):
        return [_fill(v, values) for v in structure]
    if isinstance(structure, tuple):
        return tuple(_fill(v, values) for v in structure)
    if isinstance(structure, dict):
        return {k: _fill(v, values) for k, v in structure.items()}
    return structure


class Graph:
    """What `init_graph` computes once: ordered layers, nodes by depth, execution steps."""

    def __init__(self, inputs, outputs):
        self.input_struct = inputs
        self.output_struct = outputs
        self.with_losses = None  # the plan that also computes symbolic add_loss() / add_metric() tensors
        self.extra_kinds = []  # per extra output of that plan: None (a loss) or a metric's name
        self.inputs = flatten(inputs)
        self.outputs = flatten(outputs)
        for x in self.inputs + self.outputs:
            if not isinstance(x, KerasTensor):
                raise ValueError(f"All `inputs` and `outputs` of a Model must be symbolic tensors (from "
                                 f"keras.Input() and layers called on them). Received {x!r} of type "
                                 f"{type(x).__name__}.")
        self._map_graph()
        self._plan()

    def _map_graph(self):
        input_ids = {id(t) for t in self.inputs}
        finished, in_progress = set(), set()
        ordered, layer_index = [], {}

        def visit(tensor, consumer):
            node = producer_node(tensor)
            if id(node) in finished:
                return
            if not node.is_input and id(tensor) in input_ids:
                finished.add(id(node))
                return
            if node.is_input and id(tensor) not in input_ids:
                names = [t._keras_history[0].name for t in self.inputs]
                raise ValueError(
                    f"Graph disconnected: the input '{node.layer.name}' (shape {tensor.shape}) is needed by layer "
                    f"'{consumer}' but is not among the model inputs {names}. Add it to `inputs=` of Model(...).")
            if id(node) in in_progress:
                raise ValueError(f"Tensor {tensor} from layer '{node.layer.name}' is part of a cycle.")
            layer_index.setdefault(node.layer, len(layer_index))
            in_progress.add(id(node))
            if not node.is_input:
                for t in node.input_tensors:
                    visit(t, node.layer.name)
            finished.add(id(node))
            in_progress.discard(id(node))
            ordered.append(node)

        for out in self.outputs:
            visit(out, "(model output)")

        node_depth, layer_depth = {}, {}
        for node in reversed(ordered):
            depth = node_depth.setdefault(node, 0)
            depth = max(depth, layer_depth.get(node.layer, 0))
            layer_depth[node.layer] = depth
            node_depth[node] = depth
            if node.is_input:
                continue
            for t in node.input_tensors:
                if id(t) in input_ids and not producer_node(t).is_input:
                    continue
                parent = producer_node(t)
                node_depth[parent] = max(depth + 1, node_depth.get(parent, 0))
        for t in self.inputs:  # inputs no output depends on
            layer = t._keras_history[0]
            node = producer_node(t)
            if node.is_input and layer not in layer_depth:
                layer_depth[layer] = 0
                layer_index[layer] = -1
                node_depth[node] = 0
        by_depth = collections.defaultdict(list)
        for node, depth in node_depth.items():
            by_depth[depth].append(node)
        layers_by_depth = collections.defaultdict(list)
        for layer, depth in layer_depth.items():
            layers_by_depth[depth].append(layer)
        layers = []
        for depth in sorted(layers_by_depth, reverse=True):
            layers.extend(sorted(layers_by_depth[depth], key=lambda l: layer_index[l]))
        names = [l.name for l in layers]
        for name in names:
            if names.count(name) > 1:
                raise ValueError(f'The name "{name}" is used {names.count(name)} times in the model. All layer '
                                 "names should be unique.")
        self.nodes_by_depth = dict(by_depth)
        self.nodes = {id(n) for n in node_depth}
        # Like Keras, `operations` (config, summary) includes tensor-op nodes; `layers` does not.
        self.operations = layers
        self.layers = [l for l in layers if not isinstance(l, (SymbolicOp, KerasOp))]
        self.ordered_nodes = [n for d in sorted(by_depth, reverse=True) for n in by_depth[d]]

    def _plan(self):
        slots = {}
        for t in self.inputs:
            slots.setdefault(id(t), len(slots))
        self.input_slots = [slots[id(t)] for t in self.inputs]
        steps = []
        for node in self.ordered_nodes:
            if node.is_input:
                continue
            for t in node.input_tensors:
                if id(t) not in slots:
                    raise ValueError(f"Graph disconnected: cannot compute the input {t.name!r} of layer "
                                     f"'{node.layer.name}' from the model inputs.")

            def to_slot(v):
                return _Slot(slots[id(v)]) if isinstance(v, KerasTensor) else v

            args = map_structure(to_slot, list(node.args))
            kwargs = map_structure(to_slot, node.kwargs)
            fast = args[0].index if (len(args) == 1 and isinstance(args[0], _Slot)) else None
            for t in node.output_tensors:
                slots.setdefault(id(t), len(slots))
            outs = [slots[id(t)] for t in node.output_tensors]
            single = isinstance(node.outputs, KerasTensor)
            steps.append((node.layer, fast, args, kwargs, outs[0] if single else outs,
                          single, node.layer._call_accepts_training))
        self.steps = steps
        self.n_slots = len(slots)
        self.slot_of = slots  # id(KerasTensor) -> slot, for live_graph_values
        self.single_rank = len(self.inputs[0].shape) if len(self.inputs) == 1 else -1
        self.output_slots = [slots[id(t)] for t in self.outputs]


def _input_name(t):
    return t._keras_history[0].name


def init_graph(model, inputs=None, outputs=None, name=None, trainable=True, **kwargs):
    """Make `model` a graph model from symbolic `inputs` and `outputs` (Model(inputs, outputs))."""
    if "input" in kwargs and inputs is None:
        inputs = kwargs.pop("input")   # Keras 1 spelling
    if "output" in kwargs and outputs is None:
        outputs = kwargs.pop("output")
    kwargs.pop("dtype", None)
    if kwargs:
        raise TypeError(f"Model(inputs, outputs) got unexpected keyword argument(s) {sorted(kwargs)}.")
    if inputs is None or outputs is None:
        raise ValueError("A functional Model needs both `inputs` and `outputs`.")
    if isinstance(inputs, tuple):
        inputs = list(inputs)
    if isinstance(outputs, tuple):
        outputs = list(outputs)
    if name is None:
        # Keras names a plain functional model 'functional'; a subclass calling
        # super().__init__(inputs, outputs) gets its own class's name ('mnist_model').
        from keraslite.models.model import Model

        cls = type(model)
        plain = cls is Model or cls.__module__.startswith("keraslite.")
        name = backend.get_uid("functional" if plain else backend.to_snake_case(cls.__name__))
    Layer.__init__(model, name=name, trainable=True)
    model.compiled = False
    model.optimizer = None
    model.stop_training = False
    model.history = None
    graph = Graph(inputs, outputs)
    object.__setattr__(model, "_graph", graph)
    # Registering the layers makes their weights the model's (torch parameters, Keras weights).
    model._graph_layers = nn.ModuleList(graph.operations)
    model._build_input_shape = _unpack_singleton(map_structure(lambda t: t.shape, graph.input_struct)) \
        if not isinstance(graph.input_struct, dict) else {k: v.shape for k, v in graph.input_struct.items()}
    model.built = True
    model.output_names = [t._keras_history[0].name for t in graph.outputs]
    if not trainable:
        model.trainable = False


# ----------------------------------------------------------------------------- execution

def _to_tensor(x, ref, device):
    if isinstance(x, torch.Tensor):
        return x
    if x is None:
        raise ValueError(f"The input '{_input_name(ref)}' is not optional, but None was passed.")
    if ref.dtype == "string":
        return np.asarray(x)  # strings stay numpy; the string layers make tensors of them
    # Arrays take the dtype the input was declared with (Keras converts to it too).
    return torch.as_tensor(np.asarray(x), dtype=ref.torch_dtype, device=device)


def _describe(x):
    return str(tuple(x.shape)) if hasattr(x, "shape") else type(x).__name__


def standardize_inputs(model, inputs):
    """Model inputs (tensor, list, tuple, dict, numpy) -> flat list matching graph.inputs."""
    graph = model._graph
    refs = graph.inputs
    struct = graph.input_struct
    n = len(refs)
    if isinstance(inputs, dict):
        if isinstance(struct, dict):
            keys = list(struct)
            flat_keys = sorted(keys)
        else:
            flat_keys = [_input_name(t) for t in refs]
        missing = [k for k in flat_keys if k not in inputs]
        if missing:
            raise ValueError(f"Model '{model.name}' expects inputs named {flat_keys} but the input dict is "
                             f"missing {missing} (received keys {sorted(inputs)}). Key the dict by the input "
                             "names (the `name=` given to keras.Input).")
        extra = [k for k in inputs if k not in flat_keys]
        if extra:
            warnings.warn(f"Model '{model.name}' ignores input dict keys {extra}; its inputs are {flat_keys}.")
        flat = [inputs[k] for k in flat_keys]
    elif isinstance(inputs, (list, tuple)):
        if n == 1 and len(inputs) != 1 and not isinstance(struct, (list, tuple, dict)):
            flat = [inputs]  # a single input given as a nested python list of numbers
        else:
            flat = flatten(list(inputs))
            if len(flat) != n:
                raise ValueError(
                    f"Model '{model.name}' expects {n} input(s) with shapes {[t.shape for t in refs]} but received "
                    f"{len(flat)}: {[_describe(x) for x in flat]}. Pass one array per model input, in order.")
    else:
        if n != 1:
            raise ValueError(
                f"Model '{model.name}' expects {n} inputs with shapes {[t.shape for t in refs]} but received a "
                f"single {type(inputs).__name__} of shape {_describe(inputs)}. Pass a list of {n} arrays or a "
                f"dict keyed by input names {[_input_name(t) for t in refs]}.")
        flat = [inputs]
    out = []
    device = None
    for x, ref in zip(flat, refs):
        if not isinstance(x, torch.Tensor):
            if device is None:
                p = next(model.parameters(), None)
                device = p.device if p is not None else torch.device("cpu")
            x = _to_tensor(x, ref, device)
        rank, ref_rank = x.ndim, len(ref.shape)
        if rank != ref_rank:
            if rank == ref_rank + 1 and x.shape[-1] == 1:
                x = x.reshape(x.shape[:-1])
            elif rank == ref_rank - 1 and ref.shape[-1] == 1:
                x = x.reshape(tuple(x.shape) + (1,))
            else:
                raise ValueError(f"Input '{_input_name(ref)}' of model '{model.name}' expects rank {ref_rank} "
                                 f"(shape {ref.shape}) but received shape {tuple(x.shape)}.")
        out.append(x)
    return out


def run_graph(model, inputs, training=None, mask=None):
    """Execute the precomputed steps of `model`'s graph on real tensors."""
    from keraslite.compat.backend_function import GradientsNeedAutograd

    try:
        return _run_graph(model, inputs, training, mask)
    except GradientsNeedAutograd:
        if torch.is_grad_enabled() and not torch.is_inference_mode_enabled():
            raise
    # A layer takes K.gradients of tensors the graph computes (Keras 2's `getwhere` trick in
    # Lambda layers): predict / evaluate run without autograd, so run once more with it, on
    # copies of the inputs made outside inference mode (floating ones taking gradients, so that
    # K.gradients with respect to a model Input has them), and return the values detached.
    def copy(t):
        if not isinstance(t, torch.Tensor):
            return t
        t = t.clone()
        return t.requires_grad_(True) if t.is_floating_point() else t

    with torch.inference_mode(False), torch.enable_grad():
        copies = map_structure(copy, inputs)
        outputs = _run_graph(model, copies, training, mask)
    return map_structure(lambda t: t.detach() if isinstance(t, torch.Tensor) else t, outputs)


def _run_graph(model, inputs, training, mask):
    graph = model._graph
    plan = graph.with_losses or graph
    values = [None] * plan.n_slots
    if type(inputs) is torch.Tensor and graph.single_rank == inputs.dim():
        flat = (inputs,)  # the common case of fit: one tensor of the right rank
    else:
        flat = standardize_inputs(model, inputs)
    if mask is not None:
        for x, m in zip(flat, flatten(mask) if isinstance(mask, (list, tuple, dict)) else [mask]):
            if m is not None:
                x._keras_mask = m
    for slot, x in zip(plan.input_slots, flat):
        values[slot] = x
    # While the layers run, an operation on one of this graph's KerasTensors inside a layer's
    # call (a layer closing over `z_mean` from outside its inputs) computes with its value in
    # this pass (see _live_operands).
    running = _running_passes()
    running.append((plan.slot_of, values))
    try:
        for layer, fast, args, kwargs, outs, single, accepts_training in plan.steps:
            if fast is not None and not kwargs:
                if training is not None and accepts_training:
                    y = layer(values[fast], training=training)
                else:
                    y = layer(values[fast])
            else:
                a = _fill(args, values)
                k = _fill(kwargs, values)
                # A `training=` written where the graph was built wins over the outer call's: the
                # fine-tuning recipe's `base_model(inputs, training=False)` keeps BatchNormalization
                # in inference mode during fit, and `Dropout(0.5)(x, training=True)` stays on in
                # predict, as in tf.keras 2 and as Keras 3's guides describe (Keras 3 itself lets the
                # outer value override it, keras-team/keras#20285).
                if training is not None and accepts_training and "training" not in k:
                    k["training"] = training
                y = layer(*a, **k)
            if single:
                values[outs] = y
            else:
                for s, v in zip(outs, flatten(y)):
                    values[s] = v
    finally:
        running.pop()
    frames = getattr(_LIVE, "frames", None)
    if frames is not None:
        frames.append((plan.slot_of, values))
    n = len(graph.outputs)
    if plan is not graph:
        # The tensors given to model.add_loss() / add_metric(), recomputed for this call's inputs.
        extras = [values[s] for s in plan.output_slots[n:]]
        model._added_losses = [v for v, kind in zip(extras, graph.extra_kinds) if kind is None]
        if not rng.is_tracing():
            for v, kind in zip(extras, graph.extra_kinds):
                if kind is not None:
                    model._symbolic_metric(kind).update_state(v.detach())
    return _unpack_singleton(pack_as(graph.output_struct, [values[s] for s in plan.output_slots[:n]]))


def has_symbolic(x):
    return any(isinstance(t, KerasTensor) for t in flatten(x))


def add_symbolic_loss(model, losses, metric_name=None):
    """Keras 2's `model.add_loss(symbolic_tensor)` on a graph model: keep the loss tensors as
    extra outputs of an execution plan that `run_graph` follows, so every call computes them
    from its inputs and records them as the model's added losses. The model's own graph
    (layers, summary, config) is unchanged, as the loss is not part of Keras 2's saved config.
    With `metric_name`, the tensor is Keras 2's `model.add_metric(tensor, name)` instead: each
    call averages it into the model's Mean metric of that name."""
    graph = model._graph
    tensors = flatten(losses)
    what = "add_loss()" if metric_name is None else "add_metric()"
    for t in tensors:
        if not isinstance(t, KerasTensor):
            raise ValueError(f"Model '{model.name}': {what} received a mix of symbolic and concrete values "
                             f"({type(t).__name__}). Pass symbolic tensors built from the model's inputs.")
    kept = (graph.with_losses.outputs[len(graph.outputs):] if graph.with_losses else []) + tensors
    try:
        plan = Graph(graph.input_struct, graph.outputs + kept)
    except ValueError as e:
        raise ValueError(f"Model '{model.name}' cannot compute the tensor given to {what} from its inputs "
                         f"{[_input_name(t) for t in graph.inputs]}: {e}") from None
    graph.extra_kinds = list(graph.extra_kinds) + [metric_name] * len(tensors)
    own = {id(l) for l in model._flatten_layers()}
    extra = [l for l in plan.operations if id(l) not in own and l.weights]
    if extra:  # layers only the loss uses still train with the model
        model._loss_layers = nn.ModuleList(extra)
    graph.with_losses = plan


# ----------------------------------------------------------------------------- Functional

class Functional(Model):
    """A model defined by a graph of layers: `Model(inputs, outputs)`."""

    def __init__(self, inputs=None, outputs=None, name=None, trainable=True, **kwargs):
        init_graph(self, inputs, outputs, name=name, trainable=trainable, **kwargs)

    def call(self, inputs, training=None, mask=None):
        return run_graph(self, inputs, training=training, mask=mask)

    @property
    def outputs(self):
        return list(self._graph.outputs)

    @outputs.setter
    def outputs(self, outputs):
        """Keras 2's `model.outputs = [model.layers[9].output]`: the model then computes these
        tensors from the same inputs, with the same layers and weights (perceptual losses cut
        a VGG this way). Keras 3 refuses the assignment; `Model(model.input, tensors)` is its
        spelling."""
        replace_outputs(self, outputs)

    def build(self, input_shape=None):
        self.built = True

    def _maybe_build(self, input_shape):
        self.built = True

    def compute_output_shape(self, input_shape):
        if _same_shapes(input_shape, map_structure(lambda t: t.shape, self._graph.input_struct)):
            return self.output_shape
        return super().compute_output_shape(input_shape)

    def get_config(self):
        return functional_config(self)

    @classmethod
    def from_config(cls, config, custom_objects=None):
        return functional_from_config(cls, config, custom_objects=custom_objects)


def replace_outputs(model, outputs):
    """Rebuild `model`'s graph for its inputs and the symbolic tensors `outputs` (the layers
    no longer on the way to an output leave the model; every layer and weight is shared)."""
    graph = model._graph
    if isinstance(outputs, tuple):
        outputs = list(outputs)
    try:
        new = Graph(graph.input_struct, outputs)
        if graph.with_losses is not None:  # model.add_loss() / add_metric() tensors stay computed
            new.with_losses = Graph(graph.input_struct, new.outputs + graph.with_losses.outputs[len(graph.outputs):])
            new.extra_kinds = list(graph.extra_kinds)
    except ValueError as e:
        raise ValueError(f"Model '{model.name}' cannot take these `outputs`: they must be symbolic tensors computed "
                         f"from its inputs {[_input_name(t) for t in graph.inputs]}. {e}") from None
    object.__setattr__(model, "_graph", new)
    model._graph_layers = nn.ModuleList(new.operations)
    if new.with_losses is not None:
        own = {id(l) for l in new.operations}
        extra = [l for l in new.with_losses.operations if id(l) not in own and l.weights]
        model._loss_layers = nn.ModuleList(extra)
    model.output_names = [t._keras_history[0].name for t in new.outputs]


def _same_shapes(a, b):
    try:
        return flatten(_unpack_singleton(a)) == flatten(_unpack_singleton(b))
    except Exception:
        return False


# Graph-aware views used by Model's properties (keraslite.models.model).

def graph_inputs(model):
    return list(model._graph.inputs)


def graph_outputs(model):
    return list(model._graph.outputs)


def graph_input_shape(model):
    """As Keras: shapes of the flat inputs list, a single shape when there is one input."""
    return _unpack_singleton([t.shape for t in model._graph.inputs])


def graph_output_shape(model):
    return _unpack_singleton([t.shape for t in model._graph.outputs])


# ----------------------------------------------------------------------------- config

def _serialize_layer(layer):
    try:
        from keraslite.saving.serialization import serialize_layer
    except ImportError:
        serialize_layer = None
    if serialize_layer is not None:
        return serialize_layer(layer)
    from keraslite.saving.serialization import serialize_keras_object

    config = serialize_keras_object(layer)
    if isinstance(layer, Functional):
        config["module"] = "keras.src.models.functional"
        config["registered_name"] = "Functional"
    build = layer.get_build_config() if not isinstance(layer, (Functional, InputLayer)) else None
    if build is not None:
        config["build_config"] = build
    return config


def _lookup_class(class_name, registered_name=None, custom_objects=None):
    from keraslite import layers as layers_mod, models as models_mod
    from keraslite.saving import registry

    for key in (registered_name, class_name):
        obj = registry.get_registered_object(key, custom_objects) if key else None
        if obj is not None:
            return obj
    if class_name in ("Functional", "Model"):
        return Functional
    for module in (layers_mod, models_mod):
        obj = getattr(module, class_name, None)
        if isinstance(obj, type):
            return obj
    if class_name == "SymbolicOp":
        return SymbolicOp
    raise ValueError(f"Unknown layer class '{class_name}' in the model config. If it is a custom layer, pass it "
                     f"in `custom_objects={{'{class_name}': {class_name}}}` or register it with "
                     "@keras.saving.register_keras_serializable().")


def _deserialize_layer(config, custom_objects=None):
    if str(config.get("module") or "").startswith("keras.src.ops"):
        return _keras_op_from_config(config)
    if (not config.get("module") and set(config.get("config") or {}) <= {"name"}
            and backend.to_snake_case(str(config.get("class_name"))) in _KERAS_NUMPY_OPS):
        # Keras 3's legacy .h5 config of `x * 2.0` on an Input: an operation node named like
        # the merge layer (`Multiply`), without its module; a layer's config would also hold
        # trainable and dtype. (Keras itself then builds the merge layer and fails to load.)
        return _keras_op_from_config(config)
    try:
        from keraslite.saving.serialization import deserialize_layer
    except ImportError:
        deserialize_layer = None
    if deserialize_layer is not None:
        try:
            return deserialize_layer(config, custom_objects=custom_objects)
        except ValueError:
            # Keras 3's legacy .h5 configs write operation nodes (`NotEqual` for a mask,
            # `PadImages`) without their `module`: take an unknown class that names a
            # keraslite.ops function as one.
            module = _module_of_keras_op(str(config.get("class_name")))
            if module is None:
                raise
            return _keras_op_from_config({**config, "module": module})
    cls = _lookup_class(config["class_name"], config.get("registered_name"), custom_objects)
    inner = dict(config.get("config", {}))
    if hasattr(cls, "from_config"):
        try:
            return cls.from_config(inner, custom_objects=custom_objects)
        except TypeError:
            return cls.from_config(inner)
    return cls(**inner)


def _tensor_config(t, node_index):
    return {"class_name": "__keras_tensor__",
            "config": {"shape": list(t.shape), "dtype": t.dtype,
                       "keras_history": [t._keras_history[0].name, node_index, t._keras_history[2]]}}


def functional_config(model):
    """The Keras 3 functional config: layers with inbound_nodes, input_layers, output_layers."""
    graph = model._graph
    own = graph.nodes
    # Keras renumbers nodes to count only the model's own ones; nested Functional models
    # count from 1 in input_layers/output_layers (their built-in node in Keras).
    renumber = {}
    for layer in graph.operations:
        kept = 1 if isinstance(layer, Functional) else 0
        for node in layer._inbound_nodes:
            if id(node) in own:
                renumber[id(node)] = kept
                kept += 1

    def own_index(t):
        layer, index = t._keras_history[0], t._keras_history[1]
        skipped = sum(1 for n in layer._inbound_nodes[:index] if id(n) not in own)
        return index - skipped

    def ser(v):
        if isinstance(v, KerasTensor):
            return _tensor_config(v, own_index(v))
        if isinstance(v, (list, tuple)):
            return [ser(x) for x in v]
        if isinstance(v, dict):
            return {k: ser(x) for k, x in v.items()}
        if isinstance(v, (torch.Tensor, np.ndarray, np.generic, slice)) or v is Ellipsis:
            return _encode(v)  # a constant operand or a slicing key: Keras's config markers
        return v

    layer_configs = []
    for layer in graph.operations:
        nodes = []
        for node in layer._inbound_nodes:
            if id(node) in own and node.input_tensors:
                nodes.append({"args": ser(list(node.args)), "kwargs": ser(node.kwargs)})
        config = _serialize_layer(layer)
        if isinstance(layer, InputLayer):
            config.pop("build_config", None)  # Keras writes none for inputs
        config["name"] = layer.name
        config["inbound_nodes"] = nodes
        layer_configs.append(config)

    def history(t):
        return [t._keras_history[0].name, renumber[id(producer_node(t))], t._keras_history[2]]

    return {"name": model.name, "trainable": model.trainable, "layers": layer_configs,
            "input_layers": map_structure(history, graph.input_struct),
            "output_layers": map_structure(history, graph.output_struct)}


def _is_triple(x):
    return isinstance(x, (list, tuple)) and len(x) == 3 and isinstance(x[0], str) and isinstance(x[1], int)


def functional_from_config(cls, config, custom_objects=None):
    """Rebuild a graph model from a Keras 3 or Keras 2 functional config."""
    config = dict(config)
    created = {}
    pending = collections.OrderedDict()
    # Keras 2 counts a built-in first node (inputs -> outputs) on nested graph models; a
    # Sequential has one when it was built as a graph, i.e. its layers start with an InputLayer
    # (tf.keras builds a Sequential that way even without an input shape, on its first call).
    # keraslite's Sequential keeps no such node, so Keras 2 indices to it are one too high.
    graph_sequentials = set()
    for layer_data in config["layers"]:
        layer = _deserialize_layer(layer_data, custom_objects)
        name = layer_data.get("name") or layer_data.get("config", {}).get("name")
        created[name] = layer
        pending[name] = list(layer_data.get("inbound_nodes", []))
        inner = layer_data.get("config", {}).get("layers") if isinstance(layer_data.get("config"), dict) else None
        if (isinstance(layer, Model) and getattr(layer, "_graph", None) is None and isinstance(inner, list)
                and inner and isinstance(inner[0], dict) and inner[0].get("class_name") == "InputLayer"):
            graph_sequentials.add(name)

    def tensor_at(layer_name, node_index, tensor_index, nested_offset):
        if layer_name not in created:
            raise ValueError(f"Invalid functional config: unknown layer '{layer_name}'.")
        layer = created[layer_name]
        if isinstance(layer, InputLayer):
            return layer.output
        if nested_offset and isinstance(layer, Model) and (getattr(layer, "_graph", None) is not None
                                                           or layer_name in graph_sequentials):
            node_index -= 1
        if node_index >= len(layer._inbound_nodes):
            raise IndexError(node_index)
        return layer._inbound_nodes[node_index].output_tensors[tensor_index]

    def revive(v):
        if isinstance(v, dict) and v.get("class_name") == "__keras_tensor__":
            h = v["config"]["keras_history"]
            return tensor_at(h[0], h[1], h[2], nested_offset=False)
        if isinstance(v, dict) and v.get("class_name") in ("__slice__", "__ellipsis__"):
            return _decode(v)
        if isinstance(v, dict) and v.get("class_name") in ("__numpy__", "__tensor__"):
            return _constant(v)
        if isinstance(v, (list, tuple)):
            return [revive(x) for x in v]
        if isinstance(v, dict):
            return {k: revive(x) for k, x in v.items()}
        return v

    def keras2_tensors(v):
        if _is_triple(v) and v[0] in created:
            return tensor_at(v[0], v[1], v[2], nested_offset=True)
        if isinstance(v, list) and v and all(_is_triple(x) and x[0] in created for x in v):
            return [keras2_tensors(x) for x in v]
        if isinstance(v, dict):
            return {k: keras2_tensors(x) for k, x in v.items()}
        return v

    def call_node(layer, node_data):
        if isinstance(node_data, dict):  # Keras 3
            args = revive(node_data.get("args", []))
            kwargs = revive(node_data.get("kwargs", {}))
            if "training" in kwargs and kwargs["training"] is getattr(layer, "_keras_training_default", None):
                # Keras 3 writes the default of a layer's `training` argument into every node
                # (True for random augmentation, False for Dropout): not a choice the program
                # made, so the outer call's flag decides (predict does not augment, fit drops out).
                del kwargs["training"]
        else:  # Keras 2: [[layer_name, node_index, tensor_index, kwargs], ...]
            if node_data and isinstance(node_data[0], str):
                # tf.keras 2's op layers (TFOpLambda) store a single-tensor first argument as one
                # bare entry, without the list around it.
                node_data = [node_data]
            tensors, kwargs = [], {}
            for entry in node_data:
                tensors.append(tensor_at(entry[0], entry[1], entry[2], nested_offset=True))
                if len(entry) > 3 and entry[3]:
                    kwargs = dict(entry[3])
            args = [_unpack_singleton(tensors)]
            # Keras 2 wrote tensors passed by keyword (MultiHeadAttention's `value`, `key`,
            # `attention_mask`) as [layer_name, node_index, tensor_index] triples.
            kwargs = {k: keras2_tensors(v) for k, v in kwargs.items()}
        kwargs = {k: v for k, v in kwargs.items() if not (k == "mask" and v is None)}
        layer(*args, **kwargs)

    while any(pending.values()):
        progressed = False
        for name, nodes in pending.items():
            while nodes:
                try:
                    call_node(created[name], nodes[0])
                except IndexError:
                    break
                nodes.pop(0)
                progressed = True
        if not progressed:
            raise ValueError("Invalid functional config: the graph has loops or disconnected nodes; unresolved: "
                             f"{[n for n, v in pending.items() if v]}.")

    def tensors(spec):
        if _is_triple(spec):
            return tensor_at(spec[0], spec[1], spec[2], nested_offset=True)
        if isinstance(spec, dict):
            return {k: tensors(v) for k, v in spec.items()}
        return [tensors(v) for v in spec]

    inputs = tensors(config["input_layers"])
    outputs = tensors(config["output_layers"])
    name = config.get("name")
    trainable = config.get("trainable", True)
    if cls is Model or cls is Functional or not issubclass(cls, Model):
        return Functional(inputs, outputs, name=name, trainable=trainable if trainable is not None else True)
    return cls(inputs=inputs, outputs=outputs, name=name)


# ----------------------------------------------------------------------------- Sequential hooks

def _sequential_graph(model):
    key = (tuple(id(l) for l in model.layers), getattr(model, "_batch_input_shape", None))
    cached = model.__dict__.get("_symbolic_io")
    if cached is not None and cached[0] == key:
        return cached[1], cached[2]
    input_layer = getattr(model, "_input_layer", None)
    if input_layer is not None:
        inp = input_layer.output
    elif getattr(model, "_batch_input_shape", None) is not None:
        # One Input per model (and shape): layer.input / layer.output read before and after
        # more layers are added then belong to one connected graph, as in Keras.
        shape = tuple(model._batch_input_shape)
        auto = model.__dict__.get("_auto_input")
        if auto is None or auto[0] != shape:
            auto = model.__dict__["_auto_input"] = (shape, Input(batch_shape=shape,
                                                                 name=getattr(model, "_input_name", None)))
        inp = auto[1]
    else:
        raise AttributeError(f"Sequential model '{model.name}' has no defined inputs yet: give the first layer an "
                             "`input_shape`, start with keras.Input(shape), or build the model first.")
    x = inp
    for layer in model.layers:
        x = layer(x)
    outputs = list(x) if isinstance(x, (list, tuple)) else [x]  # a last layer with several outputs
    model.__dict__["_symbolic_io"] = (key, [inp], outputs)
    return [inp], outputs


def sequential_inputs(model):
    return _sequential_graph(model)[0]


def sequential_outputs(model):
    return _sequential_graph(model)[1]
