"""Matrix products: the gemm kernel against numpy (run directly, for alpha/beta, leading
dimensions and batch strides), MatMul / BatchMatMul (values, gradients for every transpose
flag, batch broadcasting), K.dot with Theano's N-d semantics and K.batch_dot with Keras
1.2.2's, on values, gradients and shape errors."""
import numpy as np
import pytest

import symkeras.backend as K
from opcheck import check_grad, check_value
from symkeras import _core
from symkeras.backend import lower
from symkeras.backend.graph import ShapeError, make
from symkeras.backend.ops.linalg import BatchMatMul, MatMul


# ----------------------------------------------------------------------------- the kernel

def run_gemm(a, b, c0, ta, tb, m, n, k, lda, ldb, ldc, batch, sa, sb, sc, alpha, beta):
    """The gemm kernel on flat arrays a, b; C starts as a copy of c0 (so beta may read it)."""
    code = {np.float32: 0, np.float64: 1}[a.dtype.type]
    bufs = [_core.BufSpec(lower.INPUT, 0, a.nbytes), _core.BufSpec(lower.INPUT, 1, b.nbytes),
            _core.BufSpec(lower.INPUT, 2, c0.nbytes), _core.BufSpec(lower.OUTPUT, 0, c0.nbytes)]
    prog = _core.Program(bufs, 0, [], [], [_core.OutputSpec([c0.size], a.dtype)], 3)
    prog.add(lower.KERNELS['copy'], [2, 3], [c0.nbytes], [])
    prog.add(lower.KERNELS['gemm'], [0, 1, 3],
             [code, ta, tb, m, n, k, lda, ldb, ldc, batch, sa, sb, sc], [alpha, beta])
    return prog.run([a, b, c0])[0]


def _op(x, trans):
    return np.swapaxes(x, -1, -2) if trans else x


def assert_gemm_close(got, a, b, ta, tb, expected, dtype, k, alpha=1.0, beta_c=0.0):
    """Error within a small multiple of K roundings of |alpha| sum_p |a_ip||b_pj| + |beta c_ij|
    (the error bound of a dot product of length K), so float32 is held as tightly as its
    arithmetic allows."""
    eps = np.finfo(dtype).eps
    bound = np.matmul(np.abs(_op(a, ta)).astype(np.float64), np.abs(_op(b, tb)).astype(np.float64))
    tol = 2 * (k + 2) * eps * (abs(alpha) * bound + np.abs(beta_c)) + np.finfo(dtype).tiny
    err = np.abs(got.astype(np.float64) - expected)
    assert np.all(err <= np.broadcast_to(tol, err.shape)), (err.max(), dtype, got.shape)


SIZES = [0, 1, 2, 3, 7, 13, 31, 64, 97]


@pytest.mark.parametrize('dtype', [np.float32, np.float64])
@pytest.mark.parametrize('ta,tb', [(0, 0), (0, 1), (1, 0), (1, 1)])
def test_gemm_random_shapes_alpha_beta_leading_dims(dtype, ta, tb):
    rng = np.random.RandomState(ta * 2 + tb)
    for trial in range(12):
        m, n, k = rng.choice(SIZES, 3)
        alpha, beta = [(1.0, 0.0), (0.5, 0.0), (-2.0, 1.0), (1.5, -0.25), (0.0, 2.0)][trial % 5]
        pad = int(rng.randint(0, 3))        # leading dimensions larger than the rows
        a = rng.randn(*((k, m + pad) if ta else (m, k + pad))).astype(dtype)
        b = rng.randn(*((n, k + pad) if tb else (k, n + pad))).astype(dtype)
        a_used = a[:k, :m] if ta else a[:m, :k]
        b_used = b[:n, :k] if tb else b[:k, :n]
        c0 = rng.randn(m, n + 1).astype(dtype)      # ldc = n + 1
        if beta == 0:
            c0[:, :n] = np.nan                     # beta == 0 must not read C
        got = run_gemm(a.ravel(), b.ravel(), c0.ravel(), ta, tb, m, n, k, a.shape[1], b.shape[1],
                       n + 1, 1, 0, 0, 0, alpha, beta).reshape(m, n + 1)
        prod = np.matmul(_op(a_used, ta).astype(np.float64), _op(b_used, tb).astype(np.float64))
        beta_c = beta * c0[:, :n].astype(np.float64) if beta else 0.0
        assert_gemm_close(got[:, :n], a_used, b_used, ta, tb, alpha * prod + beta_c, dtype, k,
                          alpha, beta_c)
        np.testing.assert_array_equal(got[:, n], c0[:, n])    # outside the matrix: untouched


@pytest.mark.parametrize('dtype', [np.float32, np.float64])
@pytest.mark.parametrize('m,n,k', [(300, 530, 270), (97, 1031, 263), (6, 600, 515)])
def test_gemm_crosses_blocks_and_threads(dtype, m, n, k):
    """Sizes past the K and N blocks (256; 512 or 256 columns) and above the threading
    threshold, with edge tiles in both directions."""
    rng = np.random.RandomState(m)
    for ta, tb in [(0, 0), (1, 1)]:
        a = rng.randn(*((k, m) if ta else (m, k))).astype(dtype)
        b = rng.randn(*((n, k) if tb else (k, n))).astype(dtype)
        c0 = rng.randn(m, n).astype(dtype)
        got = run_gemm(a.ravel(), b.ravel(), c0.ravel(), ta, tb, m, n, k, a.shape[1], b.shape[1],
                       n, 1, 0, 0, 0, 1.0, 0.5).reshape(m, n)
        beta_c = 0.5 * c0.astype(np.float64)
        expected = _op(a, ta).astype(np.float64) @ _op(b, tb).astype(np.float64) + beta_c
        assert_gemm_close(got, a, b, ta, tb, expected, dtype, k, 1.0, beta_c)


@pytest.mark.parametrize('dtype', [np.float32, np.float64])
@pytest.mark.parametrize('batch,m,n,k', [(5, 3, 4, 7), (9, 40, 70, 60), (3, 130, 70, 200), (4, 0, 3, 2)])
def test_gemm_batched_with_broadcast_operands(dtype, batch, m, n, k):
    rng = np.random.RandomState(batch)
    for share_a, share_b, ta, tb in [(0, 0, 0, 0), (1, 0, 1, 0), (0, 1, 0, 1), (1, 1, 1, 1)]:
        a = rng.randn(1 if share_a else batch, *((k, m) if ta else (m, k))).astype(dtype)
        b = rng.randn(1 if share_b else batch, *((n, k) if tb else (k, n))).astype(dtype)
        c0 = np.full((batch, m, n), np.nan, dtype)
        got = run_gemm(a.ravel(), b.ravel(), c0.ravel(), ta, tb, m, n, k, a.shape[-1], b.shape[-1], n,
                       batch, 0 if share_a else m * k, 0 if share_b else k * n, m * n, 2.0, 0.0)
        expected = 2.0 * np.matmul(_op(a, ta).astype(np.float64), _op(b, tb).astype(np.float64))
        assert_gemm_close(got.reshape(batch, m, n), a, b, ta, tb, expected, dtype, k, 2.0)


@pytest.mark.parametrize('beta', [0.0, 3.0])
def test_gemm_empty_inner_dimension_gives_beta_c(beta):
    c0 = np.full((4, 5), np.nan if beta == 0 else 2.0, np.float32)
    empty = np.zeros(0, np.float32)
    got = run_gemm(empty, empty, c0.ravel(), 0, 1, 4, 5, 0, 0, 0, 5, 1, 0, 0, 0, 1.0, beta)
    np.testing.assert_array_equal(got, np.full(20, 2.0 * beta, np.float32))


def test_gemm_rejects_integer_dtype():
    bufs = [_core.BufSpec(lower.INPUT, 0, 4), _core.BufSpec(lower.INPUT, 1, 4), _core.BufSpec(lower.OUTPUT, 0, 4)]
    prog = _core.Program(bufs, 0, [], [], [_core.OutputSpec([1], np.dtype('int32'))], 2)
    prog.add(lower.KERNELS['gemm'], [0, 1, 2], [2, 0, 0, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0], [1.0, 0.0])
    one = np.ones(1, np.int32)
    with pytest.raises(RuntimeError, match='float32 or float64'):
        prog.run([one, one])


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
