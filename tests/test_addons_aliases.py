"""keras_contrib's and tensorflow_addons' InstanceNormalization under the aliases (CycleGAN
tutorials import them): each package's own arithmetic, and files that load back."""
import importlib

import numpy as np
import pytest

import keraslite


@pytest.fixture
def aliased():
    from keraslite.compat import aliases

    aliases.install_aliases()
    yield
    aliases.uninstall_aliases()


def _images():
    return np.random.default_rng(0).standard_normal((2, 5, 6, 3)).astype("float32") * 3 + 1


def test_keras_contrib_instance_normalization_divides_by_std_plus_epsilon(aliased):
    module = importlib.import_module("keras_contrib.layers.normalization.instancenormalization")
    from keras_contrib.layers import InstanceNormalization

    assert module.InstanceNormalization is InstanceNormalization
    x = _images()
    per_channel = InstanceNormalization(axis=-1, epsilon=1e-3)
    mean, std = x.mean((1, 2), keepdims=True), x.std((1, 2), keepdims=True)
    np.testing.assert_allclose(per_channel(x).detach().numpy(), (x - mean) / (std + 1e-3), rtol=1e-5, atol=1e-5)
    assert [w.shape for w in per_channel.get_weights()] == [(3,), (3,)]
    whole = InstanceNormalization()  # axis=None: each sample over all its axes, one gamma and beta
    mean, std = x.mean((1, 2, 3), keepdims=True), x.std((1, 2, 3), keepdims=True)
    np.testing.assert_allclose(whole(x).detach().numpy(), (x - mean) / (std + 1e-3), rtol=1e-5, atol=1e-5)
    assert [w.shape for w in whole.get_weights()] == [(1,), (1,)]


def test_keras_contrib_layer_saves_under_its_own_name_and_loads_back(aliased, tmp_path):
    from keras_contrib.layers import InstanceNormalization

    inputs = keraslite.Input((5, 6, 3))
    model = keraslite.Model(inputs, InstanceNormalization(axis=-1, name="inorm")(keraslite.layers.Conv2D(4, 3)(inputs)))
    assert model.get_config()["layers"][-1]["class_name"] == "InstanceNormalization"
    model.save(tmp_path / "m.h5")
    loaded = keraslite.saving.load_model(tmp_path / "m.h5", custom_objects={"InstanceNormalization": InstanceNormalization})
    np.testing.assert_array_equal(loaded.predict(_images(), verbose=0), model.predict(_images(), verbose=0))


def test_tensorflow_addons_instance_normalization_is_group_normalization_per_channel(aliased):
    import tensorflow_addons as tfa

    layer = tfa.layers.InstanceNormalization(groups=4)  # tfa overrides `groups`
    reference = keraslite.layers.GroupNormalization(groups=-1)
    x = _images()
    np.testing.assert_allclose(layer(x).detach().numpy(), reference(x).detach().numpy(), rtol=1e-6)
    assert layer.get_config()["groups"] == 3  # -1 resolved to the channels at build, as tensorflow_addons did
    with pytest.raises(AttributeError):
        tfa.layers.WeightNormalization  # what keraslite does not have is not there
