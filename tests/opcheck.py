"""Checks every op test uses: values against a numpy reference, gradients against central
finite differences in float64, both through the public K API and compiled programs."""
import numpy as np

import symkeras.backend as K
from symkeras.backend.ops.broadcast import sum_to


def placeholders(arrays, dynamic_batch=False):
    """A placeholder per array (same dtype and ndim); dims are None when dynamic_batch."""
    out = []
    for a in arrays:
        a = np.asarray(a)
        shape = tuple(None for _ in a.shape) if dynamic_batch else a.shape
        out.append(K.placeholder(shape=shape, dtype=str(a.dtype) if a.dtype != bool else 'bool'))
    return out


def evaluate(fn, *arrays, dynamic_batch=False):
    """fn(*placeholders) compiled and run on arrays; returns a numpy array (or list)."""
    ps = placeholders(arrays, dynamic_batch)
    out = fn(*ps)
    many = isinstance(out, (list, tuple))
    res = K.function(ps, list(out) if many else [out])(list(arrays))
    return res if many else res[0]


def check_value(fn, ref, *arrays, rtol=1e-5, atol=1e-6, dtype=None, dynamic_batch=True):
    """fn on placeholders (static and dynamic shapes) gives ref(*arrays), same shape and dtype."""
    expected = np.asarray(ref(*arrays))
    for dyn in ([False, True] if dynamic_batch else [False]):
        got = evaluate(fn, *arrays, dynamic_batch=dyn)
        assert got.shape == expected.shape, (got.shape, expected.shape)
        if dtype is not None:
            assert got.dtype == np.dtype(dtype), (got.dtype, dtype)
        if expected.dtype.kind in 'fc':
            np.testing.assert_allclose(got, expected, rtol=rtol, atol=atol)
        else:
            np.testing.assert_array_equal(got, expected)
    return got


def _loss(fn, ps, weights):
    out = fn(*ps)
    return sum_to(out * K.variable(weights, dtype='float64'), np.zeros((0,), dtype='int64'))


def check_grad(fn, *arrays, wrt=None, eps=1e-6, rtol=1e-5, atol=1e-7, seed=0):
    """K.gradients of sum(fn(x) * R) (R random) against central differences of the compiled
    forward pass, for each input index in `wrt` (default: every float input). float64."""
    arrays = [np.array(a, dtype=np.float64) if np.asarray(a).dtype.kind == 'f' else np.asarray(a)
              for a in arrays]
    wrt = [i for i, a in enumerate(arrays) if a.dtype.kind == 'f'] if wrt is None else wrt
    ps = placeholders(arrays)
    out_shape = evaluate(fn, *arrays).shape
    weights = np.random.RandomState(seed).uniform(-1, 1, out_shape)
    loss = _loss(fn, ps, weights)
    grads = K.gradients(loss, [ps[i] for i in wrt])
    analytic = K.function(ps, grads)(arrays)
    forward = K.function(ps, [loss])
    for i, g in zip(wrt, analytic):
        assert g.shape == arrays[i].shape
        numeric = np.zeros_like(arrays[i])
        for idx in np.ndindex(arrays[i].shape):
            plus = [a.copy() for a in arrays]
            minus = [a.copy() for a in arrays]
            plus[i][idx] += eps
            minus[i][idx] -= eps
            numeric[idx] = (forward(plus)[0] - forward(minus)[0]) / (2 * eps)
        np.testing.assert_allclose(g, numeric, rtol=rtol, atol=atol,
                                   err_msg='gradient wrt input %d' % i)
    return analytic


def check_variable_grads(loss_fn, feed, variables, grads, eps=1e-6, rtol=1e-5, atol=1e-7):
    """`grads` (arrays, one per variable) against central differences of the compiled
    loss_fn(feed)[0] in each variable's elements (float64 variables)."""
    for p, g in zip(variables, grads):
        value = K.get_value(p)
        num = np.zeros_like(value)
        for idx in np.ndindex(value.shape):
            for sign in (1, -1):
                shifted = value.copy()
                shifted[idx] += sign * eps
                K.set_value(p, shifted)
                num[idx] += sign * loss_fn(feed)[0] / (2 * eps)
        K.set_value(p, value)
        np.testing.assert_allclose(g, num, rtol=rtol, atol=atol)
