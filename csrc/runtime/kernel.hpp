// The contract between the runtime and every kernel.
//
// A kernel is a pure function over the buffers of one instruction (inputs first, then outputs),
// its integer parameters (shapes, strides, axes, dtype codes) and float parameters. It returns 0,
// or non-zero after writing a message to ctx->error (e.g. an index out of range); it never throws,
// never allocates in its inner loops and never touches Python.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

namespace sk {

// Dtype codes shared with Python (symkeras/backend/graph.py DTYPE_CODES).
enum DType : int64_t { F32 = 0, F64 = 1, I32 = 2, I64 = 3, U8 = 4, BOOL = 5 };

inline size_t dtype_size(int64_t d) {
    switch (d) {
        case F32: case I32: return 4;
        case F64: case I64: return 8;
        default: return 1;
    }
}

struct Ctx {
    uint64_t step = 0;       // call counter of the Function: keys the random streams
    std::string error;       // message of a failing kernel
};

struct Args {
    void* const* buf;        // inputs then outputs
    int nbuf;
    const int64_t* ip;
    int nip;
    const double* fp;
    int nfp;
    Ctx* ctx;
    void* work;              // scratch owned by the runtime: at least workspace(ip) bytes,
    size_t work_bytes;       // 64-byte aligned, shared by all instructions (they run in turn)
};

using KernelFn = int (*)(const Args&);
// Scratch bytes a kernel needs for these parameters (for example GEMM's packed panels).
using WorkspaceFn = size_t (*)(const int64_t* ip, int nip);

// Registers a kernel under its name; returns its id. Called by static initialisers (SK_KERNEL).
int register_kernel(const char* name, KernelFn fn, WorkspaceFn workspace = nullptr);

// When a kernel uses more than one thread. Waking a sleeping OpenMP team (idle threads never
// spin: see symkeras/__init__.py) costs 40-50 us on the 2-core machines this was measured on,
// so a parallel region pays only for work well above that: about 2M elements of memory-bound
// work (copy, add, cast, gather, sums), 128K elements of transcendental work (exp, tanh,
// softmax, random numbers), and 2e7 flops of matrix product. Settable from Python
// (_core.set_parallel_policy) for tests and tuning.
struct ParallelPolicy {
    int64_t cheap_elems = int64_t(1) << 21;
    int64_t costly_elems = int64_t(1) << 17;
    double gemm_flops = 2e7;
};
ParallelPolicy& parallel_policy();
inline bool parallel_cheap(int64_t n) { return n > parallel_policy().cheap_elems; }
inline bool parallel_costly(int64_t n) { return n > parallel_policy().costly_elems; }

}  // namespace sk

#define SK_KERNEL(name)                                                        \
    static int name##_kernel(const ::sk::Args& a);                             \
    static const int name##_id = ::sk::register_kernel(#name, name##_kernel);  \
    static int name##_kernel(const ::sk::Args& a)

// A kernel that needs scratch memory: `workspace` is a WorkspaceFn.
#define SK_KERNEL_WITH_WORKSPACE(name, workspace)                                         \
    static int name##_kernel(const ::sk::Args& a);                                        \
    static const int name##_id = ::sk::register_kernel(#name, name##_kernel, workspace);  \
    static int name##_kernel(const ::sk::Args& a)
