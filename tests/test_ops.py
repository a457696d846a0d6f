"""keraslite.ops on torch tensors: values against numpy, Keras argument conventions,
conversion of numpy/lists/scalars, symbolic use in functional models, and errors.
(Every op is also checked against real keras.ops in compat_tests/test_parity_ops.py.)"""
import numpy as np
import pytest
import torch

import keraslite
from keraslite import ops

X = np.random.default_rng(0).standard_normal((3, 4)).astype("float32")


def _np(t):
    return t.detach().cpu().numpy() if isinstance(t, torch.Tensor) else np.asarray(t)


@pytest.mark.parametrize("name,reference", [
    ("sum", lambda x: x.sum()), ("mean", lambda x: x.mean()), ("max", lambda x: x.max()),
    ("min", lambda x: x.min()), ("std", lambda x: x.std()), ("var", lambda x: x.var()),
    ("square", np.square), ("abs", np.abs), ("exp", np.exp), ("sign", np.sign), ("floor", np.floor),
    ("cumsum", lambda x: np.cumsum(x)), ("transpose", np.transpose), ("flip", lambda x: np.flip(x)),
    ("sort", lambda x: np.sort(x, axis=-1)), ("argmax", lambda x: np.argmax(x)),
])
def test_unary_ops_match_numpy(name, reference):
    np.testing.assert_allclose(_np(getattr(ops, name)(X)), reference(X), rtol=1e-5, atol=1e-6)


def test_axis_and_keepdims():
    assert ops.sum(X, axis=1).shape == (3,)
    assert ops.sum(X, axis=1, keepdims=True).shape == (3, 1)
    assert ops.mean(X, axis=(0, 1), keepdims=True).shape == (1, 1)
    assert ops.max(X, keepdims=True).shape == (1, 1)
    np.testing.assert_allclose(_np(ops.prod(X, axis=0)), X.prod(0), rtol=1e-5)
    np.testing.assert_allclose(_np(ops.std(X, axis=0)), X.std(0), rtol=1e-5)  # population std, as Keras


def test_conversions():
    assert ops.convert_to_tensor([1, 2]).dtype == torch.int32
    assert ops.convert_to_tensor([1.0, 2.0]).dtype == torch.float32
    assert ops.convert_to_tensor(np.zeros(2, "float64")).dtype == torch.float64
    assert ops.add(torch.ones(2, dtype=torch.int32), 1.5).dtype == torch.float32
    assert ops.cast(X, "float16").dtype == torch.float16
    assert isinstance(ops.convert_to_numpy(torch.ones(2)), np.ndarray)
    assert ops.shape(torch.zeros(2, 3)) == (2, 3)
    assert ops.argmax(X, axis=1).dtype == torch.int32


def test_creation():
    assert ops.ones((2, 3)).dtype == torch.float32
    assert ops.arange(5).dtype == torch.int32
    np.testing.assert_allclose(_np(ops.linspace(0, 1, 5)), np.linspace(0, 1, 5), rtol=1e-6)
    np.testing.assert_array_equal(_np(ops.eye(3, k=1)), np.eye(3, k=1))
    np.testing.assert_array_equal(_np(ops.one_hot(np.array([0, 2]), 3)), np.eye(3)[[0, 2]])


def test_structure_ops():
    parts = ops.split(X, 2, axis=1)
    assert [p.shape for p in parts] == [(3, 2), (3, 2)]
    np.testing.assert_array_equal(_np(ops.concatenate(parts, axis=1)), X)
    np.testing.assert_array_equal(_np(ops.take(X, [2, 0], axis=1)), X[:, [2, 0]])
    np.testing.assert_array_equal(_np(ops.pad(X, ((1, 0), (0, 2)))), np.pad(X, ((1, 0), (0, 2))))
    np.testing.assert_array_equal(_np(ops.tile(X, (1, 2))), np.tile(X, (1, 2)))
    np.testing.assert_array_equal(_np(ops.repeat(X, 2, axis=0)), np.repeat(X, 2, axis=0))
    values, indices = ops.top_k(X, 2)
    np.testing.assert_array_equal(_np(values), -np.sort(-X, axis=-1)[:, :2])
    mean, var = ops.moments(X, axes=[0])
    np.testing.assert_allclose(_np(mean), X.mean(0), rtol=1e-5)
    np.testing.assert_allclose(_np(var), X.var(0), rtol=1e-5)


def test_gradients_flow_through_ops():
    w = torch.ones(4, requires_grad=True)
    loss = ops.sum(ops.square(ops.multiply(torch.as_tensor(X), w)))
    loss.backward()
    np.testing.assert_allclose(w.grad.numpy(), (2 * X ** 2).sum(0), rtol=1e-5)
    assert not ops.stop_gradient(w).requires_grad


def test_ops_on_symbolic_tensors_make_a_serializable_graph():
    inp = keraslite.Input((4,))
    out = ops.mean(ops.square(inp), axis=-1, keepdims=True)
    model = keraslite.Model(inp, out)
    np.testing.assert_allclose(_np(model(X)), (X ** 2).mean(-1, keepdims=True), rtol=1e-5)
    clone = keraslite.Model.from_config(model.get_config())
    np.testing.assert_allclose(_np(clone(X)), (X ** 2).mean(-1, keepdims=True), rtol=1e-5)


def test_backend_serves_ops_and_settings():
    K = keraslite.backend
    assert K.epsilon() == 1e-7 and K.floatx() == "float32"
    np.testing.assert_allclose(_np(K.sum(X, axis=-1)), X.sum(-1), rtol=1e-5)
    np.testing.assert_allclose(_np(K.l2_normalize(X, axis=1)), X / np.linalg.norm(X, axis=1, keepdims=True),
                               rtol=1e-5)


def test_keras2_helpers():
    K = keraslite.backend
    np.testing.assert_array_equal(_np(K.gather(X, [2, 0])), X[[2, 0]])
    np.testing.assert_array_equal(_np(K.switch(X > 0, X, 0.0)), np.where(X > 0, X, 0.0))
    np.testing.assert_array_equal(K.eval(torch.ones(2)), np.ones(2))
    assert K.expand_dims(torch.ones(2, 3)).shape == (2, 3, 1)
    assert K.batch_flatten(torch.ones(2, 3, 4)).shape == (2, 12)
    assert K.permute_dimensions(torch.ones(2, 3, 4), (0, 2, 1)).shape == (2, 4, 3)
    assert K.count_params(torch.ones(2, 3)) == 6


def test_errors():
    with pytest.raises(ValueError, match="equal sections"):
        ops.split(X, 3, axis=1)
    with pytest.raises(ValueError, match="squeeze axis 1"):
        ops.squeeze(X, axis=1)
    with pytest.raises(ValueError, match="both"):
        ops.where(X > 0, X)
    with pytest.raises(TypeError, match="symbolic"):
        ops.variable(keraslite.Input((2,)))  # a variable needs values; a symbolic tensor has none
    symbolic = keraslite.Input((2,))
    assert ops.convert_to_tensor(symbolic) is symbolic  # Keras 3 keeps it symbolic


def test_random_tensors_are_made_on_the_model_device():
    # a VAE's sampling Lambda adds K.random_normal(...) to z_mean, which lives on that device
    from keraslite import backend, ops as ops_mod

    previous = backend.get_device()
    backend.set_device("meta")
    try:
        assert ops_mod.random_normal((2, 3)).device.type == "meta"
        assert ops_mod.random_uniform((2, 3)).device.type == "meta"
    finally:
        backend.set_device(previous)


def test_elementwise_crossentropies_on_symbolic_tensors():
    import keraslite
    from keraslite import ops as ops_mod

    target, output = keraslite.Input((4,)), keraslite.Input((4,))
    assert ops_mod.binary_crossentropy(target, output).shape == (None, 4)
    assert ops_mod.categorical_crossentropy(target, output).shape == (None,)


def test_convert_to_tensor_keeps_text_as_numpy_strings():
    # keras.io's end-to-end text models call a string-input model on convert_to_tensor([[text]]).
    text = ops.convert_to_tensor([["the cat sat"], ["on the mat"]])
    assert isinstance(text, np.ndarray) and text.shape == (2, 1)
    assert text.numpy().tolist() == [[b"the cat sat"], [b"on the mat"]]
    vectorize = keraslite.layers.TextVectorization(vocabulary=["the", "cat", "sat"], output_sequence_length=3)
    inputs = keraslite.Input(shape=(1,), dtype="string")
    model = keraslite.Model(inputs, vectorize(inputs))
    assert model(text).tolist() == [[2, 3, 4], [1, 2, 1]]
    assert ops.convert_to_tensor("word").shape == ()
    with pytest.raises((TypeError, ValueError)):
        ops.convert_to_tensor(["a", "b"], dtype="float32")


def test_max_and_min_over_no_entries_give_the_identity():
    # TensorFlow's (and Keras 2's K.max) identity for an empty reduction: a YOLO loss takes the
    # best IoU over an image's boxes, and an image with no boxes has an empty axis there.
    from keraslite import backend as K

    empty = np.zeros((4, 0), "float32")
    np.testing.assert_array_equal(ops.max(empty, axis=-1).numpy(), np.full(4, -np.inf, "float32"))
    np.testing.assert_array_equal(ops.min(empty, axis=1, keepdims=True).numpy(), np.full((4, 1), np.inf))
    np.testing.assert_array_equal(K.eval(K.max(K.constant(empty), axis=-1)), np.full(4, -np.inf))
    assert ops.max(empty).shape == () and float(ops.max(empty)) == -np.inf
    assert ops.max(empty, keepdims=True).shape == (1, 1)
    assert ops.max(empty, axis=0).shape == (0,)  # an axis that is not empty reduces as usual
    assert int(ops.max(np.zeros((0,), "int32"))) == np.iinfo("int32").min
    assert int(ops.min(np.zeros((2, 0), "uint8"), axis=1)[0]) == 255
    assert ops.max(np.zeros((0,), bool)).item() is False
    # An explicit initial still bounds the result, empty or not.
    np.testing.assert_array_equal(ops.max(empty, axis=-1, initial=0.0).numpy(), np.zeros(4))
    np.testing.assert_array_equal(ops.max(np.array([[-2.0, -1.0]]), axis=-1, initial=0.0).numpy(), [0.0])
    np.testing.assert_array_equal(ops.min(np.array([[2.0, 3.0]]), axis=1, initial=1.0).numpy(), [1.0])


def test_bfloat16_to_numpy_without_ml_dtypes_gives_float32(monkeypatch):
    import sys

    x = torch.tensor([1.5, -2.25], dtype=torch.bfloat16)
    monkeypatch.setitem(sys.modules, "ml_dtypes", None)  # as if it were not installed
    out = ops.convert_to_numpy(x)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, [1.5, -2.25])


def test_bfloat16_weight_to_numpy_is_in_its_keras_layout():
    conv = keraslite.layers.Conv2D(2, 3, dtype="bfloat16")
    conv.build((None, 5, 5, 1))
    out = ops.convert_to_numpy(conv.kernel)
    assert out.shape == (3, 3, 1, 2) and out.dtype.name in ("bfloat16", "float32")


def test_mixed_dtype_products_and_scalar_maximum_on_symbolic_tensors():
    x = keraslite.Input(shape=(4,), batch_size=3, dtype="int32")
    w = np.ones((4, 2), "float32")
    model = keraslite.Model(x, [ops.matmul(x, w), ops.maximum(x, 1.5)])
    data = np.arange(12, dtype="int32").reshape(3, 4)
    product, biggest = model(data)
    assert product.dtype == torch.float32 and biggest.dtype == torch.float32
    np.testing.assert_array_equal(_np(product), data.astype("float32") @ w)
    np.testing.assert_array_equal(_np(biggest), np.maximum(data, 1.5))
