"""Image and dataset utilities: load_img / img_to_array / array_to_img / save_img,
ImageDataGenerator and its iterators, image/text/timeseries datasets (tf.data Datasets) and
the tf.data methods chained on them.
(compat_tests/test_parity_image.py compares the same things with real Keras.)"""
import importlib
import importlib.util
import os
import sys
import warnings

import numpy as np
import pytest
import torch

from tests.programs import run_source

import keraslite
from keraslite import layers
from keraslite.compat import tf_data
from keraslite.utils import dataset_utils, image_utils
from keraslite.utils.preprocessing import image as kimage

needs_pil = pytest.mark.skipif(importlib.util.find_spec("PIL") is None, reason="needs Pillow (`pip install pillow`)")


def _write_png(path, array):
    from PIL import Image

    os.makedirs(os.path.dirname(path), exist_ok=True)
    Image.fromarray(np.asarray(array, dtype=np.uint8)).save(path)


@pytest.fixture
def image_dir(tmp_path):
    """3 classes (b has a nested folder, c a grayscale picture) with images of several sizes,
    plus files that must be ignored."""
    rng = np.random.default_rng(0)
    root = tmp_path / "images"
    counts = {"a": 4, "b": 5, "c": 3}
    for ci, (name, n) in enumerate(counts.items()):
        for i in range(n):
            h, w = (8 + i, 10) if i % 2 else (10, 12)
            sub = "nested/" if (name == "b" and i == 0) else ""
            _write_png(str(root / name / f"{sub}img{i}.png"), rng.integers(0, 256, (h, w, 3)) // (ci + 1))
        (root / name / "readme.txt").write_text("not an image")
    _write_png(str(root / "c" / "zgray.png"), rng.integers(0, 256, (9, 9)))
    _write_png(str(root / "stray.png"), rng.integers(0, 256, (5, 5, 3)))  # not in a class folder
    return str(root)


# ----------------------------------------------------------------------------- image files

def test_missing_pillow_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "PIL", None)
    with pytest.raises(ImportError, match="pip install pillow"):
        image_utils.load_img("whatever.png")
    with pytest.raises(ImportError, match="pip install pillow"):
        keraslite.utils.array_to_img(np.zeros((2, 2, 3)))


@needs_pil
def test_save_load_round_trip_and_color_modes(tmp_path):
    rng = np.random.default_rng(1)
    pixels = rng.integers(0, 256, (6, 8, 3)).astype("float32")
    path = str(tmp_path / "p.png")
    keraslite.utils.save_img(path, pixels, scale=False)
    img = keraslite.utils.load_img(path)
    assert img.mode == "RGB" and img.size == (8, 6)
    x = keraslite.utils.img_to_array(img)
    assert x.dtype == np.float32 and x.shape == (6, 8, 3)
    np.testing.assert_array_equal(x, pixels)
    assert keraslite.utils.img_to_array(img, data_format="channels_first").shape == (3, 6, 8)
    gray = keraslite.utils.img_to_array(keraslite.utils.load_img(path, color_mode="grayscale"))
    assert gray.shape == (6, 8, 1)
    rgba = keraslite.utils.img_to_array(keraslite.utils.load_img(path, color_mode="rgba"))
    assert rgba.shape == (6, 8, 4) and (rgba[..., 3] == 255).all()
    with pytest.raises(ValueError, match="color_mode"):
        keraslite.utils.load_img(path, color_mode="cmyk")


@needs_pil
def test_load_img_resizes_and_keeps_aspect_ratio(tmp_path):
    path = str(tmp_path / "wide.png")
    wide = np.zeros((4, 12, 3), dtype=np.uint8)
    wide[:, 4:8] = 255  # the middle third is white
    _write_png(path, wide)
    assert keraslite.utils.load_img(path, target_size=(2, 3)).size == (3, 2)
    center = keraslite.utils.img_to_array(keraslite.utils.load_img(path, target_size=(4, 4), keep_aspect_ratio=True))
    assert (center == 255).all()  # only the centered 4x4 crop is kept
    with pytest.raises(ValueError, match="interpolation"):
        keraslite.utils.load_img(path, target_size=(2, 2), interpolation="magic")


@needs_pil
def test_array_to_img_scales_and_picks_mode():
    x = np.linspace(-1, 1, 2 * 3 * 1).reshape(2, 3, 1)
    img = keraslite.utils.array_to_img(x)
    assert img.mode == "L"
    a = np.asarray(img)
    assert a.min() == 0 and a.max() == 255
    assert keraslite.utils.array_to_img(np.zeros((3, 2, 2)), data_format="channels_first").size == (2, 2)
    assert keraslite.utils.array_to_img(np.zeros((2, 2, 4))).mode == "RGBA"
    with pytest.raises(ValueError, match="rank 3"):
        keraslite.utils.array_to_img(np.zeros((2, 2)))


def test_smart_resize_crops_to_aspect_ratio():
    x = np.zeros((4, 8, 1), dtype="float32")
    x[:, 2:6] = 1.0
    out = image_utils.smart_resize(x, (2, 2))
    assert out.shape == (2, 2, 1) and np.allclose(out, 1.0)
    t = image_utils.smart_resize(torch.from_numpy(np.stack([x, x])), (3, 3))
    assert isinstance(t, torch.Tensor) and tuple(t.shape) == (2, 3, 3, 1)


# ----------------------------------------------------------------------------- ImageDataGenerator

def test_standardize_order_and_featurewise_statistics():
    rng = np.random.default_rng(2)
    x = rng.uniform(0, 255, (6, 5, 4, 3)).astype("float32")
    gen = kimage.ImageDataGenerator(featurewise_center=True, featurewise_std_normalization=True, rescale=0.5)
    gen.fit(x)
    mean = (x * 0.5).mean(axis=(0, 1, 2))
    std = (x * 0.5 - mean).std(axis=(0, 1, 2))
    np.testing.assert_allclose(gen.mean.reshape(-1), mean, rtol=1e-5)
    np.testing.assert_allclose(gen.std.reshape(-1), std, rtol=1e-5)
    out = gen.standardize(x.copy())
    np.testing.assert_allclose(out, (x * 0.5 - mean) / (std + 1e-6), rtol=1e-4, atol=1e-4)
    sample = kimage.ImageDataGenerator(samplewise_center=True, samplewise_std_normalization=True)
    one = sample.standardize(x[0].copy())
    assert abs(one.mean()) < 1e-4 and abs(one.std() - 1) < 1e-3


def test_standardize_warns_before_fit_and_overrides_flags():
    with pytest.warns(UserWarning, match="featurewise_center"):
        gen = kimage.ImageDataGenerator(featurewise_std_normalization=True)
    assert gen.featurewise_center
    with pytest.warns(UserWarning, match="hasn't been fit"):
        gen.standardize(np.ones((2, 2, 3), dtype="float32"))
    with pytest.raises(ValueError, match="validation_split"):
        kimage.ImageDataGenerator(validation_split=1.5)
    with pytest.raises(ValueError, match="zoom_range"):
        kimage.ImageDataGenerator(zoom_range=(1, 2, 3))
    assert kimage.ImageDataGenerator(zoom_range=0.2).zoom_range == [0.8, 1.2]
    assert kimage.ImageDataGenerator(dim_ordering="th").data_format == "channels_first"  # Keras 1 spelling


def test_zca_whitening_decorrelates():
    rng = np.random.default_rng(3)
    x = rng.uniform(0, 1, (40, 3, 3, 1)).astype("float32")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        gen = kimage.ImageDataGenerator(zca_whitening=True, zca_epsilon=1e-6)
    gen.fit(x)
    assert gen.zca_whitening_matrix.shape == (9, 9)
    white = gen.standardize(x.copy()).reshape(40, -1)
    cov = white.T @ white / 40
    np.testing.assert_allclose(cov, np.eye(9), atol=1e-2)


def test_flips_and_seeded_transforms():
    x = np.arange(2 * 3 * 1, dtype="float32").reshape(2, 3, 1)
    gen = kimage.ImageDataGenerator(horizontal_flip=True, vertical_flip=True)
    params = gen.get_random_transform(x.shape)
    assert set(params) == {"theta", "tx", "ty", "shear", "zx", "zy", "flip_horizontal", "flip_vertical",
                           "channel_shift_intensity", "brightness"}
    both = gen.apply_transform(x, {"flip_horizontal": True, "flip_vertical": True})
    np.testing.assert_array_equal(both, x[::-1, ::-1])
    aug = kimage.ImageDataGenerator(rotation_range=30, width_shift_range=0.2, zoom_range=0.3, shear_range=10,
                                    channel_shift_range=5.0)
    img = np.random.default_rng(0).uniform(0, 255, (8, 8, 3)).astype("float32")
    np.testing.assert_array_equal(aug.random_transform(img, seed=7), aug.random_transform(img, seed=7))
    assert not np.array_equal(aug.random_transform(img, seed=7), aug.random_transform(img, seed=8))


def test_shift_by_whole_pixels_moves_the_image():
    x = np.zeros((5, 5, 1), dtype="float32")
    x[2, 2] = 1.0
    moved = kimage.apply_affine_transform(x, tx=-1, ty=2, row_axis=0, col_axis=1, channel_axis=2,
                                          fill_mode="constant")
    # out[r, c] = x[r + ty, c + tx] for channels-last images: Keras swaps the matrix's axes.
    assert moved[0, 3, 0] == 1.0 and moved.sum() == 1.0


@pytest.mark.parametrize("mode", ["constant", "nearest", "reflect", "wrap"])
@pytest.mark.parametrize("order", [0, 1])
def test_numpy_affine_matches_scipy(mode, order):
    ndimage = pytest.importorskip("scipy.ndimage")
    rng = np.random.default_rng(4)
    for _ in range(30):
        h, w = rng.integers(1, 10, 2)
        img = rng.uniform(0, 255, (h, w)).astype("float32")
        theta = rng.uniform(-np.pi, np.pi)
        zoom = rng.uniform(0.5, 1.6, 2)
        matrix = np.array([[np.cos(theta) * zoom[0], -np.sin(theta)], [np.sin(theta), np.cos(theta) * zoom[1]]])
        offset = rng.uniform(-20, 20, 2)
        expected = ndimage.affine_transform(img, matrix, offset, order=order, mode=mode, cval=5.0)
        got = kimage._numpy_affine(img, matrix, offset, order=order, mode=mode, cval=5.0)
        np.testing.assert_allclose(got, expected, atol=1e-3)


def test_random_transform_without_scipy_is_the_same(monkeypatch):
    pytest.importorskip("scipy.ndimage")
    gen = kimage.ImageDataGenerator(rotation_range=40, zoom_range=0.2, shear_range=15, fill_mode="reflect")
    img = np.random.default_rng(5).uniform(0, 255, (9, 7, 3)).astype("float32")
    with_scipy = gen.random_transform(img, seed=3)
    monkeypatch.setattr(kimage, "_scipy_affine", lambda: None)
    np.testing.assert_allclose(gen.random_transform(img, seed=3), with_scipy, atol=1e-3)


def test_flow_batches_labels_weights_and_subsets():
    x = np.arange(10 * 2 * 2 * 1, dtype="float32").reshape(10, 2, 2, 1)
    y = np.array([0, 1] * 5)
    w = np.arange(10, dtype="float32")
    gen = kimage.ImageDataGenerator(rescale=2.0, validation_split=0.4)
    it = gen.flow(x, y, batch_size=4, shuffle=False, sample_weight=w)
    assert len(it) == 3
    bx, by, bw = it[1]
    np.testing.assert_array_equal(bx, x[4:8] * 2)
    np.testing.assert_array_equal(by, y[4:8])
    np.testing.assert_array_equal(bw, w[4:8])
    assert it[2][0].shape[0] == 2
    val = gen.flow(x, y, batch_size=8, shuffle=False, subset="validation")
    train = gen.flow(x, y, batch_size=8, shuffle=False, subset="training")
    np.testing.assert_array_equal(val[0][0], x[:4] * 2)
    np.testing.assert_array_equal(train[0][0], x[4:] * 2)
    only_x = gen.flow(x, batch_size=5, shuffle=False)
    assert isinstance(only_x[0], np.ndarray)
    with pytest.raises(ValueError, match="rank 4"):
        gen.flow(x[:, :, :, 0], y)
    with pytest.raises(ValueError, match="same length"):
        gen.flow(x, y[:3])


def test_flow_shuffle_is_seeded_and_next_is_endless():
    x = np.arange(7, dtype="float32").reshape(7, 1, 1, 1)
    gen = kimage.ImageDataGenerator()
    a = [b[0, 0, 0, 0] for b in (next(gen.flow(x, batch_size=1, seed=3)) for _ in range(1))]
    b = [b[0, 0, 0, 0] for b in (next(gen.flow(x, batch_size=1, seed=3)) for _ in range(1))]
    assert a == b
    it = gen.flow(x, batch_size=3, shuffle=False)
    sizes = [len(it.next()) for _ in range(5)]
    assert sizes == [3, 3, 1, 3, 3]
    seen = np.concatenate([gen.flow(x, batch_size=3, seed=1)[i] for i in range(3)]).ravel()
    assert sorted(seen.tolist()) == list(range(7))


@needs_pil
def test_flow_from_directory_finds_classes_files_and_labels(image_dir):
    gen = kimage.ImageDataGenerator(rescale=1 / 255.0)
    it = gen.flow_from_directory(image_dir, target_size=(6, 7), batch_size=5, shuffle=False)
    assert "stray.png" not in " ".join(it.filenames)
    assert it.class_indices == {"a": 0, "b": 1, "c": 2}
    assert it.samples == 13 and len(it) == 3 and it.num_classes == 3
    assert it.filenames[:5] == [os.path.join("a", f"img{i}.png") for i in range(4)] + [os.path.join("b", "img1.png")]
    assert os.path.join("b", "nested", "img0.png") in it.filenames
    np.testing.assert_array_equal(it.classes, [0] * 4 + [1] * 5 + [2] * 4)
    assert it.classes.dtype == np.int32
    x, y = it[0]
    assert x.shape == (5, 6, 7, 3) and x.dtype == np.float32 and 0 <= x.min() and x.max() <= 1
    np.testing.assert_array_equal(y, np.eye(3, dtype="float32")[it.classes[:5]])
    gray = gen.flow_from_directory(image_dir, target_size=(6, 7), color_mode="grayscale", class_mode="sparse",
                                   shuffle=False)
    gx, gy = gray[0]
    assert gx.shape == (13, 6, 7, 1) and gy.dtype == np.float32
    np.testing.assert_array_equal(gy, it.classes)
    none = gen.flow_from_directory(image_dir, target_size=(6, 7), class_mode=None, shuffle=False)
    assert isinstance(none[0], np.ndarray)
    inp = gen.flow_from_directory(image_dir, target_size=(6, 7), class_mode="input", shuffle=False)
    np.testing.assert_array_equal(inp[0][0], inp[0][1])
    two = gen.flow_from_directory(image_dir, target_size=(6, 7), classes=["c", "a"], class_mode="binary")
    assert two.class_indices == {"c": 0, "a": 1} and two.samples == 8
    with pytest.raises(ValueError, match="class_mode"):
        gen.flow_from_directory(image_dir, class_mode="nope")


@needs_pil
def test_flow_from_directory_validation_split_takes_the_start_of_each_class(image_dir):
    gen = kimage.ImageDataGenerator(validation_split=0.5)
    val = gen.flow_from_directory(image_dir, target_size=(4, 4), subset="validation", shuffle=False)
    train = gen.flow_from_directory(image_dir, target_size=(4, 4), subset="training", shuffle=False)
    full = gen.flow_from_directory(image_dir, target_size=(4, 4), shuffle=False)
    assert sorted(val.filenames + train.filenames) == sorted(full.filenames)
    assert not set(val.filenames) & set(train.filenames)
    assert val.filenames[:2] == [os.path.join("a", "img0.png"), os.path.join("a", "img1.png")]
    with pytest.raises(ValueError, match="subset"):
        gen.flow_from_directory(image_dir, subset="test")


@needs_pil
def test_flow_from_dataframe_with_a_dict_of_columns(image_dir):
    frame = {"filename": [os.path.join("a", "img0.png"), os.path.join("b", "img1.png"), "missing.png"],
             "class": ["cat", "dog", "dog"]}
    gen = kimage.ImageDataGenerator()
    with pytest.warns(UserWarning, match="invalid image filename"):
        it = gen.flow_from_dataframe(frame, directory=image_dir, target_size=(3, 3), shuffle=False, batch_size=4)
    assert it.class_indices == {"cat": 0, "dog": 1} and it.classes == [0, 1]
    x, y = it[0]
    assert x.shape == (2, 3, 3, 3)
    np.testing.assert_array_equal(y, [[1, 0], [0, 1]])


def _small_cnn(input_shape, n_out, activation):
    model = keraslite.Sequential([keraslite.Input(input_shape), layers.Conv2D(4, 3, activation="relu"),
                                  layers.MaxPooling2D(), layers.Flatten(), layers.Dense(n_out, activation=activation)])
    return model


@needs_pil
def test_small_cnn_trains_from_flow_from_directory(image_dir):
    gen = kimage.ImageDataGenerator(rescale=1 / 255.0, horizontal_flip=True, rotation_range=10)
    it = gen.flow_from_directory(image_dir, target_size=(8, 8), batch_size=4, seed=0)
    model = _small_cnn((8, 8, 3), 3, "softmax")
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(it, steps_per_epoch=3, epochs=2, verbose=0)
    assert len(history.history["loss"]) == 2 and np.isfinite(history.history["loss"]).all()
    history = model.fit_generator(it, steps_per_epoch=2, epochs=2, verbose=0)
    assert len(history.history["loss"]) == 2
    plain = kimage.ImageDataGenerator(rescale=1 / 255.0).flow_from_directory(image_dir, target_size=(8, 8),
                                                                             batch_size=4, shuffle=False)
    loss, acc = model.evaluate(plain, verbose=0)
    assert np.isfinite(loss) and 0 <= acc <= 1
    assert np.allclose(model.evaluate_generator(plain, steps=len(plain)), [loss, acc], rtol=1e-5)
    assert model.predict(plain, verbose=0).shape == (13, 3)
    assert model.predict_generator(plain, steps=2).shape == (8, 3)


def test_flow_trains_with_binary_labels():
    rng = np.random.default_rng(6)
    x = rng.uniform(0, 1, (24, 8, 8, 1)).astype("float32")
    y = (x.mean(axis=(1, 2, 3)) > 0.5).astype("float32")
    model = _small_cnn((8, 8, 1), 1, "sigmoid")
    model.compile(optimizer="adam", loss="binary_crossentropy")
    it = kimage.ImageDataGenerator(width_shift_range=0.1).flow(x, y, batch_size=8)
    history = model.fit(it, epochs=2, verbose=0)
    assert len(history.history["loss"]) == 2


# ----------------------------------------------------------------------------- datasets

@needs_pil
def test_image_dataset_from_directory(image_dir):
    ds = keraslite.utils.image_dataset_from_directory(image_dir, image_size=(5, 6), batch_size=4, shuffle=False)
    assert isinstance(ds, tf_data.Dataset)  # the same Dataset as tf.data's, as Keras returns
    assert ds.class_names == ["a", "b", "c"] and len(ds) == 4
    assert not hasattr(ds.take(1), "class_names")  # derived datasets do not keep it (nor in TF)
    assert [os.path.relpath(p, image_dir) for p in ds.file_paths][:4] == [os.path.join("a", f"img{i}.png")
                                                                         for i in range(4)]
    images, labels = next(iter(ds))
    assert isinstance(images, torch.Tensor) and tuple(images.shape) == (4, 5, 6, 3) and images.dtype == torch.float32
    assert labels.dtype == torch.int32 and labels.tolist() == [0, 0, 0, 0]
    assert images.max() > 1  # not rescaled, as in Keras
    all_labels = torch.cat([y for _, y in ds]).tolist()
    assert all_labels == [0] * 4 + [1] * 5 + [2] * 4
    cat = keraslite.utils.image_dataset_from_directory(image_dir, image_size=(5, 6), label_mode="categorical",
                                                       color_mode="grayscale", shuffle=False, batch_size=None)
    x0, y0 = next(iter(cat))
    assert tuple(x0.shape) == (5, 6, 1) and y0.tolist() == [1.0, 0.0, 0.0] and len(cat) == 13
    only = keraslite.utils.image_dataset_from_directory(image_dir, labels=None, image_size=(3, 3), shuffle=False)
    assert isinstance(next(iter(only)), torch.Tensor) and only.class_names is None
    assert len(only.file_paths) == 14  # without labels, every image under the folder (Keras walks it all)
    with pytest.raises(ValueError, match="exactly 2"):
        keraslite.utils.image_dataset_from_directory(image_dir, label_mode="binary")
    with pytest.raises(ValueError, match="seed"):
        keraslite.utils.image_dataset_from_directory(image_dir, validation_split=0.2, subset="training")


@needs_pil
def test_image_dataset_split_is_disjoint_and_seeded(image_dir):
    kwargs = dict(image_size=(4, 4), batch_size=3, validation_split=0.3, seed=11)
    train = keraslite.utils.image_dataset_from_directory(image_dir, subset="training", **kwargs)
    val = keraslite.utils.image_dataset_from_directory(image_dir, subset="validation", **kwargs)
    both = keraslite.utils.image_dataset_from_directory(image_dir, subset="both", **kwargs)
    assert len(train.file_paths) == 10 and len(val.file_paths) == 3
    assert not set(train.file_paths) & set(val.file_paths)
    assert both[0].file_paths == train.file_paths and both[1].file_paths == val.file_paths
    first = [tuple(y.tolist()) for _, y in train]
    second = [tuple(y.tolist()) for _, y in train]
    assert sorted(sum(first, ())) == sorted(sum(second, ()))  # reshuffled, same samples


@needs_pil
def test_image_dataset_trains_a_model(image_dir):
    train = keraslite.utils.image_dataset_from_directory(image_dir, image_size=(8, 8), batch_size=4, seed=1)
    norm = train.map(lambda x, y: (x / 255.0, y)).cache().prefetch(buffer_size=dataset_utils.AUTOTUNE)
    model = _small_cnn((8, 8, 3), 3, "softmax")
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(norm, validation_data=norm, epochs=2, verbose=0)
    assert len(history.history["val_loss"]) == 2
    assert model.predict(norm.map(lambda x, y: x), verbose=0).shape == (13, 3)


def test_dataset_methods():
    ds = keraslite.utils.timeseries_dataset_from_array(np.arange(20), None, sequence_length=1, batch_size=4)
    assert len(ds) == 5 and ds.cardinality() == 5
    assert [b.tolist() for b in ds.take(2)] == [[[0], [1], [2], [3]], [[4], [5], [6], [7]]]
    assert [b[0, 0].item() for b in ds.skip(3)] == [12, 16]
    doubled = ds.map(lambda b: b * 2)
    assert len(doubled) == 5 and list(doubled)[1][0, 0].item() == 8
    rows = ds.unbatch()
    assert int(rows.cardinality()) == tf_data.UNKNOWN_CARDINALITY  # as in TF: len() needs a known size
    assert len(list(rows)) == 20 and list(rows)[5].tolist() == [5]
    rebatched = rows.batch(6)
    assert [len(b) for b in rebatched] == [6, 6, 6, 2]
    assert [len(b) for b in rows.batch(6, drop_remainder=True)] == [6, 6, 6]
    evens = rows.filter(lambda r: r[0] % 2 == 0)
    assert len(list(evens)) == 10
    shuffled = ds.shuffle(10, seed=0)
    assert sorted(b[0, 0].item() for b in shuffled) == [0, 4, 8, 12, 16]
    assert len(ds.repeat(2)) == 10
    endless = iter(ds.repeat())
    assert [next(endless)[0, 0].item() for _ in range(7)] == [0, 4, 8, 12, 16, 0, 4]
    arrays = list(ds.take(1).as_numpy_iterator())
    assert isinstance(arrays[0], np.ndarray)
    assert ds.prefetch(dataset_utils.AUTOTUNE) is ds
    pairs = keraslite.utils.timeseries_dataset_from_array(np.arange(10.0), np.arange(10), sequence_length=2,
                                                          batch_size=3)
    x, y = next(iter(pairs.unbatch().batch(4)))
    assert tuple(x.shape) == (4, 2) and y.tolist() == [0, 1, 2, 3]


def _reference_windows(data, targets, sequence_length, sequence_stride, sampling_rate, start_index, end_index):
    """The documented semantics, written out independently of the implementation."""
    start = start_index or 0
    end = len(data) if end_index is None else end_index
    xs, ys = [], []
    i = start
    while i + (sequence_length - 1) * sampling_rate < end:
        if targets is not None and i - start >= len(targets):
            break
        xs.append([data[i + k * sampling_rate] for k in range(sequence_length)])
        if targets is not None:
            ys.append(targets[i])
        i += sequence_stride
    return np.array(xs), (np.array(ys) if targets is not None else None)


@pytest.mark.parametrize("kwargs", [
    dict(sequence_length=5),
    dict(sequence_length=3, sequence_stride=2, sampling_rate=3),
    dict(sequence_length=4, start_index=7, end_index=40),
    dict(sequence_length=10, sampling_rate=2, sequence_stride=5, start_index=3),
])
def test_timeseries_windows_match_the_documented_semantics(kwargs):
    data = np.arange(50 * 2, dtype="float64").reshape(50, 2)
    targets = np.arange(100, 150)
    full = dict(sequence_stride=1, sampling_rate=1, start_index=None, end_index=None)
    full.update(kwargs)
    expected_x, expected_y = _reference_windows(data, targets, **full)
    ds = keraslite.utils.timeseries_dataset_from_array(data, targets, batch_size=7, **kwargs)
    got_x = torch.cat([x for x, _ in ds]).numpy()
    got_y = torch.cat([y for _, y in ds]).numpy()
    np.testing.assert_array_equal(got_x, expected_x)
    np.testing.assert_array_equal(got_y, expected_y)
    assert got_x.dtype == np.float64 and len(ds) == -(-len(expected_x) // 7)


def test_timeseries_shuffle_and_errors():
    data = np.arange(30)
    ds = keraslite.utils.timeseries_dataset_from_array(data, None, sequence_length=3, batch_size=None, shuffle=True,
                                                       seed=4)
    starts = [int(w[0]) for w in ds]
    assert sorted(starts) == list(range(28)) and starts != list(range(28))
    again = keraslite.utils.timeseries_dataset_from_array(data, None, sequence_length=3, batch_size=None,
                                                          shuffle=True, seed=4)
    assert [int(w[0]) for w in again] == starts
    with pytest.raises(ValueError, match="sampling_rate"):
        keraslite.utils.timeseries_dataset_from_array(data, None, 3, sampling_rate=0)
    with pytest.raises(ValueError, match="end_index"):
        keraslite.utils.timeseries_dataset_from_array(data, None, 3, end_index=30)


def test_timeseries_dataset_trains_a_model():
    series = np.sin(np.arange(200) / 5.0).astype("float32")[:, None]
    ds = keraslite.utils.timeseries_dataset_from_array(series[:-4], series[4:, 0], sequence_length=4, batch_size=16)
    model = keraslite.Sequential([keraslite.Input((4, 1)), layers.Flatten(), layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    history = model.fit(ds, epochs=2, verbose=0)
    assert len(history.history["loss"]) == 2


def test_text_dataset_from_directory(tmp_path):
    for label, texts in {"neg": ["bad movie", "awful"], "pos": ["great film", "loved it", "superb"]}.items():
        os.makedirs(tmp_path / label)
        for i, text in enumerate(texts):
            (tmp_path / label / f"{i}.txt").write_text(text, encoding="utf-8")
    (tmp_path / "pos" / "skip.md").write_text("ignored")
    ds = keraslite.utils.text_dataset_from_directory(str(tmp_path), batch_size=2, shuffle=False)
    assert ds.class_names == ["neg", "pos"] and len(ds) == 3
    texts, labels = next(iter(ds))
    assert list(texts) == ["bad movie", "awful"] and labels.tolist() == [0, 0]
    assert texts.numpy().tolist() == [b"bad movie", b"awful"]
    assert ds.element_spec[0].shape == (None,) and ds.element_spec[0].dtype == "string"
    rows = list(ds.unbatch())  # one text per element: a str, its label a scalar
    assert rows[2][0] == "great film" and int(rows[2][1]) == 1
    again, _ = next(iter(ds.unbatch().batch(3)))
    assert again.numpy().tolist() == [b"bad movie", b"awful", b"great film"]
    mapped = next(iter(ds.map(lambda t, y: (t, y * 2))))
    assert list(mapped[0]) == ["bad movie", "awful"] and mapped[0].numpy()[0] == b"bad movie"
    assert next(ds.as_numpy_iterator())[0].tolist() == [b"bad movie", b"awful"]
    cut = keraslite.utils.text_dataset_from_directory(str(tmp_path), batch_size=8, shuffle=False, max_length=3,
                                                      label_mode="binary")
    texts, labels = next(iter(cut))
    assert list(texts) == ["bad", "awf", "gre", "lov", "sup"] and labels.shape == (5, 1)
    shuffled = keraslite.utils.text_dataset_from_directory(str(tmp_path), batch_size=8, seed=3)
    assert sorted(next(iter(shuffled))[0]) == sorted(t for batch, _ in ds for t in batch.tolist())


def _write_wav(path, samples, rate=16000):
    import wave

    samples = np.asarray(samples, dtype=np.int16)
    samples = samples[:, None] if samples.ndim == 1 else samples
    with wave.open(str(path), "wb") as w:
        w.setnchannels(samples.shape[1])
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(samples.tobytes())


@pytest.fixture
def audio_dir(tmp_path):
    for label, lengths in {"down": [5, 3], "go": [4, 6, 2]}.items():
        os.makedirs(tmp_path / label)
        for i, n in enumerate(lengths):
            _write_wav(tmp_path / label / f"{i}.wav", np.full(n, 16384 if label == "go" else -32768))
    (tmp_path / "go" / "notes.txt").write_text("ignored")
    return str(tmp_path)


def test_audio_dataset_from_directory_pads_to_the_longest_in_each_batch(audio_dir):
    ds = keraslite.utils.audio_dataset_from_directory(audio_dir, batch_size=2, shuffle=False)
    assert ds.class_names == ["down", "go"] and len(ds) == 3
    batches = list(ds)
    audio, labels = batches[0]
    assert audio.dtype == torch.float32 and tuple(audio.shape) == (2, 5, 1) and labels.tolist() == [0, 0]
    np.testing.assert_array_equal(audio[1, :, 0].numpy(), [-1, -1, -1, 0, 0])  # 16-bit PCM -> [-1, 1), zero pad
    assert [tuple(a.shape) for a, _ in batches] == [(2, 5, 1), (2, 6, 1), (1, 2, 1)]
    np.testing.assert_allclose(batches[1][0][0, :4, 0].numpy(), 0.5)
    assert ds.element_spec[0].shape == (None, 5, 1)

    fixed = keraslite.utils.audio_dataset_from_directory(audio_dir, batch_size=8, shuffle=False,
                                                         output_sequence_length=4, label_mode="categorical")
    audio, labels = next(iter(fixed))
    assert tuple(audio.shape) == (5, 4, 1) and labels.tolist()[0] == [1.0, 0.0]
    np.testing.assert_array_equal(audio[4, :, 0].numpy(), [0.5, 0.5, 0, 0])  # cut and padded to 4 samples
    single = keraslite.utils.audio_dataset_from_directory(audio_dir, batch_size=None, shuffle=False, labels=None)
    assert single.class_names is None and [tuple(a.shape) for a in single] == [(5, 1), (3, 1), (4, 1), (6, 1),
                                                                                (2, 1)]


def test_audio_dataset_from_directory_splits_channels_and_checks_arguments(audio_dir, tmp_path_factory):
    kwargs = dict(batch_size=2, validation_split=0.4, seed=1)
    train, val = keraslite.utils.audio_dataset_from_directory(audio_dir, subset="both", **kwargs)
    assert train.class_names == val.class_names == ["down", "go"]
    assert sum(len(a) for a, _ in train) == 3 and sum(len(a) for a, _ in val) == 2
    alone = keraslite.utils.audio_dataset_from_directory(audio_dir, subset="validation", **kwargs)
    assert [a.shape for a, _ in alone] == [a.shape for a, _ in val]

    stereo = tmp_path_factory.mktemp("stereo")
    os.makedirs(stereo / "a")
    _write_wav(stereo / "a" / "x.wav", [[32767, -32768], [0, 16384]], rate=8000)
    audio, _ = next(iter(keraslite.utils.audio_dataset_from_directory(str(stereo), shuffle=False,
                                                                      sampling_rate=8000)))
    assert tuple(audio.shape) == (1, 2, 2) and audio[0, 1, 1] == 0.5
    with pytest.raises(ValueError, match="sampled at 8000 Hz but sampling_rate=16000"):
        list(keraslite.utils.audio_dataset_from_directory(str(stereo), sampling_rate=16000))
    with pytest.raises(ValueError, match="Cannot set both `ragged` and `output_sequence_length`"):
        keraslite.utils.audio_dataset_from_directory(audio_dir, ragged=True, output_sequence_length=4)
    with pytest.raises(ValueError, match="ragged=True is not available"):
        keraslite.utils.audio_dataset_from_directory(audio_dir, ragged=True)
    with pytest.raises(ValueError, match="`sampling_rate` should have an integer value"):
        keraslite.utils.audio_dataset_from_directory(audio_dir, sampling_rate=16000.0)
    with pytest.raises(ValueError, match=r"No audio files found in directory .*Allowed format\(s\): \('.wav',\)"):
        keraslite.utils.audio_dataset_from_directory(str(tmp_path_factory.mktemp("empty")))


def test_module_paths_under_the_aliases():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        keraslite.install_aliases()
    try:
        image = importlib.import_module("keras.preprocessing.image")
        assert image.ImageDataGenerator is kimage.ImageDataGenerator
        assert image.load_img is keraslite.utils.load_img and image.img_to_array is image_utils.img_to_array
        assert importlib.import_module("tensorflow.keras.preprocessing.image").ImageDataGenerator is \
            kimage.ImageDataGenerator
        assert importlib.import_module("keras_preprocessing.image").ImageDataGenerator is kimage.ImageDataGenerator
        utils = importlib.import_module("keras.utils")
        assert utils.image_dataset_from_directory is dataset_utils.image_dataset_from_directory
        assert utils.timeseries_dataset_from_array is dataset_utils.timeseries_dataset_from_array
        assert utils.audio_dataset_from_directory is dataset_utils.audio_dataset_from_directory
        assert importlib.import_module("tensorflow").keras.utils.audio_dataset_from_directory is \
            dataset_utils.audio_dataset_from_directory
        assert importlib.import_module("keras.preprocessing").text_dataset_from_directory is \
            dataset_utils.text_dataset_from_directory
        assert importlib.import_module("keras.utils.image_utils").save_img is image_utils.save_img
        assert importlib.import_module("tensorflow").data.AUTOTUNE == dataset_utils.AUTOTUNE
    finally:
        keraslite.uninstall_aliases()


def test_image_iterators_go_on_past_one_pass_like_keras2(recwarn):
    # DLwP's augmentation listing: fit_generator(flow(...), steps_per_epoch=100) on 2000 images in
    # batches of 32 (63 per pass). Keras 2's iterators were endless: every step runs, each pass
    # reshuffled, with no "ran out of data" warning. A plain PyDataset still stops (Keras 3).
    import keraslite
    from keraslite.utils.preprocessing.image import ImageDataGenerator

    x = np.random.default_rng(0).random((80, 4, 4, 3)).astype("float32")
    y = np.arange(80) % 2
    flow = ImageDataGenerator().flow(x, y, batch_size=32, shuffle=True, seed=1)
    model = keraslite.Sequential([keraslite.layers.Flatten(input_shape=(4, 4, 3)), keraslite.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    sizes = []
    original = flow._get_batches_of_transformed_samples
    flow._get_batches_of_transformed_samples = lambda index: sizes.append(len(index)) or original(index)
    model.fit(flow, steps_per_epoch=8, epochs=2, verbose=0)
    assert len(sizes) == 16  # every step ran: 5 whole passes of 3 batches and one more batch
    assert all(sorted(sizes[i:i + 3]) == [16, 32, 32] for i in range(0, 15, 3))
    assert not [w for w in recwarn.list if "ran out of data" in str(w.message)]


def test_dataset_batches_work_with_numpy_in_a_keras_program(tmp_path):
    # Keras's dataset utilities return a tf.data.Dataset on every backend, so programs reduce
    # its batches with numpy as TensorFlow tensors (DLwP's naive forecast); the same program
    # run through the aliases must too.
    out = run_source(tmp_path, """
import numpy as np, keras
data = np.arange(30, dtype="float64")
ds = keras.utils.timeseries_dataset_from_array(data[:-3], targets=data[3:], sequence_length=3, batch_size=4)
total, seen = 0.0, 0
for samples, targets in ds:
    total += np.sum(np.abs(samples[:, -1] * 2.0 + 1.0 - targets))
    seen += samples.shape[0]
print("mae", total / seen, np.mean(targets, axis=0))
""")
    preds = np.arange(2, 27) * 2.0 + 1.0
    expected = np.abs(preds - np.arange(3, 28)).mean()
    assert out.split()[0] == "mae" and abs(float(out.split()[1]) - expected) < 1e-9


@needs_pil
def test_image_dataset_takes_tf_2_5_smart_resize(image_dir):
    """TF 2.5's `smart_resize=True` (Deep Learning with Python's GAN) is crop_to_aspect_ratio."""
    def first(**kw):
        ds = keraslite.utils.image_dataset_from_directory(image_dir, image_size=(4, 4), batch_size=None,
                                                          shuffle=False, **kw)
        return next(iter(ds))[0].numpy()

    cropped = first(crop_to_aspect_ratio=True)
    np.testing.assert_array_equal(first(smart_resize=True), cropped)
    assert not np.array_equal(first(), cropped)  # the first image (10x12) is not square
