"""tf.keras 2 called a Metric subclass's own `reset_states()` (the pre-2.5 name) from
`reset_state()` between epochs, with a deprecation warning; Keras 3 just zeroes the variables.
A tf.keras 2 program whose metric resets more than its variables relies on the first."""
import warnings

import numpy as np
import pytest

import keraslite as keras


class SeenSinceReset(keras.metrics.Metric):
    """Counts updates in a variable, and reset_states() also clears a plain Python list and
    starts the variable from a baseline other than zero."""

    def __init__(self, name="seen", **kwargs):
        super().__init__(name=name, **kwargs)
        self.count = self.add_weight(name="count", initializer="zeros")
        self.log = []

    def update_state(self, y_true, y_pred, sample_weight=None):
        self.count.assign_add(1.0)
        self.log.append(1)

    def result(self):
        return self.count

    def reset_states(self):
        self.count.assign(10.0)
        self.log = []


def test_reset_state_calls_an_overridden_reset_states_with_a_warning():
    metric = SeenSinceReset()
    metric.update_state(0, 0)
    with pytest.warns(UserWarning, match="implements a `reset_states\\(\\)` method"):
        metric.reset_state()
    assert float(metric.result()) == 10.0 and metric.log == []


def test_fit_resets_such_a_metric_each_epoch():
    x, y = np.ones((12, 2), "float32"), np.ones((12, 1), "float32")
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    metric = SeenSinceReset()
    model.compile("sgd", "mse", metrics=[metric])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        history = model.fit(x, y, batch_size=4, epochs=2, verbose=0)
    # the second epoch starts from the baseline and sees 3 batches (were the variables merely
    # zeroed, it would show 3; never reset, 6 or more)
    assert history.history["seen"][1] == 13.0
    assert len(metric.log) == 3


def test_a_super_call_from_reset_states_does_not_recurse():
    class Chained(SeenSinceReset):
        def reset_states(self):
            super(SeenSinceReset, self).reset_states()  # Metric.reset_states -> zero the variables
            self.log = ["cleared"]

    metric = Chained()
    metric.update_state(0, 0)
    with pytest.warns(UserWarning):
        metric.reset_state()
    assert float(metric.result()) == 0.0 and metric.log == ["cleared"]
