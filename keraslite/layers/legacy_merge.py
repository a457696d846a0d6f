"""Keras 1's `Merge` layer: the first layer of a Sequential that runs several branch models on
their own inputs and merges the branch outputs.

    left = Sequential(); left.add(Dense(32, input_dim=784))
    right = Sequential(); right.add(Dense(32, input_dim=784))
    model = Sequential(); model.add(Merge([left, right], mode='concat')); model.add(Dense(10))
    model.fit([x_left, x_right], y)

Owns: applying each branch to its input and the merge modes ('sum', 'mul', 'ave', 'max',
'concat', 'dot', 'cos' or a function), which map onto the Keras 2+ merge layers in
merging.py; the input shape of the enclosing Sequential (one shape per branch).

Keras 2 removed this layer (its functional replacements are `concatenate([a, b])` & co.);
its weights are the branches' weights in branch order, as in Keras 1.
"""
from torch import nn

from keraslite.layers.layer import Layer
from keraslite.layers import merging

__all__ = ["Merge"]


class Merge(Layer):
    def __init__(self, layers=None, mode="sum", concat_axis=-1, dot_axes=-1, output_shape=None, output_mask=None,
                 arguments=None, node_indices=None, tensor_indices=None, name=None, **kwargs):
        super().__init__(name=name, **kwargs)
        if not layers:
            raise ValueError("Merge: Keras 1's Merge layer needs `layers`, the branch models whose outputs it merges, "
                             "e.g. Merge([left_model, right_model], mode='concat'). To merge tensors in the functional "
                             "API use concatenate([a, b]), add([a, b]) and the other merge functions.")
        self.branches = nn.ModuleList(layers)
        self.mode = mode
        self.concat_axis = concat_axis
        self.dot_axes = dot_axes
        self._merge_output_shape = output_shape
        self.arguments = arguments
        self._merge = merging.merge_layer_for_mode(mode, concat_axis, dot_axes, output_shape, output_mask,
                                                   arguments)
        shapes = [getattr(branch, "_batch_input_shape", None) for branch in self.branches]
        if all(s is not None for s in shapes):
            self._batch_input_shape = [tuple(s) for s in shapes]

    def _split(self, inputs, what):
        if not isinstance(inputs, (list, tuple)) or len(inputs) != len(self.branches):
            got = (f"a list of {len(inputs)}" if isinstance(inputs, (list, tuple)) else
                   f"a single input of shape {tuple(getattr(inputs, 'shape', ()))}")
            raise ValueError(f"Merge '{self.name}': expects one {what} per branch ({len(self.branches)} branches), "
                             f"received {got}. Pass a list, e.g. model.fit([x_left, x_right], y).")
        return list(inputs)

    def build(self, input_shape):
        shapes = self._split(input_shape, "input shape")
        outs = []
        for branch, shape in zip(self.branches, shapes):
            shape = tuple(shape)
            if not branch.built:
                branch._maybe_build(shape)
            outs.append(tuple(branch.compute_output_shape(shape)))
        if not self._merge.built:
            self._merge._maybe_build(outs)

    def compute_output_shape(self, input_shape):
        shapes = self._split(input_shape, "input shape")
        outs = [tuple(b.compute_output_shape(tuple(s))) for b, s in zip(self.branches, shapes)]
        return self._merge.compute_output_shape(outs)

    def call(self, inputs, training=None):
        outs = []
        for branch, x in zip(self.branches, self._split(inputs, "input")):
            outs.append(branch(x, training=training) if branch._call_accepts_training else branch(x))
        return self._merge(outs)

    def get_config(self):
        from keraslite.saving.serialization import serialize_keras_object

        config = super().get_config()
        if callable(self.mode):
            raise NotImplementedError(f"Merge '{self.name}': a function merge mode cannot be saved in a config. "
                                      "Save the weights instead (model.save_weights).")
        config.update({"layers": [serialize_keras_object(b) for b in self.branches], "mode": self.mode,
                       "concat_axis": self.concat_axis, "dot_axes": self.dot_axes,
                       "output_shape": self._merge_output_shape, "arguments": self.arguments})
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        from keraslite.saving.serialization import deserialize_keras_object

        config = dict(config)
        config["layers"] = [deserialize_keras_object(c, custom_objects=custom_objects) for c in config["layers"]]
        return cls(**config)

