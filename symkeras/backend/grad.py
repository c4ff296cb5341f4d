"""K.gradients: symbolic reverse-mode differentiation. The result is an ordinary graph, so it
can be compiled, rewritten and differentiated again like any other."""
from .graph import Tensor, as_node, current_label, is_float, layer_scope


def gradients(loss, variables):
    """d loss / d v for each v in `variables` (loss must be a scalar). A variable the loss does
    not depend on, or an integer one, gets zeros."""
    from .ops.broadcast import zeros_like
    from .ops.elementwise import cast
    lnode = as_node(loss)
    if lnode.shape != ():
        raise ValueError('K.gradients: the loss must be a scalar; it has shape %s' % (lnode.shape,))
    if not is_float(lnode.dtype):
        raise TypeError('K.gradients: the loss must be a float tensor; it is %s' % lnode.dtype)
    single = not isinstance(variables, (list, tuple))
    variables = [variables] if single else list(variables)
    targets = [as_node(v) for v in variables]
    target_set = set(targets)

    order = _on_paths(lnode, target_set)
    on_path = set(order)
    grads = {lnode: [Tensor(as_node(1.0, lnode.dtype))]}
    pending = {}   # multi-output node -> {output index: gradient} gathered from its projections
    for node in reversed(order):
        # a target's gradient stays in `grads` to be returned; other entries are freed once used
        gs = grads.get(node) if node in target_set else grads.pop(node, None)
        if _projection_of_multi(node):
            if gs:   # a projection comes before its node in this order: hold its gradient
                pending.setdefault(node.inputs[0], {})[node.op.index] = _sum(gs)
            continue
        outs = pending.pop(node, {})
        if (not gs and not outs) or not node.inputs:
            continue
        ins = [Tensor(i) for i in node.inputs]
        with layer_scope(_backward_label(node)):
            if hasattr(node.op, 'grad_outputs'):
                if gs:
                    outs[0] = _sum(gs)
                wanted = [i in on_path and is_float(i.dtype) for i in node.inputs]
                in_grads = node.op.grad_outputs(ins, Tensor(node), outs, wanted)
            else:
                in_grads = node.op.grad(ins, Tensor(node), _sum(gs))
        for inp, gi in zip(node.inputs, in_grads):
            if gi is None or inp not in on_path or not is_float(inp.dtype):
                continue
            gn = as_node(gi)
            if gn.dtype != inp.dtype:
                gi = cast(gi, inp.dtype)
            grads.setdefault(inp, []).append(gi)
    out = []
    for v, t in zip(variables, targets):
        gs = grads.get(t)
        out.append(_sum(gs) if gs and is_float(t.dtype) else zeros_like(v))
    return out[0] if single else out


def _projection_of_multi(node):
    """True for a projection graph.Output(k) of a node whose op differentiates all its
    outputs at once (grad_outputs: a loop)."""
    from .graph import Output
    return (isinstance(node.op, Output) and bool(node.inputs)
            and hasattr(node.inputs[0].op, 'grad_outputs'))


def _backward_label(node):
    """The layer label of the nodes that differentiate `node`: its layer's, marked as the
    backward pass, so errors and profiles of the gradient name the layer too (or the label in
    force, for a node built outside any layer)."""
    layer = node.prov[2] if node.prov else None
    if layer is None:
        return current_label()
    return layer if layer.endswith(', backward') else layer + ', backward'


def _sum(terms):
    total = terms[0]
    for t in terms[1:]:
        total = total + t
    return total


def _on_paths(loss, targets):
    """Nodes that lie on a path from some target to the loss, in topological order."""
    from .graph import toposort
    order = toposort([loss])
    reach = set()
    for node in order:
        if node in targets or any(i in reach for i in node.inputs):
            reach.add(node)
    return [n for n in order if n in reach]
