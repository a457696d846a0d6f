"""Functional graphs: symbolic calls on KerasTensors, shape inference, and the Functional model.

Shape inference runs a layer's real `call` on fake tensors (torch's FakeTensorMode: shapes
and dtypes only, no memory, no compute), so no layer needs a hand-written
compute_output_shape. Dimensions unknown before the data arrives (None) are found by tracing
at two different sizes: the output dimensions that change with them are None.
"""
import torch
from torch._subclasses.fake_tensor import FakeTensorMode

from keraslite import backend

_SENTINELS = (5, 7)


def _shape_with(shape, fill):
    return tuple(fill if d is None else d for d in shape)


def _is_shape(shape):
    return isinstance(shape, (tuple, list)) and all(d is None or isinstance(d, int) for d in shape)


def _fake_inputs(input_shape, fill, dtype):
    if _is_shape(input_shape):
        return torch.zeros(_shape_with(input_shape, fill), dtype=dtype)
    if isinstance(input_shape, dict):
        return {k: _fake_inputs(v, fill, dtype) for k, v in input_shape.items()}
    return [_fake_inputs(s, fill, dtype) for s in input_shape]


def _shapes_of(outputs):
    if isinstance(outputs, torch.Tensor):
        return tuple(outputs.shape)
    if isinstance(outputs, dict):
        return {k: _shapes_of(v) for k, v in outputs.items()}
    if isinstance(outputs, (list, tuple)):
        return [_shapes_of(o) for o in outputs]
    return None


def _merge(a, b, input_shape):
    """Dims equal in both traces are static; differing dims are None."""
    if isinstance(a, tuple):
        return tuple(x if x == y else None for x, y in zip(a, b))
    if isinstance(a, dict):
        return {k: _merge(a[k], b[k], input_shape) for k in a}
    if isinstance(a, list):
        return [_merge(x, y, input_shape) for x, y in zip(a, b)]
    return a


def trace(layer, inputs_fn, **call_kwargs):
    """Run `layer` in inference mode under FakeTensorMode on inputs built by `inputs_fn()`."""
    modes = [(m, m.training) for m in layer.modules()]
    layer.eval()
    try:
        with FakeTensorMode(allow_non_fake_inputs=True):
            return layer(inputs_fn(), **call_kwargs)
    finally:
        for m, mode in modes:
            m.training = mode


def infer_output_shape(layer, input_shape, dtype=None, **call_kwargs):
    dtype = backend.standardize_dtype(dtype)
    first = _shapes_of(trace(layer, lambda: _fake_inputs(input_shape, _SENTINELS[0], dtype), **call_kwargs))
    if not _has_unknown(input_shape):
        return _batchless(first, input_shape)
    second = _shapes_of(trace(layer, lambda: _fake_inputs(input_shape, _SENTINELS[1], dtype), **call_kwargs))
    return _merge(first, second, input_shape)


def _has_unknown(shape):
    if _is_shape(shape):
        return any(d is None for d in shape)
    if isinstance(shape, dict):
        return any(_has_unknown(v) for v in shape.values())
    return any(_has_unknown(s) for s in shape)


def _batchless(shapes, input_shape):
    return shapes
