"""Preprocessing layers: the layer contract for those that take numbers, the same contract on
strings for the text layers, and the properties of the random image layers (shapes, dtypes,
value ranges, identity in inference, repeatability, and the transforms their extreme
settings determine). Numbers against real Keras are in compat_tests/test_parity_preprocessing.py."""
import numpy as np
import pytest
import torch

import keraslite
from keraslite import layers
from keraslite.layers.preprocessing.farmhash import fingerprint64
from tests.contract import check_layer_contract, make_input

CASES = [
    ("resizing", lambda: layers.Resizing(4, 5), (2, 6, 8, 3), "float32", None),
    ("resizing_nearest_crop", lambda: layers.Resizing(5, 5, interpolation="nearest", crop_to_aspect_ratio=True),
     (2, 6, 8, 3), "float32", None),
    ("resizing_bicubic_pad", lambda: layers.Resizing(6, 3, interpolation="bicubic", pad_to_aspect_ratio=True,
                                                     fill_value=1.0), (2, 6, 8, 3), "float32", None),
    ("center_crop", lambda: layers.CenterCrop(4, 6), (2, 6, 8, 3), "float32", None),
    ("center_crop_up", lambda: layers.CenterCrop(9, 9), (2, 6, 8, 3), "float32", None),
    # Degenerate factor ranges make the random layers deterministic, so the contract's
    # "a copy computes the same output" holds while the transforms still run.
    ("random_rotation_fixed", lambda: layers.RandomRotation((0.1, 0.1)), (2, 6, 8, 3), "float32", None),
    ("random_zoom_fixed", lambda: layers.RandomZoom((0.3, 0.3), (-0.2, -0.2), fill_mode="constant"),
     (2, 6, 8, 3), "float32", None),
    ("random_translation_fixed", lambda: layers.RandomTranslation((0.2, 0.2), (-0.1, -0.1), fill_mode="wrap"),
     (2, 6, 8, 3), "float32", None),
    ("random_contrast_fixed", lambda: layers.RandomContrast((-0.5, 0.5), value_range=(-10, 10)), (2, 6, 8, 3),
     "float32", None),
    ("random_brightness_fixed", lambda: layers.RandomBrightness((0.1, 0.1), value_range=(-3, 3)), (2, 6, 8, 3),
     "float32", None),
    ("random_crop_center_path", lambda: layers.RandomCrop(6, 8), (2, 6, 8, 3), "float32", None),
    ("category_encoding_multi_hot", lambda: layers.CategoryEncoding(6), (4, 3), "int64", 6),
    ("category_encoding_one_hot", lambda: layers.CategoryEncoding(6, output_mode="one_hot"), (4, 1), "int64", 6),
    ("category_encoding_count", lambda: layers.CategoryEncoding(6, output_mode="count"), (4, 5), "int64", 6),
    ("discretization", lambda: layers.Discretization(bin_boundaries=[-1.0, 0.0, 0.5]), (4, 3), "float32", None),
    ("discretization_one_hot", lambda: layers.Discretization(bin_boundaries=[0.0, 1.0], output_mode="one_hot"),
     (4, 1), "float32", None),
    ("integer_lookup", lambda: layers.IntegerLookup(vocabulary=[1, 3, 5, 7]), (4, 3), "int64", 9),
    ("integer_lookup_multi_hot", lambda: layers.IntegerLookup(vocabulary=[1, 3, 5, 7], output_mode="multi_hot"),
     (4, 3), "int64", 9),
    ("integer_lookup_invert", lambda: layers.IntegerLookup(vocabulary=[10, 30, 50], invert=True), (4, 3), "int64", 5),
    ("hashing_ints", lambda: layers.Hashing(5), (4, 3), "int64", 100),
    ("hashing_count", lambda: layers.Hashing(5, output_mode="count"), (4, 3), "int64", 100),
]


@pytest.mark.parametrize("name,factory,shape,dtype,high", CASES, ids=[c[0] for c in CASES])
def test_contract(name, factory, shape, dtype, high):
    check_layer_contract(factory, shape, dtype=dtype, high=high)


# ----------------------------------------------------------------------------- text layers

TEXTS = ["The cat sat on the mat.", "A dog! A DOG?", "the end", ""]


def check_string_contract(factory, inputs, adapt=None):
    """The contract on string inputs: output shape agrees with compute_output_shape (batch and
    ragged dims aside), the config round trip rebuilds an equivalent layer, and there are no
    weights to carry."""
    layer = factory()
    if adapt is not None:
        layer.adapt(adapt)
    out = layer(inputs)
    assert layer.built
    expected = layer.compute_output_shape((None,) + np.shape(inputs)[1:])
    assert len(expected) == out.ndim
    assert all(e is None or e == o for e, o in zip(expected[1:], tuple(out.shape)[1:])), (expected, out.shape)
    config = layer.get_config()
    clone = type(layer).from_config(config)
    if adapt is None:
        assert clone.get_config() == config
    else:  # an adapted vocabulary travels in a file's assets, not in the config (as in Keras)
        assert sorted(clone.get_config()) == sorted(config) and config["vocabulary"] is None
    assert layer.get_weights() == [] and clone.get_weights() == []
    if adapt is None:
        np.testing.assert_array_equal(clone(inputs).numpy(), out.numpy())
    return layer, out


def test_text_vectorization_contract():
    vocab = ["the", "a", "dog", "cat"]
    layer, out = check_string_contract(lambda: layers.TextVectorization(vocabulary=vocab, output_sequence_length=4),
                                       np.array(TEXTS))
    assert out.dtype == torch.int64 and tuple(out.shape) == (4, 4)
    check_string_contract(lambda: layers.TextVectorization(vocabulary=vocab, output_mode="multi_hot"), TEXTS)
    check_string_contract(lambda: layers.TextVectorization(vocabulary=vocab, output_mode="tf_idf",
                                                           idf_weights=[1.0, 2.0, 3.0, 4.0]), TEXTS)
    check_string_contract(lambda: layers.TextVectorization(), TEXTS, adapt=TEXTS)


def test_string_lookup_contract():
    layer, out = check_string_contract(lambda: layers.StringLookup(vocabulary=["a", "b", "c"]),
                                       np.array([["a", "x"], ["c", "b"]]))
    np.testing.assert_array_equal(out.numpy(), [[1, 0], [3, 2]])
    check_string_contract(lambda: layers.StringLookup(vocabulary=["a", "b"], output_mode="count"),
                          [["a", "a", "b"], ["z", "b", "b"]])


def test_text_vectorization_adapt_vocabulary_order_and_specials():
    tv = layers.TextVectorization()
    tv.adapt(["b a c a", "c a d", "e"])
    # count descending; ties (b, d, e all once) in descending token order, as Keras.
    assert tv.get_vocabulary() == ["", "[UNK]", "a", "c", "e", "d", "b"]
    assert tv.get_vocabulary(include_special_tokens=False) == ["a", "c", "e", "d", "b"]
    assert tv.vocabulary_size() == 7
    np.testing.assert_array_equal(tv(["a zz b", "c"]).numpy(), [[2, 1, 6], [3, 0, 0]])
    tv.set_vocabulary(["x", "y"])
    assert tv.get_vocabulary() == ["", "[UNK]", "x", "y"]


def test_text_vectorization_accepts_every_string_form():
    tv = layers.TextVectorization(vocabulary=["hello", "world"], output_sequence_length=3)
    expected = [[2, 3, 0]]
    for x in (["Hello world!"], np.array(["Hello world!"]), np.array([["Hello world!"]]), np.array([b"Hello world!"]),
              np.array(["Hello world!"], dtype=object)):
        np.testing.assert_array_equal(tv(x).numpy(), expected)
    np.testing.assert_array_equal(tv("hello").numpy(), [2, 0, 0])  # a single string: one sequence


def test_text_vectorization_adapt_on_batches_and_callables():
    def batches():
        yield np.array(["one two", "two"])
        yield ["three two"]

    tv = layers.TextVectorization(standardize=lambda t: np.char.upper(t), split=lambda t: [s.split("O") for s in t])
    tv.adapt(batches())
    assert "TW" in tv.get_vocabulary()


def test_lookup_layers_need_vocabulary_for_vector_modes():
    with pytest.raises(RuntimeError, match="vocabulary"):
        layers.StringLookup(output_mode="multi_hot")(["a"])


def test_string_lookup_num_oov_zero_rejects_unknown_tokens():
    layer = layers.StringLookup(vocabulary=["a"], num_oov_indices=0)
    np.testing.assert_array_equal(layer(["a"]).numpy(), [0])
    with pytest.raises(ValueError, match="num_oov_indices=0"):
        layer(["b"])


def test_string_lookup_round_trip_through_invert():
    vocab = ["red", "green", "blue"]
    fwd, inv = layers.StringLookup(vocabulary=vocab), layers.StringLookup(vocabulary=vocab, invert=True)
    ids = fwd(["blue", "pink", "red"])
    assert inv(ids) == ["blue", "[UNK]", "red"]


def test_lookup_layers_on_a_scalar_follow_keras():
    # Keras's IndexLookup.call looks a scalar up as one sample and squeezes an int lookup back:
    # int lookups and inverse lookups of a scalar are scalars; multi_hot / count / tf_idf give
    # (depth,), and so does one_hot as in tf.keras 2 (Keras 3 gives it as (1, depth)).
    for scalar in (7, np.int64(7), np.array(7), torch.tensor(7)):
        out = layers.IntegerLookup(vocabulary=[5, 7])(scalar)
        assert tuple(out.shape) == () and int(out) == 2 and out.dtype == torch.int64
    for token in ("b", b"b", np.array("b")):
        out = layers.StringLookup(vocabulary=["a", "b"])(token)
        assert tuple(out.shape) == () and int(out) == 2
    assert tuple(layers.StringLookup(vocabulary=["a", "b"])(["b"]).shape) == (1,)
    assert layers.IntegerLookup(vocabulary=[5, 7], invert=True)(2).shape == ()
    assert layers.StringLookup(vocabulary=["a", "b"], invert=True)(2) == "b"
    np.testing.assert_array_equal(layers.IntegerLookup(vocabulary=[5, 7], output_mode="one_hot")(7).numpy(),
                                  [0, 0, 1])
    np.testing.assert_array_equal(layers.StringLookup(vocabulary=["a", "b"], output_mode="one_hot")("z").numpy(),
                                  [1, 0, 0])
    for mode in ("multi_hot", "count"):
        np.testing.assert_array_equal(layers.IntegerLookup(vocabulary=[5, 7], output_mode=mode)(5).numpy(), [0, 1, 0])
    tf_idf = layers.IntegerLookup(vocabulary=[5, 7], output_mode="tf_idf", idf_weights=[0.5, 0.25])(7)
    np.testing.assert_allclose(tf_idf.numpy(), [0.0, 0.0, 0.25])


def test_farmhash_fingerprint_known_values():
    # Values of TensorFlow's Fingerprint64 (tf.strings.to_hash_bucket_fast with 2**63 - 1 buckets agrees).
    assert fingerprint64(b"") == 0x9AE16A3B2F90404F
    assert layers.Hashing(3)(["a", "b", "c"]).tolist() == [layers.Hashing(3)(["a"]).item(),
                                                           layers.Hashing(3)(["b"]).item(),
                                                           layers.Hashing(3)(["c"]).item()]


def test_discretization_adapt_quantiles():
    data = np.arange(100, dtype="float32")
    layer = layers.Discretization(num_bins=4)
    layer.adapt(data)
    np.testing.assert_allclose(layer.bin_boundaries, [24.5, 49.5, 74.5], atol=1.0)
    out = layer(torch.tensor([[0.0, 30.0, 60.0, 99.0]]))
    assert out.dtype == torch.int32
    np.testing.assert_array_equal(out.numpy(), [[0, 1, 2, 3]])


def test_string_input_model_fit_predict_and_file(tmp_path):
    texts = np.array(["good great fun", "bad awful", "great good", "awful boring bad"] * 4)
    labels = np.array([1, 0, 1, 0] * 4)
    tv = layers.TextVectorization(max_tokens=20, output_sequence_length=4)
    tv.adapt(texts)
    inputs = keraslite.Input(shape=(1,), dtype="string")
    x = layers.Embedding(20, 4)(tv(inputs))
    outputs = layers.Dense(1, activation="sigmoid")(layers.GlobalAveragePooling1D()(x))
    model = keraslite.Model(inputs, outputs)
    assert model.layers[0].dtype == "string"
    model.compile("adam", "binary_crossentropy")
    model.fit(texts, labels, epochs=2, batch_size=4, shuffle=True, verbose=0)
    pred = model.predict(texts[:3], verbose=0)
    assert pred.shape == (3, 1)
    path = str(tmp_path / "text.keras")
    model.save(path)
    reloaded = keraslite.saving.load_model(path)
    assert reloaded.get_layer(tv.name).get_vocabulary() == tv.get_vocabulary()
    np.testing.assert_allclose(reloaded.predict(texts[:3], verbose=0), pred, atol=1e-6)


def test_string_layer_outputs_follow_the_model_device():
    tv = layers.TextVectorization(vocabulary=["a"])
    assert tv(["a"]).device.type == "cpu"
    tv.to("meta")
    assert tv(["a b"]).device.type == "meta"


# ----------------------------------------------------------------------------- image layers

IMAGES = torch.as_tensor(np.random.default_rng(0).uniform(0, 255, (6, 5, 7, 3)).astype("float32"))
RANDOM_LAYERS = [
    lambda: layers.RandomFlip(),
    lambda: layers.RandomRotation(0.2),
    lambda: layers.RandomZoom(0.3),
    lambda: layers.RandomTranslation(0.2, 0.3),
    lambda: layers.RandomContrast(0.5),
    lambda: layers.RandomBrightness(0.3),
    lambda: layers.RandomCrop(3, 4),
]


@pytest.mark.parametrize("factory", RANDOM_LAYERS, ids=lambda f: type(f()).__name__)
def test_random_layer_identity_in_inference(factory):
    layer = factory()
    np.testing.assert_array_equal(layer(IMAGES, training=False).numpy(), IMAGES.numpy())
    model = keraslite.Sequential([keraslite.Input(shape=IMAGES.shape[1:]), factory()])
    np.testing.assert_array_equal(model.predict(IMAGES.numpy(), verbose=0), IMAGES.numpy())


@pytest.mark.parametrize("factory", RANDOM_LAYERS, ids=lambda f: type(f()).__name__)
def test_random_layer_augments_by_default_and_repeats_with_seed(factory):
    keraslite.utils.set_random_seed(7)
    first = factory()(IMAGES)  # training=None: Keras's default for these layers is to augment
    keraslite.utils.set_random_seed(7)
    second = factory()(IMAGES)
    np.testing.assert_array_equal(first.numpy(), second.numpy())
    assert first.dtype == torch.float32
    if first.shape == IMAGES.shape:
        assert not np.array_equal(first.numpy(), IMAGES.numpy())
    unbatched = factory()(IMAGES[0])
    assert unbatched.ndim == 3


def test_seeded_layers_repeat_without_global_seed():
    a = layers.RandomRotation(0.3, seed=11)(IMAGES)
    torch.manual_seed(123)
    b = layers.RandomRotation(0.3, seed=11)(IMAGES)
    np.testing.assert_array_equal(a.numpy(), b.numpy())


@pytest.mark.parametrize("mode,dims", [("horizontal", (2,)), ("vertical", (1,)), ("horizontal_and_vertical", (1, 2))])
def test_random_flip_flips_each_image_or_leaves_it(mode, dims):
    keraslite.utils.set_random_seed(0)
    images = torch.as_tensor(np.random.default_rng(1).standard_normal((64, 4, 5, 2)).astype("float32"))
    out = layers.RandomFlip(mode)(images, training=True)
    flipped = torch.flip(images, dims=dims)
    same = [torch.equal(o, x) for o, x in zip(out, images)]
    flip = [torch.equal(o, f) for o, f in zip(out, flipped)]
    assert all(s or f for s, f in zip(same, flip))
    assert any(same) and any(flip)


def test_extreme_rotations_are_exact_turns():
    square = torch.as_tensor(np.random.default_rng(2).standard_normal((2, 6, 6, 3)).astype("float32"))
    half = layers.RandomRotation((0.5, 0.5))(square)
    np.testing.assert_allclose(half.numpy(), torch.flip(square, dims=(1, 2)).numpy(), atol=1e-4)
    quarter = layers.RandomRotation((0.25, 0.25), interpolation="nearest")(square)
    np.testing.assert_allclose(quarter.numpy(), torch.rot90(square, k=1, dims=(1, 2)).numpy(), atol=1e-5)
    full = layers.RandomRotation((1.0, 1.0))(square)
    np.testing.assert_allclose(full.numpy(), square.numpy(), atol=1e-4)


def test_translation_by_whole_pixels_shifts():
    images = torch.arange(2 * 4 * 5, dtype=torch.float32).reshape(2, 4, 5, 1)
    out = layers.RandomTranslation((0.25, 0.25), (0.0, 0.0), fill_mode="constant", fill_value=-1.0)(images)
    expected = torch.cat([torch.full((2, 1, 5, 1), -1.0), images[:, :3]], dim=1)  # down by 1 row
    np.testing.assert_array_equal(out.numpy(), expected.numpy())


def test_color_layers_stay_in_value_range():
    out = layers.RandomBrightness(0.9)(IMAGES)
    assert out.min() >= 0 and out.max() <= 255
    out = layers.RandomContrast(0.9, value_range=(0, 255))(IMAGES)
    assert out.min() >= 0 and out.max() <= 255
    uint8 = layers.RandomBrightness((0.5, 0.5))(IMAGES.to(torch.uint8))
    assert uint8.dtype == torch.uint8 and int(uint8.min()) >= 127


def test_random_crop_shapes():
    layer = layers.RandomCrop(3, 4)
    assert tuple(layer(IMAGES).shape) == (6, 3, 4, 3)
    assert tuple(layer(IMAGES, training=False).shape) == tuple(IMAGES.shape)  # Keras 3: no crop in inference
    assert tuple(layers.RandomCrop(8, 9)(IMAGES).shape) == (6, 8, 9, 3)  # smaller input: crop + resize


def test_resizing_keeps_integer_dtype_and_works_unbatched():
    out = layers.Resizing(3, 4)(IMAGES.to(torch.uint8))
    assert out.dtype == torch.uint8 and tuple(out.shape) == (6, 3, 4, 3)
    assert tuple(layers.Resizing(3, 4)(IMAGES[0]).shape) == (3, 4, 3)
    with pytest.raises(ValueError, match="Lanczos"):
        layers.Resizing(3, 4, interpolation="lanczos3")(IMAGES)


def test_augmentation_model_in_functional_graph():
    augment = keraslite.Sequential([layers.RandomFlip("horizontal"), layers.RandomRotation(0.1)])
    inputs = keraslite.Input(shape=(5, 7, 3))
    x = augment(inputs)
    x = layers.Rescaling(1 / 255.0)(x)
    outputs = layers.Dense(2)(layers.Flatten()(x))
    model = keraslite.Model(inputs, outputs)
    model.compile("sgd", "mse")
    model.fit(IMAGES.numpy(), np.zeros((6, 2), "float32"), epochs=1, verbose=0)
    a = model.predict(IMAGES.numpy(), verbose=0)
    b = model.predict(IMAGES.numpy(), verbose=0)
    np.testing.assert_array_equal(a, b)  # inference: augmentation is off
    assert make_input((2, 3)).shape == (2, 3)


def test_keras_tutorial_text_pipeline_through_the_tf_shim(tmp_path):
    """keras.io's text classification flow: a text dataset, a tf.strings custom standardization,
    adapt on `ds.map(lambda x, y: x)`, `tf.expand_dims` on text, then fit and an end-to-end model."""
    import re
    import string

    from keraslite.compat import tensorflow_shim as tf

    for label, words in (("pos", "great wonderful loved"), ("neg", "awful boring hated")):
        (tmp_path / label).mkdir()
        for i in range(4):
            (tmp_path / label / f"{i}.txt").write_text(f"A <br />{words.upper()} film, number {i}!")
    raw = keraslite.utils.text_dataset_from_directory(str(tmp_path), batch_size=3, seed=0)

    def custom_standardization(input_data):
        lowercase = tf.strings.lower(input_data)
        stripped_html = tf.strings.regex_replace(lowercase, "<br />", " ")
        return tf.strings.regex_replace(stripped_html, f"[{re.escape(string.punctuation)}]", "")

    vectorize_layer = layers.TextVectorization(standardize=custom_standardization, max_tokens=30,
                                               output_sequence_length=8)
    vectorize_layer.adapt(raw.map(lambda x, y: x))
    vocab = vectorize_layer.get_vocabulary()
    assert vocab[:3] == ["", "[UNK]", "number"] and "wonderful" in vocab and "br" not in vocab

    def vectorize_text(text, label):
        return vectorize_layer(tf.expand_dims(text, -1)), label

    texts, labels = next(iter(raw))
    assert tuple(vectorize_text(texts[0], labels[0])[0].shape) == (1, 8)
    model = keraslite.Sequential([layers.Embedding(30, 4), layers.GlobalAveragePooling1D(),
                                  layers.Dense(1, activation="sigmoid")])
    model.compile(loss="binary_crossentropy", optimizer="adam")
    model.fit(raw.map(vectorize_text), epochs=1, verbose=0)
    inputs = keraslite.Input(shape=(1,), dtype="string")
    end_to_end = keraslite.Model(inputs, model(vectorize_layer(inputs)))
    end_to_end.compile(loss="binary_crossentropy", optimizer="adam", metrics=["accuracy"])
    assert len(end_to_end.evaluate(raw, verbose=0)) == 2
    assert end_to_end.predict(["great film", "awful film"], verbose=0).shape == (2, 1)


def test_string_inputs_pass_through_shape_ops_to_lookups():
    # keras.io's wide & deep models: Input(shape=(), dtype="string") -> ops.expand_dims -> StringLookup.
    inputs = keraslite.Input(shape=(), dtype="string", name="area")
    expanded = keraslite.ops.expand_dims(inputs, -1)
    assert expanded.shape == (None, 1) and expanded.dtype == "string"
    one_hot = keraslite.layers.StringLookup(vocabulary=["a", "b", "c"], num_oov_indices=0, mask_token=None,
                                            output_mode="binary")(expanded)
    ids = keraslite.layers.StringLookup(vocabulary=["a", "b", "c"], num_oov_indices=0, mask_token=None)(inputs)
    model = keraslite.Model(inputs, [one_hot, ids])
    encoded, index = model(np.array(["c", "a"]))
    assert np.asarray(encoded).tolist() == [[0, 0, 1], [1, 0, 0]]
    assert np.asarray(index).tolist() == [2, 0]
    assert keraslite.ops.squeeze(keraslite.ops.reshape(np.array(["x", "y"]), (2, 1)), 1).tolist() == ["x", "y"]


def test_hashing_with_salt_uses_keyed_siphash():
    from keraslite.layers.preprocessing.farmhash import siphash24

    # SipHash-2-4's reference vector: key 00..0f, message 00..0e.
    key = bytes(range(16))
    k0, k1 = int.from_bytes(key[:8], "little"), int.from_bytes(key[8:], "little")
    assert siphash24([k0, k1], bytes(range(15))) == 0xA129CA6149BE45E5
    # The examples in Keras's Hashing docstring (TensorFlow's to_hash_bucket_strong).
    inputs = [["A"], ["B"], ["C"], ["D"], ["E"]]
    pair = keraslite.layers.Hashing(num_bins=3, salt=[133, 137])
    assert pair(inputs).numpy().ravel().tolist() == [1, 2, 1, 0, 2]
    single = keraslite.layers.Hashing(num_bins=3, salt=133)
    assert single(inputs).numpy().ravel().tolist() == [0, 0, 2, 1, 0]
    assert single.get_config()["salt"] == [133, 133] and single.strong_hash
    # Integers hash as their decimal strings; a mask value still takes bin 0.
    masked = keraslite.layers.Hashing(num_bins=5, salt=7, mask_value=0)
    out = masked(np.array([[0], [42]])).numpy().ravel().tolist()
    assert out == [0, 1 + siphash24([7, 7], b"42") % 4]
    with pytest.raises(ValueError, match="salt"):
        keraslite.layers.Hashing(num_bins=3, salt="pepper")


@pytest.mark.parametrize("mode", ["multi_hot", "count", "tf_idf"])
def test_text_vectorization_symbolic_shape_of_a_string_column_matches_its_output(mode):
    # call() squeezes a (batch, 1) column of strings before splitting, so an end-to-end model
    # on keras.Input((1,), dtype="string") sees (batch, vocabulary), as its eager output has.
    layer = keraslite.layers.TextVectorization(output_mode=mode, ngrams=2)
    layer.adapt(["the brain is wider", "than the sky"])
    eager = layer(np.array([["the sky"], ["wider brain"]]))
    symbolic = layer(keraslite.Input((1,), dtype="string"))
    assert tuple(symbolic.shape) == (None,) + tuple(eager.shape[1:]) == (None, layer.vocabulary_size())
    head = keraslite.Sequential([keraslite.Input((layer.vocabulary_size(),)), keraslite.layers.Dense(1)])
    strings = keraslite.Input((1,), dtype="string")
    end_to_end = keraslite.Model(strings, head(layer(strings)))
    assert tuple(end_to_end(np.array([["the brain"]])).shape) == (1, 1)


def test_lookup_without_oov_indices_inside_a_model_called_on_an_input():
    # memory_efficient_embeddings: Sequential([StringLookup(num_oov_indices=0), Embedding]) on an
    # Input; the symbolic call's placeholder strings are not "out of vocabulary" errors
    inp = keraslite.Input(shape=(), dtype="string")
    lookup = layers.StringLookup(vocabulary=["a", "b", "c"], mask_token=None, num_oov_indices=0)
    encoder = keraslite.Sequential([lookup, layers.Embedding(3, 4)])
    model = keraslite.Model(inp, encoder(inp))
    assert model.output_shape == (None, 4)
    table = encoder.layers[1].get_weights()[0]
    np.testing.assert_allclose(model.predict(np.array(["c", "a"]), verbose=0), table[[2, 0]], rtol=1e-6)
    with pytest.raises(ValueError, match="num_oov_indices=0"):
        lookup(np.array(["z"]))  # a real out-of-vocabulary value still fails
    ints = keraslite.Sequential([layers.IntegerLookup(vocabulary=[5, 7], num_oov_indices=0, mask_token=None),
                                 layers.Embedding(2, 3)])
    assert ints(keraslite.Input(shape=(), dtype="int64")).shape == (None, 3)


def test_pandas_frames_in_layer_calls_and_adapt():
    # TF's "Load a pandas DataFrame" tutorial: normalizer.adapt(df) and normalizer(df.iloc[:3]).
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": [4, 5, 6]})
    norm = keraslite.layers.Normalization(axis=-1)
    norm.adapt(frame)
    values = frame.to_numpy(dtype="float64")
    want = (values[:2] - values.mean(0)) / values.std(0)
    np.testing.assert_allclose(norm(frame.iloc[:2]).numpy(), want, rtol=1e-5)
    assert tuple(keraslite.layers.Dense(2)(frame.astype("float32")).shape) == (3, 2)
    lookup = keraslite.layers.StringLookup()
    lookup.adapt(pd.Series(["x", "y", "x"]))
    assert lookup.get_vocabulary() == ["[UNK]", "x", "y"]
    from_series, from_array = keraslite.layers.Discretization(num_bins=2), keraslite.layers.Discretization(num_bins=2)
    from_series.adapt(pd.Series([1.0, 2.0, 3.0, 4.0]))
    from_array.adapt(np.array([1.0, 2.0, 3.0, 4.0]))
    assert list(from_series.bin_boundaries) == list(from_array.bin_boundaries)


def test_tf23_category_encoding_adapt_and_tf24_lookup_argument_names():
    # TF 2.3's structured-data example: CategoryEncoding(output_mode="binary") sized by adapt().
    from keraslite.compat import tensorflow_shim as tf

    enc = layers.CategoryEncoding(output_mode="binary")
    with pytest.raises(ValueError, match="call adapt"):
        enc(np.array([[1]]))
    enc.adapt(tf.data.Dataset.from_tensor_slices(np.array([[0], [2], [1], [3]])).batch(2))
    assert enc.num_tokens == 4
    assert enc(keraslite.Input((1,), dtype="int64")).shape == (None, 4)
    np.testing.assert_array_equal(enc(np.array([[2], [0]])).numpy(), [[0, 0, 1, 0], [1, 0, 0, 0]])
    assert layers.CategoryEncoding(max_tokens=5)(np.array([[1]])).shape == (1, 5)  # TF 2.3's name
    lookup = layers.IntegerLookup(max_values=None, oov_value=-1, mask_value=0, vocabulary=[5, 7])  # TF 2.4's
    np.testing.assert_array_equal(lookup(np.array([[5, 7, 9, 0]])).numpy(), [[2, 3, 1, 0]])


def test_normalization_takes_the_object_array_of_a_frame_with_bool_columns():
    # TF's fuel-efficiency tutorial: np.array(train_features) after get_dummies (bool columns).
    frame = np.array([[1.0, 4, True], [2.0, 5, False], [3.0, 6, True]], dtype=object)
    layer = layers.Normalization(axis=-1)
    layer.adapt(frame)
    numbers = frame.astype("float32")
    want = (numbers[:1] - numbers.mean(0)) / np.sqrt(numbers.var(0))
    np.testing.assert_allclose(layer(frame[:1]).numpy(), want, rtol=1e-5)
