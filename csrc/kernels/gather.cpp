// Row gather and its adjoint, scatter-add: reference[indices] and the sum of rows of g into
// the positions they were gathered from. A row is everything after axis 0 (`width` elements).
// Indices are int32 or int64; a negative or out-of-range index is a run-time error.
#include <omp.h>

#include <cstdint>
#include <cstring>
#include <string>

#include "runtime/dispatch.hpp"

namespace sk {

// Index of the first entry outside [0, rows), or -1.
template <class I>
static int64_t first_bad_index(const I* idx, int64_t n, int64_t rows) {
    for (int64_t k = 0; k < n; ++k)
        if (idx[k] < 0 || (int64_t)idx[k] >= rows) return k;
    return -1;
}

// Checks the indices; on failure writes the message naming the value and the row count.
template <class I>
static bool check_indices(const char* kernel, const I* idx, int64_t n, int64_t rows, Ctx* ctx) {
    const int64_t k = first_bad_index(idx, n, rows);
    if (k < 0) return true;
    ctx->error = std::string(kernel) + ": index " + std::to_string((int64_t)idx[k]) +
                 " is out of range for a reference with " + std::to_string(rows) + " rows";
    return false;
}

template <class F>
static int dispatch_index(int64_t dtype, F&& f) {
    switch (dtype) {
        case I32: return f(int32_t{});
        case I64: return f(int64_t{});
    }
    return -1;
}

// buf: [reference (rows, width), indices (n), out (n, width)]
// ip: [index_dtype, n, rows, width, elem_bytes]
SK_KERNEL(gather) {
    const int64_t n = a.ip[1], rows = a.ip[2], width = a.ip[3], es = a.ip[4];
    const char* ref = static_cast<const char*>(a.buf[0]);
    char* out = static_cast<char*>(a.buf[2]);
    const size_t row_bytes = (size_t)(width * es);
    int rc = dispatch_index(a.ip[0], [&](auto t) {
        using I = decltype(t);
        const I* idx = static_cast<const I*>(a.buf[1]);
        if (!check_indices("gather", idx, n, rows, a.ctx)) return 1;
        if (row_bytes == 0) return 0;
        const bool par = parallel_cheap(n * width) && n > 1;
#pragma omp parallel for if (par) schedule(static)
        for (int64_t k = 0; k < n; ++k)
            std::memcpy(out + k * row_bytes, ref + (int64_t)idx[k] * row_bytes, row_bytes);
        return 0;
    });
    if (rc < 0) a.ctx->error = "gather: indices must be int32 or int64";
    return rc;
}

// out[idx[k]] += g[k] for k = 0..n-1 in order, over columns [c0, c1).
template <class T, class I>
static void scatter_columns(const T* g, const I* idx, T* out, int64_t n, int64_t width,
                            int64_t c0, int64_t c1) {
    for (int64_t k = 0; k < n; ++k) {
        const T* src = g + k * width;
        T* dst = out + (int64_t)idx[k] * width;
        for (int64_t c = c0; c < c1; ++c) dst[c] += src[c];
    }
}

// buf: [g (n, width), indices (n), out (rows, width)]
// ip: [dtype, index_dtype, n, rows, width]
// Every output element sums its contributions in index order, whatever the thread count:
// threads split the columns, never the indices, so results are bit-identical to a serial run.
SK_KERNEL(scatter_add) {
    const int64_t n = a.ip[2], rows = a.ip[3], width = a.ip[4];
    int rc = dispatch_all(a.ip[0], [&](auto v) {
        using T = decltype(v);
        const T* g = static_cast<const T*>(a.buf[0]);
        T* out = static_cast<T*>(a.buf[2]);
        return dispatch_index(a.ip[1], [&](auto t) {
            using I = decltype(t);
            const I* idx = static_cast<const I*>(a.buf[1]);
            if (!check_indices("scatter_add", idx, n, rows, a.ctx)) return 1;
            if (rows * width > 0) std::memset(out, 0, (size_t)(rows * width) * sizeof(T));
            const bool par = parallel_cheap(n * width) && width > 1;
            if (!par) {
                scatter_columns(g, idx, out, n, width, 0, width);
                return 0;
            }
#pragma omp parallel
            {
                const int64_t th = omp_get_thread_num(), nt = omp_get_num_threads();
                const int64_t c0 = width * th / nt, c1 = width * (th + 1) / nt;
                if (c0 < c1) scatter_columns(g, idx, out, n, width, c0, c1);
            }
            return 0;
        });
    });
    if (rc < 0) a.ctx->error = "scatter_add: unsupported dtype";
    return rc;
}

}  // namespace sk
