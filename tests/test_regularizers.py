import json
import warnings

import numpy as np
import pytest

import symkeras.backend as K
from opcheck import check_grad, check_value
from symkeras import regularizers as R
from symkeras.utils.generic_utils import custom_object_scope

X = np.random.RandomState(0).uniform(-2, 2, (6, 4)).astype('float32')


def np_l1l2(x, l1, l2):
    x = np.asarray(x, np.float64)
    return l1 * np.abs(x).sum() + l2 * np.square(x).sum()


def np_eigenvalue_penalty(w, k):
    """Keras 1.2's power method, unnormalised, in float64."""
    w = np.asarray(w, np.float64)
    c = w.T @ w
    v = c @ np.ones((c.shape[0], 1))
    for _ in range(8):
        v = c @ v
    eig = ((c @ v).T @ v).item() / (v.T @ v).item()
    return k * np.sqrt(eig)


def penalty_value(reg, x):
    return float(K.eval(reg(K.variable(x))))


# ---------------------------------------------------------------------------- L1L2

@pytest.mark.parametrize('l1, l2', [(0.01, 0.), (0., 0.02), (0.3, 0.7), (1e-4, 5.)])
def test_l1l2_penalty_against_numpy(l1, l2):
    reg = R.L1L2Regularizer(l1=l1, l2=l2)
    check_value(reg, lambda x: np_l1l2(x, l1, l2), X, rtol=1e-5)
    check_value(reg, lambda x: np_l1l2(x, l1, l2), X.astype(np.float64).reshape(2, 3, 4))


def test_l1l2_penalty_on_odd_shapes():
    reg = R.L1L2Regularizer(0.1, 0.2)
    for shape in [(1,), (1, 1), (3, 5, 7), (0, 4)]:
        x = np.random.uniform(-1, 1, shape).astype('float32')
        assert penalty_value(reg, x) == pytest.approx(np_l1l2(x, 0.1, 0.2), rel=1e-5, abs=1e-7)


def test_l1l2_penalty_keeps_float64():
    reg = R.L1L2Regularizer(0.1, 0.1)
    x = K.variable(X, dtype='float64')
    assert K.dtype(reg(x)) == 'float64'
    assert K.dtype(reg(K.variable(X))) == 'float32'


def test_zero_factors_give_a_zero_float_penalty():
    for reg in (R.L1L2Regularizer(), R.Regularizer()):
        p = reg(K.variable(X))
        assert float(K.eval(p)) == 0.0
        assert K.dtype(p) == K.floatx()
        # the engine can differentiate a total loss that includes it
        w = K.variable(X)
        g = K.eval(K.gradients(K.sum(w) + reg(w), [w])[0])
        np.testing.assert_array_equal(g, np.ones_like(X))


def test_l1l2_gradients():
    x = X.astype(np.float64)
    reg = R.L1L2Regularizer(l1=0.3, l2=0.7)
    w = K.variable(x, dtype='float64')
    g = K.eval(K.gradients(reg(w), [w])[0])
    # the factors are stored in floatx, as Keras 1.2 does
    l1, l2 = float(np.float32(0.3)), float(np.float32(0.7))
    np.testing.assert_allclose(g, l1 * np.sign(x) + 2 * l2 * x, rtol=1e-12)
    check_grad(reg, x)
    check_grad(R.l2(0.5), x)


def test_l1l2_on_a_placeholder_with_unknown_shape():
    x = K.placeholder(ndim=2)
    f = K.function([x], [R.l1l2(0.1, 0.2)(x)])
    for shape in [(3, 2), (1, 9)]:
        a = np.random.uniform(-1, 1, shape).astype('float32')
        assert float(f([a])[0]) == pytest.approx(np_l1l2(a, 0.1, 0.2), rel=1e-5)


def test_l1l2_factors_and_config():
    reg = R.L1L2Regularizer(l1=0.25, l2=1)
    assert reg.l1.dtype == np.float32 and float(reg.l2) == 1.0
    config = reg.get_config()
    assert config == {'name': 'L1L2Regularizer', 'l1': 0.25, 'l2': 1.0}
    assert all(type(config[k]) is float for k in ('l1', 'l2'))
    json.dumps(config)


def test_l1l2_bad_factors():
    with pytest.raises(TypeError, match="L1L2Regularizer: l1 must be a number; got 'abc'"):
        R.L1L2Regularizer(l1='abc')
    with pytest.raises(TypeError, match="L1L2Regularizer: l1 must be a number; got '0.1'"):
        R.L1L2Regularizer(l1='0.1')
    with pytest.raises(TypeError, match='L1L2Regularizer: l2 must be a number; got None'):
        R.L1L2Regularizer(l2=None)
    with pytest.raises(ValueError, match='L1L2Regularizer: l2 must be a number; got nan'):
        R.L1L2Regularizer(l2=float('nan'))
    assert R.L1L2Regularizer(l1=np.float64(0.5)).get_config()['l1'] == 0.5


def test_aliases():
    assert R.WeightRegularizer is R.L1L2Regularizer
    assert R.ActivityRegularizer is R.L1L2Regularizer


@pytest.mark.parametrize('fn, l1, l2', [
    (lambda: R.l1(), 0.01, 0.), (lambda: R.l2(), 0., 0.01), (lambda: R.l1l2(), 0.01, 0.01),
    (lambda: R.activity_l1(), 0.01, 0.), (lambda: R.activity_l2(), 0., 0.01),
    (lambda: R.activity_l1l2(), 0.01, 0.01),
    (lambda: R.l1(0.5), 0.5, 0.), (lambda: R.l2(l=0.5), 0., 0.5),
    (lambda: R.l1l2(l1=0.1, l2=0.2), 0.1, 0.2), (lambda: R.activity_l1(0.3), 0.3, 0.),
    (lambda: R.activity_l2(0.3), 0., 0.3), (lambda: R.activity_l1l2(0.4, 0.5), 0.4, 0.5)])
def test_shortcuts(fn, l1, l2):
    reg = fn()
    assert isinstance(reg, R.L1L2Regularizer)
    assert reg.get_config() == {'name': 'L1L2Regularizer', 'l1': pytest.approx(l1),
                                'l2': pytest.approx(l2)}


# ---------------------------------------------------------------------------- base class

def test_base_class():
    reg = R.Regularizer()
    assert reg.get_config() == {'name': 'Regularizer'}
    with pytest.warns(UserWarning, match='`set_param` method on regularizers is deprecated'):
        reg.set_param(K.variable(X))
    with pytest.warns(UserWarning, match='`set_layer` method on regularizers is deprecated'):
        R.l2().set_layer(object())


# ---------------------------------------------------------------------------- eigenvalue

def test_eigenvalue_penalty_against_keras_power_method():
    w = np.random.RandomState(3).normal(size=(7, 5)).astype('float32')
    reg = R.EigenvalueRegularizer(0.5)
    assert penalty_value(reg, w) == pytest.approx(np_eigenvalue_penalty(w, 0.5), rel=1e-5)
    # with a clear spectral gap it is k times the largest singular value
    u, _, vt = np.linalg.svd(np.random.RandomState(4).normal(size=(6, 4)), full_matrices=False)
    w = (u * [3., 1., 0.5, 0.1]) @ vt
    assert penalty_value(reg, w) == pytest.approx(0.5 * 3., rel=1e-5)


def test_eigenvalue_penalty_large_weights_do_not_overflow():
    w = np.random.RandomState(5).normal(size=(20, 10)).astype('float32') * 1e3
    reg = R.EigenvalueRegularizer(2.)
    value = penalty_value(reg, w)
    assert np.isfinite(value)
    assert value == pytest.approx(np_eigenvalue_penalty(w, 2.), rel=1e-4)


def test_eigenvalue_penalty_zero_weight_is_zero():
    assert penalty_value(R.EigenvalueRegularizer(1.), np.zeros((3, 2))) == 0.0


def test_eigenvalue_gradient():
    w = np.random.RandomState(6).normal(size=(5, 3))
    check_grad(R.EigenvalueRegularizer(0.7), w, rtol=1e-4)
    # d(sigma_max)/dW = u1 v1^T for a simple top singular value
    var = K.variable(w, dtype='float64')
    g = K.eval(K.gradients(R.EigenvalueRegularizer(1.)(var), [var])[0])
    u, _, vt = np.linalg.svd(w)
    np.testing.assert_allclose(g, np.outer(u[:, 0], vt[0]), atol=1e-3)


def test_eigenvalue_on_placeholder_and_rank_check():
    x = K.placeholder(ndim=2)
    f = K.function([x], [R.EigenvalueRegularizer(1.)(x)])
    w = np.random.RandomState(8).normal(size=(4, 6)).astype('float32')
    assert float(f([w])[0]) == pytest.approx(np_eigenvalue_penalty(w, 1.), rel=1e-5)
    with pytest.raises(ValueError, match=r'EigenvalueRegularizer: only for 2-D weights; got a '
                                         r'tensor of shape \(2, 3, 4\)'):
        R.EigenvalueRegularizer(1.)(K.variable(np.zeros((2, 3, 4))))
    with pytest.raises(TypeError, match="EigenvalueRegularizer: k must be a number; got 'x'"):
        R.EigenvalueRegularizer('x')


def test_eigenvalue_config_round_trip():
    reg = R.EigenvalueRegularizer(0.25)
    config = reg.get_config()
    assert config == {'name': 'EigenvalueRegularizer', 'k': 0.25}
    back = R.get(config)
    assert isinstance(back, R.EigenvalueRegularizer) and float(back.k) == 0.25


# ---------------------------------------------------------------------------- get

@pytest.mark.parametrize('reg', [R.L1L2Regularizer(0.1, 0.2), R.l1(0.3), R.activity_l2(0.4),
                                 R.Regularizer()])
def test_config_round_trip_through_get_and_json(reg):
    config = json.loads(json.dumps(reg.get_config()))
    saved = dict(config)
    back = R.get(config)
    assert type(back) is type(reg) and back.get_config() == reg.get_config()
    assert config == saved


def test_get_class_name_config():
    back = R.get({'class_name': 'L1L2Regularizer', 'config': {'l1': 0.5}})
    assert back.get_config() == {'name': 'L1L2Regularizer', 'l1': 0.5, 'l2': 0.}


@pytest.mark.parametrize('name, l1, l2', [
    ('l1', 0.01, 0.), ('l2', 0., 0.01), ('l1l2', 0.01, 0.01), ('activity_l1', 0.01, 0.),
    ('activity_l2', 0., 0.01), ('activity_l1l2', 0.01, 0.01), ('L1L2Regularizer', 0., 0.),
    ('WeightRegularizer', 0., 0.), ('ActivityRegularizer', 0., 0.)])
def test_get_by_name_instantiates(name, l1, l2):
    reg = R.get(name)
    assert isinstance(reg, R.L1L2Regularizer)
    assert (float(reg.l1), float(reg.l2)) == (pytest.approx(l1), pytest.approx(l2))


def test_get_with_kwargs_and_other_names():
    assert float(R.get('l2', {'l': 0.5}).l2) == 0.5
    assert float(R.get('EigenvalueRegularizer', {'k': 3}).k) == 3.
    assert type(R.get('Regularizer')) is R.Regularizer
    assert type(R.get('identity')) is R.Regularizer


def test_get_passes_instances_callables_and_none():
    reg = R.l1()
    assert R.get(reg) is reg
    f = lambda x: K.sum(x)   # noqa: E731
    assert R.get(f) is f
    assert R.get(None) is None


def test_get_custom_object():
    class Mine(R.Regularizer):
        pass
    with custom_object_scope({'Mine': Mine}):
        assert type(R.get('Mine')) is Mine
        assert type(R.get({'name': 'Mine'})) is Mine


@pytest.mark.parametrize('bad', ['l3', 'K', 'warnings', 'get'])
def test_get_unknown_name(bad):
    with pytest.raises(ValueError, match='^Invalid regularizer: %s$' % bad):
        R.get(bad)


def test_get_bad_identifiers():
    with pytest.raises(ValueError, match="Invalid regularizer: .*'L3'"):
        R.get({'name': 'L3', 'l1': 0.1})
    with pytest.raises(ValueError, match=r'Invalid regularizer: 0.01 \(expected a name'):
        R.get(0.01)
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        R.get('l1')


def test_activity_shortcuts_are_the_weight_shortcuts():
    # Identical in Keras 1.2.2 (same arguments, defaults and regularizer), so one function each.
    assert R.activity_l1 is R.l1 and R.activity_l2 is R.l2 and R.activity_l1l2 is R.l1l2
