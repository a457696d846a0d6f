"""`keras.applications.vgg16`: VGG16 (Simonyan & Zisserman, ICLR 2015), and the VGG builder
that vgg19 shares. Inputs: caffe-style preprocessing (BGR, ImageNet mean subtracted)."""
from keraslite import backend, layers
from keraslite.applications import imagenet_utils
from keraslite.applications.imagenet_utils import decode_predictions  # noqa: F401
from keraslite.models import Model

__all__ = ["VGG16", "preprocess_input", "decode_predictions"]

BASE_WEIGHTS_PATH = "https://storage.googleapis.com/tensorflow/keras-applications/"
# include_top -> (file name, md5)
WEIGHTS = {
    True: ("vgg16_weights_tf_dim_ordering_tf_kernels.h5", "64373286793e3c8b2b4e3219cbf3544b"),
    False: ("vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5", "6d6bbae143d832006294945121d1f1fc"),
}


def build_vgg(convs_per_block, weights_table, family, include_top, weights, input_tensor, input_shape, pooling,
              classes, classifier_activation, name):
    """Five blocks of 3x3 'same' ReLU convolutions (64, 128, 256, 512, 512 filters; the counts in
    `convs_per_block`), each closed by 2x2 max pooling; then fc1, fc2 (4096) and predictions."""
    imagenet_utils.check_arguments(weights, include_top, classes)
    input_shape = imagenet_utils.obtain_input_shape(input_shape, default_size=224, min_size=32,
                                                    data_format=backend.image_data_format(),
                                                    require_flatten=include_top, weights=weights)
    img_input = imagenet_utils.image_input(input_tensor, input_shape)
    x = img_input
    for block, (filters, convs) in enumerate(zip((64, 128, 256, 512, 512), convs_per_block), start=1):
        for i in range(1, convs + 1):
            x = layers.Conv2D(filters, (3, 3), activation="relu", padding="same", name=f"block{block}_conv{i}")(x)
        x = layers.MaxPooling2D((2, 2), strides=(2, 2), name=f"block{block}_pool")(x)
    if include_top:
        x = layers.Flatten(name="flatten")(x)
        x = layers.Dense(4096, activation="relu", name="fc1")(x)
        x = layers.Dense(4096, activation="relu", name="fc2")(x)
        imagenet_utils.validate_activation(classifier_activation, weights)
        x = layers.Dense(classes, activation=classifier_activation, name="predictions")(x)
    else:
        x = imagenet_utils.classifier_top(x, False, pooling, classes, classifier_activation, weights)
    model = Model(imagenet_utils.source_inputs(input_tensor, img_input), x, name=name)
    fname, file_hash = weights_table[bool(include_top)]
    return imagenet_utils.load_model_weights(model, weights, fname, f"{BASE_WEIGHTS_PATH}{family}/{fname}",
                                             file_hash)


def VGG16(include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None, classes=1000,
          classifier_activation="softmax", name="vgg16"):
    """VGG16: 13 convolutions in five blocks, then (with `include_top`) three Dense layers.
    Default input 224x224x3; with include_top=False any size from 32x32."""
    return build_vgg((2, 2, 3, 3, 3), WEIGHTS, "vgg16", include_top, weights, input_tensor, input_shape, pooling,
                     classes, classifier_activation, name)


def preprocess_input(x, data_format=None):
    """caffe mode: RGB -> BGR, then each channel zero-centred on the ImageNet mean, no scaling."""
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="caffe")
