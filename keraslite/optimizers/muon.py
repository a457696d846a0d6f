"""Muon as Keras 3 computes it. Matrices (rank 2, not embeddings, not matching
`exclude_layers`) follow Muon: `m = momentum m + g`, the Nesterov direction `g + momentum m`
(or `m`) is orthogonalised by `ns_steps` Newton-Schulz iterations with coefficients (a, b, c)
and applied as `w -= lr * O * sqrt(max(rows, cols)) * rms_rate`. Every other variable
follows AdamW at `lr * adam_lr_ratio`. Weight decay is decoupled, `weight_decay` for the
Muon variables and `adam_weight_decay` for the AdamW ones.

Slots, in Keras's order per variable: momentum, then velocity for the AdamW variables only.
"""
import re

import numpy as np
import torch

from keraslite.layers.layer import IDENTITY
from keraslite.optimizers.base import Optimizer


class Muon(Optimizer):
    def __init__(self, learning_rate=0.001, adam_beta_1=0.9, adam_beta_2=0.999, adam_weight_decay=0.004, epsilon=1e-7,
                 weight_decay=0.004, clipnorm=None, clipvalue=None, global_clipnorm=None, use_ema=False,
                 ema_momentum=0.99, ema_overwrite_frequency=None, loss_scale_factor=None,
                 gradient_accumulation_steps=None, name=None, exclude_layers=None, exclude_embeddings=True,
                 muon_a=3.4445, muon_b=-4.7750, muon_c=2.0315, adam_lr_ratio=1, momentum=0.95, ns_steps=5,
                 nesterov=True, rms_rate=0.2, **kwargs):
        super().__init__(learning_rate=learning_rate, weight_decay=weight_decay, clipnorm=clipnorm, clipvalue=clipvalue,
                         global_clipnorm=global_clipnorm, use_ema=use_ema, ema_momentum=ema_momentum,
                         ema_overwrite_frequency=ema_overwrite_frequency, loss_scale_factor=loss_scale_factor,
                         gradient_accumulation_steps=gradient_accumulation_steps, name=name, **kwargs)
        self.adam_beta_1 = adam_beta_1
        self.adam_beta_2 = adam_beta_2
        self.epsilon = epsilon
        self.muon_a, self.muon_b, self.muon_c = muon_a, muon_b, muon_c
        self.adam_lr_ratio = adam_lr_ratio
        self.momentum = momentum
        self.ns_steps = ns_steps
        self.nesterov = nesterov
        self.exclude_embeddings = exclude_embeddings
        self.exclude_layers = exclude_layers or []
        self.adam_weight_decay = adam_weight_decay
        self.rms_rate = rms_rate

    def _uses_adamw(self, p):
        shape = p.keras_layout.keras_shape(tuple(p.shape)) if hasattr(p, "keras_layout") else tuple(p.shape)
        if len(shape) != 2:
            return True
        path = str(getattr(p, "path", None) or getattr(p, "name", None) or "")
        if self.exclude_embeddings and "embedding" in path.lower():
            return True
        return any(re.search(keyword, path) for keyword in self.exclude_layers)

    def _build_slots(self, params):
        self._adamw = [self._uses_adamw(p) for p in params]
        self._slots["momentum"] = self._add_slots("momentum")
        velocities = self._add_slots("velocity")
        self._slots["velocity"] = [v if use else None for v, use in zip(velocities, self._adamw)]

    def _slot_variables(self):
        out = []
        for m, v in zip(self._slots["momentum"], self._slots["velocity"]):
            out.append(m)
            if v is not None:
                out.append(v)
        return out

    def _move_slots(self, device):
        velocities = self._slots["velocity"]
        self._slots["velocity"] = [v for v in velocities if v is not None]
        try:
            super()._move_slots(device)
        finally:
            moved = iter(self._slots["velocity"])
            self._slots["velocity"] = [None if v is None else next(moved) for v in velocities]

    def _apply_weight_decay(self, params, lr):
        for p in params:
            if not self._use_weight_decay(p):
                continue
            wd = self.adam_weight_decay if self._adamw[self._index[id(p)]] else self.weight_decay
            if wd is None:
                continue
            p.sub_(p * wd * lr)

    @staticmethod
    def _swap_last(x):
        return x.transpose(-2, -1)

    def _newton_schulz(self, x):
        if x.ndim < 2:
            raise ValueError(f"Muon: expected a gradient or momentum of rank >= 2. Received: shape={tuple(x.shape)}")
        a, b, c = self.muon_a, self.muon_b, self.muon_c
        tall = x.shape[-2] > x.shape[-1]
        if tall:
            x = self._swap_last(x)
        x = x / (torch.linalg.matrix_norm(x, keepdim=True) + 1e-7)
        for _ in range(self.ns_steps):
            gram = x @ self._swap_last(x)
            poly = b * gram + (c * gram) @ gram
            x = a * x + poly @ x
        return self._swap_last(x) if tall else x

    def _update(self, params, grads, slots, lr, step):
        f32 = np.float32
        adam_lr = lr * self.adam_lr_ratio
        alpha = float(f32(adam_lr) * np.sqrt(f32(1) - f32(self.adam_beta_2) ** f32(step))
                      / (f32(1) - f32(self.adam_beta_1) ** f32(step)))
        for p, g, m, v in zip(params, grads, slots["momentum"], slots["velocity"]):
            if v is not None:
                m.add_((g - m) * (1 - self.adam_beta_1))
                v.add_((torch.square(g) - v) * (1 - self.adam_beta_2))
                p.sub_(m * alpha / (torch.sqrt(v) + self.epsilon))
                continue
            layout = getattr(p, "keras_layout", IDENTITY)
            m.add_(g + m * (self.momentum - 1))
            direction = g + self.momentum * m if self.nesterov else m
            update = self._newton_schulz(layout.to_keras(direction)) * lr
            if self.rms_rate is not None:
                update = update * float(np.sqrt(f32(max(update.shape[0], update.shape[1])))) * self.rms_rate
            p.sub_(layout.from_keras(update))  # to_keras(p) is a copy for GRU kernels (gate order)

    def get_config(self):
        config = super().get_config()
        config.update({"adam_beta_1": self.adam_beta_1, "adam_beta_2": self.adam_beta_2, "epsilon": self.epsilon,
                       "exclude_layers": self.exclude_layers, "muon_a": self.muon_a, "muon_b": self.muon_b,
                       "muon_c": self.muon_c, "adam_lr_ratio": self.adam_lr_ratio, "momentum": self.momentum,
                       "ns_steps": self.ns_steps, "nesterov": self.nesterov,
                       "exclude_embeddings": self.exclude_embeddings, "adam_weight_decay": self.adam_weight_decay,
                       "rms_rate": self.rms_rate})
        return config
