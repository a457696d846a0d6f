"""Keras 1 (2016): two Sequential branches joined by the Merge layer, trained on a list of
inputs. Runs unchanged with `python -m keraslite examples/keras1_merge_branches.py`."""
import numpy as np
from keras.models import Sequential
from keras.layers import Dense, Merge

np.random.seed(1337)
data_1 = np.random.random((200, 16))
data_2 = np.random.random((200, 8))
labels = (data_1.sum(axis=1) > data_2.sum(axis=1) * 2).astype("int32")

left_branch = Sequential()
left_branch.add(Dense(12, input_dim=16, init="uniform", activation="relu"))

right_branch = Sequential()
right_branch.add(Dense(12, input_dim=8, init="uniform", activation="relu"))

merged = Merge([left_branch, right_branch], mode="concat")

final_model = Sequential()
final_model.add(merged)
final_model.add(Dense(1, init="uniform", activation="sigmoid"))
final_model.compile(optimizer="rmsprop", loss="binary_crossentropy", metrics=["accuracy"])
final_model.fit([data_1, data_2], labels, nb_epoch=5, batch_size=32, verbose=2)
loss, acc = final_model.evaluate([data_1, data_2], labels, verbose=0)
print("loss %.4f, accuracy %.4f" % (loss, acc))
print(final_model.predict_classes([data_1[:5], data_2[:5]], verbose=0).ravel())
