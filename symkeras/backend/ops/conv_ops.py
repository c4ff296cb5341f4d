"""The convolution ops: one N-d convolution (1, 2 or 3 spatial axes, channels first) and its two
adjoints, each an op with its shape rule, numpy reference, gradient and lowering onto
csrc/kernels/conv.cpp. The K functions (ops/conv.py) bring every Keras layout to these.

    Conv(x, w)                   y = w (*) x        x (N, C, *S), w (Cout, C/G, *K) -> (N, Cout, *O)
    ConvTranspose(dy, w, CS)     dx: the adjoint of Conv in x (Theano's gradInputs, deconv2d)
    ConvKernelGrad(x, dy, K)     dw: the adjoint of Conv in w

CS = (C, *S) and K are int vectors of x's shape without the batch and of w's spatial shape
(static inputs: the adjoints cannot recover them from dy when strides drop positions). The
three share their attributes: strides, dilation (tuples, one entry per spatial axis), border (a
padding rule, below), groups G (output channel o reads the input channels of group o // (Cout/G);
groups=0 means one group per input channel, TensorFlow's depthwise convolution, whose kernel has
one input channel) and flip (True: true convolution, the kernel flipped as Theano's conv2d does;
False: cross-correlation). With a(k) = K-1-k when flipped, else k:

    y[n, o, i] = sum_{c, k} w[o, c, k] * x[n, g(o)*C/G + c, i*s - before + a(k)*d]

reading zeros outside the image. The gradient of each op is built from the other two, so
every order of differentiation is available.

Padding rules (span = (K-1)*d + 1, the dilated kernel's extent; `before`, `after` per axis):
    'valid'    0, 0
    'full'     span-1, span-1
    'half'     span//2, span//2                    Theano's 'half'
    'same'     span//2, (span-1)//2               Keras 1.2.2 'same' on Theano: 'half', then the
               output cropped to its first ceil(n/s) entries (only even spans need the crop, and
               cropping them is padding one less after); the output length is ceil(n/s)
    'same_tf'  TensorFlow's SAME: total = max((ceil(n/s)-1)*s + span - n, 0), total//2 before,
               the rest after (even spans pad more after, where Theano's pad more before)
Output length (n + before + after - span) // s + 1; below 1 is an error.
"""
import numpy as np

from ..graph import Op, ShapeError, compatible_dim, fmt_shape, is_float, make
from ..lower import dtype_code
from .broadcast import target_shape
from .shape import dims_of, shape_vector

BORDERS = ('valid', 'full', 'half', 'same', 'same_tf')


def span_of(k, d):
    return None if k is None else (k - 1) * d + 1


def pads(border, n, span, s):
    """(before, after) padding of a spatial axis of length n for a kernel spanning `span`."""
    if border == 'valid':
        return 0, 0
    if border == 'full':
        return span - 1, span - 1
    if border == 'half':
        return span // 2, span // 2
    if border == 'same':
        return span // 2, (span - 1) // 2
    total = max((-(-n // s) - 1) * s + span - n, 0)
    return total // 2, total - total // 2


def out_length(border, n, span, s):
    """The output length along one axis (None when n or span is unknown; may be < 1)."""
    if n is None or span is None:
        return None
    before, after = pads(border, n, span, s)
    return (n + before + after - span) // s + 1


def spatial(t):
    """The spatial shape of a channels-first tensor (or kernel) as an int vector."""
    return shape_vector(dims_of(t)[2:], 'conv')


def image_shape(t):
    """The shape without the batch axis, (C, *S), of a channels-first tensor as an int vector."""
    return shape_vector(dims_of(t)[1:], 'conv')


class _ConvBase(Op):
    def __init__(self, strides, dilation, border, groups=1, flip=True):
        if border not in BORDERS:
            raise ValueError('conv: border must be one of %s; got %r' % (BORDERS, border))
        self.strides = tuple(int(s) for s in strides)
        self.dilation = tuple(int(d) for d in dilation)
        self.border = border
        self.groups = int(groups)
        self.flip = bool(flip)

    @property
    def nd(self):
        return len(self.strides)

    def ngroups(self, C):
        """The number of groups for an image of C channels (None if unknown)."""
        return self.groups or C

    def attrs(self):
        return self.strides, self.dilation, self.border, self.groups, self.flip

    def spans(self, K):
        return [span_of(k, d) for k, d in zip(K, self.dilation)]

    def out_spatial(self, S, K, what_x, x_shape, w_shape):
        """The output's spatial shape for image S and kernel K; a ShapeError naming both shapes
        when the image (padded by the border rule) is smaller than the dilated kernel."""
        out = []
        for a, (n, sp, s) in enumerate(zip(S, self.spans(K), self.strides)):
            o = out_length(self.border, n, sp, s)
            if o is not None and o < 1:
                raise ShapeError('%s of shape %s is smaller than the kernel of shape %s along spatial '
                                 'axis %d: %d positions (with border %r) for a kernel spanning %d '
                                 '(size %d, dilation %d)' % (what_x, fmt_shape(x_shape), fmt_shape(w_shape),
                                                             a, n + sum(pads(self.border, n, sp, s)), self.border,
                                                             sp, K[a], self.dilation[a]))
            out.append(o)
        return tuple(out)

    def check(self, ins, names):
        """Both tensor inputs have rank nd + 2 and one float dtype."""
        for t, name in zip(ins[:2], names):
            if t.ndim != self.nd + 2:
                raise ShapeError('%s must be %d-D (batch/out channels, channels, %d spatial axes); '
                                 'got shape %s' % (name, self.nd + 2, self.nd, fmt_shape(t.shape)))
        if ins[0].dtype != ins[1].dtype or not is_float(ins[0].dtype):
            raise ShapeError('%s and %s must have one float dtype (float32 or float64); got %s and %s'
                             % (names[0], names[1], ins[0].dtype, ins[1].dtype))

    def check_channels(self, x_shape, w_shape, what_x):
        C, Cg, Cout = x_shape[1], w_shape[1], w_shape[0]
        G = self.ngroups(C)
        if self.groups == 0 and Cg not in (1, None):
            raise ShapeError('a depthwise kernel has one input channel; got shape %s' % fmt_shape(w_shape))
        if C is not None and Cg is not None and C != Cg * G:
            raise ShapeError('%s of shape %s has %d channels but the kernel of shape %s takes %d%s'
                             % (what_x, fmt_shape(x_shape), C, fmt_shape(w_shape), Cg * G,
                                ' (%d per group, %d groups)' % (Cg, G) if G > 1 else ''))
        if Cout is not None and G is not None and Cout % G:
            raise ShapeError('the kernel of shape %s has %d output channels, not a multiple of the '
                             '%d groups' % (fmt_shape(w_shape), Cout, G))

    def check_dy(self, dy_shape, O, Cout, x_shape, w_shape):
        want = (dy_shape[0], Cout) + tuple(O)
        if dy_shape[1:] and (not compatible_dim(dy_shape[1], Cout) or
                             not all(map(compatible_dim, dy_shape[2:], O))):
            raise ShapeError('the output gradient of shape %s does not fit a convolution of an image '
                             'of shape %s by a kernel of shape %s, whose output has shape %s'
                             % (fmt_shape(dy_shape), fmt_shape(x_shape), fmt_shape(w_shape), fmt_shape(want)))

    def ip(self, x_shape, w_shape, O, dtype):
        """The conv kernels' integer parameters (csrc/kernels/conv.cpp)."""
        lead = 3 - self.nd
        S, K = tuple(x_shape[2:]), tuple(w_shape[2:])
        before = [pads(self.border, n, sp, s)[0] for n, sp, s in zip(S, self.spans(K), self.strides)]
        fill = lambda v, one: [one] * lead + [int(e) for e in v]
        return ([dtype_code(dtype), x_shape[0], x_shape[1], w_shape[0], self.ngroups(x_shape[1])]
                + fill(S, 1) + fill(K, 1) + fill(O, 1) + fill(self.strides, 1) + fill(self.dilation, 1)
                + fill(before, 0) + [int(self.flip)])

    # numpy: every kernel position k reads a strided window of the padded image
    def windows(self, S, K):
        """[(k, slices of the padded image read by kernel position k)], and the padding."""
        spans = self.spans(K)
        pad = [pads(self.border, n, sp, s) for n, sp, s in zip(S, spans, self.strides)]
        O = [out_length(self.border, n, sp, s) for n, sp, s in zip(S, spans, self.strides)]
        out = []
        for k in np.ndindex(*K):
            a = [K[i] - 1 - k[i] if self.flip else k[i] for i in range(self.nd)]
            out.append((k, tuple(slice(a[i] * self.dilation[i], a[i] * self.dilation[i] + (O[i] - 1) * self.strides[i] + 1,
                                       self.strides[i]) for i in range(self.nd))))
        return out, pad, tuple(O)

    def grouped(self, t, N, G):
        """(N, C, *sp) as (N, G, C/G, *sp)."""
        return t.reshape((N, G, t.shape[1] // G) + t.shape[2:])

    def conv_op(self):
        return Conv(*self.attrs())

    def transpose_op(self):
        return ConvTranspose(*self.attrs())

    def kernel_grad_op(self):
        return ConvKernelGrad(*self.attrs())


class Conv(_ConvBase):
    """y = w (*) x: x (N, C, *S), w (Cout, C/groups, *K) -> (N, Cout, *O)."""

    @property
    def name(self):
        return 'conv%dd' % self.nd

    def infer(self, ins):
        x, w = ins
        self.check(ins, ('x', 'kernel'))
        self.check_channels(x.shape, w.shape, 'x')
        O = self.out_spatial(x.shape[2:], w.shape[2:], 'x', x.shape, w.shape)
        return x.dtype, (x.shape[0], w.shape[0]) + O

    def ref(self, x, w):
        N, Cout, G = x.shape[0], w.shape[0], self.ngroups(x.shape[1])
        wins, pad, O = self.windows(x.shape[2:], w.shape[2:])
        xp = self.grouped(np.pad(x, [(0, 0), (0, 0)] + pad), N, G)
        wg = w.reshape((G, Cout // G) + w.shape[1:])
        y = np.zeros((N, G, Cout // G) + O, dtype=x.dtype)
        for k, sl in wins:
            y += np.einsum('ngc...,goc->ngo...', xp[(slice(None),) * 3 + sl], wg[(Ellipsis,) + k])
        return y.reshape((N, Cout) + O)

    def grad(self, ins, out, g):
        x, w = ins
        return [make(self.transpose_op(), g, w, image_shape(x)), make(self.kernel_grad_op(), x, g, spatial(w))]

    def lower(self, ins, out, L):
        x, w = ins
        L.emit('conv_forward', [x.buf, w.buf, out.buf], self.ip(x.shape, w.shape, out.shape[2:], out.dtype))


class ConvTranspose(_ConvBase):
    """dx = the adjoint of Conv in x: dy (N, Cout, *O), w (Cout, C/groups, *K), CS (x's shape
    without the batch) -> (N, C, *S). This is the transposed convolution (deconv2d)."""
    static_inputs = (2,)

    @property
    def name(self):
        return 'deconv%dd' % self.nd

    def infer(self, ins):
        dy, w = ins[:2]
        self.check(ins, ('the output gradient', 'kernel'))
        CS = target_shape(ins, 2)
        if len(CS) != self.nd + 1:
            raise ShapeError('the image shape %s must have a channel and %d spatial entries'
                             % (fmt_shape(CS), self.nd))
        S = CS[1:]
        x_shape = (dy.shape[0],) + CS
        self.check_channels(x_shape, w.shape, 'the image')
        O = self.out_spatial(S, w.shape[2:], 'the image', x_shape, w.shape)
        self.check_dy(dy.shape, O, w.shape[0], x_shape, w.shape)
        return dy.dtype, x_shape

    def ref(self, dy, w, CS):
        C, S = int(CS[0]), tuple(int(n) for n in CS[1:])
        N, Cout, G = dy.shape[0], w.shape[0], self.ngroups(C)
        wins, pad, _ = self.windows(S, w.shape[2:])
        xp = np.zeros((N, G, w.shape[1]) + tuple(n + b + a for n, (b, a) in zip(S, pad)), dtype=dy.dtype)
        wg = w.reshape((G, Cout // G) + w.shape[1:])
        gg = self.grouped(dy, N, G)
        for k, sl in wins:
            xp[(slice(None),) * 3 + sl] += np.einsum('ngo...,goc->ngc...', gg, wg[(Ellipsis,) + k])
        crop = tuple(slice(b, b + n) for n, (b, _) in zip(S, pad))
        return xp[(Ellipsis,) + crop].reshape((N, G * w.shape[1]) + S)

    def grad(self, ins, out, h):
        dy, w = ins[:2]
        return [make(self.conv_op(), h, w), make(self.kernel_grad_op(), h, dy, spatial(w)), None]

    def lower(self, ins, out, L):
        dy, w = ins[:2]
        L.emit('conv_backward_input', [dy.buf, w.buf, out.buf], self.ip(out.shape, w.shape, dy.shape[2:], out.dtype))


class ConvKernelGrad(_ConvBase):
    """dw = the adjoint of Conv in w: x (N, C, *S), dy (N, Cout, *O), K (the spatial shape of
    w) -> (Cout, C/groups, *K)."""
    static_inputs = (2,)

    @property
    def name(self):
        return 'conv%dd_kernel_grad' % self.nd

    def infer(self, ins):
        x, dy = ins[:2]
        self.check(ins, ('x', 'the output gradient'))
        K = target_shape(ins, 2)
        if len(K) != self.nd:
            raise ShapeError('the kernel shape %s must have %d spatial entries' % (fmt_shape(K), self.nd))
        C, G = x.shape[1], self.ngroups(x.shape[1])
        if C is not None and C % G:
            raise ShapeError('x of shape %s has %d channels, not a multiple of the %d groups'
                             % (fmt_shape(x.shape), C, G))
        w_shape = (dy.shape[1], None if C is None else C // G) + K
        self.check_channels(x.shape, w_shape, 'x')
        O = self.out_spatial(x.shape[2:], K, 'x', x.shape, w_shape)
        self.check_dy(dy.shape, O, dy.shape[1], x.shape, w_shape)
        return x.dtype, w_shape

    def ref(self, x, dy, K):
        N, Cout, G = x.shape[0], dy.shape[1], self.ngroups(x.shape[1])
        K = tuple(int(k) for k in K)
        gw = np.zeros((G, Cout // G, x.shape[1] // G) + K, dtype=x.dtype)
        if N == 0:   # no samples: the reshapes below could not infer their -1
            return gw.reshape((Cout, x.shape[1] // G) + K)
        wins, pad, _ = self.windows(x.shape[2:], K)
        xp = self.grouped(np.pad(x, [(0, 0), (0, 0)] + pad), N, G)
        gg = self.grouped(dy, N, G).reshape(N, G, Cout // G, -1)
        for k, sl in wins:
            patch = xp[(slice(None),) * 3 + sl].reshape(N, G, x.shape[1] // G, -1)
            gw[(Ellipsis,) + k] = np.einsum('ngcp,ngop->goc', patch, gg)
        return gw.reshape((Cout, x.shape[1] // G) + K)

    def grad(self, ins, out, h):
        x, dy = ins[:2]
        return [make(self.transpose_op(), dy, h, image_shape(x)), make(self.conv_op(), x, h), None]

    def lower(self, ins, out, L):
        x, dy = ins[:2]
        L.emit('conv_backward_kernel', [x.buf, dy.buf, out.buf], self.ip(x.shape, out.shape, dy.shape[2:], out.dtype))
