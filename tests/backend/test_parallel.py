"""Every kernel's multi-threaded path gives the single-threaded result. The parallel policy is
lowered so that small tensors take the OpenMP paths, and each function runs once with one
thread and once with two."""
import numpy as np
import pytest

import symkeras._core as core
import symkeras.backend as K


@pytest.fixture
def threads():
    policy = core.parallel_policy()
    threads = core.get_num_threads()

    def run(make, feed):
        """Two fresh functions (random streams start at the same step), one per policy."""
        core.set_parallel_policy(1 << 40, 1 << 40, 1e30)
        core.set_num_threads(1)
        serial = make()(feed)
        core.set_parallel_policy(64, 64, 1e3)
        core.set_num_threads(2)
        parallel = make()(feed)
        return serial, parallel

    yield run
    core.set_parallel_policy(*policy)
    core.set_num_threads(threads)


def _cases():
    a = K.placeholder(shape=(None, 37))
    b = K.placeholder(shape=(37,))
    idx = K.placeholder(shape=(None,), dtype='int32')
    w = K.variable(np.random.RandomState(1).rand(37, 29))
    return [a, b, idx], [
        a + b, a * 2.0 - 1.0, K.exp(a), K.tanh(a) ** b, K.switch(a > 0.5, a, b),
        K.cast(a * 10, 'int32'), K.transpose(a), a[::-1, 3:30:2], K.concatenate([a, a], 0),
        K.sum(a, axis=0), K.max(a, axis=1), K.prod(a, axis=0), K.argmax(a, axis=-1),
        K.gradients(K.sum(K.prod(a, axis=1)), [a])[0], K.softmax(a), K.dot(a, w),
        K.gather(K.transpose(w), idx), K.gradients(K.sum(K.gather(a, idx)), [a])[0],
        K.zeros_like(a) + 1, K.repeat_elements(a, 3, 1), K.random_uniform(K.shape(a), seed=3),
        K.random_normal((50, 40), seed=4), K.dropout(a, 0.5, seed=5),
    ]


def test_parallel_kernels_match_serial(threads):
    inputs, outputs = _cases()
    rng = np.random.RandomState(0)
    feed = [rng.rand(300, 37).astype('float32'), rng.rand(37).astype('float32'),
            rng.randint(0, 29, size=200).astype('int32')]
    serial, parallel = threads(lambda: K.function(inputs, outputs), feed)
    for i, (s, p) in enumerate(zip(serial, parallel)):
        np.testing.assert_array_equal(s, p, err_msg='output %d' % i)
