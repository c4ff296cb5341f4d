"""The compiled training step of Keras' mnist_mlp (784-512-512-10, relu, dropout 0.2, softmax,
categorical crossentropy, RMSprop, accuracy metric, batch 128) holds exactly the kernels the
rewrites are meant to leave, so a regression in fusion, GEMM epilogues, stabilisation or
in-place updates fails here instead of showing up only as a slower benchmark."""
import collections

import numpy as np

from symkeras.backend import lower
from symkeras.layers.core import Dense, Dropout
from symkeras.models import Sequential
from symkeras.optimizers import RMSprop


def train_step_kernels(optimize=True):
    model = Sequential([Dense(512, activation='relu', input_shape=(784,)), Dropout(0.2),
                        Dense(512, activation='relu'), Dropout(0.2),
                        Dense(10, activation='softmax')])
    model.compile(optimizer=RMSprop(), loss='categorical_crossentropy', metrics=['accuracy'],
                  optimize=optimize)
    x = np.zeros((128, 784), 'float32')
    y = np.eye(10, dtype='float32')[np.arange(128) % 10]
    model.train_on_batch(x, y)
    (program, nodes), = model.model.train_function._cache.values()
    kernels = collections.Counter(lower.KERNEL_NAMES[k] for k in program.kernels)
    ops = collections.Counter(n.op.name for n in nodes if n is not None)
    return kernels, ops


def test_optimised_train_step_kernels():
    kernels, ops = train_step_kernels()
    # Dense layers: forward GEMMs carry bias and relu; backward: one GEMM per weight gradient
    # and one per input gradient below the first layer.
    assert kernels['gemm'] == 8 and ops['MatMulEpilogue'] == 3
    # RMSprop: one fused pass per parameter (6) that writes the new accumulator and the new
    # parameter, both in place; 11 more programs in the forward and backward passes (two of
    # them the log-softmax's lone exp and log, run by the vectorised interpreter).
    assert kernels['fused_elementwise'] == 17
    assert 'copy' not in kernels and 'commit' not in kernels
    assert kernels['random_binomial'] == 2
    assert sum(kernels.values()) == 57


def test_rewrites_remove_over_half_the_kernels():
    plain, optimised = train_step_kernels(optimize=False)[0], train_step_kernels()[0]
    assert sum(plain.values()) >= 2 * sum(optimised.values())
