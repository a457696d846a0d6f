"""Keras 2 (2017-2019) graph-function dialect, in the manner of the old
`examples/conv_filter_visualization.py` and `neural_style_transfer.py`: a small convnet with named
layers is trained on synthetic stripe images, then the input image that most excites one of its
filters is found by gradient ascent. The loss is written with `K.mean` on a layer's symbolic
output, `K.gradients(loss, input_img)[0]` gives its gradient, normalized by its RMS, and
`K.function([input_img], [loss, grads])` evaluates both on numpy arrays. A Gram-matrix style
loss (`K.batch_flatten`, `K.permute_dimensions`, `K.dot`, `K.transpose`) on a `K.placeholder`
is minimised the same way. Runs in seconds.

Run: python -m keraslite examples/keras2_filter_visualization.py
"""
from __future__ import print_function

import numpy as np
from keras import backend as K
from keras import layers
from keras.models import Sequential

np.random.seed(7)
img_size = 16


def stripes(n, horizontal):
    x = np.random.uniform(0, 0.3, (n, img_size, img_size, 3)).astype('float32')
    if horizontal:
        x[:, ::4, :, :] += 0.7
    else:
        x[:, :, ::4, :] += 0.7
    return x


x_train = np.concatenate([stripes(64, True), stripes(64, False)])
y_train = np.array([0] * 64 + [1] * 64)

model = Sequential()
model.add(layers.Conv2D(8, (3, 3), activation='relu', padding='same',
                        input_shape=(img_size, img_size, 3), name='block1_conv1'))
model.add(layers.Conv2D(8, (3, 3), activation='relu', padding='same', name='block1_conv2'))
model.add(layers.MaxPooling2D((2, 2), name='block1_pool'))
model.add(layers.Flatten())
model.add(layers.Dense(2, activation='softmax', name='predictions'))
model.compile(loss='sparse_categorical_crossentropy', optimizer='adam', metrics=['accuracy'])
model.fit(x_train, y_train, batch_size=32, epochs=3, verbose=2)

layer_dict = dict([(layer.name, layer) for layer in model.layers])
input_img = model.inputs[0]


def normalize(x):
    # utility function to normalize a tensor by its L2 norm
    return x / (K.sqrt(K.mean(K.square(x))) + K.epsilon())


def visualize_filter(layer_name, filter_index, steps=20, step=1.):
    layer_output = layer_dict[layer_name].output
    loss = K.mean(layer_output[:, :, :, filter_index])
    grads = normalize(K.gradients(loss, input_img)[0])
    iterate = K.function([input_img], [loss, grads])

    input_img_data = np.random.random((1, img_size, img_size, 3)) * 0.2 + 0.4
    first_loss = None
    for _ in range(steps):
        loss_value, grads_value = iterate([input_img_data])
        if first_loss is None:
            first_loss = loss_value
        input_img_data += grads_value * step
    return first_loss, loss_value, input_img_data


conv = layer_dict['block1_conv2']
results = []
for f in range(conv.get_weights()[0].shape[-1]):
    first, last, img = visualize_filter('block1_conv2', f)
    results.append((f, first, last))
    print('filter %d: activation %.4f -> %.4f' % (f, first, last))
active = [r for r in results if r[1] > K.epsilon()]
print('grads shape:', img.shape)
print('filters excited more after ascent: %d of %d active' % (
    sum(1 for _, a, b in active if b > a), len(active)))

# A style loss on a placeholder: Gram matrices of the channels, as in neural style transfer.
target = K.variable(stripes(1, True))
combination = K.placeholder((1, img_size, img_size, 3))


def gram_matrix(x):
    features = K.batch_flatten(K.permute_dimensions(x, (2, 0, 1)))
    return K.dot(features, K.transpose(features))


def style_loss(style, combination):
    S = gram_matrix(style)
    C = gram_matrix(combination)
    size = img_size * img_size
    return K.sum(K.square(S - C)) / (4.0 * (3 ** 2) * (size ** 2))


loss = style_loss(target[0], combination[0])
grads = K.gradients(loss, combination)
f_outputs = K.function([combination], [loss] + grads)
x = np.random.uniform(0, 1, (1, img_size, img_size, 3)).astype('float32')
start = f_outputs([x])[0]
for i in range(30):
    loss_value, grad_value = f_outputs([x])
    x -= 0.05 * grad_value / (np.abs(grad_value).mean() + 1e-7)
print('style loss %.5f -> %.5f (lower: %s)' % (start, loss_value, loss_value < start))
