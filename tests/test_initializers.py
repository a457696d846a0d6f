import math

import numpy as np
import pytest
import torch

from keraslite import initializers


def test_uniform_is_keras_small_uniform():
    w = initializers.get("uniform")((200, 200)).numpy()
    assert w.min() >= -0.05 and w.max() <= 0.05
    assert abs(w.max() - 0.05) < 1e-3 and abs(w.min() + 0.05) < 1e-3


def test_normal_is_keras_small_normal():
    w = initializers.get("normal")((300, 300)).numpy()
    assert abs(w.std() - 0.05) < 0.05 * 0.02
    assert abs(w.mean()) < 0.05 * 0.02


def test_glorot_uniform_limit_uses_keras_fans():
    shape = (3, 3, 8, 16)  # conv kernel (kh, kw, in, out)
    fan_in, fan_out = 3 * 3 * 8, 3 * 3 * 16
    w = initializers.get("glorot_uniform")(shape).numpy()
    limit = math.sqrt(6 / (fan_in + fan_out))
    assert np.abs(w).max() <= limit + 1e-7
    assert np.abs(w).max() > 0.97 * limit


def test_truncated_normal_is_cut_at_two_std():
    w = initializers.TruncatedNormal(stddev=1.0)((400, 400)).numpy()
    # As in Keras's torch backend, each value is the first of four draws inside (-2, 2); only
    # when all four miss (p ~ 4e-6) does a value lie outside.
    assert (np.abs(w) >= 2.0).mean() < 1e-4
    # std of a unit normal truncated to [-2, 2]
    assert abs(w.std() - 0.87962566) < 0.01


def test_seeded_initializer_is_reproducible():
    a = initializers.GlorotUniform(seed=3)((5, 5))
    b = initializers.GlorotUniform(seed=3)((5, 5))
    torch.testing.assert_close(a, b)


def test_unknown_initializer_lists_valid_names():
    with pytest.raises(ValueError, match="Unknown initializer 'glorot'.*glorot_uniform"):
        initializers.get("glorot")


def test_config_dicts_of_both_keras_eras():
    k2 = {"class_name": "RandomUniform", "config": {"minval": -0.1, "maxval": 0.1, "seed": None}}
    k3 = {"module": "keras.initializers", "class_name": "GlorotUniform", "config": {"seed": None},
          "registered_name": None}
    assert initializers.get(k2).maxval == 0.1
    assert type(initializers.get(k3)).__name__ == "GlorotUniform"


def test_identity_and_constant():
    np.testing.assert_array_equal(initializers.get("identity")((3, 3)).numpy(), np.eye(3))
    np.testing.assert_array_equal(initializers.Constant(2.5)((2, 2)).numpy(), np.full((2, 2), 2.5))



def test_keras1_init_functions_taking_shape_and_name():
    # Keras 1's mnist_irnn: init=lambda shape, name: normal(shape, scale=0.001, name=name) and
    # inner_init=lambda shape, name: identity(shape, scale=1.0, name=name), from keras.initializations.
    import numpy as np

    import keraslite
    from keraslite.compat import aliases
    from keraslite.compat.keras1_initializations import identity, normal

    assert aliases.resolve("keras.initializations") == "keraslite.compat.keras1_initializations"
    keraslite.utils.set_random_seed(0)
    layer = keraslite.layers.SimpleRNN(64, kernel_initializer=lambda shape, name: normal(shape, scale=0.001, name=name),
                                       recurrent_initializer=lambda shape, name: identity(shape, scale=1.0, name=name))
    layer.build((None, 5, 32))
    kernel, recurrent, _ = layer.get_weights()
    np.testing.assert_array_equal(recurrent, np.eye(64, dtype="float32"))
    assert abs(float(kernel.std()) - 0.001) < 1e-4 and abs(float(kernel.mean())) < 1e-4
    dense = keraslite.layers.Dense(3, kernel_initializer=lambda shape: np.full(shape, 0.5))  # no dtype argument
    dense.build((None, 2))
    np.testing.assert_array_equal(dense.get_weights()[0], np.full((2, 3), 0.5, "float32"))
