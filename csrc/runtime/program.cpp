#include "runtime/program.hpp"

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

#include "runtime/loop.hpp"
#include "runtime/registry.hpp"

namespace sk {

PyObject* kernel_error = nullptr;

static constexpr size_t kAlign = 64;

static char* alloc_aligned(size_t bytes) {
    size_t n = (bytes + kAlign - 1) / kAlign * kAlign;
    void* p = std::aligned_alloc(kAlign, n ? n : kAlign);
    if (!p) throw std::bad_alloc();
    return static_cast<char*>(p);
}

Program::Program(std::vector<BufSpec> buffers, int64_t arena_bytes, std::vector<py::array> consts,
                 std::vector<py::array> vars, std::vector<OutputSpec> outputs, int n_inputs)
    : buffers_(std::move(buffers)), arena_bytes_(arena_bytes),
      arena_(alloc_aligned((size_t)arena_bytes), std::free), work_(nullptr, std::free),
      consts_(std::move(consts)), vars_(std::move(vars)), outputs_(std::move(outputs)),
      n_inputs_(n_inputs) {
    ptr_.assign(buffers_.size(), nullptr);
    for (size_t i = 0; i < buffers_.size(); ++i) {
        const BufSpec& b = buffers_[i];
        auto fits = [&](const py::array& a) {
            if (a.nbytes() < b.nbytes) throw std::length_error("buffer larger than its array");
        };
        switch (b.kind) {
            case ARENA:
                if (b.index < 0 || b.index + b.nbytes > arena_bytes_) throw std::out_of_range("arena buffer");
                ptr_[i] = arena_.get() + b.index;
                break;
            case CONST: fits(consts_.at(b.index)); ptr_[i] = const_cast<void*>(consts_[b.index].data()); break;
            case VAR: fits(vars_.at(b.index)); ptr_[i] = vars_[b.index].mutable_data(); break;
            case INPUT: if (b.index < 0 || b.index >= n_inputs_) throw std::out_of_range("input slot"); io_bufs_.push_back((int)i); break;
            case OUTPUT: if (b.index < 0 || b.index >= (int64_t)outputs_.size()) throw std::out_of_range("output slot"); io_bufs_.push_back((int)i); break;
            default: throw std::invalid_argument("unknown buffer kind");
        }
    }
}

size_t Program::output_bytes(int slot) const {
    for (int b : io_bufs_)
        if (buffers_[b].kind == OUTPUT && buffers_[b].index == slot) return (size_t)buffers_[b].nbytes;
    return 0;
}

int Program::run_body(void* const* inputs, void* const* outputs, uint64_t step, Ctx& outer) {
    for (int b : io_bufs_) ptr_[b] = buffers_[b].kind == INPUT ? inputs[buffers_[b].index] : outputs[buffers_[b].index];
    ctx_.step = step;
    ctx_.error.clear();
    const int failed = run_code();
    if (failed >= 0) outer.error = ctx_.error.empty() ? "kernel failed" : ctx_.error;
    return failed;
}

Program::~Program() = default;

std::vector<int> Program::kernels() const {
    std::vector<int> k;
    for (auto& in : code_) k.push_back(in.kernel);
    return k;
}

void Program::check_bufs(const std::vector<int>& bufs) const {
    for (int b : bufs)
        if (b < 0 || b >= (int)buffers_.size()) throw std::out_of_range("buffer id");
}

void Program::add(int kernel, std::vector<int> bufs, std::vector<int64_t> ip, std::vector<double> fp) {
    const auto& table = kernel_table();
    if (kernel < 0 || kernel >= (int)table.size()) throw std::out_of_range("kernel id");
    check_bufs(bufs);
    if (table[kernel].workspace) {   // grow the shared scratch now, never while running
        size_t need = table[kernel].workspace(ip.data(), (int)ip.size());
        if (need > work_bytes_) {
            work_.reset(alloc_aligned(need));
            work_bytes_ = need;
        }
    }
    Instr in{kernel, std::move(bufs), std::move(ip), std::move(fp), {}};
    in.ptrs.resize(in.bufs.size());
    code_.push_back(std::move(in));
    instr_seconds.push_back(0.0);
}

void Program::add_callback(py::object fn, int buf) {
    check_bufs({buf});
    Instr in{-1, {buf}, {(int64_t)callbacks_.size()}, {}, {nullptr}};
    callbacks_.push_back(std::move(fn));
    code_.push_back(std::move(in));
    instr_seconds.push_back(0.0);
}

void Program::call_back(const Instr& in) {
    py::gil_scoped_acquire gil;
    const BufSpec& b = buffers_[in.bufs[0]];
    callbacks_[in.ip[0]](py::memoryview::from_memory(in.ptrs[0], b.nbytes, true));
}

int Program::run_code() {
    const auto& table = kernel_table();
    for (size_t i = 0; i < code_.size(); ++i) {
        Instr& in = code_[i];
        for (size_t k = 0; k < in.bufs.size(); ++k) in.ptrs[k] = ptr_[in.bufs[k]];
        auto t0 = profile ? std::chrono::steady_clock::now() : std::chrono::steady_clock::time_point{};
        if (in.kernel == -2) {
            if (run_loop(in) != 0) return (int)i;
        } else if (in.kernel < 0) {
            call_back(in);
        } else {
            Args a{in.ptrs.data(), (int)in.ptrs.size(), in.ip.data(), (int)in.ip.size(),
                   in.fp.data(), (int)in.fp.size(), &ctx_, work_.get(), work_bytes_};
            if (table[in.kernel].fn(a) != 0) return (int)i;
        }
        if (profile)
            instr_seconds[i] += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    }
    return -1;
}

py::list Program::run(const py::list& inputs, uint64_t step) {
    if ((int)py::len(inputs) != n_inputs_) throw std::invalid_argument("wrong number of inputs");
    std::vector<py::array> outs;
    outs.reserve(outputs_.size());
    for (const auto& o : outputs_) outs.emplace_back(o.dtype, o.shape);
    std::unique_lock<std::mutex> lock(mu_, std::defer_lock);
    {
        py::gil_scoped_release nogil;
        lock.lock();
    }
    for (size_t i = 0; i < buffers_.size(); ++i) {
        const BufSpec& b = buffers_[i];
        if (b.kind == INPUT) {
            auto a = py::reinterpret_borrow<py::array>(inputs[b.index]);
            if (a.nbytes() != b.nbytes || !(a.flags() & py::array::c_style))
                throw std::invalid_argument("input " + std::to_string(b.index) +
                                            " does not match the program's shape, dtype or layout");
            ptr_[i] = const_cast<void*>(a.data());
        } else if (b.kind == OUTPUT) {
            ptr_[i] = outs[b.index].mutable_data();
        }
    }
    ctx_.step = step;
    ctx_.error.clear();
    int failed;
    {
        py::gil_scoped_release nogil;
        failed = run_code();
    }
    if (failed >= 0) {
        std::string msg = ctx_.error.empty() ? "kernel failed" : ctx_.error;
        lock.unlock();
        PyErr_SetObject(kernel_error, py::make_tuple(msg, failed).ptr());
        throw py::error_already_set();
    }
    py::list result;
    for (auto& o : outs) result.append(o);
    return result;
}

}  // namespace sk
