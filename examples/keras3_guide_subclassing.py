"""Writing layers and models by subclassing, Keras 3 style: weights made in __init__ or in
build(), non-trainable state, layers nested in layers, losses recorded with add_loss(),
training-only behaviour, serialization through get_config(), a custom metric, and a
variational autoencoder trained with fit() on synthetic 8x8 "digits".
"""
import numpy as np

import keras
from keras import layers, ops

keras.utils.set_random_seed(3)


class Linear(layers.Layer):
    """Weights created lazily: their shape depends on the first input."""

    def __init__(self, units=32, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1], self.units), initializer="random_normal",
                                 trainable=True, name="kernel")
        self.b = self.add_weight(shape=(self.units,), initializer="zeros", trainable=True, name="bias")

    def call(self, inputs):
        return ops.matmul(inputs, self.w) + self.b

    def get_config(self):
        return {**super().get_config(), "units": self.units}


class RunningSum(layers.Layer):
    """A non-trainable weight updated during the call."""

    def __init__(self, input_dim, **kwargs):
        super().__init__(**kwargs)
        self.total = self.add_weight(shape=(input_dim,), initializer="zeros", trainable=False, name="total")

    def call(self, inputs):
        self.total.assign_add(ops.sum(inputs, axis=0))
        return self.total


linear = Linear(4, name="linear")
print("weights before build:", len(linear.weights))
y = linear(ops.ones((2, 3)))
print("linear output:", tuple(y.shape), "weights:", [w.path for w in linear.weights])
print("weights are the attributes:", linear.weights == [linear.w, linear.b])

running = RunningSum(2)
running(ops.ones((2, 2)))
print("running total:", ops.convert_to_numpy(running(ops.ones((2, 2)))).tolist(),
      "trainable:", len(running.trainable_weights), "non-trainable:", len(running.non_trainable_weights))


class MLPBlock(layers.Layer):
    """Sublayers assigned as attributes are tracked: their weights are the block's."""

    def __init__(self):
        super().__init__()
        self.linear_1 = Linear(16)
        self.linear_2 = Linear(16)
        self.linear_3 = Linear(1)

    def call(self, inputs):
        x = ops.relu(self.linear_1(inputs))
        x = ops.relu(self.linear_2(x))
        return self.linear_3(x)


mlp = MLPBlock()
mlp(ops.ones((3, 8)))
print("mlp weights:", len(mlp.weights), "trainable:", len(mlp.trainable_weights))


class ActivityPenalty(layers.Layer):
    def __init__(self, rate=1e-2):
        super().__init__()
        self.rate = rate

    def call(self, inputs):
        self.add_loss(self.rate * ops.mean(ops.abs(inputs)))
        return inputs


class Outer(layers.Layer):
    def __init__(self):
        super().__init__()
        self.penalty = ActivityPenalty()
        self.dense = layers.Dense(4, kernel_regularizer=keras.regularizers.l2(1e-3))

    def call(self, inputs):
        return self.penalty(self.dense(inputs))


outer = Outer()
print("losses before any call:", len(outer.losses))
outer(ops.ones((2, 3)))
outer(ops.ones((2, 3)))
# One penalty from the latest call plus the kernel regularizer: earlier calls are forgotten.
print("losses after two calls:", len(outer.losses))


class NoisyDropout(layers.Layer):
    """Behaves differently in training and inference (the `training` argument)."""

    def __init__(self, rate, **kwargs):
        super().__init__(**kwargs)
        self.rate = rate
        self.seed_generator = keras.random.SeedGenerator(1337)

    def call(self, inputs, training=None):
        if training:
            return keras.random.dropout(inputs, rate=self.rate, seed=self.seed_generator)
        return inputs


drop = NoisyDropout(0.5)
ones = ops.ones((4, 10))
print("inference is the identity:", bool(ops.all(drop(ones, training=False) == ones)),
      "training zeroes some:", bool(ops.any(drop(ones, training=True) == 0)))

config = linear.get_config()
clone = Linear.from_config(config)
print("config:", {k: config[k] for k in ("name", "units")}, "clone units:", clone.units)


class SumOfSquaresError(keras.losses.Loss):
    def __init__(self, regularization_factor=0.1, name="sum_of_squares"):
        super().__init__(name=name)
        self.regularization_factor = regularization_factor

    def call(self, y_true, y_pred):
        mse = ops.mean(ops.square(y_true - y_pred), axis=-1)
        return mse + self.regularization_factor * ops.mean(ops.square(y_pred), axis=-1)


class MeanAbsoluteGap(keras.metrics.Metric):
    """Accumulates with variables from add_variable, updated with assign_add."""

    def __init__(self, name="mean_abs_gap", **kwargs):
        super().__init__(name=name, **kwargs)
        self.total = self.add_variable(shape=(), initializer="zeros", name="total")
        self.count = self.add_variable(shape=(), initializer="zeros", name="count")

    def update_state(self, y_true, y_pred, sample_weight=None):
        gap = ops.abs(ops.cast(y_true, "float32") - y_pred)
        self.total.assign_add(ops.sum(gap))
        self.count.assign_add(ops.cast(ops.size(gap), "float32"))

    def result(self):
        return ops.divide_no_nan(self.total, self.count)

    def reset_state(self):
        self.total.assign(0.0)
        self.count.assign(0.0)


metric = MeanAbsoluteGap()
metric.update_state(np.array([[1.0], [2.0]]), np.array([[1.5], [1.0]], "float32"))
print("metric:", float(metric.result()), "variables:", [v.path for v in metric.variables])


class Sampling(layers.Layer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.seed_generator = keras.random.SeedGenerator(7)

    def call(self, inputs):
        z_mean, z_log_var = inputs
        epsilon = keras.random.normal(shape=ops.shape(z_mean), seed=self.seed_generator)
        return z_mean + ops.exp(0.5 * z_log_var) * epsilon


class Encoder(layers.Layer):
    def __init__(self, latent_dim=2, intermediate_dim=32, **kwargs):
        super().__init__(**kwargs)
        self.dense_proj = layers.Dense(intermediate_dim, activation="relu")
        self.dense_mean = layers.Dense(latent_dim)
        self.dense_log_var = layers.Dense(latent_dim)
        self.sampling = Sampling()

    def call(self, inputs):
        x = self.dense_proj(inputs)
        z_mean, z_log_var = self.dense_mean(x), self.dense_log_var(x)
        return z_mean, z_log_var, self.sampling((z_mean, z_log_var))


class Decoder(layers.Layer):
    def __init__(self, original_dim, intermediate_dim=32, **kwargs):
        super().__init__(**kwargs)
        self.dense_proj = layers.Dense(intermediate_dim, activation="relu")
        self.dense_output = layers.Dense(original_dim, activation="sigmoid")

    def call(self, inputs):
        return self.dense_output(self.dense_proj(inputs))


class VariationalAutoEncoder(keras.Model):
    def __init__(self, original_dim, intermediate_dim=32, latent_dim=2, name="autoencoder", **kwargs):
        super().__init__(name=name, **kwargs)
        self.encoder = Encoder(latent_dim=latent_dim, intermediate_dim=intermediate_dim)
        self.decoder = Decoder(original_dim, intermediate_dim=intermediate_dim)

    def call(self, inputs):
        z_mean, z_log_var, z = self.encoder(inputs)
        reconstructed = self.decoder(z)
        kl_loss = -0.5 * ops.mean(z_log_var - ops.square(z_mean) - ops.exp(z_log_var) + 1)
        self.add_loss(kl_loss)
        return reconstructed


# Synthetic 8x8 images: a bright bar in one of four rows, plus noise.
rng = np.random.default_rng(0)
images = rng.uniform(0, 0.2, (512, 8, 8)).astype("float32")
rows = rng.integers(0, 4, 512)
images[np.arange(512), rows * 2] = 0.9
x_train = images.reshape(512, 64)

vae = VariationalAutoEncoder(64, 32, 2)
vae.compile(keras.optimizers.Adam(learning_rate=3e-3), loss=SumOfSquaresError(), metrics=[MeanAbsoluteGap()])
history = vae.fit(x_train, x_train, epochs=6, batch_size=64, verbose=2)
first, last = history.history["loss"][0], history.history["loss"][-1]
print("history keys:", sorted(history.history))
print(f"vae loss fell: {last < first} ({first:.4f} -> {last:.4f})")
print("vae sublayers:", [layer.name for layer in vae.layers], "weights:", len(vae.weights))
print("kl term recorded by the last call:", len(vae.losses))
reconstruction = vae.predict(x_train[:4], verbose=0)
print("reconstruction:", reconstruction.shape, "within [0, 1]:",
      bool(reconstruction.min() >= 0.0 and reconstruction.max() <= 1.0))
