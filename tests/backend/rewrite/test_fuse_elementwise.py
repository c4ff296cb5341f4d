"""The fuse_elementwise pass alone: values of random elementwise graphs (with broadcasting,
shared values, comparisons, switches and casts) and of a model's gradients are unchanged; the
groups are as expected (nothing computed twice, small values computed once on their own);
values needed outside a program whose consumers are all in it (outputs, update values) are
further outputs of that program, so an optimizer's update of a parameter is one program that
writes every new value, in place, and every optimizer's steps are unchanged."""
import numpy as np
import pytest

import symkeras.backend as K
from symkeras import optimizers
from symkeras.backend import lower
from symkeras.backend import rewrite
from symkeras.backend.graph import Output, Tensor, as_node, toposort
from symkeras.backend.ops.fused import FusedElementwise
from symkeras.backend.rewrite import fuse_elementwise

SHAPES = [(4, 5, 6), (5, 6), (1, 6), (4, 1, 1), (), (6,), (4, 5, 1)]


@pytest.fixture(autouse=True)
def only_this_pass(monkeypatch):
    """K.function's default optimisation runs this pass alone."""
    monkeypatch.setattr(rewrite, 'PASSES', [fuse_elementwise])


def fused(roots, budget=10 ** 6):
    return fuse_elementwise.run([as_node(r) for r in roots], budget)


def compiled(inputs, outputs, arrays, rewrite):
    """Values of outputs, with the pass applied first (rewrite) or not, and the kernel names."""
    outs = fused(outputs) if rewrite else [as_node(o) for o in outputs]
    f = K.function(inputs, [Tensor(n) for n in outs], optimize=False)
    values = f(arrays)
    program, _ = next(iter(f._cache.values()))
    return values, [lower.KERNEL_NAMES[k] for k in program.kernels]


def random_graph(rng, inputs, n_ops):
    """A random DAG of elementwise ops over `inputs` whose values stay finite."""
    pool = list(inputs)
    pick = lambda: pool[rng.randint(len(pool))]
    unary = [K.tanh, K.sigmoid, K.abs, K.square, lambda x: -x, lambda x: K.relu(x, 0.1, 3.),
             lambda x: K.clip(x, -1.5, 2.), lambda x: K.exp(K.clip(x, -5, 5)),
             lambda x: K.log(K.abs(x) + 1.), lambda x: K.sqrt(K.abs(x)), lambda x: 2.5 * x - 1]
    binary = [lambda x, y: x + y, lambda x, y: x - y, lambda x, y: x * y,
              lambda x, y: x / (1. + K.abs(y)), K.maximum, K.minimum,
              lambda x, y: K.switch(x > y, x, y * 0.5),
              lambda x, y: K.cast(K.greater_equal(x, y), K.dtype(x)) * y,
              lambda x, y: K.pow(K.abs(x) + 0.5, K.clip(y, -2, 2))]
    for _ in range(n_ops):
        if rng.rand() < 0.45:
            pool.append(unary[rng.randint(len(unary))](pick()))
        else:
            pool.append(binary[rng.randint(len(binary))](pick(), pick()))
    return pool


@pytest.mark.parametrize('seed', range(12))
def test_random_graphs_keep_their_values(seed):
    rng = np.random.RandomState(seed)
    dtype = 'float64' if seed % 3 == 0 else 'float32'
    shapes = [SHAPES[i] for i in rng.choice(len(SHAPES), 3, replace=False)]
    ps = [K.placeholder(shape=s, dtype=dtype) for s in shapes]
    arrays = [rng.uniform(-2, 2, s).astype(dtype) for s in shapes]
    pool = random_graph(rng, ps, 14)
    outputs = [pool[-1], pool[-2], pool[len(pool) // 2]]     # shared values become outputs too
    want, plain = compiled(ps, outputs, arrays, rewrite=False)
    got, kernels = compiled(ps, outputs, arrays, rewrite=True)
    tol = dict(rtol=1e-11, atol=1e-12) if dtype == 'float64' else dict(rtol=2e-5, atol=1e-5)
    for g, w in zip(got, want):
        assert g.shape == w.shape and g.dtype == w.dtype
        np.testing.assert_allclose(g, w, **tol)
    assert len(kernels) <= len(plain)


def test_dynamic_shapes_and_broadcast_into_a_larger_output():
    x = K.placeholder(shape=(None, 5))
    b = K.placeholder(shape=(5,))
    y = K.tanh(x * 2. + b) - K.sigmoid(b) * 3.
    for n in (1, 7, 300):
        xs, bs = np.random.randn(n, 5).astype('float32'), np.random.randn(5).astype('float32')
        (want,), _ = compiled([x, b], [y], [xs, bs], rewrite=False)
        (got,), kernels = compiled([x, b], [y], [xs, bs], rewrite=True)
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-6)
        # the (5,)-shaped sigmoid(b) * 3 is its own program, computed once, not per row
        assert kernels == ['fused_elementwise', 'fused_elementwise']


def test_shared_values_are_computed_once():
    x = K.placeholder(shape=(8, 3))
    e = K.exp(x) * 2.           # read by two groups: their input, not recomputed
    a = K.tanh(e) + 1.
    b = K.sqrt(e) - 1.
    roots = fused([a, b])
    programs = [n.op.program for n in toposort(roots) if isinstance(n.op, FusedElementwise)]
    assert len(programs) == 3
    codes = [ins[1] for p in programs for ins in p if ins[0] == 'unary']
    assert sorted(codes) == ['CLIP', 'EXP', 'SQRT', 'TANH']     # K.sqrt clips at 0 first


def test_shape_readers_do_not_split_groups():
    """Gradients read K.shape of values (for unbroadcasting); the shape folds when the program
    is specialised, so the value can still be fused into its consumer's program."""
    x = K.placeholder(shape=(None, 5))
    a = x * 2.
    outs = [K.exp(a) + 1., K.ones_like(a)]
    xs = np.random.randn(3, 5).astype('float32')
    want, _ = compiled([x], outs, [xs], rewrite=False)
    got, kernels = compiled([x], outs, [xs], rewrite=True)
    assert kernels.count('fused_elementwise') == 1 and 'binary' not in kernels   # ones: a constant
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-6)


def test_single_ops_integers_and_mixed_floats_are_left_alone():
    x = K.placeholder(shape=(4,), dtype='int32')
    y = K.placeholder(shape=(4,))
    z = K.placeholder(shape=(4,), dtype='float64')
    outs = [x * 3 + 1, K.abs(y), K.exp(z), K.cast(y, 'float64') + z]
    roots = fused(outs)
    assert not any(isinstance(n.op, FusedElementwise) for n in toposort(roots))


@pytest.mark.parametrize('fn', [K.exp, K.log, K.tanh, K.sigmoid])
def test_a_lone_float32_transcendental_runs_vectorised(fn):
    """A lone float32 exp/log/tanh/sigmoid becomes a one-op program (the interpreter's
    versions are vectorised), with the values of the one-op kernel."""
    y = K.placeholder(shape=(None, 7))
    roots = fused([fn(y)])
    assert isinstance(roots[0].op, FusedElementwise)
    a = np.random.RandomState(3).uniform(0.05, 4, (5, 7)).astype('float32')
    plain = K.function([y], [fn(y)], optimize=False)([a])[0]
    fast = K.function([y], [fn(y)])([a])[0]
    np.testing.assert_allclose(fast, plain, rtol=4e-7, atol=1e-7)


def test_budget_zero_changes_nothing():
    x = K.placeholder(shape=(4,))
    y = K.exp(x) + 1.
    assert fused([y], budget=0) == [as_node(y)]


def _mlp():
    rng = np.random.RandomState(0)
    x, t = K.placeholder(shape=(None, 6)), K.placeholder(shape=(None, 3))
    w1 = K.variable(rng.randn(6, 8) * 0.5)
    b1 = K.variable(rng.randn(8) * 0.1)
    w2 = K.variable(rng.randn(8, 3) * 0.5)
    h = K.relu(K.dot(x, w1) + b1)
    p = K.softmax(K.dot(h, w2))
    loss = K.mean(K.categorical_crossentropy(p, t)) + 0.01 * K.sum(K.square(w1))
    data = [rng.randn(5, 6).astype('float32'), np.eye(3)[rng.randint(0, 3, 5)].astype('float32')]
    return [x, t], [w1, b1, w2], loss, data


def test_model_gradients_unchanged():
    inputs, params, loss, data = _mlp()
    grads = K.gradients(loss, params)
    want, _ = compiled(inputs, grads + [loss], data, rewrite=False)
    got, kernels = compiled(inputs, grads + [loss], data, rewrite=True)
    assert 'fused_elementwise' in kernels
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-7)


def _param_passes(opt, options=None):
    """Instructions over a (300, 200) parameter's shape that compute elementwise values, per
    parameter, in the rewritten and in the plain program of an optimizer's updates."""
    rng = np.random.RandomState(1)
    x = K.placeholder(shape=(16, 300))
    w = K.variable(rng.randn(300, 200) * 0.01)
    loss = K.mean(K.square(K.dot(x, w)))
    o = getattr(optimizers, opt)(**(options or {}))
    updates = o.get_updates([w], {}, loss)
    f = K.function([x], [loss], updates=updates)
    f_plain = K.function([x], [loss], updates=updates, optimize=False)
    xs = rng.randn(16, 300).astype('float32')
    counts = []
    for fn in (f, f_plain):
        fn([xs])
        program, nodes = next(iter(fn._cache.values()))
        counts.append(sum(1 for k, n in zip(program.kernels, nodes)
                          if n is not None and n.shape == (300, 200)
                          and lower.KERNEL_NAMES[k] in ('unary', 'binary', 'switch', 'fused_elementwise')))
    return counts


# Adadelta: its step is read by two updates (the parameter's and the delta accumulator's),
# which are roots of their own, so the step (with the new accumulator) is a program too
@pytest.mark.parametrize('opt,after', [('RMSprop', 1), ('Adam', 1), ('SGD', 1), ('Adagrad', 1),
                                       ('Adadelta', 3), ('Adamax', 1), ('Nadam', 1)])
def test_optimizer_updates_become_one_program(opt, after):
    fused_count, plain_count = _param_passes(opt)
    assert fused_count == after and plain_count > after


def test_clipping_joins_the_update_programs():
    fused_count, _ = _param_passes('RMSprop', {'clipvalue': 0.5})
    assert fused_count == 1      # the clipped gradient is read by the one program
    fused_count, _ = _param_passes('RMSprop', {'clipnorm': 1.0})
    assert fused_count == 2      # square(g) is read by the norm's sum too: a program of its own


OPTIMIZERS = [('SGD', {}), ('SGD', dict(momentum=0.9)), ('SGD', dict(momentum=0.9, nesterov=True)),
              ('RMSprop', {}), ('Adagrad', {}), ('Adadelta', {}), ('Adam', {}), ('Adamax', {}),
              ('Nadam', {}), ('Adam', dict(clipnorm=1.0)), ('RMSprop', dict(clipvalue=0.01))]


@pytest.mark.parametrize('opt,options', OPTIMIZERS)
def test_optimizer_step_values_unchanged(opt, options):
    """A few steps give the same weights with and without the pass; the rewritten program
    computes every new value of a parameter in its one program (Adadelta: three, see above),
    straight into the variables: no commit or copy instruction."""
    results = []
    for optimize in (False, True):
        rng = np.random.RandomState(2)
        x = K.placeholder(shape=(16, 30))
        w = K.variable(rng.randn(30, 20) * 0.1)
        b = K.variable(np.zeros(20))
        loss = K.mean(K.square(K.tanh(K.dot(x, w) + b) - 0.5))
        o = getattr(optimizers, opt)(**options)
        f = K.function([x], [loss], updates=o.get_updates([w, b], {}, loss), optimize=optimize)
        for _ in range(3):
            f([rng.randn(16, 30).astype('float32')])
        results.append((K.get_value(w), K.get_value(b)))
    for a, c in zip(*results):
        np.testing.assert_allclose(a, c, rtol=1e-5, atol=1e-6)
    (program, nodes), = f._cache.values()
    assert None not in nodes       # no output copy, no commit
    per_param = sum(1 for k, n in zip(program.kernels, nodes)
                    if lower.KERNEL_NAMES[k] == 'fused_elementwise' and n.shape == (30, 20))
    assert per_param == (3 if opt == 'Adadelta' else 1)


def test_shared_values_as_outputs_become_further_outputs():
    """Random graphs whose intermediate values are outputs too: programs with several outputs
    (most of the graphs have some) give the values of the unfused graph."""
    with_projections = 0
    for seed in range(8):
        rng = np.random.RandomState(100 + seed)
        dtype = 'float64' if seed % 2 else 'float32'
        shape = [(5, 7), (3, 4, 6), (9,), (2, 1, 3)][seed % 4]
        ps = [K.placeholder(shape=shape, dtype=dtype) for _ in range(3)]
        arrays = [rng.uniform(-2, 2, shape).astype(dtype) for _ in range(3)]
        pool = random_graph(rng, ps, 16)[3:]
        outputs = [pool[-1]] + [pool[i] for i in rng.choice(len(pool) - 1, 4, replace=False)]
        with_projections += any(isinstance(n.op, Output) for n in toposort(fused(outputs)))
        want, _ = compiled(ps, outputs, arrays, rewrite=False)
        got, _ = compiled(ps, outputs, arrays, rewrite=True)
        tol = dict(rtol=1e-11, atol=1e-12) if dtype == 'float64' else dict(rtol=2e-5, atol=1e-5)
        for g, w in zip(got, want):
            assert g.shape == w.shape and g.dtype == w.dtype
            np.testing.assert_allclose(g, w, **tol)
    assert with_projections >= 4


def test_roots_read_by_a_program_are_its_outputs():
    """b and c are outputs and read only by d's group: one program with three outputs. A
    value of a dynamic shape (run-time dimension) or read elsewhere stays a root of its own."""
    x = K.placeholder(shape=(4, 5))
    b = K.exp(x) * 2.
    c = K.tanh(b) + x
    d = K.sqrt(K.abs(c)) - b
    roots = fused([d, b, c])
    assert isinstance(roots[0].op, FusedElementwise) and roots[0].op.outputs
    assert [(type(r.op), r.op.index) for r in roots[1:]] == [(Output, 1), (Output, 2)]
    assert all(r.inputs == (roots[0],) for r in roots[1:])
    xs = np.random.RandomState(7).rand(4, 5).astype('float32')
    want, _ = compiled([x], [d, b, c], [xs], rewrite=False)
    got, kernels = compiled([x], [d, b, c], [xs], rewrite=True)
    assert kernels == ['fused_elementwise']
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-6, atol=1e-6)

    y = K.placeholder(shape=(None, 5))
    e = K.exp(y) * 2.
    roots = fused([K.tanh(e) + 1., e])
    assert not any(isinstance(n.op, Output) for n in toposort(roots))


def test_an_unused_output_is_not_stored():
    """A function that reads only the program's root stores nothing else."""
    x = K.placeholder(shape=(4, 5))
    b = K.exp(x) * 2.
    d = K.tanh(b) - b
    root, _ = fused([d, b])
    assert root.op.outputs
    f = K.function([x], [Tensor(root)], optimize=False)
    xs = np.random.RandomState(8).rand(4, 5).astype('float32')
    e = np.exp(xs) * 2
    np.testing.assert_allclose(f([xs])[0], np.tanh(e) - e, rtol=1e-5)
    (program, nodes), = f._cache.values()
    assert program.arena_bytes == 0          # no buffer for output 1
