"""Parity for the ways keras.io examples build their own layers: sublayers added to a list or
dict after it was assigned (decision forests, gated residual networks), a `build(self)` that
takes no shape, and convolutions given their strides positionally (`Conv2D(f, k, s, padding=...)`)."""
import numpy as np
import pytest

import keraslite
from compat_tests.conftest import keras
from compat_tests.parity import assert_close, to_numpy


def _containers_layer(lib):
    layers = lib.layers

    class Block(layers.Layer):
        def __init__(self):
            super().__init__()
            self.blocks = []
            self.by_name = dict()
            for i in range(2):
                self.blocks.append(layers.Dense(4))
                self.by_name[f"f{i}"] = layers.Dense(4)
            self.more = {"a": layers.Dense(3)}
            self.more["b"] = layers.Dense(3)
            self.plain = []

        def call(self, x):
            for block in self.blocks:
                x = block(x)
            x = x + self.by_name["f0"](x) + self.by_name["f1"](x)
            self.plain.append(1)
            return self.more["a"](x) * self.more["b"](x)

    return Block()


def test_layers_added_to_empty_list_and_dict_are_weights():
    x = np.random.default_rng(0).normal(size=(3, 4)).astype("float32")
    k_layer, l_layer = _containers_layer(keras), _containers_layer(keraslite)
    k_out, l_out = k_layer(x), l_layer(x)
    assert len(l_layer.weights) == len(k_layer.weights) == 12
    assert len(l_layer.trainable_weights) == len(k_layer.trainable_weights)
    by_shape = sorted(tuple(w.shape) for w in k_layer.get_weights())
    assert sorted(tuple(w.shape) for w in l_layer.get_weights()) == by_shape
    # Weights copied sublayer by sublayer (the containers' order, which both share within one).
    for k_sub, l_sub in zip(k_layer.blocks + list(k_layer.by_name.values()) + list(k_layer.more.values()),
                            l_layer.blocks + list(l_layer.by_name.values()) + list(l_layer.more.values())):
        l_sub.set_weights(k_sub.get_weights())
    assert_close(keraslite.ops.convert_to_numpy(l_layer(x)), keras.ops.convert_to_numpy(k_layer(x)))
    assert l_layer.plain == [1, 1] and k_out.shape == l_out.shape


def test_layers_in_a_filled_list_train():
    def build(lib):
        inputs = lib.Input((4,))
        layer = _containers_layer(lib)
        model = lib.Model(inputs, layer(inputs))
        model.compile(optimizer="sgd", loss="mse")
        return model, layer

    model, layer = build(keraslite)
    before = [w.copy() for w in layer.blocks[0].get_weights()]
    rng = np.random.default_rng(1)
    model.fit(rng.normal(size=(16, 4)), rng.normal(size=(16, 3)), verbose=0)
    assert any(not np.array_equal(a, b) for a, b in zip(before, layer.blocks[0].get_weights()))
    assert model.count_params() == build(keras)[0].count_params()


def _no_shape_build(lib):
    layers = lib.layers

    class Pair(layers.Layer):
        def __init__(self):
            super().__init__()
            self.dense = layers.Dense(3)

        def build(self):
            self.built = True

        def call(self, inputs):
            return self.dense(inputs["a"]) + self.dense(inputs["b"])

    inputs = {"a": lib.Input((4,), name="a"), "b": lib.Input((4,), name="b")}
    return lib.Model(inputs, Pair()(inputs))


def test_build_without_a_shape_parameter():
    k_model, l_model = _no_shape_build(keras), _no_shape_build(keraslite)
    assert l_model.output_shape == k_model.output_shape
    assert l_model.count_params() == k_model.count_params()
    l_model.set_weights(k_model.get_weights())
    x = {"a": np.ones((2, 4), "float32"), "b": np.full((2, 4), 2.0, "float32")}
    assert_close(l_model.predict(x, verbose=0), k_model.predict(x, verbose=0))


@pytest.mark.parametrize("cls", ["Conv2D", "Conv2DTranspose", "SeparableConv2D"])
@pytest.mark.parametrize("args,kwargs", [((6, 3, 2), {"padding": "same"}), ((6, 3, 1), {"use_bias": False}),
                                         ((6, 3, 2), {}), ((6, 2, 2), {"padding": "valid"}),
                                         ((6, 5, 2), {"activation": "relu"})])
def test_positional_strides(cls, args, kwargs):
    x = np.random.default_rng(2).normal(size=(1, 9, 9, 4)).astype("float32")
    k_layer, l_layer = getattr(keras.layers, cls)(*args, **kwargs), getattr(keraslite.layers, cls)(*args, **kwargs)
    k_out = k_layer(x)
    l_layer.build(x.shape)
    l_layer.set_weights(k_layer.get_weights())
    assert tuple(l_layer.kernel_size) == tuple(k_layer.kernel_size)
    assert tuple(l_layer.strides) == tuple(k_layer.strides)
    assert_close(keraslite.ops.convert_to_numpy(l_layer(x)), keras.ops.convert_to_numpy(k_out))


def _masked_conv(lib):
    """keras.io PixelCNN's masked convolution: a mask of the kernel's Keras shape, applied
    with `kernel.assign(kernel * mask)` before each call."""
    layers, ops = lib.layers, lib.ops

    class PixelConvLayer(layers.Layer):
        def __init__(self, **kwargs):
            super().__init__()
            self.conv = layers.Conv2D(**kwargs)

        def build(self, input_shape):
            self.conv.build(input_shape)
            kernel_shape = ops.shape(self.conv.kernel)
            self.mask = np.zeros(shape=kernel_shape)
            self.mask[: kernel_shape[0] // 2, ...] = 1.0
            self.mask[kernel_shape[0] // 2, : kernel_shape[1] // 2, ...] = 1.0

        def call(self, inputs):
            self.conv.kernel.assign(self.conv.kernel * self.mask)
            return self.conv(inputs)

    return PixelConvLayer(filters=8, kernel_size=3, padding="same")


def test_kernel_shape_and_arithmetic_in_keras_layout():
    x = np.random.default_rng(3).normal(size=(2, 5, 5, 2)).astype("float32")
    k_layer, l_layer = _masked_conv(keras), _masked_conv(keraslite)
    k_layer.build(x.shape)
    l_layer.build(x.shape)
    assert keraslite.ops.shape(l_layer.conv.kernel) == tuple(keras.ops.shape(k_layer.conv.kernel)) == (3, 3, 2, 8)
    l_layer.conv.set_weights(k_layer.conv.get_weights())
    assert_close(keraslite.ops.convert_to_numpy(l_layer.conv.kernel), keras.ops.convert_to_numpy(k_layer.conv.kernel))
    assert_close(keraslite.ops.convert_to_numpy(l_layer(x)), keras.ops.convert_to_numpy(k_layer(x)))
    assert_close(keraslite.ops.convert_to_numpy(keraslite.ops.multiply(l_layer.conv.kernel, l_layer.mask)),
                 keras.ops.convert_to_numpy(keras.ops.multiply(k_layer.conv.kernel, k_layer.mask)))


def _standardized_conv(lib, cls="Conv2D"):
    """keras.io's subclassing_conv_layers recipe: weight standardization in convolution_op."""
    ops = lib.ops

    class StandardizedConv(getattr(lib.layers, cls)):
        def convolution_op(self, inputs, kernel):
            axes = list(range(len(kernel.shape) - 1))
            mean = ops.mean(kernel, axis=axes, keepdims=True)
            var = ops.var(kernel, axis=axes, keepdims=True)
            return super().convolution_op(inputs, (kernel - mean) / ops.sqrt(var + 1e-10))

    return StandardizedConv(4, 3, padding="same", activation="relu")


@pytest.mark.parametrize("cls,shape", [("Conv2D", (2, 6, 6, 3)), ("Conv3D", (2, 4, 4, 4, 3)),
                                       ("Conv1D", (2, 7, 3))])  # Keras's Conv1D.call skips the hook
def test_convolution_op_override(cls, shape):
    x = np.random.default_rng(4).random(shape).astype("float32")
    k_layer, l_layer = _standardized_conv(keras, cls), _standardized_conv(keraslite, cls)
    k_out = k_layer(x)
    l_layer.build(x.shape)
    l_layer.set_weights([w + 0.1 for w in k_layer.get_weights()])
    k_layer.set_weights([w + 0.1 for w in k_layer.get_weights()])
    assert_close(keraslite.ops.convert_to_numpy(l_layer(x)), keras.ops.convert_to_numpy(k_layer(x)), atol=1e-4)
    assert k_out.shape == tuple(l_layer(x).shape)


def test_default_names_of_functional_subclasses():
    def names(lib):
        lib.backend.clear_session()

        class MnistModel(lib.Model):
            def __init__(self, **kwargs):
                inputs = lib.Input(shape=(4,))
                super().__init__(inputs, lib.layers.Dense(2)(inputs), **kwargs)

        a, b = MnistModel(), MnistModel()
        inputs = lib.Input(shape=(3,))
        c = lib.Model(inputs, lib.layers.Dense(1)(inputs))
        return a.name, b.name, c.name

    assert names(keraslite) == names(keras) == ("mnist_model", "mnist_model_1", "functional")


def test_add_weight_with_the_shape_first_like_keras():
    # Keras 3's (and Keras 1 / 2.0's) positional order: shape, initializer, dtype; name by keyword.
    def make(lib):
        class Scale(lib.layers.Layer):
            def build(self, input_shape):
                self.W = self.add_weight((input_shape[-1],), "ones", "float32", name="W")
                self.b = self.add_weight((input_shape[-1],), initializer="zeros", name="b")

            def call(self, x):
                return x * self.W + self.b

        return Scale()

    k_layer, l_layer = make(keras), make(keraslite)
    x = np.random.default_rng(0).standard_normal((2, 3)).astype("float32")
    k_out, l_out = k_layer(x), l_layer(x)
    assert [w.name for w in l_layer.weights] == [w.name for w in k_layer.weights] == ["W", "b"]
    assert [tuple(w.shape) for w in l_layer.weights] == [tuple(w.shape) for w in k_layer.weights]
    assert [w.dtype for w in l_layer.get_weights()] == [w.dtype for w in k_layer.get_weights()]
    assert_close(to_numpy(l_out), to_numpy(k_out))


def test_training_flag_reaches_sublayers_through_a_call_without_training():
    # Writing a training loop from scratch: model(x, training=True) on a subclassed model whose
    # call() takes no `training` still runs its BatchNormalization / Dropout in training mode.
    def make(lib):
        class M(lib.Model):
            def __init__(self):
                super().__init__()
                self.bn = lib.layers.BatchNormalization()
                self.drop = lib.layers.Dropout(0.5)

            def call(self, x):
                return self.drop(self.bn(x))

        return M()

    x = np.random.default_rng(0).normal(3.0, 1.0, (64, 3)).astype("float32")
    results = []
    for lib in (keras, keraslite):
        m = make(lib)
        y = lib.ops.convert_to_numpy(m(x, training=True))
        z = lib.ops.convert_to_numpy(m(x))
        results.append((lib.ops.convert_to_numpy(m.bn.moving_mean), (y == 0).mean() > 0.2, (z == 0).any()))
    np.testing.assert_allclose(results[1][0], results[0][0], rtol=1e-5)
    assert results[1][1:] == results[0][1:] == (True, False)


def test_first_input_passed_by_its_parameter_name():
    # The MAE example's `patch_encoder(patches=patches)`: build sees that input's shape.
    def make(lib):
        class PatchEncoder(lib.layers.Layer):
            def build(self, input_shape):
                self.seen = tuple(input_shape)
                self.proj = lib.layers.Dense(2)

            def call(self, patches):
                return self.proj(patches)

        return PatchEncoder()

    x = np.ones((3, 5, 4), "float32")
    for lib in (keras, keraslite):
        eager, symbolic = make(lib), make(lib)
        assert tuple(eager(patches=x).shape) == (3, 5, 2) and eager.seen == (3, 5, 4), lib.__name__
        assert tuple(symbolic(patches=lib.Input((5, 4))).shape) == (None, 5, 2) and symbolic.seen == (None, 5, 4)
