"""Training: the fit/evaluate/predict loops (loop.py), data adapters (data.py), callbacks
(callbacks.py) and the progress bar (progbar.py)."""
