import json

import numpy as np
import pytest
import torch

from keraslite import layers
from keraslite.saving import register_keras_serializable
from tests.contract import check_layer_contract


@register_keras_serializable(package="tests")
def double(x):
    return x * 2


def triple(x):
    return x * 3


CASES = [
    ("lambda_named", lambda: layers.Lambda(double), (2, 3)),
    ("lambda_output_shape", lambda: layers.Lambda(double, output_shape=(3,)), (2, 3)),
    ("masking", lambda: layers.Masking(), (2, 3, 4)),
    ("masking_value", lambda: layers.Masking(mask_value=-1.0), (2, 3, 4)),
    ("spatial_dropout1d", lambda: layers.SpatialDropout1D(0.5), (2, 3, 4)),
    ("spatial_dropout2d", lambda: layers.SpatialDropout2D(0.5), (2, 3, 3, 4)),
    ("spatial_dropout2d_cf", lambda: layers.SpatialDropout2D(0.5, data_format="channels_first"), (2, 4, 3, 3)),
    ("spatial_dropout3d", lambda: layers.SpatialDropout3D(0.3), (2, 2, 2, 2, 3)),
    ("gaussian_noise", lambda: layers.GaussianNoise(0.1), (2, 3)),
    ("gaussian_dropout", lambda: layers.GaussianDropout(0.2), (2, 3)),
    ("alpha_dropout", lambda: layers.AlphaDropout(0.2), (2, 3)),
    ("activity_regularization", lambda: layers.ActivityRegularization(l1=0.01, l2=0.02), (2, 3)),
]


@pytest.mark.parametrize("name,factory,shape", CASES, ids=[c[0] for c in CASES])
def test_contract(name, factory, shape):
    check_layer_contract(factory, shape)


# ----------------------------------------------------------------------------- Lambda

def test_lambda_named_function_config_is_keras3_form():
    config = layers.Lambda(triple).get_config()
    assert config["function"] == {"module": "builtins", "class_name": "function", "config": "triple",
                                  "registered_name": "function"}
    json.dumps(config)
    clone = layers.Lambda.from_config(config, custom_objects={"triple": triple})
    np.testing.assert_array_equal(clone(torch.ones(1, 2)).numpy(), [[3, 3]])
    # A registered function is stored under its registered name and found without custom_objects.
    config = layers.Lambda(double).get_config()
    assert config["function"]["config"] == "tests>double"
    assert layers.Lambda.from_config(config).function is double


def test_lambda_bytecode_refused_by_default():
    layer = layers.Lambda(lambda x, k=3: x * k, output_shape=(2,), arguments={"k": 4})
    config = json.loads(json.dumps(layer.get_config()))
    assert config["function"]["class_name"] == "__lambda__"
    assert set(config["function"]["config"]) == {"code", "defaults", "closure"}
    with pytest.raises(ValueError, match=r"lambda.*refused by default.*safe_mode=False"):
        layers.Lambda.from_config(config)
    with pytest.raises(ValueError, match="safe_mode=False"):
        layers.Lambda.from_config(config, safe_mode=True)


def test_lambda_bytecode_loads_with_safe_mode_false():
    offset = 5.0
    layer = layers.Lambda(lambda x, k=3: x * k + offset, arguments={"k": 4})
    config = json.loads(json.dumps(layer.get_config()))
    clone = layers.Lambda.from_config(config, safe_mode=False)
    np.testing.assert_array_equal(clone(torch.ones(1, 2)).numpy(), [[9, 9]])


def test_lambda_keras2_config_forms():
    config = {"name": "l", "function": "double", "function_type": "function", "module": "__main__",
              "output_shape": None, "output_shape_type": "raw", "arguments": {}}
    layer = layers.Lambda.from_config(config, custom_objects={"double": double})
    assert layer.function is double
    lam = layers.Lambda(lambda x: x + 1).get_config()["function"]["config"]
    old = {"name": "l2", "function": [lam["code"], None, None], "function_type": "lambda", "arguments": {}}
    with pytest.raises(ValueError, match="safe_mode=False"):
        layers.Lambda.from_config(old)
    np.testing.assert_array_equal(layers.Lambda.from_config(old, safe_mode=False)(torch.zeros(1)).numpy(), [1])


def test_lambda_unknown_function_name():
    config = {"name": "l", "function": {"module": "builtins", "class_name": "function", "config": "nope_fn",
                                        "registered_name": "function"}}
    with pytest.raises(ValueError, match=r"unknown function 'nope_fn'.*custom_objects"):
        layers.Lambda.from_config(config)


def test_lambda_passes_mask_and_training_and_mask_function():
    seen = {}

    def fn(x, mask=None, training=None):
        seen.update(mask=mask, training=training)
        return x

    layer = layers.Lambda(fn, mask=lambda x, m: x[..., 0] > 0)
    x = torch.tensor([[[1.0], [-1.0]]])
    out = layer(x, training=True)
    assert seen["training"] is True
    np.testing.assert_array_equal(out._keras_mask.numpy(), [[True, False]])


def test_lambda_output_shape_function_and_inference():
    layer = layers.Lambda(lambda x: x[:, :2], output_shape=lambda s: (s[0], 2))
    assert layer.compute_output_shape((None, 5)) == (None, 2)
    assert layers.Lambda(lambda x: x.sum(-1)).compute_output_shape((None, 3, 4)) == (None, 3)


# ----------------------------------------------------------------------------- Masking

def test_masking_mask_and_zeroing():
    x = torch.tensor([[[1.0, 2.0], [0.0, 0.0], [0.0, 3.0]]])
    out = layers.Masking()(x)
    np.testing.assert_array_equal(out._keras_mask.numpy(), [[True, False, True]])
    np.testing.assert_array_equal(out.numpy(), x.numpy())
    x = torch.tensor([[[-1.0, -1.0], [5.0, -1.0]]])
    out = layers.Masking(mask_value=-1.0)(x)
    np.testing.assert_array_equal(out._keras_mask.numpy(), [[False, True]])
    np.testing.assert_array_equal(out.numpy(), [[[0, 0], [5, -1]]])


# ----------------------------------------------------------------------------- random layers

def test_spatial_dropout_drops_whole_channels():
    layer = layers.SpatialDropout2D(0.5)
    out = layer(torch.ones(4, 3, 3, 8), training=True).numpy()
    per_map = out.reshape(4, 9, 8)
    assert np.all(per_map.min(1) == per_map.max(1))  # constant over space per (sample, channel)
    assert set(np.unique(out)) <= {0.0, 2.0}
    np.testing.assert_array_equal(layer(torch.ones(1, 2, 2, 2), training=False).numpy(), np.ones((1, 2, 2, 2)))


def test_spatial_dropout_rank_error():
    with pytest.raises(ValueError, match=r"spatial_dropout1d.*3-D input.*\(2, 3\)"):
        layers.SpatialDropout1D(0.5)(torch.ones(2, 3), training=True)


def test_noise_layers_are_identity_in_inference_and_random_in_training():
    x = torch.ones(64, 32)
    for layer in (layers.GaussianNoise(0.5), layers.GaussianDropout(0.3), layers.AlphaDropout(0.3)):
        layer.eval()
        np.testing.assert_array_equal(layer(x).numpy(), x.numpy())
        noisy = layer(x, training=True)
        assert not torch.equal(noisy, x)
    noisy = layers.GaussianNoise(0.5)(torch.zeros(20000), training=True)
    assert abs(noisy.std().item() - 0.5) < 0.02
    mult = layers.GaussianDropout(0.5)(torch.ones(20000), training=True)
    assert abs(mult.mean().item() - 1) < 0.05 and abs(mult.std().item() - 1.0) < 0.05


def test_alpha_dropout_keeps_selu_moments():
    x = torch.nn.functional.selu(torch.randn(200000))
    out = layers.AlphaDropout(0.2)(x, training=True)
    assert abs(out.mean().item() - x.mean().item()) < 0.02
    assert abs(out.std().item() - x.std().item()) < 0.02


def test_rate_validation():
    with pytest.raises(ValueError, match=r"gaussian_dropout.*rate must be in \[0, 1\]"):
        layers.GaussianDropout(1.5)


def test_activity_regularization_loss():
    layer = layers.ActivityRegularization(l1=0.1, l2=0.2)
    x = torch.tensor([[1.0, -2.0], [3.0, 0.0]])
    layer(x)
    expected = (0.1 * 6 + 0.2 * 14) / 2  # Keras 3 divides by the batch size
    assert len(layer.losses) == 1 and abs(layer.losses[0].item() - expected) < 1e-6
    assert "activity_regularizer" not in layer.get_config()


def test_keras1_noise_and_dropout_spellings():
    assert layers.GaussianNoise(sigma=0.3).stddev == 0.3
    assert layers.GaussianDropout(p=0.2).rate == 0.2
    layer = layers.SpatialDropout2D(p=0.1, dim_ordering="th")
    assert layer.rate == 0.1 and layer.data_format == "channels_first"
    with pytest.raises(TypeError, match="stddev"):
        layers.GaussianNoise()
