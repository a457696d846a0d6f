"""`python -m keraslite SCRIPT [ARGS]` (and the `keraslite` console script): run a Keras
tutorial unchanged on keraslite.

Owns the command line, the notebook-to-script source transform (IPython magics such as
`%matplotlib inline` and shell escapes such as `!pip install keras` become `pass`, line numbers
kept) and running the code as `__main__` with runpy.run_path semantics: sys.argv is
[SCRIPT, *ARGS] and the script's folder is first on sys.path. A Jupyter notebook (.ipynb)
runs as the script of its code cells. The aliases themselves
(`import keras` -> keraslite) live in keraslite.compat.aliases.
"""
import json
import linecache
import os
import re
import sys
import traceback
import types
import warnings

USAGE = """usage: python -m keraslite SCRIPT [ARGS ...]        (SCRIPT: a .py file or a .ipynb notebook)
       python -m keraslite -c CODE [ARGS ...]
       python -m keraslite -m MODULE [ARGS ...]

Runs Keras code (Keras 1, Keras 2 / tf.keras or Keras 3) on keraslite: `import keras`,
`import tensorflow as tf` and `from tensorflow.python.keras ... import ...` resolve to
keraslite. IPython magics (%...) and shell escapes (!...) pasted from notebooks are skipped.

options:
  -c CODE        run CODE (a string) as the program
  -m MODULE      run library module MODULE as a script
  --version      print keraslite's version and exit
  -h, --help     show this message and exit
"""

# A line that is only an IPython magic (%, %%) or a shell escape (!), possibly indented.
_MAGIC = re.compile(r"^(?P<indent>[ \t]*)(?P<magic>%%?[A-Za-z_]|![^=])")
# `files = !ls` style assignments from a shell escape.
_SHELL_ASSIGN = re.compile(r"^(?P<indent>[ \t]*)[A-Za-z_][\w, ]*=\s*![^=]")


def _skip_line(line):
    match = _MAGIC.match(line) or _SHELL_ASSIGN.match(line)
    if not match:
        return None
    ending = "\n" if line.endswith("\n") else ""
    return f"{match.group('indent')}pass  # skipped notebook line: {line.strip()[:60]}{ending}"


def transform_source(source):
    """Turn notebook-pasted code into Python: each magic / shell-escape line becomes `pass`
    with the same indentation (so blocks stay valid and line numbers do not move).

    Only lines the compiler rejects are rewritten, one at a time, so a `%` or `!` line inside
    a string or a continued expression is never touched. Source that already compiles is
    returned unchanged; source with other syntax errors is left for the compiler to report."""
    lines = source.splitlines(keepends=True)
    for _ in range(len(lines) + 1):
        try:
            compile("".join(lines), "<check>", "exec", dont_inherit=True)
            return "".join(lines)
        except SyntaxError as err:
            index = (err.lineno or 0) - 1
            fixed = _skip_line(lines[index]) if 0 <= index < len(lines) else None
            if fixed is None:
                break
            lines[index] = fixed
    # The compiler stopped on a line that is not a magic; rewrite every magic-looking line so
    # that the error it reports next is the script's own.
    return "".join(_skip_line(line) or line for line in lines)


def _headless_defaults():
    # Plots from tutorials must not try to open a window on a machine without a display.
    if not os.environ.get("DISPLAY") and sys.platform.startswith("linux"):
        os.environ.setdefault("MPLBACKEND", "Agg")


def _old_numpy_names():
    """numpy names that tutorials of every Keras era use and that numpy removed (1.24: the
    builtin aliases np.float, np.int ...; 2.0: np.Inf, np.NaN, np.float_ ...), each the exact
    object it stood for. Only names numpy no longer has are set."""
    import numpy as np

    removed = {
        "float": float, "int": int, "bool": bool, "object": object, "str": str, "long": int, "unicode": str,
        "complex": complex, "Inf": np.inf, "Infinity": np.inf, "PINF": np.inf, "NINF": -np.inf, "NaN": np.nan,
        "NAN": np.nan, "float_": np.float64, "complex_": np.complex128, "string_": np.bytes_, "unicode_": np.str_,
        "product": np.prod, "cumproduct": np.cumprod, "alltrue": np.all, "sometrue": np.any, "row_stack": np.vstack,
    }
    for name, value in removed.items():
        if name not in np.__dict__:
            setattr(np, name, value)


def _tensorflow_scalar_reads():
    # TensorFlow programs read scalars that carry gradients (`float(loss_value)` in a training
    # loop) without a word; torch warns on each new call site. Programs run here read them as TF does.
    warnings.filterwarnings("ignore", message="Converting a tensor with requires_grad=True to a scalar",
                            category=UserWarning)
    # numpy 2 warns on `np.array(tensor)` that torch's __array__ takes no `copy` keyword;
    # TensorFlow's tensors convert without a word.
    warnings.filterwarnings("ignore", message="__array__ implementation doesn't accept a copy keyword",
                            category=DeprecationWarning)


def _children_use_aliases():
    """Python processes the program starts import `keras` / `tensorflow` as keraslite too: a
    fresh interpreter (scikit-learn's n_jobs=-1 workers, multiprocessing's "spawn" start method)
    runs keraslite/child_startup/sitecustomize.py, which installs the aliases."""
    startup = os.path.join(os.path.dirname(os.path.abspath(__file__)), "child_startup")
    entries = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p and p != startup]
    os.environ["PYTHONPATH"] = os.pathsep.join([startup, *entries])
    os.environ["KERASLITE_ALIASES"] = "1"


def _run_code(source, filename, argv, path0, module_file=None):
    from keraslite.compat.aliases import install_aliases

    install_aliases()
    _children_use_aliases()
    code = compile(transform_source(source), filename, "exec", dont_inherit=True)
    main = types.ModuleType("__main__")
    main.__dict__.update({"__name__": "__main__", "__file__": module_file, "__cached__": None,
                          "__loader__": None, "__package__": None, "__spec__": None})
    if module_file is None:
        del main.__file__
    saved_main, saved_argv, saved_path = sys.modules.get("__main__"), sys.argv[:], sys.path[:]
    sys.modules["__main__"] = main
    sys.argv = list(argv)
    sys.path.insert(0, path0)
    try:
        exec(code, main.__dict__)
    finally:
        # The script's objects live on in `main`; only the interpreter-wide state is restored.
        sys.argv, sys.path = saved_argv, saved_path
        if saved_main is not None:
            sys.modules["__main__"] = saved_main


def notebook_source(path):
    """The code cells of a Jupyter notebook (.ipynb) as one script, cells separated by a blank
    line. The text is registered with linecache so tracebacks can show the failing line."""
    with open(path, encoding="utf-8") as f:
        notebook = json.load(f)
    cells = []
    for cell in notebook.get("cells", []):
        if cell.get("cell_type") == "code":
            text = cell.get("source", "")
            cells.append("".join(text) if isinstance(text, list) else str(text))
    source = "\n\n".join(c.rstrip("\n") for c in cells) + "\n"
    linecache.cache[path] = (len(source), None, source.splitlines(keepends=True), path)
    return source


def run_path(path, args=()):
    """Run the file at `path` as __main__ with keraslite aliases (runpy.run_path semantics).
    A .ipynb notebook runs its code cells in order."""
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"keraslite: can't open file {path!r}: no such file. Give the path of a "
                                "Python script, e.g. `python -m keraslite examples/mlp.py`.")
    if path.endswith(".ipynb"):
        source = notebook_source(path)
    else:
        with open(path, "rb") as f:
            source = f.read().decode("utf-8-sig")
    _run_code(source, path, [path, *args], os.path.dirname(os.path.abspath(path)), module_file=path)


def run_string(code, args=()):
    _run_code(code, "<string>", ["-c", *args], "")


def run_module(name, args=()):
    import runpy

    from keraslite.compat.aliases import install_aliases

    install_aliases()
    _children_use_aliases()
    saved = sys.argv[:]
    sys.argv = [name, *args]
    sys.path.insert(0, os.getcwd())
    try:
        runpy.run_module(name, run_name="__main__", alter_sys=True)
    finally:
        sys.argv = saved


def _print_user_traceback(exc, filename):
    """Print the traceback starting at the user's code, not at this runner."""
    tb = exc.__traceback__
    while tb is not None and tb.tb_frame.f_code.co_filename != filename:
        tb = tb.tb_next
    traceback.print_exception(type(exc), exc, tb if tb is not None else exc.__traceback__)


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help"):
        print(USAGE, end="")
        return 0 if argv else 2
    if argv[0] == "--version":
        import keraslite

        print(f"keraslite {keraslite.__version__}")
        return 0
    _headless_defaults()
    _tensorflow_scalar_reads()
    _old_numpy_names()
    if argv[0] in ("-c", "-m"):
        if len(argv) < 2:
            print(f"keraslite: argument {argv[0]} needs a value\n\n{USAGE}", file=sys.stderr, end="")
            return 2
        target, args, filename = argv[1], argv[2:], "<string>"
        runner = run_string if argv[0] == "-c" else run_module
    elif argv[0].startswith("-") and argv[0] != "-":
        print(f"keraslite: unknown option {argv[0]}\n\n{USAGE}", file=sys.stderr, end="")
        return 2
    else:
        target, args, filename = argv[0], argv[1:], argv[0]
        runner = run_path
        if not os.path.isfile(target):
            print(f"keraslite: can't open file {target!r}: no such file.", file=sys.stderr)
            return 2
    try:
        runner(target, args)
    except SystemExit as exc:
        code = exc.code
        if code is None or isinstance(code, int):
            return code or 0
        print(code, file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except BaseException as exc:  # noqa: BLE001  (report like python does, exit 1)
        _print_user_traceback(exc, filename)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
