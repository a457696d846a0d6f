"""`keras.preprocessing.text` (Keras 1/2, removed in Keras 3): Tokenizer,
text_to_word_sequence, one_hot and hashing_trick, enough for the classic "fit_on_texts -> texts_to_sequences ->
pad_sequences" tutorials. Counting and ordering follow Keras 2: word_index ranks words by
frequency (ties keep first-seen order), index 0 is reserved, `num_words` keeps the
num_words - 1 most frequent words."""
import hashlib
import warnings
from collections import OrderedDict

import numpy as np

__all__ = ["Tokenizer", "text_to_word_sequence", "one_hot", "hashing_trick"]

DEFAULT_FILTERS = '!"#$%&()*+,-./:;<=>?@[\\]^_`{|}~\t\n'


def text_to_word_sequence(text, filters=DEFAULT_FILTERS, lower=True, split=" "):
    if lower:
        text = text.lower()
    text = text.translate(str.maketrans({c: split for c in filters}))
    return [w for w in text.split(split) if w]


def hashing_trick(text, n, hash_function=None, filters=DEFAULT_FILTERS, lower=True, split=" "):
    """Word indices in [1, n - 1] from a hash of each word (0 stays free for padding).
    `hash_function` None is Python's `hash` (salted per process for str, as in Keras), 'md5' a
    stable hash, or any callable."""
    if hash_function is None:
        hash_function = hash
    elif hash_function == "md5":
        def hash_function(word):
            return int(hashlib.md5(word.encode()).hexdigest(), 16)
    words = text_to_word_sequence(text, filters=filters, lower=lower, split=split)
    return [hash_function(w) % (n - 1) + 1 for w in words]


def one_hot(text, n, filters=DEFAULT_FILTERS, lower=True, split=" ", analyzer=None):
    """Keras's `one_hot`: despite the name, integer word indices from `hashing_trick` with `hash`."""
    if analyzer is not None:
        return [hash(w) % (n - 1) + 1 for w in analyzer(text)]
    return hashing_trick(text, n, hash_function=hash, filters=filters, lower=lower, split=split)


class Tokenizer:
    def __init__(self, num_words=None, filters=DEFAULT_FILTERS, lower=True, split=" ", char_level=False,
                 oov_token=None, analyzer=None, **kwargs):
        if "nb_words" in kwargs:  # Keras 1
            warnings.warn("The `nb_words` argument in `Tokenizer` has been renamed `num_words`.", stacklevel=2)
            num_words = kwargs.pop("nb_words")
        kwargs.pop("document_count", None)  # in Keras 2's saved tokenizer configs
        if kwargs:
            raise TypeError(f"Unrecognized keyword arguments: {kwargs}")
        self.num_words, self.filters, self.lower, self.split = num_words, filters, lower, split
        self.char_level, self.oov_token, self.analyzer = char_level, oov_token, analyzer
        self.word_counts = OrderedDict()
        self.word_docs = {}
        self.document_count = 0
        self.word_index, self.index_word = {}, {}

    def _words(self, text):
        if self.char_level:
            return list(text.lower() if self.lower else text)
        if self.analyzer is not None:
            return list(self.analyzer(text))  # Keras passes the raw text
        return text_to_word_sequence(text, self.filters, self.lower, self.split)

    def fit_on_texts(self, texts):
        for text in texts:
            self.document_count += 1
            words = self._words(text) if isinstance(text, str) else list(text)
            for w in words:
                self.word_counts[w] = self.word_counts.get(w, 0) + 1
            for w in set(words):
                self.word_docs[w] = self.word_docs.get(w, 0) + 1
        ranked = sorted(self.word_counts.items(), key=lambda kv: kv[1], reverse=True)  # stable: ties keep order
        vocab = ([self.oov_token] if self.oov_token is not None else []) + [w for w, _ in ranked]
        self.word_index = {w: i for i, w in enumerate(vocab, start=1)}
        self.index_word = {i: w for w, i in self.word_index.items()}

    def _keep(self, index):
        return not self.num_words or index < self.num_words

    def texts_to_sequences(self, texts):
        oov = self.word_index.get(self.oov_token) if self.oov_token is not None else None
        out = []
        for text in texts:
            seq = []
            for w in (self._words(text) if isinstance(text, str) else text):
                i = self.word_index.get(w)
                if i is not None and self._keep(i):
                    seq.append(i)
                elif oov is not None:
                    seq.append(oov)
            out.append(seq)
        return out

    def sequences_to_texts(self, sequences):
        return [" ".join(self.index_word[i] for i in seq if i in self.index_word and self._keep(i))
                for seq in sequences]

    def texts_to_matrix(self, texts, mode="binary"):
        return self.sequences_to_matrix(self.texts_to_sequences(texts), mode=mode)

    def sequences_to_matrix(self, sequences, mode="binary"):
        n = self.num_words or len(self.word_index) + 1
        out = np.zeros((len(sequences), n))
        for row, seq in enumerate(sequences):
            counts = {}
            for i in seq:
                if i < n:
                    counts[i] = counts.get(i, 0) + 1
            for i, c in counts.items():
                if mode == "binary":
                    out[row, i] = 1
                elif mode == "count":
                    out[row, i] = c
                elif mode == "freq":
                    out[row, i] = c / len(seq)
                elif mode == "tfidf":
                    idf = np.log(1 + self.document_count / (1 + self.word_docs.get(self.index_word.get(i), 0)))
                    out[row, i] = (1 + np.log(c)) * idf
                else:
                    raise ValueError(f"Tokenizer: unknown mode {mode!r}; expected binary, count, freq or tfidf.")
        return out
