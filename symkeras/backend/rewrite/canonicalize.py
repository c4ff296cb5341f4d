"""Canonicalisation: small local rules that make the graph simpler and give later patterns one
form to match. Each rule is a function rule(node, inputs) -> replacement Node or None, where
`node` is the original and `inputs` its already rewritten inputs; RULES lists them in the order
they are tried. A replacement is offered to the rules again (a few times), so chains such as
neg(neg(neg(x))) collapse in one visit.

Constant folding needs no rule: a node rebuilt on inputs that a rule made constant is folded
by graph.apply as it is rebuilt (switch(true, 2, x) + 1 becomes the constant 3).

Choices about values:
- x * 0 is NOT rewritten to 0: NaN * 0 and inf * 0 are NaN, and the rewrite would hide them.
  Likewise x - x and x / x are kept. exp(log(x)) and log(exp(x)) are kept (not exact in floats).
- Only ADD and MUL inputs are reordered (IEEE addition and multiplication are commutative, bit
  for bit): a constant goes to the right, so identities and patterns look on one side only.
  Non-constant operands keep their order, so programs are the same from run to run.
"""
import numpy as np

from ..graph import Tensor, apply
from ..ops.broadcast import BroadcastTo, Shape, SumTo, static_entries
from ..ops.elementwise import Binary, Cast, Switch, Unary, is_identity
from ..ops.reduce import Reduce
from ..ops.nn import Softmax
from ..ops.index import EmbedSubtensor
from ..ops.shape import Dim, Reshape, Transpose, concatenate, dims_of, reshape
from .core import rebuild, transform

_ROUNDS = 8    # times a replacement is offered to the rules again


def run(roots, budget):
    return transform(roots, _visit, budget)[0]


def _visit(node, inputs):
    current = node if inputs == node.inputs else rebuild(node, node.op, inputs)
    for _ in range(_ROUNDS):
        out = _first_rule(current)
        if out is None or out is current:
            break
        current = out
    return None if current is node else current


def _first_rule(node):
    if not node.inputs:      # leaves
        return None
    for rule in RULES:
        out = rule(node, node.inputs)
        if out is not None:
            return out
    return None


def _same_type(out, node):
    """out may stand for node: same dtype, and a shape at least as well known."""
    return (out.dtype == node.dtype and len(out.shape) == len(node.shape)
            and all(a == b or b is None for a, b in zip(out.shape, node.shape)))


def _code(node, cls):
    return node.op.code if isinstance(node.op, cls) else None


# ----------------------------------------------------------------------------- rules

def constant_right(node, inputs):
    """c + x -> x + c and c * x -> x * c, for a constant c and a non-constant x."""
    if _code(node, Binary) in ('ADD', 'MUL') and inputs[0].value is not None and inputs[1].value is None:
        return rebuild(node, node.op, (inputs[1], inputs[0]))
    return None


_IDENTITY = {'ADD': 0, 'SUB': 0, 'MUL': 1, 'DIV': 1}


def binary_identity(node, inputs):
    """x + 0, x - 0, x * 1, x / 1 -> x, when the constant does not broadcast x to a larger
    shape (x keeps the node's dtype, as both operands of a Binary share it)."""
    code = _code(node, Binary)
    if code in _IDENTITY and is_identity(inputs[1], inputs[0], _IDENTITY[code]):
        return inputs[0] if _same_type(inputs[0], node) else None
    return None


def double_negation(node, inputs):
    """-(-x) -> x."""
    if _code(node, Unary) == 'NEG' and _code(inputs[0], Unary) == 'NEG':
        return inputs[0].inputs[0]
    return None


def transpose_identity(node, inputs):
    """Transpose(0, 1, ..., n-1)(x) -> x; Transpose(p)(Transpose(q)(x)) -> Transpose(q[p])(x)."""
    if not isinstance(node.op, Transpose):
        return None
    perm, x = node.op.perm, inputs[0]
    if isinstance(x.op, Transpose):
        perm, x = tuple(x.op.perm[p] for p in perm), x.inputs[0]
    if perm == tuple(range(len(perm))):
        return x
    return apply(Transpose(perm), x, prov=node.prov) if x is not inputs[0] else None


def reshape_chain(node, inputs):
    """Reshape(Reshape(x, s), t) -> Reshape(x, t): a reshape reads the buffer in order, so only
    the last one counts."""
    if isinstance(node.op, Reshape) and isinstance(inputs[0].op, Reshape):
        return rebuild(node, node.op, (inputs[0].inputs[0], inputs[1]))
    return None


def reshape_identity(node, inputs):
    """Reshape(x, s) -> x when s is x's static shape."""
    if isinstance(node.op, Reshape) and None not in inputs[0].shape:
        if tuple(static_entries(inputs[1])) == inputs[0].shape:
            return inputs[0]
    return None


def cast_identity(node, inputs):
    """Cast(x) to x's own dtype -> x."""
    if isinstance(node.op, Cast) and inputs[0].dtype == node.op.dtype:
        return inputs[0]
    return None


def broadcast_identity(node, inputs):
    """BroadcastTo(x, s) and SumTo(x, s) -> x when s is x's static shape."""
    if isinstance(node.op, (BroadcastTo, SumTo)) and None not in inputs[0].shape:
        if inputs[1].value is not None and tuple(inputs[1].value) == inputs[0].shape:
            return inputs[0]
    return None


def reduce_size_one(node, inputs):
    """sum, prod, max, min over axes of static size 1 -> x (keepdims) or x reshaped without
    them: each group holds one element. Not when the dtype changes (integer sums are int64)."""
    if _code(node, Reduce) not in ('SUM', 'PROD', 'MAX', 'MIN') or node.dtype != inputs[0].dtype:
        return None
    x = inputs[0]
    if not node.op.axes or any(x.shape[a] != 1 for a in node.op.axes):
        return None
    if node.op.keepdims:
        return x
    dims = [d for i, d in enumerate(dims_of(Tensor(x))) if i not in node.op.axes]
    out = reshape(Tensor(x), dims).node
    return rebuild(node, out.op, out.inputs)


def switch_same(node, inputs):
    """switch(c, x, x) -> x, when the condition does not broadcast x to a larger shape."""
    if isinstance(node.op, Switch) and inputs[1] is inputs[2] and _same_type(inputs[1], node):
        if inputs[1].shape == node.shape and None not in node.shape:
            return inputs[1]
    return None


def switch_constant(node, inputs):
    """switch(c, x, y) with c a constant that is all true (all false) -> x (y), when that
    branch already has the node's shape."""
    if not isinstance(node.op, Switch) or inputs[0].value is None or inputs[0].value.size == 0:
        return None
    c = inputs[0]
    branch = inputs[1] if np.all(c.value) else inputs[2] if not np.any(c.value) else None
    if branch is not None and branch.shape == node.shape and None not in node.shape:
        return branch
    return None


def shape_through_elementwise(node, inputs):
    """Shape(f(x)) -> Shape(x) and Dim(f(x)) -> Dim(x) for an op f that keeps its input's shape
    (unary math, cast, softmax): nodes read only for their shape (gradients read many) then no
    longer keep dead intermediates in the graph."""
    if isinstance(node.op, (Shape, Dim)) and isinstance(inputs[0].op, (Unary, Cast, Softmax)):
        return rebuild(node, node.op, inputs[0].inputs[:1])
    return None


def _added(node):
    """The terms of a tree of same-shape additions rooted at node."""
    if _code(node, Binary) == 'ADD' and node.inputs[0].shape == node.inputs[1].shape == node.shape:
        return _added(node.inputs[0]) + _added(node.inputs[1])
    return [node]


def _slice_of_one_axis(node):
    """(axis, start, stop) when node is EmbedSubtensor of a step-1 slice of one axis of a
    static target (every other axis whole), else None."""
    if not isinstance(node.op, EmbedSubtensor) or None in node.shape:
        return None
    cut = [(a, e) for a, e in enumerate(node.op.entries) if e != (None, None, 1)]
    if len(node.op.entries) != len(node.shape) or len(cut) != 1 or not isinstance(cut[0][1], tuple):
        return None
    axis, e = cut[0]
    start, stop, step = slice(*e).indices(node.shape[axis])
    return (axis, start, stop) if step == 1 and stop > start else None


def embedded_pieces(node, inputs):
    """A sum of EmbedSubtensors (zeros with a slice filled: the gradient of slicing) whose
    slices of one axis tile it -> the concatenation of the (summed) pieces. The gradient of a
    fused gate matrix that a recurrent step cuts into its gates is then one copy per gate
    instead of a zero-filled full-size tensor per use of a gate."""
    if _code(node, Binary) != 'ADD':
        return None
    pieces = {}
    for term in _added(node):
        cut = _slice_of_one_axis(term)
        if cut is None or term.dtype != node.dtype or term.shape != node.shape:
            return None
        pieces.setdefault(cut, []).append(Tensor(term.inputs[0]))
    axes = {axis for axis, _, _ in pieces}
    order = sorted(pieces, key=lambda c: c[1])
    if len(axes) != 1 or len(order) < 2 or order[0][1] != 0 or order[-1][2] != node.shape[order[0][0]]:
        return None
    if any(a[2] != b[1] for a, b in zip(order, order[1:])):
        return None
    parts = []
    for cut in order:
        total = pieces[cut][0]
        for t in pieces[cut][1:]:
            total = total + t
        parts.append(total)
    return concatenate(parts, axis=order[0][0]).node


RULES = [constant_right, binary_identity, double_negation, transpose_identity,
         reshape_chain, reshape_identity, cast_identity, broadcast_identity, reduce_size_one,
         switch_same, switch_constant, shape_through_elementwise, embedded_pieces]
