"""Adam and AdamW, as Keras 3 computes them (keras/src/optimizers/adam.py):
`m = b1 m + (1-b1) g`, `v = b2 v + (1-b2) g^2` (`v_hat = max(v_hat, v)` with amsgrad),
`w -= lr * sqrt(1-b2^t)/(1-b1^t) * m / (sqrt(v) + eps)` -- epsilon on the *uncorrected* v.

torch's fused Adam kernel computes `lr/(1-b1^t) * m / (sqrt(v)/sqrt(1-b2^t) + eps_t)`,
which is the same number when `eps_t = eps / sqrt(1-b2^t)`; so each step calls it with that
eps (and lr adjusted so the step size is Keras's float32 one): one kernel for all parameters. Other devices/dtype mixes use `_foreach_*` ops.
AdamW is Adam with Keras's decoupled weight decay (`w *= 1 - wd*lr`, done by the base).
"""
import math

import numpy as np
import torch

from keraslite.optimizers.base import Optimizer


class Adam(Optimizer):
    _optimizer_v2_slots = {"m": "momentum", "v": "velocity", "vhat": "velocity_hat"}

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, amsgrad=False, weight_decay=None,
                 clipnorm=None, clipvalue=None, global_clipnorm=None, use_ema=False, ema_momentum=0.99,
                 ema_overwrite_frequency=None, loss_scale_factor=None, gradient_accumulation_steps=None, name=None,
                 **kwargs):
        super().__init__(learning_rate=learning_rate, weight_decay=weight_decay, clipnorm=clipnorm, clipvalue=clipvalue,
                         global_clipnorm=global_clipnorm, use_ema=use_ema, ema_momentum=ema_momentum,
                         ema_overwrite_frequency=ema_overwrite_frequency, loss_scale_factor=loss_scale_factor,
                         gradient_accumulation_steps=gradient_accumulation_steps, name=name, **kwargs)
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = 1e-7 if epsilon is None else epsilon  # Keras 2.0-2.2 default epsilon=None meant K.epsilon()
        self.amsgrad = bool(amsgrad)
        self._step_tensor = None

    def _build_slots(self, params):
        self._slots["momentum"] = self._add_slots("momentum")
        self._slots["velocity"] = self._add_slots("velocity")
        if self.amsgrad:
            self._slots["velocity_hat"] = self._add_slots("velocity_hat")
        self._fused = _can_fuse(params)

    def _move_slots(self, device):
        super()._move_slots(device)
        self._fused = _can_fuse(self._params)

    def _slot_variables(self):
        # Keras order: momentum/velocity interleaved per variable, then all velocity_hats.
        out = []
        for m, v in zip(self._slots["momentum"], self._slots["velocity"]):
            out += [m, v]
        return out + list(self._slots.get("velocity_hat", []))

    def _update(self, params, grads, slots, lr, step):
        b1, b2 = self.beta_1, self.beta_2
        m, v = slots["momentum"], slots["velocity"]
        vhat = slots.get("velocity_hat", [])
        # Keras computes the step size in float32 (variables' dtype): 1 - 0.999**t in float32
        # differs from the exact value by ~1e-5 relative at small t, so do the same.
        f32 = np.float32
        alpha = float(f32(lr) * np.sqrt(f32(1) - f32(b2) ** f32(step)) / (f32(1) - f32(b1) ** f32(step)))
        if self._fused and grads[0].dtype == params[0].dtype:
            # torch's kernel: lr_t / bc1 * m / (sqrt(v) / sqrt(bc2) + eps_t) with its own (exact)
            # bias corrections; choose lr_t and eps_t so that this equals alpha * m / (sqrt(v) + eps).
            bc1, bc2_sqrt = 1.0 - b1 ** step, math.sqrt(1.0 - b2 ** step)
            if self._step_tensor is None or self._step_tensor.device != params[0].device:
                self._step_tensor = torch.zeros((), dtype=torch.float32, device=params[0].device)
            self._step_tensor.fill_(step)
            torch._fused_adam_(params, grads, m, v, vhat, [self._step_tensor] * len(params),
                               lr=alpha * bc1 / bc2_sqrt, beta1=b1, beta2=b2, weight_decay=0.0,
                               eps=self.epsilon / bc2_sqrt, amsgrad=self.amsgrad, maximize=False)
            return
        torch._foreach_lerp_(m, grads, 1.0 - b1)
        torch._foreach_mul_(v, b2)
        torch._foreach_addcmul_(v, grads, grads, value=1.0 - b2)
        if self.amsgrad:
            torch._foreach_maximum_(vhat, v)
            v = vhat
        denom = torch._foreach_sqrt(v)
        torch._foreach_add_(denom, self.epsilon)
        torch._foreach_addcdiv_(params, m, denom, value=-alpha)

    def _graph_scalars(self, lr, step):
        f32 = np.float32
        b1, b2 = self.beta_1, self.beta_2
        return {"alpha": float(f32(lr) * np.sqrt(f32(1) - f32(b2) ** f32(step)) / (f32(1) - f32(b1) ** f32(step)))}

    def _graph_update(self, params, grads, slots, scalars):
        # Keras's formula term by term: m += (g - m)(1 - b1); v += (g^2 - v)(1 - b2);
        # w -= m * alpha / (sqrt(v) + eps).
        m, v = slots["momentum"], slots["velocity"]
        torch._foreach_lerp_(m, grads, 1.0 - self.beta_1)
        torch._foreach_lerp_(v, torch._foreach_mul(grads, grads), 1.0 - self.beta_2)
        if self.amsgrad:
            vhat = slots["velocity_hat"]
            torch._foreach_maximum_(vhat, v)
            v = vhat
        step = torch._foreach_mul(m, scalars["alpha"])
        denom = torch._foreach_sqrt(v)
        torch._foreach_add_(denom, self.epsilon)
        torch._foreach_div_(step, denom)
        torch._foreach_sub_(params, step)

    def get_config(self):
        config = super().get_config()
        config.update({"beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon,
                       "amsgrad": self.amsgrad})
        return config


class AdamW(Adam):
    def __init__(self, learning_rate=0.001, weight_decay=0.004, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
                 amsgrad=False, clipnorm=None, clipvalue=None, global_clipnorm=None, use_ema=False, ema_momentum=0.99,
                 ema_overwrite_frequency=None, loss_scale_factor=None, gradient_accumulation_steps=None, name=None,
                 **kwargs):
        super().__init__(learning_rate=learning_rate, beta_1=beta_1, beta_2=beta_2, epsilon=epsilon, amsgrad=amsgrad,
                         weight_decay=weight_decay, clipnorm=clipnorm, clipvalue=clipvalue,
                         global_clipnorm=global_clipnorm, use_ema=use_ema, ema_momentum=ema_momentum,
                         ema_overwrite_frequency=ema_overwrite_frequency, loss_scale_factor=loss_scale_factor,
                         gradient_accumulation_steps=gradient_accumulation_steps, name=name, **kwargs)
        if self.weight_decay is None:
            raise ValueError("Argument `weight_decay` must be a float. Received: weight_decay=None")


def _can_fuse(params):
    """torch's fused Adam needs one device and one floating dtype for everything."""
    if not params or not hasattr(torch, "_fused_adam_"):
        return False
    first = params[0]
    if first.device.type not in ("cuda", "cpu") or not first.dtype.is_floating_point:
        return False
    return all(p.device == first.device and p.dtype == first.dtype for p in params)
