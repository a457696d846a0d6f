"""Augmented assignment on tensors with TensorFlow's value semantics, for programs run through the aliases.

TensorFlow tensors are immutable: `b = a; b += 1` rebinds b to a new tensor and leaves a as it
was, `loss += tf.constant([3.0])` may change loss's shape, and `w2 = variable; w2 += 1` gives a
new tensor. torch updates in place instead: it changes `a` too, refuses a result of another
shape, and raises on a leaf that requires grad (a variable).

`install()` gives torch.Tensor augmented-assignment operators (`+=`, `-=`, `*=`, `/=`, `//=`,
`%=`, `**=`, `&=`, `|=`, `^=`, `<<=`, `>>=`) that compute out of place when three things hold:
the program imported `tensorflow` (through the aliases) or the tensor was computed with
autograd (a layer's `a = K.exp(x); a /= K.sum(a)`, which Keras means out of place on every
backend and which torch's in-place update would break in backward; other tensors of a Keras 3
program keep torch's meaning), the statement is not in torch's or keraslite's own code (optimizers and
metrics rely on in-place updates; the caller's module name decides, looked up once per
module), and it is not torch's manual weight update (a leaf that requires grad, changed under
`torch.no_grad()`, which TensorFlow code cannot mean). `@=` is already out of place in torch.
A tf.Variable's own `assign_add` and friends update in place as before. `uninstall()` puts
torch's operators back. Called by install_aliases / uninstall_aliases.
"""
import operator
import sys

import torch

__all__ = ["install", "uninstall"]

_OUT_OF_PLACE = {"__iadd__": operator.add, "__isub__": operator.sub, "__imul__": operator.mul,
                 "__itruediv__": operator.truediv, "__ifloordiv__": operator.floordiv, "__imod__": operator.mod,
                 "__ipow__": operator.pow, "__iand__": operator.and_, "__ior__": operator.or_,
                 "__ixor__": operator.xor, "__ilshift__": operator.lshift, "__irshift__": operator.rshift}
# Packages whose code keeps torch's in-place updates (prefixes: torchvision, torchaudio ... too).
_LIBRARIES = ("torch", "keraslite")
_ORIGINALS = {}
_alias_type = [type(None)]  # aliases.AliasModule, set by install() (aliases imports this module)
_in_library = {}  # calling module's name -> whether it is one of _LIBRARIES


def _augmented(name, in_place, out_of_place):
    def method(self, other):
        if self.is_leaf and self.requires_grad and not torch.is_grad_enabled():
            # torch's manual update of a weight (`with torch.no_grad(): w -= lr * w.grad`),
            # which TensorFlow code cannot mean: in place.
            return in_place(self, other)
        if self.grad_fn is None and not isinstance(sys.modules.get("tensorflow"), _alias_type[0]):
            # Not a TensorFlow program, and not a tensor computed with autograd: a Keras 3 /
            # torch program's own tensors keep torch's meaning.
            return in_place(self, other)
        module = sys._getframe(1).f_globals.get("__name__")
        library = _in_library.get(module)
        if library is None:
            library = _in_library[module] = isinstance(module, str) and module.startswith(_LIBRARIES)
        return in_place(self, other) if library else out_of_place(self, other)

    method.__name__ = name
    method.__qualname__ = f"Tensor.{name}"
    method.__doc__ = in_place.__doc__
    return method


def install():
    if _ORIGINALS:
        return
    from keraslite.compat.aliases import AliasModule

    _alias_type[0] = AliasModule
    for name, out_of_place in _OUT_OF_PLACE.items():
        _ORIGINALS[name] = torch.Tensor.__dict__.get(name)  # None: inherited from torch._C.TensorBase
        setattr(torch.Tensor, name, _augmented(name, getattr(torch.Tensor, name), out_of_place))


def uninstall():
    from keraslite.compat.numpy_operands import restore_tensor_methods

    restore_tensor_methods(_ORIGINALS)
