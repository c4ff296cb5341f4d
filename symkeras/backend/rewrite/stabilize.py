"""Stable forms of Keras 1's crossentropies, forward and backward.

Categorical: K.categorical_crossentropy on a softmax builds
    p = softmax(z); q = p / sum(p, -1, keepdims); c = clip(q, eps, 1 - eps); log(c)
(with from_logits, q = p: no renormalisation)
and K.gradients differentiates that chain op by op (log, clip mask, the renormalisation's two
paths, softmax). log is increasing, so log(clip(q, lo, hi)) = clip(log q, log lo, log hi), and
log q = log_softmax(z) - log(sum(p)) with sum(p) = 1 up to rounding: the log is rewritten to
    clip(log_softmax(z), log lo, log hi),   log_softmax(z) = (z - max z) - log(sum(exp(z - max z)))
which keeps the bound's effect on values (the loss of a saturated class is still -log eps) and
on gradients (zero where clipped). The gradient chain, ending in softmax's gradient
p * (gp - sum(gp * p)), is rewritten to its closed form
    w - p * sum(w, -1, keepdims),   w = g_log where the clip passes it, else 0
(g_log: the gradient arriving at the log), so q, sum(p), the clipped values and the divisions
by them are no longer computed.

Binary: K.binary_crossentropy on a sigmoid builds c = clip(sigmoid(x), lo, hi), log(c) and
log(1 - c). They become clip(-softplus(-x), log lo, log hi) and
clip(-softplus(x), log(1 - hi), log(1 - lo)), with 1 - hi and 1 - lo rounded in the tensor's
dtype as the original computes them. Their gradient, which K.gradients built as
sigmoid'(x) * mask * (g1 / c - g2 / (1 - c)), becomes the log-sigmoids' own:
g1 * m1 * (1 - s) - g2 * m2 * s (m1, m2 the masks of the two clips), so c, 1 - c and the
divisions by them are no longer computed.

Bounds are those of the original values rounded in the tensor's dtype, so a clipped element
has the same loss and no gradient in both forms; on an element within a rounding of a bound the
two forms may disagree on whether it is clipped.
"""
import numpy as np

from ..graph import Tensor
from ..ops import reduce as R
from ..ops.broadcast import BroadcastTo, SumTo
from ..ops.elementwise import Binary, Switch, Unary, clip, exp, log, softplus, switch
from ..ops.nn import Softmax
from ..ops.reduce import Reduce
from .core import rebuild, transform


def run(roots, budget):
    return transform(roots, _visit, budget)[0]


def _visit(node, inputs):
    for rule in (_categorical_log, _categorical_grad, _binary_log, _binary_grad):
        out = rule(node, inputs)
        if out is not None:
            return out
    return None


# ----------------------------------------------------------------------------- matching helpers

def _is(node, cls, code=None):
    return isinstance(node.op, cls) and (code is None or node.op.code == code)


def _operands(node, code):
    """Both orders of a commutative binary node's operands (none if node is not `code`)."""
    if not _is(node, Binary, code):
        return ()
    a, b = node.inputs
    return ((a, b), (b, a))


def _scalar(node, value):
    return node.value is not None and node.value.ndim == 0 and node.value == value


def _last_axis_sum(node, x):
    """node is sum(x, -1, keepdims=True)."""
    return (_is(node, Reduce, 'SUM') and node.op.keepdims and node.inputs[0] is x
            and node.op.axes == (x.ndim - 1,))


def _unsum(node):
    """The input of a SumTo (the gradient's adjoint of broadcasting), else the node."""
    return node.inputs[0] if isinstance(node.op, SumTo) else node


def _renormalised_softmax(q):
    """(p, s, z) if q is p / s with p = softmax(z) and s = sum(p, -1, keepdims), else None."""
    if not _is(q, Binary, 'DIV'):
        return None
    p, s = q.inputs
    if isinstance(p.op, Softmax) and _last_axis_sum(s, p):
        return p, s, p.inputs[0]
    return None


def _bounded_clip(c):
    """(x, lo, hi) if c is clip(x, lo, hi) with 0 < lo <= hi < 1, else None."""
    if not _is(c, Unary, 'CLIP'):
        return None
    lo, hi = c.op.params
    return (c.inputs[0], lo, hi) if 0 < lo <= hi < 1 else None


def _in_dtype(v, dtype):
    """v rounded to dtype, as the clip kernel compares with it."""
    return float(np.asarray(v, dtype=dtype))


# ----------------------------------------------------------------------------- categorical

def log_softmax(z):
    """(z - max z) - log(sum(exp(z - max z))) over the last axis."""
    shifted = Tensor(z) - R.max(Tensor(z), axis=-1, keepdims=True)
    return shifted - log(R.sum(exp(shifted), axis=-1, keepdims=True))


def _log_bounds(lo, hi, dtype):
    return np.log(_in_dtype(lo, dtype)), np.log(_in_dtype(hi, dtype))


def _clipped_log_softmax(z, lo, hi):
    return clip(log_softmax(z), *_log_bounds(lo, hi, z.dtype)).node


def _softmax_input(q):
    """z if q is softmax(z) (from_logits) or softmax(z) / sum(softmax(z)), else None."""
    if isinstance(q.op, Softmax):
        return q.inputs[0]
    match = _renormalised_softmax(q)
    return match and match[2]


def _categorical_log(node, inputs):
    """log(clip(q, lo, hi)) with q = softmax(z) / sum(softmax(z)) or softmax(z) ->
    clip(log_softmax(z), log lo, log hi)."""
    if not _is(node, Unary, 'LOG'):
        return None
    match = _bounded_clip(inputs[0])
    z = match and _softmax_input(match[0])
    if not z:
        return None
    out = _clipped_log_softmax(z, *inputs[0].op.params)
    return rebuild(node, out.op, out.inputs)


def _log_grad_of(gq, c):
    """g_log if gq is switch(mask, g_log / c, 0): the clip's and the log's gradients."""
    if not (_is(gq, Switch) and _scalar(gq.inputs[2], 0)):
        return None
    d = gq.inputs[1]
    if _is(d, Binary, 'DIV') and d.inputs[1] is c:
        return d.inputs[0]
    return None


def _renormalisation_terms(terms, p):
    """Find, among the terms of p's gradient, the two that the renormalisation q = p / s sends:
    sum_to(gq / s) and broadcast_to(sum_to(-(gq * q / s), shape(s))). Returns (g_log, lo, hi,
    other terms) or None."""
    for i, t1 in enumerate(terms):
        d = _unsum(t1)
        if not (_is(d, Binary, 'DIV') and _last_axis_sum(d.inputs[1], p)):
            continue
        gq, s = d.inputs
        for j, t2 in enumerate(terms):
            if j == i or not isinstance(t2.op, BroadcastTo):
                continue
            neg = _unsum(t2.inputs[0])
            if not _is(neg, Unary, 'NEG') or not _is(neg.inputs[0], Binary, 'DIV'):
                continue
            prod, s2 = neg.inputs[0].inputs
            for a, q in _operands(prod, 'MUL'):
                if a is not gq or s2 is not s or (_renormalised_softmax(q) or (None,))[0] is not p:
                    continue
                c = _find_clip_of(gq, q)
                g_log = c is not None and _log_grad_of(gq, c)
                if g_log:
                    rest = [t for k, t in enumerate(terms) if k not in (i, j)]
                    return g_log, c.op.params[0], c.op.params[1], rest
    return None


def _direct_term(terms, p):
    """Find, among the terms of p's gradient, the one the clip of p itself sends (Keras'
    from_logits form): switch(mask, g_log / clip(p), 0). Returns (g_log, lo, hi, other terms)
    or None."""
    for i, t in enumerate(terms):
        gq = _unsum(t)
        c = _find_clip_of(gq, p)
        g_log = c is not None and _log_grad_of(gq, c)
        if g_log:
            return g_log, c.op.params[0], c.op.params[1], terms[:i] + terms[i + 1:]
    return None


def _find_clip_of(gq, q):
    """The clip node c = clip(q, lo, hi) that gq = switch(mask, g / c, 0) divides by."""
    d = gq.inputs[1] if _is(gq, Switch) else None
    if d is None or not _is(d, Binary, 'DIV'):
        return None
    c = d.inputs[1]
    match = _bounded_clip(c)
    return c if match and match[0] is q else None


def _add_terms(node):
    """The terms of a tree of additions."""
    if _is(node, Binary, 'ADD') and node.inputs[0].shape == node.shape == node.inputs[1].shape:
        return _add_terms(node.inputs[0]) + _add_terms(node.inputs[1])
    return [node]


def _softmax_grad_parts(node):
    """(p, gp) if node is softmax's gradient p * (gp - sum(gp * p, -1, keepdims)), else None."""
    for p, diff in _operands(node, 'MUL'):
        if not (isinstance(p.op, Softmax) and _is(diff, Binary, 'SUB')):
            continue
        gp, total = diff.inputs
        if _is(total, Reduce, 'SUM') and total.op.keepdims and total.op.axes == (p.ndim - 1,):
            if any(a is gp and b is p for a, b in _operands(total.inputs[0], 'MUL')):
                return p, gp
    return None


def _categorical_grad(node, inputs):
    """Softmax's gradient, when p's gradient comes through the clipped renormalised log, ->
    w - p * sum(w, -1, keepdims) (plus softmax's gradient of any other terms)."""
    parts = _softmax_grad_parts(node)
    if parts is None:
        return None
    p, gp = parts
    terms = _add_terms(gp)
    match = _renormalisation_terms(terms, p) or _direct_term(terms, p)
    if match is None:
        return None
    g_log, lo, hi, rest = match
    t = log_softmax(p.inputs[0])
    lo_t, hi_t = _log_bounds(lo, hi, p.dtype)
    w = switch((t >= lo_t) & (t <= hi_t), Tensor(g_log), 0.)
    P = Tensor(p)
    dz = w - P * R.sum(w, axis=-1, keepdims=True)
    if rest:
        other = rest[0]
        for r in rest[1:]:
            other = other + r
        other = Tensor(other)
        dz = dz + P * (other - R.sum(other * P, axis=-1, keepdims=True))
    return rebuild(node, dz.node.op, dz.node.inputs)


# ----------------------------------------------------------------------------- binary

def _log_sigmoids(x, lo, hi):
    """((t, bounds) of log c, (t, bounds) of log(1 - c)) for c = clip(sigmoid(x), lo, hi): the
    log-sigmoids log s = -softplus(-x) and log(1 - s) = -softplus(x), and the logs of the
    bounds the original's values lie in, with 1 - hi and 1 - lo rounded in x's dtype as the
    original computes them."""
    dt = x.dtype
    lo, hi = np.asarray(lo, dt), np.asarray(hi, dt)
    one = np.asarray(1, dt)
    x = Tensor(x)
    return ((-softplus(-x), (np.log(float(lo)), np.log(float(hi)))),
            (-softplus(x), (np.log(float(one - hi)), np.log(float(one - lo)))))


def _sigmoid_clip(c):
    """(x, lo, hi) if c is clip(sigmoid(x), lo, hi) with 0 < lo <= hi < 1."""
    match = _bounded_clip(c)
    if match and _is(match[0], Unary, 'SIGMOID'):
        return match[0].inputs[0], match[1], match[2]
    return None


def _complement(node):
    """c if node is 1 - c, else None."""
    if _is(node, Binary, 'SUB') and _scalar(node.inputs[0], 1):
        return node.inputs[1]
    return None


def _binary_log(node, inputs):
    """log(clip(sigmoid(x), lo, hi)) -> clip(-softplus(-x), log lo, log hi) and
    log(1 - clip(sigmoid(x), lo, hi)) -> clip(-softplus(x), log(1 - hi), log(1 - lo))."""
    if not _is(node, Unary, 'LOG'):
        return None
    c = _complement(inputs[0])
    match = _sigmoid_clip(inputs[0] if c is None else c)
    if not match:
        return None
    t, bounds = _log_sigmoids(*match)[0 if c is None else 1]
    out = clip(t, *bounds).node
    return rebuild(node, out.op, out.inputs)


def _clip_grad_terms(node):
    """(s, clip node, terms of the gradient arriving at the clip) if node is sigmoid's gradient
    g * s * (1 - s) with g = switch(mask, sum of terms, 0), the clip's gradient."""
    for gs, one_minus in _operands(node, 'MUL'):
        s = _complement(one_minus)
        if s is None or not _is(s, Unary, 'SIGMOID'):
            continue
        for g, s2 in _operands(gs, 'MUL'):
            if s2 is s and _is(g, Switch) and _scalar(g.inputs[2], 0):
                return s, g, _add_terms(g.inputs[1])
    return None


def _binary_grad(node, inputs):
    """sigmoid's gradient, when it comes through log(c) and log(1 - c) of c = clip(sigmoid(x)),
    -> g_log_c * m1 * (1 - s) - g_log_1mc * m2 * s: the gradient of the log-sigmoid forms,
    m1, m2 the masks of their clips. Other terms keep the clip's mask."""
    match = _clip_grad_terms(node)
    if match is None:
        return None
    s, g, terms = match
    found, rest = [], []
    for term in terms:
        term = _unsum(term)
        negated = _is(term, Unary, 'NEG')
        d = term.inputs[0] if negated else term
        if _is(d, Binary, 'DIV'):
            c = d.inputs[1] if not negated else _complement(d.inputs[1])
            if c is not None and _sigmoid_clip(c) and _sigmoid_clip(c)[0] is s.inputs[0]:
                found.append((d.inputs[0], negated, c))
                continue
        rest.append(term)
    if not found:
        return None
    S = Tensor(s)
    out = None
    for g_log, negated, c in found:
        t, (lo, hi) = _log_sigmoids(*_sigmoid_clip(c))[1 if negated else 0]
        term = switch((t >= lo) & (t <= hi), Tensor(g_log), 0.) * (S if negated else 1 - S)
        term = -term if negated else term
        out = term if out is None else out + term
    if rest:
        other = rest[0]
        for r in rest[1:]:
            other = other + r
        out = out + switch(Tensor(g.inputs[0]), Tensor(other), 0.) * S * (1 - S)
    return rebuild(node, out.node.op, out.node.inputs)
