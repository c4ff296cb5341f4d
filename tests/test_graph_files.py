"""Files of a Keras 0.3.3 Graph: get_config / to_json / to_yaml in 0.3.3's Graph format and
Graph.from_config back, the 0.3.3 `graph/param_<n>` weights file, Graphs inside 1.x model
configs, and the Graph written by real Keras 0.3.3 (k033_graph fixture)."""
import json
import os

import h5py
import numpy as np
import pytest

from symkeras.engine import saving
from symkeras.layers import Activation, Dense, Dropout
from symkeras.models import (Graph, Model, Sequential, model_from_json, model_from_yaml)
from symkeras.engine.topology import Input

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.environ.get('SHARED_DATA') or os.path.join(ROOT, '..', 'shared', 'data')
FIXTURES = os.path.join(SHARED, 'keras-files')

RNG = np.random.RandomState(21)
XA = RNG.rand(6, 3).astype('float32')
XB = RNG.rand(6, 3).astype('float32')


def rich_graph():
    """A graph with every kind of node: merges, a shared node with and without merge_mode, a
    join, create_output, a nested graph, and an output merge."""
    inner = Graph()
    inner.add_input('i', input_shape=(2,))
    inner.add_node(Dense(2, activation='tanh'), 'inner_dense', input='i', create_output=True)
    graph = Graph()
    graph.add_input('a', input_shape=(3,))
    graph.add_input('b', batch_input_shape=(None, 3))
    graph.add_node(Dense(4, activation='relu'), 'da', input='a')
    graph.add_node(Dense(4), 'db', input='b')
    graph.add_node(Dropout(0.5), 'drop', inputs=['da', 'db'], merge_mode='concat')
    graph.add_shared_node(Dense(2), 'shared', inputs=['da', 'db'], merge_mode='ave')
    graph.add_shared_node(Dense(2), 'heads', inputs=['a', 'b'], outputs=['ha', 'hb'],
                          create_output=True)
    graph.add_shared_node(Activation('relu'), 'again', inputs=['heads'], merge_mode='sum',
                          create_output=True)
    graph.add_node(inner, 'nested', input='shared', create_output=True)
    graph.add_node(Dense(1), 'cosine', inputs=['ha', 'hb'], merge_mode='cos')
    graph.add_output('out', inputs=['drop', 'da'], merge_mode='concat')
    graph.add_output('dot', inputs=['ha', 'hb'], merge_mode='dot', dot_axes=[[1], [1]])
    graph.add_output('cos', input='cosine')
    return graph


def assert_same_predictions(g1, g2):
    p1, p2 = g1.predict({'a': XA, 'b': XB}), g2.predict({'a': XA, 'b': XB})
    assert set(p1) == set(p2)
    for k in p1:
        np.testing.assert_allclose(p1[k], p2[k], rtol=1e-6, atol=1e-7)


def test_config_is_0_3_3s_graph_format():
    graph = rich_graph()
    config = graph.get_config()
    assert config['name'] == 'Graph'
    assert config['input_order'] == ['a', 'b']
    assert config['output_order'] == ['ha', 'hb', 'again', 'nested', 'out', 'dot', 'cos']
    assert config['input_config'][1] == {'name': 'b', 'dtype': 'float',
                                         'batch_input_shape': (None, 3)}
    assert [c['name'] for c in config['node_config']] == [
        'da', 'db', 'drop', 'shared', 'heads', 'ha', 'hb', 'again', 'nested', 'cosine']
    assert config['node_config'][4] == {'name': 'heads', 'inputs': ['a', 'b'],
                                        'merge_mode': None, 'concat_axis': -1, 'dot_axes': -1,
                                        'create_output': False}
    assert config['node_config'][5] == {'name': 'ha', 'inputs': ['heads'], 'create_output': True}
    nodes = config['nodes']
    assert set(nodes) == set(c['name'] for c in config['node_config'])
    da = nodes['da']
    assert (da['name'], da['custom_name'], da['cache_enabled'], da['output_dim'],
            da['activation']) == ('Dense', 'da', True, 4, 'relu')
    assert nodes['shared']['name'] == 'Siamese' and nodes['shared']['merge_mode'] == 'ave'
    assert nodes['shared']['layer']['name'] == 'Dense'
    assert nodes['hb'] == {'name': 'SiameseHead', 'custom_name': 'hb', 'cache_enabled': True,
                           'head': 1}
    assert config['node_config'][7] == {'name': 'again', 'inputs': ['heads'],
                                        'merge_mode': 'sum', 'concat_axis': -1, 'dot_axes': -1,
                                        'create_output': True}
    assert nodes['nested']['name'] == 'Graph' and 'optimizer' not in nodes['nested']
    assert 'optimizer' not in config and 'loss' not in config


@pytest.mark.parametrize('fmt', ['json', 'yaml'])
def test_json_and_yaml_round_trips_give_identical_predictions(fmt):
    graph = rich_graph()
    if fmt == 'json':
        text = graph.to_json(indent=2)
        assert text.startswith('{\n  "name": "Graph"')
        config = json.loads(text)
    else:
        text = graph.to_yaml()
        assert '!!python/tuple' in text
        config = saving.load_yaml_config(text)
    rebuilt = Graph.from_config(config)
    assert rebuilt.get_config() == saving.load_yaml_config(graph.to_yaml())
    rebuilt.set_weights(graph.get_weights())
    assert_same_predictions(graph, rebuilt)


def test_compiled_config_recompiles():
    graph = Graph()
    graph.add_input('a', input_shape=(3,))
    graph.add_node(Dense(2), 'd', input='a', create_output=True)
    graph.add_output('e', input='d')
    graph.compile('rmsprop', {'d': 'mse', 'e': 'mae'}, loss_weights={'e': 0.5},
                  sample_weight_modes={'d': None})
    config = json.loads(graph.to_json())
    assert config['optimizer']['name'] == 'RMSprop'
    assert config['optimizer']['lr'] == pytest.approx(0.001)
    assert config['loss'] == {'d': 'mse', 'e': 'mae'}
    assert config['loss_weights'] == {'e': 0.5} and config['sample_weight_modes'] == {'d': None}
    rebuilt = Graph.from_config(config)
    assert type(rebuilt.optimizer).__name__ == 'RMSprop'
    assert rebuilt.loss == {'d': 'mse', 'e': 'mae'} and rebuilt.loss_weights == {'e': 0.5}
    rebuilt.set_weights(graph.get_weights())
    data = {'a': XA, 'd': XA[:, :2], 'e': XB[:, :2]}
    np.testing.assert_allclose(rebuilt.test_on_batch(data), graph.test_on_batch(data), rtol=1e-6)


def test_get_config_verbose_prints(capsys):
    graph = Graph()
    graph.add_input('a', input_shape=(3,))
    graph.add_output('o', input='a')
    graph.get_config(verbose=1)
    assert "'input_order': ['a']" in capsys.readouterr().out


def test_from_config_errors():
    with pytest.raises(ValueError, match=r'Graph.from_config: expected a Keras 0.3 Graph config '
                                         r"\(a dict with \"name\": \"Graph\"\); got \{'name': "
                                         r"'Sequential'\}"):
        Graph.from_config({'name': 'Sequential', 'layers': []})
    config = rich_graph().get_config()
    del config['nodes']['db']
    with pytest.raises(ValueError, match=r"Graph.from_config: node 'db' has no layer config"):
        Graph.from_config(config)
    config = rich_graph().get_config()
    config['output_order'] = ['out']
    with pytest.raises(ValueError, match=r"output_order is \['out'\], but the input/output "
                                         r"configs give"):
        Graph.from_config(config)
    with pytest.raises(ValueError, match=r"Graph.from_config: the config needs 'node_config' as "
                                         r"a list; got None"):
        Graph.from_config({'name': 'Graph', 'nodes': {}, 'input_config': []})


# ----------------------------------------------------------------------------- weights file

def test_weights_file_layout_and_round_trip(tmp_path):
    graph = rich_graph()
    path = str(tmp_path / 'graph.h5')
    graph.save_weights(path)
    weights = graph.get_weights()
    with h5py.File(path, 'r') as f:
        assert list(f.keys()) == ['graph']
        assert f['graph'].attrs['nb_params'] == len(weights) == 12
        assert f['graph'].attrs['nb_params'].dtype == np.int64
        for n, w in enumerate(weights):
            np.testing.assert_array_equal(f['graph/param_%d' % n][()], w)
    # order: nodes in insertion order, each node's weights in order
    assert [w.shape for w in weights] == [(3, 4), (4,), (3, 4), (4,), (4, 2), (2,), (3, 2), (2,),
                                          (2, 2), (2,), (1, 1), (1,)]
    other = Graph.from_config(graph.get_config())
    other.load_weights(path)
    assert_same_predictions(graph, other)
    assert os.listdir(str(tmp_path)) == ['graph.h5']      # written atomically, no leftovers


def test_save_weights_asks_before_overwriting(tmp_path, monkeypatch):
    graph = rich_graph()
    path = str(tmp_path / 'w.h5')
    with open(path, 'w') as f:
        f.write('keep me')
    monkeypatch.setattr('builtins.input', lambda prompt='': 'n')
    graph.save_weights(path)
    assert open(path).read() == 'keep me'
    monkeypatch.setattr('builtins.input', lambda prompt='': 'y')
    graph.save_weights(path)
    assert h5py.is_hdf5(path)
    graph.save_weights(path, overwrite=True)
    assert h5py.is_hdf5(path)


def test_load_weights_errors(tmp_path):
    graph = rich_graph()
    seq = Sequential([Dense(2, input_dim=3)])
    path = str(tmp_path / 'seq.h5')
    seq.save_weights(path)
    with pytest.raises(ValueError, match=r'Graph "graph_\d+".load_weights: .*seq.h5 is not a '
                                         r'Keras 0.3 Graph weights file'):
        graph.load_weights(path)
    small = Graph()
    small.add_input('a', input_shape=(3,))
    small.add_node(Dense(2), 'd', input='a', create_output=True)
    small.save_weights(str(tmp_path / 'small.h5'))
    with pytest.raises(ValueError, match=r'set_weights: got a list of 2 weight arrays; the graph '
                                         r'has 12'):
        graph.load_weights(str(tmp_path / 'small.h5'))


# ----------------------------------------------------------------------------- in 1.x models

def small_graph():
    graph = Graph()
    graph.add_input('x', input_shape=(3,))
    graph.add_node(Dense(2, activation='tanh'), 'd', input='x', create_output=True)
    return graph


def test_graph_inside_a_functional_model_config_round_trip():
    x = Input(shape=(3,))
    graph = small_graph()
    y = Dense(1)(graph(x))
    model = Model(x, y)
    config = json.loads(model.to_json())
    entry = next(l for l in config['config']['layers'] if l['class_name'] == 'Graph')
    assert entry['config']['name'] == 'Graph'
    rebuilt = model_from_json(model.to_json())
    rebuilt.set_weights(model.get_weights())
    np.testing.assert_allclose(rebuilt.predict(XA), model.predict(XA), rtol=1e-6)


def test_graph_inside_a_sequential_config_round_trip():
    model = Sequential([small_graph(), Activation('relu')])
    rebuilt = model_from_yaml(model.to_yaml())
    rebuilt.set_weights(model.get_weights())
    np.testing.assert_allclose(rebuilt.predict(XA), model.predict(XA), rtol=1e-6)


# ----------------------------------------------------------------------------- Keras 0.3.3's file

def fixture(name):
    return os.path.join(FIXTURES, name)


@pytest.mark.parametrize('fmt', ['json', 'yaml'])
def test_keras_0_3_3_graph_fixture(fmt):
    with open(fixture('k033_graph.' + fmt)) as f:
        text = f.read()
    config = json.loads(text) if fmt == 'json' else saving.load_yaml_config(text)
    graph = Graph.from_config(config)
    graph.load_weights(fixture('k033_graph_weights.h5'))
    io = np.load(fixture('k033_graph_io.npz'))
    out = graph.predict({'a': io['in_a'], 'b': io['in_b']})
    assert set(out) == {'out', 'aux'} and graph.output_order == ['out', 'aux']
    for name in out:
        np.testing.assert_allclose(out[name], io['out_' + name], rtol=1e-5, atol=1e-5)
    # compiled from the config, as 0.3.3's model_from_json did
    assert type(graph.optimizer).__name__ == 'SGD' and graph.loss == {'out': 'mse', 'aux': 'mse'}
    assert graph.get_config()['node_config'] == config['node_config']
    # and through the generic readers
    reader = model_from_json if fmt == 'json' else model_from_yaml
    model = reader(text)
    assert isinstance(model, Graph)
    model.load_weights(fixture('k033_graph_weights.h5'))
    for name, value in model.predict({'a': io['in_a'], 'b': io['in_b']}).items():
        np.testing.assert_allclose(value, io['out_' + name], rtol=1e-5, atol=1e-5)
