"""Subclassed layers and models written the way the Keras subclassing guide writes them:
weights from add_weight (in __init__ or build), nested layers, layers in lists/dicts/tuples,
non-trainable state, add_loss, training argument, build(), compute_output_shape, fit with a
custom train_step, and the errors a user meets."""
import numpy as np
import pytest
import torch

import keraslite
import keraslite as keras
from keraslite import layers, ops


class Linear(layers.Layer):
    """Guide: weights created in __init__ with a known input_dim."""

    def __init__(self, units=32, input_dim=32):
        super().__init__()
        self.w = self.add_weight(shape=(input_dim, units), initializer="random_normal", trainable=True)
        self.b = self.add_weight(shape=(units,), initializer="zeros", trainable=True)

    def call(self, inputs):
        return ops.matmul(inputs, self.w) + self.b


class LazyLinear(layers.Layer):
    """Guide: weights created in build() from the first input's shape."""

    def __init__(self, units=32, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1], self.units), initializer="random_normal", trainable=True,
                                 name="kernel")
        self.b = self.add_weight(shape=(self.units,), initializer="random_normal", trainable=True, name="bias")

    def call(self, inputs):
        return ops.matmul(inputs, self.w) + self.b

    def get_config(self):
        config = super().get_config()
        config["units"] = self.units
        return config


class ComputeSum(layers.Layer):
    """Guide: a non-trainable weight updated in call."""

    def __init__(self, input_dim):
        super().__init__()
        self.total = self.add_weight(initializer="zeros", shape=(input_dim,), trainable=False)

    def call(self, inputs):
        self.total.assign_add(ops.sum(inputs, axis=0))
        return self.total


class MLPBlock(layers.Layer):
    """Guide: layers as attributes are tracked, weights included."""

    def __init__(self):
        super().__init__()
        self.linear_1 = LazyLinear(32)
        self.linear_2 = LazyLinear(32)
        self.linear_3 = LazyLinear(1)

    def call(self, inputs):
        x = ops.relu(self.linear_1(inputs))
        x = ops.relu(self.linear_2(x))
        return self.linear_3(x)


class ActivityRegularizationLayer(layers.Layer):
    """Guide: add_loss in call."""

    def __init__(self, rate=1e-2):
        super().__init__()
        self.rate = rate

    def call(self, inputs):
        self.add_loss(self.rate * ops.mean(inputs))
        return inputs


class CustomDropout(layers.Layer):
    """Guide: the training argument."""

    def __init__(self, rate, **kwargs):
        super().__init__(**kwargs)
        self.rate = rate

    def call(self, inputs, training=None):
        if training:
            return torch.nn.functional.dropout(inputs, self.rate, True)
        return inputs


class Stack(keras.Model):
    """A model holding layers in a list, a dict and a tuple."""

    def __init__(self):
        super().__init__()
        self.blocks = [layers.Dense(4, activation="relu") for _ in range(2)]
        self.by_name = {"first": layers.Dense(4), "second": layers.Dense(4)}
        self.pair = (layers.Dense(3), layers.Dense(1))

    def call(self, inputs, training=None):
        x = inputs
        for block in self.blocks:
            x = block(x)
        x = self.by_name["second"](self.by_name["first"](x))
        return self.pair[1](self.pair[0](x))


def test_linear_from_guide_computes_matmul_plus_bias():
    x = torch.ones((2, 2))
    layer = Linear(4, 2)
    y = layer(x)
    torch.testing.assert_close(y, x @ layer.w + layer.b)
    assert [tuple(w.shape) for w in layer.weights] == [(2, 4), (4,)]
    assert len(layer.trainable_weights) == 2


def test_lazy_build_creates_weights_on_first_call():
    layer = LazyLinear(3)
    assert layer.weights == []
    y = layer(torch.ones(2, 5))
    assert y.shape == (2, 3)
    assert [w.name for w in layer.weights] == ["kernel", "bias"]
    assert layer.compute_output_shape((None, 5)) == (None, 3)


def test_non_trainable_weight_updates_in_call():
    layer = ComputeSum(2)
    x = np.ones((2, 2), "float32")
    layer(x)
    y = layer(x)
    np.testing.assert_allclose(y.detach().numpy(), [4.0, 4.0])
    assert len(layer.weights) == 1 and len(layer.non_trainable_weights) == 1 and not layer.trainable_weights


def test_nested_layers_are_tracked():
    mlp = MLPBlock()
    y = mlp(torch.ones(3, 64))
    assert y.shape == (3, 1)
    assert len(mlp.weights) == 6
    assert len(mlp.trainable_weights) == 6


def test_add_loss_collects_losses():
    class OuterLayer(layers.Layer):
        def __init__(self):
            super().__init__()
            self.activity_reg = ActivityRegularizationLayer(1e-2)

        def call(self, inputs):
            return self.activity_reg(inputs)

    layer = OuterLayer()
    layer(torch.full((2, 2), 3.0))
    assert len(layer.losses) == 1
    assert float(layer.losses[0]) == pytest.approx(0.03)


def test_training_argument_reaches_layer():
    layer = CustomDropout(0.5)
    x = torch.ones(4, 100)
    torch.testing.assert_close(layer(x), x)
    assert (layer(x, training=True) == 0).any()


def test_layers_in_list_dict_tuple_are_tracked():
    model = Stack()
    y = model(np.ones((2, 5), "float32"))
    assert y.shape == (2, 1)
    assert len(model.layers) == 6
    assert len(model.weights) == 12
    assert len(list(model.parameters())) == 12
    assert isinstance(model.blocks, list) and len(model.blocks) == 2
    assert isinstance(model.by_name, dict) and isinstance(model.pair, tuple)


def test_list_appended_after_assignment_is_tracked():
    class Grow(keras.Model):
        def __init__(self):
            super().__init__()
            self.blocks = [layers.Dense(2)]
            self.blocks.append(layers.Dense(2))

        def call(self, x):
            for b in self.blocks:
                x = b(x)
            return x

    model = Grow()
    model(np.ones((1, 3), "float32"))
    assert len(model.weights) == 4


def test_list_attribute_lists_its_layers_as_tf_keras_2_list_wrapper():
    # d2l's ResNet/DenseNet blocks: `for layer in self.blocks.layers:`.
    class Blocks(layers.Layer):
        def __init__(self):
            super().__init__()
            self.blocks = []
            for _ in range(2):
                self.blocks.append(layers.Dense(4))
            self.nested = [layers.Dense(3), [layers.ReLU(), "not a layer"], {"out": layers.Dense(2)}]

        def call(self, x):
            for layer in self.blocks.layers:
                x = layer(x)
            return x

    block = Blocks()
    assert block(np.ones((2, 3), "float32")).shape == (2, 4)
    assert block.blocks.layers == list(block.blocks)
    assert [type(v).__name__ for v in block.nested.layers] == ["Dense", "ReLU", "Dense"]


def test_add_update_is_accepted_in_call_as_tf_keras_2_eager():
    class Tracker(layers.Layer):
        def build(self, shape):
            self.m = self.add_weight(name="m", shape=(shape[-1],), initializer="zeros", trainable=False)

        def call(self, x):
            self.add_update(self.m.assign(ops.mean(x, axis=0)), inputs=x)
            return x

    layer = Tracker()
    layer(np.arange(6, dtype="float32").reshape(2, 3))
    np.testing.assert_allclose(ops.convert_to_numpy(layer.m), [1.5, 2.5, 3.5])


def test_replacing_a_tracked_list_untracks_old_layers():
    model = Stack()
    model.blocks = []
    assert model.blocks == []
    assert len(model.layers) == 4


def test_subclassed_model_build_only_marks_built_as_keras3():
    model = Stack()
    with pytest.warns(UserWarning, match="first call on data"):
        model.build((None, 5))
    assert model.built and model.weights == []
    model(np.ones((2, 5), "float32"))  # the first call on data creates the weights
    assert len(model.weights) == 12


def test_subclassed_model_summary_after_build_shows_unbuilt_layers():
    model = Stack()
    with pytest.warns(UserWarning):
        model.build((None, 5))
    lines = []
    model.summary(print_fn=lines.append)
    text = lines[0]
    assert 'Model: "stack"' in text
    assert text.count("0 (unbuilt)") == 6 and "│ ?" in text
    assert " Total params: 0 (0.00 B)" in text


def test_subclassed_model_summary_after_call_lists_shapes_and_params():
    model = Stack()
    model(np.ones((2, 5), "float32"))
    lines = []
    model.summary(print_fn=lines.append)
    assert " Total params: 103 (412.00 B)" in lines[0]  # 24 + 20 + 20 + 20 + 15 + 4 float32 weights
    assert "(2, 4)" in lines[0]


def test_build_from_config_creates_weights_for_loading():
    model = Stack()
    model.build_from_config({"input_shape": [None, 5]})
    assert len(model.weights) == 12
    assert model.get_layer(index=0)._build_input_shape == (None, 5)


def test_subclassed_model_in_functional_graph():
    inner = Stack()
    inp = keras.Input((5,))
    model = keras.Model(inp, inner(inp))
    x = np.ones((2, 5), "float32")
    torch.testing.assert_close(model(x), inner(x))
    assert model.output_shape == (None, 1)


def test_weights_move_with_to():
    model = Stack()
    model(np.ones((1, 5), "float32"))
    model.to(torch.float64)
    assert all(p.dtype == torch.float64 for p in model.parameters())
    assert all(w.dtype == torch.float64 for w in model.weights)


def test_fit_lowers_loss_and_uses_custom_train_step():
    torch.manual_seed(0)
    calls = []

    class Regressor(keras.Model):
        def __init__(self):
            super().__init__()
            self.hidden = [layers.Dense(8, activation="relu")]
            self.out = layers.Dense(1)

        def call(self, x, training=None):
            return self.out(self.hidden[0](x))

        def train_step(self, data):
            calls.append(1)
            return super().train_step(data)

    rng = np.random.default_rng(0)
    x = rng.random((64, 3)).astype("float32")
    y = x.sum(axis=1, keepdims=True)
    model = Regressor()
    model.compile(optimizer="adam", loss="mse")
    history = model.fit(x, y, epochs=8, batch_size=16, verbose=0)
    losses = history.history["loss"]
    assert losses[-1] < losses[0]
    assert len(calls) == 8 * 4


# ----------------------------------------------------------------------------- errors

def test_model_without_call_says_what_to_write():
    class Empty(keras.Model):
        pass

    with pytest.raises(NotImplementedError, match="call"):
        Empty()(np.ones((1, 2), "float32"))


def test_build_from_config_with_incompatible_shape_names_the_model():
    class Fixed(keras.Model):
        def __init__(self):
            super().__init__(name="fixed")
            self.d = Linear(2, 3)

        def call(self, x):
            return self.d(x)

    with pytest.raises(ValueError, match="fixed"):
        Fixed().build_from_config({"input_shape": [None, 7]})


def test_wrong_input_width_after_build_is_reported():
    model = Stack()
    model(np.ones((1, 5), "float32"))
    with pytest.raises(ValueError, match=r"expected axis -1 .* 5"):
        model(np.ones((1, 6), "float32"))


def test_add_loss_in_functional_graph_counts_real_calls_only():
    inp = keras.Input((2,))
    model = keras.Model(inp, ActivityRegularizationLayer(0.5)(inp))
    assert model.losses == []  # building the graph adds no loss
    model(np.full((3, 2), 2.0, "float32"))
    assert len(model.losses) == 1 and float(model.losses[0]) == pytest.approx(1.0)


def test_subclassed_model_takes_a_list_of_arrays():
    class TwoInputs(keras.Model):
        def __init__(self):
            super().__init__()
            self.a = layers.Dense(2)
            self.b = layers.Dense(2)

        def call(self, inputs):
            x, y = inputs
            return self.a(x) + self.b(y)

    model = TwoInputs()
    out = model([np.ones((3, 4), "float32"), np.ones((3, 5))])
    assert out.shape == (3, 2) and out.dtype == torch.float32


class _Keras10Dense(layers.Layer):
    """The custom layer of the Keras 1.0 docs: K.variable weights listed in trainable_weights."""

    def __init__(self, output_dim, **kwargs):
        self.output_dim = output_dim
        super().__init__(**kwargs)

    def build(self, input_shape):
        from keraslite import backend as K  # noqa: N812

        self.W = K.variable(np.random.RandomState(0).random_sample((input_shape[1], self.output_dim)))
        self.scale = K.variable(np.ones(()))
        self.trainable_weights = [self.W]

    def call(self, x, mask=None):
        return torch.matmul(x, self.W) * self.scale

    def get_output_shape_for(self, input_shape):
        return (input_shape[0], self.output_dim)


def test_keras10_custom_layer_with_listed_variables(tmp_path):
    layer = _Keras10Dense(5, name="mine")
    model = keras.Sequential([keras.Input((3,)), layer, layers.Dense(1)])
    assert model.output_shape == (None, 1)
    assert layer.compute_output_shape((None, 3)) == (None, 5)  # from get_output_shape_for
    assert [w.path for w in layer.trainable_weights] == ["mine/W"]
    assert [w.path for w in layer.non_trainable_weights] == ["mine/scale"]  # not listed: not trained
    assert len(model.trainable_weights) == 3
    w0, scale0 = layer.W.detach().clone(), float(layer.scale)
    model.compile(optimizer="sgd", loss="mse")
    model.fit(np.random.rand(16, 3).astype("float32"), np.random.rand(16, 1).astype("float32"), epochs=2, verbose=0)
    assert not torch.allclose(layer.W.detach(), w0) and float(layer.scale) == scale0
    path = str(tmp_path / "w.weights.h5")
    model.save_weights(path)
    clone = keras.Sequential([keras.Input((3,)), _Keras10Dense(5, name="mine"), layers.Dense(1)])
    clone.load_weights(path)
    torch.testing.assert_close(clone.layers[0].W.detach(), layer.W.detach())


def test_listed_weights_must_be_variables():
    layer = layers.Dense(2)
    with pytest.raises(TypeError, match="item 0 is a ndarray"):
        layer.trainable_weights = [np.zeros(2)]


class CenterInPlace(layers.Layer):
    """tf.keras style: augmented assignment on the input, which TensorFlow never does in place."""

    def call(self, inputs):
        inputs -= ops.mean(inputs, axis=1, keepdims=True)
        inputs *= 2.0
        return inputs


class Identity(layers.Layer):
    def call(self, inputs):
        return inputs


def test_augmented_assignment_in_user_call_leaves_its_input_alone():
    x = torch.tensor([[1.0, 2.0, 3.0], [0.0, 0.0, 6.0]])
    original = x.clone()
    y = CenterInPlace()(x)
    torch.testing.assert_close(x, original)
    torch.testing.assert_close(y, 2.0 * (original - original.mean(1, keepdim=True)))
    assert type(y) is torch.Tensor and type(Identity()(x)) is torch.Tensor
    pair = [x, x + 1]
    assert all(type(t) is torch.Tensor for t in Identity()(pair))


def test_augmented_assignment_after_relu_trains():
    # ReLU saves its output for the gradient: an in-place update of it breaks backward in torch.
    model = keras.Sequential([keras.Input((4,)), layers.Dense(8, activation="relu"), CenterInPlace(), layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    rng = np.random.default_rng(0)
    history = model.fit(rng.normal(size=(16, 4)), rng.normal(size=(16, 1)), epochs=2, verbose=0)
    assert len(history.history["loss"]) == 2

    class Sub(keras.Model):
        def __init__(self):
            super().__init__()
            self.hidden = layers.Dense(8, activation="relu")
            self.center = CenterInPlace()
            self.out = layers.Dense(1)

        def call(self, inputs):
            inputs /= 2.0  # a fit batch: must not be divided in the training data itself
            return self.out(self.center(self.hidden(inputs)))

    data = torch.ones(8, 4)
    sub = Sub()
    sub.compile(optimizer="sgd", loss="mse")
    sub.fit(data, torch.zeros(8, 1), epochs=2, batch_size=8, verbose=0)
    torch.testing.assert_close(data, torch.ones(8, 4))


class _TrackerModel(keras.Model):
    """A custom train_step whose Mean tracker is listed by its own `metrics` property."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.dense = layers.Dense(1)
        self.step_tracker = keras.metrics.Mean(name="step")
        self.steps = 0

    @property
    def metrics(self):
        return [self.step_tracker]

    def call(self, x):
        return self.dense(x)

    def train_step(self, data):
        self.steps += 1
        self.step_tracker.update_state(float(self.steps))
        return {"step": self.step_tracker.result()}


def test_metrics_property_of_a_custom_train_step_is_reset_each_epoch():
    model = _TrackerModel()
    model.compile(optimizer="sgd")
    x = np.zeros((8, 2), "float32")
    history = model.fit(x, epochs=2, batch_size=4, verbose=0)
    # two steps per epoch: epoch 1 averages steps 1, 2 and epoch 2 (after a reset) steps 3, 4
    assert history.history["step"] == pytest.approx([1.5, 3.5])


def test_metric_attributes_are_listed_and_reset_like_keras():
    class Plain(keras.Model):
        def __init__(self):
            super().__init__()
            self.dense = layers.Dense(1)
            self.seen = keras.metrics.Mean(name="seen")

        def call(self, x):
            return self.dense(x)

    model = Plain()
    assert [m.name for m in model.metrics] == ["seen"]
    model.seen.update_state(3.0)
    model.reset_metrics()
    assert float(model.seen.result()) == 0.0
    model.compile(optimizer="sgd", loss="mse")
    assert [m.name for m in model.metrics][-1] == "seen" and model.metrics[0].name == "loss"


def test_tf_keras2_add_metric_in_call_is_reported_by_fit_and_evaluate():
    # tf.keras 2's endpoint-layer idiom: add_metric(metric_obj(...)) reports that metric;
    # add_metric(tensor, name=...) reports the mean of the tensor over the epoch.
    class Endpoint(keras.layers.Layer):
        def __init__(self, name=None):
            super().__init__(name=name)
            self.accuracy_fn = keras.metrics.BinaryAccuracy(name="accuracy", threshold=0.0)

        def call(self, logits, targets=None):
            if targets is not None:
                self.add_loss(keras.ops.mean((logits - targets) ** 2))
                self.add_metric(self.accuracy_fn(targets, logits))
                self.add_metric(keras.ops.mean(logits), name="mean_logit")
            return logits

    inputs, targets = keras.Input((3,), name="inputs"), keras.Input((1,), name="targets")
    logits = keras.layers.Dense(1)(inputs)
    model = keras.Model([inputs, targets], Endpoint()(logits, targets))
    model.compile(keras.optimizers.SGD(0.0))
    rng = np.random.default_rng(0)
    x = rng.normal(size=(12, 3)).astype("float32")
    y = (rng.random((12, 1)) > 0.5).astype("float32")
    kernel, bias = model.get_weights()
    z = x @ kernel + bias
    history = model.fit({"inputs": x, "targets": y}, batch_size=4, epochs=2, shuffle=False, verbose=0)
    assert sorted(history.history) == ["accuracy", "loss", "mean_logit"]
    np.testing.assert_allclose(history.history["accuracy"], [np.mean((z > 0) == y)] * 2, rtol=1e-6)
    np.testing.assert_allclose(history.history["mean_logit"], [z.mean()] * 2, rtol=1e-5, atol=1e-6)
    logs = model.evaluate({"inputs": x, "targets": y}, batch_size=4, verbose=0, return_dict=True)
    np.testing.assert_allclose(logs["mean_logit"], z.mean(), rtol=1e-5, atol=1e-6)
    assert [m.name for m in model.metrics] == ["loss", "accuracy", "mean_logit"]

    class Unnamed(keras.layers.Layer):
        def call(self, x):
            self.add_metric(keras.ops.sum(x))
            return x

    with pytest.raises(ValueError, match="provide a name for your metric"):
        Unnamed(name="unnamed")(np.ones((2, 2), "float32"))


def test_layer_assigning_weights_without_calling_super_init():
    # tf.keras and Keras 3 accept a layer whose __init__ never calls super().__init__():
    # its weights are still tracked, and the layer gets Layer's default name.
    class NoSuperInit(layers.Layer):
        def __init__(self, a):
            self.var = keras.Variable(float(a), name="var_a")
            self.dense = layers.Dense(2)

        def call(self, inputs):
            return self.dense(inputs) * self.var

    layer = NoSuperInit(3)
    out = layer(np.ones((1, 4), "float32"))
    assert layer.name.startswith("no_super_init")
    assert len(layer.weights) == 3 and layer.weights[0] is layer.var
    expected = (np.ones((1, 4)) @ layer.dense.get_weights()[0] + layer.dense.get_weights()[1]) * 3.0
    np.testing.assert_allclose(out.detach().numpy(), expected, rtol=1e-6)


def test_layer_calling_super_init_after_assigning_a_weight_keeps_it():
    class LateSuperInit(layers.Layer):
        def __init__(self, **kwargs):
            self.var = keras.Variable(2.0, name="scale")
            super().__init__(**kwargs)

        def call(self, inputs):
            return inputs * self.var

    layer = LateSuperInit(name="late")
    assert layer.name == "late" and [v.name for v in layer.weights] == ["scale"]


def test_custom_layers_see_tensor_shapes_like_tf_keras_2(tmp_path):
    # Hands-On ML's MyDense: build() and compute_output_shape() use `shape.as_list()` and
    # return tf.TensorShape(...); the model still builds, trains, saves and reloads.
    from keraslite.compat import tensorflow_shim as tf

    class MyDense(keras.layers.Layer):
        def __init__(self, units, **kwargs):
            super().__init__(**kwargs)
            self.units = units

        def build(self, batch_input_shape):
            assert batch_input_shape.as_list()[-1] == 8 and batch_input_shape.rank == 2
            self.kernel = self.add_weight(name="kernel", shape=[batch_input_shape[-1], self.units])
            super().build(batch_input_shape)

        def call(self, x):
            return x @ self.kernel

        def compute_output_shape(self, batch_input_shape):
            return tf.TensorShape(batch_input_shape.as_list()[:-1] + [self.units])

        def get_config(self):
            return {**super().get_config(), "units": self.units}

    model = keras.Sequential([MyDense(3, input_shape=[8]), keras.layers.Dense(1)])
    assert model.layers[0].compute_output_shape((None, 8)) == (None, 3) and model.output_shape == (None, 1)
    model.compile(loss="mse", optimizer="sgd")
    model.fit(np.ones((4, 8)), np.ones((4, 1)), verbose=0)
    model.save(tmp_path / "m.h5")
    loaded = keras.saving.load_model(tmp_path / "m.h5", custom_objects={"MyDense": MyDense})
    np.testing.assert_allclose(loaded.predict(np.ones((2, 8)), verbose=0), model.predict(np.ones((2, 8)), verbose=0))


def test_a_models_own_build_calling_super_build_does_not_warn(recwarn):
    # Hands-On ML's ReconstructingRegressor creates a layer in build() and calls super().build().
    import numpy as np

    class Reconstructing(keras.Model):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.hidden, self.out = layers.Dense(8), layers.Dense(1)

        def build(self, batch_input_shape):
            self.reconstruct = layers.Dense(batch_input_shape[-1])
            super().build(batch_input_shape)

        def call(self, inputs):
            z = self.hidden(inputs)
            self.add_loss(0.05 * ops.mean(ops.square(self.reconstruct(z) - inputs)))
            return self.out(z)

    model = Reconstructing()
    model.compile(loss="mse", optimizer="sgd")
    model.fit(np.random.rand(16, 5).astype("float32"), np.random.rand(16).astype("float32"), verbose=0)
    assert len(model.trainable_weights) == 6
    assert not [w for w in recwarn.list if "method of its own" in str(w.message)]


class _TextModel(keras.Model):
    def __init__(self):
        super().__init__()
        self.embed = keras.layers.Embedding(50, 8)
        self.rnn = keras.layers.GRU(4, return_sequences=True)
        self.out = keras.layers.Dense(5)

    def call(self, x):
        return self.out(self.rnn(self.embed(x)))


def test_build_with_a_shape_creates_a_subclassed_models_weights_in_a_tf_keras_program():
    # tf.keras 2 ran the call on the shape (`model.build((None, 10)); model.load_weights(...)`);
    # Keras 3 only marks the model built (test above), which keraslite keeps outside tf.keras
    # programs (those that import tensorflow).
    keras.install_aliases()
    try:
        import tensorflow  # noqa: F401

        model = _TextModel()
        model.build(input_shape=(16, 10))
    finally:
        keras.uninstall_aliases()
    assert len(model.weights) == 6 and all(layer.built for layer in model.layers)
    assert model(np.zeros((2, 10), "int64")).shape == (2, 10, 5)


def test_checkpoint_weights_load_into_a_model_that_creates_them_later(tmp_path):
    # tf.keras 2 deferred a checkpoint restore until the variables existed; loading nothing
    # silently (the book's text generator then sampled from random weights) is not an option.
    x = np.random.default_rng(0).integers(0, 50, (2, 7))
    model = _TextModel()
    expected = model(x).detach().numpy()
    path = str(tmp_path / "ckpt")
    model.save_weights(path)
    built_later = _TextModel()
    built_later.load_weights(path)
    built_later.build(input_shape=(1, 7))
    for a, b in zip(model.get_weights(), built_later.get_weights()):
        np.testing.assert_array_equal(a, b)
    called_first = _TextModel()
    called_first.load_weights(path).expect_partial()
    np.testing.assert_allclose(called_first(x).detach().numpy(), expected, rtol=1e-6)


def test_add_weight_takes_the_shape_or_the_name_first():
    """Keras 3 (and Keras 1 / 2.0) put the shape first, tf.keras 2 the name."""
    layer = layers.Layer()
    w = layer.add_weight((3,), initializer="ones", name="W")  # Keras 2.0 programs: name by keyword
    assert w.name == "W" and tuple(w.shape) == (3,) and np.all(w.numpy() == 1)
    v = layer.add_weight((2, 4), "zeros", "float64", name="V")
    assert tuple(v.shape) == (2, 4) and v.numpy().dtype == np.float64
    assert tuple(layer.add_weight(5, name="n").shape) == (5,)
    assert tuple(layer.add_weight(torch.Size([2, 2]), name="s").shape) == (2, 2)
    k = layer.add_weight("kernel", (4, 2), "ones", trainable=False)  # tf.keras 2
    assert k.name == "kernel" and tuple(k.shape) == (4, 2) and not k.trainable
    with pytest.raises(TypeError, match="multiple values for argument 'name'"):
        layer.add_weight("kernel", (4, 2), name="other")
    with pytest.raises(TypeError, match="at most 3 positional arguments \\(shape, initializer, dtype\\)"):
        layer.add_weight((4, 2), "zeros", "float32", True)


def test_build_called_with_a_keyword_shape_and_extra_arguments_keeps_its_build_config():
    """The saving guide's LayerWithCustomBuild: build(input_shape=..., layer_init=...)."""
    import keraslite as kl

    class WithCustomBuild(kl.layers.Layer):
        def build(self, input_shape, layer_init):
            self.w = self.add_weight(shape=(input_shape[-1], 2), initializer=layer_init)

    layer = WithCustomBuild()
    layer.build(input_shape=(8,), layer_init="random_normal")
    assert layer.built and tuple(layer.w.shape) == (8, 2)
    assert layer.get_build_config() == {"input_shape": [8]}


def test_tf_keras2_add_variable_is_add_weight():
    """tf.keras 2's deprecated Layer.add_variable (the saving guide's ContrivedModel uses it)."""
    import keraslite as kl

    class Contrived(kl.Model):
        def __init__(self):
            super().__init__()
            self.v = self.add_variable("v", shape=(2, 3), initializer="ones")

        def call(self, x):
            return x @ self.v

    model = Contrived()
    assert tuple(model.v.shape) == (2, 3) and model.v.name == "v"
    np.testing.assert_allclose(model(np.ones((1, 2), "float32")).detach().numpy(), [[2.0, 2.0, 2.0]])


# ------------------------------------------------------------------ automatic configs (no get_config)

class _Residual(keraslite.Model):
    """A subclassed model that defines no get_config (Hands-On ML's ResidualRegressor style)."""

    def __init__(self, output_dim, hidden=8, **kwargs):
        super().__init__(**kwargs)
        self.hidden = keraslite.layers.Dense(hidden, activation="relu")
        self.out = keraslite.layers.Dense(output_dim)

    def call(self, x):
        return self.out(self.hidden(x))


@pytest.mark.parametrize("name", ["m.keras", "m.h5", "m_savedmodel"])
def test_subclassed_model_without_get_config_saves_and_loads(name, tmp_path):
    x = np.random.default_rng(1).standard_normal((6, 3)).astype("float32")
    model = _Residual(2, hidden=5)
    model.compile("adam", "mse")
    model.fit(x, np.zeros((6, 2), "float32"), epochs=1, verbose=0)
    assert {k: model.get_config()[k] for k in ("output_dim", "hidden")} == {"output_dim": 2, "hidden": 5}
    path = str(tmp_path / name)
    model.save(path)
    loaded = keraslite.models.load_model(path, custom_objects={"_Residual": _Residual})
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6)


class _TakesALayer(keraslite.layers.Layer):
    def __init__(self, inner, **kwargs):
        super().__init__(**kwargs)
        self.inner = inner

    def call(self, x):
        return self.inner(x)


def test_layer_with_non_plain_arguments_and_no_get_config_refuses_to_save(tmp_path):
    """Its constructor needs a layer object, which no config can hold: saving says so before a
    file is written, as Keras does (NotImplementedError), instead of a file that cannot load."""
    inp = keraslite.Input((3,))
    model = keraslite.Model(inp, _TakesALayer(keraslite.layers.Dense(2))(inp))
    path = tmp_path / "m.keras"
    with pytest.raises(NotImplementedError, match=r"_TakesALayer .*needs \['inner'\].*get_config\(\)"):
        model.save(str(path))
    assert not path.exists()
    model.save_weights(str(tmp_path / "m.weights.h5"))  # weights alone still save
    assert model.layers[-1].__dict__["_init_arguments"] is None  # the layer object is not held for it


def test_constructor_without_kwargs_gets_only_its_own_arguments():
    class Plain(keraslite.layers.Layer):
        def __init__(self, size):
            super().__init__()
            self.size = size

    config = Plain(4).get_config()
    assert config == {"size": 4}
    assert Plain.from_config(config).size == 4
