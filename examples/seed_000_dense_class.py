# Tutorial: "[케라스] Dense 클래스" (2020, Keras 2 API): a Dense stack for binary classification
# of 4 inputs, drawn with model_to_dot.
#
# The Keras code below is the tutorial's, unchanged. Added to make it a runnable script:
#   - model.summary() at the end (the tutorial shows the diagram instead),
#   - a display() of the diagram, since a script has no notebook to render it into.
# Run: python -m keraslite examples/seed_000_dense_class.py
from keras.models import Sequential
from keras.layers import Dense
model = Sequential()
model.add(Dense(8, input_dim = 4, kernel_initializer = 'uniform', activation = 'relu'))
model.add(Dense(6, kernel_initializer = 'uniform', activation = 'relu'))
model.add(Dense(1, kernel_initializer = 'uniform', activation = 'sigmoid'))
from IPython.display import SVG
from keras.utils.vis_utils import model_to_dot
SVG(model_to_dot(model, show_shapes=True).create(prog='dot', format='svg'))
# --- added: a script has no notebook to render the diagram into; show that it was drawn.
from IPython.display import display
display(SVG(model_to_dot(model, show_shapes=True).create(prog='dot', format='svg')))
model.summary()
