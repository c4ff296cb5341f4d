"""fuse_gemm alone: MatMul + bias (+ relu) become one MatMulEpilogue where the intermediate has
no other reader; values and gradients (taken before the rewrite) unchanged."""
import numpy as np

import symkeras.backend as K
from symkeras.backend.ops.linalg import MatMul, MatMulEpilogue
from symkeras.backend.rewrite import fuse_gemm

from .test_pipeline import compare, computed_nodes, program_ops, rewritten

PASS = [fuse_gemm]


def _epilogues(outputs):
    return sorted((n.op.trans_a, n.op.trans_b, n.op.bias, n.op.act or '')
                  for n in computed_nodes(outputs) if isinstance(n.op, MatMulEpilogue))


def _matmuls_reading(outputs, what):
    """Computed nodes of op name `what` that read a plain MatMul."""
    return [n for n in computed_nodes(outputs)
            if n.op.name == what and any(type(i.op) is MatMul for i in n.inputs)]


def _dense(x, n_in, n_out, seed, act=K.relu, bias_shape=None):
    rng = np.random.RandomState(seed)
    W = K.variable(rng.randn(n_in, n_out) * 0.5)
    b = K.variable(rng.randn(n_out) * 0.5)
    pre = K.dot(x, W) + (b if bias_shape is None else K.reshape(b, bias_shape))
    return act(pre), [W, b]


def _with_grads(inputs, y, params):
    weights = K.variable(np.random.RandomState(9).uniform(-1, 1, (7, K.int_shape(y)[-1])))
    loss = K.sum(y * weights)
    return [y] + K.gradients(loss, inputs + params)


def _arrays(*widths):
    rng = np.random.RandomState(11)
    return [rng.randn(7, w).astype('float32') for w in widths]


def test_dense_relu_becomes_one_epilogue_and_its_gradient_reads_relu_output():
    x = K.placeholder(shape=(None, 6))
    y, params = _dense(x, 6, 5, 0)
    outputs = _with_grads([x], y, params)
    after = rewritten(outputs, PASS)
    assert _epilogues(after) == [(False, False, True, 'relu')]
    assert not _matmuls_reading(after, 'add')
    # relu's gradient mask now reads the epilogue, not a recomputed pre-activation
    assert not [n for n in computed_nodes(after) if n.op.name in ('add', 'relu') and n.shape == (None, 5)]
    built, fast = compare([x], outputs, _arrays(6), PASS)
    assert program_ops(fast)['MatMulEpilogue'] == 1 and program_ops(fast)['relu'] == 0


def test_three_dense_layers_like_mnist_mlp():
    x = K.placeholder(shape=(None, 6))
    h1, p1 = _dense(x, 6, 8, 1)
    h2, p2 = _dense(h1 * 0.5, 8, 8, 2)
    y, p3 = _dense(h2, 8, 3, 3, act=K.softmax)
    outputs = _with_grads([x], y, p1 + p2 + p3)
    after = rewritten(outputs, PASS)
    assert _epilogues(after) == [(False, False, True, '')] + [(False, False, True, 'relu')] * 2
    compare([x], outputs, _arrays(6), PASS)


def test_pre_activation_read_elsewhere_fuses_only_the_bias():
    x = K.placeholder(shape=(None, 6))
    y, params = _dense(x, 6, 5, 4, act=lambda pre: K.relu(pre) + K.square(pre))
    outputs = _with_grads([x], y, params)
    after = rewritten(outputs, PASS)
    assert _epilogues(after) == [(False, False, True, '')]
    compare([x], outputs, _arrays(6), PASS)


def test_pre_activation_as_an_output_fuses_only_the_bias():
    x = K.placeholder(shape=(None, 6))
    W, b = K.variable(np.ones((6, 5))), K.variable(np.arange(5.))
    pre = K.dot(x, W) + b
    outputs = [K.relu(pre), pre]
    assert _epilogues(rewritten(outputs, PASS)) == [(False, False, True, '')]
    compare([x], outputs, _arrays(6), PASS)


def test_product_read_twice_is_not_fused():
    x = K.placeholder(shape=(None, 6))
    W, b = K.variable(np.ones((6, 5))), K.variable(np.arange(5.))
    prod = K.dot(x, W)
    outputs = [K.relu(prod + b) * prod]
    assert _epilogues(rewritten(outputs, PASS)) == []
    compare([x], outputs, _arrays(6), PASS)


def test_relu_without_bias_and_transposed_operands():
    x = K.placeholder(shape=(None, 6))
    Wt = K.variable(np.random.RandomState(5).randn(5, 6))
    y = K.relu(K.dot(x, K.transpose(Wt)))
    outputs = _with_grads([x], y, [Wt])
    assert _epilogues(rewritten(outputs, PASS)) == [(False, True, False, 'relu')]
    compare([x], outputs, _arrays(6), PASS)
    xt = K.placeholder(shape=(6, None))
    y = K.relu(K.dot(K.transpose(xt), K.variable(np.ones((6, 4)))) + K.variable(np.ones(4)))
    assert _epilogues(rewritten([y], PASS)) == [(True, False, True, 'relu')]
    compare([xt], [y], [_arrays(6)[0].T.copy()], PASS)


def test_row_bias_and_other_activations():
    x = K.placeholder(shape=(None, 6))
    y, params = _dense(x, 6, 5, 6, bias_shape=(1, 5))
    outputs = _with_grads([x], y, params)
    assert _epilogues(rewritten(outputs, PASS)) == [(False, False, True, 'relu')]
    compare([x], outputs, _arrays(6), PASS)
    for act in (lambda t: K.relu(t, alpha=0.1), lambda t: K.relu(t, max_value=1.), K.tanh):
        y, params = _dense(x, 6, 5, 7, act=act)
        outputs = _with_grads([x], y, params)
        assert _epilogues(rewritten(outputs, PASS)) == [(False, False, True, '')]
        compare([x], outputs, _arrays(6), PASS)


def test_broadcasting_add_that_is_not_a_bias_is_left_alone():
    x = K.placeholder(shape=(None, 6))
    W = K.variable(np.ones((6, 5)))
    col = K.placeholder(shape=(None, 1))
    y = K.dot(x, W) + col
    assert _epilogues(rewritten([y], PASS)) == []
    compare([x, col], [y], _arrays(6, 1), PASS)


def test_bias_of_unknown_length_is_not_fused():
    x = K.placeholder(shape=(None, 6))
    W = K.placeholder(shape=(6, None))
    b = K.placeholder(shape=(None,))     # might be of length 1, broadcast over the columns
    y = K.relu(K.dot(x, W) + b)
    assert _epilogues(rewritten([y], PASS)) == []
    rng = np.random.RandomState(12)
    arrays = [rng.randn(3, 6).astype('float32'), rng.randn(6, 4).astype('float32'),
              rng.randn(1).astype('float32')]
    compare([x, W, b], [y], arrays, PASS)
