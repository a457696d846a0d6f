"""`keras.applications.inception_v3`: Inception-v3 (Szegedy et al., CVPR 2016). The eleven
mixed blocks are data (MIXED below): each a list of parallel branches concatenated on the
channel axis. Inputs: tf-style preprocessing (scaled to [-1, 1])."""
from keraslite import backend, layers
from keraslite.applications import imagenet_utils
from keraslite.applications.imagenet_utils import decode_predictions  # noqa: F401
from keraslite.models import Model

__all__ = ["InceptionV3", "preprocess_input", "decode_predictions"]

BASE_WEIGHTS_PATH = "https://storage.googleapis.com/tensorflow/keras-applications/inception_v3/"
WEIGHTS = {
    True: ("inception_v3_weights_tf_dim_ordering_tf_kernels.h5", "9a0d58056eeedaa3f26cb7ebd46da564"),
    False: ("inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5", "bcbd6486424b2319ff4ef7d526e38f63"),
}

# A branch is a list of steps: (filters, rows, cols) a 'same' conv-BN-ReLU; (filters, rows, cols, 2)
# a stride-2 'valid' one; "avg" a 3x3/1 'same' average pooling; "max" a 3x3/2 max pooling;
# ("split", a, b, name) two convolutions of the same input, concatenated (under `name`).
_A = lambda pool: [[(64, 1, 1)], [(48, 1, 1), (64, 5, 5)], [(64, 1, 1), (96, 3, 3), (96, 3, 3)],  # noqa: E731
                   ["avg", (pool, 1, 1)]]
_C = lambda f: [[(192, 1, 1)], [(f, 1, 1), (f, 1, 7), (192, 7, 1)],  # noqa: E731
                [(f, 1, 1), (f, 7, 1), (f, 1, 7), (f, 7, 1), (192, 1, 7)], ["avg", (192, 1, 1)]]
_E = lambda i: [[(320, 1, 1)], [(384, 1, 1), ("split", (384, 1, 3), (384, 3, 1), f"mixed9_{i}")],  # noqa: E731
                [(448, 1, 1), (384, 3, 3), ("split", (384, 1, 3), (384, 3, 1), None)], ["avg", (192, 1, 1)]]
MIXED = [
    ("mixed0", _A(32)), ("mixed1", _A(64)), ("mixed2", _A(64)),
    ("mixed3", [[(384, 3, 3, 2)], [(64, 1, 1), (96, 3, 3), (96, 3, 3, 2)], ["max"]]),
    ("mixed4", _C(128)), ("mixed5", _C(160)), ("mixed6", _C(160)), ("mixed7", _C(192)),
    ("mixed8", [[(192, 1, 1), (320, 3, 3, 2)], [(192, 1, 1), (192, 1, 7), (192, 7, 1), (192, 3, 3, 2)], ["max"]]),
    ("mixed9", _E(0)), ("mixed10", _E(1)),
]


def _channel_axis():
    return 1 if backend.image_data_format() == "channels_first" else 3


def conv2d_bn(x, filters, num_row, num_col, padding="same", strides=(1, 1), name=None):
    """Convolution without bias, BatchNormalization without scale, ReLU."""
    x = layers.Conv2D(filters, (num_row, num_col), strides=strides, padding=padding, use_bias=False,
                      name=None if name is None else f"{name}_conv")(x)
    x = layers.BatchNormalization(axis=_channel_axis(), scale=False, name=None if name is None else f"{name}_bn")(x)
    return layers.Activation("relu", name=name)(x)


def _step(x, step):
    if step == "avg":
        return layers.AveragePooling2D((3, 3), strides=(1, 1), padding="same")(x)
    if step == "max":
        return layers.MaxPooling2D((3, 3), strides=(2, 2))(x)
    if step[0] == "split":
        _, a, b, name = step
        return layers.concatenate([_step(x, a), _step(x, b)], axis=_channel_axis(), name=name)
    if len(step) == 4:
        return conv2d_bn(x, *step[:3], strides=(2, 2), padding="valid")
    return conv2d_bn(x, *step)


def InceptionV3(include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None,
                classes=1000, classifier_activation="softmax", name="inception_v3"):
    """Inception-v3. Default input 299x299x3; with include_top=False any size from 75x75."""
    imagenet_utils.check_arguments(
        weights, include_top, classes,
        weights_error=("The `weights` argument should be either `None` (random initialization), `imagenet` "
                       "(pre-training on ImageNet), or the path to the weights file to be loaded; "
                       "Received: weights={weights}"),
        classes_error=('If using `weights="imagenet"` with `include_top=True`, `classes` should be 1000. '
                       "Received classes={classes}"))
    input_shape = imagenet_utils.obtain_input_shape(input_shape, default_size=299, min_size=75,
                                                    data_format=backend.image_data_format(),
                                                    require_flatten=include_top, weights=weights)
    img_input = imagenet_utils.image_input(input_tensor, input_shape)
    x = conv2d_bn(img_input, 32, 3, 3, strides=(2, 2), padding="valid")
    x = conv2d_bn(x, 32, 3, 3, padding="valid")
    x = conv2d_bn(x, 64, 3, 3)
    x = layers.MaxPooling2D((3, 3), strides=(2, 2))(x)
    x = conv2d_bn(x, 80, 1, 1, padding="valid")
    x = conv2d_bn(x, 192, 3, 3, padding="valid")
    x = layers.MaxPooling2D((3, 3), strides=(2, 2))(x)
    for block_name, branches in MIXED:
        outputs = []
        for branch in branches:
            y = x
            for step in branch:
                y = _step(y, step)
            outputs.append(y)
        x = layers.concatenate(outputs, axis=_channel_axis(), name=block_name)
    x = imagenet_utils.classifier_top(x, include_top, pooling, classes, classifier_activation, weights,
                                      top_pool="avg_pool")
    model = Model(imagenet_utils.source_inputs(input_tensor, img_input), x, name=name)
    fname, file_hash = WEIGHTS[bool(include_top)]
    return imagenet_utils.load_model_weights(model, weights, fname, BASE_WEIGHTS_PATH + fname, file_hash)


def preprocess_input(x, data_format=None):
    """tf mode: pixels scaled from [0, 255] to [-1, 1]."""
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="tf")
