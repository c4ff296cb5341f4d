"""Reductions with the Keras 1 Theano backend's semantics: sum, prod, mean, std, var, max, min,
any, all, argmax, argmin.

One op, Reduce, covers every reduction the `reduce` kernel computes (csrc/kernels/reduce.cpp,
lowered by broadcast.lower_reduce). mean, var and std are built from it and elementwise ops,
so their gradients come for free. ProdOthers is prod's gradient: the product of the other
elements of each reduction group, by prefix and suffix products (the prod_others kernel, also
in csrc/kernels/reduce.cpp), so it is exact when x holds zeros.

The K functions below shadow Python builtins (sum, max, min, any, all) inside this module:
module code must not call those builtins (import `builtins` if one is ever needed).
"""
import operator

import numpy as np

from ..graph import Op, ShapeError, Tensor, as_node, fmt_shape, is_float, make
from ..lower import dtype_code
from . import strides as S
from .broadcast import broadcast_to, lower_reduce, shape
from .elementwise import cast, equal, sqrt, square, switch, to_float
from .shape import dimshuffle

__all__ = ['sum', 'prod', 'mean', 'std', 'var', 'max', 'min', 'any', 'all', 'argmax', 'argmin']

_ARG = ('ARGMAX', 'ARGMIN')
_NO_IDENTITY = ('MAX', 'MIN') + _ARG     # reducing an empty axis is an error


def normalize_axes(ndim, axis, what, x_shape):
    """`axis` (None, an int or a sequence of ints; negative counts from the end) as a sorted
    tuple of distinct non-negative axes of a tensor of rank `ndim`. `what` and `x_shape` name
    the call in errors."""
    if axis is None:
        return tuple(range(ndim))
    items = list(axis) if isinstance(axis, (list, tuple)) else [axis]
    out = []
    for a in items:
        try:
            a = operator.index(a)
        except TypeError:
            raise TypeError('%s: axis must be None, an int or a list of ints; got %r'
                            % (what, axis)) from None
        if not -ndim <= a < ndim:
            raise ShapeError('%s: axis %d is out of range for a tensor of shape %s (ndim %d)'
                             % (what, a, fmt_shape(x_shape), ndim))
        if a % ndim in out:
            raise ShapeError('%s: axis %r names dimension %d twice (tensor of shape %s)'
                             % (what, axis, a % ndim, fmt_shape(x_shape)))
        out.append(a % ndim)
    return tuple(sorted(out))


def _reduced_shape(shape, axes, keepdims):
    if keepdims:
        return tuple(1 if i in axes else d for i, d in enumerate(shape))
    return tuple(d for i, d in enumerate(shape) if i not in axes)


def _out_dtype(code, dtype):
    """numpy's result types: integer sums and products in int64, predicates in bool."""
    if code in ('SUM', 'PROD'):
        return dtype if is_float(dtype) else 'int64'
    if code in ('ANY', 'ALL'):
        return 'bool'
    if code in _ARG:
        return 'int64'
    return dtype


_NUMPY = {'SUM': np.sum, 'PROD': np.prod, 'MAX': np.max, 'MIN': np.min, 'ANY': np.any,
          'ALL': np.all, 'ARGMAX': np.argmax, 'ARGMIN': np.argmin}


class Reduce(Op):
    """x reduced over `axes` (sorted, non-negative) by SUM, PROD, MAX, MIN, ANY, ALL, or by
    ARGMAX/ARGMIN over one axis (or over every axis of x: the index into the flattened x)."""

    def __init__(self, code, axes, keepdims=False):
        self.code = code
        self.axes = tuple(axes)
        self.keepdims = bool(keepdims)

    def infer(self, ins):
        x = ins[0]
        if self.code in _NO_IDENTITY:
            for a in self.axes:
                if x.shape[a] == 0:
                    raise ShapeError('%s over axis %d of a tensor of shape %s: an empty axis has '
                                     'no %s' % (self.code.lower(), a, fmt_shape(x.shape), self.code.lower()))
        return _out_dtype(self.code, x.dtype), _reduced_shape(x.shape, self.axes, self.keepdims)

    def ref(self, x):
        dtype = _out_dtype(self.code, x.dtype.name)
        if self.code in _ARG:
            axis = None if len(self.axes) == x.ndim else self.axes[0]
            y = _NUMPY[self.code](x, axis=axis)
        else:
            y = _NUMPY[self.code](x, axis=self.axes)
        return np.asarray(y, dtype=dtype).reshape(_reduced_shape(x.shape, self.axes, self.keepdims))

    def grad(self, ins, out, g):
        x = ins[0]
        if not is_float(x.dtype) or self.code not in ('SUM', 'PROD', 'MAX', 'MIN'):
            return [None]
        g = self._kept(g)
        if self.code == 'SUM':
            return [broadcast_to(g, shape(x))]
        if self.code == 'PROD':
            return [g * make(ProdOthers(self.axes), x)]
        # Theano's rule: every element equal to the extremum receives the gradient (ties too).
        return [g * cast(equal(x, self._kept(out)), x.dtype)]

    def _kept(self, t):
        """A tensor of this reduction's output shape, with the reduced dims put back as 1s."""
        return t if self.keepdims else insert_axes(t, self.axes)

    def lower(self, ins, out, L):
        lower_reduce(L, self.code, ins[0], out, self.axes)


def _reduce(code, x, axis, keepdims, what):
    node = as_node(x)
    axes = normalize_axes(len(node.shape), axis, what, node.shape)
    return make(Reduce(code, axes, keepdims), Tensor(node))


def insert_axes(x, axes):
    """x with size-1 dimensions at positions `axes` (sorted, non-negative) of the result: a
    reduction's output in its keepdims form (a reshape, no copy)."""
    pattern = list(range(as_node(x).ndim))
    for a in axes:
        pattern.insert(a, 'x')
    return dimshuffle(x, pattern) if axes else x


# ----------------------------------------------------------------------------- prod's gradient

class ProdOthers(Op):
    """For every element of x, the product of the other elements of its group when x is
    reduced over `axes`: d prod(x, axes) / dx. Prefix times suffix products, no division, so
    it is exact when x holds zeros. It has no gradient of its own: prod can be differentiated
    once (Theano's Prod could be differentiated again; no Keras 1 model needs it)."""

    def __init__(self, axes):
        self.axes = tuple(axes)

    def infer(self, ins):
        if not is_float(ins[0].dtype):
            raise ShapeError('x must be float32 or float64; got %s' % ins[0].dtype)
        return ins[0].dtype, ins[0].shape

    def ref(self, x):
        if x.size == 0:
            return x.copy()
        kept = [i for i in range(x.ndim) if i not in self.axes]
        perm = kept + list(self.axes)
        xt = np.transpose(x, perm)
        rows = xt.reshape(-1, S.size([x.shape[a] for a in self.axes])).astype(np.float64)
        ones = np.ones((rows.shape[0], 1))
        before = np.cumprod(np.concatenate([ones, rows[:, :-1]], axis=1), axis=1)
        after = np.cumprod(np.concatenate([ones, rows[:, :0:-1]], axis=1), axis=1)[:, ::-1]
        y = (before * after).reshape(xt.shape).astype(x.dtype)
        return np.transpose(y, np.argsort(perm))

    def grad(self, ins, out, g):
        raise TypeError('prod can be differentiated only once: its gradient (ProdOthers) has no '
                        'gradient of its own')

    def lower(self, ins, out, L):
        x = ins[0]
        if out.size == 0:
            return
        dims = [i for i, d in enumerate(x.shape) if d != 1]
        red = [i for i in dims if i in self.axes]
        kept = [i for i in dims if i not in self.axes]
        if not red:       # every group is one element: the empty product
            L.emit('fill', [out.buf], [dtype_code(out.dtype), out.size], [1])
            return
        first, last = dims.index(red[0]), dims.index(red[-1])
        if last - first + 1 == len(red):     # the reduced dims are adjacent: one pass over x
            self._emit(L, x.dtype, x.buf, out.buf, S.size([x.shape[i] for i in dims[:first]]),
                       S.size([x.shape[i] for i in red]), S.size([x.shape[i] for i in dims[last + 1:]]))
            return
        # otherwise gather each group into a row (kept dims first) and scatter the rows back
        itemsize = np.dtype(x.dtype).itemsize
        perm = kept + red
        tshape = [x.shape[i] for i in perm]
        xs = S.contiguous_strides(list(x.shape))
        xs = [xs[i] for i in perm]
        ts = S.contiguous_strides(tshape)
        rows_in, rows_out = L.temp(tshape, x.dtype), L.temp(tshape, x.dtype)
        L.emit('copy_strided', [x.buf, rows_in], S.copy_params(itemsize, tshape, xs, ts))
        self._emit(L, x.dtype, rows_in, rows_out, S.size([x.shape[i] for i in kept]),
                   S.size([x.shape[i] for i in red]), 1)
        L.emit('copy_strided', [rows_out, out.buf], S.copy_params(itemsize, tshape, ts, xs))

    @staticmethod
    def _emit(L, dtype, src, dst, outer, r, inner):
        # prefix products are kept in float64 (a scratch buffer for float32, dst itself for
        # float64), so the result is rounded once
        scratch = L.temp([outer, r, inner], 'float64') if dtype == 'float32' else dst
        L.emit('prod_others', [src, dst, scratch], [dtype_code(dtype), outer, r, inner])


# ----------------------------------------------------------------------------- K functions

def sum(x, axis=None, keepdims=False):
    """Sum over `axis`; integers and bools sum to int64 (as numpy), floats keep their dtype.
    The sum of an empty axis is 0."""
    return _reduce('SUM', x, axis, keepdims, 'sum')


def prod(x, axis=None, keepdims=False):
    """Product over `axis`; integers and bools multiply to int64. The product of an empty axis
    is 1. The gradient is exact when x holds zeros, but cannot itself be differentiated."""
    return _reduce('PROD', x, axis, keepdims, 'prod')


def max(x, axis=None, keepdims=False):
    """Maximum over `axis` (NaN wins, as in numpy); every tied maximum receives the gradient."""
    return _reduce('MAX', x, axis, keepdims, 'max')


def min(x, axis=None, keepdims=False):
    """Minimum over `axis` (NaN wins, as in numpy); every tied minimum receives the gradient."""
    return _reduce('MIN', x, axis, keepdims, 'min')


def any(x, axis=None, keepdims=False):
    """Whether any element over `axis` is non-zero (bool)."""
    return _reduce('ANY', x, axis, keepdims, 'any')


def all(x, axis=None, keepdims=False):
    """Whether every element over `axis` is non-zero (bool)."""
    return _reduce('ALL', x, axis, keepdims, 'all')


def argmax(x, axis=-1):
    """int64 index of the first maximum along `axis` (an int; None: into the flattened x)."""
    return _arg('ARGMAX', x, axis)


def argmin(x, axis=-1):
    """int64 index of the first minimum along `axis` (an int; None: into the flattened x)."""
    return _arg('ARGMIN', x, axis)


def _arg(code, x, axis):
    what = code.lower()
    if isinstance(axis, (list, tuple)):
        raise TypeError('%s: axis must be an int or None; got %r' % (what, axis))
    return _reduce(code, x, axis, False, what)


def _count(x, axes):
    """The number of elements reduced into each output over `axes`, an int64 scalar computed
    from the run-time shape of x (a constant once shapes are known)."""
    mask = np.array([i in axes for i in range(len(as_node(x).shape))], dtype=bool)
    return prod(switch(mask, shape(x), 1))


def float_tensor(x):
    """x as a float Tensor: integer and bool tensors become floatx (Keras' mean does this)."""
    return Tensor(to_float(as_node(x)))


def mean(x, axis=None, keepdims=False):
    """Mean over `axis`; integer and bool tensors give floatx."""
    x = float_tensor(x)
    axes = normalize_axes(x.ndim, axis, 'mean', x.node.shape)
    return sum(x, axes, keepdims) / cast(_count(x, axes), x.dtype)


def var(x, axis=None, keepdims=False):
    """Population variance (ddof=0) over `axis`: the mean of the squared deviations."""
    x = float_tensor(x)
    axes = normalize_axes(x.ndim, axis, 'var', x.node.shape)
    return mean(square(x - mean(x, axes, keepdims=True)), axes, keepdims)


def std(x, axis=None, keepdims=False):
    """Population standard deviation (ddof=0) over `axis`."""
    x = float_tensor(x)
    return sqrt(var(x, normalize_axes(x.ndim, axis, 'std', x.node.shape), keepdims))

