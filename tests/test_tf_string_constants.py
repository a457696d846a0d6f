"""`tf.constant` / `tf.convert_to_tensor` on text, as TF-flavoured preprocessing code writes it
(`tf.constant([["a"], ["b"]])` fed to StringLookup or TextVectorization)."""
import numpy as np
import pytest

from keraslite.compat import tensorflow_shim as tf
from keraslite import layers


def test_constant_of_strings_is_a_string_array_with_tf_numpy():
    t = tf.constant([["a"], ["b"], ["ç"]])
    assert t.shape == (3, 1)
    assert t.numpy().tolist() == [[b"a"], [b"b"], ["ç".encode("utf-8")]]  # TF string tensors give bytes
    assert tf.convert_to_tensor(["x", "y"]).numpy().tolist() == [b"x", b"y"]
    assert tf.constant("word") == "word"


def test_string_constant_feeds_lookup_and_vectorization_layers():
    lookup = layers.StringLookup(output_mode="one_hot")
    lookup.adapt(tf.constant([["a"], ["b"], ["c"], ["b"]]))
    out = lookup(tf.constant([["a"], ["z"]]))
    np.testing.assert_array_equal(np.asarray(out)[:, 0], [0, 1])  # "z" is out of vocabulary
    vectorizer = layers.TextVectorization(output_mode="int")
    vectorizer.adapt(tf.constant(["the cat", "the dog"]))
    assert tuple(vectorizer(tf.constant(["the cat"])).shape) == (1, 2)


def test_numbers_still_become_tensors():
    import torch

    assert isinstance(tf.constant([1.0, 2.0]), torch.Tensor)
    with pytest.raises((TypeError, ValueError)):
        tf.constant(["a", "b"], dtype="float32")


def test_scalar_string_constant_gives_bytes():
    assert tf.constant("hello").numpy() == b"hello"
    assert tf.constant(b"caf\xc3\xa9").numpy() == "café".encode("utf-8")
    assert tf.constant("hello").dtype == tf.string


def test_inverted_string_lookup_answers_numpy_like_a_string_tensor():
    # the text-generation tutorial: chars_from_ids(ids).numpy(), one id at a time and in batches
    ids_from_chars = layers.StringLookup(vocabulary=list("abc"), mask_token=None)
    chars_from_ids = layers.StringLookup(vocabulary=ids_from_chars.get_vocabulary(), invert=True, mask_token=None)
    ids = ids_from_chars(tf.constant(["a", "c"]))
    assert chars_from_ids(ids[1]).numpy().decode("utf-8") == "c"
    batch = chars_from_ids(tf.constant([[1, 2], [3, 0]]))
    assert batch == [["a", "b"], ["c", "[UNK]"]]  # Keras 3's lists of str
    assert batch.numpy().tolist() == [[b"a", b"b"], [b"c", b"[UNK]"]]
    assert batch.shape == (2, 2) and batch[0].numpy().tolist() == [b"a", b"b"]
