"""`keras.preprocessing` (Keras 1/2 module path): sequence (pad_sequences), text (Tokenizer),
image (ImageDataGenerator, load_img ...) and the Keras 3 dataset builders
(image_dataset_from_directory, text_dataset_from_directory, timeseries_dataset_from_array)."""
from keraslite.utils.dataset_utils import (image_dataset_from_directory, text_dataset_from_directory,
                                           timeseries_dataset_from_array)
from keraslite.utils.preprocessing import image, sequence, text  # noqa: F401
