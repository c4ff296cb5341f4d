"""Keras 1 weight initializations: f(shape, name=None, dim_ordering='th') -> K.variable.

Random values come from numpy's global generator, so np.random.seed(...) at the top of a
script reproduces them."""
import numpy as np

from . import backend as K
from .utils.generic_utils import get_callable


def _check_shape(shape, fn):
    try:
        dims = tuple(int(d) for d in shape)
    except (TypeError, ValueError):
        raise ValueError('%s: shape must be a tuple of non-negative ints; got %r'
                         % (fn, shape)) from None
    if any(d < 0 for d in dims) or any(d != s for d, s in zip(dims, shape)):
        raise ValueError('%s: shape must be a tuple of non-negative ints; got %r' % (fn, shape))
    return dims


def get_fans(shape, dim_ordering='th'):
    """(fan_in, fan_out) of a weight shape, by Keras 1's rules: 2-D (input_dim, output_dim);
    4-D and 5-D convolution kernels, 'th' (out, in, *spatial) or 'tf' (*spatial, in, out),
    where the 'tf' receptive field is the product of the first two axes (Keras 1's rule, also
    for 5-D); any other rank: sqrt(number of weights) for both."""
    shape = _check_shape(shape, 'get_fans')
    if len(shape) == 2:
        return shape[0], shape[1]
    if len(shape) in (4, 5):
        if dim_ordering == 'th':
            field = int(np.prod(shape[2:]))
            return shape[1] * field, shape[0] * field
        if dim_ordering == 'tf':
            field = int(np.prod(shape[:2]))
            return shape[-2] * field, shape[-1] * field
        raise ValueError("get_fans: dim_ordering must be 'th' or 'tf'; got %r" % (dim_ordering,))
    fan = np.sqrt(np.prod(shape))
    return fan, fan


def _scale(numerator, denominator, fn, shape):
    if denominator <= 0:
        raise ValueError('%s: shape %s has no inputs or outputs (fan 0); cannot scale the '
                         'weights' % (fn, tuple(shape)))
    return np.sqrt(numerator / float(denominator))


def uniform(shape, scale=0.05, name=None, dim_ordering='th'):
    """Uniform on [-scale, scale]."""
    shape = _check_shape(shape, 'uniform')
    return K.random_uniform_variable(shape, -scale, scale, name=name)


def normal(shape, scale=0.05, name=None, dim_ordering='th'):
    """Gaussian with mean 0 and standard deviation `scale`."""
    shape = _check_shape(shape, 'normal')
    return K.random_normal_variable(shape, 0.0, scale, name=name)


def lecun_uniform(shape, name=None, dim_ordering='th'):
    """Uniform with limit sqrt(3 / fan_in) (LeCun 98, Efficient Backprop)."""
    fan_in, _ = get_fans(shape, dim_ordering)
    return uniform(shape, _scale(3., fan_in, 'lecun_uniform', shape), name=name)


def glorot_normal(shape, name=None, dim_ordering='th'):
    """Gaussian with std sqrt(2 / (fan_in + fan_out)) (Glorot & Bengio 2010)."""
    fan_in, fan_out = get_fans(shape, dim_ordering)
    return normal(shape, _scale(2., fan_in + fan_out, 'glorot_normal', shape), name=name)


def glorot_uniform(shape, name=None, dim_ordering='th'):
    """Uniform with limit sqrt(6 / (fan_in + fan_out)) (Glorot & Bengio 2010)."""
    fan_in, fan_out = get_fans(shape, dim_ordering)
    return uniform(shape, _scale(6., fan_in + fan_out, 'glorot_uniform', shape), name=name)


def he_normal(shape, name=None, dim_ordering='th'):
    """Gaussian with std sqrt(2 / fan_in) (He et al. 2015)."""
    fan_in, _ = get_fans(shape, dim_ordering)
    return normal(shape, _scale(2., fan_in, 'he_normal', shape), name=name)


def he_uniform(shape, name=None, dim_ordering='th'):
    """Uniform with limit sqrt(6 / fan_in) (He et al. 2015)."""
    fan_in, _ = get_fans(shape, dim_ordering)
    return uniform(shape, _scale(6., fan_in, 'he_uniform', shape), name=name)


def orthogonal(shape, scale=1.1, name=None, dim_ordering='th'):
    """`scale` times a random orthogonal matrix (Saxe et al. 2013): the shape is flattened to
    (shape[0], prod(shape[1:])), whose rows or columns (whichever are fewer) are orthonormal,
    taken from the SVD of a standard Gaussian matrix."""
    shape = _check_shape(shape, 'orthogonal')
    if len(shape) < 2:
        raise ValueError('orthogonal: needs a shape of rank 2 or more; got %s' % (shape,))
    flat_shape = (shape[0], int(np.prod(shape[1:])))
    a = np.random.normal(0.0, 1.0, flat_shape)
    u, _, v = np.linalg.svd(a, full_matrices=False)
    q = u if u.shape == flat_shape else v
    return K.variable(scale * q.reshape(shape), name=name)


def identity(shape, scale=1, name=None, dim_ordering='th'):
    """`scale` times the identity matrix; only for square 2-D shapes."""
    shape = _check_shape(shape, 'identity')
    if len(shape) != 2 or shape[0] != shape[1]:
        raise ValueError('identity: only square 2-D shapes can be initialised to the '
                         'identity; got %s' % (shape,))
    return K.variable(scale * np.identity(shape[0]), name=name)


def zero(shape, name=None, dim_ordering='th'):
    return K.zeros(_check_shape(shape, 'zero'), name=name)


def one(shape, name=None, dim_ordering='th'):
    return K.ones(_check_shape(shape, 'one'), name=name)


_INITIALIZATIONS = {f.__name__: f for f in (uniform, normal, lecun_uniform, glorot_normal,
                                            glorot_uniform, he_normal, he_uniform, orthogonal,
                                            identity, zero, one)}


def get(identifier, **kwargs):
    """The initialization for a name, or a callable (returned as it is). Keras 1 accepts and
    ignores kwargs here."""
    return get_callable(identifier, _INITIALIZATIONS, 'initialization', kwargs=kwargs)
