#pragma once
#include <string>
#include <utility>
#include <vector>
#include "runtime/kernel.hpp"

namespace sk {
// Every registered kernel, indexed by id; Python reads the names once at import.
std::vector<std::pair<std::string, KernelFn>>& kernel_table();
}
