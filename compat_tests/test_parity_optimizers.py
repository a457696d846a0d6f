"""Optimizer parity: the same initial variables and the same 5 gradients through real
keras.optimizers.X (torch backend) and keraslite; final variables, the learning rate and the
exported optimizer variables (count, order, path, Keras shape, values) must agree."""
import numpy as np
import pytest
import torch

import keraslite
from keraslite.layers.layer import Layout, Permute, Variable
from keraslite.layers.recurrent import GateLayout
from compat_tests.conftest import keras

# (keras path, keras shape, keraslite layout: a permutation of the Keras axes or a Layout): a dense
# kernel and bias, a conv kernel stored as torch's (out, in, kh, kw) so that slot export has to go
# through the layout, and a GRU kernel whose Keras-layout view is a copy (its gate blocks are
# reordered), so an update must be written back.
SPECS = [("dense/kernel", (3, 4), None), ("dense/bias", (4,), None), ("conv2d/kernel", (2, 2, 3, 5), (3, 2, 0, 1)),
         ("gru_cell/kernel", (3, 6), GateLayout(3, (1, 0, 2), transpose=True))]

CASES = [
    ("SGD", {}),
    ("SGD", {"momentum": 0.9}),
    ("SGD", {"momentum": 0.9, "nesterov": True}),
    ("SGD", {"learning_rate": 0.1, "clipnorm": 0.5}),
    ("SGD", {"learning_rate": 0.1, "clipvalue": 0.2}),
    ("SGD", {"learning_rate": 0.1, "global_clipnorm": 0.7}),
    ("Adam", {}),
    ("Adam", {"learning_rate": 0.01, "amsgrad": True}),
    ("Adam", {"learning_rate": 0.01, "weight_decay": 0.1}),
    ("Adam", {"learning_rate": 0.01, "global_clipnorm": 0.5}),
    ("Adam", {"use_ema": True, "learning_rate": 0.05}),
    ("AdamW", {"learning_rate": 0.01}),
    ("AdamW", {"learning_rate": 0.01, "amsgrad": True, "weight_decay": 0.05}),
    ("RMSprop", {}),
    ("RMSprop", {"momentum": 0.5}),
    ("RMSprop", {"centered": True}),
    ("RMSprop", {"centered": True, "momentum": 0.9, "clipnorm": 1.0}),
    ("Adagrad", {"learning_rate": 0.1}),
    ("Adadelta", {"learning_rate": 1.0}),
    ("Adamax", {"learning_rate": 0.01}),
    ("Nadam", {"learning_rate": 0.01}),
    ("Ftrl", {"learning_rate": 0.1}),
    ("Ftrl", {"learning_rate": 0.1, "l1_regularization_strength": 0.01, "l2_regularization_strength": 0.02,
              "l2_shrinkage_regularization_strength": 0.01, "beta": 0.1}),
    ("Lion", {"learning_rate": 0.01}),
    ("Lion", {"learning_rate": 0.01, "weight_decay": 0.1}),
    ("Adam", {"gradient_accumulation_steps": 2, "learning_rate": 0.01}),
    # the averages move on every step, also those that only accumulate
    ("Adamax", {"gradient_accumulation_steps": 2, "learning_rate": 0.03, "use_ema": True, "ema_momentum": 0.5,
                "ema_overwrite_frequency": 3}),
]


def _schedule_pair():
    kwargs = dict(initial_learning_rate=0.1, decay_steps=2, decay_rate=0.5)
    return keras.optimizers.schedules.ExponentialDecay(**kwargs), keraslite.optimizers.schedules.ExponentialDecay(
        **kwargs)


def _make_variables(rng):
    init = [rng.standard_normal(shape).astype("float32") for _, shape, _ in SPECS]
    k_vars = []
    for (path, _, _), value in zip(SPECS, init):
        scope, name = path.split("/")
        with keras.name_scope(scope):
            k_vars.append(keras.Variable(value, name=name))
    l_vars = []
    for (path, _, perm), value in zip(SPECS, init):
        layout = perm if isinstance(perm, Layout) else Permute(perm) if perm else keraslite.layers.layer.IDENTITY
        t = layout.from_keras(torch.as_tensor(value)).contiguous()
        l_vars.append(Variable(t, name=path.split("/")[1], path=path, layout=layout))
    return k_vars, l_vars


def _run(k_opt, l_opt, steps=5, set_lr_at=None, seed=0, graph_form=False):
    rng = np.random.default_rng(seed)
    k_vars, l_vars = _make_variables(rng)
    for step in range(steps):
        if set_lr_at is not None and step == set_lr_at:
            k_opt.learning_rate = 0.005
            l_opt.learning_rate = 0.005
            assert float(l_opt.learning_rate) == pytest.approx(float(k_opt.learning_rate.numpy()), rel=1e-6)
        grads = [rng.standard_normal(shape).astype("float32") for _, shape, _ in SPECS]
        k_opt.apply_gradients(zip([torch.as_tensor(g) for g in grads], k_vars))
        for v, g in zip(l_vars, grads):
            v.grad = v.keras_layout.from_keras(torch.as_tensor(g)).contiguous()
        if graph_form:
            _graph_form_step(l_opt, l_vars)
        else:
            l_opt.step(l_vars)
    return k_vars, l_vars


def _graph_form_step(opt, variables):
    """The update exactly as a CUDA graph records it (per-step numbers in 0-d tensors filled by
    the host), run eagerly here so that it is checked on any machine."""
    if not opt.built:
        opt.build(variables)
        opt._graph_prepare(variables[0].device)
    opt._graph_fill()
    opt._graph_apply(variables, [v.grad for v in variables])
    opt._graph_step_done()


def _compare(k_opt, l_opt, k_vars, l_vars, atol=1e-7):
    for kv, lv in zip(k_vars, l_vars):
        np.testing.assert_allclose(lv.numpy(), keras.ops.convert_to_numpy(kv.value), rtol=1e-6, atol=atol,
                                   err_msg=f"variable {kv.path}")
    assert int(l_opt.iterations) == int(keras.ops.convert_to_numpy(k_opt.iterations))
    k_exp, l_exp = k_opt.variables, l_opt.variables
    assert [v.path for v in l_exp] == [v.path for v in k_exp]
    for kv, lv in zip(k_exp, l_exp):
        kn = keras.ops.convert_to_numpy(kv.value)
        ln = lv.numpy()
        assert ln.shape == kn.shape, kv.path
        scale = max(1.0, float(np.abs(kn).max())) if kn.size else 1.0
        np.testing.assert_allclose(ln, kn, rtol=1e-5, atol=atol * scale, err_msg=f"optimizer variable {kv.path}")
    assert [w.shape for w in l_opt.get_weights()] == [tuple(v.shape) for v in k_exp]


@pytest.mark.parametrize("name,kwargs", CASES, ids=[f"{n}-{'-'.join(k) or 'default'}" for n, k in CASES])
def test_optimizer_parity(name, kwargs):
    k_opt = getattr(keras.optimizers, name)(**kwargs)
    l_opt = getattr(keraslite.optimizers, name)(**kwargs)
    k_vars, l_vars = _run(k_opt, l_opt)
    # FTRL sets w = (clip(z) - z) / q from a z that grows every step: a 1-ulp difference in
    # pow (SIMD body vs scalar tail, which depends on the storage layout) becomes ~1e-7
    # absolute in a near-zero weight, so FTRL is compared at 1e-6 of the weights' scale.
    _compare(k_opt, l_opt, k_vars, l_vars, atol=1e-6 if name == "Ftrl" else 1e-7)
    assert float(l_opt.learning_rate) == pytest.approx(float(keras.ops.convert_to_numpy(k_opt.learning_rate)),
                                                       rel=1e-6)


GRAPH_CASES = [(n, k) for n, k in CASES if getattr(keraslite.optimizers, n)(**k)._graph_capable()]


def test_graph_capable_optimizers():
    assert {n for n, _ in GRAPH_CASES} == {"SGD", "Adam", "AdamW", "RMSprop"}


@pytest.mark.parametrize("name,kwargs", GRAPH_CASES, ids=[f"{n}-{'-'.join(k) or 'default'}" for n, k in GRAPH_CASES])
def test_graph_form_parity(name, kwargs):
    k_opt = getattr(keras.optimizers, name)(**kwargs)
    l_opt = getattr(keraslite.optimizers, name)(**kwargs)
    k_vars, l_vars = _run(k_opt, l_opt, graph_form=True)
    _compare(k_opt, l_opt, k_vars, l_vars)


@pytest.mark.parametrize("name", ["SGD", "Adam", "RMSprop"])
def test_graph_form_follows_learning_rate_changes(name):
    k_opt = getattr(keras.optimizers, name)(learning_rate=0.01)
    l_opt = getattr(keraslite.optimizers, name)(learning_rate=0.01)
    k_vars, l_vars = _run(k_opt, l_opt, set_lr_at=2, graph_form=True)
    _compare(k_opt, l_opt, k_vars, l_vars)
    k_sched, l_sched = _schedule_pair()
    k_opt = getattr(keras.optimizers, name)(learning_rate=k_sched)
    l_opt = getattr(keraslite.optimizers, name)(learning_rate=l_sched)
    k_vars, l_vars = _run(k_opt, l_opt, graph_form=True)
    _compare(k_opt, l_opt, k_vars, l_vars)


@pytest.mark.parametrize("name", ["SGD", "Adam", "RMSprop"])
def test_learning_rate_set_mid_training(name):
    k_opt = getattr(keras.optimizers, name)(learning_rate=0.01)
    l_opt = getattr(keraslite.optimizers, name)(learning_rate=0.01)
    k_vars, l_vars = _run(k_opt, l_opt, set_lr_at=2)
    _compare(k_opt, l_opt, k_vars, l_vars)


@pytest.mark.parametrize("name", ["SGD", "Adam"])
def test_schedule_parity(name):
    k_sched, l_sched = _schedule_pair()
    k_opt = getattr(keras.optimizers, name)(learning_rate=k_sched)
    l_opt = getattr(keraslite.optimizers, name)(learning_rate=l_sched)
    k_vars, l_vars = _run(k_opt, l_opt)
    _compare(k_opt, l_opt, k_vars, l_vars)
    assert float(l_opt.learning_rate) == pytest.approx(float(keras.ops.convert_to_numpy(k_opt.learning_rate)),
                                                       rel=1e-6)
    k_cfg, l_cfg = k_opt.get_config(), l_opt.get_config()
    assert l_cfg["learning_rate"]["class_name"] == k_cfg["learning_rate"]["class_name"]
    assert l_cfg["learning_rate"]["config"] == k_cfg["learning_rate"]["config"]


SCHEDULES = [
    ("ExponentialDecay", dict(initial_learning_rate=0.1, decay_steps=3, decay_rate=0.7)),
    ("ExponentialDecay", dict(initial_learning_rate=0.1, decay_steps=3, decay_rate=0.7, staircase=True)),
    ("PiecewiseConstantDecay", dict(boundaries=[2, 5], values=[0.1, 0.05, 0.01])),
    ("PolynomialDecay", dict(initial_learning_rate=0.1, decay_steps=4, power=2.0)),
    ("PolynomialDecay", dict(initial_learning_rate=0.1, decay_steps=4, cycle=True)),
    ("InverseTimeDecay", dict(initial_learning_rate=0.1, decay_steps=2, decay_rate=0.5)),
    ("InverseTimeDecay", dict(initial_learning_rate=0.1, decay_steps=2, decay_rate=0.5, staircase=True)),
    ("CosineDecay", dict(initial_learning_rate=0.1, decay_steps=6, alpha=0.1)),
    ("CosineDecay", dict(initial_learning_rate=0.0, decay_steps=6, warmup_target=0.2, warmup_steps=3)),
    ("CosineDecayRestarts", dict(initial_learning_rate=0.1, first_decay_steps=3)),
    ("CosineDecayRestarts", dict(initial_learning_rate=0.1, first_decay_steps=3, t_mul=1.0, m_mul=0.5)),
]


@pytest.mark.parametrize("name,kwargs", SCHEDULES)
def test_schedule_values_and_config(name, kwargs):
    k = getattr(keras.optimizers.schedules, name)(**kwargs)
    lite = getattr(keraslite.optimizers.schedules, name)(**kwargs)
    for step in range(14):
        np.testing.assert_allclose(lite(step), float(keras.ops.convert_to_numpy(k(step))), rtol=1e-6, atol=1e-8,
                                   err_msg=f"{name} at step {step}")
    assert lite.get_config() == k.get_config()


@pytest.mark.parametrize("name,kwargs", [c for c in SCHEDULES if c[0] in (
    "ExponentialDecay", "InverseTimeDecay")] + [SCHEDULES[-4]])
def test_schedule_over_an_array_of_steps(name, kwargs):
    # Tutorials plot a schedule by calling it on np.linspace(...): one float32 rate per step.
    k = getattr(keras.optimizers.schedules, name)(**kwargs)
    lite = getattr(keraslite.optimizers.schedules, name)(**kwargs)
    steps = np.linspace(0, 13, 9)
    expected = keras.ops.convert_to_numpy(k(steps))
    got = lite(steps)
    assert isinstance(got, torch.Tensor) and got.dtype == torch.float32 and tuple(got.shape) == expected.shape
    np.testing.assert_allclose(got.numpy(), expected, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(lite(torch.tensor(steps).reshape(3, 3)).numpy(), expected.reshape(3, 3), rtol=1e-6,
                               atol=1e-8)


@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta", "Adamax", "Nadam",
                                  "Ftrl", "Lion"])
def test_config_matches_keras(name):
    k_cfg = getattr(keras.optimizers, name)(name="opt").get_config()
    l_cfg = getattr(keraslite.optimizers, name)(name="opt").get_config()
    assert l_cfg == k_cfg
    # Each reads the other's config.
    assert getattr(keraslite.optimizers, name).from_config(k_cfg).get_config() == k_cfg
    assert getattr(keras.optimizers, name).from_config(l_cfg).get_config() == k_cfg


def test_constraint_applied_after_step():
    k_vars, l_vars = _make_variables(np.random.default_rng(1))
    k_vars[0].constraint = keras.constraints.NonNeg()
    l_vars[0].constraint = keraslite.constraints.NonNeg()
    k_vars[2].constraint = keras.constraints.MaxNorm(1.0)
    l_vars[2].constraint = keraslite.constraints.MaxNorm(1.0)
    k_opt, l_opt = keras.optimizers.SGD(0.1), keraslite.optimizers.SGD(0.1)
    rng = np.random.default_rng(2)
    for _ in range(2):
        grads = [rng.standard_normal(shape).astype("float32") for _, shape, _ in SPECS]
        k_opt.apply_gradients(zip([torch.as_tensor(g) for g in grads], k_vars))
        l_opt.apply_gradients([(v.keras_layout.from_keras(torch.as_tensor(g)), v) for v, g in zip(l_vars, grads)])
    for kv, lv in zip(k_vars, l_vars):
        np.testing.assert_allclose(lv.numpy(), keras.ops.convert_to_numpy(kv.value), rtol=1e-6, atol=1e-6)


def test_set_weights_from_keras_then_continue():
    """Optimizer state exported by Keras loads into keraslite and training continues identically."""
    rng = np.random.default_rng(3)
    k_vars, l_vars = _make_variables(rng)
    k_opt, l_opt = keras.optimizers.Adam(0.01), keraslite.optimizers.Adam(0.01)
    grads = [rng.standard_normal(shape).astype("float32") for _, shape, _ in SPECS]
    k_opt.apply_gradients(zip([torch.as_tensor(g) for g in grads], k_vars))
    l_opt.build(l_vars)
    l_opt.set_weights([keras.ops.convert_to_numpy(v.value) for v in k_opt.variables])
    for lv, kv in zip(l_vars, k_vars):
        lv.assign(keras.ops.convert_to_numpy(kv.value))
    grads = [rng.standard_normal(shape).astype("float32") for _, shape, _ in SPECS]
    k_opt.apply_gradients(zip([torch.as_tensor(g) for g in grads], k_vars))
    l_opt.apply_gradients([(v.keras_layout.from_keras(torch.as_tensor(g)), v) for v, g in zip(l_vars, grads)])
    _compare(k_opt, l_opt, k_vars, l_vars)


def test_exclude_from_weight_decay():
    k_opt = keras.optimizers.AdamW(learning_rate=0.01, weight_decay=0.1)
    l_opt = keraslite.optimizers.AdamW(learning_rate=0.01, weight_decay=0.1)
    rng = np.random.default_rng(4)
    k_vars, l_vars = _make_variables(rng)
    k_opt.exclude_from_weight_decay(var_names=["bias"])
    l_opt.exclude_from_weight_decay(var_names=["bias"])
    for _ in range(3):
        grads = [rng.standard_normal(shape).astype("float32") for _, shape, _ in SPECS]
        k_opt.apply_gradients(zip([torch.as_tensor(g) for g in grads], k_vars))
        l_opt.apply_gradients([(v.keras_layout.from_keras(torch.as_tensor(g)), v) for v, g in zip(l_vars, grads)])
    _compare(k_opt, l_opt, k_vars, l_vars)


def test_learning_rate_values_read_back_equal_keras():
    def reads(lib):
        opt = lib.optimizers.Adam(learning_rate=0.01)
        out = [float(opt.learning_rate)]
        opt.learning_rate.assign(0.005)
        out.append(float(opt.learning_rate))
        opt.learning_rate = 0.002
        out.append(float(opt.learning_rate))
        return out

    assert reads(keraslite) == reads(keras)
