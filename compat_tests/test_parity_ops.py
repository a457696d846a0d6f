"""keraslite.ops against real keras.ops on the same inputs (values, shapes and dtypes)."""
import numpy as np
import pytest
import torch

import keraslite
from keraslite import ops

keras = pytest.importorskip("keras")
kops = keras.ops

R = np.random.default_rng(0)
A = R.standard_normal((3, 4)).astype("float32")
B = R.standard_normal((3, 4)).astype("float32")
P = (R.random((3, 4)) + 0.1).astype("float32")  # positive
M = R.standard_normal((4, 5)).astype("float32")
T3 = R.standard_normal((2, 3, 4)).astype("float32")
T3b = R.standard_normal((2, 4, 5)).astype("float32")
I = R.integers(0, 4, (3,)).astype("int32")
IDX = R.integers(0, 4, (3, 2)).astype("int32")
BOOL = A > 0

# (name, args, kwargs)
CASES = [
    ("add", (A, B), {}), ("add", (A, 2.0), {}), ("subtract", (A, B), {}), ("multiply", (A, B), {}),
    ("divide", (A, P), {}), ("true_divide", (A, P), {}), ("negative", (A,), {}), ("power", (P, 1.5), {}),
    ("power", (P, B), {}), ("mod", (A, 0.7), {}), ("matmul", (A, M), {}), ("matmul", (T3, T3b), {}),
    ("dot", (A, M), {}), ("dot", (T3, M), {}), ("einsum", ("ij,jk->ik", A, M), {}),
    ("relu", (A,), {}), ("sigmoid", (A,), {}), ("softmax", (A,), {}), ("softmax", (A,), {"axis": 0}),
    ("log_softmax", (A,), {}), ("tanh", (A,), {}), ("gelu", (A,), {}), ("gelu", (A,), {"approximate": False}),
    ("silu", (A,), {}), ("elu", (A,), {}), ("elu", (A,), {"alpha": 0.5}),
    ("sum", (A,), {}), ("sum", (A,), {"axis": 1}), ("sum", (T3,), {"axis": (0, 2), "keepdims": True}),
    ("mean", (A,), {}), ("mean", (T3,), {"axis": -1, "keepdims": True}), ("max", (A,), {"axis": 0}),
    ("max", (A,), {}), ("min", (T3,), {"axis": (1, 2)}), ("prod", (P,), {"axis": 1}), ("prod", (P,), {}),
    ("std", (A,), {"axis": 1}), ("var", (A,), {}), ("var", (T3,), {"axis": 1, "keepdims": True}),
    ("argmax", (A,), {"axis": 1}), ("argmax", (A,), {}), ("argmin", (A,), {"axis": 0}),
    ("cumsum", (A,), {"axis": 1}), ("cumsum", (A,), {}),
    ("concatenate", ([A, B],), {}), ("concatenate", ([A, B],), {"axis": 1}), ("stack", ([A, B],), {}),
    ("stack", ([A, B],), {"axis": -1}), ("reshape", (A, (2, 6)), {}), ("reshape", (A, (-1,)), {}),
    ("transpose", (T3,), {}), ("transpose", (T3, (0, 2, 1)), {}), ("expand_dims", (A, 1), {}),
    ("expand_dims", (A, -1), {}), ("squeeze", (A[:, :1],), {}), ("squeeze", (A[:1],), {"axis": 0}),
    ("square", (A,), {}), ("sqrt", (P,), {}), ("rsqrt", (P,), {}), ("exp", (A,), {}), ("log", (P,), {}),
    ("log1p", (P,), {}), ("abs", (A,), {}), ("absolute", (A,), {}), ("sign", (A,), {}),
    ("clip", (A, -0.5, 0.5), {}), ("where", (BOOL, A, B), {}), ("where", (BOOL, A, 0.0), {}),
    ("maximum", (A, B), {}), ("maximum", (A, 0.0), {}), ("minimum", (A, B), {}),
    ("equal", (A, A), {}), ("not_equal", (A, B), {}), ("greater", (A, B), {}), ("greater_equal", (A, 0.0), {}),
    ("less", (A, B), {}), ("less_equal", (A, B), {}), ("logical_and", (A > 0, B > 0), {}),
    ("logical_or", (A > 0, B > 0), {}), ("logical_not", (BOOL,), {}),
    ("cast", (A, "int32"), {}), ("cast", (I, "float32"), {}), ("shape", (T3,), {}),
    ("ones_like", (A,), {}), ("zeros_like", (A,), {}),
    ("one_hot", (I, 5), {}), ("top_k", (A, 2), {}), ("sort", (A,), {}), ("sort", (A,), {"axis": 0}),
    ("argsort", (A,), {}), ("tile", (A, (2, 1)), {}), ("tile", (A, 2), {}), ("repeat", (A, 2), {}),
    ("repeat", (A, 2), {"axis": 1}), ("split", (A, 2), {"axis": 1}), ("split", (A, [1, 2]), {}),
    ("take", (A, I), {"axis": 1}), ("take", (A, I), {}), ("take_along_axis", (A, IDX), {"axis": 1}),
    ("pad", (A, ((1, 1), (0, 2))), {}), ("pad", (A, ((1, 1), (2, 0))), {"constant_values": 3.0}),
    ("pad", (A, ((1, 1), (2, 2))), {"mode": "reflect"}), ("flip", (A,), {}), ("flip", (A,), {"axis": 1}),
    ("roll", (A, 1), {}), ("roll", (A, -1), {"axis": 0}), ("norm", (A,), {}), ("norm", (A,), {"axis": 1}),
    ("norm", (A,), {"ord": 1, "axis": 0}), ("erf", (A,), {}), ("floor", (A,), {}), ("ceil", (A,), {}),
    ("round", (A * 3,), {}), ("any", (BOOL,), {"axis": 0}), ("all", (BOOL,), {}), ("isnan", (A,), {}),
    ("isinf", (A,), {}), ("slice", (A, (1, 1), (2, 2)), {}), ("stop_gradient", (torch.as_tensor(A),), {}),
    ("moments", (T3, (0, 1)), {}), ("moments", (T3, [2]), {"keepdims": True}),
    ("convert_to_tensor", (A,), {}), ("convert_to_numpy", (A,), {}),
]

CREATION = [
    ("ones", ((2, 3),), {}), ("zeros", ((2, 3),), {"dtype": "int32"}), ("full", ((2, 2), 7.0), {}),
    ("eye", (3,), {}), ("eye", (3, 4), {"k": 1}), ("arange", (5,), {}), ("arange", (1, 7, 2), {}),
    ("arange", (0.0, 1.0, 0.25), {}), ("linspace", (0.0, 1.0, 5), {}),
    ("linspace", (0.0, 1.0, 4), {"endpoint": False}),
]


def _np(x):
    if isinstance(x, (list, tuple)):
        return [_np(v) for v in x]
    if isinstance(x, torch.Tensor):
        return x.detach().cpu().numpy()
    return np.asarray(x)


def _dtype(x):
    return str(x.dtype).replace("torch.", "") if hasattr(x, "dtype") else type(x).__name__


def _compare(name, k_out, l_out, check_dtype=True):
    if isinstance(k_out, (list, tuple)) and not (name == "shape"):
        assert isinstance(l_out, (list, tuple)) and len(l_out) == len(k_out), name
        for a, b in zip(l_out, k_out):
            _compare(name, b, a, check_dtype)
        return
    if name == "shape":
        assert tuple(l_out) == tuple(k_out)
        return
    k_np, l_np = _np(k_out), _np(l_out)
    assert l_np.shape == k_np.shape, f"{name}: shape {l_np.shape} != Keras {k_np.shape}"
    if check_dtype:
        assert _dtype(l_out) == _dtype(k_out), f"{name}: dtype {_dtype(l_out)} != Keras {_dtype(k_out)}"
    np.testing.assert_allclose(l_np.astype("float64"), k_np.astype("float64"), atol=1e-5, rtol=1e-5, err_msg=name)


def _ids(cases):
    return [f"{n}-{i}" for i, (n, _, _) in enumerate(cases)]


@pytest.mark.parametrize("name,args,kwargs", CASES, ids=_ids(CASES))
def test_op_matches_keras(name, args, kwargs):
    k_out = getattr(kops, name)(*args, **kwargs)
    l_out = getattr(ops, name)(*args, **kwargs)
    _compare(name, k_out, l_out, check_dtype=name not in ("convert_to_numpy",))


@pytest.mark.parametrize("name,args,kwargs", CREATION, ids=_ids(CREATION))
def test_creation_op_matches_keras(name, args, kwargs):
    _compare(name, getattr(kops, name)(*args, **kwargs), getattr(ops, name)(*args, **kwargs))


@pytest.mark.parametrize("name,args,kwargs", [c for c in CASES if c[0] in ("add", "sum", "mean", "square", "sqrt",
                                                                             "exp", "concatenate", "matmul")],
                         ids=lambda v: str(v)[:20])
def test_ops_accept_torch_tensors(name, args, kwargs):
    t_args = [torch.as_tensor(a) if isinstance(a, np.ndarray) else
              [torch.as_tensor(v) for v in a] if isinstance(a, list) else a for a in args]
    _compare(name, getattr(kops, name)(*args, **kwargs), getattr(ops, name)(*t_args, **kwargs))


def test_python_lists_and_scalars_convert_like_keras():
    for name, args in [("sum", ([1.0, 2.0, 3.0],)), ("add", ([1, 2], 3)), ("multiply", (2.0, [1.0, 4.0])),
                       ("convert_to_tensor", ([1, 2, 3],)), ("convert_to_tensor", ([1.5, 2.0],))]:
        _compare(name, getattr(kops, name)(*args), getattr(ops, name)(*args))


def test_keras2_backend_spellings():
    K = keraslite.backend
    x = A
    np.testing.assert_allclose(_np(K.sum(x, axis=1, keepdims=True)), x.sum(axis=1, keepdims=True), rtol=1e-6)
    np.testing.assert_allclose(_np(K.mean(K.square(x), axis=-1)), (x ** 2).mean(-1), rtol=1e-6)
    np.testing.assert_allclose(_np(K.sqrt(K.clip(x, K.epsilon(), None))), np.sqrt(np.clip(x, 1e-7, None)), rtol=1e-6)
    assert K.floatx() == "float32" and K.epsilon() == 1e-7
    assert K.int_shape(torch.zeros(2, 3)) == (2, 3)
    assert _np(K.cast(x, "int32")).dtype == np.int32
    v = K.variable(np.ones((2, 2)))
    assert v.requires_grad and tuple(v.shape) == (2, 2)
    c = K.constant(2.0, shape=(2, 3))
    assert tuple(c.shape) == (2, 3) and float(c[0, 0]) == 2.0


def test_l2_normalize_matches_keras_normalize():
    np.testing.assert_allclose(_np(ops.l2_normalize(A, axis=1)), _np(kops.normalize(A, axis=1)), atol=1e-6)


def test_batch_dot_matches_keras2_definition():
    x, y = T3, T3b
    expected = np.einsum("bij,bjk->bik", x, y)
    np.testing.assert_allclose(_np(ops.batch_dot(x, y)), expected, atol=1e-5)
    u, w = A, B
    np.testing.assert_allclose(_np(ops.batch_dot(u, w, axes=1)), (u * w).sum(1, keepdims=True), atol=1e-5)


def test_clip_bounds_beyond_the_dtype_range_act_as_infinity():
    # IIC's loss: K.clip(P, K.epsilon(), np.finfo(float).max) on float32 probabilities.
    x = np.array([[0.0, 0.5], [np.inf, 3e38]], dtype="float32")
    for lo, hi in [(1e-7, np.finfo(float).max), (-np.finfo(float).max, 0.25), (-1e300, 1e300)]:
        _compare("clip", kops.clip(x, lo, hi), ops.clip(x, lo, hi))
