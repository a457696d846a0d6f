"""The tensorflow shim's tensor, math, nn, image and control-flow functions, each checked
against an independent numpy / Pillow computation (and tf.image.resize against the real
keras.ops.image.resize on the torch backend, run in a subprocess)."""
import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import torch

from tests.programs import run_keraslite


def arr(t):
    return t.detach().cpu().numpy() if isinstance(t, torch.Tensor) else np.asarray(t)


RNG = np.random.default_rng(0)


# ------------------------------------------------------------------------------ shapes

@pytest.mark.parametrize("sizes", [[2, 3, 5], [4, -1, 1], 5])
def test_split_takes_sizes_or_a_count(tf, sizes):
    x = RNG.normal(size=(3, 10)).astype("float32")
    parts = tf.split(x, sizes, axis=1)
    if isinstance(sizes, int):
        expected = np.split(x, sizes, axis=1)
    else:
        sizes = [10 - (sum(sizes) + 1) if s == -1 else s for s in sizes]
        expected = np.split(x, np.cumsum(sizes)[:-1], axis=1)
    assert len(parts) == len(expected)
    for p, e in zip(parts, expected):
        np.testing.assert_array_equal(arr(p), e)
    with pytest.raises(ValueError, match="split"):
        tf.split(x, 3, axis=1)


@pytest.mark.parametrize("mode", ["CONSTANT", "REFLECT", "SYMMETRIC"])
def test_pad_modes(tf, mode):
    x = RNG.normal(size=(3, 4)).astype("float32")
    paddings = [[1, 2], [2, 3]]
    out = tf.pad(x, paddings, mode=mode, constant_values=7.0)
    if mode == "CONSTANT":
        expected = np.pad(x, paddings, mode="constant", constant_values=7.0)
    else:
        expected = np.pad(x, paddings, mode=mode.lower())
    np.testing.assert_array_equal(arr(out), expected)
    with pytest.raises(ValueError, match="pad"):
        tf.pad(x, [[0, 0], [4, 0]], mode="REFLECT")


def test_reverse_sort_argsort_unique(tf):
    x = RNG.integers(0, 5, size=(4, 6)).astype("float32")
    np.testing.assert_array_equal(arr(tf.reverse(x, axis=[0, 1])), x[::-1, ::-1])
    np.testing.assert_array_equal(arr(tf.sort(x, direction="DESCENDING")), -np.sort(-x, axis=-1))
    np.testing.assert_array_equal(arr(tf.argsort(x[0])), np.argsort(x[0], kind="stable"))
    values = np.array([4, 1, 4, 9, 1, 2, 9])
    y, idx = tf.unique(values)
    uniq, first = np.unique(values, return_index=True)
    order = uniq[np.argsort(first)]
    np.testing.assert_array_equal(arr(y), order)
    np.testing.assert_array_equal(order[arr(idx)], values)
    with pytest.raises(ValueError, match="direction"):
        tf.sort(x, direction="UP")


def test_shape_builders(tf):
    np.testing.assert_array_equal(arr(tf.tile([[1, 2]], [2, 3])), np.tile([[1, 2]], [2, 3]))
    np.testing.assert_array_equal(arr(tf.fill([2, 3], 4.0)), np.full((2, 3), 4.0))
    np.testing.assert_allclose(arr(tf.linspace(-1.0, 3.0, 7)), np.linspace(-1.0, 3.0, 7), rtol=1e-6)
    np.testing.assert_array_equal(arr(tf.eye(3, 4, batch_shape=[2])), np.broadcast_to(np.eye(3, 4), (2, 3, 4)))
    assert tf.eye(2).dtype == torch.float32
    x = RNG.normal(size=(2, 3, 4)).astype("float32")
    assert [arr(t).tolist() for t in tf.unstack(x, axis=1)] == [x[:, i].tolist() for i in range(3)]
    np.testing.assert_array_equal(arr(tf.broadcast_to([1, 2, 3], [2, 3])), np.broadcast_to([1, 2, 3], (2, 3)))
    gx, gy = tf.meshgrid([1, 2, 3], [4, 5])
    ex, ey = np.meshgrid([1, 2, 3], [4, 5])
    np.testing.assert_array_equal(arr(gx), ex) and np.testing.assert_array_equal(arr(gy), ey)
    np.testing.assert_array_equal(arr(tf.repeat([[1, 2], [3, 4]], [1, 2], axis=0)),
                                  np.repeat([[1, 2], [3, 4]], [1, 2], axis=0))
    np.testing.assert_array_equal(arr(tf.roll(x, [1, -2], [0, 2])), np.roll(x, (1, -2), axis=(0, 2)))
    assert tf.newaxis is None
    np.testing.assert_array_equal(arr(tf.constant(x)[tf.newaxis]), x[None])


def test_tensor_shape(tf):
    s = tf.TensorShape([None, 28, 28])
    assert s.as_list() == [None, 28, 28] and s[1] == 28 and s.rank == 3 and len(s) == 3
    assert s[1:] == [28, 28] and not s.is_fully_defined()
    assert tf.TensorShape([2, 3]).num_elements() == 6 and tf.TensorShape([2, 3]) == (2, 3)


def test_gather_nd_boolean_mask_scatter(tf):
    params = RNG.normal(size=(4, 5, 3)).astype("float32")
    idx = np.array([[0, 1], [3, 4], [2, 0]])
    np.testing.assert_array_equal(arr(tf.gather_nd(params, idx)), params[idx[:, 0], idx[:, 1]])
    batch_idx = np.array([[[1], [0]], [[4], [4]], [[2], [3]], [[0], [0]]])
    expected = np.stack([params[b][batch_idx[b, :, 0]] for b in range(4)])
    np.testing.assert_array_equal(arr(tf.gather_nd(params, batch_idx, batch_dims=1)), expected)
    mask = params[..., 0] > 0
    np.testing.assert_array_equal(arr(tf.boolean_mask(params, mask)), params[mask])
    cols = np.array([True, False, True])
    np.testing.assert_array_equal(arr(tf.boolean_mask(params, cols, axis=2)), params[:, :, cols])
    updates = np.array([1.0, 2.0, 5.0], dtype="float32")
    ind = np.array([[1], [3], [1]])
    expected = np.zeros(6, "float32")
    np.add.at(expected, ind[:, 0], updates)
    np.testing.assert_array_equal(arr(tf.scatter_nd(ind, updates, [6])), expected)
    base = np.arange(6, dtype="float32")
    out = arr(tf.tensor_scatter_nd_update(base, [[0], [4]], [9.0, 8.0]))
    base[[0, 4]] = [9.0, 8.0]
    np.testing.assert_array_equal(out, base)


def test_search_histogram_cumsum(tf):
    seq = np.sort(RNG.normal(size=10)).astype("float32")
    vals = RNG.normal(size=6).astype("float32")
    for side in ("left", "right"):
        np.testing.assert_array_equal(arr(tf.searchsorted(seq, vals, side=side)), np.searchsorted(seq, vals, side))
    v = RNG.uniform(-1, 6, size=50).astype("float32")
    expected = np.histogram(np.clip(v, 0, 5), bins=5, range=(0, 5))[0]
    np.testing.assert_array_equal(arr(tf.histogram_fixed_width(v, [0.0, 5.0], nbins=5)), expected)
    x = RNG.normal(size=(3, 4)).astype("float32")
    np.testing.assert_allclose(arr(tf.cumsum(x, axis=1)), np.cumsum(x, 1), rtol=1e-5)
    np.testing.assert_allclose(arr(tf.math.cumsum(x, axis=1, exclusive=True, reverse=True)),
                               np.cumsum(x[:, ::-1], 1)[:, ::-1] - x, rtol=1e-5, atol=1e-6)


# ------------------------------------------------------------------------------ math

def test_norms_and_products(tf):
    x = RNG.normal(size=(3, 4)).astype("float32")
    np.testing.assert_allclose(arr(tf.norm(x)), np.linalg.norm(x), rtol=1e-5)
    np.testing.assert_allclose(arr(tf.norm(x, ord=1, axis=1)), np.linalg.norm(x, 1, axis=1), rtol=1e-5)
    np.testing.assert_allclose(arr(tf.linalg.norm(x, ord=np.inf, axis=[0, 1])), np.linalg.norm(x, np.inf), rtol=1e-5)
    np.testing.assert_allclose(arr(tf.norm(x, axis=0, keepdims=True)), np.linalg.norm(x, axis=0, keepdims=True),
                               rtol=1e-5)
    y = RNG.normal(size=(4, 2)).astype("float32")
    np.testing.assert_allclose(arr(tf.einsum("ij,jk->ik", x, y)), x @ y, rtol=1e-5)
    np.testing.assert_allclose(arr(tf.tensordot(x, y, axes=1)), np.tensordot(x, y, 1), rtol=1e-5)
    np.testing.assert_allclose(arr(tf.tensordot(x, x, axes=[[0, 1], [0, 1]])), np.tensordot(x, x, 2), rtol=1e-5)
    clipped = arr(tf.clip_by_norm(x, 1.0))
    np.testing.assert_allclose(clipped, x / max(np.linalg.norm(x), 1.0), rtol=1e-5)
    row = arr(tf.clip_by_norm(x, 1.0, axes=[1]))
    np.testing.assert_allclose(row, x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1.0), rtol=1e-5)
    np.testing.assert_allclose(arr(tf.math.reduce_euclidean_norm(x, axis=1)), np.linalg.norm(x, axis=1), rtol=1e-5)
    lse = np.log(np.exp(x).sum(axis=(0, 1)))
    np.testing.assert_allclose(arr(tf.math.reduce_logsumexp(x, axis=[0, 1])), lse, rtol=1e-5)


def test_reduce_max_and_min_over_no_entries_give_the_identity(tf):
    empty = tf.zeros((3, 0))
    np.testing.assert_array_equal(arr(tf.reduce_max(empty, axis=-1)), np.full(3, -np.inf))
    np.testing.assert_array_equal(arr(tf.math.reduce_min(empty, axis=[1], keepdims=True)), np.full((3, 1), np.inf))
    assert float(tf.reduce_max(empty)) == -np.inf
    assert int(tf.reduce_min(tf.zeros((0,), tf.int32))) == np.iinfo("int32").max
    np.testing.assert_array_equal(arr(tf.reduce_max([[1.0, 5.0], [3.0, 2.0]], axis=0)), [3.0, 5.0])


def test_top_k_in_top_k(tf):
    x = RNG.normal(size=(3, 6)).astype("float32")
    values, indices = tf.math.top_k(x, k=2)
    order = np.argsort(-x, axis=1)[:, :2]
    np.testing.assert_array_equal(arr(indices), order)
    np.testing.assert_array_equal(arr(values), np.take_along_axis(x, order, 1))
    targets = np.array([order[0, 0], order[1, 1], np.argsort(x[2])[0]])
    np.testing.assert_array_equal(arr(tf.math.in_top_k(targets, x, 2)), [True, True, False])


def test_elementwise_math(tf):
    import math as pymath

    x = RNG.uniform(0.5, 3, size=6).astype("float32")
    y = np.array([2.0, 0.0, 1.0, 0.0, 4.0, 5.0], "float32")
    np.testing.assert_allclose(arr(tf.math.divide_no_nan(x, y)), np.where(y == 0, 0, x / np.where(y == 0, 1, y)))
    np.testing.assert_allclose(arr(tf.math.erf(x)), [pymath.erf(v) for v in x], rtol=1e-5)
    np.testing.assert_allclose(arr(tf.math.lgamma(x)), [pymath.lgamma(v) for v in x], rtol=1e-5)
    np.testing.assert_allclose(arr(tf.math.atan2(x, y)), np.arctan2(x, y), rtol=1e-5)
    np.testing.assert_allclose(arr(tf.squared_difference(x, y)), (x - y) ** 2, rtol=1e-6)
    np.testing.assert_allclose(arr(tf.sigmoid(x)), 1 / (1 + np.exp(-x)), rtol=1e-6)
    np.testing.assert_allclose(arr(tf.math.polyval([2.0, -1.0, 3.0], x)), np.polyval([2.0, -1.0, 3.0], x), rtol=1e-5)
    out = tf.math.truediv(np.array([1, 2], "int32"), np.array([2, 4], "int32"))
    assert out.dtype == torch.float64 and arr(out).tolist() == [0.5, 0.5]
    m = np.array([[0, 1, 2], [0, 0, 3]])
    assert arr(tf.math.count_nonzero(m)) == 3
    np.testing.assert_array_equal(arr(tf.math.count_nonzero(m, axis=1)), np.count_nonzero(m, axis=1))


def test_confusion_segments_bincount(tf):
    labels = RNG.integers(0, 4, size=30)
    preds = RNG.integers(0, 4, size=30)
    expected = np.zeros((4, 4), int)
    for a, b in zip(labels, preds):
        expected[a, b] += 1
    np.testing.assert_array_equal(arr(tf.math.confusion_matrix(labels, preds)), expected)
    np.testing.assert_array_equal(arr(tf.math.confusion_matrix(labels, preds, num_classes=6))[:4, :4], expected)
    data = RNG.normal(size=(6, 2)).astype("float32")
    ids = np.array([0, 0, 1, 3, 3, 3])
    expected = np.zeros((4, 2), "float32")
    np.add.at(expected, ids, data)
    np.testing.assert_allclose(arr(tf.math.segment_sum(data, ids)), expected, rtol=1e-6)
    shuffled = np.array([2, 0, 2, 1, 0, 2])
    expected = np.zeros((3, 2), "float32")
    np.add.at(expected, shuffled, data)
    np.testing.assert_allclose(arr(tf.math.unsorted_segment_sum(data, shuffled, 3)), expected, rtol=1e-6)
    values = RNG.integers(0, 7, size=40)
    np.testing.assert_array_equal(arr(tf.math.bincount(values, minlength=9)), np.bincount(values, minlength=9))
    np.testing.assert_array_equal(arr(tf.math.bincount(values, maxlength=3)), np.bincount(values)[:3])


# ------------------------------------------------------------------------------ nn

def _conv2d_same_reference(x, w, stride):
    n, h, wd, c = x.shape
    kh, kw, _, o = w.shape
    oh, ow = -(-h // stride), -(-wd // stride)
    ph = max((oh - 1) * stride + kh - h, 0)
    pw = max((ow - 1) * stride + kw - wd, 0)
    xp = np.pad(x, [(0, 0), (ph // 2, ph - ph // 2), (pw // 2, pw - pw // 2), (0, 0)])
    out = np.zeros((n, oh, ow, o), "float64")
    for i in range(oh):
        for j in range(ow):
            patch = xp[:, i * stride:i * stride + kh, j * stride:j * stride + kw, :]
            out[:, i, j, :] = np.einsum("nhwc,hwco->no", patch, w)
    return out


@pytest.mark.parametrize("stride,size", [(1, 5), (2, 6), (2, 7), (3, 7)])
def test_conv2d_same_padding_matches_a_direct_loop(tf, stride, size):
    x = RNG.normal(size=(2, size, size + 1, 3)).astype("float32")
    w = RNG.normal(size=(4, 3, 3, 5)).astype("float32")  # even kernel height: asymmetric SAME padding
    out = tf.nn.conv2d(x, w, strides=stride, padding="SAME")
    np.testing.assert_allclose(arr(out), _conv2d_same_reference(x, w, stride), rtol=1e-4, atol=1e-4)
    valid = tf.nn.conv2d(x, w, strides=[1, stride, stride, 1], padding="VALID")
    assert valid.shape[1:3] == ((size - 4) // stride + 1, (size + 1 - 3) // stride + 1)


def test_conv1d_is_conv2d_on_one_row(tf):
    x = RNG.normal(size=(2, 9, 3)).astype("float32")
    w = RNG.normal(size=(4, 3, 2)).astype("float32")
    expected = _conv2d_same_reference(x[:, None], w[None], 2)[:, 0]
    np.testing.assert_allclose(arr(tf.nn.conv1d(x, w, stride=2, padding="SAME")), expected, rtol=1e-4, atol=1e-4)


def test_pooling_same_padding(tf):
    x = RNG.normal(size=(1, 5, 5, 2)).astype("float32")
    k, s = 2, 2
    pad = max((3 - 1) * s + k - 5, 0)  # 1 row/column after
    xp_max = np.pad(x, [(0, 0), (pad // 2, pad - pad // 2)] * 1 + [(pad // 2, pad - pad // 2), (0, 0)],
                    constant_values=-np.inf)
    valid = np.pad(np.ones_like(x), [(0, 0), (0, pad), (0, pad), (0, 0)])
    xp_sum = np.pad(x, [(0, 0), (0, pad), (0, pad), (0, 0)])
    exp_max = np.zeros((1, 3, 3, 2), "float32")
    exp_avg = np.zeros((1, 3, 3, 2), "float32")
    for i in range(3):
        for j in range(3):
            win = np.s_[:, i * s:i * s + k, j * s:j * s + k, :]
            exp_max[:, i, j] = xp_max[win].max(axis=(1, 2))
            exp_avg[:, i, j] = xp_sum[win].sum(axis=(1, 2)) / valid[win].sum(axis=(1, 2))
    np.testing.assert_allclose(arr(tf.nn.max_pool2d(x, k, s, "SAME")), exp_max, rtol=1e-6)
    np.testing.assert_allclose(arr(tf.nn.avg_pool2d(x, k, s, "SAME")), exp_avg, rtol=1e-5)
    with pytest.raises(ValueError, match="padding"):
        tf.nn.max_pool2d(x, k, s, "FULL")


def test_nn_functions(tf):
    x = RNG.normal(size=(4, 3)).astype("float32")
    np.testing.assert_allclose(arr(tf.nn.l2_normalize(x, axis=1)),
                               x / np.sqrt(np.maximum((x ** 2).sum(1, keepdims=True), 1e-12)), rtol=1e-5)
    np.testing.assert_allclose(arr(tf.math.l2_normalize(x)), x / np.sqrt((x ** 2).sum()), rtol=1e-5)
    z = RNG.uniform(size=(4, 3)).astype("float32")
    sig = 1 / (1 + np.exp(-x.astype("float64")))
    bce = -(z * np.log(sig) + (1 - z) * np.log(1 - sig))
    np.testing.assert_allclose(arr(tf.nn.sigmoid_cross_entropy_with_logits(labels=z, logits=x)), bce, rtol=1e-5)
    mean, var = tf.nn.moments(x, axes=[0])
    np.testing.assert_allclose(arr(mean), x.mean(0), rtol=1e-5)
    np.testing.assert_allclose(arr(var), x.var(0), rtol=1e-5)
    np.testing.assert_allclose(arr(tf.nn.leaky_relu(x, alpha=0.1)), np.where(x > 0, x, 0.1 * x), rtol=1e-6)
    np.testing.assert_allclose(arr(tf.nn.relu6(x * 10)), np.clip(x * 10, 0, 6))
    from math import erf
    np.testing.assert_allclose(arr(tf.nn.gelu(x)), x * 0.5 * (1 + np.vectorize(erf)(x / np.sqrt(2))), rtol=1e-5,
                               atol=1e-6)
    b = np.array([1.0, 2.0, 3.0], "float32")
    np.testing.assert_allclose(arr(tf.nn.bias_add(x, b)), x + b)
    m, v, off, sc = x.mean(0), x.var(0), np.ones(3, "float32"), np.full(3, 2.0, "float32")
    np.testing.assert_allclose(arr(tf.nn.batch_normalization(x, m, v, off, sc, 1e-3)),
                               (x - m) / np.sqrt(v + 1e-3) * sc + off, rtol=1e-5, atol=1e-6)
    table = RNG.normal(size=(10, 4)).astype("float32")
    ids = np.array([[1, 9], [0, 1]])
    np.testing.assert_array_equal(arr(tf.nn.embedding_lookup(table, ids)), table[ids])


# ------------------------------------------------------------------------------ random

def test_random_truncated_and_categorical(tf):
    tf.random.set_seed(1)
    t = arr(tf.random.truncated_normal([2000], mean=3.0, stddev=0.5))
    assert t.dtype == np.float32 and t.min() >= 2.0 and t.max() <= 4.0 and abs(t.mean() - 3.0) < 0.05
    logits = np.log(np.array([[0.7, 0.2, 0.1], [0.0, 0.0, 1.0]], "float64") + 1e-30)
    draws = arr(tf.random.categorical(logits, 3000, seed=3))
    assert draws.shape == (2, 3000) and draws.dtype == np.int64 and (draws[1] == 2).all()
    np.testing.assert_allclose(np.bincount(draws[0], minlength=3) / 3000, [0.7, 0.2, 0.1], atol=0.04)


# ------------------------------------------------------------------------------ control flow

def test_eager_control_flow(tf):
    x = RNG.normal(size=(5, 3)).astype("float32")
    np.testing.assert_allclose(arr(tf.map_fn(lambda r: tf.reduce_sum(r * r), x)), (x * x).sum(1), rtol=1e-5)
    a, b = tf.map_fn(lambda pair: (pair[0] + 1, pair[1] * 2), (x, x))
    np.testing.assert_allclose(arr(a), x + 1) and np.testing.assert_allclose(arr(b), x * 2)
    np.testing.assert_allclose(arr(tf.vectorized_map(lambda r: tf.reverse(r, [0]), x)), x[:, ::-1])
    assert tf.cond(tf.constant(True), lambda: 1, lambda: 2) == 1
    assert tf.cond(tf.less(3, 2), lambda: 1, lambda: 2) == 2
    i, total = tf.while_loop(lambda i, s: i < 10, lambda i, s: (i + 1, s + i), [tf.constant(0), tf.constant(0)])
    assert int(i) == 10 and int(total) == sum(range(10))
    assert tf.case([(tf.constant(False), lambda: 1), (tf.constant(True), lambda: 2)], default=lambda: 3) == 2
    assert tf.switch_case(tf.constant(1), [lambda: "a", lambda: "b"]) == "b"
    assert tf.switch_case(7, {0: lambda: "a"}, default=lambda: "d") == "d"
    assert tf.is_tensor(tf.constant(1.0)) and not tf.is_tensor(np.ones(2))


def test_namespaces_and_aliases(tf):
    import keraslite

    assert tf.losses.MeanSquaredError is keraslite.losses.MeanSquaredError
    assert tf.metrics.Accuracy is keraslite.metrics.Accuracy
    assert tf.optimizers.Adam is keraslite.optimizers.Adam
    assert tf.nest.flatten({"b": [1, 2], "a": 3}) == [3, 1, 2]
    assert tf.nest.map_structure(lambda v: v + 1, (1, [2])) == (2, [3])
    assert tf.dtypes.cast(tf.constant([1.7]), tf.int32).dtype == torch.int32
    parts = tf.strings.split("the  quick fox")
    assert list(parts) == "the  quick fox".split()
    with pytest.warns(UserWarning, match="eagerly"):
        tf.compat.v1.disable_eager_execution()
    with pytest.raises(AttributeError, match="does not provide"):
        tf.no_such_function


def test_stft_matches_a_numpy_framing(tf):
    signal = RNG.normal(size=100).astype("float32")
    out = arr(tf.signal.stft(signal, frame_length=20, frame_step=7))
    n = np.arange(20)
    window = 0.5 - 0.5 * np.cos(2 * np.pi * n / 20)  # periodic Hann
    frames = np.stack([signal[s:s + 20] * window for s in range(0, 100 - 20 + 1, 7)])
    np.testing.assert_allclose(out, np.fft.rfft(frames, n=32), rtol=1e-4, atol=1e-4)


# ------------------------------------------------------------------------------ image / io

def test_convert_flip_gray_standardize(tf):
    img = RNG.integers(0, 256, size=(4, 5, 3)).astype("uint8")
    as_float = tf.image.convert_image_dtype(img, tf.float32)
    np.testing.assert_allclose(arr(as_float), img / 255.0, rtol=1e-6)
    back = tf.image.convert_image_dtype(as_float, tf.uint8)
    np.testing.assert_array_equal(arr(back), img)
    np.testing.assert_array_equal(arr(tf.image.flip_left_right(img)), img[:, ::-1])
    np.testing.assert_array_equal(arr(tf.image.flip_up_down(img[None])), img[None, ::-1])
    flipped = arr(tf.image.random_flip_left_right(np.stack([img] * 16), seed=0))
    assert all((f == img).all() or (f == img[:, ::-1]).all() for f in flipped)
    gray = arr(tf.image.rgb_to_grayscale(img.astype("float32") / 255))
    np.testing.assert_allclose(gray[..., 0], (img / 255) @ np.array([0.2989, 0.5870, 0.1140]), rtol=1e-5)
    std = arr(tf.image.per_image_standardization(img))
    x = img.astype("float64")
    np.testing.assert_allclose(std, (x - x.mean()) / max(x.std(), 1 / np.sqrt(x.size)), rtol=1e-4, atol=1e-5)
    bright = arr(tf.image.random_brightness(img.astype("float32") / 255, 0.2, seed=1))
    delta = bright - img / 255.0
    assert abs(delta.max() - delta.min()) < 1e-5 and abs(delta.mean()) <= 0.2


def test_read_and_decode_png_jpeg(tf, tmp_path):
    from PIL import Image

    img = RNG.integers(0, 256, size=(6, 7, 3)).astype("uint8")
    Image.fromarray(img).save(tmp_path / "a.png")
    Image.fromarray(img).save(tmp_path / "a.jpg", quality=90)
    raw = tf.io.read_file(str(tmp_path / "a.png"))
    assert raw == (tmp_path / "a.png").read_bytes()
    decoded = tf.image.decode_png(raw)
    assert decoded.dtype == torch.uint8
    np.testing.assert_array_equal(arr(decoded), img)
    gray = arr(tf.image.decode_image(raw, channels=1))
    np.testing.assert_array_equal(gray[..., 0], np.asarray(Image.fromarray(img).convert("L")))
    jpeg = arr(tf.image.decode_jpeg(tf.io.read_file(str(tmp_path / "a.jpg")), channels=3))
    np.testing.assert_array_equal(jpeg, np.asarray(Image.open(tmp_path / "a.jpg").convert("RGB")))
    as_float = arr(tf.image.decode_image(raw, dtype=tf.float32))
    np.testing.assert_allclose(as_float, img / 255.0, rtol=1e-6)


def test_resize_matches_keras_ops_image_resize(tf, tmp_path):
    images = RNG.uniform(0, 255, size=(2, 7, 9, 3)).astype("float32")
    np.save(tmp_path / "images.npy", images)
    script = textwrap.dedent(f"""
        import os, numpy as np
        os.environ["KERAS_BACKEND"] = "torch"
        import keras
        images = np.load({str(tmp_path / "images.npy")!r})
        for method, size in [("bilinear", (4, 5)), ("bilinear", (11, 13)), ("nearest", (5, 12)), ("bicubic", (9, 6))]:
            out = keras.ops.convert_to_numpy(keras.ops.image.resize(images, size, interpolation=method))
            np.save({str(tmp_path)!r} + f"/{{method}}_{{size[0]}}.npy", out)
        out = keras.ops.convert_to_numpy(keras.ops.image.resize(images, (3, 4), antialias=True))
        np.save({str(tmp_path)!r} + "/aa.npy", out)
        """)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env.update(KERAS_BACKEND="torch", OMP_NUM_THREADS="1")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, cwd=str(tmp_path),
                          timeout=300)
    if done.returncode != 0 and "No module named 'keras'" in done.stderr:
        pytest.skip("the real keras package is not installed")
    assert done.returncode == 0, done.stderr
    for method, size in [("bilinear", (4, 5)), ("bilinear", (11, 13)), ("nearest", (5, 12)), ("bicubic", (9, 6))]:
        out = tf.image.resize(images, size, method=method)
        assert out.dtype == torch.float32
        np.testing.assert_allclose(arr(out), np.load(tmp_path / f"{method}_{size[0]}.npy"), rtol=1e-4, atol=1e-3)
    np.testing.assert_allclose(arr(tf.image.resize(images, (3, 4), antialias=True)), np.load(tmp_path / "aa.npy"),
                               rtol=1e-4, atol=1e-3)
    single = tf.image.resize(images[0].astype("uint8"), [4, 5])
    assert single.dtype == torch.float32 and tuple(single.shape) == (4, 5, 3)
    with pytest.raises(ValueError, match="method"):
        tf.image.resize(images, (3, 3), method="area")


# ------------------------------------------------------------------------------ end to end

def test_tf_keras_program_with_lambda_and_custom_loss(tmp_path):
    script = tmp_path / "prog.py"
    script.write_text(textwrap.dedent("""\
        import numpy as np
        import tensorflow as tf
        from tensorflow import keras

        def custom_loss(y_true, y_pred):
            return tf.reduce_mean(tf.square(y_true - y_pred))

        model = keras.Sequential([
            keras.layers.Dense(8, input_shape=(4,)),
            keras.layers.Lambda(lambda t: tf.nn.l2_normalize(t, axis=1)),
            keras.layers.Dense(1),
        ])
        model.compile(optimizer=tf.optimizers.Adam(0.01), loss=custom_loss)
        x = np.random.rand(64, 4).astype("float32")
        y = x.sum(axis=1, keepdims=True)
        history = model.fit(x, y, epochs=1, batch_size=16, verbose=0)
        hidden = keras.Model(model.inputs, model.layers[1].output)(x[:5])
        print("LOSS", history.history["loss"][0])
        print("NORMS", np.round(np.linalg.norm(np.asarray(hidden), axis=1), 5).tolist())
        """))
    done = run_keraslite([script])
    assert done.returncode == 0, done.stderr
    lines = dict(line.split(" ", 1) for line in done.stdout.strip().splitlines())
    assert np.isfinite(float(lines["LOSS"]))
    assert json.loads(lines["NORMS"]) == [1.0] * 5


def test_functions_on_symbolic_tensors_become_graph_nodes(tf):
    import keraslite

    inputs = keraslite.Input((6, 6, 3))
    pooled = tf.nn.max_pool2d(tf.nn.l2_normalize(inputs, axis=-1), 2, 2, "SAME")
    first, rest = tf.split(pooled, [1, 2], axis=-1)
    mean = tf.reduce_mean(tf.concat([first, rest], axis=-1), axis=[1, 2])
    model = keraslite.Model(inputs, [first, mean])
    x = RNG.uniform(size=(2, 6, 6, 3)).astype("float32")
    out_first, out_mean = model(x)
    normed = x / np.sqrt((x ** 2).sum(-1, keepdims=True))
    expected = normed.reshape(2, 3, 2, 3, 2, 3).max(axis=(2, 4))
    np.testing.assert_allclose(arr(out_first), expected[..., :1], rtol=1e-5)
    np.testing.assert_allclose(arr(out_mean), expected.mean(axis=(1, 2)), rtol=1e-5)


def test_weighted_cross_entropy_unique_counts_and_image_extras(tf):
    x = RNG.normal(size=(3, 4))
    z = RNG.uniform(size=(3, 4))
    sig = 1 / (1 + np.exp(-x))
    expected = -(3.0 * z * np.log(sig) + (1 - z) * np.log(1 - sig))
    out = tf.nn.weighted_cross_entropy_with_logits(labels=z.astype("float32"), logits=x.astype("float32"), pos_weight=3.0)
    np.testing.assert_allclose(arr(out), expected, rtol=1e-4)
    values = np.array([5, 5, 2, 7, 2, 5])
    y, idx, count = tf.unique_with_counts(values)
    assert arr(y).tolist() == [5, 2, 7] and arr(count).tolist() == [3, 2, 1]
    np.testing.assert_array_equal(arr(y)[arr(idx)], values)
    img = RNG.uniform(size=(6, 8, 3)).astype("float32")
    mean = img.mean(axis=(0, 1), keepdims=True)
    np.testing.assert_allclose(arr(tf.image.adjust_contrast(img, 2.0)), (img - mean) * 2.0 + mean, rtol=1e-5)
    np.testing.assert_array_equal(arr(tf.image.central_crop(img, 0.5)), img[1:5, 2:6])
    np.testing.assert_array_equal(arr(tf.image.crop_to_bounding_box(img, 1, 2, 3, 4)), img[1:4, 2:6])


def test_while_loop_structures_and_unsupported_arguments(tf):
    import collections

    State = collections.namedtuple("State", "i total")
    out = tf.while_loop(lambda i, t: i < 4, lambda i, t: State(i + 1, t * 2), State(0, 1))
    assert out == State(4, 16)
    assert tf.while_loop(lambda i: True, lambda i: i + 1, [0], maximum_iterations=3) == [3]
    x = RNG.normal(size=(1, 5, 5, 2)).astype("float32")
    w = RNG.normal(size=(3, 3, 2, 1)).astype("float32")
    with pytest.raises(ValueError, match=r"nn\.conv2d.*dilations"):
        tf.nn.conv2d(x, w, 1, "SAME", dilations=[2, 2, 2, 2])
    with pytest.raises(ValueError, match=r"nn\.conv2d.*data_format"):
        tf.nn.conv2d(x, w, 1, "SAME", data_format="NDHWC")
    with pytest.raises(ValueError, match=r"image\.resize.*preserve_aspect_ratio"):
        tf.image.resize(x, (2, 2), preserve_aspect_ratio=True)
    dilated = tf.nn.conv2d(x, w, 1, "VALID", dilations=2)
    reference = np.einsum("nhwc,hwco->no", x[:, ::2, ::2, :], w)
    np.testing.assert_allclose(arr(dilated)[:, 0, 0], reference, rtol=1e-4, atol=1e-5)


def test_clip_by_global_norm_matches_numpy(tf):
    a = RNG.normal(size=(3, 4)).astype("float32") * 3
    b = RNG.normal(size=(5,)).astype("float32") * 3
    gnorm = np.sqrt((a ** 2).sum() + (b ** 2).sum())
    np.testing.assert_allclose(arr(tf.linalg.global_norm([a, b])), gnorm, rtol=1e-5)
    (ca, none, cb), norm_before = tf.clip_by_global_norm([a, None, b], 1.0)
    assert none is None
    np.testing.assert_allclose(arr(norm_before), gnorm, rtol=1e-5)
    np.testing.assert_allclose(arr(ca), a / gnorm, rtol=1e-5)
    np.testing.assert_allclose(arr(cb), b / gnorm, rtol=1e-5)
    np.testing.assert_allclose(np.sqrt((arr(ca) ** 2).sum() + (arr(cb) ** 2).sum()), 1.0, rtol=1e-5)
    # a list already inside the bound is returned unchanged
    (sa, sb), _ = tf.clip_by_global_norm((a, b), gnorm * 2)
    np.testing.assert_allclose(arr(sa), a, rtol=1e-6)
    np.testing.assert_allclose(arr(sb), b, rtol=1e-6)
    with pytest.raises(TypeError):
        tf.clip_by_global_norm(a.sum(), 1.0)


def _np_resize_with_crop_or_pad(img, th, tw):
    # independent reference: centre crop, then centred zero padding with the odd pixel after
    h, w = img.shape[:2]
    top, left = max((h - th) // 2, 0), max((w - tw) // 2, 0)
    img = img[top:top + min(th, h), left:left + min(tw, w)]
    ph, pw = max(th - h, 0), max(tw - w, 0)
    return np.pad(img, ((ph // 2, ph - ph // 2), (pw // 2, pw - pw // 2), (0, 0)))


def test_image_resize_with_crop_or_pad_rot90_pad(tf):
    img = RNG.random((5, 8, 3)).astype("float32")
    for th, tw in [(2, 3), (7, 11), (5, 8), (2, 11), (8, 5)]:
        out = arr(tf.image.resize_with_crop_or_pad(img, th, tw))
        np.testing.assert_array_equal(out, _np_resize_with_crop_or_pad(img, th, tw))
    batch = np.stack([img, img[::-1]])
    np.testing.assert_array_equal(arr(tf.image.resize_with_crop_or_pad(batch, 7, 4))[1],
                                  _np_resize_with_crop_or_pad(img[::-1], 7, 4))
    for k in range(-1, 5):
        np.testing.assert_array_equal(arr(tf.image.rot90(img, k=k)), np.rot90(img, k))
    np.testing.assert_array_equal(arr(tf.image.rot90(batch))[0], np.rot90(img))
    padded = arr(tf.image.pad_to_bounding_box(img, 1, 2, 9, 12))
    assert padded.shape == (9, 12, 3) and padded.sum() == pytest.approx(img.sum(), rel=1e-5)
    np.testing.assert_array_equal(padded[1:6, 2:10], img)
    with pytest.raises(ValueError, match="pad_to_bounding_box"):
        tf.image.pad_to_bounding_box(img, 3, 0, 6, 8)


def test_image_random_crop_and_contrast(tf):
    img = RNG.random((6, 7, 3)).astype("float32")
    for seed in range(5):
        crop = arr(tf.image.random_crop(img, size=[4, 5, 3]))
        assert crop.shape == (4, 5, 3)
        assert any(np.array_equal(crop, img[i:i + 4, j:j + 5]) for i in range(3) for j in range(3))
    with pytest.raises(ValueError, match="random_crop"):
        tf.image.random_crop(img, size=[8, 5, 3])
    out = arr(tf.image.random_contrast(img, 0.5, 0.8))
    mean = img.mean(axis=(0, 1), keepdims=True)
    factor = ((out - mean) / (img - mean)).ravel()
    assert np.allclose(factor, factor[0], rtol=1e-3) and 0.5 <= factor[0] < 0.8
    with pytest.raises(ValueError, match="random_contrast"):
        tf.image.random_contrast(img, 0.8, 0.5)


def test_image_stateless_random_functions_follow_the_seed(tf):
    img = RNG.random((4, 6, 3)).astype("float32")
    batch = np.stack([img] * 8)
    flips = arr(tf.image.stateless_random_flip_left_right(batch, seed=(1, 2)))
    np.testing.assert_array_equal(flips, arr(tf.image.stateless_random_flip_left_right(batch, seed=(1, 2))))
    flipped = [np.array_equal(f, img[:, ::-1]) for f in flips]
    assert all(flipped[i] or np.array_equal(flips[i], img) for i in range(8))
    seen = {tuple(np.array_equal(f, img[:, ::-1]) for f in
                  arr(tf.image.stateless_random_flip_left_right(batch, seed=(s, 0)))) for s in range(6)}
    assert len(seen) > 1                                   # different seeds, different draws
    up = arr(tf.image.stateless_random_flip_up_down(img, seed=[3, 4]))
    assert np.array_equal(up, img) or np.array_equal(up, img[::-1])
    crop_a = arr(tf.image.stateless_random_crop(img, [2, 3, 3], seed=(5, 6)))
    np.testing.assert_array_equal(crop_a, arr(tf.image.stateless_random_crop(img, [2, 3, 3], seed=(5, 6))))
    bright = arr(tf.image.stateless_random_brightness(img, 0.2, seed=(7, 8)))
    delta = bright - img
    assert np.allclose(delta, delta.flat[0], atol=1e-6) and abs(delta.flat[0]) <= 0.2
    c = arr(tf.image.stateless_random_contrast(img, 0.2, 0.9, seed=(1, 1)))
    np.testing.assert_array_equal(c, arr(tf.image.stateless_random_contrast(img, 0.2, 0.9, seed=(1, 1))))
    with pytest.raises(ValueError, match="seed"):
        tf.image.stateless_random_flip_left_right(img, seed=3)


def test_py_function_and_numpy_function(tf):
    x = RNG.random((3, 2)).astype("float32")
    seen = []

    def double(t):
        seen.append(type(t))
        return t * 2

    out = tf.py_function(double, [x], tf.float32)
    assert isinstance(out, torch.Tensor) and seen[-1] is torch.Tensor
    np.testing.assert_allclose(arr(out), x * 2, rtol=1e-6)
    a, b = tf.py_function(lambda u, v: (u + v, np.argmax(u, axis=-1)), [x, x], [tf.float32, tf.int64])
    np.testing.assert_allclose(arr(a), 2 * x, rtol=1e-6)
    assert a.dtype == torch.float32 and b.dtype == torch.int64
    np.testing.assert_array_equal(arr(b), np.argmax(x, axis=-1))
    n = tf.numpy_function(lambda u: (u.sum(axis=1) > 1).astype(np.int32), [x], tf.int32)
    assert n.dtype == torch.int32
    np.testing.assert_array_equal(arr(n), (x.sum(axis=1) > 1).astype(np.int32))
    ds = tf.data.Dataset.from_tensor_slices(x).map(lambda t: tf.numpy_function(np.flip, [t], tf.float32))
    np.testing.assert_allclose(arr(next(iter(ds))), x[0][::-1], rtol=1e-6)
    with pytest.raises(ValueError, match="py_function"):
        tf.py_function(lambda u: (u, u), [x], [tf.float32])
    # A scalar result stays a scalar (the tf.data guide then calls set_shape(x.shape) on it).
    s = tf.py_function(lambda a: np.float32(2.0), [tf.constant(3.0)], tf.float32)
    assert tuple(s.shape) == () and float(s) == 2.0
    assert tuple(tf.numpy_function(lambda a: a.sum(), [x], tf.float32).shape) == ()


def test_numpy_function_and_py_function_pass_strings_as_tf_does(tf):
    # numpy_function: a scalar string is bytes, a string array an object array of bytes, a
    # scalar number a numpy scalar (the image-captioning tutorial's np.load(name.decode(...))).
    seen = []

    def load(name, names, cap):
        seen.append((name, names, cap))
        return np.float32(len(name.decode("utf-8"))), cap

    out = tf.numpy_function(load, [tf.constant("ab.jpg"), tf.constant(["a", "b"]), tf.constant(3)],
                            [tf.float32, tf.int32])
    name, names, cap = seen[-1]
    assert type(name) is bytes and name == b"ab.jpg"
    assert names.dtype == object and list(names) == [b"a", b"b"]
    assert isinstance(cap, np.integer) and cap == 3
    assert float(out[0]) == 6.0 and int(out[1]) == 3
    ds = tf.data.Dataset.from_tensor_slices((["a.jpg", "bb.jpg"], [1, 2]))
    ds = ds.map(lambda p, c: tf.numpy_function(lambda n, c: load(n, None, c), [p, c], [tf.float32, tf.int32]))
    assert [(float(a), int(b)) for a, b in ds] == [(5.0, 1), (6.0, 2)]
    # Tout=tf.string: bytes (or str) results are string tensors.
    assert tf.numpy_function(lambda: b"x", [], tf.string).numpy() == b"x"
    assert tf.numpy_function(lambda s: s + b"!", [tf.constant("hi")], tf.string).numpy() == b"hi!"
    assert list(tf.numpy_function(lambda s: s, [tf.constant(["a", "b"])], tf.string).numpy()) == [b"a", b"b"]
    # py_function passes tensors, whose .numpy() gives bytes.
    assert tf.py_function(lambda s: s.numpy() + b"!", [tf.constant("hi")], tf.string).numpy() == b"hi!"


def test_nn_compute_average_loss_and_scale_regularization_loss(tf):
    per_example = RNG.random(4).astype("float32")
    w = RNG.random(4).astype("float32")
    np.testing.assert_allclose(arr(tf.nn.compute_average_loss(per_example)), per_example.mean(), rtol=1e-6)
    np.testing.assert_allclose(arr(tf.nn.compute_average_loss(per_example, global_batch_size=16)),
                               per_example.sum() / 16, rtol=1e-6)
    np.testing.assert_allclose(arr(tf.nn.compute_average_loss(per_example, sample_weight=w, global_batch_size=8)),
                               (per_example * w).sum() / 8, rtol=1e-6)
    np.testing.assert_allclose(arr(tf.nn.scale_regularization_loss([np.float32(0.5), np.float32(0.25)])), 0.75)
    with pytest.raises(TypeError, match="compute_average_loss"):
        tf.nn.compute_average_loss(np.array([1, 2]))


# ------------------------------------------------------------------------------ patches / linalg

def _tf_patches(x, k, s, r, padding):
    """tf.image.extract_patches by definition: windows of k taps spaced r apart, every s pixels,
    each flattened (row, col, channel); SAME pads (total // 2) before, the rest after."""
    n, h, w, c = x.shape
    eff = [k[i] + (k[i] - 1) * (r[i] - 1) for i in range(2)]
    if padding == "VALID":
        out = [(d - e) // st + 1 for d, e, st in zip((h, w), eff, s)]
        pads = [0, 0]
    else:
        out = [-(-d // st) for d, st in zip((h, w), s)]
        pads = [max((o - 1) * st + e - d, 0) // 2 for o, st, e, d in zip(out, s, eff, (h, w))]
        totals = [max((o - 1) * st + e - d, 0) for o, st, e, d in zip(out, s, eff, (h, w))]
        x = np.pad(x, ((0, 0), (pads[0], totals[0] - pads[0]), (pads[1], totals[1] - pads[1]), (0, 0)))
    result = np.zeros((n, out[0], out[1], k[0] * k[1] * c), x.dtype)
    for i in range(out[0]):
        for j in range(out[1]):
            rows = i * s[0] + np.arange(k[0]) * r[0]
            cols = j * s[1] + np.arange(k[1]) * r[1]
            result[:, i, j] = x[:, rows][:, :, cols].reshape(n, -1)
    return result


@pytest.mark.parametrize("k,s,r,padding", [((2, 2), (2, 2), (1, 1), "VALID"), ((3, 2), (2, 3), (1, 1), "SAME"),
                                           ((2, 3), (1, 2), (2, 1), "VALID"), ((3, 3), (2, 2), (1, 2), "SAME")])
def test_image_extract_patches(tf, k, s, r, padding):
    x = RNG.standard_normal((2, 7, 8, 3)).astype("float32")
    out = tf.image.extract_patches(images=tf.constant(x), sizes=[1, *k, 1], strides=[1, *s, 1],
                                   rates=[1, *r, 1], padding=padding)
    np.testing.assert_allclose(arr(out), _tf_patches(x, k, s, r, padding), rtol=1e-6, atol=1e-6)
    with pytest.raises(ValueError, match=r"`sizes` must be \[1, rows, cols, 1\]"):
        tf.image.extract_patches(tf.constant(x), sizes=[2, 2], strides=[1, 1, 1, 1], rates=[1, 1, 1, 1],
                                 padding="VALID")


def test_linalg_matrix_transpose_and_band_part(tf):
    x = RNG.standard_normal((2, 3, 4, 5)).astype("float32")
    np.testing.assert_array_equal(arr(tf.linalg.matrix_transpose(tf.constant(x))), np.swapaxes(x, -1, -2))
    np.testing.assert_array_equal(arr(tf.linalg.transpose(tf.constant(x))), np.swapaxes(x, -1, -2))
    z = (x + 1j * x[..., ::-1]).astype("complex64")
    np.testing.assert_array_equal(arr(tf.linalg.adjoint(torch.as_tensor(z))), np.conj(np.swapaxes(z, -1, -2)))
    with pytest.raises(ValueError, match="rank >= 2"):
        tf.linalg.matrix_transpose(tf.constant([1.0, 2.0]))
    rows, cols = np.arange(4)[:, None], np.arange(5)[None, :]
    for lower, upper in ((0, -1), (-1, 0), (1, 2), (0, 0), (-1, -1)):
        keep = ((lower < 0) | (rows - cols <= lower)) & ((upper < 0) | (cols - rows <= upper))
        np.testing.assert_array_equal(arr(tf.linalg.band_part(tf.constant(x), lower, upper)), np.where(keep, x, 0))


def test_add_n_sums_a_list_of_tensors(tf):
    parts = [RNG.normal(size=(2, 3)).astype("float32") for _ in range(3)]
    np.testing.assert_allclose(arr(tf.add_n(parts)), parts[0] + parts[1] + parts[2], rtol=1e-6)
    np.testing.assert_allclose(arr(tf.math.add_n([torch.tensor(2.5)])), 2.5)
    # model.losses of a model with kernel regularizers: scalars summed into the total penalty
    model = tf.keras.Sequential([tf.keras.layers.Dense(3, kernel_regularizer=tf.keras.regularizers.l2(0.01)),
                                 tf.keras.layers.Dense(1, kernel_regularizer=tf.keras.regularizers.l2(0.01))])
    model(np.ones((2, 4), "float32"))
    expected = sum(0.01 * (arr(w) ** 2).sum() for w in (model.layers[0].kernel, model.layers[1].kernel))
    np.testing.assert_allclose(arr(tf.add_n(model.losses)), expected, rtol=1e-5)
    with pytest.raises(ValueError, match="at least one tensor"):
        tf.add_n([])
    with pytest.raises(ValueError, match=r"inputs\[1\] has shape \(3,\)"):
        tf.add_n([np.ones(2, "float32"), np.ones(3, "float32")])


def test_image_adjust_saturation_matches_colorsys(tf):
    import colorsys

    rgb = RNG.uniform(size=(4, 5, 3)).astype("float32")

    def expected(pixels, factor):
        out = np.empty_like(pixels)
        for index in np.ndindex(pixels.shape[:-1]):
            h, s, v = colorsys.rgb_to_hsv(*pixels[index])
            out[index] = colorsys.hsv_to_rgb(h, min(max(s * factor, 0.0), 1.0), v)
        return out

    for factor in (0.0, 0.5, 3.0):
        np.testing.assert_allclose(arr(tf.image.adjust_saturation(rgb, factor)), expected(rgb, factor), atol=1e-5)
    # uint8 images go through [0, 1] floats and come back as uint8, rounded
    pixels = RNG.integers(0, 256, size=(2, 3, 4, 3)).astype("uint8")
    out = tf.image.adjust_saturation(pixels, 2)
    assert out.dtype == torch.uint8 and tuple(out.shape) == pixels.shape
    want = np.clip(expected(pixels.astype("float64") / 255.0, 2.0) * 255.0 + 0.5, 0, 255).astype("uint8")
    assert np.abs(arr(out).astype(int) - want.astype(int)).max() <= 1
    np.testing.assert_allclose(arr(tf.image.hsv_to_rgb(tf.image.rgb_to_hsv(rgb))), rgb, atol=1e-5)
    with pytest.raises(ValueError, match="3 \\(RGB\\) channels"):
        tf.image.adjust_saturation(np.zeros((4, 4, 1), "float32"), 2.0)


def test_random_split_gives_stateless_seeds(tf):
    seeds = tf.random.split(tf.constant([1, 2]), num=3)
    assert seeds.dtype == torch.int64 and tuple(seeds.shape) == (3, 2)
    assert torch.equal(seeds, tf.random.split((1, 2), num=3))  # the same seed, the same seeds
    assert not torch.equal(seeds, tf.random.split((1, 3), num=3))
    assert len({tuple(r) for r in seeds.tolist()}) == 3
    # each new seed drives the stateless image ops
    image = RNG.uniform(size=(8, 8, 3)).astype("float32")
    a = tf.image.stateless_random_brightness(image, 0.5, seed=seeds[0, :])
    assert torch.equal(a, tf.image.stateless_random_brightness(image, 0.5, seed=seeds[0, :]))
    with pytest.raises(ValueError, match="shape \\[2\\]"):
        tf.random.split([1, 2, 3])


def test_set_shape_checks_an_eager_tensors_shape(tf):
    # The time-series tutorial's window splitter: set_shape with None for unknown sizes.
    t = tf.zeros((32, 6, 19))
    t.set_shape([None, 6, None])
    t.set_shape(None)
    t.set_shape(tf.TensorShape([32, 6, 19]))
    assert tuple(t.shape) == (32, 6, 19)
    with pytest.raises(ValueError,
                       match=r"shape \(32, 6, 19\) is not compatible with supplied shape \[None, 5, None\]"):
        t.set_shape([None, 5, None])
    with pytest.raises(ValueError, match="not compatible"):
        t.set_shape([None, 6])


def test_tf_initializers_is_keras_initializers(tf):
    init = tf.initializers.zeros()
    assert isinstance(init, tf.keras.initializers.Zeros)
    layer = tf.keras.layers.Dense(3, kernel_initializer=tf.initializers.zeros())
    layer.build((None, 2))
    assert not arr(layer.kernel).any()


def test_random_generator_streams(tf):
    # The data-augmentation tutorial draws a fresh stateless seed per element from a Generator.
    rng = tf.random.Generator.from_seed(123, alg='philox')
    seeds = rng.make_seeds(1)
    assert seeds.dtype == torch.int64 and tuple(seeds.shape) == (2, 1)
    assert not torch.equal(seeds, rng.make_seeds(1))  # the stream moves on
    again = tf.random.Generator.from_seed(123)
    assert torch.equal(again.make_seeds(1), seeds)  # the same seed, the same stream
    image = RNG.uniform(size=(8, 8, 3)).astype("float32")
    out = tf.image.stateless_random_brightness(image, 0.5, seed=seeds[:, 0])
    assert tuple(out.shape) == (8, 8, 3)
    values = tf.random.Generator.from_seed(1).uniform((2000,), minval=2.0, maxval=4.0)
    assert 2.0 <= float(values.min()) and float(values.max()) < 4.0 and abs(float(values.mean()) - 3.0) < 0.1
    normal = tf.random.Generator.from_seed(1).normal((4000,), mean=1.0, stddev=2.0)
    assert abs(float(normal.mean()) - 1.0) < 0.15 and abs(float(normal.std()) - 2.0) < 0.15
    ints = tf.random.Generator.from_non_deterministic_state().uniform((50,), 0, 5, dtype=tf.int32)
    assert ints.dtype == torch.int32 and 0 <= int(ints.min()) and int(ints.max()) < 5
    with pytest.raises(ValueError, match="maxval"):
        rng.uniform((2,), dtype=tf.int64)
    assert len(rng.split(3)) == 3


def test_dtype_arguments_accept_tensorflow_datatype_enum_values(tf):
    # TensorFlow's DataType enum (DT_FLOAT == 1, DT_INT32 == 3, DT_INT64 == 9, DT_BOOL == 10)
    # is accepted wherever a dtype is: tf.zeros(1, 1) is a float32 vector of one zero.
    z = tf.zeros(1, 1)
    assert tuple(z.shape) == (1,) and z.dtype == torch.float32 and float(z[0]) == 0.0
    assert tf.ones((2,), 3).dtype == torch.int32
    assert tf.as_dtype(9) == tf.int64 and tf.as_dtype(10) == tf.bool
    with pytest.raises(TypeError, match="Cannot convert the argument `type_value`: 99"):
        tf.zeros((2,), 99)


def test_tf_summary_writes_events_tensorboard_reads(tmp_path):
    # Not through the `tf` fixture: with the aliases on, TensorBoard's reader would load the
    # tensorflow shim as its TensorFlow.
    accumulator = pytest.importorskip("tensorboard.backend.event_processing.event_accumulator")
    from keraslite.compat.tf_image import summary

    writer = summary.create_file_writer(str(tmp_path))
    with writer.as_default():
        for step in range(3):
            summary.scalar("loss", 1.0 / (step + 1), step=step)
        summary.histogram("weights", np.arange(10.0), step=2)
    writer.flush()
    acc = accumulator.EventAccumulator(str(tmp_path))
    acc.Reload()
    assert [(e.step, round(e.value, 6)) for e in acc.Scalars("loss")] == [(0, 1.0), (1, 0.5), (2, 0.333333)]
    histo = acc.Histograms("weights")[0].histogram_value
    assert (histo.min, histo.max, histo.num, histo.sum) == (0.0, 9.0, 10.0, 45.0)


def test_matmul_transposes_and_string_casts_as_tensorflow(tf):
    a, b = np.arange(6, dtype="float32").reshape(1, 3, 2), np.arange(12, dtype="float32").reshape(1, 3, 4)
    np.testing.assert_allclose(tf.matmul(a, b, transpose_a=True).numpy(), np.swapaxes(a, 1, 2) @ b)
    np.testing.assert_allclose(tf.matmul(b, b, transpose_b=True).numpy(), b @ np.swapaxes(b, 1, 2))
    # the structured-data examples: tf.cast(features[name], tf.dtypes.string) inside a tf.data map
    assert tf.dtypes.string is tf.string
    assert tf.cast(np.array(["a", "b"]), tf.dtypes.string).numpy().tolist() == [b"a", b"b"]
    with pytest.raises(TypeError, match="to_number"):
        tf.cast(tf.constant(["1"]), tf.float32)
    with pytest.raises(TypeError, match="as_string"):
        tf.cast(np.array([1.0]), tf.string)


def test_random_gamma_depth_to_space_psnr_and_yuv(tf):
    # keras.io MixUp/CutMix (tf.random.gamma) and the sub-pixel CNN (depth_to_space, psnr, yuv).
    import keraslite

    keraslite.utils.set_random_seed(0)
    g = tf.random.gamma(shape=[40000], alpha=2.0, beta=4.0)
    assert g.shape == (40000,) and abs(float(g.mean()) - 0.5) < 0.01 and abs(float(g.var()) - 0.125) < 0.01
    assert tf.random.gamma([3], [1.0, 2.0]).shape == (3, 2)
    x = np.random.default_rng(0).random((1, 4, 4, 8)).astype("float32")
    np.testing.assert_array_equal(tf.nn.depth_to_space(x, 2).numpy(), keraslite.ops.depth_to_space(x, 2).numpy())
    np.testing.assert_array_equal(tf.nn.space_to_depth(tf.nn.depth_to_space(x, 2), 2).numpy(), x)
    img = np.random.default_rng(1).random((2, 5, 5, 3)).astype("float32")
    noisy = img * 0.9
    mse = ((img - noisy) ** 2).mean(axis=(1, 2, 3))
    np.testing.assert_allclose(tf.image.psnr(img, noisy, max_val=1.0).numpy(), 10 * np.log10(1.0 / mse), rtol=1e-5)
    yuv = tf.image.rgb_to_yuv(img).numpy()
    np.testing.assert_allclose(yuv[..., 0], img @ np.array([0.299, 0.587, 0.114], dtype="float32"), rtol=1e-5)
    np.testing.assert_allclose(tf.image.yuv_to_rgb(yuv).numpy(), img, atol=1e-6)


def test_integer_means_activations_name_scope_and_submodules(tf):
    # TF tutorials: reduce_mean of int32 values stays int32 (truncated), tf.nn.softplus,
    # `with tf.name_scope(...)`, and a Keras model's `submodules` (a tf.Module in TF 2).
    mean = tf.reduce_mean(tf.constant([1, 2, 4]))
    assert mean.dtype == torch.int32 and int(mean) == 2
    assert tf.reduce_mean(tf.constant([[1, 2], [3, 6]]), axis=0).tolist() == [2, 4]
    assert tf.reduce_sum(tf.constant([1, 2])).dtype == torch.int32
    np.testing.assert_allclose(tf.nn.softplus(tf.constant([0.0, 1.0])).numpy(), np.log1p(np.exp([0.0, 1.0])),
                               rtol=1e-6)
    with tf.name_scope("block") as scope:
        assert scope == "block"
    model = tf.keras.Sequential([tf.keras.layers.Dense(2, input_shape=(3,)), tf.keras.layers.Dense(1)])
    assert model.submodules == tuple(model.layers)


def test_distribute_strategies_run_as_one_replica(tf):
    # The "Distributed training with Keras" tutorial on one machine: MirroredStrategy's scope,
    # num_replicas_in_sync, distributed datasets, run and reduce.
    strategy = tf.distribute.MirroredStrategy()
    assert strategy.num_replicas_in_sync == 1
    with strategy.scope():
        model = tf.keras.Sequential([tf.keras.layers.Dense(2, input_shape=(3,))])
        model.compile(loss="mse", optimizer="sgd")
    data = tf.data.Dataset.from_tensor_slices((np.ones((8, 3), "float32"), np.ones((8, 2), "float32"))).batch(4)
    assert strategy.experimental_distribute_dataset(data) is data
    history = model.fit(strategy.experimental_distribute_dataset(data), epochs=1, verbose=0).history
    assert len(history["loss"]) == 1
    assert strategy.run(lambda a, b: a + b, args=(1, 2)) == 3
    assert float(strategy.reduce(tf.distribute.ReduceOp.SUM, tf.constant([1.0, 2.0]), axis=0)) == 3.0
    assert float(strategy.reduce(tf.distribute.ReduceOp.MEAN, tf.constant([1.0, 2.0]), axis=0)) == 1.5
    from tensorflow.distribute import MirroredStrategy  # noqa: F401 - importable as a module too


def test_image_total_variation(tf):
    images = RNG.random((2, 4, 5, 3)).astype("float32")
    expected = (np.abs(np.diff(images, axis=1)).sum(axis=(1, 2, 3))
                + np.abs(np.diff(images, axis=2)).sum(axis=(1, 2, 3)))
    out = tf.image.total_variation(tf.constant(images))
    assert tuple(out.shape) == (2,)
    np.testing.assert_allclose(arr(out), expected, rtol=1e-5)
    single = tf.image.total_variation(images[1])
    assert tuple(single.shape) == ()
    np.testing.assert_allclose(arr(single), expected[1], rtol=1e-5)
    # uint8 pixels: differences taken without wrapping around
    assert int(tf.image.total_variation(np.array([[[0], [255]]], "uint8"))) == 255
    with pytest.raises(ValueError, match="HWC or NHWC"):
        tf.image.total_variation(np.zeros((4, 4)))


def test_log_uniform_candidate_sampler(tf):
    true_classes = tf.constant([[1, 7], [0, 3]], dtype=tf.int64)
    range_max = 10
    k = np.arange(range_max)
    p = (np.log(k + 2) - np.log(k + 1)) / np.log(range_max + 1)
    sampled, true_count, sampled_count = tf.random.log_uniform_candidate_sampler(
        true_classes, num_true=2, num_sampled=5, unique=False, range_max=range_max, seed=1)
    assert sampled.dtype == torch.int64 and tuple(sampled.shape) == (5,)
    assert true_count.dtype == sampled_count.dtype == torch.float32 and tuple(true_count.shape) == (2, 2)
    np.testing.assert_allclose(arr(true_count), 5 * p[arr(true_classes)], rtol=1e-6)
    np.testing.assert_allclose(arr(sampled_count), 5 * p[arr(sampled)], rtol=1e-6)
    again = tf.random.log_uniform_candidate_sampler(true_classes, 2, 5, False, range_max, seed=1)[0]
    assert arr(again).tolist() == arr(sampled).tolist()  # a seed repeats the draws
    # the draws follow the log-uniform distribution
    many = tf.random.log_uniform_candidate_sampler(true_classes, 2, 100000, False, range_max, seed=2)[0]
    np.testing.assert_allclose(np.bincount(arr(many), minlength=range_max) / 100000, p, atol=0.01)
    # unique draws: distinct classes, expected counts from the number of tries made
    sampled, true_count, sampled_count = tf.random.log_uniform_candidate_sampler(
        true_classes, 2, 8, True, range_max, seed=3)
    assert sorted(set(arr(sampled).tolist())) == sorted(arr(sampled).tolist()) and len(arr(sampled)) == 8
    counts = arr(sampled_count)
    tries = np.log1p(-counts) / np.log1p(-p[arr(sampled)])  # solves count = 1 - (1 - p) ** tries
    assert np.allclose(tries, tries[0], rtol=1e-4) and tries[0] >= 8 and abs(tries[0] - round(tries[0])) < 1e-3
    np.testing.assert_allclose(arr(true_count), -np.expm1(round(tries[0]) * np.log1p(-p[arr(true_classes)])),
                               rtol=1e-5)
    with pytest.raises(ValueError, match="unique"):
        tf.random.log_uniform_candidate_sampler(true_classes, 2, 11, True, range_max)
    with pytest.raises(ValueError, match="num_true"):
        tf.random.log_uniform_candidate_sampler(true_classes, 1, 2, False, range_max)


# ------------------------------------------------------------------------------ strings / audio

def test_elementwise_string_ops_keep_ragged_rows(tf):
    parts = tf.strings.split(tf.constant(["1.0,2.0", "3.0,4.0,5.5"]), ",")
    numbers = tf.strings.to_number(parts, tf.dtypes.float32)
    assert isinstance(numbers, tf.RaggedTensor)
    np.testing.assert_array_equal(arr(numbers.to_tensor()), [[1.0, 2.0, 0.0], [3.0, 4.0, 5.5]])
    assert tf.strings.upper(tf.strings.split(tf.constant(["a b", "c"]))).to_list() == [[b"A", b"B"], [b"C"]]


def test_decode_wav_scales_pcm_and_shapes_channels(tf, tmp_path):
    import wave

    pcm = np.array([[0, 16384], [-32768, 32767], [100, -100]], dtype="<i2")
    path = str(tmp_path / "x.wav")
    with wave.open(path, "wb") as writer:
        writer.setnchannels(2)
        writer.setsampwidth(2)
        writer.setframerate(16000)
        writer.writeframes(pcm.tobytes())
    audio, rate = tf.audio.decode_wav(tf.io.read_file(path))
    assert audio.dtype == torch.float32 and int(rate) == 16000 and rate.dtype == torch.int32
    np.testing.assert_array_equal(arr(audio), pcm / 32768.0)  # TensorFlow divides 16-bit samples by 2**15
    mono, _ = tf.audio.decode_wav(tf.io.read_file(path), desired_channels=1, desired_samples=5)
    np.testing.assert_array_equal(arr(mono), np.concatenate([pcm[:, :1] / 32768.0, np.zeros((2, 1))]))
    again, _ = tf.audio.decode_wav(tf.audio.encode_wav(audio, 16000))
    np.testing.assert_array_equal(arr(again), arr(audio))
    with pytest.raises(ValueError, match="not a PCM WAV"):
        tf.audio.decode_wav(b"not a wav file")


def test_shape_is_int32_by_default_and_feeds_shape_arguments(tf):
    x = tf.zeros((2, 3))
    assert tf.shape(x).dtype == torch.int32 and tf.shape(x, out_type=tf.int64).dtype == torch.int64
    assert tuple(tf.random.normal(shape=tf.shape(x)).shape) == (2, 3)
    assert tuple(tf.reshape(x, [tf.shape(x)[0], -1]).shape) == (2, 3)
    assert tuple(tf.tile(tf.zeros((1, 3)), [tf.shape(x)[0], 1]).shape) == (2, 3)


def test_slice_and_svd(tf):
    x = tf.reshape(tf.range(24), (2, 3, 4))
    assert tf.slice(x, [0, 1, 1], [1, 2, -1]).numpy().tolist() == [[[5, 6, 7], [9, 10, 11]]]
    a = np.random.default_rng(0).random((4, 3)).astype("float32")
    s, u, v = tf.linalg.svd(tf.constant(a))  # TensorFlow's order, and v (not v^H)
    assert tuple(s.shape) == (3,) and tuple(u.shape) == (4, 3) and tuple(v.shape) == (3, 3)
    np.testing.assert_allclose(arr(u) @ np.diag(arr(s)) @ arr(v).T, a, atol=1e-5)
    np.testing.assert_allclose(arr(tf.linalg.svd(tf.constant(a), compute_uv=False)), arr(s), rtol=1e-6)


@pytest.mark.parametrize("shape,ishape,axis,batch_dims", [((2, 5, 3), (2, 4), 1, 1), ((2, 3, 5, 4), (2, 3, 2), 2, 2),
                                                          ((2, 6, 3, 4), (2, 2, 2), 2, 1), ((3, 5), (3,), None, 1),
                                                          ((3, 5), (3, 2), 1, -1)])
def test_gather_with_batch_dims(tf, shape, ishape, axis, batch_dims):
    # TF's definition: for each position in the shared batch dimensions, gather along axis.
    params = RNG.standard_normal(shape).astype("float32")
    b = batch_dims if batch_dims >= 0 else batch_dims + len(ishape)
    indices = RNG.integers(0, shape[b if axis is None else axis], ishape)
    per_batch = [np.take(params[i], indices[i], axis=(b if axis is None else axis) - b)
                 for i in np.ndindex(*shape[:b])]
    expected = np.array(per_batch).reshape(shape[:b] + np.shape(per_batch[0]))
    got = tf.gather(params, indices, axis=axis, batch_dims=batch_dims)
    np.testing.assert_array_equal(arr(got), expected)
    with pytest.raises(ValueError, match="batch_dims"):
        tf.gather(params, indices[:1], axis=axis, batch_dims=1)


def test_one_hot_ignores_out_of_range_indices_and_takes_tf_arguments(tf):
    # Hands-On CV's dice loss marks pixels to ignore with 255: TF gives them an all-off row.
    np.testing.assert_array_equal(arr(tf.one_hot([0, 255, 2, -1], 3)),
                                  [[1, 0, 0], [0, 0, 0], [0, 0, 1], [0, 0, 0]])
    assert tf.one_hot([0], 2).dtype == torch.float32
    out = tf.one_hot([[1], [0]], 2, on_value=5, off_value=-1)
    assert out.dtype == torch.int32 and tuple(out.shape) == (2, 1, 2)
    np.testing.assert_array_equal(arr(out)[:, 0], [[-1, 5], [5, -1]])
    np.testing.assert_array_equal(arr(tf.one_hot([1, 0], 3, axis=0, dtype=tf.int64)), [[0, 1], [1, 0], [0, 0]])


# ---------------------------------------------------- broadcast shapes, ensure_shape, sequence_mask

def test_broadcast_shapes_follow_numpy_broadcasting(tf):
    out = tf.broadcast_dynamic_shape(tf.shape(tf.zeros((2, 1, 4))), tf.shape(tf.zeros((1, 3, 4))))
    assert out.dtype == torch.int32
    assert arr(out).tolist() == list(np.broadcast_shapes((2, 1, 4), (1, 3, 4)))
    assert arr(tf.broadcast_dynamic_shape(tf.constant([5], tf.int64), tf.constant([2, 1], tf.int64))).tolist() == [2, 5]
    assert tf.broadcast_dynamic_shape([5], [2, 1]).dtype == torch.int32
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"\[2, 3\] vs. \[4\]"):
        tf.broadcast_dynamic_shape([2, 3], [4])
    static = tf.broadcast_static_shape(tf.TensorShape([None, 1, 3]), tf.TensorShape([4, 5, 1]))
    assert isinstance(static, tf.TensorShape) and static.as_list() == [4, 5, 3]
    assert tf.broadcast_static_shape(tf.TensorShape([None, 3]), tf.TensorShape([1, 3])).as_list() == [None, 3]
    with pytest.raises(ValueError, match="Incompatible shapes for broadcasting"):
        tf.broadcast_static_shape(tf.TensorShape([2]), tf.TensorShape([3]))


def test_ensure_shape_returns_its_input_or_names_both_shapes(tf):
    x = tf.zeros((2, 3))
    assert tf.ensure_shape(x, [None, 3]) is x
    assert tf.ensure_shape(x, tf.TensorShape([2, 3])) is x and tf.ensure_shape(x, None) is x
    with pytest.raises(ValueError, match=r"\[2, 3\].*\[None, 4\]"):  # an InvalidArgumentError, a ValueError
        tf.ensure_shape(x, [None, 4])
    with pytest.raises(tf.errors.InvalidArgumentError):
        tf.ensure_shape(x, [2, 3, 1])


def test_sequence_mask_marks_the_first_length_positions(tf):
    lengths = np.array([[1, 3], [2, 0]])
    expected = np.arange(4) < lengths[..., None]
    out = tf.sequence_mask(lengths, 4)
    assert out.dtype == torch.bool and arr(out).tolist() == expected.tolist()
    assert arr(tf.sequence_mask([1, 3, 2])).tolist() == (np.arange(3) < np.array([1, 3, 2])[:, None]).tolist()
    floats = tf.sequence_mask(tf.constant([2]), maxlen=3, dtype=tf.float32)
    assert floats.dtype == torch.float32 and arr(floats).tolist() == [[1.0, 1.0, 0.0]]


def test_complex_numbers_for_an_fft_of_real_audio(tf):
    # keras.io speaker recognition: tf.signal.fft(tf.cast(tf.complex(real=audio, imag=zeros), tf.complex64)).
    audio = np.random.default_rng(0).random((2, 16)).astype("float32")
    signal = tf.complex(real=tf.constant(audio), imag=tf.zeros_like(tf.constant(audio)))
    assert signal.dtype == tf.complex64 and tf.dtypes.complex128 == torch.complex128
    spectrum = tf.signal.fft(tf.cast(signal, tf.complex64))
    np.testing.assert_allclose(tf.math.abs(spectrum).numpy(), np.abs(np.fft.fft(audio)), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(tf.math.real(spectrum).numpy(), np.fft.fft(audio).real, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(tf.math.imag(tf.math.conj(spectrum)).numpy(), -np.fft.fft(audio).imag,
                               rtol=1e-4, atol=1e-4)
    assert tf.math.imag(tf.constant(audio)).numpy().tolist() == np.zeros_like(audio).tolist()
    np.testing.assert_allclose(tf.math.angle(tf.constant([-1.0, 2.0])).numpy(), [np.pi, 0.0], rtol=1e-6)


@pytest.mark.parametrize("kind", [2, 3])
@pytest.mark.parametrize("norm", [None, "ortho"])
def test_signal_dct_matches_scipy(tf, kind, norm):
    scipy_fft = pytest.importorskip("scipy.fft")
    x = RNG.normal(size=(3, 16)).astype("float32")
    np.testing.assert_allclose(arr(tf.signal.dct(x, type=kind, norm=norm)), scipy_fft.dct(x, type=kind, norm=norm),
                               rtol=1e-4, atol=1e-4)


def test_inverse_stft_undoes_stft_and_audio_features_have_tf_shapes(tf):
    # The audio tutorials: stft -> mel filters -> log -> MFCCs, and back to a waveform.
    sig = RNG.normal(size=(2, 400)).astype("float32")
    spectrum = tf.signal.stft(sig, frame_length=64, frame_step=16)
    back = tf.signal.inverse_stft(spectrum, 64, 16, window_fn=tf.signal.inverse_stft_window_fn(16))
    assert tuple(back.shape) == (2, 400)
    np.testing.assert_allclose(arr(back)[:, 64:336], sig[:, 64:336], atol=1e-5)  # where frames fully overlap
    np.testing.assert_array_equal(arr(tf.signal.overlap_add(tf.ones((2, 3, 4)), 2))[0], [1, 1, 2, 2, 2, 2, 1, 1])
    mel = tf.tensordot(tf.abs(spectrum), tf.signal.linear_to_mel_weight_matrix(40, 33, 16000, 20.0, 4000.0), 1)
    mfccs = tf.signal.mfccs_from_log_mel_spectrograms(tf.math.log(mel + 1e-6))
    assert tuple(mel.shape) == tuple(mfccs.shape) == (2, 22, 40)
    with pytest.raises(ValueError, match="lower_edge_hertz < upper_edge_hertz"):
        tf.signal.linear_to_mel_weight_matrix(40, 33, 8000, 125.0, 5000.0)


@pytest.mark.parametrize("kind", ["sum", "mean", "max", "min", "prod", "sqrt_n"])
def test_unsorted_segment_reductions(tf, kind):
    # keras.io's GNN node classifier aggregates neighbours with unsorted_segment_mean / max.
    data = RNG.normal(size=(7, 3)).astype("float32")
    ids = np.array([2, 0, 2, 1, 0, 2, -1])  # segment 3 stays empty; a negative id is dropped
    got = arr(getattr(tf.math, f"unsorted_segment_{kind}")(data, ids, num_segments=4))
    empty = {"max": np.finfo(np.float32).min, "min": np.finfo(np.float32).max, "prod": 1.0}.get(kind, 0.0)
    for segment in range(4):
        rows = data[ids == segment]
        if not len(rows):
            want = np.full(3, empty, np.float32)
        elif kind == "sqrt_n":
            want = rows.sum(0) / np.sqrt(len(rows))
        else:
            want = getattr(np, kind)(rows, axis=0)
        np.testing.assert_allclose(got[segment], want, rtol=1e-5, err_msg=f"segment {segment}")
    if kind != "sqrt_n":
        order = np.argsort(ids[:-1], kind="stable")
        sorted_result = getattr(tf.math, f"segment_{kind}")(data[:-1][order], ids[:-1][order])
        np.testing.assert_allclose(arr(sorted_result), got[:3], rtol=1e-5)


def test_tf1_matrix_spellings(tf):
    # keras-self-attention's history-only mask: tf.matrix_band_part(tf.ones((n, n)), -1, 0).
    np.testing.assert_array_equal(arr(tf.matrix_band_part(tf.ones((4, 4)), 1, 0)),
                                  np.tril(np.ones((4, 4))) - np.tril(np.ones((4, 4)), -2))
    np.testing.assert_array_equal(arr(tf.compat.v1.matrix_band_part(tf.ones((3, 3)), -1, 0)), np.tril(np.ones((3, 3))))
    np.testing.assert_allclose(arr(tf.matrix_inverse(2 * tf.eye(2))), 0.5 * np.eye(2))


# ------------------------------------------------------------------------------ KerasTensors and TF's keywords

def test_shape_of_a_keras_input_is_a_graph_node(tf):
    # TF 2.4+: tf.shape on a functional model's input is symbolic, known once data flows.
    from keraslite import layers

    x = layers.Input((8, 8, 3))
    shape = tf.shape(x)
    assert tuple(shape.shape) == (4,) and "int32" in str(shape.dtype)
    model = tf.keras.Model(x, [tf.shape(x), tf.shape(x)[0]])
    full, batch = model(np.zeros((2, 8, 8, 3), "float32"))
    np.testing.assert_array_equal(arr(full), [2, 8, 8, 3])
    assert int(batch) == 2



def test_tf2_and_tf1_argument_spellings(tf):
    # What tf_upgrade_v2 writes (input=, input_tensor=) and TF 1's keep_dims / reduction_indices.
    t = tf.constant(np.arange(12, dtype="float32").reshape(3, 4))
    np.testing.assert_array_equal(arr(tf.shape(input=t)), [3, 4])
    assert int(tf.size(input=t)) == 12 and int(tf.rank(input=t)) == 2
    np.testing.assert_allclose(arr(tf.reduce_mean(input_tensor=t, axis=1)), arr(t).mean(1))
    np.testing.assert_allclose(arr(tf.reduce_sum(t, axis=1, keep_dims=True)), arr(t).sum(1, keepdims=True))
    np.testing.assert_allclose(arr(tf.reduce_max(input_tensor=t, reduction_indices=[0], keep_dims=True)),
                               arr(t).max(0, keepdims=True))
    for name, fn in [("min", np.min), ("prod", np.prod), ("any", np.any), ("all", np.all)]:
        np.testing.assert_array_equal(arr(getattr(tf, f"reduce_{name}")(input_tensor=t, axis=0, keepdims=True)),
                                      fn(arr(t), axis=0, keepdims=True))
    np.testing.assert_allclose(arr(tf.math.reduce_sum(input_tensor=t)), arr(t).sum())
    assert tuple(tf.expand_dims(input=t, axis=0).shape) == (1, 3, 4)
    assert tuple(tf.squeeze(input=t[None], axis=[0]).shape) == (3, 4)
    np.testing.assert_array_equal(arr(tf.argmax(input=t, axis=1)), [3, 3, 3])
    np.testing.assert_array_equal(arr(tf.argmax(t, dimension=0)), [2, 2, 2, 2])
    np.testing.assert_allclose(arr(tf.compat.v1.reduce_mean(input_tensor=t, keep_dims=True, name="m")),
                               [[arr(t).mean()]])
    with pytest.raises(TypeError, match="reduction_indices"):
        tf.reduce_sum(t, axis=0, reduction_indices=0)
    with pytest.raises(TypeError, match="multiple values"):
        tf.reduce_sum(t, input_tensor=t)


def test_map_fn_over_no_elements_keeps_the_output_structure(tf):
    # TensorFlow traces fn for the element shape; over zero elements the result is still (0, ...).
    out = tf.map_fn(lambda c: tf.fill([3], c), tf.constant([], dtype=tf.int64), dtype=tf.int64)
    assert tuple(out.shape) == (0, 3) and out.dtype == torch.int64
    out = tf.map_fn(lambda c: tf.cast(c, tf.float32) * 2, tf.zeros((0, 4, 2), tf.int32),
                    fn_output_signature=tf.float32)
    assert tuple(out.shape) == (0, 4, 2) and out.dtype == torch.float32
    pair = tf.map_fn(lambda c: (c, c[0]), tf.zeros((0, 4)), dtype=(tf.float32, tf.float32))
    assert [tuple(p.shape) for p in pair] == [(0, 4), (0,)]

    def needs_data(c):
        raise IndexError("no data")

    assert tuple(tf.map_fn(needs_data, tf.zeros((0, 4)), dtype=tf.int32).shape) == (0,)
    assert tuple(tf.map_fn(needs_data, tf.zeros((0, 4)),
                           fn_output_signature=tf.TensorSpec([2, 2], tf.int32)).shape) == (0, 2, 2)


def test_rank_and_size_of_string_tensors_and_read_file(tf, tmp_path):
    # MIT 6.S191's TensorFlow intro takes tf.rank of a string scalar; NLP books read a text
    # file with tf.io.read_file and call .numpy() on it.
    assert int(tf.rank(tf.constant("Tennis", tf.string))) == 0
    assert int(tf.rank(tf.constant([["a"], ["b"]]))) == 2
    assert int(tf.size(tf.constant(["a", "b"], tf.string))) == 2
    assert int(tf.size(tf.ones((2, 3)))) == 6
    path = tmp_path / "tiny.txt"
    path.write_text("hello world")
    contents = tf.io.read_file(str(path))
    assert contents.numpy() == b"hello world" and contents.dtype == tf.string


def test_bytes_split_and_ngrams(tf):
    # Character bigrams as the NLP-with-TensorFlow text generator builds them.
    assert tf.strings.bytes_split("hello").tolist() == ["h", "e", "l", "l", "o"]
    assert tf.strings.ngrams(tf.strings.bytes_split("hello"), 2, separator="").tolist() == ["he", "el", "ll", "lo"]
    rows = tf.strings.ngrams(tf.ragged.constant([["a", "b", "c"], ["d"]]), 2)
    assert [[v.decode() if isinstance(v, bytes) else v for v in row.tolist()] for row in rows] == [["a b", "b c"], []]
    assert tf.strings.ngrams(["a", "b"], (1, 2), pad_values="#").tolist() == ["a", "b", "# a", "a b", "b #"]
    assert tf.strings.ngrams(["a"], 3, preserve_short_sequences=True).tolist() == ["a"]
