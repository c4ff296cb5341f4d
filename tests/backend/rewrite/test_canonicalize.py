"""canonicalize alone: every rule fires on the form it names (built with graph.apply, which
skips the simplifications K functions make while building) and leaves values and gradients
unchanged."""
import numpy as np

import symkeras.backend as K
from symkeras.backend.graph import Tensor, apply, as_node, constant_node
from symkeras.backend.ops.broadcast import BroadcastTo, Shape, SumTo
from symkeras.backend.ops.elementwise import Binary, Cast, Switch, Unary
from symkeras.backend.ops.reduce import Reduce
from symkeras.backend.ops.shape import Reshape, Transpose
from symkeras.backend.rewrite import canonicalize

from .test_pipeline import compare, op_counts, rewritten

PASS = [canonicalize]


def _node(op, *inputs):
    return Tensor(apply(op, *[as_node(i) for i in inputs]))


def _const(v, dtype='float32'):
    return Tensor(constant_node(np.asarray(v, dtype=dtype)))


def _check(build, gone, shape=(3, 4), dtype='float32', grad=True, static=False):
    """build(x) holds ops `gone` ({name: count}); after canonicalize they are gone, values and
    the gradient (taken before the rewrite) are unchanged. x's batch size is unknown unless
    `static`."""
    x = K.placeholder(shape=shape if static else (None,) + shape[1:], dtype=dtype)
    y = build(x)
    outputs = [y]
    if grad:
        outputs.append(K.gradients(K.sum(y * y), [x])[0])
    before, after = op_counts(outputs), op_counts(rewritten(outputs, PASS))
    for name, n in gone.items():
        assert after[name] <= before[name] - n, (name, before, after)
    arr = np.random.RandomState(0).uniform(-2, 2, shape).astype(dtype)
    compare([x], outputs, [arr], PASS)


def test_multiply_by_one_and_its_mirror():
    _check(lambda x: _node(Binary('MUL'), x, _const(1.)) + _node(Binary('MUL'), _const(1.), x),
           {'mul': 2})


def test_add_sub_zero_and_divide_by_one():
    _check(lambda x: _node(Binary('DIV'), _node(Binary('SUB'), _node(Binary('ADD'), _const(0.), x),
                                                _const(0.)), _const(1.)),
           {'add': 1, 'sub': 1, 'div': 1})


def test_identity_that_broadcasts_is_kept():
    x = K.placeholder(shape=(4,))
    y = _node(Binary('ADD'), x, _const(np.zeros((2, 1))))
    assert op_counts(rewritten([y], PASS))['add'] == 1


def test_multiply_by_zero_is_kept_for_nan_and_inf():
    x = K.placeholder(shape=(3,))
    y = _node(Binary('MUL'), x, _const(0.))
    assert op_counts(rewritten([y], PASS))['mul'] == 1
    got = K.function([x], rewritten([y], PASS), optimize=False)([np.array([np.nan, np.inf, 2.], 'float32')])[0]
    assert np.isnan(got[0]) and np.isnan(got[1]) and got[2] == 0


def test_constant_moves_right():
    x = K.placeholder(shape=(3,))
    y = _node(Binary('ADD'), _const(2.), x)
    (out,) = rewritten([y], PASS)
    assert out.node.inputs[0] is x.node and out.node.inputs[1].value == 2
    _check(lambda x: _node(Binary('MUL'), _const(3.), x), {})


def test_double_negation():
    _check(lambda x: _node(Unary('NEG'), _node(Unary('NEG'), _node(Unary('NEG'), x))), {'neg': 2})


def test_transposes():
    _check(lambda x: _node(Transpose((1, 0)), _node(Transpose((1, 0)), x)), {'Transpose': 2})
    _check(lambda x: _node(Transpose((0, 2, 1)), _node(Transpose((1, 0, 2)), x)) * 2.,
           {'Transpose': 1}, shape=(2, 3, 4))
    _check(lambda x: _node(Transpose((0, 1)), x) * 2., {'Transpose': 1})


def test_reshape_of_reshape_and_reshape_to_own_shape():
    def build(x):
        flat = _node(Reshape(), x, _const([-1], 'int64'))
        return _node(Reshape(), flat, _const([-1, 4], 'int64'))
    _check(build, {'Reshape': 1})
    x = K.placeholder(shape=(3, 4))
    y = _node(Reshape(), x, _const([3, 4], 'int64'))
    assert op_counts(rewritten([y], PASS))['Reshape'] == 0


def test_cast_to_own_dtype():
    _check(lambda x: _node(Cast('float32'), x) * 2., {'Cast': 1})


def test_broadcast_and_sum_to_own_shape():
    def build(x):
        shp = _const([3, 4], 'int64')
        return _node(SumTo(), _node(BroadcastTo(), x, shp), shp)
    _check(build, {'BroadcastTo': 1, 'SumTo': 1}, shape=(3, 4))


def test_reductions_over_size_one_axes():
    _check(lambda x: _node(Reduce('SUM', (1,), True), x) * 2., {'sum': 1}, shape=(3, 1))
    _check(lambda x: _node(Reduce('MAX', (1,), False), x) * 2., {'max': 1}, shape=(3, 1, 2))
    x = K.placeholder(shape=(3, 1), dtype='int32')
    y = _node(Reduce('SUM', (1,), True), x)      # int32 sums to int64: kept
    assert op_counts(rewritten([y], PASS))['sum'] == 1


def test_switch_with_equal_branches_or_constant_condition():
    _check(lambda x: _node(Switch(), x > 0, x, x) * 2., {'Switch': 1}, static=True)
    x = K.placeholder(shape=(None, 4))    # the condition might broadcast x: kept
    assert op_counts(rewritten([_node(Switch(), K.placeholder(shape=(None, 4), dtype='bool'), x, x)],
                               PASS))['Switch'] == 1
    x = K.placeholder(shape=(3, 4))
    y = _node(Switch(), _const(np.ones((3, 4), bool), 'bool'), x, x * 2.)
    assert op_counts(rewritten([y], PASS))['Switch'] == 0


def test_constant_folding_after_a_rewrite():
    x = K.placeholder(shape=(2,))
    picked = _node(Switch(), _const([True, True], 'bool'), _const([2., 3.]), x)
    y = _node(Binary('ADD'), picked, _const(1.))
    assert as_node(y).value is None
    (out,) = rewritten([y], PASS)
    np.testing.assert_array_equal(out.node.value, [3., 4.])


def test_shape_read_through_elementwise_ops():
    x = K.placeholder(shape=(None, 3))
    s = _node(Shape(), _node(Cast('float64'), _node(Unary('EXP'), x)))
    (out,) = rewritten([s], PASS)
    assert out.node.inputs == (x.node,)
    compare([x], [s], [np.ones((4, 3), 'float32')], PASS)


def test_embedded_pieces_become_one_concatenation():
    """The gradient of slicing a matrix into pieces that tile an axis (an LSTM step's gates):
    zero-filled full-size tensors summed -> the pieces concatenated."""
    def build(x):
        a, b, c = x[:, :1], x[:, 1:3], x[:, 3:]
        return K.concatenate([K.tanh(a) * b[:, :1], K.exp(c) + a, b * 2], axis=1)
    _check(build, {'EmbedSubtensor': 3}, shape=(3, 4), static=True)   # b[:, :1]'s stays in b


def test_embedded_pieces_that_leave_a_gap_stay():
    x = K.placeholder(shape=(3, 4))
    y = K.gradients(K.sum(K.tanh(x[:, :1]) + K.exp(x[:, 2:]) * 0.5), [x])[0]
    assert op_counts(rewritten([y], PASS)).get('Concatenate', 0) == 0
    compare([x], [y], [np.random.RandomState(1).rand(3, 4).astype('float32')], PASS)
