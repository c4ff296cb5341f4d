"""Compile time of K.function by graph size, and the per-call overhead of a trivial function.

    python benchmarks/bench_compile.py

Compile time = K.function(...) (validation, topological order) + the first call (shape
specialisation, lowering, arena plan, C++ program build). Graph sizes count the nodes the
function compiles (after hash-consing). Medians over repeats; the machine is noisy.
"""
import statistics
import time

import numpy as np

import symkeras.backend as K
from symkeras.backend.graph import toposort


def chain_graph(n_nodes, seed=0):
    """An elementwise/dot graph of about n_nodes nodes over x (None, 16): each step mixes the
    previous value with an earlier one through a unary op, a constant and a matrix product."""
    rng = np.random.RandomState(seed)
    x = K.placeholder(shape=(None, 16), name='x')
    w = K.variable(rng.uniform(-0.1, 0.1, (16, 16)))
    values = [x]
    unary = [K.tanh, K.sigmoid, K.relu, K.square, K.abs]
    i = 0
    while len(toposort([values[-1].node])) < n_nodes:
        i += 1
        prev, other = values[-1], values[rng.randint(len(values))]
        h = unary[i % len(unary)](prev * (1.0 + i * 1e-4) + other)
        if i % 8 == 0:
            h = K.dot(h, w)
        values.append(h)
    out = K.sum(values[-1])
    return x, out, len(toposort([out.node]))


def mlp_training_graph(n_layers):
    """A Dense-relu stack trained with momentum SGD: forward, loss, gradients and updates."""
    x = K.placeholder(shape=(None, 64))
    y = K.placeholder(shape=(None, 10))
    params, h = [], x
    for i in range(n_layers):
        w = K.variable(np.random.uniform(-0.1, 0.1, (64, 64 if i < n_layers - 1 else 10)))
        b = K.zeros((64 if i < n_layers - 1 else 10,))
        params += [w, b]
        h = K.dot(h, w) + b
        h = K.relu(h) if i < n_layers - 1 else K.softmax(h)
    loss = K.mean(K.categorical_crossentropy(h, y))
    updates = []
    for p, g in zip(params, K.gradients(loss, params)):
        v = K.zeros(K.get_variable_shape(p))
        updates += [(v, 0.9 * v - 0.01 * g), (p, p + 0.9 * v - 0.01 * g)]
    nodes = len(toposort([loss.node] + [u.node for _, u in updates]))
    return [x, y], [loss], updates, nodes


def time_compile(inputs, outputs, updates, feed, repeats=5):
    defs, firsts = [], []
    for _ in range(repeats):
        t0 = time.perf_counter()
        f = K.function(inputs, outputs, updates=updates)
        t1 = time.perf_counter()
        f(feed)
        t2 = time.perf_counter()
        defs.append(t1 - t0)
        firsts.append(t2 - t1)
    total = [a + b for a, b in zip(defs, firsts)]
    return statistics.median(defs), statistics.median(firsts), statistics.median(total)


def per_call_overhead(repeats=7, calls=20000):
    x = K.placeholder(shape=(None,))
    f = K.function([x], [x + 1])
    a = np.zeros((1,), dtype='float32')
    f([a])
    samples = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(calls):
            f([a])
        samples.append((time.perf_counter() - t0) / calls)
    np_samples = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(calls):
            a + 1
        np_samples.append((time.perf_counter() - t0) / calls)
    return statistics.median(samples), statistics.median(np_samples)


def main():
    print('%-28s %8s %12s %12s %12s %10s' % ('graph', 'nodes', 'function()', 'first call', 'compile', 'us/node'))
    feed = [np.random.rand(32, 16).astype('float32')]
    for n in (100, 1000, 10000):
        x, out, nodes = chain_graph(n)
        d, f, t = time_compile([x], [out], [], feed)
        print('%-28s %8d %10.2f ms %10.2f ms %10.2f ms %10.1f' % ('elementwise+dot chain', nodes, d * 1e3, f * 1e3, t * 1e3, t / nodes * 1e6))
    for layers in (2, 20, 200):
        inputs, outputs, updates, nodes = mlp_training_graph(layers)
        feed = [np.random.rand(32, 64).astype('float32'), np.eye(10, dtype='float32')[np.random.randint(0, 10, 32)]]
        d, f, t = time_compile(inputs, outputs, updates, feed)
        print('%-28s %8d %10.2f ms %10.2f ms %10.2f ms %10.1f' % ('MLP training step, %d layers' % layers, nodes, d * 1e3, f * 1e3, t * 1e3, t / nodes * 1e6))
    call, np_call = per_call_overhead()
    print('per-call overhead of K.function([x], [x + 1]) on 1 element: %.2f us (numpy a + 1: %.2f us)'
          % (call * 1e6, np_call * 1e6))


if __name__ == '__main__':
    main()
