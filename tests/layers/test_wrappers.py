"""TimeDistributed and Bidirectional (Keras 1.2.2) against numpy references: the inner layer
applied per time step (fold into the batch, or K.rnn with a fixed batch size), the two
directions of a recurrent layer and their merge modes, masks, weights (order, names, files,
training), configs and errors, through the public API."""
import json

import h5py
import numpy as np
import pytest

import symkeras.backend as K
from symkeras import regularizers
from symkeras.engine import Input, topology
from symkeras.layers import (LSTM, Bidirectional, Convolution2D, Dense, Dropout, Embedding,
                             Flatten, Lambda, SimpleRNN, TimeDistributed)
from symkeras.models import Sequential, model_from_json
from symkeras.optimizers import SGD
from symkeras.utils.test_utils import layer_test

RNG = np.random.RandomState(11)


def rand(*shape):
    return RNG.normal(size=shape).astype('float32')


def run(inputs, outputs, values, phase=0):
    inputs, outputs = topology.to_list(inputs), topology.to_list(outputs)
    return K.function(inputs + [K.learning_phase()], outputs)(list(values) + [phase])


def np_simple_rnn(x, W, U, b, mask=None, go_backwards=False):
    """Keras 1.2.2's SimpleRNN (tanh) over x (samples, time, dim): the outputs in processing
    order; masked steps keep the previous output (zeros before the first)."""
    steps = range(x.shape[1])[::-1] if go_backwards else range(x.shape[1])
    h = np.zeros((x.shape[0], U.shape[0]))
    outputs = []
    for t in steps:
        new = np.tanh(x[:, t].dot(W) + h.dot(U) + b)
        if mask is not None:
            new = np.where(mask[:, t:t + 1], new, h)
        h = new
        outputs.append(h)
    return np.stack(outputs, axis=1)


# ----------------------------------------------------------------------------- TimeDistributed

@pytest.mark.parametrize('batch', [None, 3])
@pytest.mark.parametrize('timesteps', [4, None])
def test_time_distributed_dense_is_dense_at_every_step(batch, timesteps, monkeypatch):
    """Folded into the batch when the batch size is free, one K.rnn step per time step when
    it is fixed: both are Dense applied to each step."""
    loops = []
    rnn = K.rnn
    monkeypatch.setattr(K, 'rnn', lambda *args, **kwargs: loops.append(1) or rnn(*args,
                                                                                 **kwargs))
    layer = TimeDistributed(Dense(2, activation='tanh'))
    x = Input(batch_shape=(batch, timesteps, 5))
    y = layer(x)
    assert len(loops) == (batch is not None)
    assert y._keras_shape == (batch, timesteps, 2)
    data = rand(3, 4, 5)
    W, b = layer.get_weights()
    np.testing.assert_allclose(run(x, y, [data])[0], np.tanh(data.dot(W) + b), rtol=1e-5,
                               atol=1e-6)


def test_time_distributed_length_one_and_higher_rank_steps():
    x = Input(shape=(1, 2, 3))
    layer = TimeDistributed(Dense(4))
    y = layer(x)
    assert y._keras_shape == (None, 1, 2, 4)
    data = rand(2, 1, 2, 3)
    W, b = layer.get_weights()
    np.testing.assert_allclose(run(x, y, [data])[0], data.dot(W) + b, rtol=1e-5, atol=1e-6)


def test_time_distributed_convolution_and_flatten():
    x = Input(shape=(3, 1, 5, 5))
    conv = TimeDistributed(Convolution2D(2, 3, 3, dim_ordering='th'))
    y = TimeDistributed(Flatten())(conv(x))
    assert y._keras_shape == (None, 3, 18)
    data = rand(2, 3, 1, 5, 5)
    frames = Input(shape=(1, 5, 5))
    single = Convolution2D(2, 3, 3, dim_ordering='th', weights=conv.get_weights())
    per_frame = run(frames, single(frames), [data.reshape(6, 1, 5, 5)])[0]
    np.testing.assert_allclose(run(x, y, [data])[0], per_frame.reshape(2, 3, 18), rtol=1e-5,
                               atol=1e-5)


def test_time_distributed_passes_the_mask_through():
    x = Input(shape=(4,), dtype='int32')
    emb = Embedding(6, 3, mask_zero=True)
    td = TimeDistributed(Dense(2))
    td(emb(x))
    mask = td.get_output_mask_at(0)
    data = np.array([[0, 0, 3, 1], [2, 5, 0, 4]], dtype='int32')
    np.testing.assert_array_equal(run(x, mask, [data])[0].astype(bool), data != 0)
    assert TimeDistributed(Dense(2)).compute_mask(None, None) is None


def test_time_distributed_mask_reaches_the_loss():
    """Targets at masked (padding) steps do not change the loss."""
    model = Sequential([Embedding(6, 3, mask_zero=True, input_length=4),
                        SimpleRNN(2, return_sequences=True),
                        TimeDistributed(Dense(2, activation='softmax'))])
    model.compile('sgd', 'categorical_crossentropy')
    data = np.array([[0, 0, 3, 1], [2, 5, 4, 1]], dtype='int32')
    target = np.eye(2, dtype='float32')[RNG.randint(0, 2, size=(2, 4))]
    changed = target.copy()
    changed[0, :2] = 1. - changed[0, :2]
    assert model.evaluate(data, changed, verbose=0) == pytest.approx(
        model.evaluate(data, target, verbose=0), rel=1e-6)
    changed[0, 2] = 1. - changed[0, 2]
    assert model.evaluate(data, changed, verbose=0) != pytest.approx(
        model.evaluate(data, target, verbose=0), rel=1e-6)


def test_time_distributed_weights_regularizers_and_trainability():
    dense = Dense(3, W_regularizer=regularizers.l2(0.5), activity_regularizer='activity_l1')
    layer = TimeDistributed(dense, input_shape=(4, 2))
    model = Sequential([layer])
    assert layer.weights == dense.weights and layer.trainable_weights == dense.trainable_weights
    assert [w.name for w in layer.weights] == ['%s_W' % dense.name, '%s_b' % dense.name]
    assert layer.count_params() == 9
    # the weight penalty and the activity penalty over all steps reach the model's loss
    model.compile('sgd', 'mse')
    data = rand(5, 4, 2)
    W, b = layer.get_weights()
    penalty = 0.5 * (W ** 2).sum() + 0.01 * np.abs(data.dot(W) + b).sum()
    target = np.zeros((5, 4, 3), 'float32')
    mse = ((data.dot(W) + b) ** 2).mean()
    assert model.evaluate(data, target, verbose=0) == pytest.approx(
        mse + penalty, rel=1e-4)
    layer.trainable = False
    assert layer.trainable_weights == [] and layer.non_trainable_weights == dense.weights


def test_time_distributed_training_and_weight_file_round_trip(tmp_path):
    model = Sequential([TimeDistributed(Dense(1), input_shape=(3, 2))])
    model.compile(SGD(lr=0.1), 'mse')
    data = rand(32, 3, 2)
    target = data.sum(axis=-1, keepdims=True)
    before = model.evaluate(data, target, verbose=0)
    model.fit(data, target, nb_epoch=5, batch_size=8, verbose=0)
    assert model.evaluate(data, target, verbose=0) < before / 2
    path = str(tmp_path / 'td.h5')
    model.save_weights(path)
    layer = model.layers[0]
    with h5py.File(path, 'r') as f:
        group = f[layer.name]
        names = [n.decode() for n in group.attrs['weight_names']]
        assert names == [w.name for w in layer.layer.weights]
        np.testing.assert_array_equal(group[names[0]][()], layer.get_weights()[0])
    copy = Sequential([TimeDistributed(Dense(1), input_shape=(3, 2))])
    copy.load_weights(path)
    np.testing.assert_array_equal(copy.predict(data), model.predict(data))


def test_time_distributed_layer_test_and_config_round_trip():
    layer_test(TimeDistributed, kwargs={'layer': Dense(2)}, input_shape=(3, 4, 5))
    layer_test(TimeDistributed, kwargs={'layer': Dense(2)}, input_shape=(2, 4, 5),
               fixed_batch_size=True)
    layer = TimeDistributed(Dense(2, activation='relu', name='d'), name='td',
                            input_shape=(4, 5))
    config = json.loads(json.dumps(layer.get_config()))
    assert config['name'] == 'td' and config['batch_input_shape'] == [None, 4, 5]
    assert config['layer']['class_name'] == 'Dense'
    assert config['layer']['config']['name'] == 'd'
    copy = topology.layer_from_config({'class_name': 'TimeDistributed', 'config': config})
    assert isinstance(copy.layer, Dense) and copy.layer.activation.__name__ == 'relu'
    assert json.loads(json.dumps(copy.get_config())) == config


def test_time_distributed_lambda_config_needs_allow_code():
    layer = TimeDistributed(Lambda(lambda t: 2 * t), input_shape=(3, 2))
    config = {'class_name': 'TimeDistributed', 'config': layer.get_config()}
    with pytest.raises(ValueError, match='allow_code=True'):
        topology.layer_from_config(config)
    model = Sequential([topology.layer_from_config(config, allow_code=True)])
    data = rand(2, 3, 2)
    np.testing.assert_allclose(model.predict(data), 2 * data, rtol=1e-6)


def test_time_distributed_uses_the_inner_learning_phase():
    layer = TimeDistributed(Dropout(0.5))
    assert layer.uses_learning_phase
    x = Input(shape=(50, 40))
    y = layer(x)
    data = np.ones((2, 50, 40), 'float32')
    np.testing.assert_array_equal(run(x, y, [data], phase=0)[0], data)
    dropped = run(x, y, [data], phase=1)[0]
    assert set(np.unique(dropped)) == {0., 2.} and 0.4 < (dropped == 0).mean() < 0.6


def test_time_distributed_errors():
    with pytest.raises(ValueError, match='at least 3 dimensions'):
        TimeDistributed(Dense(2))(Input(shape=(4,)))
    with pytest.raises(TypeError, match='Layer instance'):
        TimeDistributed(Dense)


# ----------------------------------------------------------------------------- Bidirectional

def simple_rnn_weights(n_in, n_out):
    return [rand(n_in, n_out) * 0.5, rand(n_out, n_out) * 0.5, rand(n_out) * 0.5]


@pytest.mark.parametrize('merge_mode', ['concat', 'sum', 'mul', 'ave', None])
@pytest.mark.parametrize('return_sequences', [True, False])
def test_bidirectional_against_numpy(merge_mode, return_sequences):
    fw, bw = simple_rnn_weights(3, 2), simple_rnn_weights(3, 2)
    layer = Bidirectional(SimpleRNN(2, return_sequences=return_sequences),
                          merge_mode=merge_mode, weights=fw + bw)
    x = Input(shape=(4, 3))
    y = layer(x)
    data = rand(5, 4, 3)
    forward = np_simple_rnn(data, *fw)
    backward = np_simple_rnn(data, *bw, go_backwards=True)
    if return_sequences:
        backward = backward[:, ::-1]     # back in time order
    else:
        forward, backward = forward[:, -1], backward[:, -1]
    expected = {'concat': lambda: np.concatenate([forward, backward], axis=-1),
                'sum': lambda: forward + backward, 'mul': lambda: forward * backward,
                'ave': lambda: (forward + backward) / 2,
                None: lambda: [forward, backward]}[merge_mode]()
    outputs = run(x, y, [data])
    for got, want in zip(outputs, topology.to_list(expected)):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)
    shapes = topology.to_list(layer.get_output_shape_for((None, 4, 3)))
    for got, shape in zip(outputs, shapes):
        assert got.shape[1:] == shape[1:]
    assert len(outputs) == (2 if merge_mode is None else 1)


def test_bidirectional_lstm_equals_two_separate_lstms():
    layer = Bidirectional(LSTM(3, return_sequences=True, consume_less='gpu'))
    x = Input(shape=(5, 2))
    y = layer(x)
    weights = [rand(*w.shape) * 0.5 for w in layer.get_weights()]
    layer.set_weights(weights)
    forward = LSTM(3, return_sequences=True, consume_less='gpu', weights=weights[:3])
    backward = LSTM(3, return_sequences=True, consume_less='gpu', go_backwards=True,
                    weights=weights[3:])
    data = rand(4, 5, 2)
    got, f, b = run(x, [y, forward(x), backward(x)], [data])
    np.testing.assert_allclose(got, np.concatenate([f, b[:, ::-1]], axis=-1), rtol=1e-5,
                               atol=1e-6)


def test_bidirectional_names_and_weight_order():
    inner = LSTM(2, name='enc')
    layer = Bidirectional(inner, name='bi', input_shape=(3, 4))
    assert layer.forward_layer is inner and layer.layer is inner
    assert inner.name == 'forward_enc' and layer.backward_layer.name == 'backward_enc'
    assert not inner.go_backwards and layer.backward_layer.go_backwards
    Sequential([layer])
    names = [w.name for w in layer.weights]
    assert names == ['%s_enc_%s_%s' % (d, kind, g) for d in ('forward', 'backward')
                     for g in 'icfo' for kind in 'WUb']
    assert layer.count_params() == 2 * 4 * (4 * 2 + 2 * 2 + 2)
    assert layer.trainable_weights == (inner.trainable_weights +
                                       layer.backward_layer.trainable_weights)


def test_bidirectional_masks_left_padding_and_compute_mask():
    """Masked leading steps are skipped in both directions: a left-padded sequence gives the
    output of the unpadded one."""
    fw, bw = simple_rnn_weights(2, 3), simple_rnn_weights(2, 3)
    emb_weights = [rand(5, 2)]
    ids = Input(shape=(None,), dtype='int32')
    layer = Bidirectional(SimpleRNN(3), weights=fw + bw)
    y = layer(Embedding(5, 2, mask_zero=True, weights=emb_weights)(ids))
    padded = np.array([[0, 0, 3, 1, 4]], dtype='int32')
    np.testing.assert_allclose(run(ids, y, [padded])[0], run(ids, y, [padded[:, 2:]])[0],
                               rtol=1e-5, atol=1e-6)
    steps = emb_weights[0][padded[:, 2:]]
    expected = np.concatenate([np_simple_rnn(steps, *fw)[:, -1],
                               np_simple_rnn(steps, *bw, go_backwards=True)[:, -1]], axis=-1)
    np.testing.assert_allclose(run(ids, y, [padded])[0], expected, rtol=1e-5, atol=1e-5)
    assert layer.get_output_mask_at(0) is None
    mask = K.placeholder(ndim=2)
    seq = Bidirectional(SimpleRNN(3, return_sequences=True))
    assert seq.compute_mask(None, mask) is mask
    both = Bidirectional(SimpleRNN(3, return_sequences=True), merge_mode=None)
    assert both.compute_mask(None, mask) == [mask, mask]
    assert Bidirectional(SimpleRNN(3), merge_mode=None).compute_mask(None, mask) == [None,
                                                                                    None]


def test_bidirectional_config_round_trip_keeps_names():
    layer = Bidirectional(LSTM(3, return_sequences=True, name='enc'), merge_mode='sum',
                          input_shape=(4, 2), name='bi')
    config = json.loads(json.dumps(layer.get_config()))
    assert config['merge_mode'] == 'sum' and config['name'] == 'bi'
    assert config['layer']['config']['name'] == 'forward_enc'
    assert config['layer']['config']['go_backwards'] is False
    copy = topology.layer_from_config({'class_name': 'Bidirectional', 'config': config})
    assert copy.forward_layer.name == 'forward_enc'
    assert copy.backward_layer.name == 'backward_enc'
    assert json.loads(json.dumps(copy.get_config())) == config


def test_bidirectional_model_json_weight_file_and_training(tmp_path):
    model = Sequential([Embedding(10, 4, input_length=5),
                        Bidirectional(LSTM(3), merge_mode='ave'),
                        Dense(1, activation='sigmoid')])
    model.compile('adam', 'binary_crossentropy')
    data = RNG.randint(0, 10, size=(16, 5)).astype('int32')
    labels = (data[:, 0] > 4).astype('float32')
    before = model.get_weights()
    model.fit(data, labels, nb_epoch=1, batch_size=8, verbose=0)
    assert all(np.any(a != b) for a, b in zip(before, model.get_weights()))
    path = str(tmp_path / 'bi.h5')
    model.save_weights(path)
    copy = model_from_json(model.to_json())
    copy.load_weights(path)
    np.testing.assert_array_equal(copy.predict(data), model.predict(data))
    bi = copy.layers[1]
    assert bi.forward_layer.name == model.layers[1].forward_layer.name


def test_bidirectional_layer_test():
    layer_test(Bidirectional, kwargs={'layer': SimpleRNN(2), 'merge_mode': 'concat'},
               input_shape=(2, 3, 4))


def test_bidirectional_stateful_reset_states():
    layer = Bidirectional(SimpleRNN(2, stateful=True, return_sequences=True),
                          batch_input_shape=(1, 2, 3))
    assert layer.stateful
    model = Sequential([layer])
    model.compile('sgd', 'mse')
    data = rand(1, 2, 3)
    first = model.predict(data)
    assert np.abs(model.predict(data) - first).max() > 1e-4
    model.reset_states()
    np.testing.assert_allclose(model.predict(data), first, rtol=1e-6)


def test_bidirectional_errors():
    with pytest.raises(ValueError, match='merge mode'):
        Bidirectional(LSTM(2), merge_mode='max')
    with pytest.raises(TypeError, match='recurrent layer'):
        Bidirectional(Dense(2))


def test_time_distributed_fixed_batch_refuses_inner_updates():
    """Per-step calls inside the loop cannot carry BatchNormalization's moving averages."""
    from symkeras.layers import BatchNormalization
    with pytest.raises(ValueError, match='TimeDistributed calls batchnormalization_.* once per time step'):
        TimeDistributed(BatchNormalization())(Input(batch_shape=(2, 3, 4)))
