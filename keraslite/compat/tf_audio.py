"""`tf.audio`: WAV files to float32 sample arrays and back, as TensorFlow's speech tutorials
read them (`tf.audio.decode_wav(tf.io.read_file(path))`).

Owns: decode_wav / encode_wav on PCM WAV bytes (8-, 16-, 24- and 32-bit integer samples),
with Python's `wave` module. `tf.io.read_file` gives the file's bytes (see tf_image).
"""
import io as _io
import wave

import numpy as np
import torch

from keraslite.compat.tf_image import file_bytes
from keraslite.compat.tf_namespace import TFNamespace

__all__ = ["audio", "decode_wav", "encode_wav"]


def _samples(frames, width):
    """Integer PCM frames -> float32 in [-1, 1): 8-bit WAV is unsigned, wider is signed."""
    if width == 1:
        return (np.frombuffer(frames, np.uint8).astype(np.float32) - 128.0) / 128.0
    if width == 3:
        raw = np.frombuffer(frames, np.uint8).reshape(-1, 3)
        values = (raw[:, 0].astype(np.int32) | (raw[:, 1].astype(np.int32) << 8)
                  | (raw[:, 2].astype(np.int32) << 16))
        values = np.where(values >= 1 << 23, values - (1 << 24), values)
        return values.astype(np.float32) / float(1 << 23)
    dtype = {2: "<i2", 4: "<i4"}[width]
    return np.frombuffer(frames, dtype).astype(np.float32) / float(1 << (8 * width - 1))


def decode_wav(contents, desired_channels=-1, desired_samples=-1, name=None):
    """(audio, sample_rate): float32 samples of shape (samples, channels) scaled to [-1, 1),
    and the rate as an int32 scalar. `desired_channels` keeps the first channels (a mono
    file is repeated to fill more); `desired_samples` cuts or zero-pads the length."""
    try:
        with wave.open(_io.BytesIO(file_bytes(contents, "audio.decode_wav")), "rb") as reader:
            channels, width, rate = reader.getnchannels(), reader.getsampwidth(), reader.getframerate()
            frames = reader.readframes(reader.getnframes())
    except (wave.Error, EOFError) as e:
        raise ValueError(f"tf.audio.decode_wav: the contents are not a PCM WAV file ({e}).") from None
    if width not in (1, 2, 3, 4):
        raise ValueError(f"tf.audio.decode_wav: {8 * width}-bit samples are not supported; expected 8, 16, 24 or "
                         "32-bit integer PCM.")
    audio = _samples(frames, width).reshape(-1, channels)
    if desired_channels is not None and desired_channels > 0 and desired_channels != channels:
        if channels == 1:
            audio = np.repeat(audio, desired_channels, axis=1)
        elif desired_channels < channels:
            audio = audio[:, :desired_channels]
        else:
            raise ValueError(f"tf.audio.decode_wav: cannot make {desired_channels} channels from a file of "
                             f"{channels}; only a mono file can be repeated into more channels.")
    if desired_samples is not None and desired_samples >= 0:
        if len(audio) >= desired_samples:
            audio = audio[:desired_samples]
        else:
            audio = np.concatenate([audio, np.zeros((desired_samples - len(audio), audio.shape[1]), np.float32)])
    return torch.from_numpy(np.ascontiguousarray(audio)), torch.tensor(rate, dtype=torch.int32)


def encode_wav(audio, sample_rate, name=None):
    """16-bit PCM WAV bytes of float samples (samples, channels) in [-1, 1]."""
    values = audio.detach().cpu().numpy() if isinstance(audio, torch.Tensor) else np.asarray(audio)
    if values.ndim != 2:
        raise ValueError(f"tf.audio.encode_wav: audio must be 2-D (samples, channels); received shape "
                         f"{values.shape}.")
    pcm = np.clip(np.round(values.astype(np.float64) * 32768.0), -32768, 32767).astype("<i2")
    buffer = _io.BytesIO()
    with wave.open(buffer, "wb") as writer:
        writer.setnchannels(values.shape[1])
        writer.setsampwidth(2)
        writer.setframerate(int(sample_rate))
        writer.writeframes(pcm.tobytes())
    return buffer.getvalue()


audio = TFNamespace("tensorflow.audio", decode_wav=decode_wav, encode_wav=encode_wav)
