import numpy as np
import pytest

import symkeras.backend as K
from opcheck import check_value
from symkeras import activations
from symkeras.utils.generic_utils import custom_object_scope


def np_softmax(x):
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def np_sigmoid(x):
    return 1. / (1. + np.exp(-x))


X2 = np.random.RandomState(0).uniform(-3, 3, (4, 5)).astype('float32')
X3 = np.random.RandomState(1).uniform(-3, 3, (2, 3, 7)).astype('float32')


@pytest.mark.parametrize('x', [X2, X3, X2[:1, :1], X3[:, :1, :]])
def test_softmax_2d_and_3d_over_last_axis(x):
    check_value(activations.softmax, np_softmax, x)


def test_softmax_large_inputs_are_stable():
    x = np.array([[1000., 1001., 999.]], dtype='float32')
    check_value(activations.softmax, np_softmax, x)


@pytest.mark.parametrize('shape', [(5,), (2, 3, 4, 5)])
def test_softmax_other_ranks_name_the_shape(shape):
    x = K.placeholder(shape=shape)
    with pytest.raises(ValueError, match=r'softmax: expected a 2-D or 3-D tensor; got a tensor '
                                         r'of shape %s \(ndim=%d\)'
                                         % (str(shape).replace('(', r'\(').replace(')', r'\)'),
                                            len(shape))):
        activations.softmax(x)


def test_elu():
    check_value(activations.elu, lambda x: np.where(x > 0, x, np.expm1(x)), X2)
    check_value(lambda x: activations.elu(x, alpha=0.5),
                lambda x: np.where(x > 0, x, 0.5 * np.expm1(x)), X3)


def test_softplus_softsign_tanh_sigmoid():
    check_value(activations.softplus, lambda x: np.log1p(np.exp(x)), X2)
    check_value(activations.softsign, lambda x: x / (1 + np.abs(x)), X3)
    check_value(activations.tanh, np.tanh, X2)
    check_value(activations.sigmoid, np_sigmoid, X3)


def test_hard_sigmoid_is_theanos():
    x = np.array([[-3., -2.5, -1., 0., 1., 2.5, 3.]], dtype='float32')
    check_value(activations.hard_sigmoid, lambda x: np.clip(0.2 * x + 0.5, 0, 1), x)


def test_relu_and_its_arguments():
    check_value(activations.relu, lambda x: np.maximum(x, 0), X2)
    check_value(lambda x: activations.relu(x, alpha=0.1),
                lambda x: np.where(x > 0, x, 0.1 * x), X2)
    check_value(lambda x: activations.relu(x, max_value=1.5),
                lambda x: np.minimum(np.maximum(x, 0), 1.5), X3)
    check_value(lambda x: activations.relu(x, 0.2, 2.),
                lambda x: np.minimum(np.where(x > 0, x, 0.2 * x), 2.), X3)


def test_linear_is_the_identity():
    x = K.placeholder(ndim=2)
    assert activations.linear(x) is x
    check_value(activations.linear, lambda x: x, X2)


NAMES = ['softmax', 'elu', 'softplus', 'softsign', 'relu', 'tanh', 'sigmoid', 'hard_sigmoid',
         'linear']


@pytest.mark.parametrize('name', NAMES)
def test_get_by_name(name):
    assert activations.get(name) is getattr(activations, name)


def test_get_none_and_callables():
    assert activations.get(None) is activations.linear
    f = lambda x: x * 2    # noqa: E731
    assert activations.get(f) is f
    assert activations.get(K.tanh) is K.tanh


def test_get_custom_object():
    def swish(x):
        return x * K.sigmoid(x)
    with custom_object_scope({'swish': swish}):
        assert activations.get('swish') is swish
    with pytest.raises(ValueError, match='Invalid activation function: swish'):
        activations.get('swish')


@pytest.mark.parametrize('name', ['foo', 'K', 'get', 'get_from_module', 'Softmax'])
def test_get_unknown_name(name):
    with pytest.raises(ValueError, match='^Invalid activation function: %s$' % name):
        activations.get(name)


def test_get_not_callable():
    with pytest.raises(ValueError, match='Invalid activation function: 5 '):
        activations.get(5)
