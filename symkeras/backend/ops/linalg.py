"""Matrix products: MatMul (2-D) and BatchMatMul (3-D, batch axis first), both with transpose
flags, lowered onto the `gemm` kernel (csrc/kernels/gemm.cpp); MatMulEpilogue, a MatMul with
the bias add and relu that follow it fused into the same gemm instruction (built only by graph
rewrites); and the K functions built on them, dot (Theano's T.dot) and batch_dot (Keras
1.2.2's Theano batch_dot).

Gradients are products with transpose flags, so no transposed copy of an operand is ever made
to differentiate. dot and batch_dot bring N-d operands to matrices with reshapes (free: they
alias the buffer) and, only where no flag can express the layout, one transposing copy.

gemm computes in float32 or float64 only: dot and batch_dot cast integer operands to floatx
first (Theano would multiply in integers; no Keras layer does), and mixed float32/float64
operands to float64.
"""
import numpy as np

from .. import config
from ..graph import (Op, ShapeError, Tensor, as_node, compatible_dim, describe, fmt_shape,
                     is_float, make, provenance)
from ..lower import dtype_code
from . import strides as S
from .broadcast import unbroadcast
from .elementwise import cast, result_dtype
from .shape import Transpose, dims_of, product, reshape, transpose_axes

__all__ = ['dot', 'batch_dot']


# ----------------------------------------------------------------------------- ops

class _Product(Op):
    """op(A) @ op(B) over the last two axes; op transposes when the flag is set. BatchMatMul
    adds a leading batch axis on which an operand of size 1 is broadcast."""
    ndim = 2

    def __init__(self, trans_a=False, trans_b=False):
        self.trans_a = bool(trans_a)
        self.trans_b = bool(trans_b)

    def _mnk(self, a_shape, b_shape):
        """(M, K of op(A), K of op(B), N)."""
        m, ka = a_shape[-2:][::-1] if self.trans_a else a_shape[-2:]
        kb, n = b_shape[-2:][::-1] if self.trans_b else b_shape[-2:]
        return m, ka, kb, n

    def infer(self, ins):
        a, b = ins
        if a.ndim != self.ndim or b.ndim != self.ndim:
            raise ShapeError('operands must be %d-D; got shapes %s and %s'
                             % (self.ndim, fmt_shape(a.shape), fmt_shape(b.shape)))
        if a.dtype != b.dtype or not is_float(a.dtype):
            raise ShapeError('operands must have one float dtype (float32 or float64); got %s '
                             'and %s' % (a.dtype, b.dtype))
        m, ka, kb, n = self._mnk(a.shape, b.shape)
        if not compatible_dim(ka, kb):
            raise ShapeError('inner dimensions differ: A has shape %s%s and B has shape %s%s '
                             '(%d != %d)' % (fmt_shape(a.shape), ' (transposed)' if self.trans_a else '',
                                             fmt_shape(b.shape), ' (transposed)' if self.trans_b else '',
                                             ka, kb))
        return a.dtype, self._batch(a.shape, b.shape) + (m, n)

    def _batch(self, a_shape, b_shape):
        return ()

    def ref(self, a, b):
        a = np.swapaxes(a, -1, -2) if self.trans_a else a
        b = np.swapaxes(b, -1, -2) if self.trans_b else b
        return np.matmul(a, b)

    def grad(self, ins, out, g):
        a, b = ins
        ta, tb = self.trans_a, self.trans_b
        prod = lambda x, y, tx, ty: make(type(self)(tx, ty), x, y)
        # d op(A) = g op(B)^T and d op(B) = op(A)^T g, transposed back where A or B was.
        ga = prod(b, g, tb, True) if ta else prod(g, b, False, not tb)
        gb = prod(g, a, True, ta) if tb else prod(a, g, not ta, False)
        return [self._unbatch(ga, a), self._unbatch(gb, b)]

    def _unbatch(self, g, x):
        return g

    def lower(self, ins, out, L):
        L.emit('gemm', [ins[0].buf, ins[1].buf, out.buf], self._gemm_ip(ins, out), [1.0, 0.0])

    def _gemm_ip(self, ins, out):
        """The gemm kernel's first 13 integer parameters for out = op(A) @ op(B)."""
        a, b = ins[:2]
        m, k, _, n = self._mnk(a.shape, b.shape)
        batch = S.size(out.shape[:-2])

        def stride(x):
            return 0 if S.size(x.shape[:-2]) == 1 else x.shape[-1] * x.shape[-2]

        return [dtype_code(out.dtype), self.trans_a, self.trans_b, m, n, k,
                a.shape[-1], b.shape[-1], n, batch, stride(a), stride(b), m * n]


class MatMul(_Product):
    """op(A) @ op(B) for 2-D A and B."""


class BatchMatMul(_Product):
    """op(A[t]) @ op(B[t]) for every t along the leading batch axis of 3-D A and B; a batch
    size of 1 is broadcast against the other operand's."""
    ndim = 3

    def _batch(self, a_shape, b_shape):
        ba, bb = a_shape[0], b_shape[0]
        if ba == 1 or ba == bb:
            return (bb,)
        if bb == 1:
            return (ba,)
        if ba is None or bb is None:
            return (ba if bb is None else bb,)
        raise ShapeError('batch sizes differ: A has shape %s and B has shape %s'
                         % (fmt_shape(a_shape), fmt_shape(b_shape)))

    def _unbatch(self, g, x):
        """The gradient of a broadcast operand is summed over the batch."""
        return unbroadcast(g, x)


class MatMulEpilogue(_Product):
    """act(op(A) @ op(B) + bias) for 2-D A and B, bias of shape (N,) added to every row (when
    `bias`), act None or 'relu': one gemm instruction that adds the bias and applies relu to
    each tile of the product before storing it. Made by graph rewrites (rewrite/fuse_gemm.py)
    after differentiation, so it has no gradient. Inputs: (a, b), or (a, b, bias)."""
    ACTS = {None: 0, 'relu': 1}     # the gemm kernel's activation codes

    def __init__(self, trans_a=False, trans_b=False, bias=False, act=None):
        super().__init__(trans_a, trans_b)
        if act not in self.ACTS:
            raise ValueError("MatMulEpilogue: act must be None or 'relu'; got %r" % (act,))
        self.bias = bool(bias)
        self.act = act

    def infer(self, ins):
        want = 3 if self.bias else 2
        if len(ins) != want:
            raise ShapeError('takes %d inputs (a, b%s); got %d'
                             % (want, ', bias' if self.bias else '', len(ins)))
        dtype, shape = super().infer(ins[:2])
        if self.bias:
            c = ins[2]
            if c.ndim != 1 or not compatible_dim(c.shape[0], shape[1]):
                raise ShapeError('bias must have shape (N,) = (%s,), N the columns of the product '
                                 'of shape %s; got bias of shape %s'
                                 % (shape[1], fmt_shape(shape), fmt_shape(c.shape)))
            if c.dtype != dtype:
                raise ShapeError('bias must have the operands\' dtype %s; got %s' % (dtype, c.dtype))
        return dtype, shape

    def ref(self, a, b, *bias):
        out = super().ref(a, b)
        if bias:
            out = out + bias[0]
        if self.act == 'relu':
            out = np.maximum(out, 0)
        return out.astype(a.dtype)

    def grad(self, ins, out, g):
        raise TypeError('K.gradients: MatMulEpilogue exists only after differentiation (made by '
                        'graph rewrites); differentiate the MatMul, bias add and relu it replaces')

    def lower(self, ins, out, L):
        bufs = [i.buf for i in ins] + [out.buf]
        L.emit('gemm', bufs, self._gemm_ip(ins, out) + [int(self.bias), self.ACTS[self.act]], [1.0, 0.0])


# ----------------------------------------------------------------------------- layout helpers

def _same_dim(a, b):
    """Two dims (ints, or Dim tensors as shape.dims_of gives them) that are the same."""
    if isinstance(a, Tensor) or isinstance(b, Tensor):
        return isinstance(a, Tensor) and isinstance(b, Tensor) and a.node is b.node
    return a == b


def _size(dims):
    """The product of dims; a single dim itself, so that an unchanged axis stays recognisable."""
    return dims[0] if len(dims) == 1 else product(dims)


def _regroup(t, dims):
    """t reshaped to `dims` (ints and 0-d int tensors); t itself when that is its shape.
    A reshape only reinterprets the buffer."""
    own = dims_of(t)
    return t if len(dims) == len(own) and all(map(_same_dim, dims, own)) else reshape(t, dims)


def _matrix_operand(t):
    """(tensor, transposed): a 2-D transpose is read through gemm's flag instead of copied."""
    node = as_node(t)
    if isinstance(node.op, Transpose) and node.op.perm == (1, 0):
        return Tensor(node.inputs[0]), True
    return t, False


# ----------------------------------------------------------------------------- K functions

def _float_operands(x, y):
    """Tensors for x and y in one float dtype: ints become floatx, float32 with float64 float64."""
    xn, yn = as_node(x), as_node(y)
    dt = result_dtype(xn.dtype, yn.dtype)
    if not is_float(dt):
        dt = config.floatx()
    return cast(Tensor(xn), dt), cast(Tensor(yn), dt)


def _shape_error(msg):
    return ShapeError(msg + describe(provenance()))


def dot(x, y):
    """Theano's T.dot. With a 0-d operand, x * y. Otherwise x's last axis is contracted with
    y's second-to-last (its only axis when y is 1-D); the result has shape
    x.shape[:-1] + y.shape[:-2] + y.shape[-1:], so vector.vector is a scalar and matrix.vector,
    vector.matrix are numpy.dot's. Integer operands are cast to floatx first."""
    x, y = _float_operands(x, y)
    nx, ny = x.ndim, y.ndim
    if nx == 0 or ny == 0:
        return x * y
    xs, ys = as_node(x).shape, as_node(y).shape
    ky = ys[max(ny - 2, 0)]
    if not compatible_dim(xs[-1], ky):
        raise _shape_error('dot: shapes %s and %s are not aligned: the last axis of x (%d) must '
                           'match axis %d of y (%d)' % (fmt_shape(xs), fmt_shape(ys), xs[-1], max(ny - 2, 0), ky))
    if nx == 2 and ny == 2:      # Dense's forward pass: one MatMul node, no reshapes
        (a, ta), (b, tb) = _matrix_operand(x), _matrix_operand(y)
        return make(MatMul(ta, tb), a, b)
    xd, yd = dims_of(x), dims_of(y)
    a = _regroup(x, [_size(xd[:-1]), xd[-1]])
    if ny == 1:
        b = _regroup(y, [yd[0], 1])
    else:   # (batch..., k, n) -> (k, batch..., n) -> (k, batch... * n)
        moved = transpose_axes(y, (ny - 2,) + tuple(range(ny - 2)) + (ny - 1,))
        b = _regroup(moved, [yd[-2], _size(yd[:-2] + yd[-1:])])
    return _regroup(make(MatMul(), a, b), xd[:-1] + yd[:-2] + (yd[-1:] if ny > 1 else []))


def _axes_list(axes, ndim, what):
    axes = [axes] if isinstance(axes, (int, np.integer)) else list(axes)
    out = []
    for a in axes:
        a = int(a)
        if not -ndim <= a < ndim:
            raise _shape_error('batch_dot: axis %d is out of range for %s, which is %d-D'
                               % (a, what, ndim))
        out.append(a % ndim)
    return tuple(out)


def _batch_matrix(t, rows, cols):
    """t (batch first) as a 3-D (batch, prod(rows), prod(cols)) operand of BatchMatMul and its
    transpose flag; a copy is made only when t's axes are in neither order."""
    d = dims_of(t)
    size = lambda axes: _size([d[a] for a in axes])
    if (0,) + rows + cols == tuple(range(t.ndim)):
        return _regroup(t, [d[0], size(rows), size(cols)]), False
    if (0,) + cols + rows == tuple(range(t.ndim)):
        return _regroup(t, [d[0], size(cols), size(rows)]), True
    return _regroup(transpose_axes(t, (0,) + rows + cols), [d[0], size(rows), size(cols)]), False


def batch_dot(x, y, axes=None):
    """Keras 1.2.2's Theano batch_dot: for each sample t along axis 0, the tensordot of x[t]
    and y[t] contracting x's axes[0] with y's axes[1] (T.batched_tensordot). An int axes means
    (axes, axes); None means (x.ndim - 1, y.ndim - 2). The result has shape
    (batch,) + x's free axes + y's free axes, at least 2-D: a 1-D result becomes (batch, 1).
    Integer operands are cast to floatx first."""
    x, y = _float_operands(x, y)
    xs, ys = as_node(x).shape, as_node(y).shape
    if x.ndim < 2 or y.ndim < 2:
        raise _shape_error('batch_dot: x and y need a batch axis and at least one more; got '
                           'shapes %s and %s' % (fmt_shape(xs), fmt_shape(ys)))
    if isinstance(axes, (int, np.integer)):
        axes = (axes, axes)
    if axes is None:
        axes = (x.ndim - 1, y.ndim - 2)
    if len(axes) != 2:
        raise ValueError('batch_dot: axes must be an int or a pair (axes of x, axes of y); got %r'
                         % (axes,))
    ax, ay = _axes_list(axes[0], x.ndim, 'x'), _axes_list(axes[1], y.ndim, 'y')
    if len(ax) != len(ay):
        raise _shape_error('batch_dot: axes %s of x and %s of y differ in number' % (ax, ay))
    for what, axs in (('x', ax), ('y', ay)):
        if 0 in axs or len(set(axs)) != len(axs):
            raise _shape_error('batch_dot: axes %s of %s (shape %s) must be distinct and must not '
                               'include the batch axis 0' % (axs, what, fmt_shape(xs if what == 'x' else ys)))
    for a, b in zip(ax, ay):
        if not compatible_dim(xs[a], ys[b]):
            raise _shape_error('batch_dot: shapes %s and %s do not match on the contracted axes: '
                               'axis %d of x has size %d, axis %d of y has size %d'
                               % (fmt_shape(xs), fmt_shape(ys), a, xs[a], b, ys[b]))
    if not compatible_dim(xs[0], ys[0]):
        raise _shape_error('batch_dot: batch sizes differ: shapes %s and %s' % (fmt_shape(xs), fmt_shape(ys)))
    x_free = tuple(a for a in range(1, x.ndim) if a not in ax)
    y_free = tuple(a for a in range(1, y.ndim) if a not in ay)
    a, ta = _batch_matrix(x, x_free, ax)
    b, tb = _batch_matrix(y, ay, y_free)
    out = make(BatchMatMul(ta, tb), a, b)
    if len(x_free) == 1 and len(y_free) == 1:
        return out          # already (batch, x's free axis, y's free axis)
    xd, yd = dims_of(x), dims_of(y)
    out_dims = xd[:1] + [xd[a] for a in x_free] + [yd[a] for a in y_free]
    return _regroup(out, out_dims if len(out_dims) > 1 else out_dims + [1])
