"""Keras 1.2.2 objectives (losses). Each f(y_true, y_pred) returns a score per sample (per
timestep for 3-D outputs): the elementwise loss reduced over the LAST axis only. The engine
weights, masks and averages these scores into the total loss."""
import numpy as np

from . import backend as K
from .utils.generic_utils import get_from_module


def mean_squared_error(y_true, y_pred):
    return K.mean(K.square(y_pred - y_true), axis=-1)


def mean_absolute_error(y_true, y_pred):
    return K.mean(K.abs(y_pred - y_true), axis=-1)


def mean_absolute_percentage_error(y_true, y_pred):
    """100 * mean|(y_true - y_pred) / y_true|, with |y_true| clipped below at epsilon so a zero
    target gives a large but finite score."""
    diff = K.abs((y_true - y_pred) / K.clip(K.abs(y_true), K.epsilon(), np.inf))
    return 100. * K.mean(diff, axis=-1)


def mean_squared_logarithmic_error(y_true, y_pred):
    """Mean squared difference of log(1 + x), both sides clipped below at epsilon."""
    first_log = K.log(K.clip(y_pred, K.epsilon(), np.inf) + 1.)
    second_log = K.log(K.clip(y_true, K.epsilon(), np.inf) + 1.)
    return K.mean(K.square(first_log - second_log), axis=-1)


def squared_hinge(y_true, y_pred):
    """Targets are -1/1."""
    return K.mean(K.square(K.maximum(1. - y_true * y_pred, 0.)), axis=-1)


def hinge(y_true, y_pred):
    """Targets are -1/1."""
    return K.mean(K.maximum(1. - y_true * y_pred, 0.), axis=-1)


def categorical_crossentropy(y_true, y_pred):
    """One-hot (or probability) targets; predictions renormalised and clipped by K."""
    return K.categorical_crossentropy(y_pred, y_true)


def sparse_categorical_crossentropy(y_true, y_pred):
    """Integer class targets, one per row of y_pred (shape (batch, 1) for (batch, classes))."""
    return K.sparse_categorical_crossentropy(y_pred, y_true)


def binary_crossentropy(y_true, y_pred):
    return K.mean(K.binary_crossentropy(y_pred, y_true), axis=-1)


def kullback_leibler_divergence(y_true, y_pred):
    """sum(p * log(p / q)) with p, q clipped to [epsilon, 1] (so zeros contribute ~0, not NaN)."""
    y_true = K.clip(y_true, K.epsilon(), 1)
    y_pred = K.clip(y_pred, K.epsilon(), 1)
    return K.sum(y_true * K.log(y_true / y_pred), axis=-1)


def poisson(y_true, y_pred):
    return K.mean(y_pred - y_true * K.log(y_pred + K.epsilon()), axis=-1)


def cosine_proximity(y_true, y_pred):
    """Minus the cosine similarity divided by the last dimension: Keras 1.2.2 takes the mean,
    not the sum, of the products of the normalised vectors."""
    y_true = K.l2_normalize(y_true, axis=-1)
    y_pred = K.l2_normalize(y_pred, axis=-1)
    return -K.mean(y_true * y_pred, axis=-1)


# Keras 1.2.2's short names, alias -> function name; metrics.py binds the same aliases to its
# metrics of those names.
ALIASES = {
    'mse': 'mean_squared_error', 'MSE': 'mean_squared_error',
    'mae': 'mean_absolute_error', 'MAE': 'mean_absolute_error',
    'mape': 'mean_absolute_percentage_error', 'MAPE': 'mean_absolute_percentage_error',
    'msle': 'mean_squared_logarithmic_error', 'MSLE': 'mean_squared_logarithmic_error',
    'kld': 'kullback_leibler_divergence', 'KLD': 'kullback_leibler_divergence',
    'cosine': 'cosine_proximity',
}
globals().update({alias: globals()[name] for alias, name in ALIASES.items()})

# The names get() resolves: the functions and aliases above, nothing else of this module
# (not `np`, `K` or `get`, which a lookup in globals() would also find).
_OBJECTIVES = {name: fn for name, fn in list(globals().items())
               if callable(fn) and getattr(fn, '__module__', None) == __name__}


def get(identifier):
    """The objective named `identifier` (a name above, or a custom object registered with
    symkeras.utils.generic_utils.custom_object_scope); a callable is returned as it is, so
    custom losses pass through."""
    return _resolve(identifier, _OBJECTIVES, 'objective')


def _resolve(identifier, table, kind):
    """get_from_module for a table of functions: only names and callables are accepted (a
    config dict or None would otherwise get through, and fail later far from the cause)."""
    if not isinstance(identifier, str) and not callable(identifier):
        raise TypeError('%s must be a name or a callable; got %r' % (kind, identifier))
    return get_from_module(identifier, table, kind)
