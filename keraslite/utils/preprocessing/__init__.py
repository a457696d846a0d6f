"""`keras.preprocessing` (Keras 1/2 module path): sequence (pad_sequences) and text (Tokenizer)."""
from keraslite.utils.preprocessing import sequence, text  # noqa: F401
