"""The lowering's arena plan: buffers alive at the same time never share memory, and a large
random graph whose intermediates reuse arena memory still computes numpy's values. Updates see
old values (Theano semantics), also when one fused instruction with several outputs writes
several variables in place."""
import numpy as np
import pytest

import symkeras.backend as K
from symkeras.backend import lower


@pytest.mark.parametrize('seed', range(20))
def test_arena_plan_never_overlaps_live_buffers(seed):
    rng = np.random.RandomState(seed)
    n = rng.randint(1, 200)
    buffers, times = [], {}
    for b in range(n):
        kind = lower.ARENA if rng.rand() < 0.9 else lower.CONST
        buffers.append([kind, None, int(rng.choice([0, 1, 7, 64, 100, 4096, rng.randint(1, 10000)]))])
        first = int(rng.randint(0, 100))
        times[b] = (first, first + int(rng.randint(0, 30)))
    size = lower._plan_arena(buffers, times)
    placed = [b for b in times if buffers[b][0] == lower.ARENA]
    for b in placed:
        off = buffers[b][1]
        assert off % 64 == 0 and off + buffers[b][2] <= size
    for i, a in enumerate(placed):
        for c in placed[i + 1:]:
            (fa, la), (fc, lc) = times[a], times[c]
            if fa <= lc and fc <= la:      # alive at a common step
                ea = buffers[a][1] + max(buffers[a][2], 1)
                ec = buffers[c][1] + max(buffers[c][2], 1)
                assert ea <= buffers[c][1] or ec <= buffers[a][1], (a, c)


def test_arena_is_reused_along_a_chain():
    x = K.placeholder(shape=(None, 1000))
    h = x
    for i in range(50):
        h = K.tanh(h * 0.5 + 0.1)
    f = K.function([x], [h * 2.0])
    a = np.random.rand(8, 1000).astype('float32')
    expected = a.astype('float64')
    for i in range(50):
        expected = np.tanh(expected * 0.5 + 0.1)
    np.testing.assert_allclose(f([a])[0], expected * 2, rtol=1e-5)
    program = f._cache[((8, 1000),)][0]
    assert program.arena_bytes <= 3 * 8 * 1000 * 4 + 3 * 64


def test_random_dag_with_long_lived_buffers_matches_numpy():
    rng = np.random.RandomState(0)
    x = K.placeholder(shape=(None, 7))
    sym, ref = [x], [None]
    a = rng.rand(5, 7)
    ref[0] = a
    for i in range(300):
        j = rng.randint(len(sym))
        sym.append(K.tanh(sym[-1] * 0.9 + sym[j]))
        ref.append(np.tanh(ref[-1] * 0.9 + ref[j]))
    f = K.function([x], [sym[-1], sym[150]])
    out, mid = f([a.astype('float32')])
    np.testing.assert_allclose(out, ref[-1], rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(mid, ref[150], rtol=1e-4, atol=1e-5)


# ----------------------------------------------------------------------------- in-place updates
# An update whose value node is the last reader of its variable writes straight into the
# variable (no commit); every output and every other update must still see old values.

def commits(f):
    """Instructions of f's (only) program that belong to no node: output copies and commits."""
    (program, nodes), = f._cache.values()
    return sum(node is None for node in nodes)


def run(f, inputs, calls=2):
    return [[np.array(o) for o in f(inputs)] for _ in range(calls)]


def test_updates_that_read_each_other_see_old_values():
    rng = np.random.RandomState(0)
    av, bv = rng.rand(3, 4), rng.rand(3, 4)
    a, b = K.variable(av), K.variable(bv)
    f = K.function([], [a * 2.0, b + 0.0], updates=[(a, a + b), (b, a * b)])
    for _ in range(3):
        out = f([])
        np.testing.assert_allclose(out[0], av * 2, rtol=1e-6)
        np.testing.assert_allclose(out[1], bv, rtol=1e-6)
        av, bv = av + bv, av * bv
        np.testing.assert_allclose(K.get_value(a), av, rtol=1e-5)
        np.testing.assert_allclose(K.get_value(b), bv, rtol=1e-5)


def test_swap_and_rotation():
    vals = [np.full((2, 3), float(i)) for i in range(3)]
    a, b, c = [K.variable(v) for v in vals]
    K.function([], [], updates=[(a, b), (b, a)])([])
    assert K.get_value(a)[0, 0] == 1 and K.get_value(b)[0, 0] == 0
    K.function([], [], updates=[(a, b + 0.0), (b, c + 0.0), (c, a + 0.0)])([])
    assert [K.get_value(v)[0, 0] for v in (a, b, c)] == [0, 2, 1]


def test_update_add_sub_and_outputs_reading_the_variable():
    rng = np.random.RandomState(1)
    xv = rng.rand(5, 3).astype('float32')
    v, w = K.variable(np.ones((5, 3))), K.variable(np.full((5, 3), 10.0))
    x = K.placeholder(shape=(5, 3))
    f = K.function([x], [v, K.sum(w * x)], updates=[K.update_add(v, x), K.update_sub(w, x * v)])
    vv, wv = np.ones((5, 3)), np.full((5, 3), 10.0)
    for _ in range(3):
        out = f([xv])
        np.testing.assert_allclose(out[0], vv, rtol=1e-6)
        np.testing.assert_allclose(out[1], (wv * xv).sum(), rtol=1e-5)
        vv, wv = vv + xv, wv - xv * vv
        np.testing.assert_allclose(K.get_value(v), vv, rtol=1e-6)
        np.testing.assert_allclose(K.get_value(w), wv, rtol=1e-5)
    g = K.function([x], [], updates=[K.update(v, x * 2.0)])
    g([xv])
    np.testing.assert_allclose(K.get_value(v), xv * 2, rtol=1e-6)
    assert commits(g) == 0


def test_values_that_must_not_overwrite_their_variable():
    """A product, a transpose and a reversal read other elements of the variable than the one
    they write: their values go through a commit; a value read by a later node or by an
    output keeps the variable's old value alive. Values computed from them by elementwise ops
    (m2, t2) may be written in place: their producers read the variables earlier."""
    rng = np.random.RandomState(2)
    mv, sv, tv, rv = rng.rand(4, 4), rng.rand(4), rng.rand(4, 4), rng.rand(4, 4)
    m, s, t, r = K.variable(mv), K.variable(sv), K.variable(tv), K.variable(rv)
    m2, t2 = K.variable(mv), K.variable(tv)
    x = K.placeholder(shape=(4, 4))
    later = K.dot(K.transpose(r), x)       # reads r, and may be scheduled after r's update
    f = K.function([x], [later, s * 1.0],
                   updates=[(m, K.dot(m, m)), (t, K.transpose(t)), (r, r[::-1]), (s, K.sum(m, axis=0) + s),
                            (m2, K.dot(m2, m2) + 1.0), (t2, K.transpose(t2) * x)])
    xv = rng.rand(4, 4)
    out = f([xv])
    np.testing.assert_allclose(out[0], rv.T @ xv, rtol=1e-5)
    np.testing.assert_allclose(out[1], sv, rtol=1e-6)
    np.testing.assert_allclose(K.get_value(m), mv @ mv, rtol=1e-5)
    np.testing.assert_allclose(K.get_value(t), tv.T, rtol=1e-5)
    np.testing.assert_allclose(K.get_value(r), rv[::-1], rtol=1e-5)
    np.testing.assert_allclose(K.get_value(s), mv.sum(0) + sv, rtol=1e-5)
    np.testing.assert_allclose(K.get_value(m2), mv @ mv + 1, rtol=1e-5)
    np.testing.assert_allclose(K.get_value(t2), tv.T * xv, rtol=1e-5)


@pytest.mark.parametrize('seed', range(12))
def test_random_update_sets_match_numpy(seed):
    """Random updates of four variables, each value built from the variables, an input, dots,
    transposes, reductions and elementwise ops; outputs read the variables too. Two calls,
    compared with numpy, and with the same function compiled without graph rewrites."""
    rng = np.random.RandomState(seed)
    n = 4
    init = [rng.uniform(-1, 1, (3, 3)) for _ in range(n)]
    x = K.placeholder(shape=(3, 3))
    ops = [(lambda p, q: p + q, lambda p, q: p + q), (lambda p, q: p * q, lambda p, q: p * q),
           (lambda p, q: K.dot(p, q), lambda p, q: p @ q), (lambda p, q: K.transpose(p) - q, lambda p, q: p.T - q),
           (lambda p, q: K.tanh(p) + K.sum(q, axis=0, keepdims=True), lambda p, q: np.tanh(p) + q.sum(0, keepdims=True))]
    plan = []
    for i in range(n):
        if rng.rand() < 0.3:
            continue
        terms = [(int(rng.randint(len(ops))), int(rng.randint(-1, n)), int(rng.randint(-1, n))) for _ in range(rng.randint(1, 3))]
        plan.append((i, terms))
    outs_plan = [(int(rng.randint(len(ops))), int(rng.randint(n)), int(rng.randint(-1, n))) for _ in range(2)]

    def build(vs, xv, lib):
        pick = lambda k: xv if k < 0 else vs[k]
        value = lambda terms: sum_all([ops[o][lib](pick(p), pick(q)) for o, p, q in terms])
        return value

    def sum_all(items):
        total = items[0]
        for it in items[1:]:
            total = total + it
        return total

    xv = rng.uniform(-1, 1, (3, 3))
    results = []
    for optimize in (True, False):
        vs = [K.variable(v) for v in init]
        value = build(vs, x, 0)
        f = K.function([x], [value([t]) for t in outs_plan],
                       updates=[(vs[i], value(terms)) for i, terms in plan], optimize=optimize)
        results.append((run(f, [xv]), [K.get_value(v) for v in vs]))
    ref_vs = [v.copy() for v in init]
    ref_outs = []
    for _ in range(2):
        value = build(ref_vs, xv, 1)
        ref_outs.append([value([t]) for t in outs_plan])
        new = {i: value(terms) for i, terms in plan}
        for i, v in new.items():
            ref_vs[i] = v
    for outs, final in results:
        for got, want in zip(outs, ref_outs):
            for g, w in zip(got, want):
                np.testing.assert_allclose(g, w, rtol=1e-4, atol=1e-4)
        for g, w in zip(final, ref_vs):
            np.testing.assert_allclose(g, w, rtol=1e-4, atol=1e-4)


def test_model_train_step_has_no_commits():
    """RMSprop's updates of a Sequential model are computed into the variables: without the
    in-place lowering every weight and accumulator needs a commit; the weights after a few
    steps are the same bit for bit."""
    from symkeras.layers.core import Activation, Dense, Dropout
    from symkeras.models import Sequential
    from symkeras.optimizers import RMSprop

    def train(in_place, monkeypatch_ctx):
        if not in_place:
            monkeypatch_ctx.setattr(lower._Builder, 'plan_in_place', lambda self, *args: None)
        np.random.seed(1)
        model = Sequential([Dense(16, input_shape=(8,)), Activation('relu'), Dropout(0.2),
                            Dense(3), Activation('softmax')])
        model.compile(loss='categorical_crossentropy', optimizer=RMSprop())
        rng = np.random.RandomState(0)
        for _ in range(3):
            model.train_on_batch(rng.rand(6, 8).astype('float32'),
                                 np.eye(3)[rng.randint(0, 3, 6)].astype('float32'))
        return model.get_weights(), commits(model.model.train_function)

    with pytest.MonkeyPatch.context() as mp:
        w_copy, n_copy = train(False, mp)
    with pytest.MonkeyPatch.context() as mp:
        w_in_place, n_in_place = train(True, mp)
    assert n_copy == 8 and n_in_place == 0
    for a, b in zip(w_copy, w_in_place):
        np.testing.assert_array_equal(a, b)


def test_same_index_rules_of_the_elementwise_kernels():
    """No graph of today's ops feeds a variable to an elementwise kernel through other strides
    than its output's, so the rules are checked on hand-made parameters: contiguous (size-1
    dimensions aside) passes; transposed, reversed-like or broadcast strides do not; a fused
    program must store its one output last."""
    same = lower._ELEMENTWISE
    shape = [3, 4]
    binary = lambda sa, sb: [0, 0, 2] + shape + sa + sb
    assert same['binary'](binary([4, 1], [1, 3]), 0) and not same['binary'](binary([4, 1], [1, 3]), 1)
    assert not same['binary'](binary([0, 1], [4, 1]), 0) and same['binary'](binary([0, 1], [4, 1]), 1)
    assert same['binary']([0, 0, 3, 3, 1, 4, 4, 7, 1, 0, 0, 0], 0)       # a size-1 dimension
    switch = [0, 2] + shape + [4, 1] + [1, 3] + [4, 1]
    assert same['switch'](switch, 0) and not same['switch'](switch, 1) and same['switch'](switch, 2)
    load, store, add = [0, 0, 0, 0, 0], [2, 0, 1, 0, 0], [99, 1, 0, 0, 0]

    def fused(strides, code, n_out=1):
        return [0, 1, n_out, 2, 2] + shape + [0] + strides + [len(code) // 5] + code

    assert same['fused_elementwise'](fused([4, 1], load + add + store), 0)
    assert not same['fused_elementwise'](fused([1, 3], load + add + store), 0)
    assert not same['fused_elementwise'](fused([4, 1], load + store + add + store), 0)
    assert not same['fused_elementwise'](fused([4, 1], load + store + add), 0)
    assert not same['fused_elementwise'](fused([4, 1], load + add + store, n_out=2), 0)
    assert not same['fused_elementwise'](fused([4, 1], load + [2, 0, 0, 0, 0]), 0)   # stores the load
    # several outputs: every STORE after the last op, one per output, none of a loaded register
    add2, store1 = [98, 0, 1, 0, 0], [2, 0, 0, 1, 0]
    assert same['fused_elementwise'](fused([4, 1], load + add + add2 + store1 + store, n_out=2), 0)
    assert same['fused_elementwise'](fused([4, 1], load + add + add2 + store + store1, n_out=2), 0)
    assert not same['fused_elementwise'](fused([1, 3], load + add + add2 + store1 + store, n_out=2), 0)
    assert not same['fused_elementwise'](fused([4, 1], load + add + store1 + add2 + store, n_out=2), 0)
    assert not same['fused_elementwise'](fused([4, 1], load + add + add2 + store + store, n_out=2), 0)
    assert not same['fused_elementwise'](fused([4, 1], load + add + [2, 0, 0, 1, 0] + store, n_out=2), 0)


def test_elementwise_chain_works_in_one_buffer():
    """Each elementwise op of a chain writes over its input, which dies there: the whole chain
    runs in the output array, with no arena. A value read again later (through a reshape)
    keeps its buffer until then."""
    x = K.placeholder(shape=(8, 1000))
    h = K.tanh(x)
    for i in range(20):
        h = K.tanh(h * 0.5 + 0.1)
    f = K.function([x], [h * 2.0], optimize=False)
    a = np.random.RandomState(3).rand(8, 1000).astype('float32')
    expected = np.tanh(a.astype('float64'))
    for i in range(20):
        expected = np.tanh(expected * 0.5 + 0.1)
    np.testing.assert_allclose(f([a])[0], expected * 2, rtol=1e-5)
    assert f._cache[((8, 1000),)][0].arena_bytes == 0

    kept = K.reshape(K.exp(x), (1000, 8))
    h = K.reshape(kept, (8, 1000))
    for i in range(5):
        h = h * 0.5 + 1.0
    g = K.function([x], [h + K.reshape(kept, (8, 1000)), kept * 1.0], optimize=False)
    e = np.exp(a.astype('float64'))
    want = e
    for i in range(5):
        want = want * 0.5 + 1.0
    out, k = g([a])
    np.testing.assert_allclose(out, want + e, rtol=1e-5)
    np.testing.assert_allclose(k, e.reshape(1000, 8), rtol=1e-5)


def fused_instructions(f):
    (program, nodes), = f._cache.values()
    return [n.op for k, n in zip(program.kernels, nodes) if lower.KERNEL_NAMES[k] == 'fused_elementwise']


def test_chained_updates_in_one_instruction_see_old_values():
    """Each new value reads the previous ones and the old variables: the three updates are
    one fused instruction with three outputs, each written into its variable, every one
    computed from old values (the rotation reads a, b and c after writing none of them)."""
    rng = np.random.RandomState(3)
    init = [rng.uniform(0.5, 1.5, (6, 7)) for _ in range(3)]
    x = K.placeholder(shape=(6, 7))
    xv = rng.uniform(-1, 1, (6, 7))
    results = []
    for optimize in (True, False):
        a, b, c = [K.variable(v) for v in init]
        a2 = b + c * x
        b2 = a2 * c + a
        c2 = b2 - a2 * a
        f = K.function([x], [], updates=[(a, a2), (b, b2), (c, c2)], optimize=optimize)
        for _ in range(3):
            f([xv])
        results.append([K.get_value(v) for v in (a, b, c)])
        if optimize:
            ops = fused_instructions(f)
            assert len(ops) == 1 and len(ops[0].outputs) == 2 and commits(f) == 0
    av, bv, cv = init
    for _ in range(3):
        a2 = bv + cv * xv
        b2 = a2 * cv + av
        av, bv, cv = a2, b2, b2 - a2 * av
    for got in results:
        for g, w in zip(got, (av, bv, cv)):
            np.testing.assert_allclose(g, w, rtol=1e-4, atol=1e-5)    # float32, three steps


def test_outputs_reading_variables_of_a_multi_output_update():
    """Outputs read the old values of the variables that one instruction updates, one of them
    after it (a product of the old a and the new b): a's new value, an output of the
    instruction, is committed; b's is written in place. Swapping-style updates (each new value
    reads the other's old value) stay right."""
    rng = np.random.RandomState(4)
    av, bv = rng.rand(5, 3), rng.rand(5, 3)
    a, b = K.variable(av), K.variable(bv)
    a2 = a * 0.5 + b
    b2 = a2 * b - a
    late = K.dot(K.transpose(a), b2)     # runs after the instruction, reads a's old value
    f = K.function([], [K.sum(K.dot(a, K.transpose(b))), late], updates=[(a, a2), (b, b2)])
    for _ in range(3):
        s, lv = f([])
        np.testing.assert_allclose(s, (av @ bv.T).sum(), rtol=1e-5)
        new_a = av * 0.5 + bv
        new_b = new_a * bv - av
        np.testing.assert_allclose(lv, av.T @ new_b, rtol=1e-5, atol=1e-6)
        av, bv = new_a, new_b
        np.testing.assert_allclose(K.get_value(a), av, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(K.get_value(b), bv, rtol=1e-5, atol=1e-6)
    assert len(fused_instructions(f)) == 1 and commits(f) == 1
