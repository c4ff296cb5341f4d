"""symkeras.metrics against numpy formulas of Keras 1.2.2's metrics (batch-wise scalars)."""
import re

import numpy as np
import pytest

import symkeras.backend as K
from symkeras import metrics, objectives
from symkeras.utils.generic_utils import custom_object_scope
from opcheck import check_value
import test_objectives as objective_refs

EPS = 1e-7


def f32(*arrays):
    return [np.asarray(a, dtype=np.float32) for a in arrays]


def run(fn, *arrays):
    """fn on placeholders with every dimension None but the last, run on arrays."""
    ps = [K.placeholder(shape=(None,) * (a.ndim - 1) + a.shape[-1:], dtype=str(a.dtype))
          for a in arrays]
    return K.function(ps, [fn(*ps)])(list(arrays))[0]


# ------------------------------------------------------------------------------ accuracies

def np_binary_accuracy(t, p):
    return np.mean(np.asarray(t) == np.round(p))          # numpy rounds half to even too


def np_categorical_accuracy(t, p):
    return np.mean(np.argmax(t, axis=-1) == np.argmax(p, axis=-1))


def np_sparse_categorical_accuracy(t, p):
    return np.mean(np.max(t, axis=-1) == np.argmax(p, axis=-1))


def np_top_k(t, p, k):
    p = np.asarray(p, dtype=np.float64)
    target = np.argmax(t, axis=-1)
    target_pred = np.take_along_axis(p, target[:, None], axis=-1)
    return np.mean(np.sum(p > target_pred, axis=-1) < k)


@pytest.mark.parametrize('shape', [(8, 1), (5, 4), (2, 3, 4), (1, 1)], ids=str)
def test_binary_accuracy(shape):
    rng = np.random.RandomState(shape[-1])
    t = rng.randint(0, 2, shape)
    p = rng.uniform(0, 1, shape)
    p.flat[0] = 0.5                                       # rounds to 0 (half to even)
    t.flat[0] = 0
    t, p = f32(t, p)
    got = check_value(metrics.binary_accuracy, np_binary_accuracy, t, p, dtype=K.floatx())
    assert got.shape == ()


def test_binary_accuracy_half_rounds_to_even():
    t, p = f32([[0., 1., 1., 0.]], [[0.5, 0.51, 1.5, 0.49]])
    np.testing.assert_allclose(check_value(metrics.binary_accuracy, np_binary_accuracy, t, p),
                               0.75)


@pytest.mark.parametrize('shape', [(6, 4), (2, 3, 5), (3, 1)], ids=str)
def test_categorical_accuracy(shape):
    rng = np.random.RandomState(7)
    t = np.eye(shape[-1])[rng.randint(0, shape[-1], shape[:-1])]
    p = rng.uniform(0, 1, shape)
    t, p = f32(t, p)
    check_value(metrics.categorical_accuracy, np_categorical_accuracy, t, p, dtype=K.floatx())


def test_categorical_accuracy_ties_pick_the_first_maximum():
    t, p = f32([[0., 1., 0.], [1., 0., 0.]], [[0.4, 0.4, 0.2], [0.4, 0.4, 0.2]])
    np.testing.assert_allclose(
        check_value(metrics.categorical_accuracy, np_categorical_accuracy, t, p), 0.5)


def test_sparse_categorical_accuracy_2d_and_3d():
    rng = np.random.RandomState(8)
    p = rng.uniform(0, 1, (7, 4))
    t = np.argmax(p, axis=-1)[:, None].astype(np.float64)
    t[:3] = (t[:3] + 1) % 4                               # 3 wrong of 7
    t, p = f32(t, p)
    got = check_value(metrics.sparse_categorical_accuracy, np_sparse_categorical_accuracy, t, p,
                      dtype=K.floatx())
    np.testing.assert_allclose(got, 4 / 7, rtol=1e-6)
    p3 = rng.uniform(0, 1, (2, 3, 4)).astype(np.float32)
    t3 = rng.randint(0, 4, (2, 3, 1)).astype(np.float32)
    check_value(metrics.sparse_categorical_accuracy, np_sparse_categorical_accuracy, t3, p3)


def test_sparse_categorical_accuracy_integer_targets():
    p = np.array([[0.1, 0.9], [0.8, 0.2], [0.3, 0.7]], dtype=np.float32)
    t = np.array([[1], [1], [1]], dtype=np.int32)
    got = check_value(metrics.sparse_categorical_accuracy, np_sparse_categorical_accuracy, t, p,
                      dtype=K.floatx())
    np.testing.assert_allclose(got, 2 / 3, rtol=1e-6)


@pytest.mark.parametrize('k', [1, 2, 5, 10])
def test_top_k_categorical_accuracy(k):
    rng = np.random.RandomState(k)
    t = np.eye(8)[rng.randint(0, 8, 20)]
    p = rng.uniform(0, 1, (20, 8))
    t, p = f32(t, p)
    got = run(lambda a, b: metrics.top_k_categorical_accuracy(a, b, k=k), t, p)
    assert got.dtype == np.dtype(K.floatx()) and got.shape == ()
    np.testing.assert_allclose(got, np_top_k(t, p, k), rtol=1e-6)


def test_top_k_categorical_accuracy_default_k_is_5():
    rng = np.random.RandomState(3)
    t = np.eye(10)[rng.randint(0, 10, 30)].astype(np.float32)
    p = rng.uniform(0, 1, (30, 10)).astype(np.float32)
    got = run(metrics.top_k_categorical_accuracy, t, p)
    np.testing.assert_allclose(got, np_top_k(t, p, 5), rtol=1e-6)
    assert np_top_k(t, p, 5) != np_top_k(t, p, 4)


def test_accuracies_of_float64_inputs_are_floatx():
    t, p = np.array([[1.], [0.]]), np.array([[0.7], [0.6]])
    assert run(metrics.binary_accuracy, t, p).dtype == np.dtype(K.floatx())
    assert run(metrics.categorical_accuracy, t, p).dtype == np.dtype(K.floatx())


# ------------------------------------------------------------------ objective-like metrics

# Keras 1.2.2's metrics average these over every axis (scalars), except for the crossentropies
# and KL divergence, whose per-row sums are averaged over the rows.
OBJECTIVE_METRICS = [
    (metrics.mean_squared_error, objective_refs.np_mse, 'regression'),
    (metrics.mean_absolute_error, objective_refs.np_mae, 'regression'),
    (metrics.mean_absolute_percentage_error, objective_refs.np_mape, 'regression'),
    (metrics.mean_squared_logarithmic_error, objective_refs.np_msle, 'positive'),
    (metrics.squared_hinge, objective_refs.np_squared_hinge, 'hinge'),
    (metrics.hinge, objective_refs.np_hinge, 'hinge'),
    (metrics.categorical_crossentropy, objective_refs.np_cce, 'categorical'),
    (metrics.binary_crossentropy, objective_refs.np_bce, 'binary'),
    (metrics.kullback_leibler_divergence, objective_refs.np_kld, 'distribution'),
    (metrics.poisson, objective_refs.np_poisson, 'positive'),
    (metrics.cosine_proximity, objective_refs.np_cosine, 'regression'),
]


@pytest.mark.parametrize('fn,ref,kind', OBJECTIVE_METRICS,
                         ids=[c[0].__name__ for c in OBJECTIVE_METRICS])
@pytest.mark.parametrize('shape', [(4, 5), (2, 3, 5)], ids=str)
def test_objective_metric_is_the_mean_of_the_objective(fn, ref, kind, shape):
    t, p = f32(*objective_refs.data(kind, shape, np.random.RandomState(21)))
    got = check_value(fn, lambda a, b: np.mean(ref(a, b)), t, p, rtol=1e-5, dtype='float32')
    assert got.shape == ()


def test_elementwise_metrics_average_over_every_element():
    t, p = f32([[0., 0.], [0., 0.]], [[1., 2.], [3., 4.]])
    np.testing.assert_allclose(check_value(metrics.mse, lambda a, b: np.mean((b - a) ** 2), t, p),
                               7.5)
    np.testing.assert_allclose(check_value(metrics.mae, lambda a, b: np.mean(np.abs(b - a)), t, p),
                               2.5)


def test_sparse_categorical_crossentropy_metric():
    rng = np.random.RandomState(6)
    p = objective_refs.probabilities((2, 3, 4), rng).astype(np.float32)
    t = rng.randint(0, 4, (2, 3, 1)).astype(np.float32)
    got = run(metrics.sparse_categorical_crossentropy, t, p)
    assert got.shape == ()
    np.testing.assert_allclose(got, np.mean(objective_refs.np_sparse_cce(t, p)), rtol=1e-5)


# --------------------------------------------------------- precision, recall, F, Matthews

def _pos(y):
    return np.round(np.clip(np.asarray(y, dtype=np.float64), 0, 1))


def np_precision(t, p):
    return np.sum(_pos(np.asarray(t) * p)) / (np.sum(_pos(p)) + EPS)


def np_recall(t, p):
    return np.sum(_pos(np.asarray(t) * p)) / (np.sum(_pos(t)) + EPS)


def np_fbeta(t, p, beta=1):
    pr, rc = np_precision(t, p), np_recall(t, p)
    bb = beta ** 2
    return (1 + bb) * pr * rc / (bb * pr + rc + EPS)


def np_matthews(t, p):
    yp, y = _pos(p), _pos(t)
    tp, tn = np.sum(y * yp), np.sum((1 - y) * (1 - yp))
    fp, fn = np.sum((1 - y) * yp), np.sum(y * (1 - yp))
    return (tp * tn - fp * fn) / (np.sqrt((tp + fp) * (tp + fn) * (tn + fp) * (tn + fn)) + EPS)


COUNT_METRICS = [
    (metrics.precision, np_precision),
    (metrics.recall, np_recall),
    (metrics.fbeta_score, np_fbeta),
    (metrics.fmeasure, np_fbeta),
    (metrics.matthews_correlation, np_matthews),
]


def multilabel(shape, seed):
    rng = np.random.RandomState(seed)
    t = rng.randint(0, 2, shape).astype(np.float64)
    p = np.clip(t * 0.6 + rng.uniform(-0.3, 0.6, shape), -0.2, 1.3)   # out of [0, 1] too
    # a missed positive at exactly 0.5 (rounds to 0), clipped values, a false positive
    p.flat[:4] = [0.5, 1.5, -0.5, 0.9]
    t.flat[:4] = [1., 1., 0., 0.]
    return t, p


@pytest.mark.parametrize('fn,ref', COUNT_METRICS, ids=[c[0].__name__ for c in COUNT_METRICS])
@pytest.mark.parametrize('shape', [(10, 1), (6, 4), (2, 3, 4)], ids=str)
def test_count_metrics(fn, ref, shape):
    t, p = f32(*multilabel(shape, shape[-1]))
    got = check_value(fn, ref, t, p, rtol=1e-5, dtype='float32')
    assert got.shape == () and 0 < abs(got) < 1       # a mixed batch, not a degenerate one


@pytest.mark.parametrize('beta', [0, 0.5, 1, 2, 3.5])
def test_fbeta_score_beta(beta):
    t, p = f32(*multilabel((8, 3), 1))
    got = run(lambda a, b: metrics.fbeta_score(a, b, beta=beta), t, p)
    np.testing.assert_allclose(got, np_fbeta(t, p, beta), rtol=1e-5)
    if beta == 0:
        np.testing.assert_allclose(got, np_precision(t, p), rtol=1e-5)


def test_fbeta_score_default_beta_is_1_and_fmeasure_agrees():
    t, p = f32(*multilabel((8, 3), 2))
    np.testing.assert_allclose(run(metrics.fbeta_score, t, p), run(metrics.fmeasure, t, p))
    assert run(metrics.fbeta_score, t, p) != run(lambda a, b: metrics.fbeta_score(a, b, 2), t, p)


@pytest.mark.parametrize('beta, error', [
    (-0.5, ValueError), (float('nan'), ValueError), ('one', TypeError), (None, TypeError),
    (True, TypeError)])
def test_fbeta_score_rejects_bad_beta(beta, error):
    with pytest.raises(error, match=r'fbeta_score: beta must be a number >= 0; got %r'
                       % (beta,)):
        metrics.fbeta_score(K.placeholder(ndim=2), K.placeholder(ndim=2), beta=beta)


def test_no_true_positives_give_zero_scores():
    # No positive labels at all, and positive labels that are all missed.
    for t, p in [([[0., 0.], [0., 0.]], [[0.9, 0.1], [0.2, 0.7]]),
                 ([[1., 0.], [0., 1.]], [[0.1, 0.9], [0.8, 0.2]])]:
        t, p = f32(t, p)
        for fn in (metrics.precision, metrics.recall, metrics.fmeasure, metrics.fbeta_score):
            assert run(fn, t, p) == 0
        got = run(lambda a, b: metrics.fbeta_score(a, b, beta=2), t, p)
        assert got == 0 and np.isfinite(got)


def test_perfect_and_inverted_predictions():
    t = np.array([[1., 0., 1.], [0., 1., 0.]], dtype=np.float32)
    np.testing.assert_allclose(run(metrics.precision, t, t), 1, rtol=1e-6)
    np.testing.assert_allclose(run(metrics.recall, t, t), 1, rtol=1e-6)
    np.testing.assert_allclose(run(metrics.fmeasure, t, t), 1, rtol=1e-6)
    np.testing.assert_allclose(run(metrics.matthews_correlation, t, t), 1, rtol=1e-6)
    np.testing.assert_allclose(run(metrics.matthews_correlation, t, 1 - t), -1, rtol=1e-6)


def test_matthews_correlation_of_a_constant_prediction_is_zero():
    t = np.array([[1.], [0.], [1.]], dtype=np.float32)
    assert run(metrics.matthews_correlation, t, np.ones_like(t)) == 0


# ---------------------------------------------------------------------------- names, get

KERAS_METRICS = {
    'binary_accuracy': [], 'categorical_accuracy': [], 'sparse_categorical_accuracy': [],
    'top_k_categorical_accuracy': [],
    'mean_squared_error': ['mse', 'MSE'], 'mean_absolute_error': ['mae', 'MAE'],
    'mean_absolute_percentage_error': ['mape', 'MAPE'],
    'mean_squared_logarithmic_error': ['msle', 'MSLE'],
    'squared_hinge': [], 'hinge': [], 'categorical_crossentropy': [],
    'sparse_categorical_crossentropy': [], 'binary_crossentropy': [],
    'kullback_leibler_divergence': ['kld', 'KLD'], 'poisson': [],
    'cosine_proximity': ['cosine'],
    'matthews_correlation': [], 'precision': [], 'recall': [], 'fbeta_score': [],
    'fmeasure': ['fscore', 'f1score'],
}


@pytest.mark.parametrize('name', sorted(KERAS_METRICS))
def test_get_resolves_names_and_aliases_to_the_same_function(name):
    fn = getattr(metrics, name)
    assert fn.__name__ == name                    # the engine labels a metric by __name__
    assert metrics.get(name) is fn
    for alias in KERAS_METRICS[name]:
        assert getattr(metrics, alias) is fn
        assert metrics.get(alias) is fn


def test_objective_aliases_name_the_metrics_of_the_same_name():
    for alias, name in objectives.ALIASES.items():
        assert getattr(metrics, alias) is getattr(metrics, name)
        assert getattr(metrics, alias) is not getattr(objectives, name)


def test_get_knows_exactly_the_keras_names():
    names = set(KERAS_METRICS) | {a for aliases in KERAS_METRICS.values() for a in aliases}
    assert names == set(metrics._METRICS)
    for other in ['np', 'K', 'objectives', 'get', 'accuracy_for', 'numbers', 'f2score']:
        with pytest.raises(ValueError, match='Invalid metric: %s' % other):
            metrics.get(other)


def test_get_returns_a_callable_unchanged_and_finds_custom_objects():
    def mean_pred(y_true, y_pred):
        return K.mean(y_pred)
    assert metrics.get(mean_pred) is mean_pred
    with custom_object_scope({'mean_pred': mean_pred}):
        assert metrics.get('mean_pred') is mean_pred


@pytest.mark.parametrize('name', ['accuracy', 'acc'])
def test_get_of_accuracy_points_to_accuracy_for(name):
    with pytest.raises(ValueError, match="metric '%s' depends on the output and its loss; "
                       'resolve it with accuracy_for' % name):
        metrics.get(name)


@pytest.mark.parametrize('bad', [None, 1.5, ('mse',)])
def test_get_rejects_what_is_neither_a_name_nor_a_callable(bad):
    with pytest.raises(TypeError, match=r'metric must be a name or a callable; got'):
        metrics.get(bad)


# ------------------------------------------------------------------- accuracy resolution

@pytest.mark.parametrize('shape,loss,expected', [
    ((None, 1), 'binary_crossentropy', 'binary_accuracy'),
    ((None, 1), 'mse', 'binary_accuracy'),                      # last dim 1 wins
    ((None, 1), 'categorical_crossentropy', 'binary_accuracy'),
    ((None, 1), 'sparse_categorical_crossentropy', 'binary_accuracy'),
    ((None, 10), 'binary_crossentropy', 'binary_accuracy'),     # multi-label
    ((None, 5, 10), 'binary_crossentropy', 'binary_accuracy'),
    ((None, 10), 'sparse_categorical_crossentropy', 'sparse_categorical_accuracy'),
    ((None, 7, 10), 'sparse_categorical_crossentropy', 'sparse_categorical_accuracy'),
    ((None, 10), 'categorical_crossentropy', 'categorical_accuracy'),
    ((None, 10), 'mse', 'categorical_accuracy'),
    ((None, None), 'hinge', 'categorical_accuracy'),
    ([32, 3], 'kld', 'categorical_accuracy'),
])
def test_accuracy_for(shape, loss, expected):
    assert metrics.accuracy_for(shape, loss) is getattr(metrics, expected)
    assert metrics.accuracy_for(shape, objectives.get(loss)) is getattr(metrics, expected)


def test_accuracy_for_a_custom_loss():
    def my_loss(y_true, y_pred):
        return objectives.binary_crossentropy(y_true, y_pred)
    assert metrics.accuracy_for((None, 4), my_loss) is metrics.categorical_accuracy
    assert metrics.accuracy_for((None, 1), my_loss) is metrics.binary_accuracy


@pytest.mark.parametrize('shape', [(), None, 10])
def test_accuracy_for_rejects_a_bad_shape(shape):
    with pytest.raises(ValueError, match='accuracy_for: output_shape must be a non-empty shape '
                       'tuple; got %s' % (re.escape(repr(shape)),)):
        metrics.accuracy_for(shape, 'mse')


def test_accuracy_for_rejects_an_unknown_loss():
    with pytest.raises(ValueError, match='Invalid objective: mean_cubed_error'):
        metrics.accuracy_for((None, 3), 'mean_cubed_error')
