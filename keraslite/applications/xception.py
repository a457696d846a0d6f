"""`keras.applications.xception`: Xception (Chollet, CVPR 2017): entry, middle (8 repeated
blocks) and exit flows of depthwise-separable convolutions with residual connections.
Inputs: tf-style preprocessing (scaled to [-1, 1])."""
from keraslite import backend, layers
from keraslite.applications import imagenet_utils
from keraslite.applications.imagenet_utils import decode_predictions  # noqa: F401
from keraslite.models import Model

__all__ = ["Xception", "preprocess_input", "decode_predictions"]

BASE_WEIGHTS_PATH = "https://storage.googleapis.com/tensorflow/keras-applications/xception/"
WEIGHTS = {
    True: ("xception_weights_tf_dim_ordering_tf_kernels.h5", "0a58e3b7378bc2990ea3b43d5981f1f6"),
    False: ("xception_weights_tf_dim_ordering_tf_kernels_notop.h5", "b0042744bf5b25fce3cb969f33bebb97"),
}


def _bn(name=None):
    return layers.BatchNormalization(axis=1 if backend.image_data_format() == "channels_first" else -1, name=name)


def _sepconv(x, filters, name, activate_first=True):
    """[ReLU] -> 3x3 separable convolution -> BN, the unit every flow is made of."""
    if activate_first:
        x = layers.Activation("relu", name=f"{name}_act")(x)
    x = layers.SeparableConv2D(filters, (3, 3), padding="same", use_bias=False, name=name)(x)
    return _bn(f"{name}_bn")(x)


def _downsampling_block(x, filters, block, first_act=True):
    """Two separable convolutions and a 3x3/2 max pooling, plus a strided 1x1 projection."""
    residual = _bn()(layers.Conv2D(filters[1], (1, 1), strides=(2, 2), padding="same", use_bias=False)(x))
    x = _sepconv(x, filters[0], f"block{block}_sepconv1", activate_first=first_act)
    if not first_act:  # block 2 activates between its convolutions under the second one's name
        x = layers.Activation("relu", name=f"block{block}_sepconv2_act")(x)
        x = layers.SeparableConv2D(filters[1], (3, 3), padding="same", use_bias=False, name=f"block{block}_sepconv2")(x)
        x = _bn(f"block{block}_sepconv2_bn")(x)
    else:
        x = _sepconv(x, filters[1], f"block{block}_sepconv2")
    x = layers.MaxPooling2D((3, 3), strides=(2, 2), padding="same", name=f"block{block}_pool")(x)
    return layers.add([x, residual])


def Xception(include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None, classes=1000,
             classifier_activation="softmax", name="xception"):
    """Xception. Default input 299x299x3; with include_top=False any size from 71x71."""
    imagenet_utils.check_arguments(
        weights, include_top, classes,
        weights_error=("The `weights` argument should be either `None` (random initialization), 'imagenet' "
                       "(pre-training on ImageNet), or the path to the weights file to be loaded."))
    input_shape = imagenet_utils.obtain_input_shape(input_shape, default_size=299, min_size=71,
                                                    data_format=backend.image_data_format(),
                                                    require_flatten=include_top, weights=weights)
    img_input = imagenet_utils.image_input(input_tensor, input_shape)
    x = layers.Conv2D(32, (3, 3), strides=(2, 2), use_bias=False, name="block1_conv1")(img_input)
    x = layers.Activation("relu", name="block1_conv1_act")(_bn("block1_conv1_bn")(x))
    x = layers.Conv2D(64, (3, 3), use_bias=False, name="block1_conv2")(x)
    x = layers.Activation("relu", name="block1_conv2_act")(_bn("block1_conv2_bn")(x))
    # entry flow
    x = _downsampling_block(x, (128, 128), 2, first_act=False)
    x = _downsampling_block(x, (256, 256), 3)
    x = _downsampling_block(x, (728, 728), 4)
    # middle flow
    for block in range(5, 13):
        residual = x
        for i in (1, 2, 3):
            x = _sepconv(x, 728, f"block{block}_sepconv{i}")
        x = layers.add([x, residual])
    # exit flow
    x = _downsampling_block(x, (728, 1024), 13)
    x = _bn("block14_sepconv1_bn")(
        layers.SeparableConv2D(1536, (3, 3), padding="same", use_bias=False, name="block14_sepconv1")(x))
    x = layers.Activation("relu", name="block14_sepconv1_act")(x)
    x = _bn("block14_sepconv2_bn")(
        layers.SeparableConv2D(2048, (3, 3), padding="same", use_bias=False, name="block14_sepconv2")(x))
    x = layers.Activation("relu", name="block14_sepconv2_act")(x)
    x = imagenet_utils.classifier_top(x, include_top, pooling, classes, classifier_activation, weights,
                                      top_pool="avg_pool")
    model = Model(imagenet_utils.source_inputs(input_tensor, img_input), x, name=name)
    fname, file_hash = WEIGHTS[bool(include_top)]
    return imagenet_utils.load_model_weights(model, weights, fname, BASE_WEIGHTS_PATH + fname, file_hash)


def preprocess_input(x, data_format=None):
    """tf mode: pixels scaled from [0, 255] to [-1, 1]."""
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="tf")
