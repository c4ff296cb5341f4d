// Softmax over the last axis of a contiguous (rows, n) view. Each row is shifted by its maximum
// before exp, so logits of any magnitude do not overflow; the sum is accumulated in double.
// A row holding NaN gives NaN, as the numpy reference does.
#include <cmath>
#include <cstdint>

#include "runtime/dispatch.hpp"

namespace sk {

template <class T>
static void softmax_rows(const T* x, T* y, int64_t rows, int64_t n) {
    if (n == 0) return;
    const bool par = rows > 1 && parallel_costly(rows * n);
#pragma omp parallel for if (par) schedule(static)
    for (int64_t r = 0; r < rows; ++r) {
        const T* p = x + r * n;
        T* q = y + r * n;
        T m = p[0];
        for (int64_t k = 1; k < n; ++k) m = p[k] > m ? p[k] : m;
        double s = 0;
        for (int64_t k = 0; k < n; ++k) {
            const T e = std::exp(p[k] - m);
            q[k] = e;
            s += (double)e;
        }
        const double inv = 1.0 / s;
        for (int64_t k = 0; k < n; ++k) q[k] = (T)((double)q[k] * inv);
    }
}

// ip: [dtype, rows, n]
SK_KERNEL(softmax) {
    const int64_t rows = a.ip[1], n = a.ip[2];
    int rc = dispatch_float(a.ip[0], [&](auto t) {
        using T = decltype(t);
        softmax_rows<T>(static_cast<const T*>(a.buf[0]), static_cast<T*>(a.buf[1]), rows, n);
        return 0;
    });
    if (rc) a.ctx->error = "softmax: unsupported dtype";
    return rc;
}

}  // namespace sk
