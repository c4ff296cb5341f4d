"""The graph: one immutable, hash-consed node type, the Op protocol, and Tensor handles.

A Node is (op, inputs) plus what is known when it is built: dtype, static shape (None for a
dimension known only at run time), a static value when it folds to a constant, and provenance
(the user's file:line and the layer being built) for error messages. Building the same op on the
same inputs twice returns the same Node, so common subexpressions are shared for free.

Users never hold Nodes: they hold Tensors, thin handles that carry Keras' per-tensor attributes
(_keras_shape, _keras_history, _uses_learning_phase). Two layers may build identical
expressions; they share a Node but keep their own Tensors.
"""
import itertools
import os
import sys
import threading
import weakref

import numpy as np

from . import config

DTYPES = ('float32', 'float64', 'int32', 'int64', 'uint8', 'bool')
DTYPE_CODES = {d: i for i, d in enumerate(DTYPES)}   # shared with csrc/runtime/kernel.hpp
FLOAT_DTYPES = ('float32', 'float64')
INT_DTYPES = ('int32', 'int64', 'uint8')
_DTYPE_ALIASES = {'float': None, 'int': 'int32', 'bool_': 'bool', 'int8': 'bool'}
FOLD_LIMIT = 1 << 20   # larger constant results are computed at run time, not at build time

_PKG_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_uids = itertools.count(1)


class ShapeError(ValueError):
    """An op was built on inputs of incompatible shapes or dtypes."""


def normalize_dtype(dtype, what='dtype'):
    """The canonical dtype name for `dtype` (numpy dtype, type, or name); None means floatx."""
    if dtype is None:
        return config.floatx()
    name = dtype if isinstance(dtype, str) else np.dtype(dtype).name
    if name in _DTYPE_ALIASES:
        name = _DTYPE_ALIASES[name] or config.floatx()
    if name not in DTYPE_CODES:
        raise TypeError('%s %r is not supported; symkeras handles %s'
                        % (what, dtype, ', '.join(DTYPES)))
    return name


def is_float(dtype):
    return dtype in FLOAT_DTYPES


# ----------------------------------------------------------------------------- provenance

_scope = threading.local()


class layer_scope:
    """`with layer_scope('dense_1 (Dense)'):` labels the nodes built inside with that layer,
    so shape errors, run-time errors and profiles name it."""

    def __init__(self, label):
        self.label = label

    def __enter__(self):
        self.prev = getattr(_scope, 'label', None)
        _scope.label = self.label

    def __exit__(self, *exc):
        _scope.label = self.prev


def current_label():
    """The label of the innermost layer_scope in force, or None."""
    return getattr(_scope, 'label', None)


def provenance():
    """(file, line, layer label) of the first stack frame outside the symkeras package."""
    f = sys._getframe(2)
    while f is not None and f.f_code.co_filename.startswith(_PKG_DIR):
        f = f.f_back
    where = (f.f_code.co_filename, f.f_lineno) if f is not None else ('?', 0)
    return where + (current_label(),)


def describe(prov):
    """' [layer dense_1 (Dense), at train.py:12]' for an error message."""
    if prov is None:
        return ''
    file, line, layer = prov
    parts = ['layer %s' % layer] if layer else []
    parts.append('at %s:%d' % (os.path.basename(file), line))
    return ' [%s]' % ', '.join(parts)


# ----------------------------------------------------------------------------- ops

class Op:
    """An operation. Subclasses keep together everything about one op:

    - constructor arguments are its attributes (hashable); they and the class form its key;
    - infer(ins) -> (dtype, shape): the shape/dtype rule; `ins` have .dtype, .shape and .value
      (a static numpy value or None). It runs when a node is built (shapes may hold None) and
      again with concrete shapes when a program is specialised. Raise ShapeError on bad input.
    - ref(*arrays) -> numpy array: the numpy reference, used by tests and constant folding;
    - grad(ins, out, g) -> one Tensor or None per input: the symbolic gradient;
    - lower(ins, out, L): emit kernel instructions (see lower.Lowering);
    - forward(ins) -> index or None: at specialisation, the output is that input (no work);
    - alias = True: the output is the input's memory with another shape (reshape and kin).

    Subclasses define infer, ref and lower (leaves, which are never lowered, define none).
    """
    pure = True           # False: never folded, never merged (random numbers, printing)
    alias = False
    static_inputs = ()    # inputs whose value must be known at specialisation (shapes, ...)

    @property
    def key(self):
        k = self.__dict__.get('_key')
        if k is None:
            k = (type(self),) + tuple(sorted(self.__dict__.items()))
            self.__dict__['_key'] = k
        return k

    @property
    def name(self):
        """How messages, debug listings and profiles call the op: its opcode ('add', 'relu',
        'sum') for ops of a family that share one class, else the class name."""
        code = self.__dict__.get('code')
        return code.lower() if isinstance(code, str) else type(self).__name__

    @property
    def detail(self):
        """More about the op for debug listings (a fused program's steps); '' for most."""
        return ''

    def grad(self, ins, out, g):
        raise TypeError('K.gradients: %s has no gradient' % self.name)

    def forward(self, ins):
        return None

    def fold(self, ins):
        """The static value of the output, or None. Default: the numpy reference when every
        input is static and the op is pure."""
        if self.pure and all(i.value is not None for i in ins):
            return self.ref(*[i.value for i in ins])
        return None

    def __repr__(self):
        attrs = ', '.join('%s=%r' % kv for kv in sorted(self.__dict__.items()) if kv[0] != '_key')
        return '%s(%s)' % (self.name, attrs)


class Node:
    __slots__ = ('op', 'inputs', 'dtype', 'shape', 'value', 'prov', 'types', 'serial',
                 '__weakref__')

    def __init__(self, op, inputs, dtype, shape, value, prov, types=None):
        self.op = op
        self.inputs = inputs
        self.dtype = dtype
        self.shape = shape
        self.value = value
        self.prov = prov
        self.types = types   # [(dtype, shape)] of every output of a multi-output op, else None
        self.serial = 0      # for an impure node (random numbers), when it was built (serial())

    @property
    def ndim(self):
        return len(self.shape)

    def __repr__(self):
        return '<%s %s %s>' % (self.op.name, self.dtype, self.shape)


_table = weakref.WeakValueDictionary()
_table_lock = threading.Lock()


def apply(op, *inputs, prov=None):
    """The node of `op` on input nodes: an existing identical node, a folded constant, or new.
    prov: the provenance of a new node (default: the user's code calling now; rewrites pass
    the provenance of the node they replace)."""
    key = (op.key, tuple(map(id, inputs)))
    node = _table.get(key)
    if node is not None:
        return node
    prov = provenance() if prov is None else prov
    try:
        types = infer_types(op, inputs)
    except ShapeError as e:
        raise ShapeError('%s: %s%s' % (op.name, e, describe(prov))) from None
    dtype, shape = types[0]
    value = None
    if op.pure and (static_size(shape) or 0) <= FOLD_LIMIT:
        value = op.fold(inputs)
    if value is not None:
        value = np.asarray(value, dtype=dtype)
        if value.shape != tuple(shape):
            raise AssertionError('%s folded to shape %s, inferred %s' % (op.name, value.shape, shape))
        # not entered under `key`: a constant does not keep its inputs alive, so their ids
        # could be reused by new nodes and the entry would then answer for a different graph
        return constant_node(value)
    node = Node(op, tuple(inputs), dtype, tuple(shape), None, prov, types if len(types) > 1 else None)
    if op.pure:
        with _table_lock:
            node = _table.setdefault(key, node)
    else:
        node.serial = serial()
    return node


_serials = itertools.count(1)


def serial():
    """A number larger than that of every impure node built so far: a loop's body draws anew
    at every step the random numbers built while its step is traced, not those built before."""
    return next(_serials)


def infer_types(op, ins):
    """[(dtype, shape)] of the outputs of `op` on `ins`: one entry, or one per output of an op
    that declares infer_outputs (a loop, whose outputs differ in shape and are read through
    Output projections)."""
    if hasattr(op, 'infer_outputs'):
        return [(d, tuple(s)) for d, s in op.infer_outputs(ins)]
    dtype, shape = op.infer(ins)
    return [(dtype, shape)]


def static_size(shape):
    """The number of elements of a static shape, or None if a dimension is unknown."""
    n = 1
    for d in shape:
        if d is None:
            return None
        n *= d
    return n


def compatible_dim(a, b):
    """Two static dims that may be equal: None (known only at run time) matches anything."""
    return a is None or b is None or a == b


def compatible_shapes(a, b):
    """Two static shapes that may be equal: the same rank, and every pair of known dims equal."""
    return len(a) == len(b) and all(map(compatible_dim, a, b))


def fmt_shape(shape):
    """A shape as Keras prints it: (None, 3), (5,), ()."""
    return '(' + ', '.join('None' if d is None else str(d) for d in shape) + (',)' if len(shape) == 1 else ')')


def toposort(roots):
    """Every node that `roots` depend on, inputs before the nodes that use them."""
    order, seen = [], set()
    for root in roots:
        if root in seen:
            continue
        stack = [(root, iter(root.inputs))]
        seen.add(root)
        while stack:
            node, it = stack[-1]
            child = next(it, None)
            if child is None:
                stack.pop()
                order.append(node)
            elif child not in seen:
                seen.add(child)
                stack.append((child, iter(child.inputs)))
    return order


class Leaf(Op):
    """A node with no inputs: placeholder, variable, constant, learning phase."""

    def infer(self, ins):
        raise AssertionError('leaves are built by leaf_node')


class Placeholder(Leaf):
    """A function input. by_value: a scalar whose value is part of the specialisation key
    (the learning phase), so that code depending on it is folded away at compile time."""

    def __init__(self, uid, name, by_value=False):
        self.uid = uid
        self.name_ = name
        self.by_value = by_value


class VariableLeaf(Leaf):
    def __init__(self, storage):
        self.storage = storage


class Constant(Leaf):
    def __init__(self, ident):
        self.ident = ident


def leaf_node(op, dtype, shape, value=None):
    return Node(op, (), dtype, tuple(shape), value, provenance())


_SMALL_CONSTANT = 1024


def constant_node(value):
    """A constant node; small constants with equal contents are one node."""
    value = np.array(value, copy=True)
    value.flags.writeable = False
    dtype = normalize_dtype(value.dtype)
    if value.size <= _SMALL_CONSTANT:
        ident = (dtype, value.shape, value.tobytes())
        key = ('const', ident)
        node = _table.get(key)
        if node is None:
            node = leaf_node(Constant(ident), dtype, value.shape, value)
            with _table_lock:
                node = _table.setdefault(key, node)
        return node
    return leaf_node(Constant(next(_uids)), dtype, value.shape, value)


# ----------------------------------------------------------------------------- tensors

class Tensor:
    """A symbolic tensor handle. Operators (+, *, [], ...) are installed by the op modules
    that define them. `==` is identity, as in Theano, so tensors can live in dicts and sets."""
    __array_ufunc__ = None    # numpy defers to our reflected operators: np.float32(2) * x

    def __init__(self, node, name=None):
        self.node = node
        self.name = name

    dtype = property(lambda self: self.node.dtype)
    ndim = property(lambda self: len(self.node.shape))

    def __repr__(self):
        return '<Tensor %s%s %s %s>' % ((self.name + ' ') if self.name else '', self.node.op.name,
                                       self.node.dtype, self.node.shape)

    def __bool__(self):
        raise TypeError('a symbolic tensor has no truth value; use K.switch or K.any')

    def __iter__(self):
        raise TypeError('a symbolic tensor is not iterable; index it or use K.unstack-style slicing')

    def __len__(self):
        raise TypeError('len() of a symbolic tensor is unknown until run time; use K.shape(x)[0]')


def as_node(x, dtype=None):
    """The node behind a Tensor, or a constant node for a number or array."""
    if isinstance(x, Tensor):
        return x.node
    if isinstance(x, Node):
        return x
    if dtype is None:
        arr = np.asarray(x)
        if arr.dtype.kind == 'f':
            dtype = config.floatx()
        elif arr.dtype.kind in 'iu' and arr.dtype != np.uint8:
            dtype = 'int64' if arr.dtype.itemsize == 8 else 'int32'
        else:
            dtype = normalize_dtype(arr.dtype, 'constant dtype')
    return constant_node(np.asarray(x, dtype=dtype))


def make(op, *inputs):
    """Build `op` on Tensors (or numbers) and return a Tensor."""
    return Tensor(apply(op, *[as_node(x) for x in inputs]))


def new_uid():
    return next(_uids)


class Output(Op):
    """Output `index` (>= 1) of a multi-output node (ops/fused.py's FusedElementwise): the
    node's own value is its output 0, and a projection node Output(k) on it names output k, so
    the rest of the graph reads each output as a node of its own. Every output has the dtype
    and shape of output 0. The multi-output node's lowering writes the buffers of the
    projections the program needs (lower.py), so a projection emits nothing itself and an
    output no projection names is never stored. Projections are built by rewrites, after
    differentiation, and are never folded (multi-output nodes are not either)."""

    def __init__(self, index):
        self.index = index

    @property
    def name(self):
        return 'output%d' % self.index

    def infer(self, ins):
        types = ins[0].types
        return types[self.index] if types else (ins[0].dtype, ins[0].shape)

    def fold(self, ins):
        return None

    def ref(self, x):
        raise TypeError('output %d of a multi-output node is computed with the node' % self.index)
