import numpy as np
import pytest
import torch

from keraslite import layers
from tests.contract import check_layer_contract

CASES = [
    ("flatten", lambda: layers.Flatten(), (2, 7, 9, 3)),
    ("flatten_channels_first", lambda: layers.Flatten(data_format="channels_first"), (2, 3, 7, 9)),
    ("reshape", lambda: layers.Reshape((9, 7, 3)), (2, 7, 9, 3)),
    ("reshape_minus_one", lambda: layers.Reshape((-1, 3)), (2, 7, 9, 3)),
    ("permute", lambda: layers.Permute((2, 1)), (2, 7, 3)),
    ("permute_3", lambda: layers.Permute((3, 1, 2)), (2, 7, 9, 3)),
    ("repeat_vector", lambda: layers.RepeatVector(3), (2, 5)),
    ("upsampling1d", lambda: layers.UpSampling1D(3), (2, 5, 3)),
    ("upsampling2d", lambda: layers.UpSampling2D((2, 3)), (2, 7, 9, 3)),
    ("upsampling2d_channels_first", lambda: layers.UpSampling2D(data_format="channels_first"), (2, 3, 7, 9)),
    ("upsampling2d_bilinear", lambda: layers.UpSampling2D(interpolation="bilinear"), (2, 7, 9, 3)),
    ("upsampling3d", lambda: layers.UpSampling3D((1, 2, 2)), (2, 3, 4, 2, 3)),
    ("zeropadding1d", lambda: layers.ZeroPadding1D((1, 2)), (2, 5, 3)),
    ("zeropadding2d", lambda: layers.ZeroPadding2D(((1, 2), (0, 1))), (2, 7, 9, 3)),
    ("zeropadding2d_channels_first", lambda: layers.ZeroPadding2D(2, data_format="channels_first"), (2, 3, 7, 9)),
    ("zeropadding3d", lambda: layers.ZeroPadding3D(1), (2, 3, 4, 2, 3)),
    ("cropping1d", lambda: layers.Cropping1D((0, 2)), (2, 5, 3)),
    ("cropping2d", lambda: layers.Cropping2D(((1, 2), (0, 3))), (2, 7, 9, 3)),
    ("cropping2d_channels_first", lambda: layers.Cropping2D(1, data_format="channels_first"), (2, 3, 7, 9)),
    ("cropping3d", lambda: layers.Cropping3D(), (2, 3, 4, 5, 3)),
]


@pytest.mark.parametrize("name,factory,shape", CASES, ids=[c[0] for c in CASES])
def test_contract(name, factory, shape):
    check_layer_contract(factory, shape)


def test_flatten_channels_first_flattens_in_channels_last_order():
    x = torch.arange(2 * 3 * 2 * 2, dtype=torch.float32).reshape(2, 3, 2, 2)  # (batch, c, h, w)
    out = layers.Flatten(data_format="channels_first")(x)
    np.testing.assert_array_equal(out.numpy(), x.permute(0, 2, 3, 1).reshape(2, -1).numpy())


def test_flatten_of_a_vector_gives_one_column():
    assert tuple(layers.Flatten()(torch.zeros(4)).shape) == (4, 1)


def test_reshape_wrong_size_names_layer_and_shapes():
    layer = layers.Reshape((4, 2))
    with pytest.raises(ValueError, match=r"Reshape 'reshape\w*'.*\(3, 6\).*target_shape=\(4, 2\)"):
        layer(torch.zeros(3, 6))


def test_reshape_rejects_two_unknowns():
    with pytest.raises(ValueError, match="-1"):
        layers.Reshape((-1, -1))


def test_permute_validates_dims_and_rank():
    with pytest.raises(ValueError, match="permutation"):
        layers.Permute((0, 1))
    layer = layers.Permute((2, 1))
    with pytest.raises(ValueError, match=r"expected ndim=3, found ndim=4. Full shape received: \(1, 2, 3, 4\)"):
        layer(torch.zeros(1, 2, 3, 4))


def test_repeat_vector_rejects_sequences():
    layer = layers.RepeatVector(2)
    with pytest.raises(ValueError, match=r"repeat_vector\w*' is incompatible.*expected ndim=2, found ndim=3"):
        layer(torch.zeros(1, 2, 3))


def test_upsampling_nearest_repeats_pixels():
    x = torch.tensor([[[[1.0], [2.0]], [[3.0], [4.0]]]])  # (1, 2, 2, 1)
    out = layers.UpSampling2D((2, 3))(x)[0, :, :, 0]
    expected = np.repeat(np.repeat([[1.0, 2.0], [3.0, 4.0]], 2, axis=0), 3, axis=1)
    np.testing.assert_array_equal(out.numpy(), expected)


def test_upsampling2d_rejects_unknown_interpolation():
    with pytest.raises(ValueError, match="interpolation"):
        layers.UpSampling2D(interpolation="lanczos3")


def test_cropping_too_much_is_an_error():
    layer = layers.Cropping2D(((2, 2), (0, 0)))
    with pytest.raises(ValueError, match=r"cropping.*\(1, 4, 5, 3\)"):
        layer(torch.zeros(1, 4, 5, 3))


def test_zero_padding_values_and_layout():
    x = torch.ones(1, 2, 2, 1)
    out = layers.ZeroPadding2D(((1, 0), (0, 2)))(x)
    assert tuple(out.shape) == (1, 3, 4, 1)
    np.testing.assert_array_equal(out[0, :, :, 0].numpy(), [[0, 0, 0, 0], [1, 1, 0, 0], [1, 1, 0, 0]])


def test_padding_normalization_matches_keras_forms():
    assert layers.ZeroPadding2D(2).padding == ((2, 2), (2, 2))
    assert layers.ZeroPadding2D((1, 3)).padding == ((1, 1), (3, 3))
    assert layers.ZeroPadding1D(2).get_config()["padding"] == (2, 2)
    assert layers.Cropping1D(1).get_config()["cropping"] == (1, 1)
    assert "data_format" not in layers.Cropping1D().get_config()
