"""Keras 3's scikit-learn estimators (`keras.wrappers.SKLearnClassifier`, `SKLearnRegressor`,
`SKLearnTransformer`), for cross_val_score, GridSearchCV and pipelines.

Each takes `model`: a compiled Model (cloned for each fit unless `warm_start=True`) or a
callable `model(X=X, y=y, **model_kwargs)` returning one; `fit_kwargs` (and keyword arguments
of `fit`, which win) go to `Model.fit`. The classifier one-hot encodes the labels it is given
(`classes_` keeps them) and predicts labels back from the model's class scores; the regressor
and the transformer pass targets through, a 1-D target as one column. (Keras 2's
`KerasClassifier` / `KerasRegressor`, with `build_fn=`, live in `scikit_learn.py`.)
"""
import copy

import numpy as np

try:
    import sklearn
    from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, TransformerMixin
except ImportError:  # the classes still exist; making one says what to install
    sklearn = None
    BaseEstimator = ClassifierMixin = RegressorMixin = TransformerMixin = object

__all__ = ["SKLearnClassifier", "SKLearnRegressor", "SKLearnTransformer"]


class _SKLearnModel(BaseEstimator):
    def __init__(self, model, warm_start=False, model_kwargs=None, fit_kwargs=None):
        if sklearn is None:
            raise ImportError(f"{type(self).__name__} requires scikit-learn: pip install scikit-learn.")
        self.model = model
        self.warm_start = warm_start
        self.model_kwargs = model_kwargs
        self.fit_kwargs = fit_kwargs

    def __sklearn_clone__(self):
        model = self.model if callable(self.model) else copy.deepcopy(self.model)
        return type(self)(model=model, warm_start=self.warm_start, model_kwargs=self.model_kwargs,
                          fit_kwargs=self.fit_kwargs)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.non_deterministic = True
        return tags

    @property
    def epoch_(self):
        history = getattr(self, "history_", None)
        return len(history.epoch) if history is not None else 0

    def _new_model(self, X, y):
        from keraslite.models import Model, clone_model

        if isinstance(self.model, Model):
            if self.warm_start and hasattr(self, "model_"):
                return self.model_
            model = clone_model(self.model)  # compiled as the given model was
        elif callable(self.model):
            model = self.model(X=X, y=y, **(self.model_kwargs or {}))
        else:
            raise TypeError(f"{type(self).__name__}: `model` must be a compiled keras Model or a callable "
                            f"returning one; received {type(self.model).__name__}.")
        if not getattr(model, "compiled", False) or getattr(model, "optimizer", None) is None:
            raise RuntimeError(f"{type(self).__name__}: the model must be compiled with a loss and an optimizer "
                               "(call model.compile(optimizer=..., loss=...) before returning it).")
        return model

    def fit(self, X, y, **kwargs):
        X, y = self._validate_data(X, y, reset=True)
        target = self._encode(y, reset=True)
        model = self._new_model(X, target)
        self.history_ = model.fit(X, target, **{**(self.fit_kwargs or {}), **kwargs})
        self.model_ = model
        return self

    def _validate_data(self, X, y=None, reset=False):
        from sklearn.utils.validation import check_array, check_X_y

        if y is None:
            X = check_array(X)
        else:
            X, y = check_X_y(X, y, multi_output=True, y_numeric=not isinstance(self, SKLearnClassifier))
        if reset:
            self.n_features_in_ = X.shape[1]
        elif X.shape[1] != self.n_features_in_:
            raise ValueError(f"X has {X.shape[1]} features, but {type(self).__name__} is expecting "
                             f"{self.n_features_in_} features as input.")
        return (X, y) if y is not None else X

    def _encode(self, y, reset=False):
        if reset:
            self._target_ndim = y.ndim
        return y.reshape(-1, 1) if y.ndim == 1 else y

    def _decode(self, y):
        return np.squeeze(y, axis=1) if self._target_ndim == 1 and y.ndim == 2 else y

    def predict(self, X):
        from sklearn.utils.validation import check_is_fitted

        check_is_fitted(self)
        return self._decode(self.model_.predict(self._validate_data(X), verbose=0))


class SKLearnClassifier(ClassifierMixin, _SKLearnModel):
    """A Keras classifier as a scikit-learn estimator: labels become one-hot targets for the
    model (binary and multiclass only), predictions come back as labels (`classes_`)."""

    def _encode(self, y, reset=False):
        from sklearn.utils.multiclass import type_of_target

        kind = type_of_target(y)
        if kind not in ("binary", "multiclass"):
            raise ValueError(f"Only binary and multiclass target types are supported. Target type: {kind}")
        column = np.asarray(y).reshape(-1, 1) if np.ndim(y) == 1 else np.asarray(y)
        if reset:
            self._target_ndim = np.ndim(y)
            self._one_hot = sklearn.preprocessing.OneHotEncoder(sparse_output=False).fit(column)
            self.classes_ = np.unique(y)
            if len(self.classes_) == 1:
                raise ValueError("Classifier can't train when only one class is present.")
        return self._one_hot.transform(column)

    def _decode(self, y):
        return super()._decode(self._one_hot.inverse_transform(y))

    def decision_function(self, X):
        from sklearn.utils.validation import check_is_fitted

        check_is_fitted(self)
        return self.model_.predict(self._validate_data(X), verbose=0)


class SKLearnRegressor(RegressorMixin, _SKLearnModel):
    """A Keras regression model as a scikit-learn estimator."""


class SKLearnTransformer(TransformerMixin, _SKLearnModel):
    """A Keras model as a scikit-learn transformer: `transform(X)` is the model's prediction."""

    def transform(self, X):
        from sklearn.utils.validation import check_is_fitted

        check_is_fitted(self)
        return self.model_.predict(self._validate_data(X), verbose=0)
