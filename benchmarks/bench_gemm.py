"""The gemm kernel (through K.function of K.dot) against numpy's `@` (OpenBLAS), float32.

    python benchmarks/bench_gemm.py
    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 python benchmarks/bench_gemm.py    # one thread each

Shapes: the products of one training step of Keras' mnist_mlp (batch 128, Dense 784-512-512-10):
each layer's forward product x @ W and its two backward products g @ W^T and x^T @ g (the
transposes are read through gemm's flags, and by numpy through BLAS's), then square sizes.
Each figure is the median over repeats of a timed loop of about 40 ms; K.function's per-call
overhead (a few microseconds) is included, as it is in a training step. Runs in under 10 s.
"""
import os
import statistics
import time

import numpy as np

import symkeras.backend as K
from symkeras import _core

BATCH = 128
MLP_LAYERS = [(784, 512), (512, 512), (512, 10)]
SQUARE = [256, 512, 1024]
REPEATS = 7
LOOP_SECONDS = 0.04


def cases():
    """(label, A shape, B shape, transpose A, transpose B): the product op(A) @ op(B)."""
    out = []
    for n_in, n_out in MLP_LAYERS:
        out.append(('x @ W      %dx%d @ %dx%d' % (BATCH, n_in, n_in, n_out), (BATCH, n_in), (n_in, n_out), False, False))
        out.append(('g @ W^T    %dx%d @ %dx%d' % (BATCH, n_out, n_out, n_in), (BATCH, n_out), (n_in, n_out), False, True))
        out.append(('x^T @ g    %dx%d @ %dx%d' % (n_in, BATCH, BATCH, n_out), (BATCH, n_in), (BATCH, n_out), True, False))
    for n in SQUARE:
        out.append(('square     %dx%d @ %dx%d' % (n, n, n, n), (n, n), (n, n), False, False))
    return out


def seconds_per_call(fn):
    """The median over REPEATS of the time per call of a loop lasting about LOOP_SECONDS."""
    fn()
    t0 = time.perf_counter()
    fn()
    calls = max(1, int(LOOP_SECONDS / max(time.perf_counter() - t0, 1e-7)))
    times = []
    for _ in range(REPEATS):
        t0 = time.perf_counter()
        for _ in range(calls):
            fn()
        times.append((time.perf_counter() - t0) / calls)
    return statistics.median(times)


def main():
    rng = np.random.RandomState(0)
    runs = []
    for label, sa, sb, ta, tb in cases():
        a = rng.uniform(-1, 1, sa).astype('float32')
        b = rng.uniform(-1, 1, sb).astype('float32')
        pa, pb = K.placeholder(sa), K.placeholder(sb)
        f = K.function([pa, pb], [K.dot(K.transpose(pa) if ta else pa, K.transpose(pb) if tb else pb)])
        runs.append((label, a, b, (a.T if ta else a), (b.T if tb else b), f))
    # All symkeras timings first: after a call, OpenBLAS's worker threads keep spinning for a
    # while and would take the core that the kernel's OpenMP threads need.
    t_sk = [seconds_per_call(lambda: f([a, b])) for _, a, b, _, _, f in runs]
    t_np = [seconds_per_call(lambda: opa @ opb) for _, _, _, opa, opb, _ in runs]

    print('float32, symkeras OpenMP threads: %d, OPENBLAS_NUM_THREADS=%s'
          % (_core.get_num_threads(), os.environ.get('OPENBLAS_NUM_THREADS', 'default')))
    print('%-34s %12s %12s %8s' % ('product', 'symkeras', 'numpy', 'ratio'))
    print('%-34s %12s %12s %8s' % ('', 'GFLOP/s', 'GFLOP/s', 'sk/np'))
    for (label, a, b, opa, opb, f), ts, tn in zip(runs, t_sk, t_np):
        np.testing.assert_allclose(f([a, b])[0], opa @ opb, rtol=1e-3, atol=1e-3)
        flops = 2.0 * opa.shape[0] * opa.shape[1] * opb.shape[1]
        print('%-34s %12.1f %12.1f %8.2f' % (label, flops / ts / 1e9, flops / tn / 1e9, tn / ts))
    ratios = np.array(t_np) / np.array(t_sk)
    print('geometric mean of the ratios (symkeras speed / numpy speed): %.2f'
          % float(np.exp(np.mean(np.log(ratios)))))


if __name__ == '__main__':
    main()
