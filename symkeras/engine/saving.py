"""Keras 1.2.2's model files: weights in HDF5 (`save_weights` / `load_weights`, the layout of
Container.save_weights_to_hdf5_group) and model configurations as JSON / YAML (`to_json`,
`to_yaml`, `model_from_config`, `model_from_json`, `model_from_yaml`).

Weight file layout (what Keras 1.2.2 writes, byte for byte in its attributes):

    /                        attr layer_names  = fixed-length byte strings, one per layer
    /<layer name>/           attr weight_names = byte strings in layer.weights order
                             (an empty float64 array for a weightless layer)
    /<layer name>/<weight>   dataset with the weight's value, shape and dtype

Name lists longer than HDF5's 64 KB object-header limit are split into attributes
layer_names0, layer_names1, ... (as later Keras versions do); readers accept both forms.
Files are written to a temporary name and renamed, so a failed save leaves the previous file.
Keras 0.3.3 configs (no "class_name" key) are read through engine.legacy_config.
"""
import json
import os

import numpy as np

from .. import __version__ as keras_version
from .. import backend as K
from ..utils.io_utils import ask_to_proceed_with_overwrite, atomic_write_path
from .topology import layer_from_config


def _layers(container):
    """The layers whose weights go into a file: a legacy Sequential's flattened_layers (no
    InputLayer, as in Keras 1.2.2), otherwise container.layers (InputLayers included)."""
    flattened = getattr(container, 'flattened_layers', None)
    return flattened if flattened is not None else container.layers


def _decode(names):
    """Names from an HDF5 attribute: fixed- or variable-length, bytes or str."""
    return [n.decode('utf8') if isinstance(n, (bytes, np.bytes_)) else str(n) for n in names]


def _name_array(names):
    """Names as Keras 1.2.2's h5py stored them: fixed-length utf-8 byte strings (|S<max>); an
    empty list is an empty float64 array."""
    return np.array([name.encode('utf8') for name in names])


# HDF5 keeps attributes in the object header, whose messages are limited to 64 KB.
HDF5_OBJECT_HEADER_LIMIT = 64512


def save_names_attribute(group, key, names):
    """Store a list of names as the attribute `key` of group, or, when it would not fit in an
    object header, as `key`0, `key`1, ... holding consecutive slices of the list."""
    data = _name_array(names)
    if data.nbytes <= HDF5_OBJECT_HEADER_LIMIT:
        group.attrs[key] = data
        return
    if data.itemsize > HDF5_OBJECT_HEADER_LIMIT:
        longest = max(names, key=lambda n: len(n.encode('utf8')))
        raise ValueError('cannot save the attribute %s of %s: the name %r... is %d bytes long, '
                         'over the HDF5 limit of %d bytes for one attribute'
                         % (key, group.name, longest[:40], data.itemsize,
                            HDF5_OBJECT_HEADER_LIMIT))
    nb_chunks = -(-data.nbytes // HDF5_OBJECT_HEADER_LIMIT)
    while any(c.nbytes > HDF5_OBJECT_HEADER_LIMIT for c in np.array_split(data, nb_chunks)):
        nb_chunks += 1
    for i, chunk in enumerate(np.array_split(data, nb_chunks)):
        group.attrs['%s%d' % (key, i)] = chunk


def has_names_attribute(group, key):
    return key in group.attrs or key + '0' in group.attrs


def load_names_attribute(group, key):
    """The names saved by save_names_attribute (whole or in chunks)."""
    if key in group.attrs:
        return _decode(group.attrs[key])
    names = []
    i = 0
    while '%s%d' % (key, i) in group.attrs:
        names += _decode(group.attrs['%s%d' % (key, i)])
        i += 1
    return names


def open_hdf5(filepath, what):
    """filepath opened for reading with h5py; a missing file, or one that is not HDF5 (or is
    damaged: truncated, overwritten), is an error naming the file and `what` was reading it."""
    import h5py
    filepath = os.fspath(filepath)
    try:
        return h5py.File(filepath, 'r')
    except FileNotFoundError as e:
        raise FileNotFoundError('%s: no such file: %s (%s)' % (what, filepath, e)) from None
    except OSError as e:
        raise ValueError('%s: %s is not a readable HDF5 file; it is not a Keras file or it is '
                         'damaged (e.g. truncated): %s' % (what, filepath, e)) from None


def _weight_names(layer):
    """Keras 1.2.2's dataset names for a layer's weights: the variable's name, or param_<i>
    for an unnamed one."""
    names = [w.name if getattr(w, 'name', None) else 'param_%d' % i
             for i, w in enumerate(layer.weights)]
    for name in names:
        if names.count(name) > 1:
            raise ValueError('save_weights: layer "%s" has %d weights named %r; each weight of '
                             'a layer needs its own name to be saved'
                             % (layer.name, names.count(name), name))
    return names


# ----------------------------------------------------------------------------- weights

def save_weights_to_hdf5_group(container, group):
    """Write the container's layer names, weight names and weight values into an open h5py
    group (the root of a weights file, or a full-model file's model_weights)."""
    layers = _layers(container)
    save_names_attribute(group, 'layer_names', [layer.name for layer in layers])
    for layer in layers:
        g = group.create_group(layer.name)
        names = _weight_names(layer)
        values = K.batch_get_value(layer.weights)
        save_names_attribute(g, 'weight_names', names)
        for name, value in zip(names, values):
            g.create_dataset(name, data=np.asarray(value))


def save_weights(container, filepath, overwrite=True):
    """Save all the container's weights to an HDF5 file at filepath (Keras 1.2.2 layout).
    With overwrite=False and an existing file, ask on the terminal first (nothing is written
    on 'n')."""
    import h5py
    filepath = os.fspath(filepath)
    if not overwrite and os.path.isfile(filepath):
        if not ask_to_proceed_with_overwrite(filepath):
            return
    with atomic_write_path(filepath) as tmp:
        with h5py.File(tmp, 'w') as f:
            save_weights_to_hdf5_group(container, f)


def _read_group(group, name):
    g = group[name]
    weight_names = load_names_attribute(g, 'weight_names')
    return [np.asarray(g[weight_name]) for weight_name in weight_names]


def _check_and_pair(layer, values, where):
    """(variable, value) pairs for one layer, after checking the count and every shape."""
    symbolic = layer.weights
    if len(values) != len(symbolic):
        raise ValueError('%s: layer "%s" of the model expects %d weight(s), but the saved '
                         'weights have %d element(s)'
                         % (where, layer.name, len(symbolic), len(values)))
    pairs = []
    for w, value in zip(symbolic, values):
        if tuple(K.int_shape(w)) != value.shape:
            raise ValueError('%s: layer "%s", weight %s has shape %s in the model but %s in '
                             'the file' % (where, layer.name, w.name, tuple(K.int_shape(w)),
                                           value.shape))
        pairs.append((w, value))
    return pairs


def _load_legacy(container, group):
    """A Keras 0.3.x weights file (root attr nb_layers; groups layer_<k> with param_<n>):
    one group per layer of the model, in order."""
    layers = _layers(container)
    nb_layers = int(group.attrs['nb_layers'])
    if nb_layers != len(layers):
        raise ValueError('load_weights: the file (Keras 0.3 layout) holds %d layers but model '
                         '"%s" has %d layers' % (nb_layers, container.name, len(layers)))
    pairs = []
    for k, layer in enumerate(layers):
        g = group['layer_%d' % k]
        values = [np.asarray(g['param_%d' % p]) for p in range(int(g.attrs['nb_params']))]
        pairs += _check_and_pair(layer, values, 'load_weights (file group layer_%d)' % k)
    return pairs


def load_weights_from_hdf5_group(container, group):
    """Topological loading (Keras 1.2.2): the k-th layer with weights in the file goes into
    the k-th layer with weights in the model; names are not compared. Nothing is assigned
    unless every layer matches."""
    if 'nb_layers' in group.attrs:
        K.batch_set_value(_load_legacy(container, group))
        return
    layers = [layer for layer in _layers(container) if layer.weights]
    names = [name for name in load_names_attribute(group, 'layer_names')
             if load_names_attribute(group[name], 'weight_names')]
    if len(names) != len(layers):
        raise ValueError('load_weights: you are trying to load a weight file containing %d '
                         'layers with weights into model "%s", which has %d layers with '
                         'weights (file: %s; model: %s)'
                         % (len(names), container.name, len(layers), names,
                            [layer.name for layer in layers]))
    pairs = []
    for name, layer in zip(names, layers):
        values = _read_group(group, name)
        if layer.__class__.__name__ == 'Convolution1D':
            values = _legacy_conv1d_kernel(layer, values)
        pairs += _check_and_pair(layer, values, 'load_weights (file layer "%s")' % name)
    K.batch_set_value(pairs)


def _legacy_conv1d_kernel(layer, values):
    """Early Keras 1 stored a Convolution1D kernel as (nb_filter, input_dim, filter_length, 1);
    Keras 1.2.2 transposes such a kernel to its (filter_length, 1, input_dim, nb_filter)."""
    if not values or not layer.weights or values[0].ndim != 4:
        return values
    want = tuple(K.int_shape(layer.weights[0]))
    kernel = values[0]
    if kernel.shape != want and kernel.transpose(2, 3, 1, 0).shape == want:
        return [kernel.transpose(2, 3, 1, 0)] + values[1:]
    return values


def load_weights_from_hdf5_group_by_name(container, group):
    """Load each layer of the file into the model's layers of the same name; file layers
    with no such model layer, and model layers not in the file, are left alone."""
    if not has_names_attribute(group, 'layer_names'):
        raise ValueError('load_weights(by_name=True): the file has no layer_names attribute '
                         '(a Keras 0.3 file has no layer names); load it with by_name=False')
    index = {}
    for layer in _layers(container):
        index.setdefault(layer.name, []).append(layer)
    pairs = []
    for name in load_names_attribute(group, 'layer_names'):
        for layer in index.get(name, []):
            pairs += _check_and_pair(layer, _read_group(group, name),
                                     'load_weights(by_name=True)')
    K.batch_set_value(pairs)


def load_weights(container, filepath, by_name=False):
    """Load weights saved by save_weights (or by Keras 1.2.2) from filepath; a full-model file
    (weights under model_weights) and a Keras 0.3 weights file are accepted too. by_name:
    match layers by name instead of by position."""
    with open_hdf5(filepath, 'load_weights') as f:
        group = f
        if not has_names_attribute(f, 'layer_names') and 'model_weights' in f:
            group = f['model_weights']
        if not has_names_attribute(group, 'layer_names') and 'nb_layers' not in group.attrs:
            raise ValueError('load_weights: %s is not a Keras weights file (no layer_names or '
                             'nb_layers attribute at its root or in model_weights)'
                             % (filepath,))
        if by_name:
            load_weights_from_hdf5_group_by_name(container, group)
        else:
            load_weights_from_hdf5_group(container, group)


# ----------------------------------------------------------------------------- configs

def updated_config(container):
    """{'class_name', 'config', 'keras_version'}: what to_json / to_yaml write."""
    return {'class_name': container.__class__.__name__, 'config': container.get_config(),
            'keras_version': keras_version}


def _json_default(obj):
    """Keras 1.2.2's fallback for json: numpy values as Python values, types by name."""
    if type(obj).__module__ == np.__name__:
        return obj.item() if isinstance(obj, np.generic) else obj.tolist()
    if isinstance(obj, type):
        return obj.__name__
    raise TypeError('to_json: %r (of type %s) is not JSON serializable'
                    % (obj, type(obj).__name__))


def to_json(container, **kwargs):
    """The model's configuration as a JSON string; kwargs go to json.dumps (e.g. indent)."""
    return json.dumps(updated_config(container), default=_json_default, **kwargs)


def _yaml():
    try:
        import yaml
    except ImportError:
        raise ImportError('YAML model files need PyYAML, which is not installed: '
                          'pip install pyyaml') from None
    return yaml


def to_yaml(container, **kwargs):
    """The model's configuration as a YAML string (yaml.dump, as Keras 1.2.2: tuples are
    tagged !!python/tuple); kwargs go to yaml.dump."""
    return _yaml().dump(updated_config(container), **kwargs)


def model_from_config(config, custom_objects=None, allow_code=False):
    """A model (or layer) from a {'class_name', 'config'} dict, or from a Keras 0.3.3 config
    ({'name': <class>, ...}: rebuilt, and compiled if it holds an optimizer, by
    legacy_config.model_from_033_config); custom_objects maps class or function names to
    objects; allow_code permits loading Python bytecode saved in the config (Lambda / Merge
    functions) — only for trusted sources."""
    if isinstance(config, list):
        raise TypeError('model_from_config expects a dictionary, not a list. Maybe you meant '
                        'to use Sequential.from_config(config)?')
    if isinstance(config, dict) and 'class_name' not in config and 'name' in config:
        from . import legacy_config
        if config['name'] in ('Sequential', 'Graph'):
            return legacy_config.model_from_033_config(config, custom_objects)
        return legacy_config.layer_from_033_config(config, custom_objects)
    return layer_from_config(config, custom_objects, allow_code)


def model_from_json(json_string, custom_objects=None, allow_code=False):
    """A model from to_json's output (see model_from_config for the arguments)."""
    return model_from_config(json.loads(json_string), custom_objects, allow_code)


def _safe_loader(yaml):
    """A SafeLoader that also reads what Keras 1.2.2's yaml.dump wrote for Python values:
    !!python/tuple, and numpy scalars (!!python/object/apply:numpy...scalar of a numpy.dtype
    and the raw bytes), rebuilt from data only; any other Python tag is refused."""

    class ConfigLoader(yaml.SafeLoader):
        pass

    def tuple_(loader, node):
        return tuple(loader.construct_sequence(node, deep=True))

    def apply_args(loader, node):
        if isinstance(node, yaml.SequenceNode):
            return loader.construct_sequence(node, deep=True), {}
        fields = loader.construct_mapping(node, deep=True)
        return list(fields.get('args', [])), fields

    def dtype_(loader, node):
        args, fields = apply_args(loader, node)
        dtype = np.dtype(str(args[0]))
        state = fields.get('state')
        if state and len(state) > 1 and state[1] in ('<', '>'):
            dtype = dtype.newbyteorder(state[1])
        if dtype.kind not in 'biufc':
            raise yaml.constructor.ConstructorError(
                None, None, 'numpy dtype %r is not a number type' % (str(dtype),),
                node.start_mark)
        return dtype

    def scalar(loader, node):
        args, _ = apply_args(loader, node)
        dtype = args[0] if args and isinstance(args[0], np.dtype) else None
        if (dtype is None or len(args) != 2 or not isinstance(args[1], bytes)
                or len(args[1]) != dtype.itemsize):
            raise yaml.constructor.ConstructorError(
                None, None, 'a numpy scalar needs a number dtype and its %s bytes'
                % ('itemsize' if dtype is None else dtype.itemsize), node.start_mark)
        return np.frombuffer(args[1], dtype=dtype)[0].item()

    ConfigLoader.add_constructor('tag:yaml.org,2002:python/tuple', tuple_)
    apply = 'tag:yaml.org,2002:python/object/apply:'
    ConfigLoader.add_constructor(apply + 'numpy.dtype', dtype_)
    for module in ('numpy.core.multiarray', 'numpy._core.multiarray'):
        ConfigLoader.add_constructor(apply + module + '.scalar', scalar)
    return ConfigLoader


def load_yaml_config(yaml_string):
    """The config in to_yaml's output, read with a safe loader: no Python object is constructed
    from it except tuples and numpy scalars (read as Python numbers)."""
    yaml = _yaml()
    return yaml.load(yaml_string, Loader=_safe_loader(yaml))


def model_from_yaml(yaml_string, custom_objects=None, allow_code=False):
    """A model from to_yaml's output (see model_from_config for the arguments), read safely
    (load_yaml_config)."""
    return model_from_config(load_yaml_config(yaml_string), custom_objects, allow_code)
