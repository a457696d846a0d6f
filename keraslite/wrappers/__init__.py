"""Adapters that let other libraries drive Keras models (`keras.wrappers`): Keras 3's
scikit-learn estimators (sklearn.py) and Keras 2's `build_fn` wrappers (scikit_learn.py)."""
from keraslite.wrappers import scikit_learn
from keraslite.wrappers.scikit_learn import KerasClassifier, KerasRegressor
from keraslite.wrappers.sklearn import SKLearnClassifier, SKLearnRegressor, SKLearnTransformer

__all__ = ["scikit_learn", "KerasClassifier", "KerasRegressor", "SKLearnClassifier", "SKLearnRegressor",
           "SKLearnTransformer"]
