"""Test accuracy after 20 epochs of Keras' mnist_mlp through symkeras' Keras 1 API, for several
seeds (the example fixes np.random.seed(1337); this varies it), to see the spread that one
published figure is a single draw from. Compare with reference_mnist_mlp_torch.py.

    SYMKERAS_DATA=../shared/data/mnist OMP_NUM_THREADS=1 python benchmarks/mnist_mlp_seeds.py 1 2 3
"""
import sys

import numpy as np

from symkeras.datasets import mnist
from symkeras.layers.core import Activation, Dense, Dropout
from symkeras.models import Sequential
from symkeras.optimizers import RMSprop
from symkeras.utils import np_utils


def accuracy_curve(seed, epochs=20):
    """Test accuracy after each epoch, the model built and trained as the Keras example does."""
    np.random.seed(seed)
    (x, y), (xt, yt) = mnist.load_data()
    x = x.reshape(60000, 784).astype('float32') / 255
    xt = xt.reshape(10000, 784).astype('float32') / 255
    model = Sequential()
    for layer in (Dense(512, input_shape=(784,)), Activation('relu'), Dropout(0.2), Dense(512),
                  Activation('relu'), Dropout(0.2), Dense(10), Activation('softmax')):
        model.add(layer)
    model.compile(loss='categorical_crossentropy', optimizer=RMSprop(), metrics=['accuracy'])
    h = model.fit(x, np_utils.to_categorical(y, 10), batch_size=128, nb_epoch=epochs, verbose=0,
                  validation_data=(xt, np_utils.to_categorical(yt, 10)))
    return h.history['val_acc']


if __name__ == '__main__':
    for s in map(int, sys.argv[1:] or ['1337']):
        curve = accuracy_curve(s)
        print('seed %d: after 20 epochs %.4f (best %.4f at epoch %d)'
              % (s, curve[-1], max(curve), int(np.argmax(curve)) + 1), flush=True)
