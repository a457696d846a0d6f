"""Functional models that apply keras.ops functions, Python operators or slicing directly to
symbolic tensors: keraslite writes each such node as the Keras operation Keras itself writes
(class, module, config, arguments), so real Keras 3 loads keraslite's file and predicts the
same, and keraslite loads Keras's file.
"""
import importlib
import inspect
import json
import zipfile

import numpy as np
import pytest

import keraslite
from keraslite.models import functional

keras = pytest.importorskip("keras")
from keras.src.ops.operation import Operation  # noqa: E402

X = np.random.RandomState(0).uniform(-1, 1, (2, 4)).astype("float32")

GRAPHS = {
    "add": lambda K, t: t + t,
    "multiply_constant": lambda K, t: t * 2.0,
    "get_item": lambda K, t: t[:, 1:3],
    "get_item_column": lambda K, t: t[:, 0],
    "get_item_ellipsis_newaxis": lambda K, t: t[..., None, 1],
    "negative": lambda K, t: -t,
    "power": lambda K, t: t ** 2,
    "subtract_from_constant": lambda K, t: 1.0 - t,
    "mean": lambda K, t: K.ops.mean(t, axis=-1, keepdims=True),
    "concatenate": lambda K, t: K.ops.concatenate([t, t], axis=-1),
    "reshape": lambda K, t: K.ops.reshape(t, (-1, 2, 2)),
    "tanh": lambda K, t: K.ops.tanh(t),
    "abs": lambda K, t: K.ops.abs(t),
    "amax_amin": lambda K, t: K.ops.amax(t, axis=1) - K.ops.amin(t, axis=1),
    "expand_dims": lambda K, t: K.ops.expand_dims(t, 1),
    "matmul_transpose": lambda K, t: K.ops.matmul(t, K.ops.transpose(t)),
    "take": lambda K, t: K.ops.take(t, [0, 2], axis=1),
    "pad": lambda K, t: K.ops.pad(t, [[0, 0], [1, 2]], constant_values=3.0),
    "clip_sum": lambda K, t: K.ops.sum(K.ops.clip(t, -0.5, 0.5), axis=1),
    "where": lambda K, t: K.ops.where(K.ops.greater(t, 0.0), t, 0.0),
    "softmax": lambda K, t: K.ops.softmax(t, axis=-1),
    "logsumexp": lambda K, t: K.ops.logsumexp(t, axis=-1),
    "cast": lambda K, t: K.ops.cast(t * 3.0, "int32"),
    "einsum": lambda K, t: K.ops.einsum("bi,bj->bij", t, t),
    "one_hot_of_argmax": lambda K, t: K.ops.one_hot(K.ops.argmax(t, axis=-1), 4),
    "average_pool": lambda K, t: K.ops.average_pool(K.ops.expand_dims(t, -1), 2, strides=1, padding="valid"),
    "max_pool": lambda K, t: K.ops.max_pool(K.ops.expand_dims(t, -1), 2, strides=2),
}


def _build(K, name):
    i = K.Input((4,))
    return K.Model(i, GRAPHS[name](K, i))


def _op_layers(path):
    layers = json.loads(zipfile.ZipFile(path).read("config.json"))["config"]["layers"]
    return [{k: v for k, v in layer.items() if k in ("class_name", "module", "registered_name", "config")}
            for layer in layers if layer["class_name"] != "InputLayer"]


@pytest.mark.parametrize("name", sorted(GRAPHS))
def test_keraslite_file_loads_in_keras(name, tmp_path):
    lmodel = _build(keraslite, name)
    path = str(tmp_path / "lite.keras")
    lmodel.save(path)
    kmodel = keras.saving.load_model(path)
    kpred, lpred = np.asarray(kmodel.predict(X, verbose=0)), lmodel.predict(X, verbose=0)
    np.testing.assert_allclose(kpred, lpred, atol=1e-6, rtol=1e-6)
    assert kpred.dtype == lpred.dtype
    # The same operation entries as Keras writes for the same program.
    kpath = str(tmp_path / "keras.keras")
    _build(keras, name).save(kpath)
    assert _op_layers(path) == _op_layers(kpath)
    np.testing.assert_allclose(keraslite.saving.load_model(path).predict(X, verbose=0),
                               lmodel.predict(X, verbose=0), atol=1e-6)


@pytest.mark.parametrize("name", sorted(GRAPHS))
def test_keras_file_loads_in_keraslite(name, tmp_path):
    kmodel = _build(keras, name)
    path = str(tmp_path / "keras.keras")
    kmodel.save(path)
    np.testing.assert_allclose(keraslite.saving.load_model(path).predict(X, verbose=0),
                               np.asarray(kmodel.predict(X, verbose=0)), atol=1e-6, rtol=1e-6)


# Functions of keraslite.ops that take Python functions (never written as Keras operations:
# their nodes stay keraslite's own) or no tensors at all, and aliases never recorded by name.
_NOT_WRITTEN = {"associative_scan", "cond", "fori_loop", "jvp", "map", "scan", "switch", "vectorized_map",
                "while_loop", "custom_gradient", "dtype", "vectorize", "bartlett", "blackman", "hamming",
                "hanning", "kaiser", "empty", "eye", "identity", "ones", "zeros", "tri", "swish", "hard_swish"}


def test_every_operation_maps_to_its_keras_class_and_arguments():
    """Each keraslite.ops function names a Keras operation class that exists, and splits its
    parameters as that class does: operands for its call, the rest for its constructor."""
    names = [n for n in keraslite.ops.__all__ if n not in _NOT_WRITTEN]
    names += ["image." + n for n in keraslite.ops.image.__all__] + ["getitem"]
    checked, wrong = 0, []
    for name in names:
        identity = functional._keras_identity(name)
        if identity is None:
            continue
        module, class_name = identity
        cls = vars(importlib.import_module(module)).get(class_name)
        if not (isinstance(cls, type) and issubclass(cls, Operation)):
            wrong.append(f"{name}: no {module}.{class_name}")
            continue
        fn = functional._getitem if name == "getitem" else functional.ops_function(name)
        listed = functional._KERAS_OP_OPERANDS.get(name)
        operands, config = [], []
        for i, (param, p) in enumerate(inspect.signature(fn).parameters.items()):
            if p.kind == p.VAR_KEYWORD:
                continue
            if p.kind == p.VAR_POSITIONAL or (
                    param in listed if listed is not None else (i == 0 or param in functional._KERAS_OPERAND_NAMES)):
                operands.append(param)
            else:
                config.append(param)
        init = [p for p, v in inspect.signature(cls.__init__).parameters.items()
                if p not in ("self", "name") and v.kind not in (v.VAR_KEYWORD, v.VAR_POSITIONAL)]
        call = [p for p, v in inspect.signature(cls.call).parameters.items() if p != "self" and v.kind != v.VAR_KEYWORD]
        if not set(config) <= set(init) or len(operands) != len(call):
            wrong.append(f"{name}: config {config} / operands {operands}; Keras {class_name}: {init} / {call}")
        checked += 1
    assert not wrong, "\n".join(wrong)
    assert checked > 300


IMAGE_GRAPHS = {
    "resize": lambda K, t: K.ops.image.resize(t, (4, 4)),
    "pad_images": lambda K, t: K.ops.image.pad_images(t, 1, 1, 1, 1),
    "crop_images": lambda K, t: K.ops.image.crop_images(t, 1, 1, 1, 1),
    "rgb_to_grayscale": lambda K, t: K.ops.image.rgb_to_grayscale(t),
    "max_pool": lambda K, t: K.ops.max_pool(t, 2),
    "conv": lambda K, t: K.ops.conv(t, K.ops.ones((2, 2, 3, 4))),
    "depthwise_conv": lambda K, t: K.ops.depthwise_conv(t, K.ops.ones((2, 2, 3, 1))),
    "conv_transpose": lambda K, t: K.ops.conv_transpose(t, K.ops.ones((2, 2, 4, 3)), 2),
    "multi_hot": lambda K, t: K.ops.multi_hot(K.ops.cast(t, "int32"), 3),
}


@pytest.mark.parametrize("name", sorted(IMAGE_GRAPHS))
def test_image_shaped_operations_are_configured_as_keras_configures_them(name):
    """Keras writes some defaults resolved (the pooling / conv ops' data_format, MultiHot's
    dtype) and others as None (the image ops' data_format): keraslite writes the same."""
    def entries(K):
        i = K.Input((8, 8, 3))
        layers = K.Model(i, IMAGE_GRAPHS[name](K, i)).get_config()["layers"]
        return [(layer["class_name"], {k: v for k, v in layer["config"].items() if k != "name"})
                for layer in layers if layer["class_name"] != "InputLayer"]

    assert entries(keraslite) == entries(keras)


def test_keras_legacy_h5_with_image_operations_loads(tmp_path):
    """Keras's legacy .h5 config names operation nodes without their module (PadImages,
    Resize); keraslite finds them among its image operations. (Keras cannot read that file.)"""
    def build(K):
        i = K.Input((8, 8, 3))
        return K.Model(i, K.ops.image.pad_images(K.ops.image.resize(i, (4, 4)), 1, 1, 1, 1))

    image = np.random.RandomState(1).uniform(size=(2, 8, 8, 3)).astype("float32")
    path = str(tmp_path / "ops.h5")
    kmodel = build(keras)
    kmodel.save(path)
    np.testing.assert_allclose(keraslite.saving.load_model(path).predict(image, verbose=0),
                               np.asarray(kmodel.predict(image, verbose=0)), atol=1e-5)
