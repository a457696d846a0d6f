"""keras.utils.legacy: the Keras 2 form of (de)serialization, `{"class_name", "config"}`, with
the classes a config may name given by the caller in `module_objects`."""
import pytest

import keraslite
from keraslite.utils import legacy


class Range:
    def __init__(self, name, low=0, high=1, inner=None):
        self.name, self.low, self.high, self.inner = name, low, high, inner

    def get_config(self):
        return {"name": self.name, "low": self.low, "high": self.high, "inner": self.inner}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


class Empty:
    pass


def scale(x):
    return 2 * x


def test_round_trip_with_module_objects_in_keras_positional_order():
    config = legacy.serialize_keras_object(Range("r", 1, 5))
    assert config == {"class_name": "Range", "config": {"name": "r", "low": 1, "high": 5, "inner": None}}
    # Keras's order: (identifier, module_objects, custom_objects, printable_module_name)
    obj = legacy.deserialize_keras_object(config, {"Range": Range})
    assert isinstance(obj, Range) and (obj.name, obj.low, obj.high) == ("r", 1, 5)
    obj = legacy.deserialize_keras_object(config, None, {"Range": Range})
    assert isinstance(obj, Range)
    assert keraslite.utils.legacy is legacy


def test_nested_objects_are_marked_and_rebuilt():
    config = legacy.serialize_keras_object(Range("outer", inner=Range("in", 2, 3)))
    assert config["config"]["inner"]["__passive_serialization__"] is True
    obj = legacy.deserialize_keras_object(config, module_objects={"Range": Range})
    assert isinstance(obj.inner, Range) and obj.inner.low == 2


def test_names_functions_and_registered_objects():
    assert legacy.serialize_keras_object(None) is None
    assert legacy.serialize_keras_object(scale) == "scale"
    assert legacy.deserialize_keras_object("scale", {"scale": scale}) is scale
    # A class given by name is instantiated without arguments; a function is returned as it is.
    assert isinstance(legacy.deserialize_keras_object("Empty", {"Empty": Empty}), Empty)
    assert legacy.deserialize_keras_object(scale) is scale
    with keraslite.utils.custom_object_scope({"Range": Range}):
        assert isinstance(legacy.deserialize_keras_object({"class_name": "Range", "config": {"name": "s"}}), Range)


def test_bad_input_raises_clearly():
    with pytest.raises(ValueError, match="Unknown hyperparameter: 'Nope'"):
        legacy.deserialize_keras_object({"class_name": "Nope", "config": {}}, {"Range": Range},
                                        printable_module_name="hyperparameter")
    with pytest.raises(ValueError, match="Improper config format"):
        legacy.deserialize_keras_object({"config": {}}, {"Range": Range})
    with pytest.raises(ValueError, match="Unknown object: 'nope'"):
        legacy.deserialize_keras_object("nope", {})
    with pytest.raises(ValueError, match="Could not interpret serialized object"):
        legacy.deserialize_keras_object(3, {})
    with pytest.raises(ValueError, match="get_config"):
        legacy.serialize_keras_object(object())
