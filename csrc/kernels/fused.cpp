// fused_elementwise: an interpreter for fused elementwise programs (numexpr-style: no C compiler
// at run time). symkeras/backend/rewrite/fuse_elementwise.py turns a group of elementwise ops
// into one program; symkeras/backend/ops/fused.py encodes it.
//
// Bytecode contract
// -----------------
// Buffers: n_in inputs, then n_out outputs. Outputs are contiguous, of the program's dtype T
// (float32 or float64), all of the program's (broadcast) shape. Input k is of dtype T, or bool
// (uint8 0/1, converted to T on load), read through its element strides over that shape
// (0 on a broadcast dimension; any sign or layout, e.g. a transposed input).
//
// ip: [dtype, n_in, n_out, n_regs, ndim, shape[ndim],
//      in_bool[n_in]            1: input k is bool (uint8), 0: it is of dtype T
//      in_strides[n_in * ndim]  element strides of input k, ndim per input
//      n_instr, instr[n_instr * 5]]
// fp: constants and op parameters, addressed by index from instructions.
//
// An instruction is [op, dst, a, b, c] over registers 0..n_regs-1 (at most kMaxRegs), each one
// tile of values of type T. Values of comparisons and logical ops are 0 or 1 in T.
//   LOAD   (0)  dst = input a
//   CONST  (1)  dst = fp[a]
//   STORE  (2)  output b = a                 (dst, c unused)
//   SELECT (3)  dst = a != 0 ? b : c         (where / K.switch)
//   TOBOOL (4)  dst = a != 0 ? 1 : 0         (cast to bool; NaN gives 1)
//   kUnaryBase + U_x   (opcodes.hpp)  dst = f(a); parameterised ops read fp[b...]:
//                RELU fp[b] = alpha, fp[b+1] = max_value or NaN; CLIP fp[b] = lo, fp[b+1] = hi;
//                POWC fp[b] = exponent
//   kBinaryBase + B_x  (opcodes.hpp)  dst = a op b
// Every op has the semantics of its float kernel in elementwise.cpp (NaN rules included).
// A register may be the destination of an op that reads it (the value is elementwise).
//
// Writing over an input (lower.py's in-place updates rely on this): output element i is
// written after every read of the element of each contiguous input at flat index i, and no
// other element of such an input is read after that, provided every STORE of the program
// comes after its last op (ops/fused.py emits them so). (Within a tile, loads come before the
// ops that use them; the last op writes the output of the final STORE directly when that
// STORE is the only one of its register, and the other STOREs copy registers of the tile.)
//
// Execution: the flat index space is cut into tiles of 256 to 1024 elements whose registers
// stay in L1 (32 KiB); the program runs once per tile, one dispatch per instruction per tile,
// each a vectorised loop.
// float32 exp, log, tanh and sigmoid use the branch-free polynomial versions below (within
// a few ulp of the correctly rounded result), which vectorise; float64 uses libm. Tiles are
// split across OpenMP threads when the program's work passes the ParallelPolicy threshold of
// cheap work: size times the program's cost, where an arithmetic instruction costs 1 and a
// transcendental one as much as the policy's costly/cheap ratio (so a one-op program is
// split exactly where the unfused kernel would be, and a long one, like an optimizer update,
// earlier).
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>

#include "kernels/opcodes.hpp"
#include "kernels/scalar_ops.hpp"
#include "kernels/strided.hpp"
#include "runtime/dispatch.hpp"

namespace sk {
namespace {

enum : int64_t { F_LOAD = 0, F_CONST = 1, F_STORE = 2, F_SELECT = 3, F_TOBOOL = 4 };
constexpr int64_t kUnaryBase = 32, kBinaryBase = 64;
constexpr int kMaxRegs = 32, kMaxIn = 64, kInstrWidth = 5;
// Registers of a tile share kStoreBytes of stack (L1-sized); a tile is as long as they allow,
// between kMinTile and kMaxTile elements (longer tiles: less dispatch per element).
constexpr int kStoreBytes = 32 * 1024, kMinTile = 256, kMaxTile = 1024;

// ---------------------------------------------------------------- float32 vector math
// Cephes' single-precision algorithms, rewritten without branches so `omp simd` vectorises
// them; special values are chosen with selects at the end. They must be inlined into the
// loops for that.
#define SK_INLINE inline __attribute__((always_inline))

SK_INLINE float bits_to_float(int32_t b) { float f; std::memcpy(&f, &b, 4); return f; }
SK_INLINE int32_t float_to_bits(float f) { int32_t b; std::memcpy(&b, &f, 4); return b; }

SK_INLINE float exp_f(float x) {
    // exp(89) overflows and exp(-104) rounds to 0; clamping keeps 2^n representable in two halves
    // (NaN becomes -104 here, so that the exponent arithmetic below stays defined)
    const float lo = x > -104.f ? x : -104.f, xc = lo < 89.f ? lo : 89.f;
    // round to nearest by adding and subtracting 1.5 * 2^23 (std::floor or nearbyint would
    // not vectorise without -fno-trapping-math)
    const float n = (xc * 1.44269504088896341f + 12582912.f) - 12582912.f;
    const float r = (xc - n * 0.693359375f) + n * 2.12194440e-4f;   // x - n ln2, two parts
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    const float y = p * r * r + r + 1.f;
    const int32_t ni = int32_t(n), n1 = ni / 2, n2 = ni - n1;   // 2^n in two factors: no overflow of the exponent field
    const float res = y * bits_to_float((n1 + 127) << 23) * bits_to_float((n2 + 127) << 23);
    return x != x ? x : res;
}

SK_INLINE float log_f(float x) {
    const float sub = x < 1.17549435e-38f ? 1.f : 0.f;   // subnormal (or <= 0): scale by 2^23
    const float xs = x * (1.f + sub * 8388607.f);
    const int32_t b = float_to_bits(xs);
    float e = float((b >> 23) & 0xff) - 126.f - sub * 23.f;
    float m = bits_to_float((b & 0x807fffff) | 0x3f000000);   // mantissa in [0.5, 1)
    const bool lo = m < 0.707106781186547524f;
    e = lo ? e - 1.f : e;
    m = lo ? m + m - 1.f : m - 1.f;
    const float z = m * m;
    float p = 7.0376836292e-2f;
    p = p * m - 1.1514610310e-1f;
    p = p * m + 1.1676998740e-1f;
    p = p * m - 1.2420140846e-1f;
    p = p * m + 1.4249322787e-1f;
    p = p * m - 1.6668057665e-1f;
    p = p * m + 2.0000714765e-1f;
    p = p * m - 2.4999993993e-1f;
    p = p * m + 3.3333331174e-1f;
    float y = p * m * z;
    y += -2.12194440e-4f * e;
    y += -0.5f * z;
    const float res = (m + y) + 0.693359375f * e;
    const float inf = std::numeric_limits<float>::infinity();
    const float finite = x == inf ? inf : res;
    const float nonpos = x == 0.f ? -inf : std::numeric_limits<float>::quiet_NaN();
    return x > 0.f ? finite : x != x ? x : nonpos;
}

SK_INLINE float tanh_f(float x) {
    const float ax = std::fabs(x);
    const float z = x * x;   // small |x|: odd polynomial
    float p = -5.70498872745e-3f;
    p = p * z + 2.06390887954e-2f;
    p = p * z - 5.37397155531e-2f;
    p = p * z + 1.33314422036e-1f;
    p = p * z - 3.33332819422e-1f;
    const float small = p * z * x + x;
    const float big = 1.f - 2.f / (exp_f(2.f * ax) + 1.f);   // exp overflow gives 1
    const float res = ax < 0.625f ? small : std::copysign(big, x);
    return x != x ? x : res;
}

SK_INLINE float sigmoid_f(float x) {
    const float e = exp_f(-std::fabs(x));
    const float s = 1.f / (1.f + e);
    return x != x ? x : x >= 0.f ? s : e * s;
}

inline double exp_f(double x) { return std::exp(x); }
inline double log_f(double x) { return std::log(x); }
inline double tanh_f(double x) { return std::tanh(x); }
inline double sigmoid_f(double x) { return sigmoid(x); }

// ---------------------------------------------------------------- ops over one tile
// The float semantics are elementwise.cpp's (kernels/scalar_ops.hpp).

#define SK_MAP(expr)                                  \
    {                                                 \
        _Pragma("omp simd")                           \
        for (int i = 0; i < n; ++i) {                 \
            const T v = x[i];                         \
            z[i] = static_cast<T>(expr);              \
        }                                             \
        return true;                                  \
    }

template <class T>
bool unary(int64_t op, const T* x, T* z, int n, const double* fp) {
    switch (op) {
        case U_NEG: SK_MAP(-v)
        case U_ABS: SK_MAP(std::fabs(v))
        case U_SIGN: SK_MAP(v > T(0) ? T(1) : v < T(0) ? T(-1) : v == T(0) ? T(0) : v)   // NaN stays
        case U_SQUARE: SK_MAP(v * v)
        case U_SQRT: SK_MAP(std::sqrt(v))
        case U_EXP: SK_MAP(exp_f(v))
        case U_LOG: SK_MAP(log_f(v))
        case U_SIN: SK_MAP(std::sin(v))
        case U_COS: SK_MAP(std::cos(v))
        case U_TANH: SK_MAP(tanh_f(v))
        case U_SIGMOID: SK_MAP(sigmoid_f(v))
        case U_SOFTPLUS: SK_MAP(softplus(v))
        case U_ROUND: SK_MAP(std::nearbyint(v))
        case U_FLOOR: SK_MAP(std::floor(v))
        case U_EXPM1: SK_MAP(std::expm1(v))
        case U_NOT: SK_MAP(v == T(0) ? T(1) : T(0))
        case U_RELU: {
            const T alpha = T(fp[0]), hi = T(fp[1]);
            SK_MAP(at_most(v > T(0) || v != v ? v : (alpha != T(0) ? alpha * v : T(0)), hi))
        }
        case U_CLIP: {
            const T lo = T(fp[0]), hi = T(fp[1]);
            SK_MAP(clamp(v, lo, hi))
        }
        case U_POWC: {
            const T e = T(fp[0]);
            if (fp[0] == 2) SK_MAP(v * v)
            if (fp[0] == 0.5) SK_MAP(std::sqrt(v))
            SK_MAP(std::pow(v, e))
        }
        case U_HARD_SIGMOID: SK_MAP(clamp(T(0.2) * v + T(0.5), T(0), T(1)))
    }
    return false;
}
#undef SK_MAP

#define SK_MAP2(expr)                                 \
    {                                                 \
        _Pragma("omp simd")                           \
        for (int i = 0; i < n; ++i) {                 \
            const T u = x[i], v = y[i];               \
            z[i] = static_cast<T>(expr);              \
        }                                             \
        return true;                                  \
    }

template <class T>
bool binary(int64_t op, const T* x, const T* y, T* z, int n) {
    switch (op) {
        case B_ADD: SK_MAP2(u + v)
        case B_SUB: SK_MAP2(u - v)
        case B_MUL: SK_MAP2(u * v)
        case B_DIV: SK_MAP2(u / v)
        case B_POW: SK_MAP2(std::pow(u, v))
        case B_MAXIMUM: SK_MAP2((u != u || u > v) ? u : v)
        case B_MINIMUM: SK_MAP2((u != u || u < v) ? u : v)
        case B_MOD: SK_MAP2(pymod(u, v))
        case B_FLOORDIV: SK_MAP2(floordiv(u, v))
        case B_EQ: SK_MAP2(u == v)
        case B_NE: SK_MAP2(u != v)
        case B_GT: SK_MAP2(u > v)
        case B_GE: SK_MAP2(u >= v)
        case B_LT: SK_MAP2(u < v)
        case B_LE: SK_MAP2(u <= v)
        case B_AND: SK_MAP2((u != 0) && (v != 0))
        case B_OR: SK_MAP2((u != 0) || (v != 0))
        case B_XOR: SK_MAP2((u != 0) != (v != 0))
    }
    return false;
}
#undef SK_MAP2

inline bool is_costly(int64_t op) {
    const int64_t u = op - kUnaryBase;
    return op == kBinaryBase + B_POW || op == kBinaryBase + B_MOD ||
           (op >= kUnaryBase && op < kBinaryBase &&
            (u == U_EXP || u == U_LOG || u == U_SIN || u == U_COS || u == U_TANH || u == U_SIGMOID ||
             u == U_SOFTPLUS || u == U_EXPM1 || u == U_POWC));
}

// How an input is read: its layout decides the cheapest load.
enum Layout { CONTIGUOUS, SCALAR, STRIDED };

struct Input {
    const void* base;
    bool is_bool;
    Layout layout;
    const int64_t* strides;
};

struct Program {
    int ndim;
    const int64_t* shape;
    int64_t size;
    int n_in, n_out, n_regs;
    Input in[kMaxIn];
    int64_t n_instr;
    const int64_t* code;
    const double* fp;
};

// Elements [start, start + n) of input k (in the flat order of the output) into dst.
template <class T, class S>
void gather(const Program& p, const Input& in, int64_t start, int n, T* dst) {
    const S* src = static_cast<const S*>(in.base);
    const int nd = p.ndim;
    int64_t idx[kMaxDims], off = 0, rem = start;
    for (int d = nd - 1; d >= 0; --d) {
        idx[d] = rem % p.shape[d];
        rem /= p.shape[d];
        off += idx[d] * in.strides[d];
    }
    const int64_t inner = in.strides[nd - 1], len = p.shape[nd - 1];
    int done = 0;
    while (done < n) {
        const int run = int(std::min<int64_t>(len - idx[nd - 1], n - done));
        T* d = dst + done;
        const S* s = src + off;
        if (inner == 1) {           // the common cases get loops that vectorise
            for (int i = 0; i < run; ++i) d[i] = T(s[i]);
        } else if (inner == 0) {
            const T v = T(*s);
            for (int i = 0; i < run; ++i) d[i] = v;
        } else {
            for (int i = 0; i < run; ++i) d[i] = T(s[i * inner]);
        }
        done += run;
        off += run * inner;
        idx[nd - 1] += run;
        for (int d = nd - 1; d > 0 && idx[d] == p.shape[d]; --d) {   // odometer carry
            off -= idx[d] * in.strides[d];
            idx[d] = 0;
            ++idx[d - 1];
            off += in.strides[d - 1];
        }
    }
}

// Register k of the tile [start, start + n): a pointer into the input when it can be read in
// place, else `store` filled with the values.
template <class T>
const T* load(const Program& p, const Input& in, int64_t start, int n, T* store) {
    if (in.layout == CONTIGUOUS && !in.is_bool) return static_cast<const T*>(in.base) + start;
    if (in.layout == SCALAR) {
        const T v = in.is_bool ? T(*static_cast<const uint8_t*>(in.base)) : *static_cast<const T*>(in.base);
        for (int i = 0; i < n; ++i) store[i] = v;
    } else if (in.layout == CONTIGUOUS) {
        const uint8_t* src = static_cast<const uint8_t*>(in.base) + start;
        for (int i = 0; i < n; ++i) store[i] = T(src[i]);
    } else if (in.is_bool) {
        gather<T, uint8_t>(p, in, start, n, store);
    } else {
        gather<T, T>(p, in, start, n, store);
    }
    return store;
}

// The instruction whose value the program's last STORE stores, when it may write that output
// directly instead of a register: the last instruction that is not a STORE, an op (not a
// load) whose destination is the stored register, which no other STORE reads. Else -1.
int64_t direct_store(const Program& p) {
    const int64_t last = p.n_instr - 1;
    if (last < 1 || p.code[last * kInstrWidth] != F_STORE) return -1;
    const int64_t reg = p.code[last * kInstrWidth + 2];
    int64_t k = last - 1;
    for (; k >= 0 && p.code[k * kInstrWidth] == F_STORE; --k)
        if (p.code[k * kInstrWidth + 2] == reg) return -1;
    if (k < 0) return -1;
    const int64_t* op = p.code + k * kInstrWidth;
    return op[0] != F_LOAD && op[1] == reg ? k : -1;
}

template <class T>
void run_tile(const Program& p, void* const* outs, int64_t start, int n, T* store, int tile,
              int64_t direct) {
    const T* reg[kMaxRegs];
    for (int64_t k = 0; k < p.n_instr; ++k) {
        const int64_t* c = p.code + k * kInstrWidth;
        const int64_t op = c[0];
        if (direct >= 0 && k == p.n_instr - 1) break;   // the last STORE: its value is in place
        T* dst = k == direct ? static_cast<T*>(outs[p.code[(p.n_instr - 1) * kInstrWidth + 3]]) + start
                             : store + c[1] * tile;
        switch (op) {
            case F_LOAD:
                reg[c[1]] = load<T>(p, p.in[c[2]], start, n, dst);
                continue;
            case F_CONST: {
                const T v = T(p.fp[c[2]]);
                for (int i = 0; i < n; ++i) dst[i] = v;
                break;
            }
            case F_STORE:
                std::memcpy(static_cast<T*>(outs[c[3]]) + start, reg[c[2]], sizeof(T) * n);
                continue;
            case F_SELECT: {
                const T *a = reg[c[2]], *b = reg[c[3]], *e = reg[c[4]];
#pragma omp simd
                for (int i = 0; i < n; ++i) dst[i] = a[i] != T(0) ? b[i] : e[i];
                break;
            }
            case F_TOBOOL: {
                const T* a = reg[c[2]];
#pragma omp simd
                for (int i = 0; i < n; ++i) dst[i] = a[i] != T(0) ? T(1) : T(0);
                break;
            }
            default:
                if (op >= kBinaryBase) binary<T>(op - kBinaryBase, reg[c[2]], reg[c[3]], dst, n);
                else unary<T>(op - kUnaryBase, reg[c[2]], dst, n, p.fp + c[3]);
        }
        reg[c[1]] = dst;
    }
}

// Whether the program's work pays for waking a second thread (see the header comment).
inline bool parallel_program(const Program& p) {
    const ParallelPolicy& pol = parallel_policy();
    const int64_t transcendental = std::max<int64_t>(1, pol.cheap_elems / std::max<int64_t>(1, pol.costly_elems));
    int64_t cost = 0;
    for (int64_t k = 0; k < p.n_instr; ++k) {
        const int64_t op = p.code[k * kInstrWidth];
        if (op >= kUnaryBase || op == F_SELECT) cost += is_costly(op) ? transcendental : 1;  // not loads, stores
    }
    return p.size * std::max<int64_t>(cost, 1) > pol.cheap_elems;
}

template <class T>
int run(const Program& p, void* const* outs) {
    constexpr int capacity = kStoreBytes / int(sizeof(T));
    const int tile = std::max(kMinTile, std::min(kMaxTile, capacity / std::max(p.n_regs, 1) / 16 * 16));
    const int64_t tiles = (p.size + tile - 1) / tile;
    const int64_t direct = direct_store(p);
    const bool par = parallel_program(p);
    // Tiles are handed out as they are asked for, so the calling thread starts at once and a
    // thread woken from sleep takes over what is left when it arrives (see gemm.cpp).
#pragma omp parallel for if(par) schedule(dynamic, 4)
    for (int64_t t = 0; t < tiles; ++t) {
        alignas(64) T store[kMaxRegs * kMinTile];   // kMaxRegs registers of kMinTile, or fewer longer ones
        const int64_t start = t * tile;
        run_tile<T>(p, outs, start, int(std::min<int64_t>(tile, p.size - start)), store, tile, direct);
    }
    return 0;
}

// Checks every index of the program against its bounds: a malformed program is an error
// message, never an out-of-bounds access.
const char* validate(const Program& p, int nfp) {
    bool defined[kMaxRegs] = {};   // a register is read only after an instruction wrote it
    auto reg_ok = [&](int64_t r) { return r >= 0 && r < p.n_regs && defined[r]; };
    for (int64_t k = 0; k < p.n_instr; ++k) {
        const int64_t* c = p.code + k * kInstrWidth;
        const int64_t op = c[0];
        if (op != F_STORE && (c[1] < 0 || c[1] >= p.n_regs))
            return "fused_elementwise: destination register out of range";
        if (op == F_LOAD) {
            if (c[2] < 0 || c[2] >= p.n_in) return "fused_elementwise: input index out of range";
        } else if (op == F_CONST) {
            if (c[2] < 0 || c[2] >= nfp) return "fused_elementwise: constant index out of range";
        } else if (op == F_STORE) {
            if (!reg_ok(c[2]) || c[3] < 0 || c[3] >= p.n_out) return "fused_elementwise: bad store";
        } else if (op == F_SELECT) {
            if (!reg_ok(c[2]) || !reg_ok(c[3]) || !reg_ok(c[4])) return "fused_elementwise: bad select";
        } else if (op == F_TOBOOL) {
            if (!reg_ok(c[2])) return "fused_elementwise: bad operand";
        } else if (op >= kBinaryBase && op < kBinaryBase + B_COUNT) {
            if (!reg_ok(c[2]) || !reg_ok(c[3])) return "fused_elementwise: bad operand";
        } else if (op >= kUnaryBase && op < kUnaryBase + U_COUNT) {
            const int64_t u = op - kUnaryBase;
            const int need = u == U_RELU || u == U_CLIP ? 2 : u == U_POWC ? 1 : 0;
            if (!reg_ok(c[2]) || (need && (c[3] < 0 || c[3] + need > nfp)))
                return "fused_elementwise: bad operand or parameter index";
        } else {
            return "fused_elementwise: unknown opcode";
        }
        if (op != F_STORE) defined[c[1]] = true;
    }
    return nullptr;
}

}  // namespace

SK_KERNEL(fused_elementwise) {
    Program p;
    const int64_t* ip = a.ip;
    const int64_t dtype = ip[0];
    p.n_in = int(ip[1]);
    p.n_out = int(ip[2]);
    p.n_regs = int(ip[3]);
    p.ndim = int(ip[4]);
    if (p.n_in > kMaxIn || p.n_regs > kMaxRegs || p.ndim > kMaxDims || p.ndim < 1 ||
        p.n_in + p.n_out != a.nbuf) {
        a.ctx->error = "fused_elementwise: program exceeds the interpreter's limits";
        return -1;
    }
    p.shape = ip + 5;
    p.size = 1;
    for (int d = 0; d < p.ndim; ++d) p.size *= p.shape[d];
    const int64_t* flags = p.shape + p.ndim;
    const int64_t* strides = flags + p.n_in;
    for (int k = 0; k < p.n_in; ++k) {
        Input& in = p.in[k];
        in.base = a.buf[k];
        in.is_bool = flags[k] != 0;
        in.strides = strides + k * p.ndim;
        bool contiguous = true, scalar = true;
        int64_t expect = 1;
        for (int d = p.ndim - 1; d >= 0; --d) {
            contiguous = contiguous && (p.shape[d] == 1 || in.strides[d] == expect);
            scalar = scalar && (p.shape[d] == 1 || in.strides[d] == 0);
            expect *= p.shape[d];
        }
        in.layout = scalar ? SCALAR : contiguous ? CONTIGUOUS : STRIDED;
    }
    p.n_instr = strides[p.n_in * p.ndim];
    p.code = strides + p.n_in * p.ndim + 1;
    p.fp = a.fp;
    if (p.code + p.n_instr * kInstrWidth > ip + a.nip) {
        a.ctx->error = "fused_elementwise: truncated program";
        return -1;
    }
    if (const char* err = validate(p, a.nfp)) {
        a.ctx->error = err;
        return -1;
    }
    if (p.size == 0) return 0;
    int rc = dispatch_float(dtype, [&](auto t) { return run<decltype(t)>(p, a.buf + p.n_in); });
    if (rc) a.ctx->error = "fused_elementwise: unsupported dtype";
    return rc;
}

}  // namespace sk
