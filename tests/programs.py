"""Running a program the way users do, `python -m keraslite program.py`, from the tests: this
checkout first on PYTHONPATH (so the subprocess runs this keraslite even when it is not
pip-installed), CI=true, one OpenMP thread, no stdin."""
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ENV = dict(os.environ, CI="true", OMP_NUM_THREADS="1",
           PYTHONPATH=os.pathsep.join([ROOT] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]))


def run_keraslite(args, cwd=None, timeout=300, env=None):
    """`python -m keraslite *args` (a script path and its arguments, or -c / -m forms)."""
    return subprocess.run([sys.executable, "-m", "keraslite", *map(str, args)], capture_output=True, text=True,
                          stdin=subprocess.DEVNULL, cwd=None if cwd is None else str(cwd),
                          env=ENV if env is None else env, timeout=timeout)


def run_source(folder, source, timeout=300):
    """Write `source` to folder/prog.py, run it through keraslite there, and return its stdout;
    a failing run fails the test with the ends of its output."""
    script = folder / "prog.py"
    script.write_text(source)
    done = run_keraslite([script], cwd=folder, timeout=timeout)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-5000:]
    return done.stdout
