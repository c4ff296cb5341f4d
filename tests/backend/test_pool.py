"""K.pool2d / K.pool3d (ops/pool.py, csrc/kernels/pool.cpp) against direct numpy loops written
here from Keras 1.2.2's Theano definition; gradients against finite differences (float64)."""
import itertools

import numpy as np
import pytest

import symkeras._core as core
import symkeras.backend as K
from opcheck import check_grad, check_value
from symkeras.backend.graph import ShapeError
from symkeras.backend.ops.pool import Pool, PoolGrad, PoolSelect


# ----------------------------------------------------------------------------- references

def keras_same_pad(k):
    """Keras 1.2.2 theano_backend.pool2d, border_mode 'same'."""
    return k - 2 if k > 2 and k % 2 == 1 else k - 1


def windows(shape, pool, strides, border_mode):
    """Per spatial dim, the [lo, hi) input range of each output (padding excluded)."""
    out = []
    for n, k, s in zip(shape, pool, strides):
        p = keras_same_pad(k) if border_mode == 'same' else 0
        length = (n + 2 * p - k) // s + 1
        if border_mode == 'same':
            length = min(length, -(-n // s))
        out.append([(max(i * s - p, 0), min(i * s - p + k, n)) for i in range(length)])
    return out


def channels_first(x, ordering):
    return np.moveaxis(x, -1, 1) if ordering == 'tf' else x


def to_ordering(y, ordering):
    return np.moveaxis(y, 1, -1) if ordering == 'tf' else y


def ref_pool(x, pool, strides, border_mode, ordering, mode):
    xt = channels_first(np.asarray(x), ordering)
    wins = windows(xt.shape[2:], pool, strides, border_mode)
    y = np.zeros(xt.shape[:2] + tuple(len(w) for w in wins), x.dtype)
    for n, c in np.ndindex(*xt.shape[:2]):
        for out in itertools.product(*[range(len(w)) for w in wins]):
            region = xt[(n, c) + tuple(slice(*wins[j][i]) for j, i in enumerate(out))]
            y[(n, c) + out] = region.max() if mode == 'max' else region.sum() / region.size
    return to_ordering(y, ordering)


def ref_max_scatter(x, g, pool, strides, border_mode, ordering):
    """The gradient of max pooling: each output gradient to the FIRST maximum of its window."""
    xt, gt = channels_first(x, ordering), channels_first(g, ordering)
    wins = windows(xt.shape[2:], pool, strides, border_mode)
    gx = np.zeros_like(xt)
    for n, c in np.ndindex(*xt.shape[:2]):
        for out in itertools.product(*[range(len(w)) for w in wins]):
            lo = [wins[j][i][0] for j, i in enumerate(out)]
            sl = tuple(slice(*wins[j][i]) for j, i in enumerate(out))
            at = np.unravel_index(np.argmax(xt[(n, c) + sl]), xt[(n, c) + sl].shape)
            gx[(n, c) + tuple(a + b for a, b in zip(lo, at))] += gt[(n, c) + out]
    return to_ordering(gx, ordering)


def distinct(shape, seed=0):
    """float64 values at least 0.1 apart (no ties: the max stays put under finite differences)."""
    rng = np.random.RandomState(seed)
    return (rng.permutation(int(np.prod(shape))) * 0.1 - 3).reshape(shape)


def shape_of(n, c, spatial, ordering):
    return (n,) + spatial + (c,) if ordering == 'tf' else (n, c) + spatial


# ----------------------------------------------------------------------------- values

CASES_2D = [   # spatial, pool, strides: strides smaller than, equal to and larger than the pool
    ((5, 7), (2, 2), (1, 1)),
    ((6, 6), (2, 2), (2, 2)),
    ((7, 5), (3, 2), (3, 2)),
    ((9, 8), (2, 3), (3, 4)),
    ((5, 5), (3, 3), (2, 1)),
    ((4, 6), (4, 5), (1, 2)),
    ((3, 1), (1, 1), (2, 1)),
    ((3, 37), (2, 3), (1, 2)),     # long rows: the kernels' vector blocks, the last overlapping
    ((4, 40), (2, 2), (2, 2)),
    ((2, 29), (1, 4), (1, 3)),
]


@pytest.mark.parametrize('mode', ['max', 'avg'])
@pytest.mark.parametrize('border_mode', ['valid', 'same'])
@pytest.mark.parametrize('ordering', ['th', 'tf'])
def test_pool2d_values(mode, border_mode, ordering):
    rng = np.random.RandomState(1)
    for spatial, pool, strides in CASES_2D:
        x = rng.randn(*shape_of(2, 3, spatial, ordering)).astype('float32')
        check_value(lambda t: K.pool2d(t, pool, strides, border_mode, ordering, mode),
                    lambda a: ref_pool(a, pool, strides, border_mode, ordering, mode), x,
                    dtype='float32')


@pytest.mark.parametrize('mode', ['max', 'avg'])
@pytest.mark.parametrize('ordering', ['th', 'tf'])
def test_pool3d_values(mode, ordering):
    rng = np.random.RandomState(2)
    for spatial, pool, strides, border_mode in [((4, 5, 3), (2, 2, 2), (2, 2, 2), 'valid'),
                                                ((5, 4, 6), (3, 2, 2), (1, 2, 3), 'same'),
                                                ((3, 3, 3), (1, 3, 2), (2, 1, 1), 'same')]:
        x = rng.randn(*shape_of(2, 3, spatial, ordering))
        check_value(lambda t: K.pool3d(t, pool, strides, border_mode, ordering, mode),
                    lambda a: ref_pool(a, pool, strides, border_mode, ordering, mode), x,
                    dtype='float64')


def test_same_padding_follows_keras_theano():
    """k = s = 2 on 4 elements: windows {0}, {1, 2}; element 3 is never pooled (Theano's
    padding of 1 on each side, cropped to ceil(4 / 2))."""
    x = np.arange(16, dtype='float32').reshape(1, 1, 4, 4)
    y = K.eval(K.pool2d(K.variable(x), (2, 2), (2, 2), 'same', 'th', 'avg'))
    np.testing.assert_allclose(y[0, 0], [[0, 1.5], [6, 7.5]])
    assert K.pool2d(K.variable(x), (4, 4), (1, 1), 'same', 'th').node.shape == (1, 1, 4, 4)


def test_default_ordering_is_the_configured_one():
    x = np.random.RandomState(3).rand(1, 2, 4, 4).astype('float32')
    old = K.image_dim_ordering()
    try:
        K.set_image_dim_ordering('tf')
        y = K.eval(K.pool2d(K.variable(x), (2, 2), (2, 2)))
    finally:
        K.set_image_dim_ordering(old)
    np.testing.assert_allclose(y, ref_pool(x, (2, 2), (2, 2), 'valid', 'tf', 'max'))


def test_batch_one_and_empty_batch():
    rng = np.random.RandomState(4)
    for n in (1, 0):
        for ordering in ('th', 'tf'):
            x = rng.randn(*shape_of(n, 3, (5, 4), ordering)).astype('float32')
            for mode in ('max', 'avg'):
                check_value(lambda t: K.pool2d(t, (2, 2), (2, 1), 'same', ordering, mode),
                            lambda a: ref_pool(a, (2, 2), (2, 1), 'same', ordering, mode), x)
                p = K.placeholder(shape=(None,) + x.shape[1:])
                g = K.gradients(K.sum(K.pool2d(p, (2, 2), (2, 1), 'same', ordering, mode)), [p])[0]
                assert K.function([p], [g])([x])[0].shape == x.shape


def test_integer_input_pools_as_floatx():
    x = np.arange(16, dtype='int32').reshape(1, 1, 4, 4)
    y = K.eval(K.pool2d(K.variable(x, dtype='int32'), (2, 2), (2, 2), pool_mode='avg', dim_ordering='th'))
    assert y.dtype == np.float32
    np.testing.assert_allclose(y[0, 0], [[2.5, 4.5], [10.5, 12.5]])


def test_nan_wins_the_maximum():
    x = np.array([[[[1., np.nan], [3., 2.]]]], dtype='float32')
    y = K.eval(K.pool2d(K.variable(x), (2, 2), (2, 2), dim_ordering='th'))
    assert np.isnan(y).all()


def test_constant_input_folds_average_and_computes_max():
    x = np.random.RandomState(5).rand(2, 3, 5, 5)
    avg = K.pool2d(x, (2, 2), (2, 2), 'same', 'th', 'avg')
    assert avg.node.value is not None
    np.testing.assert_allclose(avg.node.value, ref_pool(x.astype('float32'), (2, 2), (2, 2), 'same', 'th', 'avg'),
                               rtol=1e-6)
    mx = K.pool2d(x, (3, 3), (2, 2), 'same', 'tf', 'max')
    np.testing.assert_allclose(K.eval(mx), ref_pool(x.astype('float32'), (3, 3), (2, 2), 'same', 'tf', 'max'))


# ----------------------------------------------------------------------------- gradients

@pytest.mark.parametrize('mode', ['max', 'avg'])
@pytest.mark.parametrize('ordering', ['th', 'tf'])
def test_pool2d_gradient(mode, ordering):
    for spatial, pool, strides, border_mode in [((5, 4), (2, 2), (1, 1), 'valid'),
                                                ((5, 5), (3, 2), (2, 2), 'same'),
                                                ((6, 3), (2, 3), (3, 2), 'same'),
                                                ((2, 21), (2, 2), (1, 2), 'same')]:
        x = distinct(shape_of(2, 2, spatial, ordering))
        check_grad(lambda t: K.pool2d(t, pool, strides, border_mode, ordering, mode), x)


@pytest.mark.parametrize('mode', ['max', 'avg'])
def test_pool3d_gradient(mode):
    for ordering, border_mode in [('th', 'same'), ('tf', 'valid')]:
        x = distinct(shape_of(1, 2, (3, 4, 3), ordering))
        check_grad(lambda t: K.pool3d(t, (2, 2, 2), (1, 2, 1), border_mode, ordering, mode), x)


@pytest.mark.parametrize('ordering', ['th', 'tf'])
@pytest.mark.parametrize('spatial', [(7, 6), (4, 33)])
def test_max_gradient_is_the_scatter_to_the_argmax(ordering, spatial):
    """Overlapping windows (stride < pool) accumulate; ties go to the first maximum."""
    rng = np.random.RandomState(6)
    x = rng.randint(0, 3, size=shape_of(3, 4, spatial, ordering)).astype('float64')   # many ties
    for pool, strides, border_mode in [((3, 2), (1, 1), 'valid'), ((2, 2), (2, 2), 'same'),
                                       ((3, 3), (2, 1), 'same')]:
        p = K.placeholder(shape=(None,) * 4, dtype='float64')
        y = K.pool2d(p, pool, strides, border_mode, ordering, 'max')
        out_shape = ref_pool(x, pool, strides, border_mode, ordering, 'max').shape
        w = rng.randn(*out_shape)
        g = K.function([p], K.gradients(K.sum(y * K.variable(w, dtype='float64')), [p]))([x])[0]
        np.testing.assert_allclose(g, ref_max_scatter(x, w, pool, strides, border_mode, ordering),
                                   rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize('mode', ['max', 'avg'])
@pytest.mark.parametrize('ordering', ['th', 'tf'])
def test_second_order(mode, ordering):
    """The pooling gradient differentiated with respect to the output gradient (max: reading
    at the argmax, PoolSelect), and that once more (PoolGrad again)."""
    x = distinct(shape_of(1, 2, (5, 4), ordering))

    def dx(t, g):
        return K.gradients(K.sum(K.pool2d(t, (2, 2), (2, 1), 'same', ordering, mode) * g), [t])[0]

    g = np.random.RandomState(7).randn(*ref_pool(x, (2, 2), (2, 1), 'same', ordering, mode).shape)
    check_grad(dx, x, g, wrt=[1])
    h = np.random.RandomState(8).randn(*x.shape)
    check_grad(lambda t, u, v: K.gradients(K.sum(dx(t, u) * v), [u])[0], x, g, h, wrt=[2])


def test_numpy_references_of_the_gradient_ops():
    """PoolGrad.ref and PoolSelect.ref (constant folding) agree with the loops above."""
    rng = np.random.RandomState(9)
    for ordering in ('th', 'tf'):
        x = distinct(shape_of(2, 3, (5, 6), ordering))
        op = Pool('max', (3, 2), (2, 2), (1, 1), True, ordering == 'tf')
        y = ref_pool(x, (3, 2), (2, 2), 'same', ordering, 'max')
        g = rng.randn(*y.shape)
        xt, yt = channels_first(x, ordering), channels_first(y, ordering)
        flat = xt.reshape(xt.shape[:2] + (-1,))
        index = np.array([[[np.flatnonzero(flat[n, c] == v)[0] for v in yt[n, c].ravel()]
                           for c in range(xt.shape[1])] for n in range(xt.shape[0])])
        index = to_ordering(index.reshape(yt.shape), ordering).astype('int32')
        np.testing.assert_allclose(PoolGrad(op).ref(np.array(x.shape), g, index),
                                   ref_max_scatter(x, g, (3, 2), (2, 2), 'same', ordering))
        np.testing.assert_array_equal(PoolSelect(op).ref(x, index), y)
        avg = Pool('avg', (3, 2), (2, 2), (1, 1), True, ordering == 'tf')
        check = PoolGrad(avg).ref(np.array(x.shape), g, None)
        # the adjoint of average pooling: <avg(x), g> == <x, avg_grad(g)>
        np.testing.assert_allclose(np.sum(ref_pool(x, (3, 2), (2, 2), 'same', ordering, 'avg') * g),
                                   np.sum(x * check))


# ----------------------------------------------------------------------------- Keras 1-D pooling

@pytest.mark.parametrize('mode', ['max', 'avg'])
@pytest.mark.parametrize('border_mode', ['valid', 'same'])
def test_1d_pooling_as_keras_layers_build_it(mode, border_mode):
    """MaxPooling1D/AveragePooling1D: expand_dims(x, 2), pool2d 'tf' with (length, 1), squeeze."""
    def pool1d(t):
        y = K.pool2d(K.expand_dims(t, 2), (3, 1), (2, 1), border_mode, 'tf', mode)
        return K.squeeze(y, 2)

    x = distinct((2, 9, 5))
    ref = ref_pool(x[:, :, None, :], (3, 1), (2, 1), border_mode, 'tf', mode)[:, :, 0, :]
    check_value(pool1d, lambda a: ref, x)
    check_grad(pool1d, x)


# ----------------------------------------------------------------------------- kernels

def test_random_shapes_and_non_contiguous_inputs():
    """Random geometries, fed through a transposition and a reversed slice (the runtime hands
    the kernel the materialised copy), forward and backward."""
    rng = np.random.RandomState(10)
    for trial in range(12):
        nd = 2 + trial % 2
        ordering = ('th', 'tf')[trial // 2 % 2]
        mode = ('max', 'avg')[trial // 4 % 2]
        pool = tuple(rng.randint(1, 4, nd))
        strides = tuple(rng.randint(1, 4, nd))
        border_mode = ('valid', 'same')[rng.randint(2)]
        spatial = tuple(int(k) + rng.randint(0, 5) for k in pool[:-1]) + (int(pool[-1]) + rng.randint(0, 30),)
        c = int(rng.choice([1, 3, 70]))
        x = distinct(shape_of(rng.randint(1, 3), c, spatial, ordering), seed=trial)
        raw = np.ascontiguousarray(np.swapaxes(x, 0, 1)[:, ::-1])   # x = swapaxes(raw[:, ::-1])
        fn = K.pool2d if nd == 2 else K.pool3d
        p = K.placeholder(shape=(None,) * x.ndim, dtype='float64')
        t = K.permute_dimensions(p[:, ::-1], (1, 0) + tuple(range(2, x.ndim)))
        y = fn(t, pool, strides, border_mode, ordering, mode)
        w = rng.randn(*ref_pool(x, pool, strides, border_mode, ordering, mode).shape)
        got, g = K.function([p], [y, K.gradients(K.sum(y * K.variable(w, dtype='float64')), [p])[0]])([raw])
        np.testing.assert_allclose(got, ref_pool(x, pool, strides, border_mode, ordering, mode), rtol=1e-12)
        if mode == 'max':
            expect = ref_max_scatter(x, w, pool, strides, border_mode, ordering)
            np.testing.assert_allclose(np.swapaxes(g[:, ::-1], 0, 1), expect, rtol=1e-12, atol=1e-12)


def test_parallel_matches_serial():
    rng = np.random.RandomState(11)
    policy, threads = core.parallel_policy(), core.get_num_threads()
    cases = []
    for ordering, c in (('th', 5), ('tf', 150)):
        p = K.placeholder(shape=(None,) * 4)
        outs = []
        for mode in ('max', 'avg'):
            y = K.pool2d(p, (3, 2), (2, 1), 'same', ordering, mode)
            outs += [y, K.gradients(K.sum(y * y), [p])[0]]
        cases.append((p, outs, rng.randn(*shape_of(3, c, (9, 8), ordering)).astype('float32')))
    try:
        results = []
        for pol, nt in (((1 << 40, 1 << 40, 1e30), 1), ((64, 64, 1e3), 2)):
            core.set_parallel_policy(*pol)
            core.set_num_threads(nt)
            results.append([K.function([p], outs)([x]) for p, outs, x in cases])
    finally:
        core.set_parallel_policy(*policy)
        core.set_num_threads(threads)
    for serial, parallel in zip(*results):
        for s, q in zip(serial, parallel):
            np.testing.assert_array_equal(s, q)


# ----------------------------------------------------------------------------- errors

def test_pool_larger_than_input_names_both_shapes():
    x = K.placeholder(shape=(None, 3, 2, 5))
    with pytest.raises(ShapeError, match=r'max_pool2d: pool_size \(3, 3\) is larger than the input.*'
                                         r'\(None, 3, 2, 5\).*spatial shape \(2, 5\)'):
        K.pool2d(x, (3, 3), dim_ordering='th')
    y = K.placeholder(shape=(None, 3, None, None))
    f = K.function([y], [K.pool2d(y, (3, 3), pool_mode='avg', dim_ordering='th')])
    with pytest.raises(ShapeError, match=r'avg_pool2d: pool_size \(3, 3\).*\(1, 3, 4, 2\)'):
        f([np.zeros((1, 3, 4, 2), 'float32')])
    with pytest.raises(ShapeError, match=r'max_pool3d: pool_size \(2, 2, 4\).*\(1, 3, 3, 2, 3\) \(batch, '
                                         r'dim1, dim2, dim3, channels\) has spatial shape \(3, 3, 2\)'):
        K.pool3d(K.placeholder(shape=(1, 3, 3, 2, 3)), (2, 2, 4), dim_ordering='tf')


def test_bad_arguments_are_named():
    x = K.placeholder(shape=(2, 3, 4, 4))
    with pytest.raises(ValueError, match="pool2d: invalid pool_mode 'sum'"):
        K.pool2d(x, (2, 2), pool_mode='sum')
    with pytest.raises(ValueError, match="pool3d: invalid border_mode 'full'"):
        K.pool3d(K.placeholder(shape=(2, 3, 4, 4, 4)), (2, 2, 2), border_mode='full')
    with pytest.raises(ValueError, match="pool2d: unknown dim_ordering 'nchw'"):
        K.pool2d(x, (2, 2), dim_ordering='nchw')
    with pytest.raises(ValueError, match=r'pool2d: pool_size must be 2 positive ints; got \(2, 0\)'):
        K.pool2d(x, (2, 0))
    with pytest.raises(ValueError, match=r'pool2d: strides must be 2 positive ints; got \(1, 1, 1\)'):
        K.pool2d(x, (2, 2), strides=(1, 1, 1))
    with pytest.raises(ShapeError, match=r'max_pool3d: x must be 5-D \(batch, channels, dim1, dim2, '
                                         r'dim3\); got shape \(2, 3, 4, 4\)'):
        K.pool3d(x, (2, 2, 2), dim_ordering='th')
