"""Image preprocessing against real Keras 3 (torch backend) on the same folder of PNGs.

Compared directly with Keras: load_img / img_to_array / array_to_img / save_img,
ImageDataGenerator (fit + standardize, random_transform with a seed, flow) and
flow_from_directory (class_indices, classes, filenames, every batch; class modes, grayscale,
rgba, resizing, validation subsets, seeded shuffling).

image_dataset_from_directory and timeseries_dataset_from_array: Keras 3.15.1 builds them
with tf.data (format='tf') or grain (format='grain') and raises ImportError when neither
TensorFlow nor grain is installed (checked below). So the image datasets are compared with
Keras's own pieces that run without them: `index_directory` (file order, labels, class
names, seeded shuffle), `get_training_or_validation_split`, and the per-image loader of its
grain path (`_load_image_grain`: Pillow decode + keras.ops.image.resize). The timeseries
windows are compared with an independent numpy reference of the documented semantics (or
with Keras itself when TensorFlow is installed).
"""
import os
import warnings

import numpy as np
import pytest
import torch

import keraslite
from keraslite.utils import dataset_utils
from keraslite.utils.preprocessing import image as lite_image

keras = pytest.importorskip("keras")
PIL = pytest.importorskip("PIL")
from PIL import Image  # noqa: E402

from keras.src.legacy.preprocessing import image as keras_image  # noqa: E402


def _has(module):
    try:
        __import__(module)
    except ImportError:
        return False
    return True


needs_scipy = pytest.mark.skipif(not _has("scipy.ndimage"), reason="Keras's geometric transforms need scipy")


@pytest.fixture(scope="module")
def image_dir(tmp_path_factory):
    """3 classes of PNGs of mixed sizes and modes (RGB, RGBA, grayscale, palette), one nested
    folder, and files that are not images."""
    rng = np.random.default_rng(0)
    root = tmp_path_factory.mktemp("parity_images")
    for ci, (name, n) in enumerate({"cats": 5, "dogs": 6, "ants": 4}.items()):
        for i in range(n):
            h, w = int(rng.integers(6, 15)), int(rng.integers(6, 15))
            folder = root / name / ("deep" if i == 1 else "")
            folder.mkdir(parents=True, exist_ok=True)
            pixels = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
            img = Image.fromarray(pixels)
            if i == 2:
                img = Image.fromarray(rng.integers(0, 256, (h, w, 4), dtype=np.uint8), "RGBA")
            elif i == 3:
                img = img.convert("L")
            elif i == 4:
                img = img.convert("P")
            img.save(folder / f"{name}_{i:02d}.png")
        (root / name / "notes.txt").write_text("not an image")
    return str(root)


def _parts(batch):
    """A batch -> flat list of arrays: (x, y, w) tuples and [x, extra] input lists opened up."""
    if isinstance(batch, (tuple, list)):
        return [a for part in batch for a in _parts(part)]
    return [batch]


def _assert_same_batches(lite_it, keras_it):
    """Every batch, fetched alternately from both (each fetch reseeds numpy when seeded)."""
    assert len(lite_it) == len(keras_it)
    for b in range(len(keras_it)):
        got, expected = _parts(lite_it[b]), _parts(keras_it[b])
        assert len(got) == len(expected)
        for g, e in zip(got, expected):
            assert g.dtype == e.dtype and g.shape == e.shape, f"batch {b}: {g.dtype}{g.shape} vs {e.dtype}{e.shape}"
            np.testing.assert_allclose(g, e, rtol=1e-6, atol=1e-6, err_msg=f"batch {b}")


# ----------------------------------------------------------------------------- files

@pytest.mark.parametrize("kwargs", [
    dict(), dict(color_mode="grayscale"), dict(color_mode="rgba"), dict(target_size=(5, 9)),
    dict(target_size=(7, 7), interpolation="bilinear"), dict(target_size=(4, 6), interpolation="bicubic"),
    dict(target_size=(5, 5), keep_aspect_ratio=True), dict(target_size=(3, 8), keep_aspect_ratio=True,
                                                           interpolation="lanczos"),
])
def test_load_img_and_img_to_array(image_dir, kwargs):
    # RGB, RGBA, grayscale, palette, and one in a nested folder
    for name in ("cats/cats_00.png", "cats/cats_02.png", "dogs/dogs_03.png", "dogs/dogs_04.png",
                 "ants/deep/ants_01.png"):
        path = os.path.join(image_dir, name)
        lite = keraslite.utils.load_img(path, **kwargs)
        ref = keras.utils.load_img(path, **kwargs)
        assert lite.mode == ref.mode and lite.size == ref.size
        for data_format in ("channels_last", "channels_first"):
            got = keraslite.utils.img_to_array(lite, data_format=data_format)
            expected = keras.utils.img_to_array(ref, data_format=data_format)
            assert got.dtype == expected.dtype
            np.testing.assert_array_equal(got, expected)


def test_array_to_img_and_save_img(tmp_path):
    rng = np.random.default_rng(1)
    for shape in [(5, 4, 3), (5, 4, 1), (5, 4, 4)]:
        x = rng.normal(0, 50, shape)
        for scale in (True, False):
            got = np.asarray(keraslite.utils.array_to_img(x, scale=scale))
            expected = np.asarray(keras.utils.array_to_img(x, scale=scale))
            np.testing.assert_array_equal(got, expected)
        keraslite.utils.save_img(str(tmp_path / "lite.png"), x)
        keras.utils.save_img(str(tmp_path / "keras.png"), x)
        np.testing.assert_array_equal(np.asarray(Image.open(tmp_path / "lite.png")),
                                      np.asarray(Image.open(tmp_path / "keras.png")))
    grey_big = rng.uniform(0, 1000, (3, 3, 1))
    assert keraslite.utils.array_to_img(grey_big, scale=False).mode == keras.utils.array_to_img(grey_big,
                                                                                                scale=False).mode


# ----------------------------------------------------------------------------- flow_from_directory

@pytest.mark.parametrize("kwargs", [
    dict(),
    dict(class_mode="binary", classes=["dogs", "cats"]),
    dict(class_mode="sparse", color_mode="grayscale"),
    dict(class_mode="input", color_mode="rgba", target_size=(5, 7)),
    dict(class_mode=None, interpolation="bilinear"),
    dict(target_size=(6, 6), keep_aspect_ratio=True, batch_size=4),
])
@pytest.mark.parametrize("generator", [dict(rescale=1.0 / 255), dict(rescale=1.0 / 255, validation_split=0.3),
                                       dict(samplewise_center=True, data_format="channels_first")])
def test_flow_from_directory_without_shuffling(image_dir, kwargs, generator):
    subsets = ["training", "validation"] if generator.get("validation_split") else [None]
    options = dict(target_size=(8, 10), batch_size=5)
    options.update(kwargs)
    for subset in subsets:
        lite = lite_image.ImageDataGenerator(**generator).flow_from_directory(image_dir, shuffle=False,
                                                                              subset=subset, **options)
        ref = keras_image.ImageDataGenerator(**generator).flow_from_directory(image_dir, shuffle=False,
                                                                              subset=subset, **options)
        assert lite.class_indices == ref.class_indices
        assert lite.filenames == ref.filenames
        assert lite.filepaths == ref.filepaths
        assert lite.classes.dtype == ref.classes.dtype
        np.testing.assert_array_equal(lite.classes, ref.classes)
        assert (lite.samples, lite.num_classes, len(lite), lite.image_shape) == (
            ref.samples, ref.num_classes, len(ref), ref.image_shape)
        _assert_same_batches(lite, ref)


def test_flow_from_directory_prints_what_it_found(image_dir, capsys):
    lite_image.ImageDataGenerator().flow_from_directory(image_dir, target_size=(4, 4))
    lite_out = capsys.readouterr().out
    keras_image.ImageDataGenerator().flow_from_directory(image_dir, target_size=(4, 4))
    assert lite_out == capsys.readouterr().out == "Found 15 images belonging to 3 classes.\n"


def test_flow_from_directory_seeded_shuffle(image_dir):
    options = dict(target_size=(5, 5), batch_size=4, seed=17, class_mode="sparse")
    lite = lite_image.ImageDataGenerator(rescale=0.5).flow_from_directory(image_dir, **options)
    ref = keras_image.ImageDataGenerator(rescale=0.5).flow_from_directory(image_dir, **options)
    for epoch in range(2):
        _assert_same_batches(lite, ref)
        for it in (lite, ref):  # the next epoch's order comes from numpy's global state
            np.random.seed(100 + epoch)
            it.on_epoch_end()
    lite = lite_image.ImageDataGenerator().flow_from_directory(image_dir, **options)
    ref = keras_image.ImageDataGenerator().flow_from_directory(image_dir, **options)
    for _ in range(6):  # next() walks on past the end, reshuffling, as Keras does
        got, expected = next(lite), next(ref)
        np.testing.assert_array_equal(got[0], expected[0])
        np.testing.assert_array_equal(got[1], expected[1])


@needs_scipy
def test_flow_from_directory_with_augmentation_and_a_seed(image_dir):
    generator = dict(rescale=1.0 / 255, rotation_range=20, width_shift_range=0.1, height_shift_range=0.1,
                     shear_range=0.2, zoom_range=0.2, horizontal_flip=True, fill_mode="reflect")
    options = dict(target_size=(9, 9), batch_size=6, seed=3)
    lite = lite_image.ImageDataGenerator(**generator).flow_from_directory(image_dir, **options)
    ref = keras_image.ImageDataGenerator(**generator).flow_from_directory(image_dir, **options)
    _assert_same_batches(lite, ref)


# ----------------------------------------------------------------------------- ImageDataGenerator

def _images(n=12, shape=(6, 5, 3), seed=2):
    return np.random.default_rng(seed).uniform(0, 255, (n,) + shape).astype("float32")


@pytest.mark.parametrize("kwargs", [
    dict(featurewise_center=True),
    dict(featurewise_center=True, featurewise_std_normalization=True, rescale=1.0 / 255),
    dict(samplewise_center=True, samplewise_std_normalization=True),
    dict(zca_whitening=True),
    dict(zca_whitening=True, zca_epsilon=1e-2, featurewise_std_normalization=True, rescale=0.1),
    dict(featurewise_center=True, data_format="channels_first"),
    dict(preprocessing_function=lambda x: x ** 0.5, featurewise_center=True, featurewise_std_normalization=True),
])
def test_fit_and_standardize(kwargs):
    x = _images()
    if kwargs.get("data_format") == "channels_first":
        x = np.ascontiguousarray(x.transpose(0, 3, 1, 2))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        lite = lite_image.ImageDataGenerator(**kwargs)
        ref = keras_image.ImageDataGenerator(**kwargs)
    lite.fit(x)
    ref.fit(x)
    for attr in ("mean", "std", "zca_whitening_matrix"):
        got, expected = getattr(lite, attr), getattr(ref, attr)
        assert (got is None) == (expected is None), attr
        if expected is not None:
            np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5, err_msg=attr)
    np.testing.assert_allclose(lite.standardize(x.copy()), ref.standardize(x.copy()), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(lite.standardize(x[0].copy()), ref.standardize(x[0].copy()), rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("kwargs", [
    dict(horizontal_flip=True, vertical_flip=True),
    dict(channel_shift_range=30.0),
    dict(brightness_range=(0.4, 1.6)),
    pytest.param(dict(rotation_range=45), marks=needs_scipy),
    pytest.param(dict(width_shift_range=0.3, height_shift_range=[-2, 1, 3]), marks=needs_scipy),
    pytest.param(dict(width_shift_range=2, height_shift_range=0.2, fill_mode="wrap"), marks=needs_scipy),
    pytest.param(dict(shear_range=30, zoom_range=[0.6, 1.3], fill_mode="constant", cval=9.0), marks=needs_scipy),
    pytest.param(dict(rotation_range=90, zoom_range=0.3, fill_mode="reflect", interpolation_order=0),
                 marks=needs_scipy),
    pytest.param(dict(rotation_range=30, data_format="channels_first"), marks=needs_scipy),
])
def test_random_transform_with_a_seed(kwargs):
    x = _images(1, (7, 9, 3))[0]
    if kwargs.get("data_format") == "channels_first":
        x = np.ascontiguousarray(x.transpose(2, 0, 1))
    lite = lite_image.ImageDataGenerator(**kwargs)
    ref = keras_image.ImageDataGenerator(**kwargs)
    for seed in range(4):
        assert lite.get_random_transform(x.shape, seed=seed) == ref.get_random_transform(x.shape, seed=seed)
        np.testing.assert_allclose(lite.random_transform(x.copy(), seed=seed),
                                   ref.random_transform(x.copy(), seed=seed), rtol=1e-5, atol=1e-3)


@needs_scipy
def test_numpy_affine_fallback_matches_keras(monkeypatch):
    x = _images(1, (8, 6, 3))[0]
    for fill_mode in ("nearest", "constant", "reflect", "wrap"):
        kwargs = dict(rotation_range=50, zoom_range=0.4, shear_range=20, width_shift_range=0.2, fill_mode=fill_mode)
        expected = keras_image.ImageDataGenerator(**kwargs).random_transform(x.copy(), seed=5)
        with monkeypatch.context() as m:
            m.setattr(lite_image, "_scipy_affine", lambda: None)
            got = lite_image.ImageDataGenerator(**kwargs).random_transform(x.copy(), seed=5)
        np.testing.assert_allclose(got, expected, atol=1e-3)


@pytest.mark.parametrize("kwargs", [
    dict(batch_size=5),
    dict(batch_size=4, subset="validation"),
    dict(batch_size=4, subset="training"),
    dict(batch_size=3, seed=11, shuffle=True),
])
def test_flow(kwargs):
    x = _images(10, (4, 4, 3))
    y = np.array([0, 1, 2, 0, 1, 2, 0, 1, 2, 1])
    w = np.linspace(0.1, 1.0, 10)
    options = dict(shuffle=False)
    options.update(kwargs)
    generator = dict(rescale=1.0 / 255, validation_split=0.4, featurewise_center=True)
    lite = lite_image.ImageDataGenerator(**generator)
    ref = keras_image.ImageDataGenerator(**generator)
    lite.fit(x)
    ref.fit(x)
    if "subset" in options:
        _assert_same_batches(lite.flow(x, y, **options), ref.flow(x, y, **options))
    else:
        _assert_same_batches(lite.flow(x, y, sample_weight=w, **options), ref.flow(x, y, sample_weight=w, **options))
        _assert_same_batches(lite.flow(x, **options), ref.flow(x, **options))
        _assert_same_batches(lite.flow((x, y * 2.0), y, **options), ref.flow((x, y * 2.0), y, **options))


@needs_scipy
def test_flow_with_augmentation_and_a_seed():
    x = _images(9, (6, 6, 3))
    y = np.arange(9)
    generator = dict(rotation_range=15, zoom_range=0.1, horizontal_flip=True, channel_shift_range=5.0)
    lite = lite_image.ImageDataGenerator(**generator).flow(x, y, batch_size=4, seed=8)
    ref = keras_image.ImageDataGenerator(**generator).flow(x, y, batch_size=4, seed=8)
    _assert_same_batches(lite, ref)


# ----------------------------------------------------------------------------- datasets

def test_keras_needs_tensorflow_or_grain_for_datasets():
    """Why the dataset builders are compared with Keras's pieces and not end to end."""
    if _has("tensorflow") or _has("grain"):
        pytest.skip("TensorFlow or grain is installed: Keras's dataset builders run here")
    with pytest.raises(ImportError, match="tensorflow"):
        keras.utils.timeseries_dataset_from_array(np.arange(10), None, 3)
    with pytest.raises(ImportError, match="grain"):
        keras.utils.timeseries_dataset_from_array(np.arange(10), None, 3, format="grain")


@pytest.mark.parametrize("kwargs", [
    dict(shuffle=False),
    dict(shuffle=True, seed=5),
    dict(shuffle=True, seed=9, validation_split=0.25, subset="training"),
    dict(shuffle=True, seed=9, validation_split=0.25, subset="validation"),
    dict(shuffle=False, class_names=["dogs", "ants"]),
])
def test_image_dataset_from_directory_files_labels_and_images(image_dir, kwargs):
    from keras.src.utils import dataset_utils as keras_dataset_utils
    from keras.src.utils import image_dataset_utils as keras_image_dataset_utils

    lite = keraslite.utils.image_dataset_from_directory(image_dir, image_size=(7, 8), batch_size=4,
                                                        label_mode="categorical", verbose=False, **kwargs)
    paths, labels, class_names = keras_dataset_utils.index_directory(
        image_dir, "inferred", formats=keras_image_dataset_utils.ALLOWLIST_FORMATS,
        class_names=kwargs.get("class_names"), shuffle=kwargs["shuffle"], seed=kwargs.get("seed"), verbose=False)
    if kwargs.get("subset"):
        paths, labels = keras_dataset_utils.get_training_or_validation_split(paths, labels, kwargs["validation_split"],
                                                                             kwargs["subset"])
    assert lite.class_names == class_names
    assert lite.file_paths == paths
    images, one_hot = [], []
    for path, label in zip(paths, labels):
        images.append(keras.ops.convert_to_numpy(keras_image_dataset_utils._load_image_grain(
            path, (7, 8), 3, "bilinear", "channels_last")))
        one_hot.append(keras.ops.convert_to_numpy(keras.ops.one_hot(int(label), len(class_names))))
    batches = list(lite)  # one pass: a shuffled dataset is reshuffled after each pass
    got_x = torch.cat([x for x, _ in batches]).numpy()
    got_y = torch.cat([y for _, y in batches]).numpy()
    np.testing.assert_allclose(got_x, np.stack(images), rtol=1e-5, atol=1e-3)
    np.testing.assert_array_equal(got_y, np.stack(one_hot))


@pytest.mark.parametrize("kwargs", [
    dict(color_mode="grayscale", interpolation="nearest"),
    dict(color_mode="rgba", interpolation="bicubic"),
    dict(crop_to_aspect_ratio=True),
    dict(pad_to_aspect_ratio=True),
    dict(data_format="channels_first"),
])
def test_image_dataset_from_directory_decoding_and_resizing(image_dir, kwargs):
    from keras.src.utils import image_dataset_utils as keras_image_dataset_utils

    lite = keraslite.utils.image_dataset_from_directory(image_dir, image_size=(6, 11), batch_size=None,
                                                        shuffle=False, verbose=False, labels=None, **kwargs)
    channels = {"grayscale": 1, "rgb": 3, "rgba": 4}[kwargs.get("color_mode", "rgb")]
    images = list(lite)  # batch_size=None: one image per element, in file_paths order
    assert len(images) == len(lite.file_paths)
    for image, path in zip(images, lite.file_paths):
        expected = keras.ops.convert_to_numpy(keras_image_dataset_utils._load_image_grain(
            path, (6, 11), channels, kwargs.get("interpolation", "bilinear"),
            kwargs.get("data_format", "channels_last"), kwargs.get("crop_to_aspect_ratio", False),
            kwargs.get("pad_to_aspect_ratio", False)))
        np.testing.assert_allclose(image.numpy(), expected, rtol=1e-5, atol=1e-3, err_msg=path)


def test_image_dataset_from_directory_prints_like_keras(image_dir, capsys):
    from keras.src.utils import dataset_utils as keras_dataset_utils
    from keras.src.utils import image_dataset_utils as keras_image_dataset_utils

    keraslite.utils.image_dataset_from_directory(image_dir, image_size=(3, 3), validation_split=0.2,
                                                 subset="training", seed=1)
    lite_out = capsys.readouterr().out
    paths, labels, _ = keras_dataset_utils.index_directory(
        image_dir, "inferred", formats=keras_image_dataset_utils.ALLOWLIST_FORMATS, seed=1)
    keras_dataset_utils.get_training_or_validation_split(paths, labels, 0.2, "training")
    assert lite_out == capsys.readouterr().out


def test_text_dataset_files_and_labels_follow_keras(tmp_path):
    from keras.src.utils import dataset_utils as keras_dataset_utils

    rng = np.random.default_rng(3)
    for label in ("neg", "pos", "neutral"):
        os.makedirs(tmp_path / label / "more")
        for i in range(int(rng.integers(2, 6))):
            sub = "more/" if i == 0 else ""
            (tmp_path / label / f"{sub}{i}.txt").write_text(f"{label} text number {i}")
    lite = keraslite.utils.text_dataset_from_directory(str(tmp_path), batch_size=3, seed=4, verbose=False)
    paths, labels, class_names = keras_dataset_utils.index_directory(str(tmp_path), "inferred", formats=(".txt",),
                                                                     seed=4, verbose=False)
    assert lite.class_names == class_names
    batches = list(lite)  # one pass: a shuffled dataset is reshuffled after each pass
    texts = [t for batch, _ in batches for t in batch]
    got_labels = torch.cat([y for _, y in batches]).tolist()
    expected = []
    for path in paths:
        with open(path) as f:
            expected.append(f.read())
    assert sorted(zip(texts, got_labels)) == sorted(zip(expected, labels.tolist()))


def _reference_windows(data, targets, sequence_length, sequence_stride=1, sampling_rate=1, start_index=None,
                       end_index=None):
    """Keras's documented semantics, independently: window i starts at start_index + i * stride,
    takes every sampling_rate-th step, must end before end_index; its target is
    targets[start], and there are no more windows than targets."""
    start = start_index or 0
    end = len(data) if end_index is None else end_index
    xs, ys = [], []
    first = start
    while first + (sequence_length - 1) * sampling_rate < end:
        if targets is not None and first - start >= len(targets):
            break
        xs.append(data[first:first + (sequence_length - 1) * sampling_rate + 1:sampling_rate])
        ys.append(None if targets is None else targets[first])
        first += sequence_stride
    return np.array(xs), (None if targets is None else np.array(ys))


@pytest.mark.parametrize("kwargs", [
    dict(sequence_length=10),
    dict(sequence_length=5, sequence_stride=3, sampling_rate=2),
    dict(sequence_length=4, start_index=5, end_index=60, sequence_stride=2),
    dict(sequence_length=6, sampling_rate=4, batch_size=5),
])
def test_timeseries_dataset_from_array(kwargs):
    data = np.arange(100 * 3, dtype="float32").reshape(100, 3) / 7.0
    targets = np.arange(100) * 10
    batch_size = kwargs.pop("batch_size", 8)
    lite = keraslite.utils.timeseries_dataset_from_array(data, targets, batch_size=batch_size, **kwargs)
    if _has("tensorflow"):
        ref = keras.utils.timeseries_dataset_from_array(data, targets, batch_size=batch_size, **kwargs)
        ref_batches = [(np.asarray(x), np.asarray(y)) for x, y in ref]
    else:
        xs, ys = _reference_windows(data, targets, **kwargs)
        ref_batches = [(xs[i:i + batch_size], ys[i:i + batch_size]) for i in range(0, len(xs), batch_size)]
    got = [(x.numpy(), y.numpy()) for x, y in lite]
    assert len(got) == len(ref_batches)
    for (gx, gy), (ex, ey) in zip(got, ref_batches):
        np.testing.assert_array_equal(gx, ex)
        np.testing.assert_array_equal(gy, ey)
    assert all(b[0].dtype == torch.float32 for b in lite)


def test_timeseries_shuffle_uses_keras_seeded_order():
    """With shuffle=True, Keras shuffles the window starts with np.random.RandomState(seed);
    keraslite's first epoch visits them in that order."""
    data = np.arange(40)
    starts = np.arange(0, 40 - 4, 1)
    np.random.RandomState(12).shuffle(starts)
    lite = keraslite.utils.timeseries_dataset_from_array(data, None, sequence_length=5, batch_size=None,
                                                         shuffle=True, seed=12)
    assert [int(w[0]) for w in lite] == starts.tolist()
    assert dataset_utils.AUTOTUNE == -1
