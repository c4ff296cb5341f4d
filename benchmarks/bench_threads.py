"""When do two OpenMP threads beat one? Each kernel runs with the parallel policy forced off
(one thread) and forced on (two threads) on the same inputs, in one process; medians of
repeats. The thresholds in csrc/runtime/kernel.hpp (ParallelPolicy) come from these figures.

    python benchmarks/bench_threads.py
"""
import statistics
import timeit

import numpy as np

import symkeras._core as core
import symkeras.backend as K

SERIAL = (1 << 62, 1 << 62, 1e300)
PARALLEL = (0, 0, 0.0)


def median_us(f, feed, number):
    f(feed)
    return statistics.median(timeit.repeat(lambda: f(feed), number=number, repeat=7)) / number * 1e6


def compare(label, f, feed, number=100):
    times = []
    for policy, threads in ((SERIAL, 1), (PARALLEL, 2)):
        core.set_parallel_policy(*policy)
        core.set_num_threads(threads)
        times.append(median_us(f, feed, number))
    print('%-34s %10.1f us %10.1f us %7.2f' % (label, times[0], times[1], times[0] / times[1]))


def main():
    saved = core.parallel_policy(), core.get_num_threads()
    print('%-34s %13s %13s %7s' % ('kernel', '1 thread', '2 threads', 'speedup'))
    x = K.placeholder(shape=(None,))
    add, exp = K.function([x], [x + 1.0]), K.function([x], [K.exp(x)])
    for n in (1 << 14, 1 << 16, 1 << 18, 1 << 20, 1 << 22):
        a = np.random.rand(n).astype('float32')
        compare('add, %d elements' % n, add, [a], 50)
        compare('exp, %d elements' % n, exp, [a], 50)
    for m, k, n in ((128, 128, 128), (64, 600, 64), (128, 512, 512), (128, 784, 512), (512, 512, 512)):
        x = K.placeholder(shape=(None, k))
        w = K.variable(np.random.rand(k, n))
        f = K.function([x], [K.dot(x, w)])
        compare('gemm %dx%dx%d (%.1f MFLOP)' % (m, k, n, 2e-6 * m * k * n), f,
                [np.random.rand(m, k).astype('float32')], 50)
    core.set_parallel_policy(*saved[0])
    core.set_num_threads(saved[1])


if __name__ == '__main__':
    main()
