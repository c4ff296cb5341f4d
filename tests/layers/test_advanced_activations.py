import numpy as np
import pytest

import symkeras.backend as K
from symkeras.engine import Input, topology
from symkeras.layers import advanced_activations
from symkeras.layers.advanced_activations import (ELU, LeakyReLU, ParametricSoftplus, PReLU,
                                                  SReLU, ThresholdedReLU)
from symkeras.layers.core import Masking

from layers.test_core import layer_test, rand, run, weight_names, weight_shapes


def passes_mask(cls, **kwargs):
    x = Input(shape=(3, 4))
    layer = cls(**kwargs)
    layer(Masking()(x))
    data = rand(2, 3, 4)
    data[1, 2] = 0
    return layer.supports_masking and (run(x, layer.output_mask, [data])[0]
                                       == (data != 0).any(-1)).all()


@pytest.mark.parametrize('cls', [LeakyReLU, PReLU, ELU, ParametricSoftplus, ThresholdedReLU,
                                 SReLU])
def test_mask_passes_through_and_registered(cls):
    assert passes_mask(cls)
    assert topology.get_layer_class(cls.__name__) is cls
    assert cls.__name__ in advanced_activations.__all__


def test_leaky_relu():
    data = rand(3, 4)
    layer, _ = layer_test(LeakyReLU, {}, data, expected=np.where(data > 0, data, 0.3 * data))
    assert layer.get_config()['alpha'] == 0.3
    layer_test(LeakyReLU, dict(alpha=0.1), data, expected=np.where(data > 0, data, 0.1 * data))


def test_prelu_values_weights_and_shared_axes():
    data = rand(2, 3, 4)
    layer, out = layer_test(PReLU, dict(name='pr'), data, expected=np.maximum(data, 0))
    assert weight_names(layer) == ['pr_alphas'] and weight_shapes(layer) == [(3, 4)]
    assert layer.get_config()['init'] == 'zero'
    alphas = rand(3, 1)
    layer, _ = layer_test(PReLU, dict(weights=[alphas], shared_axes=[2], init='one'), data,
                          expected=np.where(data > 0, data, alphas * data))
    assert weight_shapes(layer) == [(3, 1)] and layer.get_config()['shared_axes'] == [2]
    layer, _ = layer_test(PReLU, dict(init='one', shared_axes=1), data, expected=data)
    assert weight_shapes(layer) == [(1, 4)]
    with pytest.raises(ValueError, match=r'PReLU p: shared_axes entries must be in 1..2 .* '
                                         r'got 3 for input shape \(None, 3, 4\)'):
        PReLU(shared_axes=3, name='p')(Input(shape=(3, 4)))


def test_elu():
    data = rand(3, 4)
    layer, _ = layer_test(ELU, {}, data, expected=np.where(data > 0, data, np.exp(data) - 1))
    assert layer.get_config()['alpha'] == 1.0
    layer_test(ELU, dict(alpha=0.5), data,
               expected=np.where(data > 0, data, 0.5 * (np.exp(data) - 1)))


def test_parametric_softplus():
    data = rand(2, 3, 4)
    layer, _ = layer_test(ParametricSoftplus, dict(name='ps'), data,
                          expected=0.2 * np.log1p(np.exp(5 * data)), rtol=1e-4)
    assert weight_names(layer) == ['ps_alphas', 'ps_betas']
    assert weight_shapes(layer) == [(3, 4), (3, 4)]
    np.testing.assert_allclose(layer.get_weights()[0], 0.2, rtol=1e-6)
    np.testing.assert_allclose(layer.get_weights()[1], 5.0, rtol=1e-6)
    assert layer.get_config()['alpha_init'] == 0.2 and layer.get_config()['beta_init'] == 5.0
    layer, _ = layer_test(ParametricSoftplus, dict(alpha_init=1., beta_init=2.,
                                                   shared_axes=[1, 2]), data,
                          expected=np.log1p(np.exp(2 * data)), rtol=1e-4)
    assert weight_shapes(layer) == [(1, 1), (1, 1)]
    a, b = rand(3, 4), rand(3, 4)
    layer_test(ParametricSoftplus, dict(weights=[a, b]), data,
               expected=a * np.log1p(np.exp(b * data)), rtol=1e-4)


def test_thresholded_relu():
    data = rand(3, 4)
    layer, _ = layer_test(ThresholdedReLU, {}, data, expected=np.where(data > 1, data, 0))
    assert layer.get_config()['theta'] == 1.0
    layer, _ = layer_test(ThresholdedReLU, dict(theta=0.1), data,
                          expected=np.where(data > 0.1, data, 0))
    assert layer.get_config()['theta'] == 0.1


def srelu_ref(x, t_left, a_left, t_right, a_right):
    """Keras 1.2.2's formula (the piecewise form when a_left >= 0)."""
    t_right = t_left + np.abs(t_right)
    y = x - t_left
    return (t_left + np.minimum(np.where(y > 0, y, a_left * y), t_right - t_left)
            + np.maximum(x - t_right, 0) * a_right)


def test_srelu_piecewise_form():
    x = np.linspace(-3, 3, 13, dtype='float32')[None, :]
    layer = SReLU()
    inp = Input(shape=(13,))
    y = layer(inp)
    layer.set_weights([np.full((13,), v, 'float32') for v in (-1., 0.5, 2., 2.)])
    want = np.where(x >= 1, 1 + 2 * (x - 1), np.where(x <= -1, -1 + 0.5 * (x + 1), x))
    np.testing.assert_allclose(run(inp, y, [x])[0], want, rtol=1e-6)


def test_srelu_values_weights_and_config():
    data = 2 * rand(4, 3, 5)
    layer, out = layer_test(SReLU, dict(name='sr'), data)
    np.testing.assert_allclose(out, srelu_ref(data, *layer.get_weights()), rtol=1e-5, atol=1e-6)
    assert weight_names(layer) == ['sr_t_left', 'sr_a_left', 'sr_t_right', 'sr_a_right']
    assert weight_shapes(layer) == [(3, 5)] * 4
    t_left, a_left, t_right, a_right = layer.get_weights()
    assert not t_left.any() and (a_right == 1).all()
    assert layer.get_config()['t_left_init'] == 'zero'
    assert layer.get_config()['a_left_init'] == 'glorot_uniform'
    params = [rand(1, 5) for _ in range(4)]
    x = Input(shape=(3, 5))
    layer = SReLU(t_left_init=K.zeros, a_left_init='one', t_right_init='uniform',
                  a_right_init='zero', shared_axes=[1])
    y = layer(x)
    assert weight_shapes(layer) == [(1, 5)] * 4
    layer.set_weights(params)
    np.testing.assert_allclose(run(x, y, [data])[0], srelu_ref(data, *params), rtol=1e-5,
                               atol=1e-6)
    config = layer.get_config()
    assert config['t_left_init'] == 'zeros' and config['shared_axes'] == [1]
    with pytest.raises(ValueError, match='Invalid initialization: nope'):
        SReLU(a_right_init='nope')
