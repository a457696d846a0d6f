"""Adamax as Keras 3 computes it: `m = b1 m + (1-b1) g`, `u = max(b2 u, |g|)`,
`w -= lr m / ((u + eps)(1 - b1^t))`."""
import numpy as np
import torch

from keraslite.optimizers.base import Optimizer


class Adamax(Optimizer):
    _optimizer_v2_slots = {"m": "momentum", "v": "norm"}
    _slot_names = ("momentum", "norm")

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, weight_decay=None, clipnorm=None,
                 clipvalue=None, global_clipnorm=None, use_ema=False, ema_momentum=0.99, ema_overwrite_frequency=None,
                 loss_scale_factor=None, gradient_accumulation_steps=None, name=None, **kwargs):
        super().__init__(learning_rate=learning_rate, weight_decay=weight_decay, clipnorm=clipnorm, clipvalue=clipvalue,
                         global_clipnorm=global_clipnorm, use_ema=use_ema, ema_momentum=ema_momentum,
                         ema_overwrite_frequency=ema_overwrite_frequency, loss_scale_factor=loss_scale_factor,
                         gradient_accumulation_steps=gradient_accumulation_steps, name=name, **kwargs)
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = 1e-7 if epsilon is None else epsilon

    def _update(self, params, grads, slots, lr, step):
        m, u = slots["momentum"], slots["norm"]
        torch._foreach_lerp_(m, grads, 1.0 - self.beta_1)
        torch._foreach_mul_(u, self.beta_2)
        torch._foreach_maximum_(u, torch._foreach_abs(grads))
        denom = torch._foreach_add(u, self.epsilon)
        torch._foreach_mul_(denom, float(np.float32(1) - np.float32(self.beta_1) ** np.float32(step)))
        torch._foreach_addcdiv_(params, m, denom, value=-lr)

    def get_config(self):
        config = super().get_config()
        config.update({"beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon})
        return config
