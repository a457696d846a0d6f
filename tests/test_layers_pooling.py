import numpy as np
import pytest
import torch

from keraslite import layers
from tests.contract import check_layer_contract

CASES = [
    ("max1d", lambda: layers.MaxPooling1D(), (2, 9, 3)),
    ("max1d_same", lambda: layers.MaxPooling1D(3, strides=2, padding="same"), (2, 9, 3)),
    ("max1d_channels_first", lambda: layers.MaxPooling1D(data_format="channels_first"), (2, 3, 9)),
    ("max2d", lambda: layers.MaxPooling2D(), (2, 7, 9, 3)),
    ("max2d_same", lambda: layers.MaxPooling2D(2, padding="same"), (2, 7, 9, 3)),
    ("max2d_strides", lambda: layers.MaxPooling2D((3, 2), strides=(1, 2)), (2, 7, 9, 3)),
    ("max2d_channels_first", lambda: layers.MaxPool2D(data_format="channels_first", padding="same"), (2, 3, 7, 9)),
    ("max3d", lambda: layers.MaxPooling3D(padding="same"), (2, 5, 4, 3, 3)),
    ("avg1d", lambda: layers.AveragePooling1D(2), (2, 9, 3)),
    ("avg1d_same", lambda: layers.AveragePooling1D(3, strides=2, padding="same"), (2, 8, 3)),
    ("avg2d", lambda: layers.AveragePooling2D(2), (2, 7, 9, 3)),
    ("avg2d_same", lambda: layers.AvgPool2D(3, strides=1, padding="same"), (2, 7, 9, 3)),
    ("avg2d_channels_first", lambda: layers.AveragePooling2D(2, data_format="channels_first"), (2, 3, 7, 9)),
    ("avg3d", lambda: layers.AveragePooling3D(2, padding="same"), (2, 5, 4, 3, 3)),
    ("gmax1d", lambda: layers.GlobalMaxPooling1D(), (2, 9, 3)),
    ("gmax2d", lambda: layers.GlobalMaxPooling2D(keepdims=True), (2, 7, 9, 3)),
    ("gmax3d", lambda: layers.GlobalMaxPool3D(data_format="channels_first"), (2, 3, 5, 4, 3)),
    ("gavg1d", lambda: layers.GlobalAveragePooling1D(), (2, 9, 3)),
    ("gavg1d_channels_first", lambda: layers.GlobalAvgPool1D(data_format="channels_first", keepdims=True),
     (2, 3, 9)),
    ("gavg2d", lambda: layers.GlobalAveragePooling2D(), (2, 7, 9, 3)),
    ("gavg3d", lambda: layers.GlobalAveragePooling3D(keepdims=True), (2, 5, 4, 3, 3)),
    ("aavg1d", lambda: layers.AdaptiveAveragePooling1D(3), (2, 10, 3)),
    ("amax1d_channels_first", lambda: layers.AdaptiveMaxPooling1D(4, data_format="channels_first"), (2, 3, 10)),
    ("aavg2d", lambda: layers.AdaptiveAveragePooling2D((3, 2)), (2, 7, 5, 3)),
    ("amax2d_channels_first", lambda: layers.AdaptiveMaxPooling2D(3, data_format="channels_first"), (2, 3, 7, 5)),
    ("aavg3d_channels_first", lambda: layers.AdaptiveAveragePooling3D(2, data_format="channels_first"),
     (2, 2, 5, 4, 3)),
    ("amax3d", lambda: layers.AdaptiveMaxPooling3D((2, 1, 3)), (2, 5, 4, 6, 2)),
]


@pytest.mark.parametrize("name,factory,shape", CASES, ids=[c[0] for c in CASES])
def test_contract(name, factory, shape):
    check_layer_contract(factory, shape)


@pytest.mark.parametrize("factory,shape,ndim", [(lambda: layers.MaxPooling2D(), (2, 28, 28), 4),
                                                (lambda: layers.AveragePooling1D(2), (2, 8), 3),
                                                (lambda: layers.GlobalAveragePooling2D(), (2, 5, 5), 4),
                                                (lambda: layers.MaxPooling3D(), (2, 4, 4, 4), 5)])
def test_wrong_rank_names_layer_and_shapes(factory, shape, ndim):
    layer = factory()
    pattern = (rf"Input 0 of layer '{layer.name}' is incompatible with the layer: expected ndim={ndim}, "
               rf"found ndim={len(shape)}. Full shape received: \({', '.join(map(str, shape))}\)")
    with pytest.raises(ValueError, match=pattern):
        layer(torch.zeros(shape))


def test_strides_default_to_pool_size_and_config_round_trip():
    layer = layers.MaxPooling2D((3, 2))
    assert layer.strides == (3, 2)
    config = layer.get_config()
    assert config["pool_size"] == (3, 2) and config["strides"] == (3, 2) and config["padding"] == "valid"
    assert layers.MaxPooling2D.from_config(config).get_config() == config


def test_average_same_padding_excludes_symmetric_padding():
    layer = layers.AveragePooling1D(3, strides=1, padding="same")
    x = torch.tensor([[[1.0], [2.0], [3.0], [4.0]]])
    # edges average the 2 real values only
    np.testing.assert_allclose(layer(x).numpy().ravel(), [1.5, 2.0, 3.0, 3.5])


def test_average_same_padding_one_sided_replicates_edge():
    # pool 3 stride 2 on length 4: one pad at the end, filled with the edge value (Keras on torch).
    layer = layers.AveragePooling1D(3, strides=2, padding="same")
    x = torch.tensor([[[1.0], [2.0], [3.0], [4.0]]])
    np.testing.assert_allclose(layer(x).numpy().ravel(), [2.0, (3.0 + 4.0 + 4.0) / 3])


def test_global_average_pooling1d_mask_from_previous_layer():
    x = torch.tensor([[[1.0], [3.0], [100.0]]])
    x._keras_mask = torch.tensor([[True, True, False]])
    out = layers.GlobalAveragePooling1D()(x)
    np.testing.assert_allclose(out.numpy(), [[2.0]])
    assert getattr(out, "_keras_mask", None) is None


def test_legacy_pool_length():
    layer = layers.MaxPooling1D(pool_length=3, stride=1)
    assert layer.pool_size == (3,) and layer.strides == (1,)


def test_bad_padding_is_rejected():
    with pytest.raises(ValueError, match="padding"):
        layers.MaxPooling2D(padding="full")


def test_1d_pooling_output_is_contiguous_channels_last():
    out = layers.MaxPooling1D(2)(torch.randn(2, 8, 3))
    assert tuple(out.shape) == (2, 4, 3) and out.is_contiguous()


def test_pool_larger_than_input_is_an_error():
    with pytest.raises(ValueError, match=r"Computed output size would be zero or negative.*pool_size=\(2, 2\).*"
                                         r"spatial output size \(0, 14\).*looks channels-first"):
        layers.MaxPooling2D((2, 2)).compute_output_shape((None, 1, 28, 32))
    assert layers.MaxPooling2D((2, 2), padding="same").compute_output_shape((None, 1, 28, 32)) == (None, 1, 14, 32)
    with pytest.raises(ValueError, match=r"spatial output size \(0, 14\)\. Use padding='same'"):
        layers.MaxPooling2D((2, 2), data_format="channels_first").compute_output_shape((None, 32, 1, 28))


# ----------------------------------------------------------------------------- adaptive pooling

def _bins(length, n):
    """Bin i covers [floor(i*L/n), ceil((i+1)*L/n)): torch's bins, which Keras's torch backend uses."""
    return [(i * length // n, -(-(i + 1) * length // n)) for i in range(n)]


@pytest.mark.parametrize("length,n", [(10, 3), (12, 3), (4, 7), (5, 5), (7, 1)])
def test_adaptive_1d_bins(length, n):
    x = np.random.default_rng(0).standard_normal((2, length, 3)).astype("float32")
    avg = layers.AdaptiveAveragePooling1D(n)(torch.as_tensor(x)).numpy()
    mx = layers.AdaptiveMaxPooling1D(n)(torch.as_tensor(x)).numpy()
    assert avg.shape == mx.shape == (2, n, 3)
    for i, (a, b) in enumerate(_bins(length, n)):
        np.testing.assert_allclose(avg[:, i], x[:, a:b].mean(axis=1), rtol=1e-6, atol=1e-6)
        np.testing.assert_array_equal(mx[:, i], x[:, a:b].max(axis=1))


def test_adaptive_2d_uneven_bins_and_channels_first():
    x = np.random.default_rng(1).standard_normal((2, 7, 5, 3)).astype("float32")
    out = layers.AdaptiveAveragePooling2D((3, 2))(torch.as_tensor(x)).numpy()
    assert out.shape == (2, 3, 2, 3)
    for i, (r0, r1) in enumerate(_bins(7, 3)):
        for j, (c0, c1) in enumerate(_bins(5, 2)):
            np.testing.assert_allclose(out[:, i, j], x[:, r0:r1, c0:c1].mean(axis=(1, 2)), rtol=1e-5, atol=1e-6)
    first = layers.AdaptiveAveragePooling2D((3, 2), data_format="channels_first")(
        torch.as_tensor(x.transpose(0, 3, 1, 2).copy())).numpy()
    np.testing.assert_allclose(first, out.transpose(0, 3, 1, 2), rtol=1e-6, atol=1e-6)


def test_adaptive_output_size_forms_and_config_round_trip():
    assert layers.AdaptiveMaxPooling1D(4).output_size == (4,)
    assert layers.AdaptiveMaxPooling2D(4).output_size == (4, 4)
    assert layers.AdaptiveAveragePooling3D([2, 3, 4]).output_size == (2, 3, 4)
    layer = layers.AdaptiveAveragePooling2D((3, 2), data_format="channels_first", name="pool")
    config = layer.get_config()
    assert config["output_size"] == (3, 2) and config["data_format"] == "channels_first"
    clone = layers.AdaptiveAveragePooling2D.from_config(dict(config, output_size=list(config["output_size"])))
    assert clone.output_size == (3, 2) and clone.data_format == "channels_first" and clone.name == "pool"
    assert layer.compute_output_shape((None, 4, 9, 9)) == (None, 4, 3, 2)
    assert layers.AdaptiveMaxPooling3D(2).compute_output_shape((None, 5, 6, 7, 8)) == (None, 2, 2, 2, 8)


def test_adaptive_integer_input_average_is_float():
    x = torch.arange(20).reshape(1, 10, 2)
    out = layers.AdaptiveAveragePooling1D(2)(x)
    assert out.is_floating_point()
    np.testing.assert_allclose(out.numpy()[0, :, 0], [4.0, 14.0])


@pytest.mark.parametrize("factory,error", [(lambda: layers.AdaptiveAveragePooling2D((3, 2, 1)), TypeError),
                                           (lambda: layers.AdaptiveMaxPooling1D((2, 2)), TypeError),
                                           (lambda: layers.AdaptiveMaxPooling3D("2"), TypeError),
                                           (lambda: layers.AdaptiveAveragePooling1D(0), ValueError)])
def test_adaptive_bad_output_size_names_layer(factory, error):
    with pytest.raises(error, match="Adaptive.*Pooling.D.*output_size"):
        factory()


def test_adaptive_wrong_rank_names_layer_and_shapes():
    layer = layers.AdaptiveAveragePooling2D(2, name="ap")
    with pytest.raises(ValueError, match=r"'ap' \(AdaptiveAveragePooling2D\).*expected ndim=4.*"
                                         r"found ndim=3.*\(2, 7, 5\)"):
        layer(torch.zeros(2, 7, 5))
