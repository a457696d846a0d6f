"""tf.nn's depthwise, separable, atrous and transposed convolutions against their definitions
in terms of tf.nn.conv2d (a transposed convolution is conv2d's gradient with respect to its
input, taken here with torch.autograd)."""
import numpy as np
import pytest
import torch


def arr(t):
    return t.detach().cpu().numpy()


RNG = np.random.default_rng(0)
X = RNG.normal(size=(2, 9, 8, 3)).astype("float32")


@pytest.mark.parametrize("strides, padding, dilations", [([1, 2, 2, 1], "SAME", None), ([1, 1, 1, 1], "VALID", [2, 2]),
                                                         (1, [[0, 0], [1, 2], [0, 1], [0, 0]], None)])
def test_depthwise_conv2d_is_a_conv2d_per_channel(tf, strides, padding, dilations):
    depthwise = RNG.normal(size=(3, 3, 3, 2)).astype("float32")  # (h, w, in_channels, channel_multiplier)
    out = arr(tf.nn.depthwise_conv2d(X, depthwise, strides, padding, dilations=dilations))
    expected = np.concatenate([arr(tf.nn.conv2d(X[..., k:k + 1], depthwise[:, :, k:k + 1, m:m + 1], strides, padding,
                                                dilations=dilations)) for k in range(3) for m in range(2)], axis=-1)
    assert out.shape == expected.shape
    np.testing.assert_allclose(out, expected, atol=1e-5)
    pointwise = RNG.normal(size=(1, 1, 6, 4)).astype("float32")
    separable = arr(tf.nn.separable_conv2d(X, depthwise, pointwise, strides, padding, dilations=dilations))
    np.testing.assert_allclose(separable, arr(tf.nn.conv2d(out, pointwise, 1, "VALID")), atol=1e-5)


def test_depthwise_conv2d_channels_first_and_errors(tf):
    depthwise = RNG.normal(size=(3, 3, 3, 1)).astype("float32")
    nchw = arr(tf.nn.depthwise_conv2d(X.transpose(0, 3, 1, 2), depthwise, [1, 1, 1, 1], "SAME", data_format="NCHW"))
    np.testing.assert_allclose(nchw.transpose(0, 2, 3, 1), arr(tf.nn.depthwise_conv2d(X, depthwise, [1, 1, 1, 1],
                                                                                      "SAME")), atol=1e-5)
    with pytest.raises(ValueError, match="in_channels"):
        tf.nn.depthwise_conv2d(X, depthwise[:, :, :2], [1, 1, 1, 1], "SAME")


def test_atrous_conv2d_is_a_dilated_conv2d(tf):
    filters = RNG.normal(size=(3, 3, 3, 5)).astype("float32")
    for padding in ("SAME", "VALID"):
        np.testing.assert_allclose(arr(tf.nn.atrous_conv2d(X, filters, 2, padding)),
                                   arr(tf.nn.conv2d(X, filters, 1, padding, dilations=2)), atol=1e-5)


def _conv2d_input_gradient(tf, grad, filters, output_shape, strides, padding, data_format="NHWC", dilations=None):
    x = torch.zeros(output_shape, requires_grad=True)
    y = tf.nn.conv2d(x, torch.as_tensor(filters), strides, padding, data_format=data_format, dilations=dilations)
    assert tuple(y.shape) == grad.shape
    return arr(torch.autograd.grad(y, x, grad_outputs=torch.as_tensor(grad))[0])


@pytest.mark.parametrize("output_shape, strides, padding, dilations", [
    ((2, 7, 9, 4), 2, "SAME", None),          # odd sizes: the SAME padding's extra pixel goes after
    ((2, 8, 8, 4), [1, 2, 2, 1], "VALID", None),  # the last row / column never reached: zeros
    ((2, 6, 5, 4), 1, "SAME", [1, 2, 2, 1]),
    ((2, 6, 6, 4), [1, 3, 2, 1], [[0, 0], [1, 0], [2, 1], [0, 0]], None),
])
def test_conv2d_transpose_is_the_gradient_of_conv2d(tf, output_shape, strides, padding, dilations):
    filters = RNG.normal(size=(3, 3, 4, 5)).astype("float32")  # (h, w, out_channels, in_channels)
    forward = tf.nn.conv2d(np.zeros(output_shape, "float32"), filters, strides, padding, dilations=dilations)
    value = RNG.normal(size=tuple(forward.shape)).astype("float32")
    out = tf.nn.conv2d_transpose(value, filters, output_shape, strides, padding, dilations=dilations)
    assert tuple(out.shape) == output_shape
    np.testing.assert_allclose(arr(out), _conv2d_input_gradient(tf, value, filters, output_shape, strides, padding,
                                                                dilations=dilations), atol=1e-4)
    # NCHW: the same numbers, channels first.
    nchw = tf.nn.conv2d_transpose(value.transpose(0, 3, 1, 2), filters, tf.constant(
        [output_shape[0], output_shape[3], *output_shape[1:3]]), strides if not isinstance(strides, list) else
        [1, 1, *strides[1:3]], "SAME" if padding == "SAME" else padding if isinstance(padding, str) else
        [[0, 0], [0, 0], *padding[1:3]], data_format="NCHW",
        dilations=None if dilations is None else [1, 1, *dilations[1:3]])
    np.testing.assert_allclose(arr(nchw).transpose(0, 2, 3, 1), arr(out), atol=1e-4)


def test_conv2d_transpose_checks_the_output_shape(tf):
    filters = np.ones((3, 3, 4, 5), "float32")
    value = np.ones((1, 4, 4, 5), "float32")
    assert tuple(tf.nn.conv2d_transpose(value, filters, [1, 8, 8, 4], 2).shape) == (1, 8, 8, 4)
    with pytest.raises(ValueError, match="does not fit"):
        tf.nn.conv2d_transpose(value, filters, [1, 10, 10, 4], 2)
    with pytest.raises(ValueError, match="channels"):
        tf.nn.conv2d_transpose(value, filters, [1, 8, 8, 3], 2)
    one_d = tf.nn.conv1d_transpose(value[:, 0], filters[0], [1, 8, 4], 2)
    np.testing.assert_allclose(arr(one_d), arr(tf.nn.conv2d_transpose(value[:, :1], filters[:1], [1, 1, 8, 4],
                                                                       [1, 1, 2, 1]))[:, 0], atol=1e-5)
