"""Keras 1.2.2 BatchNormalization (`keras.layers.normalization`), Theano backend semantics."""
from .. import backend as K
from .. import initializations
from .. import regularizers
from ..engine.topology import InputSpec, Layer, register_layer_class
from .core import config_of, set_initial_weights

__all__ = ['BatchNormalization']


@register_layer_class
class BatchNormalization(Layer):
    """Normalise the activations of the previous layer, then scale by gamma and shift by beta.

    mode 0: feature-wise over every axis but `axis`; in training with the batch mean and
        (population) variance, which also update the moving averages running_mean and
        running_std (the layer's updates, momentum `momentum`); at test time with those moving
        averages. As in Keras 1.2.2 (Theano), running_std holds the moving average of the
        batch *variance*, despite its name.
    mode 1: sample-wise, over the last axis whatever `axis` is (as in Keras 1.2.2):
        gamma * (x - mean) / (sqrt(var + epsilon) + epsilon) + beta.
    mode 2: feature-wise like mode 0 but with batch statistics in both phases, no updates.
    Weights, in order: gamma, beta (trainable), running_mean, running_std (not trainable),
    each of shape (input_shape[axis],).
    """

    def __init__(self, epsilon=1e-3, mode=0, axis=-1, momentum=0.99, weights=None,
                 beta_init='zero', gamma_init='one', gamma_regularizer=None,
                 beta_regularizer=None, **kwargs):
        if mode not in (0, 1, 2):
            raise ValueError('BatchNormalization: mode must be 0, 1 or 2; got %r' % (mode,))
        self.supports_masking = True
        self.beta_init = initializations.get(beta_init)
        self.gamma_init = initializations.get(gamma_init)
        self.epsilon = epsilon
        self.mode = mode
        self.axis = axis
        self.momentum = momentum
        self.gamma_regularizer = regularizers.get(gamma_regularizer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.initial_weights = weights
        if self.mode == 0:
            self.uses_learning_phase = True
        super(BatchNormalization, self).__init__(**kwargs)

    def build(self, input_shape):
        if not -len(input_shape) <= self.axis < len(input_shape):
            raise ValueError('BatchNormalization %s: axis %d is out of range for input shape %s'
                             % (self.name, self.axis, tuple(input_shape)))
        if input_shape[self.axis] is None:
            raise ValueError('BatchNormalization %s: the size of axis %d must be known; input '
                             'shape %s' % (self.name, self.axis, tuple(input_shape)))
        self.input_spec = [InputSpec(shape=input_shape)]
        shape = (input_shape[self.axis],)
        self.gamma = self.add_weight(shape, self.gamma_init, name='gamma',
                                     regularizer=self.gamma_regularizer)
        self.beta = self.add_weight(shape, self.beta_init, name='beta',
                                    regularizer=self.beta_regularizer)
        self.running_mean = self.add_weight(shape, 'zero', name='running_mean',
                                            trainable=False)
        self.running_std = self.add_weight(shape, 'one', name='running_std', trainable=False)
        set_initial_weights(self)

    def call(self, x, mask=None):
        if self.mode == 1:
            m = K.mean(x, axis=-1, keepdims=True)
            std = K.sqrt(K.var(x, axis=-1, keepdims=True) + self.epsilon)
            x_normed = (x - m) / (std + self.epsilon)
            return self.gamma * x_normed + self.beta
        ndim = K.ndim(x)
        axis = self.axis % ndim
        reduction_axes = [i for i in range(ndim) if i != axis]
        x_normed, mean, var = K.normalize_batch_in_training(x, self.gamma, self.beta,
                                                            reduction_axes, epsilon=self.epsilon)
        if self.mode == 2:
            return x_normed
        self.add_update([K.moving_average_update(self.running_mean, mean, self.momentum),
                         K.moving_average_update(self.running_std, var, self.momentum)], x)
        broadcast_shape = [1] * ndim
        broadcast_shape[axis] = K.int_shape(x)[axis]

        def running():
            return K.batch_normalization(
                x, *[K.reshape(w, broadcast_shape) for w in
                     (self.running_mean, self.running_std, self.beta, self.gamma)],
                epsilon=self.epsilon)
        return K.in_train_phase(x_normed, running)

    def get_config(self):
        config = Layer.get_config(self)
        config.update({'epsilon': self.epsilon, 'mode': self.mode, 'axis': self.axis,
                       'gamma_regularizer': config_of(self.gamma_regularizer),
                       'beta_regularizer': config_of(self.beta_regularizer),
                       'momentum': self.momentum})
        return config
