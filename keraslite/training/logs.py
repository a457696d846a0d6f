"""The logs dict that fit/evaluate hand to callbacks and History keeps.

Keras 2.0-2.2 logged some metrics under other names than Keras 2.3 and later:
`metrics=['accuracy']` as 'acc' ('val_acc', 'dense_1_acc'), `metrics=['mae']` as
'mean_absolute_error', `'mse'` as 'mean_squared_error' (and likewise mape, msle). Tutorials and
books of both eras read their own spelling back: `history.history['acc']`,
`history.history['val_mean_absolute_error']`, `ModelCheckpoint('w-{val_acc:.2f}.hdf5',
monitor='val_acc')`, `logs.get('acc')` in a callback. keraslite logs the name the user gave, and
`Logs` answers a lookup of the other spelling from the same entry. Iteration, `keys()` and
printing show only the logged names, so the logs still equal Keras's.
"""

__all__ = ["Logs", "other_spelling"]

# (Keras 2.3+ / short name, Keras 2.0-2.2 / long name)
_SPELLINGS = (("accuracy", "acc"), ("mae", "mean_absolute_error"), ("mse", "mean_squared_error"),
              ("mape", "mean_absolute_percentage_error"), ("msle", "mean_squared_logarithmic_error"),
              ("cosine", "cosine_proximity"), ("learning_rate", "lr"))  # tf.keras 2 / Keras 2.3 logged the scheduled rate as 'lr'


def other_spelling(key):
    """The Keras 2.2 / 2.3+ counterpart of a log name ('val_acc' -> 'val_accuracy',
    'mean_absolute_error' -> 'mae'), or None. Names match whole, or after a '_' prefix such as
    'val_' or an output name."""
    if not isinstance(key, str):
        return None
    for a, b in _SPELLINGS:
        for name, other in ((a, b), (b, a)):
            if key == name or key.endswith("_" + name):
                return key[:len(key) - len(name)] + other
    return None


class Logs(dict):
    """A dict whose lookups also find an entry under its other Keras spelling (see above)."""

    __slots__ = ()

    def __missing__(self, key):
        alias = other_spelling(key)
        if alias is not None and dict.__contains__(self, alias):
            return dict.__getitem__(self, alias)
        raise KeyError(key)

    def __contains__(self, key):
        if dict.__contains__(self, key):
            return True
        alias = other_spelling(key)
        return alias is not None and dict.__contains__(self, alias)

    def get(self, key, default=None):
        try:
            return self[key]
        except KeyError:
            return default
