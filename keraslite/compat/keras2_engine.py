"""`keras.engine.*` (topology, training, network, saving, base_layer, input_layer ...) of Keras
1 and 2: keraslite's objects under the names those modules gave them."""
from keraslite import *  # noqa: F401,F403  (Layer, InputSpec, Input, Model, Sequential ...)
from keraslite import Model
from keraslite.layers import InputLayer  # noqa: F401
from keraslite.saving import load_model, save_model  # noqa: F401  (keras.engine.saving)
from keraslite.saving.hdf5 import (load_weights_from_hdf5_group, load_weights_from_hdf5_group_by_name,  # noqa: F401
                                   save_weights_to_hdf5_group)  # (keras.engine.saving, keras.engine.topology)
from keraslite.utils import get_source_inputs  # noqa: F401  (keras.engine.topology)
from keraslite.utils.numerical import slice_arrays

slice_X = slice_arrays  # Keras 1's keras.engine.training.slice_X

Network = Container = Model  # Keras 2's and Keras 1's names of the graph model
