"""Model files: legacy HDF5 (.h5), the Keras 3 zip (.keras) and weights-only files.

`save_model` / `load_model` / `save_weights` / `load_weights` dispatch on the file name:
  .keras              -> keraslite.saving.keras_format (zip: config.json + model.weights.h5)
  .weights.h5         -> keraslite.saving.keras_format (Keras 3 weights layout)
  .h5 / .hdf5 / other -> keraslite.saving.hdf5 (legacy layout, Keras 2 and 3)
Loading looks at the file's content as well as its name, so a misnamed file still loads or
fails with a clear error.
"""
import os

from keraslite.saving.registry import (CustomObjectScope, custom_object_scope, get_custom_objects,
                                       get_registered_name, get_registered_object, register_keras_serializable)
from keraslite.saving.serialization import (deserialize_keras_object, deserialize_layer, serialize_keras_object,
                                            serialize_layer)
from keraslite.saving.config import model_from_config, model_from_json, model_from_yaml, model_to_json, model_to_yaml
from keraslite.saving.weights import KerasFileError, MissingFileError

__all__ = ["save_model", "load_model", "save_weights", "load_weights", "model_from_json", "model_from_config",
           "model_to_json", "model_from_yaml", "model_to_yaml", "serialize_layer", "deserialize_layer", "serialize_keras_object",
           "deserialize_keras_object", "register_keras_serializable", "get_custom_objects", "custom_object_scope",
           "CustomObjectScope", "get_registered_name", "get_registered_object", "KerasFileError"]


def _kind(filepath):
    name = os.fspath(filepath).lower()
    if name.endswith(".weights.h5"):
        return "weights.h5"
    if name.endswith(".keras"):
        return "keras"
    return "h5"


def _sniff(filepath):
    """'zip', 'h5' or None from the first bytes of an existing file."""
    try:
        with open(filepath, "rb") as fh:
            head = fh.read(8)
    except OSError:
        return None
    if head.startswith(b"PK"):
        return "zip"
    if head == b"\x89HDF\r\n\x1a\n":
        return "h5"
    return None


def save_model(model, filepath, overwrite=True, include_optimizer=True, save_format=None, zipped=None, **kwargs):
    """`model.save(path)`: `.keras` -> Keras 3 zip; `.h5`/`.hdf5` (or save_format='h5') -> legacy HDF5;
    zipped=False -> the `.keras` members in a directory (whose name must not end in '.keras')."""
    from keraslite.saving import hdf5, keras_format

    filepath = os.fspath(filepath)
    if zipped is False:
        if filepath.endswith(".keras"):
            raise ValueError(f"With zipped=False the path names a directory and must not end in '.keras'; "
                             f"received '{filepath}'.")
        return keras_format.save_model_dir(model, filepath, overwrite=overwrite, include_optimizer=include_optimizer)
    kind = _kind(filepath)
    if save_format in ("h5", "hdf5"):
        kind = "h5"
    elif save_format == "keras":
        kind = "keras"
    elif save_format == "tf":
        # tf.keras 2's SavedModel directory: keraslite writes the model as an unzipped '.keras'
        # directory there (config, weights, no code), which load_model and tf.saved_model.load read.
        return keras_format.save_model_dir(model, filepath, overwrite=overwrite, include_optimizer=include_optimizer)
    if kind == "weights.h5":
        raise ValueError(f"'{filepath}' is a weights-file name; use model.save_weights(path) for it, or "
                         "model.save('name.keras') for a whole model.")
    if kind == "keras":
        return keras_format.save_model(model, filepath, overwrite=overwrite, include_optimizer=include_optimizer)
    return hdf5.save_model(model, filepath, overwrite=overwrite, include_optimizer=include_optimizer)


def load_model(filepath, custom_objects=None, compile=True, safe_mode=True, **kwargs):
    """Load a model saved as `.keras` or `.h5` (by keraslite, Keras 3 or Keras 2 / tf.keras)."""
    from keraslite.saving import hdf5, keras_format

    filepath = os.fspath(filepath)
    if not os.path.exists(filepath):
        raise MissingFileError(f"No such file: '{filepath}'. load_model expects a '.keras' or '.h5' file, or an "
                                "unzipped '.keras' directory.")
    if os.path.isdir(filepath):
        if os.path.isfile(os.path.join(filepath, "config.json")):
            return keras_format.load_model(filepath, custom_objects=custom_objects, compile=compile,
                                           safe_mode=safe_mode)
        from keraslite.saving import tf_savedmodel

        if tf_savedmodel.is_savedmodel(filepath):  # tf.keras 2's model.save("dir")
            return tf_savedmodel.load_model(filepath, custom_objects=custom_objects, compile=compile,
                                            safe_mode=safe_mode)
        raise KerasFileError(f"'{filepath}' is a directory without a config.json (a TensorFlow SavedModel?). "
                             "keraslite loads '.keras' and '.h5' files and unzipped '.keras' directories.")
    sniffed = _sniff(filepath)
    if sniffed == "zip" or (sniffed is None and _kind(filepath) == "keras"):
        return keras_format.load_model(filepath, custom_objects=custom_objects, compile=compile, safe_mode=safe_mode)
    return hdf5.load_model(filepath, custom_objects=custom_objects, compile=compile, safe_mode=safe_mode)


def save_weights(model, filepath, overwrite=True, save_format=None, **kwargs):
    """`.weights.h5` -> Keras 3 layout; any other name -> the legacy layout Keras 2 wrote."""
    from keraslite.saving import hdf5, keras_format

    filepath = os.fspath(filepath)
    kind = _kind(filepath)
    if kind == "weights.h5":
        return keras_format.save_weights(model, filepath, overwrite=overwrite)
    # Any other name, '.keras' included, is what tf.keras 2 took as a checkpoint prefix
    # (ModelCheckpoint('ckpt.keras', save_weights_only=True) then load_weights('ckpt.keras')):
    # the weights are written there as legacy HDF5, which load_weights recognises by content.
    hdf5.save_weights(model, filepath, overwrite=overwrite)
    if not _has_h5_suffix(filepath):  # tf.keras 2's checkpoint name: keep its `checkpoint` state file
        from keraslite.saving import checkpoint_state

        checkpoint_state.record(filepath)


def load_weights(model, filepath, skip_mismatch=False, by_name=False, **kwargs):
    """Weights from `.weights.h5`, `.keras`, or legacy `.h5` (topological or by_name matching)."""
    from keraslite.saving import hdf5, keras_format

    filepath = os.fspath(filepath)
    if not os.path.exists(filepath):
        if os.path.exists(filepath + ".index"):
            return _load_tf_checkpoint(model, filepath)
        raise MissingFileError(f"No such file: '{filepath}'.")
    sniffed = _sniff(filepath)
    if sniffed == "zip" or (sniffed is None and _kind(filepath) == "keras"):
        if by_name:
            raise ValueError("by_name=True is only supported for legacy '.h5' weights files, not '.keras'.")
        return keras_format.load_weights(model, filepath, skip_mismatch=skip_mismatch)
    if _kind(filepath) == "weights.h5" and not by_name:
        return keras_format.load_weights(model, filepath, skip_mismatch=skip_mismatch)
    if by_name or _has_h5_suffix(filepath):
        return hdf5.load_weights(model, filepath, by_name=by_name, skip_mismatch=skip_mismatch)
    # A name without '.h5'/'.hdf5'/'.keras' is where tf.keras 2 wrote a TensorFlow checkpoint
    # (model.save_weights("ckpt")); keraslite writes HDF5 there. Loading it keeps that format's
    # rules: layers with weights pair in order as far as both go (a model with a new head takes
    # the base's weights), and a load status comes back for assert_consumed()/expect_partial().
    if getattr(model, "_graph", True) is None and not model.weights and list(model.children()):
        # A subclassed model that has not created its weights yet: restored when it does (its
        # first call, or build(input_shape)), as tf.keras 2 deferred a checkpoint restore.
        model._deferred_weights = (filepath, skip_mismatch)
        return CheckpointLoadStatus(filepath, [], [])
    unpaired_file, unpaired_model = hdf5.load_weights(model, filepath, skip_mismatch=skip_mismatch,
                                                      partial=True)
    return CheckpointLoadStatus(filepath, unpaired_file, unpaired_model)


def _load_tf_checkpoint(model, filepath):
    """A TensorFlow checkpoint that tf.keras 2 wrote (`model.save_weights("ckpt")`): its
    variables are read (keraslite.saving.tf_bundle) and paired with the model's layers as tf.keras
    paired them; a load status comes back."""
    from keraslite.saving import tf_bundle

    if not tf_bundle.is_bundle(filepath):
        raise KerasFileError(f"'{filepath}.index' exists but is not a TensorFlow checkpoint index.")
    try:
        values = tf_bundle.checkpoint_values(filepath)
    except (tf_bundle.BundleError, OSError, ValueError) as e:
        raise KerasFileError(f"Cannot read the TensorFlow checkpoint '{filepath}': {e}") from e
    if getattr(model, "_graph", True) is None and not model.weights and list(model.children()):
        raise ValueError(f"'{type(model).__name__}' has not created its weights yet: call the model on a batch "
                         f"(or build(input_shape)) before loading the TensorFlow checkpoint '{filepath}'.")
    left, unpaired = tf_bundle.load_into(model, values, filepath)
    return CheckpointLoadStatus(filepath, left, unpaired)


def _has_h5_suffix(filepath):
    return os.fspath(filepath).lower().endswith((".h5", ".hdf5", ".keras"))


class CheckpointLoadStatus:
    """What tf.keras 2's `load_weights` returned for a checkpoint path: checks that every saved
    value and every layer with weights found its counterpart."""

    def __init__(self, filepath, unpaired_file_layers, unpaired_model_layers):
        self._filepath = filepath
        self._unpaired_file = list(unpaired_file_layers)
        self._unpaired_model = list(unpaired_model_layers)

    def assert_consumed(self):
        if self._unpaired_file:
            raise AssertionError(f"Unresolved values in checkpoint '{self._filepath}': the weights of layers "
                                 f"{self._unpaired_file} were not restored (the model has fewer layers with weights).")
        return self.assert_existing_objects_matched()

    def assert_existing_objects_matched(self):
        if self._unpaired_model:
            raise AssertionError(f"Some layers were not bound to checkpointed values from '{self._filepath}': "
                                 f"{self._unpaired_model} (the checkpoint has fewer layers with weights).")
        return self

    def assert_nontrivial_match(self):
        return self

    def expect_partial(self):
        return self

    def run_restore_ops(self, session=None):
        return None
