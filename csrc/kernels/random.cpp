// Random numbers from the counter-based generator Philox4x32-10 (Salmon et al., "Parallel random
// numbers: as easy as 1, 2, 3", SC'11). One block of four 32-bit words is a pure function of a
// 128-bit counter and a 64-bit key, so element i of an output depends only on (seed, stream,
// step, i): results are reproducible and identical for any number of threads.
//
// Layout: key = (seed, stream); counter = (block lo, block hi, step lo, step hi), where block
// is i / (elements per block) and step is the Function's call counter (ctx->step).
// symkeras/backend/ops/random.py holds a numpy copy of every transform below (the ops' ref).
#include <algorithm>
#include <cmath>
#include <cstdint>

#include "runtime/dispatch.hpp"

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

// Fills the n-element output y, PER elements per block: gen(words, v) writes the PER values
// of one block to v. Threads take contiguous ranges of blocks; no value depends on the split.
template <int PER, class T, class G>
void for_blocks(const Args& a, int64_t n, T* y, G&& gen) {
    const uint32_t seed = (uint32_t)a.ip[0], stream = (uint32_t)a.ip[1];
    const uint64_t step = a.ctx->step;
    const int64_t nb = (n + PER - 1) / PER;
#pragma omp parallel for if (parallel_costly(n)) schedule(static)
    for (int64_t b = 0; b < nb; ++b) {
        uint32_t c[4] = {(uint32_t)b, (uint32_t)((uint64_t)b >> 32), (uint32_t)step,
                         (uint32_t)(step >> 32)};
        philox4x32_10(c, seed, stream);
        const int64_t i0 = b * PER;
        if (n - i0 >= PER) {
            gen(c, y + i0);
        } else {   // the last, partial block
            T v[PER];
            gen(c, v);
            std::copy(v, v + (n - i0), y + i0);
        }
    }
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
            for_blocks<4>(a, n, static_cast<T*>(a.buf[0]), [&](const uint32_t* c, T* v) {
                for (int j = 0; j < 4; ++j) v[j] = scale((c[j] >> 8) * 0x1p-24);
            });
        } else {
            for_blocks<2>(a, n, static_cast<T*>(a.buf[0]), [&](const uint32_t* c, T* v) {
                for (int j = 0; j < 2; ++j) v[j] = scale(bits53(c[2 * j], c[2 * j + 1]) * 0x1p-53);
            });
        }
        return 0;
    });
}

// Normal by Box-Muller in double: a pair (u1 in (0, 1], u2 in [0, 1)) gives
// r cos(2 pi u2) and r sin(2 pi u2), r = sqrt(-2 log u1). float32: one word per uniform, four
// values per block; float64: 53-bit uniforms, two values per block.
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
            for_blocks<4>(a, n, static_cast<T*>(a.buf[0]), [&](const uint32_t* c, T* v) {
                pair(v, (c[0] + 1.0) * 0x1p-32, c[1] * 0x1p-32);
                pair(v + 2, (c[2] + 1.0) * 0x1p-32, c[3] * 0x1p-32);
            });
        } else {
            for_blocks<2>(a, n, static_cast<T*>(a.buf[0]), [&](const uint32_t* c, T* v) {
                pair(v, (bits53(c[0], c[1]) + 1.0) * 0x1p-53, bits53(c[2], c[3]) * 0x1p-53);
            });
        }
        return 0;
    });
}

// 1 with probability p, else 0: word < p * 2^32, one word per element, any output dtype.
// ip: [seed, stream, dtype, n]; fp: [p]. buf: [out]
SK_KERNEL(random_binomial) {
    const int64_t n = a.ip[3];
    const double threshold = a.fp[0] * 0x1p32;
    return dispatch_all(a.ip[2], [&](auto t) {
        using T = decltype(t);
        for_blocks<4>(a, n, static_cast<T*>(a.buf[0]), [&](const uint32_t* c, T* v) {
            for (int j = 0; j < 4; ++j) v[j] = (double)c[j] < threshold ? T(1) : T(0);
        });
        return 0;
    });
}

}  // namespace sk
