"""String tensors in the tensorflow shim's tensor functions: comparisons and gathers on
scalar strings (StringScalar) and string arrays (StringArray), with TensorFlow's results."""
import numpy as np
import pytest
import torch


def arr(t):
    return t.detach().cpu().numpy() if isinstance(t, torch.Tensor) else np.asarray(t)


def test_equal_and_not_equal_compare_strings_elementwise(tf):
    hello = tf.constant("hello")
    out = tf.equal(hello, "hello")
    assert isinstance(out, torch.Tensor) and out.dtype == torch.bool and out.shape == ()
    assert bool(out)
    # The tf.data guide's titanic filter: the first character of a CSV line.
    assert not bool(tf.not_equal(tf.strings.substr(hello, 0, 1), "h"))
    assert bool(tf.math.not_equal(tf.strings.substr(hello, 0, 1), b"0"))
    words = tf.constant(["a", "b", "a"])
    np.testing.assert_array_equal(arr(tf.equal(words, "a")), [True, False, True])
    np.testing.assert_array_equal(arr(tf.not_equal("a", words)), [False, True, False])
    np.testing.assert_array_equal(arr(tf.equal(tf.constant([["a"], ["b"]]), words)),
                                  [[True, False, True], [False, True, False]])
    np.testing.assert_array_equal(arr(tf.equal(tf.constant([1, 2]), 2)), [False, True])  # numbers as before
    with pytest.raises(TypeError, match="string"):
        tf.equal(words, 1)
    with pytest.raises(ValueError, match="broadcast"):
        tf.equal(words, tf.constant(["a", "b"]))


def test_filter_on_a_string_comparison(tf, tmp_path):
    path = tmp_path / "lines.csv"
    path.write_text("survived,age\n0,22\n1,38\n1,26\n0,35\n")
    lines = tf.data.TextLineDataset([str(path)]).skip(1)
    survivors = lines.filter(lambda line: tf.not_equal(tf.strings.substr(line, 0, 1), "0"))
    assert list(survivors.as_numpy_iterator()) == [b"1,38", b"1,26"]


def test_gather_on_strings_gives_strings(tf):
    from keraslite.compat.tf_data import StringArray

    label_names = np.array(["down", "go", "left", "no"])
    out = tf.gather(label_names, tf.constant([1, 3]))  # the audio tutorial's ExportModel
    assert isinstance(out, StringArray)
    assert out.numpy().tolist() == [b"go", b"no"]
    class_names = ["neg", "pos"]  # the Load text tutorial: a dataset's class_names list
    out = tf.gather(class_names, tf.constant([[1], [0]]))
    assert out.shape == (2, 1) and out.numpy().tolist() == [[b"pos"], [b"neg"]]
    one = tf.gather(tf.constant(["a", "b"]), 1)
    assert one == "b" and one.numpy() == b"b"
    grid = tf.constant([["a", "b", "c"], ["d", "e", "f"]])
    assert tf.gather(grid, [2, 0], axis=1).numpy().tolist() == [[b"c", b"a"], [b"f", b"d"]]
    with pytest.raises(IndexError, match=r"\[0, 4\)"):
        tf.gather(label_names, [4])
    np.testing.assert_array_equal(arr(tf.gather(tf.constant([5, 6, 7]), [2, 0])), [7, 5])  # numbers as before
