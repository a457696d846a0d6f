"""Keras 3's scikit-learn estimators (keras.wrappers.SKLearnClassifier / Regressor / Transformer)
against real Keras 3: the same model builder and data give the same predictions and scores."""
import numpy as np
import pytest

import keraslite
from compat_tests.conftest import keras

pytest.importorskip("sklearn")
from sklearn.model_selection import cross_val_score  # noqa: E402


def _data(n=30):
    rng = np.random.default_rng(0)
    return rng.random((n, 4)).astype("float32"), np.arange(n) % 3


def _builder(lib, out, activation, loss):
    def build(X, y):
        model = lib.Sequential([lib.Input((X.shape[1],)), lib.layers.Dense(8, activation="relu"),
                                lib.layers.Dense(y.shape[1] if out is None else out, activation=activation)])
        model.compile(lib.optimizers.SGD(0.1), loss)
        return model
    return build


def _with_weights_of(k_est, l_est):
    l_est.model_.set_weights(k_est.model_.get_weights())


def test_classifier_labels_scores_and_cross_validation():
    X, y = _data()
    labels = np.array(["cat", "dog", "emu"])[y]
    fit_kwargs = {"epochs": 2, "verbose": 0, "shuffle": False}
    k = keras.wrappers.SKLearnClassifier(model=_builder(keras, None, "softmax", "categorical_crossentropy"),
                                         fit_kwargs=fit_kwargs).fit(X, labels)
    lite = keraslite.wrappers.SKLearnClassifier(model=_builder(keraslite, None, "softmax", "categorical_crossentropy"),
                                                fit_kwargs=fit_kwargs).fit(X, labels)
    _with_weights_of(k, lite)
    assert list(lite.classes_) == list(k.classes_)
    np.testing.assert_array_equal(lite.predict(X), k.predict(X))
    np.testing.assert_allclose(lite.decision_function(X), k.decision_function(X), rtol=1e-5)
    assert lite.score(X, labels) == pytest.approx(k.score(X, labels))
    assert sorted(lite.get_params()) == sorted(k.get_params())
    scores = cross_val_score(keraslite.wrappers.SKLearnClassifier(
        model=_builder(keraslite, None, "softmax", "categorical_crossentropy"), fit_kwargs=fit_kwargs), X, y, cv=3)
    assert scores.shape == (3,) and np.all((0 <= scores) & (scores <= 1))


def test_regressor_and_transformer():
    X, y = _data()
    target = X.sum(axis=1)
    for cls, out in (("SKLearnRegressor", 1), ("SKLearnTransformer", 1)):
        k = getattr(keras.wrappers, cls)(model=_builder(keras, out, None, "mse"), fit_kwargs={"verbose": 0})
        lite = getattr(keraslite.wrappers, cls)(model=_builder(keraslite, out, None, "mse"), fit_kwargs={"verbose": 0})
        k.fit(X, target, epochs=1)
        lite.fit(X, target, epochs=1)
        _with_weights_of(k, lite)
        if cls == "SKLearnRegressor":
            assert lite.predict(X).shape == k.predict(X).shape == (30,)
            np.testing.assert_allclose(lite.predict(X), k.predict(X), rtol=1e-5)
            assert lite.score(X, target) == pytest.approx(k.score(X, target), rel=1e-5)
        else:
            assert lite.transform(X).shape == k.transform(X).shape == (30, 1)
            np.testing.assert_allclose(lite.transform(X), k.transform(X), rtol=1e-5)


def test_a_compiled_model_is_cloned_compiled_for_each_fit():
    X, y = _data()
    model = keraslite.Sequential([keraslite.Input((4,)), keraslite.layers.Dense(3, activation="softmax")])
    model.compile("adam", "categorical_crossentropy")
    est = keraslite.wrappers.SKLearnClassifier(model=model, fit_kwargs={"epochs": 1, "verbose": 0}).fit(X, y)
    assert est.model_ is not model and est.model_.compiled and est.predict(X).shape == (30,)
    uncompiled = keraslite.Sequential([keraslite.Input((4,)), keraslite.layers.Dense(3)])
    with pytest.raises(RuntimeError, match="compiled"):
        keraslite.wrappers.SKLearnClassifier(model=uncompiled).fit(X, y)
