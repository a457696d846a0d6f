import numpy as np
import pytest
import torch

import keraslite
from keraslite import layers
from tests.contract import check_layer_contract

CASES = [
    ("add", lambda: layers.Add(), [(2, 3), (2, 3)]),
    ("add_three", lambda: layers.Add(), [(2, 3, 4), (2, 3, 4), (2, 3, 4)]),
    ("add_broadcast", lambda: layers.Add(), [(2, 3, 4), (2, 1, 4)]),
    ("add_rank_expand", lambda: layers.Add(), [(2, 3, 4), (2, 4)]),
    ("subtract", lambda: layers.Subtract(), [(2, 3), (2, 3)]),
    ("multiply", lambda: layers.Multiply(), [(2, 3), (2, 3), (2, 3)]),
    ("average", lambda: layers.Average(), [(2, 3), (2, 3)]),
    ("maximum", lambda: layers.Maximum(), [(2, 3), (2, 3)]),
    ("minimum", lambda: layers.Minimum(), [(2, 3), (2, 3)]),
    ("concatenate", lambda: layers.Concatenate(), [(2, 3), (2, 4)]),
    ("concatenate_axis1", lambda: layers.Concatenate(axis=1), [(2, 3, 4), (2, 2, 4)]),
    ("dot_2d", lambda: layers.Dot(axes=1), [(2, 3), (2, 3)]),
    ("dot_3d", lambda: layers.Dot(axes=(2, 2)), [(2, 3, 4), (2, 5, 4)]),
    ("dot_mixed", lambda: layers.Dot(axes=[1, 2], normalize=True), [(2, 4), (2, 3, 4)]),
]


@pytest.mark.parametrize("name,factory,shapes", CASES, ids=[c[0] for c in CASES])
def test_contract(name, factory, shapes):
    check_layer_contract(factory, shapes)


def _pair(shape=(2, 3)):
    rng = np.random.default_rng(0)
    return rng.standard_normal(shape).astype("float32"), rng.standard_normal(shape).astype("float32")


@pytest.mark.parametrize("cls,fn", [
    (layers.Add, lambda a, b: a + b), (layers.Subtract, lambda a, b: a - b), (layers.Multiply, lambda a, b: a * b),
    (layers.Average, lambda a, b: (a + b) / 2), (layers.Maximum, np.maximum), (layers.Minimum, np.minimum)])
def test_elementwise_values(cls, fn):
    a, b = _pair()
    np.testing.assert_allclose(cls()([torch.as_tensor(a), torch.as_tensor(b)]).numpy(), fn(a, b), atol=1e-6)


def test_functional_forms_create_and_call_the_layer():
    a, b = _pair()
    ta, tb = torch.as_tensor(a), torch.as_tensor(b)
    np.testing.assert_allclose(layers.add([ta, tb]).numpy(), a + b, atol=1e-6)
    np.testing.assert_allclose(layers.subtract([ta, tb]).numpy(), a - b, atol=1e-6)
    np.testing.assert_allclose(layers.multiply([ta, tb]).numpy(), a * b, atol=1e-6)
    np.testing.assert_allclose(layers.average([ta, tb]).numpy(), (a + b) / 2, atol=1e-6)
    np.testing.assert_allclose(layers.maximum([ta, tb]).numpy(), np.maximum(a, b), atol=1e-6)
    np.testing.assert_allclose(layers.minimum([ta, tb]).numpy(), np.minimum(a, b), atol=1e-6)
    np.testing.assert_allclose(layers.concatenate([ta, tb], axis=0).numpy(), np.concatenate([a, b], 0))
    np.testing.assert_allclose(layers.dot([ta, tb], axes=1).numpy(), (a * b).sum(1, keepdims=True), atol=1e-5)


def test_dot_matches_einsum_and_normalize():
    rng = np.random.default_rng(1)
    x, y = rng.standard_normal((2, 3, 4)).astype("float32"), rng.standard_normal((2, 4, 5)).astype("float32")
    out = layers.Dot(axes=(2, 1))([torch.as_tensor(x), torch.as_tensor(y)])
    np.testing.assert_allclose(out.numpy(), np.einsum("bij,bjk->bik", x, y), atol=1e-5)
    a, b = _pair((3, 4))
    cos = layers.Dot(axes=-1, normalize=True)([torch.as_tensor(a), torch.as_tensor(b)]).numpy()
    expected = (a * b).sum(1) / np.linalg.norm(a, axis=1) / np.linalg.norm(b, axis=1)
    np.testing.assert_allclose(cos[:, 0], expected, atol=1e-5)


def test_concatenate_merges_masks():
    a = torch.ones(1, 3, 2)
    b = torch.ones(1, 3, 2)
    a._keras_mask = torch.tensor([[True, False, False]])
    out = layers.Concatenate()([a, b])
    np.testing.assert_array_equal(out._keras_mask.numpy(), [[True, True, True]])
    out = layers.Concatenate(axis=1)([a, b])
    np.testing.assert_array_equal(out._keras_mask.numpy(), [[True, False, False, True, True, True]])


def test_add_ors_masks_only_when_all_present():
    a, b = torch.ones(1, 3, 2), torch.ones(1, 3, 2)
    a._keras_mask = torch.tensor([[True, False, False]])
    b._keras_mask = torch.tensor([[False, False, True]])
    np.testing.assert_array_equal(layers.Add()([a, b])._keras_mask.numpy(), [[True, False, True]])
    c = torch.ones(1, 3, 2)
    assert getattr(layers.Add()([a, c]), "_keras_mask", None) is None


def test_errors_name_layer_and_shapes():
    with pytest.raises(ValueError, match=r"Add 'add'.*incompatible shapes \[\(2, 3\), \(2, 4\)\]"):
        layers.Add()([torch.zeros(2, 3), torch.zeros(2, 4)])
    with pytest.raises(ValueError, match=r"Concatenate.*except along the concatenation axis.*\(2, 3, 4\), \(2, 5, 5\)"):
        layers.Concatenate()([torch.zeros(2, 3, 4), torch.zeros(2, 5, 5)])
    with pytest.raises(ValueError, match=r"Subtract.*exactly 2 inputs"):
        layers.Subtract()([torch.zeros(2, 3)] * 3)
    with pytest.raises(ValueError, match=r"Dot.*axis 1 of \(2, 3\) has size 3 but axis 1 of \(2, 4\) has size 4"):
        layers.Dot(axes=1)([torch.zeros(2, 3), torch.zeros(2, 4)])
    with pytest.raises(ValueError, match=r"merge layer must be called on a list"):
        layers.Add()(torch.zeros(2, 3))
    with pytest.raises(ValueError, match="different batch sizes"):
        layers.Add()([torch.zeros(2, 3), torch.zeros(3, 3)])
    with pytest.raises(ValueError, match="batch axis"):
        layers.Dot(axes=0)([torch.zeros(2, 3), torch.zeros(2, 3)])


def test_compute_output_shapes():
    assert layers.Add().compute_output_shape([(None, 3, 4), (None, 1, 4)]) == (None, 3, 4)
    assert layers.Concatenate(axis=1).compute_output_shape([(None, 3, 4), (None, None, 4)]) == (None, None, 4)
    assert layers.Dot(axes=1).compute_output_shape([(None, 3), (None, 3)]) == (None, 1)
    assert layers.Dot(axes=(2, 2)).compute_output_shape([(None, 3, 4), (None, 5, 4)]) == (None, 3, 5)


def test_keras1_merge_function():
    a, b = _pair()
    ta, tb = torch.as_tensor(a), torch.as_tensor(b)
    np.testing.assert_allclose(layers.merge([ta, tb]).numpy(), a + b, atol=1e-6)
    np.testing.assert_allclose(layers.merge([ta, tb], mode="mul").numpy(), a * b, atol=1e-6)
    np.testing.assert_allclose(layers.merge([ta, tb], mode="ave").numpy(), (a + b) / 2, atol=1e-6)
    np.testing.assert_allclose(layers.merge([ta, tb], mode="max").numpy(), np.maximum(a, b), atol=1e-6)
    np.testing.assert_allclose(layers.merge([ta, tb], mode="concat", concat_axis=0).numpy(), np.concatenate([a, b]))
    np.testing.assert_allclose(layers.merge([ta, tb], mode="dot", dot_axes=1).numpy(),
                               (a * b).sum(1, keepdims=True), atol=1e-5)
    out = layers.merge([ta, tb], mode=lambda xs: xs[0] - xs[1], output_shape=(3,))
    np.testing.assert_allclose(out.numpy(), a - b, atol=1e-6)
    # Keras 1's cosine proximity, (batch, 1): the Merge layer's 'cos' too
    cos = layers.merge([ta, tb], mode="cos", dot_axes=1).numpy()
    expected = (a * b).sum(1) / np.sqrt((a * a).sum(1) * (b * b).sum(1))
    assert cos.shape == (len(a), 1)
    np.testing.assert_allclose(cos[:, 0], expected, atol=1e-5)
    with pytest.raises(ValueError, match="mode='median' is not supported"):
        layers.merge([ta, tb], mode="median")


def test_merge_layers_take_dict_values_as_tf_keras_2_did():
    # Machine Learning Crash Course: tf.keras.layers.Concatenate()(my_inputs.values())
    inputs = {"a": keraslite.Input((2,), name="a"), "b": keraslite.Input((3,), name="b")}
    merged = keraslite.layers.Concatenate()(inputs.values())
    assert tuple(merged.shape) == (None, 5)
    model = keraslite.Model(inputs, merged)
    out = model.predict({"a": np.ones((2, 2)), "b": np.zeros((2, 3))}, verbose=0)
    np.testing.assert_array_equal(out, [[1, 1, 0, 0, 0]] * 2)
