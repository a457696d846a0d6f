"""tf.io.decode_csv and tf.lookup tables of the tensorflow shim (Hands-On ML's CSV pipeline
and its categorical lookups)."""
import numpy as np
import pytest
import torch

from keraslite.compat import tensorflow_shim as tf


def test_decode_csv_types_columns_by_record_defaults():
    fields = tf.io.decode_csv(b"4.2,,3.1,1.5", record_defaults=[0.0, 9.0, 0.0, tf.constant([], dtype=tf.float32)])
    assert [f.dtype for f in fields] == [torch.float32] * 4
    np.testing.assert_allclose([float(f) for f in fields], [4.2, 9.0, 3.1, 1.5], rtol=1e-6)  # "" -> its default
    batch = tf.io.decode_csv(tf.constant(['1,a,2', '3,"b,c",4']), record_defaults=[[0], [""], [0.0]])
    assert batch[0].dtype == torch.int32 and batch[0].tolist() == [1, 3]
    assert [str(v) for v in batch[1]] == ["a", "b,c"]  # quoted delimiters stay in the field
    assert batch[2].tolist() == [2.0, 4.0]
    with pytest.raises(ValueError, match="required"):
        tf.io.decode_csv(b"1,", record_defaults=[[0], tf.constant([], dtype=tf.float32)])
    with pytest.raises(ValueError, match="3 fields but record_defaults has 2"):
        tf.io.decode_csv(b"1,2,3", record_defaults=[[0], [0]])


def test_lookup_tables():
    vocab = ["<1H OCEAN", "INLAND", "NEAR OCEAN", "NEAR BAY", "ISLAND"]
    init = tf.lookup.KeyValueTensorInitializer(vocab, tf.range(len(vocab), dtype=tf.int64))
    table = tf.lookup.StaticVocabularyTable(init, num_oov_buckets=2)
    ids = table.lookup(tf.constant(["NEAR BAY", "DESERT", "INLAND", "DESERT"]))
    assert ids.dtype == torch.int64 and ids.tolist()[0] == 3 and ids.tolist()[2] == 1
    assert ids.tolist()[1] == ids.tolist()[3] and 5 <= ids.tolist()[1] < 7  # an OOV bucket, the same each time
    assert int(table.size()) == 7
    hashed = tf.lookup.StaticHashTable(tf.lookup.KeyValueTensorInitializer(tf.constant(["a", "b"]),
                                                                           tf.constant([1, 2])), default_value=-1)
    assert hashed.lookup(tf.constant([["a", "z"], ["b", "a"]])).tolist() == [[1, -1], [2, 1]]


def test_decode_csv_keeps_float64_defaults_and_raises_tf_errors():
    assert tf.io.decode_csv(b"1.5", record_defaults=[tf.constant(np.nan, dtype=tf.float64)])[0].dtype == torch.float64
    with pytest.raises(tf.errors.InvalidArgumentError):
        tf.io.decode_csv(b"1,2,3", record_defaults=[[0], [0]])
    with pytest.raises(ValueError):  # an InvalidArgumentError is a ValueError too
        tf.io.decode_csv(b"1,2,3", record_defaults=[[0], [0]])
    assert str(tf.errors.InvalidArgumentError(None, None, "bad shape")) == "bad shape"  # TF's (node_def, op, message)


def test_hands_on_ml_review_preprocessing():
    # substr, regex_replace with bytes patterns, split of a batch into a RaggedTensor, to_tensor.
    batch = tf.constant([b"It's a great, great movie!<br />I loved it.", b"It was terrible, run away!!!"])
    text = tf.strings.substr(batch, 0, 300)
    text = tf.strings.regex_replace(text, rb"<br\s*/?>", b" ")
    text = tf.strings.regex_replace(text, b"[^a-zA-Z']", b" ")
    words = tf.strings.split(text)
    assert type(words).__name__ == "RaggedTensor" and len(words) == 2
    padded = words.to_tensor(default_value=b"<pad>")
    assert [str(w) for w in padded[0]] == ["It's", "a", "great", "great", "movie", "I", "loved", "it"]
    assert [str(w) for w in padded[1]][-3:] == ["<pad>"] * 3
    assert [str(v) for v in tf.strings.substr(tf.constant(["abcdef"]), 1, 3)] == ["bcd"]
