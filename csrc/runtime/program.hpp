// A compiled step: an instruction list over a buffer table, run in one call with the GIL released.
#pragma once
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "runtime/kernel.hpp"

namespace py = pybind11;

namespace sk {

// Where a buffer's memory comes from.
enum BufKind : int { ARENA = 0, INPUT = 1, OUTPUT = 2, CONST = 3, VAR = 4 };

struct Instr {
    int kernel;                  // id in kernel_table(), or -1 for a Python callback
    std::vector<int> bufs;       // buffer ids: inputs then outputs
    std::vector<int64_t> ip;
    std::vector<double> fp;
    std::vector<void*> ptrs;     // resolved per call, no allocation while running
};

struct OutputSpec {
    std::vector<py::ssize_t> shape;
    py::dtype dtype;
};

class Program {
public:
    // buffers: (kind, index) per buffer; index is the arena offset, or the slot of the
    // input/output/const/var list. consts and vars are numpy arrays the program keeps alive.
    Program(std::vector<std::pair<int, int64_t>> buffers, int64_t arena_bytes,
            std::vector<py::array> consts, std::vector<py::array> vars,
            std::vector<OutputSpec> outputs, int n_inputs);

    void add(int kernel, std::vector<int> bufs, std::vector<int64_t> ip, std::vector<double> fp);
    void add_callback(py::object fn, std::vector<int> bufs, std::vector<int64_t> ip);
    py::list run(const py::list& inputs, uint64_t step);

    int error_instr = -1;        // instruction that failed in the last run
    bool profile = false;
    std::vector<double> instr_seconds;   // accumulated per instruction when profiling
    int64_t arena_bytes() const { return arena_bytes_; }
    size_t size() const { return code_.size(); }
    std::vector<int> kernels() const {
        std::vector<int> k;
        for (auto& in : code_) k.push_back(in.kernel);
        return k;
    }

private:
    std::vector<std::pair<int, int64_t>> buffers_;
    int64_t arena_bytes_;
    std::unique_ptr<char, void (*)(void*)> arena_;
    std::vector<py::array> consts_, vars_;
    std::vector<OutputSpec> outputs_;
    int n_inputs_;
    std::vector<Instr> code_;
    std::vector<py::object> callbacks_;   // indexed by ip[0] of a callback instruction
    std::vector<void*> ptr_;              // current address of every buffer
    std::mutex mu_;                       // one run at a time: the arena is shared
    Ctx ctx_;

    void run_code();
    void call_back(const Instr& in);
};

}  // namespace sk
