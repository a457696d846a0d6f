"""keraslite.random (`keras.random`): seeds, SeedGenerator sequences, shapes, ranges, and that
a functional model's shape inference takes no step of a layer's SeedGenerator."""
import numpy as np
import pytest
import torch

import keraslite
from keraslite import random as krandom
from keraslite.utils.rng import SeedGenerator


def test_int_seed_repeats_and_seed_generator_advances():
    a = krandom.normal((3, 4), seed=7)
    b = krandom.normal((3, 4), seed=7)
    assert torch.equal(a, b)
    gen = krandom.SeedGenerator(7)
    first, second = krandom.normal((3, 4), seed=gen), krandom.normal((3, 4), seed=gen)
    assert torch.equal(first, a)  # a fresh generator starts where the integer seed is
    assert not torch.equal(first, second)
    assert gen.counter == 2


def test_unseeded_draws_repeat_after_set_random_seed():
    keraslite.utils.set_random_seed(3)
    a = [krandom.uniform((5,)), krandom.uniform((5,))]
    keraslite.utils.set_random_seed(3)
    b = [krandom.uniform((5,)), krandom.uniform((5,))]
    assert all(torch.equal(x, y) for x, y in zip(a, b))
    assert not torch.equal(a[0], a[1])


def test_shapes_dtypes_and_ranges():
    u = krandom.uniform((1000,), minval=2.0, maxval=3.0, seed=1)
    assert u.dtype == torch.float32 and u.shape == (1000,) and 2.0 <= float(u.min()) and float(u.max()) < 3.0
    assert krandom.uniform((), seed=1).shape == ()
    r = krandom.randint((50,), 0, 4, seed=2)
    assert r.dtype == torch.int32 and set(r.tolist()) <= {0, 1, 2, 3}
    t = krandom.truncated_normal((2000,), mean=1.0, stddev=0.5, seed=3)
    assert float(t.min()) > 0.0 and float(t.max()) < 2.0
    c = krandom.categorical(torch.tensor([[0.0, 100.0], [100.0, 0.0]]), 6, seed=4)
    assert c.shape == (2, 6) and c[0].tolist() == [1] * 6 and c[1].tolist() == [0] * 6
    n = krandom.normal((4, 2), mean=5.0, stddev=0.0, seed=5, dtype="float64")
    assert n.dtype == torch.float64 and torch.all(n == 5.0)


def test_shuffle_is_a_permutation_along_the_axis():
    x = torch.arange(24).reshape(6, 4)
    s = krandom.shuffle(x, seed=9)
    assert sorted(s[:, 0].tolist()) == x[:, 0].tolist()
    assert torch.equal(s[:, 1] - s[:, 0], torch.ones(6, dtype=s.dtype))  # whole rows move together


def test_dropout_zeroes_and_rescales():
    x = torch.ones(1000)
    y = krandom.dropout(x, 0.25, seed=11)
    kept = y[y != 0]
    assert torch.allclose(kept, torch.full_like(kept, 1 / 0.75))
    assert 0.15 < float((y == 0).float().mean()) < 0.35
    assert torch.equal(krandom.dropout(x, 0.25, seed=11), y)


def test_seed_must_be_an_int_or_seed_generator():
    with pytest.raises(ValueError, match="seed"):
        krandom.normal((2,), seed="abc")
    with pytest.raises(ValueError, match="integer"):
        SeedGenerator(seed=1.5)


class _Noise(keraslite.layers.Layer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.seed_generator = krandom.SeedGenerator(1337)

    def call(self, x):
        return x + krandom.normal(keraslite.ops.shape(x), seed=self.seed_generator)


def test_functional_shape_inference_takes_no_step_of_a_seed_generator():
    layer = _Noise()
    inp = keraslite.Input((3,))
    model = keraslite.Model(inp, layer(inp))
    assert layer.seed_generator.counter == 0
    out = model(np.zeros((2, 3), "float32"))
    assert torch.allclose(out, krandom.normal((2, 3), seed=1337))
    assert layer.seed_generator.counter == 1
