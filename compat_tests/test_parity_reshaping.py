"""Reshaping layers against real Keras 3 (torch backend)."""
import numpy as np
import pytest
import torch

import keraslite
from compat_tests.parity import layer_parity, random_input

keras = pytest.importorskip("keras")

CASES = [
    ("flatten", "Flatten", dict(), (2, 7, 9, 3)),
    ("flatten_2d", "Flatten", dict(), (2, 5)),
    ("flatten_channels_first", "Flatten", dict(data_format="channels_first"), (2, 3, 7, 9)),
    ("flatten_channels_first_3d", "Flatten", dict(data_format="channels_first"), (2, 3, 5)),
    ("reshape", "Reshape", dict(target_shape=(9, 7, 3)), (2, 7, 9, 3)),
    ("reshape_minus_one", "Reshape", dict(target_shape=(-1, 3)), (2, 7, 9, 3)),
    ("reshape_minus_one_middle", "Reshape", dict(target_shape=(3, -1, 7)), (2, 7, 9, 3)),
    ("permute", "Permute", dict(dims=(2, 1)), (2, 7, 3)),
    ("permute_3", "Permute", dict(dims=(3, 1, 2)), (2, 7, 9, 3)),
    ("repeat_vector", "RepeatVector", dict(n=4), (2, 5)),
    ("upsampling1d", "UpSampling1D", dict(), (2, 5, 3)),
    ("upsampling1d_3", "UpSampling1D", dict(size=3), (2, 5, 3)),
    ("upsampling2d", "UpSampling2D", dict(), (2, 7, 9, 3)),
    ("upsampling2d_size", "UpSampling2D", dict(size=(3, 2)), (2, 7, 9, 3)),
    ("upsampling2d_channels_first", "UpSampling2D", dict(size=(2, 3), data_format="channels_first"),
     (2, 3, 7, 9)),
    ("upsampling2d_bilinear", "UpSampling2D", dict(interpolation="bilinear"), (2, 7, 9, 3)),
    ("upsampling2d_bilinear_odd", "UpSampling2D", dict(size=(3, 2), interpolation="bilinear"), (2, 7, 9, 3)),
    ("upsampling2d_bilinear_cf", "UpSampling2D", dict(size=(2, 3), interpolation="bilinear",
                                                      data_format="channels_first"), (2, 3, 7, 9)),
    ("upsampling2d_bicubic", "UpSampling2D", dict(interpolation="bicubic"), (2, 7, 9, 3)),
    ("upsampling3d", "UpSampling3D", dict(size=(2, 1, 3)), (2, 3, 4, 2, 3)),
    ("upsampling3d_channels_first", "UpSampling3D", dict(data_format="channels_first"), (2, 3, 3, 4, 2)),
    ("zeropadding1d", "ZeroPadding1D", dict(), (2, 5, 3)),
    ("zeropadding1d_asym", "ZeroPadding1D", dict(padding=(1, 3)), (2, 5, 3)),
    ("zeropadding2d", "ZeroPadding2D", dict(), (2, 7, 9, 3)),
    ("zeropadding2d_pairs", "ZeroPadding2D", dict(padding=((1, 2), (0, 3))), (2, 7, 9, 3)),
    ("zeropadding2d_sym", "ZeroPadding2D", dict(padding=(2, 1)), (2, 7, 9, 3)),
    ("zeropadding2d_channels_first", "ZeroPadding2D", dict(padding=((1, 2), (0, 3)), data_format="channels_first"),
     (2, 3, 7, 9)),
    ("zeropadding3d", "ZeroPadding3D", dict(padding=((1, 0), (0, 2), (1, 1))), (2, 3, 4, 2, 3)),
    ("zeropadding3d_channels_first", "ZeroPadding3D", dict(padding=1, data_format="channels_first"),
     (2, 3, 3, 4, 2)),
    ("cropping1d", "Cropping1D", dict(), (2, 5, 3)),
    ("cropping1d_asym", "Cropping1D", dict(cropping=(0, 2)), (2, 5, 3)),
    ("cropping2d", "Cropping2D", dict(cropping=((1, 2), (0, 3))), (2, 7, 9, 3)),
    ("cropping2d_int", "Cropping2D", dict(cropping=2), (2, 7, 9, 3)),
    ("cropping2d_channels_first", "Cropping2D", dict(cropping=((1, 0), (2, 3)), data_format="channels_first"),
     (2, 3, 7, 9)),
    ("cropping3d", "Cropping3D", dict(), (2, 3, 4, 5, 3)),
    ("cropping3d_channels_first", "Cropping3D", dict(cropping=((0, 1), (1, 1), (2, 0)),
                                                     data_format="channels_first"), (2, 3, 3, 4, 5)),
]




@pytest.mark.parametrize("name,cls,kwargs,shape", CASES, ids=[c[0] for c in CASES])
def test_output_parity(name, cls, kwargs, shape):
    k_layer = getattr(keras.layers, cls)(**kwargs)
    l_layer = getattr(keraslite.layers, cls)(**kwargs)
    layer_parity(k_layer, l_layer, random_input(shape), atol=1e-5)
    assert l_layer.count_params() == k_layer.count_params() == 0


@pytest.mark.parametrize("name,cls,kwargs,shape", CASES, ids=[c[0] for c in CASES])
def test_compute_output_shape(name, cls, kwargs, shape):
    k_layer = getattr(keras.layers, cls)(**kwargs)
    l_layer = getattr(keraslite.layers, cls)(**kwargs)
    symbolic = (None,) + tuple(shape[1:])
    assert tuple(l_layer.compute_output_shape(symbolic)) == tuple(k_layer.compute_output_shape(symbolic))


@pytest.mark.parametrize("cls,kwargs,shape", [("Reshape", dict(target_shape=(-1, 3)), (None, None, 3)),
                                              ("Flatten", dict(), (None, None, 3)),
                                              ("UpSampling2D", dict(), (None, None, 9, 3)),
                                              ("Cropping1D", dict(), (None, None, 3))])
def test_compute_output_shape_with_unknown_dims(cls, kwargs, shape):
    k_shape = getattr(keras.layers, cls)(**kwargs).compute_output_shape(shape)
    assert tuple(getattr(keraslite.layers, cls)(**kwargs).compute_output_shape(shape)) == tuple(k_shape)


@pytest.mark.parametrize("cls,kwargs", [("ZeroPadding2D", dict(padding=(2, 1))), ("Cropping2D", dict(cropping=2)),
                                        ("UpSampling2D", dict(size=3, interpolation="bilinear")),
                                        ("Reshape", dict(target_shape=[-1, 3])), ("Permute", dict(dims=[2, 1])),
                                        ("ZeroPadding1D", dict(padding=2)), ("Cropping1D", dict(cropping=1)),
                                        ("UpSampling1D", dict(size=3)), ("RepeatVector", dict(n=3)),
                                        ("Flatten", dict(data_format="channels_first"))])
def test_config_matches_keras(cls, kwargs):
    def plain(v):
        return [plain(x) for x in v] if isinstance(v, (tuple, list)) else v

    k_config = getattr(keras.layers, cls)(**kwargs).get_config()
    l_config = getattr(keraslite.layers, cls)(**kwargs).get_config()
    for key in ("padding", "cropping", "size", "interpolation", "target_shape", "dims", "n", "data_format"):
        if key in k_config:
            assert plain(l_config.get(key)) == plain(k_config[key]), key
        else:
            assert key not in l_config, f"{cls} config has {key!r}, Keras's does not"


def test_flatten_then_dense_matches_keras_channels_first():
    """The order Flatten produces decides which Dense rows meet which pixels."""
    x = random_input((2, 3, 4, 5), seed=4)
    k_model = keras.Sequential([keras.Input((3, 4, 5)), keras.layers.Flatten(data_format="channels_first"),
                                keras.layers.Dense(2)])
    l_flat, l_dense = keraslite.layers.Flatten(data_format="channels_first"), keraslite.layers.Dense(2)
    l_dense(l_flat(torch.as_tensor(x)))
    l_dense.set_weights(k_model.layers[-1].get_weights())
    np.testing.assert_allclose(l_dense(l_flat(torch.as_tensor(x))).detach().numpy(),
                               k_model(torch.as_tensor(x)).detach().cpu().numpy(), atol=1e-5)


@pytest.mark.parametrize("cls", sorted({c[1] for c in CASES}))
def test_config_has_keras_keys(cls):
    kwargs = next(c[2] for c in CASES if c[1] == cls)
    k_keys = set(getattr(keras.layers, cls)(**kwargs).get_config())
    l_keys = set(getattr(keraslite.layers, cls)(**kwargs).get_config())
    assert k_keys - l_keys == set(), f"{cls}: keys Keras writes that keraslite does not"
    assert l_keys - k_keys <= {"batch_input_shape"}, f"{cls}: keys keraslite writes that Keras does not"
