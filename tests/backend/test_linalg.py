"""Matrix products: MatMul / BatchMatMul (values, gradients for every transpose flag, batch
broadcasting), MatMulEpilogue (values, errors), K.dot with Theano's N-d semantics and
K.batch_dot with Keras 1.2.2's, on values, gradients and shape errors. The gemm kernel itself is
tested directly in test_gemm_kernel.py."""
import numpy as np
import pytest

import symkeras.backend as K
from opcheck import check_grad, check_value
from symkeras.backend.graph import ShapeError, make
from symkeras.backend.ops.linalg import BatchMatMul, MatMul, MatMulEpilogue


# ----------------------------------------------------------------------------- MatMul ops

FLAGS = [(False, False), (False, True), (True, False), (True, True)]


def operands(shape_a, shape_b, ta, tb, rng, dtype='float64'):
    a = rng.uniform(-1, 1, shape_a[:-2] + (shape_a[-2:][::-1] if ta else shape_a[-2:]))
    b = rng.uniform(-1, 1, shape_b[:-2] + (shape_b[-2:][::-1] if tb else shape_b[-2:]))
    return a.astype(dtype), b.astype(dtype)


@pytest.mark.parametrize('ta,tb', FLAGS)
@pytest.mark.parametrize('m,n,k', [(3, 4, 5), (1, 1, 1), (7, 1, 2), (1, 6, 3), (0, 3, 2), (2, 3, 0)])
def test_matmul_values(ta, tb, m, n, k):
    op = MatMul(ta, tb)
    rng = np.random.RandomState(m * 100 + n * 10 + k)
    for dtype, rtol in (('float32', 1e-5), ('float64', 1e-12)):
        a, b = operands((m, k), (k, n), ta, tb, rng, dtype)
        check_value(lambda x, y: make(op, x, y), op.ref, a, b, rtol=rtol, atol=1e-6, dtype=dtype)


@pytest.mark.parametrize('ta,tb', FLAGS)
def test_matmul_grad(ta, tb):
    a, b = operands((3, 4), (4, 5), ta, tb, np.random.RandomState(3))
    check_grad(lambda x, y: make(MatMul(ta, tb), x, y), a, b)


@pytest.mark.parametrize('ta,tb', FLAGS)
@pytest.mark.parametrize('ba,bb', [(4, 4), (1, 3), (3, 1)])
def test_batch_matmul_values_and_grad(ta, tb, ba, bb):
    op = BatchMatMul(ta, tb)
    a, b = operands((ba, 3, 2), (bb, 2, 5), ta, tb, np.random.RandomState(ba + bb))
    check_value(lambda x, y: make(op, x, y), op.ref, a, b, rtol=1e-12)
    check_grad(lambda x, y: make(op, x, y), a, b)


def test_matmul_shape_errors_name_both_shapes():
    x, y = K.placeholder((3, 4)), K.placeholder((5, 6))
    with pytest.raises(ShapeError, match=r'MatMul.*\(3, 4\).*\(5, 6\)'):
        make(MatMul(), x, y)
    with pytest.raises(ShapeError, match=r'BatchMatMul: batch sizes differ.*\(2, 3, 4\).*\(3, 4, 5\)'):
        make(BatchMatMul(), K.placeholder((2, 3, 4)), K.placeholder((3, 4, 5)))
    with pytest.raises(ShapeError, match='float'):
        make(MatMul(), K.placeholder((2, 2), dtype='int32'), K.placeholder((2, 2), dtype='int32'))
    # unknown dims are checked when the program is specialised
    x, y = K.placeholder((None, 4)), K.placeholder((None, 6))
    f = K.function([x, y], [make(MatMul(), x, y)])
    with pytest.raises(ShapeError, match=r'inner dimensions differ.*\(2, 4\).*\(5, 6\)'):
        f([np.zeros((2, 4), 'float32'), np.zeros((5, 6), 'float32')])


# ----------------------------------------------------------------------------- MatMulEpilogue

EPILOGUES = [(False, None), (True, None), (False, 'relu'), (True, 'relu')]


def np_epilogue(a, b, ta, tb, bias, act):
    out = MatMul(ta, tb).ref(a, b)
    if bias is not None:
        out = out + bias
    return np.maximum(out, 0) if act == 'relu' else out


@pytest.mark.parametrize('ta,tb', FLAGS)
@pytest.mark.parametrize('with_bias,act', EPILOGUES)
@pytest.mark.parametrize('m,n,k', [(5, 7, 3), (1, 1, 1), (0, 4, 2), (3, 5, 0), (37, 10, 300), (9, 40, 17)])
def test_matmul_epilogue_values(ta, tb, with_bias, act, m, n, k):
    op = MatMulEpilogue(ta, tb, with_bias, act)
    rng = np.random.RandomState(m + n + k)
    for dtype, rtol in (('float32', 1e-4), ('float64', 1e-12)):
        a, b = operands((m, k), (k, n), ta, tb, rng, dtype)
        args = (a, b) + ((rng.uniform(-1, 1, n).astype(dtype),) if with_bias else ())
        ref = lambda x, y, *c: np_epilogue(x, y, ta, tb, c[0] if c else None, act)
        np.testing.assert_allclose(op.ref(*args), ref(*args), rtol=rtol, atol=1e-6)
        check_value(lambda *xs: make(op, *xs), ref, *args, rtol=rtol, atol=1e-5, dtype=dtype)


def test_matmul_epilogue_of_transposed_input():
    """A transposed (non-contiguous) tensor fed in is materialised, then multiplied."""
    rng = np.random.RandomState(11)
    a, b, c = rng.uniform(-1, 1, (6, 4)), rng.uniform(-1, 1, (6, 5)), rng.uniform(-1, 1, 5)
    op = MatMulEpilogue(False, False, True, 'relu')
    check_value(lambda x, y, z: make(op, K.transpose(x), y, z),
                lambda x, y, z: np.maximum(x.T @ y + z, 0), a, b, c, rtol=1e-12)


def test_matmul_epilogue_key_and_gradient():
    assert MatMulEpilogue(True, False, True, 'relu').key == MatMulEpilogue(True, False, True, 'relu').key
    assert MatMulEpilogue(True, False, True, 'relu').key != MatMulEpilogue(True, False, True).key
    x, w, c = K.placeholder((2, 3)), K.placeholder((3, 4)), K.placeholder((4,))
    out = make(MatMulEpilogue(False, False, True, 'relu'), x, w, c)
    assert out.node.shape == (2, 4)
    with pytest.raises(TypeError, match='exists only after differentiation'):
        K.gradients(K.sum(out), [x])
    with pytest.raises(ValueError, match="act must be None or 'relu'"):
        MatMulEpilogue(act='tanh')


def test_matmul_epilogue_shape_errors():
    x, w = K.placeholder((2, 3)), K.placeholder((3, 4))
    with pytest.raises(ShapeError, match=r'MatMulEpilogue: bias must have shape \(N,\) = \(4,\).*\(2, 4\).*\(5,\)'):
        make(MatMulEpilogue(bias=True), x, w, K.placeholder((5,)))
    with pytest.raises(ShapeError, match=r'bias must have shape.*\(1, 4\)'):
        make(MatMulEpilogue(bias=True), x, w, K.placeholder((1, 4)))
    with pytest.raises(ShapeError, match='takes 3 inputs'):
        make(MatMulEpilogue(bias=True), x, w)
    with pytest.raises(ShapeError, match='takes 2 inputs'):
        make(MatMulEpilogue(), x, w, K.placeholder((4,)))
    with pytest.raises(ShapeError, match="bias must have the operands' dtype float32; got float64"):
        make(MatMulEpilogue(bias=True), x, w, K.placeholder((4,), dtype='float64'))
    with pytest.raises(ShapeError, match=r'inner dimensions differ.*\(2, 3\).*\(4, 4\)'):
        make(MatMulEpilogue(bias=True), x, K.placeholder((4, 4)), K.placeholder((4,)))
    # unknown dims are checked when the program is specialised
    p, c = K.placeholder((None, None)), K.placeholder((None,))
    f = K.function([p, c], [make(MatMulEpilogue(bias=True), p, np.ones((3, 2), 'float32'), c)])
    with pytest.raises(ShapeError, match=r'bias must have shape \(N,\) = \(2,\).*\(3,\)'):
        f([np.zeros((2, 3), 'float32'), np.zeros(3, 'float32')])


# ----------------------------------------------------------------------------- dot

def np_dot(a, b):
    """Theano's T.dot: tensordot of x's last axis with y's second-to-last (or only) axis."""
    if a.ndim == 0 or b.ndim == 0:
        return a * b
    return np.tensordot(a, b, [[a.ndim - 1], [max(b.ndim - 2, 0)]])


DOT_SHAPES = [((3, 4), (4, 5)), ((4,), (4,)), ((3, 4), (4,)), ((4,), (4, 5)), ((2, 3, 4), (4, 5)),
              ((2, 3, 4), (4,)), ((2, 3, 4), (6, 4, 5)), ((4,), (2, 4, 5)), ((2, 4), (3, 2, 4, 5)),
              ((1, 1), (1, 1)), ((0, 3), (3, 4)), ((3, 0), (0, 4)), ((2, 0, 3), (3, 5)),
              ((), (3, 4)), ((7, 13), (13, 1))]


@pytest.mark.parametrize('xs,ys', DOT_SHAPES, ids=str)
def test_dot_values(xs, ys):
    rng = np.random.RandomState(len(xs) * 10 + len(ys))
    a, b = rng.uniform(-1, 1, xs).astype('float32'), rng.uniform(-1, 1, ys).astype('float32')
    check_value(K.dot, np_dot, a, b, rtol=1e-5, atol=1e-6, dtype='float32')


@pytest.mark.parametrize('xs,ys', [((3, 4), (4, 5)), ((4,), (4,)), ((2, 3, 4), (4,)),
                                   ((4,), (4, 2)), ((2, 3, 4), (2, 4, 3)), ((2, 3), (2, 2, 3, 2))], ids=str)
def test_dot_grad(xs, ys):
    rng = np.random.RandomState(len(xs) + len(ys))
    check_grad(K.dot, rng.uniform(-1, 1, xs), rng.uniform(-1, 1, ys))


def test_dot_of_matrices_is_one_matmul_node():
    x, w = K.placeholder((None, 784)), K.variable(np.zeros((784, 512)))
    out = K.dot(x, w)
    assert isinstance(out.node.op, MatMul) and out.node.inputs == (x.node, w.node)
    assert out.node.shape == (None, 512)


def test_dot_reads_transposed_matrices_through_flags():
    rng = np.random.RandomState(5)
    a, b = rng.uniform(-1, 1, (4, 3)), rng.uniform(-1, 1, (5, 4))
    x, y = K.placeholder((None, 3)), K.placeholder((5, None))
    out = K.dot(K.transpose(x), K.transpose(y))
    assert out.node.op.key == MatMul(True, True).key
    assert out.node.inputs == (x.node, y.node)        # no transposed copy
    check_value(lambda p, q: K.dot(K.transpose(p), K.transpose(q)), lambda p, q: p.T @ q.T, a, b,
                rtol=1e-12)
    check_grad(lambda p, q: K.dot(K.transpose(p), K.transpose(q)), a, b)


def test_dot_of_non_contiguous_nd_inputs():
    """Transposed (permuted) N-d tensors fed to dot: their layout is materialised first."""
    rng = np.random.RandomState(6)
    a, b = rng.uniform(-1, 1, (4, 2, 3)), rng.uniform(-1, 1, (5, 3, 4))
    fx = lambda p, q: K.dot(K.permute_dimensions(p, (1, 2, 0)), K.permute_dimensions(q, (0, 2, 1)))
    fn = lambda p, q: np_dot(p.transpose(1, 2, 0), q.transpose(0, 2, 1))
    check_value(fx, fn, a, b, rtol=1e-12)
    check_grad(fx, a, b)


def test_dot_dtypes():
    rng = np.random.RandomState(7)
    i, f64 = rng.randint(-3, 4, (3, 4)).astype('int32'), rng.uniform(-1, 1, (4, 2))
    check_value(K.dot, lambda p, q: (p @ q).astype('float32'), i, i.T.copy(), dtype='float32')
    check_value(K.dot, lambda p, q: p @ q, i, f64, rtol=1e-12, dtype='float64')
    check_value(K.dot, lambda p, q: p @ q, f64.T.astype('float32'), f64, rtol=1e-6, dtype='float64')


def test_dot_none_dims_and_shapes():
    x, y = K.placeholder((None, 7, 4)), K.placeholder((4, None))
    assert K.dot(x, y).node.shape == (None, 7, None)
    assert K.dot(K.placeholder((None, 4)), K.placeholder((2, 4, 3))).node.shape == (None, 2, 3)
    assert K.dot(K.placeholder((4,)), K.placeholder((4,))).node.shape == ()


def test_dot_shape_errors_name_both_shapes():
    with pytest.raises(ShapeError, match=r'dot: shapes \(2, 3, 4\) and \(5, 6\) are not aligned'):
        K.dot(K.placeholder((2, 3, 4)), K.placeholder((5, 6)))
    with pytest.raises(ShapeError, match=r'\(3,\) and \(2, 4, 5\).*test_linalg.py'):
        K.dot(K.placeholder((3,)), K.placeholder((2, 4, 5)))
    p = K.placeholder((None, None))
    f = K.function([p], [K.dot(p, np.ones((3, 2), 'float32'))])
    with pytest.raises(ShapeError, match=r'\(2, 5\).*\(3, 2\)'):
        f([np.zeros((2, 5), 'float32')])


# ----------------------------------------------------------------------------- batch_dot

def np_batch_dot(a, b, axes):
    """Reference: per sample np.tensordot (Theano's batched_tensordot), then at least 2-D."""
    if isinstance(axes, int):
        axes = (axes, axes)
    if axes is None:
        axes = (a.ndim - 1, b.ndim - 2)
    ax = [axes[0]] if np.isscalar(axes[0]) else list(axes[0])
    ay = [axes[1]] if np.isscalar(axes[1]) else list(axes[1])
    ax, ay = [i % a.ndim - 1 for i in ax], [j % b.ndim - 1 for j in ay]    # per sample
    out = np.stack([np.tensordot(a[t], b[t], [ax, ay])
                    for t in range(a.shape[0])])
    return out.reshape(-1, 1) if out.ndim == 1 else out


def einsum_batch_dot(a, b, spec):
    out = np.einsum(spec, a, b)
    return out.reshape(-1, 1) if out.ndim == 1 else out


BATCH_DOT_CASES = [
    ((4, 20), (4, 20), (1, 1), 'bi,bi->b'),                 # Keras docs: (32, 20) -> (32, 1)
    ((4, 3, 4), (4, 4, 5), None, 'bij,bjk->bik'),           # Keras docs: (100, 3, 5)
    ((4, 3, 5), (4, 6, 3), (1, 2), 'bji,bkj->bik'),
    ((4, 3, 5), (4, 3, 6), 1, 'bij,bik->bjk'),
    ((4, 3, 5), (4, 6, 5), (2, 2), 'bij,bkj->bik'),
    ((4, 3, 5), (4, 5), (2, 1), 'bij,bj->bi'),
    ((4, 5), (4, 5, 6), None, 'bj,bjk->bk'),
    ((4, 2, 3, 5), (4, 5, 3), ([2, 3], [2, 1]), 'bijk,bkj->bi'),
    ((4, 2, 3, 5), (4, 6, 5), (-1, -1), 'bijk,blk->bijl'),
    ((4, 3, 2, 5), (4, 2, 7, 3), ([1, 2], [3, 1]), 'bijk,bjli->bkl'),
    ((1, 1), (1, 1), 1, 'bi,bi->b'),
    ((0, 3, 4), (0, 4, 2), None, 'bij,bjk->bik'),
    ((4, 3, 0), (4, 0, 2), None, 'bij,bjk->bik'),
]


@pytest.mark.parametrize('xs,ys,axes,spec', BATCH_DOT_CASES, ids=str)
def test_batch_dot_values(xs, ys, axes, spec):
    rng = np.random.RandomState(len(spec))
    a, b = rng.uniform(-1, 1, xs).astype('float32'), rng.uniform(-1, 1, ys).astype('float32')
    expected = einsum_batch_dot(a, b, spec)
    if xs[0]:    # the reference of the Theano definition agrees with the einsum
        np.testing.assert_allclose(np_batch_dot(a, b, axes), expected, rtol=1e-5, atol=1e-6)
    check_value(lambda p, q: K.batch_dot(p, q, axes), lambda p, q: einsum_batch_dot(p, q, spec),
                a, b, rtol=1e-5, atol=1e-6, dtype='float32')


@pytest.mark.parametrize('xs,ys,axes', [(c[0], c[1], c[2]) for c in BATCH_DOT_CASES[:10]], ids=str)
def test_batch_dot_grad(xs, ys, axes):
    rng = np.random.RandomState(len(xs) * 7 + len(ys))
    check_grad(lambda p, q: K.batch_dot(p, q, axes), rng.uniform(-1, 1, xs), rng.uniform(-1, 1, ys))


def test_batch_dot_layouts():
    """3-D operands in either order are read through gemm's flags; other orders are copied."""
    x, y = K.placeholder((None, 3, 4)), K.placeholder((None, 5, 4))
    out = K.batch_dot(x, y, (2, 2))
    assert isinstance(out.node.op, BatchMatMul) and out.node.op.trans_b
    assert out.node.inputs == (x.node, y.node) and out.node.shape == (None, 3, 5)
    out = K.batch_dot(x, K.placeholder((None, 3, 6)), 1)
    assert out.node.op.trans_a and not out.node.op.trans_b
    assert K.batch_dot(K.placeholder((None, 20)), K.placeholder((None, 20)), 1).node.shape == (None, 1)
    nd = K.batch_dot(K.placeholder((None, 2, 3, 5)), K.placeholder((None, 5, 3)), ([2, 3], [2, 1]))
    assert nd.node.shape == (None, 2)


def test_batch_dot_of_transposed_input():
    rng = np.random.RandomState(8)
    a, b = rng.uniform(-1, 1, (3, 5, 4)), rng.uniform(-1, 1, (5, 3, 6))
    fx = lambda p, q: K.batch_dot(K.permute_dimensions(p, (0, 2, 1)), K.permute_dimensions(q, (1, 0, 2)))
    fn = lambda p, q: np.einsum('bji,jbk->bik', p, q)
    check_value(fx, fn, a, b, rtol=1e-12)
    check_grad(fx, a, b)


def test_batch_dot_errors():
    x, y = K.placeholder((None, 3, 4)), K.placeholder((None, 5, 6))
    with pytest.raises(ShapeError, match=r'batch_dot: shapes \(None, 3, 4\) and \(None, 5, 6\) do not '
                                         r'match.*axis 2 of x has size 4, axis 1 of y has size 5'):
        K.batch_dot(x, y)
    with pytest.raises(ShapeError, match=r'\(None, 20\).*batch axis 0'):
        K.batch_dot(K.placeholder((None, 20)), K.placeholder((None, 20)))   # axes (1, 0)
    with pytest.raises(ShapeError, match='differ in number'):
        K.batch_dot(x, y, ([1, 2], [1]))
    with pytest.raises(ShapeError, match='out of range'):
        K.batch_dot(x, y, (3, 1))
    with pytest.raises(ShapeError, match=r'batch sizes differ: shapes \(2, 3\) and \(4, 3\)'):
        K.batch_dot(K.placeholder((2, 3)), K.placeholder((4, 3)), 1)
    with pytest.raises(ShapeError, match=r'at least one more.*\(3,\)'):
        K.batch_dot(K.placeholder((3,)), K.placeholder((3, 2)))


def test_dot_and_batch_dot_with_none_batch_sizes():
    rng = np.random.RandomState(9)
    for batch in (1, 6):
        a, b = rng.uniform(-1, 1, (batch, 3, 4)), rng.uniform(-1, 1, (batch, 4, 2))
        check_value(lambda p, q: K.batch_dot(p, q), lambda p, q: p @ q, a, b, rtol=1e-12)
        w = rng.uniform(-1, 1, (4, 5))
        check_value(K.dot, np_dot, a, w, rtol=1e-12)
