"""`python -m keraslite`: the notebook-line transform, runpy-like script running, -c, exit codes."""
import os
import subprocess
import sys
import textwrap

import pytest

from keraslite.__main__ import main, transform_source

from tests.programs import ENV, ROOT, run_keraslite as run  # noqa: F401


def test_transform_skips_magics_and_shell_escapes_keeping_lines():
    source = textwrap.dedent("""\
        %matplotlib inline
        !pip install keras
        x = 1
        if x:
            %time y = 2
            !ls
        files = !ls
        %%capture
        print(x)
        """)
    out = transform_source(source)
    assert len(out.splitlines()) == len(source.splitlines())
    compile(out, "<t>", "exec")
    lines = out.splitlines()
    assert lines[0].startswith("pass") and lines[1].startswith("pass")
    assert lines[2] == "x = 1" and lines[4].startswith("    pass") and lines[5].startswith("    pass")
    assert lines[6].startswith("pass") and lines[7].startswith("pass") and lines[8] == "print(x)"


def test_transform_leaves_magic_looking_lines_inside_strings_alone():
    source = 'text = """\n%not a magic\n!nor this\n"""\n%matplotlib inline\nprint(text)\n'
    out = transform_source(source).splitlines()
    assert out[1] == "%not a magic" and out[2] == "!nor this" and out[4].startswith("pass")


def test_transform_leaves_valid_python_alone():
    source = "x = (10\n  % 3)\ny = x != 1\n"
    assert transform_source(source) == source


def test_runs_script_as_main_with_argv_and_script_dir_on_path(tmp_path):
    (tmp_path / "helper.py").write_text("VALUE = 41\n")
    (tmp_path / "prog.py").write_text(textwrap.dedent("""\
        %matplotlib inline
        import sys
        from helper import VALUE
        print("argv", sys.argv)
        print("main", __name__, VALUE + 1)
        """))
    out = run([str(tmp_path / "prog.py"), "a", "--b"], cwd="/")
    assert out.returncode == 0, out.stderr
    assert f"argv ['{tmp_path / 'prog.py'}', 'a', '--b']" in out.stdout
    assert "main __main__ 42" in out.stdout


def test_aliases_active_in_scripts(tmp_path):
    script = tmp_path / "k.py"
    script.write_text("import keras, keraslite\nprint(keras.layers.Dense is keraslite.layers.Dense)\n")
    out = run([str(script)])
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "True"


def test_python_processes_the_program_starts_use_the_aliases_too(tmp_path):
    """A fresh interpreter the program starts (joblib's workers behind scikit-learn's n_jobs=-1,
    multiprocessing's "spawn", a subprocess of sys.executable) imports keras as keraslite; a
    sitecustomize of the user's own still runs there."""
    own_site = tmp_path / "own_site"
    own_site.mkdir()
    (own_site / "sitecustomize.py").write_text("import os\nos.environ['OWN_SITECUSTOMIZE_RAN'] = '1'\n")
    (tmp_path / "prog.py").write_text(textwrap.dedent("""\
        import multiprocessing, os, subprocess, sys

        def dense_module(_=None):
            import keras
            return keras.layers.Dense.__module__ + " " + os.environ.get("OWN_SITECUSTOMIZE_RAN", "0")

        if __name__ == "__main__":
            code = "import keras, os; print(keras.layers.Dense.__module__, os.environ.get('OWN_SITECUSTOMIZE_RAN'))"
            print("subprocess", subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                               check=True).stdout.strip())
            with multiprocessing.get_context("spawn").Pool(1) as pool:
                print("spawn", pool.map(dense_module, [0])[0])
        """))
    env = dict(ENV, PYTHONPATH=os.pathsep.join([str(own_site), ENV["PYTHONPATH"]]))
    env.pop("OWN_SITECUSTOMIZE_RAN", None)
    out = subprocess.run([sys.executable, "-m", "keraslite", str(tmp_path / "prog.py")], capture_output=True,
                         text=True, stdin=subprocess.DEVNULL, cwd=tmp_path, env=env, timeout=300)
    assert out.returncode == 0, out.stderr
    assert "subprocess keraslite.layers.core 1" in out.stdout, out.stdout
    assert "spawn keraslite.layers.core 1" in out.stdout, out.stdout


def test_dash_c_and_exit_codes():
    out = run(["-c", "import sys; from keras.layers import Dense; print(sys.argv, Dense.__module__)", "x"])
    assert out.returncode == 0, out.stderr
    assert "['-c', 'x'] keraslite.layers" in out.stdout
    assert run(["-c", "import sys; sys.exit(3)"]).returncode == 3


def test_dash_m_runs_a_module_with_aliases(tmp_path):
    (tmp_path / "tutorial_mod.py").write_text("import sys\nfrom keras.models import Sequential\n"
                                              "print(__name__, sys.argv[1:], Sequential.__module__)\n")
    out = run(["-m", "tutorial_mod", "z"], cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert "__main__ ['z'] keraslite.models.sequential" in out.stdout


def test_runs_notebook_code_cells(tmp_path):
    import json

    cells = [{"cell_type": "markdown", "source": ["# title"]},
             {"cell_type": "code", "source": ["%matplotlib inline\n", "from keras.layers import Dense\n"]},
             {"cell_type": "code", "source": "x = 2\nprint('cells', x, Dense.__module__)"},
             {"cell_type": "code", "source": ["raise RuntimeError('in cell 3')"]}]
    nb = tmp_path / "tutorial.ipynb"
    nb.write_text(json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    out = run([str(nb)])
    assert out.returncode == 1
    assert "cells 2 keraslite.layers" in out.stdout
    assert "raise RuntimeError('in cell 3')" in out.stderr and "RuntimeError: in cell 3" in out.stderr


def test_exception_exits_1_with_traceback_at_user_line(tmp_path):
    script = tmp_path / "bad.py"
    script.write_text("%matplotlib inline\n!pip install keras\n\nraise ValueError('boom')\n")
    out = run([str(script)])
    assert out.returncode == 1
    assert f'File "{script}", line 4' in out.stderr and "ValueError: boom" in out.stderr
    assert "__main__.py" not in out.stderr  # the runner's own frames are not shown


def test_missing_script_and_usage():
    out = run(["/no/such/script.py"])
    assert out.returncode == 2 and "no such file" in out.stderr
    assert main([]) == 2
    assert main(["--help"]) == 0
    assert main(["--bogus"]) == 2


def test_version(capsys):
    import keraslite

    assert main(["--version"]) == 0
    assert keraslite.__version__ in capsys.readouterr().out


def test_console_script_entry_point_is_main():
    import tomllib

    with open(os.path.join(ROOT, "pyproject.toml"), "rb") as f:
        scripts = tomllib.load(f)["project"]["scripts"]
    assert scripts["keraslite"] == "keraslite.__main__:main"


def test_plots_without_matplotlib_are_skipped_not_fatal(tmp_path):
    """A tutorial that ends by plotting its history still runs where matplotlib is missing; with
    matplotlib installed the real one is used."""
    script = tmp_path / "plots.py"
    script.write_text(
        "import matplotlib\n"
        "matplotlib.use('Agg')\n"
        "import matplotlib.pyplot as plt\n"
        "plt.figure(figsize=(8, 4))\n"
        "plt.plot([0.9, 0.5, 0.3], label='loss')\n"
        "plt.title('model loss'); plt.xlabel('epoch'); plt.legend(['train'], loc='upper left')\n"
        "fig, axes = plt.subplots(2, 2)\n"
        "for ax in axes.flat:\n"
        "    ax.imshow([[0, 1], [1, 0]])\n"
        f"plt.savefig({str(tmp_path / 'loss.png')!r})\n"
        "plt.show()\n"
        "print('finished', matplotlib.__version__)\n")
    proc = run([str(script)])
    assert proc.returncode == 0, proc.stderr
    assert "finished" in proc.stdout
    if "headless" in proc.stdout:  # the stand-in: it says plots were skipped and no file written
        assert "matplotlib is not installed" in proc.stderr
        assert "loss.png was not written" in proc.stderr
        assert not (tmp_path / "loss.png").exists()


def test_float_of_a_loss_under_a_tape_prints_no_torch_warning(tmp_path):
    # tf.keras 2 loops print float(loss_value) for a loss that carries gradients; TensorFlow
    # reads the scalar silently, so programs run through keraslite do too.
    script = tmp_path / "loop.py"
    script.write_text(textwrap.dedent("""
        import numpy as np
        import tensorflow as tf
        from tensorflow import keras
        model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
        with tf.GradientTape() as tape:
            loss_value = tf.reduce_mean(tf.square(model(np.ones((2, 3), "float32"))))
        print("loss %.4f" % float(loss_value), "grads", len(tape.gradient(loss_value, model.trainable_weights)))
    """))
    out = run([str(script)], cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert "loss " in out.stdout and "grads 2" in out.stdout
    assert "requires_grad=True to a scalar" not in out.stderr


def test_numpy_array_of_a_tensor_prints_no_copy_keyword_warning(tmp_path):
    # numpy 2 warns that torch's __array__ takes no `copy` keyword; TensorFlow programs never saw it.
    script = tmp_path / "to_numpy.py"
    script.write_text(textwrap.dedent("""
        import numpy as np
        import tensorflow as tf
        t = tf.constant([[0.5, 1.0]]) * 255
        a, b = np.array(t), np.array(t, dtype=np.uint8)
        print("arrays", a.dtype, b.dtype)
        import warnings
        warnings.warn("another deprecation", DeprecationWarning)
    """))
    out = run([str(script)], cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert "arrays float32 uint8" in out.stdout
    assert "copy keyword" not in out.stderr
    assert "another deprecation" in out.stderr  # other warnings still show


def test_numpy_names_old_tutorials_use_are_there():
    # np.float / np.int (gone in numpy 1.24) and np.Inf / np.NaN / np.float_ (gone in numpy 2):
    # each the object it stood for.
    code = ("import numpy as np\n"
            "assert np.float is float and np.int is int and np.object is object\n"
            "assert np.Inf == np.inf and np.isnan(np.NaN) and np.NINF == -np.inf and np.float_ is np.float64\n"
            "assert np.array([1.5]).astype(np.float).dtype == np.float64 and np.product([2, 3]) == 6\n"
            "print('ok')\n")
    result = run(["-c", code])
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


def test_a_saved_custom_model_loads_back_without_custom_objects_in_its_own_program(tmp_path):
    # The tf.keras save guide: load_model("my_model") of a subclassed model defined in the script.
    script = tmp_path / "guide.py"
    script.write_text(
        "import numpy as np\n"
        "from tensorflow import keras\n"
        "class CustomModel(keras.Model):\n"
        "    def __init__(self, hidden_units):\n"
        "        super().__init__()\n"
        "        self.hidden_units = hidden_units\n"
        "        self.dense_layers = [keras.layers.Dense(u) for u in hidden_units]\n"
        "    def call(self, x):\n"
        "        for layer in self.dense_layers:\n"
        "            x = layer(x)\n"
        "        return x\n"
        "    def get_config(self):\n"
        "        return {'hidden_units': self.hidden_units}\n"
        "model = CustomModel([16, 10])\n"
        "x = np.ones((1, 5), 'float32')\n"
        "model(x)\n"
        "model.save('my_model')\n"
        "loaded = keras.models.load_model('my_model')\n"
        "print(type(loaded).__name__, np.allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0)))\n")
    result = run([str(script)], cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[-2:] == ["CustomModel", "True"]


def test_a_keras3_program_for_the_tensorflow_backend_reads_outputs_as_numpy():
    # KERAS_BACKEND="tensorflow" programs call np.array(model(x)) / plt.imshow(outputs[i]).
    code = ("import os\n"
            "os.environ['KERAS_BACKEND'] = 'tensorflow'\n"
            "import numpy as np, keras\n"
            "model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)])\n"
            "y = model(np.ones((2, 4), 'float32'))\n"
            "print(np.array(y).shape, y.numpy().shape)\n")
    result = run(["-c", code])
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "(2, 3) (2, 3)"


def test_another_python_the_program_starts_runs_without_an_error_from_the_startup_hook(tmp_path):
    # A different interpreter (no torch there) inherits PYTHONPATH with keraslite's start-up
    # hook; it must start quietly, as it would without keraslite.
    import shutil

    candidates = [shutil.which(name) for name in ("python3", "python3.11", "python")]
    other = next((p for p in candidates if p and os.path.realpath(p) != os.path.realpath(sys.executable)
                  and subprocess.run([p, "-c", "import torch"], capture_output=True).returncode != 0), None)
    if other is None:
        pytest.skip("no Python without torch on this machine")
    script = tmp_path / "prog.py"
    script.write_text("import subprocess\n"
                      f"done = subprocess.run([{other!r}, '-c', 'print(123)'], capture_output=True, text=True)\n"
                      "print(done.stdout.strip(), repr(done.stderr))\n")
    out = run([script], cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "123 ''"
