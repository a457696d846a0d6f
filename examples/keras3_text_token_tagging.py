"""Token tagging (named-entity style) from a tab-separated text file, in the style of the
keras.io "NER using Transformers" example (tf.keras dialect).

Each line of the file is `length<TAB>tokens...<TAB>tags...`. A tf.data pipeline reads it with
TextLineDataset, splits and parses each line with tf.strings, maps tokens to ids with a
StringLookup and pads each batch with padded_batch. The model is subclassed: a transformer
block whose `call(self, inputs, training)` is called without `training` (it inherits the
model's), trained with a custom loss that ignores padding, then scored with numpy masks over
the predictions.

Run with: python -m keraslite examples/keras3_text_token_tagging.py
"""
import os
import tempfile
from collections import Counter

import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

keras.utils.set_random_seed(3)
rng = np.random.RandomState(3)

PEOPLE, PLACES = ["anna", "omar", "li", "sofia"], ["paris", "lima", "oslo", "cairo"]
OTHER = ["met", "in", "visited", "the", "and", "from", "went", "to"]
TAGS = {"O": 0, "B-PER": 1, "B-LOC": 2}


def sentence():
    words = [rng.choice(PEOPLE), rng.choice(["met", "visited", "went to"]), rng.choice(PLACES)]
    words = " ".join(words).split()
    if rng.rand() < 0.5:
        words += ["and", rng.choice(PEOPLE)]
    tags = [TAGS["B-PER"] if w in PEOPLE else TAGS["B-LOC"] if w in PLACES else TAGS["O"] for w in words]
    return words, tags


folder = tempfile.mkdtemp()
paths = {}
for split, count in (("train", 160), ("val", 40)):
    paths[split] = os.path.join(folder, f"{split}.txt")
    with open(paths[split], "w") as f:
        for _ in range(count):
            words, tags = sentence()
            f.write("\t".join([str(len(words))] + [w.capitalize() for w in words] + [str(t) for t in tags]) + "\n")

counter = Counter(w.lower() for line in open(paths["train"]) for w in line.split("\t")[1:int(line.split("\t")[0]) + 1])
vocabulary = [token for token, _ in counter.most_common()]
lookup_layer = layers.StringLookup(vocabulary=vocabulary)
print("vocabulary:", len(vocabulary), "words; first line:", list(tf.data.TextLineDataset(paths["train"]).take(1)
                                                                 .as_numpy_iterator())[0][:20])


def map_record(record):
    record = tf.strings.split(record, sep="\t")
    length = tf.strings.to_number(record[0], out_type=tf.int32)
    tokens = tf.strings.lower(record[1:length + 1])
    tags = tf.strings.to_number(record[length + 1:], out_type=tf.int64) + 1  # 0 is padding
    return tokens, tags


def make_dataset(path):
    return (tf.data.TextLineDataset(path).map(map_record).map(lambda x, y: (lookup_layer(x), y))
            .padded_batch(16))


train_dataset, val_dataset = make_dataset(paths["train"]), make_dataset(paths["val"])
tokens, tags = next(iter(train_dataset))
print("padded batch:", tuple(tokens.shape), tuple(tags.shape), "padding tags:", int(np.sum(tags.numpy() == 0)))


class TransformerBlock(layers.Layer):
    def __init__(self, embed_dim, num_heads, ff_dim, rate=0.1):
        super().__init__()
        self.att = layers.MultiHeadAttention(num_heads=num_heads, key_dim=embed_dim)
        self.ffn = keras.Sequential([layers.Dense(ff_dim, activation="relu"), layers.Dense(embed_dim)])
        self.norm1, self.norm2 = layers.LayerNormalization(epsilon=1e-6), layers.LayerNormalization(epsilon=1e-6)
        self.drop1, self.drop2 = layers.Dropout(rate), layers.Dropout(rate)
        self.calls_in_training = 0

    def call(self, inputs, training):  # no default: the caller's value arrives
        self.calls_in_training += int(bool(training))
        out1 = self.norm1(inputs + self.drop1(self.att(inputs, inputs), training=training))
        return self.norm2(out1 + self.drop2(self.ffn(out1), training=training))


class TokenAndPositionEmbedding(layers.Layer):
    def __init__(self, maxlen, vocab_size, embed_dim):
        super().__init__()
        self.token_emb = layers.Embedding(vocab_size, embed_dim)
        self.pos_emb = layers.Embedding(maxlen, embed_dim)

    def call(self, x):
        positions = tf.range(start=0, limit=tf.shape(x)[-1], delta=1)
        return self.token_emb(x) + self.pos_emb(positions)


class TaggerModel(keras.Model):
    def __init__(self, num_tags, vocab_size, maxlen=32, embed_dim=16, num_heads=2, ff_dim=32):
        super().__init__()
        self.embedding_layer = TokenAndPositionEmbedding(maxlen, vocab_size, embed_dim)
        self.transformer_block = TransformerBlock(embed_dim, num_heads, ff_dim)
        self.ff = layers.Dense(ff_dim, activation="relu")
        self.ff_final = layers.Dense(num_tags, activation="softmax")

    def call(self, inputs, training=False):
        x = self.transformer_block(self.embedding_layer(inputs))
        return self.ff_final(self.ff(x))


class MaskedLoss(keras.losses.Loss):
    def __init__(self, name="masked_tag_loss"):
        super().__init__(name=name)

    def call(self, y_true, y_pred):
        loss_fn = keras.losses.SparseCategoricalCrossentropy(reduction="none")
        mask = tf.cast(y_true > 0, dtype=tf.float32)
        return tf.reduce_sum(loss_fn(y_true, y_pred) * mask) / tf.reduce_sum(mask)


model = TaggerModel(num_tags=len(TAGS) + 1, vocab_size=lookup_layer.vocabulary_size())
model.compile(optimizer=keras.optimizers.Adam(5e-3), loss=MaskedLoss())
model.fit(train_dataset, epochs=6, verbose=2)
print("training calls that saw training=True:", model.transformer_block.calls_in_training)

sample = tf.reshape(lookup_layer("Sofia visited Oslo and Omar".lower().split()), shape=[1, -1])
print("sample ids:", sample.numpy().tolist(), "tags:", np.argmax(model.predict(sample, verbose=0), axis=-1).tolist())

true_tags, predicted_tags = [], []
for x, y in val_dataset:
    predictions = np.reshape(np.argmax(model.predict(x, verbose=0), axis=-1), [-1])
    labels = np.reshape(y, [-1])
    mask = labels > 0  # a boolean numpy mask: padding left out
    true_tags.append(labels[mask])
    predicted_tags.append(predictions[mask])
true_tags, predicted_tags = np.concatenate(true_tags), np.concatenate(predicted_tags)
print("scored tokens:", len(true_tags), "==", len(predicted_tags), "accuracy %.3f" % np.mean(true_tags == predicted_tags))
