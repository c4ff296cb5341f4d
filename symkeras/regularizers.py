"""Keras 1.2 regularizers: callables mapping a weight (or activity) tensor to a scalar penalty
that the layer adds to the model's loss."""
import warnings

from . import backend as K
from .utils.generic_utils import check_number, get_callable


class Regularizer(object):
    """Base class: no penalty."""

    def __call__(self, x):
        return K.cast_to_floatx(0.)

    def get_config(self):
        return {'name': self.__class__.__name__}

    def set_param(self, _):
        warnings.warn('The `set_param` method on regularizers is deprecated. It no longer '
                      'does anything (Keras 1.2 regularizers are called on the weight).')

    def set_layer(self, _):
        warnings.warn('The `set_layer` method on regularizers is deprecated. It no longer '
                      'does anything (Keras 1.2 regularizers are called on the tensor).')


class L1L2Regularizer(Regularizer):
    """Penalty sum(l1 * |x|) + sum(l2 * x^2); a zero factor adds no term."""

    def __init__(self, l1=0., l2=0.):
        self.l1 = K.cast_to_floatx(check_number('L1L2Regularizer', 'l1', l1))
        self.l2 = K.cast_to_floatx(check_number('L1L2Regularizer', 'l2', l2))

    def __call__(self, x):
        penalty = K.cast_to_floatx(0.)
        if self.l1:
            penalty = penalty + K.sum(K.abs(x) * self.l1)
        if self.l2:
            penalty = penalty + K.sum(K.square(x) * self.l2)
        return penalty

    def get_config(self):
        return {'name': self.__class__.__name__, 'l1': float(self.l1), 'l2': float(self.l2)}


# Keras 1.2 names: weight and activity regularizers are the same class.
WeightRegularizer = L1L2Regularizer
ActivityRegularizer = L1L2Regularizer


class EigenvalueRegularizer(Regularizer):
    """Eigenvalue decay (Ludwig 2016): k * sqrt(largest eigenvalue of C = x^T x), i.e. k times
    the largest singular value of the 2-D weight x. As in Keras 1.2 the eigenvalue is estimated
    by the power method: v = C^9 . ones, eigenvalue = (C v) . v / (v . v)."""

    _POWER_STEPS = 9

    def __init__(self, k):
        self.k = K.cast_to_floatx(check_number('EigenvalueRegularizer', 'k', k))

    def __call__(self, x):
        if K.ndim(x) != 2:
            raise ValueError('EigenvalueRegularizer: only for 2-D weights; got a tensor of '
                             'shape %s' % (K.int_shape(x),))
        covariance = K.dot(K.transpose(x), x)
        v = K.sum(covariance, axis=1, keepdims=True)       # covariance . ones, the first step
        for _ in range(self._POWER_STEPS - 1):
            v = K.dot(covariance, _normalized(v))
        v = _normalized(v)
        # The Rayleigh quotient is unchanged by the scale of v; the normalisations only keep
        # the powers of the covariance from overflowing (Keras does not normalise).
        num = K.sum(K.dot(covariance, v) * v)
        den = K.sum(K.square(v))
        # An all-zero weight gives v = 0: a penalty of 0 rather than 0 / 0.
        den = den + K.cast(K.equal(den, 0.), K.dtype(den))
        return K.sqrt(num / den) * self.k

    def get_config(self):
        return {'name': self.__class__.__name__, 'k': float(self.k)}


def _normalized(v):
    return v / (K.sqrt(K.sum(K.square(v))) + K.epsilon())


def l1(l=0.01):
    return L1L2Regularizer(l1=l)


def l2(l=0.01):
    return L1L2Regularizer(l2=l)


def l1l2(l1=0.01, l2=0.01):
    return L1L2Regularizer(l1=l1, l2=l2)


# Keras 1.2.2's activity_* functions have the same arguments, defaults and result as the
# weight ones.
activity_l1 = l1
activity_l2 = l2
activity_l1l2 = l1l2


_REGULARIZERS = {
    'Regularizer': Regularizer, 'identity': Regularizer,     # 'identity': Keras 0.3's name
    'L1L2Regularizer': L1L2Regularizer, 'WeightRegularizer': WeightRegularizer,
    'ActivityRegularizer': ActivityRegularizer, 'EigenvalueRegularizer': EigenvalueRegularizer,
    'l1': l1, 'l2': l2, 'l1l2': l1l2,
    'activity_l1': activity_l1, 'activity_l2': activity_l2, 'activity_l1l2': activity_l1l2,
}


def get(identifier, kwargs=None):
    """A regularizer from a name (instantiated with `kwargs`), a config dict (as get_config
    returns), an instance or callable (returned as it is), or None (no regularizer)."""
    if identifier is None:
        return None
    return get_callable(identifier, _REGULARIZERS, 'regularizer', instantiate=True, kwargs=kwargs,
                        what='a name, a config dict or a callable')
