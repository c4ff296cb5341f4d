#include "runtime/program.hpp"

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

#include "runtime/registry.hpp"

namespace sk {

static constexpr size_t kAlign = 64;

static char* alloc_arena(int64_t bytes) {
    size_t n = ((static_cast<size_t>(bytes) + kAlign - 1) / kAlign) * kAlign;
    if (n == 0) n = kAlign;
    void* p = std::aligned_alloc(kAlign, n);
    if (!p) throw std::bad_alloc();
    return static_cast<char*>(p);
}

Program::Program(std::vector<std::pair<int, int64_t>> buffers, int64_t arena_bytes,
                 std::vector<py::array> consts, std::vector<py::array> vars,
                 std::vector<OutputSpec> outputs, int n_inputs)
    : buffers_(std::move(buffers)), arena_bytes_(arena_bytes),
      arena_(alloc_arena(arena_bytes), std::free), consts_(std::move(consts)),
      vars_(std::move(vars)), outputs_(std::move(outputs)), n_inputs_(n_inputs) {
    ptr_.assign(buffers_.size(), nullptr);
    for (size_t i = 0; i < buffers_.size(); ++i) {
        auto [kind, idx] = buffers_[i];
        switch (kind) {
            case ARENA: ptr_[i] = arena_.get() + idx; break;
            case CONST: ptr_[i] = const_cast<void*>(consts_.at(idx).data()); break;   // never written
            case VAR: ptr_[i] = vars_.at(idx).mutable_data(); break;
            case INPUT: if (idx >= n_inputs_) throw std::out_of_range("input slot"); break;
            case OUTPUT: if (idx >= (int64_t)outputs_.size()) throw std::out_of_range("output slot"); break;
            default: throw std::invalid_argument("unknown buffer kind");
        }
    }
}

void Program::add(int kernel, std::vector<int> bufs, std::vector<int64_t> ip, std::vector<double> fp) {
    if (kernel < 0 || kernel >= (int)kernel_table().size()) throw std::out_of_range("kernel id");
    for (int b : bufs)
        if (b < 0 || b >= (int)buffers_.size()) throw std::out_of_range("buffer id");
    Instr in{kernel, std::move(bufs), std::move(ip), std::move(fp), {}};
    in.ptrs.resize(in.bufs.size());
    code_.push_back(std::move(in));
    instr_seconds.push_back(0.0);
}

void Program::add_callback(py::object fn, std::vector<int> bufs, std::vector<int64_t> ip) {
    for (int b : bufs)
        if (b < 0 || b >= (int)buffers_.size()) throw std::out_of_range("buffer id");
    ip.insert(ip.begin(), (int64_t)callbacks_.size());
    callbacks_.push_back(std::move(fn));
    Instr in{-1, std::move(bufs), std::move(ip), {}, {}};
    in.ptrs.resize(in.bufs.size());
    code_.push_back(std::move(in));
    instr_seconds.push_back(0.0);
}

// A callback instruction (print_tensor) hands Python a copy of its buffer.
// ip: [callback index, dtype, ndim, shape...]
void Program::call_back(const Instr& in) {
    py::gil_scoped_acquire gil;
    static const char* names[] = {"float32", "float64", "int32", "int64", "uint8", "bool"};
    std::vector<py::ssize_t> shape(in.ip.begin() + 3, in.ip.begin() + 3 + in.ip[2]);
    py::array value(py::dtype(names[in.ip[1]]), shape);
    std::memcpy(value.mutable_data(), in.ptrs[0], value.nbytes());
    callbacks_[in.ip[0]](value);
}

void Program::run_code() {
    const auto& table = kernel_table();
    for (size_t i = 0; i < code_.size(); ++i) {
        Instr& in = code_[i];
        for (size_t k = 0; k < in.bufs.size(); ++k) in.ptrs[k] = ptr_[in.bufs[k]];
        auto t0 = profile ? std::chrono::steady_clock::now() : std::chrono::steady_clock::time_point{};
        if (in.kernel < 0) {
            call_back(in);
        } else {
            Args a{in.ptrs.data(), (int)in.ptrs.size(), in.ip.data(), (int)in.ip.size(),
                   in.fp.data(), (int)in.fp.size(), &ctx_};
            if (table[in.kernel].second(a) != 0) {
                error_instr = (int)i;
                return;
            }
        }
        if (profile)
            instr_seconds[i] += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    }
}

py::list Program::run(const py::list& inputs, uint64_t step) {
    if ((int)py::len(inputs) != n_inputs_) throw std::invalid_argument("wrong number of inputs");
    py::list result;
    std::vector<py::array> outs;
    outs.reserve(outputs_.size());
    for (const auto& o : outputs_) outs.emplace_back(o.dtype, o.shape);
    std::unique_lock<std::mutex> lock(mu_, std::defer_lock);
    {
        py::gil_scoped_release nogil;
        lock.lock();
    }
    for (size_t i = 0; i < buffers_.size(); ++i) {
        auto [kind, idx] = buffers_[i];
        if (kind == INPUT) ptr_[i] = const_cast<void*>(py::reinterpret_borrow<py::array>(inputs[idx]).data());
        else if (kind == OUTPUT) ptr_[i] = outs[idx].mutable_data();
    }
    error_instr = -1;
    ctx_.step = step;
    ctx_.error.clear();
    {
        py::gil_scoped_release nogil;
        run_code();
    }
    if (error_instr >= 0) throw std::runtime_error(ctx_.error.empty() ? "kernel failed" : ctx_.error);
    for (auto& o : outs) result.append(o);
    return result;
}

}  // namespace sk
