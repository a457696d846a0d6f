"""Files written by real tf-keras 2.18 (Keras 2) load in keraslite and predict what tf-keras
predicted. The files and tf-keras's outputs are committed in fixtures/tf_keras/, produced by
fixtures/make_tf_keras_files.py (which needs TensorFlow; keraslite's tests do not).

Each model was compiled with Adam and trained one epoch before saving, so the full-model
files carry a Keras 2 training_config (`Custom>Adam`, MeanMetricWrapper metrics) and
optimizer_weights; the weights-only files use Keras 2's root layout.
"""
import os

import numpy as np
import pytest
import torch

import keraslite

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "tf_keras")
EXPECTED = np.load(os.path.join(HERE, "expected.npz"))
NAMES = ["mlp", "cnn", "conv1d", "rnn", "rnn_variants", "functional", "transformer", "nested", "conv_extra", "convlstm",
         "hard_sigmoid", "image_layers", "tf_ops", "lookups"]


def _io(name):
    xs = [EXPECTED[k] for k in sorted(k for k in EXPECTED.files if k.startswith(f"{name}/x"))]
    ys = [EXPECTED[k] for k in sorted(k for k in EXPECTED.files if k.startswith(f"{name}/y"))]
    return (xs if len(xs) > 1 else xs[0]), ys


def _predict(model, x):
    out = model.predict(x, verbose=0)
    return out if isinstance(out, list) else [out]


def test_files_come_from_keras_2():
    assert str(EXPECTED["keras_version"]).startswith("2.")


@pytest.mark.parametrize("name", NAMES)
def test_full_model_file_predicts_like_tf_keras(name):
    model = keraslite.saving.load_model(os.path.join(HERE, f"{name}.h5"))
    x, expected = _io(name)
    for got, want in zip(_predict(model, x), expected):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)
    # The Keras 2 training config was restored: the model is compiled and can keep training.
    assert model.optimizer is not None and int(model.optimizer.iterations) > 0


@pytest.mark.parametrize("name", NAMES)
def test_weights_only_file_loads_into_the_same_architecture(name):
    model = keraslite.saving.load_model(os.path.join(HERE, f"{name}.h5"), compile=False)
    x, expected = _io(name)
    for w in model.weights:  # scramble, then restore from the weights-only file
        with torch.no_grad():
            w.mul_(0.5).add_(0.1)
    model.load_weights(os.path.join(HERE, f"{name}_weights.h5"))
    for got, want in zip(_predict(model, x), expected):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


def test_loaded_keras2_model_continues_training():
    model = keraslite.saving.load_model(os.path.join(HERE, "mlp.h5"))
    x, _ = _io("mlp")
    y = np.argmax(EXPECTED["mlp/y0"], axis=-1)
    before = model.optimizer.iterations
    history = model.fit(x, y, epochs=1, batch_size=8, verbose=0)
    assert int(model.optimizer.iterations) == int(before) + 4
    assert np.isfinite(history.history["loss"][0])


def test_compiled_untrained_keras2_file_loads_without_an_optimizer_warning():
    """tf.keras 2.11+ saves only the iteration count of an optimizer that never trained; that
    is its whole state, so loading restores it quietly (a warning would claim state was lost)."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model = keraslite.saving.load_model(os.path.join(HERE, "mlp_untrained.h5"))
    x, expected = _io("mlp_untrained")
    np.testing.assert_allclose(_predict(model, x)[0], expected[0], rtol=1e-5, atol=1e-6)
    assert int(model.optimizer.iterations) == 0
    model.fit(x, np.argmax(expected[0], axis=-1), epochs=1, batch_size=8, verbose=0)
    assert int(model.optimizer.iterations) == 4


OPTIMIZER_FILES = sorted({k.split("/")[0] for k in EXPECTED.files if k.startswith(("opt_", "optv2_"))})


def test_every_optimizer_fixture_is_present():
    # 13 tf.keras 2.11+ optimizers and 11 OptimizerV2 ones (TF 2.0-2.10's, no AdamW / Lion)
    assert len([f for f in OPTIMIZER_FILES if f.startswith("opt_")]) == 13
    assert len([f for f in OPTIMIZER_FILES if f.startswith("optv2_")]) == 11


def _load_quietly(path):
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # "Could not restore the optimizer state" must not happen
        return keraslite.saving.load_model(path)


@pytest.mark.parametrize("name", [f for f in OPTIMIZER_FILES if f != "optv2_nadam"])
def test_training_resumed_from_a_keras2_file_continues_as_tf_keras_did(name):
    """tf-keras trained one epoch, saved, and trained one more; keraslite loads the file and
    trains the same epoch: the optimizer state (slots, iteration count for schedules and bias
    corrections) must come back whole, in Keras 3's layout. tf.keras 2.11+'s SGD keeps momentum
    slots even at momentum 0 and its Nadam keeps its running product outside the saved
    variables; OptimizerV2 files group the slots by slot rather than by weight."""
    model = _load_quietly(os.path.join(HERE, f"{name}.h5"))
    history = model.fit(EXPECTED["optimizers/x"], EXPECTED["optimizers/y"], batch_size=8, epochs=1,
                        shuffle=False, verbose=0)
    np.testing.assert_allclose(history.history["loss"][0], float(EXPECTED[f"{name}/loss"]), rtol=1e-5)
    for i, w in enumerate(model.get_weights()):
        np.testing.assert_allclose(w, EXPECTED[f"{name}/w{i}"], rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("name", [f for f in OPTIMIZER_FILES if f.startswith("optv2_")])
def test_optimizer_v2_slots_are_restored_by_name(name):
    """Every `<Opt>/<weight>/<slot>:0` array of an OptimizerV2 file lands in keraslite's slot of
    that weight. (OptimizerV2's Nadam follows Keras 2's momentum schedule, 0.96^(0.004 t), where
    Keras 3 and keraslite use 0.96^t, so its continued training is compared only here.)"""
    import h5py

    model = _load_quietly(os.path.join(HERE, f"{name}.h5"))
    opt = model.optimizer
    weight_index = {w.path.replace("/", "_"): i for i, w in enumerate(model.trainable_weights)}
    with h5py.File(os.path.join(HERE, f"{name}.h5"), "r") as f:
        group = f["optimizer_weights"]
        names = [n.decode() if isinstance(n, bytes) else n for n in group.attrs["weight_names"]]
        assert names[0].endswith("/iter:0")
        assert int(opt.iterations) == int(group[names[0]][()]) == 4
        checked = 0
        for n in names[1:]:
            parts = n.rsplit(":", 1)[0].split("/")
            if len(parts) < 4:
                continue  # Nadam's momentum_cache scalar
            weight, slot = "_".join(parts[1:-1]), opt._optimizer_v2_slots[parts[-1]]
            target = opt._slots[slot][weight_index[weight]]
            np.testing.assert_array_equal(target.numpy(), group[n][()])
            checked += 1
    assert checked == sum(len(slots) for slots in opt._slots.values())  # every slot came from the file


def test_keras2_hard_sigmoid_is_kept_and_saving_it_warns(tmp_path):
    """A Keras 2 file's 'hard_sigmoid' is Keras 2's (slope 0.2). keraslite writes Keras 3 files,
    where that name means Keras 3's (slope 1/6): saving such a model says so."""
    model = keraslite.saving.load_model(os.path.join(HERE, "hard_sigmoid.h5"))
    x, expected = _io("hard_sigmoid")
    np.testing.assert_allclose(_predict(model, x)[0], expected[0], rtol=1e-5, atol=1e-5)
    with pytest.warns(UserWarning, match="Keras 2's hard_sigmoid"):
        model.save(tmp_path / "again.keras")
    # In code, and in Keras 3 files, the name is Keras 3's function.
    assert keraslite.activations.get("hard_sigmoid")(keraslite.ops.convert_to_tensor([1.0])).item() == \
        pytest.approx(4 / 6)


def test_keras2_json_config_reads_hard_sigmoid_as_keras2_did():
    """tf.keras's `to_json()` is the model config plus `keras_version`; model_from_json then
    reads names as that version meant them."""
    import json

    import h5py

    with h5py.File(os.path.join(HERE, "hard_sigmoid.h5"), "r") as f:
        config = json.loads(f.attrs["model_config"])
        config["keras_version"] = f.attrs["keras_version"]
        config["backend"] = "tensorflow"
    model = keraslite.models.model_from_json(json.dumps(config))
    model.load_weights(os.path.join(HERE, "hard_sigmoid_weights.h5"))
    x, expected = _io("hard_sigmoid")
    np.testing.assert_allclose(_predict(model, x)[0], expected[0], rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("name", ["functional", "rnn", "transformer", "tf_ops", "lookups"])
def test_tf_keras_keras_format_file_predicts_like_tf_keras(name):
    """tf.keras 2.13+ `.keras` archives: Keras-3-like configs, and weights whose sublayer groups
    carry the private attribute names (`multi_head_attention/_key_dense`)."""
    model = keraslite.saving.load_model(os.path.join(HERE, f"{name}.keras"))
    x, expected = _io(name)
    for got, want in zip(_predict(model, x), expected):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("function", ["os.system", "io.write_file", "np.save", "torch.save", "data.Dataset",
                                      "compat.v1.gfile.Remove", "namedtuple", "math.__class__", "no_such_op"])
def test_tf_op_layer_names_only_tensor_functions_of_the_shim(function):
    """A file's TFOpLambda names a function under `tf.`; only the shim's tensor-math namespaces
    answer, never a module the shim imports (os, numpy, torch) or file / data APIs."""
    from keraslite.compat.tf_op_layers import TFOpLambda

    with pytest.raises(ValueError, match=r"`tf\." + function.replace(".", r"\.") + "`"):
        TFOpLambda(function)


def test_tf_op_layer_model_saves_again(tmp_path):
    """A loaded op model saves and loads again in keraslite's own format."""
    model = keraslite.saving.load_model(os.path.join(HERE, "tf_ops.h5"))
    assert {type(l).__name__ for l in model.layers} >= {"TFOpLambda", "SlicingOpLambda"}
    model.save(str(tmp_path / "again.keras"))
    again = keraslite.saving.load_model(str(tmp_path / "again.keras"))
    x, expected = _io("tf_ops")
    np.testing.assert_allclose(_predict(again, x)[0], expected[0], rtol=1e-5, atol=1e-5)


def test_mixed_precision_file_compiles_with_its_loss_scale_optimizer():
    """tf.keras 2's mixed_float16 model files: float16 layer policies and a LossScaleOptimizerV3
    around the optimizer, restored as keraslite's LossScaleOptimizer (it warned and left the
    model uncompiled)."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model = keraslite.saving.load_model(os.path.join(HERE, "mixed_precision.h5"))
    assert type(model.optimizer).__name__ == "LossScaleOptimizer"
    assert type(model.optimizer.inner_optimizer).__name__ == "Adam"
    assert float(model.optimizer.inner_optimizer.learning_rate) == pytest.approx(0.01)
    # tf.keras saved the inner optimizer's state only: it comes back, the loss scale restarts.
    import h5py

    with h5py.File(os.path.join(HERE, "mixed_precision.h5"), "r") as f:
        assert int(model.optimizer.iterations) == int(f["optimizer_weights"]["iteration:0"][()]) == 2
        np.testing.assert_array_equal(model.optimizer.inner_optimizer._slots["momentum"][0].numpy(),
                                      f["optimizer_weights"]["m/dense/kernel:0"][()])
    x, expected = _io("mixed_precision")
    np.testing.assert_allclose(_predict(model, x)[0], expected[0], rtol=1e-2, atol=3e-3)  # float16 compute


# ------------------------------------------------------------------ TensorFlow-format checkpoints

def _checkpoint_models():
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "checkpoint_models", os.path.join(os.path.dirname(HERE), "checkpoint_models.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("name", _checkpoint_models().NAMES)
def test_tensorflow_checkpoint_loads_into_the_same_architecture(name):
    """`model.save_weights("ckpt")` in tf.keras 2 wrote a TensorFlow checkpoint (ckpt.index +
    ckpt.data-*): keraslite reads it and pairs its variables with the layers as tf.keras did
    (layer_with_weights-<i>, attributes of subclassed models, cells, a Bidirectional's two
    directions, MultiHeadAttention's projections)."""
    models = _checkpoint_models()
    model, x = models.build(keraslite, name), models.inputs(name)
    model(x)
    path = os.path.join(HERE, "checkpoints", name, "ckpt")
    status = model.load_weights(path)
    status.assert_consumed()
    np.testing.assert_allclose(_predict(model, x)[0], EXPECTED[f"checkpoints_{name}/y0"], rtol=1e-5, atol=1e-5)
    # tf.train.latest_checkpoint reads the folder's state file as TensorFlow wrote it.
    from keraslite.compat import tensorflow_shim as tf
    assert os.path.basename(tf.train.latest_checkpoint(os.path.dirname(path))) == "ckpt"


def test_tensorflow_checkpoint_with_fewer_layers_reports_them():
    """A model with another head: its layers pair as far as both go, and the load status says
    which checkpoint layers were left over (assert_consumed raises, expect_partial does not)."""
    models = _checkpoint_models()
    model = keraslite.Sequential([keraslite.Input((8, 8, 2)), keraslite.layers.Conv2D(3, 3)])
    status = model.load_weights(os.path.join(HERE, "checkpoints", "conv", "ckpt"))
    with pytest.raises(AssertionError, match="layer_with_weights-1"):
        status.assert_consumed()
    status.expect_partial()
    reference = models.build(keraslite, "conv")
    reference.load_weights(os.path.join(HERE, "checkpoints", "conv", "ckpt"))
    np.testing.assert_array_equal(model.layers[0].get_weights()[0], reference.layers[0].get_weights()[0])


def test_damaged_tensorflow_checkpoint_index_is_a_clear_error(tmp_path):
    (tmp_path / "ckpt.index").write_bytes(b"not a checkpoint")
    model = keraslite.Sequential([keraslite.Input((3,)), keraslite.layers.Dense(2)])
    with pytest.raises(keraslite.saving.KerasFileError, match="not a TensorFlow checkpoint"):
        model.load_weights(str(tmp_path / "ckpt"))


@pytest.mark.parametrize("name", _checkpoint_models().NAMES)
def test_tf_train_load_checkpoint_lists_what_tensorflow_lists(name):
    """tf.train.load_checkpoint / list_variables on a TensorFlow checkpoint give the keys and
    shapes TensorFlow's own reader gave (its string object graph aside)."""
    from keraslite.compat import tensorflow_shim as tf

    folder = os.path.join(HERE, "checkpoints", name)
    ours = [f"{k}:{shape}" for k, shape in tf.train.list_variables(folder)]
    assert ours == list(EXPECTED[f"checkpoints_{name}/shapes"])
    reader = tf.train.load_checkpoint(os.path.join(folder, "ckpt"))
    key = next(k for k in reader.get_variable_to_shape_map() if k.endswith("kernel/.ATTRIBUTES/VARIABLE_VALUE"))
    assert reader.get_tensor(key).dtype == np.float32
    assert str(reader.get_variable_to_dtype_map()[key]) in ("float32", "<dtype: 'float32'>")


# ------------------------------------------------------------------ TensorFlow SavedModel directories

def test_tf_keras_savedmodel_loads_compiled_and_resumes_training():
    """tf.keras 2's `model.save("dir")` (a SavedModel, its default format up to TF 2.12): the
    model comes from keras_metadata.pb's config, the weights from variables/, the optimizer's
    iteration and slots too, so one more epoch gives tf-keras's weights."""
    import warnings

    path = os.path.join(HERE, "savedmodel")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model = keraslite.saving.load_model(path)
    x, y = EXPECTED["optimizers/x"], EXPECTED["optimizers/y"]
    np.testing.assert_allclose(model.predict(x, verbose=0), EXPECTED["savedmodel/y0"], rtol=1e-5, atol=1e-6)
    assert "TFOpLambda" in {type(l).__name__ for l in model.layers}
    history = model.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)
    np.testing.assert_allclose(history.history["loss"][0], float(EXPECTED["savedmodel/loss"]), rtol=1e-5)
    for i, w in enumerate(model.get_weights()):
        np.testing.assert_allclose(w, EXPECTED[f"savedmodel/w{i}"], rtol=1e-4, atol=1e-6)


def test_directory_that_is_neither_format_says_what_it_expected(tmp_path):
    (tmp_path / "saved_model.pb").write_bytes(b"")
    with pytest.raises(keraslite.saving.KerasFileError, match="config.json"):
        keraslite.saving.load_model(str(tmp_path))
