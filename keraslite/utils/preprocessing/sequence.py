"""pad_sequences (`keras.utils.pad_sequences`, `keras.preprocessing.sequence.pad_sequences`):
lists of variable-length sequences -> one padded numpy array. Owns nothing else."""
import numpy as np

__all__ = ["pad_sequences"]


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
