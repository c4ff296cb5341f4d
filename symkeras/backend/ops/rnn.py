"""K.rnn, K.map_fn, K.foldl and K.foldr of the Keras 1 backend, with Keras 1.2.2's Theano
semantics, on the loop op (ops/loop.py); `unroll=True` expands the steps in the graph instead."""
from ..graph import ShapeError, Tensor, apply, as_node, fmt_shape
from .broadcast import fill, zeros_like
from .control import InTrainPhase
from .elementwise import Binary, Cast, Switch, Unary, switch
from .index import Gather
from .linalg import MatMul, dot
from .loop import loop
from .shape import Reshape, _dim, expand_dims, permute_dimensions, reverse, shape_vector, stack

__all__ = ['rnn', 'map_fn', 'foldl', 'foldr']


def rnn(step_function, inputs, initial_states, go_backwards=False, mask=None, constants=None,
        unroll=False, input_length=None):
    """Iterate step_function(input_t, states + constants) -> (output_t, new_states) over the
    time axis (axis 1) of `inputs`. Returns (last_output, outputs, new_states): outputs
    (samples, time, ...) in processing order (last input first with go_backwards). A mask
    (samples, time) makes masked steps keep the previous output (zeros before the first step)
    and the previous states."""
    x = Tensor(as_node(inputs))
    if x.ndim < 3:
        raise ShapeError('K.rnn: inputs must have at least 3 dimensions (samples, time, ...); '
                         'got shape %s' % fmt_shape(x.node.shape))
    xs = time_major(x)
    states = [Tensor(as_node(s)) for s in initial_states]
    constants = list(constants or [])
    m = None
    if mask is not None:
        m = Tensor(as_node(mask))
        if m.ndim == x.ndim - 1:
            m = expand_dims(m)
        if m.ndim != x.ndim:
            raise ShapeError('K.rnn: the mask must have shape (samples, time) or %d dimensions; got '
                             'shape %s for inputs of shape %s'
                             % (x.ndim, fmt_shape(m.node.shape), fmt_shape(x.node.shape)))
        m = permute_dimensions(m, _swap01(m.ndim))
    if go_backwards:
        xs = reverse(xs, 0)
        m = None if m is None else reverse(m, 0)
    if unroll:
        outputs, new_states = _unrolled(step_function, xs, m, states, constants, input_length)
    else:
        outputs, new_states = _looped(step_function, xs, m, states, constants)
    last = outputs[-1]
    return last, permute_dimensions(outputs, _swap01(outputs.ndim)), new_states


def time_major(x):
    """x (samples, time, ...) as (time, samples, ...). The swap is pushed below the ops that
    treat each sample and step alone (elementwise ops, x . W at every step as Keras' input
    projection makes it, a gather of embedding rows), down to the narrowest tensor, so that an
    LSTM's gate pre-activations (4 x units wide) are computed in time order instead of being
    copied there, and the copy is the word ids'."""
    node = as_node(x)
    op, ins = node.op, node.inputs
    if node.ndim >= 2 and op.pure and isinstance(op, (Binary, Unary, Cast, Switch, InTrainPhase)) \
            and all(i.ndim <= 1 or i.ndim == node.ndim for i in ins):
        return _like(node, [time_major(Tensor(i)) if i.ndim == node.ndim else Tensor(i) for i in ins])
    if isinstance(op, Gather) and ins[1].ndim == 2:
        return _like(node, [Tensor(ins[0]), permute_dimensions(Tensor(ins[1]), [1, 0])])
    if isinstance(op, Reshape) and node.ndim == 3 and type(ins[0].op) is MatMul:
        product = ins[0]
        rows, w = product.inputs
        if not (product.op.trans_a or product.op.trans_b) and isinstance(rows.op, Reshape):
            z = rows.inputs[0]
            if z.ndim == 3 and z.shape[:2] == node.shape[:2] and None not in z.shape[2:]:
                return dot(time_major(Tensor(z)), Tensor(w))
    return permute_dimensions(Tensor(node), _swap01(node.ndim))


def _swap01(ndim):
    """The permutation that swaps axes 0 and 1 (samples and time)."""
    return [1, 0] + list(range(2, ndim))


def _like(node, inputs):
    """node's op on other inputs, keeping node's provenance (its layer names it in errors and
    profiles)."""
    return Tensor(apply(node.op, *[as_node(i) for i in inputs], prov=node.prov))


def _first_output(step_function, xs, states, constants):
    """Zeros shaped like the step's output (samples, ...), the previous output of step 0."""
    out, _ = step_function(xs[0], states + constants)
    node = as_node(out)
    if None in node.shape[1:]:
        raise ShapeError('K.rnn with a mask: the step output has shape %s; its dimensions after '
                         'the first must be known' % fmt_shape(node.shape))
    return fill(shape_vector([_dim(xs, 1)] + list(node.shape[1:]), 'K.rnn'), 0, node.dtype)


def _looped(step_function, xs, m, states, constants):
    if m is None:
        def step(slices, carried):
            out, new = step_function(slices[0], carried + constants)
            return [out], list(new)
        (outputs,), new_states, _ = loop(step, [xs], states, what='K.rnn')
        return outputs, new_states

    def masked_step(slices, carried):
        x_t, m_t = slices
        prev, old = carried[0], carried[1:]
        out, new = step_function(x_t, old + constants)
        out = switch(m_t, out, prev)
        kept = [switch(m_t, n, s) for n, s in zip(new, old)]
        return [out], [out] + kept
    first = _first_output(step_function, xs, states, constants)
    (outputs,), carried, _ = loop(masked_step, [xs, m], [first] + states, what='K.rnn')
    return outputs, carried[1:]


def _unrolled(step_function, xs, m, states, constants, input_length):
    n = xs.node.shape[0] if input_length is None else input_length
    if n is None:
        raise ValueError('When specifying `unroll=True`, an `input_length` must be provided to '
                         '`rnn` (or the time dimension of the inputs must be known).')
    outputs = []
    for t in range(n):
        out, new = step_function(xs[t], states + constants)
        new = list(new)
        if m is not None:
            prev = outputs[-1] if outputs else zeros_like(out)
            out = switch(m[t], out, prev)
            new = [switch(m[t], a, s) for a, s in zip(new, states)]
        outputs.append(out)
        states = new
    return stack(outputs), states


def map_fn(fn, elems, name=None):
    """fn applied to each element of `elems` along its first axis, the results stacked."""
    (outputs,), _, _ = loop(lambda slices, carried: ([fn(slices[0])], []), [elems], [],
                            what='K.map_fn')
    return outputs


def foldl(fn, elems, initializer=None, name=None):
    """Reduce `elems` along its first axis with acc = fn(acc, x), from the first element (or
    `initializer`, when given)."""
    return _fold(fn, Tensor(as_node(elems)), initializer, 'K.foldl')


def foldr(fn, elems, initializer=None, name=None):
    """foldl from the last element to the first."""
    return _fold(fn, reverse(Tensor(as_node(elems)), 0), initializer, 'K.foldr')


def _fold(fn, elems, initializer, what):
    if initializer is None:
        initializer, elems = elems[0], elems[1:]
    _, (acc,), _ = loop(lambda slices, carried: ([], [fn(carried[0], slices[0])]), [elems],
                        [initializer], what=what)
    return acc
