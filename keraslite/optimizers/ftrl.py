"""FTRL-proximal as Keras 3 computes it (keras/src/optimizers/ftrl.py): per step
`g' = g + 2 l2_shrinkage w`, `n' = n + g^2`, `z += g' - (n'^-p - n^-p)/lr * w`,
`w = (clip(z, -l1, l1) - z) / (n'^-p / lr + 2 (l2 + beta/(2 lr)))`, `n = n'`
(p = learning_rate_power, -0.5 by default)."""
import torch

from keraslite.optimizers.base import Optimizer


class Ftrl(Optimizer):
    _optimizer_v2_slots = {"accumulator": "accumulator", "linear": "linear"}
    _slot_names = ("accumulator", "linear")

    def __init__(self, learning_rate=0.001, learning_rate_power=-0.5, initial_accumulator_value=0.1,
                 l1_regularization_strength=0.0, l2_regularization_strength=0.0,
                 l2_shrinkage_regularization_strength=0.0, beta=0.0, weight_decay=None, clipnorm=None, clipvalue=None,
                 global_clipnorm=None, use_ema=False, ema_momentum=0.99, ema_overwrite_frequency=None,
                 loss_scale_factor=None, gradient_accumulation_steps=None, name=None, **kwargs):
        super().__init__(learning_rate=learning_rate, weight_decay=weight_decay, clipnorm=clipnorm, clipvalue=clipvalue,
                         global_clipnorm=global_clipnorm, use_ema=use_ema, ema_momentum=ema_momentum,
                         ema_overwrite_frequency=ema_overwrite_frequency, loss_scale_factor=loss_scale_factor,
                         gradient_accumulation_steps=gradient_accumulation_steps, name=name, **kwargs)
        for arg, value, sign in (("initial_accumulator_value", initial_accumulator_value, 1),
                                 ("learning_rate_power", learning_rate_power, -1),
                                 ("l1_regularization_strength", l1_regularization_strength, 1),
                                 ("l2_regularization_strength", l2_regularization_strength, 1),
                                 ("l2_shrinkage_regularization_strength", l2_shrinkage_regularization_strength, 1)):
            if value * sign < 0:
                raise ValueError(f"`{arg}` needs to be {'positive' if sign > 0 else 'negative'} or zero. "
                                 f"Received: {arg}={value}.")
        self.learning_rate_power = learning_rate_power
        self.initial_accumulator_value = initial_accumulator_value
        self.l1_regularization_strength = l1_regularization_strength
        self.l2_regularization_strength = l2_regularization_strength
        self.l2_shrinkage_regularization_strength = l2_shrinkage_regularization_strength
        self.beta = beta
        self._slot_initial = {"accumulator": float(initial_accumulator_value)}

    def _update(self, params, grads, slots, lr, step):
        p = -self.learning_rate_power
        l1 = self.l1_regularization_strength
        l2 = self.l2_regularization_strength + self.beta / (2.0 * lr)
        shrink = self.l2_shrinkage_regularization_strength
        for w, g, n, z in zip(params, grads, slots["accumulator"], slots["linear"]):
            g_shrunk = g + 2 * shrink * w if shrink else g
            new_n = n + g * g
            new_n_pow = new_n.pow(p)
            z.add_(g_shrunk - (new_n_pow - n.pow(p)) / lr * w)
            quadratic = new_n_pow / lr + 2 * l2
            w.copy_((torch.clamp(z, -l1, l1) - z) / quadratic)
            n.copy_(new_n)

    def get_config(self):
        config = super().get_config()
        config.update({"learning_rate_power": self.learning_rate_power,
                       "initial_accumulator_value": self.initial_accumulator_value,
                       "l1_regularization_strength": self.l1_regularization_strength,
                       "l2_regularization_strength": self.l2_regularization_strength,
                       "l2_shrinkage_regularization_strength": self.l2_shrinkage_regularization_strength,
                       "beta": self.beta})
        return config
