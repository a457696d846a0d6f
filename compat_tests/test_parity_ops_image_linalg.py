"""keraslite.ops.image and keraslite.ops.linalg against real keras.ops.image / keras.ops.linalg
on the same inputs: values, shapes and dtypes. Also: image ops on symbolic inputs build a
functional model that survives saving and loading."""
import numpy as np
import pytest
import torch

import keraslite
from compat_tests.ops_cases import case_ids, compare, run_case
from keraslite import ops

keras = pytest.importorskip("keras")
kimg, klin = keras.ops.image, keras.ops.linalg

R = np.random.default_rng(2)
IMG = R.random((2, 8, 10, 3)).astype("float32")
IMG1 = IMG[0]
IMG_CF = np.transpose(IMG, (0, 3, 1, 2)).copy()
UINT = (R.random((2, 8, 10, 3)) * 255).astype("uint8")
VOL = R.random((1, 6, 4, 6, 2)).astype("float32")
HSV = np.stack([R.random((2, 5, 4)), R.random((2, 5, 4)), R.random((2, 5, 4))], -1).astype("float32")
T_SHIFT = np.array([1, 0, -2.5, 0, 1, 1.5, 0, 0], dtype="float32")
T_ROT = np.array([[0.9, -0.3, 2.0, 0.3, 0.9, -1.0, 0, 0], [1.2, 0.1, -1.0, 0.0, 0.8, 1.0, 0, 0]], dtype="float32")
GRID = R.random((5, 6)).astype("float32")
COORDS = (R.random((2, 4, 3)) * np.array([7, 8])[:, None, None] - 1).astype("float32")
START = np.array([[0, 0], [9, 0], [9, 7], [0, 7]], dtype="float32")
END = np.array([[1, 1], [8, 0], [9, 6], [0, 7]], dtype="float32")

SPD = (lambda a: a @ a.T + 4 * np.eye(4))(R.standard_normal((4, 4))).astype("float32")
SQ = R.standard_normal((3, 4, 4)).astype("float32")
RECT = R.standard_normal((5, 3)).astype("float32")
BVEC = R.standard_normal((4,)).astype("float32")
BMAT = R.standard_normal((4, 2)).astype("float32")
LOWER = np.tril(SQ[0]) + 3 * np.eye(4, dtype="float32")
SYM = (SQ + np.transpose(SQ, (0, 2, 1))) / 2

IMAGE_CASES = [
    ("resize", (IMG, (5, 4)), {}), ("resize", (IMG, (16, 20)), {}), ("resize", (IMG1, (5, 7)), {}),
    ("resize", (IMG, (5, 4)), {"interpolation": "nearest"}), ("resize", (IMG, (12, 7)), {"interpolation": "bicubic"}),
    ("resize", (IMG, (5, 4)), {"antialias": True}), ("resize", (IMG, (4, 5)), {"interpolation": "bicubic",
                                                                             "antialias": True}),
    ("resize", (IMG, (6, 6)), {"crop_to_aspect_ratio": True}), ("resize", (IMG, (4, 8)), {"crop_to_aspect_ratio": True}),
    ("resize", (IMG, (6, 6)), {"pad_to_aspect_ratio": True}),
    ("resize", (IMG, (4, 10)), {"pad_to_aspect_ratio": True, "fill_value": 0.5}),
    ("resize", (IMG_CF, (5, 4)), {"data_format": "channels_first"}), ("resize", (UINT, (5, 6)), {}),
    ("resize", (UINT, (5, 6)), {"interpolation": "bicubic"}),
    ("crop_images", (IMG,), {"top_cropping": 1, "left_cropping": 2, "target_height": 5, "target_width": 6}),
    ("crop_images", (IMG1,), {"bottom_cropping": 2, "right_cropping": 3, "top_cropping": 1, "left_cropping": 0}),
    ("crop_images", (IMG_CF,), {"bottom_cropping": 2, "target_height": 4, "right_cropping": 1, "target_width": 5,
                                "data_format": "channels_first"}),
    ("pad_images", (IMG,), {"top_padding": 1, "left_padding": 2, "target_height": 12, "target_width": 13}),
    ("pad_images", (IMG1,), {"bottom_padding": 2, "right_padding": 3, "top_padding": 0, "left_padding": 1}),
    ("pad_images", (IMG_CF,), {"bottom_padding": 2, "target_height": 11, "right_padding": 1, "target_width": 12,
                               "data_format": "channels_first"}),
    ("extract_patches", (IMG, 2), {}), ("extract_patches", (IMG, (3, 2)), {"strides": (2, 3), "padding": "same"}),
    ("extract_patches", (IMG1, 3), {"strides": 1, "dilation_rate": 2}),
    ("extract_patches", (IMG_CF, 2), {"data_format": "channels_first"}), ("extract_patches", (VOL, (2, 2, 3)), {}),
    ("extract_patches_3d", (VOL, 2), {}), ("extract_patches_3d", (VOL[0], (3, 2, 2)), {"strides": 1, "padding": "same"}),
    ("rgb_to_grayscale", (IMG,), {}), ("rgb_to_grayscale", (IMG_CF,), {"data_format": "channels_first"}),
    ("rgb_to_grayscale", (IMG[..., :1],), {}), ("rgb_to_hsv", (IMG,), {}), ("rgb_to_hsv", (IMG1,), {}),
    ("rgb_to_hsv", (IMG_CF,), {"data_format": "channels_first"}), ("hsv_to_rgb", (HSV,), {}),
    ("hsv_to_rgb", (np.transpose(HSV, (0, 3, 1, 2)),), {"data_format": "channels_first"}),
    ("affine_transform", (IMG, np.stack([T_SHIFT, T_SHIFT])), {}), ("affine_transform", (IMG, T_ROT), {}),
    ("affine_transform", (IMG, T_ROT), {"interpolation": "nearest"}),
    ("affine_transform", (IMG, T_ROT), {"fill_mode": "reflect"}), ("affine_transform", (IMG, T_ROT), {"fill_mode": "wrap"}),
    ("affine_transform", (IMG, T_ROT), {"fill_mode": "mirror"}), ("affine_transform", (IMG, T_ROT), {"fill_mode": "nearest"}),
    ("affine_transform", (IMG, T_ROT), {"fill_value": 0.5}), ("affine_transform", (IMG1, T_SHIFT), {}),
    ("affine_transform", (IMG_CF, T_ROT), {"data_format": "channels_first"}),
    ("map_coordinates", (GRID, COORDS, 1), {}), ("map_coordinates", (GRID, COORDS, 0), {}),
    ("map_coordinates", (GRID, COORDS, 1), {"fill_mode": "reflect"}),
    ("map_coordinates", (GRID, COORDS, 1), {"fill_mode": "mirror"}),
    ("map_coordinates", (GRID, COORDS, 1), {"fill_mode": "wrap"}),
    ("map_coordinates", (GRID, COORDS, 1), {"fill_mode": "nearest"}),
    ("map_coordinates", (GRID, COORDS, 1), {"fill_value": -1.0}),
    ("gaussian_blur", (IMG_CF,), {"data_format": "channels_first"}),
    ("gaussian_blur", (IMG_CF,), {"data_format": "channels_first", "kernel_size": (5, 5), "sigma": (2.0, 2.0)}),
    ("sobel_edges", (IMG,), {}), ("sobel_edges", (IMG_CF,), {"data_format": "channels_first"}),
    ("ssim", (IMG, np.clip(IMG + 0.05 * R.standard_normal(IMG.shape), 0, 1).astype("float32")), {"filter_size": 5}),
    ("ssim", (IMG1, IMG1[::-1].copy()), {"filter_size": 3, "max_val": 2.0}),
    ("perspective_transform", (IMG, START, END), {}),
    ("perspective_transform", (IMG, START, END), {"interpolation": "nearest", "fill_value": 0.3}),
    ("perspective_transform", (IMG_CF, START, END), {"data_format": "channels_first"}),
    ("scale_and_translate", (IMG, (2, 12, 5, 3), np.array([1.5, 0.5], "float32"), np.array([0.5, -1.0], "float32"),
                             (1, 2), "bilinear"), {}),
    ("scale_and_translate", (IMG, (2, 6, 6, 3), np.array([0.75, 0.6], "float32"), np.array([0.0, 0.0], "float32"),
                             (1, 2), "bicubic"), {"antialias": False}),
    ("scale_and_translate", (IMG, (2, 4, 5, 3), np.array([0.5, 0.5], "float32"), np.array([0.0, 0.0], "float32"),
                             (1, 2), "lanczos3"), {}),
]

LINALG_CASES = [
    ("cholesky", (SPD,), {}), ("cholesky", (SPD,), {"upper": True}), ("cholesky_inverse", (np.linalg.cholesky(SPD),), {}),
    ("det", (SQ,), {}), ("inv", (SQ,), {}), ("eigh", (SYM,), {}), ("lu_factor", (SQ,), {}),
    ("norm", (SQ,), {}), ("norm", (SQ,), {"axis": (1, 2), "ord": "nuc"}), ("norm", (RECT,), {"axis": 0, "ord": 1}),
    ("norm", (RECT,), {"ord": "fro", "keepdims": True}), ("qr", (RECT,), {}), ("qr", (RECT,), {"mode": "complete"}),
    ("solve", (SQ[0], BMAT), {}), ("solve", (SQ[0], BVEC), {}), ("solve_triangular", (LOWER, BMAT), {"lower": True}),
    ("solve_triangular", (LOWER.T.copy(), BVEC), {}), ("svd", (RECT,), {"compute_uv": False}),
    ("lstsq", (RECT, R.standard_normal((5, 2)).astype("float32")), {}),
    ("lstsq", (RECT, R.standard_normal((5,)).astype("float32")), {"rcond": 1e-3}),
    ("matrix_rank", (RECT @ RECT.T,), {}), ("matrix_rank", (RECT,), {"tol": 0.5}), ("pinv", (RECT,), {}),
    ("pinv", (RECT,), {"rcond": 0.3}),
]


@pytest.mark.parametrize("name,args,kwargs", IMAGE_CASES, ids=case_ids(IMAGE_CASES))
def test_image_op_matches_keras(name, args, kwargs):
    tolerances = {"atol": 1e-4, "rtol": 1e-4}
    if name == "resize" and args[0].dtype == np.uint8:
        tolerances = {"atol": 1.0, "rtol": 0}  # a rounding step apart at most
    run_case(getattr(kimg, name), getattr(ops.image, name), name, args, kwargs, **tolerances)


@pytest.mark.parametrize("name,args,kwargs", LINALG_CASES, ids=case_ids(LINALG_CASES))
def test_linalg_op_matches_keras(name, args, kwargs):
    run_case(getattr(klin, name), getattr(ops.linalg, name), name, args, kwargs, atol=1e-4, rtol=1e-4)
    compare(name, getattr(keras.ops, name)(*args, **kwargs), getattr(ops, name)(*args, **kwargs), atol=1e-4,
            rtol=1e-4)


def _reconstruct(u, s, vh):
    return (u[..., :, :s.shape[-1]] * s[..., None, :]) @ vh[..., :s.shape[-1], :]


def test_decompositions_match_keras_up_to_sign():
    """svd and eig are unique up to signs/phases: compare what they reconstruct and their values."""
    for full in (True, False):
        k = klin.svd(RECT, full_matrices=full)
        l = ops.linalg.svd(RECT, full_matrices=full)
        compare("svd", [t.shape for t in k], [t.shape for t in l])
        compare("svd", k[1], l[1], atol=1e-5)
        np.testing.assert_allclose(_reconstruct(*[t.numpy() for t in l]), RECT, atol=1e-5)
        assert [t.dtype for t in l] == [t.dtype for t in k]
    kw, kv = klin.eig(SQ)
    lw, lv = ops.linalg.eig(SQ)
    assert lw.dtype == kw.dtype and lv.dtype == kv.dtype and lw.shape == kw.shape and lv.shape == kv.shape
    np.testing.assert_allclose(np.sort_complex(lw.numpy().ravel()), np.sort_complex(kw.numpy().ravel()), atol=1e-4)
    np.testing.assert_allclose((torch.as_tensor(SQ).to(lv.dtype) @ lv).numpy(), (lv * lw[..., None, :]).numpy(),
                               atol=1e-4)


def test_jvp_matches_keras():
    def f(x):
        return torch.sin(x) * x

    def g(x):
        return torch.sin(x) * x, torch.cos(x)

    primals, tangents = (torch.as_tensor(RECT),), (torch.ones_like(torch.as_tensor(RECT)),)
    compare("jvp", klin.jvp(f, primals, tangents), ops.linalg.jvp(f, primals, tangents))
    compare("jvp", klin.jvp(g, primals, tangents, has_aux=True), ops.linalg.jvp(g, primals, tangents, has_aux=True))


def test_every_keras_image_and_linalg_name_exists():
    for kmod, lmod in ((kimg, ops.image), (klin, ops.linalg)):
        names = [n for n in dir(kmod) if not n.startswith("_")]
        missing = [n for n in names if not callable(getattr(lmod, n, None))]
        assert not missing, f"{lmod.__name__} lacks {missing}"
        assert sorted(names) == sorted(lmod.__all__)
        # top-level exactly where Keras has them (linalg: yes, image: no)
        assert [n for n in names if hasattr(keras.ops, n)] == [n for n in names if hasattr(ops, n)]
    covered = {c[0] for c in IMAGE_CASES + LINALG_CASES} | {"svd", "eig", "jvp", "elastic_transform"}
    assert not [n for n in ops.image.__all__ + ops.linalg.__all__ if n not in covered]


def test_gaussian_blur_channels_last():
    """Keras's torch gaussian_blur mixes channels for channels_last inputs (it convolves them as
    if channels came first); keraslite blurs each channel, which is Keras's channels_first
    result on the transposed image."""
    for kwargs in ({}, {"kernel_size": (5, 5), "sigma": (2.0, 0.5)}):
        expected = np.transpose(kimg.gaussian_blur(IMG_CF, data_format="channels_first", **kwargs).numpy(),
                                (0, 2, 3, 1))
        compare("gaussian_blur", expected, ops.image.gaussian_blur(IMG, **kwargs), atol=1e-5, check_dtype=False)
        compare("gaussian_blur", expected[0], ops.image.gaussian_blur(IMG1, **kwargs), atol=1e-5, check_dtype=False)
    assert ops.image.gaussian_blur(IMG).dtype == kimg.gaussian_blur(IMG).dtype


def test_elastic_transform_shapes_and_seeding():
    """Random displacements cannot be compared value by value with Keras's: same shapes and
    dtypes, reproducible for a seed, and alpha=0 leaves the image unchanged."""
    k = kimg.elastic_transform(IMG, seed=1)
    a, b = ops.image.elastic_transform(IMG, seed=1), ops.image.elastic_transform(IMG, seed=1)
    assert a.shape == k.shape and a.dtype == k.dtype
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    np.testing.assert_allclose(ops.image.elastic_transform(IMG, alpha=0.0, seed=1).numpy(), IMG, atol=1e-6)
    assert not np.allclose(a.numpy(), IMG)


def test_bad_image_inputs_name_the_op():
    with pytest.raises(ValueError, match="resize.*rank"):
        ops.image.resize(IMG[0, 0], (2, 2))
    with pytest.raises(ValueError, match="resize.*interpolation"):
        ops.image.resize(IMG, (2, 2), interpolation="lanczos3")
    with pytest.raises(ValueError, match="crop_images.*exactly two"):
        ops.image.crop_images(IMG, top_cropping=1, bottom_cropping=1, target_height=3, left_cropping=1,
                              target_width=3)
    with pytest.raises(ValueError, match="pad_images"):
        ops.image.pad_images(IMG, top_padding=1, target_height=3, left_padding=1, target_width=30)
    with pytest.raises(ValueError, match="rgb_to_hsv.*float"):
        ops.image.rgb_to_hsv(UINT)
    with pytest.raises(ValueError, match="det.*square"):
        ops.linalg.det(RECT)


def test_image_ops_in_a_saved_functional_model(tmp_path):
    inputs = keraslite.Input((8, 10, 3))
    x = ops.image.resize(inputs, (4, 5), interpolation="nearest")
    x = ops.image.pad_images(x, top_padding=1, bottom_padding=1, left_padding=0, right_padding=2)
    outputs = ops.max_pool(x, 2)
    model = keraslite.Model(inputs, outputs)
    expected = kimg.pad_images(kimg.resize(IMG, (4, 5), interpolation="nearest"), 1, 0, 1, 2)
    expected = keras.ops.max_pool(expected, 2)
    compare("model", expected, model.predict(IMG, verbose=0), check_dtype=False)
    path = str(tmp_path / "image_ops.keras")
    model.save(path)
    loaded = keraslite.saving.load_model(path)
    np.testing.assert_allclose(loaded.predict(IMG, verbose=0), model.predict(IMG, verbose=0), atol=1e-6)
    # Written as the Keras operations, which real Keras loads too.
    assert [layer["class_name"] for layer in loaded.get_config()["layers"]][1:] == ["Resize", "PadImages", "MaxPool"]
    np.testing.assert_allclose(keras.saving.load_model(path).predict(IMG, verbose=0), model.predict(IMG, verbose=0),
                               atol=1e-6)


def test_keras_saved_model_with_image_nn_linalg_ops_loads(tmp_path):
    """A .keras file written by Keras stores image ops as keras.src.ops.image classes (Resize,
    RGBToGrayscale): keraslite finds them in keraslite.ops.image, and writes them back so that
    Keras reads them again."""
    inputs = keras.Input((8, 10, 3))
    x = kimg.resize(inputs, (4, 6), interpolation="nearest")
    x = kimg.rgb_to_grayscale(x)
    y = keras.ops.nn.max_pool(x, 2)
    z = klin.norm(keras.ops.reshape(y, (-1, 6)), axis=-1)
    path = str(tmp_path / "keras_ops.keras")
    keras.Model(inputs, [y, z]).save(path)
    expected = keras.saving.load_model(path).predict(IMG, verbose=0)
    loaded = keraslite.saving.load_model(path)
    compare("model", expected, loaded.predict(IMG, verbose=0), check_dtype=False)
    again = str(tmp_path / "again.keras")
    loaded.save(again)
    compare("model", expected, keras.saving.load_model(again).predict(IMG, verbose=0), check_dtype=False)
