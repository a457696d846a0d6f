"""Merge layers and their functional forms vs real Keras 3 (torch backend)."""
import numpy as np
import pytest
import torch

from compat_tests.conftest import keras
from compat_tests.parity import assert_close, layer_parity, to_numpy
import keraslite
from keraslite import layers


def _xs(*shapes, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(s).astype("float32") for s in shapes]


ELEMENTWISE = ["Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum"]


@pytest.mark.parametrize("name", ELEMENTWISE)
@pytest.mark.parametrize("shapes", [[(2, 3), (2, 3)], [(2, 3, 4), (2, 1, 4)], [(2, 3, 4), (2, 4)]],
                         ids=["same", "broadcast", "rank_expand"])
def test_elementwise(name, shapes):
    layer_parity(getattr(keras.layers, name)(), getattr(layers, name)(), _xs(*shapes))


@pytest.mark.parametrize("name", ["Add", "Multiply", "Average", "Maximum", "Minimum"])
def test_elementwise_three_inputs(name):
    layer_parity(getattr(keras.layers, name)(), getattr(layers, name)(), _xs((2, 3), (2, 3), (2, 3)))


@pytest.mark.parametrize("name", ["add", "subtract", "multiply", "average", "maximum", "minimum"])
def test_functional_forms(name):
    xs = _xs((2, 3), (2, 3))
    k = getattr(keras.layers, name)([torch.as_tensor(x) for x in xs])
    lite = getattr(layers, name)([torch.as_tensor(x) for x in xs])
    assert_close(to_numpy(lite), to_numpy(k), atol=1e-6)


def test_functional_concatenate_and_dot():
    xs = _xs((2, 3, 4), (2, 3, 4))
    t = [torch.as_tensor(x) for x in xs]
    assert_close(to_numpy(layers.concatenate(t, axis=1)), to_numpy(keras.layers.concatenate(t, axis=1)))
    assert_close(to_numpy(layers.dot(t, axes=2)), to_numpy(keras.layers.dot(t, axes=2)), atol=1e-5)
    assert_close(to_numpy(layers.dot(t, axes=(1, 1), normalize=True)),
                 to_numpy(keras.layers.dot(t, axes=(1, 1), normalize=True)), atol=1e-5)


@pytest.mark.parametrize("axis,shapes", [(-1, [(2, 3), (2, 4)]), (1, [(2, 3, 4), (2, 2, 4)]),
                                         (-1, [(2, 3, 4), (2, 3, 1), (2, 3, 2)]), (2, [(2, 3, 4), (2, 3, 5)])])
def test_concatenate(axis, shapes):
    layer_parity(keras.layers.Concatenate(axis=axis), layers.Concatenate(axis=axis), _xs(*shapes))


@pytest.mark.parametrize("axes,normalize,shapes", [
    (1, False, [(2, 3), (2, 3)]), (-1, True, [(2, 3), (2, 3)]), ((2, 2), False, [(2, 3, 4), (2, 5, 4)]),
    ((1, 1), True, [(2, 3, 4), (2, 3, 5)]), ((2, 1), False, [(2, 3, 4), (2, 4, 5)]),
    ((1, 2), True, [(2, 4), (2, 3, 4)]), ((2, 1), False, [(2, 3, 4), (2, 4)]),
    (-1, False, [(2, 2, 3, 4), (2, 5, 4)])])
def test_dot(axes, normalize, shapes):
    layer_parity(keras.layers.Dot(axes=axes, normalize=normalize), layers.Dot(axes=axes, normalize=normalize),
                 _xs(*shapes))
    k_shape = keras.layers.Dot(axes=axes).compute_output_shape([(None,) + s[1:] for s in shapes])
    l_shape = layers.Dot(axes=axes).compute_output_shape([(None,) + s[1:] for s in shapes])
    assert tuple(l_shape) == tuple(k_shape)


def _masked(xs, masks):
    out = []
    for x, m in zip(xs, masks):
        t = torch.as_tensor(x)
        if m is not None:
            t._keras_mask = torch.as_tensor(np.asarray(m, bool))
        out.append(t)
    return out


MASKS = [[[1, 0, 1], [0, 0, 1]], [[1, 1, 0], [0, 1, 0]]]


@pytest.mark.parametrize("name", ELEMENTWISE + ["Concatenate"])
@pytest.mark.parametrize("which", ["both", "first"])
def test_masked_inputs(name, which):
    xs = _xs((2, 3, 2), (2, 3, 2))
    masks = MASKS if which == "both" else [MASKS[0], None]
    k_out = getattr(keras.layers, name)()(_masked(xs, masks))
    l_out = getattr(layers, name)()(_masked(xs, masks))
    assert_close(to_numpy(l_out), to_numpy(k_out), atol=1e-6)
    k_mask, l_mask = getattr(k_out, "_keras_mask", None), getattr(l_out, "_keras_mask", None)
    assert (k_mask is None) == (l_mask is None), (k_mask, l_mask)
    if k_mask is not None:
        np.testing.assert_array_equal(to_numpy(l_mask), to_numpy(k_mask))


def test_concatenate_mask_along_time():
    xs = _xs((2, 3, 2), (2, 2, 2))
    masks = [MASKS[0], None]
    k_out = keras.layers.Concatenate(axis=1)(_masked(xs, masks))
    l_out = layers.Concatenate(axis=1)(_masked(xs, masks))
    np.testing.assert_array_equal(to_numpy(l_out._keras_mask), to_numpy(k_out._keras_mask))


@pytest.mark.parametrize("name,kwargs", [("Add", {}), ("Concatenate", {"axis": 1}), ("Dot", {"axes": [1, 2]}),
                                         ("Dot", {"axes": 1, "normalize": True})])
def test_config_matches_keras(name, kwargs):
    k_cfg = getattr(keras.layers, name)(**kwargs).get_config()
    l_cfg = getattr(layers, name)(**kwargs).get_config()
    assert set(k_cfg) <= set(l_cfg)
    for key in set(k_cfg) - {"name", "dtype"}:
        assert l_cfg[key] == k_cfg[key], key


@pytest.mark.parametrize("shapes", [[(300,), (300,)], [(3, 4), (3, 4)], [(3, 4), (3, 5)]])
def test_dot_over_batch_axis_builds_and_fails_on_data(shapes):
    # Keras builds Dot(axes=0) on functional inputs (Keras 2 skip-gram programs only build and
    # compile such a model) and refuses only when the layer runs on data.
    k_out = keras.layers.Dot(axes=0)([keras.Input(s) for s in shapes])
    lite_out = layers.Dot(axes=0)([keraslite.Input(s) for s in shapes])
    assert tuple(lite_out.shape) == tuple(k_out.shape)
    xs = [torch.as_tensor(x) for x in _xs(*[(2,) + s for s in shapes])]
    with pytest.raises(ValueError, match="batch"):
        keras.layers.Dot(axes=0)(xs)
    with pytest.raises(ValueError, match="batch axis 0"):
        layers.Dot(axes=0)(xs)
