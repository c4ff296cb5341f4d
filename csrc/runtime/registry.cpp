#include "runtime/registry.hpp"

namespace sk {

std::vector<std::pair<std::string, KernelFn>>& kernel_table() {
    static std::vector<std::pair<std::string, KernelFn>> table;  // built before main by SK_KERNEL
    return table;
}

ParallelPolicy& parallel_policy() {
    static ParallelPolicy policy;
    return policy;
}

int register_kernel(const char* name, KernelFn fn) {
    auto& t = kernel_table();
    t.emplace_back(name, fn);
    return static_cast<int>(t.size() - 1);
}

}  // namespace sk
