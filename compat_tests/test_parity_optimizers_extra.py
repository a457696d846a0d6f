"""Lamb, Adafactor and LossScaleOptimizer against real keras.optimizers (torch backend): the
same variables (a conv kernel stored in torch's layout included) and gradients for several
steps; final variables and the exported optimizer variables (order, path, shape, values) must
agree; config round trips; and training through fit matches Keras."""
import numpy as np
import pytest
import torch

import keraslite
from compat_tests.conftest import keras
from compat_tests.parity import assert_same_weights, fit_both
from compat_tests.test_parity_optimizers import _compare, _make_variables, SPECS

CASES = [
    ("Lamb", {}),
    ("Lamb", {"learning_rate": 0.01, "beta_1": 0.8, "epsilon": 1e-5}),
    ("Lamb", {"learning_rate": 0.01, "weight_decay": 0.1, "clipnorm": 1.0}),
    ("Adafactor", {}),
    ("Adafactor", {"learning_rate": 0.1}),
    ("Adafactor", {"learning_rate": 0.05, "relative_step": False, "clip_threshold": 0.5, "beta_2_decay": -0.5,
                   "epsilon_2": 1e-2}),
    ("Adafactor", {"learning_rate": 0.01, "weight_decay": 0.05}),
    ("Muon", {}),
    ("Muon", {"learning_rate": 0.01, "nesterov": False, "rms_rate": None, "weight_decay": 0.1,
              "adam_weight_decay": None, "adam_lr_ratio": 0.5}),
    ("Muon", {"learning_rate": 0.02, "exclude_layers": ["dense"], "ns_steps": 3, "momentum": 0.9}),
]


def _run(k_opt, l_opt, steps=5, seed=0, grads_hook=None):
    rng = np.random.default_rng(seed)
    k_vars, l_vars = _make_variables(rng)
    for step in range(steps):
        grads = [rng.standard_normal(shape).astype("float32") for _, shape, _ in SPECS]
        if grads_hook is not None:
            grads = grads_hook(step, grads)
        k_opt.apply_gradients(zip([torch.as_tensor(g) for g in grads], k_vars))
        for v, g in zip(l_vars, grads):
            v.grad = v.keras_layout.from_keras(torch.as_tensor(g)).contiguous()
        l_opt.step(l_vars)
    return k_vars, l_vars


@pytest.mark.parametrize("name,kwargs", CASES, ids=[f"{i}-{n}" for i, (n, _) in enumerate(CASES)])
def test_optimizer_parity(name, kwargs):
    k_opt = getattr(keras.optimizers, name)(**kwargs)
    l_opt = getattr(keraslite.optimizers, name)(**kwargs)
    k_vars, l_vars = _run(k_opt, l_opt)
    _compare(k_opt, l_opt, k_vars, l_vars, atol=1e-6)
    assert l_opt.get_config() == k_opt.get_config()
    again = type(l_opt).from_config(l_opt.get_config())
    assert again.get_config() == l_opt.get_config()


def _lso_pair(inner="SGD", inner_kwargs=None, **kwargs):
    inner_kwargs = inner_kwargs or {"learning_rate": 0.1}
    k_opt = keras.optimizers.LossScaleOptimizer(getattr(keras.optimizers, inner)(**inner_kwargs), **kwargs)
    l_opt = keraslite.optimizers.LossScaleOptimizer(getattr(keraslite.optimizers, inner)(**inner_kwargs), **kwargs)
    return k_opt, l_opt


def _overflow_at(steps):
    def hook(step, grads):
        if step in steps:
            grads[1] = grads[1].copy()
            grads[1][0] = np.inf if step % 2 else np.nan
        return grads
    return hook


@pytest.mark.parametrize("inner,inner_kwargs,kwargs,bad_steps", [
    ("SGD", {"learning_rate": 0.1}, {"initial_scale": 4.0, "dynamic_growth_steps": 2}, ()),
    ("SGD", {"learning_rate": 0.1, "momentum": 0.9}, {"initial_scale": 8.0, "dynamic_growth_steps": 3}, (1, 4)),
    ("Adam", {"learning_rate": 0.01}, {}, (0, 2)),
])
def test_loss_scale_optimizer_parity(inner, inner_kwargs, kwargs, bad_steps):
    k_opt, l_opt = _lso_pair(inner, inner_kwargs, **kwargs)
    k_vars, l_vars = _run(k_opt, l_opt, steps=7, grads_hook=_overflow_at(bad_steps))
    for kv, lv in zip(k_vars, l_vars):
        np.testing.assert_allclose(lv.numpy(), keras.ops.convert_to_numpy(kv.value), rtol=1e-6, atol=1e-7)
    assert int(l_opt.iterations) == int(keras.ops.convert_to_numpy(k_opt.iterations))
    # Keras names the inner optimizer's slots under this optimizer's scope when apply() builds it.
    assert [v.path for v in l_opt.variables] == [v.path.replace("loss_scale_optimizer/", "", 1) if i >= 4 else v.path
                                                 for i, v in enumerate(k_opt.variables)]
    for k_w, l_w in zip(_keras_weights(k_opt), l_opt.get_weights()):
        assert np.shape(l_w) == np.shape(k_w)
        np.testing.assert_allclose(l_w, k_w, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(float(l_opt.dynamic_scale), float(keras.ops.convert_to_numpy(k_opt.dynamic_scale)))
    assert int(l_opt.step_counter) == int(keras.ops.convert_to_numpy(k_opt.step_counter))
    assert float(l_opt.scale_loss(torch.tensor(2.0))) == float(k_opt.scale_loss(torch.tensor(2.0)))
    l_cfg, k_cfg = l_opt.get_config(), k_opt.get_config()
    l_inner, k_inner = l_cfg.pop("inner_optimizer"), k_cfg.pop("inner_optimizer")
    assert l_cfg == k_cfg
    assert l_inner["class_name"] == k_inner["class_name"] and l_inner["config"] == k_inner["config"]
    again = keraslite.optimizers.deserialize(keraslite.optimizers.serialize(l_opt))
    assert isinstance(again, keraslite.optimizers.LossScaleOptimizer)
    assert again.get_config() == l_opt.get_config()


def test_loss_scale_optimizer_bad_arguments():
    for kwargs in ({"dynamic": False}, {"clipnorm": 1.0}, {"foo": 1}):
        with pytest.raises(ValueError):
            keras.optimizers.LossScaleOptimizer(keras.optimizers.SGD(), **kwargs)
        with pytest.raises(ValueError, match="LossScaleOptimizer"):
            keraslite.optimizers.LossScaleOptimizer(keraslite.optimizers.SGD(), **kwargs)


def _keras_weights(optimizer):
    return [keras.ops.convert_to_numpy(v.value) for v in optimizer.variables]


def _fit_pair(make_k_opt, make_l_opt, epochs=2):
    rng = np.random.default_rng(4)
    x = rng.normal(size=(32, 5)).astype("float32")
    y = rng.normal(size=(32, 3)).astype("float32")
    k_model = keras.Sequential([keras.Input((5,)), keras.layers.Dense(6, activation="tanh"), keras.layers.Dense(3)])
    l_model = keraslite.Sequential([keraslite.Input((5,)), keraslite.layers.Dense(6, activation="tanh"),
                                    keraslite.layers.Dense(3)])
    l_model.set_weights(k_model.get_weights())
    k_model.compile(optimizer=make_k_opt(), loss="mse")
    l_model.compile(optimizer=make_l_opt(), loss="mse")
    k_hist = k_model.fit(x, y, batch_size=8, epochs=epochs, shuffle=False, verbose=0).history
    l_hist = l_model.fit(x, y, batch_size=8, epochs=epochs, shuffle=False, verbose=0).history
    np.testing.assert_allclose(l_hist["loss"], k_hist["loss"], rtol=2e-5, atol=1e-6)
    for k_w, l_w in zip(k_model.get_weights(), l_model.get_weights()):
        np.testing.assert_allclose(l_w, k_w, rtol=1e-4, atol=1e-6)
    k_opt_w, l_opt_w = _keras_weights(k_model.optimizer), l_model.optimizer.get_weights()
    assert len(k_opt_w) == len(l_opt_w)
    for k_w, l_w in zip(k_opt_w, l_opt_w):
        np.testing.assert_allclose(np.asarray(l_w, dtype="float64"), np.asarray(k_w, dtype="float64"), rtol=1e-4,
                                   atol=1e-6)
    return k_model, l_model


@pytest.mark.parametrize("name,kwargs", [("Lamb", {"learning_rate": 0.01}), ("Adafactor", {"learning_rate": 0.05}),
                                         ("SGD", {"learning_rate": 0.05, "loss_scale_factor": 128.0}),
                                         ("Muon", {"learning_rate": 0.02})])
def test_fit_matches_keras(name, kwargs):
    _fit_pair(lambda: getattr(keras.optimizers, name)(**kwargs), lambda: getattr(keraslite.optimizers, name)(**kwargs))


def test_fit_with_loss_scale_optimizer_matches_keras():
    _fit_pair(lambda: keras.optimizers.LossScaleOptimizer(keras.optimizers.Adam(0.01), dynamic_growth_steps=3),
              lambda: keraslite.optimizers.LossScaleOptimizer(keraslite.optimizers.Adam(0.01), dynamic_growth_steps=3))


@pytest.mark.parametrize("name", ["Lamb", "Adafactor"])
def test_weights_file_round_trip_from_keras(name, tmp_path):
    k_model, l_model = _fit_pair(lambda: getattr(keras.optimizers, name)(learning_rate=0.01),
                                 lambda: getattr(keraslite.optimizers, name)(learning_rate=0.01), epochs=1)
    path = str(tmp_path / "model.keras")
    k_model.save(path)
    loaded = keraslite.saving.load_model(path)
    assert type(loaded.optimizer).__name__ == name
    for k_w, l_w in zip(_keras_weights(k_model.optimizer), loaded.optimizer.get_weights()):
        np.testing.assert_allclose(l_w, k_w)


def test_keras_file_with_loss_scale_optimizer_loads_and_continues(tmp_path):
    k_model, _ = _fit_pair(
        lambda: keras.optimizers.LossScaleOptimizer(keras.optimizers.Adam(0.01), dynamic_growth_steps=3),
        lambda: keraslite.optimizers.LossScaleOptimizer(keraslite.optimizers.Adam(0.01), dynamic_growth_steps=3),
        epochs=1)
    path = str(tmp_path / "lso.keras")
    k_model.save(path)
    loaded = keraslite.saving.load_model(path)
    assert isinstance(loaded.optimizer, keraslite.optimizers.LossScaleOptimizer)
    assert isinstance(loaded.optimizer.inner_optimizer, keraslite.optimizers.Adam)
    for k_w, l_w in zip(_keras_weights(k_model.optimizer), loaded.optimizer.get_weights()):
        np.testing.assert_allclose(l_w, k_w)
    rng = np.random.default_rng(9)
    x = rng.normal(size=(16, 5)).astype("float32")
    y = rng.normal(size=(16, 3)).astype("float32")
    k_hist = k_model.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0).history
    l_hist = loaded.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0).history
    np.testing.assert_allclose(l_hist["loss"], k_hist["loss"], rtol=2e-5)
    for k_w, l_w in zip(_keras_weights(k_model.optimizer), loaded.optimizer.get_weights()):
        np.testing.assert_allclose(l_w, k_w, rtol=1e-4, atol=1e-6)


def test_an_overridden_apply_sees_every_update_as_in_keras():
    # Gradient centralization in Keras 3: a subclass overrides apply(); fit and apply_gradients
    # must both go through it.
    def build(lib):
        class Centralized(lib.optimizers.SGD):
            calls = 0

            def apply(self, grads, trainable_variables=None):
                type(self).calls += 1
                grads = [g - lib.ops.mean(g, axis=0, keepdims=True) if len(g.shape) > 1 else g for g in grads]
                return super().apply(grads, trainable_variables)

        model = lib.Sequential([lib.Input((3,)), lib.layers.Dense(2)])
        model.compile(optimizer=Centralized(0.1), loss="mse")
        return model, Centralized

    rng = np.random.default_rng(0)
    x, y = rng.random((8, 3)).astype("float32"), rng.random((8, 2)).astype("float32")
    (k_model, k_cls), (l_model, l_cls) = build(keras), build(keraslite)
    l_model.set_weights(k_model.get_weights())
    for m in (k_model, l_model):
        m.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0)
    assert l_cls.calls == k_cls.calls == 4
    assert_same_weights(l_model, k_model)
    grads = [np.ones((3, 2), "float32"), np.ones((2,), "float32")]
    l_model.optimizer.apply_gradients(zip([keraslite.ops.convert_to_tensor(g) for g in grads],
                                          l_model.trainable_variables))
    assert l_cls.calls == 5


def test_a_custom_optimizer_written_against_the_keras_3_api_trains_like_keras():
    # build() with add_variable_from_reference, update_step() with assign / assign_sub and
    # _get_variable_index, as keras.io's custom-optimizer pattern writes them.
    def build(lib):
        class MomentumSGD(lib.optimizers.Optimizer):
            def __init__(self, learning_rate=0.1, name="momentum_sgd", **kwargs):
                super().__init__(learning_rate=learning_rate, name=name, **kwargs)

            def build(self, variables):
                if self.built:
                    return
                super().build(variables)
                self.moments = [self.add_variable_from_reference(v, "moment") for v in variables]

            def update_step(self, gradient, variable, learning_rate):
                lr = lib.ops.cast(learning_rate, variable.dtype)
                moment = self.moments[self._get_variable_index(variable)]
                self.assign(moment, moment * 0.5 + gradient)
                self.assign_sub(variable, lr * moment)

        model = lib.Sequential([lib.Input((3,)), lib.layers.Dense(4, activation="tanh"), lib.layers.Dense(1)])
        model.compile(optimizer=MomentumSGD(0.05), loss="mse")
        return model

    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((16, 3)).astype("float32"), rng.standard_normal((16, 1)).astype("float32")
    k_model, l_model, kh, lh = fit_both(build, x, y, batch_size=4, epochs=2)
    np.testing.assert_allclose(lh["loss"], kh["loss"], rtol=1e-5)
    assert_same_weights(l_model, k_model)
    k_vars, l_vars = k_model.optimizer.variables, l_model.optimizer.variables
    assert len(l_vars) == len(k_vars) == 2 + 4
    for lv, kv in zip(l_vars[2:], k_vars[2:]):
        np.testing.assert_allclose(lv.numpy(), np.asarray(kv.numpy()), rtol=1e-5, atol=1e-6)


def test_learning_rate_converts_to_a_float32_array_as_in_keras():
    k = keras.ops.convert_to_numpy(keras.optimizers.Adam(0.001).learning_rate)
    lite = keraslite.ops.convert_to_numpy(keraslite.optimizers.Adam(0.001).learning_rate)
    assert lite.dtype == k.dtype and lite.shape == k.shape and lite == k
    assert keraslite.backend.eval(keraslite.optimizers.Adam(0.001).learning_rate).dtype == np.float32


def _centralizing(lib, base):
    """keras.io's gradient centralization: an optimizer subclass whose `apply` takes the mean
    over every axis but the last out of each multi-axis gradient."""
    ops = lib.ops

    class Centralized(getattr(lib.optimizers, base)):
        def apply(self, grads, trainable_variables=None):
            grads = [g - ops.mean(g, axis=list(range(len(g.shape) - 1)), keepdims=True) if len(g.shape) > 1 else g
                     for g in grads]
            return super().apply(grads, trainable_variables)

    return Centralized(learning_rate=0.01)


@pytest.mark.parametrize("base", ["RMSprop", "Adam", "SGD"])
def test_gradient_centralization_sees_kernels_in_keras_layout(base):
    def build(lib):
        model = lib.Sequential([lib.Input((8, 8, 3)), lib.layers.Conv2D(4, 3, activation="relu"),
                                lib.layers.Flatten(), lib.layers.Dense(2)])
        model.compile(_centralizing(lib, base), "mse")
        return model

    rng = np.random.default_rng(0)
    x, y = rng.random((16, 8, 8, 3)).astype("float32"), rng.random((16, 2)).astype("float32")
    k_model, l_model, kh, lh = fit_both(build, x, y, epochs=3, batch_size=8)
    np.testing.assert_allclose(lh["loss"], kh["loss"], rtol=1e-4)
    assert_same_weights(l_model, k_model, rtol=1e-4, atol=1e-5)
