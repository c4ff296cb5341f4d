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

struct BufSpec {
    int kind;
    int64_t index;    // arena offset, or slot in the input/output/const/var list
    int64_t nbytes;
};

struct Instr {
    int kernel;                  // id in kernel_table(), -1 for a Python callback, -2 for a loop
    std::vector<int> bufs;       // buffer ids: inputs then outputs
    std::vector<int64_t> ip;
    std::vector<double> fp;
    std::vector<void*> ptrs;     // resolved per call, no allocation while running
};

// A loop instruction (Program::add_loop): body programs run once per step (runtime/loop.hpp).
struct LoopSpec;

struct OutputSpec {
    std::vector<py::ssize_t> shape;
    py::dtype dtype;
};

// Raised by run() when a kernel fails: args are (message, instruction index).
extern PyObject* kernel_error;

class Program {
public:
    Program(std::vector<BufSpec> buffers, int64_t arena_bytes, std::vector<py::array> consts,
            std::vector<py::array> vars, std::vector<OutputSpec> outputs, int n_inputs);
    ~Program();

    void add(int kernel, std::vector<int> bufs, std::vector<int64_t> ip, std::vector<double> fp);
    // fn is called with a read-only memoryview of the buffer's bytes each time it runs.
    void add_callback(py::object fn, int buf);
    // A loop over one body program per part of the batch (see runtime/loop.hpp).
    void add_loop(std::vector<std::shared_ptr<Program>> bodies, std::vector<int> bufs,
                  std::vector<int64_t> ip);
    py::list run(const py::list& inputs, uint64_t step);
    // Run as a loop body: inputs and outputs are given as addresses, by slot. Returns the index
    // of the failing instruction (its message in outer.error) or -1. No Python, no allocation.
    int run_body(void* const* inputs, void* const* outputs, uint64_t step, Ctx& outer);
    size_t output_bytes(int slot) const;   // bytes of output `slot`

    bool profile = false;
    std::vector<double> instr_seconds;   // accumulated per instruction when profiling
    int64_t arena_bytes() const { return arena_bytes_; }
    size_t work_bytes() const { return work_bytes_; }
    size_t size() const { return code_.size(); }
    std::vector<int> kernels() const;

private:
    using Memory = std::unique_ptr<char, void (*)(void*)>;
    std::vector<BufSpec> buffers_;
    int64_t arena_bytes_;
    Memory arena_;
    size_t work_bytes_ = 0;
    Memory work_;                         // scratch shared by the instructions
    std::vector<py::array> consts_, vars_;
    std::vector<OutputSpec> outputs_;
    int n_inputs_;
    std::vector<Instr> code_;
    std::vector<py::object> callbacks_;   // indexed by ip[0] of a callback instruction
    std::vector<std::unique_ptr<LoopSpec>> loops_;   // indexed by ip[0] of a loop instruction
    std::vector<int> io_bufs_;            // the INPUT and OUTPUT buffers (run_body binds them)
    std::vector<void*> ptr_;              // current address of every buffer
    std::mutex mu_;                       // one run at a time: the arena is shared
    Ctx ctx_;

    int run_code();                       // index of the failing instruction, or -1
    void call_back(const Instr& in);
    int run_loop(const Instr& in);        // 0, or -1 with ctx_.error set
    void check_bufs(const std::vector<int>& bufs) const;
};

}  // namespace sk
