"""Merge layers: Add, Subtract, Multiply, Average, Maximum, Minimum, Concatenate, Dot, and
their functional forms (add, subtract, ..., dot) that build the layer and call it.

A merge layer takes a list of tensors as its single input (`Add()([a, b])`) and is built
from the list of their shapes. Owns Keras 3's shape rules (elementwise broadcasting of the
non-batch dims, inputs of lower rank expanded at axis 1), mask merging and the errors for
incompatible shapes. Leaves graph building to keraslite.models.functional.
"""
import types

import torch

from keraslite.layers.layer import Layer
from keraslite.utils import rng

__all__ = ["Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum", "Concatenate", "Dot", "add", "subtract",
           "multiply", "average", "maximum", "minimum", "concatenate", "dot", "merge"]


def _mask_of(x):
    return getattr(x, "_keras_mask", None)


def _expanded_mask(mask, x):
    # (batch, time) mask -> x's shape, e.g. (batch, time, features)
    return mask.unsqueeze(-1).expand(x.shape).bool()


_VIEWS = (type({}.values()), type({}.keys()), types.GeneratorType, map)


def _is_shape_list(input_shape):
    return isinstance(input_shape, (list, tuple)) and len(input_shape) > 0 and all(
        isinstance(s, (list, tuple)) for s in input_shape)


class _Merge(Layer):
    """Elementwise merge of a list of tensors; subclasses write `_merge_function(inputs)`."""

    min_inputs = 1

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True

    def __call__(self, *args, **kwargs):
        if args and isinstance(args[0], _VIEWS):
            # tf.keras 2 took `Concatenate()(inputs_dict.values())` (the Crash Course's feature inputs).
            args = (list(args[0]),) + args[1:]
        return super().__call__(*args, **kwargs)

    def _check_list(self, input_shape):
        name = type(self).__name__
        if not _is_shape_list(input_shape):
            raise ValueError(f"{name} '{self.name}': a merge layer must be called on a list of tensors, e.g. "
                             f"{name}()([a, b]); received input shape {input_shape}.")
        if len(input_shape) < self.min_inputs:
            raise ValueError(f"{name} '{self.name}': expects at least {self.min_inputs} inputs; received "
                             f"{len(input_shape)} with shapes {[tuple(s) for s in input_shape]}.")
        batch_sizes = {s[0] for s in input_shape if len(s)} - {None}
        if len(batch_sizes) > 1:
            raise ValueError(f"{name} '{self.name}': cannot merge tensors with different batch sizes; received "
                             f"shapes {[tuple(s) for s in input_shape]}.")

    def _elementwise_shape(self, shape1, shape2, shapes):
        """Keras's broadcast of two non-batch shapes (trailing dims aligned, 1 broadcasts)."""
        if len(shape1) < len(shape2):
            shape1, shape2 = shape2, shape1
        if not shape2:
            return tuple(shape1)
        out = list(shape1[:len(shape1) - len(shape2)])
        for i, j in zip(shape1[len(shape1) - len(shape2):], shape2):
            if i is None or j is None:
                out.append(None)
            elif i == 1 or j == 1:
                out.append(j if i == 1 else i)
            elif i != j:
                raise ValueError(f"{type(self).__name__} '{self.name}': inputs have incompatible shapes "
                                 f"{[tuple(s) for s in shapes]}. Elementwise merge layers need equal non-batch "
                                 "dimensions (or 1, which broadcasts). Reshape or project the inputs to a common "
                                 "shape first.")
            else:
                out.append(i)
        return tuple(out)

    def build(self, input_shape):
        self._check_list(input_shape)
        self.compute_output_shape(input_shape)  # raises on incompatible shapes

    def call(self, inputs):
        if not isinstance(inputs, (list, tuple)):
            raise ValueError(f"{type(self).__name__} '{self.name}': a merge layer must be called on a list of "
                             f"tensors; received a single tensor of shape {tuple(inputs.shape)}.")
        inputs = list(inputs)
        ranks = [x.ndim for x in inputs]
        if len(set(ranks)) > 1:
            self._elementwise_output_shape([tuple(x.shape) for x in inputs])
            # Lower-rank inputs gain axes right after the batch axis (Keras's rule).
            top = max(ranks)
            inputs = [x.reshape((x.shape[0],) + (1,) * (top - x.ndim) + tuple(x.shape[1:])) for x in inputs]
        return self._merge_function(inputs)

    def _elementwise_output_shape(self, input_shapes):
        out = tuple(input_shapes[0][1:])
        for shape in input_shapes[1:]:
            out = self._elementwise_shape(out, tuple(shape[1:]), input_shapes)
        batch_sizes = {s[0] for s in input_shapes if len(s)} - {None}
        return ((batch_sizes.pop() if len(batch_sizes) == 1 else None),) + out

    def compute_output_shape(self, input_shape):
        self._check_list(input_shape)
        return self._elementwise_output_shape(input_shape)

    def compute_mask(self, inputs, mask=None):
        if mask is None:
            return None
        if not isinstance(mask, (list, tuple)) or len(mask) != len(inputs):
            raise ValueError(f"{type(self).__name__} '{self.name}': expected one mask per input "
                             f"({len(inputs)} inputs); received mask={mask!r}.")
        if any(m is None for m in mask):
            return None
        out = mask[0]
        for m in mask[1:]:
            out = out | m
        return out

    def _merge_function(self, inputs):
        raise NotImplementedError


class Add(_Merge):
    def _merge_function(self, inputs):
        out = inputs[0]
        for x in inputs[1:]:
            out = out + x
        return out


class Subtract(_Merge):
    """inputs[0] - inputs[1]; exactly two inputs."""

    def build(self, input_shape):
        super().build(input_shape)
        if len(input_shape) != 2:
            raise ValueError(f"Subtract '{self.name}': expects exactly 2 inputs; received {len(input_shape)} with "
                             f"shapes {[tuple(s) for s in input_shape]}.")

    def _merge_function(self, inputs):
        if len(inputs) != 2:
            raise ValueError(f"Subtract '{self.name}': expects exactly 2 inputs; received {len(inputs)}.")
        return inputs[0] - inputs[1]


class Multiply(_Merge):
    """Elementwise product. Masked positions count as 1; where every input is masked the
    output is 0 (Keras's rule when all inputs carry masks)."""

    def _merge_function(self, inputs):
        masks = [_mask_of(x) for x in inputs]
        all_masked = all(m is not None for m in masks)
        out = out_mask = None
        for x, mask in zip(inputs, masks):
            if mask is not None:
                mask = _expanded_mask(mask, x)
                x = torch.where(mask, x, torch.ones((), dtype=x.dtype, device=x.device))
                if all_masked:
                    out_mask = mask if out_mask is None else out_mask | mask
            out = x if out is None else out * x
        if all_masked:
            out = torch.where(out_mask, out, torch.zeros((), dtype=out.dtype, device=out.device))
        return out


class Average(_Merge):
    def _merge_function(self, inputs):
        out = inputs[0]
        for x in inputs[1:]:
            out = out + x
        return out / len(inputs)


class _MaskedExtremum(_Merge):
    """Maximum/Minimum: a masked position takes the other operand's value (no identity element)."""

    op = None

    def _merge_function(self, inputs):
        out = out_mask = None
        for x in inputs:
            mask = _mask_of(x)
            if mask is not None:
                mask = _expanded_mask(mask, x)
            if out is None:
                out, out_mask = x, mask
                continue
            if mask is not None:
                x = torch.where(mask, x, out)
            if out_mask is not None:
                out = torch.where(out_mask, out, x)
            out_mask = out_mask | mask if (mask is not None and out_mask is not None) else None
            out = type(self).op(out, x)
        return out


class Maximum(_MaskedExtremum):
    op = staticmethod(torch.maximum)


class Minimum(_MaskedExtremum):
    op = staticmethod(torch.minimum)


class Concatenate(_Merge):
    """Join the inputs along `axis`; every other axis must match."""

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = int(axis)

    def _check_shapes(self, input_shape):
        self._check_list(input_shape)
        shapes = [tuple(s) for s in input_shape]
        ranks = {len(s) for s in shapes}
        problem = None
        if len(ranks) != 1:
            problem = f"the inputs have different ranks {sorted(ranks)}"
        else:
            rank = ranks.pop()
            if not -rank <= self.axis < rank:
                problem = f"axis={self.axis} is out of range for rank-{rank} inputs"
            else:
                axis = self.axis % rank
                for d in range(1, rank):
                    sizes = {s[d] for s in shapes if s[d] is not None}
                    if d != axis and len(sizes) > 1:
                        problem = f"axis {d} differs ({sorted(sizes)})"
                        break
        if problem:
            raise ValueError(f"Concatenate '{self.name}': inputs must have matching shapes except along the "
                             f"concatenation axis ({self.axis}), but {problem}. Received input shapes {shapes}.")
        return shapes

    def build(self, input_shape):
        self._check_shapes(input_shape)

    def call(self, inputs):
        if not isinstance(inputs, (list, tuple)):
            raise ValueError(f"Concatenate '{self.name}': must be called on a list of tensors; received a single "
                             f"tensor of shape {tuple(inputs.shape)}.")
        try:
            return torch.cat(list(inputs), dim=self.axis)
        except RuntimeError:
            self._check_shapes([tuple(x.shape) for x in inputs])
            raise

    def compute_output_shape(self, input_shape):
        shapes = self._check_shapes(input_shape)
        out = list(shapes[0])
        axis = self.axis % len(out)
        for s in shapes[1:]:
            if out[axis] is None or s[axis] is None:
                out[axis] = None
                break
            out[axis] += s[axis]
        batch = {s[0] for s in shapes} - {None}
        out[0] = batch.pop() if len(batch) == 1 else None
        return tuple(out)

    def compute_mask(self, inputs, mask=None):
        if mask is None:
            return None
        if not isinstance(mask, (list, tuple)) or len(mask) != len(inputs):
            raise ValueError(f"Concatenate '{self.name}': expected one mask per input ({len(inputs)} inputs); "
                             f"received mask={mask!r}.")
        if all(m is None for m in mask):
            return None
        full = []
        for x, m in zip(inputs, mask):
            if m is None:
                full.append(torch.ones(x.shape, dtype=torch.bool, device=x.device))
            elif m.ndim < x.ndim:
                full.append(m.unsqueeze(-1).expand(x.shape).bool())
            else:
                full.append(m.bool())
        return torch.cat(full, dim=self.axis).any(dim=-1)

    def get_config(self):
        config = super().get_config()
        config["axis"] = self.axis
        return config


class Dot(_Merge):
    """Batched dot product of two tensors along `axes` (an int for both, or a pair).
    `normalize=True` L2-normalizes both along those axes first (cosine similarity)."""

    def __init__(self, axes, normalize=False, **kwargs):
        super().__init__(**kwargs)
        if isinstance(axes, (list, tuple)):
            if len(axes) != 2 or not all(isinstance(a, int) for a in axes):
                raise ValueError(f"Dot '{self.name}': axes must be an int or a list of two ints; received "
                                 f"axes={axes!r}.")
            axes = list(axes)
        elif not isinstance(axes, int):
            raise TypeError(f"Dot '{self.name}': axes must be an int or a list of two ints; received axes={axes!r}.")
        self.axes = axes
        self.normalize = bool(normalize)

    def _axes_for(self, shape1, shape2):
        if isinstance(self.axes, int):
            pair = [self.axes, self.axes]
        else:
            pair = list(self.axes)
        out = []
        for a, shape in zip(pair, (shape1, shape2)):
            if not -len(shape) <= a < len(shape):
                raise ValueError(f"Dot '{self.name}': axis {a} is out of range for an input of shape {tuple(shape)}; "
                                 f"received axes={self.axes}.")
            out.append(a % len(shape))
        return out

    def _check_pair(self, input_shape):
        self._check_list(input_shape)
        if len(input_shape) != 2:
            raise ValueError(f"Dot '{self.name}': expects exactly 2 inputs; received {len(input_shape)} with shapes "
                             f"{[tuple(s) for s in input_shape]}.")
        shape1, shape2 = tuple(input_shape[0]), tuple(input_shape[1])
        if len(shape1) < 2 or len(shape2) < 2:
            raise ValueError(f"Dot '{self.name}': inputs need rank >= 2 (batch + features); received shapes {shape1} "
                             f"and {shape2}.")
        a1, a2 = self._axes_for(shape1, shape2)
        if shape1[a1] is not None and shape2[a2] is not None and shape1[a1] != shape2[a2]:
            raise ValueError(f"Dot '{self.name}': incompatible input shapes: axis {a1} of {shape1} has size "
                             f"{shape1[a1]} but axis {a2} of {shape2} has size {shape2[a2]}. The dot product needs "
                             "equal sizes along `axes`.")
        return shape1, shape2, a1, a2

    def build(self, input_shape):
        self._check_pair(input_shape)

    def call(self, inputs):
        if not isinstance(inputs, (list, tuple)) or len(inputs) != 2:
            raise ValueError(f"Dot '{self.name}': must be called on a list of exactly 2 tensors.")
        x, y = inputs
        _, _, a1, a2 = self._check_pair([tuple(x.shape), tuple(y.shape)])
        if 0 in (a1, a2):
            # Keras builds such a layer (with compute_output_shape's shape) and only refuses to run it on data.
            if rng.is_tracing():
                return x.new_zeros(self.compute_output_shape([tuple(x.shape), tuple(y.shape)]))
            raise ValueError(f"Dot '{self.name}': cannot take the dot product over the batch axis 0; received "
                             f"axes={self.axes} for shapes {tuple(x.shape)} and {tuple(y.shape)}. Use axes that "
                             "are not the batch axis (e.g. axes=1 for two (batch, n) inputs); if your inputs are "
                             "not batched, add a batch dimension with keras.ops.expand_dims(x, 0).")
        if self.normalize:
            x = _l2_normalize(x, a1)
            y = _l2_normalize(y, a2)
        # Contract x's axis a1 with y's axis a2 per sample: (b, X.., d) @ (b, d, Y..) -> (b, X.., Y..)
        batch, d = x.shape[0], x.shape[a1]
        x_moved = x.movedim(a1, -1)
        y_moved = y.movedim(a2, 1)
        x_rest, y_rest = x_moved.shape[1:-1], y_moved.shape[2:]
        out = torch.bmm(x_moved.reshape(batch, -1, d), y_moved.reshape(batch, d, -1))
        out = out.reshape((batch,) + tuple(x_rest) + tuple(y_rest))
        if out.ndim == 1:
            out = out.unsqueeze(-1)  # both inputs 2-D: (batch, 1)
        return out

    def compute_output_shape(self, input_shape):
        shape1, shape2, a1, a2 = self._check_pair(input_shape)
        # Keras's rule: drop axis a1 of the first shape, then axis a2 and the (new) first axis of the second.
        # For axes=0 that is only a placeholder shape: call() refuses to contract the batch axis.
        rest2 = list(shape2)
        rest2.pop(a2)
        rest2.pop(0)
        out = [d for i, d in enumerate(shape1) if i != a1] + rest2
        if len(out) == 1:
            out.append(1)
        return tuple(out)

    def compute_mask(self, inputs, mask=None):
        return None

    def get_config(self):
        config = super().get_config()
        config.update(axes=self.axes, normalize=self.normalize)
        return config


def _l2_normalize(x, axis, epsilon=1e-7):
    # Keras: x * min(1/||x||, 1/epsilon), so an all-zero vector stays zero.
    return x * torch.rsqrt(x.square().sum(axis, keepdim=True)).clamp(max=1.0 / epsilon)


# ----------------------------------------------------------------------------- functional forms

def add(inputs, **kwargs):
    """`Add(**kwargs)(inputs)`."""
    return Add(**kwargs)(inputs)


def subtract(inputs, **kwargs):
    """`Subtract(**kwargs)(inputs)`."""
    return Subtract(**kwargs)(inputs)


def multiply(inputs, **kwargs):
    """`Multiply(**kwargs)(inputs)`."""
    return Multiply(**kwargs)(inputs)


def average(inputs, **kwargs):
    """`Average(**kwargs)(inputs)`."""
    return Average(**kwargs)(inputs)


def maximum(inputs, **kwargs):
    """`Maximum(**kwargs)(inputs)`."""
    return Maximum(**kwargs)(inputs)


def minimum(inputs, **kwargs):
    """`Minimum(**kwargs)(inputs)`."""
    return Minimum(**kwargs)(inputs)


def concatenate(inputs, axis=-1, **kwargs):
    """`Concatenate(axis, **kwargs)(inputs)`."""
    return Concatenate(axis=axis, **kwargs)(inputs)


def dot(inputs, axes=-1, normalize=False, **kwargs):
    """`Dot(axes, normalize, **kwargs)(inputs)`."""
    return Dot(axes=axes, normalize=normalize, **kwargs)(inputs)


_MERGE_MODES = {"sum": Add, "mul": Multiply, "ave": Average, "max": Maximum}


def merge_layer_for_mode(mode, concat_axis=-1, dot_axes=-1, output_shape=None, output_mask=None, arguments=None,
                         name=None):
    """The layer for a Keras 1 merge `mode`: 'sum' -> Add, 'mul' -> Multiply, 'ave' -> Average,
    'max' -> Maximum, 'concat' -> Concatenate(concat_axis), 'dot' / 'cos' -> Dot(dot_axes,
    normalize for 'cos'); a callable mode becomes a Lambda on the list of inputs."""
    if callable(mode):
        from keraslite.layers.misc import Lambda

        return Lambda(mode, output_shape=output_shape, mask=output_mask, arguments=arguments, name=name)
    if mode in _MERGE_MODES:
        return _MERGE_MODES[mode](name=name)
    if mode == "concat":
        return Concatenate(axis=concat_axis, name=name)
    if mode in ("dot", "cos"):
        return Dot(axes=dot_axes, normalize=mode == "cos", name=name)
    raise ValueError(f"merge: mode={mode!r} is not supported. Use one of 'sum', 'mul', 'ave', 'max', 'concat', "
                     "'dot', 'cos' or a function of the list of inputs.")


def merge(inputs, mode="sum", concat_axis=-1, dot_axes=-1, output_shape=None, output_mask=None, arguments=None,
          name=None, **kwargs):
    """Keras 1's `merge(inputs, mode=...)`, mapped onto the merge layers above by
    `merge_layer_for_mode` and called on `inputs`."""
    for key in ("node_indices", "tensor_indices"):
        kwargs.pop(key, None)
    if kwargs:
        raise TypeError(f"merge() got unexpected keyword argument(s) {sorted(kwargs)}.")
    return merge_layer_for_mode(mode, concat_axis, dot_axes, output_shape, output_mask, arguments, name)(inputs)
