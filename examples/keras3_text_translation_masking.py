"""A sequence-to-sequence Transformer for a toy translation task, in the style of the
keras.io English-to-Spanish example (tf.keras dialect: `import tensorflow as tf`).

The "languages" are two made-up word lists with a word-for-word mapping. Both sides are
vectorized with TextVectorization (the target side with a custom standardization that keeps
the [start]/[end] brackets), the pairs go through a tf.data pipeline that yields a dict of
encoder/decoder inputs, and the model is built from custom layers: a positional embedding
whose `compute_mask` marks padding, and encoder/decoder blocks whose `call(..., mask=None)`
turn that mask into attention masks, next to a causal mask built with tf ops. Greedy decoding
looks each predicted index up in a dict, as the tutorial does.

Run with: python -m keraslite examples/keras3_text_translation_masking.py
"""
import random
import re
import string

import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

keras.utils.set_random_seed(7)
random.seed(7)

SOURCE = ["red", "blue", "cat", "dog", "sees", "eats", "small", "fish", "bird", "runs"]
TARGET = ["rojo", "azul", "gato", "perro", "ve", "come", "chico", "pez", "ave", "corre"]
pairs = []
for _ in range(300):
    idx = [random.randrange(len(SOURCE)) for _ in range(random.randint(2, 6))]
    source = " ".join(SOURCE[i] for i in idx).capitalize() + "."
    target = "[start] ¡" + " ".join(TARGET[i] for i in idx) + "! [end]"
    pairs.append((source, target))
random.shuffle(pairs)
train_pairs, val_pairs = pairs[:250], pairs[250:]
print("pair:", train_pairs[0])

sequence_length = 8
strip_chars = (string.punctuation + "¡").replace("[", "").replace("]", "")


def target_standardization(text):
    return tf.strings.regex_replace(tf.strings.lower(text), "[%s]" % re.escape(strip_chars), "")


source_vectorization = layers.TextVectorization(output_mode="int", output_sequence_length=sequence_length)
target_vectorization = layers.TextVectorization(output_mode="int", output_sequence_length=sequence_length + 1,
                                                standardize=target_standardization)
source_vectorization.adapt([s for s, _ in train_pairs])
target_vectorization.adapt([t for _, t in train_pairs])
target_vocab = target_vectorization.get_vocabulary()
print("target vocabulary:", target_vocab[:4], "size", len(target_vocab))


def format_dataset(source, target):
    source = source_vectorization(source)
    target = target_vectorization(target)
    return {"encoder_inputs": source, "decoder_inputs": target[:, :-1]}, target[:, 1:]


def make_dataset(pairs):
    sources, targets = zip(*pairs)
    dataset = tf.data.Dataset.from_tensor_slices((list(sources), list(targets)))
    return dataset.batch(32).map(format_dataset).shuffle(64).prefetch(4).cache()


train_ds, val_ds = make_dataset(train_pairs), make_dataset(val_pairs)
for inputs, targets in train_ds.take(1):
    print("encoder_inputs:", tuple(inputs["encoder_inputs"].shape), "decoder_inputs:",
          tuple(inputs["decoder_inputs"].shape), "targets:", tuple(targets.shape))


class PositionalEmbedding(layers.Layer):
    def __init__(self, sequence_length, vocab_size, embed_dim, **kwargs):
        super().__init__(**kwargs)
        self.token_embeddings = layers.Embedding(vocab_size, embed_dim)
        self.position_embeddings = layers.Embedding(sequence_length, embed_dim)

    def call(self, inputs):
        positions = tf.range(start=0, limit=tf.shape(inputs)[-1], delta=1)
        return self.token_embeddings(inputs) + self.position_embeddings(positions)

    def compute_mask(self, inputs, mask=None):
        return tf.math.not_equal(inputs, 0)


class TransformerEncoder(layers.Layer):
    def __init__(self, embed_dim, dense_dim, num_heads, **kwargs):
        super().__init__(**kwargs)
        self.attention = layers.MultiHeadAttention(num_heads=num_heads, key_dim=embed_dim)
        self.dense_proj = keras.Sequential([layers.Dense(dense_dim, activation="relu"), layers.Dense(embed_dim)])
        self.norm_1, self.norm_2 = layers.LayerNormalization(), layers.LayerNormalization()
        self.supports_masking = True

    def call(self, inputs, mask=None):
        padding_mask = tf.cast(mask[:, tf.newaxis, :], dtype="int32")  # mask is None would fail here
        attended = self.attention(query=inputs, value=inputs, key=inputs, attention_mask=padding_mask)
        projected_input = self.norm_1(inputs + attended)
        return self.norm_2(projected_input + self.dense_proj(projected_input))


class TransformerDecoder(layers.Layer):
    def __init__(self, embed_dim, latent_dim, num_heads, **kwargs):
        super().__init__(**kwargs)
        self.self_attention = layers.MultiHeadAttention(num_heads=num_heads, key_dim=embed_dim)
        self.cross_attention = layers.MultiHeadAttention(num_heads=num_heads, key_dim=embed_dim)
        self.dense_proj = keras.Sequential([layers.Dense(latent_dim, activation="relu"), layers.Dense(embed_dim)])
        self.norms = [layers.LayerNormalization() for _ in range(3)]
        self.supports_masking = True

    def call(self, inputs, encoder_outputs, mask=None):
        causal_mask = self.causal_mask(inputs)
        padding_mask = tf.minimum(tf.cast(mask[:, tf.newaxis, :], dtype="int32"), causal_mask)
        out_1 = self.norms[0](inputs + self.self_attention(query=inputs, value=inputs, key=inputs,
                                                            attention_mask=causal_mask))
        out_2 = self.norms[1](out_1 + self.cross_attention(query=out_1, value=encoder_outputs,
                                                           key=encoder_outputs, attention_mask=padding_mask))
        return self.norms[2](out_2 + self.dense_proj(out_2))

    def causal_mask(self, inputs):
        shape = tf.shape(inputs)
        i = tf.range(shape[1])[:, tf.newaxis]
        j = tf.range(shape[1])
        mask = tf.reshape(tf.cast(i >= j, dtype="int32"), (1, shape[1], shape[1]))
        multiples = tf.concat([tf.expand_dims(shape[0], -1), tf.constant([1, 1], dtype=tf.int32)], axis=0)
        return tf.tile(mask, multiples)


embed_dim, latent_dim, num_heads = 16, 32, 2
source_size, target_size = len(source_vectorization.get_vocabulary()), len(target_vocab)
encoder_inputs = keras.Input(shape=(None,), dtype="int64", name="encoder_inputs")
embedded = PositionalEmbedding(sequence_length, source_size, embed_dim)(encoder_inputs)
encoder_outputs = TransformerEncoder(embed_dim, latent_dim, num_heads)(embedded)
decoder_inputs = keras.Input(shape=(None,), dtype="int64", name="decoder_inputs")
encoded_seq_inputs = keras.Input(shape=(None, embed_dim), name="decoder_state_inputs")
x = PositionalEmbedding(sequence_length, target_size, embed_dim)(decoder_inputs)
x = TransformerDecoder(embed_dim, latent_dim, num_heads)(x, encoded_seq_inputs)
decoder_outputs = layers.Dense(target_size, activation="softmax")(layers.Dropout(0.1)(x))
decoder = keras.Model([decoder_inputs, encoded_seq_inputs], decoder_outputs)
transformer = keras.Model([encoder_inputs, decoder_inputs], decoder([decoder_inputs, encoder_outputs]),
                          name="transformer")
print("encoder output:", encoder_outputs.shape, "decoder output:", decoder_outputs.shape)

transformer.compile(keras.optimizers.Adam(3e-3), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
history = transformer.fit(train_ds, epochs=8, validation_data=val_ds, verbose=2)
print("final val_accuracy %.3f" % history.history["val_accuracy"][-1])

index_lookup = dict(zip(range(len(target_vocab)), target_vocab))


def decode_sequence(sentence):
    tokenized_source = source_vectorization([sentence])
    decoded = "[start]"
    for i in range(sequence_length):
        tokenized_target = target_vectorization([decoded])[:, :-1]
        predictions = transformer([tokenized_source, tokenized_target])
        token = index_lookup[np.argmax(predictions[0, i, :])]  # a numpy integer, as with TensorFlow
        decoded += " " + token
        if token == "[end]":
            break
    return decoded


for source, target in val_pairs[:3]:
    print(f"{source} -> {decode_sequence(source)}   (reference: {target})")
