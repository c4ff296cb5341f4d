#include "runtime/registry.hpp"

namespace sk {

std::vector<KernelEntry>& kernel_table() {
    static std::vector<KernelEntry> table;  // built before main by SK_KERNEL
    return table;
}

ParallelPolicy& parallel_policy() {
    static ParallelPolicy policy;
    return policy;
}

int register_kernel(const char* name, KernelFn fn, WorkspaceFn workspace) {
    auto& t = kernel_table();
    t.push_back(KernelEntry{name, fn, workspace});
    return static_cast<int>(t.size() - 1);
}

}  // namespace sk
