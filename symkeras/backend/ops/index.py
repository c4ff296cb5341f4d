"""Indexing: basic indexing of tensors (Tensor.__getitem__) and its adjoint, row gather and its
adjoint scatter-add, one_hot, and zero padding (Keras 1 temporal/spatial padding).

Basic indexing, its adjoint and padding are each one strided copy over a tensor's contiguous
layout (copy_strided in csrc/kernels/copy.cpp; reversed slices walk negative strides from an
offset), preceded by a zero fill where the result is larger than what is copied in. Gather and
scatter-add are csrc/kernels/gather.cpp."""
import numbers

import numpy as np

from .. import config
from ..graph import INT_DTYPES, Op, ShapeError, Tensor, as_node, compatible_shapes, make
from ..lower import dtype_code
from . import strides as S
from .broadcast import shape, static_entries as entries_of, static_scalar
from .elementwise import cast, equal

__all__ = ['gather', 'one_hot', 'temporal_padding', 'asymmetric_temporal_padding',
           'spatial_2d_padding', 'asymmetric_spatial_2d_padding', 'spatial_3d_padding']


# ----------------------------------------------------------------------------- basic indexing
#
# A basic index is stored as a tuple of entries that covers every input axis, left to right:
#   an int              picks one position and drops the axis (negative counts from the end);
#   (start, stop, step) a Python slice of the axis (numpy clamping; step may be negative);
#   None                a new axis of size 1 (consumes no input axis).
# The entries hold the user's numbers, not resolved bounds, so a slice of a dimension unknown
# when the graph is built is resolved when the program is specialised to concrete shapes.

_FULL = (None, None, 1)


def _walk(entries, in_shape):
    """(entry, input axis, its size) for each entry; a new axis consumes none (None, None)."""
    axis = 0
    for e in entries:
        if e is None:
            yield e, None, None
        else:
            yield e, axis, in_shape[axis]
            axis += 1


def _index_shape(entries, in_shape):
    """The shape of x[entries] for x of shape in_shape (dims may be None); checks int indices
    against known dims."""
    out = []
    for e, axis, d in _walk(entries, in_shape):
        if e is None:
            out.append(1)
        elif isinstance(e, tuple):
            out.append(None if d is None else len(range(*slice(*e).indices(d))))
        elif d is not None and not -d <= e < d:
            raise ShapeError('index %d is out of range for axis %d with size %d (shape %s)'
                             % (e, axis, d, tuple(in_shape)))
    return tuple(out)


def _region(entries, in_shape):
    """For a concrete in_shape: the element strides (one per output axis) and element offset
    of x[entries] inside the contiguous layout of x."""
    cs = S.contiguous_strides(in_shape)
    strides, offset = [], 0
    for e, axis, d in _walk(entries, in_shape):
        if e is None:
            strides.append(0)
        elif isinstance(e, tuple):
            start, stop, step = slice(*e).indices(d)
            strides.append(step * cs[axis])
            if len(range(start, stop, step)):
                offset += start * cs[axis]
        else:
            offset += (e % d) * cs[axis]
    return strides, offset


def _is_identity(entries, in_shape):
    """True when x[entries] is x itself (every entry a slice that keeps its whole axis)."""
    for e, d in zip(entries, in_shape):
        if not isinstance(e, tuple):
            return False
        if d is None:
            if e != _FULL:
                return False
        elif slice(*e).indices(d) != (0, d, 1):
            return False
    return len(entries) == len(in_shape)


def _numpy_key(entries):
    return tuple(slice(*e) if isinstance(e, tuple) else (np.newaxis if e is None else e)
                 for e in entries)


def _zeros_then_copy(L, src, out, dst_strides, dst_offset):
    """out = zeros, then the contiguous tensor src copied into the region of out given by
    element strides (one per axis of src) and an element offset."""
    if out.size:
        L.emit('fill', [out.buf], [dtype_code(out.dtype), out.size], [0])
    if src.size:
        L.emit('copy_strided', [src.buf, out.buf],
               S.copy_params(np.dtype(out.dtype).itemsize, src.shape,
                             S.contiguous_strides(src.shape), dst_strides, 0, dst_offset))


class Subtensor(Op):
    """x[entries]: basic indexing (ints, slices, new axes), a strided copy of a region of x."""

    def __init__(self, entries):
        self.entries = entries

    def infer(self, ins):
        return ins[0].dtype, _index_shape(self.entries, ins[0].shape)

    def ref(self, x):
        return np.array(x[_numpy_key(self.entries)])

    def forward(self, ins):
        return 0 if _is_identity(self.entries, ins[0].shape) else None

    def grad(self, ins, out, g):
        return [make(EmbedSubtensor(self.entries), g, shape(ins[0]))]

    def lower(self, ins, out, L):
        if not out.size:
            return
        strides, offset = _region(self.entries, ins[0].shape)
        L.emit('copy_strided', [ins[0].buf, out.buf],
               S.copy_params(np.dtype(out.dtype).itemsize, out.shape, strides,
                             S.contiguous_strides(out.shape), offset))

    def static_scalar(self, node):
        """Entry i of an int vector when it is known before run time: K.shape(x)[0] is an int
        while the graph is built if x's first dimension is static."""
        if len(self.entries) != 1 or not isinstance(self.entries[0], int):
            return None
        i = self.entries[0]
        try:
            known = entries_of(node.inputs[0])
        except ShapeError:
            return None
        return known[i] if -len(known) <= i < len(known) else None

    @property
    def static_entries(self):
        """The hook of broadcast.static_entries for a slice of a vector (K.shape(x)[1:]);
        other indexings have none."""
        if len(self.entries) == 1 and isinstance(self.entries[0], tuple):
            cut = slice(*self.entries[0])
            return lambda node: tuple(entries_of(node.inputs[0])[cut])
        return None


class EmbedSubtensor(Op):
    """A zero tensor of the target shape with g written into the region [entries]: the adjoint
    of Subtensor (Theano's inc_subtensor of g into zeros)."""
    static_inputs = (1,)

    def __init__(self, entries):
        self.entries = entries

    def infer(self, ins):
        g, target = ins[0], entries_of(ins[1])
        region = _index_shape(self.entries, target)
        if not compatible_shapes(region, g.shape):
            raise ShapeError('the value has shape %s but the region it fills in a tensor of '
                             'shape %s has shape %s' % (tuple(g.shape), target, region))
        return g.dtype, target

    def ref(self, g, target):
        out = np.zeros(tuple(int(d) for d in target), dtype=g.dtype)
        out[_numpy_key(self.entries)] = g
        return out

    def grad(self, ins, out, g):
        return [make(Subtensor(self.entries), g), None]

    def lower(self, ins, out, L):
        strides, offset = _region(self.entries, out.shape)
        _zeros_then_copy(L, ins[0], out, strides, offset)


def _index_int(k):
    """k as an int index if it is one (a Python/numpy integer, or a 0-d integer tensor whose
    value is known before run time), else None."""
    if isinstance(k, (bool, np.bool_)):
        return None
    if isinstance(k, numbers.Integral):
        return int(k)
    if isinstance(k, np.ndarray) and k.ndim == 0 and k.dtype.kind in 'iu':
        return int(k)
    if isinstance(k, Tensor) and k.ndim == 0 and k.dtype in INT_DTYPES:
        return static_scalar(k.node)
    return None


def _slice_bound(v, what):
    if v is None:
        return None
    i = _index_int(v)
    if i is None:
        raise TypeError('slice %s must be an integer known when the graph is built (or None); '
                        'got %r' % (what, v))
    return i


def _slice_entry(k):
    start, stop = _slice_bound(k.start, 'start'), _slice_bound(k.stop, 'stop')
    step = _slice_bound(k.step, 'step')
    step = 1 if step is None else step
    if step == 0:
        raise ValueError('slice step cannot be zero')
    if step > 0 and start == 0:
        start = None      # one spelling per region, so equal slices share a node
    return (start, stop, step)


def _entries(key, ndim):
    """The Subtensor entries of a basic index `key` on a tensor of rank ndim."""
    items = key if isinstance(key, tuple) else (key,)
    n_ellipsis = sum(k is Ellipsis for k in items)
    if n_ellipsis > 1:
        raise IndexError('an index can only have a single ellipsis (...)')
    consumed = sum(k is not None and k is not Ellipsis for k in items)
    if consumed > ndim:
        raise IndexError('too many indices: %d for a tensor of rank %d' % (consumed, ndim))
    rest = (_FULL,) * (ndim - consumed)
    entries = []
    for k in items:
        if k is Ellipsis:
            entries.extend(rest)
        elif k is None:
            entries.append(None)
        elif isinstance(k, slice):
            entries.append(_slice_entry(k))
        else:
            i = _index_int(k)
            if i is None:
                raise TypeError('invalid index %r: use integers, slices, None, ... or, alone, '
                                'an integer tensor or array (a gather of rows along axis 0)' % (k,))
            entries.append(i)
    return tuple(entries) + (() if n_ellipsis else rest)


def _is_gather_key(key):
    """x[idx] with one integer tensor or array (not a static scalar) is a gather of rows."""
    if isinstance(key, tuple):
        if len(key) != 1:
            return False
        key = key[0]
    if isinstance(key, (Tensor, list, np.ndarray)):
        return _index_int(key) is None
    return False


def _getitem(x, key):
    """x[key]: basic indexing (ints, slices with any step, None, ...), or x[idx] with an
    integer tensor idx: gather(x, idx)."""
    if _is_gather_key(key):
        return gather(x, key[0] if isinstance(key, tuple) else key)
    node = x.node
    entries = _entries(key, node.ndim)
    if _is_identity(entries, node.shape):
        return Tensor(node)
    return make(Subtensor(entries), node)


Tensor.__getitem__ = _getitem


# ----------------------------------------------------------------------------- gather

def _check_static_indices(idx, rows):
    """Indices known before run time (constants) are checked against a known row count."""
    if idx.value is None or rows is None or idx.value.size == 0:
        return
    bad = (idx.value < 0) | (idx.value >= rows)
    if bad.any():
        raise ShapeError('index %d is out of range for a reference with %d rows'
                         % (idx.value[bad].flat[0], rows))


def _check_index_dtype(idx):
    if idx.dtype not in ('int32', 'int64'):
        raise ShapeError('indices must be int32 or int64; got %s' % idx.dtype)


class Gather(Op):
    """reference[indices]: rows of axis 0; shape indices.shape + reference.shape[1:]."""

    def infer(self, ins):
        ref, idx = ins
        _check_index_dtype(idx)
        if not ref.shape:
            raise ShapeError('the reference must have at least one dimension; got a scalar')
        _check_static_indices(idx, ref.shape[0])
        return ref.dtype, tuple(idx.shape) + tuple(ref.shape[1:])

    def ref(self, reference, indices):
        return np.take(reference, indices, axis=0)

    def grad(self, ins, out, g):
        return [make(ScatterAdd(), g, ins[1], shape(ins[0])), None]

    def lower(self, ins, out, L):
        ref, idx = ins
        L.emit('gather', [ref.buf, idx.buf, out.buf],
               [dtype_code(idx.dtype), idx.size, ref.shape[0], S.size(ref.shape[1:]),
                np.dtype(ref.dtype).itemsize])


class ScatterAdd(Op):
    """A zero tensor of the target shape with row k of g added at row indices[k] (repeated
    indices accumulate): the adjoint of Gather."""
    static_inputs = (2,)

    def infer(self, ins):
        g, idx, target = ins[0], ins[1], entries_of(ins[2])
        _check_index_dtype(idx)
        if not target:
            raise ShapeError('the target shape must have at least one dimension')
        _check_static_indices(idx, target[0])
        expected = tuple(idx.shape) + target[1:]
        if not compatible_shapes(expected, g.shape):
            raise ShapeError('the rows have shape %s; indices of shape %s into a tensor of shape '
                             '%s need %s' % (tuple(g.shape), tuple(idx.shape), target, expected))
        return g.dtype, target

    def ref(self, g, indices, target):
        out = np.zeros(tuple(int(d) for d in target), dtype=g.dtype)
        np.add.at(out, indices, g)
        return out

    def grad(self, ins, out, g):
        return [make(Gather(), g, ins[1]), None, None]

    def lower(self, ins, out, L):
        g, idx = ins[0], ins[1]
        L.emit('scatter_add', [g.buf, idx.buf, out.buf],
               [dtype_code(g.dtype), dtype_code(idx.dtype), idx.size, out.shape[0],
                S.size(out.shape[1:])])


def gather(reference, indices):
    """reference[indices]: the rows of reference (along axis 0) at integer `indices` of any
    shape (int32 or int64; uint8 is widened); the result has shape
    indices.shape + reference.shape[1:]. A negative or out-of-range index is an error: when
    the graph is built for constant indices, else a RuntimeError when the step runs."""
    idx = as_node(indices)
    if idx.dtype == 'uint8':
        idx = cast(Tensor(idx), 'int32').node
    return make(Gather(), reference, idx)


def one_hot(indices, nb_classes):
    """One-hot encoding of integer `indices` (any shape) as floatx, shape
    indices.shape + (nb_classes,). An index outside [0, nb_classes) gives an all-zero row."""
    if not isinstance(nb_classes, numbers.Integral) or nb_classes < 0:
        raise ValueError('one_hot: nb_classes must be a non-negative integer; got %r' % (nb_classes,))
    column = Tensor(as_node(indices))[..., None]
    return cast(equal(column, np.arange(nb_classes, dtype='int32')), config.floatx())


# ----------------------------------------------------------------------------- padding

class Pad(Op):
    """x with `pads[a] = (before, after)` zeros added on each side of every axis a."""

    def __init__(self, pads):
        self.pads = pads

    def infer(self, ins):
        x = ins[0]
        return x.dtype, tuple(None if d is None else d + lo + hi
                              for d, (lo, hi) in zip(x.shape, self.pads))

    def ref(self, x):
        return np.pad(x, self.pads)

    def forward(self, ins):
        return 0 if not any(lo or hi for lo, hi in self.pads) else None

    def grad(self, ins, out, g):
        interior = tuple((lo or None, -hi if hi else None, 1) for lo, hi in self.pads)
        return [make(Subtensor(interior), g)]

    def lower(self, ins, out, L):
        cs = S.contiguous_strides(out.shape)
        offset = sum(lo * s for (lo, _), s in zip(self.pads, cs))
        _zeros_then_copy(L, ins[0], out, cs, offset)


def _pad(fn, x, ndim, pads_of_axes):
    """x zero-padded by {axis: (before, after)}; x must have rank ndim."""
    node = as_node(x)
    if node.ndim != ndim:
        raise ValueError('%s expects a %d-D tensor; got one of shape %s' % (fn, ndim, node.shape))
    pads = []
    for axis in range(ndim):
        lo, hi = pads_of_axes.get(axis, (0, 0))
        if not (isinstance(lo, numbers.Integral) and isinstance(hi, numbers.Integral)
                and lo >= 0 and hi >= 0):
            raise ValueError('%s: padding must be non-negative integers; got %r for axis %d'
                             % (fn, (lo, hi), axis))
        pads.append((int(lo), int(hi)))
    return make(Pad(tuple(pads)), node)


def temporal_padding(x, padding=1):
    """Zeros added before and after axis 1 (time) of a 3-D tensor."""
    return _pad('temporal_padding', x, 3, {1: (padding, padding)})


def asymmetric_temporal_padding(x, left_pad=1, right_pad=1):
    """left_pad zeros before and right_pad zeros after axis 1 (time) of a 3-D tensor."""
    return _pad('asymmetric_temporal_padding', x, 3, {1: (left_pad, right_pad)})


def spatial_2d_padding(x, padding=(1, 1), dim_ordering='default'):
    """padding[0] zeros on both sides of the rows, padding[1] of the columns of a 4-D tensor."""
    rows, cols = config.spatial_axes('spatial_2d_padding', dim_ordering, 2)
    return _pad('spatial_2d_padding', x, 4,
                {rows: (padding[0], padding[0]), cols: (padding[1], padding[1])})


def asymmetric_spatial_2d_padding(x, top_pad=1, bottom_pad=1, left_pad=1, right_pad=1,
                                  dim_ordering='default'):
    """Zeros above, below, left and right of the images in a 4-D tensor."""
    rows, cols = config.spatial_axes('asymmetric_spatial_2d_padding', dim_ordering, 2)
    return _pad('asymmetric_spatial_2d_padding', x, 4,
                {rows: (top_pad, bottom_pad), cols: (left_pad, right_pad)})


def spatial_3d_padding(x, padding=(1, 1, 1), dim_ordering='default'):
    """padding[i] zeros on both sides of spatial axis i of a 5-D tensor."""
    axes = config.spatial_axes('spatial_3d_padding', dim_ordering, 3)
    return _pad('spatial_3d_padding', x, 5, {a: (p, p) for a, p in zip(axes, padding)})
