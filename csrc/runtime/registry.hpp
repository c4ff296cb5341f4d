#pragma once
#include <string>
#include <utility>
#include <vector>
#include "runtime/kernel.hpp"

namespace sk {
struct KernelEntry {
    std::string name;
    KernelFn fn;
    WorkspaceFn workspace;   // nullptr: needs no scratch
};
// Every registered kernel, indexed by id; Python reads the names once at import.
std::vector<KernelEntry>& kernel_table();
}
