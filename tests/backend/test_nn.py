"""softmax (kernel and gradient), the crossentropies with Keras 1 Theano numerics (renormalise,
clip to [epsilon, 1 - epsilon]), l2_normalize, the batch-normalisation functions and in_top_k,
against numpy formulas written here."""
import numpy as np
import pytest

import symkeras.backend as K
from symkeras.backend.graph import ShapeError
from opcheck import check_grad, check_value, evaluate

EPS = K.epsilon()


def np_softmax(x):
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


# ----------------------------------------------------------------------------- softmax

@pytest.mark.parametrize('shape', [(7,), (1, 1), (3, 5), (2, 3, 4), (4, 0), (0, 4), (2, 1, 3, 1)])
@pytest.mark.parametrize('dtype', ['float32', 'float64'])
def test_softmax_values(shape, dtype):
    x = np.random.uniform(-5, 5, shape).astype(dtype)
    check_value(K.softmax, lambda a: np_softmax(a) if a.size else a, x, dtype=dtype)


def test_softmax_rows_of_huge_magnitude_do_not_overflow():
    x = np.array([[1000., 1001., 1002.],
                  [-1e4, -1e4 + 1, -1e4 + 3],
                  [3e38, 3e38, -3e38],
                  [0., -1e30, 88.]], dtype='float32')
    got = check_value(K.softmax, lambda a: np_softmax(a.astype(np.float64)), x, dtype='float32')
    assert np.all(np.isfinite(got))
    np.testing.assert_allclose(got.sum(-1), 1, rtol=1e-6)


def test_softmax_nan_row_stays_nan_and_other_rows_are_unaffected():
    x = np.array([[1., np.nan, 2.], [1., 2., 3.]])
    got = evaluate(K.softmax, x)
    assert np.all(np.isnan(got[0]))
    np.testing.assert_allclose(got[1], np_softmax(x[1]))


def test_softmax_large_input_parallel_path():
    x = np.random.uniform(-30, 30, (700, 130)).astype('float32')
    check_value(K.softmax, np_softmax, x, rtol=1e-5, atol=1e-7)


def test_softmax_of_integers_is_floatx_and_of_a_scalar_is_an_error():
    check_value(K.softmax, lambda a: np_softmax(a.astype('float32')), np.arange(6).reshape(2, 3),
                dtype=K.floatx())
    with pytest.raises(ShapeError, match='at least one axis'):
        K.softmax(K.placeholder(()))


@pytest.mark.parametrize('shape', [(1, 1), (3, 5), (2, 3, 4), (6,)])
def test_softmax_gradient(shape):
    check_grad(K.softmax, np.random.uniform(-3, 3, shape))


# ----------------------------------------------------------------------------- crossentropies

def np_cce(output, target, from_logits=False):
    p = np_softmax(output) if from_logits else output / output.sum(axis=-1, keepdims=True)
    p = np.clip(p, EPS, 1 - EPS)
    return -np.sum(target * np.log(p), axis=-1)


def probabilities(shape, rng):
    p = rng.uniform(0.05, 1, shape)
    return p / p.sum(axis=-1, keepdims=True)


def one_hots(shape, rng):
    return np.eye(shape[-1])[rng.randint(0, shape[-1], shape[:-1])]


@pytest.mark.parametrize('shape', [(1, 1), (4, 3), (2, 3, 5)])
@pytest.mark.parametrize('from_logits', [False, True])
def test_categorical_crossentropy_values_and_gradients(shape, from_logits):
    rng = np.random.RandomState(0)
    out = rng.uniform(-3, 3, shape) if from_logits else probabilities(shape, rng) * 2.5
    tgt = probabilities(shape, rng)     # soft targets, so the target gradient is exercised too
    check_value(lambda o, t: K.categorical_crossentropy(o, t, from_logits),
                lambda o, t: np_cce(o, t, from_logits), out, tgt, dtype='float64')
    check_value(lambda o, t: K.categorical_crossentropy(o, t, from_logits),
                lambda o, t: np_cce(o, t, from_logits), out.astype('float32'),
                tgt.astype('float32'), dtype='float32', rtol=1e-5)
    check_grad(lambda o, t: K.categorical_crossentropy(o, t, from_logits), out, tgt)


def test_categorical_crossentropy_clips_probabilities_near_0_and_1():
    out = np.array([[1., 0., 0.],           # a confident right answer: log(1 - eps)
                    [0., 1., 0.],           # a confident wrong answer: log(eps), not -inf
                    [1e-12, 0.5, 0.5],
                    [3., 1e-9, 1.]])        # not normalised: divided by its sum first
    tgt = np.array([[1., 0., 0.], [1., 0., 0.], [1., 0., 0.], [0., 1., 0.]])
    got = check_value(K.categorical_crossentropy, np_cce, out, tgt, rtol=1e-7, atol=1e-12)
    np.testing.assert_allclose(got[:2], [-np.log(1 - EPS), -np.log(EPS)], rtol=1e-7)
    # logits so large that the softmax saturates to exactly 0 and 1
    logits = np.array([[500., -500., 0.], [-800., 800., 0.]])
    check_value(lambda o, t: K.categorical_crossentropy(o, t, from_logits=True),
                lambda o, t: np_cce(o, t, True), logits, tgt[:2], rtol=1e-7, atol=1e-12)


def test_clipped_probabilities_get_no_gradient():
    out = np.array([[1., 0., 0.], [0.2, 0.3, 0.5]])
    tgt = np.array([[0., 1., 0.], [0., 1., 0.]])
    o = K.placeholder((None, 3), dtype='float64')
    loss = K.sum(K.categorical_crossentropy(o, K.variable(tgt, 'float64')))
    g = K.function([o], K.gradients(loss, [o]))([out])[0]
    # row 0 is clipped at both ends after renormalising: no gradient flows through the clip
    np.testing.assert_array_equal(g[0], 0)
    np.testing.assert_allclose(g[1], [1., 1 - 1 / 0.3, 1.])    # d/do of -log(o1 / sum(o))


def check_classes_static(fn, ref, pred, tgt, **kw):
    """check_value on static shapes, then with every dimension None but the number of classes
    (the last of pred), which must be known when the graph is built."""
    check_value(fn, ref, pred, tgt, dynamic_batch=False, **kw)
    p = K.placeholder((None,) * (pred.ndim - 1) + pred.shape[-1:], dtype=str(pred.dtype))
    t = K.placeholder((None,) * tgt.ndim, dtype=str(tgt.dtype))
    got = K.function([p, t], [fn(p, t)])([pred, tgt])[0]
    expected = ref(pred, tgt)
    if expected.dtype == bool:
        np.testing.assert_array_equal(got, expected)
    else:
        np.testing.assert_allclose(got, expected, rtol=kw.get('rtol', 1e-5), atol=1e-6)
    return got


def np_one_hot(t, n):
    return np.eye(n)[np.asarray(t).astype(np.int64).reshape(-1)].reshape(np.shape(t) + (n,))


@pytest.mark.parametrize('out_shape, tgt_shape', [((4, 3), (4,)), ((4, 3), (4, 1)),
                                                  ((2, 3, 5), (2, 3)), ((2, 3, 5), (2, 3, 1)),
                                                  ((1, 1), (1, 1)), ((2, 3, 5), (6,))])
@pytest.mark.parametrize('from_logits', [False, True])
def test_sparse_categorical_crossentropy(out_shape, tgt_shape, from_logits):
    rng = np.random.RandomState(1)
    out = rng.uniform(-3, 3, out_shape) if from_logits else probabilities(out_shape, rng)
    tgt = rng.randint(0, out_shape[-1], tgt_shape)
    lead = out_shape[:-1]

    def ref(o, t):
        return np_cce(o, np_one_hot(np.reshape(t, lead), out_shape[-1]), from_logits)
    fn = lambda o, t: K.sparse_categorical_crossentropy(o, t, from_logits)   # noqa: E731
    check_classes_static(fn, ref, out, tgt.astype('int32'), dtype='float64')
    # Keras 1 feeds the targets as floats of the output's dtype
    check_classes_static(fn, ref, out.astype('float32'), tgt.astype('float32'), dtype='float32',
                         rtol=1e-5)
    check_grad(fn, out, tgt.astype('int64'))


def test_sparse_categorical_crossentropy_errors():
    with pytest.raises(ShapeError, match=r'number of classes\) must be known.*\(None, None\)'):
        K.sparse_categorical_crossentropy(K.placeholder((None, None)), K.placeholder((None,)))
    with pytest.raises(ShapeError, match=r'target of shape \(4, 2\) holds 8 class indices; '
                                         r'output of shape \(4, 3\) has 4 rows'):
        K.sparse_categorical_crossentropy(K.placeholder((4, 3)), K.placeholder((4, 2)))
    o, t = K.placeholder((None, 3)), K.placeholder((None, None))
    f = K.function([o, t], [K.sparse_categorical_crossentropy(o, t)])
    with pytest.raises(ShapeError, match=r'cannot reshape a tensor of shape \(8, 3\)'):
        f([np.ones((4, 3)), np.zeros((4, 2))])


def np_bce(output, target, from_logits=False):
    p = 1 / (1 + np.exp(-output)) if from_logits else output
    p = np.clip(p, EPS, 1 - EPS)
    return -(target * np.log(p) + (1 - target) * np.log(1 - p))


@pytest.mark.parametrize('from_logits', [False, True])
def test_binary_crossentropy(from_logits):
    rng = np.random.RandomState(2)
    shape = (3, 5)
    out = rng.uniform(-4, 4, shape) if from_logits else rng.uniform(0.05, 0.95, shape)
    tgt = rng.uniform(0, 1, shape)
    fn = lambda o, t: K.binary_crossentropy(o, t, from_logits)   # noqa: E731
    check_value(fn, lambda o, t: np_bce(o, t, from_logits), out, tgt, dtype='float64')
    check_value(fn, lambda o, t: np_bce(o, t, from_logits), out.astype('float32'),
                tgt.astype('float32'), dtype='float32', rtol=1e-5)
    check_grad(fn, out, tgt)


def test_binary_crossentropy_clips_near_0_and_1():
    out = np.array([0., 1e-12, 0.5, 1 - 1e-12, 1., 1.])
    tgt = np.array([1., 0., 1., 1., 0., 1.])
    got = check_value(K.binary_crossentropy, np_bce, out, tgt, rtol=1e-7, atol=1e-12)
    assert np.all(np.isfinite(got))
    np.testing.assert_allclose(got[[0, 4]], -np.log(EPS), rtol=1e-7)
    logits = np.array([-700., 700., 40., -40.])
    check_value(lambda o, t: K.binary_crossentropy(o, t, from_logits=True),
                lambda o, t: np_bce(o, t, True), logits, tgt[:4], rtol=1e-7, atol=1e-12)


# ----------------------------------------------------------------------------- normalisation

@pytest.mark.parametrize('shape, axis', [((4, 3), -1), ((4, 3), 0), ((2, 3, 5), 1), ((1, 1), -1),
                                         ((2, 3, 5), [0, 2])])
def test_l2_normalize(shape, axis):
    x = np.random.uniform(-2, 2, shape)
    ax = tuple(axis) if isinstance(axis, list) else axis
    ref = lambda a: a / np.sqrt(np.sum(a * a, axis=ax, keepdims=True))   # noqa: E731
    check_value(lambda t: K.l2_normalize(t, axis), ref, x)
    check_grad(lambda t: K.l2_normalize(t, axis), x)


def test_batch_normalization_broadcasts_its_parameters():
    rng = np.random.RandomState(3)
    x = rng.randn(2, 3, 4, 5)
    mean, var = rng.randn(1, 3, 1, 1), rng.uniform(0.5, 2, (1, 3, 1, 1))
    beta, gamma = rng.randn(1, 3, 1, 1), rng.uniform(0.5, 2, (1, 3, 1, 1))

    def ref(x, m, v, b, g, eps=1e-3):
        return (x - m) * g / np.sqrt(v + eps) + b
    check_value(K.batch_normalization, ref, x, mean, var, beta, gamma)
    check_value(lambda *a: K.batch_normalization(*a, epsilon=0.1),
                lambda *a: ref(*a, eps=0.1), x, mean, var, beta, gamma)
    check_grad(K.batch_normalization, x[:, :, :2, :3], mean, var, beta, gamma)
    # Keras' Dense-style use: per-feature vectors against a (batch, features) input
    x2, vecs = rng.randn(5, 4), [rng.uniform(0.5, 2, 4) for _ in range(4)]
    check_value(K.batch_normalization, ref, x2, *vecs)


@pytest.mark.parametrize('shape, axes', [((6, 4), [0]), ((2, 3, 4, 5), [0, 2, 3]),
                                         ((3, 5, 2), (0, 1)), ((4, 1), [0]), ((2, 3, 4), [-1])])
def test_normalize_batch_in_training(shape, axes):
    rng = np.random.RandomState(4)
    x = rng.randn(*shape) * 3 + 1
    ax = tuple(a % len(shape) for a in axes)
    kept = tuple(d for i, d in enumerate(shape) if i not in ax)
    gamma, beta = rng.uniform(0.5, 2, kept), rng.randn(*kept)

    def ref(x, gamma, beta):
        m, v = x.mean(axis=ax, keepdims=True), x.var(axis=ax, keepdims=True)
        g, b = np.expand_dims(gamma, ax), np.expand_dims(beta, ax)
        return [(x - m) * g / np.sqrt(v + 1e-3) + b, x.mean(axis=ax), x.var(axis=ax)]

    fn = lambda x, g, b: list(K.normalize_batch_in_training(x, g, b, axes))   # noqa: E731
    got = evaluate(fn, x, gamma, beta, dynamic_batch=True)
    for g, e in zip(got, ref(x, gamma, beta)):
        assert g.shape == e.shape
        np.testing.assert_allclose(g, e, rtol=1e-6, atol=1e-9)
    small = x[tuple(slice(0, 2) for _ in shape)]
    kept_small = tuple(d for i, d in enumerate(small.shape) if i not in ax)
    for k in range(3):
        check_grad(lambda x, g, b: K.normalize_batch_in_training(x, g, b, axes)[k], small,
                   gamma[tuple(slice(0, d) for d in kept_small)],
                   beta[tuple(slice(0, d) for d in kept_small)], rtol=1e-4, atol=1e-6)


def test_normalize_batch_in_training_accepts_broadcastable_parameters_and_checks_axes():
    x = np.random.randn(4, 3, 2)
    gamma, beta = np.random.rand(1, 3, 1) + 0.5, np.random.randn(1, 3, 1)
    got = evaluate(lambda x, g, b: K.normalize_batch_in_training(x, g, b, [0, 2])[0], x, gamma, beta)
    m, v = x.mean(axis=(0, 2), keepdims=True), x.var(axis=(0, 2), keepdims=True)
    np.testing.assert_allclose(got, (x - m) * gamma / np.sqrt(v + 1e-3) + beta, rtol=1e-6)
    with pytest.raises(ShapeError, match=r'axis 3 is out of range for a tensor of shape \(4, 3, 2\)'):
        K.normalize_batch_in_training(K.placeholder((4, 3, 2)), gamma, beta, [0, 3])


# ----------------------------------------------------------------------------- in_top_k

def np_in_top_k(pred, targets, k):
    out = []
    for row, t in zip(pred, targets):
        out.append(0 <= t < len(row) and np.sum(row > row[t]) < k)
    return np.array(out, dtype=bool)


@pytest.mark.parametrize('k', [0, 1, 2, 3, 5, 9])
def test_in_top_k(k):
    rng = np.random.RandomState(5)
    pred = rng.randint(0, 4, (40, 5)).astype('float32')      # many ties
    targets = rng.randint(0, 5, 40)
    targets[:3] = [-1, 5, 7]                                   # out of range: False
    got = check_classes_static(lambda p, t: K.in_top_k(p, t, k), lambda p, t: np_in_top_k(p, t, k),
                               pred, targets.astype('int64'), dtype='bool')
    assert k == 0 or got[3:].any()


def test_in_top_k_ties_at_the_boundary_count_as_in():
    pred = np.array([[0.9, 0.5, 0.5, 0.1]])
    for target, k, expected in [(1, 2, True), (2, 2, True), (3, 3, False), (0, 1, True), (2, 1, False)]:
        got = evaluate(lambda p, t: K.in_top_k(p, t, k), pred, np.array([target], dtype='int32'))
        assert got.tolist() == [expected], (target, k)


def test_in_top_k_needs_2d_predictions_with_known_classes():
    with pytest.raises(ShapeError, match=r'predictions must be 2-D'):
        K.in_top_k(K.placeholder((2, 3, 4)), K.placeholder((2,), dtype='int64'), 1)
    with pytest.raises(ShapeError, match=r'in_top_k: the last dimension'):
        K.in_top_k(K.placeholder((None, None)), K.placeholder((None,), dtype='int64'), 1)


def test_softmax_of_a_sliced_and_reversed_tensor():
    x = np.random.uniform(-4, 4, (6, 9))
    view = (slice(None, None, 2), slice(None, None, -3))
    check_value(lambda t: K.softmax(t[view]), lambda a: np_softmax(a[view]), x)
    check_grad(lambda t: K.softmax(t[view]), x)


def test_gradients_with_dimensions_unknown_until_run_time():
    """Gradient graphs built on unknown dimensions agree with those on static shapes (checked
    against finite differences above); only the number of classes must be static."""
    rng = np.random.RandomState(6)
    arrays = [rng.randn(4, 3, 2), rng.rand(3) + 0.5, rng.randn(3), rng.rand(4, 3) + 0.1,
              rng.randint(0, 3, (4, 1)).astype('float64')]

    def gradients(shapes):
        ps = [K.placeholder(s, dtype='float64') for s in shapes]
        x, gamma, beta, out, tgt = ps
        normed = K.normalize_batch_in_training(x, gamma, beta, [0, 2])[0]
        loss = (K.sum(K.square(K.softmax(x * 3))) + K.sum(normed * normed * x) +
                K.sum(K.sparse_categorical_crossentropy(out, tgt)) +
                K.sum(K.categorical_crossentropy(out, K.softmax(out * 2), from_logits=True)) +
                K.sum(K.binary_crossentropy(K.l2_normalize(out, 0), tgt)))
        return K.function(ps, K.gradients(loss, ps[:4]))(arrays)

    dynamic = gradients([(None, None, None), (None,), (None,), (None, 3), (None, None)])
    static = gradients([a.shape for a in arrays])
    for d, s in zip(dynamic, static):
        assert np.all(np.isfinite(s))
        np.testing.assert_allclose(d, s, rtol=1e-12, atol=1e-12)
