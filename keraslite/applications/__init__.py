"""`keras.applications`: the ImageNet classification models, one module per family as Keras
organises them (`keras.applications.vgg16.VGG16`, `.resnet`, `.mobilenet_v2` ...), each with its
`preprocess_input` and `decode_predictions`. Architectures, layer names, defaults and the
pretrained weights files (downloaded into ~/.keras/models) are Keras's, so Keras's `.h5`
weights load into them."""
from keraslite.applications import (convnext, densenet, efficientnet, efficientnet_v2, imagenet_utils,  # noqa: F401
                                    inception_resnet_v2, inception_v3, mobilenet, mobilenet_v2, mobilenet_v3, resnet, resnet50, resnet_v2,
                                    vgg16, vgg19, xception)
from keraslite.applications.convnext import ConvNeXtBase, ConvNeXtLarge, ConvNeXtSmall, ConvNeXtTiny, ConvNeXtXLarge
from keraslite.applications.densenet import DenseNet121, DenseNet169, DenseNet201
from keraslite.applications.efficientnet import (EfficientNetB0, EfficientNetB1, EfficientNetB2, EfficientNetB3,
                                                  EfficientNetB4, EfficientNetB5, EfficientNetB6, EfficientNetB7)
from keraslite.applications.efficientnet_v2 import (EfficientNetV2B0, EfficientNetV2B1, EfficientNetV2B2,
                                                     EfficientNetV2B3, EfficientNetV2L, EfficientNetV2M, EfficientNetV2S)
from keraslite.applications.inception_resnet_v2 import InceptionResNetV2
from keraslite.applications.inception_v3 import InceptionV3
from keraslite.applications.mobilenet import MobileNet
from keraslite.applications.mobilenet_v2 import MobileNetV2
from keraslite.applications.mobilenet_v3 import MobileNetV3Large, MobileNetV3Small
from keraslite.applications.resnet import ResNet50, ResNet101, ResNet152
from keraslite.applications.resnet_v2 import ResNet50V2, ResNet101V2, ResNet152V2
from keraslite.applications.vgg16 import VGG16
from keraslite.applications.vgg19 import VGG19
from keraslite.applications.xception import Xception

__all__ = ["VGG16", "VGG19", "ResNet50", "ResNet101", "ResNet152", "ResNet50V2", "ResNet101V2", "ResNet152V2",
           "MobileNet", "MobileNetV2", "MobileNetV3Small", "MobileNetV3Large", "Xception", "InceptionV3", "InceptionResNetV2", "DenseNet121", "DenseNet169", "DenseNet201",
           "EfficientNetB0", "EfficientNetB1", "EfficientNetB2", "EfficientNetB3", "EfficientNetB4", "EfficientNetB5",
           "EfficientNetB6", "EfficientNetB7", "EfficientNetV2B0", "EfficientNetV2B1", "EfficientNetV2B2",
           "EfficientNetV2B3", "EfficientNetV2S", "EfficientNetV2M", "EfficientNetV2L", "ConvNeXtTiny", "ConvNeXtSmall",
           "ConvNeXtBase", "ConvNeXtLarge", "ConvNeXtXLarge"]
