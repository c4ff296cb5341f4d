"""A/B of one mnist_mlp training step (784-512-512-10, dropout 0.2, RMSprop, batch 128, through
`train_on_batch`) between checkouts of symkeras, each built in place:

    python benchmarks/ab_mnist_mlp_step.py /path/to/checkout-a /path/to/checkout-b [rounds]

Each round runs every checkout once, in a fresh process, one after the other, so that a noisy
machine's drift reaches all of them alike. A process times 15 loops of 40 steps and reports
their median; the script prints, per checkout, the median over rounds and every round, then the
median over rounds of each checkout's time divided by the first's.
"""
import json
import os
import statistics
import subprocess
import sys

STEP = r'''
import json, statistics, time
import numpy as np
from symkeras.layers.core import Activation, Dense, Dropout
from symkeras.models import Sequential
from symkeras.optimizers import RMSprop
rng = np.random.RandomState(0)
x = rng.rand(128, 784).astype('float32')
y = np.eye(10, dtype='float32')[rng.randint(0, 10, 128)]
model = Sequential()
for layer in (Dense(512, input_shape=(784,)), Activation('relu'), Dropout(0.2), Dense(512),
              Activation('relu'), Dropout(0.2), Dense(10), Activation('softmax')):
    model.add(layer)
model.compile(loss='categorical_crossentropy', optimizer=RMSprop(), metrics=['accuracy'])
for _ in range(20):
    model.train_on_batch(x, y)
loops = []
for _ in range(15):
    t0 = time.perf_counter()
    for _ in range(40):
        model.train_on_batch(x, y)
    loops.append((time.perf_counter() - t0) / 40)
print(json.dumps(statistics.median(loops)))
'''


def step_seconds(checkout):
    env = dict(os.environ, PYTHONPATH=checkout)
    out = subprocess.run([sys.executable, '-c', STEP], cwd=checkout, env=env, capture_output=True,
                         text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(checkouts, rounds):
    times = {c: [] for c in checkouts}
    for _ in range(rounds):
        for c in checkouts:
            times[c].append(step_seconds(c))
    first = times[checkouts[0]]
    for c in checkouts:
        ratio = statistics.median(t / f for t, f in zip(times[c], first))
        print('%-30s median step %.3f ms, %.2fx the first  (rounds: %s ms)'
              % (c, statistics.median(times[c]) * 1e3, ratio, ' '.join('%.2f' % (t * 1e3) for t in times[c])))


if __name__ == '__main__':
    args = sys.argv[1:]
    rounds = int(args.pop()) if args and args[-1].isdigit() else 10
    if not args:
        sys.exit(__doc__)
    main(args, rounds)
