"""Keras 2's `keras.engine.*` names and `keras.utils.conv_utils` / `layer_utils` (old model
definitions import them): the output-length arithmetic against real Keras 3's conv layers."""
import importlib

import numpy as np
import pytest

import keraslite
from compat_tests.conftest import keras
from keraslite.utils import conv_utils, layer_utils


@pytest.mark.parametrize("padding", ["valid", "same"])
@pytest.mark.parametrize("stride,dilation", [(1, 1), (2, 1), (3, 1), (1, 2)])
@pytest.mark.parametrize("kernel", [1, 3, 4])
def test_conv_output_length_is_what_keras_conv_layers_give(padding, stride, dilation, kernel):
    layer = keras.layers.Conv1D(2, kernel, strides=stride, padding=padding, dilation_rate=dilation)
    want = layer.compute_output_shape((None, 17, 3))[1]
    assert conv_utils.conv_output_length(17, kernel, padding, stride, dilation) == want
    transposed = keras.layers.Conv1DTranspose(2, kernel, strides=stride, padding=padding)
    assert conv_utils.deconv_output_length(17, kernel, padding, stride=stride) == \
        transposed.compute_output_shape((None, 17, 3))[1]


def test_normalize_tuple_and_kernel_conversion():
    assert conv_utils.normalize_tuple(3, 2, "kernel_size") == (3, 3)
    assert conv_utils.normalize_tuple([2, 5], 2, "strides") == (2, 5)
    with pytest.raises(ValueError, match="tuple of 2 integers"):
        conv_utils.normalize_tuple((1, 2, 3), 2, "strides")
    kernel = np.arange(12).reshape(2, 3, 1, 2)
    np.testing.assert_array_equal(conv_utils.convert_kernel(kernel), kernel[::-1, ::-1])
    model = keraslite.Sequential([keraslite.Input((5, 5, 1)), keraslite.layers.Conv2D(2, 3)])
    before = model.get_weights()[0]
    layer_utils.convert_all_kernels_in_model(model)
    np.testing.assert_array_equal(model.get_weights()[0], before[::-1, ::-1])
    assert layer_utils.count_params(model.weights) == model.count_params()


def test_keras2_engine_names_under_the_aliases():
    from keraslite.compat import aliases

    aliases.install_aliases()
    try:
        topology = importlib.import_module("keras.engine.topology")
        saving = importlib.import_module("keras.engine.saving")
        network = importlib.import_module("keras.engine.network")
        inputs = keraslite.Input((4,))
        outputs = keraslite.layers.Dense(2)(inputs)
        assert topology.get_source_inputs(outputs)[0] is inputs
        assert topology.Layer is keraslite.layers.Layer and topology.Container is keraslite.Model
        assert saving.load_model is keraslite.saving.load_model and network.Network is keraslite.Model
        assert importlib.import_module("keras.utils.conv_utils").normalize_tuple is conv_utils.normalize_tuple
    finally:
        aliases.uninstall_aliases()


def test_input_of_an_existing_symbolic_tensor_is_that_tensor():
    # deep-learning-models' input_tensor path: Input(tensor=t, shape=...) when t is already symbolic.
    for lib in (keras, keraslite):
        t = lib.Input((8,))
        x = lib.Input(tensor=t, shape=(8,))
        assert x is t
        assert lib.Model(lib.utils.get_source_inputs(t), lib.layers.Dense(2)(x)).output_shape == (None, 2)


def test_a_model_attribute_named_train_does_not_break_fit():
    # image-segmentation-keras sets `model.train = train` (a function of the model).
    inputs = keraslite.Input((3,))
    model = keraslite.Model(inputs, keraslite.layers.Dense(1)(inputs))
    model.compile("sgd", "mse")
    model.train = lambda m, epochs=1: m.fit(np.ones((4, 3)), np.ones((4, 1)), epochs=epochs, verbose=0)
    history = model.train(model, epochs=2)
    assert len(history.history["loss"]) == 2 and not model.training


def test_backend_name_follows_a_requested_tensorflow_backend(monkeypatch):
    monkeypatch.delenv("KERAS_BACKEND", raising=False)
    assert keraslite.backend.backend() == "torch"
    monkeypatch.setenv("KERAS_BACKEND", "tensorflow")
    assert keraslite.backend.backend() == "tensorflow"
