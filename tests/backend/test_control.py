import numpy as np
import pytest

import symkeras.backend as K
from symkeras.backend import variables
from symkeras.backend.graph import ShapeError
from symkeras.backend.ops.broadcast import sum_to
from opcheck import check_grad, check_value


def scalar_sum(x):
    return sum_to(x, np.zeros((0,), dtype='int64'))


@pytest.fixture
def fixed_phase():
    saved = variables._FIXED_PHASE
    yield
    variables._FIXED_PHASE = saved


# ----------------------------------------------------------------------------- learning phase

@pytest.mark.parametrize('fn, train_value', [(K.in_train_phase, 'x'), (K.in_test_phase, 'alt')])
def test_branch_chosen_by_learning_phase_and_other_not_run(capsys, fn, train_value):
    x = K.placeholder((None, 3))
    xv = np.arange(6, dtype='float32').reshape(2, 3)
    branches = {'x': K.print_tensor(x * 2, 'x'), 'alt': K.print_tensor(x - 1, 'alt')}
    y = fn(branches['x'], branches['alt'])
    assert y._uses_learning_phase is True
    f = K.function([x, K.learning_phase()], [y])
    expected = {'x': xv * 2, 'alt': xv - 1}
    test_value = 'alt' if train_value == 'x' else 'x'
    for phase, name in ((1, train_value), (0, test_value), (1, train_value)):
        np.testing.assert_array_equal(f([xv, phase])[0], expected[name])
        out = capsys.readouterr().out
        assert out.startswith(name + ' __str__ = ')
        assert ('alt' if name == 'x' else 'x') + ' __str__' not in out


def test_lazy_branches_are_called():
    x = K.placeholder((2,))
    y = K.in_train_phase(lambda: x + 1, lambda: x - 1)
    f = K.function([x, K.learning_phase()], [y])
    np.testing.assert_array_equal(f([np.zeros(2), 1])[0], [1, 1])
    np.testing.assert_array_equal(f([np.zeros(2), 0])[0], [-1, -1])


def test_branch_shapes_broadcast_compatible():
    x = K.placeholder((None, 3))
    alt = K.placeholder((1, 3))
    y = K.in_train_phase(x, alt)
    assert y.node.shape == (None, 3)
    f = K.function([x, alt, K.learning_phase()], [y])
    assert f([np.ones((4, 3)), np.zeros((1, 3)), 1])[0].shape == (4, 3)
    assert f([np.ones((4, 3)), np.zeros((1, 3)), 0])[0].shape == (1, 3)
    assert K.in_test_phase(K.placeholder((2, 1)), K.placeholder((2, 3))).node.shape == (2, None)


def test_branch_shape_errors():
    with pytest.raises(ShapeError, match=r'InTrainPhase: x has shape \(4, 3\) but alt has shape \(5, 3\)'):
        K.in_train_phase(K.placeholder((4, 3)), K.placeholder((5, 3)))
    with pytest.raises(ShapeError, match='same number of dimensions'):
        K.in_test_phase(K.placeholder((4, 3)), K.placeholder((3,)))


def test_branch_dtypes_are_unified():
    x = K.placeholder((2,), dtype='float32')
    assert K.in_train_phase(x, K.placeholder((2,), dtype='float64')).dtype == 'float64'
    y = K.in_train_phase(x, np.zeros(2))
    assert y.dtype == 'float32'


def test_gradients_follow_the_chosen_branch():
    a = K.placeholder((None, 4), dtype='float64')
    b = K.placeholder((None, 4), dtype='float64')
    w = np.random.uniform(-1, 1, (3, 4))
    y = K.in_train_phase(a * a, 3 * b)
    ga, gb = K.gradients(scalar_sum(y * K.variable(w, dtype='float64')), [a, b])
    f = K.function([a, b, K.learning_phase()], [ga, gb])
    av, bv = np.random.randn(3, 4), np.random.randn(3, 4)
    ga1, gb1 = f([av, bv, 1])
    np.testing.assert_allclose(ga1, 2 * av * w)
    np.testing.assert_array_equal(gb1, np.zeros((3, 4)))
    ga0, gb0 = f([av, bv, 0])
    np.testing.assert_array_equal(ga0, np.zeros((3, 4)))
    np.testing.assert_allclose(gb0, 3 * w)


def test_fixed_learning_phase_returns_the_branch(fixed_phase):
    x, alt = K.placeholder((2,)), K.placeholder((2,))
    K.set_learning_phase(1)
    assert K.in_train_phase(x, alt) is x
    assert K.in_test_phase(x, alt) is alt
    assert K.in_train_phase(lambda: x, lambda: alt) is x
    K.set_learning_phase(0)
    assert K.in_train_phase(x, alt) is alt
    assert K.in_test_phase(x, alt) is x
    y = K.dropout(x, 0.5)
    z = K.in_train_phase(y, x * 1)
    np.testing.assert_array_equal(K.function([x], [z])([np.ones(2)])[0], [1, 1])


# ----------------------------------------------------------------------------- stop_gradient

def test_stop_gradient_value():
    x = np.random.randn(3, 5).astype('float32')
    check_value(K.stop_gradient, lambda v: v, x)


def test_stop_gradient_blocks_gradient():
    x = K.placeholder((None, 3), dtype='float64')
    g1, g2 = K.gradients(scalar_sum(x * K.stop_gradient(x)), [x]) + \
        K.gradients(scalar_sum(K.stop_gradient(x) * 2), [x])
    xv = np.random.randn(2, 3)
    v1, v2 = K.function([x], [g1, g2])([xv])
    np.testing.assert_allclose(v1, xv)
    np.testing.assert_array_equal(v2, np.zeros((2, 3)))


# ----------------------------------------------------------------------------- print_tensor

def test_print_tensor_prints_each_call_and_passes_value(capsys):
    x = K.placeholder((None,))
    f = K.function([x], [K.print_tensor(x * 2, message='double')])
    for v in ([1.0, 2.0], [3.0]):
        out = f([np.array(v, 'float32')])[0]
        np.testing.assert_array_equal(out, np.array(v) * 2)
        assert capsys.readouterr().out == 'double __str__ = %s\n' % (np.array(v, 'float32') * 2,)


def test_print_tensor_default_message_dtypes_and_empty(capsys):
    x = K.placeholder((None, 2), dtype='int32')
    f = K.function([x], [K.print_tensor(x)])
    xv = np.array([[1, 2], [3, 4]], 'int32')
    np.testing.assert_array_equal(f([xv])[0], xv)
    assert capsys.readouterr().out == ' __str__ = %s\n' % (xv,)
    assert f([np.zeros((0, 2), 'int32')])[0].shape == (0, 2)
    assert capsys.readouterr().out == ' __str__ = []\n'


def test_print_tensor_never_merged_or_folded(capsys):
    x = K.placeholder((1,))
    a, b = K.print_tensor(x, 'p'), K.print_tensor(x, 'p')
    c = K.print_tensor(np.float32(5), 'c')
    K.function([x], [a, b, c])([np.ones(1)])
    out = capsys.readouterr().out.splitlines()
    assert out.count('p __str__ = [1.]') == 2 and 'c __str__ = 5.0' in out


def test_print_tensor_gradient_passes_through(capsys):
    check_grad(lambda v: K.print_tensor(v * v, 'sq'), np.random.randn(2, 3))
    assert 'sq __str__' in capsys.readouterr().out


# ----------------------------------------------------------------------------- updates

def test_update_helpers():
    v = K.variable(np.array([1.0, 2.0]))
    inc = K.placeholder((2,))
    assert K.update(v, inc) == (v, inc)
    f = K.function([inc], [v], updates=[K.update_add(v, inc)])
    np.testing.assert_array_equal(f([np.array([10.0, 20.0])])[0], [1, 2])   # outputs read old values
    np.testing.assert_array_equal(K.get_value(v), [11, 22])
    K.function([inc], [], updates=[K.update_sub(v, inc)])([np.array([1.0, 2.0])])
    np.testing.assert_array_equal(K.get_value(v), [10, 20])
    K.function([inc], [], updates=[K.update(v, inc * 3)])([np.array([1.0, 2.0])])
    np.testing.assert_array_equal(K.get_value(v), [3, 6])


def test_moving_average_update():
    mean = K.variable(np.array([1.0, 5.0]))
    x = K.placeholder((2,))
    f = K.function([x], [], updates=[K.moving_average_update(mean, x, 0.9)])
    f([np.array([11.0, -5.0])])
    np.testing.assert_allclose(K.get_value(mean), [2.0, 4.0], rtol=1e-6)
    f([np.array([2.0, 4.0])])
    np.testing.assert_allclose(K.get_value(mean), [2.0, 4.0], rtol=1e-6)


def test_updates_read_old_values_swap():
    a, b = K.variable(np.array([1.0, 2.0])), K.variable(np.array([3.0, 4.0]))
    f = K.function([], [], updates=[K.update(a, b), K.update(b, a)])
    f([])
    np.testing.assert_array_equal(K.get_value(a), [3, 4])
    np.testing.assert_array_equal(K.get_value(b), [1, 2])
    c = K.variable(np.array([1.0]))
    d = K.variable(np.array([10.0]))
    K.function([], [], updates=[K.update_add(c, d), K.update_add(d, c)])([])
    np.testing.assert_array_equal([K.get_value(c), K.get_value(d)], [[11], [11]])
