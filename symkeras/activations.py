"""Keras 1 activations: functions of a tensor, looked up by name with get()."""
from . import backend as K
from .utils.generic_utils import get_callable


def softmax(x):
    """Softmax over the last axis of a 2-D (batch, classes) or 3-D (batch, time, classes)
    tensor, as Keras 1 allows."""
    if K.ndim(x) not in (2, 3):
        raise ValueError('softmax: expected a 2-D or 3-D tensor; got a tensor of shape %s '
                         '(ndim=%d)' % (K.int_shape(x), K.ndim(x)))
    return K.softmax(x)


def elu(x, alpha=1.0):
    return K.elu(x, alpha)


def softplus(x):
    return K.softplus(x)


def softsign(x):
    return K.softsign(x)


def relu(x, alpha=0., max_value=None):
    return K.relu(x, alpha=alpha, max_value=max_value)


def tanh(x):
    return K.tanh(x)


def sigmoid(x):
    return K.sigmoid(x)


def hard_sigmoid(x):
    return K.hard_sigmoid(x)


def linear(x):
    return x


# Only these names resolve: not every global of this module is an activation.
_ACTIVATIONS = {f.__name__: f for f in (softmax, elu, softplus, softsign, relu, tanh, sigmoid,
                                        hard_sigmoid, linear)}


def get(identifier):
    """The activation for a name, a callable (returned as it is), or None (linear)."""
    if identifier is None:
        return linear
    return get_callable(identifier, _ACTIVATIONS, 'activation function')
