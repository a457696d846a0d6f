"""`keras.wrappers.scikit_learn` (Keras 2): a model-building function as a scikit-learn
estimator, so `cross_val_score`, `GridSearchCV` and `Pipeline` can train Keras models.

Owns: `KerasClassifier` and `KerasRegressor` with Keras 2's contract:
- `KerasClassifier(build_fn=None, **sk_params)`. `sk_params` mixes the arguments of
  `build_fn` and of `fit`/`predict`/`evaluate` (`epochs`, `batch_size`, `verbose`...); each
  call receives the ones its signature names. Unknown names are rejected at construction;
- `fit` builds a fresh model from `build_fn` every time (scikit-learn clones and refits);
- classifier labels may be any sortable values: `classes_` holds them, the model sees their
  indices (one-hot when compiled with categorical crossentropy), `predict` maps back;
- `score` is the model's accuracy (classifier) or the negated loss (regressor), as Keras 2
  defined it, so that larger is better in scikit-learn.

scikit-learn itself is optional: when installed, the classes also inherit its base classes
so that `clone`, tags and `is_classifier` work; the wrappers do not need it to train.

Leaves to others: the model (built by the user's function), training (Model.fit).
"""
import copy
import inspect
import types

import numpy as np

__all__ = ["KerasClassifier", "KerasRegressor"]

try:  # pragma: no cover - depends on the environment
    from sklearn.base import BaseEstimator as _Base
    from sklearn.base import ClassifierMixin as _ClassifierMixin
    from sklearn.base import RegressorMixin as _RegressorMixin
except ImportError:  # scikit-learn is optional
    _Base = object

    class _ClassifierMixin:
        _estimator_type = "classifier"

    class _RegressorMixin:
        _estimator_type = "regressor"


def _accepts(fn, name):
    """Whether `fn` takes an argument called `name` (explicitly or through **kwargs)."""
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False
    if name in params:
        return params[name].kind not in (inspect.Parameter.VAR_POSITIONAL,)
    return False


def _model_methods():
    """The functions whose signatures say which sk_params each call takes (Model's methods
    delegate to the loop functions with *args, so those carry the argument names)."""
    from keraslite.models.sequential import Sequential
    from keraslite.training import loop

    return {"fit": loop.fit, "predict": loop.predict, "predict_classes": Sequential.predict_classes,
            "predict_proba": Sequential.predict_proba, "evaluate": loop.evaluate}


class _BaseWrapper(_Base):
    def __init__(self, build_fn=None, **sk_params):
        self.build_fn = build_fn
        self.sk_params = sk_params
        self.check_params(sk_params)

    # ------------------------------------------------------------------ parameters

    def _build_callable(self):
        fn = self.build_fn
        if fn is None:
            return self.__call__
        if isinstance(fn, (types.FunctionType, types.MethodType)):
            return fn
        return fn.__call__

    def check_params(self, params):
        methods = _model_methods()
        build = self._build_callable() if (self.build_fn is not None or callable(self)) else None
        for name in params:
            if name == "nb_epoch" or any(_accepts(m, name) for m in methods.values()):
                continue
            if build is not None and _accepts(build, name):
                continue
            raise ValueError(f"{name} is not a legal parameter of {type(self).__name__}: it is neither an "
                             f"argument of the build function {getattr(self.build_fn, '__name__', self.build_fn)!r} "
                             "nor of the model's fit/predict/evaluate. Check its spelling, or add it to the build "
                             "function's arguments.")

    def get_params(self, deep=True):
        params = copy.deepcopy(self.sk_params)
        params["build_fn"] = self.build_fn
        return params

    def set_params(self, **params):
        self.check_params(params)
        self.sk_params.update(params)
        return self

    def filter_sk_params(self, fn, override=None):
        """The sk_params that `fn` takes, updated with `override`."""
        out = {k: v for k, v in self.sk_params.items()
               if _accepts(fn, k) or (k == "nb_epoch" and fn is _model_methods()["fit"])}  # Keras 1 name
        out.update(override or {})
        return out

    # ------------------------------------------------------------------ training

    def _loss_name(self):
        loss = getattr(self.model, "loss", None)
        return getattr(loss, "__name__", loss)

    def fit(self, x, y, **kwargs):
        build = self._build_callable()
        self.model = build(**self.filter_sk_params(build))
        if self._loss_name() == "categorical_crossentropy" and np.ndim(y) != 2:
            from keraslite.utils import to_categorical

            y = to_categorical(y)
        fit_args = self.filter_sk_params(_model_methods()["fit"])
        fit_args.update(kwargs)
        return self.model.fit(x, y, **fit_args)

    def __sklearn_clone__(self):
        return type(self)(**self.get_params(deep=False))

    def __sklearn_is_fitted__(self):
        # sklearn's check_is_fitted (Pipeline.predict calls it) looks for this or a `name_` attribute.
        return self.__dict__.get("model") is not None


class KerasClassifier(_ClassifierMixin, _BaseWrapper):
    """scikit-learn classifier around a function that returns a compiled Keras model."""

    def fit(self, x, y, sample_weight=None, **kwargs):
        y = np.asarray(y)
        if y.ndim == 2 and y.shape[1] > 1:
            self.classes_ = np.arange(y.shape[1])  # one-hot targets
        elif y.ndim == 1 or (y.ndim == 2 and y.shape[1] == 1):
            self.classes_ = np.unique(y)
            y = np.searchsorted(self.classes_, y)
        else:
            raise ValueError(f"KerasClassifier.fit: invalid shape for y: {y.shape}. Expected class labels of shape "
                             "(n_samples,) or (n_samples, 1), or one-hot targets of shape (n_samples, n_classes).")
        self.n_classes_ = len(self.classes_)
        if sample_weight is not None:
            kwargs["sample_weight"] = sample_weight
        return super().fit(x, y, **kwargs)

    def predict(self, x, **kwargs):
        kwargs = self.filter_sk_params(_model_methods()["predict_classes"], kwargs)
        classes = np.asarray(self.model.predict_classes(x, **kwargs))
        if classes.ndim == 2 and classes.shape[1] == 1:
            classes = classes[:, 0]
        return self.classes_[classes]

    def predict_proba(self, x, **kwargs):
        kwargs = self.filter_sk_params(_model_methods()["predict_proba"], kwargs)
        probs = np.asarray(self.model.predict_proba(x, **kwargs))
        if probs.ndim == 2 and probs.shape[1] == 1:  # one sigmoid unit: P(class 0), P(class 1)
            probs = np.hstack([1 - probs, probs])
        return probs

    def score(self, x, y, **kwargs):
        y = np.searchsorted(self.classes_, np.asarray(y))
        kwargs = self.filter_sk_params(_model_methods()["evaluate"], kwargs)
        if self._loss_name() == "categorical_crossentropy" and y.ndim != 2:
            from keraslite.utils import to_categorical

            y = to_categorical(y, num_classes=self.n_classes_)
        outputs = self.model.evaluate(x, y, **kwargs)
        outputs = outputs if isinstance(outputs, list) else [outputs]
        for name, value in zip(self.model.metrics_names, outputs):
            if name in ("accuracy", "acc"):
                return value
        raise ValueError("KerasClassifier.score needs the model's accuracy, but the model was compiled without it. "
                         "Pass `metrics=['accuracy']` to `model.compile()` in the build function.")


class KerasRegressor(_RegressorMixin, _BaseWrapper):
    """scikit-learn regressor around a function that returns a compiled Keras model."""

    def predict(self, x, **kwargs):
        kwargs = self.filter_sk_params(_model_methods()["predict"], kwargs)
        return np.squeeze(self.model.predict(x, **kwargs))

    def score(self, x, y, **kwargs):
        kwargs = self.filter_sk_params(_model_methods()["evaluate"], kwargs)
        loss = self.model.evaluate(x, y, **kwargs)
        return -(loss[0] if isinstance(loss, list) else loss)
