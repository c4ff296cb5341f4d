// Random numbers from the counter-based generator Philox4x32-10 (Salmon et al., "Parallel random
// numbers: as easy as 1, 2, 3", SC'11). One block of four 32-bit words is a pure function of a
// 128-bit counter and a 64-bit key, so element i of an output depends only on (seed, stream,
// step, i): results are reproducible and identical for any number of threads.
//
// Layout: key = (seed, stream); counter = (block lo, block hi, step lo, step hi), where block
// is i / (elements per block) and step is the Function's call counter (ctx->step).
// symkeras/backend/ops/random.py holds a numpy copy of every transform below (the ops' ref).
// Blocks are computed sixteen at a time in SIMD registers (philox_group); the values are the
// same on every instruction set, bit for bit.
#include <algorithm>
#include <cmath>
#include <cstdint>

#include "runtime/dispatch.hpp"

#if defined(__AVX2__) || defined(__AVX512F__)
// GCC 12 warns that the undefined pass-through operand inside _mm512_mul_epu32 and the
// 64-bit shifts "may be used uninitialized" (GCC bug 105593); the warning points into the
// header, so it is silenced for the header's lines only.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>
#pragma GCC diagnostic pop
#endif

namespace sk {

namespace {

constexpr uint32_t kM0 = 0xD2511F53u, kM1 = 0xCD9E8D57u;   // round multipliers
constexpr uint32_t kW0 = 0x9E3779B9u, kW1 = 0xBB67AE85u;   // Weyl key increments
constexpr double kTwoPi = 6.283185307179586476925286766559;

// Ten rounds of Philox4x32 on c in place, key (k0, k1) bumped between rounds.
inline void philox4x32_10(uint32_t c[4], uint32_t k0, uint32_t k1) {
    for (int r = 0; r < 10; ++r) {
        if (r) {
            k0 += kW0;
            k1 += kW1;
        }
        const uint64_t p0 = (uint64_t)kM0 * c[0], p1 = (uint64_t)kM1 * c[2];
        const uint32_t c0 = (uint32_t)(p1 >> 32) ^ c[1] ^ k0;
        const uint32_t c2 = (uint32_t)(p0 >> 32) ^ c[3] ^ k1;
        c[0] = c0;
        c[1] = (uint32_t)p1;
        c[2] = c2;
        c[3] = (uint32_t)p0;
    }
}

// 53 random bits from two words, as an integer in [0, 2^53).
inline uint64_t bits53(uint32_t hi, uint32_t lo) {
    return (((uint64_t)hi << 32) | lo) >> 11;
}

// Blocks are generated kGroup at a time: the words of blocks b0 .. b0 + kGroup - 1, in element
// order (w[4 k + j] is word j of block b0 + k). With AVX-512 the sixteen blocks are sixteen
// lanes of four vectors (one per counter word); the 32x32->64-bit products of a round are two
// _mm512_mul_epu32 (even and odd lanes) and a 4x16 transpose puts the words in element order.
// AVX2 does the same on two halves of eight lanes; otherwise one block at a time. Every path
// computes the same integer function, so values do not depend on the instruction set.
constexpr int kGroup = 16;

struct Key {
    uint32_t seed, stream;
    uint64_t step;
};

// Counter words 0 and 1 (block lo, block hi) of the blocks of a group.
inline void block_counters(uint64_t b0, uint32_t lo[kGroup], uint32_t hi[kGroup]) {
    for (int k = 0; k < kGroup; ++k) {
        lo[k] = (uint32_t)(b0 + k);
        hi[k] = (uint32_t)((b0 + k) >> 32);
    }
}

#if defined(__AVX512F__)
// lo and hi halves of the 32x32->64-bit products a * m, lane by lane.
inline void mulhilo(__m512i a, __m512i m, __m512i& lo, __m512i& hi) {
    const __m512i e = _mm512_mul_epu32(a, m);                          // even lanes
    const __m512i o = _mm512_mul_epu32(_mm512_srli_epi64(a, 32), m);   // odd lanes
    lo = _mm512_mask_blend_epi32(0xAAAA, e, _mm512_slli_epi64(o, 32));
    hi = _mm512_mask_blend_epi32(0xAAAA, _mm512_srli_epi64(e, 32), o);
}

inline void philox_group(uint64_t b0, const Key& key, uint32_t* w) {
    alignas(64) uint32_t lo[kGroup], hi[kGroup];
    block_counters(b0, lo, hi);
    __m512i c0 = _mm512_load_si512(lo), c1 = _mm512_load_si512(hi);
    __m512i c2 = _mm512_set1_epi32((int)(uint32_t)key.step);
    __m512i c3 = _mm512_set1_epi32((int)(uint32_t)(key.step >> 32));
    const __m512i m0 = _mm512_set1_epi32((int)kM0), m1 = _mm512_set1_epi32((int)kM1);
    uint32_t k0 = key.seed, k1 = key.stream;
    for (int r = 0; r < 10; ++r) {
        if (r) {
            k0 += kW0;
            k1 += kW1;
        }
        __m512i lo0, hi0, lo1, hi1;
        mulhilo(c0, m0, lo0, hi0);
        mulhilo(c2, m1, lo1, hi1);
        c0 = _mm512_xor_si512(_mm512_xor_si512(hi1, c1), _mm512_set1_epi32((int)k0));
        c2 = _mm512_xor_si512(_mm512_xor_si512(hi0, c3), _mm512_set1_epi32((int)k1));
        c1 = lo1;
        c3 = lo0;
    }
    // Transpose: a/b/c/d hold blocks {0,4,8,12}/{1,5,9,13}/{2,6,10,14}/{3,7,11,15}, one per
    // 128-bit lane; the lane shuffles then gather four consecutive blocks per vector.
    const __m512i u01l = _mm512_unpacklo_epi32(c0, c1), u01h = _mm512_unpackhi_epi32(c0, c1);
    const __m512i u23l = _mm512_unpacklo_epi32(c2, c3), u23h = _mm512_unpackhi_epi32(c2, c3);
    const __m512i a = _mm512_unpacklo_epi64(u01l, u23l), b = _mm512_unpackhi_epi64(u01l, u23l);
    const __m512i c = _mm512_unpacklo_epi64(u01h, u23h), d = _mm512_unpackhi_epi64(u01h, u23h);
    const __m512i e = _mm512_shuffle_i32x4(a, b, _MM_SHUFFLE(2, 0, 2, 0));   // 0 8 1 9
    const __m512i f = _mm512_shuffle_i32x4(c, d, _MM_SHUFFLE(2, 0, 2, 0));   // 2 10 3 11
    const __m512i g = _mm512_shuffle_i32x4(a, b, _MM_SHUFFLE(3, 1, 3, 1));   // 4 12 5 13
    const __m512i h = _mm512_shuffle_i32x4(c, d, _MM_SHUFFLE(3, 1, 3, 1));   // 6 14 7 15
    _mm512_store_si512(w, _mm512_shuffle_i32x4(e, f, _MM_SHUFFLE(2, 0, 2, 0)));
    _mm512_store_si512(w + 16, _mm512_shuffle_i32x4(g, h, _MM_SHUFFLE(2, 0, 2, 0)));
    _mm512_store_si512(w + 32, _mm512_shuffle_i32x4(e, f, _MM_SHUFFLE(3, 1, 3, 1)));
    _mm512_store_si512(w + 48, _mm512_shuffle_i32x4(g, h, _MM_SHUFFLE(3, 1, 3, 1)));
}
#elif defined(__AVX2__)
inline void mulhilo(__m256i a, __m256i m, __m256i& lo, __m256i& hi) {
    const __m256i e = _mm256_mul_epu32(a, m);
    const __m256i o = _mm256_mul_epu32(_mm256_srli_epi64(a, 32), m);
    lo = _mm256_blend_epi32(e, _mm256_slli_epi64(o, 32), 0xAA);
    hi = _mm256_blend_epi32(_mm256_srli_epi64(e, 32), o, 0xAA);
}

// Eight blocks from counter words lo/hi into w (32 words), as the AVX-512 version.
inline void philox_eight(const uint32_t* lo, const uint32_t* hi, const Key& key, uint32_t* w) {
    __m256i c0 = _mm256_loadu_si256((const __m256i*)lo), c1 = _mm256_loadu_si256((const __m256i*)hi);
    __m256i c2 = _mm256_set1_epi32((int)(uint32_t)key.step);
    __m256i c3 = _mm256_set1_epi32((int)(uint32_t)(key.step >> 32));
    const __m256i m0 = _mm256_set1_epi32((int)kM0), m1 = _mm256_set1_epi32((int)kM1);
    uint32_t k0 = key.seed, k1 = key.stream;
    for (int r = 0; r < 10; ++r) {
        if (r) {
            k0 += kW0;
            k1 += kW1;
        }
        __m256i lo0, hi0, lo1, hi1;
        mulhilo(c0, m0, lo0, hi0);
        mulhilo(c2, m1, lo1, hi1);
        c0 = _mm256_xor_si256(_mm256_xor_si256(hi1, c1), _mm256_set1_epi32((int)k0));
        c2 = _mm256_xor_si256(_mm256_xor_si256(hi0, c3), _mm256_set1_epi32((int)k1));
        c1 = lo1;
        c3 = lo0;
    }
    const __m256i u01l = _mm256_unpacklo_epi32(c0, c1), u01h = _mm256_unpackhi_epi32(c0, c1);
    const __m256i u23l = _mm256_unpacklo_epi32(c2, c3), u23h = _mm256_unpackhi_epi32(c2, c3);
    const __m256i a = _mm256_unpacklo_epi64(u01l, u23l), b = _mm256_unpackhi_epi64(u01l, u23l);   // {0,4} {1,5}
    const __m256i c = _mm256_unpacklo_epi64(u01h, u23h), d = _mm256_unpackhi_epi64(u01h, u23h);   // {2,6} {3,7}
    _mm256_storeu_si256((__m256i*)w, _mm256_permute2x128_si256(a, b, 0x20));
    _mm256_storeu_si256((__m256i*)(w + 8), _mm256_permute2x128_si256(c, d, 0x20));
    _mm256_storeu_si256((__m256i*)(w + 16), _mm256_permute2x128_si256(a, b, 0x31));
    _mm256_storeu_si256((__m256i*)(w + 24), _mm256_permute2x128_si256(c, d, 0x31));
}

inline void philox_group(uint64_t b0, const Key& key, uint32_t* w) {
    uint32_t lo[kGroup], hi[kGroup];
    block_counters(b0, lo, hi);
    philox_eight(lo, hi, key, w);
    philox_eight(lo + 8, hi + 8, key, w + 32);
}
#else
inline void philox_group(uint64_t b0, const Key& key, uint32_t* w) {
    uint32_t lo[kGroup], hi[kGroup];
    block_counters(b0, lo, hi);
    for (int k = 0; k < kGroup; ++k) {
        uint32_t* c = w + 4 * k;
        c[0] = lo[k];
        c[1] = hi[k];
        c[2] = (uint32_t)key.step;
        c[3] = (uint32_t)(key.step >> 32);
        philox4x32_10(c, key.seed, key.stream);
    }
}
#endif

// Fills the n-element output y, PER elements per block: gen(words, v) writes the kGroup * PER
// values of one group of blocks (words as philox_group gives them) to v. Threads take
// contiguous ranges of groups; no value depends on the split.
template <int PER, class T, class G>
void for_blocks(const Args& a, int64_t n, T* y, G&& gen) {
    const Key key{(uint32_t)a.ip[0], (uint32_t)a.ip[1], a.ctx->step};
    constexpr int64_t kVals = kGroup * PER;
    const int64_t ng = (n + kVals - 1) / kVals;
#pragma omp parallel for if (parallel_costly(n)) schedule(static)
    for (int64_t g = 0; g < ng; ++g) {
        alignas(64) uint32_t w[4 * kGroup];
        philox_group((uint64_t)g * kGroup, key, w);
        const int64_t i0 = g * kVals;
        if (n - i0 >= kVals) {
            gen(w, y + i0);
        } else {   // the last, partial group
            T v[kVals];
            gen(w, v);
            std::copy(v, v + (n - i0), y + i0);
        }
    }
}

// The integer t with (double)word < threshold exactly when word < t, for every 32-bit word:
// ceil(threshold) clamped to [0, 2^32] (0 for NaN).
inline uint64_t word_threshold(double threshold) {
    if (!(threshold > 0)) return 0;
    if (threshold >= 0x1p32) return uint64_t(1) << 32;
    return (uint64_t)std::ceil(threshold);
}

}  // namespace

// The raw generator, for known-answer tests. buf: counters int64 (n, 4), keys int64 (n, 2),
// out int64 (n, 4); every word is an unsigned 32-bit value. ip: [n]
SK_KERNEL(philox4x32) {
    const int64_t n = a.ip[0];
    const int64_t* ctr = static_cast<const int64_t*>(a.buf[0]);
    const int64_t* key = static_cast<const int64_t*>(a.buf[1]);
    int64_t* out = static_cast<int64_t*>(a.buf[2]);
    for (int64_t i = 0; i < n; ++i) {
        uint32_t c[4];
        for (int j = 0; j < 4; ++j) c[j] = (uint32_t)ctr[4 * i + j];
        philox4x32_10(c, (uint32_t)key[2 * i], (uint32_t)key[2 * i + 1]);
        for (int j = 0; j < 4; ++j) out[4 * i + j] = c[j];
    }
    return 0;
}

// Uniform in [low, high). float32: 24 bits per element, four per block; float64: 53 bits from
// two words, two per block. low + (high - low) * u is computed in double and rounded once; a
// result that rounds up to high is replaced by the largest value below it.
// ip: [seed, stream, dtype, n]; fp: [low, high]. buf: [out]
SK_KERNEL(random_uniform) {
    const int64_t n = a.ip[3];
    const double low = a.fp[0], span = a.fp[1] - a.fp[0];
    return dispatch_float(a.ip[2], [&](auto t) {
        using T = decltype(t);
        const T lo = (T)a.fp[0], hi = (T)a.fp[1];
        auto scale = [&](double u) {
            const T v = (T)(low + span * u);
            return (v >= hi && hi > lo) ? std::nextafter(hi, lo) : v;
        };
        if constexpr (sizeof(T) == 4) {
            for_blocks<4>(a, n, static_cast<T*>(a.buf[0]), [&](const uint32_t* w, T* v) {
                for (int i = 0; i < 4 * kGroup; ++i) v[i] = scale((w[i] >> 8) * 0x1p-24);
            });
        } else {
            for_blocks<2>(a, n, static_cast<T*>(a.buf[0]), [&](const uint32_t* w, T* v) {
                for (int i = 0; i < 2 * kGroup; ++i) v[i] = scale(bits53(w[2 * i], w[2 * i + 1]) * 0x1p-53);
            });
        }
        return 0;
    });
}

// Normal by Box-Muller in double: a pair (u1 in (0, 1], u2 in [0, 1)) gives
// r cos(2 pi u2) and r sin(2 pi u2), r = sqrt(-2 log u1). float32: one word per uniform, four
// values per block; float64: 53-bit uniforms, two values per block. (Only the generator is
// vectorised: log, cos and sin stay libm's, for values identical to the numpy reference.)
// ip: [seed, stream, dtype, n]; fp: [mean, std]. buf: [out]
SK_KERNEL(random_normal) {
    const int64_t n = a.ip[3];
    const double mean = a.fp[0], sd = a.fp[1];
    return dispatch_float(a.ip[2], [&](auto t) {
        using T = decltype(t);
        auto pair = [&](T* v, double u1, double u2) {
            const double r = std::sqrt(-2.0 * std::log(u1)), th = kTwoPi * u2;
            v[0] = (T)(mean + sd * (r * std::cos(th)));
            v[1] = (T)(mean + sd * (r * std::sin(th)));
        };
        if constexpr (sizeof(T) == 4) {
            for_blocks<4>(a, n, static_cast<T*>(a.buf[0]), [&](const uint32_t* w, T* v) {
                for (int i = 0; i < 4 * kGroup; i += 2) pair(v + i, (w[i] + 1.0) * 0x1p-32, w[i + 1] * 0x1p-32);
            });
        } else {
            for_blocks<2>(a, n, static_cast<T*>(a.buf[0]), [&](const uint32_t* w, T* v) {
                for (int k = 0; k < kGroup; ++k) {
                    const uint32_t* c = w + 4 * k;
                    pair(v + 2 * k, (bits53(c[0], c[1]) + 1.0) * 0x1p-53, bits53(c[2], c[3]) * 0x1p-53);
                }
            });
        }
        return 0;
    });
}

// 1 with probability p, else 0: word < p * 2^32, one word per element, any output dtype. The
// comparison is done on integers against word_threshold(p * 2^32), which decides exactly as
// the double comparison does and vectorises.
// ip: [seed, stream, dtype, n]; fp: [p]. buf: [out]
SK_KERNEL(random_binomial) {
    const int64_t n = a.ip[3];
    const uint64_t t = word_threshold(a.fp[0] * 0x1p32);
    return dispatch_all(a.ip[2], [&](auto tag) {
        using T = decltype(tag);
        if (t >> 32) {   // p >= 1 - 2^-32: every word is below
            for_blocks<4>(a, n, static_cast<T*>(a.buf[0]), [&](const uint32_t*, T* v) {
                std::fill(v, v + 4 * kGroup, T(1));
            });
        } else {
            const uint32_t t32 = (uint32_t)t;
            for_blocks<4>(a, n, static_cast<T*>(a.buf[0]), [&](const uint32_t* w, T* v) {
                for (int i = 0; i < 4 * kGroup; ++i) v[i] = w[i] < t32 ? T(1) : T(0);
            });
        }
        return 0;
    });
}

}  // namespace sk
