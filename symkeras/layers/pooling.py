"""Keras 1.2.2 pooling layers (`keras.layers.pooling`): MaxPooling1D/2D/3D,
AveragePooling1D/2D/3D, GlobalMaxPooling1D/2D/3D and GlobalAveragePooling1D/2D/3D.

Windows follow Keras 1.2.2 on Theano (K.pool2d / K.pool3d): border_mode 'valid' keeps only
whole windows (ignore_border=True); 'same' keeps ceil(length / stride) windows, average
pooling then excluding the padding. 1-D pooling runs as 2-D pooling over (steps, 1) in 'tf'
ordering, as Keras 1.2.2 does.

This module also holds the argument and shape helpers that the convolutional and
locally-connected layers share with pooling (window tuples, output lengths); dim_ordering
arguments are resolved by backend.config.normalize_dim_ordering."""
from .. import backend as K
from ..backend.config import normalize_dim_ordering
from ..engine.topology import InputSpec, Layer, register_layer_class
from ..utils.generic_utils import check_number
from ..utils.np_utils import conv_output_length

__all__ = ['MaxPooling1D', 'AveragePooling1D', 'MaxPooling2D', 'AveragePooling2D',
           'MaxPooling3D', 'AveragePooling3D', 'GlobalMaxPooling1D', 'GlobalAveragePooling1D',
           'GlobalMaxPooling2D', 'GlobalAveragePooling2D', 'GlobalMaxPooling3D',
           'GlobalAveragePooling3D']


# ----------------------------------------------------------------------------- shared helpers

def check_border_mode(owner, border_mode, allowed):
    if border_mode not in allowed:
        raise ValueError('%s: border_mode must be one of %s; got %r'
                         % (owner, ', '.join(repr(m) for m in allowed), border_mode))
    return border_mode


def positive_int(owner, name, value):
    return check_number(owner, name, value, integer=True, minimum=1)


def int_tuple(owner, name, value, n, minimum=1):
    """`value` (a tuple or list of n whole numbers >= minimum, e.g. from a JSON config) as a
    tuple of ints."""
    if not isinstance(value, (tuple, list)) or len(value) != n:
        raise ValueError('%s: %s must be a tuple of %d integers; got %r'
                         % (owner, name, n, value))
    return tuple(check_number(owner, '%s[%d]' % (name, i), v, integer=True, minimum=minimum)
                 for i, v in enumerate(value))


def spatial_axes(dim_ordering, n):
    """The n spatial axes of a (batch, ...) tensor: after the channels ('th') or before them
    ('tf')."""
    return tuple(range(2, 2 + n)) if dim_ordering == 'th' else tuple(range(1, 1 + n))


def channel_axis(dim_ordering):
    return 1 if dim_ordering == 'th' else -1


def window_output_lengths(layer, input_shape, axes, sizes, border_mode, strides,
                          dilations=None, what='kernel'):
    """conv_output_length along each spatial axis (None stays None). An input too small for
    the (dilated) window, which would give an empty output, is a ValueError naming the layer,
    the input shape and the window."""
    dilations = dilations or (1,) * len(sizes)
    lengths = tuple(conv_output_length(input_shape[a], k, border_mode, s, d)
                    for a, k, s, d in zip(axes, sizes, strides, dilations))
    if any(n is not None and n <= 0 for n in lengths):
        spans = tuple(k + (k - 1) * (d - 1) for k, d in zip(sizes, dilations))
        dilated = ' (dilated to %s)' % (spans,) if spans != tuple(sizes) else ''
        raise ValueError('%s (layer %s): the input is too small for the %s: spatial size %s '
                         '(input shape %s) is smaller than the %s %s%s with border_mode=%r; '
                         'the output would have size %s'
                         % (layer.__class__.__name__, layer.name, what,
                            tuple(input_shape[a] for a in axes), tuple(input_shape), what,
                            tuple(sizes), dilated, border_mode, lengths))
    return lengths


def replace_axes(shape, axes, values):
    shape = list(shape)
    for a, v in zip(axes, values):
        shape[a] = v
    return tuple(shape)


# ----------------------------------------------------------------------------- windowed pooling

class _PoolingND(Layer):
    """Pooling over `rank` spatial axes with a window, strides (default: the window) and a
    border mode ('valid' or 'same')."""
    rank = None
    pool_mode = None

    def _init_pooling(self, pool_size, strides, border_mode, dim_ordering):
        owner = self.__class__.__name__
        self.pool_size = int_tuple(owner, 'pool_size', pool_size, self.rank)
        self.strides = (self.pool_size if strides is None
                        else int_tuple(owner, 'strides', strides, self.rank))
        self.border_mode = check_border_mode(owner, border_mode, ('valid', 'same'))
        self.dim_ordering = dim_ordering
        self.input_spec = [InputSpec(ndim=self.rank + 2)]

    def build(self, input_shape):
        self.get_output_shape_for(input_shape)     # a too-small input fails here, by name
        self.built = True

    def get_output_shape_for(self, input_shape):
        axes = spatial_axes(self.dim_ordering, self.rank)
        lengths = window_output_lengths(self, input_shape, axes, self.pool_size,
                                        self.border_mode, self.strides, what='pool')
        return replace_axes(input_shape, axes, lengths)

    def _pool(self, x, pool_size, strides, dim_ordering):
        pool = K.pool2d if len(pool_size) == 2 else K.pool3d
        return pool(x, pool_size, strides=strides, border_mode=self.border_mode,
                    dim_ordering=dim_ordering, pool_mode=self.pool_mode)

    def call(self, x, mask=None):
        return self._pool(x, self.pool_size, self.strides, self.dim_ordering)


class _Pooling1D(_PoolingND):
    """(batch, steps, features) pooled over the steps: Keras 1.2.2 runs it as 2-D pooling
    of (batch, steps, 1, features) in 'tf' ordering."""
    rank = 1

    def __init__(self, pool_length=2, stride=None, border_mode='valid', **kwargs):
        super(_Pooling1D, self).__init__(**kwargs)
        owner = self.__class__.__name__
        self.pool_length = positive_int(owner, 'pool_length', pool_length)
        self.stride = self.pool_length if stride is None else positive_int(owner, 'stride',
                                                                           stride)
        self._init_pooling((self.pool_length,), (self.stride,), border_mode, 'tf')

    def call(self, x, mask=None):
        x = K.expand_dims(x, 2)
        output = self._pool(x, (self.pool_length, 1), (self.stride, 1), 'tf')
        return K.squeeze(output, 2)

    def get_config(self):
        config = Layer.get_config(self)
        config.update({'stride': self.stride, 'pool_length': self.pool_length,
                       'border_mode': self.border_mode})
        return config


class _Pooling2D3D(_PoolingND):
    """pool_size defaults to 2 along every spatial axis: Keras 1.2.2's (2, 2) and (2, 2, 2),
    given here once for both ranks."""

    def __init__(self, pool_size=None, strides=None, border_mode='valid',
                 dim_ordering='default', **kwargs):
        super(_Pooling2D3D, self).__init__(**kwargs)
        dim_ordering = normalize_dim_ordering(self.__class__.__name__, dim_ordering)
        if pool_size is None:
            pool_size = (2,) * self.rank
        self._init_pooling(pool_size, strides, border_mode, dim_ordering)

    def get_config(self):
        config = Layer.get_config(self)
        config.update({'pool_size': self.pool_size, 'border_mode': self.border_mode,
                       'strides': self.strides, 'dim_ordering': self.dim_ordering})
        return config


@register_layer_class
class MaxPooling1D(_Pooling1D):
    """Max over windows of pool_length steps, every `stride` steps (default pool_length)."""
    pool_mode = 'max'


@register_layer_class
class AveragePooling1D(_Pooling1D):
    """Mean over windows of pool_length steps, every `stride` steps (default pool_length)."""
    pool_mode = 'avg'


@register_layer_class
class MaxPooling2D(_Pooling2D3D):
    """Max over pool_size windows of the (rows, cols) axes, every `strides`."""
    rank = 2
    pool_mode = 'max'


@register_layer_class
class AveragePooling2D(_Pooling2D3D):
    """Mean over pool_size windows of the (rows, cols) axes, every `strides`."""
    rank = 2
    pool_mode = 'avg'


@register_layer_class
class MaxPooling3D(_Pooling2D3D):
    """Max over pool_size windows of the three spatial axes, every `strides`."""
    rank = 3
    pool_mode = 'max'


@register_layer_class
class AveragePooling3D(_Pooling2D3D):
    """Mean over pool_size windows of the three spatial axes, every `strides`."""
    rank = 3
    pool_mode = 'avg'


# ----------------------------------------------------------------------------- global pooling

class _GlobalPooling(Layer):
    """Max or mean over all spatial axes: (batch, ..., channels) -> (batch, channels)."""
    rank = None
    reduce = None

    def __init__(self, dim_ordering='default', **kwargs):
        super(_GlobalPooling, self).__init__(**kwargs)
        self.dim_ordering = normalize_dim_ordering(self.__class__.__name__, dim_ordering)
        self.input_spec = [InputSpec(ndim=self.rank + 2)]

    def get_output_shape_for(self, input_shape):
        return (input_shape[0], input_shape[channel_axis(self.dim_ordering)])

    def call(self, x, mask=None):
        return getattr(K, self.reduce)(x, axis=list(spatial_axes(self.dim_ordering,
                                                                 self.rank)))

    def get_config(self):
        config = Layer.get_config(self)
        config['dim_ordering'] = self.dim_ordering
        return config


class _GlobalPooling1D(_GlobalPooling):
    """(batch, steps, features) -> (batch, features)."""
    rank = 1

    def __init__(self, **kwargs):
        super(_GlobalPooling1D, self).__init__('tf', **kwargs)

    def get_config(self):
        return Layer.get_config(self)


@register_layer_class
class GlobalMaxPooling1D(_GlobalPooling1D):
    __doc__ = 'Max over the steps: ' + _GlobalPooling1D.__doc__
    reduce = 'max'


@register_layer_class
class GlobalAveragePooling1D(_GlobalPooling1D):
    __doc__ = 'Mean over the steps: ' + _GlobalPooling1D.__doc__
    reduce = 'mean'


@register_layer_class
class GlobalMaxPooling2D(_GlobalPooling):
    __doc__ = _GlobalPooling.__doc__
    rank = 2
    reduce = 'max'


@register_layer_class
class GlobalAveragePooling2D(_GlobalPooling):
    __doc__ = _GlobalPooling.__doc__
    rank = 2
    reduce = 'mean'


@register_layer_class
class GlobalMaxPooling3D(_GlobalPooling):
    __doc__ = _GlobalPooling.__doc__
    rank = 3
    reduce = 'max'


@register_layer_class
class GlobalAveragePooling3D(_GlobalPooling):
    __doc__ = _GlobalPooling.__doc__
    rank = 3
    reduce = 'mean'
