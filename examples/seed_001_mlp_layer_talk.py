# Tutorial: "다층 퍼셉트론 레이어 이야기" (2017, Keras 1 API: init=, keras.utils.visualize_util):
# a 4-input binary classifier of three Dense layers, drawn with model_to_dot.
#
# The Keras code below is the tutorial's, unchanged (both notebook cells). Added to make it a
# runnable script: model.summary() and a display() of the diagram at the end (a script has no
# notebook to render it into).
# Run: python -m keraslite examples/seed_001_mlp_layer_talk.py
from keras.models import Sequential
from keras.layers import Dense

model = Sequential()

model.add(Dense(8, input_dim=4, init='uniform', activation='relu'))
model.add(Dense(6, init='uniform', activation='relu'))
model.add(Dense(1, init='uniform', activation='sigmoid'))

from IPython.display import SVG
from keras.utils.visualize_util import model_to_dot

SVG(model_to_dot(model, show_shapes=True).create(prog='dot', format='svg'))
# --- added: a script has no notebook to render the diagram into; show that it was drawn.
from IPython.display import display
display(SVG(model_to_dot(model, show_shapes=True).create(prog='dot', format='svg')))
model.summary()
