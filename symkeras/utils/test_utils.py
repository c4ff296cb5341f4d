"""Keras 1.2.2's helpers for unit tests: synthetic data, the generic single-layer test
routine, and the test decorator."""
import functools
import json

import numpy as np
from numpy.testing import assert_allclose

from .. import backend as K
from ..engine.topology import Input
from ..engine.training import Model
from ..models import Sequential, model_from_json
from .layer_utils import layer_from_config


def get_test_data(nb_train=1000, nb_test=500, input_shape=(10,), output_shape=(2,),
                  classification=True, nb_class=2):
    """((X_train, y_train), (X_test, y_test)) drawn with np.random. classification: y holds
    integer labels in [0, nb_class) (shape (n,), output_shape is ignored) and each X sample
    is gaussian around its label (scale 0.7). Otherwise X and y (shape (n,) + output_shape)
    are both gaussian (scale 0.7) around a per-sample uniform [0, 1) value."""
    nb_sample = nb_train + nb_test
    input_shape, output_shape = tuple(input_shape), tuple(output_shape)
    if classification:
        y = np.random.randint(0, nb_class, size=(nb_sample,))
        loc = y
    else:
        loc = np.random.random((nb_sample,))
        y = np.zeros((nb_sample,) + output_shape)
    X = np.zeros((nb_sample,) + input_shape)
    for i in range(nb_sample):
        X[i] = np.random.normal(loc=loc[i], scale=0.7, size=input_shape)
        if not classification:
            y[i] = np.random.normal(loc=loc[i], scale=0.7, size=output_shape)
    return (X[:nb_train], y[:nb_train]), (X[nb_train:], y[nb_train:])


def _check_output(layer_cls, actual, expected_shape, expected_output):
    for expected_dim, actual_dim in zip(expected_shape, actual.shape):
        if expected_dim is not None and expected_dim != actual_dim:
            raise AssertionError('layer_test(%s): output shape %s does not match '
                                 'get_output_shape_for: %s' % (layer_cls.__name__,
                                                               actual.shape, expected_shape))
    if expected_output is not None:
        assert_allclose(actual, expected_output, rtol=1e-3)


def _random_input(input_shape, input_dtype):
    if input_shape is None:
        raise ValueError('layer_test: give input_shape or input_data; got neither')
    shape = [np.random.randint(1, 4) if d is None else d for d in input_shape]
    return (10 * np.random.random(shape)).astype(input_dtype)


def layer_test(layer_cls, kwargs={}, input_shape=None, input_dtype=None, input_data=None,
               expected_output=None, expected_output_dtype=None, fixed_batch_size=False):
    """Keras 1.2.2's test of a single-input, single-output layer: instantiate layer_cls(**kwargs),
    get/set its weights, call it on an Input (batch axis fixed if fixed_batch_size) in a
    Model compiled with ('rmsprop', 'mse'), check the output dtype, the predicted output's
    shape against get_output_shape_for and its value against expected_output (rtol 1e-3);
    then rebuild the model from get_config and from JSON; then rebuild the layer from its
    config with batch_input_shape (and input_dtype) as the first layer of a Sequential,
    check it the same way, and reload that Sequential from JSON. input_data defaults to
    10 * uniform [0, 1) values of input_shape (None dims drawn in 1..3). Returns the output."""
    input_dtype = input_dtype or K.floatx()
    if input_data is None:
        input_data = _random_input(input_shape, input_dtype)
    elif input_shape is None:
        input_shape = input_data.shape
    input_shape = tuple(input_shape)
    expected_output_dtype = expected_output_dtype or input_dtype

    layer = layer_cls(**kwargs)
    layer.set_weights(layer.get_weights())
    if fixed_batch_size:
        x = Input(batch_shape=input_shape, dtype=input_dtype)
    else:
        x = Input(shape=input_shape[1:], dtype=input_dtype)
    y = layer(x)
    if K.dtype(y) != expected_output_dtype:
        raise AssertionError('layer_test(%s): output dtype %s, expected %s'
                             % (layer_cls.__name__, K.dtype(y), expected_output_dtype))
    model = Model(input=x, output=y)
    model.compile('rmsprop', 'mse')
    expected_output_shape = layer.get_output_shape_for(input_shape)
    actual_output = model.predict(input_data)
    _check_output(layer_cls, actual_output, expected_output_shape, expected_output)

    # serialization of the model
    model = Model.from_config(model.get_config())
    model.compile('rmsprop', 'mse')
    _check_output(layer_cls, model.predict(input_data), expected_output_shape, None)
    model = layer_from_config(json.loads(model.to_json()))
    model.compile('rmsprop', 'mse')

    # the layer rebuilt from its config as the first layer of a Sequential
    layer_config = layer.get_config()
    layer_config['batch_input_shape'] = input_shape
    layer_config['input_dtype'] = input_dtype
    layer = layer.__class__.from_config(layer_config)
    model = Sequential()
    model.add(layer)
    model.compile('rmsprop', 'mse')
    actual_output = model.predict(input_data)
    _check_output(layer_cls, actual_output, expected_output_shape, expected_output)
    model = model_from_json(model.to_json())
    model.compile('rmsprop', 'mse')
    _check_output(layer_cls, model.predict(input_data), expected_output_shape, None)
    return actual_output


def keras_test(func):
    """Decorator for tests: runs the test, then resets the backend's name counters (layer
    auto names such as dense_1) so that every test starts from the same state."""
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        finally:
            K.reset_uids()
    return wrapper
