"""Keras 1.2.2 advanced activation layers (`keras.layers.advanced_activations`): LeakyReLU,
PReLU, ELU, ParametricSoftplus, ThresholdedReLU, SReLU. All pass the mask through. The layers
with learned parameters hold one value per input element (batch axis excluded); shared_axes
(1-indexed, batch excluded) share a parameter along those axes."""
import numpy as np

from .. import backend as K
from .. import initializations
from ..engine.topology import Layer, register_layer_class
from .core import set_initial_weights

__all__ = ['LeakyReLU', 'PReLU', 'ELU', 'ParametricSoftplus', 'ThresholdedReLU', 'SReLU']


def _base_config(layer, config):
    base = Layer.get_config(layer)
    base.update(config)
    return base


class _SharedAxesLayer(Layer):
    """Parameters of shape input_shape[1:] with 1 on the shared axes."""

    def __init__(self, shared_axes=None, **kwargs):
        self.supports_masking = True
        if shared_axes is None:
            self.shared_axes = []
        elif isinstance(shared_axes, (list, tuple)):
            self.shared_axes = list(shared_axes)
        else:
            self.shared_axes = [shared_axes]
        super(_SharedAxesLayer, self).__init__(**kwargs)

    def _param_shape(self, input_shape):
        shape = list(input_shape[1:])
        self.param_broadcast = [False] * len(shape)
        for axis in self.shared_axes:
            if not 1 <= axis <= len(shape):
                raise ValueError('%s %s: shared_axes entries must be in 1..%d (the batch axis '
                                 'is excluded); got %r for input shape %s'
                                 % (self.__class__.__name__, self.name, len(shape), axis,
                                    tuple(input_shape)))
            shape[axis - 1] = 1
            self.param_broadcast[axis - 1] = True
        return shape

    def _param(self, p):
        """p broadcastable along the shared axes against an input with a batch axis."""
        return K.pattern_broadcast(p, self.param_broadcast)

    def _shared_config(self):
        return {'shared_axes': list(self.shared_axes) or None}


@register_layer_class
class LeakyReLU(Layer):
    """x for x > 0, alpha * x otherwise."""

    def __init__(self, alpha=0.3, **kwargs):
        self.supports_masking = True
        self.alpha = alpha
        super(LeakyReLU, self).__init__(**kwargs)

    def call(self, x, mask=None):
        return K.relu(x, alpha=self.alpha)

    def get_config(self):
        return _base_config(self, {'alpha': self.alpha})


@register_layer_class
class PReLU(_SharedAxesLayer):
    """x for x > 0, alphas * x otherwise, alphas learned (weight '<name>_alphas')."""

    def __init__(self, init='zero', weights=None, shared_axes=None, **kwargs):
        self.init = initializations.get(init)
        self.initial_weights = weights
        super(PReLU, self).__init__(shared_axes, **kwargs)

    def build(self, input_shape):
        self.alphas = self.add_weight(self._param_shape(input_shape), self.init, name='alphas')
        set_initial_weights(self)

    def call(self, x, mask=None):
        # Keras' Theano form: alphas * (x - |x|) / 2 is alphas * x below 0, 0 above.
        return K.relu(x) + self._param(self.alphas) * (x - K.abs(x)) * 0.5

    def get_config(self):
        config = {'init': self.init.__name__}
        config.update(self._shared_config())
        return _base_config(self, config)


@register_layer_class
class ELU(Layer):
    """x for x > 0, alpha * (exp(x) - 1) otherwise."""

    def __init__(self, alpha=1.0, **kwargs):
        self.supports_masking = True
        self.alpha = alpha
        super(ELU, self).__init__(**kwargs)

    def call(self, x, mask=None):
        return K.elu(x, self.alpha)

    def get_config(self):
        return _base_config(self, {'alpha': self.alpha})


def _constant(value):
    """An initializer filling a weight with `value` (ParametricSoftplus' alpha/beta_init)."""
    def init(shape, name=None):
        return K.variable(value * np.ones(shape), name=name)
    return init


@register_layer_class
class ParametricSoftplus(_SharedAxesLayer):
    """alphas * log(1 + exp(betas * x)), alphas and betas learned, starting at alpha_init and
    beta_init (weights '<name>_alphas', '<name>_betas')."""

    def __init__(self, alpha_init=0.2, beta_init=5.0, weights=None, shared_axes=None,
                 **kwargs):
        self.alpha_init = alpha_init
        self.beta_init = beta_init
        self.initial_weights = weights
        super(ParametricSoftplus, self).__init__(shared_axes, **kwargs)

    def build(self, input_shape):
        shape = self._param_shape(input_shape)
        self.alphas = self.add_weight(shape, _constant(self.alpha_init), name='alphas')
        self.betas = self.add_weight(shape, _constant(self.beta_init), name='betas')
        set_initial_weights(self)

    def call(self, x, mask=None):
        return K.softplus(self._param(self.betas) * x) * self._param(self.alphas)

    def get_config(self):
        config = {'alpha_init': self.alpha_init, 'beta_init': self.beta_init}
        config.update(self._shared_config())
        return _base_config(self, config)


@register_layer_class
class ThresholdedReLU(Layer):
    """x for x > theta, 0 otherwise."""

    def __init__(self, theta=1.0, **kwargs):
        self.supports_masking = True
        self.theta = theta
        super(ThresholdedReLU, self).__init__(**kwargs)

    def call(self, x, mask=None):
        return x * K.cast(K.greater(x, self.theta), K.floatx())

    def get_config(self):
        return _base_config(self, {'theta': self.theta})


@register_layer_class
class SReLU(_SharedAxesLayer):
    """S-shaped ReLU, as Keras 1.2.2 computes it: with t_right' = t_left + |t_right|,
    y = t_left + min(leaky_relu(x - t_left, a_left), t_right' - t_left)
        + a_right * relu(x - t_right'),
    which for a_left >= 0 is x between t_left and t_right', t_left + a_left (x - t_left)
    below, t_right' + a_right (x - t_right') above.
    Weights '<name>_t_left', '_a_left', '_t_right', '_a_right'."""

    def __init__(self, t_left_init='zero', a_left_init='glorot_uniform',
                 t_right_init='glorot_uniform', a_right_init='one', shared_axes=None,
                 **kwargs):
        for arg, value in (('t_left_init', t_left_init), ('a_left_init', a_left_init),
                           ('t_right_init', t_right_init), ('a_right_init', a_right_init)):
            initializations.get(value)      # an unknown name fails here, naming the argument
            setattr(self, arg, value)
        super(SReLU, self).__init__(shared_axes, **kwargs)

    def build(self, input_shape):
        shape = self._param_shape(input_shape)
        self.t_left = self.add_weight(shape, self.t_left_init, name='t_left')
        self.a_left = self.add_weight(shape, self.a_left_init, name='a_left')
        self.t_right = self.add_weight(shape, self.t_right_init, name='t_right')
        self.a_right = self.add_weight(shape, self.a_right_init, name='a_right')

    def call(self, x, mask=None):
        t_left = self._param(self.t_left)
        a_left = self._param(self.a_left)
        a_right = self._param(self.a_right)
        t_right = t_left + K.abs(self._param(self.t_right))
        y = x - t_left
        # Keras: t_left + relu(x - t_left, alpha=a_left, max_value=t_right - t_left)
        left_and_center = t_left + K.minimum(K.relu(y) + a_left * K.minimum(y, 0.),
                                             t_right - t_left)
        return left_and_center + K.relu(x - t_right) * a_right

    def get_config(self):
        config = {'t_left_init': self._init_name(self.t_left_init),
                  'a_left_init': self._init_name(self.a_left_init),
                  't_right_init': self._init_name(self.t_right_init),
                  'a_right_init': self._init_name(self.a_right_init)}
        config.update(self._shared_config())
        return _base_config(self, config)

    @staticmethod
    def _init_name(init):
        return init if isinstance(init, str) else init.__name__
