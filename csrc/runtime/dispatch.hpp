// Calls f(T{}) with T the C++ type of a dtype code, so a kernel is written once as a template.
#pragma once
#include <cstdint>
#include "runtime/kernel.hpp"

namespace sk {

template <class F>
int dispatch_all(int64_t dtype, F&& f) {
    switch (dtype) {
        case F32: return f(float{});
        case F64: return f(double{});
        case I32: return f(int32_t{});
        case I64: return f(int64_t{});
        case U8: case BOOL: return f(uint8_t{});
    }
    return -1;
}

template <class F>
int dispatch_float(int64_t dtype, F&& f) {
    switch (dtype) {
        case F32: return f(float{});
        case F64: return f(double{});
    }
    return -1;
}

}  // namespace sk
