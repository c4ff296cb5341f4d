// Elementwise kernels: unary (contiguous), binary and switch (numpy broadcasting through
// element strides, 0 on broadcast dimensions). Float math is computed in the input type;
// Python casts integer operands to floatX before transcendental functions.
#include <cmath>
#include <cstdint>
#include <type_traits>

#include "kernels/opcodes.hpp"
#include "kernels/strided.hpp"
#include "runtime/dispatch.hpp"

namespace sk {

std::vector<std::string> opcode_names(const std::string& family) {
#define SK_NAME(name) #name,
    if (family == "unary") return {SK_UNARY_OPS(SK_NAME)};
    if (family == "binary") return {SK_BINARY_OPS(SK_NAME)};
#undef SK_NAME
    return {};
}

template <class T>
static inline T sigmoid(T v) {
    return v >= T(0) ? T(1) / (T(1) + std::exp(-v)) : std::exp(v) / (T(1) + std::exp(v));
}

template <class T>
static inline T softplus(T v) {   // log(1 + exp(v)) without overflow
    return v > T(0) ? v + std::log1p(std::exp(-v)) : std::log1p(std::exp(v));
}

// fp: RELU [alpha, max_value or NaN]; CLIP [lo, hi]; POWC [exponent]; HARD_SIGMOID none;
// AFFINE [scale, shift] (y = scale*x + shift).
template <class T>
static int unary(int op, const T* x, T* y, int64_t n, const double* fp) {
    const bool costly = op == U_EXP || op == U_LOG || op == U_SIN || op == U_COS || op == U_TANH ||
                        op == U_SIGMOID || op == U_SOFTPLUS || op == U_LOG1P || op == U_EXPM1 ||
                        op == U_POWC;
    const bool par = costly ? parallel_costly(n) : parallel_cheap(n);
#define SK_LOOP(expr)                                                    \
    {                                                                    \
        _Pragma("omp parallel for if(par) schedule(static)")             \
        for (int64_t i = 0; i < n; ++i) {                                \
            const T v = x[i];                                            \
            y[i] = static_cast<T>(expr);                                 \
        }                                                                \
        return 0;                                                        \
    }
    using F = std::conditional_t<std::is_floating_point_v<T>, T, double>;
    switch (op) {
        case U_NEG: SK_LOOP(-v)
        case U_ABS: SK_LOOP(v < T(0) ? -v : v)
        case U_SIGN: SK_LOOP((v > T(0)) - (v < T(0)))
        case U_SQUARE: SK_LOOP(v * v)
        case U_SQRT: SK_LOOP(std::sqrt(F(v)))
        case U_EXP: SK_LOOP(std::exp(F(v)))
        case U_LOG: SK_LOOP(std::log(F(v)))
        case U_SIN: SK_LOOP(std::sin(F(v)))
        case U_COS: SK_LOOP(std::cos(F(v)))
        case U_TANH: SK_LOOP(std::tanh(F(v)))
        case U_SIGMOID: SK_LOOP(sigmoid(F(v)))
        case U_SOFTPLUS: SK_LOOP(softplus(F(v)))
        case U_ROUND: SK_LOOP(std::nearbyint(F(v)))   // default rounding mode: half to even
        case U_FLOOR: SK_LOOP(std::floor(F(v)))
        case U_CEIL: SK_LOOP(std::ceil(F(v)))
        case U_LOG1P: SK_LOOP(std::log1p(F(v)))
        case U_EXPM1: SK_LOOP(std::expm1(F(v)))
        case U_NOT: SK_LOOP(!v)
        case U_RECIPROCAL: SK_LOOP(F(1) / F(v))
        case U_RELU: {
            const F alpha = F(fp[0]), hi = F(fp[1]);
            if (std::isnan(fp[1])) SK_LOOP(v > T(0) ? F(v) : alpha * F(v))
            SK_LOOP(std::fmin(v > T(0) ? F(v) : alpha * F(v), hi))
        }
        case U_CLIP: {
            const F lo = F(fp[0]), hi = F(fp[1]);
            SK_LOOP(F(v) < lo ? lo : (F(v) > hi ? hi : F(v)))
        }
        case U_POWC: {
            const F e = F(fp[0]);
            if (e == F(2)) SK_LOOP(F(v) * F(v))
            SK_LOOP(std::pow(F(v), e))
        }
        case U_HARD_SIGMOID: SK_LOOP(std::fmin(F(1), std::fmax(F(0), F(0.2) * F(v) + F(0.5))))
        case U_AFFINE: {
            const F s = F(fp[0]), b = F(fp[1]);
            SK_LOOP(s * F(v) + b)
        }
    }
#undef SK_LOOP
    return -1;
}

// ip: [opcode, dtype, n]
SK_KERNEL(unary) {
    const int op = (int)a.ip[0];
    const int64_t n = a.ip[2];
    int rc = dispatch_all(a.ip[1], [&](auto t) {
        using T = decltype(t);
        return unary<T>(op, static_cast<const T*>(a.buf[0]), static_cast<T*>(a.buf[1]), n, a.fp);
    });
    if (rc) a.ctx->error = "unary: unsupported opcode or dtype";
    return rc;
}

template <class T>
static inline T floordiv(T x, T y) {
    if constexpr (std::is_floating_point_v<T>) {
        return std::floor(x / y);
    } else {
        if (y == 0) return 0;   // numpy's integer result for division by zero
        T q = x / y;
        if ((x % y != 0) && ((x < 0) != (y < 0))) --q;
        return q;
    }
}

template <class T>
static inline T pymod(T x, T y) {   // Python's sign convention: result has the sign of y
    if constexpr (std::is_floating_point_v<T>) {
        T r = std::fmod(x, y);
        if (r != 0 && ((r < 0) != (y < 0))) r += y;
        return r;
    } else {
        if (y == 0) return 0;
        T r = x % y;
        if (r != 0 && ((r < 0) != (y < 0))) r += y;
        return r;
    }
}

template <class T, class R, class Op>
static void binary_loop(int ndim, const int64_t* shape, const int64_t* sa, const int64_t* sb,
                        const T* x, const T* y, R* z, Op op, bool costly = false) {
    int64_t zs[kMaxDims];
    int64_t st = 1;
    for (int d = ndim - 1; d >= 0; --d) { zs[d] = st; st *= shape[d]; }
    const int64_t* strides[3] = {sa, sb, zs};
    const int64_t ia = ndim ? sa[ndim - 1] : 0, ib = ndim ? sb[ndim - 1] : 0;
    for_rows<3>(ndim, shape, strides, [&](const int64_t* off, int64_t len) {
        const T* px = x + off[0];
        const T* py = y + off[1];
        R* pz = z + off[2];
        if (ia == 1 && ib == 1) {
            for (int64_t i = 0; i < len; ++i) pz[i] = op(px[i], py[i]);
        } else if (ia == 1 && ib == 0) {
            const T w = *py;
            for (int64_t i = 0; i < len; ++i) pz[i] = op(px[i], w);
        } else if (ia == 0 && ib == 1) {
            const T w = *px;
            for (int64_t i = 0; i < len; ++i) pz[i] = op(w, py[i]);
        } else {
            for (int64_t i = 0; i < len; ++i) pz[i] = op(px[i * ia], py[i * ib]);
        }
    }, costly);
}

template <class T>
static int binary(int op, int ndim, const int64_t* shape, const int64_t* sa, const int64_t* sb,
                  const void* x, const void* y, void* z) {
    const T* a = static_cast<const T*>(x);
    const T* b = static_cast<const T*>(y);
    T* c = static_cast<T*>(z);
    uint8_t* m = static_cast<uint8_t*>(z);
#define SK_ARITH(expr) binary_loop<T, T>(ndim, shape, sa, sb, a, b, c, [](T u, T v) -> T { return static_cast<T>(expr); }); return 0;
#define SK_CMP(expr) binary_loop<T, uint8_t>(ndim, shape, sa, sb, a, b, m, [](T u, T v) -> uint8_t { return (expr); }); return 0;
    switch (op) {
        case B_ADD: SK_ARITH(u + v)
        case B_SUB: SK_ARITH(u - v)
        case B_MUL: SK_ARITH(u * v)
        case B_DIV:
            if constexpr (std::is_floating_point_v<T>) { SK_ARITH(u / v) }
            else { SK_ARITH(floordiv(u, v)) }
        case B_POW:
            binary_loop<T, T>(ndim, shape, sa, sb, a, b, c, [](T u, T v) -> T { return static_cast<T>(std::pow(u, v)); }, true);
            return 0;
        case B_MAXIMUM: SK_ARITH((u != u || u > v) ? u : v)   // NaN propagates as in numpy
        case B_MINIMUM: SK_ARITH((u != u || u < v) ? u : v)
        case B_MOD: SK_ARITH(pymod(u, v))
        case B_FLOORDIV: SK_ARITH(floordiv(u, v))
        case B_EQ: SK_CMP(u == v)
        case B_NE: SK_CMP(u != v)
        case B_GT: SK_CMP(u > v)
        case B_GE: SK_CMP(u >= v)
        case B_LT: SK_CMP(u < v)
        case B_LE: SK_CMP(u <= v)
        case B_AND: SK_CMP((u != 0) && (v != 0))
        case B_OR: SK_CMP((u != 0) || (v != 0))
        case B_XOR: SK_CMP((u != 0) != (v != 0))
    }
#undef SK_ARITH
#undef SK_CMP
    return -1;
}

// ip: [opcode, dtype, ndim, shape[ndim], a_strides[ndim], b_strides[ndim]]; output contiguous.
SK_KERNEL(binary) {
    const int op = (int)a.ip[0], nd = (int)a.ip[2];
    const int64_t* shape = a.ip + 3;
    if (nd > kMaxDims) {
        a.ctx->error = "binary: more than 12 dimensions remain after merging; reshape the operands";
        return -1;
    }
    int rc = dispatch_all(a.ip[1], [&](auto t) {
        using T = decltype(t);
        return binary<T>(op, nd, shape, shape + nd, shape + 2 * nd, a.buf[0], a.buf[1], a.buf[2]);
    });
    if (rc) a.ctx->error = "binary: unsupported opcode or dtype";
    return rc;
}

// where(cond, x, y). ip: [dtype, ndim, shape, c_strides, x_strides, y_strides]; output contiguous.
SK_KERNEL(switch) {
    const int nd = (int)a.ip[1];
    if (nd > kMaxDims) {
        a.ctx->error = "switch: more than 12 dimensions remain after merging; reshape the operands";
        return -1;
    }
    const int64_t* shape = a.ip + 2;
    const int64_t* sc = shape + nd;
    const int64_t* sx = shape + 2 * nd;
    const int64_t* sy = shape + 3 * nd;
    return dispatch_all(a.ip[0], [&](auto t) {
        using T = decltype(t);
        const uint8_t* c = static_cast<const uint8_t*>(a.buf[0]);
        const T* x = static_cast<const T*>(a.buf[1]);
        const T* y = static_cast<const T*>(a.buf[2]);
        T* z = static_cast<T*>(a.buf[3]);
        int64_t zs[kMaxDims];
        int64_t st = 1;
        for (int d = nd - 1; d >= 0; --d) { zs[d] = st; st *= shape[d]; }
        const int64_t* strides[4] = {sc, sx, sy, zs};
        const int64_t ic = nd ? sc[nd - 1] : 0, ix = nd ? sx[nd - 1] : 0, iy = nd ? sy[nd - 1] : 0;
        for_rows<4>(nd, shape, strides, [&](const int64_t* off, int64_t len) {
            for (int64_t i = 0; i < len; ++i)
                z[off[3] + i] = c[off[0] + i * ic] ? x[off[1] + i * ix] : y[off[2] + i * iy];
        });
        return 0;
    });
}

}  // namespace sk
