"""`model.summary()` text equals Keras 3's, character for character (Sequential, Functional,
nested, shared layers, subclassed; show_trainable, expand_nested, line_length, layer_range)."""
import numpy as np
import pytest
import torch

import keraslite

keras = pytest.importorskip("keras")


def text_of(model, **kwargs):
    out = []
    model.summary(print_fn=out.append, **kwargs)
    assert len(out) == 1, "print_fn receives the whole summary at once, as in Keras 3"
    return out[0]


def sequential(lib):
    L = lib.layers
    return lib.Sequential([lib.Input((4,)), L.Dense(8, activation="relu", name="a_very_long_layer_name_for_wrapping"),
                           L.Dropout(0.1), L.Dense(2)], name="seq")


def conv_sequential(lib):
    L = lib.layers
    return lib.Sequential([lib.Input((12, 12, 1)), L.Conv2D(4, 3, activation="relu"), L.MaxPooling2D(2),
                           L.Flatten(), L.BatchNormalization(), L.Dense(10, activation="softmax")], name="cnn")


def multi_io(lib):
    L = lib.layers
    inp = lib.Input((4,), name="first")
    inp2 = lib.Input((3,), name="second_input_with_a_long_name")
    x = L.Dense(8, name="d1")(inp)
    y = L.Dense(8, name="d2")(inp2)
    shared = L.Dense(8, name="shared")
    a, b = shared(x), shared(y)
    z = L.concatenate([a, b], name="concat")
    return lib.Model([inp, inp2], [L.Dense(1, name="out1")(z), L.Dense(2, name="out2")(b)], name="multi")


def chain(lib):
    L = lib.layers
    i = lib.Input((5,), name="inp")
    h = L.Dense(3, name="h")(i)
    return lib.Model(i, L.Dense(1, name="o")(L.Dropout(0.5, name="drop")(h)), name="chain")


def nested(lib):
    L = lib.layers
    i = lib.Input((6,), name="enc_in")
    encoder = lib.Model(i, L.Dense(3, name="enc_dense")(i), name="encoder")
    j = lib.Input((6,), name="outer_in")
    block = lib.Sequential([L.Dense(4, name="s1"), L.Dense(2, name="s2")], name="block")
    return lib.Model(j, block(encoder(j)), name="nested")


def frozen(lib):
    L = lib.layers
    i = lib.Input((4,), name="i")
    d = L.Dense(3, name="frozen_dense")
    d.trainable = False
    return lib.Model(i, L.Dense(2, name="top")(d(i)), name="frozen")


BUILDERS = {"sequential": sequential, "conv_sequential": conv_sequential, "multi_io": multi_io, "chain": chain,
            "nested": nested, "frozen": frozen}
OPTIONS = [{}, {"show_trainable": True}, {"expand_nested": True}, {"line_length": 100},
           {"line_length": 70, "positions": [0.5, 0.8, 1.0]}]


@pytest.mark.parametrize("options", OPTIONS, ids=lambda o: ",".join(o) or "default")
@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_summary_text_equals_keras(name, options):
    if "positions" in options and name in ("multi_io", "nested"):
        options = dict(options, positions=[0.3, 0.5, 0.7, 1.0])
    k_text = text_of(BUILDERS[name](keras), **options)
    l_text = text_of(BUILDERS[name](keraslite), **options)
    assert l_text == k_text, f"\nkeraslite:\n{l_text}\nKeras:\n{k_text}"


def test_layer_range_equals_keras():
    k_text = text_of(multi_io(keras), layer_range=["d1", "shared"])
    l_text = text_of(multi_io(keraslite), layer_range=["d1", "shared"])
    assert l_text == k_text


def test_subclassed_model_after_call_equals_keras():
    def build(lib):
        class MLP(lib.Model):
            def __init__(self):
                super().__init__(name="mlp")
                self.dense1 = lib.layers.Dense(6, activation="relu")
                self.dense2 = lib.layers.Dense(2)

            def call(self, inputs):
                return self.dense2(self.dense1(inputs))

        return MLP()

    k_model, l_model = build(keras), build(keraslite)
    x = np.zeros((3, 5), "float32")
    k_model(torch.as_tensor(x))
    l_model(x)
    assert text_of(l_model) == text_of(k_model)


def test_unbuilt_subclassed_model_equals_keras():
    def build(lib):
        class Two(lib.Model):
            def __init__(self):
                super().__init__(name="two")
                self.a = lib.layers.Dense(3)
                self.b = lib.layers.Dense(1)

            def call(self, x):
                return self.b(self.a(x))

        return Two()

    assert text_of(build(keraslite)) == text_of(build(keras))


def test_summary_without_print_fn_prints(capsys):
    keras_model = chain(keras)
    keras_text = text_of(keras_model)
    chain(keraslite).summary()
    assert capsys.readouterr().out == keras_text


def test_tensor_operations_listed_like_keras():
    """`x + y` and ops on symbolic tensors appear as operation rows ("add (Add)")."""
    def build(lib):
        a = lib.Input((3,), name="a")
        b = lib.Input((3,), name="b")
        s = a + b
        s = 1.0 - s[:, 1:]
        return lib.Model([a, b], lib.layers.Dense(2, name="d")(s * 2.0), name="ops_model")

    assert text_of(build(keraslite)) == text_of(build(keras))


def test_model_rebuilt_from_keras_config_with_mask_op_summarizes_like_keras():
    """A Keras config with the mask operation Keras inserts (NotEqual) loads and prints the same."""
    def build(lib):
        L = lib.layers
        tokens = lib.Input((5,), dtype="int32", name="tokens")
        return lib.Model(tokens, L.LSTM(2)(L.Embedding(10, 3, mask_zero=True, name="emb")(tokens)), name="m")

    k_model = build(keras)
    l_model = keraslite.Model.from_config(k_model.get_config())
    assert text_of(l_model) == text_of(k_model)


def test_subclassed_model_after_build_equals_keras():
    """Keras 3 only marks a subclassed model built: its layers show '?' and '0 (unbuilt)'."""
    import warnings

    def build(lib):
        class Net(lib.Model):
            def __init__(self):
                super().__init__(name="net")
                self.blocks = [lib.layers.Dense(4), lib.layers.Dense(2)]

            def call(self, x):
                for b in self.blocks:
                    x = b(x)
                return x

        model = Net()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model.build((None, 3))
        return model

    assert text_of(build(keraslite)) == text_of(build(keras))


def test_sequential_shows_shapes_inside_the_model_not_from_adapt():
    # A Normalization adapted to a 1-D column is built on (n,), but inside a Sequential with
    # input_shape=[1] its output is (None, 1), as the regression tutorial's summary shows.
    column = np.linspace(50.0, 200.0, 20).astype("float32")

    def build(lib):
        norm = lib.layers.Normalization(input_shape=[1], axis=None, name="norm")
        norm.adapt(column)
        return lib.Sequential([norm, lib.layers.Dense(1, name="out")], name="hp")

    expected = text_of(build(keras))
    assert "(None, 1)" in expected
    assert text_of(build(keraslite)) == expected


def test_sequential_on_a_functional_base_is_built_like_keras():
    # The transfer-learning recipe: Sequential([pretrained_functional_base, Dense(...)]).
    def build(lib):
        inputs = lib.Input((8,))
        base = lib.Model(inputs, lib.layers.Dense(4)(inputs), name="base")
        return lib.Sequential([base, lib.layers.Dense(3, name="head")])

    k_model, l_model = build(keras), build(keraslite)
    assert l_model.built == k_model.built is True
    assert l_model.output_shape == k_model.output_shape == (None, 3)
    assert len(l_model.weights) == len(k_model.weights) == 4
    for m in (k_model, l_model):
        m.compile(optimizer="adam", loss="mse")
        m.fit(np.ones((4, 8), "float32"), np.ones((4, 3), "float32"), verbose=0)
    assert text_of(l_model) == text_of(k_model)
