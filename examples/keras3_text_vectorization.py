"""Keras 3 text classification with a TextVectorization layer (keras.io style).

The vocabulary is learned with `adapt` on a small in-file corpus of movie-review snippets,
texts are vectorized once up front (the standalone use most tutorials show), and a small
Embedding + GlobalAveragePooling1D + Dense model is trained, evaluated and used to predict.
Finally an end-to-end model takes raw strings through `keras.Input(shape=(1,), dtype="string")`.

Run with: python -m keraslite examples/keras3_text_vectorization.py
"""
import numpy as np

import keras
from keras import layers

keras.utils.set_random_seed(42)

positive = [
    "A wonderful film with a great cast.",
    "Great story, great acting, I loved it!",
    "An absolute delight from start to finish.",
    "Funny, warm and beautifully shot.",
    "One of the best movies of the year.",
    "I loved the music and the wonderful ending.",
    "Brilliant performances and a clever script.",
    "A joy to watch; great fun for everyone.",
]
negative = [
    "A boring film with a terrible script.",
    "Awful acting and a dull, predictable story.",
    "I hated it, what a waste of time.",
    "The worst movie I have seen in years!",
    "Dull, slow and far too long.",
    "Terrible music and a boring ending.",
    "A mess: bad jokes, bad acting, bad everything.",
    "Predictable and awful from start to finish.",
]
texts = np.array(positive * 6 + negative * 6)
labels = np.array([1] * (len(positive) * 6) + [0] * (len(negative) * 6), dtype="float32")
order = np.random.permutation(len(texts))
texts, labels = texts[order], labels[order]

max_tokens, sequence_length = 200, 12
vectorize_layer = layers.TextVectorization(max_tokens=max_tokens, output_mode="int",
                                           output_sequence_length=sequence_length)
vectorize_layer.adapt(texts)
vocabulary = vectorize_layer.get_vocabulary()
print("vocabulary size:", vectorize_layer.vocabulary_size())
print("first tokens:", vocabulary[:6])

sequences = vectorize_layer(texts)
print("vectorized:", tuple(sequences.shape), str(sequences.dtype).replace("torch.", ""))
print("'great fun' ->", np.asarray(vectorize_layer(["great fun"]))[0][:4].tolist())

model = keras.Sequential([
    keras.Input(shape=(sequence_length,), dtype="int64"),
    layers.Embedding(max_tokens, 16),
    layers.GlobalAveragePooling1D(),
    layers.Dense(16, activation="relu"),
    layers.Dense(1, activation="sigmoid"),
])
model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
model.summary()
model.fit(sequences, labels, epochs=30, batch_size=16, validation_split=0.2, verbose=2)

loss, accuracy = model.evaluate(sequences, labels, verbose=0)
print(f"evaluate loss {loss:.4f} accuracy {accuracy:.4f}")

samples = ["A great and wonderful movie", "boring, awful and dull"]
probabilities = model.predict(vectorize_layer(samples), verbose=0)
for text, p in zip(samples, probabilities[:, 0]):
    print(f"{text!r}: {'positive' if p > 0.5 else 'negative'} ({p:.3f})")

# The same model on raw strings: the vectorizer becomes the model's first layer.
inputs = keras.Input(shape=(1,), dtype="string")
outputs = model(vectorize_layer(inputs))
end_to_end = keras.Model(inputs, outputs)
end_to_end.compile(loss="binary_crossentropy", optimizer="adam", metrics=["accuracy"])
raw_loss, raw_accuracy = end_to_end.evaluate(texts, labels, verbose=0)
print(f"end-to-end accuracy on raw strings {raw_accuracy:.4f}")
raw_predictions = end_to_end.predict(np.array(samples), verbose=0)[:, 0]
print("end-to-end predictions:", " ".join(f"{p:.3f}" for p in raw_predictions))
