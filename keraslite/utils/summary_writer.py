"""TensorBoard event files, written without TensorFlow or the `tensorboard` package.

The TensorBoard callback and the tf shim's `tf.summary` write through `SummaryWriter`. A log
directory gets one `events.out.tfevents.*` file: TFRecord framing (length, masked CRC-32C,
payload, masked CRC-32C) around serialized `Event` protocol buffers. The few messages needed
are encoded here by hand:

    Event         wall_time=1 (double)  step=2 (int64)  file_version=3 (string)  summary=5
    Summary       value=1 (repeated Value)
    Value         tag=1  simple_value=2 (float)  image=4  histo=5  tensor=8  metadata=9
    Image         height=1  width=2  colorspace=3  encoded_image_string=4 (PNG)
    HistogramProto min=1 max=2 num=3 sum=4 sum_squares=5 bucket_limit=6 bucket=7 (packed doubles)
    TensorProto   dtype=1 (7: string)  tensor_shape=2  string_val=8      (text summaries)
    SummaryMetadata plugin_data=1 { plugin_name=1  content=2 }

Scalars, histograms, images and text: what Keras's TensorBoard callback and `tf.summary` write.
"""
import os
import socket
import struct
import threading
import time
import zlib

import numpy as np

__all__ = ["SummaryWriter", "crc32c"]


# ----------------------------------------------------------------------------- CRC-32C

def _crc_table():
    table = []
    for n in range(256):
        c = n
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        table.append(c)
    return table


_TABLE = _crc_table()


def crc32c(data):
    """CRC-32C (Castagnoli), as TFRecord files use."""
    crc = 0xFFFFFFFF
    table = _TABLE
    for byte in data:
        crc = table[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def _masked_crc(data):
    crc = crc32c(data)
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def _record(payload):
    header = struct.pack("<Q", len(payload))
    return header + struct.pack("<I", _masked_crc(header)) + payload + struct.pack("<I", _masked_crc(payload))


# ----------------------------------------------------------------------------- protobuf encoding

def _varint(value):
    value &= (1 << 64) - 1  # negative int64 values take ten bytes, as protobuf writes them
    out = bytearray()
    while True:
        bits = value & 0x7F
        value >>= 7
        if value:
            out.append(bits | 0x80)
        else:
            out.append(bits)
            return bytes(out)


def _key(field, wire):
    return _varint((field << 3) | wire)


def _int(field, value):
    return _key(field, 0) + _varint(int(value))


def _double(field, value):
    return _key(field, 1) + struct.pack("<d", float(value))


def _float(field, value):
    return _key(field, 5) + struct.pack("<f", float(value))


def _bytes(field, value):
    if isinstance(value, str):
        value = value.encode("utf-8")
    return _key(field, 2) + _varint(len(value)) + value


def _packed_doubles(field, values):
    return _bytes(field, struct.pack(f"<{len(values)}d", *values))


def _event(step, summary_value=None, file_version=None):
    out = _double(1, time.time()) + _int(2, step)
    if file_version is not None:
        out += _bytes(3, file_version)
    if summary_value is not None:
        out += _bytes(5, _bytes(1, summary_value))  # Summary{value: [summary_value]}
    return out


# ----------------------------------------------------------------------------- summaries

def _histogram(values, bins=30):
    values = np.asarray(values, dtype=np.float64).reshape(-1)
    values = values[np.isfinite(values)]
    if values.size == 0:
        return _double(1, 0) + _double(2, 0) + _double(3, 0) + _double(4, 0) + _double(5, 0)
    low, high = float(values.min()), float(values.max())
    counts, edges = np.histogram(values, bins=bins if high > low else 1,
                                 range=(low, high) if high > low else (low - 0.5, low + 0.5))
    return (_double(1, low) + _double(2, high) + _double(3, values.size) + _double(4, values.sum())
            + _double(5, float(np.dot(values, values))) + _packed_doubles(6, edges[1:].tolist())
            + _packed_doubles(7, counts.astype(np.float64).tolist()))


def _png(image):
    """PNG bytes of an (H, W, C) uint8 image with C in 1 (grey), 3 (RGB) or 4 (RGBA)."""
    height, width, channels = image.shape
    color = {1: 0, 3: 2, 4: 6}[channels]
    rows = b"".join(b"\x00" + image[y].tobytes() for y in range(height))  # filter 0 on every row

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, color, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows, 6)) + chunk(b"IEND", b""))


def _as_uint8_images(images, dataformats):
    images = np.asarray(images)
    if dataformats == "NCHW":
        images = images.transpose(0, 2, 3, 1)
    elif dataformats == "HWC":
        images = images[None]
    elif dataformats == "CHW":
        images = images.transpose(1, 2, 0)[None]
    elif dataformats == "HW":
        images = images[None, :, :, None]
    if images.ndim == 3:  # (N, H, W): grey
        images = images[..., None]
    if images.dtype != np.uint8:
        # Floats are in [0, 1], as tf.summary.image takes them.
        images = (np.clip(images.astype(np.float64), 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)
    if images.shape[-1] == 2:
        raise ValueError(f"An image summary needs 1, 3 or 4 channels; received images of shape {images.shape}.")
    return images


# ----------------------------------------------------------------------------- writer

class SummaryWriter:
    """Writes scalars, histograms, images and text for TensorBoard into `log_dir`. The method
    names and arguments are those of torch.utils.tensorboard.SummaryWriter."""

    def __init__(self, log_dir="runs", filename_suffix=""):
        self.log_dir = os.fspath(log_dir)
        os.makedirs(self.log_dir, exist_ok=True)
        name = f"events.out.tfevents.{int(time.time())}.{socket.gethostname()}.{os.getpid()}.{id(self)}" \
               f"{filename_suffix}"
        self.path = os.path.join(self.log_dir, name)
        self._file = open(self.path, "ab")
        self._lock = threading.Lock()
        self._write(_event(0, file_version="brain.Event:2"))

    def _write(self, event):
        with self._lock:
            if self._file is None:
                raise ValueError(f"This SummaryWriter ({self.path}) is closed.")
            self._file.write(_record(event))

    def _value(self, step, value):
        self._write(_event(0 if step is None else int(step), summary_value=value))

    def add_scalar(self, tag, scalar_value, global_step=None, walltime=None):
        self._value(global_step, _bytes(1, tag) + _float(2, float(np.asarray(scalar_value, dtype=np.float64))))

    def add_histogram(self, tag, values, global_step=None, bins=30, walltime=None):
        bins = bins if isinstance(bins, int) else 30
        self._value(global_step, _bytes(1, tag) + _bytes(5, _histogram(values, bins)))

    def add_images(self, tag, img_tensor, global_step=None, walltime=None, dataformats="NCHW"):
        images = _as_uint8_images(img_tensor, dataformats)
        for i, image in enumerate(images):
            name = tag if len(images) == 1 else f"{tag}/image/{i}"
            encoded = _int(1, image.shape[0]) + _int(2, image.shape[1]) + _int(3, image.shape[2]) \
                + _bytes(4, _png(np.ascontiguousarray(image)))
            self._value(global_step, _bytes(1, name) + _bytes(4, encoded))

    def add_image(self, tag, img_tensor, global_step=None, walltime=None, dataformats="CHW"):
        self.add_images(tag, img_tensor, global_step, walltime, dataformats)

    def add_text(self, tag, text_string, global_step=None, walltime=None):
        tensor = _int(1, 7) + _bytes(2, b"") + _bytes(8, str(text_string))  # DT_STRING scalar
        metadata = _bytes(1, _bytes(1, "text"))  # plugin_data{plugin_name: "text"}
        self._value(global_step, _bytes(1, tag) + _bytes(8, tensor) + _bytes(9, metadata))

    def flush(self):
        with self._lock:
            if self._file is not None:
                self._file.flush()

    def close(self):
        with self._lock:
            if self._file is not None:
                self._file.close()
                self._file = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False
