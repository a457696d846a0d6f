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
    with pytest.raises(NotImplementedError, match="updates"):
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
