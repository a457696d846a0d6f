"""tf.random.uniform with an integer dtype and TF 2's initializer aliases
(`tf.random_normal_initializer()`, `tf.zeros_initializer()`, ...) in the tensorflow shim."""
import pytest
import torch

from keraslite.compat import tensorflow_shim as tf


def test_integer_uniform_draws_in_range():
    x = tf.random.uniform(shape=(200,), minval=3, maxval=10, dtype="int32")
    assert x.dtype == torch.int32
    assert int(x.min()) >= 3 and int(x.max()) < 10
    assert len(set(x.tolist())) > 3
    with pytest.raises(ValueError, match="maxval"):
        tf.random.uniform(shape=(2,), dtype="int64")


def test_initializer_aliases_build_values_of_the_requested_shape():
    w = tf.random_normal_initializer()(shape=(400, 5), dtype="float32")
    assert tuple(w.shape) == (400, 5)
    assert abs(float(torch.as_tensor(w).std()) - 0.05) < 0.01  # TF's default stddev
    assert float(torch.as_tensor(tf.zeros_initializer()(shape=(3,), dtype="float32")).abs().sum()) == 0.0
    assert float(torch.as_tensor(tf.ones_initializer()(shape=(3,), dtype="float32")).sum()) == 3.0
    assert float(torch.as_tensor(tf.constant_initializer(2.5)(shape=(2,), dtype="float32")).sum()) == 5.0
    u = torch.as_tensor(tf.random_uniform_initializer()(shape=(500,), dtype="float32"))
    assert float(u.min()) >= -0.05 and float(u.max()) <= 0.05
