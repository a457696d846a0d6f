"""Functional models: graph building, execution, layer order, shared and nested models,
input forms, masks, training flag, config round trips and error messages."""
import json

import numpy as np
import pytest
import torch

import keraslite
from keraslite import layers
from keraslite.models.functional import Functional


def _x(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype("float32")


def two_input_model():
    a = keraslite.Input((4,), name="a")
    b = keraslite.Input((3,), name="b")
    da = layers.Dense(5, activation="relu", name="da")(a)
    db = layers.Dense(5, name="db")(b)
    merged = layers.concatenate([da, db], name="merged")
    out1 = layers.Dense(1, name="out1")(merged)
    out2 = layers.Dense(2, activation="softmax", name="out2")(db)
    return keraslite.Model([a, b], [out1, out2], name="two")


def test_output_equals_composition_of_layers():
    model = two_input_model()
    xa, xb = _x(2, 4), _x(2, 3, seed=1)
    out1, out2 = model([xa, xb])
    da, db, merged, d1, d2 = (model.get_layer(n) for n in ("da", "db", "merged", "out1", "out2"))
    ta, tb = torch.as_tensor(xa), torch.as_tensor(xb)
    expected1 = d1(merged([da(ta), db(tb)]))
    expected2 = d2(db(tb))
    torch.testing.assert_close(out1, expected1)
    torch.testing.assert_close(out2, expected2)


def test_layers_order_shapes_and_names():
    model = two_input_model()
    # Keras's order: by depth from the outputs (deepest first), ties in discovery order.
    assert [l.name for l in model.layers] == ["a", "b", "da", "db", "merged", "out1", "out2"]
    assert isinstance(model.layers[0], keraslite.InputLayer)
    assert model.input_names == ["a", "b"]
    assert model.output_names == ["out1", "out2"]
    assert model.input_shape == [(None, 4), (None, 3)]
    assert model.output_shape == [(None, 1), (None, 2)]
    assert [t.shape for t in model.inputs] == [(None, 4), (None, 3)]
    assert model.get_layer(index=2).name == "da"
    assert isinstance(model, Functional)
    # Every weight of every layer is the model's, once.
    assert len(model.weights) == 8
    assert model.count_params() == sum(l.count_params() for l in model.layers)
    assert len(list(model.parameters())) == 8


def test_get_layer_errors_name_the_choices():
    model = two_input_model()
    with pytest.raises(ValueError, match="No such layer: nope.*da"):
        model.get_layer("nope")
    with pytest.raises(ValueError, match="out of range"):
        model.get_layer(index=20)


def test_single_input_accepts_numpy_tensor_and_list_of_one():
    inp = keraslite.Input((3,))
    model = keraslite.Model(inp, layers.Dense(2)(inp))
    x = _x(4, 3)
    a = model(x)
    b = model(torch.as_tensor(x))
    c = model([x])
    torch.testing.assert_close(a, b)
    torch.testing.assert_close(a, c)
    assert a.dtype == torch.float32


def test_dict_inputs_and_dict_outputs():
    a = keraslite.Input((2,), name="left")
    b = keraslite.Input((2,), name="right")
    s = layers.Add()([a, b])
    model = keraslite.Model({"left": a, "right": b}, {"sum": s, "scaled": layers.Dense(1)(s)})
    out = model({"right": np.ones((1, 2), "float32"), "left": np.full((1, 2), 2.0, "float32")})
    assert set(out) == {"sum", "scaled"}
    np.testing.assert_allclose(out["sum"].numpy(), [[3.0, 3.0]])
    # A list model also takes a dict keyed by input names.
    model2 = two_input_model()
    xa, xb = _x(1, 4), _x(1, 3)
    torch.testing.assert_close(model2({"a": xa, "b": xb})[0], model2([xa, xb])[0])


def test_shared_layer_has_one_node_per_call():
    shared = layers.Dense(3, name="shared")
    a, b = keraslite.Input((4,)), keraslite.Input((4,))
    out = layers.Subtract()([shared(a), shared(b)])
    model = keraslite.Model([a, b], out)
    assert len(shared._inbound_nodes) == 2
    assert shared._inbound_nodes[1].index == 1
    assert sum(1 for l in model.layers if l is shared) == 1
    x = _x(2, 4)
    np.testing.assert_allclose(model([x, x]).detach().numpy(), np.zeros((2, 3)), atol=1e-6)


def test_nested_model_and_sequential_inside_functional():
    inner_in = keraslite.Input((4,))
    inner = keraslite.Model(inner_in, layers.Dense(3, activation="tanh")(inner_in), name="inner")
    seq = keraslite.Sequential([layers.Dense(2)], name="seq")
    x_in = keraslite.Input((4,))
    model = keraslite.Model(x_in, seq(inner(x_in)), name="outer")
    assert [l.name for l in model.layers][1:] == ["inner", "seq"]
    x = _x(3, 4)
    expected = seq(inner(torch.as_tensor(x)))
    torch.testing.assert_close(model(x), expected)
    assert len(model.weights) == 4


def test_functional_inside_sequential():
    i = keraslite.Input((4,))
    block = keraslite.Model(i, layers.Dense(3)(i))
    seq = keraslite.Sequential([keraslite.Input((4,)), block, layers.Dense(1)])
    assert seq(_x(2, 4)).shape == (2, 1)
    assert seq.inputs[0].shape == (None, 4)
    assert seq.outputs[0].shape == (None, 1)


def test_subclass_calling_functional_init():
    class Net(keraslite.Model):
        def __init__(self, units):
            inputs = keraslite.Input((5,))
            outputs = layers.Dense(units)(inputs)
            super().__init__(inputs=inputs, outputs=outputs, name="net")
            self.units = units

    net = Net(3)
    assert net.units == 3 and net.name == "net"
    assert net(_x(2, 5)).shape == (2, 3)
    assert [type(l).__name__ for l in net.layers] == ["InputLayer", "Dense"]


def test_training_flag_reaches_layers():
    inp = keraslite.Input((50,))
    model = keraslite.Model(inp, layers.Dropout(0.5)(inp))
    x = np.ones((4, 50), "float32")
    np.testing.assert_array_equal(model(x).numpy(), x)
    dropped = model(x, training=True).numpy()
    assert (dropped == 0).any() and np.allclose(dropped[dropped != 0], 2.0)


def test_mask_propagates_through_the_graph():
    inp = keraslite.Input((None,), dtype="int32")
    emb = layers.Embedding(10, 3, mask_zero=True)(inp)
    model = keraslite.Model(inp, emb)
    out = model(np.array([[1, 2, 0, 0]], dtype="int32"))
    assert out._keras_mask.tolist() == [[True, True, False, False]]


def test_symbolic_arithmetic_builds_layers():
    inp = keraslite.Input((3,))
    y = (inp * 2.0 + 1.0)[:, :2]
    y = keraslite.ops.sum(y, axis=-1, keepdims=True)
    model = keraslite.Model(inp, y)
    x = _x(2, 3)
    np.testing.assert_allclose(model(x).numpy(), (x * 2 + 1)[:, :2].sum(-1, keepdims=True), rtol=1e-6)
    assert model.output_shape == (None, 1)


def test_unknown_dims_are_inferred():
    inp = keraslite.Input((None, 4))
    out = layers.Dense(2)(inp)
    assert out.shape == (None, None, 2)
    model = keraslite.Model(inp, out)
    assert model(_x(1, 7, 4)).shape == (1, 7, 2)


def test_input_rank_adjusted_like_keras():
    inp = keraslite.Input((1,))
    model = keraslite.Model(inp, layers.Dense(2)(inp))
    assert model(np.arange(3, dtype="float32")).shape == (3, 2)


def test_config_round_trip_same_function():
    model = two_input_model()
    config = json.loads(json.dumps(model.get_config()))
    assert config["input_layers"] == [["a", 0, 0], ["b", 0, 0]]
    assert config["output_layers"] == [["out1", 0, 0], ["out2", 0, 0]]
    merged = [l for l in config["layers"] if l["name"] == "merged"][0]
    history = [t["config"]["keras_history"] for t in merged["inbound_nodes"][0]["args"][0]]
    assert history == [["da", 0, 0], ["db", 0, 0]]
    keraslite.backend.clear_session()
    clone = keraslite.Model.from_config(config)
    clone.set_weights(model.get_weights())
    xa, xb = _x(2, 4), _x(2, 3, seed=1)
    for a, b in zip(model([xa, xb]), clone([xa, xb])):
        torch.testing.assert_close(a, b)


def test_config_of_shared_and_nested_round_trips():
    shared = layers.Dense(3, name="shared")
    i = keraslite.Input((4,), name="i")
    inner = keraslite.Model(i, shared(i), name="inner")
    a, b = keraslite.Input((4,), name="x1"), keraslite.Input((4,), name="x2")
    model = keraslite.Model([a, b], layers.Add(name="add")([inner(a), inner(b)]), name="outer")
    config = json.loads(json.dumps(model.get_config()))
    add = [l for l in config["layers"] if l["name"] == "add"][0]
    assert [t["config"]["keras_history"] for t in add["inbound_nodes"][0]["args"][0]] == [["inner", 0, 0],
                                                                                           ["inner", 1, 0]]
    assert config["output_layers"] == ["add", 0, 0]
    clone = keraslite.Model.from_config(config)
    clone.set_weights(model.get_weights())
    xa, xb = _x(2, 4), _x(2, 4, seed=3)
    torch.testing.assert_close(clone([xa, xb]), model([xa, xb]))


def test_keras2_list_form_nodes_are_read():
    config = {
        "name": "model", "layers": [
            {"class_name": "InputLayer", "name": "input_1",
             "config": {"batch_input_shape": [None, 3], "dtype": "float32", "sparse": False, "name": "input_1"},
             "inbound_nodes": []},
            {"class_name": "Dense", "name": "dense", "config": {"name": "dense", "units": 2, "activation": "relu"},
             "inbound_nodes": [[["input_1", 0, 0, {}]]]},
            {"class_name": "Dense", "name": "dense_1", "config": {"name": "dense_1", "units": 1},
             "inbound_nodes": [[["dense", 0, 0, {}]]]},
        ],
        "input_layers": [["input_1", 0, 0]], "output_layers": [["dense_1", 0, 0]]}
    model = keraslite.Model.from_config(config)
    assert [l.name for l in model.layers] == ["input_1", "dense", "dense_1"]
    x = _x(2, 3)
    d, d1 = model.get_layer("dense"), model.get_layer("dense_1")
    torch.testing.assert_close(model(x), d1(d(torch.as_tensor(x))))


# ----------------------------------------------------------------------------- errors

def test_disconnected_graph_names_missing_input_and_layer():
    a, b = keraslite.Input((2,), name="first"), keraslite.Input((2,), name="forgotten")
    out = layers.Add(name="adder")([a, b])
    with pytest.raises(ValueError, match="forgotten.*adder"):
        keraslite.Model(a, out)


def test_wrong_number_of_inputs_says_expected_and_received():
    model = two_input_model()
    with pytest.raises(ValueError, match=r"expects 2 input\(s\).*\(None, 4\).*received 3"):
        model([_x(1, 4), _x(1, 3), _x(1, 3)])
    with pytest.raises(ValueError, match="expects 2 inputs.*single"):
        model(_x(1, 4))


def test_missing_dict_key_is_named():
    model = two_input_model()
    with pytest.raises(ValueError, match=r"missing \['b'\]"):
        model({"a": _x(1, 4)})


def test_non_symbolic_outputs_are_rejected():
    inp = keraslite.Input((2,))
    with pytest.raises(ValueError, match="symbolic tensors"):
        keraslite.Model(inp, np.zeros(2))


def test_duplicate_layer_names_are_rejected():
    inp = keraslite.Input((2,))
    out = layers.Dense(2, name="same")(layers.Dense(2, name="same")(inp))
    with pytest.raises(ValueError, match='"same" is used 2 times'):
        keraslite.Model(inp, out)


def test_layer_failure_on_symbolic_input_names_the_layer():
    inp = keraslite.Input((3,))
    with pytest.raises(ValueError, match="reshape_bad.*\\(None, 3\\)"):
        layers.Reshape((2, 2), name="reshape_bad")(inp)


def test_keras1_input_output_keywords():
    inp = keraslite.Input((3,))
    model = keraslite.Model(input=inp, output=layers.Dense(2)(inp))
    assert isinstance(model, Functional)
    assert model(_x(1, 3)).shape == (1, 2)


def test_feature_extraction_from_layer_outputs():
    """Keras guide: a model whose outputs are every layer's output."""
    inp = keraslite.Input((4,), name="inp")
    x = layers.Dense(3, name="h1")(inp)
    out = layers.Dense(2, name="h2")(x)
    model = keraslite.Model(inp, out)
    assert model.get_layer("h1").output is x
    assert model.get_layer("h2").input is x
    assert model.get_layer("inp").output is inp
    features = keraslite.Model(inputs=model.input, outputs=[l.output for l in model.layers])
    values = features(_x(2, 4))
    assert [tuple(v.shape) for v in values] == [(2, 4), (2, 3), (2, 2)]
    torch.testing.assert_close(values[2], model(_x(2, 4)))


def test_output_of_an_uncalled_layer_is_an_attribute_error():
    layer = layers.Dense(2, name="lonely")
    assert not hasattr(layer, "output")  # AttributeError, so hasattr() works as in Keras
    layer(keraslite.Input((2,)))
    assert layer.output.shape == (None, 2)
    with pytest.raises(ValueError, match="node 3 does not exist"):
        layer.get_output_at(3)


def test_reflected_operators_and_slicing_serialize():
    inp = keraslite.Input((4,))
    y = 1.0 - inp[:, 1:3]
    y = 2.0 / (y * y + 1.0)
    model = keraslite.Model(inp, y[..., :1])
    x = _x(3, 4)
    expected = (2.0 / ((1.0 - x[:, 1:3]) ** 2 + 1.0))[..., :1]
    np.testing.assert_allclose(model(x).numpy(), expected, rtol=1e-6)
    config = json.loads(json.dumps(model.get_config()))
    clone = keraslite.Model.from_config(config)
    np.testing.assert_allclose(clone(x).numpy(), expected, rtol=1e-6)


def test_ops_on_symbolic_tensors_are_written_as_keras_operations():
    # Keras 3 writes each such node as its operation class (module, config = the constructor's
    # arguments, inbound node args = the operands), so that Keras reads keraslite's files.
    ops = keraslite.ops
    inp = keraslite.Input((4,))
    y = ops.expand_dims(ops.mean(inp[:, 1:], axis=-1, keepdims=True), 1)
    y = ops.pad(ops.reshape(y * 2.0, (-1, 1)), [[0, 0], [1, 0]], constant_values=3.0)
    model = keraslite.Model(inp, ops.matmul(y, ops.transpose(y)))
    layers_config = [l for l in model.get_config()["layers"] if l["class_name"] != "InputLayer"]
    assert [(l["module"], l["class_name"]) for l in layers_config] == [
        ("keras.src.ops.numpy", name) for name in
        ("GetItem", "Mean", "ExpandDims", "Multiply", "Reshape", "Pad", "Transpose", "Matmul")]
    by_class = {l["class_name"]: l for l in layers_config}
    assert by_class["Mean"]["config"] == {"name": "mean", "axis": -1, "keepdims": True}
    assert by_class["Reshape"]["config"] == {"name": "reshape", "newshape": (-1, 1)}
    assert by_class["Pad"]["config"] == {"name": "pad", "pad_width": [[0, 0], [1, 0]], "mode": "constant"}
    assert by_class["Pad"]["inbound_nodes"][0]["args"][1] == 3.0
    assert by_class["GetItem"]["inbound_nodes"][0]["args"][1] == [
        {"class_name": "__slice__", "config": {"start": None, "stop": None, "step": None}},
        {"class_name": "__slice__", "config": {"start": 1, "stop": None, "step": None}}]
    x = _x(3, 4)
    clone = keraslite.Model.from_config(json.loads(json.dumps(model.get_config())))
    np.testing.assert_allclose(clone(x).numpy(), model(x).numpy(), rtol=1e-6)


def test_ops_keras_cannot_express_stay_keraslite_nodes():
    # A clip with tensor bounds has no Keras operation form (Keras's Clip takes the bounds as
    # its config): the node is keraslite's own, and the model still round-trips in keraslite.
    inp = keraslite.Input((4,))
    lo = keraslite.Input((4,))
    model = keraslite.Model([inp, lo], keraslite.ops.clip(inp, lo, 0.5))
    classes = [l["class_name"] for l in model.get_config()["layers"]]
    assert classes == ["InputLayer", "InputLayer", "SymbolicOp"]
    x, bound = _x(3, 4), _x(3, 4, seed=1) - 1.0
    clone = keraslite.Model.from_config(json.loads(json.dumps(model.get_config())))
    np.testing.assert_allclose(clone([x, bound]).numpy(), np.clip(x, bound, 0.5), rtol=1e-6)


def test_sequential_layers_have_symbolic_input_and_output_before_model_input():
    """Keras 1 FAQ: K.function / Model on model.layers[i].input and .output of a Sequential whose
    first layer only declares input_dim; reading them in any order gives one connected graph."""
    model = keraslite.Sequential()
    model.add(layers.Dense(3, input_dim=4, name="first"))
    first_in = model.layers[0].input  # nothing has read model.input yet
    assert first_in.shape == (None, 4)
    model.add(layers.Dense(2, name="second"))
    assert model.layers[1].output.shape == (None, 2)
    assert model.layers[0].input is first_in and model.input is first_in
    head = keraslite.Model(inputs=model.layers[0].input, outputs=model.layers[1].output)
    x = _x(3, 4)
    torch.testing.assert_close(head(x), model(x))


def test_sequential_layer_graph_after_pickle_and_deepcopy():
    import copy
    import pickle

    model = keraslite.Sequential()
    model.add(layers.Dense(3, input_dim=4))
    model.add(layers.Dense(2))
    for clone in (pickle.loads(pickle.dumps(model)), copy.deepcopy(model)):
        assert clone.layers[0].input is clone.input
        assert clone.layers[1].output.shape == (None, 2)
    lone = copy.deepcopy(model.layers[1])  # a copied layer belongs to no model
    assert not hasattr(lone, "output")


def test_default_names_after_sequential_models_follow_keras():
    # Keras runs a built Sequential as a Functional model (one "functional" name per build) and
    # gives a Sequential built without keraslite.Input an implicit InputLayer (one "input_layer").
    keraslite.backend.clear_session()
    keraslite.Sequential([keraslite.Input((4,)), layers.Dense(2)])
    aug = keraslite.Sequential([layers.Dense(2)], name="aug")
    inp = keraslite.Input((4,))
    model = keraslite.Model(inp, aug(inp))
    assert inp.name == "input_layer_1" and aug.inputs[0].name == "input_layer_2"
    assert model.name == "functional_2"
    legacy = keraslite.Sequential([layers.Dense(2, input_shape=(3,)), layers.Dense(1)])
    assert legacy.inputs[0].name == "input_layer_3"
    assert keraslite.Model(inp, layers.Dense(1)(inp)).name == "functional_4"


def test_nested_model_with_unknown_image_sizes_is_called_on_symbolic_inputs():
    # A backbone on (None, None, 3) images whose strided convolutions need more than the few
    # pixels a first shape trace uses, called inside another functional model.
    backbone_in = keraslite.Input((None, None, 3))
    x = layers.Conv2D(4, 3, strides=2, activation="relu")(backbone_in)
    x = layers.Conv2D(6, 3, strides=2, activation="relu")(x)
    backbone = keraslite.Model(backbone_in, layers.GlobalAveragePooling2D()(x))
    images = keraslite.Input((None, None, 3))
    model = keraslite.Model(images, layers.Dense(2)(backbone(images)))
    assert model.output_shape == (None, 2)
    fixed = keraslite.Input((16, 16, 3))
    assert backbone(fixed).shape == (None, 6)
    x = np.random.default_rng(0).standard_normal((3, 20, 18, 3)).astype("float32")
    assert model.predict(x, verbose=0).shape == (3, 2)
    with pytest.raises(ValueError, match=r"failed when called on symbolic inputs of shape \(None, 4, 4, 3\)"):
        backbone(keraslite.Input((4, 4, 3)))  # too small for the second convolution: the error names the shape


def test_sequence_layers_are_not_traced_at_long_lengths():
    # Shape inference traces an unknown length short; long traces are for outputs whose inner
    # dims came out the same in both short traces (pooling), not for a layer that keeps the
    # length, which may loop over every step in Python.
    lengths = []

    class Steps(keraslite.layers.Layer):
        def call(self, inputs):
            lengths.append(int(inputs.shape[1]))
            return inputs * 2.0

    out = Steps()(keraslite.Input(shape=(None, 3)))
    assert out.shape == (None, None, 3)
    assert lengths and max(lengths) < 100
    pooled = keraslite.layers.MaxPooling1D(5)(keraslite.layers.Conv1D(2, 5)(keraslite.Input(shape=(None, 3))))
    assert pooled.shape == (None, None, 2)


def test_outputs_of_one_nested_model_get_distinct_names_and_their_own_losses():
    # The Keras 2 ACGAN: a discriminator with two outputs, reused inside a combined model. Both
    # outputs are named after the nested model (as in Keras 3); each keeps its own per-output
    # loss, the second logged as '<model>_loss_1'. (Keras 3 reports the second output's loss twice.)
    inp = keraslite.Input((4,))
    h = layers.Dense(8, activation="relu")(inp)
    disc = keraslite.Model(inp, [layers.Dense(1, activation="sigmoid")(h), layers.Dense(3, activation="softmax")(h)])
    losses = ["binary_crossentropy", "sparse_categorical_crossentropy"]
    disc.compile("adam", loss=losses)
    z = keraslite.Input((4,))
    combined = keraslite.Model(z, disc(z))
    combined.compile("adam", loss=losses)
    assert combined.output_names == [disc.name, disc.name]
    x = _x(32, 4)
    y = [np.full((32, 1), 0.9, "float32"), np.random.default_rng(1).integers(0, 3, 32)]
    alone = disc.evaluate(x, y, verbose=0, return_dict=False)
    inside = combined.evaluate(x, y, verbose=0, return_dict=False)
    np.testing.assert_allclose(inside, alone, rtol=1e-6)
    assert abs(inside[1] - inside[2]) > 1e-3
    logs = combined.evaluate(x, y, verbose=0, return_dict=True)
    assert sorted(logs) == sorted(["loss", f"{disc.name}_loss", f"{disc.name}_loss_1"])


def test_activation_functions_take_keras_tensors(tmp_path):
    # Keras 3 code calls keras.activations.* directly on functional tensors
    from keraslite import activations

    inp = keraslite.Input((4,))
    h = layers.Dense(3)(inp)
    out = layers.Concatenate()([activations.sigmoid(h) * 5.0, activations.relu(h, max_value=0.5),
                                activations.exponential(h), activations.swish(h)])
    model = keraslite.Model(inp, out)
    x = _x(5, 4)
    raw = torch.as_tensor(x) @ torch.as_tensor(model.layers[1].get_weights()[0]) + \
        torch.as_tensor(model.layers[1].get_weights()[1])
    expected = torch.cat([torch.sigmoid(raw) * 5, raw.clamp(0, 0.5), raw.exp(), raw * torch.sigmoid(raw)], -1)
    np.testing.assert_allclose(model.predict(x, verbose=0), expected.numpy(), rtol=1e-5, atol=1e-6)
    assert activations.get("swish") is activations.silu and activations.relu(torch.tensor([-1.0])).item() == 0.0
    # the nodes that map onto keraslite.ops save and load
    saved = keraslite.Model(inp, activations.sigmoid(h) * 5.0 + activations.tanh(h))
    saved.save(tmp_path / "m.keras")
    loaded = keraslite.saving.load_model(tmp_path / "m.keras")
    np.testing.assert_allclose(loaded.predict(x, verbose=0), saved.predict(x, verbose=0), rtol=1e-6)


def test_eager_tensor_captured_while_building_is_a_constant():
    # `positions = Embedding(...)(ops.arange(n))` computed eagerly, then added to the inputs
    # (tf.keras tutorials): the value enters the graph as a constant, so every training step
    # runs, not only the first (before, the second backpropagated into a freed graph).
    import keraslite as kl

    inputs = kl.Input((3, 4))
    positions = kl.layers.Embedding(3, 4)(kl.ops.arange(0, 3))
    x = kl.layers.Concatenate()([inputs + positions, kl.ops.add(inputs, positions)])
    model = kl.Model(inputs, kl.layers.Dense(1)(kl.layers.Flatten()(x)))
    model.compile("adam", "mse")
    history = model.fit(np.ones((8, 3, 4)), np.ones((8, 1)), batch_size=4, epochs=2, verbose=0)
    assert len(history.history["loss"]) == 2
    assert model.predict(np.zeros((1, 3, 4)), verbose=0).shape == (1, 1)


def _reshape_and_sum(t):
    x = t[0].reshape(-1, 3, 3, 4)  # right for the data, wrong for any other spatial size
    return (x * t[1]).sum(dim=(1, 2, 3))


def test_lambda_with_output_shape_is_not_traced_when_tracing_fails():
    """yolo3's loss Lambda: its function only runs on the real sizes of an input of unknown
    spatial size, and `output_shape=` says what it returns."""
    a = keraslite.Input(shape=(None, None, 4))
    b = keraslite.Input(shape=(3, 3, 4))
    out = layers.Lambda(_reshape_and_sum, output_shape=(1,))([a, b])
    assert out.shape == (None, 1)
    model = keraslite.Model([a, b], out)
    np.testing.assert_allclose(model.predict([np.ones((2, 3, 3, 4)), np.ones((2, 3, 3, 4))], verbose=0), [36, 36])


def test_layer_stating_its_output_shape_is_not_traced_when_tracing_fails():
    class Flat(layers.Layer):
        def call(self, x):
            return x.reshape(-1, 36)

        def compute_output_shape(self, input_shape):
            return (input_shape[0], 36)

    out = Flat()(keraslite.Input(shape=(None, 4)))
    assert out.shape == (None, 36) and out.dtype == "float32"


def test_trace_failure_without_a_stated_shape_still_names_the_layer():
    a = keraslite.Input(shape=(None, None, 4))
    b = keraslite.Input(shape=(3, 3, 4))
    with pytest.raises(ValueError, match="'no_shape' \\(Lambda\\) failed when called on symbolic inputs"):
        layers.Lambda(_reshape_and_sum, name="no_shape")([a, b])


def test_symbolic_shape_has_tensorshape_methods():
    """tf.keras 2 programs read `y.shape.as_list()` from symbolic tensors (Atienza's autoencoders)."""
    y = layers.Conv2D(8, 3, strides=2, padding="same")(keraslite.Input(shape=(28, 28, 1)))
    assert y.shape.as_list() == [None, 14, 14, 8]
    assert y.shape.rank == y.shape.ndims == 4 and not y.shape.is_fully_defined()
    assert y.shape[1:].is_fully_defined() and y.shape[1:] == (14, 14, 8)
    assert y.shape == (None, 14, 14, 8) and isinstance(y.shape, tuple)
    assert str(y.shape) == repr(y.shape) == "(None, 14, 14, 8)"
    assert "shape=(None, 14, 14, 8)" in repr(y)


def _small_vgg():
    inp = keraslite.Input(shape=(32, 32, 3))
    x = layers.Conv2D(4, 3, padding="same", activation="relu", name="block1_conv1")(inp)
    x = layers.MaxPooling2D(name="block1_pool")(x)
    x = layers.Conv2D(6, 3, padding="same", activation="relu", name="block2_conv1")(x)
    x = layers.MaxPooling2D(name="block2_pool")(x)
    x = layers.Flatten(name="flatten")(x)
    return keraslite.Model(inp, layers.Dense(10, name="predictions")(x), name="vgg")


def test_assigning_outputs_rebuilds_the_model_for_them():
    """Keras 2's perceptual-loss idiom (Keras-GAN's srgan): `vgg.outputs = [vgg.layers[9].output]`
    makes the model return that tensor, here called on a smaller input than it was built for."""
    vgg = _small_vgg()
    conv = vgg.get_layer("block2_conv1")
    vgg.outputs = [conv.output]
    assert vgg.outputs == [conv.output] and vgg.output is conv.output
    assert vgg.output_shape == (None, 16, 16, 6)
    assert [l.name for l in vgg.layers][-1] == "block2_conv1" and "predictions" not in [l.name for l in vgg.layers]
    x = _x(2, 32, 32, 3)
    expected = conv(vgg.get_layer("block1_pool")(vgg.get_layer("block1_conv1")(torch.as_tensor(x))))
    torch.testing.assert_close(torch.as_tensor(vgg.predict(x, verbose=0)), expected)

    img = keraslite.Input(shape=(8, 8, 3))
    features = vgg(img)
    assert features.shape == (None, 4, 4, 6)
    model = keraslite.Model(img, features)
    assert model.predict(_x(1, 8, 8, 3), verbose=0).shape == (1, 4, 4, 6)
    assert len(model.weights) == 4 and all(any(w is v for v in vgg.weights) for w in model.weights)


def test_assigning_outputs_not_computed_from_the_inputs_is_refused():
    vgg = _small_vgg()
    stray = layers.Dense(2)(keraslite.Input(shape=(3,)))
    with pytest.raises(ValueError, match="Model 'vgg' cannot take these `outputs`.*Graph disconnected"):
        vgg.outputs = [stray]
    assert vgg.output_shape == (None, 10)  # unchanged


def test_input_layer_input_is_its_tensor_so_a_model_can_be_cut_at_an_input():
    # tf.keras OCR examples: Model(model.get_layer("image").input, model.get_layer("dense2").output).
    img = keraslite.Input((8,), name="image")
    label = keraslite.Input((None,), name="label")
    model = keraslite.Model([img, label], keraslite.layers.Dense(4, name="dense2")(img))
    assert model.get_layer("image").input is img
    cut = keraslite.Model(model.get_layer("image").input, model.get_layer("dense2").output)
    assert cut.output_shape == (None, 4)
    x = np.ones((2, 8), "float32")
    np.testing.assert_allclose(cut.predict(x, verbose=0), model.predict([x, np.ones((2, 3))], verbose=0))


def test_popping_model_layers_cuts_the_list_as_keras2_did():
    # The photo-caption tutorial: model.layers.pop(); Model(model.inputs, model.layers[-1].output).
    inputs = keraslite.Input((4,))
    hidden = layers.Dense(6, name="fc")(inputs)
    model = keraslite.Model(inputs, layers.Dense(3, name="predictions")(hidden))
    assert model.layers.pop().name == "predictions"
    assert [layer.name for layer in model.layers][-1] == "fc" and model.output_shape == (None, 3)
    features = keraslite.Model(inputs=model.inputs, outputs=model.layers[-1].output)
    assert features.output_shape == (None, 6)
    listed = model.layers
    listed.append(None)  # other changes to the returned list do not touch the model
    assert model.layers[-1].name == "fc"


def test_popping_sequential_layers_cuts_the_list_as_for_a_functional_model():
    model = keraslite.Sequential([keraslite.Input((4,)), layers.Dense(6, name="fc"), layers.Dense(3, name="out")])
    x = np.ones((2, 4), "float32")
    before = model.predict(x, verbose=0)
    assert model.layers.pop().name == "out"
    assert [layer.name for layer in model.layers] == ["fc"]
    np.testing.assert_allclose(model.predict(x, verbose=0), before)  # the model itself is unchanged
    features = keraslite.Model(inputs=model.inputs, outputs=model.layers[-1].output)
    assert features.output_shape == (None, 6)
    model.layers.append(None)
    assert [layer.name for layer in model.layers] == ["fc"]


def test_renaming_layers_through_the_private_name_as_tf_keras_programs_do():
    # Stacked-ensemble tutorials: layer._name = 'ensemble_1_' + layer.name on each member.
    members = [keraslite.Sequential([keraslite.Input((2,)), layers.Dense(3), layers.Dense(1)]) for _ in range(2)]
    for i, member in enumerate(members):
        for layer in member.layers:
            layer._name = f"ensemble_{i}_" + layer.name
    assert members[0].layers[0].name.startswith("ensemble_0_") and members[0].layers[0]._name == members[0].layers[0].name
    merged = layers.concatenate([m.output for m in members])
    model = keraslite.Model([m.input for m in members], layers.Dense(1)(merged))
    assert model.output_shape == (None, 1)


def test_an_embedding_without_dropout_ignores_what_lands_in_training():
    # The masking guide calls model(x, array): the array is the `training` argument, which no
    # layer of that model reads (tf.keras ran it).
    inputs = keraslite.Input((None,), dtype="int32")
    model = keraslite.Model(inputs, layers.Dense(1)(layers.Embedding(10, 4, mask_zero=True)(inputs)))
    x = np.random.default_rng(0).integers(0, 10, (3, 5))
    np.testing.assert_allclose(model(x, np.ones((3, 5, 1))).detach().numpy(), model(x).detach().numpy())


def test_set_weights_takes_arrays_made_from_each_weights_shape():
    # `model.set_weights([np.zeros(w.shape) for w in model.weights])` with kernels kept permuted.
    model = keraslite.Sequential([keraslite.Input((6, 4)), layers.Conv1D(5, 3), layers.GRU(3)])
    saved = model.get_weights()
    model.set_weights([np.zeros(tuple(w.shape), "float32") for w in model.weights])
    assert not any(a.any() for a in model.get_weights())
    model.set_weights(saved)
    assert all(np.array_equal(a, b) for a, b in zip(model.get_weights(), saved))
    with pytest.raises(ValueError, match="has shape"):
        model.set_weights([np.zeros((2, 2), "float32")] + saved[1:])


def test_layer_output_shape_is_its_graph_output_shape():
    """tf.keras 2's `layer.output_shape`: from the layer's call in the model (batch None), even
    when the layer was first called on data; a shared layer whose calls differ has none."""
    dense = layers.Dense(2)
    dense(np.zeros((1, 4), "float32"))
    i = keraslite.Input((4,))
    keraslite.Model(i, dense(i))
    assert dense.output_shape == (None, 2)

    lstm = layers.LSTM(3, return_state=True)
    lstm(keraslite.Input((5, 2)))
    assert lstm.output_shape == [(None, 3), (None, 3), (None, 3)]

    shared = layers.Dense(3)
    shared(keraslite.Input((4,)))
    shared(keraslite.Input((7, 4)))
    with pytest.raises(ValueError, match="multiple inbound nodes with different output shapes"):
        shared.output_shape

    eager_only = layers.Dense(5)
    eager_only(np.zeros((2, 3), "float32"))
    assert eager_only.output_shape == (2, 5)


def _traced_calls(monkeypatch):
    from keraslite.models import functional

    traced = []
    trace_call = functional._trace_call

    def counting(layer, *args, **kwargs):
        traced.append(layer.name)
        return trace_call(layer, *args, **kwargs)

    monkeypatch.setattr(functional, "_trace_call", counting)
    return traced


def _symbolic_specs(outputs):
    def spec(t):
        mask = getattr(t, "_keras_mask", None)
        return t.shape, t.dtype, None if mask is None else (mask.shape, mask.dtype)

    return [spec(t) for t in (outputs if isinstance(outputs, (list, tuple)) else [outputs])]


_PER_SAMPLE_CALLS = [
    (lambda: layers.Dense(3, activation="relu"), [(4,)]),
    (lambda: layers.Dense(5), [(7, 4)]),
    (lambda: layers.Conv2D(4, 3, strides=2, padding="same"), [(9, 9, 2)]),
    (lambda: layers.BatchNormalization(), [(5, 5, 3)]),
    (lambda: layers.GlobalAveragePooling2D(keepdims=True), [(6, 6, 3)]),
    (lambda: layers.MaxPooling1D(5), [(11, 5)]),
    (lambda: layers.Flatten(), [(5, 7)]),
    (lambda: layers.Reshape((-1, 5)), [(10, 7)]),
    (lambda: layers.Concatenate(), [(5,), (7,)]),
    (lambda: layers.Concatenate(axis=0), [(5,), (5,)]),  # the batch dims add up: traced twice
    (lambda: layers.Add(), [(5, 3), (3,)]),
    (lambda: layers.Embedding(10, 5, mask_zero=True), [(7,)]),
]


@pytest.mark.parametrize("make, shapes", _PER_SAMPLE_CALLS)
def test_built_in_layers_keeping_the_batch_are_traced_once_with_the_same_results(monkeypatch, make, shapes):
    # A built-in layer whose outputs follow the batch dim of its inputs (and no other dim depends
    # on it) is traced once at one batch size when only the batch size is unknown: the shapes,
    # dtypes and masks are those two traces at different batch sizes give.
    from keraslite.models import functional

    def call(layer):
        inputs = [keraslite.Input(s, dtype="int32" if isinstance(layer, layers.Embedding) else "float32")
                  for s in shapes]
        return layer(inputs if len(inputs) > 1 else inputs[0])

    traced = _traced_calls(monkeypatch)
    once = make()
    once_specs = _symbolic_specs(call(once))
    once_traces = traced.count(once.name)
    monkeypatch.setattr(functional, "_per_sample_call", lambda *args: False)
    twice = make()
    assert once_specs == _symbolic_specs(call(twice))
    assert traced.count(twice.name) == 2
    assert once_traces == (2 if getattr(once, "axis", None) == 0 else 1)
    assert once.get_config() | {"name": None} == twice.get_config() | {"name": None}
    assert [tuple(w.shape) for w in once.weights] == [tuple(w.shape) for w in twice.weights]


def test_layers_that_may_use_the_batch_size_elsewhere_are_traced_twice(monkeypatch):
    # A custom activation or a subclass's call may make another dim of the batch size.
    def widen(x):
        return torch.cat([x, x.new_zeros(x.shape[0], x.shape[0])], dim=1)

    class Wider(layers.Dense):
        def call(self, inputs):
            return widen(super().call(inputs))

    traced = _traced_calls(monkeypatch)
    for layer in (layers.Dense(3, activation=widen), Wider(3)):
        assert layer(keraslite.Input((4,))).shape == (None, None)
        assert traced.count(layer.name) == 2
    dropout = layers.Dropout(0.5)
    assert dropout(keraslite.Input((4,)), training=True).shape == (None, 4)
    assert traced.count(dropout.name) == 2


def test_symbolic_calls_of_a_thread_share_one_fake_tensor_mode(monkeypatch):
    # Making a FakeTensorMode records a stack trace: a thread's traces share one.
    import threading

    from keraslite.models import functional

    made = []

    class CountedMode(functional.FakeTensorMode):
        def __init__(self, **kwargs):
            made.append(self)
            super().__init__(**kwargs)

    monkeypatch.setattr(functional, "FakeTensorMode", CountedMode)
    shapes = []

    def build():
        x = keraslite.Input((None, 4))
        for _ in range(3):
            x = layers.Dense(4)(x)
        shapes.append(x.shape)

    thread = threading.Thread(target=build)
    thread.start()
    thread.join()
    assert shapes == [(None, None, 4)] and len(made) == 1


def test_a_mask_of_unknown_length_gets_the_second_trace(monkeypatch):
    traced = _traced_calls(monkeypatch)
    x = keraslite.Input((6, 4))
    x._keras_mask = keraslite.KerasTensor((None, None), dtype="bool")
    dense = layers.Dense(3)
    out = dense(x)
    assert out.shape == (None, 6, 3) and out._keras_mask.shape == (None, None)
    assert traced.count(dense.name) == 2
