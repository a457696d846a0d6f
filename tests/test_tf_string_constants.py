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
