"""Keras 1.2.2's resampling layers (in Keras they live in `keras.layers.convolutional`, which
re-exports them from here): UpSampling1D/2D/3D (nearest-neighbour repeat, K.resize_images /
K.resize_volumes), ZeroPadding1D/2D/3D (the K padding functions) and Cropping1D/2D/3D (slices).
"""
from .. import backend as K
from ..backend.config import normalize_dim_ordering
from ..engine.topology import InputSpec, Layer, register_layer_class
from ..utils.generic_utils import check_number
from .pooling import int_tuple, positive_int, replace_axes, spatial_axes

__all__ = ['UpSampling1D', 'UpSampling2D', 'UpSampling3D', 'ZeroPadding1D', 'ZeroPadding2D',
           'ZeroPadding3D', 'Cropping1D', 'Cropping2D', 'Cropping3D']


def _scaled(length, factor, offset=0):
    return None if length is None else length * factor + offset


class _Spatial(Layer):
    """A layer over `rank` spatial axes (1-D layers: the steps of (batch, steps, features));
    dim_ordering is kept in the config, which Keras 1.2.2 left out for the upsampling,
    padding and cropping layers (its files then load with the default ordering)."""
    rank = None

    def _init_spatial(self, dim_ordering):
        self.dim_ordering = normalize_dim_ordering(self.__class__.__name__, dim_ordering)
        self.input_spec = [InputSpec(ndim=self.rank + 2)]

    @property
    def _axes(self):
        return spatial_axes(self.dim_ordering, self.rank)

    def get_config(self):
        config = Layer.get_config(self)
        if self.rank > 1:
            config['dim_ordering'] = self.dim_ordering
        return config


@register_layer_class
class UpSampling1D(_Spatial):
    """Each step repeated `length` times."""
    rank = 1

    def __init__(self, length=2, **kwargs):
        self.length = positive_int('UpSampling1D', 'length', length)
        self._init_spatial('tf')
        super(UpSampling1D, self).__init__(**kwargs)

    def get_output_shape_for(self, input_shape):
        return (input_shape[0], _scaled(input_shape[1], self.length), input_shape[2])

    def call(self, x, mask=None):
        return K.repeat_elements(x, self.length, axis=1)

    def get_config(self):
        config = super(UpSampling1D, self).get_config()
        config['length'] = self.length
        return config


class _UpSamplingND(_Spatial):
    def _init_upsampling(self, size, dim_ordering):
        self.size = int_tuple(self.__class__.__name__, 'size', size, self.rank)
        self._init_spatial(dim_ordering)

    def get_output_shape_for(self, input_shape):
        return replace_axes(input_shape, self._axes,
                            [_scaled(input_shape[a], f) for a, f in zip(self._axes, self.size)])

    def get_config(self):
        config = super(_UpSamplingND, self).get_config()
        config['size'] = self.size
        return config


@register_layer_class
class UpSampling2D(_UpSamplingND):
    """Rows repeated size[0] times and cols size[1] times (nearest neighbour)."""
    rank = 2

    def __init__(self, size=(2, 2), dim_ordering='default', **kwargs):
        self._init_upsampling(size, dim_ordering)
        super(UpSampling2D, self).__init__(**kwargs)

    def call(self, x, mask=None):
        return K.resize_images(x, self.size[0], self.size[1], self.dim_ordering)


@register_layer_class
class UpSampling3D(_UpSamplingND):
    """The three spatial axes repeated size[0], size[1], size[2] times (nearest neighbour)."""
    rank = 3

    def __init__(self, size=(2, 2, 2), dim_ordering='default', **kwargs):
        self._init_upsampling(size, dim_ordering)
        super(UpSampling3D, self).__init__(**kwargs)

    def call(self, x, mask=None):
        return K.resize_volumes(x, self.size[0], self.size[1], self.size[2],
                                self.dim_ordering)


def _pads_from(owner, padding, keys):
    """Keras 1.2.2's dict form of an asymmetric padding: a subset of `keys`, 0 for missing."""
    unknown = set(padding) - set(keys)
    if unknown:
        raise ValueError('%s: unexpected key(s) %s in the padding dict; keys have to be in %s'
                         % (owner, sorted(unknown), list(keys)))
    return [padding.get(k, 0) for k in keys]


def _check_pads(owner, name, values):
    return [check_number(owner, name, v, integer=True, minimum=0) for v in values]


class _ZeroPaddingND(_Spatial):
    """Zeros added before and after each spatial axis: self.pads holds (before, after) per
    axis; `padding` is kept as given, for the config."""

    def get_output_shape_for(self, input_shape):
        return replace_axes(input_shape, self._axes,
                            [_scaled(input_shape[a], 1, sum(p))
                             for a, p in zip(self._axes, self.pads)])

    def get_config(self):
        config = super(_ZeroPaddingND, self).get_config()
        config['padding'] = self.padding
        return config


@register_layer_class
class ZeroPadding1D(_ZeroPaddingND):
    """padding: an int (both ends), a (left_pad, right_pad) tuple, or a dict with keys
    left_pad / right_pad."""
    rank = 1

    def __init__(self, padding=1, **kwargs):
        owner = 'ZeroPadding1D'
        self.padding = padding
        if isinstance(padding, dict):
            pads = _pads_from(owner, padding, ('left_pad', 'right_pad'))
        elif isinstance(padding, (tuple, list)):
            if len(padding) != 2:
                raise ValueError('ZeroPadding1D: padding should be an int, a dict with keys '
                                 'left_pad, right_pad, or a tuple of length 2; got %r'
                                 % (padding,))
            pads = list(padding)
        else:
            pads = [padding, padding]
        self.left_pad, self.right_pad = _check_pads(owner, 'padding', pads)
        self.pads = ((self.left_pad, self.right_pad),)
        self._init_spatial('tf')
        super(ZeroPadding1D, self).__init__(**kwargs)

    def call(self, x, mask=None):
        return K.asymmetric_temporal_padding(x, left_pad=self.left_pad,
                                             right_pad=self.right_pad)


@register_layer_class
class ZeroPadding2D(_ZeroPaddingND):
    """padding: (rows, cols) zeros on both sides, (top_pad, bottom_pad, left_pad,
    right_pad), or a dict with those keys."""
    rank = 2

    def __init__(self, padding=(1, 1), dim_ordering='default', **kwargs):
        owner = 'ZeroPadding2D'
        self.padding = padding
        keys = ('top_pad', 'bottom_pad', 'left_pad', 'right_pad')
        if isinstance(padding, dict):
            pads = _pads_from(owner, padding, keys)
        elif isinstance(padding, (tuple, list)) and len(padding) == 2:
            pads = [padding[0], padding[0], padding[1], padding[1]]
        elif isinstance(padding, (tuple, list)) and len(padding) == 4:
            pads = list(padding)
        else:
            raise TypeError('ZeroPadding2D: padding should be a tuple of 2 or 4 ints, or a '
                            'dict with keys %s; got %r' % (', '.join(keys), padding))
        self.top_pad, self.bottom_pad, self.left_pad, self.right_pad = _check_pads(
            owner, 'padding', pads)
        self.pads = ((self.top_pad, self.bottom_pad), (self.left_pad, self.right_pad))
        self._init_spatial(dim_ordering)
        super(ZeroPadding2D, self).__init__(**kwargs)

    def call(self, x, mask=None):
        return K.asymmetric_spatial_2d_padding(x, top_pad=self.top_pad,
                                               bottom_pad=self.bottom_pad,
                                               left_pad=self.left_pad,
                                               right_pad=self.right_pad,
                                               dim_ordering=self.dim_ordering)


@register_layer_class
class ZeroPadding3D(_ZeroPaddingND):
    """padding: (p1, p2, p3) zeros on both sides of the three spatial axes."""
    rank = 3

    def __init__(self, padding=(1, 1, 1), dim_ordering='default', **kwargs):
        self.padding = int_tuple('ZeroPadding3D', 'padding', padding, 3, minimum=0)
        self.pads = tuple((p, p) for p in self.padding)
        self._init_spatial(dim_ordering)
        super(ZeroPadding3D, self).__init__(**kwargs)

    def call(self, x, mask=None):
        return K.spatial_3d_padding(x, padding=self.padding, dim_ordering=self.dim_ordering)


class _CroppingND(_Spatial):
    """self.crops[i] = (from the start, from the end) of spatial axis i; `cropping` is the
    argument as Keras 1.2.2 keeps it (for the config)."""

    def _init_cropping(self, crops, dim_ordering):
        owner = self.__class__.__name__
        if not (isinstance(crops, (tuple, list)) and len(crops) == self.rank and
                all(isinstance(c, (tuple, list)) and len(c) == 2 for c in crops)):
            what = ('a (start, end) pair' if self.rank == 1
                    else 'a tuple of %d (start, end) pairs' % self.rank)
            raise ValueError('%s: cropping must be %s; got %r'
                             % (owner, what, crops[0] if self.rank == 1 else crops))
        self.crops = tuple(int_tuple(owner, 'cropping[%d]' % i, c, 2, minimum=0)
                           for i, c in enumerate(crops))
        self._init_spatial(dim_ordering)

    def get_output_shape_for(self, input_shape):
        lengths = [_scaled(input_shape[a], 1, -sum(c)) for a, c in zip(self._axes, self.crops)]
        if any(n is not None and n <= 0 for n in lengths):
            raise ValueError('%s (layer %s): cropping %s removes the whole input of shape %s'
                             % (self.__class__.__name__, self.name, self.cropping,
                                tuple(input_shape)))
        return replace_axes(input_shape, self._axes, lengths)

    def build(self, input_shape):
        self.get_output_shape_for(input_shape)     # over-cropping fails here, by name
        self.built = True

    def call(self, x, mask=None):
        index = [slice(None)] * (self.rank + 2)
        for a, (start, end) in zip(self._axes, self.crops):
            index[a] = slice(start, -end if end else None)
        return x[tuple(index)]

    def get_config(self):
        config = super(_CroppingND, self).get_config()
        config['cropping'] = self.cropping
        return config


@register_layer_class
class Cropping1D(_CroppingND):
    """cropping = (steps removed at the start, at the end)."""
    rank = 1

    def __init__(self, cropping=(1, 1), **kwargs):
        self._init_cropping((cropping,), 'tf')
        self.cropping = self.crops[0]
        super(Cropping1D, self).__init__(**kwargs)


@register_layer_class
class Cropping2D(_CroppingND):
    """cropping = ((top, bottom), (left, right))."""
    rank = 2

    def __init__(self, cropping=((0, 0), (0, 0)), dim_ordering='default', **kwargs):
        self._init_cropping(cropping, dim_ordering)
        self.cropping = self.crops
        super(Cropping2D, self).__init__(**kwargs)


@register_layer_class
class Cropping3D(_CroppingND):
    """cropping = ((start, end), (start, end), (start, end)) of the three spatial axes."""
    rank = 3

    def __init__(self, cropping=((1, 1), (1, 1), (1, 1)), dim_ordering='default', **kwargs):
        self._init_cropping(cropping, dim_ordering)
        self.cropping = self.crops
        super(Cropping3D, self).__init__(**kwargs)
