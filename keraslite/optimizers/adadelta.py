"""Adadelta as Keras 3 computes it: `Eg = rho Eg + (1-rho) g^2`,
`d = -sqrt(Ed + eps) / sqrt(Eg + eps) * g`, `Ed = rho Ed + (1-rho) d^2`, `w += lr d`."""
import torch

from keraslite.optimizers.base import Optimizer


class Adadelta(Optimizer):
    _optimizer_v2_slots = {"accum_grad": "accumulated_grad", "accum_var": "accumulated_delta_var"}
    _slot_names = ("accumulated_grad", "accumulated_delta_var")

    def __init__(self, learning_rate=0.001, rho=0.95, epsilon=1e-7, weight_decay=None, clipnorm=None, clipvalue=None,
                 global_clipnorm=None, use_ema=False, ema_momentum=0.99, ema_overwrite_frequency=None,
                 loss_scale_factor=None, gradient_accumulation_steps=None, name=None, **kwargs):
        super().__init__(learning_rate=learning_rate, weight_decay=weight_decay, clipnorm=clipnorm, clipvalue=clipvalue,
                         global_clipnorm=global_clipnorm, use_ema=use_ema, ema_momentum=ema_momentum,
                         ema_overwrite_frequency=ema_overwrite_frequency, loss_scale_factor=loss_scale_factor,
                         gradient_accumulation_steps=gradient_accumulation_steps, name=name, **kwargs)
        self.rho = rho
        self.epsilon = 1e-7 if epsilon is None else epsilon

    def _update(self, params, grads, slots, lr, step):
        rho = self.rho
        eg, ed = slots["accumulated_grad"], slots["accumulated_delta_var"]
        torch._foreach_mul_(eg, rho)
        torch._foreach_addcmul_(eg, grads, grads, value=1.0 - rho)
        num = torch._foreach_add(ed, self.epsilon)
        torch._foreach_sqrt_(num)
        den = torch._foreach_add(eg, self.epsilon)
        torch._foreach_sqrt_(den)
        delta = torch._foreach_mul(num, grads)
        torch._foreach_div_(delta, den)
        torch._foreach_neg_(delta)
        torch._foreach_mul_(ed, rho)
        torch._foreach_addcmul_(ed, delta, delta, value=1.0 - rho)
        torch._foreach_add_(params, delta, alpha=lr)

    def get_config(self):
        config = super().get_config()
        config.update({"rho": self.rho, "epsilon": self.epsilon})
        return config
