"""`keras.applications.convnext`: ConvNeXtTiny .. ConvNeXtXLarge (Liu et al., "A ConvNet for
the 2020s", CVPR 2022): a 4x4/4 patchify stem, then four stages of blocks (7x7 depthwise conv,
LayerNormalization, an inverted bottleneck of two Dense layers, a learned per-channel
`LayerScale`) joined by LayerNormalization + 2x2/2 conv downsampling. The models normalize their
own inputs (`include_preprocessing=True`), so `preprocess_input` is the identity: feed pixels in
[0, 255]. channels_last only."""
import numpy as np

from keraslite import backend, initializers, layers
from keraslite import random as rng
from keraslite.applications import imagenet_utils
from keraslite.applications.imagenet_utils import decode_predictions  # noqa: F401
from keraslite.models import Model, Sequential

__all__ = ["ConvNeXtTiny", "ConvNeXtSmall", "ConvNeXtBase", "ConvNeXtLarge", "ConvNeXtXLarge", "LayerScale",
           "StochasticDepth", "preprocess_input", "decode_predictions"]

BASE_WEIGHTS_PATH = "https://storage.googleapis.com/tensorflow/keras-applications/convnext/"
# weights name -> (sha256 with top, sha256 without top)
WEIGHTS_HASHES = {
    "convnext_tiny": ("8ae6e78ce2933352b1ef4008e6dd2f17bc40771563877d156bc6426c7cf503ff",
                      "d547c096cabd03329d7be5562c5e14798aa39ed24b474157cef5e85ab9e49ef1"),
    "convnext_small": ("ce1277d8f1ee5a0ef0e171469089c18f5233860ceaf9b168049cb9263fd7483c",
                       "6fc8009faa2f00c1c1dfce59feea9b0745eb260a7dd11bee65c8e20843da6eab"),
    "convnext_base": ("52cbb006d3dadd03f6e095a8ca1aca47aecdd75acb4bc74bce1f5c695d0086e6",
                      "40a20c5548a5e9202f69735ecc06c990e6b7c9d2de39f0361e27baeb24cb7c45"),
    "convnext_large": ("070c5ed9ed289581e477741d3b34beffa920db8cf590899d6d2c67fba2a198a6",
                       "96f02b6f0753d4f543261bc9d09bed650f24dd6bc02ddde3066135b63d23a1cd"),
    "convnext_xlarge": ("c1f5ccab661354fc3a79a10fa99af82f0fbf10ec65cb894a3ae0815f17a889ee",
                        "de3f8a54174130e0cecdc71583354753d557fcf1f4487331558e2a16ba0cfe05"),
}
# variant -> blocks per stage, channels per stage, default input size
MODEL_CONFIGS = {
    "tiny": {"depths": [3, 3, 9, 3], "projection_dims": [96, 192, 384, 768], "default_size": 224},
    "small": {"depths": [3, 3, 27, 3], "projection_dims": [96, 192, 384, 768], "default_size": 224},
    "base": {"depths": [3, 3, 27, 3], "projection_dims": [128, 256, 512, 1024], "default_size": 224},
    "large": {"depths": [3, 3, 27, 3], "projection_dims": [192, 384, 768, 1536], "default_size": 224},
    "xlarge": {"depths": [3, 3, 27, 3], "projection_dims": [256, 512, 1024, 2048], "default_size": 224},
}
# ImageNet's per-channel mean and std, on the [0, 255] pixel scale.
_MEAN = [0.485 * 255, 0.456 * 255, 0.406 * 255]
_VARIANCE = [(0.229 * 255) ** 2, (0.224 * 255) ** 2, (0.225 * 255) ** 2]


class StochasticDepth(layers.Layer):
    """Drops the whole residual branch of a random subset of the batch's samples in training
    (each kept with probability `1 - drop_path_rate`, then scaled by its inverse); the identity
    in inference."""

    # Keras defines this layer in its convnext module: files name it there.
    _keras_module = "keras.src.applications.convnext"
    _keras_registered_name = "StochasticDepth"

    def __init__(self, drop_path_rate, **kwargs):
        super().__init__(**kwargs)
        self.drop_path_rate = drop_path_rate

    def call(self, x, training=None):
        training = self.training if training is None else bool(training)
        if not training:
            return x
        keep_prob = 1 - self.drop_path_rate
        shape = (x.shape[0],) + (1,) * (x.ndim - 1)
        mask = (keep_prob + rng.uniform(shape, 0, 1, dtype=x.dtype)).floor()
        return (x / keep_prob) * mask

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config["drop_path_rate"] = self.drop_path_rate
        return config


class LayerScale(layers.Layer):
    """Multiplies the input by a learned per-channel scale (`projection_dim` of them, starting at
    `init_values`), as in CaiT (Touvron et al., 2021)."""

    _keras_module = "keras.src.applications.convnext"
    _keras_registered_name = "LayerScale"

    def __init__(self, init_values, projection_dim, **kwargs):
        super().__init__(**kwargs)
        self.init_values = init_values
        self.projection_dim = projection_dim

    def build(self, input_shape):
        self.gamma = self.add_weight(shape=(self.projection_dim,),
                                     initializer=initializers.Constant(self.init_values), trainable=True)

    def call(self, x):
        return x * self.gamma

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update(init_values=self.init_values, projection_dim=self.projection_dim)
        return config


def ConvNeXtBlock(projection_dim, drop_path_rate=0.0, layer_scale_init_value=1e-6, name=None):
    """7x7 depthwise conv, LayerNormalization, Dense(4C) + GELU + Dense(C) (pointwise convs on
    the channel axis), LayerScale, then stochastic depth, added to the block's input."""
    if name is None:
        name = f"prestem{backend.get_uid('prestem')}"

    def apply(inputs):
        x = layers.Conv2D(projection_dim, kernel_size=7, padding="same", groups=projection_dim,
                          name=f"{name}_depthwise_conv")(inputs)
        x = layers.LayerNormalization(epsilon=1e-6, name=f"{name}_layernorm")(x)
        x = layers.Dense(4 * projection_dim, name=f"{name}_pointwise_conv_1")(x)
        x = layers.Activation("gelu", name=f"{name}_gelu")(x)
        x = layers.Dense(projection_dim, name=f"{name}_pointwise_conv_2")(x)
        if layer_scale_init_value is not None:
            x = LayerScale(layer_scale_init_value, projection_dim, name=f"{name}_layer_scale")(x)
        if drop_path_rate:
            x = StochasticDepth(drop_path_rate, name=f"{name}_stochastic_depth")(x)
        else:
            x = layers.Activation("linear", name=f"{name}_identity")(x)
        return inputs + x

    return apply


def PreStem(name=None):
    """Normalization of [0, 255] pixels with ImageNet's mean and std."""
    if name is None:
        name = f"prestem{backend.get_uid('prestem')}"

    def apply(x):
        return layers.Normalization(mean=_MEAN, variance=_VARIANCE, name=f"{name}_prestem_normalization")(x)

    return apply


def Head(num_classes=1000, classifier_activation=None, name=None):
    """Global average pooling, LayerNormalization and the `{name}_head_dense` classifier."""
    if name is None:
        name = str(backend.get_uid("head"))

    def apply(x):
        x = layers.GlobalAveragePooling2D(name=f"{name}_head_gap")(x)
        x = layers.LayerNormalization(epsilon=1e-6, name=f"{name}_head_layernorm")(x)
        return layers.Dense(num_classes, activation=classifier_activation, name=f"{name}_head_dense")(x)

    return apply


def ConvNeXt(depths, projection_dims, drop_path_rate=0.0, layer_scale_init_value=1e-6, default_size=224,
             name="convnext", include_preprocessing=True, include_top=True, weights=None, input_tensor=None,
             input_shape=None, pooling=None, classes=1000, classifier_activation="softmax", weights_name=None):
    """The ConvNeXt frame: stages of `depths[i]` blocks of `projection_dims[i]` channels, with
    stochastic depth rising linearly from 0 to `drop_path_rate` over all blocks. The stem and
    each downsampling step are small Sequential models, as in Keras (their weights nest under
    their names)."""
    if backend.image_data_format() == "channels_first":
        raise ValueError("ConvNeXt does not support the `channels_first` image data format. Switch to "
                         "`channels_last` by editing your local config file at ~/.keras/keras.json")
    imagenet_utils.check_arguments(
        weights, include_top, classes,
        weights_error=("The `weights` argument should be either `None` (random initialization), `imagenet` "
                       "(pre-training on ImageNet), or the path to the weights file to be loaded."),
        classes_error=('If using `weights="imagenet"` with `include_top=True`, `classes` should be 1000. '
                       "Received classes={classes}"))
    input_shape = imagenet_utils.obtain_input_shape(input_shape, default_size=default_size, min_size=32,
                                                    data_format=backend.image_data_format(),
                                                    require_flatten=include_top, weights=weights)
    img_input = imagenet_utils.image_input(input_tensor, input_shape)
    x = img_input
    if include_preprocessing and input_shape[2] == 3:
        x = PreStem(name=name)(x)

    stem = Sequential([layers.Conv2D(projection_dims[0], kernel_size=4, strides=4, name=f"{name}_stem_conv"),
                       layers.LayerNormalization(epsilon=1e-6, name=f"{name}_stem_layernorm")],
                      name=f"{name}_stem")
    downsampling = [stem] + [
        Sequential([layers.LayerNormalization(epsilon=1e-6, name=f"{name}_downsampling_layernorm_{i}"),
                    layers.Conv2D(projection_dims[i + 1], kernel_size=2, strides=2,
                                  name=f"{name}_downsampling_conv_{i}")],
                   name=f"{name}_downsampling_block_{i}")
        for i in range(3)]
    drop_rates = [float(rate) for rate in np.linspace(0.0, drop_path_rate, sum(depths))]
    start = 0
    for i in range(4):
        x = downsampling[i](x)
        for j in range(depths[i]):
            x = ConvNeXtBlock(projection_dims[i], drop_path_rate=drop_rates[start + j],
                              layer_scale_init_value=layer_scale_init_value, name=f"{name}_stage_{i}_block_{j}")(x)
        start += depths[i]

    if include_top:
        imagenet_utils.validate_activation(classifier_activation, weights)
        x = Head(num_classes=classes, classifier_activation=classifier_activation, name=name)(x)
    else:
        if pooling == "avg":
            x = layers.GlobalAveragePooling2D()(x)
        elif pooling == "max":
            x = layers.GlobalMaxPooling2D()(x)
        x = layers.LayerNormalization(epsilon=1e-6)(x)
    model = Model(imagenet_utils.source_inputs(input_tensor, img_input), x, name=name)

    if weights == "imagenet":
        expected = MODEL_CONFIGS[weights_name.split("convnext_")[-1]]
        if list(depths) != expected["depths"] or list(projection_dims) != expected["projection_dims"]:
            raise ValueError(
                f"Architecture configuration does not match {weights_name} variant. When using pre-trained "
                "weights, the model architecture must match the pre-trained configuration exactly. Expected "
                f"depths: {expected['depths']}, got: {depths}. Expected projection_dims: "
                f"{expected['projection_dims']}, got: {projection_dims}.")
        if weights_name not in name:
            raise ValueError(
                f'Model name "{name}" does not match weights variant "{weights_name}". When using imagenet '
                'weights, model name must contain the weights variant (e.g., "convnext_'
                f'{weights_name.split("convnext_")[-1]}").')
        fname = name + (".h5" if include_top else "_notop.h5")
        return imagenet_utils.load_model_weights(model, weights, fname, BASE_WEIGHTS_PATH + fname,
                                                 WEIGHTS_HASHES[weights_name][0 if include_top else 1])
    return imagenet_utils.load_model_weights(model, weights)


def _variant(key, fn_name):
    config = MODEL_CONFIGS[key]

    def build(include_top=True, include_preprocessing=True, weights="imagenet", input_tensor=None, input_shape=None,
              pooling=None, classes=1000, classifier_activation="softmax", name=f"convnext_{key}"):
        return ConvNeXt(config["depths"], config["projection_dims"], drop_path_rate=0.0, layer_scale_init_value=1e-6,
                        default_size=config["default_size"], name=name, include_preprocessing=include_preprocessing,
                        include_top=include_top, weights=weights, input_tensor=input_tensor, input_shape=input_shape,
                        pooling=pooling, classes=classes, classifier_activation=classifier_activation,
                        weights_name=f"convnext_{key}")

    build.__name__ = build.__qualname__ = fn_name
    build.__doc__ = (f"{fn_name}: stages of {config['depths']} blocks with {config['projection_dims']} channels, "
                     f"default input {config['default_size']}x{config['default_size']}x3. Takes pixels in [0, 255] "
                     "(the model normalizes them unless `include_preprocessing=False`). ImageNet-1k weights "
                     "(pre-trained on ImageNet-21k for base, large and xlarge).")
    return build


ConvNeXtTiny = _variant("tiny", "ConvNeXtTiny")
ConvNeXtSmall = _variant("small", "ConvNeXtSmall")
ConvNeXtBase = _variant("base", "ConvNeXtBase")
ConvNeXtLarge = _variant("large", "ConvNeXtLarge")
ConvNeXtXLarge = _variant("xlarge", "ConvNeXtXLarge")


def preprocess_input(x, data_format=None):
    """The identity, kept for API compatibility: ConvNeXt models normalize their own inputs."""
    return x
