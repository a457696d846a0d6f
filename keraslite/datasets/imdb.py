"""IMDB movie reviews: x = object arrays of word-index lists, y = 0/1 labels; 25000 + 25000.
Word indices are shifted by `index_from` and each review starts with `start_char`, as in Keras."""
import json

import numpy as np

from keraslite.datasets._files import (ORIGIN, fetch, index_words, limit_vocab, load_npz, object_array,
                                       remove_long_seq)

__all__ = ["load_data", "get_word_index"]


def load_data(path="imdb.npz", num_words=None, skip_top=0, maxlen=None, seed=113, start_char=1, oov_char=2,
              index_from=3, **kwargs):
    path = fetch(path, f"{ORIGIN}imdb.npz",
                 file_hash="69664113be75683a8fe16e3ed0ab59fda8886cb3cd7ada244f7d9544e4676b9f")
    f = load_npz(path)
    x_train, labels_train, x_test, labels_test = f["x_train"], f["y_train"], f["x_test"], f["y_test"]
    rng = np.random.RandomState(seed)
    order = np.arange(len(x_train))
    rng.shuffle(order)
    x_train, labels_train = x_train[order], labels_train[order]
    order = np.arange(len(x_test))
    rng.shuffle(order)
    x_test, labels_test = x_test[order], labels_test[order]

    x_train = index_words(x_train, start_char, index_from)
    x_test = index_words(x_test, start_char, index_from)
    if maxlen:
        x_train, labels_train = remove_long_seq(maxlen, x_train, labels_train)
        x_test, labels_test = remove_long_seq(maxlen, x_test, labels_test)
        if not x_train or not x_test:
            raise ValueError(f"After keeping only sequences shorter than maxlen={maxlen}, none is left. "
                             "Increase maxlen.")
    xs = limit_vocab(x_train + x_test, num_words, skip_top, oov_char)
    labels = np.concatenate([np.asarray(labels_train), np.asarray(labels_test)])
    idx = len(x_train)
    return (object_array(xs[:idx]), labels[:idx]), (object_array(xs[idx:]), labels[idx:])


def get_word_index(path="imdb_word_index.json"):
    path = fetch(path, f"{ORIGIN}imdb_word_index.json",
                 file_hash="bfafd718b763782e994055a2d397834f")
    with open(path) as f:
        return json.load(f)
