"""Parity with real Keras 3 (torch backend) for APIs the keras.io developer guides lean on
(Sequential / functional / subclassing / built-in training / callbacks): how variables print,
custom metrics written with `add_variable` and `assign_add`, and what the loops hand to
callbacks."""
import numpy as np
import torch

import keraslite
from compat_tests.conftest import keras
from compat_tests.test_parity_training import _assert_history


def _same_dense_models(units=3):
    km = keras.Sequential([keras.Input((4,)), keras.layers.Dense(units, activation="softmax")])
    lm = keraslite.Sequential([keraslite.Input((4,)), keraslite.layers.Dense(units, activation="softmax")])
    lm.set_weights(km.get_weights())
    return km, lm


# ----------------------------------------------------------------------------- variable repr

def test_variable_repr_shows_the_value():
    kl = keras.layers.Dense(3, name="d")
    ll = keraslite.layers.Dense(3, name="d")
    kl.build((None, 4))
    ll.build((None, 4))
    ll.set_weights(kl.get_weights())
    assert [repr(v) for v in ll.weights] == [repr(v) for v in kl.weights]


def test_conv_variable_repr_in_keras_layout():
    kl = keras.layers.Conv2D(2, 3, name="c")
    ll = keraslite.layers.Conv2D(2, 3, name="c")
    kl.build((None, 5, 5, 1))
    ll.build((None, 5, 5, 1))
    ll.set_weights(kl.get_weights())
    assert repr(ll.kernel) == repr(kl.kernel)


# ----------------------------------------------------------------------------- custom metrics

def _true_positives_metric(lib, copy_result=False):
    """The keras.io guide's metric: a scalar state made with add_variable, updated with
    assign_add and reset with assign. `copy_result`: result() returns a copy, not the state
    itself; Keras's History keeps the returned tensor, so a result that is the state reads,
    after fit, whatever the state holds at the end (the last validation pass's count)."""

    class CategoricalTruePositives(lib.metrics.Metric):
        def __init__(self, name="categorical_true_positives", **kwargs):
            super().__init__(name=name, **kwargs)
            self.true_positives = self.add_variable(shape=(), name="ctp", initializer="zeros")

        def update_state(self, y_true, y_pred, sample_weight=None):
            y_pred = lib.ops.reshape(lib.ops.argmax(y_pred, axis=1), (-1, 1))
            values = lib.ops.cast(y_true, "int32") == lib.ops.cast(y_pred, "int32")
            values = lib.ops.cast(values, "float32")
            if sample_weight is not None:
                values = lib.ops.multiply(values, lib.ops.cast(sample_weight, "float32"))
            self.true_positives.assign_add(lib.ops.sum(values))

        def result(self):
            return lib.ops.copy(self.true_positives) if copy_result else self.true_positives

        def reset_state(self):
            self.true_positives.assign(0)

    return CategoricalTruePositives


def test_custom_metric_state_is_a_variable():
    km, lm = _true_positives_metric(keras)(), _true_positives_metric(keraslite)()
    y_true = np.array([[0], [1], [2], [1]])
    y_pred = np.eye(3, dtype="float32")[[0, 2, 2, 1]]
    for m in (km, lm):
        m.update_state(y_true, y_pred)
        m.update_state(y_true, y_pred, sample_weight=np.array([1.0, 2.0, 0.5, 1.0], "float32"))
    assert float(lm.result()) == float(km.result())
    assert [(v.path, tuple(v.shape)) for v in lm.variables] == [(v.path, tuple(v.shape)) for v in km.variables]
    assert repr(lm.true_positives) == repr(km.true_positives)
    lm.reset_state()
    km.reset_state()
    assert float(lm.result()) == float(km.result()) == 0.0


def test_custom_metric_in_fit_and_evaluate():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((48, 4)).astype("float32")
    y = rng.integers(0, 3, (48, 1))
    km, lm = _same_dense_models()
    kw = dict(optimizer="sgd", loss="sparse_categorical_crossentropy")
    km.compile(metrics=[_true_positives_metric(keras, copy_result=True)()], **kw)
    lm.compile(metrics=[_true_positives_metric(keraslite, copy_result=True)()], **kw)
    fit = dict(epochs=2, batch_size=16, shuffle=False, verbose=0, validation_split=0.25)
    _assert_history(lm.fit(x, y, **fit).history, km.fit(x, y, **fit).history)
    np.testing.assert_allclose(lm.evaluate(x, y, verbose=0), km.evaluate(x, y, verbose=0), rtol=1e-5)


def test_keras2_add_weight_with_the_name_first():
    """tf.keras's Metric.add_weight took the name first: add_weight("tp", initializer="zeros")."""

    class Count(keraslite.metrics.Metric):
        def __init__(self, name="count", **kwargs):
            super().__init__(name=name, **kwargs)
            self.n = self.add_weight("n", initializer="zeros")

        def update_state(self, y_true, y_pred, sample_weight=None):
            self.n.assign_add(torch.tensor(float(len(y_true))))

        def result(self):
            return self.n

    m = Count()
    m.update_state(np.zeros(5), np.zeros(5))
    assert m.n.path == "count/n" and tuple(m.n.shape) == () and float(m.result()) == 5.0


# ----------------------------------------------------------------------------- layer.losses

def _loss_layers(lib):
    class ActivityRegularization(lib.layers.Layer):
        def call(self, inputs):
            self.add_loss(1e-2 * lib.ops.mean(inputs))
            return inputs

    class Outer(lib.layers.Layer):
        def __init__(self):
            super().__init__()
            self.activity_reg = ActivityRegularization()

        def call(self, inputs):
            return self.activity_reg(inputs)

    return ActivityRegularization, Outer


def _loss_counts(lib):
    inner_cls, outer_cls = _loss_layers(lib)
    outer = outer_cls()
    counts = [len(outer.losses)]
    x = lib.ops.ones((1, 1))
    for call in (outer, outer, outer.activity_reg):  # the outer layer twice, then the inner one alone
        call(x)
        counts.append((len(outer.losses), len(outer.activity_reg.losses)))
    dense = lib.layers.Dense(2, kernel_regularizer="l2", activity_regularizer="l2")
    dense(lib.ops.ones((1, 3)))
    dense(lib.ops.ones((1, 3)))
    counts.append(len(dense.losses))
    inputs = lib.Input((1,))
    model = lib.Model(inputs, inner_cls()(inputs))
    model(x)
    model(x)
    counts.append(len(model.losses))
    return counts


def test_losses_hold_the_latest_outermost_call_only():
    """Keras clears the add_loss() results of a layer and its sublayers when a call starts
    from outside any other layer call, so `layer.losses` lists the last call's losses."""
    assert _loss_counts(keraslite) == _loss_counts(keras)


# ----------------------------------------------------------------------------- recompiling

def test_recompile_without_loss_or_metrics_keeps_the_previous_ones():
    """Keras 3 keeps the compiled loss and metrics when compile() is called again without
    them (changing only the optimizer), including with an add_loss() term in the model."""
    rng = np.random.default_rng(1)
    x = rng.standard_normal((32, 3)).astype("float32")
    y = rng.standard_normal((32, 2)).astype("float32")
    histories = []
    for lib in (keras, keraslite):
        class Penalty(lib.layers.Layer):
            def call(self, inputs):
                self.add_loss(1e-2 * lib.ops.mean(inputs))
                return inputs

        inputs = lib.Input((3,))
        model = lib.Model(inputs, Penalty()(lib.layers.Dense(2, name="d")(inputs)))
        histories.append(model)
    km, lm = histories
    lm.set_weights(km.get_weights())
    fit = dict(epochs=2, batch_size=8, shuffle=False, verbose=0)
    for model, lib in ((km, keras), (lm, keraslite)):
        model.compile(optimizer=lib.optimizers.SGD(0.1), loss="mse", metrics=["mae"])
        model.fit(x, y, **fit)
        model.compile(optimizer=lib.optimizers.SGD(0.05))
    _assert_history(lm.fit(x, y, **fit).history, km.fit(x, y, **fit).history)


def test_l1_and_l2_penalties_print_as_in_keras():
    """`print(layer.losses)` shows the penalty tensor; a single-term L1 / L2 is one product,
    as in Keras (same value, same autograd node), not a sum with a zero."""
    for name in ("l1", "l2"):
        kl = keras.layers.Dense(4, kernel_regularizer=getattr(keras.regularizers, name)(1e-3))
        ll = keraslite.layers.Dense(4, kernel_regularizer=getattr(keraslite.regularizers, name)(1e-3))
        kl.build((None, 3))
        ll.build((None, 3))
        ll.set_weights(kl.get_weights())
        (kp,), (lp,) = kl.losses, ll.losses
        assert type(lp.grad_fn).__name__ == type(kp.grad_fn).__name__
        np.testing.assert_allclose(float(lp), float(kp), rtol=1e-6)


# ----------------------------------------------------------------------------- data running out

def test_steps_per_epoch_past_the_data_warns_as_keras():
    import warnings

    x = np.random.default_rng(0).standard_normal((64, 3)).astype("float32")
    messages = []
    for lib in (keras, keraslite):
        class Batches(lib.utils.PyDataset):
            def __len__(self):
                return 4

            def __getitem__(self, i):
                return x[i * 16:(i + 1) * 16], x[i * 16:(i + 1) * 16, :1]

        model = lib.Sequential([lib.Input((3,)), lib.layers.Dense(1)])
        model.compile("sgd", "mse")
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            history = model.fit(Batches(), epochs=2, steps_per_epoch=6, verbose=0)
        # Keras warns on each epoch that runs out; under the default filter a script shows it once.
        messages.append((sorted({str(w.message) for w in caught if "ran out of data" in str(w.message)}),
                         history.epoch, history.params["steps"]))
    assert messages[1] == messages[0]


# ----------------------------------------------------------------------------- default weight names

def _unnamed_weight_paths(lib):
    class Linear(lib.layers.Layer):
        def __init__(self, units=2, input_dim=3):
            super().__init__()
            self.w = self.add_weight(shape=(input_dim, units), initializer="zeros")
            self.b = self.add_weight(shape=(units,), initializer="zeros", trainable=False)

        def call(self, inputs):
            return lib.ops.matmul(inputs, self.w) + self.b

    class Count(lib.metrics.Metric):
        def __init__(self):
            super().__init__(name="count")
            self.n = self.add_variable(shape=(), initializer="zeros")

    first, second = Linear(), Linear()
    return [w.path for w in first.weights + second.weights] + [v.path for v in Count().variables]


def test_unnamed_weights_get_keras_default_names():
    """Keras names an unnamed weight from one session-wide counter: variable, variable_1, ..."""
    assert _unnamed_weight_paths(keraslite) == _unnamed_weight_paths(keras)


def test_unnamed_weights_keep_per_layer_torch_names():
    """Two instances of a layer still have the same state_dict keys."""
    class Pair(keraslite.layers.Layer):
        def __init__(self):
            super().__init__()
            self.w = self.add_weight(shape=(2,), initializer="ones")
            self.b = self.add_weight(shape=(2,), initializer="zeros")

    first, second = Pair(), Pair()
    assert list(first.state_dict()) == list(second.state_dict())
    second.load_state_dict(first.state_dict())


def test_endless_pydataset_trains_for_the_steps_given():
    # A PyDataset whose num_batches is None never ends: fit/evaluate/predict take `steps`.
    def make(lib):
        class Endless(lib.utils.PyDataset):
            @property
            def num_batches(self):
                return None

            def __getitem__(self, i):
                x = np.full((4, 5), i % 3, "float32") / 3.0
                return x, x[:, :1] * 2.0

        model = lib.Sequential([lib.Input((5,)), lib.layers.Dense(1, kernel_initializer="ones")])
        model.compile(lib.optimizers.SGD(0.05), "mse")
        return model, Endless()

    results = []
    for lib in (keras, keraslite):
        model, data = make(lib)
        history = model.fit(data, steps_per_epoch=3, epochs=2, verbose=0).history
        results.append((history["loss"], model.evaluate(data, steps=2, verbose=0),
                        np.asarray(model.predict(data, steps=2, verbose=0))))
    np.testing.assert_allclose(results[1][0], results[0][0], rtol=1e-5)
    np.testing.assert_allclose(results[1][1], results[0][1], rtol=1e-5)
    np.testing.assert_allclose(results[1][2], results[0][2], rtol=1e-5)
