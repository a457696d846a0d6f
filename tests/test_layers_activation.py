import numpy as np
import pytest
import torch

from keraslite import layers
from tests.contract import check_layer_contract

CASES = [
    ("relu", lambda: layers.ReLU(), (3, 5)),
    ("relu_capped", lambda: layers.ReLU(max_value=0.5, negative_slope=0.1, threshold=0.2), (3, 5)),
    ("leaky_relu", lambda: layers.LeakyReLU(), (3, 5)),
    ("leaky_relu_k2_alpha", lambda: layers.LeakyReLU(alpha=0.1), (3, 5)),
    ("prelu", lambda: layers.PReLU(alpha_initializer="ones"), (3, 4, 5)),
    ("prelu_shared", lambda: layers.PReLU(alpha_initializer="ones", shared_axes=[1, 2]), (2, 4, 4, 3)),
    ("elu", lambda: layers.ELU(0.5), (3, 5)),
    ("softmax", lambda: layers.Softmax(), (3, 5)),
    ("thresholded_relu", lambda: layers.ThresholdedReLU(theta=0.5), (3, 5)),
    ("softmax_axes", lambda: layers.Softmax(axis=[1, 2]), (2, 3, 4)),
    ("rescaling", lambda: layers.Rescaling(1 / 255.0, offset=-0.5), (2, 4, 4, 3)),
    ("normalization_fixed", lambda: layers.Normalization(mean=[1.0, 2.0, 3.0], variance=[1.0, 4.0, 9.0]), (4, 3)),
    ("normalization", lambda: layers.Normalization(), (4, 3)),
]


@pytest.mark.parametrize("name,factory,shape", CASES, ids=[c[0] for c in CASES])
def test_contract(name, factory, shape):
    check_layer_contract(factory, shape)


def test_leaky_relu_k2_alpha_is_negative_slope():
    assert layers.LeakyReLU(alpha=0.1).get_config()["negative_slope"] == 0.1


def test_relu_rejects_negative_arguments():
    with pytest.raises(ValueError, match="re_lu.*max_value"):
        layers.ReLU(max_value=-1)


def test_normalization_adapt_matches_numpy():
    data = np.random.default_rng(0).standard_normal((50, 3)).astype("float32") * [1, 2, 3] + [4, 5, 6]
    norm = layers.Normalization()
    norm.adapt(data)
    out = norm(torch.as_tensor(data)).numpy()
    expected = (data - data.mean(0)) / np.maximum(data.std(0), 1e-7)
    np.testing.assert_allclose(out, expected, atol=1e-5)
    assert norm.get_weights()[2] == 0  # Keras 3 leaves `count` at 0 after adapt()


def test_normalization_needs_both_statistics():
    with pytest.raises(ValueError, match="both `mean` and `variance`"):
        layers.Normalization(mean=1.0)


def test_keras1_thresholded_relu():
    x = torch.tensor([[-1.0, 0.5, 0.50001, 2.0]])
    out = layers.ThresholdedReLU(theta=0.5)(x)
    torch.testing.assert_close(out, torch.tensor([[0.0, 0.0, 0.50001, 2.0]]))
    torch.testing.assert_close(layers.ThresholdedReLU()(x), torch.tensor([[0.0, 0.0, 0.0, 2.0]]))  # theta=1.0
    with pytest.raises(ValueError, match="theta must be a non-negative number"):
        layers.ThresholdedReLU(theta=-1)
