"""Keras 1.2.2's keras.datasets.cifar: load_batch, and the folder search cifar10 and cifar100
share (symkeras never downloads).

The batch files are the Python pickles of the CIFAR distribution, read from the user's own
disk with the standard pickle module exactly as Keras 1.2.2 read them (encoding='bytes' on
Python 3, keys then decoded from UTF-8). Unpickling can run code: use files you trust.
"""
import os
import pickle

import numpy as np

from .. import backend as K
from ..utils.data_utils import cache_dir, dataset_places


def load_batch(fpath, label_key='labels'):
    """(data, labels) from one CIFAR batch pickle: data, the pickle's 'data' array reshaped
    to (n, 3, 32, 32) (channels first, as stored); labels, its `label_key` entry as stored
    (a list in the CIFAR files)."""
    try:
        with open(fpath, 'rb') as f:
            d = pickle.load(f, encoding='bytes')
    except (pickle.UnpicklingError, EOFError, AttributeError, ImportError, IndexError) as e:
        raise ValueError('cifar.load_batch: cannot unpickle %s: %s' % (fpath, e)) from None
    if not isinstance(d, dict):
        raise ValueError('cifar.load_batch: %s holds a %s; expected the dict of a CIFAR batch'
                         % (fpath, type(d).__name__))
    # Python 2 wrote the keys as byte strings.
    d = {k.decode('utf8') if isinstance(k, bytes) else k: v for k, v in d.items()}
    for key in ('data', label_key):
        if key not in d:
            raise ValueError('cifar.load_batch: %s has no %r entry (it has %s)'
                             % (fpath, key, ', '.join(sorted(map(repr, d)))))
    data = np.asarray(d['data'])
    if data.ndim == 0 or data.size != data.shape[0] * 3 * 32 * 32:
        raise ValueError('cifar.load_batch: the data in %s has shape %s; expected (n, 3072) '
                         '(n images of 3x32x32)' % (fpath, data.shape))
    labels = d[label_key]
    if len(labels) != data.shape[0]:
        raise ValueError('cifar.load_batch: %s has %d images but %d %r'
                         % (fpath, data.shape[0], len(labels), label_key))
    return data.reshape(data.shape[0], 3, 32, 32), labels


def find_batches(fn, path, subdir, dirname, names, origin):
    """The folder holding the files `names`: in each place of dataset_places(path, subdir),
    the place itself or its `dirname` subfolder (how the archive unpacks). A miss raises
    FileNotFoundError naming the files, `origin` and every folder searched."""
    searched = []
    for place in dataset_places(path, subdir):
        for folder in (place, os.path.join(place, dirname)):
            if not os.path.isdir(folder):
                searched.append('%s (does not exist)' % folder)
                continue
            missing = [n for n in names if not os.path.isfile(os.path.join(folder, n))]
            if not missing:
                return folder
            searched.append('%s (missing %s)' % (folder, ', '.join(missing)))
    raise FileNotFoundError(
        '%s: the CIFAR files %s were not found (symkeras does not download). Searched:\n  %s\n'
        'Download %s and unpack it (tar xzf) so that the folder %s holds them; then pass '
        'that folder (or the one containing it) as load_data(path=...), set SYMKERAS_DATA to '
        'it, or unpack the archive in %s.'
        % (fn, ', '.join(names), '\n  '.join(searched), origin, dirname,
           cache_dir('datasets', create=False)))


def dim_ordered(x):
    """Channels-first images as stored, or channels-last (a transposed view, as Keras 1.2.2
    returned) when K.image_dim_ordering() is 'tf'."""
    return x.transpose(0, 2, 3, 1) if K.image_dim_ordering() == 'tf' else x
