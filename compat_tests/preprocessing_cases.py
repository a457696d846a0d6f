"""Cases for the text/lookup/hashing layers, shared by compat_tests/test_parity_preprocessing.py
and compat_tests/fixtures/make_preprocessing_text.py.

Keras 3 runs StringLookup, IntegerLookup, TextVectorization and Hashing on TensorFlow even
with the torch backend, so real Keras can only run these cases where TensorFlow is
installed. The fixture file `fixtures/preprocessing_text.json` holds what Keras 3.15.1
(torch backend, TensorFlow 2.18) returned for every case; the parity tests compare keraslite
with it always, and with live Keras too when TensorFlow is importable.

`run_case(layers, case)` builds the layer from `layers` (keras.layers or keraslite.layers),
adapts it, calls it on each input and returns plain JSON data.
"""
import json

import numpy as np

CORPUS = [
    "The quick brown fox jumps over the lazy dog.",
    "The dog barks; the FOX runs!",
    "A quick   brown dog?\tYes: a quick brown dog.",
    "Caf\u00e9 au lait, s'il vous pla\u00eet... caf\u00e9!",
    "foo-bar foo_bar foo.bar (foo) [bar] {baz} 'quoted' \"double\"",
    "zebra yak xylophone walrus",
    "",
]
QUERIES = [
    "the lazy fox and the unknown cat",
    "CAF\u00c9 caf\u00e9 dog dog dog",
    "",
    "brown",
]
TOKENS = [["a", "b", "c", "a"], ["d", "a", "b", "e"], ["c", "c", "f", "g"]]
TOKEN_QUERIES = [[["a", "z", "c"], ["", "g", "b"]], ["a", "q", "d", ""], [["e"], ["zz"], [""]]]
INTS = [[12, 5, 7, 5], [5, 100, 3, 12], [7, 7, -4, 0]]
INT_QUERIES = [[[12, 99, 7], [0, -4, 3]], [5, 6, 100, 0], [[3], [42], [0]]]

# (id, class, constructor kwargs, adapt data (or None), inputs to call it on)
CASES = [
    ("tv_int", "TextVectorization", {}, CORPUS, [QUERIES, [[q] for q in QUERIES], "The Quick dog"]),
    ("tv_max_tokens_seq_len", "TextVectorization", {"max_tokens": 8, "output_sequence_length": 5}, CORPUS,
     [QUERIES]),
    ("tv_seq_len_long", "TextVectorization", {"output_sequence_length": 12}, CORPUS, [QUERIES]),
    ("tv_bigrams", "TextVectorization", {"ngrams": 2}, CORPUS, [QUERIES]),
    ("tv_ngrams_1_3_multi_hot", "TextVectorization", {"ngrams": (1, 3), "output_mode": "multi_hot"}, CORPUS,
     [QUERIES]),
    ("tv_multi_hot", "TextVectorization", {"output_mode": "multi_hot"}, CORPUS, [QUERIES, "dog dog fox"]),
    ("tv_count", "TextVectorization", {"output_mode": "count", "max_tokens": 10}, CORPUS, [QUERIES]),
    ("tv_count_padded", "TextVectorization", {"output_mode": "count", "max_tokens": 40, "pad_to_max_tokens": True},
     CORPUS, [QUERIES]),
    ("tv_tf_idf", "TextVectorization", {"output_mode": "tf_idf"}, CORPUS, [QUERIES]),
    ("tv_tf_idf_padded", "TextVectorization", {"output_mode": "tf_idf", "max_tokens": 30, "pad_to_max_tokens": True},
     CORPUS, [QUERIES]),
    ("tv_lower_only", "TextVectorization", {"standardize": "lower"}, CORPUS, [QUERIES]),
    ("tv_strip_only", "TextVectorization", {"standardize": "strip_punctuation"}, CORPUS, [QUERIES]),
    ("tv_no_standardize", "TextVectorization", {"standardize": None}, CORPUS, [QUERIES]),
    ("tv_characters", "TextVectorization", {"split": "character", "max_tokens": 15}, CORPUS, [QUERIES]),
    ("tv_no_split", "TextVectorization", {"split": None}, [[c] for c in CORPUS[:3]] + [["the dog barks the fox runs"]],
     [[[q] for q in QUERIES] + [["the dog barks the fox runs"]]]),
    ("tv_no_split_one_hot", "TextVectorization", {"split": None, "output_mode": "one_hot"},
     ["cat", "dog", "dog", "bird"], [[["dog"], ["cat"], ["fish"]], ["bird", "dog"]]),
    ("tv_vocabulary", "TextVectorization", {"vocabulary": ["fox", "dog", "the", "quick"]}, None, [QUERIES]),
    ("tv_vocabulary_tf_idf", "TextVectorization",
     {"vocabulary": ["fox", "dog", "the"], "idf_weights": [0.5, 1.5, 0.25], "output_mode": "tf_idf"}, None,
     [QUERIES]),
    ("sl_int", "StringLookup", {}, TOKENS, TOKEN_QUERIES),
    ("sl_mask", "StringLookup", {"mask_token": ""}, TOKENS, TOKEN_QUERIES),
    ("sl_two_oov", "StringLookup", {"num_oov_indices": 2}, TOKENS,
     TOKEN_QUERIES + [["hello", "world", "zebra", "q", "x", "y", "1", "a"]]),
    ("sl_max_tokens", "StringLookup", {"max_tokens": 4}, TOKENS, TOKEN_QUERIES[:2]),
    ("sl_one_hot", "StringLookup", {"output_mode": "one_hot"}, TOKENS, [["a", "z", "g"], [["b"], ["c"]]]),
    ("sl_multi_hot", "StringLookup", {"output_mode": "multi_hot"}, TOKENS, [[["a", "z", "c"], ["g", "g", "b"]]]),
    ("sl_count_mask", "StringLookup", {"output_mode": "count", "mask_token": ""}, TOKENS,
     [[["a", "a", "c"], ["", "z", "z"]]]),
    ("sl_tf_idf", "StringLookup", {"output_mode": "tf_idf"}, TOKENS, [[["a", "a", "c"], ["g", "z", "b"]]]),
    ("sl_vocabulary", "StringLookup", {"vocabulary": ["x", "y", "z"]}, None, [["y", "q", "x"]]),
    ("sl_vocabulary_with_specials", "StringLookup", {"vocabulary": ["", "[UNK]", "x", "y"], "mask_token": ""}, None,
     [["y", "q", "", "x"]]),
    ("sl_invert", "StringLookup", {"vocabulary": ["x", "y", "z"], "invert": True}, None, [[0, 1, 2, 3, 7]]),
    ("sl_invert_mask", "StringLookup", {"vocabulary": ["x", "y", "z"], "invert": True, "mask_token": ""}, None,
     [[0, 1, 2, 3, 4]]),
    ("il_int", "IntegerLookup", {}, INTS, INT_QUERIES),
    ("il_mask", "IntegerLookup", {"mask_token": 0}, INTS, INT_QUERIES),
    ("il_three_oov", "IntegerLookup", {"num_oov_indices": 3}, INTS, INT_QUERIES),
    ("il_farmhash_oov", "IntegerLookup", {"num_oov_indices": 2, "oov_method": "farmhash"}, INTS, INT_QUERIES),
    ("il_one_hot", "IntegerLookup", {"output_mode": "one_hot"}, INTS, [[5, 99, 12], [[7], [3]]]),
    ("il_multi_hot", "IntegerLookup", {"output_mode": "multi_hot", "max_tokens": 5}, INTS, [[[5, 99, 12], [7, 7, 3]]]),
    ("il_count", "IntegerLookup", {"output_mode": "count"}, INTS, [[[5, 5, 12], [7, 7, 7]]]),
    ("il_vocabulary", "IntegerLookup", {"vocabulary": [10, 20, 30]}, None, [[20, 5, 10, 30]]),
    ("il_invert", "IntegerLookup", {"vocabulary": [10, 20, 30], "invert": True}, None, [[0, 1, 2, 3, 9]]),
    ("hash_strings", "Hashing", {"num_bins": 7}, None, [["a", "b", "hello world", "", "[UNK]"], [["x"], ["y"]]]),
    ("hash_ints", "Hashing", {"num_bins": 5}, None, [[1, 2, 3, -7, 123456789], [[0], [10]]]),
    ("hash_mask", "Hashing", {"num_bins": 4, "mask_value": ""}, None, [["a", "", "b", "c", "long string here"]]),
    ("hash_int_mask", "Hashing", {"num_bins": 4, "mask_value": 0}, None, [[0, 1, 2, 0, 3]]),
    ("hash_one_hot", "Hashing", {"num_bins": 6, "output_mode": "one_hot"}, None, [[["a"], ["b"], ["c"]]]),
    ("hash_multi_hot", "Hashing", {"num_bins": 6, "output_mode": "multi_hot"}, None, [[["a", "b"], ["c", "c"]]]),
    ("hash_count", "Hashing", {"num_bins": 6, "output_mode": "count"}, None, [[["a", "a"], ["c", "b"]]]),
]

CASE_IDS = [c[0] for c in CASES]


def _plain(value):
    """Layer output -> (dtype name, JSON value)."""
    if isinstance(value, list):
        return "list", json.loads(json.dumps(value, default=str))
    if isinstance(value, str):
        return "str", value
    try:
        import torch

        if isinstance(value, torch.Tensor):
            value = value.detach().cpu().numpy()
    except ImportError:
        pass
    if hasattr(value, "numpy") and not isinstance(value, np.ndarray):
        value = value.numpy()
    value = np.asarray(value)
    return str(value.dtype), value.tolist()


def _config(config):
    out = {}
    for k, v in config.items():
        if k == "name":  # default names count layers made so far in the session
            continue
        if k == "dtype":
            v = v.get("config", {}).get("name") if isinstance(v, dict) else v
        out[k] = json.loads(json.dumps(v, default=str))
    return out


def run_case(layers, case):
    """Results of one case as JSON data: vocabulary, outputs (dtype, shape, values), config."""
    _, cls, kwargs, adapt_data, inputs = case
    kwargs = dict(kwargs)
    layer = getattr(layers, cls)(**kwargs)
    if adapt_data is not None:
        layer.adapt(adapt_data)
    result = {}
    if hasattr(layer, "get_vocabulary"):
        result["vocabulary"] = [str(v) if not isinstance(v, (int, np.integer)) else int(v)
                                for v in layer.get_vocabulary()]
        result["vocabulary_size"] = int(layer.vocabulary_size())
    outputs = []
    for x in inputs:
        arg = x if isinstance(x, str) else np.array(x, dtype=object if _has_str(x) else None)
        if isinstance(arg, np.ndarray) and arg.dtype == object:
            arg = arg.astype(str)
        dtype, value = _plain(layer(arg))
        outputs.append({"dtype": dtype, "shape": list(np.shape(value)) if dtype != "list" else None, "value": value})
    result["outputs"] = outputs
    result["config"] = _config(layer.get_config())
    return result


def _has_str(x):
    while isinstance(x, list) and x:
        x = x[0]
    return isinstance(x, str)
