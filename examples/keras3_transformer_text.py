"""Text classification with a Transformer block (the keras.io Keras 3 example, as published
apart from the data): a TransformerBlock layer built from MultiHeadAttention, a token and
position embedding layer, GlobalAveragePooling1D and a softmax head, trained with fit.

By default it trains on synthetic IMDB-like reviews (word-index sequences where positive
reviews use "good" words more often), so it needs no download. With `--imdb` it loads
keras.datasets.imdb (downloaded once into ~/.keras/datasets) as the original does.

Then a second, functional form of the same block on Embedding(mask_zero=True) shows the
padding masks reaching the attention, returns attention scores, and is saved to a `.keras`
file and reloaded with the same predictions.

Run: python -m keraslite examples/keras3_transformer_text.py [--imdb]
"""
import sys

import numpy as np
import keras
from keras import layers, ops

vocab_size = 200  # Only consider the top 200 words
maxlen = 40  # Only consider the first 40 words of each review


class TransformerBlock(layers.Layer):
    def __init__(self, embed_dim, num_heads, ff_dim, rate=0.1):
        super().__init__()
        self.att = layers.MultiHeadAttention(num_heads=num_heads, key_dim=embed_dim)
        self.ffn = keras.Sequential(
            [layers.Dense(ff_dim, activation="relu"), layers.Dense(embed_dim),]
        )
        self.layernorm1 = layers.LayerNormalization(epsilon=1e-6)
        self.layernorm2 = layers.LayerNormalization(epsilon=1e-6)
        self.dropout1 = layers.Dropout(rate)
        self.dropout2 = layers.Dropout(rate)

    def call(self, inputs):
        attn_output = self.att(inputs, inputs)
        attn_output = self.dropout1(attn_output)
        out1 = self.layernorm1(inputs + attn_output)
        ffn_output = self.ffn(out1)
        ffn_output = self.dropout2(ffn_output)
        return self.layernorm2(out1 + ffn_output)


class TokenAndPositionEmbedding(layers.Layer):
    def __init__(self, maxlen, vocab_size, embed_dim):
        super().__init__()
        self.token_emb = layers.Embedding(input_dim=vocab_size, output_dim=embed_dim)
        self.pos_emb = layers.Embedding(input_dim=maxlen, output_dim=embed_dim)

    def call(self, x):
        maxlen = ops.shape(x)[-1]
        positions = ops.arange(start=0, stop=maxlen, step=1)
        positions = self.pos_emb(positions)
        x = self.token_emb(x)
        return x + positions


def synthetic_reviews(n, rng):
    """Reviews of 5-60 words; positive ones draw a third of their words from 'good' words 10-29,
    negative ones from 'bad' words 30-49; the rest is neutral vocabulary."""
    reviews, labels = [], []
    for _ in range(n):
        positive = rng.random() < 0.5
        length = rng.integers(5, 61)
        words = rng.integers(50, vocab_size, size=length)
        flavour = rng.random(length) < 0.33
        words[flavour] = rng.integers(10, 30, size=flavour.sum()) if positive else rng.integers(30, 50,
                                                                                                 size=flavour.sum())
        reviews.append(list(words))
        labels.append(int(positive))
    return reviews, np.array(labels)


keras.utils.set_random_seed(7)
if "--imdb" in sys.argv:
    (x_train, y_train), (x_val, y_val) = keras.datasets.imdb.load_data(num_words=vocab_size)
else:
    rng = np.random.default_rng(0)
    x_train, y_train = synthetic_reviews(640, rng)
    x_val, y_val = synthetic_reviews(160, rng)
print(len(x_train), "Training sequences")
print(len(x_val), "Validation sequences")
x_train = keras.utils.pad_sequences(x_train, maxlen=maxlen)
x_val = keras.utils.pad_sequences(x_val, maxlen=maxlen)

embed_dim = 32  # Embedding size for each token
num_heads = 2  # Number of attention heads
ff_dim = 32  # Hidden layer size in feed forward network inside transformer

inputs = layers.Input(shape=(maxlen,))
embedding_layer = TokenAndPositionEmbedding(maxlen, vocab_size, embed_dim)
x = embedding_layer(inputs)
transformer_block = TransformerBlock(embed_dim, num_heads, ff_dim)
x = transformer_block(x)
x = layers.GlobalAveragePooling1D()(x)
x = layers.Dropout(0.1)(x)
x = layers.Dense(20, activation="relu")(x)
x = layers.Dropout(0.1)(x)
outputs = layers.Dense(2, activation="softmax")(x)

model = keras.Model(inputs=inputs, outputs=outputs)
model.summary()
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
history = model.fit(x_train, y_train, batch_size=32, epochs=3, validation_data=(x_val, y_val), verbose=2)
loss, acc = model.evaluate(x_val, y_val, verbose=0)
print("validation loss %.4f accuracy %.4f" % (loss, acc))

# The same block written functionally, on masked embeddings: padding (index 0) is kept out of
# the attention (query and key masks combine into the attention mask) and out of the pooling.
tokens = keras.Input((maxlen,), dtype="int32")
h = layers.Embedding(vocab_size, embed_dim, mask_zero=True)(tokens)
attended, scores = layers.MultiHeadAttention(num_heads, embed_dim // num_heads, name="self_attention")(
    h, h, return_attention_scores=True)
h = layers.LayerNormalization(epsilon=1e-6)(layers.Add()([h, attended]))
h = layers.LayerNormalization(epsilon=1e-6)(layers.Add()([h, layers.Dense(embed_dim)(
    layers.Dense(ff_dim, activation="relu")(h))]))
probabilities = layers.Dense(2, activation="softmax")(layers.GlobalAveragePooling1D()(h))
masked = keras.Model(tokens, probabilities)
masked.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
masked.fit(x_train, y_train, batch_size=32, epochs=2, verbose=2)
print("masked model accuracy %.4f" % masked.evaluate(x_val, y_val, verbose=0)[1])

with_scores = keras.Model(tokens, scores)
attention = np.asarray(with_scores.predict(x_val[:2], verbose=0))
print("attention scores:", attention.shape)  # (batch, heads, query position, key position)
padded = x_val[0] == 0
print("weight on padding:", float(attention[0][:, ~padded][:, :, padded].sum()))

masked.save("transformer_text.keras")
reloaded = keras.saving.load_model("transformer_text.keras")
same = np.allclose(reloaded.predict(x_val, verbose=0), masked.predict(x_val, verbose=0), atol=1e-6)
print("reloaded model gives the same predictions:", same)
