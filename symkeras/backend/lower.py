"""Lowering: specialise a graph to concrete input shapes and turn it into a runtime Program.

For one set of input shapes (and learning-phase value) this module
  1. re-runs every op's shape rule with concrete shapes, folding what became static
     (shape arithmetic, the learning phase, anything built from them) and letting ops
     forward an input (in_train_phase picks its branch here, so the other branch never runs);
  2. keeps only the nodes the outputs and updates need, in topological order;
  3. asks each op to emit its kernel instructions;
  4. plans buffer lifetimes and packs the intermediate buffers into one arena;
  5. binds outputs to fresh arrays (written in place by the kernel that computes them, copied
     when they alias something else) and appends the update commits, which run after every
     output is computed, so updates read the old value of every variable (Theano semantics).
"""
import bisect
import heapq
import math

import numpy as np

from .. import _core
from .graph import DTYPE_CODES, FOLD_LIMIT, Constant, Placeholder, ShapeError, VariableLeaf, describe

KERNEL_NAMES = _core.kernel_names()
KernelError = _core.KernelError     # (message, instruction index) from a failing kernel
KERNELS = {name: i for i, name in enumerate(KERNEL_NAMES)}
ARENA, INPUT, OUTPUT, CONST, VAR = range(5)
_ALIGN = 64


class Meta:
    """What is known about a node's value in one specialisation."""
    __slots__ = ('shape', 'dtype', 'value', 'node', 'buf', 'error')

    def __init__(self, shape, dtype, value=None, node=None):
        self.shape = tuple(shape)
        self.dtype = dtype
        self.value = value
        self.node = node
        self.buf = None
        self.error = None    # the ShapeError of a node whose shapes do not fit

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
        self.code = []          # (kernel, bufs, ip, fp, callback, node)
        self.node = None        # the node being lowered (for provenance)
        self.temps = []         # buffers made by temp() while lowering self.node

    def new_buffer(self, kind, index, nbytes):
        self.buffers.append([kind, index, nbytes])
        return len(self.buffers) - 1

    def emit(self, kernel, bufs, ip=(), fp=()):
        self.code.append((KERNELS[kernel], list(bufs), [int(i) for i in ip],
                          [float(f) for f in fp], None, self.node))

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
        dtype, shape = op.infer(ins)
        if any(d is None for d in shape):
            raise ShapeError('output shape %s is not known after specialisation' % (shape,))
        value = op.fold(ins) if op.pure and math.prod(shape) <= FOLD_LIMIT else None
    except ShapeError as e:
        m = Meta(node.shape, node.dtype, None, node)
        m.error = ShapeError('%s: %s%s' % (op.name, e, describe(node.prov)))
        return m
    return Meta(shape, dtype, None if value is None else np.asarray(value, dtype=dtype), node)


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
    end = b.lower_schedule(needed_nodes(order, metas, roots))
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
            m.buf = L.new_buffer(ARENA, None, m.nbytes)
            self.times[m.buf] = (t, t)
            L.node, L.temps = node, []
            node.op.lower(ins, m, L)
            for b in L.temps:
                self.times[b] = (t, t)
        L.node = None
        return len(schedule)

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
            else:
                program.add_callback(fn, bufs[0])
        return program


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


def opcodes(family):
    """{name: code} of the elementwise opcodes of a kernel family ('unary', 'binary')."""
    return {name: i for i, name in enumerate(_core.opcodes(family))}


def dtype_code(dtype):
    return DTYPE_CODES[dtype]
