// Pooling (symkeras/backend/ops/pool.py): max and average pooling over 1 to 3 spatial dims,
// their gradients, and pool_select, the gradient of max pooling's gradient.
//
// Layout: x is a contiguous (outer, D, H, W, inner) view. Channels first ('th'): outer = batch
// * channels, inner = 1, so each (sample, channel) is a plane of its own; the forward pass
// computes the outputs of a row kLanes at a time in vector registers (strided loads, one per
// window element: a 2x2 window over 24 columns is 4 loads per 8 outputs). Channels last
// ('tf'): outer = batch, inner = channels, and the innermost loops run over contiguous
// channels, so they vectorise. Fewer than 3 spatial dims are leading dims of size 1 (pool 1,
// stride 1, pad 0). The output is (outer, OD, OH, OW, inner).
//
// Windows (Theano's pooling with ignore_border=True): output i of a spatial dim of length n
// pools the input elements [i*s - p, i*s - p + k) that lie in [0, n); padding is never read,
// so a max is taken over real elements and an average divides by the number of real
// elements (Theano's average_exc_pad). The caller guarantees every window holds at least one.
//
// Max pooling: the maximum is the first largest element of the window in (d, h, w) order;
// a NaN wins (the first NaN), as in K.max. Its flat spatial index (d*H + h)*W + w within the
// input plane is written to an int32 output when one is wanted; the gradient scatters each
// output gradient to that element only (pool_grad), and pool_select reads an array at those
// elements.
//
// Threads: OpenMP over planes (channels first) or over (sample, block of channels) (channels
// last) above the cheap-work threshold: every thread writes only its own planes or channels,
// so results do not depend on the thread count.
#include <algorithm>
#include <cstdint>
#include <cstring>

#include "runtime/dispatch.hpp"

namespace sk {
namespace {

enum PoolMode { P_MAX = 0, P_AVG = 1 };
constexpr int64_t kBlock = 64;   // channels per work item (channels last)
constexpr int kLanes = 8;        // outputs per vector block (channels first)

// kLanes values and kLanes int32 indices (GCC/Clang vector extensions: registers of whatever
// vector ISA the module is built for).
template <class T>
struct Lanes {
    typedef T V __attribute__((vector_size(kLanes * sizeof(T))));
    typedef int32_t I __attribute__((vector_size(kLanes * sizeof(int32_t))));
};

struct Geometry {
    int64_t outer, inner;
    int64_t n[3], o[3], k[3], s[3], p[3];   // input and output lengths, pool, stride, pad

    explicit Geometry(const int64_t* ip) {
        outer = ip[0];
        inner = ip[1];
        for (int j = 0; j < 3; ++j) {
            n[j] = ip[2 + j];
            o[j] = ip[5 + j];
            k[j] = ip[8 + j];
            s[j] = ip[11 + j];
            p[j] = ip[14 + j];
        }
    }
    int64_t in_plane() const { return n[0] * n[1] * n[2]; }
    int64_t out_plane() const { return o[0] * o[1] * o[2]; }
    int64_t blocks() const { return (inner + kBlock - 1) / kBlock; }
    // The input range [lo, hi) of window i along dim j.
    void window(int j, int64_t i, int64_t& lo, int64_t& hi) const {
        const int64_t start = i * s[j] - p[j];
        lo = std::max<int64_t>(start, 0);
        hi = std::min(start + k[j], n[j]);
    }
    bool parallel() const { return outer * blocks() > 1 && parallel_cheap(outer * in_plane() * inner); }
};

constexpr int kGeometryParams = 17;

// a replaces the running maximum b: larger, or the first NaN.
template <class T>
inline bool beats(T a, T b) { return b == b && !(a <= b); }

// Calls f(q0, d0, d1, h0, h1) for every row of outputs of a plane (fixed od, oh): q0 is the
// row's first output, [d0, d1) x [h0, h1) the input rows its windows cover.
template <class F>
inline void for_rows(const Geometry& g, F&& f) {
    for (int64_t od = 0; od < g.o[0]; ++od) {
        int64_t d0, d1;
        g.window(0, od, d0, d1);
        for (int64_t oh = 0; oh < g.o[1]; ++oh) {
            int64_t h0, h1;
            g.window(1, oh, h0, h1);
            f((od * g.o[1] + oh) * g.o[2], d0, d1, h0, h1);
        }
    }
}

// Calls f(q, d0, d1, h0, h1, w0, w1) for every output q of a plane with its window.
template <class F>
inline void for_windows(const Geometry& g, F&& f) {
    for_rows(g, [&](int64_t q0, int64_t d0, int64_t d1, int64_t h0, int64_t h1) {
        for (int64_t ow = 0; ow < g.o[2]; ++ow) {
            int64_t w0, w1;
            g.window(2, ow, w0, w1);
            f(q0 + ow, d0, d1, h0, h1, w0, w1);
        }
    });
}

// Channels first, the outputs of a row whose windows need no clipping along the row (the
// interior, [lo, hi)) are computed kLanes at a time in vector registers; the interior is
// empty when it is shorter than min_len. The outputs before and after it are computed one
// window at a time.
struct Interior {
    int64_t lo, hi;
    Interior(const Geometry& g, int64_t min_len) {
        const int64_t s = g.s[2], room = g.n[2] + g.p[2] - g.k[2];
        lo = std::min(g.o[2], (g.p[2] + s - 1) / s);
        hi = room < 0 ? lo : std::max(lo, std::min(g.o[2], room / s + 1));
        if (hi - lo < min_len) hi = lo;
    }
    // Calls f(ow, w0, w1) for the outputs of a row outside the interior, with their windows.
    template <class F>
    void for_edges(const Geometry& g, F&& f) const {
        for (int64_t ow = 0; ow < g.o[2]; ++ow) {
            if (ow == lo) ow = hi;
            if (ow == g.o[2]) break;
            int64_t w0, w1;
            g.window(2, ow, w0, w1);
            f(ow, w0, w1);
        }
    }
};

// ----------------------------------------------------------------------------- forward

// One output q of a plane (channels first) from its clipped window.
template <class T, int MODE, bool IDX>
inline void pool_one(const Geometry& g, const T* x, T* y, int32_t* idx, int64_t q, int64_t d0,
                     int64_t d1, int64_t h0, int64_t h1, int64_t w0, int64_t w1) {
    const int64_t H = g.n[1], W = g.n[2];
    if constexpr (MODE == P_MAX) {
        int64_t best_at = (d0 * H + h0) * W + w0;
        T best = x[best_at];
        for (int64_t d = d0; d < d1; ++d)
            for (int64_t h = h0; h < h1; ++h) {
                const int64_t row = (d * H + h) * W;
                for (int64_t w = w0; w < w1; ++w)
                    if (beats(x[row + w], best)) {
                        best = x[row + w];
                        best_at = row + w;
                    }
            }
        y[q] = best;
        if constexpr (IDX) idx[q] = (int32_t)best_at;
    } else {
        T sum = 0;
        for (int64_t d = d0; d < d1; ++d)
            for (int64_t h = h0; h < h1; ++h) {
                const T* row = x + (d * H + h) * W;
                for (int64_t w = w0; w < w1; ++w) sum += row[w];
            }
        y[q] = sum / (T)((d1 - d0) * (h1 - h0) * (w1 - w0));
    }
}

// The outputs b .. b + kLanes - 1 of a row (interior, channels first) whose windows cover
// input rows [d0, d1) x [h0, h1): every window element is one strided vector load, folded
// into the kLanes results held in registers, in (d, h, w) order so the first maximum wins.
template <class T, int MODE, bool IDX>
inline void pool_block(const Geometry& g, const T* x, T* yr, int32_t* ir, int64_t b, int64_t d0,
                       int64_t d1, int64_t h0, int64_t h1) {
    using V = typename Lanes<T>::V;
    using I = typename Lanes<T>::I;
    const int64_t H = g.n[1], W = g.n[2], s = g.s[2], k = g.k[2];
    const int64_t shift = b * s - g.p[2];   // column of output b's window start
    I step;
    for (int j = 0; j < kLanes; ++j) step[j] = (int32_t)(j * s);
    auto load = [&](int64_t e) {
        V v;
        for (int j = 0; j < kLanes; ++j) v[j] = x[e + j * s];
        return v;
    };
    V acc = {};
    I at = {};
    if constexpr (MODE == P_MAX) {
        const int64_t first = (d0 * H + h0) * W + shift;
        acc = load(first);
        at = step + (int32_t)first;
    }
    for (int64_t d = d0; d < d1; ++d)
        for (int64_t h = h0; h < h1; ++h)
            for (int64_t kw = 0; kw < k; ++kw) {
                const int64_t e = (d * H + h) * W + kw + shift;
                const V v = load(e);
                if constexpr (MODE == P_MAX) {
                    const auto take = (acc == acc) & ~(v <= acc);   // beats(v, acc) per lane
                    acc = take ? v : acc;
                    if constexpr (IDX) at = __builtin_convertvector(take, I) ? step + (int32_t)e : at;
                } else {
                    acc += v;
                }
            }
    if constexpr (MODE == P_AVG) acc /= (T)((d1 - d0) * (h1 - h0) * k);
    for (int j = 0; j < kLanes; ++j) yr[b + j] = acc[j];
    if constexpr (IDX)
        for (int j = 0; j < kLanes; ++j) ir[b + j] = at[j];
}

// Channels first: one plane; x, y, idx point at it. The interior of a row goes in blocks of
// kLanes outputs, the last block overlapping the one before when kLanes does not divide it
// (it recomputes some outputs: the same values).
template <class T, int MODE, bool IDX>
void pool_plane(const Geometry& g, const T* x, T* y, int32_t* idx) {
    const Interior in(g, kLanes);
    for_rows(g, [&](int64_t q0, int64_t d0, int64_t d1, int64_t h0, int64_t h1) {
        in.for_edges(g, [&](int64_t ow, int64_t w0, int64_t w1) {
            pool_one<T, MODE, IDX>(g, x, y, idx, q0 + ow, d0, d1, h0, h1, w0, w1);
        });
        for (int64_t b = in.lo; b < in.hi; b += kLanes)
            pool_block<T, MODE, IDX>(g, x, y + q0, IDX ? idx + q0 : nullptr, std::min(b, in.hi - kLanes),
                                     d0, d1, h0, h1);
    });
}

// Channels last: channels [c0, c1) of one sample; x, y, idx point at the sample.
template <class T, int MODE, bool IDX>
void pool_channels(const Geometry& g, const T* x, T* y, int32_t* idx, int64_t c0, int64_t c1) {
    const int64_t H = g.n[1], W = g.n[2], C = g.inner;
    for_windows(g, [&](int64_t q, int64_t d0, int64_t d1, int64_t h0, int64_t h1, int64_t w0, int64_t w1) {
        T* yq = y + q * C;
        if constexpr (MODE == P_MAX) {
            const int32_t first = (int32_t)((d0 * H + h0) * W + w0);
            int32_t* iq = IDX ? idx + q * C : nullptr;
            for (int64_t c = c0; c < c1; ++c) yq[c] = x[first * C + c];
            if constexpr (IDX)
                for (int64_t c = c0; c < c1; ++c) iq[c] = first;
            for (int64_t d = d0; d < d1; ++d)
                for (int64_t h = h0; h < h1; ++h)
                    for (int64_t w = w0; w < w1; ++w) {
                        const int32_t e = (int32_t)((d * H + h) * W + w);
                        const T* xe = x + e * C;
                        for (int64_t c = c0; c < c1; ++c) {
                            const bool take = beats(xe[c], yq[c]);
                            yq[c] = take ? xe[c] : yq[c];
                            if constexpr (IDX) iq[c] = take ? e : iq[c];
                        }
                    }
        } else {
            for (int64_t c = c0; c < c1; ++c) yq[c] = 0;
            for (int64_t d = d0; d < d1; ++d)
                for (int64_t h = h0; h < h1; ++h)
                    for (int64_t w = w0; w < w1; ++w) {
                        const T* xe = x + ((d * H + h) * W + w) * C;
                        for (int64_t c = c0; c < c1; ++c) yq[c] += xe[c];
                    }
            const T count = (T)((d1 - d0) * (h1 - h0) * (w1 - w0));
            for (int64_t c = c0; c < c1; ++c) yq[c] /= count;
        }
    });
}

template <class T, int MODE, bool IDX>
void pool_forward(const Geometry& g, const T* x, T* y, int32_t* idx) {
    const int64_t S = g.in_plane(), P = g.out_plane(), C = g.inner;
    if (C == 1) {
#pragma omp parallel for if (g.parallel()) schedule(static)
        for (int64_t t = 0; t < g.outer; ++t)
            pool_plane<T, MODE, IDX>(g, x + t * S, y + t * P, IDX ? idx + t * P : nullptr);
        return;
    }
    const int64_t nb = g.blocks();
#pragma omp parallel for collapse(2) if (g.parallel()) schedule(static)
    for (int64_t t = 0; t < g.outer; ++t)
        for (int64_t b = 0; b < nb; ++b)
            pool_channels<T, MODE, IDX>(g, x + t * S * C, y + t * P * C, IDX ? idx + t * P * C : nullptr,
                                        b * kBlock, std::min(C, (b + 1) * kBlock));
}

// ----------------------------------------------------------------------------- backward

// The gradient of one plane (channels first), which starts zeroed. Average pooling's goes
// row by row as the forward pass does: the clipped windows at the ends one by one, then a
// pass over the interior outputs per window element.
template <class T, int MODE>
void grad_plane(const Geometry& g, const T* __restrict gy, const int32_t* __restrict idx, T* __restrict gx) {
    if constexpr (MODE == P_MAX) {
        const int64_t P = g.out_plane();
        for (int64_t q = 0; q < P; ++q) gx[idx[q]] += gy[q];
    } else {
        const int64_t H = g.n[1], W = g.n[2], s = g.s[2], k = g.k[2], p = g.p[2];
        const Interior in(g, 1);
        for_rows(g, [&](int64_t q0, int64_t d0, int64_t d1, int64_t h0, int64_t h1) {
            in.for_edges(g, [&](int64_t ow, int64_t w0, int64_t w1) {
                const T v = gy[q0 + ow] / (T)((d1 - d0) * (h1 - h0) * (w1 - w0));
                for (int64_t d = d0; d < d1; ++d)
                    for (int64_t h = h0; h < h1; ++h) {
                        T* row = gx + (d * H + h) * W;
                        for (int64_t w = w0; w < w1; ++w) row[w] += v;
                    }
            });
            const T count = (T)((d1 - d0) * (h1 - h0) * k);
            const T* gr = gy + q0;
            for (int64_t d = d0; d < d1; ++d)
                for (int64_t h = h0; h < h1; ++h)
                    for (int64_t kw = 0; kw < k; ++kw) {
                        const int64_t e = (d * H + h) * W + kw - p;   // + ow * s >= 0 in the interior
                        for (int64_t ow = in.lo; ow < in.hi; ++ow) gx[e + ow * s] += gr[ow] / count;
                    }
        });
    }
}

// Channels [c0, c1) of one sample's gradient (channels last), which start zeroed.
template <class T, int MODE>
void grad_channels(const Geometry& g, const T* gy, const int32_t* idx, T* gx, int64_t c0, int64_t c1) {
    const int64_t H = g.n[1], W = g.n[2], C = g.inner;
    if constexpr (MODE == P_MAX) {
        const int64_t P = g.out_plane();
        for (int64_t q = 0; q < P; ++q)
            for (int64_t c = c0; c < c1; ++c) gx[(int64_t)idx[q * C + c] * C + c] += gy[q * C + c];
    } else {
        for_windows(g, [&](int64_t q, int64_t d0, int64_t d1, int64_t h0, int64_t h1, int64_t w0, int64_t w1) {
            const T count = (T)((d1 - d0) * (h1 - h0) * (w1 - w0));
            const T* gq = gy + q * C;
            for (int64_t d = d0; d < d1; ++d)
                for (int64_t h = h0; h < h1; ++h)
                    for (int64_t w = w0; w < w1; ++w) {
                        T* ge = gx + ((d * H + h) * W + w) * C;
                        for (int64_t c = c0; c < c1; ++c) ge[c] += gq[c] / count;
                    }
        });
    }
}

template <class T, int MODE>
void pool_backward(const Geometry& g, const T* gy, const int32_t* idx, T* gx) {
    const int64_t S = g.in_plane(), P = g.out_plane(), C = g.inner;
    if (C == 1) {
#pragma omp parallel for if (g.parallel()) schedule(static)
        for (int64_t t = 0; t < g.outer; ++t) {
            T* gxt = gx + t * S;
            std::memset(gxt, 0, (size_t)S * sizeof(T));
            grad_plane<T, MODE>(g, gy + t * P, MODE == P_MAX ? idx + t * P : nullptr, gxt);
        }
        return;
    }
    const int64_t nb = g.blocks();
#pragma omp parallel for collapse(2) if (g.parallel()) schedule(static)
    for (int64_t t = 0; t < g.outer; ++t)
        for (int64_t b = 0; b < nb; ++b) {
            const int64_t c0 = b * kBlock, c1 = std::min(C, c0 + kBlock);
            T* gxt = gx + t * S * C;
            for (int64_t e = 0; e < S; ++e)
                for (int64_t c = c0; c < c1; ++c) gxt[e * C + c] = 0;
            grad_channels<T, MODE>(g, gy + t * P * C, MODE == P_MAX ? idx + t * P * C : nullptr, gxt, c0, c1);
        }
}

}  // namespace

// buf: [x, y] or, with the index flag, [x, y, idx (int32, shaped like y)]
// ip:  [dtype, mode (0 max, 1 avg), index flag, outer, inner, D, H, W, OD, OH, OW,
//       KD, KH, KW, SD, SH, SW, PD, PH, PW]
SK_KERNEL(pool) {
    if (a.nip != 3 + kGeometryParams) {
        a.ctx->error = "pool: wrong number of parameters";
        return 1;
    }
    const Geometry g(a.ip + 3);
    const int64_t mode = a.ip[1];
    const bool with_idx = a.ip[2] != 0;
    int32_t* idx = with_idx ? static_cast<int32_t*>(a.buf[2]) : nullptr;
    int rc = dispatch_float(a.ip[0], [&](auto t) {
        using T = decltype(t);
        const T* x = static_cast<const T*>(a.buf[0]);
        T* y = static_cast<T*>(a.buf[1]);
        if (mode == P_AVG)
            pool_forward<T, P_AVG, false>(g, x, y, nullptr);
        else if (with_idx)
            pool_forward<T, P_MAX, true>(g, x, y, idx);
        else
            pool_forward<T, P_MAX, false>(g, x, y, nullptr);
        return 0;
    });
    if (rc) a.ctx->error = "pool: unsupported dtype";
    return rc;
}

// buf: [gy, gx] (average) or [gy, idx, gx] (max); gy and idx are shaped like pool's output,
//      gx like its input.
// ip:  [dtype, mode, outer, inner, D, H, W, OD, OH, OW, KD, KH, KW, SD, SH, SW, PD, PH, PW]
SK_KERNEL(pool_grad) {
    if (a.nip != 2 + kGeometryParams) {
        a.ctx->error = "pool_grad: wrong number of parameters";
        return 1;
    }
    const Geometry g(a.ip + 2);
    const bool max = a.ip[1] == P_MAX;
    const int32_t* idx = max ? static_cast<const int32_t*>(a.buf[1]) : nullptr;
    int rc = dispatch_float(a.ip[0], [&](auto t) {
        using T = decltype(t);
        const T* gy = static_cast<const T*>(a.buf[0]);
        T* gx = static_cast<T*>(a.buf[max ? 2 : 1]);
        if (max)
            pool_backward<T, P_MAX>(g, gy, idx, gx);
        else
            pool_backward<T, P_AVG>(g, gy, nullptr, gx);
        return 0;
    });
    if (rc) a.ctx->error = "pool_grad: unsupported dtype";
    return rc;
}

// y[t, q, c] = x[t, idx[t, q, c], c]: an array shaped like pool's input read at the elements
// max pooling chose (the adjoint of pool_grad's scatter).
// buf: [x (outer, in_plane, inner), idx (outer, out_plane, inner), y (like idx)]
// ip:  [dtype, outer, inner, in_plane, out_plane]
SK_KERNEL(pool_select) {
    if (a.nip != 5) {
        a.ctx->error = "pool_select: wrong number of parameters";
        return 1;
    }
    const int64_t outer = a.ip[1], C = a.ip[2], S = a.ip[3], P = a.ip[4];
    const int32_t* idx = static_cast<const int32_t*>(a.buf[1]);
    int rc = dispatch_float(a.ip[0], [&](auto t) {
        using T = decltype(t);
        const T* x = static_cast<const T*>(a.buf[0]);
        T* y = static_cast<T*>(a.buf[2]);
#pragma omp parallel for if (outer > 1 && parallel_cheap(outer * P * C)) schedule(static)
        for (int64_t o = 0; o < outer; ++o) {
            const T* xo = x + o * S * C;
            const int32_t* io = idx + o * P * C;
            T* yo = y + o * P * C;
            for (int64_t q = 0; q < P; ++q)
                for (int64_t c = 0; c < C; ++c) yo[q * C + c] = xo[(int64_t)io[q * C + c] * C + c];
        }
        return 0;
    });
    if (rc) a.ctx->error = "pool_select: unsupported dtype";
    return rc;
}

}  // namespace sk
