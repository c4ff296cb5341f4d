"""Keras 1.2.2's convolutional recurrent layer (`keras.layers.convolutional_recurrent`):
ConvLSTM2D, an LSTM whose input and recurrent transformations are 2-D convolutions.

Input (samples, time, channels, rows, cols) with dim_ordering 'th', (samples, time, rows, cols,
channels) with 'tf'; output one image per step (return_sequences) or the last one. Like the
dense recurrent layers (recurrent.py), the four gates share one fused kernel per kind, so each
step is one convolution of the input and one of the previous output; Keras 1.2.2's per-gate
weights W_i, U_i, b_i, W_c, U_c, b_c, W_f, U_f, b_f, W_o, U_o, b_o are views into them.
Convolutions are Theano's true convolutions (K.conv2d); the recurrent one is 'same' with stride
1, so the state keeps the output's size.

Dropout: dropout_W masks the step input and dropout_U the previous output, one mask per gate
drawn once per batch. (Keras 1.2.2 exchanged the two masks' places in the step, which fails
unless the input and output images have the same shape; symkeras applies each where its name
says.)
"""
import numpy as np

from .. import activations
from .. import backend as K
from .. import initializations
from ..backend.config import normalize_dim_ordering
from ..engine.topology import InputSpec, Layer, register_layer_class
from ..utils.np_utils import conv_output_length
from .core import config_of
from .pooling import check_border_mode, int_tuple, positive_int
from .recurrent import Recurrent, lstm_bias_init, lstm_update

__all__ = ['ConvLSTM2D']


@register_layer_class
class ConvLSTM2D(Recurrent):
    """i, f, o = inner_activation(conv(x, W_g) + b_g + conv(h, U_g)),
    c' = f * c + i * activation(conv(x, W_c) + b_c + conv(h, U_c)), h' = o * activation(c').
    W_g: 'th' (nb_filter, channels, nb_row, nb_col), 'tf' (nb_row, nb_col, channels,
    nb_filter); U_g the same with nb_filter channels; b_g (nb_filter,). border_mode and
    subsample apply to the input convolution. U_* are initialised with inner_init and
    penalised by U_regularizer."""
    gates = ('i', 'f', 'c', 'o')
    saved_gates = ('i', 'c', 'f', 'o')
    nb_states = 2

    def __init__(self, nb_filter, nb_row, nb_col, init='glorot_uniform',
                 inner_init='orthogonal', forget_bias_init='one', activation='tanh',
                 inner_activation='hard_sigmoid', dim_ordering='default', border_mode='valid',
                 subsample=(1, 1), W_regularizer=None, U_regularizer=None, b_regularizer=None,
                 dropout_W=0., dropout_U=0., weights=None, return_sequences=False,
                 go_backwards=False, stateful=False, **kwargs):
        owner = 'ConvLSTM2D'
        for key in ('unroll', 'consume_less', 'input_dim', 'input_length'):
            if key in kwargs:     # Recurrent's arguments that Keras' ConvLSTM2D does not take
                raise TypeError('Keyword argument not understood: %r (layer ConvLSTM2D)' % key)
        self.nb_filter = self.output_dim = positive_int(owner, 'nb_filter', nb_filter)
        self.nb_row = positive_int(owner, 'nb_row', nb_row)
        self.nb_col = positive_int(owner, 'nb_col', nb_col)
        self.dim_ordering = normalize_dim_ordering(owner, dim_ordering)
        self.border_mode = check_border_mode(owner, border_mode, ('valid', 'same'))
        self.subsample = int_tuple(owner, 'subsample', subsample, 2)
        self._init_cell(self.nb_filter, init, inner_init, activation, W_regularizer,
                        U_regularizer, b_regularizer, dropout_W, dropout_U)
        self.forget_bias_init = initializations.get(forget_bias_init)
        self.inner_activation = activations.get(inner_activation)
        super(ConvLSTM2D, self).__init__(weights=weights, return_sequences=return_sequences,
                                         go_backwards=go_backwards, stateful=stateful,
                                         **kwargs)
        self.input_spec = [InputSpec(ndim=5)]

    # ---------------------------------------------------------------- layout

    def _channel_axis(self):
        return 1 if self.dim_ordering == 'th' else -1

    def _kernel_shape(self, channels):
        if self.dim_ordering == 'th':
            return (self.nb_filter, channels, self.nb_row, self.nb_col)
        return (self.nb_row, self.nb_col, channels, self.nb_filter)

    def _output_image(self, input_shape):
        """(rows, cols) of the output images for an input shape (samples, time, ...)."""
        rows, cols = input_shape[3:5] if self.dim_ordering == 'th' else input_shape[2:4]
        return (conv_output_length(rows, self.nb_row, self.border_mode, self.subsample[0]),
                conv_output_length(cols, self.nb_col, self.border_mode, self.subsample[1]))

    def _image_shape(self, rows, cols):
        if self.dim_ordering == 'th':
            return (self.nb_filter, rows, cols)
        return (rows, cols, self.nb_filter)

    def _per_gate(self):
        return True

    def _per_gate_U(self):
        return self.inner_init, self.U_regularizer

    def _gate_bias_init(self, gate):
        return lstm_bias_init(self, gate)

    def _weight_layout(self, input_shape):
        channels = input_shape[2] if self.dim_ordering == 'th' else input_shape[4]
        if channels is None:
            raise ValueError('ConvLSTM2D %s: the number of input channels must be known; got '
                             'input shape %s (dim_ordering %r)'
                             % (self.name, input_shape, self.dim_ordering))
        gate_axis = 0 if self.dim_ordering == 'th' else -1
        return self._kernel_shape(channels), self._kernel_shape(self.nb_filter), gate_axis

    def get_output_shape_for(self, input_shape):
        image = self._image_shape(*self._output_image(input_shape))
        if self.return_sequences:
            return (input_shape[0], input_shape[1]) + image
        return (input_shape[0],) + image

    # ---------------------------------------------------------------- states

    def _state_shape(self, input_shape):
        image = self._output_image(input_shape)
        if None in image:
            raise ValueError('ConvLSTM2D %s: a stateful layer needs known image sizes; got input '
                             'shape %s' % (self.name, input_shape))
        return (input_shape[0],) + self._image_shape(*image)

    def _conv(self, x, kernel, border_mode, strides):
        return K.conv2d(x, kernel, strides=strides, border_mode=border_mode,
                        dim_ordering=self.dim_ordering)

    def get_initial_states(self, x):
        """All-zero states of the output image's shape (the input convolution of zeros)."""
        frame = K.zeros_like(x[:, 0])
        zero_kernel = np.zeros(K.int_shape(self.W_i), dtype=K.floatx())
        state = self._conv(frame, zero_kernel, self.border_mode, self.subsample)
        return [state, state]

    def get_constants(self, x):
        masks = []
        if 0. < self.dropout_U < 1.:
            ones = self.get_initial_states(x)[0] + 1.
            masks += [K.in_train_phase(K.dropout(ones, self.dropout_U), ones) for _ in range(4)]
        if 0. < self.dropout_W < 1.:
            ones = K.ones_like(x[:, 0])
            masks += [K.in_train_phase(K.dropout(ones, self.dropout_W), ones) for _ in range(4)]
        return masks

    def _step_masks(self, states):
        constants = states[2:]
        u = 4 if 0. < self.dropout_U < 1. else 0
        return constants[:u], constants[u:]

    def _gate_conv(self, x, kernel, masks, border_mode, strides):
        """One convolution with the fused kernel, or, with per-gate masks, one per gate."""
        if not masks:
            return self._conv(x, kernel, border_mode, strides)
        n = self.nb_filter
        block = (lambda j: kernel[j * n:(j + 1) * n]) if self.dim_ordering == 'th' else \
            (lambda j: kernel[..., j * n:(j + 1) * n])
        return K.concatenate([self._conv(x * m, block(j), border_mode, strides)
                              for j, m in enumerate(masks)], axis=self._channel_axis())

    def step(self, x, states):
        h_tm1, c_tm1 = states[0], states[1]
        mask_U, mask_W = self._step_masks(states)
        n = self.nb_filter
        bias_shape = (1, 4 * n, 1, 1) if self.dim_ordering == 'th' else (1, 1, 1, 4 * n)
        z = (self._gate_conv(x, self.W, mask_W, self.border_mode, self.subsample)
             + K.reshape(self.b, bias_shape)
             + self._gate_conv(h_tm1, self.U, mask_U, 'same', (1, 1)))
        if self.dim_ordering == 'th':
            gate = lambda j: z[:, j * n:(j + 1) * n]        # noqa: E731
        else:
            gate = lambda j: z[..., j * n:(j + 1) * n]      # noqa: E731
        return lstm_update(self, gate, c_tm1)

    def get_config(self):
        config = {'nb_filter': self.nb_filter, 'nb_row': self.nb_row, 'nb_col': self.nb_col,
                  'return_sequences': self.return_sequences,
                  'go_backwards': self.go_backwards, 'stateful': self.stateful}
        if self.stateful:
            config['batch_input_shape'] = tuple(self.input_spec[0].shape)
        config.update({'init': self.init.__name__, 'inner_init': self.inner_init.__name__,
                       'forget_bias_init': self.forget_bias_init.__name__,
                       'activation': self.activation.__name__,
                       'dim_ordering': self.dim_ordering, 'border_mode': self.border_mode,
                       'subsample': self.subsample,
                       'inner_activation': self.inner_activation.__name__,
                       'W_regularizer': config_of(self.W_regularizer),
                       'U_regularizer': config_of(self.U_regularizer),
                       'b_regularizer': config_of(self.b_regularizer),
                       'dropout_W': self.dropout_W, 'dropout_U': self.dropout_U})
        base = Layer.get_config(self)
        base.update(config)
        return base
