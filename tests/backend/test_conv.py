"""Convolutions (ops/conv.py, ops/conv_ops.py, csrc/kernels/conv.cpp): values against direct
numpy loops written from the definitions (Theano's true convolution, Keras 1.2.2's border modes,
TensorFlow's separable convolution), gradients against finite differences in float64, the
adjoint ops' own values and gradients, the threaded paths, and the errors."""
import itertools

import numpy as np
import pytest

import symkeras.backend as K
from opcheck import check_grad, check_value, evaluate
from symkeras import _core
from symkeras.backend.graph import ShapeError, make
from symkeras.backend.ops.conv_ops import Conv, ConvKernelGrad, ConvTranspose, image_shape, spatial


# ----------------------------------------------------------------------------- references

def theano_geometry(border, n, k, s, d, cropped=True):
    """(pad before, output length) of one axis as Theano + Keras 1.2.2 define it: 'half' pads
    span//2 on both sides, and Keras crops 'same' to ceil(n/s) when the kernel is even."""
    span = (k - 1) * d + 1
    pad = {'valid': 0, 'full': span - 1, 'same': span // 2, 'half': span // 2}[border]
    out = (n + 2 * pad - span) // s + 1
    if border == 'same' and cropped and k % 2 == 0:
        out = min(out, -(-n // s))
    return pad, out


def tf_geometry(border, n, k, s):
    """(pad before, output length) of TensorFlow's VALID / SAME."""
    if border == 'valid':
        return 0, (n - k) // s + 1
    out = -(-n // s)
    total = max((out - 1) * s + k - n, 0)
    return total // 2, out


def direct_conv(x, w, strides, dilation, geometry, flip=True, groups=1):
    """y[n, o, i] = sum_{c, k} w[o, c, k] x[n, g(o)*C/G + c, i*s - pad + a(k)*d], a(k) = K-1-k
    when flip, zero outside x; channels first, any number of spatial axes. geometry: one
    (pad before, output length) per axis."""
    N, C = x.shape[:2]
    Cout, Cg = w.shape[:2]
    K_ = w.shape[2:]
    og = Cout // groups
    y = np.zeros((N, Cout) + tuple(o for _, o in geometry), dtype=np.float64)
    for i in np.ndindex(*y.shape[2:]):
        for k in np.ndindex(*K_):
            a = [K_[j] - 1 - k[j] if flip else k[j] for j in range(len(K_))]
            pos = [i[j] * strides[j] - geometry[j][0] + a[j] * dilation[j] for j in range(len(K_))]
            if not all(0 <= p < n for p, n in zip(pos, x.shape[2:])):
                continue
            for g in range(groups):
                xs = x[(slice(None), slice(g * Cg, (g + 1) * Cg)) + tuple(pos)]
                y[(slice(None), slice(g * og, (g + 1) * og)) + i] += xs @ w[(slice(g * og, (g + 1) * og), slice(None)) + k].T
    return y


def direct_transpose(dy, w, strides, dilation, pads, S, flip=True):
    """The adjoint of direct_conv in x (groups 1): every dy[n, o, i] * w[o, c, k] added to
    x[n, c, i*s - pad + a(k)*d] when that lies inside the image of spatial shape S."""
    N, Cout = dy.shape[:2]
    K_ = w.shape[2:]
    x = np.zeros((N, w.shape[1]) + tuple(S))
    for i in np.ndindex(*dy.shape[2:]):
        for k in np.ndindex(*K_):
            a = [K_[j] - 1 - k[j] if flip else k[j] for j in range(len(K_))]
            pos = [i[j] * strides[j] - pads[j] + a[j] * dilation[j] for j in range(len(K_))]
            if all(0 <= p < n for p, n in zip(pos, S)):
                x[(slice(None), slice(None)) + tuple(pos)] += dy[(slice(None), slice(None)) + i] @ w[(slice(None), slice(None)) + k]
    return x


def direct_kernel_grad(x, dy, K_, strides, dilation, pads, flip=True):
    """The adjoint of direct_conv in w (groups 1): dw[o, c, k] = sum over n and output
    positions i of dy[n, o, i] * x[n, c, i*s - pad + a(k)*d] (inside the image)."""
    dw = np.zeros((dy.shape[1], x.shape[1]) + tuple(K_))
    for i in np.ndindex(*dy.shape[2:]):
        for k in np.ndindex(*K_):
            a = [K_[j] - 1 - k[j] if flip else k[j] for j in range(len(K_))]
            pos = [i[j] * strides[j] - pads[j] + a[j] * dilation[j] for j in range(len(K_))]
            if all(0 <= p < n for p, n in zip(pos, x.shape[2:])):
                dw[(slice(None), slice(None)) + k] += dy[(slice(None), slice(None)) + i].T @ x[(slice(None), slice(None)) + tuple(pos)]
    return dw


def th_conv(x, w, strides, border, dilation=None):
    nd = x.ndim - 2
    dilation = dilation or (1,) * nd
    geo = [theano_geometry(border, x.shape[2 + j], w.shape[2 + j], strides[j], dilation[j]) for j in range(nd)]
    return direct_conv(x, w, strides, dilation, geo)


def to_tf(t):
    return np.moveaxis(t, 1, -1)


def kernel_to_tf(w):
    nd = w.ndim - 2
    return np.transpose(w, tuple(range(2, 2 + nd)) + (1, 0))


RNG = np.random.RandomState(1234)


def rand(*shape):
    return RNG.uniform(-1, 1, shape)


# ----------------------------------------------------------------------------- conv2d

def test_conv2d_flips_the_kernel_and_crops_same_for_even_kernels():
    x = np.array([1., 2., 3., 4.], 'float32').reshape(1, 1, 1, 4)
    w = np.array([10., 1.], 'float32').reshape(1, 1, 1, 2)
    f = lambda a, b, mode: evaluate(lambda p, q: K.conv2d(p, q, border_mode=mode), a, b).ravel()
    np.testing.assert_array_equal(f(x, w, 'full'), [10, 21, 32, 43, 4])  # np.convolve(x, w)
    np.testing.assert_array_equal(f(x, w, 'valid'), [21, 32, 43])        # 10*x[i+1] + x[i]
    np.testing.assert_array_equal(f(x, w, 'same'), [10, 21, 32, 43])     # Theano 'half', cropped


@pytest.mark.parametrize('border', ['valid', 'same', 'full'])
@pytest.mark.parametrize('strides,dilation', [((1, 1), (1, 1)), ((2, 3), (1, 1)), ((1, 2), (2, 1)), ((3, 2), (2, 3))])
def test_conv2d_values_both_orderings(border, strides, dilation):
    for (N, C, H, W), (F, kh, kw) in [((2, 3, 9, 8), (4, 3, 2)), ((1, 1, 7, 11), (2, 1, 4))]:
        x, w = rand(N, C, H, W).astype('float32'), rand(F, C, kh, kw).astype('float32')
        want = th_conv(x, w, strides, border, dilation)
        fn = lambda a, b, o: K.conv2d(a, b, strides, border, o, filter_dilation=dilation)
        check_value(lambda a, b: fn(a, b, 'th'), lambda a, b: want, x, w, rtol=1e-5, atol=1e-5)
        check_value(lambda a, b: fn(a, b, 'tf'), lambda a, b: to_tf(want), to_tf(x), kernel_to_tf(w),
                    rtol=1e-5, atol=1e-5)


def test_conv2d_default_ordering_and_float64_and_int_inputs():
    x, w = rand(2, 2, 5, 5), rand(3, 2, 3, 3)
    got = check_value(lambda a, b: K.conv2d(a, b, border_mode='same'), lambda a, b: th_conv(a, b, (1, 1), 'same'),
                      x, w, rtol=1e-12, atol=1e-12)
    assert got.dtype == np.float64
    xi = RNG.randint(-3, 4, (1, 2, 4, 4)).astype('int32')
    got = evaluate(lambda a, b: K.conv2d(a, b), xi, w.astype('float32'))
    np.testing.assert_allclose(got, th_conv(xi.astype(float), w.astype('float32'), (1, 1), 'valid'), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize('border,strides,dilation,ordering', [
    ('valid', (1, 1), (1, 1), 'th'), ('same', (2, 1), (1, 1), 'th'), ('full', (1, 2), (1, 1), 'tf'),
    ('same', (1, 1), (2, 2), 'tf'), ('valid', (2, 2), (1, 2), 'th')])
def test_conv2d_gradients(border, strides, dilation, ordering):
    x, w = rand(2, 2, 6, 5), rand(3, 2, 3, 2)
    if ordering == 'tf':
        x, w = to_tf(x), kernel_to_tf(w)
    check_grad(lambda a, b: K.conv2d(a, b, strides, border, ordering, filter_dilation=dilation), x, w)


def test_conv2d_batch_of_zero_and_one():
    x, w = np.zeros((0, 2, 5, 5), 'float32'), rand(3, 2, 3, 3).astype('float32')
    xp, wp = K.placeholder(shape=(None, 2, 5, 5)), K.variable(w)
    y = K.conv2d(xp, wp)
    out, gw = K.function([xp], [y, K.gradients(K.sum(y), [wp])[0]])([x])
    assert out.shape == (0, 3, 3, 3)
    np.testing.assert_array_equal(gw, np.zeros_like(w))
    x1 = rand(1, 2, 5, 5).astype('float32')
    check_value(lambda a, b: K.conv2d(a, b, (2, 2), 'same'), lambda a, b: th_conv(a, b, (2, 2), 'same'), x1, w,
                rtol=1e-5, atol=1e-5)


def test_gradients_of_shapes_known_only_at_run_time():
    """The adjoints get the image and kernel shapes when the program is specialised."""
    x, w, r = rand(2, 3, 7, 6), rand(4, 3, 3, 2), rand(2, 4, 4, 3)
    xp, wp, rp = K.placeholder(ndim=4, dtype='float64'), K.placeholder(ndim=4, dtype='float64'), K.placeholder(ndim=4, dtype='float64')
    gx, gw = K.gradients(K.sum(K.conv2d(xp, wp, (2, 2), 'same') * rp), [xp, wp])
    got_x, got_w = K.function([xp, wp, rp], [gx, gw])([x, w, r])
    pads = [theano_geometry('same', n, k, 2, 1)[0] for n, k in zip((7, 6), (3, 2))]
    np.testing.assert_allclose(got_x, direct_transpose(r, w, (2, 2), (1, 1), pads, (7, 6)), rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(got_w, direct_kernel_grad(x, r, (3, 2), (2, 2), (1, 1), pads), rtol=1e-10, atol=1e-10)


def test_conv2d_reads_transposed_and_sliced_inputs():
    x, w = rand(2, 7, 6, 3).astype('float32'), rand(4, 3, 3, 3).astype('float32')
    got = evaluate(lambda a, b: K.conv2d(K.permute_dimensions(a, (0, 3, 1, 2))[:, :, 1:, ::2], b), x, w)
    np.testing.assert_allclose(got, th_conv(np.transpose(x, (0, 3, 1, 2))[:, :, 1:, ::2], w, (1, 1), 'valid'),
                               rtol=1e-5, atol=1e-5)


# ----------------------------------------------------------------------------- the three ops

def _adjoint_cases():
    """(op attributes, x shape, w shape) over 1-3 spatial axes, groups, flips and 1x1 kernels."""
    return [(((1, 1), (1, 1), 'valid', 1, True), (3, 4, 5, 6), (2, 4, 1, 1)),        # 1x1: col is x
            (((2, 2), (1, 1), 'valid', 1, True), (2, 3, 5, 6), (4, 3, 1, 1)),        # 1x1, strided
            (((2, 1), (1, 2), 'same', 1, True), (2, 3, 7, 6), (5, 3, 2, 3)),
            (((1, 3), (2, 1), 'full', 2, False), (2, 4, 5, 7), (6, 2, 3, 2)),
            (((2, 2), (1, 1), 'same_tf', 0, False), (1, 3, 6, 5), (6, 1, 2, 3)),    # depthwise
            (((3,), (2,), 'half', 1, True), (2, 3, 11), (2, 3, 3)),
            (((1, 2, 1), (1, 1, 2), 'same', 1, True), (2, 2, 4, 5, 6), (3, 2, 2, 3, 2))]


@pytest.mark.parametrize('dtype', ['float32', 'float64'])
def test_ops_values_and_adjoint_identities(dtype):
    """Conv against the direct loops; ConvTranspose and ConvKernelGrad against the adjoint
    identities <Conv(x, w), dy> = <x, ConvTranspose(dy, w)> = <w, ConvKernelGrad(x, dy)>,
    with ConvTranspose (groups 1) also against its own direct loop."""
    tol = dict(rtol=2e-4, atol=2e-4) if dtype == 'float32' else dict(rtol=1e-10, atol=1e-10)
    for attrs, xs, ws in _adjoint_cases():
        op = Conv(*attrs)
        x, w = rand(*xs).astype(dtype), rand(*ws).astype(dtype)
        strides, dilation, border, groups, flip = attrs
        groups = groups or xs[1]      # 0: one group per input channel
        pads = [op.windows(xs[2:], ws[2:])[1][j][0] for j in range(len(strides))]
        y = evaluate(lambda a, b: make(op, a, b), x, w)
        geo = list(zip(pads, y.shape[2:]))
        np.testing.assert_allclose(y, direct_conv(x, w, strides, dilation, geo, flip, groups), **tol)
        dy = rand(*y.shape).astype(dtype)
        dx = check_value(lambda g, b, a: make(ConvTranspose(*attrs), g, b, image_shape(a)),
                         lambda g, b, a: direct_transpose(g, b, strides, dilation, pads, a.shape[2:], flip)
                         if groups == 1 else ConvTranspose(*attrs).ref(g, b, a.shape[1:]), dy, w, x, **tol)
        dw = evaluate(lambda a, g, b: make(ConvKernelGrad(*attrs), a, g, spatial(b)), x, dy, w)
        lhs = np.sum(direct_conv(x, w, strides, dilation, geo, flip, groups) * dy)
        np.testing.assert_allclose([np.sum(x * dx), np.sum(w * dw)], [lhs, lhs], rtol=1e-4 if dtype == 'float32' else 1e-10)


@pytest.mark.parametrize('case', [1, 2, 4, 5])
def test_backward_ops_gradients(case):
    attrs, xs, ws = _adjoint_cases()[case]
    x, w = rand(*xs), rand(*ws)
    y = Conv(*attrs).ref(x, w)
    check_grad(lambda g, b, a: make(ConvTranspose(*attrs), g, b, image_shape(a)), rand(*y.shape), w, x, wrt=[0, 1])
    check_grad(lambda a, g, b: make(ConvKernelGrad(*attrs), a, g, spatial(b)), x, rand(*y.shape), w, wrt=[0, 1])
    check_grad(lambda a, b: make(Conv(*attrs), a, b), x, w)


@pytest.fixture
def threads():
    """Every convolution above a few flops takes the threaded paths."""
    policy, n = _core.parallel_policy(), _core.get_num_threads()
    _core.set_parallel_policy(policy[0], policy[1], 1.0)
    yield
    _core.set_parallel_policy(*policy)
    _core.set_num_threads(n)


@pytest.mark.parametrize('n_threads', [2, 3])
def test_threaded_paths_match_and_repeat(threads, n_threads):
    """Samples spread over threads (and, for batch 1, threads inside each product): the same
    values as the direct loops, and the kernel gradient bit-identical from run to run."""
    _core.set_num_threads(n_threads)
    for N in (1, 7):
        x, w = rand(N, 3, 9, 8).astype('float32'), rand(5, 3, 3, 3).astype('float32')
        xp, wp = K.placeholder(shape=x.shape), K.placeholder(shape=w.shape)
        y = K.conv2d(xp, wp, border_mode='same')
        r = K.variable(rand(N, 5, 9, 8))
        gx, gw = K.gradients(K.sum(y * r), [xp, wp])
        f = K.function([xp, wp], [y, gx, gw])
        out = f([x, w])
        np.testing.assert_allclose(out[0], th_conv(x, w, (1, 1), 'same'), rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(out[1], direct_transpose(K.get_value(r), w, (1, 1), (1, 1), (1, 1), (9, 8)),
                                   rtol=1e-4, atol=1e-4)
        np.testing.assert_allclose(out[2], direct_kernel_grad(x, K.get_value(r), (3, 3), (1, 1), (1, 1), (1, 1)),
                                   rtol=1e-4, atol=1e-4)
        again = f([x, w])
        for a, b in zip(out, again):
            np.testing.assert_array_equal(a, b)


def _rows_cases():
    """(x shape, w shape, dilation, border, groups, flip), stride 1, that conv.cpp computes without
    im2col (see rows_path: all three passes but the kernel gradient of the 72 filters): wide rows
    with gaps (2-d, 3-d) and without (1-d, and a kernel one wide: 12 x 16 outputs, N' = 192, whole
    panels of 32 columns); a last panel partial (N' = 23*26 + 24 = 622); padding ('same', 'full',
    an even kernel's cropped 'same'); dilation; groups; both flips; 72 filters (more than 64 rows:
    op(B) packed through the row table); depth 288 and 432 (two blocks of K)."""
    return [((2, 8, 10, 9), (6, 8, 3, 3), (1, 1), 'valid', 1, True),
            ((1, 32, 26, 26), (5, 32, 3, 3), (1, 1), 'valid', 1, True),
            ((2, 6, 14, 16), (6, 6, 3, 1), (1, 1), 'valid', 1, False),
            ((2, 6, 9, 7), (72, 6, 2, 3), (1, 1), 'same', 1, False),
            ((2, 4, 8, 11), (4, 4, 3, 2), (2, 3), 'full', 1, True),
            ((3, 8, 7, 6), (8, 4, 3, 3), (2, 1), 'same', 2, True),
            ((2, 5, 40), (7, 5, 5), (2,), 'same', 1, True),
            ((1, 4, 5, 6, 7), (4, 4, 2, 3, 3), (1, 2, 1), 'valid', 1, False)]


def _check_rows_case(xs, ws, dilation, border, groups, flip, dtype, N=None):
    """The three passes of one case against the direct loops (group by group) and the adjoint
    identities."""
    tol = dict(rtol=2e-4, atol=2e-4) if dtype == 'float32' else dict(rtol=1e-10, atol=1e-10)
    xs = (N,) + xs[1:] if N is not None else xs
    nd = len(ws) - 2
    attrs = ((1,) * nd, dilation, border, groups, flip)
    op = Conv(*attrs)
    x, w = rand(*xs).astype(dtype), rand(*ws).astype(dtype)
    pads = [op.windows(xs[2:], ws[2:])[1][j][0] for j in range(nd)]
    y = evaluate(lambda a, b: make(op, a, b), x, w)
    geo = list(zip(pads, y.shape[2:]))
    np.testing.assert_allclose(y, direct_conv(x, w, (1,) * nd, dilation, geo, flip, groups), **tol)
    dy = rand(*y.shape).astype(dtype)
    dx = evaluate(lambda g, b, a: make(ConvTranspose(*attrs), g, b, image_shape(a)), dy, w, x)
    dw = evaluate(lambda a, g, b: make(ConvKernelGrad(*attrs), a, g, spatial(b)), x, dy, w)
    cg, og = ws[1], ws[0] // groups
    part = lambda t, n, q: t[:, q * n:(q + 1) * n]
    want_dx = np.concatenate([direct_transpose(part(dy, og, q), w[q * og:(q + 1) * og], (1,) * nd, dilation, pads,
                                               xs[2:], flip) for q in range(groups)], axis=1)
    want_dw = np.concatenate([direct_kernel_grad(part(x, cg, q), part(dy, og, q), ws[2:], (1,) * nd, dilation, pads,
                                                 flip) for q in range(groups)], axis=0)
    np.testing.assert_allclose(dx, want_dx, **tol)
    np.testing.assert_allclose(dw, want_dw, **tol)
    lhs = np.sum(y.astype(np.float64) * dy)
    np.testing.assert_allclose([np.sum(x * dx.astype(np.float64)), np.sum(w * dw.astype(np.float64))], [lhs, lhs],
                               rtol=1e-4 if dtype == 'float32' else 1e-10, atol=1e-6)


@pytest.mark.parametrize('dtype', ['float32', 'float64'])
@pytest.mark.parametrize('case', range(8))
def test_stride_one_without_im2col(case, dtype):
    _check_rows_case(*_rows_cases()[case], dtype)


@pytest.mark.parametrize('case', [0, 1, 3, 5])
def test_stride_one_without_im2col_threaded_and_batches_0_1(threads, case):
    """Samples over two threads, both threads inside each product (batch 1), and batch 0."""
    _core.set_num_threads(2)
    for N in (0, 1, 3):
        _check_rows_case(*_rows_cases()[case], 'float32', N=N)


def test_random_shapes_against_direct_loops():
    rng = np.random.RandomState(7)
    for _ in range(12):
        nd = rng.randint(1, 4)
        K_ = tuple(rng.randint(1, 4, nd))
        strides, dilation = tuple(rng.randint(1, 3, nd)), tuple(rng.randint(1, 3, nd))
        border = ['valid', 'same', 'full'][rng.randint(3)]
        S = tuple(int(rng.randint((k - 1) * d + 1, (k - 1) * d + 6)) for k, d in zip(K_, dilation))
        N, C, F = rng.randint(0, 4), rng.randint(1, 4), rng.randint(1, 5)
        x, w = rng.uniform(-1, 1, (N, C) + S), rng.uniform(-1, 1, (F, C) + K_)
        geo = [theano_geometry(border, S[j], K_[j], strides[j], dilation[j]) for j in range(nd)]
        got = evaluate(lambda a, b: make(Conv(strides, dilation, border), a, b), x, w)
        np.testing.assert_allclose(got, direct_conv(x, w, strides, dilation, geo), rtol=1e-10, atol=1e-10,
                                   err_msg=str((nd, K_, strides, dilation, border, S, N, C, F)))


# ----------------------------------------------------------------------------- conv1d, conv3d

@pytest.mark.parametrize('border,stride', [('valid', 1), ('same', 2), ('full', 3), ('same', 1)])
def test_conv1d_is_convolution1d(border, stride):
    """Keras 1.2.2's Convolution1D: expand_dims, conv2d 'tf' with strides (stride, 1), squeeze."""
    x, w = rand(2, 9, 3).astype('float32'), rand(4, 1, 3, 5).astype('float32')   # (fl, 1, in, nf)
    th_x = np.transpose(x, (0, 2, 1))[:, :, :, None]               # (N, in, steps, 1)
    th_w = np.transpose(w, (3, 2, 0, 1))                            # (nf, in, fl, 1)
    want = np.transpose(th_conv(th_x, th_w, (stride, 1), border)[:, :, :, 0], (0, 2, 1))
    check_value(lambda a, b: K.conv1d(a, b, stride, border), lambda a, b: want, x, w, rtol=1e-5, atol=1e-5)
    check_value(lambda a, b: K.conv1d(a, b, stride, border), lambda a, b: want, x, w[:, 0], rtol=1e-5, atol=1e-5)
    check_grad(lambda a, b: K.conv1d(a, b, stride, border), x[:1], w)


@pytest.mark.parametrize('border,strides,dilation', [('valid', (1, 1, 1), (1, 1, 1)), ('same', (2, 1, 2), (1, 1, 1)),
                                                     ('full', (1, 2, 1), (1, 2, 1))])
def test_conv3d_values_and_gradients(border, strides, dilation):
    x, w = rand(2, 2, 5, 4, 6), rand(3, 2, 2, 3, 2)
    want = th_conv(x, w, strides, border, dilation)
    fn = lambda o: (lambda a, b: K.conv3d(a, b, strides, border, o, filter_dilation=dilation))
    check_value(fn('th'), lambda a, b: want, x, w, rtol=1e-10, atol=1e-10)
    check_value(fn('tf'), lambda a, b: to_tf(want), to_tf(x), kernel_to_tf(w), rtol=1e-10, atol=1e-10)
    check_grad(fn('tf'), to_tf(x[:1, :, :4, :3, :4]), kernel_to_tf(w))


# ----------------------------------------------------------------------------- deconv2d, atrous, separable

@pytest.mark.parametrize('border,strides,out_hw', [('valid', (1, 1), (6, 5)), ('valid', (2, 2), (9, 8)),
                                                   ('valid', (2, 2), (10, 9)), ('same', (2, 1), (8, 4)),
                                                   ('same', (1, 1), (4, 4)), ('full', (2, 3), (5, 4))])
def test_deconv2d_is_theanos_grad_inputs(border, strides, out_hw):
    """deconv2d(x, W) = the gradient of conv2d(input, W.transpose(1, 0, 2, 3)) in its input;
    'same' pads span//2 on both sides (Theano's 'half') and keeps output_shape."""
    nb_filter, stack, kh, kw = 3, 2, 3, 2
    W = rand(nb_filter, stack, kh, kw)
    pads = [theano_geometry('half' if border == 'same' else border, n, k, s, 1, cropped=False)
            for n, k, s in zip(out_hw, (kh, kw), strides)]
    x = rand(2, stack, *[o for _, o in pads])
    want = direct_transpose(x, np.transpose(W, (1, 0, 2, 3)), strides, (1, 1), [p for p, _ in pads], out_hw)
    shape = (None, nb_filter) + out_hw
    check_value(lambda a, b: K.deconv2d(a, b, shape, strides, border, 'th'), lambda a, b: want, x, W,
                rtol=1e-10, atol=1e-10)
    tf_shape = (2,) + out_hw + (nb_filter,)
    check_value(lambda a, b: K.deconv2d(a, b, tf_shape, strides, border, 'tf'), lambda a, b: to_tf(want),
                to_tf(x), kernel_to_tf(W), rtol=1e-10, atol=1e-10)
    check_grad(lambda a, b: K.deconv2d(a, b, shape, strides, border, 'th'), x[:1], W)


def test_atrous_conv2d_is_dilated_conv2d():
    x, w = rand(2, 2, 9, 8), rand(3, 2, 3, 3)
    for rate, border in [(2, 'valid'), (3, 'same'), ((2, 1), 'full')]:
        r = (rate, rate) if isinstance(rate, int) else rate
        check_value(lambda a, b: K.atrous_conv2d(a, b, rate, border), lambda a, b: th_conv(a, b, (1, 1), border, r),
                    x, w, rtol=1e-10, atol=1e-10)
    check_grad(lambda a, b: K.atrous_conv2d(a, b, 2, 'same'), x[:1, :, :6, :5], w[:, :, :2])


def direct_separable_tf(x, dk, pk, strides, border):
    """TensorFlow's separable_conv2d from its definition, channels last: depthwise
    out[n, i, j, c*M + m] = sum_{di, dj} x[n, i*s + di - pad, j*s + dj - pad, c] dk[di, dj, c, m]
    (no flip), then out2[..., f] = sum_q out[..., q] pk[0, 0, q, f]."""
    N, H, W, C = x.shape
    kh, kw, _, M = dk.shape
    (ph, oh), (pw, ow) = tf_geometry(border, H, kh, strides[0]), tf_geometry(border, W, kw, strides[1])
    mid = np.zeros((N, oh, ow, C * M))
    for i, j, di, dj in itertools.product(range(oh), range(ow), range(kh), range(kw)):
        r, c = i * strides[0] + di - ph, j * strides[1] + dj - pw
        if 0 <= r < H and 0 <= c < W:
            mid[:, i, j] += (x[:, r, c, :, None] * dk[di, dj]).reshape(N, C * M)
    return mid @ pk[0, 0]


@pytest.mark.parametrize('border,strides,kernel', [('valid', (1, 1), (3, 3)), ('same', (1, 1), (2, 3)),
                                                   ('same', (2, 2), (4, 3)), ('valid', (2, 1), (2, 2))])
def test_separable_conv2d_is_tensorflows(border, strides, kernel):
    C, M, F = 3, 2, 4
    x, dk, pk = rand(2, 7, 6, C), rand(kernel[0], kernel[1], C, M), rand(1, 1, C * M, F)
    want = direct_separable_tf(x, dk, pk, strides, border)
    check_value(lambda a, b, c: K.separable_conv2d(a, b, c, strides, border, 'tf'), lambda a, b, c: want,
                x, dk, pk, rtol=1e-10, atol=1e-10)
    # 'th' kernels as SeparableConvolution2D holds them: depthwise (M, C, r, c), pointwise (F, C*M, 1, 1)
    check_value(lambda a, b, c: K.separable_conv2d(a, b, c, strides, border, 'th'), lambda a, b, c: np.moveaxis(want, -1, 1),
                np.moveaxis(x, -1, 1), np.transpose(dk, (3, 2, 0, 1)), np.transpose(pk, (3, 2, 0, 1)),
                rtol=1e-10, atol=1e-10)
    check_grad(lambda a, b, c: K.separable_conv2d(a, b, c, strides, border, 'tf'), x[:1, :5, :5], dk, pk)


# ----------------------------------------------------------------------------- errors

def test_errors_name_the_function_and_both_shapes():
    x = K.placeholder(shape=(None, 3, 2, 5))
    with pytest.raises(ShapeError, match=r'conv2d.*x of shape \(None, 3, 2, 5\).*kernel of shape \(4, 3, 3, 3\).*'
                                         r'smaller than the kernel.*spatial axis 0'):
        K.conv2d(x, K.placeholder(shape=(4, 3, 3, 3)))
    with pytest.raises(ShapeError, match=r'conv2d.*has 3 channels but the kernel of shape \(4, 2, 1, 1\) takes 2'):
        K.conv2d(x, K.placeholder(shape=(4, 2, 1, 1)))
    with pytest.raises(ShapeError, match=r"conv2d \(x of shape \(None, 5, 3, 3\), kernel of shape \(3, 3, 2, 4\), dim_ordering 'tf'\): "
                                         r"x of shape \(None, 3, 5, 3\) has 3 channels"):
        K.conv2d(K.placeholder(shape=(None, 5, 3, 3)), K.placeholder(shape=(3, 3, 2, 4)), dim_ordering='tf')
    with pytest.raises(ShapeError, match=r'conv2d: kernel must be 4-D; got shape \(3, 3, 3\)'):
        K.conv2d(x, K.placeholder(shape=(3, 3, 3)))
    with pytest.raises(ValueError, match="conv2d: border_mode must be one of 'valid', 'same', 'full'; got 'half'"):
        K.conv2d(x, K.placeholder(shape=(4, 3, 1, 1)), border_mode='half')
    with pytest.raises(ValueError, match='conv2d: unknown dim_ordering'):
        K.conv2d(x, K.placeholder(shape=(4, 3, 1, 1)), dim_ordering='xy')
    with pytest.raises(ValueError, match='conv3d: strides must be 3 whole numbers >= 1'):
        K.conv3d(K.placeholder(ndim=5), K.placeholder(ndim=5), strides=(1, 0, 1))
    with pytest.raises(ShapeError, match=r'conv2d: image_shape \(None, 3, 9, 9\) does not match'):
        K.conv2d(x, K.placeholder(shape=(4, 3, 1, 1)), image_shape=(None, 3, 9, 9))
    with pytest.raises(ValueError, match="separable_conv2d: border_mode must be one of 'valid', 'same'"):
        K.separable_conv2d(x, K.placeholder(ndim=4), K.placeholder(ndim=4), border_mode='full')


def test_errors_of_shapes_known_only_at_run_time():
    x, w = K.placeholder(ndim=4), K.placeholder(ndim=4)
    f = K.function([x, w], [K.conv2d(x, w)])
    with pytest.raises(ShapeError, match=r'conv2d: x of shape \(1, 1, 2, 2\) is smaller than the kernel of shape '
                                         r'\(1, 1, 3, 3\)'):
        f([np.zeros((1, 1, 2, 2), 'float32'), np.zeros((1, 1, 3, 3), 'float32')])
    g = K.function([x, w], [K.deconv2d(x, w, (None, 2, 7, 7), (2, 2))])
    with pytest.raises(ShapeError, match=r'deconv2d.*output gradient of shape \(1, 3, 4, 4\) does not fit.*'
                                         r'output has shape \(1, 3, 3, 3\)'):
        g([np.zeros((1, 3, 4, 4), 'float32'), np.zeros((2, 3, 3, 3), 'float32')])
    with pytest.raises(ShapeError, match=r'deconv2d.*output_shape has 5 channels but the kernel makes 2'):
        K.deconv2d(x, K.placeholder(shape=(2, 3, 3, 3)), (None, 5, 7, 7))


def test_kernel_gradient_reference_of_no_samples():
    """ConvKernelGrad's numpy reference (used for constant folding) gives zeros for batch 0."""
    from symkeras.backend.ops.conv_ops import ConvKernelGrad
    op = ConvKernelGrad((1, 1), (1, 1), 'valid')
    gw = op.ref(np.zeros((0, 2, 5, 5), 'float32'), np.zeros((0, 3, 3, 3), 'float32'), np.array([3, 3]))
    np.testing.assert_array_equal(gw, np.zeros((3, 2, 3, 3), 'float32'))
