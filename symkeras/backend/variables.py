"""Variables (persistent storage the compiled steps read and update), placeholders, the
learning phase, and the introspection helpers of the K API."""
import numpy as np

from .graph import (Placeholder, Tensor, VariableLeaf, leaf_node, new_uid, normalize_dtype)


class Storage:
    """A variable's value: a C-contiguous numpy array that compiled programs read and write in
    place. Its shape is fixed at creation, so programs bound to it stay valid."""
    __slots__ = ('array', 'name')

    def __init__(self, array, name):
        self.array = array
        self.name = name


class Variable(Tensor):
    """A shared variable (Theano's term): a tensor with a value that persists across calls."""

    def __init__(self, value, dtype=None, name=None):
        dtype = normalize_dtype(dtype, 'variable dtype')
        arr = np.array(value, dtype=dtype, order='C', copy=True)
        self.storage = Storage(arr, name)
        super().__init__(leaf_node(VariableLeaf(self.storage), dtype, arr.shape), name)
        self._keras_shape = arr.shape
        self._uses_learning_phase = False

    def get_value(self):
        return self.storage.array.copy()

    def set_value(self, value):
        arr = self.storage.array
        value = np.asarray(value)
        if value.shape != arr.shape:
            raise ValueError('set_value: variable %r has shape %s; the new value has shape %s'
                             % (self.name, arr.shape, value.shape))
        np.copyto(arr, value, casting='unsafe')


def variable(value, dtype=None, name=None):
    """A variable holding a copy of `value` (numpy array or number), dtype floatx by default."""
    if hasattr(value, 'toarray'):      # scipy.sparse: stored dense
        value = value.toarray()
    return Variable(value, dtype, name)


def placeholder(shape=None, ndim=None, dtype=None, sparse=False, name=None):
    """A symbolic input of the given shape (None for a dimension known only at run time)."""
    if sparse:
        raise ValueError('placeholder(sparse=True): symkeras has no sparse tensors; '
                                  'pass dense arrays')
    if shape is None:
        if ndim is None:
            raise ValueError('placeholder: give shape or ndim')
        shape = (None,) * int(ndim)
    shape = tuple(None if d is None else int(d) for d in shape)
    if ndim is not None and len(shape) != ndim:
        raise ValueError('placeholder: shape %s does not have ndim=%d' % (shape, ndim))
    dtype = normalize_dtype(dtype, 'placeholder dtype')
    t = Tensor(leaf_node(Placeholder(new_uid(), name), dtype, shape), name)
    t._keras_shape = shape
    t._uses_learning_phase = False
    return t


def is_keras_tensor(x):
    """True for a tensor made by Keras' layers or Input (it carries _keras_history)."""
    return isinstance(x, Tensor) and hasattr(x, '_keras_history')


def is_sparse(tensor):
    return False


def to_dense(tensor):
    return tensor


def is_explicit_shape(shape):
    if hasattr(shape, '__iter__'):
        return all(d is None or isinstance(d, (int, np.integer)) for d in shape)
    return False


def get_value(x):
    return _var(x, 'get_value').get_value()


def set_value(x, value):
    _var(x, 'set_value').set_value(value)


def batch_get_value(xs):
    return [get_value(x) for x in xs]


def batch_set_value(tuples):
    for x, value in tuples:
        set_value(x, value)


def get_variable_shape(x):
    return _var(x, 'get_variable_shape').storage.array.shape


def count_params(x):
    """The number of scalars in a variable."""
    return int(np.prod(get_variable_shape(x), dtype=np.int64))


def _var(x, fn):
    if not isinstance(x, Variable):
        raise TypeError('%s: expected a variable made by K.variable; got %r' % (fn, x))
    return x


def int_shape(x):
    """The static shape of a tensor as a tuple of ints and None."""
    if hasattr(x, '_keras_shape'):
        return x._keras_shape
    if isinstance(x, Tensor):
        return x.node.shape
    raise TypeError('int_shape: %r is not a tensor' % (x,))


def ndim(x):
    return len(x.node.shape) if isinstance(x, Tensor) else np.ndim(x)


def dtype(x):
    return x.node.dtype if isinstance(x, Tensor) else normalize_dtype(np.asarray(x).dtype)


def zeros(shape, dtype=None, name=None):
    return variable(np.zeros(shape), dtype, name)


def ones(shape, dtype=None, name=None):
    return variable(np.ones(shape), dtype, name)


def eye(size, dtype=None, name=None):
    return variable(np.eye(size), dtype, name)


def random_uniform_variable(shape, low, high, dtype=None, name=None):
    return variable(np.random.uniform(low=low, high=high, size=shape), dtype, name)


def random_normal_variable(shape, mean, scale, dtype=None, name=None):
    return variable(np.random.normal(loc=mean, scale=scale, size=shape), dtype, name)


def eval(x):
    """The value of a tensor that depends on no placeholder (variables and constants only)."""
    from .function import function
    return function([], [x])([])[0]


# ----------------------------------------------------------------------------- learning phase

_LEARNING_PHASE = leaf_node(Placeholder(new_uid(), 'keras_learning_phase', by_value=True), 'uint8', ())
_learning_phase_tensor = Tensor(_LEARNING_PHASE, 'keras_learning_phase')
_FIXED_PHASE = None


def learning_phase():
    """The learning phase: a uint8 scalar input (1 = training, 0 = testing), or the Python
    constant given to set_learning_phase. Programs are specialised on its value, so code for
    the other phase is not run."""
    return _FIXED_PHASE if _FIXED_PHASE is not None else _learning_phase_tensor


def set_learning_phase(value):
    global _FIXED_PHASE
    if value not in (0, 1):
        raise ValueError('set_learning_phase: expected 0 or 1; got %r' % (value,))
    _FIXED_PHASE = value
