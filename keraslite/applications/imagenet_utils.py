"""`keras.applications.imagenet_utils`: ImageNet input preprocessing, prediction decoding, and
the pieces every application model shares (argument checks, the input tensor, the classifier
top, fetching pretrained weights into the Keras cache).

The architectures themselves live one family per module (vgg16, resnet, mobilenet_v2 ...);
downloading and caching is keraslite.utils.file_utils.get_file's, loading a weights file is
the model's `load_weights` (legacy `.h5` files matched layer by layer, as Keras does).
"""
import json
import os
import warnings

import numpy as np
import torch

from keraslite import activations, backend, layers
from keraslite.utils.file_utils import get_file, keras_home

__all__ = ["preprocess_input", "decode_predictions"]

CLASS_INDEX = None
CLASS_INDEX_PATH = "https://storage.googleapis.com/download.tensorflow.org/data/imagenet_class_index.json"
CLASS_INDEX_HASH = "c2c37ea517e94d9795004a39431a14cb"

# Per-channel statistics of ImageNet (RGB order for "torch", BGR order for "caffe").
_TORCH_MEAN, _TORCH_STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)
_CAFFE_MEAN = (103.939, 116.779, 123.68)


# ----------------------------------------------------------------------------- preprocessing

def preprocess_input(x, data_format=None, mode="caffe"):
    """Scale a batch of RGB images in [0, 255] the way an ImageNet model was trained on.

    mode "caffe": RGB -> BGR, then subtract the ImageNet mean of each channel (no scaling);
    "tf": scale to [-1, 1]; "torch": scale to [0, 1], then normalize each channel with the
    ImageNet mean and standard deviation. A numpy float array is overwritten in place, as in
    Keras (pass `np.copy(x)` to keep it); tensors give a new tensor. Returns float32 for
    integer input.
    """
    if mode not in {"caffe", "tf", "torch"}:
        raise ValueError(f"Expected mode to be one of `caffe`, `tf` or `torch`. Received: mode={mode}")
    if data_format is None:
        data_format = backend.image_data_format()
    elif data_format not in {"channels_first", "channels_last"}:
        raise ValueError("Expected data_format to be one of `channels_first` or "
                         f"`channels_last`. Received: data_format={data_format}")
    if isinstance(x, np.ndarray):
        return _preprocess_numpy(x, data_format, mode)
    return _preprocess_tensor(x, data_format, mode)


def _channel_view(ndim, data_format):
    """Shape that broadcasts a 3-vector over the channel axis of an `ndim`-d image batch."""
    if data_format == "channels_first":
        return (3,) + (1,) * (ndim - 1) if ndim == 3 else (1, 3) + (1,) * (ndim - 2)
    return (1,) * (ndim - 1) + (3,)


def _preprocess_numpy(x, data_format, mode):
    if not issubclass(x.dtype.type, np.floating):
        x = x.astype(backend.floatx(), copy=False)
    if mode == "tf":
        x /= 127.5
        x -= 1.0
        return x
    if mode == "torch":
        x /= 255.0
        mean, std = _TORCH_MEAN, _TORCH_STD
    else:
        channel_axis = (0 if x.ndim == 3 else 1) if data_format == "channels_first" else -1
        x = np.flip(x, axis=channel_axis)  # RGB -> BGR (a view, as Keras's x[..., ::-1])
        mean, std = _CAFFE_MEAN, None
    view = _channel_view(x.ndim, data_format)
    x -= np.asarray(mean, dtype=x.dtype).reshape(view)
    if std is not None:
        x /= np.asarray(std, dtype=x.dtype).reshape(view)
    return x


def _preprocess_tensor(x, data_format, mode):
    # The same sequence of ops as Keras (slices stacked in BGR order, one add of the negated
    # mean, divisions), so a functional model built on it shows Keras's nodes in its summary.
    from keraslite import ops

    if not backend.is_keras_tensor(x) and not isinstance(x, torch.Tensor):
        x = ops.convert_to_tensor(x)
    if not backend.torch_dtype(x.dtype).is_floating_point:
        x = ops.cast(x, backend.floatx())
    ndim = len(x.shape)
    if mode == "tf":
        return x / 127.5 - 1.0
    if mode == "torch":
        x = x / 255.0
        mean, std = _TORCH_MEAN, _TORCH_STD
    else:
        if data_format == "channels_first":
            x = (ops.stack([x[i, ...] for i in (2, 1, 0)], axis=0) if ndim == 3
                 else ops.stack([x[:, i, :] for i in (2, 1, 0)], axis=1))
        else:
            x = ops.stack([x[..., i] for i in (2, 1, 0)], axis=-1)  # RGB -> BGR
        mean, std = _CAFFE_MEAN, None
    dtype = backend.torch_dtype(x.dtype)
    x = x + ops.reshape(ops.convert_to_tensor(-np.asarray(mean), dtype=dtype), _channel_view(ndim, data_format))
    if std is not None:
        x = x / ops.reshape(ops.convert_to_tensor(np.asarray(std), dtype=dtype),
                            (-1, 1, 1) if data_format == "channels_first" else (3,))
    return x


# ----------------------------------------------------------------------------- predictions

def decode_predictions(preds, top=5):
    """[(class_name, class_description, score), ...] for the `top` classes of each row of a
    (samples, 1000) batch of ImageNet predictions, best first."""
    global CLASS_INDEX
    if len(preds.shape) != 2 or preds.shape[1] != 1000:
        raise ValueError("`decode_predictions` expects a batch of predictions (i.e. a 2D array of shape "
                         f"(samples, 1000)). Received array with shape: {tuple(preds.shape)}")
    if CLASS_INDEX is None:
        fpath = fetch_file("imagenet_class_index.json", CLASS_INDEX_PATH, CLASS_INDEX_HASH,
                           what="the ImageNet class index")
        with open(fpath) as f:
            CLASS_INDEX = json.load(f)
    if isinstance(preds, torch.Tensor):
        preds = preds.detach().cpu().numpy()
    preds = np.asarray(preds)
    results = []
    for pred in preds:
        best = pred.argsort()[-top:][::-1]
        row = [tuple(CLASS_INDEX[str(i)]) + (pred[i],) for i in best]
        row.sort(key=lambda r: r[2], reverse=True)
        results.append(row)
    return results


# ----------------------------------------------------------------------------- files

def fetch_file(fname, origin, file_hash=None, what="the pretrained weights"):
    """Path of `fname` in the Keras cache (~/.keras/models), downloading it from `origin` when it
    is missing. Without network access the error says which file to put where."""
    try:
        return get_file(fname, origin, cache_subdir="models", file_hash=file_hash)
    except (OSError, ValueError) as e:
        target = os.path.join(keras_home(), "models", fname)
        check = f" (md5 {file_hash})" if file_hash else ""
        reason = getattr(e.__cause__, "reason", None) or getattr(e.__cause__, "msg", None) or e
        raise OSError(f"Could not get {what}: downloading '{fname}' from {origin} failed ({reason}). Download "
                      f"that file{check} on a machine with network access and place it at {target}; it is then "
                      "used from there without downloading.") from e


# ----------------------------------------------------------------------------- model assembly

_WEIGHTS_ERROR = ("The `weights` argument should be either `None` (random initialization), 'imagenet' "
                  "(pre-training on ImageNet), or the path to the weights file to be loaded.  "
                  "Received: weights={weights}")
_CLASSES_ERROR = ("If using `weights='imagenet'` with `include_top=True`, `classes` should be 1000.  "
                  "Received classes={classes}")


def check_arguments(weights, include_top, classes, weights_error=_WEIGHTS_ERROR, classes_error=_CLASSES_ERROR):
    """Keras's checks of `weights` and `classes`, common to every application."""
    if not (weights in {"imagenet", None} or (isinstance(weights, (str, os.PathLike)) and os.path.exists(weights))):
        raise ValueError(weights_error.format(weights=weights))
    if weights == "imagenet" and include_top and classes != 1000:
        raise ValueError(classes_error.format(classes=classes))


def obtain_input_shape(input_shape, default_size, min_size, data_format, require_flatten, weights=None):
    """The model's input shape (rows, cols, channels for channels_last): the default when none is
    given, else `input_shape` after Keras's checks of rank, channels and minimum size."""
    first = data_format == "channels_first"
    if weights != "imagenet" and input_shape and len(input_shape) == 3:
        channels = input_shape[0] if first else input_shape[-1]
        if channels not in {1, 3}:
            warnings.warn("This model usually expects 1 or 3 input channels. However, it was passed an "
                          f"input_shape with {channels} input channels.", stacklevel=3)
        default_shape = (channels, default_size, default_size) if first else (default_size, default_size, channels)
    else:
        default_shape = (3, default_size, default_size) if first else (default_size, default_size, 3)
    if weights == "imagenet" and require_flatten:
        if input_shape is not None and tuple(input_shape) != default_shape:
            raise ValueError("When setting `include_top=True` and loading `imagenet` weights, "
                             f"`input_shape` should be {default_shape}.  Received: input_shape={input_shape}")
        return default_shape
    if input_shape:
        if len(input_shape) != 3:
            raise ValueError("`input_shape` must be a tuple of three integers.")
        channels, rows, cols = ((input_shape[0],) + tuple(input_shape[1:]) if first
                                else (input_shape[-1],) + tuple(input_shape[:2]))
        if channels != 3 and weights == "imagenet":
            raise ValueError(f"The input must have 3 channels; Received `input_shape={input_shape}`")
        if (rows is not None and rows < min_size) or (cols is not None and cols < min_size):
            raise ValueError(f"Input size must be at least {min_size}x{min_size}; Received: "
                             f"input_shape={input_shape}")
    elif require_flatten:
        input_shape = default_shape
    else:
        input_shape = (3, None, None) if first else (None, None, 3)
    if require_flatten and None in tuple(input_shape):
        raise ValueError("If `include_top` is True, you should specify a static `input_shape`. "
                         f"Received: input_shape={input_shape}")
    return tuple(input_shape)


def _obtain_input_shape(input_shape, default_size, min_size, data_format, require_flatten=None, weights=None, *,
                        include_top=None):
    """Keras 2's spelling of obtain_input_shape, which model definitions written for Keras <= 2.2
    import from here; Keras 2.0 named `require_flatten` `include_top`."""
    if require_flatten is None:
        if include_top is None:
            raise TypeError("_obtain_input_shape() missing the argument 'require_flatten' (Keras 2.0: "
                            "'include_top'): whether the model ends in a Flatten and so needs a fixed input size.")
        require_flatten = include_top
    return obtain_input_shape(input_shape, default_size, min_size, data_format, require_flatten, weights)


def correct_pad(inputs, kernel_size):
    """((top, bottom), (left, right)) zero padding before a strided 'valid' convolution, so it
    samples the same pixels TensorFlow's 'same' padding would."""
    axis = 2 if backend.image_data_format() == "channels_first" else 1
    size = tuple(inputs.shape[axis:axis + 2])
    if isinstance(kernel_size, int):
        kernel_size = (kernel_size, kernel_size)
    adjust = (1, 1) if size[0] is None else (1 - size[0] % 2, 1 - size[1] % 2)
    half = (kernel_size[0] // 2, kernel_size[1] // 2)
    return ((half[0] - adjust[0], half[0]), (half[1] - adjust[1], half[1]))


def validate_activation(classifier_activation, weights):
    """Pretrained classifiers were trained with softmax: only None or "softmax" fit them."""
    if weights is None:
        return
    activation = activations.get(classifier_activation)
    if activation not in {activations.get("softmax"), activations.get(None)}:
        raise ValueError("Only `None` and `softmax` activations are allowed for the `classifier_activation` "
                         "argument when using pretrained weights, with `include_top=True`; Received: "
                         f"classifier_activation={classifier_activation}")


def image_input(input_tensor, input_shape):
    """The model's image input: a new `Input`, or `input_tensor` when it is a Keras tensor."""
    if input_tensor is None:
        return layers.Input(shape=input_shape)
    if backend.is_keras_tensor(input_tensor):
        return input_tensor
    return layers.Input(tensor=input_tensor, shape=input_shape)


def source_inputs(input_tensor, img_input):
    """The model's inputs: the `Input`s `input_tensor` was computed from, when one was given."""
    if input_tensor is None:
        return img_input
    from keraslite.utils.keras_tensors import get_source_inputs

    return get_source_inputs(input_tensor)


def classifier_top(x, include_top, pooling, classes, classifier_activation, weights, top_pool=None,
                   avg_name=None, max_name=None):
    """Global average pooling + the `predictions` Dense layer, or the feature-extraction
    `pooling` ("avg", "max" or None) when there is no top. Pooling layer names vary by family."""
    if include_top:
        x = layers.GlobalAveragePooling2D(name=top_pool)(x)
        validate_activation(classifier_activation, weights)
        return layers.Dense(classes, activation=classifier_activation, name="predictions")(x)
    if pooling == "avg":
        return layers.GlobalAveragePooling2D(name=avg_name)(x)
    if pooling == "max":
        return layers.GlobalMaxPooling2D(name=max_name)(x)
    return x


def load_model_weights(model, weights, fname=None, origin=None, file_hash=None):
    """weights="imagenet": fetch `fname` into the cache and load it; a path: load that file."""
    if weights == "imagenet":
        model.load_weights(fetch_file(fname, origin, file_hash))
    elif weights is not None:
        model.load_weights(weights)
    return model
