"""Keras 1.2.2 metrics. Each f(y_true, y_pred) returns a scalar for the batch (floatx for the
accuracies: K.mean of a bool tensor is floatx). Unlike the objectives, the objective-like
metrics here average over every axis, as Keras 1.2.2's metrics do; precision, recall, F-scores
and the Matthews correlation are batch-wise counts of rounded predictions."""
from . import backend as K
from . import objectives
from .objectives import _resolve
from .utils.generic_utils import check_number


def binary_accuracy(y_true, y_pred):
    """Fraction of predictions that round (half to even) to their 0/1 target."""
    return K.mean(K.equal(y_true, K.round(y_pred)))


def categorical_accuracy(y_true, y_pred):
    """Fraction of rows whose largest prediction is at the target's largest entry."""
    return K.mean(K.equal(K.argmax(y_true, axis=-1), K.argmax(y_pred, axis=-1)))


def sparse_categorical_accuracy(y_true, y_pred):
    """categorical_accuracy for integer class targets of shape (..., 1)."""
    return K.mean(K.equal(K.max(y_true, axis=-1),
                          K.cast(K.argmax(y_pred, axis=-1), K.floatx())))


def top_k_categorical_accuracy(y_true, y_pred, k=5):
    """Fraction of rows whose target class is among the k largest predictions (classes tied
    at the k-th place count as in the top k, see K.in_top_k)."""
    return K.mean(K.in_top_k(y_pred, K.argmax(y_true, axis=-1), k))


def _batch_mean(objective):
    """The objective as a metric: its per-sample score averaged over the batch (named like the
    objective, since the engine labels a metric by __name__)."""
    def metric(y_true, y_pred):
        return K.mean(objective(y_true, y_pred))
    metric.__name__ = objective.__name__
    metric.__doc__ = 'The batch mean of objectives.%s.' % objective.__name__
    return metric


# The objectives' batch means. Keras 1.2.2's metrics.py redefines each of them averaged over
# the batch, kullback_leibler_divergence included (K.mean(K.sum(..., axis=-1))): all scalars.
(mean_squared_error, mean_absolute_error, mean_absolute_percentage_error,
 mean_squared_logarithmic_error, hinge, squared_hinge, categorical_crossentropy,
 sparse_categorical_crossentropy, binary_crossentropy, kullback_leibler_divergence, poisson,
 cosine_proximity) = [
    _batch_mean(getattr(objectives, name)) for name in (
        'mean_squared_error', 'mean_absolute_error', 'mean_absolute_percentage_error',
        'mean_squared_logarithmic_error', 'hinge', 'squared_hinge', 'categorical_crossentropy',
        'sparse_categorical_crossentropy', 'binary_crossentropy', 'kullback_leibler_divergence',
        'poisson', 'cosine_proximity')]


def _positives(y):
    """y rounded to 0/1 after clipping to [0, 1]: the positive indicator the counts use."""
    return K.round(K.clip(y, 0, 1))


def matthews_correlation(y_true, y_pred):
    """(tp*tn - fp*fn) / (sqrt((tp+fp)(tp+fn)(tn+fp)(tn+fn)) + epsilon) over the whole batch."""
    y_pred_pos = _positives(y_pred)
    y_pred_neg = 1 - y_pred_pos
    y_pos = _positives(y_true)
    y_neg = 1 - y_pos
    tp = K.sum(y_pos * y_pred_pos)
    tn = K.sum(y_neg * y_pred_neg)
    fp = K.sum(y_neg * y_pred_pos)
    fn = K.sum(y_pos * y_pred_neg)
    numerator = tp * tn - fp * fn
    denominator = K.sqrt((tp + fp) * (tp + fn) * (tn + fp) * (tn + fn))
    return numerator / (denominator + K.epsilon())


def precision(y_true, y_pred):
    """True positives / (predicted positives + epsilon), batch-wise."""
    true_positives = K.sum(_positives(y_true * y_pred))
    return true_positives / (K.sum(_positives(y_pred)) + K.epsilon())


def recall(y_true, y_pred):
    """True positives / (actual positives + epsilon), batch-wise."""
    true_positives = K.sum(_positives(y_true * y_pred))
    return true_positives / (K.sum(_positives(y_true)) + K.epsilon())


def fbeta_score(y_true, y_pred, beta=1):
    """(1 + beta^2) * p * r / (beta^2 * p + r + epsilon). With no true positives p = r = 0,
    so the score is 0 (Keras 1.2.2's explicit early return never fired on a symbolic tensor;
    the formula gives the same 0)."""
    beta = check_number('fbeta_score', 'beta', beta, minimum=0)   # 0 weighs only precision
    p = precision(y_true, y_pred)
    r = recall(y_true, y_pred)
    bb = beta ** 2
    return (1 + bb) * (p * r) / (bb * p + r + K.epsilon())


def fmeasure(y_true, y_pred):
    """The F1 score: fbeta_score with beta = 1."""
    return fbeta_score(y_true, y_pred, beta=1)


globals().update({alias: globals()[name] for alias, name in objectives.ALIASES.items()})
fscore = f1score = fmeasure

# The names get() resolves: the metrics and aliases above, nothing else of this module.
_METRICS = {name: fn for name, fn in list(globals().items())
            if callable(fn) and getattr(fn, '__module__', None) == __name__
            and not name.startswith('_')}


def get(identifier):
    """The metric named `identifier`; a callable is returned as it is. 'accuracy' and 'acc'
    depend on the output and its loss: the engine resolves them with accuracy_for."""
    if isinstance(identifier, str) and identifier in ('accuracy', 'acc'):
        raise ValueError('metric %r depends on the output and its loss; resolve it with '
                         'accuracy_for(output_shape, loss)' % (identifier,))
    return _resolve(identifier, _METRICS, 'metric')


def accuracy_for(output_shape, loss):
    """The metric 'accuracy'/'acc' means for an output of `output_shape` trained with `loss`
    (a function or an objective name), as Keras 1.2.2's compile() chooses it: binary_accuracy
    if the output's last dimension is 1 or the loss is binary_crossentropy,
    sparse_categorical_accuracy if the loss is sparse_categorical_crossentropy, else
    categorical_accuracy."""
    if not isinstance(output_shape, (tuple, list)) or not output_shape:
        raise ValueError('accuracy_for: output_shape must be a non-empty shape tuple; got %r'
                         % (output_shape,))
    loss = objectives.get(loss)
    if output_shape[-1] == 1 or loss is objectives.binary_crossentropy:
        return binary_accuracy
    if loss is objectives.sparse_categorical_crossentropy:
        return sparse_categorical_accuracy
    return categorical_accuracy
