"""Models: Model (base), Sequential, Functional, and model-level functions."""
from keraslite.models.model import Model
from keraslite.models.sequential import Sequential
from keraslite.models.cloning import clone_model

__all__ = ["Model", "Sequential", "clone_model"]  # with keraslite.saving's, what `from keras.models import *` brings
