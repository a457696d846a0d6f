"""Convolution layers against real Keras 3 (torch backend): same weights, same inputs."""
import numpy as np
import pytest
import torch

import keraslite
from compat_tests.parity import layer_parity, random_input, to_numpy

keras = pytest.importorskip("keras")

# (id, class name, kwargs, input shape); 7x9 images so stride 2 'same' needs asymmetric padding.
CASES = [
    ("conv1d", "Conv1D", dict(filters=4, kernel_size=3), (2, 9, 3)),
    ("conv1d_same_s2", "Conv1D", dict(filters=4, kernel_size=3, strides=2, padding="same"), (2, 9, 3)),
    ("conv1d_same_even_kernel", "Conv1D", dict(filters=4, kernel_size=4, padding="same"), (2, 9, 3)),
    ("conv1d_causal_dilated", "Conv1D", dict(filters=4, kernel_size=3, padding="causal", dilation_rate=2),
     (2, 9, 3)),
    ("conv1d_groups", "Conv1D", dict(filters=4, kernel_size=2, groups=2, activation="relu"), (2, 9, 4)),
    ("conv1d_channels_first", "Conv1D", dict(filters=4, kernel_size=3, padding="same", strides=2,
                                             data_format="channels_first"), (2, 3, 9)),
    ("conv2d", "Conv2D", dict(filters=4, kernel_size=3, activation="tanh"), (2, 7, 9, 3)),
    ("conv2d_same_s1", "Conv2D", dict(filters=4, kernel_size=3, padding="same"), (2, 7, 9, 3)),
    ("conv2d_same_s2", "Conv2D", dict(filters=4, kernel_size=3, strides=2, padding="same"), (2, 7, 9, 3)),
    ("conv2d_same_s2_even", "Conv2D", dict(filters=4, kernel_size=(2, 4), strides=(2, 3), padding="same"),
     (2, 7, 9, 3)),
    ("conv2d_valid_s2", "Conv2D", dict(filters=4, kernel_size=(3, 2), strides=2), (2, 7, 9, 3)),
    ("conv2d_dilated_same", "Conv2D", dict(filters=4, kernel_size=3, dilation_rate=2, padding="same"),
     (2, 7, 9, 3)),
    ("conv2d_groups", "Conv2D", dict(filters=6, kernel_size=3, groups=3, padding="same"), (2, 7, 9, 6)),
    ("conv2d_no_bias", "Conv2D", dict(filters=4, kernel_size=1, use_bias=False), (2, 7, 9, 3)),
    ("conv2d_channels_first", "Conv2D", dict(filters=4, kernel_size=3, strides=2, padding="same",
                                             data_format="channels_first"), (2, 3, 7, 9)),
    ("conv3d", "Conv3D", dict(filters=2, kernel_size=2), (2, 4, 5, 3, 3)),
    ("conv3d_same_s2", "Conv3D", dict(filters=2, kernel_size=3, strides=2, padding="same"), (2, 5, 4, 3, 3)),
    ("conv3d_channels_first", "Conv3D", dict(filters=2, kernel_size=2, data_format="channels_first"),
     (2, 3, 4, 5, 3)),
    ("conv1d_transpose", "Conv1DTranspose", dict(filters=4, kernel_size=3, strides=2), (2, 5, 3)),
    ("conv1d_transpose_same", "Conv1DTranspose", dict(filters=4, kernel_size=3, strides=2, padding="same"),
     (2, 5, 3)),
    ("conv1d_transpose_dilated", "Conv1DTranspose", dict(filters=4, kernel_size=3, dilation_rate=2), (2, 5, 3)),
    ("conv2d_transpose", "Conv2DTranspose", dict(filters=4, kernel_size=3), (2, 5, 6, 3)),
    ("conv2d_transpose_same_s2", "Conv2DTranspose", dict(filters=4, kernel_size=3, strides=2, padding="same"),
     (2, 5, 6, 3)),
    ("conv2d_transpose_same_even", "Conv2DTranspose", dict(filters=4, kernel_size=4, strides=2, padding="same"),
     (2, 5, 6, 3)),
    ("conv2d_transpose_valid_big_stride", "Conv2DTranspose", dict(filters=4, kernel_size=2, strides=3),
     (2, 5, 6, 3)),
    ("conv2d_transpose_output_padding", "Conv2DTranspose",
     dict(filters=4, kernel_size=3, strides=2, output_padding=1), (2, 5, 6, 3)),
    ("conv2d_transpose_same_output_padding", "Conv2DTranspose",
     dict(filters=4, kernel_size=3, strides=(2, 3), padding="same", output_padding=(0, 2)), (2, 5, 6, 3)),
    ("conv2d_transpose_channels_first", "Conv2DTranspose",
     dict(filters=4, kernel_size=3, strides=2, padding="same", data_format="channels_first"), (2, 3, 5, 6)),
    ("conv3d_transpose", "Conv3DTranspose", dict(filters=2, kernel_size=2, strides=2, padding="same"),
     (2, 3, 4, 2, 3)),
    ("conv3d_transpose_output_padding", "Conv3DTranspose",
     dict(filters=2, kernel_size=3, strides=2, output_padding=1), (2, 3, 2, 2, 3)),
    ("separable_conv1d", "SeparableConv1D", dict(filters=4, kernel_size=3, depth_multiplier=2), (2, 9, 3)),
    ("separable_conv1d_same_s2", "SeparableConv1D", dict(filters=4, kernel_size=3, strides=2, padding="same"),
     (2, 9, 3)),
    ("separable_conv2d", "SeparableConv2D", dict(filters=4, kernel_size=3, depth_multiplier=2, padding="same"),
     (2, 7, 9, 3)),
    ("separable_conv2d_s2", "SeparableConv2D", dict(filters=4, kernel_size=3, strides=2, padding="same"),
     (2, 7, 9, 3)),
    ("separable_conv2d_dilated", "SeparableConv2D", dict(filters=4, kernel_size=3, dilation_rate=2),
     (2, 7, 9, 3)),
    ("separable_conv2d_channels_first", "SeparableConv2D",
     dict(filters=4, kernel_size=3, data_format="channels_first", depth_multiplier=2), (2, 3, 7, 9)),
    ("depthwise_conv1d", "DepthwiseConv1D", dict(kernel_size=3, depth_multiplier=2), (2, 9, 3)),
    ("depthwise_conv1d_same_s2", "DepthwiseConv1D", dict(kernel_size=3, strides=2, padding="same"), (2, 9, 3)),
    ("depthwise_conv2d", "DepthwiseConv2D", dict(kernel_size=3, depth_multiplier=2), (2, 7, 9, 3)),
    ("depthwise_conv2d_same_s2", "DepthwiseConv2D", dict(kernel_size=3, strides=2, padding="same",
                                                         depth_multiplier=3), (2, 7, 9, 3)),
    ("depthwise_conv2d_dilated", "DepthwiseConv2D", dict(kernel_size=2, dilation_rate=2, padding="same"),
     (2, 7, 9, 3)),
    ("depthwise_conv2d_channels_first", "DepthwiseConv2D",
     dict(kernel_size=3, depth_multiplier=2, data_format="channels_first"), (2, 3, 7, 9)),
]




@pytest.mark.parametrize("name,cls,kwargs,shape", CASES, ids=[c[0] for c in CASES])
def test_output_parity(name, cls, kwargs, shape):
    k_layer = getattr(keras.layers, cls)(**kwargs)
    l_layer = getattr(keraslite.layers, cls)(**kwargs)
    layer_parity(k_layer, l_layer, random_input(shape), atol=1e-5)
    # Same weight names in the same order, and the same parameter count.
    assert [w.path.split("/")[-1] for w in l_layer.weights] == [w.path.split("/")[-1] for w in k_layer.weights]
    assert l_layer.count_params() == k_layer.count_params()


@pytest.mark.parametrize("name,cls,kwargs,shape", CASES, ids=[c[0] for c in CASES])
def test_compute_output_shape(name, cls, kwargs, shape):
    k_layer = getattr(keras.layers, cls)(**kwargs)
    l_layer = getattr(keraslite.layers, cls)(**kwargs)
    symbolic = (None,) + tuple(shape[1:])
    assert tuple(l_layer.compute_output_shape(symbolic)) == tuple(k_layer.compute_output_shape(symbolic))


@pytest.mark.parametrize("name,cls,kwargs,shape", CASES[::4], ids=[c[0] for c in CASES[::4]])
def test_config_matches_keras(name, cls, kwargs, shape):
    k_config = getattr(keras.layers, cls)(**kwargs).get_config()
    l_config = getattr(keraslite.layers, cls)(**kwargs).get_config()
    for key in ("kernel_size", "strides", "padding", "data_format", "dilation_rate", "filters", "groups",
                "output_padding", "depth_multiplier", "activation", "use_bias"):
        if key in k_config:
            assert key in l_config, f"{cls} config lacks {key!r}"
            k_value, l_value = k_config[key], l_config[key]
            assert (list(l_value) if isinstance(l_value, tuple) else l_value) == (
                list(k_value) if isinstance(k_value, tuple) else k_value), key


@pytest.mark.parametrize("cls", sorted({c[1] for c in CASES}))
def test_config_has_keras_keys(cls):
    kwargs = next(c[2] for c in CASES if c[1] == cls)
    k_keys = set(getattr(keras.layers, cls)(**kwargs).get_config())
    l_keys = set(getattr(keraslite.layers, cls)(**kwargs).get_config())
    assert k_keys - l_keys == set(), f"{cls}: keys Keras writes that keraslite does not"
    assert l_keys - k_keys <= {"batch_input_shape"}, f"{cls}: keys keraslite writes that Keras does not"


def test_aliases_are_keras_aliases():
    for alias, canonical in [("Convolution1D", "Conv1D"), ("Convolution2D", "Conv2D"), ("Convolution3D", "Conv3D"),
                             ("Convolution2DTranspose", "Conv2DTranspose"),
                             ("SeparableConvolution1D", "SeparableConv1D"),
                             ("SeparableConvolution2D", "SeparableConv2D")]:
        assert getattr(keras.layers, alias) is getattr(keras.layers, canonical)
        assert getattr(keraslite.layers, alias) is getattr(keraslite.layers, canonical)
    assert keraslite.layers.Deconvolution2D is keraslite.layers.Conv2DTranspose


def test_keras_initialized_layer_matches_in_a_stack():
    """Two convs in a row with Keras's own (non-randomized) initial weights."""
    x = random_input((2, 7, 9, 3), seed=1)
    k1, k2 = keras.layers.Conv2D(4, 3, strides=2, padding="same"), keras.layers.Conv2D(2, 2, padding="same")
    l1, l2 = keraslite.layers.Conv2D(4, 3, strides=2, padding="same"), keraslite.layers.Conv2D(2, 2, padding="same")
    k_out = k2(k1(torch.as_tensor(x)))
    l1(torch.as_tensor(x))
    l2(l1(torch.as_tensor(x)))
    l1.set_weights(k1.get_weights())
    l2.set_weights(k2.get_weights())
    l_out = l2(l1(torch.as_tensor(x)))
    np.testing.assert_allclose(l_out.detach().numpy(), k_out.detach().cpu().numpy(), atol=1e-5)


@pytest.mark.parametrize("name", ["conv2d_same_s2_even", "conv1d_causal_dilated", "conv2d_groups",
                                  "conv2d_transpose_same_s2", "conv1d_transpose_same", "separable_conv1d_same_s2",
                                  "depthwise_conv2d_same_s2", "conv3d_same_s2"])
def test_gradient_parity(name):
    """Gradients w.r.t. the input and every weight (in Keras layout) match Keras's."""
    _, cls, kwargs, shape = next(c for c in CASES if c[0] == name)
    k_layer = getattr(keras.layers, cls)(**kwargs)
    l_layer = getattr(keraslite.layers, cls)(**kwargs)
    layer_parity(k_layer, l_layer, random_input(shape))
    x = random_input(shape, seed=5)
    k_x, l_x = torch.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    k_out, l_out = k_layer(k_x), l_layer(l_x)
    probe = torch.as_tensor(np.random.default_rng(6).standard_normal(tuple(k_out.shape)).astype("float32"))
    (k_out * probe.to(k_out.device)).sum().backward()
    (l_out * probe).sum().backward()
    np.testing.assert_allclose(l_x.grad.numpy(), k_x.grad.cpu().numpy(), atol=1e-4)
    for k_var, l_var in zip(k_layer.weights, l_layer.weights):
        l_grad = l_var.keras_layout.to_keras(l_var.grad).numpy()
        np.testing.assert_allclose(l_grad, k_var.value.grad.cpu().numpy(), atol=1e-4, err_msg=l_var.name)


@pytest.mark.parametrize("kind,args,shape", [
    ("Conv2D", dict(filters=4, kernel_size=(3, 3)), (None, 1, 28, 28)),
    ("Conv1D", dict(filters=4, kernel_size=5), (None, 3, 2)),
    ("MaxPooling2D", dict(pool_size=(2, 2)), (None, 1, 28, 32)),
    ("AveragePooling1D", dict(pool_size=4), (None, 3, 2)),
])
def test_output_size_zero_or_negative_raises_like_keras(kind, args, shape):
    """Keras refuses a window larger than its input; so does keraslite, with the same opening words."""
    for lib in (keras, keraslite):
        layer = getattr(lib.layers, kind)(**args)
        with pytest.raises(ValueError, match="Computed output size would be zero or negative"):
            model = lib.Sequential([lib.Input(shape[1:]), layer])
            model.output_shape  # noqa: B018 (keraslite checks shapes when the stack is built)


@pytest.mark.parametrize("make,shape", [
    (lambda L: L.Dense(3, activation="softmax"), (2, 4)),
    (lambda L: L.Dense(3, activation="relu"), (2, 5, 4)),
    (lambda L: L.EinsumDense("ab,bc->ac", output_shape=3, activation="relu"), (2, 4)),
    (lambda L: L.Conv1D(2, 3, activation="relu"), (2, 6, 1)),
    (lambda L: L.Conv2D(2, 3, activation="relu"), (2, 5, 5, 1)),
    (lambda L: L.SeparableConv2D(2, 3, activation="relu"), (2, 5, 5, 2)),
    (lambda L: L.DepthwiseConv2D(3, activation="relu"), (2, 5, 5, 2)),
    (lambda L: L.Conv2DTranspose(2, 3, activation="relu"), (2, 4, 4, 1)),
    (lambda L: L.SimpleRNN(3, activation="relu"), (2, 4, 2)),
])
def test_activation_set_to_none_after_construction(make, shape):
    """`layer.activation = None` (Grad-CAM's "remove the last layer's softmax") leaves the
    layer linear, as in Keras, instead of failing on a None call."""
    x = np.random.default_rng(0).standard_normal(shape).astype("float32")
    k_layer, l_layer = make(keras.layers), make(keraslite.layers)
    k_layer(torch.as_tensor(x))
    l_layer(torch.as_tensor(x))
    l_layer.set_weights(k_layer.get_weights())
    for layer in (k_layer, l_layer):
        (layer.cell if hasattr(layer, "cell") else layer).activation = None
    expected = to_numpy(k_layer(torch.as_tensor(x)))
    np.testing.assert_allclose(to_numpy(l_layer(torch.as_tensor(x))), expected, rtol=1e-5, atol=1e-5)
    assert (expected < 0).any()  # the activation really is gone
