"""Nadam as Keras 3 computes it (Dozat's schedule of momentum coefficients):
`u_t = b1 (1 - 0.5 * 0.96^t)`, a running product of the u's, then
`m_hat = u_{t+1} m / (1 - prod_{t+1}) + (1 - u_t) g / (1 - prod_t)`,
`w -= lr m_hat / (sqrt(v / (1 - b2^t)) + eps)`. The running product is an optimizer
variable (`u_product`, last in Keras's variable list), kept here as a Python float."""
import numpy as np
import torch

from keraslite.layers.layer import Variable
from keraslite.optimizers.base import Optimizer


class Nadam(Optimizer):
    _optimizer_v2_slots = {"m": "momentum", "v": "velocity"}
    _slot_names = ("momentum", "velocity")

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, weight_decay=None, clipnorm=None,
                 clipvalue=None, global_clipnorm=None, use_ema=False, ema_momentum=0.99, ema_overwrite_frequency=None,
                 loss_scale_factor=None, gradient_accumulation_steps=None, name=None, **kwargs):
        kwargs.pop("schedule_decay", None)  # Keras 2.0-2.2 argument, no longer used by Keras
        super().__init__(learning_rate=learning_rate, weight_decay=weight_decay, clipnorm=clipnorm, clipvalue=clipvalue,
                         global_clipnorm=global_clipnorm, use_ema=use_ema, ema_momentum=ema_momentum,
                         ema_overwrite_frequency=ema_overwrite_frequency, loss_scale_factor=loss_scale_factor,
                         gradient_accumulation_steps=gradient_accumulation_steps, name=name, **kwargs)
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = 1e-7 if epsilon is None else epsilon
        self._u_product = 1.0

    def _update(self, params, grads, slots, lr, step):
        # Keras computes these coefficients in float32 (the variables' dtype); so do we.
        f32 = np.float32
        b2 = f32(self.beta_2)
        u_t, u_t1 = self._u(step), self._u(step + 1)
        prod_t = f32(self._u_product) * u_t
        prod_t1 = prod_t * u_t1
        self._u_product = float(prod_t)
        m, v = slots["momentum"], slots["velocity"]
        torch._foreach_lerp_(m, grads, 1.0 - self.beta_1)
        torch._foreach_mul_(v, self.beta_2)
        torch._foreach_addcmul_(v, grads, grads, value=1.0 - self.beta_2)
        m_hat = torch._foreach_mul(m, float(u_t1))
        torch._foreach_div_(m_hat, float(f32(1) - prod_t1))
        g_part = torch._foreach_mul(grads, float(f32(1) - u_t))
        torch._foreach_div_(g_part, float(f32(1) - prod_t))
        torch._foreach_add_(m_hat, g_part)
        denom = torch._foreach_div(v, float(f32(1) - b2 ** f32(step)))
        torch._foreach_sqrt_(denom)
        torch._foreach_add_(denom, self.epsilon)
        torch._foreach_addcdiv_(params, m_hat, denom, value=-lr)

    def _u(self, step):
        f32 = np.float32
        return f32(self.beta_1) * (f32(1) - f32(0.5) * f32(0.96) ** f32(step))

    def _product_after(self, iterations):
        product = np.float32(1)
        for step in range(1, iterations + 1):
            product = np.float32(product * self._u(step))
        return product

    def _state_from_tf_keras(self, values):
        # tf.keras 2.11+ keeps the running product outside its saved variables: rebuild it
        # from the iteration count, as the uninterrupted run had it.
        if self.built and len(values) == self._tf_keras_variable_count() - 1 and np.ndim(values[0]) == 0:
            values = list(values) + [np.asarray(self._product_after(int(values[0])), dtype="float32")]
        return super()._state_from_tf_keras(values)

    def _state_restored(self, iterations):
        # tf.keras's OptimizerV2 Nadam saved a `momentum_cache` of its own schedule
        # (0.96^(0.004 t)); this one follows Keras 3's (0.96^t).
        self._u_product = float(self._product_after(iterations))

    @property
    def variables(self):
        out = super().variables
        if self.built:
            u = Variable(torch.tensor(self._u_product, dtype=torch.float32), trainable=False, name="variable",
                         path=f"{self.name}/variable")  # Keras creates it unnamed
            u._optimizer_role = "u_product"
            out.append(u)
        return out

    def set_weights(self, weights):
        weights = list(weights)
        if self.built and len(weights) == len(self.variables):
            self._u_product = float(np.asarray(weights[-1]))
        super().set_weights(weights)

    def get_config(self):
        config = super().get_config()
        config.update({"beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon})
        return config
