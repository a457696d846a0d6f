import numpy as np
import pytest
import torch
import torch.nn.functional as F

from keraslite import layers
from tests.contract import check_layer_contract

CASES = [
    ("conv1d", lambda: layers.Conv1D(4, 3, activation="relu"), (2, 9, 3)),
    ("conv1d_causal", lambda: layers.Conv1D(4, 3, padding="causal", dilation_rate=2), (2, 9, 3)),
    ("conv1d_same_s2", lambda: layers.Conv1D(4, 3, strides=2, padding="same"), (2, 9, 3)),
    ("conv1d_groups", lambda: layers.Conv1D(4, 2, groups=2), (2, 9, 4)),
    ("conv1d_channels_first", lambda: layers.Conv1D(4, 3, data_format="channels_first"), (2, 3, 9)),
    ("conv2d", lambda: layers.Conv2D(4, 3), (2, 7, 9, 3)),
    ("conv2d_same_s2", lambda: layers.Conv2D(4, (3, 2), strides=2, padding="same"), (2, 7, 9, 3)),
    ("conv2d_dilated", lambda: layers.Conv2D(4, 3, dilation_rate=2, padding="same"), (2, 7, 9, 3)),
    ("conv2d_groups", lambda: layers.Conv2D(6, 3, groups=3, use_bias=False), (2, 7, 9, 6)),
    ("conv2d_channels_first", lambda: layers.Conv2D(4, 3, strides=2, data_format="channels_first"),
     (2, 3, 7, 9)),
    ("conv2d_regularized", lambda: layers.Conv2D(2, 1, kernel_regularizer="l2", bias_regularizer="l1",
                                                 kernel_constraint="max_norm"), (2, 7, 9, 3)),
    ("conv3d", lambda: layers.Conv3D(2, 2, padding="same", strides=2), (2, 5, 4, 3, 3)),
    ("conv3d_channels_first", lambda: layers.Conv3D(2, 2, data_format="channels_first"), (2, 3, 5, 4, 3)),
    ("conv1d_transpose", lambda: layers.Conv1DTranspose(4, 3, strides=2, padding="same"), (2, 5, 3)),
    ("conv2d_transpose", lambda: layers.Conv2DTranspose(4, 3, strides=2), (2, 5, 6, 3)),
    ("conv2d_transpose_output_padding", lambda: layers.Conv2DTranspose(4, 3, strides=2, output_padding=1,
                                                                       padding="same"), (2, 5, 6, 3)),
    ("conv2d_transpose_dilated", lambda: layers.Conv2DTranspose(4, 3, dilation_rate=2), (2, 5, 6, 3)),
    ("conv2d_transpose_channels_first", lambda: layers.Conv2DTranspose(4, 2, strides=2,
                                                                       data_format="channels_first"), (2, 3, 5, 6)),
    ("conv3d_transpose", lambda: layers.Conv3DTranspose(2, 2, strides=2), (2, 3, 2, 2, 3)),
    ("separable_conv1d", lambda: layers.SeparableConv1D(4, 3, depth_multiplier=2), (2, 9, 3)),
    ("separable_conv2d", lambda: layers.SeparableConv2D(4, 3, strides=2, padding="same"), (2, 7, 9, 3)),
    ("separable_conv2d_channels_first", lambda: layers.SeparableConv2D(4, 3, data_format="channels_first"),
     (2, 3, 7, 9)),
    ("depthwise_conv1d", lambda: layers.DepthwiseConv1D(3, depth_multiplier=2), (2, 9, 3)),
    ("depthwise_conv2d", lambda: layers.DepthwiseConv2D(3, depth_multiplier=2, padding="same"), (2, 7, 9, 3)),
    ("depthwise_conv2d_channels_first", lambda: layers.DepthwiseConv2D(3, data_format="channels_first",
                                                                       strides=2), (2, 3, 7, 9)),
    ("convolution2d_alias", lambda: layers.Convolution2D(2, 3), (2, 7, 9, 3)),
]


@pytest.mark.parametrize("name,factory,shape", CASES, ids=[c[0] for c in CASES])
def test_contract(name, factory, shape):
    check_layer_contract(factory, shape, atol=1e-5)


def test_conv2d_rejects_wrong_rank_with_keras_message():
    layer = layers.Conv2D(2, 3)
    with pytest.raises(ValueError, match=r"Input 0 of layer 'conv2d\w*' is incompatible with the layer: expected "
                                         r"ndim=4, found ndim=3. Full shape received: \(2, 28, 28\)"):
        layer(torch.zeros(2, 28, 28))


def test_conv2d_build_shape_with_unknown_batch_in_message():
    layer = layers.Conv2D(2, 3)
    with pytest.raises(ValueError, match=r"expected ndim=4, found ndim=3. Full shape received: \(None, 28, 28\)"):
        layer.build((None, 28, 28))


def test_conv_rejects_wrong_channel_count_after_build():
    layer = layers.Conv2D(2, 3)
    layer(torch.zeros(1, 7, 7, 3))
    with pytest.raises(ValueError, match=r"conv2d.*expected axis -1 of input shape to have value 3.*\(1, 7, 7, 4\)"):
        layer(torch.zeros(1, 7, 7, 4))


@pytest.mark.parametrize("factory,shape,axis", [
    (lambda: layers.Conv1D(2, 3, data_format="channels_first"), (1, 3, 9), 1),
    (lambda: layers.DepthwiseConv2D(3), (1, 7, 7, 3), -1),
    (lambda: layers.SeparableConv1D(2, 3), (1, 9, 3), -1),
    (lambda: layers.Conv2DTranspose(2, 3), (1, 4, 4, 3), -1),
])
def test_every_conv_family_checks_channels(factory, shape, axis):
    layer = factory()
    layer(torch.zeros(shape))
    bad = list(shape)
    bad[axis] += 1
    with pytest.raises(ValueError, match=rf"expected axis {axis} of input shape to have value {shape[axis]}"):
        layer(torch.zeros(bad))


def test_argument_errors():
    with pytest.raises(ValueError, match="causal"):
        layers.Conv2D(2, 3, padding="causal")
    with pytest.raises(ValueError, match="groups"):
        layers.Conv2D(3, 3, groups=2)
    with pytest.raises(ValueError, match="divisible by groups=2"):
        layers.Conv2D(4, 3, groups=2)(torch.zeros(1, 5, 5, 3))
    with pytest.raises(ValueError, match="dilation_rate"):
        layers.Conv2D(2, 3, strides=2, dilation_rate=2)
    with pytest.raises(ValueError, match="output_padding"):
        layers.Conv2DTranspose(2, 3, strides=2, output_padding=2)
    with pytest.raises(ValueError, match="kernel_size"):
        layers.Conv2D(2, (3, 3, 3))


def test_weight_names_order_and_keras_shapes():
    sep = layers.SeparableConv2D(5, 3, depth_multiplier=2)
    sep(torch.zeros(1, 7, 7, 3))
    assert [w.name for w in sep.weights] == ["depthwise_kernel", "pointwise_kernel", "bias"]
    assert [w.shape for w in sep.get_weights()] == [(3, 3, 3, 2), (1, 1, 6, 5), (5,)]
    dw = layers.DepthwiseConv2D(3, depth_multiplier=2)
    dw(torch.zeros(1, 7, 7, 3))
    assert [w.name for w in dw.weights] == ["kernel", "bias"]
    assert [w.shape for w in dw.get_weights()] == [(3, 3, 3, 2), (6,)]
    tr = layers.Conv2DTranspose(4, (3, 2))
    tr(torch.zeros(1, 5, 5, 3))
    assert [w.shape for w in tr.get_weights()] == [(3, 2, 4, 3), (4,)]


def test_depthwise_layout_keeps_channel_multiplier_order():
    """Keras output channel c*mult + m comes from kernel[..., c, m]: check against a per-channel loop."""
    layer = layers.DepthwiseConv1D(2, depth_multiplier=2, use_bias=False)
    x = torch.randn(1, 5, 3)
    layer(x)
    kernel = np.random.default_rng(0).standard_normal((2, 3, 2)).astype("float32")
    layer.set_weights([kernel])
    out = layer(x).detach().numpy()
    for c in range(3):
        for m in range(2):
            expected = np.convolve(x[0, :, c].numpy(), kernel[::-1, c, m], mode="valid")
            np.testing.assert_allclose(out[0, :, c * 2 + m], expected, atol=1e-5)


def test_same_padding_is_end_heavy_for_stride_two():
    """TensorFlow 'same' with stride 2 on an even length pads only the end."""
    layer = layers.Conv1D(1, 2, strides=2, padding="same", use_bias=False)
    x = torch.arange(1.0, 7.0).reshape(1, 6, 1)
    layer(x)
    layer.set_weights([np.ones((2, 1, 1), "float32")])
    np.testing.assert_allclose(layer(x).detach().numpy().ravel(), [3.0, 7.0, 11.0])
    layer = layers.Conv1D(1, 3, strides=2, padding="same", use_bias=False)
    layer(x)
    layer.set_weights([np.ones((3, 1, 1), "float32")])
    # total padding 1, all at the end: windows [1,2,3], [3,4,5], [5,6,0]
    np.testing.assert_allclose(layer(x).detach().numpy().ravel(), [6.0, 12.0, 11.0])


def test_activations_are_not_copied_and_kernels_are_channels_last():
    layer = layers.Conv2D(4, 3, padding="same")
    x = torch.randn(2, 7, 9, 3)
    out = layer(x)
    assert out.is_contiguous()  # torch's channels_last result permuted back is plain NHWC
    assert layer.kernel.is_contiguous(memory_format=torch.channels_last)
    # Storage is the torch layout: (out, in, kh, kw).
    assert tuple(layer.kernel.size()) == (4, 3, 3, 3)
    expected = F.conv2d(x.permute(0, 3, 1, 2), layer.kernel, layer.bias, padding=1).permute(0, 2, 3, 1)
    torch.testing.assert_close(out, expected)


def test_set_weights_keeps_channels_last_storage():
    layer = layers.Conv2D(4, 3)
    layer(torch.zeros(1, 5, 5, 3))
    layer.set_weights([np.ones((3, 3, 3, 4), "float32"), np.zeros(4, "float32")])
    assert layer.kernel.is_contiguous(memory_format=torch.channels_last)
    np.testing.assert_array_equal(layer.get_weights()[0], np.ones((3, 3, 3, 4)))


def test_keras1_positional_and_legacy_names():
    layer = layers.Convolution2D(8, 3, 3, border_mode="same", subsample=(2, 2))
    assert layer.kernel_size == (3, 3) and layer.padding == "same" and layer.strides == (2, 2)
    layer = layers.Conv1D(nb_filter=4, filter_length=3, subsample_length=2)
    assert (layer.filters, layer.kernel_size, layer.strides) == (4, (3,), (2,))


def test_integer_inputs_are_cast():
    layer = layers.Conv1D(2, 2)
    out = layer(torch.ones(1, 4, 3, dtype=torch.int64))
    assert out.dtype == torch.float32


@pytest.mark.parametrize("factory", [lambda: layers.Conv1D(4, 3, padding="same"), lambda: layers.DepthwiseConv1D(3),
                                     lambda: layers.SeparableConv1D(4, 3), lambda: layers.Conv1DTranspose(4, 3)])
def test_1d_layers_run_as_2d_ops_without_copies(factory):
    layer = factory()
    out = layer(torch.randn(2, 9, 3))
    assert out.is_contiguous()  # the channels_last result of the 2-D op, viewed back as (batch, steps, c)
    kernel = layer.weights[0]
    assert kernel.ndim == 4 and kernel.size(-1) == 1  # (out, in, k, 1) storage
    assert kernel.keras_shape == layer.get_weights()[0].shape and len(kernel.keras_shape) == 3


def test_keras1_atrous_convolution_is_a_dilated_conv():
    layer = layers.AtrousConvolution2D(4, 3, 3, atrous_rate=(2, 2), border_mode="same")
    assert type(layer) is layers.Conv2D and layer.dilation_rate == (2, 2) and layer.kernel_size == (3, 3)
    layer1d = layers.AtrousConvolution1D(nb_filter=2, filter_length=3, atrous_rate=2)
    assert type(layer1d) is layers.Conv1D and layer1d.dilation_rate == (2,)


def test_output_size_zero_or_negative_is_an_error():
    with pytest.raises(ValueError, match=r"Computed output size would be zero or negative.*'c1' \(Conv1D\).*"
                                         r"\(None, 3, 2\).*spatial output size \(-1,\)\. Use padding='same'"):
        layers.Conv1D(4, 5, name="c1").compute_output_shape((None, 3, 2))
    assert layers.Conv1D(4, 5, padding="same").compute_output_shape((None, 3, 2)) == (None, 3, 4)
    assert layers.Conv2D(2, 3).compute_output_shape((None, None, 3, 1)) == (None, None, 1, 2)  # unknown sizes pass


def test_keras10_channels_first_input_shape_gets_a_hint():
    """Keras 1.0 defaulted to Theano's ordering: input_shape=(1, 28, 28) was one 28x28 channel."""
    import keraslite

    model = keraslite.Sequential()
    with pytest.raises(ValueError, match=r"looks channels-first.*set_image_dim_ordering\('th'\).*dim_ordering='th'"):
        model.add(layers.Convolution2D(32, 3, 3, border_mode="valid", input_shape=(1, 28, 28)))


def test_keras1_deconvolution2d_output_shape_picks_the_output_padding():
    # Keras 1's Deconvolution2D(output_shape=...) (the deconvolutional VAE asks for 29 from 14
    # with stride 2, 'valid', kernel 2): the layer takes the output_padding giving that size.
    layer = layers.Deconvolution2D(3, 2, 2, output_shape=(8, 29, 29, 3), subsample=(2, 2), border_mode="valid")
    assert layer.kernel_size == (2, 2) and layer.strides == (2, 2) and layer.filters == 3
    x = torch.randn(8, 14, 14, 5)
    out = layer(x)
    assert tuple(out.shape) == (8, 29, 29, 3) and layer.output_padding == (1, 1)
    same = layers.Conv2DTranspose(3, 2, strides=2, padding="valid", output_padding=1)
    same.build((None, 14, 14, 5))
    same.set_weights(layer.get_weights())
    np.testing.assert_allclose(same(x).detach().numpy(), out.detach().numpy(), rtol=1e-6)
    positional = layers.Deconvolution2D(3, 3, 3, (None, 14, 14, 3), subsample=(2, 2), border_mode="same")
    assert positional(torch.randn(2, 7, 7, 5)).shape == (2, 14, 14, 3)
    unreachable = layers.Deconvolution2D(3, 3, 3, output_shape=(None, 20, 20, 3), subsample=(2, 2), border_mode="same")
    with pytest.warns(UserWarning, match="cannot be reached"):
        assert unreachable(torch.randn(2, 7, 7, 5)).shape == (2, 14, 14, 3)
    with pytest.raises(TypeError, match=r"Conv2D got unexpected keyword argument\(s\) \['output_shape'\]"):
        layers.Conv2D(3, 3, output_shape=(None, 4, 4, 3))


def test_keras1_init_means_the_layers_own_initializer():
    assert layers.PReLU(init="zero").get_config()["alpha_initializer"]["class_name"] == "Zeros"
    assert layers.Conv2D(2, 3, init="he_normal").get_config()["kernel_initializer"]["class_name"] == "HeNormal"


def test_variable_assign_takes_keras_layout_or_the_variables_own_arithmetic():
    import numpy as np

    layer = layers.Conv2D(4, 3)
    layer.build((None, 8, 8, 3))
    kernel = layer.kernel
    keras_value = np.arange(3 * 3 * 3 * 4, dtype="float32").reshape(3, 3, 3, 4)
    kernel.assign(keras_value)
    np.testing.assert_array_equal(kernel.numpy(), keras_value)
    kernel.assign(kernel * 2)  # arithmetic on the variable: its own (torch) layout
    np.testing.assert_array_equal(kernel.numpy(), keras_value * 2)
    kernel.assign_sub(kernel / 2)
    np.testing.assert_array_equal(kernel.numpy(), keras_value)
    kernel.assign_add(np.ones((3, 3, 3, 4), "float32"))
    np.testing.assert_array_equal(kernel.numpy(), keras_value + 1)
    with pytest.raises(ValueError, match=r"shape \(3, 3\) to variable .* of shape \(3, 3, 3, 4\)"):
        kernel.assign(np.zeros((3, 3)))


@pytest.mark.parametrize("cls,shape", [(layers.Conv2D, (2, 8, 8, 1)), (layers.Conv2D, (2, 8, 8, 3)),
                                       (layers.Conv3D, (2, 5, 5, 5, 1))])
def test_kernel_strides_match_its_gradients(cls, shape):
    # DistributedDataParallel warns when a parameter's gradient comes back with other strides
    # (with one input channel torch counts plain contiguous strides as channels_last as well).
    layer = cls(4, 3, use_bias=False)
    layer(torch.randn(shape)).sum().backward()
    assert layer.kernel.grad.stride() == layer.kernel.stride()


class _CountCopies(torch.utils._python_dispatch.TorchDispatchMode):
    """Counts the torch ops that copy a whole tensor of at least `size` elements."""

    def __init__(self, size):
        super().__init__()
        self.size, self.count = size, 0

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        out = func(*args, **(kwargs or {}))
        if func in (torch.ops.aten.copy_.default, torch.ops.aten.clone.default) and out.numel() >= self.size:
            self.count += 1
        return out


@pytest.mark.parametrize("factory, input_shape", [
    (lambda: layers.Conv1D(8, 3), (None, 9, 6)),
    (lambda: layers.Conv2D(8, 3), (None, 9, 9, 6)),
    (lambda: layers.Conv3D(8, 3), (None, 5, 5, 5, 6)),
    (lambda: layers.Conv2DTranspose(8, 3), (None, 9, 9, 6)),
    (lambda: layers.DepthwiseConv2D(3, depth_multiplier=2), (None, 9, 9, 6)),
    (lambda: layers.Conv2D(8, 3, data_format="channels_first"), (None, 6, 9, 9)),
    (lambda: layers.ConvLSTM2D(8, 3), (None, 2, 9, 9, 6)),
])
def test_kernels_are_copied_once_between_keras_layout_and_storage(factory, input_shape):
    layer = factory()
    with _CountCopies(size=100) as counter:
        layer.build(input_shape)
    # each kernel at most once, into its storage (an initializer's value may already be laid out so)
    assert counter.count <= len(layer.weights) - layer.use_bias
    exact = [v.stride() for v in layer.weights]
    values = [np.random.default_rng(0).standard_normal(w.shape).astype("float32") for w in layer.get_weights()]
    with _CountCopies(size=100) as counter:
        layer.set_weights(values)
    assert counter.count == len(layer.weights) - layer.use_bias
    assert [v.stride() for v in layer.weights] == exact  # channels_last (with channels-last inputs) kept
    for got, want in zip(layer.get_weights(), values):
        assert got.flags.c_contiguous and got.flags.owndata
        np.testing.assert_array_equal(got, want)


def test_assign_takes_a_permuted_view_of_the_variable_itself():
    layer = layers.Conv2D(4, 3, use_bias=False)
    layer.build((None, 5, 5, 4))
    kernel = layer.get_weights()[0]
    layer.kernel.assign(layer.kernel.keras_value().transpose(2, 3))  # in <-> out
    np.testing.assert_array_equal(layer.get_weights()[0], kernel.transpose(0, 1, 3, 2))
    dense = layers.Dense(70, use_bias=False)
    dense.build((None, 70))
    kernel = dense.get_weights()[0]
    dense.kernel.assign(dense.kernel.T)
    np.testing.assert_array_equal(dense.get_weights()[0], kernel.T)


def test_a_program_reads_kernel_shapes_in_the_keras_layout():
    # Conv kernels are stored as torch's (out, in, kh, kw); what a program reads off the
    # variable is Keras's (kh, kw, in, out), as the slices and the numpy value are.
    layer = layers.Conv2D(4, 3)
    layer.build((None, 8, 8, 2))
    kernel = layer.kernel
    assert kernel.shape == (3, 3, 2, 4) and type(kernel.shape) is tuple
    assert kernel.shape[-1] == layer.filters == kernel.numpy().shape[-1]
    assert kernel[0].shape == kernel.shape[1:]
    dense = layers.Dense(2)
    dense.build((None, 5))
    assert dense.kernel.shape == (5, 2) and type(dense.kernel.shape) is tuple


@pytest.mark.parametrize("factory, shape", [
    (lambda act, b: layers.Conv1D(4, 3, activation=act, use_bias=b), (2, 9, 3)),
    (lambda act, b: layers.Conv2D(4, 3, activation=act, use_bias=b), (2, 7, 9, 3)),
    (lambda act, b: layers.Conv2D(4, 3, activation=act, use_bias=b, data_format="channels_first"), (2, 3, 7, 9)),
    (lambda act, b: layers.Conv3D(2, 2, activation=act, use_bias=b, padding="same"), (2, 5, 4, 3, 3)),
    (lambda act, b: layers.Conv2DTranspose(4, 3, strides=2, activation=act, use_bias=b), (2, 5, 6, 3)),
    (lambda act, b: layers.Conv2DTranspose(4, 3, strides=2, padding="same", output_padding=1, activation=act,
                                           use_bias=b), (2, 5, 6, 3)),
    (lambda act, b: layers.SeparableConv2D(4, 3, activation=act, use_bias=b), (2, 7, 9, 3)),
    (lambda act, b: layers.DepthwiseConv2D(3, activation=act, use_bias=b), (2, 7, 9, 3)),
    (lambda act, b: layers.Dense(5, activation=act, use_bias=b), (4, 3)),
    (lambda act, b: layers.Dense(5, activation=act, use_bias=b), (4, 2, 3)),
])
@pytest.mark.parametrize("use_bias", [True, False])
def test_relu_computed_in_place_gives_the_values_and_gradients_of_a_separate_relu(factory, shape, use_bias):
    """Layers apply a built-in relu to their freshly computed output in place (no second
    tensor of that size); the result must be the plain layer followed by relu, gradients too."""
    fused, plain = factory("relu", use_bias), factory(None, use_bias)
    x = torch.randn(shape)
    fused.build(shape)
    plain.build(shape)
    plain.set_weights(fused.get_weights())
    weights = [w for w in fused.weights], [w for w in plain.weights]
    xa, xb = x.clone().requires_grad_(), x.clone().requires_grad_()
    out_a, out_b = fused(xa), torch.relu(plain(xb))
    torch.testing.assert_close(out_a, out_b)
    g = torch.randn(out_a.shape)
    grads_a = torch.autograd.grad(out_a, [xa] + [w for w in weights[0]], g)
    grads_b = torch.autograd.grad(out_b, [xb] + [w for w in weights[1]], g)
    for a, b in zip(grads_a, grads_b):
        torch.testing.assert_close(a, b)
