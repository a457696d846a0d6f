"""Data-parallel training under torchrun (keraslite/training/distributed.py): programs run in
two gloo processes on the CPU, checked against the same program in one process. Cutting each
global batch across the processes and summing their gradients by share must give the
single-process numbers; metric logs must be the whole data's; the processes must end with the
same weights."""
import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import torch.distributed

from tests.programs import ROOT

pytestmark = pytest.mark.skipif(not torch.distributed.is_available() or not torch.distributed.is_gloo_available(),
                                reason="torch.distributed with gloo is not available")

HEADER = """
import json, os, sys
import numpy as np
import keraslite as keras
from keraslite import layers
RANK = int(os.environ.get("RANK", "0"))
OUT = {}
def dump(path):
    if "model" in globals():
        OUT["weights"] = [w.tolist() for w in model.get_weights()]
    with open(f"{path}.{RANK}.json", "w") as f:
        json.dump(OUT, f)
"""


def _run(tmp_path, body, processes, env=None, name="run"):
    """Run the program in `processes` processes (1: plainly); returns the JSON each process
    dumped, by rank, and the combined output."""
    script = tmp_path / "program.py"
    script.write_text(HEADER + textwrap.dedent(body))
    cmd = [sys.executable, str(script), str(tmp_path / name)]
    if processes > 1:
        cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc_per_node={processes}",
               str(script), str(tmp_path / name)]
    full_env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONPATH=ROOT, CUDA_VISIBLE_DEVICES="", **(env or {}))
    for key in ("RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT"):
        full_env.pop(key, None)
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=180, env=full_env, cwd=str(tmp_path))
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output[-4000:]
    results = [json.loads((tmp_path / f"{name}.{rank}.json").read_text()) for rank in range(processes)]
    return results, output


def _close(a, b, tol=1e-6):
    np.testing.assert_allclose(np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64), rtol=tol, atol=tol)


def _same_weights(a, b, tol=1e-6):
    assert len(a["weights"]) == len(b["weights"])
    for u, v in zip(a["weights"], b["weights"]):
        _close(u, v, tol)


FIT = """
rng = np.random.RandomState(0)
x = rng.rand(203, 12).astype("float32")
y = ((x.sum(1) > 6).astype("int64") + (x[:, 0] > 0.5)).astype("int64")
inputs = keras.Input((12,))
h = layers.Dense(16, activation="relu")(inputs)
outputs = layers.Dense(3, activation="softmax")(h)
model = keras.Model(inputs, outputs)
model.compile(optimizer=keras.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy",
              metrics=["accuracy", keras.metrics.SparseTopKCategoricalAccuracy(k=2, name="top2")])
wrng = np.random.RandomState(1)
model.set_weights([wrng.uniform(-0.3, 0.3, w.shape).astype("float32") for w in model.get_weights()])
keras.utils.set_random_seed(3)
csv = keras.callbacks.CSVLogger("log.csv")
checkpoint = keras.callbacks.ModelCheckpoint("best.keras", monitor="val_loss", save_best_only=True)
history = model.fit(x, y, batch_size=int(os.environ["BS"]), epochs=3, verbose=2, validation_split=0.25,
                    shuffle=True, callbacks=[csv, checkpoint])
OUT["history"] = history.history
OUT["evaluate"] = model.evaluate(x, y, batch_size=17, verbose=0, return_dict=True)
OUT["predict"] = model.predict(x[:5], verbose=0).tolist()
OUT["writers_ran"] = [csv.model is not None, checkpoint.model is not None]
from keraslite.training.loop import _state
OUT["ddp"] = _state(model).ddp is not None  # the built-in step ran through DistributedDataParallel
dump(sys.argv[1])
"""


@pytest.mark.parametrize("batch_size", [32, 33, 151])  # even parts; uneven parts; a 1-sample last batch
def test_fit_in_two_processes_gives_the_single_process_numbers(tmp_path, batch_size):
    env = {"BS": str(batch_size)}
    (single,), _ = _run(tmp_path, FIT, 1, env, name="single")
    (first, second), output = _run(tmp_path, FIT, 2, env, name="multi")
    assert sorted(first["history"]) == sorted(single["history"])
    for key, values in single["history"].items():
        _close(first["history"][key], values)
    for key, value in single["evaluate"].items():
        _close(first["evaluate"][key], value)
    _same_weights(first, single)
    _close(first["predict"], single["predict"])
    # Both processes end with the same weights and logs; only process 0 prints and writes files.
    _same_weights(first, second, tol=0)
    assert first["history"] == second["history"] and first["evaluate"] == second["evaluate"]
    assert first["writers_ran"] == [True, True] and second["writers_ran"] == [False, False]
    assert first["ddp"] and second["ddp"] and not single["ddp"]
    assert output.count("Epoch 1/3") == 1 and output.count("Epoch 3/3") == 1
    assert len((tmp_path / "log.csv").read_text().splitlines()) == 4


CUSTOM_STEP = """
import torch

class Trainer(keras.Model):
    def __init__(self):
        super().__init__()
        self.hidden = layers.Dense(8, activation="tanh")
        self.out = layers.Dense(1)
        self.tracker = keras.metrics.Mean(name="loss")
        self.mae = keras.metrics.MeanAbsoluteError(name="mae")

    def call(self, x):
        return self.out(self.hidden(x))

    def train_step(self, data):
        x, y = data
        self.zero_grad()
        y_pred = self(x, training=True)
        loss = self.compute_loss(y=y, y_pred=y_pred)
        loss.backward()
        grads = [v.value.grad for v in self.trainable_weights]
        with torch.no_grad():
            self.optimizer.apply(grads, self.trainable_weights)
        self.tracker.update_state(loss, sample_weight=len(x))
        self.mae.update_state(y, y_pred)
        return {"loss": self.tracker.result(), "mae": self.mae.result()}

    @property
    def metrics(self):
        return [self.tracker, self.mae]

rng = np.random.RandomState(0)
x = rng.rand(96, 5).astype("float32")
y = (x @ rng.rand(5, 1)).astype("float32")
model = Trainer()
model.compile(optimizer=keras.optimizers.SGD(0.1, momentum=0.9), loss="mse")
model(x[:2])
wrng = np.random.RandomState(1)
model.set_weights([wrng.uniform(-0.5, 0.5, w.shape).astype("float32") for w in model.get_weights()])
history = model.fit(x, y, batch_size=16, epochs=3, verbose=0, shuffle=False)
OUT["history"] = history.history
dump(sys.argv[1])
"""


def test_custom_train_step_in_two_processes(tmp_path):
    """A Keras 3 torch-style train_step (backward, then optimizer.apply): the optimizer sums the
    processes' gradients, and the epoch logs its metrics return are the whole epoch's."""
    (single,), _ = _run(tmp_path, CUSTOM_STEP, 1, name="single")
    (first, second), _ = _run(tmp_path, CUSTOM_STEP, 2, name="multi")
    for key, values in single["history"].items():
        _close(first["history"][key], values)
    _same_weights(first, single)
    _same_weights(first, second, tol=0)


STATE = """
import torch

class StopOnOneProcess(keras.callbacks.Callback):
    def on_train_batch_end(self, batch, logs=None):
        if RANK == 1 and self.model.optimizer.iterations == 5:
            self.model.stop_training = True

keras.utils.set_random_seed(RANK)  # each process would start from other weights
model = keras.Sequential([layers.Dense(6, activation="relu"), layers.BatchNormalization(), layers.Dense(1)])
model.compile(optimizer="adam", loss="mse")
rng = np.random.RandomState(0)
x = rng.rand(64, 4).astype("float32")
y = x.sum(1, keepdims=True)
history = model.fit(x, y, batch_size=8, epochs=2, verbose=0, callbacks=[StopOnOneProcess()])
OUT["iterations"] = int(model.optimizer.iterations)
from keraslite.compat.tensorflow_shim import distribute
OUT["replicas"] = distribute.MirroredStrategy().num_replicas_in_sync  # tf programs size their batch with it
OUT["epochs"] = len(history.history["loss"])
dump(sys.argv[1])
"""


def test_processes_share_weights_statistics_and_stopping(tmp_path):
    """Unbuilt, differently seeded models start from process 0's weights; BatchNormalization's
    moving statistics (each process's from its own part of the batches) are averaged; a stop
    asked by one process stops both."""
    (first, second), _ = _run(tmp_path, STATE, 2)
    _same_weights(first, second, tol=0)
    assert first["iterations"] == second["iterations"] == 5
    assert first["epochs"] == second["epochs"] == 1
    assert first["replicas"] == second["replicas"] == 2


SAMPLER = """
import torch
from torch.utils.data import DataLoader, TensorDataset
from torch.utils.data.distributed import DistributedSampler

rng = np.random.RandomState(0)
x = rng.rand(64, 4).astype("float32")
y = (x @ rng.rand(4, 2)).astype("float32")
model = keras.Sequential([keras.Input((4,)), layers.Dense(2)])
model.compile(optimizer=keras.optimizers.SGD(0.05), loss="mse")
model.set_weights([np.full((4, 2), 0.1, "float32"), np.zeros(2, "float32")])
data = TensorDataset(torch.from_numpy(x), torch.from_numpy(y))
if os.environ.get("WORLD_SIZE"):
    torch.distributed.init_process_group("gloo")  # the sampler needs the group: made by the program, as usual
    loader = DataLoader(data, batch_size=8, sampler=DistributedSampler(data, shuffle=False))
else:
    loader = DataLoader(data, batch_size=16, shuffle=False)
history = model.fit(loader, epochs=2, verbose=0)
OUT["history"] = history.history
dump(sys.argv[1])
"""


def test_dataloader_with_distributed_sampler_is_used_as_it_comes(tmp_path):
    """Each process reads its own part (DistributedSampler): the averaged gradients of two
    parts of 8 are the gradient of the batch of 16 they make up."""
    (single,), _ = _run(tmp_path, SAMPLER, 1, name="single")
    (first, second), _ = _run(tmp_path, SAMPLER, 2, name="multi")
    _same_weights(first, single)
    _same_weights(first, second, tol=0)
    _close(first["history"]["loss"], single["history"]["loss"])


MIXED = """
rng = np.random.RandomState(0)

def start(model):
    wrng = np.random.RandomState(1)
    model.set_weights([wrng.uniform(-0.3, 0.3, w.shape).astype("float32") for w in model.get_weights()])

def multi_output():
    a, b = keras.Input((6,), name="a"), keras.Input((3,), name="b")
    h = layers.Dense(8, activation="tanh")(layers.Concatenate()([a, b]))
    model = keras.Model([a, b], [layers.Dense(3, activation="softmax", name="cls")(h), layers.Dense(1, name="reg")(h)])
    model.compile(optimizer=keras.optimizers.SGD(0.05, momentum=0.9),
                  loss={"cls": "sparse_categorical_crossentropy", "reg": "mse"}, loss_weights={"cls": 1.0, "reg": 0.5},
                  metrics={"cls": ["accuracy"], "reg": ["mae"]})
    start(model)
    xa, xb = rng.rand(90, 6).astype("float32"), rng.rand(90, 3).astype("float32")
    yc, yr = rng.randint(0, 3, 90), rng.rand(90, 1).astype("float32")
    return model, model.fit({"a": xa, "b": xb}, {"cls": yc, "reg": yr}, batch_size=20, epochs=3, verbose=0,
                            validation_data=({"a": xa[:30], "b": xb[:30]}, {"cls": yc[:30], "reg": yr[:30]}))

def masked_lstm():
    model = keras.Sequential([keras.Input((7,), dtype="int64"), layers.Embedding(50, 8, mask_zero=True), layers.LSTM(6),
                              layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy", keras.metrics.AUC(name="auc")])
    start(model)
    x = rng.randint(0, 50, (70, 7))
    x[:, :2] = 0
    y = rng.randint(0, 2, (70, 1)).astype("float32")
    return model, model.fit(x, y, batch_size=16, epochs=3, verbose=0, validation_split=0.2,
                            class_weight={0: 1.0, 1: 2.0})

def steps_and_early_stopping():
    model = keras.Sequential([keras.Input((5,)), layers.Dense(8), layers.LayerNormalization(), layers.Activation("relu"),
                              layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.RMSprop(0.01), loss="mse", metrics=["mae"])
    start(model)
    x = rng.rand(64, 5).astype("float32")
    stop = keras.callbacks.EarlyStopping(monitor="loss", patience=1, restore_best_weights=True)
    return model, model.fit(x, x.sum(1, keepdims=True), batch_size=16, epochs=3, steps_per_epoch=3, verbose=0,
                            callbacks=[stop])

def shuffled_pydataset():
    class Batches(keras.utils.PyDataset):
        def __init__(self):
            super().__init__()
            r = np.random.RandomState(5)
            self.x = r.rand(60, 4).astype("float32")
            self.y = (self.x @ r.rand(4, 2)).astype("float32")
        def __len__(self):
            return 6
        def __getitem__(self, i):
            return self.x[i * 10:(i + 1) * 10], self.y[i * 10:(i + 1) * 10]
    model = keras.Sequential([keras.Input((4,)), layers.Dense(2)])
    model.compile(optimizer="adam", loss="mae")
    start(model)
    return model, model.fit(Batches(), epochs=3, verbose=0, shuffle=True)

def frozen_after_compile():
    model = keras.Sequential([keras.Input((4,)), layers.Dense(3, activation="relu"), layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    start(model)
    model.layers[0].trainable = False  # after compile(): it still trains, with a warning
    x = rng.rand(48, 4).astype("float32")
    return model, model.fit(x, x[:, :1] * 2, batch_size=12, epochs=2, verbose=0, shuffle=False)

for case in (multi_output, masked_lstm, steps_and_early_stopping, shuffled_pydataset, frozen_after_compile):
    keras.backend.clear_session()
    keras.utils.set_random_seed(3)
    model, history = case()
    OUT[case.__name__] = {"history": history.history, "weights": [w.tolist() for w in model.get_weights()]}
dump(sys.argv[1])
"""


def test_fit_options_in_two_processes(tmp_path):
    """Multi-output dict losses with loss weights and validation_data, a masked Embedding +
    LSTM with class_weight, AUC and validation_split, steps_per_epoch with EarlyStopping's
    restore_best_weights, a shuffled PyDataset, a layer frozen after compile() (which still
    trains, outside DDP's reach): each as in one process."""
    (single,), _ = _run(tmp_path, MIXED, 1, name="single")
    (first, second), _ = _run(tmp_path, MIXED, 2, name="multi")
    for case in ("multi_output", "masked_lstm", "steps_and_early_stopping", "shuffled_pydataset",
                 "frozen_after_compile"):
        assert sorted(first[case]["history"]) == sorted(single[case]["history"]), case
        for key, values in single[case]["history"].items():
            _close(first[case]["history"][key], values)
        _same_weights(first[case], single[case])
        _same_weights(first[case], second[case], tol=0)


ON_BATCH = """
keras.utils.set_random_seed(RANK)  # process 1 alone would start from other weights
model = keras.Sequential([layers.Dense(5, activation="tanh"), layers.Dense(2, activation="softmax")])
model.compile(optimizer=keras.optimizers.RMSprop(0.01), loss="categorical_crossentropy")
rng = np.random.RandomState(0)
x = rng.rand(32, 3).astype("float32")
y = np.eye(2, dtype="float32")[rng.randint(0, 2, 32)]
size = int(os.environ.get("WORLD_SIZE", "1"))
part = slice(32 * RANK // size, 32 * (RANK + 1) // size)  # each process trains on its own batch
OUT["losses"] = [float(model.train_on_batch(x[part], y[part])) for _ in range(3)]
dump(sys.argv[1])
"""


def test_train_on_batch_averages_the_processes_gradients(tmp_path):
    """Keras 2 style loops (a GAN's train_on_batch): each process passes its own half of the
    batch; the first call takes process 0's weights, every update the mean gradient."""
    (single,), _ = _run(tmp_path, ON_BATCH, 1, name="single")
    (first, second), _ = _run(tmp_path, ON_BATCH, 2, name="multi")
    _same_weights(first, single)
    _same_weights(first, second, tol=0)
    _close(np.add(first["losses"], second["losses"]) / 2, single["losses"])


UNEQUAL = """
model = keras.Sequential([keras.Input((3,)), layers.Dense(1)])
model.compile(optimizer="sgd", loss="mse")
n = 40 + RANK  # each process loaded a different amount of data
try:
    model.fit(np.ones((n, 3), "float32"), np.ones((n, 1), "float32"), batch_size=8, verbose=0)
except ValueError as e:
    OUT["error"] = str(e)
dump(sys.argv[1])
"""


def test_processes_with_data_of_different_sizes_get_a_clear_error(tmp_path):
    """Not a hang (different numbers of steps would wait on each other forever): every
    process raises, saying what to pass instead."""
    (first, second), _ = _run(tmp_path, UNEQUAL, 2)
    for result in (first, second):
        assert "training data of different sizes (from 40 to 41" in result["error"]
        assert "DistributedSampler" in result["error"]


def test_single_process_runs_have_no_process_group():
    from keraslite.training import distributed

    assert distributed.world() is None and distributed.rank() == 0 and distributed.current() is None


def test_example_program_under_torchrun_through_keraslite(tmp_path):
    """`torchrun --nproc_per_node=2 -m keraslite program.py`: the Keras program runs unchanged
    in two processes; one of them prints and writes the checkpoint."""
    example = os.path.join(ROOT, "examples", "keras3_torchrun_data_parallel.py")
    env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONPATH=ROOT, CUDA_VISIBLE_DEVICES="", CI="true")
    proc = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2",
                           "-m", "keraslite", example], capture_output=True, text=True, timeout=180, env=env,
                          cwd=str(tmp_path))
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-4000:]
    assert proc.stdout.count("Epoch 1/4") == 1 and proc.stdout.count("processes: 2") == 1
    assert "test accuracy" in proc.stdout and "checkpoint written: True" in proc.stdout


def test_keras2_multi_gpu_model_is_the_template_on_one_device():
    """Keras 2's multi_gpu_model: the parallel model shares the template's weights, so here it
    is the template; a warning says how to train on several GPUs; Keras's own check of `gpus`."""
    import keraslite as keras

    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    with pytest.warns(UserWarning, match=r"torchrun --nproc_per_node=4 -m keraslite"):
        parallel = keras.utils.multi_gpu_model(model, gpus=4)
    assert parallel is model
    with pytest.raises(ValueError, match=r"call `multi_gpu_model` with `gpus >= 2`. Received: `gpus=1`"):
        keras.utils.multi_gpu_model(model, gpus=1)
    with pytest.raises(ValueError, match=r"`len\(gpus\) >= 2`"):
        keras.utils.multi_gpu_model(model, gpus=[0])


def test_multi_gpu_model_import_paths(tf):
    import keras.utils
    from keras.utils.multi_gpu_utils import multi_gpu_model
    from keras.utils.training_utils import multi_gpu_model as from_training_utils

    assert multi_gpu_model is from_training_utils is keras.utils.multi_gpu_model is tf.keras.utils.multi_gpu_model


def test_keraslite_distributed_0_keeps_a_launched_process_on_its_own(monkeypatch):
    from keraslite.training import distributed

    for key, value in (("WORLD_SIZE", "2"), ("RANK", "1"), ("MASTER_ADDR", "127.0.0.1"), ("MASTER_PORT", "1"),
                       ("KERASLITE_DISTRIBUTED", "0")):
        monkeypatch.setenv(key, value)
    assert distributed.world() is None  # no rendezvous attempted (it would wait for process 0)
    assert distributed.rank() == 0 and distributed.world_size() == 1  # prints, writes files, one replica
    monkeypatch.delenv("KERASLITE_DISTRIBUTED")
    assert distributed.rank() == 1 and distributed.world_size() == 2  # read without making the group
