"""Keras 1's Merge layer (two Sequential branches merged, then more layers) against the same
network written with Keras 3's functional API and merge layers: same weights, same outputs,
same training history."""
import numpy as np
import pytest
import torch

import keraslite
from compat_tests.conftest import keras
from compat_tests.parity import assert_close

MODES = {"sum": "Add", "mul": "Multiply", "ave": "Average", "max": "Maximum", "concat": "Concatenate",
         "dot": "Dot", "cos": "Dot"}


def _lite(mode):
    L = keraslite.layers
    left = keraslite.Sequential([L.Dense(5, input_dim=6, activation="tanh")])
    right = keraslite.Sequential([L.Dense(5, input_dim=3, activation="relu"), L.Dense(5)])
    model = keraslite.Sequential([L.Merge([left, right], mode=mode), L.Dense(2, activation="softmax")])
    return model, [left.layers[0], right.layers[0], right.layers[1], model.layers[1]]


def _keras(mode):
    a, b = keras.Input((6,)), keras.Input((3,))
    dense = [keras.layers.Dense(5, activation="tanh"), keras.layers.Dense(5, activation="relu"),
             keras.layers.Dense(5), keras.layers.Dense(2, activation="softmax")]
    layer = getattr(keras.layers, MODES[mode])
    kwargs = {"axes": -1, "normalize": mode == "cos"} if mode in ("dot", "cos") else {}
    merged = layer(**kwargs)([dense[0](a), dense[2](dense[1](b))])
    return keras.Model([a, b], dense[3](merged)), dense


def _same_weights(k_layers, l_layers, seed=1):
    rng = np.random.default_rng(seed)
    for k, l in zip(k_layers, l_layers):
        weights = [(rng.standard_normal(w.shape) * 0.5).astype("float32") for w in k.get_weights()]
        k.set_weights(weights)
        l.set_weights(weights)


def _data(n=24):
    rng = np.random.default_rng(0)
    return [rng.standard_normal((n, 6)).astype("float32"), rng.standard_normal((n, 3)).astype("float32")], \
        rng.integers(0, 2, n)


@pytest.mark.parametrize("mode", list(MODES))
def test_merge_modes_match_functional_keras(mode):
    (k_model, k_layers), (l_model, l_layers) = _keras(mode), _lite(mode)
    _same_weights(k_layers, l_layers)
    # Keras 1 ordered a Merge model's weights branch by branch.
    assert [w.shape for w in l_model.get_weights()] == [w.shape for k in k_layers for w in k.get_weights()]
    x, _ = _data()
    assert_close(l_model.predict(x, verbose=0), k_model.predict(x, verbose=0), atol=1e-6)


def test_merge_model_trains_like_functional_keras():
    (k_model, k_layers), (l_model, l_layers) = _keras("concat"), _lite("concat")
    _same_weights(k_layers, l_layers)
    x, y = _data(40)
    k_model.compile(optimizer=keras.optimizers.SGD(0.1), loss="sparse_categorical_crossentropy",
                    metrics=["accuracy"])
    l_model.compile(optimizer=keraslite.optimizers.SGD(0.1), loss="sparse_categorical_crossentropy",
                    metrics=["accuracy"])
    k_hist = k_model.fit(x, y, epochs=3, batch_size=8, shuffle=False, verbose=0).history
    l_hist = l_model.fit(x, y, epochs=3, batch_size=8, shuffle=False, verbose=0).history
    assert l_hist.keys() == k_hist.keys()
    for key in k_hist:
        np.testing.assert_allclose(l_hist[key], k_hist[key], rtol=1e-5, atol=1e-6, err_msg=key)
    for k, l in zip(k_layers, l_layers):
        for a, b in zip(l.get_weights(), k.get_weights()):
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_merge_model_file_round_trip(tmp_path):
    model, _ = _lite("concat")
    x, _ = _data()
    expected = model.predict(x, verbose=0)
    for name in ("m.h5", "m.keras"):
        model.save(tmp_path / name)
        again = keraslite.saving.load_model(tmp_path / name)
        assert_close(again.predict(x, verbose=0), expected, atol=0)
    model.save_weights(tmp_path / "w.weights.h5")
    other, _ = _lite("concat")
    other.load_weights(tmp_path / "w.weights.h5")
    assert_close(other.predict(x, verbose=0), expected, atol=0)


def test_merge_errors_name_the_problem():
    with pytest.raises(ValueError, match="needs `layers`"):
        keraslite.layers.Merge(mode="concat")
    with pytest.raises(ValueError, match="mode='bogus'"):
        keraslite.layers.Merge([keraslite.Sequential([keraslite.layers.Dense(2, input_dim=2)])], mode="bogus")
    model, _ = _lite("sum")
    with pytest.raises(ValueError, match="one input per input branch"):
        model(torch.zeros(2, 6))


def test_nested_and_shared_merge_branches_take_the_flat_list_of_inputs():
    # Keras 1's babi_memnn: a Merge whose branch is itself a Merge model, and one branch used in
    # two merges; fit takes the innermost branches' inputs in order, a shared one once. The
    # same network written with Keras 3's functional API gives the same outputs.
    L = keraslite.layers
    enc_a = keraslite.Sequential([L.Dense(4, input_dim=6)])
    enc_q = keraslite.Sequential([L.Dense(4, input_dim=3)])
    enc_c = keraslite.Sequential([L.Dense(4, input_dim=6)])
    match = keraslite.Sequential([L.Merge([enc_a, enc_q], mode="mul")])
    response = keraslite.Sequential([L.Merge([match, enc_c], mode="sum")])
    answer = keraslite.Sequential([L.Merge([response, enc_q], mode="concat"), L.Dense(2)])

    s, q = keras.Input((6,)), keras.Input((3,))
    k_dense = [keras.layers.Dense(4), keras.layers.Dense(4), keras.layers.Dense(4), keras.layers.Dense(2)]
    k_q = k_dense[1](q)
    k_resp = keras.layers.Add()([keras.layers.Multiply()([k_dense[0](s), k_q]), k_dense[2](s)])
    k_model = keras.Model([s, q], k_dense[3](keras.layers.Concatenate()([k_resp, k_q])))
    _same_weights(k_dense, [enc_a.layers[0], enc_q.layers[0], enc_c.layers[0], answer.layers[1]])

    rng = np.random.default_rng(0)
    story, query = rng.standard_normal((5, 6)).astype("float32"), rng.standard_normal((5, 3)).astype("float32")
    assert_close(answer.predict([story, query, story], verbose=0), k_model.predict([story, query], verbose=0))
    with pytest.raises(ValueError, match=r"3: \['sequential"):
        answer.predict([story, query], verbose=0)


def test_dot_merge_over_axis_0_builds_like_keras_and_lists_its_branches():
    # Keras 2's skip-gram example: Merge([word_model, context_model], mode="dot", dot_axes=0) builds
    # and compiles (the shape is Keras's Dot(axes=0) rule), and `merge.layers[0]` is the first branch.
    L = keraslite.layers

    def branch():
        return keraslite.Sequential([L.Embedding(50, 8, input_length=1), L.Reshape((8,))])

    word, context = branch(), branch()
    model = keraslite.Sequential([L.Merge([word, context], mode="dot", dot_axes=0), L.Dense(1, activation="sigmoid")])
    model.compile(loss="mean_squared_error", optimizer="adam")
    k_out = keras.layers.Dot(axes=0)([keras.Input((8,)), keras.Input((8,))])
    assert model.layers[0].output_shape == tuple(k_out.shape) == (8, 1)
    assert model.layers[0].layers[0] is word and model.layers[0].layers[1] is context
    assert word.layers[0].get_weights()[0].shape == (50, 8)
    with pytest.raises(ValueError, match="batch axis 0"):
        model.predict([np.zeros((2, 1)), np.zeros((2, 1))], verbose=0)
