"""Fuse groups of elementwise ops (ops/elementwise.py: unary, binary, switch, cast) into one
FusedElementwise node each (ops/fused.py): one pass over memory instead of one per op.

Groups are found from the roots down. A node joins the group of its consumers when every one
of them is in that one group, it has the group's shape (a smaller value, e.g. a scalar
hyper-parameter expression, is computed once on its own rather than once per element) and
its dtype and its inputs' dtypes are the group's float dtype or bool. Anything
else starts its own group (when it is a float elementwise op) or is read by the groups that
use it. So every node is computed in exactly one place: no work is repeated, no value
is recomputed. Groups of two or more ops are replaced, and so is a lone float32 exp, log,
tanh or sigmoid (the program's versions of those are vectorised; the one-op kernel calls
libm per element); the rest stay as they are.
(Shapes are compared as built: a dimension None in both may still differ at run time; the
program then computes that member per output element, which gives the same values.)

A root (an output or an update value) joins its consumers' group too, when it is of the
group's float dtype and its shape is static (so that it is the program's shape at run time,
too): it becomes a further output of the program (FusedElementwise.outputs), and the new
root is the projection graph.Output(k) of the fused node. So an optimizer update that writes
two values, the new accumulator and the new parameter that reads it, is one program with two
outputs: one pass over the parameter, the accumulator and the gradient. No cycle can appear:
the root's consumers are all in the group, so nothing outside the group reads it.
"""
from ..graph import Output, toposort
from ..ops.broadcast import Shape
from ..ops.elementwise import Binary, Cast, Switch, Unary
from ..ops.fused import MAX_INPUTS, MAX_REGISTERS, FusedElementwise, registers
from ..ops.shape import Dim
from .core import rebuild, transform

ELEMENTWISE = (Unary, Binary, Switch, Cast)
# Ops that read only their input's shape (gradients ask for it): they fold to constants when
# the program is specialised, so they do not need the value computed on its own.
SHAPE_ONLY = (Shape, Dim)
FLOATS = ('float32', 'float64')


def run(roots, budget):
    groups = find_groups(roots)
    root_set = set(roots)
    new_of = {}      # old node -> its rebuilt version, as transform makes them
    projection = {}  # root that became output k >= 1 of a fused node -> Output(k) of that node

    def visit(node, inputs):
        for old, new in zip(node.inputs, inputs):
            new_of[old] = new
        members = groups.get(node)
        if members is None or (len(members) < 2 and not _vectorised_alone(members[0])):
            return None
        outputs = [m for m in members[:-1] if m in root_set]
        fused = fuse(node, members, outputs, new_of)
        if fused is not None:
            for k, m in enumerate(outputs, 1):
                projection[m] = rebuild(m, Output(k), [fused])
        return fused

    new_roots = transform(roots, visit, budget)[0]
    return [projection.get(old, new) for old, new in zip(roots, new_roots)]


# float32 ops whose program versions are vectorised (csrc/kernels/fused.cpp)
VECTORISED = ('EXP', 'LOG', 'TANH', 'SIGMOID')


def _vectorised_alone(node):
    return (isinstance(node.op, Unary) and node.op.code in VECTORISED
            and node.dtype == 'float32')


def find_groups(roots):
    """{group root: its member nodes in topological order (root last)}."""
    order = toposort(roots)
    position = {n: i for i, n in enumerate(order)}
    consumers = {n: set() for n in order}
    for n in order:
        if not isinstance(n.op, SHAPE_ONLY):
            for i in n.inputs:
                consumers[i].add(n)
    root_set = set(roots)
    group_of = {}
    for node in reversed(order):
        if not isinstance(node.op, ELEMENTWISE):
            continue
        owners = {group_of.get(c) for c in consumers[node]}
        if len(owners) == 1:
            g = owners.pop()
            if (g is not None and node.shape == g.shape and _fits(node, g.dtype)
                    and (node not in root_set or _may_be_output(node, g))):
                group_of[node] = g
                continue
        if node.dtype in FLOATS and _fits(node, node.dtype):
            group_of[node] = node
    groups = {}
    for node, g in group_of.items():
        groups.setdefault(g, []).append(node)
    for members in groups.values():
        members.sort(key=position.get)
    return groups


def _may_be_output(node, group):
    """A root may be a further output of the group's program: of its float dtype (the kernel
    stores that), of a static shape (equal to the group's, so equal at run time too)."""
    return node.dtype == group.dtype and None not in node.shape


def _fits(node, dtype):
    """The node can be computed in a program of `dtype`: it and its inputs are of that dtype or
    bool (held as 0/1)."""
    ok = (dtype, 'bool')
    return node.dtype in ok and all(i.dtype in ok for i in node.inputs)


def fuse(root, members, outputs, new_of):
    """The FusedElementwise node computing `root` (and, as outputs 1, 2, ..., the members
    `outputs`) from the group's inputs (rebuilt), or None when the program exceeds the
    interpreter's limits."""
    index = {}       # member or input node -> its value in the program
    program, inputs = [], []

    def value(node):
        if node not in index:
            if node.value is not None and node.value.size == 1:
                program.append(('const', node.value.reshape(()).item(), node.dtype))
            else:
                program.append(('load', len(inputs)))
                inputs.append(new_of[node])
            index[node] = len(program) - 1
        return index[node]

    for node in members:
        args = [value(i) for i in node.inputs]
        op = node.op
        if isinstance(op, Unary):
            program.append(('unary', op.code, args[0], op.params))
        elif isinstance(op, Binary):
            program.append(('binary', op.code) + tuple(args))
        elif isinstance(op, Switch):
            program.append(('select',) + tuple(args))
        else:
            program.append(('cast', op.dtype, args[0]))
        index[node] = len(program) - 1
    stored = [index[m] for m in outputs]
    if len(inputs) > MAX_INPUTS or registers(program, root.dtype, stored)[1] > MAX_REGISTERS:
        return None
    return rebuild(root, FusedElementwise(program, root.dtype, root.ndim, stored), inputs)
