"""InputSpec: a custom layer that sets `self.input_spec` accepts and rejects the same inputs as
in real Keras 3, symbolically (functional API) and eagerly, with the same explanation."""
import re

import numpy as np
import pytest

import keraslite
from compat_tests.conftest import keras

SPECS = [dict(ndim=3), dict(min_ndim=3), dict(max_ndim=2), dict(ndim=2, axes={-1: 5}), dict(shape=(None, 4)),
         dict(dtype="int32"), dict(min_ndim=2, axes={1: 4})]
SHAPES = [(2, 3), (2, 4), (2, 3, 5), (2, 4, 5, 1)]


def _outcome(m, spec, shape, eager):
    class Checked(m.layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.input_spec = m.layers.InputSpec(**spec)

        def call(self, x):
            return x

    try:
        if eager:
            Checked(name="checked")(np.zeros(shape, "float32"))
        else:
            Checked(name="checked")(m.Input(shape[1:]))
    except ValueError as e:
        # the explanation after "incompatible with the layer:" (Keras's prefix names the spec)
        return re.split(r"incompatible with the layer: ", str(e).splitlines()[0])[-1].split(". ")[0]
    return "accepted"


@pytest.mark.parametrize("eager", [False, True], ids=["symbolic", "eager"])
@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("spec", SPECS, ids=str)
def test_input_spec_accepts_and_rejects_like_keras(spec, shape, eager):
    assert _outcome(keraslite, spec, shape, eager) == _outcome(keras, spec, shape, eager)


def test_input_spec_config_round_trip_and_module_paths():
    spec = keraslite.layers.InputSpec(ndim=4, axes={-1: 3})
    again = keraslite.layers.InputSpec.from_config(spec.get_config())
    assert (again.ndim, again.axes) == (4, {-1: 3})
    assert keraslite.InputSpec is keraslite.layers.InputSpec
