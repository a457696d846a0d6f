"""Preprocessing layers against real Keras 3 (torch backend) on the same inputs.

Image layers, CategoryEncoding and Discretization run in Keras without TensorFlow and are
compared live. TextVectorization, StringLookup, IntegerLookup and Hashing need TensorFlow in
Keras: they are compared with fixtures/preprocessing_text.json (what Keras 3.15.1 returned,
written by fixtures/make_preprocessing_text.py) always, and live when TensorFlow is installed.

Random layers cannot match Keras number for number (another generator); they are compared in
inference (identity) and with degenerate factor ranges (e.g. factor=(0.25, 0.25): always a
quarter turn), where the transform is determined.
"""
import json
import os

import numpy as np
import pytest
import torch

import keraslite
from compat_tests.conftest import keras
from compat_tests.preprocessing_cases import CASE_IDS, CASES, run_case

FIXTURE = os.path.join(os.path.dirname(__file__), "fixtures", "preprocessing_text.json")
RNG = np.random.default_rng(0)
IMAGES = (RNG.random((2, 7, 10, 3)) * 255).astype("float32")
UINT8 = IMAGES.astype("uint8")


def _pair(cls, **kwargs):
    return getattr(keras.layers, cls)(**kwargs), getattr(keraslite.layers, cls)(**kwargs)


def _compare(cls, kwargs, x, training=None, atol=1e-5):
    theirs, ours = _pair(cls, **kwargs)
    call = {} if training is None else {"training": training}
    expected = keras.ops.convert_to_numpy(theirs(x, **call))
    actual = ours(x, **call).detach().cpu().numpy()
    assert actual.dtype == expected.dtype, f"{cls}{kwargs}: dtype {actual.dtype} != Keras {expected.dtype}"
    assert actual.shape == expected.shape, f"{cls}{kwargs}: shape {actual.shape} != Keras {expected.shape}"
    np.testing.assert_allclose(actual.astype("float64"), expected.astype("float64"), atol=atol, rtol=atol,
                               err_msg=f"{cls}{kwargs}")
    return ours, theirs


def _same_config(ours, theirs):
    a, b = ours.get_config(), theirs.get_config()
    assert sorted(a) == sorted(b)
    for key in a:
        if key == "dtype":
            continue
        va, vb = a[key], b[key]
        if isinstance(vb, tuple):
            vb = list(vb)
        if isinstance(va, tuple):
            va = list(va)
        assert va == vb, f"config[{key!r}]: {va!r} != Keras {vb!r}"


# ----------------------------------------------------------------------------- image layers

RESIZE_CASES = [dict(height=h, width=w, interpolation=i, **extra)
                for i in ("bilinear", "nearest", "bicubic")
                for h, w in ((4, 4), (12, 9), (5, 14))
                for extra in ({}, {"crop_to_aspect_ratio": True}, {"pad_to_aspect_ratio": True, "fill_value": 3.0},
                              {"antialias": True})]


@pytest.mark.parametrize("kwargs", RESIZE_CASES, ids=lambda k: "-".join(f"{a}={b}" for a, b in k.items()))
def test_resizing(kwargs):
    ours, theirs = _compare("Resizing", kwargs, IMAGES)
    _compare("Resizing", kwargs, UINT8)  # integer images: rounded back to uint8, as Keras
    _same_config(ours, theirs)


def test_resizing_unbatched():
    _compare("Resizing", dict(height=3, width=5), IMAGES[0])


@pytest.mark.parametrize("size", [(4, 4), (7, 10), (3, 9), (9, 12), (8, 4)])
def test_center_crop(size):
    ours, theirs = _compare("CenterCrop", dict(height=size[0], width=size[1]), IMAGES)
    _compare("CenterCrop", dict(height=size[0], width=size[1]), UINT8[0])
    _same_config(ours, theirs)


AFFINE = [
    ("RandomRotation", {"factor": (0.25, 0.25)}),
    ("RandomRotation", {"factor": (0.1, 0.1), "fill_value": 7.0}),
    ("RandomRotation", {"factor": (-0.37, -0.37)}),
    ("RandomZoom", {"height_factor": (0.5, 0.5)}),
    ("RandomZoom", {"height_factor": (-0.3, -0.3), "width_factor": (0.2, 0.2)}),
    ("RandomTranslation", {"height_factor": (0.3, 0.3), "width_factor": (-0.21, -0.21)}),
    ("RandomTranslation", {"height_factor": (-0.55, -0.55), "width_factor": (0.1, 0.1), "fill_value": 2.0}),
]


@pytest.mark.parametrize("fill_mode", ["reflect", "wrap", "constant", "nearest"])
@pytest.mark.parametrize("interpolation", ["bilinear", "nearest"])
@pytest.mark.parametrize("cls,kwargs", AFFINE, ids=[f"{c}-{i}" for i, (c, _) in enumerate(AFFINE)])
def test_affine_layers_with_fixed_transform(cls, kwargs, fill_mode, interpolation):
    kwargs = dict(kwargs, fill_mode=fill_mode, interpolation=interpolation)
    ours, theirs = _compare(cls, kwargs, IMAGES, training=True, atol=1e-4)
    _compare(cls, kwargs, IMAGES[0], training=True, atol=1e-4)
    _same_config(ours, theirs)


@pytest.mark.parametrize("cls,kwargs,x", [
    ("RandomContrast", {"factor": (-0.5, 0.5)}, IMAGES),  # contrast factor exactly 1.5
    ("RandomContrast", {"factor": (-0.5, 0.5)}, UINT8),
    ("RandomBrightness", {"factor": (0.2, 0.2)}, IMAGES),
    ("RandomBrightness", {"factor": (-0.3, -0.3), "value_range": (0, 1)}, IMAGES / 255),
    ("RandomCrop", {"height": 8, "width": 12}, IMAGES),  # input smaller: deterministic crop + resize
    ("RandomCrop", {"height": 7, "width": 10}, IMAGES),
    ("RandomCrop", {"height": 3, "width": 10}, IMAGES),
])
def test_color_and_crop_layers_with_fixed_transform(cls, kwargs, x):
    _compare(cls, kwargs, x, training=True)


RANDOM = [("RandomFlip", {}), ("RandomFlip", {"mode": "vertical", "seed": 3}), ("RandomRotation", {"factor": 0.2}),
          ("RandomZoom", {"height_factor": 0.2}), ("RandomTranslation", {"height_factor": 0.2, "width_factor": 0.1}),
          ("RandomContrast", {"factor": 0.3}), ("RandomBrightness", {"factor": 0.3, "value_range": [0, 1]}),
          ("RandomCrop", {"height": 4, "width": 5, "seed": 1})]


@pytest.mark.parametrize("cls,kwargs", RANDOM, ids=[f"{c}-{i}" for i, (c, _) in enumerate(RANDOM)])
@pytest.mark.parametrize("x", [IMAGES, UINT8], ids=["float32", "uint8"])
def test_random_layers_inference_identity(cls, kwargs, x):
    ours, theirs = _compare(cls, kwargs, x, training=False)
    _same_config(ours, theirs)
    # Training output has Keras's shape and dtype.
    theirs_out = theirs(IMAGES, training=True)
    ours_out = ours(IMAGES, training=True)
    assert tuple(ours_out.shape) == tuple(theirs_out.shape) and ours_out.dtype == theirs_out.dtype


def test_random_flip_two_ways():
    x = torch.as_tensor(IMAGES)
    for mode, dims in (("horizontal", (2,)), ("vertical", (1,))):
        theirs = keras.ops.convert_to_numpy(keras.layers.RandomFlip(mode)(x, training=True))
        ours = keraslite.layers.RandomFlip(mode)(x, training=True).numpy()
        for out in (theirs, ours):  # each image is either itself or its mirror image, in both libraries
            for o, image, flipped in zip(out, IMAGES, torch.flip(x, dims=dims).numpy()):
                assert np.array_equal(o, image) or np.array_equal(o, flipped)


def test_random_layers_config_keys():
    for cls, kwargs in RANDOM + [("RandomRotation", {"factor": (0.1, 0.3), "fill_mode": "constant"})]:
        theirs, ours = _pair(cls, **kwargs)
        assert sorted(ours.get_config()) == sorted(theirs.get_config()), cls


# ----------------------------------------------------------------------------- CategoryEncoding / Discretization

@pytest.mark.parametrize("mode", ["multi_hot", "one_hot", "count"])
@pytest.mark.parametrize("x", [np.array([3, 2, 0, 1]), np.array([[0, 1], [0, 0], [1, 2], [3, 1]]),
                               np.array([[3], [0], [2]]), np.array(2)], ids=["1d", "2d", "column", "scalar"])
def test_category_encoding(mode, x):
    ours, theirs = _compare("CategoryEncoding", {"num_tokens": 4, "output_mode": mode}, x)
    _same_config(ours, theirs)


def test_category_encoding_count_weights():
    x = np.array([[0, 1], [0, 0], [1, 2], [3, 1]])
    w = np.array([[0.1, 0.2], [0.1, 0.1], [0.2, 0.3], [0.4, 0.2]], dtype="float32")
    theirs, ours = _pair("CategoryEncoding", num_tokens=4, output_mode="count")
    np.testing.assert_allclose(ours(x, count_weights=w).numpy(),
                               keras.ops.convert_to_numpy(theirs(x, count_weights=w)), atol=1e-6)


@pytest.mark.parametrize("mode", ["int", "one_hot", "multi_hot", "count"])
def test_discretization_with_boundaries(mode):
    x = np.array([[-1.5, 1.0, 3.4, 0.5], [0.0, 3.0, 1.3, 0.0]], dtype="float32")
    kwargs = {"bin_boundaries": [0.0, 1.0, 2.0], "output_mode": mode}
    ours, theirs = _compare("Discretization", kwargs, x if mode != "one_hot" else x[:, :1])
    _same_config(ours, theirs)


def _keras_adapt(layer, batches):
    # Keras's Discretization.adapt body without its tf.data type check (which imports TensorFlow).
    layer.reset_state()
    for batch in batches:
        layer.update_state(batch)
    layer.finalize_state()


def test_discretization_adapt():
    data = RNG.standard_normal((500, 3)).astype("float32")
    theirs, ours = _pair("Discretization", num_bins=5, epsilon=0.01)
    _keras_adapt(theirs, [data])
    ours.adapt(data)
    np.testing.assert_allclose(ours.bin_boundaries, theirs.bin_boundaries, rtol=1e-6)
    np.testing.assert_array_equal(ours(data).numpy(), keras.ops.convert_to_numpy(theirs(data)))
    _same_config(ours, theirs)
    batches = [data[:200], data[200:]]
    _keras_adapt(theirs, batches)
    ours.adapt(iter(batches))
    np.testing.assert_allclose(ours.bin_boundaries, theirs.bin_boundaries, rtol=1e-6)


# ----------------------------------------------------------------------------- text, lookup and hashing layers

def _fixture():
    with open(FIXTURE, encoding="utf-8") as f:
        return json.load(f)


def _assert_same_results(actual, expected, case_id):
    assert actual.get("vocabulary") == expected.get("vocabulary"), f"{case_id}: vocabulary"
    assert actual.get("vocabulary_size") == expected.get("vocabulary_size"), f"{case_id}: vocabulary_size"
    assert len(actual["outputs"]) == len(expected["outputs"])
    for i, (a, e) in enumerate(zip(actual["outputs"], expected["outputs"])):
        assert (a["dtype"], a["shape"]) == (e["dtype"], e["shape"]), f"{case_id} output {i}: dtype/shape"
        if a["dtype"] in ("list", "str"):
            assert a["value"] == e["value"], f"{case_id} output {i}"
        else:
            np.testing.assert_allclose(np.asarray(a["value"], dtype="float64"), np.asarray(e["value"], dtype="float64"),
                                       rtol=1e-6, atol=1e-6, err_msg=f"{case_id} output {i}")
    assert actual["config"] == expected["config"], f"{case_id}: config"


def test_fixture_covers_every_case():
    fixture = _fixture()
    assert sorted(fixture["cases"]) == sorted(CASE_IDS), "re-run compat_tests/fixtures/make_preprocessing_text.py"
    assert fixture["keras_version"].startswith("3.")


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_text_layers_match_keras_fixture(case):
    expected = _fixture()["cases"][case[0]]
    _assert_same_results(run_case(keraslite.layers, case), expected, case[0])


def _tensorflow_available():
    try:
        import tensorflow  # noqa: F401
    except ImportError:
        return False
    return True


@pytest.mark.skipif(not _tensorflow_available(), reason="Keras runs its text/lookup layers on TensorFlow")
@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_text_layers_match_live_keras(case):
    _assert_same_results(run_case(keraslite.layers, case), run_case(keras.layers, case), case[0])


@pytest.mark.parametrize("cls,factor,interpolation", [("RandomHeight", 0.3, "bilinear"), ("RandomWidth", (-0.4, 0.5), "nearest"),
                                                      ("RandomHeight", (0.2, 0.6), "bicubic")])
def test_tf_keras2_random_height_width_resample_as_keras_resizing(cls, factor, interpolation):
    # tf.keras 2's RandomHeight / RandomWidth (Keras 3 has neither): one random size per batch
    # in [1 + lower, 1 + upper) times the axis, then the images are resized to it; the pixels
    # are what Keras 3's Resizing gives for that size. Inference returns the inputs.
    layer = getattr(keraslite.layers, cls)(factor, interpolation=interpolation, seed=3)
    lower, upper = (-factor, factor) if not isinstance(factor, tuple) else factor
    axis = 1 if cls == "RandomHeight" else 2
    sizes = set()
    for _ in range(6):
        out = layer(IMAGES).detach().cpu().numpy()
        size = out.shape[axis]
        assert int((1 + lower) * IMAGES.shape[axis]) <= size <= int((1 + upper) * IMAGES.shape[axis])
        assert out.shape[3 - axis] == IMAGES.shape[3 - axis] and out.dtype == np.float32
        target = (size, IMAGES.shape[2]) if axis == 1 else (IMAGES.shape[1], size)
        expected = keras.ops.convert_to_numpy(keras.layers.Resizing(*target, interpolation=interpolation)(IMAGES))
        np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-4)
        sizes.add(size)
    assert len(sizes) > 1  # the size is drawn per batch
    np.testing.assert_array_equal(layer(UINT8, training=False).cpu().numpy(), UINT8)
    first = getattr(keraslite.layers, cls)(factor, interpolation=interpolation, seed=3)
    again = getattr(keraslite.layers, cls)(factor, interpolation=interpolation, seed=3)
    assert [first(IMAGES).shape[axis] for _ in range(6)] == [again(IMAGES).shape[axis] for _ in range(6)]
    clone = type(layer).from_config(layer.get_config())
    assert clone.get_config() == layer.get_config()


def test_tf_keras2_random_height_width_symbolic_shapes_and_errors():
    inputs = keraslite.Input((32, 24, 3))
    assert keraslite.layers.RandomHeight(0.2)(inputs).shape == (None, None, 24, 3)
    assert keraslite.layers.RandomWidth((0.5, 0.5))(inputs).shape == (None, 32, 36, 3)  # a fixed factor
    model = keraslite.Sequential([keraslite.Input((32, 24, 3)), keraslite.layers.RandomWidth(0.25),
                                  keraslite.layers.GlobalAveragePooling2D()])
    assert model.output_shape == (None, 3)
    with pytest.raises(ValueError, match="upper bound lesser than the lower bound"):
        keraslite.layers.RandomHeight((0.3, 0.1))
    with pytest.raises(ValueError, match="larger than -1"):
        keraslite.layers.RandomWidth((-1.5, 0.1))


@pytest.mark.parametrize("shape,axis", [((6, 4, 5, 3), -1), ((8, 7), -1), ((5, 3, 4), (1, 2)), ((6, 2, 3), 1)])
def test_normalization_mean_and_variance_attributes(shape, axis):
    # `layer.mean` / `layer.variance` are the statistics broadcast to the inputs' rank, as
    # Keras 3 exposes them (tutorials print them), and None before the layer is built.
    data = RNG.standard_normal(shape).astype("float32") * 3 + 1
    theirs, ours = _pair("Normalization", axis=axis)
    assert ours.mean is None and theirs.mean is None
    theirs.adapt(data)
    ours.adapt(data)
    for attr in ("mean", "variance"):
        expected = keras.ops.convert_to_numpy(getattr(theirs, attr))
        actual = getattr(ours, attr).detach().cpu().numpy()
        assert actual.shape == expected.shape and actual.dtype == expected.dtype, attr
        np.testing.assert_allclose(actual, expected, rtol=1e-5, atol=1e-6, err_msg=attr)
    assert [w.path for w in ours.weights] == [w.path for w in theirs.weights]
    fixed_k = keras.layers.Normalization(axis=axis, mean=1.5, variance=4.0)
    fixed_l = keraslite.layers.Normalization(axis=axis, mean=1.5, variance=4.0)
    fixed_k.build((None,) + shape[1:])
    fixed_l.build((None,) + shape[1:])
    np.testing.assert_allclose(fixed_l.mean.numpy(), keras.ops.convert_to_numpy(fixed_k.mean))
