// Convolution over 1, 2 or 3 spatial axes, channels first, float32 and float64, as GEMMs
// (gemm.hpp): with stride 1 reading the image in place through a table of row offsets, else
// after im2col. With a(k) = K-1-k when `flip` (true convolution, as Theano's) or k
// (cross-correlation), and positions outside the image reading as zero:
//   conv_forward          y[n, o, i] = sum_{c, k} w[o, c, k] * x[n, q*C/G + c, i*s - p + a(k)*d]
//                         (q = o / (Cout/G): the group of output channel o; c < C/G)
//   conv_backward_input   dx = the adjoint of conv_forward in x, given dy and w
//   conv_backward_kernel  dw = the adjoint of conv_forward in w, given x and dy
// with s, d, p the stride, dilation and padding before the image along each spatial axis (the
// padding after it is implied by the output size O).
//
// buf: forward [x, w, y]; backward_input [dy, w, dx]; backward_kernel [x, dy, dw].
// ip:  [dtype, N, C, Cout, G, S0, S1, S2, K0, K1, K2, O0, O1, O2, s0, s1, s2, d0, d1, d2,
//       p0, p1, p2, flip]: 1-d and 2-d convolutions have leading axes with S = K = O = 1.
// x: N x C x S0 x S1 x S2; w: Cout x C/G x K0 x K1 x K2; y, dy: N x Cout x O0 x O1 x O2.
//
// Method, stride 1 (see "stride 1, no im2col" below for the details and when it is used): on
// a "wide" output layout with the image's row length, every patch row is a contiguous run of the
// (padded) image, so the products read the image through a table of row offsets: the forward
// pass w_q @ rows_q, the kernel gradient dy_q @ rows_q^T (dy widened with zeros in the gaps), and
// the input gradient as the forward pass of dy padded, with w's channels exchanged and flipped.
// Otherwise, per sample, im2col writes the patches into `col` (C*K rows of O columns, the rows in
// w's memory order, so a group's rows are contiguous); the forward pass is then one product per
// group w_q @ col_q, the kernel gradient dy_q @ col_q^T accumulated over the samples, and the
// input gradient w_q^T @ dy_q into col followed by col2im (im2col's adjoint, which sums the
// overlapping patches). A 1x1 kernel with stride 1 and no padding reads x as col itself. Above
// the runtime's gemm_flops threshold the samples are handed out to threads, each with its own
// col and packing scratch; the kernel gradient is summed over fixed parts of the batch and the
// parts are added in order, so no result depends on which thread took which sample. With fewer
// samples than threads, the threads share each product instead.
#include <omp.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstring>

#include "kernels/gemm.hpp"
#include "runtime/dispatch.hpp"

namespace sk {
namespace {

enum Mode { FORWARD, BACKWARD_INPUT, BACKWARD_KERNEL };

struct Geo {
    int64_t N, C, Cout, G, S[3], K[3], O[3], st[3], dl[3], pb[3];
    bool flip;
    int64_t cg() const { return C / G; }            // input channels per group
    int64_t og() const { return Cout / G; }         // output channels per group
    int64_t taps() const { return K[0] * K[1] * K[2]; }
    int64_t rows() const { return cg() * taps(); }  // rows of one group's col: its product's depth
    int64_t in() const { return S[0] * S[1] * S[2]; }
    int64_t out() const { return O[0] * O[1] * O[2]; }
    bool direct() const {   // col is x itself
        for (int a = 0; a < 3; ++a)
            if (K[a] != 1 || st[a] != 1 || pb[a] != 0 || O[a] != S[a]) return false;
        return true;
    }
    bool unit() const { return st[0] == 1 && st[1] == 1 && st[2] == 1; }
    // For stride 1: the extent along axis a of the (padded or cropped) image the output reads,
    // the size of that image per channel, and whether it differs from x.
    int64_t span(int a) const { return O[a] + (K[a] - 1) * dl[a]; }
    int64_t span_in() const { return span(0) * span(1) * span(2); }
    bool padded() const {
        for (int a = 0; a < 3; ++a)
            if (pb[a] != 0 || span(a) != S[a]) return true;
        return false;
    }
    // For stride 1: the length of a "wide" output row, the output laid out on the spans'
    // strides (output (o0, o1, o2) at (o0*span1 + o1)*span2 + o2), from the first output to the
    // last; equal to out() when there are no gaps. Needs out() > 0.
    int64_t wide() const { return ((O[0] - 1) * span(1) + O[1] - 1) * span(2) + O[2]; }
};

Geo geo_of(const int64_t* ip) {
    Geo g{};
    g.N = ip[1], g.C = ip[2], g.Cout = ip[3], g.G = std::max<int64_t>(1, ip[4]);
    for (int a = 0; a < 3; ++a) {
        g.S[a] = ip[5 + a], g.K[a] = ip[8 + a], g.O[a] = ip[11 + a];
        g.st[a] = ip[14 + a], g.dl[a] = ip[17 + a], g.pb[a] = ip[20 + a];
    }
    g.flip = ip[23] != 0;
    return g;
}

// The input position read by output position 0 for kernel index k along axis a.
inline int64_t tap(const Geo& g, int a, int64_t k) {
    return (g.flip ? g.K[a] - 1 - k : k) * g.dl[a] - g.pb[a];
}

// Calls f(col_at, x_at, off) for every line (along the last axis) of col's C*K rows: col_at is
// the offset in col of the line's O2 entries, x_at the offset in x of the input line they read
// (entry o reads column o*s2 + off), or -1 when that line lies in the padding.
template <class F>
void for_lines(const Geo& g, F&& f) {
    const int64_t O = g.out();
    int64_t r = 0;
    for (int64_t c = 0; c < g.C; ++c)
        for (int64_t k0 = 0; k0 < g.K[0]; ++k0)
            for (int64_t k1 = 0; k1 < g.K[1]; ++k1)
                for (int64_t k2 = 0; k2 < g.K[2]; ++k2, ++r) {
                    const int64_t f0 = tap(g, 0, k0), f1 = tap(g, 1, k1), f2 = tap(g, 2, k2);
                    for (int64_t o0 = 0; o0 < g.O[0]; ++o0) {
                        const int64_t i0 = o0 * g.st[0] + f0;
                        for (int64_t o1 = 0; o1 < g.O[1]; ++o1) {
                            const int64_t i1 = o1 * g.st[1] + f1;
                            const bool inside = (uint64_t)i0 < (uint64_t)g.S[0] && (uint64_t)i1 < (uint64_t)g.S[1];
                            f(r * O + (o0 * g.O[1] + o1) * g.O[2],
                              inside ? ((c * g.S[0] + i0) * g.S[1] + i1) * g.S[2] : int64_t(-1), f2);
                        }
                    }
                }
}

// The entries o in [lo, hi) of a line of O whose input column o*s + off lies in [0, W), s == 1.
inline void inside_range(int64_t W, int64_t O, int64_t off, int64_t& lo, int64_t& hi) {
    lo = std::clamp<int64_t>(-off, 0, O);
    hi = std::clamp<int64_t>(W - off, lo, O);
}

template <class T>
void im2col(const Geo& g, const T* x, T* col) {
    const int64_t W = g.S[2], O = g.O[2], s = g.st[2];
    for_lines(g, [&](int64_t at, int64_t src, int64_t off) {
        T* dst = col + at;
        if (src < 0) {
            std::fill(dst, dst + O, T(0));
        } else if (s == 1) {
            int64_t lo, hi;
            inside_range(W, O, off, lo, hi);
            std::fill(dst, dst + lo, T(0));
            if (hi > lo) std::memcpy(dst + lo, x + src + lo + off, sizeof(T) * (size_t)(hi - lo));
            std::fill(dst + hi, dst + O, T(0));
        } else {
            for (int64_t o = 0; o < O; ++o) {
                const int64_t i = o * s + off;
                dst[o] = (uint64_t)i < (uint64_t)W ? x[src + i] : T(0);
            }
        }
    });
}

// x = col2im(col): every patch entry added back to the input position it was read from.
template <class T>
void col2im(const Geo& g, const T* col, T* x) {
    const int64_t W = g.S[2], O = g.O[2], s = g.st[2];
    std::fill(x, x + g.C * g.in(), T(0));
    for_lines(g, [&](int64_t at, int64_t dst, int64_t off) {
        if (dst < 0) return;
        const T* src = col + at;
        T* line = x + dst;
        if (s == 1) {
            int64_t lo, hi;
            inside_range(W, O, off, lo, hi);
            for (int64_t o = lo; o < hi; ++o) line[o + off] += src[o];
        } else {
            for (int64_t o = 0; o < O; ++o) {
                const int64_t i = o * s + off;
                if ((uint64_t)i < (uint64_t)W) line[i] += src[o];
            }
        }
    });
}

// ----------------------------------------------------------------------------- stride 1, no im2col
// With stride 1, output (o0, o1, o2) reads, for tap (c, k), the image position o + a(k)*d
// along every axis: on the wide layout (Geo::wide) the patch row of tap (c, k) is the
// CONTIGUOUS run of the image of length wide() starting at row_offsets' entry for (c, k). The
// forward pass is then one product per group with op(B) given by those row offsets
// (gemm_product_rows), reading the image in place: no im2col. Padding is applied by copying the
// sample into a zeroed image of the spans first, and the wide output rows are compacted into y.
// The wide layout computes the gap columns too (for 26x26 images and 3x3 kernels, 622 columns
// for 576 outputs), which costs less than im2col did. The input gradient of a stride-1
// convolution is such a convolution too (of dy, see transposed()); the kernel gradient is the
// product of dy, widened, with the transposed patch rows, packed by the GEMM from the table.

// The forward geometry whose output is the input gradient of g (stride 1): dx[c, j] =
// sum_{o, k} w[o, c, k] dy[o, j + p - a(k)*d] is the convolution of dy, padded by (K-1)*d - p
// before, with the kernel wt[c, o, k] = w[o, c, k] (channels exchanged within each group) and
// the opposite flip.
inline Geo transposed(const Geo& g) {
    Geo t = g;
    t.C = g.Cout, t.Cout = g.C, t.flip = !g.flip;
    for (int a = 0; a < 3; ++a) t.S[a] = g.O[a], t.O[a] = g.S[a], t.pb[a] = (g.K[a] - 1) * g.dl[a] - g.pb[a];
    return t;
}

// Whether the pass runs without im2col: stride 1, a kernel that needs patches at all, an output
// and an image (an empty output leaves dw zero), and (measured on mnist and cifar shapes):
// - a depth of at least 16 for the product of the forward pass computed: with depth 9 (a 3x3
//   kernel on one channel) the product costs little next to writing its output, which the wide
//   rows and their compaction double;
// - for the input gradient, at least 4 rows (input channels per group): with 1 to 3 that product
//   reads B for too few FMAs, while im2col's way (C*taps rows, col2im over few channels) is cheap;
// - for the kernel gradient, at least as many patch rows as output channels per group: widening
//   dy writes og*wide() per group where im2col wrote rows()*out() (3 channels and 32 filters:
//   8-12% slower; 8 channels: 1.25x faster).
inline bool rows_path(const Geo& g, Mode m) {
    if (!g.unit() || g.direct() || g.out() == 0 || (m == BACKWARD_INPUT && g.in() == 0)) return false;
    if (m == BACKWARD_INPUT) return g.cg() >= 4 && g.og() * g.taps() >= 16;
    return g.rows() >= 16 && (m == FORWARD || g.rows() >= g.og());
}

// wt = the kernel of transposed(g): wt[q*cg + c, o, k] = w[q*og + o, c, k].
template <class T>
void transpose_kernel(const Geo& g, const T* w, T* wt) {
    const int64_t cg = g.cg(), og = g.og(), taps = g.taps();
    for (int64_t q = 0; q < g.G; ++q)
        for (int64_t c = 0; c < cg; ++c)
            for (int64_t o = 0; o < og; ++o)
                std::memcpy(wt + ((q * cg + c) * og + o) * taps, w + ((q * og + o) * cg + c) * taps, sizeof(T) * taps);
}

// rows[c*taps + k] = the offset in a group's image (of the spans) of tap (c, k)'s patch row:
// a(k)*d along every axis (tap() less the padding, which the image already has).
inline void row_offsets(const Geo& g, int64_t* rows) {
    const int64_t P1 = g.span(1), P2 = g.span(2);
    int64_t r = 0;
    for (int64_t c = 0; c < g.cg(); ++c)
        for (int64_t k0 = 0; k0 < g.K[0]; ++k0)
            for (int64_t k1 = 0; k1 < g.K[1]; ++k1)
                for (int64_t k2 = 0; k2 < g.K[2]; ++k2)
                    rows[r++] = c * g.span_in() + (tap(g, 0, k0) + g.pb[0]) * P1 * P2 +
                                (tap(g, 1, k1) + g.pb[1]) * P2 + tap(g, 2, k2) + g.pb[2];
}

// The positions i in [0, S) of x along axis a that land inside the image of the spans.
inline void kept(const Geo& g, int a, int64_t& lo, int64_t& hi) {
    lo = std::clamp<int64_t>(-g.pb[a], 0, g.S[a]);
    hi = std::clamp<int64_t>(g.span(a) - g.pb[a], lo, g.S[a]);
}

// img = x placed at the padding offsets inside a zero image of the spans (C channels), the
// parts of x outside it dropped (the output does not reach them).
template <class T>
void pad_image(const Geo& g, const T* x, T* img) {
    const int64_t P0 = g.span(0), P1 = g.span(1), P2 = g.span(2);
    std::fill(img, img + g.C * g.span_in(), T(0));
    int64_t lo[3], hi[3];
    for (int a = 0; a < 3; ++a) kept(g, a, lo[a], hi[a]);
    if (hi[2] == lo[2]) return;
    for (int64_t c = 0; c < g.C; ++c)
        for (int64_t i0 = lo[0]; i0 < hi[0]; ++i0)
            for (int64_t i1 = lo[1]; i1 < hi[1]; ++i1)
                std::memcpy(img + ((c * P0 + i0 + g.pb[0]) * P1 + i1 + g.pb[1]) * P2 + lo[2] + g.pb[2],
                            x + ((c * g.S[0] + i0) * g.S[1] + i1) * g.S[2] + lo[2], sizeof(T) * (hi[2] - lo[2]));
}

// Calls f(wide_at, y_at) for every line of O2 outputs of M channels: its offset on the wide
// layout (M rows of wide()) and in y (M rows of out()).
template <class F>
void for_output_lines(const Geo& g, int64_t M, F&& f) {
    const int64_t P1 = g.span(1), P2 = g.span(2), Nw = g.wide();
    for (int64_t o = 0; o < M; ++o)
        for (int64_t o0 = 0; o0 < g.O[0]; ++o0)
            for (int64_t o1 = 0; o1 < g.O[1]; ++o1)
                f(o * Nw + (o0 * P1 + o1) * P2, o * g.out() + (o0 * g.O[1] + o1) * g.O[2]);
}

// y (M channels of out()) = the wide rows (M of wide()) without their gaps.
template <class T>
void compact(const Geo& g, const T* wide, int64_t M, T* y) {
    for_output_lines(g, M, [&](int64_t w, int64_t o) { std::memcpy(y + o, wide + w, sizeof(T) * g.O[2]); });
}

// wide (M channels of wide()) = y (M channels of out()) with zeros in the gaps.
template <class T>
void widen(const Geo& g, const T* y, int64_t M, T* wide) {
    std::fill(wide, wide + M * g.wide(), T(0));
    for_output_lines(g, M, [&](int64_t w, int64_t o) { std::memcpy(wide + w, y + o, sizeof(T) * g.O[2]); });
}

// Prefetches x[0, n) into the cache: the product reads the image on as many streams as it has
// rows, which the hardware prefetcher does not follow, so an image read cold from memory would
// stall it at every cache line (this made it slower than im2col + GEMM).
template <class T>
void warm(const T* x, int64_t n) {
    const char* p = reinterpret_cast<const char*>(x);
    for (int64_t i = 0; i < n * (int64_t)sizeof(T); i += 64) __builtin_prefetch(p + i, 0, 2);
}

// The sample's image as the patch rows read it: x, or img holding x padded.
template <class T>
const T* image(const Geo& g, const T* x, T* img) {
    if (g.padded()) {
        pad_image(g, x, img);
        return img;
    }
    warm(x, g.C * g.span_in());
    return x;
}

// y = w (*) x for one sample of a stride-1 geometry; rows from row_offsets, img and wide the
// sample's padded image and wide output (unused when not needed).
template <class T>
void forward_rows(const Geo& g, const T* x, const T* w, const int64_t* rows, T* y, T* img, T* wide,
                  void* gw, int nt) {
    const int64_t R = g.rows(), M = g.og(), O = g.out(), Nw = g.wide();
    const T* src = image(g, x, img);
    for (int64_t q = 0; q < g.G; ++q) {
        T* c = Nw == O ? y + q * M * O : wide;
        gemm_product_rows<T>(false, M, Nw, R, T(1), w + q * M * R, R, src + q * g.cg() * g.span_in(), rows, T(0), c,
                             Nw, gw, nt);
        if (Nw != O) compact(g, wide, M, y + q * M * O);
    }
}

// dw = beta * dw + the kernel gradient of one sample of a stride-1 geometry: per group,
// dy_q on the wide layout (zeros in the gaps) times the transposed patch rows.
template <class T>
void backward_kernel_rows(const Geo& g, const T* x, const T* dy, const int64_t* rows, T* dw, T beta, T* img,
                          T* wide, void* gw, int nt) {
    const int64_t R = g.rows(), M = g.og(), O = g.out(), Nw = g.wide();
    const T* src = image(g, x, img);
    if (Nw != O) widen(g, dy, g.Cout, wide);
    const T* a = Nw != O ? wide : dy;
    for (int64_t q = 0; q < g.G; ++q)
        gemm_product_rows<T>(true, M, R, Nw, T(1), a + q * M * Nw, Nw, src + q * g.cg() * g.span_in(), rows, beta,
                             dw + q * M * R, R, gw, nt);
}

// ----------------------------------------------------------------------------- one sample

// The patch matrix of one sample: x itself when the geometry needs no im2col (a 1x1 kernel
// with stride 1 and no padding), else im2col(x) written into col.
template <class T>
const T* patches(const Geo& g, const T* x, T* col) {
    if (g.direct()) return x;
    im2col(g, x, col);
    return col;
}

// y = w (*) x for one sample.
template <class T>
void forward_sample(const Geo& g, const T* x, const T* w, T* y, T* col, void* gw, int nt) {
    const int64_t R = g.rows(), O = g.out(), M = g.og();
    const T* b = patches(g, x, col);
    for (int64_t q = 0; q < g.G; ++q)
        gemm_product<T>(false, false, M, O, R, T(1), w + q * M * R, R, b + q * R * O, O, T(0),
                        y + q * M * O, O, gw, nt);
}

// dx for one sample.
template <class T>
void backward_input_sample(const Geo& g, const T* dy, const T* w, T* dx, T* col, void* gw, int nt) {
    const int64_t R = g.rows(), O = g.out(), M = g.og();
    T* dst = g.direct() ? dx : col;
    for (int64_t q = 0; q < g.G; ++q)
        gemm_product<T>(true, false, R, O, M, T(1), w + q * M * R, R, dy + q * M * O, O, T(0),
                        dst + q * R * O, O, gw, nt);
    if (!g.direct()) col2im(g, col, dx);
}

// dw = beta * dw + the kernel gradient of one sample.
template <class T>
void backward_kernel_sample(const Geo& g, const T* x, const T* dy, T* dw, T beta, T* col, void* gw, int nt) {
    const int64_t R = g.rows(), O = g.out(), M = g.og();
    const T* b = patches(g, x, col);
    for (int64_t q = 0; q < g.G; ++q)
        gemm_product<T>(false, true, M, R, O, T(1), dy + q * M * O, O, b + q * R * O, O, beta,
                        dw + q * M * R, R, gw, nt);
}

// ----------------------------------------------------------------------------- scratch

inline size_t round64(size_t n) { return (n + 63) / 64 * 64; }

// Scratch per thread (col, or img and wide, and the GEMM's), per part of the batch beyond the
// first, and shared (the row table and the transposed kernel). The kernel gradient is summed
// over twice as many parts as threads, so a thread that wakes late leaves its share to the others.
template <class T>
struct Scratch {
    size_t col = 0, img = 0, wide = 0, gemm = 0, part = 0, table = 0, wt = 0;
    Scratch(const Geo& g, Mode m) {
        if (rows_path(g, m)) {
            const Geo f = m == BACKWARD_INPUT ? transposed(g) : g;   // the forward pass computed
            const bool k = m == BACKWARD_KERNEL;
            img = f.padded() ? round64(sizeof(T) * (size_t)(f.C * f.span_in())) : 0;
            wide = f.wide() == f.out() ? 0 : round64(sizeof(T) * (size_t)((k ? f.Cout : f.og()) * f.wide()));
            gemm = k ? gemm_scratch_bytes<T>(f.rows(), f.wide()) : gemm_scratch_bytes<T>(f.wide(), f.rows());
            table = round64(sizeof(int64_t) * (size_t)f.rows());
            wt = m == BACKWARD_INPUT ? round64(sizeof(T) * (size_t)(g.Cout * g.rows())) : 0;
            part = k ? round64(sizeof(T) * (size_t)(g.Cout * g.rows())) : 0;
            return;
        }
        col = g.direct() ? 0 : round64(sizeof(T) * (size_t)(g.C * g.taps() * g.out()));
        gemm = m == FORWARD ? gemm_scratch_bytes<T>(g.out(), g.rows())
             : m == BACKWARD_INPUT ? gemm_scratch_bytes<T>(g.out(), g.og())
             : gemm_scratch_bytes<T>(g.rows(), g.out());
        part = m == BACKWARD_KERNEL ? round64(sizeof(T) * (size_t)(g.Cout * g.rows())) : 0;
    }
    static int64_t parts(int nt) { return nt == 1 ? 1 : 2 * (int64_t)nt; }
    size_t thread() const { return col + img + wide + gemm; }
    size_t bytes(int nt) const { return table + wt + nt * thread() + (size_t)(parts(nt) - 1) * part; }
};

template <class T>
size_t workspace_for(const int64_t* ip, Mode m) {
    const int threads = std::max(omp_get_max_threads(), omp_get_num_procs());
    return Scratch<T>(geo_of(ip), m).bytes(threads);
}

template <Mode m>
size_t conv_workspace(const int64_t* ip, int nip) {
    return ip[0] == F32 ? workspace_for<float>(ip, m) : ip[0] == F64 ? workspace_for<double>(ip, m) : 0;
}

// ----------------------------------------------------------------------------- driver

template <class T>
int conv(const Args& a, Mode m) {
    const Geo g = geo_of(a.ip);
    const T* in0 = static_cast<const T*>(a.buf[0]);
    const T* in1 = static_cast<const T*>(a.buf[1]);
    T* out = static_cast<T*>(a.buf[2]);
    const Scratch<T> sc(g, m);
    if (a.work_bytes < sc.bytes(1)) {
        a.ctx->error = "conv: the runtime gave less scratch memory than conv's workspace asked for";
        return -1;
    }
    const int64_t xs = g.C * g.in(), ys = g.Cout * g.out(), dw_size = g.Cout * g.rows();
    if (m == BACKWARD_KERNEL && g.N == 0) {
        std::fill(out, out + dw_size, T(0));
        return 0;
    }
    const double flops = 2.0 * (double)g.N * (double)g.Cout * (double)g.rows() * (double)g.out();
    int nt = 1;
    if (flops > parallel_policy().gemm_flops)
        for (int t = omp_get_max_threads(); t > 1; --t)
            if (sc.bytes(t) <= a.work_bytes) {
                nt = t;
                break;
            }
    // The scratch: the row table and transposed kernel, each thread's, the kernel gradient's parts.
    char* work = static_cast<char*>(a.work);
    int64_t* table = reinterpret_cast<int64_t*>(work);
    T* wt = reinterpret_cast<T*>(work + sc.table);
    char* mine = work + sc.table + sc.wt;
    auto at = [&](int t, size_t off) { return mine + t * sc.thread() + off; };
    auto col_of = [&](int t) { return reinterpret_cast<T*>(at(t, 0)); };
    auto img_of = [&](int t) { return reinterpret_cast<T*>(at(t, sc.col)); };
    auto wide_of = [&](int t) { return reinterpret_cast<T*>(at(t, sc.col + sc.img)); };
    auto gemm_of = [&](int t) { return static_cast<void*>(at(t, sc.col + sc.img + sc.wide)); };
    T* partials = reinterpret_cast<T*>(mine + nt * sc.thread());
    const bool rows = rows_path(g, m);
    const Geo f = rows && m == BACKWARD_INPUT ? transposed(g) : g;   // the forward pass computed
    if (rows) row_offsets(f, table);
    if (rows && m == BACKWARD_INPUT) transpose_kernel(g, in1, wt);

    auto sample = [&](int64_t n, int t, int inner, T* dw, T beta) {
        if (rows && m == FORWARD)
            forward_rows(f, in0 + n * xs, in1, table, out + n * ys, img_of(t), wide_of(t), gemm_of(t), inner);
        else if (rows && m == BACKWARD_INPUT)
            forward_rows(f, in0 + n * ys, wt, table, out + n * xs, img_of(t), wide_of(t), gemm_of(t), inner);
        else if (rows)
            backward_kernel_rows(g, in0 + n * xs, in1 + n * ys, table, dw, beta, img_of(t), wide_of(t), gemm_of(t),
                                 inner);
        else if (m == FORWARD)
            forward_sample(g, in0 + n * xs, in1, out + n * ys, col_of(t), gemm_of(t), inner);
        else if (m == BACKWARD_INPUT)
            backward_input_sample(g, in0 + n * ys, in1, out + n * xs, col_of(t), gemm_of(t), inner);
        else
            backward_kernel_sample(g, in0 + n * xs, in1 + n * ys, dw, beta, col_of(t), gemm_of(t), inner);
    };
    if (nt == 1 || g.N < nt) {   // one thread, or all of them inside each product
        for (int64_t n = 0; n < g.N; ++n) sample(n, 0, nt, out, n == 0 ? T(0) : T(1));
        return 0;
    }
    const int64_t parts = m == BACKWARD_KERNEL ? std::min(g.N, Scratch<T>::parts(nt)) : g.N;
    std::atomic<int64_t> next{0};
#pragma omp parallel num_threads(nt)
    {
        const int t = omp_get_thread_num();
        for (int64_t p = next++; p < parts; p = next++) {
            if (m != BACKWARD_KERNEL) {
                sample(p, t, 1, nullptr, T(0));
                continue;
            }
            T* dw = p == 0 ? out : partials + (p - 1) * (sc.part / sizeof(T));
            for (int64_t n = g.N * p / parts; n < g.N * (p + 1) / parts; ++n)
                sample(n, t, 1, dw, n == g.N * p / parts ? T(0) : T(1));
        }
    }
    if (m == BACKWARD_KERNEL)
        for (int64_t p = 1; p < parts; ++p) {
            const T* src = partials + (p - 1) * (sc.part / sizeof(T));
            for (int64_t i = 0; i < dw_size; ++i) out[i] += src[i];
        }
    return 0;
}

int run_conv(const Args& a, Mode m, const char* name) {
    const int rc = dispatch_float(a.ip[0], [&](auto t) { return conv<decltype(t)>(a, m); });
    if (rc == -1 && a.ctx->error.empty()) a.ctx->error = std::string(name) + ": float32 or float64 only";
    return rc;
}

}  // namespace

SK_KERNEL_WITH_WORKSPACE(conv_forward, conv_workspace<FORWARD>) {
    return run_conv(a, FORWARD, "conv_forward");
}

SK_KERNEL_WITH_WORKSPACE(conv_backward_input, conv_workspace<BACKWARD_INPUT>) {
    return run_conv(a, BACKWARD_INPUT, "conv_backward_input");
}

SK_KERNEL_WITH_WORKSPACE(conv_backward_kernel, conv_workspace<BACKWARD_KERNEL>) {
    return run_conv(a, BACKWARD_KERNEL, "conv_backward_kernel");
}

}  // namespace sk
