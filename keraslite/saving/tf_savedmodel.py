"""Loading the TensorFlow SavedModel directories that tf.keras 2 wrote for `model.save("dir")`
(its default format in TF 2.0-2.12): `keras_metadata.pb` + `variables/variables.index`.

tf.keras records, in keras_metadata.pb, a JSON description of every saved object; the root's
holds the same `model_config` / `training_config` / `keras_version` that an `.h5` file keeps as
attributes. The model is rebuilt from that config (names read as Keras 2 meant them), compiled
from the training config, and given the variables of `variables/variables`, a TensorFlow
checkpoint (keraslite.saving.tf_bundle). The TensorFlow graph in saved_model.pb is not used,
so a model that tf.keras could only revive from its traced functions (a subclassed model without
get_config, saved without its Python class) cannot be loaded; nothing in the directory runs.
"""
import json
import os
import warnings

from keraslite.saving import tf_bundle
from keraslite.saving.weights import KerasFileError

__all__ = ["is_savedmodel", "load_model"]


def is_savedmodel(path):
    return (os.path.isfile(os.path.join(path, "keras_metadata.pb"))
            and os.path.isfile(os.path.join(path, "variables", "variables.index")))


def _root_metadata(path):
    with open(os.path.join(path, "keras_metadata.pb"), "rb") as f:
        data = f.read()
    try:
        for node in tf_bundle.protobuf_fields(data).get(1, []):  # SavedMetadata.nodes
            fields = tf_bundle.protobuf_fields(node)
            if fields.get(3, [b""])[0] == b"root":  # SavedObject.node_path
                return json.loads(fields.get(5, [b"{}"])[0].decode("utf8"))  # .metadata
    except (tf_bundle.BundleError, ValueError, UnicodeDecodeError) as e:
        raise KerasFileError(f"Cannot read '{path}/keras_metadata.pb': {e}") from e
    raise KerasFileError(f"'{path}/keras_metadata.pb' has no entry for the saved model itself.")


def _untuple(value):
    """tf.keras's JSON encoding of tuples ({"class_name": "__tuple__", "items": [...]}) as lists."""
    if isinstance(value, dict):
        if value.get("class_name") == "__tuple__" and set(value) == {"class_name", "items"}:
            return [_untuple(v) for v in value["items"]]
        return {k: _untuple(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_untuple(v) for v in value]
    return value


def load_model(path, custom_objects=None, compile=True, safe_mode=True):
    from keraslite.saving.config import compile_from_config, model_from_config, names_of_version
    from keraslite.saving.weights import building

    meta = _root_metadata(path)
    model_config = meta.get("model_config")
    if model_config is None and meta.get("class_name") and isinstance(meta.get("config"), dict):
        model_config = {"class_name": meta["class_name"], "config": meta["config"]}
    if not isinstance(model_config, dict) or not isinstance(model_config.get("config"), (dict, list)):
        raise KerasFileError(f"'{path}' is a TensorFlow SavedModel of a model without a config (a subclassed "
                             "model that tf.keras revived from its traced graph). keraslite rebuilds models from "
                             "their config only: load the weights into the model built in code instead, "
                             f"model.load_weights('{os.path.join(path, 'variables', 'variables')}').")
    with building(path), names_of_version(meta.get("keras_version")):
        model = model_from_config(_untuple(model_config), custom_objects=custom_objects, safe_mode=safe_mode)
    prefix = os.path.join(path, "variables", "variables")
    try:
        values = tf_bundle.checkpoint_values(prefix)
    except (tf_bundle.BundleError, OSError, ValueError) as e:
        raise KerasFileError(f"Cannot read the variables of the SavedModel '{path}': {e}") from e
    left, unpaired = tf_bundle.load_into(model, values, prefix)
    if unpaired:
        raise KerasFileError(f"The SavedModel '{path}' holds no values for the layers {unpaired}.")
    training_config = meta.get("training_config")
    if compile and isinstance(training_config, dict):
        if compile_from_config(model, _untuple(training_config), path, custom_objects=custom_objects):
            _restore_optimizer(model, values, path)
    return model


def _restore_optimizer(model, values, path):
    """tf.keras 2.11+ optimizers checkpoint `optimizer/_iterations` and `optimizer/_variables/<i>`
    (its variables in order: the slots), the layout of its `.h5` optimizer weights, which
    set_optimizer_values reads. OptimizerV2 ones (`optimizer/iter`, slots by weight) are not read."""
    from keraslite.saving.weights import set_optimizer_values

    slots = sorted((int(k.rsplit("/", 1)[1]), v) for k, v in values.items()
                   if k.startswith("optimizer/_variables/") and k.rsplit("/", 1)[1].isdigit())
    if "optimizer/_iterations" in values:
        set_optimizer_values(model, [values["optimizer/_iterations"]] + [v for _, v in slots], path)
    elif any(k.startswith("optimizer/") for k in values):
        warnings.warn(f"'{path}': the state of a tf.keras OptimizerV2 optimizer in a SavedModel is not read; the "
                      "optimizer starts fresh.", stacklevel=4)
