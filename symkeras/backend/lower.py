"""Lowering: specialise a graph to concrete input shapes and turn it into a runtime Program.

For one set of input shapes (and learning-phase value) this module
  1. re-runs every op's shape rule with concrete shapes, folding what became static
     (shape arithmetic, the learning phase, anything built from them) and letting ops
     forward an input (in_train_phase picks its branch here, so the other branch never runs);
  2. keeps only the nodes the outputs and updates need, in topological order;
  3. asks each op to emit its kernel instructions;
  4. plans buffer lifetimes and packs the intermediate buffers into one arena (an elementwise
     op may write over an input that dies at it: _Builder.reuse_dying_input);
  5. binds outputs to fresh arrays (written in place by the kernel that computes them, copied
     when they alias something else) and appends the update commits, which run after every
     output is computed, so updates read the old value of every variable (Theano semantics).
     An update whose value can safely be computed straight into its variable needs no commit
     (see _Builder.plan_in_place).

Multi-output nodes (a fused elementwise program computing an optimizer's new accumulator and
new parameter in one pass): the node's value is its output 0; projection nodes graph.Output(k)
name the others. A projection emits nothing: when its node is lowered, the buffers of the
projections in the schedule are made and handed to the op (Lowering.outputs), which writes
them with the same instruction, so an output that nothing needs is not stored. Each output is
planned in place like any value node, with the step of the instruction that writes it.
"""
import bisect
import heapq
import math

import numpy as np

from .. import _core
from .graph import (DTYPE_CODES, FOLD_LIMIT, Constant, Output, Placeholder, ShapeError, VariableLeaf,
                    describe, infer_types)

KERNEL_NAMES = _core.kernel_names()
KernelError = _core.KernelError     # (message, instruction index) from a failing kernel
KERNELS = {name: i for i, name in enumerate(KERNEL_NAMES)}
ARENA, INPUT, OUTPUT, CONST, VAR = range(5)
_ALIGN = 64


class Meta:
    """What is known about a node's value in one specialisation."""
    __slots__ = ('shape', 'dtype', 'value', 'node', 'buf', 'error', 'types')

    def __init__(self, shape, dtype, value=None, node=None, types=None):
        self.shape = tuple(shape)
        self.dtype = dtype
        self.value = value
        self.node = node
        self.buf = None
        self.error = None    # the ShapeError of a node whose shapes do not fit
        self.types = types   # the (dtype, shape) of every output of a multi-output op (graph.Node)

    @property
    def ndim(self):
        return len(self.shape)

    @property
    def size(self):
        return math.prod(self.shape)

    @property
    def nbytes(self):
        return self.size * np.dtype(self.dtype).itemsize


class Lowering:
    """What an op's lower() writes into: instructions over buffer ids."""

    def __init__(self):
        self.buffers = []       # [kind, index, nbytes]
        self.code = []          # (kernel, bufs, ip, fp, callback or loop body, node)
        self.node = None        # the node being lowered (for provenance)
        self.temps = []         # buffers made by temp() while lowering self.node
        self.outputs = {}       # {k: Meta} of the needed outputs k >= 1 of self.node (graph.Output)

    def new_buffer(self, kind, index, nbytes):
        self.buffers.append([kind, index, nbytes])
        return len(self.buffers) - 1

    def emit(self, kernel, bufs, ip=(), fp=()):
        self.code.append((KERNELS[kernel], list(bufs), [int(i) for i in ip],
                          [float(f) for f in fp], None, self.node))

    def loop(self, bodies, bufs, ip):
        """A loop instruction: one _core.Program body per part of the batch, run once per step
        (ops/loop.py)."""
        self.code.append((None, list(bufs), [int(i) for i in ip], [], list(bodies), self.node))

    def callback(self, fn, meta):
        """Call fn with a copy of Meta `meta`'s value (a numpy array) each time this point of
        the program runs (print_tensor)."""
        dtype, shape = np.dtype(meta.dtype), meta.shape
        self.code.append((None, [meta.buf], [], [],
                          lambda view: fn(np.frombuffer(view, dtype).reshape(shape).copy()), self.node))

    def temp(self, shape, dtype):
        """A scratch buffer that lives while the current node is computed."""
        nbytes = int(np.prod(shape, dtype=np.int64)) * np.dtype(dtype).itemsize
        b = self.new_buffer(ARENA, None, nbytes)
        self.temps.append(b)
        return b


def specialise(order, input_metas):
    """Metas for every node in `order` given concrete `input_metas` {node: Meta}. A node whose
    shapes do not fit gets a Meta carrying the error, raised only if the node turns out to be
    needed (the branch of in_train_phase that is not taken may hold nonsense)."""
    metas = dict(input_metas)
    for node in order:
        if node not in metas:
            metas[node] = _specialise_node(node, metas)
    return metas


def _specialise_node(node, metas):
    op = node.op
    if isinstance(op, Constant):
        return Meta(node.shape, node.dtype, node.value, node)
    if isinstance(op, VariableLeaf):
        return Meta(op.storage.array.shape, node.dtype, None, node)
    if isinstance(op, Placeholder):
        raise AssertionError('unbound placeholder reached specialise')
    ins = [metas[i] for i in node.inputs]
    try:
        k = op.forward(ins)
        if k is not None:
            return ins[k]
        failed = next((m for m in ins if m.error is not None), None)
        if failed is not None:
            return failed
        for i in op.static_inputs:
            if ins[i].value is None:
                raise ShapeError('input %d must be computable from shapes and constants '
                                 'before the step runs' % i)
        types = infer_types(op, ins)
        dtype, shape = types[0]
        if any(d is None for _, s in types for d in s):
            raise ShapeError('output shape %s is not known after specialisation' % (shape,))
        value = op.fold(ins) if op.pure and math.prod(shape) <= FOLD_LIMIT else None
    except ShapeError as e:
        m = Meta(node.shape, node.dtype, None, node)
        m.error = ShapeError('%s: %s%s' % (op.name, e, describe(node.prov)))
        return m
    return Meta(shape, dtype, None if value is None else np.asarray(value, dtype=dtype), node,
                types if len(types) > 1 else None)


def needed_nodes(order, metas, roots):
    """Nodes whose kernels must run to produce `roots` (metas), in topological order. Raises
    the shape error of any needed node."""
    need = set()
    stack = list(roots)
    seen = set()
    while stack:
        m = stack.pop()
        if id(m) in seen:
            continue
        seen.add(id(m))
        if m.error is not None:
            raise m.error
        if m.value is not None or not m.node.inputs:
            continue
        need.add(m.node)
        stack.extend(metas[i] for i in m.node.inputs)
    return [n for n in order if n in need and metas[n].node is n]


def build_program(order, metas, input_nodes, output_nodes, updates):
    """A _core.Program for one specialisation, and the node of each instruction (None for the
    final copies and commits). `updates` is [(variable_node, value_node)]."""
    b = _Builder(metas)
    b.bind_inputs(input_nodes)
    roots = [metas[n] for n in output_nodes] + [metas[v] for _, v in updates]
    schedule = needed_nodes(order, metas, roots)
    b.find_projections(schedule)
    b.find_last_uses(schedule, output_nodes, updates)
    b.plan_in_place(schedule, output_nodes, updates)
    end = b.lower_schedule(schedule)
    out_specs = b.bind_outputs(output_nodes, end)
    b.commit_updates(updates, end)
    return b.program(out_specs, len(input_nodes)), [c[5] for c in b.L.code]


class _Builder:
    """Buffers, instructions and buffer lifetimes of one program while it is being built."""

    def __init__(self, metas):
        self.metas = metas
        self.L = Lowering()
        self.consts, self.variables, self.var_slot = [], [], {}
        self.times = {}     # arena buffer -> (first write, last read) in schedule steps
        self.in_place = {}  # value node -> (variable node, value node) of its update
        self.written = set()   # (variable node, value node) of the updates computed in place
        self.last_use = {}  # id(root Meta) -> last step reading its buffer (inf: after the schedule)
        self.last_var_use = {}   # id(variable storage) -> the same, over every alias of it
        self.projections = {}    # multi-output node -> {k: Meta of its scheduled Output(k)}
        self.writer = {}         # node -> the node whose instructions write its value (itself,
                                 # or a projection's multi-output node)

    def find_projections(self, schedule):
        """The scheduled projections of each multi-output node, and the writer of each node."""
        for node in schedule:
            self.writer[node] = node
            if isinstance(node.op, Output):
                source = node.inputs[0]
                self.projections.setdefault(source, {})[node.op.index] = self.metas[node]
                self.writer[node] = source

    def buffer_of(self, m):
        """The buffer of a Meta: already placed, or a constant or variable placed now."""
        if m.buf is not None:
            return m.buf
        op = m.node.op
        if m.value is not None:
            self.consts.append(np.ascontiguousarray(m.value, dtype=m.dtype))
            m.buf = self.L.new_buffer(CONST, len(self.consts) - 1, m.nbytes)
        elif isinstance(op, VariableLeaf):
            if id(op.storage) not in self.var_slot:
                self.var_slot[id(op.storage)] = len(self.variables)
                self.variables.append(op.storage.array)
            m.buf = self.L.new_buffer(VAR, self.var_slot[id(op.storage)], m.nbytes)
        else:
            raise AssertionError('buffer of an unlowered node %r' % (m.node,))
        return m.buf

    def root(self, m):
        """The Meta whose buffer holds Meta m's value: m, or the source of its reshape-like
        aliases."""
        while m.value is None and m.node.op.alias and m.node.inputs:
            m = self.metas[m.node.inputs[0]]
        return m

    def storage(self, m):
        """The variable storage whose memory Meta m's value is (a variable, or a reshape-like
        alias of one), or None."""
        m = self.root(m)
        return m.node.op.storage if m.value is None and isinstance(m.node.op, VariableLeaf) else None

    def find_last_uses(self, schedule, output_nodes, updates):
        """The last step at which each buffer is read, by buffer owner (root Meta) and by
        variable storage: by the nodes of the schedule (an alias reads nothing itself: its
        readers read its source; a projection is written by its node), or after it (math.inf)
        by the outputs and update values."""
        for t, node in enumerate(schedule):
            if not node.op.alias and not isinstance(node.op, Output):
                for i in node.inputs:
                    self._used(self.metas[i], t)
        for node in list(output_nodes) + [v for _, v in updates]:
            self._used(self.metas[node], math.inf)

    def _used(self, m, t):
        self.last_use[id(self.root(m))] = t
        s = self.storage(m)
        if s is not None:
            self.last_var_use[id(s)] = t

    def plan_in_place(self, schedule, output_nodes, updates):
        """Choose the updates whose value node may write straight into its variable's memory.
        Every output and update must see old values, so the value node of variable v qualifies
        only if it is the last reader of v's old value: no node scheduled after it reads v
        (through any alias), no output is v and no update's value is v (those are read after
        every node); for an output of a multi-output node, "it" is that node, which writes
        every output in one instruction. The schedule is not reordered. Further, v is updated
        once, the value node computes a fresh buffer (not an alias), is no output and the value
        of no other update, and has v's shape and dtype. Whether the value node's own
        instructions may overwrite v while reading it is checked once they are emitted
        (_writes_after_reading)."""
        step = {node: t for t, node in enumerate(schedule)}
        var_count, val_count = {}, {}
        for var_node, val_node in updates:
            s = id(var_node.op.storage)
            var_count[s] = var_count.get(s, 0) + 1
            val_count[id(self.metas[val_node])] = val_count.get(id(self.metas[val_node]), 0) + 1
        outputs = {id(self.metas[n]) for n in output_nodes}
        for var_node, val_node in updates:
            vm, m = self.metas[var_node], self.metas[val_node]
            s = id(var_node.op.storage)
            if (m.node in step and not m.node.op.alias and var_count[s] == 1
                    and val_count[id(m)] == 1 and id(m) not in outputs
                    and m.shape == vm.shape and m.dtype == vm.dtype
                    and self.last_var_use.get(s, -1) <= step[self.writer[m.node]]):
                self.in_place[m.node] = (var_node, val_node)

    def _writes_after_reading(self, code, out, var_slot, n_out):
        """True if the instructions `code` of one node may write their result into the buffer
        `out` when `out` is the memory of the variable in slot var_slot: they do not read that
        variable at all, or they are one elementwise instruction, whose last n_out buffers are
        its outputs, out among them, that reads it at the index of the element it writes (see
        _ELEMENTWISE)."""
        buffers = self.L.buffers
        reads = [(c, k) for c in code for k, b in enumerate(c[1])
                 if b != out and buffers[b][0] == VAR and buffers[b][1] == var_slot]
        if not reads:
            return True
        if len(code) != 1:
            return False
        kernel, bufs, ip, _, fn, _ = code[0]
        n_in = len(bufs) - n_out
        if fn is not None or out not in bufs[n_in:] or out in bufs[:n_in]:
            return False
        same_index = _ELEMENTWISE.get(KERNEL_NAMES[kernel])
        return same_index is not None and all(
            k < n_in and buffers[bufs[k]][2] == buffers[out][2] and same_index(ip, k) for _, k in reads)

    def read(self, b, t):
        if b in self.times:
            first, last = self.times[b]
            self.times[b] = (first, max(last, t))

    def bind_inputs(self, input_nodes):
        for slot, node in enumerate(input_nodes):
            m = self.metas.get(node)
            if m is not None and m.value is None:
                m.buf = self.L.new_buffer(INPUT, slot, m.nbytes)

    def lower_schedule(self, schedule):
        """Lower each scheduled node in turn; returns the step after the last."""
        L = self.L
        for t, node in enumerate(schedule):
            m = self.metas[node]
            ins = [self.metas[i] for i in node.inputs]
            in_bufs = [self.buffer_of(i) for i in ins]
            for b in in_bufs:
                self.read(b, t)
            if node.op.alias:
                m.buf = in_bufs[0]
                continue
            if isinstance(node.op, Output):     # written by its node, lowered before it
                continue
            outs = [m] + [p for _, p in sorted(self.projections.get(node, {}).items())]
            for o in outs:
                o.buf = L.new_buffer(ARENA, None, o.nbytes)
                self.times[o.buf] = (t, t)
            L.node, L.temps, first = node, [], len(L.code)
            L.outputs = self.projections.get(node, {})
            node.op.lower(ins, m, L)
            for b in L.temps:
                self.times[b] = (t, t)
            code = L.code[first:]
            placed = [self.write_in_place(o, code, len(outs)) for o in outs if o.node in self.in_place]
            if len(outs) == 1 and not any(placed):
                self.reuse_dying_input(node, m, t, code)
        L.node, L.outputs = None, {}
        return len(schedule)

    def write_in_place(self, m, code, n_out):
        """Turn the fresh buffer of a planned value node (Meta m), one of the n_out outputs of
        `code`, into its variable's memory when the instructions allow it; the update then needs
        no commit."""
        var_node, val_node = self.in_place[m.node]
        var_buf = self.buffer_of(self.metas[var_node])
        slot = self.L.buffers[var_buf][1]
        if self._writes_after_reading(code, m.buf, slot, n_out):
            self.L.buffers[m.buf][0:2] = [VAR, slot]
            del self.times[m.buf]
            self.written.add((var_node, val_node))
            return True
        return False

    def reuse_dying_input(self, node, m, t, code):
        """Let one elementwise instruction write its result over an arena input read for the
        last time by it (at the index of each element it writes, as for in-place updates), so
        that a chain of elementwise ops works in one buffer. The fresh buffer is left empty."""
        if len(code) != 1 or code[0][4] is not None:
            return
        kernel, bufs, ip = code[0][:3]
        same_index = _ELEMENTWISE.get(KERNEL_NAMES[kernel])
        buffers = self.L.buffers
        if same_index is None or bufs[-1] != m.buf or m.buf in bufs[:-1]:
            return
        for i in node.inputs:
            r = self.root(self.metas[i])
            b = r.buf
            if (b in self.times and buffers[b][0] == ARENA and self.last_use.get(id(r)) == t
                    and buffers[b][2] == buffers[m.buf][2]
                    and all(same_index(ip, k) for k, x in enumerate(bufs[:-1]) if x == b)):
                del self.times[m.buf]
                buffers[m.buf][2] = 0
                bufs[-1] = m.buf = b
                return

    def bind_outputs(self, output_nodes, end):
        """Outputs are written in place into fresh arrays when nothing else shares their
        buffer (an alias op's output shares its input's buffer id), else copied there."""
        L, specs, bound, pending = self.L, [], set(), []
        for k, node in enumerate(output_nodes):
            m = self.metas[node]
            specs.append(_core.OutputSpec(list(m.shape), np.dtype(m.dtype)))
            b = self.buffer_of(m)
            if L.buffers[b][0] == ARENA and b not in bound:
                L.buffers[b][0:2] = [OUTPUT, k]
                bound.add(b)
            else:
                pending.append((b, k, m))
        for b, k, m in pending:
            self.read(b, end)
            L.emit('copy', [b, L.new_buffer(OUTPUT, k, m.nbytes)], [m.nbytes])
        return specs

    def commit_updates(self, updates, end):
        """Snapshot update values that live in a variable, then copy every value into its
        variable: after all outputs, so every update reads old values."""
        L, commits = self.L, []
        for var_node, val_node in updates:
            vm, m = self.metas[var_node], self.metas[val_node]
            if vm.shape != m.shape:
                raise ShapeError('update of %s: the variable has shape %s but its new value has shape %s%s'
                                 % (variable_label(var_node), vm.shape, m.shape, describe(val_node.prov)))
            if (var_node, val_node) in self.written:
                continue
            b = self.buffer_of(m)
            self.read(b, end)
            if L.buffers[b][0] == VAR:
                snap = L.new_buffer(ARENA, None, m.nbytes)
                self.times[snap] = (end, end + 1)
                L.emit('copy', [b, snap], [m.nbytes])
                b = snap
            else:
                self.read(b, end + 1)
            commits.append((b, self.buffer_of(vm), m.nbytes))
        for src, dst, nbytes in commits:
            L.emit('copy', [src, dst], [nbytes])

    def program(self, out_specs, n_inputs):
        L = self.L
        arena = _plan_arena(L.buffers, self.times)
        program = _core.Program([_core.BufSpec(k, i if i is not None else 0, n) for k, i, n in L.buffers],
                                arena, self.consts, self.variables, out_specs, n_inputs)
        for kernel, bufs, ip, fp, fn, _ in L.code:
            if fn is None:
                program.add(kernel, bufs, ip, fp)
            elif isinstance(fn, list):
                program.add_loop(fn, bufs, ip)
            else:
                program.add_callback(fn, bufs[0])
        return program


def _contiguous(shape, strides):
    """True if element strides walk `shape` in C order (size-1 dimensions may have any stride)."""
    expect = 1
    for d, s in zip(reversed(shape), reversed(strides)):
        if d != 1 and s != expect:
            return False
        expect *= d
    return True


def _binary_same_index(ip, k):      # ip: [code, dtype, ndim, shape, strides of x, strides of y]
    nd = ip[2]
    return _contiguous(ip[3:3 + nd], ip[3 + nd * (1 + k):3 + nd * (2 + k)])


def _switch_same_index(ip, k):      # ip: [dtype, ndim, shape, strides of c, x, y]
    nd = ip[1]
    return _contiguous(ip[2:2 + nd], ip[2 + nd * (1 + k):2 + nd * (2 + k)])


def _fused_same_index(ip, k):
    """ip: [dtype, n_in, n_out, n_regs, ndim, shape, in_bool[n_in], strides[n_in * ndim],
    n_instr, instr[n_instr * 5]], an instruction being [op, dst, a, b, c] (csrc/kernels/fused.cpp).
    The program runs tile by tile; its ops are elementwise and may write a register they read
    (the kernel's contract), and a contiguous input's register points into the input itself.
    So: the n_out STOREs, one per output, are the last instructions (after every load and op
    of the tile), each of a register computed by an op (storing a loaded register would copy
    the input onto itself), and input k is read at the output's index."""
    n_in, n_out, nd = ip[1], ip[2], ip[4]
    strides_at = 5 + nd + n_in
    code = ip[strides_at + n_in * nd + 1:]
    instrs = [code[i:i + 5] for i in range(0, len(code), 5)]
    body, stores = instrs[:len(instrs) - n_out], instrs[len(instrs) - n_out:]
    if (not body or any(c[0] == _FUSED_STORE for c in body)
            or sorted(c[3] for c in stores if c[0] == _FUSED_STORE) != list(range(n_out))):
        return False
    for store in stores:
        writer = next((c for c in reversed(body) if c[1] == store[2]), None)
        if writer is None or writer[0] == _FUSED_LOAD:
            return False
    return _contiguous(ip[5:5 + nd], ip[strides_at + k * nd:strides_at + (k + 1) * nd])


_FUSED_LOAD, _FUSED_STORE = 0, 2

# The kernels that may write their output over one of their inputs (the variable being
# updated, or an arena value that dies there), with the test that they read that input at the
# index of each output element.
# Each computes output element i from input elements only, reading them before writing
# element i, and never reads an element it has already written: unary and cast (contiguous
# loops y[i] = f(x[i])), binary and switch (loops over lines of the broadcast shape, z[i] =
# f(x[i], y[i]) through element strides; in place only when the variable's strides are the
# output's, i.e. not broadcast, transposed or reversed), fused_elementwise (tiles: all loads
# and ops of a tile, then the stores of its outputs). The caller also requires the input
# and the output to have the same size in bytes (so the same element size: no widening
# casts). Anything else (gemm, reductions, softmax, copies, gathers...) may read other
# elements after writing, so a value node that reads its own variable through such a kernel
# gets a commit instead.
_ELEMENTWISE = {
    'unary': lambda ip, k: True,
    'cast': lambda ip, k: True,
    'binary': _binary_same_index,
    'switch': _switch_same_index,
    'fused_elementwise': _fused_same_index,
}


def variable_label(node):
    """'variable 'w'' or 'an unnamed variable', for messages about a variable node."""
    name = node.op.storage.name
    return 'variable %r' % name if name else 'an unnamed variable'


def _plan_arena(buffers, times):
    """Give each arena buffer an offset so that buffers alive at the same time do not overlap.
    Buffers are placed in order of first write; a heap releases those whose last read has
    passed into a coalescing free list, and each new buffer takes the first free block that
    fits (or grows the arena). Returns the arena size in bytes."""
    live = []    # heap of (last step, offset, bytes)
    free = []    # sorted, coalesced (offset, bytes)
    top = 0
    for b in sorted((b for b in times if buffers[b][0] == ARENA), key=lambda b: times[b][0]):
        first, last = times[b]
        while live and live[0][0] < first:
            _, off, n = heapq.heappop(live)
            _release(free, off, n)
        need = -(-max(buffers[b][2], 1) // _ALIGN) * _ALIGN
        for i, (off, n) in enumerate(free):
            if n >= need:
                free[i:i + 1] = [(off + need, n - need)] if n > need else []
                break
        else:
            if free and free[-1][0] + free[-1][1] == top:   # grow the last free block
                off = free.pop()[0]
            else:
                off = top
            top = max(top, off + need)
        buffers[b][1] = off
        heapq.heappush(live, (last, off, need))
    return top


def _release(free, off, n):
    i = bisect.bisect(free, (off, n))
    if i < len(free) and off + n == free[i][0]:      # merge with the next block
        n += free.pop(i)[1]
    if i > 0 and free[i - 1][0] + free[i - 1][1] == off:   # and with the previous one
        off, n = free[i - 1][0], free[i - 1][1] + n
        i -= 1
        free.pop(i)
    free.insert(i, (off, n))


def threads():
    """The number of threads kernels may use (OMP_NUM_THREADS, K's setting)."""
    return _core.get_num_threads()


def gemm_flops():
    """The flops above which a matrix product uses several threads (csrc/runtime/kernel.hpp)."""
    return _core.parallel_policy()[2]


def opcodes(family):
    """{name: code} of the elementwise opcodes of a kernel family ('unary', 'binary')."""
    return {name: i for i, name in enumerate(_core.opcodes(family))}


def dtype_code(dtype):
    return DTYPE_CODES[dtype]
