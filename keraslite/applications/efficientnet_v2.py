"""`keras.applications.efficientnet_v2`: EfficientNetV2B0 .. B3, S, M and L (Tan & Le, ICML
2021): fused MBConv blocks (one full convolution in place of expansion + depthwise) in the early
stages, MBConv blocks with squeeze-and-excitation after. The models rescale their own inputs
(`include_preprocessing=True`), so `preprocess_input` is the identity: feed pixels in [0, 255];
with `include_preprocessing=False` they take inputs in [-1, 1]."""
import math

from keraslite import backend, initializers, layers
from keraslite.applications import imagenet_utils
from keraslite.applications.efficientnet import CONV_KERNEL_INITIALIZER, _bn_axis, classifier_and_weights
from keraslite.applications.imagenet_utils import decode_predictions  # noqa: F401

__all__ = ["EfficientNetV2B0", "EfficientNetV2B1", "EfficientNetV2B2", "EfficientNetV2B3", "EfficientNetV2S",
           "EfficientNetV2M", "EfficientNetV2L", "preprocess_input", "decode_predictions"]

BASE_WEIGHTS_PATH = "https://storage.googleapis.com/tensorflow/keras-applications/efficientnet_v2/"
# variant -> (md5 with top, md5 without top)
WEIGHTS_HASHES = {
    "b0": ("21ecbf6da12460d5c40bb2f29ceb2188", "893217f2bb855e2983157299931e43ff"),
    "b1": ("069f0534ff22adf035c89e2d9547a9dc", "0e80663031ca32d657f9caa404b6ec37"),
    "b2": ("424e49f28180edbde1e94797771950a7", "1dfe2e7a5d45b6632553a8961ea609eb"),
    "b3": ("1f1fc43bd98a6e4fd8fdfd551e02c7a0", "f6abf7b5849ac99a89b50dd3fd532856"),
    "-s": ("e1d88a8495beba45748fedd0cecbe016", "af0682fb74e8c54910f2d4393339c070"),
    "-m": ("a3bf6aa3276309f4fc6a34aa114c95cd", "1b8dc055df72dde80d614482840fe342"),
    "-l": ("27e6d408b53c7ebc868fefa357689935", "b0b66b5c863aef5b46e8608fe1711615"),
}
# variant -> (width coefficient, depth coefficient, default input size)
VARIANTS = {"b0": (1.0, 1.0, 224), "b1": (1.0, 1.1, 240), "b2": (1.1, 1.2, 260), "b3": (1.2, 1.4, 300),
            "-s": (1.0, 1.0, 384), "-m": (1.0, 1.0, 480), "-l": (1.0, 1.0, 480)}
_BLOCK_KEYS = ("kernel_size", "num_repeat", "input_filters", "output_filters", "expand_ratio", "se_ratio", "strides",
               "conv_type")  # conv_type 1: fused MBConv, 0: MBConv


def _stages(*rows):
    return [dict(zip(_BLOCK_KEYS, row)) for row in rows]


_B_STAGES = _stages((3, 1, 32, 16, 1, 0, 1, 1), (3, 2, 16, 32, 4, 0, 2, 1), (3, 2, 32, 48, 4, 0, 2, 1),
                    (3, 3, 48, 96, 4, 0.25, 2, 0), (3, 5, 96, 112, 6, 0.25, 1, 0), (3, 8, 112, 192, 6, 0.25, 2, 0))
DEFAULT_BLOCKS_ARGS = {
    "efficientnetv2-s": _stages(
        (3, 2, 24, 24, 1, 0.0, 1, 1), (3, 4, 24, 48, 4, 0.0, 2, 1), (3, 4, 48, 64, 4, 0, 2, 1),
        (3, 6, 64, 128, 4, 0.25, 2, 0), (3, 9, 128, 160, 6, 0.25, 1, 0), (3, 15, 160, 256, 6, 0.25, 2, 0)),
    "efficientnetv2-m": _stages(
        (3, 3, 24, 24, 1, 0, 1, 1), (3, 5, 24, 48, 4, 0, 2, 1), (3, 5, 48, 80, 4, 0, 2, 1),
        (3, 7, 80, 160, 4, 0.25, 2, 0), (3, 14, 160, 176, 6, 0.25, 1, 0), (3, 18, 176, 304, 6, 0.25, 2, 0),
        (3, 5, 304, 512, 6, 0.25, 1, 0)),
    "efficientnetv2-l": _stages(
        (3, 4, 32, 32, 1, 0, 1, 1), (3, 7, 32, 64, 4, 0, 2, 1), (3, 7, 64, 96, 4, 0, 2, 1),
        (3, 10, 96, 192, 4, 0.25, 2, 0), (3, 19, 192, 224, 6, 0.25, 1, 0), (3, 25, 224, 384, 6, 0.25, 2, 0),
        (3, 7, 384, 640, 6, 0.25, 1, 0)),
    "efficientnetv2-b0": _B_STAGES, "efficientnetv2-b1": _B_STAGES, "efficientnetv2-b2": _B_STAGES,
    "efficientnetv2-b3": _B_STAGES,
}
def round_filters(filters, width_coefficient, min_depth, depth_divisor):
    """`filters` scaled by the width coefficient, rounded to a multiple of `depth_divisor`."""
    filters *= width_coefficient
    return int(max(min_depth or depth_divisor, int(filters + depth_divisor / 2) // depth_divisor * depth_divisor))


def round_repeats(repeats, depth_coefficient):
    return int(math.ceil(depth_coefficient * repeats))


def _conv(filters, kernel_size, name, strides=1, **kwargs):
    return layers.Conv2D(filters, kernel_size, strides=strides, padding="same", use_bias=False,
                         kernel_initializer=CONV_KERNEL_INITIALIZER, name=name, **kwargs)


def _bn(momentum, name):
    return layers.BatchNormalization(axis=_bn_axis(), momentum=momentum, name=name)


def _squeeze_excite(x, filters, input_filters, se_ratio, activation, name):
    se = layers.GlobalAveragePooling2D(name=f"{name}se_squeeze")(x)
    se = layers.Reshape((filters, 1, 1) if _bn_axis() == 1 else (1, 1, filters), name=f"{name}se_reshape")(se)
    se = layers.Conv2D(max(1, int(input_filters * se_ratio)), 1, padding="same", activation=activation,
                       kernel_initializer=CONV_KERNEL_INITIALIZER, name=f"{name}se_reduce")(se)
    se = layers.Conv2D(filters, 1, padding="same", activation="sigmoid", kernel_initializer=CONV_KERNEL_INITIALIZER,
                       name=f"{name}se_expand")(se)
    return layers.multiply([x, se], name=f"{name}se_excite")


def _residual(x, inputs, survival_probability, name):
    # Keras's EfficientNetV2 uses `survival_probability` as the Dropout rate (it grows with depth).
    if survival_probability:
        x = layers.Dropout(survival_probability, noise_shape=(None, 1, 1, 1), name=f"{name}drop")(x)
    return layers.add([x, inputs], name=f"{name}add")


def MBConvBlock(input_filters, output_filters, expand_ratio=1, kernel_size=3, strides=1, se_ratio=0.0,
                bn_momentum=0.9, activation="swish", survival_probability=0.8, name=None):
    """MBConv: 1x1 expansion, depthwise kxk, squeeze-and-excitation, linear 1x1 projection, and a
    residual connection when the shape is kept."""
    name = backend.get_uid("block0") if name is None else name

    def apply(inputs):
        filters = input_filters * expand_ratio
        x = inputs
        if expand_ratio != 1:
            x = _conv(filters, 1, f"{name}expand_conv")(x)
            x = _bn(bn_momentum, f"{name}expand_bn")(x)
            x = layers.Activation(activation, name=f"{name}expand_activation")(x)
        x = layers.DepthwiseConv2D(kernel_size, strides=strides, padding="same", use_bias=False,
                                   depthwise_initializer=CONV_KERNEL_INITIALIZER, name=f"{name}dwconv2")(x)
        x = _bn(bn_momentum, f"{name}bn")(x)
        x = layers.Activation(activation, name=f"{name}activation")(x)
        if 0 < se_ratio <= 1:
            x = _squeeze_excite(x, filters, input_filters, se_ratio, activation, name)
        x = _conv(output_filters, 1, f"{name}project_conv")(x)
        x = _bn(bn_momentum, f"{name}project_bn")(x)
        if strides == 1 and input_filters == output_filters:
            x = _residual(x, inputs, survival_probability, name)
        return x

    return apply


def FusedMBConvBlock(input_filters, output_filters, expand_ratio=1, kernel_size=3, strides=1, se_ratio=0.0,
                     bn_momentum=0.9, activation="swish", survival_probability=0.8, name=None):
    """Fused MBConv: one kxk convolution does the expansion (and the stride); then optional
    squeeze-and-excitation and a 1x1 projection. Without expansion the kxk convolution is the
    projection, followed by the activation."""
    name = backend.get_uid("block0") if name is None else name

    def apply(inputs):
        filters = input_filters * expand_ratio
        x = inputs
        if expand_ratio != 1:
            x = _conv(filters, kernel_size, f"{name}expand_conv", strides=strides)(x)
            x = _bn(bn_momentum, f"{name}expand_bn")(x)
            x = layers.Activation(activation, name=f"{name}expand_activation")(x)
        if 0 < se_ratio <= 1:
            x = _squeeze_excite(x, filters, input_filters, se_ratio, activation, name)
        fused = expand_ratio == 1
        x = _conv(output_filters, kernel_size if fused else 1, f"{name}project_conv", strides=strides if fused else 1)(x)
        x = _bn(bn_momentum, f"{name}project_bn")(x)
        if fused:
            x = layers.Activation(activation, name=f"{name}project_activation")(x)
        if strides == 1 and input_filters == output_filters:
            x = _residual(x, inputs, survival_probability, name)
        return x

    return apply


def EfficientNetV2(width_coefficient, depth_coefficient, default_size, dropout_rate=0.2, drop_connect_rate=0.2,
                   depth_divisor=8, min_depth=8, bn_momentum=0.9, activation="swish", blocks_args="default",
                   name="efficientnetv2", include_top=True, weights="imagenet", input_tensor=None, input_shape=None,
                   pooling=None, classes=1000, classifier_activation="softmax", include_preprocessing=True,
                   weights_name=None):
    """The EfficientNetV2 frame: input scaling, a 3x3/2 stem, the (fused) MBConv stages of
    `blocks_args` (filters scaled by `width_coefficient`, repeats by `depth_coefficient`), a 1x1
    top conv. `blocks_args="default"` takes the stages of the variant `weights_name` names."""
    # The variant ("b0", "-s", ...) picks the default stages and the preprocessing: from
    # `weights_name` rather than from `name`, so a renamed model keeps its architecture.
    variant = (weights_name or name.split("-")[-1]).lstrip("-")
    if blocks_args == "default":
        blocks_args = DEFAULT_BLOCKS_ARGS[f"efficientnetv2-{variant}"]
    imagenet_utils.check_arguments(
        weights, include_top, classes,
        weights_error=("The `weights` argument should be either `None` (random initialization), `imagenet` "
                       "(pre-training on ImageNet), or the path to the weights file to be loaded."
                       "Received: weights={weights}"),
        classes_error='If using `weights="imagenet"` with `include_top` as true, `classes` should be 1000')
    input_shape = imagenet_utils.obtain_input_shape(input_shape, default_size=default_size, min_size=32,
                                                    data_format=backend.image_data_format(),
                                                    require_flatten=include_top, weights=weights)
    img_input = imagenet_utils.image_input(input_tensor, input_shape)
    bn_axis = _bn_axis()
    x = img_input
    if include_preprocessing:
        # The B variants were trained on EfficientNet (V1)'s preprocessing, S/M/L on [-1, 1].
        if variant.startswith("b") and input_shape[bn_axis - 1] == 3:
            x = layers.Rescaling(scale=1.0 / 255)(x)
            x = layers.Normalization(mean=[0.485, 0.456, 0.406], variance=[0.229 ** 2, 0.224 ** 2, 0.225 ** 2],
                                     axis=bn_axis)(x)
        else:
            x = layers.Rescaling(scale=1.0 / 128.0, offset=-1)(x)

    def filters_of(filters):
        return round_filters(filters, width_coefficient, min_depth, depth_divisor)

    x = _conv(filters_of(blocks_args[0]["input_filters"]), 3, "stem_conv", strides=2)(x)
    x = _bn(bn_momentum, "stem_bn")(x)
    x = layers.Activation(activation, name="stem_activation")(x)

    total = float(sum(args["num_repeat"] for args in blocks_args))
    b = 0
    for i, args in enumerate(blocks_args):
        if args["num_repeat"] <= 0:
            raise ValueError("The number of repeats in `EfficientNetV2` must be > 0. "
                             f"Received: num_repeat={args['num_repeat']}")
        args = dict(args, input_filters=filters_of(args["input_filters"]),
                    output_filters=filters_of(args["output_filters"]))
        block = FusedMBConvBlock if args.pop("conv_type") == 1 else MBConvBlock
        repeats = round_repeats(args.pop("num_repeat"), depth_coefficient)
        for j in range(repeats):
            if j > 0:
                args["strides"], args["input_filters"] = 1, args["output_filters"]
            x = block(activation=activation, bn_momentum=bn_momentum, survival_probability=drop_connect_rate * b / total,
                      name=f"block{i + 1}{chr(j + 97)}_", **args)(x)
            b += 1

    x = _conv(filters_of(1280), 1, "top_conv")(x)
    x = _bn(bn_momentum, "top_bn")(x)
    x = layers.Activation(activation, name="top_activation")(x)
    return classifier_and_weights(x, img_input, input_tensor, include_top, dropout_rate, classes, classifier_activation,
                                  pooling, weights, name, BASE_WEIGHTS_PATH, WEIGHTS_HASHES.get(weights_name),
                                  bias_initializer=initializers.Constant(0.0))


def _variant(key, fn_name):
    width, depth, size = VARIANTS[key]

    def build(include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None, classes=1000,
              classifier_activation="softmax", include_preprocessing=True, name=f"efficientnetv2{'-' + key.lstrip('-')}"):
        return EfficientNetV2(width, depth, size, name=name, include_top=include_top, weights=weights,
                              input_tensor=input_tensor, input_shape=input_shape, pooling=pooling, classes=classes,
                              classifier_activation=classifier_activation,
                              include_preprocessing=include_preprocessing, weights_name=key)

    build.__name__ = build.__qualname__ = fn_name
    build.__doc__ = (f"{fn_name}: width x{width}, depth x{depth}, default input {size}x{size}x3. Takes pixels in "
                     "[0, 255] (the model rescales them), or in [-1, 1] with `include_preprocessing=False`.")
    return build


EfficientNetV2B0 = _variant("b0", "EfficientNetV2B0")
EfficientNetV2B1 = _variant("b1", "EfficientNetV2B1")
EfficientNetV2B2 = _variant("b2", "EfficientNetV2B2")
EfficientNetV2B3 = _variant("b3", "EfficientNetV2B3")
EfficientNetV2S = _variant("-s", "EfficientNetV2S")
EfficientNetV2M = _variant("-m", "EfficientNetV2M")
EfficientNetV2L = _variant("-l", "EfficientNetV2L")


def preprocess_input(x, data_format=None):
    """The identity, kept for API compatibility: EfficientNetV2 models rescale their own inputs."""
    return x
