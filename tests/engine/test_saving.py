"""symkeras.engine.saving: Keras 1.2.2 weight files (HDF5) and JSON / YAML model configs, on
Containers of test-only layers, and against files written by real Keras 1.2.2 / 0.3.3."""
import json
import os
import sys

import h5py
import numpy as np
import pytest
import yaml

import symkeras.backend as K
from symkeras import activations
from symkeras.engine import Container, Input, Layer, merge
from symkeras.engine import saving

from .test_keras_files import fixture

RNG = np.random.RandomState(0)


# ----------------------------------------------------------------------------- test layers

class Dense(Layer):
    """A small Keras 1.2.2 Dense (accepts its config keys): activation(x W + b)."""

    def __init__(self, output_dim, init='glorot_uniform', activation='linear', bias=True,
                 input_dim=None, W_regularizer=None, b_regularizer=None,
                 activity_regularizer=None, W_constraint=None, b_constraint=None, **kwargs):
        self.output_dim = output_dim
        self.init = init
        self.activation_name = activation
        self.activation = activations.get(activation)
        self.bias = bias
        self.input_dim = input_dim
        self.extra = dict(W_regularizer=W_regularizer, b_regularizer=b_regularizer,
                          activity_regularizer=activity_regularizer,
                          W_constraint=W_constraint, b_constraint=b_constraint)
        super(Dense, self).__init__(**kwargs)

    def build(self, input_shape):
        self.input_dim = input_shape[-1]
        self.W = self.add_weight((input_shape[-1], self.output_dim), self.init, name='W')
        if self.bias:
            self.b = self.add_weight((self.output_dim,), 'zero', name='b')

    def call(self, x, mask=None):
        y = K.dot(x, self.W)
        return self.activation(y + self.b if self.bias else y)

    def get_output_shape_for(self, input_shape):
        return input_shape[:-1] + (self.output_dim,)

    def get_config(self):
        config = super(Dense, self).get_config()
        config.update(output_dim=self.output_dim, init=self.init,
                      activation=self.activation_name, bias=self.bias,
                      input_dim=self.input_dim, **self.extra)
        return config


class Unnamed(Layer):
    """One trainable and one non-trainable weight, both unnamed variables."""

    def build(self, input_shape):
        self.trainable_weights = [K.variable(RNG.normal(size=(input_shape[-1],)))]
        self.non_trainable_weights = [K.variable(np.ones((2, 2))), K.variable(2.5)]

    def call(self, x, mask=None):
        return x * self.trainable_weights[0]


class TwinNames(Layer):
    """Two weights of the same name."""

    def build(self, input_shape):
        self.trainable_weights = [K.variable(np.zeros(2), name='same'),
                                  K.variable(np.zeros(2), name='same')]


class Exploding(Layer):
    """Weightless; reading its weights raises while `armed` is set."""
    armed = False

    @property
    def weights(self):
        if Exploding.armed:
            raise RuntimeError('boom while reading weights')
        return []


class NumpyConfig(Layer):
    """A config holding numpy scalars and a Python type."""

    def __init__(self, size=None, scale=None, kind=None, **kwargs):
        self.size, self.scale, self.kind = size, scale, kind
        super(NumpyConfig, self).__init__(**kwargs)

    def get_config(self):
        config = super(NumpyConfig, self).get_config()
        config.update(size=self.size, scale=self.scale, kind=self.kind)
        return config


CUSTOM = {'Dense': Dense, 'Model': Container}


def mlp(sizes=(5, 4, 3), names=None, bias=True, input_name='x'):
    x = Input(shape=(sizes[0],), name=input_name)
    y = x
    names = names or [None] * (len(sizes) - 1)
    for size, name in zip(sizes[1:], names):
        y = Dense(size, activation='tanh', bias=bias, name=name)(y)
    return Container(x, y)


def randomize(model):
    model.set_weights([RNG.normal(size=w.shape).astype(w.dtype) for w in model.get_weights()])


def predict(model, *arrays):
    f = K.function(model.inputs, model.outputs)
    return f(list(arrays))


def assert_same_weights(a, b):
    wa, wb = a.get_weights(), b.get_weights()
    assert len(wa) == len(wb)
    for x, y in zip(wa, wb):
        np.testing.assert_array_equal(x, y)


# ----------------------------------------------------------------------------- save_weights

def test_save_weights_writes_the_keras_122_layout(tmp_path):
    model = mlp(names=['d1', 'd2'])
    randomize(model)
    path = str(tmp_path / 'w.h5')
    model.save_weights(path)
    with h5py.File(path, 'r') as f:
        assert set(f.attrs) == {'layer_names'}
        names = f.attrs['layer_names']
        assert names.dtype.kind == 'S'
        assert list(names) == [b'x', b'd1', b'd2']
        assert sorted(f) == ['d1', 'd2', 'x']
        empty = f['x'].attrs['weight_names']
        assert empty.dtype == np.float64 and empty.shape == (0,)
        assert len(f['x']) == 0
        wn = f['d1'].attrs['weight_names']
        assert wn.dtype.kind == 'S' and list(wn) == [b'd1_W', b'd1_b']
        values = model.get_weights()
        for (layer, weight), value in zip([('d1', 'd1_W'), ('d1', 'd1_b'), ('d2', 'd2_W'),
                                           ('d2', 'd2_b')], values):
            data = f[layer][weight]
            assert data.dtype == np.float32
            np.testing.assert_array_equal(data[()], value)


def test_save_weights_names_unnamed_weights_param_i_in_weights_order(tmp_path):
    x = Input(shape=(3,), name='x')
    model = Container(x, Unnamed(name='u')(x))
    path = tmp_path / 'w.h5'
    saving.save_weights(model, path)
    with h5py.File(path, 'r') as f:
        assert list(f['u'].attrs['weight_names']) == [b'param_0', b'param_1', b'param_2']
        assert f['u/param_0'].shape == (3,) and f['u/param_1'].shape == (2, 2)
        np.testing.assert_array_equal(f['u/param_1'][()], np.ones((2, 2)))
        assert f['u/param_2'].shape == () and f['u/param_2'][()] == 2.5
    y = Input(shape=(3,), name='y')
    copy = Container(y, Unnamed(name='v')(y))
    copy.load_weights(str(path))
    assert_same_weights(model, copy)


def test_save_weights_refuses_two_weights_of_one_name(tmp_path):
    x = Input(shape=(2,), name='x')
    model = Container(x, TwinNames(name='twins')(x))
    with pytest.raises(ValueError, match='layer "twins" has 2 weights named \'same\''):
        model.save_weights(str(tmp_path / 'w.h5'))
    assert os.listdir(str(tmp_path)) == []


def test_save_weights_of_a_nested_model_is_one_group_with_all_its_weights(tmp_path):
    inner = mlp(sizes=(4, 3, 2), names=['in1', 'in2'], input_name='inner_x')
    inner.name = 'inner'
    x = Input(shape=(4,), name='outer_x')
    model = Container(x, Dense(1, name='head')(inner(x)))
    randomize(model)
    path = str(tmp_path / 'w.h5')
    model.save_weights(path)
    with h5py.File(path, 'r') as f:
        assert list(f.attrs['layer_names']) == [b'outer_x', b'inner', b'head']
        assert list(f['inner'].attrs['weight_names']) == [b'in1_W', b'in1_b', b'in2_W', b'in2_b']
    other = mlp(sizes=(4, 3, 2), names=['in1', 'in2'], input_name='inner_x2')
    x2 = Input(shape=(4,), name='outer_x2')
    copy = Container(x2, Dense(1, name='head')(other(x2)))
    copy.load_weights(path)
    assert_same_weights(model, copy)
    data = RNG.normal(size=(3, 4)).astype('float32')
    np.testing.assert_allclose(predict(model, data)[0], predict(copy, data)[0], rtol=1e-6)


def test_save_weights_uses_flattened_layers_when_the_model_has_them(tmp_path):
    class FlatModel(Container):
        """Stands in for Keras 1.2.2's Sequential, whose files list flattened_layers."""

        @property
        def flattened_layers(self):
            return self.layers[1:]

    x = Input(shape=(3,), name='x')
    model = FlatModel(x, Dense(2, name='d')(x))
    path = str(tmp_path / 'w.h5')
    model.save_weights(path)
    with h5py.File(path, 'r') as f:
        assert list(f.attrs['layer_names']) == [b'd']
    model.load_weights(path)


def test_save_weights_is_atomic_a_failed_save_keeps_the_old_file(tmp_path):
    x = Input(shape=(3,), name='x')
    h = Dense(4, name='d1')(x)
    model = Container(x, Dense(2, name='d2')(Exploding(name='bang')(h)))
    path = str(tmp_path / 'w.h5')
    model.save_weights(path)
    before = open(path, 'rb').read()
    randomize(model)
    Exploding.armed = True
    try:
        with pytest.raises(RuntimeError, match='boom'):
            model.save_weights(path)
    finally:
        Exploding.armed = False
    assert open(path, 'rb').read() == before
    assert os.listdir(str(tmp_path)) == ['w.h5']


def test_save_weights_overwrite_false_asks_first(tmp_path, monkeypatch, capsys):
    model = mlp(names=['d1', 'd2'])
    path = str(tmp_path / 'w.h5')
    model.save_weights(path, overwrite=False)      # no file yet: nothing is asked
    before = open(path, 'rb').read()
    randomize(model)
    monkeypatch.setattr('builtins.input', lambda prompt: 'n')
    model.save_weights(path, overwrite=False)
    assert open(path, 'rb').read() == before
    monkeypatch.setattr('builtins.input', lambda prompt: 'y')
    model.save_weights(path, overwrite=False)
    assert open(path, 'rb').read() != before
    copy = mlp(names=['d1', 'd2'])
    copy.load_weights(path)
    assert_same_weights(model, copy)
    model.save_weights(path)                       # overwrite=True: nothing is asked
    monkeypatch.setattr('builtins.input', lambda prompt: (_ for _ in ()).throw(EOFError()))
    with pytest.raises(EOFError, match='overwrite=True'):
        model.save_weights(path, overwrite=False)


# ----------------------------------------------------------------------------- load_weights

def test_load_weights_round_trip_restores_weights_and_outputs(tmp_path):
    model = mlp(names=['a', 'b'])
    randomize(model)
    path = tmp_path / 'w.h5'
    model.save_weights(str(path))
    other = mlp(names=['c', 'd'])                  # names differ: loading is by position
    other.load_weights(path)
    assert_same_weights(model, other)
    data = RNG.normal(size=(4, 5)).astype('float32')
    np.testing.assert_allclose(predict(other, data)[0], predict(model, data)[0], rtol=1e-6)


def test_load_weights_skips_weightless_layers_on_both_sides(tmp_path):
    x = Input(shape=(3,), name='x')
    h = Exploding(name='gap')(Dense(4, name='d1')(x))
    model = Container(x, Dense(2, name='d2')(h))
    randomize(model)
    path = str(tmp_path / 'w.h5')
    model.save_weights(path)
    plain = mlp(sizes=(3, 4, 2))
    plain.load_weights(path)
    assert_same_weights(model, plain)


def test_load_weights_into_a_different_architecture_raises(tmp_path):
    path = str(tmp_path / 'w.h5')
    mlp(sizes=(5, 4, 3), names=['a', 'b']).save_weights(path)
    deeper = mlp(sizes=(5, 4, 4, 3), names=['a', 'b', 'c'])
    with pytest.raises(ValueError, match=r'containing 2 layers with weights .* which has 3 '
                                         r'layers with weights'):
        deeper.load_weights(path)
    wider = mlp(sizes=(5, 6, 3), names=['a', 'b'])
    before = wider.get_weights()
    with pytest.raises(ValueError, match=r'layer "a", weight a_W has shape \(5, 6\) in the '
                                         r'model but \(5, 4\) in the file'):
        wider.load_weights(path)
    assert_same_weights_list(wider.get_weights(), before)
    no_bias = mlp(sizes=(5, 4, 3), names=['a', 'b'], bias=False)
    with pytest.raises(ValueError, match='layer "a" of the model expects 1 weight'
                                         r'\(s\), but the saved weights have 2'):
        no_bias.load_weights(path)


def assert_same_weights_list(a, b):
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)


def test_load_weights_leaves_the_model_unchanged_when_a_later_layer_fails(tmp_path):
    path = str(tmp_path / 'w.h5')
    source = mlp(sizes=(5, 4, 3), names=['a', 'b'])
    randomize(source)
    source.save_weights(path)
    target = mlp(sizes=(5, 4, 2), names=['a', 'b'])
    before = target.get_weights()
    with pytest.raises(ValueError, match='layer "b"'):
        target.load_weights(path)
    assert_same_weights_list(target.get_weights(), before)


def test_load_weights_by_name_skips_extra_and_missing_layers(tmp_path):
    x = Input(shape=(3,), name='x')
    source = Container(x, Dense(2, name='keep')(Dense(4, name='only_in_file')(x)))
    randomize(source)
    path = str(tmp_path / 'w.h5')
    source.save_weights(path)
    y = Input(shape=(4,), name='y')
    target = Container(y, Dense(5, name='only_in_model')(Dense(2, name='keep')(y)))
    # 'keep' is the model's first layer here and the file's second: a positional load
    # would fail on the shapes, by_name matches it.
    with pytest.raises(ValueError, match='shape'):
        target.load_weights(path)
    before = target.get_layer('only_in_model').get_weights()
    target.load_weights(path, by_name=True)
    assert_same_weights_list(target.get_layer('keep').get_weights(),
                             source.get_layer('keep').get_weights())
    assert_same_weights_list(target.get_layer('only_in_model').get_weights(), before)


def test_load_weights_by_name_checks_shapes(tmp_path):
    path = str(tmp_path / 'w.h5')
    mlp(sizes=(5, 4, 3), names=['a', 'b']).save_weights(path)
    target = mlp(sizes=(5, 4, 7), names=['a', 'b'])
    before = target.get_weights()
    with pytest.raises(ValueError, match=r'by_name=True\): layer "b", weight b_W has shape '
                                         r'\(4, 7\) in the model but \(4, 3\) in the file'):
        target.load_weights(path, by_name=True)
    assert_same_weights_list(target.get_weights(), before)


def test_load_weights_reads_a_full_model_file(tmp_path):
    model = mlp(names=['a', 'b'])
    randomize(model)
    path = str(tmp_path / 'model.h5')
    with h5py.File(path, 'w') as f:
        f.attrs['keras_version'] = b'1.2.2'
        saving.save_weights_to_hdf5_group(model, f.create_group('model_weights'))
    for by_name in (False, True):
        other = mlp(names=['a', 'b'])
        other.load_weights(path, by_name=by_name)
        assert_same_weights(model, other)


def test_load_weights_rejects_a_file_that_is_not_a_weights_file(tmp_path):
    path = str(tmp_path / 'other.h5')
    with h5py.File(path, 'w') as f:
        f.create_dataset('data', data=np.zeros(3))
    with pytest.raises(ValueError, match='not a Keras weights file'):
        mlp().load_weights(path)


class Convolution1D(Layer):
    """Only the kernel of Keras 1.2.2's Convolution1D: (filter_length, 1, input_dim, nb_filter)."""

    def build(self, input_shape):
        self.W = self.add_weight((3, 1, input_shape[-1], 2), 'glorot_uniform', name='W')


def test_load_weights_transposes_a_legacy_convolution1d_kernel(tmp_path):
    x = Input(shape=(5, 4), name='x')
    model = Container(x, Convolution1D(name='conv')(x))
    legacy = RNG.normal(size=(2, 4, 3, 1)).astype('float32')   # (nb_filter, input_dim, fl, 1)
    path = str(tmp_path / 'w.h5')
    with h5py.File(path, 'w') as f:
        f.attrs['layer_names'] = np.array([b'x', b'conv'])
        f.create_group('x').attrs['weight_names'] = np.array([])
        g = f.create_group('conv')
        g.attrs['weight_names'] = np.array([b'conv_W'])
        g.create_dataset('conv_W', data=legacy)
    model.load_weights(path)
    np.testing.assert_array_equal(model.get_weights()[0], legacy.transpose(2, 3, 1, 0))
    model.save_weights(path)                                     # the current layout as is
    model.load_weights(path)
    np.testing.assert_array_equal(model.get_weights()[0], legacy.transpose(2, 3, 1, 0))


def test_load_weights_accepts_variable_length_string_names(tmp_path):
    model = mlp(sizes=(3, 2), names=['a'])
    values = [RNG.normal(size=w.shape).astype('float32') for w in model.get_weights()]
    path = str(tmp_path / 'w.h5')
    text = h5py.string_dtype('utf-8')
    with h5py.File(path, 'w') as f:
        f.attrs.create('layer_names', ['x', 'a'], dtype=text)
        f.create_group('x').attrs.create('weight_names', [], dtype=text)
        g = f.create_group('a')
        g.attrs.create('weight_names', ['a_W', 'a_b'], dtype=text)
        g.create_dataset('a_W', data=values[0])
        g.create_dataset('a_b', data=values[1])
    model.load_weights(path)
    assert_same_weights_list(model.get_weights(), values)


def write_keras033_file(path, layer_params):
    with h5py.File(path, 'w') as f:
        f.attrs['nb_layers'] = np.int64(len(layer_params))
        for k, params in enumerate(layer_params):
            g = f.create_group('layer_%d' % k)
            g.attrs['nb_params'] = np.int64(len(params))
            for p, value in enumerate(params):
                g.create_dataset('param_%d' % p, data=value)


def test_load_weights_reads_the_keras_033_layout(tmp_path):
    model = mlp(sizes=(5, 4, 3), names=['a', 'b'])
    values = [RNG.normal(size=w.shape).astype('float32') for w in model.get_weights()]
    path = str(tmp_path / 'old.h5')
    write_keras033_file(path, [[], values[:2], values[2:]])
    model.load_weights(path)
    assert_same_weights_list(model.get_weights(), values)
    with pytest.raises(ValueError, match='a Keras 0.3 file has no layer names'):
        model.load_weights(path, by_name=True)
    write_keras033_file(path, [values[:2], values[2:]])
    with pytest.raises(ValueError, match='holds 2 layers but model "%s" has 3 layers'
                                         % model.name):
        model.load_weights(path)


# ----------------------------------------------------------------------------- files of real Keras

def keras122_mlp():
    """The architecture of k122_sequential_mlp (Dropout is the identity at prediction)."""
    x = Input(shape=(8,), name='dense_input_1')
    h = Dense(16, activation='relu', name='dense_1')(x)
    return Container(x, Dense(3, activation='softmax', name='dense_2')(h))


def test_real_keras122_weights_file_layout_and_outputs():
    path = fixture('k122_sequential_mlp_weights.h5')
    with h5py.File(path, 'r') as f:
        assert [n.decode() for n in f.attrs['layer_names']] == ['dense_1', 'dropout_1',
                                                                'dense_2']
        shapes = {name: [f[name][w.decode()].shape for w in f[name].attrs['weight_names']]
                  for name in ('dense_1', 'dense_2')}
    assert shapes == {'dense_1': [(8, 16), (16,)], 'dense_2': [(16, 3), (3,)]}
    io = np.load(fixture('k122_sequential_mlp_io.npz'))
    for by_name in (False, True):
        model = keras122_mlp()
        model.load_weights(path, by_name=by_name)
        np.testing.assert_allclose(predict(model, io['in_0'])[0], io['out_0'], atol=1e-5)


def test_real_keras122_full_model_file_weights_load():
    model = keras122_mlp()
    model.load_weights(fixture('k122_sequential_mlp_model.h5'))
    io = np.load(fixture('k122_sequential_mlp_io.npz'))
    np.testing.assert_allclose(predict(model, io['in_0'])[0], io['out_0'], atol=1e-5)


def test_real_keras033_weights_file_needs_the_same_layer_count():
    # Its four layers are Dense, Dropout, Dense, Activation; the Container has three.
    with pytest.raises(ValueError, match='holds 4 layers but model "[^"]+" has 3 layers'):
        keras122_mlp().load_weights(fixture('k033_sequential_mlp_weights.h5'))


@pytest.mark.parametrize('fmt', ['json', 'yaml'])
def test_real_keras122_functional_model_from_config_and_weights(fmt, tmp_path):
    text = open(fixture('k122_functional_2in_2out.' + fmt)).read()
    reader = saving.model_from_json if fmt == 'json' else saving.model_from_yaml
    model = reader(text, custom_objects=CUSTOM)
    assert isinstance(model, Container) and model.name == 'model_1'
    weights = fixture('k122_functional_2in_2out_weights.h5')
    model.load_weights(weights)
    io = np.load(fixture('k122_functional_2in_2out_io.npz'))
    out = predict(model, io['in_0'], io['in_1'])
    np.testing.assert_allclose(out[0], io['out_0'], atol=1e-5)
    np.testing.assert_allclose(out[1], io['out_1'], atol=1e-5)
    # Saving it again gives the real file's layer order, names and values.
    path = str(tmp_path / 'again.h5')
    model.save_weights(path)
    with h5py.File(weights, 'r') as real, h5py.File(path, 'r') as ours:
        assert list(ours.attrs['layer_names']) == list(real.attrs['layer_names'])
        for name in real.attrs['layer_names']:
            g, h = real[name.decode()], ours[name.decode()]
            assert list(h.attrs['weight_names']) == list(g.attrs['weight_names'])
            for w in g.attrs['weight_names']:
                np.testing.assert_array_equal(h[w.decode()][()], g[w.decode()][()])
    # And its config is the one Keras wrote.
    # And its config is the one Keras wrote (the engine's Model class is not written yet:
    # Container stands in for it, hence the class name).
    real_config = json.loads(open(fixture('k122_functional_2in_2out.json')).read())
    assert json.loads(model.to_json()) == dict(real_config, class_name='Container')


class Recorder(Layer):
    """Stands in for a model class to capture the config it is built from."""
    seen = []

    @classmethod
    def from_config(cls, config):
        cls.seen.append(config)
        return cls()


def test_real_keras122_yaml_with_numpy_scalars_is_read_without_running_code():
    Recorder.seen = []
    text = open(fixture('k122_conv_th.yaml')).read()
    assert 'numpy.core.multiarray.scalar' in text
    saving.model_from_yaml(text, custom_objects={'Sequential': Recorder})
    layers = Recorder.seen[0]
    json_layers = json.loads(open(fixture('k122_conv_th.json')).read())['config']
    dense = [c['config'] for c in layers if c['class_name'] == 'Dense'][0]
    json_dense = [c['config'] for c in json_layers if c['class_name'] == 'Dense'][0]
    assert dense['input_dim'] == json_dense['input_dim'] and type(dense['input_dim']) is int
    assert isinstance(layers[0]['config']['batch_input_shape'], tuple)


# ----------------------------------------------------------------------------- JSON / YAML

def test_to_json_is_keras_122s_dict_and_takes_json_dumps_kwargs():
    model = mlp(names=['a', 'b'])
    text = model.to_json()
    data = json.loads(text)
    assert set(data) == {'class_name', 'config', 'keras_version'}
    assert data['class_name'] == 'Container' and data['keras_version'] == '1.2.2'
    assert data['config'] == json.loads(json.dumps(model.get_config()))
    assert model.to_json(indent=2) == json.dumps(data, indent=2)
    assert model.to_json(sort_keys=True) == json.dumps(data, sort_keys=True)


def test_json_turns_numpy_values_and_types_into_plain_values():
    x = Input(shape=(2,), name='x')
    model = Container(x, NumpyConfig(size=np.int64(3), scale=np.float32(0.5), kind=float,
                                     name='n')(x))
    config = json.loads(model.to_json())['config']['layers'][1]['config']
    assert config['size'] == 3 and config['scale'] == 0.5 and config['kind'] == 'float'
    bad = Container(x, NumpyConfig(size=object(), name='bad')(x))
    with pytest.raises(TypeError, match='is not JSON serializable'):
        bad.to_json()


@pytest.mark.parametrize('fmt', ['json', 'yaml'])
def test_model_round_trip_through_json_and_yaml(fmt):
    model = mlp(names=['a', 'b'])
    randomize(model)
    if fmt == 'json':
        text = model.to_json()
        rebuilt = saving.model_from_json(text, custom_objects={'Dense': Dense})
    else:
        text = model.to_yaml()
        assert '!!python/tuple' in text
        rebuilt = saving.model_from_yaml(text, custom_objects={'Dense': Dense})
    assert isinstance(rebuilt, Container)
    assert rebuilt.get_config() == model.get_config()
    rebuilt.set_weights(model.get_weights())
    data = RNG.normal(size=(2, 5)).astype('float32')
    np.testing.assert_allclose(predict(rebuilt, data)[0], predict(model, data)[0], rtol=1e-6)


def test_to_yaml_is_yaml_dump_of_the_same_dict_and_takes_its_kwargs():
    model = mlp(names=['a', 'b'])
    assert model.to_yaml() == yaml.dump(saving.updated_config(model))
    assert model.to_yaml(default_flow_style=True) == yaml.dump(saving.updated_config(model),
                                                               default_flow_style=True)
    assert saving.to_yaml(model, indent=4) == yaml.dump(saving.updated_config(model), indent=4)


def test_yaml_numpy_scalars_round_trip_as_numbers():
    x = Input(shape=(2,), name='x')
    model = Container(x, NumpyConfig(size=np.int64(3), scale=np.float32(0.25),
                                     name='n')(x))
    text = model.to_yaml()
    assert 'numpy' in text
    rebuilt = saving.model_from_yaml(text, custom_objects={'NumpyConfig': NumpyConfig})
    layer = rebuilt.get_layer('n')
    assert layer.size == 3 and type(layer.size) is int
    assert layer.scale == 0.25 and type(layer.scale) is float


def test_model_from_yaml_refuses_other_python_tags(tmp_path):
    marker = tmp_path / 'ran'
    evil = ('class_name: Container\nconfig: !!python/object/apply:os.system\n- touch %s\n'
            % marker)
    with pytest.raises(yaml.constructor.ConstructorError, match='python/object/apply:os'):
        saving.model_from_yaml(evil)
    assert not marker.exists()
    obj = ('a: !!python/object/apply:numpy.core.multiarray.scalar\n'
           '- !!python/object/apply:numpy.dtype\n  args: [O8, 0, 1]\n- !!binary |\n'
           '  AAAAAAAAAAA=\n')
    with pytest.raises(yaml.constructor.ConstructorError, match='not a number type'):
        saving.model_from_yaml(obj)
    short = ('a: !!python/object/apply:numpy.core.multiarray.scalar\n'
             '- !!python/object/apply:numpy.dtype\n  args: [i8, 0, 1]\n- !!binary |\n'
             '  AAAA\n')
    with pytest.raises(yaml.constructor.ConstructorError, match='its 8 bytes'):
        saving.model_from_yaml(short)


def test_yaml_functions_need_pyyaml(monkeypatch):
    model = mlp()
    monkeypatch.setitem(sys.modules, 'yaml', None)
    with pytest.raises(ImportError, match='pip install pyyaml'):
        model.to_yaml()
    with pytest.raises(ImportError, match='pip install pyyaml'):
        saving.model_from_yaml('class_name: Container')


def test_model_from_config_builds_from_a_dict_and_rejects_a_list():
    model = mlp(names=['a', 'b'])
    rebuilt = saving.model_from_config(saving.updated_config(model),
                                       custom_objects={'Dense': Dense})
    assert rebuilt.get_config() == model.get_config()
    with pytest.raises(TypeError, match='not a list.*Sequential.from_config'):
        saving.model_from_config([{'class_name': 'Dense', 'config': {}}])
    x = Input(shape=(3,), name='x')
    unknown = Container(x, Unnamed(name='u')(x))
    with pytest.raises(ValueError, match="Unknown layer class: 'Unnamed'"):
        saving.model_from_json(unknown.to_json())
    assert isinstance(saving.model_from_json(unknown.to_json(),
                                             custom_objects={'Unnamed': Unnamed}), Container)


def test_allow_code_is_needed_for_saved_python_functions():
    a, b = Input(shape=(3,), name='a'), Input(shape=(3,), name='b')
    out = merge([a, b], mode=lambda xs: xs[0] - xs[1], output_shape=(3,), name='diff')
    model = Container([a, b], out)
    config = saving.updated_config(model)
    readers = [(saving.model_from_config, config), (saving.model_from_json, model.to_json()),
               (saving.model_from_yaml, model.to_yaml())]
    x1, x2 = RNG.normal(size=(2, 3)).astype('float32'), RNG.normal(size=(2, 3)).astype('float32')
    for reader, data in readers:
        with pytest.raises(ValueError, match='allow_code=True'):
            reader(data)
        rebuilt = reader(data, allow_code=True)
        np.testing.assert_allclose(predict(rebuilt, x1, x2)[0], x1 - x2, rtol=1e-6)


# ----------------------------------------------------------------------------- name attributes

def test_name_attributes_are_chunked_only_when_over_the_header_limit(tmp_path):
    with h5py.File(str(tmp_path / 'a.h5'), 'w') as f:
        saving.save_names_attribute(f, 'few', ['a', 'bb'])
        assert f.attrs['few'].dtype == np.dtype('S2')
        saving.save_names_attribute(f, 'none', [])
        assert f.attrs['none'].dtype == np.float64 and f.attrs['none'].shape == (0,)
        many = ['name_%05d_%s' % (i, 'x' * 90) for i in range(2000)]
        saving.save_names_attribute(f, 'many', many)
        keys = sorted(k for k in f.attrs if k.startswith('many'))
        assert 'many' not in keys and len(keys) == 4
        assert all(f.attrs[k].nbytes <= saving.HDF5_OBJECT_HEADER_LIMIT for k in keys)
        f.attrs['vlen'] = ['ü', 'b']             # variable-length str, as other writers do
        for key, names in (('few', ['a', 'bb']), ('none', []), ('many', many),
                           ('vlen', ['ü', 'b'])):
            assert saving.has_names_attribute(f, key)
            assert saving.load_names_attribute(f, key) == names
        assert not saving.has_names_attribute(f, 'absent')
        assert saving.load_names_attribute(f, 'absent') == []
        with pytest.raises(ValueError, match="attribute huge of /: the name 'yyy.* is 70000 "
                                             "bytes long"):
            saving.save_names_attribute(f, 'huge', ['y' * 70000])


def test_open_hdf5_names_the_file_and_the_caller(tmp_path):
    path = tmp_path / 'x.h5'
    path.write_bytes(b'\x89HDF\r\n' + b'\0' * 20)
    with pytest.raises(ValueError, match='reader: .*x.h5 is not a readable HDF5 file'):
        saving.open_hdf5(str(path), 'reader')
    with pytest.raises(FileNotFoundError, match='reader: no such file: .*y.h5'):
        saving.open_hdf5(tmp_path / 'y.h5', 'reader')
    with h5py.File(str(path), 'w') as f:
        f.attrs['k'] = 1
    with saving.open_hdf5(path, 'reader') as f:
        assert f.attrs['k'] == 1
