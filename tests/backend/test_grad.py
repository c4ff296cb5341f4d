"""K.gradients: chains, unused and integer variables, errors, second derivatives, accumulation
over repeated uses, casts, and a compiled training step."""
import numpy as np
import pytest

import symkeras.backend as K
from opcheck import check_grad
from symkeras.backend.ops.broadcast import sum_to


def total(t):
    return sum_to(t, np.zeros((0,), 'int64'))


def numeric_grad(f, x, eps=1e-6):
    """Central differences of the scalar function f at the float64 array x."""
    g = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        p, m = x.copy(), x.copy()
        p[idx] += eps
        m[idx] -= eps
        g[idx] = (f(p) - f(m)) / (2 * eps)
    return g


def test_chain_through_variables():
    rs = np.random.RandomState(0)
    x = K.placeholder(shape=(None, 3), dtype='float64')
    w0, b0 = rs.randn(1, 3), rs.randn(3)
    w, b = K.variable(w0, dtype='float64'), K.variable(b0, dtype='float64')
    loss = total(K.square(K.tanh(x * K.exp(w) + b)) / 2)
    gw, gb, gx = K.gradients(loss, [w, b, x])
    xv = rs.randn(4, 3)
    got = K.function([x], [gw, gb, gx])([xv])

    def f(wv, bv, xx):
        return np.sum(np.tanh(xx * np.exp(wv) + bv) ** 2 / 2)
    np.testing.assert_allclose(got[0], numeric_grad(lambda a: f(a, b0, xv), w0), rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(got[1], numeric_grad(lambda a: f(w0, a, xv), b0), rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(got[2], numeric_grad(lambda a: f(w0, b0, a), xv), rtol=1e-6, atol=1e-9)
    assert [g.shape for g in got] == [(1, 3), (3,), (4, 3)]


def test_long_elementwise_chain():
    check_grad(lambda a, b: K.sigmoid(K.log(K.softplus(a) + 1) * K.cos(b)) ** 2 - K.elu(a * b),
               np.random.RandomState(1).randn(3, 4), np.random.RandomState(2).randn(4))


def test_unused_and_integer_variables_get_zeros():
    x = K.placeholder(shape=(2,), dtype='float64')
    w = K.variable(np.ones(2), dtype='float64')
    unused = K.variable(np.ones((3, 2)))
    ints = K.variable([1, 2, 3], dtype='int32')
    loss = total(x * w) + total(K.cast(ints, 'float64'))
    g_w, g_unused, g_int, g_x = K.gradients(loss, [w, unused, ints, x])
    assert (g_unused.dtype, g_int.dtype) == ('float32', 'int32')
    r = K.function([x], [g_w, g_unused, g_int, g_x])([np.array([3., 4.])])
    np.testing.assert_array_equal(r[0], [3, 4])
    np.testing.assert_array_equal(r[1], np.zeros((3, 2)))
    np.testing.assert_array_equal(r[2], [0, 0, 0])
    assert r[2].dtype == np.int32
    np.testing.assert_array_equal(r[3], [1, 1])


def test_loss_without_inputs_and_gradient_of_loss_itself():
    w = K.variable(np.array([1., 2.]))
    loss = total(w * 3)
    np.testing.assert_array_equal(K.eval(K.gradients(loss, [w])[0]), [3, 3])
    assert K.eval(K.gradients(loss, [loss])[0]) == 1
    c = K.variable(np.zeros(2))
    np.testing.assert_array_equal(K.eval(K.gradients(total(K.exp(c)) * 0 + 5., [w])[0]), [0, 0])


def test_single_variable_returns_one_tensor():
    w = K.variable(np.array([1., 2.]))
    g = K.gradients(total(w * w), w)
    assert isinstance(g, K.Tensor)
    np.testing.assert_array_equal(K.eval(g), [2, 4])


def test_errors():
    x = K.placeholder(shape=(None, 3))
    w = K.variable(np.ones(3))
    with pytest.raises(ValueError, match=r'loss must be a scalar; it has shape \(None, 3\)'):
        K.gradients(x * w, [w])
    with pytest.raises(TypeError, match='loss must be a float tensor; it is int32'):
        K.gradients(total(K.cast(x, 'int32')), [w])


def test_second_derivative_of_cube():
    x = K.placeholder(shape=(None,), dtype='float64')
    g = K.gradients(total(x ** 3), [x])[0]
    h = K.gradients(total(g), [x])[0]
    xv = np.array([1., 2., -3., 0.5])
    g1, g2 = K.function([x], [g, h])([xv])
    np.testing.assert_allclose(g1, 3 * xv ** 2, rtol=1e-12)
    np.testing.assert_allclose(g2, 6 * xv, rtol=1e-12)
    # and against finite differences of the compiled first derivative
    f = K.function([x], [total(g)])
    np.testing.assert_allclose(g2, numeric_grad(lambda a: f([a])[0], xv), rtol=1e-6)


def test_second_derivative_of_tanh_and_mixed_partials():
    x = K.placeholder(shape=(None,), dtype='float64')
    y = K.placeholder(shape=(None,), dtype='float64')
    gx = K.gradients(total(K.tanh(x * y)), [x])[0]
    hxx, hxy = K.gradients(total(gx), [x, y])
    xv, yv = np.array([0.3, -1.2, 2.]), np.array([1.5, 0.7, -0.4])
    r = K.function([x, y], [hxx, hxy])([xv, yv])
    t = np.tanh(xv * yv)
    np.testing.assert_allclose(r[0], -2 * t * (1 - t ** 2) * yv ** 2, rtol=1e-10)
    f = K.function([x, y], [total(gx)])
    np.testing.assert_allclose(r[1], numeric_grad(lambda a: f([xv, a])[0], yv), rtol=1e-6)
    # third derivative, still an ordinary graph
    g3 = K.gradients(total(K.gradients(total(K.gradients(total(K.tanh(x)), [x])[0]), [x])[0]), [x])[0]
    t = np.tanh(xv)
    expected = -2 * (1 - t ** 2) ** 2 + 4 * t ** 2 * (1 - t ** 2)
    np.testing.assert_allclose(K.function([x], [g3])([xv])[0], expected, rtol=1e-10)


def test_accumulation_over_repeated_uses():
    x = K.placeholder(shape=(None,), dtype='float64')
    h = K.exp(x)
    loss = total(x * x + h * x + h + K.sin(h) * h)
    g = K.gradients(loss, [x])[0]
    xv = np.array([0.1, -0.5, 1.2])
    e = np.exp(xv)
    expected = 2 * xv + e * xv + e + e + (np.cos(e) * e * e + np.sin(e) * e)
    np.testing.assert_allclose(K.function([x], [g])([xv])[0], expected, rtol=1e-12)
    # an intermediate as a target: d loss / d h and d loss / d x together
    gh, gx = K.gradients(total(h * h), [h, x])
    r = K.function([x], [gh, gx])([xv])
    np.testing.assert_allclose(r[0], 2 * e, rtol=1e-12)
    np.testing.assert_allclose(r[1], 2 * e * e, rtol=1e-12)
    check_grad(lambda a: a * a * a + a / (a * a + 1), np.array([0.3, -2., 1.1]))


def test_gradient_through_cast():
    x = K.placeholder(shape=(3,), dtype='float64')
    w = K.variable(np.array([1., 2., 3.]))                 # float32
    loss = total(K.cast(w, 'float64') * x) + total(K.cast(x * 2, 'float32') * w)
    gw, gx = K.gradients(loss, [w, x])
    assert (gw.dtype, gx.dtype) == ('float32', 'float64')
    r = K.function([x], [gw, gx])([np.array([1., 1., 2.])])
    np.testing.assert_allclose(r[0], [3, 3, 6])
    np.testing.assert_allclose(r[1], [3, 6, 9])


def test_compiled_training_step():
    """Gradient descent on least squares, the gradient and the update in one function."""
    rs = np.random.RandomState(3)
    xv, true_w = rs.randn(20, 3), np.array([[1., -2., 0.5]])
    yv = (xv * true_w).sum(1, keepdims=True)
    x = K.placeholder(shape=(20, 3), dtype='float64')
    y = K.placeholder(shape=(20, 1), dtype='float64')
    w = K.variable(np.zeros((1, 3)), dtype='float64')
    pred = sum_to(x * w, np.array([20, 1]))       # x @ w.T written elementwise
    loss = total(K.square(pred - y)) / 20
    g = K.gradients(loss, [w])[0]
    step = K.function([x, y], [loss], updates=[(w, w - 0.1 * g)])
    losses = [step([xv, yv])[0] for _ in range(200)]
    assert losses[-1] < 1e-6 * losses[0]
    np.testing.assert_allclose(K.get_value(w), true_w, atol=1e-3)


def test_gradient_nodes_name_the_layer_they_differentiate():
    """Nodes built by K.gradients carry their forward node's layer, marked backward; nodes of a
    forward node outside any layer get the label in force (here the optimizer's)."""
    from symkeras.backend.graph import toposort
    x = K.placeholder(shape=(None, 3))
    w = K.variable(np.ones((3, 2)))
    with K.layer_scope('dense_9 (Dense)'):
        y = K.dot(x, w)
    loss = K.sum(y * y)
    with K.layer_scope('optimizer SGD'):
        g = K.gradients(loss, [w])[0]
    labels = {n.prov[2] for n in toposort([g.node]) if n.prov is not None and n.inputs}
    assert 'dense_9 (Dense), backward' in labels and 'optimizer SGD' in labels
    assert labels <= {'dense_9 (Dense)', 'dense_9 (Dense), backward', 'optimizer SGD', None}
