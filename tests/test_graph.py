"""Keras 0.3.3's Graph (symkeras.engine.graph): the seed's examples, building with add_input /
add_node / add_shared_node / add_output, every merge mode against numpy, 'join', shared
nodes, create_output, nesting in a Sequential and in another Graph, and the errors."""
from collections import OrderedDict

import numpy as np
import pytest

from symkeras import backend as K
from symkeras.engine.graph import Graph as EngineGraph
from symkeras.engine.topology import InputLayer, Layer
from symkeras.layers import Activation, Dense
from symkeras.legacy.models import Graph as LegacyGraph
from symkeras.models import Graph, Model, Sequential

RNG = np.random.RandomState(3)
XA = RNG.rand(7, 3).astype('float32')
XB = RNG.rand(7, 3).astype('float32')


def fixed_dense(units, input_dim, seed, **kwargs):
    rng = np.random.RandomState(seed)
    W = rng.randn(input_dim, units).astype('float32')
    b = rng.randn(units).astype('float32')
    return Dense(units, weights=[W, b], **kwargs), W, b


class SumList(Layer):
    """A layer with several inputs: the sum of the list it is called on."""

    def call(self, x, mask=None):
        total = x[0]
        for t in x[1:]:
            total = total + t
        return total

    def get_output_shape_for(self, input_shape):
        return input_shape[0]

    def compute_mask(self, x, mask=None):
        return None


def two_input_graph():
    graph = Graph()
    graph.add_input('a', input_shape=(3,))
    graph.add_input('b', input_shape=(3,))
    return graph


# ----------------------------------------------------------------------------- the seed

def test_seed_example_one_input_two_outputs_trains_and_predicts_a_dict():
    X_train = RNG.rand(200, 32).astype('float32')
    y_train = RNG.rand(200, 4).astype('float32')
    y2_train = RNG.rand(200, 4).astype('float32')
    graph = Graph()
    graph.add_input(name='input', input_shape=(32,))
    graph.add_node(Dense(16), name='dense1', input='input')
    graph.add_node(Dense(4), name='dense2', input='input')
    graph.add_node(Dense(4), name='dense3', input='dense1')
    graph.add_output(name='output1', input='dense2')
    graph.add_output(name='output2', input='dense3')

    graph.compile(optimizer='rmsprop', loss={'output1': 'mse', 'output2': 'mse'})
    history = graph.fit({'input': X_train, 'output1': y_train, 'output2': y2_train},
                        nb_epoch=10, verbose=0)
    losses = history.history['loss']
    assert len(losses) == 10 and losses[-1] < losses[0] * 0.7
    assert set(history.history) == {'loss'}
    predictions = graph.predict({'input': X_train})
    assert set(predictions) == {'output1', 'output2'}
    assert predictions['output1'].shape == (200, 4) and predictions['output2'].shape == (200, 4)


def test_seed_example_two_inputs_sum_output():
    X_train, X2_train = RNG.rand(150, 32).astype('float32'), RNG.rand(150, 32).astype('float32')
    y_train = RNG.rand(150, 4).astype('float32')
    graph = Graph()
    graph.add_input(name='input1', input_shape=(32,))
    graph.add_input(name='input2', input_shape=(32,))
    graph.add_node(Dense(16), name='dense1', input='input1')
    graph.add_node(Dense(4), name='dense2', input='input2')
    graph.add_node(Dense(4), name='dense3', input='dense1')
    graph.add_output(name='output', inputs=['dense2', 'dense3'], merge_mode='sum')
    graph.compile(optimizer='rmsprop', loss={'output': 'mse'})

    history = graph.fit({'input1': X_train, 'input2': X2_train, 'output': y_train}, nb_epoch=10,
                        verbose=0)
    assert history.history['loss'][-1] < history.history['loss'][0] * 0.7
    predictions = graph.predict({'input1': X_train[:5], 'input2': X2_train[:5]})
    assert list(predictions) == ['output'] and predictions['output'].shape == (5, 4)
    d2, d3 = graph.nodes['dense2'], graph.nodes['dense3']
    W1, b1 = graph.nodes['dense1'].get_weights()
    W2, b2 = d2.get_weights()
    W3, b3 = d3.get_weights()
    want = X2_train[:5] @ W2 + b2 + (X_train[:5] @ W1 + b1) @ W3 + b3
    np.testing.assert_allclose(predictions['output'], want, rtol=1e-5, atol=1e-5)


def test_graph_is_exported_by_models_and_legacy_models():
    assert Graph is EngineGraph is LegacyGraph
    assert issubclass(Graph, Model)


# ----------------------------------------------------------------------------- attributes

def test_attributes_after_building():
    graph = two_input_graph()
    da, _, _ = fixed_dense(4, 3, 0)
    graph.add_node(da, name='da', input='a')
    graph.add_node(Activation('tanh'), name='act', inputs=['da', 'b'], merge_mode='concat')
    graph.add_output('out', input='act')
    graph.add_output('first', input='a')
    assert isinstance(graph.nodes, OrderedDict) and list(graph.nodes) == ['da', 'act']
    assert graph.nodes['da'] is da and da.name == 'da'
    assert list(graph.inputs) == ['a', 'b'] and isinstance(graph.inputs['a'], InputLayer)
    assert graph.input_order == ['a', 'b'] and graph.output_order == ['out', 'first']
    assert graph.outputs['out'] is graph.nodes['act']
    assert graph.outputs['first'] is graph.inputs['a']
    assert graph.nb_input == 2 and graph.nb_output == 2
    assert graph.input_shape == {'a': (None, 3), 'b': (None, 3)}
    assert graph.output_shape == {'out': (None, 7), 'first': (None, 3)}
    assert graph.namespace == {'a', 'b', 'da', 'act'}
    assert graph.node_config[1] == {'name': 'act', 'input': None, 'inputs': ['da', 'b'],
                                    'merge_mode': 'concat', 'concat_axis': -1, 'dot_axes': -1,
                                    'create_output': False}
    assert graph.input_config == [{'name': 'a', 'dtype': 'float', 'input_shape': (3,)},
                                  {'name': 'b', 'dtype': 'float', 'input_shape': (3,)}]
    assert [c['name'] for c in graph.output_config] == ['out', 'first']
    assert graph.get_layer('merge_inputs_for_act').mode == 'concat'
    assert 'merge_inputs_for_act' in [layer.name for layer in graph.layers]
    out = graph.predict({'a': XA, 'b': XB})
    np.testing.assert_allclose(out['first'], XA)


def test_single_input_and_output_shapes_are_tuples():
    graph = Graph(name='g_named')
    graph.add_input('x', batch_input_shape=(None, 5))
    graph.add_node(Dense(2), 'd', input='x', create_output=True)
    assert graph.name == 'g_named'
    assert graph.input_shape == (None, 5) and graph.output_shape == (None, 2)
    assert graph.input_config == [{'name': 'x', 'dtype': 'float', 'batch_input_shape': (None, 5)}]
    assert graph.output_order == ['d'] and graph.node_config[0]['create_output'] is True
    assert graph.output_config == [{'name': 'd', 'input': 'd', 'inputs': [], 'merge_mode': 'concat',
                                    'concat_axis': -1, 'dot_axes': -1}]


def test_int_input_for_embedding_indices():
    graph = Graph()
    graph.add_input('idx', input_shape=(4,), dtype='int')
    graph.add_output('same', input='idx')
    assert K.dtype(graph.inputs['idx'].output) == 'int32'
    out = graph.predict({'idx': np.arange(8).reshape(2, 4)})
    np.testing.assert_array_equal(out['same'], np.arange(8).reshape(2, 4))
    assert graph.input_config[0]['dtype'] == 'int'


# ----------------------------------------------------------------------------- merge modes

def _norm(x):
    return np.sqrt((x * x).sum(-1, keepdims=True))


@pytest.mark.parametrize('mode, shape, reference', [
    ('sum', (None, 3), lambda a, b: a + b),
    ('mul', (None, 3), lambda a, b: a * b),
    ('ave', (None, 3), lambda a, b: (a + b) / 2),
    ('concat', (None, 6), lambda a, b: np.concatenate([a, b], -1)),
    ('dot', (None, 1), lambda a, b: (a * b).sum(-1, keepdims=True)),
    ('cos', (None, 1), lambda a, b: (a * b).sum(-1, keepdims=True) / (_norm(a) * _norm(b))),
])
def test_merge_modes_in_nodes_and_outputs(mode, shape, reference):
    graph = two_input_graph()
    graph.add_node(Activation('linear'), name='node', inputs=['a', 'b'], merge_mode=mode)
    graph.add_output('from_node', input='node')
    graph.add_node(Activation('linear'), name='ia', input='a')
    graph.add_node(Activation('linear'), name='ib', input='b')
    graph.add_output('merged', inputs=['ia', 'ib'], merge_mode=mode)
    assert graph.output_shape == {'from_node': shape, 'merged': shape}
    out = graph.predict({'a': XA, 'b': XB})
    want = reference(XA, XB)
    assert out['from_node'].shape == (7,) + shape[1:]
    np.testing.assert_allclose(out['from_node'], want, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(out['merged'], want, rtol=1e-5, atol=1e-6)


def test_concat_axis_and_dot_axes_forms():
    graph = Graph()
    graph.add_input('a', input_shape=(2, 3))
    graph.add_input('b', input_shape=(4, 3))
    graph.add_node(Activation('linear'), 'cat', inputs=['a', 'b'], concat_axis=1,
                   create_output=True)
    graph.add_input('c', input_shape=(3,))
    graph.add_input('d', input_shape=(3,))
    graph.add_node(Activation('linear'), 'dot_pairs', inputs=['c', 'd'], merge_mode='dot',
                   dot_axes=[[1], [1]], create_output=True)
    graph.add_node(Activation('linear'), 'dot_ints', inputs=['c', 'd'], merge_mode='dot',
                   dot_axes=[1, 1], create_output=True)
    assert graph.output_shape['cat'] == (None, 6, 3)
    a, b = RNG.rand(5, 2, 3), RNG.rand(5, 4, 3)
    out = graph.predict({'a': a, 'b': b, 'c': XA[:5], 'd': XB[:5]})
    np.testing.assert_allclose(out['cat'], np.concatenate([a, b], 1), rtol=1e-6)
    dots = (XA[:5] * XB[:5]).sum(-1, keepdims=True)
    np.testing.assert_allclose(out['dot_pairs'], dots, rtol=1e-5)
    np.testing.assert_allclose(out['dot_ints'], dots, rtol=1e-5)


def test_join_calls_the_layer_on_the_list():
    graph = two_input_graph()
    graph.add_node(SumList(), name='joined', inputs=['a', 'b'], merge_mode='join',
                   create_output=True)
    out = graph.predict({'a': XA, 'b': XB})
    np.testing.assert_allclose(out['joined'], XA + XB, rtol=1e-6)
    assert 'merge_inputs_for_joined' not in [layer.name for layer in graph.layers]


def test_join_feeds_a_graph_with_several_inputs():
    inner = two_input_graph()
    inner.add_node(Activation('linear'), 'diff_a', input='a')
    inner.add_node(Activation('linear'), 'neg_b', input='b')
    inner.add_output('o', inputs=['diff_a', 'neg_b'], merge_mode='mul')
    outer = Graph()
    outer.add_input('x', input_shape=(3,))
    outer.add_input('y', input_shape=(3,))
    outer.add_node(inner, 'inner', inputs=['x', 'y'], merge_mode='join', create_output=True)
    out = outer.predict({'x': XA, 'y': XB})
    np.testing.assert_allclose(out['inner'], XA * XB, rtol=1e-6)


def test_join_errors():
    graph = two_input_graph()
    graph.add_shared_node(Activation('relu'), 'j', inputs=['a', 'b'], merge_mode='join')
    graph.add_node(SumList(), 'summed', input='j', create_output=True)
    np.testing.assert_allclose(graph.predict({'a': XA - .5, 'b': XB})['summed'],
                               np.maximum(XA - .5, 0) + XB, rtol=1e-6)
    with pytest.raises(ValueError, match=r'Graph "graph_\d+".add_output: .*join of 2 tensors'):
        graph.add_output('bad', input='j')
    with pytest.raises(ValueError, match=r'add_node: inputs: node .j. is a join'):
        graph.add_node(Activation('linear'), 'bad', inputs=['j', 'a'])
    with pytest.raises(ValueError, match=r'add_output: merge_mode "join" gives a list'):
        graph.add_output('bad', inputs=['summed', 'a'], merge_mode='join')
    with pytest.raises(ValueError, match=r'add_shared_node: create_output: a "join"'):
        graph.add_shared_node(Activation('relu'), 'j2', inputs=['a', 'b'], merge_mode='join',
                              create_output=True)
    with pytest.raises(ValueError, match=r'add_node: create_output: node .j3. gives 2'):
        graph.add_node(Activation('linear'), 'j3', inputs=['a', 'b'], merge_mode='join',
                       create_output=True)


# ----------------------------------------------------------------------------- shared nodes

def test_shared_node_with_merge_mode():
    shared, W, b = fixed_dense(2, 3, 1)
    graph = two_input_graph()
    graph.add_shared_node(shared, name='shared', inputs=['a', 'b'], merge_mode='sum',
                          create_output=True)
    assert shared.name == 'shared' and graph.nodes['shared'] is shared
    assert graph.node_config == [{'name': 'shared', 'inputs': ['a', 'b'], 'merge_mode': 'sum',
                                  'concat_axis': -1, 'dot_axes': -1, 'create_output': True}]
    out = graph.predict({'a': XA, 'b': XB})
    np.testing.assert_allclose(out['shared'], XA @ W + b + XB @ W + b, rtol=1e-5, atol=1e-6)
    assert len(graph.get_weights()) == 2 and graph.count_params() == 8


def test_shared_node_without_merge_mode_gives_named_results():
    shared, W, b = fixed_dense(2, 3, 2)
    graph = two_input_graph()
    graph.add_shared_node(shared, name='shared', inputs=['a', 'b'],
                          outputs=['sa', 'sb'], create_output=True)
    assert graph.output_order == ['sa', 'sb']
    assert graph.nodes['sa'] is shared and graph.nodes['sb'] is shared
    assert graph.node_config[1:] == [{'name': 'sa', 'inputs': ['shared'], 'create_output': True},
                                     {'name': 'sb', 'inputs': ['shared'], 'create_output': True}]
    out = graph.predict({'a': XA, 'b': XB})
    np.testing.assert_allclose(out['sa'], XA @ W + b, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(out['sb'], XB @ W + b, rtol=1e-5, atol=1e-6)
    assert len(graph.get_weights()) == 2
    # The shared node's name stands for all its results in another shared node's inputs.
    graph.add_shared_node(Activation('linear'), 'again', inputs=['shared'], merge_mode='ave',
                          create_output=True)
    np.testing.assert_allclose(graph.predict({'a': XA, 'b': XB})['again'],
                               (XA @ W + XB @ W) / 2 + b, rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match=r'add_node: input: shared node .shared. has no output '
                                         r"of its own .*\['sa', 'sb'\]"):
        graph.add_node(Dense(1), 'bad', input='shared')


def test_shared_node_errors():
    graph = two_input_graph()
    with pytest.raises(ValueError, match=r"add_shared_node: with merge_mode=None, give one name "
                                         r"in `outputs` per input: inputs=\['a', 'b'\]"):
        graph.add_shared_node(Dense(2), 's', inputs=['a', 'b'], outputs=['x'])
    with pytest.raises(ValueError, match=r'add_shared_node: merging .* needs at least 2 inputs'):
        graph.add_shared_node(Dense(2), 's', inputs=['a'], merge_mode='sum')
    with pytest.raises(ValueError, match=r"outputs=\['x'\] are only used with merge_mode=None"):
        graph.add_shared_node(Dense(2), 's', inputs=['a', 'b'], merge_mode='sum', outputs=['x'])
    with pytest.raises(ValueError, match=r"duplicate node identifier outputs='a'"):
        graph.add_shared_node(Dense(2), 's', inputs=['a', 'b'], outputs=['a', 'x'])
    with pytest.raises(ValueError, match=r"must be distinct and differ from name='s'"):
        graph.add_shared_node(Dense(2), 's', inputs=['a', 'b'], outputs=['s', 'x'])
    with pytest.raises(ValueError, match=r"invalid merge_mode 'max'.* or None"):
        graph.add_shared_node(Dense(2), 's', inputs=['a', 'b'], merge_mode='max')
    with pytest.raises(TypeError, match=r'add_shared_node: layer must be a Layer'):
        graph.add_shared_node('dense', 's', inputs=['a', 'b'], merge_mode='sum')
    with pytest.raises(TypeError, match=r'add_shared_node: inputs and outputs must be lists'):
        graph.add_shared_node(Dense(2), 's', inputs='a', merge_mode='sum')
    assert not graph.nodes and graph.namespace == {'a', 'b'}
    graph.add_node(Dense(2), 'd', input='a')
    with pytest.raises(ValueError, match=r"add_shared_node: layer 'd' is already node 'd'"):
        graph.add_shared_node(graph.nodes['d'], 's', inputs=['a', 'b'], merge_mode='sum')


# ----------------------------------------------------------------------------- nesting

def inner_graph(seed):
    dense, W, b = fixed_dense(2, 3, seed)
    graph = Graph()
    graph.add_input('in', input_shape=(3,))
    graph.add_node(dense, 'd', input='in')
    graph.add_node(Activation('tanh'), 't', input='d', create_output=True)
    return graph, W, b


def test_graph_as_first_and_later_layer_of_a_sequential():
    inner, W, b = inner_graph(4)
    model = Sequential([inner, Dense(1, weights=[np.ones((2, 1), 'float32'), np.zeros(1, 'f')])])
    np.testing.assert_allclose(model.predict(XA), np.tanh(XA @ W + b).sum(-1, keepdims=True),
                               rtol=1e-5, atol=1e-6)
    inner2, W2, b2 = inner_graph(5)
    model2 = Sequential([Activation('linear', input_shape=(3,)), inner2])
    np.testing.assert_allclose(model2.predict(XA), np.tanh(XA @ W2 + b2), rtol=1e-5, atol=1e-6)
    assert len(model2.get_weights()) == 2 and model2.count_params() == 8
    model2.compile('sgd', 'mse')
    before = inner2.get_weights()[0].copy()
    model2.train_on_batch(XA, np.zeros((7, 2), 'float32'))
    assert not np.allclose(inner2.get_weights()[0], before)


def test_graph_as_node_of_a_graph():
    inner, W, b = inner_graph(6)
    outer = Graph()
    outer.add_input('x', input_shape=(3,))
    outer.add_node(inner, 'sub', input='x')
    outer.add_node(Activation('relu'), 'r', input='sub', create_output=True)
    assert inner.name == 'sub' and outer.nodes['sub'] is inner
    np.testing.assert_allclose(outer.predict({'x': XA})['r'],
                               np.maximum(np.tanh(XA @ W + b), 0), rtol=1e-5, atol=1e-6)
    assert [w.shape for w in outer.get_weights()] == [(3, 2), (2,)]
    outer.compile('sgd', {'r': 'mse'})
    outer.train_on_batch({'x': XA, 'r': np.ones((7, 2), 'float32')})
    assert not np.allclose(inner.get_weights()[0], W)
    with pytest.raises(RuntimeError, match=r'Graph "sub".add_node: the graph is already used '
                                           r'as a layer'):
        inner.add_node(Dense(1), 'more', input='t')


# ----------------------------------------------------------------------------- errors

def test_building_errors_name_the_graph_argument_and_values():
    graph = Graph(name='g')
    with pytest.raises(ValueError, match=r"Graph \"g\".add_input: input 'a' needs an "
                                         r"input_shape or a batch_input_shape"):
        graph.add_input('a')
    with pytest.raises(ValueError, match=r'add_input: dtype "int" can only be used for 2-D '
                                         r'inputs.*\(None, 2, 3\)'):
        graph.add_input('a', input_shape=(2, 3), dtype='int')
    with pytest.raises(ValueError, match=r"add_input: dtype must be \"float\" or \"int\"; got "
                                         r"'double'"):
        graph.add_input('a', input_shape=(3,), dtype='double')
    with pytest.raises(TypeError, match=r'add_input: name must be a non-empty string; got 3'):
        graph.add_input(3, input_shape=(3,))
    graph.add_input('a', input_shape=(3,))
    graph.add_input('b', input_shape=(3,))
    with pytest.raises(ValueError, match=r"add_input: duplicate node identifier name='a'"):
        graph.add_input('a', input_shape=(3,))
    with pytest.raises(RuntimeError, match=r'Graph "g" needs at least one input and one output'):
        graph.predict({'a': XA, 'b': XB})
    graph.add_node(Dense(2), 'd', input='a')
    with pytest.raises(ValueError, match=r"add_node: duplicate node identifier name='d'"):
        graph.add_node(Dense(2), 'd', input='a')
    with pytest.raises(ValueError, match=r"add_node: duplicate node identifier name='a'"):
        graph.add_node(Dense(2), 'a', input='b')
    with pytest.raises(ValueError, match=r"add_node: unknown node/input identifier input='nope'; "
                                         r"the graph has inputs \['a', 'b'\] and nodes \['d'\]"):
        graph.add_node(Dense(2), 'e', input='nope')
    # A node can only use names defined before it, so no cycle can be built.
    with pytest.raises(ValueError, match=r"unknown node/input identifier input='self_loop'"):
        graph.add_node(Dense(2), 'self_loop', input='self_loop')
    with pytest.raises(ValueError, match=r"unknown node/input identifier inputs='later'"):
        graph.add_node(Dense(2), 'e', inputs=['a', 'later'])
    with pytest.raises(ValueError, match=r"add_node: give either input='a' or inputs=\['b'\]"):
        graph.add_node(Dense(2), 'e', input='a', inputs=['b'])
    with pytest.raises(ValueError, match=r'add_node: give the name of the incoming input'):
        graph.add_node(Dense(2), 'e')
    with pytest.raises(ValueError, match=r"add_node: invalid merge_mode 'max'; expected one of "
                                         r"sum, mul, concat, ave, join, cos, dot"):
        graph.add_node(Dense(2), 'e', inputs=['a', 'b'], merge_mode='max')
    with pytest.raises(ValueError, match=r"add_node: merging \(merge_mode='sum'\) needs at least "
                                         r"2 inputs; got \['a'\]"):
        graph.add_node(Dense(2), 'e', inputs=['a'], merge_mode='sum')
    with pytest.raises(ValueError, match=r"add_node: cannot merge \['d', 'b'\]: .*same output "
                                         r"shape"):
        graph.add_node(Dense(2), 'e', inputs=['d', 'b'], merge_mode='sum')
    with pytest.raises(TypeError, match=r'add_node: layer must be a Layer instance'):
        graph.add_node('dense', 'e', input='a')
    with pytest.raises(ValueError, match=r"layer 'd' is already node 'd' of the graph; use "
                                         r"add_shared_node"):
        graph.add_node(graph.nodes['d'], 'e', input='b')
    with pytest.raises(ValueError, match=r"layer name\(s\) \['merge_inputs_for_x'\] already "
                                         r"used"):
        graph.add_node(Activation('linear'), 'merge_inputs_for_x', input='a')
        graph.add_node(Activation('linear'), 'x', inputs=['a', 'b'])
    graph.add_output('o', input='d')
    with pytest.raises(ValueError, match=r"add_output: duplicate output identifier 'o'"):
        graph.add_output('o', input='a')
    with pytest.raises(ValueError, match=r"add_output: unknown node/input identifier "
                                         r"input='zz'"):
        graph.add_output('o2', input='zz')
    with pytest.raises(ValueError, match=r"add_output: invalid merge_mode 'concatenate'"):
        graph.add_output('o2', inputs=['a', 'b'], merge_mode='concatenate')
    with pytest.raises(ValueError, match=r'add_output: dot_axes=\[\[1, 1\], \[1\]\]: '
                                         r'contracting several axes'):
        graph.add_output('o2', inputs=['a', 'b'], merge_mode='dot', dot_axes=[[1, 1], [1]])
    assert graph.output_order == ['o']
