"""Fused elementwise programs (the fused_elementwise interpreter) against the same chains as
separate kernels (K.function(..., optimize=False)) and numpy, float32:

    PYTHONPATH=. python benchmarks/bench_elementwise.py
    OMP_NUM_THREADS=1 PYTHONPATH=. python benchmarks/bench_elementwise.py    # one thread

- the RMSprop update of a (512, 512) parameter: new accumulator and new parameter (two
  programs: graph nodes have one output);
- a 6-op chain with a broadcast row vector on (512, 512): tanh(x * w + b) * 0.5 + x - 1;
- a transcendental chain on (512, 512): sigmoid(x) * exp(-abs(x)) + log(1 + x^2);
- the same chains on (128, 512) (the mnist_mlp batch), where no kernel uses threads.

Each figure is the median over repeats of a timed loop of about 40 ms, per call, with
K.function's per-call overhead (a few microseconds) included; ratios are numpy time / ours.
"""

import numpy as np

import symkeras.backend as K
from timing import seconds_per_call



def rmsprop(shape):
    rho, lr, eps = 0.9, 0.001, 1e-8
    p, g, a = [K.placeholder(shape=shape) for _ in range(3)]
    new_a = rho * a + (1. - rho) * K.square(g)
    new_p = p - lr * g / (K.sqrt(new_a) + eps)

    def ref(p, g, a):
        na = rho * a + (1 - rho) * np.square(g)
        return na, p - lr * g / (np.sqrt(na) + eps)
    return [p, g, a], [new_a, new_p], ref


def chain6(shape):
    x, w = K.placeholder(shape=shape), K.placeholder(shape=shape)
    b = K.placeholder(shape=shape[-1:])
    out = K.tanh(x * w + b) * 0.5 + x - 1.
    return [x, w, b], [out], lambda x, w, b: [np.tanh(x * w + b) * 0.5 + x - 1]


def transcendental(shape):
    x = K.placeholder(shape=shape)
    out = K.sigmoid(x) * K.exp(-K.abs(x)) + K.log(1. + K.square(x))
    return [x], [out], lambda x: [1 / (1 + np.exp(-x)) * np.exp(-np.abs(x)) + np.log(1 + np.square(x))]


def main():
    rng = np.random.RandomState(0)
    print('%-28s %10s %10s %10s %9s %9s' % ('float32', 'fused us', 'unfused us', 'numpy us',
                                            'unfused/', 'numpy/'))
    for shape in [(512, 512), (128, 512)]:
        for name, make in [('rmsprop update', rmsprop), ('6-op chain, broadcast b', chain6),
                           ('sigmoid*exp+log chain', transcendental)]:
            inputs, outputs, ref = make(shape)
            arrays = [rng.uniform(0.1, 1, K.int_shape(i)).astype('float32') for i in inputs]
            fused = K.function(inputs, outputs)
            plain = K.function(inputs, outputs, optimize=False)
            for a, b in zip(fused(arrays), ref(*arrays)):
                np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)
            t_f = seconds_per_call(lambda: fused(arrays))
            t_p = seconds_per_call(lambda: plain(arrays))
            t_n = seconds_per_call(lambda: ref(*arrays))
            print('%-28s %10.1f %10.1f %10.1f %9.2f %9.2f' % (
                '%s %s' % (name, shape), t_f * 1e6, t_p * 1e6, t_n * 1e6, t_p / t_f, t_n / t_f))


if __name__ == '__main__':
    main()
