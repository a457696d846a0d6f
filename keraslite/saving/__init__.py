"""Model files: legacy HDF5 (.h5), the Keras 3 zip (.keras) and weights-only files."""
from keraslite.saving.registry import (CustomObjectScope, custom_object_scope, get_custom_objects,
                                       get_registered_name, get_registered_object, register_keras_serializable)
