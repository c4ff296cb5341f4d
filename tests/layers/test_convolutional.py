"""Convolutional layers against direct numpy references written from the definitions (Keras
1.2.2 on Theano: true convolution, the kernel flipped, in both dim orderings; 'same' = Theano's
'half'), weight shapes, names and fans, configs, errors, and a small conv net that trains."""
import json

import numpy as np
import pytest

import symkeras.backend as K
from symkeras import constraints, initializations, optimizers, regularizers
from symkeras.engine import Input
from symkeras.engine.topology import layer_from_config
from symkeras.layers import convolutional
from symkeras.layers.convolutional import (AtrousConv1D, AtrousConv2D, AtrousConvolution1D,
                                           AtrousConvolution2D, Conv1D, Conv2D, Conv3D,
                                           Convolution1D, Convolution2D, Convolution3D,
                                           Cropping1D, Cropping2D, Cropping3D, Deconv2D,
                                           Deconvolution2D, SeparableConv2D,
                                           SeparableConvolution2D, UpSampling1D, UpSampling2D,
                                           UpSampling3D, ZeroPadding1D, ZeroPadding2D,
                                           ZeroPadding3D)
from symkeras.layers.core import Activation, Dense, Flatten
from symkeras.layers.pooling import MaxPooling2D
from symkeras.models import Sequential

from .test_pooling import check_layer, out_length, predict, rand, to_tf, to_th

BASE_KEYS = {'name', 'trainable'}
CONV_KEYS = BASE_KEYS | {'nb_filter', 'init', 'activation', 'border_mode', 'W_regularizer',
                         'b_regularizer', 'activity_regularizer', 'W_constraint',
                         'b_constraint', 'bias'}


# ----------------------------------------------------------------------------- references

def correlate(x, W, strides, dilation, pads, outs):
    """Cross-correlation from the definition: x (batch, stack, *spatial), W (nb_filter,
    stack, *kernel); output position o reads x at o * stride + t * dilation - pad (zero
    outside the input) for each kernel tap t."""
    batch, stack = x.shape[:2]
    kernel = W.shape[2:]
    after = [max(0, (o - 1) * s + (k - 1) * d + 1 - p - n)
             for o, s, k, d, p, n in zip(outs, strides, kernel, dilation, pads, x.shape[2:])]
    xp = np.pad(x.astype('float64'), [(0, 0), (0, 0)] + list(zip(pads, after)))
    out = np.zeros((batch, W.shape[0]) + tuple(outs))
    for o in np.ndindex(*outs):
        taps = [i * s + np.arange(k) * d for i, s, k, d in zip(o, strides, kernel, dilation)]
        patch = xp[np.ix_(np.arange(batch), np.arange(stack), *taps)]
        summed = tuple(range(1, W.ndim))
        out[(slice(None), slice(None)) + o] = np.tensordot(patch, W, axes=(summed, summed))
    return out


def conv_ref(x, W, strides, border_mode, dilation=None):
    """Theano's true convolution (filter_flip=True) of x (batch, stack, *spatial) by W
    (nb_filter, stack, *kernel): the flipped kernel correlated with x padded by 0 ('valid'),
    span // 2 ('same' = 'half'; Keras keeps the first ceil(n / s) outputs) or span - 1
    ('full') on both sides."""
    rank = x.ndim - 2
    dilation = dilation or (1,) * rank
    spans = [k + (k - 1) * (d - 1) for k, d in zip(W.shape[2:], dilation)]
    pads = [{'valid': 0, 'same': span // 2, 'full': span - 1}[border_mode] for span in spans]
    outs = [out_length(n, k, border_mode, s, d)
            for n, k, s, d in zip(x.shape[2:], W.shape[2:], strides, dilation)]
    flipped = W[(slice(None), slice(None)) + (slice(None, None, -1),) * rank]
    return correlate(x, flipped, strides, dilation, pads, outs)


def kernel_to_th(W):
    """A 'tf' kernel (*kernel, stack, nb_filter) as a 'th' one (nb_filter, stack, *kernel)."""
    rank = W.ndim - 2
    return W.transpose((rank + 1, rank) + tuple(range(rank)))


def test_references_on_hand_examples():
    x = np.array([[[1., 2., 3.]]])
    W = np.array([[[1., 10.]]])
    # true convolution: out[o] = x[o] * W[1] + x[o + 1] * W[0]
    np.testing.assert_array_equal(conv_ref(x, W, (1,), 'valid'), [[[12., 23.]]])
    np.testing.assert_array_equal(conv_ref(x, W, (1,), 'full'), [[[1., 12., 23., 30.]]])
    np.testing.assert_array_equal(conv_ref(x, W, (2,), 'full'), [[[1., 23.]]])
    # 'same' with an even kernel: Theano 'half' pads 1 on both sides, Keras keeps 3 outputs
    np.testing.assert_array_equal(conv_ref(x, W, (1,), 'same'), [[[1., 12., 23.]]])
    np.testing.assert_array_equal(conv_ref(x, np.array([[[1., 10., 100.]]]), (1,), 'same'),
                                  [[[12., 123., 230.]]])
    np.testing.assert_array_equal(conv_ref(x, np.array([[[1., 0., 10.]]]), (1,), 'valid',
                                           (1,)), [[[13.]]])
    np.testing.assert_array_equal(conv_ref(np.arange(5.)[None, None], W, (1,), 'valid', (3,)),
                                  [[[3., 14.]]])


# ----------------------------------------------------------------------------- Convolution2D

@pytest.mark.parametrize('ordering', ['th', 'tf'])
@pytest.mark.parametrize('border_mode,subsample,kernel', [
    ('valid', (1, 1), (3, 2)), ('valid', (2, 3), (2, 3)), ('same', (1, 1), (3, 3)),
    ('same', (2, 1), (1, 3)), ('full', (1, 2), (2, 3)), ('same', (1, 1), (2, 2))])
def test_convolution_2d_values(ordering, border_mode, subsample, kernel):
    data_th = rand(2, 3, 6, 5)
    W_th, b = rand(4, 3, kernel[0], kernel[1]), rand(4)
    expected = np.maximum(conv_ref(data_th, W_th, subsample, border_mode)
                          + b[None, :, None, None], 0)
    if ordering == 'th':
        data, W = data_th, W_th
    else:
        data, W, expected = to_tf(data_th), W_th.transpose(2, 3, 1, 0), to_tf(expected)
    layer, _ = check_layer(Convolution2D,
                           dict(nb_filter=4, nb_row=kernel[0], nb_col=kernel[1],
                                border_mode=border_mode, subsample=subsample,
                                dim_ordering=ordering, activation='relu', weights=[W, b]),
                           data, expected)
    assert [K.int_shape(w) for w in layer.weights] == [W.shape, (4,)]


def test_convolution_2d_is_a_true_convolution_in_both_orderings():
    """A unit impulse through 'full' mode reproduces the kernel as stored (not flipped)."""
    W = np.arange(6, dtype='float32').reshape(1, 1, 2, 3)
    delta = np.zeros((1, 1, 3, 3), 'float32')
    delta[0, 0, 0, 0] = 1
    x = Input(shape=(1, 3, 3))
    out = predict(x, Convolution2D(1, 2, 3, border_mode='full', weights=[W, np.zeros(1)],
                                   dim_ordering='th')(x), delta)
    np.testing.assert_array_equal(out[0, 0, :2, :3], W[0, 0])
    x = Input(shape=(3, 3, 1))
    out = predict(x, Convolution2D(1, 2, 3, border_mode='full', bias=False,
                                   weights=[W.transpose(2, 3, 1, 0)], dim_ordering='tf')(x),
                  to_tf(delta))
    np.testing.assert_array_equal(out[0, :2, :3, 0], W[0, 0])


def test_convolution_2d_weights_names_defaults_and_config():
    K.reset_uids()
    layer = Convolution2D(5, 3, 2)
    assert (layer.dim_ordering, layer.border_mode, layer.subsample, layer.bias) == \
        ('th', 'valid', (1, 1), True)
    assert layer.activation.__name__ == 'linear' and layer.init.__name__ == 'glorot_uniform'
    layer(Input(shape=(4, 7, 6)))
    assert [w.name for w in layer.weights] == ['convolution2d_1_W', 'convolution2d_1_b']
    assert [K.int_shape(w) for w in layer.weights] == [(5, 4, 3, 2), (5,)]
    assert set(layer.get_config()) == CONV_KEYS | {'nb_row', 'nb_col', 'subsample',
                                                   'dim_ordering'}
    tf_layer = Convolution2D(5, 3, 2, dim_ordering='tf', bias=False)
    tf_layer(Input(shape=(7, 6, 4)))
    assert [w.name for w in tf_layer.weights] == ['convolution2d_2_W']
    assert K.int_shape(tf_layer.W) == (3, 2, 4, 5)
    K.set_image_dim_ordering('tf')
    try:
        assert Convolution2D(1, 1, 1).dim_ordering == 'tf'
    finally:
        K.set_image_dim_ordering('th')


@pytest.mark.parametrize('ordering', ['th', 'tf'])
def test_convolution_2d_kernel_init_uses_the_conv_fans(ordering):
    """glorot_uniform: limit sqrt(6 / (fan_in + fan_out)), fan_in = stack * rows * cols,
    fan_out = nb_filter * rows * cols in both layouts."""
    np.random.seed(0)
    shape = (8, 6, 3, 3) if ordering == 'th' else (3, 3, 6, 8)
    layer = Convolution2D(8, 3, 3, dim_ordering=ordering)
    layer(Input(shape=(6, 5, 5) if ordering == 'th' else (5, 5, 6)))
    W = layer.get_weights()[0]
    assert W.shape == shape
    limit = np.sqrt(6. / (6 * 9 + 8 * 9))
    assert np.abs(W).max() <= limit and np.abs(W).max() > 0.95 * limit


def test_convolution_1d_kernel_init_uses_the_th_rule_as_keras_1_2_2():
    """Keras 1.2.2 initialises Convolution1D's (filter_length, 1, input_dim, nb_filter) kernel
    with dim_ordering='th': fan_in = 1 * input_dim * nb_filter, fan_out = filter_length *
    input_dim * nb_filter."""
    np.random.seed(0)
    layer = Convolution1D(10, 3, init='he_uniform')
    layer(Input(shape=(6, 4)))
    W = layer.get_weights()[0]
    limit = np.sqrt(6. / (1 * 4 * 10))
    assert np.abs(W).max() <= limit and np.abs(W).max() > 0.95 * limit


def test_custom_init_without_dim_ordering_and_with_it():
    seen = {}

    def plain(shape, name=None):
        seen['plain'] = shape
        return initializations.one(shape, name=name)

    def ordered(shape, name=None, dim_ordering='th'):
        seen['ordered'] = dim_ordering
        return initializations.zero(shape, name=name)
    layer = Convolution2D(2, 2, 2, init=plain, dim_ordering='tf')
    layer(Input(shape=(3, 3, 1)))
    assert seen['plain'] == (2, 2, 1, 2) and layer.get_weights()[0].min() == 1
    assert layer.get_config()['init'] == 'plain'
    Convolution2D(2, 2, 2, init=ordered, dim_ordering='tf')(Input(shape=(3, 3, 1)))
    assert seen['ordered'] == 'tf'


def regularized_model_losses(layer, data_shape):
    """`layer` (built with W_regularizer l2(0.1) and b_regularizer l1(0.2), W and b
    constraints and an activity regularizer) alone in a compiled Sequential: checks that the
    model gathered both constraints and the W and b penalties, and returns W, b, random
    input data of data_shape and the activity penalty on it, for the caller's reference."""
    model = Sequential([layer])
    model.compile('sgd', 'mse')
    assert model.constraints == {layer.W: layer.W_constraint, layer.b: layer.b_constraint}
    assert len(model.losses) == 3
    W, b = layer.get_weights()
    data = rand(*data_shape)
    values = K.function([model.input], model.losses)([data])
    np.testing.assert_allclose(values[0], 0.1 * (W ** 2).sum(), rtol=1e-5)
    np.testing.assert_allclose(values[1], 0.2 * np.abs(b).sum(), rtol=1e-5)
    return W, b, data, values[2]


def test_convolution_2d_regularizers_and_constraints_reach_the_model():
    layer = Convolution2D(3, 2, 2, W_regularizer=regularizers.l2(0.1),
                          b_regularizer=regularizers.l1(0.2),
                          activity_regularizer=regularizers.activity_l1(0.3),
                          W_constraint=constraints.maxnorm(2, axis=[1, 2, 3]),
                          b_constraint=constraints.nonneg(), input_shape=(2, 4, 4),
                          weights=[rand(3, 2, 2, 2), rand(3)])
    W, b, data, activity = regularized_model_losses(layer, (2, 2, 4, 4))
    out = conv_ref(data, W, (1, 1), 'valid') + b[None, :, None, None]
    np.testing.assert_allclose(activity, 0.3 * np.abs(out).sum(), rtol=1e-4)
    config = layer.get_config()
    assert config['W_constraint'] == {'name': 'MaxNorm', 'm': 2, 'axis': [1, 2, 3]}
    copy = Convolution2D.from_config(config)
    copy(Input(shape=(2, 4, 4)))
    assert isinstance(copy.constraints[copy.W], constraints.MaxNorm) and len(copy.losses) == 3


def test_convolution_2d_unknown_spatial_size_and_batch_of_one():
    x = Input(shape=(2, None, None))
    layer = Convolution2D(3, 3, 3, subsample=(2, 2), border_mode='same')
    y = layer(x)
    assert y._keras_shape == (None, 3, None, None)
    data = rand(1, 2, 7, 4)
    W, b = layer.get_weights()
    np.testing.assert_allclose(predict(x, y, data),
                               conv_ref(data, W, (2, 2), 'same') + b[None, :, None, None],
                               rtol=1e-4, atol=1e-5)


# ----------------------------------------------------------------------------- 1-D

@pytest.mark.parametrize('border_mode,stride,length', [
    ('valid', 1, 3), ('valid', 2, 2), ('same', 1, 3), ('same', 3, 1), ('full', 2, 4)])
def test_convolution_1d_values(border_mode, stride, length):
    data = rand(2, 9, 3)
    W, b = rand(length, 1, 3, 4), rand(4)
    expected = conv_ref(to_th(data)[..., None], kernel_to_th(W), (stride, 1), border_mode)
    expected = np.tanh(to_tf(expected[..., 0]) + b)
    layer, _ = check_layer(Convolution1D,
                           dict(nb_filter=4, filter_length=length, subsample_length=stride,
                                border_mode=border_mode, activation='tanh', weights=[W, b]),
                           data, expected)
    assert layer.subsample == (stride, 1)


def test_convolution_1d_names_shortcut_and_config():
    K.reset_uids()
    layer = Convolution1D(6, 3, input_dim=5, input_length=10)
    assert layer.batch_input_shape == (None, 10, 5)
    model = Sequential([layer])
    assert model.output_shape == (None, 8, 6)
    assert [w.name for w in layer.weights] == ['convolution1d_1_W', 'convolution1d_1_b']
    assert [K.int_shape(w) for w in layer.weights] == [(3, 1, 5, 6), (6,)]
    config = layer.get_config()
    assert set(config) == CONV_KEYS | {'filter_length', 'subsample_length', 'input_dim',
                                       'input_length', 'batch_input_shape', 'input_dtype'}
    assert Sequential([Convolution1D.from_config(config)]).output_shape == (None, 8, 6)
    assert Convolution1D(2, 2, input_dim=3).batch_input_shape == (None, None, 3)


@pytest.mark.parametrize('border_mode,rate,stride', [('valid', 2, 1), ('same', 2, 1),
                                                     ('full', 3, 2), ('valid', 1, 2)])
def test_atrous_convolution_1d_values(border_mode, rate, stride):
    data = rand(2, 11, 2)
    W, b = rand(3, 1, 2, 3), rand(3)
    expected = conv_ref(to_th(data)[..., None], kernel_to_th(W), (stride, 1), border_mode,
                        (rate, 1))
    expected = to_tf(expected[..., 0]) + b
    layer, _ = check_layer(AtrousConvolution1D,
                           dict(nb_filter=3, filter_length=3, atrous_rate=rate,
                                subsample_length=stride, border_mode=border_mode,
                                weights=[W, b]), data, expected)
    assert layer.get_config()['atrous_rate'] == rate
    assert set(layer.get_config()) == CONV_KEYS | {'filter_length', 'subsample_length',
                                                   'input_dim', 'input_length', 'atrous_rate'}


# ----------------------------------------------------------------------------- atrous 2-D

@pytest.mark.parametrize('ordering', ['th', 'tf'])
@pytest.mark.parametrize('border_mode,rate,subsample', [('valid', (2, 3), (1, 1)),
                                                        ('same', (2, 2), (1, 1)),
                                                        ('full', (1, 2), (2, 1))])
def test_atrous_convolution_2d_values(ordering, border_mode, rate, subsample):
    data_th = rand(2, 2, 9, 8)
    W_th, b = rand(3, 2, 3, 2), rand(3)
    expected = conv_ref(data_th, W_th, subsample, border_mode, rate) + b[None, :, None, None]
    data, W = data_th, W_th
    if ordering == 'tf':
        data, W, expected = to_tf(data_th), W_th.transpose(2, 3, 1, 0), to_tf(expected)
    layer, _ = check_layer(AtrousConvolution2D,
                           dict(nb_filter=3, nb_row=3, nb_col=2, atrous_rate=rate,
                                subsample=subsample, border_mode=border_mode,
                                dim_ordering=ordering, weights=[W, b]), data, expected)
    assert layer.get_config()['atrous_rate'] == rate
    assert set(layer.get_config()) == CONV_KEYS | {'nb_row', 'nb_col', 'subsample',
                                                   'dim_ordering', 'atrous_rate'}


# ----------------------------------------------------------------------------- Deconvolution2D

@pytest.mark.parametrize('ordering', ['th', 'tf'])
@pytest.mark.parametrize('border_mode,subsample,kernel,out', [
    ('valid', (1, 1), (3, 3), (7, 6)), ('valid', (2, 2), (3, 2), (11, 8)),
    ('valid', (2, 2), (3, 2), (12, 9)), ('same', (1, 1), (3, 3), (5, 4)),
    ('same', (2, 1), (3, 3), (10, 4)), ('full', (1, 2), (2, 3), (4, 5)),
    ('full', (1, 2), (2, 3), (4, 6))])
def test_deconvolution_2d_is_the_adjoint_of_the_convolution(ordering, border_mode, subsample,
                                                            kernel, out):
    """<conv(u), x> == <u, deconv(x)> for the forward true convolution whose kernel is W
    with its two leading axes swapped (stack <-> nb_filter), as Theano's gradInputs."""
    data_th = rand(2, 3, 5, 4)
    W_th = rand(2, 3, kernel[0], kernel[1])
    output_shape = (None, 2) + out
    data, W = data_th, W_th
    if ordering == 'tf':
        data, W, output_shape = to_tf(data_th), W_th.transpose(2, 3, 1, 0), (None,) + out + (2,)
    layer, y = check_layer(Deconvolution2D,
                           dict(nb_filter=2, nb_row=kernel[0], nb_col=kernel[1],
                                output_shape=output_shape, border_mode=border_mode,
                                subsample=subsample, dim_ordering=ordering, bias=False,
                                weights=[W]), data)
    y_th = y if ordering == 'th' else to_th(y)
    assert y_th.shape == (2, 2) + out
    u = rand(*y_th.shape)
    forward = conv_ref(u, W_th.transpose(1, 0, 2, 3), subsample, border_mode)
    assert forward.shape == data_th.shape
    np.testing.assert_allclose((forward * data_th).sum(), (u * y_th).sum(), rtol=1e-4)
    assert set(layer.get_config()) == CONV_KEYS | {'nb_row', 'nb_col', 'subsample',
                                                   'dim_ordering', 'output_shape'}


def test_deconvolution_2d_of_an_impulse_is_the_flipped_kernel_plus_bias():
    W, b = rand(2, 1, 2, 3), rand(2)
    delta = np.zeros((1, 1, 2, 2), 'float32')
    delta[0, 0, 0, 0] = 1
    x = Input(shape=(1, 2, 2))
    layer = Deconvolution2D(2, 2, 3, output_shape=(1, 2, 3, 4), weights=[W, b])
    y = predict(x, layer(x), delta)
    expected = np.zeros((1, 2, 3, 4)) + b[None, :, None, None]
    expected[0, :, :2, :3] += W[:, 0, ::-1, ::-1]
    np.testing.assert_allclose(y, expected, rtol=1e-5, atol=1e-6)
    assert layer.get_config()['output_shape'] == (1, 2, 3, 4)
    assert [K.int_shape(w) for w in layer.weights] == [(2, 1, 2, 3), (2,)]


def test_deconvolution_2d_output_shape_errors():
    K.reset_uids()
    with pytest.raises(ValueError, match=r'Deconvolution2D: output_shape must be the full 4-D '
                                         r'output shape'):
        Deconvolution2D(2, 3, 3, output_shape=(5, 5))
    with pytest.raises(ValueError, match=r"Deconvolution2D: output_shape \(None, 5, 7, 7\) has 5 "
                                         r"channels but nb_filter is 2 \(dim_ordering 'th'\)"):
        Deconvolution2D(2, 3, 3, output_shape=(None, 5, 7, 7))
    with pytest.raises(ValueError, match=r"Deconvolution2D \(layer deconvolution2d_1\): "
                                         r"output_shape \(None, 2, 8, 7\) does not fit the input "
                                         r"shape \(None, 3, 5, 5\).*maps rows and cols \(8, 7\) to "
                                         r"\(6, 5\), not to the input's \(5, 5\)"):
        Deconvolution2D(2, 3, 3, output_shape=(None, 2, 8, 7))(Input(shape=(3, 5, 5)))
    assert Deconv2D is Deconvolution2D


# ----------------------------------------------------------------------------- separable

def tf_same_pads(n, k, s):
    out = -(-n // s)
    return max((out - 1) * s + k - n, 0) // 2, out


@pytest.mark.parametrize('ordering', ['th', 'tf'])
@pytest.mark.parametrize('border_mode,subsample,multiplier', [('valid', (1, 1), 1),
                                                             ('same', (2, 1), 2),
                                                             ('valid', (1, 2), 3)])
def test_separable_convolution_2d_values(ordering, border_mode, subsample, multiplier):
    """TensorFlow's semantics (1.2.2 had the layer on TensorFlow only): a depthwise
    cross-correlation, channel c * multiplier + m from input channel c and filter m, with
    TensorFlow's 'same' padding, then a 1x1 pointwise mix."""
    data_th = rand(2, 3, 6, 7)
    dw_th, pw_th, b = rand(multiplier, 3, 3, 2), rand(4, 3 * multiplier, 1, 1), rand(4)
    pads, outs = zip(*[tf_same_pads(n, k, s) if border_mode == 'same'
                       else (0, out_length(n, k, 'valid', s))
                       for n, k, s in zip((6, 7), (3, 2), subsample)])
    mid = np.concatenate([correlate(data_th[:, c:c + 1], dw_th[:, c:c + 1], subsample, (1, 1),
                                    pads, outs) for c in range(3)], axis=1)
    expected = correlate(mid, pw_th, (1, 1), (1, 1), (0, 0), outs) + b[None, :, None, None]
    data, dw, pw = data_th, dw_th, pw_th
    if ordering == 'tf':
        data, expected = to_tf(data_th), to_tf(expected)
        dw, pw = dw_th.transpose(2, 3, 1, 0), pw_th.transpose(2, 3, 1, 0)
    layer, _ = check_layer(SeparableConvolution2D,
                           dict(nb_filter=4, nb_row=3, nb_col=2, border_mode=border_mode,
                                subsample=subsample, depth_multiplier=multiplier,
                                dim_ordering=ordering, weights=[dw, pw, b]), data, expected)
    assert [K.int_shape(w) for w in layer.weights] == [dw.shape, pw.shape, (4,)]


def test_separable_convolution_2d_names_config_and_regularizers():
    K.reset_uids()
    layer = SeparableConv2D(4, 3, 3, depth_multiplier=2,
                            depthwise_regularizer=regularizers.l2(0.1),
                            pointwise_regularizer=regularizers.l1(0.2),
                            depthwise_constraint=constraints.nonneg(),
                            pointwise_constraint=constraints.unitnorm())
    layer(Input(shape=(3, 5, 5)))
    assert [w.name for w in layer.weights] == ['separableconvolution2d_1_depthwise_kernel',
                                               'separableconvolution2d_1_pointwise_kernel',
                                               'separableconvolution2d_1_b']
    assert [K.int_shape(w) for w in layer.weights] == [(2, 3, 3, 3), (4, 6, 1, 1), (4,)]
    config = layer.get_config()
    assert set(config) == (CONV_KEYS - {'W_regularizer', 'W_constraint'}) | {
        'nb_row', 'nb_col', 'subsample', 'depth_multiplier', 'dim_ordering',
        'depthwise_regularizer', 'pointwise_regularizer', 'depthwise_constraint',
        'pointwise_constraint'}
    assert config['pointwise_regularizer']['l1'] == pytest.approx(0.2)
    assert config['depthwise_constraint'] == {'name': 'NonNeg'}
    assert len(layer.losses) == 2 and len(layer.constraints) == 2
    with pytest.raises(ValueError, match=r"SeparableConvolution2D: border_mode must be one of "
                                         r"'valid', 'same'; got 'full'"):
        SeparableConvolution2D(2, 3, 3, border_mode='full')


# ----------------------------------------------------------------------------- 3-D

@pytest.mark.parametrize('ordering', ['th', 'tf'])
@pytest.mark.parametrize('border_mode,subsample', [('valid', (1, 1, 1)), ('same', (2, 1, 2)),
                                                   ('full', (1, 2, 1))])
def test_convolution_3d_values(ordering, border_mode, subsample):
    data_th = rand(2, 2, 4, 5, 3)
    W_th, b = rand(3, 2, 3, 2, 3), rand(3)
    expected = conv_ref(data_th, W_th, subsample, border_mode) + b[None, :, None, None, None]
    data, W = data_th, W_th
    if ordering == 'tf':
        data, W, expected = to_tf(data_th), W_th.transpose(2, 3, 4, 1, 0), to_tf(expected)
    layer, _ = check_layer(Convolution3D,
                           dict(nb_filter=3, kernel_dim1=3, kernel_dim2=2, kernel_dim3=3,
                                border_mode=border_mode, subsample=subsample,
                                dim_ordering=ordering, weights=[W, b]), data, expected)
    assert [K.int_shape(w) for w in layer.weights] == [W.shape, (3,)]
    assert set(layer.get_config()) == CONV_KEYS | {'kernel_dim1', 'kernel_dim2', 'kernel_dim3',
                                                   'subsample', 'dim_ordering'}


def test_convolution_3d_names_and_fans():
    K.reset_uids()
    np.random.seed(0)
    layer = Convolution3D(4, 2, 3, 2, dim_ordering='tf')
    layer(Input(shape=(5, 5, 5, 3)))
    assert [w.name for w in layer.weights] == ['convolution3d_1_W', 'convolution3d_1_b']
    W = layer.get_weights()[0]
    assert W.shape == (2, 3, 2, 3, 4)
    # Keras 1's 'tf' rule for 5-D kernels: the receptive field is the first two axes only
    limit = np.sqrt(6. / (3 * 6 + 4 * 6))
    assert np.abs(W).max() <= limit and np.abs(W).max() > 0.9 * limit


# ----------------------------------------------------------------------------- errors

def test_input_too_small_for_the_kernel():
    K.reset_uids()
    with pytest.raises(ValueError, match=r'Convolution2D \(layer convolution2d_1\): the input is '
                                         r'too small for the kernel: spatial size \(3, 3\) '
                                         r'\(input shape \(None, 1, 3, 3\)\) is smaller than '
                                         r"the kernel \(5, 5\) with border_mode='valid'"):
        Convolution2D(2, 5, 5)(Input(shape=(1, 3, 3)))
    with pytest.raises(ValueError, match=r'convolution2d_2\): .*spatial size \(3, 9\)'):
        Convolution2D(2, 4, 4, dim_ordering='tf')(Input(shape=(3, 9, 1)))
    with pytest.raises(ValueError, match=r'convolution1d_1\): .*the kernel \(4,\)'):
        Convolution1D(2, 4)(Input(shape=(3, 2)))
    with pytest.raises(ValueError, match=r'atrousconvolution2d_1\): .*the kernel \(3, 3\) '
                                         r'\(dilated to \(5, 5\)\)'):
        AtrousConvolution2D(2, 3, 3, atrous_rate=(2, 2))(Input(shape=(1, 4, 9)))
    with pytest.raises(ValueError, match=r'atrousconvolution1d_1\): .*dilated to \(7,\)'):
        AtrousConvolution1D(2, 3, atrous_rate=3)(Input(shape=(6, 2)))
    with pytest.raises(ValueError, match=r'convolution3d_1\): .*spatial size \(2, 5, 5\)'):
        Convolution3D(1, 3, 3, 3)(Input(shape=(1, 2, 5, 5)))
    with pytest.raises(ValueError, match=r'separableconvolution2d_1\): .*too small'):
        SeparableConvolution2D(1, 3, 3)(Input(shape=(1, 2, 5)))
    # no weights were made for the failed layers; 'same' and 'full' always fit
    assert Convolution2D(2, 5, 5, border_mode='same')(Input(shape=(1, 3, 3)))._keras_shape == \
        (None, 2, 3, 3)
    assert Convolution2D(2, 5, 5, border_mode='full')(Input(shape=(1, 1, 1)))._keras_shape == \
        (None, 2, 5, 5)


def test_conv_bad_arguments():
    with pytest.raises(ValueError, match=r"Convolution2D: border_mode must be one of 'valid', "
                                         r"'same', 'full'; got 'half'"):
        Convolution2D(2, 3, 3, border_mode='half')
    with pytest.raises(ValueError, match=r"Convolution3D: dim_ordering must be 'th', 'tf' or "
                                         r"'default'; got 'ndhwc'"):
        Convolution3D(2, 3, 3, 3, dim_ordering='ndhwc')
    with pytest.raises(ValueError, match=r'Convolution2D: subsample must be a tuple of 2 '
                                         r'integers; got \(1, 1, 1\)'):
        Convolution2D(2, 3, 3, subsample=(1, 1, 1))
    with pytest.raises(ValueError, match=r'Convolution1D: nb_filter .*0'):
        Convolution1D(0, 3)
    with pytest.raises(TypeError, match=r'Convolution2D: nb_row'):
        Convolution2D(2, 'a', 3)
    with pytest.raises(ValueError, match=r'AtrousConvolution2D: atrous_rate\[0\]'):
        AtrousConvolution2D(2, 3, 3, atrous_rate=(0, 1))
    with pytest.raises(ValueError, match=r'Invalid activation function: nope'):
        Convolution2D(2, 3, 3, activation='nope')
    with pytest.raises(ValueError, match=r'Convolution2D \(layer \w+\): the channel axis of the '
                                         r'input must be known'):
        Convolution2D(2, 3, 3)(Input(shape=(None, 5, 5)))
    with pytest.raises(ValueError, match='expected ndim=4'):
        Convolution2D(2, 3, 3)(Input(shape=(5, 5)))
    with pytest.raises(ValueError, match='expecting 2 weights'):
        Convolution2D(2, 3, 3, weights=[rand(2, 1, 3, 3)])(Input(shape=(1, 5, 5)))
    with pytest.raises(TypeError, match='Keyword argument not understood'):
        Convolution2D(2, 3, 3, filters=3)


def test_aliases_and_registration():
    for alias, cls in [(Conv1D, Convolution1D), (Conv2D, Convolution2D), (Conv3D, Convolution3D),
                       (Deconv2D, Deconvolution2D), (AtrousConv1D, AtrousConvolution1D),
                       (AtrousConv2D, AtrousConvolution2D),
                       (SeparableConv2D, SeparableConvolution2D)]:
        assert alias is cls
    import symkeras.layers as layers
    for name in convolutional.__all__:
        assert getattr(layers, name) is getattr(convolutional, name)
    assert set(convolutional.__all__) >= {'Convolution2D', 'Cropping3D', 'ZeroPadding1D'}


def test_keras_1_2_2_configs_load():
    """Configs as Keras 1.2.2 wrote them (JSON lists; no dim_ordering for UpSampling2D)."""
    conv = layer_from_config({'class_name': 'Convolution2D', 'config': {
        'name': 'convolution2d_3', 'trainable': True, 'batch_input_shape': [None, 1, 28, 28],
        'input_dtype': 'float32', 'nb_filter': 32, 'nb_row': 3, 'nb_col': 3,
        'init': 'glorot_uniform', 'activation': 'relu', 'border_mode': 'valid',
        'subsample': [1, 1], 'dim_ordering': 'th', 'W_regularizer': None,
        'b_regularizer': None, 'activity_regularizer': None, 'W_constraint': None,
        'b_constraint': None, 'bias': True}})
    assert isinstance(conv, Convolution2D) and conv.subsample == (1, 1)
    assert Sequential([conv]).output_shape == (None, 32, 26, 26)
    up = layer_from_config({'class_name': 'UpSampling2D', 'config': {
        'name': 'upsampling2d_1', 'trainable': True, 'size': [2, 3]}})
    assert up.size == (2, 3) and up.dim_ordering == K.image_dim_ordering()
    crop = layer_from_config({'class_name': 'Cropping2D', 'config': {
        'name': 'c', 'trainable': True, 'cropping': [[1, 0], [0, 2]]}})
    assert crop.cropping == ((1, 0), (0, 2))


# ----------------------------------------------------------------------------- training

def test_small_conv_net_trains():
    np.random.seed(1)
    images = np.random.uniform(0, 0.2, size=(32, 1, 8, 8)).astype('float32')
    labels = np.arange(32) % 2
    for i, label in enumerate(labels):      # a bright square on the left or the right
        col = 1 if label == 0 else 5
        images[i, 0, 3:5, col:col + 2] += 1
    targets = np.eye(2)[labels]
    model = Sequential([Convolution2D(4, 3, 3, input_shape=(1, 8, 8)), Activation('relu'),
                        MaxPooling2D((2, 2)), Flatten(), Dense(2), Activation('softmax')])
    model.compile(optimizers.Adam(lr=0.01), 'categorical_crossentropy')
    first = model.test_on_batch(images, targets)
    for _ in range(20):
        model.train_on_batch(images, targets)
    last = model.test_on_batch(images, targets)
    assert last < 0.5 * first
    assert (model.predict(images).argmax(axis=1) == labels).mean() > 0.9


# ----------------------------------------------------------------------------- resampling

def test_upsampling_1d():
    data = rand(2, 3, 4)
    layer, _ = check_layer(UpSampling1D, dict(length=3), data, np.repeat(data, 3, axis=1))
    assert layer.get_config() == {'name': layer.name, 'trainable': True, 'length': 3}
    assert UpSampling1D().length == 2
    assert layer.get_output_shape_for((None, None, 4)) == (None, None, 4)


@pytest.mark.parametrize('ordering', ['th', 'tf'])
@pytest.mark.parametrize('cls,size', [(UpSampling2D, (2, 3)), (UpSampling3D, (1, 2, 3))])
def test_upsampling_nd(ordering, cls, size):
    data_th = rand(*((2, 3) + (2, 3, 2)[:len(size)]))
    expected = data_th
    for axis, factor in enumerate(size):
        expected = np.repeat(expected, factor, axis=2 + axis)
    data = data_th
    if ordering == 'tf':
        data, expected = to_tf(data_th), to_tf(expected)
    layer, _ = check_layer(cls, dict(size=size, dim_ordering=ordering), data, expected)
    assert layer.get_config()['size'] == size
    assert layer.get_config()['dim_ordering'] == ordering
    assert cls().size == (2,) * len(size)


def pad_th(x, pads):
    return np.pad(x, [(0, 0), (0, 0)] + list(pads))


@pytest.mark.parametrize('padding,pads', [(2, (2, 2)), ((1, 3), (1, 3)),
                                          ({'left_pad': 2}, (2, 0)),
                                          ({'right_pad': 1, 'left_pad': 0}, (0, 1))])
def test_zero_padding_1d(padding, pads):
    data = rand(2, 3, 4)
    expected = np.pad(data, [(0, 0), pads, (0, 0)])
    layer, _ = check_layer(ZeroPadding1D, dict(padding=padding), data, expected)
    assert layer.get_config()['padding'] == json.loads(json.dumps(padding)) or \
        layer.get_config()['padding'] == padding
    assert (layer.left_pad, layer.right_pad) == pads


@pytest.mark.parametrize('ordering', ['th', 'tf'])
@pytest.mark.parametrize('padding,pads', [((1, 2), ((1, 1), (2, 2))),
                                          ((1, 0, 2, 3), ((1, 0), (2, 3))),
                                          ({'top_pad': 2, 'right_pad': 1}, ((2, 0), (0, 1)))])
def test_zero_padding_2d(ordering, padding, pads):
    data_th = rand(2, 3, 3, 2)
    expected = pad_th(data_th, pads)
    data = data_th
    if ordering == 'tf':
        data, expected = to_tf(data_th), to_tf(expected)
    layer, _ = check_layer(ZeroPadding2D, dict(padding=padding, dim_ordering=ordering), data,
                           expected)
    assert set(layer.get_config()) == BASE_KEYS | {'padding', 'dim_ordering'}


@pytest.mark.parametrize('ordering', ['th', 'tf'])
def test_zero_padding_3d(ordering):
    data_th = rand(1, 2, 2, 3, 2)
    expected = pad_th(data_th, [(1, 1), (0, 0), (2, 2)])
    data = data_th
    if ordering == 'tf':
        data, expected = to_tf(data_th), to_tf(expected)
    layer, _ = check_layer(ZeroPadding3D, dict(padding=(1, 0, 2), dim_ordering=ordering), data,
                           expected)
    assert layer.get_config()['padding'] == (1, 0, 2)
    assert ZeroPadding3D().padding == (1, 1, 1) and ZeroPadding2D().padding == (1, 1)


def test_zero_padding_errors():
    with pytest.raises(ValueError, match=r"ZeroPadding1D: unexpected key\(s\) \['top_pad'\]"):
        ZeroPadding1D({'top_pad': 1})
    with pytest.raises(ValueError, match='ZeroPadding1D: padding should be an int'):
        ZeroPadding1D((1, 2, 3))
    with pytest.raises(TypeError, match='ZeroPadding2D: padding should be a tuple of 2 or 4'):
        ZeroPadding2D((1, 2, 3))
    with pytest.raises(ValueError, match=r"ZeroPadding2D: unexpected key\(s\) \['left'\]"):
        ZeroPadding2D({'left': 1})
    with pytest.raises(ValueError, match=r'ZeroPadding2D: padding .*-1'):
        ZeroPadding2D((1, -1))
    with pytest.raises(ValueError, match=r'ZeroPadding3D: padding must be a tuple of 3'):
        ZeroPadding3D((1, 1))


@pytest.mark.parametrize('cropping', [(1, 2), (0, 3), (2, 0)])
def test_cropping_1d(cropping):
    data = rand(2, 6, 3)
    layer, _ = check_layer(Cropping1D, dict(cropping=cropping), data,
                           data[:, cropping[0]:6 - cropping[1]])
    assert layer.get_config()['cropping'] == cropping
    assert Cropping1D().cropping == (1, 1)


@pytest.mark.parametrize('ordering', ['th', 'tf'])
@pytest.mark.parametrize('cls,cropping', [
    (Cropping2D, ((1, 0), (2, 1))), (Cropping2D, ((0, 0), (0, 3))),
    (Cropping3D, ((1, 1), (0, 2), (1, 0))), (Cropping3D, ((0, 0), (0, 0), (0, 0)))])
def test_cropping_nd(ordering, cls, cropping):
    data_th = rand(*((2, 3) + (4, 5, 4)[:len(cropping)]))
    index = (slice(None), slice(None)) + tuple(slice(a, n - b) for (a, b), n in
                                               zip(cropping, data_th.shape[2:]))
    expected = data_th[index]
    data = data_th
    if ordering == 'tf':
        data, expected = to_tf(data_th), to_tf(expected)
    layer, _ = check_layer(cls, dict(cropping=cropping, dim_ordering=ordering), data, expected)
    assert layer.get_config()['cropping'] == cropping
    assert set(layer.get_config()) == BASE_KEYS | {'cropping', 'dim_ordering'}


def test_cropping_defaults_and_errors():
    K.reset_uids()
    assert Cropping2D().cropping == ((0, 0), (0, 0))
    assert Cropping3D().cropping == ((1, 1), (1, 1), (1, 1))
    with pytest.raises(ValueError, match=r'Cropping2D: cropping must be a tuple of 2 \(start, '
                                         r'end\) pairs'):
        Cropping2D((1, 1))
    with pytest.raises(ValueError, match=r'Cropping1D: cropping must be a \(start, end\) pair; '
                                         r'got \(1, 1, 1\)'):
        Cropping1D((1, 1, 1))
    with pytest.raises(ValueError, match=r'Cropping3D: cropping\[1\].*-1'):
        Cropping3D(((1, 1), (-1, 1), (0, 0)))
    with pytest.raises(ValueError, match=r'Cropping2D \(layer cropping2d_\d+\): cropping '
                                         r'\(\(2, 2\), \(0, 0\)\) removes the whole input of '
                                         r'shape \(None, 1, 4, 5\)'):
        Cropping2D(((2, 2), (0, 0)))(Input(shape=(1, 4, 5)))
    x = Input(shape=(None, 3))
    assert Cropping1D((1, 1))(x)._keras_shape == (None, None, 3)
