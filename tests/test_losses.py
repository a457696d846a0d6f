"""Loss unit tests: get() over every alias, errors that name shapes, wrapping plain
callables, config round trips, and the reduction against numpy formulas."""
import numpy as np
import pytest
import torch

import keraslite
from keraslite import activations, losses

ALIASES = {
    "mse": losses.MeanSquaredError, "MSE": losses.MeanSquaredError, "mean_squared_error": losses.MeanSquaredError,
    "mae": losses.MeanAbsoluteError, "MAE": losses.MeanAbsoluteError, "mean_absolute_error": losses.MeanAbsoluteError,
    "mape": losses.MeanAbsolutePercentageError, "MAPE": losses.MeanAbsolutePercentageError,
    "mean_absolute_percentage_error": losses.MeanAbsolutePercentageError,
    "msle": losses.MeanSquaredLogarithmicError, "MSLE": losses.MeanSquaredLogarithmicError,
    "mean_squared_logarithmic_error": losses.MeanSquaredLogarithmicError,
    "kld": losses.KLDivergence, "KLD": losses.KLDivergence, "kl_divergence": losses.KLDivergence,
    "kullback_leibler_divergence": losses.KLDivergence, "logcosh": losses.LogCosh, "log_cosh": losses.LogCosh,
    "huber": losses.Huber, "huber_loss": losses.Huber, "hinge": losses.Hinge, "squared_hinge": losses.SquaredHinge,
    "categorical_hinge": losses.CategoricalHinge, "poisson": losses.Poisson,
    "cosine_similarity": losses.CosineSimilarity, "cosine_proximity": losses.CosineSimilarity,
    "bce": losses.BinaryCrossentropy, "BCE": losses.BinaryCrossentropy,
    "binary_crossentropy": losses.BinaryCrossentropy, "categorical_crossentropy": losses.CategoricalCrossentropy,
    "sparse_categorical_crossentropy": losses.SparseCategoricalCrossentropy,
    "binary_focal_crossentropy": losses.BinaryFocalCrossentropy,
    "categorical_focal_crossentropy": losses.CategoricalFocalCrossentropy,
    "CategoricalCrossentropy": losses.CategoricalCrossentropy, "MeanSquaredError": losses.MeanSquaredError,
}


@pytest.mark.parametrize("name,cls", list(ALIASES.items()))
def test_reducing_loss_for_every_alias(name, cls):
    loss = losses.reducing_loss(name)
    assert type(loss) is cls
    assert callable(loss) and loss.name


def test_reducing_loss_passes_objects_and_classes():
    inst = losses.Huber(delta=2.0)
    assert losses.reducing_loss(inst) is inst
    assert isinstance(losses.reducing_loss(losses.Poisson), losses.Poisson)
    assert isinstance(losses.reducing_loss(losses.mean_squared_error), losses.MeanSquaredError)
    assert losses.reducing_loss(None) is None


def test_get_answers_as_keras_does():
    # keras.losses.get: a function name gives the per-sample function, a class name an instance.
    assert losses.get("mse") is losses.mean_squared_error
    assert losses.get("categorical_crossentropy") is losses.categorical_crossentropy
    assert isinstance(losses.get("MeanSquaredError"), losses.MeanSquaredError)
    assert losses.get(losses.mean_squared_error) is losses.mean_squared_error
    assert losses.get(None) is None


def test_unknown_name_lists_valid_names():
    with pytest.raises(ValueError, match="Unknown loss 'categorial_crossentropy'.*categorical_crossentropy"):
        losses.get("categorial_crossentropy")


def test_plain_callable_is_wrapped_and_reduced():
    def my_loss(y_true, y_pred):
        return torch.mean(torch.abs(y_true - y_pred), dim=-1) * 2

    loss = losses.reducing_loss(my_loss)
    assert loss.name == "my_loss"
    y_true, y_pred = np.zeros((4, 3), "float32"), np.ones((4, 3), "float32")
    w = np.array([1, 0, 0, 1], "float32")
    # sum_over_batch_size: sum(w * per_sample) / batch (not / sum(w))
    assert float(loss(y_true, y_pred, sample_weight=w)) == pytest.approx(2 * 2 / 4)


def test_mse_reduction_matches_numpy():
    rng = np.random.default_rng(0)
    y_true, y_pred = rng.normal(size=(5, 3)).astype("float32"), rng.normal(size=(5, 3)).astype("float32")
    w = rng.uniform(size=5).astype("float32")
    per_sample = ((y_true - y_pred) ** 2).mean(-1)
    out = losses.MeanSquaredError()(torch.as_tensor(y_true), torch.as_tensor(y_pred), sample_weight=w)
    assert out.ndim == 0
    np.testing.assert_allclose(float(out), (per_sample * w).sum() / 5, rtol=1e-6)
    np.testing.assert_allclose(losses.MeanSquaredError(reduction="sum")(y_true, y_pred).numpy(), per_sample.sum(),
                               rtol=1e-6)
    np.testing.assert_allclose(losses.mean_squared_error(y_true, y_pred).numpy(), per_sample, rtol=1e-6)


def test_crossentropy_clips_probabilities_like_keras():
    y_true = np.array([[0.0, 1.0]], "float32")
    y_pred = np.array([[1.0, 0.0]], "float32")
    expected = -np.log(np.float32(1e-7))
    np.testing.assert_allclose(losses.categorical_crossentropy(y_true, y_pred).numpy(), [expected], rtol=1e-5)
    # binary: 1 is clipped to float32(1 - 1e-7), whose complement is 1.19e-7, not 1e-7
    low, high = np.float32(1e-7), np.float32(1 - 1e-7)
    expected_bce = (-np.log(np.float32(1) - high) - np.log(low)) / 2
    np.testing.assert_allclose(losses.binary_crossentropy(y_true, y_pred).numpy(), [expected_bce], rtol=1e-5)


def test_softmax_output_is_not_recomputed_from_logits():
    """Keras 3 (torch) computes crossentropy from clipped probabilities even when the
    activation recorded its logits; keraslite gives the same number."""
    logits = torch.tensor([[30.0, -30.0]])
    probs = activations.softmax(logits)
    assert hasattr(probs, "_keras_logits")
    y_true = torch.tensor([[0.0, 1.0]])
    clipped = float(losses.categorical_crossentropy(y_true, probs))
    assert clipped == pytest.approx(-np.log(1e-7), rel=1e-4)  # from logits it would be 60


def test_sparse_labels_shapes():
    y_pred = torch.softmax(torch.randn(4, 3), -1)
    labels = torch.tensor([0, 2, 1, 1])
    a = losses.sparse_categorical_crossentropy(labels, y_pred)
    b = losses.sparse_categorical_crossentropy(labels[:, None], y_pred)
    torch.testing.assert_close(a, b)
    onehot = torch.eye(3)[labels]
    torch.testing.assert_close(a, losses.categorical_crossentropy(onehot, y_pred))
    with pytest.raises(ValueError, match=r"shape \(4, 3\).*y_pred has shape \(4, 3\).*categorical_crossentropy"):
        losses.sparse_categorical_crossentropy(onehot, y_pred)


def test_label_shape_mismatch_names_both_shapes():
    y_pred = torch.softmax(torch.randn(4, 3), -1)
    with pytest.raises(ValueError, match=r"\(4,\).*\(4, 3\).*sparse_categorical_crossentropy"):
        losses.get("categorical_crossentropy")(torch.tensor([0, 1, 2, 0]), y_pred)
    with pytest.raises(ValueError, match=r"\(4, 2\).*\(4, 3\)"):
        losses.get("mse")(torch.zeros(4, 2), y_pred)
    # one-hot labels against a pooled output that was never flattened (Inception without Flatten)
    pooled = torch.softmax(torch.randn(4, 1, 1, 3), -1)
    with pytest.raises(ValueError, match=r"one-hot for 3 classes.*extra axes \(1, 1\).*Flatten"):
        losses.get("categorical_crossentropy")(torch.eye(3)[[0, 1, 2, 0]], pooled)


@pytest.mark.parametrize("cls,kwargs", [
    (losses.CategoricalCrossentropy, {"from_logits": True, "label_smoothing": 0.1}),
    (losses.BinaryCrossentropy, {"axis": -1}), (losses.SparseCategoricalCrossentropy, {"ignore_class": 0}),
    (losses.Huber, {}), (losses.MeanSquaredError, {"reduction": "sum"}),
    (losses.BinaryFocalCrossentropy, {"gamma": 3.0, "apply_class_balancing": True})])
def test_config_round_trip(cls, kwargs):
    loss = cls(**kwargs)
    config = loss.get_config()
    assert type(loss).from_config(config).get_config() == config
    again = losses.get({"class_name": cls.__name__, "config": config})
    assert again.get_config() == config


def test_invalid_reduction():
    with pytest.raises(ValueError, match="reduction"):
        losses.MeanSquaredError(reduction="average")


def test_keras2_configs_load():
    loss = losses.get({"class_name": "CategoricalCrossentropy", "config": {
        "reduction": "auto", "name": "categorical_crossentropy", "from_logits": False, "label_smoothing": 0.0,
        "axis": -1}})
    assert isinstance(loss, losses.CategoricalCrossentropy) and loss.reduction == "sum_over_batch_size"
    assert isinstance(losses.get({"class_name": "Huber", "config": {"reduction": "auto", "name": "huber_loss",
                                                                     "delta": 2.0}}), losses.Huber)
    keras3_fn = {"module": "keras.losses", "class_name": "function", "config": "mean_squared_error",
                 "registered_name": "mean_squared_error"}
    assert losses.get(keras3_fn) is losses.mean_squared_error  # Keras deserializes it to the function
    assert isinstance(losses.reducing_loss(keras3_fn), losses.MeanSquaredError)  # what compile trains with


def test_tf_keras2_reduction_constants():
    rng = np.random.default_rng(5)
    labels = rng.integers(0, 3, size=6)
    logits = rng.normal(size=(6, 3)).astype("float32")
    logp = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    per_sample = -logp[np.arange(6), labels]
    R = losses.Reduction
    none = losses.SparseCategoricalCrossentropy(from_logits=True, reduction=R.NONE)(labels, logits)
    np.testing.assert_allclose(np.asarray(none), per_sample, rtol=1e-5)
    total = losses.SparseCategoricalCrossentropy(from_logits=True, reduction=R.SUM)(labels, logits)
    np.testing.assert_allclose(float(total), per_sample.sum(), rtol=1e-5)
    for key in (R.AUTO, R.SUM_OVER_BATCH_SIZE):
        mean = losses.SparseCategoricalCrossentropy(from_logits=True, reduction=key)(labels, logits)
        np.testing.assert_allclose(float(mean), per_sample.mean(), rtol=1e-5)
    assert set(R.all()) == {"auto", "none", "sum", "sum_over_batch_size"}
    R.validate("sum")
    with pytest.raises(ValueError, match="Reduction"):
        R.validate("mean")


def test_binary_crossentropy_takes_noisy_labels_above_one():
    """GAN recipes add noise to 0/1 labels (`labels += 0.05 * random`); torch's kernel refuses
    targets above 1, the cross-entropy formula (which TensorFlow's Keras computed) does not."""
    rng = np.random.default_rng(0)
    y_pred = rng.uniform(0.05, 0.95, (6, 1)).astype("float32")
    y_true = (np.array([[1], [1], [1], [0], [0], [0]]) + 0.05 * rng.random((6, 1))).astype("float32")
    expected = -(y_true * np.log(y_pred) + (1 - y_true) * np.log(1 - y_pred)).mean(axis=-1)
    got = keraslite.losses.binary_crossentropy(torch.from_numpy(y_true), torch.from_numpy(y_pred))
    np.testing.assert_allclose(got.numpy(), expected, rtol=1e-5)
    inputs = keraslite.Input((3,))
    model = keraslite.Model(inputs, keraslite.layers.Dense(1, activation="sigmoid")(inputs))
    model.compile("rmsprop", "binary_crossentropy")
    loss = model.train_on_batch(rng.random((6, 3)).astype("float32"), y_true)
    assert np.isfinite(loss)


def test_training_a_model_without_trainable_weights_warns_as_keras():
    model = keraslite.Sequential([keraslite.Input((3,)), keraslite.layers.Dense(1)])
    model.trainable = False
    model.compile("sgd", "mse")
    with pytest.warns(UserWarning, match="The model does not have any trainable weights."):
        model.train_on_batch(np.ones((2, 3), "float32"), np.ones((2, 1), "float32"))


def test_sparse_labels_in_another_arrangement_of_the_same_positions():
    # Deep Learning with TF2's attention model: labels (4,) against logits (4, 1, 5); tf.keras 2
    # flattened both. Per-position losses come back in the outputs' leading shape.
    import keraslite

    rng = np.random.default_rng(0)
    logits = rng.normal(size=(4, 1, 5)).astype("float32")
    labels = np.array([3, 0, 1, 2])
    loss = keraslite.losses.SparseCategoricalCrossentropy(from_logits=True, reduction=None)
    log_probs = logits[:, 0] - np.log(np.exp(logits[:, 0]).sum(-1, keepdims=True))
    expected = -log_probs[np.arange(4), labels]
    np.testing.assert_allclose(keraslite.ops.convert_to_numpy(loss(labels, logits)).reshape(-1), expected, rtol=1e-5)
    with pytest.raises(ValueError, match="one integer class index"):
        loss(np.zeros((4, 5)), logits.reshape(4, 5))  # one-hot labels stay an error


def test_shape_error_hints_at_sparse_labels_only_for_whole_numbers():
    """Targets of shape (n,) against an (n, 10) output: class ids get the sparse-loss hint,
    random float targets do not (the hint would be wrong for them)."""
    model = keraslite.Sequential([keraslite.Input((3,)), keraslite.layers.Dense(10)])
    model.compile("adam", "mse")
    x = np.random.default_rng(0).random((8, 3)).astype("float32")
    with pytest.raises(ValueError) as ids:
        model.fit(x, np.arange(8).astype("float32"), verbose=0)
    assert "integer class labels" in str(ids.value) and ".." not in str(ids.value)
    with pytest.raises(ValueError) as floats:
        model.fit(x, np.random.default_rng(1).random(8).astype("float32"), verbose=0)
    assert "integer class labels" not in str(floats.value)
    assert "Reshape the labels to the model's output shape" in str(floats.value)
