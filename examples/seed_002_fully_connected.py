# Tutorial: "Keras 사용해보기 - 완전연결 계층" (tf.keras): the Fashion-MNIST classifier's
# Flatten -> Dense(128, relu) -> Dense(10, softmax) model.
#
# The model code below is the tutorial's, unchanged. Added to make it a runnable script: the
# imports the post assumes from its previous part (`keras`, `layers` from tensorflow), and
# model.summary().
# Run: python -m keraslite examples/seed_002_fully_connected.py
from tensorflow import keras
from tensorflow.keras import layers

model = keras.Sequential()
model.add(layers.Flatten(input_shape = (28, 28)))	# 1
model.add(layers.Dense(128, activation='relu'))		# 2
model.add(layers.Dense(10, activation='softmax'))		# 3

model.summary()
