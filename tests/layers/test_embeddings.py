"""Embedding (Keras 1.2.2): row lookup by id, its scatter-add gradient, mask_zero, word dropout,
shapes, configs and errors, through the public API."""
import json

import numpy as np
import pytest

import symkeras.backend as K
from symkeras import constraints, regularizers
from symkeras.engine import Input, topology
from symkeras.layers import Embedding
from symkeras.models import Model, Sequential, model_from_json
from symkeras.utils.test_utils import layer_test

RNG = np.random.RandomState(7)


def ids(*shape, high=10):
    return RNG.randint(0, high, size=shape).astype('int32')


def run(inputs, outputs, values, phase=0):
    inputs, outputs = topology.to_list(inputs), topology.to_list(outputs)
    return K.function(inputs + [K.learning_phase()], outputs)(list(values) + [phase])


def test_rows_of_W_for_each_id_with_shape_and_no_mask():
    layer = Embedding(10, 3, input_length=5)
    x = Input(shape=(5,), dtype='int32')
    y = layer(x)
    assert y._keras_shape == (None, 5, 3)
    assert layer.get_output_shape_for((None, 5)) == (None, 5, 3)
    assert layer.compute_mask(x) is None
    data = ids(4, 5)
    W = layer.get_weights()[0]
    assert W.shape == (10, 3) and np.abs(W).max() <= 0.05      # init 'uniform', scale 0.05
    np.testing.assert_array_equal(run(x, y, [data])[0], W[data])


def test_float_ids_are_cast_to_int32_and_variable_length_input():
    layer = Embedding(6, 2)
    x = Input(shape=(None,), dtype='float32')
    y = layer(x)
    assert y._keras_shape == (None, None, 2)
    data = np.array([[1., 5., 0.], [2., 3., 4.]], dtype='float32')
    W = layer.get_weights()[0]
    np.testing.assert_array_equal(run(x, y, [data])[0], W[data.astype(int)])


def test_mask_zero_marks_the_nonzero_ids():
    layer = Embedding(5, 2, mask_zero=True)
    x = Input(shape=(4,), dtype='int32')
    layer(x)
    mask = layer.compute_mask(x)
    data = np.array([[0, 0, 3, 1], [2, 0, 4, 0]], dtype='int32')
    np.testing.assert_array_equal(run(x, mask, [data])[0].astype(bool), data != 0)
    assert layer.get_output_mask_at(0) is not None


def test_gradient_is_a_scatter_add_into_W():
    layer = Embedding(7, 3, weights=[RNG.normal(size=(7, 3))])
    x = Input(shape=(4,), dtype='int32')
    y = layer(x)
    coef = RNG.normal(size=(2, 4, 3)).astype('float32')
    loss = K.sum(y * coef)
    grad = K.function([x], K.gradients(loss, [layer.W]))
    data = np.array([[1, 1, 6, 0], [6, 2, 1, 1]], dtype='int32')
    expected = np.zeros((7, 3))
    np.add.at(expected, data, coef)
    np.testing.assert_allclose(grad([data])[0], expected, rtol=1e-6, atol=1e-6)


def test_dropout_drops_whole_ids_in_training_only():
    layer = Embedding(50, 4, dropout=0.5, weights=[np.ones((50, 4))])
    assert layer.uses_learning_phase
    x = Input(shape=(40,), dtype='int32')
    y = layer(x)
    data = np.tile(np.arange(40, dtype='int32') % 20, (3, 1))       # each id 6 times
    np.testing.assert_array_equal(run(x, y, [data], phase=0)[0], np.ones((3, 40, 4)))
    out = run(x, y, [data], phase=1)[0]
    assert set(np.unique(out)) <= {0., 2.}                          # kept rows scaled by 1/0.5
    for word in range(20):
        rows = out[data == word]
        assert (rows == rows[0, 0]).all(), 'id %d is dropped in some places only' % word
    dropped = [out[data == w][0, 0] == 0 for w in range(20)]
    assert 0 < sum(dropped) < 20


def test_regularizer_constraint_and_initial_weights():
    W0 = RNG.normal(size=(4, 2)).astype('float32')
    layer = Embedding(4, 2, W_regularizer=regularizers.l2(0.1), W_constraint=constraints.maxnorm(2),
                      weights=[W0])
    layer(Input(shape=(3,), dtype='int32'))
    np.testing.assert_array_equal(layer.get_weights()[0], W0)
    assert len(layer.losses) == 1
    np.testing.assert_allclose(K.eval(layer.losses[0]), 0.1 * np.sum(W0 ** 2), rtol=1e-5)
    assert layer.constraints[layer.W].__class__.__name__ == 'MaxNorm'


def test_config_round_trip_and_keras_keys():
    layer = Embedding(9, 3, init='normal', input_length=6, mask_zero=True, dropout=0.25,
                      W_regularizer=regularizers.l1(0.01), name='emb')
    config = json.loads(json.dumps(layer.get_config()))
    assert config['batch_input_shape'] == [None, 6] and config['input_dtype'] == 'int32'
    for key, value in (('input_dim', 9), ('output_dim', 3), ('init', 'normal'),
                       ('input_length', 6), ('mask_zero', True), ('dropout', 0.25),
                       ('activity_regularizer', None), ('W_constraint', None)):
        assert config[key] == value
    assert config['W_regularizer']['l1'] == pytest.approx(0.01)
    copy = topology.layer_from_config({'class_name': 'Embedding', 'config': config})
    assert json.loads(json.dumps(copy.get_config())) == config


def test_layer_test_and_model_json_round_trip():
    data = ids(3, 4)
    out = layer_test(Embedding, kwargs={'input_dim': 10, 'output_dim': 2, 'input_length': 4},
                     input_data=data, input_dtype='int32', expected_output_dtype='float32')
    assert out.shape == (3, 4, 2)
    model = Sequential([Embedding(10, 2, input_length=4)])
    copy = model_from_json(model.to_json())
    copy.set_weights(model.get_weights())
    np.testing.assert_array_equal(copy.predict(data), model.predict(data))


def test_in_a_functional_model_with_batch_shape():
    x = Input(batch_shape=(2, 3), dtype='int32')
    y = Embedding(5, 2)(x)
    model = Model(input=x, output=y)
    assert model.output_shape == (2, 3, 2)
    assert model.count_params() == 10


@pytest.mark.parametrize('kwargs, match', [
    ({'input_dim': 0, 'output_dim': 2}, 'input_dim must be a whole number >= 1; got 0'),
    ({'input_dim': 3, 'output_dim': 2.5}, 'output_dim must be a whole number >= 1; got 2.5'),
    ({'input_dim': 3, 'output_dim': 2, 'dropout': 1.0}, r'dropout must be in \[0, 1\)'),
    ({'input_dim': 3, 'output_dim': 2, 'init': 'nonsense'}, 'nonsense'),
])
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        Embedding(**kwargs)


def test_ids_need_a_time_axis():
    with pytest.raises(ValueError, match=r'expected ids of shape \(batch, input_length'):
        Embedding(3, 2)(Input(batch_shape=(4,), dtype='int32'))


def test_an_id_out_of_range_is_an_error_at_run_time():
    layer = Embedding(3, 2)
    x = Input(shape=(2,), dtype='int32')
    f = K.function([x], [layer(x)])
    with pytest.raises(Exception, match='out of range|index'):
        f([np.array([[0, 3]], dtype='int32')])


def test_numpy_integer_sizes():
    """Embedding(np.max(X) + 1, ...) is a common Keras idiom."""
    layer = Embedding(np.int64(10), np.int32(3))
    assert (layer.input_dim, layer.output_dim) == (10, 3)
    assert type(layer.input_dim) is int
