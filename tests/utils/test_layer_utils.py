"""keras.utils.layer_utils: summary tables, parameter counts, layer configs and kernel
conversion."""
import numpy as np
import pytest

import symkeras.backend as K
from symkeras.engine import Container, Model
from symkeras.layers import (Activation, BatchNormalization, Dense, Dropout, Input, Layer,
                             merge)
from symkeras.models import Sequential
from symkeras.utils import layer_utils
from symkeras.utils.layer_utils import (convert_all_kernels_in_model, count_total_params,
                                        layer_from_config, print_summary)
from symkeras.utils.np_utils import convert_kernel

RULE, DOUBLE = '_' * 100, '=' * 100
HEADER = ('Layer (type)                     Output Shape          Param #     '
          'Connected to                     ')


def row(name, shape, params, connected):
    """A 100-column summary row with 1.2.2's column ends 33, 55, 67, 100."""
    return '%-33s%-22s%-12s%-33s' % (name, shape, params, connected)


def chain():
    x = Input(shape=(784,), name='in')
    h = Dense(512, name='d1')(x)
    h = Dropout(0.2, name='drop')(h)
    h = Activation('relu', name='act')(h)
    return Container(x, Dense(10, name='d2')(h), name='chain')


CHAIN_TABLE = [
    RULE, HEADER, DOUBLE,
    row('in (InputLayer)', '(None, 784)', 0, ''), RULE,
    row('d1 (Dense)', '(None, 512)', 401920, 'in[0][0]'), RULE,
    row('drop (Dropout)', '(None, 512)', 0, 'd1[0][0]'), RULE,
    row('act (Activation)', '(None, 512)', 0, 'drop[0][0]'), RULE,
    row('d2 (Dense)', '(None, 10)', 5130, 'act[0][0]'), DOUBLE,
    'Total params: 407,050', 'Trainable params: 407,050', 'Non-trainable params: 0', RULE]


def lines(capsys):
    return capsys.readouterr().out.split('\n')[:-1]


def test_row_layout_is_fixed_width():
    assert all(len(line) == 100 for line in CHAIN_TABLE[:3])
    assert HEADER.index('Output Shape') == 33 and HEADER.index('Connected to') == 67


def test_summary_of_a_chain(capsys):
    chain().summary()
    assert lines(capsys) == CHAIN_TABLE


def test_print_summary_of_a_chain_directly(capsys):
    model = chain()
    print_summary(model.layers, model.container_nodes)
    assert lines(capsys) == CHAIN_TABLE
    print_summary(model.layers)      # no filtering: the same, each layer has one call
    assert lines(capsys) == CHAIN_TABLE


class Flattened(Container):
    """A container listing flattened_layers (as Sequential does): summary shows those."""

    @property
    def flattened_layers(self):
        return self.layers[1:]


def test_summary_lists_flattened_layers(capsys):
    x = Input(shape=(784,), name='in')
    Flattened(x, Dense(512, name='d1')(x)).summary(line_length=100)
    assert lines(capsys) == [
        RULE, HEADER, DOUBLE, row('d1 (Dense)', '(None, 512)', 401920, 'in[0][0]'), DOUBLE,
        'Total params: 401,920', 'Trainable params: 401,920', 'Non-trainable params: 0', RULE]


def two_inputs():
    a = Input(shape=(3,), name='a')
    b = Input(shape=(4,), name='b')
    shared = Dense(5, name='shared')
    left, right = shared(a), shared(Dense(3, name='proj')(b))
    out = merge([left, right], mode='concat', name='cat')
    bn = BatchNormalization(name='bn')(out)
    return Model([a, b], bn, name='two'), shared


def test_summary_of_a_two_input_model(capsys):
    model, _ = two_inputs()
    model.summary()
    assert lines(capsys) == [
        RULE, HEADER, DOUBLE,
        row('b (InputLayer)', '(None, 4)', 0, ''), RULE,
        row('a (InputLayer)', '(None, 3)', 0, ''), RULE,
        row('proj (Dense)', '(None, 3)', 15, 'b[0][0]'), RULE,
        row('shared (Dense)', '(None, 5)', 20, 'a[0][0]'),
        row('', '', '', 'proj[0][0]'), RULE,
        row('cat (Merge)', '(None, 10)', 0, 'shared[0][0]'),
        row('', '', '', 'shared[1][0]'), RULE,
        row('bn (BatchNormalization)', '(None, 10)', 40, 'cat[0][0]'), DOUBLE,
        'Total params: 75', 'Trainable params: 55', 'Non-trainable params: 20', RULE]


def test_relevant_nodes_hide_calls_outside_the_network(capsys):
    model, shared = two_inputs()
    c = Input(shape=(5,), name='c')
    Dense(5, name='late')(shared(Dense(3, name='other')(c)))   # shared's node 2, elsewhere
    print_summary([shared], model.container_nodes)
    assert lines(capsys)[3:5] == [row('shared (Dense)', '(None, 5)', 20, 'a[0][0]'),
                                  row('', '', '', 'proj[0][0]')]
    print_summary([shared])
    assert lines(capsys)[3:6] == [row('shared (Dense)', '(None, 5)', 20, 'a[0][0]'),
                                  row('', '', '', 'proj[0][0]'),
                                  row('', '', '', 'other[0][0]')]


def test_ambiguous_output_shape_prints_multiple(capsys):
    layer = Dense(2, name='multi')
    layer(Input(shape=(3,)))
    layer(Input(shape=(4, 3)))
    print_summary([layer])
    assert lines(capsys)[3].startswith('multi (Dense)                    multiple    ')


def test_nested_model_row_and_totals(capsys):
    inner = chain()
    x = Input(shape=(784,), name='outer_in')
    outer = Model(x, Dense(1, name='head')(inner(x)), name='outer')
    outer.summary(line_length=70, positions=[.4, .7, .85, 1.])
    out = lines(capsys)
    assert out[0] == '_' * 70 and out[2] == '=' * 70
    # columns end at int(70 * p) = 28, 49, 59, 70; the last field is cut at the line end
    assert out[1] == '%-28s%-21s%-10s%-11s' % ('Layer (type)', 'Output Shape', 'Param #',
                                                'Connected t')
    assert out[5] == '%-28s%-21s%-10s%-11s' % ('chain (Container)', '(None, 10)', 407050,
                                                'outer_in[0]')
    assert out[-4:] == ['Total params: 407,061', 'Trainable params: 407,061',
                        'Non-trainable params: 0', '_' * 70]


def test_absolute_positions(capsys):
    print_summary(chain().layers, line_length=40, positions=[12, 24, 30, 40])
    out = lines(capsys)
    # as in 1.2.2, each field's last column is overwritten by a space before the next field
    assert out[1] == 'Layer (type Output Shap Param Connected '
    assert out[5] == 'd1 (Dense)  (None, 512) 40192 in[0][0]  '
    assert all(len(line) == 40 for line in out[:6])


def test_positions_must_have_four_entries():
    with pytest.raises(ValueError, match=r'positions must have 4 entries; got \[0.5, 1.0\]'):
        print_summary(chain().layers, positions=[.5, 1.])


def test_count_total_params():
    model, shared = two_inputs()
    assert count_total_params(model.layers) == (55, 20)
    assert count_total_params([shared, shared]) == (20, 0)
    seen = {shared}
    assert count_total_params(model.layers, layer_set=seen) == (35, 20)
    assert len(seen) == len(model.layers)
    frozen = Dense(2, trainable=False)
    frozen(Input(shape=(3,)))
    assert count_total_params([frozen]) == (0, 8)


def test_count_total_params_counts_nested_layers_once():
    inner = chain()
    x = Input(shape=(784,))
    outer = Model(x, inner(x))
    assert count_total_params(outer.layers) == (407050, 0)
    assert count_total_params(outer.layers + inner.layers) == (407050, 0)


def test_layer_from_config():
    layer = layer_from_config({'class_name': 'Dense',
                               'config': {'output_dim': 3, 'name': 'from_cfg'}})
    assert isinstance(layer, Dense) and layer.output_dim == 3 and layer.name == 'from_cfg'


@pytest.mark.parametrize('class_name', ['Model', 'Container'])
def test_layer_from_config_model(class_name):
    model, _ = two_inputs()
    rebuilt = layer_from_config({'class_name': class_name, 'config': model.get_config()})
    assert type(rebuilt) is Model
    assert [layer.name for layer in rebuilt.layers] == [layer.name for layer in model.layers]
    assert rebuilt.count_params() == model.count_params()


def test_layer_from_config_sequential():
    model = Sequential([Dense(4, input_dim=3, name='s1'), Activation('tanh', name='s2')])
    rebuilt = layer_from_config({'class_name': 'Sequential', 'config': model.get_config()})
    assert type(rebuilt) is Sequential
    assert [layer.name for layer in rebuilt.layers] == ['s1', 's2']
    assert rebuilt.count_params() == 16


def test_layer_from_config_custom_objects():
    class Twice(Layer):
        def call(self, x, mask=None):
            return 2 * x

    layer = layer_from_config({'class_name': 'Twice', 'config': {'name': 't'}},
                              custom_objects={'Twice': Twice})
    assert isinstance(layer, Twice) and layer.name == 't'
    with pytest.raises(ValueError, match="Unknown layer class: 'Twice'"):
        layer_from_config({'class_name': 'Twice', 'config': {}})


def test_layer_from_config_bad_input():
    with pytest.raises(ValueError, match="expected a dict with 'class_name' and 'config'"):
        layer_from_config(['Dense'])


class Convolution2D(Layer):
    """A stand-in with the class name and 'th' kernel of Keras' Convolution2D (identity)."""

    def build(self, input_shape):
        self.W = self.add_weight((2, 3, 3, 4), 'zero', name='W')
        self.b = self.add_weight((2,), 'zero', name='b')

    def call(self, x, mask=None):
        return x


def test_convert_all_kernels_in_model():
    x = Input(shape=(3,))
    conv, dense = Convolution2D(), Dense(2)
    model = Model(x, dense(conv(x)))
    kernel = np.arange(72, dtype='float32').reshape(2, 3, 3, 4)
    K.set_value(conv.W, kernel)
    K.set_value(conv.b, [1., 2.])
    dense_weights = dense.get_weights()
    convert_all_kernels_in_model(model)
    np.testing.assert_array_equal(K.get_value(conv.W), kernel[:, :, ::-1, ::-1])
    np.testing.assert_array_equal(K.get_value(conv.W), convert_kernel(kernel))
    np.testing.assert_array_equal(K.get_value(conv.b), [1., 2.])
    for before, after in zip(dense_weights, dense.get_weights()):
        np.testing.assert_array_equal(before, after)
    convert_all_kernels_in_model(model)
    np.testing.assert_array_equal(K.get_value(conv.W), kernel)


def test_conv_classes_are_keras_1_2_2s():
    assert layer_utils.CONV_CLASSES == {'Convolution1D', 'Convolution2D', 'Convolution3D',
                                        'AtrousConvolution2D', 'Deconvolution2D'}
