"""Shapes as values and broadcasting: Shape, Fill (zeros_like/ones_like), BroadcastTo and its
adjoint SumTo. Gradients of every broadcasting op end in SumTo, whose target shape is folded
to a constant when the program is specialised, so it is exact for any run-time shape."""
import numpy as np

from ..graph import Op, ShapeError, Tensor, apply, as_node, make, normalize_dtype
from ..lower import dtype_code
from . import strides as S

__all__ = ['shape', 'zeros_like', 'ones_like']


def static_entries(x):
    """What is known before run time of the entries of an int vector (a shape): a tuple of ints
    and None. `x` is a Node (build time) or a Meta (specialisation)."""
    n = x.shape[0] if x.shape and x.shape[0] is not None else None
    if x.value is not None:
        return tuple(int(v) for v in np.asarray(x.value).reshape(-1))
    node = getattr(x, 'node', x)
    hook = getattr(node.op, 'static_entries', None)
    if hook is not None:
        return hook(node)
    if n is None:
        raise ShapeError('the length of a shape vector must be known when the graph is built')
    return (None,) * n


def static_scalar(x):
    """The value of a 0-d int node if it is known before run time (an int), else None.
    Ops whose scalar output can be known from static shapes define static_scalar(node)."""
    if x.value is not None:
        return int(np.asarray(x.value))
    node = getattr(x, 'node', x)
    hook = getattr(node.op, 'static_scalar', None)
    return hook(node) if hook is not None else None


def shape_node(x):
    """The shape of node x as an int64 vector node (a constant when x's shape is static)."""
    return apply(Shape(), x)


class Shape(Op):
    """The run-time shape of a tensor, an int64 vector. Always static once specialised."""

    def infer(self, ins):
        return 'int64', (len(ins[0].shape),)

    def fold(self, ins):
        if any(d is None for d in ins[0].shape):
            return None
        return np.array(ins[0].shape, dtype=np.int64)

    def ref(self, x):
        return np.array(x.shape, dtype=np.int64)

    def static_entries(self, node):
        return tuple(node.inputs[0].shape)

    def grad(self, ins, out, g):
        return [None]


def target_shape(ins, i, ndim=None):
    entries = static_entries(ins[i])
    for d in entries:
        if d is not None and d < 0:
            raise ShapeError('negative dimension %d in target shape %s' % (d, entries))
    return tuple(entries)


class Fill(Op):
    """A tensor of the given shape filled with one value."""
    static_inputs = (0,)

    def __init__(self, value, dtype):
        self.value_ = float(value)
        self.dtype = dtype

    def infer(self, ins):
        return self.dtype, target_shape(ins, 0)

    def ref(self, shape):
        return np.full(tuple(int(d) for d in shape), self.value_, dtype=self.dtype)

    def grad(self, ins, out, g):
        return [None]

    def lower(self, ins, out, L):
        L.emit('fill', [out.buf], [dtype_code(out.dtype), out.size], [self.value_])


def fill(shape_vec, value, dtype):
    return make(Fill(value, normalize_dtype(dtype)), shape_vec)


def shape(x):
    """The symbolic shape of x (an int64 vector); index it, e.g. K.shape(x)[0]."""
    return Tensor(shape_node(as_node(x)))


Tensor.shape = property(shape, doc='The symbolic shape (an int64 vector), as in Theano.')


def zeros_like(x, dtype=None, name=None):
    node = as_node(x)
    return fill(Tensor(shape_node(node)), 0, dtype or node.dtype)


def ones_like(x, dtype=None, name=None):
    node = as_node(x)
    return fill(Tensor(shape_node(node)), 1, dtype or node.dtype)


def _check_broadcastable(src, dst):
    if len(src) > len(dst):
        raise ShapeError('cannot broadcast shape %s to %s' % (src, dst))
    for s, d in zip(src[::-1], dst[::-1]):
        if s is not None and d is not None and s != 1 and s != d:
            raise ShapeError('cannot broadcast shape %s to %s' % (src, dst))


class BroadcastTo(Op):
    """x repeated along its size-1 (and missing leading) dimensions to a target shape."""
    static_inputs = (1,)

    def infer(self, ins):
        target = target_shape(ins, 1)
        _check_broadcastable(ins[0].shape, target)
        return ins[0].dtype, target

    def ref(self, x, shape):
        return np.broadcast_to(x, tuple(int(d) for d in shape)).copy()

    def forward(self, ins):
        return 0 if ins[1].value is not None and tuple(ins[1].value) == ins[0].shape else None

    def grad(self, ins, out, g):
        return [sum_to(g, shape(ins[0])), None]

    def lower(self, ins, out, L):
        ss = S.broadcast_strides(ins[0].shape, out.shape)
        ip = S.copy_params(np.dtype(out.dtype).itemsize, out.shape, ss, S.contiguous_strides(out.shape))
        L.emit('copy_strided', [ins[0].buf, out.buf], ip)


def broadcast_to(x, shape_vec):
    return make(BroadcastTo(), x, shape_vec)


class SumTo(Op):
    """The sum of x over the dimensions along which a tensor of the target shape was broadcast:
    the adjoint of broadcasting."""
    static_inputs = (1,)

    def infer(self, ins):
        target = target_shape(ins, 1)
        _check_broadcastable(target, ins[0].shape)
        return ins[0].dtype, target

    def _axes(self, in_shape, target):
        pad = len(in_shape) - len(target)
        return tuple(range(pad)) + tuple(pad + i for i, (t, s) in enumerate(zip(target, in_shape[pad:]))
                                         if t == 1 and s != 1)

    def ref(self, x, shape):
        target = tuple(int(d) for d in shape)
        return np.sum(x, axis=self._axes(x.shape, target)).reshape(target).astype(x.dtype)

    def forward(self, ins):
        return 0 if ins[1].value is not None and tuple(ins[1].value) == ins[0].shape else None

    def grad(self, ins, out, g):
        return [broadcast_to(g, shape(ins[0])), None]

    def lower(self, ins, out, L):
        lower_reduce(L, 'SUM', ins[0], out, self._axes(ins[0].shape, out.shape))


def sum_to(x, shape_vec):
    return make(SumTo(), x, shape_vec)


def unbroadcast(g, like):
    """g summed down to the shape of tensor `like` (g may be None)."""
    if g is None:
        return None
    if as_node(g).shape == as_node(like).shape and None not in as_node(like).shape:
        return g
    return sum_to(g, shape(like))


REDUCE_CODES = {name: i for i, name in enumerate(
    ('SUM', 'PROD', 'MAX', 'MIN', 'ANY', 'ALL', 'ARGMAX', 'ARGMIN'))}   # csrc/kernels/reduce.cpp


def lower_reduce(L, opname, x, out, axes):
    """Emit the reduction `opname` of Meta x over `axes` into Meta out (same size as the
    result with or without kept dims). Adjacent reduced axes are merged; separated groups are
    reduced one after another through temporaries. ARGMAX/ARGMIN take exactly one axis."""
    shape = list(x.shape)
    axes = sorted(a % len(shape) for a in axes) if shape else []
    if not axes or S.size(shape) == 0 or all(shape[a] == 1 for a in axes):
        if opname in ('ARGMAX', 'ARGMIN'):
            L.emit('fill', [out.buf], [dtype_code(out.dtype), out.size], [0])
        elif S.size(shape) == 0 and out.size:
            identity = {'SUM': 0, 'PROD': 1, 'ANY': 0, 'ALL': 1}.get(opname)
            if identity is None:
                raise ShapeError('%s of an empty tensor has no identity' % opname.lower())
            L.emit('fill', [out.buf], [dtype_code(out.dtype), out.size], [identity])
        elif out.dtype == x.dtype:
            L.emit('copy', [x.buf, out.buf], [out.nbytes])
        else:
            L.emit('cast', [x.buf, out.buf], [dtype_code(x.dtype), dtype_code(out.dtype), out.size])
        return
    groups = []
    for a in axes:
        if groups and groups[-1][-1] == a - 1:
            groups[-1].append(a)
        else:
            groups.append([a])
    src, src_shape = x.buf, shape
    for gi, group in enumerate(reversed(groups)):
        outer = S.size(src_shape[:group[0]])
        r = S.size([src_shape[a] for a in group])
        inner = S.size(src_shape[group[-1] + 1:])
        new_shape = src_shape[:group[0]] + [1] * len(group) + src_shape[group[-1] + 1:]
        last = gi == len(groups) - 1
        dst = out.buf if last else L.temp(new_shape, out.dtype)
        L.emit('reduce', [src, dst], [REDUCE_CODES[opname], dtype_code(x.dtype if gi == 0 else out.dtype),
                                      dtype_code(out.dtype), outer, r, inner])
        src, src_shape = dst, new_shape
