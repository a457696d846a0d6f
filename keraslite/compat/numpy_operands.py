"""NumPy arrays on the left of an operator with a torch tensor: `x_train + 0.2 * tf.random.normal(...)`.

TensorFlow (and JAX) convert a numpy array that meets one of their tensors in `+ - * / @ ** <`
and give a tensor. torch defers to its reflected operators (`Tensor.__radd__`, ...), which
return NotImplemented for an ndarray, so Python raises TypeError (or, for `+`, numpy's
"Concatenation operation is not implemented"). Programs written for those backends, run
through the aliases, rely on the conversion.

`install()` wraps torch.Tensor's reflected arithmetic and ordering operators so that an
ndarray operand is converted first (to the tensor's device; a floating array to the tensor's
floating dtype, as TensorFlow converts it); anything else goes to torch's own operator
unchanged. Only combinations that raised before change. `uninstall()` puts torch's operators
back. Called by install_aliases / uninstall_aliases.
"""
import numpy as np
import torch

__all__ = ["install", "uninstall"]

# Operators Python calls on the tensor when the ndarray on the left gives up: the reflected
# arithmetic ones, and for `x < t` the mirrored comparison `t > x`.
_NAMES = ("__radd__", "__rsub__", "__rmul__", "__rtruediv__", "__rfloordiv__", "__rmod__", "__rpow__",
          "__rmatmul__", "__rand__", "__ror__", "__rxor__", "__lt__", "__le__", "__gt__", "__ge__")
_ORIGINALS = {}


def _converting(name, base):
    def operator(self, other):
        if isinstance(other, np.ndarray) and other.dtype.kind in "biuf":
            converted = torch.as_tensor(other, device=self.device)
            if converted.is_floating_point() and self.is_floating_point():
                converted = converted.to(self.dtype)
            other = converted
        return base(self, other)

    operator.__name__ = name
    operator.__qualname__ = f"Tensor.{name}"
    operator._keraslite_numpy_operand = True
    return operator


def install():
    if _ORIGINALS:
        return
    for name in _NAMES:
        base = torch.Tensor.__dict__.get(name)
        if base is None:  # inherited from torch._C.TensorBase
            base = getattr(torch.Tensor, name)
        _ORIGINALS[name] = torch.Tensor.__dict__.get(name)
        setattr(torch.Tensor, name, _converting(name, base))


def uninstall():
    for name, original in _ORIGINALS.items():
        if original is None:
            delattr(torch.Tensor, name)
        else:
            setattr(torch.Tensor, name, original)
    _ORIGINALS.clear()
