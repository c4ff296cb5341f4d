// Loop instructions: parsing their parameters (add_loop) and running them (run_loop); see
// loop.hpp for the layout of their buffers and parameters.
#include <omp.h>

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <string>

#include "runtime/loop.hpp"

namespace sk {

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
        // Each step of each call draws its own random numbers, keyed by the time index, so that
        // the gradient loop, which recomputes the step at time t, draws the forward step's.
        const int failed = part.body->run_body(part.bin.data(), part.bout.data(), step * (uint64_t)lp.T + (uint64_t)t, part.ctx);
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

}  // namespace sk
