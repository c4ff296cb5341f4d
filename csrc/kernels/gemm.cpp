// General matrix multiply, batched, with a fused epilogue:
//     C = act(alpha * op(A) @ op(B) + beta * C + bias), float32 and float64.
//
// buf: [A, B, C], or [A, B, bias, C] when ip[13] (the bias flag) is 1. C is the output; its old
//      contents are read only when beta != 0 (with beta == 0 it may hold garbage or NaN), so a
//      caller that wants beta != 0 fills C first. bias has N elements, added to every row of
//      every batch item.
// ip:  [dtype, trans_a, trans_b, M, N, K, lda, ldb, ldc, batch, stride_a, stride_b, stride_c,
//       (bias flag 0/1, activation: 0 none, 1 relu)]; the last two are optional (default 0).
// fp:  [alpha, beta]
//
// op(A) is M x K: element (i, p) is A[i*lda + p], or A[p*lda + i] when trans_a.
// op(B) is K x N: element (p, j) is B[p*ldb + j], or B[j*ldb + p] when trans_b.
// C is M x N:     element (i, j) is C[i*ldc + j].
// Item t of the batch uses A + t*stride_a, B + t*stride_b, C + t*stride_c (strides in elements);
// stride 0 reuses one operand for every item (broadcasting). M, N, K or batch may be 0; with
// K == 0 the result is act(beta * C + bias) (beta * C counting as zeros when beta == 0).
//
// Method: a KC x NC block of op(B) is packed into panels NR = NV vectors wide (NV = 2, or 1 when
// N fits one vector: a Dense layer with 10 outputs) so that the block stays in L2. op(A) is not
// packed: the micro-kernel broadcasts its elements straight from A, reading MR rows (or, when
// transposed, MR consecutive elements of a column) that stay in L1 across the panels of the
// block. An MR x NR tile of C is accumulated in vector registers by an explicit AVX-512 (or
// AVX2, or portable) micro-kernel, and the epilogue (alpha, beta, bias, relu) is applied to the
// registers before the single store of the tile; partial tiles use masked loads/stores, edge
// rows a micro-kernel instantiated for that row count, so edges cost no padding work in A.
// Packing is also how a transposed B is read (in float32 with AVX-512, by 16 x 16 register
// transposes). Products of few rows read B in place instead (kDirectRows), packing only a
// partial last panel; a last panel of at most one vector of columns is computed one vector wide.
// gemm.hpp's gemm_product_rows gives B's rows by a table of offsets (a convolution's patch rows
// read from the image itself): the micro-kernel's row policy (StepRows / TableRows) and pack_b
// read them through it.
// The packing buffers are the runtime's scratch memory (gemm_workspace sizes it). Products
// above the runtime's gemm_flops threshold use OpenMP, in one parallel region without barriers:
// over batch items when there are enough of them, otherwise each thread computes its own block
// of C's tiles. gemm.hpp gives other kernels (convolution) the same product as a C++ call.
#include <omp.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstring>
#include <type_traits>
#include <utility>

#if defined(__AVX512F__) || defined(__AVX2__)
#include <immintrin.h>
#endif

#include "kernels/gemm.hpp"
#include "runtime/dispatch.hpp"

namespace sk {
namespace {

// ----------------------------------------------------------------------------- vectors
// Vec<T>: one SIMD register of T with the few operations the micro-kernel and its epilogue use.
// load_n / store_n touch only the first n lanes (n <= L), for tiles past the last column.

#if defined(__AVX512F__)
template <class T> struct Vec;
template <> struct Vec<float> {
    static constexpr int L = 16, MR2 = 8, MR1 = 12;   // tile rows for 2-vector and 1-vector tiles
    using R = __m512;
    static R zero() { return _mm512_setzero_ps(); }
    static R set1(float x) { return _mm512_set1_ps(x); }
    static R load(const float* p) { return _mm512_loadu_ps(p); }
    static R fma(R a, R b, R c) { return _mm512_fmadd_ps(a, b, c); }
    static R mul(R a, R b) { return _mm512_mul_ps(a, b); }
    static R add(R a, R b) { return _mm512_add_ps(a, b); }
    static R relu(R a) { return _mm512_max_ps(zero(), a); }   // NaN stays NaN
    static R load_n(const float* p, int n) { return _mm512_maskz_loadu_ps((__mmask16)((1u << n) - 1), p); }
    static void store_n(float* p, R v, int n) {
        if (n == L) _mm512_storeu_ps(p, v);
        else _mm512_mask_storeu_ps(p, (__mmask16)((1u << n) - 1), v);
    }
};
template <> struct Vec<double> {
    static constexpr int L = 8, MR2 = 8, MR1 = 12;
    using R = __m512d;
    static R zero() { return _mm512_setzero_pd(); }
    static R set1(double x) { return _mm512_set1_pd(x); }
    static R load(const double* p) { return _mm512_loadu_pd(p); }
    static R fma(R a, R b, R c) { return _mm512_fmadd_pd(a, b, c); }
    static R mul(R a, R b) { return _mm512_mul_pd(a, b); }
    static R add(R a, R b) { return _mm512_add_pd(a, b); }
    static R relu(R a) { return _mm512_max_pd(zero(), a); }
    static R load_n(const double* p, int n) { return _mm512_maskz_loadu_pd((__mmask8)((1u << n) - 1), p); }
    static void store_n(double* p, R v, int n) {
        if (n == L) _mm512_storeu_pd(p, v);
        else _mm512_mask_storeu_pd(p, (__mmask8)((1u << n) - 1), v);
    }
};
#elif defined(__AVX2__) && defined(__FMA__)
template <class T> struct Vec;
template <> struct Vec<float> {
    static constexpr int L = 8, MR2 = 6, MR1 = 8;
    using R = __m256;
    static __m256i mask(int n) {
        return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
    }
    static R zero() { return _mm256_setzero_ps(); }
    static R set1(float x) { return _mm256_set1_ps(x); }
    static R load(const float* p) { return _mm256_loadu_ps(p); }
    static R fma(R a, R b, R c) { return _mm256_fmadd_ps(a, b, c); }
    static R mul(R a, R b) { return _mm256_mul_ps(a, b); }
    static R add(R a, R b) { return _mm256_add_ps(a, b); }
    static R relu(R a) { return _mm256_max_ps(zero(), a); }   // NaN stays NaN
    static R load_n(const float* p, int n) { return n == L ? _mm256_loadu_ps(p) : _mm256_maskload_ps(p, mask(n)); }
    static void store_n(float* p, R v, int n) {
        if (n == L) _mm256_storeu_ps(p, v);
        else _mm256_maskstore_ps(p, mask(n), v);
    }
};
template <> struct Vec<double> {
    static constexpr int L = 4, MR2 = 6, MR1 = 8;
    using R = __m256d;
    static __m256i mask(int n) {
        return _mm256_cmpgt_epi64(_mm256_set1_epi64x(n), _mm256_setr_epi64x(0, 1, 2, 3));
    }
    static R zero() { return _mm256_setzero_pd(); }
    static R set1(double x) { return _mm256_set1_pd(x); }
    static R load(const double* p) { return _mm256_loadu_pd(p); }
    static R fma(R a, R b, R c) { return _mm256_fmadd_pd(a, b, c); }
    static R mul(R a, R b) { return _mm256_mul_pd(a, b); }
    static R add(R a, R b) { return _mm256_add_pd(a, b); }
    static R relu(R a) { return _mm256_max_pd(zero(), a); }
    static R load_n(const double* p, int n) { return n == L ? _mm256_loadu_pd(p) : _mm256_maskload_pd(p, mask(n)); }
    static void store_n(double* p, R v, int n) {
        if (n == L) _mm256_storeu_pd(p, v);
        else _mm256_maskstore_pd(p, mask(n), v);
    }
};
#else
// Portable: a small array the compiler vectorises as it can.
template <class T> struct Vec {
    static constexpr int L = 16 / (int)sizeof(T), MR2 = 4, MR1 = 6;
    struct R { T v[L]; };
    static R zero() { return set1(T(0)); }
    static R set1(T x) { R r; for (int i = 0; i < L; ++i) r.v[i] = x; return r; }
    static R load(const T* p) { R r; for (int i = 0; i < L; ++i) r.v[i] = p[i]; return r; }
    static R fma(R a, R b, R c) { for (int i = 0; i < L; ++i) c.v[i] += a.v[i] * b.v[i]; return c; }
    static R mul(R a, R b) { for (int i = 0; i < L; ++i) a.v[i] *= b.v[i]; return a; }
    static R add(R a, R b) { for (int i = 0; i < L; ++i) a.v[i] += b.v[i]; return a; }
    static R relu(R a) { for (int i = 0; i < L; ++i) a.v[i] = a.v[i] < T(0) ? T(0) : a.v[i]; return a; }
    static R load_n(const T* p, int n) { R r = zero(); for (int i = 0; i < n; ++i) r.v[i] = p[i]; return r; }
    static void store_n(T* p, R v, int n) { for (int i = 0; i < n; ++i) p[i] = v.v[i]; }
};
#endif

// Depth of a packed block of op(B), and its width: KC x NC elements, about half of a 1 MiB L2.
constexpr int64_t kKC = 256;
constexpr int64_t kBlockBytes = 512 * 1024;

template <class T>
int64_t block_cols(int nr) { return std::max<int64_t>(nr, kBlockBytes / (kKC * (int64_t)sizeof(T)) / nr * nr); }

// One product of the batch, as the micro-kernels see it. With a row table `brow` (gemm.hpp's
// gemm_product_rows), B's stored row r (op(B)'s row r, or its column r when tb) is B + brow[r]
// instead of B + r*ldb.
template <class T>
struct Problem {
    bool ta, tb, bias, relu;
    int64_t M, N, K, lda, ldb, ldc;
    T alpha, beta;
    const int64_t* brow = nullptr;
    const T* b_row(const T* B, int64_t p) const { return brow ? B + brow[p] : B + p * ldb; }
};

// Where the micro-kernel reads the rows of its slice of op(B), one after the other (row(), then
// next()): a packed panel or B itself at a fixed row stride (StepRows), or B through the row
// table (TableRows).
template <class T>
struct StepRows {
    const T* b;
    int64_t step;
    const T* row() const { return b; }
    void next() { b += step; }
};
template <class T>
struct TableRows {
    const T* b;
    const int64_t* off;
    const T* row() const { return b + *off; }
    void next() { ++off; }
};

// What a tile's store does: on the first K block C = alpha*acc + beta*C + bias, on later ones
// C += alpha*acc; relu after the last.
template <class T>
struct Epilogue {
    T alpha, beta;
    const T* bias;     // bias + tile's first column, or null
    bool first, last, relu;
};

// ----------------------------------------------------------------------------- packing

#if defined(__AVX512F__)
// dst (16 x 16, row stride ds) = the transpose of the 16 x 16 block whose row i is src[i] + p,
// through registers: sixteen columns of a transposed B packed at a time.
inline void transpose16(const float* const* src, int64_t p, float* dst, int64_t ds) {
    __m512 r[16], t[16];
    for (int i = 0; i < 16; ++i) r[i] = _mm512_loadu_ps(src[i] + p);
    for (int i = 0; i < 16; i += 2) {
        t[i] = _mm512_unpacklo_ps(r[i], r[i + 1]);
        t[i + 1] = _mm512_unpackhi_ps(r[i], r[i + 1]);
    }
    for (int i = 0; i < 16; i += 4) {
        for (int k = 0; k < 2; ++k) {
            __m512d a = _mm512_castps_pd(t[i + k]), b = _mm512_castps_pd(t[i + 2 + k]);
            r[i + k] = _mm512_castpd_ps(_mm512_unpacklo_pd(a, b));
            r[i + 2 + k] = _mm512_castpd_ps(_mm512_unpackhi_pd(a, b));
        }
    }
    // r[4g + m[c]] now holds, in its 128-bit lane l, rows 4g..4g+3 of column 4l + c: a 4 x 4
    // transpose of lanes for each c puts rows 4g.. into lane g of output row 4l + c.
    static constexpr int m[4] = {0, 2, 1, 3};
    for (int c = 0; c < 4; ++c) {
        const __m512 y0 = _mm512_shuffle_f32x4(r[m[c]], r[4 + m[c]], 0x88);
        const __m512 y1 = _mm512_shuffle_f32x4(r[m[c]], r[4 + m[c]], 0xdd);
        const __m512 y2 = _mm512_shuffle_f32x4(r[8 + m[c]], r[12 + m[c]], 0x88);
        const __m512 y3 = _mm512_shuffle_f32x4(r[8 + m[c]], r[12 + m[c]], 0xdd);
        t[c] = _mm512_shuffle_f32x4(y0, y2, 0x88);
        t[4 + c] = _mm512_shuffle_f32x4(y1, y3, 0x88);
        t[8 + c] = _mm512_shuffle_f32x4(y0, y2, 0xdd);
        t[12 + c] = _mm512_shuffle_f32x4(y1, y3, 0xdd);
    }
    for (int i = 0; i < 16; ++i) _mm512_storeu_ps(dst + i * ds, t[i]);
}
#endif

// op(B) block rows [p0, p0+kc) x columns [j0, j0+nc) as panels of kc x nr, row-major,
// zero-padded past column nc.
template <class T>
void pack_b(const Problem<T>& g, const T* B, int nr, int64_t p0, int64_t kc, int64_t j0, int64_t nc, T* Bp) {
    for (int64_t q = 0; q * nr < nc; ++q) {
        T* dst = Bp + q * kc * nr;
        const int64_t j = j0 + q * nr;
        const int w = (int)std::min<int64_t>(nr, j0 + nc - j);
        if (!g.tb) {
            for (int64_t p = 0; p < kc; ++p) {
                std::memcpy(dst + p * nr, g.b_row(B, p0 + p) + j, sizeof(T) * w);
                for (int c = w; c < nr; ++c) dst[p * nr + c] = T(0);
            }
            continue;
        }
        const T* src[2 * Vec<T>::L];   // column c of the panel is src[c][p]
        for (int c = 0; c < w; ++c) src[c] = g.b_row(B, j + c) + p0;
        int c0 = 0;
#if defined(__AVX512F__)
        if constexpr (sizeof(T) == 4) {
            for (; c0 + 16 <= w; c0 += 16) {
                int64_t p = 0;
                for (; p + 16 <= kc; p += 16)
                    transpose16(reinterpret_cast<const float* const*>(src + c0), p, (float*)(dst + p * nr + c0), nr);
                for (; p < kc; ++p)
                    for (int c = c0; c < c0 + 16; ++c) dst[p * nr + c] = src[c][p];
            }
        }
#endif
        for (int64_t p = 0; p < kc; ++p) {
            for (int c = c0; c < w; ++c) dst[p * nr + c] = src[c][p];
            for (int c = w; c < nr; ++c) dst[p * nr + c] = T(0);
        }
    }
}

// ----------------------------------------------------------------------------- micro-kernel

// The tile C[0:R, 0:cols] (row stride ldc) from kc steps of op(A) read from `a` (element
// (r, p) at a[r*lda + p], or a[r + p*lda] when TA) and kc rows of NV vectors of op(B) read
// through b (Rows: StepRows or TableRows). R is the tile's row count; TA a template argument
// so that the addressing is fixed.
template <class T, int NV, int R, bool TA, class Rows>
void micro(int64_t kc, const T* __restrict a, int64_t lda, Rows b, T* C, int64_t ldc, int cols,
           const Epilogue<T>& e) {
    using V = Vec<T>;
    using Reg = typename V::R;
    constexpr int L = V::L;
    Reg acc[R][NV];
    for (int r = 0; r < R; ++r)
        for (int v = 0; v < NV; ++v) acc[r][v] = V::zero();
    for (int64_t p = 0; p < kc; ++p) {
        Reg bv[NV];
        const T* __restrict br = b.row();
        for (int v = 0; v < NV; ++v) bv[v] = V::load(br + v * L);
        b.next();
        for (int r = 0; r < R; ++r) {
            const Reg x = V::set1(TA ? a[r] : a[r * lda + p]);
            for (int v = 0; v < NV; ++v) acc[r][v] = V::fma(x, bv[v], acc[r][v]);
        }
        if (TA) a += lda;
    }
    const Reg alpha = V::set1(e.alpha), beta = V::set1(e.beta);
    Reg bias[NV];
    for (int v = 0; v < NV; ++v) {
        const int n = std::max(0, std::min(L, cols - v * L));
        bias[v] = e.bias && e.first && n ? V::load_n(e.bias + v * L, n) : V::zero();
    }
    for (int r = 0; r < R; ++r) {
        T* c = C + r * ldc;
        for (int v = 0; v < NV; ++v) {
            const int n = std::min(L, cols - v * L);
            if (n <= 0) break;
            Reg x = V::mul(alpha, acc[r][v]);
            if (!e.first) x = V::add(x, V::load_n(c + v * L, n));
            else if (e.beta != T(0)) x = V::fma(beta, V::load_n(c + v * L, n), x);
            if (e.bias && e.first) x = V::add(x, bias[v]);
            if (e.relu && e.last) x = V::relu(x);
            V::store_n(c + v * L, x, n);
        }
    }
}

template <class T, class Rows>
using MicroFn = void (*)(int64_t, const T*, int64_t, Rows, T*, int64_t, int, const Epilogue<T>&);

// The micro-kernel for a tile of `rows` rows (1 <= rows <= sizeof...(Rs)).
template <class T, int NV, bool TA, class Rows, int... Rs>
MicroFn<T, Rows> micro_for(int rows, std::integer_sequence<int, Rs...>) {
    static constexpr MicroFn<T, Rows> table[] = {&micro<T, NV, Rs + 1, TA, Rows>...};
    return table[rows - 1];
}

template <class T, int NV>
constexpr int tile_rows() { return NV == 2 ? Vec<T>::MR2 : Vec<T>::MR1; }

// The micro-kernel for a tile of `rows` rows (1 <= rows <= tile_rows<T, NV>()).
template <class T, int NV, bool TA, class Rows>
MicroFn<T, Rows> micro_rows(int rows) {
    constexpr int MR = tile_rows<T, NV>();
    if (rows == MR) return &micro<T, NV, MR, TA, Rows>;
    return micro_for<T, NV, TA, Rows>(rows, std::make_integer_sequence<int, MR>());
}

// ----------------------------------------------------------------------------- blocking

// The tiles of C one work item covers: row tiles [m0, m1) x column panels [n0, n1).
struct Share {
    int64_t m0, m1, n0, n1;
};

// A product is cut into about kItemsPerThread items per thread: along the column panels when
// there are enough of them, else along the row tiles as well. Threads take items from a shared
// counter, so the calling thread starts at once and a thread woken from sleep (tens of
// microseconds with OMP_WAIT_POLICY=passive) joins when it arrives instead of holding up a
// fixed half. Each item packs what it reads itself, so items never wait for each other.
constexpr int64_t kItemsPerThread = 8;

struct Split {
    int64_t gm, gn;
    int64_t items() const { return gm * gn; }
    Share item(int64_t mt, int64_t np, int64_t k) const {
        const int64_t r = k / gn, c = k % gn;
        return {mt * r / gm, mt * (r + 1) / gm, np * c / gn, np * (c + 1) / gn};
    }
};

inline Split split_of(int64_t mt, int64_t np, int nt) {
    const int64_t want = kItemsPerThread * nt;
    const int64_t gn = std::max<int64_t>(1, std::min<int64_t>(want, np));
    const int64_t gm = std::max<int64_t>(1, std::min<int64_t>((want + gn - 1) / gn, mt));
    return {gm, gn};
}

// C = act(beta * C + bias) for K == 0.
template <class T>
void empty_k(const Problem<T>& g, const T* bias, T* C, int64_t i0, int64_t i1, int64_t j0, int64_t j1) {
    for (int64_t i = i0; i < i1; ++i) {
        T* c = C + i * g.ldc;
        for (int64_t j = j0; j < j1; ++j) {
            T x = g.beta == T(0) ? T(0) : g.beta * c[j];
            if (bias) x += bias[j];
            c[j] = g.relu && x < T(0) ? T(0) : x;
        }
    }
}

// Products whose share has at most this many rows read B in place (see gemm_item).
constexpr int64_t kDirectRows = 64;

// op(B) from row p0 and column j read in place, the Direct way (StepRows: at B's row stride;
// TableRows: through its row table).
template <class T, class Direct>
Direct rows_at(const Problem<T>& g, const T* B, int64_t p0, int64_t j) {
    if constexpr (std::is_same_v<Direct, TableRows<T>>) return Direct{B + j, g.brow + p0};
    else return Direct{B + p0 * g.ldb + j, g.ldb};
}

// The tiles `sh` of one product, with panels NV vectors wide; Bp holds a packed KC x NC block.
// Direct: StepRows<T>, or TableRows<T> when g has a row table.
template <class T, int NV, bool TA, class Direct>
void gemm_item(const Problem<T>& g, const T* A, const T* B, const T* bias, T* C, T* Bp, const Share& sh) {
    constexpr int MR = tile_rows<T, NV>(), NR = NV * Vec<T>::L;
    constexpr bool table = std::is_same_v<Direct, TableRows<T>>;
    const int64_t i_end = std::min(sh.m1 * MR, g.M), n_end = std::min(sh.n1 * NR, g.N);
    if (g.K == 0) {
        empty_k(g, bias, C, sh.m0 * MR, i_end, sh.n0 * NR, n_end);
        return;
    }
    const int64_t NC = block_cols<T>(NR);
    // K in blocks of equal depth (at most KC): 784 as 3 x 262, not 256 + 256 + 256 + 16, since
    // each block beyond the first reads and writes C once more.
    const int64_t kc_even = (g.K + (g.K + kKC - 1) / kKC - 1) / ((g.K + kKC - 1) / kKC);
    const int64_t rsa = TA ? 1 : g.lda, csa = TA ? g.lda : 1;
    // B read in place (no packing) when a panel serves few row tiles, so that packing would
    // cost about as much as the product (a convolution's patches times its few filters). Only
    // whole panels are: a partial last one is packed, since reading it in place would run past
    // the end of B's rows. Without a row table, B is read in place only when all panels are whole.
    const bool direct = !g.tb && i_end - sh.m0 * MR <= kDirectRows && (table || g.N % NR == 0);
    for (int64_t j0 = sh.n0 * NR; j0 < n_end; j0 += NC) {
        const int64_t nc = std::min(NC, n_end - j0);
        // Columns [j0, in_place) are read in place, [in_place, j0 + nc) packed into Bp.
        const int64_t in_place = direct ? std::min(j0 + nc, g.N / NR * NR) : j0;
        for (int64_t p0 = 0; p0 < g.K; p0 += kc_even) {
            const int64_t kc = std::min(kc_even, g.K - p0);
            if (in_place < j0 + nc) pack_b(g, B, NR, p0, kc, in_place, j0 + nc - in_place, Bp);
            Epilogue<T> e{g.alpha, g.beta, nullptr, p0 == 0, p0 + kc == g.K, g.relu};
            for (int64_t i = sh.m0 * MR; i < i_end; i += MR) {
                const int rows = (int)std::min<int64_t>(MR, g.M - i);
                const MicroFn<T, Direct> fd = micro_rows<T, NV, TA, Direct>(rows);
                const MicroFn<T, StepRows<T>> fp = micro_rows<T, NV, TA, StepRows<T>>(rows);
                // A packed panel of at most one vector of columns (the last of N = 32q + 14)
                // is computed one vector wide.
                const MicroFn<T, StepRows<T>> f1 = micro_rows<T, 1, TA, StepRows<T>>(rows);
                const T* a = A + i * rsa + p0 * csa;
                for (int64_t j = j0; j < j0 + nc; j += NR) {
                    e.bias = bias ? bias + j : nullptr;
                    T* c = C + i * g.ldc + j;
                    const int cols = (int)std::min<int64_t>(NR, j0 + nc - j);
                    if (j < in_place) fd(kc, a, g.lda, rows_at<T, Direct>(g, B, p0, j), c, g.ldc, cols, e);
                    else (cols <= Vec<T>::L ? f1 : fp)(kc, a, g.lda, StepRows<T>{Bp + (j - in_place) * kc, NR}, c,
                                                       g.ldc, cols, e);
                }
            }
        }
    }
}

// Panels are one vector wide when N fits one vector (a 10-wide output layer), else two.
template <class T>
int panel_vectors(int64_t N) { return N <= Vec<T>::L ? 1 : 2; }

template <class T>
Problem<T> plan(const int64_t* ip, int nip, const double* fp) {
    return Problem<T>{ip[1] != 0, ip[2] != 0, nip > 13 && ip[13] != 0, nip > 14 && ip[14] == 1,
                      ip[3], ip[4], ip[5], ip[6], ip[7], ip[8],
                      fp ? (T)fp[0] : T(1), fp ? (T)fp[1] : T(0)};
}

// Bytes of scratch one thread packs into: a 64-byte aligned KC x NC block, never empty.
template <class T>
int64_t slice_bytes(const Problem<T>& g) {
    const int nr = panel_vectors<T>(g.N) * Vec<T>::L;
    const int64_t cols = (std::min(block_cols<T>(nr), g.N) + nr - 1) / nr * nr;
    return std::max<int64_t>(64, (std::min(kKC, g.K) * cols * (int64_t)sizeof(T) + 63) / 64 * 64);
}

// Scratch for as many threads as OpenMP may give a parallel region, now or after the thread
// count is raised up to the number of processors. (More threads than that run one per slice.)
template <class T>
size_t workspace_for(const int64_t* ip, int nip) {
    const int threads = std::max(omp_get_max_threads(), omp_get_num_procs());
    return (size_t)slice_bytes(plan<T>(ip, nip, nullptr)) * (size_t)threads;
}

size_t gemm_workspace(const int64_t* ip, int nip) {
    return ip[0] == F32 ? workspace_for<float>(ip, nip) : ip[0] == F64 ? workspace_for<double>(ip, nip) : 0;
}

template <class T, int NV, bool TA, class Direct>
void run(const Problem<T>& g, const T* A, const T* B, const T* bias, T* C, int64_t batch,
         int64_t sa, int64_t sb, int64_t sc, char* work, int64_t slice, int nt) {
    constexpr int MR = tile_rows<T, NV>(), NR = NV * Vec<T>::L;
    const int64_t mt = (g.M + MR - 1) / MR, np = (g.N + NR - 1) / NR;
    if (nt == 1) {
        for (int64_t t = 0; t < batch; ++t)
            gemm_item<T, NV, TA, Direct>(g, A + t * sa, B + t * sb, bias, C + t * sc, reinterpret_cast<T*>(work),
                                         Share{0, mt, 0, np});
        return;
    }
    // Items are (product, share) pairs: whole products when the batch gives every thread one.
    const Split sp = batch >= nt ? Split{1, 1} : split_of(mt, np, nt);
    const int64_t per = sp.items(), items = batch * per;
    std::atomic<int64_t> next{0};
#pragma omp parallel num_threads(nt)
    {
        T* Bp = reinterpret_cast<T*>(work + omp_get_thread_num() * slice);
        for (int64_t k = next++; k < items; k = next++) {
            const int64_t t = k / per;
            gemm_item<T, NV, TA, Direct>(g, A + t * sa, B + t * sb, bias, C + t * sc, Bp, sp.item(mt, np, k % per));
        }
    }
}

// run() instantiated for g's panel width and transposition of A.
template <class T, class Direct>
void run_as(const Problem<T>& g, const T* A, const T* B, const T* bias, T* C, int64_t batch,
            int64_t sa, int64_t sb, int64_t sc, char* work, int64_t slice, int nt) {
    auto go = [&](auto fn) { fn(g, A, B, bias, C, batch, sa, sb, sc, work, slice, nt); };
    const bool one = panel_vectors<T>(g.N) == 1;
    if (one && g.ta) go(run<T, 1, true, Direct>);
    else if (one) go(run<T, 1, false, Direct>);
    else if (g.ta) go(run<T, 2, true, Direct>);
    else go(run<T, 2, false, Direct>);
}

// run() for g, read through its row table if it has one.
template <class T>
void run_any(const Problem<T>& g, const T* A, const T* B, const T* bias, T* C, int64_t batch,
             int64_t sa, int64_t sb, int64_t sc, char* work, int64_t slice, int nt) {
    if (g.brow) run_as<T, TableRows<T>>(g, A, B, bias, C, batch, sa, sb, sc, work, slice, nt);
    else run_as<T, StepRows<T>>(g, A, B, bias, C, batch, sa, sb, sc, work, slice, nt);
}

template <class T>
int gemm(const Args& a) {
    const int64_t* ip = a.ip;
    const Problem<T> g = plan<T>(ip, a.nip, a.fp);
    const int64_t batch = ip[9];
    const T* A = static_cast<const T*>(a.buf[0]);
    const T* B = static_cast<const T*>(a.buf[1]);
    const T* bias = g.bias ? static_cast<const T*>(a.buf[2]) : nullptr;
    T* C = static_cast<T*>(a.buf[g.bias ? 3 : 2]);
    if (g.M == 0 || g.N == 0 || batch == 0) return 0;
    const int64_t slice = slice_bytes(g);
    if (a.work_bytes < (size_t)slice) {
        a.ctx->error = "gemm: the runtime gave less scratch memory than gemm_workspace asked for";
        return -1;
    }
    const double flops = 2.0 * (double)g.M * (double)g.N * (double)g.K * (double)batch;
    const int max_nt = (int)std::max<int64_t>(1, std::min<int64_t>(omp_get_max_threads(), (int64_t)a.work_bytes / slice));
    const int nt = flops > parallel_policy().gemm_flops ? max_nt : 1;
    run_any(g, A, B, bias, C, batch, ip[10], ip[11], ip[12], static_cast<char*>(a.work), slice, nt);
    return 0;
}

}  // namespace

// The entry points of gemm.hpp: one product (batch 1), no epilogue.
template <class T>
size_t gemm_scratch_bytes(int64_t N, int64_t K) {
    return (size_t)slice_bytes(Problem<T>{false, false, false, false, 0, N, K, 0, 0, 0, T(1), T(0)});
}

template <class T>
void product(const Problem<T>& g, const T* A, const T* B, T* C, void* work, int threads) {
    if (g.M == 0 || g.N == 0) return;
    run_any(g, A, B, static_cast<const T*>(nullptr), C, 1, 0, 0, 0, static_cast<char*>(work),
            slice_bytes(g), threads);
}

template <class T>
void gemm_product(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, T alpha,
                  const T* A, int64_t lda, const T* B, int64_t ldb, T beta, T* C, int64_t ldc,
                  void* work, int threads) {
    product(Problem<T>{trans_a, trans_b, false, false, M, N, K, lda, ldb, ldc, alpha, beta}, A, B, C, work, threads);
}

template <class T>
void gemm_product_rows(bool trans_b, int64_t M, int64_t N, int64_t K, T alpha, const T* A, int64_t lda,
                       const T* B, const int64_t* brow, T beta, T* C, int64_t ldc, void* work, int threads) {
    product(Problem<T>{false, trans_b, false, false, M, N, K, lda, 0, ldc, alpha, beta, brow}, A, B, C, work, threads);
}

template size_t gemm_scratch_bytes<float>(int64_t, int64_t);
template size_t gemm_scratch_bytes<double>(int64_t, int64_t);
template void gemm_product<float>(bool, bool, int64_t, int64_t, int64_t, float, const float*, int64_t,
                                  const float*, int64_t, float, float*, int64_t, void*, int);
template void gemm_product<double>(bool, bool, int64_t, int64_t, int64_t, double, const double*, int64_t,
                                   const double*, int64_t, double, double*, int64_t, void*, int);
template void gemm_product_rows<float>(bool, int64_t, int64_t, int64_t, float, const float*, int64_t, const float*,
                                       const int64_t*, float, float*, int64_t, void*, int);
template void gemm_product_rows<double>(bool, int64_t, int64_t, int64_t, double, const double*, int64_t, const double*,
                                        const int64_t*, double, double*, int64_t, void*, int);

SK_KERNEL_WITH_WORKSPACE(gemm, gemm_workspace) {
    int rc = dispatch_float(a.ip[0], [&](auto t) { return gemm<decltype(t)>(a); });
    if (rc == -1 && a.ctx->error.empty()) a.ctx->error = "gemm: float32 or float64 only";
    return rc;
}

}  // namespace sk
