"""Audio spectrogram layers: STFTSpectrogram and MelSpectrogram.

STFTSpectrogram computes the short-time Fourier transform as Keras 3 does: a strided 1-D
convolution of each channel with two weights, `real_kernel` and `imag_kernel`, of shape
(frame_length, 1, fft_length // 2 + 1) holding windowed cosines and sines (so they save and load
in Keras's layout and can be trained). MelSpectrogram uses `torch.stft` (centred, periodic
window), a triangular mel filter bank and optional decibel scaling with `top_db` clipping.
"""
import math
import warnings

import numpy as np
import torch
import torch.nn.functional as F

from keraslite import backend
from keraslite.layers.conv import same_padding
from keraslite.layers.layer import Layer

__all__ = ["STFTSpectrogram", "MelSpectrogram"]

_STFT_MODES = ("log", "magnitude", "psd", "real", "imag", "angle", "stft")


def _window_values(window, length, periodic):
    if isinstance(window, str):
        import scipy.signal

        return np.asarray(scipy.signal.get_window(window, length, periodic), dtype="float64")
    return np.asarray(window, dtype="float64")


def stft_kernel(side, shape, window="hann", scaling="density", periodic=False, dtype=torch.float32):
    """The (frame_length, 1, bins) cosine (`side="real"`) or sine (`"imag"`) kernel of the STFT,
    multiplied by the window and divided by its L2 norm ("density") or its sum ("spectrum")."""
    frame_length, _, bins = shape
    fft_length = (bins - 1) * 2
    freq = torch.arange(bins, dtype=dtype).view(1, 1, bins) / fft_length
    time = torch.arange(frame_length, dtype=dtype).view(frame_length, 1, 1)
    angle = (-2 * time) * freq * torch.arccos(torch.tensor(-1.0, dtype=dtype))
    kernel = torch.cos(angle) if side == "real" else torch.sin(angle)
    if window is not None:
        win = torch.as_tensor(_window_values(window, frame_length, periodic), dtype=dtype)
        if win.ndim != 1 or win.shape[-1] != frame_length:
            raise ValueError(f"The shape of `window` must be equal to [frame_length].Received: window "
                             f"shape={tuple(win.shape)}")
        win = win.view(frame_length, 1, 1)
        scale = 1
        if scaling == "density":
            scale = torch.sqrt(torch.sum(win ** 2))
        elif scaling == "spectrum":
            scale = torch.sum(win.abs())
        kernel = kernel * win / scale
    return kernel


class STFTSpectrogram(Layer):
    """Spectrogram of (batch, time, channels) signals (channels first with
    `data_format="channels_first"`): frames of `frame_length` every `frame_step` samples,
    `fft_length // 2 + 1` frequency bins per channel, returned as "log" (log magnitude),
    "magnitude", "psd", "real", "imag", "angle" or "stft" (real and imaginary bins)."""

    def __init__(self, mode="log", frame_length=256, frame_step=None, fft_length=None, window="hann", periodic=False,
                 scaling="density", padding="valid", expand_dims=False, data_format=None, **kwargs):
        if frame_step is not None and (frame_step > frame_length or frame_step < 1):
            raise ValueError("`frame_step` should be a positive integer not greater than `frame_length`. Received "
                             f"frame_step={frame_step}, frame_length={frame_length}")
        if fft_length is not None and fft_length < frame_length:
            raise ValueError("`fft_length` should be not less than `frame_length`. Received "
                             f"fft_length={fft_length}, frame_length={frame_length}")
        if fft_length is not None and fft_length & -fft_length != fft_length:
            warnings.warn(f"`fft_length` is recommended to be a power of two. Received fft_length={fft_length}")
        if mode not in _STFT_MODES:
            raise ValueError(f"Output mode is invalid, it must be one of {', '.join(_STFT_MODES)}. Received: "
                             f"mode={mode}")
        if scaling is not None and scaling not in ("density", "spectrum"):
            raise ValueError(f"Scaling is invalid, it must be `None`, 'density' or 'spectrum'. Received "
                             f"scaling={scaling}")
        if padding not in ("valid", "same"):
            raise ValueError(f"Padding is invalid, it should be 'valid', 'same'. Received: padding={padding}")
        if isinstance(window, str):
            _window_values(window, 1, periodic)  # unknown window names fail here, as in Keras
        super().__init__(**kwargs)
        self.mode = mode
        self.frame_length = frame_length
        self.frame_step = frame_step
        self._frame_step = frame_step or frame_length // 2
        self.fft_length = fft_length
        self._fft_length = fft_length or 2 ** int(math.ceil(math.log2(frame_length)))
        self.window = window
        self.periodic = periodic
        self.scaling = scaling
        self.padding = padding
        self.expand_dims = expand_dims
        self.data_format = backend.standardize_data_format(data_format)

    def build(self, input_shape=None):
        if input_shape is not None and len(input_shape) != 3:
            raise ValueError(f"STFTSpectrogram '{self.name}': expected inputs of rank 3 (batch, time, channels) or "
                             f"(batch, channels, time); received shape {tuple(input_shape)}.")
        shape = (self.frame_length, 1, self._fft_length // 2 + 1)
        for side in ("real", "imag"):
            if self.mode == ("imag" if side == "real" else "real"):
                continue
            kernel = stft_kernel(side, shape, self.window, self.scaling, self.periodic)
            weight = self.add_weight(f"{side}_kernel", shape, "zeros")
            with torch.no_grad():
                weight.copy_(kernel.to(weight.dtype))
            setattr(self, f"{side}_kernel", weight)

    def _conv(self, signals, kernel):
        """(N, T, C) or (N, C, T) -> (N, C, bins, frames)."""
        if self.data_format == "channels_last":
            signals = signals.transpose(1, 2)
        n, channels, length = signals.shape
        x = signals.reshape(n * channels, 1, length)
        if self.padding == "same":
            x = F.pad(x, same_padding(length, self.frame_length, self._frame_step))
        weight = kernel.to(x.dtype).permute(2, 1, 0)  # (bins, 1, frame_length)
        out = F.conv1d(x, weight, stride=self._frame_step)
        return out.reshape(n, channels, out.shape[1], out.shape[2])

    def _layout(self, out):
        n, channels, bins, frames = out.shape
        if self.data_format == "channels_last":
            if self.expand_dims:
                return out.permute(0, 3, 2, 1)
            return out.reshape(n, channels * bins, frames).transpose(1, 2)
        if self.expand_dims:
            return out.transpose(2, 3)
        return out.reshape(n, channels * bins, frames)

    def call(self, inputs):
        if inputs.dtype not in (torch.float16, torch.float32, torch.float64):
            raise TypeError(f"STFTSpectrogram '{self.name}': invalid input type. Expected `float16`, `float32` or "
                            f"`float64`. Received: input type={backend.dtype_name(inputs.dtype)}")
        if inputs.ndim != 3:
            raise ValueError(f"STFTSpectrogram '{self.name}': expected inputs of rank 3; received shape "
                             f"{tuple(inputs.shape)}.")
        real = self._conv(inputs, self.real_kernel) if self.mode != "imag" else None
        imag = self._conv(inputs, self.imag_kernel) if self.mode != "real" else None
        if self.mode == "real":
            return self._layout(real)
        if self.mode == "imag":
            return self._layout(imag)
        if self.mode == "angle":
            return self._layout(torch.atan2(imag, real))
        if self.mode == "stft":
            return self._layout(torch.cat([real, imag], dim=2))
        power = real ** 2 + imag ** 2
        if self.mode == "psd":
            # one-sided PSD: the inner bins count twice
            return self._layout(power + F.pad(power[:, :, 1:-1, :], (0, 0, 1, 1)))
        eps = backend.epsilon()
        magnitude = self._layout(torch.sqrt(torch.clamp(power, min=eps)))
        if self.mode == "magnitude":
            return magnitude
        return torch.log(torch.clamp(magnitude, min=eps))

    def compute_output_shape(self, input_shape):
        channels = input_shape[-1] if self.data_format == "channels_last" else input_shape[1]
        length = input_shape[1] if self.data_format == "channels_last" else input_shape[2]
        bins = self._fft_length // 2 + 1
        if self.mode == "stft":
            bins *= 2
        if length is None:
            frames = None
        elif self.padding == "valid":
            frames = (length - self.frame_length) // self._frame_step + 1
        else:
            frames = (length + self._frame_step - 1) // self._frame_step
        batch = input_shape[0]
        if self.expand_dims:
            return (batch, frames, bins, channels) if self.data_format == "channels_last" else (
                batch, channels, frames, bins)
        features = None if channels is None else bins * channels
        return (batch, frames, features) if self.data_format == "channels_last" else (batch, features, frames)

    def get_config(self):
        config = super().get_config()
        config.update(mode=self.mode, frame_length=self.frame_length, frame_step=self.frame_step,
                      fft_length=self.fft_length, window=self.window, periodic=self.periodic, scaling=self.scaling,
                      padding=self.padding, data_format=self.data_format, expand_dims=self.expand_dims)
        return config


_MEL_BREAK_HZ = 700.0
_MEL_HIGH_Q = 1127.0


def _hertz_to_mel(hz):
    return _MEL_HIGH_Q * torch.log(1.0 + hz / _MEL_BREAK_HZ)


def linear_to_mel_weight_matrix(num_mel_bins=20, num_spectrogram_bins=129, sampling_rate=8000, lower_edge_hertz=125.0,
                                upper_edge_hertz=3800.0, dtype=torch.float32):
    """(num_spectrogram_bins, num_mel_bins) triangular filters on the mel scale; the DC bin gets
    no weight (TensorFlow's and Keras's convention)."""
    nyquist = torch.tensor(float(sampling_rate), dtype=dtype) / 2.0
    freqs = torch.linspace(0.0, float(nyquist), num_spectrogram_bins, dtype=dtype)[1:]
    bins_mel = _hertz_to_mel(freqs).unsqueeze(1)
    edges = torch.linspace(float(_hertz_to_mel(torch.tensor(float(lower_edge_hertz), dtype=dtype))),
                           float(_hertz_to_mel(torch.tensor(float(upper_edge_hertz), dtype=dtype))),
                           num_mel_bins + 2, dtype=dtype)
    lower, center, upper = edges[:-2].view(1, -1), edges[1:-1].view(1, -1), edges[2:].view(1, -1)
    rising = (bins_mel - lower) / (center - lower)
    falling = (upper - bins_mel) / (upper - center)
    weights = torch.clamp(torch.minimum(rising, falling), min=0.0)
    return F.pad(weights, (0, 0, 1, 0))


class MelSpectrogram(Layer):
    """Mel spectrogram of (time,) or (batch, time) signals: |STFT|^mag_exp through
    `num_mel_bins` mel filters, in decibels when `power_to_db` (clipped to `top_db` below the
    maximum); output (batch, num_mel_bins, frames)."""

    def __init__(self, fft_length=2048, sequence_stride=512, sequence_length=None, window="hann", sampling_rate=16000,
                 num_mel_bins=128, min_freq=20.0, max_freq=None, power_to_db=True, top_db=80.0, mag_exp=2.0,
                 min_power=1e-10, ref_power=1.0, **kwargs):
        self.fft_length = fft_length
        self.sequence_stride = sequence_stride
        self.sequence_length = sequence_length or fft_length
        if self.fft_length < self.sequence_length:
            raise ValueError("`fft_length` must be greater than or equal to   `sequence_length`. Received: "
                             f"`sequence_length`={self.sequence_length}, `fft_length`={self.fft_length}.")
        if isinstance(window, str) and window not in ("hann", "hamming"):
            raise ValueError(f'If a string is passed to `window`, it must be one of `"hann"`, `"hamming"`. '
                             f"Received: window={window}")
        self.window = window
        self.sampling_rate = sampling_rate
        self.num_mel_bins = num_mel_bins
        self.min_freq = min_freq
        self.max_freq = max_freq or int(sampling_rate / 2)
        self.power_to_db = power_to_db
        self.top_db = top_db
        self.mag_exp = mag_exp
        self.min_power = min_power
        self.ref_power = ref_power
        super().__init__(**kwargs)

    def _window(self, dtype, device):
        n = self.sequence_length
        if self.window is None:
            return torch.ones(n, dtype=dtype, device=device)
        if self.window == "hann":
            return torch.hann_window(n, periodic=True, dtype=dtype, device=device)
        if self.window == "hamming":
            return torch.hamming_window(n, periodic=True, dtype=dtype, device=device)
        win = torch.as_tensor(self.window, dtype=dtype, device=device)
        if win.ndim != 1 or win.shape[-1] != n:
            raise ValueError(f"The shape of `window` must be equal to [sequence_length].Received: window "
                             f"shape={tuple(win.shape)}")
        return win

    def call(self, inputs):
        dtype = self._variable_dtype if self._variable_dtype in (torch.float32, torch.float64) else torch.float32
        x = torch.as_tensor(inputs).to(dtype)
        if x.ndim not in (1, 2):
            raise ValueError(f"MelSpectrogram '{self.name}': expected a signal of shape (time,) or (batch, time); "
                             f"received shape {tuple(x.shape)}.")
        spec = torch.stft(x, n_fft=self.fft_length, hop_length=self.sequence_stride, win_length=self.sequence_length,
                          window=self._window(dtype, x.device), center=True, return_complex=True)
        spec = spec.transpose(-2, -1)
        spec = torch.sqrt(spec.real ** 2 + spec.imag ** 2) ** self.mag_exp
        mel = linear_to_mel_weight_matrix(self.num_mel_bins, spec.shape[-1], self.sampling_rate, self.min_freq,
                                          self.max_freq).to(device=spec.device)
        out = torch.tensordot(spec, mel.to(spec.dtype), dims=1)
        if self.power_to_db:
            log_spec = 10.0 * torch.log10(torch.clamp(out, min=self.min_power))
            ref = max(abs(float(self.ref_power)), self.min_power)
            log_spec = log_spec - 10.0 * math.log10(ref)
            out = torch.maximum(log_spec, log_spec.max() - self.top_db)
        return out.transpose(-1, -2).to(self._variable_dtype)

    def compute_output_shape(self, input_shape):
        def frames(n):
            # torch.stft with centring gives 1 + n // stride frames. Keras declares
            # (n + stride + 1) // stride, the same number except when stride divides n + 1.
            return None if n is None else 1 + n // self.sequence_stride
        if len(input_shape) == 1:
            return (self.num_mel_bins, frames(input_shape[0]))
        return (input_shape[0], self.num_mel_bins, frames(input_shape[1]))

    def get_config(self):
        config = super().get_config()
        config.update(fft_length=self.fft_length, sequence_stride=self.sequence_stride,
                      sequence_length=self.sequence_length, window=self.window, sampling_rate=self.sampling_rate,
                      num_mel_bins=self.num_mel_bins, min_freq=self.min_freq, max_freq=self.max_freq,
                      power_to_db=self.power_to_db, top_db=self.top_db, mag_exp=self.mag_exp,
                      min_power=self.min_power, ref_power=self.ref_power)
        return config
