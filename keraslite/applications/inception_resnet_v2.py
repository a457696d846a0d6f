"""`keras.applications.inception_resnet_v2`: Inception-ResNet-v2 (Szegedy et al., AAAI 2017):
Inception branches whose concatenation, projected by a 1x1 convolution, is added to the block
input with a fixed scale (CustomScaleLayer). Inputs: tf-style preprocessing ([-1, 1])."""
from keraslite import backend, layers
from keraslite.applications import imagenet_utils
from keraslite.applications.imagenet_utils import decode_predictions  # noqa: F401
from keraslite.layers import Layer
from keraslite.models import Model

__all__ = ["InceptionResNetV2", "preprocess_input", "decode_predictions"]

BASE_WEIGHT_URL = "https://storage.googleapis.com/tensorflow/keras-applications/inception_resnet_v2/"
WEIGHTS = {
    True: ("inception_resnet_v2_weights_tf_dim_ordering_tf_kernels.h5", "e693bd0210a403b3192acc6073ad2e96"),
    False: ("inception_resnet_v2_weights_tf_dim_ordering_tf_kernels_notop.h5", "d19885ff4a710c122648d3b5c3b684e4"),
}
# Branches of the residual blocks: lists of (filters, kernel size) conv-BN-ReLU units.
BLOCKS = {
    "block35": [[(32, 1)], [(32, 1), (32, 3)], [(32, 1), (48, 3), (64, 3)]],
    "block17": [[(192, 1)], [(128, 1), (160, [1, 7]), (192, [7, 1])]],
    "block8": [[(192, 1)], [(192, 1), (224, [1, 3]), (256, [3, 1])]],
}


class CustomScaleLayer(Layer):
    """inputs[0] + inputs[1] * scale: the scaled residual connection."""

    def __init__(self, scale, **kwargs):
        super().__init__(**kwargs)
        self.scale = scale

    def call(self, inputs):
        return inputs[0] + inputs[1] * self.scale

    def compute_output_shape(self, input_shape):
        return input_shape[0]

    def get_config(self):
        config = super().get_config()
        config.update({"scale": self.scale})
        return config


def _channel_axis():
    return 1 if backend.image_data_format() == "channels_first" else 3


def conv2d_bn(x, filters, kernel_size, strides=1, padding="same", activation="relu", use_bias=False, name=None):
    """Convolution, then (without bias) BatchNormalization without scale, then the activation."""
    x = layers.Conv2D(filters, kernel_size, strides=strides, padding=padding, use_bias=use_bias, name=name)(x)
    if not use_bias:
        x = layers.BatchNormalization(axis=_channel_axis(), scale=False,
                                      name=None if name is None else f"{name}_bn")(x)
    if activation is not None:
        x = layers.Activation(activation, name=None if name is None else f"{name}_ac")(x)
    return x


def inception_resnet_block(x, scale, block_type, block_idx, activation="relu"):
    """x + scale * conv1x1(concat(branches(x))), then `activation`."""
    if block_type not in BLOCKS:
        raise ValueError('Unknown Inception-ResNet block type. Expects "block35", "block17" or "block8", '
                         f"but got: {block_type}")
    branches = []
    for branch in BLOCKS[block_type]:
        y = x
        for filters, kernel_size in branch:
            y = conv2d_bn(y, filters, kernel_size)
        branches.append(y)
    block_name = f"{block_type}_{block_idx}"
    mixed = layers.Concatenate(axis=_channel_axis(), name=f"{block_name}_mixed")(branches)
    up = conv2d_bn(mixed, x.shape[_channel_axis()], 1, activation=None, use_bias=True, name=f"{block_name}_conv")
    x = CustomScaleLayer(scale)([x, up])
    if activation is not None:
        x = layers.Activation(activation, name=f"{block_name}_ac")(x)
    return x


def _reduction(x, branches, name):
    """Parallel branches (conv units given as (filters, kernel, strides, padding); "max" a 3x3/2
    max pooling), concatenated under `name`."""
    outputs = []
    for branch in branches:
        y = x
        for step in branch:
            if step == "max":
                y = layers.MaxPooling2D(3, strides=2, padding="valid")(y)
            elif step == "avg":
                y = layers.AveragePooling2D(3, strides=1, padding="same")(y)
            else:
                filters, kernel_size, strides, padding = step
                y = conv2d_bn(y, filters, kernel_size, strides=strides, padding=padding)
        outputs.append(y)
    return layers.Concatenate(axis=_channel_axis(), name=name)(outputs)


def InceptionResNetV2(include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None,
                      classes=1000, classifier_activation="softmax", name="inception_resnet_v2"):
    """Inception-ResNet-v2. Default input 299x299x3; with include_top=False any size from 75x75."""
    imagenet_utils.check_arguments(
        weights, include_top, classes,
        weights_error=("The `weights` argument should be either `None` (random initialization), `imagenet` "
                       "(pre-training on ImageNet), or the path to the weights file to be loaded."),
        classes_error=('If using `weights="imagenet"` with `include_top=True`, `classes` should be 1000. '
                       "Received classes={classes}"))
    input_shape = imagenet_utils.obtain_input_shape(input_shape, default_size=299, min_size=75,
                                                    data_format=backend.image_data_format(),
                                                    require_flatten=include_top, weights=weights)
    img_input = imagenet_utils.image_input(input_tensor, input_shape)
    x = conv2d_bn(img_input, 32, 3, strides=2, padding="valid")
    x = conv2d_bn(x, 32, 3, padding="valid")
    x = conv2d_bn(x, 64, 3)
    x = layers.MaxPooling2D(3, strides=2)(x)
    x = conv2d_bn(x, 80, 1, padding="valid")
    x = conv2d_bn(x, 192, 3, padding="valid")
    x = layers.MaxPooling2D(3, strides=2)(x)
    same = lambda f, k: (f, k, 1, "same")  # noqa: E731
    valid2 = lambda f, k: (f, k, 2, "valid")  # noqa: E731
    x = _reduction(x, [[same(96, 1)], [same(48, 1), same(64, 5)], [same(64, 1), same(96, 3), same(96, 3)],
                       ["avg", same(64, 1)]], "mixed_5b")
    for block_idx in range(1, 11):
        x = inception_resnet_block(x, scale=0.17, block_type="block35", block_idx=block_idx)
    x = _reduction(x, [[valid2(384, 3)], [same(256, 1), same(256, 3), valid2(384, 3)], ["max"]], "mixed_6a")
    for block_idx in range(1, 21):
        x = inception_resnet_block(x, scale=0.1, block_type="block17", block_idx=block_idx)
    x = _reduction(x, [[same(256, 1), valid2(384, 3)], [same(256, 1), valid2(288, 3)],
                       [same(256, 1), same(288, 3), valid2(320, 3)], ["max"]], "mixed_7a")
    for block_idx in range(1, 10):
        x = inception_resnet_block(x, scale=0.2, block_type="block8", block_idx=block_idx)
    x = inception_resnet_block(x, scale=1.0, activation=None, block_type="block8", block_idx=10)
    x = conv2d_bn(x, 1536, 1, name="conv_7b")
    x = imagenet_utils.classifier_top(x, include_top, pooling, classes, classifier_activation, weights,
                                      top_pool="avg_pool")
    model = Model(imagenet_utils.source_inputs(input_tensor, img_input), x, name=name)
    fname, file_hash = WEIGHTS[bool(include_top)]
    return imagenet_utils.load_model_weights(model, weights, fname, BASE_WEIGHT_URL + fname, file_hash)


def preprocess_input(x, data_format=None):
    """tf mode: pixels scaled from [0, 255] to [-1, 1]."""
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="tf")
