"""tf.RaggedTensor, tf.strings.unicode_split / reduce_join / join and tf.SparseTensor in the
tensorflow shim, as the text-generation tutorial uses them (TensorFlow's documented results)."""
import numpy as np
import pytest
import torch

from keraslite import layers
from keraslite.compat import tensorflow_shim as tf


def test_unicode_split_gives_ragged_rows_that_lookup_layers_map():
    chars = tf.strings.unicode_split(["abcdefg", "xyz"], input_encoding="UTF-8")
    assert isinstance(chars, tf.RaggedTensor) and chars.shape == (2, None)
    assert chars.to_list() == [[b"a", b"b", b"c", b"d", b"e", b"f", b"g"], [b"x", b"y", b"z"]]
    ids_from_chars = layers.StringLookup(vocabulary=list("abcxyz"), mask_token=None)
    ids = ids_from_chars(chars)
    assert ids.to_list() == [[1, 2, 3, 0, 0, 0, 0], [4, 5, 6]]  # d..g are out of vocabulary
    padded = ids.to_tensor()
    assert isinstance(padded, torch.Tensor) and padded.tolist() == [[1, 2, 3, 0, 0, 0, 0], [4, 5, 6, 0, 0, 0, 0]]
    chars_from_ids = layers.StringLookup(vocabulary=ids_from_chars.get_vocabulary(), invert=True, mask_token=None)
    back = chars_from_ids(ids)
    assert tf.strings.reduce_join(back, axis=-1).numpy().tolist() == [b"abc[UNK][UNK][UNK][UNK]", b"xyz"]
    # one string splits into a plain vector of characters
    assert tf.strings.unicode_split("héllo", "UTF-8").numpy().tolist() == [c.encode() for c in "héllo"]


def test_reduce_join_and_join():
    grid = tf.constant([["a", "b"], ["c", "d"]])
    assert tf.strings.reduce_join(grid).numpy() == b"abcd"
    assert tf.strings.reduce_join(grid, axis=0).numpy().tolist() == [b"ac", b"bd"]
    assert tf.strings.reduce_join(grid, axis=-1, separator="-").numpy().tolist() == [b"a-b", b"c-d"]
    assert tf.strings.join([tf.constant(["x", "y"]), tf.constant(["1", "2"])], separator=":").numpy().tolist() == \
        [b"x:1", b"y:2"]


def test_ragged_constructors_and_padding():
    r = tf.RaggedTensor.from_row_lengths([1, 2, 3, 4, 5], [2, 0, 3])
    assert r.to_list() == [[1, 2], [], [3, 4, 5]]
    assert r.to_tensor(default_value=-1).tolist() == [[1, 2, -1], [-1, -1, -1], [3, 4, 5]]
    assert r.to_tensor(shape=[None, 2]).tolist() == [[1, 2], [0, 0], [3, 4]]
    assert tf.ragged.constant([[1, 2], [3]]).row_lengths().tolist() == [2, 1]
    doubled = tf.ragged.map_flat_values(lambda v: v * 2, r)
    assert doubled.to_list() == [[2, 4], [], [6, 8, 10]]
    with pytest.raises(IndexError):
        r[3]


def test_sparse_to_dense_builds_the_prediction_mask():
    mask = tf.sparse.to_dense(tf.SparseTensor(values=[-float("inf")] * 2, indices=[[0], [3]], dense_shape=[5]))
    assert mask.dtype == torch.float32
    np.testing.assert_array_equal(mask.numpy(), [-np.inf, 0, 0, -np.inf, 0])


@pytest.mark.parametrize("mode", ["multi_hot", "count", "tf_idf"])
def test_lookup_encodes_each_ragged_row(mode):
    # keras.io's multi-label classification: StringLookup(output_mode="multi_hot") adapted on
    # and applied to a tf.ragged.constant of term lists; each ragged row is one encoded row,
    # as the same rows padded with the mask token would give.
    terms = [["cs.LG"], ["cs.CV", "cs.LG", "cs.LG"], ["cs.AI", "math.ST"]]
    ragged = tf.ragged.constant(terms)
    lookup = layers.StringLookup(output_mode=mode, mask_token="", num_oov_indices=1)
    lookup.adapt(ragged)
    width = max(len(r) for r in terms)
    padded = np.array([r + [""] * (width - len(r)) for r in terms], dtype=object)
    got, want = lookup(ragged), lookup(padded)
    assert got.shape == (3, lookup.vocabulary_size())
    np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-6)
