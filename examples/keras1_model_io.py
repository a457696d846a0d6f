"""Keras 1 (2016) dialect: saving and restoring models the way 2016 tutorials did. Exercises
`model.to_json()` + `model_from_json`, `model.to_yaml()` + `model_from_yaml`,
`save_weights('...h5')` / `load_weights`, `ModelCheckpoint(filepath, verbose=1,
save_best_only=True)` with a `{epoch:02d}-{val_loss:.2f}` file name, `EarlyStopping(monitor=
'val_loss', patience=2)`, `model.save` and `keras.models.load_model` (also with a custom layer written the Keras 1.0
way: `K.variable` weights listed in `self.trainable_weights`, `get_output_shape_for`,
`get_config`, reloaded through `custom_objects`), on a small synthetic regression problem.
Files are written to a temporary folder.

Run: python -m keraslite examples/keras1_model_io.py
"""
from __future__ import print_function
import os
import tempfile
import numpy as np
np.random.seed(1337)  # for reproducibility

from keras import backend as K
from keras.engine.topology import Layer
from keras.models import Sequential, model_from_json, model_from_yaml, load_model
from keras.layers.core import Dense, Activation, Dropout
from keras.callbacks import ModelCheckpoint, EarlyStopping
from keras.optimizers import RMSprop

workdir = tempfile.mkdtemp()

X = np.random.rand(300, 10)
y = np.dot(X, np.random.rand(10, 1)) + np.random.rand(300, 1)
X_train, y_train, X_val, y_val = X[:60], y[:60], X[240:], y[240:]

model = Sequential()
model.add(Dense(64, input_dim=10, init='glorot_uniform'))
model.add(Activation('tanh'))
model.add(Dropout(0.1))
model.add(Dense(1, init='normal'))
model.compile(loss='mean_squared_error', optimizer=RMSprop(lr=0.01))

checkpointer = ModelCheckpoint(filepath=os.path.join(workdir, 'weights.{epoch:02d}-{val_loss:.2f}.hdf5'),
                               verbose=1, save_best_only=True)
best_path = os.path.join(workdir, 'best_weights.hdf5')
best = ModelCheckpoint(best_path, monitor='val_loss', verbose=0, save_best_only=True,
                       save_weights_only=True)
early_stopping = EarlyStopping(monitor='val_loss', patience=2, verbose=1)
history = model.fit(X_train, y_train, batch_size=16, nb_epoch=40, verbose=0,
                    validation_data=(X_val, y_val),
                    callbacks=[checkpointer, best, early_stopping])
print('trained for %d epochs (early stopping patience 2)' % len(history.history['loss']))
print('checkpoints written:', len([f for f in os.listdir(workdir) if f.startswith('weights.')]))

# save the architecture as JSON and the weights as HDF5, then rebuild
json_string = model.to_json()
open(os.path.join(workdir, 'my_model_architecture.json'), 'w').write(json_string)
model.save_weights(os.path.join(workdir, 'my_model_weights.h5'))

rebuilt = model_from_json(open(os.path.join(workdir, 'my_model_architecture.json')).read())
rebuilt.load_weights(os.path.join(workdir, 'my_model_weights.h5'))
rebuilt.compile(loss='mean_squared_error', optimizer='rmsprop')
print('model_from_json layers:', [layer.__class__.__name__ for layer in rebuilt.layers])
same = np.allclose(model.predict(X_val), rebuilt.predict(X_val), atol=1e-6)
print('JSON + weights reload gives the same predictions:', same)

# YAML was the other text format of the time
try:
    yaml_string = model.to_yaml()
    from_yaml = model_from_yaml(yaml_string)
    print('model_from_yaml layers:', len(from_yaml.layers))
except (RuntimeError, ImportError, NotImplementedError) as e:
    print('to_yaml is not available:', e)

# the best checkpoint's weights into a fresh copy of the architecture
restored = model_from_json(json_string)
restored.load_weights(best_path)
restored.compile(loss='mean_squared_error', optimizer='rmsprop')
print('best checkpoint val_loss: %.4f (history min %.4f)'
      % (restored.evaluate(X_val, y_val, verbose=0), min(history.history['val_loss'])))

# whole model: architecture + weights + optimizer state in one HDF5 file (Keras 1.0.7+)
model.save(os.path.join(workdir, 'my_model.h5'))
del model  # deletes the existing model
model = load_model(os.path.join(workdir, 'my_model.h5'))
print('load_model predictions equal:', np.allclose(model.predict(X_val), rebuilt.predict(X_val), atol=1e-6))
model.fit(X_train, y_train, batch_size=16, nb_epoch=1, verbose=2)


# a custom layer as the Keras 1.0 docs wrote it
class MyLayer(Layer):
    def __init__(self, output_dim, **kwargs):
        self.output_dim = output_dim
        super(MyLayer, self).__init__(**kwargs)

    def build(self, input_shape):
        input_dim = input_shape[1]
        initial_weight_value = np.random.random((input_dim, self.output_dim))
        self.W = K.variable(initial_weight_value)
        self.trainable_weights = [self.W]

    def call(self, x, mask=None):
        return K.dot(x, self.W)

    def get_output_shape_for(self, input_shape):
        return (input_shape[0], self.output_dim)

    def get_config(self):
        config = {'output_dim': self.output_dim}
        base_config = super(MyLayer, self).get_config()
        return dict(list(base_config.items()) + list(config.items()))


custom = Sequential()
custom.add(MyLayer(8, input_dim=10))
custom.add(Activation('relu'))
custom.add(Dense(1))
custom.compile(loss='mse', optimizer='rmsprop')
W_before = K.get_value(custom.layers[0].W).copy()
custom.fit(X_train, y_train, batch_size=16, nb_epoch=2, verbose=0)
print('MyLayer output shape:', custom.layers[0].output_shape, '- W trained:',
      not np.allclose(W_before, K.get_value(custom.layers[0].W)))
custom.save(os.path.join(workdir, 'custom.h5'))
reloaded = load_model(os.path.join(workdir, 'custom.h5'), custom_objects={'MyLayer': MyLayer})
print('custom layer reloaded, same predictions:',
      np.allclose(custom.predict(X_val, verbose=0), reloaded.predict(X_val, verbose=0), atol=1e-6))
