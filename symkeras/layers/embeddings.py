"""Keras 1.2.2's Embedding layer (`keras.layers.embeddings`): rows of a weight matrix looked up
by integer ids, optionally producing a mask of the non-zero ids."""
from .. import backend as K
from .. import constraints
from .. import initializations
from .. import regularizers
from ..engine.topology import Layer, register_layer_class
from .core import config_of, set_initial_weights
from .pooling import positive_int

__all__ = ['Embedding']


@register_layer_class
class Embedding(Layer):
    """Turns ids (batch, input_length) into vectors (batch, input_length, output_dim): row i of
    W (input_dim, output_dim) for id i, by K.gather (its gradient is a scatter-add into W).
    Inputs are cast to int32, as Keras does. mask_zero=True makes id 0 padding: the output
    mask is (ids != 0), and the vocabulary should then hold input_dim = vocabulary + 1 ids.
    dropout (in training only) drops whole ids: each id of the vocabulary is kept with
    probability 1 - dropout per batch (its row scaled by 1 / (1 - dropout)), so every
    occurrence of a dropped word in the batch is zero."""

    def __init__(self, input_dim, output_dim, init='uniform', input_length=None,
                 W_regularizer=None, activity_regularizer=None, W_constraint=None,
                 mask_zero=False, weights=None, dropout=0., **kwargs):
        input_dim = positive_int('Embedding', 'input_dim', input_dim)
        output_dim = positive_int('Embedding', 'output_dim', output_dim)
        if not 0. <= dropout < 1.:
            raise ValueError('Embedding: dropout must be in [0, 1); got %r' % (dropout,))
        self.input_dim = input_dim
        self.output_dim = output_dim
        self.init = initializations.get(init)
        self.input_length = input_length
        self.mask_zero = mask_zero
        self.dropout = dropout
        self.W_constraint = constraints.get(W_constraint)
        self.W_regularizer = regularizers.get(W_regularizer)
        self.activity_regularizer = regularizers.get(activity_regularizer)
        if 0. < self.dropout < 1.:
            self.uses_learning_phase = True
        self.initial_weights = weights
        # As Keras 1.2.2: the input shape is (input_length,) and its dtype int32 (a given
        # batch_input_shape takes precedence over the shape).
        kwargs['input_shape'] = (self.input_length,)
        kwargs['input_dtype'] = 'int32'
        super(Embedding, self).__init__(**kwargs)

    def build(self, input_shape):
        if len(input_shape) < 2:
            raise ValueError('Embedding %s: expected ids of shape (batch, input_length, ...); '
                             'got shape %s' % (self.name, input_shape))
        self.W = self.add_weight((self.input_dim, self.output_dim), self.init, name='W',
                                 regularizer=self.W_regularizer, constraint=self.W_constraint)
        set_initial_weights(self)

    def compute_mask(self, x, mask=None):
        if not self.mask_zero:
            return None
        return K.not_equal(x, 0)

    def get_output_shape_for(self, input_shape):
        length = self.input_length or input_shape[1]
        return (input_shape[0], length) + tuple(input_shape[2:]) + (self.output_dim,)

    def call(self, x, mask=None):
        if K.dtype(x) != 'int32':
            x = K.cast(x, 'int32')
        out = K.gather(self.W, x)
        if 0. < self.dropout < 1.:
            # Keras multiplies W by a (input_dim, 1) keep mask; gathering the mask with the
            # rows gives the same values and gradient without a product over all of W.
            retain = 1. - self.dropout
            keep = K.random_binomial((self.input_dim,), p=retain) * (1. / retain)
            out = K.in_train_phase(out * K.expand_dims(K.gather(keep, x)), out)
        return out

    def get_config(self):
        config = super(Embedding, self).get_config()
        config.update({'input_dim': self.input_dim, 'output_dim': self.output_dim,
                       'init': self.init.__name__, 'input_length': self.input_length,
                       'mask_zero': self.mask_zero,
                       'activity_regularizer': config_of(self.activity_regularizer),
                       'W_regularizer': config_of(self.W_regularizer),
                       'W_constraint': config_of(self.W_constraint),
                       'dropout': self.dropout})
        return config
