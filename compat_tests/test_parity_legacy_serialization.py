"""keras.utils.legacy.serialize_keras_object / deserialize_keras_object (the Keras 2 config
form libraries use for their own objects) against real Keras."""
import pytest

import keraslite

keras = pytest.importorskip("keras")


class Bounds:
    def __init__(self, name, low=0.0, high=1.0, step=None, child=None, fn=None):
        self.name, self.low, self.high, self.step, self.child, self.fn = name, low, high, step, child, fn

    def get_config(self):
        return {"name": self.name, "low": self.low, "high": self.high, "step": self.step, "child": self.child,
                "fn": self.fn}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def double(x):
    return 2 * x


OBJECTS = [Bounds("a"), Bounds("b", 1, 9, step=2, child=Bounds("c", -1, 1)), Bounds("d", [1, 2, 3]),
           Bounds("e", fn=double), double, None]


@pytest.mark.parametrize("obj", OBJECTS, ids=range(len(OBJECTS)))
def test_serialize_matches_keras(obj):
    assert keraslite.utils.legacy.serialize_keras_object(obj) == keras.utils.legacy.serialize_keras_object(obj)


@pytest.mark.parametrize("obj", OBJECTS[:4], ids=range(4))
def test_deserialize_matches_keras(obj):
    config = keras.utils.legacy.serialize_keras_object(obj)
    classes = {"Bounds": Bounds, "double": double}
    for args in ((classes,), (None, classes)):  # module_objects, then custom_objects
        ours = keraslite.utils.legacy.deserialize_keras_object(dict(config), *args)
        theirs = keras.utils.legacy.deserialize_keras_object(dict(config), *args)
        assert type(ours) is type(theirs)
        assert keraslite.utils.legacy.serialize_keras_object(ours) == keras.utils.legacy.serialize_keras_object(theirs)


def test_names_and_functions_match_keras():
    # (Keras looks a name up in module_objects only after a registry check that fails in
    # Keras 3.15 itself, so names travel in custom_objects here.)
    for args in (("double", None, {"double": double}), ("Bounds", None, {"Bounds": lambda: "made"}), (double,)):
        assert keraslite.utils.legacy.deserialize_keras_object(*args) == keras.utils.legacy.deserialize_keras_object(*args)
    for bad in ({"class_name": "Nope", "config": {}}, {"config": {}}, 3):
        with pytest.raises(ValueError) as theirs:
            keras.utils.legacy.deserialize_keras_object(bad, {})
        with pytest.raises(ValueError) as ours:
            keraslite.utils.legacy.deserialize_keras_object(bad, {})
        assert str(ours.value).split(".")[0] == str(theirs.value).split(".")[0]
