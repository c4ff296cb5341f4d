"""symkeras' main demo: Keras' mnist_mlp model (784-512-512-10, ReLU, dropout 0.2, RMSprop,
batch 128) trained with the Keras 1 API and progress bar; then evaluated, its weights saved and
reloaded into a fresh model, and used to predict.

    python examples/demo.py [--epochs N] [--data PATH]

Data: MNIST when --data or SYMKERAS_DATA points to the IDX files (e.g. ../shared/data/mnist,
or ~/.keras/datasets holds them); otherwise scikit-learn's handwritten digits, which need no
download, scaled from 8x8 to 28x28 so the model is exactly mnist_mlp's.
"""
import argparse
import os
import tempfile

import numpy as np

from symkeras.datasets import mnist
from symkeras.layers.core import Activation, Dense, Dropout
from symkeras.models import Sequential
from symkeras.optimizers import RMSprop
from symkeras.utils import np_utils


def digits_as_mnist():
    """scikit-learn's 1,797 digits (8x8, values 0-16) as 28x28 uint8 images: each pixel
    becomes a 3x3 block, centred with a 2-pixel border, like MNIST's 20x20 digits in 28x28."""
    from sklearn.datasets import load_digits
    digits = load_digits()
    images = np.kron(digits.images, np.ones((3, 3)))
    images = np.pad(images, ((0, 0), (2, 2), (2, 2)))
    images = (images * (255.0 / 16)).astype('uint8')
    order = np.random.RandomState(0).permutation(len(images))
    images, labels = images[order], digits.target[order].astype('uint8')
    split = int(0.8 * len(images))
    return (images[:split], labels[:split]), (images[split:], labels[split:])


def load(path):
    if path or os.environ.get('SYMKERAS_DATA'):
        return mnist.load_data(path), 'MNIST'
    try:
        return mnist.load_data(), 'MNIST'
    except FileNotFoundError:
        return digits_as_mnist(), "scikit-learn's digits (28x28)"


def mnist_mlp():
    model = Sequential()
    model.add(Dense(512, input_shape=(784,)))
    model.add(Activation('relu'))
    model.add(Dropout(0.2))
    model.add(Dense(512))
    model.add(Activation('relu'))
    model.add(Dropout(0.2))
    model.add(Dense(10))
    model.add(Activation('softmax'))
    return model


def main(epochs=10, path=None, verbose=1):
    np.random.seed(1337)
    ((x_train, y_train), (x_test, y_test)), source = load(path)
    x_train = x_train.reshape(len(x_train), 784).astype('float32') / 255
    x_test = x_test.reshape(len(x_test), 784).astype('float32') / 255
    y_train, y_test = np_utils.to_categorical(y_train, 10), np_utils.to_categorical(y_test, 10)
    print('%s: %d train samples, %d test samples' % (source, len(x_train), len(x_test)))

    model = mnist_mlp()
    model.summary()
    model.compile(loss='categorical_crossentropy', optimizer=RMSprop(), metrics=['accuracy'])
    model.fit(x_train, y_train, batch_size=128, nb_epoch=epochs, verbose=verbose,
              validation_data=(x_test, y_test))
    loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
    print('Test score: %.4f  Test accuracy: %.4f' % (loss, accuracy))

    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, 'mnist_mlp_weights.h5')
        model.save_weights(path)
        reloaded = mnist_mlp()
        reloaded.load_weights(path)
    predicted = reloaded.predict_classes(x_test[:10], verbose=0)
    same = np.array_equal(reloaded.predict(x_test), model.predict(x_test))
    print('Weights saved and reloaded (same predictions: %s). First ten test digits: %s, '
          'predicted: %s' % (same, y_test[:10].argmax(-1).tolist(), predicted.tolist()))
    return accuracy, same


if __name__ == '__main__':
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--epochs', type=int, default=10)
    parser.add_argument('--data', default=None, help='folder or file holding MNIST')
    args = parser.parse_args()
    main(args.epochs, args.data)
