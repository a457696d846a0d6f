"""Adafactor (Shazeer & Stern 2018) as Keras 3 computes it. For a variable of rank >= 2 the
second moment is kept factored: row means `r` (shape[:-1]) and column means `c`
(shape[:-2] + shape[-1:]) of `g^2 + eps_1`, decayed with `beta_2_t = 1 - t^beta_2_decay`, and
`v = (r / mean(r)) outer c`; a vector keeps the full `v`. The update `u = g / sqrt(v)` is
divided by max(1, rms(u) / clip_threshold) and applied with step
`max(eps_2, rms(w)) * min(lr, 1 / sqrt(t))`.

Keras's slots, in its order per variable: r, c, velocity. For a vector r and c are unused
scalars (still saved). r and c are kept in Keras's layout; the update is computed in Keras's layout (r and c
reduce over Keras's last two axes) and written back in the storage layout.
"""
import numpy as np
import torch

from keraslite.layers.layer import IDENTITY, Variable
from keraslite.optimizers.base import Optimizer


class Adafactor(Optimizer):
    def __init__(self, learning_rate=0.001, beta_2_decay=-0.8, epsilon_1=1e-30, epsilon_2=1e-3, clip_threshold=1.0,
                 relative_step=True, weight_decay=None, clipnorm=None, clipvalue=None, global_clipnorm=None,
                 use_ema=False, ema_momentum=0.99, ema_overwrite_frequency=None, loss_scale_factor=None,
                 gradient_accumulation_steps=None, name=None, **kwargs):
        super().__init__(learning_rate=learning_rate, weight_decay=weight_decay, clipnorm=clipnorm, clipvalue=clipvalue,
                         global_clipnorm=global_clipnorm, use_ema=use_ema, ema_momentum=ema_momentum,
                         ema_overwrite_frequency=ema_overwrite_frequency, loss_scale_factor=loss_scale_factor,
                         gradient_accumulation_steps=gradient_accumulation_steps, name=name, **kwargs)
        self.beta_2_decay = beta_2_decay
        self.epsilon_1 = epsilon_1
        self.epsilon_2 = epsilon_2
        self.clip_threshold = clip_threshold
        self.relative_step = relative_step

    def _build_slots(self, params):
        rows, cols = [], []
        for p in params:
            shape = tuple(p.keras_layout.keras_shape(tuple(p.shape))) if hasattr(p, "keras_layout") else tuple(p.shape)
            name = str(getattr(p, "name", None) or "variable")
            r_shape, c_shape = ((), ()) if len(shape) < 2 else (shape[:-1], shape[:-2] + shape[-1:])
            path = f"{self.name}/{name}"
            for target, s in ((rows, r_shape), (cols, c_shape)):
                target.append(Variable(torch.zeros(s, dtype=p.dtype, device=p.device), trainable=False, name=name,
                                       path=path, layout=IDENTITY))
        self._slots["r"] = rows
        self._slots["c"] = cols
        self._slots["velocity"] = self._add_slots("velocity")

    def _slot_variables(self):
        out = []
        for r, c, v in zip(self._slots["r"], self._slots["c"], self._slots["velocity"]):
            out += [r, c, v]
        return out

    @staticmethod
    def _rms(x):
        return torch.sqrt(torch.mean(torch.square(x)))

    def _update(self, params, grads, slots, lr, step):
        f32 = np.float32
        t = f32(step)
        rho = min(f32(lr), f32(1) / np.sqrt(t))
        beta = f32(1) - t ** f32(self.beta_2_decay)
        keep, blend = float(beta), float(f32(1) - beta)
        for p, g, r, c, v in zip(params, grads, slots["r"], slots["c"], slots["velocity"]):
            layout = getattr(p, "keras_layout", IDENTITY)
            g = layout.to_keras(g).to(p.dtype)
            alpha = torch.clamp(self._rms(p), min=self.epsilon_2) * float(rho)
            squared = torch.square(g) + self.epsilon_1
            if g.ndim >= 2:
                r.mul_(keep).add_(torch.mean(squared, dim=-1) * blend)
                c.mul_(keep).add_(torch.mean(squared, dim=-2) * blend)
                v_keras = (r / torch.mean(r, dim=-1, keepdim=True)).unsqueeze(-1) * c.unsqueeze(-2)
            else:
                v_keras = layout.to_keras(v) * keep + squared * blend
            u = g / torch.sqrt(v_keras)
            u = u / torch.clamp(self._rms(u) / self.clip_threshold, min=1.0)
            # Written back through from_keras: a Keras-layout view of a GRU weight (gate blocks
            # reordered) is a copy, so updating it in place would change nothing.
            v.copy_(layout.from_keras(v_keras))
            p.sub_(layout.from_keras(alpha * u))

    def get_config(self):
        config = super().get_config()
        config.update({"beta_2_decay": self.beta_2_decay, "epsilon_1": self.epsilon_1, "epsilon_2": self.epsilon_2,
                       "clip_threshold": self.clip_threshold, "relative_step": self.relative_step})
        return config
