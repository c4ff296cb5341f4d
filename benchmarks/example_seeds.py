"""Test accuracy of a Keras example script under other seeds: runs the script as written, except
that its np.random.seed(1337) seeds with each given seed instead, and prints the last line it
prints that starts with 'Test accuracy:'. For the spread that one published figure is a single
draw from (compare benchmarks/reference_mnist_cnn_torch.py).

    SYMKERAS_DATA=../shared/data/mnist python benchmarks/example_seeds.py examples/mnist_cnn.py 1 2 3
"""
import contextlib
import io
import runpy
import sys

import numpy as np


def accuracy_with_seed(script, seed):
    """The script's printed test accuracy when its np.random.seed(...) call seeds with `seed`."""
    real_seed = np.random.seed
    out = io.StringIO()
    np.random.seed = lambda _ignored=None: real_seed(seed)
    try:
        with contextlib.redirect_stdout(out):
            runpy.run_path(script, run_name='__main__')
    finally:
        np.random.seed = real_seed
    lines = [l for l in out.getvalue().splitlines() if l.startswith('Test accuracy:')]
    if not lines:
        raise RuntimeError('%s printed no "Test accuracy:" line' % script)
    return float(lines[-1].split()[-1])


def main(argv):
    script, seeds = argv[0], [int(a) for a in argv[1:]] or [1337]
    for seed in seeds:
        print('%s, seed %d: test accuracy %.4f' % (script, seed, accuracy_with_seed(script, seed)),
              flush=True)


if __name__ == '__main__':
    main(sys.argv[1:])
