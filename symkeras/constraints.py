"""Keras 1 weight constraints: callables that the optimizer applies to each updated weight."""
import numpy as np

from . import backend as K
from .utils.generic_utils import check_number, get_callable


def _axis(axis, what):
    """An int or a list/tuple of ints (Python or numpy), kept as a Python int or a list/tuple
    of them (it goes into get_config, which must be JSON-serialisable)."""
    axes = axis if isinstance(axis, (list, tuple)) else [axis]
    if not axes or not all(isinstance(a, (int, np.integer)) and not isinstance(a, bool)
                           for a in axes):
        raise ValueError('%s: axis must be an int or a list of ints; got %r' % (what, axis))
    if isinstance(axis, (list, tuple)):
        return type(axis)(int(a) for a in axis)
    return int(axis)


def _norms(p, axis):
    return K.sqrt(K.sum(K.square(p), axis=axis, keepdims=True))


class Constraint(object):
    """Base class: leaves the weight unchanged."""

    def __call__(self, p):
        return p

    def get_config(self):
        return {'name': self.__class__.__name__}


class MaxNorm(Constraint):
    """Rescales the weight so that its norm along `axis` is at most m (for a Dense weight
    (input_dim, output_dim), axis=0 constrains each unit's incoming weights)."""

    def __init__(self, m=2, axis=0):
        self.m = check_number('MaxNorm', 'm', m)
        self.axis = _axis(axis, 'MaxNorm')

    def __call__(self, p):
        norms = _norms(p, self.axis)
        desired = K.clip(norms, 0, self.m)
        return p * (desired / (K.epsilon() + norms))

    def get_config(self):
        return {'name': self.__class__.__name__, 'm': self.m, 'axis': self.axis}


class NonNeg(Constraint):
    """Sets negative weights to zero."""

    def __call__(self, p):
        return p * K.cast(K.greater_equal(p, 0.), K.dtype(p))


class UnitNorm(Constraint):
    """Scales the weight to unit norm along `axis`."""

    def __init__(self, axis=0):
        self.axis = _axis(axis, 'UnitNorm')

    def __call__(self, p):
        return p / (K.epsilon() + _norms(p, self.axis))

    def get_config(self):
        return {'name': self.__class__.__name__, 'axis': self.axis}


class MinMaxNorm(Constraint):
    """Moves the norm along `axis` towards [low, high]: the new norm is
    rate * clip(norm, low, high) + (1 - rate) * norm (rate=1 enforces the bounds)."""

    def __init__(self, low=0.0, high=1.0, rate=1.0, axis=0):
        self.low = check_number('MinMaxNorm', 'low', low)
        self.high = check_number('MinMaxNorm', 'high', high)
        self.rate = check_number('MinMaxNorm', 'rate', rate)
        self.axis = _axis(axis, 'MinMaxNorm')

    def __call__(self, p):
        norms = _norms(p, self.axis)
        desired = self.rate * K.clip(norms, self.low, self.high) + (1 - self.rate) * norms
        return p * (desired / (K.epsilon() + norms))

    def get_config(self):
        return {'name': self.__class__.__name__, 'low': self.low, 'high': self.high,
                'rate': self.rate, 'axis': self.axis}


# Keras 1 lower-case aliases; 'identity' is Keras 0.3's name for the no-op constraint.
maxnorm = MaxNorm
nonneg = NonNeg
unitnorm = UnitNorm
identity = Constraint

_CONSTRAINTS = {
    'Constraint': Constraint, 'identity': identity,
    'MaxNorm': MaxNorm, 'maxnorm': maxnorm, 'NonNeg': NonNeg, 'nonneg': nonneg,
    'UnitNorm': UnitNorm, 'unitnorm': unitnorm, 'MinMaxNorm': MinMaxNorm,
}


def get(identifier, kwargs=None):
    """A constraint from a name (instantiated with `kwargs`), a config dict (as get_config
    returns), an instance or callable (returned as it is), or None (no constraint)."""
    if identifier is None:
        return None
    return get_callable(identifier, _CONSTRAINTS, 'constraint', instantiate=True, kwargs=kwargs,
                        what='a name, a config dict or a callable')
