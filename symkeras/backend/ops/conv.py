"""The convolution functions of the Keras 1.2.2 backend, with the Theano backend's numerics:
conv1d, conv2d, conv3d, deconv2d, atrous_conv2d and separable_conv2d, all built on the ops of
ops/conv_ops.py (one channels-first N-d convolution and its two adjoints).

- True convolution (the kernel flipped, Theano's conv2d/conv3d with filter_flip=True) in both
  dim orderings; 'tf' ordering is brought to channels first by transposes of x and the kernel
  (and of the result back), which the gradients pass through.
- border_mode 'valid', 'same' (Theano 'half', with Keras' crop of the output to ceil(n/s) for
  even kernels: conv_ops.py says exactly what that pads), 'full'.
- conv1d is what Keras 1.2.2's Convolution1D computes (its Theano K.conv1d raised
  NotImplementedError): expand_dims(x, 2), conv2d in 'tf' ordering with strides (stride, 1),
  squeeze; so the kernel is (filter_length, 1, input_dim, nb_filter) and is flipped along
  filter_length. Here it is one 1-d convolution.
- deconv2d is Theano's AbstractConv2d_gradInputs as Keras 1.2.2 called it: the gradient of
  conv2d (kernel transposed to (stack, nb_filter, rows, cols), flipped) with respect to an
  input of output_shape. Keras then cropped the result for 'same' with an even kernel to
  ceil(n/s) of the *input's* length; that broke the promised output_shape and is not
  reproduced: the result always has output_shape ('same' pads span//2 on both sides, Theano's
  'half'). The batch entry of output_shape is not used (it may be None), as in Theano.
- atrous_conv2d (NotImplementedError on Theano in 1.2.2) is conv2d with filter_dilation
  (rate, rate): a flipped, dilated kernel, as Keras' AtrousConvolution2D computes.
- separable_conv2d (TensorFlow only in 1.2.2) has TensorFlow's semantics: a depthwise
  cross-correlation (no flip; depthwise kernel (rows, cols, C, depth_multiplier) in 'tf'
  ordering, (depth_multiplier, C, rows, cols) in 'th', output channel c*depth_multiplier + m)
  with TensorFlow's SAME padding, then a 1x1 pointwise one.
image_shape, volume_shape and filter_shape are shape hints (Theano used them to choose an
algorithm): when given, they must agree with the known dims of x and the kernel.
"""
import numbers

import numpy as np

from .. import config
from ..graph import ShapeError, as_node, compatible_dim, describe, fmt_shape, make, provenance
from .conv_ops import Conv, ConvTranspose
from .linalg import _float_operands
from .shape import dims_of, reshape, shape_vector, transpose_axes

__all__ = ['conv1d', 'conv2d', 'conv3d', 'deconv2d', 'atrous_conv2d', 'separable_conv2d']

_BORDER_MODES = ('valid', 'same', 'full')


# ----------------------------------------------------------------------------- arguments

def _shape_error(msg):
    return ShapeError(msg + describe(provenance()))


def _ordering(fn, dim_ordering, nd):
    """'th' or 'tf' ('default' is K.image_dim_ordering())."""
    return 'tf' if config.spatial_axes(fn, dim_ordering, nd)[0] == 1 else 'th'


def _border(fn, border_mode, allowed=_BORDER_MODES):
    if border_mode not in allowed:
        raise ValueError('%s: border_mode must be one of %s; got %r'
                         % (fn, ', '.join(repr(b) for b in allowed), border_mode))
    return border_mode


def _ints(fn, name, value, n):
    """value (an int, or a sequence of n) as a tuple of n ints >= 1."""
    seq = (value,) * n if isinstance(value, (numbers.Integral, np.integer)) else tuple(value)
    if len(seq) != n or not all(isinstance(v, (numbers.Integral, np.integer)) and not isinstance(v, bool)
                                and v >= 1 for v in seq):
        raise ValueError('%s: %s must be %d whole numbers >= 1; got %r' % (fn, name, n, value))
    return tuple(int(v) for v in seq)


def _rank(fn, name, t, n):
    shp = as_node(t).shape
    if len(shp) != n:
        raise _shape_error('%s: %s must be %d-D; got shape %s' % (fn, name, n, fmt_shape(shp)))


def _hint(fn, name, hint, t):
    """A shape hint (image_shape, filter_shape, ...) that must agree with t's known dims."""
    if hint is None:
        return
    shp = as_node(t).shape
    hint = tuple(None if h is None else int(h) for h in hint)
    if len(hint) != len(shp) or not all(map(compatible_dim, hint, shp)):
        raise _shape_error('%s: %s %s does not match the tensor of shape %s'
                           % (fn, name, fmt_shape(hint), fmt_shape(shp)))


def _channels_first(t, nd):
    return transpose_axes(t, (0, nd + 1) + tuple(range(1, nd + 1)))


def _channels_last(t, nd):
    return transpose_axes(t, (0,) + tuple(range(2, nd + 2)) + (1,))


def _kernel_first(k, nd):
    """A 'tf' kernel (spatial..., in, out) as a 'th' one (out, in, spatial...)."""
    return transpose_axes(k, (nd + 1, nd) + tuple(range(nd)))


def _build(fn, op, shapes, *inputs):
    """make(op, *inputs); a ShapeError also names fn and the caller's shapes."""
    try:
        return make(op, *inputs)
    except ShapeError as e:
        msg = str(e)
        msg = msg[len(op.name) + 2:] if msg.startswith(op.name + ': ') else msg
        raise ShapeError('%s (%s): %s' % (fn, shapes, msg)) from None


def _shapes(**tensors):
    return ', '.join('%s of shape %s' % (k, fmt_shape(as_node(v).shape)) for k, v in tensors.items())


# ----------------------------------------------------------------------------- convolutions

def _conv(fn, x, kernel, nd, strides, border_mode, dim_ordering, dilation):
    """True convolution of nd spatial axes in either ordering."""
    ordering = _ordering(fn, dim_ordering, nd)
    op = Conv(_ints(fn, 'strides', strides, nd), _ints(fn, 'filter_dilation', dilation, nd),
              _border(fn, border_mode), 1, True)
    x, kernel = _float_operands(x, kernel)
    _rank(fn, 'x', x, nd + 2)
    _rank(fn, 'kernel', kernel, nd + 2)
    shapes = _shapes(x=x, kernel=kernel) + ", dim_ordering '%s'" % ordering
    if ordering == 'th':
        return _build(fn, op, shapes, x, kernel)
    return _channels_last(_build(fn, op, shapes, _channels_first(x, nd), _kernel_first(kernel, nd)), nd)


def conv2d(x, kernel, strides=(1, 1), border_mode='valid', dim_ordering='default',
           image_shape=None, filter_shape=None, filter_dilation=(1, 1)):
    """2-D true convolution. 'th': x (N, C, rows, cols), kernel (nb_filter, C, rows, cols);
    'tf': x (N, rows, cols, C), kernel (rows, cols, C, nb_filter)."""
    _hint('conv2d', 'image_shape', image_shape, x)
    _hint('conv2d', 'filter_shape', filter_shape, kernel)
    return _conv('conv2d', x, kernel, 2, strides, border_mode, dim_ordering, filter_dilation)


def conv3d(x, kernel, strides=(1, 1, 1), border_mode='valid', dim_ordering='default',
           volume_shape=None, filter_shape=None, filter_dilation=(1, 1, 1)):
    """3-D true convolution. 'th': x (N, C, d1, d2, d3), kernel (nb_filter, C, k1, k2, k3);
    'tf': x (N, d1, d2, d3, C), kernel (k1, k2, k3, C, nb_filter)."""
    _hint('conv3d', 'volume_shape', volume_shape, x)
    _hint('conv3d', 'filter_shape', filter_shape, kernel)
    return _conv('conv3d', x, kernel, 3, strides, border_mode, dim_ordering, filter_dilation)


def atrous_conv2d(x, kernel, rate=1, border_mode='valid', dim_ordering='default',
                  image_shape=None, filter_shape=None):
    """conv2d with filter_dilation (rate, rate) (rate may also be a pair)."""
    _hint('atrous_conv2d', 'image_shape', image_shape, x)
    _hint('atrous_conv2d', 'filter_shape', filter_shape, kernel)
    return _conv('atrous_conv2d', x, kernel, 2, (1, 1), border_mode, dim_ordering,
                 _ints('atrous_conv2d', 'rate', rate, 2))


def conv1d(x, kernel, stride=1, border_mode='valid', image_shape=None, filter_shape=None):
    """Convolution1D's true convolution along the steps: x (N, steps, input_dim), kernel
    (filter_length, 1, input_dim, nb_filter) (or (filter_length, input_dim, nb_filter))
    -> (N, new_steps, nb_filter)."""
    fn = 'conv1d'
    _hint(fn, 'image_shape', image_shape, x)
    _hint(fn, 'filter_shape', filter_shape, kernel)
    op = Conv(_ints(fn, 'stride', stride, 1), (1,), _border(fn, border_mode), 1, True)
    x, kernel = _float_operands(x, kernel)
    _rank(fn, 'x', x, 3)
    kshape = as_node(kernel).shape
    shapes = _shapes(x=x, kernel=kernel)
    if len(kshape) == 4 and compatible_dim(kshape[1], 1):
        d = dims_of(kernel)
        kernel = reshape(kernel, [d[0], d[2], d[3]])
    elif len(kshape) != 3:
        raise _shape_error('conv1d: kernel must have shape (filter_length, 1, input_dim, nb_filter) '
                           'or (filter_length, input_dim, nb_filter); got %s' % fmt_shape(kshape))
    y = _build(fn, op, shapes, transpose_axes(x, (0, 2, 1)), transpose_axes(kernel, (2, 1, 0)))
    return transpose_axes(y, (0, 2, 1))


def deconv2d(x, kernel, output_shape, strides=(1, 1), border_mode='valid', dim_ordering='default',
             image_shape=None, filter_shape=None):
    """The transposed 2-D convolution: the gradient of conv2d (of an input of output_shape, by
    `kernel` transposed to (stack, nb_filter, rows, cols)) with respect to its input, given x
    as the gradient of its output. kernel as conv2d's: (nb_filter, stack, rows, cols) 'th',
    (rows, cols, stack, nb_filter) 'tf'; x has `stack` channels; output_shape is the full
    output shape in the dim ordering (its batch entry may be None)."""
    fn = 'deconv2d'
    ordering = _ordering(fn, dim_ordering, 2)
    _hint(fn, 'image_shape', image_shape, x)
    _hint(fn, 'filter_shape', filter_shape, kernel)
    mode = {'valid': 'valid', 'same': 'half', 'full': 'full'}[_border(fn, border_mode)]
    op = ConvTranspose(_ints(fn, 'strides', strides, 2), (1, 1), mode, 1, True)
    x, kernel = _float_operands(x, kernel)
    _rank(fn, 'x', x, 4)
    _rank(fn, 'kernel', kernel, 4)
    output_shape = tuple(output_shape)
    if len(output_shape) != 4:
        raise ValueError('deconv2d: output_shape must have 4 entries (batch, channels and 2 '
                         'spatial dims); got %r' % (output_shape,))
    shapes = _shapes(x=x, kernel=kernel) + ", output_shape %s, dim_ordering '%s'" % (
        fmt_shape(output_shape), ordering)
    if ordering == 'tf':
        output_shape = tuple(output_shape[i] for i in (0, 3, 1, 2))
        x, kernel = _channels_first(x, 2), _kernel_first(kernel, 2)
    nb_filter = dims_of(kernel)[0]
    if output_shape[1] is None:
        output_shape = (None, nb_filter) + output_shape[2:]
    elif not compatible_dim(as_node(kernel).shape[0], output_shape[1]):
        raise _shape_error('deconv2d (%s): output_shape has %s channels but the kernel makes %d'
                           % (shapes, output_shape[1], nb_filter))
    y = _build(fn, op, shapes, x, transpose_axes(kernel, (1, 0, 2, 3)), shape_vector(output_shape[1:], fn))
    return _channels_last(y, 2) if ordering == 'tf' else y


def separable_conv2d(x, depthwise_kernel, pointwise_kernel, strides=(1, 1), border_mode='valid',
                     dim_ordering='default'):
    """TensorFlow's separable convolution: a depthwise cross-correlation (each input channel c
    by its own depth_multiplier filters, output channel c*depth_multiplier + m) with strides
    and TensorFlow's padding, then a 1x1 cross-correlation mixing the channels. Kernels as
    Keras 1.2.2's SeparableConvolution2D holds them: 'tf' depthwise (rows, cols, C, mult),
    pointwise (1, 1, C*mult, nb_filter); 'th' depthwise (mult, C, rows, cols), pointwise
    (nb_filter, C*mult, 1, 1)."""
    fn = 'separable_conv2d'
    ordering = _ordering(fn, dim_ordering, 2)
    border = {'valid': 'valid', 'same': 'same_tf'}[_border(fn, border_mode, ('valid', 'same'))]
    strides = _ints(fn, 'strides', strides, 2)
    x, depthwise_kernel = _float_operands(x, depthwise_kernel)     # one float dtype for all three
    x, pointwise_kernel = _float_operands(x, pointwise_kernel)
    depthwise_kernel, _ = _float_operands(depthwise_kernel, x)
    for name, t in (('x', x), ('depthwise_kernel', depthwise_kernel), ('pointwise_kernel', pointwise_kernel)):
        _rank(fn, name, t, 4)
    shapes = _shapes(x=x, depthwise_kernel=depthwise_kernel, pointwise_kernel=pointwise_kernel)
    shapes += ", dim_ordering '%s'" % ordering
    if ordering == 'tf':   # depthwise to (C, mult, rows, cols), pointwise to (nb_filter, C*mult, 1, 1)
        x = _channels_first(x, 2)
        depthwise = transpose_axes(depthwise_kernel, (2, 3, 0, 1))
        pointwise = _kernel_first(pointwise_kernel, 2)
    else:
        depthwise = transpose_axes(depthwise_kernel, (1, 0, 2, 3))
        pointwise = pointwise_kernel
    C, xc = as_node(depthwise).shape[0], as_node(x).shape[1]
    if not compatible_dim(C, xc):
        raise _shape_error('separable_conv2d (%s): x has %d channels but the depthwise kernel is '
                           'for %d' % (shapes, xc, C))
    d = dims_of(depthwise)
    depthwise = reshape(depthwise, [d[0] * d[1], 1, d[2], d[3]])
    y = _build(fn, Conv(strides, (1, 1), border, 0, False), shapes, x, depthwise)
    y = _build(fn, Conv((1, 1), (1, 1), 'valid', 1, False), shapes, y, pointwise)
    return _channels_last(y, 2) if ordering == 'tf' else y
