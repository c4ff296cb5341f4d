"""Random numbers: uniform, normal and binomial tensors, and dropout, on the counter-based
generator Philox4x32-10 (csrc/kernels/random.cpp).

Element i of a random tensor is a pure function of (seed, step, i): the seed is the user's (or
one drawn from numpy's global generator when the node is built, so np.random.seed at the top of
a script makes the whole run reproducible; its two 32-bit halves are the Philox key, called
seed and stream below); the step is the compiled Function's call counter, so every call draws
new numbers and a freshly compiled Function starts again from step 0. Nothing depends on the number
of threads. The numpy functions below reproduce the kernels bit for bit (up to the last ulp of
libm), as the ops' references.
"""

import numpy as np

from ..graph import Op, ShapeError, Tensor, as_node, compatible_dim, is_float, make, normalize_dtype
from ..lower import dtype_code
from .broadcast import target_shape, shape
from .elementwise import cast
from .shape import shape_vector

__all__ = ['random_uniform', 'random_normal', 'random_binomial', 'dropout']

# ----------------------------------------------------------------------------- Philox4x32-10

_M0, _M1 = np.uint64(0xD2511F53), np.uint64(0xCD9E8D57)
_W0, _W1 = np.uint64(0x9E3779B9), np.uint64(0xBB67AE85)
_MASK = np.uint64(0xFFFFFFFF)
_32 = np.uint64(32)


def philox_np(counter, key):
    """Philox4x32-10 in numpy: counter (..., 4) and key (..., 2) of 32-bit words -> (..., 4)."""
    counter = np.asarray(counter).astype(np.uint64) & _MASK
    key = np.asarray(key).astype(np.uint64) & _MASK
    c = [counter[..., j] for j in range(4)]
    k0, k1 = key[..., 0], key[..., 1]
    for r in range(10):
        if r:
            k0, k1 = (k0 + _W0) & _MASK, (k1 + _W1) & _MASK
        p0, p1 = _M0 * c[0], _M1 * c[2]
        c = [(p1 >> _32) ^ c[1] ^ k0, p1 & _MASK, (p0 >> _32) ^ c[3] ^ k1, p0 & _MASK]
    return np.stack(c, axis=-1)


class Philox(Op):
    """The raw generator on (n, 4) counters and (n, 2) keys, as int64 words in [0, 2^32): the
    kernel behind every random op, exposed so that it can be checked on known-answer vectors."""

    def infer(self, ins):
        ctr, key = ins
        if len(ctr.shape) != 2 or ctr.shape[1] not in (4, None):
            raise ShapeError('counter must have shape (n, 4); got %s' % (ctr.shape,))
        if len(key.shape) != 2 or key.shape[1] not in (2, None):
            raise ShapeError('key must have shape (n, 2); got %s' % (key.shape,))
        if not compatible_dim(ctr.shape[0], key.shape[0]):
            raise ShapeError('counter has shape %s but key has shape %s' % (ctr.shape, key.shape))
        return 'int64', (ctr.shape[0] if ctr.shape[0] is not None else key.shape[0], 4)

    def ref(self, ctr, key):
        return philox_np(ctr, key).astype(np.int64)

    def fold(self, ins):
        return None    # always run the kernel: this op exists to test it

    def grad(self, ins, out, g):
        return [None, None]

    def lower(self, ins, out, L):
        L.emit('philox4x32', [ins[0].buf, ins[1].buf, out.buf], [out.shape[0]])


def philox_block(counter, key):
    """Philox4x32-10 blocks of int64 counters (n, 4) under int64 keys (n, 2)."""
    return make(Philox(), cast(counter, 'int64'), cast(key, 'int64'))


# The words of element i: block i // PER, counter (block lo, block hi, step lo, step hi) under
# key (seed, stream), as in csrc/kernels/random.cpp.
_PER_BLOCK = {('uniform', 'float32'): 4, ('uniform', 'float64'): 2,
              ('normal', 'float32'): 4, ('normal', 'float64'): 2}


def _blocks(seed, stream, step, nblocks):
    b = np.arange(nblocks, dtype=np.uint64)
    step = np.uint64(step)
    ctr = np.stack([b & _MASK, b >> _32, np.full_like(b, step & _MASK), np.full_like(b, step >> _32)], -1)
    return philox_np(ctr, np.array([seed, stream], dtype=np.uint64))


def _bits53(hi, lo):
    return ((hi << _32) | lo) >> np.uint64(11)


def _uniform_np(w, dtype, low, high):
    if dtype == 'float32':
        u = (w >> np.uint64(8)).astype(np.float64) * 2.0 ** -24
    else:
        u = _bits53(w[:, 0::2], w[:, 1::2]).astype(np.float64) * 2.0 ** -53
    t = np.dtype(dtype).type
    lo, hi = t(low), t(high)
    v = (low + (high - low) * u.reshape(-1)).astype(dtype)
    return np.where((v >= hi) & (hi > lo), np.nextafter(hi, lo), v)


def _normal_np(w, dtype, mean, std):
    if dtype == 'float32':
        u1, u2 = (w[:, 0::2] + 1.0) * 2.0 ** -32, w[:, 1::2] * 2.0 ** -32
    else:
        u1 = (_bits53(w[:, 0:1], w[:, 1:2]) + 1.0) * 2.0 ** -53
        u2 = _bits53(w[:, 2:3], w[:, 3:4]) * 2.0 ** -53
    r, th = np.sqrt(-2.0 * np.log(u1)), 2 * np.pi * u2
    z = np.stack([r * np.cos(th), r * np.sin(th)], -1).reshape(-1)
    return mean + std * z


def _binomial_np(w, dtype, p):
    return w.reshape(-1).astype(np.float64) < p * 2.0 ** 32


_NUMPY = {'uniform': _uniform_np, 'normal': _normal_np, 'binomial': _binomial_np}

# ----------------------------------------------------------------------------- the op

def _seed_and_stream(seed):
    """The Philox key of a random node: the low and high 32 bits of its seed (drawn from
    numpy's global generator if None, as Keras does). As with Theano's RandomStreams(seed), two
    random nodes built with one seed draw the same numbers, so a model rebuilt after
    np.random.seed(...) draws exactly what it drew before."""
    if seed is None:
        seed = np.random.randint(1, 10 ** 7)
    seed = int(seed) % 2 ** 64
    return seed % 2 ** 32, seed >> 32


class Random(Op):
    """A tensor of random numbers of the shape given by its input (an int vector, known when
    the program is specialised). kind: uniform (params low, high), normal (mean, std) or
    binomial (p). Impure: two random nodes are never merged, and never folded."""
    pure = False
    static_inputs = (0,)

    def __init__(self, kind, dtype, seed, stream, params):
        self.kind = kind
        self.dtype = dtype
        self.seed = seed
        self.stream = stream
        self.params = tuple(float(p) for p in params)

    def infer(self, ins):
        return self.dtype, target_shape(ins, 0)

    def ref(self, shape_vec, step=0):
        """The values the kernel gives at call `step`."""
        shape = tuple(int(d) for d in shape_vec)
        n = int(np.prod(shape, dtype=np.int64))
        per = _PER_BLOCK.get((self.kind, self.dtype), 4)
        w = _blocks(self.seed, self.stream, step, -(-n // per))
        v = _NUMPY[self.kind](w, self.dtype, *self.params)
        return np.asarray(v[:n], dtype=self.dtype).reshape(shape)

    def grad(self, ins, out, g):
        return [None]

    def lower(self, ins, out, L):
        L.emit('random_' + self.kind, [out.buf],
               [self.seed, self.stream, dtype_code(out.dtype), out.size], self.params)


def _random(kind, shape_arg, dtype, seed, params, float_only=True):
    dtype = normalize_dtype(dtype)
    if float_only and not is_float(dtype):
        raise TypeError('random_%s: dtype must be float32 or float64; got %s' % (kind, dtype))
    seed, stream = _seed_and_stream(seed)
    return make(Random(kind, dtype, seed, stream, params), shape_vector(shape_arg, 'random_' + kind))


def random_uniform(shape, low=0.0, high=1.0, dtype=None, seed=None):
    """Uniform numbers in [low, high). shape: ints and/or int scalar tensors, or K.shape(x)."""
    return _random('uniform', shape, dtype, seed, (low, high))


def random_normal(shape, mean=0.0, std=1.0, dtype=None, seed=None):
    """Normal numbers (Box-Muller) of the given mean and standard deviation."""
    return _random('normal', shape, dtype, seed, (mean, std))


def random_binomial(shape, p=0.0, dtype=None, seed=None):
    """1 with probability p, else 0."""
    return _random('binomial', shape, dtype, seed, (p,), float_only=False)


def dropout(x, level, noise_shape=None, seed=None):
    """Inverted dropout (Keras 1 Theano backend): x * mask / (1 - level), mask ~ binomial with
    p = 1 - level, of shape noise_shape (broadcast against x along its 1s) or x's shape."""
    if level < 0.0 or level >= 1:
        raise ValueError('Dropout level must be in interval [0, 1[; got %r' % (level,))
    x = x if isinstance(x, Tensor) else Tensor(as_node(x))
    retain = 1.0 - level
    mask = random_binomial(shape(x) if noise_shape is None else noise_shape,
                           p=retain, dtype=x.dtype, seed=seed)
    return x * mask / retain
