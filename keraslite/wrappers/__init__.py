"""Adapters that let other libraries drive Keras models (`keras.wrappers`)."""
from keraslite.wrappers import scikit_learn
from keraslite.wrappers.scikit_learn import KerasClassifier, KerasRegressor

__all__ = ["scikit_learn", "KerasClassifier", "KerasRegressor"]
