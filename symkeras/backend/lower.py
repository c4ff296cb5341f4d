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
KERNELS = {name: i for i, name in enumerate(KERNEL_NAMES)}
ARENA, INPUT, OUTPUT, CONST, VAR = range(5)
_ALIGN = 64


class Meta:
    """What is known about a node's value in one specialisation."""
    __slots__ = ('shape', 'dtype', 'value', 'node', 'buf')

    def __init__(self, shape, dtype, value=None, node=None):
        self.shape = tuple(shape)
        self.dtype = dtype
        self.value = value
        self.node = node
        self.buf = None

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

    def callback(self, fn, bufs, ip=()):
        self.code.append((None, list(bufs), [int(i) for i in ip], [], fn, self.node))

    def temp(self, shape, dtype):
        """A scratch buffer that lives while the current node is computed."""
        nbytes = int(np.prod(shape, dtype=np.int64)) * np.dtype(dtype).itemsize
        b = self.new_buffer(ARENA, None, nbytes)
        self.temps.append(b)
        return b


def specialise(order, input_metas, update_pairs, outputs):
    """Metas for every node in `order` given concrete `input_metas` {node: Meta}."""
    metas = dict(input_metas)
    for node in order:
        if node in metas:
            continue
        op = node.op
        if isinstance(op, Constant):
            metas[node] = Meta(node.shape, node.dtype, node.value, node)
            continue
        if isinstance(op, VariableLeaf):
            arr = op.storage.array
            metas[node] = Meta(arr.shape, node.dtype, None, node)
            continue
        if isinstance(op, Placeholder):
            raise AssertionError('unbound placeholder reached specialise')
        ins = [metas[i] for i in node.inputs]
        try:
            for i in op.static_inputs:
                if ins[i].value is None:
                    raise ShapeError('input %d must be computable from shapes and constants '
                                     'before the step runs' % i)
            k = op.forward(ins)
            if k is not None:
                metas[node] = ins[k]
                continue
            dtype, shape = op.infer(ins)
            if any(d is None for d in shape):
                raise ShapeError('output shape %s is not known after specialisation' % (shape,))
            value = None
            if op.pure and math.prod(shape) <= FOLD_LIMIT:
                value = op.fold(ins)
        except ShapeError as e:
            raise ShapeError('%s: %s%s' % (op.name, e, describe(node.prov))) from None
        if value is not None:
            value = np.asarray(value, dtype=dtype)
        metas[node] = Meta(shape, dtype, value, node)
    return metas


def needed_nodes(order, metas, roots):
    """Nodes whose kernels must run to produce `roots` (metas), in topological order."""
    need = set()
    stack = list(roots)
    seen = set()
    while stack:
        m = stack.pop()
        if id(m) in seen:
            continue
        seen.add(id(m))
        if m.value is not None or not m.node.inputs:
            continue
        need.add(m.node)
        stack.extend(metas[i] for i in m.node.inputs)
    return [n for n in order if n in need and metas[n].node is n]


def build_program(order, metas, input_nodes, output_nodes, updates):
    """A _core.Program for one specialisation. `updates` is [(variable_node, value_node)]."""
    L = Lowering()
    consts, variables, var_slot = [], [], {}

    def buffer_of(m):
        if m.buf is not None:
            return m.buf
        op = m.node.op
        if m.value is not None:
            consts.append(np.ascontiguousarray(m.value, dtype=m.dtype))
            m.buf = L.new_buffer(CONST, len(consts) - 1, m.nbytes)
        elif isinstance(op, VariableLeaf):
            if id(op.storage) not in var_slot:
                var_slot[id(op.storage)] = len(variables)
                variables.append(op.storage.array)
            m.buf = L.new_buffer(VAR, var_slot[id(op.storage)], m.nbytes)
        else:
            raise AssertionError('buffer of an unlowered node %r' % (m.node,))
        return m.buf

    for slot, node in enumerate(input_nodes):
        m = metas.get(node)
        if m is not None and m.value is None:
            m.buf = L.new_buffer(INPUT, slot, m.nbytes)

    roots = [metas[n] for n in output_nodes] + [metas[v] for _, v in updates]
    schedule = needed_nodes(order, metas, roots)
    times = {}          # buffer -> (first write, last read) in schedule steps
    for t, node in enumerate(schedule):
        m = metas[node]
        ins = [metas[i] for i in node.inputs]
        in_bufs = [buffer_of(i) for i in ins]
        for b in in_bufs:
            _read(times, b, t)
        if node.op.alias:
            m.buf = in_bufs[0]
            continue
        m.buf = L.new_buffer(ARENA, None, m.nbytes)
        times[m.buf] = (t, t)
        L.node, L.temps = node, []
        node.op.lower(ins, m, L)
        for b in L.temps:
            times[b] = (t, t)
    end = len(schedule)

    # outputs: written in place into fresh arrays when nothing else shares them
    out_specs = []
    bound = set()
    pending = []
    for k, node in enumerate(output_nodes):
        m = metas[node]
        out_specs.append(_core.OutputSpec(list(m.shape), np.dtype(m.dtype)))
        b = buffer_of(m)   # an alias op's output shares its input's buffer id
        if L.buffers[b][0] == ARENA and b not in bound:
            L.buffers[b][0:2] = [OUTPUT, k]
            bound.add(b)
        else:
            pending.append((b, k, m))
    L.node = None
    for b, k, m in pending:
        _read(times, b, end)
        L.emit('copy', [b, L.new_buffer(OUTPUT, k, m.nbytes)], [m.nbytes])

    # updates: snapshot values that live in a variable, then commit every update
    commits = []
    for var_node, val_node in updates:
        vm, m = metas[var_node], metas[val_node]
        if vm.shape != m.shape:
            raise ShapeError('update of %s: the variable has shape %s but its new value has shape %s%s'
                             % (_label(var_node), vm.shape, m.shape, describe(val_node.prov)))
        b = buffer_of(m)
        _read(times, b, end)
        if L.buffers[b][0] == VAR:
            snap = L.new_buffer(ARENA, None, m.nbytes)
            times[snap] = (end, end + 1)
            L.emit('copy', [b, snap], [m.nbytes])
            b = snap
        else:
            _read(times, b, end + 1)
        commits.append((b, buffer_of(vm), m.nbytes))
    for src, dst, nbytes in commits:
        L.emit('copy', [src, dst], [nbytes])

    arena = _plan_arena(L.buffers, times)
    program = _core.Program([(k, i if i is not None else 0) for k, i, _ in L.buffers], arena,
                            consts, variables, out_specs, len(input_nodes))
    for kernel, bufs, ip, fp, fn, _ in L.code:
        if fn is None:
            program.add(kernel, bufs, ip, fp)
        else:
            program.add_callback(fn, bufs, ip)
    return program, [c[5] for c in L.code]


def _label(node):
    op = node.op
    name = getattr(getattr(op, 'storage', None), 'name', None)
    return repr(name) if name else 'variable'


def _read(times, b, t):
    if b in times:
        first, last = times[b]
        times[b] = (first, max(last, t))


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
