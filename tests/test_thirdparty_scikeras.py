"""SciKeras (scikit-learn wrappers for Keras 3 models) running on keraslite: programs in the style
of its documentation and of the published scikit-learn + Keras tutorials, each run with
`python -m keraslite` so that the package's own `import keras` is keraslite.

Skipped where scikeras is not installed. (Its presence is checked without importing it:
importing scikeras patches `keras.Model.__reduce__` of whatever `keras` this process finds.)
"""
import importlib.util
import textwrap

import pytest

from tests.programs import run_source

if importlib.util.find_spec("scikeras") is None:
    pytest.skip("scikeras is not installed", allow_module_level=True)

DATA = """
import numpy as np
rng = np.random.RandomState(0)
X = rng.rand(90, 8) * 10
Y = (X[:, 0] + X[:, 1] - X[:, 2] + rng.randn(90) > 5).astype(float)
"""


def _run(tmp_path, body):
    return run_source(tmp_path, DATA + textwrap.dedent(body))


def test_cross_validation_and_grid_search_tutorial(tmp_path):
    # "Use Keras Deep Learning Models with Scikit-Learn in Python" and "How to Grid Search
    # Hyperparameters": routed model__/optimizer__ parameters, and n_jobs=-1 (worker processes).
    out = _run(tmp_path, """
        import tensorflow as tf
        from tensorflow.keras.models import Sequential
        from tensorflow.keras.layers import Dense, Dropout
        from tensorflow.keras.constraints import MaxNorm
        from scikeras.wrappers import KerasClassifier
        from sklearn.model_selection import StratifiedKFold, cross_val_score, GridSearchCV

        def create_model(optimizer='rmsprop', init='glorot_uniform'):
            model = Sequential()
            model.add(Dense(12, input_shape=(8,), kernel_initializer=init, activation='relu'))
            model.add(Dense(1, kernel_initializer=init, activation='sigmoid'))
            model.compile(loss='binary_crossentropy', optimizer=optimizer, metrics=['accuracy'])
            return model

        tf.random.set_seed(7)
        model = KerasClassifier(model=create_model, epochs=3, batch_size=10, verbose=0)
        kfold = StratifiedKFold(n_splits=3, shuffle=True, random_state=7)
        results = cross_val_score(model, X, Y, cv=kfold)
        print("CV", results.shape, 0.0 <= results.mean() <= 1.0)

        param_grid = dict(optimizer=['rmsprop', 'adam'], epochs=[2], batch_size=[10], model__init=['uniform', 'normal'])
        grid = GridSearchCV(estimator=model, param_grid=param_grid, cv=2).fit(X, Y)
        print("GRID1", len(grid.cv_results_['params']), sorted(grid.best_params_))

        def create_model_drop(dropout_rate, weight_constraint):
            model = Sequential()
            model.add(Dense(12, input_shape=(8,), activation='linear', kernel_constraint=MaxNorm(weight_constraint)))
            model.add(Dropout(dropout_rate))
            model.add(Dense(1, activation='sigmoid'))
            return model

        model = KerasClassifier(model=create_model_drop, loss="binary_crossentropy", optimizer="SGD",
                                epochs=2, batch_size=10, verbose=0)
        param_grid = dict(optimizer__learning_rate=[0.01, 0.1], optimizer__momentum=[0.0, 0.9],
                          model__dropout_rate=[0.2], model__weight_constraint=[3.0])
        grid = GridSearchCV(estimator=model, param_grid=param_grid, n_jobs=-1, cv=2).fit(X, Y)
        print("GRID2", len(grid.cv_results_['params']), type(grid.best_estimator_.model_.optimizer).__name__)
    """)
    assert "CV (3,) True" in out
    assert "GRID1 4 ['batch_size', 'epochs', 'model__init', 'optimizer']" in out
    assert "GRID2 4 SGD" in out


def test_regression_pipeline_tutorial(tmp_path):
    # "Regression Tutorial with Keras": KerasRegressor in a Pipeline with StandardScaler, KFold.
    out = _run(tmp_path, """
        from tensorflow.keras.models import Sequential
        from tensorflow.keras.layers import Dense
        from scikeras.wrappers import KerasRegressor
        from sklearn.model_selection import cross_val_score, KFold
        from sklearn.preprocessing import StandardScaler
        from sklearn.pipeline import Pipeline

        y = X @ rng.rand(8)

        def baseline_model():
            model = Sequential()
            model.add(Dense(13, input_shape=(8,), kernel_initializer='normal', activation='relu'))
            model.add(Dense(1, kernel_initializer='normal'))
            model.compile(loss='mean_squared_error', optimizer='adam')
            return model

        pipeline = Pipeline([('standardize', StandardScaler()),
                             ('mlp', KerasRegressor(model=baseline_model, epochs=5, batch_size=5, verbose=0))])
        results = cross_val_score(pipeline, X, y, cv=KFold(n_splits=3), scoring='neg_mean_squared_error')
        print("MSE", results.shape, bool((results < 0).all()))
        pipeline.fit(X, y)
        print("PRED", pipeline.predict(X[:4]).shape, type(pipeline.score(X, y)).__name__)
    """)
    assert "MSE (3,) True" in out and "PRED (4,) float" in out


def test_quickstart_pickle_warm_start_partial_fit_and_callbacks(tmp_path):
    # SciKeras's quickstart: meta-aware model function, routed optimizer parameters, pickling a
    # fitted estimator (through the .keras archive in memory), warm_start, partial_fit, callbacks.
    out = _run(tmp_path, """
        import copy, pickle
        import keras
        from scikeras.wrappers import KerasClassifier

        def get_model(hidden_layer_dim, meta):
            model = keras.models.Sequential()
            model.add(keras.layers.Dense(meta["n_features_in_"], input_shape=meta["X_shape_"][1:]))
            model.add(keras.layers.Activation("relu"))
            model.add(keras.layers.Dense(hidden_layer_dim))
            model.add(keras.layers.Activation("relu"))
            model.add(keras.layers.Dense(meta["n_classes_"]))
            model.add(keras.layers.Activation("softmax"))
            return model

        y = Y.astype("int64")
        clf = KerasClassifier(get_model, loss="sparse_categorical_crossentropy", optimizer="adam",
                              optimizer__learning_rate=0.01, metrics=["accuracy"], hidden_layer_dim=16,
                              epochs=2, verbose=0)
        clf.fit(X, y)
        proba = clf.predict_proba(X)
        print("FIT", proba.shape, sorted(clf.history_), round(float(clf.model_.optimizer.learning_rate), 4))
        new = pickle.loads(pickle.dumps(clf))
        print("PICKLE", np.allclose(new.predict_proba(X), proba, atol=1e-5), type(new.model_.optimizer).__name__)
        print("DEEPCOPY", np.allclose(copy.deepcopy(clf).predict_proba(X), proba, atol=1e-5))
        new.partial_fit(X, y)
        print("CONTINUED", len(new.history_["loss"]))

        warm = KerasClassifier(get_model, loss="sparse_categorical_crossentropy", hidden_layer_dim=8, epochs=1,
                               verbose=0, warm_start=True)
        warm.fit(X, y)
        first = warm.model_
        warm.fit(X, y)
        print("WARM", warm.model_ is first)
        stop = KerasClassifier(get_model, loss="sparse_categorical_crossentropy", hidden_layer_dim=8, epochs=30,
                               verbose=0, validation_split=0.2,
                               callbacks=[keras.callbacks.EarlyStopping(monitor="val_loss", patience=1)])
        stop.fit(X, y)
        print("STOP", sorted(stop.history_), len(stop.history_["loss"]) <= 30)
    """)
    assert "FIT (90, 2) ['accuracy', 'loss'] 0.01" in out
    assert "PICKLE True Adam" in out and "DEEPCOPY True" in out and "CONTINUED 3" in out
    assert "WARM True" in out and "STOP ['loss', 'val_loss'] True" in out


def test_compile_kwargs_pattern_and_functional_model(tmp_path):
    # The docs' `def get_clf_model(meta, compile_kwargs)`: SciKeras builds the optimizer from a
    # class and routed parameters; a functional model with BatchNormalization pickles too.
    out = _run(tmp_path, """
        import pickle
        import keras
        from scikeras.wrappers import KerasClassifier

        y = (X[:, 0] // 3.4).astype("int64")

        def get_clf_model(meta, compile_kwargs):
            model = keras.Sequential()
            model.add(keras.layers.Input(shape=(meta["n_features_in_"],)))
            model.add(keras.layers.Dense(meta["n_classes_"], activation="softmax"))
            model.compile(loss="sparse_categorical_crossentropy", optimizer=compile_kwargs["optimizer"])
            return model

        clf = KerasClassifier(model=get_clf_model, optimizer=keras.optimizers.SGD, optimizer__learning_rate=0.05,
                              optimizer__momentum=0.9, epochs=2, verbose=0).fit(X, y)
        opt = clf.model_.optimizer
        print("OPT", type(opt).__name__, round(float(opt.learning_rate), 4), round(float(opt.momentum), 4))

        def get_functional(meta):
            inp = keras.Input(shape=(meta["n_features_in_"],))
            x = keras.layers.Dense(16, activation="relu")(inp)
            x = keras.layers.BatchNormalization()(x)
            return keras.Model(inp, keras.layers.Dense(meta["n_classes_"], activation="softmax")(x))

        clf = KerasClassifier(model=get_functional, loss=keras.losses.SparseCategoricalCrossentropy,
                              metrics=[keras.metrics.SparseCategoricalAccuracy], epochs=2, verbose=0).fit(X, y)
        again = pickle.loads(pickle.dumps(clf))
        print("FUNCTIONAL", np.allclose(again.predict_proba(X), clf.predict_proba(X), atol=1e-5),
              sorted(clf.history_))
    """)
    assert "OPT SGD 0.05 0.9" in out
    assert "FUNCTIONAL True ['loss', 'sparse_categorical_accuracy']" in out
