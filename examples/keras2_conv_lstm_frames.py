"""Keras 2 dialect (2017-2019): next-frame prediction with stacked ConvLSTM2D layers, as in the
classic Keras `conv_lstm.py` example (`keras.layers.convolutional_recurrent`,
`keras.layers.normalization`, an `input_shape` whose time axis is None), shrunk to run in
seconds: 32 sequences of 6 frames of 16x16 pixels with moving squares.

Run: python -m keraslite examples/keras2_conv_lstm_frames.py
"""
import numpy as np
from keras.models import Sequential
from keras.layers.convolutional import Conv3D
from keras.layers.convolutional_recurrent import ConvLSTM2D
from keras.layers.normalization import BatchNormalization

n_samples, n_frames, size = 32, 6, 16


def generate_movies(n_samples, n_frames, size, seed=1337):
    """Squares of 2-4 pixels moving in straight lines; `shifted` is each movie one frame later."""
    rng = np.random.RandomState(seed)
    movies = np.zeros((n_samples, n_frames + 1, size, size, 1), dtype=np.float32)
    for i in range(n_samples):
        for _ in range(rng.randint(1, 3)):
            x, y = rng.randint(3, size - 3, size=2)
            dx, dy = rng.randint(-1, 2, size=2)
            w = rng.randint(1, 3)
            for t in range(n_frames + 1):
                cx, cy = x + dx * t, y + dy * t
                movies[i, t, max(cx - w, 0):cx + w, max(cy - w, 0):cy + w, 0] += 1
    movies = np.clip(movies, 0, 1)
    return movies[:, :-1], movies[:, 1:]


frames, shifted = generate_movies(n_samples, n_frames, size)
print("frames:", frames.shape, "targets:", shifted.shape)

seq = Sequential()
seq.add(ConvLSTM2D(filters=8, kernel_size=(3, 3), input_shape=(None, size, size, 1), padding='same',
                   return_sequences=True))
seq.add(BatchNormalization())
seq.add(ConvLSTM2D(filters=8, kernel_size=(3, 3), padding='same', return_sequences=True))
seq.add(BatchNormalization())
seq.add(Conv3D(filters=1, kernel_size=(3, 3, 3), activation='sigmoid', padding='same',
               data_format='channels_last'))
# The original used optimizer='adadelta' (learning rate 1.0 in Keras 2.0-2.3, 0.001 since); adam
# learns these tiny movies within 2 epochs.
seq.compile(loss='binary_crossentropy', optimizer='adam')
seq.summary()

seq.fit(frames[:24], shifted[:24], batch_size=8, epochs=2, validation_split=0.25)

# Predict the frame after the 4 known frames of 4 new movies.
track = frames[24:28, :4]
new_frames = seq.predict(track)
next_frame = new_frames[:, -1]
print("predicted sequence:", new_frames.shape)
print("predicted next frame:", next_frame.shape, "values in [%.2f, %.2f]" % (next_frame.min(), next_frame.max()))
error = np.abs(next_frame - shifted[24:28, 3]).mean()
print("mean absolute pixel error: %.4f" % error)
