"""GEMM epilogue fusion: MatMul (2-D), then a bias add of an (N,) vector broadcast over the rows,
then optionally relu, become one MatMulEpilogue: the gemm kernel adds the bias and applies relu
while the result tile is still in cache, instead of two more passes over the output.

Fusion needs the intermediate (the product, or the pre-activation) to have no other reader, or
it would be computed twice. Readers that only look at the shape (Shape, Dim) do not count: they
fold to constants when a program is specialised. relu's gradient, x > 0 on the pre-activation
x, does count; it is rewritten to read relu's output, relu(x) > 0, which is the same mask bit
for bit (NaN > 0 and relu(NaN) = NaN > 0 are both false), so the pre-activation is no longer
needed after the forward pass and the backward reads what the forward keeps anyway.
"""
import numpy as np

from ..graph import apply, constant_node, toposort
from ..ops.broadcast import Shape
from ..ops.elementwise import Binary, Unary
from ..ops.linalg import MatMul, MatMulEpilogue
from ..ops.shape import Dim, Reshape
from .core import rebuild, transform

_SHAPE_READERS = (Shape, Dim)


def run(roots, budget):
    readers = _readers(roots)
    return transform(roots, lambda node, inputs: _visit(node, inputs, readers), budget)[0]


# ----------------------------------------------------------------------------- matching

def _is_plain_relu(node):
    """relu with slope 0 below zero and no maximum: the epilogue's 'relu'."""
    return (isinstance(node.op, Unary) and node.op.code == 'RELU' and node.op.params[0] == 0
            and np.isnan(node.op.params[1]))


def _is_zero(node):
    return node.value is not None and node.value.ndim == 0 and node.value == 0


def _relu_of(x, readers):
    """The plain relu reading x, if there is one."""
    return next((r for r in readers.get(x, ()) if _is_plain_relu(r)), None)


def _is_relu_mask(node, readers):
    """x > 0 where relu(x) also exists: relu's gradient mask."""
    return (isinstance(node.op, Binary) and node.op.code == 'GT' and _is_zero(node.inputs[1])
            and _relu_of(node.inputs[0], readers) is not None)


def _is_matmul(node):
    return type(node.op) is MatMul


def _bias_add(node):
    """(product, bias) if node is MatMul(a, b) + bias with bias of shape (N,) or (1, N) and the
    sum of the product's shape, else None."""
    if not (isinstance(node.op, Binary) and node.op.code == 'ADD'):
        return None
    for mm, bias in (node.inputs, node.inputs[::-1]):
        # N must be known: a bias of unknown length might be broadcast from size 1
        if (_is_matmul(mm) and node.shape == mm.shape and bias.shape[-1:] == mm.shape[-1:]
                and bias.shape[-1] is not None
                and (len(bias.shape) == 1 or (len(bias.shape) == 2 and bias.shape[0] == 1))):
            return mm, bias
    return None


def _readers(roots):
    """old node -> the nodes reading it (with multiplicity), leaving out shape readers and
    relu masks (rewritten to read relu's output). A root has an extra reader: the caller."""
    readers = {}
    order = toposort(roots)
    for node in order:
        if isinstance(node.op, _SHAPE_READERS):
            continue
        for i in node.inputs:
            readers.setdefault(i, []).append(node)
    masks = {n for n in order if _is_relu_mask(n, readers)}
    readers = {k: [r for r in v if r not in masks] for k, v in readers.items()}
    for r in roots:
        readers.setdefault(r, []).append(None)
    return readers


def _only_reader(x, node, readers):
    return readers.get(x, []) == [node]


def _fusable_add(node, readers):
    match = _bias_add(node)
    return match is not None and _only_reader(match[0], node, readers)


def _fusable_relu(node, readers):
    """relu(x) where x is a product or a fusable bias add that only this relu reads."""
    if not _is_plain_relu(node):
        return False
    x = node.inputs[0]
    return (_is_matmul(x) or _fusable_add(x, readers)) and _only_reader(x, node, readers)


# ----------------------------------------------------------------------------- rewriting

def _fused(old, pre, act):
    """The MatMulEpilogue standing for `old`, given `pre` (rebuilt: a product or a bias add)."""
    if _is_matmul(pre):
        return rebuild(old, MatMulEpilogue(pre.op.trans_a, pre.op.trans_b, False, act), pre.inputs)
    mm, bias = _bias_add(pre)
    if len(bias.shape) == 2:     # (1, N) -> (N,): a reshape, no copy
        bias = apply(Reshape(), bias, constant_node(np.array(bias.shape[1:], np.int64)), prov=bias.prov)
    return rebuild(old, MatMulEpilogue(mm.op.trans_a, mm.op.trans_b, True, act), mm.inputs + (bias,))


def _visit(node, inputs, readers):
    if _fusable_relu(node, readers):
        return _fused(node, inputs[0], 'relu')
    if _fusable_add(node, readers) and not any(
            r is not None and _fusable_relu(r, readers) for r in readers.get(node, ())):
        return _fused(node, rebuild(node, node.op, inputs), None)
    if _is_relu_mask(node, readers):
        relu = _relu_of(node.inputs[0], readers)
        out = _fused(relu, inputs[0], 'relu') if _fusable_relu(relu, readers) \
            else rebuild(relu, relu.op, (inputs[0],))
        return rebuild(node, node.op, (out, inputs[1]))
    return None
