"""keras.wrappers.scikit_learn (Keras 2): parameter routing, label mapping, scores, and the
scikit-learn protocols (clone, cross_val_score, GridSearchCV)."""
import numpy as np
import pytest

import keraslite
from keraslite import layers
from keraslite.wrappers.scikit_learn import KerasClassifier, KerasRegressor

sklearn = pytest.importorskip("sklearn")


def _data(n=40, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 4)).astype("float32")
    return x, x[:, 0] + 0.5 * x[:, 1] > 0


def _build(units=6, loss="binary_crossentropy", out=1, activation="sigmoid", metrics=("accuracy",)):
    keraslite.utils.set_random_seed(3)
    model = keraslite.Sequential([keraslite.Input((4,)), layers.Dense(units, activation="relu"),
                                  layers.Dense(out, activation=activation)])
    model.compile(optimizer="sgd", loss=loss, metrics=list(metrics))
    return model


def test_fit_routes_params_and_maps_labels_like_a_manual_fit():
    x, flags = _data()
    labels = np.where(flags, "yes", "no")
    clf = KerasClassifier(build_fn=_build, units=5, epochs=3, batch_size=8, verbose=0, shuffle=False)
    clf.fit(x, labels)
    assert list(clf.classes_) == ["no", "yes"] and clf.n_classes_ == 2
    manual = _build(units=5)
    manual.fit(x, flags.astype("int64"), epochs=3, batch_size=8, verbose=0, shuffle=False)
    assert clf.model.layers[0].units == 5
    for a, b in zip(clf.model.get_weights(), manual.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)
    proba = manual.predict(x, verbose=0)
    np.testing.assert_allclose(clf.predict_proba(x), np.hstack([1 - proba, proba]), rtol=1e-6)
    np.testing.assert_array_equal(clf.predict(x), np.where(proba[:, 0] > 0.5, "yes", "no"))
    acc = manual.evaluate(x, flags.astype("int64"), verbose=0)[1]
    assert clf.score(x, labels) == pytest.approx(acc)


def test_categorical_model_gets_one_hot_targets():
    x, flags = _data()
    labels = np.where(flags, 7, 3)
    build = lambda: _build(loss="categorical_crossentropy", out=2, activation="softmax")  # noqa: E731
    clf = KerasClassifier(build_fn=build, epochs=2, batch_size=10, verbose=0, shuffle=False)
    clf.fit(x, labels)
    manual = build()
    manual.fit(x, keraslite.utils.to_categorical(flags.astype("int64")), epochs=2, batch_size=10, verbose=0,
               shuffle=False)
    for a, b in zip(clf.model.get_weights(), manual.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)
    assert set(clf.predict(x)) <= {3, 7}
    assert clf.predict_proba(x).shape == (40, 2)
    assert 0.0 <= clf.score(x, labels) <= 1.0


def test_regressor_predicts_squeezed_and_scores_negative_loss():
    x, _ = _data()
    y = x @ np.array([1.0, -2.0, 0.5, 0.0], dtype="float32")
    build = lambda: _build(loss="mse", activation=None, metrics=())  # noqa: E731
    reg = KerasRegressor(build_fn=build, epochs=2, batch_size=8, verbose=0, shuffle=False)
    reg.fit(x, y)
    manual = build()
    manual.fit(x, y, epochs=2, batch_size=8, verbose=0, shuffle=False)
    np.testing.assert_allclose(reg.predict(x), manual.predict(x, verbose=0)[:, 0], rtol=1e-6)
    assert reg.predict(x).shape == (40,)
    assert reg.score(x, y) == pytest.approx(-manual.evaluate(x, y, verbose=0))


def test_regressor_in_a_pipeline_after_a_scaler():
    # The Keras 2 Boston housing tutorial: Pipeline([StandardScaler, KerasRegressor]) and
    # cross_val_score over it; sklearn's Pipeline.predict checks that the last step is fitted.
    from sklearn.exceptions import NotFittedError
    from sklearn.model_selection import KFold, cross_val_score
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    x, _ = _data()
    y = x @ np.array([1.0, -2.0, 0.5, 0.0], dtype="float32")
    build = lambda: _build(loss="mse", activation=None, metrics=())  # noqa: E731
    make = lambda: Pipeline([("standardize", StandardScaler()),  # noqa: E731
                             ("mlp", KerasRegressor(build_fn=build, epochs=2, batch_size=8, verbose=0, shuffle=False))])
    with pytest.raises(NotFittedError):
        make().predict(x)
    pipeline = make().fit(x, y)
    manual = build()
    scaled = StandardScaler().fit_transform(x)
    manual.fit(scaled, y, epochs=2, batch_size=8, verbose=0, shuffle=False)
    np.testing.assert_allclose(pipeline.predict(x), manual.predict(scaled, verbose=0)[:, 0], rtol=1e-5, atol=1e-6)
    scores = cross_val_score(make(), x, y, cv=KFold(2), error_score="raise")
    assert scores.shape == (2,) and np.all(np.isfinite(scores)) and np.all(scores < 0)


def test_unknown_parameter_is_rejected_with_its_name():
    with pytest.raises(ValueError, match="unitz is not a legal parameter"):
        KerasClassifier(build_fn=_build, unitz=3)
    clf = KerasClassifier(build_fn=_build, epochs=1)
    with pytest.raises(ValueError, match="bogus"):
        clf.set_params(bogus=1)


def test_score_without_accuracy_says_how_to_fix():
    x, flags = _data()
    clf = KerasClassifier(build_fn=lambda: _build(metrics=()), epochs=1, verbose=0)
    clf.fit(x, flags)
    with pytest.raises(ValueError, match=r"metrics=\['accuracy'\]"):
        clf.score(x, flags)


def test_scikit_learn_protocols():
    from sklearn.base import clone, is_classifier, is_regressor
    from sklearn.model_selection import GridSearchCV, StratifiedKFold, cross_val_score

    x, flags = _data(60)
    clf = KerasClassifier(build_fn=_build, epochs=2, batch_size=10, verbose=0)
    assert is_classifier(clf) and is_regressor(KerasRegressor(build_fn=_build))
    twin = clone(clf)
    assert twin is not clf and twin.get_params() == clf.get_params()
    scores = cross_val_score(clf, x, flags.astype(int), cv=StratifiedKFold(3))
    assert scores.shape == (3,) and np.all((0 <= scores) & (scores <= 1))
    grid = GridSearchCV(clf, {"units": [2, 4], "epochs": [1]}, cv=2).fit(x, flags.astype(int))
    assert grid.best_params_["units"] in (2, 4)


def test_keras2_import_paths(tmp_path):
    from tests.programs import run_keraslite

    script = tmp_path / "tutorial.py"
    script.write_text("from keras.wrappers.scikit_learn import KerasClassifier, KerasRegressor\n"
                      "from tensorflow.keras.wrappers.scikit_learn import KerasClassifier as K2\n"
                      "import keraslite.wrappers.scikit_learn as m\n"
                      "assert KerasClassifier is m.KerasClassifier is K2\n"
                      "print('ok')\n")
    out = run_keraslite([script], cwd=tmp_path, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().endswith("ok")
