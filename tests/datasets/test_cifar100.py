"""datasets.cifar100.load_data on small synthetic cifar-100-python folders."""
import os

import numpy as np
import pytest

import symkeras.backend as K
from symkeras.datasets import cifar100

from .test_cifar import isolate, write_cifar100

CIFAR100_URL = 'http://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz'


@pytest.fixture(autouse=True)
def no_env(monkeypatch, tmp_path):
    yield from isolate(monkeypatch, tmp_path)


# -- cifar100 ---------------------------------------------------------------------------------

def test_cifar100_label_modes(tmp_path):
    x_train, x_test = write_cifar100(tmp_path)
    (xa, ya), (xb, yb) = cifar100.load_data(path=str(tmp_path))
    assert xa.shape == (3, 3, 32, 32) and xa.dtype == np.uint8 and xb.shape == (2, 3, 32, 32)
    np.testing.assert_array_equal(xa.reshape(3, -1), x_train)
    np.testing.assert_array_equal(xb.reshape(2, -1), x_test)
    assert ya.shape == (3, 1) and ya.dtype == np.int64 and ya[:, 0].tolist() == [99, 0, 42]
    assert yb[:, 0].tolist() == [5, 6]
    (_, ya), (_, yb) = cifar100.load_data('coarse', str(tmp_path))
    assert ya[:, 0].tolist() == [19, 0, 7] and yb[:, 0].tolist() == [1, 2]


def test_cifar100_tf_and_places(tmp_path, monkeypatch):
    x_train, _ = write_cifar100(tmp_path / 'env' / 'cifar100')
    monkeypatch.setenv('SYMKERAS_DATA', str(tmp_path / 'env'))
    K.set_image_dim_ordering('tf')
    (xa, _), (xb, _) = cifar100.load_data()
    assert xa.shape == (3, 32, 32, 3) and xb.shape == (2, 32, 32, 3)
    np.testing.assert_array_equal(xa, x_train.reshape(3, 3, 32, 32).transpose(0, 2, 3, 1))


def test_cifar100_errors(tmp_path):
    with pytest.raises(ValueError, match=r'label_mode must be one of "fine", "coarse"; '
                                         r"got 'medium'"):
        cifar100.load_data('medium')
    with pytest.raises(FileNotFoundError) as info:
        cifar100.load_data()
    message = str(info.value)
    assert CIFAR100_URL in message and 'train, test' in message
    assert os.path.join(str(tmp_path), 'keras_home', 'datasets', cifar100.DIRNAME) + \
        ' (does not exist)' in message
