"""Reading TensorFlow checkpoints (`prefix.index` + `prefix.data-0000N-of-0000M`), the format
tf.keras 2 wrote for `model.save_weights("ckpt")` and `ModelCheckpoint("cp.ckpt",
save_weights_only=True)`.

The index is a LevelDB-style table mapping each tensor's checkpoint key
(`layer_with_weights-0/kernel/.ATTRIBUTES/VARIABLE_VALUE`) to a small protobuf record (dtype,
shape, shard, offset, size); the data files hold the raw little-endian values. This module
parses both with the standard library and numpy, reads numeric tensors only (string tensors such
as the object graph are skipped), and never evaluates anything from the files.
`load_into` then pairs the keys with a model's layers the way tf.keras's object-based
checkpoints name them, and `CheckpointReader` is `tf.train.load_checkpoint`.
"""
import os
import struct

import numpy as np

__all__ = ["is_bundle", "read_bundle", "checkpoint_values", "load_into", "CheckpointReader", "list_variables"]

_MAGIC = 0xdb4775248b80fb57
_DTYPES = {1: "<f4", 2: "<f8", 3: "<i4", 4: "u1", 5: "<i2", 6: "i1", 9: "<i8", 10: "?", 17: "<u2", 19: "<f2",
           22: "<u4", 23: "<u8"}
_SUFFIX = "/.ATTRIBUTES/VARIABLE_VALUE"


class BundleError(ValueError):
    pass


def is_bundle(prefix):
    """True when `prefix.index` is a TensorFlow checkpoint index (not HDF5 or a zip)."""
    path = os.fspath(prefix) + ".index"
    try:
        with open(path, "rb") as f:
            f.seek(-8, os.SEEK_END)
            return struct.unpack("<Q", f.read(8))[0] == _MAGIC
    except OSError:
        return False


def _varint(buf, pos):
    result = shift = 0
    while True:
        if pos >= len(buf):
            raise BundleError("truncated varint")
        byte = buf[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, pos
        shift += 7


def protobuf_fields(buf):
    """A protobuf message as {field number: [values]} (varints as ints, others as bytes)."""
    out, pos = {}, 0
    while pos < len(buf):
        tag, pos = _varint(buf, pos)
        number, wire = tag >> 3, tag & 7
        if wire == 0:
            value, pos = _varint(buf, pos)
        elif wire == 1:
            value, pos = buf[pos:pos + 8], pos + 8
        elif wire == 2:
            size, pos = _varint(buf, pos)
            value, pos = buf[pos:pos + size], pos + size
        elif wire == 5:
            value, pos = buf[pos:pos + 4], pos + 4
        else:
            raise BundleError(f"unsupported protobuf wire type {wire}")
        out.setdefault(number, []).append(value)
    return out


def _block(data, offset, size):
    if data[offset + size] != 0:
        raise BundleError("compressed checkpoint index blocks are not supported")
    contents = data[offset:offset + size]
    restarts = struct.unpack("<I", contents[-4:])[0]
    end, pos, key, entries = len(contents) - 4 - 4 * restarts, 0, b"", []
    while pos < end:
        shared, pos = _varint(contents, pos)
        unshared, pos = _varint(contents, pos)
        size_value, pos = _varint(contents, pos)
        key = key[:shared] + contents[pos:pos + unshared]
        pos += unshared
        entries.append((key, contents[pos:pos + size_value]))
        pos += size_value
    return entries


def _entries(index):
    footer = index[-48:]
    _, pos = _varint(footer, 0)  # metaindex handle: offset, size
    _, pos = _varint(footer, pos)
    index_offset, pos = _varint(footer, pos)
    index_size, pos = _varint(footer, pos)
    for _, handle in _block(index, index_offset, index_size):
        offset, pos = _varint(handle, 0)
        size, _ = _varint(handle, pos)
        yield from _block(index, offset, size)


def read_bundle(prefix):
    """{checkpoint key: numpy array} of the numeric tensors of the checkpoint at `prefix`."""
    prefix = os.fspath(prefix)
    with open(prefix + ".index", "rb") as f:
        index = f.read()
    if len(index) < 48 or struct.unpack("<Q", index[-8:])[0] != _MAGIC:
        raise BundleError(f"'{prefix}.index' is not a TensorFlow checkpoint index")
    shards, records = 1, []
    for key, value in _entries(index):
        if key == b"":
            shards = protobuf_fields(value).get(1, [1])[0]  # BundleHeaderProto.num_shards
        else:
            records.append((key.decode("utf8"), protobuf_fields(value)))
    out, files = {}, {}
    try:
        for key, record in records:
            dtype = _DTYPES.get(record.get(1, [0])[0])
            if dtype is None or 7 in record:  # strings (the object graph), bfloat16, sliced tensors
                continue
            dims = protobuf_fields(record.get(2, [b""])[0]).get(2, [])  # TensorShapeProto.dim
            shape = [protobuf_fields(dim).get(1, [0])[0] for dim in dims]
            shard, offset, size = (record.get(n, [0])[0] for n in (3, 4, 5))
            if shard not in files:
                files[shard] = open(f"{prefix}.data-{shard:05d}-of-{shards:05d}", "rb")
            files[shard].seek(offset)
            raw = files[shard].read(size)
            if len(raw) != size:
                raise BundleError(f"'{key}': the data file is shorter than its index says")
            out[key] = np.frombuffer(raw, dtype=dtype).reshape(shape).copy()
    finally:
        for f in files.values():
            f.close()
    return out


def checkpoint_values(prefix):
    """The variables of a tf.keras object-based checkpoint: {object path: array}, the path
    without the `/.ATTRIBUTES/VARIABLE_VALUE` tail (`layer_with_weights-0/kernel`)."""
    return {k[:-len(_SUFFIX)]: v for k, v in read_bundle(prefix).items() if k.endswith(_SUFFIX)}


def load_into(model, values, filepath):
    """Give `model` the weights of a tf.keras object-based checkpoint ({object path: array}, from
    `checkpoint_values`). Graph models name their layers `layer_with_weights-<i>` (the i-th layer
    that has weights), subclassed models by attribute; within a layer a weight is the entry
    named like it (`kernel`, `cell/kernel`, `forward_layer/cell/kernel`). Returns (checkpoint
    layers left over, model layers left without values), as tf.keras's load status reports them.
    The optimizer's slots are not read."""
    values = {k: v for k, v in values.items() if not k.startswith(("optimizer/", "save_counter"))}
    used, unpaired = set(), []
    _load_container(model, values, "", used, unpaired, filepath)
    left = sorted({k.split("/")[0] for k in values if k not in used})
    return left, unpaired


def _children(prefix, values):
    return {k[len(prefix):]: k for k in values if k.startswith(prefix)}


def _load_container(model, values, prefix, used, unpaired, filepath):
    from keraslite.layers.layer import Layer
    from keraslite.saving.weights import legacy_weights, unique_layers

    # The layers tf.keras numbered layer_with_weights-<i>, as read_legacy_group pairs them.
    layers = [l for l in unique_layers(getattr(model, "layers", [])) if legacy_weights(l)]
    if any(k.startswith(prefix + "layer_with_weights-") for k in values):
        for i, layer in enumerate(layers):
            sub = prefix + f"layer_with_weights-{i}/"
            if not _children(sub, values):
                unpaired.append(layer.name)
                continue
            _load_layer(layer, values, sub, used, unpaired, filepath)
        return
    # A subclassed model: its attributes.
    for name, child in vars(model).get("_modules", {}).items():
        if isinstance(child, Layer) and child.weights and _children(f"{prefix}{name}/", values):
            _load_layer(child, values, f"{prefix}{name}/", used, unpaired, filepath)
    _load_own(model, values, prefix, used, filepath, own_only=True)


def _load_layer(layer, values, prefix, used, unpaired, filepath):
    if getattr(layer, "layers", None) and any(k.startswith(prefix + "layer_with_weights-") for k in values):
        return _load_container(layer, values, prefix, used, unpaired, filepath)
    if not _load_own(layer, values, prefix, used, filepath):
        unpaired.append(layer.name)


# Keras 3 names that tf.keras 2 checkpoints spell otherwise.
_KERAS2_NAMES = {"kernel": ("depthwise_kernel",)}


def _words(path):
    return [w for part in path.split("/") for w in part.strip("_").split("_") if w]


def _load_own(layer, values, prefix, used, filepath, own_only=False):
    """Assign each weight of `layer` (or only those it owns directly) the entry under `prefix`
    that ends in its name, preferring the entry whose path shares most with the weight's."""
    from keraslite.saving.weights import assign_keras, legacy_weights

    weights = list(getattr(layer, "_variables", [])) if own_only else legacy_weights(layer)
    entries = _children(prefix, values)
    found = 0
    for weight in weights:
        path = (getattr(weight, "path", None) or weight.name).split(":")[0]
        if path.startswith(layer.name + "/"):
            path = path[len(layer.name) + 1:]
        name = path.split("/")[-1]
        names = (name,) + _KERAS2_NAMES.get(name, ())
        candidates = [rel for rel in entries if entries[rel] not in used
                      and any(rel == n or rel.endswith("/" + n) for n in names)]
        if not candidates:
            continue
        # Several (a Bidirectional's two cells, MultiHeadAttention's four projections): the one
        # whose sublayer names share most words with the weight's path.
        words = set(_words(path))
        rel = max(candidates, key=lambda r: (len(words & set(_words(r.rsplit("/", 1)[0]))) if "/" in r else 0,
                                             -len(r)))
        assign_keras(weight, values[entries[rel]], f"Layer '{layer.name}' (checkpoint '{filepath}')")
        used.add(entries[rel])
        found += 1
    return found == len(weights) and found > 0


class CheckpointReader:
    """`tf.train.load_checkpoint(path)`: the numeric tensors of a TensorFlow checkpoint by key."""

    def __init__(self, prefix):
        prefix = os.fspath(prefix)
        if os.path.isdir(prefix):
            from keraslite.saving import checkpoint_state

            latest = checkpoint_state.latest(prefix)
            if latest is None:
                raise ValueError(f"No checkpoint found in the folder '{prefix}' (no 'checkpoint' state file).")
            prefix = latest
        if not is_bundle(prefix):
            raise ValueError(f"'{prefix}' is not a TensorFlow checkpoint (no '{prefix}.index' of that format). "
                             "keraslite reads the checkpoints TensorFlow wrote; its own tf.train.Checkpoint files "
                             "are HDF5 (open them with h5py, or restore them with tf.train.Checkpoint).")
        self._values = read_bundle(prefix)

    def get_tensor(self, name):
        if name not in self._values:
            raise KeyError(f"'{name}' is not a numeric tensor of this checkpoint. Keys: {sorted(self._values)[:8]} ...")
        return self._values[name].copy()

    def has_tensor(self, name):
        return name in self._values

    def get_variable_to_shape_map(self):
        return {k: list(v.shape) for k, v in self._values.items()}

    def get_variable_to_dtype_map(self):
        from keraslite.compat.tensorflow_shim import as_dtype

        return {k: as_dtype(v.dtype.name) for k, v in self._values.items()}


def list_variables(prefix):
    """`tf.train.list_variables(path)`: [(key, shape)] sorted by key."""
    return sorted((k, list(v)) for k, v in CheckpointReader(prefix).get_variable_to_shape_map().items())
