"""Keras 0.3.3 model configurations (what 0.3.3's `to_json` / `to_yaml` wrote) read into
symkeras objects. Keras 1.2.2 itself cannot read them (its reader wants "class_name").

A 0.3.3 layer config is flat: {"name": <class>, "custom_name": <layer name>, "trainable",
"cache_enabled", "input_shape" (first layer), <constructor arguments>}, regularizers and
constraints as {"name": <class>, <arguments>}. A Sequential is {"name": "Sequential", "layers":
[...]} plus, once compiled, "optimizer" ({"name": <class>, <hyper-parameters>}), "loss",
"sample_weight_mode" (and "class_mode" in some 0.3 versions). A Graph is {"name": "Graph",
"input_config", "node_config", "output_config", "nodes", ...}: symkeras.engine.graph reads it.
"""
import importlib

from .. import constraints, regularizers
from .topology import Merge, get_layer_class

# 0.3.3 constructor arguments that 1.2.2 renamed: {class: {0.3.3 name: 1.2.2 name}}.
_RENAMED = {
    'Reshape': {'dims': 'target_shape'},
}

# Arguments with no meaning in 1.2.2: every layer's cache_enabled (0.3's output cache), and
# the target / beta of early 0.3 Activation layers (a sparsity target that was never used).
_DROPPED_EVERYWHERE = ('cache_enabled',)
_DROPPED = {
    'Activation': ('target', 'beta'),
}

# 0.3.3 classes that 1.2.2 removed, with what to use instead.
_REMOVED = {
    'AutoEncoder': 'add the encoder and decoder layers to a Sequential or Model',
    'DenoisingAutoEncoder': 'add the encoder and decoder layers to a Sequential or Model',
    'TimeDistributedMerge': 'use a Lambda layer (K.sum / K.mean / K.prod over axis 1)',
    'LambdaMerge': 'use a Merge layer with a function as mode',
    'Siamese': 'share a layer with the functional API',
    'SiameseHead': 'share a layer with the functional API',
    'ThresholdedLinear': 'use ThresholdedReLU or a Lambda layer',
    'SimpleDeepRNN': 'stack SimpleRNN layers',
    'JZS1': 'use GRU', 'JZS2': 'use GRU', 'JZS3': 'use GRU',
    'LRN2D': 'use a Lambda layer',
}


def _class_name(config, what):
    if not isinstance(config, dict) or not isinstance(config.get('name'), str):
        raise ValueError('%s: expected a Keras 0.3 config, a dict whose "name" is the class '
                         'name; got %r' % (what, config))
    return config['name']


def _weight_object(key, value, where):
    """A 0.3.3 regularizer or constraint config {"name": <class>, ...} as the object (a
    {"name": ...} dict naming neither is an error); any other value is returned as it is."""
    if not isinstance(value, dict) or not isinstance(value.get('name'), str):
        return value
    for module in (constraints, regularizers):
        try:
            return module.get(value)
        except ValueError:
            continue
    raise ValueError('%s: argument %s = %r is neither a known regularizer nor a known '
                     'constraint' % (where, key, value))


def _layer_name(class_name, custom_name):
    """0.3.3 gave every layer the name of its class in lower case unless the user set one; such
    default names repeat within a model, which 1.2.2 forbids, so they make way for fresh
    names (dense_1, dense_2, ...)."""
    if not custom_name or custom_name == class_name.lower():
        return None
    return custom_name


def layer_from_033_config(config, custom_objects=None):
    """A symkeras layer from a Keras 0.3.3 layer config (see the module docstring). Nested
    Sequential and Graph configs, and a Merge of sub-models, are rebuilt too. custom_objects
    maps class names to user layer classes."""
    class_name = _class_name(config, 'layer_from_033_config')
    # The layer classes register themselves when symkeras.models (and so symkeras.layers) is
    # imported; a reader may run before that.
    importlib.import_module('..models', __package__)
    if class_name == 'Sequential':
        return _sequential(config, custom_objects)
    if class_name == 'Graph':
        from .graph import Graph
        return Graph.from_config(config, custom_objects)
    where = 'Keras 0.3 layer %s (%r)' % (class_name, config.get('custom_name'))
    if class_name in _REMOVED and class_name not in (custom_objects or {}):
        raise ValueError('%s: Keras 1.2.2 has no %s layer; instead, %s'
                         % (where, class_name, _REMOVED[class_name]))
    args = dict(config)
    del args['name']
    name = _layer_name(class_name, args.pop('custom_name', None))
    for key in _DROPPED_EVERYWHERE + _DROPPED.get(class_name, ()):
        args.pop(key, None)
    for old, new in _RENAMED.get(class_name, {}).items():
        if old in args:
            args[new] = args.pop(old)
    if class_name == 'Merge':
        return _merge(args, name, custom_objects, where)
    try:
        cls = get_layer_class(class_name, custom_objects)
    except ValueError as e:
        raise ValueError('%s: %s' % (where, e)) from None
    args = {key: _weight_object(key, value, where) for key, value in args.items()}
    if name is not None:
        args['name'] = name
    try:
        return cls(**args)
    except TypeError as e:
        raise TypeError('%s: %s' % (where, e)) from None


def _merge(args, name, custom_objects, where):
    """A 0.3.3 Merge of sub-models: {"layers": [<model configs>], "mode", "concat_axis",
    "dot_axes"}."""
    branches = args.pop('layers', None)
    if not isinstance(branches, list) or len(branches) < 2:
        raise ValueError('%s: "layers" must list at least 2 sub-model configs; got %r'
                         % (where, branches))
    args.pop('trainable', None)
    try:
        return Merge([layer_from_033_config(b, custom_objects) for b in branches], name=name,
                     **args)
    except TypeError as e:
        raise TypeError('%s: %s' % (where, e)) from None


def _sequential(config, custom_objects):
    from ..models import Sequential
    layers = config.get('layers')
    if not isinstance(layers, list):
        raise ValueError('Keras 0.3 Sequential config: "layers" must be a list of layer '
                         'configs; got %r' % (layers,))
    return Sequential([layer_from_033_config(c, custom_objects) for c in layers])


def _optimizer(config):
    from .. import optimizers
    if not isinstance(config, dict) or not isinstance(config.get('name'), str):
        raise ValueError('Keras 0.3 model config: "optimizer" must be a dict with the '
                         'optimizer class as "name"; got %r' % (config,))
    args = dict(config)
    return optimizers.get(args.pop('name'), args)


def _loss(loss, custom_objects):
    """0.3.3 saved a custom loss by its function name, resolved through custom_objects."""
    custom_objects = custom_objects or {}
    if isinstance(loss, dict):
        return {k: custom_objects.get(v, v) for k, v in loss.items()}
    return custom_objects.get(loss, loss)


def model_from_033_config(config, custom_objects=None):
    """A model from a Keras 0.3.3 model config: a Sequential, or a Graph (through
    symkeras.engine.graph). As 0.3.3's model_from_config did, the model is compiled when the
    config has an "optimizer" (with its loss, sample_weight_mode(s), loss_weights)."""
    class_name = _class_name(config, 'model_from_033_config')
    if class_name not in ('Sequential', 'Graph'):
        raise ValueError('model_from_033_config: a Keras 0.3 model config is a Sequential or '
                         'a Graph; got class %r' % (class_name,))
    model = layer_from_033_config(config, custom_objects)
    # Graph.from_config compiles the Graph itself.
    if class_name == 'Sequential' and 'optimizer' in config:
        # class_mode: only in some 0.3 versions' configs (Sequential takes it, deprecated).
        extra = {'class_mode': config['class_mode']} if config.get('class_mode') else {}
        model.compile(_optimizer(config['optimizer']), _loss(config.get('loss'), custom_objects),
                      sample_weight_mode=config.get('sample_weight_mode'), **extra)
    return model
