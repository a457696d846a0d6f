"""InputLayer and `Input()`: the entry points of a model's graph.

`Input(shape)` returns a KerasTensor whose history points at a new InputLayer; calling
layers on it builds a functional graph (keraslite.models.functional). In a Sequential model
an InputLayer only fixes the input shape.
"""
from keraslite import backend
from keraslite.layers.keras_tensor import KerasTensor
from keraslite.layers.layer import Layer, _normalize_shape

__all__ = ["InputLayer", "Input"]


class InputLayer(Layer):
    def __init__(self, shape=None, batch_size=None, dtype=None, sparse=None, batch_shape=None, input_tensor=None,
                 name=None, ragged=None, optional=False, input_shape=None, batch_input_shape=None, **kwargs):
        kwargs.pop("trainable", None)
        name = name or backend.get_uid("input_layer")
        if shape is None:
            shape = input_shape
        if batch_shape is None:
            batch_shape = batch_input_shape
        if batch_shape is None:
            if shape is None:
                raise ValueError(f"InputLayer '{name}': pass `shape` (without the batch dimension) or "
                                 "`batch_shape`.")
            batch_shape = (batch_size,) + _normalize_shape(shape)
        # torch has no string tensors: a "string" input carries numpy arrays of str to the
        # first layer (TextVectorization, StringLookup, Hashing), which makes tensors of them.
        self._string = _is_string_dtype(dtype)
        super().__init__(name=name, dtype=None if self._string else dtype, batch_input_shape=batch_shape, **kwargs)
        self.sparse = bool(sparse)
        self.ragged = bool(ragged)
        self.optional = optional
        self.batch_shape = tuple(self._batch_input_shape)
        self._build_input_shape = self.batch_shape
        self.built = True
        self.output = KerasTensor(self.batch_shape, dtype=self.dtype, name=self.name, keras_history=(self, 0, 0))

    @property
    def dtype(self):
        return "string" if self.__dict__.get("_string") else super().dtype

    @property
    def input(self):
        """The tensor this layer makes, as tf.keras gave it: `Model(model.get_layer("image").input,
        ...)` cuts a model at one of its inputs (Keras 3 gives an empty list here)."""
        return self.output

    def call(self, inputs):
        return inputs

    def compute_output_shape(self, input_shape):
        return input_shape

    @property
    def input_shape(self):
        return self._tf_keras_form(self.batch_shape)

    @property
    def output_shape(self):
        return self._tf_keras_form(self.batch_shape)

    @staticmethod
    def _tf_keras_form(shape):
        """tf.keras 2 gives an InputLayer's shapes as a list of one shape (`[(None, 224, 224, 3)]`,
        read as `output_shape[0][1:3]`); other programs get the shape itself."""
        from keraslite.compat.aliases import tensorflow_program

        return [shape] if tensorflow_program() else shape

    def get_config(self):
        return {"batch_shape": list(self.batch_shape), "dtype": self.dtype, "sparse": self.sparse,
                "ragged": self.ragged, "name": self.name, "optional": self.optional}


def _is_string_dtype(dtype):
    if dtype is None:
        return False
    if isinstance(dtype, dict):
        dtype = dtype.get("config", {}).get("name")
    name = getattr(dtype, "name", dtype)
    return isinstance(name, str) and name in ("string", "str", "object")


def Input(shape=None, batch_size=None, dtype=None, sparse=None, batch_shape=None, name=None, tensor=None,
          ragged=None, optional=False):
    """A symbolic input tensor: `x = Input(shape=(784,))`. `tensor=` an existing symbolic tensor
    gives that tensor back, as Keras does (the applications' `input_tensor` path)."""
    if isinstance(tensor, KerasTensor):
        return tensor
    layer = InputLayer(shape=shape, batch_size=batch_size, dtype=dtype, sparse=sparse, batch_shape=batch_shape,
                       name=name, ragged=ragged, optional=optional)
    return layer.output
