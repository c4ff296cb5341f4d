"""Keras 1.2.2's layer utilities: model summaries, parameter counts, layer configs and the
Theano <-> TensorFlow convolution kernel conversion."""
from __future__ import print_function

from .. import backend as K
from .. import models  # noqa: F401  (registers the layer, Model and Sequential classes)
from ..engine import topology
from ..engine.topology import Container
from ..engine.training import Model
from .np_utils import convert_kernel

# Keras 1.2.2's convolution layers (SeparableConvolution2D is TensorFlow-only, so excluded).
CONV_CLASSES = frozenset(['Convolution1D', 'Convolution2D', 'Convolution3D',
                          'AtrousConvolution2D', 'Deconvolution2D'])
HEADER = ['Layer (type)', 'Output Shape', 'Param #', 'Connected to']


def layer_from_config(config, custom_objects=None):
    """A layer (or Model, Sequential) from {'class_name': ..., 'config': {...}}. 'Model' and
    'Container' give a Model, as in Keras 1.2.2; other names are looked up in custom_objects,
    the registered custom objects, then the registered layer classes."""
    if isinstance(config, dict) and config.get('class_name') in ('Model', 'Container'):
        return Model.from_config(config.get('config'), custom_objects=custom_objects)
    return topology.layer_from_config(config, custom_objects=custom_objects)


def _positions(line_length, positions):
    if positions is None:
        positions = [.33, .55, .67, 1.]
    if len(positions) != len(HEADER):
        raise ValueError('print_summary: positions must have %d entries; got %r'
                         % (len(HEADER), positions))
    if positions[-1] <= 1:
        return [int(line_length * p) for p in positions]
    return list(positions)


def _row(fields, positions):
    """Each field starts where the previous column ends (its last character replaced by a
    space) and is cut or padded to its column's end."""
    line = ''
    for i, field in enumerate(fields):
        if i > 0:
            line = line[:-1] + ' '
        line = (line + str(field))[:positions[i]]
        line += ' ' * (positions[i] - len(line))
    return line


def _connections(layer, relevant_nodes):
    connections = []
    for node_index, node in enumerate(layer.inbound_nodes):
        if relevant_nodes and '%s_ib-%d' % (layer.name, node_index) not in relevant_nodes:
            continue    # a call of the layer outside this network
        for inbound, index, tensor in zip(node.inbound_layers, node.node_indices,
                                          node.tensor_indices):
            connections.append('%s[%d][%d]' % (inbound.name, index, tensor))
    return connections


def _layer_rows(layer, relevant_nodes, positions):
    try:
        output_shape = layer.output_shape
    except AttributeError:
        output_shape = 'multiple'
    connections = _connections(layer, relevant_nodes) or ['']
    rows = [_row(['%s (%s)' % (layer.name, layer.__class__.__name__), output_shape,
                  layer.count_params(), connections[0]], positions)]
    rows.extend(_row(['', '', '', c], positions) for c in connections[1:])
    return rows


def print_summary(layers, relevant_nodes=None, line_length=100, positions=None):
    """Print Keras 1.2.2's summary table of `layers`: name (class), output shape ('multiple'
    when ambiguous), parameter count and inbound connections 'layer[node][tensor]', then the
    total, trainable and non-trainable parameter counts. relevant_nodes (a Container's
    container_nodes, keys '<layer>_ib-<node index>') limits connections to that network.
    positions are the column ends, as fractions of line_length or absolute columns."""
    positions = _positions(line_length, positions)
    lines = ['_' * line_length, _row(HEADER, positions), '=' * line_length]
    for i, layer in enumerate(layers):
        lines.extend(_layer_rows(layer, relevant_nodes, positions))
        lines.append(('=' if i == len(layers) - 1 else '_') * line_length)
    trainable, non_trainable = count_total_params(layers)
    lines.append('Total params: {:,}'.format(trainable + non_trainable))
    lines.append('Trainable params: {:,}'.format(trainable))
    lines.append('Non-trainable params: {:,}'.format(non_trainable))
    lines.append('_' * line_length)
    print('\n'.join(lines))


def count_total_params(layers, layer_set=None):
    """(trainable, non-trainable) parameter counts of `layers`, counting nested Containers'
    layers and each layer once; layer_set holds the layers already counted (updated)."""
    if layer_set is None:
        layer_set = set()
    trainable = non_trainable = 0
    for layer in layers:
        if layer in layer_set:
            continue
        layer_set.add(layer)
        if isinstance(layer, Container):
            t, nt = count_total_params(layer.layers, layer_set)
        else:
            t = sum(K.count_params(p) for p in layer.trainable_weights)
            nt = sum(K.count_params(p) for p in layer.non_trainable_weights)
        trainable += t
        non_trainable += nt
    return trainable, non_trainable


def convert_all_kernels_in_model(model):
    """Flip the kernels (`W`) of the model's convolution layers in place, converting them
    from Theano to TensorFlow convention or back (see np_utils.convert_kernel)."""
    to_assign = [(layer.W, convert_kernel(K.get_value(layer.W))) for layer in model.layers
                 if layer.__class__.__name__ in CONV_CLASSES]
    K.batch_set_value(to_assign)
