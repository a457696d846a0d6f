"""Reading the dataset files safely: .npz archives whose ragged sequences are pickled object
arrays (imdb, reuters) and the pickled CIFAR batches, without executing arbitrary pickles."""
import io
import pickle
import zipfile

import numpy as np

ORIGIN = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"

_ALLOWED = {
    ("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
    ("numpy.core.multiarray", "scalar"), ("numpy._core.multiarray", "scalar"),
    ("numpy", "ndarray"), ("numpy", "dtype"), ("builtins", "list"), ("builtins", "dict"),
    ("collections", "OrderedDict"),
}


class RestrictedUnpickler(pickle.Unpickler):
    """Unpickles numpy arrays, lists and dicts only."""

    def find_class(self, module, name):
        if (module, name) in _ALLOWED:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"Refusing to unpickle {module}.{name} from a dataset file: only numpy "
                                     "arrays, lists and dicts are allowed.")


def _read_npy(buffer):
    version = np.lib.format.read_magic(buffer)
    shape, fortran, dtype = (np.lib.format.read_array_header_1_0(buffer) if version == (1, 0)
                             else np.lib.format.read_array_header_2_0(buffer))
    if dtype.hasobject:
        array = RestrictedUnpickler(buffer, encoding="latin1").load()
        return np.asarray(array, dtype=object).reshape(shape) if not isinstance(array, np.ndarray) else array
    data = np.frombuffer(buffer.read(), dtype=dtype)
    return data.reshape(shape, order="F" if fortran else "C").copy()


def load_npz(path):
    """{name: array} of an .npz file; object arrays are read with the restricted unpickler."""
    arrays = {}
    with zipfile.ZipFile(path) as archive:
        for member in archive.namelist():
            if member.endswith(".npy"):
                with archive.open(member) as raw:
                    arrays[member[:-4]] = _read_npy(io.BytesIO(raw.read()))
    return arrays


def load_pickle(path):
    with open(path, "rb") as f:
        return RestrictedUnpickler(f, encoding="bytes").load()


def remove_long_seq(maxlen, seqs, labels):
    """Keep only (sequence, label) pairs with len(sequence) < maxlen, as Keras does."""
    kept = [(s, l) for s, l in zip(seqs, labels) if len(s) < maxlen]
    return [s for s, _ in kept], [l for _, l in kept]


def index_words(xs, start_char, index_from):
    """Shared by imdb and reuters: shift word indices, add the start mark, cut the vocabulary."""
    if start_char is not None:
        xs = [[start_char] + [w + index_from for w in x] for x in xs]
    elif index_from:
        xs = [[w + index_from for w in x] for x in xs]
    else:
        xs = [list(x) for x in xs]
    return xs


def limit_vocab(xs, num_words, skip_top, oov_char):
    if not num_words:
        num_words = max(max(x) for x in xs if len(x)) if xs else 0
    if oov_char is not None:
        return [[w if skip_top <= w < num_words else oov_char for w in x] for x in xs]
    return [[w for w in x if skip_top <= w < num_words] for x in xs]


def object_array(lists):
    # np.array(..., dtype=object) exactly as Keras does it: when every sequence has the same
    # length the result is 2-D, which is what Keras users get too.
    return np.array(lists, dtype="object")


def source(url, file_hash):
    """(origin, file_hash) to download from. $KERASLITE_DATASETS_MIRROR (a base URL such as
    file:///data/keras-datasets/ or an http mirror) replaces Keras's servers: files are then
    taken from <mirror>/<file name> and the published hashes are not enforced."""
    import os

    mirror = os.environ.get("KERASLITE_DATASETS_MIRROR")
    if not mirror:
        return url, file_hash
    return mirror.rstrip("/") + "/" + url.rsplit("/", 1)[-1], None


def fetch(fname, url, file_hash=None, **kwargs):
    """get_file from Keras's URL (or the mirror, see `source`)."""
    from keraslite.utils.file_utils import get_file

    origin, file_hash = source(url, file_hash)
    return get_file(fname=fname, origin=origin, file_hash=file_hash, **kwargs)


def shuffle_split(x, y, test_split, seed, what):
    """Keras's split of the regression datasets: shuffled with RandomState(seed), the first
    (1 - test_split) for training."""
    if not 0 <= test_split < 1:
        raise ValueError(f"{what}: test_split must be in [0, 1); received {test_split}.")
    order = np.arange(len(x))
    np.random.RandomState(seed).shuffle(order)
    x, y = x[order], y[order]
    cut = int(len(x) * (1 - test_split))
    return (np.array(x[:cut]), np.array(y[:cut])), (np.array(x[cut:]), np.array(y[cut:]))
