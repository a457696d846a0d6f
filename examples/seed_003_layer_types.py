# Tutorial: "파이썬 딥러닝 - 07. Layer 의 종류" (2020, tf.keras through tensorflow.python.keras):
# Dense, Conv2D, MaxPooling2D, Flatten and LSTM layers, then a small CNN drawn with model_to_dot.
#
# The Keras code below is the tutorial's, unchanged, in its order (the single-layer examples
# are expressions the post shows one by one). Added to make it a runnable script: a display()
# of the diagram and model.summary() at the end. `%matplotlib inline` is a
# notebook line; `python -m keraslite` skips it.
# Run: python -m keraslite examples/seed_003_layer_types.py
from tensorflow.python.keras.layers import Dense
Dense(8,input_dim=4,activation='relu')

from tensorflow.python.keras.layers.convolutional import Conv2D
Conv2D(32,(5,5), padding='valid',input_shape=(28,28,1),activation='relu')

from tensorflow.python.keras.layers.convolutional import MaxPooling2D
MaxPooling2D(pool_size=(2,2))

from tensorflow.python.keras.layers import Flatten 
Flatten()

import numpy
from tensorflow.python.keras.models import Sequential
from tensorflow.python.keras.layers import Dense
from tensorflow.python.keras.layers import Flatten
from tensorflow.python.keras.layers.convolutional import Conv2D
from tensorflow.python.keras.layers.convolutional import MaxPooling2D
from tensorflow.python.keras.utils import np_utils

model = Sequential()

model.add(Conv2D(2,(3,3),padding='same',activation='relu',input_shape=(8,8,1)))
model.add(MaxPooling2D(pool_size=(2,2)))
model.add(Conv2D(3,(2,2),padding='same',activation='relu'))
model.add(MaxPooling2D(pool_size=(2,2)))
model.add(Flatten())
model.add(Dense(8,activation='relu'))
model.add(Dense(3,activation='softmax'))

from IPython.display import SVG
from tensorflow.python.keras.utils.vis_utils import model_to_dot

%matplotlib inline

SVG(model_to_dot(model,show_shapes=True).create(prog='dot',format='svg'))

from tensorflow.python.keras.layers import LSTM
LSTM(3, input_dim=1, input_length=5)

# --- added: a script has no notebook to render the diagram into; show that it was drawn.
from IPython.display import display
display(SVG(model_to_dot(model, show_shapes=True).create(prog='dot', format='svg')))
model.summary()
