"""Shape ops (symkeras/backend/ops/shape.py): values against numpy with static and unknown
shapes, gradients against finite differences, static shape inference, errors."""
import numpy as np
import pytest

import symkeras.backend as K
from opcheck import check_grad, check_value, evaluate
from symkeras.backend import lower
from symkeras.backend.graph import FOLD_LIMIT, ShapeError, make
from symkeras.backend.ops import shape as SH


def rand(*shape, dtype='float32'):
    return np.random.uniform(-1, 1, shape).astype(dtype)


def kernels_of(fn, *arrays):
    """Names of the kernels a compiled function runs for these inputs."""
    ps = [K.placeholder(a.shape, dtype=str(a.dtype)) for a in arrays]
    f = K.function(ps, [fn(*ps)])
    f(list(arrays))
    (program, _), = f._cache.values()
    return [lower.KERNEL_NAMES[k] for k in program.kernels]


# ----------------------------------------------------------------------------- reshape

@pytest.mark.parametrize('in_shape, target', [
    ((2, 3), (3, 2)), ((2, 3), (-1,)), ((2, 3, 4), (4, -1)), ((2, 3, 4), (-1, 1, 12)),
    ((1,), ()), ((), (1, 1)), ((0, 3), (3, 0)), ((0, 3), (-1, 1, 6)), ((5, 7), (7, 5)),
])
def test_reshape_values(in_shape, target):
    x = rand(*in_shape)
    check_value(lambda a: K.reshape(a, target), lambda a: a.reshape(target), x, dtype='float32')


def test_reshape_keeps_dtype_and_accepts_a_list_and_numpy_ints():
    x = np.arange(12, dtype='int32').reshape(3, 4)
    check_value(lambda a: K.reshape(a, [np.int64(2), 6]), lambda a: a.reshape(2, 6), x, dtype='int32')
    check_value(lambda a: K.reshape(a, 12), lambda a: a.reshape(12), x)


def test_reshape_static_shapes():
    x = K.placeholder((None, 3, 4))
    assert K.reshape(x, (-1, 12)).node.shape == (None, 12)
    assert K.reshape(x, (2, -1)).node.shape == (2, None)
    assert K.reshape(K.placeholder((2, 3, 4)), (-1, 3)).node.shape == (8, 3)


def test_reshape_no_copy():
    x = rand(2, 3, 4)
    assert kernels_of(lambda a: K.reshape(a * 2, (4, 6)), x) == ['binary']
    for f in (K.flatten, K.batch_flatten, lambda a: K.expand_dims(a, 1),
              lambda a: K.squeeze(K.expand_dims(a, 0), 0)):
        assert 'copy_strided' not in kernels_of(lambda a: f(a * 2), x)


def test_reshape_grad():
    check_grad(lambda a: K.reshape(a, (3, -1)) * K.reshape(a, (3, 4)), rand(2, 6))
    check_grad(lambda a: K.reshape(a, ()), rand(1, 1))


def test_reshape_of_non_contiguous_input():
    x = rand(3, 4)
    check_value(lambda a: K.reshape(K.transpose(a), (2, 6)), lambda a: a.T.reshape(2, 6), x)
    check_grad(lambda a: K.reshape(K.transpose(a), (2, 6)), x)


def test_reshape_symbolic_stack_of_dims():
    """A target holding a scalar tensor becomes a Stack whose static entries give a partly
    known shape while building, and whose value is known at specialisation."""
    x = K.placeholder((None, 3, 4))
    batch = make(SH.Dim(0), x)
    y = K.reshape(x, (batch, 4, -1))
    assert y.node.shape == (None, 4, None)
    assert isinstance(y.node.inputs[1].op, SH.Stack)
    assert SH.static_entries(y.node.inputs[1]) == (None, 4, -1)
    a = rand(5, 3, 4)
    np.testing.assert_array_equal(K.function([x], [y])([a])[0], a.reshape(5, 4, 3))
    check_grad(lambda p: K.reshape(p, (make(SH.Dim(0), p), -1)), rand(2, 3, 2))


def test_reshape_by_k_shape_entries():
    x = K.placeholder((None, 3, 4))
    y = K.reshape(x, (K.shape(x)[0], -1))
    assert y.node.ndim == 2
    assert K.reshape(x, (K.shape(x)[1], -1)).node.shape == (3, None)
    assert K.reshape(K.placeholder((2, 3, 4)), (K.shape(x)[2], -1)).node.shape == (4, 6)
    a = rand(3, 3, 4)
    np.testing.assert_array_equal(K.function([x], [y])([a])[0], a.reshape(3, 12))


def test_reshape_by_a_shape_vector():
    x, y = K.placeholder(ndim=2), K.placeholder(ndim=3)
    out = K.reshape(x, K.shape(y))
    a, b = rand(4, 6), rand(2, 3, 4)
    np.testing.assert_array_equal(K.function([x, y], [out])([a, b])[0], a.reshape(2, 3, 4))
    int32_target = K.reshape(x, K.cast(K.shape(y), 'int32'))
    np.testing.assert_array_equal(K.function([x, y], [int32_target])([a, b])[0], a.reshape(2, 3, 4))


def test_reshape_errors():
    with pytest.raises(ShapeError, match=r'Reshape: cannot reshape a tensor of shape \(2, 3\) '
                                         r'\(6 elements\) into shape \(4, 2\) \(8 elements\)'):
        K.reshape(K.placeholder((2, 3)), (4, 2))
    with pytest.raises(ShapeError, match=r'cannot reshape a tensor of shape \(2, 3\) \(6 elements\) '
                                         r'into shape \(4, -1\)'):
        K.reshape(K.placeholder((2, 3)), (4, -1))
    with pytest.raises(ShapeError, match=r'shape \(0, 3\) \(0 elements\) into shape \(0, -1\)'):
        K.reshape(K.placeholder((0, 3)), (0, -1))   # -1 is ambiguous, as in numpy
    with pytest.raises(ShapeError, match='one -1'):
        K.reshape(K.placeholder((2, 3)), (-1, -1))
    with pytest.raises(TypeError, match='shape entries'):
        K.reshape(K.placeholder((2, 3)), (None, 3))
    # unknown until specialisation: the same message when the function is called
    x = K.placeholder((None, 3))
    f = K.function([x], [K.reshape(x, (4, 2))])
    with pytest.raises(ShapeError, match=r'Reshape: cannot reshape a tensor of shape \(3, 3\) '
                                         r'\(9 elements\) into shape \(4, 2\) \(8 elements\).*test_shape'):
        f([rand(3, 3)])


def test_reshape_target_must_be_known_before_the_step():
    x, v = K.placeholder((2, 3)), K.placeholder((2,), dtype='int64')
    f = K.function([x, v], [K.reshape(x, v)])
    with pytest.raises(ShapeError, match='Reshape'):
        f([rand(2, 3), np.array([3, 2])])


# ----------------------------------------------------------------------------- flatten family

@pytest.mark.parametrize('in_shape', [(), (3,), (2, 3), (2, 3, 4), (0, 3), (1, 1, 1)])
def test_flatten(in_shape):
    x = rand(*in_shape)
    check_value(K.flatten, lambda a: a.reshape(-1), x)


@pytest.mark.parametrize('in_shape', [(3,), (2, 3), (2, 3, 4), (0, 3, 2), (4, 0), (1, 1, 5)])
def test_batch_flatten(in_shape):
    x = rand(*in_shape)
    check_value(K.batch_flatten, lambda a: a.reshape(a.shape[0], int(np.prod(a.shape[1:]))), x)


def test_flatten_grads_and_shapes():
    check_grad(K.flatten, rand(2, 3))
    check_grad(K.batch_flatten, rand(2, 3, 2))
    assert K.batch_flatten(K.placeholder((None, 3, 4))).node.shape == (None, 12)
    assert K.batch_flatten(K.placeholder((None, None, 4))).node.shape == (None, None)
    assert K.flatten(K.placeholder((2, 3))).node.shape == (6,)
    with pytest.raises(ShapeError, match='0-d'):
        K.batch_flatten(K.placeholder(()))


def _keras_expand_dims(a, dim):
    if dim < 0:
        dim = dim % a.ndim + 1 if a.ndim else 0
    return np.expand_dims(a, min(dim, a.ndim))


@pytest.mark.parametrize('dim', [-3, -2, -1, 0, 1, 2])
def test_expand_dims(dim):
    x = rand(2, 3)
    check_value(lambda a: K.expand_dims(a, dim), lambda a: _keras_expand_dims(a, dim), x)


def test_expand_dims_default_scalar_and_grad():
    check_value(K.expand_dims, lambda a: a[..., None], rand(2, 3))
    check_value(lambda a: K.expand_dims(a, -1), lambda a: a.reshape(1), rand())
    assert K.expand_dims(K.placeholder((None, 3)), 1).node.shape == (None, 1, 3)
    check_grad(lambda a: K.expand_dims(a, 0), rand(2, 3))


@pytest.mark.parametrize('in_shape, axis', [((2, 1, 3), 1), ((2, 1), -1), ((1,), 0), ((0, 1), 1)])
def test_squeeze(in_shape, axis):
    check_value(lambda a: K.squeeze(a, axis), lambda a: np.squeeze(a, axis), rand(*in_shape))


def test_squeeze_grad_and_errors():
    check_grad(lambda a: K.squeeze(a, 1), rand(3, 1, 2))
    with pytest.raises(ShapeError, match=r'axis 1 of a tensor of shape \(2, 3\) has size 3'):
        K.squeeze(K.placeholder((2, 3)), 1)
    with pytest.raises(ShapeError, match='out of range'):
        K.squeeze(K.placeholder((2, 1)), 2)
    x = K.placeholder((None, None))
    f = K.function([x], [K.squeeze(x, 1)])
    with pytest.raises(ShapeError, match=r'shape \(2, 3\) \(6 elements\) into shape \(2,\)'):
        f([rand(2, 3)])


# ----------------------------------------------------------------------------- transposition

@pytest.mark.parametrize('in_shape, pattern', [
    ((2, 3), (1, 0)), ((2, 3, 4), (2, 0, 1)), ((2, 3, 4), (0, 2, 1)), ((1, 3, 1, 5), (3, 2, 1, 0)),
    ((0, 3), (1, 0)), ((2, 3, 4, 5), (1, 3, 0, 2)), ((3,), (0,)),
])
def test_permute_dimensions(in_shape, pattern):
    x = rand(*in_shape)
    check_value(lambda a: K.permute_dimensions(a, pattern), lambda a: np.transpose(a, pattern), x)


def test_permute_dimensions_grad():
    check_grad(lambda a: K.permute_dimensions(a, (2, 0, 1)), rand(2, 3, 2))


@pytest.mark.parametrize('in_shape', [(), (4,), (2, 3), (2, 3, 4), (3, 0, 1)])
def test_transpose_and_T(in_shape):
    x = rand(*in_shape)
    check_value(K.transpose, np.transpose, x)
    check_value(lambda a: a.T, np.transpose, x)


def test_transpose_grad_and_double_transpose():
    check_grad(K.transpose, rand(3, 2))
    x = K.placeholder((2, 3, 4))
    assert x.T.T.node is x.node
    assert K.permute_dimensions(K.permute_dimensions(x, (1, 2, 0)), (2, 0, 1)).node is x.node
    y = K.permute_dimensions(K.permute_dimensions(x, (1, 0, 2)), (0, 2, 1))
    assert y.node.op.perm == (1, 2, 0) and y.node.inputs[0] is x.node


def test_dimshuffle():
    x = rand(2, 1, 3)
    check_value(lambda a: a.dimshuffle(2, 'x', 0), lambda a: a.transpose(2, 1, 0), x)
    check_value(lambda a: a.dimshuffle((0, 2)), lambda a: a[:, 0, :], x)
    check_value(lambda a: a.dimshuffle('x', 0, 1, 2, 'x'), lambda a: a[None, ..., None], x)
    check_value(lambda a: K.permute_dimensions(a, (0, 'x', 1)), lambda a: a[:, None, :], rand(2, 3))
    check_grad(lambda a: a.dimshuffle(2, 'x', 0), x)
    assert K.placeholder((None, 1, 3)).dimshuffle(2, 'x', 0).node.shape == (3, 1, None)


def test_permutation_errors():
    x = K.placeholder((2, 3))
    with pytest.raises(ShapeError, match=r"pattern \(0, 0\) is invalid for a tensor of shape \(2, 3\)"):
        K.permute_dimensions(x, (0, 0))
    with pytest.raises(ShapeError, match=r"pattern \(0, 2\) is invalid"):
        K.permute_dimensions(x, (0, 2))
    with pytest.raises(ShapeError,
                       match=r'leaves out axis 0 of a tensor of shape \(2, 3\), which has size 2'):
        K.permute_dimensions(x, (1,))
    with pytest.raises(ShapeError, match=r'Transpose: pattern \(1, 1\) is not a permutation.*\(2, 3\)'):
        make(SH.Transpose((1, 1)), x)


# ----------------------------------------------------------------------------- concatenate, stack

@pytest.mark.parametrize('shapes, axis', [
    ([(2, 3), (2, 4)], -1), ([(2, 3), (1, 3), (4, 3)], 0), ([(2, 3, 4), (2, 1, 4)], 1),
    ([(2, 0), (2, 3), (2, 0)], 1), ([(0, 3), (0, 3)], 0), ([(3,), (5,)], 0), ([(1, 1), (1, 1)], -2),
])
def test_concatenate(shapes, axis):
    xs = [rand(*s) for s in shapes]
    check_value(lambda *a: K.concatenate(list(a), axis), lambda *a: np.concatenate(a, axis), *xs)


def test_concatenate_grad_and_non_contiguous_inputs():
    a, b, c = rand(2, 3), rand(2, 1), rand(3, 2)
    check_grad(lambda p, q, r: K.concatenate([p, q, K.transpose(r)], axis=1), a, b, c)
    check_value(lambda p, r: K.concatenate([K.transpose(r), p]),
                lambda p, r: np.concatenate([r.T, p], 1), a, c)
    check_grad(lambda p, q: K.concatenate([p, q], axis=0), rand(1, 2), rand(2, 2))


def test_concatenate_dtypes_and_shapes():
    i32, i64, f32 = np.arange(4, dtype='int32').reshape(2, 2), np.ones((2, 1), 'int64'), rand(2, 3)
    check_value(lambda a, b: K.concatenate([a, b]), lambda a, b: np.concatenate([a, b], 1), i32, f32,
                dtype='float32')
    check_value(lambda a, b: K.concatenate([a, b]), lambda a, b: np.concatenate([a, b], 1), i32, i64,
                dtype='int64')
    x = K.placeholder((None, 3))
    assert K.concatenate([x, K.placeholder((2, 4))]).node.shape == (2, 7)
    assert K.concatenate([x, x], axis=0).node.shape == (None, 3)
    assert K.concatenate([x]).node is x.node


def test_concatenate_errors():
    with pytest.raises(ShapeError, match=r'input 1 has shape \(3, 4\) and input 0 has shape \(2, 3\): '
                                         r'all dimensions but axis 1 must match'):
        K.concatenate([K.placeholder((2, 3)), K.placeholder((3, 4))])
    with pytest.raises(ShapeError, match=r'input 1 has shape \(2, 3, 1\)'):
        K.concatenate([K.placeholder((2, 3)), K.placeholder((2, 3, 1))])
    with pytest.raises(ShapeError, match='out of range'):
        K.concatenate([K.placeholder((2, 3)), K.placeholder((2, 3))], axis=2)
    with pytest.raises(ShapeError, match='0-d'):
        K.concatenate([K.placeholder(()), K.placeholder(())])
    x, y = K.placeholder((None, 3)), K.placeholder((None, 3))
    f = K.function([x, y], [K.concatenate([x, y])])
    with pytest.raises(ShapeError,
                       match=r'Concatenate: input 1 has shape \(3, 3\) and input 0 has shape \(2, 3\)'):
        f([rand(2, 3), rand(3, 3)])


def test_stack():
    a, b = rand(2, 3), rand(2, 3)
    check_value(lambda p, q: K.stack([p, q, p]), lambda p, q: np.stack([p, q, p]), a, b)
    check_value(lambda p, q: K.stack([p, q]), lambda p, q: np.stack([p, q]), rand(0, 2), rand(0, 2))
    check_grad(lambda p, q: K.stack([p, q * p]), a, b)
    check_grad(lambda p, q: K.stack([K.reshape(p, ()), 2.0, K.reshape(q, ())]), rand(1), rand(1))


def test_stack_of_numbers_and_scalars():
    s = K.placeholder((), dtype='int64')
    v = K.stack([s, 3, -1])
    assert v.node.dtype == 'int64' and v.node.shape == (3,)
    assert SH.static_entries(v.node) == (None, 3, -1)
    np.testing.assert_array_equal(K.function([s], [v])([np.int64(7)])[0], [7, 3, -1])
    assert K.stack([1, 2]).node.value.tolist() == [1, 2]
    f = K.placeholder((), dtype='float32')
    assert K.stack([f, 1, 2]).node.dtype == 'float32'
    assert K.stack([K.placeholder((), dtype='int32'), 1.5]).node.dtype == 'float32'
    assert K.stack([K.placeholder((), dtype='bool'), True]).node.dtype == 'bool'


def test_stack_errors():
    with pytest.raises(ShapeError, match=r'input 1 has shape \(3,\) and input 0 has shape \(2,\)'):
        K.stack([K.placeholder((2,)), K.placeholder((3,))])
    with pytest.raises(ValueError, match='no tensors'):
        K.stack([])


# ----------------------------------------------------------------------------- slice along an axis

def test_slice_axis_and_embed():
    x = rand(3, 5, 2)
    check_value(lambda a: SH._slice_axis(a, 1, 1, 4), lambda a: a[:, 1:4], x)
    check_value(lambda a: SH._slice_axis(a, 0, 2, 2), lambda a: a[2:2], x)
    check_grad(lambda a: SH._slice_axis(a, 1, 1, 4), x)
    g = rand(3, 2, 2)
    embed = lambda a: make(SH.EmbedAxis(1), a, np.array([3, 5, 2], 'int64'), np.int64(2))
    expected = np.zeros((3, 5, 2), 'float32')
    expected[:, 2:4] = g
    check_value(embed, lambda a: expected, g, dynamic_batch=False)
    check_grad(embed, g)


def test_slice_axis_dynamic_bounds():
    """Bounds computed from shapes unknown while building (as concatenate's gradient does)."""
    x = K.placeholder((None, 4))
    n = make(SH.Dim(0), x)
    y = SH._slice_axis(x, 0, 1, n)
    assert y.node.shape == (None, 4)
    a = rand(5, 4)
    np.testing.assert_array_equal(K.function([x], [y])([a])[0], a[1:])


def test_slice_axis_errors():
    with pytest.raises(ShapeError,
                       match=r'slice \[2:6\] of axis 1 is out of range for a tensor of shape \(3, 5\)'):
        SH._slice_axis(K.placeholder((3, 5)), 1, 2, 6)
    with pytest.raises(ShapeError, match=r'does not fit at offset 4 of axis 0'):
        make(SH.EmbedAxis(0), K.placeholder((2,)), np.array([5], 'int64'), np.int64(4))


# ----------------------------------------------------------------------------- reverse

@pytest.mark.parametrize('in_shape, axes', [
    ((5,), 0), ((2, 3), [1]), ((2, 3), [0, 1]), ((2, 3, 4), [0, 2]), ((2, 3, 4), -1),
    ((0, 3), 0), ((1, 3), [0]), ((3, 1, 2), [1, 2]),
])
def test_reverse(in_shape, axes):
    x = rand(*in_shape)
    check_value(lambda a: K.reverse(a, axes), lambda a: np.flip(a, axes), x)


def test_reverse_grad_identities_and_errors():
    check_grad(lambda a: K.reverse(a, [0, 2]), rand(2, 3, 2))
    x = K.placeholder((2, 3))
    assert K.reverse(K.reverse(x, 0), [0]).node is x.node
    assert K.reverse(K.reverse(x, 0), 1).node.op.axes == (0, 1)
    assert K.reverse(x, []).node is x.node
    with pytest.raises(ShapeError, match=r'axis 2 is out of range for a tensor of shape \(2, 3\)'):
        K.reverse(x, 2)


def test_reverse_of_non_contiguous_input():
    x = rand(3, 4)
    check_value(lambda a: K.reverse(K.transpose(a), 1), lambda a: a.T[:, ::-1], x)


# ----------------------------------------------------------------------------- repetition

def test_repeat():
    x = rand(3, 4)
    for n in (1, 2, 0):
        check_value(lambda a: K.repeat(a, n), lambda a: np.repeat(a[:, None, :], n, axis=1), x)
    check_grad(lambda a: K.repeat(a, 3), rand(2, 3))
    assert K.repeat(K.placeholder((None, 4)), 5).node.shape == (None, 5, 4)
    with pytest.raises(ShapeError, match=r'2-D.*\(2, 3, 4\)'):
        K.repeat(K.placeholder((2, 3, 4)), 2)


@pytest.mark.parametrize('in_shape, rep, axis', [
    ((2, 3), 2, 0), ((2, 3), 3, 1), ((2, 3, 4), 2, -2), ((2, 3), 0, 1), ((2, 3), 1, 0),
    ((0, 3), 2, 0), ((1,), 4, 0), ((2, 1, 3), 2, 1),
])
def test_repeat_elements(in_shape, rep, axis):
    x = rand(*in_shape)
    check_value(lambda a: K.repeat_elements(a, rep, axis), lambda a: np.repeat(a, rep, axis), x)


def test_repeat_elements_grad_and_shapes():
    check_grad(lambda a: K.repeat_elements(a, 3, 1), rand(2, 3))
    check_grad(lambda a: K.repeat_elements(a, 2, 0), rand(2, 1, 2))
    assert K.repeat_elements(K.placeholder((None, 3)), 2, 1).node.shape == (None, 6)
    assert K.repeat_elements(K.placeholder((None, 3)), 2, 0).node.shape == (None, 3)
    with pytest.raises(ValueError, match='non-negative ints'):
        K.repeat_elements(K.placeholder((2, 3)), -1, 0)


@pytest.mark.parametrize('in_shape, n', [
    ((2, 3), 2), ((2, 3), (2, 1)), ((2, 3), (3, 1, 2)), ((2, 3, 4), (2,)), ((3,), (2, 2)),
    ((2, 3), 1), ((0, 2), (2, 3)), ((2, 3), (1, 0)), ((), 3),
])
def test_tile(in_shape, n):
    x = rand(*in_shape)
    check_value(lambda a: K.tile(a, n), lambda a: np.tile(a, n), x)


def test_tile_grad_and_shapes():
    check_grad(lambda a: K.tile(a, (2, 3)), rand(2, 2))
    check_grad(lambda a: K.tile(a, (2, 1, 2)), rand(1, 3))
    assert K.tile(K.placeholder((None, 3)), (2, 2)).node.shape == (None, 6)


def test_repetition_of_non_contiguous_input():
    x = rand(2, 3)
    check_value(lambda a: K.tile(K.transpose(a), 2), lambda a: np.tile(a.T, 2), x)
    check_value(lambda a: K.repeat_elements(K.transpose(a), 2, 0), lambda a: np.repeat(a.T, 2, 0), x)


@pytest.mark.parametrize('ordering, axes', [('th', (2, 3)), ('tf', (1, 2))])
def test_resize_images(ordering, axes):
    x = rand(2, 3, 4, 5)
    ref = lambda a: np.repeat(np.repeat(a, 2, axes[0]), 3, axes[1])
    check_value(lambda a: K.resize_images(a, 2, 3, ordering), ref, x)
    check_grad(lambda a: K.resize_images(a, 2, 3, ordering), rand(1, 2, 2, 2))


@pytest.mark.parametrize('ordering, axes', [('th', (2, 3, 4)), ('tf', (1, 2, 3))])
def test_resize_volumes(ordering, axes):
    x = rand(2, 2, 3, 2, 2)
    ref = lambda a: np.repeat(np.repeat(np.repeat(a, 2, axes[0]), 1, axes[1]), 3, axes[2])
    check_value(lambda a: K.resize_volumes(a, 2, 1, 3, ordering), ref, x)


def test_resize_errors():
    with pytest.raises(ValueError, match="unknown dim_ordering 'nchw'"):
        K.resize_images(K.placeholder((1, 2, 3, 4)), 2, 2, 'nchw')
    with pytest.raises(ValueError, match='unknown dim_ordering'):
        K.resize_volumes(K.placeholder((1, 2, 3, 4, 5)), 2, 2, 2, 'default')


# ----------------------------------------------------------------------------- misc

def test_pattern_broadcast():
    x = rand(3, 1)
    check_value(lambda a: K.pattern_broadcast(a, (False, True)), lambda a: a, x)
    check_grad(lambda a: K.pattern_broadcast(a, (False, True)) * 2, x)
    assert K.pattern_broadcast(K.placeholder((None, None)), (False, True)).node.shape == (None, 1)
    with pytest.raises(ShapeError, match=r'marks axis 1 of a tensor of shape \(3, 2\), which has size 2'):
        K.pattern_broadcast(K.placeholder((3, 2)), (False, True))
    with pytest.raises(ShapeError, match='does not match'):
        K.pattern_broadcast(K.placeholder((3, 2)), (False,))
    p = K.placeholder((None, None))
    f = K.function([p], [K.pattern_broadcast(p, (True, False)) + 1])
    with pytest.raises(ShapeError, match=r'PatternBroadcast: .*marks axis 0 of a tensor of shape \(2, 2\)'):
        f([rand(2, 2)])


@pytest.mark.parametrize('args, kwargs', [
    ((5,), {}), ((2, 10, 3), {}), ((10, 2, -3), {}), ((3, 3), {}), ((0.5, 3), {'dtype': 'float32'}),
    ((4,), {'dtype': 'int64'}), ((-2, 2, 0.5), {'dtype': 'float64'}),
])
def test_arange(args, kwargs):
    y = K.arange(*args, **kwargs)
    expected = np.arange(*args).astype(kwargs.get('dtype', 'int32'))
    assert y.node.shape == expected.shape and y.node.dtype == str(expected.dtype)
    np.testing.assert_array_equal(K.eval(y), expected)


def test_arange_of_shape_scalars():
    x = K.placeholder((None, 3))
    y = K.arange(K.shape(x)[0])
    assert y.node.shape == (None,)
    np.testing.assert_array_equal(K.function([x], [y])([rand(4, 3)])[0], np.arange(4))
    z = K.arange(1, make(SH.Dim(0), x), 2, dtype='float32')
    np.testing.assert_array_equal(K.function([x], [z])([rand(6, 3)])[0], [1, 3, 5])


def test_arange_kernel_when_too_large_to_fold():
    n = FOLD_LIMIT + 3
    x = K.placeholder((None,))
    y = K.arange(2, 2 + 3 * make(SH.Dim(0), x), 3, dtype='int64')
    out = K.function([x], [y])([np.zeros(n, 'float32')])[0]
    np.testing.assert_array_equal(out, np.arange(2, 2 + 3 * n, 3))
    big = K.arange(1.0, 1.0 + (FOLD_LIMIT + 1) * 0.5, 0.5, 'float32')
    assert big.node.value is None
    assert kernels_of(lambda a: big + a, np.zeros((), 'float32')) == ['arange', 'binary']
    np.testing.assert_array_equal(K.eval(big), np.arange(FOLD_LIMIT + 1) * 0.5 + 1)


def test_arange_errors():
    with pytest.raises(ShapeError, match='step must not be 0'):
        K.arange(0, 5, 0)
    with pytest.raises(ShapeError, match=r'stop must be a number or a 0-d numeric tensor.*\(2,\)'):
        K.arange(0, K.placeholder((2,)))


# ----------------------------------------------------------------------------- kernel properties

@pytest.mark.parametrize('dtype', ['float64', 'int32', 'int64', 'uint8', 'bool'])
def test_random_layouts(dtype):
    """Transposes, reversals, concatenations and tiles of random shapes (0, 1, odd sizes) in
    every dtype, against numpy."""
    rng = np.random.RandomState(7)
    for _ in range(6):
        nd = rng.randint(1, 5)
        shp = tuple(int(d) for d in rng.choice([0, 1, 2, 3, 5], nd, p=[.1, .2, .3, .2, .2]))
        x = (rng.uniform(0, 3, shp) > 1) if dtype == 'bool' else rng.uniform(0, 100, shp).astype(dtype)
        perm = tuple(rng.permutation(nd))
        axes = [a for a in range(nd) if rng.rand() < .5]
        axis = rng.randint(nd)
        reps = tuple(int(r) for r in rng.randint(0, 3, nd))
        fns = [
            (lambda a: K.permute_dimensions(a, perm), lambda a: np.transpose(a, perm)),
            (lambda a: K.reverse(K.permute_dimensions(a, perm), axes),
             lambda a: np.flip(np.transpose(a, perm), axes)),
            (lambda a: K.concatenate([a, K.reverse(a, axes), a], axis),
             lambda a: np.concatenate([a, np.flip(a, axes), a], axis)),
            (lambda a: K.tile(a, reps), lambda a: np.tile(a, reps)),
        ]
        for fn, ref in fns:
            got = evaluate(fn, x)
            assert got.dtype == x.dtype
            np.testing.assert_array_equal(got, ref(x))
