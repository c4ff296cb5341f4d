// Reductions over the middle axis of a contiguous (outer, r, inner) view: sum, prod, max, min,
// any, all, argmax, argmin, and prod_others, the gradient of prod.
//
// Accuracy: float sums and products accumulate in double, whatever the input dtype, then are
// rounded once to the output dtype (more accurate than numpy's float32 pairwise sums; Theano
// also sums float32 in a wider accumulator).
//
// Memory order: with inner > 1 (a reduction over a leading or middle axis, e.g. the bias
// gradient, a column sum over the batch) the kernel streams the r rows of a block of up to
// kCols consecutive columns, each row a contiguous load, into kCols accumulators that stay in
// registers or L1; each output still sums its column in order k = 0 .. r-1, so the result is
// the same as a column-by-column loop. With inner == 1 (the last axis) each line is split
// into kLanes interleaved partial sums (element k goes to lane k % kLanes) added up in lane
// order at the end: independent adds that vectorise. Both orders are fixed, so no value
// depends on the number of threads.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <type_traits>

#include "runtime/dispatch.hpp"

namespace sk {

enum ReduceOp { R_SUM, R_PROD, R_MAX, R_MIN, R_ANY, R_ALL, R_ARGMAX, R_ARGMIN };

namespace {

constexpr int64_t kCols = 64;   // columns per streamed block (inner > 1)
constexpr int kLanes = 16;      // partial results per line (inner == 1)

// One reduction as a fold: A is the accumulator type, start() takes the first element,
// add() folds in the next one (or, with V = A, another accumulator).
template <int OP, class T, class O>
struct Fold {
    using A = std::conditional_t<OP == R_SUM || OP == R_PROD,
              std::conditional_t<std::is_floating_point_v<T> || std::is_floating_point_v<O>, double, int64_t>,
              std::conditional_t<OP == R_ANY || OP == R_ALL, bool, T>>;
    static A start(T v) {
        if constexpr (OP == R_ANY || OP == R_ALL) return v != T(0);
        else return (A)v;
    }
    template <class V>
    static A add(A acc, V v) {
        if constexpr (OP == R_SUM) return acc + (A)v;
        else if constexpr (OP == R_PROD) return acc * (A)v;
        else if constexpr (OP == R_MAX) return (v != v || v > acc) ? (A)v : acc;   // NaN wins, as in numpy
        else if constexpr (OP == R_MIN) return (v != v || v < acc) ? (A)v : acc;
        else if constexpr (std::is_same_v<V, A>) return OP == R_ANY ? (acc || v) : (acc && v);
        else return OP == R_ANY ? (acc || v != V(0)) : (acc && v != V(0));
    }
};

// Columns [0, w) of rows 0 .. r-1 (row stride `inner`) of p, folded into q[0 .. w).
template <class F, class T, class O>
inline void fold_columns(const T* p, O* q, int64_t r, int64_t inner, int64_t w) {
    typename F::A acc[kCols];
    for (int64_t j = 0; j < w; ++j) acc[j] = F::start(p[j]);
    for (int64_t k = 1; k < r; ++k) {
        const T* row = p + k * inner;
        for (int64_t j = 0; j < w; ++j) acc[j] = F::add(acc[j], row[j]);
    }
    for (int64_t j = 0; j < w; ++j) q[j] = (O)acc[j];
}

template <class F, class T, class O>
void reduce_columns(const T* x, O* y, int64_t outer, int64_t r, int64_t inner) {
    const int64_t blocks = (inner + kCols - 1) / kCols;
#pragma omp parallel for collapse(2) if (parallel_cheap(outer * r * inner)) schedule(static)
    for (int64_t o = 0; o < outer; ++o) {
        for (int64_t b = 0; b < blocks; ++b) {
            const T* p = x + o * r * inner + b * kCols;
            O* q = y + o * inner + b * kCols;
            const int64_t w = std::min(kCols, inner - b * kCols);
            if (w == kCols)   // a constant width: the accumulators can live in registers
                fold_columns<F>(p, q, r, inner, kCols);
            else
                fold_columns<F>(p, q, r, inner, w);
        }
    }
}

template <class F, class T, class O>
void reduce_lines(const T* x, O* y, int64_t outer, int64_t r) {
#pragma omp parallel for if (parallel_cheap(outer * r)) schedule(static)
    for (int64_t o = 0; o < outer; ++o) {
        const T* p = x + o * r;
        typename F::A acc;
        if (r >= 2 * kLanes) {
            typename F::A lane[kLanes];
            for (int j = 0; j < kLanes; ++j) lane[j] = F::start(p[j]);
            int64_t k = kLanes;
            for (; k + kLanes <= r; k += kLanes)
                for (int j = 0; j < kLanes; ++j) lane[j] = F::add(lane[j], p[k + j]);
            for (int j = 0; k + j < r; ++j) lane[j] = F::add(lane[j], p[k + j]);
            acc = lane[0];
            for (int j = 1; j < kLanes; ++j) acc = F::add(acc, lane[j]);
        } else {
            acc = F::start(p[0]);
            for (int64_t k = 1; k < r; ++k) acc = F::add(acc, p[k]);
        }
        y[o] = (O)acc;
    }
}

// argmax/argmin: the index of the first extreme element, or of the first NaN, as in numpy.
// Rows are streamed as above; the running extreme of a column stops moving once it is NaN.
template <bool MAX, class T, class O>
void arg_columns(const T* x, O* y, int64_t outer, int64_t r, int64_t inner) {
#pragma omp parallel for collapse(2) if (parallel_cheap(outer * r * inner)) schedule(static)
    for (int64_t o = 0; o < outer; ++o) {
        for (int64_t i0 = 0; i0 < inner; i0 += kCols) {
            const T* p = x + o * r * inner + i0;
            const int64_t w = std::min(kCols, inner - i0);
            T m[kCols];
            int64_t best[kCols];
            for (int64_t j = 0; j < w; ++j) {
                m[j] = p[j];
                best[j] = 0;
            }
            for (int64_t k = 1; k < r; ++k) {
                const T* row = p + k * inner;
                for (int64_t j = 0; j < w; ++j) {
                    const T v = row[j];
                    if (m[j] == m[j] && (v != v || (MAX ? v > m[j] : v < m[j]))) {
                        m[j] = v;
                        best[j] = k;
                    }
                }
            }
            for (int64_t j = 0; j < w; ++j) y[o * inner + i0 + j] = (O)best[j];
        }
    }
}

template <int OP, class T, class O>
void reduce_op(const T* x, O* y, int64_t outer, int64_t r, int64_t inner) {
    if constexpr (OP == R_ARGMAX || OP == R_ARGMIN) {
        arg_columns<OP == R_ARGMAX>(x, y, outer, r, inner);
    } else if (inner == 1) {
        reduce_lines<Fold<OP, T, O>>(x, y, outer, r);
    } else {
        reduce_columns<Fold<OP, T, O>>(x, y, outer, r, inner);
    }
}

template <class T, class O>
int reduce(int op, const T* x, O* y, int64_t outer, int64_t r, int64_t inner) {
    switch (op) {
        case R_SUM: reduce_op<R_SUM>(x, y, outer, r, inner); return 0;
        case R_PROD: reduce_op<R_PROD>(x, y, outer, r, inner); return 0;
        case R_MAX: reduce_op<R_MAX>(x, y, outer, r, inner); return 0;
        case R_MIN: reduce_op<R_MIN>(x, y, outer, r, inner); return 0;
        case R_ANY: reduce_op<R_ANY>(x, y, outer, r, inner); return 0;
        case R_ALL: reduce_op<R_ALL>(x, y, outer, r, inner); return 0;
        case R_ARGMAX: reduce_op<R_ARGMAX>(x, y, outer, r, inner); return 0;
        case R_ARGMIN: reduce_op<R_ARGMIN>(x, y, outer, r, inner); return 0;
    }
    return -1;
}

}  // namespace

// ip: [opcode, in_dtype, out_dtype, outer, r, inner]; r >= 1
SK_KERNEL(reduce) {
    const int op = (int)a.ip[0];
    const int64_t outer = a.ip[3], r = a.ip[4], inner = a.ip[5];
    int rc = dispatch_all(a.ip[1], [&](auto t) {
        using T = decltype(t);
        return dispatch_all(a.ip[2], [&](auto o) {
            using O = decltype(o);
            return reduce<T, O>(op, static_cast<const T*>(a.buf[0]), static_cast<O*>(a.buf[1]), outer, r, inner);
        });
    });
    if (rc) a.ctx->error = "reduce: unsupported dtype or opcode";
    return rc;
}


// The gradient of a product reduction: for every element of the middle axis of a contiguous
// (outer, r, inner) view, the product of the other elements of its line. Prefix products are
// stored first, then each is multiplied by the running suffix product: no division, so zeros
// in x are handled exactly. Products are accumulated in double.

// w holds the prefix products of a line (w may be y for double).
template <class T>
static void prod_others(const T* x, T* y, double* w, int64_t outer, int64_t r, int64_t inner) {
    const bool par = parallel_cheap(outer * r * inner);
#pragma omp parallel for collapse(2) if (par) schedule(static)
    for (int64_t o = 0; o < outer; ++o) {
        for (int64_t i = 0; i < inner; ++i) {
            const int64_t base = o * r * inner + i;
            const T* p = x + base;
            T* q = y + base;
            double* pre = w + base;
            double acc = 1;
            for (int64_t k = 0; k < r; ++k) {
                pre[k * inner] = acc;
                acc *= (double)p[k * inner];
            }
            acc = 1;
            for (int64_t k = r - 1; k >= 0; --k) {
                q[k * inner] = (T)(pre[k * inner] * acc);
                acc *= (double)p[k * inner];
            }
        }
    }
}

// bufs: [x, y, w] with w a float64 scratch of x's size (or y itself when x is float64).
// ip: [dtype, outer, r, inner]
SK_KERNEL(prod_others) {
    const int64_t outer = a.ip[1], r = a.ip[2], inner = a.ip[3];
    int rc = dispatch_float(a.ip[0], [&](auto t) {
        using T = decltype(t);
        prod_others<T>(static_cast<const T*>(a.buf[0]), static_cast<T*>(a.buf[1]),
                       static_cast<double*>(a.buf[2]), outer, r, inner);
        return 0;
    });
    if (rc) a.ctx->error = "prod_others: unsupported dtype";
    return rc;
}

}  // namespace sk
