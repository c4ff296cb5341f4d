"""Pooling with the Keras 1.2.2 Theano backend's semantics: K.pool2d and K.pool3d.

One op, Pool, pools 1 to 3 spatial dimensions of a channels-first ('th': (N, C, spatial...))
or channels-last ('tf': (N, spatial..., C)) tensor; the kernels (csrc/kernels/pool.cpp) read
both layouts in place, so no transposition is ever made. Keras' MaxPooling1D and
AveragePooling1D pool a (N, steps, dim) tensor by expand_dims(x, 2), pool2d with pool
(length, 1) in 'tf' ordering and squeeze(y, 2): two reshapes, no copy.

Theano semantics (pool_2d / pool_3d with ignore_border=True):
- Along a spatial dim of length n, output i pools the input elements [i*s - p, i*s - p + k)
  that exist: padding is never read, so a max is over real elements and an average divides by
  the number of real elements (mode 'average_exc_pad'). Output length (n + 2p - k) // s + 1.
- border_mode 'valid': p = 0. 'same': Keras 1.2.2 padded by p = k - 2 for odd k > 2, else
  p = k - 1 (so k = 1: 0, k = 2: 1, k = 3: 1, k = 4: 3, k = 5: 3), on both sides, then cropped
  the result to its first ceil(n / s) entries. The windows therefore lean left: with k = s = 2
  the first window is element 0 alone, and when n is even the last element is never pooled
  (Theano's result, kept here). Keras 1.2.2's pool3d used the rule without the `k > 2` test,
  which gives p = -1 for k = 1 (no padding Theano defines); here pool3d uses pool2d's rule.
- A window larger than the padded input is an error (Theano returned an empty result).

Max pooling records, for each output, the flat spatial index within its input plane of the
element it took (int32): the second output of the Pool node, read by the gradient through
the projection PoolIndex. The gradient scatters each output gradient to that one element:
with ties, the FIRST maximum of the window (in row-major window order) receives it. Average
pooling's gradient spreads each output gradient evenly over the real elements of its window.

Where this differs from Theano: (1) ties: Theano's MaxPoolGrad gave the gradient to EVERY
element equal to the maximum (a window of four equal values passed on 4x the gradient);
(2) a NaN wins the maximum (the first NaN), as in K.max, where Theano's `a > max` loop kept a
NaN only when it was the window's first element; (3) integer inputs are pooled as floatx.
"""
import operator

import numpy as np

from .. import config
from ..graph import Op, Output, ShapeError, Tensor, apply, fmt_shape, is_float, make
from ..lower import dtype_code
from .broadcast import shape, target_shape
from .reduce import float_tensor

__all__ = ['pool2d', 'pool3d']

MODES = {'max': 0, 'avg': 1}      # csrc/kernels/pool.cpp PoolMode
_INDEX_LIMIT = 1 << 31            # spatial indices are int32


def same_padding(k):
    """Keras 1.2.2's padding of border_mode 'same' for a pool of length k (Theano backend)."""
    return k - 2 if k > 2 and k % 2 == 1 else k - 1


def output_length(n, k, s, p, same):
    """Pooled length of a spatial dim of length n (None if unknown); same: cropped to
    ceil(n / s) as Keras 1.2.2 did."""
    if n is None:
        return None
    out = (n + 2 * p - k) // s + 1
    return min(out, -(-n // s)) if same else out


class Pool(Op):
    """Max or average pooling of x over its spatial dims with windows `pool`, `strides` and
    `pad` (tuples, one entry per spatial dim); `same` crops as border_mode 'same' did;
    channels_last: x is (N, spatial..., C), else (N, C, spatial...). Max pooling has a second
    output, the int32 index of each maximum (PoolIndex), which is stored only when read."""

    def __init__(self, mode, pool, strides, pad, same, channels_last):
        if any(p >= k for p, k in zip(pad, pool)):   # the kernels rely on it
            raise ValueError('padding %s must be smaller than the pool %s, so that every window '
                             'holds an input element' % (pad, pool))
        self.mode = mode
        self.pool = tuple(pool)
        self.strides = tuple(strides)
        self.pad = tuple(pad)
        self.same = bool(same)
        self.channels_last = bool(channels_last)

    @property
    def args(self):
        """The constructor arguments: the ops derived from this one (its gradient) hold these,
        so equal poolings give equal derived ops."""
        return (self.mode, self.pool, self.strides, self.pad, self.same, self.channels_last)

    @property
    def name(self):
        return '%s_pool%dd' % (self.mode, len(self.pool))

    def split(self, shp):
        """(batch, channels, spatial dims) of a shape in this op's layout."""
        if self.channels_last:
            return shp[0], shp[-1], tuple(shp[1:-1])
        return shp[0], shp[1], tuple(shp[2:])

    def join(self, n, c, spatial):
        return (n,) + tuple(spatial) + (c,) if self.channels_last else (n, c) + tuple(spatial)

    def out_shape(self, x_shape):
        n, c, spatial = self.split(x_shape)
        return self.join(n, c, [output_length(d, k, s, p, self.same)
                                for d, k, s, p in zip(spatial, self.pool, self.strides, self.pad)])

    def layout(self):
        """'(batch, channels, dim1, dim2)' and the like, for messages."""
        dims = ['dim%d' % (i + 1) for i in range(len(self.pool))]
        return '(%s)' % ', '.join(['batch'] + (dims + ['channels'] if self.channels_last
                                               else ['channels'] + dims))

    def check_input(self, x):
        """ShapeError unless x is a float tensor of this op's rank whose padded spatial dims
        hold the pool."""
        layout = self.layout()
        if len(x.shape) != len(self.pool) + 2:
            raise ShapeError('x must be %d-D %s; got shape %s'
                             % (len(self.pool) + 2, layout, fmt_shape(x.shape)))
        if not is_float(x.dtype):
            raise ShapeError('x must be float32 or float64; got %s' % x.dtype)
        spatial = self.split(x.shape)[2]
        if any(d is not None and d + 2 * p < k for d, k, p in zip(spatial, self.pool, self.pad)):
            raise ShapeError('pool_size %s is larger than the input: x of shape %s %s has spatial '
                             'shape %s (padded by %s on each side)'
                             % (self.pool, fmt_shape(x.shape), layout, fmt_shape(spatial), self.pad))
        if None not in spatial and np.prod(spatial, dtype=np.int64) >= _INDEX_LIMIT:
            raise ShapeError('spatial shape %s of x has %d elements or more; pooling indexes '
                             'them with int32' % (fmt_shape(spatial), _INDEX_LIMIT))

    def infer(self, ins):
        self.check_input(ins[0])
        return ins[0].dtype, self.out_shape(ins[0].shape)

    def fold(self, ins):
        """Max pooling is never folded: its index output is computed with it."""
        return None if self.mode == 'max' else super().fold(ins)

    def windows(self, x, fill):
        """The channels-first view of numpy x padded with `fill` and cut into this op's windows:
        shape (N, C, out spatial..., pool...)."""
        nd = len(self.pool)
        xt = np.moveaxis(x, -1, 1) if self.channels_last else x
        xp = np.pad(xt, [(0, 0), (0, 0)] + [(p, p) for p in self.pad], constant_values=fill)
        w = np.lib.stride_tricks.sliding_window_view(xp, self.pool, axis=tuple(range(2, 2 + nd)))
        w = w[(slice(None), slice(None)) + tuple(slice(None, None, s) for s in self.strides)]
        out = self.split(self.out_shape(x.shape))[2]
        return w[(slice(None), slice(None)) + tuple(slice(0, o) for o in out)]

    def to_layout(self, y):
        """A channels-first numpy result in this op's layout."""
        return np.moveaxis(y, 1, -1) if self.channels_last else y

    def ref(self, x):
        axes = tuple(range(-len(self.pool), 0))
        if self.mode == 'max':
            y = self.windows(x, -np.inf).max(axis=axes)
        else:
            count = self.windows(np.ones_like(x), 0).sum(axis=axes)
            y = self.windows(x, 0).sum(axis=axes) / count
        return np.ascontiguousarray(self.to_layout(y)).astype(x.dtype)

    def grad(self, ins, out, g):
        x = ins[0]
        if self.mode == 'max':
            return [make(PoolGrad(self), shape(x), g, Tensor(apply(PoolIndex(), out.node)))]
        return [make(PoolGrad(self), shape(x), g)]

    def geometry(self, x_shape, y_shape):
        """The kernels' geometry parameters: outer, inner, then input lengths, output lengths,
        pool, strides and pads, each over 3 spatial dims (leading dims of length 1)."""
        n, c, spatial = self.split(x_shape)
        out = self.split(y_shape)[2]
        outer, inner = (n, c) if self.channels_last else (n * c, 1)

        def three(t, fill):
            return [fill] * (3 - len(t)) + [int(v) for v in t]
        return ([outer, inner] + three(spatial, 1) + three(out, 1) + three(self.pool, 1)
                + three(self.strides, 1) + three(self.pad, 0))

    def lower(self, ins, out, L):
        index = L.outputs.get(1)
        bufs = [ins[0].buf, out.buf] + ([index.buf] if index is not None else [])
        L.emit('pool', bufs, [dtype_code(out.dtype), MODES[self.mode], int(index is not None)]
               + self.geometry(ins[0].shape, out.shape))


class PoolIndex(Output):
    """Output 1 of a max-pooling node: for each pooled value, the int32 flat index
    (d*H + h)*W + w within its input plane (spatial dims only) of the element it was taken
    from. Only the gradient builds it."""

    def __init__(self):
        super().__init__(1)

    @property
    def name(self):
        return 'pool_index'

    def infer(self, ins):
        return 'int32', ins[0].shape


class _OfPool(Op):
    """An op derived from a Pool (its gradient and the gradient's gradient). It holds the
    Pool's arguments, not the Pool, so that its key is made of plain values; `suffix` is
    added to the Pool's name."""
    suffix = None

    def __init__(self, pool):
        self.args = pool.args

    @property
    def pool(self):
        return Pool(*self.args)

    @property
    def name(self):
        return self.pool.name + self.suffix


class PoolGrad(_OfPool):
    """The gradient of Pool `pool` with respect to its input, from the input's shape (a
    static vector), the output gradient g and, for max pooling, the PoolIndex of the node."""
    static_inputs = (0,)
    suffix = '_grad'

    def infer(self, ins):
        x_shape = target_shape(ins, 0)
        fake = _Like(x_shape, ins[1].dtype)
        self.pool.check_input(fake)
        expected = self.pool.out_shape(x_shape)
        for t in ins[1:]:
            if len(t.shape) != len(expected) or any(
                    a is not None and b is not None and a != b for a, b in zip(t.shape, expected)):
                raise ShapeError('gradient of shape %s does not match the pooled shape %s of an '
                                 'input of shape %s' % (fmt_shape(t.shape), fmt_shape(expected),
                                                        fmt_shape(x_shape)))
        return ins[1].dtype, x_shape

    def ref(self, x_shape, g, index=None):
        x_shape = tuple(int(d) for d in x_shape)
        p = self.pool
        n, c, spatial = p.split(x_shape)
        gt = np.moveaxis(g, -1, 1) if p.channels_last else g
        if p.mode == 'max':
            gx = np.zeros((n, c, int(np.prod(spatial))), g.dtype)
            it = np.moveaxis(index, -1, 1) if p.channels_last else index
            rows = np.arange(n * c)[:, None]
            np.add.at(gx.reshape(n * c, -1), (rows, it.reshape(n * c, -1)), gt.reshape(n * c, -1))
            gx = gx.reshape((n, c) + spatial)
        else:
            gx = _avg_adjoint(p, (n, c) + spatial, gt)
        return np.ascontiguousarray(p.to_layout(gx)).astype(g.dtype)

    def grad(self, ins, out, gg):
        if self.pool.mode == 'max':
            return [None, make(PoolSelect(self.pool), gg, ins[2]), None]
        return [None, make(self.pool, gg)]

    def lower(self, ins, out, L):
        p = self.pool
        L.emit('pool_grad', [t.buf for t in ins[1:]] + [out.buf],
               [dtype_code(out.dtype), MODES[p.mode]] + p.geometry(out.shape, ins[1].shape))


def _avg_adjoint(p, x_shape, gt):
    """numpy: the channels-first gradient of average pooling (Pool p) of an input of
    channels-first shape x_shape from the channels-first output gradient gt."""
    spatial = x_shape[2:]
    ones = p.to_layout(np.ones(x_shape, gt.dtype))
    count = p.windows(ones, 0).sum(axis=tuple(range(-len(spatial), 0)))
    share = gt / count
    gx = np.zeros(x_shape[:2] + tuple(d + 2 * q for d, q in zip(spatial, p.pad)), gt.dtype)
    out = gt.shape[2:]
    for offset in np.ndindex(*p.pool):
        sl = tuple(slice(o, o + s * m, s) for o, s, m in zip(offset, p.strides, out))
        gx[(slice(None), slice(None)) + sl] += share
    inner = tuple(slice(q, q + d) for q, d in zip(p.pad, spatial))
    return gx[(slice(None), slice(None)) + inner]


class PoolSelect(_OfPool):
    """x (shaped like a max pooling's input) read at the elements the pooling chose (its
    PoolIndex): the gradient of PoolGrad with respect to the output gradient. Its own
    gradient is PoolGrad again."""
    suffix = '_select'

    def infer(self, ins):
        self.pool.check_input(ins[0])
        return ins[0].dtype, ins[1].shape

    def ref(self, x, index):
        p = self.pool
        n, c, spatial = p.split(x.shape)
        xt = (np.moveaxis(x, -1, 1) if p.channels_last else x).reshape(n * c, -1)
        it = (np.moveaxis(index, -1, 1) if p.channels_last else index).reshape(n * c, -1)
        y = np.take_along_axis(xt, it.astype(np.int64), axis=1)
        out = p.split(index.shape)[2]
        return np.ascontiguousarray(p.to_layout(y.reshape((n, c) + out)))

    def grad(self, ins, out, g):
        return [make(PoolGrad(self.pool), shape(ins[0]), g, ins[1]), None]

    def lower(self, ins, out, L):
        geo = self.pool.geometry(ins[0].shape, out.shape)
        outer, inner = geo[0], geo[1]
        in_plane, out_plane = np.prod(geo[2:5]), np.prod(geo[5:8])
        L.emit('pool_select', [ins[0].buf, ins[1].buf, out.buf],
               [dtype_code(out.dtype), outer, inner, in_plane, out_plane])


class _Like:
    """What check_input reads of a tensor: its shape and dtype."""

    def __init__(self, shp, dtype):
        self.shape = tuple(shp)
        self.dtype = dtype


# ----------------------------------------------------------------------------- K functions

def _ints(value, nd, what, fn):
    try:
        t = tuple(operator.index(v) for v in value)
    except TypeError:
        t = ()
    if len(t) != nd or any(v < 1 for v in t):
        raise ValueError('%s: %s must be %d positive ints; got %r' % (fn, what, nd, value))
    return t


def _pool(x, pool_size, strides, border_mode, dim_ordering, pool_mode, nd, fn):
    if dim_ordering == 'default':
        dim_ordering = config.image_dim_ordering()
    if dim_ordering not in ('th', 'tf'):
        raise ValueError("%s: unknown dim_ordering %r; expected 'th' or 'tf'" % (fn, dim_ordering))
    if border_mode not in ('valid', 'same'):
        raise ValueError("%s: invalid border_mode %r; expected 'valid' or 'same'" % (fn, border_mode))
    if pool_mode not in MODES:
        raise ValueError("%s: invalid pool_mode %r; expected 'max' or 'avg'" % (fn, pool_mode))
    pool_size = _ints(pool_size, nd, 'pool_size', fn)
    strides = _ints(strides, nd, 'strides', fn)
    same = border_mode == 'same'
    pad = tuple(same_padding(k) if same else 0 for k in pool_size)
    op = Pool(pool_mode, pool_size, strides, pad, same, dim_ordering == 'tf')
    return make(op, float_tensor(x))


def pool2d(x, pool_size, strides=(1, 1), border_mode='valid', dim_ordering='default',
           pool_mode='max'):
    """Max or average ('avg') pooling over the 2 spatial dims of x: (N, C, rows, cols) for
    dim_ordering 'th', (N, rows, cols, C) for 'tf'. Theano's semantics (module docstring):
    ignore_border, average over the real elements only, 'same' as Keras 1.2.2 padded and
    cropped. Integer inputs are pooled as floatx."""
    return _pool(x, pool_size, strides, border_mode, dim_ordering, pool_mode, 2, 'pool2d')


def pool3d(x, pool_size, strides=(1, 1, 1), border_mode='valid', dim_ordering='default',
           pool_mode='max'):
    """pool2d over 3 spatial dims: (N, C, d1, d2, d3) for 'th', (N, d1, d2, d3, C) for 'tf'."""
    return _pool(x, pool_size, strides, border_mode, dim_ordering, pool_mode, 3, 'pool3d')
