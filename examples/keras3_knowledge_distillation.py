"""keras.io's "Knowledge Distillation" (Keras 3 version): a Distiller model that overrides
`compute_loss` (student loss + temperature-softened KL to the teacher) and keeps the built-in
train and test steps; fit() and evaluate() use the override. MNIST is replaced by small
synthetic 28x28 images whose class decides which quadrant is bright."""
import numpy as np
import keras
from keras import layers, ops


class Distiller(keras.Model):
    def __init__(self, student, teacher):
        super().__init__()
        self.teacher = teacher
        self.student = student

    def compile(self, optimizer, metrics, student_loss_fn, distillation_loss_fn, alpha=0.1, temperature=3):
        super().compile(optimizer=optimizer, metrics=metrics)
        self.student_loss_fn = student_loss_fn
        self.distillation_loss_fn = distillation_loss_fn
        self.alpha = alpha
        self.temperature = temperature

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, allow_empty=False):
        teacher_pred = self.teacher(x, training=False)
        student_loss = self.student_loss_fn(y, y_pred)
        distillation_loss = self.distillation_loss_fn(
            ops.softmax(teacher_pred / self.temperature, axis=1),
            ops.softmax(y_pred / self.temperature, axis=1),
        ) * (self.temperature**2)
        loss = self.alpha * student_loss + (1 - self.alpha) * distillation_loss
        return loss

    def call(self, x):
        return self.student(x)


teacher = keras.Sequential([keras.Input(shape=(28, 28, 1)), layers.Conv2D(32, (3, 3), strides=(2, 2), padding="same"),
                            layers.LeakyReLU(negative_slope=0.2), layers.MaxPooling2D(pool_size=(2, 2), strides=(1, 1), padding="same"),
                            layers.Conv2D(64, (3, 3), strides=(2, 2), padding="same"), layers.Flatten(), layers.Dense(4)],
                           name="teacher")
student = keras.Sequential([keras.Input(shape=(28, 28, 1)), layers.Conv2D(8, (3, 3), strides=(2, 2), padding="same"),
                            layers.LeakyReLU(negative_slope=0.2), layers.MaxPooling2D(pool_size=(2, 2), strides=(1, 1), padding="same"),
                            layers.Conv2D(16, (3, 3), strides=(2, 2), padding="same"), layers.Flatten(), layers.Dense(4)],
                           name="student")
student_scratch = keras.models.clone_model(student)

rng = np.random.default_rng(0)
y_all = rng.integers(0, 4, 768)
x_all = rng.random((768, 28, 28, 1)).astype("float32") * 0.5
for i, label in enumerate(y_all):
    r, c = divmod(int(label), 2)
    x_all[i, r * 14:(r + 1) * 14, c * 14:(c + 1) * 14] += 0.5
x_train, y_train, x_test, y_test = x_all[:640], y_all[:640], x_all[640:], y_all[640:]

teacher.compile(optimizer=keras.optimizers.Adam(), loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                metrics=[keras.metrics.SparseCategoricalAccuracy()])
teacher.fit(x_train, y_train, epochs=2, verbose=2)
teacher_acc = teacher.evaluate(x_test, y_test, verbose=0)[1]
print(f"teacher test accuracy: {teacher_acc:.2f}")

distiller = Distiller(student=student, teacher=teacher)
distiller.compile(optimizer=keras.optimizers.Adam(), metrics=[keras.metrics.SparseCategoricalAccuracy()],
                  student_loss_fn=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  distillation_loss_fn=keras.losses.KLDivergence(), alpha=0.1, temperature=10)
history = distiller.fit(x_train, y_train, epochs=3, verbose=2)
results = distiller.evaluate(x_test, y_test, return_dict=True, verbose=0)
print("distiller history keys:", sorted(history.history))
print("distillation loss went down:", history.history["loss"][-1] < history.history["loss"][0])
print(f"distilled student accuracy: {results['sparse_categorical_accuracy']:.2f}")

student_scratch.compile(optimizer=keras.optimizers.Adam(), loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                        metrics=[keras.metrics.SparseCategoricalAccuracy()])
student_scratch.fit(x_train, y_train, epochs=3, verbose=0)
print(f"student from scratch accuracy: {student_scratch.evaluate(x_test, y_test, verbose=0)[1]:.2f}")
