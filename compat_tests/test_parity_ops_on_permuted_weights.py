"""keras.ops on weights that keraslite stores permuted (convolution kernels as (out, in, *k),
recurrent kernels transposed): every op reads them in Keras's layout, as real Keras computes,
and `K.int_shape` / `ops.shape` report Keras's shapes."""
import numpy as np
import pytest

import keraslite
from compat_tests.parity import assert_close

keras = pytest.importorskip("keras")

LAYERS = {
    "conv1d": (lambda L: L.Conv1D(5, 3), (None, 7, 4)),
    "conv2d": (lambda L: L.Conv2D(6, (3, 2)), (None, 8, 8, 4)),
    "conv2d_transpose": (lambda L: L.Conv2DTranspose(6, 3), (None, 8, 8, 4)),
    "depthwise": (lambda L: L.DepthwiseConv2D(3, depth_multiplier=2), (None, 8, 8, 4)),
    "lstm": (lambda L: L.LSTM(5), (None, 3, 4)),
}

OPS = {
    "sum_last": lambda ops, w: ops.sum(w, axis=-1),
    "mean_spatial": lambda ops, w: ops.mean(w, axis=0),
    "reshape": lambda ops, w: ops.reshape(w, (-1, ops.shape(w)[-1])),
    "transpose": lambda ops, w: ops.transpose(w),
    "norm": lambda ops, w: ops.sqrt(ops.sum(ops.square(w), axis=tuple(range(len(ops.shape(w)) - 1)))),
    "take_last": lambda ops, w: ops.take(w, 0, axis=-1),
    "max": lambda ops, w: ops.max(w, axis=-2),
}


def _weight(lib, name):
    make, shape = LAYERS[name]
    layer = make(lib.layers)
    layer.build(shape)
    return layer, (layer.cell.kernel if name == "lstm" else layer.kernel)


@pytest.mark.parametrize("op", sorted(OPS))
@pytest.mark.parametrize("name", sorted(LAYERS))
def test_ops_read_permuted_weights_in_keras_layout(name, op):
    k_layer, k_w = _weight(keras, name)
    l_layer, l_w = _weight(keraslite, name)
    values = [np.random.default_rng(i).standard_normal(w.shape).astype("float32")
              for i, w in enumerate(k_layer.get_weights())]
    k_layer.set_weights(values)
    l_layer.set_weights(values)
    expected = keras.ops.convert_to_numpy(OPS[op](keras.ops, k_w))
    actual = keraslite.ops.convert_to_numpy(OPS[op](keraslite.ops, l_w))
    assert_close(actual, expected, what=f"{op} of {name} kernel")


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_int_shape_of_permuted_weights_is_keras_shape(name):
    _, k_w = _weight(keras, name)
    _, l_w = _weight(keraslite, name)
    assert keraslite.backend.int_shape(l_w) == tuple(k_w.shape)
    assert tuple(keraslite.ops.shape(l_w)) == tuple(keras.ops.shape(k_w))


def _standardized_conv(lib):
    ops = lib.ops

    class StandardizedConv2D(lib.layers.Conv2D):
        # keras.io's recipe: the kernel standardized over its Keras axes (kh, kw, in) in call().
        def call(self, inputs):
            mean, var = ops.moments(self.kernel, axes=[0, 1, 2], keepdims=True)
            return self.convolution_op(inputs, (self.kernel - mean) / ops.sqrt(var + 1e-10))

    return StandardizedConv2D(4, 3)


@pytest.mark.parametrize("channels", [3, 4])  # 4 in, 4 out: a kernel of one shape in both layouts
def test_kernel_arithmetic_with_a_keras_axes_statistic(channels):
    x = np.random.default_rng(0).random((2, 8, 8, channels)).astype("float32")
    k_layer, l_layer = _standardized_conv(keras), _standardized_conv(keraslite)
    k_layer.build((None, 8, 8, channels))
    l_layer.build((None, 8, 8, channels))
    l_layer.set_weights(k_layer.get_weights())
    assert_close(keraslite.ops.convert_to_numpy(l_layer(x)), keras.ops.convert_to_numpy(k_layer(x)), atol=1e-4)
