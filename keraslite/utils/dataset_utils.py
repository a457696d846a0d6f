"""Datasets from folders and arrays: `image_dataset_from_directory`,
`text_dataset_from_directory`, `audio_dataset_from_directory` and
`timeseries_dataset_from_array` (`keras.utils.*`, `keras.preprocessing.*`).

Keras returns `tf.data.Dataset`s; so does keraslite: these return the same
`keraslite.compat.tf_data.Dataset` that the tensorflow shim's `tf.data` gives, with every
tf.data method on it and accepted by `model.fit`, `evaluate` and `predict`. `.class_names`
(and `.file_paths` for images) are set on the returned dataset as Keras sets them; datasets
derived from it (`ds.map(...)`, `ds.take(n)` ...) do not carry them, as in TF. Batches are
CPU torch tensors (so `images[i].numpy()` works as with TF); text batches are StringArrays
(numpy arrays of str whose `.numpy()` gives bytes, as TF's string tensors do).

Owns: finding and ordering the files (the same walk, sort and seeded shuffle as
`keras.src.utils.dataset_utils.index_directory`), the training/validation split, label
encodings and dtypes, decoding images (Pillow, as Keras's non-TF path), reading texts and WAV
audio (Python's `wave` module, through tf_audio.decode_wav),
the windows of `timeseries_dataset_from_array`, and each pass's order. Files are read lazily,
one batch at a time: a dataset is a row reader (`indices -> one batch`) over a per-pass order
of indices (tf_data's `Dataset._from_reader`), batched by tf_data. With `shuffle=True` the
first pass visits the samples in Keras's seeded order and each later pass in a new
permutation from `np.random.RandomState(seed)` (tf.data reshuffles with its own buffer
instead). Resizing (torch interpolate with Keras's torch-backend settings) is
keraslite.utils.image_utils'; modes 'lanczos3', 'lanczos5', 'gaussian' and 'mitchellcubic'
are not available.

Leaves to others: the Dataset itself and its transformations (keraslite.compat.tf_data).
"""
import os

import numpy as np
import torch

from keraslite.compat.tf_data import AUTOTUNE, Dataset, _stack, strings

__all__ = ["Dataset", "AUTOTUNE", "image_dataset_from_directory", "text_dataset_from_directory",
           "audio_dataset_from_directory", "split_dataset",
           "timeseries_dataset_from_array", "index_directory"]

IMAGE_FORMATS = (".bmp", ".gif", ".jpeg", ".jpg", ".png")


def _pass_order(n, shuffle, seed):
    """() -> the order of one pass over n samples, for `Dataset._from_reader`: as given for
    the first pass; with `shuffle`, each later pass a new permutation from RandomState(seed)."""
    if not shuffle:
        return lambda: None
    rng = np.random.RandomState(seed)
    started = []

    def order():
        if not started:
            started.append(True)
            return None
        return torch.from_numpy(rng.permutation(n))

    return order


def _dataset(read, n, batch_size, shuffle, seed):
    """n samples read by `read(indices)`, in batches of `batch_size` (None: one sample per
    element), in each pass's order.

    Keras's versions of these utilities return a tf.data.Dataset on every backend, so a program
    run through the aliases reads the batches as TensorFlow tensors (`np.sum(np.abs(preds -
    targets))` in DLwP's naive forecast): they get the numpy behaviour `import tensorflow` gives
    tensors (see tf_autodiff.install_eager_numpy)."""
    from keraslite.compat.aliases import aliases_installed

    if aliases_installed():
        from keraslite.compat.tf_autodiff import install_eager_numpy

        install_eager_numpy()
    dataset = Dataset._from_reader(read, n, order=_pass_order(n, shuffle, seed))
    return dataset if batch_size is None else dataset.batch(batch_size)


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
                                 format="tf", verbose=True, smart_resize=None):
    """A tf.data `Dataset` of `(images, labels)` batches (or `images` alone when labels or label_mode
    is None) from `directory/<class>/...` image files (.bmp .gif .jpeg .jpg .png). Images are
    float32 (batch, height, width, channels), resized to `image_size`; labels are int32
    (label_mode='int'), float32 one-hot ('categorical') or float32 (batch, 1) ('binary').
    subset='both' returns [training, validation]. The result has `.class_names` and
    `.file_paths`. `format` ('tf' or 'grain') is accepted and ignored. `smart_resize` is TF 2.5's
    name of crop_to_aspect_ratio."""
    from keraslite import backend

    if smart_resize is not None:
        crop_to_aspect_ratio = bool(smart_resize)

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
    data_format = backend.standardize_data_format(data_format)

    def read_images(paths):
        return torch.from_numpy(np.stack([
            _load_image(path, image_size, num_channels, interpolation, data_format, crop_to_aspect_ratio,
                        pad_to_aspect_ratio) for path in paths]))  # (batch, height, width, channels)

    return _directory_datasets(directory, labels, label_mode, class_names, IMAGE_FORMATS, "images",
                               f"Allowed formats: {IMAGE_FORMATS}", read_images, batch_size, shuffle, seed,
                               validation_split, subset, follow_links, verbose, with_file_paths=True)


def _directory_datasets(directory, labels, label_mode, class_names, formats, what, allowed, read_inputs,
                        batch_size, shuffle, seed, validation_split, subset, follow_links, verbose,
                        with_file_paths=False):
    """What the image, text and audio builders share: index the files, check the labels,
    split into subsets, and make one Dataset per subset whose batches are
    `read_inputs(paths)` (with the encoded labels unless label_mode is None)."""
    if seed is None:
        seed = np.random.randint(1e6)
    file_paths, labels, class_names = index_directory(directory, labels, formats=formats, class_names=class_names,
                                                      shuffle=shuffle, seed=seed, follow_links=follow_links,
                                                      verbose=verbose)
    if label_mode == "binary" and len(class_names) != 2:
        raise ValueError(f'When passing `label_mode="binary"`, there must be exactly 2 class_names. Received: '
                         f"class_names={class_names}")
    num_classes = len(class_names) if class_names else 0
    datasets = []
    for paths, part_labels, training in _subsets(file_paths, labels, validation_split, subset, verbose):
        if not paths:
            which = "" if subset != "both" else ("training " if training else "validation ")
            raise ValueError(f"No {which}{what} found in directory {directory}. {allowed}")

        def read(indices, paths=paths, part_labels=part_labels):
            inputs = read_inputs([paths[i] for i in indices])
            if label_mode is None:
                return inputs
            return inputs, _encode_labels([part_labels[i] for i in indices], label_mode, num_classes)

        dataset = _dataset(read, len(paths), batch_size, shuffle and training, seed)
        dataset.class_names = class_names
        if with_file_paths:
            dataset.file_paths = list(paths)
        datasets.append(dataset)
    return datasets if subset == "both" else datasets[0]


# ----------------------------------------------------------------------------- text

def text_dataset_from_directory(directory, labels="inferred", label_mode="int", class_names=None, batch_size=32,
                                max_length=None, shuffle=True, seed=None, validation_split=None, subset=None,
                                follow_links=False, format="tf", verbose=True):
    """A tf.data `Dataset` of `(texts, labels)` batches from `directory/<class>/*.txt`. Texts
    are a StringArray (numpy array of str; `.numpy()` gives bytes, as TF does), cut to `max_length` characters
    when given; labels as in image_dataset_from_directory. Has `.class_names`."""
    _check_labels_arg(labels, class_names, label_mode, "text")
    if format not in ("tf", "grain"):
        raise ValueError(f'`format` should be either "tf" or "grain". Received: format={format}')
    if labels is None or label_mode is None:
        labels, label_mode = None, None
    check_validation_split_arg(validation_split, subset, shuffle, seed)

    def read_texts(paths):
        texts = []
        for path in paths:
            with open(path, "r", encoding="utf-8", errors="replace") as f:
                text = f.read()
            texts.append(text[:max_length] if max_length is not None else text)
        return strings(texts)

    return _directory_datasets(directory, labels, label_mode, class_names, (".txt",), "text files",
                               "Allowed format: .txt", read_texts, batch_size, shuffle, seed, validation_split,
                               subset, follow_links, verbose)


# ----------------------------------------------------------------------------- audio

AUDIO_FORMATS = (".wav",)


def _load_wav(path, sampling_rate, output_sequence_length):
    """float32 samples in [-1, 1) of shape (samples, channels) from a PCM WAV file (read with
    Python's `wave` module, as tf.audio.decode_wav is), cut or zero-padded to
    `output_sequence_length` samples when given."""
    from keraslite.compat.tf_audio import decode_wav

    with open(path, "rb") as f:
        contents = f.read()
    try:
        audio, rate = decode_wav(contents, desired_samples=-1 if output_sequence_length is None
                                 else output_sequence_length)
    except ValueError as e:
        raise ValueError(f"audio_dataset_from_directory: cannot read {path}: {e}") from None
    if sampling_rate is not None and int(rate) != sampling_rate:
        raise ValueError(f"audio_dataset_from_directory: {path} is sampled at {int(rate)} Hz but sampling_rate="
                         f"{sampling_rate}; keraslite does not resample audio (Keras does it with tensorflow-io). "
                         "Resample the files beforehand, or pass sampling_rate=None to keep each file's rate.")
    return audio.numpy()


def audio_dataset_from_directory(directory, labels="inferred", label_mode="int", class_names=None, batch_size=32,
                                 sampling_rate=None, output_sequence_length=None, ragged=False, shuffle=True,
                                 seed=None, validation_split=None, subset=None, follow_links=False, verbose=True):
    """A tf.data `Dataset` of `(audio, labels)` batches from `directory/<class>/*.wav`
    (16-bit, or 8/24/32-bit, integer PCM). Audio is float32 in [-1, 1) of shape
    (batch, samples, channels): cut or zero-padded to `output_sequence_length` samples, or
    else zero-padded to the longest clip of each batch, as Keras pads them. Labels as in
    image_dataset_from_directory; `audio` alone when labels or label_mode is None.
    subset='both' returns [training, validation]. Has `.class_names`.

    `sampling_rate` (which Keras resamples to with tensorflow-io) is checked against each
    file's rate instead: keraslite does not resample. `ragged=True` is not available."""
    _check_labels_arg(labels, class_names, label_mode, "audio")
    if ragged and output_sequence_length is not None:
        raise ValueError("Cannot set both `ragged` and `output_sequence_length`")
    if sampling_rate is not None:
        if not isinstance(sampling_rate, int):
            raise ValueError(f"`sampling_rate` should have an integer value. Received: sampling_rate={sampling_rate}")
        if sampling_rate <= 0:
            raise ValueError(f"`sampling_rate` should be higher than 0. Received: sampling_rate={sampling_rate}")
    if ragged:
        raise ValueError("audio_dataset_from_directory: ragged=True is not available in keraslite (its RaggedTensor "
                         "holds 2-D data, and audio batches are 3-D). Leave ragged=False to get zero-padded batches, "
                         "or set output_sequence_length to cut or pad every clip to one length.")
    if labels is None or label_mode is None:
        labels, label_mode = None, None
    check_validation_split_arg(validation_split, subset, shuffle, seed)

    def read_audio(paths):
        clips = [_load_wav(path, sampling_rate, output_sequence_length) for path in paths]
        if output_sequence_length is not None and len({clip.shape[1] for clip in clips}) > 1:
            raise ValueError("audio_dataset_from_directory: the files of one batch have different numbers of "
                             f"channels ({sorted({clip.shape[1] for clip in clips})}) and cannot be stacked: "
                             + ", ".join(f"{path}: {clip.shape[1]}" for path, clip in zip(paths, clips)))
        # zero-padded to the longest clip (and the most channels) of the batch, as padded_batch pads
        batch = np.zeros((len(clips), max(len(c) for c in clips), max(c.shape[1] for c in clips)), "float32")
        for i, clip in enumerate(clips):
            batch[i, :clip.shape[0], :clip.shape[1]] = clip
        return torch.from_numpy(batch)

    return _directory_datasets(directory, labels, label_mode, class_names, AUDIO_FORMATS, "audio files",
                               f"Allowed format(s): {AUDIO_FORMATS}", read_audio, batch_size, shuffle, seed,
                               validation_split, subset, follow_links, verbose)


# ----------------------------------------------------------------------------- timeseries

def timeseries_dataset_from_array(data, targets, sequence_length, sequence_stride=1, sampling_rate=1,
                                  batch_size=128, shuffle=False, seed=None, start_index=None, end_index=None,
                                  format="tf"):
    """Sliding windows over `data` (time on axis 0): window i is
    `data[start_index + p_i + k * sampling_rate]` for k < sequence_length, with window starts
    p_i = 0, sequence_stride, 2 * sequence_stride, ...; its target is
    `targets[start_index + p_i]`. A tf.data `Dataset` of batches of `batch_size` windows
    ((batch, sequence_length, ...) tensors keeping data's dtype), or `(windows, targets)` when
    targets is given. With shuffle, the window starts are shuffled once with
    RandomState(seed), as Keras does, and each later pass visits them in a new order."""
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

    def read(indices):
        positions = start_positions[indices]
        # (batch, sequence_length, ...) windows of data, keeping its dtype
        windows = torch.from_numpy(np.ascontiguousarray(data[positions[:, None] + offsets]))
        if targets is None:
            return windows
        return windows, torch.from_numpy(np.ascontiguousarray(targets[positions]))

    return _dataset(read, len(start_positions), batch_size, shuffle, seed)


# ----------------------------------------------------------------------------- split_dataset

def _split_sizes(left_size, right_size, total):
    """Keras's rules for `left_size` / `right_size`: a fraction in (0, 1) or a count in
    (0, total); one of them may be None (the complement); neither side may end up empty."""
    if left_size is None and right_size is None:
        raise ValueError("At least one of the `left_size` or `right_size` must be specified. "
                         "Received: left_size=None and right_size=None")
    sizes = {}
    for side, value in (("left", left_size), ("right", right_size)):
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise TypeError(f"`{side}_size` must be an int (a number of samples) or a float (a fraction); "
                            f"received {value!r} of type {type(value).__name__}.")
        if (isinstance(value, int) and not 0 < value < total) or (isinstance(value, float) and not 0 < value < 1):
            raise ValueError(f"`{side}_size` should be either a positive integer and smaller than {total} or a float "
                             f"within the range `[0, 1]`. Received: {side}_size={value}")
        sizes[side] = round(value * total) if isinstance(value, float) else value
    if isinstance(left_size, float) and isinstance(right_size, float) and left_size + right_size > 1:
        raise ValueError("The sum of `left_size` and `right_size` is greater than 1. It must be less than or "
                         "equal to 1.")
    left = sizes.get("left", total - sizes.get("right", 0))
    right = sizes.get("right", total - left)
    if left + right > total:
        raise ValueError(f"The sum of `left_size` and `right_size` should be smaller than the {total}. Received: "
                         f"left_size + right_size = {left + right} and total_length = {total}")
    for count, side in ((left, "left"), (right, "right")):
        if count == 0:
            raise ValueError(f"With `dataset` of length={total}, `left_size`={left} and `right_size`={right}. "
                             f"Resulting {side} side dataset split will be empty. Adjust any of the aforementioned "
                             "parameters")
    return int(left), int(right)


def split_dataset(dataset, left_size=None, right_size=None, shuffle=False, seed=None, preferred_backend=None):
    """`keras.utils.split_dataset`: (left, right) splits of `dataset`.

    Arrays, lists / tuples of arrays and torch Datasets give torch `Subset`s, as Keras's torch
    backend returns them (with `shuffle` and a `seed`, the same samples as Keras). A tf.data
    Dataset (keraslite's, from the tensorflow shim) gives two such Datasets, split as Keras
    splits a tf.data one. With shuffle=False the split is in order -- Keras's torch path
    shuffles even then (torch's random_split with no generator); that is not what the
    argument asks for, so keraslite keeps the order."""
    import random

    from torch.utils.data import Subset, TensorDataset

    if isinstance(dataset, Dataset) or preferred_backend == "tensorflow":
        elements = list(dataset)
        left, right = _split_sizes(left_size, right_size, len(elements))
        if shuffle:
            if seed is None:
                seed = random.randint(0, int(1e6))
            random.seed(seed)  # Keras reseeds Python's generator here
            random.shuffle(elements)
        left_part, right_part = _stack(elements[:left]), _stack(elements[-right:])
        return Dataset.from_tensor_slices(left_part), Dataset.from_tensor_slices(right_part)
    if isinstance(dataset, np.ndarray):
        dataset = TensorDataset(torch.from_numpy(dataset))
    elif isinstance(dataset, (list, tuple)):
        dataset = TensorDataset(*[torch.as_tensor(np.asarray(a)) for a in dataset])
    elif not isinstance(dataset, torch.utils.data.Dataset):
        raise TypeError("The `dataset` argument must be a `torch.utils.data.Dataset` object, a tf.data Dataset, or a "
                        f"list/tuple of arrays. Received: dataset={dataset!r} of type {type(dataset).__name__}")
    total = len(dataset)
    left, right = _split_sizes(left_size, right_size, total)
    if shuffle:
        generator = torch.Generator()
        if seed is not None:
            generator.manual_seed(seed)
        else:
            generator.seed()
        order = torch.randperm(total, generator=generator).tolist()
    else:
        order = list(range(total))
    return Subset(dataset, order[:left]), Subset(dataset, order[left:left + right])
