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


def _leading_merge(branch):
    """The Merge a branch (a Sequential) starts with, or None."""
    stack = getattr(branch, "_stack", None)
    return stack[0] if stack and isinstance(stack[0], Merge) else None


def _branch_leaves(branch):
    merge = _leading_merge(branch)
    return merge._leaves() if merge is not None else [branch]


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
        shapes = [getattr(leaf, "_batch_input_shape", None) for leaf in self._leaves()]
        if all(s is not None for s in shapes):
            self._batch_input_shape = [tuple(s) for s in shapes]

    @property
    def layers(self):
        """The branch models, as Keras 1's `Merge.layers` (`model.layers[0].layers[0]` is the first branch)."""
        return list(self.branches)

    # A branch may itself be a Sequential that starts with a Merge (Keras 1's babi_memnn merges
    # `match`, a merge of two encoders, with a third): as in Keras 1, the model's inputs are the
    # inputs of the innermost branches ("leaves") in order, a branch used twice counted once.
    def _leaves(self):
        out = []
        for branch in self.branches:
            for leaf in _branch_leaves(branch):
                if not any(leaf is seen for seen in out):
                    out.append(leaf)
        return out

    def _split(self, inputs, what):
        """{id(leaf): its input} from the flat list of the leaves' inputs."""
        leaves = self._leaves()
        if not isinstance(inputs, (list, tuple)) or len(inputs) != len(leaves):
            got = (f"a list of {len(inputs)}" if isinstance(inputs, (list, tuple)) else
                   f"a single input of shape {tuple(getattr(inputs, 'shape', ()))}")
            raise ValueError(f"Merge '{self.name}': expects one {what} per input branch ({len(leaves)}: "
                             f"{[leaf.name for leaf in leaves]}), received {got}. Pass a list, e.g. "
                             "model.fit([x_left, x_right], y).")
        return {id(leaf): value for leaf, value in zip(leaves, inputs)}

    @staticmethod
    def _for_branch(branch, by_leaf, as_shape=False):
        merge = _leading_merge(branch)
        if merge is None:
            value = by_leaf[id(branch)]
            return tuple(value) if as_shape else value
        return [by_leaf[id(leaf)] for leaf in merge._leaves()]

    def build(self, input_shape):
        by_leaf = self._split(input_shape, "input shape")
        outs = []
        for branch in self.branches:
            shape = self._for_branch(branch, by_leaf, as_shape=True)
            if not branch.built:
                branch._maybe_build(shape)
            outs.append(tuple(branch.compute_output_shape(shape)))
        if not self._merge.built:
            self._merge._maybe_build(outs)

    def compute_output_shape(self, input_shape):
        by_leaf = self._split(input_shape, "input shape")
        outs = [tuple(b.compute_output_shape(self._for_branch(b, by_leaf, as_shape=True))) for b in self.branches]
        return self._merge.compute_output_shape(outs)

    def call(self, inputs, training=None):
        by_leaf = self._split(inputs, "input")
        outs = []
        for branch in self.branches:
            x = self._for_branch(branch, by_leaf)
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

