"""Time per epoch of Keras' mnist_mlp (784-512-512-10, dropout 0.2, RMSprop, batch 128) trained
through symkeras' Keras 1 API on MNIST (60,000 samples per epoch).

    SYMKERAS_DATA=../shared/data/mnist python benchmarks/bench_mnist_mlp.py [epochs]
"""
import statistics
import sys
import time

import numpy as np

from symkeras.callbacks import Callback
from symkeras.datasets import mnist
from symkeras.layers.core import Activation, Dense, Dropout
from symkeras.models import Sequential
from symkeras.optimizers import RMSprop
from symkeras.utils import np_utils


class EpochTimer(Callback):
    def on_epoch_begin(self, epoch, logs=None):
        self.t0 = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.times = getattr(self, 'times', []) + [time.perf_counter() - self.t0]


def main(epochs=5):
    np.random.seed(1337)
    (x, y), _ = mnist.load_data()
    x = x.reshape(60000, 784).astype('float32') / 255
    y = np_utils.to_categorical(y, 10)
    model = Sequential()
    for layer in (Dense(512, input_shape=(784,)), Activation('relu'), Dropout(0.2), Dense(512),
                  Activation('relu'), Dropout(0.2), Dense(10), Activation('softmax')):
        model.add(layer)
    t0 = time.perf_counter()
    model.compile(loss='categorical_crossentropy', optimizer=RMSprop(), metrics=['accuracy'])
    compile_s = time.perf_counter() - t0
    timer = EpochTimer()
    model.fit(x, y, batch_size=128, nb_epoch=epochs, verbose=0, callbacks=[timer])
    median = statistics.median(timer.times)
    print('compile(): %.1f ms' % (compile_s * 1e3))
    print('epochs: %s s' % ', '.join('%.2f' % t for t in timer.times))
    print('median epoch: %.2f s = %.0f samples/s (training, batch 128, incl. the Python loop)'
          % (median, 60000 / median))


if __name__ == '__main__':
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5)
