"""keras.applications.convnext and .efficientnet_v2 next to real Keras 3 (torch backend): the
constructors' signatures, each architecture's layers (names and classes, in order), weight
shapes, parameter count, output shape and model name; Keras's weights (copied with
get_weights/set_weights, or through a legacy `.h5` file as the pretrained files are read) give
the same predictions. ConvNeXt's own layers (LayerScale, StochasticDepth) are saved and loaded
by both libraries in `.keras` files. Also the pretrained files' names and hashes, and the errors.

Inputs are the smallest the models accept (32x32); the biggest variants only appear in the
signature checks.
"""
import inspect

import numpy as np
import pytest

import keraslite
from compat_tests.parity import to_numpy
from compat_tests.test_parity_applications import (_Fetched, _assert_same_model, _randomize,  # noqa: F401
                                                   channels_first, recorded_downloads)

keras = pytest.importorskip("keras")

slow = pytest.mark.slow

CONVNEXT = ["ConvNeXtTiny", "ConvNeXtSmall", "ConvNeXtBase", "ConvNeXtLarge", "ConvNeXtXLarge"]
EFFICIENTNET_V2 = ["EfficientNetV2B0", "EfficientNetV2B1", "EfficientNetV2B2", "EfficientNetV2B3",
                   "EfficientNetV2S", "EfficientNetV2M", "EfficientNetV2L"]


def _module(fn):
    return "convnext" if fn.startswith("ConvNeXt") else "efficientnet_v2"


def _build_both(fn, **kwargs):
    k_model = getattr(getattr(keras.applications, _module(fn)), fn)(weights=None, **kwargs)
    _randomize(k_model)
    l_model = getattr(getattr(keraslite.applications, _module(fn)), fn)(weights=None, **kwargs)
    return k_model, l_model


def _pixels(shape, low=0.0, high=255.0, seed=1):
    return np.random.default_rng(seed).uniform(low, high, shape).astype("float32")


@pytest.mark.parametrize("fn", CONVNEXT + EFFICIENTNET_V2)
def test_signature_matches_keras(fn):
    k_fn = getattr(getattr(keras.applications, _module(fn)), fn)
    l_fn = getattr(getattr(keraslite.applications, _module(fn)), fn)
    assert getattr(keraslite.applications, fn) is l_fn
    k_params = [(p.name, p.default, p.kind) for p in inspect.signature(k_fn).parameters.values()]
    assert [(p.name, p.default, p.kind) for p in inspect.signature(l_fn).parameters.values()] == k_params


@pytest.mark.parametrize("fn,kwargs", [
    ("ConvNeXtTiny", dict(input_shape=(32, 32, 3), classes=10)),
    ("ConvNeXtTiny", dict(input_shape=(32, 32, 3), include_top=False, pooling="avg")),
    ("EfficientNetV2B0", dict(input_shape=(32, 32, 3), classes=10)),
    ("EfficientNetV2B0", dict(input_shape=(32, 32, 3), include_top=False, pooling="avg")),
    pytest.param("ConvNeXtTiny", dict(input_shape=(32, 32, 3), include_top=False, include_preprocessing=False),
                 marks=slow),
    pytest.param("EfficientNetV2S", dict(input_shape=(32, 32, 3), classes=10), marks=slow),
    pytest.param("EfficientNetV2B1", dict(input_shape=(32, 32, 3), include_top=False, pooling="max",
                                          include_preprocessing=False), marks=slow),
])
def test_architecture_and_predictions_match_keras(fn, kwargs):
    k_model, l_model = _build_both(fn, **kwargs)
    _assert_same_model(k_model, l_model)
    assert [w.shape for w in l_model.get_weights()] == [w.shape for w in k_model.get_weights()]
    l_model.set_weights(k_model.get_weights())
    # [-1, 1] is what the models take without their preprocessing layers.
    x = _pixels((2, 32, 32, 3)) if kwargs.get("include_preprocessing", True) else _pixels((2, 32, 32, 3), -1, 1)
    np.testing.assert_allclose(l_model.predict(x, verbose=0), to_numpy(k_model(x, training=False)), rtol=1e-4,
                               atol=1e-5)


@pytest.mark.parametrize("fn", ["ConvNeXtTiny", pytest.param("EfficientNetV2B0", marks=slow)])
def test_keras_h5_weights_load(fn, tmp_path):
    """`weights=path` reads a legacy `.h5` file written by Keras, the layout of the pretrained
    files (ConvNeXt's stem and downsampling blocks are nested Sequential models there)."""
    k_model, _ = _build_both(fn, input_shape=(32, 32, 3), classes=5)
    path = str(tmp_path / f"{fn}.h5")
    k_model.save(path)
    l_model = getattr(keraslite.applications, fn)(weights=path, input_shape=(32, 32, 3), classes=5)
    x = _pixels((2, 32, 32, 3))
    np.testing.assert_allclose(l_model.predict(x, verbose=0), to_numpy(k_model(x, training=False)), rtol=1e-4,
                               atol=1e-5)


def test_convnext_keras_files_load_both_ways(tmp_path):
    """LayerScale is written as Keras writes it (module keras.src.applications.convnext), so a
    `.keras` file of either library loads in the other."""
    k_model, l_model = _build_both("ConvNeXtTiny", input_shape=(32, 32, 3), classes=4)
    l_model.set_weights(k_model.get_weights())
    x = _pixels((2, 32, 32, 3))
    expected = to_numpy(k_model(x, training=False))
    k_model.save(tmp_path / "keras.keras")
    l_loaded = keraslite.saving.load_model(tmp_path / "keras.keras")
    assert [(layer.name, type(layer).__name__) for layer in l_loaded.layers] == [
        (layer.name, type(layer).__name__) for layer in k_model.layers]
    assert isinstance(l_loaded.get_layer("convnext_tiny_stage_0_block_0_layer_scale"),
                      keraslite.applications.convnext.LayerScale)
    np.testing.assert_allclose(l_loaded.predict(x, verbose=0), expected, rtol=1e-4, atol=1e-5)
    l_model.save(tmp_path / "keraslite.keras")
    k_loaded = keras.saving.load_model(tmp_path / "keraslite.keras")
    assert type(k_loaded.get_layer("convnext_tiny_stage_3_block_2_layer_scale")).__name__ == "LayerScale"
    np.testing.assert_allclose(to_numpy(k_loaded(x, training=False)), expected, rtol=1e-4, atol=1e-5)


def test_stochastic_depth_and_layer_scale_configs_match_keras(tmp_path):
    from keras.src.applications import convnext as k_convnext

    l_convnext = keraslite.applications.convnext
    for lib, module in ((keras, k_convnext), (keraslite, l_convnext)):
        inputs = lib.Input((4, 4, 6))
        x = module.LayerScale(0.5, 6, name="scale")(inputs)
        outputs = module.StochasticDepth(0.25, name="drop_path")(x)
        lib.Model(inputs, outputs).save(tmp_path / f"{lib.__name__}.keras")
    k_config = keras.saving.load_model(tmp_path / "keras.keras").get_config()
    for path in (tmp_path / "keras.keras", tmp_path / "keraslite.keras"):
        l_model = keraslite.saving.load_model(path)
        assert [type(layer).__name__ for layer in l_model.layers[1:]] == ["LayerScale", "StochasticDepth"]
        x = _pixels((3, 4, 4, 6), -1, 1)
        np.testing.assert_allclose(l_model.predict(x, verbose=0), 0.5 * x, rtol=1e-6)
    k_written = keras.saving.load_model(tmp_path / "keraslite.keras").get_config()
    assert [(c["module"], c["class_name"], c["registered_name"], c["config"]) for c in k_written["layers"][1:]] == [
        (c["module"], c["class_name"], c["registered_name"], c["config"]) for c in k_config["layers"][1:]]


def test_stochastic_depth_drops_whole_samples_in_training():
    layer = keraslite.applications.convnext.StochasticDepth(0.5)
    x = np.ones((64, 3, 3, 2), "float32")
    np.testing.assert_array_equal(to_numpy(layer(x)), x)  # inference: the identity
    out = to_numpy(layer(x, training=True))
    per_sample = out.reshape(64, -1)
    assert set(np.unique(per_sample)) <= {0.0, 2.0}  # kept samples scaled by 1 / keep_prob
    assert (per_sample == per_sample[:, :1]).all() and 0 < (per_sample[:, 0] == 0).sum() < 64


@pytest.mark.parametrize("fn,kwargs", [
    ("ConvNeXtTiny", dict(input_shape=(32, 32, 3), include_top=False)),
    ("EfficientNetV2B0", dict(input_shape=(32, 32, 3), include_top=False)),
    pytest.param("ConvNeXtTiny", dict(), marks=slow),
    pytest.param("EfficientNetV2S", dict(input_shape=(32, 32, 3), include_top=False), marks=slow),
])
def test_pretrained_file_names_and_hashes_match_keras(recorded_downloads, fn, kwargs):
    with pytest.raises(_Fetched):
        getattr(keras.applications, fn)(weights="imagenet", **kwargs)
    with pytest.raises((_Fetched, OSError)):
        getattr(keraslite.applications, fn)(weights="imagenet", **kwargs)
    assert recorded_downloads["keraslite"] == recorded_downloads["keras"]


def test_convnext_refuses_channels_first(channels_first):
    with pytest.raises(ValueError) as k_err:
        keras.applications.ConvNeXtTiny(weights=None)
    with pytest.raises(ValueError) as l_err:
        keraslite.applications.ConvNeXtTiny(weights=None)
    assert str(l_err.value) == str(k_err.value)


@pytest.mark.slow
def test_efficientnet_v2_channels_first_matches_keras(channels_first):
    k_model, l_model = _build_both("EfficientNetV2B0", input_shape=(3, 32, 32), classes=3)
    _assert_same_model(k_model, l_model)
    l_model.set_weights(k_model.get_weights())
    x = _pixels((2, 3, 32, 32))
    np.testing.assert_allclose(l_model.predict(x, verbose=0), to_numpy(k_model(x, training=False)), rtol=1e-4,
                               atol=1e-5)


@pytest.mark.parametrize("module", ["convnext", "efficientnet_v2"])
def test_module_functions(module):
    x = _pixels((2, 6, 6, 3))
    assert getattr(keraslite.applications, module).preprocess_input(x) is x
    assert getattr(keras.applications, module).preprocess_input(x) is x
    assert getattr(keraslite.applications, module).decode_predictions is keraslite.applications.imagenet_utils.decode_predictions
