import numpy as np
import pytest

from symkeras.engine import Input, topology
from symkeras.layers import noise
from symkeras.layers.core import Masking
from symkeras.layers.noise import GaussianDropout, GaussianNoise

from layers.test_core import layer_test, rand, run


def test_gaussian_noise_identity_at_test_and_noisy_in_training():
    data = rand(50, 40)
    layer, _ = layer_test(GaussianNoise, dict(sigma=0.5), data, expected=data)
    assert layer.get_config()['sigma'] == 0.5
    assert layer.uses_learning_phase and layer.supports_masking
    x = Input(shape=(40,))
    trained = run(x, GaussianNoise(0.5)(x), [data], phase=1)[0]
    diff = trained - data
    assert abs(diff.mean()) < 0.05 and abs(diff.std() - 0.5) < 0.05
    with pytest.raises(ValueError, match='sigma must be >= 0; got -1'):
        GaussianNoise(-1)


def test_gaussian_dropout_identity_at_test_and_multiplicative_in_training():
    data = np.abs(rand(50, 40)) + 1
    layer, _ = layer_test(GaussianDropout, dict(p=0.2), data, expected=data)
    assert layer.get_config()['p'] == 0.2
    assert layer.uses_learning_phase and layer.supports_masking
    x = Input(shape=(40,))
    ratio = run(x, GaussianDropout(0.2)(x), [data], phase=1)[0] / data
    assert abs(ratio.mean() - 1) < 0.05 and abs(ratio.std() - np.sqrt(0.2 / 0.8)) < 0.05
    zero = GaussianDropout(0.)
    assert not zero.uses_learning_phase
    np.testing.assert_array_equal(run(x, zero(x), [data], phase=1)[0], data)
    with pytest.raises(ValueError, match=r'p must be in \[0, 1\); got 1.5'):
        GaussianDropout(1.5)


@pytest.mark.parametrize('cls, arg', [(GaussianNoise, 0.1), (GaussianDropout, 0.1)])
def test_noise_masks_and_registry(cls, arg):
    data = rand(2, 3, 4)
    data[0, 1] = 0
    x = Input(shape=(3, 4))
    layer = cls(arg)
    layer(Masking()(x))
    np.testing.assert_array_equal(run(x, layer.output_mask, [data], phase=1)[0],
                                  (data != 0).any(-1))
    assert topology.get_layer_class(cls.__name__) is cls and cls.__name__ in noise.__all__
