"""`keras.applications.resnet50`: the module path tf.keras 2 programs import ResNet50 from."""
from keraslite.applications.resnet import ResNet50, decode_predictions, preprocess_input  # noqa: F401

__all__ = ["ResNet50", "preprocess_input", "decode_predictions"]
