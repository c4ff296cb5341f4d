"""Neural-network functions of the Keras 1 backend (Theano numerics): softmax (its own op and
kernel, csrc/kernels/softmax.cpp), the crossentropies, the normalisations and in_top_k, which
are built from other ops so their gradients come for free."""
import numpy as np

from .. import config
from ..graph import Op, ShapeError, Tensor, as_node, fmt_shape, make, static_size
from ..lower import dtype_code
from . import reduce as R
from .broadcast import shape
from .elementwise import cast, clip, greater, log, sigmoid, sqrt, square, switch
from .index import one_hot
from .reduce import float_tensor, insert_axes, normalize_axes
from .shape import flatten, reshape

__all__ = ['softmax', 'categorical_crossentropy', 'sparse_categorical_crossentropy',
           'binary_crossentropy', 'l2_normalize', 'batch_normalization',
           'normalize_batch_in_training', 'in_top_k']


class Softmax(Op):
    """exp(x) / sum(exp(x)) over the last axis, computed with the row maximum subtracted."""

    def infer(self, ins):
        x = ins[0]
        if not x.shape:
            raise ShapeError('softmax needs a tensor with at least one axis; got a scalar')
        return x.dtype, x.shape

    def ref(self, x):
        if x.size == 0:
            return x.copy()
        e = np.exp(x - np.max(x, axis=-1, keepdims=True))
        return e / np.sum(e, axis=-1, keepdims=True)

    def grad(self, ins, out, g):
        return [out * (g - R.sum(g * out, axis=-1, keepdims=True))]

    def lower(self, ins, out, L):
        n = out.shape[-1]
        rows = out.size // n if n else 0
        L.emit('softmax', [ins[0].buf, out.buf], [dtype_code(out.dtype), rows, n])


def softmax(x):
    """Softmax over the last axis (Keras 1's is 2-D; any rank >= 1 works here). Integer inputs
    are cast to floatx."""
    return make(Softmax(), float_tensor(x))


def categorical_crossentropy(output, target, from_logits=False):
    """-sum(target * log(p), axis=-1) with p = output renormalised to sum to 1 over the last
    axis (softmax(output) if from_logits), clipped to [epsilon, 1 - epsilon] (Theano Keras 1)."""
    output = float_tensor(output)
    if from_logits:
        output = softmax(output)
    else:
        output = output / R.sum(output, axis=-1, keepdims=True)
    output = clip(output, config.epsilon(), 1. - config.epsilon())
    return -R.sum(target * log(output), axis=-1)


def sparse_categorical_crossentropy(output, target, from_logits=False):
    """categorical_crossentropy against one-hot rows of the integer class indices `target`
    (Keras 1: flattened, one-hot encoded, reshaped to output's shape), so target holds one
    index per row of output: shape (batch,) or (batch, 1) for a (batch, classes) output.
    Float targets are truncated to int, as Theano's cast does."""
    out, tgt = as_node(output), as_node(target)
    rows, given = static_size(out.shape[:-1]), static_size(tgt.shape)
    if rows is not None and given is not None and rows != given:
        raise ShapeError('sparse_categorical_crossentropy: target of shape %s holds %d class '
                         'indices; output of shape %s has %d rows'
                         % (fmt_shape(tgt.shape), given, fmt_shape(out.shape), rows))
    classes = _nb_classes(out, 'sparse_categorical_crossentropy')
    onehot = one_hot(cast(flatten(Tensor(tgt)), 'int64'), classes)
    onehot = reshape(cast(onehot, float_tensor(output).dtype), shape(Tensor(out)))
    return categorical_crossentropy(output, onehot, from_logits)


def _nb_classes(x, what):
    n = x.shape[-1] if x.shape else None
    if n is None:
        raise ShapeError('%s: the last dimension of the predictions (the number of classes) must '
                         'be known when the graph is built; shape is %s' % (what, fmt_shape(x.shape)))
    return n


def binary_crossentropy(output, target, from_logits=False):
    """Elementwise -(target * log(p) + (1 - target) * log(1 - p)), p = output (sigmoid(output)
    if from_logits) clipped to [epsilon, 1 - epsilon]."""
    output = float_tensor(output)
    if from_logits:
        output = sigmoid(output)
    output = clip(output, config.epsilon(), 1. - config.epsilon())
    return -(target * log(output) + (1 - target) * log(1 - output))


def l2_normalize(x, axis):
    """x / sqrt(sum(x^2, axis, keepdims=True)); a zero vector gives NaN, as in Theano."""
    return x / sqrt(R.sum(square(x), axis=axis, keepdims=True))


def batch_normalization(x, mean, var, beta, gamma, epsilon=1e-3):
    """(x - mean) * gamma / sqrt(var + epsilon) + beta, every operand broadcast against x
    (Theano's 'high_mem' form: the scale gamma / std is computed once)."""
    return (x - mean) * (gamma / sqrt(var + epsilon)) + beta


def normalize_batch_in_training(x, gamma, beta, reduction_axes, epsilon=1e-3):
    """(normed, mean, var): x normalised by its mean and population variance over
    `reduction_axes`, scaled by gamma and shifted by beta. gamma and beta have the shape of the
    axes that are not reduced (or x's rank, already broadcastable); mean and var are returned
    with the shape of the axes that are not reduced, as Keras returns them."""
    x = float_tensor(x)
    axes = normalize_axes(x.ndim, reduction_axes, 'normalize_batch_in_training', x.node.shape)
    mean = R.mean(x, axes)
    var = R.var(x, axes)
    normed = batch_normalization(x, insert_axes(mean, axes), insert_axes(var, axes),
                                 _broadcastable(beta, x, axes), _broadcastable(gamma, x, axes),
                                 epsilon)
    return normed, mean, var


def _broadcastable(p, x, axes):
    """A parameter of the non-reduced shape with size-1 dims put back at the reduced `axes`
    (a scalar, or a tensor of x's rank, broadcasts as it is)."""
    node = as_node(p)
    return Tensor(node) if len(node.shape) in (0, x.ndim) else insert_axes(Tensor(node), axes)


def in_top_k(predictions, targets, k):
    """bool vector: whether class targets[i] is among the k largest predictions[i].

    Ties are generous: the target is in the top k when fewer than k classes have a strictly
    greater prediction, so every class tied at the k-th place counts (as TensorFlow's in_top_k;
    Theano's argsort broke ties arbitrarily). A target outside [0, classes) gives False."""
    pred = float_tensor(predictions)
    if pred.ndim != 2:
        raise ShapeError('in_top_k: predictions must be 2-D (batch, classes); got shape %s'
                         % fmt_shape(pred.node.shape))
    mask = cast(one_hot(cast(targets, 'int64'), _nb_classes(pred.node, 'in_top_k')), 'bool')
    target_pred = R.sum(switch(mask, pred, 0), axis=-1, keepdims=True)
    above = R.sum(greater(pred, target_pred), axis=-1)
    return R.any(mask, axis=-1) & (above < k)
