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

