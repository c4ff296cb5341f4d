"""datasets.cifar10.load_data on small synthetic cifar-10-batches-py folders."""
import os

import numpy as np
import pytest

import symkeras.backend as K
from symkeras.datasets import cifar10

from .test_cifar import isolate, write_cifar10

CIFAR10_URL = 'http://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz'


@pytest.fixture(autouse=True)
def no_env(monkeypatch, tmp_path):
    yield from isolate(monkeypatch, tmp_path)


# -- cifar10 ----------------------------------------------------------------------------------

def test_cifar10_th(tmp_path):
    x_train, y_train, x_test, y_test = write_cifar10(tmp_path)
    (xa, ya), (xb, yb) = cifar10.load_data(str(tmp_path))
    assert xa.shape == (9, 3, 32, 32) and xa.dtype == np.uint8
    np.testing.assert_array_equal(xa.reshape(9, -1), x_train)
    assert ya.shape == (9, 1) and ya.dtype == np.uint8
    assert ya[:, 0].tolist() == [0, 1, 2, 3, 4, 5, 6, 7, 8]
    assert xb.shape == (2, 3, 32, 32)
    np.testing.assert_array_equal(xb.reshape(2, -1), x_test)
    assert yb.shape == (2, 1) and yb.dtype == np.int64 and yb[:, 0].tolist() == [9, 8]


def test_cifar10_tf_transposes(tmp_path):
    x_train, _, x_test, _ = write_cifar10(tmp_path)
    K.set_image_dim_ordering('tf')
    (xa, _), (xb, _) = cifar10.load_data(str(tmp_path))
    assert xa.shape == (9, 32, 32, 3) and xb.shape == (2, 32, 32, 3)
    np.testing.assert_array_equal(xa, x_train.reshape(9, 3, 32, 32).transpose(0, 2, 3, 1))
    assert xb[1, 0, 5, 2] == x_test[1, 2 * 1024 + 5]


def test_cifar10_places(tmp_path, monkeypatch):
    """The folder itself or its parent; $SYMKERAS_DATA/cifar10, $SYMKERAS_DATA; the cache."""
    cached = write_cifar10(tmp_path / 'keras_home' / 'datasets', n_test=1)
    assert len(cifar10.load_data()[1][0]) == 1
    assert len(cifar10.load_data(str(tmp_path / 'keras_home' / 'datasets' /
                                     cifar10.DIRNAME))[1][0]) == 1
    write_cifar10(tmp_path / 'env', n_test=3)
    monkeypatch.setenv('SYMKERAS_DATA', str(tmp_path / 'env'))
    assert len(cifar10.load_data()[1][0]) == 3
    write_cifar10(tmp_path / 'env' / 'cifar10', n_test=4)
    assert len(cifar10.load_data()[1][0]) == 4
    np.testing.assert_array_equal(cifar10.load_data(tmp_path / 'keras_home' / 'datasets')
                                  [0][0].reshape(9, -1), cached[0])


def test_cifar10_missing(tmp_path, monkeypatch):
    monkeypatch.setenv('SYMKERAS_DATA', str(tmp_path / 'env'))
    write_cifar10(tmp_path / 'env')
    os.remove(str(tmp_path / 'env' / cifar10.DIRNAME / 'data_batch_4'))
    with pytest.raises(FileNotFoundError) as info:
        cifar10.load_data()
    message = str(info.value)
    assert 'symkeras does not download' in message and CIFAR10_URL in message
    assert 'data_batch_1, data_batch_2, data_batch_3, data_batch_4, data_batch_5, test_batch' \
        in message
    env = os.path.join(str(tmp_path), 'env')
    assert os.path.join(env, 'cifar10') + ' (does not exist)' in message
    assert os.path.join(env, cifar10.DIRNAME) + ' (missing data_batch_4)' in message
    cache = os.path.join(str(tmp_path), 'keras_home', 'datasets')
    assert os.path.join(cache, cifar10.DIRNAME) + ' (does not exist)' in message
    assert not os.path.exists(cache)                              # searching creates nothing
    with pytest.raises(FileNotFoundError, match=r'nowhere \(does not exist\)') as info:
        cifar10.load_data(str(tmp_path / 'nowhere'))
    assert env not in str(info.value)                             # an explicit path alone
