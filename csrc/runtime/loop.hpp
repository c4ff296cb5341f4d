// Loop instructions (Program::add_loop): the parameters of one loop, parsed once.
#pragma once
#include <cstdint>
#include <memory>
#include <vector>

#include "runtime/program.hpp"

namespace sk {

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

}  // namespace sk
