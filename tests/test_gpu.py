"""CUDA checks: the same model trained, evaluated and predicted on the GPU gives the CPU's
numbers, layers with GPU-specific paths (cuDNN RNNs, channels-last convs, batch norm) agree
with their CPU selves, and files written from a GPU model load on the CPU.

Skipped without a CUDA device. TF32 is turned off so float32 results are comparable.
"""
import numpy as np
import pytest
import torch

import keraslite
from keraslite import layers

pytestmark = [pytest.mark.gpu, pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")]


@pytest.fixture(autouse=True)
def _exact_float32():
    old = (torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32)
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    yield
    torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32 = old
    keraslite.backend.set_device(None)


def _models():
    return {
        "mlp": (lambda: keraslite.Sequential([keraslite.Input((8,)), layers.Dense(16, activation="relu"),
                                              layers.Dropout(0.0), layers.Dense(3, activation="softmax")]),
                np.random.default_rng(0).standard_normal((96, 8)).astype("float32"),
                np.random.default_rng(1).integers(0, 3, 96), "sparse_categorical_crossentropy"),
        "cnn": (lambda: keraslite.Sequential([keraslite.Input((10, 10, 2)), layers.Conv2D(4, 3, padding="same"),
                                              layers.BatchNormalization(), layers.Activation("relu"),
                                              layers.MaxPooling2D(), layers.Flatten(),
                                              layers.Dense(3, activation="softmax")]),
                np.random.default_rng(0).standard_normal((64, 10, 10, 2)).astype("float32"),
                np.random.default_rng(1).integers(0, 3, 64), "sparse_categorical_crossentropy"),
        "lstm": (lambda: keraslite.Sequential([keraslite.Input((7,), dtype="int64"),
                                               layers.Embedding(20, 6, mask_zero=True), layers.LSTM(5),
                                               layers.Dense(1, activation="sigmoid")]),
                 np.where(np.arange(7) < np.random.default_rng(0).integers(2, 8, (64, 1)),
                          np.random.default_rng(1).integers(1, 20, (64, 7)), 0),
                 np.random.default_rng(2).integers(0, 2, (64, 1)).astype("float32"), "binary_crossentropy"),
        "transformer": (_transformer,
                        np.where(np.arange(7) < np.random.default_rng(0).integers(2, 8, (64, 1)),
                                 np.random.default_rng(1).integers(1, 20, (64, 7)), 0),
                        np.random.default_rng(2).integers(0, 3, 64), "sparse_categorical_crossentropy"),
    }


def _transformer():
    tokens = keraslite.Input((7,), dtype="int64")
    x = layers.Embedding(20, 8, mask_zero=True)(tokens)
    x = layers.LayerNormalization()(layers.Add()([x, layers.MultiHeadAttention(2, 4)(x, x)]))
    x = layers.GlobalAveragePooling1D()(x)
    return keraslite.Model(tokens, layers.Dense(3, activation="softmax")(x))


def _train(name, device):
    factory, x, y, loss = _models()[name]
    keraslite.backend.set_device(device)
    keraslite.utils.set_random_seed(0)
    model = factory()
    model.compile(optimizer="adam", loss=loss)
    history = model.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0)
    return model, history.history["loss"], model.predict(x, verbose=0), model.get_weights(), x


@pytest.mark.parametrize("name", ["mlp", "cnn", "lstm", "transformer"])
def test_training_on_gpu_matches_cpu(name):
    _, loss_cpu, pred_cpu, w_cpu, _ = _train(name, "cpu")
    model, loss_gpu, pred_gpu, w_gpu, _ = _train(name, "cuda")
    assert next(model.parameters()).device.type == "cuda"
    np.testing.assert_allclose(loss_gpu, loss_cpu, rtol=1e-4)
    # cuDNN's convolution and batch-norm kernels sum in another order than the CPU's; over
    # eight Adam steps that drifts the CNN's predictions by ~6e-4 relative, and weights whose
    # gradients are ~0 (where Adam's step is ~lr whatever the sign) by up to ~2.5e-4
    # absolute (measured on an H100).
    rtol, atol = (2e-3, 1e-3) if name == "cnn" else (1e-4, 1e-5)
    np.testing.assert_allclose(pred_gpu, pred_cpu, rtol=rtol, atol=1e-5)
    for a, b in zip(w_gpu, w_cpu):
        np.testing.assert_allclose(a, b, rtol=max(rtol, 1e-3), atol=atol)


def test_predict_on_gpu_is_repeatable_and_batch_size_independent():
    model, _, pred, _, x = _train("cnn", "cuda")
    again = model.predict(x, batch_size=7, verbose=0)
    np.testing.assert_allclose(again, pred, rtol=1e-5, atol=1e-6)


def test_lazy_build_on_cuda_input():
    layer = layers.Dense(3)
    out = layer(torch.ones(2, 4, device="cuda"))
    assert out.device.type == "cuda" and layer.kernel.device.type == "cuda"


@pytest.mark.parametrize("cls", ["LSTM", "GRU", "SimpleRNN"])
def test_recurrent_cuda_matches_cpu(cls):
    x = torch.randn(3, 6, 4)
    cpu = getattr(layers, cls)(5, return_sequences=True)
    ref = cpu(x)
    gpu = getattr(layers, cls)(5, return_sequences=True)
    gpu(x)
    gpu.set_weights(cpu.get_weights())
    gpu.to("cuda")
    out = gpu(x.cuda())
    np.testing.assert_allclose(out.detach().cpu().numpy(), ref.detach().numpy(), rtol=1e-5, atol=1e-5)


def test_gpu_model_file_loads_on_cpu(tmp_path):
    model, _, pred, _, x = _train("mlp", "cuda")
    path = tmp_path / "m.keras"
    model.save(path)
    keraslite.backend.set_device("cpu")
    loaded = keraslite.saving.load_model(path)
    np.testing.assert_allclose(loaded.predict(x, verbose=0), pred, rtol=1e-5, atol=1e-6)


def _fit_cuda(name, optimizer, graphs, monkeypatch, metrics=None, **fit_kwargs):
    monkeypatch.setenv("KERASLITE_CUDA_GRAPHS", "1" if graphs else "0")
    factory, x, y, loss = _models()[name]
    keraslite.backend.set_device("cuda")
    keraslite.utils.set_random_seed(0)
    model = factory()
    model.compile(optimizer=optimizer, loss=loss, metrics=metrics)
    history = model.fit(x, y, batch_size=10, epochs=3, shuffle=False, verbose=0, **fit_kwargs)
    return model, history.history


@pytest.mark.parametrize("name,optimizer", [
    ("mlp", "adam"), ("mlp", "rmsprop"), ("cnn", "sgd"), ("lstm", "adam"),
    ("mlp", lambda: keraslite.optimizers.SGD(0.05, momentum=0.9, nesterov=True)),
    ("mlp", lambda: keraslite.optimizers.AdamW(keraslite.optimizers.schedules.ExponentialDecay(0.01, 3, 0.5))),
    ("cnn", lambda: keraslite.optimizers.RMSprop(0.01, centered=True, momentum=0.5, clipnorm=1.0)),
])
def test_cuda_graph_step_matches_eager_step(name, optimizer, monkeypatch):
    """Full batches replay one recorded graph; the last, partial batch runs eagerly. Losses,
    metrics and weights equal the eager step's."""
    make = optimizer if callable(optimizer) else (lambda: optimizer)
    g_model, g_hist = _fit_cuda(name, make(), True, monkeypatch, metrics=["accuracy"], validation_split=0.25)
    e_model, e_hist = _fit_cuda(name, make(), False, monkeypatch, metrics=["accuracy"], validation_split=0.25)
    from keraslite.training.loop import _state

    graphed = _state(g_model).graphed_step
    if name != "lstm":  # a masked LSTM may need the host while capturing; then it runs eagerly
        assert graphed is not None and graphed.graph is not None and not graphed.disabled
    assert _state(e_model).graphed_step is None
    assert g_hist.keys() == e_hist.keys()
    for key in g_hist:
        np.testing.assert_allclose(g_hist[key], e_hist[key], rtol=2e-5, atol=1e-6, err_msg=key)
    for a, b in zip(g_model.get_weights(), e_model.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=2e-5)
    assert int(g_model.optimizer.iterations) == int(e_model.optimizer.iterations)


@pytest.mark.parametrize("call_kwargs", [{}, {"use_causal_mask": True}, {"return_attention_scores": True},
                                         {"attention_mask": "mask"}],
                         ids=["fused", "causal", "scores", "mask"])
def test_multi_head_attention_cuda_matches_cpu(call_kwargs):
    """The fused path runs torch's CUDA attention kernels; they agree with the CPU's."""
    q, v = torch.randn(3, 6, 8), torch.randn(3, 5, 8)
    if call_kwargs.get("attention_mask") == "mask":
        mask = torch.rand(3, 6, 5) > 0.3
        mask[:, :, 0] = True  # no fully masked query row: CUDA's fused kernel gives those zeros, the CPU uniform
        call_kwargs = {"attention_mask": mask}
        v_gpu_kwargs = {"attention_mask": mask.cuda()}
    else:
        v_gpu_kwargs = call_kwargs
        if call_kwargs.get("use_causal_mask"):
            v = torch.randn(3, 6, 8)
    cpu = layers.MultiHeadAttention(2, 4)
    ref = cpu(q, v, **call_kwargs)
    gpu = layers.MultiHeadAttention(2, 4)
    gpu(q, v)
    gpu.set_weights(cpu.get_weights())
    gpu.to("cuda")
    out = gpu(q.cuda(), v.cuda(), **v_gpu_kwargs)
    assert gpu.query_dense.kernel.device.type == "cuda"
    refs = ref if isinstance(ref, tuple) else (ref,)
    outs = out if isinstance(out, tuple) else (out,)
    for a, b in zip(outs, refs):
        np.testing.assert_allclose(a.detach().cpu().numpy(), b.detach().numpy(), rtol=1e-5, atol=1e-5)


def test_multi_head_attention_builds_on_cuda_input():
    layer = layers.MultiHeadAttention(2, 4)
    x = torch.randn(2, 3, 8, device="cuda")
    out = layer(x, x)
    assert out.device.type == "cuda" and layer.output_dense.kernel.device.type == "cuda"
    assert all(sub.built for sub in layer._flatten_layers())


def test_multi_head_attention_fully_masked_rows_on_cuda():
    """A query row with nothing to attend to: zeros from CUDA's fused kernel (as Keras on CUDA,
    which calls it the same way), zeros from the explicit-scores path on both devices."""
    layer = layers.MultiHeadAttention(2, 4, output_shape=3, use_bias=False)
    x = torch.randn(2, 4, 8)
    mask = torch.ones(2, 4, 4, dtype=torch.bool)
    mask[0, 1] = False
    with torch.no_grad():
        layer(x, x)
        _, scores_cpu = layer(x, x, attention_mask=mask, return_attention_scores=True)
        fused_cpu = layer(x, x, attention_mask=mask)
        layer.to("cuda")
        out, scores = layer(x.cuda(), x.cuda(), attention_mask=mask.cuda(), return_attention_scores=True)
        fused = layer(x.cuda(), x.cuda(), attention_mask=mask.cuda())
    assert torch.all(scores[0, :, 1] == 0) and torch.all(scores_cpu[0, :, 1] == 0)
    np.testing.assert_allclose(scores.cpu().numpy(), scores_cpu.numpy(), rtol=1e-5, atol=1e-6)
    assert torch.all(out[0, 1] == 0)  # use_bias=False: zero weights give a zero row
    assert torch.all(fused[0, 1] == 0) and not torch.all(fused_cpu[0, 1] == 0)
    np.testing.assert_allclose(fused.cpu().numpy()[1], fused_cpu.numpy()[1], rtol=1e-5, atol=1e-5)
