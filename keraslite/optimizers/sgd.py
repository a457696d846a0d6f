"""SGD with optional (Nesterov) momentum, as Keras 3 computes it:
`m = momentum * m - lr * g`, then `w += m` (Nesterov: `w += momentum * m - lr * g`).
The buffer holds the lr-scaled velocity, so changing lr mid-training behaves as in Keras."""
import torch

from keraslite.optimizers.base import Optimizer


class SGD(Optimizer):
    _optimizer_v2_slots = {"momentum": "momentum"}

    def __init__(self, learning_rate=0.01, momentum=0.0, nesterov=False, weight_decay=None, clipnorm=None,
                 clipvalue=None, global_clipnorm=None, use_ema=False, ema_momentum=0.99, ema_overwrite_frequency=None,
                 loss_scale_factor=None, gradient_accumulation_steps=None, name=None, **kwargs):
        super().__init__(learning_rate=learning_rate, weight_decay=weight_decay, clipnorm=clipnorm, clipvalue=clipvalue,
                         global_clipnorm=global_clipnorm, use_ema=use_ema, ema_momentum=ema_momentum,
                         ema_overwrite_frequency=ema_overwrite_frequency, loss_scale_factor=loss_scale_factor,
                         gradient_accumulation_steps=gradient_accumulation_steps, name=name, **kwargs)
        momentum = float(momentum)  # Keras 1/2 code passes ints (momentum=0)
        if momentum < 0 or momentum > 1:
            raise ValueError(f"`momentum` must be a float between [0, 1]. Received: momentum={momentum}")
        self.momentum = momentum
        self.nesterov = bool(nesterov)
        self._slot_names = ("momentum",) if momentum != 0 else ()

    def _state_from_tf_keras(self, values):
        # tf.keras 2.11+ gives SGD a momentum slot per weight even at momentum 0, where it holds
        # the last step's -lr * g and is multiplied by 0 at the next: no state. Keras 3 creates
        # none then.
        extra = len(values) - self._tf_keras_variable_count()
        if self.momentum == 0 and self.built and extra == len(self._params) and extra > 0:
            values = values[:-extra]
        return super()._state_from_tf_keras(values)

    def _update(self, params, grads, slots, lr, step):
        if self.momentum == 0:
            torch._foreach_add_(params, grads, alpha=-lr)
            return
        bufs = slots["momentum"]
        torch._foreach_mul_(bufs, self.momentum)
        torch._foreach_add_(bufs, grads, alpha=-lr)
        if self.nesterov:
            torch._foreach_add_(params, grads, alpha=-lr)
            torch._foreach_add_(params, bufs, alpha=self.momentum)
        else:
            torch._foreach_add_(params, bufs)

    def _graph_scalars(self, lr, step):
        return {"lr": lr}

    def _graph_update(self, params, grads, slots, scalars):
        scaled = torch._foreach_mul(grads, scalars["lr"])  # g * lr
        if self.momentum == 0:
            torch._foreach_sub_(params, scaled)
            return
        bufs = slots["momentum"]
        torch._foreach_mul_(bufs, self.momentum)
        torch._foreach_sub_(bufs, scaled)
        if self.nesterov:
            torch._foreach_sub_(params, scaled)
            torch._foreach_add_(params, bufs, alpha=self.momentum)
        else:
            torch._foreach_add_(params, bufs)

    def get_config(self):
        config = super().get_config()
        config.update({"momentum": self.momentum, "nesterov": self.nesterov})
        return config
