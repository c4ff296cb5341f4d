"""Reductions: values and dtypes against numpy over every kind of axis argument, keepdims both
ways, sizes 0, 1 and odd; gradients against finite differences; prod's gradient with zeros;
max/min gradients with ties; the prod_others kernel over random shapes; errors."""
import warnings

import numpy as np
import pytest

import symkeras.backend as K
from symkeras import _core
from symkeras.backend.graph import ShapeError, make
from symkeras.backend.ops.reduce import ProdOthers
from opcheck import check_grad, check_value, evaluate

SHAPES = [(), (1,), (5,), (0,), (1, 1), (2, 3), (3, 0), (0, 4), (3, 1, 5), (2, 3, 4)]
DTYPES = ['float32', 'float64', 'int32', 'int64', 'uint8', 'bool']


def axis_choices(ndim):
    """None, every axis as a positive and a negative int, the empty tuple, a list of one, a
    tuple of two non-adjacent axes, every axis as a tuple."""
    out = [None, ()]
    for a in range(ndim):
        out += [a, a - ndim]
    if ndim:
        out += [[ndim - 1], tuple(range(ndim))]
    if ndim >= 3:
        out += [(0, -1), [2, 0]]
    return out


def data(shape, dtype, rng):
    if dtype == 'bool':
        return np.asarray(rng.rand(*shape) > 0.5)
    if dtype in ('int32', 'int64', 'uint8'):
        return rng.randint(0, 4, shape).astype(dtype)
    return rng.uniform(-2, 2, shape).astype(dtype)


def np_axis(axis):
    return tuple(axis) if isinstance(axis, list) else axis


def ref_sum(fn):
    """numpy's sum/prod with symkeras' result types: integer and bool in int64."""
    def ref(x, axis, keepdims):
        y = fn(x, axis=np_axis(axis), keepdims=keepdims)
        return np.asarray(y, dtype=x.dtype if x.dtype.kind == 'f' else 'int64')
    return ref


def ref_float(fn):
    """numpy's mean/var/std with integer inputs in floatx."""
    def ref(x, axis, keepdims):
        xf = x if x.dtype.kind == 'f' else x.astype(K.floatx())
        with np.errstate(all='ignore'), warnings.catch_warnings():
            warnings.simplefilter('ignore', RuntimeWarning)     # mean of an empty slice: NaN
            return np.asarray(fn(xf, axis=np_axis(axis), keepdims=keepdims), dtype=xf.dtype)
    return ref


def ref_same(fn, dtype=None):
    def ref(x, axis, keepdims):
        return np.asarray(fn(x, axis=np_axis(axis), keepdims=keepdims), dtype=dtype or x.dtype)
    return ref


REDUCTIONS = {
    'sum': (K.sum, ref_sum(np.sum)),
    'prod': (K.prod, ref_sum(np.prod)),
    'mean': (K.mean, ref_float(np.mean)),
    'var': (K.var, ref_float(np.var)),
    'std': (K.std, ref_float(np.std)),
    'max': (K.max, ref_same(np.max)),
    'min': (K.min, ref_same(np.min)),
    'any': (K.any, ref_same(np.any, 'bool')),
    'all': (K.all, ref_same(np.all, 'bool')),
}


def reduces_empty_axis(shape, axis):
    axes = range(len(shape)) if axis is None else (
        axis if isinstance(axis, (list, tuple)) else [axis])
    return any(shape[a] == 0 for a in axes)


@pytest.mark.parametrize('name', sorted(REDUCTIONS))
def test_values_and_dtypes(name):
    fn, ref = REDUCTIONS[name]
    rng = np.random.RandomState(0)
    for shape in SHAPES:
        for dtype in DTYPES:
            x = data(shape, dtype, rng)
            for axis in axis_choices(len(shape)):
                if name in ('max', 'min') and reduces_empty_axis(shape, axis):
                    continue
                for keepdims in (False, True):
                    expected = ref(x, axis, keepdims)
                    check_value(lambda t: fn(t, axis=axis, keepdims=keepdims),
                                lambda a: expected, x, dtype=expected.dtype, rtol=1e-4, atol=1e-5,
                                dynamic_batch=(dtype == 'float32'))


def test_result_dtypes_follow_numpy_and_keras():
    i = K.placeholder((2, 3), dtype='int32')
    b = K.placeholder((2, 3), dtype='bool')
    f = K.placeholder((2, 3), dtype='float32')
    assert K.sum(i).dtype == 'int64' and K.prod(b, 0).dtype == 'int64'
    assert K.sum(f).dtype == 'float32' and K.prod(f).dtype == 'float32'
    assert K.mean(i).dtype == K.floatx() and K.std(b, 1).dtype == K.floatx()
    assert K.max(i).dtype == 'int32' and K.min(b).dtype == 'bool'
    assert K.any(f).dtype == 'bool' and K.all(i, 1).dtype == 'bool'
    assert K.argmax(f).dtype == 'int64' and K.argmin(i, 0).dtype == 'int64'


@pytest.mark.parametrize('fn, npfn', [(K.argmax, np.argmax), (K.argmin, np.argmin)])
def test_argmax_argmin(fn, npfn):
    rng = np.random.RandomState(1)
    for shape in [(1,), (7,), (1, 1), (3, 5), (2, 3, 4), (3, 0)]:
        for dtype in DTYPES:
            x = data(shape, dtype, rng)      # small integers: ties, where the first index wins
            for axis in [None] + list(range(-len(shape), len(shape))):
                if reduces_empty_axis(shape, axis):
                    continue
                expected = np.asarray(npfn(x, axis=axis), dtype='int64')
                check_value(lambda t: fn(t, axis=axis), lambda a: expected, x, dtype='int64',
                            dynamic_batch=(dtype == 'float32'))


def test_nan_wins_max_and_argmax():
    x = np.array([[1., np.nan, 3.], [2., 5., 4.]])
    check_value(lambda t: K.max(t, axis=1), lambda a: np.max(a, axis=1), x)
    check_value(lambda t: K.argmax(t, axis=1), lambda a: np.argmax(a, axis=1), x)


def test_empty_reductions_have_identities():
    x = np.zeros((0, 3))
    check_value(lambda t: K.sum(t, 0), lambda a: np.zeros(3), x)
    check_value(lambda t: K.prod(t, 0, keepdims=True), lambda a: np.ones((1, 3)), x)
    check_value(lambda t: K.any(t), lambda a: np.array(False), x)
    check_value(lambda t: K.all(t, 0), lambda a: np.ones(3, bool), x)
    check_value(lambda t: K.max(t, 1), lambda a: np.zeros(0), x)   # nothing reduced is empty


def test_max_of_empty_axis_is_an_error():
    with pytest.raises(ShapeError, match=r'max over axis 0 of a tensor of shape \(0, 3\)'):
        K.max(K.placeholder((0, 3)), axis=0)
    with pytest.raises(ShapeError, match='argmin over axis 1'):
        K.argmin(K.placeholder((2, 0)), axis=1)
    with pytest.raises(ShapeError, match=r'min over axis 0 of a tensor of shape \(0, 3\)'):
        evaluate(lambda t: K.min(t), np.zeros((0, 3)), dynamic_batch=True)


@pytest.mark.parametrize('fn', [K.sum, K.prod, K.mean, K.max, K.min, K.any, K.all, K.var, K.std])
def test_bad_axis_is_an_error_naming_axis_and_shape(fn):
    x = K.placeholder((None, 3))
    name = fn.__name__
    with pytest.raises(ShapeError, match=r'%s: axis 2 is out of range for a tensor of shape '
                                         r'\(None, 3\)' % name):
        fn(x, axis=2)
    with pytest.raises(ShapeError, match=r'axis -3 is out of range'):
        fn(x, axis=[0, -3])
    with pytest.raises(ShapeError, match=r'names dimension 1 twice'):
        fn(x, axis=(1, -1))
    with pytest.raises(TypeError, match='axis must be None, an int or a list of ints'):
        fn(x, axis=1.5)


def test_argmax_axis_errors():
    with pytest.raises(TypeError, match='argmax: axis must be an int or None'):
        K.argmax(K.placeholder((2, 3)), axis=(0, 1))
    with pytest.raises(ShapeError, match=r'argmin: axis -1 is out of range for a tensor of shape \(\)'):
        K.argmin(K.placeholder(()))
    with pytest.raises(ShapeError, match=r'argmax: axis 2 is out of range for a tensor of shape \(2, 3\)'):
        K.argmax(K.placeholder((2, 3)), axis=2)


def test_mean_counts_the_run_time_shape():
    x = K.placeholder((None, None, 2))
    f = K.function([x], [K.mean(x, axis=(0, 2)), K.var(x, axis=[1], keepdims=True), K.mean(x)])
    rng = np.random.RandomState(2)
    for shape in [(3, 4, 2), (1, 7, 2), (5, 1, 2)]:
        a = rng.rand(*shape).astype('float32')
        m, v, total = f([a])
        np.testing.assert_allclose(m, a.mean(axis=(0, 2)), rtol=1e-5)
        np.testing.assert_allclose(v, a.var(axis=1, keepdims=True), rtol=1e-4, atol=1e-7)
        np.testing.assert_allclose(total, a.mean(), rtol=1e-5)


GRAD_CASES = [((5,), None), ((1,), 0), ((3, 4), 1), ((3, 4), -2), ((2, 3, 5), (0, 2)),
              ((2, 3, 5), [1, 2]), ((3, 1, 4), None), ((2, 3, 4), -1)]


@pytest.mark.parametrize('name', ['sum', 'prod', 'mean', 'var', 'std', 'max', 'min'])
def test_gradients(name):
    fn = getattr(K, name)
    rng = np.random.RandomState(3)
    for shape, axis in GRAD_CASES:
        if name == 'std' and shape == (1,):
            continue      # sqrt at a zero variance: the gradient is NaN, as in Theano
        # distinct magnitudes away from 0 keep max/min and std differentiable at the point
        x = rng.permutation(np.arange(1, np.prod(shape) + 1)).reshape(shape) / 7. + 0.1
        x *= rng.choice([-1, 1], shape) if name != 'std' else 1
        for keepdims in (False, True):
            check_grad(lambda t: fn(t, axis=axis, keepdims=keepdims), x, rtol=1e-5, atol=1e-7)


def test_prod_gradient_with_zeros():
    x = np.array([[0., 2., 3., -1.5],     # one zero: only it gets a non-zero gradient
                  [0., 4., 0., 2.],       # two zeros: the gradient is zero everywhere
                  [1.5, -2., 0.5, 3.]])   # no zero
    for axis in (1, None, (0, 1)):
        check_grad(lambda t: K.prod(t, axis=axis), x)
    y = np.arange(24.).reshape(2, 3, 4) / 10. - 0.4     # holds one exact zero (index 4)
    y[1, 2, 3] = 0.
    for axis in ((0, 2), (0,), (1, 2), None):
        check_grad(lambda t: K.prod(t, axis=axis, keepdims=True), y)


def test_prod_gradient_float32_non_adjacent_axes_matches_products_of_others():
    rng = np.random.RandomState(4)
    x = rng.uniform(0.5, 1.5, (3, 2, 4, 5)).astype('float32')
    x[0, 1, 2, 3] = 0
    t = K.placeholder((None, 2, None, 5))
    g = K.function([t], K.gradients(K.sum(K.prod(t, axis=(1, 3))), [t]))([x])[0]
    np.testing.assert_allclose(g, others_bruteforce(x, (1, 3)), rtol=1e-5, atol=1e-6)


def test_prod_is_differentiable_once():
    x = K.placeholder((3, 4), dtype='float64')
    g = K.gradients(K.sum(K.prod(x, axis=1)), [x])[0]
    with pytest.raises(TypeError, match='prod can be differentiated only once'):
        K.gradients(K.sum(g), [x])


@pytest.mark.parametrize('fn, pick', [(K.max, np.max), (K.min, np.min)])
def test_extremum_gradient_goes_to_every_tie(fn, pick):
    x = np.array([[3., 1., 3., 2.], [0., 0., 0., 0.], [-1., 5., 2., 5.]])
    w = np.array([0.5, -2., 3.])
    t = K.placeholder((None, 4), dtype='float64')
    loss = K.sum(fn(t, axis=1) * K.variable(w, dtype='float64'))
    g = K.function([t], K.gradients(loss, [t]))([x])[0]
    expected = (x == pick(x, axis=1, keepdims=True)) * w[:, None]
    np.testing.assert_array_equal(g, expected)


def test_integer_reductions_have_no_gradient_but_do_not_block_float_paths():
    x = K.placeholder((3,), dtype='float64')
    loss = K.sum(x * K.cast(K.argmax(x, axis=0), 'float64')) + K.sum(K.cast(K.any(x > 0), 'float64'))
    g = K.function([x], K.gradients(loss, [x]))([np.array([1., 4., 2.])])[0]
    np.testing.assert_array_equal(g, [1., 1., 1.])


# ----------------------------------------------------------------------------- prod_others kernel

def others_bruteforce(x, axes):
    """For each element, the product of the other elements of its group (by deletion)."""
    x64 = x.astype(np.float64)
    out = np.empty_like(x64)
    for idx in np.ndindex(x.shape):
        sel = tuple(slice(None) if i in axes else k for i, k in enumerate(idx))
        group = np.array(x64[sel])
        group[tuple(idx[i] for i in axes)] = 1.
        out[idx] = np.prod(group)
    return out.astype(x.dtype)


def test_prod_others_kernel_random_shapes():
    rng = np.random.RandomState(5)
    for trial in range(40):
        ndim = rng.randint(1, 5)
        shape = tuple(int(d) for d in rng.choice([0, 1, 2, 3, 5], ndim))
        axes = tuple(sorted(rng.choice(ndim, rng.randint(0, ndim + 1), replace=False).tolist()))
        dtype = ['float32', 'float64'][trial % 2]
        x = rng.uniform(-1.5, 1.5, shape).astype(dtype)
        x[rng.rand(*shape) < 0.15] = 0
        expected = others_bruteforce(x, axes)
        np.testing.assert_allclose(ProdOthers(axes).ref(x), expected, rtol=1e-6, atol=1e-12)
        check_value(lambda t: make(ProdOthers(axes), t), lambda a: expected, x,
                    dtype=dtype, rtol=1e-6, atol=1e-12)


def test_prod_others_parallel_path():
    rng = np.random.RandomState(6)
    x = rng.uniform(0.9, 1.1, (130, 7, 90)).astype('float32')    # above the OpenMP threshold
    x[3, 2, 5] = 0
    for axes in [(1,), (0, 2)]:
        got = evaluate(lambda t: make(ProdOthers(axes), t), x)
        np.testing.assert_allclose(got, ProdOthers(axes).ref(x), rtol=1e-5, atol=1e-7)


def test_large_reductions_match_numpy():
    rng = np.random.RandomState(7)
    x = rng.uniform(-1, 1, (300, 301)).astype('float32')     # above the OpenMP threshold
    s, m, a, p = evaluate(lambda t: [K.sum(t, 0), K.max(t, 1), K.argmin(t, 0), K.mean(t)], x,
                          dynamic_batch=True)
    np.testing.assert_allclose(s, x.astype(np.float64).sum(0), rtol=1e-5, atol=1e-5)
    np.testing.assert_array_equal(m, x.max(1))
    np.testing.assert_array_equal(a, x.argmin(0))
    np.testing.assert_allclose(p, x.astype(np.float64).mean(), rtol=1e-5, atol=1e-7)


def test_reductions_of_sliced_and_reversed_tensors():
    rng = np.random.RandomState(8)
    x = rng.uniform(-1, 1, (5, 6, 7))
    view = (slice(None, None, -1), slice(1, None, 2), slice(None))
    check_value(lambda t: K.sum(t[view], axis=(0, 2)), lambda a: a[view].sum(axis=(0, 2)), x)
    check_value(lambda t: K.max(t[view], axis=1, keepdims=True),
                lambda a: a[view].max(axis=1, keepdims=True), x)
    check_value(lambda t: K.argmin(t[view], axis=0), lambda a: a[view].argmin(axis=0), x)
    check_grad(lambda t: K.prod(t[view], axis=(0, 2)), x[:3, :4, :2])


@pytest.mark.parametrize('name', ['sum', 'prod', 'mean', 'var', 'std', 'max', 'min'])
def test_gradients_with_dimensions_unknown_until_run_time(name):
    """The gradient graph built on (None, None, None) agrees with the one on static shapes,
    which test_gradients checks against finite differences."""
    fn = getattr(K, name)
    x = np.random.RandomState(9).uniform(0.5, 2, (3, 4, 5))
    x[0, 1, 2] = 0 if name == 'prod' else x[0, 1, 2]
    results = []
    for shape in [(None, None, None), x.shape]:
        t = K.placeholder(shape, dtype='float64')
        for axis, keepdims in [((0, 2), False), (1, True), (None, False)]:
            loss = K.sum(K.square(fn(t, axis=axis, keepdims=keepdims)))
            results.append(K.function([t], K.gradients(loss, [t]))([x])[0])
    for dyn, static in zip(results[:3], results[3:]):
        np.testing.assert_allclose(dyn, static, rtol=1e-12, atol=1e-12)


# ----------------------------------------------------------------------------- the reduce kernel
# Rows of up to 64 columns are streamed for leading and middle axes (inner > 1), lines are
# split into 16 interleaved lanes for the last axis (inner == 1): the shapes below cross both
# widths, and the inputs include NaNs, transposes and slices.

def kernel_cases(rng, n):
    for _ in range(n):
        ndim = rng.randint(1, 4)
        shape = tuple(int(rng.choice([0, 1, 2, 3, 15, 16, 17, 33, 63, 64, 65, 130])) for _ in range(ndim))
        if np.prod(shape) > 60000:
            continue
        axis = int(rng.randint(ndim))
        yield shape, axis


# x itself, transposed, and reversed and sliced along its first axis (fed in as views, they are
# copied out by the strided copy first), as (symbolic, numpy) pairs.
VIEWS = [(lambda t: t, lambda a: a), (K.transpose, lambda a: a.T), (lambda t: t[::-2], lambda a: a[::-2])]


@pytest.mark.parametrize('dtype', ['float32', 'float64', 'int32', 'uint8'])
def test_reduce_kernel_random_shapes_and_views(dtype):
    rng = np.random.RandomState({'float32': 10, 'float64': 11, 'int32': 12, 'uint8': 13}[dtype])
    for shape, axis in kernel_cases(rng, 30):
        x = data(shape, dtype, rng)
        if dtype.startswith('float') and x.size:
            x.flat[rng.randint(x.size)] = np.nan if rng.rand() < 0.3 else x.flat[0]
        for view, np_view in VIEWS:
            xv = np_view(x)
            t = K.placeholder(shape=x.shape, dtype=dtype)
            ax = axis % xv.ndim
            fns = [K.sum(view(t), ax), K.prod(view(t), ax), K.any(view(t), ax), K.all(view(t), ax)]
            refs = [xv.sum(ax, dtype='float64' if dtype.startswith('float') else 'int64'),
                    xv.prod(ax, dtype='float64' if dtype.startswith('float') else 'int64'),
                    xv.any(ax), xv.all(ax)]
            if xv.shape[ax]:
                fns += [K.max(view(t), ax), K.min(view(t), ax), K.argmax(view(t), ax), K.argmin(view(t), ax)]
                refs += [xv.max(ax), xv.min(ax), xv.argmax(ax), xv.argmin(ax)]
            with np.errstate(all='ignore'):
                got = K.function([t], fns)([x])
            for g, r in zip(got, refs):
                if dtype.startswith('float'):
                    np.testing.assert_allclose(g, r.astype(g.dtype), rtol=1e-6, atol=1e-6, equal_nan=True)
                else:
                    np.testing.assert_array_equal(g, r.astype(g.dtype))


def test_column_sums_accumulate_float32_in_double():
    """float32 sums over a leading axis (the bias gradient) and over the last axis are the
    double sums rounded once: 10^5 rows of 0.1f would drift by about 1e-3 relative in float32."""
    x = np.full((100000, 3), 0.1, dtype='float32')
    x[::7, 1] = 1e4
    want = x.astype(np.float64).sum(0).astype(np.float32)
    t = K.placeholder(shape=(None, 3))
    np.testing.assert_array_equal(K.function([t], [K.sum(t, 0)])([x])[0], want)
    np.testing.assert_array_equal(K.function([t], [K.sum(K.transpose(t), 1)])([x])[0], want)


def test_column_sums_equal_an_in_order_double_sum():
    """Each output of a reduction over a leading axis sums its column in row order, in double,
    so the result is exactly that of a row-by-row double accumulation."""
    rng = np.random.RandomState(14)
    x = (rng.standard_normal((257, 131)) * 10.0 ** rng.randint(-8, 8, (257, 131))).astype('float32')
    acc = np.zeros(131)
    for row in x.astype(np.float64):
        acc += row
    t = K.placeholder(shape=x.shape)
    np.testing.assert_array_equal(K.function([t], [K.sum(t, 0)])([x])[0], acc.astype(np.float32))


def test_reduce_kernel_same_bits_with_one_and_two_threads():
    policy, threads = _core.parallel_policy(), _core.get_num_threads()
    rng = np.random.RandomState(15)
    x = rng.standard_normal((70, 65, 33)).astype('float32')
    t = K.placeholder(shape=x.shape)
    outs = []
    try:
        _core.set_parallel_policy(64, 64, policy[2])
        for n in (1, 2):
            _core.set_num_threads(n)
            f = K.function([t], [K.sum(t, 0), K.sum(t, 1), K.sum(t, 2), K.max(t, 0), K.argmax(t, 1)])
            outs.append([o.tobytes() for o in f([x])])
    finally:
        _core.set_parallel_policy(*policy)
        _core.set_num_threads(threads)
    assert outs[0] == outs[1]
