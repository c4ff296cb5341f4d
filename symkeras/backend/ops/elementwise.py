"""Elementwise ops with numpy broadcasting: unary math and activations, binary arithmetic and
comparisons, switch, cast. The kernels are csrc/kernels/elementwise.cpp (unary, binary, switch)
and csrc/kernels/copy.cpp (cast)."""
import numbers

import numpy as np

from .. import config
from ..graph import (INT_DTYPES, Node, Op, ShapeError, Tensor, as_node, fmt_shape, is_float,
                     make, normalize_dtype)
from ..lower import dtype_code, opcodes
from . import strides as S
from .broadcast import unbroadcast

__all__ = ['abs', 'sqrt', 'exp', 'log', 'round', 'sign', 'pow', 'clip', 'sin', 'cos', 'square',
           'maximum', 'minimum', 'equal', 'not_equal', 'greater', 'greater_equal', 'lesser',
           'lesser_equal', 'switch', 'cast', 'relu', 'elu', 'softplus', 'softsign', 'sigmoid',
           'hard_sigmoid', 'tanh']

UNARY = opcodes('unary')
BINARY = opcodes('binary')
COMPARISONS = ('EQ', 'NE', 'GT', 'GE', 'LT', 'LE', 'AND', 'OR', 'XOR')


# ----------------------------------------------------------------------------- type rules

def broadcast_shape(a, b):
    """numpy's broadcast of two static shapes; None (unknown) is assumed to match."""
    n = max(len(a), len(b))
    out = []
    for x, y in zip((1,) * (n - len(a)) + tuple(a), (1,) * (n - len(b)) + tuple(b)):
        if x == 1:
            out.append(y)
        elif y == 1:
            out.append(x)
        elif x is None:
            out.append(y)
        elif y is None or x == y:
            out.append(x)
        else:
            raise ShapeError('shapes %s and %s cannot be broadcast together' % (fmt_shape(a), fmt_shape(b)))
    return tuple(out)


_RANK = {'bool': 0, 'uint8': 1, 'int32': 2, 'int64': 3, 'float32': 4, 'float64': 5}


def result_dtype(a, b):
    """Type of arithmetic on two tensors: the wider one, except that integers never widen
    float32 to float64 (Theano's float32 world) and bool arithmetic happens in int32."""
    d = a if _RANK[a] >= _RANK[b] else b
    if d == 'uint8' and 'bool' in (a, b) and a != b:
        return 'uint8'
    return 'int32' if d == 'bool' else d


def is_scalar(x):
    return isinstance(x, (numbers.Number, np.number, np.bool_)) and not isinstance(x, Tensor)


def operands(x, y):
    """Nodes for a binary op. Numbers and arrays next to a tensor are weakly typed constants:
    they take the tensor's dtype when they fit it (x * 2.0 stays float32; a float array next to
    a float64 tensor stays float64)."""
    x_weak, y_weak = not isinstance(x, (Tensor, Node)), not isinstance(y, (Tensor, Node))
    if x_weak and not y_weak:
        yn = as_node(y)
        return _weak(x, yn.dtype), yn
    if y_weak and not x_weak:
        xn = as_node(x)
        return xn, _weak(y, xn.dtype)
    if is_scalar(x) and not is_scalar(y):
        yn = as_node(y)
        return as_node(x, scalar_dtype(x, yn.dtype)), yn
    if is_scalar(y) and not is_scalar(x):
        xn = as_node(x)
        return xn, as_node(y, scalar_dtype(y, xn.dtype))
    return as_node(x), as_node(y)


def _weak(v, dtype):
    if is_scalar(v):
        return as_node(v, scalar_dtype(v, dtype))
    arr = np.asarray(v)
    return as_node(arr, dtype if arr.dtype.kind == 'f' and is_float(dtype) else None)


def scalar_dtype(v, dtype):
    if isinstance(v, (bool, np.bool_)) or is_float(dtype):
        return dtype
    if isinstance(v, (float, np.floating)):
        return config.floatx()
    if dtype == 'bool' or not _fits(v, dtype):
        return 'int32' if _fits(v, 'int32') else 'int64'
    return dtype


def _fits(v, dtype):
    info = np.iinfo(dtype)
    return info.min <= v <= info.max


def to_float(node):
    return node if is_float(node.dtype) else cast(Tensor(node), config.floatx()).node


# ----------------------------------------------------------------------------- unary

def _int_bound(b, dtype):
    """A parameter of an op on `dtype` as the kernel uses it: for an integer type, a whole
    number (or +-inf) limited to the type's range, as an exact Python int."""
    if is_float(dtype):
        return b
    info = np.iinfo(dtype)
    return info.min if b < info.min else info.max if b > info.max else int(b)


def _np_relu(x, alpha, hi):
    """As the kernel: relu(-inf) is 0 (not 0 * -inf), NaN stays NaN; hi NaN: no maximum."""
    a = _int_bound(alpha, x.dtype.name)
    y = np.where((x > 0) | np.isnan(x), x, x * np.asarray(a, x.dtype) if a else 0)
    return y if np.isnan(hi) else np.minimum(y, _int_bound(hi, x.dtype.name))


def _np_clip(x, lo, hi):
    return np.clip(x, _int_bound(lo, x.dtype.name), _int_bound(hi, x.dtype.name))


def _np_powc(x, e):
    """numpy's power; for integers an integer exponent, so that results wrap as the kernel's."""
    return np.power(x, e if is_float(x.dtype.name) else int(e))


def _np_sigmoid(x):
    return np.where(x >= 0, 1 / (1 + np.exp(-np.abs(x))), np.exp(-np.abs(x)) / (1 + np.exp(-np.abs(x))))


# name -> (numpy reference f(x, *params), gradient f(x, y, g, *params) or None)
_UNARY_RULES = {
    'NEG': (np.negative, lambda x, y, g: -g),
    'ABS': (np.abs, lambda x, y, g: g * sign(x)),
    'SIGN': (np.sign, None),
    'SQUARE': (np.square, lambda x, y, g: g * 2 * x),
    'SQRT': (np.sqrt, lambda x, y, g: g * 0.5 / y),
    'EXP': (np.exp, lambda x, y, g: g * y),
    'LOG': (np.log, lambda x, y, g: g / x),
    'SIN': (np.sin, lambda x, y, g: g * cos(x)),
    'COS': (np.cos, lambda x, y, g: -(g * sin(x))),
    'TANH': (np.tanh, lambda x, y, g: g * (1 - square(y))),
    'SIGMOID': (_np_sigmoid, lambda x, y, g: g * y * (1 - y)),
    'SOFTPLUS': (lambda x: np.logaddexp(0, x), lambda x, y, g: g * sigmoid(x)),
    'ROUND': (np.round, None),
    'FLOOR': (np.floor, None),
    'EXPM1': (np.expm1, lambda x, y, g: g * (y + 1)),
    'NOT': (np.logical_not, None),
    'RELU': (_np_relu, lambda x, y, g, alpha, hi: _relu_grad(x, g, alpha, hi)),
    'CLIP': (_np_clip,
             # a select, not a product: sqrt's infinite gradient at a clipped 0 must not give NaN
             lambda x, y, g, lo, hi: switch((x >= lo) & (x <= hi), g, 0.)),
    'POWC': (_np_powc, lambda x, y, g, e: g * (e * pow(x, e - 1))),
    'HARD_SIGMOID': (lambda x: np.clip(0.2 * x + 0.5, 0, 1),
                     lambda x, y, g: g * cast((x >= -2.5) & (x <= 2.5), x.dtype) * 0.2),
}
_FLOAT_ONLY = {'SQRT', 'EXP', 'LOG', 'SIN', 'COS', 'TANH', 'SIGMOID', 'SOFTPLUS', 'EXPM1',
               'HARD_SIGMOID', 'ROUND', 'FLOOR'}


def _relu_grad(x, g, alpha, hi):
    gx = switch(x > 0, g, g * alpha) if alpha else g * cast(x > 0, g.dtype)
    if not np.isnan(hi):
        gx = gx * cast(relu(x, alpha) < hi, g.dtype)
    return gx


class Unary(Op):
    def __init__(self, code, params=()):
        self.code = code
        self.params = tuple(float(p) for p in params)

    def infer(self, ins):
        x = ins[0]
        if self.code == 'NOT':
            return 'bool', x.shape
        return x.dtype, x.shape

    def ref(self, x):
        with np.errstate(all='ignore'):
            y = _UNARY_RULES[self.code][0](x, *self.params)
        return np.asarray(y, dtype=self.infer([x])[0])

    def grad(self, ins, out, g):
        rule = _UNARY_RULES[self.code][1]
        if rule is None or not is_float(ins[0].dtype):
            return [None]
        return [rule(ins[0], out, g, *self.params)]

    def lower(self, ins, out, L):
        fp = list(self.params)
        if self.code == 'NOT':     # bool in, bool out
            L.emit('unary', [ins[0].buf, out.buf], [UNARY['NOT'], dtype_code('bool'), out.size])
            return
        L.emit('unary', [ins[0].buf, out.buf], [UNARY[self.code], dtype_code(out.dtype), out.size], fp)


def unary(code, x, *params):
    node = as_node(x)
    if code in _FLOAT_ONLY:
        node = to_float(node)
    if code == 'NOT' and node.dtype != 'bool':
        node = cast(Tensor(node), 'bool').node
    elif code != 'NOT' and node.dtype == 'bool':   # bool arithmetic happens in int32
        node = cast(Tensor(node), 'int32').node
    return make(Unary(code, params), Tensor(node))


def abs(x):
    return unary('ABS', x)


def sqrt(x):
    """Square root; negative inputs are clipped to 0 first (Theano backend behaviour)."""
    return unary('SQRT', clip(x, 0., np.inf))


def exp(x):
    return unary('EXP', x)


def log(x):
    return unary('LOG', x)


def round(x):
    """Round half to even, as Theano's round(mode='half_to_even')."""
    return unary('ROUND', x)


def sign(x):
    return unary('SIGN', x)


def square(x):
    return unary('SQUARE', x)


def sin(x):
    return unary('SIN', x)


def cos(x):
    return unary('COS', x)


def tanh(x):
    return unary('TANH', x)


def sigmoid(x):
    return unary('SIGMOID', x)


def hard_sigmoid(x):
    """clip(0.2 * x + 0.5, 0, 1), Theano's hard sigmoid."""
    return unary('HARD_SIGMOID', x)


def softplus(x):
    return unary('SOFTPLUS', x)


def softsign(x):
    x = Tensor(to_float(as_node(x)))     # 1 + abs(x) must not wrap in an integer type
    return x / (1 + abs(x))


def _whole(*values):
    """Every value is a whole number or not finite (+-inf, or NaN for no bound): integer
    tensors can keep their type."""
    return all(not np.isfinite(v) or float(v).is_integer() for v in values)


def relu(x, alpha=0., max_value=None):
    """max(x, 0), alpha * x below 0, at most max_value. NaN stays NaN and relu(-inf) is 0.
    Integer inputs keep their type when alpha and max_value are whole numbers (the product
    wraps like numpy's); otherwise they are computed in floatx, as Theano upcasts."""
    hi = np.nan if max_value is None else float(max_value)
    node = as_node(x)
    if not _whole(alpha, hi):
        node = to_float(node)
    return unary('RELU', Tensor(node), alpha, hi)


def elu(x, alpha=1.0):
    x = Tensor(to_float(as_node(x)))
    return switch(x > 0, x, alpha * unary('EXPM1', x))


def clip(x, min_value, max_value):
    """x limited to [min_value, max_value]; if max_value < min_value, max_value = min_value.
    NaN stays NaN. An integer tensor with a finite bound that is not a whole number is clipped
    in floatx (Theano upcasts); whole bounds beyond an integer type's range act as its limits."""
    if max_value is not None and min_value is not None and max_value < min_value:
        max_value = min_value
    lo = -np.inf if min_value is None else float(min_value)
    hi = np.inf if max_value is None else float(max_value)
    node = as_node(x)
    if not _whole(lo, hi):
        node = to_float(node)
    return unary('CLIP', Tensor(node), lo, hi)


def pow(x, a):
    """x ** a for a number a (or elementwise for a tensor a). An integer tensor keeps its type
    for a whole exponent 0 <= a < 2**63 (the result wraps like numpy's); otherwise floatx."""
    if is_scalar(a):
        node = as_node(x) if float(a).is_integer() and 0 <= a < 2 ** 63 else to_float(as_node(x))
        return unary('POWC', Tensor(node), a)
    return binary('POW', x, a)


# ----------------------------------------------------------------------------- binary

def _b_pow_grad(x, y, z, g):
    return g * y * pow(x, y - 1), g * z * log(x)


def _minmax_grad(x, y, z, g):
    return g * cast(equal(z, x), g.dtype), g * cast(equal(z, y), g.dtype)


# name -> (numpy reference, gradient f(x, y, out, g) -> (gx, gy) or None)
_BINARY_RULES = {
    'ADD': (np.add, lambda x, y, z, g: (g, g)),
    'SUB': (np.subtract, lambda x, y, z, g: (g, -g)),
    'MUL': (np.multiply, lambda x, y, z, g: (g * y, g * x)),
    'DIV': (np.divide, lambda x, y, z, g: (g / y, -(g * z / y))),
    'POW': (np.power, _b_pow_grad),
    'MAXIMUM': (np.maximum, _minmax_grad),
    'MINIMUM': (np.minimum, _minmax_grad),
    'MOD': (np.mod, lambda x, y, z, g: (g, -(g * unary('FLOOR', x / y)))),
    'FLOORDIV': (np.floor_divide, None),
    'EQ': (np.equal, None), 'NE': (np.not_equal, None), 'GT': (np.greater, None),
    'GE': (np.greater_equal, None), 'LT': (np.less, None), 'LE': (np.less_equal, None),
    'AND': (np.logical_and, None), 'OR': (np.logical_or, None), 'XOR': (np.logical_xor, None),
}


class Binary(Op):
    def __init__(self, code):
        self.code = code

    def infer(self, ins):
        x, y = ins
        if x.dtype != y.dtype:
            raise ShapeError('operands have dtypes %s and %s' % (x.dtype, y.dtype))
        shape = broadcast_shape(x.shape, y.shape)
        return ('bool' if self.code in COMPARISONS else x.dtype), shape

    def ref(self, x, y):
        with np.errstate(all='ignore'):
            if self.code == 'DIV' and not is_float(normalize_dtype(x.dtype)):
                z = np.floor_divide(x, y)
            else:
                z = _BINARY_RULES[self.code][0](x, y)
        return np.asarray(z, dtype='bool' if self.code in COMPARISONS else x.dtype)

    def grad(self, ins, out, g):
        rule = _BINARY_RULES[self.code][1]
        x, y = ins
        if rule is None or not is_float(x.dtype):
            return [None, None]
        gx, gy = rule(x, y, out, g)
        return [unbroadcast(gx, x), unbroadcast(gy, y)]

    def lower(self, ins, out, L):
        x, y = ins
        shape, (sa, sb) = S.collapse(list(out.shape), S.broadcast_strides(x.shape, out.shape),
                                     S.broadcast_strides(y.shape, out.shape))
        L.emit('binary', [x.buf, y.buf, out.buf],
               [BINARY[self.code], dtype_code(x.dtype), len(shape)] + shape + sa + sb)


def unify(x, y, rule=result_dtype):
    """x and y as Tensors of one dtype, rule(dtype_x, dtype_y); numbers are weakly typed."""
    xn, yn = operands(x, y)
    dt = rule(xn.dtype, yn.dtype)
    return cast(Tensor(xn), dt), cast(Tensor(yn), dt)


def branches(x, y):
    """Two branches (callables are called first: Keras 1 allows lazy branches) in one dtype."""
    return unify(x() if callable(x) else x, y() if callable(y) else y)


def _binary_dtype(code):
    if code in ('AND', 'OR', 'XOR'):
        return lambda a, b: 'bool'
    if code in ('DIV', 'POW'):     # true division, as Python 3 and Theano
        return lambda a, b: result_dtype(a, b) if is_float(result_dtype(a, b)) else config.floatx()
    return result_dtype


_RIGHT_IDENTITY = {'ADD': 0, 'SUB': 0, 'MUL': 1, 'DIV': 1}


def binary(code, x, y):
    """The node of a binary op; x*1, x+0, x-0 and x/1 are x itself (in a fresh Tensor).
    Operands keep the user's order (commutative ops are not reordered) so that errors name the
    shapes in the order they were written."""
    xt, yt = unify(x, y, _binary_dtype(code))
    xn, yn = xt.node, yt.node
    identity = _RIGHT_IDENTITY.get(code)
    if identity is not None:
        if is_identity(yn, xn, identity):
            return Tensor(xn)
        if code in ('ADD', 'MUL') and is_identity(xn, yn, identity):
            return Tensor(yn)
    return make(Binary(code), xt, yt)


def is_identity(c, other, value):
    """c is a constant equal to `value` everywhere, and broadcasting it leaves other's shape."""
    return (c.value is not None and c.ndim <= other.ndim and all(d == 1 for d in c.shape)
            and bool(np.all(c.value == value)))


def maximum(x, y):
    return binary('MAXIMUM', x, y)


def minimum(x, y):
    return binary('MINIMUM', x, y)


def equal(x, y):
    return binary('EQ', x, y)


def not_equal(x, y):
    return binary('NE', x, y)


def greater(x, y):
    return binary('GT', x, y)


def greater_equal(x, y):
    return binary('GE', x, y)


def lesser(x, y):
    return binary('LT', x, y)


def lesser_equal(x, y):
    return binary('LE', x, y)


# ----------------------------------------------------------------------------- switch, cast

class Switch(Op):
    """where(condition, then, else) with broadcasting; condition is bool."""

    def infer(self, ins):
        c, x, y = ins
        if x.dtype != y.dtype:
            raise ShapeError('branches have dtypes %s and %s' % (x.dtype, y.dtype))
        return x.dtype, broadcast_shape(c.shape, broadcast_shape(x.shape, y.shape))

    def ref(self, c, x, y):
        return np.where(c, x, y)

    def grad(self, ins, out, g):
        c, x, y = ins
        if not is_float(x.dtype):
            return [None, None, None]
        zero = zeros_scalar(g.dtype)
        return [None, unbroadcast(switch(c, g, zero), x), unbroadcast(switch(c, zero, g), y)]

    def lower(self, ins, out, L):
        c, x, y = ins
        shape, strides = S.collapse(list(out.shape), *[S.broadcast_strides(i.shape, out.shape) for i in ins])
        L.emit('switch', [c.buf, x.buf, y.buf, out.buf],
               [dtype_code(out.dtype), len(shape)] + shape + strides[0] + strides[1] + strides[2])


def zeros_scalar(dtype):
    return Tensor(as_node(0, dtype))


def switch(condition, then_expression, else_expression):
    """Elementwise choice; callables are called first (Keras 1 allows lazy branches)."""
    return make(Switch(), cast(condition, 'bool'), *branches(then_expression, else_expression))


class Cast(Op):
    """x converted to dtype. Float to integer truncates toward zero; NaN, +-inf and values
    whose truncation lies outside the integer type give 0 (the kernel's result; numpy's there
    is platform-dependent, so ref computes the same for constant folding). Integer to narrower
    integer wraps; anything to bool is x != 0."""

    def __init__(self, dtype):
        self.dtype = dtype

    def infer(self, ins):
        return self.dtype, ins[0].shape

    def ref(self, x):
        x = np.asarray(x)
        if x.dtype.kind == 'f' and self.dtype in INT_DTYPES:
            t = np.trunc(x.astype('float64'))
            info = np.iinfo(self.dtype)
            # float(info.max) + 1 is a power of two: exact, unlike float(info.max) for int64
            ok = (t >= info.min) & (t < float(info.max) + 1)
            return np.where(ok, t, 0).astype(self.dtype)
        return x.astype(self.dtype)

    def forward(self, ins):
        return 0 if ins[0].dtype == self.dtype else None

    def grad(self, ins, out, g):
        if not (is_float(ins[0].dtype) and is_float(self.dtype)):
            return [None]
        return [cast(g, ins[0].dtype)]

    def lower(self, ins, out, L):
        L.emit('cast', [ins[0].buf, out.buf], [dtype_code(ins[0].dtype), dtype_code(self.dtype), out.size])


def cast(x, dtype):
    """x converted to dtype ('float32', 'int32', 'bool', ...)."""
    dtype = normalize_dtype(dtype)
    node = as_node(x)
    if node.dtype == dtype:
        return x if isinstance(x, Tensor) else Tensor(node)
    return make(Cast(dtype), Tensor(node))


# ----------------------------------------------------------------------------- operators

def _install_operators():
    T = Tensor
    T.__add__ = lambda a, b: binary('ADD', a, b)
    T.__radd__ = lambda a, b: binary('ADD', b, a)
    T.__sub__ = lambda a, b: binary('SUB', a, b)
    T.__rsub__ = lambda a, b: binary('SUB', b, a)
    T.__mul__ = lambda a, b: binary('MUL', a, b)
    T.__rmul__ = lambda a, b: binary('MUL', b, a)
    T.__truediv__ = lambda a, b: binary('DIV', a, b)
    T.__rtruediv__ = lambda a, b: binary('DIV', b, a)
    T.__floordiv__ = lambda a, b: binary('FLOORDIV', a, b)
    T.__rfloordiv__ = lambda a, b: binary('FLOORDIV', b, a)
    T.__mod__ = lambda a, b: binary('MOD', a, b)
    T.__rmod__ = lambda a, b: binary('MOD', b, a)
    T.__pow__ = lambda a, b: pow(a, b)
    T.__rpow__ = lambda a, b: binary('POW', b, a)
    T.__neg__ = lambda a: unary('NEG', a)
    T.__pos__ = lambda a: a
    T.__abs__ = lambda a: abs(a)
    T.__lt__ = lambda a, b: binary('LT', a, b)
    T.__le__ = lambda a, b: binary('LE', a, b)
    T.__gt__ = lambda a, b: binary('GT', a, b)
    T.__ge__ = lambda a, b: binary('GE', a, b)
    T.__and__ = lambda a, b: binary('AND', a, b)
    T.__rand__ = lambda a, b: binary('AND', b, a)
    T.__or__ = lambda a, b: binary('OR', a, b)
    T.__ror__ = lambda a, b: binary('OR', b, a)
    T.__xor__ = lambda a, b: binary('XOR', a, b)
    T.__invert__ = lambda a: unary('NOT', a)


_install_operators()
