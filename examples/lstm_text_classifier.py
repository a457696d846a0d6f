"""An LSTM text classifier (Keras 2 style, works the same in Keras 3): word-index sequences
of different lengths padded with pad_sequences, Embedding -> LSTM -> Dense(sigmoid), trained
on a synthetic "sentiment" task where reviews containing word 7 are positive.

Run: python -m keraslite examples/lstm_text_classifier.py
"""
import numpy as np
from keras.models import Sequential
from keras.layers import Dense, Embedding, LSTM
from keras.preprocessing.sequence import pad_sequences

np.random.seed(1)
vocab_size, maxlen = 50, 12
reviews, labels = [], []
for _ in range(160):
    length = np.random.randint(3, maxlen + 4)
    words = list(np.random.randint(8, vocab_size, size=length))
    positive = np.random.rand() < 0.5
    if positive:
        words[np.random.randint(length)] = 7
    reviews.append(words)
    labels.append(int(positive))

x = pad_sequences(reviews, maxlen=maxlen)
y = np.array(labels, dtype="float32")
print("padded:", x.shape, x.dtype)

model = Sequential()
model.add(Embedding(vocab_size, 16, input_length=maxlen))
model.add(LSTM(16))
model.add(Dense(1, activation='sigmoid'))
model.compile(loss='binary_crossentropy', optimizer='adam', metrics=['accuracy'])
model.summary()
model.fit(x, y, batch_size=32, epochs=3, validation_split=0.2, verbose=2)
loss, acc = model.evaluate(x, y, verbose=0)
print("loss %.4f accuracy %.4f" % (loss, acc))
