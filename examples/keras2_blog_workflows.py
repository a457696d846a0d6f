"""Keras 2.0-2.2 blog-tutorial workflows, written as those tutorials were: a diabetes-style MLP
from a CSV file with `init=` and `nb_epoch=`, best-weights checkpoints named by `val_acc`,
`history.history['acc']`, a model saved as JSON + HDF5 weights and loaded back, a step-decay
learning-rate schedule with a `maxnorm` constraint, TensorBoard logs, and a stateful LSTM on a
monthly series with a look-back window, reset between epochs. Synthetic data stands in for the
downloaded files (the CSV is written here first)."""
import glob
import math
import os

import numpy
from keras import backend as K
from keras.callbacks import LearningRateScheduler, ModelCheckpoint, TensorBoard
from keras.constraints import maxnorm
from keras.layers import LSTM, Dense, Dropout
from keras.models import Sequential, model_from_json
from keras.optimizers import SGD

# ---------------------------------------------------------------- the data file
rng = numpy.random.RandomState(7)
features = rng.rand(300, 8) * [10, 200, 120, 50, 800, 60, 2, 80]
labels = (features[:, 1] / 200 + features[:, 5] / 60 + rng.rand(300) * 0.5 > 1.2).astype(int)
numpy.savetxt("pima-indians-diabetes.csv", numpy.column_stack([features, labels]), delimiter=",", fmt="%.3f")

# ---------------------------------------------------------------- first MLP, checkpoints by val_acc
numpy.random.seed(7)
dataset = numpy.loadtxt("pima-indians-diabetes.csv", delimiter=",")
X = dataset[:, 0:8]
Y = dataset[:, 8]
model = Sequential()
model.add(Dense(12, input_dim=8, init='uniform', activation='relu'))
model.add(Dense(8, init='uniform', activation='relu'))
model.add(Dense(1, init='uniform', activation='sigmoid'))
model.compile(loss='binary_crossentropy', optimizer='adam', metrics=['accuracy'])
filepath = "weights-improvement-{epoch:02d}-{val_acc:.2f}.hdf5"
checkpoint = ModelCheckpoint(filepath, monitor='val_acc', verbose=0, save_best_only=True, mode='max')
history = model.fit(X, Y, validation_split=0.33, nb_epoch=6, batch_size=10, callbacks=[checkpoint], verbose=0)
print("history acc == accuracy:", history.history['acc'] == history.history['accuracy'])
print("val_acc per epoch: %d" % len(history.history['val_acc']))
best = max(history.history['val_acc'])
saved = sorted(glob.glob("weights-improvement-*.hdf5"))
print("checkpoints: %d, last names the best val_acc: %s" % (len(saved), saved[-1].endswith("-%.2f.hdf5" % best)))
scores = model.evaluate(X, Y, verbose=0)
print("%s: %.2f%%" % (model.metrics_names[1], scores[1] * 100))

# ---------------------------------------------------------------- JSON + weights round trip
with open("model.json", "w") as json_file:
    json_file.write(model.to_json())
model.save_weights("model.h5")
with open("model.json") as json_file:
    loaded_model = model_from_json(json_file.read())
loaded_model.load_weights("model.h5")
loaded_model.compile(loss='binary_crossentropy', optimizer='rmsprop', metrics=['accuracy'])
score = loaded_model.evaluate(X, Y, verbose=0)
print("reloaded %s: %.2f%% same: %s" % (loaded_model.metrics_names[1], score[1] * 100,
                                        abs(score[1] - scores[1]) < 1e-6))


# ---------------------------------------------------------------- dropout, maxnorm, step decay, TensorBoard
def step_decay(epoch):
    return 0.1 * math.pow(0.5, math.floor((1 + epoch) / 2.0))


model = Sequential()
model.add(Dropout(0.2, input_shape=(8,)))
model.add(Dense(30, kernel_initializer='normal', activation='relu', kernel_constraint=maxnorm(3)))
model.add(Dense(1, kernel_initializer='normal', activation='sigmoid'))
model.compile(loss='binary_crossentropy', optimizer=SGD(lr=0.1, momentum=0.8, decay=0.0), metrics=['accuracy'])
model.fit(X / X.max(axis=0), Y, validation_split=0.33, epochs=4, batch_size=28, verbose=0,
          callbacks=[LearningRateScheduler(step_decay), TensorBoard(log_dir='./logs')])
print("learning rate after 4 epochs: %.3f" % K.get_value(model.optimizer.lr))
norms = numpy.sqrt((model.layers[1].get_weights()[0] ** 2).sum(axis=0))
print("kernel column norms <= 3: %s" % bool((norms <= 3 + 1e-5).all()))
print("tensorboard runs: %s" % sorted(os.listdir('logs')))


# ---------------------------------------------------------------- stateful LSTM on a monthly series
def create_dataset(data, look_back=1):
    data_x, data_y = [], []
    for i in range(len(data) - look_back - 1):
        data_x.append(data[i:(i + look_back), 0])
        data_y.append(data[i + look_back, 0])
    return numpy.array(data_x), numpy.array(data_y)


months = numpy.arange(144)
series = (112 + 2.5 * months + 40 * numpy.sin(months / 12 * 2 * numpy.pi)).astype('float32').reshape(-1, 1)
series = (series - series.min()) / (series.max() - series.min())
train = series[:96]
look_back = 3
trainX, trainY = create_dataset(train, look_back)
trainX = numpy.reshape(trainX, (trainX.shape[0], trainX.shape[1], 1))
batch_size = 1
model = Sequential()
model.add(LSTM(4, batch_input_shape=(batch_size, look_back, 1), stateful=True))
model.add(Dense(1))
model.compile(loss='mean_squared_error', optimizer='adam')
for i in range(2):
    model.fit(trainX, trainY, epochs=1, batch_size=batch_size, verbose=0, shuffle=False)
    model.reset_states()
trainPredict = model.predict(trainX, batch_size=batch_size)
rmse = math.sqrt(numpy.mean((trainPredict[:, 0] - trainY) ** 2))
print("stateful LSTM predictions: %s, train RMSE finite: %s" % (trainPredict.shape, math.isfinite(rmse)))
