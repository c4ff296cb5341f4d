// The scalar semantics of elementwise operations, shared by the one-op kernels
// (elementwise.cpp) and the fused-program interpreter (fused.cpp), so that an operation means
// the same thing fused or not: numpy's NaN rules, wrapping integer arithmetic, Python's signs
// for % and //.
#pragma once
#include <cmath>
#include <cstdint>
#include <functional>
#include <type_traits>

namespace sk {

template <class T>
inline T sigmoid(T v) {
    return v >= T(0) ? T(1) / (T(1) + std::exp(-v)) : std::exp(v) / (T(1) + std::exp(v));
}

template <class T>
inline T softplus(T v) {   // log(1 + exp(v)) without overflow
    return v > T(0) ? v + std::log1p(std::exp(-v)) : std::log1p(std::exp(v));
}

// Integer + - * and negation wrap around (two's complement) as numpy's do. Signed overflow is
// undefined behaviour, so they are computed in the unsigned type, where arithmetic is modulo
// 2^n, and converted back.
template <class T, class Op>
inline T wrapping(T u, T v, Op op) {
    if constexpr (std::is_integral_v<T>) {
        using U = std::make_unsigned_t<T>;
        return static_cast<T>(op(U(u), U(v)));
    } else {
        return op(u, v);
    }
}

template <class T>
inline T negate(T v) {
    if constexpr (std::is_integral_v<T>) return wrapping(T(0), v, std::minus<>());
    else return -v;
}

// Bounds by comparison, which lets a NaN value through (fmin/fmax would drop it); a NaN
// bound compares false and so bounds nothing.
template <class T>
inline T at_most(T v, T hi) { return v > hi ? hi : v; }

template <class T>
inline T clamp(T v, T lo, T hi) { return v < lo ? lo : at_most(v, hi); }

template <class T>
inline T floordiv(T x, T y) {
    if constexpr (std::is_floating_point_v<T>) {
        return std::floor(x / y);
    } else {
        if (y == 0) return 0;   // numpy's integer result for division by zero
        // MIN / -1 overflows (SIGFPE on x86); numpy's result wraps: -MIN is MIN
        if constexpr (std::is_signed_v<T>) if (y == -1) return negate(x);
        T q = x / y;
        if ((x % y != 0) && ((x < 0) != (y < 0))) --q;
        return q;
    }
}

template <class T>
inline T pymod(T x, T y) {   // Python's sign convention: result has the sign of y
    if constexpr (std::is_floating_point_v<T>) {
        T r = std::fmod(x, y);
        if (r != 0 && ((r < 0) != (y < 0))) r += y;
        return r;
    } else {
        if (y == 0) return 0;
        if constexpr (std::is_signed_v<T>) if (y == -1) return 0;   // MIN % -1 would trap
        T r = x % y;
        if (r != 0 && ((r < 0) != (y < 0))) r += y;
        return r;
    }
}

}  // namespace sk
