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
    other = keraslite.Sequential([keraslite.layers.Dense(5)])  # without weights yet, and not the saved architecture
    with pytest.raises(ValueError, match="no weights yet and holds no layer"):
        tf.train.Checkpoint(model=other).restore(path)


class _Attention(keraslite.Model):
    def __init__(self, units):
        super().__init__()
        self.W1, self.W2, self.V = (keraslite.layers.Dense(units), keraslite.layers.Dense(units),
                                    keraslite.layers.Dense(1))

    def call(self, features, hidden):
        scores = self.V(tf.nn.tanh(self.W1(features) + self.W2(tf.expand_dims(hidden, 1))))
        return tf.reduce_sum(tf.nn.softmax(scores, axis=1) * features, axis=1)


class _Encoder(keraslite.Model):
    def __init__(self):
        super().__init__()
        self.fc = keraslite.layers.Dense(6)
        self.bn = keraslite.layers.BatchNormalization()

    def call(self, x, training=False):
        return self.bn(tf.nn.relu(self.fc(x)), training=training)


class _Decoder(keraslite.Model):
    """The image-captioning tutorial's shape: several call arguments, a nested model, a GRU."""

    def __init__(self):
        super().__init__()
        self.embedding = keraslite.layers.Embedding(20, 4)
        self.gru = keraslite.layers.GRU(8, return_state=True)
        self.fc = keraslite.layers.Dense(20)
        self.attention = _Attention(8)

    def call(self, tokens, features, hidden):
        context = self.attention(features, hidden)
        x = tf.concat([tf.expand_dims(context, 1), self.embedding(tokens)], axis=-1)
        output, state = self.gru(x)
        return self.fc(output), state


def _caption_step(encoder, decoder, optimizer, images, tokens):
    with tf.GradientTape() as tape:
        logits, _ = decoder(tokens, encoder(images, training=True), tf.zeros((2, 8)))
        loss = tf.reduce_mean(logits ** 2)
    variables = encoder.trainable_variables + decoder.trainable_variables
    optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))


def test_restore_before_the_first_call_is_applied_when_the_weights_are_created(tmp_path):
    # TensorFlow restores into variables that do not exist yet as they are created: the
    # tutorials restore fresh subclassed models before their first training step.
    rng = np.random.default_rng(0)
    images, tokens = rng.random((2, 5, 6)).astype("float32"), np.array([[1], [3]])
    keraslite.utils.set_random_seed(0)
    encoder, decoder, optimizer = _Encoder(), _Decoder(), keraslite.optimizers.Adam(0.01)
    for _ in range(2):
        _caption_step(encoder, decoder, optimizer, images, tokens)
    manager = tf.train.CheckpointManager(tf.train.Checkpoint(encoder=encoder, decoder=decoder, optimizer=optimizer),
                                         str(tmp_path / "train"), max_to_keep=5)
    manager.save()
    features = encoder(images)
    want = decoder(tokens, features, tf.zeros((2, 8)))[0].numpy()

    keraslite.utils.set_random_seed(1)
    encoder2, decoder2, optimizer2 = _Encoder(), _Decoder(), keraslite.optimizers.Adam(0.01)
    tf.train.Checkpoint(encoder=encoder2, decoder=decoder2, optimizer=optimizer2).restore(
        manager.latest_checkpoint).assert_consumed()
    assert int(optimizer2.iterations) == 2  # restored at once, before the slots exist
    features2 = encoder2(images)
    np.testing.assert_allclose(features2.numpy(), features.numpy(), rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(decoder2(tokens, features2, tf.zeros((2, 8)))[0].numpy(), want, rtol=1e-5, atol=1e-6)
    _caption_step(encoder, decoder, optimizer, images, tokens)
    _caption_step(encoder2, decoder2, optimizer2, images, tokens)
    assert int(optimizer2.iterations) == 3
    for got, expected in zip(optimizer2.get_weights() + decoder2.get_weights() + encoder2.get_weights(),
                             optimizer.get_weights() + decoder.get_weights() + encoder.get_weights()):
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)

    # Another architecture is refused, not half restored.
    with pytest.raises(ValueError, match="no weights yet and holds no layer at 'fc'"):
        tf.train.Checkpoint(encoder=keraslite.layers.Dense(6)).restore(manager.latest_checkpoint)


def test_a_layer_restored_before_it_is_built_takes_the_values_when_built(tmp_path):
    x = np.random.default_rng(0).standard_normal((4, 3)).astype("float32")
    dense = keraslite.layers.Dense(2)
    want = dense(x).numpy()
    path = tf.train.Checkpoint(layer=dense).save(str(tmp_path / "ck"))
    fresh = keraslite.layers.Dense(2)
    tf.train.Checkpoint(layer=fresh).restore(path)
    np.testing.assert_allclose(fresh(x).numpy(), want, rtol=1e-6)


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


def test_restore_then_build_by_shape_in_a_tf_keras_program(tmp_path, monkeypatch):
    from keraslite.compat import aliases

    x = np.random.default_rng(0).standard_normal((2, 5, 6)).astype("float32")
    encoder = _Encoder()
    want = encoder(x).numpy()
    path = tf.train.Checkpoint(encoder=encoder).save(str(tmp_path / "ck"))
    monkeypatch.setattr(aliases, "tensorflow_program", lambda: True)  # Model.build runs call on the shape
    fresh = _Encoder()
    tf.train.Checkpoint(encoder=fresh).restore(path)
    fresh.build((None, 5, 6))
    np.testing.assert_allclose(fresh(x).numpy(), want, rtol=1e-6)
