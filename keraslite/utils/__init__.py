"""`keras.utils`: to_categorical, normalize, pad_sequences, set_random_seed, get_file,
plot_model / model_to_dot, the custom-object registry, the image file helpers (load_img,
img_to_array, array_to_img, save_img), and (re-exported lazily from the modules that own
them) Sequence / PyDataset, Progbar, print_summary and the dataset builders
(image_dataset_from_directory, text_dataset_from_directory, audio_dataset_from_directory,
timeseries_dataset_from_array) and FeatureSpace (structured-data preprocessing,
`keraslite.utils.feature_space`).

Each helper lives in its own module here; this file only gathers names. `np_utils`,
`vis_utils` and `preprocessing` are the old Keras module paths, kept as submodules.
"""
from keraslite.saving.registry import (CustomObjectScope, custom_object_scope, get_custom_objects,
                                       get_registered_name, get_registered_object, register_keras_serializable)
from keraslite.utils import np_utils, preprocessing  # noqa: F401  (keras.utils.np_utils)
from keraslite.utils.file_utils import get_file
from keraslite.utils.image_utils import array_to_img, img_to_array, load_img, save_img
from keraslite.utils.io_utils import disable_interactive_logging, enable_interactive_logging, \
    is_interactive_logging_enabled
from keraslite.utils.keras_tensors import get_source_inputs, is_keras_tensor
from keraslite.utils.numerical import normalize, slice_arrays, to_categorical
from keraslite.utils.preprocessing.sequence import pad_sequences
from keraslite.utils.rng import set_random_seed
from keraslite.utils.vis_utils import model_to_dot, plot_model

__all__ = ["to_categorical", "normalize", "slice_arrays", "pad_sequences", "set_random_seed", "get_file", "plot_model",
           "model_to_dot", "custom_object_scope", "CustomObjectScope", "get_custom_objects",
           "register_keras_serializable", "get_registered_name", "get_registered_object", "Sequence",
           "PyDataset", "Progbar", "print_summary", "serialize_keras_object", "deserialize_keras_object",
           "load_img", "img_to_array", "array_to_img", "save_img", "image_dataset_from_directory",
           "text_dataset_from_directory", "audio_dataset_from_directory", "timeseries_dataset_from_array",
           "clear_session", "get_source_inputs",
           "is_keras_tensor", "pack_x_y_sample_weight", "unpack_x_y_sample_weight", "standardize_dtype",
           "enable_interactive_logging", "disable_interactive_logging", "is_interactive_logging_enabled",
           "split_dataset", "FeatureSpace"]

# name -> (module, attribute): owned elsewhere, imported on first use so that this package
# never waits on (or breaks with) modules still being written.
_LAZY = {
    "Sequence": ("keraslite.training.data", "Sequence"),
    "PyDataset": ("keraslite.training.data", "PyDataset"),
    "Progbar": ("keraslite.training.progbar", "Progbar"),
    "print_summary": ("keraslite.utils.summary", "print_summary"),
    "serialize_keras_object": ("keraslite.saving.serialization", "serialize_keras_object"),
    "deserialize_keras_object": ("keraslite.saving.serialization", "deserialize_keras_object"),
    "image_dataset_from_directory": ("keraslite.utils.dataset_utils", "image_dataset_from_directory"),
    "text_dataset_from_directory": ("keraslite.utils.dataset_utils", "text_dataset_from_directory"),
    "audio_dataset_from_directory": ("keraslite.utils.dataset_utils", "audio_dataset_from_directory"),
    "timeseries_dataset_from_array": ("keraslite.utils.dataset_utils", "timeseries_dataset_from_array"),
    "pack_x_y_sample_weight": ("keraslite.training.data", "pack_x_y_sample_weight"),
    "unpack_x_y_sample_weight": ("keraslite.training.data", "unpack_x_y_sample_weight"),
    "clear_session": ("keraslite.backend", "clear_session"),
    "split_dataset": ("keraslite.utils.dataset_utils", "split_dataset"),
    "FeatureSpace": ("keraslite.utils.feature_space", "FeatureSpace"),
    "multi_gpu_model": ("keraslite.training.distributed", "multi_gpu_model"),  # Keras 2 (training_utils)
}


def standardize_dtype(dtype):
    """Keras's spelling of a dtype ('float32', 'int64', 'bool'); see keraslite.backend."""
    from keraslite import backend

    return backend.standardize_dtype(dtype)


def __getattr__(name):
    if name in _LAZY:
        import importlib

        module, attr = _LAZY[name]
        try:
            value = getattr(importlib.import_module(module), attr)
        except (ImportError, AttributeError) as e:
            raise AttributeError(f"keraslite.utils.{name} is not available: {module}.{attr} could not be "
                                 f"imported ({e}).") from None
        globals()[name] = value
        return value
    if name == "legacy":  # keras.utils.legacy: the Keras 2 form of (de)serialization
        import importlib

        return importlib.import_module("keraslite.utils.legacy")
    raise AttributeError(f"module 'keraslite.utils' has no attribute '{name}'.")
