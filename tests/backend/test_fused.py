"""The fused_elementwise interpreter kernel (csrc/kernels/fused.cpp) through FusedElementwise
(ops/fused.py): every opcode against the numpy interpretation of the same program, dtypes,
broadcasting, sizes 0/1/odd and above a tile, the OpenMP path, and float32 exp/log/tanh/
sigmoid within a few ulp of the correctly rounded result over their whole range; programs
with several outputs, of which only the needed ones are stored."""
import numpy as np
import pytest

import symkeras.backend as K
from symkeras import _core
from symkeras.backend import lower
from symkeras.backend.graph import Output, ShapeError, Tensor, apply, as_node, make
from symkeras.backend.lower import opcodes
from symkeras.backend.ops.elementwise import Binary
from symkeras.backend.ops.fused import FusedElementwise

UNARY_PARAMS = {'RELU': (0.1, 2.5), 'CLIP': (-0.5, 0.75), 'POWC': (3.0,)}
FLOAT_UNARY = [c for c in opcodes('unary') if c != 'NOT']
FLOAT_BINARY = list(opcodes('binary'))
CMP = ('EQ', 'NE', 'GT', 'GE', 'LT', 'LE', 'AND', 'OR', 'XOR')
SPECIAL = [0., -0., 1., -1., 0.5, -2.5, np.inf, -np.inf, np.nan, 1e-30, -1e30]


def run(program, arrays, dtype, rank=None):
    """The kernel's result for `program` on arrays, and the op's numpy reference."""
    ps = [K.placeholder(shape=a.shape, dtype='bool' if a.dtype == bool else str(a.dtype)) for a in arrays]
    op = FusedElementwise(program, dtype, rank if rank is not None else max(a.ndim for a in arrays))
    out = make(op, *ps)
    got = K.function(ps, [out], optimize=False)(list(arrays))[0]
    return got, op.ref(*arrays)


def values(shape, dtype, seed=0):
    rng = np.random.RandomState(seed)
    x = rng.uniform(-3, 3, shape)
    flat = x.reshape(-1)
    flat[:min(len(SPECIAL), flat.size)] = SPECIAL[:flat.size]
    return x.astype(dtype)


def check(got, ref, dtype):
    assert got.shape == ref.shape and got.dtype == ref.dtype
    # a few ulp; atol: an ulp of the intermediate where a sum cancels (fused multiply-add)
    f32 = dtype == 'float32'
    np.testing.assert_allclose(got, ref, rtol=4e-7 if f32 else 1e-15, atol=3e-7 if f32 else 1e-15)


@pytest.mark.parametrize('dtype', ['float32', 'float64'])
@pytest.mark.parametrize('code', FLOAT_UNARY)
def test_unary_opcodes(code, dtype):
    x = values((3, 37), dtype)
    if code == 'POWC':
        x = np.abs(x)
    program = (('load', 0), ('unary', code, 0, UNARY_PARAMS.get(code, ())))
    with np.errstate(all='ignore'):
        check(*run(program, [x], dtype), dtype)


@pytest.mark.parametrize('dtype', ['float32', 'float64'])
@pytest.mark.parametrize('code', FLOAT_BINARY)
def test_binary_opcodes_broadcast(code, dtype):
    x = values((4, 1, 7), dtype, 1)
    y = values((3, 7), dtype, 2)
    cmp = code in CMP
    if code == 'FLOORDIV':   # numpy's differs from floor(x / y), the kernels', at inf and nan
        x, y = np.nan_to_num(x, posinf=7, neginf=-7), np.nan_to_num(y, posinf=7, neginf=-7)
    program = (('load', 0), ('load', 1), ('binary', code, 0, 1))
    if cmp:    # bool values leave the program through a cast
        program += (('cast', dtype, 2),)
    with np.errstate(all='ignore'):
        got, ref = run(program, [x, y], dtype)
    check(got, ref, dtype)
    assert got.shape == (4, 3, 7)


@pytest.mark.parametrize('code', FLOAT_BINARY)
def test_binary_opcodes_match_the_binary_kernel(code):
    """Special values (inf, nan, signed zeros) give exactly what the unfused kernel gives."""
    sp = np.array(SPECIAL, dtype='float32')
    x, y = np.repeat(sp, len(sp)), np.tile(sp, len(sp))
    px, py = K.placeholder(shape=x.shape), K.placeholder(shape=y.shape)
    want = K.function([px, py], [K.cast(make(Binary(code), px, py), 'float32')], optimize=False)([x, y])[0]
    program = (('load', 0), ('load', 1), ('binary', code, 0, 1))
    got, _ = run(program + ((('cast', 'float32', 2),) if code in CMP else ()), [x, y], 'float32')
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize('dtype', ['float32', 'float64'])
def test_select_cast_not_and_bool_inputs(dtype):
    x = values((5, 9), dtype)
    c = np.random.RandomState(3).rand(9) > 0.5
    program = (('load', 0), ('load', 1), ('const', 0.25, dtype), ('binary', 'GT', 0, 2),
               ('unary', 'NOT', 3, ()), ('binary', 'XOR', 4, 1), ('cast', 'bool', 0),
               ('binary', 'AND', 5, 6), ('unary', 'EXP', 0, ()), ('select', 7, 8, 2))
    got, ref = run(program, [x, c], dtype)
    check(got, ref, dtype)


@pytest.mark.parametrize('shape', [(0,), (0, 5), (1,), (1, 1), (), (7,), (255,), (256,), (257,),
                                   (1025,), (3, 300), (129, 1, 5), (5, 1, 701)])
def test_sizes_and_tiles(shape):
    """Tiles (256 to 1024 elements) end inside rows of the broadcast row b and of the
    output; a scalar c is read everywhere."""
    x = values(shape, 'float32')
    b = values(shape[-1:], 'float32', 1)
    c = np.asarray(1.5, 'float32')
    program = (('load', 0), ('load', 1), ('load', 2), ('binary', 'MUL', 0, 2),
               ('unary', 'TANH', 3, ()), ('binary', 'ADD', 4, 1), ('binary', 'SUB', 5, 0))
    got, ref = run(program, [x, b, c], 'float32')
    check(got, ref, 'float32')


def test_many_registers_and_constant_rank():
    """A long chain that keeps many values alive, and constants of higher rank than the inputs
    (the output keeps the rank)."""
    x = values((6, 11), 'float64')
    program = [('load', 0)]
    for k in range(12):
        program.append(('unary', 'SIN' if k % 2 else 'COS', k, ()))
    for k in range(12):
        program.append(('binary', 'ADD', len(program) - 1, 12 - k))
    got, ref = run(tuple(program), [x], 'float64', rank=4)
    assert got.shape == (1, 1, 6, 11)
    check(got, ref, 'float64')


def test_non_contiguous_and_broadcast_operands():
    """A transposed input (materialised by the transpose) and operands broadcast on inner,
    outer and middle dimensions."""
    rng = np.random.RandomState(4)
    a = rng.randn(5, 3, 7).astype('float32')
    b = rng.randn(7, 1, 3).astype('float32')
    c = rng.randn(1, 3, 1).astype('float32')
    pa, pb, pc = K.placeholder(shape=(5, 3, 7)), K.placeholder(shape=(7, 1, 3)), K.placeholder(shape=(1, 3, 1))
    bt = K.permute_dimensions(pb, (1, 2, 0))
    program = (('load', 0), ('load', 1), ('load', 2), ('binary', 'MUL', 0, 1),
               ('binary', 'SUB', 3, 2), ('unary', 'SIGMOID', 4, ()))
    out = make(FusedElementwise(program, 'float32', 3), pa, bt, pc)
    got = K.function([pa, pb, pc], [out], optimize=False)([a, b, c])[0]
    ref = FusedElementwise(program, 'float32', 3).ref(a, b.transpose(1, 2, 0), c)
    check(got, ref, 'float32')


def test_parallel_tiles():
    policy, threads = _core.parallel_policy(), _core.get_num_threads()
    _core.set_parallel_policy(64, 64, policy[2])
    try:
        x = values((33, 129), 'float32')
        program = (('load', 0), ('unary', 'EXP', 0, ()), ('binary', 'MAXIMUM', 1, 0))
        check(*run(program, [x], 'float32'), 'float32')
    finally:
        _core.set_parallel_policy(*policy)
        _core.set_num_threads(threads)


def _ulps(got, want):
    """Distance in units of the last place between float32 arrays (equal NaNs: 0)."""
    def ordered(a):
        i = a.view(np.int32).astype(np.int64)
        return np.where(i < 0, -(i & 0x7fffffff), i)
    d = np.abs(ordered(got) - ordered(want))
    return np.where(np.isnan(got) & np.isnan(want), 0, d)


@pytest.mark.parametrize('code,f', [
    ('EXP', np.exp), ('LOG', np.log), ('TANH', np.tanh),
    ('SIGMOID', lambda v: 1 / (1 + np.exp(-v)))])
def test_float32_transcendentals_within_a_few_ulp(code, f):
    rng = np.random.RandomState(5)
    mags = np.concatenate([np.logspace(-45, 38.5, 4000), rng.uniform(0, 120, 4000),
                           [0, 1e-45, 1.2e-38, 88.72, 88.73, 103.9, 104, 3.4e38, np.inf]])
    x = np.concatenate([mags, -mags, [np.nan]]).astype('float32')
    got, _ = run((('load', 0), ('unary', code, 0, ())), [x], 'float32')
    with np.errstate(all='ignore'):
        want = f(x.astype(np.float64)).astype(np.float32)
    bad = _ulps(got, want) > 4
    assert not bad.any(), list(zip(x[bad][:5], got[bad][:5], want[bad][:5]))


def test_grad_raises():
    x = K.placeholder(shape=(3,))
    y = make(FusedElementwise((('load', 0), ('unary', 'EXP', 0, ())), 'float32', 1), x)
    with pytest.raises(TypeError, match='only in rewritten programs'):
        K.gradients(K.sum(y), [x])


def test_infer_rejects_bad_inputs():
    program = (('load', 0), ('load', 1), ('binary', 'ADD', 0, 1))
    op = FusedElementwise(program, 'float32', 1)
    with pytest.raises(ShapeError, match='input 1 has dtype int32'):
        make(op, K.placeholder(shape=(3,)), K.placeholder(shape=(3,), dtype='int32'))
    with pytest.raises(ShapeError, match=r'input 1 of shape \(4,\) does not broadcast with \(3,\)'):
        make(op, K.placeholder(shape=(3,)), K.placeholder(shape=(4,)))


def _emitted_headers(monkeypatch):
    """The ip of every fused_elementwise instruction emitted from now on."""
    headers = []
    emit = lower.Lowering.emit

    def spy(self, kernel, bufs, ip=(), fp=()):
        if kernel == 'fused_elementwise':
            headers.append(list(ip))
        emit(self, kernel, bufs, ip, fp)

    monkeypatch.setattr(lower.Lowering, 'emit', spy)
    return headers


@pytest.mark.parametrize('dtype', ['float32', 'float64'])
@pytest.mark.parametrize('shape', [(0, 3), (1,), (7, 5), (3, 700)])
def test_several_outputs(dtype, shape, monkeypatch):
    """Output 0 is the last value, outputs 1 and 2 earlier ones (one of them a bool cast to
    float); each matches the program's numpy run. Only the outputs read are stored: without
    its projection, output 1 is not in the instruction."""
    rng = np.random.RandomState(6)
    x, y = rng.uniform(-2, 2, shape).astype(dtype), rng.uniform(-2, 2, shape[-1:]).astype(dtype)
    program = (('load', 0), ('load', 1), ('binary', 'MUL', 0, 1), ('unary', 'TANH', 2, ()),
               ('binary', 'GT', 3, 0), ('cast', dtype, 4), ('binary', 'ADD', 3, 5),
               ('binary', 'SUB', 6, 2))
    op = FusedElementwise(program, dtype, len(shape), outputs=(3, 5))
    px, py = K.placeholder(shape=shape, dtype=dtype), K.placeholder(shape=shape[-1:], dtype=dtype)
    node = apply(op, as_node(px), as_node(py))
    outs = [Tensor(node), Tensor(apply(Output(1), node)), Tensor(apply(Output(2), node))]
    want = op.evaluate(x, y)
    headers = _emitted_headers(monkeypatch)
    for got, w in zip(K.function([px, py], outs, optimize=False)([x, y]), want):
        check(got, w, dtype)
    (last,) = K.function([px, py], [outs[0], outs[2]], optimize=False)([x, y])[1:]
    check(last, want[2], dtype)
    assert [h[2] for h in headers] == [3, 2]       # n_out: all three, then outputs 0 and 2


def test_several_outputs_are_never_folded():
    """Constant inputs: a single-output program folds; one with projections is computed."""
    c = as_node(np.arange(4.0, dtype='float32'))
    program = (('load', 0), ('unary', 'EXP', 0, ()), ('binary', 'MUL', 1, 0))
    assert apply(FusedElementwise(program, 'float32', 1), c).value is not None
    node = apply(FusedElementwise(program, 'float32', 1, outputs=(1,)), c)
    second = apply(Output(1), node)
    assert node.value is None and second.value is None
    got = K.function([], [Tensor(node), Tensor(second)])([])
    a = np.arange(4.0, dtype='float32')
    np.testing.assert_allclose(got[0], np.exp(a) * a, rtol=1e-6)
    np.testing.assert_allclose(got[1], np.exp(a), rtol=1e-6)
