"""A headless stand-in for `matplotlib` / `matplotlib.pyplot`, used by `python -m keraslite`
only when the real matplotlib cannot be imported.

Keras tutorials end by plotting `history.history['loss']`; in a script run without matplotlib
that should not stop the program after training. Every pyplot call is accepted and draws
nothing; the first call says so on stderr, and `savefig` says which file was not written.
Nothing here pretends to produce a figure.
"""
import sys

__version__ = "0 (keraslite headless stand-in: matplotlib is not installed)"
rcParams = {}
_warned = False


def _notice():
    global _warned
    if not _warned:
        _warned = True
        print("keraslite: matplotlib is not installed, so plots are skipped (pip install matplotlib to draw "
              "them).", file=sys.stderr)


class _Nothing:
    """A figure, axes or artist that accepts any call and attribute and draws nothing."""

    def __call__(self, *args, **kwargs):
        return _Nothing()

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return _Nothing()

    def __getitem__(self, key):
        return _Nothing()

    def __iter__(self):  # `line, = plt.plot(...)`
        return iter([_Nothing()])

    def savefig(self, fname, *args, **kwargs):
        savefig(fname)

    def __repr__(self):
        return "<keraslite headless matplotlib object (nothing is drawn)>"


def use(*args, **kwargs):
    pass


def subplots(nrows=1, ncols=1, *args, squeeze=True, **kwargs):
    _notice()
    if nrows == 1 and ncols == 1 and squeeze:
        return _Nothing(), _Nothing()
    import numpy as np

    axes = np.empty((nrows, ncols), dtype=object)
    for index in np.ndindex(axes.shape):
        axes[index] = _Nothing()
    return _Nothing(), (axes.squeeze() if squeeze else axes)


def savefig(fname, *args, **kwargs):
    _notice()
    print(f"keraslite: matplotlib is not installed; {fname} was not written.", file=sys.stderr)


def show(*args, **kwargs):
    _notice()


def __getattr__(name):
    # plot, figure, title, xlabel, legend, imshow, ...: accepted, nothing drawn.
    if name.startswith("__"):
        raise AttributeError(name)
    _notice()
    return _Nothing()
