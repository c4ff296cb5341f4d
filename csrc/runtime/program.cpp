#include "runtime/program.hpp"

#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

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

// ----------------------------------------------------------------------------- loops
//
// A loop instruction runs its body program T times. The body's inputs are, by slot, a per-step
// slice of a sequence, the current value of a carried state, or a buffer read unchanged at every
// step; its outputs are first the per-step outputs (each written into slot t of a stacked
// buffer, or into one scratch slice when stride 0: an output nothing reads), then the new value
// of each state. Step i works on time index t = i, or T-1-i for a reverse loop (the gradient of
// a loop runs backwards over the saved steps).
//
// bufs: [sequences, initial states, invariants, stacked outputs, final states, then per state
//        its stacked buffer (stacked states) or two scratch buffers (the others)]
// ip:   [T, reverse, n_seq, n_state, n_inv, n_out, n_bin, bin_kind[n_bin], bin_index[n_bin],
//        seq_stride[n_seq], out_stride[n_out], state_bytes[n_state], stacked[n_state],
//        n_parts, offset[n_parts][bufs]]
//        (bin_kind: 0 sequence, 1 state, 2 invariant; strides and offsets in bytes)
// A state that is stacked is written into slot t of its stacked buffer (the gradient reads the
// states of every step back from there) and read back from it at the next step; the others
// alternate between their two scratch buffers, and the last step writes the final state
// directly. Stacked states are copied into their final buffer after the last step.
//
// Parts: when the samples of a batch never meet in the body (checked when it is compiled),
// the batch is cut into parts, each run through all the steps by its own thread with its own
// body program compiled for its rows; part k reads and writes every buffer at offset[k][b]
// bytes (its first row), so one parallel region covers the whole loop.
struct LoopPart {
    std::shared_ptr<Program> body;
    std::vector<int64_t> offset;            // per buffer of the instruction
    std::vector<void*> p, bin, bout, cur;   // per-step addresses, sized once
    Ctx ctx;
};

struct LoopSpec {
    int64_t T = 0;
    bool reverse = false;
    int n_seq = 0, n_state = 0, n_inv = 0, n_out = 0;
    std::vector<int> bin_kind, bin_index;
    std::vector<int64_t> seq_stride, out_stride, state_bytes;
    std::vector<char> stacked;
    std::vector<int> first_state_buf;      // bufs index of a state's stacked or first scratch buffer
    std::vector<LoopPart> parts;
};

static int64_t loop_param(const std::vector<int64_t>& ip, size_t& at) {
    if (at >= ip.size()) throw std::invalid_argument("loop: parameter list too short");
    return ip[at++];
}

void Program::add_loop(std::vector<std::shared_ptr<Program>> bodies, std::vector<int> bufs,
                       std::vector<int64_t> ip) {
    check_bufs(bufs);
    auto lp = std::make_unique<LoopSpec>();
    size_t at = 0;
    lp->T = loop_param(ip, at);
    lp->reverse = loop_param(ip, at) != 0;
    lp->n_seq = (int)loop_param(ip, at);
    lp->n_state = (int)loop_param(ip, at);
    lp->n_inv = (int)loop_param(ip, at);
    lp->n_out = (int)loop_param(ip, at);
    const int n_bin = (int)loop_param(ip, at);
    const int limits[3] = {lp->n_seq, lp->n_state, lp->n_inv};
    for (int k = 0; k < n_bin; ++k) lp->bin_kind.push_back((int)loop_param(ip, at));
    for (int k = 0; k < n_bin; ++k) {
        lp->bin_index.push_back((int)loop_param(ip, at));
        const int kind = lp->bin_kind[k];
        if (kind < 0 || kind > 2 || lp->bin_index[k] < 0 || lp->bin_index[k] >= limits[kind])
            throw std::out_of_range("loop: body input slot");
    }
    for (int k = 0; k < lp->n_seq; ++k) lp->seq_stride.push_back(loop_param(ip, at));
    for (int k = 0; k < lp->n_out; ++k) lp->out_stride.push_back(loop_param(ip, at));
    for (int k = 0; k < lp->n_state; ++k) lp->state_bytes.push_back(loop_param(ip, at));
    size_t expect = (size_t)(lp->n_seq + 2 * lp->n_state + lp->n_inv + lp->n_out);
    for (int k = 0; k < lp->n_state; ++k) {
        lp->stacked.push_back((char)(loop_param(ip, at) != 0));
        lp->first_state_buf.push_back((int)expect);
        expect += lp->stacked[k] ? 1 : 2;
    }
    if (bufs.size() != expect || lp->T < 0) throw std::invalid_argument("loop: buffer list does not match its parameters");
    const int64_t n_parts = loop_param(ip, at);
    if (n_parts < 1 || (size_t)n_parts != bodies.size()) throw std::invalid_argument("loop: one body per part");
    for (auto& body : bodies) {
        if (!body) throw std::invalid_argument("loop: no body");
        LoopPart part;
        part.body = std::move(body);
        for (size_t b = 0; b < bufs.size(); ++b) part.offset.push_back(loop_param(ip, at));
        part.p.assign(bufs.size(), nullptr);
        part.bin.assign(n_bin, nullptr);
        part.bout.assign(lp->n_out + lp->n_state, nullptr);
        part.cur.assign(lp->n_state, nullptr);
        lp->parts.push_back(std::move(part));
    }
    Instr in{-2, std::move(bufs), {(int64_t)loops_.size()}, {}, {}};
    in.ptrs.resize(in.bufs.size());
    loops_.push_back(std::move(lp));
    code_.push_back(std::move(in));
    instr_seconds.push_back(0.0);
}

// All the steps of one part: 0, or -1 with part.ctx.error set.
static int run_part(const LoopSpec& lp, LoopPart& part, void* const* ptrs, uint64_t step) {
    for (size_t b = 0; b < part.p.size(); ++b) part.p[b] = static_cast<char*>(ptrs[b]) + part.offset[b];
    void* const* p = part.p.data();
    const int seq0 = 0, init0 = lp.n_seq, inv0 = init0 + lp.n_state, out0 = inv0 + lp.n_inv,
              final0 = out0 + lp.n_out;
    for (int64_t i = 0; i < lp.T; ++i) {
        const int64_t t = lp.reverse ? lp.T - 1 - i : i;
        for (int s = 0; s < lp.n_state; ++s) {
            if (i == 0) part.cur[s] = p[init0 + s];
            char* first = static_cast<char*>(p[lp.first_state_buf[s]]);
            part.bout[lp.n_out + s] = lp.stacked[s] ? first + t * lp.state_bytes[s]
                                    : i == lp.T - 1 ? p[final0 + s]
                                    : i % 2 ? p[lp.first_state_buf[s] + 1] : first;
        }
        for (size_t k = 0; k < part.bin.size(); ++k) {
            const int j = lp.bin_index[k];
            part.bin[k] = lp.bin_kind[k] == 0 ? static_cast<char*>(p[seq0 + j]) + t * lp.seq_stride[j]
                        : lp.bin_kind[k] == 1 ? part.cur[j] : p[inv0 + j];
        }
        for (int o = 0; o < lp.n_out; ++o) part.bout[o] = static_cast<char*>(p[out0 + o]) + t * lp.out_stride[o];
        // Each step of each call draws its own random numbers.
        const int failed = part.body->run_body(part.bin.data(), part.bout.data(), step * (uint64_t)lp.T + (uint64_t)i, part.ctx);
        if (failed >= 0) {
            part.ctx.error = "in step " + std::to_string(t) + " of a loop, body instruction " + std::to_string(failed) + ": " + part.ctx.error;
            return -1;
        }
        for (int s = 0; s < lp.n_state; ++s) part.cur[s] = part.bout[lp.n_out + s];
    }
    for (int s = 0; s < lp.n_state; ++s)   // stacked states and T == 0 leave the final state to copy
        if (lp.T == 0 || lp.stacked[s])
            std::memcpy(p[final0 + s], lp.T == 0 ? p[init0 + s] : part.cur[s], (size_t)(part.body->output_bytes(lp.n_out + s)));
    return 0;
}

int Program::run_loop(const Instr& in) {
    LoopSpec& lp = *loops_[in.ip[0]];
    const int n = (int)lp.parts.size();
    int failed = 0;
    if (n == 1) {
        failed = run_part(lp, lp.parts[0], in.ptrs.data(), ctx_.step);
    } else {
        // One thread per part for the whole loop; the kernels inside run on that thread alone.
#pragma omp parallel for num_threads(n) schedule(static, 1) reduction(min : failed)
        for (int k = 0; k < n; ++k) {
            omp_set_num_threads(1);
            failed = std::min(failed, run_part(lp, lp.parts[k], in.ptrs.data(), ctx_.step));
        }
    }
    for (auto& part : lp.parts)
        if (!part.ctx.error.empty()) {
            ctx_.error = part.ctx.error;
            part.ctx.error.clear();
        }
    return failed;
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
