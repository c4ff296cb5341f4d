"""Keras 1.2.2 convolutional layers (`keras.layers.convolutional`): Convolution1D/2D/3D,
AtrousConvolution1D/2D, Deconvolution2D, SeparableConvolution2D, the aliases Conv1D, Conv2D,
Conv3D, Deconv2D, AtrousConv1D, AtrousConv2D, SeparableConv2D; and, defined in resampling.py
and pooling.py and importable from here as in Keras 1.2.2, UpSampling1D/2D/3D,
ZeroPadding1D/2D/3D, Cropping1D/2D/3D and the windowed pooling layers.

The math follows Keras 1.2.2 on Theano through the backend (K.conv1d, K.conv2d, K.conv3d,
K.deconv2d): convolution is TRUE convolution (the kernel is flipped) in both dim orderings;
border_mode 'same' is Theano's 'half' (for an even kernel, the first ceil(n / stride) outputs
of it). SeparableConvolution2D, which Keras 1.2.2 had on TensorFlow only, computes
TensorFlow's (K.separable_conv2d). Kernels keep Keras 1.2.2's layouts and names
(convolution2d_1_W, ...), so weight files load unchanged:
  Convolution1D  W (filter_length, 1, input_dim, nb_filter) in either ordering
  Convolution2D  W 'th' (nb_filter, stack, nb_row, nb_col), 'tf' (nb_row, nb_col, stack, nb_filter)
  Convolution3D  W 'th' (nb_filter, stack, k1, k2, k3),     'tf' (k1, k2, k3, stack, nb_filter)
  bias           b (nb_filter,)
"""
import functools
import inspect

from .. import activations
from .. import backend as K
from .. import constraints
from .. import initializations
from .. import regularizers
from ..backend.config import normalize_dim_ordering
from ..engine.topology import InputSpec, Layer, register_layer_class
from ..utils.np_utils import conv_output_length
from .core import config_of, set_initial_weights
from .pooling import (AveragePooling1D, AveragePooling2D, AveragePooling3D,  # noqa: F401
                      MaxPooling1D, MaxPooling2D, MaxPooling3D, channel_axis,
                      check_border_mode, int_tuple, positive_int, replace_axes, spatial_axes,
                      window_output_lengths)
from .resampling import (Cropping1D, Cropping2D, Cropping3D, UpSampling1D,  # noqa: F401
                         UpSampling2D, UpSampling3D, ZeroPadding1D, ZeroPadding2D, ZeroPadding3D)

__all__ = ['Convolution1D', 'AtrousConvolution1D', 'Convolution2D', 'AtrousConvolution2D',
           'Deconvolution2D', 'SeparableConvolution2D', 'Convolution3D', 'Conv1D', 'Conv2D',
           'Conv3D', 'Deconv2D', 'AtrousConv1D', 'AtrousConv2D', 'SeparableConv2D',
           # defined in resampling.py; Keras 1.2.2 users import them from here
           'UpSampling1D', 'UpSampling2D', 'UpSampling3D', 'ZeroPadding1D', 'ZeroPadding2D',
           'ZeroPadding3D', 'Cropping1D', 'Cropping2D', 'Cropping3D']

_CONV_BORDER_MODES = ('valid', 'same', 'full')


def _kernel_initializer(init, dim_ordering):
    """Keras 1.2.2 tells the initialization the kernel layout (it decides the fans of a conv
    kernel). A user function without a dim_ordering parameter is called without it."""
    try:
        params = inspect.signature(init).parameters.values()
    except (TypeError, ValueError):     # builtins without a signature
        return init
    if any(p.name == 'dim_ordering' or p.kind == p.VAR_KEYWORD for p in params):
        return functools.partial(init, dim_ordering=dim_ordering)
    return init


def _known_channels(layer, input_shape, axis):
    channels = input_shape[axis]
    if channels is None:
        raise ValueError('%s (layer %s): the channel axis of the input must be known to create '
                         'the kernel; got input shape %s'
                         % (layer.__class__.__name__, layer.name, tuple(input_shape)))
    return channels


class _Conv(Layer):
    """What the convolution layers share: the activation, the kernel initialization, bias,
    regularizers and constraints, and `weights=`. `rank` is the number of spatial axes."""
    rank = None
    border_modes = _CONV_BORDER_MODES

    def _init_conv(self, nb_filter, init, activation, weights, border_mode, b_regularizer,
                   activity_regularizer, b_constraint, bias):
        owner = self.__class__.__name__
        self.nb_filter = positive_int(owner, 'nb_filter', nb_filter)
        self.init = initializations.get(init)
        self.activation = activations.get(activation)
        self.border_mode = check_border_mode(owner, border_mode, self.border_modes)
        self.b_regularizer = regularizers.get(b_regularizer)
        self.activity_regularizer = regularizers.get(activity_regularizer)
        self.b_constraint = constraints.get(b_constraint)
        self.bias = bias
        self.initial_weights = weights
        self.input_spec = [InputSpec(ndim=self.rank + 2)]

    def _init_steps(self, filter_length, subsample_length, input_dim, input_length, kwargs):
        """The 1-D window, and Keras 1's input_dim / input_length shorthand for input_shape
        (put into the Layer's `kwargs`)."""
        owner = self.__class__.__name__
        self.filter_length = positive_int(owner, 'filter_length', filter_length)
        self.subsample_length = positive_int(owner, 'subsample_length', subsample_length)
        self.input_dim = input_dim
        self.input_length = input_length
        if self.input_dim:
            kwargs['input_shape'] = (self.input_length, self.input_dim)

    def _steps_config(self):
        return {'filter_length': self.filter_length, 'subsample_length': self.subsample_length,
                'input_dim': self.input_dim, 'input_length': self.input_length}

    def _init_rows_cols(self, nb_row, nb_col, subsample):
        owner = self.__class__.__name__
        self.nb_row = positive_int(owner, 'nb_row', nb_row)
        self.nb_col = positive_int(owner, 'nb_col', nb_col)
        self.subsample = int_tuple(owner, 'subsample', subsample, 2)

    def _rows_cols_config(self):
        return {'nb_row': self.nb_row, 'nb_col': self.nb_col, 'subsample': self.subsample,
                'dim_ordering': self.dim_ordering}

    def _add_kernel(self, name, shape, dim_ordering, regularizer, constraint):
        return self.add_weight(shape, _kernel_initializer(self.init, dim_ordering), name=name,
                               regularizer=regularizer, constraint=constraint)

    def _add_bias(self, shape=None):
        """b, of shape (nb_filter,) unless given (a locally-connected b has one per
        position)."""
        self.b = None
        if self.bias:
            self.b = self.add_weight(shape or (self.nb_filter,), 'zero', name='b',
                                     regularizer=self.b_regularizer,
                                     constraint=self.b_constraint)

    def _bias_and_activation(self, output, dim_ordering):
        if self.bias:
            shape = [1] * (self.rank + 2)
            shape[channel_axis(dim_ordering)] = self.nb_filter
            output = output + K.reshape(self.b, tuple(shape))
        return self.activation(output)

    def _conv_config(self):
        return {'nb_filter': self.nb_filter, 'init': self.init.__name__,
                'activation': self.activation.__name__, 'border_mode': self.border_mode,
                'b_regularizer': config_of(self.b_regularizer),
                'activity_regularizer': config_of(self.activity_regularizer),
                'b_constraint': config_of(self.b_constraint), 'bias': self.bias}


class _ConvW(_Conv):
    """A convolution with one kernel W (all but SeparableConvolution2D)."""

    def _init_w(self, W_regularizer, W_constraint):
        self.W_regularizer = regularizers.get(W_regularizer)
        self.W_constraint = constraints.get(W_constraint)

    def _add_W_b(self, dim_ordering):
        self.W = self._add_kernel('W', self.W_shape, dim_ordering, self.W_regularizer,
                                  self.W_constraint)
        self._add_bias()
        set_initial_weights(self)

    def _conv_config(self):
        config = super(_ConvW, self)._conv_config()
        config.update({'W_regularizer': config_of(self.W_regularizer),
                       'W_constraint': config_of(self.W_constraint)})
        return config


# ----------------------------------------------------------------------------- 1-D

@register_layer_class
class Convolution1D(_ConvW):
    """Temporal convolution of (batch, steps, input_dim) -> (batch, new_steps, nb_filter).
    Keras 1.2.2 ran it as a 2-D convolution in 'tf' ordering over (steps, 1), hence the
    kernel (filter_length, 1, input_dim, nb_filter), flipped along the steps; K.conv1d
    computes exactly that. (Keras 1.2.2 initialises the kernel with the 'th' fan rule; so
    does this layer.)"""
    rank = 1
    atrous_rate = 1     # a plain convolution is an atrous one with rate 1

    def __init__(self, nb_filter, filter_length, init='glorot_uniform', activation=None,
                 weights=None, border_mode='valid', subsample_length=1, W_regularizer=None,
                 b_regularizer=None, activity_regularizer=None, W_constraint=None,
                 b_constraint=None, bias=True, input_dim=None, input_length=None, **kwargs):
        self._init_conv(nb_filter, init, activation, weights, border_mode, b_regularizer,
                        activity_regularizer, b_constraint, bias)
        self._init_w(W_regularizer, W_constraint)
        self._init_steps(filter_length, subsample_length, input_dim, input_length, kwargs)
        self.subsample = (self.subsample_length, 1)
        super(Convolution1D, self).__init__(**kwargs)

    def build(self, input_shape):
        self.get_output_shape_for(input_shape)     # a too-short input fails here, by name
        input_dim = _known_channels(self, input_shape, 2)
        self.W_shape = (self.filter_length, 1, input_dim, self.nb_filter)
        self._add_W_b('th')

    def get_output_shape_for(self, input_shape):
        length, = window_output_lengths(self, input_shape, (1,), (self.filter_length,),
                                        self.border_mode, (self.subsample_length,),
                                        (self.atrous_rate,))
        return (input_shape[0], length, self.nb_filter)

    def call(self, x, mask=None):
        output = K.conv1d(x, self.W, stride=self.subsample_length,
                          border_mode=self.border_mode, filter_shape=self.W_shape)
        return self._bias_and_activation(output, 'tf')

    def get_config(self):
        config = Layer.get_config(self)
        config.update(self._conv_config())
        config.update(self._steps_config())
        return config


@register_layer_class
class AtrousConvolution1D(Convolution1D):
    """Convolution1D with the kernel dilated by atrous_rate (taps atrous_rate steps apart)."""

    def __init__(self, nb_filter, filter_length, init='glorot_uniform', activation=None,
                 weights=None, border_mode='valid', subsample_length=1, atrous_rate=1,
                 W_regularizer=None, b_regularizer=None, activity_regularizer=None,
                 W_constraint=None, b_constraint=None, bias=True, **kwargs):
        self.atrous_rate = positive_int(self.__class__.__name__, 'atrous_rate', atrous_rate)
        super(AtrousConvolution1D, self).__init__(
            nb_filter, filter_length, init=init, activation=activation, weights=weights,
            border_mode=border_mode, subsample_length=subsample_length,
            W_regularizer=W_regularizer, b_regularizer=b_regularizer,
            activity_regularizer=activity_regularizer, W_constraint=W_constraint,
            b_constraint=b_constraint, bias=bias, **kwargs)

    def call(self, x, mask=None):
        # K.conv1d has no dilation: as Keras 1.2.2, a 2-D convolution over (steps, 1)
        output = K.conv2d(K.expand_dims(x, 2), self.W, strides=self.subsample,
                          border_mode=self.border_mode, dim_ordering='tf',
                          filter_shape=self.W_shape, filter_dilation=(self.atrous_rate, 1))
        return self._bias_and_activation(K.squeeze(output, 2), 'tf')

    def get_config(self):
        config = super(AtrousConvolution1D, self).get_config()
        config['atrous_rate'] = self.atrous_rate
        return config


# ----------------------------------------------------------------------------- 2-D

@register_layer_class
class Convolution2D(_ConvW):
    """2-D convolution of images: 'th' (batch, stack, rows, cols) -> (batch, nb_filter,
    new_rows, new_cols); 'tf' (batch, rows, cols, stack) -> (batch, new_rows, new_cols,
    nb_filter). subsample are the strides."""
    rank = 2
    atrous_rate = (1, 1)    # a plain convolution is an atrous one with rate 1

    def __init__(self, nb_filter, nb_row, nb_col, init='glorot_uniform', activation=None,
                 weights=None, border_mode='valid', subsample=(1, 1), dim_ordering='default',
                 W_regularizer=None, b_regularizer=None, activity_regularizer=None,
                 W_constraint=None, b_constraint=None, bias=True, **kwargs):
        self.dim_ordering = normalize_dim_ordering(self.__class__.__name__, dim_ordering)
        self._init_conv(nb_filter, init, activation, weights, border_mode, b_regularizer,
                        activity_regularizer, b_constraint, bias)
        self._init_w(W_regularizer, W_constraint)
        self._init_rows_cols(nb_row, nb_col, subsample)
        super(Convolution2D, self).__init__(**kwargs)

    def build(self, input_shape):
        self.get_output_shape_for(input_shape)     # a too-small image fails here, by name
        stack = _known_channels(self, input_shape, channel_axis(self.dim_ordering))
        if self.dim_ordering == 'th':
            self.W_shape = (self.nb_filter, stack, self.nb_row, self.nb_col)
        else:
            self.W_shape = (self.nb_row, self.nb_col, stack, self.nb_filter)
        self._add_W_b(self.dim_ordering)

    def get_output_shape_for(self, input_shape):
        axes = spatial_axes(self.dim_ordering, 2)
        lengths = window_output_lengths(self, input_shape, axes, (self.nb_row, self.nb_col),
                                        self.border_mode, self.subsample, self.atrous_rate)
        shape = replace_axes(input_shape, axes, lengths)
        return replace_axes(shape, (channel_axis(self.dim_ordering),), (self.nb_filter,))

    def call(self, x, mask=None):
        output = K.conv2d(x, self.W, strides=self.subsample, border_mode=self.border_mode,
                          dim_ordering=self.dim_ordering, filter_shape=self.W_shape,
                          filter_dilation=self.atrous_rate)
        return self._bias_and_activation(output, self.dim_ordering)

    def get_config(self):
        config = Layer.get_config(self)
        config.update(self._conv_config())
        config.update(self._rows_cols_config())
        return config


@register_layer_class
class AtrousConvolution2D(Convolution2D):
    """Convolution2D with the kernel dilated by atrous_rate = (row rate, col rate)."""

    def __init__(self, nb_filter, nb_row, nb_col, init='glorot_uniform', activation=None,
                 weights=None, border_mode='valid', subsample=(1, 1), atrous_rate=(1, 1),
                 dim_ordering='default', W_regularizer=None, b_regularizer=None,
                 activity_regularizer=None, W_constraint=None, b_constraint=None, bias=True,
                 **kwargs):
        self.atrous_rate = int_tuple(self.__class__.__name__, 'atrous_rate', atrous_rate, 2)
        super(AtrousConvolution2D, self).__init__(
            nb_filter, nb_row, nb_col, init=init, activation=activation, weights=weights,
            border_mode=border_mode, subsample=subsample, dim_ordering=dim_ordering,
            W_regularizer=W_regularizer, b_regularizer=b_regularizer,
            activity_regularizer=activity_regularizer, W_constraint=W_constraint,
            b_constraint=b_constraint, bias=bias, **kwargs)

    def get_config(self):
        config = super(AtrousConvolution2D, self).get_config()
        config['atrous_rate'] = self.atrous_rate
        return config


@register_layer_class
class Deconvolution2D(Convolution2D):
    """Transposed convolution (the gradient of a Convolution2D with respect to its input):
    the output has the rows and cols of output_shape, the full output shape
    (batch, nb_filter, rows, cols) for 'th' or (batch, rows, cols, nb_filter) for 'tf', which
    must be an image that the forward convolution (same kernel size, subsample, border_mode)
    maps to the input's size. W has Convolution2D's layout for (nb_filter, input stack)."""

    def __init__(self, nb_filter, nb_row, nb_col, output_shape, init='glorot_uniform',
                 activation=None, weights=None, border_mode='valid', subsample=(1, 1),
                 dim_ordering='default', W_regularizer=None, b_regularizer=None,
                 activity_regularizer=None, W_constraint=None, b_constraint=None, bias=True,
                 **kwargs):
        if not isinstance(output_shape, (tuple, list)) or len(output_shape) != 4:
            raise ValueError('Deconvolution2D: output_shape must be the full 4-D output shape '
                             '(batch axis included); got %r' % (output_shape,))
        dim_ordering = normalize_dim_ordering('Deconvolution2D', dim_ordering)
        channels = output_shape[channel_axis(dim_ordering)]
        if channels is not None and channels != nb_filter:
            raise ValueError('Deconvolution2D: output_shape %s has %s channels but nb_filter '
                             'is %r (dim_ordering %r)' % (tuple(output_shape), channels,
                                                         nb_filter, dim_ordering))
        self.output_shape_ = output_shape
        super(Deconvolution2D, self).__init__(
            nb_filter, nb_row, nb_col, init=init, activation=activation, weights=weights,
            border_mode=border_mode, subsample=subsample, dim_ordering=dim_ordering,
            W_regularizer=W_regularizer, b_regularizer=b_regularizer,
            activity_regularizer=activity_regularizer, W_constraint=W_constraint,
            b_constraint=b_constraint, bias=bias, **kwargs)

    def get_output_shape_for(self, input_shape):
        axes = spatial_axes(self.dim_ordering, 2)
        out = tuple(self.output_shape_[a] for a in axes)
        maps_to = tuple(conv_output_length(n, k, self.border_mode, s)
                        for n, k, s in zip(out, (self.nb_row, self.nb_col), self.subsample))
        if any(i is not None and i != m for i, m in zip((input_shape[a] for a in axes),
                                                         maps_to)):
            raise ValueError('Deconvolution2D (layer %s): output_shape %s does not fit the '
                             'input shape %s: the convolution with kernel %s, subsample %s and '
                             'border_mode=%r maps rows and cols %s to %s, not to the input\'s %s'
                             % (self.name, tuple(self.output_shape_), tuple(input_shape),
                                (self.nb_row, self.nb_col), self.subsample, self.border_mode,
                                out, maps_to, tuple(input_shape[a] for a in axes)))
        shape = replace_axes(input_shape, axes, out)
        return replace_axes(shape, (channel_axis(self.dim_ordering),), (self.nb_filter,))

    def call(self, x, mask=None):
        output = K.deconv2d(x, self.W, self.output_shape_, strides=self.subsample,
                            border_mode=self.border_mode, dim_ordering=self.dim_ordering,
                            filter_shape=self.W_shape)
        return self._bias_and_activation(output, self.dim_ordering)

    def get_config(self):
        config = super(Deconvolution2D, self).get_config()
        config['output_shape'] = self.output_shape_
        return config


@register_layer_class
class SeparableConvolution2D(_Conv):
    """A depthwise convolution (depth_multiplier maps per input channel) followed by a 1x1
    pointwise convolution to nb_filter maps. Kernels: 'th' depthwise (depth_multiplier,
    stack, nb_row, nb_col), pointwise (nb_filter, depth_multiplier * stack, 1, 1); 'tf'
    depthwise (nb_row, nb_col, stack, depth_multiplier), pointwise (1, 1,
    depth_multiplier * stack, nb_filter). border_mode 'valid' or 'same'. Keras 1.2.2 had it
    on TensorFlow only, so it computes TensorFlow's: cross-correlations (no flip), 'same'
    with TensorFlow's padding, depthwise output channel c * depth_multiplier + m."""
    rank = 2
    border_modes = ('valid', 'same')

    def __init__(self, nb_filter, nb_row, nb_col, init='glorot_uniform', activation=None,
                 weights=None, border_mode='valid', subsample=(1, 1), depth_multiplier=1,
                 dim_ordering='default', depthwise_regularizer=None, pointwise_regularizer=None,
                 b_regularizer=None, activity_regularizer=None, depthwise_constraint=None,
                 pointwise_constraint=None, b_constraint=None, bias=True, **kwargs):
        owner = self.__class__.__name__
        self.dim_ordering = normalize_dim_ordering(owner, dim_ordering)
        self._init_conv(nb_filter, init, activation, weights, border_mode, b_regularizer,
                        activity_regularizer, b_constraint, bias)
        self._init_rows_cols(nb_row, nb_col, subsample)
        self.depth_multiplier = positive_int(owner, 'depth_multiplier', depth_multiplier)
        self.depthwise_regularizer = regularizers.get(depthwise_regularizer)
        self.pointwise_regularizer = regularizers.get(pointwise_regularizer)
        self.depthwise_constraint = constraints.get(depthwise_constraint)
        self.pointwise_constraint = constraints.get(pointwise_constraint)
        super(SeparableConvolution2D, self).__init__(**kwargs)

    def build(self, input_shape):
        self.get_output_shape_for(input_shape)     # a too-small image fails here, by name
        stack = _known_channels(self, input_shape, channel_axis(self.dim_ordering))
        mid = self.depth_multiplier * stack
        if self.dim_ordering == 'th':
            depthwise = (self.depth_multiplier, stack, self.nb_row, self.nb_col)
            pointwise = (self.nb_filter, mid, 1, 1)
        else:
            depthwise = (self.nb_row, self.nb_col, stack, self.depth_multiplier)
            pointwise = (1, 1, mid, self.nb_filter)
        self.depthwise_kernel = self._add_kernel('depthwise_kernel', depthwise,
                                                 self.dim_ordering, self.depthwise_regularizer,
                                                 self.depthwise_constraint)
        self.pointwise_kernel = self._add_kernel('pointwise_kernel', pointwise,
                                                 self.dim_ordering, self.pointwise_regularizer,
                                                 self.pointwise_constraint)
        self._add_bias()
        set_initial_weights(self)

    def get_output_shape_for(self, input_shape):
        axes = spatial_axes(self.dim_ordering, 2)
        lengths = window_output_lengths(self, input_shape, axes, (self.nb_row, self.nb_col),
                                        self.border_mode, self.subsample)
        shape = replace_axes(input_shape, axes, lengths)
        return replace_axes(shape, (channel_axis(self.dim_ordering),), (self.nb_filter,))

    def call(self, x, mask=None):
        output = K.separable_conv2d(x, self.depthwise_kernel, self.pointwise_kernel,
                                    strides=self.subsample, border_mode=self.border_mode,
                                    dim_ordering=self.dim_ordering)
        return self._bias_and_activation(output, self.dim_ordering)

    def get_config(self):
        config = Layer.get_config(self)
        config.update(self._conv_config())
        # Keras 1.2.2 wrote the depthwise regularizer under 'pointwise_regularizer' too; the
        # pointwise one is saved here.
        config.update(self._rows_cols_config())
        config.update({'depth_multiplier': self.depth_multiplier,
                       'depthwise_regularizer': config_of(self.depthwise_regularizer),
                       'pointwise_regularizer': config_of(self.pointwise_regularizer),
                       'depthwise_constraint': config_of(self.depthwise_constraint),
                       'pointwise_constraint': config_of(self.pointwise_constraint)})
        return config


# ----------------------------------------------------------------------------- 3-D

@register_layer_class
class Convolution3D(_ConvW):
    """3-D convolution of volumes: 'th' (batch, stack, d1, d2, d3) -> (batch, nb_filter, ...);
    'tf' (batch, d1, d2, d3, stack) -> (batch, ..., nb_filter). subsample are the strides."""
    rank = 3

    def __init__(self, nb_filter, kernel_dim1, kernel_dim2, kernel_dim3, init='glorot_uniform',
                 activation=None, weights=None, border_mode='valid', subsample=(1, 1, 1),
                 dim_ordering='default', W_regularizer=None, b_regularizer=None,
                 activity_regularizer=None, W_constraint=None, b_constraint=None, bias=True,
                 **kwargs):
        owner = self.__class__.__name__
        self.dim_ordering = normalize_dim_ordering(owner, dim_ordering)
        self._init_conv(nb_filter, init, activation, weights, border_mode, b_regularizer,
                        activity_regularizer, b_constraint, bias)
        self._init_w(W_regularizer, W_constraint)
        self.kernel_dim1 = positive_int(owner, 'kernel_dim1', kernel_dim1)
        self.kernel_dim2 = positive_int(owner, 'kernel_dim2', kernel_dim2)
        self.kernel_dim3 = positive_int(owner, 'kernel_dim3', kernel_dim3)
        self.subsample = int_tuple(owner, 'subsample', subsample, 3)
        super(Convolution3D, self).__init__(**kwargs)

    @property
    def _kernel_size(self):
        return (self.kernel_dim1, self.kernel_dim2, self.kernel_dim3)

    def build(self, input_shape):
        self.get_output_shape_for(input_shape)     # a too-small volume fails here, by name
        stack = _known_channels(self, input_shape, channel_axis(self.dim_ordering))
        if self.dim_ordering == 'th':
            self.W_shape = (self.nb_filter, stack) + self._kernel_size
        else:
            self.W_shape = self._kernel_size + (stack, self.nb_filter)
        self._add_W_b(self.dim_ordering)

    def get_output_shape_for(self, input_shape):
        axes = spatial_axes(self.dim_ordering, 3)
        lengths = window_output_lengths(self, input_shape, axes, self._kernel_size,
                                        self.border_mode, self.subsample)
        shape = replace_axes(input_shape, axes, lengths)
        return replace_axes(shape, (channel_axis(self.dim_ordering),), (self.nb_filter,))

    def call(self, x, mask=None):
        output = K.conv3d(x, self.W, strides=self.subsample, border_mode=self.border_mode,
                          dim_ordering=self.dim_ordering, filter_shape=self.W_shape)
        return self._bias_and_activation(output, self.dim_ordering)

    def get_config(self):
        config = Layer.get_config(self)
        config.update(self._conv_config())
        config.update({'kernel_dim1': self.kernel_dim1, 'kernel_dim2': self.kernel_dim2,
                       'kernel_dim3': self.kernel_dim3, 'subsample': self.subsample,
                       'dim_ordering': self.dim_ordering})
        return config


# ----------------------------------------------------------------------------- aliases

Conv1D = Convolution1D
Conv2D = Convolution2D
Conv3D = Convolution3D
Deconv2D = Deconvolution2D
AtrousConv1D = AtrousConvolution1D
AtrousConv2D = AtrousConvolution2D
SeparableConv2D = SeparableConvolution2D
