"""Numpy utilities of Keras 1.2.2 (keras.utils.np_utils): one-hot labels, normalisation, simple
scores, class decoding, and the shape arithmetic and kernel flipping used by convolution layers.

Everything here works on numpy arrays; only convert_kernel consults the backend (for the default
image dim ordering).
"""
import numpy as np

from .generic_utils import check_number

_BORDER_MODES = ('same', 'valid', 'full')


def to_categorical(y, nb_classes=None):
    """Class vector (integers 0 .. nb_classes-1, shape (n,) or (n, 1)) to a float64 one-hot
    matrix of shape (n, nb_classes). nb_classes defaults to max(y) + 1."""
    y = np.asarray(y)
    if y.ndim > 2 or (y.ndim == 2 and y.shape[1] != 1):
        raise ValueError('to_categorical: y must have shape (n,) or (n, 1); got shape %s'
                         % (y.shape,))
    y = y.ravel()
    fractional = (~np.isfinite(y) | (y != np.round(y)) if y.dtype.kind == 'f'
                  else np.zeros(y.shape, bool))
    if y.dtype.kind not in 'biuf' or fractional.any():
        raise ValueError('to_categorical: y must hold integer class labels; got %r'
                         % (y[fractional][0].item() if fractional.any() else y.dtype,))
    y = y.astype('int64')
    if not nb_classes:     # None or 0: as in Keras, max(y) + 1
        nb_classes = int(y.max()) + 1 if y.size else 0
    else:
        nb_classes = check_number('to_categorical', 'nb_classes', nb_classes, integer=True,
                                  minimum=1)
    bad = (y < 0) | (y >= nb_classes)
    if bad.any():
        raise ValueError('to_categorical: label %d (at index %d) is outside 0 .. %d '
                         '(nb_classes=%d)' % (y[bad][0], np.flatnonzero(bad)[0], nb_classes - 1,
                                              nb_classes))
    categorical = np.zeros((y.shape[0], nb_classes))
    categorical[np.arange(y.shape[0]), y] = 1.
    return categorical


def normalize(a, axis=-1, order=2):
    """`a` divided by its `order`-norm along `axis`; slices whose norm is 0 are left as is.
    The result has a's shape (Keras 1.2.2 gave a 1-D input an extra leading axis)."""
    a = np.asarray(a)
    norms = np.linalg.norm(a, order, axis, keepdims=True)
    norms[norms == 0] = 1
    return a / norms


def binary_logloss(p, y):
    """Mean binary crossentropy of probabilities p (clipped to [1e-15, 1 - 1e-15]) against
    0/1 targets y. Like Keras, the sum runs over the first axis only."""
    p = np.minimum(1 - 1e-15, np.maximum(1e-15, np.asarray(p, dtype='float64')))
    y = np.asarray(y)
    _check_same_length('binary_logloss', p, y)
    return -np.sum(y * np.log(p) + (1 - y) * np.log(1 - p), axis=0) / len(y)


def multiclass_logloss(p, y):
    """Mean negative log probability of the true class. As in Keras 1, labels y are 1-based:
    label k picks column k-1 of p. A label outside 1 .. p.shape[1] is an error (Keras would
    silently wrap label 0 to the last column)."""
    p = np.asarray(p, dtype='float64')
    y = np.asarray(y).ravel()
    _check_same_length('multiclass_logloss', p, y)
    if p.ndim != 2:
        raise ValueError('multiclass_logloss: p must be a 2-D matrix of class probabilities; '
                         'got shape %s' % (p.shape,))
    bad = (y < 1) | (y > p.shape[1])
    if bad.any():
        raise ValueError('multiclass_logloss: labels are 1-based (1 .. %d) as in Keras; got %r '
                         'at index %d' % (p.shape[1], y[bad][0].item(), np.flatnonzero(bad)[0]))
    picked = p[np.arange(len(y)), y.astype('int64') - 1]
    return -np.sum(np.log(picked)) / len(y)


def accuracy(p, y):
    """Fraction of positions where the predicted class equals the true class."""
    _check_same_length('accuracy', p, y)
    return np.mean([a == b for a, b in zip(p, y)])


def probas_to_classes(y_pred):
    """Classes from predictions: argmax over the columns of a matrix with more than one
    column, else 1 where the probability is above 0.5."""
    y_pred = np.asarray(y_pred)
    if y_pred.ndim == 0:
        raise ValueError('probas_to_classes: y_pred must be an array of predictions; got the '
                         'scalar %r' % (y_pred,))
    if y_pred.ndim > 1 and y_pred.shape[1] > 1:
        return categorical_probas_to_classes(y_pred)
    return (y_pred.reshape(len(y_pred)) > 0.5).astype('int64')


def categorical_probas_to_classes(p):
    """Argmax over axis 1."""
    p = np.asarray(p)
    if p.ndim < 2:
        raise ValueError('categorical_probas_to_classes: p must have a class axis (ndim >= 2); '
                         'got shape %s' % (p.shape,))
    return np.argmax(p, axis=1)


def convert_kernel(kernel, dim_ordering=None):
    """Flip the spatial axes of a 4-D or 5-D convolution kernel: turns a Theano kernel
    (true convolution) into a TensorFlow one (cross-correlation) and back. Spatial axes are
    2, 3(, 4) for 'th' kernels (out, in, rows, cols) and 0, 1(, 2) for 'tf' kernels
    (rows, cols, in, out). dim_ordering defaults to K.image_dim_ordering(). Returns a copy."""
    kernel = np.asarray(kernel)
    if dim_ordering is None:
        from .. import backend as K
        dim_ordering = K.image_dim_ordering()
    if kernel.ndim not in (4, 5):
        raise ValueError('convert_kernel: kernel must be 4-D or 5-D; got shape %s'
                         % (kernel.shape,))
    n = kernel.ndim - 2
    if dim_ordering == 'th':
        spatial = tuple(range(2, 2 + n))
    elif dim_ordering == 'tf':
        spatial = tuple(range(n))
    else:
        raise ValueError("convert_kernel: dim_ordering must be 'th' or 'tf'; got %r"
                         % (dim_ordering,))
    return np.flip(kernel, axis=spatial).copy()


def conv_output_length(input_length, filter_size, border_mode, stride, dilation=1):
    """Length of a convolution output along one axis (None stays None). The filter spans
    filter_size + (filter_size-1)*(dilation-1) positions; 'same' keeps the length, 'valid'
    fits the filter inside, 'full' lets it overhang by filter-1 on both sides; then the
    stride keeps ceil(length / stride) positions."""
    _check_border_mode('conv_output_length', border_mode)
    filter_size, stride, dilation = _counts('conv_output_length', filter_size=filter_size,
                                            stride=stride, dilation=dilation)
    if input_length is None:
        return None
    span = filter_size + (filter_size - 1) * (dilation - 1)
    if border_mode == 'same':
        length = input_length
    elif border_mode == 'valid':
        length = input_length - span + 1
    else:
        length = input_length + span - 1
    return (length + stride - 1) // stride


def conv_input_length(output_length, filter_size, border_mode, stride):
    """Input length that a (transposed) convolution needs to produce output_length (None
    stays None): (output-1)*stride - 2*pad + filter_size, with pad = filter_size//2 for
    'same', 0 for 'valid', filter_size-1 for 'full'."""
    _check_border_mode('conv_input_length', border_mode)
    filter_size, stride = _counts('conv_input_length', filter_size=filter_size, stride=stride)
    if output_length is None:
        return None
    pad = {'same': filter_size // 2, 'valid': 0, 'full': filter_size - 1}[border_mode]
    return (output_length - 1) * stride - 2 * pad + filter_size


def _check_border_mode(fn, border_mode):
    if border_mode not in _BORDER_MODES:
        raise ValueError("%s: border_mode must be one of 'same', 'valid', 'full'; got %r"
                         % (fn, border_mode))


def _counts(fn, **values):
    """The values (filter sizes, strides, ...) checked to be whole numbers >= 1, as ints in
    the order given."""
    return [check_number(fn, name, value, integer=True, minimum=1)
            for name, value in values.items()]


def _check_same_length(fn, p, y):
    if np.ndim(p) == 0 or np.ndim(y) == 0 or len(p) != len(y):
        raise ValueError('%s: p and y must be arrays of the same length; got shapes %s and %s'
                         % (fn, np.shape(p), np.shape(y)))
