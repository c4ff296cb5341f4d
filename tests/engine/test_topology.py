import functools
import json

import numpy as np
import pytest

import symkeras.backend as K
from symkeras import regularizers
from symkeras.constraints import MaxNorm, NonNeg
from symkeras.engine import (Container, Input, InputLayer, InputSpec, Layer, Merge, merge,
                             register_layer_class)
from symkeras.engine import topology
from symkeras.utils.generic_utils import custom_object_scope

RNG = np.random.RandomState(0)


def rand(*shape):
    return RNG.normal(size=shape).astype('float32')


# ----------------------------------------------------------------------------- test layers

class Dense(Layer):
    """A minimal Dense: x W + b."""

    def __init__(self, output_dim, W_regularizer=None, W_constraint=None, **kwargs):
        self.output_dim = output_dim
        self.W_regularizer = W_regularizer
        self.W_constraint = W_constraint
        self.builds = 0
        super(Dense, self).__init__(**kwargs)

    def build(self, input_shape):
        self.builds += 1
        self.W = self.add_weight((input_shape[-1], self.output_dim), 'glorot_uniform', name='W',
                                 regularizer=self.W_regularizer, constraint=self.W_constraint)
        self.b = self.add_weight((self.output_dim,), 'zero', name='b')

    def call(self, x, mask=None):
        return K.dot(x, self.W) + self.b

    def get_output_shape_for(self, input_shape):
        return input_shape[:-1] + (self.output_dim,)

    def get_config(self):
        config = super(Dense, self).get_config()
        config['output_dim'] = self.output_dim
        return config


class MaskNonZero(Layer):
    """Passes x through; masks out time steps whose features are all zero."""

    def call(self, x, mask=None):
        return x * 1

    def compute_mask(self, x, mask=None):
        return K.any(K.not_equal(x, 0), axis=-1)


class PassMask(Layer):
    def __init__(self, **kwargs):
        super(PassMask, self).__init__(**kwargs)
        self.supports_masking = True

    def call(self, x, mask=None):
        return x * 2


class Identity(Layer):
    """Returns its input tensor unchanged."""


class Split(Layer):
    """Two outputs: x and -x."""

    def call(self, x, mask=None):
        return [x * 1, -x]

    def compute_mask(self, x, mask=None):
        return [None, None]

    def get_output_shape_for(self, input_shape):
        return [input_shape, input_shape]


class Counter(Layer):
    """Adds an input-dependent update (running sum of x) and an unconditional one."""

    def __init__(self, **kwargs):
        super(Counter, self).__init__(**kwargs)
        self.stateful = True

    def build(self, input_shape):
        self.total = self.add_weight((input_shape[-1],), 'zero', name='total', trainable=False)
        self.calls = self.add_weight((), 'zero', name='calls', trainable=False)

    def call(self, x, mask=None):
        self.add_update([K.update_add(self.total, K.sum(x, axis=0))], x)
        self.add_update([K.update_add(self.calls, 1.)])
        self.add_loss(K.sum(x), x)
        return x * 1


class Dropish(Layer):
    """Uses the learning phase: x in training, 0 * x in testing."""

    def __init__(self, **kwargs):
        super(Dropish, self).__init__(**kwargs)
        self.uses_learning_phase = True

    def call(self, x, mask=None):
        return K.in_train_phase(x, x * 0)


CUSTOM = {'Dense': Dense, 'MaskNonZero': MaskNonZero, 'PassMask': PassMask}


def run(inputs, outputs, values):
    return K.function(inputs, outputs)(values)


# ----------------------------------------------------------------------------- Layer basics

def test_auto_names_count_per_class():
    K.reset_uids()
    assert [Dense(2).name, Dense(2).name, PassMask().name] == ['dense_1', 'dense_2', 'passmask_1']
    assert Dense(2, name='head').name == 'head'


def test_unknown_kwarg_is_a_type_error_naming_it():
    with pytest.raises(TypeError, match="'output_shape'"):
        Dense(2, output_shape=(3,))


def test_base_kwargs_and_config_round_trip():
    d = Dense(3, input_shape=(4,), input_dtype='float64', trainable=False, name='d')
    assert d.batch_input_shape == (None, 4) and d.input_dtype == 'float64'
    config = d.get_config()
    assert config == {'name': 'd', 'trainable': False, 'batch_input_shape': (None, 4),
                      'input_dtype': 'float64', 'output_dim': 3}
    e = Dense.from_config(json.loads(json.dumps(config)))
    assert (e.name, e.trainable, e.batch_input_shape, e.input_dtype, e.output_dim) == \
        ('d', False, (None, 4), 'float64', 3)
    f = Dense(3, batch_input_shape=[8, 4])
    assert f.batch_input_shape == (8, 4) and f.input_dtype == K.floatx()
    assert 'batch_input_shape' not in Dense(3).get_config()


def test_layer_is_built_once_and_weights_are_named():
    d = Dense(2, name='dd')
    a, b = Input((3,)), Input((3,))
    d(a)
    d(b)
    assert d.builds == 1 and d.built
    assert [w.name for w in d.weights] == ['dd_W', 'dd_b']
    assert d.W.get_value().shape == (3, 2) and np.all(d.b.get_value() == 0)


def test_call_sets_keras_attributes_and_node():
    x = Input((3,), name='x_in')
    d = Dense(2)
    y = d(x)
    assert y._keras_shape == (None, 2) and K.int_shape(y) == (None, 2)
    assert y._keras_history == (d, 0, 0) and y._uses_learning_phase is False
    node = d.inbound_nodes[0]
    in_layer = x._keras_history[0]
    assert node.outbound_layer is d and node.inbound_layers == [in_layer]
    assert node.node_indices == [0] and node.tensor_indices == [0]
    assert node.input_tensors == [x] and node.output_tensors == [y]
    assert node.input_masks == [None] and node.output_masks == [None]
    assert node.input_shapes == [(None, 3)] and node.output_shapes == [(None, 2)]
    assert in_layer.outbound_nodes == [node] and d.outbound_nodes == []
    assert d.input is x and d.output is y and d.input_shape == (None, 3)
    assert d.output_shape == (None, 2) and d.input_mask is None and d.output_mask is None


def test_call_on_a_plain_tensor_makes_no_node():
    d = Dense(2)
    x = K.placeholder((None, 3))
    y = d(x)
    assert d.inbound_nodes == [] and not hasattr(y, '_keras_history')
    v = rand(2, 3)
    np.testing.assert_allclose(run([x], [y], [v])[0], v.dot(d.W.get_value()), rtol=1e-5)


def test_learning_phase_propagates_through_tensors():
    x = Input((3,))
    h = Dropish()(x)
    y = Dense(2)(h)
    assert h._uses_learning_phase and y._uses_learning_phase
    v = rand(2, 3)
    np.testing.assert_allclose(run([x, K.learning_phase()], [h], [v, 1])[0], v)
    np.testing.assert_allclose(run([x, K.learning_phase()], [h], [v, 0])[0], 0 * v)


def test_identity_layer_output_keeps_input_history():
    x = Input((3,))
    lay = Identity()
    y = lay(x)
    assert y is not x and x._keras_history[0].__class__ is InputLayer
    assert y._keras_history == (lay, 0, 0)
    v = rand(2, 3)
    np.testing.assert_allclose(run([x], [y], [v])[0], v)


def test_layer_scope_names_the_layer_in_errors():
    d = Dense(2, name='bad_dense')
    d.build((None, 4))
    d.built = True
    with pytest.raises(Exception, match=r'bad_dense \(Dense\)'):
        d(Input((3,)))


def test_call_must_return_tensors():
    class Broken(Layer):
        def call(self, x, mask=None):
            return None
    with pytest.raises(TypeError, match='broken_.*should return a tensor'):
        Broken()(Input((2,)))


def test_shape_and_mask_counts_must_match_outputs():
    class BadShape(Split):
        def get_output_shape_for(self, input_shape):
            return input_shape

    class BadMask(Split):
        def compute_mask(self, x, mask=None):
            return None
    with pytest.raises(ValueError, match='get_output_shape_for.*one shape tuple'):
        BadShape()(Input((2,)))
    with pytest.raises(ValueError, match='compute_mask.*one mask'):
        BadMask()(Input((2,)))


# ----------------------------------------------------------------------------- shared layers

def test_shared_layer_has_two_nodes_and_single_node_accessors_fail():
    a, b = Input((3,)), Input((3,))
    d = Dense(2, name='shared')
    ya, yb = d(a), d(b)
    assert len(d.inbound_nodes) == 2 and yb._keras_history == (d, 1, 0)
    assert d.get_input_at(0) is a and d.get_input_at(1) is b
    assert d.get_output_at(0) is ya and d.get_output_at(1) is yb
    assert d.get_input_shape_at(1) == (None, 3) and d.get_output_shape_at(0) == (None, 2)
    assert d.get_input_mask_at(0) is None and d.get_output_mask_at(1) is None
    assert d.input_shape == (None, 3) and d.output_shape == (None, 2)   # same on both nodes
    for attr, getter in (('input', 'get_input_at'), ('output', 'get_output_at'),
                         ('input_mask', 'get_input_mask_at'),
                         ('output_mask', 'get_output_mask_at')):
        with pytest.raises(AttributeError, match='Layer shared has multiple inbound nodes.*'
                                                 + getter):
            getattr(d, attr)
    np.testing.assert_allclose(*run([a, b], [ya, yb], [np.ones((1, 3))] * 2), rtol=1e-6)


def test_shape_accessors_fail_on_different_shapes_and_bad_indices():
    lay = PassMask(name='pm')
    lay(Input((3,)))
    lay(Input((4,)))
    with pytest.raises(AttributeError, match='pm has multiple inbound nodes, with different '
                                             'input shapes.*get_input_shape_at'):
        lay.input_shape
    with pytest.raises(AttributeError, match='different output shapes.*get_output_shape_at'):
        lay.output_shape
    with pytest.raises(ValueError, match='at node 2, but the layer pm has only 2 inbound'):
        lay.get_input_at(2)


def test_unconnected_layer_accessors_fail():
    d = Dense(2, name='lonely')
    for attr in ('input', 'output', 'input_mask', 'output_mask'):
        with pytest.raises(AttributeError, match='Layer lonely is not connected'):
            getattr(d, attr)
    for attr in ('input_shape', 'output_shape'):
        with pytest.raises(AttributeError, match='lonely has never been called'):
            getattr(d, attr)
    with pytest.raises(RuntimeError, match='lonely has never been called.*output shape'):
        d.get_output_shape_at(0)


def test_multi_output_layer_and_tensor_index():
    x = Input((2,))
    s = Split()
    pos, neg = s(x)
    assert pos._keras_history == (s, 0, 0) and neg._keras_history == (s, 0, 1)
    assert s.get_output_at(0) == [pos, neg] and s.output_shape == [(None, 2), (None, 2)]
    z = PassMask()(neg)
    assert z._keras_history[0].inbound_nodes[0].tensor_indices == [1]
    v = rand(3, 2)
    np.testing.assert_allclose(run([x], [z], [v])[0], -2 * v)


# ----------------------------------------------------------------------------- weights

def test_get_set_weights_and_errors():
    d = Dense(2, name='w')
    d(Input((3,)))
    values = [rand(3, 2), rand(2)]
    d.set_weights(values)
    for got, want in zip(d.get_weights(), values):
        np.testing.assert_array_equal(got, want)
    d.set_weights([w.tolist() for w in values])     # nested lists are arrays too
    np.testing.assert_array_equal(d.get_weights()[0], values[0])
    with pytest.raises(ValueError, match='layer "w" with a weight list of length 1, but the '
                                         'layer was expecting 2'):
        d.set_weights(values[:1])
    with pytest.raises(ValueError, match=r'"w".*w_W has shape \(3, 2\).*shape \(2, 3\)'):
        d.set_weights([rand(2, 3), rand(2)])


def test_count_params_requires_build():
    d = Dense(5, name='cp')
    with pytest.raises(RuntimeError, match="count_params` on cp, but the layer isn't built"):
        d.count_params()
    d(Input((3,)))
    assert d.count_params() == 3 * 5 + 5


def test_add_weight_regularizer_constraint_and_trainable():
    reg = regularizers.l1l2(l1=0.5, l2=0.25)
    con = MaxNorm(2.)
    d = Dense(2, W_regularizer=reg, W_constraint=con)
    d(Input((3,)))
    assert d.constraints == {d.W: con}
    assert len(d.losses) == 1 and d.get_losses_for(None) == d.losses
    w = d.W.get_value()
    want = 0.5 * np.abs(w).sum() + 0.25 * np.square(w).sum()
    np.testing.assert_allclose(K.eval(d.losses[0]), want, rtol=1e-5)
    # names are resolved by the regularizers / constraints modules
    e = Dense(2, W_regularizer='l2', W_constraint='nonneg')
    e(Input((3,)))
    assert isinstance(e.constraints[e.W], NonNeg)
    np.testing.assert_allclose(K.eval(e.losses[0]), 0.01 * np.square(e.W.get_value()).sum(),
                               rtol=1e-5)
    with pytest.raises(ValueError, match='Invalid initialization: nope'):
        Layer().add_weight((2,), 'nope', name='v')


def test_trainable_flag_moves_weights():
    c = Counter()
    c(Input((3,)))
    assert c.trainable_weights == [] and c.non_trainable_weights == [c.total, c.calls]
    d = Dense(2)
    d(Input((3,)))
    assert d.trainable_weights == [d.W, d.b] and d.non_trainable_weights == []
    d.trainable = False
    assert d.trainable_weights == [] and d.non_trainable_weights == [d.W, d.b]
    assert d.weights == [d.W, d.b]
    d.trainable_weights = [d.W]
    d.non_trainable_weights = [d.b]
    d.trainable = True
    assert d.trainable_weights == [d.W] and d.non_trainable_weights == [d.b]


def test_add_loss_and_add_update_filed_by_input():
    lay = Layer()
    x, y = K.placeholder((None, 2)), K.placeholder((None, 2))
    v = K.variable(0.)
    lay.add_loss(K.sum(x), x)
    lay.add_loss([K.sum(y)], [y])
    lay.add_loss(None)
    lay.add_loss([], x)
    upd = (v, v + 1)
    lay.add_update(upd, inputs=[])
    assert len(lay.losses) == 2
    assert len(lay.get_losses_for(x)) == 1 and len(lay.get_losses_for([y])) == 1
    assert lay.get_losses_for(None) == [] and lay.get_losses_for(K.placeholder((1,))) == []
    assert lay.updates == [upd]
    assert lay.get_updates_for(None) == lay.updates and lay.get_updates_for(x) == []


# ----------------------------------------------------------------------------- masks

def test_compute_mask_default_rules():
    x = Input((4, 3))
    m = MaskNonZero()(x)
    assert K.int_shape(MaskNonZero().compute_mask(x)) == (None, 4)
    p = PassMask()(m)
    assert p._keras_history[0].inbound_nodes[0].input_masks[0] is not None
    assert p._keras_history[0].output_mask is m._keras_history[0].output_mask
    with pytest.raises(ValueError, match='Layer strict_.* does not support masking'):
        Dense(2, name='strict_d')(m)
    assert Dense(2).compute_mask(x, [None, None]) is None
    with pytest.raises(ValueError, match='does not support masking'):
        Dense(2).compute_mask([x, x], [None, m])


# ----------------------------------------------------------------------------- InputSpec

class Specced(Layer):
    def __init__(self, specs, **kwargs):
        super(Specced, self).__init__(**kwargs)
        self.input_spec = specs


def test_input_spec_checks():
    x3 = Input((4, 5))
    Specced([InputSpec(ndim=3)])(x3)
    Specced([InputSpec(ndim='2+')])(x3)
    Specced([InputSpec(shape=(None, 4, None))])(x3)
    assert InputSpec(shape=(None, 4)).ndim == 2
    with pytest.raises(ValueError, match=r'Input 0 is incompatible with layer sp: expected '
                                         r'ndim=2, found ndim=3 \(shape \(None, 4, 5\)\)'):
        Specced([InputSpec(ndim=2)], name='sp')(x3)
    with pytest.raises(ValueError, match='expected ndim>=4, found ndim=3'):
        Specced([InputSpec(ndim='4+')])(x3)
    with pytest.raises(ValueError, match='layer sd: expected dtype=int32, found dtype=float32'):
        Specced([InputSpec(dtype='int32')], name='sd')(x3)
    with pytest.raises(ValueError, match=r'expected shape=\(None, 5, None\), found '
                                         r'shape=\(None, 4, 5\)'):
        Specced([InputSpec(shape=(None, 5, None))])(x3)
    with pytest.raises(ValueError, match='Layer two expects 2 inputs, but it received 1'):
        Specced([InputSpec(), InputSpec()], name='two')(x3)
    with pytest.raises(TypeError, match='input_spec must be a list'):
        Specced(InputSpec(ndim=3))(x3)
    with pytest.raises(ValueError, match="ndim must be an int or a string like '3\\+'"):
        InputSpec(ndim='three')


# ----------------------------------------------------------------------------- inputs

def test_input_and_input_layer():
    x = Input(shape=(3,), name='feat', dtype='int32')
    layer = x._keras_history[0]
    assert isinstance(layer, InputLayer) and x._keras_history == (layer, 0, 0)
    assert layer.name == 'feat' and x._keras_shape == (None, 3) and K.dtype(x) == 'int32'
    assert layer.get_config() == {'batch_input_shape': (None, 3), 'input_dtype': 'int32',
                                  'sparse': False, 'name': 'feat'}
    assert not layer.trainable and layer.built and layer.weights == []
    assert layer.inbound_nodes[0].inbound_layers == [] and layer.output is x
    y = Input(batch_shape=(5, 2))
    assert y._keras_shape == (5, 2) and K.dtype(y) == K.floatx()
    assert y._keras_history[0].name.startswith('input_')
    t = K.placeholder((None, 7), dtype='float64')
    z = Input(tensor=t)
    assert z is t and z._keras_shape == (None, 7) and z._keras_history[0].input_dtype == 'float64'
    w = Input(shape=(2,), tensor=K.placeholder((None, 2)))
    assert w._keras_shape == (None, 2)
    with pytest.raises(ValueError, match='provide either a `shape` or a `batch_shape`'):
        Input()
    with pytest.raises(ValueError, match='sparse'):
        Input((3,), sparse=True)
    il = InputLayer(input_shape=(4,), input_dtype='float64', name='il')
    assert il.batch_input_shape == (None, 4) and il.inbound_nodes[0].output_shapes == [(None, 4)]
    assert K.dtype(il.output) == 'float64'
    with pytest.raises(ValueError, match='InputLayer il2: provide input_shape or '
                                         'batch_input_shape, not both'):
        InputLayer(input_shape=(4,), batch_input_shape=(None, 4), name='il2')
    with pytest.raises(ValueError, match='provide an input_shape or a batch_input_shape'):
        InputLayer()
    back = InputLayer.from_config(json.loads(json.dumps(il.get_config())))
    assert back.batch_input_shape == (None, 4) and back.input_dtype == 'float64'


# ----------------------------------------------------------------------------- merge

A, B, C = rand(4, 3), rand(4, 3), rand(4, 3)


def _three():
    return Input((3,)), Input((3,)), Input((3,))


@pytest.mark.parametrize('mode, ref', [
    ('sum', lambda a, b, c: a + b + c), ('mul', lambda a, b, c: a * b * c),
    ('ave', lambda a, b, c: (a + b + c) / 3),
    ('max', lambda a, b, c: np.maximum(np.maximum(a, b), c)),
    ('concat', lambda a, b, c: np.concatenate([a, b, c], axis=-1))])
def test_merge_elementwise_and_concat(mode, ref):
    a, b, c = _three()
    y = merge([a, b, c], mode=mode, name='m_' + mode)
    layer = y._keras_history[0]
    assert isinstance(layer, Merge) and layer.name == 'm_' + mode
    assert y._keras_shape == ((None, 9) if mode == 'concat' else (None, 3))
    np.testing.assert_allclose(run([a, b, c], [y], [A, B, C])[0], ref(A, B, C), rtol=1e-5)


def test_merge_concat_axis_and_unknown_sizes():
    a, b = Input((2, 3)), Input((5, 3))
    y = merge([a, b], mode='concat', concat_axis=1)
    assert y._keras_shape == (None, 7, 3)
    u, v = rand(2, 2, 3), rand(2, 5, 3)
    np.testing.assert_allclose(run([a, b], [y], [u, v])[0], np.concatenate([u, v], 1))
    c, d = Input(batch_shape=(None, None, 3)), Input((4, 3))
    assert merge([c, d], mode='concat', concat_axis=1)._keras_shape == (None, None, 3)


def test_merge_dot_and_cos():
    a, b = Input((3,)), Input((3,))
    y = merge([a, b], mode='dot')
    assert y._keras_shape == (None, 1) and y._keras_history[0].dot_axes == [1, 1]
    np.testing.assert_allclose(run([a, b], [y], [A, B])[0], (A * B).sum(1, keepdims=True),
                               rtol=1e-5)
    c = merge([a, b], mode='cos')
    assert c._keras_shape == (None, 1) and K.int_shape(c) == (None, 1)
    cos = (A * B).sum(1) / np.sqrt((A * A).sum(1) * (B * B).sum(1))
    np.testing.assert_allclose(run([a, b], [c], [A, B])[0], cos[:, None], rtol=1e-5)
    p, q = Input((2, 3)), Input((4, 3))
    z = merge([p, q], mode='dot', dot_axes=[2, 2])
    assert z._keras_shape == (None, 2, 4)
    u, v = rand(2, 2, 3), rand(2, 4, 3)
    np.testing.assert_allclose(run([p, q], [z], [u, v])[0], np.einsum('bik,bjk->bij', u, v),
                               rtol=1e-5)


def test_merge_callable_modes():
    a, b = Input((3,)), Input((3,))
    y = merge([a, b], mode=lambda xs, scale: (xs[0] - xs[1]) * scale, output_shape=(3,),
              arguments={'scale': 2.})
    assert y._keras_shape == (None, 3)
    np.testing.assert_allclose(run([a, b], [y], [A, B])[0], (A - B) * 2, rtol=1e-6)
    z = merge([a, b], mode=lambda xs: K.concatenate(xs, axis=-1),
              output_shape=lambda shapes: (shapes[0][0], shapes[0][1] + shapes[1][1]))
    assert z._keras_shape == (None, 6)
    seen = {}

    def with_mask(xs, mask=None):
        seen['mask'] = mask
        return xs[0]
    merge([a, b], mode=with_mask, output_shape=(3,))
    assert seen['mask'] == [None, None]
    with pytest.raises(ValueError, match='Merge layer nos has a callable `mode`.*no '
                                         '`output_shape`'):
        merge([a, b], mode=lambda xs: xs[0], name='nos')


def test_merge_on_plain_tensors_and_legacy_layers():
    a, b = K.placeholder((None, 3)), K.placeholder((None, 3))
    y = merge([a, b], mode='mul')
    assert not hasattr(y, '_keras_history')
    np.testing.assert_allclose(run([a, b], [y], [A, B])[0], A * B, rtol=1e-6)
    x = Input((3,))
    s = Split()
    s(x)
    d = Dense(3)
    d(x)
    m = Merge([s, d], mode='sum', tensor_indices=[1, 0], node_indices=[0, 0])
    out = m.output
    assert m.inbound_nodes[0].tensor_indices == [1, 0]
    np.testing.assert_allclose(run([x], [out], [A])[0], -A + A.dot(d.W.get_value()), rtol=1e-5)
    with pytest.raises(TypeError, match='list of at least 2 layers'):
        Merge([s])


def test_merge_errors():
    a, b, c = _three()
    w = Input((4,))
    with pytest.raises(ValueError, match=r'Merge ms: only layers of same output shape can be '
                                         r'merged using sum mode. Layer shapes: \[\(None, 3\), '
                                         r'\(None, 4\)\]'):
        merge([a, w], mode='sum', name='ms')
    with pytest.raises(ValueError, match=r'"concat" mode can only merge.*\(None, 2, 3\), '
                                         r'\(None, 3, 4\)'):
        merge([Input((2, 3)), Input((3, 4))], mode='concat', concat_axis=1)
    with pytest.raises(ValueError, match='"concat" mode'):
        merge([Input((2, 3)), Input((3,))], mode='concat')
    with pytest.raises(ValueError, match=r'dimension incompatibility using dot mode: 3 != 4. '
                                         r'Layer shapes: \(None, 3\), \(None, 4\)'):
        merge([a, w], mode='dot')
    with pytest.raises(ValueError, match='cos merge takes exactly 2 layers'):
        merge([a, b, c], mode='cos')
    with pytest.raises(ValueError, match='invalid dot_axes'):
        merge([a, b], mode='dot', dot_axes=[1, 1, 1])
    with pytest.raises(ValueError, match='out of range'):
        merge([a, b], mode='dot', dot_axes=0)
    with pytest.raises(ValueError, match="invalid merge mode 'join'"):
        merge([a, b], mode='join')
    with pytest.raises(TypeError, match='merge: inputs must be a list'):
        merge(a)
    layer = Merge(mode='sum', name='once')
    with pytest.raises(TypeError, match='Merge once can only be called on a list'):
        layer(a)
    layer([a, b])
    with pytest.raises(RuntimeError, match='Merge layer once cannot be used more than once'):
        layer([a, b])
    with pytest.raises(TypeError, match='at least 2 tensors'):
        Merge().call([a])
    with pytest.raises(TypeError, match='expects a list of shapes'):
        Merge().get_output_shape_for((None, 3))


def _masked_pair(shape=(4, 3)):
    x, y = Input(shape), Input(shape)
    return x, y, MaskNonZero()(x), MaskNonZero()(y)


def _mask_of(t):
    layer, node_index, tensor_index = t._keras_history
    return layer.inbound_nodes[node_index].output_masks[tensor_index]


def test_merge_masks():
    x, y, mx, my = _masked_pair()
    u, v = rand(2, 4, 3), rand(2, 4, 3)
    u[0, 1] = 0
    v[1, 2] = 0
    nz_u, nz_v = np.any(u != 0, -1), np.any(v != 0, -1)
    for mode in ('sum', 'mul', 'ave', 'max'):
        m = _mask_of(merge([mx, my], mode=mode))
        np.testing.assert_array_equal(run([x, y], [m], [u, v])[0], nz_u & nz_v)
    m = _mask_of(merge([mx, my], mode='concat', concat_axis=1))
    np.testing.assert_array_equal(run([x, y], [m], [u, v])[0],
                                  np.concatenate([nz_u, nz_v], 1))
    # an unmasked input counts as all ones
    m = _mask_of(merge([mx, y], mode='concat'))
    np.testing.assert_array_equal(run([x, y], [m], [u, v])[0], nz_u)
    m = _mask_of(merge([mx, y], mode='sum'))
    np.testing.assert_array_equal(run([x, y], [m], [u, v])[0], nz_u)
    assert _mask_of(merge([mx, my], mode='dot', dot_axes=[2, 2])) is None
    assert _mask_of(merge([x, y], mode='sum')) is None
    assert _mask_of(merge([mx, my], mode=lambda xs: xs[0], output_shape=(4, 3))) is None
    const = K.variable(np.ones((2, 4)))
    assert _mask_of(merge([mx, my], mode=lambda xs: xs[0], output_shape=(4, 3),
                          output_mask=const)) is const
    m = _mask_of(merge([mx, my], mode=lambda xs: xs[0], output_shape=(4, 3),
                       output_mask=lambda masks: masks[1]))
    np.testing.assert_array_equal(run([x, y], [m], [u, v])[0], nz_v)
    with pytest.raises(ValueError, match='got 1 masks for 2 inputs'):
        Merge().compute_mask([x, y], [mx])


def test_merge_config_round_trip_and_code_opt_in():
    a, b = Input((3,)), Input((3,))
    layer = merge([a, b], mode='concat', name='mc')._keras_history[0]
    config = json.loads(json.dumps(layer.get_config()))
    assert config == {'name': 'mc', 'mode': 'concat', 'mode_type': 'raw', 'concat_axis': -1,
                      'dot_axes': -1, 'output_shape': None, 'output_shape_type': 'raw',
                      'output_mask': None, 'output_mask_type': 'raw', 'arguments': {}}
    back = Merge.from_config(config)
    assert back.mode == 'concat' and back.name == 'mc' and not back.built
    lam = merge([a, b], mode=lambda xs, k: xs[0] * k, output_shape=lambda s: s[0],
                arguments={'k': 3.})._keras_history[0]
    config = json.loads(json.dumps(lam.get_config()))
    assert config['mode_type'] == 'lambda' and config['output_shape_type'] == 'lambda'
    with pytest.raises(ValueError, match='its mode is a Python function saved as bytecode.*'
                                         'allow_code=True'):
        Merge.from_config(config)
    loaded = Merge.from_config(config, allow_code=True)
    y = loaded([a, b])
    assert y._keras_shape == (None, 3)
    np.testing.assert_allclose(run([a, b], [y], [A, B])[0], A * 3, rtol=1e-6)
    by_name = dict(config, mode='my_first', mode_type='function', output_shape=(3,),
                   output_shape_type='raw')
    with pytest.raises(ValueError, match="mode function 'my_first' not found"):
        Merge.from_config(by_name)
    loaded = Merge.from_config(by_name, custom_objects={'my_first': lambda xs, k: xs[0] + k})
    np.testing.assert_allclose(run([a, b], [loaded([a, b])], [A, B])[0], A + 3, rtol=1e-6)
    with pytest.raises(ValueError, match="unknown mode_type 'weird'"):
        Merge.from_config(dict(config, mode_type='weird'))
    assert Merge(mode=max).get_config()['mode'] == 'max'
    assert Merge(mode=max).get_config()['mode_type'] == 'function'
    with pytest.raises(ValueError, match='cannot save the callable.*no __name__'):
        Merge(mode=functools.partial(max)).get_config()


# ----------------------------------------------------------------------------- containers

def _two_by_two():
    K.reset_uids()
    a = Input((3,), name='in_a')
    b = Input((4,), name='in_b')
    shared = Dense(2, name='shared')
    ha, hb = shared(a), shared(Dense(3, name='proj')(b))
    merged = merge([ha, hb], mode='concat', name='cat')
    out1 = Dense(1, name='out1')(merged)
    out2 = PassMask(name='out2')(ha)
    return a, b, out1, out2, Container([a, b], [out1, out2], name='net')


def _np_two_by_two(model, u, v):
    W = {layer.name: layer.get_weights() for layer in model.layers if layer.weights}
    lin = lambda x, wb: x.dot(wb[0]) + wb[1]     # noqa: E731
    ha, hb = lin(u, W['shared']), lin(lin(v, W['proj']), W['shared'])
    return lin(np.concatenate([ha, hb], 1), W['out1']), 2 * ha


def test_container_structure():
    a, b, out1, out2, model = _two_by_two()
    assert [layer.name for layer in model.layers] == \
        ['in_b', 'in_a', 'proj', 'shared', 'cat', 'out1', 'out2']
    assert model.input_names == ['in_a', 'in_b'] and model.output_names == ['out1', 'out2']
    assert [layer.name for layer in model.input_layers] == ['in_a', 'in_b']
    assert model.inputs == [a, b] and model.outputs == [out1, out2]
    assert model.output_layers_node_indices == [0, 0]
    assert model.input_layers_tensor_indices == [0, 0]
    assert sorted(model.layers_by_depth) == [0, 1, 2, 3, 4]
    assert sorted(l.name for l in model.layers_by_depth[0]) == ['out1', 'out2']
    assert sorted(model.nodes_by_depth) == [0, 1, 2, 3, 4]
    assert sum(len(n) for n in model.nodes_by_depth.values()) == 8
    assert 'shared_ib-1' in model.container_nodes and len(model.container_nodes) == 8
    assert model.internal_input_shapes == [(None, 3), (None, 4)]
    assert model.internal_output_shapes == [(None, 1), (None, 2)]
    assert len(model.inbound_nodes) == 1 and model.built
    assert model.inbound_nodes[0].output_tensors == [out1, out2]
    assert model.input_spec == [None, None] and model.name == 'net'
    assert Container(a, out2).name.startswith('container_')
    with _LegacyOrdering():
        legacy = Container([a, b], [out2, out1])
    assert [layer.name for layer in legacy.layers][-2:] == ['out1', 'out2']
    assert [layer.name for layer in Container([a, b], [out2, out1]).layers][-2:] == \
        ['out2', 'out1']


class _LegacyOrdering(object):
    def __enter__(self):
        K.set_legacy_weight_ordering(True)

    def __exit__(self, *exc):
        K.set_legacy_weight_ordering(False)


def test_container_values_weights_and_count():
    a, b, out1, out2, model = _two_by_two()
    u, v = rand(5, 3), rand(5, 4)
    got = run([a, b], [out1, out2], [u, v])
    for g, w in zip(got, _np_two_by_two(model, u, v)):
        np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-6)
    weights = model.get_weights()
    assert [w.shape for w in weights] == [(4, 3), (3,), (3, 2), (2,), (4, 1), (1,)]
    assert model.count_params() == 12 + 3 + 6 + 2 + 4 + 1
    model.set_weights([w + 1 for w in weights])
    assert np.allclose(model.get_layer('proj').get_weights()[0], weights[0] + 1)
    with pytest.raises(ValueError, match='model "net" with a weight list of length 5, but the '
                                         'model was expecting 6'):
        model.set_weights(weights[:5])
    assert model.trainable_weights == model.weights and model.non_trainable_weights == []
    model.get_layer('proj').trainable = False
    assert len(model.trainable_weights) == 4 and len(model.non_trainable_weights) == 2
    model.trainable = False
    assert model.trainable_weights == [] and len(model.non_trainable_weights) == 6


def test_container_input_validation():
    a = Input((3,))
    h = Dense(2)(a)
    with pytest.raises(TypeError, match='Input tensors to a Container must be Keras tensors'):
        Container(K.placeholder((None, 3)), h)
    with pytest.raises(TypeError, match='Output tensors to a Container must be Keras tensors'):
        Container(a, K.placeholder((None, 3)))
    with pytest.raises(ValueError, match='Container inputs must come from a Keras Input layer.*'
                                         'generated by layer dense_'):
        Container(h, Dense(1)(h))
    with pytest.raises(ValueError, match='inputs passed to .* is redundant'):
        Container([a, a], h)
    other = Input((3,), name='other')
    joined = merge([h, Dense(2)(other)], mode='sum')
    with pytest.raises(RuntimeError, match='Graph disconnected: cannot obtain value for tensor.*'
                                           'other'):
        Container(a, joined)
    twin = Input((2,), name='twin')
    clash = Dense(2, name='twin')(a)
    with pytest.raises(RuntimeError, match='The name "twin" is used 2 times'):
        Container([a, twin], [clash, twin])


def test_get_layer():
    model = _two_by_two()[-1]
    assert model.get_layer('cat').name == 'cat' and model.get_layer(index=2).name == 'proj'
    assert model.get_layer(index=-1).name == 'out2'
    with pytest.raises(ValueError, match='layer at index 7 but model net only has 7 layers'):
        model.get_layer(index=7)
    with pytest.raises(ValueError, match='No such layer: nope'):
        model.get_layer('nope')
    with pytest.raises(ValueError, match='Provide either a layer name or layer index'):
        model.get_layer()


def test_container_as_a_layer_shares_weights():
    a, b, out1, out2, model = _two_by_two()
    c, d = Input((3,)), Input((4,))
    y1, y2 = model([c, d])
    assert y1._keras_shape == (None, 1) and y2._keras_shape == (None, 2)
    assert y1._keras_history == (model, 1, 0) and y2._keras_history == (model, 1, 1)
    assert model.get_output_shape_for([(None, 3), (7, 4)]) == [(None, 1), (None, 2)]
    assert model.get_output_shape_for([(8, 3), (8, 4)]) == [(8, 1), (8, 2)]
    with pytest.raises(ValueError, match='Invalid input_shape argument.*model net has 2 tensor '
                                         'inputs'):
        model.get_output_shape_for((None, 3))
    u, v = rand(2, 3), rand(2, 4)
    f = K.function([c, d], [y1, y2])
    for g, w in zip(f([u, v]), _np_two_by_two(model, u, v)):
        np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-6)
    model.set_weights([w * 0.5 for w in model.get_weights()])
    for g, w in zip(f([u, v]), _np_two_by_two(model, u, v)):
        np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-6)
    assert model.call([a, b]) == [out1, out2]        # the model's own tensors
    with pytest.raises(ValueError, match='Model net has 2 inputs; it was called on 1'):
        model.call(c)
    with pytest.raises(ValueError, match='Layer net expects 2 inputs, but it received 1'):
        model(c)


def test_container_masks_and_learning_phase():
    x = Input((4, 3))
    m = MaskNonZero()(x)
    y = PassMask()(m)
    inner = Container(x, y)
    assert not inner.uses_learning_phase and not inner.stateful
    assert inner.inbound_nodes[0].output_masks == [None]
    z = Input((4, 3))
    out = inner(z)
    mask = _mask_of(out)
    u = rand(2, 4, 3)
    u[1, 3] = 0
    np.testing.assert_array_equal(run([z], [mask], [u])[0], np.any(u != 0, -1))
    np.testing.assert_array_equal(inner.compute_mask(z), mask)
    d = Dropish()(x)
    phased = Container(x, d)
    assert phased.uses_learning_phase and phased(Input((4, 3)))._uses_learning_phase


def test_container_losses_updates_constraints():
    x = Input((3,))
    counter = Counter(name='counter')
    reg = Dense(2, W_regularizer=regularizers.l2(0.1), W_constraint=NonNeg(), name='reg')
    y = reg(counter(x))
    model = Container(x, y)
    assert model.stateful and len(model.state_updates) == 2
    assert len(model.updates) == 2 and len(model.losses) == 2
    assert model.constraints == {reg.W: reg.constraints[reg.W]}
    # The model as a layer on new inputs: its layers are applied without new nodes; what
    # they add on x2 is filed in the model under x2, and the outer model collects it once.
    x2 = Input((3,))
    y2 = model(x2)
    outer = Container([x, x2], [y, y2])
    assert len(counter.inbound_nodes) == 1 and len(model.get_updates_for([x2])) == 1
    assert len(outer.updates) == 4 and len(outer.losses) == 3   # two x-sums, one penalty
    on_x2 = model.get_updates_for([x2])
    assert on_x2[0] in outer.updates and counter.get_updates_for(x)[0] in outer.updates
    f = K.function([x2], [y2], updates=on_x2 + model.get_updates_for(None)[:1])
    f([2 * np.ones((2, 3))])
    np.testing.assert_allclose(counter.total.get_value(), [4, 4, 4])
    np.testing.assert_allclose(counter.calls.get_value(), 1)
    dup = Dense(2)
    dup.build((None, 3))
    dup.W = reg.W
    dup.constraints[reg.W] = MaxNorm()
    dup.built = True
    bad = Container(x, [y, dup(x)])
    with pytest.raises(ValueError, match='multiple constraints for one weight'):
        bad.constraints


def test_nested_containers_share_weights_and_round_trip():
    K.reset_uids()
    x = Input((3,))
    inner = Container(x, Dense(4)(x), name='inner')
    a, b = Input((3,), name='a'), Input((3,), name='b')
    ya, yb = inner(a), inner(b)
    y = Dense(1, name='head')(merge([ya, yb], mode='sum'))
    outer = Container([a, b], y, name='outer')
    assert [l.name for l in outer.layers] == ['a', 'b', 'inner', 'merge_1', 'head']
    assert outer.count_params() == 3 * 4 + 4 + 4 + 1
    assert outer.trainable_weights == inner.trainable_weights + outer.get_layer('head').weights
    u, v = rand(2, 3), rand(2, 3)
    W, bias = inner.get_weights()
    hw, hb = outer.get_layer('head').get_weights()
    want = ((u.dot(W) + bias) + (v.dot(W) + bias)).dot(hw) + hb
    np.testing.assert_allclose(run([a, b], [y], [u, v])[0], want, rtol=1e-5)
    config = json.loads(json.dumps(outer.get_config()))
    assert config['layers'][2]['inbound_nodes'] == [[['a', 0, 0]], [['b', 0, 0]]]
    assert config['layers'][3]['inbound_nodes'] == [[['inner', 1, 0], ['inner', 2, 0]]]
    assert config['input_layers'] == [['a', 0, 0], ['b', 0, 0]]
    assert config['output_layers'] == [['head', 0, 0]]
    unknown = json.loads(json.dumps(config).replace('"Dense"', '"NotARegisteredLayer"'))
    with pytest.raises(ValueError, match="Unknown layer class: 'NotARegisteredLayer'"):
        Container.from_config(unknown)
    back = Container.from_config(config, custom_objects=CUSTOM)
    assert [l.name for l in back.layers] == [l.name for l in outer.layers]
    assert json.loads(json.dumps(back.get_config())) == config
    back.set_weights(outer.get_weights())
    np.testing.assert_allclose(run(back.inputs, back.outputs, [u, v])[0], want, rtol=1e-5)


def test_two_by_two_config_round_trip_through_custom_object_scope():
    a, b, out1, out2, model = _two_by_two()
    config = json.loads(json.dumps(model.get_config()))
    layers = {item['name']: item for item in config['layers']}
    assert config['name'] == 'net' and list(layers) == [l.name for l in model.layers]
    assert layers['shared']['inbound_nodes'] == [[['in_a', 0, 0]], [['proj', 0, 0]]]
    assert layers['cat']['inbound_nodes'] == [[['shared', 0, 0], ['shared', 1, 0]]]
    assert layers['in_a'] == {'name': 'in_a', 'class_name': 'InputLayer', 'inbound_nodes': [],
                              'config': {'batch_input_shape': [None, 3], 'name': 'in_a',
                                         'input_dtype': 'float32', 'sparse': False}}
    assert config['output_layers'] == [['out1', 0, 0], ['out2', 0, 0]]
    with custom_object_scope(CUSTOM):
        back = Container.from_config(config)
    back.set_weights(model.get_weights())
    u, v = rand(2, 3), rand(2, 4)
    for g, w in zip(run(back.inputs, back.outputs, [u, v]), _np_two_by_two(model, u, v)):
        np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-6)
    bad = dict(config, output_layers=[['ghost', 0, 0]])
    with pytest.raises(ValueError, match="output_layers refers to layer 'ghost'"):
        Container.from_config(bad, custom_objects=CUSTOM)


def test_lambda_merge_inside_model_config_needs_opt_in():
    a, b = Input((3,), name='la'), Input((3,), name='lb')
    y = merge([a, b], mode=lambda xs: xs[0] - xs[1], output_shape=(3,), name='diff')
    config = json.loads(json.dumps(Container([a, b], y).get_config()))
    with pytest.raises(ValueError, match='Merge diff: its mode is a Python function'):
        Container.from_config(config)
    back = Container.from_config(config, allow_code=True)
    np.testing.assert_allclose(run(back.inputs, back.outputs, [A, B])[0], A - B, rtol=1e-6)


def test_layer_registry():
    with pytest.raises(TypeError, match='expected a Layer subclass'):
        register_layer_class(dict)

    @register_layer_class
    class RegisteredPass(PassMask):
        pass
    assert topology.get_layer_class('RegisteredPass') is RegisteredPass
    assert topology.get_layer_class('Merge') is Merge
    layer = topology.layer_from_config({'class_name': 'RegisteredPass',
                                        'config': {'name': 'rp', 'trainable': True}})
    assert isinstance(layer, RegisteredPass) and layer.name == 'rp'
    with pytest.raises(ValueError, match="expected a dict with 'class_name' and 'config'"):
        topology.layer_from_config({'name': 'x'})
    assert topology.get_layer_class('Dense', {'Dense': Dense}) is Dense


class AddTwo(Layer):
    """A two-input layer through the base __call__."""

    def build(self, input_shape):
        self.seen_shapes = input_shape

    def call(self, x, mask=None):
        return x[0] + x[1]

    def get_output_shape_for(self, input_shape):
        return input_shape[0]


def test_layer_on_a_list_of_keras_tensors():
    a, b = Input((3,)), Input((3,))
    lay = AddTwo()
    lay.input_spec = [InputSpec(ndim=2), InputSpec(shape=(None, 3))]
    y = lay([a, b])
    assert lay.seen_shapes == [(None, 3), (None, 3)]
    assert lay.inbound_nodes[0].inbound_layers == [a._keras_history[0], b._keras_history[0]]
    assert lay.input == [a, b] and lay.input_shape == [(None, 3), (None, 3)]
    assert lay.input_mask == [None, None]
    np.testing.assert_allclose(run([a, b], [y], [A, B])[0], A + B, rtol=1e-6)
    with pytest.raises(ValueError, match=r'Input 1 is incompatible with layer addtwo_\d+: '
                                         r'expected shape=\(None, 3\), found shape=\(None, 4\)'):
        lay([a, Input((4,))])


def test_legacy_merge_of_layers_uses_their_first_outputs():
    x = Input((3,))
    p, q = PassMask(), Dense(3)
    p(x)
    q(x)
    m = Merge([p, q], mode='ave')
    assert m.built and m.inbound_nodes[0].node_indices == [0, 0]
    want = (2 * A + A.dot(q.W.get_value())) / 2
    np.testing.assert_allclose(run([x], [m.output], [A])[0], want, rtol=1e-5)


def test_container_output_that_is_an_input():
    a = Input((3,))
    d = Dense(2)
    y = d(a)
    model = Container(a, [y, a])
    assert model.get_output_shape_for((None, 3)) == [(None, 2), (None, 3)]
    b = Input((3,))
    out_y, out_a = model(b)
    assert out_a is not b and out_a._keras_history == (model, 1, 1)
    assert b._keras_history[0].__class__ is InputLayer
    got = run([b], [out_y, out_a], [A])
    np.testing.assert_allclose(got[0], A.dot(d.W.get_value()), rtol=1e-5)
    np.testing.assert_allclose(got[1], A)
