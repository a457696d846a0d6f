"""`keras.random`: random tensors drawn as Keras 3's torch backend draws them.

Owns the public functions (`normal`, `uniform`, `truncated_normal`, `randint`, `categorical`,
`dropout`, `shuffle`) and re-exports `SeedGenerator`. How a `seed` argument becomes a torch
generator (int: the same numbers each call; SeedGenerator: the next numbers of its sequence;
None: Keras's global generator) lives in keraslite.utils.rng, shared with the layers' own noise.

Numbers are drawn on the CPU, where Keras's torch backend draws them when it runs on the CPU, so
the same seed gives Keras's numbers there; the result is then moved to keraslite's device
(`keraslite.backend.get_device()`), so it can meet a model's tensors in a custom `train_step`.
"""
import torch

from keraslite import backend
from keraslite.utils.rng import SeedGenerator, generator_for

__all__ = ["SeedGenerator", "normal", "uniform", "truncated_normal", "randint", "categorical", "dropout",
           "shuffle", "gamma", "binomial", "beta"]


def _dtype(dtype, default=None):
    if dtype is None:
        dtype = default or backend.floatx()
    return backend.torch_dtype(dtype)


def _on_device(tensor):
    device = backend.get_device()
    return tensor if tensor.device == device else tensor.to(device)


def _shape(shape):
    return tuple(int(d) for d in shape)


def normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    """Samples from a normal distribution with the given mean and standard deviation."""
    gen = generator_for(seed)
    return _on_device(torch.normal(mean, stddev, size=_shape(shape), generator=gen, dtype=_dtype(dtype)))


def uniform(shape, minval=0.0, maxval=1.0, dtype=None, seed=None):
    """Samples uniformly from [minval, maxval)."""
    gen = generator_for(seed)
    shape = _shape(shape)
    draw = torch.rand(shape or (1,), generator=gen, dtype=_dtype(dtype))
    out = (maxval - minval) * draw + minval
    return _on_device(out if shape else out[0])


def truncated_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    """Normal samples, each redrawn (from four candidates) until it lies within two standard
    deviations of the mean, as Keras's torch backend does."""
    shape = _shape(shape)
    candidates = torch.normal(0.0, 1.0, size=shape + (4,), generator=generator_for(seed), dtype=_dtype(dtype))
    first_valid = ((candidates > -2) & (candidates < 2)).max(-1, keepdim=True)[1]
    return _on_device(candidates.gather(-1, first_valid).squeeze(-1) * stddev + mean)


def randint(shape, minval, maxval, dtype="int32", seed=None):
    """Integers drawn uniformly from [minval, maxval)."""
    gen = generator_for(seed)
    return _on_device(torch.randint(int(minval), int(maxval), _shape(shape), generator=gen,
                                    dtype=backend.torch_dtype(dtype)))


def categorical(logits, num_samples, dtype="int32", seed=None):
    """`num_samples` class indices per row of `logits` (batch, classes), drawn with replacement."""
    logits = torch.as_tensor(logits)
    probs = torch.softmax(logits.detach().cpu().float(), dim=-1)
    gen = generator_for(seed)
    draws = torch.multinomial(probs, int(num_samples), replacement=True, generator=gen)
    return _on_device(draws.to(backend.torch_dtype(dtype)))


def dropout(inputs, rate, noise_shape=None, seed=None):
    """Zeroes entries with probability `rate` and scales the rest by 1 / (1 - rate). An explicit
    seed (or a noise shape) draws the keep mask from that seed; otherwise torch's own dropout
    runs, as in Keras."""
    inputs = torch.as_tensor(inputs)
    if rate == 1.0:
        return torch.zeros_like(inputs)
    if rate == 0.0:
        return inputs
    explicit = seed is not None and not (isinstance(seed, SeedGenerator) and seed.initial_seed is None)
    if not explicit and noise_shape is None:
        return torch.nn.functional.dropout(inputs, p=rate, training=True)
    keep_prob = 1.0 - rate
    shape = inputs.shape if noise_shape is None else [
        inputs.shape[i] if d is None else d for i, d in enumerate(noise_shape)]
    mask = torch.bernoulli(torch.full(tuple(shape), keep_prob), generator=generator_for(seed)).bool()
    mask = torch.broadcast_to(mask.to(inputs.device), inputs.shape)
    return torch.where(mask, inputs / keep_prob, torch.zeros_like(inputs))


def shuffle(x, axis=0, seed=None):
    """`x` with its entries along `axis` in a random order (the same order for every position
    along the later axes)."""
    x = torch.as_tensor(x)
    keys = torch.rand(tuple(x.shape[:axis + 1]), generator=generator_for(seed))
    order = keys.argsort(axis).to(x.device)
    for _ in range(x.ndim - axis - 1):
        order = order.unsqueeze(-1)
    order = order.expand(*x.shape[:axis + 1], *x.shape[axis + 1:])
    return x.gather(axis, order)


# gamma, binomial and beta: Keras's torch backend samples these with torch.distributions, which
# draw from torch's global CPU generator; it seeds that generator with the seed the `seed`
# argument gives and restores its state afterwards. The same here gives the same numbers.

def _parameter(value, shape):
    value = torch.as_tensor(value.detach().cpu() if isinstance(value, torch.Tensor) else value)
    if not value.is_floating_point():
        value = value.to(torch.float32)
    try:
        return torch.broadcast_to(value, shape)
    except RuntimeError:
        raise ValueError(f"A distribution parameter of shape {tuple(value.shape)} does not broadcast to the "
                         f"requested shape {shape}.") from None


def _with_global_seed(seed, sample):
    gen = generator_for(seed)
    with torch.random.fork_rng(devices=[]):
        torch.random.default_generator.manual_seed(gen.initial_seed())
        return sample()


def gamma(shape, alpha, dtype=None, seed=None):
    """Samples from Gamma(alpha, 1) (shape parameter `alpha`, unit scale)."""
    shape = _shape(shape)
    alpha = _parameter(alpha, shape)
    out = _with_global_seed(seed, lambda: torch.distributions.Gamma(alpha, torch.ones(shape)).sample())
    return _on_device(out.to(_dtype(dtype)))


def binomial(shape, counts, probabilities, dtype=None, seed=None):
    """Samples from Binomial(counts, probabilities): successes in `counts` trials."""
    shape = _shape(shape)
    counts, probabilities = _parameter(counts, shape), _parameter(probabilities, shape)
    out = _with_global_seed(seed, lambda: torch.distributions.Binomial(total_count=counts,
                                                                        probs=probabilities).sample())
    return _on_device(out.to(_dtype(dtype)))


def beta(shape, alpha, beta, dtype=None, seed=None):
    """Samples from Beta(alpha, beta) on [0, 1]."""
    shape = _shape(shape)
    alpha, beta_ = _parameter(alpha, shape), _parameter(beta, shape)
    out = _with_global_seed(seed, lambda: torch.distributions.Beta(concentration1=alpha,
                                                                   concentration0=beta_).sample())
    return _on_device(out.to(_dtype(dtype)))
