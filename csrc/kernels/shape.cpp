// Shape-family kernels. Reshape, transpose, concatenation, slicing and reversal are strided
// copies (copy.cpp); only arange computes values, and only when its result is too large to be
// folded into a constant when the program is specialised.
#include "runtime/dispatch.hpp"

namespace sk {

// ip: [dtype, n]; fp: [start, step]. Writes buf[0] (no inputs): y[i] = start + i * step.
SK_KERNEL(arange) {
    const int64_t n = a.ip[1];
    const double start = a.fp[0], step = a.fp[1];
    return dispatch_all(a.ip[0], [&](auto t) {
        using T = decltype(t);
        T* y = static_cast<T*>(a.buf[0]);
#pragma omp parallel for if (parallel_cheap(n)) schedule(static)
        for (int64_t i = 0; i < n; ++i) y[i] = static_cast<T>(start + (double)i * step);
        return 0;
    });
}

}  // namespace sk
