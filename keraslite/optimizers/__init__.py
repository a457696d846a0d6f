"""Optimizers (keras.optimizers): the classes, `get`, `serialize`/`deserialize`, and the
learning-rate schedules in `keraslite.optimizers.schedules`.

`get` resolves names case-insensitively ('adam', 'Adam', 'SGD'), classes, instances and
config dicts in the Keras 3 form and the Keras 2 / tf.keras form (class_name 'Custom>Adam',
legacy keys `lr`, `decay`, `is_legacy_optimizer`, `jit_compile`). The update rules live one
family per module; the shared machinery is keraslite.optimizers.base.
"""
from keraslite.optimizers import schedules
from keraslite.optimizers.adadelta import Adadelta
from keraslite.optimizers.adagrad import Adagrad
from keraslite.optimizers.adafactor import Adafactor
from keraslite.optimizers.adam import Adam, AdamW
from keraslite.optimizers.adamax import Adamax
from keraslite.optimizers.base import Optimizer
from keraslite.optimizers.ftrl import Ftrl
from keraslite.optimizers.lamb import Lamb
from keraslite.optimizers.lion import Lion
from keraslite.optimizers.loss_scale_optimizer import LossScaleOptimizer
from keraslite.optimizers.muon import Muon
from keraslite.optimizers.nadam import Nadam
from keraslite.optimizers.rmsprop import RMSprop
from keraslite.optimizers.sgd import SGD

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta", "Adamax", "Nadam", "Ftrl", "Lion",
           "Lamb", "Adafactor", "LossScaleOptimizer", "Muon", "schedules", "get", "serialize", "deserialize"]

_CLASSES = {cls.__name__.lower(): cls for cls in (SGD, Adam, AdamW, RMSprop, Adagrad, Adadelta, Adamax, Nadam, Ftrl,
                                                   Lion, Lamb, Adafactor, LossScaleOptimizer, Muon)}
# tf.keras 2's mixed-precision wrapper of its 2.11+ optimizers, in its files (inner_optimizer,
# dynamic, initial_scale, dynamic_growth_steps: LossScaleOptimizer's arguments).
_CLASSES["lossscaleoptimizerv3"] = LossScaleOptimizer


# Keras 2.0-2.3's lowercase aliases (`keras.optimizers.rmsprop(lr=0.0003, decay=1e-6)`).
sgd, adam, rmsprop, adagrad, adadelta, adamax, nadam = SGD, Adam, RMSprop, Adagrad, Adadelta, Adamax, Nadam


def _lookup(name, custom_objects=None):
    short = name.split(">")[-1]  # tf.keras >= 2.11 writes 'Custom>Adam'
    cls = _CLASSES.get(short.lower())
    if cls is None:
        from keraslite.saving.registry import get_registered_object

        cls = get_registered_object(name, custom_objects)
    if cls is None:
        raise ValueError(f"Could not interpret optimizer identifier: {name!r}. Valid names are: "
                         f"{', '.join(sorted(n for n in _CLASSES if not n.endswith('v3')))} (any case), or a "
                         "registered custom optimizer class.")
    return cls


def serialize(optimizer):
    from keraslite.saving.serialization import serialize_keras_object

    return serialize_keras_object(optimizer)


def deserialize(config, custom_objects=None):
    name = config.get("class_name")
    if name.split(">")[-1].lower() not in _CLASSES and config.get("registered_name"):
        name = config["registered_name"]
    cls = _lookup(name, custom_objects)
    inner = dict(config.get("config", {}))
    try:  # custom_objects reach a custom learning-rate schedule inside the config
        return cls.from_config(inner, custom_objects=custom_objects)
    except TypeError as e:
        if "custom_objects" not in str(e):
            raise
        return cls.from_config(inner)  # a user subclass whose from_config takes the config only


def get(identifier):
    """An Optimizer from a name, class, instance or config dict (None stays None)."""
    if identifier is None:
        return None
    if isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, type) and issubclass(identifier, Optimizer):
        return identifier()
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, str):
        return _lookup(identifier)()
    raise ValueError(f"Could not interpret optimizer identifier: {identifier!r}. Pass a name such as 'adam', an "
                     "Optimizer instance or class, or a config dict.")
