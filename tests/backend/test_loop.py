"""The loop op and the functions on it (K.rnn, K.map_fn, K.foldl, K.foldr): values against
numpy loops written from Keras 1.2.2's definitions, gradients against finite differences."""
import numpy as np
import pytest

import symkeras.backend as K
from tests.opcheck import check_grad, check_value, evaluate

RNG = np.random.RandomState(0)


def _rand(*shape):
    return RNG.uniform(-1, 1, shape).astype('float32')


# ----------------------------------------------------------------------------- K.rnn

def simple_step(W, U, b):
    def step(x, states):
        h = K.tanh(K.dot(x, W) + K.dot(states[0], U) + b * states[1])   # states[1]: a constant
        return h, [h]
    return step


def np_simple_step(W, U, b):
    def step(x, states, constants):
        h = np.tanh(x @ W + states[0] @ U + b * constants[0])
        return h, [h]
    return step


def np_rnn(step, x, states, mask=None, go_backwards=False, constants=()):
    """Keras 1.2.2's K.rnn (Theano) in numpy: (last_output, outputs, new_states)."""
    T = x.shape[1]
    order = range(T - 1, -1, -1) if go_backwards else range(T)
    outs, prev = [], None
    for t in order:
        out, new = step(x[:, t], states, constants)
        if mask is not None:
            keep = mask[:, t].astype(bool)[:, None]
            prev = np.zeros_like(out) if prev is None else prev
            out = np.where(keep, out, prev)
            new = [np.where(keep, n, s) for n, s in zip(new, states)]
        outs.append(out)
        prev, states = out, new
    outputs = np.stack(outs, axis=1)
    return outputs[:, -1], outputs, states


def _weights(D, U):
    return _rand(D, U), _rand(U, U) * 0.5, _rand(U)


@pytest.mark.parametrize('T', [1, 2, 7])
@pytest.mark.parametrize('go_backwards', [False, True])
@pytest.mark.parametrize('unroll', [False, True])
def test_rnn_values(T, go_backwards, unroll):
    B, D, U = 3, 4, 5
    W, Uw, b = _weights(D, U)
    x, h0, c = _rand(B, T, D), _rand(B, U), _rand(B, U)

    def fn(x, h0, c):
        last, outs, states = K.rnn(simple_step(K.variable(W), K.variable(Uw), K.variable(b)), x,
                                   [h0], go_backwards=go_backwards, constants=[c], unroll=unroll)
        return [last, outs, states[0]]

    got = evaluate(fn, x, h0, c)
    want = np_rnn(np_simple_step(W, Uw, b), x, [h0], go_backwards=go_backwards, constants=[c])
    for g, w in zip(got, [want[0], want[1], want[2][0]]):
        np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize('go_backwards', [False, True])
@pytest.mark.parametrize('unroll', [False, True])
def test_rnn_mask(go_backwards, unroll):
    B, T, D, U = 4, 6, 3, 5
    W, Uw, b = _weights(D, U)
    x, h0, c = _rand(B, T, D), _rand(B, U), _rand(B, U)
    mask = (RNG.uniform(size=(B, T)) > 0.4)
    mask[:, 0] = False      # a masked first step keeps the zeros before it

    def fn(x, h0, c, m):
        last, outs, states = K.rnn(simple_step(K.variable(W), K.variable(Uw), K.variable(b)), x,
                                   [h0], go_backwards=go_backwards, mask=m, constants=[c],
                                   unroll=unroll)
        return [last, outs, states[0]]

    got = evaluate(fn, x, h0, c, mask)
    want = np_rnn(np_simple_step(W, Uw, b), x, [h0], mask, go_backwards, [c])
    for g, w in zip(got, [want[0], want[1], want[2][0]]):
        np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-6)


def test_rnn_left_and_right_padding_agree_on_the_last_state():
    """Masked steps carry the state, so padding before or after the data gives one state."""
    B, T, D, U, n = 2, 7, 3, 4, 4
    W, Uw, b = _weights(D, U)
    data = _rand(B, n, D)
    left, right = np.zeros((B, T, D), 'float32'), np.zeros((B, T, D), 'float32')
    left[:, T - n:], right[:, :n] = data, data
    ml, mr = np.zeros((B, T), bool), np.zeros((B, T), bool)
    ml[:, T - n:], mr[:, :n] = True, True

    def fn(x, m, h0, c):
        return K.rnn(simple_step(K.variable(W), K.variable(Uw), K.variable(b)), x, [h0], mask=m,
                     constants=[c])[2][0]

    h0, c = np.zeros((B, U), 'float32'), np.ones((B, U), 'float32')
    np.testing.assert_allclose(evaluate(fn, left, ml, h0, c), evaluate(fn, right, mr, h0, c),
                               rtol=1e-6, atol=1e-6)


def lstm_like_step(W, U):
    def step(x, states):
        h, c = states[0], states[1]
        z = K.dot(x, W) + K.dot(h, U)
        i, f, o, g = z[:, :3], z[:, 3:6], z[:, 6:9], z[:, 9:]
        c = K.sigmoid(f) * c + K.sigmoid(i) * K.tanh(g)
        h = K.sigmoid(o) * K.tanh(c)
        return h, [h, c]
    return step


@pytest.mark.parametrize('T', [1, 3])
@pytest.mark.parametrize('masked', [False, True])
def test_rnn_gradients(T, masked):
    B, D = 2, 2
    x, W, U = _rand(B, T, D), _rand(D, 12), _rand(3, 12) * 0.5
    h0, c0 = _rand(B, 3), _rand(B, 3)
    mask = np.ones((B, T), bool)
    mask[0, -1] = False

    def fn(x, W, U, h0, c0, m):
        _, outs, states = K.rnn(lstm_like_step(W, U), x, [h0, c0], mask=m if masked else None)
        return K.concatenate([K.batch_flatten(outs), states[0], states[1]], axis=-1)

    check_grad(fn, x, W, U, h0, c0, mask, rtol=1e-4, atol=1e-6)


def test_rnn_gradient_go_backwards_with_constants():
    B, T, D, U = 2, 4, 3, 2
    x, W, Uw, b, h0, c = _rand(B, T, D), _rand(D, U), _rand(U, U), _rand(U), _rand(B, U), _rand(B, U)

    def fn(x, W, Uw, b, h0, c):
        return K.rnn(simple_step(W, Uw, b), x, [h0], go_backwards=True, constants=[c])[1]

    check_grad(fn, x, W, Uw, b, h0, c, rtol=1e-4, atol=1e-6)


def test_loop_and_unrolled_gradients_agree():
    B, T, D, U = 3, 5, 4, 6
    W, Uw, b = _weights(D, U)
    x, h0, c = _rand(B, T, D), _rand(B, U), _rand(B, U)
    grads = []
    for unroll in (False, True):
        xs, hs, cs = K.placeholder((B, T, D)), K.placeholder((B, U)), K.placeholder((B, U))
        ws = [K.variable(v) for v in (W, Uw, b)]
        _, outs, states = K.rnn(simple_step(*ws), xs, [hs], constants=[cs], unroll=unroll)
        loss = K.sum(outs * outs) + K.sum(states[0])
        grads.append(K.function([xs, hs, cs], K.gradients(loss, ws + [xs, hs, cs]))([x, h0, c]))
    for a, b_ in zip(*grads):
        np.testing.assert_allclose(a, b_, rtol=1e-5, atol=1e-6)


def test_rnn_program_size_does_not_grow_with_the_length():
    sizes = []
    for T in (3, 60):
        x = K.placeholder((2, T, 3))
        W, U = K.variable(_rand(3, 12)), K.variable(_rand(3, 12))
        _, outs, _ = K.rnn(lstm_like_step(W, U), x, [K.zeros((2, 3)), K.zeros((2, 3))])
        loss = K.sum(outs)
        f = K.function([x], [loss], updates=[(W, W - 0.1 * K.gradients(loss, [W])[0])])
        f([_rand(2, T, 3)])
        (program, _), = f._cache.values()
        sizes.append(len(program))
    assert sizes[0] == sizes[1]


def test_rnn_learning_phase_and_dropout_inside_the_step():
    """The learning phase is folded into the body; random numbers differ from step to step."""
    B, T, U = 2, 4, 50
    x = K.placeholder((B, T, U))

    def step(x_t, states):
        out = K.in_train_phase(K.dropout(x_t, 0.5), x_t * 10)
        return out, states

    _, outs, _ = K.rnn(step, x, [K.zeros((B, 1))])
    f = K.function([x, K.learning_phase()], [outs])
    ones = np.ones((B, T, U), 'float32')
    train = f([ones, 1])[0]
    assert set(np.unique(train)) <= {0.0, 2.0}
    assert not all(np.array_equal(train[:, 0], train[:, t]) for t in range(1, T))
    np.testing.assert_array_equal(f([ones, 0])[0], ones * 10)


def test_rnn_errors():
    x = K.placeholder((2, 3, 4))
    step = simple_step(K.variable(_rand(4, 5)), K.variable(_rand(5, 5)), K.variable(_rand(5)))
    with pytest.raises(ShapeError_, match='at least 3 dimensions'):
        K.rnn(step, K.placeholder((2, 3)), [K.zeros((2, 5))])
    with pytest.raises(ShapeError_, match='state 0 starts as float32 \\(2, 5\\) but the step '
                       'returns it as float32 \\(2, 4\\)'):
        K.rnn(lambda x_t, s: (x_t, [x_t]), x, [K.zeros((2, 5))])
    with pytest.raises(ShapeError_, match='mask'):
        K.rnn(step, x, [K.zeros((2, 5))], mask=K.placeholder((2,)), constants=[K.ones((2, 5))])
    with pytest.raises(ValueError, match='input_length'):
        K.rnn(step, K.placeholder((2, None, 4)), [K.zeros((2, 5))], unroll=True,
              constants=[K.ones((2, 5))])
    with pytest.raises(ValueError, match='returned 2 states for 1'):
        K.rnn(lambda x_t, s: (x_t, [x_t, x_t]), x, [K.zeros((2, 4))])


ShapeError_ = ValueError    # graph.ShapeError is a ValueError


def test_rnn_run_time_error_names_the_loop_step():
    x = K.placeholder((1, 3, 1), dtype='int32')
    table = K.variable(_rand(4, 2))

    def step(x_t, states):
        return K.gather(table, x_t[:, 0]), states

    f = K.function([x], [K.rnn(step, x, [K.zeros((1, 1))])[1]])
    with pytest.raises(RuntimeError, match='step 1 of a loop'):
        f([np.array([[[0], [9], [1]]], 'int32')])


# ----------------------------------------------------------------------------- map / fold

def test_map_fn():
    x = _rand(5, 3, 2)
    check_value(lambda x: K.map_fn(lambda r: K.sum(r * r, axis=1), x),
                lambda x: (x * x).sum(axis=2), x)
    check_grad(lambda x: K.map_fn(lambda r: K.tanh(r) * 2, x), x)


def test_foldl_and_foldr():
    x = _rand(6, 3)
    check_value(lambda x: K.foldl(lambda acc, r: acc * 0.5 + r, x),
                lambda x: _fold(x, lambda a, r: a * 0.5 + r), x)
    check_value(lambda x: K.foldr(lambda acc, r: acc * 0.5 + r, x),
                lambda x: _fold(x[::-1], lambda a, r: a * 0.5 + r), x)
    check_value(lambda x: K.foldl(lambda acc, r: acc + K.sum(r), x, initializer=K.zeros(())),
                lambda x: np.float32(x.sum()), x, rtol=1e-5)
    check_grad(lambda x: K.foldl(lambda acc, r: acc * K.tanh(r), x), x)


def _fold(x, fn):
    acc = x[0]
    for r in x[1:]:
        acc = fn(acc, r)
    return acc


def test_loop_reference_matches_the_program():
    """Loop.ref (each op's numpy reference, step by step) agrees with the compiled loop."""
    from symkeras.backend.ops.loop import loop
    xs = _rand(4, 2, 3)
    seq = K.placeholder((4, 2, 3))
    (outs,), (final,), node = loop(lambda s, c: ([K.tanh(s[0] + c[0])], [c[0] + s[0]]), [seq],
                                   [K.zeros((2, 3))])
    got = K.function([seq], [outs, final])([xs])
    want = node.op.evaluate(xs, np.zeros((2, 3), 'float32'))
    np.testing.assert_allclose(got[0], want[0], rtol=1e-6)
    np.testing.assert_allclose(got[1], want[1], rtol=1e-6)


def test_input_projection_leaves_the_loop():
    """x_t @ W + b (and a mask applied to x_t) is computed for all steps before the loop: the
    body keeps only the recurrent product, and values and gradients are unchanged."""
    from symkeras.backend.graph import toposort
    from symkeras.backend.ops.linalg import MatMul
    from symkeras.backend.ops.loop import Loop
    B, T, D, U = 2, 3, 4, 3
    x, W, Uw, b, drop = _rand(B, T, D), _rand(D, U), _rand(U, U), _rand(U), _rand(B, D)

    def step_of(W, Uw, b, drop):
        def step(x_t, states):
            h = K.tanh(K.dot(x_t * drop, W) + b + K.dot(states[0], Uw))
            return h, [h]
        return step

    def fn(x, W, Uw, b, drop):
        return K.rnn(step_of(W, Uw, b, drop), x, [K.zeros((B, U), dtype=W.dtype)])[1]

    out = fn(*[K.placeholder(a.shape) for a in (x, W, Uw, b, drop)])
    loop_node = next(n for n in toposort([out.node]) if isinstance(n.op, Loop))
    products = [n for n in toposort(list(loop_node.op.body.outputs)) if isinstance(n.op, MatMul)]
    assert len(products) == 1
    def np_step(x_t, s, c):
        h = np.tanh((x_t * drop) @ W + b + s[0] @ Uw)
        return h, [h]
    want = np_rnn(np_step, x, [np.zeros((B, U), 'float32')])[1]
    np.testing.assert_allclose(evaluate(fn, x, W, Uw, b, drop), want, rtol=1e-5, atol=1e-6)
    check_grad(fn, x, W, Uw, b, drop, rtol=1e-4, atol=1e-6)


# ----------------------------------------------------------------------------- parts of a batch

@pytest.fixture
def policy():
    """Run a builder with one thread (whole batch) and with two threads and a lowered product
    threshold (the batch in two parts, one per thread)."""
    import symkeras._core as core
    saved, threads = core.parallel_policy(), core.get_num_threads()

    def run(build, feed):
        core.set_parallel_policy(1 << 40, 1 << 40, 1e30)
        core.set_num_threads(1)
        whole = build()(feed)
        core.set_parallel_policy(1 << 40, 1 << 40, 1.0)
        core.set_num_threads(2)
        parts = build()(feed)
        return whole, parts
    yield run
    core.set_parallel_policy(*saved)
    core.set_num_threads(threads)


def _parts_of(f):
    from symkeras.backend.ops.loop import Loop
    (program, nodes), = f._cache.values()
    return [n.op for n in nodes if n is not None and isinstance(n.op, Loop)]


@pytest.mark.parametrize('go_backwards', [False, True])
def test_batch_parts_give_the_whole_batch_result(policy, go_backwards):
    """Samples never meet in an LSTM-like step, so the batch is cut in two parts run on two
    threads: outputs, states and gradients equal the single-part program's, for an odd batch
    too, with a mask and a per-sample constant."""
    B, T, D = 19, 5, 3
    x, W, U = _rand(B, T, D), _rand(D, 12), _rand(3, 12) * 0.5
    mask = RNG.uniform(size=(B, T)) > 0.3
    made = []

    def build():
        xs, ms = K.placeholder((None, T, D)), K.placeholder((None, T), dtype='bool')
        Wv, Uv = K.variable(W), K.variable(U)
        zeros = K.zeros_like(xs[:, 0, :1]) * K.zeros((1, 3))
        drop = K.ones_like(zeros) * 0.5    # a per-sample invariant, as a dropout mask
        step = lstm_like_step(Wv, Uv)
        _, outs, states = K.rnn(lambda x_t, s: step(x_t, [s[0] * s[2], s[1]]), xs,
                                [zeros, zeros], mask=ms, go_backwards=go_backwards,
                                constants=[drop])
        loss = K.sum(outs * outs) + K.sum(states[1])
        f = K.function([xs, ms], [outs, states[0], states[1]] + K.gradients(loss, [Wv, Uv, xs]))
        made.append(f)
        return f

    whole, parts = policy(build, [x, mask])
    for a, b in zip(whole, parts):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    loops = _parts_of(made[1])
    assert len(loops) == 2
    assert all(len(op.parts(_loop_ins(made[1], op))) == 2 for op in loops)


def _loop_ins(f, op):
    """The specialised input Metas of the loop node of `op` in function f (as lowered)."""
    from symkeras.backend import lower
    (key,) = f._cache.keys()
    metas = {}
    for spec, k in zip(f._specs, key):
        metas[spec.node] = lower.Meta(k, spec.dtype, None, spec.node)
    metas = lower.specialise(f._order, metas)
    node = next(n for n in f._order if n.op is op)
    return [metas[i] for i in node.inputs]


def test_a_step_that_mixes_samples_keeps_the_whole_batch(policy):
    """A step reading the batch mean must see every sample: no parts."""
    B, T, D = 20, 4, 3
    x, w = _rand(B, T, D), _rand(D, D)
    made = []

    def build():
        xs = K.placeholder((None, T, D))
        W = K.variable(w)

        def step(x_t, s):
            h = K.tanh(K.dot(x_t, W) + K.dot(s[0], W) - K.mean(s[0], axis=0))
            return h, [h]
        f = K.function([xs], [K.rnn(step, xs, [K.zeros_like(xs[:, 0])])[1]])
        made.append(f)
        return f

    whole, parts = policy(build, [x])
    np.testing.assert_allclose(whole[0], parts[0], rtol=1e-5, atol=1e-6)
    op, = _parts_of(made[1])
    assert len(op.parts(_loop_ins(made[1], op))) == 1


def test_time_major_pushes_the_swap_down_to_the_ids():
    """K.rnn over Embedding-like rows projected at every step: the (samples, time) swap is made
    on the ids, not on the wide projections, and values are unchanged."""
    from symkeras.backend.graph import toposort
    from symkeras.backend.ops.shape import Transpose
    B, T, V, E, U = 3, 5, 7, 4, 6
    ids = RNG.randint(0, V, (B, T)).astype('int32')
    emb, W, b, Uw = _rand(V, E), _rand(E, U), _rand(U), _rand(U, U) * 0.5

    def fn(ids):
        x = K.dot(K.gather(K.variable(emb), ids) * 2.0, K.variable(W)) + K.variable(b)

        def step(x_t, s):
            h = K.tanh(x_t + K.dot(s[0], K.variable(Uw)))
            return h, [h]
        return K.rnn(step, x, [K.zeros((B, U))])[1]

    out = fn(K.placeholder((B, T), dtype='int32'))
    swapped = [n for n in toposort([out.node]) if isinstance(n.op, Transpose)]
    assert [n.dtype for n in swapped if n.ndim == 2] == ['int32']
    assert all(n.shape[-1] == U for n in swapped if n.ndim == 3)    # the outputs, back

    def np_step(x_t, s, c):
        h = np.tanh(x_t + s[0] @ Uw)
        return h, [h]
    want = np_rnn(np_step, (emb[ids] * 2) @ W + b, [np.zeros((B, U), 'float32')])[1]
    np.testing.assert_allclose(evaluate(fn, ids), want, rtol=1e-5, atol=1e-6)


def test_debug_listing_and_profile_name_the_loops(capsys):
    x = K.placeholder((2, 3, 4))
    W = K.variable(_rand(4, 4))
    def step(x_t, s):
        h = K.tanh(K.dot(x_t, W) + s[0])
        return h, [h]
    _, outs, _ = K.rnn(step, x, [K.zeros((2, 4))])
    f = K.function([x], K.gradients(K.sum(outs), [W]), debug=True, profile=True)
    f([_rand(2, 3, 4)])
    listing = capsys.readouterr().out
    assert ' loop ' in listing and 'loop_backward' in listing
    assert 'loop_backward' in f.profile_report()


# ----------------------------------------------------------------------------- random numbers

@pytest.mark.parametrize('as_constant', [True, False])
def test_random_numbers_drawn_before_the_loop_stay_fixed(as_constant):
    """A dropout mask built before K.rnn (as Keras' recurrent layers build theirs) is drawn
    once per call, whether passed as a constant or read by closure: with h = h * mask + 1 each
    unit runs either 1, 1, 1, ... (mask 0) or 1, 3, 7, 15, 31 (mask 2)."""
    B, T, n = 4, 5, 50
    x = K.placeholder((B, T, 1))
    mask = K.dropout(K.ones((B, n)), 0.5)

    def step(x_t, s):
        m = s[1] if as_constant else mask
        h = s[0] * m + 1
        return h, [h]
    out = K.rnn(step, x, [K.zeros((B, n))], constants=[mask] if as_constant else None)[1]
    f = K.function([x], [out])
    for _ in range(2):
        runs = f([np.zeros((B, T, 1), 'float32')])[0].transpose(0, 2, 1).reshape(-1, T)
        kinds = {tuple(r) for r in runs}
        assert kinds == {(1, 1, 1, 1, 1), (1, 3, 7, 15, 31)}


def test_random_numbers_drawn_in_the_step_are_new_each_step_and_the_gradient_sees_them():
    """Dropout inside the step draws anew at every step, and the gradient loop, which
    recomputes the step, uses the forward pass's draws: out = dropout(x_t * w) gives
    d sum(out * c) / dw = sum(out * c) / w per feature."""
    B, T, n = 3, 8, 40
    x = K.placeholder((B, T, n))
    w = K.variable(np.full(n, 0.5, 'float32'))
    c = K.variable(np.arange(1, T + 1, dtype='float32')[None, :, None])

    def step(x_t, s):
        return K.dropout(x_t * w, 0.5), s
    out = K.rnn(step, x, [K.zeros((B, 1))])[1]
    loss = K.sum(out * c)
    f = K.function([x], [out, K.gradients(loss, [w])[0]])
    out_v, grad = f([np.ones((B, T, n), 'float32')])
    assert not all(np.array_equal(out_v[:, 0], out_v[:, t]) for t in range(1, T))
    np.testing.assert_allclose(grad, (out_v * c.get_value()).sum(axis=(0, 1)) / 0.5, rtol=1e-5)
