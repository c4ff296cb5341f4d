"""Training a Keras 0.3.3 Graph: compile with loss / loss_weights / sample_weight_modes dicts,
fit / evaluate / predict / the batch methods / the generator methods on data dicts, per-output
sample and class weights, show_accuracy, weights, and the errors."""
import numpy as np
import pytest

from symkeras import backend as K
from symkeras.callbacks import Callback
from symkeras.engine.topology import Layer
from symkeras.layers import Dense
from symkeras.models import Graph

RNG = np.random.RandomState(11)
X = RNG.rand(40, 4).astype('float32')
Y1 = RNG.rand(40, 2).astype('float32')
Y2 = RNG.rand(40, 3).astype('float32')
LABELS = RNG.randint(0, 3, 40)
ONE_HOT = np.eye(3, dtype='float32')[LABELS]


def fixed(units, input_dim, seed, activation=None):
    rng = np.random.RandomState(seed)
    return Dense(units, activation=activation,
                 weights=[rng.randn(input_dim, units).astype('float32') * .5,
                          rng.randn(units).astype('float32') * .1])


def two_output_graph(**compile_kwargs):
    graph = Graph()
    graph.add_input('x', input_shape=(4,))
    graph.add_node(fixed(2, 4, 0), 'd1', input='x', create_output=True)
    graph.add_node(fixed(3, 4, 1), 'd2', input='x')
    graph.add_output('o2', input='d2')
    graph.compile('sgd', {'d1': 'mse', 'o2': 'mse'}, **compile_kwargs)
    return graph


def classifier(units=3, activation='softmax', loss='categorical_crossentropy'):
    graph = Graph()
    graph.add_input('x', input_shape=(4,))
    graph.add_node(fixed(units, 4, 2, activation), 'probs', input='x', create_output=True)
    graph.compile('sgd', {'probs': loss})
    return graph


def data2(n=40):
    return {'x': X[:n], 'd1': Y1[:n], 'o2': Y2[:n]}


def mse(pred, y, weights=None):
    score = ((pred - y) ** 2).mean(-1)
    if weights is None:
        return score.mean()
    return (score * weights).mean() / (weights != 0).mean()


# ----------------------------------------------------------------------------- losses

def test_total_loss_is_the_loss_weighted_sum():
    graph = two_output_graph(loss_weights={'d1': 0.25})
    pred = graph.predict({'x': X})
    want = 0.25 * mse(pred['d1'], Y1) + 1. * mse(pred['o2'], Y2)
    np.testing.assert_allclose(graph.test_on_batch(data2()), want, rtol=1e-5)
    np.testing.assert_allclose(graph.evaluate(data2(), batch_size=7), want, rtol=1e-5)
    # 0.3.3 reports the total loss alone (no per-output losses as Keras 1 would add).
    assert np.ndim(graph.evaluate(data2())) == 0 and np.ndim(graph.train_on_batch(data2())) == 0
    assert set(graph.fit(data2(), nb_epoch=1, verbose=0).history) == {'loss'}
    assert graph.loss_weights == {'d1': 0.25}
    assert graph.loss == {'d1': 'mse', 'o2': 'mse'}
    assert type(graph.optimizer).__name__ == 'SGD'


def test_per_output_sample_weights():
    graph = two_output_graph()
    sw = RNG.rand(40).astype('float32')
    sw[:5] = 0
    pred = graph.predict({'x': X})
    want = mse(pred['d1'], Y1, sw) + mse(pred['o2'], Y2)
    np.testing.assert_allclose(graph.test_on_batch(data2(), sample_weight={'d1': sw}), want,
                               rtol=1e-5)
    np.testing.assert_allclose(graph.evaluate(data2(), sample_weight={'d1': sw}, batch_size=40),
                               want, rtol=1e-5)
    # train_on_batch reports the loss before its update.
    np.testing.assert_allclose(graph.train_on_batch(data2(), sample_weight={'d1': sw}), want,
                               rtol=1e-5)
    assert not np.allclose(graph.predict({'x': X})['d1'], pred['d1'])


def test_class_weights_by_output():
    graph = classifier()
    pred = graph.predict({'x': X})['probs']
    cw = {0: 1., 1: 3., 2: .5}
    weights = np.array([cw[c] for c in LABELS])
    score = -(ONE_HOT * np.log(np.clip(pred, K.epsilon(), 1 - K.epsilon()))).sum(-1)
    want = (score * weights).mean()
    got = graph.train_on_batch({'x': X, 'probs': ONE_HOT}, class_weight={'probs': cw})
    np.testing.assert_allclose(got, want, rtol=1e-5)


def test_temporal_sample_weight_mode():
    graph = Graph()
    graph.add_input('x', input_shape=(5, 4))
    graph.add_node(fixed(2, 4, 3), 'd', input='x', create_output=True)
    graph.compile('sgd', {'d': 'mse'}, sample_weight_modes={'d': 'temporal'})
    x, y = RNG.rand(6, 5, 4).astype('float32'), RNG.rand(6, 5, 2).astype('float32')
    sw = RNG.rand(6, 5).astype('float32')
    pred = graph.predict({'x': x})['d']
    want = mse(pred, y, sw)
    np.testing.assert_allclose(graph.test_on_batch({'x': x, 'd': y}, sample_weight={'d': sw}),
                               want, rtol=1e-5)


# ----------------------------------------------------------------------------- accuracy

def test_show_accuracy_categorical():
    graph = classifier()
    data = {'x': X, 'probs': ONE_HOT}
    loss = graph.evaluate(data)
    loss_acc = graph.evaluate(data, show_accuracy=True)
    acc = np.mean(graph.predict({'x': X})['probs'].argmax(-1) == LABELS)
    assert len(loss_acc) == 2
    np.testing.assert_allclose(loss_acc, [loss, acc], rtol=1e-5)
    np.testing.assert_allclose(graph.test_on_batch(data, accuracy=True), [loss, acc], rtol=1e-5)
    out = graph.train_on_batch(data, accuracy=True)
    np.testing.assert_allclose(out, [loss, acc], rtol=1e-5)
    history = graph.fit(data, nb_epoch=2, batch_size=10, verbose=0, validation_split=0.25,
                        show_accuracy=True)
    assert set(history.history) == {'loss', 'acc', 'val_loss', 'val_acc'}
    assert np.ndim(graph.evaluate(data)) == 0      # the flag is off again


def test_show_accuracy_binary_for_one_unit():
    graph = classifier(units=1, activation='sigmoid', loss='binary_crossentropy')
    y = (X.sum(-1, keepdims=True) > 2).astype('float32')
    _, acc = graph.evaluate({'x': X, 'probs': y}, show_accuracy=True)
    np.testing.assert_allclose(acc, np.mean(np.round(graph.predict({'x': X})['probs']) == y),
                               rtol=1e-6)


def test_show_accuracy_needs_exactly_one_output():
    graph = two_output_graph()
    for call in (lambda: graph.fit(data2(), show_accuracy=True, verbose=0),
                 lambda: graph.evaluate(data2(), show_accuracy=True)):
        with pytest.raises(ValueError, match=r'Graph "graph_\d+".(fit|evaluate): show_accuracy='
                                             r"True can only be used if the graph has exactly "
                                             r"one output.*2: \['d1', 'o2'\]"):
            call()
    with pytest.raises(ValueError, match=r'train_on_batch: accuracy=True can only be used'):
        graph.train_on_batch(data2(), accuracy=True)
    with pytest.raises(ValueError, match=r'test_on_batch: accuracy=True can only be used'):
        graph.test_on_batch(data2(), accuracy=True)


# ----------------------------------------------------------------------------- fit

class Recorder(Callback):
    def on_train_begin(self, logs=None):
        self.epochs = []

    def on_epoch_end(self, epoch, logs=None):
        self.epochs.append((epoch, dict(logs)))


def test_fit_arguments_and_validation():
    graph = two_output_graph()
    recorder = Recorder()
    history = graph.fit(data2(), batch_size=8, nb_epoch=3, verbose=0, callbacks=[recorder],
                        validation_data=data2(10), shuffle=False)
    assert recorder.model is graph and graph.history is history
    assert [e for e, _ in recorder.epochs] == [0, 1, 2]
    assert set(history.history) == {'loss', 'val_loss'}
    np.testing.assert_allclose(history.history['val_loss'][-1], graph.evaluate(data2(10)),
                               rtol=1e-5)
    assert history.history['loss'][-1] < history.history['loss'][0]
    sw = np.ones(10, 'float32')
    history = graph.fit(data2(), nb_epoch=1, verbose=0,
                        validation_data=(data2(10), {'o2': sw * 2}))
    assert 'val_loss' in history.history


def test_fit_prints_progress(capsys):
    graph = two_output_graph()
    graph.fit(data2(), nb_epoch=1, batch_size=20, verbose=1)
    assert 'loss:' in capsys.readouterr().out


def test_fit_defaults_are_0_3_3s():
    graph = two_output_graph()
    history = graph.fit(data2(), verbose=0)
    assert len(history.history['loss']) == 100       # nb_epoch=100
    assert history.params['batch_size'] == 128


def test_fit_with_stop_training_from_a_callback():
    class Stop(Callback):
        def on_epoch_end(self, epoch, logs=None):
            self.model.stop_training = True

    graph = two_output_graph()
    history = graph.fit(data2(), nb_epoch=5, verbose=0, callbacks=[Stop()])
    assert len(history.history['loss']) == 1


def test_predict_and_predict_on_batch_accept_a_dict_with_targets():
    graph = two_output_graph()
    full = graph.predict(data2(), batch_size=9)
    batch = graph.predict_on_batch({'x': X})
    assert set(full) == set(batch) == {'d1', 'o2'}
    for k in full:
        np.testing.assert_allclose(full[k], batch[k], rtol=1e-6)


# ----------------------------------------------------------------------------- generators

def dict_batches(sample_weight=False, n=10):
    while True:
        for start in range(0, 40, n):
            data = {'x': X[start:start + n], 'd1': Y1[start:start + n],
                    'o2': Y2[start:start + n]}
            if sample_weight:
                yield data, {'o2': np.full(n, 2., 'float32')}
            else:
                yield data


def test_fit_generator_and_evaluate_generator():
    graph = two_output_graph()
    before = graph.evaluate(data2())
    history = graph.fit_generator(dict_batches(), samples_per_epoch=40, nb_epoch=3, verbose=0,
                                  validation_data=data2(20))
    assert set(history.history) == {'loss', 'val_loss'}
    assert graph.evaluate(data2()) < before
    np.testing.assert_allclose(graph.evaluate_generator(dict_batches(), 40),
                               graph.evaluate(data2()), rtol=1e-5)
    history = graph.fit_generator(dict_batches(sample_weight=True), samples_per_epoch=20,
                                  nb_epoch=1, verbose=0, validation_data=dict_batches(),
                                  nb_val_samples=20, nb_val_worker=1)
    assert 'val_loss' in history.history
    pred = graph.predict({'x': X})
    want = mse(pred['d1'], Y1) + mse(pred['o2'], Y2, np.full(40, 2.))
    np.testing.assert_allclose(graph.evaluate_generator(dict_batches(sample_weight=True), 40,
                                                        nb_worker=1, max_q_size=3,
                                                        wait_time=0.01), want, rtol=1e-5)


def test_generators_with_accuracy_and_class_weight():
    graph = classifier()

    def batches():
        while True:
            yield {'x': X[:20], 'probs': ONE_HOT[:20]}

    history = graph.fit_generator(batches(), samples_per_epoch=20, nb_epoch=2, verbose=0,
                                  show_accuracy=True, class_weight={'probs': {0: 1, 1: 1, 2: 2}},
                                  validation_data=({'x': X[20:], 'probs': ONE_HOT[20:]}, {}))
    assert set(history.history) == {'loss', 'acc', 'val_loss', 'val_acc'}
    loss_acc = graph.evaluate_generator(batches(), 20, show_accuracy=True)
    np.testing.assert_allclose(loss_acc, graph.evaluate({'x': X[:20], 'probs': ONE_HOT[:20]},
                                                        show_accuracy=True), rtol=1e-5)


def test_predict_generator_gives_a_dict():
    graph = two_output_graph()

    def inputs():
        while True:
            for start in range(0, 40, 10):
                yield {'x': X[start:start + 10]}

    out = graph.predict_generator(inputs(), 40)
    want = graph.predict({'x': X})
    for k in ('d1', 'o2'):
        np.testing.assert_allclose(out[k], want[k], rtol=1e-6)


def test_generator_errors():
    graph = two_output_graph()

    def bad():
        while True:
            yield X, Y1

    with pytest.raises(ValueError, match=r'fit_generator: the generator must yield data dicts or '
                                         r'tuples \(data dict, sample_weight dict\); it yielded '
                                         r'tuple'):
        graph.fit_generator(bad(), 10, 1, verbose=0)
    with pytest.raises(TypeError, match=r"evaluate_generator: unknown keyword argument\(s\) "
                                        r"\['workers'\]"):
        graph.evaluate_generator(dict_batches(), 10, workers=2)
    with pytest.raises(TypeError, match=r'predict_generator: expected a generator'):
        graph.predict_generator([{'x': X}], 10)

    def missing():
        while True:
            yield {'x': X[:5]}

    with pytest.raises(ValueError, match=r"evaluate_generator: no data for output \['d1', 'o2'\]"):
        graph.evaluate_generator(missing(), 5)


# ----------------------------------------------------------------------------- weights, states

class Counter(Layer):
    """A stand-in stateful layer that counts its resets."""
    stateful = True

    def __init__(self, **kwargs):
        super(Counter, self).__init__(**kwargs)
        self.resets = 0

    def reset_states(self):
        self.resets += 1


def test_weights_count_params_reset_states_and_trainable():
    graph = two_output_graph()
    weights = graph.get_weights()
    assert [w.shape for w in weights] == [(4, 2), (2,), (4, 3), (3,)]
    assert graph.count_params() == 8 + 2 + 12 + 3
    graph.set_weights([w * 0 for w in weights])
    assert all(not w.any() for w in graph.get_weights())
    with pytest.raises(ValueError, match=r'Graph "graph_\d+".set_weights: got a list of 1 weight '
                                         r"arrays; the graph has 4 \(nodes \['d1', 'd2'\]\)"):
        graph.set_weights(weights[:1])

    stateful = Graph()
    stateful.add_input('x', input_shape=(2,))
    counter = Counter()
    stateful.add_node(counter, 'c', input='x', create_output=True)
    assert stateful.stateful
    stateful.reset_states()
    assert counter.resets == 1

    frozen = two_output_graph()
    frozen.trainable = False
    assert frozen.trainable_weights == [] and len(frozen.non_trainable_weights) == 4
    frozen.compile('sgd', {'d1': 'mse', 'o2': 'mse'})
    before = frozen.get_weights()
    frozen.train_on_batch(data2())
    for a, b in zip(before, frozen.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_regularizer_penalty_is_added_to_the_loss():
    graph = Graph()
    graph.add_input('x', input_shape=(4,))
    graph.add_node(Dense(2, W_regularizer='l2'), 'd', input='x', create_output=True)
    graph.compile('sgd', {'d': 'mse'})
    W = graph.nodes['d'].get_weights()[0]
    data = {'x': X, 'd': Y1}
    want = mse(graph.predict({'x': X})['d'], Y1) + 0.01 * (W ** 2).sum()
    np.testing.assert_allclose(graph.test_on_batch(data), want, rtol=1e-5)


# ----------------------------------------------------------------------------- errors

def test_compile_errors():
    graph = Graph(name='g')
    graph.add_input('x', input_shape=(4,))
    graph.add_node(Dense(2), 'd', input='x', create_output=True)
    graph.add_output('e', input='x')
    with pytest.raises(TypeError, match=r"Graph \"g\".compile: loss must be a dict keyed by output "
                                        r"name \(outputs: \['d', 'e'\]\); got 'mse'"):
        graph.compile('sgd', 'mse')
    with pytest.raises(ValueError, match=r"compile: loss has no entry for output\(s\) \['e'\]"):
        graph.compile('sgd', {'d': 'mse'})
    with pytest.raises(ValueError, match=r"compile: loss has unknown output name\(s\) \['f'\]"):
        graph.compile('sgd', {'d': 'mse', 'e': 'mse', 'f': 'mse'})
    with pytest.raises(ValueError, match=r"compile: loss_weights has unknown output name\(s\) "
                                         r"\['x'\]"):
        graph.compile('sgd', {'d': 'mse', 'e': 'mse'}, loss_weights={'x': 2})
    with pytest.raises(TypeError, match=r'compile: sample_weight_modes must be a dict'):
        graph.compile('sgd', {'d': 'mse', 'e': 'mse'}, sample_weight_modes='temporal')
    with pytest.raises(TypeError, match=r'compile: a Graph takes no metrics'):
        graph.compile('sgd', {'d': 'mse', 'e': 'mse'}, metrics=['accuracy'])
    with pytest.raises(RuntimeError, match=r'Graph "g".fit: the graph must be compiled first'):
        graph.fit({'x': X, 'd': Y1, 'e': X}, verbose=0)
    graph.compile('sgd', {'d': 'mse', 'e': 'mse'})
    graph.add_output('again', input='d')
    with pytest.raises(RuntimeError, match=r'Graph "g".train_on_batch: the graph must be '
                                           r'compiled first'):
        graph.train_on_batch({'x': X, 'd': Y1, 'e': X, 'again': Y1})


def test_data_dict_errors():
    graph = two_output_graph()
    with pytest.raises(TypeError, match=r'Graph "graph_\d+".fit: data must be a dict of arrays '
                                        r'keyed by input and output names; got ndarray'):
        graph.fit(X, verbose=0)
    with pytest.raises(ValueError, match=r"fit: no data for output \['o2'\] \(the data dict has "
                                         r"keys \['d1', 'x'\]\)"):
        graph.fit({'x': X, 'd1': Y1}, verbose=0)
    with pytest.raises(ValueError, match=r"evaluate: no data for input/output \['x', 'o2'\]"):
        graph.evaluate({'d1': Y1})
    with pytest.raises(ValueError, match=r"predict: unknown key\(s\) \['y'\] in the data dict; "
                                         r"the graph has inputs \['x'\] and outputs "
                                         r"\['d1', 'o2'\]"):
        graph.predict({'x': X, 'y': X})
    with pytest.raises(ValueError, match=r'Error when checking graph "graph_\d+" output: '
                                         r'expected o2 to have shape \(None, 3\)'):
        graph.train_on_batch({'x': X, 'd1': Y1, 'o2': Y1})
    with pytest.raises(ValueError, match=r'expected x to have shape \(None, 4\)'):
        graph.predict_on_batch({'x': Y1})
    with pytest.raises(ValueError, match=r"test_on_batch: sample_weight has unknown output "
                                         r"name\(s\) \['x'\]"):
        graph.test_on_batch(data2(), sample_weight={'x': np.ones(40)})
    with pytest.raises(TypeError, match=r'train_on_batch: class_weight must be a dict keyed by '
                                        r'output name'):
        graph.train_on_batch(data2(), class_weight=[{0: 1}])
    with pytest.raises(TypeError, match=r'fit: validation_data must be a data dict or a tuple'):
        graph.fit(data2(), nb_epoch=1, verbose=0, validation_data=(X, Y1, Y2))
