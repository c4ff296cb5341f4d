import h5py
import numpy as np
import pytest

import symkeras.backend as K
from symkeras import regularizers
from symkeras.engine import Input, topology
from symkeras.layers import Activation, Dense, normalization
from symkeras.layers.core import Masking
from symkeras.layers.normalization import BatchNormalization

from layers.test_core import layer_test, rand, run, weight_names, weight_shapes

FIXTURE = '/work/shared/data/keras-files/k122_batchnorm'


def bn_ref(x, gamma, beta, mean, var, axis, eps=1e-3):
    shape = [1] * x.ndim
    shape[axis] = -1
    r = [v.reshape(shape) for v in (gamma, beta, mean, var)]
    return (x - r[2]) * r[0] / np.sqrt(r[3] + eps) + r[1]


def test_mode0_weights_config_and_test_phase_uses_running_stats():
    data = rand(6, 4)
    layer, out = layer_test(BatchNormalization, dict(name='bn'), data)
    assert weight_names(layer) == ['bn_gamma', 'bn_beta', 'bn_running_mean', 'bn_running_std']
    assert weight_shapes(layer) == [(4,)] * 4
    assert [w.name for w in layer.trainable_weights] == ['bn_gamma', 'bn_beta']
    assert [w.name for w in layer.non_trainable_weights] == ['bn_running_mean',
                                                             'bn_running_std']
    gamma, beta, mean, std = layer.get_weights()
    assert (gamma == 1).all() and not beta.any() and not mean.any() and (std == 1).all()
    np.testing.assert_allclose(out, data / np.sqrt(1 + 1e-3), rtol=1e-5)
    assert layer.get_config() == {'name': 'bn', 'trainable': True, 'epsilon': 1e-3, 'mode': 0,
                                  'axis': -1, 'gamma_regularizer': None,
                                  'beta_regularizer': None, 'momentum': 0.99}
    assert layer.uses_learning_phase and layer.supports_masking


@pytest.mark.parametrize('axis, shape', [(-1, (8, 3)), (1, (5, 3, 4, 2)), (2, (6, 2, 3))])
def test_mode0_training_batch_stats_and_running_average_updates(axis, shape):
    data = rand(*shape) * 3 + 1
    weights = [rand(shape[axis]), rand(shape[axis]), rand(shape[axis]),
               np.abs(rand(shape[axis])) + 0.5]
    layer = BatchNormalization(axis=axis, momentum=0.9, epsilon=0.01, weights=weights)
    x = Input(shape=shape[1:])
    y = layer(x)
    assert len(layer.updates) == 2 and layer.get_updates_for(x) == layer.updates
    red = tuple(i for i in range(len(shape)) if i != axis % len(shape))
    mean, var = data.mean(red), data.var(red)
    np.testing.assert_allclose(run(x, y, [data], phase=0)[0],
                               bn_ref(data, *weights, axis=axis, eps=0.01), rtol=1e-4,
                               atol=1e-5)
    train = K.function([x, K.learning_phase()], [y], updates=layer.updates)
    out = train([data, 1])[0]
    np.testing.assert_allclose(out, bn_ref(data, weights[0], weights[1], mean, var, axis,
                                           eps=0.01), rtol=1e-4, atol=1e-4)
    _, _, running_mean, running_std = layer.get_weights()
    np.testing.assert_allclose(running_mean, 0.9 * weights[2] + 0.1 * mean, rtol=1e-5,
                               atol=1e-6)
    # Keras 1.2.2 (Theano) keeps the moving average of the variance in running_std.
    np.testing.assert_allclose(running_std, 0.9 * weights[3] + 0.1 * var, rtol=1e-5)


def test_mode1_samplewise():
    data = rand(5, 6) * 2 + 3
    gamma, beta = rand(6), rand(6)
    m = data.mean(-1, keepdims=True)
    std = np.sqrt(data.var(-1, keepdims=True) + 1e-3)
    want = gamma * (data - m) / (std + 1e-3) + beta
    layer, _ = layer_test(BatchNormalization, dict(mode=1, weights=[gamma, beta, rand(6),
                                                                    rand(6)]),
                          data, expected=want, rtol=1e-4)
    assert not layer.uses_learning_phase and not layer.updates
    x = Input(shape=(6,))
    y = BatchNormalization(mode=1, weights=[gamma, beta, rand(6), rand(6)])(x)
    np.testing.assert_allclose(run(x, y, [data], phase=1)[0], want, rtol=1e-4, atol=1e-5)


def test_mode2_batch_stats_in_both_phases():
    data = rand(7, 3, 4)
    gamma, beta = rand(4), rand(4)
    want = bn_ref(data, gamma, beta, data.mean((0, 1)), data.var((0, 1)), -1)
    layer, _ = layer_test(BatchNormalization, dict(mode=2, weights=[gamma, beta, rand(4),
                                                                    rand(4)]),
                          data, expected=want, rtol=1e-4)
    assert not layer.uses_learning_phase and not layer.updates
    x = Input(shape=(3, 4))
    np.testing.assert_allclose(run(x, layer(x), [data], phase=1)[0], want, rtol=1e-4,
                               atol=1e-5)


def test_regularizers_initializers_mask_and_errors():
    x = Input(shape=(3, 4))
    layer = BatchNormalization(gamma_regularizer=regularizers.l2(0.5),
                               beta_regularizer='l1', gamma_init='uniform', beta_init='one')
    layer(Masking()(x))
    gamma, beta = layer.get_weights()[:2]
    assert (beta == 1).all() and (np.abs(gamma) <= 0.05).all() and gamma.std() > 0
    np.testing.assert_allclose(run(x, layer.losses[:2], [rand(2, 3, 4)]),
                               [0.5 * (gamma ** 2).sum(), 0.01 * np.abs(beta).sum()],
                               rtol=1e-5)
    assert layer.get_config()['gamma_regularizer'] == {'name': 'L1L2Regularizer', 'l1': 0.0,
                                                       'l2': 0.5}
    assert layer.output_mask is not None
    copy = BatchNormalization.from_config(layer.get_config())
    copy(Input(shape=(3, 4)))
    assert len(copy.losses) == 2
    with pytest.raises(ValueError, match='mode must be 0, 1 or 2; got 3'):
        BatchNormalization(mode=3)
    with pytest.raises(ValueError, match=r'axis 3 is out of range for input shape '
                                         r'\(None, 3, 4\)'):
        BatchNormalization(axis=3)(Input(shape=(3, 4)))
    with pytest.raises(ValueError, match=r'size of axis 1 must be known'):
        BatchNormalization(axis=1)(Input(shape=(None, 4)))
    with pytest.raises(ValueError, match='expecting 4 weights'):
        BatchNormalization(weights=[np.ones(4)])(Input(shape=(4,)))
    assert topology.get_layer_class('BatchNormalization') is BatchNormalization
    assert normalization.__all__ == ['BatchNormalization']


def test_keras_122_fixture_predictions():
    """Dense -> BatchNormalization (mode 0, trained one epoch in Keras 1.2.2) -> relu -> Dense,
    weights read from Keras' file with h5py; predictions (test phase, running statistics)
    match Keras' and the numpy reference that treats running_std as a variance."""
    io = np.load(FIXTURE + '_io.npz')
    with h5py.File(FIXTURE + '_weights.h5', 'r') as f:
        def stored(group):
            return [f[group][n.decode()][()] for n in f[group].attrs['weight_names']]
        dense1, bn, dense2 = (stored('dense_7'), stored('batchnormalization_1'),
                              stored('dense_8'))
    x = Input(shape=(5,))
    first, norm, last = Dense(6, input_dim=5), BatchNormalization(), Dense(2)
    y = last(Activation('relu')(norm(first(x))))
    first.set_weights(dense1)
    norm.set_weights(bn)
    last.set_weights(dense2)
    out = run(x, y, [io['in_0']], phase=0)[0]
    np.testing.assert_allclose(out, io['out_0'], rtol=1e-5, atol=1e-6)
    hidden = np.maximum(bn_ref(io['in_0'].dot(dense1[0]) + dense1[1], *bn, axis=-1), 0)
    np.testing.assert_allclose(hidden.dot(dense2[0]) + dense2[1], io['out_0'], rtol=1e-5,
                               atol=1e-6)
    # Reading running_std as a standard deviation would give visibly different predictions.
    as_std = bn[:3] + [bn[3] ** 2]
    hidden = np.maximum(bn_ref(io['in_0'].dot(dense1[0]) + dense1[1], *as_std, axis=-1), 0)
    assert np.abs(hidden.dot(dense2[0]) + dense2[1] - io['out_0']).max() > 1e-3
