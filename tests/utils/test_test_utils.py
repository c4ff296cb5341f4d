"""keras.utils.test_utils: synthetic data, the single-layer test routine, keras_test."""
import numpy as np
import pytest

import symkeras.backend as K
from symkeras.layers import (Activation, BatchNormalization, Dense, Dropout, Layer, LeakyReLU,
                             Permute, Reshape)
from symkeras.utils.test_utils import get_test_data, keras_test, layer_test


# -- get_test_data ----------------------------------------------------------------------------

def test_get_test_data_classification_defaults():
    (X_train, y_train), (X_test, y_test) = get_test_data()
    assert X_train.shape == (1000, 10) and X_test.shape == (500, 10)
    assert y_train.shape == (1000,) and y_test.shape == (500,)
    assert set(np.unique(y_train)) == {0, 1}


def test_get_test_data_classes_are_gaussians_around_their_label():
    (X, y), (X_test, y_test) = get_test_data(nb_train=600, nb_test=30, input_shape=(4, 5),
                                             output_shape=(7,), nb_class=3)
    assert X.shape == (600, 4, 5) and X_test.shape == (30, 4, 5) and y.shape == (600,)
    assert set(np.unique(y)) == {0, 1, 2} and np.issubdtype(y.dtype, np.integer)
    for c in range(3):
        samples = X[y == c]
        assert abs(samples.mean() - c) < 0.05
        assert abs(samples.std() - 0.7) < 0.05


def test_get_test_data_regression():
    (X, y), (X_test, y_test) = get_test_data(nb_train=1200, nb_test=300, input_shape=(10,),
                                             output_shape=(2, 3), classification=False)
    assert X.shape == (1200, 10) and y.shape == (1200, 2, 3)
    assert X_test.shape == (300, 10) and y_test.shape == (300, 2, 3)
    assert y.dtype == np.float64 and len(np.unique(y)) == y.size
    # X and y share a per-sample centre in [0, 1)
    corr = np.corrcoef(X.mean(axis=1), y.reshape(1200, -1).mean(axis=1))[0, 1]
    assert corr > 0.3
    assert 0.3 < X.mean() < 0.7


def test_get_test_data_is_driven_by_numpy_seed():
    np.random.seed(3)
    first = get_test_data(nb_train=5, nb_test=2)
    np.random.seed(3)
    second = get_test_data(nb_train=5, nb_test=2)
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a[0], b[0])
        np.testing.assert_array_equal(a[1], b[1])


# -- layer_test -------------------------------------------------------------------------------

@pytest.mark.parametrize('layer_cls, kwargs, input_shape, output_shape', [
    (Dense, {'output_dim': 3}, (2, 4), (2, 3)),
    (Dense, {'output_dim': 3, 'activation': 'tanh', 'bias': False}, (3, 2, 4), (3, 2, 3)),
    (Activation, {'activation': 'sigmoid'}, (3, 5), (3, 5)),
    (Dropout, {'p': 0.5}, (3, 2, 2), (3, 2, 2)),
    (Reshape, {'target_shape': (2, 6)}, (3, 3, 4), (3, 2, 6)),
    (Reshape, {'target_shape': (-1, 2)}, (3, 3, 4), (3, 6, 2)),
    (Permute, {'dims': (2, 1)}, (3, 4, 2), (3, 2, 4)),
    (LeakyReLU, {'alpha': 0.2}, (3, 4), (3, 4)),
    (BatchNormalization, {}, (3, 4, 2), (3, 4, 2)),
    (BatchNormalization, {'mode': 1, 'axis': -1}, (3, 4), (3, 4)),
    (BatchNormalization, {'mode': 2, 'momentum': 0.9}, (3, 4), (3, 4)),
])
def test_layer_test_on_layers(layer_cls, kwargs, input_shape, output_shape):
    out = layer_test(layer_cls, kwargs=kwargs, input_shape=input_shape)
    assert out.shape == output_shape and out.dtype == np.float32


def test_layer_test_expected_output_and_input_data():
    data = np.array([[-1., 2.], [3., -4.]], dtype='float32')
    out = layer_test(LeakyReLU, kwargs={'alpha': 0.5}, input_data=data,
                     expected_output=[[-0.5, 2.], [3., -2.]])
    np.testing.assert_allclose(out, [[-0.5, 2.], [3., -2.]])
    with pytest.raises(AssertionError, match='Not equal to tolerance'):
        layer_test(LeakyReLU, kwargs={'alpha': 0.5}, input_data=data,
                   expected_output=[[-1., 2.], [3., -4.]])


def test_layer_test_none_dims_and_fixed_batch_size():
    out = layer_test(Dense, kwargs={'output_dim': 2}, input_shape=(None, 4))
    assert 1 <= out.shape[0] <= 3 and out.shape[1] == 2
    out = layer_test(Activation, kwargs={'activation': 'relu'}, input_shape=(5, 3),
                     fixed_batch_size=True)
    assert out.shape == (5, 3) and out.min() >= 0


def test_layer_test_dtypes():
    out = layer_test(Activation, kwargs={'activation': 'linear'}, input_shape=(2, 3),
                     input_dtype='float64', expected_output_dtype='float64')
    assert out.dtype == np.float64
    with pytest.raises(AssertionError, match=r'layer_test\(Activation\): output dtype '
                                             r'float32, expected int32'):
        layer_test(Activation, kwargs={'activation': 'linear'}, input_shape=(2, 3),
                   expected_output_dtype='int32')


class WrongShape(Layer):
    """Claims one more output unit than it produces."""

    def get_output_shape_for(self, input_shape):
        return input_shape[:-1] + (input_shape[-1] + 1,)

    def call(self, x, mask=None):
        return 2 * x


def test_layer_test_catches_a_wrong_output_shape():
    with pytest.raises(AssertionError, match=r'layer_test\(WrongShape\): output shape '
                                             r'\(2, 3\) does not match get_output_shape_for: '
                                             r'\(2, 4\)'):
        layer_test(WrongShape, input_shape=(2, 3), expected_output_dtype='float32')


def test_layer_test_needs_shape_or_data():
    with pytest.raises(ValueError, match='give input_shape or input_data; got neither'):
        layer_test(Dense, kwargs={'output_dim': 2})


def test_layer_test_leaves_kwargs_alone():
    kwargs = {'output_dim': 2}
    layer_test(Dense, kwargs=kwargs, input_shape=(2, 3))
    assert kwargs == {'output_dim': 2}


# -- keras_test -------------------------------------------------------------------------------

def test_keras_test_runs_the_test_and_resets_uids():
    calls = []

    @keras_test
    def some_test(a, b=1):
        """doc"""
        calls.append((a, b))
        return Dense(2).name

    assert some_test.__name__ == 'some_test' and some_test.__doc__ == 'doc'
    Dense(2)
    first = some_test(1, b=2)
    assert calls == [(1, 2)]
    assert Dense(2).name == 'dense_1'      # the counters were reset after the test
    K.reset_uids()
    assert some_test(3) == 'dense_1' and calls == [(1, 2), (3, 1)]
    assert first != 'dense_1'


def test_keras_test_resets_uids_when_the_test_fails():
    @keras_test
    def failing():
        Dense(2)
        raise AssertionError('boom')

    with pytest.raises(AssertionError, match='boom'):
        failing()
    assert Dense(2).name == 'dense_1'
