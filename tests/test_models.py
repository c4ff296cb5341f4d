"""symkeras.models: Sequential (Keras 1.2.2 semantics, 0.3 spellings), Model and the model
readers, through the public API with the real layers and real Keras 1.2.2 files."""
import json
import os
import warnings

import h5py
import numpy as np
import pytest

from symkeras import backend as K
from symkeras.engine.topology import InputLayer
from symkeras.callbacks import Callback
from symkeras.layers import Activation, Dense, Dropout, Input, Merge, merge
from symkeras.models import Model, Sequential, model_from_config, model_from_json, \
    model_from_yaml

FIXTURES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), '..', 'shared', 'data', 'keras-files')
RNG = np.random.RandomState(3)
X = RNG.rand(40, 784).astype('float32')
Y = np.eye(10, dtype='float32')[RNG.randint(0, 10, 40)]


def mnist_mlp():
    """Keras' examples/mnist_mlp.py architecture."""
    model = Sequential()
    model.add(Dense(512, input_shape=(784,)))
    model.add(Activation('relu'))
    model.add(Dropout(0.2))
    model.add(Dense(512))
    model.add(Activation('relu'))
    model.add(Dropout(0.2))
    model.add(Dense(10))
    model.add(Activation('softmax'))
    return model


def small(name=None):
    return Sequential([Dense(4, input_dim=3), Activation('relu'), Dense(2)], name=name)


def batches(x, y, size=10):
    while True:
        for i in range(0, len(x), size):
            yield x[i:i + size], y[i:i + size]


@pytest.fixture(scope='module')
def mlp():
    model = mnist_mlp()
    model.compile(loss='categorical_crossentropy', optimizer='rmsprop', metrics=['accuracy'])
    return model


# ----------------------------------------------------------------------------- building

def test_names_layers_and_input_layer():
    model = mnist_mlp()
    assert model.name.startswith('sequential_')
    assert len(model.layers) == 8 and not any(isinstance(l, InputLayer) for l in model.layers)
    first = model.get_layer(index=0)
    assert isinstance(first, InputLayer) and first.name.startswith('dense_input_')
    assert model.get_layer(model.layers[3].name) is model.layers[3]
    assert model.input_shape == (None, 784) and model.output_shape == (None, 10)
    assert model.input is model.inputs[0] and model.output is model.outputs[0]
    assert isinstance(model.model, Model) and model.model.name == model.name + '_model'
    assert model.count_params() == 784 * 512 + 512 + 512 * 512 + 512 + 5130
    assert model.uses_learning_phase
    assert Sequential(name='seq_x').name == 'seq_x'


def test_summary(capsys):
    model = mnist_mlp()
    model.summary(line_length=90, positions=[.4, .6, .75, 1.])
    out = capsys.readouterr().out
    assert 'InputLayer' not in out and '(Dense)' in out
    for layer in model.layers:
        assert layer.name in out
    assert 'Total params: %d' % model.count_params() in out.replace(',', '')


def test_add_errors():
    with pytest.raises(TypeError, match='instance of class Layer'):
        Sequential().add('dense')
    with pytest.raises(ValueError, match='input_shape'):
        Sequential().add(Dense(3))
    a = Input(shape=(2,))
    two = Model(a, [Dense(2)(a), Dense(2)(a)])
    with pytest.raises(ValueError, match='single output'):
        Sequential().add(two)
    model = small()
    with pytest.raises(TypeError, match='single output'):
        model.add(two)
    with pytest.raises(TypeError, match='model is empty'):
        Sequential().build()


def test_pop():
    model = small()
    model.pop()
    assert [type(l) for l in model.layers] == [Dense, Activation]
    assert model.output_shape == (None, 4)
    model.add(Dense(5))
    model.compile('sgd', 'mse')
    assert model.predict(np.ones((2, 3), 'float32')).shape == (2, 5)
    for _ in range(3):
        model.pop()
    assert model.layers == [] and model.outputs == []
    with pytest.raises(TypeError, match='no layers'):
        model.pop()


def test_weights_order_and_set_weights():
    model = small()
    weights = model.get_weights()
    assert [w.shape for w in weights] == [(3, 4), (4,), (4, 2), (2,)]
    new = [np.full(w.shape, i, 'float32') for i, w in enumerate(weights)]
    model.set_weights(new)
    for a, b in zip(model.get_weights(), new):
        np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match='expecting 4 weights'):
        model.set_weights(new[:2])
    assert model.flattened_layers == model.layers


def test_trainable_propagates():
    model = small()
    assert len(model.trainable_weights) == 4 and model.non_trainable_weights == []
    model.build()
    model.trainable = False
    assert model.trainable is False and model.model.trainable is False
    assert model.trainable_weights == [] and len(model.non_trainable_weights) == 4
    model.trainable = True
    assert model.model.trainable is True and len(model.trainable_weights) == 4


def test_aggregated_state():
    model = Sequential([Dense(2, input_dim=3, W_regularizer='l2', W_constraint='maxnorm')])
    assert len(model.losses) == 1 and len(model.constraints) == 1
    assert model.updates == [] and model.state_updates == []
    model.reset_states()
    assert not model.stateful


# ----------------------------------------------------------------------------- training

def test_mnist_mlp_fit_evaluate_predict(mlp):
    history = mlp.fit(X, Y, batch_size=16, nb_epoch=2, verbose=0, validation_split=0.25)
    assert set(history.history) == {'loss', 'acc', 'val_loss', 'val_acc'}
    assert mlp.history is history and len(history.history['loss']) == 2
    assert mlp.metrics_names == ['loss', 'acc'] and mlp.loss == 'categorical_crossentropy'
    assert mlp.optimizer.__class__.__name__ == 'RMSprop'
    assert mlp.stop_training is False
    loss, acc = mlp.evaluate(X, Y, batch_size=16, verbose=0)
    assert np.isfinite(loss) and 0 <= acc <= 1
    pred = mlp.predict(X, batch_size=16)
    assert pred.shape == (40, 10)
    np.testing.assert_allclose(pred.sum(axis=1), 1, rtol=1e-5)
    np.testing.assert_allclose(mlp.predict_on_batch(X), pred, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(mlp.predict_classes(X, verbose=0), pred.argmax(-1))
    np.testing.assert_allclose(mlp.predict_proba(X, verbose=0), pred, rtol=1e-6)
    out = mlp.train_on_batch(X[:8], Y[:8])
    assert len(out) == 2
    np.testing.assert_allclose(mlp.test_on_batch(X, Y), mlp.evaluate(X, Y, verbose=0),
                               rtol=1e-4)


def test_fit_with_validation_data_weights_and_initial_epoch(mlp):
    history = mlp.fit(X, Y, batch_size=20, nb_epoch=3, verbose=0, validation_data=(X, Y),
                      shuffle=False, class_weight={i: 1. for i in range(10)},
                      sample_weight=np.ones(40), initial_epoch=1)
    assert len(history.history['val_loss']) == 2


def test_generators(mlp):
    history = mlp.fit_generator(batches(X, Y), samples_per_epoch=40, nb_epoch=2, verbose=0,
                                validation_data=batches(X, Y), nb_val_samples=20)
    assert set(history.history) == {'loss', 'acc', 'val_loss', 'val_acc'}
    loss, acc = mlp.evaluate_generator(batches(X, Y), val_samples=40)
    np.testing.assert_allclose([loss, acc], mlp.evaluate(X, Y, verbose=0), rtol=1e-4)
    pred = mlp.predict_generator((x for x, _ in batches(X, Y)), val_samples=40)
    np.testing.assert_allclose(pred, mlp.predict(X), rtol=1e-5, atol=1e-6)


def test_deprecated_spellings_warn(mlp):
    with pytest.warns(DeprecationWarning, match='show_accuracy'):
        mlp.fit(X, Y, nb_epoch=1, verbose=0, show_accuracy=True)
    with pytest.warns(DeprecationWarning, match='show_accuracy'):
        mlp.evaluate(X, Y, verbose=0, show_accuracy=True)
    with pytest.warns(DeprecationWarning, match='accuracy'):
        mlp.train_on_batch(X, Y, accuracy=True)
    with pytest.warns(DeprecationWarning, match='accuracy'):
        mlp.test_on_batch(X, Y, accuracy=True)
    with pytest.warns(DeprecationWarning, match='nb_val_worker'):
        mlp.fit_generator(batches(X, Y), 40, 1, verbose=0, nb_val_worker=2)
    with pytest.warns(DeprecationWarning, match='show_accuracy'):
        mlp.fit_generator(batches(X, Y), 40, 1, verbose=0, show_accuracy=True)
    with pytest.warns(DeprecationWarning, match='verbose'):
        mlp.evaluate_generator(batches(X, Y), 40, verbose=1)
    with pytest.warns(DeprecationWarning, match='show_accuracy'):
        mlp.evaluate_generator(batches(X, Y), 40, show_accuracy=True)
    model = small()
    with pytest.warns(DeprecationWarning, match='class_mode'):
        model.compile('sgd', 'mse', class_mode='categorical')
    assert model.metrics_names == ['loss']


@pytest.mark.parametrize('method, args', [
    ('fit', (X, Y)), ('evaluate', (X, Y)), ('train_on_batch', (X, Y)),
    ('test_on_batch', (X, Y)), ('fit_generator', (batches(X, Y), 40, 1)),
    ('evaluate_generator', (batches(X, Y), 40))])
def test_unknown_kwargs_raise(mlp, method, args):
    with pytest.raises(TypeError, match='bogus'):
        getattr(mlp, method)(*args, bogus=1)


def test_training_needs_compile():
    with pytest.raises(RuntimeError, match='compiled'):
        small().fit(np.ones((2, 3)), np.ones((2, 2)))


def test_predict_proba_warns_and_binary_classes():
    model = Sequential([Dense(1, input_dim=3, activation='sigmoid')])
    model.compile('sgd', 'binary_crossentropy')
    x = np.random.rand(6, 3).astype('float32')
    p = model.predict_proba(x, verbose=0)
    np.testing.assert_array_equal(model.predict_classes(x, verbose=0), (p > 0.5).astype('int32'))
    model.set_weights([np.full((3, 1), 5., 'float32'), np.zeros(1, 'float32')])
    linear = Sequential([Dense(1, input_dim=3, weights=[np.full((3, 1), -5., 'float32'),
                                                         np.zeros(1, 'float32')])])
    linear.compile('sgd', 'mse')
    with pytest.warns(UserWarning, match='invalid probability'):
        linear.predict_proba(x, verbose=0)


# ----------------------------------------------------------------------------- nesting

def test_sequential_inside_sequential():
    inner = small()
    outer = Sequential([inner, Dense(1)])
    inner.compile('sgd', 'mse')
    outer.compile('sgd', 'mse')
    assert outer.output_shape == (None, 1) and outer.layers[0] is inner
    x = np.random.rand(5, 3).astype('float32')
    W, b = outer.layers[1].get_weights()
    np.testing.assert_allclose(outer.predict(x), inner.predict(x) @ W + b, rtol=1e-5)
    assert len(outer.get_weights()) == 6
    second = Sequential([Dense(3, input_dim=2), inner])
    second.compile('sgd', 'mse')
    assert second.output_shape == (None, 2) and second.predict(np.ones((1, 2))).shape == (1, 2)
    outer.fit(x, np.zeros((5, 1)), nb_epoch=1, verbose=0)
    config = outer.get_config()
    assert config[0]['class_name'] == 'Sequential' and isinstance(config[0]['config'], list)
    again = model_from_json(outer.to_json())
    again.compile('sgd', 'mse')
    again.set_weights(outer.get_weights())
    np.testing.assert_allclose(again.predict(x), outer.predict(x), rtol=1e-6)


def test_sequential_inside_functional_model():
    seq = small()
    a = Input(shape=(3,))
    b = Input(shape=(3,))
    out = merge([seq(a), seq(b)], mode='sum')
    model = Model([a, b], out)
    model.compile('sgd', 'mse')
    seq.compile('sgd', 'mse')
    x1, x2 = np.random.rand(4, 3).astype('float32'), np.random.rand(4, 3).astype('float32')
    np.testing.assert_allclose(model.predict([x1, x2]), seq.predict(x1) + seq.predict(x2),
                               rtol=1e-5)
    again = model_from_json(model.to_json())
    again.compile('sgd', 'mse')
    again.set_weights(model.get_weights())
    np.testing.assert_allclose(again.predict([x1, x2]), model.predict([x1, x2]), rtol=1e-6)


# ----------------------------------------------------------------------------- config and files

def test_get_config_from_config_json_yaml():
    model = mnist_mlp()
    config = model.get_config()
    assert isinstance(config, list) and len(config) == 8
    assert config[0]['class_name'] == 'Dense'
    assert tuple(config[0]['config']['batch_input_shape']) == (None, 784)
    x = X[:5]
    model.compile('sgd', 'mse')
    for again in (Sequential.from_config(config), model_from_config(config),
                  model_from_config({'class_name': 'Sequential', 'config': config}),
                  model_from_json(model.to_json()), model_from_yaml(model.to_yaml())):
        assert isinstance(again, Sequential)
        assert [l.name for l in again.layers] == [l.name for l in model.layers]
        again.set_weights(model.get_weights())
        again.compile('sgd', 'mse')
        np.testing.assert_allclose(again.predict(x), model.predict(x), rtol=1e-6)
    assert json.loads(model.to_json(indent=2))['class_name'] == 'Sequential'
    cache = {}
    one = Sequential.from_config(config, layer_cache=cache)
    assert cache[one.layers[0].name] is one.layers[0]


def test_from_config_legacy_entries_and_custom_objects():
    legacy = [{'name': 'Dense', 'custom_name': 'd_in', 'output_dim': 2, 'input_dim': 3,
               'batch_input_shape': [None, 3]}, {'name': 'Activation', 'activation': 'tanh'}]
    model = Sequential.from_config(legacy)
    assert [l.name for l in model.layers][0] == 'd_in' and model.output_shape == (None, 2)

    class MyDense(Dense):
        pass
    custom = [{'class_name': 'MyDense', 'config': {'output_dim': 2, 'input_dim': 3,
                                                   'batch_input_shape': [None, 3]}}]
    model = model_from_config(custom, custom_objects={'MyDense': MyDense})
    assert isinstance(model.layers[0], MyDense)
    with pytest.raises(TypeError, match='list of layer configs'):
        Sequential.from_config('dense')


def test_save_and_load_weights(tmp_path):
    model = small()
    path = str(tmp_path / 'w.h5')
    model.save_weights(path)
    with h5py.File(path, 'r') as f:
        names = [n.decode() for n in f.attrs['layer_names']]
    assert names == [l.name for l in model.layers]
    other = model_from_json(model.to_json())
    other.set_weights([np.zeros_like(w) for w in model.get_weights()])
    other.load_weights(path)
    for a, b in zip(other.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(a, b)


def fixture(name):
    return os.path.join(FIXTURES, name)


@pytest.mark.parametrize('fmt', ['json', 'yaml'])
def test_real_keras122_sequential(fmt):
    reader = model_from_json if fmt == 'json' else model_from_yaml
    model = reader(open(fixture('k122_sequential_mlp.' + fmt)).read())
    assert isinstance(model, Sequential)
    model.load_weights(fixture('k122_sequential_mlp_weights.h5'))
    model.compile('adam', 'categorical_crossentropy')
    io = np.load(fixture('k122_sequential_mlp_io.npz'))
    np.testing.assert_allclose(model.predict(io['in_0']), io['out_0'], atol=1e-5)
    ours = json.loads(model.to_json())['config']
    real = json.loads(open(fixture('k122_sequential_mlp.json')).read())['config']
    assert [c['class_name'] for c in ours] == [c['class_name'] for c in real]
    for mine, theirs in zip(ours, real):
        assert {k: mine['config'][k] for k in theirs['config']} == theirs['config']


def test_real_keras122_functional():
    model = model_from_json(open(fixture('k122_functional_2in_2out.json')).read())
    assert isinstance(model, Model) and not isinstance(model, Sequential)
    model.load_weights(fixture('k122_functional_2in_2out_weights.h5'))
    model.compile('sgd', 'mse')
    io = np.load(fixture('k122_functional_2in_2out_io.npz'))
    out = model.predict([io['in_0'], io['in_1']])
    np.testing.assert_allclose(out[0], io['out_0'], atol=1e-5)
    np.testing.assert_allclose(out[1], io['out_1'], atol=1e-5)


def test_backend_unchanged_by_building():
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        small().build()
    assert K.floatx() == 'float32'


def test_leading_legacy_merge_of_sequentials(tmp_path):
    a = Sequential([Dense(2, input_dim=3)])
    b = Sequential([Dense(2, input_dim=4)])
    model = Sequential([Merge([a, b], mode='concat'), Dense(1)])
    assert len(model.inputs) == 2 and model.output_shape == (None, 1)
    assert model.flattened_layers == [a.layers[0], b.layers[0], model.layers[1]]
    config = model.get_config()
    assert config[0]['class_name'] == 'Merge'
    assert [c['class_name'] for c in config[0]['config']['layers']] == ['Sequential'] * 2
    model.compile('sgd', 'mse')
    x = [np.random.rand(5, 3), np.random.rand(5, 4)]
    model.fit(x, np.zeros((5, 1)), nb_epoch=1, verbose=0)
    path = str(tmp_path / 'merge.h5')
    model.save_weights(path)
    again = model_from_json(model.to_json())
    again.compile('sgd', 'mse')
    again.load_weights(path)
    np.testing.assert_allclose(again.predict(x), model.predict(x), rtol=1e-6)


def test_callbacks_see_the_sequential(mlp):
    seen = []

    class Stop(Callback):
        def on_epoch_end(self, epoch, logs=None):
            seen.append(self.model)
            self.model.stop_training = True

    history = mlp.fit(X, Y, nb_epoch=5, verbose=0, callbacks=[Stop()])
    assert seen == [mlp] and len(history.history['loss']) == 1 and mlp.stop_training
