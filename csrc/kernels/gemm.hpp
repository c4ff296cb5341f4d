// The gemm kernel's product (gemm.cpp) as a C++ entry point for other kernels (conv.cpp):
//     C = alpha * op(A) @ op(B) + beta * C,   float or double, no bias, no activation.
// Layout as the gemm kernel's: op(A) is M x K, element (i, p) at A[i*lda + p] (A[p*lda + i]
// when trans_a); op(B) is K x N, element (p, j) at B[p*ldb + j] (B[j*ldb + p] when trans_b);
// C is M x N with row stride ldc, read only when beta != 0.
#pragma once
#include <cstddef>
#include <cstdint>

namespace sk {

// Bytes of packing scratch one thread needs for a product with these N and K (64-byte multiple).
template <class T>
size_t gemm_scratch_bytes(int64_t N, int64_t K);

// One product on `threads` threads. threads == 1 runs on the calling thread without opening a
// parallel region (the only value allowed inside one: regions never nest); more opens one.
// `work`: 64-byte aligned, at least threads * gemm_scratch_bytes<T>(N, K) bytes.
template <class T>
void gemm_product(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, T alpha,
                  const T* A, int64_t lda, const T* B, int64_t ldb, T beta, T* C, int64_t ldc,
                  void* work, int threads);

// The same product with B's rows given by a table of offsets instead of a row stride: element
// (p, j) of op(B) is B[brow[p] + j] (brow has K entries), or B[brow[j] + p] when trans_b (brow has
// N entries). Rows may overlap, as the shifted windows of an image do. B is read only at those
// elements (p < K, j < N). Scratch as gemm_product's.
template <class T>
void gemm_product_rows(bool trans_b, int64_t M, int64_t N, int64_t K, T alpha, const T* A, int64_t lda,
                       const T* B, const int64_t* brow, T beta, T* C, int64_t ldc, void* work, int threads);

extern template size_t gemm_scratch_bytes<float>(int64_t, int64_t);
extern template size_t gemm_scratch_bytes<double>(int64_t, int64_t);
extern template void gemm_product<float>(bool, bool, int64_t, int64_t, int64_t, float, const float*,
                                         int64_t, const float*, int64_t, float, float*, int64_t,
                                         void*, int);
extern template void gemm_product<double>(bool, bool, int64_t, int64_t, int64_t, double, const double*,
                                          int64_t, const double*, int64_t, double, double*, int64_t,
                                          void*, int);

extern template void gemm_product_rows<float>(bool, int64_t, int64_t, int64_t, float, const float*, int64_t,
                                              const float*, const int64_t*, float, float*, int64_t, void*, int);
extern template void gemm_product_rows<double>(bool, int64_t, int64_t, int64_t, double, const double*, int64_t,
                                               const double*, const int64_t*, double, double*, int64_t, void*,
                                               int);

}  // namespace sk
