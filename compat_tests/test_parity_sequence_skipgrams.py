"""keras.preprocessing.sequence.skipgrams / make_sampling_table (Keras 2's word2vec helpers)
against Keras 3's copy of them (keras.src.legacy.preprocessing.sequence): both draw from
Python's `random`, so from the same generator state they give the same pairs and labels."""
import random

import numpy as np
import pytest

from compat_tests.conftest import keras  # noqa: F401  (skips when Keras is absent)
from keraslite.utils.preprocessing import sequence

legacy = pytest.importorskip("keras.src.legacy.preprocessing.sequence")


@pytest.mark.parametrize("size,factor", [(10, 1e-5), (1000, 1e-3), (1, 1e-5)])
def test_make_sampling_table(size, factor):
    np.testing.assert_allclose(sequence.make_sampling_table(size, factor), legacy.make_sampling_table(size, factor),
                               rtol=1e-12)


@pytest.mark.parametrize("kwargs", [
    {},
    {"window_size": 2, "negative_samples": 0.5, "seed": 7},
    {"window_size": 1, "categorical": True, "seed": 3},
    {"window_size": 3, "shuffle": False, "negative_samples": 2.0},
    {"window_size": 2, "sampling_table": "table", "seed": 11},
    {"negative_samples": 0, "seed": 1},
])
def test_skipgrams_matches_keras(kwargs):
    words = [int(w) for w in np.random.default_rng(0).integers(0, 20, size=40)]
    if kwargs.get("sampling_table") == "table":
        kwargs = dict(kwargs, sampling_table=sequence.make_sampling_table(20, sampling_factor=0.05))
    random.seed(123)
    expected = legacy.skipgrams(words, 20, **kwargs)
    random.seed(123)
    actual = sequence.skipgrams(words, 20, **kwargs)
    assert actual == expected


def test_skipgrams_structure_and_seeded_shuffle():
    couples, labels = sequence.skipgrams([1, 2, 3], 10, window_size=1, negative_samples=0, shuffle=False,
                                         categorical=True)
    assert couples == [[1, 2], [2, 1], [2, 3], [3, 2]] and labels == [[0, 1]] * 4
    # with a seed the shuffle is fixed: the same positive pairs come back in the same order
    first = sequence.skipgrams([1, 2, 3, 0, 4, 5], 10, negative_samples=0, seed=5)
    second = sequence.skipgrams([1, 2, 3, 0, 4, 5], 10, negative_samples=0, seed=5)
    assert first == second and all(label == 1 for label in first[1])
