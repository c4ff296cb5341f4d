"""Pooling layers against direct numpy references (Keras 1.2.2 on Theano: 'valid' keeps whole
windows; 'same' pads k - 2 (odd k > 2) or k - 1 on both sides, keeps the first ceil(n / stride)
windows; max and mean exclude the padding). Also the helpers the conv and local tests share."""
import json

import numpy as np
import pytest

import symkeras.backend as K
from symkeras.engine import Input
from symkeras.engine.topology import layer_from_config
from symkeras.layers import pooling
from symkeras.layers.pooling import (AveragePooling1D, AveragePooling2D, AveragePooling3D,
                                     GlobalAveragePooling1D, GlobalAveragePooling2D,
                                     GlobalAveragePooling3D, GlobalMaxPooling1D,
                                     GlobalMaxPooling2D, GlobalMaxPooling3D, MaxPooling1D,
                                     MaxPooling2D, MaxPooling3D)
from symkeras.utils.test_utils import layer_test

RNG = np.random.RandomState(0)


def rand(*shape):
    return RNG.normal(size=shape).astype('float32')


# ----------------------------------------------------------------------------- shared helpers

def predict(x, y, data):
    return K.function([x], [y])([data])[0]


def check_layer(cls, kwargs, data, expected=None, tol=1e-4):
    """cls(**kwargs) on an Input of data's shape (batch axis None): the output value against
    `expected`, its shape against get_output_shape_for and the Keras shape; the config (JSON)
    unchanged through from_config and layer_from_config, the copies giving the same output
    with the weights copied; then Keras 1.2.2's layer_test (Model and Sequential, JSON round
    trips). Returns (layer, output)."""
    layer = cls(**kwargs)
    x = Input(shape=data.shape[1:])
    y = layer(x)
    out = predict(x, y, data)
    want = layer.get_output_shape_for((None,) + data.shape[1:])
    assert y._keras_shape == want
    assert out.shape == (len(data),) + tuple(want[1:])
    if expected is not None:
        np.testing.assert_allclose(out, expected, rtol=tol, atol=tol)
    config = json.loads(json.dumps(layer.get_config()))
    copies = (cls.from_config(config),
              layer_from_config({'class_name': cls.__name__, 'config': config}))
    for copy in copies:
        assert type(copy) is cls
        assert json.loads(json.dumps(copy.get_config())) == config
        x2 = Input(shape=data.shape[1:])
        y2 = copy(x2)
        copy.set_weights(layer.get_weights())
        np.testing.assert_allclose(predict(x2, y2, data), out, rtol=1e-6, atol=1e-6)
    layer_test(cls, kwargs=kwargs, input_data=data)
    return layer, out


def to_th(x):
    """A channels-last array with the channels moved to axis 1."""
    return np.moveaxis(x, -1, 1)


def to_tf(x):
    return np.moveaxis(x, 1, -1)


def out_length(n, k, border_mode, stride, dilation=1):
    """Output length by the definition of the border modes (independent of np_utils)."""
    span = k + (k - 1) * (dilation - 1)
    if border_mode == 'same':
        return -(-n // stride)
    pad = {'valid': 0, 'full': span - 1}[border_mode]
    return (n + 2 * pad - span) // stride + 1


# ----------------------------------------------------------------------------- reference

def pool_ref(x, pool_size, strides, border_mode, mode):
    """Theano pooling of x (batch, channels, *spatial) with ignore_border=True. 'same' pads
    k - 2 (odd k > 2) or k - 1 on both sides (Keras 1.2.2) and keeps the first ceil(n / s)
    windows; max and mean run over the window's in-image part only."""
    spatial = x.shape[2:]
    pads = [(k - 2 if k > 2 and k % 2 else k - 1) if border_mode == 'same' else 0
            for k in pool_size]
    outs = [out_length(n, k, border_mode, s) for n, k, s in zip(spatial, pool_size, strides)]
    out = np.zeros(x.shape[:2] + tuple(outs), x.dtype)
    reduce = np.max if mode == 'max' else np.mean
    for o in np.ndindex(*outs):
        ranges = [np.arange(max(0, i * s - p), min(n, i * s - p + k))
                  for i, s, p, n, k in zip(o, strides, pads, spatial, pool_size)]
        window = x[np.ix_(np.arange(x.shape[0]), np.arange(x.shape[1]), *ranges)]
        out[(slice(None), slice(None)) + o] = reduce(window, axis=tuple(range(2, x.ndim)))
    return out


def test_pool_ref_on_a_hand_example():
    x = np.array([[[1., -2., 3., -4., 5.]]])
    np.testing.assert_array_equal(pool_ref(x, (2,), (2,), 'valid', 'max'), [[[1., 3.]]])
    # pool 2, 'same': Theano pads 1 on both sides, windows {0}, {1, 2}, {3, 4}
    np.testing.assert_array_equal(pool_ref(x, (2,), (2,), 'same', 'max'), [[[1., 3., 5.]]])
    np.testing.assert_array_equal(pool_ref(x, (2,), (2,), 'same', 'avg'),
                                  [[[1., 0.5, 0.5]]])
    np.testing.assert_array_equal(pool_ref(x, (3,), (1,), 'same', 'avg'),
                                  [[[-0.5, 2 / 3., -1., 4 / 3., 0.5]]])


# ----------------------------------------------------------------------------- windowed pooling

@pytest.mark.parametrize('cls,mode', [(MaxPooling1D, 'max'), (AveragePooling1D, 'avg')])
@pytest.mark.parametrize('pool_length,stride,border_mode', [
    (2, None, 'valid'), (3, 1, 'valid'), (3, 2, 'same'), (2, 1, 'same'), (1, None, 'valid')])
def test_pooling_1d_values(cls, mode, pool_length, stride, border_mode):
    data = rand(2, 7, 3)
    expected = to_tf(pool_ref(to_th(data), (pool_length,), (stride or pool_length,),
                              border_mode, mode))
    layer, _ = check_layer(cls, dict(pool_length=pool_length, stride=stride,
                                     border_mode=border_mode), data, expected)
    assert layer.get_config() == {'name': layer.name, 'trainable': True,
                                  'pool_length': pool_length,
                                  'stride': stride or pool_length, 'border_mode': border_mode}


@pytest.mark.parametrize('cls,mode', [(MaxPooling2D, 'max'), (AveragePooling2D, 'avg')])
@pytest.mark.parametrize('ordering', ['th', 'tf'])
@pytest.mark.parametrize('pool_size,strides,border_mode', [
    ((2, 2), None, 'valid'), ((3, 2), (1, 2), 'valid'), ((3, 3), (2, 2), 'same'),
    ((2, 3), (1, 1), 'same')])
def test_pooling_2d_values(cls, mode, ordering, pool_size, strides, border_mode):
    data_th = rand(2, 3, 5, 7)
    expected = pool_ref(data_th, pool_size, strides or pool_size, border_mode, mode)
    data, expected = ((data_th, expected) if ordering == 'th'
                      else (to_tf(data_th), to_tf(expected)))
    layer, _ = check_layer(cls, dict(pool_size=pool_size, strides=strides,
                                     border_mode=border_mode, dim_ordering=ordering),
                           data, expected)
    assert set(layer.get_config()) == {'name', 'trainable', 'pool_size', 'strides',
                                       'border_mode', 'dim_ordering'}
    assert layer.get_config()['strides'] == tuple(strides or pool_size)


@pytest.mark.parametrize('cls,mode', [(MaxPooling3D, 'max'), (AveragePooling3D, 'avg')])
@pytest.mark.parametrize('ordering', ['th', 'tf'])
def test_pooling_3d_values(cls, mode, ordering):
    data_th = rand(1, 2, 4, 5, 3)
    for pool_size, strides, border_mode in [((2, 2, 2), None, 'valid'),
                                            ((3, 2, 1), (1, 2, 1), 'same')]:
        expected = pool_ref(data_th, pool_size, strides or pool_size, border_mode, mode)
        data, want = ((data_th, expected) if ordering == 'th'
                      else (to_tf(data_th), to_tf(expected)))
        check_layer(cls, dict(pool_size=pool_size, strides=strides, border_mode=border_mode,
                              dim_ordering=ordering), data, want)


def test_pooling_defaults_and_default_ordering():
    assert K.image_dim_ordering() == 'th'
    layer = MaxPooling2D()
    assert (layer.pool_size, layer.strides, layer.border_mode, layer.dim_ordering) == \
        ((2, 2), (2, 2), 'valid', 'th')
    assert AveragePooling3D().pool_size == (2, 2, 2)
    assert MaxPooling1D().pool_length == 2 and MaxPooling1D().stride == 2
    K.set_image_dim_ordering('tf')
    try:
        assert AveragePooling2D().dim_ordering == 'tf'
        assert GlobalMaxPooling2D().dim_ordering == 'tf'
    finally:
        K.set_image_dim_ordering('th')


def test_pooling_unknown_spatial_sizes_and_batch_of_one():
    x = Input(shape=(3, None, None))
    layer = MaxPooling2D((2, 2))
    y = layer(x)
    assert y._keras_shape == (None, 3, None, None)
    data = rand(1, 3, 5, 4)
    np.testing.assert_allclose(predict(x, y, data), pool_ref(data, (2, 2), (2, 2), 'valid',
                                                             'max'), rtol=1e-6)


def test_pooling_gradient_flows_to_the_window_maxima():
    x = K.placeholder(shape=(1, 1, 2, 2))
    layer = MaxPooling2D((2, 2))
    loss = K.sum(layer(x))
    grad = K.function([x], K.gradients(loss, [x]))([np.array([[[[1., 4.], [3., 2.]]]],
                                                             'float32')])[0]
    np.testing.assert_array_equal(grad, [[[[0., 1.], [0., 0.]]]])


def test_pooling_bad_arguments():
    with pytest.raises(ValueError, match=r"MaxPooling2D: border_mode must be one of 'valid', "
                                         r"'same'; got 'full'"):
        MaxPooling2D(border_mode='full')
    with pytest.raises(ValueError, match="AveragePooling1D: border_mode"):
        AveragePooling1D(border_mode='half')
    with pytest.raises(ValueError, match=r"MaxPooling3D: dim_ordering must be 'th', 'tf' or "
                                         r"'default'; got 'nchw'"):
        MaxPooling3D(dim_ordering='nchw')
    with pytest.raises(ValueError, match=r'MaxPooling2D: pool_size must be a tuple of 2 '
                                         r'integers; got \(2, 2, 2\)'):
        MaxPooling2D(pool_size=(2, 2, 2))
    with pytest.raises(ValueError, match=r'AveragePooling2D.*strides\[1\].*0'):
        AveragePooling2D(strides=(1, 0))
    with pytest.raises(ValueError, match='MaxPooling1D.*pool_length'):
        MaxPooling1D(pool_length=0)
    with pytest.raises(ValueError, match='expected ndim=4'):
        MaxPooling2D()(Input(shape=(3, 4)))


def test_pooling_input_smaller_than_the_window():
    K.reset_uids()
    with pytest.raises(ValueError, match=r'MaxPooling2D \(layer maxpooling2d_1\): the input is '
                                         r'too small for the pool: spatial size \(1, 4\) '
                                         r'\(input shape \(None, 3, 1, 4\)\) is smaller than '
                                         r'the pool \(2, 2\)'):
        MaxPooling2D()(Input(shape=(3, 1, 4)))
    with pytest.raises(ValueError, match=r'averagepooling1d_1.*the pool \(3,\)'):
        AveragePooling1D(3)(Input(shape=(2, 5)))
    with pytest.raises(ValueError, match=r'maxpooling3d_1.*spatial size \(4, 4, 1\)'):
        MaxPooling3D(dim_ordering='tf')(Input(shape=(4, 4, 1, 2)))
    # 'same' pooling never runs out of input
    assert MaxPooling2D(border_mode='same')(Input(shape=(3, 1, 1)))._keras_shape == \
        (None, 3, 1, 1)


def test_pooling_config_loads_from_a_keras_1_2_2_config():
    config = {'class_name': 'MaxPooling2D',
              'config': {'name': 'maxpooling2d_7', 'trainable': True, 'pool_size': [2, 2],
                         'strides': [2, 2], 'border_mode': 'valid', 'dim_ordering': 'tf'}}
    layer = layer_from_config(config)
    assert isinstance(layer, MaxPooling2D) and layer.name == 'maxpooling2d_7'
    assert layer.pool_size == (2, 2) and layer.dim_ordering == 'tf'


def test_pooling_classes_are_importable_from_convolutional():
    from symkeras.layers import convolutional
    assert convolutional.MaxPooling2D is MaxPooling2D
    assert convolutional.AveragePooling1D is AveragePooling1D


# ----------------------------------------------------------------------------- global pooling

@pytest.mark.parametrize('cls,reduce', [(GlobalMaxPooling1D, np.max),
                                        (GlobalAveragePooling1D, np.mean)])
def test_global_pooling_1d(cls, reduce):
    data = rand(2, 5, 3)
    layer, _ = check_layer(cls, {}, data, reduce(data, axis=1))
    assert set(layer.get_config()) == {'name', 'trainable'}
    assert layer.get_output_shape_for((None, 5, 3)) == (None, 3)


@pytest.mark.parametrize('cls,reduce,rank', [
    (GlobalMaxPooling2D, np.max, 2), (GlobalAveragePooling2D, np.mean, 2),
    (GlobalMaxPooling3D, np.max, 3), (GlobalAveragePooling3D, np.mean, 3)])
@pytest.mark.parametrize('ordering', ['th', 'tf'])
def test_global_pooling_nd(cls, reduce, rank, ordering):
    data = rand(*((2, 3) + (4, 5, 2)[:rank]))
    expected = reduce(data, axis=tuple(range(2, 2 + rank)))
    if ordering == 'tf':
        data = to_tf(data)
    layer, _ = check_layer(cls, dict(dim_ordering=ordering), data, expected)
    assert layer.get_config()['dim_ordering'] == ordering
    assert layer.get_output_shape_for(data.shape) == (2, 3)


def test_global_pooling_errors():
    with pytest.raises(ValueError, match="GlobalAveragePooling2D: dim_ordering must be"):
        GlobalAveragePooling2D(dim_ordering='xy')
    with pytest.raises(ValueError, match='expected ndim=3'):
        GlobalMaxPooling1D()(Input(shape=(3, 4, 5)))


# ----------------------------------------------------------------------------- shared helpers

def test_window_output_lengths_and_int_tuple():
    layer = MaxPooling1D(name='p')
    assert pooling.window_output_lengths(layer, (None, 7, None), (1, 2), (3, 2), 'valid',
                                         (2, 1), (2, 1)) == (2, None)
    with pytest.raises(ValueError, match=r'\(dilated to \(5,\)\)'):
        pooling.window_output_lengths(layer, (None, 4), (1,), (3,), 'valid', (1,), (2,))
    assert pooling.int_tuple('X', 'size', [2, np.int64(3)], 2) == (2, 3)
    assert all(type(v) is int for v in pooling.int_tuple('X', 'size', [2, np.int64(3)], 2))
    with pytest.raises(TypeError, match="X: size\\[0\\]"):
        pooling.int_tuple('X', 'size', ['a', 1], 2)
    assert pooling.spatial_axes('th', 3) == (2, 3, 4)
    assert pooling.spatial_axes('tf', 2) == (1, 2)
