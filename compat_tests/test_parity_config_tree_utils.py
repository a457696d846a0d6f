"""keras.config, keras.tree, keras.mixed_precision / dtype policies, clone_model and the
keras.utils / keras.backend helpers, against real Keras on the same inputs."""
import collections
import logging
import warnings

import numpy as np
import pytest
import torch

import keraslite
from keraslite import tree

keras = pytest.importorskip("keras")

Point = collections.namedtuple("Point", ["x", "y"])

STRUCTURES = [
    1, None, "text", [1, 2, 3], (1, [2, 3], {"b": 4, "a": 5}), {"z": [1, None], "a": (2, 3)},
    collections.OrderedDict([("z", 1), ("a", 2)]), [Point(1, 2), Point([3], {"k": 4})], [[], {}, ()],
    {"outer": {"inner": [1, (2, 3)]}, "list": [[4], 5]},
]


@pytest.mark.parametrize("structure", STRUCTURES, ids=range(len(STRUCTURES)))
def test_tree_walks_like_keras(structure):
    assert tree.is_nested(structure) == keras.tree.is_nested(structure)
    assert tree.flatten(structure) == keras.tree.flatten(structure)
    assert tree.flatten_with_path(structure) == keras.tree.flatten_with_path(structure)
    mapped = tree.map_structure(lambda v: ("leaf", v), structure)
    assert mapped == keras.tree.map_structure(lambda v: ("leaf", v), structure)
    assert type(tree.map_structure(lambda v: v, structure)) is type(keras.tree.map_structure(lambda v: v, structure))
    flat = list(range(len(keras.tree.flatten(structure))))
    assert tree.pack_sequence_as(structure, flat) == keras.tree.pack_sequence_as(structure, flat)
    assert tree.lists_to_tuples(structure) == keras.tree.lists_to_tuples(structure)
    for top_down in (True, False):
        seen_k, seen_l = [], []
        out_k = keras.tree.traverse(lambda s: seen_k.append(s), structure, top_down=top_down)
        out_l = tree.traverse(lambda s: seen_l.append(s), structure, top_down=top_down)
        assert seen_l == seen_k and out_l == out_k


def test_tree_map_several_structures_and_none_leaves():
    a, b = {"x": [1, 2], "y": None}, {"x": [10, 20], "y": None}
    assert tree.map_structure(lambda p, q: (p, q), a, b) == keras.tree.map_structure(lambda p, q: (p, q), a, b)
    assert tree.map_structure(lambda v: 0, a, none_is_leaf=False) == \
        keras.tree.map_structure(lambda v: 0, a, none_is_leaf=False)


def test_tree_mismatches_raise_like_keras():
    for a, b in [([1, 2], [1, 2, 3]), ({"a": 1}, {"b": 1}), ([1, [2]], [1, 2])]:
        with pytest.raises(ValueError):
            keras.tree.assert_same_structure(a, b)
        with pytest.raises(ValueError):
            tree.assert_same_structure(a, b)
        with pytest.raises(ValueError):
            tree.map_structure(lambda p, q: p, a, b)
    keras.tree.assert_same_structure([1, (2, 3)], [4, (5, 6)])
    tree.assert_same_structure([1, (2, 3)], [4, (5, 6)])
    with pytest.raises(ValueError):
        keras.tree.assert_same_paths({"a": 1}, {"b": 1})
    with pytest.raises(ValueError):
        tree.assert_same_paths({"a": 1}, {"b": 1})


def test_tree_up_to_shape_structure_and_map_to_none():
    shallow, deep = [1, {"a": 2}], [[1, 2], {"a": (3, 4)}]
    assert tree.map_structure_up_to(shallow, lambda v: str(v), deep) == \
        keras.tree.map_structure_up_to(shallow, lambda v: str(v), deep)
    shapes = {"a": (None, 3), "b": [(2, 4), (5,)]}
    assert tree.map_shape_structure(lambda s: ("shape", s), shapes) == \
        keras.tree.map_shape_structure(lambda s: ("shape", s), shapes)

    def drop_tuples(s):
        return keras.tree.MAP_TO_NONE if isinstance(s, tuple) else None

    def drop_tuples_lite(s):
        return tree.MAP_TO_NONE if isinstance(s, tuple) else None

    structure = [1, (2, 3), {"a": (4,)}]
    assert tree.traverse(drop_tuples_lite, structure) == keras.tree.traverse(drop_tuples, structure)


DTYPE_SETS = [("int32", "float32"), ("int64", "float16"), ("uint8", "int8"), ("float16", "bfloat16"),
              ("bool", "int8"), ("int32", float), ("float16", float), ("bool", int), ("int8", int), (float,),
              (int,), ("float64", "int64"), ("int16", "uint16"), ("float64",), ("int64", "int64"), ("bool",),
              (np.float32, "int32"), ("bool", float)]


@pytest.mark.parametrize("dtypes", DTYPE_SETS, ids=[str(d) for d in DTYPE_SETS])
def test_result_type_matches_keras(dtypes):
    assert keraslite.backend.result_type(*dtypes) == keras.backend.result_type(*dtypes)


@pytest.mark.parametrize("dtype", ["float16", "bfloat16", "float32", "float64", "int8", "uint8", "int64", "bool"])
def test_dtype_predicates_and_standardize_dtype(dtype):
    assert keraslite.backend.is_float_dtype(dtype) == keras.backend.is_float_dtype(dtype)
    assert keraslite.backend.is_int_dtype(dtype) == keras.backend.is_int_dtype(dtype)
    assert keraslite.utils.standardize_dtype(dtype) == keras.utils.standardize_dtype(dtype)


@pytest.mark.parametrize("value", [float, int, bool, "int", np.float32, np.dtype("int64"), torch.float16, None])
def test_utils_standardize_dtype_spellings(value):
    assert keraslite.utils.standardize_dtype(value) == keras.utils.standardize_dtype(value)


@pytest.mark.parametrize("data", [np.ones(2), (np.ones(2),), (np.ones(2), np.zeros(2)),
                                  [np.ones(2), np.zeros(2), np.ones(2)], {"a": np.ones(2)}])
def test_pack_unpack_x_y_sample_weight(data):
    k = keras.utils.unpack_x_y_sample_weight(data)
    lite = keraslite.utils.unpack_x_y_sample_weight(data)
    assert [type(v) for v in lite] == [type(v) for v in k]
    assert type(keraslite.utils.pack_x_y_sample_weight(*lite)) is type(keras.utils.pack_x_y_sample_weight(*k))


def _functional(lib):
    a, b = lib.Input((3,), name="a"), lib.Input((2,), name="b")
    shared = lib.layers.Dense(4, name="shared")
    h = lib.layers.Concatenate(name="cat")([shared(lib.layers.Dense(3, name="pa")(a)), lib.layers.Dense(4, name="pb")(b)])
    out = lib.layers.Dense(1, name="out")(shared(lib.layers.Dense(3, name="pc")(h)))
    return lib.Model([a, b], out, name="two_inputs"), out


def test_get_source_inputs_and_is_keras_tensor():
    _, k_out = _functional(keras)
    _, l_out = _functional(keraslite)
    assert [t.name for t in keraslite.utils.get_source_inputs(l_out)] == \
        [t.name for t in keras.utils.get_source_inputs(k_out)]
    assert keraslite.utils.is_keras_tensor(l_out) and not keraslite.utils.is_keras_tensor(np.ones(2))


def _seq(lib):
    return lib.Sequential([lib.Input((4,), name="x"), lib.layers.Dense(3, activation="relu", name="d1"),
                           lib.layers.Dropout(0.1, name="drop"), lib.layers.Dense(2, name="d2")], name="seq")


@pytest.mark.parametrize("build", [_seq, lambda lib: _functional(lib)[0]], ids=["sequential", "functional"])
def test_clone_model_matches_keras(build):
    k_model, l_model = build(keras), build(keraslite)
    k_clone, l_clone = keras.models.clone_model(k_model), keraslite.models.clone_model(l_model)
    assert type(l_clone).__name__ == type(l_model).__name__
    assert l_clone.name == k_clone.name
    assert [layer.name for layer in l_clone.layers] == [layer.name for layer in k_clone.layers]
    assert [tuple(w.shape) for w in l_clone.get_weights()] == [tuple(w.shape) for w in k_clone.get_weights()]
    # New weights, not shared with the original
    assert all(a is not b for a, b in zip(l_clone.weights, l_model.weights))
    l_model.set_weights(k_model.get_weights())
    l_clone.set_weights(k_model.get_weights())
    inputs = [np.random.rand(5, s[-1]).astype("float32") for s in
              (k_model.input_shape if isinstance(k_model.input_shape, list) else [k_model.input_shape])]
    x = inputs if len(inputs) > 1 else inputs[0]
    np.testing.assert_allclose(l_clone.predict(x, verbose=0), k_model.predict(x, verbose=0), rtol=1e-5, atol=1e-6)


def test_clone_model_clone_function_and_shared_layers():
    def rename(lib):
        return lambda layer: layer.__class__.from_config({**layer.get_config(), "name": layer.name + "_copy"})

    k_model, _ = _functional(keras)
    l_model, _ = _functional(keraslite)
    k_clone = keras.models.clone_model(k_model, clone_function=rename(keras))
    l_clone = keraslite.models.clone_model(l_model, clone_function=rename(keraslite))
    assert [layer.name for layer in l_clone.layers] == [layer.name for layer in k_clone.layers]
    assert len(l_clone.trainable_weights) == len(k_clone.trainable_weights)  # the shared Dense stays shared


def test_clone_model_with_a_python_lambda_calls_the_same_function():
    # The dueling-DQN target network: a Lambda(lambda ...) cloned in memory. Real Keras 3 refuses
    # (its config holds bytecode); tf.keras 2 cloned it, and a model in memory is not a file.
    def dueling(lib):
        inp = lib.Input((4,))
        h = lib.layers.Dense(3)(inp)
        v, a = lib.layers.Dense(1)(h), lib.layers.Dense(2)(h)
        q = lib.layers.Lambda(lambda t: t[0] + t[1] - lib.ops.mean(t[1], axis=1, keepdims=True),
                              output_shape=(2,))([v, a])
        return lib.Model(inp, q)

    k_model, l_model = dueling(keras), dueling(keraslite)
    with pytest.raises(ValueError):
        keras.models.clone_model(k_model)
    l_model.set_weights(k_model.get_weights())
    l_clone = keraslite.models.clone_model(l_model)
    assert l_clone.layers[-1].function is l_model.layers[-1].function
    l_clone.set_weights(k_model.get_weights())
    x = np.random.default_rng(1).random((3, 4)).astype("float32")
    np.testing.assert_allclose(l_clone.predict(x, verbose=0), k_model.predict(x, verbose=0), rtol=1e-5, atol=1e-6)


def test_make_step_functions_are_accepted_and_return_none():
    k_model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])
    l_model = keraslite.Sequential([keraslite.Input((4,)), keraslite.layers.Dense(2)])
    for model in (k_model, l_model):
        model.compile("adam", "mse")
    for name in ("make_train_function", "make_test_function", "make_predict_function"):
        assert getattr(l_model, name)() is None is getattr(k_model, name)()
    assert l_model._make_predict_function() is None  # Keras 2, before sharing a model across threads


@pytest.mark.parametrize("name", ["float32", "float64", "bfloat16", "mixed_float16", "mixed_bfloat16"])
def test_dtype_policy_objects(name):
    k, lite = keras.DTypePolicy(name), keraslite.DTypePolicy(name)
    assert (lite.name, lite.compute_dtype, lite.variable_dtype) == (k.name, k.compute_dtype, k.variable_dtype)


def test_global_dtype_policy_sets_new_layers_dtype():
    try:
        keras.config.set_dtype_policy("float64")
        keraslite.config.set_dtype_policy("float64")
        k, lite = keras.layers.Dense(2), keraslite.layers.Dense(2)
        k.build((None, 3))
        lite.build((None, 3))
        assert str(lite.kernel.dtype).replace("torch.", "") == k.kernel.dtype == "float64"
        assert keraslite.config.dtype_policy().name == keras.config.dtype_policy().name
        keras.mixed_precision.set_global_policy("mixed_float16")
        keraslite.mixed_precision.set_global_policy("mixed_float16")
        assert keraslite.mixed_precision.global_policy().name == keras.mixed_precision.global_policy().name
        lite = keraslite.layers.Dense(2)
        lite.build((None, 3))
        assert lite.kernel.dtype == torch.float32  # a mixed policy keeps float32 variables, as Keras does
    finally:
        keras.config.set_dtype_policy("float32")
        keraslite.config.set_dtype_policy(None)


def _fit_with_caps(lib, epochs, steps):
    lib.config.set_max_epochs(epochs)
    lib.config.set_max_steps_per_epoch(steps)
    try:
        model = lib.Sequential([lib.Input((3,)), lib.layers.Dense(1)])
        model.compile("sgd", "mse")
        x, y = np.random.rand(64, 3).astype("float32"), np.random.rand(64, 1).astype("float32")
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            history = model.fit(x, y, batch_size=8, epochs=5, verbose=0, validation_split=0.25)
            predicted = model.predict(x, batch_size=8, verbose=0)
        messages = sorted({str(w.message) for w in caught if "Limiting" in str(w.message)})
        return len(history.history["loss"]), predicted.shape, messages
    finally:
        lib.config.set_max_epochs(None)
        lib.config.set_max_steps_per_epoch(None)


@pytest.mark.parametrize("epochs,steps", [(2, None), (None, 3), (3, 2)])
def test_max_epochs_and_steps_caps_match_keras(epochs, steps):
    assert _fit_with_caps(keraslite, epochs, steps) == _fit_with_caps(keras, epochs, steps)


def test_max_epochs_read_from_the_environment(monkeypatch):
    import importlib
    import subprocess
    import sys

    script = ("import keraslite; print(keraslite.config.max_epochs(), keraslite.config.max_steps_per_epoch())")
    env = {**__import__("os").environ, "KERAS_MAX_EPOCHS": "2", "KERAS_MAX_STEPS_PER_EPOCH": "7"}
    out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True,
                         cwd=importlib.import_module("keraslite").__path__[0] + "/..")
    assert out.stdout.split() == ["2", "7"], out.stderr


def test_disable_interactive_logging_silences_stdout_like_keras(capsys, caplog):
    def run(lib):
        model = lib.Sequential([lib.Input((3,)), lib.layers.Dense(1)])
        model.compile("sgd", "mse")
        model.fit(np.ones((8, 3)), np.ones((8, 1)), epochs=2, verbose=2)
        return capsys.readouterr().out

    try:
        keras.config.disable_interactive_logging()
        keraslite.config.disable_interactive_logging()
        assert not keraslite.config.is_interactive_logging_enabled()
        with caplog.at_level(logging.INFO, logger="keraslite"):
            lite_out = run(keraslite)
        assert lite_out == run(keras) == ""
        assert any("Epoch 2/2" in r.getMessage() for r in caplog.records)
    finally:
        keras.config.enable_interactive_logging()
        keraslite.config.enable_interactive_logging()
    assert "Epoch 2/2" in run(keraslite)


def test_enable_unsafe_deserialization_allows_lambda_files(tmp_path, monkeypatch):
    from keraslite.saving import serialization

    model = keras.Sequential([keras.Input((2,)), keras.layers.Lambda(lambda t: t * 2.0)])
    path = str(tmp_path / "lambda.keras")
    model.save(path)
    with pytest.raises(ValueError, match="safe_mode"):
        keraslite.saving.load_model(path)
    monkeypatch.setattr(serialization, "_UNSAFE_EVERYWHERE", False)
    keraslite.config.enable_unsafe_deserialization()
    loaded = keraslite.saving.load_model(path)
    np.testing.assert_allclose(loaded.predict(np.ones((1, 2), "float32"), verbose=0), [[2.0, 2.0]])
    keraslite.backend.clear_session()  # clears the setting with Keras's global state
    with pytest.raises(ValueError, match="safe_mode"):
        keraslite.saving.load_model(path)


def test_top_level_names_exist():
    for name in ["Loss", "Metric", "Initializer", "Optimizer", "Regularizer", "KerasTensor", "DTypePolicy",
                 "FloatDTypePolicy", "device", "version", "config", "tree", "mixed_precision", "dtype_policies"]:
        assert hasattr(keras, name) and hasattr(keraslite, name), name
    with keraslite.device("cpu"):
        model = keraslite.Sequential([keraslite.Input((2,)), keraslite.layers.Dense(1)])
        assert model.predict(np.ones((1, 2)), verbose=0).shape == (1, 1)


def _rows(subset):
    return [tuple(float(v.reshape(-1)[0]) for v in (item if isinstance(item, (tuple, list)) else (item,)))
            for item in subset]


@pytest.mark.parametrize("kwargs", [{"left_size": 0.8, "shuffle": True, "seed": 3}, {"right_size": 7, "shuffle": True,
                                                                                      "seed": 11},
                                    {"left_size": 12, "right_size": 0.4, "shuffle": True, "seed": 0}])
def test_split_dataset_matches_keras(kwargs):
    x = np.arange(40, dtype="float32").reshape(20, 2)
    y = np.arange(20, dtype="int64")
    for data in (x, (x, y)):
        k_left, k_right = keras.utils.split_dataset(data, **kwargs)
        l_left, l_right = keraslite.utils.split_dataset(data, **kwargs)
        assert (len(l_left), len(l_right)) == (len(k_left), len(k_right))
        assert _rows(l_left) == _rows(k_left) and _rows(l_right) == _rows(k_right)


def test_split_dataset_keeps_order_without_shuffle_and_checks_sizes():
    x = np.arange(10, dtype="float32")
    left, right = keraslite.utils.split_dataset(x, left_size=0.6)
    assert _rows(left) == [(float(i),) for i in range(6)] and _rows(right) == [(float(i),) for i in range(6, 10)]
    for bad in ({}, {"left_size": 1.5}, {"left_size": 0.7, "right_size": 0.6}, {"left_size": 10}):
        with pytest.raises(ValueError):
            keras.utils.split_dataset(x, **bad)
        with pytest.raises(ValueError):
            keraslite.utils.split_dataset(x, **bad)


def test_split_dataset_of_a_tf_data_dataset():
    from keraslite.compat import tf_data

    ds = tf_data.Dataset.from_tensor_slices((np.arange(10, dtype="float32"), np.arange(10)))
    left, right = keraslite.utils.split_dataset(ds, left_size=0.7)
    assert len(left) == 7 and len(right) == 3
    assert [float(a) for a, _ in right] == [7.0, 8.0, 9.0]


@pytest.mark.parametrize("dtype", [None, "float64", "mixed_float16", "policy:mixed_bfloat16", "global:mixed_float16"])
def test_layer_dtype_policy_matches_keras(dtype):
    # DLwP 13 and Keras 3 code read layer.dtype_policy.name / variable_dtype.
    def make(lib):
        if dtype and dtype.startswith("global:"):
            lib.mixed_precision.set_global_policy(dtype.split(":")[1])
            return lib.layers.Dense(2)
        arg = lib.mixed_precision.Policy(dtype.split(":")[1]) if dtype and dtype.startswith("policy:") else dtype
        return lib.layers.Dense(2, dtype=arg)

    try:
        k, lite = make(keras), make(keraslite)
    finally:
        keras.mixed_precision.set_global_policy("float32")
        keraslite.mixed_precision.set_global_policy(None)
    assert repr(lite.dtype_policy) == repr(k.dtype_policy)
    assert lite.dtype_policy.name == k.dtype_policy.name and lite.variable_dtype == k.variable_dtype


@pytest.mark.parametrize("value", ["float32", "float64", "int", float, int, bool, np.int16, torch.float16, torch.int64,
                                   np.dtype("uint8"), "bfloat16", None])
def test_backend_standardize_dtype_gives_keras_spelling(value):
    # Keras 3 code reads keras.backend.standardize_dtype(x.dtype) == "float32".
    assert keraslite.backend.standardize_dtype(value) == keras.backend.standardize_dtype(value)


def test_mixed_dtype_policy_survives_config_and_files(tmp_path):
    # get_config writes a mixed policy as Keras 3 does, and both libraries read it back.
    k, lite = keras.layers.Dense(2, dtype="mixed_float16"), keraslite.layers.Dense(2, dtype="mixed_float16")
    assert lite.get_config()["dtype"] == k.get_config()["dtype"]
    assert keraslite.layers.Dense.from_config(lite.get_config()).dtype_policy.name == "mixed_float16"
    assert keraslite.layers.Dense(2, dtype=k.get_config()["dtype"]).dtype_policy.name == "mixed_float16"
    assert keraslite.layers.Dense(2).get_config()["dtype"] == "float32"
    i = keraslite.Input((3,))
    keraslite.Model(i, lite(i)).save(tmp_path / "m.keras")
    assert keras.models.load_model(tmp_path / "m.keras").layers[1].dtype_policy.name == "mixed_float16"
    assert keraslite.saving.load_model(tmp_path / "m.keras").layers[1].dtype_policy.name == "mixed_float16"
