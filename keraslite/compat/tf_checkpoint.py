"""`tf.train.Checkpoint`, `tf.train.CheckpointManager` and `tf.saved_model` for the tensorflow shim.

TensorFlow tutorials (DCGAN, pix2pix, translation) keep their models, optimizers and counters
in a Checkpoint and save/restore it by prefix:

    checkpoint = tf.train.Checkpoint(generator_optimizer=g_opt, generator=generator, ...)
    checkpoint.save(file_prefix=os.path.join(checkpoint_dir, "ckpt"))     # -> ".../ckpt-1"
    checkpoint.restore(tf.train.latest_checkpoint(checkpoint_dir))

Owns the file (one HDF5 file per save, at the path `save()` returns, written atomically;
a group per named object holding its values in Keras order: a layer's or model's
`get_weights()`, an optimizer's variables, a variable's value, a nested Checkpoint's own
groups; for a layer or model also which sublayer made each value) and the `checkpoint` state
file next to it (through saving.checkpoint_state, which `tf.train.latest_checkpoint` reads).
Nothing in the file is executed on restore; it holds arrays only. What has no variables yet
when restored takes its values as they are created, as in TensorFlow: an optimizer when its
first step builds the slots (its step count at once), a layer or subclassed model sublayer by
sublayer as their build() makes the weights, so its first call already computes with them.
`tf.saved_model.save/load` store a Keras model as an unzipped '.keras' directory (no code, so
other tf.Modules are refused). Leaves to others: the weights themselves (Layer / Optimizer
get_weights/set_weights, and Layer's build wrapper, which applies values waiting for a build).
"""
import os

import numpy as np
import torch

from keraslite.saving import checkpoint_state
from keraslite.saving.weights import KerasFileError, atomic_write

__all__ = ["Checkpoint", "CheckpointManager", "saved_model_save", "saved_model_load"]

_FORMAT = "keraslite.tf.train.Checkpoint"


def _kind(obj):
    from keraslite.layers.layer import Layer
    from keraslite.optimizers.base import Optimizer

    if isinstance(obj, Checkpoint):
        return "checkpoint"
    if isinstance(obj, Layer):
        return "layer"
    if isinstance(obj, Optimizer):
        return "optimizer"
    if isinstance(obj, torch.Tensor):
        return "variable"
    return None


class Checkpoint:
    """Groups trackable objects (models, layers, optimizers, variables, other Checkpoints)
    under names, to save and restore them together."""

    def __init__(self, root=None, **kwargs):
        from keraslite.compat.tf_autodiff import Variable

        objects = dict(kwargs)
        if root is not None:
            objects["root"] = root
        for name, obj in objects.items():
            if _kind(obj) is None:
                raise ValueError(f"tf.train.Checkpoint: '{name}' is a {type(obj).__name__}, which cannot be "
                                 "checkpointed. Pass models, layers, optimizers, tf.Variables or Checkpoints.")
        self._objects = objects
        self.save_counter = Variable(0, trainable=False, dtype="int64", name="save_counter")

    def __getattr__(self, name):
        objects = self.__dict__.get("_objects", {})
        if name in objects:
            return objects[name]
        raise AttributeError(f"'Checkpoint' object has no attribute '{name}'")

    # ------------------------------------------------------------------ writing

    def save(self, file_prefix, options=None):
        """Write `{file_prefix}-{n}` (n counts the saves) and note it as the folder's latest."""
        with torch.no_grad():
            self.save_counter.add_(1)
        path = f"{os.fspath(file_prefix)}-{int(self.save_counter)}"
        self.write(path)
        checkpoint_state.record(path)
        return path

    def write(self, file_prefix, options=None):
        """Write exactly `file_prefix` (no counter, no state file)."""
        import h5py

        path = os.fspath(file_prefix)
        with atomic_write(path) as tmp:
            with h5py.File(tmp, "w") as f:
                f.attrs["format"] = _FORMAT
                self._write_group(f)
        return path

    def _write_group(self, group):
        group.attrs["save_counter"] = int(self.save_counter)
        for name, obj in self._objects.items():
            sub = group.create_group(name)
            kind = _kind(obj)
            sub.attrs["kind"] = kind
            if kind == "checkpoint":
                obj._write_group(sub)
                continue
            for i, value in enumerate(_values_of(obj, kind)):
                sub.create_dataset(str(i), data=value)
            if kind == "layer":
                sub.attrs["owners"] = _owners(obj)

    # ------------------------------------------------------------------ reading

    def restore(self, save_path, options=None):
        """Assign the values saved at `save_path` (None restores nothing, as in TensorFlow)."""
        if save_path is None:
            return LoadStatus([], list(self._objects))
        return self.read(save_path)

    def read(self, save_path, options=None):
        import h5py

        path = os.fspath(save_path)
        if not os.path.isfile(path):
            hint = (" (a TensorFlow checkpoint, which keraslite cannot read)" if os.path.exists(path + ".index")
                    else "")
            raise FileNotFoundError(f"tf.train.Checkpoint.restore: no checkpoint file at '{path}'{hint}. Pass the "
                                    "path that save() returned or tf.train.latest_checkpoint(directory) gives.")
        with h5py.File(path, "r") as f:
            if f.attrs.get("format") != _FORMAT:
                raise KerasFileError(f"'{path}' is not a checkpoint written by tf.train.Checkpoint.save(); to load "
                                     "model weights from it use model.load_weights(path).")
            unused, missing = self._read_group(f, "")
        return LoadStatus(unused, missing)

    def _read_group(self, group, prefix):
        unused = [prefix + name for name in group if name not in self._objects]
        missing = []
        with torch.no_grad():
            self.save_counter.fill_(int(group.attrs.get("save_counter", 0)))
        for name, obj in self._objects.items():
            if name not in group:
                missing.append(prefix + name)
                continue
            sub, kind = group[name], _kind(obj)
            if sub.attrs.get("kind") != kind:
                raise KerasFileError(f"tf.train.Checkpoint.restore: '{prefix + name}' was saved as a "
                                     f"{sub.attrs.get('kind')}, but this Checkpoint holds a {kind} under that name.")
            if kind == "checkpoint":
                more_unused, more_missing = obj._read_group(sub, prefix + name + "/")
                unused += more_unused
                missing += more_missing
                continue
            values = [np.asarray(sub[str(i)]) for i in range(len(sub))]
            owners = [str(o) for o in sub.attrs["owners"]] if "owners" in sub.attrs else None
            _assign(obj, kind, values, prefix + name, owners)
        return unused, missing


def _values_of(obj, kind):
    if kind == "variable":
        return [obj.detach().cpu().numpy()]
    if kind == "optimizer" and not obj.built:
        return []  # nothing to save before the first step, as in TensorFlow
    return obj.get_weights()


def _owners(layer):
    """For each of `layer`'s weights (Keras order), the attribute path of the sublayer that
    created it ("" for `layer` itself): what restoring into a layer without weights yet needs."""
    from keraslite.layers.layer import Layer

    owner = {}
    for path, module in layer.named_modules():
        if isinstance(module, Layer):
            for v in module._variables:
                owner.setdefault(id(v), path)
    return [owner.get(id(v), "") for v in layer.weights]


def _defer(obj, values, name, owners):
    """Restore-on-create, as TensorFlow does for a model whose variables do not exist yet
    (a subclassed model restored before its first call): each sublayer that will create
    weights gets its saved values, which it takes as soon as its build() has made them. Needs
    the owners the checkpoint recorded, and sublayers whose build() creates their weights."""
    from keraslite.layers.layer import Layer

    def refuse(why):
        raise ValueError(f"tf.train.Checkpoint.restore: '{name}' ({obj.name}) has no weights yet and {why}. Build "
                         "it first (call it once on a batch, or model.build(input_shape)), then restore.")

    if owners is None or len(owners) != len(values):
        refuse("the checkpoint does not say which of its layers each value belongs to (saved by an older "
               "keraslite)")
    groups = {}
    for owner, value in zip(owners, values):
        groups.setdefault(owner, []).append(value)
    modules = dict(obj.named_modules())
    plan = []
    for path, group in groups.items():
        layer = modules.get(path)
        shown = path or "the top level"
        if not isinstance(layer, Layer):
            refuse(f"holds no layer at '{shown}', where the checkpoint has weights (is it the same architecture?)")
        if any(other != path and (not path or other.startswith(path + ".")) for other in groups):
            refuse(f"its layer at '{shown}' creates weights and holds sublayers that do too")
        if not getattr(type(layer).build, "_marks_built", False):
            refuse(f"its layer at '{shown}' creates its weights outside build()")
        plan.append((layer, group))
    for layer, group in plan:
        layer._initial_weights = group  # set_weights() right after its build() (Layer's build wrapper)


def _assign(obj, kind, values, name, owners=None):
    if kind == "variable":
        if tuple(values[0].shape) != tuple(obj.shape):
            raise ValueError(f"tf.train.Checkpoint.restore: variable '{name}' has shape {tuple(obj.shape)}, the "
                             f"checkpoint holds {tuple(values[0].shape)}.")
        with torch.no_grad():
            obj.copy_(torch.as_tensor(values[0], dtype=obj.dtype))
        return
    if kind == "optimizer":
        if not values:
            return
        if not obj.built:
            obj._pending_weights = values  # applied when its first step builds the slots
            obj._iterations = int(values[0])  # the step count, as TensorFlow, restored at once
            return
        obj.set_weights(values)
        return
    if values and not obj.weights:
        _defer(obj, values, name, owners)
        return
    obj.set_weights(values)


class LoadStatus:
    """What restore() returns: checks of how the checkpoint and the objects matched."""

    def __init__(self, unused, missing):
        self._unused, self._missing = list(unused), list(missing)

    def assert_consumed(self):
        if self._unused or self._missing:
            raise AssertionError(f"Checkpoint not fully consumed: saved but not restored {self._unused}; "
                                 f"not found in the checkpoint {self._missing}.")
        return self

    def assert_existing_objects_matched(self):
        if self._missing:
            raise AssertionError(f"Objects not found in the checkpoint: {self._missing}.")
        return self

    def assert_nontrivial_match(self):
        return self

    def expect_partial(self):
        return self


class CheckpointManager:
    """Numbered saves of a Checkpoint in one folder, keeping the newest `max_to_keep`."""

    def __init__(self, checkpoint, directory, max_to_keep, keep_checkpoint_every_n_hours=None,
                 checkpoint_name="ckpt", step_counter=None, checkpoint_interval=None, init_fn=None):
        self._checkpoint = checkpoint
        self.directory = os.fspath(directory)
        self.max_to_keep = max_to_keep
        self._prefix = os.path.join(self.directory, checkpoint_name)
        os.makedirs(self.directory, exist_ok=True)
        self._checkpoints = []
        latest = checkpoint_state.latest(self.directory)
        if latest is not None:
            self._checkpoints = [p for p in checkpoint_state.every(self.directory) if os.path.exists(p)]

    @property
    def latest_checkpoint(self):
        return self._checkpoints[-1] if self._checkpoints else None

    @property
    def checkpoints(self):
        return list(self._checkpoints)

    def save(self, checkpoint_number=None, check_interval=True, options=None):
        if checkpoint_number is None:
            path = self._checkpoint.save(self._prefix)
        else:
            path = self._checkpoint.write(f"{self._prefix}-{int(checkpoint_number)}")
            checkpoint_state.record(path)
        self._checkpoints = [p for p in self._checkpoints if p != path] + [path]
        if self.max_to_keep is not None:
            while len(self._checkpoints) > self.max_to_keep:
                old = self._checkpoints.pop(0)
                if os.path.isfile(old):
                    os.remove(old)
            checkpoint_state.keep_only(path, self._checkpoints)
        return path

    def restore_or_initialize(self):
        if self.latest_checkpoint is not None:
            self._checkpoint.restore(self.latest_checkpoint)
            return self.latest_checkpoint
        return None


# ----------------------------------------------------------------------------- tf.saved_model

def saved_model_save(obj, export_dir, signatures=None, options=None):
    """`tf.saved_model.save(model, export_dir)`: a Keras model or layer is written as an unzipped
    '.keras' directory (its config and weights, no code), which `tf.saved_model.load` and
    `keras.models.load_model` read back. Other objects (a tf.Module whose methods are the
    program's own code) cannot be stored without their code."""
    from keraslite.layers.layer import Layer
    from keraslite.saving import keras_format

    if not isinstance(obj, Layer):
        raise TypeError(f"tf.saved_model.save: cannot save a {type(obj).__name__}. keraslite stores Keras models "
                        "and layers (config and weights, never code); save the model itself, e.g. "
                        "tf.saved_model.save(model, path) or model.save('name.keras'), and rebuild any wrapper "
                        "object around it after loading.")
    keras_format.save_model_dir(obj, os.fspath(export_dir))


def saved_model_load(export_dir, tags=None, options=None):
    """`tf.saved_model.load(export_dir)`: the saved model, callable as before, with TensorFlow's
    `signatures["serving_default"]` (keyword inputs by input name -> dict of outputs by name)."""
    from keraslite.saving import load_model

    model = load_model(os.fspath(export_dir), compile=False)
    model.signatures = {"serving_default": _ServingFunction(model)}
    return model


class _ServingFunction:
    def __init__(self, model):
        self._model = model

    def __call__(self, *args, **kwargs):
        model = self._model
        if args and not kwargs:
            inputs = args[0] if len(args) == 1 else list(args)
        else:
            names = [getattr(t, "name", None) for t in getattr(model, "inputs", None) or []]
            inputs = [kwargs[n] for n in names] if names and all(n in kwargs for n in names) else list(kwargs.values())
            inputs = inputs[0] if len(inputs) == 1 else inputs
        with torch.no_grad():
            outputs = model(inputs)
        # TensorFlow keys a Keras model's outputs by the names of the layers that give them.
        names = list(getattr(model, "output_names", None) or [model.layers[-1].name] if model.layers else [])
        flat = outputs if isinstance(outputs, (list, tuple)) else [outputs]
        if isinstance(outputs, dict):
            return dict(outputs)
        if len(names) != len(flat):
            names = ["output_0"] if len(flat) == 1 else [f"output_{i}" for i in range(len(flat))]
        return dict(zip(names, flat))
