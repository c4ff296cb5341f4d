"""Variables, placeholders, introspection helpers and the learning phase of the K API."""
import numpy as np
import pytest

import symkeras.backend as K
from symkeras.backend import variables


@pytest.fixture
def restore_learning_phase():
    yield
    variables._FIXED_PHASE = None


def test_variable_value_dtype_and_copy_semantics():
    init = np.arange(6.).reshape(2, 3)
    v = K.variable(init, name='w')
    init[:] = -1                                 # the variable holds a copy
    got = K.get_value(v)
    assert got.dtype == np.float32 and got.shape == (2, 3)
    np.testing.assert_array_equal(got, np.arange(6.).reshape(2, 3))
    got[:] = 100                                 # and hands out copies
    np.testing.assert_array_equal(K.get_value(v), np.arange(6.).reshape(2, 3))
    assert v.name == 'w' and K.dtype(v) == 'float32'
    assert K.variable(3.).dtype == 'float32' and K.get_value(K.variable(3.)).shape == ()


def test_variable_dtype_argument():
    i = K.variable([1.7, -2.2, 3.], dtype='int32')
    assert K.dtype(i) == 'int32'
    np.testing.assert_array_equal(K.get_value(i), [1, -2, 3])
    d = K.variable(np.ones(2), dtype='float64')
    assert K.get_value(d).dtype == np.float64
    assert K.variable(np.ones(2), dtype=np.int64).dtype == 'int64'
    assert K.variable([True, False], dtype='bool').dtype == 'bool'
    with pytest.raises(TypeError, match="'float16' is not supported.*float32, float64"):
        K.variable(1., dtype='float16')


def test_set_value():
    v = K.variable(np.zeros((2, 3)), name='w')
    new = np.ones((2, 3))
    K.set_value(v, new)
    new[:] = 5                                   # set_value copies
    np.testing.assert_array_equal(K.get_value(v), 1)
    assert K.get_value(v).dtype == np.float32    # converted to the variable's dtype
    K.set_value(v, [[1, 2, 3], [4, 5, 6]])
    np.testing.assert_array_equal(K.get_value(v), [[1, 2, 3], [4, 5, 6]])
    with pytest.raises(ValueError, match=r"'w' has shape \(2, 3\).*\(3, 2\)"):
        K.set_value(v, np.ones((3, 2)))
    with pytest.raises(TypeError, match='expected a variable'):
        K.set_value(K.placeholder(shape=(2,)), np.ones(2))


def test_set_value_is_seen_by_compiled_functions():
    x = K.placeholder(shape=(None, 2))
    w = K.variable(np.ones(2))
    f = K.function([x], [x * w])
    np.testing.assert_array_equal(f([np.ones((1, 2))])[0], [[1, 1]])
    K.set_value(w, [3, 4])
    np.testing.assert_array_equal(f([np.ones((1, 2))])[0], [[3, 4]])


def test_batch_get_and_set_value():
    a, b = K.variable(np.zeros(2)), K.variable(np.ones((2, 2)), dtype='float64')
    K.batch_set_value([(a, [1, 2]), (b, np.eye(2))])
    va, vb = K.batch_get_value([a, b])
    np.testing.assert_array_equal(va, [1, 2])
    np.testing.assert_array_equal(vb, np.eye(2))
    assert vb.dtype == np.float64
    assert K.batch_get_value([]) == []


def test_zeros_ones_eye():
    z, o, e = K.zeros((2, 3)), K.ones((4,), dtype='int32'), K.eye(3, name='I')
    np.testing.assert_array_equal(K.eval(z), np.zeros((2, 3)))
    np.testing.assert_array_equal(K.eval(o), np.ones(4))
    np.testing.assert_array_equal(K.eval(e), np.eye(3))
    assert (K.dtype(z), K.dtype(o), K.dtype(e)) == ('float32', 'int32', 'float32')
    assert e.name == 'I'
    assert K.int_shape(K.zeros((0, 5))) == (0, 5)
    assert K.dtype(K.zeros((2,), dtype='float64')) == 'float64'


def test_shape_introspection():
    v = K.variable(np.zeros((3, 4, 5)))
    assert K.count_params(v) == 60
    assert K.count_params(K.zeros((0, 7))) == 0
    assert K.count_params(K.variable(2.)) == 1
    assert K.get_variable_shape(v) == (3, 4, 5)
    assert K.int_shape(v) == (3, 4, 5) and K.ndim(v) == 3
    p = K.placeholder(shape=(None, 4))
    assert K.int_shape(p) == (None, 4) and K.ndim(p) == 2
    assert K.int_shape(p * 2) == (None, 4)
    assert K.ndim(np.ones((2, 2))) == 2 and K.dtype(np.ones(2, 'float64')) == 'float64'
    with pytest.raises(TypeError, match='not a tensor'):
        K.int_shape(3)
    with pytest.raises(TypeError, match='get_variable_shape: expected a variable'):
        K.get_variable_shape(p)


def test_placeholder_arguments():
    assert K.int_shape(K.placeholder(shape=(2, None, 3))) == (2, None, 3)
    p = K.placeholder(ndim=3)
    assert K.int_shape(p) == (None, None, None) and K.dtype(p) == 'float32'
    p = K.placeholder(shape=(2,), ndim=1, dtype='int32', name='ids')
    assert K.dtype(p) == 'int32' and p.name == 'ids'
    assert K.dtype(K.placeholder(ndim=1, dtype='float64')) == 'float64'
    assert K.dtype(K.placeholder(ndim=1, dtype='uint8')) == 'uint8'
    with pytest.raises(ValueError, match='give shape or ndim'):
        K.placeholder()
    with pytest.raises(ValueError, match=r'shape \(2,\) does not have ndim=2'):
        K.placeholder(shape=(2,), ndim=2)
    with pytest.raises(TypeError, match="placeholder dtype 'complex64' is not supported"):
        K.placeholder(shape=(2,), dtype='complex64')


def test_placeholder_follows_floatx():
    K.set_floatx('float64')
    try:
        assert K.dtype(K.placeholder(ndim=2)) == 'float64'
        assert K.dtype(K.variable(1.)) == 'float64'
    finally:
        K.set_floatx('float32')


def test_is_keras_tensor():
    p = K.placeholder(shape=(2,))
    assert not K.is_keras_tensor(p)
    assert not K.is_keras_tensor(K.variable(1.))
    assert not K.is_keras_tensor(np.ones(2))
    p._keras_history = (None, 0, 0)               # what Input/Layer.__call__ set
    assert K.is_keras_tensor(p)


def test_random_variables_are_seeded_by_numpy():
    np.random.seed(3)
    a = K.get_value(K.random_uniform_variable((20, 30), -2, 1))
    np.random.seed(3)
    b = K.get_value(K.random_uniform_variable((20, 30), -2, 1))
    np.testing.assert_array_equal(a, b)
    assert a.dtype == np.float32 and a.min() >= -2 and a.max() < 1 and a.std() > 0.5
    np.random.seed(4)
    n = K.random_normal_variable((200, 50), 1., 2., dtype='float64', name='n')
    v = K.get_value(n)
    assert v.dtype == np.float64 and n.name == 'n'
    assert abs(v.mean() - 1) < 0.05 and abs(v.std() - 2) < 0.05
    np.random.seed(4)
    again = K.random_normal_variable((200, 50), 1., 2., dtype='float64')
    np.testing.assert_array_equal(K.get_value(again), v)


def test_eval():
    v = K.variable(np.array([1., 2.]))
    np.testing.assert_array_equal(K.eval(v * 3 + 1), [4, 7])
    r = K.eval(v)
    r[:] = 0
    np.testing.assert_array_equal(K.get_value(v), [1, 2])
    assert K.eval(K.variable(2.)).shape == ()
    with pytest.raises(ValueError, match='not among the inputs'):
        K.eval(K.placeholder(shape=(2,)) * 2)


def test_learning_phase(restore_learning_phase):
    lp = K.learning_phase()
    assert K.dtype(lp) == 'uint8' and K.ndim(lp) == 0
    assert K.learning_phase() is lp
    K.set_learning_phase(0)
    assert K.learning_phase() == 0
    K.set_learning_phase(1)
    assert K.learning_phase() == 1
    with pytest.raises(ValueError, match='expected 0 or 1; got 2'):
        K.set_learning_phase(2)
    assert K.learning_phase() == 1


def test_sparse_helpers():
    p = K.placeholder(shape=(2,))
    assert not K.is_sparse(p) and K.to_dense(p) is p
    assert K.is_explicit_shape((None, 3)) and not K.is_explicit_shape((None, 'a'))
    assert not K.is_explicit_shape(3)


def test_zeros_like_ones_like_follow_run_time_shape():
    x = K.placeholder(shape=(None, 3))
    f = K.function([x], [K.zeros_like(x), K.ones_like(x), K.ones_like(x, dtype='int32'), K.shape(x)])
    for n in [0, 2, 1 << 19]:          # the last is too large to fold: the fill kernel runs
        z, o, i, s = f([np.empty((n, 3), 'float32')])
        assert z.shape == o.shape == i.shape == (n, 3)
        assert (z.dtype, o.dtype, i.dtype) == (np.float32, np.float32, np.int32)
        assert not z.any() and o.all() and i.all()
        np.testing.assert_array_equal(s, [n, 3])
    v = K.variable(np.ones((2, 2)), dtype='float64')
    np.testing.assert_array_equal(K.eval(K.zeros_like(v)), np.zeros((2, 2)))
    assert K.dtype(K.ones_like(v)) == 'float64'


def test_sparse_placeholder_is_refused_with_a_clear_message():
    with pytest.raises(ValueError, match='no sparse tensors'):
        K.placeholder(shape=(None, 3), sparse=True)
