'''Train a simple deep CNN on the CIFAR10 small images dataset.

Keras 1.2.2's example (with Keras it gets down to 0.65 test logloss in 25 epochs, and down to
0.55 after 50 epochs), with the import changed (keras -> symkeras) and two additions:

- when the CIFAR-10 files cannot be found (set SYMKERAS_DATA or put cifar-10-batches-py in
  ~/.keras/datasets), it trains on synthetic data shaped like CIFAR-10: 32x32 RGB uint8 images
  of 10 classes, each class a smooth random colour pattern under per-image noise, so that the
  network has something to learn;
- command-line options for shorter runs:

    python examples/cifar10_cnn.py [--epochs 200] [--samples N] [--no-augmentation]
'''

from __future__ import print_function
import argparse

import numpy as np

from symkeras.datasets import cifar10
from symkeras.preprocessing.image import ImageDataGenerator
from symkeras.models import Sequential
from symkeras.layers import Dense, Dropout, Activation, Flatten
from symkeras.layers import Convolution2D, MaxPooling2D
from symkeras.utils import np_utils
from symkeras import backend as K

parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
parser.add_argument('--epochs', type=int, default=200)
parser.add_argument('--samples', type=int, default=None,
                    help='use the first N training and N test images (default: all)')
parser.add_argument('--no-augmentation', action='store_true')
args = parser.parse_args()

batch_size = 32
nb_classes = 10
nb_epoch = args.epochs
data_augmentation = not args.no_augmentation

# input image dimensions
img_rows, img_cols = 32, 32
# The CIFAR10 images are RGB.
img_channels = 3


def synthetic_cifar10(n_train=50000, n_test=10000, seed=0):
    """CIFAR-10's shapes and dtypes: each class a random 8x8 colour pattern scaled up to 32x32,
    each image that pattern under uniform noise of the same strength."""
    rng = np.random.RandomState(seed)
    patterns = np.kron(rng.rand(nb_classes, img_channels, 8, 8), np.ones((1, 1, 4, 4)))

    def images(n):
        labels = rng.randint(0, nb_classes, n)
        x = 0.5 * patterns[labels] + 0.5 * rng.rand(n, img_channels, img_rows, img_cols)
        x = (255 * x).astype('uint8')
        if K.image_dim_ordering() == 'tf':
            x = x.transpose(0, 2, 3, 1)
        return x, labels.reshape(-1, 1)
    return images(n_train), images(n_test)


# The data, shuffled and split between train and test sets:
try:
    (X_train, y_train), (X_test, y_test) = cifar10.load_data()
except FileNotFoundError as error:
    print('CIFAR-10 not found (%s); using synthetic data of the same shapes.'
          % str(error).split('\n')[0])
    (X_train, y_train), (X_test, y_test) = synthetic_cifar10()
if args.samples:
    X_train, y_train = X_train[:args.samples], y_train[:args.samples]
    X_test, y_test = X_test[:args.samples], y_test[:args.samples]
print('X_train shape:', X_train.shape)
print(X_train.shape[0], 'train samples')
print(X_test.shape[0], 'test samples')

# Convert class vectors to binary class matrices.
Y_train = np_utils.to_categorical(y_train, nb_classes)
Y_test = np_utils.to_categorical(y_test, nb_classes)

model = Sequential()

model.add(Convolution2D(32, 3, 3, border_mode='same',
                        input_shape=X_train.shape[1:]))
model.add(Activation('relu'))
model.add(Convolution2D(32, 3, 3))
model.add(Activation('relu'))
model.add(MaxPooling2D(pool_size=(2, 2)))
model.add(Dropout(0.25))

model.add(Convolution2D(64, 3, 3, border_mode='same'))
model.add(Activation('relu'))
model.add(Convolution2D(64, 3, 3))
model.add(Activation('relu'))
model.add(MaxPooling2D(pool_size=(2, 2)))
model.add(Dropout(0.25))

model.add(Flatten())
model.add(Dense(512))
model.add(Activation('relu'))
model.add(Dropout(0.5))
model.add(Dense(nb_classes))
model.add(Activation('softmax'))

# Let's train the model using RMSprop
model.compile(loss='categorical_crossentropy',
              optimizer='rmsprop',
              metrics=['accuracy'])

X_train = X_train.astype('float32')
X_test = X_test.astype('float32')
X_train /= 255
X_test /= 255

if not data_augmentation:
    print('Not using data augmentation.')
    model.fit(X_train, Y_train,
              batch_size=batch_size,
              nb_epoch=nb_epoch,
              validation_data=(X_test, Y_test),
              shuffle=True)
else:
    print('Using real-time data augmentation.')
    # This will do preprocessing and realtime data augmentation:
    datagen = ImageDataGenerator(
        featurewise_center=False,  # set input mean to 0 over the dataset
        samplewise_center=False,  # set each sample mean to 0
        featurewise_std_normalization=False,  # divide inputs by std of the dataset
        samplewise_std_normalization=False,  # divide each input by its std
        zca_whitening=False,  # apply ZCA whitening
        rotation_range=0,  # randomly rotate images in the range (degrees, 0 to 180)
        width_shift_range=0.1,  # randomly shift images horizontally (fraction of total width)
        height_shift_range=0.1,  # randomly shift images vertically (fraction of total height)
        horizontal_flip=True,  # randomly flip images
        vertical_flip=False)  # randomly flip images

    # Compute quantities required for featurewise normalization
    # (std, mean, and principal components if ZCA whitening is applied).
    datagen.fit(X_train)

    # Fit the model on the batches generated by datagen.flow().
    model.fit_generator(datagen.flow(X_train, Y_train,
                                     batch_size=batch_size),
                        samples_per_epoch=X_train.shape[0],
                        nb_epoch=nb_epoch,
                        validation_data=(X_test, Y_test))
