"""FusedElementwise: a group of elementwise ops computed in one pass by the interpreter kernel
fused_elementwise (csrc/kernels/fused.cpp, whose header is the bytecode contract). Built only by
the rewrite pass rewrite/fuse_elementwise.py, after differentiation, so it has no gradient.

The program is in SSA form, a tuple of instructions; value i is the result of instruction i
and the last instruction's value is the output (output 0, the node's own value):
    ('load', k)                  input k (of the op's dtype, or bool)
    ('const', value, dtype)      a number of dtype (the op's dtype, or 'bool')
    ('unary', code, a, params)   elementwise.Unary(code, params) of value a
    ('binary', code, a, b)       elementwise.Binary(code)
    ('select', c, a, b)          elementwise.Switch
    ('cast', dtype, a)           elementwise.Cast to the op's dtype or to 'bool'
Values are of the op's float dtype or bool; the kernel holds bools as 0/1 of the float type.
The op's output has one dtype and the inputs' broadcast shape, padded with leading 1s to `rank`
(constants folded into the program may have had more dimensions than any input).

Several outputs: `outputs` lists further values of the program (of the op's dtype) that are
needed outside it, e.g. an optimizer's new accumulator, which is both an update value and read
by the new parameter. Value outputs[k - 1] is output k, read by the graph through the
projection node graph.Output(k) on this node. When the node is lowered, L.outputs holds the
Metas of the projections the program needs ({k: Meta}, buffers already made); only those are
stored, so an output nobody reads costs nothing. The kernel's buffers are the inputs, output
0, then the needed outputs in order of k; every STORE comes after the last op of the program
(so a tile is read entirely before any output of it is written: lower.py's in-place rules).
"""
import numpy as np

from ..graph import Op, ShapeError, fmt_shape
from ..lower import dtype_code, opcodes
from . import strides as S
from .elementwise import Binary, Cast, Switch, Unary, broadcast_shape

__all__ = ['FusedElementwise', 'registers']

UNARY = opcodes('unary')
BINARY = opcodes('binary')
# csrc/kernels/fused.cpp: opcodes of the interpreter
LOAD, CONST, STORE, SELECT, TOBOOL = range(5)
UNARY_BASE, BINARY_BASE = 32, 64
MAX_REGISTERS, MAX_INPUTS = 32, 64
COSTLY = frozenset(('EXP', 'LOG', 'SIN', 'COS', 'TANH', 'SIGMOID', 'SOFTPLUS', 'EXPM1', 'POWC'))


def operands(ins):
    """The values an instruction reads."""
    kind = ins[0]
    if kind == 'unary':
        return (ins[2],)
    if kind == 'binary':
        return ins[2:4]
    if kind == 'select':
        return ins[1:4]
    if kind == 'cast':
        return (ins[2],)
    return ()


def _is_alias(ins, dtype):
    """A cast that changes nothing in the kernel: bool to float (0/1 already)."""
    return ins[0] == 'cast' and ins[1] == dtype


def registers(program, dtype, stored=()):
    """(register of each value, number of registers) by linear scan: a register is free again
    after the last read of its value, and may be the destination of the instruction doing
    that read (every op is elementwise). The last value and the values `stored` are stored at
    the end, so they stay live to the end."""
    rep = list(range(len(program)))   # the value whose register holds value i
    for i, ins in enumerate(program):
        if _is_alias(ins, dtype):
            rep[i] = rep[ins[2]]
    last = {}
    for i, ins in enumerate(program):
        for a in operands(ins):
            last[rep[a]] = i
    for v in (len(program) - 1,) + tuple(stored):     # the outputs are stored at the end
        last[rep[v]] = len(program)
    reg, free, count = {}, [], 0
    for i, ins in enumerate(program):
        if rep[i] != i:
            continue
        for a in set(rep[a] for a in operands(ins)):
            if last[a] == i:
                free.append(reg[a])
        if free:
            reg[i] = free.pop()
        else:
            reg[i] = count
            count += 1
        if i not in last:      # never read (cannot happen in a built program): free at once
            free.append(reg[i])
    return [reg[rep[i]] for i in range(len(program))], count


class FusedElementwise(Op):
    def __init__(self, program, dtype, rank, outputs=()):
        self.program = tuple(program)
        self.dtype = dtype
        self.rank = rank
        self.outputs = tuple(outputs)

    @property
    def name(self):
        return 'fused'

    @property
    def detail(self):
        """The program's operations in order (loads and constants left out), for listings."""
        steps = [str(ins[1]).lower() if ins[0] in ('unary', 'binary') else ins[0]
                 for ins in self.program if ins[0] not in ('load', 'const')]
        more = ' -> %d outputs' % (1 + len(self.outputs)) if self.outputs else ''
        return '%s%s' % (' '.join(steps), more)

    def infer(self, ins):
        shape = ()
        for k, x in enumerate(ins):
            if x.dtype not in (self.dtype, 'bool'):
                raise ShapeError('input %d has dtype %s; a fused %s program reads %s or bool'
                                 % (k, x.dtype, self.dtype, self.dtype))
            try:
                shape = broadcast_shape(shape, x.shape)
            except ShapeError:
                raise ShapeError('input %d of shape %s does not broadcast with %s'
                                 % (k, fmt_shape(x.shape), fmt_shape(shape))) from None
        return self.dtype, (1,) * (self.rank - len(shape)) + tuple(shape)

    def fold(self, ins):
        """A program with several outputs is never folded: its projections could not be."""
        return None if self.outputs else super().fold(ins)

    def ref(self, *arrays):
        return self.evaluate(*arrays)[0]

    def evaluate(self, *arrays):
        """numpy run of the program: each instruction is its original op's reference. Returns
        every output (0, then those of `outputs`)."""
        vals = []
        for ins in self.program:
            kind = ins[0]
            if kind == 'load':
                v = np.asarray(arrays[ins[1]])
            elif kind == 'const':
                v = np.asarray(ins[1], dtype=ins[2])
            elif kind == 'unary':
                v = Unary(ins[1], ins[3]).ref(vals[ins[2]])
            elif kind == 'binary':
                v = Binary(ins[1]).ref(vals[ins[2]], vals[ins[3]])
            elif kind == 'select':
                v = Switch().ref(*[vals[a] for a in ins[1:4]])
            else:
                v = Cast(ins[1]).ref(vals[ins[2]])
            vals.append(v)
        shape = self.infer([_Shape(np.asarray(a)) for a in arrays])[1]
        return [np.broadcast_to(vals[v], shape).astype(self.dtype)
                for v in (len(vals) - 1,) + self.outputs]

    def grad(self, ins, out, g):
        raise TypeError('K.gradients: a fused elementwise op exists only in rewritten programs, '
                        'after differentiation; differentiate the graph before rewriting it')

    def lower(self, ins, out, L):
        shape = list(out.shape)
        dims, strides = S.collapse(shape, *[S.broadcast_strides(x.shape, shape) for x in ins])
        if not dims:    # a 0-d result: one element
            dims, strides = [1], [[0] for _ in ins]
        needed = sorted(L.outputs)
        stored = [self.outputs[k - 1] for k in needed]
        ip, fp = self.bytecode(stored)
        header = [dtype_code(self.dtype), len(ins), 1 + len(stored),
                  registers(self.program, self.dtype, stored)[1], len(dims)] + dims
        header += [int(x.dtype == 'bool') for x in ins]
        for st in strides:
            header += st
        outs = [out.buf] + [L.outputs[k].buf for k in needed]
        L.emit('fused_elementwise', [x.buf for x in ins] + outs, header + ip, fp)

    def bytecode(self, stored=()):
        """(ip from n_instr on, fp) of the program storing output 0 and then the values
        `stored` as outputs 1, 2, ...; the STOREs come last, output 0's very last (the kernel
        computes it straight into its output)."""
        reg, _ = registers(self.program, self.dtype, stored)
        code, fp = [], []
        for i, ins in enumerate(self.program):
            kind = ins[0]
            r = [reg[a] for a in operands(ins)]
            if kind == 'load':
                code.append([LOAD, reg[i], ins[1], 0, 0])
            elif kind == 'const':
                code.append([CONST, reg[i], len(fp), 0, 0])
                fp.append(float(ins[1]))
            elif kind == 'unary':
                code.append([UNARY_BASE + UNARY[ins[1]], reg[i], r[0], len(fp), 0])
                fp.extend(ins[3])
            elif kind == 'binary':
                code.append([BINARY_BASE + BINARY[ins[1]], reg[i], r[0], r[1], 0])
            elif kind == 'select':
                code.append([SELECT, reg[i]] + r)
            elif not _is_alias(ins, self.dtype):
                code.append([TOBOOL, reg[i], r[0], 0, 0])
        for j, v in enumerate(stored):
            code.append([STORE, 0, reg[v], 1 + j, 0])
        code.append([STORE, 0, reg[-1], 0, 0])
        return [len(code)] + [x for c in code for x in c], fp

    def __repr__(self):
        more = ', %d outputs' % (1 + len(self.outputs)) if self.outputs else ''
        return 'fused(%d ops, %s%s)' % (len(self.program), self.dtype, more)


class _Shape:
    """What infer reads of an array."""
    def __init__(self, a):
        self.dtype = 'bool' if a.dtype == np.bool_ else a.dtype.name
        self.shape = a.shape
