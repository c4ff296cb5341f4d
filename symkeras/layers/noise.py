"""Keras 1.2.2 noise layers (`keras.layers.noise`): GaussianNoise and GaussianDropout, active
only in the training phase (identity at test time); both pass the mask through."""
import numpy as np

from .. import backend as K
from ..engine.topology import Layer, register_layer_class

__all__ = ['GaussianNoise', 'GaussianDropout']


@register_layer_class
class GaussianNoise(Layer):
    """x + N(0, sigma) in training."""

    def __init__(self, sigma, **kwargs):
        if sigma < 0:
            raise ValueError('GaussianNoise: sigma must be >= 0; got %r' % (sigma,))
        self.supports_masking = True
        self.sigma = sigma
        self.uses_learning_phase = True
        super(GaussianNoise, self).__init__(**kwargs)

    def call(self, x, mask=None):
        return K.in_train_phase(
            lambda: x + K.random_normal(shape=K.shape(x), mean=0., std=self.sigma), x)

    def get_config(self):
        config = Layer.get_config(self)
        config['sigma'] = self.sigma
        return config


@register_layer_class
class GaussianDropout(Layer):
    """x * N(1, sqrt(p / (1 - p))) in training (multiplicative noise with the variance of
    dropout at rate p)."""

    def __init__(self, p, **kwargs):
        if not 0. <= p < 1.:
            raise ValueError('GaussianDropout: p must be in [0, 1); got %r' % (p,))
        self.supports_masking = True
        self.p = p
        if 0 < p < 1:
            self.uses_learning_phase = True
        super(GaussianDropout, self).__init__(**kwargs)

    def call(self, x, mask=None):
        if 0 < self.p < 1:
            std = np.sqrt(self.p / (1.0 - self.p))
            return K.in_train_phase(
                lambda: x * K.random_normal(shape=K.shape(x), mean=1.0, std=std), x)
        return x

    def get_config(self):
        config = Layer.get_config(self)
        config['p'] = self.p
        return config
