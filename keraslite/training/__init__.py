"""Training: the fit/evaluate/predict loops (loop.py), data adapters (data.py), callbacks
(callbacks.py), compile-time loss/metric resolution (compile_utils.py) and the progress bar
(progbar.py)."""
from keraslite.training.data import PyDataset, Sequence
from keraslite.training.progbar import Progbar

__all__ = ["PyDataset", "Sequence", "Progbar"]
