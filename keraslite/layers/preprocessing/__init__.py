"""Preprocessing layers, one module per family:

- numeric: Rescaling, Normalization;
- image: Resizing, CenterCrop and the Random* augmentation layers (image_random_size: tf.keras
  2's RandomHeight / RandomWidth);
- lookup: StringLookup, IntegerLookup, TextVectorization (strings stay Python/numpy objects
  until these layers turn them into tensors);
- encoding: CategoryEncoding, Discretization, Hashing.
"""
from keraslite.layers.preprocessing import encoding as _encoding
from keraslite.layers.preprocessing.audio import MelSpectrogram, STFTSpectrogram
from keraslite.layers.preprocessing import image as _image
from keraslite.layers.preprocessing import image_color as _image_color
from keraslite.layers.preprocessing.image_color import *  # noqa: F401,F403
from keraslite.layers.preprocessing import image_geometric as _image_geometric
from keraslite.layers.preprocessing.image_geometric import *  # noqa: F401,F403
from keraslite.layers.preprocessing import image_random_size as _image_random_size
from keraslite.layers.preprocessing.image_random_size import RandomHeight, RandomWidth
from keraslite.layers.preprocessing import lookup as _lookup
from keraslite.layers.preprocessing import numeric as _numeric
from keraslite.layers.preprocessing.pipeline import Pipeline
from keraslite.layers.preprocessing.encoding import CategoryEncoding, Discretization, HashedCrossing, Hashing
from keraslite.layers.preprocessing.image import (CenterCrop, RandomBrightness, RandomContrast, RandomCrop, RandomFlip,
                                                  RandomRotation, RandomTranslation, RandomZoom, Resizing)
from keraslite.layers.preprocessing.lookup import IntegerLookup, StringLookup, TextVectorization
from keraslite.layers.preprocessing.numeric import Normalization, Rescaling

__all__ = (list(_numeric.__all__) + [n for n in _image.__all__ + _image_color.__all__ + _image_geometric.__all__
                                         + _image_random_size.__all__ if n[0].isupper()] + list(_lookup.__all__)
           + list(_encoding.__all__) + ["Pipeline", "STFTSpectrogram", "MelSpectrogram"])
