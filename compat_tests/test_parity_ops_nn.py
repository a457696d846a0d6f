"""keraslite.ops.nn against real keras.ops.nn on the same inputs: values, shapes and dtypes."""
import numpy as np
import pytest
import torch

import keraslite
from compat_tests.ops_cases import case_ids, compare, run_case
from keraslite import ops

keras = pytest.importorskip("keras")
knn = keras.ops.nn

R = np.random.default_rng(1)
X = R.standard_normal((3, 6)).astype("float32") * 2
X3 = R.standard_normal((2, 3, 4)).astype("float32")
IMG = R.standard_normal((2, 7, 6, 3)).astype("float32")
IMG_CF = np.transpose(IMG, (0, 3, 1, 2)).copy()
SEQ = R.standard_normal((2, 9, 3)).astype("float32")
VOL = R.standard_normal((1, 5, 4, 6, 2)).astype("float32")
K2 = R.standard_normal((3, 3, 3, 4)).astype("float32")
K1 = R.standard_normal((3, 3, 5)).astype("float32")
K3 = R.standard_normal((2, 3, 2, 2, 3)).astype("float32")
DW = R.standard_normal((3, 3, 3, 2)).astype("float32")
PW = R.standard_normal((1, 1, 6, 4)).astype("float32")
KT = R.standard_normal((3, 3, 5, 3)).astype("float32")  # conv_transpose: (h, w, out, in)
KT1 = R.standard_normal((4, 2, 3)).astype("float32")
MEAN = R.standard_normal((3,)).astype("float32")
VAR = (R.random((3,)) + 0.5).astype("float32")
GAMMA = R.standard_normal((4,)).astype("float32")
BETA = R.standard_normal((4,)).astype("float32")
Q = R.standard_normal((2, 5, 4, 8)).astype("float32")
KV = R.standard_normal((2, 6, 4, 8)).astype("float32")
KV2 = R.standard_normal((2, 6, 2, 8)).astype("float32")
MASK = R.random((2, 4, 5, 6)) > 0.3
BIAS = R.standard_normal((2, 4, 5, 6)).astype("float32")
LABELS = np.array([[1, 3, 2, 0], [2, 2, 0, 0]], dtype="int32")
HOT_IN = np.array([[0, 2], [1, 1], [3, 0]], dtype="int32")
LOGITS = R.standard_normal((2, 7, 5)).astype("float32")
SEQ_LEN = np.array([7, 5], dtype="int32")
TGT_LEN = np.array([3, 2], dtype="int32")
P1 = R.random((2, 6, 6, 3)).astype("float32")
P2 = np.clip(P1 + 0.1 * R.standard_normal(P1.shape), 0, 1).astype("float32")
D2S = R.standard_normal((2, 3, 4, 8)).astype("float32")
NCHW = R.standard_normal((2, 3, 6, 5)).astype("float32")
CIRC = R.random((2, 3, 6, 5)).astype("float32")  # softmax/sparsemax inputs with distinct values
ABS = (R.random((3, 4)) + 0.1).astype("float32")
ANG = R.standard_normal((3, 4)).astype("float32")

CASES = [
    # activations (new and re-exported)
    ("relu", (X,), {}), ("relu6", (X,), {}), ("sigmoid", (X,), {}), ("softplus", (X,), {}), ("softsign", (X,), {}),
    ("silu", (X,), {}), ("swish", (X,), {}), ("log_sigmoid", (X,), {}), ("leaky_relu", (X,), {}),
    ("leaky_relu", (X,), {"negative_slope": 0.1}), ("hard_sigmoid", (X,), {}), ("hard_silu", (X,), {}),
    ("hard_swish", (X,), {}), ("elu", (X,), {"alpha": 0.7}), ("selu", (X,), {}), ("gelu", (X,), {}),
    ("gelu", (X,), {"approximate": False}), ("celu", (X,), {}), ("celu", (X,), {"alpha": 0.5}),
    ("glu", (X,), {}), ("glu", (X3,), {"axis": 0}), ("hard_tanh", (X,), {}), ("hard_shrink", (X,), {}),
    ("hard_shrink", (X,), {"threshold": 1.0}), ("soft_shrink", (X,), {}), ("soft_shrink", (X,), {"threshold": 0.2}),
    ("tanh_shrink", (X,), {}), ("sparse_plus", (X,), {}), ("sparse_sigmoid", (X,), {}), ("squareplus", (X,), {}),
    ("squareplus", (X,), {"b": 2}), ("threshold", (X, 0.3, -1.0), {}), ("softmax", (X,), {}),
    ("softmax", (X3,), {"axis": 1}), ("log_softmax", (X,), {"axis": 0}), ("polar", (ABS, ANG), {}),
    ("one_hot", (np.array([0, 2, 1, 3]), 4), {}), ("one_hot", (np.array([[0, 2], [1, 1]]), 3), {"axis": 0}),
    ("multi_hot", (HOT_IN, 4), {}), ("multi_hot", (np.array([0, 2]), 4), {}),
    ("multi_hot", (HOT_IN, 4), {"dtype": "int32"}), ("multi_hot", (HOT_IN,), {"num_classes": 5, "axis": 0}),
    ("normalize", (X,), {}), ("normalize", (X,), {"axis": 0, "order": 1}), ("moments", (X3, (0, 2)), {}),
    ("binary_crossentropy", (P1[0], P2[0]), {}), ("categorical_crossentropy", (P1[0], P2[0]), {}),
    ("sparse_categorical_crossentropy", (np.array([0, 2, 1]), X[:, :4]), {"from_logits": True}),
    # pooling
    ("max_pool", (IMG, 2), {}), ("max_pool", (IMG, (3, 2)), {"strides": (2, 1), "padding": "same"}),
    ("max_pool", (IMG, 2), {"strides": 1, "padding": "same"}), ("max_pool", (SEQ, 2), {}),
    ("max_pool", (SEQ, 3), {"strides": 2, "padding": "same"}), ("max_pool", (VOL, 2), {"padding": "same"}),
    ("max_pool", (IMG_CF, 2), {"data_format": "channels_first"}),
    ("average_pool", (IMG, 2), {}), ("average_pool", (IMG, 3), {"strides": 2, "padding": "same"}),
    ("average_pool", (IMG, 3), {"strides": 1, "padding": "same"}), ("average_pool", (SEQ, 2), {"strides": 1}),
    ("average_pool", (VOL, (2, 2, 3)), {}), ("average_pool", (IMG_CF, 2), {"data_format": "channels_first"}),
    ("adaptive_average_pool", (IMG, (3, 2)), {}), ("adaptive_average_pool", (SEQ, 4), {}),
    ("adaptive_max_pool", (IMG, 2), {}), ("adaptive_max_pool", (IMG_CF, (2, 3)), {"data_format": "channels_first"}),
    ("adaptive_average_pool", (VOL, (2, 2, 3)), {}),
    # convolutions
    ("conv", (IMG, K2), {}), ("conv", (IMG, K2), {"strides": 2, "padding": "same"}),
    ("conv", (IMG, K2), {"padding": "same", "dilation_rate": 2}), ("conv", (SEQ, K1), {"padding": "same"}),
    ("conv", (SEQ, K1), {"strides": 2}), ("conv", (VOL, K3), {"padding": "same"}),
    ("conv", (IMG_CF, K2), {"data_format": "channels_first", "padding": "same"}),
    ("conv", (IMG, R.standard_normal((2, 2, 1, 6)).astype("float32")), {}),
    ("depthwise_conv", (IMG, DW), {}), ("depthwise_conv", (IMG, DW), {"strides": 2, "padding": "same"}),
    ("depthwise_conv", (IMG, DW), {"dilation_rate": 2}),
    ("depthwise_conv", (IMG_CF, DW), {"data_format": "channels_first"}),
    ("separable_conv", (IMG, DW, PW), {}), ("separable_conv", (IMG, DW, PW), {"padding": "same", "strides": 2}),
    ("conv_transpose", (IMG, KT), {}), ("conv_transpose", (IMG, KT), {"strides": 2}),
    ("conv_transpose", (IMG, KT), {"strides": 2, "padding": "same"}),
    ("conv_transpose", (IMG, KT), {"strides": 2, "padding": "same", "output_padding": 1}),
    ("conv_transpose", (IMG, KT), {"strides": (2, 3), "padding": "valid", "output_padding": (1, 0)}),
    ("conv_transpose", (IMG, KT), {"padding": "same", "dilation_rate": 2}),
    ("conv_transpose", (SEQ, KT1), {"strides": 2, "padding": "same"}),
    ("conv_transpose", (IMG_CF, KT), {"strides": 2, "data_format": "channels_first"}),
    # normalizations
    ("batch_normalization", (IMG, MEAN, VAR, -1), {}),
    ("batch_normalization", (IMG, MEAN, VAR, 3), {"offset": MEAN * 0.5, "scale": VAR, "epsilon": 1e-2}),
    ("batch_normalization", (IMG_CF, MEAN, VAR, 1), {"scale": VAR}),
    ("layer_normalization", (X3,), {}), ("layer_normalization", (X3, GAMMA, BETA), {}),
    ("layer_normalization", (X3,), {"axis": (1, 2), "epsilon": 1e-3}),
    ("layer_normalization", (X3, GAMMA), {"rms_scaling": True}),
    ("rms_normalization", (X3,), {}), ("rms_normalization", (X3, GAMMA), {"epsilon": 1e-2}),
    ("rms_normalization", (X3, None, (1, 2)), {}),
    # attention
    ("dot_product_attention", (Q, KV, KV), {}), ("dot_product_attention", (Q, KV, KV), {"mask": MASK}),
    ("dot_product_attention", (Q, KV, KV), {"bias": BIAS, "scale": 0.3}),
    ("dot_product_attention", (Q, KV[:, :5], KV[:, :5]), {"is_causal": True}),
    ("dot_product_attention", (Q, KV2, KV2), {}),
    # CTC
    ("ctc_loss", (LABELS, LOGITS, TGT_LEN, SEQ_LEN), {}),
    ("ctc_loss", (LABELS + 1, LOGITS, TGT_LEN, SEQ_LEN), {"mask_index": 0}),
    ("ctc_decode", (LOGITS, SEQ_LEN), {}), ("ctc_decode", (LOGITS, SEQ_LEN), {"merge_repeated": False}),
    ("ctc_decode", (LOGITS, SEQ_LEN), {"strategy": "beam_search", "beam_width": 5, "top_paths": 2}),
    # misc
    ("psnr", (P1, P2, 1.0), {}), ("depth_to_space", (D2S, 2), {}),
    ("depth_to_space", (NCHW[:, :, :4, :4].repeat(4, axis=1), 2), {"data_format": "channels_first"}),
    ("space_to_depth", (IMG[:, :6], 2), {}), ("space_to_depth", (NCHW[:, :, :6, :4], 2),
                                               {"data_format": "channels_first"}),
    # Keras's unfold/fold take torch tensors only
    ("unfold", (torch.as_tensor(NCHW), 2), {}),
    ("unfold", (torch.as_tensor(NCHW), (3, 2)), {"stride": 2, "padding": 1, "dilation": 1}),
    ("fold", (torch.as_tensor(R.standard_normal((2, 12, 20)).astype("float32")), (6, 5), 2), {}),
]


def _run(name, args, kwargs):
    tolerances = {"atol": 1e-4, "rtol": 1e-4} if name in ("ctc_loss", "ctc_decode", "conv_transpose",
                                                           "separable_conv", "conv") else {}
    run_case(getattr(knn, name), getattr(ops.nn, name), name, args, kwargs, **tolerances)


@pytest.mark.parametrize("name,args,kwargs", CASES, ids=case_ids(CASES))
def test_nn_op_matches_keras(name, args, kwargs):
    _run(name, args, kwargs)


def test_every_keras_nn_name_exists():
    names = [n for n in dir(knn) if not n.startswith("_")]
    missing = [n for n in names if not callable(getattr(ops.nn, n, None))]
    assert not missing, f"keraslite.ops.nn lacks {missing}"
    assert sorted(names) == sorted(ops.nn.__all__)
    not_top = [n for n in names if not callable(getattr(ops, n, None))]
    assert not not_top, f"keras.ops.{not_top} are top-level in Keras but not in keraslite.ops"


def test_every_keras_nn_function_has_a_case():
    covered = {c[0] for c in CASES} | {"sparsemax"}  # sparsemax: see test_sparsemax_is_the_simplex_projection
    assert not [n for n in ops.nn.__all__ if n not in covered]


def test_nn_ops_accept_torch_tensors():
    for name, args, kwargs in [("conv", (IMG, K2), {"padding": "same"}), ("max_pool", (IMG, 2), {}),
                               ("layer_normalization", (X3, GAMMA, BETA), {})]:
        t_args = [torch.as_tensor(a) if isinstance(a, np.ndarray) else a for a in args]
        compare(name, getattr(knn, name)(*args, **kwargs), getattr(ops.nn, name)(*t_args, **kwargs), atol=1e-4)


def test_bad_inputs_name_the_op():
    with pytest.raises(ValueError, match="max_pool"):
        ops.nn.max_pool(X, 2)
    with pytest.raises(ValueError, match="padding"):
        ops.nn.conv(IMG, K2, padding="full")
    with pytest.raises(ValueError, match="conv.*channels"):
        ops.nn.conv(IMG, np.zeros((3, 3, 2, 4), "float32"))
    with pytest.raises(ValueError, match="glu"):
        ops.nn.glu(np.zeros((2, 3), "float32"))
    with pytest.raises(ValueError, match="strides"):
        ops.nn.conv(IMG, K2, strides=(1, 2, 3))


def test_sparsemax_is_the_simplex_projection():
    """Keras's torch sparsemax takes its threshold from the sum of the partial sums over the
    support instead of the partial sum at the support's end, which differs (and does not sum
    to one) once the support has more than one entry; keraslite follows the definition (Martins
    & Astudillo 2016), checked here against a direct projection onto the simplex."""
    def projection(v):
        # the threshold tau with sum(max(v - tau, 0)) = 1, found by bisection
        lo, hi = v.min() - 1.0, v.max()
        for _ in range(200):
            tau = (lo + hi) / 2
            lo, hi = (tau, hi) if np.maximum(v - tau, 0).sum() > 1 else (lo, tau)
        return np.maximum(v - (lo + hi) / 2, 0)

    for x, axis in ((X, -1), (X3, 1)):
        out = ops.nn.sparsemax(x, axis=axis)
        expected = np.apply_along_axis(projection, axis, x.astype("float64"))
        np.testing.assert_allclose(out.numpy(), expected, atol=1e-5)
        assert out.dtype == knn.sparsemax(x, axis=axis).dtype and out.shape == x.shape


def test_attention_options_keras_rejects_on_torch():
    with pytest.raises(ValueError):
        knn.dot_product_attention(Q, KV, KV, attn_logits_soft_cap=2.0)
    with pytest.raises(ValueError, match="dot_product_attention.*soft_cap"):
        ops.nn.dot_product_attention(Q, KV, KV, attn_logits_soft_cap=2.0)
    with pytest.raises(ValueError, match="dot_product_attention.*4-D"):
        ops.nn.dot_product_attention(Q[0], KV[0], KV[0])


def test_conv_gradients_match_keras():
    x_k = torch.tensor(IMG, requires_grad=True)
    x_l = torch.tensor(IMG, requires_grad=True)
    knn.conv(x_k, K2, strides=2, padding="same").sum().backward()
    ops.nn.conv(x_l, K2, strides=2, padding="same").sum().backward()
    np.testing.assert_allclose(x_l.grad.numpy(), x_k.grad.numpy(), atol=1e-4)


def test_ctc_loss_of_a_label_too_long_for_its_steps_is_inf_without_nan_gradients():
    # TensorFlow's behaviour: the impossible sample's loss is inf and it adds no gradient, so a
    # fit step leaves the weights finite (torch alone gives NaN gradients).
    labels = np.array([[1, 2, 3, 4, 5], [1, 1, 2, 0, 0], [2, 3, 0, 0, 0]], "int32")
    label_length = np.array([5, 3, 2], "int32")  # sample 0 needs 5 steps, sample 1 needs 4 (1, blank, 1, 2)
    step_length = np.array([3, 3, 4], "int32")
    logits = R.standard_normal((3, 4, 6)).astype("float32")
    want = keras.ops.convert_to_numpy(knn.ctc_loss(labels, logits, label_length, step_length))
    x = torch.tensor(logits, requires_grad=True)
    got = ops.nn.ctc_loss(labels, x, label_length, step_length)
    assert np.isinf(want[:2]).all() and np.isinf(got.detach().numpy()[:2]).all()
    np.testing.assert_allclose(got.detach().numpy()[2], want[2], rtol=1e-4)
    got.sum().backward()
    assert torch.isfinite(x.grad).all() and not x.grad[:2].any() and x.grad[2].abs().sum() > 0
