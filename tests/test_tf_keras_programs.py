"""tf.keras 2 idioms of book programs (Hands-On ML 3rd ed.) run under the aliases: eager
layer outputs as training data, add_weight(shape=int), Model(dynamic=True), ragged
constants and ragged TextVectorization, image layers on a list of images, and a subclassed
model saved as a SavedModel directory loaded back without custom_objects."""
import textwrap

import numpy as np
import pytest
import torch

from tests.programs import run_keraslite


def test_eager_layer_output_as_training_data(tf):
    x = np.random.default_rng(0).random((64, 20)).astype("float32")
    codes = tf.keras.layers.Dense(5, activation="relu")(x)  # eager, outside any tape
    assert codes.requires_grad
    model = tf.keras.Sequential([tf.keras.layers.Dense(3), tf.keras.layers.Dense(5)])
    model.compile(loss="mse", optimizer="nadam")
    history = model.fit(codes, codes, epochs=2, batch_size=16, verbose=0)
    assert len(history.history["loss"]) == 2
    assert model.evaluate(codes, codes, verbose=0) >= 0


def test_add_weight_takes_a_bare_length(tf):
    class Bias(tf.keras.layers.Layer):
        def build(self, batch_input_shape):
            self.b = self.add_weight(name="b", shape=batch_input_shape[-1], initializer="ones")

        def call(self, x):
            return x + self.b

    layer = Bias()
    np.testing.assert_array_equal(layer(np.zeros((2, 3), "float32")).detach().numpy(), np.ones((2, 3)))
    assert layer.get_weights()[0].shape == (3,)


def test_dynamic_is_accepted(tf):
    class MyModel(tf.keras.Model):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.dense = tf.keras.layers.Dense(1)

        def call(self, x):
            return self.dense(x)

    assert MyModel(dynamic=True)(np.ones((2, 3), "float32")).shape == (2, 1)


def test_ragged_constant_takes_ragged_rank_and_tensorflow_dtypes(tf):
    x = tf.ragged.constant([[1, 2, 3], [4]], ragged_rank=1)
    assert x.flat_values.dtype == torch.int32 and x.to_list() == [[1, 2, 3], [4]]
    y = tf.ragged.constant([[[1, 2], [3, 4]], [[5, 6]]], ragged_rank=1, dtype=tf.float32)
    assert y.flat_values.dtype == torch.float32 and tuple(y.flat_values.shape) == (3, 2)
    with pytest.raises(NotImplementedError, match="ragged_rank=1"):
        tf.ragged.constant([[[1], [2, 3]]], ragged_rank=2)


def test_ragged_text_vectorization(tf):
    layer = tf.keras.layers.TextVectorization(ragged=True)
    layer.adapt(["To be", "!(to be)", "That's the question", "Be, be, be."])
    out = layer(["Be good!", "Question: be or be?"])
    assert isinstance(out, tf.RaggedTensor)
    assert out.to_list() == [[2, 1], [6, 2, 1, 2]]  # the book's printed result
    with pytest.raises(ValueError, match="ragged=True"):
        tf.keras.layers.TextVectorization(ragged=True, output_mode="multi_hot")


def test_image_layers_take_a_list_of_images(tf):
    images = [np.zeros((40, 60, 3), np.uint8), np.ones((40, 60, 3), np.uint8)]
    assert tuple(tf.keras.layers.CenterCrop(height=20, width=30)(images).shape) == (2, 20, 30, 3)
    assert tuple(tf.keras.layers.Resizing(10, 10)(images).shape) == (2, 10, 10, 3)
    with pytest.raises(ValueError, match="one shape"):
        tf.keras.layers.CenterCrop(height=20, width=30)([images[0], np.zeros((30, 60, 3), np.uint8)])


def test_subclassed_model_saved_as_a_directory_loads_without_custom_objects(tmp_path):
    script = tmp_path / "prog.py"
    script.write_text(textwrap.dedent("""
        import numpy as np, tensorflow as tf
        class WideAndDeep(tf.keras.Model):
            def __init__(self, units=4, **kwargs):
                super().__init__(**kwargs)
                self.hidden = tf.keras.layers.Dense(units, activation="relu")
                self.out = tf.keras.layers.Dense(1)
            def call(self, x):
                return self.out(self.hidden(x))
        model = WideAndDeep()
        model.compile(loss="mse", optimizer="adam")
        x = np.random.rand(8, 3).astype("float32")
        model.fit(x, np.ones((8, 1)), verbose=0)
        model.save("my_custom_model", save_format="tf")
        loaded = tf.keras.models.load_model("my_custom_model")
        print(type(loaded).__name__, np.allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0)))
        """))
    done = run_keraslite([script], cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split()[-2:] == ["WideAndDeep", "True"]


def test_manual_simple_rnn_from_its_weights(tf):
    # Python Machine Learning ch. 16: the weights, read as TensorFlow shows them
    # ((input_dim, units) kernels), reproduce the layer's output by hand.
    rnn = tf.keras.layers.SimpleRNN(units=2, return_sequences=True)
    rnn.build(input_shape=(None, None, 5))
    w_xh, w_oo, b_h = rnn.weights
    assert tf.shape(w_xh).numpy().tolist() == [5, 2]
    x = tf.convert_to_tensor(np.random.default_rng(0).random((1, 3, 5)).astype("float32"))
    expected = rnn(x)
    o = tf.zeros((1, 2))
    for t in range(3):
        o = tf.math.tanh(tf.matmul(x[:, t], w_xh) + tf.matmul(o, w_oo) + b_h)
    np.testing.assert_allclose(o.numpy(), expected[:, -1].numpy(), atol=1e-6)


def test_variable_value_is_callable(tf):
    v = tf.Variable([1, 2, 3], trainable=False)
    assert v.value() is v and v.value().numpy().tolist() == [1, 2, 3]


def test_math_functions(tf):
    x = tf.constant([[1.0, 2.0, 3.0]])
    np.testing.assert_allclose(tf.math.softmax(x).numpy(), tf.nn.softmax(x).numpy())
    np.testing.assert_allclose(tf.math.log_softmax(x).numpy(), np.log(tf.nn.softmax(x).numpy()), rtol=1e-6)
    assert tf.math.cumprod(x, axis=1).numpy().tolist() == [[1, 2, 6]]
    assert tf.math.cumprod(x, axis=1, exclusive=True).numpy().tolist() == [[1, 1, 2]]
    assert tf.math.cumprod(x, axis=1, reverse=True).numpy().tolist() == [[6, 6, 3]]
    assert tf.math.multiply_no_nan(tf.constant([np.inf, 2.0]), tf.constant([0.0, 3.0])).numpy().tolist() == [0, 6]
    assert float(tf.math.zero_fraction(tf.constant([0, 1, 0, 2]))) == 0.5


def test_dataset_map_returning_a_list_gives_components(tf):
    ds = tf.data.Dataset.from_tensor_slices((np.array([[b"a b c"], [b"d e"]]), np.array([0, 1])))

    def encode(text, label):
        return [len(w) for w in text.numpy()[0].split()], label

    out = [(x.shape, int(y)) for x, y in ds.map(
        lambda t, l: tf.py_function(encode, inp=[t, l], Tout=(tf.int64, tf.int64)))]
    assert [tuple(s) for s, _ in out] == [(3,), (2,)] and [y for _, y in out] == [0, 1]


def test_sequential_takes_a_dict_of_its_one_named_input(tf):
    x, y = np.random.default_rng(1).random((8, 2)).astype("float32"), np.ones((8, 1), "float32")
    model = tf.keras.Sequential([tf.keras.layers.Input(shape=(2,), name="input-features"),
                                 tf.keras.layers.Dense(4), tf.keras.layers.Dense(1)])
    model.compile("sgd", "mse")
    model.fit({"input-features": x}, y, epochs=1, verbose=0)
    np.testing.assert_allclose(model.predict({"input-features": x[:3]}, verbose=0), model.predict(x[:3], verbose=0))


def test_tensor_array_stateless_random_and_argmax_of_booleans(tf):
    ta = tf.TensorArray(tf.float32, size=3)
    for n in tf.range(3):
        ta = ta.write(n, tf.ones([2, 4]) * tf.cast(n, tf.float32))
    assert tuple(ta.stack().shape) == (3, 2, 4) and float(ta.read(2)[0, 0]) == 2.0 and int(ta.size()) == 3
    grown = tf.TensorArray(tf.float32, size=0, dynamic_size=True)
    for i in range(4):
        grown = grown.write(i, tf.constant([float(i)]))
    assert grown.stack().numpy().ravel().tolist() == [0, 1, 2, 3]
    with pytest.raises(IndexError, match="dynamic_size"):
        ta.write(5, tf.ones([2, 4]))
    seed = (tf.constant(1, tf.int64), tf.constant(0, tf.int64))  # Dataset.zip with Counter() gives this
    new_seed = tf.random.experimental.stateless_split(seed, num=1)[0, :]
    assert tuple(new_seed.shape) == (2,) and new_seed.dtype == torch.int64
    a, b = tf.random.stateless_uniform([5], seed=new_seed), tf.random.stateless_uniform([5], seed=new_seed)
    assert torch.equal(a, b) and float(a.min()) >= 0 and float(a.max()) < 1
    assert tuple(tf.image.stateless_random_brightness(tf.zeros((4, 4, 3)), 0.5, seed=seed).shape) == (4, 4, 3)
    assert int(tf.argmax(np.array(["daisy", "roses", "tulips"]) == "roses")) == 1
    assert tf.argmax(tf.constant([1.0, 3.0]), output_type=tf.int32).dtype == torch.int32


def test_tensor_array_slots_never_written_read_as_zeros(tf):
    # yolov3-tf2's transform_targets_for_output: a scale that gets no boxes stacks unwritten slots.
    @tf.function
    def stacked(n, element_shape=None):
        a = tf.TensorArray(tf.int32, 1, dynamic_size=True, element_shape=element_shape)
        for i in tf.range(n):
            if i > 5:
                a = a.write(0, [i, i])
        return a.stack()

    out = stacked(2, element_shape=[2])
    assert out.dtype == torch.int32 and out.numpy().tolist() == [[0, 0]]
    assert stacked(8).numpy().tolist() == [[7, 7]]
    with pytest.raises(ValueError, match="element_shape="):  # nothing written, no shape: TF's error, explained
        stacked(2)
    partly = tf.TensorArray(tf.float32, size=3).write(1, tf.ones((2,)))  # the shape comes from the write
    assert partly.stack().numpy().tolist() == [[0, 0], [1, 1], [0, 0]]
    assert partly.read(2).numpy().tolist() == [0, 0] and partly.concat().numpy().tolist() == [0, 0, 1, 1, 0, 0]
    assert partly.element_shape.as_list() == [2]
    with pytest.raises(ValueError, match="Incompatible shape"):
        partly.write(0, tf.ones((3,)))
    assert tuple(tf.TensorArray(tf.float32, size=0, element_shape=(None, 3)).stack().shape) == (0,)
    assert tuple(tf.TensorArray(tf.float32, size=0, element_shape=(4, 3)).stack().shape) == (0, 4, 3)


def test_class_weight_refuses_per_pixel_targets(tf):
    model = tf.keras.Sequential([tf.keras.Input((8, 8, 1)), tf.keras.layers.Conv2D(3, 1)])
    model.compile("adam", tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    with pytest.raises(ValueError, match="3\\+ dimensional targets"):
        model.fit(np.zeros((4, 8, 8, 1)), np.zeros((4, 8, 8, 1)), class_weight={0: 2.0, 1: 2.0, 2: 1.0}, verbose=0)


def test_tf1_set_random_seed(tf):
    tf.set_random_seed(3)
    a = np.random.rand()
    tf.set_random_seed(3)
    assert np.random.rand() == a  # keraslite's set_random_seed seeds numpy too


def test_multi_output_metrics_come_in_output_order_in_a_tf_keras_program(tf):
    # Course notebooks unpack `loss, cls_loss, box_loss, cls_acc, box_mse = model.evaluate(...)`:
    # tf.keras 2 lists each output's metrics in output order (Keras 3 sorts the prefixed names).
    keras = tf.keras
    inp = keras.Input((8,))
    h = keras.layers.Dense(16, activation="relu")(inp)
    model = keras.Model(inp, [keras.layers.Dense(3, activation="softmax", name="classification")(h),
                              keras.layers.Dense(4, name="bounding_box")(h)])
    model.compile(optimizer="adam", loss={"classification": "categorical_crossentropy", "bounding_box": "mse"},
                  metrics={"classification": "accuracy", "bounding_box": "mse"})
    rng = np.random.default_rng(0)
    x = rng.random((32, 8)).astype("float32")
    yc, yb = np.eye(3)[rng.integers(0, 3, 32)].astype("float32"), rng.random((32, 4)).astype("float32")
    values = model.evaluate(x, (yc, yb), verbose=0)
    logs = model.evaluate(x, (yc, yb), verbose=0, return_dict=True)
    names = ["loss", "classification_loss", "bounding_box_loss", "classification_accuracy", "bounding_box_mse"]
    assert model.metrics_names == names
    np.testing.assert_allclose(values, [logs[n] for n in names], rtol=1e-6)


def test_a_metric_in_metrics_and_weighted_metrics_is_listed_once_in_a_tf_keras_program(tf):
    # tf.keras 2 lists each log once (loss, accuracy, weighted_accuracy); Keras 3 repeats the
    # unweighted value for the weighted metric's own name before the renamed log.
    model = tf.keras.Sequential([tf.keras.Input((3,)), tf.keras.layers.Dense(2, activation="softmax")])
    model.compile("sgd", "sparse_categorical_crossentropy", metrics=["accuracy"], weighted_metrics=["accuracy"])
    rng = np.random.default_rng(0)
    x, y, sw = rng.random((8, 3)).astype("float32"), rng.integers(0, 2, 8), rng.uniform(0.1, 2, 8)
    values = model.test_on_batch(x, y, sample_weight=sw)
    logs = model.test_on_batch(x, y, sample_weight=sw, return_dict=True)
    assert model.metrics_names == ["loss", "accuracy", "weighted_accuracy"]
    np.testing.assert_allclose(values, [logs[n] for n in model.metrics_names], rtol=1e-6)


def test_a_metric_in_metrics_and_weighted_metrics_is_listed_as_keras_3_lists_it():
    import keraslite

    model = keraslite.Sequential([keraslite.Input((3,)), keraslite.layers.Dense(2, activation="softmax")])
    model.compile("sgd", "sparse_categorical_crossentropy", metrics=["accuracy"], weighted_metrics=["accuracy"])
    rng = np.random.default_rng(0)
    x, y, sw = rng.random((8, 3)).astype("float32"), rng.integers(0, 2, 8), rng.uniform(0.1, 2, 8)
    values = model.evaluate(x, y, sample_weight=sw, verbose=0)
    logs = model.evaluate(x, y, sample_weight=sw, verbose=0, return_dict=True)
    assert model.metrics_names == ["loss", "accuracy", "accuracy", "weighted_accuracy"]
    np.testing.assert_allclose(values, [logs[n] for n in model.metrics_names], rtol=1e-6)
