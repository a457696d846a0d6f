"""keras.applications next to real Keras 3 (torch backend): each architecture built in both has
the same layers (names and classes, in order), parameter count, output shape and model name;
Keras's weights, saved to a legacy `.h5` file, load into keraslite (through the `weights=path`
argument, the way pretrained files are read) and give the same predictions. Also
preprocess_input, decode_predictions, the pretrained files' names and hashes, and the errors.

The architectures are big (up to 22M parameters) and building them dominates the time: inputs
are the smallest each model accepts, and the largest families are marked `slow`.
"""
import contextlib
import hashlib
import json
import os

import h5py
import numpy as np
import pytest
import torch

import keraslite
from compat_tests.parity import to_numpy

keras = pytest.importorskip("keras")

from keras.src.applications import imagenet_utils as k_imagenet_utils  # noqa: E402
from keras.src.legacy.saving import legacy_h5_format  # noqa: E402
from keras.src.utils import file_utils as k_file_utils  # noqa: E402

from keraslite.applications import imagenet_utils as l_imagenet_utils  # noqa: E402

slow = pytest.mark.slow

CASES = [
    ("vgg16", "VGG16", dict(include_top=False, input_shape=(32, 32, 3))),
    ("vgg19", "VGG19", dict(include_top=False, input_shape=(32, 32, 3), pooling="avg")),
    ("mobilenet", "MobileNet", dict(input_shape=(32, 32, 3), alpha=0.25, classes=6)),
    ("mobilenet_v2", "MobileNetV2", dict(input_shape=(32, 32, 3), alpha=0.35, classes=7)),
    ("mobilenet_v3", "MobileNetV3Small", dict(input_shape=(32, 32, 3), classes=5)),
    pytest.param("mobilenet_v3", "MobileNetV3Large", dict(input_shape=(32, 32, 3), alpha=0.75, include_top=False,
                                                          pooling="avg", minimalistic=True), marks=slow),
    pytest.param("resnet", "ResNet50", dict(include_top=False, input_shape=(32, 32, 3), pooling="max"), marks=slow),
    pytest.param("resnet_v2", "ResNet50V2", dict(input_shape=(32, 32, 3), classes=3), marks=slow),
    pytest.param("xception", "Xception", dict(include_top=False, input_shape=(71, 71, 3)), marks=slow),
    pytest.param("inception_v3", "InceptionV3", dict(input_shape=(75, 75, 3), classes=5), marks=slow),
    pytest.param("densenet", "DenseNet121", dict(include_top=False, input_shape=(32, 32, 3), pooling="avg"),
                 marks=slow),
    pytest.param("efficientnet", "EfficientNetB0", dict(input_shape=(32, 32, 3), classes=4), marks=slow),
    pytest.param("inception_resnet_v2", "InceptionResNetV2", dict(include_top=False, input_shape=(75, 75, 3)),
                 marks=slow),
]


def _randomize(model, seed=0):
    """Non-trivial weights: biases and BN statistics off their initial zeros and ones."""
    rng = np.random.default_rng(seed)
    values = []
    for v, w in zip(model.weights, model.get_weights()):
        if "variance" in v.path:
            w = rng.uniform(0.5, 1.5, w.shape).astype(w.dtype)
        elif w.ndim == 1:
            w = w + rng.normal(0, 0.05, w.shape).astype(w.dtype)
        values.append(w)
    model.set_weights(values)


def _structure(model):
    return [(layer.name, type(layer).__name__) for layer in model.layers]


def _summary(model):
    out = []
    model.summary(print_fn=out.append, line_length=120)
    return out


def _assert_same_model(k_model, l_model):
    assert _structure(l_model) == _structure(k_model)
    assert l_model.name == k_model.name
    assert l_model.count_params() == k_model.count_params()
    assert tuple(l_model.output_shape) == tuple(k_model.output_shape)


@pytest.mark.parametrize("module,fn,kwargs", CASES)
def test_architecture_and_weights_match_keras(module, fn, kwargs, tmp_path):
    k_model = getattr(getattr(keras.applications, module), fn, getattr(keras.applications, fn))(weights=None,
                                                                                                **kwargs)
    _randomize(k_model)
    path = str(tmp_path / f"{fn}.h5")
    k_model.save(path)  # the legacy layout the pretrained files use, matched layer by layer
    l_model = getattr(getattr(keraslite.applications, module), fn)(weights=path, **kwargs)
    _assert_same_model(k_model, l_model)
    x = np.random.default_rng(1).uniform(0, 255 if module in ("efficientnet", "mobilenet_v3") else 1, (2,) + kwargs["input_shape"])
    x = x.astype("float32")
    expected = to_numpy(k_model(x, training=False))
    np.testing.assert_allclose(l_model.predict(x, verbose=0), expected, rtol=1e-4, atol=1e-5)


def test_defaults_and_top_layers_match_keras():
    """Default sizes, names and tops without building the biggest models: MobileNet's
    1x1-conv classifier and MobileNetV2's name from alpha and rows."""
    for fn, kwargs in [("MobileNet", dict(alpha=0.25, input_shape=(128, 128, 3), include_top=False, pooling="avg")),
                       ("MobileNetV2", dict(alpha=0.35, input_shape=(96, 96, 3), classifier_activation=None,
                                            classes=2))]:
        k_model = getattr(keras.applications, fn)(weights=None, **kwargs)
        l_model = getattr(keraslite.applications, fn)(weights=None, **kwargs)
        _assert_same_model(k_model, l_model)
        assert _summary(l_model) == _summary(k_model)  # shapes, parameters and connections of every layer
    k_model = keras.applications.MobileNetV2(weights=None, alpha=0.35, input_tensor=keras.Input((None, None, 3)),
                                             include_top=False)
    l_model = keraslite.applications.MobileNetV2(weights=None, alpha=0.35,
                                                 input_tensor=keraslite.Input((None, None, 3)), include_top=False)
    _assert_same_model(k_model, l_model)


def test_module_paths():
    apps = keraslite.applications
    assert apps.vgg16.VGG16 is apps.VGG16 and apps.resnet50.ResNet50 is apps.resnet.ResNet50 is apps.ResNet50
    assert apps.resnet_v2.ResNet101V2 is apps.ResNet101V2 and apps.efficientnet.EfficientNetB7 is apps.EfficientNetB7
    for name in keras.applications.__dict__:
        if name[0].isupper() and not name.startswith("NASNet"):
            assert hasattr(apps, name), name


# ----------------------------------------------------------------------------- preprocessing

def _images(shape, seed=0):
    return np.random.default_rng(seed).uniform(0, 255, shape).astype("float32")


@pytest.mark.parametrize("mode", ["caffe", "tf", "torch"])
@pytest.mark.parametrize("data_format,shape", [("channels_last", (2, 5, 4, 3)), ("channels_last", (5, 4, 3)),
                                               ("channels_first", (2, 3, 5, 4)), ("channels_first", (3, 5, 4))])
def test_preprocess_input_numpy_and_tensor(mode, data_format, shape):
    x = _images(shape)
    expected = k_imagenet_utils.preprocess_input(x.copy(), data_format=data_format, mode=mode)
    actual = l_imagenet_utils.preprocess_input(x.copy(), data_format=data_format, mode=mode)
    assert isinstance(actual, np.ndarray) and actual.dtype == expected.dtype
    np.testing.assert_allclose(actual, expected, rtol=1e-6, atol=1e-5)
    k_tensor = k_imagenet_utils.preprocess_input(torch.tensor(x), data_format=data_format, mode=mode)
    given = torch.tensor(x)
    l_tensor = l_imagenet_utils.preprocess_input(given, data_format=data_format, mode=mode)
    np.testing.assert_allclose(to_numpy(l_tensor), to_numpy(k_tensor), rtol=1e-6, atol=1e-5)
    np.testing.assert_array_equal(given.numpy(), x)  # a tensor argument is not written over


def test_preprocess_input_integer_images_and_in_place_numpy():
    x = np.random.default_rng(0).integers(0, 256, (2, 4, 4, 3)).astype("uint8")
    expected = k_imagenet_utils.preprocess_input(x.copy(), mode="caffe")
    actual = l_imagenet_utils.preprocess_input(x.copy(), mode="caffe")
    assert actual.dtype == expected.dtype == np.float32
    np.testing.assert_allclose(actual, expected, rtol=1e-6)
    y = _images((2, 4, 4, 3))
    out = l_imagenet_utils.preprocess_input(y, mode="tf")
    assert out is y  # float numpy input is written over, as Keras documents


@pytest.mark.parametrize("module", ["vgg16", "vgg19", "resnet", "resnet50", "resnet_v2", "mobilenet", "mobilenet_v2",
                                    "mobilenet_v3", "xception", "inception_v3", "inception_resnet_v2", "densenet",
                                    "efficientnet"])
def test_family_preprocess_input(module):
    x = _images((2, 6, 6, 3), seed=3)
    expected = to_numpy(getattr(keras.applications, module).preprocess_input(x.copy()))
    actual = to_numpy(getattr(keraslite.applications, module).preprocess_input(x.copy()))
    np.testing.assert_allclose(actual, expected, rtol=1e-6, atol=1e-5)


@pytest.mark.parametrize("mode", ["caffe", "tf", "torch"])
def test_preprocess_input_in_a_functional_model(mode):
    """On a symbolic input, preprocess_input adds Keras's op nodes (the summary shows them) and
    computes Keras's values."""
    models = []
    for lib in (keras, keraslite):
        inputs = lib.Input((4, 4, 3))
        models.append(lib.Model(inputs, lib.applications.imagenet_utils.preprocess_input(inputs, mode=mode)))
    k_model, l_model = models
    assert _summary(l_model) == _summary(k_model)
    x = _images((2, 4, 4, 3), seed=5)
    expected = k_imagenet_utils.preprocess_input(x.copy(), mode=mode)
    np.testing.assert_allclose(l_model.predict(x, verbose=0), expected, rtol=1e-6, atol=1e-4)


def test_preprocess_input_errors_match_keras():
    x = _images((1, 2, 2, 3))
    for kwargs in [dict(mode="bgr"), dict(data_format="NHWC")]:
        with pytest.raises(ValueError) as k_err:
            k_imagenet_utils.preprocess_input(x.copy(), **kwargs)
        with pytest.raises(ValueError) as l_err:
            l_imagenet_utils.preprocess_input(x.copy(), **kwargs)
        assert str(l_err.value) == str(k_err.value)


# ----------------------------------------------------------------------------- decode_predictions

@pytest.fixture
def class_index(monkeypatch):
    """A synthetic 1000-class index in both libraries, so nothing is downloaded."""
    index = {str(i): [f"n{i:08d}", f"class_{i}"] for i in range(1000)}
    monkeypatch.setattr(k_imagenet_utils, "CLASS_INDEX", index)
    monkeypatch.setattr(l_imagenet_utils, "CLASS_INDEX", index)
    return index


def test_decode_predictions_matches_keras(class_index):
    preds = np.random.default_rng(0).random((3, 1000)).astype("float32")
    for top in (5, 1, 3):
        expected = k_imagenet_utils.decode_predictions(preds, top=top)
        assert keraslite.applications.vgg16.decode_predictions(preds, top=top) == expected
        assert keraslite.applications.mobilenet_v2.decode_predictions(torch.tensor(preds), top=top) == expected
    with pytest.raises(ValueError) as k_err:
        k_imagenet_utils.decode_predictions(preds[:, :10])
    with pytest.raises(ValueError) as l_err:
        l_imagenet_utils.decode_predictions(preds[:, :10])
    assert str(l_err.value) == str(k_err.value)


def test_decode_predictions_reads_the_cached_class_index(monkeypatch, tmp_path):
    index = {str(i): [f"wnid{i}", f"label {i}"] for i in range(1000)}
    (tmp_path / "models").mkdir()
    path = tmp_path / "models" / "imagenet_class_index.json"
    path.write_text(json.dumps(index))
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    monkeypatch.setattr(l_imagenet_utils, "CLASS_INDEX", None)
    monkeypatch.setattr(l_imagenet_utils, "CLASS_INDEX_HASH", hashlib.md5(path.read_bytes()).hexdigest())
    monkeypatch.setattr(l_imagenet_utils, "CLASS_INDEX_PATH", "file:///nonexistent/imagenet_class_index.json")
    preds = np.zeros((1, 1000), "float32")
    preds[0, 7] = 1.0
    assert l_imagenet_utils.decode_predictions(preds, top=1) == [[("wnid7", "label 7", np.float32(1.0))]]


def test_missing_class_index_says_where_to_put_it(monkeypatch, tmp_path):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    monkeypatch.setattr(l_imagenet_utils, "CLASS_INDEX", None)
    monkeypatch.setattr(l_imagenet_utils, "CLASS_INDEX_PATH", "file:///nonexistent/imagenet_class_index.json")
    with pytest.raises(OSError) as err:
        l_imagenet_utils.decode_predictions(np.zeros((1, 1000), "float32"))
    message = str(err.value)
    assert "imagenet_class_index.json" in message
    assert os.path.join(str(tmp_path), "models", "imagenet_class_index.json") in message
    assert "c2c37ea517e94d9795004a39431a14cb" in message


# ----------------------------------------------------------------------------- pretrained files

class _Fetched(Exception):
    pass


@pytest.fixture
def recorded_downloads(monkeypatch):
    """Both libraries' downloads recorded (fname, origin, hash) instead of made."""
    calls = {"keras": [], "keraslite": []}

    def recorder(who):
        def get_file(fname=None, origin=None, file_hash=None, cache_subdir="datasets", **kwargs):
            calls[who].append((fname, origin, file_hash, cache_subdir))
            raise _Fetched()
        return get_file

    monkeypatch.setattr(k_file_utils, "get_file", recorder("keras"))
    monkeypatch.setattr(l_imagenet_utils, "get_file", recorder("keraslite"))
    return calls


@pytest.mark.parametrize("fn,kwargs", [
    ("MobileNet", dict(alpha=0.25, input_shape=(128, 128, 3), include_top=False)),
    ("MobileNetV2", dict(alpha=0.35, input_shape=(96, 96, 3), include_top=False)),
    ("MobileNetV2", dict(alpha=0.35, input_shape=(100, 100, 3), include_top=False)),  # falls back to 224's file
    pytest.param("EfficientNetB0", dict(input_shape=(32, 32, 3), include_top=False), marks=slow),
    pytest.param("VGG16", dict(input_shape=(32, 32, 3), include_top=False), marks=slow),
    pytest.param("MobileNetV3Small", dict(alpha=0.75, input_shape=(32, 32, 3), include_top=False), marks=slow),
])
def test_pretrained_file_names_and_hashes_match_keras(recorded_downloads, fn, kwargs):
    with pytest.warns(UserWarning) if "100" in str(kwargs) else contextlib.nullcontext():
        with pytest.raises(_Fetched):
            getattr(keras.applications, fn)(weights="imagenet", **kwargs)
    with pytest.raises((_Fetched, OSError)):
        getattr(keraslite.applications, fn)(weights="imagenet", **kwargs)
    assert recorded_downloads["keraslite"] == recorded_downloads["keras"]


def test_imagenet_weights_come_from_the_keras_cache(monkeypatch, tmp_path):
    """weights="imagenet" loads the file Keras caches under ~/.keras/models (here a Keras model's
    own weights put there), without downloading."""
    kwargs = dict(alpha=0.35, input_shape=(96, 96, 3), include_top=False, pooling="avg")
    k_model = keras.applications.MobileNetV2(weights=None, **kwargs)
    _randomize(k_model)
    (tmp_path / "models").mkdir()
    fname = "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_0.35_96_no_top.h5"
    with h5py.File(tmp_path / "models" / fname, "w") as f:  # weights only, as the published files are
        legacy_h5_format.save_weights_to_hdf5_group(f, k_model)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    monkeypatch.setattr(keraslite.applications.mobilenet_v2, "BASE_WEIGHT_PATH", "file:///nonexistent/")
    l_model = keraslite.applications.MobileNetV2(weights="imagenet", **kwargs)
    x = _images((2, 96, 96, 3)) / 127.5 - 1
    np.testing.assert_allclose(l_model.predict(x, verbose=0), to_numpy(k_model(x, training=False)), rtol=1e-4,
                               atol=1e-5)


def test_missing_pretrained_weights_say_which_file_to_put_where(monkeypatch, tmp_path):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    monkeypatch.setattr(keraslite.applications.mobilenet, "BASE_WEIGHT_PATH", "file:///nonexistent/")
    with pytest.raises(OSError) as err:
        keraslite.applications.MobileNet(weights="imagenet", alpha=0.25, input_shape=(128, 128, 3), include_top=False)
    assert os.path.join(str(tmp_path), "models", "mobilenet_2_5_128_tf_no_top.h5") in str(err.value)


@pytest.mark.parametrize("fn,kwargs", [
    ("VGG16", dict(weights="no/such/file.h5")),
    ("VGG16", dict(weights="imagenet", classes=10)),
    ("VGG16", dict(weights=None, include_top=False, input_shape=(16, 16, 3))),
    ("VGG16", dict(weights=None, include_top=False, input_shape=(32, 32))),
    ("VGG16", dict(weights="imagenet", include_top=True, input_shape=(64, 64, 3))),
    ("VGG16", dict(weights=None, include_top=True, input_shape=(None, None, 3))),
    ("ResNet50", dict(weights="imagenet", include_top=False, input_shape=(64, 64, 1))),
    ("MobileNet", dict(weights="imagenet", alpha=0.3)),
    ("MobileNet", dict(weights="imagenet", depth_multiplier=2)),
    ("MobileNetV2", dict(weights="imagenet", alpha=0.3)),
    ("MobileNetV2", dict(weights="no/such/file.h5")),
    ("MobileNetV2", dict(weights="imagenet", classes=3)),
    ("Xception", dict(weights=None, include_top=False, input_shape=(64, 64, 3))),
    ("InceptionV3", dict(weights="imagenet", classes=3)),
    ("InceptionResNetV2", dict(weights="no/such/file.h5")),
    ("DenseNet121", dict(weights="no/such/file.h5")),
    ("EfficientNetB0", dict(weights="imagenet", classes=3)),
    ("MobileNetV3Small", dict(weights="imagenet", alpha=0.5)),
    ("MobileNetV3Large", dict(weights=None, input_shape=(16, 16, 3))),
    ("MobileNetV3Large", dict(weights="imagenet", classes=3)),
    ("ConvNeXtTiny", dict(weights="no/such/file.h5")),
    ("ConvNeXtTiny", dict(weights="imagenet", classes=3)),
    ("ConvNeXtTiny", dict(weights=None, input_shape=(16, 16, 3))),
    ("ConvNeXtTiny", dict(weights="imagenet", include_top=False, input_shape=(32, 32, 3), name="my_model")),
    ("ConvNeXtXLarge", dict(weights="imagenet", classes=10)),
    ("EfficientNetV2B0", dict(weights="no/such/file.h5")),
    ("EfficientNetV2B0", dict(weights="imagenet", classes=3)),
    ("EfficientNetV2L", dict(weights=None, input_shape=(31, 31, 3))),
    ("EfficientNetV2S", dict(weights="imagenet", input_shape=(224, 224, 3))),
])
def test_argument_errors_match_keras(fn, kwargs):
    with pytest.raises(ValueError) as k_err:
        getattr(keras.applications, fn)(**kwargs)
    with pytest.raises(ValueError) as l_err:
        getattr(keraslite.applications, fn)(**kwargs)
    assert str(l_err.value) == str(k_err.value)


@pytest.fixture
def channels_first():
    keras.backend.set_image_data_format("channels_first")
    keraslite.backend.set_image_data_format("channels_first")
    try:
        yield
    finally:
        keras.backend.set_image_data_format("channels_last")
        keraslite.backend.set_image_data_format("channels_last")


def test_channels_first_models_match_keras(channels_first):
    """Channel axes, the asymmetric padding before strided depthwise convolutions and the
    (classes,) reshape of MobileNet's convolutional top under channels_first."""
    for fn, kwargs in [("MobileNetV2", dict(alpha=0.35, input_shape=(3, 32, 32), classes=3)),
                       ("MobileNet", dict(alpha=0.25, input_shape=(3, 32, 32), classes=4))]:
        k_model = getattr(keras.applications, fn)(weights=None, **kwargs)
        _randomize(k_model)
        l_model = getattr(keraslite.applications, fn)(weights=None, **kwargs)
        _assert_same_model(k_model, l_model)
        l_model.set_weights(k_model.get_weights())
        x = np.random.default_rng(2).uniform(-1, 1, (2, 3, 32, 32)).astype("float32")
        np.testing.assert_allclose(l_model.predict(x, verbose=0), to_numpy(k_model(x, training=False)), rtol=1e-4,
                                   atol=1e-5)
