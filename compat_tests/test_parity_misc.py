"""Lambda, Masking, spatial dropouts, noise layers and ActivityRegularization vs real Keras 3."""
import numpy as np
import pytest
import torch

from compat_tests.conftest import keras
from compat_tests.parity import assert_close, layer_parity, to_numpy
from keraslite import layers


def _x(shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype("float32")


def double(x):
    return x * 2


def test_lambda_output():
    layer_parity(keras.layers.Lambda(double), layers.Lambda(double), _x((2, 3)))
    layer_parity(keras.layers.Lambda(lambda x, a: x[:, :2] * a, arguments={"a": 3.0}),
                 layers.Lambda(lambda x, a: x[:, :2] * a, arguments={"a": 3.0}), _x((2, 4)))


def test_lambda_config_has_keras_structure():
    k_cfg = keras.layers.Lambda(double, output_shape=(3,)).get_config()
    l_cfg = layers.Lambda(double, output_shape=(3,)).get_config()
    for key in ("function", "output_shape", "arguments"):
        assert l_cfg[key] == k_cfg[key], key
    k_lam = keras.layers.Lambda(lambda x, k=2: x * k).get_config()["function"]
    l_lam = layers.Lambda(lambda x, k=2: x * k).get_config()["function"]
    assert l_lam["class_name"] == k_lam["class_name"] == "__lambda__"
    assert set(l_lam["config"]) == set(k_lam["config"])
    assert l_lam["config"]["defaults"] == k_lam["config"]["defaults"]


def test_lambda_bytecode_written_by_keras_loads_only_with_safe_mode_false():
    k_cfg = keras.layers.Lambda(lambda x: x + 1.5).get_config()
    k_cfg.pop("dtype")
    with pytest.raises(ValueError, match="safe_mode=False"):
        layers.Lambda.from_config(dict(k_cfg))
    lite = layers.Lambda.from_config(dict(k_cfg), safe_mode=False)
    np.testing.assert_allclose(lite(torch.zeros(1, 2)).numpy(), [[1.5, 1.5]])
    # and keraslite's config loads in Keras
    l_cfg = layers.Lambda(lambda x: x - 1.0).get_config()
    l_cfg.pop("dtype")
    k = keras.layers.Lambda.from_config(l_cfg, safe_mode=False)
    np.testing.assert_allclose(to_numpy(k(torch.zeros(1, 2))), [[-1.0, -1.0]])


@pytest.mark.parametrize("mask_value", [0.0, -1.0])
def test_masking_output_and_mask(mask_value):
    x = _x((2, 4, 3))
    x[0, 1] = mask_value
    x[1, 3] = mask_value
    x[1, 0, 0] = mask_value  # partly equal: not masked
    k, lite = keras.layers.Masking(mask_value=mask_value), layers.Masking(mask_value=mask_value)
    layer_parity(k, lite, x)
    out = lite(torch.as_tensor(x))
    np.testing.assert_array_equal(to_numpy(out._keras_mask), to_numpy(k.compute_mask(torch.as_tensor(x))))
    k_out = k(torch.as_tensor(x))
    np.testing.assert_array_equal(to_numpy(out._keras_mask), to_numpy(k_out._keras_mask))


@pytest.mark.parametrize("name,args,shape", [
    ("SpatialDropout1D", (0.5,), (2, 3, 4)), ("SpatialDropout2D", (0.5,), (2, 3, 3, 4)),
    ("SpatialDropout3D", (0.5,), (2, 2, 2, 2, 3)), ("GaussianNoise", (0.3,), (2, 5)),
    ("GaussianDropout", (0.3,), (2, 5)), ("AlphaDropout", (0.3,), (2, 5))])
def test_random_layers_inference_identity_and_config(name, args, shape):
    k, lite = getattr(keras.layers, name)(*args), getattr(layers, name)(*args)
    layer_parity(k, lite, _x(shape), call_kwargs={"training": False})
    k_cfg, l_cfg = k.get_config(), lite.get_config()
    assert set(k_cfg) <= set(l_cfg), set(k_cfg) - set(l_cfg)
    for key in set(k_cfg) - {"name", "dtype"}:
        assert l_cfg[key] == k_cfg[key], key


@pytest.mark.parametrize("name,args", [("SpatialDropout2D", (0.4,)), ("GaussianDropout", (0.4,)),
                                       ("AlphaDropout", (0.4,)), ("GaussianNoise", (0.4,))])
def test_random_layers_training_moments_match_keras(name, args):
    # Random draws differ; their distributions must not. Compare mean and std of the outputs.
    x = np.abs(_x((512, 2, 2, 32))) + 0.5  # 16k feature maps for the spatial draw
    k, lite = getattr(keras.layers, name)(*args), getattr(layers, name)(*args)
    k_out = to_numpy(k(torch.as_tensor(x), training=True))
    l_out = to_numpy(lite(torch.as_tensor(x), training=True))
    assert abs(k_out.mean() - l_out.mean()) < 0.04
    assert abs(k_out.std() - l_out.std()) < 0.04
    assert abs((k_out == 0).mean() - (l_out == 0).mean()) < 0.05


def test_activity_regularization_loss_matches_keras():
    x = _x((3, 4))
    k, lite = keras.layers.ActivityRegularization(l1=0.1, l2=0.05), layers.ActivityRegularization(l1=0.1, l2=0.05)
    layer_parity(k, lite, x)
    assert_close(to_numpy(lite.losses[0]), to_numpy(k.losses[0]), atol=1e-6, what="activity loss")
    assert set(k.get_config()) <= set(lite.get_config())
