"""Optimizer unit tests: name/config resolution (Keras 3 and Keras 2 forms), update rules
against independent numpy formulas, legacy `decay`, schedules, weights round trips, and no
device synchronisation per step (CUDA only)."""
import numpy as np
import pytest
import torch

from keraslite import backend, constraints, optimizers
from keraslite.layers.layer import Permute, Variable
from keraslite.optimizers import schedules

NAMES = ["sgd", "adam", "adamw", "rmsprop", "adagrad", "adadelta", "adamax", "nadam", "ftrl", "lion"]


def _params(values):
    out = []
    for i, v in enumerate(values):
        p = Variable(torch.as_tensor(np.asarray(v, dtype="float32")), name=f"w{i}", path=f"dense/w{i}")
        out.append(p)
    return out


@pytest.mark.parametrize("name", NAMES)
def test_get_by_name_any_case(name):
    for spelling in (name, name.upper(), name.capitalize()):
        opt = optimizers.get(spelling)
        assert type(opt).__name__.lower() == name
    cls = type(optimizers.get(name))
    assert isinstance(optimizers.get(cls), cls)
    inst = cls()
    assert optimizers.get(inst) is inst
    assert optimizers.get(None) is None


def test_get_unknown_lists_valid_names():
    with pytest.raises(ValueError, match="adamx.*adam.*sgd"):
        optimizers.get("adamx")


def test_keras2_config_forms():
    tf_keras = {"class_name": "Custom>Adam", "config": {
        "name": "Adam", "weight_decay": None, "clipnorm": None, "global_clipnorm": None, "clipvalue": None,
        "use_ema": False, "ema_momentum": 0.99, "ema_overwrite_frequency": None, "jit_compile": True,
        "is_legacy_optimizer": False, "learning_rate": 0.0010000000474974513, "beta_1": 0.9, "beta_2": 0.999,
        "epsilon": 1e-07, "amsgrad": False}}
    opt = optimizers.get(tf_keras)
    assert isinstance(opt, optimizers.Adam) and opt.learning_rate == pytest.approx(1e-3)
    keras22 = {"class_name": "SGD", "config": {"lr": 0.05, "momentum": 0.9, "decay": 0.001, "nesterov": True}}
    opt = optimizers.get(keras22)
    assert isinstance(opt, optimizers.SGD) and opt.lr == pytest.approx(0.05) and opt.decay == 0.001
    assert opt.nesterov and opt.momentum == 0.9
    keras3 = {"module": "keras.optimizers", "class_name": "RMSprop", "config": {"learning_rate": 0.01, "rho": 0.8},
              "registered_name": None}
    opt = optimizers.get(keras3)
    assert isinstance(opt, optimizers.RMSprop) and opt.rho == 0.8


def test_unknown_argument_is_an_error():
    with pytest.raises(ValueError, match="unrecognized argument.*'betas'"):
        optimizers.Adam(betas=(0.9, 0.99))


def test_config_round_trip_every_optimizer():
    for name in NAMES:
        opt = optimizers.get(name)
        config = opt.get_config()
        again = type(opt).from_config(config)
        assert again.get_config() == config
        assert isinstance(config["learning_rate"], float)


def test_schedule_in_config_round_trips():
    sched = schedules.CosineDecay(0.1, 100, alpha=0.1, warmup_target=0.2, warmup_steps=5)
    opt = optimizers.Adam(learning_rate=sched)
    config = opt.get_config()
    assert config["learning_rate"]["class_name"] == "CosineDecay"
    again = optimizers.Adam.from_config(config)
    assert isinstance(again._learning_rate, schedules.CosineDecay)
    assert again._learning_rate.get_config() == sched.get_config()
    with pytest.raises(TypeError, match="not settable"):
        opt.learning_rate = 0.5


def test_sgd_momentum_matches_numpy():
    w0, grads = np.array([1.0, -2.0]), [np.array([0.5, 0.1]), np.array([-0.3, 0.2]), np.array([0.1, 0.1])]
    (p,) = _params([w0])
    opt = optimizers.SGD(learning_rate=0.1, momentum=0.9, nesterov=True)
    w, m = w0.copy(), np.zeros(2)
    for g in grads:
        p.grad = torch.as_tensor(g, dtype=torch.float32)
        opt.step([p])
        m = 0.9 * m - 0.1 * g
        w = w + 0.9 * m - 0.1 * g
    np.testing.assert_allclose(p.numpy(), w, rtol=1e-6)
    assert int(opt.iterations) == 3


def test_adam_epsilon_hat_matches_numpy():
    """Keras puts epsilon on the uncorrected sqrt(v); with a large epsilon the difference from
    torch's placement is large, so this pins the formula."""
    w0 = np.array([0.3, -0.7, 1.1])
    rng = np.random.default_rng(0)
    grads = [rng.normal(size=3) for _ in range(4)]
    for fused in (True, False):
        (p,) = _params([w0])
        opt = optimizers.Adam(learning_rate=0.1, epsilon=0.1)
        opt.build([p])
        opt._fused = fused
        w, m, v = w0.copy(), np.zeros(3), np.zeros(3)
        for t, g in enumerate(grads, 1):
            p.grad = torch.as_tensor(g, dtype=torch.float32)
            opt.step([p])
            m = 0.9 * m + 0.1 * g
            v = 0.999 * v + 0.001 * g * g
            w = w - 0.1 * np.sqrt(1 - 0.999 ** t) / (1 - 0.9 ** t) * m / (np.sqrt(v) + 0.1)
        np.testing.assert_allclose(p.numpy(), w, rtol=2e-5)


def test_rmsprop_epsilon_inside_sqrt():
    (p,) = _params([[1.0, 1.0]])
    opt = optimizers.RMSprop(learning_rate=0.1, epsilon=1.0)
    g = np.array([0.5, -2.0])
    p.grad = torch.as_tensor(g, dtype=torch.float32)
    opt.step([p])
    v = 0.1 * g * g
    np.testing.assert_allclose(p.numpy(), 1.0 - 0.1 * g / np.sqrt(v + 1.0), rtol=1e-6)


def test_legacy_decay_is_time_based():
    (p,) = _params([[0.0]])
    opt = optimizers.SGD(lr=0.1, decay=0.5)
    expected = 0.0
    for t in range(4):
        p.grad = torch.ones(1)
        opt.step([p])
        expected -= 0.1 / (1 + 0.5 * t)
    np.testing.assert_allclose(p.numpy(), [expected], rtol=1e-6)
    # as in Keras 2, `lr` is the rate given, not the decayed one the update used
    assert opt.lr == pytest.approx(0.1)


def test_legacy_decay_get_then_set_lr_does_not_compound():
    (p,) = _params([[0.0]])
    opt = optimizers.SGD(lr=0.1, decay=1.0)
    for _ in range(3):
        p.grad = torch.ones(1)
        opt.step([p])
    backend.set_value(opt.lr, backend.get_value(opt.lr) * 0.5)  # what ReduceLROnPlateau does
    assert float(backend.get_value(opt.lr)) == pytest.approx(0.05)
    before = p.numpy().copy()
    p.grad = torch.ones(1)
    opt.step([p])
    np.testing.assert_allclose(before - p.numpy(), [0.05 / (1 + 1.0 * 3)], rtol=1e-6)


def test_learning_rate_settable_and_lr_alias():
    opt = optimizers.Adam(0.01)
    opt.learning_rate = 0.5
    assert opt.lr == pytest.approx(0.5) and float(opt.learning_rate.numpy()) == pytest.approx(0.5)
    opt.lr = 0.25
    assert opt.learning_rate == pytest.approx(0.25)
    opt.learning_rate.assign(0.125)
    assert opt.lr == pytest.approx(0.125)


def test_variables_names_order_and_keras_layout():
    conv = Variable(torch.zeros(5, 3, 2, 2), name="kernel", path="conv2d/kernel", layout=Permute((3, 2, 0, 1)))
    bias = Variable(torch.zeros(5), name="bias", path="conv2d/bias")
    opt = optimizers.Adam(amsgrad=True)
    opt.build([conv, bias])
    paths = [v.path for v in opt.variables]
    assert paths == ["adam/iteration", "adam/learning_rate", "adam/conv2d_kernel_momentum",
                     "adam/conv2d_kernel_velocity", "adam/conv2d_bias_momentum", "adam/conv2d_bias_velocity",
                     "adam/conv2d_kernel_velocity_hat", "adam/conv2d_bias_velocity_hat"]
    shapes = [w.shape for w in opt.get_weights()]
    assert shapes[2] == (2, 2, 3, 5)  # Keras layout, not torch's (5, 3, 2, 2)
    rms = optimizers.RMSprop(momentum=0.9, centered=True, name="rms")
    rms.build([conv, bias])
    assert [v.path.split("/")[1] for v in rms.variables[2:]] == [
        "conv2d_kernel_velocity", "conv2d_bias_velocity", "conv2d_kernel_momentum", "conv2d_bias_momentum",
        "conv2d_kernel_average_gradient", "conv2d_bias_average_gradient"]
    assert [v.path for v in optimizers.SGD(name="s").variables] == ["s/iteration", "s/learning_rate"]


def test_get_set_weights_round_trip():
    rng = np.random.default_rng(0)
    params = _params([rng.normal(size=(3, 2)), rng.normal(size=2)])
    opt = optimizers.Nadam()
    for _ in range(3):
        for p in params:
            p.grad = torch.randn_like(p)
        opt.step(params)
    weights = opt.get_weights()
    other = optimizers.Nadam()
    other.build(params)
    other.set_weights(weights)
    for a, b in zip(other.get_weights(), weights):
        np.testing.assert_array_equal(a, b)
    assert int(other.iterations) == 3
    with pytest.raises(ValueError, match="shape"):
        other.set_weights([w if i != 2 else np.zeros((7,)) for i, w in enumerate(weights)])


def test_skips_missing_gradients_and_applies_constraint():
    params = _params([[2.0, -3.0], [1.0]])
    params[0].constraint = constraints.NonNeg()
    params[0].grad = torch.tensor([0.0, 0.0])
    params[1].grad = None
    opt = optimizers.SGD(0.1)
    opt.step(params)
    np.testing.assert_array_equal(params[0].numpy(), [2.0, 0.0])
    np.testing.assert_array_equal(params[1].numpy(), [1.0])
    new = _params([[0.0]])[0]  # a variable it was not built with is taken on (see below)
    opt.apply_gradients([(torch.ones(1), new)])
    np.testing.assert_allclose(new.numpy(), [-0.1])


def test_clipping_options_are_exclusive():
    with pytest.raises(ValueError, match="Only one of"):
        optimizers.SGD(clipnorm=1.0, clipvalue=1.0)


def test_schedules_formulas():
    assert schedules.ExponentialDecay(1.0, 10, 0.5)(20) == pytest.approx(0.25)
    assert schedules.ExponentialDecay(1.0, 10, 0.5, staircase=True)(19) == pytest.approx(0.5)
    assert schedules.PiecewiseConstantDecay([5, 10], [1.0, 0.5, 0.1])(5) == 1.0
    assert schedules.PiecewiseConstantDecay([5, 10], [1.0, 0.5, 0.1])(6) == 0.5
    assert schedules.PiecewiseConstantDecay([5, 10], [1.0, 0.5, 0.1])(11) == 0.1
    assert schedules.InverseTimeDecay(1.0, 1, 1.0)(3) == pytest.approx(0.25)
    assert schedules.PolynomialDecay(1.0, 10, end_learning_rate=0.0)(5) == pytest.approx(0.5)
    assert schedules.CosineDecay(1.0, 10)(5) == pytest.approx(0.5)
    assert schedules.CosineDecay(0.0, 10, warmup_target=1.0, warmup_steps=4)(2) == pytest.approx(0.5)
    assert schedules.CosineDecayRestarts(1.0, 4, t_mul=1.0)(4) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="length of boundaries"):
        schedules.PiecewiseConstantDecay([1, 2], [1.0])
    cfg = schedules.serialize(schedules.ExponentialDecay(0.1, 5, 0.9))
    assert cfg["module"] == "keras.optimizers.schedules" and cfg["class_name"] == "ExponentialDecay"
    assert schedules.deserialize(cfg).get_config() == schedules.ExponentialDecay(0.1, 5, 0.9).get_config()


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
@pytest.mark.parametrize("factory", [
    lambda: optimizers.SGD(0.1, momentum=0.9, nesterov=True), lambda: optimizers.Adam(amsgrad=True, clipnorm=1.0),
    lambda: optimizers.AdamW(global_clipnorm=1.0), lambda: optimizers.RMSprop(centered=True, momentum=0.5,
                                                                               clipvalue=0.1),
    optimizers.Adagrad, optimizers.Adadelta, optimizers.Adamax, optimizers.Nadam, optimizers.Ftrl,
    lambda: optimizers.Lion(weight_decay=0.1),
    lambda: optimizers.Adam(schedules.CosineDecay(0.1, 10, warmup_target=0.2, warmup_steps=2)),
    lambda: optimizers.Adam(use_ema=True, gradient_accumulation_steps=2), lambda: optimizers.SGD(0.1, decay=0.01)])
def test_step_never_syncs_with_the_device(factory):
    params = [torch.nn.Parameter(torch.randn(s, device="cuda")) for s in [(8, 4), (4,)]]
    for p in params:
        p.grad = torch.randn_like(p)
    opt = factory()
    opt.step(params)  # first step builds (allocation may sync)
    torch.cuda.synchronize()
    torch.cuda.set_sync_debug_mode("error")
    try:
        for _ in range(3):
            opt.step(params)
            _ = opt.iterations, opt.learning_rate
    finally:
        torch.cuda.set_sync_debug_mode(0)
    assert opt._iterations == 4  # raw count (iterations itself divides by gradient_accumulation_steps)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_slots_follow_the_model_to_another_device():
    module = torch.nn.Linear(3, 2)
    opt = optimizers.Adam()
    opt.build(list(module.parameters()))  # slots on the CPU, as after loading a saved optimizer
    module.cuda()  # keeps the Parameter objects, moves their data
    params = list(module.parameters())
    for p in params:
        p.grad = torch.ones_like(p)
    opt.step(params)
    assert all(v.device.type == "cuda" for v in opt.variables[2:])
    assert int(opt.iterations) == 1


def test_learning_rate_reads_back_as_float32_like_a_keras_variable():
    opt = optimizers.Adam(learning_rate=0.01)
    assert float(opt.learning_rate) == float(np.float32(0.01)) != 0.01
    opt.learning_rate.assign(0.005)
    assert float(opt.learning_rate) == float(np.float32(0.005))
    opt.learning_rate = 0.002
    assert float(opt.learning_rate) == float(np.float32(0.002))


def test_loss_scale_optimizer_tf2_custom_loop_api():
    # The mixed-precision guide's loop: get_scaled_loss -> gradients -> get_unscaled_gradients ->
    # apply_gradients gives the same update as the inner optimizer on the plain gradients.
    import numpy as np
    import torch

    import keraslite
    from keraslite.optimizers import SGD, LossScaleOptimizer

    w_scaled = keraslite.Variable(np.array([1.0, -2.0], "float32"))
    w_plain = keraslite.Variable(np.array([1.0, -2.0], "float32"))
    scaled_opt, plain_opt = LossScaleOptimizer(SGD(0.1)), SGD(0.1)
    for _ in range(3):
        scaled = scaled_opt.get_scaled_loss(torch.sum(w_scaled ** 2))
        grads = torch.autograd.grad(scaled, [w_scaled])
        scaled_opt.apply_gradients(zip(scaled_opt.get_unscaled_gradients(grads), [w_scaled]))
        plain_opt.apply_gradients(zip(torch.autograd.grad(torch.sum(w_plain ** 2), [w_plain]), [w_plain]))
    np.testing.assert_allclose(w_scaled.numpy(), w_plain.numpy(), rtol=1e-6)
    assert float(scaled_opt.loss_scale) == 2.0 ** 15 and scaled_opt.dynamic


def test_one_optimizer_takes_on_the_variables_of_a_second_model():
    # The Keras 2 GAN recipe compiles the discriminator and the combined model with one
    # optimizer; tf.keras 2 made slots per variable as they came. The first variables keep
    # their slot variables (same objects, same values).
    opt = optimizers.Adam(0.1)
    a, b = Variable(torch.ones(3)), Variable(torch.ones(2))
    opt.apply_gradients([(torch.full((3,), 0.5), a)])
    slots_a = [v for v in opt.variables if tuple(v.shape) == (3,)]
    values = [v.detach().clone() for v in slots_a]
    opt.apply_gradients([(torch.full((2,), 0.5), b)])
    assert int(opt.iterations) == 2
    assert all(any(s is v for v in opt.variables) for s in slots_a)
    for s, v in zip(slots_a, values):
        np.testing.assert_array_equal(s.detach().numpy(), v.numpy())
    assert not np.allclose(b.detach().numpy(), 1.0)
    before = a.detach().clone()
    opt.apply_gradients([(torch.full((3,), 0.5), a)])
    assert not torch.equal(before, a.detach())


@pytest.mark.parametrize("name", ["Adam", "AdamW", "RMSprop", "SGD", "Adagrad", "Nadam"])
def test_a_gradient_laid_out_unlike_its_weight_gives_the_same_step(name):
    # A convolution kernel is stored channels-last; the fused Adam steps read a gradient as laid
    # out like its weight, so a contiguous gradient (from torch.autograd.grad or numpy) must
    # give the same update as one with the kernel's own strides.
    import keraslite

    conv = keraslite.layers.Conv2D(4, 3)
    conv.build((None, 8, 8, 3))
    kernel = conv.kernel
    grad = torch.randn(kernel.size(), generator=torch.Generator().manual_seed(0))  # the storage's shape
    assert grad.stride() != kernel.stride()
    start = kernel.detach().clone()
    results = []
    for g in (grad.contiguous(), torch.empty_like(kernel).copy_(grad)):
        with torch.no_grad():
            kernel.copy_(start)
        opt = getattr(keraslite.optimizers, name)(learning_rate=0.1)
        for _ in range(2):
            opt.apply_gradients([(g, kernel)])
        results.append(kernel.detach().clone())
    torch.testing.assert_close(results[0], results[1])
    # A gradient a program made with the shape it reads off the kernel (the Keras layout) is
    # the same gradient seen in that layout.
    with torch.no_grad():
        kernel.copy_(start)
    opt = getattr(keraslite.optimizers, name)(learning_rate=0.1)
    assert kernel.shape == (3, 3, 3, 4)
    for _ in range(2):
        opt.apply_gradients([(grad.permute(2, 3, 1, 0), kernel)])
    torch.testing.assert_close(kernel.detach(), results[0])
