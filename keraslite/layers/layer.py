"""The Layer base class and the Variable it creates.

Owns: lazy building (in `__call__`, the only place), weight creation (`add_weight`), the
Keras view of weights (`weights`, `get_weights`/`set_weights` in Keras layout), config
(`get_config`/`from_config`), default names, input-shape arguments (`input_shape`,
`input_dim`, `batch_input_shape`, `batch_size`), `losses` from regularizers and `add_loss`,
and mask passing between layers.

Leaves to others: the math (each subclass's `call`), graph building for symbolic inputs
(`keraslite.models.functional`), training (`keraslite.training`) and files
(`keraslite.saving`, which reads and writes weights through the same Keras-layout methods).

Weights live in whatever layout makes the torch call fastest. Each Variable carries a
`Layout` that converts between its storage and the Keras layout; get/set_weights, files and
constraints all go through it, and nothing else converts.
"""
import copy
import functools
import inspect
import sys

import numpy as np
import torch
from torch import nn
from torch.nn.modules import module as _torch_module
from torch._subclasses.fake_tensor import unset_fake_temporarily

from keraslite import backend, constraints as constraints_mod, initializers, mixed_precision, regularizers as regularizers_mod
from keraslite.compat.numpy_operands import operand_for
from keraslite.layers.input_spec import assert_input_compatibility
from keraslite.layers.keras_tensor import KerasTensor, ShapeTuple
from keraslite.utils import rng


# ----------------------------------------------------------------------------- layouts

class Layout:
    """Keras layout == storage layout. Subclasses convert (pure torch ops, views when possible)."""

    def to_keras(self, t):
        return t

    def from_keras(self, t):
        return t

    def keras_shape(self, shape):
        return tuple(shape)


class Permute(Layout):
    """Storage is the Keras array permuted by `perm` (e.g. Conv2D (kh,kw,in,out) -> (out,in,kh,kw))."""

    def __init__(self, perm):
        self.perm = tuple(perm)
        self.inverse = tuple(int(i) for i in np.argsort(self.perm))

    def to_keras(self, t):
        return t.permute(self.inverse)

    def from_keras(self, t):
        return t.permute(self.perm)

    def keras_shape(self, shape):
        return tuple(shape[i] for i in self.inverse)


def copy_into(dst, src):
    """`dst.copy_(src)`, fast between two memory orders of one array (a kernel's Keras layout and
    its storage). Torch copies a permuted source element by element, but a 2-D transpose in
    cache-sized blocks, several times faster on a large kernel; where the two orders are one
    group of axes swapped with another (a conv kernel and its storage always are), the copy is
    made as that transpose. Returns `dst`."""
    if src.device == dst.device and src.untyped_storage().data_ptr() == dst.untyped_storage().data_ptr() and (
            src.stride() != dst.stride() or src.storage_offset() != dst.storage_offset()):
        src = src.clone()  # a view of dst itself (`w.assign(transpose(w))`): read it all before writing
    if src.dim() > 1 and tuple(src.shape) == tuple(dst.shape) and dst.dtype == src.dtype and not (
            src.requires_grad and torch.is_grad_enabled()):
        order = sorted(range(dst.dim()), key=dst.stride, reverse=True)
        target, source = dst.detach().permute(order), src.detach().permute(order)
        if target.is_contiguous():
            n = target.dim()
            for split in range(1, n):
                swapped = source.permute(tuple(range(split, n)) + tuple(range(split)))
                if swapped.is_contiguous():
                    rows = int(np.prod(target.shape[:split]))
                    target.view(rows, -1).copy_(swapped.view(-1, rows).t())
                    return dst
    return dst.copy_(src)


IDENTITY = Layout()


# ----------------------------------------------------------------------------- variables

def _plain_torch_module(value):
    """A torch module with no Keras layer in it, other than a container (ModuleList/ModuleDict)."""
    if isinstance(value, (nn.ModuleList, nn.ModuleDict)):
        return False
    return not any(isinstance(m, Layer) for m in value.modules())


_storage_shape = torch.Tensor.shape.__get__


class Variable(nn.Parameter):
    """A torch Parameter with Keras identity: `name`, `path`, `trainable`, a `Layout`,
    and Keras-style `numpy()`/`assign()` that speak the Keras layout."""

    def __new__(cls, data=None, trainable=True, name=None, path=None, layout=IDENTITY, *, initializer=None,
                shape=None, dtype=None, autocast=True, aggregation="none", synchronization="auto"):
        if data is None:
            data = initializer
        if not isinstance(data, torch.Tensor) or dtype is not None:
            # Keras 3's `keras.Variable(initializer, shape=None, dtype=None, trainable=True, name=None)`:
            # a value (array, list, number) or an initializer (name, object or callable) with a shape.
            data = _variable_value(data, shape, dtype)
        trainable = bool(trainable) and (data.is_floating_point() or data.is_complex())
        self = torch.Tensor._make_subclass(cls, data, trainable)
        self._keras_name = name
        self._keras_path = path or name
        self._keras_trainable = trainable
        self.keras_layout = layout
        self.constraint = None
        self.regularizer = None
        return self

    def __init__(self, *args, **kwargs):
        pass  # everything happens in __new__ (a Parameter has no __init__ of its own)

    def __deepcopy__(self, memo):
        if id(self) in memo:
            return memo[id(self)]
        result = Variable(self.data.clone(memory_format=torch.preserve_format), self._keras_trainable,
                          self._keras_name, self._keras_path, self.keras_layout)
        result.requires_grad_(self.requires_grad)
        result.constraint, result.regularizer = self.constraint, self.regularizer
        memo[id(self)] = result
        return result

    def __reduce_ex__(self, proto):
        # Pickles (torch.save, multiprocessing) as a plain Parameter holding the storage.
        return nn.Parameter(self.data, self.requires_grad).__reduce_ex__(proto)

    def __repr__(self):
        try:
            value = f", value={self.numpy()}"  # as Keras shows it (numpy's repr, summarized when large)
        except Exception:  # a fake/meta tensor has no value to show
            value = ""
        return f"<Variable path={self.path}, shape={self.keras_shape}, dtype={backend.dtype_name(self.dtype)}{value}>"

    @property
    def name(self):
        return self._keras_name

    @property
    def path(self):
        return self._keras_path

    @property
    def trainable(self):
        return self._keras_trainable

    @trainable.setter
    def trainable(self, value):
        self._keras_trainable = bool(value)
        if self.is_floating_point() or self.is_complex():  # integer tensors cannot require grad
            self.requires_grad_(bool(value))

    @property
    def shape(self):
        """A program reads the Keras-layout shape, as a tuple (a Conv2D kernel's (kh, kw, in, out));
        keraslite's and torch's own code read the storage's torch.Size."""
        size = _storage_shape(self)
        if _library_caller():
            return size
        return self.keras_layout.keras_shape(size)

    @property
    def keras_shape(self):
        return self.keras_layout.keras_shape(_storage_shape(self))

    def get_shape(self):
        """The Keras-layout shape as a tf.TensorShape (Keras 2's `variable.get_shape()`)."""
        from keraslite.compat.tf_ops import TensorShape

        return TensorShape(self.keras_shape)

    @property
    def value(self):
        return self

    def keras_value(self):
        """The value in Keras layout, as a (possibly non-contiguous) torch view."""
        return self.keras_layout.to_keras(self)

    def numpy(self, *args, **kwargs):
        value = self.keras_layout.to_keras(self.detach()).cpu()
        if value.is_contiguous():
            return value.numpy().copy()
        out = np.empty(tuple(value.shape), _numpy_dtype(value.dtype))
        copy_into(torch.from_numpy(out), value)
        return out

    def _stored(self, value):
        """`value` in this variable's storage layout. A value of the Keras shape is in Keras's
        layout; one of the storage shape (where that differs) came from arithmetic on the
        variable itself (`w * 0.5`, `ops.zeros(w.shape)`) and is taken as it is."""
        value = torch.as_tensor(np.asarray(value) if not isinstance(value, torch.Tensor) else value)
        value = value.to(dtype=self.dtype, device=self.device)
        if value.dim() == 0:
            return value  # a scalar broadcasts in any layout
        if tuple(value.shape) == self.keras_shape:
            return self.keras_layout.from_keras(value)
        if tuple(value.shape) == tuple(self.shape):
            return value
        raise ValueError(f"Cannot assign a value of shape {tuple(value.shape)} to variable '{self.path}' of shape "
                         f"{self.keras_shape} (stored by keraslite as {tuple(self.shape)}). Pass an array of the "
                         "variable's Keras shape.")

    def assign(self, value):
        with torch.no_grad():
            copy_into(self, self._stored(value))
        return self

    def assign_add(self, value):
        with torch.no_grad():
            self.add_(self._stored(value))
        return self

    def __getitem__(self, key):
        """A slice, as a tensor, that also has TensorFlow's sliced-variable `assign`
        (`w[0, 0].assign(42.0)`, `w[:, 1].assign(values)`) writing into this variable. The key
        indexes the Keras layout; keraslite's own layers index a weight stored permuted (a Conv2D
        kernel, a GRU's gates) in its storage layout and get a plain slice."""
        if self.keras_layout is IDENTITY:
            out = super().__getitem__(key)
        elif _library_caller():
            return super().__getitem__(key)
        else:
            out = self.keras_value()[key]
        out.assign = _SliceAssign(self, key)
        return out

    def assign_sub(self, value):
        with torch.no_grad():
            self.sub_(self._stored(value))
        return self


@functools.lru_cache(maxsize=None)
def _numpy_dtype(dtype):
    return torch.empty(0, dtype=dtype).numpy().dtype  # a TypeError for a dtype numpy lacks, as Tensor.numpy()


class _SliceAssign:
    """`assign` of a slice of a Variable: sets the elements under `key` (of the Keras layout)."""

    __slots__ = ("variable", "key")

    def __init__(self, variable, key):
        self.variable, self.key = variable, key

    def __call__(self, value, use_locking=False, name=None, read_value=True):
        variable = self.variable
        value = torch.as_tensor(np.asarray(value) if not isinstance(value, torch.Tensor) else value)
        value = value.detach().to(dtype=variable.dtype, device=variable.device)
        with torch.no_grad():
            if variable.keras_layout is IDENTITY:
                variable.data[self.key] = value
            else:  # a permuted (or regrouped) storage: set the Keras-layout value, store it back
                full = variable.keras_value().detach().clone()
                full[self.key] = value
                copy_into(variable, variable.keras_layout.from_keras(full))
        return variable


_library_modules = {}  # module name -> whether it is keraslite's or torch's own code


def _library_caller():
    """Whether the caller of the caller is keraslite's or torch's own code (looked up once per
    module): a weight sliced, or a list attribute set, by the library rather than by a program."""
    module = sys._getframe(2).f_globals.get("__name__")
    library = _library_modules.get(module)
    if library is None:
        library = _library_modules[module] = isinstance(module, str) and (
            module in ("keraslite", "torch") or module.startswith(("keraslite.", "torch.")))
    return library


def in_keras_layout(variable, other):
    """(variable, other) for elementwise arithmetic: a weight stored permuted (a Conv2D kernel
    is kept (out, in, kh, kw)) meeting an operand of its Keras shape (kh, kw, in, out) that is
    not its storage shape is taken as its Keras-layout view, so that `kernel * mask` with a
    mask built from `ops.shape(kernel)` masks the axes the user meant; the result then has
    the Keras shape, which `assign` takes back into storage."""
    shape = getattr(other, "shape", None)
    if shape is not None and len(shape) == variable.dim() and tuple(shape) != tuple(variable.shape) \
            and _broadcasts_to(tuple(shape), variable.keras_shape):
        # Also an operand that broadcasts against the Keras shape: a statistic that keras.ops
        # computed over the kernel's Keras axes (ops.moments(kernel, axes=[0, 1, 2], keepdims=True)).
        return variable.keras_value(), other
    return variable, other


def _broadcasts_to(shape, target):
    return all(d == t or d == 1 for d, t in zip(shape, target))


def _accepting_arrays(name):
    base = getattr(torch.Tensor, name)

    def operator(self, other):
        if isinstance(other, (list, tuple, np.ndarray)):
            # `a * x ** b` with x a list: torch refuses such operands, Keras's Variable converts them.
            other = operand_for(self, other)
        if self.keras_layout is not IDENTITY:
            return base(*in_keras_layout(self, other))
        return base(self, other)

    operator.__name__ = name
    return operator


for _name in ("__add__", "__radd__", "__sub__", "__rsub__", "__mul__", "__rmul__", "__truediv__", "__rtruediv__",
              "__floordiv__", "__rfloordiv__", "__mod__", "__rmod__", "__pow__", "__rpow__", "__matmul__",
              "__rmatmul__"):
    setattr(Variable, _name, _accepting_arrays(_name))


def _variable_value(value, shape, dtype):
    """The initial tensor of `keras.Variable(value_or_initializer, shape, dtype)`."""
    if value is None:
        raise ValueError("keras.Variable needs an initializer: a value (array, list or number) or an "
                         "initializer with a `shape`, e.g. keras.Variable(initializer='zeros', shape=(3,)).")
    if isinstance(value, str) or (callable(value) and not isinstance(value, (torch.Tensor, np.ndarray))):
        if shape is None:
            raise ValueError(f"When creating a Variable from an initializer ({value!r}), the `shape` argument "
                             "should be specified.")
        init = initializers.get(value)
        dt = backend.torch_dtype(dtype or backend.floatx())
        value = init(tuple(int(d) for d in shape), dtype=dt)
    if isinstance(value, torch.Tensor):
        t = value.detach().clone()
    else:
        arr = np.asarray(value)
        if dtype is None and arr.dtype.kind == "f" and not isinstance(value, np.ndarray):
            arr = arr.astype(backend.floatx())  # Python floats become floatx; arrays keep their dtype
        t = torch.as_tensor(backend.torch_ready(arr)).clone()
    if dtype is not None:
        t = t.to(backend.torch_dtype(dtype))
    if shape is not None and tuple(t.shape) != tuple(int(d) for d in shape):
        raise ValueError(f"Initial value of shape {tuple(t.shape)} does not match the Variable's `shape` "
                         f"{tuple(shape)}.")
    return t


# ----------------------------------------------------------------------------- helpers

def check_add_metric_kwargs(owner, kwargs):
    """add_metric()'s keyword arguments: only `aggregation`, and only its 'mean'."""
    unknown = set(kwargs) - {"aggregation"}
    if unknown:
        raise TypeError(f"Unknown keyword arguments: {sorted(unknown)}. Expected `aggregation`.")
    if kwargs.get("aggregation") not in (None, "mean"):
        raise ValueError(f"{owner}: add_metric() only averages values (aggregation='mean'); "
                         f"got aggregation={kwargs['aggregation']!r}.")


class _CallState:
    """Whether an eager layer call is under way (`depth` 0 or 1: nested calls need no count),
    and whether any layer has recorded a loss yet (until then no call walks its sublayers to
    clear them)."""
    depth = 0
    losses_added = False


_CALLS = _CallState()


def _normalize_shape(shape):
    if shape is None:
        return None
    if isinstance(shape, (int, np.integer)):
        return (int(shape),)  # Keras 2 accepted input_shape=100
    return tuple(None if d is None else int(d) for d in shape)


def shape_of(x):
    """The Keras shape of an input structure: a tuple, or a list of tuples for lists."""
    if isinstance(x, (list, tuple)):
        return [shape_of(v) for v in x]
    if isinstance(x, dict):
        return {k: shape_of(v) for k, v in x.items()}
    return tuple(x.shape)


def _accepts(fn, arg):
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False
    return arg in params or any(p.kind == p.VAR_KEYWORD for p in params.values())


def _first_parameter(fn):
    """The name of `fn`'s first parameter after self (None when it takes only *args / **kwargs)."""
    try:
        params = list(inspect.signature(fn).parameters.values())[1:]
    except (TypeError, ValueError):
        return None
    first = params[0] if params else None
    return first.name if first is not None and first.kind in (first.POSITIONAL_ONLY,
                                                               first.POSITIONAL_OR_KEYWORD) else None


def _default_and_position(fn, arg):
    """(default of `arg`: None when it has none, False when it is required, its index among the
    positional arguments after self or None)."""
    try:
        params = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):
        return None, None
    for i, param in enumerate(params):
        if param.name == arg:
            # A required `training` (tf.keras layers wrote `def call(self, inputs, training)`)
            # gets tf.keras's last resort, False, when no caller resolved a value; Keras 3
            # would fail to bind the call.
            default = False if param.default is inspect.Parameter.empty else param.default
            positional = param.kind in (param.POSITIONAL_ONLY, param.POSITIONAL_OR_KEYWORD)
            return default, (i - 1 if positional else None)
    return None, None


class _CallContext:
    """The `training` value of the outermost layer call in progress, shared by the calls nested
    in it (Keras's CallContext): a sublayer called without `training=` gets the value its
    caller resolved, so `def call(self, x, training)` sees True inside `fit`."""

    __slots__ = ("training",)

    def __init__(self):
        self.training = None


_call_context = None  # the active _CallContext, or None outside any call of a training-aware layer


def describe(x):
    return str(tuple(x.shape)) if hasattr(x, "shape") else type(x).__name__


# ----------------------------------------------------------------------------- Layer

class _Keras1WeightName:
    """`layer.W` / `.b` / `.U`: Keras 1 called the built-in layers' weights so
    (`K.get_value(model.layers[0].W)`); Keras 2 renamed them kernel (or embeddings), bias and
    recurrent_kernel, and an RNN's are its cell's. A weight, buffer or sublayer the layer
    registered under the name itself wins, and a user's layer class gets no alias: its own
    `self.b = add_weight(name="bias")` registers `b` only while `hasattr(self, "b")` is False.
    A descriptor rather than a `__getattr__`, which every registered-weight lookup would pay."""

    def __init__(self, *targets):
        self.targets = targets

    def __set_name__(self, owner, name):
        self.name = name

    def __get__(self, layer, owner=None):
        if layer is None:
            return self
        state = layer.__dict__
        for store in ("_parameters", "_buffers", "_modules"):
            if self.name in state.get(store, ()):
                return state[store][self.name]
        if type(layer).__module__.startswith("keraslite."):
            cell = state.get("_modules", {}).get("cell")
            for source in (layer, cell) if cell is not None else (layer,):
                for target in self.targets:
                    value = source.__dict__.get(target)
                    if value is None:
                        value = source.__dict__.get("_parameters", {}).get(target)
                    if value is not None:
                        return value
        raise AttributeError(f"'{type(layer).__name__}' object has no attribute '{self.name}'")


class Layer(nn.Module):
    """Base of every keraslite layer: an nn.Module that builds itself from its first input.

    Subclasses write `__init__` (store arguments), `build(input_shape)` (create weights with
    `add_weight`), `call(inputs, ...)` (math only) and `get_config()`.
    """

    _call_accepts_training = False
    _call_training_default = None  # the default of call()'s `training` parameter (False if required)
    _call_training_position = None  # its index in `layer(*args)` when it can be given positionally
    _call_accepts_mask = False
    _call_first_arg = "inputs"  # the name of call()'s first parameter: `layer(patches=x)` passes it by name
    _makes_masks = False  # compute_mask overridden: may create a mask even from none
    input_spec = None  # an InputSpec (or a list, one per input) checked on every call
    _wraps_torch_modules = True  # plain torch modules assigned to attributes become TorchModuleWrappers
    _plain_forward = True  # forward() is Layer.forward (calls `call`); False where a subclass overrides it

    # Keras 1's names of the built-in layers' weights (see _Keras1WeightName).
    W = _Keras1WeightName("kernel", "embeddings", "depthwise_kernel")
    b = _Keras1WeightName("bias")
    U = _Keras1WeightName("recurrent_kernel")

    def __new__(cls, *args, **kwargs):
        self = super().__new__(cls)
        # A layer class written outside keraslite may leave out get_config(): as in Keras 3, its
        # config is then the arguments it was constructed with (see _auto_config). Only plain
        # values are kept (None marks others), so no array or tensor is held on to for it.
        if not cls.__module__.startswith("keraslite."):
            self.__dict__["_init_arguments"] = (args, kwargs) if _plain(args) and _plain(kwargs) else None
        return self

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        # Keras-1 argument spellings (init=, output_dim=, nb_filter=, ...) are translated in
        # one table (keraslite.compat.legacy_args) before a layer's own __init__ sees them.
        if "__init__" in cls.__dict__ and not getattr(cls.__dict__["__init__"], "_translates_legacy", False):
            from keraslite.compat.legacy_args import wrap_init

            cls.__init__ = wrap_init(cls, cls.__dict__["__init__"])
        # Like Keras, a layer is built once its build() returns, however build() was reached
        # (first call, Sequential, or the user calling layer.build(shape) directly).
        if "build" in cls.__dict__ and not getattr(cls.__dict__["build"], "_marks_built", False):
            cls.build = _wrap_build(cls.__dict__["build"])
        # Keras 1 named compute_output_shape get_output_shape_for.
        if "get_output_shape_for" in cls.__dict__ and "compute_output_shape" not in cls.__dict__:
            cls.compute_output_shape = _compute_output_shape_from_keras1
        # Layers written outside keraslite were written for TensorFlow, whose tensors are
        # immutable: `inputs -= K.mean(inputs)` there makes a new tensor (see _value_semantics).
        if "call" in cls.__dict__ and not cls.__module__.startswith("keraslite."):
            cls.call = _value_semantics(cls.__dict__["call"])
        # ... and they were given TensorShapes: `input_shape.as_list()`, `tf.TensorShape(...)` results.
        if "compute_output_shape" in cls.__dict__ and not cls.__module__.startswith("keraslite."):
            cls.compute_output_shape = _with_tensor_shapes(cls.__dict__["compute_output_shape"])
        cls._makes_masks = cls.compute_mask is not Layer.compute_mask
        cls._plain_forward = cls.forward is Layer.forward
        cls._call_accepts_training = _accepts(cls.call, "training")
        cls._call_training_default, cls._call_training_position = _default_and_position(cls.call, "training")
        cls._call_accepts_mask = _accepts(cls.call, "mask")
        cls._call_first_arg = _first_parameter(cls.call) or "inputs"

    def __init__(self, *, name=None, trainable=True, dtype=None, input_shape=None, batch_input_shape=None,
                 input_dim=None, batch_size=None, batch_shape=None, weights=None, activity_regularizer=None,
                 autocast=True, dynamic=False, **kwargs):
        # `dynamic=True` (tf.keras 2: run eagerly, never as a graph) is what keraslite always does.
        if kwargs:
            raise TypeError(f"{type(self).__name__} got unexpected keyword argument(s) {sorted(kwargs)}. "
                            f"Check the spelling against the Keras signature of {type(self).__name__}.")
        # Attributes holding weights or layers may have been assigned before this call, which
        # then already set the layer up (see __setattr__): keep what they registered.
        started = "_modules" in self.__dict__
        if not started:
            super().__init__()
        # Keras layers run in inference mode unless told otherwise (fit switches to train()).
        self.training = False
        self.name = name or (self.name if started else backend.get_uid(backend.to_snake_case(type(self).__name__)))
        self._trainable = bool(trainable)
        self.dtype_policy = dtype  # None: the global dtype policy
        self.built = False
        self._variables = self._variables if started else []  # this layer's weights (not sublayers'), in order
        self._added_losses = []       # add_loss() results of the latest call
        self.activity_regularizer = regularizers_mod.get(activity_regularizer)
        self.supports_masking = getattr(self, "supports_masking", False)
        self._initial_weights = weights
        self._build_input_shape = None
        self._inbound_nodes = []

        # The input shape a first layer may carry (Keras: input_shape / input_dim / batch_input_shape).
        if batch_shape is not None:
            batch_input_shape = batch_shape
        if batch_input_shape is None and input_shape is None and input_dim is not None:
            input_shape = (input_dim,)
        if batch_input_shape is None and input_shape is not None:
            batch_input_shape = (batch_size,) + _normalize_shape(input_shape)
        self._batch_input_shape = _normalize_shape(batch_input_shape)

    # ------------------------------------------------------------------ attribute tracking

    def __setattr__(self, name, value):
        if "_modules" not in self.__dict__ and isinstance(value, nn.Module | nn.Parameter):
            # A weight or sublayer assigned before (or without) super().__init__(), which
            # tf.keras and Keras 3 accept: the layer starts with Layer's defaults.
            Layer.__init__(self)
        # torch registers Modules assigned directly; Keras also tracks layers inside plain
        # lists/tuples/dicts (`self.blocks = [Dense(8), Dense(8)]`). Such containers are kept
        # as they are (a list subclass that re-registers on mutation) and their layers are
        # registered under `name` so weights, `layers` and `.to(device)` see them.
        if isinstance(value, nn.Module) and self._wraps_torch_modules and _plain_torch_module(value) \
                and "_modules" in self.__dict__:
            from keraslite.layers.torch_module import TorchModuleWrapper

            value = TorchModuleWrapper(value)  # as Keras does: its parameters become trained weights
        if type(value) in (list, tuple, dict) and "_modules" in self.__dict__:
            modules = _modules_in(value) if value else None
            if modules or (not value and type(value) is not tuple and not _library_caller()):
                # A container that holds layers, or an empty one that may be filled later
                # (`self.blocks = []` then `append`, `self.by_name = {}` then `[key] = ...`):
                # Keras tracks layers added to either, so lists and dicts become tracked ones.
                if type(value) is not tuple:
                    value = (TrackedList if type(value) is list else TrackedDict)(value)
                    value._owner, value._name = self, name
                self._modules.pop(name, None)
                object.__setattr__(self, name, value)
                if modules:
                    self._modules[name] = nn.ModuleList(modules)
                return
        elif name in self.__dict__.get("_modules", ()) and type(self._modules[name]) is nn.ModuleList \
                and name in self.__dict__:
            del self._modules[name]  # a tracked container replaced by a plain value
        if isinstance(value, Variable) and "_variables" in self.__dict__:
            # `self.W = K.variable(...)` (Keras 1.0 layers): a weight of this layer, as Keras tracks it.
            self._track_variable(value, name)
        super().__setattr__(name, value)

    def _track_variable(self, var, name):
        if any(v is var for v in self._variables):
            return
        if var._keras_path in (None, var._keras_name, "variable"):
            var._keras_name = name if var._keras_name in (None, "variable") else var._keras_name
            var._keras_path = f"{self.name}/{var._keras_name}"
        self._variables.append(var)

    # ------------------------------------------------------------------ properties

    @property
    def dtype(self):
        return backend.dtype_name(self._variable_dtype)

    @property
    def dtype_policy(self):
        """The layer's DTypePolicy ('float32', or 'mixed_float16' with float32 variables). Under a
        mixed policy keraslite still computes in the variables' dtype: `compute_dtype` says so."""
        return mixed_precision.get(self._policy_name)

    @dtype_policy.setter
    def dtype_policy(self, value):
        self._variable_dtype = mixed_precision.layer_dtype(value)  # the torch dtype of the weights
        self._policy_name = mixed_precision.policy_name(value)

    def _dtype_config(self):
        """get_config's `dtype`: the dtype name, or for a mixed policy the policy's config as
        Keras 3 writes it, so that from_config and saved models keep the policy."""
        policy = self.dtype_policy
        if policy.quantization_mode is not None:
            return mixed_precision.serialize(policy)
        if not policy.is_mixed:
            return self.dtype
        return {"module": "keras", "class_name": "DTypePolicy", "config": {"name": self._policy_name},
                "registered_name": None}

    @property
    def quantization_mode(self):
        """'int8' once `quantize('int8')` ran (or a quantized layer was loaded), else None."""
        return self.dtype_policy.quantization_mode

    @property
    def variable_dtype(self):
        return self.dtype

    @property
    def compute_dtype(self):
        return self.dtype

    @property
    def trainable(self):
        return self._trainable

    @trainable.setter
    def trainable(self, value):
        value = bool(value)
        for layer in self._flatten_layers():
            layer._trainable = value
            for v in layer._variables:
                v.requires_grad_(value and v.trainable)

    @property
    def submodules(self):
        """Every layer below this one (tf.keras 2's Layer was a tf.Module, which lists them)."""
        if "_own_submodules" in self.__dict__:
            return self.__dict__["_own_submodules"]
        return tuple(self._flatten_layers(include_self=False))

    @submodules.setter
    def submodules(self, value):  # a subclass's own attribute of that name wins
        self.__dict__["_own_submodules"] = value

    def _flatten_layers(self, include_self=True):
        """This layer and every Layer below it (each once), in attribute order."""
        seen = set()
        out = []
        for module in self.modules():
            if isinstance(module, Layer) and id(module) not in seen and (include_self or module is not self):
                seen.add(id(module))
                out.append(module)
        return out

    def _sublayers(self):
        """Direct sublayers in attribute order, looking through plain containers (ModuleList...)."""
        out = []
        stack = list(self.children())[::-1]
        while stack:
            module = stack.pop()
            if isinstance(module, Layer):
                out.append(module)
            else:
                stack.extend(list(module.children())[::-1])
        return out

    @property
    def weights(self):
        """Keras 3 order: this layer's own variables, then each sublayer's weights in turn."""
        out, seen = [], set()
        for v in self._variables:
            if id(v) not in seen:
                seen.add(id(v))
                out.append(v)
        for layer in self._sublayers():
            for v in layer.weights:
                if id(v) not in seen:
                    seen.add(id(v))
                    out.append(v)
        return out

    @property
    def variables(self):
        return self.weights

    @property
    def trainable_weights(self):
        # A variable trains when it was created trainable and no enclosing layer is frozen
        # (freezing clears requires_grad; see the `trainable` setter).
        if not self.trainable:
            return []
        return [v for v in self.weights if v.requires_grad]

    @property
    def non_trainable_weights(self):
        if not self.trainable:
            return self.weights
        return [v for v in self.weights if not v.requires_grad]

    # Keras 1.0 custom layers listed their weights: `self.trainable_weights = [self.W, self.b]`.
    @trainable_weights.setter
    def trainable_weights(self, variables):
        self._set_weight_lists(variables, trainable=True)

    @non_trainable_weights.setter
    def non_trainable_weights(self, variables):
        self._set_weight_lists(variables, trainable=False)

    def _set_weight_lists(self, variables, trainable):
        listed = {id(v) for v in variables}
        for i, var in enumerate(variables):
            if not isinstance(var, Variable):
                raise TypeError(f"Layer '{self.name}': trainable_weights / non_trainable_weights take variables "
                                f"(K.variable(...) or self.add_weight(...)); item {i} is a {type(var).__name__}.")
            if not any(v is var for v in self._variables):
                self._track_variable(var, f"variable_{len(self._variables)}")
                if not any(p is var for p in self._parameters.values()):
                    self.register_parameter(f"_listed_{len(self._variables)}", var)
        for var in self._variables:
            if id(var) in listed:
                var._keras_trainable = trainable
            elif trainable and var._keras_trainable:
                var._keras_trainable = False  # the list replaces this layer's trainable weights
            var.requires_grad_(var._keras_trainable and self.trainable and var.is_floating_point())

    trainable_variables = trainable_weights
    non_trainable_variables = non_trainable_weights

    @property
    def input_shape(self):
        if self._build_input_shape is None and self._batch_input_shape is None:
            raise AttributeError(f"The layer '{self.name}' has never been called and thus has no defined "
                                 "input shape.")
        shape = self._build_input_shape if self._build_input_shape is not None else self._batch_input_shape
        return shape

    @property
    def _name(self):
        """tf.keras 2's private spelling of `name`: programs rename layers with `layer._name = ...`
        (loaded ensemble members whose layer names would clash in one model)."""
        return self.name

    @_name.setter
    def _name(self, value):
        self.name = value

    @property
    def output_shape(self):
        """tf.keras 2's `layer.output_shape`: the shape of the layer's output in the model's
        graph (batch dimension None), or, for a layer only ever called on data, the shape it
        computes for the input it was built on."""
        nodes = self._inbound_nodes
        if nodes:
            shapes = []
            for node in nodes:
                out = shape_of(node.outputs)
                if out not in shapes:
                    shapes.append(out)
            if len(shapes) > 1:
                # Not an AttributeError: raised in a property, torch's __getattr__ would replace it.
                raise ValueError(f"The layer '{self.name}' has multiple inbound nodes with different output "
                                     f"shapes {shapes}, so its output shape is ill-defined. Use "
                                     "`layer.get_output_at(node_index).shape` instead.")
            return shapes[0]
        if self._build_input_shape is None:
            raise AttributeError(f"The layer '{self.name}' has never been called and thus has no defined "
                                 "output shape.")
        return self.compute_output_shape(self._build_input_shape)

    # Symbolic tensors of the layer's calls in a functional graph (keras `layer.output`).
    @property
    def output(self):
        return self._node_tensors(0, "outputs", "output")

    @output.setter
    def output(self, value):
        self.__dict__["_output_tensor"] = value

    @property
    def input(self):
        return self._node_tensors(0, "inputs", "input")

    def get_output_at(self, node_index):
        return self._node_tensors(node_index, "outputs", "output")

    def get_input_at(self, node_index):
        return self._node_tensors(node_index, "inputs", "input")

    def _node_tensors(self, index, kind, what):
        if kind == "outputs" and index == 0 and self.__dict__.get("_output_tensor") is not None:
            return self.__dict__["_output_tensor"]
        nodes = self._inbound_nodes
        container = self.__dict__.get("_sequential_ref")
        container = container() if container is not None else None
        if not nodes and container is not None and container._batch_input_shape is not None:
            container.outputs  # a Sequential's layer: trace the model's graph (Keras builds it on add)
            nodes = self._inbound_nodes
        if not nodes:
            raise AttributeError(f"Layer '{self.name}' has never been called on a symbolic input and thus has no "
                                 f"defined {what}. Call it on keras.Input(...) first.")
        if index >= len(nodes):
            raise ValueError(f"Layer '{self.name}' has {len(nodes)} inbound node(s); node {index} does not exist.")
        node = nodes[index]
        tensors = node.outputs if kind == "outputs" else (node.args[0] if node.args else node.input_tensors)
        return tensors

    @property
    def metrics(self):
        """The Metric objects this layer and its sublayers hold as attributes or made through
        `add_metric`, as Keras's `Layer.metrics` lists them (a Model adds its compiled ones)."""
        from keraslite.training.loop import attribute_metrics

        return attribute_metrics(self)

    @property
    def losses(self):
        """Regularization penalties of this layer's weights plus what `add_loss` recorded."""
        out = []
        for layer in self._flatten_layers():
            for v in layer._variables:
                if v.regularizer is not None and v.requires_grad:
                    out.append(v.regularizer(v.keras_value()))
            out.extend(layer._added_losses)
            for fn in getattr(layer, "_callable_losses", ()):
                value = fn()
                out.append(value if isinstance(value, torch.Tensor) else torch.as_tensor(value, dtype=torch.float32))
        return out

    def add_loss(self, loss, inputs=None):
        # `inputs=` is Keras 2's (marking a loss as conditional on inputs); Keras 3 and
        # keraslite record the losses of each call, so it changes nothing.
        from keraslite.models import functional

        if callable(loss) and not isinstance(loss, torch.Tensor):
            # tf.keras 2: a zero-argument callable (often a regularizer on a weight, added in
            # build()) is kept across calls and evaluated whenever `losses` is read.
            self.__dict__.setdefault("_callable_losses", []).append(loss)
            return
        if functional.in_graph_run() and not rng.is_tracing() and functional.has_symbolic(loss):
            raise ValueError(
                f"Layer '{self.name}' ({type(self).__name__}): add_loss() received a symbolic tensor while the "
                "layer runs on data. Its call computes the loss from a KerasTensor that is not one of its inputs "
                "and that the model does not compute on the way to its outputs. Pass the tensors the loss needs "
                f"to the layer as inputs, e.g. `{type(self).__name__}()([x, z_mean, z_log_var])`.")
        self._added_losses.append(loss)
        _CALLS.losses_added = True

    def add_update(self, updates, inputs=None):
        """tf.keras 2's `add_update(self.moving_mean.assign(...))`: in eager execution the assign
        has already run, so there is nothing left to do (Keras 3 removed the method)."""

    def _clear_losses(self):
        for layer in self._flatten_layers():
            layer._added_losses = []

    def add_metric(self, value, name=None, **kwargs):
        """tf.keras 2's `add_metric`, called inside `call()` (Keras 3 removed it). A value returned
        by calling a Metric object (`self.add_metric(self.acc_fn(y, p))`) reports that metric,
        whose state the call already updated; any other tensor is averaged by a `Mean` metric
        named `name`. Either way the metric is listed in `model.metrics` and reported by
        fit/evaluate under its name."""
        from keraslite import metrics as metrics_module
        from keraslite.models.functional import has_symbolic

        check_add_metric_kwargs(f"Layer '{self.name}'", kwargs)
        metric_obj = getattr(value, "_keras_metric", None)
        if has_symbolic(value):
            raise NotImplementedError(f"Layer '{self.name}' ({type(self).__name__}): add_metric() with a symbolic "
                                      "tensor outside of call() is not supported. Call self.add_metric(...) inside "
                                      "a layer's call(), or pass the metric to compile(metrics=[...]).")
        if metric_obj is None and name is None:
            raise ValueError(f"Layer '{self.name}': please provide a name for your metric, like "
                             "`self.add_metric(tf.reduce_sum(inputs), name='mean_activation')`.")
        name = metric_obj.name if metric_obj is not None else name
        tracked = self.__dict__.setdefault("_added_metrics", [])
        match = next((m for m in tracked if m.name == name), None)
        if match is None and metric_obj is None and rng.is_tracing():
            return  # a shape-only trace on placeholders: the first real call makes the Mean
        if match is None:
            match = metric_obj if metric_obj is not None else metrics_module.Mean(name=name)
            tracked.append(match)
        if metric_obj is None and not rng.is_tracing():
            match.update_state(value)

    def quantize(self, mode=None, type_check=True, config=None):
        """Keras's `Layer.quantize`: Dense, EinsumDense and Embedding implement mode 'int8'
        (see keraslite.quantizers); other layers raise NotImplementedError, which
        `Model.quantize` reports as a warning."""
        from keraslite import quantizers

        quantizers.check_quantize(self, mode, config)
        raise quantizers.not_implemented(self)

    # ------------------------------------------------------------------ saving hooks

    def _keras_saved_variables(self):
        """The variables Keras numbers "0", "1", ... in this layer's `vars` group."""
        from keraslite.saving.weights import own_variables

        return own_variables(self)

    def save_own_variables(self, store):
        """Keras 3's hook: put this layer's state into `store` (a dict) as "0", "1", ... in
        Keras layout. A subclass may override it (calling super()) to store more entries."""
        from keraslite.saving.weights import keras_array

        for i, v in enumerate(self._keras_saved_variables()):
            store[f"{i}"] = keras_array(v)

    def load_own_variables(self, store):
        """Keras 3's hook: restore this layer's state from `store` (what save_own_variables wrote)."""
        from keraslite.saving.weights import assign_keras

        all_vars = self._keras_saved_variables()
        if len(store.keys()) != len(all_vars):
            if not all_vars and not self.built:
                raise ValueError(f"Layer '{self.name}' was never built and thus it doesn't have any variables. "
                                 f"However the weights file lists {len(store.keys())} variables for this layer. "
                                 "Implement `build_from_config()` (and `get_build_config()`) so that the layer "
                                 "creates its variables when it is loaded.")
            raise ValueError(f"Layer '{self.name}' expected {len(all_vars)} variables, but received "
                             f"{len(store.keys())} variables during loading. Expected: {[v.name for v in all_vars]}")
        for i, v in enumerate(all_vars):
            assign_keras(v, store[f"{i}"], f"Layer '{self.name}'")

    save_own_variables._keraslite_default = True
    load_own_variables._keraslite_default = True

    # ------------------------------------------------------------------ weights

    def add_variable(self, *args, **kwargs):
        """tf.keras 2's deprecated spelling of add_weight (the same arguments)."""
        return self.add_weight(*args, **kwargs)

    def add_weight(self, *args, **kwargs):
        """Create a weight from its Keras shape; `layout` maps it to the storage layout.

        Arguments: name, shape, initializer, dtype, trainable, regularizer, constraint, layout.
        Given by position they are taken in that order, name first as in tf.keras 2
        (`add_weight("kernel", (3, 4), "zeros")`), unless the first is a shape (a tuple, list,
        int or torch.Size): then in the order of Keras 3 (and of Keras 1 / 2.0), shape,
        initializer, dtype (`add_weight((3, 4), "glorot_uniform", name="kernel")`)."""
        if args:
            order = _SHAPE_FIRST if isinstance(args[0], (tuple, list, int, np.integer)) else _NAME_FIRST
            if len(args) > len(order):
                raise TypeError(f"add_weight() takes at most {len(order)} positional arguments "
                                f"({', '.join(order)}) when the first is {'the shape' if order is _SHAPE_FIRST else 'a name'}"
                                f", but {len(args)} were given. Pass the others by keyword.")
            for key, value in zip(order, args):
                if key in kwargs:
                    raise TypeError(f"add_weight() got multiple values for argument '{key}': "
                                    f"{value!r} by position ({', '.join(order)}) and {kwargs[key]!r} by keyword.")
                kwargs[key] = value
        return self._add_weight(**kwargs)

    def _add_weight(self, name=None, shape=None, initializer=None, dtype=None, trainable=True,
                    regularizer=None, constraint=None, layout=IDENTITY, memory_format=torch.contiguous_format,
                    **kwargs):
        if isinstance(shape, (int, np.integer)):
            shape = (shape,)  # tf.keras takes a bare length (`shape=input_shape[-1]`)
        shape = () if shape is None else tuple(int(d) for d in shape)
        # An unnamed weight gets Keras's session-wide default name ('variable', 'variable_1', ...);
        # its torch attribute stays per layer ('variable_<index>'), so state_dicts of two
        # instances of a layer match.
        attribute = None if name else f"variable_{len(self._variables)}"
        name = name or backend.get_uid("variable")
        if initializer is None:
            floating = backend.torch_dtype(dtype or self._variable_dtype).is_floating_point
            initializer = "glorot_uniform" if floating else "zeros"
        init = initializers.get(initializer)
        torch_dtype = backend.torch_dtype(dtype or self._variable_dtype)
        with torch.inference_mode(False), torch.no_grad():  # never an inference tensor (see _wrap_build)
            value = init(shape, dtype=torch_dtype)
            value = torch.as_tensor(value, dtype=torch_dtype)
            stored = layout.from_keras(value)  # a view; one copy puts it in the storage's memory order
            storage = torch.empty(stored.shape, dtype=torch_dtype, device=stored.device, memory_format=memory_format)
            if stored.stride() == storage.stride() or (
                    memory_format == torch.contiguous_format and stored.is_contiguous()):
                storage = stored
            else:
                copy_into(storage, stored)
        trainable = bool(trainable) and torch_dtype.is_floating_point
        var = Variable(storage, trainable=trainable, name=name, path=f"{self.name}/{name}", layout=layout)
        var.requires_grad_(trainable and self.trainable)
        var.regularizer = regularizers_mod.get(regularizer)
        var.constraint = constraints_mod.get(constraint)
        setattr_name = attribute or name.replace("/", "_").replace(":", "_")
        placeholder = self.__dict__.get(setattr_name, _MISSING)
        if setattr_name in self._parameters or placeholder is None or (
                placeholder is _MISSING and not hasattr(self, setattr_name)):
            # `self.bias = None` before add_weight("bias") is a placeholder, not a clash.
            self.__dict__.pop(setattr_name, None)
            self.register_parameter(setattr_name, var)
        else:
            self.register_parameter(f"_{setattr_name}_{len(self._variables)}", var)
        self._variables.append(var)
        return var

    def get_weights(self):
        """Weights as numpy arrays in Keras layout and Keras order."""
        return [v.numpy() for v in self.weights]

    def set_weights(self, weights):
        """Assign numpy arrays in Keras layout and order; shapes are checked."""
        params = self.weights
        weights = list(weights)
        if len(params) != len(weights):
            raise ValueError(
                f"Layer '{self.name}' expects {len(params)} weight arrays "
                f"({[v.keras_shape for v in params]}) but received {len(weights)} "
                f"({[tuple(np.shape(w)) for w in weights]}). Pass arrays in the order of get_weights().")
        for v, w in zip(params, weights):
            w = np.asarray(w)
            # An array of the storage shape (`np.zeros(w.shape)` of a weight keraslite keeps
            # permuted, such as a Conv2D kernel) is taken in that layout, as `assign` takes it.
            if tuple(w.shape) not in (v.keras_shape, tuple(v.shape)):
                raise ValueError(f"Layer '{self.name}' weight '{v.name}' has shape {v.keras_shape} but the "
                                 f"provided array has shape {tuple(w.shape)}.")
        with torch.no_grad():
            for v, w in zip(params, weights):
                t = torch.as_tensor(np.asarray(w, order="C"), dtype=v.dtype).to(v.device)  # keeps 0-d arrays 0-d
                copy_into(v, v._stored(t))

    def count_params(self):
        if not self.built:
            raise ValueError(f"You tried to call count_params on layer '{self.name}', but the layer isn't "
                             "built. Build it first by calling it on data or with build(input_shape).")
        return int(sum(int(np.prod(v.shape)) for v in self.weights))

    def apply_constraints(self):
        """Project constrained weights (Keras applies constraints after each optimizer step)."""
        with torch.no_grad():
            for layer in self._flatten_layers():
                for v in layer._variables:
                    if v.constraint is not None:
                        v.copy_(v.keras_layout.from_keras(v.constraint(v.keras_layout.to_keras(v))))

    # ------------------------------------------------------------------ build / call

    def build(self, input_shape):
        """Create weights for `input_shape` (batch dim included). Layers without weights skip it."""
        self.built = True

    def _maybe_build(self, input_shape):
        if self.built:
            return
        self._build_input_shape = input_shape
        self.build(input_shape)  # wrapped by _wrap_build: marks built, applies `weights=`

    def __call__(self, *args, **kwargs):
        if not args and self._call_first_arg in kwargs:  # the first input given by its name
            kwargs = dict(kwargs)
            args = (kwargs.pop(self._call_first_arg),)
        inputs = args[0] if args else kwargs.get("inputs")
        if self.input_spec is not None:
            assert_input_compatibility(self.input_spec, inputs, self.name)
        if type(inputs) is not torch.Tensor:  # the hot path (a plain tensor) skips these checks
            if _is_symbolic(inputs):
                from keraslite.models import functional

                return functional.call_symbolic(self, args, kwargs)
            if args and type(inputs).__module__.startswith("pandas"):  # a DataFrame / Series: its array
                from keraslite.training.data import from_pandas

                inputs = from_pandas(inputs)
                args = (inputs,) + args[1:]
            if args and (type(inputs) is np.ndarray or (type(inputs) in (list, tuple) and inputs
                                                         and type(inputs[0]) is np.ndarray)) \
                    and getattr(self, "_graph", None) is None:
                # Keras converts array inputs (model(np_array), model([a, b])); the graph of a
                # functional model converts per input dtype itself.
                if type(inputs) is np.ndarray:
                    inputs = self._array_to_tensor(inputs)
                else:
                    inputs = type(inputs)(self._array_to_tensor(v) if type(v) is np.ndarray else v for v in inputs)
                args = (inputs,) + args[1:]
        if RECORDING_TAPES and torch.is_grad_enabled():
            args, kwargs = _tape_constants(args, kwargs)
            inputs = args[0] if args else kwargs.get("inputs")
        if _CALLS.depth:
            return self._call_eager(inputs, args, kwargs)
        # The outermost call: as in Keras, `losses` then holds this call's add_loss() results
        # only, so those of the previous call (of this layer or any sublayer) are dropped first.
        if _CALLS.losses_added:
            self._clear_losses()
        _CALLS.depth = 1
        try:
            if RECORDING_TAPES:
                # The inputs are cut above; inside the call the tapes' check of every operation
                # (a TorchFunctionMode, see tf_autodiff) would only cost time.
                with torch._C.DisableTorchFunction():
                    return self._call_eager(inputs, args, kwargs)
            return self._call_eager(inputs, args, kwargs)
        finally:
            _CALLS.depth = 0

    def _call_eager(self, inputs, args, kwargs):
        if not self.built:
            self._maybe_build(_shape_for_build(inputs))
            device = _device_of(inputs)
            if device is not None and any(v.device != device for v in self._variables):
                self.to(device)  # weights are created on the CPU; follow inputs already elsewhere
        if self._call_accepts_mask and kwargs.get("mask") is None:
            mask = _mask_of(inputs)
            if mask is not None:
                kwargs["mask"] = mask
        global _call_context
        if not self._call_accepts_training:
            training = kwargs.pop("training", None)
            if training is not None:
                # A call() without `training` (a subclassed model's) still hands a given
                # `model(x, training=True)` on to its sublayers, as Keras's call context does.
                entered = _call_context is None
                if entered:
                    _call_context = _CallContext()
                _call_context.training = training
                try:
                    outputs = self._forward_call(args, kwargs)
                finally:
                    if entered:
                        _call_context = None
            elif self._plain_forward and not _module_call_needed(self):  # inlined _forward_call: the hot path
                outputs = self.call(*args, **kwargs)
            else:
                outputs = super().__call__(*args, **kwargs)
        else:
            # Keras resolves `training` as: passed here, else what the enclosing call resolved
            # (when not None), else call()'s default; it is passed on only when not None.
            context = _call_context
            entered = context is None
            if entered:
                context = _call_context = _CallContext()
            try:
                position = self._call_training_position
                if position is not None and len(args) > position:
                    context.training = args[position]  # given positionally: `self.dropout(x, training)`
                else:
                    if "training" in kwargs:
                        training = kwargs["training"]
                    elif context.training is not None:
                        training = context.training
                    else:
                        training = self._call_training_default
                    context.training = training
                    if training is None:
                        kwargs.pop("training", None)
                    else:
                        kwargs["training"] = training
                outputs = self._forward_call(args, kwargs)
            finally:
                if entered:
                    _call_context = None
        if self.activity_regularizer is not None:
            # Keras 3 divides the activity penalty by the batch size, per output tensor.
            _CALLS.losses_added = True
            self._added_losses = [self.activity_regularizer(o) / max(o.shape[0], 1) for o in
                                  (outputs if isinstance(outputs, (list, tuple)) else [outputs])
                                  if isinstance(o, torch.Tensor)]
        if self._makes_masks:
            mask = self.compute_mask(inputs, kwargs["mask"] if "mask" in kwargs else _mask_of(inputs))
            if mask is not None:
                _attach_masks(outputs, mask)
        elif self.supports_masking:
            # Only pass a mask on when one arrived (most calls carry none).
            incoming = kwargs["mask"] if "mask" in kwargs else _mask_of(inputs)
            if incoming is not None:
                mask = self.compute_mask(inputs, incoming)
                if mask is not None:
                    _attach_masks(outputs, mask)
        return outputs

    def _forward_call(self, args, kwargs):
        if self._plain_forward and not _module_call_needed(self):
            return self.call(*args, **kwargs)  # what nn.Module.__call__ would end up doing
        return super().__call__(*args, **kwargs)

    def _array_to_tensor(self, array):
        if array.dtype.kind in "USO":
            return array  # strings (torch has no string tensors): the string layers convert them
        param = next(self.parameters(), None)
        device = param.device if param is not None else None
        dtype = None
        if array.dtype.kind == "f":
            dtype = self._variable_dtype if self._variable_dtype.is_floating_point else None
        return torch.as_tensor(backend.torch_ready(array), dtype=dtype, device=device)

    def forward(self, *args, **kwargs):
        return self.call(*args, **kwargs)

    def call(self, inputs, *args, **kwargs):
        return inputs

    def compute_mask(self, inputs, mask=None):
        return mask if self.supports_masking else None

    def _mask_from_nothing(self):
        """Whether `compute_mask(inputs, None)` may return a mask: a layer that starts one, as
        Embedding(mask_zero=True) or Masking. Assumed of any layer overriding compute_mask;
        layers that only pass on, reshape or drop an incoming mask say no."""
        return self._makes_masks

    def compute_output_shape(self, input_shape):
        """Shape inference by running `call` on fake tensors (no memory, no compute)."""
        from keraslite.models.functional import infer_output_shape

        return infer_output_shape(self, input_shape)

    # ------------------------------------------------------------------ config

    def get_config(self):
        config = {"name": self.name, "trainable": self.trainable, "dtype": self._dtype_config()}
        if self._batch_input_shape is not None:
            config["batch_input_shape"] = list(self._batch_input_shape)
        if self.activity_regularizer is not None:
            config["activity_regularizer"] = regularizers_mod.serialize(self.activity_regularizer)
        if type(self).get_config is Layer.get_config:
            return with_auto_config(self, config)
        return config

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def get_build_config(self):
        if self._build_input_shape is not None:
            return {"input_shape": _to_list(self._build_input_shape)}
        return None

    def build_from_config(self, config):
        if config and config.get("input_shape") is not None:
            self._maybe_build(_from_list(config["input_shape"]))

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}, built={self.built}>"

    def extra_repr(self):
        return f"name={self.name!r}"

    def __deepcopy__(self, memo):
        # nn.Module deep-copies fine; only the Keras name must stay as it was.
        cls = type(self)
        result = cls.__new__(cls)
        memo[id(self)] = result
        for k, v in self.__dict__.items():
            result.__dict__[k] = copy.deepcopy(v, memo)
        return result


def _compute_output_shape_from_keras1(self, input_shape):
    return self.get_output_shape_for(input_shape)


def _modules_in(value, depth=0):
    """Modules inside a (nested) list/tuple/dict value, in order."""
    out = []
    items = value.values() if isinstance(value, dict) else value
    for v in items:
        if isinstance(v, nn.Module):
            out.append(v)
        elif depth < 3 and type(v) in (list, tuple, dict, TrackedList, TrackedDict):
            out.extend(_modules_in(v, depth + 1))
    return out


class _TrackedContainer:
    """Re-registers the owner's sublayers held in this container after each mutation."""

    _owner = None
    _name = None

    def _sync(self):
        owner = self._owner
        if owner is None or owner.__dict__.get(self._name) is not self:
            return
        modules = _modules_in(self)
        if modules or self._name in owner._modules:
            # Registered at the first layer added (not at assignment): Keras orders a
            # layer's sublayers by when they were added.
            owner._modules[self._name] = nn.ModuleList(modules)

    _plain = None  # list or dict: what the container is to copies and pickles

    def __deepcopy__(self, memo):
        result = type(self)(copy.deepcopy(self._plain(self), memo))
        result._owner = copy.deepcopy(self._owner, memo) if self._owner is not None else None
        result._name = self._name
        return result

    def __reduce_ex__(self, proto):
        return (self._plain, (self._plain(self),))

    def _sync_for(self, added):
        # Cheap when a plain value joins a container that holds no layers.
        owner = self._owner
        if isinstance(added, (nn.Module, list, tuple, dict)) or (owner is not None and self._name in owner._modules):
            self._sync()


class TrackedDict(_TrackedContainer, dict):
    """A dict attribute of a Layer (Keras tracks layers stored under its keys)."""

    _plain = dict

    def __setitem__(self, k, v):
        super().__setitem__(k, v)
        self._sync_for(v)

    def __delitem__(self, k):
        super().__delitem__(k)
        self._sync()

    def update(self, *args, **kwargs):
        super().update(*args, **kwargs)
        self._sync()

    def setdefault(self, k, default=None):
        v = super().setdefault(k, default)
        self._sync()
        return v

    def pop(self, *args):
        v = super().pop(*args)
        self._sync()
        return v

    def popitem(self):
        v = super().popitem()
        self._sync()
        return v

    def clear(self):
        super().clear()
        self._sync()


class TrackedList(_TrackedContainer, list):
    """A list attribute of a Layer that holds layers; mutations re-register its layers."""

    _plain = list

    @property
    def layers(self):
        """The layers in the list, those in nested lists and dicts included, in order (tf.keras 2's
        ListWrapper.layers: `for layer in self.blocks.layers:`)."""
        return [m for m in _modules_in(self) if isinstance(m, Layer)]

    def append(self, v):
        super().append(v)
        self._sync_for(v)

    def extend(self, v):
        super().extend(v)
        self._sync()

    def insert(self, i, v):
        super().insert(i, v)
        self._sync()

    def pop(self, i=-1):
        v = super().pop(i)
        self._sync()
        return v

    def remove(self, v):
        super().remove(v)
        self._sync()

    def __setitem__(self, i, v):
        super().__setitem__(i, v)
        self._sync()

    def __delitem__(self, i):
        super().__delitem__(i)
        self._sync()

    def __iadd__(self, v):
        super().__iadd__(v)
        self._sync()
        return self


_MISSING = object()

# add_weight()'s positional arguments: name first (tf.keras 2, keraslite's own layers), or
# Keras 3's order, recognised by a shape in the first place.
_NAME_FIRST = ("name", "shape", "initializer", "dtype", "trainable", "regularizer", "constraint", "layout")
_SHAPE_FIRST = ("shape", "initializer", "dtype")


def _out_of_place(op):
    def method(self, other):
        return op(self, other)

    return method


class _InputTensor(torch.Tensor):
    """An argument of a user-written `call`, with TensorFlow's value semantics for augmented
    assignment: `inputs -= m` rebinds `inputs` to `inputs - m` instead of writing into the
    caller's tensor (which torch does in place, corrupting the previous layer's output, or
    failing in backward when that output was saved for the gradient, as ReLU's is). Results
    of operations on it are plain tensors, so nothing else pays for the subclass."""
    __torch_function__ = torch._C._disabled_torch_function_impl

    __iadd__ = _out_of_place(torch.Tensor.__add__)
    __isub__ = _out_of_place(torch.Tensor.__sub__)
    __imul__ = _out_of_place(torch.Tensor.__mul__)
    __itruediv__ = _out_of_place(torch.Tensor.__truediv__)
    __ifloordiv__ = _out_of_place(torch.Tensor.__floordiv__)
    __imod__ = _out_of_place(torch.Tensor.__mod__)
    __ipow__ = _out_of_place(torch.Tensor.__pow__)
    __imatmul__ = _out_of_place(torch.Tensor.__matmul__)
    __iand__ = _out_of_place(torch.Tensor.__and__)
    __ior__ = _out_of_place(torch.Tensor.__or__)
    __ixor__ = _out_of_place(torch.Tensor.__xor__)

    @property
    def _keras_shape(self):
        """Keras 2.0-2.2's static shape attribute, as a call() saw it: the batch size unknown."""
        return (None,) + tuple(self.shape[1:])


def carry_mask(out, source):
    """`out`, a new tensor standing for `source` (detached, or viewed as another class), with
    `source`'s Keras mask if it has one."""
    mask = getattr(source, "_keras_mask", None)
    if mask is not None:
        out._keras_mask = mask
    return out


def _as_input(x):
    if type(x) is torch.Tensor:
        return carry_mask(x.as_subclass(_InputTensor), x)
    if type(x) in (list, tuple) and any(type(v) is torch.Tensor for v in x):
        return type(x)(_as_input(v) for v in x)
    return x


def _as_plain(x):
    if type(x) is _InputTensor:  # a call that returns its input unchanged
        return carry_mask(x.as_subclass(torch.Tensor), x)
    if type(x) in (list, tuple) and any(type(v) is _InputTensor for v in x):
        return type(x)(_as_plain(v) for v in x)
    return x


def _value_semantics(call):
    """Wrap a user-written `call` so that its tensor arguments follow TensorFlow's value
    semantics under augmented assignment (see _InputTensor)."""

    @functools.wraps(call)
    def wrapper(self, *args, **kwargs):
        return _as_plain(call(self, *[_as_input(a) for a in args], **kwargs))

    return wrapper


def _as_tensor_shapes(shape):
    if isinstance(shape, (tuple, list)) and all(d is None or isinstance(d, int) for d in shape):
        return ShapeTuple(shape)
    if isinstance(shape, list):
        return [_as_tensor_shapes(s) for s in shape]
    return shape


def _as_tuples(shape):
    if hasattr(shape, "as_list") and not isinstance(shape, tuple):  # tf.TensorShape(...)
        return tuple(shape.as_list())
    if isinstance(shape, ShapeTuple):
        return tuple(shape)
    if isinstance(shape, list) and shape and not all(d is None or isinstance(d, int) for d in shape):
        return [_as_tuples(s) for s in shape]
    return shape


def _with_tensor_shapes(compute_output_shape):
    """A custom layer's compute_output_shape given ShapeTuples and its TensorShapes taken back as tuples."""
    @functools.wraps(compute_output_shape)
    def wrapper(self, input_shape, *args, **kwargs):
        return _as_tuples(compute_output_shape(self, _as_tensor_shapes(input_shape), *args, **kwargs))

    return wrapper


def _takes_no_shape(build):
    """A user `build(self)` with no shape parameter (Keras 3 then calls it with nothing)."""
    try:
        params = list(inspect.signature(build).parameters.values())[1:]
    except (TypeError, ValueError):
        return False
    return not params


def _wrap_build(build):
    no_shape = _takes_no_shape(build)

    @functools.wraps(build)
    def wrapper(self, *args, **kwargs):
        if no_shape and args and not kwargs:
            self._build_input_shape = args[0] if getattr(self, "_build_input_shape", None) is None \
                else self._build_input_shape
            args = ()
        if args and not type(self).__module__.startswith("keraslite."):
            args = (_as_tensor_shapes(args[0]),) + args[1:]
        outermost = not getattr(self, "_building", False)
        self._building = True
        try:
            # Never create weights as fake tensors while a graph is being traced symbolically,
            # nor as inference tensors when a first predict() builds the model (fit could not
            # train them later).
            with unset_fake_temporarily(), torch.inference_mode(False):
                result = build(self, *args, **kwargs)
        finally:
            if outermost:
                self._building = False
        if outermost:
            shape = args[0] if args else kwargs.get("input_shape")  # build(input_shape=...) too
            if getattr(self, "_build_input_shape", None) is None and shape is not None:
                self._build_input_shape = shape
            self.built = True
            if getattr(self, "_initial_weights", None) is not None:
                weights, self._initial_weights = self._initial_weights, None
                with unset_fake_temporarily():  # model.build(shape) traces call() on fake tensors
                    self.set_weights(weights)
        return result

    wrapper._marks_built = True
    return wrapper


def _device_of(inputs):
    if isinstance(inputs, torch.Tensor):
        return inputs.device
    if isinstance(inputs, (list, tuple)) and inputs and isinstance(inputs[0], torch.Tensor):
        return inputs[0].device
    return None


def _seen(items, v):
    return any(x is v for x in items)


def _is_symbolic(x):
    if isinstance(x, KerasTensor):
        return True
    if isinstance(x, (list, tuple)):
        return any(isinstance(v, KerasTensor) for v in x)
    if isinstance(x, dict):
        return any(isinstance(v, KerasTensor) for v in x.values())
    return False


def _shape_for_build(inputs):
    if isinstance(inputs, (list, tuple)):
        return [_shape_for_build(v) for v in inputs]
    if isinstance(inputs, dict):
        return {k: _shape_for_build(v) for k, v in inputs.items()}
    if hasattr(inputs, "shape"):
        return tuple(inputs.shape)
    return tuple(np.shape(inputs))


def _module_call_needed(layer):
    """Whether nn.Module.__call__ has work besides calling forward: hooks on the layer or
    registered globally, a torch.compile'd module, or a torch.jit trace in progress. Without
    any, a layer calls its `call` directly: two Python frames fewer per layer, which is most
    of a small model's per-batch cost in predict."""
    return bool(layer._forward_hooks or layer._forward_pre_hooks or layer._backward_hooks
                or layer._backward_pre_hooks or layer._compiled_call_impl is not None
                or _torch_module._global_forward_hooks or _torch_module._global_forward_pre_hooks
                or _torch_module._global_backward_hooks or _torch_module._global_backward_pre_hooks
                or torch._C._get_tracing_state())


def run_nested(outer, steps, x, training):
    """Feeds `x` through `steps` (pairs of a layer's `call` and whether it takes `training`),
    each output the next input, as if `outer` had been called (the outermost call) with
    `training` and had called each layer in turn: the same call context, `add_loss` results
    and training resolution for anything the layers call inside. Only for layers for which
    `calls_directly` holds, on inputs that carry no mask: then Layer.__call__ would have
    nothing else to do per call, and skipping it is most of a small model's per-batch cost."""
    global _call_context
    if _CALLS.depth:
        raise RuntimeError("run_nested() is for outermost calls only.")
    if _CALLS.losses_added:
        outer._clear_losses()
    saved, context = _call_context, _CallContext()
    context.training = training
    _call_context = context
    _CALLS.depth = 1
    try:
        for call, takes_training in steps:
            x = call(x, training=training) if takes_training else call(x)
    finally:
        _CALLS.depth = 0
        _call_context = saved
    return x


def calls_directly(layer, base_call=None):
    """Whether calling `layer` on a tensor without a mask comes down to its `call` alone:
    built, `__call__` (`base_call`, Layer's by default) and `forward` not overridden, no torch
    hooks, compile or tracing, no activity regularizer and no mask of its own making. (Input
    checks are the caller's to have made.)"""
    return (layer.built and type(layer).__call__ is (base_call or Layer.__call__) and layer._plain_forward
            and layer.activity_regularizer is None and not layer._mask_from_nothing()
            and not _module_call_needed(layer))


def _attach_masks(outputs, mask):
    """Sets `_keras_mask` on a layer's outputs from what `compute_mask` returned: one mask for a
    single tensor, or a list/tuple of masks paired with a list/tuple of outputs (a layer that
    splits its input in two returns two masks), as Keras does."""
    if isinstance(outputs, torch.Tensor):
        if isinstance(mask, torch.Tensor):
            outputs._keras_mask = mask
        return
    if isinstance(outputs, (list, tuple)) and isinstance(mask, (list, tuple)):
        for tensor, m in zip(outputs, mask):
            if isinstance(tensor, torch.Tensor) and isinstance(m, torch.Tensor):
                tensor._keras_mask = m


# The tensorflow shim's GradientTapes now recording, innermost last (kept by the tapes). Such a
# tape sees a tensor computed before it began as a constant (an RNN state carried from the
# previous training step: `out, hidden = gru(x, initial_state=hidden)`), where torch would
# differentiate back into the earlier step's graph, already freed.
RECORDING_TAPES = []


def before_tapes(value, first):
    """Whether `value` is a tensor computed before `first` (the start, an autograd node number,
    of the earliest recording tape) that no recording tape watches (`tape.watch(embedded)`)."""
    node = value.grad_fn if isinstance(value, torch.Tensor) else None
    return node is not None and node._sequence_nr() < first and not any(
        value is w for tape in RECORDING_TAPES for w in tape._watched)


def as_tape_constant(value, first):
    """`value` detached where `before_tapes` says so (a Keras mask stays attached), entry by
    entry in a list or tuple; an unchanged value is returned as it is."""
    if type(value) in (list, tuple):
        items = [as_tape_constant(v, first) for v in value]
        return value if all(a is b for a, b in zip(items, value)) else type(value)(items)
    return carry_mask(value.detach(), value) if before_tapes(value, first) else value


def _tape_constants(args, kwargs):
    """args and kwargs with each tensor computed before every recording tape began detached."""
    first = min(tape._start for tape in RECORDING_TAPES)
    return (tuple(as_tape_constant(a, first) for a in args),
            {k: as_tape_constant(v, first) for k, v in kwargs.items()})


def _mask_of(inputs):
    if isinstance(inputs, (list, tuple)):
        masks = [getattr(v, "_keras_mask", None) for v in inputs]
        return None if all(m is None for m in masks) else masks
    return getattr(inputs, "_keras_mask", None)


def _to_list(shape):
    if isinstance(shape, tuple):
        return list(shape)
    if isinstance(shape, list):
        return [_to_list(s) for s in shape]
    if isinstance(shape, dict):
        return {k: _to_list(v) for k, v in shape.items()}
    return shape


def _from_list(shape):
    if isinstance(shape, list) and (not shape or all(d is None or isinstance(d, int) for d in shape)):
        return tuple(shape)
    if isinstance(shape, list):
        return [_from_list(s) for s in shape]
    if isinstance(shape, dict):
        return {k: _from_list(v) for k, v in shape.items()}
    return shape


# ----------------------------------------------------------------------------- automatic configs

_PLAIN = (str, int, float, bool, type(None))


def _plain(value):
    if isinstance(value, (list, tuple)):
        return all(_plain(v) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and _plain(v) for k, v in value.items())
    return isinstance(value, _PLAIN)


def _auto_config(layer, signature):
    """The arguments a layer of a user class was constructed with, by parameter name of its
    __init__'s `signature`, when they are all plain values (str, int, float, bool, None, and
    lists / dicts of them); else None (Layer.__new__ keeps them only then)."""
    captured = layer.__dict__.get("_init_arguments")
    if captured is None:
        return None
    args, kwargs = captured
    try:
        bound = signature.bind(layer, *args, **kwargs)
    except TypeError:
        return None
    values = {}
    for name, value in list(bound.arguments.items())[1:]:
        kind = signature.parameters[name].kind
        if kind is inspect.Parameter.VAR_POSITIONAL:
            if value:
                return None  # positional extras have no name to be passed back by
        elif kind is inspect.Parameter.VAR_KEYWORD:
            values.update(value)
        else:
            values[name] = value
    return values


def with_auto_config(layer, config):
    """`config` (the base Layer / Model config) completed as Keras 3 completes it for a class that
    does not define get_config(): with the constructor's arguments. Keys the constructor cannot
    take (it has no **kwargs) are left out. A constructor that needs arguments that are not plain
    values cannot be rebuilt from a config: NotImplementedError, as in Keras."""
    try:
        signature = inspect.signature(type(layer).__init__)
    except (TypeError, ValueError):
        return config
    auto = _auto_config(layer, signature)
    parameters = list(signature.parameters.values())[1:]
    if auto is None:
        required = [p.name for p in parameters if p.default is inspect.Parameter.empty
                    and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
        if required and "_init_arguments" in layer.__dict__:
            raise NotImplementedError(
                f"{type(layer).__name__} '{layer.name}' cannot be serialized: it was constructed with arguments "
                f"that are not plain values (its __init__ needs {required}), and the class does not define "
                f"get_config(). Define get_config() to return the arguments that rebuild it, e.g.\n\n"
                f"    def get_config(self):\n        config = super().get_config()\n"
                f"        config.update({{{', '.join(repr(r) + ': self.' + r for r in required)}}})\n"
                f"        return config\n\nor save only the weights (model.save_weights('model.weights.h5')).")
        return config
    if not any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters):
        accepted = {p.name for p in parameters}
        config = {k: v for k, v in config.items() if k in accepted}
    return {**config, **auto}
