"""The helpers every rewrite pass builds on: a bottom-up rebuild of the graph and the
replacement of one node that keeps its provenance."""
from ..graph import apply, layer_scope, toposort


def transform(roots, visit, budget):
    """Rebuild the graph below `roots` bottom-up. visit(node, inputs) gets each node with its
    already rebuilt inputs and returns its replacement, or None to keep the node (rebuilt on
    the new inputs if any changed). After `budget` visits, nodes are only rebuilt. Returns the
    new roots and the mapping old node -> new node."""
    new = {}
    visits = 0
    for node in toposort(roots):
        inputs = tuple(new[i] for i in node.inputs)
        out = None
        if visits < budget:
            visits += 1
            with layer_scope(node.prov[2] if node.prov else None):   # new nodes: node's layer
                out = visit(node, inputs)
        if out is None:
            out = node if inputs == node.inputs else rebuild(node, node.op, inputs)
        new[node] = out
    return [new[r] for r in roots], new


def rebuild(old, op, inputs):
    """The node of `op` on `inputs` standing in for `old`: it keeps old's provenance (so errors
    and profiles still name the layer), and must keep its dtype and shape."""
    node = apply(op, *inputs, prov=old.prov)
    if node.dtype != old.dtype or (node.shape != old.shape and None not in old.shape):
        raise AssertionError('rewrite changed %r into %r' % (old, node))
    return node
