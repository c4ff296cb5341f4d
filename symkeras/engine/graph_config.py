"""Files of Keras 0.3.3's Graph (engine/graph.py): its configuration (to_json / to_yaml /
from_config) and its weights file.

Config (what 0.3.3's Graph.get_config gave):

    {"name": "Graph",
     "input_config":  [{"name", "dtype": "float"|"int", "input_shape" | "batch_input_shape"}],
     "node_config":   [{"name", "input", "inputs", "merge_mode", "concat_axis", "dot_axes",
                        "create_output"}, ...],
     "output_config": [{"name", "input", "inputs", "merge_mode", "concat_axis", "dot_axes"}],
     "input_order", "output_order",
     "nodes": {<node name>: <0.3.3 layer config>},
     + once compiled: "sample_weight_modes", "loss_weights", "optimizer": {"name": <class>,
       <hyper-parameters>}, "loss": {<output>: <loss name>}}

A 0.3.3 layer config is flat: {"name": <class>, "custom_name": <layer name>, "trainable",
"cache_enabled", <constructor arguments>}. A shared node is 0.3.3's Siamese: node_config
{"name", "inputs", "merge_mode", "concat_axis", "dot_axes", "create_output"}, nodes entry
{"name": "Siamese", "layer": <layer config>, ...}, and with merge_mode None one more node_config
entry {"name": <head>, "inputs": [<shared node>], "create_output"} per result, whose nodes entry
is {"name": "SiameseHead", "head": <index>}.

Weights file (0.3.3's Graph.save_weights): group /graph with attribute nb_params (int64) and
datasets param_0 .. param_<nb_params - 1> in Graph.get_weights() order.
"""
import copy
import json
import os
import pprint

import numpy as np

from ..utils.io_utils import ask_to_proceed_with_overwrite, atomic_write_path
from . import saving
from .legacy_config import _loss, layer_from_033_config

_NODE_KEYS = ('input', 'inputs', 'merge_mode', 'concat_axis', 'dot_axes', 'create_output')
_OUTPUT_KEYS = ('input', 'inputs', 'merge_mode', 'concat_axis', 'dot_axes')


# ----------------------------------------------------------------------------- config out

def layer_033_config(layer):
    """A layer's config in Keras 0.3.3's flat form (nested Graphs and Sequentials too)."""
    from .graph import Graph
    if isinstance(layer, Graph):
        return get_config(layer, compile_info=False)
    if layer.__class__.__name__ == 'Sequential':
        return {'name': 'Sequential', 'layers': [layer_033_config(l) for l in layer.layers]}
    config = layer.get_config()
    # A node's input is given by the graph: 0.3.3 node configs carry no input shape.
    config.pop('batch_input_shape', None)
    config.pop('input_dtype', None)
    out = {'name': layer.__class__.__name__, 'custom_name': config.pop('name', layer.name),
           'cache_enabled': True}
    out.update(config)
    return out


def _siamese_config(graph, name):
    layer, merge_mode, _ = graph._shared[name]
    entry = next(c for c in graph.node_config if c['name'] == name)
    return {'name': 'Siamese', 'custom_name': name, 'trainable': layer.trainable,
            'cache_enabled': True, 'layer': layer_033_config(layer), 'merge_mode': merge_mode,
            'concat_axis': entry['concat_axis'], 'dot_axes': entry['dot_axes'],
            'is_graph': True}


def _node_configs(graph):
    nodes = {}
    for conf in graph.node_config:
        name = conf['name']
        if name in graph._shared:
            nodes[name] = _siamese_config(graph, name)
        elif 'input' not in conf:     # a result of a shared node without merge_mode
            shared = conf['inputs'][0]
            nodes[name] = {'name': 'SiameseHead', 'custom_name': name, 'cache_enabled': True,
                           'head': graph._shared[shared][2].index(name)}
        else:
            nodes[name] = layer_033_config(graph.nodes[name])
    return nodes


def _optimizer_config(optimizer):
    config = {'name': optimizer.__class__.__name__}
    config.update(optimizer.get_config())
    return config


def _loss_name(loss):
    return loss if isinstance(loss, str) else getattr(loss, '__name__', repr(loss))


def get_config(graph, verbose=0, compile_info=True):
    """The graph's 0.3.3 config (see the module docstring); compile_info adds the training
    configuration of a compiled graph (0.3.3's models.Graph did; a Graph inside another
    model is written without it)."""
    config = {'name': 'Graph', 'input_config': graph.input_config,
              'node_config': graph.node_config, 'output_config': graph.output_config,
              'input_order': graph.input_order, 'output_order': graph.output_order,
              'nodes': _node_configs(graph)}
    if compile_info and graph.model is not None and hasattr(graph.model, 'train_function'):
        config.update({'sample_weight_modes': graph.sample_weight_modes,
                       'loss_weights': graph.loss_weights,
                       'optimizer': _optimizer_config(graph.optimizer),
                       'loss': {k: _loss_name(v) for k, v in graph.loss.items()}})
    config = copy.deepcopy(config)
    if verbose:
        pprint.pprint(config)
    return config


def to_json(graph, **kwargs):
    return json.dumps(get_config(graph), default=saving._json_default, **kwargs)


def to_yaml(graph, **kwargs):
    return saving._yaml().dump(get_config(graph), **kwargs)


# ----------------------------------------------------------------------------- config in

def _require(config, key, kind, where):
    if key not in config or not isinstance(config[key], kind):
        raise ValueError('%s: the config needs %r as a %s; got %r'
                         % (where, key, kind.__name__, config.get(key)))
    return config[key]


def from_config(cls, config, custom_objects=None):
    """A Graph from its 0.3.3 config, compiled if the config has an optimizer."""
    where = 'Graph.from_config'
    if not isinstance(config, dict) or config.get('name') != 'Graph':
        raise ValueError('%s: expected a Keras 0.3 Graph config (a dict with "name": "Graph"); '
                         'got %r' % (where, config if not isinstance(config, dict)
                                     else {'name': config.get('name')}))
    nodes = _require(config, 'nodes', dict, where)
    graph = cls()
    for entry in _require(config, 'input_config', list, where):
        graph.add_input(**entry)
    node_config = _require(config, 'node_config', list, where)
    for entry in node_config:
        name = entry.get('name')
        if name in graph.namespace:     # a result of a shared node, added with it
            continue
        if name not in nodes:
            raise ValueError('%s: node %r has no layer config in "nodes" (it has %s)'
                             % (where, name, sorted(nodes)))
        layer_config = nodes[name]
        if isinstance(layer_config, dict) and layer_config.get('name') == 'Siamese':
            _add_shared(graph, entry, layer_config, node_config, custom_objects, where)
        else:
            args = {k: entry[k] for k in _NODE_KEYS if k in entry}
            # The outputs come from output_config below, in their order.
            args['create_output'] = False
            graph.add_node(layer_from_033_config(layer_config, custom_objects), name, **args)
            graph.node_config[-1]['create_output'] = entry.get('create_output', False)
    for entry in _require(config, 'output_config', list, where):
        graph.add_output(entry['name'], **{k: entry[k] for k in _OUTPUT_KEYS if k in entry})
    for key, got in (('input_order', graph.input_order), ('output_order', graph.output_order)):
        if key in config and list(config[key]) != got:
            raise ValueError('%s: %s is %s, but the input/output configs give %s'
                             % (where, key, config[key], got))
    if 'optimizer' in config:
        graph.compile(config['optimizer'], _loss(config.get('loss'), custom_objects),
                      sample_weight_modes=config.get('sample_weight_modes') or {},
                      loss_weights=config.get('loss_weights') or {})
    return graph


def _add_shared(graph, entry, layer_config, node_config, custom_objects, where):
    name = entry['name']
    merge_mode = entry.get('merge_mode')
    # Its results are the entries after it that name it as their only input and have no
    # merge settings (another shared node over those results has them).
    heads = [] if merge_mode else [c['name'] for c in node_config
                                   if c.get('inputs') == [name] and 'merge_mode' not in c]
    layer = layer_from_033_config(_require(layer_config, 'layer', dict, where), custom_objects)
    graph.add_shared_node(layer, name, inputs=entry.get('inputs', []), merge_mode=merge_mode,
                          concat_axis=entry.get('concat_axis', -1),
                          dot_axes=entry.get('dot_axes', -1), outputs=heads,
                          create_output=False)
    # Restore the recorded create_output flags (the outputs come from output_config).
    for conf in graph.node_config:
        if conf['name'] == name or conf['name'] in heads:
            original = next(c for c in node_config if c['name'] == conf['name'])
            conf['create_output'] = original.get('create_output', False)


# ----------------------------------------------------------------------------- weights

def save_weights(graph, filepath, overwrite=False):
    """0.3.3's Graph weights file, written atomically; with overwrite=False and an existing
    file, ask on the terminal first."""
    import h5py
    filepath = os.fspath(filepath)
    if not overwrite and os.path.isfile(filepath):
        if not ask_to_proceed_with_overwrite(filepath):
            return
    weights = graph.get_weights()
    with atomic_write_path(filepath) as tmp:
        with h5py.File(tmp, 'w') as f:
            g = f.create_group('graph')
            g.attrs['nb_params'] = np.int64(len(weights))
            for n, value in enumerate(weights):
                g.create_dataset('param_%d' % n, data=np.asarray(value))


def load_weights(graph, filepath):
    """Read a 0.3.3 Graph weights file into the graph (set_weights checks count and shapes)."""
    import h5py
    with h5py.File(os.fspath(filepath), 'r') as f:
        if 'graph' not in f or 'nb_params' not in f['graph'].attrs:
            raise ValueError('Graph "%s".load_weights: %s is not a Keras 0.3 Graph weights file '
                             '(no group "graph" with an nb_params attribute; it has %s)'
                             % (graph.name, filepath, sorted(f.keys())))
        g = f['graph']
        weights = [np.asarray(g['param_%d' % n]) for n in range(int(g.attrs['nb_params']))]
    graph.set_weights(weights)
