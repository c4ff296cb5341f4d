"""Indexing: Tensor.__getitem__ (Subtensor and its adjoint), gather / scatter-add, one_hot and
zero padding, against numpy on values and finite differences on gradients."""
import numpy as np
import pytest

import symkeras.backend as K
from opcheck import check_grad, check_value, evaluate
from symkeras.backend.graph import ShapeError, make
from symkeras.backend.ops.broadcast import static_entries, static_scalar, sum_to
from symkeras.backend.ops.index import EmbedSubtensor, ScatterAdd, _entries

s_ = np.s_

KEYS_3D = [
    s_[0], s_[-1], s_[2, 1], s_[-5, -4, -6], s_[:, 0], s_[:, -1, 2], s_[1:-1, ::2],
    s_[..., -1], s_[None], s_[::-1], s_[:, ::-1, 1:5:3], s_[4:0:-2], s_[-2::-3, None, 1],
    s_[..., None], s_[1, ..., None, 2], s_[:, None, :, None], s_[10:], s_[-10:2],
    s_[3:1], s_[:, 2:2], s_[::7], s_[::-7], s_[1:100:4, -100:-1], s_[:, :, ::-1],
    s_[None, ..., None], s_[2, None, None], s_[:0:-1, 3],
]


def _data(shape, dtype='float32', seed=0):
    return np.random.RandomState(seed).uniform(-1, 1, shape).astype(dtype)


@pytest.mark.parametrize('key', KEYS_3D, ids=repr)
def test_getitem_matches_numpy(key):
    x = _data((5, 4, 6))
    check_value(lambda t: t[key], lambda a: a[key], x, dtype='float32')


@pytest.mark.parametrize('key', [s_[0], s_[1:-1, ::2], s_[..., -1], s_[::-1, None], s_[:, 2, ::-2],
                                 s_[3:1], s_[-1, :0:-1]], ids=repr)
def test_getitem_grad(key):
    check_grad(lambda t: t[key], np.random.uniform(-1, 1, (4, 3, 5)))


def test_getitem_static_shapes_keep_unknown_dims():
    x = K.placeholder(shape=(None, 4, 6))
    assert x[:, 0].node.shape == (None, 6)
    assert x[1:-1, ::2].node.shape == (None, 2, 6)
    assert x[..., -1].node.shape == (None, 4)
    assert x[None].node.shape == (1, None, 4, 6)
    assert x[0, ::-1, 1:4].node.shape == (4, 3)
    assert x[:, 9:].node.shape == (None, 0, 6)


def test_getitem_identity_is_the_same_node():
    x = K.placeholder(shape=(None, 3))
    assert x[:].node is x.node
    assert x[...].node is x.node
    assert x[0:, :100].node is x.node
    assert x[:, 0:].node is x[:, :].node


def test_getitem_other_element_types():
    for dtype in ('float64', 'int32', 'int64', 'uint8', 'bool'):
        x = np.random.RandomState(1).randint(0, 3, (3, 5)).astype(dtype)
        check_value(lambda t: t[::-1, 1::2], lambda a: a[::-1, 1::2], x, dtype=dtype)


def test_getitem_of_a_scalar_and_vector():
    check_value(lambda t: t[None], lambda a: a[None], np.float32(3.5), dynamic_batch=False)
    check_value(lambda t: t[...], lambda a: a[...], np.float32(3.5), dynamic_batch=False)
    v = _data((7,))
    for key in (s_[3], s_[-7], s_[::-1], s_[5:1:-2], s_[None, 2:]):
        check_value(lambda t: t[key], lambda a: a[key], v)


def test_getitem_of_empty_tensors():
    x = np.zeros((0, 3), dtype='float32')
    for key in (s_[:, 1], s_[::-1], s_[:, ::-2], s_[None, :, 1:]):
        check_value(lambda t: t[key], lambda a: a[key], x)
    check_grad(lambda t: t[:, 1], np.zeros((0, 3)))


def test_getitem_of_non_contiguous_inputs():
    """A slice fed a transposed tensor, a reversed strided slice, or a padded tensor."""
    x = _data((6, 7, 5))
    check_value(lambda t: K.transpose(t)[::-1, 1:, -2], lambda a: a.T[::-1, 1:, -2], x)
    check_grad(lambda t: K.transpose(t)[::-1, 1:, -2], np.random.uniform(-1, 1, (3, 4, 2)))
    check_value(lambda t: t[::-1, 1::2][1:, ::-1, 3], lambda a: a[::-1, 1::2][1:, ::-1, 3], x)
    check_value(lambda t: K.temporal_padding(t[:, ::-2], 2)[::-1, 1:-1],
                lambda a: np.pad(a[:, ::-2], ((0, 0), (2, 2), (0, 0)))[::-1, 1:-1], x)
    check_grad(lambda t: t[::-1, 1::2][1:, ::-1, 3], np.random.uniform(-1, 1, (4, 5, 4)))


def test_getitem_large_copy_runs_in_parallel_and_is_exact():
    x = _data((600, 257))
    check_value(lambda t: t[::-1, 3:-2:2], lambda a: a[::-1, 3:-2:2], x, rtol=0, atol=0)


def test_getitem_out_of_range_index_on_known_dim():
    x = K.placeholder(shape=(None, 4))
    with pytest.raises(ShapeError,
                       match=r'index 4 is out of range for axis 1 with size 4 \(shape \(None, 4\)\)'):
        x[:, 4]
    with pytest.raises(ShapeError, match='index -5 is out of range for axis 1'):
        x[0, -5]


def test_getitem_out_of_range_index_on_unknown_dim_fails_at_specialisation():
    x = K.placeholder(shape=(None, None))
    f = K.function([x], [x[:, -3]])
    np.testing.assert_array_equal(f([np.arange(6.).reshape(2, 3)])[0], [0., 3.])
    with pytest.raises(ShapeError,
                       match=r'index -3 is out of range for axis 1 with size 2 \(shape \(2, 2\)\)'):
        f([np.zeros((2, 2))])


def test_getitem_bad_keys():
    x = K.placeholder(shape=(3, 4))
    with pytest.raises(IndexError, match='too many indices: 3 for a tensor of rank 2'):
        x[0, 0, 0]
    with pytest.raises(IndexError, match='single ellipsis'):
        x[..., 0, ...]
    with pytest.raises(ValueError, match='slice step cannot be zero'):
        x[::0]
    with pytest.raises(TypeError, match='invalid index 1.5'):
        x[1.5]
    with pytest.raises(TypeError, match='invalid index True'):
        x[True]
    with pytest.raises(TypeError, match='slice stop must be an integer'):
        x[:2.0]
    idx = K.placeholder(shape=(2,), dtype='int32')
    with pytest.raises(TypeError, match='alone, an integer tensor'):
        x[idx, 0]


def test_getitem_with_static_tensor_bounds():
    x = K.placeholder(shape=(None, 6))
    y = K.placeholder(shape=(None, 4))
    assert x[:, :K.shape(y)[1]].node.shape == (None, 4)
    check_value(lambda t: t[:, K.shape(t)[1] - 2:], lambda a: a[:, -2:], _data((3, 6)),
                dynamic_batch=False)


def test_shape_entries_fold():
    x = K.placeholder(shape=(None, 4, 6))
    s = K.shape(x)
    assert static_scalar(s[1].node) == 4
    assert static_scalar(s[-1].node) == 6
    assert static_scalar(s[0].node) is None
    assert static_entries(s[1:].node) == (4, 6)
    assert static_entries(s[::-1].node) == (6, 4, None)
    assert static_scalar(K.shape(K.placeholder(shape=(2, 3)))[0].node) == 2


def test_shape_entry_of_unknown_dim_at_run_time():
    a = _data((3, 4, 6))
    check_value(lambda t: K.shape(t)[0], lambda v: np.int64(v.shape[0]), a, dtype='int64')
    check_value(lambda t: K.shape(t)[-2:], lambda v: np.array(v.shape[-2:]), a, dtype='int64')
    check_value(lambda t: t * K.cast(K.shape(t)[0], 'float32'), lambda v: v * v.shape[0], a)


@pytest.mark.parametrize('key', [s_[0], s_[1:, ::-1], s_[None, ..., 1]], ids=repr)
def test_embed_subtensor_value_and_grad(key):
    """The adjoint of x[key] (zeros with g written into the region) and its own gradient."""
    entries = _entries(key, 2)
    target = np.array([3, 4], dtype='int64')
    g = np.asarray(np.zeros((3, 4))[key])
    g = np.random.RandomState(2).uniform(-1, 1, g.shape)

    def ref(v):
        out = np.zeros((3, 4))
        out[key] = v
        return out
    check_value(lambda t: make(EmbedSubtensor(entries), t, target), ref, g)
    check_grad(lambda t: make(EmbedSubtensor(entries), t, target), g)


def _total(t):
    """The sum of every element of t (a scalar)."""
    return sum_to(t, np.zeros((0,), dtype='int64'))


def test_second_derivative_through_getitem():
    """d/dx sum(x[1:] ** 3) = 3 x**2 on the region, and its derivative is 6 x there."""
    x = K.placeholder(shape=(4,), dtype='float64')
    gx = K.gradients(_total(x[1:] ** 3), x)
    ggx = K.gradients(_total(gx), x)
    got_g, got_gg = K.function([x], [gx, ggx])([np.array([5., 1., 2., 3.])])
    np.testing.assert_allclose(got_g, [0, 3, 12, 27.])
    np.testing.assert_allclose(got_gg, [0, 6, 12, 18.])


@pytest.mark.parametrize('fn', [
    lambda t, i: t[1:, ::-1, -1],
    lambda t, i: t[None, 0, ::2],
    lambda t, i: K.gather(t, i),
    lambda t, i: t[i][:, ::-1],
    lambda t, i: K.asymmetric_spatial_2d_padding(t[None], 1, 0, 2, 3, dim_ordering='th'),
    lambda t, i: K.temporal_padding(t, 2),
])
def test_grads_with_unknown_dims(fn):
    """Gradients built on placeholders of unknown shape equal those built on static ones."""
    x = np.random.uniform(-1, 1, (4, 3, 5))
    idx = np.array([[3, 0], [3, 3]], dtype='int32')
    w = np.random.uniform(-1, 1, np.shape(evaluate(fn, x, idx)))
    results = []
    for shapes in (((4, 3, 5), (2, 2)), ((None,) * 3, (None,) * 2)):
        t = K.placeholder(shape=shapes[0], dtype='float64')
        i = K.placeholder(shape=shapes[1], dtype='int32')
        g = K.gradients(_total(fn(t, i) * K.variable(w, dtype='float64')), t)
        results.append(K.function([t, i], [g])([x, idx])[0])
    np.testing.assert_allclose(results[1], results[0], rtol=0, atol=0)
    assert np.abs(results[0]).sum() > 0


# ----------------------------------------------------------------------------- gather

@pytest.mark.parametrize('idx_dtype', ['int32', 'int64'])
@pytest.mark.parametrize('ref_shape,idx', [
    ((5,), [0, 4, 4, 1]),
    ((5, 3), [[2, 2, 0], [4, 1, 2]]),
    ((4, 2, 3), 3),
    ((1, 7), [0, 0, 0]),
    ((6, 0), [5, 1]),
    ((3, 2), np.zeros((0,), dtype='int64')),
])
def test_gather(idx_dtype, ref_shape, idx):
    ref = _data(ref_shape)
    idx = np.asarray(idx, dtype=idx_dtype)
    check_value(K.gather, lambda r, i: r[i], ref, idx, dtype='float32')
    check_value(lambda r, i: r[i], lambda r, i: r[i], ref, idx)
    check_grad(K.gather, ref.astype('float64'), idx)


def test_gather_grad_accumulates_repeated_indices():
    r = K.placeholder(shape=(4, 3), dtype='float64')
    i = K.placeholder(shape=(4,), dtype='int32')
    g = K.gradients(_total(K.gather(r, i)), r)
    ref = np.random.uniform(-1, 1, (4, 3))
    got = K.function([r, i], [g])([ref, np.array([1, 1, 3, 1], 'int32')])[0]
    np.testing.assert_array_equal(got, [[0] * 3, [3] * 3, [0] * 3, [1] * 3])


def test_gather_of_a_0d_tensor_index_and_of_other_dtypes():
    ref = np.arange(12, dtype='int64').reshape(4, 3)
    check_value(lambda r, i: r[i], lambda r, i: r[i], ref, np.array(2, dtype='int32'), dtype='int64')
    check_value(lambda r: K.gather(r, [3, 0]), lambda r: r[[3, 0]], ref)
    check_value(lambda r, i: K.gather(r, i), lambda r, i: r[i], ref, np.array([3, 1], 'uint8'))
    b = ref > 5
    check_value(lambda r, i: K.gather(r, i), lambda r, i: r[i], b, np.array([3, 1], 'int64'),
                dtype='bool')


@pytest.mark.parametrize('bad', [7, -1])
def test_gather_out_of_range_at_run_time(bad):
    r = K.placeholder(shape=(None, 2))
    i = K.placeholder(shape=(None,), dtype='int64')
    f = K.function([r, i], [K.gather(r, i)])
    with pytest.raises(RuntimeError, match=r'gather: index %d is out of range for a reference '
                                           r'with 5 rows \[at test_index.py:\d+\]' % bad):
        f([np.zeros((5, 2)), np.array([0, bad, 1])])


def test_scatter_add_out_of_range_at_run_time():
    g = K.placeholder(shape=(2, 3))
    i = K.placeholder(shape=(2,), dtype='int32')
    f = K.function([g, i], [make(ScatterAdd(), g, i, np.array([4, 3], 'int64'))])
    with pytest.raises(RuntimeError,
                       match='scatter_add: index 4 is out of range for a reference with 4 rows'):
        f([np.ones((2, 3)), np.array([0, 4])])


def test_gather_bad_arguments_at_build_time():
    r = K.placeholder(shape=(5, 2))
    with pytest.raises(ShapeError, match='index 5 is out of range for a reference with 5 rows'):
        K.gather(r, [1, 5])
    with pytest.raises(ShapeError, match='index -2 is out of range'):
        K.gather(r, np.array([[-2]]))
    with pytest.raises(ShapeError, match='indices must be int32 or int64; got float32'):
        K.gather(r, K.placeholder(shape=(3,)))
    with pytest.raises(ShapeError, match='at least one dimension'):
        K.gather(K.placeholder(shape=()), [0])
    with pytest.raises(ShapeError, match=r'rows have shape \(2, 3\); indices of shape \(2,\) into a '
                                         r'tensor of shape \(4, 2\) need \(2, 2\)'):
        make(ScatterAdd(), K.placeholder(shape=(2, 3)), np.array([0, 1]), np.array([4, 2]))


def test_scatter_add_value_and_grad():
    g = np.random.uniform(-1, 1, (5, 2, 3))
    idx = np.array([3, 0, 3, 3, 1], dtype='int64')
    target = np.array([4, 2, 3], dtype='int64')

    def ref(v, i):
        out = np.zeros((4, 2, 3))
        np.add.at(out, i, v)
        return out
    check_value(lambda v, i: make(ScatterAdd(), v, i, target), ref, g, idx)
    check_grad(lambda v, i: make(ScatterAdd(), v, i, target), g, idx)


@pytest.mark.parametrize('rows,width,n', [(1, 1, 1), (7, 3, 9), (33, 65, 0), (5, 0, 4), (1, 7, 5),
                                            (500, 301, 700), (3, 1, 70001), (40, 2, 40000)])
def test_gather_scatter_kernels(rows, width, n):
    """Sizes 0, 1, odd, and above the parallel threshold (the last three); the scatter-add sums
    every element in index order whatever the thread count, so it equals np.add.at exactly."""
    rs = np.random.RandomState(rows * 1000 + width)
    ref = rs.uniform(-1, 1, (rows, width)).astype('float32')
    idx = rs.randint(0, rows, (n,)).astype('int32')
    g = rs.uniform(-1, 1, (n, width)).astype('float32')
    r, i, gp = K.placeholder(ndim=2), K.placeholder(ndim=1, dtype='int32'), K.placeholder(ndim=2)
    scat = make(ScatterAdd(), gp, i, K.shape(r))
    got_gather, got_scatter = K.function([r, i, gp], [K.gather(r, i), scat])([ref, idx, g])
    np.testing.assert_array_equal(got_gather, ref[idx])
    expected = np.zeros_like(ref)
    np.add.at(expected, idx, g)
    np.testing.assert_array_equal(got_scatter, expected)


# ----------------------------------------------------------------------------- one_hot

def test_one_hot():
    idx = np.array([[0, 3, 1], [2, 2, 0]], dtype='int32')
    expected = np.eye(4, dtype='float32')[idx]
    check_value(lambda i: K.one_hot(i, 4), lambda i: expected, idx, dtype='float32')
    check_value(lambda i: K.one_hot(i, 4), lambda i: expected, idx.astype('int64'), dtype='float32')
    assert K.one_hot(K.placeholder(shape=(None, 3), dtype='int32'), 4).node.shape == (None, 3, 4)


def test_one_hot_out_of_range_gives_zero_rows():
    idx = np.array([1, -1, 3, 7], dtype='int32')
    check_value(lambda i: K.one_hot(i, 3), lambda i: [[0, 1, 0], [0, 0, 0], [0, 0, 0], [0, 0, 0]],
                idx)
    with pytest.raises(ValueError, match='nb_classes must be a non-negative integer'):
        K.one_hot(idx, 2.5)


# ----------------------------------------------------------------------------- padding

PADDINGS = [
    # (function, kwargs, rank, {ordering: numpy pad widths})
    (K.temporal_padding, {}, 3, {None: ((0, 0), (1, 1), (0, 0))}),
    (K.temporal_padding, {'padding': 2}, 3, {None: ((0, 0), (2, 2), (0, 0))}),
    (K.asymmetric_temporal_padding, {'left_pad': 0, 'right_pad': 3}, 3, {None: ((0, 0), (0, 3), (0, 0))}),
    (K.asymmetric_temporal_padding, {}, 3, {None: ((0, 0), (1, 1), (0, 0))}),
    (K.spatial_2d_padding, {'padding': (2, 1)}, 4,
     {'th': ((0, 0), (0, 0), (2, 2), (1, 1)), 'tf': ((0, 0), (2, 2), (1, 1), (0, 0))}),
    (K.asymmetric_spatial_2d_padding, {'top_pad': 1, 'bottom_pad': 0, 'left_pad': 2, 'right_pad': 3}, 4,
     {'th': ((0, 0), (0, 0), (1, 0), (2, 3)), 'tf': ((0, 0), (1, 0), (2, 3), (0, 0))}),
    (K.spatial_3d_padding, {'padding': (1, 0, 2)}, 5,
     {'th': ((0, 0), (0, 0), (1, 1), (0, 0), (2, 2)), 'tf': ((0, 0), (1, 1), (0, 0), (2, 2), (0, 0))}),
]


def _padding_cases():
    for fn, kwargs, rank, widths in PADDINGS:
        for ordering, w in widths.items():
            yield pytest.param(fn, dict(kwargs, **({'dim_ordering': ordering} if ordering else {})),
                               rank, w, id='%s-%s-%s' % (fn.__name__, ordering, kwargs))


@pytest.mark.parametrize('fn,kwargs,rank,widths', list(_padding_cases()))
def test_padding_values_and_grads(fn, kwargs, rank, widths):
    shape = (2, 3, 1, 2, 3)[:rank]
    x = _data(shape)
    check_value(lambda t: fn(t, **kwargs), lambda a: np.pad(a, widths), x, dtype='float32')
    check_grad(lambda t: fn(t, **kwargs), np.random.uniform(-1, 1, shape))


def test_padding_static_shape_and_empty_inputs():
    x = K.placeholder(shape=(None, 3, None, 5))
    assert K.spatial_2d_padding(x, (1, 2), 'th').node.shape == (None, 3, None, 9)
    assert K.spatial_2d_padding(x, (1, 2), 'tf').node.shape == (None, 5, None, 5)
    check_value(lambda t: K.temporal_padding(t, 2), lambda a: np.pad(a, ((0, 0), (2, 2), (0, 0))),
                np.zeros((0, 3, 2), 'float32'))
    check_value(lambda t: K.temporal_padding(t, 1), lambda a: np.pad(a, ((0, 0), (1, 1), (0, 0))),
                np.ones((2, 0, 3), 'int32'), dtype='int32')
    check_value(lambda t: K.asymmetric_temporal_padding(t, 0, 0), lambda a: a, _data((2, 3, 1)))


def test_padding_default_dim_ordering_follows_config():
    x = _data((1, 2, 3, 4))
    old = K.image_dim_ordering()
    try:
        for ordering, w in (('th', ((0, 0), (0, 0), (1, 1), (2, 2))),
                            ('tf', ((0, 0), (1, 1), (2, 2), (0, 0)))):
            K.set_image_dim_ordering(ordering)
            got = evaluate(lambda t: K.spatial_2d_padding(t, (1, 2)), x)
            np.testing.assert_array_equal(got, np.pad(x, w))
    finally:
        K.set_image_dim_ordering(old)


def test_padding_bad_arguments():
    x4 = K.placeholder(shape=(2, 3, 4, 5))
    with pytest.raises(ValueError, match="unknown dim_ordering 'nchw'; expected 'th', 'tf' or 'default'"):
        K.spatial_2d_padding(x4, dim_ordering='nchw')
    with pytest.raises(ValueError, match='spatial_3d_padding: unknown dim_ordering'):
        K.spatial_3d_padding(K.placeholder(shape=(1, 1, 1, 1, 1)), dim_ordering='channels_last')
    with pytest.raises(ValueError,
                       match=r'temporal_padding expects a 3-D tensor; got one of shape \(2, 3, 4, 5\)'):
        K.temporal_padding(x4)
    with pytest.raises(ValueError,
                       match=r'padding must be non-negative integers; got \(-1, -1\) for axis 1'):
        K.temporal_padding(K.placeholder(shape=(2, 3, 4)), -1)
