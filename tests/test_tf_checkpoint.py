"""tf.train.Checkpoint / CheckpointManager of the tensorflow shim: a checkpoint restores the
models, optimizer state and variables it holds, so that training resumed from it continues
exactly as uninterrupted training does."""
import os

import numpy as np
import pytest

import keraslite
from keraslite.compat import tensorflow_shim as tf
from keraslite.saving import KerasFileError


def _model():
    keraslite.utils.set_random_seed(0)
    return keraslite.Sequential([keraslite.layers.Dense(5, activation="relu", input_shape=(3,)),
                                 keraslite.layers.Dense(1)])


def _step(model, optimizer, x):
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(model(x, training=True) ** 2)
    grads = tape.gradient(loss, model.trainable_variables)
    optimizer.apply_gradients(zip(grads, model.trainable_variables))


def test_resumed_training_equals_uninterrupted_training(tmp_path):
    x = np.random.default_rng(0).standard_normal((16, 3)).astype("float32")
    straight, straight_opt = _model(), keraslite.optimizers.Adam(0.01)
    for _ in range(6):
        _step(straight, straight_opt, x)

    model, opt = _model(), keraslite.optimizers.Adam(0.01)
    step = tf.Variable(0, dtype="int64")
    checkpoint = tf.train.Checkpoint(optimizer=opt, model=model, step=step)
    for _ in range(3):
        _step(model, opt, x)
        step.assign_add(1)
    path = checkpoint.save(file_prefix=os.path.join(tmp_path, "ckpt"))
    assert path == os.path.join(tmp_path, "ckpt-1") and tf.train.latest_checkpoint(str(tmp_path)) == path

    # A new program: fresh objects, restored before the optimizer's first step.
    resumed, resumed_opt = _model(), keraslite.optimizers.Adam(0.01)
    resumed_step = tf.Variable(0, dtype="int64")
    status = tf.train.Checkpoint(optimizer=resumed_opt, model=resumed, step=resumed_step).restore(path)
    status.assert_consumed()
    assert int(resumed_step) == 3
    for _ in range(3):
        _step(resumed, resumed_opt, x)
    assert int(resumed_opt.iterations) == 6
    for got, want in zip(resumed.get_weights(), straight.get_weights()):
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-7)
    for got, want in zip(resumed_opt.get_weights(), straight_opt.get_weights()):
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-7)


def test_manager_keeps_the_newest_and_status_checks(tmp_path):
    model = _model()
    checkpoint = tf.train.Checkpoint(model=model)
    manager = tf.train.CheckpointManager(checkpoint, str(tmp_path / "ckpts"), max_to_keep=2)
    assert manager.latest_checkpoint is None and checkpoint.restore(manager.latest_checkpoint) is not None
    paths = [manager.save() for _ in range(3)]
    assert [os.path.basename(p) for p in paths] == ["ckpt-1", "ckpt-2", "ckpt-3"]
    assert sorted(os.listdir(tmp_path / "ckpts")) == ["checkpoint", "ckpt-2", "ckpt-3"]
    again = tf.train.CheckpointManager(tf.train.Checkpoint(model=_model()), str(tmp_path / "ckpts"), max_to_keep=2)
    assert again.checkpoints == paths[1:] and again.latest_checkpoint == paths[2]

    partial = tf.train.Checkpoint(model=_model(), other=tf.Variable(1.0)).restore(paths[2])
    with pytest.raises(AssertionError, match="other"):
        partial.assert_consumed()
    partial.expect_partial()


def test_bad_inputs_say_what_to_do(tmp_path):
    with pytest.raises(ValueError, match="cannot be checkpointed"):
        tf.train.Checkpoint(data=[1, 2, 3])
    with pytest.raises(FileNotFoundError, match="latest_checkpoint"):
        tf.train.Checkpoint(model=_model()).restore(str(tmp_path / "nothing-1"))
    weights = str(tmp_path / "w.h5")
    model = _model()
    model.save_weights(weights)
    with pytest.raises(KerasFileError, match="load_weights"):
        tf.train.Checkpoint(model=model).restore(weights)
    path = tf.train.Checkpoint(model=model).save(str(tmp_path / "ck"))
    unbuilt = keraslite.Sequential([keraslite.layers.Dense(5), keraslite.layers.Dense(1)])
    with pytest.raises(ValueError, match="no weights yet"):
        tf.train.Checkpoint(model=unbuilt).restore(path)


def test_saved_model_save_and_load_a_keras_model(tmp_path):
    model = _model()
    x = np.random.default_rng(1).standard_normal((4, 3)).astype("float32")
    expected = model.predict(x, verbose=0)
    tf.saved_model.save(model, str(tmp_path / "exported"))
    assert sorted(os.listdir(tmp_path / "exported")) == ["config.json", "metadata.json", "model.weights.h5"]
    reloaded = tf.saved_model.load(str(tmp_path / "exported"))
    np.testing.assert_allclose(reloaded(x).detach().numpy(), expected, rtol=1e-6)
    served = reloaded.signatures["serving_default"](tf.constant(x))
    assert list(served) == [model.layers[-1].name]
    np.testing.assert_allclose(served[model.layers[-1].name].numpy(), expected, rtol=1e-6)
    model.save(str(tmp_path / "tf_format"), save_format="tf")  # tf.keras 2's SavedModel directory
    assert os.path.isdir(tmp_path / "tf_format")
    np.testing.assert_allclose(keraslite.saving.load_model(str(tmp_path / "tf_format")).predict(x, verbose=0),
                               expected, rtol=1e-6)
    with pytest.raises(TypeError, match="never code"):
        tf.saved_model.save(tf.Module(), str(tmp_path / "module"))


def test_tf_module_collects_variables_and_submodules():
    class Dense(tf.Module):
        def __init__(self, n_in, n_out, name=None):
            super().__init__(name=name)
            self.w = tf.Variable(tf.random.normal([n_in, n_out]), name="w")
            self.b = tf.Variable(tf.zeros([n_out]), name="b")
            self.frozen = tf.Variable(1.0, trainable=False)

        def __call__(self, x):
            return tf.nn.relu(tf.matmul(x, self.w) + self.b)

    class Stack(tf.Module):
        def __init__(self, name=None):
            super().__init__(name=name)
            self.layers = [Dense(3, 3), Dense(3, 2)]
            self.head = keraslite.layers.Dense(1)
            self.head.build((None, 2))

    stack = Stack(name="the_model")
    assert stack.name == "the_model" and Dense(1, 1).name == "dense"
    assert len(stack.submodules) == 3
    assert [tuple(v.shape) for v in stack.variables] == [(3, 3), (3,), (), (3, 2), (2,), (), (2, 1), (1,)]
    assert len(stack.trainable_variables) == 6
