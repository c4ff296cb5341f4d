"""Keras 1.2.2 locally-connected layers (`keras.layers.local`): LocallyConnected1D and
LocallyConnected2D, convolutions whose weights are not shared: every output position has its
own filters. Only border_mode 'valid'; the input shape must be fully known.

Weights as Keras 1.2.2 (so weight files load unchanged):
  LocallyConnected1D  W (output_length, filter_length * input_dim, nb_filter),
                      b (output_length, nb_filter)
  LocallyConnected2D  W (output_row * output_col, nb_row * nb_col * stack, nb_filter),
                      b (output_row, output_col, nb_filter)
A patch is flattened in the input's own axis order: (steps, features) in 1-D; (stack, rows,
cols) for 'th' and (rows, cols, stack) for 'tf' in 2-D. Unlike a convolution the patch is
not flipped.
"""
from .. import backend as K
from ..backend.config import normalize_dim_ordering
from ..engine.topology import Layer, register_layer_class
from .convolutional import _ConvW
from .core import set_initial_weights
from .pooling import spatial_axes, window_output_lengths

__all__ = ['LocallyConnected1D', 'LocallyConnected2D']


class _LocallyConnected(_ConvW):
    """What both layers share with the convolutions (arguments, regularizers, config); here
    W and b, and the unshared product."""
    border_modes = ('valid',)

    def _require_known(self, input_shape):
        if not all(input_shape[1:]):
            raise ValueError('%s (layer %s) needs a fully defined input shape (batch axis '
                             'aside); got %s' % (self.__class__.__name__, self.name,
                                                 tuple(input_shape)))

    def _add_unshared_W_b(self, b_shape):
        # Keras 1.2.2 gives the initialization no dim_ordering here (unlike a conv kernel)
        self.W = self.add_weight(self.W_shape, self.init, name='W',
                                 regularizer=self.W_regularizer, constraint=self.W_constraint)
        self._add_bias(b_shape)
        set_initial_weights(self)

    def _unshared_dot(self, patches):
        """patches: one (batch, ...) tensor per output position, in W's order. Returns
        (positions, batch, nb_filter): patch k (flattened) times W[k]."""
        feature_dim = self.W_shape[1]
        x = K.concatenate([K.reshape(p, (1, -1, feature_dim)) for p in patches], axis=0)
        return K.batch_dot(x, self.W)


@register_layer_class
class LocallyConnected1D(_LocallyConnected):
    """(batch, steps, input_dim) -> (batch, new_steps, nb_filter); output step i sees input
    steps i * subsample_length ... + filter_length - 1 through its own W[i]."""
    rank = 1

    def __init__(self, nb_filter, filter_length, init='glorot_uniform', activation=None,
                 weights=None, border_mode='valid', subsample_length=1, W_regularizer=None,
                 b_regularizer=None, activity_regularizer=None, W_constraint=None,
                 b_constraint=None, bias=True, input_dim=None, input_length=None, **kwargs):
        self._init_conv(nb_filter, init, activation, weights, border_mode, b_regularizer,
                        activity_regularizer, b_constraint, bias)
        self._init_w(W_regularizer, W_constraint)
        self._init_steps(filter_length, subsample_length, input_dim, input_length, kwargs)
        super(LocallyConnected1D, self).__init__(**kwargs)

    def build(self, input_shape):
        self._require_known(input_shape)
        _, output_length, _ = self.get_output_shape_for(input_shape)
        self.W_shape = (output_length, self.filter_length * input_shape[2], self.nb_filter)
        self._add_unshared_W_b((output_length, self.nb_filter))

    def get_output_shape_for(self, input_shape):
        length, = window_output_lengths(self, input_shape, (1,), (self.filter_length,),
                                        self.border_mode, (self.subsample_length,))
        return (input_shape[0], length, self.nb_filter)

    def call(self, x, mask=None):
        output_length = self.W_shape[0]
        stride, size = self.subsample_length, self.filter_length
        output = self._unshared_dot([x[:, i * stride:i * stride + size, :]
                                     for i in range(output_length)])
        output = K.permute_dimensions(output, (1, 0, 2))
        if self.bias:
            output = output + K.reshape(self.b, (1, output_length, self.nb_filter))
        return self.activation(output)

    def get_config(self):
        config = Layer.get_config(self)
        config.update(self._conv_config())
        config.update(self._steps_config())
        return config


@register_layer_class
class LocallyConnected2D(_LocallyConnected):
    """Images 'th' (batch, stack, rows, cols) -> (batch, nb_filter, new_rows, new_cols) or 'tf'
    (batch, rows, cols, stack) -> (batch, new_rows, new_cols, nb_filter); output pixel (i, j)
    has its own W[i * output_col + j].

    The bias b is stored (output_row, output_col, nb_filter); for 'th' Keras 1.2.2 adds it
    reshaped (not transposed) to (nb_filter, output_row, output_col), and so does this layer,
    so that 1.2.2 weights give 1.2.2's outputs."""
    rank = 2

    def __init__(self, nb_filter, nb_row, nb_col, init='glorot_uniform', activation=None,
                 weights=None, border_mode='valid', subsample=(1, 1), dim_ordering='default',
                 W_regularizer=None, b_regularizer=None, activity_regularizer=None,
                 W_constraint=None, b_constraint=None, bias=True, **kwargs):
        self.dim_ordering = normalize_dim_ordering(self.__class__.__name__, dim_ordering)
        self._init_conv(nb_filter, init, activation, weights, border_mode, b_regularizer,
                        activity_regularizer, b_constraint, bias)
        self._init_w(W_regularizer, W_constraint)
        self._init_rows_cols(nb_row, nb_col, subsample)
        super(LocallyConnected2D, self).__init__(**kwargs)

    def _rows_cols(self, input_shape):
        return window_output_lengths(self, input_shape, spatial_axes(self.dim_ordering, 2),
                                     (self.nb_row, self.nb_col), self.border_mode,
                                     self.subsample)

    def build(self, input_shape):
        self._require_known(input_shape)
        self.output_row, self.output_col = self._rows_cols(input_shape)
        stack = input_shape[1] if self.dim_ordering == 'th' else input_shape[3]
        self.W_shape = (self.output_row * self.output_col, self.nb_row * self.nb_col * stack,
                        self.nb_filter)
        self._add_unshared_W_b((self.output_row, self.output_col, self.nb_filter))

    def get_output_shape_for(self, input_shape):
        rows, cols = self._rows_cols(input_shape)
        if self.dim_ordering == 'th':
            return (input_shape[0], self.nb_filter, rows, cols)
        return (input_shape[0], rows, cols, self.nb_filter)

    def _patch(self, x, i, j):
        (sr, sc), r, c = self.subsample, self.nb_row, self.nb_col
        rows, cols = slice(i * sr, i * sr + r), slice(j * sc, j * sc + c)
        return x[:, :, rows, cols] if self.dim_ordering == 'th' else x[:, rows, cols, :]

    def call(self, x, mask=None):
        rows, cols, nb_filter = self.output_row, self.output_col, self.nb_filter
        output = self._unshared_dot([self._patch(x, i, j)
                                     for i in range(rows) for j in range(cols)])
        output = K.reshape(output, (rows, cols, -1, nb_filter))
        if self.dim_ordering == 'th':
            output = K.permute_dimensions(output, (2, 3, 0, 1))
            if self.bias:
                output = output + K.reshape(self.b, (1, nb_filter, rows, cols))
        else:
            output = K.permute_dimensions(output, (2, 0, 1, 3))
            if self.bias:
                output = output + K.reshape(self.b, (1, rows, cols, nb_filter))
        return self.activation(output)

    def get_config(self):
        config = Layer.get_config(self)
        config.update(self._conv_config())
        config.update(self._rows_cols_config())
        return config
