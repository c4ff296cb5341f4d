"""Graph rewrites, run by K.function on the whole step (forward, loss, gradients, updates)
before it is lowered.

Each pass is a module of this package with run(roots, budget) -> roots (built on core.py): a
pure function that
rebuilds the graph (nodes are immutable) and returns the new roots, in the same order. Passes run
in the fixed order of PASSES; each may visit at most `budget` nodes and leaves the rest of the
graph as it is when the budget runs out, so compile time stays bounded on huge graphs. Dead code
is never built: a program holds only what its roots reach. Every pass keeps values and
gradients unchanged (tests/backend/rewrite/ checks each alone on random graphs).
"""
from . import canonicalize, fuse_elementwise, fuse_gemm, stabilize

# The passes, in the order they run (each line: a module of this package).
PASSES = [
    canonicalize,
    stabilize,
    fuse_gemm,
    fuse_elementwise,    # keep last: fuses what the other passes leave
]

DEFAULT_BUDGET = 200000    # node visits per pass


def optimize(roots, passes=None, budget=DEFAULT_BUDGET):
    """The roots after every pass of `passes` (default PASSES), in order."""
    for p in PASSES if passes is None else passes:
        roots = p.run(list(roots), budget)
    return roots

