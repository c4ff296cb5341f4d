"""K.function: outputs, Theano update semantics, batch-size changes, output aliasing, input
conversion, error messages, debug/profile options; and the graph builder behind it:
hash-consing, constant folding, build-time shape errors with provenance."""
import gc
import os

import numpy as np
import pytest

import symkeras.backend as K
from symkeras.backend.graph import Constant, ShapeError
from symkeras.backend.function import CACHE_SIZE
from symkeras.backend.ops.broadcast import sum_to

HERE = os.path.basename(__file__)


def total(t):
    return sum_to(t, np.zeros((0,), 'int64'))


# ----------------------------------------------------------------------------- outputs

def test_outputs_against_numpy():
    x = K.placeholder(shape=(None, 3))
    y = K.placeholder(shape=(3,))
    f = K.function([x, y], [x * y + 1, K.tanh(x) - y, x > y])
    a = np.random.randn(4, 3).astype('float32')
    b = np.random.randn(3).astype('float32')
    r = f([a, b])
    assert len(r) == 3 and isinstance(r, list)
    np.testing.assert_allclose(r[0], a * b + 1, rtol=1e-6)
    np.testing.assert_allclose(r[1], np.tanh(a) - b, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(r[2], a > b)
    assert r[2].dtype == np.bool_


def test_single_output_returns_one_array_and_scalars_are_0d():
    x = K.placeholder(shape=())
    f = K.function([x], x * 2)
    r = f([3.0])          # a Python float for a 0-d placeholder
    assert isinstance(r, np.ndarray) and r.shape == () and r == 6
    r = f([np.float32(1.5)])
    assert r.shape == () and r == 3
    v = K.variable(2.5)
    out = K.function([], [v, v * 2])([])
    assert [o.shape for o in out] == [(), ()] and out[1] == 5
    assert K.function([x], [])([1.]) == []


def test_changing_batch_size_between_calls():
    x = K.placeholder(shape=(None, 3))
    w = K.variable(np.arange(3.))
    f = K.function([x], [x * w, x + 1])
    for n in [2, 5, 1, 0, 2, 7]:
        a = np.random.randn(n, 3).astype('float32')
        r = f([a])
        assert r[0].shape == (n, 3)
        np.testing.assert_allclose(r[0], a * np.arange(3.), rtol=1e-6)
        np.testing.assert_allclose(r[1], a + 1, rtol=1e-6)


def test_inputs_are_converted():
    x = K.placeholder(shape=(None, 5))
    f = K.function([x], [x * 2])
    a = np.random.randn(5, 4)                 # float64, transposed: not C-contiguous
    np.testing.assert_allclose(f([a.T])[0], a.T * 2, rtol=1e-6)
    sliced = np.random.randn(6, 10)[::2, ::2]
    np.testing.assert_allclose(f([sliced])[0], sliced * 2, rtol=1e-6)
    np.testing.assert_array_equal(f([np.arange(10).reshape(2, 5)])[0], np.arange(10).reshape(2, 5) * 2)
    np.testing.assert_array_equal(f([[[1, 2, 3, 4, 5]]])[0], [[2, 4, 6, 8, 10]])
    np.testing.assert_array_equal(f([np.ones((1, 5), bool)])[0], [[2] * 5])
    i = K.placeholder(shape=(None,), dtype='int32')
    g = K.function([i], [i + 1])
    np.testing.assert_array_equal(g([np.array([1., -2., 3.])])[0], [2, -1, 4])   # whole floats are fine
    assert g([np.array([1, 2], 'int64')])[0].dtype == np.int32


def test_learning_phase_input_selects_a_program():
    x = K.placeholder(shape=(None, 2))
    lp = K.learning_phase()
    f = K.function([x, lp], [x * K.cast(lp, 'float32') + 1])
    a = np.ones((3, 2), 'float32')
    np.testing.assert_array_equal(f([a, 1])[0], 2)
    np.testing.assert_array_equal(f([a, 0])[0], 1)
    np.testing.assert_array_equal(f([a, np.uint8(1)])[0], 2)


# ----------------------------------------------------------------------------- updates

def test_updates_read_old_values_swap():
    a = K.variable(np.array([1., 2.]), name='a')
    b = K.variable(np.array([3., 4.]), name='b')
    f = K.function([], [a, b], updates=[(a, b), (b, a)])
    ra, rb = f([])
    # outputs that are variables give their value before the updates
    np.testing.assert_array_equal(ra, [1, 2])
    np.testing.assert_array_equal(rb, [3, 4])
    np.testing.assert_array_equal(K.get_value(a), [3, 4])
    np.testing.assert_array_equal(K.get_value(b), [1, 2])
    f([])
    np.testing.assert_array_equal(K.get_value(a), [1, 2])


def test_updates_chain_and_outputs_use_old_values():
    x = K.placeholder(shape=(None, 2))
    w = K.variable(np.ones(2), name='w')
    s = K.variable(0., name='s')
    f = K.function([x], [x * w, s], updates=[(w, w * 2), (s, s + total(w))])
    r = f([np.ones((3, 2))])
    np.testing.assert_array_equal(r[0], 1)
    assert r[1] == 0
    assert K.get_value(s) == 2 and np.array_equal(K.get_value(w), [2, 2])
    r = f([np.ones((1, 2))])
    np.testing.assert_array_equal(r[0], [[2, 2]])
    assert r[1] == 2 and K.get_value(s) == 6


def test_first_update_of_a_variable_wins():
    c = K.variable(np.array([1., 2.]))
    f = K.function([], [c], updates=[(c, c + 1), (c, c * 10)])
    f([])
    np.testing.assert_array_equal(K.get_value(c), [2, 3])


def test_update_to_constant_and_to_itself():
    c = K.variable(np.array([1., 2.]))
    K.function([], [], updates=[(c, np.array([5., 6.]))])([])
    np.testing.assert_array_equal(K.get_value(c), [5, 6])
    s = K.variable(1.)
    K.function([], [], updates=[(s, 7)])([])        # a Python number for a scalar variable
    assert K.get_value(s) == 7
    r = K.function([], [c * 1], updates=[(c, c)])([])
    np.testing.assert_array_equal(r[0], [5, 6])
    np.testing.assert_array_equal(K.get_value(c), [5, 6])


def test_update_from_input_and_dtype_cast():
    x = K.placeholder(shape=(2,), dtype='float64')
    v = K.variable(np.zeros(2))                     # float32
    i = K.variable(np.zeros(2), dtype='int32')
    f = K.function([x], [], updates=[(v, x * 2), (i, K.cast(x, 'int64'))])
    f([np.array([1.5, -2.])])
    np.testing.assert_array_equal(K.get_value(v), [3, -4])
    assert K.get_value(v).dtype == np.float32
    np.testing.assert_array_equal(K.get_value(i), [1, -2])


def test_update_shape_checked_at_run_time():
    x = K.placeholder(shape=(None, 3))
    v = K.variable(np.zeros((2, 3)), name='acc')
    f = K.function([x], [], updates=[(v, x * 2)])
    f([np.ones((2, 3))])
    np.testing.assert_array_equal(K.get_value(v), 2)
    with pytest.raises(ShapeError, match=r"'acc'.*\(2, 3\).*\(4, 3\)"):
        f([np.ones((4, 3))])


# ----------------------------------------------------------------------------- aliasing

def test_outputs_do_not_alias_each_other_or_inputs():
    x = K.placeholder(shape=(None, 3))
    y = x * 2
    f = K.function([x], [y, y, x, x])
    a = np.ones((2, 3), 'float32')
    r = f([a])
    assert all(not np.shares_memory(r[i], r[j]) for i in range(4) for j in range(i + 1, 4))
    assert not np.shares_memory(r[2], a) and not np.shares_memory(r[3], a)
    np.testing.assert_array_equal(r[2], a)
    r[2][:] = 5
    r[0][:] = 7
    np.testing.assert_array_equal(a, 1)
    np.testing.assert_array_equal(r[1], 2)
    r2 = f([a])
    np.testing.assert_array_equal(r2[0], 2)
    np.testing.assert_array_equal(r2[2], 1)


def test_writing_into_results_does_not_change_variables_or_constants():
    v = K.variable(np.array([1., 2.]))
    c = K.exp(K.cast(np.zeros(2), 'float32'))       # folds to a constant
    f = K.function([], [v, c])
    r = f([])
    r[0][:] = 55
    r[1][:] = 66
    np.testing.assert_array_equal(K.get_value(v), [1, 2])
    r = f([])
    np.testing.assert_array_equal(r[0], [1, 2])
    np.testing.assert_array_equal(r[1], [1, 1])


# ----------------------------------------------------------------------------- errors

def test_unknown_option_is_named():
    x = K.placeholder(shape=(2,))
    with pytest.raises(ValueError, match='"mode".*debug, name, optimize, profile'):
        K.function([x], [x], mode='FAST_RUN')


def test_optimize_false_compiles_the_graph_as_built():
    """optimize=False skips the rewrites; both programs give the same values (the rewrite
    passes' own tests compare them on random graphs)."""
    x = K.placeholder(shape=(None, 5))
    w = K.variable(np.random.RandomState(0).randn(5, 4))
    y = K.softmax(K.relu(K.dot(x, w) + 1.0))
    loss = K.mean(K.categorical_crossentropy(y, K.ones_like(y) / 4.0))
    outs = [y, loss] + K.gradients(loss, [w])
    a = np.random.RandomState(1).randn(6, 5).astype('float32')
    plain = K.function([x], outs, optimize=False)
    fast = K.function([x], outs)
    for p, q in zip(plain([a]), fast([a])):
        np.testing.assert_allclose(p, q, rtol=1e-5, atol=1e-6)


def test_wrong_number_of_inputs():
    x, y = K.placeholder(shape=(2,), name='x'), K.placeholder(shape=(2,))
    f = K.function([x, y], [x + y])
    with pytest.raises(ValueError, match=r"expected 2 inputs .*'x'.*got 1"):
        f([np.ones(2)])
    with pytest.raises(TypeError, match='list of arrays'):
        f(np.ones(2))


def test_wrong_shape_names_the_input_and_both_shapes():
    x = K.placeholder(shape=(None, 3), name='features')
    f = K.function([x], [x * 2])
    with pytest.raises(ValueError, match=r"'features'.*\(None, 3\).*\(2, 4\)"):
        f([np.ones((2, 4))])
    with pytest.raises(ValueError, match=r"'features'.*\(None, 3\).*\(3,\)"):
        f([np.ones(3)])


def test_non_numeric_and_non_integral_data():
    x = K.placeholder(shape=(None,), name='x')
    f = K.function([x], [x])
    with pytest.raises(TypeError, match="'x'.*float32 data.*<U1"):
        f([np.array(['a', 'b'])])
    with pytest.raises(TypeError, match='object'):
        f([np.array([None, 1], dtype=object)])
    i = K.placeholder(shape=(None,), dtype='int32', name='ids')
    g = K.function([i], [i])
    with pytest.raises(TypeError, match="'ids'.*int32.*not whole numbers"):
        g([np.array([1.5, 2.])])
    with pytest.raises(TypeError, match='not whole numbers'):
        g([np.array([np.nan])])


def test_placeholder_missing_from_inputs():
    x = K.placeholder(shape=(2,))
    z = K.placeholder(shape=(2,), name='labels')
    with pytest.raises(ValueError, match="'labels', which is not among the inputs.*%s" % HERE):
        K.function([x], [x * z])
    v = K.variable(np.zeros(2))
    with pytest.raises(ValueError, match="'labels'"):
        K.function([x], [x], updates=[(v, z)])
    with pytest.raises(TypeError, match='not a placeholder'):
        K.function([v], [v])
    with pytest.raises(TypeError, match='list of placeholders'):
        K.function(x, [x])


def test_bad_updates():
    x = K.placeholder(shape=(2,))
    v = K.variable(np.zeros(2), name='v')
    with pytest.raises(TypeError, match='update target must be a variable'):
        K.function([x], [], updates=[(x, x * 2)])
    with pytest.raises(TypeError, match=r'\(variable, new_value\) pair'):
        K.function([x], [], updates=[v])
    with pytest.raises(ShapeError, match=r"'v'.*\(2,\).*\(3,\)"):
        K.function([x], [], updates=[(v, K.variable(np.zeros(3)))])
    with pytest.raises(ShapeError, match=r"'v'.*\(2,\).*\(\)"):
        K.function([x], [], updates=[(v, 1.)])
    with pytest.raises(TypeError, match="'v'.*float32.*int32"):
        K.function([x], [], updates=[(v, K.variable(np.zeros(2), dtype='int32'))])


def test_runtime_shape_mismatch_names_op_layer_and_file():
    x, y = K.placeholder(shape=(None, 3)), K.placeholder(shape=(None, 3))
    with K.layer_scope('merge_1 (Merge)'):
        z = x + y
    f = K.function([x, y], [z])
    with pytest.raises(ShapeError, match=r'add: .*\(2, 3\).*\(4, 3\).*merge_1 \(Merge\).*%s' % HERE):
        f([np.ones((2, 3)), np.ones((4, 3))])
    assert f([np.ones((1, 3)), np.ones((4, 3))])[0].shape == (4, 3)


# ----------------------------------------------------------------------------- options

def test_debug_prints_the_program(capsys):
    x = K.placeholder(shape=(None, 3))
    f = K.function([x], [K.tanh(x) * 2], debug=True, name='dbg_fn', optimize=False)
    f([np.ones((2, 3))])
    out = capsys.readouterr().out
    assert 'dbg_fn' in out and '(2, 3)' in out
    assert 'tanh' in out and 'mul' in out and HERE in out
    f([np.ones((2, 3))])      # cached: not printed again
    assert capsys.readouterr().out == ''
    f([np.ones((5, 3))])
    assert '(5, 3)' in capsys.readouterr().out


def test_debug_prints_the_optimised_graph_and_fused_steps(capsys):
    x = K.placeholder(shape=(None, 3))
    f = K.function([x], [K.tanh(x) * 2 + 1], debug=True, name='opt_fn')
    f([np.ones((2, 3))])
    out = capsys.readouterr().out
    assert 'opt_fn: graph of' in out and 'after the rewrites' in out
    assert '1 instructions' in out and '{tanh mul add}' in out


def test_profile_report_one_row_per_instruction():
    x = K.placeholder(shape=(None, 3))
    f = K.function([x], [K.tanh(x) * 2 + x], profile=True, optimize=False)
    f([np.ones((2, 3))])
    f([np.ones((2, 3))])
    (key, program, nodes), = f._profiles
    rows = f.profile_report().splitlines()
    assert len(rows) == len(program) == 3
    assert sorted(r.split()[3] for r in rows) == ['add', 'mul', 'tanh']
    assert all(float(r.split()[0]) >= 0 for r in rows)



# ----------------------------------------------------------------------------- the graph

def test_hash_consing_shares_identical_expressions():
    x = K.placeholder(shape=(None, 3))
    w = K.variable(np.ones(3))
    a, b = K.tanh(x * w + 1), K.tanh(x * w + 1)
    assert a is not b and a.node is b.node
    assert K.switch(x > 0, x, 2.).node is K.switch(x > 0, x, 2.).node
    assert K.cast(x, 'int32').node is K.cast(x, 'int32').node
    assert (x + 1).node is not (x + 2).node
    assert K.relu(x, 0.1).node is not K.relu(x, 0.2).node
    y = K.placeholder(shape=(None, 3))      # same shape, different input
    assert (x * 2).node is not (y * 2).node


def test_constant_folding():
    c = K.exp(K.cast(np.arange(3), 'float32') * 2 + 1)
    assert isinstance(c.node.op, Constant)
    np.testing.assert_allclose(c.node.value, np.exp(np.arange(3) * 2 + 1), rtol=1e-6)
    np.testing.assert_allclose(K.eval(c), np.exp(np.arange(3) * 2 + 1), rtol=1e-6)
    x = K.placeholder(shape=(2,))
    assert not isinstance((x * 2).node.op, Constant)
    assert not isinstance((K.variable(1.) + 1).node.op, Constant)   # variables change


def test_folded_constants_are_not_confused_with_later_graphs():
    """A folded node must not be returned for a new graph whose input happens to reuse the
    memory address (id) of a collected input of the folded one."""
    keep = []
    for i in range(300):
        keep.append(K.exp(np.float32(i % 7) + np.zeros((), 'float32')))
        x = K.placeholder(shape=())
        y = K.exp(x + np.zeros((), 'float32'))
        assert not isinstance(y.node.op, Constant)
        if i % 50 == 0:
            gc.collect()
            np.testing.assert_allclose(K.function([x], [y])([np.float32(1)])[0], np.e, rtol=1e-6)


def test_build_time_shape_error_names_op_shapes_and_file():
    x, y = K.placeholder(shape=(None, 3)), K.placeholder(shape=(None, 4))
    with pytest.raises(ShapeError, match=r'add: shapes \(None, 3\) and \(None, 4\).*at %s:\d+' % HERE):
        x + y
    with pytest.raises(ShapeError, match=r'maximum: .*\(2, 5\).*\(3,\)'):
        K.maximum(K.placeholder(shape=(2, 5)), K.placeholder(shape=(3,)))
    with pytest.raises(ShapeError, match='Switch'):
        K.switch(x > 0, x, y)


def test_build_time_shape_error_names_the_layer():
    x, y = K.placeholder(shape=(None, 3)), K.placeholder(shape=(5, 3))
    with K.layer_scope('dense_1 (Dense)'):
        with pytest.raises(ShapeError, match=r'mul: .*\[layer dense_1 \(Dense\), at %s:\d+\]' % HERE):
            x * K.placeholder(shape=(2,))
    assert (x * y).node.shape == (5, 3)       # None matches any size at build time
    with pytest.raises(ShapeError) as e:       # outside the scope: no layer
        x * K.placeholder(shape=(2,))
    assert 'layer' not in str(e.value)
    with K.layer_scope('model_1 (Model)'):
        with K.layer_scope('dense_2 (Dense)'):
            pass
        with pytest.raises(ShapeError, match=r'layer model_1 \(Model\)'):   # the outer label is back
            x - K.placeholder(shape=(2,))


def test_runtime_kernel_error_names_the_layer_and_file():
    # 14 alternating broadcast dimensions cannot be merged; the kernels iterate over at most 12
    x = K.placeholder(shape=(2, 1) * 7)
    y = K.placeholder(shape=(None,) * 14)
    with K.layer_scope('merge_1 (Merge)'):
        z = x * y
    f = K.function([x, y], [z])
    a = np.ones((2, 1) * 7, 'float32')
    where = r'\[layer merge_1 \(Merge\), at %s:\d+\]' % HERE
    with pytest.raises(RuntimeError, match='binary: more than 12 dimensions.*' + where):
        f([a, np.ones((1, 2) * 7, 'float32')])
    np.testing.assert_array_equal(f([a, np.full((2, 1) * 7, 3, 'float32')])[0], 3)   # still usable
    c = K.placeholder(shape=(None,) * 14, dtype='bool')
    g = K.function([c, x, y], [K.switch(c, x, y)])
    with pytest.raises(RuntimeError, match='switch: more than 12 dimensions.*%s' % HERE):
        g([np.ones((1, 2) * 7, bool), a, a])


# ----------------------------------------------------------------------------- review fixes

def test_same_placeholder_twice_in_inputs_is_an_error_naming_both():
    x = K.placeholder(shape=(None,), name='x')
    with pytest.raises(ValueError, match=r"input 0 \('x'\) and input 1 \('x'\) are the same placeholder"):
        K.function([x, x], [x * 2])


def test_shape_error_in_the_branch_not_taken_does_not_fail_the_call():
    x = K.placeholder(shape=(None, 3))
    y = K.placeholder(shape=(None, 3))
    out = K.in_train_phase(x * 2, x + y[:2])     # the test branch only fits a batch of 2
    f = K.function([x, y, K.learning_phase()], [out])
    a = np.ones((4, 3), 'float32')
    np.testing.assert_array_equal(f([a, a, 1])[0], a * 2)
    with pytest.raises(ShapeError, match=r'add: .*\(4, 3\).*\(2, 3\)'):
        f([a, a, 0])


def test_program_cache_is_bounded():
    x = K.placeholder(shape=(None,))
    f = K.function([x], [x + 1])
    for n in range(1, 3 * CACHE_SIZE):
        assert f([np.zeros(n, 'float32')])[0].shape == (n,)
    assert len(f._cache) == CACHE_SIZE


def test_program_checks_the_size_of_its_inputs():
    from symkeras import _core
    from symkeras.backend import lower
    prog = _core.Program([_core.BufSpec(lower.INPUT, 0, 8), _core.BufSpec(lower.OUTPUT, 0, 8)],
                         0, [], [], [_core.OutputSpec([2], np.dtype('float32'))], 1)
    prog.add(lower.KERNELS['copy'], [0, 1], [8], [])
    np.testing.assert_array_equal(prog.run([np.ones(2, 'float32')])[0], [1, 1])
    with pytest.raises(ValueError, match='does not match'):
        prog.run([np.ones(3, 'float32')])
    with pytest.raises(ValueError, match='does not match'):
        prog.run([np.ones((2, 2), 'float32')[:, 0]])      # right size, not contiguous


def test_gemm_scratch_is_owned_by_the_program_and_survives_more_threads():
    from symkeras import _core
    policy, threads = _core.parallel_policy(), _core.get_num_threads()
    try:
        _core.set_num_threads(1)
        x = K.placeholder(shape=(None, 300))
        w = K.variable(np.random.rand(300, 200))
        f = K.function([x], [K.dot(x, w)])
        a = np.random.rand(64, 300).astype('float32')
        expected = f([a])[0]
        program = f._cache[((64, 300),)][0]
        assert program.work_bytes > 0
        _core.set_num_threads(2)                       # more threads than when it was compiled
        _core.set_parallel_policy(64, 64, 1e3)
        np.testing.assert_array_equal(f([a])[0], expected)
    finally:
        _core.set_parallel_policy(*policy)
        _core.set_num_threads(threads)
