"""Start-up hook for the Python processes a program run by `python -m keraslite` starts.

`python -m keraslite` puts this folder first on PYTHONPATH and sets KERASLITE_ALIASES=1 for its
children, so a fresh interpreter they start (scikit-learn's `n_jobs=-1` workers through joblib,
`multiprocessing` with the "spawn" or "forkserver" start method, `subprocess.run([sys.executable,
...])`) imports `keras` and `tensorflow` as keraslite, as the program itself does. The work is
done by this folder's `sitecustomize.py`, which Python's `site` module imports at start-up.
"""
