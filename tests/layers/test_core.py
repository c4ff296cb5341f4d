import json
import warnings

import numpy as np
import pytest

import symkeras.backend as K
import symkeras.layers
from symkeras import constraints, engine, regularizers
from symkeras.engine import Container, Input, topology
from symkeras.layers import core
from symkeras.layers.core import (Activation, ActivityRegularization, Dense, Dropout, Flatten,
                                  Highway, Lambda, Masking, MaxoutDense, Permute, RepeatVector,
                                  Reshape, SpatialDropout1D, SpatialDropout2D, SpatialDropout3D,
                                  TimeDistributedDense)

RNG = np.random.RandomState(0)


def rand(*shape):
    return RNG.normal(size=shape).astype('float32')


def run(inputs, outputs, values, phase=0):
    """outputs evaluated with K.function, in the given learning phase."""
    inputs, outputs = topology.to_list(inputs), topology.to_list(outputs)
    return K.function(inputs + [K.learning_phase()], outputs)(list(values) + [phase])


def layer_test(cls, kwargs, data, expected=None, input_shape=None, rtol=1e-5):
    """Build cls(**kwargs) on an Input of data's shape (batch axis None, or `input_shape`),
    run it in the test phase and check: the value against `expected`, the output shape
    against get_output_shape_for and the Keras shape, the config (JSON-serialisable, same
    after a from_config and a layer_from_config round trip, same output with the weights
    copied). Returns (layer, output)."""
    layer = cls(**kwargs)
    shape = tuple(input_shape) if input_shape is not None else data.shape[1:]
    x = Input(shape=shape, dtype=str(data.dtype))
    y = layer(x)
    out = run(x, y, [data])[0]
    want_shape = layer.get_output_shape_for((None,) + shape)
    assert y._keras_shape == want_shape
    assert len(out.shape) == len(want_shape)
    assert all(w is None or w == o for w, o in zip(want_shape, out.shape))
    if expected is not None:
        np.testing.assert_allclose(out, expected, rtol=rtol, atol=1e-6)
    config = layer.get_config()
    config = json.loads(json.dumps(config))
    direct = cls.from_config(config, allow_code=True) if cls is Lambda else cls.from_config(config)
    for copy in (direct,
                 topology.layer_from_config({'class_name': cls.__name__, 'config': config},
                                            allow_code=True)):
        assert isinstance(copy, cls)
        copied = json.loads(json.dumps(copy.get_config()))
        if 'batch_input_shape' not in config:    # a stored input_dim gives an input shape
            copied.pop('batch_input_shape', None)
            copied.pop('input_dtype', None)
        expected = dict(config)
        for key in ('function', 'output_shape', 'mask'):
            # re-marshalled bytecode need not be byte-identical; its behaviour is checked below
            if config.get(key + '_type') == 'lambda':
                assert copied.pop(key)[0] and expected.pop(key)[0]
        assert copied == expected
        x2 = Input(shape=shape, dtype=str(data.dtype))
        y2 = copy(x2)
        copy.set_weights(layer.get_weights())
        np.testing.assert_allclose(run(x2, y2, [data])[0], out, rtol=1e-6, atol=1e-7)
    return layer, out


def weight_names(layer):
    return [w.name for w in layer.weights]


def weight_shapes(layer):
    return [tuple(K.int_shape(w)) for w in layer.weights]


# ----------------------------------------------------------------------------- Dense

def test_dense_values_shapes_names_and_config_keys():
    data = rand(3, 4)
    layer, out = layer_test(Dense, dict(output_dim=5, activation='tanh', name='d1'), data)
    W, b = layer.get_weights()
    np.testing.assert_allclose(out, np.tanh(data.dot(W) + b), rtol=1e-5, atol=1e-6)
    assert not b.any()
    assert weight_names(layer) == ['d1_W', 'd1_b']
    assert weight_shapes(layer) == [(4, 5), (5,)]
    assert set(layer.get_config()) == {
        'name', 'trainable', 'output_dim', 'init', 'activation', 'W_regularizer',
        'b_regularizer', 'activity_regularizer', 'W_constraint', 'b_constraint', 'bias',
        'input_dim'}
    assert layer.get_config()['input_dim'] == 4
    assert layer.get_config()['activation'] == 'tanh'
    assert layer.get_config()['init'] == 'glorot_uniform'
    assert not layer.supports_masking


def test_dense_default_linear_no_bias_3d_and_initial_weights():
    W = rand(4, 2)
    data = rand(2, 3, 4)
    layer, out = layer_test(Dense, dict(output_dim=2, bias=False, weights=[W], init='zero'),
                            data, expected=data.dot(W))
    assert len(layer.weights) == 1
    assert layer.get_config()['activation'] == 'linear'
    b = rand(2)
    layer, _ = layer_test(Dense, dict(output_dim=2, weights=[W, b]), data[:, 0],
                          expected=data[:, 0].dot(W) + b)
    with pytest.raises(ValueError, match='expecting 2 weights'):
        Dense(2, weights=[W])(Input(shape=(4,)))


def test_dense_input_dim_shortcut():
    layer = Dense(3, input_dim=7)
    assert layer.batch_input_shape == (None, 7)
    config = layer.get_config()
    assert config['batch_input_shape'] == (None, 7) and config['input_dim'] == 7
    assert config['input_dtype'] == K.floatx()


def test_dense_regularizers_constraints_and_activity_loss():
    data = rand(3, 4)
    wreg, breg = regularizers.l2(0.1), regularizers.l1(0.2)
    areg = regularizers.activity_l1(0.3)
    wcon, bcon = constraints.maxnorm(2), constraints.nonneg()
    layer = Dense(5, W_regularizer=wreg, b_regularizer=breg, activity_regularizer=areg,
                  W_constraint=wcon, b_constraint=bcon, weights=[rand(4, 5), rand(5)])
    x = Input(shape=(4,))
    y = layer(x)
    assert layer.constraints == {layer.W: wcon, layer.b: bcon}
    assert len(layer.losses) == 3
    W, b = layer.get_weights()
    values = run(x, layer.losses + [y], [data])
    np.testing.assert_allclose(values[0], 0.1 * (W ** 2).sum(), rtol=1e-5)
    np.testing.assert_allclose(values[1], 0.2 * np.abs(b).sum(), rtol=1e-5)
    np.testing.assert_allclose(values[2], 0.3 * np.abs(data.dot(W) + b).sum(), rtol=1e-5)
    assert layer.get_losses_for(None) == layer.losses[:2]
    assert layer.get_losses_for(x) == layer.losses[2:]
    config = layer.get_config()
    assert config['W_regularizer'] == {'name': 'L1L2Regularizer', 'l1': 0.0,
                                       'l2': pytest.approx(0.1)}
    assert config['activity_regularizer'] == {'name': 'L1L2Regularizer',
                                              'l1': pytest.approx(0.3), 'l2': 0.0}
    assert config['W_constraint'] == {'name': 'MaxNorm', 'm': 2, 'axis': 0}
    assert config['b_constraint'] == {'name': 'NonNeg'}
    copy = Dense.from_config(config)
    copy(Input(shape=(4,)))
    assert isinstance(copy.constraints[copy.W], constraints.MaxNorm)
    assert len(copy.losses) == 3


def test_dense_bad_input():
    with pytest.raises(ValueError, match='expected ndim>=2'):
        Dense(2)(Input(batch_shape=(3,)))
    with pytest.raises(ValueError, match='Invalid activation function: nope'):
        Dense(2, activation='nope')


# ----------------------------------------------------------------------------- Activation

def test_activation_values_config_and_mask():
    data = rand(3, 4)
    layer, _ = layer_test(Activation, dict(activation='relu'), data,
                          expected=np.maximum(data, 0))
    assert layer.get_config()['activation'] == 'relu'
    layer_test(Activation, dict(activation=K.sigmoid), data, expected=1 / (1 + np.exp(-data)))
    x = Input(shape=(3, 2))
    act = Activation('linear')
    y = act(Masking()(x))
    assert act.supports_masking and y._keras_history[0].output_mask is not None


# ----------------------------------------------------------------------------- Dropout

def test_dropout_identity_in_test_phase_and_active_in_training():
    data = np.abs(rand(40, 50)) + 1
    layer, out = layer_test(Dropout, dict(p=0.3, noise_shape=None, seed=5), data,
                            expected=data)
    assert layer.uses_learning_phase and layer.supports_masking
    x = Input(shape=(50,))
    y = Dropout(0.3)(x)
    trained = run(x, y, [data], phase=1)[0]
    dropped = trained == 0
    np.testing.assert_allclose(trained[~dropped], data[~dropped] / 0.7, rtol=1e-5)
    assert 0.2 < dropped.mean() < 0.4
    assert layer.get_config()['p'] == 0.3 and layer.get_config()['seed'] == 5


def test_dropout_noise_shape_and_p_zero():
    data = np.abs(rand(6, 4, 30)) + 1
    x = Input(shape=(4, 30))
    layer = Dropout(0.5, noise_shape=(6, 1, 30))
    out = run(x, layer(x), [data], phase=1)[0]
    dropped = out == 0
    assert (dropped == dropped[:, :1, :]).all() and dropped.any() and not dropped.all()
    assert Dropout.from_config(layer.get_config()).noise_shape == [6, 1, 30]
    zero = Dropout(0.)
    assert not zero.uses_learning_phase
    np.testing.assert_array_equal(run(x, zero(x), [data], phase=1)[0], data)
    with pytest.raises(ValueError, match=r'p must be in \[0, 1\); got 1'):
        Dropout(1)


def shared_drops(layer, data, shared_axes):
    """Run `layer` in training; check that the dropped entries are shared along
    `shared_axes` and that some but not all are dropped."""
    x = Input(shape=data.shape[1:])
    out = run(x, layer(x), [data], phase=1)[0]
    dropped = out == 0
    first = dropped[tuple(slice(0, 1) if i in shared_axes else slice(None)
                          for i in range(data.ndim))]
    assert (dropped == first).all() and dropped.any() and not dropped.all()
    np.testing.assert_allclose(out[~dropped], data[~dropped] / (1 - layer.p), rtol=1e-5)


def test_spatial_dropout_1d():
    data = np.abs(rand(8, 5, 16)) + 1
    layer, _ = layer_test(SpatialDropout1D, dict(p=0.5), data, expected=data)
    assert layer.get_config()['p'] == 0.5 and layer.uses_learning_phase
    shared_drops(SpatialDropout1D(0.5), data, [1])
    with pytest.raises(ValueError, match='expected ndim=3'):
        SpatialDropout1D(0.5)(Input(shape=(3,)))


@pytest.mark.parametrize('cls, spatial', [(SpatialDropout2D, 2), (SpatialDropout3D, 3)])
def test_spatial_dropout_nd(cls, spatial):
    data = np.abs(rand(*((6, 8) + (3,) * spatial))) + 1
    layer, _ = layer_test(cls, dict(p=0.4), data, expected=data)
    assert layer.get_config()['dim_ordering'] == K.image_dim_ordering() == 'th'
    shared_drops(cls(0.4, dim_ordering='th'), data, list(range(2, spatial + 2)))
    tf_data = np.moveaxis(data, 1, -1).copy()
    layer, _ = layer_test(cls, dict(p=0.4, dim_ordering='tf'), tf_data, expected=tf_data)
    assert layer.get_config()['dim_ordering'] == 'tf'
    shared_drops(cls(0.4, dim_ordering='tf'), tf_data, list(range(1, spatial + 1)))
    with pytest.raises(ValueError, match="dim_ordering must be 'th', 'tf' or 'default'; got "
                                         "'xy'"):
        cls(0.4, dim_ordering='xy')
    with pytest.raises(ValueError, match='expected ndim=%d' % (spatial + 2)):
        cls(0.4)(Input(shape=(3,)))


# ----------------------------------------------------------------------------- Flatten etc.

def test_flatten():
    data = rand(2, 3, 4, 5)
    layer, _ = layer_test(Flatten, {}, data, expected=data.reshape(2, -1))
    assert layer.get_output_shape_for((None, 3, 4, 5)) == (None, 60)
    with pytest.raises(ValueError, match=r'input to "Flatten" \(layer flat\) is not fully '
                                         r'defined \(got \(None, 4\)'):
        Flatten(name='flat')(Input(shape=(None, 4)))
    with pytest.raises(ValueError, match='expected ndim>=3'):
        Flatten()(Input(shape=(4,)))


def test_reshape():
    data = rand(2, 3, 4)
    layer, _ = layer_test(Reshape, dict(target_shape=(4, 3)), data,
                          expected=data.reshape(2, 4, 3))
    assert layer.get_config()['target_shape'] == [4, 3]
    layer, _ = layer_test(Reshape, dict(target_shape=(2, -1, 2)), data,
                          expected=data.reshape(2, 2, 3, 2))
    assert layer.get_output_shape_for((None, 3, 4)) == (None, 2, 3, 2)
    layer, _ = layer_test(Reshape, dict(target_shape=(-1, 2)), data, input_shape=(None, 4),
                          expected=data.reshape(2, 6, 2))
    assert layer.get_output_shape_for((None, None, 4)) == (None, None, 2)
    with pytest.raises(ValueError, match=r'layer rs\): total size of the new array must be '
                                         r'unchanged; cannot reshape input shape \(3, 4\) to '
                                         r'target shape \(5, 2\)'):
        Reshape((5, 2), name='rs')(Input(shape=(3, 4)))
    with pytest.raises(ValueError, match=r'input shape \(3, 4\) to target shape \(5, -1\)'):
        Reshape((5, -1))(Input(shape=(3, 4)))
    with pytest.raises(ValueError, match='only specify one unknown dimension'):
        Reshape((-1, -1))
    with pytest.raises(ValueError, match='positive or -1; got'):
        Reshape((0, 3))


def test_permute():
    data = rand(2, 3, 4, 5)
    layer, _ = layer_test(Permute, dict(dims=(3, 1, 2)), data,
                          expected=data.transpose(0, 3, 1, 2))
    assert layer.get_config()['dims'] == [3, 1, 2]
    with pytest.raises(ValueError, match=r'permutation of 1..2 .* got \(0, 1\)'):
        Permute((0, 1))
    with pytest.raises(ValueError, match='expected ndim=3'):
        Permute((2, 1))(Input(shape=(3,)))


def test_repeat_vector():
    data = rand(2, 3)
    layer, _ = layer_test(RepeatVector, dict(n=4), data,
                          expected=np.repeat(data[:, None], 4, axis=1))
    assert layer.get_config()['n'] == 4
    with pytest.raises(ValueError, match='expected ndim=2'):
        RepeatVector(2)(Input(shape=(3, 4)))


# ----------------------------------------------------------------------------- Lambda

def double(x):
    return 2 * x


def test_lambda_function_arguments_and_output_shapes():
    data = rand(2, 3, 4)
    layer, _ = layer_test(Lambda, dict(function=lambda x, k: x * k, arguments={'k': 3.}),
                          data, expected=3 * data)
    assert layer.get_config()['function_type'] == 'lambda'
    assert layer.get_config()['arguments'] == {'k': 3.}
    layer, _ = layer_test(Lambda, dict(function=lambda x: K.sum(x, axis=-1)), data,
                          expected=data.sum(-1))
    assert layer.get_output_shape_for((None, 3, 4)) == (None, 3)
    layer, _ = layer_test(Lambda, dict(function=lambda x: K.sum(x, axis=1),
                                       output_shape=(4,)), data, expected=data.sum(1))
    assert layer.get_config()['output_shape'] == [4]
    assert layer.get_config()['output_shape_type'] == 'raw'
    layer, _ = layer_test(Lambda, dict(function=lambda x: K.sum(x, axis=1),
                                       output_shape=lambda s: (s[0], s[2])),
                          data, expected=data.sum(1))
    assert layer.get_config()['output_shape_type'] == 'lambda'
    multi = Lambda(lambda xs: xs[0] - xs[1])
    a, b = Input(shape=(4,)), Input(shape=(4,))
    np.testing.assert_allclose(run([a, b], multi([a, b]), [data[0], data[1]])[0],
                               data[0] - data[1], rtol=1e-6)
    assert multi.get_output_shape_for([(None, 4), (None, 4)]) == (None, 4)
    with pytest.raises(ValueError, match='must return a tuple; got 3'):
        Lambda(double, output_shape=lambda s: 3)(Input(shape=(2,)))
    with pytest.raises(TypeError, match='output_shape must be a list, a tuple, or a function'):
        Lambda(double, output_shape=3)
    with pytest.raises(TypeError, match='function must be callable'):
        Lambda(3)


def test_lambda_keras_1_positional_order():
    layer = Lambda(lambda x, k: x + k, (4,), {'k': 1.})
    assert layer._output_shape == (4,) and layer.arguments == {'k': 1.}


def test_lambda_masks():
    data = rand(2, 3, 4)
    data[0, 1] = 0
    x = Input(shape=(3, 4))
    seen = []

    def keep(x, mask=None):
        seen.append(mask)
        return x
    masked = Masking()(x)
    with pytest.raises(ValueError, match='does not support masking'):
        Lambda(keep)(masked)
    passing = Lambda(keep, mask=lambda x, mask: mask)
    y = passing(masked)
    assert any(m is not None for m in seen)
    mask = run(x, passing.output_mask, [data])[0]
    np.testing.assert_array_equal(mask, (data != 0).any(-1))
    fixed = Lambda(double, mask=K.variable(np.ones((2, 3))))
    fixed(x)
    np.testing.assert_array_equal(K.get_value(fixed.output_mask), np.ones((2, 3)))
    assert y._keras_shape == (None, 3, 4)
    assert passing.get_config()['mask_type'] == 'lambda'


def test_lambda_code_is_loaded_only_on_request():
    layer = Lambda(lambda x: x + 1, name='lam')
    config = json.loads(json.dumps(layer.get_config()))
    with pytest.raises(ValueError, match='Lambda lam: its function is a Python function saved '
                                         'as bytecode.*allow_code=True'):
        Lambda.from_config(config)
    with pytest.raises(ValueError, match='allow_code=True'):
        topology.layer_from_config({'class_name': 'Lambda', 'config': config})
    loaded = Lambda.from_config(config, allow_code=True)
    x = Input(shape=(2,))
    np.testing.assert_allclose(run(x, loaded(x), [np.ones((1, 2), 'float32')])[0], 2.)


class Doubler(object):
    """A callable that is not a Python function: saved by name."""
    __name__ = 'doubler'

    def __call__(self, x):
        return 2 * x


class Nameless(object):
    def __call__(self, x):
        return x


def test_lambda_named_function_round_trip():
    # As in Keras 1.2.2, every Python function (def or lambda) is saved as bytecode.
    assert Lambda(double).get_config()['function_type'] == 'lambda'
    doubler = Doubler()
    layer = Lambda(doubler, output_shape=lambda s: s)
    config = layer.get_config()
    assert config['function'] == 'doubler' and config['function_type'] == 'function'
    with pytest.raises(ValueError, match="function 'doubler' not found; pass it in "
                                         "custom_objects"):
        Lambda.from_config(config, allow_code=True)
    copy = Lambda.from_config(config, custom_objects={'doubler': doubler}, allow_code=True)
    assert copy.function is doubler
    by_backend_name = dict(config, function='exp', output_shape=None, output_shape_type='raw')
    assert Lambda.from_config(by_backend_name).function is K.exp
    with pytest.raises(ValueError, match="unknown function_type 'x'"):
        Lambda.from_config(dict(by_backend_name, function_type='x'))
    with pytest.raises(ValueError, match='cannot save the function .* no __name__'):
        Lambda(Nameless()).get_config()


# ----------------------------------------------------------------------------- regularization

def test_activity_regularization():
    data = rand(3, 4)
    layer, _ = layer_test(ActivityRegularization, dict(l1=0.1, l2=0.2), data, expected=data)
    assert layer.supports_masking
    assert layer.get_config()['l1'] == 0.1 and layer.get_config()['l2'] == 0.2
    x = Input(shape=(4,))
    layer = ActivityRegularization(l1=0.1, l2=0.2)
    layer(x)
    np.testing.assert_allclose(run(x, layer.losses, [data])[0],
                               0.1 * np.abs(data).sum() + 0.2 * (data ** 2).sum(), rtol=1e-5)


# ----------------------------------------------------------------------------- Masking

def test_masking_output_and_mask():
    data = rand(2, 4, 3)
    data[0, 2] = 1.5
    data[1, 0] = 1.5
    data[1, 1, 0] = 1.5
    keep = (data != 1.5).any(-1)
    layer, out = layer_test(Masking, dict(mask_value=1.5), data,
                            expected=data * keep[..., None])
    assert layer.get_config()['mask_value'] == 1.5
    x = Input(shape=(4, 3))
    masking = Masking(mask_value=1.5)
    masking(x)
    np.testing.assert_array_equal(run(x, masking.output_mask, [data])[0], keep)
    default = Masking()
    assert default.mask_value == 0.


# ----------------------------------------------------------------------------- Highway

def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def test_highway_values_weight_order_and_config():
    data = rand(3, 4)
    layer, out = layer_test(Highway, dict(activation='tanh', name='hw'), data)
    W, W_carry, b, b_carry = layer.get_weights()
    t = sigmoid(data.dot(W_carry) + b_carry)
    np.testing.assert_allclose(out, np.tanh(data.dot(W) + b) * t + data * (1 - t), rtol=1e-5,
                               atol=1e-6)
    assert weight_names(layer) == ['hw_W', 'hw_W_carry', 'hw_b', 'hw_b_carry']
    assert weight_shapes(layer) == [(4, 4)] * 2 + [(4,)] * 2
    assert (b_carry == 1).all() and not b.any()
    assert set(layer.get_config()) == {'name', 'trainable', 'init', 'activation',
                                       'W_regularizer', 'b_regularizer', 'activity_regularizer',
                                       'W_constraint', 'b_constraint', 'bias', 'input_dim'}


def test_highway_no_bias_regularizers_input_dim_and_transform_bias():
    data = rand(3, 4)
    Ws = [rand(4, 4), rand(4, 4)]
    t = sigmoid(data.dot(Ws[1]))
    layer, _ = layer_test(Highway, dict(bias=False, weights=Ws), data,
                          expected=data.dot(Ws[0]) * t + data * (1 - t))
    assert len(layer.weights) == 2
    layer = Highway(input_dim=4, W_regularizer='l2', b_regularizer='l1',
                    activity_regularizer='activity_l2', W_constraint='nonneg',
                    b_constraint='maxnorm')
    assert layer.batch_input_shape == (None, 4)
    x = Input(shape=(4,))
    layer(x)
    assert len(layer.losses) == 3
    assert set(layer.constraints) == {layer.W, layer.b}
    with pytest.warns(UserWarning, match='transform_bias.*deprecated'):
        Highway(transform_bias=-2)
    with pytest.raises(ValueError, match='expected ndim=2'):
        Highway()(Input(shape=(3, 4)))


# ----------------------------------------------------------------------------- MaxoutDense

def test_maxout_dense():
    data = rand(3, 4)
    layer, out = layer_test(MaxoutDense, dict(output_dim=2, nb_feature=3, name='mo'), data)
    W, b = layer.get_weights()
    np.testing.assert_allclose(out, (np.einsum('ni,fio->nfo', data, W) + b).max(1), rtol=1e-5,
                               atol=1e-6)
    assert weight_names(layer) == ['mo_W', 'mo_b']
    assert weight_shapes(layer) == [(3, 4, 2), (3, 2)]
    assert layer.get_config()['nb_feature'] == 3
    W = rand(4, 4, 2)
    layer, _ = layer_test(MaxoutDense, dict(output_dim=2, bias=False, weights=[W]), data,
                          expected=np.einsum('ni,fio->nfo', data, W).max(1))
    layer = MaxoutDense(2, input_dim=4, W_regularizer='l1', b_regularizer='l2',
                        activity_regularizer='activity_l1', W_constraint='unitnorm',
                        b_constraint='nonneg')
    assert layer.batch_input_shape == (None, 4)
    layer(Input(shape=(4,)))
    assert len(layer.losses) == 3 and set(layer.constraints) == {layer.W, layer.b}


# ----------------------------------------------------------------------------- TimeDistributedDense

def test_time_distributed_dense():
    data = rand(2, 3, 4)
    with pytest.warns(UserWarning, match='TimeDistributedDense is deprecated'):
        layer = TimeDistributedDense(5, activation='relu', name='td')
    x = Input(shape=(3, 4))
    y = layer(x)
    W, b = layer.get_weights()
    np.testing.assert_allclose(run(x, y, [data])[0], np.maximum(data.dot(W) + b, 0),
                               rtol=1e-5, atol=1e-6)
    assert weight_names(layer) == ['td_W', 'td_b'] and weight_shapes(layer) == [(4, 5), (5,)]
    assert y._keras_shape == (None, 3, 5)
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        layer, _ = layer_test(TimeDistributedDense, dict(output_dim=2, bias=False), data,
                              input_shape=(None, 4))
        assert layer.get_config()['input_length'] is None
        short = TimeDistributedDense(2, input_dim=4, input_length=3, W_regularizer='l2',
                                     b_regularizer='l1', activity_regularizer='activity_l2',
                                     W_constraint='nonneg', b_constraint='nonneg')
        assert short.batch_input_shape == (None, 3, 4)
        assert short.get_config()['input_length'] == 3
        masked = Masking()(Input(shape=(3, 4)))
        short(masked)
    assert short.supports_masking and short.output_mask is not None
    assert len(short.losses) == 3 and set(short.constraints) == {short.W, short.b}


# ----------------------------------------------------------------------------- module level

def test_exports_and_container_round_trip():
    assert core.Merge is engine.Merge and core.Input is engine.Input
    assert core.InputLayer is engine.InputLayer and core.InputSpec is engine.InputSpec
    assert symkeras.layers.merge is engine.merge and symkeras.layers.Layer is engine.Layer
    for name in core.__all__:
        assert getattr(symkeras.layers, name) is getattr(core, name)
        if name not in ('Layer', 'InputSpec', 'Input'):
            assert topology.get_layer_class(name) is getattr(core, name)
    data = rand(3, 4)
    x = Input(shape=(4,))
    y = Dense(3, activation='relu')(Dropout(0.2)(x))
    y = Lambda(lambda t: t * 2)(Reshape((3, 1))(y))
    model = Container(x, Flatten()(y))
    config = json.loads(json.dumps(model.get_config()))
    copy = Container.from_config(config, allow_code=True)
    copy.set_weights(model.get_weights())
    np.testing.assert_allclose(run(copy.inputs, copy.outputs, [data])[0],
                               run(model.inputs, model.outputs, [data])[0], rtol=1e-6)


@pytest.mark.parametrize('cls, kwargs, in_shape', [
    (Dense, dict(output_dim=2), (3,)), (Highway, {}, (3,)),
    (MaxoutDense, dict(output_dim=2, nb_feature=2), (3,)),
    (TimeDistributedDense, dict(output_dim=2), (4, 3))])
def test_dense_family_init_and_trainable(cls, kwargs, in_shape):
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        layer = cls(init='one', trainable=False, **kwargs)
    layer(Input(shape=in_shape))
    assert layer.get_config()['init'] == 'one' and layer.get_config()['trainable'] is False
    assert layer.trainable_weights == [] and layer.non_trainable_weights == layer.weights
    W = layer.get_weights()[0]
    assert (W == 1).all()


def test_learning_phase_flag_on_outputs():
    x = Input(shape=(3,))
    assert Dropout(0.5)(x)._uses_learning_phase
    assert not Dropout(0.)(x)._uses_learning_phase
    assert Dense(2)(Dropout(0.5)(x))._uses_learning_phase
