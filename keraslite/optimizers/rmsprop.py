"""RMSprop as Keras 3 computes it: `v = rho v + (1-rho) g^2` (centered: minus the squared
running mean of g), `inc = lr g / sqrt(v + eps)` -- epsilon *inside* the sqrt --, then
`w -= inc`, or with momentum `m = momentum m + inc; w -= m`."""
import torch

from keraslite.optimizers.base import Optimizer


class RMSprop(Optimizer):
    _optimizer_v2_slots = {"rms": "velocity", "momentum": "momentum", "mg": "average_gradient"}

    def __init__(self, learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-7, centered=False, weight_decay=None,
                 clipnorm=None, clipvalue=None, global_clipnorm=None, use_ema=False, ema_momentum=0.99,
                 ema_overwrite_frequency=None, loss_scale_factor=None, gradient_accumulation_steps=None, name=None,
                 **kwargs):
        super().__init__(learning_rate=learning_rate, weight_decay=weight_decay, clipnorm=clipnorm, clipvalue=clipvalue,
                         global_clipnorm=global_clipnorm, use_ema=use_ema, ema_momentum=ema_momentum,
                         ema_overwrite_frequency=ema_overwrite_frequency, loss_scale_factor=loss_scale_factor,
                         gradient_accumulation_steps=gradient_accumulation_steps, name=name, **kwargs)
        self.rho = rho
        self.momentum = momentum
        self.epsilon = 1e-7 if epsilon is None else epsilon
        self.centered = bool(centered)

    def _build_slots(self, params):
        self._slots["velocity"] = self._add_slots("velocity")
        if self.momentum > 0:
            self._slots["momentum"] = self._add_slots("momentum")
        if self.centered:
            self._slots["average_gradient"] = self._add_slots("average_gradient")

    def _slot_variables(self):
        # Keras order: all velocities, then all momentums, then all average gradients.
        return [v for name in ("velocity", "momentum", "average_gradient") for v in self._slots.get(name, [])]

    def _update(self, params, grads, slots, lr, step):
        rho = self.rho
        v = slots["velocity"]
        torch._foreach_mul_(v, rho)
        torch._foreach_addcmul_(v, grads, grads, value=1.0 - rho)
        denom = torch._foreach_add(v, self.epsilon)
        if self.centered:
            avg = slots["average_gradient"]
            torch._foreach_lerp_(avg, grads, 1.0 - rho)
            torch._foreach_addcmul_(denom, avg, avg, value=-1.0)
        torch._foreach_sqrt_(denom)
        inc = torch._foreach_mul(grads, lr)  # lr: a float, or a 0-d tensor in a CUDA graph
        torch._foreach_div_(inc, denom)
        if self.momentum > 0:
            m = slots["momentum"]
            torch._foreach_mul_(m, self.momentum)
            torch._foreach_add_(m, inc)
            torch._foreach_sub_(params, m)
        else:
            torch._foreach_sub_(params, inc)

    def _graph_scalars(self, lr, step):
        return {"lr": lr}

    def _graph_update(self, params, grads, slots, scalars):
        self._update(params, grads, slots, scalars["lr"], None)  # `lr` is a 0-d device tensor here

    def get_config(self):
        config = super().get_config()
        config.update({"rho": self.rho, "momentum": self.momentum, "epsilon": self.epsilon,
                       "centered": self.centered})
        return config
