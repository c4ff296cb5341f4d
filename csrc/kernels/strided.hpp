// Iteration over the rows of an N-d index space whose operands have arbitrary element strides
// (0 for a broadcast dimension, negative for a reversed one). The last dimension is the row;
// rows are split across OpenMP threads when the space is large.
#pragma once
#include <omp.h>

#include <cstdint>

#include "runtime/kernel.hpp"

namespace sk {

constexpr int kMaxDims = 12;

// f(row_offsets[NA], row_length) is called for every row; offsets are in elements.
// costly: f does transcendental work per element (see ParallelPolicy).
template <int NA, class F>
void for_rows(int ndim, const int64_t* shape, const int64_t* const* strides, F&& f, bool costly = false) {
    if (ndim == 0) {
        int64_t off[NA] = {};
        f(off, int64_t(1));
        return;
    }
    int64_t rows = 1, total = 1;
    for (int d = 0; d < ndim - 1; ++d) rows *= shape[d];
    total = rows * shape[ndim - 1];
    if (total == 0) return;
    const int64_t len = shape[ndim - 1];
    // Rows r0..r1, columns c0..c1 of each row.
    auto run = [&](int64_t r0, int64_t r1, int64_t c0, int64_t c1) {
        int64_t idx[kMaxDims] = {};
        int64_t off[NA] = {};
        int64_t rem = r0;
        for (int k = 0; k < NA; ++k) off[k] = c0 * strides[k][ndim - 1];
        for (int d = ndim - 2; d >= 0; --d) {
            idx[d] = rem % shape[d];
            rem /= shape[d];
            for (int k = 0; k < NA; ++k) off[k] += idx[d] * strides[k][d];
        }
        for (int64_t r = r0; r < r1; ++r) {
            f(off, c1 - c0);
            for (int d = ndim - 2; d >= 0; --d) {   // odometer step
                for (int k = 0; k < NA; ++k) off[k] += strides[k][d];
                if (++idx[d] < shape[d]) break;
                for (int k = 0; k < NA; ++k) off[k] -= idx[d] * strides[k][d];
                idx[d] = 0;
            }
        }
    };
    const int nt = (costly ? parallel_costly(total) : parallel_cheap(total)) ? omp_get_max_threads() : 1;
    if (nt <= 1) {
        run(0, rows, 0, len);
        return;
    }
    // Many rows: each thread takes a block of rows. Fewer rows than threads (a contiguous
    // operation collapses to one row): each thread takes a block of columns of every row.
    const bool by_rows = rows >= nt;
#pragma omp parallel num_threads(nt)
    {
        const int t = omp_get_thread_num(), n = omp_get_num_threads();
        if (by_rows) {
            const int64_t r0 = rows * t / n, r1 = rows * (t + 1) / n;
            if (r0 < r1) run(r0, r1, 0, len);
        } else {
            const int64_t c0 = len * t / n, c1 = len * (t + 1) / n;
            if (c0 < c1) run(0, rows, c0, c1);
        }
    }
}

}  // namespace sk
