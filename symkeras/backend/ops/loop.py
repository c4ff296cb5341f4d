"""The loop op: a sub-graph (the body) run once per step over sequences, carrying states.

A loop is built by tracing a Python step function once on placeholders (one per sequence
slice and per state), so its compile time does not grow with the number of steps. The body
is compiled into a program of its own when the loop is lowered, and the runtime runs that
program step after step (csrc/runtime/loop.hpp), reading slice t of every
sequence and writing slot t of every stacked output, with no Python in between.

What the body reads that does not change from step to step (weights, dropout masks, the
learning phase, anything computed from them alone) is found when it is traced and becomes an
input of the loop node itself: it is computed once, outside, by the enclosing program, and the
body reads it in place at every step. A static one (the learning phase) is folded into the body.

Outputs of a Loop node (read through graph.Output projections, Node.types gives each type):
    [stacked per-step outputs (T, ...)] + [final states] + [stacked states (T, ...)]
Output 0 is the node itself. The stacked states are written only when something reads them:
the gradient, a reverse loop over the saved steps (backpropagation through time) whose body is
the vector-Jacobian product of the forward body, built by K.gradients on the traced body.
"""
import numpy as np

from .. import lower, rewrite
from ..graph import (Op, Output, Placeholder, ShapeError, Tensor, apply, as_node, compatible_shapes,
                     constant_node, fmt_shape, is_float, leaf_node, make, new_uid, serial, toposort)
from ..lower import Meta
from ..rewrite.core import transform

__all__ = []


class Body:
    """The traced step: placeholders for each sequence slice, each state and each invariant,
    and the output nodes: per-step outputs, the new value of each state, then `saved` nodes,
    intermediate values the gradient reads back instead of computing them again (the step's
    matrix products)."""

    def __init__(self, seq_in, state_in, inv_in, outputs, n_out, saved=()):
        self.seq_in, self.state_in, self.inv_in = tuple(seq_in), tuple(state_in), tuple(inv_in)
        self.outputs = tuple(outputs) + tuple(saved)
        self.n_out = n_out
        self.n_saved = len(saved)
        self._concrete = {}

    @property
    def inputs(self):
        return self.seq_in + self.state_in + self.inv_in

    def concrete(self, ins):
        """(placeholders, outputs) of the body rebuilt for the loop's concrete inputs `ins`
        (Metas) and rewritten: each input a placeholder of concrete shape (None for a static
        invariant, which becomes a constant). Shapes known when the rewrites run let them drop
        the broadcasts and reductions that the gradient adds for an unknown batch size, so the
        elementwise work of a step fuses into few instructions. Cached per input signature."""
        n_seq = len(self.seq_in)
        key = tuple((m.shape[1:] if k < n_seq else m.shape, m.dtype,
                     None if m.value is None else m.value.tobytes()) for k, m in enumerate(ins))
        if key not in self._concrete:
            new = {}
            for ph, m, (shape, dtype, _) in zip(self.inputs, ins, key):
                static = m.value is not None and ph in self.inv_in
                new[ph] = constant_node(m.value) if static else placeholder_like(shape, dtype, ph.op.name_)
            outputs, _ = transform(list(self.outputs), lambda node, inputs: new.get(node),
                                   budget=float('inf'))
            phs = [None if new[ph].value is not None else new[ph] for ph in self.inputs]
            self._concrete[key] = (phs, tuple(rewrite.optimize(outputs)))
        return self._concrete[key]

    def program(self, ins):
        """(the compiled body for the loop's concrete inputs `ins`, body input kinds, indices):
        its inputs are the runtime ones in order, its outputs the per-step outputs (the saved
        ones too) and then the states."""
        phs, outputs = self.concrete(ins)
        n_seq, n_state, n_out = len(self.seq_in), len(self.state_in), self.n_out
        kinds, index, runtime = [], [], []
        for k, ph in enumerate(phs):
            if ph is None:
                continue   # a static invariant, folded into the body
            kind = 0 if k < n_seq else 1 if k < n_seq + n_state else 2
            kinds.append(kind)
            index.append(k - (0, n_seq, n_seq + n_state)[kind])
            runtime.append(ph)
        outputs = outputs[:n_out] + outputs[n_out + n_state:] + outputs[n_out:n_out + n_state]
        order = toposort(list(outputs))
        metas = lower.specialise(order, {ph: Meta(ph.shape, ph.dtype, None, ph) for ph in runtime})
        program, _ = lower.build_program(order, metas, runtime, list(outputs), [])
        return program, kinds, index

    def led(self):
        """For each input: whether it holds rows of the batch (its first dimension, after time
        for a sequence, was unknown when the step was traced)."""
        return [len(ph.shape) > 0 and ph.shape[0] is None for ph in self.inputs]

    def batch_size(self, ins):
        """The batch size of concrete inputs `ins`, or None when no input holds rows."""
        n_seq = len(self.seq_in)
        for k, (m, is_led) in enumerate(zip(ins, self.led())):
            if is_led:
                return m.shape[1] if k < n_seq else m.shape[0]
        return None

    @staticmethod
    def product_flops(outputs):
        """Flops of the matrix products of one step of a concrete body."""
        from .linalg import _Product
        return sum(2 * int(np.prod(n.shape)) * n.inputs[0].shape[-2 if n.op.trans_a else -1]
                   for n in toposort(list(outputs)) if isinstance(n.op, _Product))

    def rows_apart(self, phs, outputs, rows):
        """True if no value of the concrete body mixes samples: the inputs that hold rows of
        the batch reach the outputs only through elementwise ops (with operands that broadcast
        over the rows), products of rows by matrices that do not hold rows, and slices,
        concatenations and reshapes that keep the rows; and nothing draws random numbers (a
        part would repeat the other's)."""
        led = {ph for ph, is_led in zip(phs, self.led()) if ph is not None and is_led}
        for node in toposort(list(outputs)):
            if node in led or not node.inputs:
                continue
            if not node.op.pure:
                return False
            reads = [i in led for i in node.inputs]
            if not any(reads):
                continue
            if not _keeps_rows(node, reads, rows):
                return False
            led.add(node)
        return all(o in led or _uniform(o) for o in outputs)

    def specialise(self, ins, outputs):
        """Metas of the body nodes below `outputs` for the loop's concrete inputs `ins`."""
        n_seq = len(self.seq_in)
        metas = {}
        for k, (ph, m) in enumerate(zip(self.inputs, ins)):
            shape = m.shape[1:] if k < n_seq else m.shape
            value = m.value if k >= n_seq + len(self.state_in) else None
            metas[ph] = Meta(shape, m.dtype, value, ph)
        return lower.specialise(toposort(list(outputs)), metas)


def placeholder_like(shape, dtype, name):
    return leaf_node(Placeholder(new_uid(), name), dtype, shape)


def _split(seq, body):
    a, b = len(body.seq_in), len(body.seq_in) + len(body.state_in)
    return list(seq[:a]), list(seq[a:b]), list(seq[b:])


class Loop(Op):
    """The loop over `body`; reverse: step i works on time index T-1-i (the gradient loop).
    Inputs: the sequences (time first), the initial states, the invariants."""

    def __init__(self, body, reverse=False):
        self.body = body
        self.reverse = bool(reverse)

    @property
    def name(self):
        return 'loop_backward' if self.reverse else 'loop'

    def infer(self, ins):
        return self.infer_outputs(ins)[0]

    def infer_outputs(self, ins):
        b = self.body
        seqs, inits, _ = _split(ins, b)
        T = seqs[0].shape[0] if seqs and seqs[0].shape else None
        for k, s in enumerate(seqs):
            if not s.shape or not compatible_shapes((T,), s.shape[:1]):
                raise ShapeError('sequence %d has shape %s; every sequence needs a time axis of '
                                 'length %s first' % (k, fmt_shape(s.shape), T))
        if isinstance(ins[0], Meta):   # specialising: every shape and static value is known
            metas = b.specialise(ins, b.outputs)
            outs = []
            for o in b.outputs:
                m = metas[o]
                if m.error is not None:
                    raise m.error
                outs.append((m.dtype, m.shape))
        else:
            outs = [(o.dtype, o.shape) for o in b.outputs]
        n_state = len(b.state_in)
        per_step, states, saved = outs[:b.n_out], outs[b.n_out:b.n_out + n_state], outs[b.n_out + n_state:]
        for k, ((dt, shp), init) in enumerate(zip(states, inits)):
            if dt != init.dtype or not compatible_shapes(shp, init.shape):
                raise ShapeError('state %d starts as %s %s but the step returns it as %s %s'
                                 % (k, init.dtype, fmt_shape(init.shape), dt, fmt_shape(shp)))
        stacked = [(dt, (T,) + tuple(shp)) for dt, shp in per_step]
        finals = [(init.dtype, init.shape) for init in inits]
        return (stacked + finals + [(dt, (T,) + tuple(shp)) for dt, shp in finals]
                + [(dt, (T,) + tuple(shp)) for dt, shp in saved])

    def fold(self, ins):
        return None

    def ref(self, *arrays):
        return self.evaluate(*arrays)[0]

    def evaluate(self, *arrays):
        """Every output, in numpy (each op's reference, step by step)."""
        b = self.body
        seqs, inits, invs = _split(arrays, b)
        T = seqs[0].shape[0]
        order = toposort(list(b.outputs))
        n_state = len(inits)
        per_step = [[None] * T for _ in range(b.n_out + b.n_saved)]
        stacked = [[None] * T for _ in inits]
        states = list(inits)
        for i in range(T):
            t = T - 1 - i if self.reverse else i
            env = dict(zip(b.inputs, [s[t] for s in seqs] + states + list(invs)))
            vals = evaluate(order, b.outputs, env)
            for j, v in enumerate(vals[:b.n_out] + vals[b.n_out + n_state:]):
                per_step[j][t] = v
            states = vals[b.n_out:b.n_out + n_state]
            for s, v in enumerate(states):
                stacked[s][t] = v
        out = [np.stack(p) for p in per_step[:b.n_out]]
        out += [np.asarray(s) for s in states]
        out += [np.stack(s) for s in stacked]
        return out + [np.stack(p) for p in per_step[b.n_out:]]

    def grad_outputs(self, ins, out, gs, wanted):
        """Input gradients from the gradients `gs` {output index: Tensor} of the outputs."""
        return backward(self, ins, out, gs, wanted)

    def lower(self, ins, out, L):
        b = self.body
        n_seq, n_state, n_inv, n_out, n_saved = (len(b.seq_in), len(b.state_in), len(b.inv_in),
                                                  b.n_out, b.n_saved)
        types = out.types or [(out.dtype, out.shape)]
        T = ins[0].shape[0]

        def buf(k):
            """The buffer of output k, or None when nothing reads it."""
            if k == 0:
                return out.buf
            m = L.outputs.get(k)
            return m.buf if m is not None else None

        out_bufs, out_strides = [], []
        for j in list(range(n_out)) + [n_out + 2 * n_state + i for i in range(n_saved)]:
            dt, shp = types[j]
            b_j = buf(j)
            out_bufs.append(b_j if b_j is not None else L.temp(shp[1:], dt))
            out_strides.append(_nbytes(dt, shp[1:]) if b_j is not None else 0)
        finals, state_bufs, stacked, state_bytes, state_led = [], [], [], [], []
        for s in range(n_state):
            dt, shp = types[n_out + n_state + s]
            f = buf(n_out + s)
            finals.append(f if f is not None else L.temp(shp[1:], dt))
            st = buf(n_out + n_state + s)
            stacked.append(int(st is not None))
            state_bufs += [st] if st is not None else [L.temp(shp[1:], dt), L.temp(shp[1:], dt)]
            state_led += [True] * (1 if st is not None else 2)
            state_bytes.append(_nbytes(dt, shp[1:]))
        seq_strides = [_nbytes(m.dtype, m.shape[1:]) for m in ins[:n_seq]]
        bufs = [m.buf for m in ins] + out_bufs + finals + state_bufs
        # the bytes of one step's rows in each buffer (of all of it, past the sequences), and
        # whether it holds rows of the batch (every buffer but the invariants not per sample)
        unit = (seq_strides + [m.nbytes for m in ins[n_seq:]] + [s or L.buffers[x][2] for s, x in
                zip(out_strides, out_bufs)] + state_bytes
                + [n for n, st in zip(state_bytes, stacked) for _ in range(1 if st else 2)])
        led = b.led() + [True] * (len(out_bufs) + len(finals)) + state_led
        parts = self.parts(ins)
        rows = b.batch_size(ins)
        programs, offsets = [], []
        for r0, r1 in parts:
            program, kinds, index = b.program(self.rows(ins, r0, r1) if len(parts) > 1 else ins)
            programs.append(program)
            offsets += [r0 * (u // rows) if is_led and r0 else 0 for u, is_led in zip(unit, led)]
        ip = ([T, int(self.reverse), n_seq, n_state, n_inv, n_out + n_saved, len(kinds)] + kinds + index
              + seq_strides + out_strides + state_bytes + stacked + [len(parts)] + offsets)
        L.loop(programs, bufs, ip)

    def parts(self, ins):
        """[(first row, end row)] of the parts of the batch the loop runs on separate threads:
        two halves when there are two threads, a batch of at least 2 * MIN_PART_ROWS, enough
        matrix-product work per part to pay for a thread, and a body whose samples never meet
        (Body.rows_apart); else the whole batch."""
        b = self.body
        rows = b.batch_size(ins)
        if rows is None or rows < 2 * MIN_PART_ROWS or lower.threads() < 2:
            return [(0, rows)]
        phs, outputs = b.concrete(ins)
        if b.product_flops(outputs) * ins[0].shape[0] < lower.gemm_flops() or \
                not b.rows_apart(phs, outputs, rows):
            return [(0, rows)]
        return [(0, rows // 2), (rows // 2, rows)]

    def rows(self, ins, r0, r1):
        """The input Metas of the part of the batch of rows [r0, r1)."""
        led = self.body.led()
        n_seq = len(self.body.seq_in)
        out = []
        for k, (m, is_led) in enumerate(zip(ins, led)):
            axis = 1 if k < n_seq else 0
            shape = m.shape[:axis] + (r1 - r0,) + m.shape[axis + 1:] if is_led else m.shape
            out.append(Meta(shape, m.dtype, m.value if not is_led else None))
        return out


MIN_PART_ROWS = 8


def _keeps_rows(node, reads, rows):
    """True if `node` computes each row of its output from the same row of the inputs that
    hold rows (reads[i]) and all of every other input."""
    from .elementwise import Binary, Cast, Switch, Unary
    from .fused import FusedElementwise
    from .index import Subtensor
    from .linalg import MatMul
    from .shape import Concatenate, Reshape
    op, ins = node.op, node.inputs
    if not node.shape or node.shape[0] != rows:
        return False
    if isinstance(op, (Binary, Unary, Cast, Switch, FusedElementwise)):
        return all(i.shape[:1] == (rows,) and i.ndim == node.ndim if r
                   else i.ndim < node.ndim or i.shape[0] == 1 or _uniform(i)
                   for i, r in zip(ins, reads))
    if isinstance(op, Output):
        return True
    if type(op) is MatMul:
        return reads == [True, False] and not op.trans_a
    if isinstance(op, Subtensor):
        return op.entries[0] == (None, None, 1)
    if isinstance(op, Concatenate):
        return op.axis % node.ndim != 0 and all(i.shape[0] == rows for i in ins)
    if isinstance(op, Reshape):
        return reads[0] and ins[0].shape[0] == rows
    return False


def _uniform(node):
    """A constant with one value everywhere (ones or zeros of the batch's shape, which a
    gradient makes): the same in every part of the batch."""
    v = node.value
    return v is not None and (v.size == 0 or bool(np.all(v == v.flat[0])))


def _nbytes(dtype, shape):
    return int(np.prod(shape, dtype=np.int64)) * np.dtype(dtype).itemsize


def evaluate(order, outputs, env):
    """The values of `outputs` from `env` {placeholder node: array}, by each op's reference."""
    env = dict(env)
    for node in order:
        if node in env:
            continue
        if node.value is not None:
            env[node] = node.value
        elif isinstance(node.op, Placeholder):
            raise ValueError('the loop body reads a placeholder it was not given')
        else:
            env[node] = node.op.ref(*[env[i] for i in node.inputs])
    return [env[o] for o in outputs]


# ----------------------------------------------------------------------------- building

def _variant(inner, outputs, since):
    """The nodes below `outputs` that depend on the placeholders `inner`, or draw random
    numbers built while the step was traced (impure nodes of serial `since` or later: drawn
    anew at every step, as in a Theano scan). Random numbers built before, such as the dropout
    masks Keras' recurrent layers pass as constants, are drawn once per call."""
    variant = set()
    for node in toposort(list(outputs)):
        if node in inner or (not node.op.pure and node.serial >= since) or \
                any(i in variant for i in node.inputs):
            variant.add(node)
    return variant


def close_body(inner, outputs, since):
    """(outputs, invariants): `outputs` with every node they read that does not depend on the
    placeholders `inner` (and is not a constant) replaced by a placeholder of its own, and the
    list of (outer node, its placeholder)."""
    variant = _variant(inner, outputs, since)
    order = toposort(list(outputs))
    free = {}
    for node in order:
        reads = node.inputs if node in variant else ()
        for i in reads:
            if i not in variant and i.value is None and i not in free:
                free[i] = placeholder_like(i.shape, i.dtype, 'loop invariant')
    for o in outputs:
        if o not in variant and o.value is None and o not in free:
            free[o] = placeholder_like(o.shape, o.dtype, 'loop invariant')
    if not free:
        return list(outputs), []
    new, _ = transform(list(outputs), lambda node, inputs: free.get(node), budget=float('inf'))
    return new, list(free.items())


def hoist_sequence_work(outputs, seq_outer, variant):
    """Move out of the body the work that reads only sequence slices and invariants (a step's
    input projection x_t @ W + b, a dropout mask applied to x_t): it is computed for all the
    steps at once before the loop, as one matrix product over every step's rows and one
    elementwise pass, and the body reads its result as a new sequence. Its gradient is then
    computed after the loop the same way. Moved: non-transposed products of such a value by an
    invariant matrix, and elementwise ops. `variant`: the body nodes that depend on the step's
    inputs (every other node is an outer one). Returns the new outputs and [(placeholder,
    outer sequence)]."""
    from .elementwise import Binary, Unary
    from .linalg import MatMul, dot
    from .shape import expand_dims
    stacked = {p: Tensor(o) for p, o in seq_outer.items()}   # body node -> its (T, ...) value

    def outer_operand(i, rank):
        if i in stacked:
            return stacked[i]
        return expand_dims(Tensor(i), 0) if i.ndim == rank else Tensor(i)   # broadcast over time

    for node in toposort(list(outputs)):
        ins = node.inputs
        if not ins or not any(i in stacked for i in ins) or \
                not all(i in stacked or i not in variant for i in ins):
            continue
        op = node.op
        if type(op) is MatMul and not (op.trans_a or op.trans_b) and ins[0] in stacked and ins[1] not in variant:
            stacked[node] = dot(stacked[ins[0]], Tensor(ins[1]))
        elif isinstance(op, (Binary, Unary)) and op.pure:
            stacked[node] = make(op, *[outer_operand(i, node.ndim) for i in ins])
    reads = {i for n in toposort(list(outputs)) if n not in stacked for i in n.inputs}
    frontier = [n for n in stacked if n not in seq_outer and (n in reads or n in outputs)]
    if not frontier:
        return list(outputs), []
    new = {n: placeholder_like(n.shape, n.dtype, 'hoisted step input') for n in frontier}
    outs, _ = transform(list(outputs), lambda node, inputs: new.get(node), budget=float('inf'))
    return outs, [(new[n], stacked[n].node) for n in frontier]


def loop(step, sequences, initial_states, reverse=False, what='loop'):
    """Trace step(slices, states) -> (outputs, new_states) (lists of Tensors) once and build the
    loop over `sequences` (Tensors, time first). Returns (stacked outputs, final states, node)."""
    seqs = [as_node(s) for s in sequences]
    inits = [as_node(s) for s in initial_states]
    if not seqs:
        raise ValueError('%s: at least one sequence is needed' % what)
    for k, s in enumerate(seqs):
        if s.ndim < 1:
            raise ShapeError('%s: sequence %d is a scalar; sequences have time as their first axis'
                             % (what, k))
    seq_in = [placeholder_like(s.shape[1:], s.dtype, 'step input %d' % k) for k, s in enumerate(seqs)]
    state_in = [placeholder_like(s.shape, s.dtype, 'state %d' % k) for k, s in enumerate(inits)]
    since = serial()
    outs, new_states = step([Tensor(p) for p in seq_in], [Tensor(p) for p in state_in])
    outs, new_states = list(outs), list(new_states)
    if len(new_states) != len(inits):
        raise ValueError('%s: the step function returned %d states for %d initial states'
                         % (what, len(new_states), len(inits)))
    nodes = [as_node(o) for o in outs + new_states]
    for k, (new, init) in enumerate(zip(nodes[len(outs):], inits)):
        if new.dtype != init.dtype or not compatible_shapes(new.shape, init.shape):
            raise ShapeError('%s: state %d starts as %s %s but the step returns it as %s %s'
                             % (what, k, init.dtype, fmt_shape(init.shape), new.dtype,
                                fmt_shape(new.shape)))
    nodes, hoisted = hoist_sequence_work(nodes, dict(zip(seq_in, seqs)),
                                         _variant(seq_in + state_in, nodes, since))
    seq_in, seqs = seq_in + [p for p, _ in hoisted], seqs + [o for _, o in hoisted]
    nodes, invariants = close_body(seq_in + state_in, nodes, since)
    body = Body(seq_in, state_in, [p for _, p in invariants], nodes, len(outs), _products(nodes))
    node = apply(Loop(body, reverse), *(seqs + inits + [o for o, _ in invariants]))
    stacked, finals = projections(node, body)
    return stacked, finals, node


def _products(outputs):
    """The matrix products computed in a step (not its outputs already): the gradient reads
    them back from the forward loop instead of computing them again."""
    from .linalg import _Product
    return [n for n in toposort(list(outputs)) if isinstance(n.op, _Product) and n not in outputs]


def projections(node, body):
    """(stacked outputs, final states) of a loop node as Tensors."""
    def out(k):
        return Tensor(node if k == 0 else apply(Output(k), node))
    n_out, n_state = body.n_out, len(body.state_in)
    return [out(j) for j in range(n_out)], [out(n_out + s) for s in range(n_state)]


# ----------------------------------------------------------------------------- gradient

def backward(op, ins, out, gs, wanted):
    """Input gradients of Loop `op` (inputs `ins`, node `out`) from its output gradients `gs`:
    a reverse loop whose body is the vector-Jacobian product of the forward body at each step,
    reading the step's inputs and the states before it from the saved stacked states, carrying
    the gradient of the states backwards and summing the gradients of the invariants."""
    from ..grad import gradients
    from .broadcast import zeros_like
    from .reduce import sum as sum_
    from .shape import concatenate, expand_dims
    b = op.body
    if op.reverse:
        raise TypeError('K.gradients: the gradient of a reverse loop (a loop gradient) is not supported')
    n_seq, n_state, n_out = len(b.seq_in), len(b.state_in), b.n_out
    if any(gs.get(n_out + n_state + s) is not None for s in range(n_state)):
        raise TypeError('K.gradients: a loop\'s saved states have no gradient')
    seqs, inits, invs = _split(ins, b)
    w_seq, w_state, w_inv = _split(wanted, b)
    float_states = [s for s in range(n_state) if is_float(b.state_in[s].dtype)]
    seq_k = [k for k in range(n_seq) if w_seq[k]]
    inv_k = [k for k in range(len(invs)) if w_inv[k]]
    dy_k = [j for j in range(n_out) if gs.get(j) is not None and is_float(b.outputs[j].dtype)]
    if not (seq_k or inv_k or any(w_state)):
        return [None] * len(ins)

    # the vector-Jacobian product of one step, on placeholders
    dy_in = [placeholder_like(b.outputs[j].shape, b.outputs[j].dtype, 'output gradient') for j in dy_k]
    ds_in = [placeholder_like(b.state_in[s].shape, b.state_in[s].dtype, 'state gradient')
             for s in float_states]
    terms = [sum_(Tensor(b.outputs[j]) * Tensor(d)) for j, d in zip(dy_k, dy_in)]
    terms += [sum_(Tensor(b.outputs[n_out + s]) * Tensor(d)) for s, d in zip(float_states, ds_in)]
    if not terms:
        return [None] * len(ins)
    loss = terms[0]
    for t in terms[1:]:
        loss = loss + t
    wrt = [b.seq_in[k] for k in seq_k] + [b.state_in[s] for s in float_states] + [b.inv_in[k] for k in inv_k]
    g = [as_node(x) for x in gradients(loss, [Tensor(w) for w in wrt])]
    g_seq, g_state = g[:len(seq_k)], g[len(seq_k):len(seq_k) + len(float_states)]
    # An invariant's gradient is a sum over the steps. Its terms that are a product over the
    # batch (h^T @ dz, the gradient of a recurrent matrix) or a sum over the batch (a bias) are
    # summed after the loop as ONE product or reduction over all steps' rows; the loop only
    # stacks their per-step operands. Other terms are accumulated in a carried state.
    hoisted = [[] for _ in inv_k]     # per invariant: [(kind, operand nodes)]
    carried = [[] for _ in inv_k]
    per_step = []                     # body nodes the loop must stack for the hoisted terms
    for n, node in enumerate(g[len(seq_k) + len(float_states):]):
        for term in _terms(node):
            kind = _hoistable(term)
            if kind is None:
                carried[n].append(term)
            else:
                hoisted[n].append((kind, term))
                per_step += [i for i in term.inputs[:2 if kind == 'dot' else 1] if i not in per_step]
    acc_k = [n for n in range(len(inv_k)) if carried[n]]
    acc_in = [placeholder_like(b.inv_in[inv_k[n]].shape, b.inv_in[inv_k[n]].dtype, 'invariant gradient')
              for n in acc_k]
    acc_out = [as_node(Tensor(a) + _add_all(carried[n])) for a, n in zip(acc_in, acc_k)]
    seq_phs = list(b.seq_in) + list(b.state_in) + dy_in
    stacked_k = [x for x in per_step if x not in seq_phs and x not in g_seq]
    outputs, read_back = _read_back(b, g_seq + stacked_k + g_state + acc_out)
    outputs, transposed = _pretranspose(outputs, b.inv_in)
    body = Body(seq_phs + [p for _, p in read_back], ds_in + acc_in,
                list(b.inv_in) + [p for _, p in transposed], outputs, len(seq_k) + len(stacked_k))

    # the saved states before each step: the initial state, then the states after steps 0..T-2
    node = out.node
    saved = [Tensor(apply(Output(n_out + n_state + s), node)) for s in range(n_state)]
    before = [concatenate([expand_dims(Tensor(init.node), 0), st[:-1]], axis=0)
              for init, st in zip(inits, saved)]
    finals = [gs.get(n_out + s) for s in float_states]
    starts = [f if f is not None else zeros_like(inits[s]) for s, f in zip(float_states, finals)]
    starts += [zeros_like(invs[inv_k[n]]) for n in acc_k]
    outer_seqs = seqs + before + [gs[j] for j in dy_k] + [Tensor(apply(Output(k), node)) for k, _ in read_back]
    from .shape import transpose
    invs = invs + [transpose(invs[b.inv_in.index(w)]) for w, _ in transposed]
    bnode = apply(Loop(body, reverse=True), *[as_node(x) for x in outer_seqs + starts + invs])
    stacked, finals = projections(bnode, body)
    outer = dict(zip(seq_phs, outer_seqs))
    outer.update(zip(g_seq + stacked_k, stacked))
    grads = [None] * len(ins)
    for k, d in zip(seq_k, stacked):
        grads[k] = d
    for s, d in zip(float_states, finals[:len(float_states)]):
        grads[n_seq + s] = d if w_state[s] else None
    acc = dict(zip(acc_k, finals[len(float_states):]))
    for n, k in enumerate(inv_k):
        terms = [acc[n]] if n in acc else []
        terms += [_over_all_steps(kind, term, outer) for kind, term in hoisted[n]]
        grads[n_seq + n_state + k] = _add_all(terms)
    return grads


def _read_back(b, outputs):
    """`outputs` with each saved node of forward body b that they read replaced by a
    placeholder, and [(the forward loop's output index of its stacked values, placeholder)]."""
    first = b.n_out + 2 * len(b.state_in)
    reads = set(toposort(list(outputs)))
    saved = {n: placeholder_like(n.shape, n.dtype, 'saved') for n in b.outputs[len(b.outputs) - b.n_saved:]
             if n in reads}
    if not saved:
        return outputs, []
    new, _ = transform(list(outputs), lambda node, inputs: saved.get(node), budget=float('inf'))
    index = {n: first + i for i, n in enumerate(b.outputs[len(b.outputs) - b.n_saved:])}
    return new, [(index[n], p) for n, p in saved.items()]


def _pretranspose(outputs, inv_in):
    """`outputs` with each product by the transpose of an invariant matrix w (dh = dz @ U^T in
    a recurrent gradient) reading a new invariant placeholder for w^T instead, and [(w, that
    placeholder)]: the transpose is then made once before the loop, not packed at every step."""
    from .linalg import MatMul
    transposed = {}

    def visit(node, inputs):
        w = node.inputs[1] if len(node.inputs) > 1 else None
        if type(node.op) is MatMul and node.op.trans_b and w in inv_in and w.ndim == 2:
            t = transposed.setdefault(w, placeholder_like(w.shape[::-1], w.dtype, 'loop invariant'))
            return apply(MatMul(node.op.trans_a, False), inputs[0], t, prov=node.prov)
        return None
    outs, _ = transform(list(outputs), visit, budget=float('inf'))
    return outs, [(w, transposed[w]) for w in inv_in if w in transposed]


def _terms(node):
    """The terms of a sum of nodes (a tree of additions), or [node]."""
    op = node.op
    if getattr(op, 'code', None) == 'ADD' and type(op).__name__ == 'Binary' and \
            node.inputs[0].shape == node.inputs[1].shape == node.shape:
        return _terms(node.inputs[0]) + _terms(node.inputs[1])
    return [node]


def _hoistable(term):
    """'dot' for a^T @ b of two (batch, n) matrices, 'sum' for the sum of a (batch, n) matrix
    over its rows, else None."""
    from .broadcast import SumTo
    from .linalg import MatMul
    op = term.op
    if any(i.ndim != 2 or i.shape[1] is None for i in term.inputs[:2]):
        return None
    if type(op) is MatMul and op.trans_a and not op.trans_b:
        return 'dot'
    if type(op) is SumTo and term.inputs[0].ndim == 2 and term.shape == term.inputs[0].shape[1:]:
        return 'sum'
    return None


def _over_all_steps(kind, term, outer):
    """The sum over the steps of a hoisted term, from the stacked operands (T, batch, n)."""
    from .linalg import MatMul
    from .reduce import sum as sum_
    from .shape import reshape
    rows = [reshape(Tensor(as_node(outer[i])), (-1, i.shape[1])) for i in term.inputs[:2]]
    if kind == 'dot':
        return Tensor(apply(MatMul(True, False), rows[0].node, rows[1].node))
    return sum_(rows[0], axis=0)


def _add_all(terms):
    total = Tensor(as_node(terms[0]))
    for t in terms[1:]:
        total = total + Tensor(as_node(t))
    return total
