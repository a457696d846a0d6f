"""Imported by Python's `site` module at start-up in a process started by a program that runs
under `python -m keraslite` (see keraslite/child_startup/__init__.py): installs keraslite's import
aliases when KERASLITE_ALIASES=1, after running the `sitecustomize` this one shadows, if any."""
import importlib
import os
import sys

_HERE = os.path.dirname(os.path.abspath(__file__))


def _run_shadowed_sitecustomize():
    saved_path = sys.path[:]
    this = sys.modules.pop("sitecustomize", None)
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != _HERE]
    try:
        importlib.import_module("sitecustomize")
    except ImportError as exc:
        if exc.name != "sitecustomize":
            raise
    finally:
        sys.path[:] = saved_path
        if this is not None:
            sys.modules["sitecustomize"] = this


def _install():
    _run_shadowed_sitecustomize()
    if os.environ.get("KERASLITE_ALIASES") != "1":
        return
    # keraslite itself: the folder holding the package this file is in (the parent found it
    # there, perhaps through its working directory, which a child need not share).
    root = os.path.dirname(os.path.dirname(_HERE))
    if root not in sys.path:
        sys.path.append(root)
    try:
        from keraslite.compat.aliases import install_aliases
    except ImportError:
        # Another Python (a different version, without torch) started by the program: it runs
        # as it would without keraslite instead of printing an error at every start.
        return
    install_aliases()


_install()
