"""The whole rewrite pipeline on random graphs built from the K API, and the helpers the tests
of each pass use: compile a graph rewritten by chosen passes and compare it with the graph as
built (K.function(..., optimize=False))."""
import collections

import numpy as np

import symkeras.backend as K
from symkeras.backend import rewrite
from symkeras.backend.graph import Tensor, as_node, toposort
from symkeras.backend.ops.broadcast import Shape
from symkeras.backend.ops.shape import Dim


def rewritten(outputs, passes=None, budget=rewrite.DEFAULT_BUDGET):
    """outputs (Tensors) after `passes` (default: every pass)."""
    nodes = rewrite.optimize([as_node(o) for o in outputs], passes=passes, budget=budget)
    return [Tensor(n) for n in nodes]


def op_counts(outputs):
    """{op name: number of nodes} of the graph below outputs."""
    return collections.Counter(n.op.name for n in toposort([as_node(o) for o in outputs]))


def computed_nodes(outputs):
    """The nodes below outputs that may be computed: not those read only for their shape
    (Shape and Dim fold to constants when a program is specialised)."""
    seen, stack = set(), [as_node(o) for o in outputs]
    while stack:
        n = stack.pop()
        if n not in seen:
            seen.add(n)
            if not isinstance(n.op, (Shape, Dim)):
                stack.extend(n.inputs)
    return seen


def program_ops(fn):
    """{op name: number of instructions} of the program fn made at its last call."""
    program, nodes = next(reversed(fn._cache.values()))
    return collections.Counter(n.op.name for n in nodes if n is not None)


def compare(inputs, outputs, arrays, passes=None, rtol=1e-5, atol=1e-6):
    """Run outputs as built and after `passes`; assert they agree; return (built, rewritten)
    functions (called once each)."""
    built = K.function(inputs, outputs, optimize=False)
    fast = K.function(inputs, rewritten(outputs, passes), optimize=False)
    want, got = built(arrays), fast(arrays)
    for w, g in zip(want, got):
        assert w.shape == g.shape and w.dtype == g.dtype, (w.shape, g.shape, w.dtype, g.dtype)
        assert np.all(np.isfinite(g) | ~np.isfinite(w)), 'the rewrite made non-finite values'
        np.testing.assert_allclose(g, w, rtol=rtol, atol=atol)
    return built, fast


# ----------------------------------------------------------------------------- random graphs

def _layer(rng, x, n_in, params):
    """One random step built like a Keras layer would: dense, activation, reshape games."""
    n_out = int(rng.choice([1, 3, 8]))
    W = K.variable(rng.randn(n_in, n_out) * 0.5)
    params.append(W)
    kind = rng.randint(5)
    if kind == 0:
        y = K.dot(x, W)
    elif kind == 1:       # W stored transposed, read through a transpose
        Wt = K.variable(rng.randn(n_out, n_in) * 0.5)
        params.append(Wt)
        y = K.dot(x, K.transpose(Wt))
    else:
        b = K.variable(rng.randn(n_out) * 0.5)
        params.append(b)
        y = K.dot(x, W) + b
    act = rng.randint(5)
    if act == 0:
        y = K.relu(y)
    elif act == 1:
        y = K.clip(y, -1.5, 2.0)
    elif act == 2:
        y = K.reshape(K.reshape(y, (-1,)), (-1, n_out)) * 1.0 + 0.0
    elif act == 3:
        y = K.transpose(K.transpose(y)) - 0.0
    return y, n_out


def _random_model(rng):
    x = K.placeholder(shape=(None, 5))
    y_true = K.placeholder(shape=(None, 4))
    params, h, n = [], x, 5
    for _ in range(rng.randint(1, 4)):
        h, n = _layer(rng, h, n, params)
    W = K.variable(rng.randn(n, 4))
    b = K.variable(rng.randn(4) * 0.1)
    params += [W, b]
    logits = K.dot(h, W) + b
    if rng.randint(2):
        loss = K.mean(K.categorical_crossentropy(K.softmax(logits), y_true))
    else:
        loss = K.mean(K.binary_crossentropy(K.sigmoid(logits), y_true))
    return [x, y_true], [loss] + K.gradients(loss, params)


def _arrays(rng):
    return [rng.randn(7, 5).astype('float32'),
            np.eye(4, dtype='float32')[rng.randint(0, 4, 7)]]


def test_random_graphs_agree_with_the_unoptimized_program():
    for seed in range(12):
        rng = np.random.RandomState(seed)
        inputs, outputs = _random_model(rng)
        arrays = _arrays(rng)
        want = K.function(inputs, outputs, optimize=False)(arrays)
        got = K.function(inputs, outputs)(arrays)
        for w, g in zip(want, got):
            np.testing.assert_allclose(g, w, rtol=2e-4, atol=2e-5, err_msg='seed %d' % seed)


def test_tiny_budget_leaves_a_valid_graph():
    for budget in (0, 1, 5, 40):
        rng = np.random.RandomState(3)
        inputs, outputs = _random_model(rng)
        arrays = _arrays(rng)
        want = K.function(inputs, outputs, optimize=False)(arrays)
        got = K.function(inputs, rewritten(outputs, budget=budget), optimize=False)(arrays)
        for w, g in zip(want, got):
            np.testing.assert_allclose(g, w, rtol=2e-4, atol=2e-5, err_msg='budget %d' % budget)


def test_passes_run_in_order_canonicalize_stabilize_fuse_gemm():
    names = [p.__name__.rsplit('.', 1)[1] for p in rewrite.PASSES]
    assert names[:3] == ['canonicalize', 'stabilize', 'fuse_gemm']


def _small_mnist_mlp():
    """mnist_mlp's architecture, narrower."""
    from symkeras.layers.core import Activation, Dense, Dropout
    from symkeras.models import Sequential
    from symkeras.optimizers import RMSprop
    model = Sequential()
    for layer in (Dense(16, input_shape=(20,)), Activation('relu'), Dropout(0.2), Dense(16),
                  Activation('relu'), Dropout(0.2), Dense(10), Activation('softmax')):
        model.add(layer)
    model.compile(loss='categorical_crossentropy', optimizer=RMSprop(), metrics=['accuracy'])
    return model


def _train_steps(monkeypatch, passes):
    monkeypatch.setattr(rewrite, 'PASSES', passes)
    np.random.seed(5)
    model = _small_mnist_mlp()
    rng = np.random.RandomState(6)
    x = rng.rand(32, 20).astype('float32')
    y = np.eye(10, dtype='float32')[rng.randint(0, 10, 32)]
    scores = [model.train_on_batch(x, y) for _ in range(3)]
    return scores, model.get_weights(), model.model.train_function


def test_mnist_mlp_train_step(monkeypatch):
    """The Keras model: the gemm epilogues form on its train step (3 forward products fused,
    the 5 of the backward left), and training gives the scores and weights of the graph as
    built."""
    passes = list(rewrite.PASSES)
    want_scores, want_weights, _ = _train_steps(monkeypatch, [])
    got_scores, got_weights, fn = _train_steps(monkeypatch, passes)
    np.testing.assert_allclose(np.ravel(got_scores), np.ravel(want_scores), rtol=1e-5, atol=1e-6)
    for g, w in zip(got_weights, want_weights):
        np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-6)
    ops = program_ops(fn)
    assert ops['MatMulEpilogue'] == 3 and ops['MatMul'] == 5
