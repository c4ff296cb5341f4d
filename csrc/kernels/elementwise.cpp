// Elementwise kernels: unary (contiguous), binary and switch (numpy broadcasting through
// element strides, 0 on broadcast dimensions). Float math is computed in the input type;
// Python casts integer operands to floatX before transcendental functions.
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <type_traits>

#include "kernels/opcodes.hpp"
#include "kernels/scalar_ops.hpp"
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

template <class T>   // numpy's integer power: repeated multiplication, wrapping; e >= 0
static inline T ipow(T v, uint64_t e) {
    T r = 1;
    for (; e; e >>= 1) {
        if (e & 1) r = wrapping(r, v, std::multiplies<>());
        v = wrapping(v, v, std::multiplies<>());
    }
    return r;
}

// A bound (whole number, +-inf) as the integer type T, limited to T's range: converting an
// out-of-range double is undefined behaviour.
template <class T>
static inline T saturate(double b) {
    using L = std::numeric_limits<T>;
    const double top = double(L::max()) + 1.0;   // a power of two, exact in double
    return b >= top ? L::max() : (b < double(L::min()) ? L::min() : static_cast<T>(b));
}

// fp: RELU [alpha, max_value or NaN]; CLIP [lo, hi]; POWC [exponent]; HARD_SIGMOID none.
// Integer RELU/CLIP/POWC compute in the integer type (int64 beyond 2^53 stays exact); the
// Python side sends them whole parameters (a non-integer one makes it compute on floats).
template <class T>
static int unary(int op, const T* x, T* y, int64_t n, const double* fp) {
    const bool costly = op == U_EXP || op == U_LOG || op == U_SIN || op == U_COS || op == U_TANH ||
                        op == U_SIGMOID || op == U_SOFTPLUS || op == U_EXPM1 || op == U_POWC;
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
    constexpr bool is_int = std::is_integral_v<T>;
    using F = std::conditional_t<is_int, double, T>;
    switch (op) {
        case U_NEG: SK_LOOP(negate(v))
        case U_ABS:
            if constexpr (is_int) SK_LOOP(v < T(0) ? negate(v) : v)
            else SK_LOOP(std::fabs(v))
        case U_SIGN: SK_LOOP(v != v ? v : T((v > T(0)) - (v < T(0))))   // NaN stays NaN
        case U_SQUARE: SK_LOOP(wrapping(v, v, std::multiplies<>()))
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
        case U_EXPM1: SK_LOOP(std::expm1(F(v)))
        case U_NOT: SK_LOOP(!v)
        case U_RELU:
            // v > 0 ? v : alpha * v, except relu(-inf) = 0 (not 0 * -inf) and NaN stays NaN;
            // then at most max_value (NaN: no maximum; comparisons with it are false).
            if constexpr (is_int) {
                const T alpha = saturate<T>(fp[0]);
                const T hi = std::isnan(fp[1]) ? std::numeric_limits<T>::max() : saturate<T>(fp[1]);
                SK_LOOP(at_most(v > T(0) ? v : wrapping(v, alpha, std::multiplies<>()), hi))
            } else {
                const T alpha = T(fp[0]), hi = T(fp[1]);
                SK_LOOP(at_most(v > T(0) || v != v ? v : (alpha != T(0) ? alpha * v : T(0)), hi))
            }
        case U_CLIP:
            if constexpr (is_int) {
                const T lo = saturate<T>(fp[0]), hi = saturate<T>(fp[1]);
                SK_LOOP(clamp(v, lo, hi))
            } else {
                const T lo = T(fp[0]), hi = T(fp[1]);
                SK_LOOP(clamp(v, lo, hi))
            }
        case U_POWC: {
            const double e = fp[0];
            if constexpr (is_int) {
                SK_LOOP(ipow(v, uint64_t(e)))   // whole e in [0, 2^63): checked in Python
            } else {
                if (e == 2) SK_LOOP(v * v)
                if (e == 0.5) SK_LOOP(std::sqrt(v))   // as numpy: sqrt(-inf) is NaN, pow's is inf
                SK_LOOP(std::pow(v, T(e)))
            }
        }
        case U_HARD_SIGMOID: SK_LOOP(clamp(F(0.2) * F(v) + F(0.5), F(0), F(1)))
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
        case B_ADD: SK_ARITH(wrapping(u, v, std::plus<>()))
        case B_SUB: SK_ARITH(wrapping(u, v, std::minus<>()))
        case B_MUL: SK_ARITH(wrapping(u, v, std::multiplies<>()))
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
