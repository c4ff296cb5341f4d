"""symkeras.engine.model_file: whole-model files (model.save, save_model, load_model) in Keras
1.2.2's layout, training that continues exactly after a round trip, large models, atomic
writes, and files that are damaged or from an unknown source."""
import json
import os

import h5py
import numpy as np
import pytest

import symkeras.backend as K
from symkeras import optimizers
from symkeras.engine import Input, Layer, merge, model_file
from symkeras.engine.model_file import load_model, save_model
from symkeras.layers import Dense, Lambda
from symkeras.models import Model, Sequential, model_from_json, model_from_yaml

from .test_keras_files import fixture

RNG = np.random.RandomState(3)
X = RNG.normal(size=(16, 4)).astype('float32')
Y = np.eye(3, dtype='float32')[RNG.randint(0, 3, size=16)]


def set_seeded_weights(model, seed=0):
    rng = np.random.RandomState(seed)
    model.set_weights([rng.normal(scale=0.5, size=w.shape).astype('float32')
                       for w in model.get_weights()])


def sequential(optimizer='adam', metrics=None, **compile_kwargs):
    model = Sequential([Dense(6, input_dim=4, activation='tanh'),
                        Dense(3, activation='softmax')])
    set_seeded_weights(model)
    if optimizer is not None:
        model.compile(optimizer, 'categorical_crossentropy', metrics=metrics, **compile_kwargs)
    return model


def functional():
    a, b = Input(shape=(4,), name='a'), Input(shape=(4,), name='b')
    h = merge([Dense(5, activation='tanh', name='ha')(a), Dense(5, name='hb')(b)],
              mode='concat', name='mrg')
    model = Model([a, b], [Dense(3, activation='softmax', name='out1')(h),
                           Dense(1, name='out2')(h)])
    set_seeded_weights(model, 1)
    return model


def assert_same_arrays(xs, ys):
    assert len(xs) == len(ys)
    for x, y in zip(xs, ys):
        np.testing.assert_array_equal(x, y)


def attrs(path):
    with h5py.File(path, 'r') as f:
        return dict(f.attrs)


def mean_pred(y_true, y_pred):
    return K.mean(y_pred)


def scaled_mse(y_true, y_pred):
    return K.mean(K.square(y_pred - y_true), axis=-1) * 2.


# ----------------------------------------------------------------------------- layout

def test_save_writes_keras_122s_layout(tmp_path):
    model = sequential(optimizers.SGD(lr=0.1, momentum=0.9), metrics=['accuracy'])
    model.train_on_batch(X, Y)
    path = str(tmp_path / 'm.h5')
    model.save(path)
    root = attrs(path)
    assert root['keras_version'] == '1.2.2'
    config = json.loads(root['model_config'])
    assert config == {'class_name': 'Sequential',
                      'config': json.loads(json.dumps(model.get_config()))}
    training = json.loads(root['training_config'])
    assert training == {'optimizer_config': {'class_name': 'SGD',
                                             'config': model.optimizer.get_config()},
                        'loss': 'categorical_crossentropy', 'metrics': ['accuracy'],
                        'sample_weight_mode': None, 'loss_weights': None}
    with h5py.File(path, 'r') as f:
        names = [n.decode() for n in f['model_weights'].attrs['layer_names']]
        assert names == [l.name for l in model.layers]
        group = f['optimizer_weights']
        opt_names = [n.decode() for n in group.attrs['weight_names']]
        values = [group[n][()] for n in opt_names]
    # iterations (a scalar), then one moment per trainable weight in name order.
    assert opt_names == ['param_%d' % i for i in range(5)]
    assert values[0].shape == () and values[0].dtype == np.float32
    params = sorted(model.trainable_weights, key=lambda w: w.name)
    assert [v.shape for v in values[1:]] == [K.get_value(p).shape for p in params]
    assert_same_arrays(values, model.optimizer.get_weights())


def test_uncompiled_model_has_no_training_config_and_loads_with_a_warning(tmp_path):
    model = sequential(optimizer=None)
    path = str(tmp_path / 'm.h5')
    save_model(model, path)
    assert 'training_config' not in attrs(path)
    with h5py.File(path, 'r') as f:
        assert 'optimizer_weights' not in f
    with pytest.warns(UserWarning, match='no training configuration in .*m.h5.*not\\* compiled'):
        loaded = load_model(path)
    assert isinstance(loaded, Sequential) and not hasattr(loaded, 'optimizer')
    assert_same_arrays(loaded.get_weights(), model.get_weights())
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))


def test_round_trip_of_a_functional_model_with_dicts_and_custom_objects(tmp_path):
    model = functional()
    model.compile(optimizers.RMSprop(lr=0.01, decay=0.1),
                  loss={'out1': 'categorical_crossentropy', 'out2': scaled_mse},
                  metrics={'out1': ['accuracy', mean_pred], 'out2': []},
                  loss_weights={'out1': 1., 'out2': 0.25},
                  sample_weight_mode={'out1': None, 'out2': None})
    data = [X, X[::-1]]
    targets = [Y, X[:, :1]]
    model.train_on_batch(data, targets)
    path = str(tmp_path / 'f.h5')
    model_file.save_model(model, path)
    training = json.loads(attrs(path)['training_config'])
    assert training['loss'] == {'out1': 'categorical_crossentropy', 'out2': 'scaled_mse'}
    assert training['metrics'] == {'out1': ['accuracy', 'mean_pred'], 'out2': []}
    custom = {'scaled_mse': scaled_mse, 'mean_pred': mean_pred}
    loaded = load_model(path, custom_objects=custom)
    assert isinstance(loaded, Model) and loaded.metrics_names == model.metrics_names
    assert loaded.loss == {'out1': 'categorical_crossentropy', 'out2': scaled_mse}
    assert loaded.loss_weights == {'out1': 1., 'out2': 0.25}
    assert_same_arrays(loaded.optimizer.get_weights(), model.optimizer.get_weights())
    assert_same_arrays(loaded.test_on_batch(data, targets), model.test_on_batch(data, targets))
    for missing, kind in (('scaled_mse', 'loss'), ('mean_pred', 'metric')):
        partial = {k: v for k, v in custom.items() if k != missing}
        with pytest.raises(ValueError, match="f.h5 with its training_config: unknown %s %r: "
                                             "pass it as custom_objects" % (kind, missing)):
            load_model(path, custom_objects=partial)


class Doubling(optimizers.SGD):
    """A user optimizer class, saved by its class name."""


def test_custom_optimizer_class_through_custom_objects(tmp_path):
    model = sequential(Doubling(lr=0.2))
    path = str(tmp_path / 'm.h5')
    model.save(path)
    loaded = load_model(path, custom_objects={'Doubling': Doubling})
    assert type(loaded.optimizer) is Doubling
    with pytest.raises(ValueError, match="m.h5 with its training_config: .*'Doubling'"):
        load_model(path)


def test_save_model_overwrite_false_asks_first(tmp_path, monkeypatch):
    model = sequential()
    path = str(tmp_path / 'm.h5')
    model.save(path, overwrite=False)      # no file yet: nothing is asked
    before = open(path, 'rb').read()
    set_seeded_weights(model, 7)
    monkeypatch.setattr('builtins.input', lambda prompt: 'n')
    model.save(path, overwrite=False)
    assert open(path, 'rb').read() == before
    monkeypatch.setattr('builtins.input', lambda prompt: 'y')
    save_model(model, path, overwrite=False)
    assert_same_arrays(load_model(path).get_weights(), model.get_weights())


# ----------------------------------------------------------------------------- training continues

@pytest.mark.parametrize('make_optimizer', [
    lambda: optimizers.Adam(lr=0.01),
    lambda: optimizers.SGD(lr=0.05, momentum=0.9, decay=0.01, nesterov=True),
    # Keras 1.2.2 saves no iteration count for these three (their `weights` are the
    # accumulators), so their lr decay would restart after loading: tested without decay.
    lambda: optimizers.RMSprop(lr=0.01),
    lambda: optimizers.Adagrad(lr=0.05),
    lambda: optimizers.Adadelta(),
    lambda: optimizers.Adamax(lr=0.01, decay=0.01),
])
def test_training_continues_exactly_after_a_round_trip(tmp_path, make_optimizer):
    """N steps, save, load, M steps == N + M steps without the round trip."""
    straight = sequential(make_optimizer())
    for _ in range(3):
        straight.train_on_batch(X, Y)
    path = str(tmp_path / 'm.h5')
    straight.save(path)
    resumed = load_model(path)
    assert_same_arrays(resumed.optimizer.get_weights(), straight.optimizer.get_weights())
    for step in range(4):
        batch = slice(4 * step, 4 * step + 8)
        assert straight.train_on_batch(X[batch], Y[batch]) == \
            resumed.train_on_batch(X[batch], Y[batch])
    assert_same_arrays(resumed.get_weights(), straight.get_weights())
    assert_same_arrays(resumed.optimizer.get_weights(), straight.optimizer.get_weights())


def test_keras122_file_trains_on_as_keras_would_from_its_state():
    """The fixture's Adam state is used: a step of the loaded model equals a step of the same
    model given the file's weights and optimizer state by hand (the dropout masks are the
    same: both models draw their seeds from numpy in the same order)."""
    path = fixture('k122_sequential_mlp_model.h5')
    np.random.seed(42)
    loaded = load_model(path)
    np.random.seed(42)
    by_hand = model_from_json(open(fixture('k122_sequential_mlp.json')).read())
    by_hand.compile(optimizers.Adam(beta_1=0.9, beta_2=0.999), 'categorical_crossentropy',
                    metrics=['accuracy'])
    by_hand.load_weights(path)
    with h5py.File(path, 'r') as f:
        group = f['optimizer_weights']
        by_hand.optimizer.set_weights([group['param_%d' % i][()] for i in range(9)])
    x = RNG.normal(size=(5, 8)).astype('float32')
    y = np.eye(3, dtype='float32')[[0, 1, 2, 1, 0]]
    fresh = model_from_json(open(fixture('k122_sequential_mlp.json')).read())
    fresh.compile(optimizers.Adam(), 'categorical_crossentropy')
    fresh.load_weights(path)
    for model in (loaded, by_hand, fresh):
        model.train_on_batch(x, y)
    assert_same_arrays(loaded.get_weights(), by_hand.get_weights())
    assert_same_arrays(loaded.optimizer.get_weights(), by_hand.optimizer.get_weights())
    # Without the state (a fresh Adam) the step differs.
    assert not np.allclose(loaded.get_weights()[0], fresh.get_weights()[0], atol=1e-6)


def test_a_keras03_graph_round_trips_and_trains_on(tmp_path):
    from symkeras.engine.graph import Graph
    graph = Graph()
    graph.add_input('a', input_shape=(4,))
    graph.add_node(Dense(5, activation='tanh'), name='h', input='a')
    graph.add_output('out', input='h')
    set_seeded_weights(graph, 2)
    graph.compile(optimizers.Adam(lr=0.01), {'out': 'mse'}, loss_weights={'out': 0.5})
    data = {'a': X, 'out': X[:, ::-1].dot(np.ones((4, 5), dtype='float32'))}
    graph.train_on_batch(data)
    path = str(tmp_path / 'g.h5')
    graph.save(path)
    training = json.loads(attrs(path)['training_config'])
    assert training['loss'] == {'out': 'mse'} and training['metrics'] is None
    assert training['loss_weights'] == {'out': 0.5} and training['sample_weight_mode'] == {}
    loaded = load_model(path)
    assert type(loaded) is Graph and loaded.loss_weights == {'out': 0.5}
    assert_same_arrays(loaded.optimizer.get_weights(), graph.optimizer.get_weights())
    for _ in range(2):
        assert graph.train_on_batch(data) == loaded.train_on_batch(data)
    assert_same_arrays(loaded.get_weights(), graph.get_weights())


# ----------------------------------------------------------------------------- large models

class ManyWeights(Layer):
    """A layer with `count` scalar-per-feature weights under long names."""

    def __init__(self, count=80, **kwargs):
        self.count = count
        super(ManyWeights, self).__init__(**kwargs)

    def build(self, input_shape):
        self.ws = [self.add_weight((input_shape[-1],), 'one', name='w%03d_%s' % (i, 'v' * 900))
                   for i in range(self.count)]

    def call(self, x, mask=None):
        return x * self.ws[0] + self.ws[-1]

    def get_config(self):
        config = super(ManyWeights, self).get_config()
        config['count'] = self.count
        return config


def test_long_name_lists_are_chunked_under_the_header_limit(tmp_path):
    x = Input(shape=(2,), name='x')
    y = ManyWeights(name='many')(x)
    for i in range(40):
        y = Dense(2, name='layer_%02d_%s' % (i, 'n' * 1800))(y)
    model = Model(x, y)
    set_seeded_weights(model, 5)
    model.compile('sgd', 'mse')
    path = str(tmp_path / 'big.h5')
    model.save(path)
    with h5py.File(path, 'r') as f:
        group = f['model_weights']
        assert 'layer_names' not in group.attrs
        chunks = sorted(k for k in group.attrs if k.startswith('layer_names'))
        assert len(chunks) >= 2 and chunks[0] == 'layer_names0'
        for key in chunks:
            assert group.attrs[key].nbytes <= 64512
        assert 'weight_names' not in group['many'].attrs
        assert 'weight_names0' in group['many'].attrs
    loaded = load_model(path, custom_objects={'ManyWeights': ManyWeights})
    assert [l.name for l in loaded.layers] == [l.name for l in model.layers]
    assert_same_arrays(loaded.get_weights(), model.get_weights())
    weights = str(tmp_path / 'big_weights.h5')
    model.save_weights(weights)
    for by_name in (False, True):
        other = Model.from_config(model.get_config(),
                                  custom_objects={'ManyWeights': ManyWeights})
        other.load_weights(weights, by_name=by_name)
        assert_same_arrays(other.get_weights(), model.get_weights())


def test_a_name_longer_than_the_header_limit_is_a_clear_error(tmp_path):
    x = Input(shape=(2,), name='x')
    model = Model(x, Dense(2, name='d' * 70000)(x))
    with pytest.raises(ValueError, match='the name .* is 70000 bytes long, over the HDF5 limit'):
        model.save_weights(str(tmp_path / 'w.h5'))
    assert os.listdir(str(tmp_path)) == []


# ----------------------------------------------------------------------------- atomic writes

def test_a_failing_save_leaves_the_previous_file(tmp_path, monkeypatch):
    model = sequential()
    path = str(tmp_path / 'm.h5')
    model.save(path)
    before = open(path, 'rb').read()
    set_seeded_weights(model, 9)
    real = K.batch_get_value
    calls = []

    def fail_on_optimizer_state(values):
        calls.append(len(values))
        if len(calls) > 2:          # model_weights are written; the optimizer state fails
            raise RuntimeError('disk full')
        return real(values)

    monkeypatch.setattr(K, 'batch_get_value', fail_on_optimizer_state)
    with pytest.raises(RuntimeError, match='disk full'):
        model.save(path)
    monkeypatch.undo()
    assert open(path, 'rb').read() == before
    assert os.listdir(str(tmp_path)) == ['m.h5']
    load_model(path)


# ----------------------------------------------------------------------------- bad files

@pytest.fixture
def saved(tmp_path):
    path = str(tmp_path / 'm.h5')
    sequential().save(path)
    return path


def edit_attr(path, key, value):
    with h5py.File(path, 'a') as f:
        if value is None:
            del f.attrs[key]
        else:
            f.attrs[key] = value


def test_files_that_are_not_hdf5_or_are_damaged(tmp_path, saved):
    text = tmp_path / 'notes.h5'
    text.write_text('just text')
    with pytest.raises(ValueError, match='load_model: .*notes.h5 is not a readable HDF5 file'):
        load_model(str(text))
    truncated = tmp_path / 'cut.h5'
    data = open(saved, 'rb').read()
    truncated.write_bytes(data[:len(data) // 2])
    with pytest.raises(ValueError, match='cut.h5 (is not a readable HDF5 file|is damaged)'):
        load_model(str(truncated))
    with pytest.raises(FileNotFoundError, match='load_model: no such file: .*absent.h5'):
        load_model(str(tmp_path / 'absent.h5'))
    with pytest.raises(ValueError, match='load_weights: .*notes.h5 is not a readable HDF5'):
        sequential().load_weights(str(text))


def test_files_without_or_with_a_broken_model_config(tmp_path, saved):
    weights = str(tmp_path / 'w.h5')
    sequential().save_weights(weights)
    with pytest.raises(ValueError, match='w.h5 has no model_config attribute.*load_weights'):
        load_model(weights)
    edit_attr(saved, 'model_config', '{"class_name": "Sequential", "config": [')
    with pytest.raises(ValueError, match='the model_config attribute of .*m.h5 is not valid '
                                         'JSON'):
        load_model(saved)
    edit_attr(saved, 'model_config', json.dumps({'class_name': 'Mystery', 'config': {}}))
    with pytest.raises(ValueError, match="cannot rebuild the model of .*m.h5 from its "
                                         "model_config: Unknown layer class: 'Mystery'"):
        load_model(saved)
    edit_attr(saved, 'model_config', json.dumps({'config': {}}))
    with pytest.raises(ValueError, match="m.h5 from its model_config: .*'class_name'"):
        load_model(saved)


def test_files_whose_weights_or_training_config_do_not_fit(tmp_path, saved):
    other = str(tmp_path / 'other.h5')
    Sequential([Dense(2, input_dim=4)]).save(other)
    with h5py.File(other, 'r') as f:
        small_config = f.attrs['model_config']
    edit_attr(saved, 'training_config', '[oops')
    with pytest.raises(ValueError, match='training_config attribute of .*m.h5 is not valid'):
        load_model(saved)
    edit_attr(saved, 'training_config', json.dumps({'optimizer_config': {
        'class_name': 'Teleport', 'config': {}}, 'loss': 'mse'}))
    with pytest.raises(ValueError, match="cannot compile the model of .*m.h5.*'Teleport'"):
        load_model(saved)
    edit_attr(other, 'model_config', json.loads(json.dumps(small_config)).replace(
        '"output_dim": 2', '"output_dim": 3'))
    with pytest.raises(ValueError, match='the model_weights of .*other.h5 do not fit its '
                                         'model_config'):
        load_model(other)
    broken = str(tmp_path / 'state.h5')
    sequential('adam').save(broken)
    with h5py.File(broken, 'a') as f:
        del f['optimizer_weights/param_4']
        f['optimizer_weights'].attrs['weight_names'] = [b'param_%d' % i for i in range(4)]
    with pytest.raises(ValueError, match='the optimizer_weights of .*state.h5 do not fit the '
                                         "model's optimizer: the file holds 4 optimizer weights; "
                                         "this model's Adam keeps 9"):
        load_model(broken)
    with h5py.File(broken, 'a') as f:
        del f['model_weights']
    with pytest.raises(ValueError, match='state.h5 has a model_config but no model_weights'):
        load_model(broken)


def test_saved_python_code_is_not_run_without_allow_code(tmp_path):
    x = Input(shape=(3,), name='x')
    model = Model(x, Lambda(lambda t: t * 2., output_shape=(3,), name='twice')(x))
    path = str(tmp_path / 'code.h5')
    model.save(path)
    with pytest.raises(ValueError, match='code.h5 from its model_config: .*allow_code=True'):
        load_model(path)
    with pytest.warns(UserWarning, match='no training configuration'):
        loaded = load_model(path, allow_code=True)
    data = np.ones((1, 3), dtype='float32')
    np.testing.assert_allclose(loaded.predict(data), 2 * data)


def test_yaml_with_python_tags_is_refused_without_running_them(tmp_path):
    import yaml
    marker = tmp_path / 'ran'
    for evil in ('name: Sequential\nlayers: !!python/object/apply:os.system ["touch %s"]\n',
                 'class_name: Sequential\nconfig: !!python/object/apply:os.system ["touch %s"]\n'):
        with pytest.raises(yaml.constructor.ConstructorError,
                           match='python/object/apply:os.system'):
            model_from_yaml(evil % marker)
    assert not marker.exists()


def test_recurrent_optimizer_state_is_stored_per_gate_as_keras_does(tmp_path):
    """Keras keeps one optimizer slot per trainable weight, and an LSTM's are its 12 per-gate
    blocks: the file stores the slots of symkeras' fused matrices as those blocks, in the
    layer's weight order, and loading puts them back, so training continues exactly."""
    import h5py
    from symkeras.layers import LSTM, Dense, Embedding
    rng = np.random.RandomState(0)
    x, y = rng.randint(1, 30, (8, 5)).astype('int32'), rng.rand(8, 1).astype('float32')

    def build():
        np.random.seed(1)
        model = Sequential([Embedding(30, 4, input_length=5), LSTM(3), Dense(1)])
        model.compile('adam', 'mse')
        return model
    model = build()
    model.train_on_batch(x, y)
    path = str(tmp_path / 'lstm.h5')
    model.save(path)
    with h5py.File(path, 'r') as f:
        stored = [f['optimizer_weights'][n][()] for n in
                  [n.decode() if isinstance(n, bytes) else n for n in f['optimizer_weights'].attrs['weight_names']]]
    # iterations, then m and v for the 15 weights Keras trains (the embedding, the 12 gate
    # blocks, the dense W and b), each group in the order of their names (Keras sorts them)
    assert len(stored) == 1 + 2 * 15
    keras_weights = sorted((w for layer in model.layers for w in layer.weights), key=lambda w: w.name)
    assert [a.shape for a in stored[1:16]] == [w.get_value().shape for w in keras_weights]
    assert [w.name[-4:] for w in keras_weights if w.name.startswith('lstm')][:3] == ['_U_c', '_U_f', '_U_i']
    loaded = load_model(path)
    model.train_on_batch(x, y)
    loaded.train_on_batch(x, y)
    for a, b in zip(model.get_weights(), loaded.get_weights()):
        np.testing.assert_array_equal(a, b)
