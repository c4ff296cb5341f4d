// General matrix multiply, batched: C = alpha * op(A) @ op(B) + beta * C, float32 and float64.
//
// buf: [A, B, C]. C is the output; its old contents are read only when beta != 0 (with beta == 0
//      it may hold garbage or NaN), so a caller that wants beta != 0 fills C first.
// ip:  [dtype, trans_a, trans_b, M, N, K, lda, ldb, ldc, batch, stride_a, stride_b, stride_c]
// fp:  [alpha, beta]
//
// op(A) is M x K: element (i, p) is A[i*lda + p], or A[p*lda + i] when trans_a.
// op(B) is K x N: element (p, j) is B[p*ldb + j], or B[j*ldb + p] when trans_b.
// C is M x N:     element (i, j) is C[i*ldc + j].
// Item t of the batch uses A + t*stride_a, B + t*stride_b, C + t*stride_c (strides in elements);
// stride 0 reuses one operand for every item (broadcasting). M, N, K or batch may be 0; with
// K == 0 the result is beta * C (zeros when beta == 0).
//
// Method (cache blocking, no hand-written intrinsics): a KC x NC block of op(B) is packed into
// panels NR columns wide so that the block stays in L2; MR rows of op(A) are packed per step and
// stay in L1; an MR x NR tile of C is accumulated in registers by a loop the compiler vectorises
// (`omp simd`), then written back with alpha and beta. Packing is also how transposed operands
// are read, so the inner loop never walks a stride. A C narrower than one tile is computed as
// C^T = op(B)^T op(A)^T, written back through swapped strides. The packing buffers are the
// runtime's scratch memory (gemm_workspace sizes it). Large problems use OpenMP, in one parallel region without barriers:
// over batch items when there are enough of them, otherwise each thread computes its own block
// of C's tiles.
#include <omp.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <utility>

#include "runtime/dispatch.hpp"

namespace sk {
namespace {

#if defined(__AVX512F__)
constexpr int kVecBytes = 64;
#elif defined(__AVX__)
constexpr int kVecBytes = 32;
#else
constexpr int kVecBytes = 16;
#endif
constexpr int64_t kBlockBytes = 512 * 1024;   // packed B block: half of a 1 MiB L2
template <class T>
struct Blocking {
    static constexpr int MR = 6;                                  // rows of a register tile
    static constexpr int NR = 2 * kVecBytes / (int)sizeof(T);     // two vectors of columns
    static constexpr int64_t KC = 256;
    static constexpr int64_t NC = kBlockBytes / (KC * (int64_t)sizeof(T)) / NR * NR;
};

// C's element (i, j) is at i*rsc + j*csc: (ldc, 1) as given, (1, ldc) for the transposed
// problem C^T = op(B)^T op(A)^T that a narrow C is computed as.
template <class T>
struct Problem {
    bool ta, tb;
    int64_t M, N, K, lda, ldb, rsc, csc;
    T alpha, beta;
};

// The op(B) block rows [p0, p0+kc) x columns [j0, j0+nc) as panels of kc x NR, row-major,
// zero-padded past column nc.
template <class T>
void pack_b(const Problem<T>& g, const T* B, int64_t p0, int64_t kc, int64_t j0, int64_t nc, T* Bp) {
    constexpr int NR = Blocking<T>::NR;
    for (int64_t q = 0; q * NR < nc; ++q) {
        T* dst = Bp + q * kc * NR;
        const int64_t j = j0 + q * NR;
        const int w = (int)std::min<int64_t>(NR, j0 + nc - j);
        if (!g.tb) {
            for (int64_t p = 0; p < kc; ++p) {
                const T* src = B + (p0 + p) * g.ldb + j;
                for (int c = 0; c < w; ++c) dst[p * NR + c] = src[c];
                for (int c = w; c < NR; ++c) dst[p * NR + c] = T(0);
            }
        } else {
            for (int c = 0; c < w; ++c) {
                const T* src = B + (j + c) * g.ldb + p0;
                for (int64_t p = 0; p < kc; ++p) dst[p * NR + c] = src[p];
            }
            for (int64_t p = 0; p < kc; ++p)
                for (int c = w; c < NR; ++c) dst[p * NR + c] = T(0);
        }
    }
}

// Rows [i, i+rows) x columns [p0, p0+kc) of op(A) as kc groups of MR values, zero-padded.
template <class T>
void pack_a(const Problem<T>& g, const T* A, int64_t i, int rows, int64_t p0, int64_t kc, T* Ap) {
    constexpr int MR = Blocking<T>::MR;
    if (!g.ta) {
        for (int r = 0; r < rows; ++r) {
            const T* src = A + (i + r) * g.lda + p0;
            for (int64_t p = 0; p < kc; ++p) Ap[p * MR + r] = src[p];
        }
    } else {
        for (int64_t p = 0; p < kc; ++p) {
            const T* src = A + (p0 + p) * g.lda + i;
            for (int r = 0; r < rows; ++r) Ap[p * MR + r] = src[r];
        }
    }
    for (int64_t p = 0; p < kc; ++p)
        for (int r = rows; r < MR; ++r) Ap[p * MR + r] = T(0);
}

// acc = packed A panel (kc x MR) times packed B panel (kc x NR).
template <class T>
inline void tile(int64_t kc, const T* __restrict a, const T* __restrict b, T* __restrict acc) {
    constexpr int MR = Blocking<T>::MR, NR = Blocking<T>::NR;
#pragma GCC unroll 128
    for (int k = 0; k < MR * NR; ++k) acc[k] = T(0);
    for (int64_t p = 0; p < kc; ++p) {
        const T* bp = b + p * NR;
        const T* ap = a + p * MR;
#pragma GCC unroll 8
        for (int r = 0; r < MR; ++r) {
#pragma omp simd
            for (int j = 0; j < NR; ++j) acc[r * NR + j] += ap[r] * bp[j];
        }
    }
}

// C tile += alpha * acc; on the first K block, C = alpha * acc + beta * C (C unread if beta == 0).
template <class T>
void store(const Problem<T>& g, const T* acc, T* C, int rows, int cols, bool first) {
    constexpr int NR = Blocking<T>::NR;
    const int64_t cs = g.csc;
    for (int r = 0; r < rows; ++r) {
        T* c = C + r * g.rsc;
        const T* s = acc + r * NR;
        if (!first) {
            for (int j = 0; j < cols; ++j) c[j * cs] += g.alpha * s[j];
        } else if (g.beta == T(0)) {
            for (int j = 0; j < cols; ++j) c[j * cs] = g.alpha * s[j];
        } else {
            for (int j = 0; j < cols; ++j) c[j * cs] = g.alpha * s[j] + g.beta * c[j * cs];
        }
    }
}

// The tiles of C one thread computes: row panels [m0, m1) x column panels [n0, n1).
struct Share {
    int64_t m0, m1, n0, n1;
};

// Thread tid's share of an M x N product split among nt threads: along the column panels
// when there are enough of them, else along the row panels as well. Each thread packs what it
// reads itself, so threads never wait for each other (with OMP_WAIT_POLICY=passive a barrier
// costs tens of microseconds).
template <class T>
Share share_of(const Problem<T>& g, int tid, int nt) {
    const int64_t mp = (g.M + Blocking<T>::MR - 1) / Blocking<T>::MR;
    const int64_t np = (g.N + Blocking<T>::NR - 1) / Blocking<T>::NR;
    const int64_t gn = std::max<int64_t>(1, std::min<int64_t>(nt, np));
    const int64_t gm = std::max<int64_t>(1, std::min<int64_t>(nt / gn, mp));
    if (tid >= gm * gn) return {0, 0, 0, 0};
    const int64_t r = tid / gn, c = tid % gn;
    return {mp * r / gm, mp * (r + 1) / gm, np * c / gn, np * (c + 1) / gn};
}

// The tiles `sh` of one product; Bp holds a packed KC x NC block of B, Ap MR x KC of A.
template <class T>
void gemm_item(const Problem<T>& g, const T* A, const T* B, T* C, T* Bp, T* Ap, const Share& sh) {
    using Bl = Blocking<T>;
    constexpr int MR = Bl::MR, NR = Bl::NR;
    if (g.K == 0) {
        for (int64_t i = sh.m0 * MR; i < std::min(sh.m1 * MR, g.M); ++i) {
            T* c = C + i * g.rsc;
            for (int64_t j = sh.n0 * NR; j < std::min(sh.n1 * NR, g.N); ++j)
                c[j * g.csc] = g.beta == T(0) ? T(0) : g.beta * c[j * g.csc];
        }
        return;
    }
    alignas(64) T acc[MR * NR];
    const int64_t n_end = std::min(sh.n1 * NR, g.N);
    for (int64_t j0 = sh.n0 * NR; j0 < n_end; j0 += Bl::NC) {
        const int64_t nc = std::min(Bl::NC, n_end - j0);
        const int64_t npanels = (nc + NR - 1) / NR;
        for (int64_t p0 = 0; p0 < g.K; p0 += Bl::KC) {
            const int64_t kc = std::min(Bl::KC, g.K - p0);
            pack_b(g, B, p0, kc, j0, nc, Bp);
            for (int64_t mp = sh.m0; mp < sh.m1; ++mp) {
                const int64_t i = mp * MR;
                const int rows = (int)std::min<int64_t>(MR, g.M - i);
                pack_a(g, A, i, rows, p0, kc, Ap);
                for (int64_t q = 0; q < npanels; ++q) {
                    tile(kc, Ap, Bp + q * kc * NR, acc);
                    const int cols = (int)std::min<int64_t>(NR, nc - q * NR);
                    store(g, acc, C + i * g.rsc + (j0 + q * NR) * g.csc, rows, cols, p0 == 0);
                }
            }
        }
    }
}

// Register tiles computed for an M x N product: padded to whole tiles in both directions.
template <class T>
int64_t padded_area(int64_t m, int64_t n) {
    using Bl = Blocking<T>;
    return (m + Bl::MR - 1) / Bl::MR * Bl::MR * ((n + Bl::NR - 1) / Bl::NR * Bl::NR);
}

// The problem of an instruction: C^T = op(B)^T op(A)^T when C is narrower than one tile (a
// Dense layer with 10 outputs), which puts the long side along the tile rows; `swapped` says so.
template <class T>
Problem<T> plan(const int64_t* ip, const double* fp, bool* swapped) {
    using Bl = Blocking<T>;
    Problem<T> g{ip[1] != 0, ip[2] != 0, ip[3], ip[4], ip[5], ip[6], ip[7], ip[8], 1,
                 fp ? (T)fp[0] : T(1), fp ? (T)fp[1] : T(0)};
    *swapped = g.N < Bl::NR && padded_area<T>(g.N, g.M) < padded_area<T>(g.M, g.N);
    if (*swapped) g = Problem<T>{!g.tb, !g.ta, g.N, g.M, g.K, g.ldb, g.lda, 1, g.rsc, g.alpha, g.beta};
    return g;
}

// Elements of packed op(B) block and op(A) panel one thread needs.
template <class T>
int64_t packing_elems(const Problem<T>& g) {
    using Bl = Blocking<T>;
    const int64_t kc = std::min(Bl::KC, g.K);
    return kc * ((std::min(Bl::NC, g.N) + Bl::NR - 1) / Bl::NR * Bl::NR) + kc * Bl::MR;
}

// Bytes of scratch one thread packs into: a 64-byte aligned slice, never empty.
template <class T>
int64_t slice_bytes(const Problem<T>& g) {
    return std::max<int64_t>(64, (packing_elems(g) * (int64_t)sizeof(T) + 63) / 64 * 64);
}

// Scratch for as many threads as OpenMP may give a parallel region, now or after the thread
// count is raised up to the number of processors. (More threads than that run one per slice.)
template <class T>
size_t workspace_for(const int64_t* ip) {
    bool swapped;
    const int threads = std::max(omp_get_max_threads(), omp_get_num_procs());
    return (size_t)slice_bytes(plan<T>(ip, nullptr, &swapped)) * (size_t)threads;
}

size_t gemm_workspace(const int64_t* ip, int nip) {
    return ip[0] == F32 ? workspace_for<float>(ip) : ip[0] == F64 ? workspace_for<double>(ip) : 0;
}

template <class T>
int gemm(const Args& a) {
    using Bl = Blocking<T>;
    const int64_t* ip = a.ip;
    bool swapped;
    const Problem<T> g = plan<T>(ip, a.fp, &swapped);
    int64_t batch = ip[9], sa = ip[10], sb = ip[11], sc = ip[12];
    const T* A = static_cast<const T*>(a.buf[0]);
    const T* B = static_cast<const T*>(a.buf[1]);
    T* C = static_cast<T*>(a.buf[2]);
    if (g.M == 0 || g.N == 0 || batch == 0) return 0;
    if (swapped) {
        std::swap(A, B);
        std::swap(sa, sb);
    }
    const double flops = 2.0 * (double)g.M * (double)g.N * (double)g.K * (double)batch;
    const int64_t slice = slice_bytes(g);
    const int max_nt = (int)std::max<int64_t>(1, std::min<int64_t>(omp_get_max_threads(), (int64_t)a.work_bytes / slice));
    const int nt = flops > parallel_policy().gemm_flops ? max_nt : 1;
    if (a.work_bytes < (size_t)slice) {
        a.ctx->error = "gemm: the runtime gave less scratch memory than gemm_workspace asked for";
        return -1;
    }
    char* work_base = static_cast<char*>(a.work);
    const int64_t bp_elems = packing_elems(g) - std::min(Bl::KC, g.K) * Bl::MR;
    auto work = [&](int tid, int n) {    // thread tid of n: whole items, or a share of each
        T* Bp = reinterpret_cast<T*>(work_base + tid * slice);
        T* Ap = Bp + bp_elems;
        const Share all{0, (g.M + Bl::MR - 1) / Bl::MR, 0, (g.N + Bl::NR - 1) / Bl::NR};
        if (batch >= n) {
            for (int64_t t = tid; t < batch; t += n)
                gemm_item(g, A + t * sa, B + t * sb, C + t * sc, Bp, Ap, all);
        } else {
            const Share sh = share_of(g, tid, n);
            for (int64_t t = 0; t < batch; ++t)
                gemm_item(g, A + t * sa, B + t * sb, C + t * sc, Bp, Ap, sh);
        }
    };
    if (nt == 1) {
        work(0, 1);
    } else {
#pragma omp parallel num_threads(nt)
        work(omp_get_thread_num(), omp_get_num_threads());
    }
    return 0;
}

}  // namespace

SK_KERNEL_WITH_WORKSPACE(gemm, gemm_workspace) {
    int rc = dispatch_float(a.ip[0], [&](auto t) { return gemm<decltype(t)>(a); });
    if (rc == -1 && a.ctx->error.empty()) a.ctx->error = "gemm: float32 or float64 only";
    return rc;
}

}  // namespace sk
