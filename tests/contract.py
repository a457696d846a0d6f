"""The layer contract, applied to every layer by a table in each tests/test_layers_*.py:

- builds from an input shape and runs a forward pass;
- `compute_output_shape` agrees with the real output's shape;
- config round trip: `from_config(get_config())` rebuilds an equivalent layer;
- `get_weights`/`set_weights` round trip in Keras layout, and a copy with set weights
  computes the same output;
- one training step (SGD on the mean output) changes trainable weights and nothing crashes.

Layers called with several positional tensors (MultiHeadAttention(query, value, key)) pass
`call=lambda layer, inputs: layer(*inputs)`; the default calls `layer(inputs)`.
"""
import numpy as np
import torch


def make_input(shape, dtype="float32", seed=0, high=None):
    rng = np.random.default_rng(seed)
    if dtype.startswith("int"):
        return torch.as_tensor(rng.integers(0, high or 10, size=shape), dtype=getattr(torch, dtype))
    return torch.as_tensor(rng.standard_normal(shape).astype(dtype))


def _call_one(layer, inputs):
    return layer(inputs)


def check_layer_contract(factory, input_shape, dtype="float32", high=None, trains=True, atol=1e-6, call=_call_one):
    inputs = ([make_input(s, dtype, i, high) for i, s in enumerate(input_shape)]
              if isinstance(input_shape, list) else make_input(input_shape, dtype, 0, high))
    layer = factory()
    layer.eval()
    out = call(layer, inputs)
    assert layer.built, f"{layer.name} not built after its first call"

    # Output shape agrees with compute_output_shape (batch dim kept symbolic).
    in_shape = ([(None,) + tuple(s[1:]) for s in input_shape] if isinstance(input_shape, list)
                else (None,) + tuple(input_shape[1:]))
    expected = layer.compute_output_shape(in_shape)
    outs = out if isinstance(out, (list, tuple)) else [out]
    exps = expected if isinstance(expected, list) else [expected]
    for o, e in zip(outs, exps):
        assert tuple(e)[1:] == tuple(o.shape)[1:], f"{layer.name}: compute_output_shape {e} vs actual {tuple(o.shape)}"

    # Config round trip.
    config = layer.get_config()
    clone = type(layer).from_config(config)
    assert clone.get_config() == config, f"{layer.name}: config round trip changed the config"

    # Weights round trip, and the clone computes the same function.
    weights = layer.get_weights()
    clone.eval()
    call(clone, inputs)
    clone.set_weights(weights)
    for a, b in zip(clone.get_weights(), weights):
        np.testing.assert_array_equal(a, b)
    out2 = call(clone, inputs)
    for a, b in zip(out2 if isinstance(out2, (list, tuple)) else [out2], outs):
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), atol=atol)

    # One training step.
    if trains and layer.trainable_weights:
        layer.train()
        before = [w.numpy() for w in layer.trainable_weights]
        out = call(layer, inputs)
        loss = sum(o.float().square().mean() for o in (out if isinstance(out, (list, tuple)) else [out]))
        loss.backward()
        with torch.no_grad():
            for w in layer.trainable_weights:
                if w.grad is not None:
                    w.sub_(0.1 * w.grad)
        after = [w.numpy() for w in layer.trainable_weights]
        assert any(not np.array_equal(a, b) for a, b in zip(before, after)), f"{layer.name}: a step changed nothing"
    return layer
