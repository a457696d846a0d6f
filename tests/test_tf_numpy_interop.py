"""Under the tensorflow shim, tensors answer numpy the way TF's eager tensors do: numpy's
reductions and `.numpy()` work on tensors that track gradients; torch's own methods are
unchanged."""
import numpy as np
import pytest
import torch

import keraslite.compat.tensorflow_shim as tf


@pytest.mark.parametrize("name", ["min", "max", "mean", "sum", "std", "var", "prod", "any", "all"])
def test_numpy_reductions_on_tensors(name):
    values = np.array([[1.0, 5.0, 2.0], [3.0, 2.0, 0.5]], dtype="float32")
    t = torch.tensor(values, requires_grad=True)
    np.testing.assert_allclose(getattr(np, name)(t), getattr(np, name)(values), rtol=1e-6)
    np.testing.assert_allclose(getattr(np, name)(t, axis=0), getattr(np, name)(values, axis=0), rtol=1e-6)
    np.testing.assert_allclose(getattr(np, name)(t, axis=1, keepdims=True),
                               getattr(np, name)(values, axis=1, keepdims=True), rtol=1e-6)


def test_torch_methods_keep_their_meaning():
    t = torch.tensor([[1.0, 5.0], [3.0, 2.0]])
    assert t.sum().item() == 11.0
    assert torch.equal(t.max(dim=0).values, torch.tensor([3.0, 5.0]))
    assert torch.equal(t.mean(1), torch.tensor([3.0, 2.5]))
    assert t.min(0, keepdim=True).values.shape == (1, 2)


def test_layer_output_like_tf_tutorial():
    import keraslite

    rescale = keraslite.layers.Rescaling(1.0 / 255)
    image = rescale(torch.full((1, 2, 2, 3), 255.0))
    assert np.min(image) == 1.0 and np.max(image) == 1.0
    assert float(np.mean(tf.nn.softmax(torch.tensor([[1.0, 2.0]])))) == pytest.approx(0.5)


def test_zeros_ones_take_an_int_list_tuple_or_tensor_shape():
    from keraslite.compat import tensorflow_shim as tf

    np.testing.assert_array_equal(tf.ones(3).numpy(), np.ones(3, np.float32))
    assert tuple(tf.zeros(np.int64(2)).shape) == (2,)
    assert tuple(tf.zeros([2, 3]).shape) == (2, 3) and tuple(tf.ones((4,), dtype=tf.int32).shape) == (4,)
    assert tf.ones((4,), dtype=tf.int32).dtype == torch.int32
    assert tuple(tf.zeros(tf.shape(np.zeros((3, 5)))).shape) == (3, 5)
    assert tuple(tf.ones(np.array([1, 2])).shape) == (1, 2)
    assert tuple(tf.zeros(()).shape) == ()


def test_numpy_functions_on_tensors_give_numpy_like_tf():
    t = torch.tensor([[0.1, 0.9, 0.3], [0.8, 0.1, 0.2]])
    index = np.argmax(t[0, :])
    assert isinstance(index, np.integer) and index == 1
    assert {1: "word"}[np.argmax(t[0])] == "word"  # a numpy int is a usable dict key; a tensor is not
    assert np.argmax(t, axis=-1).tolist() == [1, 0] and isinstance(np.argmax(t, axis=-1), np.ndarray)
    assert np.argmin(t, axis=1).tolist() == [0, 1]
    flat = np.reshape(t, [-1])
    assert isinstance(flat, np.ndarray) and flat.shape == (6,)
    assert isinstance(np.exp(t), np.ndarray)


@pytest.mark.parametrize("name, args", [("squeeze", ()), ("clip", (0.0, 1.0)), ("round", (1,)), ("around", (1,)),
                                        ("nonzero", ()), ("swapaxes", (0, 1))])
def test_numpy_functions_that_call_the_method_of_the_same_name_give_numpy(name, args):
    # np.squeeze(t) is t.squeeze() inside numpy: a torch tensor unless the shim steps in (the
    # actor-critic example's np.random.choice(n, p=np.squeeze(probs)) then rejects the sum).
    values = np.array([[0.0, 1.26, -0.5]], dtype="float32")
    t = torch.tensor(values, requires_grad=True)
    got, want = getattr(np, name)(t, *args), getattr(np, name)(values, *args)
    if name == "nonzero":
        assert isinstance(got, tuple) and all(isinstance(g, np.ndarray) for g in got)
        for g, w in zip(got, want):
            np.testing.assert_array_equal(g, w)
    else:
        assert isinstance(got, np.ndarray) and got.dtype == np.float32
        np.testing.assert_allclose(got, want)
    assert torch.equal(t.detach().squeeze(), torch.tensor(values[0]))  # torch's method is unchanged


def test_boolean_numpy_results_mask_rather_than_index():
    labels = torch.tensor([[2, 0, 3], [1, 0, 0]])
    predictions = np.array([[1, 1, 0], [2, 0, 1]])
    mask = (np.reshape(labels, [-1]) > 0) & (np.reshape(predictions, [-1]) > 0)
    assert mask.dtype == bool
    assert np.reshape(predictions, [-1])[mask].tolist() == [1, 2]
    assert np.reshape(labels, [-1])[mask].tolist() == [2, 1]


def test_reshape_and_transpose_take_tensorflows_argument_names():
    t = torch.arange(6)
    assert tuple(tf.reshape(t, shape=[1, -1]).shape) == (1, 6)
    assert tuple(tf.reshape(tensor=t, shape=(3, 2)).shape) == (3, 2)
    m = torch.arange(6).reshape(2, 3)
    assert torch.equal(tf.transpose(m, perm=[1, 0]), m.T)
    assert torch.equal(tf.transpose(a=m), m.T)
