"""Three memory-bound kernels of the mnist_mlp training step, through K.function, float32:

    PYTHONPATH=. python benchmarks/bench_kernels.py
    OMP_NUM_THREADS=1 PYTHONPATH=. python benchmarks/bench_kernels.py    # one thread

- random_binomial / random_uniform / random_normal of shape (128, 512) (the dropout masks),
  in ns per element (numpy's generator shown for scale, not as a target: its numbers differ);
- SumTo (128, 512) -> (512,) (the bias gradient, a column sum over the batch) and other
  reductions, against numpy's x.sum(axis);
- the RMSprop-like updates of two (512, 512) variables (a <- rho a + (1 - rho) g^2,
  p <- p - lr g / sqrt(a + eps)), written straight into the variables by the in-place update
  lowering, against the same program with a commit copy per update.

Each figure is the median over repeats of a timed loop of about 40 ms; K.function's per-call
overhead (a few microseconds) is included. Runs in a few seconds.
"""

import numpy as np

import symkeras.backend as K
from timing import seconds_per_call
from symkeras.backend import lower
from symkeras.backend.ops.broadcast import sum_to

SHAPE = (128, 512)


def bench_random():
    n = int(np.prod(SHAPE))
    gen = np.random.default_rng(0)
    cases = [('binomial p=0.8', K.random_binomial(SHAPE, p=0.8, dtype='float32', seed=1),
              lambda: gen.random(SHAPE, dtype=np.float32) < 0.8),
             ('uniform', K.random_uniform(SHAPE, dtype='float32', seed=1),
              lambda: gen.random(SHAPE, dtype=np.float32)),
             ('normal', K.random_normal(SHAPE, dtype='float32', seed=1),
              lambda: gen.standard_normal(SHAPE, dtype=np.float32))]
    print('random %s float32          symkeras ns/elem   numpy ns/elem' % (SHAPE,))
    for label, t, ref in cases:
        f = K.function([], [t])
        ours = seconds_per_call(lambda: f([])) / n * 1e9
        theirs = seconds_per_call(ref) / n * 1e9
        print('  %-28s %10.2f %15.2f' % (label, ours, theirs))


def bench_reduce():
    rng = np.random.RandomState(0)
    cases = [('SumTo %s -> (512,)' % (SHAPE,), SHAPE, 0),
             ('sum (784, 512) axis 0', (784, 512), 0),
             ('sum (128, 512) axis 1', SHAPE, 1),
             ('sum (64, 33, 40) axis 1', (64, 33, 40), 1),
             ('sum (2048, 2048) axis 0', (2048, 2048), 0)]
    print('reduction float32                  symkeras us      numpy us   numpy/symkeras')
    for label, shape, axis in cases:
        x = K.placeholder(shape=shape)
        if label.startswith('SumTo'):
            out = sum_to(x, np.array([shape[1]], dtype='int64'))
        else:
            out = K.sum(x, axis=axis)
        f = K.function([x], [out])
        a = rng.uniform(-1, 1, shape).astype('float32')
        ours = seconds_per_call(lambda: f([a]))
        theirs = seconds_per_call(lambda: a.sum(axis=axis))
        print('  %-32s %10.1f %12.1f %12.2f' % (label, ours * 1e6, theirs * 1e6, theirs / ours))


def bench_update():
    """Two RMSprop-like updates; with the in-place lowering switched off (by replacing
    lower._Builder.plan_in_place with a no-op) each needs a commit copy."""
    rng = np.random.RandomState(0)
    p = K.variable(rng.uniform(-1, 1, (512, 512)).astype('float32'))
    acc = K.variable(np.ones((512, 512), dtype='float32'))
    g = K.placeholder(shape=(512, 512))
    new_acc = 0.9 * acc + 0.1 * K.square(g)
    new_p = p - 0.001 * g / K.sqrt(new_acc + 1e-8)
    a = rng.uniform(-1, 1, (512, 512)).astype('float32')
    print('update of two (512, 512) variables     us/step   commits')
    plan = lower._Builder.plan_in_place
    for in_place in (False, True):
        lower._Builder.plan_in_place = plan if in_place else (lambda self, *args: None)
        try:
            f = K.function([g], [], updates=[(acc, new_acc), (p, new_p)])
            f([a])
        finally:
            lower._Builder.plan_in_place = plan
        us = seconds_per_call(lambda: f([a])) * 1e6
        print('  in place=%-5s %27.1f %9d' % (in_place, us, count_commits(f)))


def count_commits(f):
    """Instructions of f's last program that belong to no node (output copies and commits)."""
    program, nodes = next(iter(f._cache.values()))
    return sum(1 for n in nodes if n is None)


def main():
    bench_random()
    bench_reduce()
    bench_update()


if __name__ == '__main__':
    main()
