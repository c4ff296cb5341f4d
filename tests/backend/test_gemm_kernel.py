"""The gemm kernel run directly (csrc/kernels/gemm.cpp) against a float64 numpy reference:
alpha/beta, leading dimensions, every transpose combination, batches with stride-0 (broadcast)
operands, the fused epilogue (bias, relu), float32 and float64, sizes 0, 1, odd, the
one-vector-wide panels of narrow outputs, partial tiles, several K blocks, one and two threads."""
import numpy as np
import pytest

from symkeras import _core
from symkeras.backend import lower


def run_gemm(a, b, c0, ta, tb, m, n, k, lda, ldb, ldc, batch, sa, sb, sc, alpha, beta,
             bias=None, act=0):
    """The gemm kernel on flat arrays a, b (and bias); C starts as a copy of c0 (so beta may
    read it). With bias or act, the epilogue parameters ip[13], ip[14] are passed."""
    code = {np.float32: 0, np.float64: 1}[a.dtype.type]
    ins = [a, b] + ([bias] if bias is not None else []) + [c0]
    bufs = [_core.BufSpec(lower.INPUT, i, x.nbytes) for i, x in enumerate(ins)]
    bufs.append(_core.BufSpec(lower.OUTPUT, 0, c0.nbytes))
    c_in, c_out = len(ins) - 1, len(ins)
    prog = _core.Program(bufs, 0, [], [], [_core.OutputSpec([c0.size], a.dtype)], len(ins))
    prog.add(lower.KERNELS['copy'], [c_in, c_out], [c0.nbytes], [])
    ip = [code, ta, tb, m, n, k, lda, ldb, ldc, batch, sa, sb, sc]
    if bias is not None or act:
        ip += [int(bias is not None), act]
    prog.add(lower.KERNELS['gemm'], list(range(c_in)) + [c_out], ip, [alpha, beta])
    return prog.run(ins)[0]


def _op(x, trans):
    return np.swapaxes(x, -1, -2) if trans else x


def assert_gemm_close(got, a, b, ta, tb, expected, dtype, k, alpha=1.0, beta_c=0.0, bias=0.0):
    """Error within a small multiple of K roundings of |alpha| sum_p |a_ip||b_pj| + |beta c_ij|
    + |bias_j| (the error bound of a dot product of length K; relu does not increase it), so
    float32 is held as tightly as its arithmetic allows."""
    eps = np.finfo(dtype).eps
    bound = np.matmul(np.abs(_op(a, ta)).astype(np.float64), np.abs(_op(b, tb)).astype(np.float64))
    tol = 2 * (k + 3) * eps * (abs(alpha) * bound + np.abs(beta_c) + np.abs(bias)) + np.finfo(dtype).tiny
    err = np.abs(got.astype(np.float64) - expected)
    assert np.all(err <= np.broadcast_to(tol, err.shape)), (err.max(), dtype, got.shape)


SIZES = [0, 1, 2, 3, 7, 13, 16, 17, 31, 33, 64, 97]
ALPHA_BETA = [(1.0, 0.0), (0.5, 0.0), (-2.0, 1.0), (1.5, -0.25), (0.0, 2.0)]


def random_problem(rng, dtype, ta, tb, m, n, k, batch=1, share_a=False, share_b=False, pad=0):
    """Operands stored with leading dimensions `pad` larger than needed (a column-sliced, non-
    contiguous view), batch axis first; returns (a, b, a_used, b_used, lda, ldb)."""
    a = rng.randn(1 if share_a else batch, *((k, m + pad) if ta else (m, k + pad))).astype(dtype)
    b = rng.randn(1 if share_b else batch, *((n, k + pad) if tb else (k, n + pad))).astype(dtype)
    a_used = a[:, :k, :m] if ta else a[:, :m, :k]
    b_used = b[:, :n, :k] if tb else b[:, :k, :n]
    return a, b, a_used, b_used, a.shape[-1], b.shape[-1]


def expected_of(a_used, b_used, ta, tb, alpha, beta_c, bias, relu):
    out = alpha * np.matmul(_op(a_used, ta).astype(np.float64), _op(b_used, tb).astype(np.float64))
    out = out + beta_c + bias
    return np.maximum(out, 0) if relu else out


def check_problem(rng, dtype, ta, tb, m, n, k, alpha, beta, with_bias, relu, batch=1,
                  share_a=False, share_b=False, pad=0):
    a, b, a_used, b_used, lda, ldb = random_problem(rng, dtype, ta, tb, m, n, k, batch,
                                                    share_a, share_b, pad)
    c0 = rng.randn(batch, m, n + 1).astype(dtype)      # ldc = n + 1: a column never written
    if beta == 0:
        c0[:, :, :n] = np.nan                         # beta == 0 must not read C
    bias = rng.randn(n).astype(dtype) if with_bias else None
    got = run_gemm(a.ravel(), b.ravel(), c0.ravel(), ta, tb, m, n, k, lda, ldb, n + 1, batch,
                   0 if share_a else a[0].size, 0 if share_b else b[0].size, c0[0].size,
                   alpha, beta, bias, int(relu)).reshape(batch, m, n + 1)
    beta_c = beta * c0[:, :, :n].astype(np.float64) if beta else 0.0
    bias64 = bias.astype(np.float64) if with_bias else 0.0
    expected = expected_of(a_used, b_used, ta, tb, alpha, beta_c, bias64, relu)
    assert_gemm_close(got[:, :, :n], a_used, b_used, ta, tb, expected, dtype, k, alpha, beta_c, bias64)
    np.testing.assert_array_equal(got[:, :, n], c0[:, :, n])    # outside the matrix: untouched


@pytest.mark.parametrize('dtype', [np.float32, np.float64])
@pytest.mark.parametrize('ta,tb', [(0, 0), (0, 1), (1, 0), (1, 1)])
def test_gemm_random_shapes_alpha_beta_leading_dims(dtype, ta, tb):
    rng = np.random.RandomState(ta * 2 + tb)
    for trial in range(20):
        m, n, k = rng.choice(SIZES, 3)
        alpha, beta = ALPHA_BETA[trial % 5]
        check_problem(rng, dtype, ta, tb, m, n, k, alpha, beta, False, False, pad=int(rng.randint(0, 3)))


@pytest.mark.parametrize('dtype', [np.float32, np.float64])
@pytest.mark.parametrize('ta,tb', [(0, 0), (0, 1), (1, 0), (1, 1)])
def test_gemm_epilogue_random_shapes(dtype, ta, tb):
    """bias, relu and both, with every alpha/beta pair, on random shapes."""
    rng = np.random.RandomState(10 + ta * 2 + tb)
    for trial in range(24):
        m, n, k = rng.choice(SIZES, 3)
        alpha, beta = ALPHA_BETA[trial % 5]
        with_bias, relu = [(True, False), (False, True), (True, True)][trial % 3]
        check_problem(rng, dtype, ta, tb, m, n, k, alpha, beta, with_bias, relu, pad=int(rng.randint(0, 3)))


@pytest.mark.parametrize('dtype', [np.float32, np.float64])
@pytest.mark.parametrize('m,n,k', [(300, 530, 270), (97, 1031, 263), (6, 600, 515), (128, 10, 784),
                                   (13, 5, 600), (50, 40, 17)])
def test_gemm_crosses_blocks_with_epilogue(dtype, m, n, k):
    """Sizes past the K block (256) and the N block, partial tiles in both directions, narrow
    outputs (one-vector panels), transposed-B packing with and without whole 16 x 16 blocks:
    the bias is added once and relu applied after the last K block."""
    rng = np.random.RandomState(m + n)
    for ta, tb in [(0, 0), (1, 1), (0, 1), (1, 0)]:
        check_problem(rng, dtype, ta, tb, m, n, k, 1.0, 0.5, True, True)
    check_problem(rng, dtype, 0, 1, m, n, k, -1.0, 0.0, False, False, pad=3)


@pytest.mark.parametrize('dtype', [np.float32, np.float64])
@pytest.mark.parametrize('batch,m,n,k', [(5, 3, 4, 7), (9, 40, 70, 60), (3, 130, 70, 200),
                                         (4, 0, 3, 2), (3, 17, 9, 300), (2, 5, 6, 0)])
def test_gemm_batched_with_broadcast_operands(dtype, batch, m, n, k):
    rng = np.random.RandomState(batch + m)
    for i, (share_a, share_b, ta, tb) in enumerate([(0, 0, 0, 0), (1, 0, 1, 0), (0, 1, 0, 1), (1, 1, 1, 1)]):
        check_problem(rng, dtype, ta, tb, m, n, k, 2.0, [0.0, 1.0][i % 2], i % 2 == 0, i >= 2, batch,
                      share_a, share_b)


@pytest.mark.parametrize('dtype', [np.float32, np.float64])
@pytest.mark.parametrize('m,n,k,pad', [(32, 576, 288, 1), (64, 64, 300, 3), (5, 16, 7, 1),
                                       (65, 64, 10, 0), (32, 70, 20, 0)])
def test_gemm_reads_b_in_place_for_few_rows(dtype, m, n, k, pad):
    """Up to 64 rows, whole panels and an untransposed B: B is read in place, unaligned rows
    (pad), several K blocks (k > 256) and all; 65 rows or a partial panel pack B as before."""
    rng = np.random.RandomState(m + n + k)
    for alpha, beta in ALPHA_BETA[:3]:
        check_problem(rng, dtype, 0, 0, m, n, k, alpha, beta, True, True, pad=pad)
        check_problem(rng, dtype, 1, 0, m, n, k, alpha, beta, False, False, batch=2, pad=pad)


@pytest.fixture
def two_threads():
    """The parallel policy lowered so that every product takes the OpenMP path."""
    policy, threads = _core.parallel_policy(), _core.get_num_threads()
    _core.set_parallel_policy(policy[0], policy[1], 1.0)
    _core.set_num_threads(2)
    yield
    _core.set_parallel_policy(*policy)
    _core.set_num_threads(threads)


@pytest.mark.parametrize('dtype', [np.float32, np.float64])
@pytest.mark.parametrize('threads', [2, 3])
def test_gemm_threads(dtype, threads, two_threads):
    """Items of columns, of rows (too few panels for the threads), and of batch items (fewer
    and more than the threads), each taken by whichever thread asks first."""
    _core.set_num_threads(threads)
    rng = np.random.RandomState(3)
    for m, n, k, batch in [(128, 512, 100, 1), (128, 10, 40, 1), (7, 3, 5, 1), (1, 1, 1, 1),
                           (33, 70, 20, 3), (33, 70, 20, 2), (20, 20, 300, 1), (300, 1000, 30, 1)]:
        for ta, tb in [(0, 0), (1, 1)]:
            check_problem(rng, dtype, ta, tb, m, n, k, 1.0, 0.5, True, True, batch)


@pytest.mark.parametrize('beta', [0.0, 3.0])
def test_gemm_empty_inner_dimension_gives_beta_c(beta):
    c0 = np.full((4, 5), np.nan if beta == 0 else 2.0, np.float32)
    empty = np.zeros(0, np.float32)
    got = run_gemm(empty, empty, c0.ravel(), 0, 1, 4, 5, 0, 0, 0, 5, 1, 0, 0, 0, 1.0, beta)
    np.testing.assert_array_equal(got, np.full(20, 2.0 * beta, np.float32))


def test_gemm_empty_inner_dimension_epilogue():
    """K == 0: C = relu(beta * C + bias)."""
    c0 = np.array([[1.0, -2.0, 3.0]], np.float64)
    bias = np.array([0.5, 0.5, -10.0])
    empty = np.zeros(0, np.float64)
    got = run_gemm(empty, empty, c0.ravel(), 0, 0, 1, 3, 0, 0, 3, 3, 1, 0, 0, 0, 1.0, 2.0, bias, 1)
    np.testing.assert_array_equal(got, [2.5, 0.0, 0.0])


def test_gemm_relu_keeps_nan():
    """relu(NaN) is NaN, as the elementwise relu has it."""
    a = np.array([np.nan, 1.0, -1.0], np.float32)
    b = np.ones(1, np.float32)
    c0 = np.zeros(3, np.float32)
    got = run_gemm(a, b, c0, 0, 0, 3, 1, 1, 1, 1, 1, 1, 0, 0, 0, 1.0, 0.0, None, 1)
    np.testing.assert_array_equal(got, [np.nan, 1.0, 0.0])


def test_gemm_rejects_integer_dtype():
    bufs = [_core.BufSpec(lower.INPUT, 0, 4), _core.BufSpec(lower.INPUT, 1, 4), _core.BufSpec(lower.OUTPUT, 0, 4)]
    prog = _core.Program(bufs, 0, [], [], [_core.OutputSpec([1], np.dtype('int32'))], 2)
    prog.add(lower.KERNELS['gemm'], [0, 1, 2], [2, 0, 0, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0], [1.0, 0.0])
    one = np.ones(1, np.int32)
    with pytest.raises(RuntimeError, match='float32 or float64'):
        prog.run([one, one])
