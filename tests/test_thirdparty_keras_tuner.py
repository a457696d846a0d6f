"""KerasTuner (a package built on Keras 3) running on keraslite: programs in the style of its
guides, each run with `python -m keraslite` so that the package's own `import keras` is keraslite.

Skipped where keras_tuner is not installed. (Its presence is checked without importing it:
importing it here would import whatever `keras` this process finds.)
"""
import importlib.util
import textwrap

import pytest

from tests.programs import run_source

if importlib.util.find_spec("keras_tuner") is None:
    pytest.skip("keras_tuner is not installed", allow_module_level=True)

DATA = """
import numpy as np
rng = np.random.RandomState(0)
x = rng.rand(160, 28, 28).astype("float32")
y = (x[:, :14].mean(axis=(1, 2)) * 10).astype("int64") % 10
x_train, y_train, x_val, y_val = x[:120], y[:120], x[120:], y[120:]
"""


def _run(tmp_path, body):
    return run_source(tmp_path, DATA + textwrap.dedent(body))


def test_hyperband_tutorial(tmp_path):
    # The TensorFlow tutorial "Introduction to the Keras Tuner", in its tf.keras spelling.
    out = _run(tmp_path, """
        import tensorflow as tf
        from tensorflow import keras
        import keras_tuner as kt

        def model_builder(hp):
            model = keras.Sequential()
            model.add(keras.layers.Flatten(input_shape=(28, 28)))
            hp_units = hp.Int('units', min_value=32, max_value=512, step=32)
            model.add(keras.layers.Dense(units=hp_units, activation='relu'))
            model.add(keras.layers.Dense(10))
            hp_learning_rate = hp.Choice('learning_rate', values=[1e-2, 1e-3, 1e-4])
            model.compile(optimizer=keras.optimizers.Adam(learning_rate=hp_learning_rate),
                          loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=['accuracy'])
            return model

        tuner = kt.Hyperband(model_builder, objective='val_accuracy', max_epochs=3, factor=3,
                             directory='my_dir', project_name='intro_to_kt')
        stop_early = tf.keras.callbacks.EarlyStopping(monitor='val_loss', patience=5)
        tuner.search(x_train, y_train, epochs=50, validation_split=0.2, callbacks=[stop_early], verbose=0)
        best_hps = tuner.get_best_hyperparameters(num_trials=1)[0]
        assert best_hps.get('units') % 32 == 0 and best_hps.get('learning_rate') in (1e-2, 1e-3, 1e-4)
        model = tuner.hypermodel.build(best_hps)
        history = model.fit(x_train, y_train, epochs=2, validation_split=0.2, verbose=0)
        val_acc_per_epoch = history.history['val_accuracy']
        best_epoch = val_acc_per_epoch.index(max(val_acc_per_epoch)) + 1
        hypermodel = tuner.hypermodel.build(best_hps)
        hypermodel.fit(x_train, y_train, epochs=best_epoch, validation_split=0.2, verbose=0)
        print("RESULT", hypermodel.evaluate(x_val, y_val, verbose=0))
        print("TRIALS", len(tuner.oracle.trials))
    """)
    assert "RESULT [" in out and "TRIALS" in out


def test_random_search_best_model_reloads_its_checkpoint(tmp_path):
    # The tuner keeps each trial's best epoch with model.save_weights(...weights.h5) and
    # get_best_models rebuilds the model (build_from_config) and loads it: the reloaded model
    # scores exactly the trial's best val_loss. A reloaded tuner (overwrite=False) agrees.
    _run(tmp_path, """
        import keras
        from keras import layers
        import keras_tuner

        def build_model(hp):
            model = keras.Sequential()
            model.add(layers.Flatten())
            for i in range(hp.Int("num_layers", 1, 2)):
                model.add(layers.Dense(units=hp.Int(f"units_{i}", min_value=32, max_value=128, step=32),
                                       activation=hp.Choice("activation", ["relu", "tanh"])))
            if hp.Boolean("dropout"):
                model.add(layers.Dropout(rate=0.25))
            model.add(layers.Dense(10, activation="softmax"))
            learning_rate = hp.Float("lr", min_value=1e-4, max_value=1e-2, sampling="log")
            model.compile(optimizer=keras.optimizers.Adam(learning_rate=learning_rate),
                          loss="sparse_categorical_crossentropy", metrics=["accuracy"])
            return model

        kwargs = dict(objective=keras_tuner.Objective("val_loss", "min"), max_trials=3, seed=3,
                      directory="my_dir", project_name="helloworld")
        tuner = keras_tuner.RandomSearch(build_model, overwrite=True, **kwargs)
        tuner.search_space_summary()
        tuner.search(x_train, y_train, epochs=2, validation_data=(x_val, y_val), verbose=0)
        best_trial = tuner.oracle.get_best_trials(1)[0]
        models = tuner.get_best_models(num_models=2)
        assert len(models) == 2
        loss = models[0].evaluate(x_val, y_val, verbose=0)[0]
        assert abs(loss - best_trial.score) < 1e-5, (loss, best_trial.score)
        tuner.results_summary()

        again = keras_tuner.RandomSearch(build_model, **kwargs)
        assert again.oracle.get_best_trials(1)[0].trial_id == best_trial.trial_id
        assert abs(again.get_best_models(1)[0].evaluate(x_val, y_val, verbose=0)[0] - best_trial.score) < 1e-5
    """)


def test_hypermodel_subclass_custom_metric_and_other_tuners(tmp_path):
    _run(tmp_path, """
        import keras
        from keras import layers, ops
        import keras_tuner

        class MyHyperModel(keras_tuner.HyperModel):
            def build(self, hp):
                model = keras.Sequential([layers.Flatten(),
                                          layers.Dense(hp.Int("units", 32, 128, step=32), activation="relu"),
                                          layers.Dense(10, activation="softmax")])
                model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
                return model

            def fit(self, hp, model, *args, **kwargs):
                return model.fit(*args, shuffle=hp.Boolean("shuffle"), batch_size=hp.Choice("batch_size", [16, 32]),
                                 **kwargs)

        tuner = keras_tuner.RandomSearch(MyHyperModel(), objective="val_accuracy", max_trials=2, overwrite=True,
                                         directory="my_dir", project_name="tune_hypermodel")
        tuner.search(x_train, y_train, epochs=1, validation_data=(x_val, y_val), verbose=0)
        assert set(tuner.get_best_hyperparameters()[0].values) == {"units", "shuffle", "batch_size"}

        class CustomMetric(keras.metrics.Metric):
            def __init__(self, **kwargs):
                super().__init__(name="custom_metric", **kwargs)
                self.sum = self.add_weight(name="sum", initializer="zeros")
                self.count = self.add_weight(name="count", dtype="int32", initializer="zeros")

            def update_state(self, y_true, y_pred, sample_weight=None):
                values = ops.square(y_true - y_pred)
                count = ops.shape(y_true)[0]
                self.sum.assign_add(ops.sum(values))
                self.count.assign_add(count)

            def result(self):
                return self.sum / ops.cast(self.count, "float32")

            def reset_state(self):
                self.sum.assign(0)
                self.count.assign(0)

        def build_regressor(hp):
            model = keras.Sequential([layers.Dense(units=hp.Int("units", 32, 128, 32), activation="relu"),
                                      layers.Dense(units=1)])
            model.compile(optimizer="adam", loss="mean_squared_error", metrics=[CustomMetric()])
            return model

        xr, yr = x_train.reshape(120, -1)[:, :10], x_train[:, 0, :1]
        for tuner_class, extra in ((keras_tuner.BayesianOptimization, {"num_initial_points": 1}),
                                   (keras_tuner.GridSearch, {})):
            tuner = tuner_class(build_regressor, objective=keras_tuner.Objective("val_custom_metric", direction="min"),
                                max_trials=2, overwrite=True, directory="my_dir", project_name=tuner_class.__name__,
                                **extra)
            tuner.search(xr[:100], yr[:100], epochs=1, validation_data=(xr[100:], yr[100:]), verbose=0)
            best = tuner.oracle.get_best_trials(1)[0]
            assert best.score is not None and best.score >= 0
    """)


def test_custom_training_loop(tmp_path):
    # "Tune hyperparameters in your custom training loop": fit() runs tf.GradientTape steps
    # and reports the objective to the tuner's callbacks itself.
    out = _run(tmp_path, """
        import keras_tuner
        import tensorflow as tf
        import keras

        class MyHyperModel(keras_tuner.HyperModel):
            def build(self, hp):
                inputs = keras.Input(shape=(28, 28))
                x = keras.layers.Flatten()(inputs)
                x = keras.layers.Dense(units=hp.Choice("units", [32, 64]), activation="relu")(x)
                return keras.Model(inputs=inputs, outputs=keras.layers.Dense(10)(x))

            def fit(self, hp, model, x, y, validation_data, callbacks=None, **kwargs):
                batch_size = hp.Int("batch_size", 32, 64, step=32, default=64)
                train_ds = tf.data.Dataset.from_tensor_slices((x, y)).batch(batch_size)
                validation_data = tf.data.Dataset.from_tensor_slices(validation_data).batch(batch_size)
                optimizer = keras.optimizers.Adam(hp.Float("learning_rate", 1e-4, 1e-2, sampling="log", default=1e-3))
                loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
                epoch_loss_metric = keras.metrics.Mean()

                @tf.function
                def run_train_step(images, labels):
                    with tf.GradientTape() as tape:
                        loss = loss_fn(labels, model(images))
                    gradients = tape.gradient(loss, model.trainable_variables)
                    optimizer.apply_gradients(zip(gradients, model.trainable_variables))

                for callback in callbacks:
                    callback.set_model(model)
                best_epoch_loss = float("inf")
                for epoch in range(2):
                    for images, labels in train_ds:
                        run_train_step(images, labels)
                    for images, labels in validation_data:
                        epoch_loss_metric.update_state(loss_fn(labels, model(images)))
                    epoch_loss = float(epoch_loss_metric.result().numpy())
                    for callback in callbacks:
                        callback.on_epoch_end(epoch, logs={"my_metric": epoch_loss})
                    epoch_loss_metric.reset_state()
                    best_epoch_loss = min(best_epoch_loss, epoch_loss)
                return best_epoch_loss

        tuner = keras_tuner.RandomSearch(objective=keras_tuner.Objective("my_metric", "min"), max_trials=2,
                                         hypermodel=MyHyperModel(), directory="results",
                                         project_name="custom_training", overwrite=True)
        tuner.search(x=x_train, y=y_train, validation_data=(x_val, y_val))
        best_model = tuner.get_best_models()[0]
        print("LOGITS", tuple(best_model.predict(x_val[:4], verbose=0).shape))
    """)
    assert "LOGITS (4, 10)" in out
