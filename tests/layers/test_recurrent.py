"""SimpleRNN, GRU and LSTM (Keras 1.2.2) against a numpy reference of Keras' equations: masks
(left- and right-padded), go_backwards, return_sequences, the three consume_less modes, weight
layouts (per-gate views of fused variables), gradients by finite differences, stateful layers,
dropout, regularizers, configs and errors."""
import json

import numpy as np
import pytest

import symkeras.backend as K
from symkeras import regularizers
from symkeras.engine import Input, topology
from symkeras.layers import GRU, LSTM, Embedding, Masking, SimpleRNN
from symkeras.layers.recurrent import GateWeight
from symkeras.models import Model, Sequential, model_from_json, model_from_yaml
from symkeras.utils.test_utils import layer_test
from tests.opcheck import check_variable_grads

RNG = np.random.RandomState(3)
CELLS = [SimpleRNN, GRU, LSTM]
MODES = ['cpu', 'mem', 'gpu']
# Keras' fused gate order, and the order it lists per-gate weights in ('cpu' / 'mem').
FUSED = {'SimpleRNN': ('h',), 'GRU': ('z', 'r', 'h'), 'LSTM': ('i', 'f', 'c', 'o')}
SAVED = {'SimpleRNN': ('h',), 'GRU': ('z', 'r', 'h'), 'LSTM': ('i', 'c', 'f', 'o')}


def rand(*shape):
    return RNG.normal(size=shape).astype('float32')


def run(inputs, outputs, values, phase=0):
    inputs, outputs = topology.to_list(inputs), topology.to_list(outputs)
    return K.function(inputs + [K.learning_phase()], outputs)(list(values) + [phase])


# ----------------------------------------------------------------------------- numpy reference

def hard_sigmoid(x):
    return np.clip(0.2 * x + 0.5, 0., 1.)


def gate_weights(layer):
    """{gate: (W, U, b)} from layer.get_weights(), read with Keras 1.2.2's layouts."""
    name = layer.__class__.__name__
    values = layer.get_weights()
    n = layer.output_dim
    if layer.consume_less == 'gpu' or name == 'SimpleRNN':
        W, U, b = values
        return {g: (W[:, k * n:(k + 1) * n], U[:, k * n:(k + 1) * n], b[k * n:(k + 1) * n])
                for k, g in enumerate(FUSED[name])}
    return {g: tuple(values[3 * k:3 * k + 3]) for k, g in enumerate(SAVED[name])}


def np_step(name, w, x, states):
    h = states[0]

    def lin(g, hh=h):
        return x.dot(w[g][0]) + hh.dot(w[g][1]) + w[g][2]

    if name == 'SimpleRNN':
        out = np.tanh(lin('h'))
        return out, [out]
    if name == 'GRU':
        z, r = hard_sigmoid(lin('z')), hard_sigmoid(lin('r'))
        hh = np.tanh(lin('h', r * h))
        out = z * h + (1 - z) * hh
        return out, [out]
    c = states[1]
    i, f, o = hard_sigmoid(lin('i')), hard_sigmoid(lin('f')), hard_sigmoid(lin('o'))
    c = f * c + i * np.tanh(lin('c'))
    out = o * np.tanh(c)
    return out, [out, c]


def np_rnn(layer, x, mask=None, states=None):
    """(outputs in processing order, last states) of Keras 1.2.2's loop: a masked step keeps
    the previous output (zeros before the first) and states."""
    name = layer.__class__.__name__
    w = gate_weights(layer)
    n = layer.output_dim
    states = states or [np.zeros((x.shape[0], n))] * (2 if name == 'LSTM' else 1)
    prev = np.zeros((x.shape[0], n))
    outs = []
    steps = range(x.shape[1])
    for t in (reversed(steps) if layer.go_backwards else steps):
        out, new = np_step(name, w, x[:, t], states)
        if mask is not None:
            keep = mask[:, t, None].astype(bool)
            out = np.where(keep, out, prev)
            new = [np.where(keep, a, s) for a, s in zip(new, states)]
        prev, states = out, new
        outs.append(out)
    return np.stack(outs, axis=1), states


def randomize(layer, scale=0.5):
    layer.set_weights([scale * rand(*w.shape) for w in layer.get_weights()])


# ----------------------------------------------------------------------------- values

@pytest.mark.parametrize('mode', MODES)
@pytest.mark.parametrize('cls', CELLS)
def test_values_with_mask_against_numpy(cls, mode):
    x = Input(shape=(5, 3))
    layer = cls(4, consume_less=mode, return_sequences=True, go_backwards=(mode == 'mem'))
    masked = Masking(0.)(x)
    seq = layer(masked)
    last = cls(4, consume_less=mode, go_backwards=(mode == 'mem'))
    y = last(masked)
    randomize(layer)
    last.set_weights(layer.get_weights())
    data = rand(3, 5, 3)
    data[0, 3:] = 0.      # right-padded
    data[1, :2] = 0.      # left-padded
    data[2, 2] = 0.       # a hole
    mask = (data != 0).any(axis=-1)
    want, _ = np_rnn(layer, data, mask)
    got_seq, got_last = run(x, [seq, y], [data])
    np.testing.assert_allclose(got_seq, want, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(got_last, want[:, -1], rtol=1e-5, atol=1e-6)
    assert seq._keras_shape == (None, 5, 4) and y._keras_shape == (None, 4)
    # the sequence output keeps the mask; the last output has none
    assert layer.get_output_mask_at(0) is not None and last.get_output_mask_at(0) is None


@pytest.mark.parametrize('cls', CELLS)
def test_left_and_right_padding_give_the_same_output(cls):
    model = Sequential([Embedding(12, 3, mask_zero=True, input_length=6), cls(4)])
    randomize(model.layers[1])
    words = RNG.randint(1, 12, size=(2, 4))
    right = np.concatenate([words, np.zeros((2, 2), int)], axis=1)
    left = np.concatenate([np.zeros((2, 2), int), words], axis=1)
    out_right, out_left = model.predict(right), model.predict(left)
    np.testing.assert_allclose(out_left, out_right, rtol=1e-5, atol=1e-6)
    unpadded = Sequential([Embedding(12, 3, input_length=4), cls(4)])
    unpadded.set_weights(model.get_weights())
    np.testing.assert_allclose(unpadded.predict(words), out_right, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize('cls', [GRU, LSTM])
def test_the_three_modes_give_the_same_output_for_the_same_weights(cls):
    data = rand(2, 4, 3)
    layers = {mode: cls(5, consume_less=mode, return_sequences=True) for mode in MODES}
    x = Input(shape=(4, 3))
    outs = {mode: layer(x) for mode, layer in layers.items()}
    randomize(layers['cpu'])
    blocks = gate_weights(layers['cpu'])
    gates = FUSED[cls.__name__]
    layers['mem'].set_weights(layers['cpu'].get_weights())
    layers['gpu'].set_weights([np.concatenate([blocks[g][kind] for g in gates], axis=-1)
                               for kind in range(3)])
    got = run(x, [outs[m] for m in MODES], [data])
    np.testing.assert_allclose(got[0], np_rnn(layers['cpu'], data)[0], rtol=1e-5, atol=1e-6)
    for other in got[1:]:
        np.testing.assert_allclose(other, got[0], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize('cls', CELLS)
def test_unroll_gives_the_loop_output_and_needs_a_known_length(cls):
    data = rand(2, 3, 2)
    x = Input(shape=(3, 2))
    looped, unrolled = cls(3, go_backwards=True), cls(3, go_backwards=True, unroll=True)
    a, b = looped(x), unrolled(x)
    unrolled.set_weights(looped.get_weights())
    np.testing.assert_allclose(*run(x, [a, b], [data]), rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match='Cannot unroll a RNN if the time dimension is undefined'):
        cls(3, unroll=True)(Input(shape=(None, 2)))


def test_variable_length_input_and_length_one():
    layer = LSTM(3, return_sequences=True)
    x = Input(shape=(None, 2))
    y = layer(x)
    assert y._keras_shape == (None, None, 3)
    f = K.function([x], [y])
    for length in (1, 4):
        data = rand(2, length, 2)
        np.testing.assert_allclose(f([data])[0], np_rnn(layer, data)[0], rtol=1e-5, atol=1e-6)


# ----------------------------------------------------------------------------- weights

@pytest.mark.parametrize('mode', MODES)
@pytest.mark.parametrize('cls', CELLS)
def test_weight_names_order_and_fused_trainable_weights(cls, mode):
    layer = cls(3, consume_less=mode, name='rnn')
    layer(Input(shape=(4, 2)))
    name = cls.__name__
    per_gate = mode != 'gpu' and name != 'SimpleRNN'
    if per_gate:
        want = ['rnn_%s_%s' % (kind, g) for g in SAVED[name] for kind in 'WUb']
        assert all(isinstance(w, GateWeight) for w in layer.weights)
    else:
        want = ['rnn_W', 'rnn_U', 'rnn_b']
    assert [w.name for w in layer.weights] == want
    k = len(FUSED[name])
    assert [w.name for w in layer.trainable_weights] == ['rnn_W', 'rnn_U', 'rnn_b']
    assert [K.int_shape(w) for w in layer.trainable_weights] == [(2, 3 * k), (3, 3 * k), (3 * k,)]
    assert layer.count_params() == k * (2 * 3 + 3 * 3 + 3)      # Keras' count
    model = Sequential([layer])
    assert model.count_params() == layer.count_params()


def test_gate_views_write_through_to_the_fused_variable():
    layer = LSTM(2, name='l')
    layer(Input(shape=(3, 4)))
    values = [rand(*w.shape) for w in layer.get_weights()]
    layer.set_weights(values)
    for w, v in zip(layer.weights, values):
        np.testing.assert_array_equal(K.get_value(w), v)
    fused = dict(zip('ifco', range(4)))
    W = K.get_value(layer.W)
    for g, j in fused.items():
        np.testing.assert_array_equal(W[:, 2 * j:2 * j + 2], K.get_value(getattr(layer, 'W_' + g)))
    K.set_value(layer.b_f, np.array([7., 8.]))
    np.testing.assert_array_equal(K.get_value(layer.b)[2:4], [7., 8.])
    # in a graph a view is its block of the fused variable
    np.testing.assert_array_equal(K.eval(layer.U_c * 1.), K.get_value(layer.U)[:, 4:6])
    with pytest.raises(ValueError, match='shape'):
        K.set_value(layer.W_i, np.zeros((2, 2)))


def test_initialisers_follow_keras_122_per_mode():
    """cpu / mem: U_* use `init` (a Keras 1.2.2 quirk); gpu: U uses inner_init. The forget
    bias starts at forget_bias_init, the other biases at 0."""
    x = Input(shape=(2, 3))
    for mode in MODES:
        layer = LSTM(2, init='one', inner_init='zero', forget_bias_init='one', consume_less=mode)
        layer(x)
        U = K.get_value(layer.U)
        assert (U == (1. if mode != 'gpu' else 0.)).all()
        np.testing.assert_array_equal(K.get_value(layer.b), [0, 0, 1, 1, 0, 0, 0, 0])
    gru = GRU(2, init='one', inner_init='zero', consume_less='mem')
    gru(x)
    assert (K.get_value(gru.U) == 1.).all()


def test_seeded_initial_weights_are_drawn_in_keras_order():
    """Keras 1.2.2 draws per-gate weights gate by gate (i, f, c, o), W then U."""
    np.random.seed(5)
    layer = LSTM(2, init='uniform', consume_less='cpu')
    layer(Input(shape=(2, 3)))
    np.random.seed(5)
    draws = {}
    for g in 'ifco':
        draws['W_' + g] = np.random.uniform(-0.05, 0.05, (3, 2))
        draws['U_' + g] = np.random.uniform(-0.05, 0.05, (2, 2))
    for key, value in draws.items():
        np.testing.assert_allclose(K.get_value(getattr(layer, key)), value, rtol=1e-6)


def test_weights_argument_and_save_load_round_trip(tmp_path):
    model = Sequential([GRU(3, input_shape=(4, 2))])
    values = [rand(*w.shape) for w in model.get_weights()]
    copy = Sequential([GRU(3, input_shape=(4, 2), weights=values)])
    for a, b in zip(copy.get_weights(), values):
        np.testing.assert_array_equal(a, b)
    path = str(tmp_path / 'w.h5')
    copy.save_weights(path)
    model.load_weights(path)
    data = rand(2, 4, 2)
    np.testing.assert_array_equal(model.predict(data), copy.predict(data))
    import h5py
    with h5py.File(path, 'r') as f:
        names = [n.decode() for n in f[copy.layers[0].name].attrs['weight_names']]
    assert names == ['%s_%s_%s' % (copy.layers[0].name, kind, g) for g in 'zrh' for kind in 'WUb']
    with pytest.raises(ValueError, match='expecting 9 weights'):
        copy.layers[0].set_weights(values[:3])


@pytest.mark.parametrize('mode', ['cpu', 'gpu'])
def test_regularizers_per_gate_in_cpu_mode_and_on_fused_in_gpu_mode(mode):
    layer = LSTM(2, consume_less=mode, W_regularizer=regularizers.l2(0.1),
                 U_regularizer=regularizers.l1(0.5), b_regularizer=regularizers.l2(0.01))
    layer(Input(shape=(2, 3)))
    randomize(layer)
    W, U, b = (K.get_value(v) for v in (layer.W, layer.U, layer.b))
    total = sum(float(K.eval(loss)) for loss in layer.losses)
    if mode == 'gpu':
        want = 0.1 * (W ** 2).sum() + 0.5 * np.abs(U).sum() + 0.01 * (b ** 2).sum()
    else:      # Keras 1.2.2 penalises U_* with W_regularizer in cpu / mem mode
        want = 0.1 * (W ** 2).sum() + 0.1 * (U ** 2).sum() + 0.01 * (b ** 2).sum()
        assert len(layer.losses) == 12
    assert total == pytest.approx(want, rel=1e-5)


# ----------------------------------------------------------------------------- gradients

@pytest.mark.parametrize('cls, mode', [(SimpleRNN, 'cpu'), (GRU, 'cpu'), (GRU, 'gpu'),
                                       (LSTM, 'mem'), (LSTM, 'gpu')])
def test_gradients_match_finite_differences(cls, mode, float64):
    x = Input(shape=(3, 2), dtype='float64')
    layer = cls(2, consume_less=mode, return_sequences=True, go_backwards=(mode == 'gpu'))
    y = layer(Masking(0.)(x))
    randomize(layer)
    data = RNG.normal(size=(2, 3, 2))
    data[1, 0] = 0.
    coef = RNG.normal(size=(2, 3, 2))
    loss = K.sum(y * coef)
    params = layer.trainable_weights
    f = K.function([x], [loss])
    grads = K.function([x], K.gradients(loss, params + [x]))([data])
    check_variable_grads(f, [data], params, grads)
    eps = 1e-6
    num = np.zeros_like(data)
    for idx in np.ndindex(data.shape):
        if data[idx[0], idx[1]].any():      # a masked (all-zero) step is not differentiable
            for sign in (1, -1):
                shifted = data.copy()
                shifted[idx] += sign * eps
                num[idx] += sign * f([shifted])[0] / (2 * eps)
    np.testing.assert_allclose(grads[-1] * (data != 0).any(-1)[..., None], num, rtol=1e-5,
                               atol=1e-7)


def test_training_reduces_the_loss_and_updates_the_gate_views():
    model = Sequential([Embedding(10, 4, input_length=5, mask_zero=True), LSTM(3)])
    model.compile('adam', 'mse')
    before = model.layers[1].get_weights()
    xs = RNG.randint(0, 10, size=(16, 5))
    ys = rand(16, 3) * 0.3
    first = model.train_on_batch(xs, ys)
    for _ in range(20):
        last = model.train_on_batch(xs, ys)
    assert last < first
    after = model.layers[1].get_weights()
    assert all(not np.array_equal(a, b) for a, b in zip(before, after))


# ----------------------------------------------------------------------------- stateful

def stateful_model(cls=LSTM):
    model = Sequential([cls(3, stateful=True, batch_input_shape=(2, 4, 2))])
    randomize(model.layers[0])
    return model


@pytest.mark.parametrize('cls', CELLS)
def test_stateful_carries_states_across_batches_and_reset_restores(cls):
    model = stateful_model(cls)
    layer = model.layers[0]
    data = rand(2, 4, 2)
    first = model.predict(data, batch_size=2)
    second = model.predict(data, batch_size=2)
    assert not np.allclose(first, second)
    seq, _ = np_rnn(layer, np.concatenate([data, data], axis=1))
    np.testing.assert_allclose(first, seq[:, 3], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(second, seq[:, 7], rtol=1e-5, atol=1e-6)
    model.reset_states()
    np.testing.assert_allclose(model.predict(data, batch_size=2), first, rtol=1e-6)
    layer.reset_states()
    assert all((K.get_value(s) == 0).all() for s in layer.states)
    assert len(layer.states) == (2 if cls is LSTM else 1)


def test_stateful_training_and_sample_counts():
    model = stateful_model()
    model.compile('sgd', 'mse')
    model.fit(rand(4, 4, 2), rand(4, 3), batch_size=2, nb_epoch=1, shuffle=False, verbose=0)
    assert any((K.get_value(s) != 0).any() for s in model.layers[0].states)
    with pytest.raises(ValueError, match='divided by the batch size'):
        model.fit(rand(3, 4, 2), rand(3, 3), batch_size=2, nb_epoch=1, verbose=0)
    with pytest.raises(ValueError, match=r'expects shape \(2, 4, 2\)'):
        model.predict(rand(4, 4, 2), batch_size=4)


def test_stateful_needs_a_batch_size_and_reset_needs_stateful():
    with pytest.raises(ValueError, match='stateful, it needs to know its batch size'):
        Sequential([LSTM(3, stateful=True, input_shape=(4, 2))])
    with pytest.raises(ValueError, match='stateful, it needs to know its batch size'):
        GRU(3, stateful=True)(Input(shape=(4, 2)))
    layer = SimpleRNN(2)
    layer(Input(shape=(3, 2)))
    with pytest.raises(AssertionError, match='Layer must be stateful'):
        layer.reset_states()


def test_stateful_config_records_the_batch_input_shape():
    model = stateful_model()
    config = model.layers[0].get_config()
    assert tuple(config['batch_input_shape']) == (2, 4, 2) and 'input_dim' not in config
    copy = model_from_json(model.to_json())
    assert copy.layers[0].stateful and copy.layers[0].states[0] is not None


# ----------------------------------------------------------------------------- dropout

@pytest.mark.parametrize('mode', MODES)
@pytest.mark.parametrize('cls', [GRU, LSTM])
def test_dropout_only_in_training(cls, mode):
    x = Input(shape=(4, 3))
    layer = cls(5, consume_less=mode, dropout_W=0.5, dropout_U=0.5)
    assert layer.uses_learning_phase
    y = layer(x)
    randomize(layer)
    data = rand(6, 4, 3)
    np.testing.assert_allclose(run(x, y, [data], phase=0)[0], np_rnn(layer, data)[0][:, -1],
                               rtol=1e-5, atol=1e-6)
    assert not np.allclose(run(x, y, [data], phase=1)[0], run(x, y, [data], phase=0)[0])


@pytest.mark.parametrize('mode', MODES)
def test_simplernn_drops_inputs_in_cpu_mode_only_as_keras_122(mode):
    x = Input(shape=(4, 3))
    layer = SimpleRNN(5, consume_less=mode, dropout_W=0.5)
    y = layer(x)
    data = rand(6, 4, 3)
    train, test = run(x, y, [data], phase=1)[0], run(x, y, [data], phase=0)[0]
    assert np.allclose(train, test) == (mode != 'cpu')


def test_dropout_fit_runs():
    model = Sequential([Embedding(10, 4, input_length=5, dropout=0.2),
                        LSTM(3, dropout_W=0.3, dropout_U=0.3, consume_less='cpu')])
    model.compile('rmsprop', 'mse')
    model.fit(RNG.randint(0, 10, size=(8, 5)), rand(8, 3), nb_epoch=2, verbose=0)


# ----------------------------------------------------------------------------- configs, layer_test

@pytest.mark.parametrize('cls, kwargs', [
    (SimpleRNN, {'output_dim': 3, 'return_sequences': True, 'consume_less': 'mem'}),
    (GRU, {'output_dim': 3, 'go_backwards': True, 'consume_less': 'gpu'}),
    (LSTM, {'output_dim': 3, 'unroll': True, 'inner_activation': 'sigmoid'}),
])
def test_layer_test(cls, kwargs):
    out = layer_test(cls, kwargs=kwargs, input_shape=(2, 3, 4))
    assert out.shape[-1] == 3


@pytest.mark.parametrize('cls', CELLS)
def test_config_keys_and_round_trip(cls):
    layer = cls(3, input_dim=4, input_length=5, W_regularizer=regularizers.l2(0.1),
                dropout_U=0.25, consume_less='mem', activation='relu', name='r')
    config = json.loads(json.dumps(layer.get_config()))
    keys = ['name', 'trainable', 'batch_input_shape', 'input_dtype', 'return_sequences',
            'go_backwards', 'stateful', 'unroll', 'consume_less', 'input_dim', 'input_length',
            'output_dim', 'init', 'inner_init']
    extra = {'SimpleRNN': ['activation'], 'GRU': ['activation', 'inner_activation'],
             'LSTM': ['forget_bias_init', 'activation', 'inner_activation']}[cls.__name__]
    assert list(config) == keys + extra + ['W_regularizer', 'U_regularizer', 'b_regularizer',
                                           'dropout_W', 'dropout_U']
    assert config['batch_input_shape'] == [None, 5, 4] and config['activation'] == 'relu'
    copy = topology.layer_from_config({'class_name': cls.__name__, 'config': config})
    assert json.loads(json.dumps(copy.get_config())) == config


def test_model_json_and_yaml_round_trip_with_weights():
    model = Sequential([Embedding(8, 3, input_length=4, mask_zero=True),
                        GRU(4, return_sequences=True, consume_less='gpu'),
                        LSTM(2, go_backwards=True)])
    data = RNG.randint(0, 8, size=(3, 4))
    for reader, text in ((model_from_json, model.to_json()), (model_from_yaml, model.to_yaml())):
        copy = reader(text)
        copy.set_weights(model.get_weights())
        np.testing.assert_allclose(copy.predict(data), model.predict(data), rtol=1e-6)


def test_functional_model_with_two_recurrent_branches():
    x = Input(shape=(5,), dtype='int32')
    e = Embedding(10, 3, mask_zero=True)(x)
    a = LSTM(2)(e)
    b = SimpleRNN(2, go_backwards=True)(e)
    model = Model(input=x, output=[a, b])
    outs = model.predict(RNG.randint(0, 10, size=(2, 5)))
    assert [o.shape for o in outs] == [(2, 2), (2, 2)]


@pytest.mark.parametrize('build, match', [
    (lambda: LSTM(3, consume_less='fast'), "consume_less must be one of 'cpu', 'mem', 'gpu'"),
    (lambda: GRU(0), 'GRU: output_dim must be a whole number >= 1; got 0'),
    (lambda: LSTM(np.float64(2.5)), 'output_dim must be a whole number'),
    (lambda: SimpleRNN(2, dropout_U=1.5), r'dropout_U must be in \[0, 1\)'),
    (lambda: LSTM(2)(Input(shape=(3,))), 'expected ndim=3'),
    (lambda: LSTM(2, unknown=1), 'Keyword argument not understood'),
])
def test_bad_arguments_and_inputs(build, match):
    with pytest.raises((ValueError, TypeError), match=match):
        build()


def test_whole_model_file_round_trip_with_optimizer_state(tmp_path):
    from symkeras.models import load_model
    model = Sequential([Embedding(10, 3, input_length=4, mask_zero=True),
                        LSTM(2, return_sequences=True), SimpleRNN(2)])
    model.compile('adam', 'mse')
    xs, ys = RNG.randint(0, 10, size=(4, 4)), rand(4, 2)
    model.train_on_batch(xs, ys)
    path = str(tmp_path / 'm.h5')
    model.save(path)
    copy = load_model(path)
    np.testing.assert_allclose(copy.predict(xs), model.predict(xs), rtol=1e-6)
    for a, b in zip(copy.optimizer.get_weights(), model.optimizer.get_weights()):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_allclose(copy.train_on_batch(xs, ys), model.train_on_batch(xs, ys),
                               rtol=1e-5)


def test_functional_model_reset_states():
    """Model (Container) resets its stateful layers, as Sequential does."""
    from symkeras.layers import Input
    from symkeras.models import Model
    inp = Input(batch_shape=(2, 3, 4))
    out = LSTM(5, stateful=True)(inp)
    model = Model(inp, out)
    x = np.random.RandomState(0).rand(2, 3, 4).astype('float32')
    first = model.predict(x, batch_size=2)
    assert not np.allclose(model.predict(x, batch_size=2), first)
    model.reset_states()
    np.testing.assert_allclose(model.predict(x, batch_size=2), first, rtol=1e-6)


@pytest.mark.parametrize('mode', ['cpu', 'mem', 'gpu'])
def test_recurrent_dropout_mask_is_one_per_batch(mode):
    """Keras draws dropout_U's mask once per batch (get_constants), not at every step: with
    W = 0, U = I, b = 1 and a linear activation, each unit of h runs either 1, 1, 1, 1, 1
    (dropped) or 1, 3, 7, 15, 31 (kept, scaled by 2)."""
    n, T = 40, 5
    layer = SimpleRNN(n, activation='linear', dropout_U=0.5, return_sequences=True,
                      consume_less=mode, input_shape=(T, 2))
    model = Sequential([layer])
    layer.set_weights([np.zeros((2, n)), np.eye(n), np.ones(n)])
    f = K.function([model.inputs[0], K.learning_phase()], [model.outputs[0]])
    runs = f([np.zeros((3, T, 2), 'float32'), 1])[0].transpose(0, 2, 1).reshape(-1, T)
    assert {tuple(r) for r in runs} == {(1, 1, 1, 1, 1), (1, 3, 7, 15, 31)}


def test_a_keras_1_style_subclass_with_its_own_states():
    """A user's Recurrent subclass written for Keras 1.2.2 sets self.states in build; the
    initial states follow it (two here), and constants may be nested lists."""
    from symkeras import initializations
    from symkeras.layers.recurrent import Recurrent

    class TwoState(Recurrent):
        def __init__(self, output_dim, **kwargs):
            self.output_dim = output_dim
            super(TwoState, self).__init__(**kwargs)

        def build(self, input_shape):
            self.input_spec = [topology.InputSpec(shape=input_shape)]
            self.states = [None, None]
            self.W = self.add_weight((input_shape[2], self.output_dim),
                                     initializations.get('one'), name='W')
            self.built = True

        def get_constants(self, x):
            return [[K.cast_to_floatx(1.), K.cast_to_floatx(2.)]]

        def step(self, x, states):
            s = states[1] + K.dot(x * states[2][1], self.W)
            return K.tanh(s), [K.tanh(s), s]

    model = Sequential([TwoState(3, input_shape=(4, 2))])
    x = np.ones((2, 4, 2), 'float32')
    np.testing.assert_allclose(model.predict(x), np.tanh(np.full((2, 3), 4 * 2 * 2.)), rtol=1e-6)
