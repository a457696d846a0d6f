"""ReversibleEmbedding, Pipeline and the colour / pixel-value image layers vs real Keras 3
(torch backend) on the same inputs.

Deterministic layers (and random ones given factors that leave nothing to chance: a range
(a, a), probability 0 or 1) are compared value for value. For the random draws that cannot be
made equal (the generators differ), the tests compare what Keras guarantees: identity or cast
in inference exactly like Keras, output shape, dtype and value range in training, that a
neutral factor gives the input back, and the get_config keys.
"""
import numpy as np
import pytest
import torch

from compat_tests.conftest import keras
from compat_tests.parity import assert_close, layer_parity, to_numpy
import keraslite
from keraslite import layers


def _images(shape=(2, 6, 7, 3), seed=0, high=255.0, dtype="float32"):
    x = np.random.default_rng(seed).uniform(0, high, size=shape)
    return np.round(x).astype(dtype) if dtype.startswith(("int", "uint")) else x.astype(dtype)


def _run(layer, x, **kwargs):
    return layer(torch.as_tensor(x), **kwargs)


def _same(k_layer, l_layer, x, atol=1e-5, **kwargs):
    k_out, l_out = _run(k_layer, x, **kwargs), _run(l_layer, x, **kwargs)
    assert l_out.dtype == k_out.dtype, (l_out.dtype, k_out.dtype)
    assert_close(to_numpy(l_out), to_numpy(k_out), atol=atol, rtol=atol, what=type(l_layer).__name__)
    return to_numpy(k_out), to_numpy(l_out)


def _config_keys(k_layer, l_layer):
    k_cfg, l_cfg = k_layer.get_config(), l_layer.get_config()
    assert set(l_cfg) == set(k_cfg), (set(l_cfg) ^ set(k_cfg))
    return k_cfg, l_cfg


# ----------------------------------------------------------------------------- ReversibleEmbedding

@pytest.mark.parametrize("tie", [True, False])
@pytest.mark.parametrize("cap", [None, 3.0])
def test_reversible_embedding_forward_and_reverse(tie, cap):
    ids = np.random.default_rng(1).integers(0, 9, size=(3, 5))
    k = keras.layers.ReversibleEmbedding(9, 4, tie_weights=tie, logit_soft_cap=cap)
    lite = layers.ReversibleEmbedding(9, 4, tie_weights=tie, logit_soft_cap=cap)
    layer_parity(k, lite, ids)
    hidden = np.random.default_rng(2).standard_normal((3, 5, 4)).astype("float32") * 4
    k_out = k(torch.as_tensor(hidden), reverse=True)
    l_out = lite(torch.as_tensor(hidden), reverse=True)
    assert tuple(l_out.shape) == tuple(k_out.shape) == (3, 5, 9)
    assert l_out.dtype == k_out.dtype
    assert_close(to_numpy(l_out), to_numpy(k_out))
    assert [w.name for w in lite.weights] == [w.name for w in k.weights]
    assert lite.compute_output_shape((3, 5, 4), reverse=True) == tuple(k.compute_output_shape((3, 5, 4), reverse=True))
    k_cfg, l_cfg = _config_keys(k, lite)
    for key in ("tie_weights", "reverse_dtype", "logit_soft_cap", "input_dim", "output_dim", "mask_zero"):
        assert l_cfg[key] == k_cfg[key], key


def test_reversible_embedding_reverse_dtype_and_mask():
    ids = np.array([[1, 2, 0, 0], [3, 0, 4, 1]])
    k = keras.layers.ReversibleEmbedding(6, 3, mask_zero=True, reverse_dtype="float64")
    lite = layers.ReversibleEmbedding(6, 3, mask_zero=True, reverse_dtype="float64")
    layer_parity(k, lite, ids)
    k_emb, l_emb = k(torch.as_tensor(ids)), lite(torch.as_tensor(ids))
    np.testing.assert_array_equal(to_numpy(l_emb._keras_mask), to_numpy(k_emb._keras_mask))
    hidden = np.random.default_rng(3).standard_normal((2, 4, 3)).astype("float32")
    k_out, l_out = k(torch.as_tensor(hidden), reverse=True), lite(torch.as_tensor(hidden), reverse=True)
    assert l_out.dtype == k_out.dtype
    assert_close(to_numpy(l_out), to_numpy(k_out), atol=1e-6)


def test_reversible_embedding_bad_reverse_input_names_layer():
    lite = layers.ReversibleEmbedding(6, 3, name="rev")
    lite(torch.zeros(1, 2, dtype=torch.long))
    with pytest.raises(ValueError, match=r"rev.*output_dim=3.*\(2, 5\)"):
        lite(torch.zeros(2, 5), reverse=True)


@pytest.mark.parametrize("tie", [True, False])
def test_reversible_embedding_keras_files_both_ways(tmp_path, tie):
    ids = np.random.default_rng(4).integers(0, 8, size=(2, 3))
    k_model = keras.Sequential([keras.Input((3,), dtype="int32"),
                                keras.layers.ReversibleEmbedding(8, 5, tie_weights=tie)])
    k_model.set_weights([np.random.default_rng(5).standard_normal(w.shape).astype("float32")
                         for w in k_model.get_weights()])
    k_path = str(tmp_path / "k.keras")
    k_model.save(k_path)
    lite = keraslite.saving.load_model(k_path)
    assert type(lite.layers[-1]).__name__ == "ReversibleEmbedding"
    assert lite.layers[-1].tie_weights == tie
    assert_close(to_numpy(lite(torch.as_tensor(ids))), to_numpy(k_model(torch.as_tensor(ids))))
    l_path = str(tmp_path / "l.keras")
    lite.save(l_path)
    back = keras.models.load_model(l_path)
    for a, b in zip(back.get_weights(), k_model.get_weights()):
        np.testing.assert_array_equal(a, b)
    hidden = torch.as_tensor(np.random.default_rng(6).standard_normal((2, 5)).astype("float32"))
    assert_close(to_numpy(lite.layers[-1](hidden, reverse=True)), to_numpy(back.layers[-1](hidden, reverse=True)))


# ----------------------------------------------------------------------------- Pipeline

def _dense_pipeline(lib):
    return lib.layers.Pipeline([lib.layers.Dense(3, activation="relu"), lib.layers.Dense(2)], name="pipe")


def test_pipeline_applies_layers_in_order_and_config():
    x = np.random.default_rng(0).standard_normal((4, 5)).astype("float32")
    k, lite = _dense_pipeline(keras), _dense_pipeline(keraslite)
    layer_parity(k, lite, x)
    k_cfg, l_cfg = _config_keys(k, lite)
    assert [c["class_name"] for c in l_cfg["layers"]] == [c["class_name"] for c in k_cfg["layers"]]
    for l_inner, k_inner in zip(l_cfg["layers"], k_cfg["layers"]):
        assert set(l_inner["config"]) <= set(k_inner["config"])
        assert l_inner["config"]["units"] == k_inner["config"]["units"]
    again = layers.Pipeline.from_config(l_cfg)
    assert [type(l).__name__ for l in again.layers] == ["Dense", "Dense"]
    with pytest.raises(ValueError, match="layers"):
        layers.Pipeline.from_config({"name": "p"})


def test_pipeline_passes_training_on():
    x = _images((2, 5, 5, 3))
    for lib in (keras, keraslite):
        pipe = lib.layers.Pipeline([lib.layers.RandomInvert(factor=(1.0, 1.0)), lib.layers.Rescaling(2.0)])
        np.testing.assert_allclose(to_numpy(pipe(torch.as_tensor(x), training=False)), x * 2, rtol=1e-6)
        np.testing.assert_allclose(to_numpy(pipe(torch.as_tensor(x))), (255 - x) * 2, rtol=1e-5)


def test_pipeline_keras_files_both_ways(tmp_path):
    x = np.random.default_rng(1).standard_normal((3, 5)).astype("float32")
    k_model = keras.Sequential([keras.Input((5,)), _dense_pipeline(keras)])
    k_path = str(tmp_path / "k.keras")
    k_model.save(k_path)
    lite = keraslite.saving.load_model(k_path)
    assert_close(to_numpy(lite(torch.as_tensor(x))), to_numpy(k_model(torch.as_tensor(x))))
    lite.layers[-1].layers[0].set_weights([w * 2 for w in lite.layers[-1].layers[0].get_weights()])
    l_path = str(tmp_path / "l.keras")
    lite.save(l_path)
    back = keras.models.load_model(l_path)
    assert_close(to_numpy(back(torch.as_tensor(x))), to_numpy(lite(torch.as_tensor(x))))


# ----------------------------------------------------------------------------- deterministic image layers

@pytest.mark.parametrize("value_range,dtype", [((0, 255), "float32"), ((0, 1), "float32"), ((0, 255), "int32"),
                                               ((-1, 1), "float64")])
def test_auto_contrast(value_range, dtype):
    lo, hi = value_range
    x = _images((2, 5, 6, 3), dtype="float64") / 255.0 * (hi - lo) * 0.6 + lo + 0.1 * (hi - lo)
    x = x.astype(dtype) if dtype != "int32" else np.round(x).astype("int32")
    x[1, :, :, 2] = x[1, 0, 0, 2]  # a constant channel stays as it was
    k, lite = keras.layers.AutoContrast(value_range=value_range), layers.AutoContrast(value_range=value_range)
    for training in (True, False):
        _same(k, lite, x, training=training)
    _same(k, lite, x[0])  # a single image
    _config_keys(k, lite)


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
@pytest.mark.parametrize("value_range,bins", [((0, 255), 256), ((0, 1), 64)])
def test_equalization(data_format, value_range, bins):
    x = _images((2, 7, 6, 3), seed=3) / 255.0 * 0.5 * value_range[1]
    if data_format == "channels_first":
        x = np.ascontiguousarray(x.transpose(0, 3, 1, 2))
    kw = dict(value_range=value_range, bins=bins, data_format=data_format)
    k, lite = keras.layers.Equalization(**kw), layers.Equalization(**kw)
    _same(k, lite, x)
    _same(k, lite, x, training=False)
    _same(k, lite, x[0])
    _same(k, lite, np.full((1, 4, 4, 3), 7.0, "float32") if data_format == "channels_last" else
          np.full((1, 3, 4, 4), 7.0, "float32"))  # one occupied bin: unchanged
    _config_keys(k, lite)


def test_equalization_integer_input_keeps_dtype_in_inference():
    x = _images((1, 5, 5, 3), dtype="uint8")
    k, lite = keras.layers.Equalization(), layers.Equalization()
    _same(k, lite, x, training=False)
    _same(k, lite, x)


@pytest.mark.parametrize("value_range", [(0, 255), (0, 1)])
def test_solarization_fixed_factors(value_range):
    x = _images((2, 4, 5, 3)) / 255.0 * value_range[1]
    # threshold 0 inverts every pixel; addition 0 adds nothing: no randomness left.
    k = keras.layers.Solarization(addition_factor=0.0, threshold_factor=0.0, value_range=value_range)
    lite = layers.Solarization(addition_factor=0.0, threshold_factor=0.0, value_range=value_range)
    k_out, _ = _same(k, lite, x)
    np.testing.assert_allclose(k_out, value_range[1] - x, rtol=1e-5, atol=1e-5)
    _same(k, lite, x, training=False)
    _same(k, lite, x.astype("int32") if value_range[1] == 255 else x, training=False)
    _config_keys(k, lite)


def test_solarization_random_thresholds_keep_each_pixel_or_invert_it():
    x = _images((4, 6, 6, 3))
    lite = layers.Solarization(threshold_factor=0.5, seed=1)
    out = to_numpy(lite(torch.as_tensor(x)))
    assert np.all(np.isclose(out, x) | np.isclose(out, 255 - x))
    assert out.min() >= 0 and out.max() <= 255


@pytest.mark.parametrize("factor,expect_inverted", [((1.0, 1.0), True), (0.0, False)])
def test_random_invert_certain_factors(factor, expect_inverted):
    x = _images((3, 4, 4, 3))
    k = keras.layers.RandomInvert(factor=factor, value_range=(0, 255))
    lite = layers.RandomInvert(factor=factor, value_range=(0, 255))
    k_out, _ = _same(k, lite, x)
    np.testing.assert_allclose(k_out, 255 - x if expect_inverted else x, rtol=1e-6)
    _same(k, lite, x, training=False)
    _same(k, lite, x.astype("uint8"), training=False)  # integers pass through unchanged
    _config_keys(k, lite)


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
@pytest.mark.parametrize("factor", [1.0, 0.0])
@pytest.mark.parametrize("dtype", ["float32", "int32"])
def test_random_grayscale_certain_factors(data_format, factor, dtype):
    x = _images((2, 5, 4, 3), dtype=dtype)
    if data_format == "channels_first":
        x = np.ascontiguousarray(x.transpose(0, 3, 1, 2))
    k = keras.layers.RandomGrayscale(factor=factor, data_format=data_format)
    lite = layers.RandomGrayscale(factor=factor, data_format=data_format)
    _same(k, lite, x)
    _same(k, lite, x, training=False)
    _config_keys(k, lite)


def test_random_grayscale_bad_channels_names_layer():
    with pytest.raises(ValueError, match=r"RandomGrayscale.*\(1, 4, 4, 2\)"):
        layers.RandomGrayscale(factor=1.0)(torch.zeros(1, 4, 4, 2))
    with pytest.raises(ValueError, match=r"RandomGrayscale.*rank.*\(4, 4\)"):
        layers.RandomGrayscale(factor=1.0)(torch.zeros(4, 4))


@pytest.mark.parametrize("bits", [1, 3, 8])
@pytest.mark.parametrize("value_range", [(0, 255), (0, 1)])
def test_random_posterization_fixed_bits(bits, value_range):
    x = _images((2, 4, 5, 3)) / 255.0 * value_range[1]
    k = keras.layers.RandomPosterization(factor=(bits, bits), value_range=value_range)
    lite = layers.RandomPosterization(factor=(bits, bits), value_range=value_range)
    _same(k, lite, x)
    _same(k, lite, x, training=False)
    _config_keys(k, lite)


def test_random_posterization_random_bits_are_in_range():
    x = _images((8, 4, 4, 3))
    out = to_numpy(layers.RandomPosterization(factor=(2, 6), seed=0)(torch.as_tensor(x)))
    levels = np.round(out).astype(np.uint8)
    # each image keeps its top 2..5 bits: the low 3 bits are always cleared
    assert np.all(levels % 8 == 0)
    assert out.shape == x.shape and out.dtype == np.float32


# ----------------------------------------------------------------------------- random colour layers with fixed factors

@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
@pytest.mark.parametrize("name,kwargs", [
    ("RandomColorDegeneration", dict(factor=(0.4, 0.4))),
    ("RandomColorDegeneration", dict(factor=(1.0, 1.0), value_range=(0, 1))),
    ("RandomSaturation", dict(factor=(0.3, 0.3))),
    ("RandomSaturation", dict(factor=(0.8, 0.8), value_range=(0, 1))),
    ("RandomSharpness", dict(factor=(0.9, 0.9))),
    ("RandomSharpness", dict(factor=(0.1, 0.1), value_range=(0, 1))),
    ("RandomGaussianBlur", dict(factor=(1.0, 1.0), sigma=(0.7, 0.7), kernel_size=5)),
    ("RandomGaussianBlur", dict(factor=(1.0, 1.0), sigma=(0.3, 0.3), value_range=(0, 1))),
    ("RandomErasing", dict(factor=0.0)),
])
def test_random_color_layers_with_fixed_factors(data_format, name, kwargs):
    scale = (kwargs.get("value_range") or (0, 255))[1]
    x = _images((2, 6, 5, 3), seed=7) / 255.0 * scale
    if data_format == "channels_first":
        x = np.ascontiguousarray(x.transpose(0, 3, 1, 2))
    k = getattr(keras.layers, name)(data_format=data_format, **kwargs)
    lite = getattr(layers, name)(data_format=data_format, **kwargs)
    _same(k, lite, x, atol=1e-4)
    _same(k, lite, x[0], atol=1e-4)
    _same(k, lite, x, training=False)
    _config_keys(k, lite)


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_random_hue_fixed_amount_is_one_of_two_signs(data_format):
    """Keras draws the sign of the shift at random: each keraslite image must equal Keras's
    result for +amount or for -amount (obtained from Keras with factor 0 vs the amount)."""
    x = _images((3, 4, 5, 3), seed=2)
    if data_format == "channels_first":
        x = np.ascontiguousarray(x.transpose(0, 3, 1, 2))
    k = keras.layers.RandomHue(factor=(0.4, 0.4), data_format=data_format, seed=3)
    lite = layers.RandomHue(factor=(0.4, 0.4), data_format=data_format, seed=3)
    keras_outs = [to_numpy(k(torch.as_tensor(x))) for _ in range(12)]
    out = to_numpy(lite(torch.as_tensor(x)))
    for i in range(len(x)):
        candidates = {o[i].round(3).tobytes(): o[i] for o in keras_outs}
        assert len(candidates) <= 2
        assert any(np.allclose(out[i], c, atol=1e-3) for c in candidates.values()), i
    _same(k, lite, x, training=False)
    zero_k, zero_l = keras.layers.RandomHue(factor=0.0, data_format=data_format), layers.RandomHue(
        factor=0.0, data_format=data_format)
    _same(zero_k, zero_l, x, atol=1e-3)
    _config_keys(k, lite)


def test_random_color_jitter_neutral_and_inference():
    x = _images((2, 5, 5, 3), seed=4)
    kw = dict(brightness_factor=(0.0, 0.0), contrast_factor=(0.0, 0.0), saturation_factor=(0.5, 0.5),
              hue_factor=0.0)
    k, lite = keras.layers.RandomColorJitter(**kw), layers.RandomColorJitter(**kw)
    _same(k, lite, x, atol=1e-3)
    _same(k, lite, x, training=False)
    _config_keys(k, lite)
    only_brightness = layers.RandomColorJitter(brightness_factor=0.3, seed=0)
    out = to_numpy(only_brightness(torch.as_tensor(x)))
    assert out.shape == x.shape and out.min() >= 0 and out.max() <= 255


@pytest.mark.parametrize("name,kwargs", [
    ("RandomColorDegeneration", dict(factor=0.7)),
    ("RandomSaturation", dict(factor=0.7)),
    ("RandomSharpness", dict(factor=0.7)),
    ("RandomHue", dict(factor=0.7)),
    ("RandomGaussianBlur", dict(factor=0.7, sigma=0.9)),
    ("RandomErasing", dict(factor=0.9)),
    ("RandomErasing", dict(factor=1.0, fill_value=(1, 2, 3))),
    ("RandomColorJitter", dict(brightness_factor=0.2, contrast_factor=0.3, saturation_factor=0.6, hue_factor=0.2)),
    ("RandomInvert", dict(factor=0.5)),
    ("RandomGrayscale", dict(factor=0.5)),
    ("RandomPosterization", dict(factor=5)),
    ("Solarization", dict(addition_factor=0.3, threshold_factor=0.6)),
])
@pytest.mark.parametrize("dtype", ["float32", "uint8"])
def test_random_layers_training_shape_dtype_range(name, kwargs, dtype):
    x = _images((3, 6, 5, 3), seed=8, dtype=dtype)
    k = getattr(keras.layers, name)(**kwargs)
    lite = getattr(layers, name)(**kwargs)
    if name in ("RandomSaturation",) and dtype == "uint8":  # HSV needs float images, in Keras too
        with pytest.raises(Exception):
            k(torch.as_tensor(x))
        with pytest.raises(ValueError, match="RandomSaturation"):
            lite(torch.as_tensor(x))
        return
    k_out, l_out = k(torch.as_tensor(x)), lite(torch.as_tensor(x))
    assert l_out.dtype == k_out.dtype and tuple(l_out.shape) == tuple(k_out.shape)
    k_np, l_np = to_numpy(k_out), to_numpy(l_out)
    lo, hi = min(k_np.min(), 0), max(k_np.max(), 255)
    assert l_np.min() >= lo - 1e-3 and l_np.max() <= hi + 1e-3
    _same(k, lite, x, training=False)
    _same(k, lite, x[0], training=False)
    _config_keys(k, lite)
    for key, value in k.get_config().items():
        if key not in ("name", "dtype", "seed"):
            assert lite.get_config()[key] == value, key


@pytest.mark.parametrize("name,kwargs,match", [
    ("RandomInvert", dict(factor=1.5), "factor"),
    ("RandomPosterization", dict(factor=9), "factor"),
    ("RandomSharpness", dict(factor=-0.5), "factor"),
    ("RandomGaussianBlur", dict(kernel_size=4), "kernel_size"),
    ("Solarization", dict(addition_factor=2.0), "addition_factor"),
    ("AutoContrast", dict(value_range=(0,)), "value_range"),
    ("RandomGrayscale", dict(factor=2), "factor"),
])
def test_bad_arguments_raise_like_keras(name, kwargs, match):
    with pytest.raises(ValueError):
        getattr(keras.layers, name)(**kwargs)
    with pytest.raises(ValueError, match=match):
        getattr(layers, name)(**kwargs)


# ----------------------------------------------------------------------------- HashedCrossing

def _keras_hashed_crossing_runs():
    try:
        keras.layers.HashedCrossing(num_bins=5)
    except ImportError:
        return False
    return True


def test_hashed_crossing_matches_keras_reference_bins():
    """Keras 3 builds HashedCrossing on TensorFlow's `sparse.cross_hashed`; without TensorFlow it
    refuses to construct it. Then the bins are checked against the values Keras's own test
    suite asserts for TensorFlow's hash (keras/src/layers/preprocessing/hashed_crossing_test.py)."""
    feat1, feat2 = np.array(["A", "B", "A", "B", "A"]), np.array([101, 101, 101, 102, 102])
    lite = layers.HashedCrossing(num_bins=5)
    out = lite((feat1, feat2))
    assert out.dtype == torch.int64 and tuple(out.shape) == (5,)
    if _keras_hashed_crossing_runs():
        np.testing.assert_array_equal(to_numpy(out), to_numpy(keras.layers.HashedCrossing(num_bins=5)((feat1, feat2))))
    else:
        import os

        test_file = os.path.join(os.path.dirname(keras.src.layers.preprocessing.__file__), "hashed_crossing_test.py")
        with open(test_file) as f:
            source = f.read()
        assert "[1, 4, 1, 1, 3]" in source  # the reference still holds in this Keras version
        np.testing.assert_array_equal(to_numpy(out), [1, 4, 1, 1, 3])
    np.testing.assert_array_equal(to_numpy(lite((feat1.reshape(5, 1), feat2.reshape(5, 1)))), [[1], [4], [1], [1], [3]])
    assert int(layers.HashedCrossing(num_bins=10)((np.array("A"), np.array(101)))) == 1
    hot = layers.HashedCrossing(num_bins=5, output_mode="one_hot")((feat1, feat2))
    np.testing.assert_array_equal(to_numpy(hot), np.eye(5, dtype="float32")[[1, 4, 1, 1, 3]])
    assert hot.dtype == torch.float32
    assert layers.HashedCrossing(num_bins=2, dtype="int32")((np.array([1]), np.array([1]))).dtype == torch.int32
    assert set(lite.get_config()) == {"num_bins", "output_mode", "sparse", "name", "dtype"}


def test_hashed_crossing_bad_inputs():
    with pytest.raises(ValueError, match="list or tuple"):
        layers.HashedCrossing(num_bins=10)(np.array([1]))
    with pytest.raises(ValueError, match="at least two"):
        layers.HashedCrossing(num_bins=10)([np.array([1])])
    with pytest.raises(ValueError, match="integer or string"):
        layers.HashedCrossing(num_bins=10)((np.array([1.0]), np.array([1.0])))
    with pytest.raises(ValueError, match="shape"):
        layers.HashedCrossing(num_bins=10)((np.array([[[1]]]), np.array([[[1]]])))


@pytest.mark.parametrize("name", ["JaxLayer", "FlaxLayer", "TFSMLayer"])
def test_other_framework_layers_explain_why_they_are_missing(name):
    assert hasattr(keras.layers, name)
    with pytest.raises(NotImplementedError, match=rf"{name}.*PyTorch"):
        getattr(layers, name)(lambda x: x)


# ----------------------------------------------------------------------------- geometric and mixing layers

@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
@pytest.mark.parametrize("name,kwargs", [
    ("RandomShear", dict(x_factor=(0.3, 0.3), y_factor=(0.0, 0.0), fill_mode="constant")),
    ("RandomShear", dict(x_factor=(0.0, 0.0), y_factor=(0.2, 0.2), interpolation="nearest")),
    ("RandomPerspective", dict(factor=0.0)),
    ("RandomElasticTransform", dict(factor=0.0)),
    ("RandomElasticTransform", dict(scale=0.0)),
    ("MixUp", dict()),
    ("CutMix", dict()),
])
def test_geometric_and_mixing_layers_vs_keras(data_format, name, kwargs):
    """Shear with one fixed amount is one of two results (random sign); the others are
    compared where Keras leaves nothing to chance, and in inference."""
    x = _images((2, 6, 7, 3), seed=9)
    if data_format == "channels_first":
        x = np.ascontiguousarray(x.transpose(0, 3, 1, 2))
    k = getattr(keras.layers, name)(data_format=data_format, **kwargs)
    lite = getattr(layers, name)(data_format=data_format, **kwargs)
    _same(k, lite, x, training=False)
    _same(k, lite, x.astype("uint8"), training=False)
    _config_keys(k, lite)
    for key, value in k.get_config().items():
        if key not in ("name", "dtype", "seed"):
            assert lite.get_config()[key] == value, key
    if name == "RandomShear":
        keras_outs = [to_numpy(k(torch.as_tensor(x))) for _ in range(12)]
        out = to_numpy(lite(torch.as_tensor(x)))
        for i in range(len(x)):
            assert any(np.allclose(out[i], o[i], atol=1e-4) for o in keras_outs), i
    elif name in ("RandomPerspective", "RandomElasticTransform"):
        _same(k, lite, x)
    else:
        k_out, l_out = k(torch.as_tensor(x)), lite(torch.as_tensor(x))
        assert l_out.dtype == k_out.dtype and l_out.shape == k_out.shape
        _same(k, lite, x[0], training=False)


def test_mixing_layers_mix_images_of_the_batch():
    x = np.stack([np.full((5, 5, 3), v, "float32") for v in (0.0, 100.0, 200.0)])
    mixed = to_numpy(layers.MixUp(alpha=0.5, seed=1)(torch.as_tensor(x)))
    assert np.all((mixed >= 0) & (mixed <= 200))
    # every MixUp output is a convex blend of its own image and one other image
    for i in range(3):
        assert np.allclose(mixed[i], mixed[i].flat[0])
    cut = to_numpy(layers.CutMix(seed=2)(torch.as_tensor(x)))
    assert set(np.unique(cut)) <= {0.0, 100.0, 200.0}
    single = to_numpy(layers.CutMix()(torch.as_tensor(x[0])))
    np.testing.assert_array_equal(single, x[0])
    assert to_numpy(layers.MixUp(seed=3)(torch.as_tensor(x), training=False)).tolist() == x.tolist()


def test_perspective_and_elastic_random_training_properties():
    x = _images((3, 8, 9, 3), seed=5)
    for name, kwargs in (("RandomPerspective", dict(scale=0.4)), ("RandomElasticTransform", dict(scale=0.8)),
                         ("RandomShear", dict(x_factor=0.4, y_factor=0.4))):
        k, lite = getattr(keras.layers, name)(**kwargs), getattr(layers, name)(seed=1, **kwargs)
        k_out, l_out = k(torch.as_tensor(x)), lite(torch.as_tensor(x))
        assert l_out.dtype == k_out.dtype and l_out.shape == k_out.shape
        assert to_numpy(l_out).min() >= 0 and to_numpy(l_out).max() <= 255
        assert not np.allclose(to_numpy(l_out), x)  # something moved
    # the identity perspective (scale 0) gives the image back in Keras and here
    k, lite = keras.layers.RandomPerspective(scale=0.0), layers.RandomPerspective(scale=0.0)
    _same(k, lite, x, atol=1e-4)


def test_perspective_transform_matches_keras_op():
    from keraslite.layers.preprocessing.image_geometric import perspective_transform

    x = _images((2, 7, 8, 3), seed=6)
    start = np.array([[[0.0, 0.0], [7, 0.0], [0.0, 6], [7, 6]]] * 2, "float32")
    end = start + start * np.random.default_rng(0).uniform(-0.2, 0.2, size=start.shape).astype("float32")
    for interpolation in ("bilinear", "nearest"):
        k_out = keras.ops.image.perspective_transform(torch.as_tensor(x), torch.as_tensor(start), torch.as_tensor(end),
                                                      interpolation=interpolation, fill_value=3.0)
        l_out = perspective_transform(torch.as_tensor(x), torch.as_tensor(start), torch.as_tensor(end),
                                      interpolation=interpolation, fill_value=3.0)
        assert_close(to_numpy(l_out), to_numpy(k_out), atol=1e-3, rtol=1e-4)


def test_max_num_bounding_boxes():
    k, lite = keras.layers.MaxNumBoundingBoxes(max_number=3), layers.MaxNumBoundingBoxes(max_number=3)
    x = _images((2, 4, 4, 3))
    _same(k, lite, x)
    _same(k, lite, x, training=False)
    _config_keys(k, lite)
    for m in (1, 5):
        data = {"images": x, "bounding_boxes": {"boxes": np.arange(2 * m * 4, dtype="float32").reshape(2, m, 4),
                                                "labels": np.arange(2 * m, dtype="float32").reshape(2, m)}}
        k_out = keras.layers.MaxNumBoundingBoxes(max_number=3, bounding_box_format="xyxy")(
            {"images": torch.as_tensor(x), "bounding_boxes": {kk: torch.as_tensor(v) for kk, v in
                                                             data["bounding_boxes"].items()}})
        l_out = lite(data)
        for key in ("boxes", "labels"):
            np.testing.assert_array_equal(to_numpy(l_out["bounding_boxes"][key]),
                                          to_numpy(k_out["bounding_boxes"][key]))


# ----------------------------------------------------------------------------- audio

@pytest.mark.parametrize("mode", ["log", "magnitude", "psd", "real", "imag", "angle", "stft"])
@pytest.mark.parametrize("data_format,expand_dims,padding", [("channels_last", False, "valid"),
                                                              ("channels_first", True, "same"),
                                                              ("channels_last", True, "same"),
                                                              ("channels_first", False, "valid")])
def test_stft_spectrogram(mode, data_format, expand_dims, padding):
    signal = np.random.default_rng(0).standard_normal((2, 100, 2) if data_format == "channels_last"
                                                      else (2, 2, 100)).astype("float32")
    kw = dict(mode=mode, frame_length=16, frame_step=6, fft_length=32, padding=padding, expand_dims=expand_dims,
              data_format=data_format)
    k, lite = keras.layers.STFTSpectrogram(**kw), layers.STFTSpectrogram(**kw)
    atol = 1e-4 if mode != "angle" else 2e-3
    _same(k, lite, signal, atol=atol)
    assert [w.name for w in lite.weights] == [w.name for w in k.weights]
    for a, b in zip(lite.get_weights(), k.get_weights()):
        np.testing.assert_allclose(a, b, atol=1e-6)
    assert tuple(lite.compute_output_shape(signal.shape)) == tuple(k.compute_output_shape(signal.shape))
    _config_keys(k, lite)


@pytest.mark.parametrize("window,scaling,periodic", [("hamming", "spectrum", True), (None, None, False)])
def test_stft_spectrogram_windows_and_weights_from_keras(window, scaling, periodic):
    signal = np.random.default_rng(1).standard_normal((1, 64, 1)).astype("float32")
    kw = dict(mode="magnitude", frame_length=20, window=window, scaling=scaling, periodic=periodic)
    k, lite = keras.layers.STFTSpectrogram(**kw), layers.STFTSpectrogram(**kw)
    layer_parity(k, lite, signal, atol=1e-4)  # after copying (randomized) Keras weights


def test_stft_spectrogram_bad_input():
    with pytest.raises(TypeError, match="STFTSpectrogram.*int64"):
        layers.STFTSpectrogram(frame_length=8)(torch.zeros(1, 20, 1, dtype=torch.int64))
    with pytest.raises(ValueError, match="frame_step"):
        layers.STFTSpectrogram(frame_length=8, frame_step=9)


@pytest.mark.parametrize("kwargs", [dict(fft_length=64, sequence_stride=16, num_mel_bins=10, sampling_rate=8000),
                                    dict(fft_length=128, sequence_stride=32, sequence_length=100, window="hamming",
                                         num_mel_bins=16, power_to_db=False, mag_exp=1.0, max_freq=3000),
                                    dict(fft_length=64, sequence_stride=20, top_db=20.0, ref_power=2.0)])
@pytest.mark.parametrize("shape", [(2, 300), (257,)])
def test_mel_spectrogram(kwargs, shape):
    signal = np.random.default_rng(2).standard_normal(shape).astype("float32")
    k, lite = keras.layers.MelSpectrogram(**kwargs), layers.MelSpectrogram(**kwargs)
    _same(k, lite, signal, atol=2e-3 if kwargs.get("power_to_db", True) else 1e-4)
    assert tuple(lite.compute_output_shape(shape)) == tuple(k.compute_output_shape(shape))
    _config_keys(k, lite)


# ----------------------------------------------------------------------------- augmentation policies

@pytest.mark.parametrize("name,kwargs", [("RandAugment", dict()), ("RandAugment", dict(num_ops=3, factor=0.2)),
                                         ("AugMix", dict()), ("AugMix", dict(all_ops=False, num_chains=2)),
                                         ("AugMix", dict(value_range=(0, 1), factor=0.6))])
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_augmentation_policies(name, kwargs, data_format):
    scale = kwargs.get("value_range", (0, 255))[1]
    x = _images((2, 8, 8, 3), seed=11) / 255.0 * scale
    if data_format == "channels_first":
        x = np.ascontiguousarray(x.transpose(0, 3, 1, 2))
    k = getattr(keras.layers, name)(data_format=data_format, **kwargs)
    lite = getattr(layers, name)(data_format=data_format, seed=4, **kwargs)
    _same(k, lite, x, training=False)
    _same(k, lite, x.astype("uint8") if scale == 255 else x, training=False)
    k_cfg, l_cfg = _config_keys(k, lite)
    for key, value in k_cfg.items():
        if key not in ("name", "dtype", "seed"):
            assert l_cfg[key] == value, key
    for _ in range(3):
        k_out, l_out = k(torch.as_tensor(x)), lite(torch.as_tensor(x))
        assert l_out.dtype == k_out.dtype and l_out.shape == k_out.shape
        out = to_numpy(l_out)
        assert np.isfinite(out).all() and out.min() >= -1e-4 and out.max() <= scale + 1e-3
    _same(k, lite, x[0], training=False)
    assert tuple(lite(torch.as_tensor(x[0])).shape) == x[0].shape


def test_rand_augment_with_one_deterministic_op_matches_keras():
    """With every operation but one made neutral, the op list and its order are what matter:
    RandAugment restricted to auto_contrast (the only op applied in inference as well)."""
    x = _images((2, 6, 6, 3), seed=12) * 0.5 + 20
    lite = layers.RandAugment(num_ops=1, seed=0)
    lite._op_names = ("auto_contrast",)
    out = to_numpy(lite(torch.as_tensor(x)))
    expected = to_numpy(keras.layers.AutoContrast()(torch.as_tensor(x)))
    np.testing.assert_allclose(out, expected, atol=1e-4)
    assert list(lite._op_names) != list(layers.RandAugment()._op_names)
    from keras.src.layers.preprocessing.image_preprocessing import rand_augment

    assert list(layers.RandAugment()._op_names) == list(rand_augment.RandAugment._AUGMENT_LAYERS)


def test_aug_mix_op_lists_follow_keras():
    from keras.src.layers.preprocessing.image_preprocessing import aug_mix

    assert list(layers.AugMix()._op_names) == list(aug_mix.AUGMENT_LAYERS_ALL)
    assert list(layers.AugMix(all_ops=False)._op_names) == list(aug_mix.AUGMENT_LAYERS)


def test_no_keras_layer_is_missing():
    missing = [n for n in dir(keras.layers) if not n.startswith("_") and not hasattr(layers, n)]
    assert missing == [], missing


@pytest.mark.parametrize("shape,grid,clip,value_range,data_format,dtype", [
    ((2, 16, 16, 3), (4, 4), 4.0, (0, 255), "channels_last", "float32"),
    ((1, 13, 10, 1), (3, 4), 2.0, (0, 255), "channels_last", "float32"),
    ((2, 3, 12, 9), (2, 2), 0.0, (0, 1), "channels_first", "float32"),
    ((9, 11, 3), (2, 3), 3.0, (0, 255), "channels_last", "uint8"),
])
def test_clahe(shape, grid, clip, value_range, data_format, dtype):
    x = _images(shape, seed=13, high=value_range[1], dtype=dtype) if dtype == "uint8" else (
        _images(shape, seed=13) / 255.0 * value_range[1])
    kw = dict(value_range=value_range, clip_limit=clip, tile_grid_size=grid, data_format=data_format)
    k = keras.layers.ContrastLimitedAdaptiveHistogramEqualization(**kw)
    lite = layers.ContrastLimitedAdaptiveHistogramEqualization(**kw)
    _same(k, lite, x, atol=1e-3)
    _same(k, lite, x, atol=1e-3, training=False)
    _config_keys(k, lite)


def _augment_stack(lib):
    L = lib.layers
    return [L.AutoContrast(), L.RandomHue(0.3), L.Solarization(addition_factor=0.2, threshold_factor=0.5),
            L.RandomShear(x_factor=(0.1, 0.2)), L.RandomColorJitter(brightness_factor=0.1, hue_factor=0.2),
            L.MixUp(), L.RandomErasing(), L.RandomGaussianBlur(), L.Pipeline([L.RandomInvert(), L.RandomPosterization(4)]),
            L.ContrastLimitedAdaptiveHistogramEqualization(tile_grid_size=(2, 2))]
    # Equalization, RandAugment and AugMix are left out: Keras 3.15 cannot put Equalization (alone
    # or inside the policies) in a model graph (its output spec is its input: "part of a cycle").


def test_image_layers_keras_files_both_ways(tmp_path):
    x = _images((2, 8, 8, 3), seed=14)
    k_model = keras.Sequential([keras.Input((8, 8, 3))] + _augment_stack(keras))
    k_path = str(tmp_path / "k.keras")
    k_model.save(k_path)
    lite = keraslite.saving.load_model(k_path)
    assert [type(l).__name__ for l in lite.layers] == [type(l).__name__ for l in k_model.layers]
    k_out = to_numpy(k_model.predict(x, verbose=0))
    assert_close(to_numpy(lite.predict(x, verbose=0)), k_out, atol=1e-3, rtol=1e-4)
    l_path = str(tmp_path / "l.keras")
    lite.save(l_path)
    back = keras.models.load_model(l_path)
    assert_close(to_numpy(back.predict(x, verbose=0)), k_out, atol=1e-4)
    for a, b in zip(back.layers, k_model.layers):
        assert a.get_config().keys() == b.get_config().keys()


@pytest.mark.parametrize("name", ["Equalization", "RandAugment", "AugMix", "RandomPerspective",
                                  "RandomElasticTransform", "CutMix", "RandomSaturation", "RandomSharpness",
                                  "RandomColorDegeneration", "RandomGrayscale", "MaxNumBoundingBoxes"])
def test_keras_configs_build_keraslite_layers(name):
    args = {"RandomSaturation": dict(factor=0.3), "RandomSharpness": dict(factor=0.3),
            "RandomColorDegeneration": dict(factor=0.3), "MaxNumBoundingBoxes": dict(max_number=4)}.get(name, {})
    k = getattr(keras.layers, name)(**args)
    entry = keras.saving.serialize_keras_object(k)
    lite = keraslite.saving.serialization.deserialize_layer(entry)
    assert type(lite).__name__ == name
    assert lite.get_config().keys() == k.get_config().keys()
    again = keras.saving.deserialize_keras_object(keraslite.saving.serialization.serialize_layer(lite))
    assert type(again).__name__ == name


def test_random_shear_reads_the_config_keras_writes_for_a_number_factor():
    k = keras.layers.RandomShear(x_factor=0.2, y_factor=0.1)
    lite = keraslite.saving.serialization.deserialize_layer(keras.saving.serialize_keras_object(k))
    assert lite.x_factor == k.x_factor and lite.y_factor == k.y_factor


@pytest.mark.parametrize("args", [(20, 129, 8000, 125.0, 3800.0), (40, 257, 16000, 20.0, 8000.0)])
def test_tf_signal_mel_matrix_is_keras_mel_spectrogram_filters(args):
    # tf.signal.linear_to_mel_weight_matrix (audio tutorials) against the filters real Keras's
    # MelSpectrogram builds with TensorFlow's formula.
    from keraslite.compat import tensorflow_shim as tf

    want = keras.layers.MelSpectrogram().linear_to_mel_weight_matrix(*args)
    got = tf.signal.linear_to_mel_weight_matrix(*args)
    np.testing.assert_allclose(got.numpy(), keras.ops.convert_to_numpy(want), atol=1e-5)  # weights in [0, 1]
