"""Keras 1.2.2's keras.datasets.cifar100, read from local files (symkeras never downloads).

load_data(label_mode='fine', path=None) reads the folder cifar-100-python that
http://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz unpacks to (train and test), looking
in: `path` (that folder or the one containing it); else $SYMKERAS_DATA/cifar100,
$SYMKERAS_DATA, and the Keras cache ~/.keras/datasets (KERAS_HOME moves ~/.keras), where
Keras 1.2.2 unpacked it. The files are Python pickles, loaded with the standard pickle module
as in Keras 1.2.2 (cifar.load_batch): use files you trust.
"""
import os

import numpy as np

from .cifar import dim_ordered, find_batches, load_batch

DIRNAME = 'cifar-100-python'
ORIGIN = 'http://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz'
FILES = ('train', 'test')
LABEL_MODES = ('fine', 'coarse')


def load_data(label_mode='fine', path=None):
    """(x_train, y_train), (x_test, y_test): images as stored (uint8) of shape (n, 3, 32, 32),
    or (n, 32, 32, 3) when K.image_dim_ordering() is 'tf'; labels (n, 1) int64, the 100
    'fine' classes or the 20 'coarse' superclasses. 50000 and 10000 images for the real
    files."""
    if label_mode not in LABEL_MODES:
        raise ValueError('cifar100.load_data: label_mode must be one of "fine", "coarse"; '
                         'got %r' % (label_mode,))
    folder = find_batches('cifar100.load_data', path, 'cifar100', DIRNAME, FILES, ORIGIN)
    out = []
    for name in FILES:
        x, y = load_batch(os.path.join(folder, name), label_key=label_mode + '_labels')
        out.append((dim_ordered(x), np.reshape(y, (len(y), 1))))
    return tuple(out)
