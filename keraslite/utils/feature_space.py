"""`keras.utils.FeatureSpace`: declare how each column of structured (tabular) data is
preprocessed and encoded, learn the preprocessing state with `adapt`, then either call the
FeatureSpace on dicts of arrays or build a model from `get_inputs()` / `get_encoded_features()`.

Each feature is a `Feature` (a dtype, a preprocessing layer and an output mode); string names
("float", "float_rescaled", "float_normalized", "float_discretized", "integer_categorical",
"string_categorical", "integer_hashed", "string_hashed") stand for the default `Feature` of that
kind. `crosses` hash combinations of (preprocessed) categorical features with `HashedCrossing`.
Features whose output mode is "one_hot" are multi-hot encoded with `CategoryEncoding` sized from
their preprocessor (vocabulary size, number of bins). In "concat" mode the encoded features are
joined along the last axis in a fixed order: the features sorted by name, then the crosses sorted
by name; "dict" mode returns the same entries keyed by name.

Strings are never torch tensors in keraslite: string features travel as numpy arrays (or
Python lists) up to their lookup or hashing layer.
"""
import numpy as np
import torch

from keraslite import backend
from keraslite.layers.layer import Layer

__all__ = ["FeatureSpace", "Feature", "Cross"]

_FEATURE_KINDS = ("float", "float_rescaled", "float_normalized", "float_discretized", "integer_categorical",
                  "string_categorical", "integer_hashed", "string_hashed")


def _layers():
    from keraslite import layers

    return layers


def _deserialize(config):
    from keraslite.saving.serialization import deserialize_keras_object

    return deserialize_keras_object(config)


def _serialize(obj):
    from keraslite.saving.serialization import serialize_keras_object

    return serialize_keras_object(obj)


def _object_config(obj):
    """The {"module", "class_name", "config"} entry Keras writes for a Feature or a Cross."""
    return {"module": "keras.src.layers.preprocessing.feature_space", "class_name": type(obj).__name__,
            "config": obj.get_config(), "registered_name": type(obj).__name__}


def _from_entry(entry, cls):
    """A Feature / Cross from its serialized entry (or its bare config)."""
    if isinstance(entry, cls):
        return entry
    if isinstance(entry, dict) and "class_name" in entry:
        if entry["class_name"] != cls.__name__:
            raise ValueError(f"Expected a serialized {cls.__name__}; received class_name={entry['class_name']!r}.")
        entry = entry.get("config") or {}
    if isinstance(entry, dict):
        return cls.from_config(entry)
    raise TypeError(f"Expected a {cls.__name__} or its config; received {entry!r}.")


class Cross:
    """A feature cross: the named features are hashed together into `crossing_dim` bins."""

    def __init__(self, feature_names, crossing_dim, output_mode="one_hot"):
        if output_mode not in {"int", "one_hot"}:
            raise ValueError("Invalid value for argument `output_mode`. Expected one of {'int', 'one_hot'}. "
                             f"Received: output_mode={output_mode}")
        self.feature_names = tuple(feature_names)
        self.crossing_dim = crossing_dim
        self.output_mode = output_mode

    @property
    def name(self):
        return "_X_".join(self.feature_names)

    def get_config(self):
        return {"feature_names": list(self.feature_names), "crossing_dim": self.crossing_dim,
                "output_mode": self.output_mode}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"Cross({self.name!r}, crossing_dim={self.crossing_dim}, output_mode={self.output_mode!r})"


class Feature:
    """One feature: the dtype of its input, the layer that preprocesses it and how its result
    is encoded ("int": left as indices, "one_hot": multi-hot encoded, "float": used as is)."""

    def __init__(self, dtype, preprocessor, output_mode):
        if output_mode not in {"int", "one_hot", "float"}:
            raise ValueError("Invalid value for argument `output_mode`. Expected one of {'int', 'one_hot', 'float'}. "
                             f"Received: output_mode={output_mode}")
        self.dtype = dtype
        if isinstance(preprocessor, dict):
            preprocessor = _deserialize(preprocessor)
        self.preprocessor = preprocessor
        self.output_mode = output_mode

    def get_config(self):
        return {"dtype": self.dtype, "preprocessor": _serialize(self.preprocessor), "output_mode": self.output_mode}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"Feature(dtype={self.dtype!r}, preprocessor={type(self.preprocessor).__name__}, " \
               f"output_mode={self.output_mode!r})"


class TFDIdentity(Layer):
    """Passes a feature through unchanged (floating values as the layer's float dtype)."""

    _keras_module = "keras.src.layers.preprocessing.feature_space"
    _keras_registered_name = "TFDIdentity"

    def call(self, x):
        x = torch.as_tensor(x)
        if x.dtype.is_floating_point and x.dtype != self._variable_dtype:
            x = x.to(self._variable_dtype)
        return x

    def compute_output_shape(self, input_shape):
        return input_shape


class TFDConcat(Layer):
    """Concatenates the encoded features along `axis` (one or more inputs)."""

    _keras_module = "keras.src.layers.preprocessing.feature_space"
    _keras_registered_name = "TFDConcat"

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = axis

    def call(self, xs):
        return torch.cat([torch.as_tensor(x) for x in xs], dim=self.axis)

    def compute_output_shape(self, input_shapes):
        shapes = [tuple(s) for s in input_shapes]
        axis = self.axis % len(shapes[0])
        sizes = [s[axis] for s in shapes]
        total = None if any(v is None for v in sizes) else sum(sizes)
        return shapes[0][:axis] + (total,) + shapes[0][axis + 1:]

    def get_config(self):
        config = super().get_config()
        config["axis"] = self.axis
        return config


def _dtype_name(x):
    """Keras's dtype spelling of a KerasTensor, torch tensor or numpy array."""
    if isinstance(x, (list, tuple)):
        x = x[0]
    dtype = getattr(x, "dtype", None)
    if isinstance(dtype, str):
        return dtype
    if isinstance(x, np.ndarray):
        return "string" if x.dtype.kind in "OUS" else str(x.dtype)
    return str(dtype).replace("torch.", "")


def _to_array(x):
    """One input column as a torch tensor (numbers) or a numpy array (strings)."""
    if isinstance(x, torch.Tensor):
        return x
    if hasattr(x, "numpy") and not isinstance(x, np.ndarray):  # tf-style tensors
        x = x.numpy()
    if isinstance(x, (str, bytes)):
        return np.asarray(x, dtype=object)
    x = np.asarray(x)
    if x.dtype.kind in "OUS":
        return x
    return torch.as_tensor(x)


def _as_numpy(x):
    if isinstance(x, torch.Tensor):
        return x.detach().cpu().numpy()
    if hasattr(x, "numpy") and not isinstance(x, np.ndarray):
        return np.asarray(x.numpy())
    if isinstance(x, (str, bytes)):
        return np.asarray(x, dtype=object)
    return np.asarray(x)


class FeatureSpace(Layer):
    """Preprocess and encode a dict of structured features (see the module docstring).

    Arguments: `features` (dict name -> feature kind name or `Feature`), `output_mode` ("concat"
    or "dict"), `crosses` (tuples of feature names or `FeatureSpace.cross(...)`), `crossing_dim`
    (default size of a cross, 32), `hashing_dim` (default bins of the hashed kinds, 32) and
    `num_discretization_bins` (default bins of "float_discretized", 32)."""

    _keras_module = "keras.utils"

    # -- feature constructors ----------------------------------------------------------------
    @classmethod
    def cross(cls, feature_names, crossing_dim, output_mode="one_hot"):
        return Cross(feature_names, crossing_dim, output_mode=output_mode)

    @classmethod
    def feature(cls, dtype, preprocessor, output_mode):
        return Feature(dtype, preprocessor, output_mode)

    @classmethod
    def float(cls, name=None):  # noqa: A003  (Keras's name)
        name = name or backend.unique_name("float")
        return Feature(dtype="float32", preprocessor=TFDIdentity(dtype="float32", name=f"{name}_preprocessor"),
                       output_mode="float")

    @classmethod
    def float_rescaled(cls, scale=1.0, offset=0.0, name=None):
        name = name or backend.unique_name("float_rescaled")
        layer = _layers().Rescaling(scale=scale, offset=offset, name=f"{name}_preprocessor")
        return Feature(dtype="float32", preprocessor=layer, output_mode="float")

    @classmethod
    def float_normalized(cls, name=None):
        name = name or backend.unique_name("float_normalized")
        layer = _layers().Normalization(axis=-1, name=f"{name}_preprocessor")
        return Feature(dtype="float32", preprocessor=layer, output_mode="float")

    @classmethod
    def float_discretized(cls, num_bins, bin_boundaries=None, output_mode="one_hot", name=None):
        name = name or backend.unique_name("float_discretized")
        layer = _layers().Discretization(num_bins=num_bins, bin_boundaries=bin_boundaries,
                                         name=f"{name}_preprocessor")
        return Feature(dtype="float32", preprocessor=layer, output_mode=output_mode)

    @classmethod
    def integer_categorical(cls, max_tokens=None, num_oov_indices=1, output_mode="one_hot", name=None):
        name = name or backend.unique_name("integer_categorical")
        layer = _layers().IntegerLookup(name=f"{name}_preprocessor", max_tokens=max_tokens,
                                        num_oov_indices=num_oov_indices)
        return Feature(dtype="int32", preprocessor=layer, output_mode=output_mode)

    @classmethod
    def string_categorical(cls, max_tokens=None, num_oov_indices=1, output_mode="one_hot", name=None):
        name = name or backend.unique_name("string_categorical")
        layer = _layers().StringLookup(name=f"{name}_preprocessor", max_tokens=max_tokens,
                                       num_oov_indices=num_oov_indices)
        return Feature(dtype="string", preprocessor=layer, output_mode=output_mode)

    @classmethod
    def string_hashed(cls, num_bins, output_mode="one_hot", name=None):
        name = name or backend.unique_name("string_hashed")
        layer = _layers().Hashing(name=f"{name}_preprocessor", num_bins=num_bins)
        return Feature(dtype="string", preprocessor=layer, output_mode=output_mode)

    @classmethod
    def integer_hashed(cls, num_bins, output_mode="one_hot", name=None):
        name = name or backend.unique_name("integer_hashed")
        layer = _layers().Hashing(name=f"{name}_preprocessor", num_bins=num_bins)
        return Feature(dtype="int32", preprocessor=layer, output_mode=output_mode)

    # -- construction ------------------------------------------------------------------------
    def __init__(self, features, output_mode="concat", crosses=None, crossing_dim=32, hashing_dim=32,
                 num_discretization_bins=32, name=None, **kwargs):
        super().__init__(name=name, **kwargs)
        if not features:
            raise ValueError("The `features` argument cannot be None or empty.")
        if not isinstance(features, dict):
            raise ValueError("The `features` argument should be a dict mapping feature names to feature types. "
                             f"Received: features={features!r}")
        self.crossing_dim = crossing_dim
        self.hashing_dim = hashing_dim
        self.num_discretization_bins = num_discretization_bins
        self.features = {name: self._standardize_feature(name, value) for name, value in features.items()}
        self.crosses = []
        for given in crosses or ():
            cross = _from_entry(given, Cross) if isinstance(given, dict) else given
            if not isinstance(cross, Cross):
                if not crossing_dim:
                    raise ValueError("When specifying `crosses`, the argument `crossing_dim` (dimensionality of the "
                                     "crossing space) should be specified as well.")
                cross = Cross(cross, crossing_dim=crossing_dim)
            unknown = [key for key in cross.feature_names if key not in self.features]
            if unknown:
                shown = given if not isinstance(given, (Cross, dict)) else cross.feature_names
                raise ValueError("All features referenced in the `crosses` argument should be present in the "
                                 f"`features` dict. Received unknown features: {shown}")
            self.crosses.append(cross)
        self.crosses_by_name = {cross.name: cross for cross in self.crosses}
        if output_mode not in {"dict", "concat"}:
            raise ValueError("Invalid value for argument `output_mode`. Expected one of {'dict', 'concat'}. "
                             f"Received: output_mode={output_mode}")
        self.output_mode = output_mode
        from keraslite.layers.input_layer import Input

        self.inputs = {name: Input(shape=(1,), dtype=feature.dtype, name=name)
                       for name, feature in self.features.items()}
        # Plain dicts of layers; the layers are registered as sub-modules below so that a model
        # or `summary` sees them, under names that cannot clash.
        self.preprocessors = {name: feature.preprocessor for name, feature in self.features.items()}
        self.crossers = {cross.name: _layers().HashedCrossing(cross.crossing_dim, name=cross.name)
                         for cross in self.crosses}
        self.one_hot_encoders = {}
        self.encoded_features = None
        self.concat = None
        self._is_adapted = False
        self._sublayers_built = False
        self._preprocessed_features_names = sorted(self.features)
        self._crossed_features_names = sorted(self.crossers)

    def _standardize_feature(self, name, feature):
        if isinstance(feature, Feature):
            return feature
        if isinstance(feature, dict):
            return _from_entry(feature, Feature)
        if feature == "float":
            return self.float(name=name)
        if feature == "float_normalized":
            return self.float_normalized(name=name)
        if feature == "float_rescaled":
            return self.float_rescaled(name=name)
        if feature == "float_discretized":
            return self.float_discretized(name=name, num_bins=self.num_discretization_bins)
        if feature == "integer_categorical":
            return self.integer_categorical(name=name)
        if feature == "string_categorical":
            return self.string_categorical(name=name)
        if feature == "integer_hashed":
            return self.integer_hashed(self.hashing_dim, name=name)
        if feature == "string_hashed":
            return self.string_hashed(self.hashing_dim, name=name)
        raise ValueError(f"Invalid feature type: {feature}")

    # -- adapt ------------------------------------------------------------------------------
    def _list_adaptable_preprocessors(self):
        layers = _layers()
        names = []
        for name in self.features:
            preprocessor = self.preprocessors[name]
            if isinstance(preprocessor, layers.Normalization) and preprocessor.input_mean is not None:
                continue
            if isinstance(preprocessor, layers.Discretization) and preprocessor.num_bins is None:
                continue  # fixed bin_boundaries: nothing to learn
            if getattr(preprocessor, "_has_input_vocabulary", False):
                continue
            if hasattr(preprocessor, "adapt"):
                names.append(name)
        return names

    def _elements(self, dataset):
        """The dataset's elements as dicts of numpy arrays (a dict of arrays is sliced into rows,
        as `tf.data.Dataset.from_tensor_slices` would)."""
        from keraslite.compat.tf_data import Dataset

        if isinstance(dataset, dict):
            columns = {name: _as_numpy(value) for name, value in dataset.items()}
            lengths = {name: (len(v) if v.ndim else None) for name, v in columns.items()}
            if None in lengths.values() or len(set(lengths.values())) != 1:
                raise ValueError("FeatureSpace.adapt(): the arrays of a dict must all have the same (non-zero "
                                 f"rank) first dimension; received lengths {lengths}.")
            n = next(iter(lengths.values()))
            return [{name: v[i] for name, v in columns.items()} for i in range(n)]
        if isinstance(dataset, Dataset):
            elements = []
            for element in dataset:
                if not isinstance(element, dict):
                    raise ValueError("FeatureSpace.adapt() expects a dataset of dicts mapping feature names to "
                                     f"values; received an element of type {type(element).__name__}. Map the "
                                     "dataset to its features first, e.g. `ds.map(lambda x, y: x)`.")
                elements.append({name: _as_numpy(value) for name, value in element.items()})
            return elements
        raise ValueError("`adapt()` can only be called on a tf.data.Dataset or a dict of arrays/lists. "
                         f"Received instead: {dataset} (of type {type(dataset)})")

    def adapt(self, dataset):
        """Learn the state of every adaptable preprocessor (vocabularies, means and variances,
        bin boundaries) from `dataset`: a `tf.data.Dataset` of dicts, or a dict of arrays."""
        elements = self._elements(dataset)
        if not elements:
            raise ValueError("FeatureSpace.adapt() received an empty dataset.")
        for name in self._list_adaptable_preprocessors():
            if name not in elements[0]:
                raise ValueError(f"FeatureSpace.adapt(): feature '{name}' is missing from the data; its keys are "
                                 f"{sorted(elements[0])}.")
            values = [element[name] for element in elements]
            if values[0].ndim == 0:
                # Unbatched scalars: batches of 32 rows, as Keras adapts them.
                batches = [np.stack(values[i:i + 32]) for i in range(0, len(values), 32)]
            else:
                batches = values
            batches = [b.reshape(-1, 1) if b.ndim == 1 else b for b in batches]
            # An iterator, so that every layer reads it as a sequence of batches (a list could be
            # taken for one array of tokens).
            self.preprocessors[name].adapt(iter(batches))
        self._is_adapted = True
        self.get_encoded_features()
        self.built = True
        self._sublayers_built = True

    # -- symbolic graph ------------------------------------------------------------------------
    def get_inputs(self):
        """The dict of `keras.Input`s (shape (1,), the feature's dtype), one per feature."""
        self._check_if_built()
        return self.inputs

    def get_encoded_features(self):
        """The encoded features as symbolic tensors: one tensor ("concat") or a dict ("dict")."""
        self._check_if_adapted()
        if self.encoded_features is None:
            preprocessed = self._preprocess_features(self.inputs)
            crossed = self._cross_features(preprocessed)
            self.encoded_features = self._merge_features(preprocessed, crossed)
        return self.encoded_features

    def _check_if_adapted(self):
        if not self._is_adapted:
            if self._list_adaptable_preprocessors():
                raise ValueError("You need to call `.adapt(dataset)` on the FeatureSpace before you can start "
                                 "using it.")
            self._is_adapted = True

    def _check_if_built(self):
        if not self._sublayers_built:
            self._check_if_adapted()
            self.get_encoded_features()
            self._sublayers_built = True

    def _preprocess_features(self, features):
        return {name: self.preprocessors[name](features[name]) for name in self.features}

    def _cross_features(self, features):
        return {cross.name: self.crossers[cross.name]([features[name] for name in cross.feature_names])
                for cross in self.crosses}

    def _cardinality(self, name, preprocessor):
        layers = _layers()
        if isinstance(preprocessor, (layers.IntegerLookup, layers.StringLookup)):
            return preprocessor.vocabulary_size()
        if isinstance(preprocessor, layers.CategoryEncoding):
            return preprocessor.num_tokens
        if isinstance(preprocessor, layers.Discretization):
            # As in Keras: only `num_bins` sizes the encoding; a Discretization given explicit
            # `bin_boundaries` is left as bin indices.
            return preprocessor.num_bins
        if isinstance(preprocessor, (layers.HashedCrossing, layers.Hashing)):
            return preprocessor.num_bins
        raise ValueError(f"Feature '{name}' has `output_mode='one_hot'`. However it isn't a standard feature and the "
                         "dimensionality of its output space is not known, thus it cannot be one-hot encoded. "
                         "Try using `output_mode='int'`.")

    def _merge_features(self, preprocessed, crossed):
        names = self._preprocessed_features_names + self._crossed_features_names
        values = [preprocessed[n] for n in self._preprocessed_features_names] + \
                 [crossed[n] for n in self._crossed_features_names]
        if self._sublayers_built:
            encoded = []
            for name, value in zip(names, values):
                encoder = self.one_hot_encoders.get(name)
                encoded.append(encoder(value) if encoder is not None else value)
            if self.output_mode == "dict":
                return dict(zip(names, encoded))
            return self.concat(encoded)
        specs = [self.features[n] for n in self._preprocessed_features_names] + \
                [self.crosses_by_name[n] for n in self._crossed_features_names]
        encoded = []
        for name, value, spec in zip(names, values, specs):
            dtype = _dtype_name(value)
            if spec.output_mode == "one_hot":
                if not dtype.startswith(("int", "uint")):
                    raise ValueError(f"Feature '{name}' has `output_mode='one_hot'`. Thus its preprocessor should "
                                     f"return an integer dtype. Instead it returns a {dtype} dtype.")
                preprocessor = self.preprocessors.get(name) or self.crossers.get(name)
                cardinality = self._cardinality(name, preprocessor)
                if cardinality is not None:
                    encoder = _layers().CategoryEncoding(num_tokens=cardinality, output_mode="multi_hot")
                    self.one_hot_encoders[name] = encoder
                    value = encoder(value)
                    dtype = _dtype_name(value)
            if self.output_mode == "concat" and (dtype.startswith(("int", "uint")) or dtype == "string"):
                raise ValueError(f"Cannot concatenate features because feature '{name}' has not been encoded (it has "
                                 f"dtype {dtype}). Consider using `output_mode='dict'`.")
            encoded.append(value)
        if self.output_mode == "dict":
            return dict(zip(names, encoded))
        self.concat = TFDConcat(axis=-1)
        return self.concat(encoded)

    # -- eager use ---------------------------------------------------------------------------
    def __call__(self, data):
        """Encode a dict of arrays: a batch (values of shape (batch,) or (batch, 1)) or a single
        example (scalar values, giving unbatched outputs)."""
        self._check_if_built()
        if not isinstance(data, dict):
            raise ValueError(f"A FeatureSpace can only be called with a dict. Received: data={data} (of type "
                             f"{type(data)}")
        missing = [name for name in self.features if name not in data]
        unknown = [name for name in data if name not in self.features]
        if missing or unknown:
            raise ValueError(f"FeatureSpace '{self.name}' expects the features {list(self.features)}; the data "
                             f"{'lacks ' + str(missing) if missing else ''}"
                             f"{' and ' if missing and unknown else ''}"
                             f"{'has unknown ' + str(unknown) if unknown else ''}.")
        columns = {}
        rebatched = False
        for name in self.features:
            x = _to_array(data[name])
            if x.ndim == 0:
                x = x.reshape(1, 1)
                rebatched = True
            elif x.ndim == 1:
                x = x.reshape(-1, 1)
            self._check_column(name, x)
            columns[name] = x
        sizes = {name: x.shape[0] for name, x in columns.items()}
        if len(set(sizes.values())) > 1:
            raise ValueError(f"FeatureSpace '{self.name}': all features must have the same batch size; received "
                             f"{sizes}.")
        preprocessed = {}
        for name in self.features:
            try:
                preprocessed[name] = self.preprocessors[name](columns[name])
            except (TypeError, ValueError, RuntimeError, AttributeError) as e:
                raise ValueError(f"FeatureSpace '{self.name}': feature '{name}' could not be preprocessed by "
                                 f"{type(self.preprocessors[name]).__name__} '{self.preprocessors[name].name}' "
                                 f"(input of dtype {_dtype_name(columns[name])} and shape "
                                 f"{tuple(columns[name].shape)}): {e}") from e
        crossed = self._cross_features(preprocessed)
        merged = self._merge_features(preprocessed, crossed)
        if rebatched:
            if self.output_mode == "concat":
                merged = merged.squeeze(0)
            else:
                merged = {name: (x.squeeze(0) if x.ndim == 2 and x.shape[0] == 1 else x)
                          for name, x in merged.items()}
        return merged

    def _check_column(self, name, x):
        """String features take strings and the numeric kinds take numbers (a mismatch would
        otherwise fail deep inside a layer, or hash digits as text)."""
        wanted = self.features[name].dtype
        if wanted is None:
            return
        is_string = isinstance(x, np.ndarray) and (x.dtype.kind in "US" or (
            x.dtype.kind == "O" and x.size > 0 and isinstance(x.flat[0], (str, bytes))))
        if (wanted == "string") != is_string:
            kind = "string" if wanted == "string" else "numeric"
            raise ValueError(f"FeatureSpace '{self.name}': feature '{name}' expects {kind} values (dtype "
                             f"'{wanted}'); received an array of dtype {_dtype_name(x)} and shape {tuple(x.shape)}.")

    # -- config and saving ---------------------------------------------------------------------
    def get_config(self):
        return {
            "features": {name: _object_config(feature) for name, feature in self.features.items()},
            "output_mode": self.output_mode,
            "crosses": [_object_config(cross) for cross in self.crosses],
            "crossing_dim": self.crossing_dim,
            "hashing_dim": self.hashing_dim,
            "num_discretization_bins": self.num_discretization_bins,
        }

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        for key in ("trainable", "dtype"):
            config.pop(key, None)
        return cls(**config)

    def get_build_config(self):
        return {name: feature.preprocessor.get_build_config() for name, feature in self.features.items()}

    def build_from_config(self, config):
        # A reloaded FeatureSpace: its preprocessors get their state from the saved file, so it
        # counts as adapted.
        for name, build_config in (config or {}).items():
            if name not in self.features:
                raise ValueError(f"FeatureSpace '{self.name}': the build config names feature '{name}', which is "
                                 f"not one of {list(self.features)}.")
            preprocessor = self.features[name].preprocessor
            if not preprocessor.built and build_config:
                preprocessor.build_from_config(build_config)
        self._is_adapted = True

    def save(self, filepath):
        """Write this FeatureSpace (configuration and learned state) to a `.keras` file; reload it
        with `keras.models.load_model`."""
        from keraslite.saving import keras_format

        filepath = str(filepath)
        if not filepath.endswith(".keras"):
            raise ValueError(f"FeatureSpace.save() writes the `.keras` format; the file name should end in "
                             f"`.keras`. Received: filepath={filepath}")
        keras_format.save_model(self, filepath, include_optimizer=False)

    def compute_output_shape(self, input_shape):
        encoded = self.get_encoded_features()
        if self.output_mode == "dict":
            return {name: tuple(x.shape) for name, x in encoded.items()}
        return tuple(encoded.shape)
