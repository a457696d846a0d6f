import numpy as np
import pytest
import torch

from keraslite import layers
from tests.contract import check_layer_contract

CASES = [
    ("dense", lambda: layers.Dense(3, activation="relu"), (4, 5)),
    ("dense_3d", lambda: layers.Dense(3, use_bias=False), (2, 4, 5)),
    ("activation", lambda: layers.Activation("tanh"), (4, 5)),
    ("dropout", lambda: layers.Dropout(0.5), (4, 5)),
]


@pytest.mark.parametrize("name,factory,shape", CASES, ids=[c[0] for c in CASES])
def test_contract(name, factory, shape):
    check_layer_contract(factory, shape)


def test_dense_rejects_wrong_input_size():
    layer = layers.Dense(2)
    layer(torch.zeros(1, 3))
    with pytest.raises(ValueError, match=r"dense.*expected axis -1 of input shape to have value 3.*\(1, 4\)"):
        layer(torch.zeros(1, 4))


def test_unknown_activation_lists_valid_names():
    with pytest.raises(ValueError, match="Unknown activation 'relux'.*relu"):
        layers.Dense(2, activation="relux")


def test_keras1_argument_names():
    layer = layers.Dense(output_dim=3, input_dim=4, init="uniform")
    assert layer.units == 3 and layer._batch_input_shape == (None, 4)
    assert type(layer.kernel_initializer).__name__ == "RandomUniform"


def test_torch_module_hooks_still_run():
    """Layers call `call` directly when nn.Module.__call__ has nothing else to do; torch
    forward hooks (per layer and global), pre-hooks and a subclass's own forward still work."""
    import torch
    from torch import nn

    from keraslite import layers

    dense = layers.Dense(3)
    seen = []
    handle = dense.register_forward_hook(lambda mod, args, out: seen.append(("hook", tuple(out.shape))) or out * 0)
    pre = dense.register_forward_pre_hook(lambda mod, args: seen.append(("pre", tuple(args[0].shape))))
    out = dense(torch.ones(2, 4))
    assert seen == [("pre", (2, 4)), ("hook", (2, 3))]
    assert torch.count_nonzero(out) == 0  # the hook's replacement output is what the caller gets
    handle.remove()
    pre.remove()
    assert torch.count_nonzero(dense(torch.ones(2, 4))) > 0

    calls = []
    global_handle = nn.modules.module.register_module_forward_hook(lambda mod, args, out: calls.append(type(mod)))
    try:
        dense(torch.ones(1, 4))
    finally:
        global_handle.remove()
    assert calls == [layers.Dense]

    class Doubled(layers.Layer):
        def forward(self, x):
            return 2 * x

    assert torch.equal(Doubled()(torch.ones(2)), torch.full((2,), 2.0))


def test_input_spec_checked_before_build_with_clear_message():
    import keraslite

    class NeedsSequences(keraslite.layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.input_spec = [keraslite.layers.InputSpec(ndim=3), keraslite.layers.InputSpec(min_ndim=2)]

        def build(self, input_shape):
            raise AssertionError("build must not run for rejected inputs")

        def call(self, inputs):
            return inputs[0]

    layer = NeedsSequences(name="seq_pair")
    with pytest.raises(ValueError, match=r"Input 0 of layer 'seq_pair' is incompatible .* expected ndim=3, found "
                                         r"ndim=2\. Full shape received: \(2, 5\)"):
        layer([torch.zeros(2, 5), torch.zeros(2, 5)])
    with pytest.raises(ValueError, match=r"Layer 'seq_pair' expects 2 input\(s\), but it received 3"):
        layer([torch.zeros(2, 5, 1)] * 3)


@pytest.mark.parametrize("factory", [lambda: layers.MaxoutDense(3, nb_feature=2),
                                     lambda: layers.Highway(activation="relu")], ids=["maxout", "highway"])
def test_keras1_dense_variants_contract(factory):
    check_layer_contract(factory, (4, 5))


def test_keras1_maxout_dense_is_the_max_of_linear_pieces():
    layer = layers.MaxoutDense(output_dim=3, nb_feature=4, init="glorot_uniform", input_dim=5)
    x = np.random.default_rng(0).standard_normal((6, 5)).astype("float32")
    out = layer(torch.as_tensor(x)).detach().numpy()
    kernel, bias = layer.get_weights()
    assert kernel.shape == (4, 5, 3) and bias.shape == (4, 3)
    rng = np.random.default_rng(1)
    bias = rng.standard_normal((4, 3)).astype("float32")
    layer.set_weights([kernel, bias])
    out = layer(torch.as_tensor(x)).detach().numpy()
    expected = np.max(np.einsum("bi,kio->bko", x, kernel) + bias, axis=1)
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-6)


def test_keras1_highway_gates_between_transform_and_carry():
    layer = layers.Highway(activation="tanh", W_regularizer=None, input_dim=4)
    x = np.random.default_rng(0).standard_normal((3, 4)).astype("float32")
    layer(torch.as_tensor(x))
    names = [w.path.split("/")[-1] for w in layer.weights]
    assert names == ["kernel", "carry_kernel", "bias", "carry_bias"]
    np.testing.assert_allclose(layer.get_weights()[3], np.full(4, -2.0))  # transform_bias
    rng = np.random.default_rng(2)
    w, wc, b, bc = [rng.standard_normal(v.shape).astype("float32") for v in layer.get_weights()]
    layer.set_weights([w, wc, b, bc])
    gate = 1 / (1 + np.exp(-(x @ wc + bc)))
    expected = np.tanh(x @ w + b) * gate + (1 - gate) * x
    np.testing.assert_allclose(layer(torch.as_tensor(x)).detach().numpy(), expected, rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="expects 2-D inputs"):
        layers.Highway()(torch.zeros(2, 3, 4))


@pytest.mark.parametrize("kernel", ["gaussian", "laplacian"])
def test_random_fourier_features_contract(kernel):
    check_layer_contract(lambda: layers.RandomFourierFeatures(16, kernel_initializer=kernel, trainable=True), (4, 5))


def test_random_fourier_features_is_cos_of_a_scaled_random_projection():
    layer = layers.RandomFourierFeatures(output_dim=7, kernel_initializer="gaussian")
    x = np.random.default_rng(0).standard_normal((5, 8)).astype("float32")
    layer(torch.as_tensor(x))
    assert [w.path.split("/")[-1] for w in layer.weights] == ["unscaled_kernel", "bias", "kernel_scale"]
    assert not layer.trainable and layer.trainable_weights == []  # tf.keras 2 builds it frozen
    kernel, bias, scale = layer.get_weights()
    assert kernel.shape == (8, 7) and bias.shape == (7,) and scale.shape == (1,)
    np.testing.assert_allclose(scale, [np.sqrt(8 / 2.0)])  # the Gaussian kernel's default scale
    assert bias.min() >= 0 and bias.max() <= 2 * np.pi
    scale = np.array([3.0], "float32")
    layer.set_weights([kernel, bias, scale])
    expected = np.cos(x @ (kernel / scale) + bias)
    np.testing.assert_allclose(layer(torch.as_tensor(x)).detach().numpy(), expected, rtol=1e-5, atol=1e-5)
    assert layers.RandomFourierFeatures(3, kernel_initializer="laplacian", scale=None).get_config()["scale"] is None
    with pytest.raises(ValueError, match="Unsupported `kernel_initializer`"):
        layers.RandomFourierFeatures(4, kernel_initializer="polynomial")
    with pytest.raises(ValueError, match="`scale` should be a positive float"):
        layers.RandomFourierFeatures(4, scale=-1.0)
    with pytest.raises(ValueError, match="expects 2-D inputs"):
        layers.RandomFourierFeatures(4)(torch.zeros(2, 3, 4))


def test_keras1_weight_attribute_names():
    """Keras 1 named every layer's weights W, b (U: the recurrent kernel); programs read
    `K.get_value(layer.W)`. A layer's own attribute of that name still wins."""
    import keraslite as kl

    model = kl.Sequential([kl.Input((5,)), kl.layers.Embedding(100, 8), kl.layers.LSTM(4), kl.layers.Dense(2)])
    embedding, lstm, dense = model.layers
    assert dense.W is dense.kernel and dense.b is dense.bias
    assert embedding.W is embedding.embeddings
    assert lstm.W is lstm.cell.kernel and lstm.U is lstm.cell.recurrent_kernel and lstm.b is lstm.cell.bias
    with pytest.raises(AttributeError):
        kl.layers.Dense(2).W  # not built: no weights yet

    class OwnW(kl.layers.Layer):
        def build(self, input_shape):
            self.W = self.add_weight(shape=(input_shape[-1], 3), initializer="ones")

        def call(self, x):
            return x @ self.W

    layer = OwnW()
    layer.build((None, 2))
    assert tuple(layer.W.shape) == (2, 3)
