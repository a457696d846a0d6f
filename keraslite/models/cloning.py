"""`keras.models.clone_model`: a new model of the same architecture with new weights.

Sequential models are rebuilt layer by layer, functional models by replaying their graph
node by node on new inputs (a layer used twice is cloned once, so sharing survives), and
subclassed models through their config. Each layer is copied by `clone_function` (default:
a new layer from the layer's config, so weights are freshly initialized, as in Keras).
"""
from keraslite.layers.input_layer import Input, InputLayer
from keraslite.layers.keras_tensor import KerasTensor

__all__ = ["clone_model"]


def _default_clone(layer):
    from keraslite.layers.misc import Lambda

    config = layer.get_config()
    if isinstance(layer, Lambda):
        # A model in memory, not a file: the clone calls the same Python functions (a config
        # holds lambdas as bytecode, which from_config refuses to run), as tf.keras 2's did.
        config.update(function=layer.function, output_shape=layer._output_shape, mask=layer.mask)
    return layer.__class__.from_config(config)


def clone_model(model, input_tensors=None, clone_function=None, call_function=None, recursive=False, **kwargs):
    from keraslite.models.model import Model
    from keraslite.models.sequential import Sequential

    if kwargs:
        raise ValueError(f"clone_model got unexpected keyword argument(s) {sorted(kwargs)}.")
    if clone_function is not None and not callable(clone_function):
        raise ValueError(f"`clone_function` must be callable; received {clone_function!r}.")
    user_clone = clone_function
    clone_function = clone_function or _default_clone
    if recursive:
        inner_clone = clone_function

        def clone_function(layer):  # noqa: F811 - nested models are cloned with the same rules
            if isinstance(layer, Model) and (isinstance(layer, Sequential) or layer._graph is not None):
                return clone_model(layer, clone_function=user_clone, call_function=call_function, recursive=True)
            return inner_clone(layer)

    if isinstance(model, Sequential):
        return _compiled_like(model, _clone_sequential(model, input_tensors, clone_function, call_function))
    if isinstance(model, Model) and model._graph is not None:
        return _compiled_like(model, _clone_functional(model, input_tensors, clone_function, call_function))
    if not isinstance(model, Model):
        raise ValueError(f"clone_model expects a keras Model; received {type(model).__name__}.")
    if user_clone is not None or input_tensors is not None or call_function is not None:
        raise ValueError(f"clone_model cannot take `clone_function`, `call_function` or `input_tensors` for the "
                         f"subclassed model '{model.name}' ({type(model).__name__}): only Sequential and functional "
                         "models expose their layers' connections. Call clone_model(model) alone, which rebuilds "
                         "the model from its config.")
    from keraslite.saving.serialization import deserialize_keras_object, serialize_keras_object

    return deserialize_keras_object(serialize_keras_object(model))


def _compiled_like(model, clone):
    """A clone of a compiled Sequential or functional model is compiled as it was (a new
    optimizer of the same configuration), as Keras 3 compiles it."""
    if getattr(model, "compiled", False):
        clone.compile_from_config(model.get_compile_config())
    return clone


def _clone_sequential(model, input_tensors, clone_function, call_function):
    from keraslite.models.model import Model
    from keraslite.models.sequential import Sequential

    layers = [clone_function(layer) for layer in model.layers]
    input_layer = getattr(model, "_input_layer", None) or next(
        (m for m in model.modules() if isinstance(m, InputLayer)), None)
    if input_tensors is not None:
        inputs = input_tensors[0] if isinstance(input_tensors, (list, tuple)) else input_tensors
        if not isinstance(inputs, KerasTensor):
            raise ValueError("clone_model: `input_tensors` for a Sequential model must be one symbolic tensor "
                             f"(from keras.Input); received {type(inputs).__name__}.")
        x = inputs
        for layer in layers:
            x = call_function(layer, x) if call_function else layer(x)
        return Model(inputs, x, name=model.name)
    if call_function is not None:
        if input_layer is None:
            raise ValueError(f"clone_model with `call_function` needs the Sequential model '{model.name}' to know "
                             "its input shape (start it with keras.Input(shape=...)).")
        inputs = Input(batch_shape=input_layer.batch_shape, dtype=input_layer.dtype, name=input_layer.name)
        x = inputs
        for layer in layers:
            x = call_function(layer, x)
        return Model(inputs, x, name=model.name)
    if input_layer is not None:
        layers = [Input(batch_shape=input_layer.batch_shape, dtype=input_layer.dtype, name=input_layer.name)] + layers
    return Sequential(layers, name=model.name, trainable=model.trainable)


def _clone_functional(model, input_tensors, clone_function, call_function):
    from keraslite.models.functional import KerasOp, SymbolicOp, flatten, map_structure, pack_as
    from keraslite.models.model import Model

    graph = model._graph
    new = {}  # id(old KerasTensor) -> new KerasTensor
    if input_tensors is not None:
        given = flatten(input_tensors)
        if len(given) != len(graph.inputs) or not all(isinstance(t, KerasTensor) for t in given):
            raise ValueError(f"clone_model: `input_tensors` must be {len(graph.inputs)} symbolic tensor(s) (from "
                             f"keras.Input), one per input of '{model.name}'; received {len(given)}.")
        new.update({id(old): t for old, t in zip(graph.inputs, given)})
    else:
        for old in graph.inputs:
            layer = old._keras_history[0]
            new[id(old)] = Input(batch_shape=layer.batch_shape, dtype=layer.dtype, name=layer.name,
                                 sparse=getattr(layer, "sparse", False))
    cloned = {}  # id(old layer) -> its clone

    def swap(value):
        return new[id(value)] if isinstance(value, KerasTensor) else value

    for node in graph.ordered_nodes:
        if node.is_input:
            continue
        layer = node.layer
        if isinstance(layer, (SymbolicOp, KerasOp)):
            replacement = layer  # a tensor operation has no weights: reuse it
        else:
            if id(layer) not in cloned:
                cloned[id(layer)] = clone_function(layer)
            replacement = cloned[id(layer)]
        args = map_structure(swap, list(node.args))
        kwargs = map_structure(swap, dict(node.kwargs))
        if call_function is not None and replacement is not layer:
            outputs = call_function(replacement, *args, **kwargs)
        else:
            outputs = replacement(*args, **kwargs)
        for old, t in zip(node.output_tensors, flatten(outputs)):
            new[id(old)] = t
    inputs = pack_as(graph.input_struct, [new[id(t)] for t in graph.inputs])
    outputs = pack_as(graph.output_struct, [new[id(t)] for t in graph.outputs])
    return Model(inputs, outputs, name=model.name)
