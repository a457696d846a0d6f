"""tf.image colour adjustments, resize_with_pad, transpose, image_gradients and sobel_edges
against their definitions worked in numpy / colorsys."""
import colorsys

import numpy as np
import pytest
import torch


def arr(t):
    return t.detach().cpu().numpy()


RNG = np.random.default_rng(0)
RGB = RNG.uniform(0, 1, (2, 5, 4, 3)).astype("float32")


def _hsv(images):
    flat = images.reshape(-1, 3)
    return np.array([colorsys.rgb_to_hsv(*p) for p in flat]).reshape(images.shape)


def _rgb(hsv):
    flat = hsv.reshape(-1, 3)
    return np.array([colorsys.hsv_to_rgb(*p) for p in flat]).reshape(hsv.shape)


@pytest.mark.parametrize("delta", [0.2, -0.7, 1.0])
def test_adjust_hue_rotates_the_hue(tf, delta):
    hsv = _hsv(RGB)
    hsv[..., 0] = np.mod(hsv[..., 0] + delta, 1.0)
    expected = _rgb(hsv)
    np.testing.assert_allclose(arr(tf.image.adjust_hue(RGB, delta)), expected, atol=1e-5)
    np.testing.assert_allclose(arr(tf.image.adjust_hue(RGB[0], delta)), expected[0], atol=1e-5)  # one HWC image
    as_uint8 = (RGB * 255).astype("uint8")
    out = tf.image.adjust_hue(as_uint8, delta)
    assert out.dtype == torch.uint8 and out.shape == as_uint8.shape
    hsv = _hsv(as_uint8 / 255.0)
    hsv[..., 0] = np.mod(hsv[..., 0] + delta, 1.0)
    assert np.abs(arr(out).astype(int) - _rgb(hsv) * 255).max() <= 1  # converted back with truncation


def test_random_hue_and_saturation_draw_one_value_from_their_range(tf):
    hsv = _hsv(RGB)
    out = arr(tf.image.random_hue(RGB, 0.3, seed=3))
    np.testing.assert_array_equal(out, arr(tf.image.random_hue(RGB, 0.3, seed=3)))  # seeded: repeatable
    shift = np.mod(_hsv(out)[..., 0] - hsv[..., 0] + 0.5, 1.0) - 0.5
    assert np.ptp(shift) < 1e-4 and abs(shift.flat[0]) <= 0.3  # one delta for the whole batch
    np.testing.assert_allclose(_hsv(out)[..., 1:], hsv[..., 1:], atol=1e-5)

    sat = arr(tf.image.random_saturation(RGB, 0.2, 0.6, seed=4))
    np.testing.assert_array_equal(sat, arr(tf.image.random_saturation(RGB, 0.2, 0.6, seed=4)))
    ratio = _hsv(sat)[..., 1] / hsv[..., 1]
    assert np.ptp(ratio) < 1e-4 and 0.2 <= ratio.flat[0] < 0.6
    np.testing.assert_allclose(_hsv(sat)[..., 2], hsv[..., 2], atol=1e-5)
    assert tf.image.random_saturation((RGB * 255).astype("uint8"), 0.5, 1.5).dtype == torch.uint8
    np.testing.assert_array_equal(arr(tf.image.stateless_random_hue(RGB, 0.2, (1, 2))),
                                  arr(tf.image.stateless_random_hue(RGB, 0.2, (1, 2))))
    assert tf.image.stateless_random_saturation(RGB[0], 0.5, 1.5, (1, 2)).shape == RGB[0].shape

    with pytest.raises(ValueError, match="max_delta"):
        tf.image.random_hue(RGB, 0.6)
    with pytest.raises(ValueError, match="upper must be > lower"):
        tf.image.random_saturation(RGB, 1.5, 0.5)
    with pytest.raises(ValueError, match="lower must be non-negative"):
        tf.image.random_saturation(RGB, -1.0, 0.5)
    with pytest.raises(ValueError, match="3 \\(RGB\\) channels"):
        tf.image.random_hue(RGB[..., :2], 0.1)


def test_resize_with_pad_keeps_the_aspect_ratio_and_centres(tf):
    image = RNG.uniform(0, 1, (3, 5, 2)).astype("float32")
    out = tf.image.resize_with_pad(image, 4, 4)
    # ratio max(5/4, 3/4) = 1.25: resized to floor(2.4) x 4, padded by floor((4 - 2.4) / 2) = 0 rows on top.
    assert out.shape == (4, 4, 2) and out.dtype == torch.float32
    np.testing.assert_allclose(arr(out[:2]), arr(tf.image.resize(image, (2, 4))), atol=1e-6)
    assert not arr(out[2:]).any()
    batch = tf.image.resize_with_pad(np.stack([image] * 2), 8, 5)  # ratio 1: 3 x 5 centred in 8 rows
    np.testing.assert_allclose(arr(batch[:, 2:5]), np.stack([image] * 2), atol=1e-6)
    assert not arr(batch[:, :2]).any() and not arr(batch[:, 5:]).any()
    with pytest.raises(ValueError, match="target_height"):
        tf.image.resize_with_pad(image, 0, 4)


def test_transpose_image_gradients_and_sobel_edges(tf):
    images = RNG.uniform(0, 1, (2, 4, 5, 3)).astype("float32")
    np.testing.assert_array_equal(arr(tf.image.transpose(images)), images.transpose(0, 2, 1, 3))
    np.testing.assert_array_equal(arr(tf.image.transpose(images[0])), images[0].transpose(1, 0, 2))

    dy, dx = tf.image.image_gradients(images)
    expected_dy, expected_dx = np.zeros_like(images), np.zeros_like(images)
    expected_dy[:, :-1] = images[:, 1:] - images[:, :-1]
    expected_dx[:, :, :-1] = images[:, :, 1:] - images[:, :, :-1]
    np.testing.assert_allclose(arr(dy), expected_dy, atol=1e-6)
    np.testing.assert_allclose(arr(dx), expected_dx, atol=1e-6)
    assert tf.image.image_gradients(images.astype("int32"))[0].dtype == torch.int32

    edges = arr(tf.image.sobel_edges(images))
    assert edges.shape == (2, 4, 5, 3, 2)
    padded = np.pad(images, ((0, 0), (1, 1), (1, 1), (0, 0)), mode="reflect")
    ky = np.array([[-1, -2, -1], [0, 0, 0], [1, 2, 1]], "float32")
    for k, kernel in enumerate((ky, ky.T)):
        expected = sum(kernel[i, j] * padded[:, i:i + 4, j:j + 5] for i in range(3) for j in range(3))
        np.testing.assert_allclose(edges[..., k], expected, atol=1e-5)
    with pytest.raises(ValueError, match="4-D"):
        tf.image.sobel_edges(images[0])


def _ssim_reference(a, b, max_val, size=11, sigma=1.5):
    """SSIM of two HWC float images: Gaussian-weighted means, variances and covariance over
    every window inside the image, averaged over positions and channels."""
    coords = np.arange(size) - (size - 1) / 2
    w = np.exp(-(coords[:, None] ** 2 + coords[None, :] ** 2) / (2 * sigma ** 2))
    w /= w.sum()
    c1, c2 = (0.01 * max_val) ** 2, (0.03 * max_val) ** 2
    values = []
    for i in range(a.shape[0] - size + 1):
        for j in range(a.shape[1] - size + 1):
            pa, pb = a[i:i + size, j:j + size], b[i:i + size, j:j + size]
            mu_a, mu_b = np.einsum("hw,hwc->c", w, pa), np.einsum("hw,hwc->c", w, pb)
            var_a = np.einsum("hw,hwc->c", w, pa ** 2) - mu_a ** 2
            var_b = np.einsum("hw,hwc->c", w, pb ** 2) - mu_b ** 2
            cov = np.einsum("hw,hwc->c", w, pa * pb) - mu_a * mu_b
            values.append((2 * mu_a * mu_b + c1) * (2 * cov + c2) / ((mu_a ** 2 + mu_b ** 2 + c1) * (var_a + var_b + c2)))
    return np.mean(values)


def test_ssim_matches_its_definition(tf):
    a = RNG.uniform(0, 1, (2, 14, 13, 3))
    b = np.clip(a + RNG.normal(0, 0.1, a.shape), 0, 1)
    out = tf.image.ssim(a.astype("float32"), b.astype("float32"), max_val=1.0)
    assert tuple(out.shape) == (2,)
    np.testing.assert_allclose(arr(out), [_ssim_reference(a[k], b[k], 1.0) for k in range(2)], atol=1e-4)
    np.testing.assert_allclose(arr(tf.image.ssim(a[0].astype("float32"), a[0].astype("float32"), 1.0)), 1.0, atol=1e-5)
    as_uint8 = (a * 255).astype("uint8"), (b * 255).astype("uint8")
    np.testing.assert_allclose(arr(tf.image.ssim(*as_uint8, max_val=255)),
                               arr(tf.image.ssim(*(v / np.float32(255) for v in as_uint8), max_val=1.0)), atol=1e-5)
    assert tuple(tf.image.ssim(a.astype("float32"), b.astype("float32"), 1.0, return_index_map=True).shape) == (2, 4, 3)
    with pytest.raises(ValueError, match="filter_size"):
        tf.image.ssim(a[:, :8], b[:, :8], 1.0)


# ------------------------------------------------------------------------------ TF 1 resizing, crop_and_resize

def _crop_and_resize_reference(image, boxes, box_indices, crop_size, method, extrapolation_value):
    """TensorFlow's crop_and_resize sampling rule, one output pixel at a time."""
    _, h, w, c = image.shape
    ch, cw = crop_size
    out = np.zeros((len(boxes), ch, cw, c), np.float32)
    for n, (y1, x1, y2, x2) in enumerate(boxes):
        img = image[box_indices[n]].astype(np.float64)
        for i in range(ch):
            y = y1 * (h - 1) + i * (y2 - y1) * (h - 1) / (ch - 1) if ch > 1 else 0.5 * (y1 + y2) * (h - 1)
            for j in range(cw):
                x = x1 * (w - 1) + j * (x2 - x1) * (w - 1) / (cw - 1) if cw > 1 else 0.5 * (x1 + x2) * (w - 1)
                if not (0 <= y <= h - 1 and 0 <= x <= w - 1):
                    out[n, i, j] = extrapolation_value
                elif method == "nearest":
                    out[n, i, j] = img[int(np.floor(y + 0.5)), int(np.floor(x + 0.5))]
                else:
                    t, b, l, r = int(np.floor(y)), int(np.ceil(y)), int(np.floor(x)), int(np.ceil(x))
                    top = img[t, l] + (img[t, r] - img[t, l]) * (x - l)
                    bottom = img[b, l] + (img[b, r] - img[b, l]) * (x - l)
                    out[n, i, j] = top + (bottom - top) * (y - t)
    return out


@pytest.mark.parametrize("method", ["bilinear", "nearest"])
@pytest.mark.parametrize("crop_size", [(3, 4), (1, 1), (5, 2)])
def test_crop_and_resize_follows_tensorflows_sampling(tf, method, crop_size):
    rng = np.random.default_rng(1)
    image = rng.normal(size=(2, 7, 9, 3)).astype("float32")
    boxes = np.array([[0, 0, 1, 1], [0.1, 0.2, 0.7, 0.9], [-0.2, 0.3, 0.5, 1.3], [0.8, 0.6, 0.2, 0.1]], "float32")
    indices = np.array([0, 1, 1, 0])
    got = tf.image.crop_and_resize(image, boxes, indices, crop_size, method=method, extrapolation_value=-5)
    assert got.dtype == torch.float32
    want = _crop_and_resize_reference(image, boxes, indices, crop_size, method, -5)
    np.testing.assert_allclose(arr(got), want, rtol=1e-5, atol=1e-5)
    with pytest.raises(ValueError, match="box_indices"):
        tf.image.crop_and_resize(image, boxes, [0, 1], crop_size)


def _legacy_resize_reference(image, size, method, align_corners):
    """TF 1's resize_bilinear / resize_nearest_neighbor: source = dst * in/out, or
    dst * (in-1)/(out-1) with align_corners."""
    h, w = image.shape[:2]
    out_h, out_w = size
    sy = (h - 1) / (out_h - 1) if align_corners and out_h > 1 else h / out_h
    sx = (w - 1) / (out_w - 1) if align_corners and out_w > 1 else w / out_w
    out = np.zeros((out_h, out_w, image.shape[2]), np.float64)
    for i in range(out_h):
        for j in range(out_w):
            y, x = i * sy, j * sx
            if method == "nearest":
                rnd = (lambda v: np.floor(v + 0.5)) if align_corners else np.floor
                out[i, j] = image[min(int(rnd(y)), h - 1), min(int(rnd(x)), w - 1)]
                continue
            t, l = int(np.floor(y)), int(np.floor(x))
            b, r = min(int(np.ceil(y)), h - 1), min(int(np.ceil(x)), w - 1)
            top = image[t, l] + (image[t, r] - image[t, l]) * (x - l)
            bottom = image[b, l] + (image[b, r] - image[b, l]) * (x - l)
            out[i, j] = top + (bottom - top) * (y - t)
    return out


@pytest.mark.parametrize("align_corners", [False, True])
@pytest.mark.parametrize("size", [(11, 7), (3, 2)])
def test_tf1_resize_bilinear_and_nearest(tf, align_corners, size):
    image = np.random.default_rng(2).normal(size=(5, 4, 2)).astype("float32")
    want = _legacy_resize_reference(image, size, "bilinear", align_corners)
    for got in (tf.compat.v1.image.resize_bilinear(image[None], size, align_corners=align_corners)[0],
                tf.image.resize_bilinear(image[None], size, align_corners=align_corners)[0],
                tf.compat.v1.image.resize(image, size, method="bilinear", align_corners=align_corners),
                tf.compat.v1.image.resize_images(image, size, align_corners=align_corners)):
        assert got.dtype == torch.float32
        np.testing.assert_allclose(arr(got), want, rtol=1e-5, atol=1e-5)
    ints = (image * 10).astype("int32")
    near = tf.compat.v1.image.resize(ints, size, method=tf.compat.v1.image.ResizeMethod.NEAREST_NEIGHBOR,
                                     align_corners=align_corners)
    assert near.dtype == torch.int32
    np.testing.assert_array_equal(arr(near), _legacy_resize_reference(ints, size, "nearest", align_corners))
    np.testing.assert_array_equal(arr(tf.image.resize_nearest_neighbor(ints[None], size,
                                                                       align_corners=align_corners)[0]), arr(near))
    if not align_corners and size == (11, 7):  # TF 1's rule is not TF 2's half-pixel resize
        assert not np.allclose(arr(tf.image.resize(image, size)), want, atol=1e-3)
