"""Shape ops: reshape and its relatives (flatten, expand_dims, squeeze: aliases of the input's
buffer, no copy), transposition (Theano's dimshuffle), concatenation and stacking, slicing
along an axis and its adjoint, reversal, repetition and tiling, pattern_broadcast, arange.

Everything that moves data is one strided copy per input (copy_strided in
csrc/kernels/copy.cpp); repetition and tiling are a size-1 axis inserted by a reshape, a
BroadcastTo and a reshape back, so their gradients are the existing SumTo. arange is the only
kernel of this family (csrc/kernels/shape.cpp), and runs only when its result is too large to
fold into a constant.

Target shapes are int64 vectors whose values must be known when the program is specialised.
A shape given as a tuple holding tensors (K.shape(x)[0], ...) becomes a Stack of scalars,
which tells static_entries what is known of each entry while the graph is built."""
import numbers

import numpy as np

from .. import config
from ..graph import (INT_DTYPES, Op, ShapeError, Tensor, as_node, compatible_shapes, fmt_shape,
                     is_float, make, normalize_dtype, static_size)
from ..lower import dtype_code
from . import strides as S
from .broadcast import broadcast_to, shape, static_entries, static_scalar
from .elementwise import cast, is_scalar, result_dtype, scalar_dtype

__all__ = ['reshape', 'flatten', 'batch_flatten', 'expand_dims', 'squeeze', 'transpose',
           'permute_dimensions', 'concatenate', 'stack', 'repeat', 'repeat_elements', 'tile',
           'reverse', 'pattern_broadcast', 'resize_images', 'resize_volumes', 'arange']


def _itemsize(meta):
    return np.dtype(meta.dtype).itemsize


def _merge(a, b):
    """Two static dims that must agree: the known one (None if neither is)."""
    return a if a is not None else b


def _compatible_except(s, t, axis):
    """Two shapes of one rank whose known dims agree on every axis but `axis`."""
    return len(s) == len(t) and compatible_shapes(s[:axis] + s[axis + 1:], t[:axis] + t[axis + 1:])


def _axis(axis, ndim, fn, shp):
    """axis as a non-negative int, negative counting from the end, or a ShapeError."""
    if not isinstance(axis, (numbers.Integral, np.integer)) or isinstance(axis, bool):
        raise TypeError('%s: axis must be an int; got %r' % (fn, axis))
    if not -ndim <= axis < ndim:
        raise ShapeError('%s: axis %d is out of range for a tensor of shape %s' % (fn, axis, fmt_shape(shp)))
    return int(axis) % ndim


# ----------------------------------------------------------------------------- shape values

class Dim(Op):
    """One dimension of a tensor as an int64 scalar (Theano's Shape_i). It folds to a constant
    as soon as the dimension is known, so it never runs."""

    def __init__(self, axis):
        self.axis = axis

    def infer(self, ins):
        return 'int64', ()

    def fold(self, ins):
        d = ins[0].shape[self.axis]
        return None if d is None else np.int64(d)

    def ref(self, x):
        return np.int64(x.shape[self.axis])

    def static_scalar(self, node):
        return node.inputs[0].shape[self.axis]

    def grad(self, ins, out, g):
        return [None]


def _dim(x, axis):
    """Dimension `axis` of x: an int when known while the graph is built, else a scalar tensor."""
    node = as_node(x)
    d = node.shape[axis]
    return d if d is not None else make(Dim(axis), node)


def dims_of(x):
    return [_dim(x, a) for a in range(as_node(x).ndim)]


def _is_int(v):
    return isinstance(v, (numbers.Integral, np.integer)) and not isinstance(v, (bool, np.bool_))


def shape_vector(shape, fn):
    """An int vector tensor for a target shape given to `fn`: an int vector tensor such as
    K.shape(x) (returned as it is), or an int or a sequence of ints and 0-d int tensors such
    as K.shape(x)[0] (an int64 constant when every entry is an int, else a Stack of int64
    scalars)."""
    if isinstance(shape, Tensor):
        if shape.ndim != 1 or is_float(shape.dtype):
            raise _not_a_shape(shape.node)
        return shape
    entries = [shape] if isinstance(shape, (int, np.integer)) else list(shape)
    if all(_is_int(e) for e in entries):
        return Tensor(as_node(np.array(entries, dtype=np.int64).reshape(-1)))
    nodes = [_entry_node(e, fn) for e in entries]
    if all(n.ndim == 0 and not is_float(n.dtype) for n in nodes):
        return make(Stack(), *_cast_all(nodes, 'int64'))
    # as in Theano, the entries stand for the vector they stack into: name that in the error
    raise _not_a_shape(stack(entries).node)


def _entry_node(e, fn):
    if isinstance(e, Tensor):
        return e.node
    if _is_int(e):
        return as_node(int(e), 'int64')
    try:
        return as_node(e)
    except TypeError:
        raise TypeError('%s: shape entries must be ints or 0-d int tensors (such as '
                        'K.shape(x)[0]); got %r' % (fn, e)) from None


def _not_a_shape(node):
    return ShapeError('a shape must be an int vector or a tuple of ints and int scalars; got a '
                      '%s tensor of shape %s' % (node.dtype, node.shape))


# ----------------------------------------------------------------------------- reshape

def _reshape_shape(in_shape, entries):
    """The output shape of reshaping in_shape to `entries` (ints, at most one -1, None for an
    entry unknown until specialisation); checks the element count when it can."""
    if sum(d == -1 for d in entries) > 1 or any(d is not None and d < -1 for d in entries):
        raise ShapeError('target shape %s may hold one -1 and no other negative size' % fmt_shape(entries))
    size = static_size(in_shape)
    known = static_size(d for d in entries if d != -1)
    out = list(entries)
    if -1 in out:
        i = out.index(-1)
        if size is None or known is None:
            out[i] = None
        elif known == 0 or size % known:
            raise ShapeError('cannot reshape a tensor of shape %s (%d elements) into shape %s'
                             % (fmt_shape(in_shape), size, fmt_shape(entries)))
        else:
            out[i] = size // known
    elif size is not None and known is not None and size != known:
        raise ShapeError('cannot reshape a tensor of shape %s (%d elements) into shape %s '
                         '(%d elements)' % (fmt_shape(in_shape), size, fmt_shape(entries), known))
    return tuple(out)


class Reshape(Op):
    """x with another shape (an int vector, one entry may be -1): the same buffer."""
    alias = True
    static_inputs = (1,)

    def infer(self, ins):
        x, target = ins
        if target.dtype not in INT_DTYPES or len(target.shape) != 1:
            raise ShapeError('the target shape must be an int vector; got a %s tensor of shape %s'
                             % (target.dtype, fmt_shape(target.shape)))
        return x.dtype, _reshape_shape(x.shape, static_entries(target))

    def ref(self, x, target):
        return x.reshape(tuple(int(d) for d in target))

    def grad(self, ins, out, g):
        return [reshape(g, shape(ins[0])), None]


def reshape(x, shape):
    """x reshaped; `shape` is a tuple/list of ints (one may be -1) and 0-d int tensors such as
    K.shape(x)[0], or a 1-D int tensor. No data is copied."""
    if isinstance(shape, Tensor):
        target = shape if shape.dtype == 'int64' else cast(shape, 'int64')
    elif isinstance(shape, (tuple, list)) or _is_int(shape) or (
            isinstance(shape, np.ndarray) and shape.ndim == 1):
        target = shape_vector(shape, 'reshape')
    else:
        raise TypeError('reshape: shape must be a tuple or list of ints and 0-d int tensors, or '
                        'a 1-D int tensor; got %r' % (shape,))
    return make(Reshape(), x, target)


def flatten(x):
    """x as a vector (Theano's flatten: a scalar becomes a 1-vector)."""
    node = as_node(x)
    return reshape(node, [product(dims_of(node))])


def batch_flatten(x):
    """x as a matrix (batch, everything else); works with an unknown batch size."""
    node = as_node(x)
    if node.ndim == 0:
        raise ShapeError('batch_flatten: x must have a batch axis; got a 0-d tensor')
    dims = dims_of(node)
    return reshape(node, [dims[0], product(dims[1:])])


def product(dims):
    """The product of dims that are ints or scalar tensors (a tensor if any is one)."""
    p = 1
    for d in dims:
        p = p * d
    return p


def expand_dims(x, dim=-1):
    """x with a size-1 axis inserted at `dim`. Keras' rule for negative dim: dim % ndim + 1
    (so -1 appends), or 0 for a scalar."""
    node = as_node(x)
    nd = node.ndim
    if dim < 0:
        dim = dim % nd + 1 if nd else 0
    pattern = list(range(nd))
    pattern.insert(dim, 'x')
    return dimshuffle(node, pattern)


def squeeze(x, axis):
    """x without its size-1 axis `axis`."""
    node = as_node(x)
    axis = _axis(axis, node.ndim, 'squeeze', node.shape)
    if node.shape[axis] not in (1, None):
        raise ShapeError('squeeze: axis %d of a tensor of shape %s has size %d; only a size-1 '
                         'axis can be removed' % (axis, fmt_shape(node.shape), node.shape[axis]))
    dims = dims_of(node)
    return reshape(node, dims[:axis] + dims[axis + 1:])


# ----------------------------------------------------------------------------- transposition

class Transpose(Op):
    """The axes of x permuted: out.shape[j] = x.shape[perm[j]]. One strided copy."""

    def __init__(self, perm):
        self.perm = tuple(perm)

    def infer(self, ins):
        shp = ins[0].shape
        if sorted(self.perm) != list(range(len(shp))):
            raise ShapeError('pattern %s is not a permutation of the axes of a tensor of shape %s'
                             % (self.perm, fmt_shape(shp)))
        return ins[0].dtype, tuple(shp[p] for p in self.perm)

    def ref(self, x):
        return np.transpose(x, self.perm)

    def grad(self, ins, out, g):
        return [transpose_axes(g, np.argsort(self.perm))]

    def lower(self, ins, out, L):
        cs = S.contiguous_strides(ins[0].shape)
        L.emit('copy_strided', [ins[0].buf, out.buf],
               S.copy_params(_itemsize(out), out.shape, [cs[p] for p in self.perm],
                             S.contiguous_strides(out.shape)))


def transpose_axes(x, perm):
    """Transpose(perm) of x; the identity is x itself and a transpose of a transpose is one."""
    node = as_node(x)
    perm = tuple(int(p) for p in perm)
    if perm == tuple(range(node.ndim)):
        return Tensor(node)
    if isinstance(node.op, Transpose) and sorted(perm) == list(range(node.ndim)):
        return transpose_axes(node.inputs[0], [node.op.perm[p] for p in perm])
    return make(Transpose(perm), node)


def dimshuffle(x, *pattern):
    """Theano's dimshuffle: pattern entries are axes of x, in their new order, or 'x' for a new
    size-1 axis; axes left out must have size 1. dimshuffle(0, 'x', 1) or dimshuffle((0, 'x', 1))."""
    if len(pattern) == 1 and isinstance(pattern[0], (list, tuple)):
        pattern = pattern[0]
    pattern = tuple(pattern)
    node = as_node(x)
    nd = node.ndim
    kept = [p for p in pattern if not (isinstance(p, str) and p == 'x')]
    if (not all(_is_int(p) and 0 <= p < nd for p in kept)) or len(set(kept)) != len(kept):
        raise ShapeError('dimshuffle: pattern %s is invalid for a tensor of shape %s: its entries '
                         'must be distinct axes in [0, %d) or \'x\'' % (pattern, fmt_shape(node.shape), nd))
    dropped = [a for a in range(nd) if a not in kept]
    for a in dropped:
        if node.shape[a] not in (1, None):
            raise ShapeError('dimshuffle: pattern %s leaves out axis %d of a tensor of shape %s, '
                             'which has size %d; only size-1 axes can be left out'
                             % (pattern, a, fmt_shape(node.shape), node.shape[a]))
    y = transpose_axes(node, kept + dropped) if kept != sorted(kept) else Tensor(node)
    if len(kept) == len(pattern) and not dropped:
        return y
    dims = dims_of(node)
    return reshape(y, [dims[p] if p in kept else 1 for p in pattern])


def permute_dimensions(x, pattern):
    """x with its axes permuted: pattern (0, 2, 1) swaps the last two. As in Keras' Theano
    backend this is dimshuffle, so 'x' entries add size-1 axes."""
    return dimshuffle(x, tuple(pattern))


def transpose(x):
    """x with its axes reversed."""
    return transpose_axes(x, range(as_node(x).ndim)[::-1])


def _install_methods():
    Tensor.T = property(transpose, doc='The transpose (axes reversed), as in Theano.')
    Tensor.dimshuffle = dimshuffle


_install_methods()


# ----------------------------------------------------------------------------- joining

def _check_same_dtype(ins):
    for k, x in enumerate(ins):
        if x.dtype != ins[0].dtype:
            raise ShapeError('input %d is %s but input 0 is %s' % (k, x.dtype, ins[0].dtype))


class Concatenate(Op):
    """The inputs joined along an existing axis: one strided copy per input into its slice."""

    def __init__(self, axis):
        self.axis = axis

    def infer(self, ins):
        _check_same_dtype(ins)
        first, a = ins[0].shape, self.axis
        if not 0 <= a < len(first):
            raise ShapeError('axis %d is out of range for inputs of shape %s (use stack to join '
                             'scalars)' % (a, fmt_shape(first)))
        dims, total = list(first), 0
        for k, x in enumerate(ins):
            if not _compatible_except(x.shape, first, a):
                raise ShapeError('input %d has shape %s and input 0 has shape %s: all dimensions '
                                 'but axis %d must match' % (k, fmt_shape(x.shape), fmt_shape(first), a))
            dims = [d if i == a else _merge(d, e) for i, (d, e) in enumerate(zip(dims, x.shape))]
            total = None if total is None or x.shape[a] is None else total + x.shape[a]
        dims[a] = total
        return ins[0].dtype, tuple(dims)

    def ref(self, *xs):
        return np.concatenate(xs, axis=self.axis)

    def forward(self, ins):
        return 0 if len(ins) == 1 else None

    def static_entries(self, node):
        """Of a joined shape vector: the entries of each piece."""
        _check_vector(node)
        return sum((tuple(static_entries(x)) for x in node.inputs), ())

    def grad(self, ins, out, g):
        grads, start = [], 0
        for x in ins:
            stop = start + _dim(x, self.axis)
            grads.append(_slice_axis(g, self.axis, start, stop))
            start = stop
        return grads

    def lower(self, ins, out, L):
        ds = S.contiguous_strides(out.shape)
        offset = 0
        for x in ins:
            if x.size:
                L.emit('copy_strided', [x.buf, out.buf],
                       S.copy_params(_itemsize(out), x.shape, S.contiguous_strides(x.shape), ds,
                                     0, offset * ds[self.axis]))
            offset += x.shape[self.axis]


class Stack(Op):
    """Tensors of one shape stacked along a new first axis; of scalars, a vector (Theano's
    MakeVector), which is how shapes holding tensors are built."""

    def infer(self, ins):
        _check_same_dtype(ins)
        dims = ins[0].shape
        for k, x in enumerate(ins):
            if not compatible_shapes(x.shape, dims):
                raise ShapeError('input %d has shape %s and input 0 has shape %s: stacked tensors '
                                 'must have one shape' % (k, fmt_shape(x.shape), fmt_shape(ins[0].shape)))
            dims = tuple(map(_merge, dims, x.shape))
        return ins[0].dtype, (len(ins),) + dims

    def ref(self, *xs):
        return np.stack(xs)

    def static_entries(self, node):
        """Of a vector of scalars: each scalar's value where it is known while building."""
        _check_vector(node)
        return tuple(static_scalar(x) for x in node.inputs)

    def grad(self, ins, out, g):
        return [reshape(_slice_axis(g, 0, k, k + 1), shape(x)) for k, x in enumerate(ins)]

    def lower(self, ins, out, L):
        for k, x in enumerate(ins):
            if x.size:
                L.emit('copy_strided', [x.buf, out.buf],
                       S.copy_params(_itemsize(out), [x.size], [1], [1], 0, k * x.size))


def _check_vector(node):
    if node.ndim != 1:
        raise ShapeError('a tensor of shape %s is not a shape vector' % fmt_shape(node.shape))


def _common_dtype(nodes):
    """The dtype arithmetic on all the nodes would have, except that joining keeps a common
    dtype as it is (bools stay bool)."""
    dt = nodes[0].dtype
    for n in nodes[1:]:
        if n.dtype != dt:
            dt = result_dtype(dt, n.dtype)
    return dt


def _cast_all(nodes, dtype):
    return [n if n.dtype == dtype else cast(Tensor(n), dtype).node for n in nodes]


def concatenate(tensors, axis=-1):
    """The tensors joined along `axis`; dtypes are promoted as in arithmetic."""
    nodes = [as_node(t) for t in tensors]
    if not nodes:
        raise ValueError('concatenate: no tensors given')
    if len(nodes) == 1:
        return Tensor(nodes[0])
    nd = nodes[0].ndim
    if nd == 0:
        raise ShapeError('concatenate: cannot join 0-d tensors along an axis; use K.stack')
    axis = _axis(axis, nd, 'concatenate', nodes[0].shape)
    return make(Concatenate(axis), *_cast_all(nodes, _common_dtype(nodes)))


def stack(tensors):
    """The tensors (or numbers) stacked along a new first axis (Theano's T.stack); numbers take
    the dtype of the tensors they are stacked with, as in arithmetic."""
    tensors = list(tensors)
    if not tensors:
        raise ValueError('stack: no tensors given')
    typed = [as_node(t) for t in tensors if not is_scalar(t)]
    if typed:
        dt = _common_dtype(typed)
        for t in tensors:
            if is_scalar(t) and scalar_dtype(t, dt) != dt:
                dt = result_dtype(dt, scalar_dtype(t, dt))
    else:
        dt = _common_dtype([as_node(t) for t in tensors])
    nodes = [as_node(t, dt) if is_scalar(t) else as_node(t) for t in tensors]
    return make(Stack(), *_cast_all(nodes, dt))


# ----------------------------------------------------------------------------- slicing

class SliceAxis(Op):
    """x[start:stop] along one axis (0 <= start <= stop <= size); start and stop are int
    scalars known when the program is specialised. One strided copy."""
    static_inputs = (1, 2)

    def __init__(self, axis):
        self.axis = axis

    def infer(self, ins):
        x, a = ins[0], self.axis
        start, stop = static_scalar(ins[1]), static_scalar(ins[2])
        d = x.shape[a]
        if start is not None and stop is not None and not (
                0 <= start <= stop and (d is None or stop <= d)):
            raise ShapeError('slice [%d:%d] of axis %d is out of range for a tensor of shape %s'
                             % (start, stop, a, fmt_shape(x.shape)))
        size = stop - start if start is not None and stop is not None else None
        return x.dtype, x.shape[:a] + (size,) + x.shape[a + 1:]

    def ref(self, x, start, stop):
        return x[(slice(None),) * self.axis + (slice(int(start), int(stop)),)]

    def forward(self, ins):
        full = static_scalar(ins[1]) == 0 and static_scalar(ins[2]) == ins[0].shape[self.axis]
        return 0 if full else None

    def grad(self, ins, out, g):
        return [make(EmbedAxis(self.axis), g, shape(ins[0]), ins[1]), None, None]

    def lower(self, ins, out, L):
        if not out.size:
            return
        cs = S.contiguous_strides(ins[0].shape)
        L.emit('copy_strided', [ins[0].buf, out.buf],
               S.copy_params(_itemsize(out), out.shape, cs, S.contiguous_strides(out.shape),
                             static_scalar(ins[1]) * cs[self.axis]))


class EmbedAxis(Op):
    """A zero tensor of the target shape with x written at [start:start + len] along one axis:
    the adjoint of SliceAxis. A fill, then one strided copy."""
    static_inputs = (1, 2)

    def __init__(self, axis):
        self.axis = axis

    def infer(self, ins):
        x, a = ins[0], self.axis
        target, start = static_entries(ins[1]), static_scalar(ins[2])
        if not _compatible_except(x.shape, target, a):
            raise ShapeError('a tensor of shape %s cannot fill a slice of axis %d of shape %s'
                             % (fmt_shape(x.shape), a, fmt_shape(target)))
        n, d = x.shape[a], target[a]
        if None not in (start, n, d) and not 0 <= start <= d - n:
            raise ShapeError('a tensor of shape %s does not fit at offset %d of axis %d of shape %s'
                             % (fmt_shape(x.shape), start, a, fmt_shape(target)))
        dims = [e if i == a else _merge(e, d) for i, (d, e) in enumerate(zip(x.shape, target))]
        return x.dtype, tuple(dims)

    def ref(self, x, target, start):
        out = np.zeros(tuple(int(d) for d in target), dtype=x.dtype)
        start = int(start)
        out[(slice(None),) * self.axis + (slice(start, start + x.shape[self.axis]),)] = x
        return out

    def grad(self, ins, out, g):
        x, _, start = ins
        return [_slice_axis(g, self.axis, start, start + _dim(x, self.axis)), None, None]

    def lower(self, ins, out, L):
        x = ins[0]
        L.emit('fill', [out.buf], [dtype_code(out.dtype), out.size], [0])
        if x.size:
            ds = S.contiguous_strides(out.shape)
            L.emit('copy_strided', [x.buf, out.buf],
                   S.copy_params(_itemsize(out), x.shape, S.contiguous_strides(x.shape), ds,
                                 0, static_scalar(ins[2]) * ds[self.axis]))


def _scalar_index(v):
    return as_node(int(v), 'int64') if _is_int(v) else as_node(v)


def _slice_axis(x, axis, start, stop):
    """x[start:stop] along axis; start and stop are ints or int scalar tensors."""
    return make(SliceAxis(axis), x, _scalar_index(start), _scalar_index(stop))


# ----------------------------------------------------------------------------- reversal

class Reverse(Op):
    """x reversed along some axes: one strided copy walking those axes backwards."""

    def __init__(self, axes):
        self.axes = tuple(sorted(axes))

    def infer(self, ins):
        shp = ins[0].shape
        if not all(0 <= a < len(shp) for a in self.axes):
            raise ShapeError('axes %s are out of range for a tensor of shape %s' % (self.axes, fmt_shape(shp)))
        return ins[0].dtype, shp

    def ref(self, x):
        return np.flip(x, self.axes).copy()

    def grad(self, ins, out, g):
        return [reverse(g, self.axes)]

    def lower(self, ins, out, L):
        if not out.size:
            return
        cs = S.contiguous_strides(out.shape)
        src = [-s if a in self.axes else s for a, s in enumerate(cs)]
        offset = sum((out.shape[a] - 1) * cs[a] for a in self.axes)
        L.emit('copy_strided', [ins[0].buf, out.buf],
               S.copy_params(_itemsize(out), out.shape, src, cs, offset))


def reverse(x, axes):
    """x reversed along `axes` (an int or a list). Negative axes count from the end (Keras
    1.2.2 silently ignored them)."""
    node = as_node(x)
    axes = [axes] if _is_int(axes) else list(axes)
    axes = {_axis(a, node.ndim, 'reverse', node.shape) for a in axes}
    if isinstance(node.op, Reverse):     # reversing twice along an axis is the identity
        node, axes = node.inputs[0], axes.symmetric_difference(node.op.axes)
    if not axes:
        return Tensor(node)
    return make(Reverse(axes), node)


# ----------------------------------------------------------------------------- repetition

def repeat_elements(x, rep, axis):
    """np.repeat(x, rep, axis): each element repeated rep times along axis."""
    node = as_node(x)
    axis = _axis(axis, node.ndim, 'repeat_elements', node.shape)
    _check_reps('repeat_elements', [rep])
    if rep == 1:
        return Tensor(node)
    d = dims_of(node)
    y = reshape(node, d[:axis + 1] + [1] + d[axis + 1:])
    y = broadcast_to(y, shape_vector(d[:axis + 1] + [rep] + d[axis + 1:], 'repeat_elements'))
    return reshape(y, d[:axis] + [d[axis] * rep] + d[axis + 1:])


def repeat(x, n):
    """A 2-D (samples, dim) tensor repeated to (samples, n, dim)."""
    node = as_node(x)
    if node.ndim != 2:
        raise ShapeError('repeat: x must be 2-D (samples, dim); got shape %s' % fmt_shape(node.shape))
    _check_reps('repeat', [n])
    d = dims_of(node)
    return broadcast_to(reshape(node, [d[0], 1, d[1]]), shape_vector([d[0], n, d[1]], 'repeat'))


def tile(x, n):
    """numpy.tile(x, n) (Theano's T.tile): n is an int or a tuple of ints; the shorter of n
    and x's shape is padded with leading 1s."""
    node = as_node(x)
    reps = list(n) if isinstance(n, (tuple, list)) else [n]
    _check_reps('tile', reps)
    nd = max(len(reps), node.ndim)
    reps = [1] * (nd - len(reps)) + reps
    d = [1] * (nd - node.ndim) + dims_of(node)
    if nd == node.ndim and all(r == 1 for r in reps):
        return Tensor(node)
    # out[r * size + i] = x[i] along each axis: a size-1 axis before each one, broadcast to reps
    y = reshape(node, [e for di in d for e in (1, di)])
    y = broadcast_to(y, shape_vector([e for r, di in zip(reps, d) for e in (r, di)], 'tile'))
    return reshape(y, [r * di for r, di in zip(reps, d)])


def _check_reps(fn, reps):
    for r in reps:
        if not _is_int(r) or r < 0:
            raise ValueError('%s: repetitions must be non-negative ints; got %r' % (fn, r))


def resize_images(X, height_factor, width_factor, dim_ordering):
    """Nearest-neighbour upsampling of 4-D images: rows repeated height_factor times, columns
    width_factor times (axes 2, 3 for 'th', 1, 2 for 'tf')."""
    for axis, f in zip(config.spatial_axes('resize_images', dim_ordering, 2, allow_default=False), (height_factor, width_factor)):
        X = repeat_elements(X, f, axis)
    return X


def resize_volumes(X, depth_factor, height_factor, width_factor, dim_ordering):
    """resize_images for 5-D volumes (axes 2, 3, 4 for 'th', 1, 2, 3 for 'tf')."""
    factors = (depth_factor, height_factor, width_factor)
    for axis, f in zip(config.spatial_axes('resize_volumes', dim_ordering, 3, allow_default=False), factors):
        X = repeat_elements(X, f, axis)
    return X


# ----------------------------------------------------------------------------- misc

class PatternBroadcast(Op):
    """x itself, with the axes marked True checked to have size 1 (Theano's patternbroadcast)."""

    def __init__(self, pattern):
        self.pattern = pattern

    def infer(self, ins):
        shp = ins[0].shape
        if len(self.pattern) != len(shp):
            raise ShapeError('broadcastable pattern %s does not match a tensor of shape %s'
                             % (self.pattern, fmt_shape(shp)))
        for a, (b, d) in enumerate(zip(self.pattern, shp)):
            if b and d not in (1, None):
                raise ShapeError('broadcastable pattern %s marks axis %d of a tensor of shape %s, '
                                 'which has size %d; only size-1 axes can be broadcastable'
                                 % (self.pattern, a, fmt_shape(shp), d))
        return ins[0].dtype, tuple(1 if b else d for b, d in zip(self.pattern, shp))

    def ref(self, x):
        return x

    def forward(self, ins):
        self.infer(ins)
        return 0

    def grad(self, ins, out, g):
        return [g]


def pattern_broadcast(x, broadcastable):
    """x, with the axes marked True in `broadcastable` required to have size 1."""
    return make(PatternBroadcast(tuple(bool(b) for b in broadcastable)), x)


def _static_number(x):
    if x.value is not None:
        return np.asarray(x.value).item()
    return static_scalar(x)


class Arange(Op):
    """[start, start + step, ...) below stop; start, stop and step are scalars known when the
    program is specialised. Folded to a constant unless large (csrc/kernels/shape.cpp)."""
    static_inputs = (0, 1, 2)

    def __init__(self, dtype):
        self.dtype = dtype

    def infer(self, ins):
        for name, x in zip(('start', 'stop', 'step'), ins):
            if x.shape != () or x.dtype == 'bool':
                raise ShapeError('%s must be a number or a 0-d numeric tensor; got a %s tensor '
                                 'of shape %s' % (name, x.dtype, fmt_shape(x.shape)))
        start, stop, step = map(_static_number, ins)
        if step == 0:
            raise ShapeError('step must not be 0')
        n = None if None in (start, stop, step) else max(0, int(np.ceil((stop - start) / step)))
        return self.dtype, (n,)

    def ref(self, start, stop, step):
        return np.arange(start.item(), stop.item(), step.item()).astype(self.dtype)

    def grad(self, ins, out, g):
        return [None, None, None]

    def lower(self, ins, out, L):
        start, _, step = map(_static_number, ins)
        L.emit('arange', [out.buf], [dtype_code(out.dtype), out.size], [start, step])


def _arange_arg(v):
    if isinstance(v, Tensor):
        return v.node
    return as_node(v, 'int64' if _is_int(v) else 'float64')


def arange(start, stop=None, step=1, dtype='int32'):
    """numpy's arange as a tensor: arange(stop) or arange(start, stop, step). Arguments are
    numbers or 0-d tensors known when the program is specialised (such as K.shape(x)[0])."""
    if stop is None:
        start, stop = 0, start
    return make(Arange(normalize_dtype(dtype)), *map(_arange_arg, (start, stop, step)))
