import json

import numpy as np
import pytest

import symkeras.backend as K
from opcheck import check_value
from symkeras import constraints as C
from symkeras.utils.generic_utils import custom_object_scope

EPS = 1e-7
W = np.random.RandomState(0).normal(size=(5, 4)).astype('float32') * 2
W4 = np.random.RandomState(1).normal(size=(3, 2, 3, 3)).astype('float32')


def np_norms(p, axis):
    axis = tuple(axis) if isinstance(axis, list) else axis
    return np.sqrt(np.sum(np.square(p), axis=axis, keepdims=True))


def np_max_norm(p, m, axis):
    norms = np_norms(p, axis)
    return p * (np.clip(norms, 0, m) / (EPS + norms))


def np_min_max_norm(p, low, high, rate, axis):
    norms = np_norms(p, axis)
    desired = rate * np.clip(norms, low, high) + (1 - rate) * norms
    return p * (desired / (EPS + norms))


# ---------------------------------------------------------------------------- numerics

@pytest.mark.parametrize('m, axis, x', [(2, 0, W), (1.5, 1, W), (0.5, -1, W), (3, [1, 2, 3], W4),
                                        (1, [0, 1, 2], W4), (100., 0, W)])
def test_max_norm(m, axis, x):
    check_value(C.MaxNorm(m, axis), lambda p: np_max_norm(p, m, axis), x)


def test_max_norm_caps_the_column_norms():
    x = W * np.array([0.02, 0.05, 1., 2.], dtype='float32')
    big = np_norms(x, 0)[0] > 1
    assert list(big) == [False, False, True, True]
    out = K.eval(C.MaxNorm(m=1.)(K.variable(x)))
    norms = np.sqrt((out.astype(np.float64) ** 2).sum(axis=0))
    np.testing.assert_allclose(norms[big], 1., rtol=1e-5)
    np.testing.assert_allclose(out[:, ~big], x[:, ~big], rtol=1e-5)   # below m: unchanged


def test_max_norm_of_zero_weights_is_zero():
    out = K.eval(C.MaxNorm()(K.variable(np.zeros((3, 2)))))
    np.testing.assert_array_equal(out, np.zeros((3, 2)))


def test_non_neg():
    check_value(C.NonNeg(), lambda p: p * (p >= 0), W)
    out = K.eval(C.NonNeg()(K.variable(W, dtype='float64')))
    assert out.dtype == np.float64 and out.min() == 0. and (out[W > 0] == W[W > 0]).all()


@pytest.mark.parametrize('axis, x', [(0, W), (1, W), ([1, 2, 3], W4), (-1, W4)])
def test_unit_norm(axis, x):
    check_value(C.UnitNorm(axis), lambda p: p / (EPS + np_norms(p, axis)), x)
    out = K.eval(C.UnitNorm(axis)(K.variable(x))).astype(np.float64)
    np.testing.assert_allclose(np_norms(out, axis), 1., rtol=1e-5)


@pytest.mark.parametrize('low, high, rate, axis', [(0., 1., 1., 0), (0.5, 1.5, 1., 1),
                                                   (1., 2., 0.5, 0), (0.2, 0.4, 0., [1, 2, 3])])
def test_min_max_norm(low, high, rate, axis):
    x = W4 if isinstance(axis, list) else W * np.linspace(0.05, 1, 4, dtype='float32')
    check_value(C.MinMaxNorm(low, high, rate, axis),
                lambda p: np_min_max_norm(p, low, high, rate, axis), x)


def test_min_max_norm_rate_1_enforces_the_bounds():
    x = W * np.array([0.01, 0.1, 1., 10.], dtype='float32')
    out = K.eval(C.MinMaxNorm(low=0.5, high=2.)(K.variable(x))).astype(np.float64)
    norms = np_norms(out, 0)[0]
    assert (norms >= 0.5 - 1e-5).all() and (norms <= 2. + 1e-5).all()


def test_constraint_base_and_identity_return_the_weight():
    p = K.variable(W)
    assert C.Constraint()(p) is p
    assert C.identity is C.Constraint


def test_constraints_on_a_placeholder_with_unknown_shape():
    x = K.placeholder(ndim=2)
    f = K.function([x], [C.maxnorm(1.)(x), C.unitnorm(1)(x), C.nonneg()(x)])
    for shape in [(3, 2), (1, 5)]:
        a = np.random.normal(size=shape).astype('float32')
        got = f([a])
        np.testing.assert_allclose(got[0], np_max_norm(a, 1., 0), rtol=1e-5)
        np.testing.assert_allclose(got[1], a / (EPS + np_norms(a, 1)), rtol=1e-5)
        np.testing.assert_array_equal(got[2], a * (a >= 0))


def test_gradient_flows_through_a_constraint():
    w = K.variable(W)
    g = K.eval(K.gradients(K.sum(C.UnitNorm()(w)), [w])[0])
    assert g.shape == W.shape and np.isfinite(g).all()


# ---------------------------------------------------------------------------- config and get

@pytest.mark.parametrize('c, config', [
    (C.Constraint(), {'name': 'Constraint'}),
    (C.MaxNorm(), {'name': 'MaxNorm', 'm': 2, 'axis': 0}),
    (C.MaxNorm(m=3.5, axis=[0, 1, 2]), {'name': 'MaxNorm', 'm': 3.5, 'axis': [0, 1, 2]}),
    (C.NonNeg(), {'name': 'NonNeg'}),
    (C.UnitNorm(), {'name': 'UnitNorm', 'axis': 0}),
    (C.UnitNorm(axis=1), {'name': 'UnitNorm', 'axis': 1}),
    (C.MinMaxNorm(), {'name': 'MinMaxNorm', 'low': 0., 'high': 1., 'rate': 1., 'axis': 0}),
    (C.MinMaxNorm(0.1, 2., 0.5, -1),
     {'name': 'MinMaxNorm', 'low': 0.1, 'high': 2., 'rate': 0.5, 'axis': -1})])
def test_config_and_round_trip(c, config):
    assert c.get_config() == config
    saved = json.loads(json.dumps(config))
    back = C.get(saved)
    assert type(back) is type(c) and back.get_config() == config
    assert saved == json.loads(json.dumps(config))          # the config is not consumed


def test_get_class_name_config():
    back = C.get({'class_name': 'MaxNorm', 'config': {'m': 4}})
    assert back.get_config() == {'name': 'MaxNorm', 'm': 4, 'axis': 0}


@pytest.mark.parametrize('name, cls', [('maxnorm', C.MaxNorm), ('MaxNorm', C.MaxNorm),
                                       ('nonneg', C.NonNeg), ('NonNeg', C.NonNeg),
                                       ('unitnorm', C.UnitNorm), ('UnitNorm', C.UnitNorm),
                                       ('MinMaxNorm', C.MinMaxNorm), ('identity', C.Constraint),
                                       ('Constraint', C.Constraint)])
def test_get_by_name_instantiates(name, cls):
    assert type(C.get(name)) is cls


def test_aliases():
    assert (C.maxnorm, C.nonneg, C.unitnorm) == (C.MaxNorm, C.NonNeg, C.UnitNorm)


def test_get_with_kwargs():
    c = C.get('maxnorm', {'m': 3, 'axis': 1})
    assert (c.m, c.axis) == (3, 1)
    assert C.get('unitnorm', kwargs={'axis': [1, 2]}).axis == [1, 2]


def test_get_passes_instances_callables_and_none():
    c = C.NonNeg()
    assert C.get(c) is c
    f = lambda p: p    # noqa: E731
    assert C.get(f) is f
    assert C.get(None) is None


def test_get_custom_object():
    class Clip(C.Constraint):
        def __call__(self, p):
            return K.clip(p, -1, 1)
    with custom_object_scope({'Clip': Clip}):
        assert type(C.get('Clip')) is Clip
        assert type(C.get({'name': 'Clip'})) is Clip


@pytest.mark.parametrize('bad', ['max_norm', 'K', 'get'])
def test_get_unknown_name(bad):
    with pytest.raises(ValueError, match='^Invalid constraint: %s$' % bad):
        C.get(bad)


def test_get_bad_identifiers():
    with pytest.raises(ValueError, match="Invalid constraint: .*'Nope'"):
        C.get({'name': 'Nope'})
    with pytest.raises(ValueError, match=r'Invalid constraint: 2 \(expected a name'):
        C.get(2)


def test_bad_arguments():
    with pytest.raises(TypeError, match="MaxNorm: m must be a number; got 'big'"):
        C.MaxNorm(m='big')
    with pytest.raises(TypeError, match="MaxNorm: m must be a number; got '2'"):
        C.MaxNorm(m='2')
    with pytest.raises(ValueError, match=r'MaxNorm: axis must be an int or a list of ints; got '
                                         r'1.5'):
        C.MaxNorm(axis=1.5)
    with pytest.raises(ValueError, match=r'UnitNorm: axis must be an int or a list of ints; got '
                                         r'\[\]'):
        C.UnitNorm(axis=[])
    with pytest.raises(TypeError, match='MinMaxNorm: rate must be a number; got None'):
        C.MinMaxNorm(rate=None)
    with pytest.raises(TypeError, match='MinMaxNorm: low must be a number; got True'):
        C.MinMaxNorm(low=True)
    with pytest.raises(ValueError, match='MinMaxNorm: axis must be an int'):
        C.MinMaxNorm(axis='0')


def test_numpy_arguments_are_stored_as_python_numbers():
    # Numbers are stored as checked floats and numpy axes as ints, so configs stay
    # JSON-serialisable.
    c = C.MaxNorm(m=np.float32(1.5), axis=np.int64(1))
    assert c.get_config() == {'name': 'MaxNorm', 'm': 1.5, 'axis': 1}
    assert type(c.m) is float and type(c.axis) is int
    json.dumps(c.get_config())
    u = C.UnitNorm(axis=(np.int32(0), 1))
    assert u.axis == (0, 1) and all(type(a) is int for a in u.axis)
    mm = C.MinMaxNorm(low=np.int64(0), high=np.float64(2.), rate=1, axis=[np.int64(0)])
    assert mm.get_config() == {'name': 'MinMaxNorm', 'low': 0., 'high': 2., 'rate': 1.,
                               'axis': [0]}
    json.dumps(mm.get_config())
