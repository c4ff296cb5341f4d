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
};

using KernelFn = int (*)(const Args&);

// Registers a kernel under its name; returns its id. Called by static initialisers (SK_KERNEL).
int register_kernel(const char* name, KernelFn fn);

// Work below this many elements runs on one thread: on these machines an OpenMP region
// costs more than it saves for small tensors.
constexpr int64_t kParallelElems = 1 << 16;

}  // namespace sk

#define SK_KERNEL(name)                                                        \
    static int name##_kernel(const ::sk::Args& a);                             \
    static const int name##_id = ::sk::register_kernel(#name, name##_kernel);  \
    static int name##_kernel(const ::sk::Args& a)
