"""Keras 2 (2017-2019) image-folder dialect, after the classic "image classification with very
little data" tutorial: `keras.preprocessing.image.ImageDataGenerator` with augmentation for
training and `rescale=1./255` for validation, `flow_from_directory` with `class_mode='binary'`,
`fit_generator`, `evaluate_generator`, `predict_generator`, then one picture through
`load_img` / `img_to_array`. It first writes its own tiny folder of "dark" and "light" PNGs
(with `save_img`) to a temporary directory, and removes it at the end. Runs in seconds; needs
Pillow (`pip install pillow`).

Run: python -m keraslite examples/keras2_image_generator.py
"""
import os
import shutil
import tempfile

import numpy as np
from keras import backend as K
from keras.layers import Activation, Conv2D, Dense, Dropout, Flatten, MaxPooling2D
from keras.models import Sequential
from keras.preprocessing.image import ImageDataGenerator, img_to_array, load_img, save_img

img_width, img_height = 32, 32
nb_train_samples = 32
nb_validation_samples = 16
epochs = 3
batch_size = 8

# --- a tiny data/{train,validation}/{dark,light}/*.png folder
base_dir = tempfile.mkdtemp(prefix="keras2_images_")
train_data_dir = os.path.join(base_dir, 'train')
validation_data_dir = os.path.join(base_dir, 'validation')
rng = np.random.RandomState(0)
for folder, count in ((train_data_dir, nb_train_samples // 2), (validation_data_dir, nb_validation_samples // 2)):
    for label, level in (('dark', 70), ('light', 180)):
        os.makedirs(os.path.join(folder, label))
        for i in range(count):
            picture = np.clip(rng.normal(level, 40, size=(img_height, img_width, 3)), 0, 255)
            save_img(os.path.join(folder, label, '%s.%03d.png' % (label, i)), picture, scale=False)

if K.image_data_format() == 'channels_first':
    input_shape = (3, img_width, img_height)
else:
    input_shape = (img_width, img_height, 3)

model = Sequential()
model.add(Conv2D(8, (3, 3), input_shape=input_shape))
model.add(Activation('relu'))
model.add(MaxPooling2D(pool_size=(2, 2)))

model.add(Conv2D(16, (3, 3)))
model.add(Activation('relu'))
model.add(MaxPooling2D(pool_size=(2, 2)))

model.add(Flatten())
model.add(Dense(16))
model.add(Activation('relu'))
model.add(Dropout(0.5))
model.add(Dense(1))
model.add(Activation('sigmoid'))

model.compile(loss='binary_crossentropy',
              optimizer='rmsprop',
              metrics=['accuracy'])

# this is the augmentation configuration we will use for training
train_datagen = ImageDataGenerator(
    rescale=1. / 255,
    shear_range=0.2,
    zoom_range=0.2,
    horizontal_flip=True)

# this is the augmentation configuration we will use for testing:
# only rescaling
test_datagen = ImageDataGenerator(rescale=1. / 255)

train_generator = train_datagen.flow_from_directory(
    train_data_dir,
    target_size=(img_width, img_height),
    batch_size=batch_size,
    class_mode='binary')

validation_generator = test_datagen.flow_from_directory(
    validation_data_dir,
    target_size=(img_width, img_height),
    batch_size=batch_size,
    class_mode='binary',
    shuffle=False)

print('class_indices:', train_generator.class_indices)
x_batch, y_batch = train_generator.next()
print('one batch:', x_batch.shape, y_batch.shape, 'pixel range %.2f-%.2f' % (x_batch.min(), x_batch.max()))

model.fit_generator(
    train_generator,
    steps_per_epoch=nb_train_samples // batch_size,
    epochs=epochs,
    validation_data=validation_generator,
    validation_steps=nb_validation_samples // batch_size,
    verbose=2)

scores = model.evaluate_generator(validation_generator, steps=nb_validation_samples // batch_size)
print('evaluate_generator [loss, accuracy]: [%.4f, %.4f]' % (scores[0], scores[1]))

probabilities = model.predict_generator(validation_generator, steps=nb_validation_samples // batch_size)
print('predict_generator:', probabilities.shape)
predicted = (probabilities[:, 0] > 0.5).astype('int32')
print('predicted classes:', predicted.tolist())
print('true classes:     ', validation_generator.classes.tolist())

# one picture, the way the tutorials classify a single file
path = os.path.join(validation_data_dir, validation_generator.filenames[0])
img = load_img(path, target_size=(img_width, img_height))
x = img_to_array(img) / 255.
x = np.expand_dims(x, axis=0)
print('%s -> %.3f' % (validation_generator.filenames[0], model.predict(x)[0, 0]))

shutil.rmtree(base_dir)
