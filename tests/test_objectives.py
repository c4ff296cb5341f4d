"""symkeras.objectives against numpy formulas of Keras 1.2.2 (Theano backend numerics)."""
import re

import numpy as np
import pytest

import symkeras.backend as K
from symkeras import objectives
from symkeras.utils.generic_utils import custom_object_scope
from opcheck import check_grad, check_value

EPS = 1e-7
SHAPES = [(4, 5), (2, 3, 5), (1, 1), (3, 1)]


# ----------------------------------------------------------------------- numpy references

def _f64(*arrays):
    return [np.asarray(a, dtype=np.float64) for a in arrays]


def _clip_probabilities(p, dtype):
    """p clipped to [eps, 1 - eps] with the bounds rounded to the input dtype, as the backend
    clips (in float32, 1 - 1e-7 is 1 - 1.19e-7)."""
    return np.clip(p, np.asarray(EPS, dtype), np.asarray(1 - EPS, dtype)).astype(np.float64)


def np_mse(t, p):
    t, p = _f64(t, p)
    return np.mean((p - t) ** 2, axis=-1)


def np_mae(t, p):
    t, p = _f64(t, p)
    return np.mean(np.abs(p - t), axis=-1)


def np_mape(t, p):
    t, p = _f64(t, p)
    return 100. * np.mean(np.abs((t - p) / np.clip(np.abs(t), EPS, None)), axis=-1)


def np_msle(t, p):
    t, p = _f64(t, p)
    return np.mean((np.log(np.clip(p, EPS, None) + 1) - np.log(np.clip(t, EPS, None) + 1)) ** 2,
                   axis=-1)


def np_squared_hinge(t, p):
    t, p = _f64(t, p)
    return np.mean(np.maximum(1 - t * p, 0) ** 2, axis=-1)


def np_hinge(t, p):
    t, p = _f64(t, p)
    return np.mean(np.maximum(1 - t * p, 0), axis=-1)


def np_cce(t, p):
    dtype = np.asarray(p).dtype
    t, p = _f64(t, p)
    p = _clip_probabilities(p / p.sum(axis=-1, keepdims=True), dtype)
    return -np.sum(t * np.log(p), axis=-1)


def np_sparse_cce(t, p):
    classes = np.asarray(p).shape[-1]
    onehot = np.eye(classes)[np.asarray(t).astype(np.int64).reshape(np.asarray(p).shape[:-1])]
    return np_cce(onehot, p)


def np_bce(t, p):
    dtype = np.asarray(p).dtype
    t, p = _f64(t, p)
    p = _clip_probabilities(p, dtype)
    return np.mean(-(t * np.log(p) + (1 - t) * np.log(1 - p)), axis=-1)


def np_kld(t, p):
    t, p = _f64(t, p)
    t, p = np.clip(t, EPS, 1), np.clip(p, EPS, 1)
    return np.sum(t * np.log(t / p), axis=-1)


def np_poisson(t, p):
    t, p = _f64(t, p)
    return np.mean(p - t * np.log(p + EPS), axis=-1)


def np_cosine(t, p):
    t, p = _f64(t, p)
    t = t / np.sqrt(np.sum(t ** 2, axis=-1, keepdims=True))
    p = p / np.sqrt(np.sum(p ** 2, axis=-1, keepdims=True))
    return -np.mean(t * p, axis=-1)


# ------------------------------------------------------------------------------- data

def probabilities(shape, rng, lo=0.05):
    p = rng.uniform(lo, 1., shape)
    return p / p.sum(axis=-1, keepdims=True)


def one_hot_rows(shape, rng):
    return np.eye(shape[-1])[rng.randint(0, shape[-1], shape[:-1])]


def data(kind, shape, rng):
    """(y_true, y_pred) float64 arrays suited to an objective family, away from kinks."""
    if kind == 'regression':
        return rng.uniform(-2, 2, shape), rng.uniform(-2, 2, shape)
    if kind == 'positive':
        return rng.uniform(0.1, 3, shape), rng.uniform(0.1, 3, shape)
    if kind == 'hinge':
        return rng.choice([-1., 1.], shape), rng.uniform(-2, 2, shape)
    if kind == 'categorical':
        return one_hot_rows(shape, rng), probabilities(shape, rng)
    if kind == 'binary':
        return rng.randint(0, 2, shape).astype(np.float64), rng.uniform(0.05, 0.95, shape)
    if kind == 'distribution':
        return probabilities(shape, rng), probabilities(shape, rng)
    raise AssertionError(kind)


# (objective, numpy reference, data kind)
CASES = [
    (objectives.mean_squared_error, np_mse, 'regression'),
    (objectives.mean_absolute_error, np_mae, 'regression'),
    (objectives.mean_absolute_percentage_error, np_mape, 'regression'),
    (objectives.mean_squared_logarithmic_error, np_msle, 'positive'),
    (objectives.squared_hinge, np_squared_hinge, 'hinge'),
    (objectives.hinge, np_hinge, 'hinge'),
    (objectives.categorical_crossentropy, np_cce, 'categorical'),
    (objectives.binary_crossentropy, np_bce, 'binary'),
    (objectives.kullback_leibler_divergence, np_kld, 'distribution'),
    (objectives.poisson, np_poisson, 'positive'),
    (objectives.cosine_proximity, np_cosine, 'regression'),
]
IDS = [c[0].__name__ for c in CASES]


def f32(*arrays):
    return [np.asarray(a, dtype=np.float32) for a in arrays]


# ----------------------------------------------------------------------------- values

@pytest.mark.parametrize('fn,ref,kind', CASES, ids=IDS)
@pytest.mark.parametrize('shape', SHAPES, ids=str)
def test_value_reduces_last_axis_only(fn, ref, kind, shape):
    if kind == 'regression' and fn is objectives.cosine_proximity and shape[-1] == 1:
        shape = shape[:-1] + (2,)      # a one-element vector normalises to +-1: keep it general
    t, p = f32(*data(kind, shape, np.random.RandomState(len(shape) * 10 + shape[-1])))
    got = check_value(fn, ref, t, p, rtol=1e-5, atol=1e-6, dtype='float32')
    assert got.shape == shape[:-1]


@pytest.mark.parametrize('fn,ref,kind', CASES, ids=IDS)
def test_value_float64(fn, ref, kind):
    t, p = data(kind, (3, 4), np.random.RandomState(5))
    check_value(fn, ref, t, p, rtol=1e-10, atol=1e-12, dtype='float64')


def check_sparse(t, p, **tols):
    """sparse_categorical_crossentropy(t, p) against numpy, with static shapes and with every
    dimension None but the number of classes (which K needs when the graph is built, as an
    engine output has it)."""
    fn = objectives.sparse_categorical_crossentropy
    got = check_value(fn, np_sparse_cce, t, p, dynamic_batch=False, **tols)
    y_true = K.placeholder(ndim=t.ndim, dtype=str(t.dtype))
    y_pred = K.placeholder(shape=(None,) * (p.ndim - 1) + p.shape[-1:], dtype=str(p.dtype))
    dynamic = K.function([y_true, y_pred], [fn(y_true, y_pred)])([t, p])[0]
    np.testing.assert_array_equal(dynamic, got)
    return got


def test_sparse_categorical_crossentropy_2d_and_3d():
    rng = np.random.RandomState(2)
    p = probabilities((6, 4), rng).astype(np.float32)
    t = rng.randint(0, 4, (6, 1)).astype(np.float32)
    check_sparse(t, p, dtype='float32')
    p3 = probabilities((2, 3, 4), rng).astype(np.float32)
    t3 = rng.randint(0, 4, (2, 3, 1)).astype(np.int32)
    assert check_sparse(t3, p3, dtype='float32').shape == (2, 3)


def test_sparse_categorical_crossentropy_matches_dense():
    rng = np.random.RandomState(3)
    p = probabilities((5, 3), rng)
    idx = rng.randint(0, 3, (5, 1))
    sparse = check_sparse(idx.astype(np.float64), p)
    np.testing.assert_allclose(sparse, np_cce(np.eye(3)[idx[:, 0]], p), rtol=1e-12)


# --------------------------------------------------------------------------- edge values

def test_crossentropies_clip_predictions_of_zero_and_one():
    p = np.array([[0., 1., 0.], [0.5, 0.5, 0.], [1., 0., 0.]], dtype=np.float32)
    t = np.array([[1., 0., 0.], [0., 0., 1.], [1., 0., 0.]], dtype=np.float32)
    got = check_value(objectives.categorical_crossentropy, np_cce, t, p, atol=1e-5)
    assert np.all(np.isfinite(got))
    np.testing.assert_allclose(got[0], -np.log(EPS), rtol=1e-5)   # the worst case is bounded
    assert got[2] < 1e-6                                            # a certain hit costs ~0
    got = check_value(objectives.binary_crossentropy, np_bce, t, p, atol=1e-5)
    assert np.all(np.isfinite(got))
    np.testing.assert_allclose(got[1], (np.log(2) * 2 - np.log(EPS)) / 3, rtol=1e-5)
    np.testing.assert_allclose(got[0], -(np.log(EPS) + np.log1p(-np.float32(1 - EPS))) / 3,
                               rtol=1e-5)


def test_sparse_crossentropy_with_zero_probability_is_finite():
    p = np.array([[0., 1.], [1., 0.]], dtype=np.float32)
    t = np.array([[0.], [0.]], dtype=np.float32)
    got = check_sparse(t, p, atol=1e-5)
    np.testing.assert_allclose(got, [-np.log(EPS), -np.log1p(-EPS)], rtol=1e-5, atol=1e-6)


def test_mape_with_zero_targets_divides_by_epsilon():
    t = np.array([[0., 2.], [0., 0.]], dtype=np.float32)
    p = np.array([[0.5, 1.], [0., -1e-3]], dtype=np.float32)
    got = check_value(objectives.mean_absolute_percentage_error, np_mape, t, p)
    assert np.all(np.isfinite(got))
    np.testing.assert_allclose(got, [100 * (0.5 / EPS + 0.5) / 2, 100 * (1e-3 / EPS) / 2],
                               rtol=1e-5)


def test_msle_clips_negative_values():
    t = np.array([[-1., 0., 2.]], dtype=np.float32)
    p = np.array([[-3., 1., 2.]], dtype=np.float32)
    got = check_value(objectives.mean_squared_logarithmic_error, np_msle, t, p)
    np.testing.assert_allclose(got, [np.log(2.) ** 2 / 3], rtol=1e-5)


def test_kld_of_zero_entries_is_finite_and_zero_for_equal_distributions():
    t = np.array([[0., 1.], [0.5, 0.5]], dtype=np.float32)
    p = np.array([[1., 0.], [0.5, 0.5]], dtype=np.float32)
    got = check_value(objectives.kullback_leibler_divergence, np_kld, t, p, atol=1e-5)
    assert np.all(np.isfinite(got))
    np.testing.assert_allclose(got, [np.log(1 / EPS) - EPS * np.log(1 / EPS), 0.],
                               rtol=1e-5, atol=1e-6)


def test_epsilon_is_read_when_the_objective_is_built():
    t, p = f32([[0., 1.]], [[0.5, 1.]])
    old = K.epsilon()
    K.set_epsilon(1e-3)
    try:
        got = check_value(objectives.mean_absolute_percentage_error,
                          lambda a, b: np.array([100 * 0.5 / 1e-3 / 2]), t, p)
    finally:
        K.set_epsilon(old)
    np.testing.assert_allclose(got, [25000.], rtol=1e-5)


def test_poisson_of_zero_prediction_uses_epsilon():
    t = np.array([[1., 0.]], dtype=np.float32)
    p = np.array([[0., 0.]], dtype=np.float32)
    got = check_value(objectives.poisson, np_poisson, t, p)
    np.testing.assert_allclose(got, [-np.log(EPS) / 2], rtol=1e-5)


def test_hinge_values_at_and_beyond_margin():
    t = np.array([[1., -1., 1., -1.]], dtype=np.float32)
    p = np.array([[1., -2., 0., 0.5]], dtype=np.float32)
    np.testing.assert_allclose(check_value(objectives.hinge, np_hinge, t, p),
                               [(0 + 0 + 1 + 1.5) / 4])
    np.testing.assert_allclose(check_value(objectives.squared_hinge, np_squared_hinge, t, p),
                               [(1 + 2.25) / 4])


def test_cosine_proximity_is_mean_not_sum_over_last_axis():
    t = np.array([[1., 2., 3.], [1., 0., 0.]], dtype=np.float32)
    got = check_value(objectives.cosine_proximity, np_cosine, t, 2 * t)
    np.testing.assert_allclose(got, [-1 / 3, -1 / 3], rtol=1e-6)


def test_objectives_accept_numpy_targets_next_to_tensors():
    y_pred = K.placeholder(ndim=2)
    t = np.array([[0., 1.], [1., 0.]], dtype=np.float32)
    out = K.function([y_pred], [objectives.mse(t, y_pred)])([np.ones((2, 2), np.float32)])[0]
    np.testing.assert_allclose(out, [0.5, 0.5])


def test_mismatched_shapes_raise_a_shape_error():
    with pytest.raises(Exception, match=r'\(2, 3\).*\(2, 4\)|\(2, 4\).*\(2, 3\)'):
        objectives.mse(K.placeholder(shape=(2, 3)), K.placeholder(shape=(2, 4)))


# ------------------------------------------------------------------------------ gradients

@pytest.mark.parametrize('fn,ref,kind', CASES, ids=IDS)
@pytest.mark.parametrize('shape', [(3, 4), (2, 2, 3)], ids=str)
def test_gradient_wrt_predictions(fn, ref, kind, shape):
    t, p = data(kind, shape, np.random.RandomState(11 + len(shape)))
    check_grad(lambda y_pred: fn(t, y_pred), p, rtol=1e-5, atol=1e-7)


def test_gradient_of_sparse_categorical_crossentropy():
    rng = np.random.RandomState(4)
    p = probabilities((4, 3), rng)
    t = rng.randint(0, 3, (4, 1))
    check_grad(lambda y_pred: objectives.sparse_categorical_crossentropy(t, y_pred), p)
    p3 = probabilities((2, 2, 3), rng)
    t3 = rng.randint(0, 3, (2, 2, 1))
    check_grad(lambda y_pred: objectives.sparse_categorical_crossentropy(t3, y_pred), p3)


def test_gradient_of_mape_with_zero_targets():
    """d/dp 100 * mean|t - p| / max(|t|, eps) = 100 / n * sign(p - t) / max(|t|, eps): huge but
    exact where t = 0 (finite differences lose it to cancellation, so compare the formula)."""
    t = np.array([[0., 1.5], [-2., 0.]])
    p = np.array([[0.3, 1.], [-1., -0.7]])
    y_true, y_pred = K.placeholder(ndim=2, dtype='float64'), K.placeholder(ndim=2, dtype='float64')
    loss = K.sum(objectives.mean_absolute_percentage_error(y_true, y_pred))
    g = K.function([y_true, y_pred], K.gradients(loss, [y_pred]))([t, p])[0]
    np.testing.assert_allclose(g, 100 / 2 * np.sign(p - t) / np.maximum(np.abs(t), EPS),
                               rtol=1e-12)


def test_gradient_flows_to_model_weights():
    """A loss built on an objective trains a variable: d mean(mse(t, x W)) / dW."""
    rng = np.random.RandomState(9)
    x, t = rng.randn(5, 3), rng.randn(5, 2)
    W = K.variable(rng.randn(3, 2), dtype='float64')
    y_pred = K.dot(K.variable(x, dtype='float64'), W)
    loss = K.mean(objectives.mse(K.variable(t, dtype='float64'), y_pred))
    g = K.function([], K.gradients(loss, [W]))([])[0]
    np.testing.assert_allclose(g, 2 * x.T @ (x @ K.get_value(W) - t) / t.size, rtol=1e-10)


# ---------------------------------------------------------------------------- names, get

KERAS_NAMES = {
    'mean_squared_error': ['mse', 'MSE'],
    'mean_absolute_error': ['mae', 'MAE'],
    'mean_absolute_percentage_error': ['mape', 'MAPE'],
    'mean_squared_logarithmic_error': ['msle', 'MSLE'],
    'squared_hinge': [],
    'hinge': [],
    'categorical_crossentropy': [],
    'sparse_categorical_crossentropy': [],
    'binary_crossentropy': [],
    'kullback_leibler_divergence': ['kld', 'KLD'],
    'poisson': [],
    'cosine_proximity': ['cosine'],
}


@pytest.mark.parametrize('name', sorted(KERAS_NAMES))
def test_get_resolves_names_and_aliases_to_the_same_function(name):
    fn = getattr(objectives, name)
    assert fn.__name__ == name
    assert objectives.get(name) is fn
    for alias in KERAS_NAMES[name]:
        assert getattr(objectives, alias) is fn
        assert objectives.get(alias) is fn


def test_alias_table_is_the_keras_aliases():
    # One table (objectives.ALIASES) binds the aliases of both objectives and metrics.
    assert objectives.ALIASES == {alias: name for name, aliases in KERAS_NAMES.items()
                                  for alias in aliases}


def test_get_knows_exactly_the_keras_names():
    names = set(KERAS_NAMES) | {a for aliases in KERAS_NAMES.values() for a in aliases}
    assert names == set(objectives._OBJECTIVES)
    for other in ['np', 'K', 'get', 'accuracy', 'mse ', 'Mse']:
        with pytest.raises(ValueError, match='Invalid objective'):
            objectives.get(other)


def test_get_returns_a_callable_unchanged():
    def custom(y_true, y_pred):
        return K.sum(y_pred - y_true, axis=-1)
    assert objectives.get(custom) is custom


def test_get_unknown_name_is_a_clear_error():
    with pytest.raises(ValueError, match='Invalid objective: mean_cubed_error'):
        objectives.get('mean_cubed_error')


def test_get_finds_registered_custom_objects():
    def my_loss(y_true, y_pred):
        return K.mean(K.abs(y_pred - y_true), axis=-1)
    with custom_object_scope({'my_loss': my_loss}):
        assert objectives.get('my_loss') is my_loss
    with pytest.raises(ValueError, match='Invalid objective: my_loss'):
        objectives.get('my_loss')


@pytest.mark.parametrize('bad', [None, 3, ['mse'], {'name': 'mse'}])
def test_get_rejects_what_is_neither_a_name_nor_a_callable(bad):
    with pytest.raises(TypeError, match='objective must be a name or a callable; got %s'
                       % re.escape(repr(bad))):
        objectives.get(bad)
