"""The shim's eager checks (tf.Assert, tf.debugging.assert_*, tf.control_dependencies),
tf.sets.intersection, and TF 1's spellings random_shuffle / sparse_tensor_to_dense, plus
`from tensorflow.python.eager import context`."""
import numpy as np
import pytest
import torch


def test_assert_and_debugging_asserts_raise_invalid_argument(tf):
    assert tf.Assert(tf.constant(True), [tf.ones(2)]) is None
    with pytest.raises(tf.errors.InvalidArgumentError, match="assertion failed"):
        tf.Assert(tf.constant([True, False]), ["boxes", tf.zeros(2)])
    tf.debugging.assert_greater(tf.constant([2, 3]), 1)
    tf.compat.v1.assert_equal(tf.constant([1, 2]), [1, 2])
    tf.debugging.assert_less(tf.constant(1.0), 2.0)
    for check, x, y in [(tf.debugging.assert_greater, [2, 1], 1), (tf.debugging.assert_equal, [1, 2], [1, 3]),
                        (tf.debugging.assert_less, 3.0, 2.0), (tf.compat.v1.assert_equal, 1, 2)]:
        with pytest.raises(tf.errors.InvalidArgumentError, match="too small"):
            check(tf.constant(x), y, message="too small")
    with tf.control_dependencies([tf.Assert(True, [1])]):
        out = tf.identity(tf.ones(1))
    assert float(out[0]) == 1.0


def test_sets_intersection_is_sorted_per_row(tf):
    a = tf.constant([[5, 1, 3, 9], [2, 2, 4, 7]])
    b = tf.constant([[3, 5, 8, 0], [7, 0, 0, 0]])
    sp = tf.sets.intersection(a, b)
    assert sp.dense_shape == (2, 2)
    np.testing.assert_array_equal(sp.indices.numpy(), [[0, 0], [0, 1], [1, 0]])
    np.testing.assert_array_equal(sp.values.numpy(), [3, 5, 7])
    np.testing.assert_array_equal(tf.sparse.to_dense(sp).numpy(), [[3, 5], [7, 0]])
    np.testing.assert_array_equal(tf.sparse_tensor_to_dense(tf.sets.set_intersection(a, b)).numpy(), [[3, 5], [7, 0]])
    with pytest.raises(ValueError, match="leading dimensions"):
        tf.sets.intersection(a, tf.constant([[1, 2]]))


def test_tf1_random_shuffle_permutes_the_first_axis(tf):
    out = tf.random_shuffle(tf.range(10), seed=3)
    assert sorted(out.tolist()) == list(range(10))
    assert torch.equal(tf.compat.v1.random_shuffle(tf.range(10), seed=3), out)


def test_eager_context_is_importable(tf):
    from tensorflow.python.eager import context

    assert context.executing_eagerly() is True
