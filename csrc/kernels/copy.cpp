// Data movement: contiguous copy, strided copy (transpose, slicing, reversal, broadcasting,
// concatenation and padding are all one strided copy), fill, and dtype casts.
#include <cmath>
#include <cstring>
#include <limits>
#include <type_traits>

#include "kernels/strided.hpp"
#include "runtime/dispatch.hpp"

namespace sk {

// ip: [nbytes]
SK_KERNEL(copy) {
    if (a.ip[0] > 0) std::memcpy(a.buf[1], a.buf[0], (size_t)a.ip[0]);
    return 0;
}

template <class E>
static void copy_strided(int nd, const int64_t* shape, const int64_t* ss, const int64_t* ds,
                         const E* src, E* dst) {
    const int64_t* strides[2] = {ss, ds};
    const int64_t is = nd ? ss[nd - 1] : 0, id = nd ? ds[nd - 1] : 0;
    for_rows<2>(nd, shape, strides, [&](const int64_t* off, int64_t len) {
        const E* s = src + off[0];
        E* d = dst + off[1];
        if (is == 1 && id == 1) {
            std::memcpy(d, s, (size_t)len * sizeof(E));
        } else {
            for (int64_t i = 0; i < len; ++i) d[i * id] = s[i * is];
        }
    });
}

// ip: [elem_bytes, ndim, shape[ndim], src_strides[ndim], dst_strides[ndim], src_offset, dst_offset]
// (strides and offsets in elements). Elements of dst outside the index space are left untouched.
SK_KERNEL(copy_strided) {
    const int64_t es = a.ip[0];
    const int nd = (int)a.ip[1];
    const int64_t* shape = a.ip + 2;
    const int64_t* ss = shape + nd;
    const int64_t* ds = shape + 2 * nd;
    const int64_t so = ds[nd], dof = ds[nd + 1];
    if (nd > kMaxDims) {
        a.ctx->error = "copy_strided: more than 12 dimensions remain after merging";
        return -1;
    }
    switch (es) {
        case 1: copy_strided(nd, shape, ss, ds, (const uint8_t*)a.buf[0] + so, (uint8_t*)a.buf[1] + dof); return 0;
        case 4: copy_strided(nd, shape, ss, ds, (const uint32_t*)a.buf[0] + so, (uint32_t*)a.buf[1] + dof); return 0;
        case 8: copy_strided(nd, shape, ss, ds, (const uint64_t*)a.buf[0] + so, (uint64_t*)a.buf[1] + dof); return 0;
    }
    a.ctx->error = "copy_strided: unsupported element size";
    return -1;
}

// ip: [dtype, n]; fp: [value]. Writes into buf[0] (no inputs).
SK_KERNEL(fill) {
    const int64_t n = a.ip[1];
    return dispatch_all(a.ip[0], [&](auto t) {
        using T = decltype(t);
        T* y = static_cast<T*>(a.buf[0]);
        const T v = static_cast<T>(a.fp[0]);
#pragma omp parallel for if (parallel_cheap(n)) schedule(static)
        for (int64_t i = 0; i < n; ++i) y[i] = v;
        return 0;
    });
}

// ip: [from_dtype, to_dtype, n]
SK_KERNEL(cast) {
    const int64_t n = a.ip[2];
    const int64_t to = a.ip[1];
    return dispatch_all(a.ip[0], [&](auto s) {
        using S = decltype(s);
        const S* x = static_cast<const S*>(a.buf[0]);
        return dispatch_all(to, [&](auto d) {
            using D = decltype(d);
            D* y = static_cast<D*>(a.buf[1]);
            if (to == BOOL) {
#pragma omp parallel for if (parallel_cheap(n)) schedule(static)
                for (int64_t i = 0; i < n; ++i) y[i] = x[i] != S(0);
            } else if constexpr (std::is_floating_point_v<S> && !std::is_floating_point_v<D>) {
                // float -> int truncates toward zero like numpy; NaN, +-inf and values whose
                // truncation is outside D give 0 instead of undefined behaviour (Cast.ref in
                // ops/elementwise.py computes the same, for constant folding).
                const double lo = (double)std::numeric_limits<D>::min();         // exact
                const double top = (double)std::numeric_limits<D>::max() + 1.0;  // a power of two, exact
#pragma omp parallel for if (parallel_cheap(n)) schedule(static)
                for (int64_t i = 0; i < n; ++i) {
                    const double t = std::trunc((double)x[i]);
                    y[i] = (t >= lo && t < top) ? static_cast<D>(t) : D(0);
                }
            } else {
#pragma omp parallel for if (parallel_cheap(n)) schedule(static)
                for (int64_t i = 0; i < n; ++i) y[i] = static_cast<D>(x[i]);
            }
            return 0;
        });
    });
}

}  // namespace sk
