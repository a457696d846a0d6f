"""`keras.applications.vgg19`: VGG19, the 16-convolution VGG (blocks of 2, 2, 4, 4, 4)."""
from keraslite.applications.imagenet_utils import decode_predictions  # noqa: F401
from keraslite.applications.vgg16 import build_vgg, preprocess_input  # noqa: F401

__all__ = ["VGG19", "preprocess_input", "decode_predictions"]

WEIGHTS = {
    True: ("vgg19_weights_tf_dim_ordering_tf_kernels.h5", "cbe5617147190e668d6c5d5026f83318"),
    False: ("vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5", "253f8cb515780f3b799900260a226db6"),
}


def VGG19(include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None, classes=1000,
          classifier_activation="softmax", name="vgg19"):
    """VGG19: 16 convolutions in five blocks, then (with `include_top`) three Dense layers.
    Default input 224x224x3; with include_top=False any size from 32x32."""
    return build_vgg((2, 2, 4, 4, 4), WEIGHTS, "vgg19", include_top, weights, input_tensor, input_shape, pooling,
                     classes, classifier_activation, name)
