"""Keras 1.2.2's keras.datasets.cifar10, read from local files (symkeras never downloads).

load_data(path=None) reads the folder cifar-10-batches-py that
http://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz unpacks to (data_batch_1 ..
data_batch_5 and test_batch), looking in: `path` (that folder or the one containing it);
else $SYMKERAS_DATA/cifar10, $SYMKERAS_DATA, and the Keras cache ~/.keras/datasets (KERAS_HOME
moves ~/.keras), where Keras 1.2.2 unpacked it. The batches are Python pickles, loaded with
the standard pickle module as in Keras 1.2.2 (cifar.load_batch): use files you trust.
"""
import os

import numpy as np

from .cifar import dim_ordered, find_batches, load_batch

DIRNAME = 'cifar-10-batches-py'
ORIGIN = 'http://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz'
TRAIN_FILES = tuple('data_batch_%d' % i for i in range(1, 6))
TEST_FILE = 'test_batch'


def load_data(path=None):
    """(x_train, y_train), (x_test, y_test), as Keras 1.2.2 returned them: uint8 images
    (n, 3, 32, 32), or (n, 32, 32, 3) when K.image_dim_ordering() is 'tf'; labels of shape
    (n, 1), uint8 for training and int64 for test (Keras 1.2.2 collected the training labels
    in a uint8 array and reshaped the test list). 50000 and 10000 images for the real files."""
    folder = find_batches('cifar10.load_data', path, 'cifar10', DIRNAME,
                          TRAIN_FILES + (TEST_FILE,), ORIGIN)
    batches = [load_batch(os.path.join(folder, name)) for name in TRAIN_FILES]
    x_train = np.concatenate([data for data, _ in batches]).astype('uint8')
    y_train = np.concatenate([np.asarray(labels).reshape(-1) for _, labels in batches])
    y_train = y_train.astype('uint8').reshape(-1, 1)
    x_test, y_test = load_batch(os.path.join(folder, TEST_FILE))
    y_test = np.reshape(y_test, (len(y_test), 1))
    return (dim_ordered(x_train), y_train), (dim_ordered(x_test), y_test)
