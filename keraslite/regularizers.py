"""Weight and activity regularizers (l1, l2, l1_l2, orthogonal_regularizer, and Keras 1's l1l2 and
activity_l1 / activity_l2 / activity_l1l2) and `get`.

A regularizer is called on a tensor in Keras layout and returns a scalar penalty; the Layer
collects them in `losses` and the training loop adds them to the loss.
"""
import torch


class Regularizer:
    def __call__(self, x):
        return x.new_zeros(())

    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


class L1L2(Regularizer):
    def __init__(self, l1=0.0, l2=0.0):
        self.l1 = float(l1)
        self.l2 = float(l2)

    def __call__(self, x):
        penalty = x.new_zeros(())
        if self.l1:
            penalty = penalty + self.l1 * torch.sum(torch.abs(x))
        if self.l2:
            penalty = penalty + self.l2 * torch.sum(torch.square(x))
        return penalty

    def get_config(self):
        return {"l1": self.l1, "l2": self.l2}


class L1(L1L2):
    def __init__(self, l1=0.01):
        super().__init__(l1=l1)

    def __call__(self, x):
        return self.l1 * torch.sum(torch.abs(x))  # one term: no zero to add it to, as in Keras

    def get_config(self):
        return {"l1": self.l1}


class L2(L1L2):
    def __init__(self, l2=0.01):
        super().__init__(l2=l2)

    def __call__(self, x):
        return self.l2 * torch.sum(torch.square(x))

    def get_config(self):
        return {"l2": self.l2}


class OrthogonalRegularizer(Regularizer):
    def __init__(self, factor=0.01, mode="rows"):
        if mode not in ("rows", "columns"):
            raise ValueError(f"OrthogonalRegularizer: mode must be 'rows' or 'columns'; received {mode!r}.")
        self.factor, self.mode = float(factor), mode

    def __call__(self, x):
        if x.ndim != 2:
            raise ValueError(f"OrthogonalRegularizer needs a 2-D weight; received shape {tuple(x.shape)}.")
        x = x if self.mode == "rows" else x.T
        x = x / torch.clamp(torch.linalg.norm(x, dim=1, keepdim=True), min=1e-12)
        product = x @ x.T
        size = x.shape[0]
        off_diag = product * (1.0 - torch.eye(size, dtype=x.dtype, device=x.device))
        return self.factor * torch.sum(torch.abs(off_diag)) / (size * (size - 1))

    def get_config(self):
        return {"factor": self.factor, "mode": self.mode}


# Keras 1 and 2 spelled the factor `l`: l2(l=0.01); Keras 3 spells it like the class argument.
def l1(l1=0.01, *, l=None):
    return L1(l1 if l is None else l)


def l2(l2=0.01, *, l=None):
    return L2(l2 if l is None else l)


def l1_l2(l1=0.01, l2=0.01):
    return L1L2(l1, l2)


# Keras 1 names. Keras 1's ActivityRegularizer added l * sum(mean(f(output), axis=0)), the
# penalty over the batch mean; the Layer divides an activity penalty by the batch size, so
# the plain regularizers give the same number when passed as activity_regularizer.
l1l2 = l1_l2


def activity_l1(l=0.01):
    return L1(l)


def activity_l2(l=0.01):
    return L2(l)


def activity_l1l2(l1=0.01, l2=0.01):
    return L1L2(l1, l2)


orthogonal_regularizer = OrthogonalRegularizer

_CLASSES = {"L1L2": L1L2, "L1": L1, "L2": L2, "OrthogonalRegularizer": OrthogonalRegularizer,
            "l1_l2": L1L2, "l1": L1, "l2": L2, "orthogonal_regularizer": OrthogonalRegularizer}


def get(identifier):
    """Resolve None, a name, a config dict, or an instance/callable to a regularizer."""
    from keraslite.saving.registry import resolve

    return resolve(identifier, "regularizer", Regularizer, _CLASSES, "l1, l2, l1_l2, orthogonal_regularizer", "L1, L2, L1L2, OrthogonalRegularizer")


def serialize(regularizer):
    if regularizer is None:
        return None
    from keraslite.saving.serialization import serialize_keras_object

    return serialize_keras_object(regularizer)


def deserialize(config, custom_objects=None):
    return get(config)
