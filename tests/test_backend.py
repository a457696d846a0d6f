import os

import pytest


def test_keras1_image_dim_ordering_switches_data_format():
    from keraslite import backend

    try:
        backend.set_image_dim_ordering("th")
        assert backend.image_data_format() == "channels_first" and backend.image_dim_ordering() == "th"
    finally:
        backend.set_image_dim_ordering("tf")
    assert backend.image_data_format() == "channels_last"


def _dropout_mlp():
    import keraslite
    from keraslite import layers

    model = keraslite.Sequential()
    model.add(layers.Dense(16, input_dim=5, activation="relu"))
    model.add(layers.Dropout(0.5))
    model.add(layers.Dense(8))
    return model


def test_keras1_function_with_learning_phase():
    """get_3rd_layer_output = K.function([model.layers[0].input, K.learning_phase()], [...])."""
    import numpy as np
    import torch

    from keraslite import backend as K

    model = _dropout_mlp()
    f = K.function([model.layers[0].input, K.learning_phase()], [model.layers[0].output, model.layers[2].output])
    x = np.random.RandomState(0).rand(6, 5).astype("float32")
    hidden, out = f([x, 0])
    assert isinstance(hidden, np.ndarray) and hidden.shape == (6, 16) and out.shape == (6, 8)
    with torch.no_grad():
        expected = model(torch.as_tensor(x)).numpy()
    np.testing.assert_allclose(out, expected, rtol=1e-6, atol=1e-6)  # test phase: no dropout
    train_hidden, train_out = f([x, 1])
    np.testing.assert_allclose(train_hidden, hidden, rtol=1e-6)  # before the dropout layer
    assert not np.allclose(train_out, out)  # dropout active in the train phase
    assert not model.layers[1].training  # the model itself is left in inference mode


def test_keras1_function_without_phase_and_errors():
    import numpy as np
    import pytest

    from keraslite import backend as K

    model = _dropout_mlp()
    f = K.function([model.input], [model.output])
    x = np.ones((2, 5))  # float64 is fed as floatx
    out = f([x])
    assert len(out) == 1 and out[0].shape == (2, 8) and out[0].dtype == np.float32
    np.testing.assert_allclose(f([x])[0], out[0])  # test phase by default: deterministic
    with pytest.raises(ValueError, match="expects 1 input value"):
        f([x, 0])
    with pytest.raises(TypeError, match="updates"):
        K.function([model.input], [model.output], updates=[object()])
    with pytest.raises(TypeError, match="symbolic tensors"):
        K.function([x], [model.output])


def test_set_learning_phase():
    import numpy as np
    import pytest

    from keraslite import backend as K
    from keraslite.compat import backend_function

    model = _dropout_mlp()
    f = K.function([model.input], [model.output])
    x = np.ones((4, 5), "float32")
    try:
        K.set_learning_phase(1)
        assert K.learning_phase() == 1
        assert not np.allclose(f([x])[0], f([x])[0])  # dropout on every call
    finally:
        backend_function._PHASE = None
    with pytest.raises(ValueError, match="0 or 1"):
        K.set_learning_phase(2)


def test_keras_function_leaves_default_model_names_alone():
    import keraslite
    from keraslite import backend as K
    from keraslite import layers

    K.clear_session()
    inp = keraslite.Input((3,))
    first = keraslite.Model(inp, layers.Dense(2)(inp))
    K.function([first.input], [first.output])
    second = keraslite.Model(inp, layers.Dense(2)(inp))
    assert (first.name, second.name) == ("functional", "functional_1")


def test_keras2_backend_functions_with_keras2_defaults():
    import numpy as np
    import torch

    from keraslite import backend as K

    a, b = torch.ones(2, 3), torch.zeros(2, 4)
    assert tuple(K.concatenate([a, b]).shape) == (2, 7)  # last axis, as Keras 2
    assert tuple(K.concatenate([a, a], axis=0).shape) == (4, 3)
    x = torch.tensor([[3.0, 4.0], [0.0, 0.0]])
    np.testing.assert_allclose(K.l2_normalize(x).numpy(), x.numpy() / 5.0, rtol=1e-6)  # over all elements
    np.testing.assert_allclose(K.l2_normalize(x, axis=1).numpy(), [[0.6, 0.8], [0.0, 0.0]], rtol=1e-6)
    v = torch.tensor([[1.0, 2.0], [3.0, 4.0]])
    np.testing.assert_array_equal(K.repeat(v, 3).numpy(), np.repeat(v.numpy()[:, None, :], 3, axis=1))
    np.testing.assert_array_equal(K.repeat_elements(v, 2, axis=1).numpy(), np.repeat(v.numpy(), 2, axis=1))


def test_keras2_backend_functions_on_symbolic_tensors():
    import keraslite
    from keraslite import backend as K

    inputs = keraslite.Input((3,))
    joined = K.concatenate([inputs, inputs])
    assert joined.shape == (None, 6)
    assert K.repeat(inputs, 4).shape == (None, 4, 3)


def test_keras2_function_reads_intermediate_outputs():
    import numpy as np

    import keraslite
    from keraslite import backend as K
    from keraslite import layers

    model = keraslite.Sequential([keraslite.Input((4,)), layers.Dense(3, activation="relu"), layers.Dropout(0.5),
                                  layers.Dense(2)])
    x = np.random.default_rng(0).normal(size=(5, 4)).astype("float32")
    get_hidden = K.function([model.input], [model.layers[0].output])
    (hidden,) = get_hidden([x])
    w, b = model.layers[0].get_weights()
    np.testing.assert_allclose(hidden, np.maximum(x @ w + b, 0), rtol=1e-5, atol=1e-6)
    # the Keras 2 form with the learning phase: 0 is inference (no dropout)
    get_out = K.function([model.input, K.learning_phase()], [model.output])
    np.testing.assert_allclose(get_out([x, 0])[0], model.predict(x, verbose=0), rtol=1e-5, atol=1e-6)
    assert not np.allclose(get_out([x, 1])[0], get_out([x, 0])[0])  # training: dropout is on


def test_output_of_every_sequential_layer_before_model_input():
    # the Keras 2 recipe: layer.output read first, then K.function on model.input
    import numpy as np

    import keraslite
    from keraslite import backend as K
    from keraslite import layers

    model = keraslite.Sequential([layers.Dense(3, activation="relu", input_shape=(4,)), layers.Dense(2)])
    outputs = [layer.output for layer in model.layers]
    assert [o.shape for o in outputs] == [(None, 3), (None, 2)]
    functor = K.function([model.input, K.learning_phase()], outputs)
    x = np.random.default_rng(1).normal(size=(3, 4)).astype("float32")
    hidden, out = functor([x, 0])
    np.testing.assert_allclose(out, model.predict(x, verbose=0), rtol=1e-5, atol=1e-6)
    assert hidden.shape == (3, 3)


def test_keras2_dtype_and_set_learning_phase():
    import numpy as np
    import torch

    import keraslite
    from keraslite import backend as K
    from keraslite import layers

    assert K.dtype(torch.zeros(2)) == "float32" and K.dtype(torch.zeros(2, dtype=torch.int64)) == "int64"
    assert K.dtype(keraslite.Input((3,))) == "float32"
    model = keraslite.Sequential([layers.Dropout(0.5, input_shape=(50,))])
    get_out = K.function([model.input], [model.output])
    x = np.ones((2, 50), "float32")
    try:
        K.set_learning_phase(1)
        assert (get_out([x])[0] == 0).any()  # training phase: dropout on
    finally:
        K.set_learning_phase(0)
    np.testing.assert_array_equal(get_out([x])[0], x)


def test_gradients_with_placeholder_and_a_second_input():
    """K.placeholder keeps the batch dimension it is given; a gradient node feeds the other
    inputs the loss needs; an input the loss does not use gets zeros."""
    import numpy as np
    import torch

    from keraslite import backend as K

    a = K.placeholder(shape=(2, 3))
    b = K.placeholder(shape=(2, 3))
    assert K.int_shape(a) == (2, 3) and K.int_shape(K.placeholder(shape=(None, 3))) == (None, 3)
    assert K.int_shape(K.placeholder(ndim=2)) == (None, None)
    loss = K.sum(K.square(a) * b)
    grad_a, grad_b = K.gradients(loss, [a, b])
    f = K.function([a, b], [loss, grad_a, grad_b])
    x = np.arange(6, dtype="float32").reshape(2, 3)
    y = np.full((2, 3), 0.5, "float32")
    value, ga, gb = f([x, y])
    np.testing.assert_allclose(value, np.sum(x ** 2 * y), rtol=1e-6)
    np.testing.assert_allclose(ga, 2 * x * y, rtol=1e-6)
    np.testing.assert_allclose(gb, x ** 2, rtol=1e-6)

    (zero,) = K.gradients(K.sum(a), [b])
    np.testing.assert_array_equal(K.function([a, b], [zero])([x, y])[0], np.zeros((2, 3), "float32"))
    assert torch.is_grad_enabled()


def test_gradients_errors():
    import numpy as np
    import pytest

    from keraslite import backend as K

    model = _dropout_mlp()
    with pytest.raises(TypeError, match="K.gradients differentiates with respect to symbolic tensors .* and weights"):
        K.gradients(K.mean(model.output), [np.ones(3)])
    with pytest.raises(TypeError, match="`loss` must be a symbolic tensor"):
        K.gradients(np.float32(1.0), [model.input])
    with pytest.raises(ValueError, match="K.placeholder needs `shape`"):
        K.placeholder()


def test_gradients_inside_a_lambda_layer_in_fit_and_predict():
    """Keras 2's switch-mask trick: Lambda(lambda x: K.gradients(K.sum(x[1]), x[0])) on a layer's
    input and its max-pooled output marks each pooling window's maximum. It must give the same
    mask in predict (no autograd) as in a training-mode call, and the model must train."""
    import numpy as np
    import torch

    import keraslite
    from keraslite import backend as K
    from keraslite import layers

    def getwhere(x):
        prepool, postpool = x
        return K.gradients(K.sum(postpool), prepool)

    inputs = layers.Input((6, 6, 2))
    prepool = layers.Conv2D(3, 3, padding="same")(inputs)
    pooled = layers.MaxPooling2D(2)(prepool)
    where = layers.Lambda(getwhere, output_shape=lambda s: s[0])([prepool, pooled])
    assert K.int_shape(where) == (None, 6, 6, 3)  # one tensor, not a list of one (Keras 2 unpacked it)
    outputs = layers.multiply([layers.UpSampling2D(2)(pooled), where])
    model = keraslite.Model(inputs, outputs)
    x = np.random.RandomState(0).normal(size=(4, 6, 6, 2)).astype("float32")

    mask_model = keraslite.Model(inputs, [prepool, where])
    pre, mask = mask_model.predict(x, verbose=0)
    windows = pre.reshape(4, 3, 2, 3, 2, 3)
    expected = (windows == windows.max(axis=(2, 4), keepdims=True)).astype("float32").reshape(pre.shape)
    np.testing.assert_array_equal(mask, expected)
    with torch.no_grad():
        np.testing.assert_array_equal(mask_model(torch.as_tensor(x))[1].numpy(), expected)
    _, trained_mask = mask_model(torch.as_tensor(x), training=True)
    np.testing.assert_array_equal(trained_mask.detach().numpy(), expected)

    model.compile("adam", "mse")
    history = model.fit(x, np.zeros((4, 6, 6, 3), "float32"), epochs=2, verbose=0)
    assert np.isfinite(history.history["loss"]).all()
    assert np.count_nonzero(model.predict(x, verbose=0)) == 4 * 3 * 3 * 3  # one value per window


def test_eager_gradients_need_autograd_outside_a_model():
    import pytest
    import torch

    from keraslite import backend as K
    from keraslite.compat.backend_function import GradientsNeedAutograd

    x = torch.ones(2, 3, requires_grad=True)
    (g,) = K.gradients(K.sum(x * x), [x])
    assert torch.equal(g, 2 * torch.ones(2, 3))
    with torch.no_grad():
        y = K.sum(x * x)
    with pytest.raises(GradientsNeedAutograd, match="computed without autograd"):
        K.gradients(y, [x])


def test_keras2_backend_functions_on_symbolic_tensors():
    """K.batch_flatten, K.batch_dot, K.cast and K.stop_gradient on a model's tensors become graph
    nodes (the style-transfer Gram matrix and losses are built this way), with their eager values."""
    import numpy as np

    import keraslite
    from keraslite import backend as K
    from keraslite import layers

    inputs = layers.Input((4, 3))
    flat = K.batch_flatten(inputs)
    assert K.int_shape(flat) == (None, 12)
    per_sample = K.batch_dot(inputs, inputs, axes=(2, 2))
    assert K.int_shape(per_sample) == (None, 4, 4)
    as_int = K.cast(inputs > 0, "int32")
    assert as_int.dtype == "int32"
    model = keraslite.Model(inputs, [flat, per_sample, as_int])
    x = np.random.RandomState(1).normal(size=(2, 4, 3)).astype("float32")
    f, d, i = model.predict(x, verbose=0)
    np.testing.assert_allclose(f, x.reshape(2, 12))
    np.testing.assert_allclose(d, np.einsum("bik,bjk->bij", x, x), rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(i, (x > 0).astype("int32"))

    frozen = K.sum(K.stop_gradient(K.square(inputs)) * inputs)
    (grad,) = K.gradients(frozen, [inputs])
    np.testing.assert_allclose(K.function([inputs], [grad])([x])[0], x ** 2, rtol=1e-6)


def test_batch_dot_axes_that_do_not_match_name_the_shapes():
    import pytest
    import torch

    from keraslite import backend as K

    with pytest.raises(ValueError, match=r"x.shape\[2\] != y.shape\[3\] \(10 != 16\)"):
        K.batch_dot(torch.ones(2, 10, 10, 16), torch.ones(2, 10, 32, 16), [2, 3])


def test_local_conv1d_is_a_convolution_with_one_kernel_per_step():
    import numpy as np
    import pytest
    import torch

    from keraslite import backend as K

    rng = np.random.RandomState(2)
    x = rng.normal(size=(3, 9, 4)).astype("float32")
    size, stride = 3, 2
    steps = (9 - size) // stride + 1
    kernel = rng.normal(size=(steps, size * 4, 5)).astype("float32")
    expected = np.stack([x[:, i * stride:i * stride + size, :].reshape(3, -1) @ kernel[i] for i in range(steps)], 1)
    out = K.local_conv1d(torch.as_tensor(x), torch.as_tensor(kernel), (size,), (stride,))
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-5, atol=1e-5)
    first = K.local_conv1d(torch.as_tensor(x).permute(0, 2, 1), torch.as_tensor(kernel), [size], [stride],
                           data_format="channels_first")
    np.testing.assert_allclose(first.numpy(), expected.transpose(0, 2, 1), rtol=1e-5, atol=1e-5)
    with pytest.raises(ValueError, match="K.local_conv1d: a kernel of shape"):
        K.local_conv1d(torch.as_tensor(x), torch.as_tensor(kernel), (2,), (stride,))


def _ctc_by_enumeration(probs, label, length, eps):
    """-log of the summed probability of every alignment of `label` (blank = last class),
    with Keras 2's log(p + eps) renormalised by a softmax, as TensorFlow's ctc_loss does."""
    import itertools

    import numpy as np

    logits = np.log(probs[:length] + eps)
    p = np.exp(logits - logits.max(-1, keepdims=True))
    p /= p.sum(-1, keepdims=True)
    blank, total = probs.shape[-1] - 1, 0.0
    for path in itertools.product(range(probs.shape[-1]), repeat=length):
        collapsed = [c for i, c in enumerate(path) if c != blank and (i == 0 or c != path[i - 1])]
        if collapsed == list(label):
            total += np.prod([p[t, c] for t, c in enumerate(path)])
    return -np.log(total)


def test_ctc_batch_cost_sums_every_alignment_with_the_last_class_as_blank():
    import numpy as np

    from keraslite import backend as K

    rng = np.random.RandomState(0)
    probs = rng.dirichlet(np.ones(4), size=(3, 5)).astype("float32")
    labels = np.array([[0, 1, 2], [2, 2, 0], [1, 0, 0]], "float32")  # padding past label_length
    input_length = np.array([[5], [4], [3]])
    label_length = np.array([[3], [2], [1]])
    loss = K.ctc_batch_cost(labels, probs, input_length, label_length)
    assert tuple(loss.shape) == (3, 1)
    expected = [_ctc_by_enumeration(probs[b], labels[b, :label_length[b, 0]].astype(int), input_length[b, 0],
                                    K.epsilon()) for b in range(3)]
    np.testing.assert_allclose(loss.numpy()[:, 0], expected, rtol=1e-4)


def test_ctc_decode_greedy_and_beam_search():
    import numpy as np

    from keraslite import backend as K

    blank = 3
    # argmax path per step: 1 1 blank 1 0 -> "1 1 0" (repeats merged, the blank splits them)
    path = [1, 1, blank, 1, 0]
    probs = np.full((2, 5, 4), 0.1, "float32")
    for t, c in enumerate(path):
        probs[:, t, c] = 0.7
    decoded, log_prob = K.ctc_decode(probs, np.array([5, 2]))
    assert len(decoded) == 1
    np.testing.assert_array_equal(decoded[0].numpy(), [[1, 1, 0], [1, -1, -1]])
    np.testing.assert_allclose(log_prob.numpy(), [[-5 * np.log(0.7 + K.epsilon())], [-2 * np.log(0.7 + K.epsilon())]],
                               rtol=1e-5)
    paths, scores = K.ctc_decode(probs, np.array([5, 2]), greedy=False, beam_width=10, top_paths=2,
                                 merge_repeated=True)
    assert len(paths) == 2 and tuple(scores.shape) == (2, 2)
    np.testing.assert_array_equal(paths[0].numpy()[0], [1, 1, 0])
    assert scores.numpy()[0, 0] >= scores.numpy()[0, 1]


def test_a_model_with_a_gradient_output_predicts():
    """A symbolic K.gradients tensor can be a model output: predict (inference mode) computes it."""
    import numpy as np

    import keraslite
    from keraslite import backend as K
    from keraslite import layers

    inputs = layers.Input((4,))
    (grad,) = K.gradients(K.sum(K.square(inputs)), [inputs])
    model = keraslite.Model(inputs, grad)
    x = np.random.RandomState(4).normal(size=(5, 4)).astype("float32")
    np.testing.assert_allclose(model.predict(x, verbose=0), 2 * x, rtol=1e-6)


def test_variable_arithmetic_with_lists_and_arrays_on_either_side():
    # the sample-size-estimate recipe fits `a * x ** b` with x a Python list and a, b variables
    import numpy as np
    import torch

    import keraslite

    v = keraslite.Variable(2.0)
    cases = {
        "list + v": ([1.0, 2.0] + v, [3.0, 4.0]), "list - v": ([1.0, 2.0] - v, [-1.0, 0.0]),
        "list * v": ([1.0, 2.0] * v, [2.0, 4.0]), "list / v": ([1.0, 2.0] / v, [0.5, 1.0]),
        "list ** v": ([1.0, 2.0] ** v, [1.0, 4.0]), "array + v": (np.array([1.0, 2.0]) + v, [3.0, 4.0]),
        "array ** v": (np.array([1.0, 2.0]) ** v, [1.0, 4.0]), "v ** list": (v ** [1.0, 3.0], [2.0, 8.0]),
        "v - array": (v - np.array([1.0, 5.0]), [1.0, -3.0]), "v @ list": (keraslite.Variable([[1.0, 2.0]]) @ [[3.0], [4.0]], [[11.0]]),
    }
    for what, (got, expected) in cases.items():
        assert isinstance(got, torch.Tensor), what
        assert got.dtype == torch.float32, what
        np.testing.assert_allclose(got.detach().numpy(), expected, err_msg=what)
    a = keraslite.Variable(1.5)
    (a * [1.0, 2.0] ** v).sum().backward()
    assert a.grad is not None and abs(float(a.grad) - 5.0) < 1e-6


def test_gradients_inside_a_lambda_with_respect_to_the_model_input():
    # Keras 2's `getwhere` idiom applied straight to a model Input: d/dx sum(x^2) = 2x in predict
    import numpy as np

    import keraslite
    from keraslite import backend as K

    inp = keraslite.Input(shape=(3,))
    model = keraslite.Model(inp, keraslite.layers.Lambda(lambda t: K.gradients(K.sum(K.square(t)), t))(inp))
    x = np.array([[1.0, 2.0, 3.0], [-1.0, 0.5, 0.0]], "float32")
    np.testing.assert_allclose(model.predict(x, verbose=0), 2 * x)


def test_keras1_random_argument_names():
    # Keras 1's VAE: K.random_normal(shape=..., mean=0., std=epsilon_std); K.random_uniform(low=, high=).
    from keraslite import backend as K
    from keraslite.utils import set_random_seed

    set_random_seed(0)
    a = K.random_normal(shape=(2000,), mean=1.0, std=0.01)
    assert abs(float(a.mean()) - 1.0) < 2e-3 and abs(float(a.std()) - 0.01) < 2e-3
    b = K.random_uniform((2000,), low=2.0, high=3.0)
    assert 2.0 <= float(b.min()) and float(b.max()) <= 3.0


def test_keras2_shape_is_a_dynamic_int32_tensor():
    # Keras 2's K.shape gave a tensor known once data flows (DeepDream divides a loss by
    # K.prod(K.cast(K.shape(activation), 'float32')) for an input of unknown size); K.int_shape
    # and keras.ops.shape (Keras 3) stay tuples.
    import numpy as np
    import torch

    import keraslite
    from keraslite import backend as K
    from keraslite import layers, ops

    x = torch.zeros(2, 5, 3)
    s = K.shape(x)
    assert isinstance(s, torch.Tensor) and s.dtype == torch.int32 and s.tolist() == [2, 5, 3]
    assert K.shape(np.zeros((4, 1))).tolist() == [4, 1]
    assert ops.shape(x) == (2, 5, 3) and K.int_shape(x) == (2, 5, 3)

    inputs = keraslite.Input((None, None, 3))
    act = layers.Conv2D(4, 3)(inputs)
    shape = K.shape(act)
    assert K.int_shape(shape) == (4,) and shape.dtype == "int32"
    assert ops.shape(act) == (None, None, None, 4)
    scaling = K.prod(K.cast(shape, "float32"))
    model = keraslite.Model(inputs, [shape, K.sum(K.square(act)) / scaling])
    got_shape, got_mean = model.predict(np.ones((2, 7, 6, 3), "float32"), verbose=0)
    assert got_shape.tolist() == [2, 5, 4, 4]
    features = model.layers[1](torch.ones(2, 7, 6, 3)).detach().numpy()
    np.testing.assert_allclose(got_mean, np.mean(features ** 2), rtol=1e-5)


def test_keras2_control_flow_ops_and_name_scope():
    # Keras 2's TensorFlow backend module exposed TensorFlow's control_flow_ops (yolo3's loss runs
    # K.control_flow_ops.while_loop over the batch) and tf.keras.backend has name_scope (keras-tcn).
    import pytest
    import torch

    from keraslite import backend as K

    mask = torch.zeros(3)

    def body(b, mask):
        return b + 1, mask + torch.eye(3)[b]

    b, mask = K.control_flow_ops.while_loop(lambda b, *args: b < 3, body, [0, mask])
    assert b == 3 and mask.tolist() == [1.0, 1.0, 1.0]
    assert int(K.control_flow_ops.cond(torch.tensor(True), lambda: torch.tensor(1), lambda: torch.tensor(2))) == 1
    with K.name_scope("residual_block_0") as scope:
        assert scope == "residual_block_0"
    with pytest.raises(AttributeError, match="control_flow_ops"):
        K.control_flow_ops.no_such_function


def test_python_and_numpy_types_are_dtypes():
    # Keras maps Python types (bool, int, float) and numpy scalar types (np.float32) to dtypes:
    # `Input(shape=(3,), dtype=bool)`, `Dense(2, dtype=np.float32)`, `ops.cast(x, np.int32)`.
    import numpy as np

    import keraslite
    from keraslite import backend as K
    from keraslite import ops

    expected = {bool: "bool", int: "int32", float: "float32", np.float32: "float32", np.int32: "int32",
                np.bool_: "bool", np.float64: "float64", np.dtype("float16"): "float16"}
    for dtype, name in expected.items():
        assert K.standardize_dtype(dtype) == name
        assert K.dtype_name(K.torch_dtype(dtype)) == name
        assert K.standardize_dtype(keraslite.layers.Input(shape=(3,), dtype=dtype).dtype) == name
        assert K.dtype_name(ops.cast(np.ones(2, "float32"), dtype).dtype) == name
        assert K.dtype_name(ops.zeros((2,), dtype=dtype).dtype) == name
    dense = keraslite.layers.Dense(2, dtype=np.float64)
    dense.build((None, 3))
    assert dense.dtype == "float64" and K.dtype_name(dense.kernel.dtype) == "float64"


def test_gradients_with_respect_to_weights_match_autograd():
    # Keras 2's `K.function([model.input], K.gradients(loss, model.trainable_weights))`: one
    # gradient per weight, in the weight's Keras layout (a Conv1D kernel as (k, in, out)).
    import numpy as np
    import torch

    import keraslite
    from keraslite import backend as K
    from keraslite import layers

    model = keraslite.Sequential([keraslite.Input((5, 4)), layers.Conv1D(2, 3, activation="tanh"), layers.Flatten(),
                                  layers.Dense(1)])
    loss = K.mean(K.square(model.output))
    grads = K.function([model.input], K.gradients(loss, model.trainable_weights))
    x = np.random.default_rng(0).random((2, 5, 4)).astype("float32")
    got = grads([x])
    assert [g.shape for g in got] == [w.shape for w in model.get_weights()]
    expected = torch.autograd.grad(model(torch.as_tensor(x)).square().mean(), list(model.trainable_weights))
    for g, e, w in zip(got, expected, model.trainable_weights):
        np.testing.assert_allclose(g, w.keras_layout.to_keras(e).numpy(), rtol=1e-5, atol=1e-7)
    # The optimizer's spelling of the same (Keras 2's Optimizer.get_gradients).
    again = K.function([model.input], keraslite.optimizers.SGD().get_gradients(loss, model.trainable_weights))
    for a, b in zip(again([x]), got):
        np.testing.assert_allclose(a, b, rtol=1e-6)


def test_keras3_top_level_name_scope():
    # Keras 3 exports `keras.name_scope`; layers built inside the block work as outside it.
    import numpy as np

    import keraslite

    with keraslite.name_scope("encoder"):
        layer = keraslite.layers.Dense(2)
        out = layer(np.ones((1, 3), "float32"))
    assert tuple(out.shape) == (1, 2)


@pytest.mark.parametrize("content, expected", [
    ('{"image_dim_ordering": "th", "floatx": "float64", "epsilon": 1e-05}', "channels_first float64 1e-05"),
    ('{"image_data_format": "channels_first", "backend": "tensorflow"}', "channels_first float32 1e-07"),
    ('not json', "channels_last float32 1e-07"),
])
def test_keras_json_is_read_at_import(tmp_path, content, expected):
    """Keras reads $KERAS_HOME/keras.json (~/.keras/keras.json) at import; Keras 1's file
    spelled the format image_dim_ordering 'th' / 'tf'."""
    import subprocess
    import sys

    (tmp_path / "keras.json").write_text(content)
    program = "import keraslite.backend as K; print(K.image_data_format(), K.floatx(), K.epsilon())"
    env = dict(os.environ, KERAS_HOME=str(tmp_path))
    result = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == expected.split()


def test_a_bad_keras_json_value_is_a_warning(tmp_path):
    import subprocess
    import sys

    (tmp_path / "keras.json").write_text('{"image_data_format": "sideways"}')
    program = "import keraslite.backend as K; print(K.image_data_format())"
    env = dict(os.environ, KERAS_HOME=str(tmp_path))
    result = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, env=env, timeout=120)
    assert result.stdout.strip() == "channels_last"
    assert "keras.json" in result.stderr and "sideways" in result.stderr
