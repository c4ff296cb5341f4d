"""Elementwise K functions and Tensor operators against numpy: values over shapes (broadcasting,
size 0 and 1, odd sizes, static and None shapes) and dtypes, the dtype rules, casts, gradients
by finite differences, and the OpenMP paths of large tensors."""
import numpy as np
import pytest

import symkeras.backend as K
from opcheck import check_grad, check_value, evaluate
from symkeras.backend.graph import Tensor, as_node, toposort
from symkeras.backend.ops.broadcast import sum_to
from symkeras.backend.ops.elementwise import _UNARY_RULES, UNARY as UNARY_OPCODES, Unary

SHAPES = [(), (1,), (0,), (7,), (3, 5), (2, 0, 3), (2, 3, 5)]


def rand(shape, lo=-3., hi=3., dtype='float64', seed=0):
    return np.random.RandomState(seed).uniform(lo, hi, shape).astype(dtype)


def total(t):
    """The sum of all entries of a tensor (a scalar loss)."""
    return sum_to(t, np.zeros((0,), 'int64'))


def away(x, kinks, gap=0.02):
    """x moved away from the points where a function is not differentiable."""
    x = np.array(x)
    for k in kinks:
        x[np.abs(x - k) < gap] += 2 * gap
    return x


def np_sigmoid(x):
    with np.errstate(over='ignore'):
        return 1 / (1 + np.exp(-x.astype('float64')))


def np_elu(x, alpha=1.):
    return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0)))


def np_relu(x, alpha=0., max_value=None):
    """NaN stays NaN, and relu(-inf) is 0 (not 0 * -inf)."""
    y = np.where((x > 0) | np.isnan(x), x, alpha * x if alpha else 0)
    return y if max_value is None else np.minimum(y, max_value)


# name, K function, numpy reference, input range, points of non-differentiability
# (None: not differentiable at all)
UNARY = [
    ('abs', K.abs, np.abs, (-3, 3), [0]),
    ('sqrt', K.sqrt, lambda x: np.sqrt(np.maximum(x, 0)), (-1, 4), [0]),
    ('exp', K.exp, np.exp, (-3, 3), []),
    ('log', K.log, np.log, (0.1, 5), []),
    ('sign', K.sign, np.sign, (-3, 3), None),
    ('square', K.square, np.square, (-3, 3), []),
    ('sin', K.sin, np.sin, (-3, 3), []),
    ('cos', K.cos, np.cos, (-3, 3), []),
    ('tanh', K.tanh, np.tanh, (-3, 3), []),
    ('sigmoid', K.sigmoid, np_sigmoid, (-6, 6), []),
    ('hard_sigmoid', K.hard_sigmoid, lambda x: np.clip(0.2 * x + 0.5, 0, 1), (-4, 4), [-2.5, 2.5]),
    ('softplus', K.softplus, lambda x: np.logaddexp(0, x), (-6, 6), []),
    ('softsign', K.softsign, lambda x: x / (1 + np.abs(x)), (-3, 3), [0]),
    ('relu', K.relu, np_relu, (-3, 3), [0]),
    ('relu_alpha', lambda x: K.relu(x, alpha=0.3), lambda x: np_relu(x, 0.3), (-3, 3), [0]),
    ('relu_max', lambda x: K.relu(x, max_value=1.5), lambda x: np_relu(x, 0, 1.5), (-3, 3), [0, 1.5]),
    ('relu_alpha_max', lambda x: K.relu(x, 0.2, 1.), lambda x: np_relu(x, 0.2, 1.), (-3, 3), [0, 1]),
    ('elu', K.elu, np_elu, (-3, 3), [0]),
    ('elu_alpha', lambda x: K.elu(x, 0.5), lambda x: np_elu(x, 0.5), (-3, 3), [0]),
    ('clip', lambda x: K.clip(x, -0.5, 1.), lambda x: np.clip(x, -0.5, 1.), (-3, 3), [-0.5, 1]),
    ('pow2', lambda x: K.pow(x, 2), lambda x: x ** 2, (-3, 3), []),
    ('pow3', lambda x: K.pow(x, 3), lambda x: x ** 3, (-3, 3), []),
    ('pow_neg', lambda x: K.pow(x, -2), lambda x: x ** -2., (0.5, 3), []),
    ('pow_half', lambda x: K.pow(x, 0.5), np.sqrt, (0.2, 4), []),
    ('pow_float', lambda x: K.pow(x, 1.7), lambda x: x ** 1.7, (0.2, 4), []),
    ('op_pow', lambda x: x ** 3, lambda x: x ** 3, (-3, 3), []),
    ('op_neg', lambda x: -x, np.negative, (-3, 3), []),
    ('op_abs', lambda x: abs(x), np.abs, (-3, 3), [0]),
]
DIFFERENTIABLE = [u for u in UNARY if u[4] is not None]


@pytest.mark.parametrize('name,fn,ref,rng,kinks', UNARY, ids=[u[0] for u in UNARY])
@pytest.mark.parametrize('dtype', ['float32', 'float64'])
def test_unary_values(name, fn, ref, rng, kinks, dtype):
    for i, shape in enumerate(SHAPES):
        x = rand(shape, *rng, dtype=dtype, seed=i)
        check_value(fn, lambda a: ref(a).astype(dtype), x, dtype=dtype,
                    rtol=1e-5 if dtype == 'float32' else 1e-12)


def folded(fn, *arrays):
    """fn on constants: computed when the graph is built, by the ops' numpy references."""
    out = fn(*[Tensor(as_node(a, a.dtype.name)) for a in arrays])
    assert out.node.value is not None, 'not folded'
    return np.asarray(out.node.value)


SPECIAL = np.array([np.nan, np.inf, -np.inf, 0., -1.5, 2.5, np.nan])


@pytest.mark.parametrize('name,fn,ref,rng,kinks', UNARY, ids=[u[0] for u in UNARY])
@pytest.mark.parametrize('dtype', ['float32', 'float64'])
def test_unary_nan_and_inf(name, fn, ref, rng, kinks, dtype):
    """NaN and infinities give numpy's results (NaN in the same places), in the kernel and in
    the folded constant (the op's numpy reference) alike."""
    x = SPECIAL.astype(dtype)
    with np.errstate(all='ignore'):
        want = ref(x).astype(dtype)
    got = check_value(fn, lambda a: want, x, dtype=dtype)
    np.testing.assert_allclose(folded(fn, x), got, rtol=1e-6)


def test_relu_hard_sigmoid_sign_of_nan_and_inf():
    x = np.array([np.nan, -np.inf, np.inf, -1., 3.], 'float32')
    nan = np.nan
    for fn, want in [(K.relu, [nan, 0, np.inf, 0, 3]), (lambda t: K.relu(t, max_value=2.), [nan, 0, 2, 0, 2]),
                     (lambda t: K.relu(t, 0.5, 2.), [nan, -np.inf, 2, -0.5, 2]),
                     (K.hard_sigmoid, [nan, 0, 1, 0.3, 1]), (K.sign, [nan, -1, 1, -1, 1])]:
        np.testing.assert_array_equal(evaluate(fn, x), np.array(want, 'float32'))
        np.testing.assert_array_equal(folded(fn, x), np.array(want, 'float32'))


@pytest.mark.parametrize('name,fn,ref,rng,kinks', DIFFERENTIABLE, ids=[u[0] for u in DIFFERENTIABLE])
def test_unary_grad(name, fn, ref, rng, kinks):
    for shape in [(), (1,), (3, 5)]:
        check_grad(fn, away(rand(shape, *rng, seed=3), kinks))


def test_round_half_to_even():
    x = np.array([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 3.5, 0.49, 2.51, -3.7], 'float32')
    got = check_value(K.round, np.round, x, dtype='float32')
    np.testing.assert_array_equal(got, [-2, -2, -0, 0, 2, 2, 4, 0, 3, -4])


def test_sqrt_clips_negative_inputs_to_zero():
    got = check_value(K.sqrt, lambda a: np.sqrt(np.maximum(a, 0)), np.array([-4., -1e-3, 0., 4.], 'float32'))
    np.testing.assert_array_equal(got, [0, 0, 0, 2])


def test_sigmoid_and_softplus_large_inputs_stay_finite():
    x = np.array([-1000., -100., -20., 0., 20., 100., 1000.], 'float32')
    s = check_value(K.sigmoid, lambda a: np_sigmoid(a).astype('float32'), x)
    sp = check_value(K.softplus, lambda a: np.logaddexp(0, a.astype('float64')).astype('float32'), x)
    assert np.all(np.isfinite(s)) and np.all(np.isfinite(sp))
    assert s[0] == 0 and s[-1] == 1 and sp[-1] == 1000 and sp[0] == 0
    g = evaluate(lambda a: K.gradients(total(K.sigmoid(a) + K.softplus(a)), [a])[0], x.astype('float64'))
    assert np.all(np.isfinite(g))
    np.testing.assert_allclose(g, np_sigmoid(x) * (1 - np_sigmoid(x)) + np_sigmoid(x), atol=1e-12)


def test_hard_sigmoid_slope_is_0_2():
    x = np.array([-3., -2.5, -1., 0., 1., 2.5, 3.], 'float32')
    got = check_value(K.hard_sigmoid, lambda a: np.clip(0.2 * a + 0.5, 0, 1), x)
    np.testing.assert_allclose(got, [0, 0, 0.3, 0.5, 0.7, 1, 1], atol=1e-7)


def test_clip_max_below_min_uses_min():
    x = rand((3, 4))
    check_value(lambda a: K.clip(a, 1., -0.5), lambda a: np.full_like(a, 1.), x)
    check_value(lambda a: K.clip(a, 0, 2), lambda a: np.clip(a, 0, 2), np.arange(-3, 5, dtype='int32'),
                dtype='int32')


# unary ops on integers: arithmetic ones keep the integer type, math ones compute in floatx
@pytest.mark.parametrize('dtype', ['int32', 'int64', 'uint8'])
def test_unary_integer_inputs(dtype):
    lo = 0 if dtype == 'uint8' else -5
    x = np.arange(lo, lo + 11).astype(dtype).reshape(1, 11)
    for fn, ref in [(K.abs, np.abs), (K.sign, np.sign), (K.square, np.square), (lambda a: -a, np.negative),
                    (lambda a: K.pow(a, 3), lambda a: a ** 3), (K.relu, lambda a: np.maximum(a, 0)),
                    (lambda a: K.clip(a, 1, 3), lambda a: np.clip(a, 1, 3))]:
        check_value(fn, ref, x, dtype=dtype)
    for fn, ref in [(K.exp, np.exp), (K.sqrt, lambda a: np.sqrt(np.maximum(a, 0))), (K.tanh, np.tanh),
                    (K.sigmoid, np_sigmoid), (K.softsign, lambda a: a / (1 + np.abs(a))),
                    (lambda a: K.pow(a, -1), lambda a: np.where(a == 0, np.inf, 1. / np.where(a == 0, 1, a))),
                    (lambda a: K.pow(a, 0.5), lambda a: np.sqrt(a.astype('float64')))]:
        with np.errstate(all='ignore'):
            check_value(fn, lambda a: ref(a.astype('float64')).astype('float32'), x, dtype='float32')


def test_activations_and_fractional_clip_bounds_compute_integers_as_floats():
    """softsign of uint8 255 is 255/256 (1 + abs(x) must not wrap in uint8); clip with a bound
    that is not a whole number and relu with a fractional alpha or max_value upcast to floatx,
    as Theano does; whole or infinite bounds keep the integer type."""
    u = np.array([0, 1, 2, 127, 254, 255], 'uint8')
    for fn, ref in [(K.softsign, lambda a: a / (1 + a)), (K.sigmoid, np_sigmoid), (K.tanh, np.tanh),
                    (K.softplus, lambda a: np.logaddexp(0, a)), (K.elu, np_elu),
                    (K.hard_sigmoid, lambda a: np.clip(0.2 * a + 0.5, 0, 1))]:
        check_value(fn, lambda a: ref(a.astype('float64')).astype('float32'), u, dtype='float32')
    i = np.array([-3, -1, 0, 1, 2, 3, 5], 'int32')
    f = i.astype('float32')
    for fn, want in [(lambda a: K.clip(a, 0.5, 2.5), np.clip(f, 0.5, 2.5)),
                     (lambda a: K.clip(a, None, 1.5), np.minimum(f, 1.5)),
                     (lambda a: K.relu(a, 0.3), np_relu(f, 0.3)),
                     (lambda a: K.relu(a, max_value=2.5), np_relu(f, 0, 2.5))]:
        check_value(fn, lambda a: want, i, dtype='float32')
        np.testing.assert_allclose(folded(fn, i), want)
    for fn, want in [(lambda a: K.clip(a, -np.inf, 2), np.minimum(i, 2)),
                     (lambda a: K.clip(a, 0., None), np.maximum(i, 0)),
                     (lambda a: K.relu(a, 2, 3), np.minimum(np.where(i > 0, i, 2 * i), 3))]:
        check_value(fn, lambda a: want, i, dtype='int32')
        np.testing.assert_array_equal(folded(fn, i), want)


def test_integer_clip_and_relu_are_exact_and_bounds_saturate():
    """int64 values beyond 2**53 are not rounded through double; integer bounds beyond the
    type's range act as its limits (no undefined float -> int conversion)."""
    big = np.array([2 ** 60 + 1, -(2 ** 60) - 1, 2 ** 53 + 1, 3, 2 ** 63 - 1, -(2 ** 63)], 'int64')
    for fn, ref in [(lambda a: K.clip(a, -(2 ** 62), 2 ** 62), lambda a: np.clip(a, -(2 ** 62), 2 ** 62)),
                    (lambda a: K.clip(a, 0, None), lambda a: np.maximum(a, 0)),
                    (lambda a: K.clip(a, -1e30, 1e30), lambda a: a),
                    (K.relu, lambda a: np.maximum(a, 0)),
                    (lambda a: K.relu(a, max_value=2 ** 61), lambda a: np.clip(a, 0, 2 ** 61))]:
        got = check_value(fn, ref, big, dtype='int64')
        np.testing.assert_array_equal(folded(fn, big), got)
    i = np.array([-5, 0, 7], 'int32')
    info = np.iinfo('int32')
    for fn, want in [(lambda a: K.clip(a, 3e9, 4e9), np.full(3, info.max)),
                     (lambda a: K.clip(a, -4e9, -3e9), np.full(3, info.min))]:
        check_value(fn, lambda a: want, i, dtype='int32')
        np.testing.assert_array_equal(folded(fn, i), want)


@pytest.mark.parametrize('dtype', ['int32', 'int64'])
def test_integer_overflow_wraps_like_numpy(dtype):
    """Two's complement wrap-around, as numpy: MIN // -1 is MIN and MIN % -1 is 0 (no SIGFPE);
    + - * and negation, abs, square and integer powers wrap; folded constants agree."""
    lo, hi = np.iinfo(dtype).min, np.iinfo(dtype).max
    a = np.array([lo, lo, hi, hi, lo + 1, -1, 0, 7, lo, hi, -7, 3], dtype)
    b = np.array([-1, 1, -1, 2, -1, lo, -1, -1, lo, hi, -1, 0], dtype)
    binary = [(lambda x, y: x // y, np.floor_divide), (lambda x, y: x % y, np.mod),
              (lambda x, y: x + y, np.add), (lambda x, y: x - y, np.subtract),
              (lambda x, y: x * y, np.multiply), (lambda x, y: x // -1, lambda x, y: x // -1),
              (lambda x, y: x % -1, lambda x, y: x % -1), (lambda x, y: x * 3, lambda x, y: x * 3)]
    unary = [(lambda x: -x, np.negative), (K.abs, np.abs), (K.square, np.square),
             (lambda x: K.pow(x, 2), lambda x: x ** 2), (lambda x: x ** 3, lambda x: x ** 3),
             (lambda x: K.pow(x, 39), lambda x: x ** 39), (lambda x: K.pow(x, 0), lambda x: x ** 0)]
    with np.errstate(all='ignore'):
        for fn, ref in binary:
            got = check_value(fn, ref, a, b, dtype=dtype)
            np.testing.assert_array_equal(folded(fn, a, b), got)
        for fn, ref in unary:
            got = check_value(fn, ref, a, dtype=dtype)
            np.testing.assert_array_equal(folded(fn, a), got)


def test_every_unary_opcode_is_reached_by_a_k_function_or_a_gradient():
    """No dead opcodes: each one in the kernel is built by some K function or gradient, and
    the Python rule table names exactly the kernel's opcodes."""
    x = K.placeholder(shape=(3,), dtype='float64')
    outs = [K.abs(x), K.sqrt(x), K.exp(x), K.log(x), K.round(x), K.sign(x), K.square(x), K.sin(x),
            K.cos(x), K.tanh(x), K.sigmoid(x), K.hard_sigmoid(x), K.softplus(x), K.softsign(x),
            K.relu(x, 0.1, 5.), K.elu(x), K.clip(x, 0., 1.), K.pow(x, 3), -x, x % (x + 1)]
    grads = [K.gradients(total(o), [x])[0] for o in outs]
    nodes = toposort([t.node for t in outs + grads + [~(x > 0)]])
    reached = {n.op.code for n in nodes if isinstance(n.op, Unary)}
    assert reached == set(UNARY_OPCODES)
    assert set(_UNARY_RULES) == set(UNARY_OPCODES)


def test_unary_arithmetic_on_bool_happens_in_int32():
    b = np.array([True, False, True])
    check_value(lambda a: -a, lambda a: -a.astype('int32'), b, dtype='int32')
    check_value(K.abs, lambda a: a.astype('int32'), b, dtype='int32')
    check_value(lambda a: K.clip(a, 2, 3), lambda a: np.full(3, 2), b, dtype='int32')
    check_value(lambda a: ~a, np.logical_not, b, dtype='bool')


# ----------------------------------------------------------------------------- binary

SHAPE_PAIRS = [((3, 1), (1, 4)), ((5,), (2, 5)), ((2, 5), (5,)), ((), (3,)), ((3,), ()), ((1,), (1,)),
               ((0,), (0,)), ((0, 3), (1, 3)), ((2, 3, 1), (3, 7)), ((4, 1, 5), (1, 3, 1))]

# name, function, numpy reference, operand ranges
ARITH = [
    ('add', lambda a, b: a + b, np.add, (-3, 3), (-3, 3)),
    ('sub', lambda a, b: a - b, np.subtract, (-3, 3), (-3, 3)),
    ('mul', lambda a, b: a * b, np.multiply, (-3, 3), (-3, 3)),
    ('div', lambda a, b: a / b, np.divide, (-3, 3), (0.5, 3)),
    ('pow', lambda a, b: a ** b, np.power, (0.5, 3), (-2, 2)),
    ('kpow', K.pow, np.power, (0.5, 3), (-2, 2)),
    ('maximum', K.maximum, np.maximum, (-3, 3), (-3, 3)),
    ('minimum', K.minimum, np.minimum, (-3, 3), (-3, 3)),
    ('mod', lambda a, b: a % b, np.mod, (-3, 3), (0.5, 2)),
    ('floordiv', lambda a, b: a // b, np.floor_divide, (-3, 3), (0.5, 2)),
]
COMPARE = [
    ('equal', K.equal, np.equal), ('not_equal', K.not_equal, np.not_equal),
    ('greater', K.greater, np.greater), ('greater_equal', K.greater_equal, np.greater_equal),
    ('lesser', K.lesser, np.less), ('lesser_equal', K.lesser_equal, np.less_equal),
    ('op_gt', lambda a, b: a > b, np.greater), ('op_ge', lambda a, b: a >= b, np.greater_equal),
    ('op_lt', lambda a, b: a < b, np.less), ('op_le', lambda a, b: a <= b, np.less_equal),
]


@pytest.mark.parametrize('name,fn,ref,ra,rb', ARITH, ids=[a[0] for a in ARITH])
@pytest.mark.parametrize('dtype', ['float32', 'float64'])
def test_binary_float_values(name, fn, ref, ra, rb, dtype):
    for i, (sa, sb) in enumerate(SHAPE_PAIRS):
        a, b = rand(sa, *ra, dtype=dtype, seed=i), rand(sb, *rb, dtype=dtype, seed=i + 50)
        check_value(fn, ref, a, b, dtype=dtype, rtol=1e-5 if dtype == 'float32' else 1e-12)


@pytest.mark.parametrize('dtype', ['int32', 'int64', 'uint8'])
def test_binary_integer_values(dtype):
    rs = np.random.RandomState(5)
    lo = 0 if dtype == 'uint8' else -7
    for sa, sb in SHAPE_PAIRS:
        a = rs.randint(lo, 8, sa).astype(dtype)
        b = rs.randint(1, 5, sb).astype(dtype)
        if dtype != 'uint8':
            b = b * rs.choice([-1, 1], sb).astype(dtype)
        for fn, ref in [(lambda x, y: x + y, np.add), (lambda x, y: x - y, np.subtract),
                        (lambda x, y: x * y, np.multiply), (lambda x, y: x // y, np.floor_divide),
                        (lambda x, y: x % y, np.mod), (K.maximum, np.maximum), (K.minimum, np.minimum)]:
            check_value(fn, ref, a, b, dtype=dtype)
        # true division of integers gives floatx, as in Python 3 and Theano
        check_value(lambda x, y: x / y, lambda x, y: (x / y).astype('float32'), a, b, dtype='float32')
        for _, fn, ref in COMPARE:
            check_value(fn, ref, a, b, dtype='bool')


def test_integer_division_by_zero_gives_zero():
    a, b = np.array([7, -7, 0], 'int32'), np.zeros(3, 'int32')
    check_value(lambda x, y: x // y, lambda x, y: np.zeros(3, 'int32'), a, b)
    check_value(lambda x, y: x % y, lambda x, y: np.zeros(3, 'int32'), a, b)


@pytest.mark.parametrize('name,fn,ref', COMPARE, ids=[c[0] for c in COMPARE])
def test_comparisons(name, fn, ref):
    rs = np.random.RandomState(2)
    for sa, sb in SHAPE_PAIRS:
        a = rs.randint(-2, 3, sa).astype('float32')   # small integers: many ties
        b = rs.randint(-2, 3, sb).astype('float32')
        check_value(fn, ref, a, b, dtype='bool')
    x = np.array([-1.5, 0., 2., 2.5], 'float32')
    check_value(lambda t: fn(t, 2), lambda t: ref(t, 2), x, dtype='bool')
    check_value(lambda t: fn(2, t), lambda t: ref(2, t), x, dtype='bool')
    check_value(lambda t: fn(t, 2.5), lambda t: ref(t, 2.5), np.array([1, 2, 3], 'int32'), dtype='bool')


@pytest.mark.parametrize('shapes', SHAPE_PAIRS[:6])
def test_logical_operators(shapes):
    rs = np.random.RandomState(3)
    a, b = np.asarray(rs.rand(*shapes[0]) > 0.5), np.asarray(rs.rand(*shapes[1]) > 0.5)
    check_value(lambda x, y: x & y, np.logical_and, a, b, dtype='bool')
    check_value(lambda x, y: x | y, np.logical_or, a, b, dtype='bool')
    check_value(lambda x, y: x ^ y, np.logical_xor, a, b, dtype='bool')
    check_value(lambda x, y: ~(x & y), lambda x, y: ~(x & y), a, b, dtype='bool')
    check_value(lambda x, y: (x > 0.5) | y, lambda x, y: (x > 0.5) | y, a.astype('float32'), b, dtype='bool')


def test_reflected_operators_and_python_scalars():
    x = rand((3, 4), 0.5, 2, 'float32')
    for fn, ref in [(lambda t: 2 + t, lambda t: 2 + t), (lambda t: 2 - t, lambda t: 2 - t),
                    (lambda t: 2 * t, lambda t: 2 * t), (lambda t: 2 / t, lambda t: 2 / t),
                    (lambda t: 2 ** t, lambda t: 2 ** t), (lambda t: 5 // t, lambda t: 5 // t),
                    (lambda t: 5 % t, lambda t: 5 % t), (lambda t: t - 2.5, lambda t: t - 2.5),
                    (lambda t: np.float32(2) * t, lambda t: 2 * t), (lambda t: +t, lambda t: t),
                    (lambda t: t * np.float64(3), lambda t: 3 * t)]:
        check_value(fn, lambda t: ref(t).astype('float32'), x, dtype='float32')


# (a dtype, b dtype or Python scalar, result dtype of a + b)
DTYPE_RULES = [
    ('float32', 'float32', 'float32'), ('float32', 'float64', 'float64'), ('float64', 'float32', 'float64'),
    ('int32', 'float32', 'float32'), ('int64', 'float32', 'float32'), ('int32', 'float64', 'float64'),
    ('int32', 'int64', 'int64'), ('uint8', 'int32', 'int32'), ('uint8', 'uint8', 'uint8'),
    ('bool', 'bool', 'int32'), ('bool', 'uint8', 'uint8'), ('bool', 'float32', 'float32'),
    # Python and numpy scalars are weakly typed: they take the tensor's type when they fit it
    ('float32', 2.0, 'float32'), ('float64', 2.0, 'float64'), ('float32', 2, 'float32'),
    ('int32', 2, 'int32'), ('int64', 2, 'int64'), ('uint8', 2, 'uint8'), ('int32', 2.5, 'float32'),
    ('float32', np.float64(2.0), 'float32'), ('bool', 1, 'int32'),
    ('uint8', 300, 'int32'), ('uint8', -1, 'int32'), ('int32', 2 ** 40, 'int64'), ('bool', True, 'int32'),
]


@pytest.mark.parametrize('da,db,expected', DTYPE_RULES)
def test_dtype_rules(da, db, expected):
    a = np.array([1, 0, 1, 1]).astype(da)
    if isinstance(db, str):
        b = np.array([1, 1, 0, 1]).astype(db)
        got = evaluate(lambda x, y: x + y, a, b)
        want = a.astype(expected) + b.astype(expected)
    else:
        got = evaluate(lambda x: x + db, a)
        want = a.astype(expected) + np.asarray(db).astype(expected)
    assert got.dtype == np.dtype(expected)
    if expected != 'bool':
        np.testing.assert_array_equal(got, want)


def test_result_dtypes_of_division_and_comparison():
    i = np.array([3, 4, 5], 'int32')
    assert evaluate(lambda x: x / 2, i).dtype == np.float32
    np.testing.assert_allclose(evaluate(lambda x: x / 2, i), [1.5, 2, 2.5])
    assert evaluate(lambda x: x // 2, i).dtype == np.int32
    assert evaluate(lambda x: 2 ** x, i).dtype == np.float32
    assert evaluate(lambda x: x ** 2, i).dtype == np.int32
    assert evaluate(lambda x: x > 2, i).dtype == np.bool_
    assert evaluate(lambda x: K.equal(x, 4), i).dtype == np.bool_
    assert evaluate(lambda x: x * 2.0, i.astype('float32')).dtype == np.float32


# ----------------------------------------------------------------------------- switch

def test_switch_values_and_broadcasting():
    rs = np.random.RandomState(4)
    for sc, sx, sy in [((3, 4), (3, 4), (3, 4)), ((3, 1), (1, 4), (3, 4)), ((4,), (3, 4), ()),
                       ((), (2, 3), (2, 3)), ((0, 2), (0, 2), (1, 2)), ((1,), (5,), (5,))]:
        c = np.asarray(rs.rand(*sc) > 0.5)
        x, y = np.asarray(rs.randn(*sx), 'float32'), np.asarray(rs.randn(*sy), 'float32')
        check_value(K.switch, np.where, c, x, y, dtype='float32')


def test_switch_condition_types_callables_and_scalars():
    x = np.array([1., 2., 3., 4.], 'float32')
    y = np.array([-1., -2., -3., -4.], 'float32')
    c = np.array([0.5, 0., -2., 0.], 'float32')   # non-zero is true
    check_value(K.switch, lambda a, b, d: np.where(a != 0, b, d), c, x, y)
    check_value(K.switch, lambda a, b, d: np.where(a != 0, b, d), c.astype('int32'), x, y)
    check_value(lambda a, b, d: K.switch(a > 1, lambda: b, lambda: d * 2),
                lambda a, b, d: np.where(a > 1, b, d * 2), x, x, y)
    check_value(lambda a: K.switch(a > 2, a, 0.), lambda a: np.where(a > 2, a, 0), x, dtype='float32')
    check_value(lambda a: K.switch(a > 2, 1, 0), lambda a: (a > 2).astype('int64'), x)
    check_value(lambda a, b: K.switch(a > 2, a, b), lambda a, b: np.where(a > 2, a, b),
                x, np.array([7, 8, 9, 10], 'int32'), dtype='float32')


def test_switch_grad_broadcast_both_branches():
    rs = np.random.RandomState(6)
    c = rs.rand(3, 4) > 0.5
    check_grad(K.switch, c, rs.randn(3, 1), rs.randn(1, 4))
    check_grad(lambda a, b: K.switch(a > 0, K.exp(a) * b, b * b), rs.randn(3, 4), rs.randn(4))


# ----------------------------------------------------------------------------- cast

DTYPES = ['float32', 'float64', 'int32', 'int64', 'uint8', 'bool']


def _cast_source(dtype):
    x = np.array([0., 0.3, 1.9, 2., 7.5, 100.7, 200.2, 0.])
    if dtype in ('float32', 'float64'):
        return x.astype(dtype)
    if dtype == 'bool':
        return x != 0
    return np.array([0, 1, 2, 7, 100, 200, 255, 3]).astype(dtype)


@pytest.mark.parametrize('src', DTYPES)
@pytest.mark.parametrize('dst', DTYPES)
def test_cast_every_pair(src, dst):
    x = _cast_source(src)
    check_value(lambda t: K.cast(t, dst), lambda t: t.astype(dst), x, dtype=dst)
    check_value(lambda t: K.cast(t, dst), lambda t: t.astype(dst), x.reshape(2, 4)[:, :0], dtype=dst)


def test_cast_truncates_toward_zero_and_bool_is_nonzero():
    x = np.array([-2.7, -1.5, -0.5, 0., 0.5, 1.5, 2.7, -0., 1e-30], 'float32')
    for dst in ['int32', 'int64']:
        got = check_value(lambda t: K.cast(t, dst), lambda t: t.astype(dst), x, dtype=dst)
        np.testing.assert_array_equal(got, [-2, -1, 0, 0, 0, 1, 2, 0, 0])
    got = check_value(lambda t: K.cast(t, 'bool'), lambda t: t != 0, x, dtype='bool')
    assert got.view('uint8').max() == 1      # bools are stored as 0/1
    check_value(lambda t: K.cast(t, 'int8'), lambda t: t != 0, x, dtype='bool')   # Theano's int8 bools
    i = np.array([-3, 0, 5, 256, -1], 'int32')
    check_value(lambda t: K.cast(t, 'bool'), lambda t: t != 0, i, dtype='bool')
    check_value(lambda t: K.cast(t, 'uint8'), lambda t: t.astype('uint8'), i, dtype='uint8')


@pytest.mark.parametrize('src', ['float32', 'float64'])
@pytest.mark.parametrize('dst', ['int32', 'int64', 'uint8'])
def test_cast_float_to_int_out_of_range_is_zero_folded_and_run(src, dst):
    """NaN, infinities and values whose truncation is outside the integer type give 0, in the
    kernel and in a folded constant alike; values in range truncate toward zero."""
    info = np.iinfo(dst)
    x = np.array([np.nan, np.inf, -np.inf, 2.7, -2.7, -0.9, 255.9, 256., -1., 3e9, -3e9,
                  2. ** 31, -2. ** 31, 2147483647.5, 2. ** 63, -2. ** 63, 1e30], src)
    # Python floats and ints compare exactly (numpy would round int64's maximum to 2**63);
    # NaN compares false
    want = np.array([int(t) if info.min <= t <= info.max else 0
                     for t in np.trunc(x.astype('float64')).tolist()], dst)
    got = check_value(lambda t: K.cast(t, dst), lambda t: want, x, dtype=dst)
    np.testing.assert_array_equal(folded(lambda t: K.cast(t, dst), x), got)


def test_cast_rejects_unknown_dtype():
    x = K.placeholder(shape=(2,))
    with pytest.raises(TypeError, match="'complex64' is not supported"):
        K.cast(x, 'complex64')
    with pytest.raises(TypeError, match='float16'):
        K.cast(x, 'float16')


def test_cast_grad():
    # float64 -> float32 -> float64 passes the gradient through unchanged (up to rounding)
    x = rand((3, 4))
    g = evaluate(lambda a: K.gradients(total(K.cast(K.cast(a, 'float32'), 'float64') * a), [a])[0], x)
    np.testing.assert_allclose(g, 2 * x, rtol=1e-6)
    # through an integer cast no gradient flows
    g = evaluate(lambda a: K.gradients(total(K.cast(K.cast(a, 'int32'), 'float64') + a), [a])[0], rand((3,)))
    np.testing.assert_array_equal(g, 1)


# ----------------------------------------------------------------------------- gradients

GRAD_BINARY = [
    ('add', lambda a, b: a + b, (-2, 2), (-2, 2)),
    ('sub', lambda a, b: a - b, (-2, 2), (-2, 2)),
    ('mul', lambda a, b: a * b, (-2, 2), (-2, 2)),
    ('div', lambda a, b: a / b, (-2, 2), (0.5, 2)),
    ('pow', lambda a, b: a ** b, (0.5, 2), (-2, 2)),
    ('maximum', K.maximum, (-2, 2), (-2, 2)),
    ('minimum', K.minimum, (-2, 2), (-2, 2)),
]


@pytest.mark.parametrize('name,fn,ra,rb', GRAD_BINARY, ids=[g[0] for g in GRAD_BINARY])
def test_binary_grad_with_broadcasting(name, fn, ra, rb):
    for i, (sa, sb) in enumerate([((3, 1), (1, 4)), ((5,), (2, 5)), ((2, 5), ()), ((3, 4), (3, 4)),
                                  ((2, 1, 3), (4, 1))]):
        check_grad(fn, rand(sa, *ra, seed=i), rand(sb, *rb, seed=i + 10))


def test_mod_grad_away_from_jumps():
    a = np.array([[0.25, 1.5, -0.9, 2.3]])
    b = np.array([[1.0], [0.7], [1.3]])
    assert np.all(np.abs(a / b - np.round(a / b)) > 0.05)
    check_grad(lambda x, y: x % y, a, b)


def _np_sum_to(g, shape):
    g = g.sum(axis=tuple(range(g.ndim - len(shape)))) if g.ndim > len(shape) else g
    return g.sum(axis=tuple(i for i, d in enumerate(shape) if d == 1), keepdims=True).reshape(shape)


@pytest.mark.parametrize('xshape,yshape', [((None, None), (None, None)), ((None, 1), (1, None)),
                                           ((None,), (None, None)), ((None, None), ())])
def test_grad_of_broadcast_unknown_at_build_time(xshape, yshape):
    """The gradient is summed back to each operand's run-time shape, also when the dimension
    along which it was broadcast is None when the graph is built."""
    x = K.placeholder(shape=xshape, dtype='float64')
    y = K.placeholder(shape=yshape, dtype='float64')
    r = K.placeholder(ndim=max(len(xshape), len(yshape)), dtype='float64')
    loss = total(r * (x * y + x))
    gx, gy = K.gradients(loss, [x, y])
    f = K.function([x, y, r], [gx, gy])
    rs = np.random.RandomState(0)
    for xs, ys in [((3, 1), (1, 4)), ((1, 1), (1, 4)), ((3, 4), (3, 4)), ((1, 1), (1, 1))]:
        xs, ys = xs[2 - len(xshape):], ys[2 - len(yshape):]
        if any(d not in (None, v) for d, v in zip(xshape + yshape, xs + ys)):
            continue
        xv, yv = rs.randn(*xs), rs.randn(*ys)
        rv = rs.randn(*np.broadcast_shapes(xs, ys))
        got_x, got_y = f([xv, yv, rv])
        np.testing.assert_allclose(got_x, _np_sum_to(rv * (yv + 1), xs), rtol=1e-12)
        np.testing.assert_allclose(got_y, _np_sum_to(rv * xv, ys), rtol=1e-12)


# ----------------------------------------------------------------------------- large tensors

BIG = (300, 301)      # > 65536 elements: the OpenMP paths run


def _rows_match_small_path(fn, *arrays):
    """fn on the big arrays equals fn on each row slice (small, single-threaded path)."""
    big = evaluate(fn, *arrays)
    for i in [0, 1, 150, 299]:
        small = evaluate(fn, *[a[i:i + 1] if a.shape[0] == BIG[0] else a for a in arrays])
        np.testing.assert_array_equal(big[i:i + 1], small)
    return big


LARGE_UNARY = [u for u in UNARY if u[0] in ('abs', 'sqrt', 'exp', 'tanh', 'sigmoid', 'softplus',
                                             'relu_alpha_max', 'elu', 'clip', 'pow3', 'pow_float',
                                             'hard_sigmoid')]


@pytest.mark.parametrize('name,fn,ref,rng,kinks', LARGE_UNARY, ids=[u[0] for u in LARGE_UNARY])
def test_large_unary(name, fn, ref, rng, kinks):
    x = rand(BIG, *rng, dtype='float32', seed=1)
    big = _rows_match_small_path(fn, x)
    np.testing.assert_allclose(big, ref(x.astype('float64')), rtol=1e-5, atol=1e-6)


def test_large_binary_switch_cast_compare():
    rs = np.random.RandomState(7)
    a = rs.randn(*BIG).astype('float32')
    col, row = rs.randn(BIG[0], 1).astype('float32'), rs.randn(1, BIG[1]).astype('float32')
    for fn, ref, args in [
            (lambda x, y: x * y + y, lambda x, y: x * y + y, (col, row)),
            (lambda x, y: x - y, np.subtract, (a, row)),
            (lambda x, y: x / y, np.divide, (a, a + 10)),
            (K.maximum, np.maximum, (a, col)),
            (lambda x, y: x > y, np.greater, (a, row)),
            (lambda x, y: K.switch(x > 0, x, y), lambda x, y: np.where(x > 0, x, y), (a, col)),
            (lambda x: K.cast(x * 10, 'int32'), lambda x: (x * 10).astype('int32'), (a,)),
            (lambda x: K.cast(x, 'bool'), lambda x: x != 0, (np.round(a),))]:
        big = _rows_match_small_path(fn, *args)
        np.testing.assert_allclose(big, ref(*args), rtol=1e-6)
    # 3-d broadcast where the row dimension alone is not enough work to split
    x3, y3 = rs.randn(40, 1, 50).astype('float32'), rs.randn(1, 70, 50).astype('float32')
    np.testing.assert_allclose(evaluate(lambda x, y: x * y, x3, y3), x3 * y3, rtol=1e-6)


def test_large_grad_of_broadcast():
    rs = np.random.RandomState(8)
    col, row = rs.randn(BIG[0], 1), rs.randn(1, BIG[1])
    gx, gy = evaluate(lambda x, y: K.gradients(total(K.tanh(x * y)), [x, y]), col, row)
    d = 1 - np.tanh(col * row) ** 2
    np.testing.assert_allclose(gx, (d * row).sum(1, keepdims=True), rtol=1e-10)
    np.testing.assert_allclose(gy, (d * col).sum(0, keepdims=True), rtol=1e-10)


# ----------------------------------------------------------------------------- construction

def test_trivial_identities_fold_to_the_operand_in_a_fresh_tensor():
    x = K.placeholder(shape=(None, 3))
    for y in (x * 1, 1 * x, x + 0, 0.0 + x, x - 0, x / 1, x * np.ones((1, 1))):
        assert y.node is x.node and y is not x
    assert (x * np.ones((2, 3))).node is not x.node      # broadcasting changes the shape
    assert (x * 2).node is not x.node


def test_float_array_constant_takes_a_float64_tensors_dtype():
    x = K.placeholder(shape=(3,), dtype='float64')
    c = np.array([0.1, 1e-12, 1 / 3])
    f = K.function([x], [x + c])
    out = f([np.zeros(3)])[0]
    assert out.dtype == np.float64
    np.testing.assert_array_equal(out, c)
