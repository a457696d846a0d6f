"""Datasets from folders and arrays: `image_dataset_from_directory`,
`text_dataset_from_directory` and `timeseries_dataset_from_array` (`keras.utils.*`,
`keras.preprocessing.*`), and the small `Dataset` class they return.

Keras returns `tf.data.Dataset`s (or grain datasets). keraslite has no TensorFlow, so these
return a `Dataset`: a lightweight, re-iterable sequence of batches that `model.fit`,
`evaluate` and `predict` accept (it is a `keras.utils.PyDataset`), with the tf.data methods
tutorials chain on it: `map`, `take`, `skip`, `shuffle`, `cache`, `prefetch`, `batch`,
`unbatch`, `filter`, `repeat`, `as_numpy_iterator`, `cardinality`, `len()`. Batches are CPU
torch tensors (so `images[i].numpy()` works as with TF); text batches are numpy arrays of str
whose `.numpy()` gives bytes, as TF's string tensors do. `.class_names` (and `.file_paths`
for images) are set as Keras sets them.

What matches Keras: the files found, their order, labels and class names (the same walk,
sort and seeded shuffle as `keras.src.utils.dataset_utils.index_directory`), the
training/validation split, label encodings and dtypes, image decoding (Pillow, as Keras's
non-TF path) and resizing (torch interpolate with Keras's torch-backend settings), and the
windows of `timeseries_dataset_from_array`. What differs: with `shuffle=True` the order
within each epoch after the seeded file shuffle comes from numpy, not from tf.data's shuffle
buffer; resizing modes 'lanczos3', 'lanczos5', 'gaussian' and 'mitchellcubic' are not
available.
"""
import os

import numpy as np

__all__ = ["Dataset", "image_dataset_from_directory", "text_dataset_from_directory",
           "timeseries_dataset_from_array", "index_directory"]

IMAGE_FORMATS = (".bmp", ".gif", ".jpeg", ".jpg", ".png")
AUTOTUNE = -1


def _pydataset():
    from keraslite.training.data import PyDataset

    return PyDataset


def _torch():
    import torch

    return torch


# ----------------------------------------------------------------------------- Dataset

class StringBatch(np.ndarray):
    """A numpy array of str (a batch of texts) whose `.numpy()` gives the UTF-8 bytes, as a
    TF string tensor's does."""

    def numpy(self):
        return np.array([s.encode("utf-8") if isinstance(s, str) else s for s in self.ravel()],
                        dtype=object).reshape(self.shape)


def _string_batch(texts):
    out = np.empty(len(texts), dtype=object)
    out[:] = list(texts)
    return out.view(StringBatch)


def _call(fn, element):
    return fn(*element) if isinstance(element, tuple) else fn(element)


def _to_numpy(element):
    if isinstance(element, tuple):
        return tuple(_to_numpy(e) for e in element)
    if isinstance(element, list):
        return [_to_numpy(e) for e in element]
    if isinstance(element, dict):
        return {k: _to_numpy(v) for k, v in element.items()}
    if isinstance(element, StringBatch):
        return element.numpy()
    if hasattr(element, "detach"):
        return element.detach().cpu().numpy()
    return element


def _stack(elements):
    first = elements[0]
    if isinstance(first, tuple):
        return tuple(_stack([e[i] for e in elements]) for i in range(len(first)))
    if isinstance(first, dict):
        return {k: _stack([e[k] for e in elements]) for k in first}
    if isinstance(first, (str, bytes)):
        return _string_batch(elements)
    torch = _torch()
    if isinstance(first, torch.Tensor):
        return torch.stack(list(elements))
    return torch.as_tensor(np.stack([np.asarray(e) for e in elements]))


def _rows(batch):
    """A batch -> its elements (tuples and dicts split row by row)."""
    if isinstance(batch, tuple):
        return list(zip(*[_rows(part) for part in batch]))
    if isinstance(batch, dict):
        keys = list(batch)
        return [dict(zip(keys, row)) for row in zip(*[_rows(batch[k]) for k in keys])]
    return [batch[i] for i in range(len(batch))]


class Dataset(_pydataset()):
    """A re-iterable sequence of elements (batches, for what the `*_from_*` functions return)
    with the common tf.data methods. `len(ds)` is the number of elements; `ds[i]` is element i
    of the current epoch; iterating gives one epoch, and each full pass (or, in fit,
    `on_epoch_end`) moves a shuffled dataset to its next order."""

    def __init__(self):
        super().__init__()

    # subclasses: __len__, __getitem__, on_epoch_end

    def __iter__(self):
        for i in range(len(self)):
            yield self[i]
        self.on_epoch_end()

    def __bool__(self):
        return True

    def cardinality(self):
        return len(self)

    def as_numpy_iterator(self):
        for element in self:
            yield _to_numpy(element)

    def map(self, map_func, num_parallel_calls=None, deterministic=None, name=None):
        return _Mapped(self, map_func)

    def take(self, count, name=None):
        n = len(self)
        return _Range(self, 0, n if count is None or count < 0 else min(int(count), n))

    def skip(self, count, name=None):
        n = len(self)
        return _Range(self, n if count is None or count < 0 else min(int(count), n), n)

    def shuffle(self, buffer_size=None, seed=None, reshuffle_each_iteration=True, name=None):
        return _Shuffled(self, seed, reshuffle_each_iteration)

    def cache(self, filename="", name=None):
        return _Cached(self)

    def prefetch(self, buffer_size=None, name=None):
        return self

    def with_options(self, options, name=None):
        return self

    def repeat(self, count=None, name=None):
        if count is None or count < 0:
            return _Forever(self)
        return _Repeated(self, int(count))

    def unbatch(self, name=None):
        return _Streamed(self, lambda parent: (row for batch in parent for row in _rows(batch)))

    def batch(self, batch_size, drop_remainder=False, num_parallel_calls=None, deterministic=None, name=None):
        def rebatch(parent):
            group = []
            for element in parent:
                group.append(element)
                if len(group) == batch_size:
                    yield _stack(group)
                    group = []
            if group and not drop_remainder:
                yield _stack(group)
        return _Streamed(self, rebatch)

    def filter(self, predicate, name=None):
        return _Streamed(self, lambda parent: (e for e in parent if bool(_call(predicate, e))))

    def __repr__(self):
        return f"<keraslite {type(self).__name__.lstrip('_')} dataset: {len(self)} elements>"


class _Derived(Dataset):
    def __init__(self, parent):
        super().__init__()
        self.parent = parent

    def __len__(self):
        return len(self.parent)

    def on_epoch_end(self):
        self.parent.on_epoch_end()


class _Mapped(_Derived):
    def __init__(self, parent, fn):
        super().__init__(parent)
        self.fn = fn

    def __getitem__(self, i):
        return _call(self.fn, self.parent[i])


class _Range(_Derived):
    def __init__(self, parent, start, stop):
        super().__init__(parent)
        self.start, self.stop = start, max(start, stop)

    def __len__(self):
        return self.stop - self.start

    def __getitem__(self, i):
        if not 0 <= i < len(self):
            raise IndexError(f"dataset index {i} out of range ({len(self)} elements)")
        return self.parent[self.start + i]


class _Shuffled(_Derived):
    def __init__(self, parent, seed, reshuffle):
        super().__init__(parent)
        self.rng = np.random.RandomState(seed)
        self.reshuffle = reshuffle
        self.order = self.rng.permutation(len(parent))

    def __getitem__(self, i):
        return self.parent[int(self.order[i])]

    def on_epoch_end(self):
        self.parent.on_epoch_end()
        if self.reshuffle:
            self.order = self.rng.permutation(len(self.parent))


class _Cached(_Derived):
    def __init__(self, parent):
        super().__init__(parent)
        self.memo = {}

    def __getitem__(self, i):
        if i not in self.memo:
            self.memo[i] = self.parent[i]
        return self.memo[i]

    def on_epoch_end(self):
        pass  # the first epoch's elements, in its order, from now on (as tf.data's cache)


class _Repeated(_Derived):
    def __init__(self, parent, count):
        super().__init__(parent)
        self.count = count

    def __len__(self):
        return len(self.parent) * self.count

    def __getitem__(self, i):
        n = len(self.parent)
        return self.parent[i % n]


class _Forever:
    """`ds.repeat()`: an endless stream (a plain iterator, as fit expects of endless input;
    give fit `steps_per_epoch`)."""

    def __init__(self, parent):
        self.parent = parent
        self._it = self._stream()

    def _stream(self):
        while True:
            yield from self.parent

    def __iter__(self):
        return self

    def __next__(self):
        return next(self._it)

    def take(self, count, name=None):
        return _Streamed(None, lambda _: (next(self._it) for _ in range(int(count))))

    def map(self, map_func, **kwargs):
        return _Forever(_Streamed(self.parent, lambda parent: (_call(map_func, e) for e in parent)))

    def prefetch(self, buffer_size=None, name=None):
        return self

    def cardinality(self):
        return -1  # tf.data.INFINITE_CARDINALITY


class _Streamed(Dataset):
    """Elements produced by streaming the parent (batch, unbatch, filter). Random access
    builds the current epoch's elements once and keeps them until the epoch ends."""

    def __init__(self, parent, stream):
        super().__init__()
        self.parent = parent
        self.stream = stream
        self._elements = None

    def _epoch(self):
        if self._elements is None:
            self._elements = list(self.stream(self.parent))
        return self._elements

    def __iter__(self):
        if self._elements is not None:
            yield from self._elements
            self.on_epoch_end()
            return
        yield from self.stream(self.parent)

    def __len__(self):
        return len(self._epoch())

    def __getitem__(self, i):
        return self._epoch()[i]

    def on_epoch_end(self):
        if self._elements is not None:
            self._elements = None
            if self.parent is not None:
                self.parent.on_epoch_end()


class _Batched(Dataset):
    """`n` samples in batches of `batch_size` (None: one sample per element), loaded by
    `load(indices)`; with `shuffle`, each epoch after the first visits them in a new order."""

    def __init__(self, n, batch_size, load, shuffle=False, seed=None):
        super().__init__()
        self.n = n
        self.batch_size = batch_size
        self.load = load
        self._shuffle = shuffle
        self.rng = np.random.RandomState(seed)
        self.order = np.arange(n)

    def __len__(self):
        if self.batch_size is None:
            return self.n
        return (self.n + self.batch_size - 1) // self.batch_size

    def __getitem__(self, i):
        if not 0 <= i < len(self):
            raise IndexError(f"dataset index {i} out of range ({len(self)} elements)")
        if self.batch_size is None:
            return self.load(self.order[i:i + 1], single=True)
        return self.load(self.order[i * self.batch_size:(i + 1) * self.batch_size], single=False)

    def on_epoch_end(self):
        if self._shuffle:
            self.order = self.rng.permutation(self.n)


# ----------------------------------------------------------------------------- index_directory

def index_directory(directory, labels, formats, class_names=None, shuffle=True, seed=None, follow_links=False,
                    verbose=True):
    """(file_paths, labels, class_names) exactly as Keras's index_directory finds and orders
    them: class folders sorted, files walked and sorted, then one seeded shuffle of both."""
    if not os.path.isdir(directory):
        raise ValueError(f"Could not find directory {directory}")
    if labels == "inferred":
        subdirs = []
        for subdir in sorted(os.listdir(directory)):
            if os.path.isdir(os.path.join(directory, subdir)) and not subdir.startswith("."):
                subdirs.append(subdir.rstrip("/"))
        if class_names is not None:
            if not set(class_names).issubset(set(subdirs)):
                raise ValueError("The `class_names` passed did not match the names of the subdirectories of the "
                                 f"target directory. Expected: {subdirs} (or a subset of it), but received: "
                                 f"class_names={class_names}")
            subdirs = list(class_names)
    else:
        subdirs = [""]
        if class_names is not None:
            if labels is None:
                raise ValueError("When `labels=None` (no labels), argument `class_names` cannot be specified.")
            raise ValueError("When argument `labels` is specified, argument `class_names` cannot be specified (the "
                             "`class_names` will be the sorted list of labels).")
    class_names = subdirs
    class_indices = dict(zip(class_names, range(len(class_names))))
    filenames, found_labels = [], []
    for subdir in subdirs:
        dirpath = os.path.join(directory, subdir)
        dirname = os.path.basename(dirpath)
        walk = sorted(os.walk(dirpath, followlinks=follow_links), key=lambda x: x[0])
        for root, _, files in walk:
            for fname in sorted(files):
                if fname.lower().endswith(formats):
                    filenames.append(os.path.join(dirname, os.path.relpath(os.path.join(root, fname), dirpath)))
                    found_labels.append(class_indices[dirname])
    if labels == "inferred":
        labels = np.asarray(found_labels, dtype="int32").reshape((len(filenames),))
    elif labels is None:
        class_names = None
    else:
        if len(labels) != len(filenames):
            raise ValueError("Expected the lengths of `labels` to match the number of files in the target directory. "
                             f"len(labels) is {len(labels)} while we found {len(filenames)} files in directory "
                             f"{directory}.")
        class_names = [str(label) for label in sorted(set(labels))]
        labels = list(labels)
    if verbose:
        if labels is None:
            print(f"Found {len(filenames)} files.")
        else:
            print(f"Found {len(filenames)} files belonging to {len(class_names)} classes.")
    file_paths = [os.path.join(directory, fname) for fname in filenames]
    if shuffle:
        if seed is None:
            seed = np.random.randint(1e6)
        np.random.RandomState(seed).shuffle(file_paths)
        if labels is not None:
            np.random.RandomState(seed).shuffle(labels)
    return file_paths, labels, class_names


def check_validation_split_arg(validation_split, subset, shuffle, seed):
    if validation_split and not 0 < validation_split < 1:
        raise ValueError(f"`validation_split` must be between 0 and 1, received: {validation_split}")
    if (validation_split or subset) and not (validation_split and subset):
        raise ValueError("If `subset` is set, `validation_split` must be set, and inversely.")
    if subset not in ("training", "validation", "both", None):
        raise ValueError(f'`subset` must be either "training", "validation" or "both", received: {subset}')
    if validation_split and shuffle and seed is None:
        raise ValueError("If using `validation_split` and shuffling the data, you must provide a `seed` argument, to "
                         "make sure that there is no overlap between the training and validation subset.")


def get_training_or_validation_split(samples, labels, validation_split, subset, verbose=True):
    """The last `validation_split` fraction is the validation subset; the rest is training."""
    if not validation_split:
        return samples, labels
    num_val_samples = int(validation_split * len(samples))
    if subset == "training":
        if verbose:
            print(f"Using {len(samples) - num_val_samples} files for training.")
        samples = samples[:-num_val_samples]
        labels = labels[:-num_val_samples] if labels is not None else None
    elif subset == "validation":
        if verbose:
            print(f"Using {num_val_samples} files for validation.")
        samples = samples[-num_val_samples:]
        labels = labels[-num_val_samples:] if labels is not None else None
    else:
        raise ValueError(f'`subset` must be either "training" or "validation", received: {subset}')
    return samples, labels


def _encode_labels(labels, label_mode, num_classes):
    torch = _torch()
    labels = np.asarray(labels)
    if label_mode == "binary":
        return torch.from_numpy(labels.astype("float32").reshape(-1, 1))
    if label_mode == "categorical":
        return torch.from_numpy(np.eye(num_classes, dtype="float32")[labels.astype("int64")])
    return torch.from_numpy(labels.astype("int32"))


def _check_labels_arg(labels, class_names, label_mode, what):
    if labels not in ("inferred", None):
        if not isinstance(labels, (list, tuple)):
            raise ValueError("`labels` argument should be a list/tuple of integer labels, of the same size as the "
                             f"number of {what} files in the target directory. If you wish to infer the labels from "
                             'the subdirectory names in the target directory, pass `labels="inferred"`. If you wish '
                             f"to get a dataset that only contains {what}s (no labels), pass `labels=None`. Received: "
                             f"labels={labels}")
        if class_names:
            raise ValueError(f'You can only pass `class_names` if `labels="inferred"`. Received: labels={labels}, '
                             f"and class_names={class_names}")
    if label_mode not in {"int", "categorical", "binary", None}:
        raise ValueError('`label_mode` argument must be one of "int", "categorical", "binary", or None. Received: '
                         f"label_mode={label_mode}")


def _subsets(paths, labels, validation_split, subset, verbose):
    """[(paths, labels, is_training)] for subset None/'training'/'validation'/'both'."""
    if subset == "both":
        return [get_training_or_validation_split(paths, labels, validation_split, "training", verbose) + (True,),
                get_training_or_validation_split(paths, labels, validation_split, "validation", verbose) + (False,)]
    return [get_training_or_validation_split(paths, labels, validation_split, subset, verbose) + (True,)]


# ----------------------------------------------------------------------------- images

_IMAGE_INTERPOLATIONS = ("bilinear", "nearest", "bicubic", "area", "lanczos3", "lanczos5", "gaussian",
                         "mitchellcubic")


def _load_image(path, image_size, num_channels, interpolation, data_format, crop_to_aspect_ratio,
                pad_to_aspect_ratio):
    from keraslite.utils.image_utils import pil_image, resize_array

    image = pil_image()
    with image.open(path) as img:
        mode = {1: "L", 3: "RGB", 4: "RGBA"}[num_channels]
        if num_channels == 1 and img.mode in ("L", "I;16", "I"):
            mode = img.mode
        array = np.array(img if img.mode == mode else img.convert(mode), dtype="float32")
    if array.ndim == 2:
        array = array[:, :, None]
    return resize_array(array, image_size, interpolation=interpolation, crop_to_aspect_ratio=crop_to_aspect_ratio,
                        pad_to_aspect_ratio=pad_to_aspect_ratio,
                        data_format="channels_last").transpose((2, 0, 1) if data_format == "channels_first"
                                                               else (0, 1, 2))


def image_dataset_from_directory(directory, labels="inferred", label_mode="int", class_names=None, color_mode="rgb",
                                 batch_size=32, image_size=(256, 256), shuffle=True, seed=None, validation_split=None,
                                 subset=None, interpolation="bilinear", follow_links=False,
                                 crop_to_aspect_ratio=False, pad_to_aspect_ratio=False, data_format=None,
                                 format="tf", verbose=True):
    """A `Dataset` of `(images, labels)` batches (or `images` alone when labels or label_mode
    is None) from `directory/<class>/...` image files (.bmp .gif .jpeg .jpg .png). Images are
    float32 (batch, height, width, channels), resized to `image_size`; labels are int32
    (label_mode='int'), float32 one-hot ('categorical') or float32 (batch, 1) ('binary').
    subset='both' returns [training, validation]. The result has `.class_names` and
    `.file_paths`. `format` ('tf' or 'grain') is accepted and ignored."""
    from keraslite import backend

    _check_labels_arg(labels, class_names, label_mode, "image")
    if labels is None or label_mode is None:
        labels, label_mode = None, None
    channels = {"rgb": 3, "rgba": 4, "grayscale": 1}
    if color_mode not in channels:
        raise ValueError('`color_mode` must be one of {"rgb", "rgba", "grayscale"}. Received: '
                         f"color_mode={color_mode}")
    num_channels = channels[color_mode]
    if isinstance(image_size, int):
        image_size = (image_size, image_size)
    elif not isinstance(image_size, (list, tuple)) or len(image_size) != 2:
        raise ValueError(f"Invalid `image_size` value. Expected a tuple of 2 integers. Received: "
                         f"image_size={image_size}")
    interpolation = interpolation.lower()
    if interpolation not in _IMAGE_INTERPOLATIONS:
        raise ValueError(f"Argument `interpolation` should be one of {_IMAGE_INTERPOLATIONS}. Received: "
                         f"interpolation={interpolation}")
    if interpolation in ("lanczos3", "lanczos5", "gaussian", "mitchellcubic"):
        raise ValueError(f"keraslite cannot resize with interpolation={interpolation!r} (Keras's torch backend "
                         "cannot either); use 'bilinear', 'nearest', 'bicubic' or 'area'.")
    if format not in ("tf", "grain"):
        raise ValueError(f'`format` should be either "tf" or "grain". Received: format={format}')
    if pad_to_aspect_ratio and crop_to_aspect_ratio:
        raise ValueError("Only one of `pad_to_aspect_ratio`, `crop_to_aspect_ratio` can be set to `True`.")
    check_validation_split_arg(validation_split, subset, shuffle, seed)
    if seed is None:
        seed = np.random.randint(1e6)
    image_paths, labels, class_names = index_directory(directory, labels, formats=IMAGE_FORMATS,
                                                       class_names=class_names, shuffle=shuffle, seed=seed,
                                                       follow_links=follow_links, verbose=verbose)
    if label_mode == "binary" and len(class_names) != 2:
        raise ValueError(f'When passing `label_mode="binary"`, there must be exactly 2 class_names. Received: '
                         f"class_names={class_names}")
    data_format = backend.standardize_data_format(data_format)
    num_classes = len(class_names) if class_names else 0
    datasets = []
    for paths, part_labels, training in _subsets(image_paths, labels, validation_split, subset, verbose):
        if not paths:
            what = "" if subset != "both" else ("training " if training else "validation ")
            raise ValueError(f"No {what}images found in directory {directory}. Allowed formats: {IMAGE_FORMATS}")

        def load(indices, single, paths=paths, part_labels=part_labels):
            torch = _torch()
            images = np.stack([_load_image(paths[i], image_size, num_channels, interpolation, data_format,
                                           crop_to_aspect_ratio, pad_to_aspect_ratio) for i in indices])
            images = torch.from_numpy(images[0] if single else images)
            if label_mode is None:
                return images
            y = _encode_labels([part_labels[i] for i in indices], label_mode, num_classes)
            return images, (y[0] if single else y)

        dataset = _Batched(len(paths), batch_size, load, shuffle=shuffle and training, seed=seed)
        dataset.class_names = class_names
        dataset.file_paths = list(paths)
        datasets.append(dataset)
    return datasets if subset == "both" else datasets[0]


# ----------------------------------------------------------------------------- text

def text_dataset_from_directory(directory, labels="inferred", label_mode="int", class_names=None, batch_size=32,
                                max_length=None, shuffle=True, seed=None, validation_split=None, subset=None,
                                follow_links=False, format="tf", verbose=True):
    """A `Dataset` of `(texts, labels)` batches from `directory/<class>/*.txt`. Texts are a
    numpy array of str (`.numpy()` gives bytes, as TF does), cut to `max_length` characters
    when given; labels as in image_dataset_from_directory. Has `.class_names`."""
    _check_labels_arg(labels, class_names, label_mode, "text")
    if format not in ("tf", "grain"):
        raise ValueError(f'`format` should be either "tf" or "grain". Received: format={format}')
    if labels is None or label_mode is None:
        labels, label_mode = None, None
    check_validation_split_arg(validation_split, subset, shuffle, seed)
    if seed is None:
        seed = np.random.randint(1e6)
    file_paths, labels, class_names = index_directory(directory, labels, formats=(".txt",), class_names=class_names,
                                                      shuffle=shuffle, seed=seed, follow_links=follow_links,
                                                      verbose=verbose)
    if label_mode == "binary" and len(class_names) != 2:
        raise ValueError(f'When passing `label_mode="binary"`, there must be exactly 2 class_names. Received: '
                         f"class_names={class_names}")
    num_classes = len(class_names) if class_names else 0
    datasets = []
    for paths, part_labels, training in _subsets(file_paths, labels, validation_split, subset, verbose):
        if not paths:
            what = "" if subset != "both" else ("training " if training else "validation ")
            raise ValueError(f"No {what}text files found in directory {directory}. Allowed format: .txt")

        def load(indices, single, paths=paths, part_labels=part_labels):
            texts = []
            for i in indices:
                with open(paths[i], "r", encoding="utf-8", errors="replace") as f:
                    text = f.read()
                texts.append(text[:max_length] if max_length is not None else text)
            texts = texts[0] if single else _string_batch(texts)
            if label_mode is None:
                return texts
            y = _encode_labels([part_labels[i] for i in indices], label_mode, num_classes)
            return texts, (y[0] if single else y)

        dataset = _Batched(len(paths), batch_size, load, shuffle=shuffle and training, seed=seed)
        dataset.class_names = class_names
        datasets.append(dataset)
    return datasets if subset == "both" else datasets[0]


# ----------------------------------------------------------------------------- timeseries

def timeseries_dataset_from_array(data, targets, sequence_length, sequence_stride=1, sampling_rate=1,
                                  batch_size=128, shuffle=False, seed=None, start_index=None, end_index=None,
                                  format="tf"):
    """Sliding windows over `data` (time on axis 0): window i is
    `data[start_index + p_i + k * sampling_rate]` for k < sequence_length, with window starts
    p_i = 0, sequence_stride, 2 * sequence_stride, ...; its target is
    `targets[start_index + p_i]`. Batches of `batch_size` windows ((batch, sequence_length,
    ...) tensors keeping data's dtype), or `(windows, targets)` when targets is given."""
    if start_index:
        if start_index < 0:
            raise ValueError(f"`start_index` must be 0 or greater. Received: start_index={start_index}")
        if start_index >= len(data):
            raise ValueError("`start_index` must be lower than the length of the data. Received: "
                             f"start_index={start_index}, for data of length {len(data)}")
    if end_index:
        if start_index and end_index <= start_index:
            raise ValueError("`end_index` must be higher than `start_index`. Received: "
                             f"start_index={start_index}, and end_index={end_index} ")
        if end_index >= len(data):
            raise ValueError("`end_index` must be lower than the length of the data. Received: "
                             f"end_index={end_index}, for data of length {len(data)}")
        if end_index <= 0:
            raise ValueError(f"`end_index` must be higher than 0. Received: end_index={end_index}")
    if sampling_rate <= 0:
        raise ValueError(f"`sampling_rate` must be higher than 0. Received: sampling_rate={sampling_rate}")
    if sampling_rate >= len(data):
        raise ValueError("`sampling_rate` must be lower than the length of the data. Received: "
                         f"sampling_rate={sampling_rate}, for data of length {len(data)}")
    if sequence_stride <= 0:
        raise ValueError(f"`sequence_stride` must be higher than 0. Received: sequence_stride={sequence_stride}")
    if sequence_stride >= len(data):
        raise ValueError("`sequence_stride` must be lower than the length of the data. Received: "
                         f"sequence_stride={sequence_stride}, for data of length {len(data)}")
    if format not in ("tf", "grain"):
        raise ValueError(f'`format` should be either "tf" or "grain". Received: format={format}')
    start_index = start_index or 0
    end_index = len(data) if end_index is None else end_index
    num_seqs = end_index - start_index - (sequence_length - 1) * sampling_rate
    if targets is not None:
        num_seqs = min(num_seqs, len(targets))
    start_positions = np.arange(0, max(num_seqs, 0), sequence_stride, dtype="int64")
    if shuffle:
        if seed is None:
            seed = np.random.randint(1e6)
        np.random.RandomState(seed).shuffle(start_positions)
    data = data.detach().cpu().numpy() if hasattr(data, "detach") else np.asarray(data)
    data = data[start_index:end_index]
    if targets is not None:
        targets = targets.detach().cpu().numpy() if hasattr(targets, "detach") else np.asarray(targets)
        targets = targets[start_index:end_index]
    offsets = np.arange(sequence_length, dtype="int64") * sampling_rate

    def load(indices, single):
        torch = _torch()
        positions = start_positions[indices]
        windows = torch.from_numpy(np.ascontiguousarray(data[positions[:, None] + offsets]))
        if single:
            windows = windows[0]
        if targets is None:
            return windows
        y = torch.from_numpy(np.ascontiguousarray(targets[positions]))
        return windows, (y[0] if single else y)

    return _Batched(len(start_positions), batch_size, load, shuffle=shuffle, seed=seed)
