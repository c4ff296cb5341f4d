// Reductions over the middle axis of a contiguous (outer, r, inner) view: sum, prod, max, min,
// any, all, argmax, argmin (float sums and products accumulate in double), and prod_others,
// the gradient of prod.
#include <cmath>
#include <cstdint>
#include <limits>
#include <type_traits>

#include "runtime/dispatch.hpp"

namespace sk {

enum ReduceOp { R_SUM, R_PROD, R_MAX, R_MIN, R_ANY, R_ALL, R_ARGMAX, R_ARGMIN };

template <class T, class O>
static void reduce(int op, const T* x, O* y, int64_t outer, int64_t r, int64_t inner) {
    using Acc = std::conditional_t<std::is_floating_point_v<T>, double,
                std::conditional_t<std::is_floating_point_v<O>, double, int64_t>>;
    const bool par = parallel_cheap(outer * r * inner);
#pragma omp parallel for collapse(2) if (par) schedule(static)
    for (int64_t o = 0; o < outer; ++o) {
        for (int64_t i = 0; i < inner; ++i) {
            const T* p = x + o * r * inner + i;
            O* q = y + o * inner + i;
            switch (op) {
                case R_SUM: { Acc s = 0; for (int64_t k = 0; k < r; ++k) s += (Acc)p[k * inner]; *q = (O)s; break; }
                case R_PROD: { Acc s = 1; for (int64_t k = 0; k < r; ++k) s *= (Acc)p[k * inner]; *q = (O)s; break; }
                case R_MAX: case R_MIN: {
                    T m = p[0];
                    for (int64_t k = 1; k < r; ++k) {
                        T v = p[k * inner];
                        if (v != v) { m = v; break; }   // NaN wins, as in numpy
                        if (op == R_MAX ? v > m : v < m) m = v;
                    }
                    *q = (O)m;
                    break;
                }
                case R_ANY: { bool b = false; for (int64_t k = 0; k < r && !b; ++k) b = p[k * inner] != T(0); *q = (O)b; break; }
                case R_ALL: { bool b = true; for (int64_t k = 0; k < r && b; ++k) b = p[k * inner] != T(0); *q = (O)b; break; }
                case R_ARGMAX: case R_ARGMIN: {
                    int64_t best = 0;
                    T m = p[0];
                    for (int64_t k = 1; k < r && m == m; ++k) {   // first NaN wins, as in numpy
                        T v = p[k * inner];
                        if (v != v || (op == R_ARGMAX ? v > m : v < m)) { m = v; best = k; }
                    }
                    *q = (O)best;
                    break;
                }
            }
        }
    }
}

// ip: [opcode, in_dtype, out_dtype, outer, r, inner]; r >= 1
SK_KERNEL(reduce) {
    const int op = (int)a.ip[0];
    const int64_t outer = a.ip[3], r = a.ip[4], inner = a.ip[5];
    int rc = dispatch_all(a.ip[1], [&](auto t) {
        using T = decltype(t);
        return dispatch_all(a.ip[2], [&](auto o) {
            using O = decltype(o);
            reduce<T, O>(op, static_cast<const T*>(a.buf[0]), static_cast<O*>(a.buf[1]), outer, r, inner);
            return 0;
        });
    });
    if (rc) a.ctx->error = "reduce: unsupported dtype";
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
