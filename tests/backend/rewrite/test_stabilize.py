"""stabilize alone: Keras 1's crossentropies on softmax / sigmoid, forward and gradient graphs,
rewritten to log-softmax / log-sigmoid forms with the same clip bound; values and gradients
(taken before the rewrite) unchanged, finite on extreme logits."""
import numpy as np

import symkeras.backend as K
from symkeras.backend.graph import as_node
from symkeras.backend.ops.elementwise import Binary, Unary
from symkeras.backend.ops.nn import Softmax
from symkeras.backend.rewrite import stabilize

from .test_pipeline import compare, computed_nodes, program_ops, rewritten

PASS = [stabilize]


def _dense_model(loss_fn, act, classes=5):
    """logits = x W + b, a loss on act(logits) against targets, its gradients wrt x, W, b."""
    rng = np.random.RandomState(0)
    x = K.placeholder(shape=(None, 3))
    y = K.placeholder(shape=(None, classes))
    W = K.variable(rng.randn(3, classes))
    b = K.variable(rng.randn(classes))
    logits = K.dot(x, W) + b
    loss = K.mean(loss_fn(act(logits), y))
    return [x, y], [loss] + K.gradients(loss, [x, W, b])


def _onehot(n, classes, seed=1):
    return np.eye(classes, dtype='float32')[np.random.RandomState(seed).randint(0, classes, n)]


def _renormalised_softmaxes(outputs):
    """Nodes p / s with p a softmax: what the categorical rewrite removes."""
    return [n for n in computed_nodes(outputs)
            if isinstance(n.op, Binary) and n.op.code == 'DIV' and isinstance(n.inputs[0].op, Softmax)]


def _logs_of_clips(outputs):
    return [n for n in computed_nodes(outputs)
            if isinstance(n.op, Unary) and n.op.code == 'LOG' and n.inputs[0].op.name in ('clip', 'sub')]


def test_categorical_on_softmax_fires_forward_and_backward():
    inputs, outputs = _dense_model(K.categorical_crossentropy, K.softmax)
    assert _renormalised_softmaxes(outputs)
    after = rewritten(outputs, PASS)
    assert not _renormalised_softmaxes(after) and not _logs_of_clips(after)
    arrays = [np.random.RandomState(2).randn(9, 3).astype('float32'), _onehot(9, 5)]
    built, fast = compare(inputs, outputs, arrays, PASS, rtol=1e-5, atol=1e-6)
    assert sum(program_ops(fast).values()) < sum(program_ops(built).values())


def test_categorical_keeps_the_clip_bound_and_is_finite_on_extreme_logits():
    z = K.placeholder(shape=(None, 4))
    y = K.placeholder(shape=(None, 4))
    loss = K.categorical_crossentropy(K.softmax(z), y)
    outputs = [loss] + K.gradients(K.sum(loss), [z])
    logits = np.array([[0., -200., 3., 1.],       # target far below: loss is -log(eps)
                       [80., 0., 0., 0.],         # target saturated above 1 - eps: no gradient
                       [1e4, -1e4, 0., 5.],
                       [0.5, 0.1, -0.3, 0.2]], 'float32')
    target = np.eye(4, dtype='float32')[[1, 0, 2, 3]]
    built, fast = compare([z, y], outputs, [logits, target], PASS, rtol=1e-5, atol=1e-6)
    got = fast([logits, target])
    assert np.all(np.isfinite(got[0])) and np.all(np.isfinite(got[1]))
    np.testing.assert_allclose(got[0][0], -np.log(np.float32(K.epsilon())), rtol=1e-6)
    assert np.all(got[1][1] == 0)


def test_categorical_with_other_uses_of_the_softmax():
    z = K.placeholder(shape=(None, 4))
    y = K.placeholder(shape=(None, 4))
    p = K.softmax(z)
    loss = K.sum(K.categorical_crossentropy(p, y)) + K.sum(K.square(p) * np.arange(4.))
    outputs = [loss] + K.gradients(loss, [z])
    after = rewritten(outputs, PASS)
    assert not _renormalised_softmaxes(after)
    arrays = [np.random.RandomState(3).randn(6, 4).astype('float32'), _onehot(6, 4)]
    compare([z, y], outputs, arrays, PASS)


def test_categorical_in_float64():
    z = K.placeholder(shape=(None, 3), dtype='float64')
    y = K.placeholder(shape=(None, 3), dtype='float64')
    loss = K.categorical_crossentropy(K.softmax(z), y)
    outputs = [loss] + K.gradients(K.sum(loss), [z])
    assert not _renormalised_softmaxes(rewritten(outputs, PASS))
    arrays = [np.random.RandomState(4).randn(5, 3) * 3, np.eye(3)[[0, 1, 2, 0, 1]]]
    compare([z, y], outputs, arrays, PASS, rtol=1e-12, atol=1e-14)


def test_categorical_without_softmax_is_left_alone():
    x = K.placeholder(shape=(None, 3))
    y = K.placeholder(shape=(None, 3))
    loss = K.categorical_crossentropy(K.sigmoid(x), y)
    outputs = [loss] + K.gradients(K.sum(loss), [x])
    after = rewritten(outputs, PASS)
    assert [o.node for o in after] == [as_node(o) for o in outputs]


def test_binary_on_sigmoid_fires_forward_and_backward():
    inputs, outputs = _dense_model(K.binary_crossentropy, K.sigmoid, classes=4)
    assert _logs_of_clips(outputs)
    after = rewritten(outputs, PASS)
    assert not _logs_of_clips(after)
    live = computed_nodes(after)
    assert not [n for n in live if n.op.name == 'clip' and n.inputs[0].op.name == 'sigmoid']
    rng = np.random.RandomState(5)
    arrays = [rng.randn(8, 3).astype('float32'), (rng.rand(8, 4) > 0.5).astype('float32')]
    compare(inputs, outputs, arrays, PASS)


def test_binary_keeps_both_bounds_and_is_finite_on_extreme_logits():
    x = K.placeholder(shape=(None, 5))
    y = K.placeholder(shape=(None, 5))
    loss = K.binary_crossentropy(K.sigmoid(x), y)
    outputs = [loss] + K.gradients(K.sum(loss), [x])
    logits = np.array([[-1e4, -40., 0., 40., 1e4], [1e4, 40., 0.3, -40., -1e4]], 'float32')
    target = np.array([[1, 1, 1, 1, 1], [0, 0, 1, 0, 0]], 'float32')
    built, fast = compare([x, y], outputs, [logits, target], PASS)
    got = fast([logits, target])
    assert np.all(np.isfinite(got[0])) and np.all(np.isfinite(got[1]))
    eps = np.float32(K.epsilon())
    np.testing.assert_allclose(got[0][0, 0], -np.log(eps), rtol=1e-6)           # clipped at eps
    np.testing.assert_allclose(got[0][1, 0], -np.log(np.float32(1) - (np.float32(1) - eps)),
                               rtol=1e-6)                                       # 1 - (1 - eps)


def test_binary_with_one_side_only():
    x = K.placeholder(shape=(None, 3))
    c = K.clip(K.sigmoid(x), 1e-3, 1 - 1e-3)
    loss = K.sum(K.log(c) * np.array([1., 2., 3.])) + K.sum(c)
    outputs = [loss] + K.gradients(loss, [x])
    assert not _logs_of_clips(rewritten(outputs, PASS))
    compare([x], outputs, [np.random.RandomState(6).randn(4, 3).astype('float32') * 4], PASS)


def _clipped_softmaxes(outputs):
    return [n for n in computed_nodes(outputs)
            if n.op.name == 'clip' and isinstance(n.inputs[0].op, Softmax)]


def test_categorical_from_logits_and_sparse():
    z = K.placeholder(shape=(None, 4))
    y = K.placeholder(shape=(None, 4))
    idx = K.placeholder(shape=(None,), dtype='int32')
    loss = K.sum(K.categorical_crossentropy(z, y, from_logits=True)) + \
        K.sum(K.sparse_categorical_crossentropy(z * 2., idx, from_logits=True))
    outputs = [loss] + K.gradients(loss, [z])
    assert len(_clipped_softmaxes(outputs)) == 2
    after = rewritten(outputs, PASS)
    assert not _clipped_softmaxes(after) and not _logs_of_clips(after)
    logits = np.random.RandomState(7).randn(6, 4).astype('float32') * 5
    logits[0] = [300., -300., 0., 1.]
    compare([z, y, idx], outputs, [logits, _onehot(6, 4), np.arange(6, dtype='int32') % 4], PASS)
