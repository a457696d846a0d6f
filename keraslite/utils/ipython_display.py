"""A headless stand-in for `IPython.display`, used by `python -m keraslite` only when the real
IPython cannot be imported. Tutorials end with `SVG(model_to_dot(model).create(...))` or
`display(df)`; in a script those should not fail, and `display` prints a short line.

Owns SVG, Image, HTML, Markdown, display and get_ipython (None: no interactive shell);
nothing else of IPython is provided.
"""
import os
import sys

__all__ = ["SVG", "Image", "HTML", "Markdown", "display", "clear_output", "get_ipython"]

# Libraries probe IPython's version before asking it for a shell (matplotlib's pyplot does on
# its first figure); a recent one makes them skip the shell integration this stand-in lacks.
version_info = (8, 24, 0, "")
__version__ = "8.24.0"


class _DisplayObject:
    kind = "object"

    def __init__(self, data=None, url=None, filename=None, **kwargs):
        if isinstance(data, str) and filename is None and len(data) < 4096 and os.path.isfile(data):
            data, filename = None, data  # Image("model.png"): a file name, as IPython reads it
        if data is None and filename is not None:
            with open(filename, "rb") as f:
                data = f.read()
        self.data = data
        self.url = url
        self.filename = filename

    def _size(self):
        return f"{len(self.data)} bytes" if self.data is not None else (self.url or "no data")

    def __repr__(self):
        return f"<{type(self).__name__} {self.kind}: {self._size()}>"


class SVG(_DisplayObject):
    kind = "image/svg+xml"

    def __init__(self, data=None, url=None, filename=None, **kwargs):
        if isinstance(data, bytes):
            data = data.decode("utf-8", errors="replace")
        super().__init__(data, url, filename)

    def _repr_svg_(self):
        return self.data


class Image(_DisplayObject):
    kind = "image"


class HTML(_DisplayObject):
    kind = "text/html"

    def _repr_html_(self):
        return self.data


class Markdown(_DisplayObject):
    kind = "text/markdown"


def display(*objs, **kwargs):
    """Print a one-line description of each object (there is no notebook to render into)."""
    for obj in objs:
        print(repr(obj) if isinstance(obj, _DisplayObject) else obj, file=sys.stdout)


def clear_output(wait=False):
    return None


def get_ipython():
    """None, as in plain Python: there is no interactive shell."""
    return None
