"""The gemm kernel (through K.function of K.dot) against numpy's `@` (OpenBLAS sgemm), float32.

    python benchmarks/bench_gemm.py                                             # two threads each
    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 python benchmarks/bench_gemm.py    # one thread each

Shapes: the products of one training step of Keras' mnist_mlp (batch 128, Dense 784-512-512-10):
each layer's forward product x @ W and its two backward products g @ W^T and x^T @ g (the
transposes are read through gemm's flags, and by numpy through BLAS's), then square sizes.
Each figure is the median over rounds of a timed loop of about 20 ms. A round times every
symkeras product, then every numpy one, so both see the same load on a shared machine; after
numpy's round the bench sleeps, because OpenBLAS's idle threads keep spinning for a while and
would take the core that symkeras' OpenMP threads need. K.function's per-call overhead (a few
microseconds) is included, as it is in a training step. Runs in about 10 s.
"""
import os

import numpy as np

import symkeras.backend as K
from symkeras import _core
from timing import median_times

BATCH = 128
MLP_LAYERS = [(784, 512), (512, 512), (512, 10)]
SQUARE = [256, 512, 1024]
ROUNDS = 9
LOOP_SECONDS = 0.02
OPENBLAS_SPIN_SECONDS = 0.2


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


def main():
    rng = np.random.RandomState(0)
    runs = []
    for label, sa, sb, ta, tb in cases():
        a = rng.uniform(-1, 1, sa).astype('float32')
        b = rng.uniform(-1, 1, sb).astype('float32')
        pa, pb = K.placeholder(sa), K.placeholder(sb)
        f = K.function([pa, pb], [K.dot(K.transpose(pa) if ta else pa, K.transpose(pb) if tb else pb)])
        runs.append((label, a, b, (a.T if ta else a), (b.T if tb else b), f))
    t_sk, t_np = median_times([[lambda f=f, a=a, b=b: f([a, b]) for _, a, b, _, _, f in runs],
                               [lambda x=opa, y=opb: x @ y for _, _, _, opa, opb, _ in runs]],
                              ROUNDS, LOOP_SECONDS, OPENBLAS_SPIN_SECONDS)
    print('float32, symkeras OpenMP threads: %d, OPENBLAS_NUM_THREADS=%s'
          % (_core.get_num_threads(), os.environ.get('OPENBLAS_NUM_THREADS', 'default')))
    print('medians of %d rounds' % ROUNDS)
    print('%-34s %12s %12s %8s' % ('product', 'symkeras', 'numpy', 'ratio'))
    print('%-34s %12s %12s %8s' % ('', 'GFLOP/s', 'GFLOP/s', 'sk/np'))
    for (label, a, b, opa, opb, f), ts, tn in zip(runs, t_sk, t_np):
        np.testing.assert_allclose(f([a, b])[0], opa @ opb, rtol=1e-3, atol=1e-3)
        flops = 2.0 * opa.shape[0] * opa.shape[1] * opb.shape[1]
        print('%-34s %12.1f %12.1f %8.2f' % (label, flops / ts / 1e9, flops / tn / 1e9, tn / ts))
    ratios = np.array(t_np) / np.array(t_sk)
    print('geometric mean of the ratios (symkeras speed / numpy speed): %.2f, lowest %.2f'
          % (float(np.exp(np.mean(np.log(ratios)))), float(ratios.min())))


if __name__ == '__main__':
    main()
