"""keras.utils.FeatureSpace against real Keras 3 (torch backend).

Without TensorFlow, real Keras can build a FeatureSpace's symbolic graph and run it inside a
functional model only for the numeric kinds ("float", "float_rescaled", "float_normalized" and
"float_discretized" with explicit `bin_boundaries`): its `adapt()` and eager `__call__` go
through tf.data / tf tensors, and IntegerLookup, StringLookup, Hashing and HashedCrossing refuse
to be built. So the numeric kinds are compared with Keras directly (encoded tensors, model
outputs, configs, error messages, saved files, training); the categorical, hashed and crossed
kinds are checked against Keras's documented behaviour with expectations computed here
independently (vocabulary order by count then value, OOV index 0, FarmHash bins from the
`Hashing` docstring).
"""
import collections
import json
import os

import numpy as np
import pytest
import torch

import keraslite
from keraslite.compat.tf_data import Dataset
from keraslite.utils.feature_space import FeatureSpace

from compat_tests.parity import to_numpy

keras = pytest.importorskip("keras")
KFS = keras.utils.FeatureSpace

ROWS = 7
NUMERIC = {
    "f": np.array([0.5, -1.0, 2.0, 3.5, 0.0, 1.25, -2.5]),
    "r": np.array([1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0]),
    "n": np.array([1.0, 3.0, 5.0, 7.0, 9.0, 11.0, 20.0]),
    "d": np.array([0.1, 0.4, 0.6, 0.9, 0.2, 0.5, 0.75]),
}


def _numeric_features(fs_class, discretized_mode):
    return {"f": "float", "r": fs_class.float_rescaled(scale=0.5, offset=-1.0),
            "n": "float_normalized",
            "d": fs_class.float_discretized(num_bins=None, bin_boundaries=[0.25, 0.5, 0.7],
                                            output_mode=discretized_mode)}


def _keras_space(output_mode, discretized_mode="int", features=None):
    """A real-Keras FeatureSpace adapted without tf.data: its only adaptable preprocessor (the
    Normalization) learns from the same column that keraslite's FeatureSpace.adapt sees."""
    fs = KFS(features=features or _numeric_features(KFS, discretized_mode), output_mode=output_mode)
    for name, layer in fs.preprocessors.items():
        if isinstance(layer, keras.layers.Normalization):
            layer.adapt(NUMERIC[name].reshape(-1, 1).astype("float32"))
    fs._is_adapted = True
    return fs


def _lite_space(output_mode, discretized_mode="int"):
    fs = FeatureSpace(features=_numeric_features(FeatureSpace, discretized_mode), output_mode=output_mode)
    fs.adapt(Dataset.from_tensor_slices(NUMERIC))
    return fs


def _columns(data):
    return {name: value.reshape(-1, 1).astype("float32") for name, value in data.items()}


def _keras_outputs(fs):
    model = keras.Model(fs.get_inputs(), fs.get_encoded_features())
    return to_numpy(model(_columns(NUMERIC)))


def test_numeric_kinds_dict_mode_match_keras():
    k_fs, l_fs = _keras_space("dict"), _lite_space("dict")
    k_enc, l_enc = k_fs.get_encoded_features(), l_fs.get_encoded_features()
    assert list(l_enc) == list(k_enc)  # sorted feature names
    for name in k_enc:
        assert tuple(l_enc[name].shape) == tuple(k_enc[name].shape), name
        assert l_enc[name].dtype == k_enc[name].dtype, name
    expected = _keras_outputs(k_fs)
    eager = l_fs(NUMERIC)
    through_model = keraslite.Model(l_fs.get_inputs(), l_enc).predict(_columns(NUMERIC), verbose=0)
    for name, value in expected.items():
        for got in (to_numpy(eager[name]), to_numpy(through_model[name])):
            assert got.shape == value.shape and got.dtype == value.dtype, name
            np.testing.assert_allclose(got, value, rtol=1e-6, atol=1e-6, err_msg=name)


def test_numeric_kinds_concat_mode_match_keras():
    features = lambda cls: {"f": "float", "r": cls.float_rescaled(scale=0.5, offset=-1.0), "n": "float_normalized"}
    k_fs = _keras_space("concat", features=features(KFS))
    l_fs = FeatureSpace(features=features(FeatureSpace), output_mode="concat")
    l_fs.adapt({name: NUMERIC[name] for name in ("f", "r", "n")})
    k_enc, l_enc = k_fs.get_encoded_features(), l_fs.get_encoded_features()
    assert tuple(l_enc.shape) == tuple(k_enc.shape) == (None, 3)
    assert l_enc.dtype == k_enc.dtype
    data = {name: NUMERIC[name] for name in ("f", "r", "n")}
    expected = to_numpy(keras.Model(k_fs.get_inputs(), k_enc)(_columns(data)))
    got = to_numpy(l_fs(data))
    assert got.dtype == expected.dtype
    np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-6)
    # One example (scalars) gives one unbatched vector: Keras squeezes the batch axis it added.
    single = to_numpy(l_fs({name: value[2] for name, value in data.items()}))
    assert single.shape == (3,)
    np.testing.assert_allclose(single, expected[2], rtol=1e-6, atol=1e-6)


def test_concat_of_unencoded_integer_feature_is_refused_like_keras():
    with pytest.raises(ValueError) as k_err:
        _keras_space("concat", discretized_mode="one_hot").get_encoded_features()
    with pytest.raises(ValueError) as l_err:
        _lite_space("concat", discretized_mode="one_hot")
    assert "Cannot concatenate features because feature 'd' has not been encoded" in str(k_err.value)
    assert str(l_err.value) == str(k_err.value)


def test_argument_errors_match_keras():
    cases = [
        dict(features={"a": "float"}, output_mode="list"),
        dict(features={"a": "float"}, crosses=[("a", "b")]),
        dict(features={"a": "float_exotic"}),
        dict(features={}),
    ]
    for kwargs in cases:
        with pytest.raises(ValueError) as k_err:
            KFS(**kwargs)
        with pytest.raises(ValueError) as l_err:
            FeatureSpace(**kwargs)
        assert str(l_err.value) == str(k_err.value), kwargs
    for args in [(("a", "b"), 8, "multi_hot")]:
        with pytest.raises(ValueError) as k_err:
            KFS.cross(*args)
        with pytest.raises(ValueError) as l_err:
            FeatureSpace.cross(*args)
        assert str(l_err.value) == str(k_err.value)


def test_using_before_adapt_is_refused_like_keras():
    with pytest.raises(ValueError) as k_err:
        KFS(features={"n": "float_normalized"}).get_encoded_features()
    with pytest.raises(ValueError) as l_err:
        FeatureSpace(features={"n": "float_normalized"}).get_encoded_features()
    assert str(l_err.value) == str(k_err.value)
    # Nothing to learn: usable at once, in both.
    k_shape = KFS(features={"f": "float", "r": "float_rescaled"}).get_encoded_features().shape
    assert tuple(FeatureSpace(features={"f": "float", "r": "float_rescaled"}).get_encoded_features().shape) == \
        tuple(k_shape)


def test_config_matches_keras_and_keras_config_rebuilds_in_keraslite():
    k_fs, l_fs = _keras_space("dict"), _lite_space("dict")
    k_cfg = json.loads(json.dumps(k_fs.get_config()))
    l_cfg = json.loads(json.dumps(l_fs.get_config()))
    assert sorted(l_cfg) == sorted(k_cfg)
    for key in ("output_mode", "crossing_dim", "hashing_dim", "num_discretization_bins", "crosses"):
        assert l_cfg[key] == k_cfg[key], key
    for name, k_entry in k_cfg["features"].items():
        l_entry = l_cfg["features"][name]
        assert (l_entry["class_name"], l_entry["registered_name"]) == (k_entry["class_name"],
                                                                       k_entry["registered_name"])
        k_feat, l_feat = k_entry["config"], l_entry["config"]
        assert (l_feat["dtype"], l_feat["output_mode"]) == (k_feat["dtype"], k_feat["output_mode"]), name
        assert l_feat["preprocessor"]["class_name"] == k_feat["preprocessor"]["class_name"], name
        assert l_feat["preprocessor"]["config"]["name"] == k_feat["preprocessor"]["config"]["name"], name
        for arg in ("scale", "offset", "bin_boundaries"):
            if arg in k_feat["preprocessor"]["config"]:
                assert l_feat["preprocessor"]["config"][arg] == k_feat["preprocessor"]["config"][arg], (name, arg)
    # Keras's config (Feature entries, TFDIdentity preprocessor) rebuilds a keraslite FeatureSpace.
    rebuilt = FeatureSpace.from_config(k_cfg)
    rebuilt.adapt(NUMERIC)
    expected = _keras_outputs(k_fs)
    got = rebuilt(NUMERIC)
    for name, value in expected.items():
        np.testing.assert_allclose(to_numpy(got[name]), value, rtol=1e-6, atol=1e-6, err_msg=name)


def test_keras_saved_model_from_encoded_features_loads_in_keraslite(tmp_path):
    features = lambda cls: {"f": "float", "r": cls.float_rescaled(scale=0.5, offset=-1.0), "n": "float_normalized"}
    k_fs = _keras_space("concat", features=features(KFS))
    k_model = keras.Model(k_fs.get_inputs(), keras.layers.Dense(2)(k_fs.get_encoded_features()))
    path = os.path.join(tmp_path, "fs_model.keras")
    k_model.save(path)
    data = _columns({name: NUMERIC[name] for name in ("f", "r", "n")})
    loaded = keraslite.saving.load_model(path)
    np.testing.assert_allclose(loaded.predict(data, verbose=0), to_numpy(k_model.predict(data, verbose=0)),
                               rtol=1e-6, atol=1e-6)


def test_model_on_encoded_features_trains_like_keras():
    features = lambda cls: {"f": "float", "r": cls.float_rescaled(scale=0.5, offset=-1.0), "n": "float_normalized"}
    k_fs = _keras_space("concat", features=features(KFS))
    l_fs = FeatureSpace(features=features(FeatureSpace), output_mode="concat")
    l_fs.adapt({name: NUMERIC[name] for name in ("f", "r", "n")})
    data = _columns({name: NUMERIC[name] for name in ("f", "r", "n")})
    y = np.array([0, 1, 1, 0, 1, 0, 1], "float32").reshape(-1, 1)

    def build(lib, fs):
        out = lib.layers.Dense(1, activation="sigmoid")(fs.get_encoded_features())
        model = lib.Model(fs.get_inputs(), out)
        model.compile(optimizer=lib.optimizers.SGD(0.1), loss="binary_crossentropy")
        return model

    k_model, l_model = build(keras, k_fs), build(keraslite, l_fs)
    l_model.set_weights(k_model.get_weights())
    k_hist = k_model.fit(data, y, epochs=4, batch_size=ROWS, shuffle=False, verbose=0)
    l_hist = l_model.fit(data, y, epochs=4, batch_size=ROWS, shuffle=False, verbose=0)
    np.testing.assert_allclose(l_hist.history["loss"], k_hist.history["loss"], rtol=1e-5)
    for got, want in zip(l_model.get_weights(), k_model.get_weights()):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


# ----------------------------------------------------------------------------- kinds Keras runs only on TF
INTS = np.array([3, 1, 3, 2, 3, 1, 7])
STRS = np.array(["b", "a", "b", "c", "zz", "a", "b"])


def _lookup_index(values, unseen=()):
    """Keras's vocabulary order, computed here: most frequent first, ties by value descending;
    index 0 is the OOV bucket."""
    counts = collections.Counter(values.tolist())
    vocab = sorted(counts, key=lambda v: (counts[v], v), reverse=True)
    return {v: i + 1 for i, v in enumerate(vocab)}, len(vocab) + 1


def _one_hot(indices, depth):
    out = np.zeros((len(indices), depth), "float32")
    out[np.arange(len(indices)), indices] = 1.0
    return out


def test_categorical_kinds_follow_keras_vocabulary_rules():
    fs = FeatureSpace(features={"i": "integer_categorical", "s": "string_categorical"}, output_mode="concat")
    fs.adapt(Dataset.from_tensor_slices({"i": INTS, "s": STRS}))
    i_map, i_depth = _lookup_index(INTS)
    s_map, s_depth = _lookup_index(np.array([s.encode() for s in STRS]))
    query = {"i": np.array([7, 3, 99]), "s": np.array(["zz", "nope", "a"])}
    i_idx = [i_map.get(v, 0) for v in query["i"].tolist()]
    s_idx = [s_map.get(v.encode(), 0) for v in query["s"].tolist()]
    expected = np.concatenate([_one_hot(i_idx, i_depth), _one_hot(s_idx, s_depth)], axis=1)  # sorted names
    out = fs(query)
    assert out.dtype == torch.float32
    np.testing.assert_array_equal(to_numpy(out), expected)
    enc = fs.get_encoded_features()
    assert tuple(enc.shape) == (None, i_depth + s_depth) and enc.dtype == "float32"
    assert fs.get_inputs()["i"].dtype == "int32" and fs.get_inputs()["s"].dtype == "string"

    ints = FeatureSpace(features={"i": FeatureSpace.integer_categorical(output_mode="int"),
                                  "s": FeatureSpace.string_categorical(output_mode="int", num_oov_indices=0)},
                        output_mode="dict")
    ints.adapt({"i": INTS, "s": STRS})
    got = ints({"i": query["i"], "s": np.array(["zz", "b", "a"])})
    np.testing.assert_array_equal(to_numpy(got["i"]), np.array(i_idx).reshape(-1, 1))
    no_oov = np.array([s_map[b"zz"], s_map[b"b"], s_map[b"a"]]).reshape(-1, 1) - 1  # num_oov_indices=0
    np.testing.assert_array_equal(to_numpy(got["s"]), no_oov)
    assert got["i"].dtype == torch.int64 and got["s"].dtype == torch.int64


def test_hashed_kinds_use_keras_farmhash_bins():
    # keras.layers.Hashing(num_bins=3) docstring: 'A'..'E' -> [1, 0, 1, 1, 2].
    fs = FeatureSpace(features={"sh": FeatureSpace.string_hashed(num_bins=3)}, output_mode="concat")
    out = fs({"sh": np.array(["A", "B", "C", "D", "E"])})
    np.testing.assert_array_equal(to_numpy(out), _one_hot([1, 0, 1, 1, 2], 3))
    # Keras hashes integers through their decimal strings (tf.as_string before the FarmHash).
    both = FeatureSpace(features={"ih": "integer_hashed", "sh": "string_hashed"}, hashing_dim=7, output_mode="dict")
    ints = np.array([0, 5, 101, -4, 123456789])
    got = both({"ih": ints, "sh": np.array([str(v) for v in ints])})
    np.testing.assert_array_equal(to_numpy(got["ih"]), to_numpy(got["sh"]))
    assert to_numpy(got["ih"]).shape == (5, 7)


def test_crosses_hash_the_preprocessed_features():
    fs = FeatureSpace(features={"i": "integer_categorical", "s": "string_categorical"},
                      crosses=[FeatureSpace.cross(("s", "i"), crossing_dim=8, output_mode="int"), ("i", "s")],
                      crossing_dim=5, output_mode="dict")
    fs.adapt({"i": INTS, "s": STRS})
    assert list(fs.get_encoded_features()) == ["i", "s", "i_X_s", "s_X_i"]
    i_map, _ = _lookup_index(INTS)
    s_map, _ = _lookup_index(np.array([s.encode() for s in STRS]))
    i_idx = np.array([i_map[v] for v in INTS.tolist()]).reshape(-1, 1)
    s_idx = np.array([s_map[v.encode()] for v in STRS.tolist()]).reshape(-1, 1)
    got = fs({"i": INTS, "s": STRS})
    crossed_si = to_numpy(keraslite.layers.HashedCrossing(num_bins=8)([s_idx, i_idx]))
    crossed_is = to_numpy(keraslite.layers.HashedCrossing(num_bins=5)([i_idx, s_idx]))
    np.testing.assert_array_equal(to_numpy(got["s_X_i"]), crossed_si)
    np.testing.assert_array_equal(to_numpy(got["i_X_s"]), _one_hot(crossed_is.ravel(), 5))
    assert fs.crossers["s_X_i"].num_bins == 8


def test_adapt_batched_and_unbatched_datasets_agree_and_model_trains():
    data = {"i": INTS, "s": STRS, "n": NUMERIC["n"], "d": NUMERIC["d"]}
    spaces = []
    for source in (data, Dataset.from_tensor_slices(data), Dataset.from_tensor_slices(data).batch(3)):
        fs = FeatureSpace(features={"i": "integer_categorical", "s": "string_categorical", "n": "float_normalized",
                                    "d": FeatureSpace.float_discretized(num_bins=3)},
                          crosses=[("i", "s")], crossing_dim=4)
        fs.adapt(source)
        spaces.append(fs)
    outs = [to_numpy(fs(data)) for fs in spaces]
    for other in outs[1:]:
        np.testing.assert_allclose(other, outs[0], rtol=1e-6)
    normalized = (NUMERIC["n"] - NUMERIC["n"].mean()) / NUMERIC["n"].std()
    offset = 3 + (len(set(INTS.tolist())) + 1)  # sorted names: the "d" then the "i" block come first
    np.testing.assert_allclose(outs[0][:, offset], normalized, rtol=1e-5)
    assert outs[0].shape == (ROWS, offset + 1 + len(set(STRS.tolist())) + 1 + 4)

    fs = spaces[1]
    labels = (INTS > 2).astype("float32")
    ds = Dataset.from_tensor_slices((data, labels)).batch(4).map(lambda x, y: (fs(x), y))
    encoded = fs.get_encoded_features()
    model = keraslite.Model(encoded, keraslite.layers.Dense(1, activation="sigmoid")(encoded))
    model.compile(optimizer=keraslite.optimizers.Adam(0.05), loss="binary_crossentropy")
    history = model.fit(ds, epochs=15, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]


def test_bad_calls_name_the_problem():
    fs = FeatureSpace(features={"a": "float", "b": "float"})
    with pytest.raises(ValueError, match="A FeatureSpace can only be called with a dict"):
        fs(np.zeros((2, 2)))
    with pytest.raises(ValueError, match=r"lacks \['b'\]"):
        fs({"a": np.zeros(2)})
    with pytest.raises(ValueError, match=r"same batch size"):
        fs({"a": np.zeros(2), "b": np.zeros(3)})
    with pytest.raises(ValueError, match="can only be called on a tf.data.Dataset or a dict"):
        FeatureSpace(features={"n": "float_normalized"}).adapt(np.zeros(3))
    with pytest.raises(ValueError, match="dataset of dicts"):
        FeatureSpace(features={"n": "float_normalized"}).adapt(Dataset.from_tensor_slices((np.zeros(3), np.zeros(3))))


def test_lookup_model_round_trips_through_keras_file(tmp_path):
    fs = FeatureSpace(features={"i": "integer_categorical", "s": "string_categorical", "n": "float_normalized"},
                      crosses=[("i", "s")], crossing_dim=4)
    fs.adapt({"i": INTS, "s": STRS, "n": NUMERIC["n"]})
    model = keraslite.Model(fs.get_inputs(), keraslite.layers.Dense(2)(fs.get_encoded_features()))
    path = os.path.join(tmp_path, "lookups.keras")
    model.save(path)
    data = {"i": INTS.reshape(-1, 1), "s": STRS.reshape(-1, 1), "n": NUMERIC["n"].reshape(-1, 1).astype("float32")}
    np.testing.assert_allclose(keraslite.saving.load_model(path).predict(data, verbose=0),
                               model.predict(data, verbose=0), rtol=1e-6)


# ----------------------------------------------------------------------------- FeatureSpace.save
def _numeric_pair():
    features = lambda cls: {"f": "float", "r": cls.float_rescaled(scale=0.5, offset=-1.0), "n": "float_normalized"}
    k_fs = _keras_space("concat", features=features(KFS))
    k_fs.get_encoded_features()
    l_fs = FeatureSpace(features=features(FeatureSpace), output_mode="concat")
    l_fs.adapt({name: NUMERIC[name] for name in ("f", "r", "n")})
    return k_fs, l_fs, {name: NUMERIC[name] for name in ("f", "r", "n")}


def test_feature_space_saved_by_keras_loads_in_keraslite(tmp_path):
    k_fs, _, data = _numeric_pair()
    path = os.path.join(tmp_path, "keras_space.keras")
    k_fs.save(path)
    loaded = keraslite.saving.load_model(path)
    assert isinstance(loaded, FeatureSpace)
    expected = to_numpy(keras.Model(k_fs.get_inputs(), k_fs.get_encoded_features())(_columns(data)))
    np.testing.assert_allclose(to_numpy(loaded(data)), expected, rtol=1e-6, atol=1e-6)


def test_feature_space_saved_by_keraslite_loads_in_keras(tmp_path):
    k_fs, l_fs, data = _numeric_pair()
    path = os.path.join(tmp_path, "lite_space.keras")
    l_fs.save(path)
    reloaded = keras.models.load_model(path)
    expected = to_numpy(keras.Model(reloaded.get_inputs(), reloaded.get_encoded_features())(_columns(data)))
    np.testing.assert_allclose(to_numpy(l_fs(data)), expected, rtol=1e-6, atol=1e-6)


def test_feature_space_with_lookups_and_crosses_round_trips(tmp_path):
    fs = FeatureSpace(features={"i": "integer_categorical", "s": "string_categorical", "n": "float_normalized",
                                "d": FeatureSpace.float_discretized(num_bins=3)},
                      crosses=[("i", "s")], crossing_dim=4, output_mode="dict")
    data = {"i": INTS, "s": STRS, "n": NUMERIC["n"], "d": NUMERIC["d"]}
    fs.adapt(data)
    path = os.path.join(tmp_path, "space.keras")
    fs.save(path)
    loaded = keraslite.saving.load_model(path)
    query = {"i": np.array([3, 99, 7]), "s": np.array(["zz", "b", "new"]), "n": np.array([2.0, 5.0, 30.0]),
             "d": np.array([0.0, 0.5, 1.0])}
    want, got = fs(query), loaded(query)
    assert list(got) == list(want)
    for name in want:
        np.testing.assert_allclose(to_numpy(got[name]), to_numpy(want[name]), rtol=1e-6, err_msg=name)
    with pytest.raises(ValueError, match=r"should end in `\.keras`"):
        fs.save(os.path.join(tmp_path, "space.h5"))


def test_custom_preprocessor_feature_and_mapping_a_dataset():
    # Keras's docstring example: a TextVectorization in "tf_idf" mode as a custom float feature.
    texts = ["1st string", "2nd string", "3rd string"]
    layer = keraslite.layers.TextVectorization(output_mode="tf_idf")
    fs = FeatureSpace(features={"text": FeatureSpace.feature(preprocessor=layer, dtype="string", output_mode="float")},
                      output_mode="concat")
    fs.adapt(Dataset.from_tensor_slices({"text": texts}))
    # idf = log(1 + documents / (1 + documents holding the token)); "string" is in all three.
    common, single = np.log(1 + 3 / 4), np.log(1 + 3 / 2)
    vocab = layer.get_vocabulary()
    assert vocab[:2] == ["[UNK]", "string"] and sorted(vocab[2:]) == ["1st", "2nd", "3rd"]
    expected = np.zeros((3, 5), "float32")
    for row, text in enumerate(texts):
        expected[row, 1] = common
        expected[row, vocab.index(text.split()[0])] = single
    np.testing.assert_allclose(to_numpy(fs({"text": texts})), expected, rtol=1e-6)
    # A FeatureSpace maps over a dataset of feature dicts, one unbatched vector per element.
    mapped = [to_numpy(v) for v in Dataset.from_tensor_slices({"text": texts}).map(fs)]
    np.testing.assert_allclose(np.stack(mapped), expected, rtol=1e-6)


def test_values_of_the_wrong_kind_name_the_feature():
    fs = FeatureSpace(features={"i": "integer_categorical", "s": "string_categorical", "n": "float_normalized"})
    fs.adapt({"i": INTS, "s": STRS, "n": NUMERIC["n"]})
    good = {"i": np.array([1, 2]), "s": np.array(["a", "b"]), "n": np.ones(2)}
    for name, bad in [("i", np.array(["x", "y"])), ("s", np.array([1, 2])), ("n", np.array(["a", "b"]))]:
        with pytest.raises(ValueError, match=rf"feature '{name}' expects (string|numeric) values .*shape \(2, 1\)"):
            fs({**good, name: bad})
    assert tuple(fs(good).shape) == (2, tuple(fs.get_encoded_features().shape)[1])


def test_one_hot_discretized_feature_matches_keras(tmp_path):
    """Keras cannot adapt a Discretization without TensorFlow, so it gets the boundaries keraslite
    learned; the one-hot encoding, the concatenation and a saved model then come from Keras."""
    features = lambda cls: {"d": cls.float_discretized(num_bins=4), "n": "float_normalized"}
    data = {"d": NUMERIC["d"], "n": NUMERIC["n"]}
    l_fs = FeatureSpace(features=features(FeatureSpace), output_mode="concat")
    l_fs.adapt(data)
    k_fs = KFS(features=features(KFS), output_mode="concat")
    k_fs.preprocessors["d"].bin_boundaries = list(l_fs.preprocessors["d"].bin_boundaries)
    k_fs.preprocessors["n"].adapt(data["n"].reshape(-1, 1).astype("float32"))
    k_fs._is_adapted = True
    k_enc, l_enc = k_fs.get_encoded_features(), l_fs.get_encoded_features()
    assert tuple(l_enc.shape) == tuple(k_enc.shape) == (None, 5) and l_enc.dtype == k_enc.dtype
    k_model = keras.Model(k_fs.get_inputs(), k_enc)
    expected = to_numpy(k_model(_columns(data)))
    np.testing.assert_allclose(to_numpy(l_fs(data)), expected, rtol=1e-6, atol=1e-6)
    path = os.path.join(tmp_path, "discretized.keras")
    k_model.save(path)
    loaded = keraslite.saving.load_model(path)
    np.testing.assert_allclose(loaded.predict(_columns(data), verbose=0), expected, rtol=1e-6, atol=1e-6)
