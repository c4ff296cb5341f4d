"""Files written by real Keras (1.2.2 and 0.3.3) rebuilt by symkeras: every dense and conv fixture
reproduces Keras' own outputs from its JSON and its YAML with its weights, and from its
whole-model file; and symkeras.engine.legacy_config, the reader of Keras 0.3.3 configs."""
import json
import os

import h5py
import numpy as np
import pytest

from symkeras import constraints, regularizers
from symkeras.engine import saving
from symkeras.engine.legacy_config import layer_from_033_config, model_from_033_config
from symkeras.engine.model_file import load_model
from symkeras.layers import Activation, Dense, Dropout, Reshape
from symkeras.models import Model, Sequential, model_from_json, model_from_yaml
from symkeras.optimizers import RMSprop

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SHARED = os.environ.get('SHARED_DATA') or os.path.join(ROOT, '..', 'shared', 'data')
FIXTURES = os.path.join(SHARED, 'keras-files')

# The fixtures of dense, conv and recurrent models.
# k122_conv_th: conv valid relu, conv same, max-pool, flatten, dense softmax, 'th' ordering,
# Theano's true convolution.
KERAS_122 = ['k122_sequential_mlp', 'k122_functional_2in_2out', 'k122_batchnorm', 'k122_conv_th',
             # Embedding(mask_zero) + LSTM / GRU / SimpleRNN (consume_less 'cpu', per-gate
             # weights) + Dense, on left-padded sequences
             'k122_embedding_lstm', 'k122_embedding_gru', 'k122_embedding_simplernn']


def fixture(name):
    return os.path.join(FIXTURES, name)


def read(name):
    with open(fixture(name)) as f:
        return f.read()


def io_arrays(name):
    """(inputs, outputs) of NAME_io.npz, each a list by position."""
    io = np.load(fixture(name + '_io.npz'))
    pick = lambda prefix: [io['%s%d' % (prefix, i)] for i in range(len(io.files))
                           if '%s%d' % (prefix, i) in io.files]
    return pick('in_'), pick('out_')


def assert_reproduces(model, name):
    ins, outs = io_arrays(name)
    pred = model.predict(ins if len(ins) > 1 else ins[0])
    pred = pred if isinstance(pred, list) else [pred]
    assert len(pred) == len(outs)
    for ours, theirs in zip(pred, outs):
        np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-5)


def file_datasets(path, group):
    with h5py.File(path, 'r') as f:
        g = f[group]
        return [g[n.decode()][()] for n in g.attrs['weight_names']]


# ----------------------------------------------------------------------------- Keras 1.2.2

@pytest.mark.parametrize('fmt', ['json', 'yaml'])
@pytest.mark.parametrize('name', KERAS_122)
def test_keras122_config_and_weights_reproduce_keras_outputs(name, fmt):
    reader = model_from_json if fmt == 'json' else model_from_yaml
    model = reader(read(name + '.' + fmt))
    model.load_weights(fixture(name + '_weights.h5'))
    assert_reproduces(model, name)


@pytest.mark.parametrize('fmt', ['json', 'yaml'])
def test_keras122_batchnorm_running_std_holds_the_variance(fmt):
    """Keras 1.2.2 (Theano) keeps the moving *variance* under running_std; prediction divides
    by sqrt(running_std + epsilon). Taking it for a standard deviation would change outputs."""
    reader = saving.model_from_json if fmt == 'json' else saving.model_from_yaml
    model = reader(read('k122_batchnorm.' + fmt))
    model.load_weights(fixture('k122_batchnorm_weights.h5'))
    bn = model.layers[1]
    assert bn.__class__.__name__ == 'BatchNormalization' and bn.mode == 0
    gamma, beta, mean, var = bn.get_weights()
    dense_1, dense_2 = model.layers[0], model.layers[3]
    W1, b1 = dense_1.get_weights()
    W2, b2 = dense_2.get_weights()
    x = io_arrays('k122_batchnorm')[0][0]
    h = (x.dot(W1) + b1 - mean) / np.sqrt(var + bn.epsilon) * gamma + beta
    expected = np.maximum(h, 0).dot(W2) + b2
    np.testing.assert_allclose(expected, io_arrays('k122_batchnorm')[1][0], atol=1e-5)
    assert_reproduces(model, 'k122_batchnorm')


@pytest.mark.parametrize('name', KERAS_122)
def test_keras122_whole_model_files_load_compiled_with_optimizer_state(name):
    path = fixture(name + '_model.h5')
    model = load_model(path)
    assert_reproduces(model, name)
    with h5py.File(path, 'r') as f:
        training = json.loads(f.attrs['training_config'])
        has_state = 'optimizer_weights' in f
    assert type(model.optimizer).__name__ == training['optimizer_config']['class_name']
    assert model.loss == training['loss'] and model.loss_weights == training['loss_weights']
    assert model.metrics == training['metrics']
    state = model.optimizer.get_weights()
    if has_state:
        saved = file_datasets(path, 'optimizer_weights')
        assert len(state) == len(saved)
        for ours, theirs in zip(state, saved):
            assert ours.shape == theirs.shape
            np.testing.assert_array_equal(ours, theirs)
    else:
        # Never trained: the optimizer starts afresh, as Keras' would.
        assert all(not np.any(w) for w in state)


def test_keras122_adam_state_of_the_mlp_file_is_iterations_then_m_then_v():
    model = load_model(fixture('k122_sequential_mlp_model.h5'))
    saved = file_datasets(fixture('k122_sequential_mlp_model.h5'), 'optimizer_weights')
    assert saved[0].shape == () and saved[0] > 0           # one epoch of steps
    params = sorted(model.trainable_weights, key=lambda w: w.name)
    shapes = [tuple(w.shape) for w in saved[1:]]
    assert shapes == [model.get_layer(w.name[:7]).get_weights()[w.name.endswith('_b')].shape
                      for w in params] * 2
    # The compiled model trains on from the saved state.
    ins, outs = io_arrays('k122_sequential_mlp')
    target = np.eye(3, dtype='float32')[np.argmax(outs[0], axis=1)]
    model.train_on_batch(ins[0], target)
    assert model.optimizer.get_weights()[0] == saved[0] + 1


# ----------------------------------------------------------------------------- Keras 0.3.3

@pytest.mark.parametrize('fmt', ['json', 'yaml'])
def test_keras033_sequential_reproduces_keras_outputs(fmt):
    reader = model_from_json if fmt == 'json' else model_from_yaml
    model = reader(read('k033_sequential_mlp.' + fmt))
    assert isinstance(model, Sequential)
    assert [type(l).__name__ for l in model.layers] == ['Dense', 'Dropout', 'Dense',
                                                        'Activation']
    # Compiled from the config's optimizer and loss, as 0.3.3's model_from_config did.
    assert isinstance(model.optimizer, RMSprop) and model.loss == 'categorical_crossentropy'
    np.testing.assert_allclose(model.optimizer.get_config()['rho'], 0.9, rtol=1e-6)
    model.load_weights(fixture('k033_sequential_mlp_weights.h5'))
    assert_reproduces(model, 'k033_sequential_mlp')


def test_keras033_readers_in_saving_and_models_agree():
    config = json.loads(read('k033_sequential_mlp.json'))
    for model in (saving.model_from_config(config), saving.model_from_json(json.dumps(config)),
                  saving.model_from_yaml(read('k033_sequential_mlp.yaml')),
                  model_from_033_config(config)):
        model.load_weights(fixture('k033_sequential_mlp_weights.h5'))
        assert_reproduces(model, 'k033_sequential_mlp')


def test_keras033_default_names_make_way_for_fresh_ones():
    """0.3.3 named every layer after its class ('dense' twice here); 1.2.2 wants unique
    names, so those become dense_<n>; a name the user chose is kept."""
    model = model_from_033_config(json.loads(read('k033_sequential_mlp.json')))
    names = [l.name for l in model.layers]
    assert len(set(names)) == 4 and all(n.startswith(('dense_', 'dropout_', 'activation_'))
                                        for n in names)
    layer = layer_from_033_config({'name': 'Dense', 'custom_name': 'hidden', 'output_dim': 2})
    assert layer.name == 'hidden'
    assert layer_from_033_config({'name': 'Dense', 'output_dim': 2}).name.startswith('dense_')


# ----------------------------------------------------------------------------- legacy_config

def test_layer_from_033_config_translates_base_keys():
    layer = layer_from_033_config({'name': 'Dense', 'custom_name': 'd', 'trainable': False,
                                   'cache_enabled': True, 'input_shape': [4], 'output_dim': 3,
                                   'init': 'zero', 'activation': 'tanh', 'input_dim': None})
    assert isinstance(layer, Dense) and layer.name == 'd' and layer.trainable is False
    assert layer.batch_input_shape == (None, 4) and layer.output_dim == 3
    assert not hasattr(layer, 'cache_enabled')
    assert layer.get_config()['activation'] == 'tanh'


def test_layer_from_033_config_renames_and_drops_arguments():
    reshape = layer_from_033_config({'name': 'Reshape', 'custom_name': 'r', 'dims': [2, 3],
                                     'cache_enabled': False})
    assert isinstance(reshape, Reshape) and tuple(reshape.target_shape) == (2, 3)
    act = layer_from_033_config({'name': 'Activation', 'activation': 'relu', 'target': 0,
                                 'beta': 0.1})
    assert isinstance(act, Activation) and act.get_config()['activation'] == 'relu'
    drop = layer_from_033_config({'name': 'Dropout', 'custom_name': 'dropout', 'p': 0.25})
    assert isinstance(drop, Dropout) and drop.p == 0.25


def test_layer_from_033_config_builds_regularizers_and_constraints():
    layer = layer_from_033_config({
        'name': 'Dense', 'output_dim': 2,
        'W_regularizer': {'name': 'WeightRegularizer', 'l1': 0.0, 'l2': 0.01},
        'activity_regularizer': {'name': 'ActivityRegularizer', 'l1': 0.5, 'l2': 0.0},
        'W_constraint': {'name': 'MaxNorm', 'm': 2, 'axis': 0},
        'b_constraint': {'name': 'NonNeg'}, 'b_regularizer': None})
    assert isinstance(layer.W_regularizer, regularizers.L1L2Regularizer)
    config = layer.W_regularizer.get_config()
    assert config['l1'] == 0 and np.isclose(config['l2'], 0.01)
    assert layer.activity_regularizer.get_config()['l1'] == 0.5
    assert isinstance(layer.W_constraint, constraints.MaxNorm) and layer.W_constraint.m == 2
    assert isinstance(layer.b_constraint, constraints.NonNeg) and layer.b_regularizer is None
    with pytest.raises(ValueError, match="Dense.*W_regularizer = .*'Mystery'.*neither a known "
                                         "regularizer nor a known constraint"):
        layer_from_033_config({'name': 'Dense', 'output_dim': 2,
                               'W_regularizer': {'name': 'Mystery'}})


def test_layer_from_033_config_errors_name_the_class():
    with pytest.raises(ValueError, match="Keras 0.3 layer Convolution9D \\('c9'\\): Unknown "
                                         "layer class: 'Convolution9D'"):
        layer_from_033_config({'name': 'Convolution9D', 'custom_name': 'c9'})
    with pytest.raises(ValueError, match='Keras 1.2.2 has no AutoEncoder layer; instead, add '
                                         'the encoder'):
        layer_from_033_config({'name': 'AutoEncoder', 'encoder': {}, 'decoder': {}})
    with pytest.raises(TypeError, match="Keras 0.3 layer Dense \\('d'\\).*'bogus'"):
        layer_from_033_config({'name': 'Dense', 'custom_name': 'd', 'output_dim': 2,
                               'bogus': 1})
    for bad in ({'class_name': 'Dense'}, ['Dense'], {'name': 3}):
        with pytest.raises(ValueError, match='layer_from_033_config: expected a Keras 0.3 '
                                             'config'):
            layer_from_033_config(bad)


def test_layer_from_033_config_takes_custom_classes():
    class Twice(Dense):
        pass

    layer = layer_from_033_config({'name': 'Twice', 'custom_name': 't', 'output_dim': 2},
                                  custom_objects={'Twice': Twice})
    assert isinstance(layer, Twice) and layer.name == 't'
    # A user class may take a removed 0.3 class's name.
    auto = layer_from_033_config({'name': 'AutoEncoder', 'output_dim': 2},
                                 custom_objects={'AutoEncoder': Twice})
    assert isinstance(auto, Twice)


def test_nested_sequential_and_merge_of_branches():
    branch = lambda name: {'name': 'Sequential', 'layers': [
        {'name': 'Dense', 'custom_name': name, 'input_shape': [3], 'output_dim': 2,
         'init': 'one', 'activation': 'linear', 'cache_enabled': True}]}
    config = {'name': 'Sequential', 'layers': [
        {'name': 'Merge', 'custom_name': 'merge', 'cache_enabled': True, 'trainable': True,
         'layers': [branch('left'), branch('right')], 'mode': 'concat', 'concat_axis': -1,
         'dot_axes': -1},
        {'name': 'Sequential', 'layers': [{'name': 'Activation', 'activation': 'relu',
                                           'input_shape': [4]}]}]}
    model = model_from_033_config(config)
    assert isinstance(model, Sequential) and not hasattr(model, 'optimizer')
    x = np.array([[1., -2., 0.5]], dtype='float32')
    np.testing.assert_allclose(model.predict([x, 2 * x]), [[0., 0., 0., 0.]])
    np.testing.assert_allclose(model.predict([-x, -x]), [[.5, .5, .5, .5]])
    with pytest.raises(ValueError, match='Merge.*"layers" must list at least 2 sub-model'):
        layer_from_033_config({'name': 'Merge', 'layers': [branch('a')], 'mode': 'sum'})
    with pytest.raises(TypeError, match='Keras 0.3 layer Merge.*'):
        layer_from_033_config({'name': 'Merge', 'layers': [branch('a'), branch('b')],
                               'mode': 'sum', 'bogus': 1})
    with pytest.raises(ValueError, match='Sequential config: "layers" must be a list'):
        layer_from_033_config({'name': 'Sequential', 'layers': None})


def test_model_from_033_config_compiles_with_custom_loss_and_class_mode():
    def half_mse(y_true, y_pred):
        return 0.5 * (y_pred - y_true) ** 2

    config = {'name': 'Sequential', 'layers': [
        {'name': 'Dense', 'input_shape': [2], 'output_dim': 2, 'init': 'one'}],
        'optimizer': {'name': 'SGD', 'lr': 0.5, 'momentum': 0.0, 'decay': 0.0,
                      'nesterov': False},
        'loss': 'half_mse', 'sample_weight_mode': None, 'class_mode': 'categorical'}
    with pytest.warns(DeprecationWarning):
        model = model_from_033_config(config, custom_objects={'half_mse': half_mse})
    assert model.loss is half_mse and model.optimizer.get_config()['lr'] == 0.5
    x = np.ones((1, 2), dtype='float32')
    assert np.isclose(float(np.ravel(model.test_on_batch(x, x))[0]), 0.5 * 1.0)
    with pytest.raises(ValueError, match='"optimizer" must be a dict with the optimizer class'):
        model_from_033_config(dict(config, optimizer='sgd'))
    with pytest.raises(ValueError, match="a Keras 0.3 model config is a Sequential or a Graph; "
                                         "got class 'Dense'"):
        model_from_033_config({'name': 'Dense', 'output_dim': 2})


def test_model_from_config_dispatches_033_layer_configs():
    layer = saving.model_from_config({'name': 'Dense', 'custom_name': 'solo', 'output_dim': 4})
    assert isinstance(layer, Dense) and layer.name == 'solo'
    # A 1.2.2 Model config still goes to the 1.2.2 reader.
    assert isinstance(model_from_json(read('k122_functional_2in_2out.json')), Model)


@pytest.mark.parametrize('reader', [saving.model_from_json, saving.model_from_yaml,
                                    model_from_json, model_from_yaml])
def test_keras033_graph_configs_go_to_graph_from_config(reader):
    fmt = 'json' if reader.__name__ == 'model_from_json' else 'yaml'
    graph = reader(read('k033_graph.' + fmt))
    assert type(graph).__name__ == 'Graph'
    # Compiled from the config (by Graph.from_config), as 0.3.3 did.
    assert graph.loss == {'out': 'mse', 'aux': 'mse'}
    assert type(graph.optimizer).__name__ == 'SGD'
    graph.load_weights(fixture('k033_graph_weights.h5'))
    io = np.load(fixture('k033_graph_io.npz'))
    out = graph.predict({'a': io['in_a'], 'b': io['in_b']})
    for name in ('out', 'aux'):
        np.testing.assert_allclose(out[name], io['out_' + name], rtol=0, atol=1e-5)
