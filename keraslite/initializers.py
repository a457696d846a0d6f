"""Weight initializers under Keras's names, with Keras's meaning, and `get(identifier)`.

An initializer is called with a Keras-layout shape and returns a torch tensor; layouts are
the Layer's business (keraslite.layers.layer.add_weight). Random initializers draw
their seeds and numbers as Keras 3's torch backend does (see `_Seeded`), so after the same
`set_random_seed` a model starts from the same weights in both.
"""
import inspect
import math

import numpy as np
import torch

from keraslite import backend
from keraslite.utils.rng import SeedGenerator, make_default_seed, seeded_generator


def compute_fans(shape):
    """Keras's fan_in/fan_out: 2-D kernels (in, out); conv kernels (*spatial, in, out)."""
    shape = tuple(shape)
    if len(shape) == 0:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    if len(shape) == 2:
        return shape[0], shape[1]
    receptive = int(np.prod(shape[:-2]))
    return shape[-2] * receptive, shape[-1] * receptive


class Initializer:
    def __call__(self, shape, dtype=None):
        raise NotImplementedError

    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        # Newer Keras versions add keys (dtype; input_axes/output_axes in 3.15) that carry
        # defaults; keep only what this initializer takes.
        params = inspect.signature(cls.__init__).parameters
        if not any(p.kind == p.VAR_KEYWORD for p in params.values()):
            config = {k: v for k, v in config.items() if k in params}
        return cls(**config)

    def clone(self):
        return type(self).from_config(self.get_config())


class _Seeded(Initializer):
    """A random initializer, seeded as Keras 3 seeds them: with no `seed`, one is drawn from
    Python's `random` when the initializer is made (so `set_random_seed` fixes it, and the
    order in which initializers are made decides which seed each gets). Each call makes a fresh
    generator from that seed, so an initializer returns the same numbers every time it is
    called (a `SeedGenerator` seed gives new numbers per call). `seed` stays what was given,
    for get_config."""

    def __init__(self, seed=None):
        if seed is not None and not isinstance(seed, (int, np.integer, SeedGenerator)) or isinstance(seed, bool):
            raise ValueError("`seed` argument should be an integer or a keraslite.utils.rng.SeedGenerator; "
                             f"received seed={seed!r}.")
        self.seed = seed
        self._seed = make_default_seed() if seed is None else seed

    def _new_generator(self):
        if isinstance(self._seed, SeedGenerator):
            return self._seed.next_generator()
        return seeded_generator(self._seed)

    @staticmethod
    def _dtypes(dtype):
        """(dtype to draw in, dtype to return): Keras draws in the weight's own float dtype."""
        out = backend.torch_dtype(dtype)
        return (out if out.is_floating_point else torch.float32), out

    def _uniform(self, shape, low, high, dtype):
        draw, out = self._dtypes(dtype)
        shape = tuple(shape)
        rand = torch.rand(shape or (1,), generator=self._new_generator(), dtype=draw)
        value = rand.mul_(high - low).add_(low)  # in place: a large kernel's temporaries cost page faults
        return (value if shape else value[0]).to(out)

    def _normal(self, shape, mean, std, dtype):
        draw, out = self._dtypes(dtype)
        return torch.normal(mean, std, size=tuple(shape), generator=self._new_generator(), dtype=draw).to(out)

    def _truncated(self, shape, mean, std, dtype):
        # Keras's torch backend: four unit normals per value, the first one inside (-2, 2) is
        # kept (the first of the four when none is), then scaled and shifted.
        draw, out = self._dtypes(dtype)
        shape = tuple(shape)
        x = torch.normal(0, 1, size=shape + (4,), generator=self._new_generator(), dtype=draw)
        first_valid = ((x > -2) & (x < 2)).max(-1, keepdim=True)[1]
        value = x.gather(-1, first_valid).squeeze(-1)
        return value.mul_(std).add_(mean).to(out)

    def get_config(self):
        return {"seed": self.seed}


class Zeros(Initializer):
    def __call__(self, shape, dtype=None):
        return torch.zeros(shape, dtype=backend.torch_dtype(dtype))


class Ones(Initializer):
    def __call__(self, shape, dtype=None):
        return torch.ones(shape, dtype=backend.torch_dtype(dtype))


class Constant(Initializer):
    def __init__(self, value=0.0):
        self.value = value

    def __call__(self, shape, dtype=None):
        value = np.asarray(self.value)
        return torch.as_tensor(np.broadcast_to(value, shape).copy(), dtype=backend.torch_dtype(dtype))

    def get_config(self):
        value = self.value
        return {"value": value.tolist() if isinstance(value, np.ndarray) else value}


class Identity(Initializer):
    def __init__(self, gain=1.0):
        self.gain = gain

    def __call__(self, shape, dtype=None):
        if len(shape) != 2:
            raise ValueError(f"Identity initializer needs a 2-D shape; received shape {tuple(shape)}.")
        return self.gain * torch.eye(*shape, dtype=backend.torch_dtype(dtype))

    def get_config(self):
        return {"gain": self.gain}


class RandomUniform(_Seeded):
    def __init__(self, minval=-0.05, maxval=0.05, seed=None):
        super().__init__(seed)
        self.minval, self.maxval = minval, maxval

    def __call__(self, shape, dtype=None):
        return self._uniform(shape, self.minval, self.maxval, dtype)

    def get_config(self):
        return {"minval": self.minval, "maxval": self.maxval, "seed": self.seed}


class RandomNormal(_Seeded):
    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        super().__init__(seed)
        self.mean, self.stddev = mean, stddev

    def __call__(self, shape, dtype=None):
        return self._normal(shape, self.mean, self.stddev, dtype)

    def get_config(self):
        return {"mean": self.mean, "stddev": self.stddev, "seed": self.seed}


class TruncatedNormal(RandomNormal):
    def __call__(self, shape, dtype=None):
        return self._truncated(shape, self.mean, self.stddev, dtype)


class VarianceScaling(_Seeded):
    def __init__(self, scale=1.0, mode="fan_in", distribution="truncated_normal", seed=None):
        super().__init__(seed)
        if scale <= 0.0:
            raise ValueError(f"VarianceScaling: scale must be positive; received scale={scale}.")
        if mode not in ("fan_in", "fan_out", "fan_avg"):
            raise ValueError(f"VarianceScaling: mode must be 'fan_in', 'fan_out' or 'fan_avg'; received {mode!r}.")
        distribution = distribution.lower()
        if distribution == "normal":  # Keras 2 spelling
            distribution = "truncated_normal"
        if distribution not in ("truncated_normal", "untruncated_normal", "uniform"):
            raise ValueError("VarianceScaling: distribution must be 'truncated_normal', 'untruncated_normal' "
                             f"or 'uniform'; received {distribution!r}.")
        self.scale, self.mode, self.distribution = scale, mode, distribution

    def __call__(self, shape, dtype=None):
        fan_in, fan_out = compute_fans(shape)
        return self.draw(shape, fan_in, fan_out, dtype)

    def draw(self, shape, fan_in, fan_out, dtype=None):
        """Draw with given fans (EinsumDense computes them from its equation's input/output axes)."""
        n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2.0}[self.mode]
        scale = self.scale / max(1.0, n)
        if self.distribution == "truncated_normal":
            # 0.879... is the std of a unit normal truncated to [-2, 2].
            return self._truncated(shape, 0.0, math.sqrt(scale) / 0.87962566103423978, dtype)
        if self.distribution == "untruncated_normal":
            return self._normal(shape, 0.0, math.sqrt(scale), dtype)
        limit = math.sqrt(3.0 * scale)
        return self._uniform(shape, -limit, limit, dtype)

    def get_config(self):
        return {"scale": self.scale, "mode": self.mode, "distribution": self.distribution, "seed": self.seed}


def _fixed_variance_scaling(name, scale, mode, distribution):
    def __init__(self, seed=None):
        VarianceScaling.__init__(self, scale, mode, distribution, seed)

    def get_config(self):
        return {"seed": self.seed}

    return type(name, (VarianceScaling,), {"__init__": __init__, "get_config": get_config,
                                           "__doc__": f"VarianceScaling(scale={scale}, mode={mode!r}, "
                                                      f"distribution={distribution!r})."})


GlorotUniform = _fixed_variance_scaling("GlorotUniform", 1.0, "fan_avg", "uniform")
GlorotNormal = _fixed_variance_scaling("GlorotNormal", 1.0, "fan_avg", "truncated_normal")
HeUniform = _fixed_variance_scaling("HeUniform", 2.0, "fan_in", "uniform")
HeNormal = _fixed_variance_scaling("HeNormal", 2.0, "fan_in", "truncated_normal")
LecunUniform = _fixed_variance_scaling("LecunUniform", 1.0, "fan_in", "uniform")
LecunNormal = _fixed_variance_scaling("LecunNormal", 1.0, "fan_in", "truncated_normal")


class Orthogonal(_Seeded):
    """Orthogonal over the whole (prod(shape[:-1]), shape[-1]) matrix, as Keras does for the
    stacked recurrent kernel (u, 4u): its rows are orthonormal, not each gate block."""

    def __init__(self, gain=1.0, seed=None):
        super().__init__(seed)
        self.gain = gain

    def __call__(self, shape, dtype=None):
        if len(shape) < 2:
            raise ValueError(f"Orthogonal initializer needs at least a 2-D shape; received {tuple(shape)}.")
        rows = int(np.prod(shape[:-1]))
        cols = int(shape[-1])
        draw, out = self._dtypes(dtype)
        a = self._normal((max(rows, cols), min(rows, cols)), 0.0, 1.0, draw)
        q, r = torch.linalg.qr(a, mode="reduced")
        q *= torch.sign(torch.diag(r))
        if rows < cols:
            q = q.T
        return (self.gain * torch.reshape(q, tuple(shape))).to(out)

    def get_config(self):
        return {"gain": self.gain, "seed": self.seed}



_TORCH_WINDOWS = {"hann": torch.hann_window, "hanning": torch.hann_window, "hamming": torch.hamming_window,
                  "blackman": torch.blackman_window, "bartlett": torch.bartlett_window}


def _window(name, length, periodic):
    """A named window of `length` samples (scipy.signal.get_window's names and meaning; a
    periodic window is the symmetric one of length + 1 without its last sample)."""
    try:
        import scipy.signal
    except ImportError:
        scipy = None
    if scipy is not None:
        return torch.as_tensor(np.asarray(scipy.signal.get_window(name, length, periodic)))
    if name in ("boxcar", "box", "ones", "rectangular", "rect"):
        return torch.ones(length, dtype=torch.float64)
    make = _TORCH_WINDOWS.get(name)
    if make is None:
        raise ValueError(f"STFT: window {name!r} needs scipy (not installed); without it the known windows are "
                         f"{sorted(_TORCH_WINDOWS) + ['boxcar']}.")
    return make(length, periodic=periodic, dtype=torch.float64)


class STFT(Initializer):
    """Kernel of a Conv1D that computes a short-time Fourier transform: for a shape
    (frame_length, input_channels, fft_bins) the real (cos) or imaginary (sin) part of the DFT
    basis, optionally windowed and scaled ('density': by the window's L2 norm, 'spectrum': by
    its L1 norm)."""

    def __init__(self, side="real", window="hann", scaling="density", periodic=False):
        if side not in ("real", "imag"):
            raise ValueError(f"STFT: `side` must be 'real' or 'imag'. Received: side={side!r}")
        if isinstance(window, str):
            _window(window, 1, periodic)  # an unknown name fails here, not at build time
        if scaling is not None and scaling not in ("density", "spectrum"):
            raise ValueError(f"STFT: `scaling` must be None, 'density' or 'spectrum'. Received: scaling={scaling!r}")
        self.side = side
        self.window = window
        self.scaling = scaling
        self.periodic = periodic

    def __call__(self, shape, dtype=None):
        dtype = backend.torch_dtype(dtype)
        if len(shape) != 3:
            raise ValueError(f"STFT initializer needs a 3-D shape (frame_length, input_channels, fft_bins); "
                             f"received shape {tuple(shape)}.")
        frame_length, _, fft_bins = shape
        window, scale = None, 1
        if self.window is not None:
            window = self.window
            if isinstance(window, str):
                window = _window(window, frame_length, self.periodic)
            window = torch.as_tensor(np.asarray(window) if not isinstance(window, torch.Tensor) else window,
                                     dtype=dtype)
            if window.ndim != 1 or window.shape[-1] != frame_length:
                raise ValueError(f"STFT: the window must have shape [frame_length] = [{frame_length}]. Received: "
                                 f"window shape={tuple(window.shape)}")
            window = window.reshape(frame_length, 1, 1)
            if self.scaling == "density":
                scale = torch.sqrt(torch.sum(torch.square(window)))
            elif self.scaling == "spectrum":
                scale = torch.sum(torch.abs(window))
        freq = torch.arange(fft_bins, dtype=dtype).reshape(1, 1, fft_bins) / ((fft_bins - 1) * 2)
        time = torch.arange(frame_length, dtype=dtype).reshape(frame_length, 1, 1)
        angle = (-2 * time) * freq * torch.arccos(torch.tensor(-1, dtype=dtype))
        kernel = torch.cos(angle) if self.side == "real" else torch.sin(angle)
        if window is not None:
            kernel = kernel * window / scale
        return kernel

    def get_config(self):
        return {"side": self.side, "window": self.window, "periodic": self.periodic, "scaling": self.scaling}


_CLASSES = {c.__name__: c for c in (Zeros, Ones, Constant, Identity, RandomUniform, RandomNormal, TruncatedNormal,
                                     VarianceScaling, GlorotUniform, GlorotNormal, HeUniform, HeNormal,
                                     LecunUniform, LecunNormal, Orthogonal, STFT)}
_ALIASES = {
    "zeros": Zeros, "zero": Zeros, "ones": Ones, "one": Ones, "constant": Constant,
    "identity": Identity, "eye": Identity,
    "uniform": RandomUniform, "random_uniform": RandomUniform,
    "normal": RandomNormal, "random_normal": RandomNormal,
    "truncated_normal": TruncatedNormal, "variance_scaling": VarianceScaling,
    "glorot_uniform": GlorotUniform, "glorot_normal": GlorotNormal,
    "he_uniform": HeUniform, "he_normal": HeNormal,
    "lecun_uniform": LecunUniform, "lecun_normal": LecunNormal, "orthogonal": Orthogonal, "stft": STFT,
}
# Keras 3 keeps these class names as aliases.
_CLASSES.update(IdentityInitializer=Identity, OrthogonalInitializer=Orthogonal, STFTInitializer=STFT)
# Keras 2 class-name spellings found in old configs.
_CLASSES.update(RandomUniformV2=RandomUniform, RandomNormalV2=RandomNormal, TruncatedNormalV2=TruncatedNormal,
                OrthogonalV2=Orthogonal, IdentityV2=Identity, ConstantV2=Constant, ZerosV2=Zeros, OnesV2=Ones,
                GlorotUniformV2=GlorotUniform, GlorotNormalV2=GlorotNormal, VarianceScalingV2=VarianceScaling,
                HeNormalV2=HeNormal, HeUniformV2=HeUniform, LecunNormalV2=LecunNormal,
                LecunUniformV2=LecunUniform)


def _plain_function(fn):
    """A function used as an initializer. Keras 2/3 call it as `fn(shape, dtype=...)`; Keras 1
    called `fn(shape, name=...)` (`init=lambda shape, name: normal(shape, scale=0.001, name=name)`)
    and took the variable or array it returned. A function that accepts no `dtype` is called the
    Keras 1 way and its result converted."""
    import inspect

    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return fn
    if "dtype" in params or any(p.kind == p.VAR_KEYWORD for p in params.values()):
        return fn

    def keras1_initializer(shape, dtype=None, **kwargs):
        value = fn(shape, name=None) if "name" in params else fn(shape)
        if isinstance(value, torch.Tensor):
            value = value.detach()
        return torch.as_tensor(np.asarray(value), dtype=dtype)

    keras1_initializer.__name__ = getattr(fn, "__name__", "keras1_initializer")
    return keras1_initializer


def get(identifier):
    """Resolve None, a name ('glorot_uniform', 'uniform'), a config dict, a class or an instance."""
    if identifier is None:
        return None
    if isinstance(identifier, Initializer):
        return identifier
    if isinstance(identifier, (torch.Tensor, np.ndarray)):  # Keras: a tensor initializes with itself
        value = torch.as_tensor(identifier)
        return lambda shape, dtype=None: value if dtype is None else value.to(backend.torch_dtype(dtype))
    if callable(identifier) and not isinstance(identifier, type):
        return _plain_function(identifier)
    if isinstance(identifier, type) and issubclass(identifier, Initializer):
        return identifier()
    if isinstance(identifier, str):
        cls = _ALIASES.get(identifier) or _ALIASES.get(identifier.lower()) or _CLASSES.get(identifier)
        if cls is None:
            from keraslite.saving.registry import get_registered_object

            cls = get_registered_object(identifier)
            if callable(cls) and not isinstance(cls, type):
                return _plain_function(cls)  # a custom function saved by its name
        if cls is None:
            raise ValueError(f"Unknown initializer {identifier!r}. Valid names are: "
                             f"{', '.join(sorted(_ALIASES))} (or a class name such as 'GlorotUniform').")
        return cls() if isinstance(cls, type) else cls
    if isinstance(identifier, dict):
        from keraslite.saving.registry import custom_function

        custom = custom_function(identifier)
        if custom is not None:
            return _plain_function(custom)
        name = identifier.get("class_name")
        config = identifier.get("config", {}) or {}
        cls = _CLASSES.get(name) or _ALIASES.get(name)
        if cls is None:
            from keraslite.saving.registry import get_registered_object

            cls = get_registered_object(identifier.get("registered_name") or name)
        if cls is None:
            raise ValueError(f"Unknown initializer class {name!r} in config {identifier}. Valid classes are: "
                             f"{', '.join(sorted(c for c in _CLASSES if not c.endswith('V2')))}.")
        return cls.from_config(config) if hasattr(cls, "from_config") else cls(**config)
    raise ValueError(f"Could not interpret initializer {identifier!r}: expected a name, a dict or an initializer.")


def serialize(initializer):
    if initializer is None:
        return None
    from keraslite.saving.serialization import serialize_keras_object

    return serialize_keras_object(initializer)


def deserialize(config, custom_objects=None):
    return get(config)


# Keras's lower-case function aliases (keras.initializers.glorot_uniform(), ...).
zeros, ones, constant, identity = Zeros, Ones, Constant, Identity
random_uniform, random_normal, truncated_normal = RandomUniform, RandomNormal, TruncatedNormal
variance_scaling, orthogonal = VarianceScaling, Orthogonal
glorot_uniform, glorot_normal, he_uniform, he_normal = GlorotUniform, GlorotNormal, HeUniform, HeNormal
lecun_uniform, lecun_normal = LecunUniform, LecunNormal
stft = STFTInitializer = STFT
IdentityInitializer, OrthogonalInitializer = Identity, Orthogonal
