"""Pooling layers against real Keras 3 (torch backend)."""
import numpy as np
import pytest
import torch

import keraslite
from compat_tests.parity import layer_parity, random_input

keras = pytest.importorskip("keras")

# (id, class name, kwargs, input shape). 7x9 images make stride-2 'same' pad one side only.
CASES = [
    ("max1d", "MaxPooling1D", dict(), (2, 9, 3)),
    ("max1d_s1_same", "MaxPooling1D", dict(pool_size=3, strides=1, padding="same"), (2, 9, 3)),
    ("max1d_same_odd", "MaxPooling1D", dict(pool_size=2, padding="same"), (2, 9, 3)),
    ("max1d_channels_first", "MaxPooling1D", dict(pool_size=2, padding="same", data_format="channels_first"),
     (2, 3, 9)),
    ("max2d", "MaxPooling2D", dict(), (2, 7, 9, 3)),
    ("max2d_same", "MaxPooling2D", dict(pool_size=2, padding="same"), (2, 7, 9, 3)),
    ("max2d_3x3_s2_same", "MaxPooling2D", dict(pool_size=3, strides=2, padding="same"), (2, 7, 9, 3)),
    ("max2d_strides", "MaxPooling2D", dict(pool_size=(3, 2), strides=(2, 1)), (2, 7, 9, 3)),
    ("max2d_channels_first", "MaxPooling2D", dict(pool_size=2, padding="same", data_format="channels_first"),
     (2, 3, 7, 9)),
    ("max3d", "MaxPooling3D", dict(pool_size=2, padding="same"), (2, 5, 4, 3, 3)),
    ("max3d_channels_first", "MaxPooling3D", dict(pool_size=2, data_format="channels_first"), (2, 3, 5, 4, 3)),
    ("avg1d", "AveragePooling1D", dict(pool_size=2), (2, 9, 3)),
    ("avg1d_same_odd", "AveragePooling1D", dict(pool_size=2, padding="same"), (2, 9, 3)),
    ("avg1d_s1_same_3", "AveragePooling1D", dict(pool_size=3, strides=1, padding="same"), (2, 9, 3)),
    # One-sided 'same' padding where replicated edges and excluded padding give different means.
    ("avg1d_same_3_s2_even", "AveragePooling1D", dict(pool_size=3, strides=2, padding="same"), (2, 8, 3)),
    ("avg2d_same_4_s1", "AveragePooling2D", dict(pool_size=4, strides=1, padding="same"), (2, 7, 9, 3)),
    ("max2d_same_4_s1", "MaxPooling2D", dict(pool_size=4, strides=1, padding="same"), (2, 7, 9, 3)),
    ("avg2d", "AveragePooling2D", dict(pool_size=2), (2, 7, 9, 3)),
    ("avg2d_same", "AveragePooling2D", dict(pool_size=2, padding="same"), (2, 7, 9, 3)),
    ("avg2d_3x3_s1_same", "AveragePooling2D", dict(pool_size=3, strides=1, padding="same"), (2, 7, 9, 3)),
    ("avg2d_3x3_s2_same", "AveragePooling2D", dict(pool_size=3, strides=2, padding="same"), (2, 7, 9, 3)),
    ("avg2d_2x2_s1_same", "AveragePooling2D", dict(pool_size=2, strides=1, padding="same"), (2, 7, 9, 3)),
    ("avg2d_channels_first", "AveragePooling2D", dict(pool_size=2, padding="same", data_format="channels_first"),
     (2, 3, 7, 9)),
    ("avg3d", "AveragePooling3D", dict(pool_size=2), (2, 5, 4, 3, 3)),
    ("avg3d_same", "AveragePooling3D", dict(pool_size=2, padding="same"), (2, 5, 4, 3, 3)),
    ("gmax1d", "GlobalMaxPooling1D", dict(), (2, 9, 3)),
    ("gmax1d_keepdims_cf", "GlobalMaxPooling1D", dict(keepdims=True, data_format="channels_first"), (2, 3, 9)),
    ("gmax2d", "GlobalMaxPooling2D", dict(), (2, 7, 9, 3)),
    ("gmax2d_keepdims", "GlobalMaxPooling2D", dict(keepdims=True), (2, 7, 9, 3)),
    ("gmax3d", "GlobalMaxPooling3D", dict(data_format="channels_first"), (2, 3, 5, 4, 3)),
    ("gavg1d", "GlobalAveragePooling1D", dict(), (2, 9, 3)),
    ("gavg1d_cf_keepdims", "GlobalAveragePooling1D", dict(data_format="channels_first", keepdims=True), (2, 3, 9)),
    ("gavg2d", "GlobalAveragePooling2D", dict(), (2, 7, 9, 3)),
    ("gavg2d_cf", "GlobalAveragePooling2D", dict(data_format="channels_first", keepdims=True), (2, 3, 7, 9)),
    ("gavg3d", "GlobalAveragePooling3D", dict(keepdims=True), (2, 5, 4, 3, 3)),
    # Adaptive pooling: sizes that divide, sizes that don't (torch's overlapping bins, which
    # Keras's torch backend uses), outputs larger than the input, channels_first.
    ("aavg1d_divides", "AdaptiveAveragePooling1D", dict(output_size=3), (2, 12, 3)),
    ("aavg1d_10_to_3", "AdaptiveAveragePooling1D", dict(output_size=3), (2, 10, 3)),
    ("aavg1d_4_to_7", "AdaptiveAveragePooling1D", dict(output_size=(7,)), (2, 4, 3)),
    ("aavg1d_cf", "AdaptiveAveragePooling1D", dict(output_size=4, data_format="channels_first"), (2, 3, 10)),
    ("amax1d_10_to_3", "AdaptiveMaxPooling1D", dict(output_size=3), (2, 10, 3)),
    ("amax1d_cf", "AdaptiveMaxPooling1D", dict(output_size=[4], data_format="channels_first"), (2, 3, 10)),
    ("aavg2d_7x5_to_3x2", "AdaptiveAveragePooling2D", dict(output_size=(3, 2)), (2, 7, 5, 3)),
    ("aavg2d_divides", "AdaptiveAveragePooling2D", dict(output_size=4), (2, 8, 8, 3)),
    ("aavg2d_cf", "AdaptiveAveragePooling2D", dict(output_size=(3, 2), data_format="channels_first"),
     (2, 3, 7, 5)),
    ("amax2d_7x5_to_3x2", "AdaptiveMaxPooling2D", dict(output_size=(3, 2)), (2, 7, 5, 3)),
    ("amax2d_cf", "AdaptiveMaxPooling2D", dict(output_size=3, data_format="channels_first"), (2, 3, 7, 5)),
    ("aavg3d", "AdaptiveAveragePooling3D", dict(output_size=(3, 2, 4)), (2, 7, 5, 6, 2)),
    ("aavg3d_cf", "AdaptiveAveragePooling3D", dict(output_size=2, data_format="channels_first"), (2, 2, 4, 5, 6)),
    ("amax3d", "AdaptiveMaxPooling3D", dict(output_size=(3, 2, 4)), (2, 7, 5, 6, 2)),
    ("amax3d_cf", "AdaptiveMaxPooling3D", dict(output_size=2, data_format="channels_first"), (2, 2, 4, 4, 4)),
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


@pytest.mark.parametrize("cls,kwargs", [("MaxPooling2D", dict(pool_size=3, strides=2, padding="same")),
                                        ("AveragePooling1D", dict(pool_size=2)),
                                        ("GlobalAveragePooling3D", dict(keepdims=True))])
def test_config_matches_keras(cls, kwargs):
    k_config = getattr(keras.layers, cls)(**kwargs).get_config()
    l_config = getattr(keraslite.layers, cls)(**kwargs).get_config()
    for key in ("pool_size", "strides", "padding", "data_format", "keepdims"):
        if key in k_config:
            k_value, l_value = k_config[key], l_config[key]
            assert (list(l_value) if isinstance(l_value, tuple) else l_value) == (
                list(k_value) if isinstance(k_value, tuple) else k_value), key


@pytest.mark.parametrize("data_format,shape", [("channels_last", (3, 6, 4)), ("channels_first", (3, 4, 6))])
def test_global_average_pooling1d_mask(data_format, shape):
    x = random_input(shape, seed=2)
    mask = np.array([[1, 1, 1, 0, 0, 0], [1, 0, 1, 1, 1, 1], [1, 1, 1, 1, 1, 1]], dtype=bool)
    k_out = keras.layers.GlobalAveragePooling1D(data_format=data_format)(torch.as_tensor(x),
                                                                          mask=torch.as_tensor(mask))
    l_out = keraslite.layers.GlobalAveragePooling1D(data_format=data_format)(torch.as_tensor(x),
                                                                              mask=torch.as_tensor(mask))
    np.testing.assert_allclose(l_out.detach().numpy(), k_out.detach().cpu().numpy(), atol=1e-6)


def test_global_average_pooling1d_takes_mask_from_embedding_like_input():
    x = torch.as_tensor(random_input((2, 5, 3), seed=3))
    mask = torch.tensor([[True, True, False, False, False], [True, True, True, True, False]])
    x._keras_mask = mask
    l_out = keraslite.layers.GlobalAveragePooling1D()(x)
    k_out = keras.layers.GlobalAveragePooling1D()(x.clone(), mask=mask)
    np.testing.assert_allclose(l_out.detach().numpy(), k_out.detach().cpu().numpy(), atol=1e-6)


def test_aliases_are_keras_aliases():
    for alias, canonical in [("MaxPool1D", "MaxPooling1D"), ("MaxPool2D", "MaxPooling2D"),
                             ("MaxPool3D", "MaxPooling3D"), ("AvgPool1D", "AveragePooling1D"),
                             ("AvgPool2D", "AveragePooling2D"), ("AvgPool3D", "AveragePooling3D"),
                             ("GlobalMaxPool1D", "GlobalMaxPooling1D"), ("GlobalMaxPool2D", "GlobalMaxPooling2D"),
                             ("GlobalMaxPool3D", "GlobalMaxPooling3D"), ("GlobalAvgPool1D", "GlobalAveragePooling1D"),
                             ("GlobalAvgPool2D", "GlobalAveragePooling2D"),
                             ("GlobalAvgPool3D", "GlobalAveragePooling3D")]:
        assert getattr(keras.layers, alias) is getattr(keras.layers, canonical)
        assert getattr(keraslite.layers, alias) is getattr(keraslite.layers, canonical)


@pytest.mark.parametrize("cls", sorted({c[1] for c in CASES}))
def test_config_has_keras_keys(cls):
    kwargs = next(c[2] for c in CASES if c[1] == cls)
    k_keys = set(getattr(keras.layers, cls)(**kwargs).get_config())
    l_keys = set(getattr(keraslite.layers, cls)(**kwargs).get_config())
    assert k_keys - l_keys == set(), f"{cls}: keys Keras writes that keraslite does not"
    assert l_keys - k_keys <= {"batch_input_shape"}, f"{cls}: keys keraslite writes that Keras does not"


@pytest.mark.parametrize("cls,kwargs", [("AdaptiveAveragePooling1D", dict(output_size=3)),
                                        ("AdaptiveMaxPooling2D", dict(output_size=(3, 2), data_format="channels_first")),
                                        ("AdaptiveAveragePooling3D", dict(output_size=[2, 3, 4]))])
def test_adaptive_config_round_trips_through_keras(cls, kwargs):
    # A config written by Keras builds keraslite's layer and vice versa, output_size included.
    import json

    k_config = json.loads(json.dumps(getattr(keras.layers, cls)(**kwargs).get_config()))
    l_layer = getattr(keraslite.layers, cls).from_config(k_config)
    assert l_layer.output_size == tuple(k_config["output_size"])
    assert l_layer.data_format == k_config["data_format"]
    l_config = json.loads(json.dumps(l_layer.get_config()))
    k_layer = getattr(keras.layers, cls).from_config(l_config)
    assert tuple(k_layer.output_size) == l_layer.output_size


@pytest.mark.parametrize("model_format", [".keras", ".h5"])
def test_adaptive_pooling_model_file_from_keras(model_format, tmp_path):
    def build(m):
        inputs = m.Input((10, 7, 3))
        x = m.layers.Conv2D(4, 3, padding="same")(inputs)
        x = m.layers.AdaptiveMaxPooling2D((3, 2))(x)
        x = m.layers.Reshape((6, 4))(x)
        x = m.layers.AdaptiveAveragePooling1D(4)(x)
        return m.Model(inputs, m.layers.Flatten()(x))

    km = build(keras)
    x = random_input((2, 10, 7, 3), seed=7)
    path = str(tmp_path / f"adaptive{model_format}")
    km.save(path)
    lm = keraslite.saving.load_model(path, compile=False)
    np.testing.assert_allclose(lm.predict(x, verbose=0), km.predict(x, verbose=0), atol=1e-5)


@pytest.mark.parametrize("name", ["aavg1d_10_to_3", "amax1d_10_to_3", "aavg2d_7x5_to_3x2", "amax2d_cf", "aavg3d_cf",
                                  "amax3d"])
def test_adaptive_gradient_parity(name):
    _gradient(name)


@pytest.mark.parametrize("name", ["avg1d_same_3_s2_even", "avg2d_same_4_s1", "max2d_same_4_s1", "avg2d_3x3_s1_same",
                                  "max1d_channels_first", "gavg2d_cf"])
def test_gradient_parity(name):
    _gradient(name)


def _gradient(name):
    _, cls, kwargs, shape = next(c for c in CASES if c[0] == name)
    x = random_input(shape, seed=5)
    k_x, l_x = torch.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    k_out = getattr(keras.layers, cls)(**kwargs)(k_x)
    l_out = getattr(keraslite.layers, cls)(**kwargs)(l_x)
    probe = torch.as_tensor(np.random.default_rng(6).standard_normal(tuple(k_out.shape)).astype("float32"))
    (k_out * probe.to(k_out.device)).sum().backward()
    (l_out * probe).sum().backward()
    np.testing.assert_allclose(l_x.grad.numpy(), k_x.grad.cpu().numpy(), atol=1e-5)
