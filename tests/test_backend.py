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
