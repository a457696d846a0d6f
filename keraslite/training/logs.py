"""The logs dict that fit/evaluate hand to callbacks and History keeps.

Keras 2.0-2.2 logged `metrics=['accuracy']` as 'acc' ('val_acc', 'dense_1_acc'); Keras 2.3 and
later log it as 'accuracy'. Tutorials of both eras read their own spelling back:
`history.history['acc']`, `ModelCheckpoint('w-{val_acc:.2f}.hdf5', monitor='val_acc')`,
`logs.get('acc')` in a callback. keraslite logs the name the user gave, and `Logs` answers a
lookup of the other spelling from the same entry. Iteration, `keys()` and printing show only
the logged names, so the logs still equal Keras's.
"""

__all__ = ["Logs", "other_spelling"]


def other_spelling(key):
    """The Keras 2.2 / 2.3+ counterpart of an accuracy log name, or None."""
    if not isinstance(key, str):
        return None
    if key.endswith("accuracy"):
        return key[:-len("accuracy")] + "acc"
    if key.endswith("acc"):
        return key[:-len("acc")] + "accuracy"
    return None


class Logs(dict):
    """A dict whose lookups also find an accuracy entry under its other Keras spelling."""

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
