"""Multi-output models against real Keras 3: which metric each output gets, the order of
evaluate()'s list, the keys of return_dict / History, and the key order of dict outputs."""
import numpy as np
import pytest

import keraslite

keras = pytest.importorskip("keras")
from compat_tests.parity import fit_both  # noqa: E402

TOPK = "sparse_top_k_categorical_accuracy"
METRICS = [
    [["accuracy"], ["accuracy", TOPK]],
    {"zcls": "accuracy", "areg": [TOPK, "accuracy"]},
    ["accuracy", TOPK],  # as long as the outputs: one metric per output (Keras 3)
    {"zcls": ["accuracy", TOPK]},
    [["accuracy"], None],
]


def _model(lib, metrics, dict_outputs):
    i = lib.Input((4,), name="x")
    h = lib.layers.Dense(8, activation="relu", name="h")(i)
    a = lib.layers.Dense(6, activation="softmax", name="zcls")(h)
    b = lib.layers.Dense(6, activation="softmax", name="areg")(h)
    model = lib.Model(i, {"zcls": a, "areg": b} if dict_outputs else [a, b])
    model.compile("adam", loss="sparse_categorical_crossentropy", metrics=metrics)
    return model


@pytest.mark.parametrize("dict_outputs", [False, True], ids=["list", "dict"])
@pytest.mark.parametrize("metrics", METRICS, ids=range(len(METRICS)))
def test_evaluate_order_and_keys_match_keras(metrics, dict_outputs):
    rng = np.random.default_rng(0)
    x = rng.random((32, 4), dtype=np.float32)
    y = rng.integers(0, 6, 32)
    targets = {"zcls": y, "areg": (y + 1) % 6}
    k_model, l_model = _model(keras, metrics, dict_outputs), _model(keraslite, metrics, dict_outputs)
    l_model.set_weights(k_model.get_weights())
    k_list = k_model.evaluate(x, targets, batch_size=8, verbose=0)
    l_list = l_model.evaluate(x, targets, batch_size=8, verbose=0)
    np.testing.assert_allclose(l_list, k_list, rtol=1e-5, atol=1e-6)
    k_dict = k_model.evaluate(x, targets, batch_size=8, verbose=0, return_dict=True)
    l_dict = l_model.evaluate(x, targets, batch_size=8, verbose=0, return_dict=True)
    assert list(l_dict) == list(k_dict)
    k_hist = k_model.fit(x, targets, batch_size=8, epochs=1, verbose=0, shuffle=False, validation_split=0.25)
    l_hist = l_model.fit(x, targets, batch_size=8, epochs=1, verbose=0, shuffle=False, validation_split=0.25)
    assert list(l_hist.history) == list(k_hist.history)
    for key in k_hist.history:
        np.testing.assert_allclose(l_hist.history[key], k_hist.history[key], rtol=1e-4, atol=1e-6, err_msg=key)


def test_dict_outputs_come_back_in_sorted_key_order():
    k_model, l_model = _model(keras, None, True), _model(keraslite, None, True)
    l_model.set_weights(k_model.get_weights())
    x = np.random.default_rng(1).random((5, 4), dtype=np.float32)
    k_pred, l_pred = k_model.predict(x, verbose=0), l_model.predict(x, verbose=0)
    assert list(l_pred) == list(k_pred)
    for key in k_pred:
        np.testing.assert_allclose(l_pred[key], k_pred[key], rtol=1e-5, atol=1e-6)
    assert list(l_model(x)) == list(k_model(x))


def test_one_target_for_the_only_output_with_a_loss():
    # keras.io's miniature GPT: Model(inputs, [logits, hidden]) compiled with loss=[fn, None]
    # and fit on a single target array.
    def build(lib):
        inputs = lib.Input((5,), dtype="int32")
        hidden = lib.layers.Embedding(10, 8)(inputs)
        model = lib.Model(inputs, [lib.layers.Dense(10)(hidden), hidden])
        model.compile(optimizer=lib.optimizers.SGD(0.1),
                      loss=[lib.losses.SparseCategoricalCrossentropy(from_logits=True), None])
        return model

    rng = np.random.default_rng(0)
    x, y = rng.integers(0, 10, (16, 5)), rng.integers(0, 10, (16, 5))
    _, _, kh, lh = fit_both(build, x, y, batch_size=8, epochs=2)
    assert list(lh) == list(kh)
    np.testing.assert_allclose(lh["loss"], kh["loss"], rtol=1e-5)


def test_predict_takes_a_tuple_of_inputs_like_keras():
    # Hands-On ML: model.predict((X_new_A, X_new_B)) on a two-input functional model.
    def build(lib):
        a, b = lib.Input((5,)), lib.Input((6,))
        return lib.Model([a, b], lib.layers.Dense(1)(lib.layers.concatenate([a, b])))

    k_model, l_model = build(keras), build(keraslite)
    l_model.set_weights(k_model.get_weights())
    rng = np.random.default_rng(0)
    pair = (rng.random((3, 5)).astype("float32"), rng.random((3, 6)).astype("float32"))
    np.testing.assert_allclose(l_model.predict(pair, verbose=0), k_model.predict(pair, verbose=0), rtol=1e-5)


def test_subclassed_model_with_tuple_outputs_names_like_keras():
    # Deep Learning with Python 3rd ed.'s CustomerTicketModel: outputs without names, list
    # losses and metrics. Keras names the losses after their functions, the metrics plainly.
    def run(lib):
        class Tickets(lib.Model):
            def __init__(self):
                super().__init__()
                self.a = lib.layers.Dense(1, kernel_initializer="ones")
                self.b = lib.layers.Dense(4, activation="softmax", kernel_initializer="ones")

            def call(self, x):
                return self.a(x), self.b(x)

        model = Tickets()
        model.compile(optimizer="sgd", loss=["mean_squared_error", "sparse_categorical_crossentropy"],
                      metrics=[["mean_absolute_error"], ["accuracy"]])
        x = np.linspace(0, 1, 160).reshape(32, 5).astype("float32")
        ys = [np.linspace(0, 1, 32).reshape(32, 1), (np.arange(32) % 4).reshape(32, 1)]
        history = model.fit(x, ys, epochs=1, verbose=0, shuffle=False).history
        return sorted(history), model.evaluate(x, ys, verbose=0)

    (l_keys, l_eval), (k_keys, k_eval) = run(keraslite), run(keras)
    assert l_keys == k_keys
    np.testing.assert_allclose(l_eval, k_eval, rtol=1e-4)


@pytest.mark.parametrize("metrics", METRICS[:2], ids=range(2))
def test_metrics_names_follow_the_order_of_evaluate(metrics):
    # Keras 3's own metrics_names lists containers ('compile_metrics'); keraslite lists each value,
    # so its names must name evaluate()'s values in order, whichever order that is.
    rng = np.random.default_rng(3)
    x, y = rng.random((16, 4), dtype=np.float32), rng.integers(0, 6, 16)
    targets = {"zcls": y, "areg": (y + 1) % 6}
    k_model, l_model = _model(keras, metrics, False), _model(keraslite, metrics, False)
    l_model.set_weights(k_model.get_weights())
    k_dict = k_model.evaluate(x, targets, verbose=0, return_dict=True)
    l_list = l_model.evaluate(x, targets, verbose=0)
    assert len(l_model.metrics_names) == len(l_list)
    for name, value in zip(l_model.metrics_names, l_list):
        np.testing.assert_allclose(value, k_dict[name], rtol=1e-5, atol=1e-6, err_msg=name)


def test_one_metric_list_for_every_output_comes_back_in_keras2_order():
    # Keras 2 gave each output all of a flat metrics list (Keras 3 rejects one shorter than the
    # outputs) and returned losses, then each output's metrics in output order (ACGAN reads
    # d_loss[3] as the validity accuracy, d_loss[4] as the class accuracy).
    rng = np.random.default_rng(4)
    x = rng.standard_normal((64, 8)).astype("float32")
    i = keraslite.Input((8,))
    valid = keraslite.layers.Dense(1, activation="sigmoid", name="valid")(i)
    label = keraslite.layers.Dense(10, activation="softmax", name="label")(i)
    model = keraslite.Model(i, [valid, label])
    model.compile(loss=["binary_crossentropy", "sparse_categorical_crossentropy"], optimizer="adam",
                  metrics=["accuracy"])
    yv, yl = np.ones((64, 1), "float32"), rng.integers(0, 10, (64, 1))
    pv, pl = model.predict(x, verbose=0)
    values = model.test_on_batch(x, [yv, yl])
    assert model.metrics_names == ["loss", "valid_loss", "label_loss", "valid_accuracy", "label_accuracy"]
    np.testing.assert_allclose(values[3], ((pv > 0.5) == yv).mean(), atol=1e-6)
    np.testing.assert_allclose(values[4], (pl.argmax(1) == yl[:, 0]).mean(), atol=1e-6)


def test_single_output_given_as_a_dict_trains_on_a_plain_label_array():
    # Machine Learning Crash Course (binary classification): outputs={'dense': x}, labels an array.
    rng = np.random.default_rng(5)
    x, y = rng.random((16, 2), dtype=np.float32), rng.integers(0, 2, 16).astype("float32")
    models = []
    for lib in (keras, keraslite):
        inp = lib.Input(shape=(2,))
        model = lib.Model(inputs=inp, outputs={"dense": lib.layers.Dense(1, activation="sigmoid", name="dense")(inp)})
        model.compile(optimizer=lib.optimizers.RMSprop(0.01), loss=lib.losses.BinaryCrossentropy(),
                      metrics=[lib.metrics.BinaryAccuracy(name="accuracy"), lib.metrics.AUC(name="auc")])
        models.append(model)
    models[1].set_weights(models[0].get_weights())
    k_hist, l_hist = (m.fit(x, y, batch_size=8, epochs=2, verbose=0, shuffle=False).history for m in models)
    assert sorted(l_hist) == sorted(k_hist)
    for key in k_hist:
        np.testing.assert_allclose(l_hist[key], k_hist[key], rtol=1e-4, atol=1e-6, err_msg=key)
    np.testing.assert_allclose(models[1].evaluate(x, y, verbose=0), models[0].evaluate(x, y, verbose=0), rtol=1e-4)
