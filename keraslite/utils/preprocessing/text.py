"""`keras.preprocessing.text` (Keras 1/2, removed in Keras 3): Tokenizer,
text_to_word_sequence, one_hot and hashing_trick, enough for the classic "fit_on_texts -> texts_to_sequences ->
pad_sequences" tutorials. Counting and ordering follow Keras 2: word_index ranks words by
frequency (ties keep first-seen order), index 0 is reserved, `num_words` keeps the
num_words - 1 most frequent words."""
import hashlib
import json
import warnings
from collections import OrderedDict, defaultdict

import numpy as np

__all__ = ["Tokenizer", "text_to_word_sequence", "one_hot", "hashing_trick", "tokenizer_from_json"]

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
    """Keras 2's word tokenizer (keras_preprocessing): word counts, a frequency-ranked
    `word_index`, and conversions between texts, index sequences and matrices. Lists of tokens
    may stand in for texts (lowercased as texts are). `to_json()` / `tokenizer_from_json()`
    keep the whole state, in Keras 2's JSON layout."""

    def __init__(self, num_words=None, filters=DEFAULT_FILTERS, lower=True, split=" ", char_level=False,
                 oov_token=None, analyzer=None, document_count=0, **kwargs):
        if "nb_words" in kwargs:  # Keras 1
            warnings.warn("The `nb_words` argument in `Tokenizer` has been renamed `num_words`.", stacklevel=2)
            num_words = kwargs.pop("nb_words")
        if kwargs:
            raise TypeError(f"Unrecognized keyword arguments: {kwargs}")
        self.num_words, self.filters, self.lower, self.split = num_words, filters, lower, split
        self.char_level, self.oov_token, self.analyzer = char_level, oov_token, analyzer
        self.word_counts = OrderedDict()
        self.word_docs = defaultdict(int)  # as Keras 2's: a word never seen counts 0
        self.index_docs = defaultdict(int)
        self.document_count = document_count
        self.word_index, self.index_word = {}, {}

    def _words(self, text):
        if not isinstance(text, str):
            return [w.lower() for w in text] if self.lower else list(text)
        if self.char_level:
            return list(text.lower() if self.lower else text)
        if self.analyzer is not None:
            return list(self.analyzer(text))  # Keras passes the raw text
        return text_to_word_sequence(text, self.filters, self.lower, self.split)

    def fit_on_texts(self, texts):
        for text in texts:
            self.document_count += 1
            words = self._words(text)
            for w in words:
                self.word_counts[w] = self.word_counts.get(w, 0) + 1
            for w in set(words):
                self.word_docs[w] = self.word_docs.get(w, 0) + 1
        ranked = sorted(self.word_counts.items(), key=lambda kv: kv[1], reverse=True)  # stable: ties keep order
        vocab = ([self.oov_token] if self.oov_token is not None else []) + [w for w, _ in ranked]
        self.word_index = {w: i for i, w in enumerate(vocab, start=1)}
        self.index_word = {i: w for w, i in self.word_index.items()}
        self.index_docs = defaultdict(int, {self.word_index[w]: c for w, c in self.word_docs.items()})

    def fit_on_sequences(self, sequences):
        """Document frequencies of word indices (what sequences_to_matrix(mode='tfidf') needs)."""
        self.document_count += len(sequences)
        for seq in sequences:
            for i in set(seq):
                self.index_docs[i] = self.index_docs.get(i, 0) + 1

    def _keep(self, index):
        return not self.num_words or index < self.num_words

    def _oov_index(self):
        return self.word_index.get(self.oov_token) if self.oov_token is not None else None

    def texts_to_sequences_generator(self, texts):
        """One index list per text: words past `num_words` or unseen become the OOV index, or
        are dropped when there is no oov_token."""
        oov = self._oov_index()
        for text in texts:
            seq = []
            for w in self._words(text):
                i = self.word_index.get(w)
                if i is not None and self._keep(i):
                    seq.append(i)
                elif oov is not None:
                    seq.append(oov)
            yield seq

    def texts_to_sequences(self, texts):
        return list(self.texts_to_sequences_generator(texts))

    def sequences_to_texts_generator(self, sequences):
        """The inverse: indices past `num_words` or unknown become the OOV word (or are dropped)."""
        oov = self._oov_index()
        oov_word = self.index_word.get(oov) if oov is not None else None
        for seq in sequences:
            words = []
            for i in seq:
                word = self.index_word.get(i)
                if word is not None and self._keep(i):
                    words.append(word)
                elif oov_word is not None:
                    words.append(oov_word)
            yield " ".join(words)

    def sequences_to_texts(self, sequences):
        return list(self.sequences_to_texts_generator(sequences))

    def texts_to_matrix(self, texts, mode="binary"):
        return self.sequences_to_matrix(self.texts_to_sequences(texts), mode=mode)

    def sequences_to_matrix(self, sequences, mode="binary"):
        if mode not in ("binary", "count", "freq", "tfidf"):
            raise ValueError(f"Tokenizer: unknown mode {mode!r}; expected binary, count, freq or tfidf.")
        if mode == "tfidf" and not self.document_count:
            raise ValueError("Tokenizer: mode='tfidf' needs document frequencies; call fit_on_texts or "
                             "fit_on_sequences first.")
        if not self.num_words and not self.word_index:
            raise ValueError("Tokenizer.sequences_to_matrix: specify a dimension (the `num_words` argument), or "
                             "fit on some text data first (fit_on_texts); fit_on_sequences alone gives no "
                             "vocabulary size.")
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
                else:
                    idf = np.log(1 + self.document_count / (1 + self.index_docs.get(i, 0)))
                    out[row, i] = (1 + np.log(c)) * idf
        return out

    def get_config(self):
        """Keras 2's layout: settings as they are, the tables as JSON strings."""
        return {"num_words": self.num_words, "filters": self.filters, "lower": self.lower, "split": self.split,
                "char_level": self.char_level, "oov_token": self.oov_token, "document_count": self.document_count,
                "word_counts": json.dumps(self.word_counts), "word_docs": json.dumps(self.word_docs),
                "index_docs": json.dumps(self.index_docs), "index_word": json.dumps(self.index_word),
                "word_index": json.dumps(self.word_index)}

    def to_json(self, **kwargs):
        """The tokenizer as a JSON string (`json.dumps` keyword arguments pass through);
        `tokenizer_from_json` reads it back."""
        return json.dumps({"class_name": type(self).__name__, "config": self.get_config()}, **kwargs)


def tokenizer_from_json(json_string):
    """A Tokenizer from `Tokenizer.to_json()`'s string (Keras 2's format)."""
    config = dict(json.loads(json_string).get("config", {}))
    tables = {k: json.loads(config.pop(k, "{}"))
              for k in ("word_counts", "word_docs", "index_docs", "index_word", "word_index")}
    tokenizer = Tokenizer(**config)
    tokenizer.word_counts = OrderedDict(tables["word_counts"])
    tokenizer.word_docs = tables["word_docs"]
    tokenizer.index_docs = {int(k): v for k, v in tables["index_docs"].items()}  # JSON keys are strings
    tokenizer.index_word = {int(k): v for k, v in tables["index_word"].items()}
    tokenizer.word_index = tables["word_index"]
    return tokenizer
