"""The convolution kernels (csrc/kernels/conv.cpp, im2col + gemm) against numpy's im2col +
matmul (OpenBLAS sgemm) on the same shapes, float32, in one run.

    python benchmarks/bench_conv.py                                             # two threads each
    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 python benchmarks/bench_conv.py    # one thread each
    python benchmarks/bench_conv.py --symkeras-only    # no numpy timings (A/B runs of two builds)

Shapes: the convolutions of Keras' mnist_cnn (batch 128, 'th' ordering: 1->32 and 32->32, 3x3
valid, on 28x28 and 26x26) and cifar10_cnn (its batch 32: 3->32 3x3 same on 32x32, 32->32 3x3
valid on 32x32, 32->64 3x3 same on 16x16, 64->64 3x3 valid on 16x16). For each: the forward
pass, the gradient with respect to the input (conv_backward_input: gemm then col2im) and the
gradient with respect to the kernel (conv_backward_kernel: gemm summed over the samples), each
one compiled K.function of the op alone, so K.function's per-call overhead (a few
microseconds) is included. numpy's reference, each pass in the faster of two layouts tried: im2col
by sliding_window_view and a copy to (N, C*kh*kw, out_h*out_w), then one batched matmul
(forward), or w^T @ dy batched then col2im by one strided add per kernel position (input
gradient); for the kernel gradient, the batch folded into the columns, (C*kh*kw, N*out_h*out_w),
and one product dy @ col^T, dy first copied to (Cout, N*out_h*out_w). Figures are GFLOP/s of
2 * N * Cout * Cin * kh * kw * out_h * out_w flops, medians over rounds that time every
symkeras function, then every numpy one (sleeping after numpy's, whose idle threads spin).
"""
import os
import sys

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

import symkeras.backend as K
from symkeras import _core
from timing import median_times
from symkeras.backend.graph import make
from symkeras.backend.ops.conv_ops import Conv, ConvKernelGrad, ConvTranspose, image_shape, spatial

ROUNDS = 7
LOOP_SECONDS = 0.05
OPENBLAS_SPIN_SECONDS = 0.2

# (label, batch, in channels, out channels, image size, kernel size, border)
CASES = [('mnist conv1 1->32 28x28 valid', 128, 1, 32, 28, 3, 'valid'),
         ('mnist conv2 32->32 26x26 valid', 128, 32, 32, 26, 3, 'valid'),
         ('cifar conv1 3->32 32x32 same', 32, 3, 32, 32, 3, 'same'),
         ('cifar conv2 32->32 32x32 valid', 32, 32, 32, 32, 3, 'valid'),
         ('cifar conv3 32->64 16x16 same', 32, 32, 64, 16, 3, 'same'),
         ('cifar conv4 64->64 16x16 valid', 32, 64, 64, 16, 3, 'valid')]


# ----------------------------------------------------------------------------- numpy reference

def windows(x, k, pad):
    """(N, C, out, out, k, k) view of the patches of the zero-padded x."""
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad))) if pad else x
    return sliding_window_view(xp, (k, k), axis=(2, 3))


def im2col_per_sample(x, k, pad):
    """(N, C*k*k, out*out): one patch matrix per sample."""
    win = windows(x, k, pad)
    N, C, oh, ow = win.shape[:4]
    return np.ascontiguousarray(win.transpose(0, 1, 4, 5, 2, 3)).reshape(N, C * k * k, oh * ow)


def im2col_folded(x, k, pad):
    """(C*k*k, N*out*out): the batch folded into the columns."""
    win = windows(x, k, pad)
    N, C, oh, ow = win.shape[:4]
    return np.ascontiguousarray(win.transpose(1, 4, 5, 0, 2, 3)).reshape(C * k * k, N * oh * ow)


def col2im(col, shape, k, pad, out):
    """The input gradient from per-sample patch gradients (N, C*k*k, out*out)."""
    N, C, H, W = shape
    xp = np.zeros((N, C, H + 2 * pad, W + 2 * pad), col.dtype)
    c6 = col.reshape(N, C, k, k, out, out)
    for i in range(k):
        for j in range(k):
            xp[:, :, i:i + out, j:j + out] += c6[:, :, i, j]
    return xp[:, :, pad:pad + H, pad:pad + W]


def numpy_fns(x, w, g, k, pad, out):
    """Forward, input-gradient and kernel-gradient of the cross-correlation by w (the flip of a
    true convolution's kernel changes no cost), each in the faster of the two layouts tried."""
    Cout = w.shape[0]
    wm = np.ascontiguousarray(w.reshape(Cout, -1))
    gm = g.reshape(g.shape[0], Cout, -1)
    fwd = lambda: np.matmul(wm, im2col_per_sample(x, k, pad))
    bwd_in = lambda: col2im(np.matmul(wm.T, gm), x.shape, k, pad, out)
    bwd_k = lambda: np.ascontiguousarray(g.transpose(1, 0, 2, 3)).reshape(Cout, -1) @ im2col_folded(x, k, pad).T
    return [fwd, bwd_in, bwd_k]


def symkeras_fns(x, w, g, border):
    """The three ops, each compiled alone; their results are checked against numpy's."""
    attrs = ((1, 1), (1, 1), border, 1, True)
    px, pw, pg = K.placeholder(x.shape), K.placeholder(w.shape), K.placeholder(g.shape)
    f_fwd = K.function([px, pw], [make(Conv(*attrs), px, pw)])
    f_in = K.function([pg, pw, px], [make(ConvTranspose(*attrs), pg, pw, image_shape(px))])
    f_k = K.function([px, pg, pw], [make(ConvKernelGrad(*attrs), px, pg, spatial(pw))])
    return [lambda: f_fwd([x, w]), lambda: f_in([g, w, x]), lambda: f_k([x, g, w])]


def main(with_numpy=True):
    rng = np.random.RandomState(0)
    sk, ref, flops = [], [], []
    for label, N, C, F, H, k, border in CASES:
        pad = k // 2 if border == 'same' else 0
        out = H + 2 * pad - k + 1
        x = rng.uniform(-1, 1, (N, C, H, H)).astype('float32')
        w = rng.uniform(-1, 1, (F, C, k, k)).astype('float32')
        g = rng.uniform(-1, 1, (N, F, out, out)).astype('float32')
        fs, ns = symkeras_fns(x, w, g, border), numpy_fns(x, w[:, :, ::-1, ::-1], g, k, pad, out)
        for a, b in zip(fs, ns):
            got, want = a()[0], b()
            want = want.reshape(got.shape) if want.shape != got.shape else want
            if got.shape == w.shape:      # the kernel gradient of a true convolution is flipped back
                want = want.reshape(w.shape)[:, :, ::-1, ::-1]
            np.testing.assert_allclose(got, want, rtol=2e-3, atol=2e-3, err_msg=label)
        sk += fs
        ref += ns
        flops.append(2.0 * N * F * C * k * k * out * out)
    times = median_times([sk, ref] if with_numpy else [sk], ROUNDS, LOOP_SECONDS,
                         OPENBLAS_SPIN_SECONDS if with_numpy else 0.0)
    t_sk, t_np = times[0], times[-1] if with_numpy else [float('nan')] * len(sk)
    print('float32, symkeras OpenMP threads: %d, OPENBLAS_NUM_THREADS=%s; medians of %d rounds'
          % (_core.get_num_threads(), os.environ.get('OPENBLAS_NUM_THREADS', 'default'), ROUNDS))
    print('%-32s %-9s %9s %9s %9s %9s %7s' % ('convolution', 'pass', 'sk ms', 'np ms', 'sk GF/s', 'np GF/s', 'np/sk'))
    ratios = []
    for i, (case, fl) in enumerate(zip(CASES, flops)):
        for j, what in enumerate(('forward', 'back-in', 'back-k')):
            ts, tn = t_sk[3 * i + j], t_np[3 * i + j]
            ratios.append(tn / ts)
            print('%-32s %-9s %9.3f %9.3f %9.1f %9.1f %7.2f' % (case[0] if j == 0 else '', what, ts * 1e3, tn * 1e3,
                                                                fl / ts / 1e9, fl / tn / 1e9, tn / ts))
    if with_numpy:
        print('geometric mean of the ratios (symkeras speed / numpy speed): %.2f, lowest %.2f'
              % (float(np.exp(np.mean(np.log(ratios)))), min(ratios)))


if __name__ == '__main__':
    main(with_numpy='--symkeras-only' not in sys.argv[1:])
