"""`keras.initializations` (Keras 1): initializer functions called as `fn(shape, name=None)`
that return a variable, as Keras 1 programs define custom `init=` callables with them:

    SimpleRNN(..., init=lambda shape, name: normal(shape, scale=0.001, name=name),
              inner_init=lambda shape, name: identity(shape, scale=1.0, name=name))

Each draws with the keraslite initializer of the same rule (Keras 1's `scale` is the
normal's standard deviation or the uniform's limit) and wraps the values in a Variable.
String names (`init='glorot_uniform'`) need none of this; keraslite.initializers reads them.
"""
import numpy as np

from keraslite import backend, initializers

__all__ = ["uniform", "normal", "lecun_uniform", "glorot_normal", "glorot_uniform", "he_normal", "he_uniform",
           "orthogonal", "identity", "zero", "one", "get"]


def _variable(init, shape, name):
    from keraslite.layers.layer import Variable

    value = init(tuple(int(d) for d in shape), dtype=backend.torch_dtype(backend.floatx()))
    return Variable(value, trainable=True, name=name or "variable")


def uniform(shape, scale=0.05, name=None):
    return _variable(initializers.RandomUniform(-scale, scale), shape, name)


def normal(shape, scale=0.05, name=None):
    return _variable(initializers.RandomNormal(0.0, scale), shape, name)


def lecun_uniform(shape, name=None):
    return _variable(initializers.LecunUniform(), shape, name)


def glorot_normal(shape, name=None):
    return _variable(initializers.GlorotNormal(), shape, name)


def glorot_uniform(shape, name=None):
    return _variable(initializers.GlorotUniform(), shape, name)


def he_normal(shape, name=None):
    return _variable(initializers.HeNormal(), shape, name)


def he_uniform(shape, name=None):
    return _variable(initializers.HeUniform(), shape, name)


def orthogonal(shape, scale=1.1, name=None):
    return _variable(initializers.Orthogonal(gain=scale), shape, name)


def identity(shape, scale=1, name=None):
    if len(shape) != 2 or shape[0] != shape[1]:
        raise ValueError(f"identity initialization needs a square 2-D shape; received {tuple(shape)}.")
    return _variable(lambda s, dtype=None: np.eye(s[0], dtype="float32") * scale, shape, name)


def zero(shape, name=None):
    return _variable(initializers.Zeros(), shape, name)


def one(shape, name=None):
    return _variable(initializers.Ones(), shape, name)


def get(identifier, **kwargs):
    return initializers.get(identifier)
