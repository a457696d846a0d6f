"""`keras.ops.nn`: activations, pooling, convolutions, normalizations, attention, CTC and the
other neural-network ops, with Keras's argument names, defaults and data_format handling
(channels_last unless `keras.config.image_data_format()` says otherwise).

Owns the nn functions that keraslite.ops lacked; re-exports the ones it already had
(relu, softmax, one_hot, moments, ...), so that every name of `keras.ops.nn` is here. All of
them are also top-level `keraslite.ops` names, as in Keras.
"""
import math

import numpy as np
import torch
import torch.nn.functional as F

from keraslite import activations, backend
from keraslite.ops import (_float, _op, _t, binary_crossentropy, categorical_crossentropy, elu, gelu,
                           leaky_relu, log_softmax, moments, normalize, one_hot, relu, relu6, selu, sigmoid,
                           silu, softmax, softplus, sparse_categorical_crossentropy, swish)

__all__ = [
    "adaptive_average_pool", "adaptive_max_pool", "average_pool", "batch_normalization", "binary_crossentropy",
    "categorical_crossentropy", "celu", "conv", "conv_transpose", "ctc_decode", "ctc_loss", "depth_to_space",
    "depthwise_conv", "dot_product_attention", "elu", "fold", "gelu", "glu", "hard_shrink", "hard_sigmoid",
    "hard_silu", "hard_swish", "hard_tanh", "layer_normalization", "leaky_relu", "log_sigmoid", "log_softmax",
    "max_pool", "moments", "multi_hot", "normalize", "one_hot", "polar", "psnr", "relu", "relu6",
    "rms_normalization", "selu", "separable_conv", "sigmoid", "silu", "soft_shrink", "softmax", "softplus",
    "softsign", "space_to_depth", "sparse_categorical_crossentropy", "sparse_plus", "sparse_sigmoid", "sparsemax",
    "squareplus", "swish", "tanh_shrink", "threshold", "unfold",
]


# ----------------------------------------------------------------------------- shared helpers

def _tuple(value, n, arg, op):
    """An int or a sequence of n ints -> tuple of n ints (named errors otherwise)."""
    if isinstance(value, (int, np.integer)):
        return (int(value),) * n
    try:
        out = tuple(int(v) for v in value)
    except TypeError:
        out = ()
    if len(out) != n:
        raise ValueError(f"ops.{op}: `{arg}` must be an int or a tuple of {n} ints; received {arg}={value!r}.")
    return out


def _spatial_input(x, op, data_format, min_rank=3, max_rank=5):
    """Input of a pooling/conv op as a channels_first float tensor, and its data_format."""
    x = _t(x)
    data_format = backend.standardize_data_format(data_format)
    if not min_rank <= x.dim() <= max_rank:
        raise ValueError(f"ops.{op} expects an input of rank {min_rank} to {max_rank} (batch, spatial dims and "
                         f"channels); received shape {tuple(x.shape)}.")
    return (x.movedim(-1, 1) if data_format == "channels_last" else x), data_format


def _spatial_output(y, data_format):
    return y.movedim(1, -1) if data_format == "channels_last" else y


def _padding_mode(padding, op):
    mode = str(padding).lower()
    if mode not in ("valid", "same"):
        raise ValueError(f"ops.{op}: `padding` must be 'valid' or 'same'; received padding={padding!r}.")
    return mode


def _same_pads(sizes, kernel, strides, dilation):
    """(left, right) padding per spatial dim that makes a 'same' window op: the conv layers'
    rule (output = ceil(size / stride), the odd pixel going to the end)."""
    from keraslite.layers.conv import same_padding

    return [same_padding(n, k, s, d) for n, k, s, d in zip(sizes, kernel, strides, dilation)]


def _flat_pads(pads):
    flat = []
    for left, right in reversed(pads):
        flat += [left, right]
    return flat


_POOL = {"max": (F.max_pool1d, F.max_pool2d, F.max_pool3d), "avg": (F.avg_pool1d, F.avg_pool2d, F.avg_pool3d)}


def _pool(kind, op, inputs, pool_size, strides, padding, data_format):
    x, data_format = _spatial_input(inputs, op, data_format)
    n = x.dim() - 2
    pool_size = _tuple(pool_size, n, "pool_size", op)
    strides = pool_size if strides is None else _tuple(strides, n, "strides", op)
    torch_padding = 0
    if _padding_mode(padding, op) == "same":
        pads = _same_pads(x.shape[2:], pool_size, strides, (1,) * n)
        if all(left == right for left, right in pads):
            torch_padding = tuple(left for left, _ in pads)
        else:  # torch pads symmetrically only: pad by hand, repeating the border as Keras's torch backend does
            x = F.pad(x, _flat_pads(pads), mode="replicate")
    fn = _POOL[kind][n - 1]
    extra = {"count_include_pad": False} if kind == "avg" else {}
    return _spatial_output(fn(x, pool_size, strides, torch_padding, **extra), data_format)


def _adaptive_pool(kind, op, inputs, output_size, data_format):
    x, data_format = _spatial_input(inputs, op, data_format)
    n = x.dim() - 2
    output_size = _tuple(output_size, n, "output_size", op)
    fns = {"avg": (F.adaptive_avg_pool1d, F.adaptive_avg_pool2d, F.adaptive_avg_pool3d),
           "max": (F.adaptive_max_pool1d, F.adaptive_max_pool2d, F.adaptive_max_pool3d)}[kind]
    return _spatial_output(fns[n - 1](_float(x), output_size), data_format)


_CONV = (F.conv1d, F.conv2d, F.conv3d)
_CONV_T = (F.conv_transpose1d, F.conv_transpose2d, F.conv_transpose3d)


def _conv_channels_first(x, kernel, strides, padding, dilation_rate, op, groups=None):
    """x channels_first; kernel Keras-shaped (*spatial, in_channels / groups, out_channels)."""
    n = x.dim() - 2
    kernel = _t(kernel).to(x.device)
    if kernel.dim() != n + 2:
        raise ValueError(f"ops.{op}: a kernel of rank {n + 2} (spatial dims, input channels, output channels) is "
                         f"expected for an input of rank {n + 2}; received kernel shape {tuple(kernel.shape)}.")
    in_channels, kernel_in = x.shape[1], kernel.shape[-2]
    if groups is None:
        if kernel_in == 0 or in_channels % kernel_in:
            raise ValueError(f"ops.{op}: the input has {in_channels} channels, which is not a multiple of the "
                             f"kernel's input channels ({kernel_in}); kernel shape {tuple(kernel.shape)}.")
        groups = in_channels // kernel_in
    strides = _tuple(strides, n, "strides", op)
    dilation = _tuple(dilation_rate, n, "dilation_rate", op)
    weight = kernel.permute(n + 1, n, *range(n))
    if x.dtype != weight.dtype:
        x, weight = _float(x), _float(weight)
        common = torch.promote_types(x.dtype, weight.dtype)
        x, weight = x.to(common), weight.to(common)
    torch_padding = 0
    if _padding_mode(padding, op) == "same":
        pads = _same_pads(x.shape[2:], weight.shape[2:], strides, dilation)
        if all(left == right for left, right in pads):
            torch_padding = tuple(left for left, _ in pads)
        else:
            x = F.pad(x, _flat_pads(pads))
    return _CONV[n - 1](x, weight, None, strides, torch_padding, dilation, groups)


@_op
def average_pool(inputs, pool_size, strides=None, padding="valid", data_format=None):
    return _pool("avg", "average_pool", _float(_t(inputs)), pool_size, strides, padding, data_format)


@_op
def max_pool(inputs, pool_size, strides=None, padding="valid", data_format=None):
    return _pool("max", "max_pool", inputs, pool_size, strides, padding, data_format)


@_op
def adaptive_average_pool(inputs, output_size, data_format=None):
    return _adaptive_pool("avg", "adaptive_average_pool", inputs, output_size, data_format)


@_op
def adaptive_max_pool(inputs, output_size, data_format=None):
    return _adaptive_pool("max", "adaptive_max_pool", inputs, output_size, data_format)


@_op
def conv(inputs, kernel, strides=1, padding="valid", data_format=None, dilation_rate=1):
    x, data_format = _spatial_input(inputs, "conv", data_format)
    return _spatial_output(_conv_channels_first(x, kernel, strides, padding, dilation_rate, "conv"), data_format)


@_op
def depthwise_conv(inputs, kernel, strides=1, padding="valid", data_format=None, dilation_rate=1):
    x, data_format = _spatial_input(inputs, "depthwise_conv", data_format)
    kernel = _t(kernel).to(x.device)
    if kernel.dim() != x.dim() or kernel.shape[-2] != x.shape[1]:
        raise ValueError(f"ops.depthwise_conv: the kernel must have shape (*spatial, {x.shape[1]}, multiplier) "
                         f"for an input with {x.shape[1]} channels; received kernel shape {tuple(kernel.shape)}.")
    kernel = kernel.reshape(*kernel.shape[:-2], 1, kernel.shape[-2] * kernel.shape[-1])
    out = _conv_channels_first(x, kernel, strides, padding, dilation_rate, "depthwise_conv", groups=x.shape[1])
    return _spatial_output(out, data_format)


@_op
def separable_conv(inputs, depthwise_kernel, pointwise_kernel, strides=1, padding="valid", data_format=None,
                   dilation_rate=1):
    depthwise = depthwise_conv._raw(inputs, depthwise_kernel, strides, padding, data_format, dilation_rate)
    return conv._raw(depthwise, pointwise_kernel, 1, "valid", data_format, 1)


def _transpose_crops(kernel, stride, dilation, padding, output_padding):
    """(left, right) crops of torch's full transposed convolution that give Keras's output
    (a negative crop pads with zeros)."""
    eff = (kernel - 1) * dilation + 1
    if padding == "valid":
        extra = max(eff, stride) - eff if output_padding is None else output_padding
        return 0, -extra
    total = stride + eff - 2 if output_padding is None else eff + eff % 2 - 2 + output_padding
    left = min(total // 2 + total % 2, eff - 1)
    return eff - 1 - left, eff - 1 - (total - left)


@_op
def conv_transpose(inputs, kernel, strides=1, padding="valid", output_padding=None, data_format=None,
                   dilation_rate=1):
    op = "conv_transpose"
    x, data_format = _spatial_input(inputs, op, data_format)
    n = x.dim() - 2
    kernel = _t(kernel).to(x.device)
    if kernel.dim() != n + 2 or kernel.shape[-1] != x.shape[1]:
        raise ValueError(f"ops.conv_transpose: the kernel must have shape (*spatial, out_channels, {x.shape[1]}) "
                         f"for an input with {x.shape[1]} channels; received kernel shape {tuple(kernel.shape)}.")
    strides = _tuple(strides, n, "strides", op)
    dilation = _tuple(dilation_rate, n, "dilation_rate", op)
    out_pad = (None,) * n if output_padding is None else _tuple(output_padding, n, "output_padding", op)
    mode = _padding_mode(padding, op)
    weight = kernel.permute(n + 1, n, *range(n))
    if x.dtype != weight.dtype:
        common = torch.promote_types(_float(x).dtype, _float(weight).dtype)
        x, weight = x.to(common), weight.to(common)
    y = _CONV_T[n - 1](x, weight, None, strides, 0, 0, 1, dilation)
    index, pads = [slice(None), slice(None)], []
    for k, s, d, p in zip(kernel.shape[:n], strides, dilation, out_pad):
        left, right = _transpose_crops(k, s, d, mode, p)
        index.append(slice(max(left, 0), -right if right > 0 else None))
        pads.append((max(-left, 0), max(-right, 0)))
    y = y[tuple(index)]
    if any(a or b for a, b in pads):
        y = F.pad(y, _flat_pads(pads))
    return _spatial_output(y, data_format)


# ----------------------------------------------------------------------------- activations

@_op
def celu(x, alpha=1.0):
    return F.celu(_float(_t(x)), alpha=alpha)


@_op
def glu(x, axis=-1):
    x = _float(_t(x))
    if x.shape[axis] % 2:
        raise ValueError(f"ops.glu: axis {axis} must have an even size to be split in two halves; received shape "
                         f"{tuple(x.shape)}.")
    return F.glu(x, dim=axis)


@_op
def hard_sigmoid(x):
    return F.hardsigmoid(_float(_t(x)))


@_op
def hard_silu(x):
    return F.hardswish(_float(_t(x)))


hard_swish = hard_silu


@_op
def hard_tanh(x):
    return F.hardtanh(_t(x))  # integers stay integers, as in Keras


@_op
def hard_shrink(x, threshold=0.5):
    return F.hardshrink(_float(_t(x)), lambd=threshold)


@_op
def soft_shrink(x, threshold=0.5):
    return F.softshrink(_float(_t(x)), lambd=threshold)


@_op
def tanh_shrink(x):
    return F.tanhshrink(_float(_t(x)))


@_op
def log_sigmoid(x):
    return F.logsigmoid(_float(_t(x)))


@_op
def softsign(x):
    return F.softsign(_float(_t(x)))


@_op
def sparse_plus(x):
    x = _float(_t(x))
    return torch.where(x <= -1, torch.zeros_like(x), torch.where(x >= 1, x, (x + 1) ** 2 / 4))


@_op
def sparse_sigmoid(x):
    return activations.sparse_sigmoid(_float(_t(x)))


@_op
def squareplus(x, b=4):
    x = _float(_t(x))
    return (x + torch.sqrt(x * x + b)) / 2


@_op
def threshold(x, threshold, default_value):
    return activations.threshold(_float(_t(x)), threshold, default_value)


@_op
def sparsemax(x, axis=-1):
    """Euclidean projection of `x` onto the probability simplex along `axis`."""
    return activations.sparsemax(_float(_t(x)), axis=axis)


@_op
def polar(abs_, angle):
    magnitude, angle = _float(_t(abs_)), _float(_t(angle))
    return torch.polar(magnitude, angle.to(magnitude.dtype))


# ----------------------------------------------------------------------------- encodings

@_op
def multi_hot(inputs, num_classes=None, axis=-1, dtype=None, sparse=False, **kwargs):
    if num_classes is None:
        num_classes = kwargs.pop("num_tokens", None)
    if kwargs:
        raise TypeError(f"ops.multi_hot got unexpected keyword arguments {sorted(kwargs)}.")
    if num_classes is None:
        raise ValueError("ops.multi_hot needs `num_classes`.")
    if sparse:
        raise ValueError("ops.multi_hot: sparse outputs are not supported on the torch backend.")
    x = _t(inputs)
    # One-hot along `axis`, then the max over the positions of each sample (axis 1 of a batch).
    hot = one_hot._raw(x, num_classes, axis=axis, dtype=dtype)
    return torch.amax(hot, dim=1 if x.dim() > 1 else 0)


# ----------------------------------------------------------------------------- normalizations

def _broadcast_params(v, x, axis):
    """A 1-D per-channel parameter reshaped to broadcast against x along `axis`."""
    v = _t(v).to(device=x.device, dtype=x.dtype)
    if v.dim() == 1 and x.dim() > 1:
        shape = [1] * x.dim()
        shape[axis % x.dim()] = v.shape[0]
        v = v.reshape(shape)
    return v


@_op
def batch_normalization(x, mean, variance, axis, offset=None, scale=None, epsilon=1e-3):
    x = _float(_t(x))
    mean, variance = _broadcast_params(mean, x, axis), _broadcast_params(variance, x, axis)
    inv = torch.rsqrt(variance + epsilon)
    if scale is not None:
        inv = inv * _broadcast_params(scale, x, axis)
    out = (x - mean) * inv
    if offset is not None:
        out = out + _broadcast_params(offset, x, axis)
    return out


def _norm_axes(axis, ndim):
    axes = [axis] if isinstance(axis, int) else list(axis)
    return sorted(a % ndim for a in axes)


def _param_shape(v, x, axes):
    if v is None:
        return None
    v = _t(v).to(device=x.device, dtype=x.dtype)
    if v.dim() != x.dim() and axes != [x.dim() - 1]:
        shape = [1] * x.dim()
        for a in axes:
            shape[a] = x.shape[a]
        v = v.reshape(shape)
    return v


@_op
def layer_normalization(x, gamma=None, beta=None, axis=-1, epsilon=None, **kwargs):
    rms_scaling = kwargs.pop("rms_scaling", False)
    if kwargs:
        raise TypeError(f"ops.layer_normalization got unexpected keyword arguments {sorted(kwargs)}.")
    epsilon = backend.epsilon() if epsilon is None else epsilon
    x = _t(x)
    original = x.dtype
    x = x.to(torch.promote_types(_float(x).dtype, torch.float32))
    axes = _norm_axes(axis, x.dim())
    gamma, beta = _param_shape(gamma, x, axes), _param_shape(beta, x, axes)
    if rms_scaling:
        out = x * torch.rsqrt(torch.var(x, dim=axes, correction=0, keepdim=True) + epsilon)
        out = out if gamma is None else out * gamma
    else:
        mean = torch.mean(x, dim=axes, keepdim=True)
        var = torch.mean(torch.square(x - mean), dim=axes, keepdim=True)
        out = (x - mean) * torch.rsqrt(var + epsilon)
        out = out if gamma is None else out * gamma
        out = out if beta is None else out + beta
    return out.to(original if original.is_floating_point else out.dtype)


@_op
def rms_normalization(x, scale=None, axis=-1, epsilon=None):
    epsilon = backend.epsilon() if epsilon is None else epsilon
    x = _t(x)
    original = x.dtype
    x = x.to(torch.promote_types(_float(x).dtype, torch.float32))
    axes = _norm_axes(axis, x.dim()) if x.dim() else [0]
    if x.dim() == 0:
        x = x.reshape(1)
    out = x * torch.rsqrt(torch.mean(x * x, dim=axes, keepdim=True) + epsilon)
    if scale is not None:
        out = out * _param_shape(scale, x, axes)
    return out.to(original if original.is_floating_point else out.dtype)


@_op
def psnr(x1, x2, max_val):
    x1, x2 = _float(_t(x1)), _float(_t(x2))
    if x1.shape != x2.shape:
        raise ValueError(f"ops.psnr: both images must have the same shape; received {tuple(x1.shape)} and "
                         f"{tuple(x2.shape)}.")
    mse = torch.mean(torch.square(x1 - x2))
    return 20 * torch.log10(torch.as_tensor(max_val, dtype=x1.dtype)) - 10 * torch.log10(mse)


# ----------------------------------------------------------------------------- attention

@_op
def dot_product_attention(query, key, value, bias=None, mask=None, scale=None, is_causal=False,
                          flash_attention=None, attn_logits_soft_cap=None):
    """Scaled dot-product attention on (batch, seq, heads, head_dim) tensors. Grouped-query:
    key/value may have fewer heads than the query."""
    q, k, v = _t(query), _t(key), _t(value)
    if not q.dim() == k.dim() == v.dim() == 4:
        raise ValueError("ops.dot_product_attention expects 4-D query, key and value (batch, seq, heads, head_dim); "
                         f"received shapes {tuple(q.shape)}, {tuple(k.shape)}, {tuple(v.shape)}.")
    if attn_logits_soft_cap is not None:
        raise ValueError("ops.dot_product_attention: `attn_logits_soft_cap` is supported only by Keras's JAX backend "
                         "on TPU; pass attn_logits_soft_cap=None.")
    out_dtype = q.dtype
    q, k, v = _float(q).float(), _float(k).float().to(q.device), _float(v).float().to(q.device)
    heads, kv_heads = q.shape[2], k.shape[2]
    if heads % kv_heads:
        raise ValueError(f"ops.dot_product_attention: query heads ({heads}) must be a multiple of key/value heads "
                         f"({kv_heads}).")
    if kv_heads != heads:
        k = torch.repeat_interleave(k, heads // kv_heads, dim=2)
        v = torch.repeat_interleave(v, heads // kv_heads, dim=2)
    scale = 1.0 / math.sqrt(q.shape[-1]) if scale is None else scale
    logits = torch.einsum("btnh,bsnh->bnts", q, k) * scale
    if bias is not None:
        logits = logits + _t(bias).to(device=logits.device, dtype=logits.dtype)
    allowed = None
    if mask is not None:
        allowed = _t(mask).to(device=logits.device, dtype=torch.bool)
    if is_causal:
        t, s = logits.shape[-2:]
        causal = torch.ones((t, s), dtype=torch.bool, device=logits.device).tril()
        allowed = causal if allowed is None else allowed & causal
    if allowed is not None:
        logits = torch.where(allowed, logits, torch.full_like(logits, torch.finfo(logits.dtype).min))
    weights = torch.softmax(logits, dim=-1)
    return torch.einsum("bnts,bsnh->btnh", weights, v).to(out_dtype)


# ----------------------------------------------------------------------------- CTC

@_op
def ctc_loss(target, output, target_length, output_length, mask_index=0):
    """Per-sample CTC loss; `output` holds (batch, time, classes) logits.

    A sample whose label cannot fit in its output steps (each label needs a step, and a label
    repeated back to back a blank between) has an infinite loss, as in TensorFlow, and, as
    there, no gradient: torch's gradient of an infinite loss is NaN, which would turn every
    weight into NaN at the next optimizer step."""
    output = _float(_t(output))
    target = _t(target).to(device=output.device, dtype=torch.int64)
    output_length = _t(output_length).to(device=output.device, dtype=torch.int64)
    target_length = _t(target_length).to(device=output.device, dtype=torch.int64)
    log_probs = torch.log_softmax(output, dim=-1).transpose(0, 1)
    loss = F.ctc_loss(log_probs, target, output_length, target_length, blank=mask_index, reduction="none",
                      zero_infinity=True)
    steps = torch.arange(1, target.shape[1], device=target.device)
    repeats = ((target[:, 1:] == target[:, :-1]) & (steps[None, :] < target_length[:, None])).sum(1)
    impossible = output_length < target_length + repeats
    return torch.where(impossible, torch.full_like(loss, float("inf")), loss)


def _ctc_greedy(inputs, lengths, merge_repeated, mask_index):
    batch, steps, _ = inputs.shape
    best = torch.argmax(inputs, dim=-1)
    scores = torch.amax(inputs, dim=-1)
    valid = torch.arange(steps, device=inputs.device)[None, :] < lengths[:, None]
    keep = valid & (best != mask_index)
    if merge_repeated:
        repeat = torch.zeros_like(keep)
        repeat[:, 1:] = best[:, 1:] == best[:, :-1]
        keep = keep & ~repeat
    decoded = torch.full((batch, steps), -1, dtype=torch.int32, device=inputs.device)
    for b in range(batch):
        labels = best[b][keep[b]]
        decoded[b, :labels.numel()] = labels.to(torch.int32)
    score = -torch.sum(torch.where(valid, scores, torch.zeros_like(scores)), dim=1, keepdim=True)
    return decoded.unsqueeze(0), score


def _ctc_beam(inputs, lengths, beam_width, top_paths, merge_repeated, mask_index):
    """Prefix beam search on log-probabilities, one sample at a time."""
    batch, steps, classes = inputs.shape
    decoded = torch.full((top_paths, batch, steps), -1, dtype=torch.int32)
    scores = torch.full((batch, top_paths), -math.inf)
    logp = inputs.detach().cpu().double().numpy()
    for b in range(batch):
        beams = {(): (0.0, -math.inf)}  # prefix -> (log p ending in blank, log p ending in non-blank)
        for t in range(int(lengths[b])):
            new = {}

            def add(prefix, pb, pnb):
                ob, onb = new.get(prefix, (-math.inf, -math.inf))
                new[prefix] = (np.logaddexp(ob, pb), np.logaddexp(onb, pnb))

            for prefix, (pb, pnb) in beams.items():
                total = np.logaddexp(pb, pnb)
                for c in range(classes):
                    p = logp[b, t, c]
                    if c == mask_index:
                        add(prefix, total + p, -math.inf)
                        continue
                    last = prefix[-1] if prefix else None
                    if merge_repeated and c == last:
                        add(prefix, -math.inf, pnb + p)
                        add(prefix + (c,), -math.inf, pb + p)
                    else:
                        add(prefix + (c,), -math.inf, total + p)
            beams = dict(sorted(new.items(), key=lambda kv: -np.logaddexp(*kv[1]))[:beam_width])
        ranked = sorted(beams.items(), key=lambda kv: -np.logaddexp(*kv[1]))[:top_paths]
        for i, (prefix, (pb, pnb)) in enumerate(ranked):
            decoded[i, b, :len(prefix)] = torch.as_tensor(prefix, dtype=torch.int32)
            scores[b, i] = float(np.logaddexp(pb, pnb))
    return decoded.to(inputs.device), scores.to(inputs.device)


@_op
def ctc_decode(inputs, sequence_lengths, strategy="greedy", beam_width=100, top_paths=1, merge_repeated=True,
               mask_index=0):
    inputs = _float(_t(inputs))
    lengths = _t(sequence_lengths).to(device=inputs.device, dtype=torch.int64)
    if strategy == "greedy":
        return _ctc_greedy(inputs, lengths, merge_repeated, mask_index)
    if strategy == "beam_search":
        return _ctc_beam(torch.log_softmax(inputs, dim=-1), lengths, beam_width, top_paths, merge_repeated,
                         mask_index)
    raise ValueError(f"ops.ctc_decode: `strategy` must be 'greedy' or 'beam_search'; received {strategy!r}.")


# ----------------------------------------------------------------------------- blocks and patches

@_op
def depth_to_space(x, block_size, data_format="channels_last"):
    x = _t(x)
    if x.dim() != 4 or x.shape[-1 if data_format == "channels_last" else 1] % (block_size ** 2):
        raise ValueError(f"ops.depth_to_space expects a 4-D input whose channels are a multiple of "
                         f"block_size**2={block_size ** 2}; received shape {tuple(x.shape)}.")
    b = block_size
    if data_format == "channels_last":
        n, h, w, c = x.shape
        return x.reshape(n, h, w, b, b, c // b // b).permute(0, 1, 3, 2, 4, 5).reshape(n, h * b, w * b, c // b // b)
    n, c, h, w = x.shape
    return x.reshape(n, c // b // b, b, b, h, w).permute(0, 1, 4, 2, 5, 3).reshape(n, c // b // b, h * b, w * b)


@_op
def space_to_depth(x, block_size, data_format="channels_last"):
    x = _t(x)
    b = block_size
    spatial = x.shape[1:3] if data_format == "channels_last" else x.shape[2:4]
    if x.dim() != 4 or spatial[0] % b or spatial[1] % b:
        raise ValueError(f"ops.space_to_depth expects a 4-D input whose height and width are multiples of "
                         f"block_size={b}; received shape {tuple(x.shape)}.")
    if data_format == "channels_last":
        n, h, w, c = x.shape
        return x.reshape(n, h // b, b, w // b, b, c).permute(0, 1, 3, 2, 4, 5).reshape(n, h // b, w // b, c * b * b)
    n, c, h, w = x.shape
    return x.reshape(n, c, h // b, b, w // b, b).permute(0, 1, 3, 5, 2, 4).reshape(n, c * b * b, h // b, w // b)


@_op
def unfold(x, kernel_size, dilation=1, padding=0, stride=1):
    """(N, C, H, W) -> (N, C * kh * kw, number of windows), as torch.nn.functional.unfold."""
    x = _t(x)
    if x.dim() != 4:
        raise ValueError(f"ops.unfold expects a 4-D (N, C, H, W) input; received shape {tuple(x.shape)}.")
    return F.unfold(x, kernel_size, dilation=dilation, padding=padding, stride=stride)


@_op
def fold(x, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """The inverse arrangement of `unfold` (overlapping values add up)."""
    x = _t(x)
    if x.dim() != 3:
        raise ValueError(f"ops.fold expects a 3-D (N, C*kh*kw, L) input; received shape {tuple(x.shape)}.")
    return F.fold(x, output_size, kernel_size, dilation=dilation, padding=padding, stride=stride)
