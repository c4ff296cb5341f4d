"""ConvLSTM2D (Keras 1.2.2) against a numpy reference of its equations with Theano's true
convolution, in both dim orderings; per-gate weight views; gradients; stateful; configs."""
import json

import numpy as np
import pytest

import symkeras.backend as K
from symkeras import regularizers
from symkeras.engine import Input, topology
from symkeras.layers import ConvLSTM2D
from symkeras.layers.recurrent import GateWeight
from symkeras.models import Sequential, model_from_json
from symkeras.utils.test_utils import layer_test
from tests.opcheck import check_variable_grads

RNG = np.random.RandomState(11)


def rand(*shape):
    return RNG.normal(size=shape).astype('float32')


def hard_sigmoid(x):
    return np.clip(0.2 * x + 0.5, 0., 1.)


def np_conv_th(x, w, border_mode, strides=(1, 1)):
    """Theano's conv2d (flipped kernel): x (n, c, h, w), w (f, c, kh, kw). 'same' is Theano's
    'half' (k // 2 zeros on each side) keeping the first outputs, so an even kernel sees
    one more zero before the image than after it."""
    kh, kw = w.shape[2:]
    if border_mode == 'same':
        x = np.pad(x, ((0, 0), (0, 0), (kh // 2, (kh - 1) // 2), (kw // 2, (kw - 1) // 2)))
    flipped = w[:, :, ::-1, ::-1]
    rows, cols = x.shape[2] - kh + 1, x.shape[3] - kw + 1
    out = np.zeros((x.shape[0], w.shape[0], rows, cols))
    for r in range(rows):
        for c in range(cols):
            out[:, :, r, c] = np.einsum('nchw,fchw->nf', x[:, :, r:r + kh, c:c + kw], flipped)
    return out[:, :, ::strides[0], ::strides[1]]


def np_conv_lstm(layer, x):
    """Outputs (samples, time, ...) of the layer on x, in the 'th' layout of x and weights."""
    tf = layer.dim_ordering == 'tf'
    w = dict(zip([k + '_' + g for g in 'icfo' for k in 'WUb'], layer.get_weights()))
    if tf:
        x = x.transpose(0, 1, 4, 2, 3)
        w = {k: (v.transpose(3, 2, 0, 1) if v.ndim == 4 else v) for k, v in w.items()}

    def pre(g, xt, h):
        return (np_conv_th(xt, w['W_' + g], layer.border_mode, layer.subsample)
                + w['b_' + g][None, :, None, None] + np_conv_th(h, w['U_' + g], 'same'))

    h = c = np.zeros(np_conv_th(x[:, 0], w['W_i'], layer.border_mode, layer.subsample).shape)
    outs = []
    steps = range(x.shape[1])
    for t in (reversed(steps) if layer.go_backwards else steps):
        xt = x[:, t]
        i, f, o = (hard_sigmoid(pre(g, xt, h)) for g in 'ifo')
        c = f * c + i * np.tanh(pre('c', xt, h))
        h = o * np.tanh(c)
        outs.append(h)
    out = np.stack(outs, axis=1)
    return out.transpose(0, 1, 3, 4, 2) if tf else out


def randomize(layer, scale=0.4):
    layer.set_weights([scale * rand(*v.shape) for v in layer.get_weights()])


@pytest.mark.parametrize('dim_ordering, border_mode, go_backwards, subsample', [
    ('th', 'valid', False, (1, 1)), ('th', 'same', True, (1, 1)),
    ('tf', 'same', False, (1, 1)), ('tf', 'valid', True, (2, 1))])
def test_values_against_numpy(dim_ordering, border_mode, go_backwards, subsample):
    shape = (3, 2, 5, 4) if dim_ordering == 'th' else (3, 5, 4, 2)
    x = Input(shape=shape)
    layer = ConvLSTM2D(3, 3, 2, dim_ordering=dim_ordering, border_mode=border_mode,
                       go_backwards=go_backwards, subsample=subsample, return_sequences=True)
    y = layer(x)
    randomize(layer)
    data = rand(2, *shape)
    want = np_conv_lstm(layer, data)
    got = K.function([x], [y])([data])[0]
    assert y._keras_shape == (None,) + want.shape[1:]
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)
    last = ConvLSTM2D(3, 3, 2, dim_ordering=dim_ordering, border_mode=border_mode,
                      go_backwards=go_backwards, subsample=subsample)
    y_last = last(x)
    last.set_weights(layer.get_weights())
    np.testing.assert_allclose(K.function([x], [y_last])([data])[0], want[:, -1], rtol=1e-4,
                               atol=1e-5)


def test_per_gate_weights_are_views_of_fused_kernels():
    layer = ConvLSTM2D(2, 3, 3, dim_ordering='th', name='cl', U_regularizer=regularizers.l2(1.))
    layer(Input(shape=(4, 3, 6, 6)))
    assert [w.name for w in layer.weights] == ['cl_%s_%s' % (k, g) for g in 'icfo' for k in 'WUb']
    assert all(isinstance(w, GateWeight) for w in layer.weights)
    assert [K.int_shape(w) for w in layer.weights[:3]] == [(2, 3, 3, 3), (2, 2, 3, 3), (2,)]
    assert [K.int_shape(w) for w in layer.trainable_weights] == [(8, 3, 3, 3), (8, 2, 3, 3), (8,)]
    assert layer.count_params() == 4 * (2 * 3 * 9 + 2 * 2 * 9 + 2)
    np.testing.assert_array_equal(K.get_value(layer.b), [0, 0, 1, 1, 0, 0, 0, 0])
    randomize(layer)
    np.testing.assert_array_equal(K.get_value(layer.U)[4:6], K.get_value(layer.U_c))
    U = K.get_value(layer.U)
    assert float(sum(K.eval(l) for l in layer.losses)) == pytest.approx((U ** 2).sum(), rel=1e-5)


def test_gradients_match_finite_differences(float64):
    x = Input(shape=(2, 1, 3, 3), dtype='float64')
    layer = ConvLSTM2D(1, 2, 2, dim_ordering='th', border_mode='same', return_sequences=True)
    y = layer(x)
    randomize(layer)
    data = RNG.normal(size=(2, 2, 1, 3, 3))
    coef = RNG.normal(size=(2, 2, 1, 3, 3))
    loss = K.sum(y * coef)
    f = K.function([x], [loss])
    grads = K.function([x], K.gradients(loss, layer.trainable_weights))([data])
    check_variable_grads(f, [data], layer.trainable_weights, grads)


def test_stateful_and_reset_states():
    model = Sequential([ConvLSTM2D(2, 2, 2, dim_ordering='tf', stateful=True,
                                   batch_input_shape=(2, 3, 4, 4, 1))])
    data = rand(2, 3, 4, 4, 1)
    first = model.predict(data, batch_size=2)
    assert not np.allclose(model.predict(data, batch_size=2), first)
    model.reset_states()
    np.testing.assert_allclose(model.predict(data, batch_size=2), first, rtol=1e-6)
    assert tuple(model.layers[0].get_config()['batch_input_shape']) == (2, 3, 4, 4, 1)
    with pytest.raises(ValueError, match='stateful, it needs to know its batch size'):
        ConvLSTM2D(2, 2, 2, stateful=True)(Input(shape=(3, 1, 4, 4)))


def test_dropout_only_in_training():
    x = Input(shape=(3, 2, 4, 4))
    layer = ConvLSTM2D(3, 2, 2, dim_ordering='th', dropout_W=0.4, dropout_U=0.4)
    y = layer(x)
    f = K.function([x, K.learning_phase()], [y])
    data = rand(2, 3, 2, 4, 4)
    np.testing.assert_allclose(f([data, 0])[0], np_conv_lstm(layer, data)[:, -1], rtol=1e-4,
                               atol=1e-5)
    assert not np.allclose(f([data, 1])[0], f([data, 0])[0])


def test_layer_test_config_and_json_round_trip():
    layer_test(ConvLSTM2D, kwargs={'nb_filter': 2, 'nb_row': 2, 'nb_col': 2,
                                   'dim_ordering': 'th', 'return_sequences': True},
               input_shape=(2, 3, 1, 4, 4))
    layer = ConvLSTM2D(2, 3, 3, dim_ordering='tf', border_mode='same', name='c',
                       W_regularizer=regularizers.l1(0.1))
    config = json.loads(json.dumps(layer.get_config()))
    for key in ('nb_filter', 'nb_row', 'nb_col', 'return_sequences', 'go_backwards', 'stateful',
                'init', 'inner_init', 'forget_bias_init', 'activation', 'dim_ordering',
                'border_mode', 'subsample', 'inner_activation', 'W_regularizer',
                'U_regularizer', 'b_regularizer', 'dropout_W', 'dropout_U'):
        assert key in config
    assert 'consume_less' not in config and 'unroll' not in config
    copy = topology.layer_from_config({'class_name': 'ConvLSTM2D', 'config': config})
    assert json.loads(json.dumps(copy.get_config())) == config
    model = Sequential([ConvLSTM2D(2, 2, 2, dim_ordering='th', input_shape=(3, 1, 4, 4))])
    again = model_from_json(model.to_json())
    again.set_weights(model.get_weights())
    data = rand(2, 3, 1, 4, 4)
    np.testing.assert_allclose(again.predict(data), model.predict(data), rtol=1e-6)


@pytest.mark.parametrize('kwargs, match', [
    ({'border_mode': 'full'}, "border_mode must be one of 'valid', 'same'"),
    ({'dim_ordering': 'xy'}, "dim_ordering must be 'th', 'tf' or 'default'"),
    ({'dropout_W': -0.1}, r'dropout_W must be in \[0, 1\)'),
    ({'unroll': True}, 'Keyword argument not understood'),
])
def test_bad_arguments(kwargs, match):
    with pytest.raises((ValueError, TypeError), match=match):
        ConvLSTM2D(2, 2, 2, **kwargs)


def test_needs_5d_input():
    with pytest.raises(ValueError, match='expected ndim=5'):
        ConvLSTM2D(2, 2, 2)(Input(shape=(3, 4, 4)))
