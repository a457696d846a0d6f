"""Under the tensorflow shim, torch tensors behave as TF's eager tensors where programs can tell:
`.numpy()` of a 0-d tensor is a numpy scalar and `get_shape()` gives a TensorShape; with the
aliases installed, augmented assignment does not write into the tensor (TF tensors are immutable)."""
import contextlib
import sys
import warnings

import numpy as np
import pytest
import torch

import keraslite
import keraslite.compat.tensorflow_shim as tf
from keraslite.compat import aliases


def test_numpy_of_a_scalar_tensor_is_a_hashable_numpy_scalar():
    index = tf.argmax(tf.constant([0.1, 0.9, 0.3])).numpy()
    assert type(index) is np.int64
    assert {1: "a"}[index] == "a"
    assert type(tf.constant(3.0).numpy()) is np.float32
    assert type(tf.reduce_sum(tf.constant([1, 2])).numpy()) is np.int32
    assert type(tf.constant(True).numpy()) is np.bool_
    # a tensor that tracks gradients too, and arrays stay arrays
    assert type(tf.Variable(2.0).numpy()) is np.float32
    assert isinstance(tf.constant([1.0]).numpy(), np.ndarray)
    assert tf.constant([[1.0]]).numpy().shape == (1, 1)


def test_augmented_assignment_leaves_the_original_tensor_alone(tf):
    a = tf.constant([1.0, 2.0])
    b = a
    b += 10.0
    np.testing.assert_array_equal(a.numpy(), [1.0, 2.0])
    np.testing.assert_array_equal(b.numpy(), [11.0, 12.0])
    for update, expected in [(lambda t: t.__isub__(1.0), [0.0, 1.0]), (lambda t: t.__imul__(3.0), [3.0, 6.0]),
                             (lambda t: t.__itruediv__(2.0), [0.5, 1.0]), (lambda t: t.__ipow__(2), [1.0, 4.0]),
                             (lambda t: t.__ifloordiv__(2.0), [0.0, 1.0]), (lambda t: t.__imod__(2.0), [1.0, 0.0])]:
        np.testing.assert_array_equal(update(a).numpy(), expected)
    np.testing.assert_array_equal(a.numpy(), [1.0, 2.0])
    mask = tf.constant([True, False])
    other = mask
    other |= tf.constant([False, True])
    assert mask.numpy().tolist() == [True, False] and other.numpy().tolist() == [True, True]


def test_augmented_assignment_may_broadcast_to_a_new_shape(tf):
    loss = tf.reduce_sum(tf.constant([1.0, 2.0]))
    loss += tf.constant([3.0])
    assert tuple(loss.shape) == (1,)
    np.testing.assert_array_equal(loss.numpy(), [6.0])


def test_augmented_assignment_on_a_variable_gives_a_tensor(tf):
    v = tf.Variable([1.0, 2.0])
    w = v
    w += 1.0
    np.testing.assert_array_equal(v.numpy(), [1.0, 2.0])
    np.testing.assert_array_equal(w.numpy(), [2.0, 3.0])
    v.assign_add([1.0, 1.0])  # the variable's own updates stay in place
    np.testing.assert_array_equal(v.numpy(), [2.0, 3.0])


def test_augmented_assignment_is_differentiable(tf):
    x = tf.constant([1.0, 2.0])
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = x * x
        y *= 3.0
    np.testing.assert_allclose(tape.gradient(y, x).numpy(), [6.0, 12.0])


def test_library_code_keeps_torchs_in_place_updates(tf):
    # torch's own modules (optimizers, here) update parameters with augmented assignment.
    t = torch.tensor([1.0, 2.0])
    alias = t
    exec("alias += 1.0", {"__name__": "keraslite.some_module", "alias": alias})
    np.testing.assert_array_equal(t.numpy(), [2.0, 3.0])


def test_training_still_updates_the_weights(tf):
    model = keraslite.Sequential([keraslite.Input((3,)), keraslite.layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    before = model.get_weights()[0].copy()
    model.fit(np.ones((8, 3), "float32"), np.ones((8, 1), "float32"), epochs=2, verbose=0)
    assert not np.allclose(before, model.get_weights()[0])


def test_augmented_assignment_is_torchs_without_the_aliases():
    t = torch.tensor([1.0, 2.0])
    alias = t
    alias += 1.0
    np.testing.assert_array_equal(t.numpy(), [2.0, 3.0])
    aliases.install_aliases()
    aliases.uninstall_aliases()
    alias -= 1.0
    np.testing.assert_array_equal(t.numpy(), [1.0, 2.0])


def test_get_shape_gives_a_tensor_shape():
    x = tf.zeros((2, 5))
    shape = x.get_shape()
    assert isinstance(shape, tf.TensorShape)
    assert shape.as_list() == [2, 5] and shape.ndims == 2 and int(shape[-1]) == 5
    assert shape == (2, 5)
    v = tf.Variable(tf.zeros((3, 4)))
    assert v.get_shape().as_list() == [3, 4]


def test_keras_tensors_and_variables_have_get_shape():
    x = keraslite.Input((None, 3))
    assert x.get_shape().as_list() == [None, None, 3] and x.get_shape().ndims == 3
    layer = keraslite.layers.Conv2D(4, 3)
    layer.build((None, 8, 8, 2))
    assert layer.kernel.get_shape().as_list() == [3, 3, 2, 4]  # Keras layout, not torch's storage


def test_get_shape_inside_a_custom_layer_call():
    class Scale(keraslite.layers.Layer):
        def call(self, inputs):
            return inputs * float(int(inputs.get_shape()[-1]))

    out = keraslite.Sequential([keraslite.Input((4,)), Scale()])(np.ones((1, 4), "float32"))
    np.testing.assert_allclose(np.asarray(out), 4.0)


def test_numpy_conversion_of_a_scalar_tensor_is_an_array():
    t = tf.constant(3.0)
    assert isinstance(np.asarray(t), np.ndarray) and np.asarray(t).shape == ()
    assert np.asarray(t).tolist() == 3.0 and np.array(t, dtype=np.int32).dtype == np.int32
    assert np.asarray(tf.Variable(2.0)).tolist() == 2.0


@contextlib.contextmanager
def _aliases_without_tensorflow():
    """The aliases installed for a program that never imports tensorflow (a Keras program)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        aliases.install_aliases()
    saved = sys.modules.pop("tensorflow", None)
    try:
        yield
    finally:
        if saved is not None:
            sys.modules["tensorflow"] = saved
        aliases.uninstall_aliases()


def test_a_program_that_never_imports_tensorflow_keeps_torchs_in_place_updates():
    with _aliases_without_tensorflow():
        a = torch.tensor([1.0, 2.0])
        b = a
        b += 1.0  # a Keras 3 program on torch: torch's meaning
        assert a.tolist() == [2.0, 3.0]


def test_a_manual_weight_update_under_no_grad_stays_in_place(tf):
    w = torch.nn.Parameter(torch.tensor([1.0, 2.0]))
    (w * w).sum().backward()
    same = w
    with torch.no_grad():
        w -= 0.5 * w.grad  # torch's hand-written SGD step, which TensorFlow code cannot mean
    assert w is same and w.tolist() == [0.0, 0.0]


def test_augmented_assignment_in_a_keras_layer_trains_without_tensorflow():
    # The widely copied Keras 2 attention layer: `a = K.exp(x); a /= K.sum(a, ...)` in call().
    # torch's in-place division would overwrite exp's output, which its backward needs.
    with _aliases_without_tensorflow():
        from keras import backend as K
        from keras.layers import Dense, Input, Layer
        from keras.models import Model

        class Norm(Layer):
            def call(self, x):
                a = K.exp(x)
                a /= K.sum(a, axis=1, keepdims=True)
                a *= 2.0
                return a

        i = Input((4,))
        model = Model(i, Dense(1)(Norm()(Dense(4)(i))))
        model.compile("adam", "mse")
        before = model.get_weights()[0].copy()
        model.fit(np.ones((8, 4), "float32"), np.ones((8, 1), "float32"), verbose=0)
        assert not np.allclose(before, model.get_weights()[0])
        x = torch.tensor([1.0, 2.0], requires_grad=True)
        y = x * 1.0
        alias = y
        alias += 1.0  # out of place: y keeps its value
        assert y.tolist() == [1.0, 2.0] and alias.tolist() == [2.0, 3.0]
