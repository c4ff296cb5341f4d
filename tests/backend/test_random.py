import subprocess
import sys

import numpy as np
import pytest

import symkeras.backend as K
from symkeras import _core
from symkeras.backend.graph import ShapeError
from symkeras.backend.ops.broadcast import sum_to
from symkeras.backend.ops.random import _blocks, philox_block, philox_np
from opcheck import check_value

# Random123's tests/kat_vectors, "philox4x32 10" lines: counter[4], key[2] -> output[4].
KAT = [
    ([0, 0, 0, 0], [0, 0], [0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8]),
    ([0xffffffff] * 4, [0xffffffff] * 2, [0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd]),
    ([0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344], [0xa4093822, 0x299f31d0],
     [0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1]),
]

KINDS = {'uniform': (K.random_uniform, (-2.0, 3.0)),
         'normal': (K.random_normal, (1.0, 2.0)),
         'binomial': (K.random_binomial, (0.3,))}


def scalar_sum(x):
    return sum_to(x, np.zeros((0,), dtype='int64'))


@pytest.fixture
def parallel():
    """Kernels on more than 64 elements take their OpenMP path; the policy and the thread count
    are restored afterwards."""
    policy, threads = _core.parallel_policy(), _core.get_num_threads()
    _core.set_parallel_policy(64, 64, policy[2])
    yield
    _core.set_parallel_policy(*policy)
    _core.set_num_threads(threads)


# ----------------------------------------------------------------------------- the generator

def test_philox_known_answer_vectors():
    ctr = np.array([c for c, _, _ in KAT], dtype=np.int64)
    key = np.array([k for _, k, _ in KAT], dtype=np.int64)
    want = np.array([o for _, _, o in KAT], dtype=np.int64)
    np.testing.assert_array_equal(philox_np(ctr, key).astype(np.int64), want)
    got = check_value(philox_block, lambda c, k: want, ctr, key)
    assert got.dtype == np.int64


@pytest.mark.parametrize('n', [0, 1, 7, 64])
def test_philox_kernel_matches_numpy_on_random_words(n):
    rng = np.random.RandomState(n)
    ctr = rng.randint(0, 2 ** 32, size=(n, 4), dtype=np.int64)
    key = rng.randint(0, 2 ** 32, size=(n, 2), dtype=np.int64)
    check_value(philox_block, lambda c, k: philox_np(c, k).astype(np.int64), ctr, key)


def test_philox_shape_errors():
    with pytest.raises(ShapeError, match=r'counter must have shape \(n, 4\)'):
        philox_block(np.zeros((2, 3), 'int64'), np.zeros((2, 2), 'int64'))
    with pytest.raises(ShapeError, match=r'key must have shape \(n, 2\)'):
        philox_block(np.zeros((2, 4), 'int64'), np.zeros((2,), 'int64'))
    with pytest.raises(ShapeError, match=r'counter has shape \(2, 4\) but key has shape \(3, 2\)'):
        philox_block(np.zeros((2, 4), 'int64'), np.zeros((3, 2), 'int64'))


# ----------------------------------------------------------------------------- values

@pytest.mark.parametrize('kind', sorted(KINDS))
@pytest.mark.parametrize('dtype', ['float32', 'float64'])
@pytest.mark.parametrize('shape', [(), (0,), (1,), (3,), (7,), (3, 5), (2, 0, 3), (17, 3)])
def test_kernel_matches_reference_over_steps(kind, dtype, shape):
    fn, params = KINDS[kind]
    r = fn(shape, *params, dtype=dtype, seed=11)
    f = K.function([], [r])
    for step in range(3):
        got = f([])[0]
        want = r.node.op.ref(np.array(shape, dtype=np.int64), step)
        assert got.shape == shape and got.dtype == np.dtype(dtype)
        tol = 1e-6 if dtype == 'float32' else 1e-12
        np.testing.assert_allclose(got, want, rtol=tol, atol=tol)


@pytest.mark.parametrize('dtype', ['float32', 'float64'])
def test_uniform_statistics(dtype):
    v = K.eval(K.random_uniform((100000,), -2.0, 3.0, dtype=dtype, seed=1)).astype(np.float64)
    assert v.min() >= -2.0 and v.max() < 3.0
    assert v.min() < -1.99 and v.max() > 2.99
    assert abs(v.mean() - 0.5) < 0.02                  # sd of the mean: 0.0046
    assert abs(v.var() - 25 / 12) < 0.03
    hist = np.histogram(v, bins=10, range=(-2, 3))[0]
    assert np.all(np.abs(hist - 10000) < 450)          # sd of a bin count: 95


@pytest.mark.parametrize('dtype', ['float32', 'float64'])
def test_normal_statistics(dtype):
    v = K.eval(K.random_normal((100000,), mean=1.0, std=2.0, dtype=dtype, seed=2)).astype(np.float64)
    z = (v - 1.0) / 2.0
    assert abs(z.mean()) < 0.015                       # sd of the mean: 0.0032
    assert abs(z.std() - 1) < 0.01
    assert abs(np.mean(z ** 3)) < 0.05
    assert abs(np.mean(z ** 4) - 3) < 0.1
    assert abs(np.mean(np.abs(z) < 1) - 0.682689) < 0.006


@pytest.mark.parametrize('dtype', ['float32', 'float64', 'int32', 'uint8'])
def test_binomial_frequency(dtype):
    v = K.eval(K.random_binomial((100000,), p=0.3, dtype=dtype, seed=3))
    assert v.dtype == np.dtype(dtype)
    assert set(np.unique(v)) == {0, 1}
    assert abs(v.mean() - 0.3) < 0.006                 # sd: 0.00145
    assert not K.eval(K.random_binomial((1000,), p=0.0, seed=3)).any()
    assert K.eval(K.random_binomial((1000,), p=1.0, seed=3)).all()


def test_default_dtype_is_floatx():
    assert K.random_uniform((2,)).dtype == K.floatx()
    assert K.random_normal((2,)).dtype == K.floatx()
    assert K.random_binomial((2,)).dtype == K.floatx()


# ----------------------------------------------------------------------------- reproducibility

def test_same_seed_same_values_in_fresh_functions():
    r = K.random_normal((5, 4), seed=123)
    a = K.function([], [r])([])[0]
    b = K.function([], [r])([])[0]
    np.testing.assert_array_equal(a, b)


def test_each_call_draws_new_numbers():
    f = K.function([], [K.random_uniform((50,), seed=7)])
    a, b = f([])[0], f([])[0]
    assert not np.array_equal(a, b)


def test_one_seed_draws_the_same_numbers_as_theanos_random_streams():
    r1 = K.random_uniform((50,), seed=7)
    r2 = K.random_uniform((50,), seed=7)
    r3 = K.random_uniform((50,), seed=8)
    assert r1.node is not r2.node   # never merged: each node is its own random tensor
    a, b, c = K.function([], [r1, r2, r3])([])
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    assert r1.node.value is None    # never folded, though its shape is static


def test_seeds_above_32_bits_use_both_key_words():
    a, b = K.function([], [K.random_uniform((20,), seed=5), K.random_uniform((20,), seed=5 + 2 ** 32)])([])
    assert not np.array_equal(a, b)


def test_seed_none_draws_from_numpy_global_rng():
    np.random.seed(42)
    s1 = K.random_uniform((3,)).node.op.seed
    np.random.seed(42)
    s2 = K.random_uniform((3,)).node.op.seed
    assert s1 == s2
    assert K.random_uniform((3,)).node.op.seed != s2


SCRIPT = """
import numpy as np
import symkeras.backend as K
np.random.seed(5)
x = K.placeholder((None, 3))
f = K.function([x], [K.dropout(x, 0.5), K.random_normal((4,))])
for _ in range(2):
    for v in f([np.ones((6, 3))]):
        print(v.tobytes().hex())
"""


def test_script_is_reproducible_under_numpy_seed():
    runs = [subprocess.run([sys.executable, '-c', SCRIPT], capture_output=True, text=True, check=True).stdout
            for _ in range(2)]
    assert runs[0] == runs[1] and len(runs[0].split()) == 4


@pytest.mark.parametrize('kind', sorted(KINDS))
@pytest.mark.parametrize('dtype', ['float32', 'float64'])
def test_bit_identical_with_one_and_two_threads(parallel, kind, dtype):
    fn, params = KINDS[kind]
    n = 1001     # odd: the threads get unequal runs of blocks and the last block is partial
    r = fn((n,), *params, dtype=dtype, seed=9)
    outs = []
    for threads in (1, 2):
        _core.set_num_threads(threads)
        assert _core.get_num_threads() == threads
        f = K.function([], [r])
        outs.append([f([])[0] for _ in range(2)])
    tol = 1e-6 if dtype == 'float32' else 1e-12
    for step, (one, two) in enumerate(zip(*outs)):
        assert one.tobytes() == two.tobytes()
        np.testing.assert_allclose(two, r.node.op.ref(np.array([n]), step), rtol=tol, atol=tol)


# ----------------------------------------------------------------------------- shapes

def test_symbolic_shape_vector():
    x = K.placeholder((None, 3))
    r = K.random_uniform(K.shape(x), seed=1)
    assert r.node.shape == (None, 3)
    f = K.function([x], [r])
    for n in (0, 1, 5):
        v = f([np.zeros((n, 3), 'float32')])[0]
        assert v.shape == (n, 3)


def test_tuple_with_scalar_tensors():
    x = K.placeholder((None, 3))
    r = K.random_normal((x.shape[0], 2, x.shape[1]), seed=1)
    assert r.node.shape == (None, 2, 3)
    assert K.function([x], [r])([np.zeros((4, 3))])[0].shape == (4, 2, 3)


def test_shape_as_int_and_list():
    assert K.eval(K.random_uniform(4, seed=1)).shape == (4,)
    assert K.eval(K.random_uniform([2, 3], seed=1)).shape == (2, 3)
    assert K.eval(K.random_uniform(np.array([2, 3]), seed=1)).shape == (2, 3)


def test_shape_errors():
    with pytest.raises(ShapeError, match='negative dimension'):
        K.random_uniform((2, -1))
    with pytest.raises(ShapeError, match='a shape must be an int vector .* got a float32 tensor of shape'):
        K.random_uniform(K.variable(np.ones(2)))
    with pytest.raises(ShapeError, match=r'got a int64 tensor of shape \(2, 2\)'):
        K.random_uniform((K.shape(K.placeholder((None, 3))), [4, 5]))
    with pytest.raises(ShapeError, match='got a float32 tensor'):
        K.random_uniform((2, K.variable(3.0)))
    with pytest.raises(TypeError, match='dtype must be float32 or float64; got int32'):
        K.random_normal((2,), dtype='int32')


def test_shape_must_be_known_before_the_step():
    x = K.placeholder((None,), dtype='int64')
    with pytest.raises(ShapeError, match='Random'):
        K.function([x], [K.random_uniform(x)])([np.array([2, 3])])


def test_no_gradient_through_random():
    x = K.placeholder((3,), dtype='float64')
    r = K.random_uniform((3,), dtype='float64', seed=1)
    g = K.gradients(scalar_sum(x * r), [x])[0]
    rv, gv = K.function([x], [r, g])([np.ones(3)])
    np.testing.assert_array_equal(gv, rv)
    assert r.node.op.grad([], r, None) == [None]


# ----------------------------------------------------------------------------- dropout

@pytest.mark.parametrize('level', [-0.1, 1.0, 1.5])
def test_dropout_level_errors(level):
    with pytest.raises(ValueError, match=r'Dropout level must be in interval \[0, 1\[; got %r' % level):
        K.dropout(K.placeholder((2,)), level)


@pytest.mark.parametrize('dtype', ['float32', 'float64'])
def test_dropout_scale_and_fraction(dtype):
    x = K.placeholder((None, None), dtype=dtype)
    f = K.function([x], [K.dropout(x, 0.25, seed=4)])
    xv = np.random.uniform(1, 2, (400, 250)).astype(dtype)
    y = f([xv])[0]
    assert y.dtype == np.dtype(dtype)
    kept = y != 0
    np.testing.assert_allclose(y[kept], xv[kept] / 0.75, rtol=1e-6)
    assert abs(kept.mean() - 0.75) < 0.006
    assert not np.array_equal(f([xv])[0] != 0, kept)


def test_dropout_level_zero_is_identity():
    x = K.placeholder((None, 5))
    xv = np.random.randn(3, 5).astype('float32')
    np.testing.assert_array_equal(K.function([x], [K.dropout(x, 0.0)])([xv])[0], xv)


def test_dropout_noise_shape_broadcasts():
    x = K.placeholder((None, 6, 40))
    f = K.function([x], [K.dropout(x, 0.5, noise_shape=(x.shape[0], 1, 40), seed=5)])
    y = f([np.ones((8, 6, 40), 'float32')])[0]
    assert y.shape == (8, 6, 40)
    np.testing.assert_array_equal(y, np.broadcast_to(y[:, :1, :], y.shape))
    assert set(np.unique(y)) == {0.0, 2.0}
    g = K.function([x], [K.dropout(x, 0.5, noise_shape=(1, 6, 1), seed=5)])
    y2 = g([np.ones((3, 6, 40), 'float32')])[0]
    np.testing.assert_array_equal(y2, np.broadcast_to(y2[:1, :, :1], y2.shape))


@pytest.mark.parametrize('dtype', ['float32', 'float64'])
def test_dropout_gradient_is_mask_over_retain(dtype):
    x = K.placeholder((None, 7), dtype=dtype)
    y = K.dropout(x, 0.4, seed=6)
    g = K.gradients(scalar_sum(y), [x])[0]
    f = K.function([x], [y, g])
    xv = np.random.uniform(1, 2, (30, 7)).astype(dtype)
    for _ in range(2):          # the mask changes between calls, but not within one
        yv, gv = f([xv])
        assert set(np.unique(gv)) == {0.0, np.asarray(1 / 0.6, dtype).item()}
        np.testing.assert_allclose(yv, xv * gv, rtol=1e-6)


def test_dropout_of_a_strided_view():
    x = K.placeholder((None, 9))
    f = K.function([x], [K.dropout(x[:, ::2], 0.5, seed=8)])
    xv = np.random.uniform(1, 2, (50, 9)).astype('float32')
    y = f([xv])[0]
    assert y.shape == (50, 5)
    kept = y != 0
    np.testing.assert_allclose(y[kept], xv[:, ::2][kept] * 2, rtol=1e-6)
    assert 0.35 < kept.mean() < 0.65


# ----------------------------------------------------------------------------- vectorised kernels
# The kernels draw sixteen Philox blocks at a time (AVX-512 lanes, or two AVX2 halves): sizes
# around multiples of 16 blocks (64 float32 values, 32 float64 ones) check the group edges.

@pytest.mark.parametrize('dtype', ['float32', 'float64', 'int32', 'int64', 'uint8', 'bool'])
def test_binomial_is_the_reference_bit_for_bit(dtype):
    rng = np.random.RandomState(20)
    for n in [0, 1, 3, 63, 64, 65, 127, 128, 129, 1000, 4097]:
        for p in [0.0, 0.5, 0.8, 1.0 - 2.0 ** -33, 1.0, float(rng.rand())]:
            r = K.random_binomial((n,), p=p, dtype=dtype, seed=int(rng.randint(1, 2 ** 62)))
            f = K.function([], [r])
            for step in range(2):
                got = f([])[0]
                assert got.dtype == np.dtype(dtype)
                np.testing.assert_array_equal(got, r.node.op.ref(np.array([n]), step))


@pytest.mark.parametrize('dtype', ['float32', 'float64'])
def test_uniform_is_the_reference(dtype):
    """float32 bit for bit; float64 to the rounding of low + span * u (the compiler may fuse it
    into one multiply-add, which numpy does not)."""
    rng = np.random.RandomState(21)
    for n in [0, 1, 31, 32, 33, 63, 64, 65, 999]:
        for low, high in [(0.0, 1.0), (-0.7, 2.3), (1.0, 1.0 + 1e-7)]:
            r = K.random_uniform((n,), low, high, dtype=dtype, seed=int(rng.randint(1, 2 ** 62)))
            f = K.function([], [r])
            for step in range(2):
                got, want = f([])[0], r.node.op.ref(np.array([n]), step)
                if dtype == 'float32':
                    np.testing.assert_array_equal(got, want)
                else:
                    np.testing.assert_allclose(got, want, rtol=0, atol=1e-15)


@pytest.mark.parametrize('dtype', ['float32', 'float64'])
def test_normal_matches_the_reference_at_group_edges(dtype):
    rng = np.random.RandomState(22)
    tol = 1e-6 if dtype == 'float32' else 1e-12
    for n in [1, 2, 31, 32, 33, 63, 64, 65, 130]:
        r = K.random_normal((n,), 0.5, 2.0, dtype=dtype, seed=int(rng.randint(1, 2 ** 62)))
        np.testing.assert_allclose(K.function([], [r])([])[0], r.node.op.ref(np.array([n]), 0),
                                   rtol=tol, atol=tol)


def test_binomial_threshold_is_exact_at_word_boundaries():
    """word < p * 2^32 decided on integers: p = k / 2^32 keeps exactly the words below k."""
    n = 4096
    for k in [1, 2 ** 31, 2 ** 32 - 1]:
        r = K.random_binomial((n,), p=k * 2.0 ** -32, dtype='int32', seed=5 + 2 ** 40)
        op = r.node.op
        words = _blocks(op.seed, op.stream, 0, n // 4).reshape(-1)
        np.testing.assert_array_equal(K.function([], [r])([])[0], words < k)
