import pytest


def test_regularizer_and_constraint_resolution():
    from keraslite import constraints, regularizers

    assert regularizers.get("l2").l2 == 0.01
    assert regularizers.get({"class_name": "L1L2", "config": {"l1": 0.1, "l2": 0.2}}).l1 == 0.1
    assert constraints.get({"class_name": "MaxNorm", "config": {"max_value": 3}}).max_value == 3
    with pytest.raises(ValueError, match="Unknown constraint 'maxx'.*max_norm"):
        constraints.get("maxx")
    with pytest.raises(ValueError, match="Unknown regularizer class 'L3'.*L1L2"):
        regularizers.get({"class_name": "L3", "config": {}})



def test_keras1_and_keras2_function_spellings():
    """Keras 1/2 wrote l2(l=0.01), l1l2(), activity_l2(), maxnorm(2): the same objects as today's."""
    import torch

    from keraslite import constraints, regularizers

    assert regularizers.l2(l=0.5).l2 == 0.5 and regularizers.l2(0.25).l2 == 0.25
    assert regularizers.l1(l=0.5).l1 == 0.5
    both = regularizers.l1l2(l1=0.1, l2=0.2)
    assert isinstance(both, regularizers.L1L2) and (both.l1, both.l2) == (0.1, 0.2)
    x = torch.tensor([[1.0, -2.0], [3.0, 0.5]])
    assert float(regularizers.activity_l2(0.1)(x)) == pytest.approx(0.1 * float((x ** 2).sum()))
    assert float(regularizers.activity_l1(0.1)(x)) == pytest.approx(0.1 * float(x.abs().sum()))
    act = regularizers.activity_l1l2(l1=0.1, l2=0.2)
    assert (act.l1, act.l2) == (0.1, 0.2)
    assert isinstance(constraints.maxnorm(2), constraints.MaxNorm) and constraints.maxnorm(2).max_value == 2
    assert constraints.nonneg is constraints.NonNeg and constraints.unitnorm is constraints.UnitNorm


def test_keras1_activity_l2_is_the_batch_mean_penalty():
    """Keras 1 added l * sum(mean(output ** 2, axis=0)) for activity_l2(l)."""
    import numpy as np

    import keraslite
    from keraslite import layers, regularizers

    model = keraslite.Sequential([keraslite.Input((3,)),
                                  layers.Dense(4, activity_regularizer=regularizers.activity_l2(0.3))])
    x = np.random.RandomState(0).rand(5, 3).astype("float32")
    out = model.predict(x, verbose=0)
    model(x)
    expected = 0.3 * (out ** 2).mean(axis=0).sum()
    assert float(sum(model.losses).detach()) == pytest.approx(float(expected), rel=1e-5)
