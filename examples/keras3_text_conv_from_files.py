"""Text classification from files on disk with a frozen, pre-computed word-embedding matrix and
a strided 1D convnet over sequences of any length (keras.io "text classification from
scratch" and "pre-trained word embeddings" style, Keras 3).

Reviews are written to class folders, read with text_dataset_from_directory (with a
validation split), vectorized with a TextVectorization layer whose standardization strips
HTML breaks with tf.strings, and fed to `Input(shape=(None,))` -> Embedding (weights from an
embedding "file", frozen) -> strided Conv1D / MaxPooling1D stack. The trained model is then
wrapped into an end-to-end model that reads raw strings.

Run with: python -m keraslite examples/keras3_text_conv_from_files.py
"""
import os
import re
import string
import tempfile

import numpy as np
import tensorflow as tf
import keras
from keras import layers

keras.utils.set_random_seed(11)
rng = np.random.RandomState(11)

WORDS = {"pos": ["great", "superb", "loved", "moving", "brilliant"],
         "neg": ["awful", "boring", "hated", "dull", "clumsy"]}
FILLER = ["the", "film", "was", "a", "story", "and", "it", "cast", "plot", "scene", "of", "with"]
root = tempfile.mkdtemp()
for label, words in WORDS.items():
    os.makedirs(os.path.join(root, label))
    for i in range(50):
        tokens = list(rng.choice(FILLER, 40)) + list(rng.choice(words, 4))
        rng.shuffle(tokens)
        with open(os.path.join(root, label, f"{i}.txt"), "w") as f:
            f.write(" ".join(tokens[:22]) + ".<br /><br />" + " ".join(tokens[22:]) + "!")

raw_train_ds = keras.utils.text_dataset_from_directory(root, batch_size=16, validation_split=0.2,
                                                       subset="training", seed=1337)
raw_val_ds = keras.utils.text_dataset_from_directory(root, batch_size=16, validation_split=0.2,
                                                     subset="validation", seed=1337)
print("classes:", raw_train_ds.class_names, "batches:", int(raw_train_ds.cardinality()),
      int(raw_val_ds.cardinality()))


def custom_standardization(input_data):
    lowercase = tf.strings.lower(input_data)
    stripped_html = tf.strings.regex_replace(lowercase, "<br />", " ")
    return tf.strings.regex_replace(stripped_html, f"[{re.escape(string.punctuation)}]", "")


vectorizer = layers.TextVectorization(standardize=custom_standardization, max_tokens=200,
                                      output_sequence_length=60)
vectorizer.adapt(raw_train_ds.map(lambda x, y: x))
vocabulary = vectorizer.get_vocabulary()
print("vocabulary size:", len(vocabulary), "'<br' kept:", any("br" == w for w in vocabulary))

# A small embedding "file" (word followed by its vector), parsed as GloVe files are.
embedding_dim = 8
embedding_file = os.path.join(root, "vectors.txt")
with open(embedding_file, "w") as f:
    for word in vocabulary[2:]:
        sign = 1.0 if word in WORDS["pos"] else -1.0 if word in WORDS["neg"] else 0.0
        f.write(word + " " + " ".join(f"{v:.4f}" for v in sign + 0.1 * rng.randn(embedding_dim)) + "\n")
embeddings_index = {}
with open(embedding_file) as f:
    for line in f:
        word, coefs = line.split(maxsplit=1)
        embeddings_index[word] = np.array(coefs.split(), dtype="float32")
embedding_matrix = np.zeros((len(vocabulary) + 2, embedding_dim))
for i, word in enumerate(vocabulary):
    if word in embeddings_index:
        embedding_matrix[i] = embeddings_index[word]
embedding_layer = layers.Embedding(len(vocabulary) + 2, embedding_dim, trainable=False)
embedding_layer.build((1,))
embedding_layer.set_weights([embedding_matrix])

inputs = keras.Input(shape=(None,), dtype="int64")
x = embedding_layer(inputs)
x = layers.Conv1D(16, 5, strides=2, activation="relu")(x)
x = layers.MaxPooling1D(3)(x)
x = layers.Conv1D(16, 3, activation="relu")(x)
print("conv stack output:", x.shape)
x = layers.GlobalMaxPooling1D()(x)
outputs = layers.Dense(1, activation="sigmoid")(layers.Dropout(0.3)(x))
model = keras.Model(inputs, outputs)
print("trainable weights:", len(model.trainable_weights), "frozen:", len(model.non_trainable_weights))

train_ds = raw_train_ds.map(lambda text, label: (vectorizer(tf.expand_dims(text, -1)), label)).cache()
val_ds = raw_val_ds.map(lambda text, label: (vectorizer(tf.expand_dims(text, -1)), label)).cache()
model.compile(loss="binary_crossentropy", optimizer=keras.optimizers.Adam(1e-2), metrics=["accuracy"])
model.fit(train_ds, validation_data=val_ds, epochs=8, verbose=2)
loss, accuracy = model.evaluate(val_ds, verbose=0)
print(f"validation loss {loss:.3f} accuracy {accuracy:.3f}")
print("embedding unchanged by training:", bool(np.allclose(embedding_layer.get_weights()[0], embedding_matrix)))

string_input = keras.Input(shape=(1,), dtype="string")
end_to_end_model = keras.Model(string_input, model(vectorizer(string_input)))
reviews = keras.ops.convert_to_tensor([["the plot was superb and i loved the cast"],
                                       ["a boring film, dull and clumsy"]])
probabilities = np.asarray(end_to_end_model(reviews)).ravel()
print("raw-string predictions:", [raw_train_ds.class_names[int(p > 0.5)] for p in probabilities])
