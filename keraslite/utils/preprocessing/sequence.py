"""pad_sequences (`keras.utils.pad_sequences`, `keras.preprocessing.sequence.pad_sequences`):
lists of variable-length sequences -> one padded numpy array; Keras 2's word2vec helpers
`skipgrams` and `make_sampling_table`, and its `TimeseriesGenerator` (`keras.preprocessing.sequence.*`)."""
import random

import numpy as np

__all__ = ["pad_sequences", "skipgrams", "make_sampling_table", "TimeseriesGenerator"]


def pad_sequences(sequences, maxlen=None, dtype="int32", padding="pre", truncating="pre", value=0.0):
    """(num_samples,) list of sequences -> array (num_samples, maxlen, *item_shape).

    `padding` / `truncating` are 'pre' or 'post': where fill values go, and which end of a
    too-long sequence is cut. maxlen defaults to the longest sequence.
    """
    if not hasattr(sequences, "__len__"):
        raise ValueError("pad_sequences: `sequences` must be a list of sequences (iterables).")
    if padding not in ("pre", "post") or truncating not in ("pre", "post"):
        raise ValueError(f"pad_sequences: padding and truncating must be 'pre' or 'post'; received "
                         f"padding={padding!r}, truncating={truncating!r}.")
    lengths, sample_shape = [], ()
    for i, seq in enumerate(sequences):
        try:
            lengths.append(len(seq))
        except TypeError as e:
            raise ValueError(f"pad_sequences: sequences[{i}] is {seq!r}, which has no length; every entry "
                             "must be a sequence.") from e
        if len(seq) and not sample_shape:
            sample_shape = np.asarray(seq).shape[1:]
    if maxlen is None:
        maxlen = max(lengths) if lengths else 0
    is_text = np.issubdtype(np.dtype(dtype), np.str_) or np.issubdtype(np.dtype(dtype), np.object_)
    if isinstance(value, str) and not is_text:
        raise ValueError(f"pad_sequences: dtype {dtype!r} cannot hold the padding value {value!r}; "
                         "use dtype=object or a numeric value.")
    out = np.full((len(lengths), maxlen) + tuple(sample_shape), value, dtype=dtype)
    for i, seq in enumerate(sequences):
        if not len(seq) or maxlen == 0:
            continue
        kept = seq[-maxlen:] if truncating == "pre" else seq[:maxlen]
        kept = np.asarray(kept, dtype=dtype)
        if kept.shape[1:] != tuple(sample_shape):
            raise ValueError(f"pad_sequences: sequences[{i}] has items of shape {kept.shape[1:]}, but earlier "
                             f"items have shape {tuple(sample_shape)}.")
        if padding == "post":
            out[i, :len(kept)] = kept
        else:
            out[i, -len(kept):] = kept
    return out


def make_sampling_table(size, sampling_factor=1e-5):
    """(size,) array: the probability of keeping the word of frequency rank i in `skipgrams`,
    word2vec's min(1, sqrt(f / sampling_factor) / (f / sampling_factor)) with the frequency f of
    rank i estimated from Zipf's law (1 / (i (log i + 0.577) + 1/2 - 1 / (12 i)))."""
    rank = np.arange(size)
    rank[0] = 1  # index 0 is the padding "word"; it gets rank 1's probability
    inverse_frequency = rank * (np.log(rank) + 0.577) + 0.5 - 1.0 / (12.0 * rank)
    scaled = sampling_factor * inverse_frequency
    return np.minimum(1.0, scaled / np.sqrt(scaled))


def skipgrams(sequence, vocabulary_size, window_size=4, negative_samples=1.0, shuffle=True, categorical=False,
              sampling_table=None, seed=None):
    """Word2vec training pairs from a sequence of word indices, as Keras 2 made them.

    Returns (couples, labels): couples is a list of [word, context] lists, labels a list of
    1 (context within `window_size` of word) and 0 (a random context from 1..vocabulary_size-1,
    `negative_samples` of them per positive pair), or [0, 1] / [1, 0] with categorical=True.
    Index 0 is not a word and is skipped; with a `sampling_table`, word i is kept with
    probability sampling_table[i]. Draws come from Python's `random` module; `seed` fixes the
    final shuffle."""
    couples, labels = [], []
    for i, word in enumerate(sequence):
        if not word:
            continue
        if sampling_table is not None and sampling_table[word] < random.random():
            continue
        for j in range(max(0, i - window_size), min(len(sequence), i + window_size + 1)):
            if j != i and sequence[j]:
                couples.append([word, sequence[j]])
                labels.append([0, 1] if categorical else 1)
    if negative_samples > 0:
        count = int(len(labels) * negative_samples)
        words = [pair[0] for pair in couples]
        random.shuffle(words)
        couples += [[words[k % len(words)], random.randint(1, vocabulary_size - 1)] for k in range(count)]
        labels += [[1, 0] if categorical else 0] * count
    if shuffle:
        # Both lists shuffled by the same permutation: the generator restarted from one seed.
        if seed is None:
            seed = random.randint(0, 10_000_000)  # Keras passes 10e6, a float newer Pythons refuse; the same draw
        random.seed(seed)
        random.shuffle(couples)
        random.seed(seed)
        random.shuffle(labels)
    return couples, labels


def _sequence_base():
    from keraslite.training.data import PyDataset

    return PyDataset


class TimeseriesGenerator(_sequence_base()):
    """Keras 2's batches of sliding windows over a series (a `keras.utils.Sequence`, removed in
    Keras 3, which has `timeseries_dataset_from_array`). The sample for step `row` is
    `data[row - length:row:sampling_rate]` and its target `targets[row]`; rows run from
    `start_index + length` to `end_index` (default: the last) every `stride` steps, or are drawn
    at random with `shuffle=True`; `reverse=True` reverses each window in time."""

    def __init__(self, data, targets, length, sampling_rate=1, stride=1, start_index=0, end_index=None,
                 shuffle=False, reverse=False, batch_size=128):
        super().__init__()
        if len(data) != len(targets):
            raise ValueError(f"Data and targets have to be of same length. Data length is {len(data)} while "
                             f"target length is {len(targets)}")
        self.data, self.targets = data, targets
        self.length, self.sampling_rate, self.stride = length, sampling_rate, stride
        self.start_index = start_index + length
        self.end_index = len(data) - 1 if end_index is None else end_index
        self.shuffle, self.reverse, self.batch_size = shuffle, reverse, batch_size
        if self.start_index > self.end_index:
            raise ValueError(f"`start_index+length={self.start_index} > end_index={self.end_index}` is disallowed, "
                             "as no part of the sequence would be left to be used as current step.")

    def __len__(self):
        span = self.batch_size * self.stride
        return (self.end_index - self.start_index + span) // span

    def __getitem__(self, index):
        if self.shuffle:
            rows = np.random.randint(self.start_index, self.end_index + 1, size=self.batch_size)
        else:
            first = self.start_index + self.batch_size * self.stride * index
            rows = np.arange(first, min(first + self.batch_size * self.stride, self.end_index + 1), self.stride)
        samples = np.array([self.data[row - self.length:row:self.sampling_rate] for row in rows])
        targets = np.array([self.targets[row] for row in rows])
        return (samples[:, ::-1, ...] if self.reverse else samples), targets

    def get_config(self):
        """Keras 2's config (data and targets as lists)."""
        to_list = lambda a: np.asarray(a).tolist()  # noqa: E731
        return {"data": to_list(self.data), "targets": to_list(self.targets), "length": self.length,
                "sampling_rate": self.sampling_rate, "stride": self.stride,
                "start_index": self.start_index - self.length, "end_index": self.end_index,
                "shuffle": self.shuffle, "reverse": self.reverse, "batch_size": self.batch_size}
