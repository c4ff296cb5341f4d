"""The conv examples run as scripts: examples/mnist_cnn.py (Keras 1.2.2's, 12 epochs) on a small
MNIST stand-in, and examples/cifar10_cnn.py on its synthetic CIFAR-10 data, with and without
augmentation (their full runs are in BENCHMARKS.md)."""
import os
import runpy
import sys

import numpy as np
import pytest

from symkeras.datasets import mnist

EXAMPLES = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'examples')


def small_mnist():
    """Two easily told apart classes of 28x28 uint8 images (bright top half or bottom half)."""
    rng = np.random.RandomState(0)

    def part(n):
        y = rng.randint(0, 2, n).astype('uint8')
        x = (rng.rand(n, 28, 28) * 60).astype('uint8')
        for i, label in enumerate(y):
            x[i, 14 * label:14 * label + 14] += 150
        return x, y
    return part(64), part(32)


def test_mnist_cnn_example(monkeypatch, capsys):
    monkeypatch.setattr(mnist, 'load_data', lambda path=None: small_mnist())
    runpy.run_path(os.path.join(EXAMPLES, 'mnist_cnn.py'), run_name='__main__')
    out = capsys.readouterr().out
    assert 'X_train shape: (64, 1, 28, 28)' in out and 'Epoch 12/12' in out
    accuracy = float(out.strip().splitlines()[-1].split()[-1])
    assert accuracy > 0.9


@pytest.mark.parametrize('augment', [True, False])
def test_cifar10_cnn_example_on_synthetic_data(monkeypatch, capsys, tmp_path, augment):
    monkeypatch.setenv('SYMKERAS_DATA', str(tmp_path))          # no CIFAR files there
    monkeypatch.setattr(sys, 'argv', ['cifar10_cnn.py', '--epochs', '1', '--samples', '64']
                        + ([] if augment else ['--no-augmentation']))
    runpy.run_path(os.path.join(EXAMPLES, 'cifar10_cnn.py'), run_name='__main__')
    out = capsys.readouterr().out
    assert 'using synthetic data of the same shapes' in out
    assert 'X_train shape: (64, 3, 32, 32)' in out and 'Epoch 1/1' in out
    assert ('Using real-time data augmentation.' in out) == augment
