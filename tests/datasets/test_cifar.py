"""datasets.cifar.load_batch, and the synthetic CIFAR files (the real formats: Python 2 style
byte-string keys, data (n, 3072) uint8, labels lists) test_cifar10/test_cifar100 use."""
import os
import pickle

import numpy as np
import pytest

import symkeras.backend as K
from symkeras.datasets import cifar, cifar10, cifar100



def isolate(monkeypatch, tmp_path):
    """No SYMKERAS_DATA, an empty Keras home of our own, 'th' ordering restored after."""
    monkeypatch.delenv('SYMKERAS_DATA', raising=False)
    monkeypatch.setenv('KERAS_HOME', str(tmp_path / 'keras_home'))
    ordering = K.image_dim_ordering()
    K.set_image_dim_ordering('th')
    yield
    K.set_image_dim_ordering(ordering)


@pytest.fixture(autouse=True)
def no_env(monkeypatch, tmp_path):
    yield from isolate(monkeypatch, tmp_path)


def images(n, start):
    """n distinct images: image i is filled from value start + i (mod 256) upwards."""
    return ((np.arange(3072)[None, :] + start + np.arange(n)[:, None]) % 256).astype('uint8')


def write_batch(path, data, **labels):
    d = {b'batch_label': b'synthetic', b'data': data,
         b'filenames': [b'img%d.png' % i for i in range(len(data))]}
    d.update({k.encode(): v for k, v in labels.items()})
    with open(str(path), 'wb') as f:
        pickle.dump(d, f, protocol=2)


def write_cifar10(parent, sizes=(2, 1, 3, 1, 2), n_test=2):
    """cifar-10-batches-py under `parent`; returns (train images, train labels, test ...)."""
    folder = os.path.join(str(parent), cifar10.DIRNAME)
    os.makedirs(folder)
    xs, ys, start = [], [], 0
    for i, n in enumerate(sizes):
        data, labels = images(n, start), [(start + j) % 10 for j in range(n)]
        write_batch(os.path.join(folder, 'data_batch_%d' % (i + 1)), data, labels=labels)
        xs.append(data)
        ys += labels
        start += n
    x_test, y_test = images(n_test, 100), [9 - j for j in range(n_test)]
    write_batch(os.path.join(folder, 'test_batch'), x_test, labels=y_test)
    return np.concatenate(xs), ys, x_test, y_test


def write_cifar100(parent):
    folder = os.path.join(str(parent), cifar100.DIRNAME)
    os.makedirs(folder)
    x_train, x_test = images(3, 7), images(2, 50)
    write_batch(os.path.join(folder, 'train'), x_train, fine_labels=[99, 0, 42],
                coarse_labels=[19, 0, 7])
    write_batch(os.path.join(folder, 'test'), x_test, fine_labels=[5, 6], coarse_labels=[1, 2])
    return x_train, x_test


# -- load_batch -------------------------------------------------------------------------------

def test_load_batch(tmp_path):
    data = images(3, 0)
    write_batch(tmp_path / 'b', data, labels=[3, 1, 2], fine_labels=[7, 8, 9])
    x, y = cifar.load_batch(str(tmp_path / 'b'))
    assert x.shape == (3, 3, 32, 32) and x.dtype == np.uint8 and y == [3, 1, 2]
    assert x[1, 2, 3, 4] == data[1, 2 * 1024 + 3 * 32 + 4]      # channel, row, column
    np.testing.assert_array_equal(x.reshape(3, -1), data)
    assert cifar.load_batch(str(tmp_path / 'b'), label_key='fine_labels')[1] == [7, 8, 9]


def test_load_batch_python3_str_keys(tmp_path):
    with open(str(tmp_path / 'b'), 'wb') as f:
        pickle.dump({'data': images(1, 0), 'labels': [4]}, f)
    assert cifar.load_batch(str(tmp_path / 'b'))[1] == [4]


def test_load_batch_errors(tmp_path):
    write_batch(tmp_path / 'b', images(2, 0), labels=[1, 2])
    with pytest.raises(ValueError, match=r"no 'coarse_labels' entry \(it has 'batch_label', "
                                         r"'data', 'filenames', 'labels'\)"):
        cifar.load_batch(str(tmp_path / 'b'), label_key='coarse_labels')
    write_batch(tmp_path / 'c', np.zeros((2, 100), 'uint8'), labels=[1, 2])
    with pytest.raises(ValueError, match=r'has shape \(2, 100\); expected \(n, 3072\)'):
        cifar.load_batch(str(tmp_path / 'c'))
    write_batch(tmp_path / 'd', images(2, 0), labels=[1])
    with pytest.raises(ValueError, match=r"has 2 images but 1 'labels'"):
        cifar.load_batch(str(tmp_path / 'd'))
    with open(str(tmp_path / 'e'), 'wb') as f:
        pickle.dump([1, 2], f)
    with pytest.raises(ValueError, match=r'holds a list; expected the dict of a CIFAR batch'):
        cifar.load_batch(str(tmp_path / 'e'))
    (tmp_path / 'f').write_bytes(b'not a pickle')
    with pytest.raises(ValueError, match=r'cannot unpickle .*f'):
        cifar.load_batch(str(tmp_path / 'f'))
