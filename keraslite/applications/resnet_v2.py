"""`keras.applications.resnet_v2`: ResNet50V2/101V2/152V2 (He et al., ECCV 2016), the
pre-activation ResNets. Inputs: tf-style preprocessing (scaled to [-1, 1])."""
from keraslite.applications import imagenet_utils
from keraslite.applications.imagenet_utils import decode_predictions  # noqa: F401
from keraslite.applications.resnet import DEPTHS, ResNet, stack_residual_blocks_v2

__all__ = ["ResNet50V2", "ResNet101V2", "ResNet152V2", "preprocess_input", "decode_predictions"]



def _resnet_v2(depth, name, **kwargs):
    def stack_fn(x):
        for stage, (filters, blocks) in enumerate(DEPTHS[depth], start=2):
            x = stack_residual_blocks_v2(x, filters, blocks, stride1=1 if stage == 5 else 2, name=f"conv{stage}")
        return x

    return ResNet(stack_fn, preact=True, use_bias=True, name=name, weights_name=f"resnet{depth}v2", **kwargs)


def ResNet50V2(include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None,
               classes=1000, classifier_activation="softmax", name="resnet50v2"):
    """ResNet50V2 (pre-activation; stages of 3, 4, 6, 3 blocks). Default input 224x224x3."""
    return _resnet_v2(50, name, include_top=include_top, weights=weights, input_tensor=input_tensor,
                      input_shape=input_shape, pooling=pooling, classes=classes,
                      classifier_activation=classifier_activation)


def ResNet101V2(include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None,
                classes=1000, classifier_activation="softmax", name="resnet101v2"):
    """ResNet101V2 (pre-activation; stages of 3, 4, 23, 3 blocks). Default input 224x224x3."""
    return _resnet_v2(101, name, include_top=include_top, weights=weights, input_tensor=input_tensor,
                      input_shape=input_shape, pooling=pooling, classes=classes,
                      classifier_activation=classifier_activation)


def ResNet152V2(include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None,
                classes=1000, classifier_activation="softmax", name="resnet152v2"):
    """ResNet152V2 (pre-activation; stages of 3, 8, 36, 3 blocks). Default input 224x224x3."""
    return _resnet_v2(152, name, include_top=include_top, weights=weights, input_tensor=input_tensor,
                      input_shape=input_shape, pooling=pooling, classes=classes,
                      classifier_activation=classifier_activation)


def preprocess_input(x, data_format=None):
    """tf mode: pixels scaled from [0, 255] to [-1, 1]."""
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="tf")
