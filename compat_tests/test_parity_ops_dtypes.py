"""keraslite.ops against real keras.ops over input dtypes: mixed-dtype arithmetic and matrix
products, bool and integer inputs, bfloat16 to numpy, and the dtype ops.full picks.

64-bit inputs are left out: Keras's torch backend demotes float64 / int64 in some ops
(matmul, bincount, maximum with a numpy float64 array) but not in others (add), and keraslite
keeps torch's promotion there."""
import numpy as np
import pytest
import torch

from keraslite import ops

keras = pytest.importorskip("keras")
kops = keras.ops

DTYPES = ["bool", "int8", "uint8", "int16", "int32", "float16", "bfloat16", "float32"]


def _typed(dtype, seed=0, shape=(3, 4)):
    rng = np.random.default_rng(seed)
    if dtype == "bool":
        return torch.as_tensor(rng.random(shape) > 0.5)
    if "int" in dtype:
        return torch.as_tensor(rng.integers(1, 5, shape)).to(getattr(torch, dtype))
    return torch.as_tensor(rng.random(shape) * 0.8 + 0.1).to(getattr(torch, dtype))


def _numpy(x):
    x = x.detach() if isinstance(x, torch.Tensor) else torch.as_tensor(x)
    return (x.float() if x.dtype == torch.bfloat16 else x).cpu().numpy()


def _same(label, k_out, l_out):
    assert l_out.dtype == k_out.dtype, f"{label}: dtype {l_out.dtype} != Keras {k_out.dtype}"
    assert tuple(l_out.shape) == tuple(k_out.shape), f"{label}: shape {tuple(l_out.shape)} != Keras {tuple(k_out.shape)}"
    low = k_out.dtype in (torch.float16, torch.bfloat16)
    np.testing.assert_allclose(_numpy(l_out).astype("float64"), _numpy(k_out).astype("float64"),
                               rtol=2e-2 if low else 1e-5, atol=2e-2 if low else 1e-6, err_msg=label)


def _pairs(scalars):
    pairs = [(_typed(a, 0), _typed(b, 1)) for a in DTYPES for b in DTYPES]
    return pairs + [(_typed(a), s) for a in DTYPES for s in scalars] + [(s, _typed(a)) for a in DTYPES for s in scalars]


def _label(name, *args):
    return f"{name}({', '.join(str(getattr(a, 'dtype', a)) for a in args)})"


@pytest.mark.parametrize("name", ["maximum", "minimum", "subtract", "mod", "add", "multiply"])
def test_elementwise_result_dtypes_match_keras(name):
    scalars = (2, 1.5, -1, True)
    checked = 0
    for x1, x2 in _pairs(scalars):
        try:
            k_out = getattr(kops, name)(x1, x2)
        except Exception:  # Keras refuses it too (bool - bool) or has no kernel
            continue
        if name in ("add", "multiply") and _is_bool_and_int(x1, x2):
            continue  # torch's own promotion in Keras too, but bool with a Python int: int64 vs keraslite's
        _same(_label(name, x1, x2), k_out, getattr(ops, name)(x1, x2))
        checked += 1
    assert checked > 60


def _is_bool_and_int(x1, x2):
    def is_bool(x):
        return getattr(x, "dtype", None) == torch.bool
    return (is_bool(x1) and type(x2) is int) or (is_bool(x2) and type(x1) is int)


def test_maximum_and_minimum_with_a_python_number_promote_instead_of_truncating():
    t = torch.tensor([1, 3], dtype=torch.int32)
    b = torch.tensor([True, False])
    for name, args in [("maximum", (t, 1.5)), ("minimum", (t, 1.5)), ("maximum", (1.5, t)), ("minimum", (1.5, t)),
                       ("maximum", (b, 2)), ("minimum", (b, -1)), ("maximum", (np.array([1, 3], "int32"), 1.5))]:
        _same(_label(name, *args), getattr(kops, name)(*args), getattr(ops, name)(*args))
    np.testing.assert_array_equal(ops.maximum(t, 1.5).numpy(), [1.5, 3.0])
    np.testing.assert_array_equal(ops.minimum(b, -1).numpy(), [-1, -1])


@pytest.mark.parametrize("name", ["matmul", "dot"])
def test_matrix_products_of_mixed_dtypes_match_keras(name):
    for a in DTYPES:
        for b in DTYPES:
            x1, x2 = _typed(a, 0, (3, 4)), _typed(b, 1, (4, 2))
            _same(_label(name, x1, x2), getattr(kops, name)(x1, x2), getattr(ops, name)(x1, x2))


@pytest.mark.parametrize("shapes", [((4,), (4, 2)), ((3, 4), (4,)), ((2, 3, 4), (4, 2)), ((), (4, 2))])
def test_dot_of_other_ranks_with_mixed_dtypes_matches_keras(shapes):
    for a, b in [("int8", "int8"), ("bool", "bool"), ("int32", "float16"), ("float32", "int8")]:
        x1, x2 = _typed(a, 0, shapes[0]), _typed(b, 1, shapes[1])
        _same(_label("dot", x1, x2), kops.dot(x1, x2), ops.dot(x1, x2))


def test_matmul_of_a_numpy_array_and_a_tensor_of_another_float_dtype():
    x = np.random.default_rng(0).random((3, 4)).astype("float16")
    w = torch.ones(4, 2)
    _same("matmul(numpy float16, float32)", kops.matmul(x, w), ops.matmul(x, w))


def test_bfloat16_to_numpy_matches_keras():
    x = torch.tensor([[1.5, -2.25], [3.0, 0.1]], dtype=torch.bfloat16)
    k_out, l_out = kops.convert_to_numpy(x), ops.convert_to_numpy(x)
    assert l_out.dtype == k_out.dtype and l_out.dtype.name == "bfloat16"
    np.testing.assert_array_equal(l_out.astype("float32"), k_out.astype("float32"))
    back = ops.convert_to_tensor(l_out)  # the ml_dtypes array converts back to a bfloat16 tensor
    assert back.dtype == torch.bfloat16 and torch.equal(back, x)


@pytest.mark.parametrize("dtype", ["int8", "uint8", "int16", "int32"])
@pytest.mark.parametrize("decimals", [0, 1, -1, -2, -3])
def test_round_of_integers_matches_keras(dtype, decimals):
    values = [14, 26, 15, 25, 35, 45, 95, 105, 0, 120] + ([] if dtype == "uint8" else [-15, -25, -14, -105, -128])
    x = torch.tensor(values).to(getattr(torch, dtype))
    _same(f"round({dtype}, {decimals})", kops.round(x, decimals), ops.round(x, decimals))


def test_round_of_large_int32_values_rounds_half_to_even():
    x = torch.tensor([149, 150, 250, -150, 2_000_000_050, -2_000_000_150], dtype=torch.int32)
    np.testing.assert_array_equal(ops.round(x, -2).numpy(), [100, 200, 200, -200, 2_000_000_000, -2_000_000_200])


@pytest.mark.parametrize("call", [
    lambda o, b, i: o.abs(b), lambda o, b, i: o.absolute(b), lambda o, b, i: o.square(b),
    lambda o, b, i: o.clip(b, 0, 1), lambda o, b, i: o.clip(b, 0.0, 1.0), lambda o, b, i: o.clip(b, True, True),
    lambda o, b, i: o.mod(b, True), lambda o, b, i: o.mod(b, 2), lambda o, b, i: o.subtract(b, i),
    lambda o, b, i: o.subtract(i, b), lambda o, b, i: o.subtract(b, 1.5), lambda o, b, i: o.subtract(2, b),
    lambda o, b, i: o.subtract(i, True), lambda o, b, i: o.hard_tanh(i), lambda o, b, i: o.hard_tanh(i.to(torch.int8)),
    lambda o, b, i: o.hard_tanh(i.to(torch.float16)),
])
def test_bool_and_integer_inputs_match_keras(call):
    b = torch.tensor([True, False, True])
    i = torch.tensor([-3, 0, 2], dtype=torch.int32)
    _same("call", call(kops, b, i), call(ops, b, i))


def test_subtracting_two_bools_is_refused_as_in_keras():
    b = torch.tensor([True, False])
    with pytest.raises(RuntimeError):
        kops.subtract(b, b)
    with pytest.raises(RuntimeError, match="bool"):
        ops.subtract(b, b)


@pytest.mark.parametrize("fill_value", [7, True, 1.5, np.int32(7)])
@pytest.mark.parametrize("dtype", [None, "int32", "float16"])
def test_full_dtype_matches_keras(fill_value, dtype):
    _same(f"full({fill_value!r}, dtype={dtype})", kops.full((2, 3), fill_value, dtype=dtype),
          ops.full((2, 3), fill_value, dtype=dtype))


@pytest.mark.parametrize("fill_value", [7, True, 1.5])
def test_full_like_ones_and_zeros_dtypes_match_keras(fill_value):
    for x in (_typed("int32"), _typed("float32"), _typed("bool")):
        _same(f"full_like({x.dtype}, {fill_value!r})", kops.full_like(x, fill_value), ops.full_like(x, fill_value))
    _same("ones", kops.ones((2,)), ops.ones((2,)))
    _same("zeros", kops.zeros((2,)), ops.zeros((2,)))


# Python and numpy types given as dtypes: Keras maps them through standardize_dtype
# (bool -> bool, int -> int32 on the torch backend, float -> float32, np.float32 -> float32).
PYTHON_NUMPY_DTYPES = [bool, int, float, np.float32, np.int32, np.int64, np.bool_, np.float16,
                       np.dtype("float32"), np.dtype("int32")]


@pytest.mark.parametrize("dtype", PYTHON_NUMPY_DTYPES, ids=str)
def test_python_and_numpy_types_as_dtypes_match_keras(dtype):
    import keraslite

    assert keraslite.backend.standardize_dtype(dtype) == keras.backend.standardize_dtype(dtype)
    k_in, l_in = keras.layers.Input(shape=(3,), dtype=dtype), keraslite.layers.Input(shape=(3,), dtype=dtype)
    assert keraslite.backend.standardize_dtype(l_in.dtype) == keras.backend.standardize_dtype(k_in.dtype)
    x = np.array([[0.0, 1.5, 2.0]], "float32")
    _same(f"cast to {dtype}", kops.cast(x, dtype), ops.cast(x, dtype))
    _same(f"zeros of {dtype}", kops.zeros((2, 3), dtype=dtype), ops.zeros((2, 3), dtype=dtype))
    _same(f"ones of {dtype}", kops.ones((2,), dtype=dtype), ops.ones((2,), dtype=dtype))
    if keras.backend.standardize_dtype(dtype) not in ("bool",) and "int" not in keras.backend.standardize_dtype(dtype):
        k_dense, l_dense = keras.layers.Dense(2, dtype=dtype), keraslite.layers.Dense(2, dtype=dtype)
        k_dense.build((None, 3)), l_dense.build((None, 3))
        assert l_dense.dtype == k_dense.dtype
        assert keraslite.backend.standardize_dtype(l_dense.kernel.dtype) == keras.backend.standardize_dtype(k_dense.kernel.dtype)
